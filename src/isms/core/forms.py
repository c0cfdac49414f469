"""Forms of the organisation pages: they parse and label input; the services decide.

Each form offers ``service_data()`` (the keyword arguments of its service) and
:meth:`ServiceErrorsMixin.add_service_error`, which puts a service's ``ValidationError`` next to
the field it names (or above the form when it names none of the form's fields).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from .models import Municipality, OrgUnit, Person, RoleDisplayName
from .roles import Role

__all__ = [
    "CarryOverForm",
    "DelegationForm",
    "ImportForm",
    "OrgUnitForm",
    "OrgUnitReorganiseForm",
    "PersonForm",
    "RoleAssignmentEndForm",
    "RoleAssignmentForm",
    "RoleDisplayNameForm",
]

NOT_IN_MUNICIPALITY = _("The selected record was not found in this municipality.")


class DateInput(forms.DateInput):
    """A native date picker that also accepts typed ISO dates (2025-04-01)."""

    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs, format="%Y-%m-%d")


class ServiceErrorsMixin:
    """Put the errors a service raises next to the fields they name.

    An error keyed by a field the form does not have (``person`` when the person is fixed by
    the URL), or by no field at all, is shown above the form.
    """

    def add_service_error(self, exc: ValidationError) -> None:
        form: forms.BaseForm = self  # type: ignore[assignment]
        if not hasattr(exc, "error_dict"):
            for error in exc.error_list:
                form.add_error(None, error)
            return
        for name, errors in exc.error_dict.items():
            target = name if name in form.fields else None
            for error in errors:
                form.add_error(target, error)


class ScopedChoiceField(forms.ModelChoiceField):
    """A choice among the current municipality's records; anything else is 'not found'."""

    default_error_messages = {"invalid_choice": NOT_IN_MUNICIPALITY}


