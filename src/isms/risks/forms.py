"""Forms of the risk pages: they parse and label input; the services decide.

Assets are named by 管理番号 and people by 職員番号, never picked from a list of the whole
register or staff. A service's field-keyed ``ValidationError`` lands next to the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from isms.assets.common import language
from isms.assets.forms import find_person
from isms.assets.models import InformationAsset
from isms.core.forms import ServiceErrorsMixin
from isms.core.models import Municipality
from isms.policy.models import Control, ControlStandard

from .models import (
    MAX_GROUP_ASSETS,
    AssetGroup,
    Risk,
    RiskSettings,
    Threat,
    ThreatCategory,
    Vulnerability,
)

_SEPARATORS = str.maketrans({"、": " ", ",": " ", "，": " ", ";": " ", "\n": " ", "\r": " "})


def split_codes(text: str) -> list[str]:
    """Split a list of numbers or codes typed one a line, or separated by commas or spaces."""
    seen: dict[str, None] = {}
    for part in (text or "").translate(_SEPARATORS).split():
        seen.setdefault(part.strip(), None)
    return [p for p in seen if p]


__all__ = [
    "AcceptanceDecisionForm",
    "AcceptanceRequestForm",
    "AssetGroupForm",
    "ReassessForm",
    "RiskFilterForm",
    "RiskForm",
    "ScalesForm",
    "ThreatForm",
    "TreatmentForm",
    "VulnerabilityForm",
    "level_choices",
]


def level_choices(levels: list[dict[str, Any]], *, blank: bool = True) -> list[tuple[str, str]]:
    """Return a scale's levels as choices: ``3 — 時々起こる``."""
    key = "label_ja" if language() == "ja" else "label_en"
    choices = [(str(lv["value"]), f"{lv['value']} — {lv[key]}") for lv in levels]
    return ([("", "---------")] if blank else []) + choices


def _entry_label(entry: Threat | Vulnerability) -> str:
    name = entry.name_ja if language() == "ja" or not entry.name_en else entry.name_en
    return f"{entry.code} {name}"


