"""Every write of the emergency response plan: the draft, its approval, the default plan and the
review reminders.

Each service checks the permission, validates what the model cannot (field-keyed
``ValidationError``, nothing saved), saves inside ``transaction.atomic()`` and journals in the
same transaction. An actor of None is system work (the configuration loader, the CLI, tasks).

**Approval.** The CISO or the chair of the 情報セキュリティ委員会 approves (対策基準 7.3: they
define the plan), in their own right or as the deputy named in a delegation in force; never
someone who edited the draft (兼務の禁止, ``check_separation``). ``permissions`` has no action
for this approval: the rule is :func:`approval_capacity`, beside the tenancy check
``VIEW_EMERGENCY_PLAN``.
"""

from __future__ import annotations

import datetime
import functools
import logging
import re
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.core.validators import EmailValidator
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from isms.assets.common import FieldErrors
from isms.core import journal, permissions
from isms.core.models import Municipality, OrgUnit, Person, RoleAssignment, User
from isms.core.permissions import Action, Capacity
from isms.core.roles import Role
from isms.core.templatetags.isms_roles import role_labels

from . import contacts
from .models import EmergencyResponsePlan

__all__ = [
    "APPROVER_ROLES",
    "CONTACT_CATEGORIES",
    "approval_capacity",
    "approve_plan",
    "current_plan",
    "draft_of",
    "load_default_plan",
    "org_changes",
    "remind_reviews",
    "review_state",
    "save_draft",
    "shown_plan",
]

logger = logging.getLogger(__name__)

SYSTEM = "emergency_plan"
APPROVER_ROLES = frozenset({Role.CISO, Role.COMMITTEE_CHAIR})
TEXT_MAX = 4000
ITEM_MAX = 500
ITEMS_MAX = 100
CONTACTS_MAX = 100
# The review reminder goes this many days before the review date, then weekly once overdue.
REMIND_DAYS = 28
OVERDUE_EVERY_DAYS = 7
# A review date further ahead than this is a typo (a plan is reviewed at least every few years).
REVIEW_MAX_DAYS = 3 * 366

CONTACT_CATEGORIES: dict[str, Any] = {
    "internal": gettext_lazy("Inside the municipality"),
    "prefecture": gettext_lazy("Prefecture"),
    "government": gettext_lazy("National government (MIC, PPC)"),
    "police": gettext_lazy("Police"),
    "jlis": gettext_lazy("J-LIS and information sharing bodies"),
    "vendor": gettext_lazy("Vendor"),
    "other": gettext_lazy("Other"),
}
STEP_FIELDS = ("steps_contact", "steps_evidence", "steps_containment", "steps_recovery")
LIST_FIELDS = ("reporting_items", *STEP_FIELDS)
PHONE_RE = re.compile(r"^[0-9０-９+＋()（）\-－ー ‐　#＃内線extEXT.:：]{2,40}$")
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --- reading ------------------------------------------------------------------------------------


def current_plan(municipality: Municipality | int) -> EmergencyResponsePlan | None:
    """The approved version in force, if any."""
    return EmergencyResponsePlan.objects.filter(
        municipality=municipality, status=EmergencyResponsePlan.Status.APPROVED
    ).first()


def draft_of(municipality: Municipality | int) -> EmergencyResponsePlan | None:
    """The draft being edited, if any."""
    return EmergencyResponsePlan.objects.filter(
        municipality=municipality, status=EmergencyResponsePlan.Status.DRAFT
    ).first()


def shown_plan(municipality: Municipality | int) -> EmergencyResponsePlan | None:
    """What the plan page shows: the version in force, or the draft while none was approved."""
    return current_plan(municipality) or draft_of(municipality)


def review_state(plan: EmergencyResponsePlan, today: datetime.date | None = None) -> str:
    """``overdue``, ``due_soon`` (within the reminder period) or ``ok``."""
    today = today or timezone.localdate()
    if plan.review_due < today:
        return "overdue"
    if (plan.review_due - today).days <= REMIND_DAYS:
        return "due_soon"
    return "ok"


