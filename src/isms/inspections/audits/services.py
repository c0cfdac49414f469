"""Writes of 監査 (対策基準 9.1); every change is journaled in the same transaction.

The rules the services hold, whoever calls them (pages, API, commands):

- a plan is drawn up (``MANAGE_AUDITS``) while it is a draft, submitted to the 情報セキュリティ
  委員会 and approved by its chair or the CISO (``APPROVE_AUDIT_PLANS``), never by the person
  who prepared it, nor by their deputy (兼務の禁止);
- an auditor is independent of the audited unit (``check_auditor_independence``: nobody audits
  the unit they belong to, unless the CISO recorded a waiver for that audit) and holds the
  監査人 or 監査統括責任者 role;
- fieldwork (working papers, evidence, item results, findings) needs an approved plan and is
  done by the audit's own auditors; once the audit is closed, its record is frozen;
- a finding is answered with corrective actions by its unit's 管理者/責任者 (or a lead); the
  owner reports progress; only an auditor of the audit verifies a done action, which closes
  it; a finding closes when all its actions are verified; a closed finding is never edited.
"""

from __future__ import annotations

import datetime
import hashlib
import uuid
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from isms.assets.common import FieldErrors
from isms.core import journal, permissions, uploads
from isms.core.calendar import add_business_days, fiscal_year_bounds
from isms.core.models import (
    Delegation,
    Municipality,
    OrgUnit,
    Person,
    RoleAssignment,
    SoDWaiver,
    User,
)
from isms.core.permissions import (
    OWN_RIGHT,
    UNIT_ASSET_ROLES,
    Action,
    Capacity,
    SeparationOfDutiesError,
)
from isms.core.roles import Role
from isms.inspections import services as inspection_services
from isms.inspections.models import CorrectiveAction, SelfInspection, TargetGroup
from isms.inspections.visibility import LEADS, person_of
from isms.policy.models import Control, ControlStandard

from .models import (
    Audit,
    AuditAuditor,
    AuditEvidence,
    AuditItem,
    AuditPlan,
    AuditWorkpaper,
    Finding,
)

AUDITOR_ROLES = frozenset({Role.AUDITOR, Role.LEAD_AUDIT_OFFICER})
PLAN_SOD_SUBJECT = "audit_plan"
ACTION_SOD_SUBJECT = "corrective_action"  # + ":<id>": a waiver is for one action only
RETENTION_YEARS_DEFAULT = 5
MAX_TEXT = 8000


def _require(actor: User | None, action: Action, obj: Any) -> Capacity:
    """Check the actor's right (None: the system, already allowed by its caller)."""
    if actor is None:
        return OWN_RIGHT
    return permissions.require(actor, action, obj)


def _text(errors: FieldErrors, field: str, value: str | None, label: str, limit: int) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        errors.add(
            field,
            _("%(label)s is too long (at most %(limit)s characters).")
            % {"label": label, "limit": f"{limit:,}"},
        )
    return value


def _pick(obj: Any, names: Any) -> dict[str, Any]:
    """The journal snapshot of ``obj`` restricted to the fields ``names``."""
    wanted = set(names)
    return {k: v for k, v in journal.snapshot(obj).items() if k in wanted}


def retention_years() -> int:
    return int(getattr(settings, "AUDIT_EVIDENCE_RETENTION_YEARS", RETENTION_YEARS_DEFAULT))


def evidence_dir() -> Path:
    return Path(settings.DATA_DIR) / "audits" / "evidence"


def evidence_path(evidence: AuditEvidence) -> Path:
    return evidence_dir() / evidence.stored_name


def download_name(evidence: AuditEvidence) -> str:
    return uploads.download_name(evidence.original_name, evidence.content_type, default="evidence")


# --- plans (監査実施計画) -------------------------------------------------------------------------


def _current_standard(municipality: Municipality) -> ControlStandard | None:
    return (
        ControlStandard.objects.filter(municipality=municipality, is_current=True)
        .order_by("-pk")
        .first()
    )


def _plan_fields(
    errors: FieldErrors, *, fiscal_year: int | None, title: str | None, objective: str | None
) -> tuple[int, str, str]:
    title = _text(errors, "title", title, _("The title"), 200)
    if not title:
        errors.add(
            "title", _("Give the plan a title, e.g. 令和8年度 情報セキュリティ監査実施計画.")
        )
    if fiscal_year is None or not 2000 <= fiscal_year <= 2100:
        errors.add("fiscal_year", _("Give the fiscal year (西暦, e.g. 2026)."))
    objective = _text(errors, "objective", objective, _("The objective"), MAX_TEXT)
    return fiscal_year or 0, title, objective


def create_plan(
    actor: User | None,
    municipality: Municipality,
    *,
    fiscal_year: int | None,
    title: str,
    objective: str = "",
    standard: ControlStandard | None = None,
) -> AuditPlan:
    """Draw up an audit plan (a draft) whose items come from ``standard`` (the current one)."""
    capacity = _require(actor, Action.MANAGE_AUDITS, municipality)
    errors = FieldErrors()
    fiscal_year, title, objective = _plan_fields(
        errors, fiscal_year=fiscal_year, title=title, objective=objective
    )
    if standard is None:
        standard = _current_standard(municipality)
        if standard is None:
            errors.add(
                "standard",
                _("This municipality has no current 対策基準 to audit against. Load it first."),
            )
    elif standard.municipality_id != municipality.pk:
        errors.add("standard", _("Choose a 対策基準 of this municipality."))
    errors.raise_if_any()
    with transaction.atomic():
        plan = AuditPlan.objects.create(
            municipality=municipality,
            fiscal_year=fiscal_year,
            title=title,
            objective=objective,
            standard=standard,
            created_by=actor,
            prepared_by=person_of(actor),
        )
        journal.record(
            actor=actor,
            action="audit_plan.create",
            obj=plan,
            after=journal.snapshot(plan, exclude=("created_at", "updated_at")),
            on_behalf_of=capacity.label,
        )
    return plan


def _lock_plan(plan: AuditPlan) -> AuditPlan:
    return AuditPlan.objects.select_for_update().get(pk=plan.pk)


def _check_draft(plan: AuditPlan) -> None:
    if plan.status != AuditPlan.Status.DRAFT:
        raise ValidationError(
            {
                "plan": _(
                    "The plan is %(status)s: only a draft is changed. Ask the committee to "
                    "return it first."
                )
                % {"status": plan.get_status_display()}
            }
        )


