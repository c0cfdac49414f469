"""Every write of the incidents app, the reporting chain's mail, escalation and the figures for
the policy review.

Each service checks the permission, validates (field-keyed ``ValidationError``, nothing saved),
saves inside ``transaction.atomic()`` and journals in the same transaction. Mail is sent after
the commit; a mail server that cannot be reached is logged and never undoes the report.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from isms.assets.common import FieldErrors
from isms.assets.models import InformationAsset
from isms.core import journal, permissions
from isms.core.calendar import fiscal_year_bounds, fiscal_year_of, is_business_day
from isms.core.models import Municipality, OrgUnit, Person, RoleAssignment, User
from isms.core.permissions import Action
from isms.core.roles import Role

from . import rules as rule_data
from .evidence import check_upload, describe, discard, store_upload
from .models import (
    Evidence,
    ExternalReport,
    Incident,
    IncidentCounter,
    IncidentSettings,
    PublicIntakeHit,
    TimelineEntry,
)
from .visibility import can_view

logger = logging.getLogger("isms.incidents")

SYSTEM = "incidents"
TITLE_MAX = 200
TEXT_MAX = 4000
PUBLIC_TEXT_MAX = 2000
MAX_LINKS = 3
CLOCK_TOLERANCE = datetime.timedelta(minutes=5)
# No incident is detected before this: older dates are typing errors (and year 1 overflows).
EARLIEST_DETECTION = datetime.datetime(2000, 1, 1)
BUSINESS_START = datetime.time(8, 30)
BUSINESS_END = datetime.time(17, 15)
PUBLIC_FORM_SALT = "isms.incidents.public-form"
PUBLIC_FORM_MAX_AGE = 2 * 3600
THREAT_CATEGORIES = ("intentional", "unintentional", "disaster", "pandemic", "infrastructure")
CONFIRMATION_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"

# The reporting chain (対策基準 5.3), one level per step of escalation.
LEVEL_UNIT_ROLES = {
    0: (Role.DIVISION_SECURITY_MANAGER,),
    1: (Role.SYSTEM_MANAGER,),
    2: (Role.BUREAU_SECURITY_OFFICER,),
}
LEVEL_WIDE_ROLES = {
    0: (Role.CSIRT_LEAD, Role.CSIRT_MEMBER),
    1: (Role.LEAD_SECURITY_OFFICER,),
    2: (Role.CISO,),
}
MAX_LEVEL = 2


# --- small helpers ----------------------------------------------------------------------------


def settings_for(municipality: Municipality | int) -> IncidentSettings:
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    found, _created = IncidentSettings.objects.get_or_create(municipality_id=mid)
    return found


def _person(user: User | None) -> Person | None:
    if user is None:
        return None
    return Person.objects.filter(user=user).first()


def _text(value: Any, name: str, errors: FieldErrors, *, limit: int, required: str = "") -> str:
    text = str(value or "").strip()
    if required and not text:
        errors.add(name, required)
    if len(text) > limit:
        errors.add(
            name,
            _("The text is too long (%(n)d characters; at most %(max)d).")
            % {"n": len(text), "max": limit},
        )
    return text


def _snap(incident: Incident) -> dict[str, Any]:
    return journal.snapshot(
        incident, exclude=("updated_at", "confirmation_digest", "assets", "corrective_actions")
    )


def _journal(actor: User | None, action: str, obj: Any, **kw: Any) -> None:
    journal.record(actor=actor, action=action, obj=obj, system=None if actor else SYSTEM, **kw)


def _next_number(municipality: Municipality, fiscal_year: int) -> str:
    counter, _c = IncidentCounter.objects.select_for_update().get_or_create(
        municipality=municipality, fiscal_year=fiscal_year
    )
    counter.last += 1
    counter.save(update_fields=["last"])
    return f"INC-{fiscal_year}-{counter.last:04d}"


def _aware(value: datetime.datetime) -> datetime.datetime:
    if timezone.is_naive(value):
        return timezone.make_aware(value)
    return value


# --- the reporting chain and its mail ----------------------------------------------------------


def _ancestors(unit: OrgUnit | None) -> list[int]:
    return permissions.unit_and_ancestors(unit) if unit is not None else []


def chain_people(incident: Incident, level: int) -> list[Person]:
    """The people of one level of the reporting chain for ``incident``, holding the role today."""
    today = timezone.localdate()
    current = RoleAssignment.objects.filter(
        municipality_id=incident.municipality_id, person__is_active=True, start_date__lte=today
    ).filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
    units = _ancestors(incident.org_unit)
    unit_ids = set(units)
    for asset in incident.assets.all():
        unit_ids.add(asset.owning_unit_id)
    condition = Q(role__in=[r.value for r in LEVEL_WIDE_ROLES.get(level, ())])
    unit_roles = [r.value for r in LEVEL_UNIT_ROLES.get(level, ())]
    if unit_roles:
        condition |= Q(role__in=unit_roles, org_unit_id__in=unit_ids)
    ids = current.filter(condition).values_list("person_id", flat=True)
    return list(Person.objects.filter(pk__in=set(ids)).order_by("pk"))


def chain_recipients(incident: Incident, level: int) -> list[str]:
    """Mail addresses of one level; level 0 adds the 統一的な窓口."""
    addresses = [p.email for p in chain_people(incident, level) if p.email]
    if level == 0:
        contact = settings_for(incident.municipality_id).contact_point_email
        if contact:
            addresses.insert(0, contact)
    return list(dict.fromkeys(addresses))


def _mail(incident: Incident, level: int, subject: str, body: str) -> int:
    recipients = chain_recipients(incident, level)
    if not recipients:
        return 0
    try:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)
    except (OSError, SMTPException):
        logger.exception("incident %s: mail to level %s could not be sent", incident.number, level)
        return 0
    return len(recipients)


def _notice(incident: Incident, headline: str) -> tuple[str, str]:
    # Mail leaves the system: it names the incident, never the personal data it concerns.
    subject = f"[ISMS] {incident.number} {headline}"
    body = (
        f"{headline}\n\n"
        f"番号: {incident.number}\n件名: {incident.title}\n"
        f"検知日時: {timezone.localtime(incident.detected_at):%Y-%m-%d %H:%M}\n"
        f"受付経路: {incident.get_channel_display()}\n\n"
        "内容はISMSにログインして確認してください（メールには記載しません）。\n"
    )
    return subject, body


def notify(incident: Incident, levels: Iterable[int], headline: str) -> None:
    """Mail ``levels`` of the chain after the current transaction commits."""
    pk = incident.pk
    levels = list(levels)

    def send() -> None:
        fresh = Incident.objects.get(pk=pk)
        subject, body = _notice(fresh, headline)
        for level in levels:
            _mail(fresh, level, subject, body)

    transaction.on_commit(send)


# --- reporting ---------------------------------------------------------------------------------


def _check_detected(detected_at: Any, errors: FieldErrors) -> datetime.datetime | None:
    if not isinstance(detected_at, datetime.datetime):
        errors.add("detected_at", _("Give the date and time the incident was noticed."))
        return None
    if detected_at.replace(tzinfo=None) < EARLIEST_DETECTION:
        errors.add(
            "detected_at",
            _("The time of detection is before %(earliest)s. Give when it was noticed.")
            % {"earliest": f"{EARLIEST_DETECTION:%Y-%m-%d}"},
        )
        return None
    detected_at = _aware(detected_at)
    if detected_at > timezone.now() + CLOCK_TOLERANCE:
        errors.add(
            "detected_at", _("The time of detection is in the future. Give when it was noticed.")
        )
    return detected_at


def report_incident(
    actor: User | None,
    municipality: Municipality,
    *,
    title: str,
    description: str,
    detected_at: datetime.datetime | None = None,
    personal_data: bool = False,
    org_unit: OrgUnit | None = None,
    channel: str = Incident.Channel.STAFF,
) -> Incident:
    """A member of staff reports an incident; the chain's first level and the 窓口 are mailed."""
    if actor is not None:
        permissions.require(actor, Action.REPORT_INCIDENTS, municipality=municipality)
    errors = FieldErrors()
    title = _text(title, "title", errors, limit=TITLE_MAX, required=_("Give a short title."))
    description = _text(
        description, "description", errors, limit=TEXT_MAX, required=_("Say what happened.")
    )
    detected = _check_detected(detected_at or timezone.now(), errors)
    person = _person(actor)
    if org_unit is None and person is not None:
        org_unit = person.org_unit
    if org_unit is not None and org_unit.municipality_id != municipality.pk:
        errors.add("org_unit", _("Choose a unit of this municipality."))
    errors.raise_if_any()
    assert detected is not None
    with transaction.atomic():
        fy = fiscal_year_of(timezone.localdate(detected))
        incident = Incident.objects.create(
            municipality=municipality,
            number=_next_number(municipality, fy),
            fiscal_year=fy,
            channel=channel,
            title=title,
            description=description,
            detected_at=detected,
            reporter=actor,
            reporter_name=str(person) if person else "",
            org_unit=org_unit,
            personal_data=bool(personal_data),
            last_progress_at=timezone.now(),
        )
        _journal(actor, "incident.reported", incident, after=_snap(incident))
        notify(incident, [0], "情報セキュリティインシデントの報告がありました")
    return incident