def org_changes(
    plan: EmergencyResponsePlan,
    today: datetime.date | None = None,
    limit: int = 20,
    *,
    with_people: bool = True,
) -> list[str]:
    """What changed in the contact tree's role assignments since ``plan`` was approved.

    The plan is reviewed when the organisation changes (対策基準 7.3): the pages show these as a
    warning. Empty for a draft, or when nothing changed. ``with_people=False`` (a reader without
    VIEW_ROLES) names the roles whose holders changed, not the people.
    """
    if not plan.is_approved:
        return []
    today = today or timezone.localdate()
    then = {tuple(r) for r in plan.org_snapshot}
    now = {tuple(r) for r in contacts.org_snapshot(plan.municipality_id, plan.contact_roles, today)}
    added, removed = sorted(now - then, key=str), sorted(then - now, key=str)
    if not added and not removed:
        return []
    names = {
        p.pk: p.full_name for p in Person.objects.filter(pk__in={r[2] for r in added + removed})
    }
    units = dict(
        OrgUnit.objects.filter(pk__in={r[1] for r in added + removed if r[1]}).values_list(
            "pk", "name"
        )
    )
    labels = role_labels(plan.municipality_id)
    messages: list[str] = []

    def where(row: tuple[Any, ...]) -> str:
        role = labels.get(str(row[0]), str(row[0]))
        return f"{role}（{units[row[1]]}）" if row[1] in units else role

    if not with_people:
        changed = sorted({where(row) for row in added + removed})
        messages = [_("The holders of %(role)s changed.") % {"role": r} for r in changed]
        added = removed = []
    for row in added:
        messages.append(
            _("%(person)s now holds %(role)s.")
            % {"person": names.get(row[2], "?"), "role": where(row)}
        )
    for row in removed:
        messages.append(
            _("%(person)s no longer holds %(role)s.")
            % {"person": names.get(row[2], "?"), "role": where(row)}
        )
    if len(messages) > limit:
        rest = len(messages) - limit
        messages = [*messages[:limit], _("… and %(count)d more changes.") % {"count": rest}]
    return messages


# --- validation ---------------------------------------------------------------------------------


def _text(
    data: dict[str, Any],
    name: str,
    errors: FieldErrors,
    *,
    required: str | None = None,
    max_length: int = TEXT_MAX,
) -> str:
    value = data.get(name)
    if value is not None and not isinstance(value, str):
        errors.add(name, _("Enter text."))
        return ""
    text = (value or "").strip()
    if required and not text:
        errors.add(name, required)
    if len(text) > max_length:
        errors.add(
            name, _("The text is too long (at most %(max)d characters).") % {"max": max_length}
        )
    if "\x00" in text:
        errors.add(name, _("Remove the NUL character (\\x00) from this text."))
    return text


def _items(data: dict[str, Any], name: str, errors: FieldErrors, required: str) -> list[str]:
    value = data.get(name)
    if value is None:
        value = []
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors.add(name, _("Give a list of texts, one per item."))
        return []
    items = [v.strip() for v in value if v.strip()]
    if not items:
        errors.add(name, required)
    if len(items) > ITEMS_MAX:
        errors.add(name, _("Give at most %(max)d items.") % {"max": ITEMS_MAX})
    for i, item in enumerate(items, start=1):
        if len(item) > ITEM_MAX:
            errors.add(
                name,
                _("Item %(n)d is too long (at most %(max)d characters): shorten or split it.")
                % {"n": i, "max": ITEM_MAX},
            )
        if CONTROL_RE.search(item):
            errors.add(name, _("Item %(n)d contains a control character.") % {"n": i})
    return items


def _roles(data: dict[str, Any], errors: FieldErrors) -> list[str]:
    value = data.get("contact_roles")
    if value is None:
        return list(contacts.DEFAULT_ROLES)
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) for v in value):
        errors.add("contact_roles", _("Give a list of role codes."))
        return []
    roles: list[str] = []
    for code in value:
        code = code.strip()
        if code not in Role.values:
            errors.add(
                "contact_roles",
                _("Unknown role %(role)s. Use one of: %(roles)s.")
                % {"role": code, "roles": ", ".join(Role.values)},
            )
        elif code not in roles:
            roles.append(code)
    if not roles and "contact_roles" not in errors.by_field:
        errors.add("contact_roles", _("Choose at least one role for the contact tree."))
    return roles