def update_plan(
    actor: User | None,
    plan: AuditPlan,
    *,
    fiscal_year: int | None,
    title: str,
    objective: str = "",
) -> AuditPlan:
    """Change a draft plan's fiscal year, title and objective."""
    capacity = _require(actor, Action.MANAGE_AUDITS, plan)
    errors = FieldErrors()
    fiscal_year, title, objective = _plan_fields(
        errors, fiscal_year=fiscal_year, title=title, objective=objective
    )
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_plan(plan)
        _check_draft(locked)
        if fiscal_year != locked.fiscal_year:
            first, last = fiscal_year_bounds(fiscal_year)
            outside = [
                a.reference
                for a in locked.audits.all()
                if not (first <= a.starts_on <= last and first <= a.ends_on <= last)
            ]
            if outside:
                raise ValidationError(
                    {
                        "fiscal_year": _(
                            "These audits take place outside fiscal year %(fy)s: change their "
                            "dates first. %(refs)s"
                        )
                        % {"fy": fiscal_year, "refs": ", ".join(outside)}
                    }
                )
        before = _pick(locked, ("fiscal_year", "title", "objective"))
        locked.fiscal_year, locked.title, locked.objective = fiscal_year, title, objective
        locked.save(update_fields=["fiscal_year", "title", "objective", "updated_at"])
        journal.record(
            actor=actor,
            action="audit_plan.update",
            obj=locked,
            before=before,
            after=_pick(locked, ("fiscal_year", "title", "objective")),
            on_behalf_of=capacity.label,
        )
    return locked


def submit_plan(actor: User | None, plan: AuditPlan) -> AuditPlan:
    """Put a complete draft before the committee: every audit with auditors and items."""
    capacity = _require(actor, Action.MANAGE_AUDITS, plan)
    with transaction.atomic():
        locked = _lock_plan(plan)
        _check_draft(locked)
        errors = FieldErrors()
        audits = list(locked.audits.all())
        if not audits:
            errors.add("plan", _("Add at least one audit to the plan before submitting it."))
        for audit in audits:
            if not audit.auditors.exists():
                errors.add(
                    "plan",
                    _("Audit %(ref)s has no auditor: assign one.") % {"ref": audit.reference},
                )
            if not audit.items.exists():
                errors.add(
                    "plan",
                    _("Audit %(ref)s has no audit items: choose them.") % {"ref": audit.reference},
                )
        errors.raise_if_any()
        # Independence is checked again: an auditor may have moved into the audited unit or
        # taken a role of it since they were named.
        for audit in audits:
            for auditor in audit.auditors.select_related("person__org_unit"):
                check_independence(auditor.person, audit)
        # Whoever puts the plan before the committee answers for it as its preparer (or the
        # absent holder a deputy acted for): they never approve it (兼務の禁止).
        submitter = capacity.on_behalf_of or person_of(actor)
        before = {"status": AuditPlan.Status.DRAFT, "prepared_by": locked.prepared_by_id}
        if submitter is not None:
            locked.prepared_by = submitter
        locked.status = AuditPlan.Status.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at", "prepared_by", "updated_at"])
        journal.record(
            actor=actor,
            action="audit_plan.submit",
            obj=locked,
            before=before,
            after={"status": locked.status, "prepared_by": locked.prepared_by_id},
            on_behalf_of=capacity.label,
        )
    return locked


def _approver(actor: User | None, plan: AuditPlan) -> tuple[Capacity, Person | None]:
    capacity = _require(actor, Action.APPROVE_AUDIT_PLANS, plan)
    me = person_of(actor)
    if actor is not None:
        permissions.check_separation(
            applicant=plan.prepared_by,
            approver=me,
            subject=f"{PLAN_SOD_SUBJECT}:{plan.pk}",
            on_behalf_of=capacity.on_behalf_of,
        )
    return capacity, me


def approve_plan(actor: User | None, plan: AuditPlan, *, reference: str = "") -> AuditPlan:
    """Record the committee's approval of a submitted plan (its chair or the CISO)."""
    capacity, me = _approver(actor, plan)
    errors = FieldErrors()
    reference = _text(errors, "approval_reference", reference, _("The committee decision"), 200)
    if not reference:
        errors.add(
            "approval_reference",
            _("Name the committee decision, e.g. 令和8年度第1回情報セキュリティ委員会."),
        )
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_plan(plan)
        if locked.status != AuditPlan.Status.SUBMITTED:
            raise ValidationError(
                {"plan": _("Only a plan submitted to the committee can be approved.")}
            )
        for audit in locked.audits.all():
            for auditor in audit.auditors.select_related("person__org_unit"):
                check_independence(auditor.person, audit)
        locked.status = AuditPlan.Status.APPROVED
        locked.approved_by = me
        locked.approved_at = timezone.now()
        locked.approval_reference = reference
        locked.save(
            update_fields=[
                "status",
                "approved_by",
                "approved_at",
                "approval_reference",
                "updated_at",
            ]
        )
        journal.record(
            actor=actor,
            action="audit_plan.approve",
            obj=locked,
            before={"status": AuditPlan.Status.SUBMITTED},
            after={"status": locked.status, "approval_reference": reference},
            on_behalf_of=capacity.label,
        )
    return locked


def return_plan(actor: User | None, plan: AuditPlan, *, reason: str) -> AuditPlan:
    """The committee sends a submitted plan back to its preparer, with the reason."""
    capacity, _me = _approver(actor, plan)
    errors = FieldErrors()
    reason = _text(errors, "reason", reason, _("The reason"), 2000)
    if not reason:
        errors.add("reason", _("Say what the plan needs before it can be approved."))
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_plan(plan)
        if locked.status != AuditPlan.Status.SUBMITTED:
            raise ValidationError(
                {"plan": _("Only a plan submitted to the committee is returned.")}
            )
        locked.status = AuditPlan.Status.DRAFT
        locked.save(update_fields=["status", "updated_at"])
        journal.record(
            actor=actor,
            action="audit_plan.return",
            obj=locked,
            before={"status": AuditPlan.Status.SUBMITTED},
            after={"status": locked.status, "reason": reason},
            on_behalf_of=capacity.label,
        )
    return locked


def close_plan(actor: User | None, plan: AuditPlan) -> AuditPlan:
    """Close an approved plan once every audit of it is closed."""
    capacity = _require(actor, Action.MANAGE_AUDITS, plan)
    with transaction.atomic():
        locked = _lock_plan(plan)
        if locked.status != AuditPlan.Status.APPROVED:
            raise ValidationError({"plan": _("Only an approved plan is closed.")})
        open_audits = [a.reference for a in locked.audits.exclude(status=Audit.Status.CLOSED)]
        if open_audits:
            raise ValidationError(
                {
                    "plan": _("Close these audits first: %(refs)s.")
                    % {"refs": ", ".join(open_audits)}
                }
            )
        locked.status = AuditPlan.Status.CLOSED
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "closed_at", "updated_at"])
        journal.record(
            actor=actor,
            action="audit_plan.close",
            obj=locked,
            before={"status": AuditPlan.Status.APPROVED},
            after={"status": locked.status},
            on_behalf_of=capacity.label,
        )
    return locked