def client_key(municipality: Municipality, address: str) -> str:
    """A keyed hash of the client's address: enough to count, never the address itself."""
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, f"{municipality.pk}:{address}".encode(), hashlib.sha256).hexdigest()


def form_token() -> str:
    """The signed time at which the public form was shown (its minimum-time check)."""
    return signing.dumps(timezone.now().timestamp(), salt=PUBLIC_FORM_SALT)


class Refused(ValidationError):
    """The public form refused a request (spam, flood): said to the user, nothing saved."""

    def __init__(self, message: str, code: str, status: int = 400) -> None:
        super().__init__({"__all__": [message]}, code=code)
        self.status = status
        self.reason = code


def check_form_timing(token: str, municipality: Municipality) -> None:
    try:
        shown = float(
            signing.loads(token or "", salt=PUBLIC_FORM_SALT, max_age=PUBLIC_FORM_MAX_AGE)
        )
    except (signing.BadSignature, ValueError, TypeError):
        raise Refused(
            _("The form has expired or was altered. Reload the page and fill it in again."),
            "bad_token",
        ) from None
    waited = timezone.now().timestamp() - shown
    if waited > PUBLIC_FORM_MAX_AGE:
        raise Refused(
            _("The form has expired or was altered. Reload the page and fill it in again."),
            "bad_token",
        )
    if waited < settings_for(municipality).public_min_seconds:
        raise Refused(
            _("The form was sent too quickly. Check what you wrote and send it again."),
            "too_fast",
        )


