"""Every write of the risks app: scales, own threats and vulnerabilities, asset groups, risks
(assessment, treatment, acceptance) and the yearly analysis.

Each service checks the permission (``permissions.require`` / the unit rules of
``visibility``), validates what the model cannot (field-keyed ``ValidationError``, nothing
saved), saves inside ``transaction.atomic()`` and journals in the same transaction. An actor of
None is system work (demo loader, CLI).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.common import FieldErrors
from isms.assets.models import InformationAsset
from isms.core import journal, permissions
from isms.core.models import Municipality, OrgUnit, Person, User
from isms.core.permissions import OWN_RIGHT, Action, Capacity, SeparationOfDutiesError
from isms.policy.models import Control

from . import proposal, scales
from .catalog import ensure_catalog
from .models import (
    MAX_GROUP_ASSETS,
    AssetGroup,
    Risk,
    RiskAnalysis,
    RiskSettings,
    Threat,
    ThreatCategory,
    Vulnerability,
)
from .visibility import assess_capacity, can_view

__all__ = [
    "approve_acceptance",
    "assess_risk",
    "create_asset_group",
    "create_threat",
    "create_vulnerability",
    "impact_facts",
    "propose",
    "reassess_risk",
    "record_analysis",
    "reject_acceptance",
    "request_acceptance",
    "set_entry_active",
    "treat_risk",
    "update_asset_group",
    "update_scales",
]

TEXT_MAX = 4000
MIN_FISCAL_YEAR, MAX_FISCAL_YEAR = 2000, 2100


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person.objects.filter(user=user).first()


def _snapshot(obj: Any) -> dict[str, Any]:
    """The journal's view of a record; many-to-many links as sorted ids (codes for controls)."""
    if isinstance(obj, Risk):
        data = journal.snapshot(obj, exclude=("created_at", "updated_at", "catalog_controls"))
        if obj.pk:
            data["catalog_controls"] = sorted(
                f"{c.standard_id}:{c.code}" for c in obj.catalog_controls.all()
            )
        return data
    if isinstance(obj, AssetGroup):
        data = journal.snapshot(obj, exclude=("assets",))
        data["assets"] = sorted(obj.assets.values_list("pk", flat=True)) if obj.pk else []
        return data
    return journal.snapshot(obj, exclude=("created_at", "updated_at"))


def _text(value: Any, name: str, errors: FieldErrors, *, required: str | None = None) -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.add(name, required)
    if len(text) > TEXT_MAX:
        errors.add(
            name, _("The text is too long (at most %(max)d characters).") % {"max": TEXT_MAX}
        )
    return text


# --- scales -----------------------------------------------------------------------------------


def _scale_messages(problems: list[scales.ScaleProblem]) -> list[str]:
    messages = []
    for p in problems:
        values = ", ".join(str(v) for v in p.values)
        messages.append(
            {
                "empty": _("Give at least two levels, numbered from 1."),
                "too_many": _("Give at most %(max)d levels.") % {"max": scales.MAX_LEVELS},
                "not_a_number": _("Every level needs a whole number as its value."),
                "duplicate": _(
                    "Level %(values)s appears more than once. Give each level its own number."
                )
                % {"values": values},
                "gap": _("Level %(values)s is missing: number the levels 1, 2, 3 … without gaps.")
                % {"values": values},
                "not_ascending": _("List the levels in ascending order (1 first)."),
                "no_label": _(
                    "Level %(values)s has no label. Give it a Japanese and an English label."
                )
                % {"values": values},
                "bands": _(
                    "Give three ascending scores (the highest score of low, medium and high), "
                    "each below the largest likelihood × impact."
                ),
            }[p.code]
        )
    return messages