class OrgUnitForm(ServiceErrorsMixin, forms.ModelForm):
    """Create or edit an org unit (部局 / 課 / 係)."""

    class Meta:
        model = OrgUnit
        fields = ["parent", "code", "name", "name_kana", "kind", "organ_kind", "in_scope"]
        field_classes = {"parent": ScopedChoiceField}
        help_texts = {
            "parent": _("Leave empty for a bureau at the top of the organisation."),
            "code": _("A short code unique in this municipality, e.g. 110."),
        }

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        parents = OrgUnit.objects.filter(municipality=municipality)
        if self.instance.pk:
            parents = parents.exclude(pk=self.instance.pk)
        self.fields["parent"].queryset = parents

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PersonForm(ServiceErrorsMixin, forms.ModelForm):
    """Register or edit one of the 職員等."""

    class Meta:
        model = Person
        fields = [
            "employee_number",
            "family_name",
            "given_name",
            "family_name_kana",
            "given_name_kana",
            "staff_category",
            "org_unit",
            "email",
            "employment_end",
            "is_active",
        ]
        field_classes = {"org_unit": ScopedChoiceField}
        widgets = {"employment_end": DateInput()}

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(municipality=municipality)

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class RoleAssignmentForm(ServiceErrorsMixin, forms.Form):
    """Give a person a role for a fiscal year or for a date range."""

    PERIOD_FISCAL_YEAR = "fiscal_year"
    PERIOD_DATES = "dates"

    role = forms.ChoiceField(label=capfirst(_("role")))
    org_unit = ScopedChoiceField(
        label=capfirst(_("org unit")),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_(
            "Required for roles held for one unit; leave empty for roles held for the whole "
            "municipality (such as CISO or auditor)."
        ),
    )
    period = forms.ChoiceField(
        label=capfirst(_("period")),
        widget=forms.RadioSelect,
        choices=[(PERIOD_FISCAL_YEAR, _("A fiscal year")), (PERIOD_DATES, _("A date range"))],
        initial=PERIOD_FISCAL_YEAR,
    )
    fiscal_year = forms.TypedChoiceField(
        label=capfirst(_("fiscal year")),
        coerce=int,
        empty_value=None,
        required=False,
        help_text=_("From April 1 to March 31 of the following year."),
    )
    start_date = forms.DateField(
        label=capfirst(_("start date")), required=False, widget=DateInput()
    )
    end_date = forms.DateField(
        label=capfirst(_("end date")),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty for an open-ended assignment."),
    )
    note = forms.CharField(label=capfirst(_("note")), max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        municipality: Municipality,
        role_labels: dict[str, str],
        fiscal_years: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [("", "---------")] + [
            (role.value, role_labels.get(role.value, role.label)) for role in Role
        ]
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(municipality=municipality)
        self.fields["fiscal_year"].choices = [("", "---------"), *fiscal_years]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("period") == self.PERIOD_FISCAL_YEAR and data.get("fiscal_year") is None:
            self.add_error("fiscal_year", _("Choose the fiscal year."))
        if data.get("period") == self.PERIOD_DATES and not data.get("start_date"):
            self.add_error("start_date", _("Enter the start date."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        by_year = data["period"] == self.PERIOD_FISCAL_YEAR
        return {
            "role": data["role"],
            "org_unit": data["org_unit"],
            "fiscal_year": data["fiscal_year"] if by_year else None,
            "start_date": None if by_year else data["start_date"],
            "end_date": None if by_year else data["end_date"],
            "note": data["note"],
        }


class RoleAssignmentEndForm(ServiceErrorsMixin, forms.Form):
    """End a role assignment on a given day (inclusive)."""

    end_date = forms.DateField(
        label=capfirst(_("end date")),
        widget=DateInput(),
        help_text=_("The last day on which the person holds the role."),
    )

    def service_data(self) -> dict[str, Any]:
        return {"end_date": self.cleaned_data["end_date"]}


class DelegationForm(ServiceErrorsMixin, forms.Form):
    """Name a deputy (代理) for one role assignment over a period."""

    assignment = forms.TypedChoiceField(label=capfirst(_("role delegated")), coerce=int)
    deputy = forms.CharField(
        label=capfirst(_("deputy")),
        max_length=20,
        help_text=_("The deputy's employee number (職員番号). They need an active login."),
    )
    start_date = forms.DateField(label=capfirst(_("from")), widget=DateInput())
    end_date = forms.DateField(
        label=capfirst(_("until")),
        widget=DateInput(),
        help_text=_("The last day on which the deputy may act (inclusive)."),
    )
    reason = forms.CharField(
        label=capfirst(_("reason")),
        max_length=200,
        help_text=_("For example: 課長 on leave from 8/10 to 8/14."),
    )

    def __init__(
        self,
        *args: Any,
        municipality: Municipality,
        assignments: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.fields["assignment"].choices = assignments  # type: ignore[attr-defined]

    def clean_deputy(self) -> Person:
        number = self.cleaned_data["deputy"].strip().translate(_FULL_WIDTH_DIGITS)
        person = Person.objects.filter(
            municipality=self.municipality, employee_number=number
        ).first()
        if person is None:
            # Not echoed back: a number that is not ours may be another municipality's.
            self.data = self.data.copy()
            self.data["deputy"] = ""
            raise ValidationError(
                _("No staff member of this municipality has that employee number. Check it.")
            )
        return person

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "deputy": data["deputy"],
            "start_date": data["start_date"],
            "end_date": data["end_date"],
            "reason": data["reason"],
        }


_FULL_WIDTH_DIGITS = str.maketrans("０１２３４５６７８９", "0123456789")


class RoleDisplayNameForm(ServiceErrorsMixin, forms.ModelForm):
    """This municipality's own name for a role; the role itself never changes."""

    class Meta:
        model = RoleDisplayName
        fields = ["name_ja", "name_en"]
        help_texts = {
            "name_ja": _("Shown on every page in Japanese, e.g. 情報管理者."),
            "name_en": _("Shown in English; leave empty to keep the standard English name."),
        }

    def service_data(self) -> dict[str, Any]:
        return {"name_ja": self.cleaned_data["name_ja"], "name_en": self.cleaned_data["name_en"]}


class OrgUnitReorganiseForm(ServiceErrorsMixin, forms.Form):
    """A 組織改正 of one unit: rename or move, merge into another, split a unit off, abolish."""

    KINDS = [
        ("reorganise", _("Rename or move")),
        ("merge", _("Merge into another unit")),
        ("split", _("Split a new unit off")),
        ("abolish", _("Abolish")),
    ]
    # Which fields each kind needs (the others are ignored).
    REQUIRED = {
        "reorganise": (),
        "merge": ("into",),
        "split": ("new_code", "new_name"),
        "abolish": (),
    }
    USED = {
        "reorganise": ("name", "name_kana", "code", "parent"),
        "merge": ("into",),
        "split": ("new_code", "new_name", "new_name_kana"),
        "abolish": (),
    }

    kind = forms.ChoiceField(label=capfirst(_("kind of change")), choices=KINDS)
    effective_date = forms.DateField(
        label=capfirst(_("effective date")),
        widget=DateInput(),
        help_text=_(
            "The first day of the new organisation, usually 4/1. A date after today is kept as "
            "planned and carried out on that day."
        ),
    )
    reason = forms.CharField(label=capfirst(_("reason")), max_length=200, required=False)
    name = forms.CharField(
        label=_("New name"), max_length=100, required=False, help_text=_("Rename or move only.")
    )
    name_kana = forms.CharField(label=_("New name (kana)"), max_length=200, required=False)
    code = forms.CharField(label=_("New unit code"), max_length=20, required=False)
    parent = ScopedChoiceField(
        label=_("New parent unit"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Leave empty to keep the present parent."),
    )
    into = ScopedChoiceField(label=_("Merge into"), queryset=OrgUnit.objects.none(), required=False)
    new_code = forms.CharField(label=_("Code of the new unit"), max_length=20, required=False)
    new_name = forms.CharField(label=_("Name of the new unit"), max_length=100, required=False)
    new_name_kana = forms.CharField(
        label=_("Name of the new unit (kana)"), max_length=200, required=False
    )

    def __init__(self, *args: Any, unit: OrgUnit, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unit = unit
        others = OrgUnit.objects.filter(
            municipality_id=unit.municipality_id, abolished_on__isnull=True
        ).exclude(pk=unit.pk)
        self.fields["parent"].queryset = others
        self.fields["into"].queryset = others

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        kind = data.get("kind")
        for name in self.REQUIRED.get(kind or "", ()):
            if not data.get(name):
                self.add_error(name, _("This field is required for this kind of change."))
        return data

    def is_planned(self) -> bool:
        """A change dated after today is planned, not carried out now."""
        return bool(self.cleaned_data["effective_date"] > timezone.localdate())

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        kind = data["kind"]
        out: dict[str, Any] = {"effective_date": data["effective_date"], "reason": data["reason"]}
        if kind == "reorganise":
            # Only what was entered changes; an empty field keeps the present value.
            for name in self.USED[kind]:
                if data.get(name):
                    out[name] = data[name]
        else:
            out |= {name: data[name] for name in self.USED[kind]}
        return out


class CarryOverForm(ServiceErrorsMixin, forms.Form):
    """Confirm the 4/1 carry-over of one fiscal year's roles into the next."""

    from_year = forms.IntegerField(widget=forms.HiddenInput, min_value=2000, max_value=2099)

    def service_data(self) -> dict[str, Any]:
        return {"from_year": self.cleaned_data["from_year"]}


class ImportForm(forms.Form):
    """Upload a CSV or Excel file to import."""

    file = forms.FileField(
        label=capfirst(_("file")),
        help_text=_(
            "CSV (UTF-8 or Shift_JIS) or Excel (.xlsx), at most 5 MB and 50,000 rows, with the "
            "headers of the template in the first row."
        ),
    )