def _contacts(data: dict[str, Any], errors: FieldErrors) -> list[dict[str, str]]:
    value = data.get("extra_contacts")
    if value is None:
        return []
    if not isinstance(value, list | tuple) or not all(isinstance(v, dict) for v in value):
        errors.add("extra_contacts", _("Give a list of contacts."))
        return []
    if len(value) > CONTACTS_MAX:
        errors.add("extra_contacts", _("Give at most %(max)d contacts.") % {"max": CONTACTS_MAX})
        return []
    found: list[dict[str, str]] = []
    email_ok = EmailValidator()
    for n, row in enumerate(value, start=1):
        unknown = set(row) - {"category", "name", "phone", "email", "note"}
        if unknown:
            errors.add(
                "extra_contacts",
                _("Contact %(n)d: unknown field %(field)s.")
                % {"n": n, "field": ", ".join(sorted(map(str, unknown)))},
            )
            continue
        if not all(isinstance(v, str) for v in row.values()):
            errors.add("extra_contacts", _("Contact %(n)d: every field is text.") % {"n": n})
            continue
        c = {k: str(row.get(k, "")).strip() for k in ("category", "name", "phone", "email", "note")}
        c["category"] = c["category"] or "other"
        if c["category"] not in CONTACT_CATEGORIES:
            errors.add(
                "extra_contacts",
                _("Contact %(n)d: unknown category %(category)s. Use one of: %(choices)s.")
                % {"n": n, "category": c["category"], "choices": ", ".join(CONTACT_CATEGORIES)},
            )
        if not c["name"]:
            errors.add(
                "extra_contacts",
                _("Contact %(n)d: give the name of the organisation or person.") % {"n": n},
            )
        if not c["phone"] and not c["email"]:
            errors.add(
                "extra_contacts",
                _("Contact %(n)d (%(name)s): give a telephone number or an e-mail address.")
                % {"n": n, "name": c["name"]},
            )
        if c["phone"] and not PHONE_RE.match(c["phone"]):
            errors.add(
                "extra_contacts",
                _(
                    "Contact %(n)d (%(name)s): %(phone)s is not a telephone number. Use digits, "
                    "hyphens and brackets, e.g. 0554-43-1111 or 内線123."
                )
                % {"n": n, "name": c["name"], "phone": c["phone"]},
            )
        if c["email"]:
            try:
                email_ok(c["email"])
            except ValidationError:
                errors.add(
                    "extra_contacts",
                    _("Contact %(n)d (%(name)s): %(email)s is not an e-mail address.")
                    % {"n": n, "name": c["name"], "email": c["email"]},
                )
        for key, limit in (("name", 200), ("phone", 40), ("email", 254), ("note", ITEM_MAX)):
            if len(c[key]) > limit or CONTROL_RE.search(c[key]):
                errors.add(
                    "extra_contacts",
                    _("Contact %(n)d: the %(field)s is too long or contains a control character.")
                    % {"n": n, "field": key},
                )
        found.append(c)
    return found


def _review_due(data: dict[str, Any], errors: FieldErrors, today: datetime.date) -> Any:
    value = data.get("review_due")
    if isinstance(value, str):
        try:
            value = datetime.date.fromisoformat(value.strip())
        except ValueError:
            errors.add("review_due", _("Enter a date as YYYY-MM-DD."))
            return None
    if not isinstance(value, datetime.date):
        errors.add("review_due", _("Give the date of the next review."))
        return None
    if value < today:
        errors.add(
            "review_due",
            _("The review date %(date)s has passed. Give a date from today on.")
            % {"date": value.isoformat()},
        )
    elif (value - today).days > REVIEW_MAX_DAYS:
        errors.add(
            "review_due",
            _("The review date %(date)s is more than three years away. Review the plan sooner.")
            % {"date": value.isoformat()},
        )
    return value