def update_scales(
    actor: User | None,
    municipality: Municipality,
    *,
    likelihood_levels: Any,
    impact_levels: Any,
    bands: Any,
) -> RiskSettings:
    """Replace the municipality's scales and bands (validated: no gap, no duplicate, ascending).

    A scale may not lose a level that a risk of the municipality still uses.
    """
    if actor is not None:
        permissions.require(actor, Action.MANAGE_RISK_CATALOG, municipality=municipality)
    errors = FieldErrors()
    for name, levels in (
        ("likelihood_levels", likelihood_levels),
        ("impact_levels", impact_levels),
    ):
        for message in _scale_messages(scales.check_scale(levels)):
            errors.add(name, message)
    errors.raise_if_any()
    max_score = len(likelihood_levels) * len(impact_levels)
    for message in _scale_messages(scales.check_bands(bands, max_score=max_score)):
        errors.add("bands", message)
    risks = Risk.objects.filter(municipality=municipality)
    for name, fields, levels in (
        ("likelihood_levels", ("likelihood", "residual_likelihood"), likelihood_levels),
        ("impact_levels", ("impact", "residual_impact"), impact_levels),
    ):
        top = len(levels)
        if any(risks.filter(**{f"{f}__gt": top}).exists() for f in fields):
            errors.add(
                name,
                _(
                    "Risks are assessed with levels above %(top)d. Keep those levels, or "
                    "reassess those risks first."
                )
                % {"top": top},
            )
    errors.raise_if_any()
    settings = ensure_catalog(municipality)
    with transaction.atomic():
        current = RiskSettings.objects.select_for_update().get(pk=settings.pk)
        before = _snapshot(current)
        current.likelihood_levels = likelihood_levels
        current.impact_levels = impact_levels
        current.bands = bands
        current.save(update_fields=["likelihood_levels", "impact_levels", "bands"])
        _relevel(current)
        journal.record(
            actor=actor,
            action="risk_scales.update",
            obj=current,
            before=before,
            after=_snapshot(current),
        )
    return current


def _relevel(settings: RiskSettings) -> None:
    """Recompute the levels of the municipality's risks after the bands changed."""
    changed = []
    for risk in Risk.objects.filter(municipality_id=settings.municipality_id):
        before = (risk.inherent_level, risk.residual_level, risk.current_level)
        _derive(risk, settings)
        if (risk.inherent_level, risk.residual_level, risk.current_level) != before:
            changed.append(risk)
    Risk.objects.bulk_update(
        changed, ["inherent_level", "residual_level", "current_level"], batch_size=500
    )


# --- catalog entries ----------------------------------------------------------------------------


def _catalog_entry(
    actor: User | None,
    municipality: Municipality,
    model: type[Threat] | type[Vulnerability],
    data: dict[str, Any],
    errors: FieldErrors,
) -> Any:
    if actor is not None:
        permissions.require(actor, Action.MANAGE_RISK_CATALOG, municipality=municipality)
    ensure_catalog(municipality)
    code = _text(data.get("code"), "code", errors, required=_("Give the entry a code."))
    if len(code) > 20:
        errors.add("code", _("The code is too long (at most 20 characters)."))
    name_ja = _text(data.get("name_ja"), "name_ja", errors, required=_("Give the Japanese name."))
    if len(name_ja) > 200:
        errors.add("name_ja", _("The name is too long (at most 200 characters)."))
    name_en = _text(data.get("name_en"), "name_en", errors)[:200]
    description = _text(data.get("description"), "description", errors)
    if code and model.objects.filter(municipality=municipality, code=code).exists():
        errors.add("code", _("Code %(code)s is already used. Choose another.") % {"code": code})
    fields = {"code": code, "name_ja": name_ja, "name_en": name_en, "description": description}
    if model is Threat:
        category = data.get("category") or ""
        if category not in ThreatCategory.values:
            errors.add("category", _("Choose one of the five threat categories of seed 2.3."))
        fields["category"] = category
    errors.raise_if_any()
    try:
        with transaction.atomic():
            entry = model.objects.create(municipality=municipality, builtin=False, **fields)
            journal.record(
                actor=actor,
                action=f"{model._meta.model_name}.create",
                obj=entry,
                after=_snapshot(entry),
            )
    except IntegrityError:
        raise ValidationError(
            {"code": _("Code %(code)s is already used. Choose another.") % {"code": code}}
        ) from None
    return entry


def create_threat(actor: User | None, municipality: Municipality, **data: Any) -> Threat:
    """Add a threat of the municipality's own to a category of seed 2.3."""
    entry: Threat = _catalog_entry(actor, municipality, Threat, data, FieldErrors())
    return entry


def create_vulnerability(
    actor: User | None, municipality: Municipality, **data: Any
) -> Vulnerability:
    """Add a vulnerability of the municipality's own."""
    entry: Vulnerability = _catalog_entry(actor, municipality, Vulnerability, data, FieldErrors())
    return entry


def set_entry_active(
    actor: User | None, entry: Threat | Vulnerability, *, active: bool
) -> Threat | Vulnerability:
    """Switch a threat or vulnerability off (no longer offered for new assessments) or on again.

    The risks already assessed with it keep it. Switching to the state it is in changes nothing
    and writes nothing.
    """
    if actor is not None:
        permissions.require(actor, Action.MANAGE_RISK_CATALOG, entry)
    if not isinstance(active, bool):
        raise ValidationError({"active": _("Say whether the entry is in use (true or false).")})
    model = type(entry)
    with transaction.atomic():
        current = model.objects.select_for_update().get(pk=entry.pk)
        if current.active == active:
            return current
        before = _snapshot(current)
        current.active = entry.active = active
        current.save(update_fields=["active"])
        journal.record(
            actor=actor,
            action=f"{model._meta.model_name}.{'activate' if active else 'deactivate'}",
            obj=current,
            before=before,
            after=_snapshot(current),
        )
    return current


