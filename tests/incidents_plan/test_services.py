"""The plan's services: drafts, approval (CISO or committee chair, 兼務の禁止), bad input, the
default plan and the warning when the organisation changed since the approval."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from isms.core import delegation
from isms.core import services as core_services
from isms.core.models import JournalEntry, RoleAssignment, SoDWaiver
from isms.core.permissions import SeparationOfDutiesError
from isms.core.roles import Role
from isms.data.loader import DATA_DIR, read_yaml
from isms.incidents.plan import services
from isms.incidents.plan.models import EmergencyResponsePlan
from tests.incidents_plan.factories import approved, assign, draft, person, plan_data
from tests.support.factories import make_person, make_user

Status = EmergencyResponsePlan.Status


def _errors(exc: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return exc.value.message_dict


def test_the_lead_saves_a_draft_then_edits_the_same_draft(org):
    # when
    first = draft(org)
    second = draft(org, title="改訂版")
    # then: one draft, version 1, edited in place and journaled twice
    assert first.pk == second.pk
    assert second.version == 1 and second.status == Status.DRAFT
    assert second.title == "改訂版"
    assert second.editor_ids == [person(org.t.lead).pk]
    actions = list(
        JournalEntry.objects.filter(
            object_type="incident_plan.emergencyresponseplan", object_id=str(first.pk)
        ).values_list("action", flat=True)
    )
    assert actions == ["emergency_plan.create_draft", "emergency_plan.update_draft"]


def test_the_ciso_approves_and_a_new_draft_supersedes_it_on_approval(org):
    # given
    v1 = approved(org)
    # when: a new draft starts from version 1 and is approved by the committee chair
    v2 = draft(org, change_note="連絡先の更新")
    v2 = services.approve_plan(org.chair, v2)
    # then
    v1.refresh_from_db()
    assert (v1.version, v1.status) == (1, Status.SUPERSEDED)
    assert (v2.version, v2.status) == (2, Status.APPROVED)
    assert v2.approved_by == org.chair and v2.approved_on_behalf_of == ""
    assert services.current_plan(org.m) == v2
    assert services.draft_of(org.m) is None


def test_staff_and_the_lead_cannot_approve(org):
    plan = draft(org)
    for user in (org.t.staff, org.t.lead, org.t.admin):
        with pytest.raises(PermissionDenied):
            services.approve_plan(user, plan)
    plan.refresh_from_db()
    assert plan.status == Status.DRAFT


def test_the_ciso_cannot_approve_a_draft_they_edited(org):
    # given: the CISO also manages the plan (as lead) and edited the draft
    assign(org.ciso, Role.LEAD_SECURITY_OFFICER)
    plan = draft(org, actor=org.ciso)
    # when / then
    with pytest.raises(SeparationOfDutiesError):
        services.approve_plan(org.ciso, plan)
    plan.refresh_from_db()
    assert plan.status == Status.DRAFT
    # and an editor among several counts too
    assert services.approve_plan(org.chair, plan).status == Status.APPROVED


def test_a_waiver_for_this_draft_lets_the_editor_approve(org):
    assign(org.ciso, Role.LEAD_SECURITY_OFFICER)
    plan = draft(org, actor=org.ciso)
    core_services.grant_sod_waiver(
        org.ciso,
        person(org.ciso),
        kind=SoDWaiver.Kind.APPLICANT_APPROVER,
        subject=f"incident_plan.emergencyresponseplan:{plan.pk}",
        reason="CISO 以外に承認者がいない",
    )
    assert services.approve_plan(org.ciso, plan).status == Status.APPROVED


def test_the_cisos_deputy_approves_on_their_behalf(org):
    # given: staff deputises for the CISO today
    today = timezone.localdate()
    assignment = RoleAssignment.objects.get(person__user=org.ciso, role=Role.CISO)
    delegation.create_delegation(
        org.ciso, assignment, person(org.t.staff), start_date=today, end_date=today, reason="出張"
    )
    plan = draft(org)
    # when
    plan = services.approve_plan(org.t.staff, plan)
    # then
    assert plan.status == Status.APPROVED
    assert plan.approved_on_behalf_of.startswith(str(person(org.ciso)))
    entry = JournalEntry.objects.get(action="emergency_plan.approve")
    assert entry.on_behalf_of == plan.approved_on_behalf_of != ""


def test_a_deputy_cannot_approve_for_the_holder_what_the_holder_edited(org):
    today = timezone.localdate()
    assign(org.ciso, Role.LEAD_SECURITY_OFFICER)
    assignment = RoleAssignment.objects.get(person__user=org.ciso, role=Role.CISO)
    delegation.create_delegation(
        org.ciso, assignment, person(org.t.staff), start_date=today, end_date=today, reason="出張"
    )
    plan = draft(org, actor=org.ciso)
    with pytest.raises(SeparationOfDutiesError):
        services.approve_plan(org.t.staff, plan)


def test_the_holder_cannot_approve_what_their_deputy_edited_in_their_name(org):
    # given: staff deputises for the CISO and edits the draft in the CISO's name
    today = timezone.localdate()
    assignment = RoleAssignment.objects.get(person__user=org.ciso, role=Role.CISO)
    delegation.create_delegation(
        org.ciso, assignment, person(org.t.staff), start_date=today, end_date=today, reason="出張"
    )
    plan = draft(org, actor=org.t.staff)
    # then: both the deputy and the absent holder are editors
    assert set(plan.editor_ids) == {person(org.t.staff).pk, person(org.ciso).pk}
    # and the CISO cannot approve it (兼務の禁止); the committee chair can
    with pytest.raises(SeparationOfDutiesError):
        services.approve_plan(org.ciso, plan)
    assert EmergencyResponsePlan.objects.get(pk=plan.pk).status == Status.DRAFT
    assert services.approve_plan(org.chair, plan).status == Status.APPROVED


def test_only_a_draft_is_approved(org):
    plan = approved(org)
    with pytest.raises(ValidationError) as exc:
        services.approve_plan(org.chair, plan)
    assert "not a draft" in str(exc.value)


def test_a_draft_whose_review_date_passed_while_waiting_is_not_approved(org):
    plan = draft(org)
    EmergencyResponsePlan.objects.filter(pk=plan.pk).update(
        review_due=timezone.localdate() - datetime.timedelta(days=1)
    )
    with pytest.raises(ValidationError) as exc:
        services.approve_plan(org.ciso, plan)
    assert "review_due" in _errors(exc)
    assert EmergencyResponsePlan.objects.get(pk=plan.pk).status == Status.DRAFT


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        ({"reporting_items": []}, "reporting_items", "報告すべき事項"),
        ({"reporting_items": ["  ", ""]}, "reporting_items", "報告すべき事項"),
        ({"steps_evidence": []}, "steps_evidence", "証拠保全"),
        ({"steps_recovery": []}, "steps_recovery", "復旧"),
        ({"recurrence_prevention": " "}, "recurrence_prevention", "再発防止措置"),
        ({"contact_point": ""}, "contact_point", "統一的な窓口"),
        ({"title": ""}, "title", "title"),
        ({"review_due": None}, "review_due", "review"),
        ({"review_due": "2020-13-01"}, "review_due", "YYYY-MM-DD"),
        ({"review_due": datetime.date(2020, 4, 1)}, "review_due", "has passed"),
        ({"review_due": datetime.date(2099, 4, 1)}, "review_due", "three years"),
        ({"contact_roles": ["ciso", "mayor"]}, "contact_roles", "Unknown role mayor"),
        ({"contact_roles": []}, "contact_roles", "at least one role"),
        ({"contact_roles": "ciso"}, "contact_roles", "list"),
        ({"reporting_items": "一行"}, "reporting_items", "list"),
        ({"reporting_items": ["x" * 501]}, "reporting_items", "Item 1 is too long"),
        ({"bcp_title": "", "bcp_location": "書庫"}, "bcp_title", "business continuity plan"),
        (
            {"extra_contacts": [{"category": "press", "name": "新聞社", "phone": "1"}]},
            "extra_contacts",
            "unknown category press",
        ),
        (
            {"extra_contacts": [{"category": "police", "name": "警察"}]},
            "extra_contacts",
            "telephone number or an e-mail",
        ),
        (
            {"extra_contacts": [{"category": "police", "name": "警察", "phone": "call me"}]},
            "extra_contacts",
            "is not a telephone number",
        ),
        (
            {"extra_contacts": [{"category": "police", "name": "警察", "email": "not-an-address"}]},
            "extra_contacts",
            "is not an e-mail address",
        ),
        (
            {"extra_contacts": [{"category": "police", "name": "", "phone": "110"}]},
            "extra_contacts",
            "Contact 1: give the name",
        ),
        (
            {"extra_contacts": [{"category": "police", "name": "警察", "fax": "1"}]},
            "extra_contacts",
            "unknown field fax",
        ),
        ({"extra_contacts": ["警察 110"]}, "extra_contacts", "list of contacts"),
        ({"colour": "red"}, "colour", "not accepted"),
    ],
)
def test_bad_input_is_refused_with_a_message_and_nothing_is_saved(org, overrides, field, words):
    # given
    entries = JournalEntry.objects.count()
    # when
    with pytest.raises(ValidationError) as exc:
        services.save_draft(org.t.lead, org.m, **plan_data(**overrides))
    # then
    errors = _errors(exc)
    assert field in errors, errors
    assert any(words in m for m in errors[field]), errors[field]
    assert not EmergencyResponsePlan.objects.exists()
    assert JournalEntry.objects.count() == entries


def test_all_problems_are_reported_together(org):
    with pytest.raises(ValidationError) as exc:
        services.save_draft(
            org.t.lead, org.m, **plan_data(reporting_items=[], steps_contact=[], title="")
        )
    assert {"reporting_items", "steps_contact", "title"} <= set(_errors(exc))


def test_staff_may_not_save_a_draft_and_another_municipality_is_refused(org, kofu):
    with pytest.raises(PermissionDenied):
        services.save_draft(org.t.staff, org.m, **plan_data())
    with pytest.raises(PermissionDenied):
        services.save_draft(kofu.lead, org.m, **plan_data())
    assert not EmergencyResponsePlan.objects.exists()


def test_the_other_municipalitys_ciso_cannot_approve(org, kofu):
    from tests.incidents_plan.factories import make_org

    other = make_org(kofu)
    plan = draft(org)
    with pytest.raises(PermissionDenied):
        services.approve_plan(other.ciso, plan)


def test_the_plan_warns_when_the_role_assignments_changed_since_approval(org):
    # given: the plan covers the 課 managers; 佐藤 becomes the manager of 税務課 afterwards
    plan = approved(org)
    assert services.org_changes(plan) == []
    assign(org.t.other_person, Role.DIVISION_SECURITY_MANAGER, org.division)
    # when
    changes = services.org_changes(plan)
    # then
    assert len(changes) == 1
    assert "佐藤 花子" in changes[0] and org.division.name in changes[0]
    # and a role outside the tree changes nothing
    assign(org.t.other_person, Role.AUDITOR)
    assert len(services.org_changes(plan)) == 1


def test_the_tsuru_default_plan_is_valid_and_loaded_once(org):
    data = read_yaml(DATA_DIR / "tsuru" / "emergency_plan.yaml")
    first = services.load_default_plan(org.m, data)
    again = services.load_default_plan(org.m, data)
    assert first is not None and again is None
    assert first.status == Status.DRAFT and first.editor_ids == []
    assert {c["category"] for c in first.extra_contacts} >= {
        "prefecture",
        "government",
        "police",
        "jlis",
        "vendor",
    }
    assert first.review_due > timezone.localdate()
    # nobody edited it: the CISO approves it as it is
    assert services.approve_plan(org.ciso, first).status == Status.APPROVED


def test_load_configuration_loads_the_default_plan(db):
    from isms.data.loader import load_configuration

    m = load_configuration("tsuru")
    plan = services.shown_plan(m)
    assert plan is not None and plan.title == "都留市 情報セキュリティ緊急時対応計画"
    load_configuration("tsuru")
    assert EmergencyResponsePlan.objects.filter(municipality=m).count() == 1


def test_review_state(org):
    plan = draft(org)
    today = timezone.localdate()
    assert services.review_state(plan, today) == "ok"
    assert services.review_state(plan, plan.review_due - datetime.timedelta(days=10)) == "due_soon"
    assert services.review_state(plan, plan.review_due + datetime.timedelta(days=1)) == "overdue"


def test_an_approver_without_a_person_record_is_refused(org):
    user = make_user(org.m, "loginonly", municipality_admin=True)
    make_person(org.m, unit=org.t.unit)
    with pytest.raises(PermissionDenied):
        services.approve_plan(user, draft(org))
