"""Reminders by mail for inspection sheets not submitted by the deadline (a daily task).

Each respondent gets one mail listing their overdue sheets; each unit's 情報セキュリティ管理者 gets
one mail with the number of overdue sheets of their unit. A sheet is reminded at most once a day
(``reminded_on``); a mail that cannot be sent is retried the next day. People without an e-mail
address are skipped. Queries are grouped: one per kind of recipient, whatever the campaign size.
"""

from __future__ import annotations

import datetime
import logging
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from isms.core import journal, permissions
from isms.core.calendar import business_days_between
from isms.core.models import Person, RoleAssignment
from isms.core.roles import Role

from .models import CorrectiveAction, InspectionResponse, SelfInspection

logger = logging.getLogger(__name__)
SYSTEM = "inspection-reminders"
S = InspectionResponse.Status
UNSUBMITTED = (S.NOT_STARTED, S.IN_PROGRESS, S.RETURNED)


def _send(subject: str, body: str, to: str) -> bool:
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [to])
    except (OSError, SMTPException):
        logger.exception("inspection reminder to %s could not be sent", to)
        return False
    return True


def remind_overdue(today: object = None) -> tuple[int, int]:
    """Mail respondents with overdue sheets and their units' managers.

    Returns (respondents mailed, managers mailed).
    """
    today = today or timezone.localdate()
    overdue = InspectionResponse.objects.filter(
        campaign__status=SelfInspection.Status.OPEN,
        campaign__deadline__lt=today,
        status__in=UNSUBMITTED,
        person__is_active=True,
    ).filter(Q(reminded_on__isnull=True) | Q(reminded_on__lt=today))
    people = (
        overdue.exclude(person__email="")
        .order_by()
        .values("person_id", "person__email", "campaign__municipality_id")
        .annotate(n=Count("pk"))
    )
    units = overdue.order_by().values("org_unit_id", "org_unit__name").annotate(n=Count("pk"))
    mailed_people, mailed_managers = 0, 0
    done_people: list[int] = []
    with translation.override("ja"):
        for row in people:
            body = _(
                "You have %(n)s self-inspection sheet(s) past the deadline. Please answer and "
                "submit them in the ISMS (自己点検)."
            ) % {"n": row["n"]}
            if _send(_("Self-inspection: sheets past the deadline"), body, row["person__email"]):
                mailed_people += 1
                done_people.append(row["person_id"])
        counts = {u["org_unit_id"]: (u["org_unit__name"], u["n"]) for u in units}
        managers = (
            RoleAssignment.objects.filter(
                role=Role.DIVISION_SECURITY_MANAGER,
                org_unit_id__in=list(counts),
                start_date__lte=today,
                person__is_active=True,
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
            .exclude(person__email="")
            .values_list("org_unit_id", "person__email")
        )
        for unit_id, email in managers:
            name, n = counts[unit_id]
            body = _(
                "%(n)s self-inspection sheet(s) of %(unit)s are past the deadline and not "
                "submitted. Please remind the staff concerned."
            ) % {"n": n, "unit": name}
            if _send(_("Self-inspection: overdue sheets of your unit"), body, email):
                mailed_managers += 1
    with transaction.atomic():
        # Sheets of people without an address are marked too: their manager was told.
        reached = overdue.filter(Q(person_id__in=done_people) | Q(person__email=""))
        marked = dict(
            reached.order_by().values_list("campaign__municipality_id").annotate(n=Count("pk"))
        )
        InspectionResponse.objects.filter(pk__in=reached.values("pk")).update(reminded_on=today)
        for municipality_id, n in marked.items():
            journal.record(
                actor=None,
                system=SYSTEM,
                action="self_inspection.reminded",
                municipality=municipality_id,
                object_type="inspections.inspectionresponse",
                after={"sheets": n},
            )
    return mailed_people, mailed_managers


# --- overdue corrective actions (any source) ------------------------------------------------------

ACTIONS_SYSTEM = "corrective-action-reminders"
ACTION_REMIND_EVERY_DAYS = 7
ACTION_ESCALATE_AFTER_BUSINESS_DAYS = 10
NOT_DONE = (CorrectiveAction.Status.OPEN, CorrectiveAction.Status.IN_PROGRESS)


def _current(assignments: Any, today: datetime.date) -> Any:
    return assignments.filter(start_date__lte=today, person__is_active=True).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def escalation_recipients(action: CorrectiveAction, today: datetime.date) -> list[Person]:
    """Who is told of a long-overdue action: the 情報セキュリティ管理者/責任者 of its unit and the
    units above, the 統括情報セキュリティ責任者, and for an audit's action the lead auditor."""
    from isms.inspections.audits.models import AuditAuditor

    people: dict[int, Person] = {}
    found = RoleAssignment.objects.filter(
        municipality_id=action.municipality_id, role=Role.LEAD_SECURITY_OFFICER
    )
    if action.org_unit is not None:
        found = found | RoleAssignment.objects.filter(
            org_unit_id__in=permissions.unit_and_ancestors(action.org_unit),
            role__in=permissions.UNIT_ASSET_ROLES,
        )
    for a in _current(found, today).select_related("person"):
        people[a.person_id] = a.person
    if action.finding_id is not None:
        auditors = AuditAuditor.objects.filter(
            audit__findings=action.finding_id, person__is_active=True
        ).select_related("person")
        leads = [a for a in auditors if a.is_lead] or list(auditors)
        for a in leads:
            people[a.person_id] = a.person
    return sorted(people.values(), key=lambda p: p.pk)


def _remind_owner(action: CorrectiveAction, late: int) -> bool:
    body = _(
        "The corrective action %(title)s (%(ref)s) you are responsible for was due on %(due)s "
        "and is %(days)s business day(s) overdue. Please complete it, or report its progress, "
        "in the ISMS (是正処置)."
    ) % {
        "title": action.title,
        "ref": action.source_reference or action.get_source_display(),
        "due": action.due_date.isoformat(),
        "days": late,
    }
    return _send(_("Corrective action overdue"), body, action.owner.email)


def _escalate(action: CorrectiveAction, people: list[Person], late: int) -> bool:
    """Mail the escalation to ``people``; False when a mail could not be sent (retried)."""
    body = _(
        "The corrective action %(title)s (%(ref)s) of %(unit)s, owned by %(owner)s, was due on "
        "%(due)s and is %(days)s business days overdue. Please follow it up in the ISMS "
        "(是正処置)."
    ) % {
        "title": action.title,
        "ref": action.source_reference or action.get_source_display(),
        "unit": action.org_unit.name if action.org_unit else "—",
        "owner": action.owner,
        "due": action.due_date.isoformat(),
        "days": late,
    }
    subject = _("Escalation: corrective action overdue")
    sent = True
    for email in sorted({p.email for p in people if p.email}):
        sent = _send(subject, body, email) and sent
    return sent


def remind_overdue_actions(today: datetime.date | None = None) -> tuple[int, int]:
    """Follow up corrective actions (of any source) not done by their due date.

    The owner is mailed at most once every 7 days (``reminded_on``). An action overdue by 10
    business days or more is escalated once (``escalated_on``) to the 情報セキュリティ管理者/責任者
    of its unit and the units above, the 統括情報セキュリティ責任者 and, for an audit's action, the
    lead auditor; each escalation is journaled. People without an e-mail address are skipped; a
    mail that cannot be sent is logged and retried the next day. Returns (owners reminded,
    actions escalated).
    """
    today = today or timezone.localdate()
    overdue = (
        CorrectiveAction.objects.filter(status__in=NOT_DONE, due_date__lt=today)
        .select_related("owner", "org_unit")
        .order_by("municipality_id", "due_date", "pk")
    )
    remind_before = today - datetime.timedelta(days=ACTION_REMIND_EVERY_DAYS - 1)
    reminded: list[int] = []
    escalated = 0
    with translation.override("ja"):
        for action in overdue:
            late = business_days_between(action.due_date, today)
            owner = action.owner
            if (
                (action.reminded_on is None or action.reminded_on < remind_before)
                and owner.is_active
                and owner.email
                and _remind_owner(action, late)
            ):
                reminded.append(action.pk)
            if action.escalated_on is not None or late < ACTION_ESCALATE_AFTER_BUSINESS_DAYS:
                continue
            people = escalation_recipients(action, today)
            if not _escalate(action, people, late):
                continue
            with transaction.atomic():
                CorrectiveAction.objects.filter(pk=action.pk).update(escalated_on=today)
                journal.record(
                    actor=None,
                    system=ACTIONS_SYSTEM,
                    action="corrective_action.escalate",
                    obj=action,
                    after={
                        "overdue_business_days": late,
                        "due_date": action.due_date.isoformat(),
                        "recipients": [str(p) for p in people if p.email],
                    },
                )
            escalated += 1
    if reminded:
        with transaction.atomic():
            CorrectiveAction.objects.filter(pk__in=reminded).update(reminded_on=today)
            counts = dict(
                CorrectiveAction.objects.filter(pk__in=reminded)
                .order_by()
                .values_list("municipality_id")
                .annotate(n=Count("pk"))
            )
            for municipality_id, n in counts.items():
                journal.record(
                    actor=None,
                    system=ACTIONS_SYSTEM,
                    action="corrective_action.reminded",
                    municipality=municipality_id,
                    object_type="inspections.correctiveaction",
                    after={"actions": n},
                )
    return len(reminded), escalated