# --- asset groups -----------------------------------------------------------------------------

DISPOSED = InformationAsset.Status.DISPOSED


def _disposed_message(asset: InformationAsset) -> str:
    return _(
        "%(asset)s has been disposed of: its risks are no longer assessed. Choose an asset "
        "that is still held."
    ) % {"asset": asset}


def _too_many_members(count: int) -> str:
    return _(
        "A group holds at most %(max)d assets; %(count)d were given. Split the assets into "
        "several groups."
    ) % {"max": MAX_GROUP_ASSETS, "count": count}


def _group_members(
    municipality: Municipality,
    owning_unit: OrgUnit | None,
    members: list[InformationAsset],
    errors: FieldErrors,
) -> None:
    if not members:
        errors.add("assets", _("Choose at least one asset: a group cannot be empty."))
    if len(members) > MAX_GROUP_ASSETS:
        errors.add("assets", _too_many_members(len(members)))
        return
    for asset in members:
        if asset.municipality_id != municipality.pk:
            errors.add("assets", _("Choose assets of this municipality."))
            return
    for asset in members:
        if asset.status == DISPOSED:
            errors.add("assets", _disposed_message(asset))
        elif owning_unit is not None and asset.owning_unit_id != owning_unit.pk:
            errors.add(
                "assets",
                _(
                    "%(asset)s belongs to another unit. A group holds the assets of its own "
                    "unit (%(unit)s) only."
                )
                % {"asset": asset.asset_number, "unit": owning_unit.name},
            )


def _group_name(
    municipality: Municipality, name: Any, errors: FieldErrors, *, exclude: int | None = None
) -> str:
    text = _text(name, "name", errors, required=_("Give the group a name."))
    if len(text) > 200:
        errors.add("name", _("The name is too long (at most 200 characters)."))
    same = AssetGroup.objects.filter(municipality=municipality, name=text)
    if exclude is not None:
        same = same.exclude(pk=exclude)
    if text and same.exists():
        errors.add(
            "name",
            _("A group named %(name)s exists already. Choose another name.") % {"name": text},
        )
    return text


def create_asset_group(
    actor: User | None,
    municipality: Municipality,
    *,
    name: str,
    owning_unit: OrgUnit | None,
    assets: Iterable[InformationAsset],
) -> AssetGroup:
    """Name a set of one unit's assets that are assessed together (not empty, none disposed)."""
    if actor is not None:
        permissions.require(actor, Action.ASSESS_RISKS, municipality=municipality)
    errors = FieldErrors()
    members = list(assets)
    if owning_unit is None or owning_unit.municipality_id != municipality.pk:
        errors.add("owning_unit", _("Choose the unit that owns the assets."))
        owning_unit = None
    name = _group_name(municipality, name, errors)
    _group_members(municipality, owning_unit, members, errors)
    errors.raise_if_any()
    assert owning_unit is not None
    capacity = (
        assess_capacity(actor, municipality.pk, owning_unit.pk) if actor is not None else OWN_RIGHT
    )
    try:
        with transaction.atomic():
            group = AssetGroup.objects.create(
                municipality=municipality, name=name, owning_unit=owning_unit
            )
            group.assets.set(members)
            journal.record(
                actor=actor,
                action="asset_group.create",
                obj=group,
                after=_snapshot(group),
                on_behalf_of=capacity.label,
            )
    except IntegrityError:
        raise ValidationError(
            {
                "name": _("A group named %(name)s exists already. Choose another name.")
                % {"name": name}
            }
        ) from None
    return group


