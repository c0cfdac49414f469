"""運搬 / 外部提供 / 廃棄 of assets whose classes require permission, and the disposal log.

Whether a stage needs the 情報セキュリティ管理者's permission is never decided here: it follows
from the asset's classes through the core's derived 取扱制限 (``HandlingRules.needs_approval``;
機密性2以上 in both schemes). The approver is the manager of the asset's unit (or a unit above
it), a deputy during a delegation, or a lead — never the applicant (兼務の禁止, checked against
the absent holder too when a deputy decides). A deputy's decision is journaled on behalf of the
holder.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.classification import ClassificationError, HandlingStage, derive_handling
from isms.core import journal, permissions
from isms.core.models import Person, User
from isms.core.permissions import Action, SeparationOfDutiesError

from .common import core_message, fresh
from .facts import classification_of
from .models import REQUEST_STAGES, DisposalRecord, InformationAsset, LifecycleRequest
from .visibility import approval_capacity, can_edit, can_view

__all__ = [
    "approve_lifecycle_request",
    "needs_approval",
    "record_disposal",
    "reject_lifecycle_request",
    "request_lifecycle",
    "withdraw_lifecycle_request",
]

TEXT_MAX = 2000


def needs_approval(asset: InformationAsset, stage: HandlingStage) -> bool:
    """Return whether ``stage`` of ``asset`` needs permission, from its derived 取扱制限.

    An unclassified asset is treated as needing it: nobody can tell that it does not.
    """
    classification = classification_of(asset)
    if classification is None:
        return True
    return derive_handling(classification).needs_approval(stage)


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person.objects.filter(user=user).first()


def _text(value: str, name: str, *, required: str | None) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({name: required})
    if len(text) > TEXT_MAX:
        raise ValidationError(
            {name: _("The text is too long (at most %(max)d characters).") % {"max": TEXT_MAX}}
        )
    return text


def _snapshot(request: LifecycleRequest) -> dict[str, object]:
    return journal.snapshot(request)


def request_lifecycle(
    actor: User, asset: InformationAsset, *, kind: str, details: str
) -> LifecycleRequest:
    """Ask permission to transport, provide or dispose of ``asset`` (anyone who sees it)."""
    permissions.require(actor, Action.VIEW_ASSETS, asset)
    if not can_view(actor, asset):
        raise PermissionDenied(_("You are not allowed to do this."))
    if kind not in REQUEST_STAGES:
        raise ValidationError(
            {"kind": ValidationError(_("Choose transport, provision or disposal."), code="invalid")}
        )
    text = _text(
        details,
        "details",
        required=_("Describe what is to be done: where to, to whom, how and when."),
    )
    if asset.status == InformationAsset.Status.DISPOSED:
        raise ValidationError({"kind": _("This asset has already been disposed of.")})
    try:
        required = needs_approval(asset, REQUEST_STAGES[kind])
    except ClassificationError as exc:
        raise ValidationError({"kind": core_message(exc)}) from None
    if not required:
        message = _(
            "The classes of this asset need no permission for this: its handling "
            "restrictions apply without a request."
        )
        raise ValidationError({"kind": ValidationError(message, code="no_approval_needed")})
    with transaction.atomic():
        current = fresh(asset, lock=True)
        if (
            kind == LifecycleRequest.Kind.DISPOSE
            and current.lifecycle_requests.filter(
                kind=kind,
                state__in=[LifecycleRequest.State.PENDING, LifecycleRequest.State.APPROVED],
                disposal_record__isnull=True,
            ).exists()
        ):
            raise ValidationError(
                {"kind": _("A disposal of this asset is already requested or approved.")}
            )
        request = LifecycleRequest.objects.create(
            municipality_id=current.municipality_id,
            asset=current,
            kind=kind,
            details=text,
            applicant=actor,
        )
        journal.record(
            actor=actor, action="asset_request.create", obj=request, after=_snapshot(request)
        )
    return request


def _decide(
    actor: User, request: LifecycleRequest, *, state: str, reason: str, action: str
) -> LifecycleRequest:
    capacity = approval_capacity(actor, request)
    if request.state != LifecycleRequest.State.PENDING:
        raise ValidationError(_("This request is not awaiting a decision."))
    try:
        permissions.check_separation(
            applicant=_person(request.applicant),
            approver=_person(actor),
            subject=f"assets.lifecyclerequest:{request.pk}",
            on_behalf_of=capacity.on_behalf_of,
        )
    except SeparationOfDutiesError as exc:
        raise SeparationOfDutiesError({"approver": exc.error_list}) from exc
    if request.applicant_id == actor.pk:  # an applicant without a person record
        message = _("You asked for this yourself; another person must decide (兼務の禁止).")
        raise SeparationOfDutiesError(
            {"approver": ValidationError(message, code="sod_applicant_approver")}
        )
    with transaction.atomic():
        # Two decisions at once must not both pass: re-read under a row lock.
        current = LifecycleRequest.objects.select_for_update().get(pk=request.pk)
        if current.state != LifecycleRequest.State.PENDING:
            raise ValidationError(_("This request is not awaiting a decision."))
        before = _snapshot(current)
        current.state = state
        current.approver = actor
        current.approved_on_behalf_of = capacity.label
        current.decided_at = timezone.now()
        current.decision_reason = reason
        current.save(
            update_fields=[
                "state",
                "approver",
                "approved_on_behalf_of",
                "decided_at",
                "decision_reason",
            ]
        )
        journal.record(
            actor=actor,
            action=action,
            obj=current,
            before=before,
            after=_snapshot(current),
            on_behalf_of=capacity.label,
        )
    return current


def approve_lifecycle_request(
    actor: User, request: LifecycleRequest, *, reason: str = ""
) -> LifecycleRequest:
    """Approve a pending request, as the unit's manager, a deputy or a lead (not the applicant)."""
    text = _text(reason, "decision_reason", required=None)
    return _decide(
        actor,
        request,
        state=LifecycleRequest.State.APPROVED,
        reason=text,
        action="asset_request.approve",
    )


