"""Forms of the asset register's pages: they parse and label input; the services decide.

Each form offers ``service_data()`` (the keyword arguments of its service) and, through
``ServiceErrorsMixin``, puts a service's field-keyed ``ValidationError`` next to the field.
People are named by employee number (職員番号), never chosen from a list of the whole staff.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from isms.assets.classification import Axis, QuestionSet, get_scheme
from isms.core.forms import DateInput, ScopedChoiceField, ServiceErrorsMixin
from isms.core.models import Municipality, OrgUnit, Person

from .common import language
from .models import InformationAsset, LifecycleRequest

__all__ = [
    "AssetFilterForm",
    "AssetForm",
    "BulkEditForm",
    "ClassifyForm",
    "DecisionForm",
    "DisposalForm",
    "HostForm",
    "LifecycleRequestForm",
    "ReviewItemForm",
]

_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")
NO_SUCH_PERSON = _("No staff member of this municipality has that employee number. Check it.")


def find_person(municipality: Municipality, number: str) -> Person | None:
    """Return the municipality's person with employee number ``number`` (full-width allowed)."""
    number = (number or "").strip().translate(_FULL_WIDTH_DIGITS)
    if not number:
        return None
    return Person.objects.filter(municipality=municipality, employee_number=number).first()


def class_choices(scheme_id: str, axis: Axis, *, keep: str = "") -> list[tuple[str, str]]:
    """Return the classes of ``axis`` in ``scheme_id`` as choices (plus ``keep`` if unknown)."""
    scale = get_scheme(scheme_id).scale(axis)
    ja = language() == "ja"
    choices = [("", "---------")] + [
        (c.id, c.label_ja if ja else c.label_en) for c in scale.classes
    ]
    if keep and keep not in scale.class_ids:
        choices.append((keep, keep))
    return choices