def check_rate(municipality: Municipality, client: str, kind: str = "report") -> None:
    """Refuse when the client or the municipality sent too many requests in the last hour.

    The municipality's settings row is locked while counting, so that several app workers
    count the same requests; the hit is recorded in the same transaction.
    """
    s = IncidentSettings.objects.select_for_update().get(pk=settings_for(municipality).pk)
    since = timezone.now() - datetime.timedelta(hours=1)
    hits = PublicIntakeHit.objects.filter(
        municipality=municipality, kind=kind, created_at__gte=since
    )
    if hits.filter(client=client).count() >= s.public_per_address_hour:
        raise Refused(
            _(
                "Too many reports from your connection in the last hour. Wait an hour, or call "
                "the municipality's contact point."
            ),
            "flood_client",
            429,
        )
    if hits.count() >= s.public_per_municipality_hour:
        raise Refused(
            _(
                "The form is receiving too many reports right now. Try again later, or call the "
                "municipality's contact point."
            ),
            "flood_municipality",
            429,
        )
    PublicIntakeHit.objects.create(municipality=municipality, kind=kind, client=client)


def _confirmation_number() -> str:
    raw = "".join(secrets.choice(CONFIRMATION_ALPHABET) for _i in range(16))
    return "-".join(raw[i : i + 4] for i in range(0, 16, 4))


def _digest(number: str) -> str:
    clean = re.sub(r"[^A-Z0-9]", "", (number or "").upper())
    return hashlib.sha256(clean.encode()).hexdigest()


@dataclass(frozen=True)
class PublicReceipt:
    incident: Incident
    confirmation: str


def report_public(
    municipality: Municipality,
    *,
    client: str,
    token: str,
    honeypot: str,
    title: str,
    description: str,
    name: str = "",
    contact: str = "",
    attachment: Any = None,
) -> PublicReceipt:
    """A resident or outsider reports through the public form (no login).

    Refused, with a message and nothing saved: a filled honeypot, a form sent faster than a
    person can, a flood (per client and per municipality), text too long or full of links, an
    attachment too large or of a type not accepted.
    """
    if honeypot:
        raise Refused(_("The report could not be accepted. Leave the last field empty."), "spam")
    check_form_timing(token, municipality)
    errors = FieldErrors()
    title = _text(title, "title", errors, limit=TITLE_MAX, required=_("Give a short title."))
    description = _text(
        description, "description", errors, limit=PUBLIC_TEXT_MAX, required=_("Say what happened.")
    )
    name = _text(name, "name", errors, limit=100)
    contact = _text(contact, "contact", errors, limit=200)
    if len(re.findall(r"https?://", f"{title} {description}", re.I)) > MAX_LINKS:
        errors.add(
            "description",
            _("Too many links (at most %(max)d). Describe what happened in words.")
            % {"max": MAX_LINKS},
        )
    errors.raise_if_any()
    checked = check_upload(attachment)
    confirmation = _confirmation_number()
    written: list[Any] = []
    try:
        with transaction.atomic():
            check_rate(municipality, client)
            _use_token(municipality, token)
            incident, evidence = _create_public(
                municipality, title, description, name, contact, confirmation, checked, written
            )
            after = _snap(incident) | {"evidence": describe(evidence)}
            _journal(None, "incident.reported_public", incident, after=after)
            notify(incident, [0], "公開窓口から情報セキュリティインシデントの通報がありました")
    except BaseException:
        discard(written)
        raise
    return PublicReceipt(incident, confirmation)


def _use_token(municipality: Municipality, token: str) -> None:
    """Refuse a form token used before (inside check_rate's lock); remember this one.

    Only a digest is kept, in the public-form hits (forgotten after a day; a token lives two
    hours). A browser sending the form again (a refresh of the done page) files nothing.
    """
    digest = hashlib.sha256(f"{PUBLIC_FORM_SALT}:{token}".encode()).hexdigest()
    used = PublicIntakeHit.objects.filter(municipality=municipality, kind="token", client=digest)
    if used.exists():
        raise Refused(
            _(
                "This form has already been sent: your report was received once. To report "
                "something else, open the form again."
            ),
            "token_used",
            409,
        )
    PublicIntakeHit.objects.create(municipality=municipality, kind="token", client=digest)


def _create_public(
    municipality: Municipality,
    title: str,
    description: str,
    name: str,
    contact: str,
    confirmation: str,
    checked: Any,
    written: list[Any],
) -> tuple[Incident, Any]:
    now = timezone.now()
    fy = fiscal_year_of(timezone.localdate(now))
    incident = Incident.objects.create(
        municipality=municipality,
        number=_next_number(municipality, fy),
        fiscal_year=fy,
        channel=Incident.Channel.PUBLIC,
        title=title,
        description=description,
        detected_at=now,
        reporter_name=name,
        reporter_contact=contact,
        confirmation_digest=_digest(confirmation),
        last_progress_at=now,
    )
    return incident, store_upload(incident, None, checked, written)


PUBLIC_STATUS = {
    Incident.Status.REPORTED: "received",
    Incident.Status.ACKNOWLEDGED: "in_review",
    Incident.Status.TRIAGED: "in_review",
    Incident.Status.CLOSED: "closed",
    Incident.Status.NOT_INCIDENT: "closed",
}