def reject_lifecycle_request(
    actor: User, request: LifecycleRequest, *, reason: str
) -> LifecycleRequest:
    """Reject a pending request, saying why (same deciders as an approval)."""
    text = _text(reason, "decision_reason", required=_("Say why the request is rejected."))
    return _decide(
        actor,
        request,
        state=LifecycleRequest.State.REJECTED,
        reason=text,
        action="asset_request.reject",
    )


def withdraw_lifecycle_request(actor: User, request: LifecycleRequest) -> LifecycleRequest:
    """Withdraw one's own pending request."""
    if request.applicant_id != actor.pk or not can_view(actor, request.asset):
        raise PermissionDenied(_("You are not allowed to do this."))
    with transaction.atomic():
        current = LifecycleRequest.objects.select_for_update().get(pk=request.pk)
        if current.state != LifecycleRequest.State.PENDING:
            raise ValidationError(_("This request is not awaiting a decision."))
        before = _snapshot(current)
        current.state = LifecycleRequest.State.WITHDRAWN
        current.decided_at = timezone.now()
        current.save(update_fields=["state", "decided_at"])
        journal.record(
            actor=actor,
            action="asset_request.withdraw",
            obj=current,
            before=before,
            after=_snapshot(current),
        )
    return current


def _approved_disposal(
    asset: InformationAsset, request: LifecycleRequest | None
) -> LifecycleRequest:
    missing = _(
        "Disposing of this asset needs the information security manager's permission: "
        "request the disposal and have it approved first."
    )
    if request is None:
        found = (
            LifecycleRequest.objects.filter(
                asset=asset,
                kind=LifecycleRequest.Kind.DISPOSE,
                state=LifecycleRequest.State.APPROVED,
                disposal_record__isnull=True,
            )
            .order_by("-decided_at")
            .first()
        )
        if found is None:
            raise ValidationError({"request": ValidationError(missing, code="approval_required")})
        return found
    request = LifecycleRequest.objects.get(pk=request.pk)  # its state now, not the caller's copy
    if (
        request.asset_id != asset.pk
        or request.kind != LifecycleRequest.Kind.DISPOSE
        or request.state != LifecycleRequest.State.APPROVED
    ):
        raise ValidationError(
            {"request": _("The request given is not an approved disposal of this asset.")}
        )
    if DisposalRecord.objects.filter(request=request).exists():
        raise ValidationError({"request": _("This approval has already been used.")})
    return request


def record_disposal(
    actor: User | None,
    asset: InformationAsset,
    *,
    disposed_on: datetime.date,
    method: str,
    disposed_by: Person | None = None,
    request: LifecycleRequest | None = None,
) -> DisposalRecord:
    """Record that ``asset`` was disposed of (date, person, method); the asset becomes disposed.

    When its classes require permission for 廃棄, an approved disposal request is required (the
    one given, or the approved one on record). The unit's managers record it, or the applicant
    whose request was approved.
    """
    if actor is not None:
        permissions.require(actor, Action.VIEW_ASSETS, asset)
        applicant = request is not None and request.applicant_id == actor.pk
        if not (can_edit(actor, asset) or (applicant and can_view(actor, asset))):
            raise PermissionDenied(_("You are not allowed to do this."))
    if asset.status == InformationAsset.Status.DISPOSED:
        raise ValidationError({"asset": _("This asset has already been disposed of.")})
    text = _text(
        method, "method", required=_("Say how it was disposed of (e.g. 物理破壊, 初期化).")
    )
    if disposed_on > timezone.localdate():
        raise ValidationError(
            {"disposed_on": _("Record a disposal once done: the date cannot be in the future.")}
        )
    person = disposed_by or _person(actor)
    if person is None:
        raise ValidationError({"disposed_by": _("Choose who disposed of the asset.")})
    if person.municipality_id != asset.municipality_id:
        message = _("The selected record was not found in this municipality.")
        raise ValidationError({"disposed_by": ValidationError(message, code="not_found")})
    try:
        required = needs_approval(asset, HandlingStage.DISPOSE)
    except ClassificationError as exc:
        raise ValidationError({"asset": core_message(exc)}) from None
    approved = _approved_disposal(asset, request) if required or request else None
    with transaction.atomic():
        current = fresh(asset, lock=True)
        if current.status == InformationAsset.Status.DISPOSED:
            raise ValidationError({"asset": _("This asset has already been disposed of.")})
        before = journal.snapshot(current, exclude=("search_key", "created_at", "updated_at"))
        record = DisposalRecord.objects.create(
            municipality_id=current.municipality_id,
            asset=current,
            request=approved,
            disposed_on=disposed_on,
            disposed_by=person,
            method=text,
            approver=approved.approver if approved else None,
            recorded_by=actor,
        )
        current.status = InformationAsset.Status.DISPOSED
        current.save(update_fields=["status", "updated_at"])
        journal.record(
            actor=actor,
            action="asset.dispose",
            obj=current,
            before=before,
            after={
                **journal.snapshot(current, exclude=("search_key", "created_at", "updated_at")),
                "disposal_record": journal.snapshot(record),
            },
        )
    return record