def _cleaned(data: dict[str, Any], today: datetime.date) -> dict[str, Any]:
    """Validate the plan's fields (all of them); raise one field-keyed ``ValidationError``."""
    errors = FieldErrors()
    unknown = set(data) - set(FIELDS)
    for name in sorted(unknown):
        errors.add(name, _("This field is not accepted here; check its spelling."))
    out: dict[str, Any] = {
        "title": _text(data, "title", errors, required=_("Give the plan a title."), max_length=200),
        "contact_roles": _roles(data, errors),
        "contact_point": _text(
            data,
            "contact_point",
            errors,
            required=_(
                "Give the single point of contact (統一的な窓口) that receives incident reports: "
                "its unit, telephone and e-mail."
            ),
        ),
        "extra_contacts": _contacts(data, errors),
        "reporting_items": _items(
            data,
            "reporting_items",
            errors,
            _("List what must be reported about an incident (報告すべき事項), one item a line."),
        ),
        "recurrence_prevention": _text(
            data,
            "recurrence_prevention",
            errors,
            required=_(
                "Say how recurrence prevention measures (再発防止措置) are drawn up, by whom and "
                "by when."
            ),
        ),
        "bcp_title": _text(data, "bcp_title", errors, max_length=200),
        "bcp_location": _text(data, "bcp_location", errors, max_length=500),
        "review_due": _review_due(data, errors, today),
        "change_note": _text(data, "change_note", errors),
    }
    step_messages = {
        "steps_contact": _("List the steps of contacting (連絡), one a line."),
        "steps_evidence": _("List the steps of evidence preservation (証拠保全), one a line."),
        "steps_containment": _(
            "List the steps that prevent the damage from spreading (被害拡大の防止), one a line."
        ),
        "steps_recovery": _("List the steps of recovery (復旧), one a line."),
    }
    for name, message in step_messages.items():
        out[name] = _items(data, name, errors, message)
    if out["bcp_location"] and not out["bcp_title"]:
        errors.add("bcp_title", _("Give the title of the business continuity plan (BCP)."))
    if CONTROL_RE.search(out["bcp_location"]):
        errors.add("bcp_location", _("Remove the control characters from the location."))
    errors.raise_if_any()
    return out


FIELDS = (
    "title",
    "contact_roles",
    "contact_point",
    "extra_contacts",
    "reporting_items",
    *STEP_FIELDS,
    "recurrence_prevention",
    "bcp_title",
    "bcp_location",
    "review_due",
    "change_note",
)


def _snapshot(plan: EmergencyResponsePlan) -> dict[str, Any]:
    return journal.snapshot(plan, exclude=("created_at", "updated_at"))


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person.objects.filter(user=user).first()


# --- writing ------------------------------------------------------------------------------------


def save_draft(
    actor: User | None, municipality: Municipality, **data: Any
) -> EmergencyResponsePlan:
    """Save the plan's draft: the open draft, or a new one (the next version number).

    Every field is given (the API and the form send the whole plan); bad input raises a
    field-keyed ``ValidationError`` and saves nothing.
    """
    cap = (
        permissions.require(actor, Action.MANAGE_EMERGENCY_PLAN, municipality=municipality)
        if actor is not None
        else None
    )
    fields = _cleaned(data, timezone.localdate())
    # A deputy edits in the absent holder's name: both count as editors (兼務の禁止), so the
    # holder cannot approve what their deputy wrote for them.
    editors = [p for p in (_person(actor), cap.on_behalf_of if cap else None) if p is not None]
    try:
        with transaction.atomic():
            plan = (
                EmergencyResponsePlan.objects.select_for_update()
                .filter(municipality=municipality, status=EmergencyResponsePlan.Status.DRAFT)
                .first()
            )
            if plan is None:
                top = EmergencyResponsePlan.objects.filter(municipality=municipality).aggregate(
                    v=Max("version")
                )["v"]
                plan = EmergencyResponsePlan(
                    municipality=municipality,
                    version=(top or 0) + 1,
                    status=EmergencyResponsePlan.Status.DRAFT,
                    created_by=actor,
                )
                before = None
                action = "emergency_plan.create_draft"
            else:
                before = _snapshot(plan)
                action = "emergency_plan.update_draft"
            for name, value in fields.items():
                setattr(plan, name, value)
            for editor in editors:
                if editor.pk not in plan.editor_ids:
                    plan.editor_ids = [*plan.editor_ids, editor.pk]
            plan.save()
            journal.record(
                actor=actor,
                system=SYSTEM if actor is None else None,
                action=action,
                obj=plan,
                before=before,
                after=_snapshot(plan),
            )
    except IntegrityError:
        raise ValidationError(
            _("Someone else started a draft at the same time. Reload the page and try again.")
        ) from None
    return plan


def approval_capacity(user: User | None, municipality_id: int) -> Capacity | None:
    """The capacity in which ``user`` may approve the municipality's plan, or None.

    The CISO or the chair of the 情報セキュリティ委員会 (own right), or their deputy (代理) while
    a delegation is in force.
    """
    if user is None or not user.is_authenticated or user.municipality_id != municipality_id:
        return None
    if not permissions.can(user, Action.APPROVE_EMERGENCY_PLAN, municipality=municipality_id):
        return None
    return permissions.capacity(user, Action.APPROVE_EMERGENCY_PLAN)


