"""Rules added after the code review of the audit services: the submitter answers for the plan,
auditors change on a draft only, independence is checked again later, a finding on an item is
about that item's control and stays with the unit that answered it, a plan's fiscal year keeps
its audits inside it, an audit's system is an information system in use, a deputy of the
audited unit's manager is not independent."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from isms.assets.models import InformationAsset
from isms.core import delegation
from isms.core import services as core_services
from isms.core.models import Person, RoleAssignment, User
from isms.core.permissions import SeparationOfDutiesError
from isms.core.roles import Role
from isms.inspections.audits import services
from isms.inspections.audits.models import Audit, AuditAuditor, AuditPlan, Finding
from tests.support.factories import make_user


def _person(user: User) -> Person:
    return Person.objects.get(user=user)


def test_whoever_submits_the_plan_never_approves_it(world):  # type: ignore[no-untyped-def]
    # given: the lead audit officer drew up the draft, the CISO submits it
    plan = services.submit_plan(world.ciso, world.draft)
    assert plan.prepared_by == _person(world.ciso)
    # when / then: the CISO, now its preparer, cannot approve it; the chair can
    with pytest.raises(SeparationOfDutiesError):
        services.approve_plan(User.objects.get(pk=world.ciso.pk), plan, reference="第3回委員会")
    assert AuditPlan.objects.get(pk=plan.pk).status == AuditPlan.Status.SUBMITTED
    services.approve_plan(world.chair, plan, reference="第3回委員会")


def test_auditors_are_named_on_a_draft_only(world):  # type: ignore[no-untyped-def]
    other = make_user(
        world.t.municipality, "late-auditor", roles=(Role.AUDITOR,), unit=world.audit_office
    )
    with pytest.raises(ValidationError):
        services.assign_auditor(world.lead_auditor, world.audit, _person(other), is_lead=True)
    assert not AuditAuditor.objects.filter(audit=world.audit, person__user=other).exists()
    assert AuditAuditor.objects.get(audit=world.audit, is_lead=True).person.user == world.auditor


def test_an_auditor_moved_into_the_audited_unit_does_no_more_fieldwork(world):  # type: ignore[no-untyped-def]
    # given: the auditor is transferred into the audited 総務課 after the approval
    person = _person(world.auditor)
    person.org_unit = world.t.unit
    person.save(update_fields=["org_unit"])
    item = world.audit.items.first()
    # when / then
    with pytest.raises(SeparationOfDutiesError):
        services.assess_item(User.objects.get(pk=world.auditor.pk), item, result="conforming")
    item.refresh_from_db()
    assert item.result == "pending"


def test_independence_is_checked_again_on_submission(world):  # type: ignore[no-untyped-def]
    person = _person(world.auditor)
    person.org_unit = world.t.unit
    person.save(update_fields=["org_unit"])
    with pytest.raises(SeparationOfDutiesError):
        services.submit_plan(world.lead_auditor, world.draft)
    assert AuditPlan.objects.get(pk=world.draft.pk).status == AuditPlan.Status.DRAFT


def test_a_finding_on_an_item_is_about_that_items_control(world):  # type: ignore[no-untyped-def]
    first, second = list(world.audit.items.order_by("position"))[:2]
    with pytest.raises(ValidationError) as refused:
        services.record_finding(
            world.auditor,
            world.audit,
            item=first,
            control=second.control,
            severity="minor",
            title="x",
            description="y",
        )
    assert "control" in refused.value.message_dict
    assert not Finding.objects.exists()


def test_a_finding_answered_with_actions_is_not_readdressed(world):  # type: ignore[no-untyped-def]
    finding = services.record_finding(
        world.auditor, world.audit, severity="minor", title="x", description="y"
    )
    services.add_action(
        world.manager, finding, title="対応", owner=_person(world.owner), due_business_days=5
    )
    below = core_services.create_org_unit(
        None,
        world.t.municipality,
        code="U-below",
        name="総務係",
        kind="section",
        organ_kind="mayor_departments",
        parent=world.t.unit,
    )
    with pytest.raises(ValidationError) as refused:
        services.update_finding(
            world.auditor, finding, severity="minor", title="x", description="y", org_unit=below
        )
    assert "org_unit" in refused.value.message_dict
    finding.refresh_from_db()
    assert finding.org_unit == world.t.unit


def test_a_plans_fiscal_year_keeps_its_audits_inside_it(world):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError) as refused:
        services.update_plan(
            world.lead_auditor,
            world.draft,
            fiscal_year=world.draft.fiscal_year + 1,
            title=world.draft.title,
        )
    assert "fiscal_year" in refused.value.message_dict
    assert AuditPlan.objects.get(pk=world.draft.pk).fiscal_year == world.draft.fiscal_year


def test_an_audits_system_is_an_information_system_in_use(world):  # type: ignore[no-untyped-def]
    paper = InformationAsset.objects.create(
        municipality=world.t.municipality,
        name="紙の台帳",
        kind=InformationAsset.Kind.INFORMATION,
        owning_unit=world.t.unit,
    )
    today = timezone.localdate()
    with pytest.raises(ValidationError) as refused:
        services.add_audit(
            world.lead_auditor,
            world.draft,
            title="紙の監査",
            kind=Audit.Kind.INTERNAL,
            org_unit=world.t.unit,
            starts_on=today,
            ends_on=today + datetime.timedelta(days=0),
            system=paper,
        )
    assert "system" in refused.value.message_dict


def test_a_deputy_of_the_audited_units_manager_is_not_independent(world):  # type: ignore[no-untyped-def]
    # given: an auditor of 監査室 deputises for 総務課's 情報セキュリティ管理者 this week
    deputy = make_user(
        world.t.municipality, "deputy-auditor", roles=(Role.AUDITOR,), unit=world.audit_office
    )
    assignment = RoleAssignment.objects.get(
        person__user=world.manager, role=Role.DIVISION_SECURITY_MANAGER
    )
    today = timezone.localdate()
    delegation.create_delegation(
        world.manager,
        assignment,
        _person(deputy),
        start_date=today,
        end_date=today + datetime.timedelta(days=1),
        reason="休暇",
    )
    audit = world.draft.audits.get()
    # when / then
    with pytest.raises(SeparationOfDutiesError):
        services.assign_auditor(world.lead_auditor, audit, _person(deputy))
    assert not AuditAuditor.objects.filter(audit=audit, person__user=deputy).exists()