class RiskForm(ServiceErrorsMixin, forms.Form):
    """Assess a risk: the asset (管理番号) or group, threat, vulnerability, likelihood, impact."""

    asset_number = forms.CharField(
        label=capfirst(_("asset number")),
        max_length=30,
        required=False,
        help_text=_("The asset's number in the register (管理番号)."),
    )
    asset_group = forms.TypedChoiceField(
        label=capfirst(_("asset group")), required=False, coerce=int, empty_value=None
    )
    threat = forms.TypedChoiceField(label=capfirst(_("threat")), coerce=int, empty_value=None)
    vulnerability = forms.TypedChoiceField(
        label=capfirst(_("vulnerability")), required=False, coerce=int, empty_value=None
    )
    scenario = forms.CharField(
        label=capfirst(_("risk scenario")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What could happen, and what would be lost."),
    )
    likelihood = forms.ChoiceField(label=capfirst(_("likelihood")))
    impact = forms.ChoiceField(
        label=capfirst(_("impact")),
        required=False,
        help_text=_("Leave the proposed impact unless you have a reason to differ."),
    )
    impact_override_reason = forms.CharField(
        label=capfirst(_("reason for another impact")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        municipality: Municipality,
        settings: RiskSettings,
        groups: list[AssetGroup],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        threats = Threat.objects.filter(municipality=municipality, active=True).order_by("code")
        by_category: dict[str, list[tuple[int, str]]] = {}
        for t in threats:
            by_category.setdefault(t.category, []).append((t.pk, _entry_label(t)))
        self.fields["threat"].choices = [("", "---------")] + [
            (str(label), by_category[value])
            for value, label in ThreatCategory.choices
            if value in by_category
        ]
        vulns = Vulnerability.objects.filter(municipality=municipality, active=True)
        self.fields["vulnerability"].choices = [("", "---------")] + [
            (v.pk, _entry_label(v)) for v in vulns.order_by("code")
        ]
        self.fields["asset_group"].choices = [("", "---------")] + [(g.pk, g.name) for g in groups]
        self.fields["likelihood"].choices = level_choices(settings.likelihood_levels)
        self.fields["impact"].choices = level_choices(settings.impact_levels)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        number = (data.get("asset_number") or "").strip()
        data["asset"] = None
        if number:
            data["asset"] = InformationAsset.objects.filter(
                municipality=self.municipality, asset_number=number
            ).first()
            if data["asset"] is None:
                # Not echoed back: a number that is not ours may be another municipality's.
                self.data = self.data.copy()
                self.data["asset_number"] = ""
                self.add_error(
                    "asset_number",
                    _("No asset of this municipality has that number. Check it."),
                )
        return data

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "asset": d.get("asset"),
            "asset_group": AssetGroup.objects.filter(
                municipality=self.municipality, pk=d.get("asset_group")
            ).first()
            if d.get("asset_group")
            else None,
            "threat": Threat.objects.filter(municipality=self.municipality, pk=d["threat"]).first(),
            "vulnerability": Vulnerability.objects.filter(
                municipality=self.municipality, pk=d.get("vulnerability")
            ).first()
            if d.get("vulnerability")
            else None,
            "scenario": d.get("scenario", ""),
            "likelihood": d.get("likelihood"),
            "impact": d.get("impact") or None,
            "impact_override_reason": d.get("impact_override_reason", ""),
        }

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "asset" in exc.error_dict:
            exc.error_dict["asset_number"] = exc.error_dict.pop("asset")
        super().add_service_error(exc)


class TreatmentForm(ServiceErrorsMixin, forms.Form):
    """Decide how a risk is treated, who owns it and the residual risk."""

    treatment = forms.ChoiceField(
        label=capfirst(_("treatment")),
        choices=Risk.Treatment.choices,
        widget=forms.RadioSelect,
    )
    control_codes = forms.CharField(
        label=capfirst(_("controls of the 対策基準")),
        required=False,
        max_length=2000,
        help_text=_(
            "The control IDs of the current 対策基準 that reduce the risk (for example 4.1.3), "
            "separated by commas or spaces."
        ),
    )
    controls = forms.CharField(
        label=capfirst(_("controls")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Other controls that reduce the risk, in your words, or to whom it is transferred."
        ),
    )
    control_note = forms.CharField(
        label=capfirst(_("note on controls")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    residual_likelihood = forms.ChoiceField(
        label=capfirst(_("residual likelihood")), required=False
    )
    residual_impact = forms.ChoiceField(label=capfirst(_("residual impact")), required=False)
    owner_number = forms.CharField(
        label=capfirst(_("risk owner")),
        max_length=20,
        required=False,
        help_text=_("The risk owner's employee number (職員番号)."),
    )

    def __init__(
        self,
        *args: Any,
        municipality: Municipality,
        settings: RiskSettings,
        risk: Risk | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        self.risk = risk
        self.fields["residual_likelihood"].choices = level_choices(settings.likelihood_levels)
        self.fields["residual_impact"].choices = level_choices(settings.impact_levels)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["catalog_controls"] = self._controls(data.get("control_codes") or "")
        number = data.get("owner_number") or ""
        data["owner"] = find_person(self.municipality, number)
        if number.strip() and data["owner"] is None:
            # Not echoed back: a number that is not ours may be another municipality's.
            self.data = self.data.copy()
            self.data["owner_number"] = ""
            self.add_error(
                "owner_number",
                _("No staff member of this municipality has that employee number. Check it."),
            )
        return data

    def _controls(self, text: str) -> list[Control]:
        """Resolve control IDs in the municipality's current 対策基準 (else the risk's own)."""
        codes = split_codes(text)
        if not codes:
            return []
        standard = ControlStandard.objects.filter(
            municipality=self.municipality, is_current=True
        ).first()
        if standard is None:
            self.add_error(
                "control_codes",
                _(
                    "This municipality has no 対策基準 in the system yet. Describe the controls "
                    "in the text field instead."
                ),
            )
            return []
        found = {c.code: c for c in Control.objects.filter(standard=standard, code__in=codes)}
        if self.risk is not None:
            for c in self.risk.catalog_controls.filter(code__in=codes):
                found.setdefault(c.code, c)
        missing = [c for c in codes if c not in found]
        if missing:
            self.add_error(
                "control_codes",
                _(
                    "%(codes)s: no such control ID in %(standard)s. Check the IDs against the "
                    "control catalog."
                )
                % {"codes": ", ".join(missing), "standard": standard},
            )
            return []
        return [found[c] for c in codes]

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "treatment": d["treatment"],
            "catalog_controls": d.get("catalog_controls", []),
            "owner": d.get("owner"),
            "controls": d.get("controls", ""),
            "control_note": d.get("control_note", ""),
            "residual_likelihood": d.get("residual_likelihood") or None,
            "residual_impact": d.get("residual_impact") or None,
        }

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict"):
            for name, field in (("owner", "owner_number"), ("catalog_controls", "control_codes")):
                if name in exc.error_dict:
                    exc.error_dict[field] = exc.error_dict.pop(name)
        super().add_service_error(exc)


class AcceptanceRequestForm(ServiceErrorsMixin, forms.Form):
    acceptance_note = forms.CharField(
        label=capfirst(_("note for the approver")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class AcceptanceDecisionForm(ServiceErrorsMixin, forms.Form):
    decision_reason = forms.CharField(
        label=capfirst(_("reason of the decision")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RiskFilterForm(forms.Form):
    """Filters of the register list (GET)."""

    unit = forms.TypedChoiceField(label=capfirst(_("owning unit")), required=False, coerce=int)
    segment = forms.ChoiceField(
        label=capfirst(_("network segment")),
        required=False,
        choices=[("", "---------"), *InformationAsset.Segment.choices],
    )
    level = forms.ChoiceField(
        label=capfirst(_("risk level")),
        required=False,
        choices=[
            ("", "---------"),
            ("low", _("Low")),
            ("medium", _("Medium")),
            ("high", _("High")),
            ("very_high", _("Very high")),
        ],
    )
    status = forms.ChoiceField(
        label=capfirst(_("status")),
        required=False,
        choices=[("", "---------"), *Risk.Status.choices],
    )
    threat_category = forms.ChoiceField(
        label=capfirst(_("threat category")),
        required=False,
        choices=[("", "---------"), *ThreatCategory.choices],
    )

    def __init__(self, *args: Any, units: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["unit"].choices = [("", "---------"), *units]


class ThreatForm(ServiceErrorsMixin, forms.Form):
    category = forms.ChoiceField(
        label=capfirst(_("threat category")), choices=ThreatCategory.choices
    )
    code = forms.CharField(label=capfirst(_("code")), max_length=20)
    name_ja = forms.CharField(label=capfirst(_("name (Japanese)")), max_length=200)
    name_en = forms.CharField(label=capfirst(_("name (English)")), max_length=200, required=False)
    description = forms.CharField(
        label=capfirst(_("description")), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class VulnerabilityForm(ServiceErrorsMixin, forms.Form):
    code = forms.CharField(label=capfirst(_("code")), max_length=20)
    name_ja = forms.CharField(label=capfirst(_("name (Japanese)")), max_length=200)
    name_en = forms.CharField(label=capfirst(_("name (English)")), max_length=200, required=False)
    description = forms.CharField(
        label=capfirst(_("description")), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def _scale_text(levels: list[dict[str, Any]]) -> str:
    return "\n".join(f"{lv['value']} | {lv['label_ja']} | {lv['label_en']}" for lv in levels)


def _parse_scale(text: str) -> list[dict[str, Any]]:
    levels: list[dict[str, Any]] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        parts += [""] * (3 - len(parts))
        value: Any = parts[0].translate(str.maketrans("０１２３４５６７８９", "0123456789"))
        if value.isdigit():
            value = int(value)
        levels.append({"value": value, "label_ja": parts[1], "label_en": parts[2]})
    return levels


class ScalesForm(ServiceErrorsMixin, forms.Form):
    """The scales as one line per level (``value | 日本語 | English``) and the three bands."""

    likelihood_levels = forms.CharField(
        label=capfirst(_("likelihood scale")),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One level a line: value | Japanese label | English label, from 1 upwards."),
    )
    impact_levels = forms.CharField(
        label=capfirst(_("impact scale")),
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("One level a line: value | Japanese label | English label, from 1 upwards."),
    )
    bands = forms.CharField(
        label=capfirst(_("risk level bands")),
        max_length=50,
        help_text=_(
            "The highest likelihood × impact of low, medium and high, e.g. 4, 9, 14; above "
            "is very high."
        ),
    )

    @staticmethod
    def initial_for(settings: RiskSettings) -> dict[str, str]:
        return {
            "likelihood_levels": _scale_text(settings.likelihood_levels),
            "impact_levels": _scale_text(settings.impact_levels),
            "bands": ", ".join(str(b) for b in settings.bands),
        }

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        bands: list[Any] = []
        for part in d["bands"].replace("、", ",").split(","):
            part = part.strip()
            if part:
                try:
                    bands.append(int(part))
                except ValueError:
                    bands.append(part)
        return {
            "likelihood_levels": _parse_scale(d["likelihood_levels"]),
            "impact_levels": _parse_scale(d["impact_levels"]),
            "bands": bands,
        }


class ReassessForm(ServiceErrorsMixin, forms.Form):
    """Change a recorded assessment: scenario, likelihood and impact (the proposal again)."""

    scenario = forms.CharField(
        label=capfirst(_("risk scenario")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("What could happen, and what would be lost."),
    )
    likelihood = forms.ChoiceField(label=capfirst(_("likelihood")))
    impact = forms.ChoiceField(
        label=capfirst(_("impact")),
        required=False,
        help_text=_("Leave the proposed impact unless you have a reason to differ."),
    )
    impact_override_reason = forms.CharField(
        label=capfirst(_("reason for another impact")),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(self, *args: Any, settings: RiskSettings, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["likelihood"].choices = level_choices(settings.likelihood_levels)
        self.fields["impact"].choices = level_choices(settings.impact_levels)

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        return {
            "likelihood": d.get("likelihood"),
            "impact": d.get("impact") or None,
            "impact_override_reason": d.get("impact_override_reason", ""),
            "scenario": d.get("scenario", ""),
        }


class AssetGroupForm(ServiceErrorsMixin, forms.Form):
    """Create or change an asset group: its name, unit (on creation) and assets by 管理番号."""

    name = forms.CharField(label=capfirst(_("name")), max_length=200)
    owning_unit = forms.TypedChoiceField(
        label=capfirst(_("owning unit")), coerce=int, empty_value=None
    )
    asset_numbers = forms.CharField(
        label=capfirst(_("assets")),
        required=False,
        # 500 numbers of up to 40 characters with their separators.
        max_length=MAX_GROUP_ASSETS * 42,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "The numbers (管理番号) of the unit's assets in the group, one a line or separated "
            "by commas."
        ),
    )

    def __init__(
        self,
        *args: Any,
        municipality: Municipality,
        units: list[tuple[int, str]] | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.municipality = municipality
        if units is None:  # editing: the unit stays
            del self.fields["owning_unit"]
        else:
            self.fields["owning_unit"].choices = [("", "---------"), *units]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        numbers = split_codes(data.get("asset_numbers") or "")
        if len(numbers) > MAX_GROUP_ASSETS:
            self.add_error(
                "asset_numbers",
                _(
                    "A group holds at most %(max)d assets; %(count)d numbers were given. Split "
                    "the assets into several groups."
                )
                % {"max": MAX_GROUP_ASSETS, "count": len(numbers)},
            )
            data["assets"] = []
            return data
        found = {
            a.asset_number: a
            for a in InformationAsset.objects.filter(
                municipality=self.municipality, asset_number__in=numbers
            )
        }
        missing = [n for n in numbers if n not in found]
        data["assets"] = [found[n] for n in numbers if n in found]
        if missing:
            # Not echoed back: a number that is not ours may be another municipality's.
            self.data = self.data.copy()
            self.data["asset_numbers"] = "\n".join(n for n in numbers if n in found)
            self.add_error(
                "asset_numbers",
                ngettext_lazy(
                    "%(count)d number names no asset of this municipality. Check it.",
                    "%(count)d numbers name no asset of this municipality. Check them.",
                    "count",
                )
                % {"count": len(missing)},
            )
        return data

    def service_data(self) -> dict[str, Any]:
        d = self.cleaned_data
        data: dict[str, Any] = {"name": d.get("name", ""), "assets": d.get("assets", [])}
        if "owning_unit" in self.fields:
            from isms.core.models import OrgUnit

            data["owning_unit"] = OrgUnit.objects.filter(
                municipality=self.municipality, pk=d.get("owning_unit")
            ).first()
        return data

    def add_service_error(self, exc: ValidationError) -> None:
        if hasattr(exc, "error_dict") and "assets" in exc.error_dict:
            exc.error_dict["asset_numbers"] = exc.error_dict.pop("assets")
        super().add_service_error(exc)
