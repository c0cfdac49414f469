"""Forms of the audit plan pages: they parse and label input; the services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from isms.core.forms import DateInput, ScopedChoiceField, ServiceErrorsMixin
from isms.core.models import Municipality, OrgUnit, Person, RoleAssignment
from isms.policy.models import Control, ControlStandard

from .models import Audit
from .services import AUDITOR_ROLES

CHAPTERS = [(n, str(n)) for n in range(1, 10)]
# Codes are separated by commas (half or full width), 読点 or blanks.
_CODE_SEPARATORS = re.compile(r"[,，、\s]+")
MAX_CODES = 500


class PlanForm(ServiceErrorsMixin, forms.Form):
    """A 監査実施計画's fiscal year, title and objective."""

    fiscal_year = forms.IntegerField(label=_("fiscal year"), min_value=2000, max_value=2100)
    title = forms.CharField(label=_("title"), max_length=200)
    objective = forms.CharField(
        label=_("objective"),
        max_length=8000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What the audits of the plan are to confirm, e.g. 対策基準 9.1 の遵守状況."),
    )

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "fiscal_year": data["fiscal_year"],
            "title": data["title"],
            "objective": data["objective"],
        }


class AuditorChoiceField(ScopedChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        unit = obj.org_unit.name if obj.org_unit_id else "-"
        return f"{obj} ({unit})"


class SystemChoiceField(ScopedChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        unit = obj.owning_unit.name if obj.owning_unit_id else "-"
        return f"{obj.name} ({unit})"


class AuditForm(ServiceErrorsMixin, forms.Form):
    """An audit of a plan; on creation also its 監査項目 (chapters, 重点項目, control codes)."""

    title = forms.CharField(label=_("title"), max_length=200)
    kind = forms.ChoiceField(label=_("kind"), choices=Audit.Kind.choices)
    org_unit = ScopedChoiceField(label=_("audited unit"), queryset=OrgUnit.objects.none())
    system = SystemChoiceField(
        label=_("information system"),
        queryset=OrgUnit.objects.none(),
        required=False,
        help_text=_("Optional: one information system of the audited unit."),
    )
    contractor = forms.CharField(
        label=_("contractor"),
        max_length=200,
        required=False,
        help_text=_("Optional: the contractor whose work for the unit is audited."),
    )
    external_firm = forms.CharField(
        label=_("audit firm"),
        max_length=200,
        required=False,
        help_text=_("Required for an external audit."),
    )
    starts_on = forms.DateField(label=_("starts on"), widget=DateInput())
    ends_on = forms.DateField(label=_("ends on"), widget=DateInput())
    chapters = forms.TypedMultipleChoiceField(
        label=_("chapters"),
        choices=CHAPTERS,
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The chapters of the 対策基準 to audit; none: every chapter."),
    )
    key_items_only = forms.BooleanField(label=_("重点項目 only"), required=False)
    control_codes = forms.CharField(
        label=_("control codes"),
        max_length=4000,
        required=False,
        help_text=_(
            "Optional: the codes of the controls to audit, separated by commas, e.g. 5.1.1, "
            "6.2.3 (narrowed by the chapters and 重点項目 chosen above)."
        ),
    )

    ITEM_FIELDS = ("chapters", "key_items_only", "control_codes")

    def __init__(
        self,
        *args: Any,
        municipality: Municipality,
        standard: ControlStandard,
        with_items: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        from isms.assets.models import InformationAsset

        self.standard = standard
        today = timezone.localdate()
        self.fields["org_unit"].queryset = OrgUnit.objects.filter(
            Q(abolished_on__isnull=True) | Q(abolished_on__gt=today), municipality=municipality
        ).order_by("code", "pk")
        self.fields["system"].queryset = (
            InformationAsset.objects.filter(
                municipality=municipality, kind=InformationAsset.Kind.SYSTEM_EQUIPMENT
            )
            .exclude(status=InformationAsset.Status.DISPOSED)
            .select_related("owning_unit")
            .order_by("name", "pk")
        )
        if not with_items:
            for name in self.ITEM_FIELDS:
                del self.fields[name]

    def clean_control_codes(self) -> list[Control]:
        raw = self.cleaned_data.get("control_codes") or ""
        codes = list(dict.fromkeys(c for c in _CODE_SEPARATORS.split(raw.strip()) if c))
        if not codes:
            return []
        if len(codes) > MAX_CODES:
            raise forms.ValidationError(
                _("Name at most %(n)s controls."), params={"n": MAX_CODES}, code="too_many"
            )
        found = {c.code: c for c in Control.objects.filter(standard=self.standard, code__in=codes)}
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise forms.ValidationError(
                _("These codes are not controls of the plan's 対策基準: %(codes)s. Check them."),
                params={"codes": ", ".join(unknown[:20])},
                code="unknown_codes",
            )
        return [found[c] for c in codes]

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        out = {
            name: data[name]
            for name in (
                "title",
                "kind",
                "org_unit",
                "system",
                "contractor",
                "external_firm",
                "starts_on",
                "ends_on",
            )
        }
        if "chapters" in self.fields:
            out |= {
                "chapters": data["chapters"] or None,
                "key_items_only": data["key_items_only"],
                "controls": data["control_codes"] or None,
            }
        return out


class AuditorForm(ServiceErrorsMixin, forms.Form):
    """Name an auditor (a holder of the 監査人 or 監査統括責任者 role today)."""

    person = AuditorChoiceField(label=_("auditor"), queryset=Person.objects.none())
    is_lead = forms.BooleanField(label=_("lead auditor"), required=False)
    reason = forms.CharField(
        label=_("Reason for the exception"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Only when the auditor belongs to the audited unit and it cannot be avoided: the "
            "reason is recorded with the exception (兼務の禁止の例外)."
        ),
    )

    def __init__(
        self, *args: Any, municipality: Municipality, offer_waiver: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = auditors_of(municipality)
        if not offer_waiver:
            del self.fields["reason"]


def auditors_of(municipality: Municipality) -> Any:
    """The municipality's current staff who hold an auditor role today."""
    today = timezone.localdate()
    holders = (
        RoleAssignment.objects.filter(
            municipality=municipality, role__in=AUDITOR_ROLES, start_date__lte=today
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values("person_id")
    )
    return (
        Person.objects.filter(pk__in=holders, municipality=municipality, is_active=True)
        .select_related("org_unit")
        .order_by("family_name_kana", "given_name_kana", "pk")
    )


class ApproveForm(forms.Form):
    approval_reference = forms.CharField(
        label=_("committee decision"),
        max_length=200,
        required=False,
        help_text=_("e.g. 令和8年度第1回情報セキュリティ委員会"),
    )


class ReturnPlanForm(forms.Form):
    reason = forms.CharField(
        label=_("reason for return"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
