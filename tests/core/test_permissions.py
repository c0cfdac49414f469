"""Who may do what: can/require/scope for every action, role periods, 兼務の禁止.

``EXPECTED`` restates, from the policy's organisation and the design (not from the code), which
kind of user may do each action in their own municipality. The tests prove that
``core.permissions`` agrees, for ``can``, ``require`` and ``scope`` alike, and that nobody ever
gets anything in the other municipality.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from isms.core import permissions, services
from isms.core.models import JournalEntry, Municipality, OrgUnit, Person, SoDWaiver
from isms.core.permissions import (
    RULES,
    Action,
    SeparationOfDutiesError,
    active_roles,
    can,
    check_auditor_independence,
    check_separation,
    require,
    scope,
    unit_and_ancestors,
)
from isms.core.roles import Role
from isms.policy.models import BasicPolicy, PolicySection
from tests.support.factories import make_person, make_unit, make_user

# A role that ended, has not begun, or is held in another municipality leaves a plain member
# of staff: these three get exactly what "staff" gets.
FORMER_LEADS = {"ended_lead", "future_lead", "moved_lead"}
STAFF_OF_A = {"staff", "lead", "ciso", "deputy", "auditor", "lead_auditor", "admin"} | FORMER_LEADS
SERVICE = {"service", "service_granted"}
LEADS = {"lead", "ciso", "deputy"}

# Who may do each action in their own municipality (都留市). Everyone else — a superuser
# without a municipality, a deactivated login, 甲府市's administrator — may not.
EXPECTED: dict[Action, set[str]] = {
    Action.CREATE_MUNICIPALITY: {"superuser"},
    Action.VIEW_MUNICIPALITY: STAFF_OF_A | SERVICE,
    Action.MANAGE_MUNICIPALITY: {"admin"} | SERVICE,
    Action.GRANT_SERVICE_ACCESS: {"ciso", "admin"},
    Action.VIEW_ORGANISATION: STAFF_OF_A | SERVICE,
    Action.MANAGE_ORGANISATION: LEADS | {"admin"} | SERVICE,
    Action.VIEW_PEOPLE: STAFF_OF_A | {"service_granted"},
    Action.MANAGE_PEOPLE: LEADS | {"admin", "service_granted"},
    Action.VIEW_ROLES: STAFF_OF_A | {"service_granted"},
    Action.MANAGE_ROLES: LEADS | {"admin", "service_granted"},
    Action.GRANT_SOD_WAIVER: {"ciso", "deputy"},
    Action.VIEW_POLICY: STAFF_OF_A | SERVICE,
    Action.VIEW_JOURNAL: {"ciso", "lead", "lead_auditor", "auditor", "admin", "service_granted"},
    Action.VIEW_QUARANTINE: LEADS | {"admin", "service_granted"},
    Action.RELEASE_QUARANTINE: LEADS | {"admin", "service_granted"},
    Action.VIEW_ASSETS: STAFF_OF_A | {"service_granted"},
    Action.VIEW_ALL_ASSETS: LEADS | {"auditor", "lead_auditor", "admin", "service_granted"},
    Action.MANAGE_ASSETS: LEADS | {"admin", "service_granted"},
    Action.APPROVE_ASSET_LIFECYCLE: LEADS,
    Action.VIEW_NETWORK_CHECKS: LEADS | {"auditor", "lead_auditor", "admin", "service_granted"},
    Action.RUN_NETWORK_CHECKS: {"ciso", "lead", "admin", "service_granted"},
    Action.MANAGE_NETWORK_EXCEPTIONS: {"lead", "admin", "service_granted"},
    Action.APPROVE_NETWORK_EXCEPTIONS: LEADS,
    Action.VIEW_RISKS: STAFF_OF_A | {"service_granted"},
    Action.VIEW_ALL_RISKS: LEADS | {"auditor", "lead_auditor", "admin", "service_granted"},
    Action.ASSESS_RISKS: LEADS | {"admin", "service_granted"},
    Action.MANAGE_RISK_CATALOG: LEADS | {"admin", "service_granted"},
    Action.APPROVE_RISK_ACCEPTANCE: LEADS,
    Action.MANAGE_POLICY_REVIEW: LEADS | {"admin", "service_granted"},
    Action.VIEW_CONTROLS: STAFF_OF_A | SERVICE,
    Action.MANAGE_CONTROLS: LEADS | {"admin"} | SERVICE,
    Action.VIEW_INSPECTIONS: STAFF_OF_A | {"service_granted"},
    Action.VIEW_ALL_INSPECTIONS: LEADS | {"auditor", "lead_auditor", "admin", "service_granted"},
    Action.MANAGE_INSPECTIONS: LEADS | {"admin", "service_granted"},
    Action.ANSWER_INSPECTIONS: STAFF_OF_A,
    Action.APPROVE_INSPECTIONS: LEADS,
    Action.REPORT_INCIDENTS: STAFF_OF_A,
    Action.VIEW_INCIDENTS: STAFF_OF_A | {"service_granted"},
    Action.VIEW_ALL_INCIDENTS: LEADS | {"service_granted"},
    Action.TRIAGE_INCIDENTS: LEADS,
    Action.VIEW_EMERGENCY_PLAN: STAFF_OF_A | SERVICE,
    Action.MANAGE_EMERGENCY_PLAN: LEADS | {"admin"} | SERVICE,
    Action.APPROVE_EMERGENCY_PLAN: {"ciso"},
    Action.VIEW_AUDITS: STAFF_OF_A | {"service_granted"},
    Action.VIEW_ALL_AUDITS: LEADS | {"auditor", "lead_auditor", "service_granted"},
    Action.MANAGE_AUDITS: {"ciso", "lead_auditor"},
    Action.APPROVE_AUDIT_PLANS: {"ciso"},
    Action.PERFORM_AUDITS: {"auditor", "lead_auditor"},
    Action.RESPOND_FINDINGS: LEADS,
}

PERSONAS = [
    "staff",
    "lead",
    "ciso",
    "deputy",
    "auditor",
    "lead_auditor",
    "admin",
    "service",
    "service_granted",
    "superuser",
    "inactive_lead",
    "ended_lead",
    "future_lead",
    "moved_lead",
    "other_admin",
]


def _persona(name, tsuru, kofu):  # type: ignore[no-untyped-def]
    """Build the user ``name`` of 都留市 (or, for the odd ones, the situation it names)."""
    m, unit = tsuru.municipality, tsuru.unit
    today = timezone.localdate()
    simple = {
        "staff": (),
        "lead": (Role.LEAD_SECURITY_OFFICER,),
        "ciso": (Role.CISO,),
        "deputy": (Role.DEPUTY_CISO,),
        "auditor": (Role.AUDITOR,),
        "lead_auditor": (Role.LEAD_AUDIT_OFFICER,),
    }
    if name in simple:
        return make_user(m, f"p-{name}", roles=simple[name], unit=unit)
    if name == "admin":
        return tsuru.admin
    if name in ("service", "service_granted"):
        user = make_user(None, f"p-{name}", service_admin_of=(m,))
        if name == "service_granted":
            services.set_service_access(tsuru.admin, m, sensitive_access=True, reason="共同運用")
        return user
    if name == "superuser":
        return services.create_user(
            None, username="root", password=None, municipality=None, is_superuser=True
        )
    if name == "inactive_lead":
        user = make_user(m, "p-inactive", roles=(Role.LEAD_SECURITY_OFFICER,), unit=unit)
        user.is_active = False
        user.save(update_fields=["is_active"])
        return user
    if name in ("ended_lead", "future_lead"):
        user = make_user(m, f"p-{name}", unit=unit)
        if name == "ended_lead":
            start, end = today - datetime.timedelta(days=30), today - datetime.timedelta(days=1)
        else:
            start, end = today + datetime.timedelta(days=1), None
        services.assign_role(
            None, user.person, Role.LEAD_SECURITY_OFFICER, start_date=start, end_date=end
        )
        return user
    if name == "moved_lead":
        # A login moved from 甲府市 to 都留市 while still linked to its 甲府市 person, who is
        # 甲府市's lead: that role counts in neither municipality.
        user = make_user(kofu.municipality, "p-moved", roles=(Role.LEAD_SECURITY_OFFICER,))
        user.municipality = m
        user.save(update_fields=["municipality"])
        return user
    if name == "other_admin":
        return kofu.admin
    raise AssertionError(name)


def test_expected_table_covers_every_action():
    """A new action fails here until EXPECTED says who may do it."""
    assert set(EXPECTED) == set(RULES) == set(Action)


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("action", list(Action))
def test_can_require_and_scope_agree_with_the_policy(action, persona, tsuru, kofu):
    """For each action and kind of user: can, require and scope give the expected answer at
    home, and nothing in the other municipality."""
    # given
    user = _persona(persona, tsuru, kofu)
    home, away = tsuru.municipality, kofu.municipality
    allowed = persona in EXPECTED[action]
    # when / then: the municipality itself, and a record in it
    assert can(user, action, municipality=home) is allowed
    assert can(user, action, home) is allowed
    if not RULES[action].platform_only:
        assert can(user, action, tsuru.unit) is allowed
        if persona != "other_admin":  # 甲府市 is that one's home
            assert can(user, action, kofu.unit) is False
            assert can(user, action, municipality=away) is False
    # require raises exactly when can says no
    if allowed:
        require(user, action, municipality=home)
    else:
        with pytest.raises(PermissionDenied):
            require(user, action, municipality=home)
    # scope narrows to the home municipality, or to nothing
    units = scope(user, action, OrgUnit.objects.all())
    seen = set(units.values_list("municipality_id", flat=True))
    if persona == "other_admin":
        assert home.pk not in seen
        return
    expected_ids = {home.pk} if allowed and not RULES[action].platform_only else set()
    assert seen == expected_ids
    assert set(scope(user, action, Municipality.objects.all())) == (
        {home} if expected_ids else set()
    )


def test_anonymous_and_none_may_do_nothing(tsuru):
    """No user, or an anonymous one, gets no action anywhere."""
    from django.contrib.auth.models import AnonymousUser

    for user in (None, AnonymousUser()):
        for action in Action:
            assert can(user, action, municipality=tsuru.municipality) is False
            assert scope(user, action, OrgUnit.objects.all()).count() == 0


# --- roles and their periods ---------------------------------------------------------------


def test_role_counts_only_within_its_date_range(tsuru):
    """A role from 4/10 to 4/20 counts on both ends and not a day outside."""
    # given
    user = make_user(tsuru.municipality, "ranged", unit=tsuru.unit)
    start, end = datetime.date(2025, 4, 10), datetime.date(2025, 4, 20)
    services.assign_role(None, user.person, Role.CISO, start_date=start, end_date=end)
    one = datetime.timedelta(days=1)
    # when / then
    assert active_roles(user, start - one) == frozenset()
    assert active_roles(user, start) == {Role.CISO}
    assert active_roles(user, end) == {Role.CISO}
    assert active_roles(user, end + one) == frozenset()


def test_open_ended_role_counts_from_its_start(tsuru):
    """Without an end date the role counts from its start on, for ever."""
    user = make_user(tsuru.municipality, "open", unit=tsuru.unit)
    services.assign_role(None, user.person, Role.CISO, start_date=datetime.date(2025, 4, 1))
    assert active_roles(user, datetime.date(2025, 3, 31)) == frozenset()
    assert active_roles(user, datetime.date(2099, 1, 1)) == {Role.CISO}


def test_role_of_an_inactive_person_does_not_count(tsuru):
    """A person marked inactive holds no role, whatever their assignments say."""
    # given
    user = tsuru.lead
    person = user.person
    # when
    Person.objects.filter(pk=person.pk).update(is_active=False)
    user = type(user).objects.get(pk=user.pk)  # roles are cached per user object
    # then
    assert active_roles(user) == frozenset()
    assert can(user, Action.MANAGE_ORGANISATION) is False


def test_ending_a_role_takes_the_right_away(tsuru):
    """After the lead's assignment ends yesterday, the lead may no longer manage the org."""
    # given
    user = tsuru.lead
    assignment = user.person.role_assignments.get()
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    assignment.start_date = yesterday - datetime.timedelta(days=1)
    assignment.save(update_fields=["start_date"])
    # when
    services.end_role_assignment(tsuru.admin, assignment, yesterday)
    user = type(user).objects.get(pk=user.pk)
    # then
    assert can(user, Action.MANAGE_ORGANISATION) is False


