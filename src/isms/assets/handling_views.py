"""The register's 取扱区分 page (``/assets/handling-categories/``).

Everyone who sees the register reads which mapping is in force: its categories (strictest
first) and, per axis, the category of each class. Those who manage the whole register (the
leads, the municipality's administrators) choose none, the shipped example or their own, and
edit their own: up to six category rows (blank rows ignored, ids from the row number when not
given) and a category for every class of the register's scheme. The services decide; their
errors come back next to the fields and nothing is saved.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from isms.assets.classification import (
    Axis,
    ClassificationScheme,
    HandlingCategoryMap,
    get_scheme,
)
from isms.core.forms import ServiceErrorsMixin
from isms.core.models import Municipality

from . import services, visibility
from .common import language, register_settings
from .models import InformationAsset
from .views import _scheme_label, municipality_for

ROWS = services.MAX_HANDLING_CATEGORIES
ROW_FIELDS = ("id", "label_ja", "label_en", "description_ja", "description_en")
# The labels of a new own mapping (the document's own text, in both languages).
NEW_LABEL_JA = "独自の取扱区分"
NEW_LABEL_EN = "Own handling categories"
SEGMENT_CHOICES = InformationAsset.Segment.choices


def _ja() -> bool:
    return language() == "ja"


def _class_name(scheme: ClassificationScheme, axis: Axis, class_id: str) -> str:
    level = scheme.level(axis, class_id)
    return level.label_ja if _ja() else level.label_en


# --- forms ------------------------------------------------------------------------------------


class UseForm(ServiceErrorsMixin, forms.Form):
    """Which mapping is in force: none, the shipped example, the municipality's own."""

    def __init__(self, *args: Any, state: services.HandlingCategoriesState, **kwargs: Any):
        super().__init__(*args, **kwargs)
        choices = [("none", _("None: show the derived handling restrictions only"))]
        if state.example is not None:
            label = state.example.label_ja if _ja() else state.example.label_en
            choices.append(("example", _("The shipped example: %(label)s") % {"label": label}))
        if state.own is not None:
            label = state.own.get("label_ja") if _ja() else state.own.get("label_en")
            choices.append(("own", _("Our own: %(label)s") % {"label": label}))
        self.fields["use"] = forms.ChoiceField(
            label=_("Handling categories in force"), choices=choices, widget=forms.RadioSelect
        )
        if not state.stale:
            self.initial.setdefault("use", state.use)

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            exc = ValidationError({"use": [m for e in exc.error_dict.values() for m in e]})
        super().add_service_error(exc)