# --- audits of a plan ------------------------------------------------------------------------


def _in_subtree(unit: OrgUnit, root: OrgUnit) -> bool:
    return root.pk in permissions.unit_and_ancestors(unit)


def _audit_fields(
    errors: FieldErrors,
    plan: AuditPlan,
    *,
    title: str | None,
    kind: str | None,
    org_unit: OrgUnit | None,
    system: Any,
    contractor: str | None,
    external_firm: str | None,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
) -> dict[str, Any]:
    title = _text(errors, "title", title, _("The title"), 200)
    if not title:
        errors.add("title", _("Give the audit a title, e.g. 税務課の個人情報の取扱い."))
    if kind not in Audit.Kind.values:
        errors.add("kind", _("Choose internal or external audit."))
    today = timezone.localdate()
    if org_unit is None or org_unit.municipality_id != plan.municipality_id:
        errors.add("org_unit", _("Choose the audited unit of this municipality."))
    elif org_unit.abolished_on is not None and org_unit.abolished_on <= today:
        errors.add(
            "org_unit",
            _("%(unit)s was abolished: choose the unit that took over its work.")
            % {"unit": org_unit.name},
        )
    if system is not None:
        from isms.assets.models import InformationAsset

        if system.municipality_id != plan.municipality_id:
            errors.add("system", _("Choose an information system of this municipality."))
        elif (
            system.kind != InformationAsset.Kind.SYSTEM_EQUIPMENT
            or system.status == InformationAsset.Status.DISPOSED
        ):
            errors.add(
                "system",
                _("%(system)s is not an information system in use: choose one of the register.")
                % {"system": system},
            )
        elif org_unit is not None and (
            system.owning_unit is None or not _in_subtree(system.owning_unit, org_unit)
        ):
            errors.add(
                "system",
                _("%(system)s is not a system of the audited unit: choose one of its systems.")
                % {"system": system},
            )
    contractor = _text(errors, "contractor", contractor, _("The contractor"), 200)
    external_firm = _text(errors, "external_firm", external_firm, _("The audit firm"), 200)
    if kind == Audit.Kind.EXTERNAL and not external_firm:
        errors.add("external_firm", _("Name the audit firm of an external audit."))
    if starts_on is None:
        errors.add("starts_on", _("Give the first day of the audit."))
    if ends_on is None:
        errors.add("ends_on", _("Give the last day of the audit."))
    if starts_on and ends_on:
        if ends_on < starts_on:
            errors.add("ends_on", _("The audit ends before it starts: correct the dates."))
        first, last = fiscal_year_bounds(plan.fiscal_year)
        if not (first <= starts_on <= last and first <= ends_on <= last):
            errors.add(
                "starts_on",
                _("The audit must take place within fiscal year %(fy)s (%(first)s to %(last)s).")
                % {"fy": plan.fiscal_year, "first": first, "last": last},
            )
    return {
        "title": title,
        "kind": kind,
        "org_unit": org_unit,
        "system": system,
        "contractor": contractor,
        "external_firm": external_firm,
        "starts_on": starts_on,
        "ends_on": ends_on,
    }


def _chosen_controls(
    errors: FieldErrors,
    plan: AuditPlan,
    *,
    controls: list[Control] | None,
    chapters: list[int] | None,
    key_items_only: bool,
) -> list[Control]:
    qs = Control.objects.filter(standard=plan.standard).select_related("section")
    if controls:
        wrong = [c.code for c in controls if c.standard_id != plan.standard_id]
        if wrong:
            errors.add(
                "controls",
                _("These controls are not in the plan's 対策基準: %(codes)s.")
                % {"codes": ", ".join(wrong[:20])},
            )
        qs = qs.filter(pk__in=[c.pk for c in controls])
    if chapters:
        qs = qs.filter(section__chapter__in=chapters)
    if key_items_only:
        qs = qs.filter(is_key_item=True)
    chosen = list(qs.order_by("section__position", "position", "pk"))
    if not chosen and not errors.by_field:
        errors.add(
            "controls",
            _("No control of the 対策基準 matches: choose chapters or controls to audit."),
        )
    return chosen