# --- records that belong to no municipality ----------------------------------------------------


def test_record_without_a_municipality_is_nobodys_to_act_on(tsuru):
    """A platform journal entry (no municipality) is not visible through a municipality's
    rights; before the fix, can() fell back to the user's own municipality and said yes."""
    # given: creating a platform account writes an entry to the platform chain
    services.create_user(None, username="ops", password=None, municipality=None)
    entry = JournalEntry.objects.get(action="user.create", municipality=None)
    ciso = make_user(tsuru.municipality, "ciso", roles=(Role.CISO,), unit=tsuru.unit)
    # when / then
    assert can(ciso, Action.VIEW_JOURNAL) is True
    assert can(ciso, Action.VIEW_JOURNAL, entry) is False


def test_record_reached_through_a_relation_uses_its_municipality(tsuru, kofu):
    """A policy section belongs to its policy's municipality (municipality_lookup); 甲府市's
    section is not 都留市's to read. Before the fix, can() answered for the user's own."""
    # given
    theirs = PolicySection(policy=BasicPolicy(municipality=kofu.municipality), number="2.1")
    ours = PolicySection(policy=BasicPolicy(municipality=tsuru.municipality), number="2.1")
    # when / then
    assert can(tsuru.staff, Action.VIEW_POLICY, ours) is True
    assert can(tsuru.staff, Action.VIEW_POLICY, theirs) is False