class DefineForm(ServiceErrorsMixin, forms.Form):
    """The municipality's own 取扱区分: up to six rows and a category for every class.

    The selects name a row by its number; :meth:`document` turns the form into the mapping
    document of the service and :meth:`add_service_error` puts the service's errors (keyed by
    the document: ``categories.1.label_en``, ``mapping.confidentiality.3A``) back on the fields.
    """

    # Not required here: the service reports a blank name together with every other problem.
    label_ja = forms.CharField(
        label=gettext_lazy("Name of the mapping (Japanese)"), max_length=100, required=False
    )
    label_en = forms.CharField(
        label=gettext_lazy("Name of the mapping (English)"), max_length=100, required=False
    )

    def __init__(self, *args: Any, scheme: ClassificationScheme, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.scheme = scheme
        self.rows_kept: list[int] = []  # the row number of each category sent to the service
        labels = {
            "id": gettext_lazy("Category %(n)s: id (optional)"),
            "label_ja": gettext_lazy("Category %(n)s: name (Japanese)"),
            "label_en": gettext_lazy("Category %(n)s: name (English)"),
            "description_ja": gettext_lazy("Category %(n)s: description (Japanese)"),
            "description_en": gettext_lazy("Category %(n)s: description (English)"),
        }
        for n in range(1, ROWS + 1):
            for name in ROW_FIELDS:
                limit = 1000 if name.startswith("description") else 100
                widget = (
                    forms.Textarea(attrs={"rows": 2})
                    if name.startswith("description")
                    else forms.TextInput
                )
                self.fields[f"c{n}_{name}"] = forms.CharField(
                    label=labels[name] % {"n": n},
                    max_length=50 if name == "id" else limit,
                    required=False,
                    widget=widget,
                )
            self.fields[f"c{n}_segments"] = forms.MultipleChoiceField(
                label=_("Category %(n)s: may be held only in") % {"n": n},
                choices=SEGMENT_CHOICES,
                required=False,
                widget=forms.CheckboxSelectMultiple,
            )
        row_choices = [("", "—")] + [(str(n), self._row_label(n)) for n in range(1, ROWS + 1)]
        for axis in Axis:
            for class_id in scheme.scale(axis).class_ids:
                self.fields[f"m_{axis.value}_{class_id}"] = forms.ChoiceField(
                    label=_class_name(scheme, axis, class_id),
                    choices=row_choices,
                    required=False,
                )

    def _row_label(self, n: int) -> str:
        key = f"c{n}_label_ja" if _ja() else f"c{n}_label_en"
        source = self.data if self.is_bound else self.initial
        label = str(source.get(key) or "").strip()
        return _("Category %(n)s: %(label)s") % {"n": n, "label": label} if label else str(n)

    def row_fields(self) -> list[dict[str, Any]]:
        """The rows for the template: number and bound fields."""
        return [
            {
                "n": n,
                "fields": [self[f"c{n}_{name}"] for name in ROW_FIELDS],
                "segments": self[f"c{n}_segments"],
            }
            for n in range(1, ROWS + 1)
        ]

    def mapping_fields(self) -> list[dict[str, Any]]:
        """Per axis, the select of each class (highest first)."""
        return [
            {
                "axis": self.scheme.scale(axis).label_ja
                if _ja()
                else self.scheme.scale(axis).label_en,
                "fields": [
                    self[f"m_{axis.value}_{class_id}"]
                    for class_id in self.scheme.scale(axis).class_ids
                ],
            }
            for axis in Axis
        ]

    def _blank(self, n: int) -> bool:
        data = self.cleaned_data
        return not any(data.get(f"c{n}_{name}") for name in ROW_FIELDS) and not data.get(
            f"c{n}_segments"
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for axis in Axis:
            for class_id in self.scheme.scale(axis).class_ids:
                name = f"m_{axis.value}_{class_id}"
                chosen = data.get(name)
                if chosen and name not in self.errors and self._blank(int(chosen)):
                    self.add_error(name, _("The category chosen here is an empty row."))
        return data

    def document(self) -> dict[str, Any]:
        """Return the mapping document for the service (blank rows left out)."""
        data = self.cleaned_data
        categories: list[dict[str, Any]] = []
        ids: dict[int, str] = {}
        self.rows_kept = []
        for n in range(1, ROWS + 1):
            if self._blank(n):
                continue
            entry: dict[str, Any] = {name: data.get(f"c{n}_{name}", "") for name in ROW_FIELDS}
            entry["id"] = entry["id"] or f"category_{n}"
            if data.get(f"c{n}_segments"):
                entry["segments"] = list(data[f"c{n}_segments"])
            ids[n] = entry["id"]
            categories.append(entry)
            self.rows_kept.append(n)
        mapping: dict[str, dict[str, str]] = {}
        for axis in Axis:
            mapping[axis.value] = {}
            for class_id in self.scheme.scale(axis).class_ids:
                chosen = data.get(f"m_{axis.value}_{class_id}")
                if chosen:
                    mapping[axis.value][class_id] = ids.get(int(chosen), "")
        return {
            "label_ja": data.get("label_ja", ""),
            "label_en": data.get("label_en", ""),
            "categories": categories,
            "mapping": mapping,
        }

    def add_service_error(self, exc: ValidationError) -> None:
        if not hasattr(exc, "error_dict"):
            super().add_service_error(exc)
            return
        for key, errors in exc.error_dict.items():
            for error in errors:
                self.add_error(self._field_for(key), error)

    def _field_for(self, key: str) -> str | None:
        parts = key.split(".")
        name: str | None = None
        if len(parts) == 3 and parts[0] == "categories" and parts[1].isdigit():
            index = int(parts[1])
            if index < len(self.rows_kept):
                name = f"c{self.rows_kept[index]}_{parts[2]}"
        elif len(parts) == 3 and parts[0] == "mapping":
            name = f"m_{parts[1]}_{parts[2]}"
        else:
            name = key
        return name if name in self.fields else None


def _initial(
    state: services.HandlingCategoriesState, scheme: ClassificationScheme
) -> dict[str, Any]:
    """The define form's values: the own mapping, else the shipped example to start from."""
    initial: dict[str, Any] = {"label_ja": NEW_LABEL_JA, "label_en": NEW_LABEL_EN}
    source: dict[str, Any] | None = state.own
    if source is None and state.example is not None:
        example = state.example
        source = {
            "categories": [
                {
                    "id": c.id,
                    "label_ja": c.label_ja,
                    "label_en": c.label_en,
                    "description_ja": c.description_ja,
                    "description_en": c.description_en,
                    "segments": list(c.segments),
                }
                for c in example.categories
            ],
            "mapping": {axis.value: {} for axis in Axis},
        }
        for axis, class_id, category_id in example.mapping:
            source["mapping"][axis.value][class_id] = category_id
    elif source is not None:
        initial["label_ja"] = source.get("label_ja", NEW_LABEL_JA)
        initial["label_en"] = source.get("label_en", NEW_LABEL_EN)
    if source is None:
        return initial
    rows: dict[str, int] = {}
    for n, category in enumerate(source.get("categories", [])[:ROWS], start=1):
        rows[category.get("id", "")] = n
        for name in ROW_FIELDS:
            initial[f"c{n}_{name}"] = category.get(name, "")
        initial[f"c{n}_segments"] = list(category.get("segments", []))
    for axis in Axis:
        given = source.get("mapping", {}).get(axis.value, {})
        for class_id in scheme.scale(axis).class_ids:
            if given.get(class_id) in rows:
                initial[f"m_{axis.value}_{class_id}"] = str(rows[given[class_id]])
    return initial


# --- reading ----------------------------------------------------------------------------------


def _shown(
    mapping: HandlingCategoryMap | None, scheme: ClassificationScheme
) -> dict[str, Any] | None:
    """The mapping in force as the template shows it: categories and class → category."""
    if mapping is None:
        return None
    ja = _ja()
    segments = dict(SEGMENT_CHOICES)
    by_class = {(axis, class_id): category_id for axis, class_id, category_id in mapping.mapping}
    return {
        "id": mapping.id,
        "version": mapping.version,
        "label": mapping.label_ja if ja else mapping.label_en,
        "categories": [
            {
                "id": c.id,
                "label": c.label_ja if ja else c.label_en,
                "description": c.description_ja if ja else c.description_en,
                "segments": [str(segments.get(s, s)) for s in c.segments],
            }
            for c in mapping.categories
        ],
        "axes": [
            {
                "label": scheme.scale(axis).label_ja if ja else scheme.scale(axis).label_en,
                "rows": [
                    {
                        "class": _class_name(scheme, axis, class_id),
                        "category": _category_label(mapping, by_class.get((axis, class_id))),
                    }
                    for class_id in scheme.scale(axis).class_ids
                ],
            }
            for axis in Axis
        ],
    }


def _category_label(mapping: HandlingCategoryMap, category_id: str | None) -> str:
    if category_id is None:
        return "—"
    category = mapping.category(category_id)
    return category.label_ja if _ja() else category.label_en


def _page(
    request: HttpRequest,
    municipality: Municipality,
    *,
    use_form: UseForm | None = None,
    define_form: DefineForm | None = None,
) -> HttpResponse:
    settings = register_settings(municipality)
    state = services.handling_categories_state(settings)
    scheme = get_scheme(settings.scheme)
    can_manage = visibility.manages_whole_register(request.user, municipality.pk)  # type: ignore[arg-type]
    if can_manage:
        use_form = use_form or UseForm(state=state)
        define_form = define_form or DefineForm(initial=_initial(state, scheme), scheme=scheme)
    other_schemes = [s for s in state.own_schemes if s != settings.scheme]
    return render(
        request,
        "assets/handling_categories.html",
        {
            "state": state,
            "scheme_label": _scheme_label(settings.scheme),
            "in_force": _shown(state.in_force, scheme),
            "is_example": state.use == "example",
            "stale_schemes": [_scheme_label(s) for s in other_schemes] if state.stale else [],
            "can_manage": can_manage,
            "use_form": use_form if can_manage else None,
            "define_form": define_form if can_manage else None,
            "starts_from_example": state.own is None,
        },
    )


@login_required
def handling_categories(request: HttpRequest) -> HttpResponse:
    """Show the 取扱区分 in force; the leads and administrators choose and define them."""
    municipality = municipality_for(request)
    if request.method != "POST":
        return _page(request, municipality)
    if not visibility.manages_whole_register(request.user, municipality.pk):  # type: ignore[arg-type]
        raise PermissionDenied
    state = services.handling_categories_state(register_settings(municipality))
    user = request.user
    if request.POST.get("form") == "use":
        use_form = UseForm(request.POST, state=state)
        if use_form.is_valid():
            try:
                services.use_handling_categories(
                    user,  # type: ignore[arg-type]
                    municipality,
                    use=use_form.cleaned_data["use"],
                )
            except ValidationError as exc:
                use_form.add_service_error(exc)
            else:
                messages.success(request, _("The handling categories in force were changed."))
                return redirect("assets:handling_categories")
        return _page(request, municipality, use_form=use_form)
    scheme = get_scheme(state.scheme)
    define_form = DefineForm(request.POST, scheme=scheme)
    if define_form.is_valid():
        try:
            services.define_handling_categories(
                user,  # type: ignore[arg-type]
                municipality,
                document=define_form.document(),
            )
        except ValidationError as exc:
            define_form.add_service_error(exc)
        else:
            messages.success(
                request, _("Your own handling categories were saved and are now in force.")
            )
            return redirect("assets:handling_categories")
    return _page(request, municipality, define_form=define_form)