class AssetForm(ServiceErrorsMixin, forms.ModelForm):
    """Register or edit an information asset (classes of the register's scheme)."""

    custodian_number = forms.CharField(
        label=capfirst(_("custodian")),
        max_length=20,
        required=False,
        help_text=_("The custodian's employee number (職員番号); leave empty for none."),
    )
    confidentiality = forms.ChoiceField(label=capfirst(_("confidentiality")), required=False)
    integrity = forms.ChoiceField(label=capfirst(_("integrity")), required=False)
    availability = forms.ChoiceField(label=capfirst(_("availability")), required=False)

    class Meta:
        model = InformationAsset
        fields = [
            "asset_number",
            "name",
            "description",
            "kind",
            "owning_unit",
            "custodian_number",
            "storage_location",
            "segment",
            "hosting",
            "cloud_service_name",
            "status",
            "holds_personal_info",
            "holds_specific_personal_info",
            "holds_sensitive_personal_info",
            "classified_document",
            "number_of_persons",
            "retention_period",
            "confidentiality",
            "integrity",
            "availability",
            "has_backup",
            "recovery_time",
            "backup_note",
            "scope_facility",
            "scope_purpose",
            "used_by_university",
            "city_owned",
            "in_scope",
            "out_of_scope_reason",
        ]
        field_classes = {"owning_unit": ScopedChoiceField}
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "out_of_scope_reason": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "asset_number": _("A number unique in the register, e.g. A-110-001."),
            "owning_unit": _("Only the units whose assets you may register are listed."),
        }

    def __init__(
        self,
        *args: Any,
        municipality: Municipality,
        units: list[OrgUnit],
        scheme: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["owning_unit"].queryset = OrgUnit.objects.filter(
            pk__in=[u.pk for u in units]
        ).order_by("sort_order", "code")
        for axis in Axis:
            current = getattr(self.instance, axis.value, "") if self.instance.pk else ""
            self.fields[axis.value].choices = class_choices(scheme, axis, keep=current)  # type: ignore[attr-defined]
            self.fields[axis.value].help_text = _(
                "Give all three classes or none; the classification assistant can suggest them."
            )
        # The model's labels name 都留市's own hospital; the form says what it is anywhere.
        self.fields["scope_facility"].choices = [  # type: ignore[attr-defined]
            (value, _("Municipal hospital") if value == "city_hospital" else label)
            for value, label in InformationAsset.Facility.choices
        ]
        if self.instance.pk and self.instance.custodian_id:
            self.initial["custodian_number"] = self.instance.custodian.employee_number

    def clean_custodian_number(self) -> Person | None:
        number = self.cleaned_data["custodian_number"]
        if not (number or "").strip():
            return None
        person = find_person(self.municipality, number)
        if person is None:
            raise ValidationError(NO_SUCH_PERSON)
        return person

    def service_data(self) -> dict[str, Any]:
        data = {
            name: self.cleaned_data[name]
            for name in self.Meta.fields
            if name not in ("custodian_number", "in_scope")
        }
        data["custodian"] = self.cleaned_data["custodian_number"]
        # Only an explicit change of the scope flag is passed: otherwise the service decides
        # it from the use (basic policy 2.4).
        if "in_scope" in self.changed_data:
            data["in_scope"] = self.cleaned_data["in_scope"]
        return data

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "custodian" in exc.error_dict:
            exc.error_dict["custodian_number"] = exc.error_dict.pop("custodian")
        super().add_service_error(exc)


class AssetFilterForm(forms.Form):
    """Search, filters and sort of the register list (GET)."""

    SORTS = {
        "number": ("asset_number", "pk"),
        "name": ("name", "pk"),
        "unit": ("owning_unit__sort_order", "owning_unit__code", "asset_number"),
        "class": ("-confidentiality_rank", "asset_number"),
        "updated": ("-updated_at", "-pk"),
    }

    q = forms.CharField(label=_("Search"), required=False, max_length=100)
    unit = forms.TypedChoiceField(label=capfirst(_("owning unit")), required=False, coerce=int)
    confidentiality = forms.ChoiceField(label=capfirst(_("confidentiality")), required=False)
    segment = forms.ChoiceField(label=capfirst(_("network segment")), required=False)
    kind = forms.ChoiceField(label=capfirst(_("kind of asset")), required=False)
    status = forms.ChoiceField(label=capfirst(_("status")), required=False)
    pending = forms.BooleanField(label=_("Classification review pending"), required=False)
    sort = forms.ChoiceField(
        label=_("Sort by"),
        required=False,
        choices=[
            ("number", _("asset number")),
            ("name", _("name")),
            ("unit", _("owning unit")),
            ("class", _("confidentiality")),
            ("updated", _("updated at")),
        ],
    )

    def __init__(self, *args: Any, units: list[OrgUnit], scheme: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = [("", _("All"))]
        self.fields["unit"].choices = every + [(u.pk, u.name) for u in units]  # type: ignore[attr-defined]
        classes = class_choices(scheme, Axis.CONFIDENTIALITY)[1:]
        other = "pre_r6" if scheme != "pre_r6" else "r6_10"
        known = {c for c, _label in classes}
        classes += [c for c in class_choices(other, Axis.CONFIDENTIALITY)[1:] if c[0] not in known]
        self.fields["confidentiality"].choices = [  # type: ignore[attr-defined]
            *every,
            ("none", _("Unclassified")),
            *classes,
        ]
        self.fields["segment"].choices = every + list(InformationAsset.Segment.choices)  # type: ignore[attr-defined]
        self.fields["kind"].choices = every + list(InformationAsset.Kind.choices)  # type: ignore[attr-defined]
        self.fields["status"].choices = every + list(InformationAsset.Status.choices)  # type: ignore[attr-defined]


class BulkEditForm(forms.Form):
    """One change for the assets ticked on the list page (``bulk.bulk_update_assets``).

    ``field`` says which of the four inputs is the new value; the others are ignored. An empty
    custodian, storage location or segment clears it.
    """

    FIELDS = (
        ("status", _("status")),
        ("custodian", _("custodian")),
        ("storage_location", _("storage location")),
        ("segment", _("network segment")),
    )

    asset_ids = forms.TypedMultipleChoiceField(
        label=capfirst(_("assets")), coerce=int, required=False
    )
    field = forms.ChoiceField(label=capfirst(_("change")), choices=FIELDS)
    status = forms.ChoiceField(
        label=capfirst(_("new status")), choices=InformationAsset.Status.choices, required=False
    )
    custodian_number = forms.CharField(
        label=capfirst(_("new custodian (employee number)")), max_length=20, required=False
    )
    storage_location = forms.CharField(
        label=capfirst(_("new storage location")), max_length=200, required=False
    )
    segment = forms.ChoiceField(
        label=capfirst(_("new network segment")),
        choices=[("", _("none")), *InformationAsset.Segment.choices],
        required=False,
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        # Any id is offered: the service says which are not found or not the user's to change.
        ids = self.data.getlist("asset_ids") if hasattr(self.data, "getlist") else []
        self.fields["asset_ids"].choices = [(i, i) for i in ids]  # type: ignore[attr-defined]

    def clean_asset_ids(self) -> list[int]:
        ids: list[int] = self.cleaned_data["asset_ids"]
        if not ids:
            raise ValidationError(_("Tick at least one asset in the list."))
        return ids

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("field") == "status" and not data.get("status"):
            self.add_error("status", _("Choose the new status."))
        if data.get("field") == "custodian":
            number = data.get("custodian_number") or ""
            person = find_person(self.municipality, number)
            if number.strip() and person is None:
                self.add_error("custodian_number", NO_SUCH_PERSON)
            data["custodian"] = person
        return data

    def change(self) -> dict[str, Any]:
        """Return the one change as the service's keyword argument."""
        field = self.cleaned_data["field"]
        return {field: self.cleaned_data[field]}


class HostForm(ServiceErrorsMixin, forms.Form):
    """Add a host name and/or an IP address or range to an asset."""

    host_name = forms.CharField(label=capfirst(_("host name")), max_length=253, required=False)
    network = forms.CharField(
        label=capfirst(_("IP address or range")),
        max_length=60,
        required=False,
        help_text=_("An address (192.0.2.7) or a range (192.0.2.0/24)."),
    )

    def service_data(self) -> dict[str, Any]:
        return {
            "host_name": self.cleaned_data["host_name"],
            "network": self.cleaned_data["network"],
        }


class ClassifyForm(forms.Form):
    """The classification assistant: one field per question, then one override per axis.

    Built from the core's question set (texts and options in the active language). A question
    asked only under a condition (``ask_if``) is optional in the form; the core checks it.
    """

    def __init__(self, *args: Any, questions: QuestionSet, scheme: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ja = language() == "ja"
        self.questions = questions
        for q in questions.questions:
            label = q.text_ja if ja else q.text_en
            help_text = q.help_ja if ja else q.help_en
            if q.kind == "yes_no":
                choices = [("yes", _("Yes")), ("no", _("No"))]
            else:
                choices = [(o.id, o.label_ja if ja else o.label_en) for o in q.options]
            self.fields[f"q_{q.id}"] = forms.ChoiceField(
                label=label,
                help_text=help_text,
                choices=choices,
                widget=forms.RadioSelect,
                required=q.required and not q.ask_if,
            )
        for axis in Axis:
            self.fields[f"override_{axis.value}"] = forms.ChoiceField(
                label=_("Class chosen instead"),
                required=False,
                choices=[("", _("Keep the suggestion")), *class_choices(scheme, axis)[1:]],
            )
            self.fields[f"reason_{axis.value}"] = forms.CharField(
                label=_("Reason for choosing another class"), required=False, max_length=500
            )

    def question_fields(self) -> list[forms.BoundField]:
        return [self[f"q_{q.id}"] for q in self.questions.questions]

    def answers(self) -> dict[str, str]:
        """Return the answers given (ids of the core's questions → option ids, yes/no)."""
        return {
            q.id: self.cleaned_data[f"q_{q.id}"]
            for q in self.questions.questions
            if self.cleaned_data.get(f"q_{q.id}")
        }

    def overrides(self) -> dict[str, tuple[str, str]]:
        """Return axis → (class chosen, reason) for every axis the user chose another class."""
        return {
            axis.value: (
                self.cleaned_data[f"override_{axis.value}"],
                self.cleaned_data.get(f"reason_{axis.value}", ""),
            )
            for axis in Axis
            if self.cleaned_data.get(f"override_{axis.value}")
        }

    def add_service_error(self, exc: ValidationError) -> None:
        """Put the service's errors on the override reasons or above the form."""
        if not hasattr(exc, "error_dict"):
            for error in exc.error_list:
                self.add_error(None, error)
            return
        for name, errors in exc.error_dict.items():
            target = None
            if name.startswith("override_"):
                target = f"reason_{name.removeprefix('override_')}"
            for error in errors:
                self.add_error(target if target in self.fields else None, error)


class LifecycleRequestForm(ServiceErrorsMixin, forms.Form):
    """Ask permission to transport, provide or dispose of an asset."""

    kind = forms.ChoiceField(
        label=capfirst(_("kind of request")),
        choices=LifecycleRequest.Kind.choices,
        widget=forms.RadioSelect,
    )
    details = forms.CharField(
        label=capfirst(_("details")),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text=_("What is to be done: where to, to whom, how and when."),
    )

    def __init__(self, *args: Any, kinds: list[str] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if kinds is not None:
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                c for c in LifecycleRequest.Kind.choices if c[0] in kinds
            ]

    def service_data(self) -> dict[str, Any]:
        return {"kind": self.cleaned_data["kind"], "details": self.cleaned_data["details"]}


class DecisionForm(forms.Form):
    """Approve or reject a request; a rejection needs a reason (checked by the service)."""

    reason = forms.CharField(label=capfirst(_("reason")), max_length=2000, required=False)


class DisposalForm(ServiceErrorsMixin, forms.Form):
    """Record a disposal: date, method and the person who disposed of the asset."""

    disposed_on = forms.DateField(label=capfirst(_("disposed on")), widget=DateInput())
    method = forms.CharField(
        label=capfirst(_("method of disposal")),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: ハードディスクを物理破壊, 溶解処理."),
    )
    disposed_by = forms.CharField(
        label=capfirst(_("disposed by")),
        max_length=20,
        required=False,
        help_text=_("The employee number (職員番号) of who disposed of it; empty for yourself."),
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"disposed_on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.municipality = municipality

    def clean_disposed_by(self) -> Person | None:
        number = self.cleaned_data["disposed_by"]
        if not (number or "").strip():
            return None
        person = find_person(self.municipality, number)
        if person is None:
            raise ValidationError(NO_SUCH_PERSON)
        return person

    def service_data(self) -> dict[str, Any]:
        disposed_on: datetime.date = self.cleaned_data["disposed_on"]
        return {
            "disposed_on": disposed_on,
            "method": self.cleaned_data["method"],
            "disposed_by": self.cleaned_data["disposed_by"],
        }


class ReviewItemForm(ServiceErrorsMixin, forms.Form):
    """Choose the new class of one migration review item (any value; the core checks it)."""

    chosen = forms.CharField(label=_("New class"), max_length=5)
    note = forms.CharField(label=capfirst(_("note")), max_length=500, required=False)

    def service_data(self) -> dict[str, Any]:
        return {"chosen": self.cleaned_data["chosen"], "note": self.cleaned_data["note"]}
