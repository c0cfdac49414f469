"""Reminders by mail for inspection sheets not submitted by the deadline (a daily task).

Each respondent gets one mail listing their overdue sheets; each unit's 情報セキュリティ管理者 gets
one mail with the number of overdue sheets of their unit. A sheet is reminded at most once a day
(``reminded_on``); a mail that cannot be sent is retried the next day. People without an e-mail
address are skipped. Queries are grouped: one per kind of recipient, whatever the campaign size.
"""

from __future__ import annotations

import logging
from smtplib import SMTPException

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from isms.core import journal
from isms.core.models import RoleAssignment
from isms.core.roles import Role

from .models import InspectionResponse, SelfInspection

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
