"""The pages of the 監査実施計画: plans, their approval, audits, auditors (with the CISO's
exception), bad input as messages with nothing saved, tenancy and role checks."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from isms.core.models import OrgUnit, SoDWaiver
from isms.core.roles import Role
from isms.inspections.audits import services
from isms.inspections.audits.forms_plans import AuditForm
from isms.inspections.audits.models import Audit, AuditAuditor, AuditItem, AuditPlan
from tests.support.factories import make_unit, make_user


@pytest.fixture(autouse=True)
def _english_pages(client):  # type: ignore[no-untyped-def]
    """The pages in English, so that the messages can be asserted."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"


def _url(name: str, *args: object) -> str:
    return reverse(f"audits:{name}", args=args)


def _audit_form(w, **more):  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    data = {
        "title": "総務課の追加監査",
        "kind": "internal",
        "org_unit": w.t.unit.pk,
        "system": "",
        "contractor": "",
        "external_firm": "",
        "starts_on": today.isoformat(),
        "ends_on": today.isoformat(),
        "control_codes": "",
    }
    data.update(more)
    return data


def _draft_audit(w) -> Audit:  # type: ignore[no-untyped-def]
    return w.draft.audits.get()


def _text(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


# --- plan list and detail -----------------------------------------------------------------------


def test_plan_list_shows_the_visible_plans_by_fiscal_year(client, world):
    client.force_login(world.lead_auditor)

    response = client.get(_url("plan_list"))

    html = _text(response)
    assert response.status_code == 200
    assert "監査計画A" in html and "監査計画B" in html
    assert f'data-testid="plans-{world.plan.fiscal_year}"' in html
    assert _url("plan_create") in html
    assert 'data-testid="audit-nav"' in html


def test_plain_staff_see_no_plan_and_no_button(client, world):
    client.force_login(world.owner)

    response = client.get(_url("plan_list"))

    html = _text(response)
    assert response.status_code == 200
    assert "監査計画A" not in html
    assert _url("plan_create") not in html
    assert client.get(_url("plan_detail", world.plan.pk)).status_code == 404


def test_unit_manager_sees_the_approved_plan_of_their_unit_only(client, world):
    client.force_login(world.manager)

    html = _text(client.get(_url("plan_list")))

    assert "監査計画A" in html
    assert "監査計画B" not in html  # a draft
    assert client.get(_url("plan_detail", world.draft.pk)).status_code == 404
    detail = _text(client.get(_url("plan_detail", world.plan.pk)))
    assert 'data-testid="plan-report"' not in detail  # the report is for VIEW_ALL_AUDITS
    assert 'data-testid="close-plan"' not in detail


def test_plan_detail_shows_approval_audits_and_auditors(client, world):
    client.force_login(world.chair)

    response = client.get(_url("plan_detail", world.plan.pk))

    html = _text(response)
    assert response.status_code == 200
    assert "第1回情報セキュリティ委員会" in html
    assert "総務課の監査" in html
    assert _url("audit_detail", world.audit.pk) in html
    assert str(world.person(world.auditor)) in html
    assert _url("plan_report", world.plan.pk) in html
    assert 'data-testid="edit-plan"' not in html  # approved, and the chair does not manage
    assert 'data-testid="approve-plan"' not in html


def test_draft_shows_the_management_buttons_to_the_lead_audit_officer(client, world):
    client.force_login(world.lead_auditor)

    html = _text(client.get(_url("plan_detail", world.draft.pk)))

    for testid in ("edit-plan", "add-audit", "submit-plan"):
        assert f'data-testid="{testid}"' in html
    audit = _draft_audit(world)
    assert _url("auditor_add", audit.pk) in html
    assert _url("audit_delete", audit.pk) in html


# --- plan create, edit, submit, approve, return, close -----------------------------------------


def test_create_and_edit_a_plan(client, world):
    client.force_login(world.lead_auditor)

    response = client.post(
        _url("plan_create"),
        {"fiscal_year": world.plan.fiscal_year, "title": "臨時監査計画", "objective": "臨時"},
    )

    plan = AuditPlan.objects.get(title="臨時監査計画")
    assert response.status_code == 302
    assert response.url == _url("plan_detail", plan.pk)
    assert plan.prepared_by == world.person(world.lead_auditor)
    response = client.post(
        _url("plan_edit", plan.pk),
        {"fiscal_year": plan.fiscal_year, "title": "臨時監査計画（改）", "objective": ""},
        follow=True,
    )
    assert "Audit plan saved." in _text(response)
    plan.refresh_from_db()
    assert plan.title == "臨時監査計画（改）"


def test_plan_without_title_comes_back_with_the_message(client, world):
    client.force_login(world.lead_auditor)
    before = AuditPlan.objects.count()

    response = client.post(
        _url("plan_create"), {"fiscal_year": "1999", "title": "", "objective": ""}
    )

    assert response.status_code == 200
    assert "field-errors" in _text(response)
    assert AuditPlan.objects.count() == before


def test_editing_a_submitted_plan_is_refused(client, world):
    services.submit_plan(world.lead_auditor, world.draft)
    client.force_login(world.lead_auditor)

    shown = client.get(_url("plan_edit", world.draft.pk), follow=True)
    posted = client.post(
        _url("plan_edit", world.draft.pk),
        {"fiscal_year": world.draft.fiscal_year, "title": "書き換え", "objective": ""},
    )

    assert "only a draft is changed" in _text(shown)
    assert posted.status_code == 200
    assert "only a draft is changed" in _text(posted)
    world.draft.refresh_from_db()
    assert world.draft.title == "監査計画B"


def test_submit_then_approve_by_the_chair(client, world):
    client.force_login(world.lead_auditor)
    response = client.post(_url("plan_submit", world.draft.pk), follow=True)
    assert "submitted to the information security committee" in _text(response)
    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.SUBMITTED

    client.force_login(world.chair)
    html = _text(client.get(_url("plan_detail", world.draft.pk)))
    assert 'data-testid="approve-plan"' in html and 'data-testid="return-plan"' in html
    refused = client.post(_url("plan_approve", world.draft.pk), {"approval_reference": ""})
    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.SUBMITTED
    assert refused.status_code == 302
    response = client.post(
        _url("plan_approve", world.draft.pk),
        {"approval_reference": "令和8年度第2回情報セキュリティ委員会"},
        follow=True,
    )

    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.APPROVED
    assert world.draft.approved_by == world.person(world.chair)
    assert "令和8年度第2回情報セキュリティ委員会" in _text(response)


def test_approve_without_decision_says_what_is_missing(client, world):
    services.submit_plan(world.lead_auditor, world.draft)
    client.force_login(world.chair)

    response = client.post(
        _url("plan_approve", world.draft.pk), {"approval_reference": ""}, follow=True
    )

    assert "Name the committee decision" in _text(response)
    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.SUBMITTED


def test_the_preparer_cannot_approve_their_own_plan(client, world):
    plan = services.create_plan(
        world.ciso, world.t.municipality, fiscal_year=world.plan.fiscal_year, title="CISOの計画"
    )
    audit = services.add_audit(
        world.ciso,
        plan,
        title="総務課",
        kind="internal",
        org_unit=world.t.unit,
        starts_on=world.audit.starts_on,
        ends_on=world.audit.starts_on,
    )
    services.assign_auditor(world.ciso, audit, world.person(world.auditor))
    client.force_login(world.ciso)
    client.post(_url("plan_submit", plan.pk))

    response = client.post(
        _url("plan_approve", plan.pk), {"approval_reference": "第3回委員会"}, follow=True
    )

    assert "cannot approve their own request" in _text(response)
    plan.refresh_from_db()
    assert plan.status == AuditPlan.Status.SUBMITTED
    assert plan.approved_by is None


def test_return_needs_a_reason_and_sends_the_plan_back(client, world):
    services.submit_plan(world.lead_auditor, world.draft)
    client.force_login(world.chair)

    empty = client.post(_url("plan_return", world.draft.pk), {"reason": ""}, follow=True)
    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.SUBMITTED
    assert "Say what the plan needs" in _text(empty)
    client.post(_url("plan_return", world.draft.pk), {"reason": "監査項目が不足"})

    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.DRAFT


def test_submit_refused_for_an_incomplete_plan(client, world):
    plan = services.create_plan(
        world.lead_auditor, world.t.municipality, fiscal_year=world.plan.fiscal_year, title="空"
    )
    client.force_login(world.lead_auditor)

    response = client.post(_url("plan_submit", plan.pk), follow=True)

    assert "Add at least one audit" in _text(response)
    plan.refresh_from_db()
    assert plan.status == AuditPlan.Status.DRAFT


def test_close_waits_for_the_audits_then_closes(client, world):
    client.force_login(world.lead_auditor)
    refused = client.post(_url("plan_close", world.plan.pk), follow=True)
    assert "Close these audits first" in _text(refused)
    for item in world.audit.items.all():
        services.assess_item(world.auditor, item, result=AuditItem.Result.CONFORMING)
    services.close_audit(world.auditor, world.audit, opinion="適切")

    response = client.post(_url("plan_close", world.plan.pk), follow=True)

    assert "Audit plan closed." in _text(response)
    world.plan.refresh_from_db()
    assert world.plan.status == AuditPlan.Status.CLOSED


# --- audits of a plan --------------------------------------------------------------------------


def test_add_an_audit_with_chapters_and_codes(client, world):
    client.force_login(world.lead_auditor)
    assert client.get(_url("audit_create", world.draft.pk)).status_code == 200

    response = client.post(
        _url("audit_create", world.draft.pk),
        _audit_form(world, chapters=["5", "6"], control_codes="5.1.1、6.3.1"),
    )

    audit = world.draft.audits.get(title="総務課の追加監査")
    assert response.status_code == 302
    assert sorted(audit.items.values_list("code", flat=True)) == ["5.1.1", "6.3.1"]


def test_unknown_control_codes_are_named_and_nothing_is_saved(client, world):
    client.force_login(world.lead_auditor)
    before = Audit.objects.count()

    response = client.post(
        _url("audit_create", world.draft.pk), _audit_form(world, control_codes="5.1.1, 9.9.9, X")
    )

    assert response.status_code == 200
    assert "9.9.9, X" in _text(response)
    assert Audit.objects.count() == before


def test_dates_outside_the_fiscal_year_are_refused(client, world):
    client.force_login(world.lead_auditor)
    before = Audit.objects.count()
    outside = datetime.date(world.draft.fiscal_year + 2, 5, 1).isoformat()

    response = client.post(
        _url("audit_create", world.draft.pk),
        _audit_form(world, starts_on=outside, ends_on=outside),
    )

    assert response.status_code == 200
    assert "within fiscal year" in _text(response)
    assert Audit.objects.count() == before


def test_external_audit_needs_its_firm_and_abolished_units_are_not_offered(client, world):
    gone = make_unit(world.t.municipality, "廃止課", parent=world.t.bureau)
    OrgUnit.objects.filter(pk=gone.pk).update(
        abolished_on=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(world.lead_auditor)
    before = Audit.objects.count()

    external = client.post(
        _url("audit_create", world.draft.pk), _audit_form(world, kind="external")
    )
    abolished = client.post(
        _url("audit_create", world.draft.pk), _audit_form(world, org_unit=gone.pk)
    )

    assert "Name the audit firm" in _text(external)
    assert abolished.status_code == 200
    assert "field-errors" in _text(abolished)
    assert "廃止課" not in _text(client.get(_url("audit_create", world.draft.pk)))
    assert Audit.objects.count() == before


def test_edit_an_audit_of_a_draft_and_not_of_an_approved_plan(client, world):
    client.force_login(world.lead_auditor)
    audit = _draft_audit(world)
    form = _audit_form(world, title="改題")
    form.pop("control_codes")

    response = client.post(_url("audit_edit", audit.pk), form)
    refused = client.post(_url("audit_edit", world.audit.pk), form)

    assert response.status_code == 302
    audit.refresh_from_db()
    assert audit.title == "改題"
    assert refused.status_code == 200
    world.audit.refresh_from_db()
    assert world.audit.title == "総務課の監査"


def test_remove_an_audit_only_from_a_draft(client, world):
    client.force_login(world.lead_auditor)
    audit = _draft_audit(world)

    refused = client.post(_url("audit_delete", world.audit.pk), follow=True)
    removed = client.post(_url("audit_delete", audit.pk), follow=True)

    assert "only a draft is changed" in _text(refused)
    assert Audit.objects.filter(pk=world.audit.pk).exists()
    assert "taken out of the plan" in _text(removed)
    assert not Audit.objects.filter(pk=audit.pk).exists()


# --- auditors --------------------------------------------------------------------------------


def test_add_and_remove_an_auditor(client, world):
    client.force_login(world.lead_auditor)
    audit = _draft_audit(world)
    page = _text(client.get(_url("auditor_add", audit.pk)))
    assert f'<option value="{world.person(world.lead_auditor).pk}"' in page
    assert f'<option value="{world.person(world.owner).pk}"' not in page  # no auditor role

    response = client.post(
        _url("auditor_add", audit.pk),
        {"person": world.person(world.lead_auditor).pk, "is_lead": "on"},
    )

    added = AuditAuditor.objects.get(audit=audit, person=world.person(world.lead_auditor))
    assert response.status_code == 302
    assert added.is_lead
    client.post(_url("auditor_remove", added.pk))
    assert not AuditAuditor.objects.filter(pk=added.pk).exists()


def test_a_person_without_the_auditor_role_cannot_be_chosen(client, world):
    client.force_login(world.lead_auditor)
    audit = _draft_audit(world)

    response = client.post(_url("auditor_add", audit.pk), {"person": world.person(world.owner).pk})

    assert response.status_code == 200
    assert "field-errors" in _text(response)
    assert not AuditAuditor.objects.filter(audit=audit, person=world.person(world.owner)).exists()


def test_auditor_of_the_audited_unit_is_refused_without_the_exception_field(client, world):
    client.force_login(world.lead_auditor)
    audit = _draft_audit(world)
    insider = world.person(world.insider)

    response = client.post(_url("auditor_add", audit.pk), {"person": insider.pk})
    with_reason = client.post(
        _url("auditor_add", audit.pk), {"person": insider.pk, "reason": "人員不足"}
    )

    html = _text(response)
    assert response.status_code == 200
    assert "cannot audit it" in html
    assert 'name="reason"' not in html
    assert "Only the CISO may record an exception" in _text(with_reason)
    assert not AuditAuditor.objects.filter(audit=audit, person=insider).exists()
    assert not SoDWaiver.objects.filter(person=insider).exists()


def test_the_ciso_records_the_exception_and_assigns(client, world):
    client.force_login(world.ciso)
    audit = _draft_audit(world)
    insider = world.person(world.insider)

    first = client.post(_url("auditor_add", audit.pk), {"person": insider.pk})
    assert 'name="reason"' in _text(first)
    assert "cannot audit it" in _text(first)
    response = client.post(
        _url("auditor_add", audit.pk), {"person": insider.pk, "reason": "監査人が他にいない"}
    )

    assert response.status_code == 302
    waiver = SoDWaiver.objects.get(person=insider)
    assert waiver.kind == SoDWaiver.Kind.AUDITOR_AUDITEE
    assert waiver.subject == f"audit:{audit.pk}"
    assert waiver.reason == "監査人が他にいない"
    assert AuditAuditor.objects.filter(audit=audit, person=insider).exists()


def test_the_exception_is_not_kept_when_the_assignment_fails(client, world):
    services.submit_plan(world.lead_auditor, world.draft)
    client.force_login(world.ciso)
    audit = _draft_audit(world)
    insider = world.person(world.insider)

    response = client.post(
        _url("auditor_add", audit.pk), {"person": insider.pk, "reason": "監査人が他にいない"}
    )

    assert response.status_code == 200
    assert "only a draft is changed" in _text(response)
    assert not SoDWaiver.objects.filter(person=insider).exists()
    assert not AuditAuditor.objects.filter(audit=audit, person=insider).exists()


def test_a_reason_for_an_independent_auditor_records_no_exception(client, world):
    client.force_login(world.ciso)
    audit = _draft_audit(world)
    lead = world.person(world.lead_auditor)

    client.post(_url("auditor_add", audit.pk), {"person": lead.pk, "reason": "念のため"})

    assert AuditAuditor.objects.filter(audit=audit, person=lead).exists()
    assert not SoDWaiver.objects.filter(person=lead).exists()


# --- tenancy and roles -----------------------------------------------------------------------


def test_another_municipalitys_users_get_404(client, world, other_world):
    client.force_login(other_world.lead_auditor)
    audit = _draft_audit(world)
    auditor = audit.auditors.get()

    assert client.get(_url("plan_detail", world.plan.pk)).status_code == 404
    assert client.get(_url("plan_edit", world.draft.pk)).status_code == 404
    assert client.post(_url("plan_submit", world.draft.pk)).status_code == 404
    assert client.get(_url("audit_create", world.draft.pk)).status_code == 404
    assert client.get(_url("auditor_add", audit.pk)).status_code == 404
    assert client.post(_url("audit_delete", audit.pk)).status_code == 404
    assert client.post(_url("auditor_remove", auditor.pk)).status_code == 404
    assert "監査計画A" in _text(client.get(_url("plan_list")))  # their own plan only
    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.DRAFT
    assert AuditAuditor.objects.filter(pk=auditor.pk).exists()


def test_staff_are_refused_the_management_posts(client, world):
    audit = _draft_audit(world)
    client.force_login(world.owner)
    assert client.post(_url("plan_submit", world.draft.pk)).status_code == 404
    assert client.get(_url("plan_create")).status_code == 403
    assert client.post(_url("plan_create"), {"title": "x"}).status_code == 403

    client.force_login(world.manager)  # sees the approved plan of their unit, manages nothing
    assert client.post(_url("plan_close", world.plan.pk)).status_code == 403
    assert client.get(_url("audit_edit", world.audit.pk)).status_code == 403
    assert client.post(_url("plan_approve", world.plan.pk)).status_code == 403

    client.force_login(world.chair)  # sees everything, approves, does not manage
    assert client.post(_url("plan_submit", world.draft.pk)).status_code == 403
    assert client.post(_url("audit_delete", audit.pk)).status_code == 403
    assert client.get(_url("auditor_add", audit.pk)).status_code == 403

    client.force_login(world.lead_auditor)  # manages, does not approve
    services.submit_plan(world.lead_auditor, world.draft)
    assert client.post(_url("plan_approve", world.draft.pk)).status_code == 403
    world.draft.refresh_from_db()
    assert world.draft.status == AuditPlan.Status.SUBMITTED
    assert Audit.objects.filter(pk=audit.pk).exists()


def test_get_on_a_post_only_page_is_not_allowed(client, world):
    client.force_login(world.lead_auditor)

    assert client.get(_url("plan_submit", world.draft.pk)).status_code == 405


def test_a_deputy_ciso_may_record_the_exception_too(client, world):
    deputy = make_user(
        world.t.municipality, "a-deputy", roles=(Role.DEPUTY_CISO,), unit=world.audit_office
    )
    client.force_login(deputy)

    # The 副CISO may waive but not manage audits: the page itself is refused.
    assert client.get(_url("auditor_add", _draft_audit(world).pk)).status_code == 403


def test_the_pages_speak_japanese(client, world):
    client.force_login(world.ciso)
    ja = {"HTTP_ACCEPT_LANGUAGE": "ja"}

    listing = _text(client.get(_url("plan_list"), **ja))
    detail = _text(client.get(_url("plan_detail", world.draft.pk), **ja))
    form = _text(client.get(_url("audit_create", world.draft.pk), **ja))

    assert "監査実施計画を作成" in listing
    for label in ("監査実施計画", "指摘事項", "是正処置", "遵守状況"):
        assert label in listing
    for label in ("被監査部署", "監査人", "監査項目", "委員会に提出", "監査人を追加"):
        assert label in detail
    assert "重点項目のみ" in form and "対策項目の番号" in form


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    codes=st.lists(
        st.one_of(st.sampled_from(["4.1.1", "5.1.1", "6.1.1", "6.3.1"]), st.text(max_size=8)),
        max_size=6,
    ),
    separator=st.sampled_from([",", "、", " ", "，", ",\n"]),
)
def test_control_codes_parse_to_controls_or_name_the_unknown(world, codes, separator):
    raw = separator.join(codes)
    form = AuditForm(
        _audit_form(world, control_codes=raw),
        municipality=world.t.municipality,
        standard=world.draft.standard,
        with_items=True,
    )

    valid = form.is_valid()

    known = {"4.1.1", "5.1.1", "6.1.1", "6.3.1"}
    if valid:
        chosen = [c.code for c in form.cleaned_data["control_codes"]]
        assert set(chosen) <= known
        assert len(chosen) == len(set(chosen))
    else:
        # The unknown codes are named (or the text itself is refused, e.g. a NUL character).
        assert list(form.errors) == ["control_codes"]