def public_status(municipality: Municipality, confirmation: str, client: str) -> Incident | None:
    """The report a confirmation number belongs to (rate-limited; None when unknown)."""
    with transaction.atomic():
        check_rate(municipality, client, kind="status")
    if not confirmation or len(confirmation) > 40:
        return None
    return Incident.objects.filter(
        municipality=municipality,
        channel=Incident.Channel.PUBLIC,
        confirmation_digest=_digest(confirmation),
    ).first()


# --- handling ----------------------------------------------------------------------------------


def _fresh(incident: Incident) -> Incident:
    """The incident as stored now (the caller's copy may be older than the last write)."""
    return Incident.objects.get(pk=incident.pk)


def _require_triage(actor: User | None, incident: Incident) -> permissions.Capacity:
    if actor is None:
        return permissions.OWN_RIGHT
    return permissions.require(actor, Action.TRIAGE_INCIDENTS, incident)


def _require_open(incident: Incident) -> None:
    if not incident.is_open:
        raise ValidationError(
            {"__all__": [_("The incident is closed. Nothing can be changed any more.")]},
            code="closed",
        )


def _locked(incident: Incident) -> Incident:
    return Incident.objects.select_for_update().get(pk=incident.pk)


def acknowledge(actor: User | None, incident: Incident) -> Incident:
    """The CSIRT (or a lead) takes the report in hand; the chain's next level is told."""
    _require_triage(actor, incident)
    with transaction.atomic():
        incident = _locked(incident)
        _require_open(incident)
        if incident.acknowledged_at is not None:
            return incident
        before = _snap(incident)
        incident.acknowledged_at = incident.last_progress_at = timezone.now()
        incident.acknowledged_by = actor
        if incident.status == Incident.Status.REPORTED:
            incident.status = Incident.Status.ACKNOWLEDGED
        incident.notified_level = max(incident.notified_level, 1)
        incident.save()
        _journal(actor, "incident.acknowledged", incident, before=before, after=_snap(incident))
        notify(incident, [1], "情報セキュリティインシデントを受け付けました")
    return incident


def facts_of(incident: Incident) -> rule_data.Facts:
    return rule_data.Facts(
        personal_data=incident.personal_data,
        persons_affected=incident.persons_affected,
        involves_sensitive_data=incident.involves_sensitive_data,
        risk_of_financial_damage=incident.risk_of_financial_damage,
        unauthorised_purpose=incident.unauthorised_purpose,
        involves_ordinance_sensitive_data=incident.involves_ordinance_sensitive_data,
        involves_my_number=incident.involves_my_number,
        is_serious_situation=incident.is_serious_situation,
    )


def suggestion(incident: Incident) -> rule_data.Suggestion:
    """The PPC suggestion for the incident's facts under the current rules."""
    return rule_data.suggest(
        facts_of(incident),
        rule_data.load_rules(),
        timezone.localdate(incident.detected_at),
    )


TRIAGE_FLAGS = (
    "personal_data",
    "involves_sensitive_data",
    "involves_ordinance_sensitive_data",
    "risk_of_financial_damage",
    "unauthorised_purpose",
    "involves_my_number",
    "is_serious_situation",
)