# --- 兼務の禁止 --------------------------------------------------------------------------


def _waiver(t, person, kind, subject):  # type: ignore[no-untyped-def]
    ciso = make_user(t.municipality, roles=(Role.CISO,), unit=t.bureau)
    return services.grant_sod_waiver(
        ciso, person, kind=kind, subject=subject, reason="職員が一人しかいないため"
    )


def test_applicant_cannot_approve_their_own_request(tsuru):
    """Same person on both sides: refused with a message naming them and the way out."""
    person = tsuru.other_person
    with translation.override("en"), pytest.raises(SeparationOfDutiesError) as exc:
        check_separation(applicant=person, approver=person, subject="exception:7")
    assert exc.value.code == "sod_applicant_approver"
    assert exc.value.messages == [
        "佐藤 花子 cannot approve their own request (兼務の禁止). Ask another approver, or "
        "have the CISO record an exception with its reason."
    ]


def test_different_people_or_a_missing_side_pass(tsuru):
    """Approval by someone else, or with one side unknown yet, is fine."""
    other = make_person(tsuru.municipality, unit=tsuru.unit)
    check_separation(applicant=tsuru.other_person, approver=other, subject="x")
    check_separation(applicant=None, approver=other, subject="x")
    check_separation(applicant=other, approver=None, subject="x")


