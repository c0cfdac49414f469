"""The 緊急連絡網 generated from the role assignments of the day."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from isms.core import delegation
from isms.core import services as core_services
from isms.core.models import OrgUnit, RoleAssignment
from isms.core.roles import Role
from isms.incidents.plan import contacts
from tests.incidents_plan.factories import assign, person
from tests.support.factories import make_person, make_unit


def _names(tree: contacts.ContactTree, role: str) -> list[str]:
    return [e.person_name for e in tree.entries if e.role == role]


def test_the_tree_lists_todays_holders_in_the_plans_role_order(org):
    # given: the CISO and the lead (fixtures), 佐藤 manages 総務課
    assign(org.t.other_person, Role.DIVISION_SECURITY_MANAGER, org.t.unit)
    # when
    tree = contacts.build_tree(
        org.m, ["lead_security_officer", "ciso", "division_security_manager"]
    )
    # then
    assert [e.role for e in tree.entries] == [
        "lead_security_officer",
        "ciso",
        "division_security_manager",
    ]
    manager = tree.entries[2]
    assert (manager.person_name, manager.unit_name) == ("佐藤 花子", org.t.unit.name)
    assert tree.entries[1].role_label == "Chief Information Security Officer (CISO)"


def test_ended_and_future_assignments_and_people_who_left_are_not_in_the_tree(org):
    today = timezone.localdate()
    gone = make_person(org.m, unit=org.t.unit, family="退職", given="者")
    later = make_person(org.m, unit=org.t.unit, family="未来", given="者")
    ended = make_person(org.m, unit=org.t.unit, family="終了", given="者")
    assign(
        ended,
        Role.CSIRT_MEMBER,
        start_date=today - datetime.timedelta(days=30),
        end_date=today - datetime.timedelta(days=1),
    )
    assign(later, Role.CSIRT_MEMBER, start_date=today + datetime.timedelta(days=1))
    assign(gone, Role.CSIRT_MEMBER, start_date=today - datetime.timedelta(days=10))
    core_services.update_person(org.t.lead, gone, is_active=False)
    member = make_person(org.m, unit=org.t.unit, family="現役", given="者")
    assign(member, Role.CSIRT_MEMBER)
    tree = contacts.build_tree(org.m, ["csirt_member"])
    assert _names(tree, "csirt_member") == ["現役 者"]
    # the day matters: yesterday the ended one was there
    yesterday = contacts.build_tree(org.m, ["csirt_member"], today - datetime.timedelta(days=1))
    assert "終了 者" in _names(yesterday, "csirt_member")


def test_deputies_in_force_are_shown_with_the_holder(org):
    today = timezone.localdate()
    assignment = RoleAssignment.objects.get(person__user=org.ciso, role=Role.CISO)
    delegation.create_delegation(
        org.ciso, assignment, person(org.t.staff), start_date=today, end_date=today, reason="出張"
    )
    tomorrow = today + datetime.timedelta(days=1)
    delegation.create_delegation(
        org.ciso,
        assignment,
        person(org.t.lead),
        start_date=tomorrow,
        end_date=tomorrow,
        reason="研修",
    )
    tree = contacts.build_tree(org.m, ["ciso"])
    (entry,) = tree.entries
    assert [d.name for d in entry.deputies] == [person(org.t.staff).full_name]
    assert entry.deputies[0].end_date == today
    later = contacts.build_tree(org.m, ["ciso"], tomorrow)
    assert [d.name for d in later.entries[0].deputies] == [person(org.t.lead).full_name]


def test_a_revoked_delegation_shows_no_deputy(org):
    today = timezone.localdate()
    assignment = RoleAssignment.objects.get(person__user=org.ciso, role=Role.CISO)
    d = delegation.create_delegation(
        org.ciso, assignment, person(org.t.staff), start_date=today, end_date=today, reason="出張"
    )
    delegation.revoke_delegation(org.ciso, d)
    assert contacts.build_tree(org.m, ["ciso"]).entries[0].deputies == []


def test_gaps_name_the_roles_and_units_nobody_holds(org):
    # given: 総務課 has a manager, 税務課 none; a 部 without its officer; an out-of-scope 課
    assign(org.t.other_person, Role.DIVISION_SECURITY_MANAGER, org.t.unit)
    hospital = make_unit(org.m, "市立病院事務課", parent=org.t.bureau)
    core_services.update_org_unit(org.t.lead, hospital, in_scope=False)
    # when
    tree = contacts.build_tree(
        org.m,
        ["ciso", "deputy_ciso", "bureau_security_officer", "division_security_manager"],
    )
    # then
    gaps = {(g.role, g.unit_name) for g in tree.gaps}
    assert gaps == {
        ("deputy_ciso", ""),
        ("bureau_security_officer", org.t.bureau.name),
        ("division_security_manager", org.division.name),
    }
    messages = [g.message for g in tree.gaps]
    assert f"Nobody holds the role Information security manager for {org.division.name}." in (
        messages
    )
    assert "Nobody holds the role Deputy CISO." in messages


def test_renamed_roles_show_the_municipalitys_name(org):
    core_services.rename_role(org.t.lead, org.m, Role.CISO, name_ja="情報統括責任者", name_en="CIO")
    tree = contacts.build_tree(org.m, ["ciso"])
    assert tree.entries[0].role_label == "CIO"


def test_unknown_roles_are_ignored_and_the_tree_is_the_municipalitys_own(org, kofu):
    tree = contacts.build_tree(org.m, ["ciso", "mayor"])
    assert [e.role for e in tree.entries] == ["ciso"]
    other = contacts.build_tree(kofu.municipality, ["ciso", "lead_security_officer"])
    assert [e.person_name for e in other.entries] == [person(kofu.lead).full_name]


def test_the_tree_takes_a_fixed_number_of_queries(org):
    for i in range(8):
        unit = make_unit(org.m, f"課{i}", parent=org.t.bureau)
        assign(
            make_person(org.m, unit=unit, family=f"課長{i}"), Role.DIVISION_SECURITY_MANAGER, unit
        )
    with CaptureQueriesContext(connection) as few:
        contacts.build_tree(org.m)
    for i in range(8, 16):
        unit = make_unit(org.m, f"課{i}", parent=org.t.bureau)
        assign(
            make_person(org.m, unit=unit, family=f"課長{i}"), Role.DIVISION_SECURITY_MANAGER, unit
        )
    with CaptureQueriesContext(connection) as more:
        tree = contacts.build_tree(org.m)
    assert len(more.captured_queries) == len(few.captured_queries)
    assert OrgUnit.objects.filter(municipality=org.m).count() > 16
    assert len(_names(tree, "division_security_manager")) == 16


def test_org_snapshot_is_sorted_triples(org):
    snap = contacts.org_snapshot(org.m, ["ciso", "lead_security_officer"], timezone.localdate())
    assert snap == sorted(snap, key=lambda r: (r[0], r[1] or 0, r[2]))
    assert {r[0] for r in snap} == {"ciso", "lead_security_officer"}