def add_audit(
    actor: User | None,
    plan: AuditPlan,
    *,
    title: str,
    kind: str,
    org_unit: OrgUnit | None,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    system: Any = None,
    contractor: str = "",
    external_firm: str = "",
    controls: list[Control] | None = None,
    chapters: list[int] | None = None,
    key_items_only: bool = False,
) -> Audit:
    """Add an audit to a draft plan, with its items from the chosen controls of the catalog
    (``controls``, narrowed by ``chapters`` and to the 重点項目 when ``key_items_only``)."""
    capacity = _require(actor, Action.MANAGE_AUDITS, plan)
    errors = FieldErrors()
    fields = _audit_fields(
        errors,
        plan,
        title=title,
        kind=kind,
        org_unit=org_unit,
        system=system,
        contractor=contractor,
        external_firm=external_firm,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    chosen = _chosen_controls(
        errors, plan, controls=controls, chapters=chapters, key_items_only=key_items_only
    )
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_plan(plan)
        _check_draft(locked)
        sequence = (locked.audits.aggregate(m=Max("sequence"))["m"] or 0) + 1
        audit = Audit.objects.create(plan=locked, sequence=sequence, **fields)
        AuditItem.objects.bulk_create(
            AuditItem(
                audit=audit,
                control=c,
                code=c.code,
                chapter=c.section.chapter,
                requirement=c.requirement,
                focus=c.is_key_item,
                position=n,
            )
            for n, c in enumerate(chosen)
        )
        journal.record(
            actor=actor,
            action="audit.create",
            obj=audit,
            municipality=locked.municipality_id,
            after=journal.snapshot(audit, exclude=("created_at", "updated_at"))
            | {"items": [c.code for c in chosen]},
            on_behalf_of=capacity.label,
        )
    return audit


def update_audit(
    actor: User | None,
    audit: Audit,
    *,
    title: str,
    kind: str,
    org_unit: OrgUnit | None,
    starts_on: datetime.date | None,
    ends_on: datetime.date | None,
    system: Any = None,
    contractor: str = "",
    external_firm: str = "",
) -> Audit:
    """Change an audit of a draft plan. A new audited unit re-checks its auditors."""
    capacity = _require(actor, Action.MANAGE_AUDITS, audit)
    plan = audit.plan
    errors = FieldErrors()
    fields = _audit_fields(
        errors,
        plan,
        title=title,
        kind=kind,
        org_unit=org_unit,
        system=system,
        contractor=contractor,
        external_firm=external_firm,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    errors.raise_if_any()
    assert org_unit is not None
    with transaction.atomic():
        _check_draft(_lock_plan(plan))
        for auditor in audit.auditors.select_related("person__org_unit"):
            check_independence(auditor.person, audit, org_unit)
        before = _pick(audit, tuple(fields))
        for name, value in fields.items():
            setattr(audit, name, value)
        audit.save()
        journal.record(
            actor=actor,
            action="audit.update",
            obj=audit,
            municipality=plan.municipality_id,
            before=before,
            after=_pick(audit, tuple(fields)),
            on_behalf_of=capacity.label,
        )
    return audit


def remove_audit(actor: User | None, audit: Audit) -> None:
    """Take an audit out of a draft plan (with its items and auditors)."""
    capacity = _require(actor, Action.MANAGE_AUDITS, audit)
    with transaction.atomic():
        _check_draft(_lock_plan(audit.plan))
        if audit.findings.exists() or AuditWorkpaper.objects.filter(item__audit=audit).exists():
            raise ValidationError({"audit": _("This audit has fieldwork records: keep it.")})
        journal.record(
            actor=actor,
            action="audit.delete",
            obj=audit,
            municipality=audit.plan.municipality_id,
            before=journal.snapshot(audit, exclude=("created_at", "updated_at")),
            on_behalf_of=capacity.label,
        )
        audit.delete()


def _audit_subject(audit: Audit) -> str:
    """The ``SoDWaiver.subject`` that lets one auditor audit their own unit in this audit."""
    return f"audit:{audit.pk}"


def _waived_for(person: Person, subject: str) -> bool:
    return SoDWaiver.objects.filter(
        municipality_id=person.municipality_id,
        kind=SoDWaiver.Kind.AUDITOR_AUDITEE,
        person=person,
        subject=subject,
    ).exists()


def check_independence(person: Person, audit: Audit, audited_unit: OrgUnit | None = None) -> None:
    """Refuse ``person`` as an auditor of ``audit`` (of ``audited_unit`` when it changes) when
    they belong to the audited unit, a unit below it, or a unit above it (their own 部 or 課
    answers for the audited unit), or hold the 情報セキュリティ管理者/責任者 role of one of those
    units (兼務), unless the CISO recorded a waiver for this audit."""
    from .visibility import unit_ids_below

    unit = audited_unit or audit.org_unit
    subject = _audit_subject(audit)
    permissions.check_auditor_independence(auditor=person, audited_unit=unit, subject=subject)
    chain = permissions.unit_and_ancestors(unit)
    own = person.org_unit if person.org_unit_id in chain else None
    message = _(
        "%(person)s belongs to %(own)s, which %(unit)s is part of, and cannot audit it "
        "(兼務の禁止). Choose an auditor from another unit, or have the CISO record an "
        "exception with its reason."
    )
    if own is None:
        today = timezone.localdate()
        held = (
            RoleAssignment.objects.filter(
                person=person,
                role__in=UNIT_ASSET_ROLES,
                org_unit_id__in=set(chain) | unit_ids_below({unit.pk}),
                start_date__lte=today,
            )
            .exclude(end_date__lt=today)
            .select_related("org_unit")
            .first()
        )
        own = held.org_unit if held is not None else None
        if own is None:
            # A deputy (代理) of such a role holder acts in that role: not independent either.
            deputising = (
                Delegation.objects.filter(
                    deputy=person,
                    revoked_at__isnull=True,
                    start_date__lte=today,
                    end_date__gte=today,
                    assignment__role__in=UNIT_ASSET_ROLES,
                    assignment__org_unit_id__in=set(chain) | unit_ids_below({unit.pk}),
                )
                .select_related("assignment__org_unit")
                .first()
            )
            own = deputising.assignment.org_unit if deputising is not None else None
        message = _(
            "%(person)s is the 情報セキュリティ管理者 or 責任者 of %(own)s and cannot audit "
            "%(unit)s (兼務の禁止). Choose an auditor from another unit, or have the CISO record "
            "an exception with its reason."
        )
    if own is None or _waived_for(person, subject):
        return
    raise SeparationOfDutiesError(
        message % {"person": person, "own": own, "unit": unit}, code="sod_auditor_auditee"
    )


def holds_auditor_role(person: Person, day: datetime.date | None = None) -> bool:
    day = day or timezone.localdate()
    return (
        RoleAssignment.objects.filter(person=person, role__in=AUDITOR_ROLES, start_date__lte=day)
        .exclude(end_date__lt=day)
        .exists()
    )


def assign_auditor(
    actor: User | None, audit: Audit, person: Person | None, *, is_lead: bool = False
) -> AuditAuditor:
    """Name an auditor of an audit: independent of the audited unit, holding an auditor role."""
    capacity = _require(actor, Action.MANAGE_AUDITS, audit)
    errors = FieldErrors()
    plan = audit.plan
    if person is None or person.municipality_id != plan.municipality_id or not person.is_active:
        errors.add("person", _("Choose a current member of staff of this municipality."))
    elif not holds_auditor_role(person):
        errors.add(
            "person",
            _(
                "%(person)s holds no auditor role (監査人 or 情報セキュリティ監査統括責任者). "
                "Assign the role first, then name them."
            )
            % {"person": person},
        )
    errors.raise_if_any()
    assert person is not None
    check_independence(person, audit)
    with transaction.atomic():
        locked = _lock_plan(plan)
        if locked.status == AuditPlan.Status.CLOSED or audit.status == Audit.Status.CLOSED:
            raise ValidationError(
                {"audit": _("The audit is closed: its auditors stay as they were.")}
            )
        # The committee approves the plan with its auditors: they change on a draft only.
        _check_draft(locked)
        if AuditAuditor.objects.filter(audit=audit, person=person).exists():
            raise ValidationError(
                {
                    "person": _("%(person)s is already an auditor of this audit.")
                    % {"person": person}
                }
            )
        if is_lead:
            AuditAuditor.objects.filter(audit=audit, is_lead=True).update(is_lead=False)
        auditor = AuditAuditor.objects.create(audit=audit, person=person, is_lead=is_lead)
        journal.record(
            actor=actor,
            action="audit.assign_auditor",
            obj=audit,
            municipality=plan.municipality_id,
            after={"auditor": person.pk, "is_lead": is_lead},
            on_behalf_of=capacity.label,
        )
    return auditor


def remove_auditor(actor: User | None, auditor: AuditAuditor) -> None:
    """Take an auditor off an audit that has not started its fieldwork."""
    audit = auditor.audit
    capacity = _require(actor, Action.MANAGE_AUDITS, audit)
    with transaction.atomic():
        _check_draft(_lock_plan(audit.plan))
        journal.record(
            actor=actor,
            action="audit.remove_auditor",
            obj=audit,
            municipality=audit.plan.municipality_id,
            before={"auditor": auditor.person_id, "is_lead": auditor.is_lead},
            on_behalf_of=capacity.label,
        )
        auditor.delete()


# --- fieldwork -------------------------------------------------------------------------------


def is_auditor_of(user: User | None, audit: Audit) -> bool:
    me = person_of(user)
    return me is not None and AuditAuditor.objects.filter(audit=audit, person=me).exists()


def _fieldwork(actor: User | None, audit: Audit) -> tuple[Capacity, Person | None]:
    """The audit's own auditor, on an audit of an approved plan that is not closed."""
    capacity = _require(actor, Action.PERFORM_AUDITS, audit)
    me = person_of(actor)
    if actor is not None and not is_auditor_of(actor, audit):
        raise PermissionDenied(_("Only the auditors named for this audit record its fieldwork."))
    plan_status = AuditPlan.objects.values_list("status", flat=True).get(pk=audit.plan_id)
    if plan_status == AuditPlan.Status.CLOSED:
        raise ValidationError(
            {"audit": _("The plan is closed: its audits and their records are final.")}
        )
    if plan_status != AuditPlan.Status.APPROVED:
        raise ValidationError(
            {"audit": _("The plan is not approved by the committee yet: fieldwork waits for it.")}
        )
    if me is not None:
        # Still independent today (a transfer into the audited unit, or one of its roles, ends
        # it unless the CISO waived it for this audit).
        check_independence(me, audit)
    return capacity, me


def _lock_open_audit(audit: Audit) -> Audit:
    locked = Audit.objects.select_for_update().select_related("plan").get(pk=audit.pk)
    if locked.status == Audit.Status.CLOSED:
        raise ValidationError(
            {"audit": _("The audit is closed: its working papers and evidence are final.")}
        )
    return locked


def _start(locked: Audit) -> None:
    """The first fieldwork record starts the audit's fieldwork."""
    if locked.status == Audit.Status.PLANNED:
        locked.status = Audit.Status.FIELDWORK
        locked.save(update_fields=["status", "updated_at"])


def _workpaper_fields(
    errors: FieldErrors,
    *,
    kind: str | None,
    performed_on: datetime.date | None,
    notes: str | None,
    interviewee: str | None,
) -> dict[str, Any]:
    if kind not in AuditWorkpaper.Kind.values:
        errors.add(
            "kind", _("Choose what was done: document review, interview, observation or test.")
        )
    if performed_on is None:
        errors.add("performed_on", _("Give the day the work was done."))
    elif performed_on > timezone.localdate():
        errors.add("performed_on", _("The day is in the future: give the day the work was done."))
    notes = _text(errors, "notes", notes, _("The notes"), MAX_TEXT)
    if not notes:
        errors.add("notes", _("Write what was examined or heard, and what it showed."))
    interviewee = _text(errors, "interviewee", interviewee, _("The interviewee"), 200)
    if kind == AuditWorkpaper.Kind.INTERVIEW and not interviewee:
        errors.add("interviewee", _("Name who was interviewed (name and position)."))
    return {"kind": kind, "performed_on": performed_on, "notes": notes, "interviewee": interviewee}


def add_workpaper(
    actor: User | None,
    item: AuditItem,
    *,
    kind: str,
    performed_on: datetime.date | None,
    notes: str,
    interviewee: str = "",
) -> AuditWorkpaper:
    """Record a 監査調書 entry for an audit item."""
    capacity, me = _fieldwork(actor, item.audit)
    errors = FieldErrors()
    fields = _workpaper_fields(
        errors, kind=kind, performed_on=performed_on, notes=notes, interviewee=interviewee
    )
    if me is None:
        errors.add("prepared_by", _("Only an auditor with a staff record prepares working papers."))
    errors.raise_if_any()
    assert me is not None
    with transaction.atomic():
        locked = _lock_open_audit(item.audit)
        _start(locked)
        paper = AuditWorkpaper.objects.create(item=item, prepared_by=me, **fields)
        journal.record(
            actor=actor,
            action="audit_workpaper.create",
            obj=paper,
            municipality=locked.plan.municipality_id,
            after=journal.snapshot(paper, exclude=("created_at", "updated_at")),
            on_behalf_of=capacity.label,
        )
    return paper


def update_workpaper(
    actor: User | None,
    paper: AuditWorkpaper,
    *,
    kind: str,
    performed_on: datetime.date | None,
    notes: str,
    interviewee: str = "",
) -> AuditWorkpaper:
    """Correct a working paper while its audit is open."""
    capacity, _me = _fieldwork(actor, paper.item.audit)
    errors = FieldErrors()
    fields = _workpaper_fields(
        errors, kind=kind, performed_on=performed_on, notes=notes, interviewee=interviewee
    )
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_open_audit(paper.item.audit)
        before = _pick(paper, tuple(fields))
        for name, value in fields.items():
            setattr(paper, name, value)
        paper.save()
        journal.record(
            actor=actor,
            action="audit_workpaper.update",
            obj=paper,
            municipality=locked.plan.municipality_id,
            before=before,
            after=_pick(paper, tuple(fields)),
            on_behalf_of=capacity.label,
        )
    return paper


def add_evidence(
    actor: User | None, paper: AuditWorkpaper, *, name: str, data: bytes
) -> AuditEvidence:
    """Attach a 監査証拠 file to a working paper (type by content, size limit), kept until the
    end of the audit's fiscal year plus the retention period."""
    audit = paper.item.audit
    capacity, _me = _fieldwork(actor, audit)
    errors = FieldErrors()
    limit = inspection_services.evidence_max_bytes()
    kind = ""
    if not data:
        errors.add("file", _("The file is empty. Choose the evidence file."))
    elif len(data) > limit:
        errors.add("file", inspection_services.too_large_message(len(data)))
    else:
        kind = uploads.detect_type(data)
        if kind not in inspection_services.ALLOWED_EVIDENCE_TYPES:
            errors.add(
                "file",
                _(
                    "Files of the type %(type)s cannot be attached. Attach a PDF, an image, an "
                    "office document, a text or a CSV file (no programs, no archives)."
                )
                % {"type": kind},
            )
    errors.raise_if_any()
    municipality_id = audit.plan.municipality_id
    stored = f"{municipality_id}/{uuid.uuid4().hex}"
    path = evidence_dir() / stored
    path.parent.mkdir(parents=True, exist_ok=True)
    _first, last = fiscal_year_bounds(audit.plan.fiscal_year)
    try:
        with transaction.atomic():
            locked = _lock_open_audit(audit)
            _start(locked)
            evidence = AuditEvidence.objects.create(
                workpaper=paper,
                stored_name=stored,
                original_name=uploads.clean_name(name, "evidence")[:255],
                size=len(data),
                content_type=kind,
                sha256=hashlib.sha256(data).hexdigest(),
                retain_until=last.replace(year=last.year + retention_years()),
                uploaded_by=actor,
            )
            path.write_bytes(data)
            journal.record(
                actor=actor,
                action="audit_evidence.create",
                obj=evidence,
                municipality=municipality_id,
                after=journal.snapshot(evidence, exclude=("uploaded_at", "stored_name")),
                on_behalf_of=capacity.label,
            )
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return evidence


def assess_item(actor: User | None, item: AuditItem, *, result: str, note: str = "") -> AuditItem:
    """Record an item's result (適合 / 一部不適合 / 不適合 / 該当なし)."""
    capacity, me = _fieldwork(actor, item.audit)
    errors = FieldErrors()
    if result not in AuditItem.Result.values or result == AuditItem.Result.PENDING:
        errors.add(
            "result",
            _(
                "Choose the result: conforming, partly nonconforming, nonconforming or "
                "not applicable."
            ),
        )
    note = _text(errors, "result_note", note, _("The note"), MAX_TEXT)
    if result in (AuditItem.Result.PARTIAL, AuditItem.Result.NONCONFORMING) and not note:
        errors.add("result_note", _("Say what does not conform."))
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_open_audit(item.audit)
        _start(locked)
        before = {"result": item.result, "result_note": item.result_note}
        item.result, item.result_note = result, note
        item.assessed_by, item.assessed_at = me, timezone.now()
        item.save(update_fields=["result", "result_note", "assessed_by", "assessed_at"])
        journal.record(
            actor=actor,
            action="audit_item.assess",
            obj=item,
            municipality=locked.plan.municipality_id,
            before=before,
            after={"result": result, "result_note": note},
            on_behalf_of=capacity.label,
        )
    return item


def close_audit(actor: User | None, audit: Audit, *, opinion: str) -> Audit:
    """Close the fieldwork with the auditors' opinion; every item must have its result."""
    capacity, _me = _fieldwork(actor, audit)
    errors = FieldErrors()
    opinion = _text(errors, "opinion", opinion, _("The audit opinion"), MAX_TEXT)
    if not opinion:
        errors.add("opinion", _("Write the audit opinion for the committee."))
    pending = list(
        audit.items.filter(result=AuditItem.Result.PENDING).values_list("code", flat=True)[:20]
    )
    if pending:
        errors.add(
            "opinion",
            _("Give the result of every audit item first. Not assessed yet: %(codes)s.")
            % {"codes": ", ".join(pending)},
        )
    errors.raise_if_any()
    with transaction.atomic():
        locked = _lock_open_audit(audit)
        before = {"status": locked.status}
        locked.status = Audit.Status.CLOSED
        locked.opinion = opinion
        locked.closed_at = timezone.now()
        locked.save(update_fields=["status", "opinion", "closed_at", "updated_at"])
        journal.record(
            actor=actor,
            action="audit.close",
            obj=locked,
            municipality=locked.plan.municipality_id,
            before=before,
            after={"status": locked.status, "opinion": opinion},
            on_behalf_of=capacity.label,
        )
    return locked


# --- findings (指摘事項) ----------------------------------------------------------------------


def _finding_fields(
    errors: FieldErrors,
    audit: Audit,
    *,
    item: AuditItem | None,
    control: Control | None,
    org_unit: OrgUnit | None,
    severity: str | None,
    title: str | None,
    description: str | None,
    recommendation: str | None,
) -> dict[str, Any]:
    if item is not None and item.audit_id != audit.pk:
        errors.add("item", _("Choose an item of this audit."))
    if item is not None:
        # A finding on an item concerns that item's control.
        if control is not None and control.pk != item.control_id:
            errors.add(
                "control",
                _("The finding is on item %(code)s: its control is that item's.")
                % {"code": item.code},
            )
        control = item.control
    if control is not None and control.standard_id != audit.plan.standard_id:
        errors.add("control", _("Choose a control of the plan's 対策基準."))
    org_unit = org_unit or audit.org_unit
    if org_unit.municipality_id != audit.plan.municipality_id or not _in_subtree(
        org_unit, audit.org_unit
    ):
        errors.add(
            "org_unit",
            _("Choose the audited unit or a unit below it: %(unit)s.") % {"unit": audit.org_unit},
        )
    if severity not in Finding.Severity.values:
        errors.add("severity", _("Choose the severity: major, minor or observation."))
    title = _text(errors, "title", title, _("The title"), 200)
    if not title:
        errors.add("title", _("Give the finding a short title."))
    description = _text(errors, "description", description, _("The description"), MAX_TEXT)
    if not description:
        errors.add("description", _("Describe what was found, with the evidence it rests on."))
    recommendation = _text(
        errors, "recommendation", recommendation, _("The recommendation"), MAX_TEXT
    )
    return {
        "item": item,
        "control": control,
        "org_unit": org_unit,
        "severity": severity,
        "title": title,
        "description": description,
        "recommendation": recommendation,
    }


def record_finding(
    actor: User | None,
    audit: Audit,
    *,
    severity: str,
    title: str,
    description: str,
    recommendation: str = "",
    item: AuditItem | None = None,
    control: Control | None = None,
    org_unit: OrgUnit | None = None,
) -> Finding:
    """An auditor of the audit records a 指摘事項; the unit's managers are told by mail."""
    capacity, me = _fieldwork(actor, audit)
    errors = FieldErrors()
    fields = _finding_fields(
        errors,
        audit,
        item=item,
        control=control,
        org_unit=org_unit,
        severity=severity,
        title=title,
        description=description,
        recommendation=recommendation,
    )
    if me is None:
        errors.add("recorded_by", _("Only an auditor with a staff record records findings."))
    errors.raise_if_any()
    assert me is not None
    with transaction.atomic():
        locked = _lock_open_audit(audit)
        _start(locked)
        sequence = (locked.findings.aggregate(m=Max("sequence"))["m"] or 0) + 1
        finding = Finding.objects.create(audit=locked, sequence=sequence, recorded_by=me, **fields)
        journal.record(
            actor=actor,
            action="finding.create",
            obj=finding,
            municipality=locked.plan.municipality_id,
            after=journal.snapshot(finding, exclude=("created_at", "updated_at")),
            on_behalf_of=capacity.label,
        )
        transaction.on_commit(lambda: _notify_finding(finding.pk))
    return finding


def _check_finding_open(finding: Finding) -> Finding:
    locked = Finding.objects.select_for_update().get(pk=finding.pk)
    if locked.status == Finding.Status.CLOSED:
        raise ValidationError({"finding": _("The finding is closed: it is kept as it was.")})
    return locked


def update_finding(
    actor: User | None,
    finding: Finding,
    *,
    severity: str,
    title: str,
    description: str,
    recommendation: str = "",
    control: Control | None = None,
    org_unit: OrgUnit | None = None,
) -> Finding:
    """Correct an open finding while its audit is open."""
    audit = finding.audit
    capacity, _me = _fieldwork(actor, audit)
    errors = FieldErrors()
    fields = _finding_fields(
        errors,
        audit,
        item=finding.item,
        control=control or finding.control,
        org_unit=org_unit or finding.org_unit,
        severity=severity,
        title=title,
        description=description,
        recommendation=recommendation,
    )
    errors.raise_if_any()
    with transaction.atomic():
        locked_audit = _lock_open_audit(audit)
        locked = _check_finding_open(finding)
        readdressed = fields["org_unit"].pk != locked.org_unit_id
        if readdressed and locked.corrective_actions.exists():
            raise ValidationError(
                {
                    "org_unit": _(
                        "The unit has answered this finding with corrective actions: it stays "
                        "addressed to it. Record a new finding for the other unit."
                    )
                }
            )
        names = ("control", "org_unit", "severity", "title", "description", "recommendation")
        before = _pick(locked, names)
        for name in names:
            setattr(locked, name, fields[name])
        locked.save()
        if readdressed:
            transaction.on_commit(lambda: _notify_finding(locked.pk))
        journal.record(
            actor=actor,
            action="finding.update",
            obj=locked,
            municipality=locked_audit.plan.municipality_id,
            before=before,
            after=_pick(locked, names),
            on_behalf_of=capacity.label,
        )
    return locked


def _auditor_capacity(actor: User | None, audit: Audit) -> tuple[Capacity, Person | None]:
    """An auditor of ``audit`` (its plan approved), whether or not its fieldwork is closed."""
    capacity = _require(actor, Action.PERFORM_AUDITS, audit)
    if actor is not None and not is_auditor_of(actor, audit):
        raise PermissionDenied(_("Only the auditors of this audit verify and close its findings."))
    return capacity, person_of(actor)


def close_finding(actor: User | None, finding: Finding, *, note: str = "") -> Finding:
    """An auditor closes a finding whose corrective actions are all verified. An observation
    (改善提案) may close without an action, with a note."""
    capacity, me = _auditor_capacity(actor, finding.audit)
    errors = FieldErrors()
    note = _text(errors, "note", note, _("The note"), 2000)
    errors.raise_if_any()
    with transaction.atomic():
        locked = _check_finding_open(finding)
        actions = list(locked.corrective_actions.all())
        unverified = [a.title for a in actions if a.status != CorrectiveAction.Status.CLOSED]
        if unverified:
            raise ValidationError(
                {
                    "finding": _(
                        "Verify every corrective action first. Not verified yet: %(titles)s."
                    )
                    % {"titles": ", ".join(unverified[:10])}
                }
            )
        if not actions and locked.severity != Finding.Severity.OBSERVATION:
            raise ValidationError(
                {
                    "finding": _(
                        "A major or minor finding closes only when its corrective actions are "
                        "done and verified: the unit has not answered it yet."
                    )
                }
            )
        if not actions and not note:
            raise ValidationError({"note": _("Say why the observation closes without an action.")})
        locked.status = Finding.Status.CLOSED
        locked.closed_by, locked.closed_at = me, timezone.now()
        locked.save(update_fields=["status", "closed_by", "closed_at", "updated_at"])
        journal.record(
            actor=actor,
            action="finding.close",
            obj=locked,
            municipality=finding.audit.plan.municipality_id,
            before={"status": Finding.Status.OPEN},
            after={"status": locked.status, "note": note},
            on_behalf_of=capacity.label,
        )
    return locked


def request_targeted_inspection(
    actor: User | None,
    finding: Finding,
    *,
    units: list[OrgUnit],
    answer_business_days: int | None = 10,
) -> SelfInspection:
    """Ask other units to check themselves for the finding's issue (横展開): a self-inspection
    of the finding's control, asked of the 情報セキュリティ管理者 of ``units``, opened today.
    Set up by the leads (``MANAGE_INSPECTIONS``: the CISO orders it, 対策基準 9.1)."""
    municipality = finding.audit.plan.municipality
    capacity = OWN_RIGHT
    if actor is not None:
        permissions.require(actor, Action.VIEW_ALL_AUDITS, municipality)
        capacity = permissions.require(actor, Action.MANAGE_INSPECTIONS, municipality)
    errors = FieldErrors()
    if finding.control is None:
        errors.add(
            "control", _("The finding names no control to ask about: set its control first.")
        )
    if not units:
        errors.add("units", _("Choose the units to check themselves."))
    for unit in units:
        if unit.municipality_id != municipality.pk:
            errors.add("units", _("Choose units of this municipality."))
            break
    if finding.targeted_inspection_id is not None:
        errors.add("units", _("These units were already asked: see the targeted self-inspection."))
    errors.raise_if_any()
    assert finding.control is not None
    today = timezone.localdate()
    with transaction.atomic():
        locked = _check_finding_open(finding)
        if locked.targeted_inspection_id is not None:
            raise ValidationError({"units": _("These units were already asked.")})
        campaign = inspection_services.create_campaign(
            actor,
            municipality,
            fiscal_year=finding.audit.plan.fiscal_year,
            title=_("Targeted self-inspection for finding %(ref)s") % {"ref": finding.reference},
            opens_on=today,
            answer_business_days=answer_business_days,
            standard=finding.audit.plan.standard,
            note=f"{finding.reference} {finding.title}",
            controls=[finding.control],
            target_group=TargetGroup.DIVISION_SECURITY_MANAGER,
        )
        for unit in units:
            inspection_services.assign(
                actor,
                campaign,
                target_group=TargetGroup.DIVISION_SECURITY_MANAGER,
                org_unit=unit,
            )
        if not campaign.responses.exists():
            raise ValidationError(
                {
                    "units": _(
                        "None of these units has a 情報セキュリティ管理者 today: assign the role "
                        "first, or choose other units."
                    )
                }
            )
        campaign = inspection_services.open_campaign(actor, campaign)
        locked.targeted_inspection = campaign
        locked.save(update_fields=["targeted_inspection", "updated_at"])
        journal.record(
            actor=actor,
            action="finding.targeted_inspection",
            obj=locked,
            municipality=municipality.pk,
            after={"campaign": campaign.pk, "units": [u.pk for u in units]},
            on_behalf_of=capacity.label,
        )
    return campaign


# --- corrective actions of findings ------------------------------------------------------------


def respond_capacity(actor: User | None, finding: Finding) -> Capacity:
    """The capacity in which ``actor`` answers ``finding`` with corrective actions: a unit role
    (held or deputised) for the finding's unit or a unit above it, else a lead."""
    if actor is None:
        return OWN_RIGHT
    permissions.require(actor, Action.RESPOND_FINDINGS, finding)
    held = permissions.units_held(actor, UNIT_ASSET_ROLES)
    for unit_id in permissions.unit_and_ancestors(finding.org_unit):
        if unit_id in held:
            delegation = held[unit_id]
            return OWN_RIGHT if delegation is None else Capacity(delegation)
    if permissions.own_roles(actor) & LEADS:
        return OWN_RIGHT
    for d in permissions.delegations_held(actor):
        if d.assignment.role in LEADS:
            return Capacity(d)
    raise PermissionDenied(_("You do not answer the findings of this unit."))


def add_action(
    actor: User | None,
    finding: Finding,
    *,
    title: str,
    owner: Person | None,
    due_business_days: int | None = None,
    due_date: datetime.date | None = None,
    description: str = "",
) -> CorrectiveAction:
    """Answer a finding with a corrective action: who does what, due in business days."""
    capacity = respond_capacity(actor, finding)
    errors = FieldErrors()
    if due_date is None:
        if due_business_days is None or not 1 <= due_business_days <= 250:
            errors.add(
                "due_business_days",
                _("Give the business days to complete it: from 1 to 250."),
            )
        else:
            due_date = add_business_days(timezone.localdate(), due_business_days)
    description = _text(errors, "description", description, _("The description"), MAX_TEXT)
    errors.raise_if_any()
    with transaction.atomic():
        locked = _check_finding_open(finding)
        action = inspection_services.create_corrective_action(
            actor,
            finding.audit.plan.municipality,
            source=CorrectiveAction.Source.AUDIT,
            title=title,
            owner=owner,
            due_date=due_date,
            description=description,
            source_reference=finding.reference,
            control=locked.control,
            org_unit=locked.org_unit,
            on_behalf_of=capacity.label,
        )
        action.finding = locked
        action.save(update_fields=["finding", "updated_at"])
        transaction.on_commit(lambda: _notify_owner(action.pk))
    return action


def verify_action(
    actor: User | None, action: CorrectiveAction, *, note: str = ""
) -> CorrectiveAction:
    """An auditor of the finding's audit confirms a done action, which closes it."""
    finding = _finding_of(action)
    capacity, me = _auditor_capacity(actor, finding.audit)
    if actor is not None:
        permissions.check_separation(
            applicant=action.owner,
            approver=me,
            subject=f"{ACTION_SOD_SUBJECT}:{action.pk}",
            on_behalf_of=capacity.on_behalf_of,
        )
    with transaction.atomic():
        locked = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        if locked.status != CorrectiveAction.Status.DONE:
            raise ValidationError(
                {"status": _("Only an action its owner reported done can be verified and closed.")}
            )
        locked.status = CorrectiveAction.Status.CLOSED
        locked.verified_by = me
        locked.verified_at = timezone.now()
        locked.save(update_fields=["status", "verified_by", "verified_at", "updated_at"])
        journal.record(
            actor=actor,
            action="corrective_action.verify",
            obj=locked,
            before={"status": CorrectiveAction.Status.DONE},
            after={"status": locked.status, "note": (note or "").strip()[:2000]},
            on_behalf_of=capacity.label,
        )
    return locked


def reject_action(actor: User | None, action: CorrectiveAction, *, reason: str) -> CorrectiveAction:
    """An auditor finds a done action not sufficient: back to the owner, with the reason."""
    finding = _finding_of(action)
    capacity, _me = _auditor_capacity(actor, finding.audit)
    errors = FieldErrors()
    reason = _text(errors, "reason", reason, _("The reason"), 2000)
    if not reason:
        errors.add("reason", _("Say what is still missing."))
    errors.raise_if_any()
    with transaction.atomic():
        locked = CorrectiveAction.objects.select_for_update().get(pk=action.pk)
        if locked.status != CorrectiveAction.Status.DONE:
            raise ValidationError(
                {"status": _("Only an action its owner reported done can be sent back.")}
            )
        locked.status = CorrectiveAction.Status.IN_PROGRESS
        locked.completed_at = None
        locked.save(update_fields=["status", "completed_at", "updated_at"])
        journal.record(
            actor=actor,
            action="corrective_action.reject",
            obj=locked,
            before={"status": CorrectiveAction.Status.DONE},
            after={"status": locked.status, "reason": reason},
            on_behalf_of=capacity.label,
        )
    return locked


def _finding_of(action: CorrectiveAction) -> Finding:
    if action.finding_id is None:
        raise ValidationError(
            {"action": _("This action does not answer an audit finding: its unit verifies it.")}
        )
    return Finding.objects.select_related("audit__plan").get(pk=action.finding_id)


# --- mail ------------------------------------------------------------------------------------


def _unit_managers(unit: OrgUnit) -> list[Person]:
    """The 情報セキュリティ管理者/責任者 of ``unit`` and the units above it, today."""
    today = timezone.localdate()
    return [
        a.person
        for a in RoleAssignment.objects.filter(
            org_unit_id__in=permissions.unit_and_ancestors(unit),
            role__in=UNIT_ASSET_ROLES,
            start_date__lte=today,
            person__is_active=True,
        )
        .exclude(end_date__lt=today)
        .select_related("person")
    ]


def _mail(subject: str, body: str, people: list[Person]) -> int:
    from isms.inspections.reminders import _send

    sent = 0
    for email in sorted({p.email for p in people if p.email}):
        sent += int(_send(subject, body, email))
    return sent


def _notify_finding(finding_id: int) -> None:
    """Tell the unit's managers of a new finding (in Japanese, like every mail of the ISMS)."""
    with translation.override("ja"):
        _notify_finding_ja(finding_id)


def _notify_finding_ja(finding_id: int) -> None:
    finding = Finding.objects.select_related("audit__plan", "org_unit").get(pk=finding_id)
    body = _(
        "The audit %(audit)s recorded a finding for %(unit)s:\n\n%(ref)s %(title)s (%(severity)s)"
        "\n\nAnswer it with corrective actions in the ISMS (監査 → 指摘事項)."
    ) % {
        "audit": finding.audit,
        "unit": finding.org_unit.name,
        "ref": finding.reference,
        "title": finding.title,
        "severity": finding.get_severity_display(),
    }
    _mail(_("Audit finding for your unit"), body, _unit_managers(finding.org_unit))


def _notify_owner(action_id: int) -> None:
    """Tell the owner of a new corrective action (in Japanese)."""
    with translation.override("ja"):
        _notify_owner_ja(action_id)


def _notify_owner_ja(action_id: int) -> None:
    action = CorrectiveAction.objects.select_related("owner").get(pk=action_id)
    body = _(
        "You are responsible for the corrective action %(title)s (%(ref)s), due %(due)s.\n\n"
        "Report its progress in the ISMS."
    ) % {"title": action.title, "ref": action.source_reference, "due": action.due_date}
    _mail(_("Corrective action assigned to you"), body, [action.owner])
