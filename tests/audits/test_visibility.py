"""Who sees which audit plans, audits, findings and corrective actions (docs/audits.md)."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from isms.core import delegation
from isms.core import services as core_services
from isms.core.models import Person, RoleAssignment, User
from isms.core.roles import Role
from isms.inspections import services as inspection_services
from isms.inspections.audits import services, visibility
from isms.inspections.audits.models import Finding
from isms.inspections.models import CorrectiveAction
from tests.audits.factories import AuditWorld
from tests.support.factories import make_unit, make_user

TODAY = timezone.localdate


def _fresh(user: User) -> User:
    return User.objects.get(pk=user.pk)


def _person(user: User) -> Person:
    return Person.objects.get(user=user)


def _seen(user: User | None) -> dict[str, set[int]]:
    u = _fresh(user) if isinstance(user, User) else user
    return {
        "plans": set(visibility.visible_plans(u).values_list("pk", flat=True)),
        "audits": set(visibility.visible_audits(u).values_list("pk", flat=True)),
        "findings": set(visibility.visible_findings(u).values_list("pk", flat=True)),
        "actions": set(visibility.visible_actions(u).values_list("pk", flat=True)),
    }


@pytest.fixture
def records(world: AuditWorld) -> tuple[Finding, CorrectiveAction]:
    finding = services.record_finding(
        world.auditor,
        world.audit,
        item=world.audit.items.first(),
        severity=Finding.Severity.MINOR,
        title="ロック未実施",
        description="離席時に端末がロックされていない",
    )
    action = services.add_action(
        world.manager,
        finding,
        title="端末ロックの徹底",
        owner=_person(world.owner),
        due_business_days=10,
    )
    return finding, action


def _everything(w: AuditWorld, finding: Finding, action: CorrectiveAction) -> dict[str, set[int]]:
    return {
        "plans": {w.plan.pk, w.draft.pk},
        "audits": {w.audit.pk, w.draft.audits.get().pk},
        "findings": {finding.pk},
        "actions": {action.pk},
    }


def test_the_leads_the_audit_side_and_the_committee_see_everything_drafts_included(world, records):
    finding, action = records
    member = make_user(
        world.t.municipality, "committee-member", roles=(Role.COMMITTEE_MEMBER,), unit=world.t.unit
    )
    for user in (
        world.ciso,
        world.chair,
        world.lead_auditor,
        world.auditor,
        world.insider,
        world.t.lead,
        member,
    ):
        assert _seen(user) == _everything(world, finding, action), user.username
        assert visibility.sees_all(_fresh(user), world.t.municipality.pk)


def test_a_units_manager_sees_the_published_audits_of_their_unit_and_its_findings(world, records):
    finding, action = records
    assert _seen(world.manager) == {
        "plans": {world.plan.pk},
        "audits": {world.audit.pk},
        "findings": {finding.pk},
        "actions": {action.pk},
    }
    assert not visibility.sees_all(_fresh(world.manager), world.t.municipality.pk)


def test_the_bureau_officer_above_sees_the_audits_of_the_units_below(world, records):
    finding, _action = records
    bucho = make_user(
        world.t.municipality,
        "bucho",
        roles=(Role.BUREAU_SECURITY_OFFICER,),
        unit=world.t.bureau,
    )
    assert _seen(bucho)["audits"] == {world.audit.pk}
    assert _seen(bucho)["findings"] == {finding.pk}
    assert visibility.managed_units(_fresh(bucho)) >= {world.t.bureau.pk, world.t.unit.pk}


def test_the_manager_of_another_unit_sees_nothing_of_this_audit(world, records):
    other_unit = make_unit(world.t.municipality, "企画課", parent=world.t.bureau)
    other = make_user(
        world.t.municipality,
        "kikaku-kacho",
        roles=(Role.DIVISION_SECURITY_MANAGER,),
        unit=other_unit,
    )
    assert _seen(other) == {"plans": set(), "audits": set(), "findings": set(), "actions": set()}


def test_a_member_of_staff_sees_only_the_actions_they_own_and_what_those_answer(world, records):
    finding, action = records
    colleague = make_user(world.t.municipality, "colleague", unit=world.t.unit)
    assert _seen(colleague) == {
        "plans": set(),
        "audits": set(),
        "findings": set(),
        "actions": set(),
    }
    # the owner: their action and its finding; neither the audit (its working papers and
    # evidence) nor the plan
    second = services.record_finding(
        world.auditor,
        world.audit,
        severity=Finding.Severity.OBSERVATION,
        title="改善提案",
        description="ロック時間を短くするとよい",
    )
    assert _seen(world.owner) == {
        "plans": set(),
        "audits": set(),
        "findings": {finding.pk},
        "actions": {action.pk},
    }
    assert second.pk not in _seen(world.owner)["findings"]


def test_an_action_of_another_source_is_not_an_audit_action(world, records):
    plain = inspection_services.create_corrective_action(
        None,
        world.t.municipality,
        source=CorrectiveAction.Source.INCIDENT,
        title="別の対策",
        owner=_person(world.owner),
        due_date=TODAY() + datetime.timedelta(days=5),
    )
    assert plain.pk not in _seen(world.owner)["actions"]
    assert plain.pk not in _seen(world.ciso)["actions"]


def test_a_deputy_sees_the_absent_managers_audits_during_the_delegation(world, records):
    finding, _action = records
    deputy = make_user(world.t.municipality, "deputy", unit=world.audit_office)
    assert _seen(deputy)["findings"] == set()
    d = delegation.create_delegation(
        world.manager,
        RoleAssignment.objects.get(person__user=world.manager),
        _person(deputy),
        start_date=TODAY(),
        end_date=TODAY() + datetime.timedelta(days=2),
        reason="夏季休暇",
    )
    assert _seen(deputy)["audits"] == {world.audit.pk}
    assert _seen(deputy)["findings"] == {finding.pk}
    delegation.revoke_delegation(world.manager, d)
    assert _seen(deputy)["findings"] == set()


def test_another_municipality_sees_nothing_of_this_one(world, other_world, records):
    mine = _seen(world.ciso)
    for user in (
        other_world.ciso,
        other_world.chair,
        other_world.auditor,
        other_world.manager,
        other_world.owner,
        other_world.t.lead,
    ):
        seen = _seen(user)
        for kind, ids in mine.items():
            assert not (seen[kind] & ids), (user.username, kind)


def test_anonymous_sees_nothing(world, records):
    assert _seen(AnonymousUser()) == {  # type: ignore[arg-type]
        "plans": set(),
        "audits": set(),
        "findings": set(),
        "actions": set(),
    }
    assert visibility.managed_units(None) == set()


def test_a_service_administrator_sees_audits_only_with_the_sensitive_grant(world, records):
    finding, action = records
    m = world.t.municipality
    operator = make_user(None, "pref-operator", service_admin_of=(m,))
    assert _seen(operator)["plans"] == set()
    core_services.set_service_access(world.t.admin, m, sensitive_access=True, reason="共同運用")
    assert _seen(operator) == _everything(world, finding, action)