def test_waiver_allows_self_approval_for_its_subject_only(tsuru):
    """A recorded exception covers its own subject and kind, nothing else."""
    # given
    person = tsuru.other_person
    _waiver(tsuru, person, SoDWaiver.Kind.APPLICANT_APPROVER, "exception:7")
    _waiver(tsuru, person, SoDWaiver.Kind.AUDITOR_AUDITEE, "exception:8")
    # when / then
    check_separation(applicant=person, approver=person, subject="exception:7")
    for subject in ("exception:8", "exception:9"):
        with pytest.raises(SeparationOfDutiesError):
            check_separation(applicant=person, approver=person, subject=subject)


def test_self_assignment_of_a_role_is_refused_without_a_waiver(tsuru):
    """The lead cannot give themself a role; the refusal names the person field."""
    # given
    before = (tsuru.lead.person.role_assignments.count(), JournalEntry.objects.count())
    # when
    with translation.override("en"), pytest.raises(SeparationOfDutiesError) as exc:
        services.assign_role(tsuru.lead, tsuru.lead.person, Role.AUDITOR, fiscal_year=2025)
    # then
    assert exc.value.message_dict == {
        "person": [
            "山田 太郎 cannot approve their own request (兼務の禁止). Ask another approver, or "
            "have the CISO record an exception with its reason."
        ]
    }
    assert (tsuru.lead.person.role_assignments.count(), JournalEntry.objects.count()) == before