def triage(
    actor: User | None,
    incident: Incident,
    *,
    is_incident: bool,
    severity: str = "",
    kind: str = "",
    threat_category: str = "",
    assets: Iterable[InformationAsset] = (),
    persons_affected: int = 0,
    note: str = "",
    **flags: bool,
) -> Incident:
    """Record the CSIRT's judgement; the PPC suggestion is computed from it and stored with the
    rule version. A serious incident (high, critical, or a PPC report suggested) goes to the
    CISO's level of the chain.

    "Not an incident" closes it, so it follows the closure's rules: the reporter does not
    judge their own report (兼務の禁止), and facts that fire a PPC rule need a recorded
    ``no_report`` decision with its reason first.
    """
    capacity = _require_triage(actor, incident)
    unknown = set(flags) - set(TRIAGE_FLAGS)
    if unknown:
        raise TypeError(f"unknown triage flags: {sorted(unknown)}")
    errors = FieldErrors()
    note = _text(note, "note", errors, limit=TEXT_MAX)
    assets = list(assets)
    if is_incident:
        if severity not in Incident.Severity.values:
            errors.add("severity", _("Choose the severity."))
        if kind not in Incident.Kind.values:
            errors.add("kind", _("Choose the kind of incident."))
        if threat_category not in THREAT_CATEGORIES:
            errors.add("threat_category", _("Choose the threat category (基本方針 2.3)."))
    elif not note:
        errors.add("note", _("Say why this is not an incident."))
    if not isinstance(persons_affected, int) or persons_affected < 0 or persons_affected > 10**9:
        errors.add("persons_affected", _("Give the number of persons as a whole number from 0."))
        persons_affected = 0
    for a in assets:
        if a.municipality_id != incident.municipality_id:
            errors.add("assets", _("Choose assets of this municipality's register."))
            break
    data = {f: bool(flags.get(f, False)) for f in TRIAGE_FLAGS}
    if (
        data["involves_sensitive_data"]
        or data["involves_my_number"]
        or data["involves_ordinance_sensitive_data"]
        or persons_affected
    ):
        data["personal_data"] = True
    if data["is_serious_situation"] and not data["involves_my_number"]:
        errors.add(
            "is_serious_situation",
            _(
                "A serious situation (重大な事態) concerns specific personal information: "
                "tick it too."
            ),
        )
    errors.raise_if_any()
    if not is_incident and actor is not None and incident.reporter_id is not None:
        permissions.check_separation(
            applicant=_person(incident.reporter),
            approver=_person(actor),
            subject=incident.number,
            on_behalf_of=capacity.on_behalf_of,
        )
    with transaction.atomic():
        incident = _locked(incident)
        _require_open(incident)
        before = _snap(incident)
        was_serious = incident.severity in ("high", "critical") or incident.ppc_suggested
        now = timezone.now()
        incident.is_incident = bool(is_incident)
        incident.severity = severity if is_incident else ""
        incident.kind = kind if is_incident else ""
        incident.threat_category = threat_category if is_incident else ""
        incident.persons_affected = persons_affected
        incident.triage_note = note
        for f, v in data.items():
            setattr(incident, f, v)
        if incident.acknowledged_at is None:
            incident.acknowledged_at, incident.acknowledged_by = now, actor
        incident.triaged_at, incident.triaged_by = now, actor
        incident.last_progress_at = now
        incident.status = Incident.Status.TRIAGED if is_incident else Incident.Status.NOT_INCIDENT
        if not is_incident:
            incident.closed_at, incident.closed_by = now, actor
        s = suggestion(incident)
        if s.required != incident.ppc_suggested or s.rule_ids != incident.ppc_rule_ids:
            # The facts changed the suggestion: any earlier decision must be confirmed again.
            incident.ppc_decision = ""
            incident.ppc_decided_at = incident.ppc_decided_by = None
        if (
            not is_incident
            and s.required
            and not (
                incident.ppc_decision == Incident.PpcDecision.NO_REPORT
                and incident.ppc_decision_reason
            )
        ):
            raise ValidationError(
                {
                    "is_incident": [
                        _(
                            "These facts suggest a report to the PPC. Record the decision not "
                            "to report, with its reason, before judging this not an incident."
                        )
                    ]
                },
                code="ppc_undecided",
            )
        incident.ppc_suggested = s.required
        incident.ppc_rule_version = s.version
        incident.ppc_rule_ids = s.rule_ids
        incident.ppc_preliminary_due = s.preliminary_due
        incident.ppc_final_due = s.final_due
        serious = incident.severity in ("high", "critical") or incident.ppc_suggested
        tell_ciso = bool(is_incident and serious and not was_serious)
        if tell_ciso:
            incident.notified_level = MAX_LEVEL
        incident.save()
        incident.assets.set(assets)
        after = _snap(incident) | {"assets": [a.asset_number for a in assets]}
        _journal(actor, "incident.triaged", incident, before=before, after=after)
        if tell_ciso:
            notify(incident, [2], "重大な情報セキュリティインシデントです")
    return incident


def decide_ppc_report(
    actor: User | None, incident: Incident, *, decision: str, reason: str = ""
) -> Incident:
    """A person confirms or overrides the PPC suggestion; an override needs a reason. The
    reporter of the incident does not decide on it (兼務の禁止)."""
    capacity = _require_triage(actor, incident)
    incident = _fresh(incident)
    errors = FieldErrors()
    reason = _text(reason, "reason", errors, limit=TEXT_MAX)
    if incident.triaged_at is None:
        errors.add("decision", _("Triage the incident first: the suggestion needs its facts."))
    if decision not in (Incident.PpcDecision.REPORT, Incident.PpcDecision.NO_REPORT):
        errors.add("decision", _("Choose whether to report to the PPC."))
    elif (decision == Incident.PpcDecision.REPORT) != incident.ppc_suggested and not reason:
        errors.add(
            "reason",
            _("The decision differs from the suggestion. Give the reason for overriding it."),
        )
    errors.raise_if_any()
    if actor is not None and incident.reporter_id is not None:
        permissions.check_separation(
            applicant=_person(incident.reporter),
            approver=_person(actor),
            subject=incident.number,
            on_behalf_of=capacity.on_behalf_of,
        )
    with transaction.atomic():
        incident = _locked(incident)
        _require_open(incident)
        before = _snap(incident)
        incident.ppc_decision = decision
        incident.ppc_decision_reason = reason
        incident.ppc_decided_at = incident.last_progress_at = timezone.now()
        incident.ppc_decided_by = actor
        incident.save()
        after = _snap(incident) | {
            "suggested": incident.ppc_suggested,
            "overridden": (decision == Incident.PpcDecision.REPORT) != incident.ppc_suggested,
        }
        journal.record(
            actor=actor,
            action="incident.ppc_decided",
            obj=incident,
            before=before,
            after=after,
            system=None if actor else SYSTEM,
            on_behalf_of=capacity.label,
        )
    return incident