def approve_plan(actor: User, plan: EmergencyResponsePlan) -> EmergencyResponsePlan:
    """Approve a draft: it comes into force and the version before it is superseded.

    Refused (``PermissionDenied``) to anyone but the CISO or the committee chair (or their
    deputy); refused (``ValidationError``) to an editor of the draft (兼務の禁止), for a version
    that is no draft, or whose contents no longer pass validation (a review date that passed
    while it waited).
    """
    capacity = approval_capacity(actor, plan.municipality_id)
    if capacity is None:
        raise PermissionDenied(
            _("Only the CISO or the chair of the information security committee approves the plan.")
        )
    approver = _person(actor)
    subject = f"incident_plan.emergencyresponseplan:{plan.pk}"
    today = timezone.localdate()
    with transaction.atomic():
        plan = EmergencyResponsePlan.objects.select_for_update().get(pk=plan.pk)
        if not plan.is_draft:
            raise ValidationError(
                _("Version %(version)d is not a draft: only a draft can be approved.")
                % {"version": plan.version}
            )
        for editor in Person.objects.filter(pk__in=plan.editor_ids).order_by("pk"):
            permissions.check_separation(
                applicant=editor,
                approver=approver,
                subject=subject,
                on_behalf_of=capacity.on_behalf_of,
            )
        _cleaned({name: getattr(plan, name) for name in FIELDS}, today)
        previous = current_plan(plan.municipality_id)
        if previous is not None:
            before_previous = _snapshot(previous)
            previous.status = EmergencyResponsePlan.Status.SUPERSEDED
            previous.save(update_fields=["status", "updated_at"])
            journal.record(
                actor=actor,
                action="emergency_plan.supersede",
                obj=previous,
                before=before_previous,
                after=_snapshot(previous),
                on_behalf_of=capacity.label,
            )
        before = _snapshot(plan)
        plan.status = EmergencyResponsePlan.Status.APPROVED
        plan.approved_by = actor
        plan.approved_at = timezone.now()
        plan.approved_on_behalf_of = capacity.label
        plan.org_snapshot = contacts.org_snapshot(plan.municipality_id, plan.contact_roles, today)
        plan.save()
        journal.record(
            actor=actor,
            action="emergency_plan.approve",
            obj=plan,
            before=before,
            after=_snapshot(plan),
            on_behalf_of=capacity.label,
        )
    return plan


def load_default_plan(
    municipality: Municipality, data: dict[str, Any]
) -> EmergencyResponsePlan | None:
    """Load the configuration's default plan text as the first draft (when the municipality has
    no plan yet); the CISO adapts and approves it. ``review_in_days`` sets the review date."""
    if EmergencyResponsePlan.objects.filter(municipality=municipality).exists():
        return None
    fields = {k: v for k, v in data.items() if k != "review_in_days"}
    days = int(data.get("review_in_days", 365))
    fields["review_due"] = timezone.localdate() + datetime.timedelta(days=days)
    return save_draft(None, municipality, **fields)


# --- reminders ----------------------------------------------------------------------------------