def update_asset_group(
    actor: User | None,
    group: AssetGroup,
    *,
    name: str,
    assets: Iterable[InformationAsset],
) -> AssetGroup:
    """Rename a group or change its members (the owning unit stays).

    The same rules as creating it. Risks already assessed for the group keep their values and
    the proposal they were given; reassess them to see the new members' proposal. A change of
    members voids a requested or decided acceptance of the group's risks (the accepted risk was
    that of the former members), in the same transaction and journaled
    (``risk.acceptance_voided``): the acceptance is requested again.
    """
    municipality = group.municipality
    capacity = (
        assess_capacity(actor, group.municipality_id, group.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    errors = FieldErrors()
    members = list(assets)
    name = _group_name(municipality, name, errors, exclude=group.pk)
    _group_members(municipality, group.owning_unit, members, errors)
    errors.raise_if_any()
    try:
        with transaction.atomic():
            current = AssetGroup.objects.select_for_update().get(pk=group.pk)
            before = _snapshot(current)
            former = set(current.assets.values_list("pk", flat=True))
            current.name = name
            current.save(update_fields=["name"])
            current.assets.set(members)
            after = _snapshot(current)
            if after != before:
                journal.record(
                    actor=actor,
                    action="asset_group.update",
                    obj=current,
                    before=before,
                    after=after,
                    on_behalf_of=capacity.label,
                )
            if {a.pk for a in members} != former:
                _void_group_acceptances(actor, current, capacity)
    except IntegrityError:
        raise ValidationError(
            {
                "name": _("A group named %(name)s exists already. Choose another name.")
                % {"name": name}
            }
        ) from None
    return current


def acceptances_voided_by_member_change(group: AssetGroup) -> list[Risk]:
    """The group's risks whose acceptance (requested or decided) a change of members voids."""
    return list(
        Risk.objects.filter(
            asset_group=group,
            status__in=[Risk.Status.ACCEPTANCE_REQUESTED, Risk.Status.ACCEPTED],
        ).order_by("fiscal_year", "pk")
    )


def _void_group_acceptances(actor: User | None, group: AssetGroup, capacity: Capacity) -> None:
    """Void the acceptance of the group's risks (inside the caller's transaction)."""
    for risk in (
        Risk.objects.select_for_update()
        .filter(pk__in=[r.pk for r in acceptances_voided_by_member_change(group)])
        .order_by("pk")
    ):
        before = _snapshot(risk)
        _void_acceptance(risk)
        risk.save()
        journal.record(
            actor=actor,
            action="risk.acceptance_voided",
            obj=risk,
            before=before,
            after={**_snapshot(risk), "reason": "asset_group_members_changed"},
            on_behalf_of=capacity.label,
        )


# --- the proposal -------------------------------------------------------------------------------


def impact_facts(subject: InformationAsset | AssetGroup) -> proposal.AssetImpactFacts:
    """Return what the proposal reads of an asset, or the strictest of a group's assets."""
    if isinstance(subject, AssetGroup):
        return proposal.strictest([impact_facts(a) for a in subject.assets.all()])
    return proposal.AssetImpactFacts(
        scheme=subject.scheme,
        confidentiality=subject.confidentiality,
        integrity=subject.integrity,
        availability=subject.availability,
        holds_personal_info=subject.holds_personal_info,
        number_of_persons=subject.number_of_persons,
        holds_specific_personal_info=subject.holds_specific_personal_info,
        holds_sensitive_personal_info=subject.holds_sensitive_personal_info,
        segment=subject.segment,
    )


def propose(subject: InformationAsset | AssetGroup, settings: RiskSettings) -> proposal.Proposal:
    """Return the proposed impact of ``subject`` on the municipality's impact scale."""
    return proposal.propose_impact(impact_facts(subject), levels=len(settings.impact_levels))


def _reasons(p: proposal.Proposal) -> list[dict[str, Any]]:
    return [
        {"criterion": r.criterion, "value": r.value, "level": r.level, "decisive": r.decisive}
        for r in p.reasons
    ]


# --- risks ------------------------------------------------------------------------------------


def _derive(risk: Risk, settings: RiskSettings) -> None:
    """Set the levels and the current position of ``risk`` from its values and the bands."""
    bands = settings.bands
    risk.inherent_level = scales.risk_level(risk.likelihood, risk.impact, bands)
    if risk.treatment and risk.residual_likelihood and risk.residual_impact:
        risk.residual_level = scales.risk_level(
            risk.residual_likelihood, risk.residual_impact, bands
        )
        risk.current_likelihood = risk.residual_likelihood
        risk.current_impact = risk.residual_impact
        risk.current_level = risk.residual_level
    else:
        risk.residual_level = ""
        risk.current_likelihood = risk.likelihood
        risk.current_impact = risk.impact
        risk.current_level = risk.inherent_level
    risk.current_score = risk.current_likelihood * risk.current_impact


def _level(value: Any, name: str, top: int, errors: FieldErrors, *, required: bool = True) -> int:
    if value in (None, ""):
        if required:
            errors.add(name, _("Choose a level."))
        return 0
    try:
        level = int(value)
    except (TypeError, ValueError):
        errors.add(name, _("Choose a level from 1 to %(top)d.") % {"top": top})
        return 0
    if not 1 <= level <= top:
        errors.add(name, _("Choose a level from 1 to %(top)d.") % {"top": top})
        return 0
    return level


def _subject(
    municipality: Municipality,
    asset: InformationAsset | None,
    asset_group: AssetGroup | None,
    errors: FieldErrors,
) -> InformationAsset | AssetGroup | None:
    if (asset is None) == (asset_group is None):
        errors.add("asset", _("Choose either an asset or an asset group."))
        return None
    if asset is not None:
        if asset.municipality_id != municipality.pk:
            errors.add("asset", _("No asset of this municipality has that number. Check it."))
            return None
        if asset.status == DISPOSED:
            errors.add("asset", _disposed_message(asset))
            return None
        return asset
    assert asset_group is not None
    if asset_group.municipality_id != municipality.pk:
        errors.add("asset_group", _("Choose an asset group of this municipality."))
        return None
    for member in asset_group.assets.all():
        if member.status == DISPOSED:
            errors.add("asset_group", _disposed_message(member))
            return None
    return asset_group


def _same_risk(risk: Risk) -> bool:
    qs = Risk.objects.filter(
        municipality_id=risk.municipality_id,
        fiscal_year=risk.fiscal_year,
        asset_id=risk.asset_id,
        asset_group_id=risk.asset_group_id,
        threat_id=risk.threat_id,
        vulnerability_id=risk.vulnerability_id,
    )
    if risk.pk:
        qs = qs.exclude(pk=risk.pk)
    return qs.exists()


def assess_risk(
    actor: User | None,
    municipality: Municipality,
    *,
    fiscal_year: int,
    threat: Threat | None,
    likelihood: Any,
    asset: InformationAsset | None = None,
    asset_group: AssetGroup | None = None,
    vulnerability: Vulnerability | None = None,
    scenario: str = "",
    impact: Any = None,
    impact_override_reason: str = "",
) -> Risk:
    """Record the inherent risk of a threat to an asset (or group) for a fiscal year.

    The impact is proposed from the asset (``propose``); an impact other than the proposal
    needs a reason. A disposed asset is refused; so is a second risk of the same asset, threat
    and vulnerability in the same year.
    """
    if actor is not None:
        permissions.require(actor, Action.ASSESS_RISKS, municipality=municipality)
    settings = ensure_catalog(municipality)
    errors = FieldErrors()
    subject = _subject(municipality, asset, asset_group, errors)
    if not isinstance(fiscal_year, int) or not MIN_FISCAL_YEAR <= fiscal_year <= MAX_FISCAL_YEAR:
        errors.add("fiscal_year", _("Give a fiscal year between 2000 and 2100."))
    if threat is None or threat.municipality_id != municipality.pk:
        errors.add("threat", _("Choose a threat of the catalog."))
    elif not threat.active:
        errors.add("threat", _("This threat is no longer in use. Choose another."))
    if vulnerability is not None and vulnerability.municipality_id != municipality.pk:
        errors.add("vulnerability", _("Choose a vulnerability of the catalog."))
    elif vulnerability is not None and not vulnerability.active:
        errors.add("vulnerability", _("This vulnerability is no longer in use. Choose another."))
    like = _level(likelihood, "likelihood", len(settings.likelihood_levels), errors)
    scenario = _text(scenario, "scenario", errors)
    reason = _text(impact_override_reason, "impact_override_reason", errors)
    if subject is None:
        errors.raise_if_any()
    assert subject is not None
    proposed = propose(subject, settings)
    chosen = (
        proposed.level
        if impact in (None, "")
        else _level(impact, "impact", len(settings.impact_levels), errors)
    )
    if chosen and chosen != proposed.level and not reason:
        errors.add(
            "impact_override_reason",
            _(
                "The proposed impact is %(proposed)d. Say why you chose %(chosen)d, or keep "
                "the proposal."
            )
            % {"proposed": proposed.level, "chosen": chosen},
        )
    risk = Risk(
        municipality=municipality,
        fiscal_year=fiscal_year,
        asset=asset,
        asset_group=asset_group,
        owning_unit_id=subject.owning_unit_id,
        segment=asset.segment if asset is not None else "",
        threat=threat,
        vulnerability=vulnerability,
        scenario=scenario,
        likelihood=like,
        impact=chosen,
        proposed_impact=proposed.level,
        impact_reasons=_reasons(proposed),
        impact_override_reason=reason if chosen != proposed.level else "",
        assessed_by=actor,
    )
    if not errors.by_field and _same_risk(risk):
        errors.add(
            "threat",
            _(
                "This asset already has a risk of this threat and vulnerability in this fiscal "
                "year. Open that risk instead."
            ),
        )
    errors.raise_if_any()
    capacity = (
        assess_capacity(actor, municipality.pk, subject.owning_unit_id)
        if actor is not None
        else OWN_RIGHT
    )
    _derive(risk, settings)
    with transaction.atomic():
        risk.save()
        journal.record(
            actor=actor,
            action="risk.assess",
            obj=risk,
            after=_snapshot(risk),
            on_behalf_of=capacity.label,
        )
    return risk


def _editable(actor: User | None, risk: Risk) -> Capacity:
    if actor is None:
        return OWN_RIGHT
    permissions.require(actor, Action.ASSESS_RISKS, risk)
    return assess_capacity(actor, risk.municipality_id, risk.owning_unit_id)


def _locked(risk: Risk) -> Risk:
    return Risk.objects.select_for_update().select_related("threat").get(pk=risk.pk)


def _still_held(risk: Risk, errors: FieldErrors) -> InformationAsset | AssetGroup | None:
    """The risk's asset or group, unless an asset of it has been disposed of (an error)."""
    subject: InformationAsset | AssetGroup = (
        InformationAsset.objects.get(pk=risk.asset_id)
        if risk.asset_id
        else AssetGroup.objects.get(pk=risk.asset_group_id)
    )
    members = [subject] if isinstance(subject, InformationAsset) else list(subject.assets.all())
    for asset in members:
        if asset is not None and asset.status == DISPOSED:
            errors.add("asset" if risk.asset_id else "asset_group", _disposed_message(asset))
            return None
    return subject


def reassess_risk(
    actor: User | None,
    risk: Risk,
    *,
    likelihood: Any,
    impact: Any,
    impact_override_reason: str = "",
    scenario: str = "",
) -> Risk:
    """Change the inherent likelihood, impact and scenario of a recorded risk.

    The same rules as assessing: the impact is proposed again from the asset (or group) as it is
    now, another impact needs a reason, a disposed asset is refused. A residual risk above the
    new inherent one is brought down to it. When the assessment changes, a requested or decided
    acceptance no longer holds (the risk goes back to its treatment); an unchanged assessment
    changes nothing and writes nothing.
    """
    capacity = _editable(actor, risk)
    settings = ensure_catalog(risk.municipality_id)
    errors = FieldErrors()
    subject = _still_held(risk, errors)
    errors.raise_if_any()
    assert subject is not None
    proposed = propose(subject, settings)
    like = _level(likelihood, "likelihood", len(settings.likelihood_levels), errors)
    imp = (
        proposed.level
        if impact in (None, "")
        else _level(impact, "impact", len(settings.impact_levels), errors)
    )
    reason = _text(impact_override_reason, "impact_override_reason", errors)
    scenario = _text(scenario, "scenario", errors)
    if imp and imp != proposed.level and not reason:
        errors.add(
            "impact_override_reason",
            _(
                "The proposed impact is %(proposed)d. Say why you chose %(chosen)d, or keep "
                "the proposal."
            )
            % {"proposed": proposed.level, "chosen": imp},
        )
    errors.raise_if_any()
    with transaction.atomic():
        current = _locked(risk)
        before = _snapshot(current)
        assessed = (current.likelihood, current.impact, current.scenario)
        current.likelihood, current.impact, current.scenario = like, imp, scenario
        current.proposed_impact = proposed.level
        current.impact_reasons = _reasons(proposed)
        current.impact_override_reason = reason if imp != proposed.level else ""
        residual = (current.residual_likelihood or 0) * (current.residual_impact or 0)
        if residual > like * imp:
            current.residual_likelihood, current.residual_impact = like, imp
        if (like, imp, scenario) != assessed:
            _void_acceptance(current)
        _derive(current, settings)
        after = _snapshot(current)
        if after == before:
            return current
        current.save()
        journal.record(
            actor=actor,
            action="risk.reassess",
            obj=current,
            before=before,
            after=_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return current


def _void_acceptance(risk: Risk) -> None:
    risk.status = Risk.Status.TREATED if risk.treatment else Risk.Status.ASSESSED
    risk.acceptance_requested_by = None
    risk.acceptance_requested_at = None
    risk.accepted_by = None
    risk.accepted_at = None
    risk.accepted_on_behalf_of = ""


def treat_risk(
    actor: User | None,
    risk: Risk,
    *,
    treatment: str,
    owner: Person | None,
    controls: str = "",
    control_note: str = "",
    residual_likelihood: Any = None,
    residual_impact: Any = None,
    catalog_controls: Iterable[Control] | None = None,
) -> Risk:
    """Decide the treatment (reduce / accept / transfer / avoid), its owner and the residual risk.

    The controls are named as free text, or as controls of the municipality's current 対策基準
    (``catalog_controls``; a control the risk already links, of an earlier version, may stay),
    or both. ``catalog_controls=None`` keeps the links the risk has; an empty list clears them.
    The residual risk defaults to the inherent one and may not exceed it. A decided acceptance
    no longer holds after a change of treatment.
    """
    capacity = _editable(actor, risk)
    settings = ensure_catalog(risk.municipality_id)
    errors = FieldErrors()
    if treatment not in Risk.Treatment.values:
        errors.add("treatment", _("Choose reduce, accept, transfer or avoid."))
    if owner is None:
        errors.add(
            "owner",
            _("Name the risk owner (職員番号): the person who answers for this risk."),
        )
    elif owner.municipality_id != risk.municipality_id or not owner.is_active:
        errors.add("owner", _("The risk owner must be active staff of this municipality."))
    controls = _text(controls, "controls", errors)
    control_note = _text(control_note, "control_note", errors)
    linked = (
        list(risk.catalog_controls.all())
        if catalog_controls is None
        else _catalog_controls(risk, catalog_controls, errors)
    )
    if treatment == Risk.Treatment.REDUCE and not controls and not linked:
        errors.add(
            "controls",
            _(
                "Name the controls that reduce the risk: controls of the 対策基準, or a "
                "description."
            ),
        )
    elif treatment == Risk.Treatment.TRANSFER and not controls:
        errors.add("controls", _("Say to whom the risk is transferred, and how."))
    r_like = (
        _level(
            residual_likelihood,
            "residual_likelihood",
            len(settings.likelihood_levels),
            errors,
            required=False,
        )
        or risk.likelihood
    )
    r_imp = (
        _level(
            residual_impact, "residual_impact", len(settings.impact_levels), errors, required=False
        )
        or risk.impact
    )
    if r_like * r_imp > risk.likelihood * risk.impact:
        errors.add(
            "residual_likelihood",
            _(
                "The residual risk (%(residual)d) cannot be higher than the inherent risk "
                "(%(inherent)d). Lower the residual likelihood or impact."
            )
            % {"residual": r_like * r_imp, "inherent": risk.likelihood * risk.impact},
        )
    errors.raise_if_any()
    with transaction.atomic():
        current = _locked(risk)
        before = _snapshot(current)
        current.treatment = treatment
        current.owner = owner
        current.controls = controls
        current.control_note = control_note
        current.catalog_controls.set(linked)
        current.residual_likelihood = r_like
        current.residual_impact = r_imp
        _void_acceptance(current)
        current.status = Risk.Status.TREATED
        _derive(current, settings)
        current.save()
        journal.record(
            actor=actor,
            action="risk.treat",
            obj=current,
            before=before,
            after=_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return current


def _catalog_controls(
    risk: Risk, given: Iterable[Control] | None, errors: FieldErrors
) -> list[Control]:
    """The controls of the 対策基準 a treatment names: the municipality's current version's."""
    chosen = list(given or [])
    if not chosen:
        return []
    kept = set(risk.catalog_controls.values_list("pk", flat=True)) if risk.pk else set()
    ok = set(
        Control.objects.filter(
            pk__in=[c.pk for c in chosen],
            standard__municipality_id=risk.municipality_id,
        )
        .filter(Q(standard__is_current=True) | Q(pk__in=kept))
        .values_list("pk", flat=True)
    )
    for control in chosen:
        if control.pk not in ok:
            errors.add(
                "catalog_controls",
                _(
                    "Control %(code)s is not in the current 対策基準 of this municipality. Choose "
                    "controls of the current version."
                )
                % {"code": control.code},
            )
            return []
    return list({c.pk: c for c in chosen}.values())


def request_acceptance(actor: User | None, risk: Risk, *, note: str = "") -> Risk:
    """Ask a lead to accept the residual risk (after the treatment is decided)."""
    capacity = _editable(actor, risk)
    errors = FieldErrors()
    note = _text(note, "acceptance_note", errors)
    errors.raise_if_any()
    with transaction.atomic():
        current = _locked(risk)
        if current.status != Risk.Status.TREATED:
            raise ValidationError(
                _("Decide the treatment first; only a treated risk can be put up for acceptance.")
                if current.status == Risk.Status.ASSESSED
                else _("The acceptance of this risk is already requested or decided.")
            )
        before = _snapshot(current)
        current.status = Risk.Status.ACCEPTANCE_REQUESTED
        current.acceptance_requested_by = actor
        current.acceptance_requested_at = timezone.now()
        current.acceptance_note = note
        current.decision_reason = ""
        current.save()
        journal.record(
            actor=actor,
            action="risk.request_acceptance",
            obj=current,
            before=before,
            after=_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return current


def _decide(actor: User, risk: Risk, *, accept: bool, reason: str) -> Risk:
    capacity = permissions.require(actor, Action.APPROVE_RISK_ACCEPTANCE, risk)
    if not can_view(actor, risk):
        raise PermissionDenied(_("You are not allowed to do this."))
    if risk.status != Risk.Status.ACCEPTANCE_REQUESTED:
        raise ValidationError(_("No acceptance of this risk is awaiting a decision."))
    approver = _person(actor)
    for person in (approver, capacity.on_behalf_of):
        if accept and person is not None and person.pk == risk.owner_id:
            raise SeparationOfDutiesError(
                {
                    "approver": ValidationError(
                        _(
                            "%(person)s owns this risk and cannot accept it (兼務の禁止). "
                            "Another lead decides."
                        )
                        % {"person": person},
                        code="sod_owner_approver",
                    )
                }
            )
    try:
        permissions.check_separation(
            applicant=_person(risk.acceptance_requested_by),
            approver=approver,
            subject=f"risks.risk:{risk.pk}",
            on_behalf_of=capacity.on_behalf_of,
        )
    except SeparationOfDutiesError as exc:
        raise SeparationOfDutiesError({"approver": exc.error_list}) from exc
    if risk.acceptance_requested_by_id == actor.pk:
        raise SeparationOfDutiesError(
            {
                "approver": ValidationError(
                    _("You asked for this yourself; another person must decide (兼務の禁止)."),
                    code="sod_applicant_approver",
                )
            }
        )
    with transaction.atomic():
        current = _locked(risk)
        if current.status != Risk.Status.ACCEPTANCE_REQUESTED:
            raise ValidationError(_("No acceptance of this risk is awaiting a decision."))
        before = _snapshot(current)
        current.status = Risk.Status.ACCEPTED if accept else Risk.Status.TREATED
        current.accepted_by = actor if accept else None
        current.accepted_at = timezone.now() if accept else None
        current.accepted_on_behalf_of = capacity.label if accept else ""
        current.decision_reason = reason
        current.save()
        journal.record(
            actor=actor,
            action="risk.accept" if accept else "risk.reject_acceptance",
            obj=current,
            before=before,
            after=_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return current


def approve_acceptance(actor: User, risk: Risk, *, reason: str = "") -> Risk:
    """Accept the residual risk: a lead who is neither the owner nor the requester."""
    errors = FieldErrors()
    text = _text(reason, "decision_reason", errors)
    errors.raise_if_any()
    return _decide(actor, risk, accept=True, reason=text)


def reject_acceptance(actor: User, risk: Risk, *, reason: str) -> Risk:
    """Send the risk back for another treatment, saying why."""
    errors = FieldErrors()
    text = _text(
        reason, "decision_reason", errors, required=_("Say why the residual risk is not accepted.")
    )
    errors.raise_if_any()
    return _decide(actor, risk, accept=False, reason=text)


# --- the yearly analysis ------------------------------------------------------------------------


def record_analysis(
    actor: User | None, municipality: Municipality, *, fiscal_year: int, note: str = ""
) -> RiskAnalysis:
    """Record (or bring up to date) the risk analysis of a fiscal year: counts and changes."""
    from .register import analysis_summary

    if actor is not None:
        permissions.require(actor, Action.MANAGE_POLICY_REVIEW, municipality=municipality)
    errors = FieldErrors()
    note = _text(note, "note", errors)
    if not isinstance(fiscal_year, int) or not MIN_FISCAL_YEAR <= fiscal_year <= MAX_FISCAL_YEAR:
        errors.add("fiscal_year", _("Give a fiscal year between 2000 and 2100."))
    errors.raise_if_any()
    summary = analysis_summary(Risk.objects.filter(municipality=municipality), fiscal_year)
    with transaction.atomic():
        analysis = (
            RiskAnalysis.objects.select_for_update()
            .filter(municipality=municipality, fiscal_year=fiscal_year)
            .first()
        )
        before = _snapshot(analysis) if analysis is not None else None
        if analysis is None:
            analysis = RiskAnalysis(municipality=municipality, fiscal_year=fiscal_year)
        analysis.summary = summary
        analysis.note = note
        analysis.recorded_by = actor
        analysis.save()
        journal.record(
            actor=actor,
            action="risk_analysis.record",
            obj=analysis,
            before=before,
            after=_snapshot(analysis),
        )
    return analysis