def record_external_report(
    actor: User | None,
    incident: Incident,
    *,
    target: str,
    kind: str,
    reported_on: datetime.date | None,
    reference: str = "",
    note: str = "",
) -> ExternalReport:
    """Record a report made to the PPC, the prefecture, 総務省 or the police."""
    _require_triage(actor, incident)
    incident = _fresh(incident)
    errors = FieldErrors()
    if target not in ExternalReport.Target.values:
        errors.add("target", _("Choose to whom the report was made."))
    if kind not in ExternalReport.Kind.values:
        errors.add("kind", _("Choose the kind of report."))
    if not isinstance(reported_on, datetime.date):
        errors.add("reported_on", _("Give the date of the report."))
    else:
        if reported_on > timezone.localdate():
            errors.add("reported_on", _("The date is in the future. Record a report once made."))
        if reported_on < timezone.localdate(incident.detected_at):
            errors.add("reported_on", _("The date is before the incident was detected."))
    reference = _text(reference, "reference", errors, limit=200)
    note = _text(note, "note", errors, limit=TEXT_MAX)
    if (
        kind == ExternalReport.Kind.FINAL
        and target == ExternalReport.Target.PPC
        and not incident.external_reports.filter(target="ppc", kind="preliminary").exists()
    ):
        errors.add("kind", _("Record the preliminary report (速報) to the PPC first."))
    errors.raise_if_any()
    assert isinstance(reported_on, datetime.date)
    with transaction.atomic():
        incident = _locked(incident)
        _require_open(incident)
        report = ExternalReport.objects.create(
            incident=incident,
            target=target,
            kind=kind,
            reported_on=reported_on,
            reference=reference,
            note=note,
            recorded_by=actor,
        )
        incident.last_progress_at = timezone.now()
        incident.save(update_fields=["last_progress_at", "updated_at"])
        _journal(
            actor,
            "incident.external_report",
            report,
            municipality=incident.municipality_id,
            after=journal.snapshot(report) | {"incident": incident.number},
        )
    return report


def decide_publication(
    actor: User | None, incident: Incident, *, publication: str, reason: str
) -> Incident:
    """Decide whether the incident is published (公表), with the reason."""
    _require_triage(actor, incident)
    errors = FieldErrors()
    if publication not in (Incident.Publication.PUBLISH, Incident.Publication.NOT_PUBLISH):
        errors.add("publication", _("Choose whether to publish."))
    reason = _text(
        reason, "reason", errors, limit=TEXT_MAX, required=_("Give the reason (公表基準).")
    )
    errors.raise_if_any()
    with transaction.atomic():
        incident = _locked(incident)
        _require_open(incident)
        before = _snap(incident)
        incident.publication, incident.publication_reason = publication, reason
        incident.publication_decided_at = incident.last_progress_at = timezone.now()
        incident.save()
        _journal(actor, "incident.publication", incident, before=before, after=_snap(incident))
    return incident


def add_timeline_entry(
    actor: User | None,
    incident: Incident,
    *,
    kind: str,
    occurred_at: datetime.datetime | None,
    text: str,
    done_by: Person | None = None,
    attachment: Any = None,
) -> TimelineEntry:
    """Add what was done when. Refused: a time before detection or in the future."""
    _require_triage(actor, incident)
    errors = FieldErrors()
    if kind not in TimelineEntry.Kind.values:
        errors.add("kind", _("Choose the kind of action."))
    text = _text(text, "text", errors, limit=TEXT_MAX, required=_("Say what was done."))
    if not isinstance(occurred_at, datetime.datetime):
        errors.add("occurred_at", _("Give the date and time of the event."))
    else:
        occurred_at = _aware(occurred_at)
        # Times are entered to the minute: the minute of detection itself is allowed.
        if occurred_at < incident.detected_at.replace(second=0, microsecond=0):
            errors.add(
                "occurred_at",
                _(
                    "The time is before the incident was detected (%(detected)s). Give a later "
                    "time, or correct the time of detection at triage."
                )
                % {"detected": f"{timezone.localtime(incident.detected_at):%Y-%m-%d %H:%M}"},
            )
        elif occurred_at > timezone.now() + CLOCK_TOLERANCE:
            errors.add("occurred_at", _("The time is in the future. Record what has happened."))
    if done_by is not None and done_by.municipality_id != incident.municipality_id:
        errors.add("done_by", _("Choose a person of this municipality."))
    errors.raise_if_any()
    checked = check_upload(attachment)
    assert isinstance(occurred_at, datetime.datetime)
    written: list[Any] = []
    try:
        with transaction.atomic():
            incident = _locked(incident)
            _require_open(incident)
            entry = TimelineEntry.objects.create(
                incident=incident,
                kind=kind,
                occurred_at=occurred_at,
                text=text,
                actor=done_by or _person(actor),
                recorded_by=actor,
            )
            evidence = store_upload(incident, entry, checked, written)
            incident.last_progress_at = timezone.now()
            incident.save(update_fields=["last_progress_at", "updated_at"])
            _journal(
                actor,
                "incident.timeline_added",
                entry,
                municipality=incident.municipality_id,
                after=journal.snapshot(entry)
                | {"incident": incident.number, "evidence": describe(evidence)},
            )
    except BaseException:
        discard(written)
        raise
    return entry


@dataclass(frozen=True)
class ActionSpec:
    """A corrective action to open at closure."""

    title: str
    owner: Person | None
    due_date: datetime.date | None
    description: str = ""


