"""Forms of the fieldwork, findings and corrective-action pages: they parse and label input;
the services decide (and say what is wrong)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from isms.core.forms import DateInput, ScopedChoiceField, ServiceErrorsMixin
from isms.core.models import Municipality, OrgUnit, Person

from .models import Audit, AuditItem, AuditWorkpaper, Finding

TEXTAREA = forms.Textarea(attrs={"rows": 3})


class WorkpaperForm(ServiceErrorsMixin, forms.Form):
    """A 監査調書 entry: what was done, when, with whom, and what it showed."""

    kind = forms.ChoiceField(label=_("procedure"), choices=AuditWorkpaper.Kind.choices)
    performed_on = forms.DateField(label=_("performed on"), widget=DateInput())
    interviewee = forms.CharField(
        label=_("interviewee"),
        max_length=200,
        required=False,
        help_text=_("For an interview: name and position of who was interviewed."),
    )
    notes = forms.CharField(label=_("notes"), max_length=8000, widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound and "performed_on" not in self.initial:
            self.fields["performed_on"].initial = timezone.localdate()

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "kind": data["kind"],
            "performed_on": data["performed_on"],
            "interviewee": data.get("interviewee", ""),
            "notes": data["notes"],
        }


class AssessForm(ServiceErrorsMixin, forms.Form):
    """An item's result (適合 / 一部不適合 / 不適合 / 該当なし) and what does not conform."""

    result = forms.ChoiceField(
        label=_("result"),
        choices=[
            ("", "---------"),
            *(c for c in AuditItem.Result.choices if c[0] != AuditItem.Result.PENDING),
        ],
    )
    result_note = forms.CharField(
        label=_("result note"),
        max_length=8000,
        required=False,
        widget=TEXTAREA,
        help_text=_("Required for a partly nonconforming or nonconforming result."),
    )


class CloseAuditForm(ServiceErrorsMixin, forms.Form):
    opinion = forms.CharField(label=_("audit opinion"), max_length=8000, widget=forms.Textarea)


class FindingForm(ServiceErrorsMixin, forms.Form):
    """A 指摘事項 of an audit. The control comes from the audit item chosen; the unit that must fix
    it is the audited unit or a unit below it."""

    severity = forms.ChoiceField(label=_("severity"), choices=Finding.Severity.choices)
    title = forms.CharField(label=_("title"), max_length=200)
    description = forms.CharField(label=_("what was found"), max_length=8000, widget=forms.Textarea)
    recommendation = forms.CharField(
        label=_("recommendation"), max_length=8000, required=False, widget=TEXTAREA
    )
    item = ScopedChoiceField(
        label=_("audit item"),
        queryset=AuditItem.objects.none(),
        required=False,
        help_text=_("The finding's control is the audit item's control."),
    )
    org_unit = ScopedChoiceField(
        label=_("unit responsible"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("The audited unit or a unit below it (empty: the audited unit)."),
    )

    def __init__(self, *args: Any, audit: Audit, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.audit = audit
        self.fields["item"].queryset = AuditItem.objects.filter(audit=audit).order_by(
            "position", "pk"
        )
        self.fields["item"].label_from_instance = lambda i: f"{i.code} {i.requirement[:60]}"
        # The audited unit and the units below it (the service checks again).
        below = _units_below(audit.org_unit)
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(
            municipality_id=audit.plan.municipality_id, pk__in=below
        ).order_by("code", "pk")
        if not self.is_bound and "org_unit" not in self.initial:
            self.fields["org_unit"].initial = audit.org_unit_id
        if editing:
            # The service keeps a finding's item: it is shown, not changed.
            self.fields["item"].disabled = True

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "severity": data["severity"],
            "title": data["title"],
            "description": data["description"],
            "recommendation": data.get("recommendation", ""),
            "org_unit": data.get("org_unit") or self.audit.org_unit,
        }


def _units_below(unit: OrgUnit) -> set[int]:
    from .visibility import unit_ids_below

    return unit_ids_below({unit.pk})


class CloseFindingForm(ServiceErrorsMixin, forms.Form):
    note = forms.CharField(
        label=_("note"),
        max_length=2000,
        required=False,
        widget=TEXTAREA,
        help_text=_("Required when an observation closes without a corrective action."),
    )


class TargetedForm(ServiceErrorsMixin, forms.Form):
    """横展開: the units asked to check themselves for the finding's issue."""

    units = forms.ModelMultipleChoiceField(
        label=_("units to check themselves"),
        queryset=OrgUnit.objects.none(),
        error_messages={"invalid_choice": _("The selected record was not found.")},
    )
    answer_business_days = forms.IntegerField(
        label=_("business days to answer"), min_value=1, max_value=120, initial=10
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["units"].queryset = (
            OrgUnit.objects.filter(municipality=municipality)
            .filter(Q(abolished_on__isnull=True) | Q(abolished_on__gt=today))
            .order_by("code", "pk")
        )
        self.fields["units"].widget.attrs["size"] = 8


class ActionForm(ServiceErrorsMixin, forms.Form):
    """A 是正処置 answering a finding: who does what, due in business days."""

    title = forms.CharField(label=_("title"), max_length=200)
    owner_number = forms.CharField(label=_("owner (employee number)"), max_length=20)
    due_business_days = forms.IntegerField(
        label=_("business days to complete"),
        min_value=1,
        max_value=250,
        initial=20,
        help_text=_(
            "The due date is this many business days from today (土日祝 and 年末年始 skipped)."
        ),
    )
    description = forms.CharField(
        label=_("description"), max_length=8000, required=False, widget=TEXTAREA
    )

    def __init__(self, *args: Any, municipality: Municipality, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        number = (data.get("owner_number") or "").strip()
        data["owner"] = None
        if number:
            data["owner"] = Person.objects.filter(
                municipality=self.municipality, employee_number=number
            ).first()
            if data["owner"] is None:
                self.add_error("owner_number", _("No member of staff has this employee number."))
        return data

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "title": data["title"],
            "owner": data["owner"],
            "due_business_days": data["due_business_days"],
            "description": data.get("description", ""),
        }

    def add_service_error(self, exc: Any) -> None:
        # The service names the owner and the due date by its own field names.
        if hasattr(exc, "error_dict"):
            renamed = {"owner": "owner_number", "due_date": "due_business_days"}
            for name, errors in exc.error_dict.items():
                target = renamed.get(name, name)
                for error in errors:
                    self.add_error(target if target in self.fields else None, error)
            return
        super().add_service_error(exc)


class ProgressForm(forms.Form):
    note = forms.CharField(label=_("progress"), max_length=4000, required=False, widget=TEXTAREA)
    done = forms.BooleanField(label=_("done"), required=False)


class VerifyForm(forms.Form):
    note = forms.CharField(label=_("note"), max_length=2000, required=False)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for sending back"), max_length=2000, required=False, widget=TEXTAREA
    )


class FindingFilterForm(forms.Form):
    """The filters of the finding list (GET)."""

    status = forms.ChoiceField(
        label=_("status"), choices=[("", _("all")), *Finding.Status.choices], required=False
    )
    severity = forms.ChoiceField(
        label=_("severity"),
        choices=[("", _("all")), *Finding.Severity.choices],
        required=False,
    )
    overdue = forms.BooleanField(label=_("with overdue corrective actions"), required=False)
    fiscal_year = forms.IntegerField(
        label=_("fiscal year"), min_value=2000, max_value=2100, required=False
    )