def test_self_assignment_with_a_waiver_for_that_role_is_allowed(tsuru):
    """With the CISO's recorded exception for exactly this role, the lead may assign it."""
    # given
    person = tsuru.lead.person
    _waiver(tsuru, person, SoDWaiver.Kind.APPLICANT_APPROVER, f"role:{person.pk}:auditor")
    # when
    a = services.assign_role(tsuru.lead, person, Role.AUDITOR, fiscal_year=2025)
    # then
    assert (a.person, a.role) == (person, Role.AUDITOR)
    with pytest.raises(SeparationOfDutiesError):
        services.assign_role(tsuru.lead, person, Role.CISO, fiscal_year=2025)


@pytest.fixture
def tree(tsuru):
    """総務部 (bureau) → 総務課 (unit) → 庶務係 (section); 企画課 beside 総務課."""
    section = make_unit(tsuru.municipality, "庶務係", parent=tsuru.unit, kind=OrgUnit.Kind.SECTION)
    sibling = make_unit(tsuru.municipality, "企画課", parent=tsuru.bureau)
    return tsuru.bureau, tsuru.unit, section, sibling


@pytest.mark.parametrize(
    ("auditor_in", "audited", "refused"),
    [
        ("unit", "unit", True),  # their own unit
        ("section", "unit", True),  # a unit below the audited one
        ("section", "bureau", True),  # two levels below
        ("sibling", "unit", False),  # a unit beside it
        ("bureau", "section", False),  # the audited unit is below the auditor's
        ("none", "unit", False),  # the auditor belongs to no unit
    ],
)
def test_auditor_may_not_audit_a_subtree_they_belong_to(tree, tsuru, auditor_in, audited, refused):
    """An auditor in the audited unit or anywhere below it is refused; elsewhere is fine."""
    # given
    bureau, unit, section, sibling = tree
    units = {"bureau": bureau, "unit": unit, "section": section, "sibling": sibling, "none": None}
    auditor = make_person(tsuru.municipality, unit=units[auditor_in])
    # when / then
    if not refused:
        check_auditor_independence(auditor=auditor, audited_unit=units[audited], subject="a:1")
        return
    with translation.override("en"), pytest.raises(SeparationOfDutiesError) as exc:
        check_auditor_independence(auditor=auditor, audited_unit=units[audited], subject="a:1")
    assert exc.value.code == "sod_auditor_auditee"
    assert exc.value.messages == [
        f"山田 太郎 belongs to {units[audited].name} and cannot audit it (兼務の禁止). Choose an "
        "auditor from another unit, or have the CISO record an exception with its reason."
    ]


def test_auditor_waiver_allows_that_audit_only(tree, tsuru):
    """A recorded auditor exception covers its subject, not the next audit."""
    # given
    _bureau, unit, section, _sibling = tree
    auditor = make_person(tsuru.municipality, unit=section)
    _waiver(tsuru, auditor, SoDWaiver.Kind.AUDITOR_AUDITEE, "audit:2025")
    # when / then
    check_auditor_independence(auditor=auditor, audited_unit=unit, subject="audit:2025")
    with pytest.raises(SeparationOfDutiesError):
        check_auditor_independence(auditor=auditor, audited_unit=unit, subject="audit:2026")


def test_unit_and_ancestors_stops_on_a_cycle(tsuru):
    """Even a cycle written directly into the database does not hang the walk up the tree."""
    OrgUnit.objects.filter(pk=tsuru.bureau.pk).update(parent=tsuru.unit)
    unit = OrgUnit.objects.get(pk=tsuru.unit.pk)
    assert unit_and_ancestors(unit) == [tsuru.unit.pk, tsuru.bureau.pk]


def test_scope_uses_the_models_municipality_lookup(tsuru, kofu):
    """scope() follows municipality_lookup (policy sections belong through their policy)."""
    for t in (tsuru, kofu):
        policy = BasicPolicy.objects.create(
            municipality=t.municipality, title="基本方針", version="1"
        )
        PolicySection.objects.create(policy=policy, number="2.1", title="目的", position=1)
    sections = permissions.scope(tsuru.staff, Action.VIEW_POLICY, PolicySection.objects.all())
    assert [s.policy.municipality for s in sections] == [tsuru.municipality]