def close_incident(
    actor: User | None,
    incident: Incident,
    *,
    root_cause: str,
    review: str,
    actions: Iterable[ActionSpec] = (),
) -> Incident:
    """Close with the root cause and the closure review; open the corrective actions (是正処置).

    Refused: no root cause, no review, a PPC suggestion nobody confirmed, the reporter closing
    their own report (兼務の禁止). All or nothing: an invalid action saves nothing.
    """
    from isms.inspections.models import CorrectiveAction
    from isms.inspections.services import create_corrective_action

    capacity = _require_triage(actor, incident)
    incident = _fresh(incident)
    errors = FieldErrors()
    root_cause = _text(
        root_cause,
        "root_cause",
        errors,
        limit=TEXT_MAX,
        required=_("Give the root cause: the incident cannot be closed without it."),
    )
    review = _text(
        review,
        "review",
        errors,
        limit=TEXT_MAX,
        required=_("Write the closure review: what worked, what is to change."),
    )
    if incident.triaged_at is None or incident.status != Incident.Status.TRIAGED:
        errors.add("__all__", _("Triage the incident before closing it."))
    elif incident.ppc_suggested and not incident.ppc_decision:
        errors.add(
            "__all__",
            _("A report to the PPC is suggested: confirm or override it before closing."),
        )
    errors.raise_if_any()
    if actor is not None and incident.reporter_id is not None:
        permissions.check_separation(
            applicant=_person(incident.reporter),
            approver=_person(actor),
            subject=incident.number,
            on_behalf_of=capacity.on_behalf_of,
        )
    with transaction.atomic():
        incident = _locked(incident)
        _require_open(incident)
        before = _snap(incident)
        created = []
        for i, spec in enumerate(actions):
            try:
                created.append(
                    create_corrective_action(
                        actor,
                        incident.municipality,
                        source=CorrectiveAction.Source.INCIDENT,
                        source_reference=incident.number,
                        title=spec.title,
                        owner=spec.owner,
                        due_date=spec.due_date,
                        description=spec.description,
                        org_unit=incident.org_unit,
                        on_behalf_of=capacity.label,
                    )
                )
            except ValidationError as exc:
                raise ValidationError(
                    {
                        f"actions.{i}.{k}": v
                        for k, v in getattr(exc, "message_dict", {"__all__": exc.messages}).items()
                    }
                ) from exc
        now = timezone.now()
        incident.root_cause, incident.closure_review = root_cause, review
        incident.status = Incident.Status.CLOSED
        incident.closed_at = incident.last_progress_at = now
        incident.closed_by = actor
        incident.save()
        incident.corrective_actions.add(*created)
        journal.record(
            actor=actor,
            action="incident.closed",
            obj=incident,
            before=before,
            after=_snap(incident) | {"corrective_actions": [a.pk for a in created]},
            system=None if actor else SYSTEM,
            on_behalf_of=capacity.label,
        )
    return incident


def update_settings(
    actor: User | None, municipality: Municipality, **values: Any
) -> IncidentSettings:
    """Change the 統一的な窓口 and the limits (the leads and the CSIRT)."""
    if actor is not None:
        permissions.require(actor, Action.TRIAGE_INCIDENTS, municipality=municipality)
    errors = FieldErrors()
    allowed = {
        "contact_point_name": (1, 200),
        "contact_point_email": None,
        "ack_business_hours": (1, 80),
        "progress_business_days": (1, 60),
        "public_min_seconds": (0, 120),
        "public_per_address_hour": (1, 100),
        "public_per_municipality_hour": (1, 10000),
    }
    for name, value in values.items():
        if name not in allowed:
            raise TypeError(name)
        bounds = allowed[name]
        if name == "contact_point_name":
            values[name] = _text(value, name, errors, limit=200, required=_("Give a name."))
        elif name == "contact_point_email":
            from django.core.validators import validate_email

            values[name] = str(value or "").strip()
            if values[name]:
                try:
                    validate_email(values[name])
                except ValidationError:
                    errors.add(
                        name, _("Enter a valid mail address, e.g. csirt@city.example.lg.jp.")
                    )
        elif not isinstance(value, int) or not bounds[0] <= value <= bounds[1]:
            errors.add(
                name,
                _("Give a whole number from %(min)d to %(max)d.")
                % {"min": bounds[0], "max": bounds[1]},
            )
    errors.raise_if_any()
    with transaction.atomic():
        s = IncidentSettings.objects.select_for_update().get(pk=settings_for(municipality).pk)
        before = journal.snapshot(s)
        for name, value in values.items():
            setattr(s, name, value)
        s.save()
        _journal(actor, "incident.settings_changed", s, before=before, after=journal.snapshot(s))
    return s


# --- reading -----------------------------------------------------------------------------------


def read_incident(user: User, incident: Incident) -> Incident:
    """Return the incident for display; a read of its personal-data details is journaled."""
    if not can_view(user, incident):
        raise PermissionDenied
    if (
        incident.personal_data
        or incident.involves_my_number
        or incident.persons_affected
        or (
            incident.channel == Incident.Channel.PUBLIC
            and (incident.reporter_name or incident.reporter_contact)
        )
    ):
        # A public report's name and contact are a resident's personal data.
        journal.record_read(actor=user, obj=incident, reason="personal data details")
    return incident


# --- escalation --------------------------------------------------------------------------------


def business_hours_between(start: datetime.datetime, end: datetime.datetime) -> float:
    """Hours of business time (8:30–17:15 on business days) between two moments."""
    if end <= start:
        return 0.0
    start, end = timezone.localtime(start), timezone.localtime(end)
    total = 0.0
    day = start.date()
    for _i in range(400):
        if day > end.date():
            break
        if is_business_day(day):
            tz = start.tzinfo
            open_ = datetime.datetime.combine(day, BUSINESS_START, tz)
            close = datetime.datetime.combine(day, BUSINESS_END, tz)
            lo, hi = max(open_, start), min(close, end)
            if hi > lo:
                total += (hi - lo).total_seconds() / 3600
        day += datetime.timedelta(days=1)
    return total