def _recipients(municipality_id: int, today: datetime.date) -> list[str]:
    """The CISO and the 統括情報セキュリティ責任者 (who keeps the 緊急連絡網) of the day; the
    municipality's administrators when nobody holds those roles."""
    holders = (
        RoleAssignment.objects.filter(
            municipality_id=municipality_id,
            role__in=[Role.CISO, Role.LEAD_SECURITY_OFFICER],
            start_date__lte=today,
            person__is_active=True,
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .select_related("person", "person__user")
        .order_by("role", "pk")
    )
    found: list[str] = []
    for a in holders:
        email = a.person.email or (a.person.user.email if a.person.user_id else "")
        if email and email not in found:
            found.append(email)
    if not found:
        admins = User.objects.filter(
            municipality_id=municipality_id, is_municipality_admin=True, is_active=True
        ).exclude(email="")
        found = sorted(set(admins.values_list("email", flat=True)))
    return found


def _reminder(plan: EmergencyResponsePlan, today: datetime.date) -> tuple[str, str] | None:
    """Which reminder ``plan`` is due for today: (kind, field to stamp), or None."""
    days = (plan.review_due - today).days
    if days < 0:
        last = plan.overdue_reminded_on
        if last is None or (today - last).days >= OVERDUE_EVERY_DAYS:
            return "overdue", "overdue_reminded_on"
        return None
    if days <= REMIND_DAYS and plan.review_reminded_on is None:
        return "due_soon", "review_reminded_on"
    return None


def _send_reminder(
    plan_pk: int,
    kind: str,
    stamp: str,
    previous: datetime.date | None,
    today: datetime.date,
    message: tuple[str, str, list[str]],
) -> None:
    """Send one reminder once its stamp is committed; when the mail cannot be sent, take the
    stamp back (journaled) so that the next day's run tries again."""
    subject, body, recipients = message
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except (OSError, SMTPException):
        logger.exception("review reminder of plan %s could not be sent", plan_pk)
        with transaction.atomic():
            plan = (
                EmergencyResponsePlan.objects.select_for_update()
                .filter(pk=plan_pk, **{stamp: today})
                .first()
            )
            if plan is None:
                return
            before = _snapshot(plan)
            setattr(plan, stamp, previous)
            plan.save(update_fields=[stamp])
            journal.record(
                actor=None,
                system=SYSTEM,
                action=f"emergency_plan.review_reminder_{kind}_failed",
                obj=plan,
                before=before,
                after={**_snapshot(plan), "recipients": recipients},
            )


def _message(
    plan: EmergencyResponsePlan, kind: str, today: datetime.date, recipients: list[str]
) -> tuple[str, str, list[str]]:
    values = {
        "municipality": plan.municipality.name,
        "title": plan.title,
        "version": plan.version,
        "date": plan.review_due.isoformat(),
        "days": abs((plan.review_due - today).days),
    }
    with translation.override(settings.LANGUAGE_CODE):
        if kind == "overdue":
            subject = _("[ISMS] The emergency response plan's review is overdue")
            body = (
                _(
                    "The review of %(municipality)s's emergency response plan "
                    '(緊急時対応計画) "%(title)s", version %(version)d, was due on %(date)s '
                    "(%(days)d days ago).\n\nReview the contacts, the reporting items and the "
                    "response steps, save a new draft and have it approved by the CISO."
                )
                % values
            )
        else:
            subject = _("[ISMS] The emergency response plan is due for review on %(date)s") % {
                "date": values["date"]
            }
            body = (
                _(
                    'The emergency response plan (緊急時対応計画) "%(title)s" of '
                    "%(municipality)s, version %(version)d, is due for review on %(date)s "
                    "(in %(days)d days).\n\nCheck that the contact tree, the other contacts, "
                    "the reporting items and the response steps are still right, save a new "
                    "draft and have it approved before then."
                )
                % values
            )
    return str(subject), str(body), recipients


def remind_reviews(today: datetime.date | None = None) -> int:
    """Mail the CISO and the lead of every approved plan whose review is near (once,
    :data:`REMIND_DAYS` before) or overdue (weekly). Returns the number of reminders due.

    Each reminder is stamped (and journaled) under a row lock first, and its mail goes out only
    once the stamp is committed: two runs at once send one mail, and a stamp that cannot be
    saved sends none. A mail that cannot be sent takes its stamp back, so the next day's run
    tries again.
    """
    today = today or timezone.localdate()
    due_count = 0
    pks = list(
        EmergencyResponsePlan.objects.filter(
            status=EmergencyResponsePlan.Status.APPROVED
        ).values_list("pk", flat=True)
    )
    for pk in pks:
        with transaction.atomic():
            plan = (
                EmergencyResponsePlan.objects.select_for_update(of=("self",))
                .select_related("municipality")
                .filter(pk=pk, status=EmergencyResponsePlan.Status.APPROVED)
                .first()
            )
            if plan is None:
                continue
            due = _reminder(plan, today)
            if due is None:
                continue
            kind, stamp = due
            recipients = _recipients(plan.municipality_id, today)
            if not recipients:
                logger.warning("no recipient for the review reminder of plan %s", plan.pk)
                continue
            message = _message(plan, kind, today, recipients)
            previous = getattr(plan, stamp)
            before = _snapshot(plan)
            setattr(plan, stamp, today)
            plan.save(update_fields=[stamp])
            journal.record(
                actor=None,
                system=SYSTEM,
                action=f"emergency_plan.review_reminder_{kind}",
                obj=plan,
                before=before,
                after={**_snapshot(plan), "recipients": recipients},
            )
            transaction.on_commit(
                functools.partial(_send_reminder, plan.pk, kind, stamp, previous, today, message)
            )
        due_count += 1
    return due_count