HOURS_PER_BUSINESS_DAY = (
    datetime.datetime.combine(datetime.date.min, BUSINESS_END)
    - datetime.datetime.combine(datetime.date.min, BUSINESS_START)
).total_seconds() / 3600


def overdue_reason(incident: Incident, now: datetime.datetime) -> str:
    """``not_acknowledged``, ``no_progress`` or '' for an open incident at ``now``."""
    if not incident.is_open or _told(incident) >= MAX_LEVEL:
        return ""
    s = settings_for(incident.municipality_id)
    # Each escalation restarts the clock, so that the next level gets the same time.
    since = incident.escalated_at or incident.reported_at
    if incident.acknowledged_at is None:
        if business_hours_between(since, now) >= s.ack_business_hours:
            return "not_acknowledged"
        return ""
    last = (
        max(t for t in (incident.last_progress_at, incident.escalated_at) if t)
        if (incident.last_progress_at or incident.escalated_at)
        else incident.acknowledged_at
    )
    limit = s.progress_business_days * HOURS_PER_BUSINESS_DAY
    if business_hours_between(last, now) >= limit:
        return "no_progress"
    return ""


def _told(incident: Incident) -> int:
    """The highest level of the chain told about ``incident`` so far."""
    return max(incident.escalation_level, incident.notified_level)


def escalate_overdue(now: datetime.datetime | None = None) -> list[Incident]:
    """Escalate every open incident not acknowledged or not progressed in time to the next
    level of the chain: mail it and journal it. Also forgets public-form hits over a day old."""
    now = now or timezone.now()
    escalated = []
    for incident in Incident.objects.exclude(
        status__in=[Incident.Status.CLOSED, Incident.Status.NOT_INCIDENT]
    ).filter(escalation_level__lt=MAX_LEVEL, notified_level__lt=MAX_LEVEL):
        reason = overdue_reason(incident, now)
        if not reason:
            continue
        with transaction.atomic():
            fresh = _locked(incident)
            if overdue_reason(fresh, now) != reason:
                continue
            before = _snap(fresh)
            # The next level above the highest already told (acknowledgement tells level 1,
            # a serious triage the CISO's level): nobody is mailed twice for one incident.
            fresh.escalation_level = fresh.notified_level = _told(fresh) + 1
            fresh.escalated_at = now
            fresh.save(
                update_fields=["escalation_level", "notified_level", "escalated_at", "updated_at"]
            )
            journal.record(
                actor=None,
                system=SYSTEM,
                action="incident.escalated",
                obj=fresh,
                before=before,
                after=_snap(fresh) | {"reason": reason},
            )
            headline = (
                "受付されていない情報セキュリティインシデントがあります（エスカレーション）"
                if reason == "not_acknowledged"
                else "対応が進んでいない情報セキュリティインシデントがあります（エスカレーション）"
            )
            notify(fresh, [fresh.escalation_level], headline)
        escalated.append(fresh)
    PublicIntakeHit.objects.filter(created_at__lt=now - datetime.timedelta(days=1)).delete()
    return escalated


# --- figures for the policy review ------------------------------------------------------------


def review_summary(municipality: Municipality | int, fiscal_year: int) -> dict[str, Any]:
    """The incident figures of a fiscal year, for the policy review (基本方針 2.8)."""
    mid = municipality.pk if isinstance(municipality, Municipality) else municipality
    qs = Incident.objects.filter(municipality_id=mid, fiscal_year=fiscal_year)
    incidents = qs.exclude(status=Incident.Status.NOT_INCIDENT)

    def counts(field: str) -> dict[str, int]:
        rows = incidents.exclude(**{field: ""}).values(field).annotate(n=Count("pk"))
        return {r[field]: r["n"] for r in rows}

    closed = list(
        incidents.filter(status=Incident.Status.CLOSED).values_list("detected_at", "closed_at")
    )
    days = [(c - d).total_seconds() / 86400 for d, c in closed if c]
    start, end = fiscal_year_bounds(fiscal_year)
    return {
        "fiscal_year": fiscal_year,
        "period": [start.isoformat(), end.isoformat()],
        "reports": qs.count(),
        "incidents": incidents.count(),
        "not_incidents": qs.filter(status=Incident.Status.NOT_INCIDENT).count(),
        "open": incidents.exclude(status=Incident.Status.CLOSED).count(),
        "closed": len(closed),
        "by_severity": counts("severity"),
        "by_kind": counts("kind"),
        "by_threat_category": counts("threat_category"),
        "personal_data": incidents.filter(personal_data=True).count(),
        "ppc_reports": incidents.filter(ppc_decision=Incident.PpcDecision.REPORT).count(),
        "escalated": incidents.filter(escalation_level__gt=0).count(),
        "mean_days_to_close": round(sum(days) / len(days), 1) if days else None,
        "corrective_actions": Incident.corrective_actions.through.objects.filter(
            incident__in=incidents
        ).count(),
    }


def evidence_path(evidence: Evidence) -> Any:
    return evidence.path(evidence.incident.municipality_id)
