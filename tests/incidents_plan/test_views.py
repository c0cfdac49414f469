"""The plan's pages: what each user sees, the draft form, the approval, the PDF."""

from __future__ import annotations

import datetime
import re

from django.urls import reverse
from django.utils import timezone

from isms.core.roles import Role
from isms.incidents.plan import services
from isms.incidents.plan.models import EmergencyResponsePlan
from isms.web.navigation import MENU
from tests.incidents_plan.factories import approved, assign, draft, form_data
from tests.support.pdf import assert_japanese_pdf

DETAIL = reverse("plan:plan_detail")
EDIT = reverse("plan:plan_edit")


def _html(response) -> str:  # type: ignore[no-untyped-def]
    return response.content.decode()


def test_the_menu_links_the_plan_after_the_incidents():
    slugs = [item.slug for item in MENU]
    assert slugs[slugs.index("incidents") + 1] == "emergency_plan"
    assert MENU[slugs.index("emergency_plan")].url_name == "plan:plan_detail"


def test_staff_see_the_plan_in_force_with_its_contents_and_tree(client, org):
    # given
    plan = approved(org)
    client.force_login(org.t.staff)
    # when
    html = _html(client.get(DETAIL))
    # then
    assert plan.title in html and 'data-status="approved"' in html
    for text in (
        "山梨県警察",
        "発見日時と発見者",
        "バックアップから復旧する",
        "都留市業務継続計画",
    ):
        assert text in html
    assert 'data-testid="contact-tree"' in html
    assert 'data-testid="edit-plan"' not in html  # staff do not edit
    assert 'data-testid="approve-plan"' not in html


def test_without_a_plan_the_page_says_so_and_shows_the_tree(client, org):
    client.force_login(org.t.staff)
    html = _html(client.get(DETAIL))
    assert 'data-testid="no-plan"' in html and 'data-testid="contact-tree"' in html


def test_the_lead_saves_a_draft_through_the_form(client, org):
    client.force_login(org.t.lead)
    # the form starts with the reporting chain's roles checked
    form = _html(client.get(EDIT))
    assert re.search(r'value="ciso"[^>]*checked', form)
    assert not re.search(r'value="auditor"[^>]*checked', form)
    response = client.post(EDIT, form_data())
    plan = EmergencyResponsePlan.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("plan:version_detail", kwargs={"pk": plan.pk})
    assert plan.extra_contacts[1] == {
        "category": "police",
        "name": "山梨県警察",
        "phone": "110",
        "email": "",
        "note": "",
    }
    assert plan.steps_recovery == ["バックアップから復旧する"]
    # editing again starts from the draft, and saves the same draft
    assert "山梨県警察" in _html(client.get(EDIT))
    client.post(EDIT, form_data(title="第2案"))
    assert EmergencyResponsePlan.objects.get().title == "第2案"


def test_bad_input_comes_back_on_the_form_with_the_messages(client, org):
    client.force_login(org.t.lead)
    past = (timezone.localdate() - datetime.timedelta(days=3)).isoformat()
    response = client.post(
        EDIT,
        HTTP_ACCEPT_LANGUAGE="en",
        data=form_data(
            reporting_items="",
            review_due=past,
            contact_roles=["ciso", "mayor"],
            extra_contacts="police 110",
        ),
    )
    html = _html(response)
    assert response.status_code == 200
    assert 'id="form-errors"' in html
    assert "Line 1" in html  # the contacts line
    assert "mayor" in html  # an unknown role is not a choice
    assert not EmergencyResponsePlan.objects.exists()
    # and once the form parses, the service's messages come back too
    response = client.post(
        EDIT, form_data(reporting_items="", review_due=past), HTTP_ACCEPT_LANGUAGE="en"
    )
    html = _html(response)
    assert "報告すべき事項" in html and "has passed" in html
    assert not EmergencyResponsePlan.objects.exists()


def test_the_ciso_approves_from_the_version_page(client, org):
    plan = draft(org)
    client.force_login(org.ciso)
    page = _html(client.get(reverse("plan:version_detail", kwargs={"pk": plan.pk})))
    assert 'data-testid="approve-plan"' in page
    response = client.post(reverse("plan:version_approve", kwargs={"pk": plan.pk}))
    assert response.status_code == 302 and response.url == DETAIL
    assert services.current_plan(org.m) == plan


def test_an_editor_who_approves_gets_the_message_not_an_error_page(client, org):
    assign(org.ciso, Role.LEAD_SECURITY_OFFICER)
    plan = draft(org, actor=org.ciso)
    client.force_login(org.ciso)
    response = client.post(reverse("plan:version_approve", kwargs={"pk": plan.pk}), follow=True)
    assert response.status_code == 200
    assert "兼務の禁止" in _html(response)
    plan.refresh_from_db()
    assert plan.is_draft


def test_approve_is_post_only(client, org):
    plan = draft(org)
    client.force_login(org.ciso)
    assert client.get(reverse("plan:version_approve", kwargs={"pk": plan.pk})).status_code == 405


def test_warnings_for_gaps_org_changes_and_an_overdue_review(client, org):
    plan = approved(org)
    assign(org.t.other_person, Role.DIVISION_SECURITY_MANAGER, org.division)
    EmergencyResponsePlan.objects.filter(pk=plan.pk).update(
        review_due=timezone.localdate() - datetime.timedelta(days=1)
    )
    client.force_login(org.t.staff)
    html = _html(client.get(DETAIL))
    assert 'data-testid="org-changed"' in html and "佐藤 花子" in html
    assert 'data-testid="gaps"' in html and org.t.unit.name in html
    assert 'data-testid="review-overdue"' in html


def test_the_bcp_location_is_a_link_only_when_it_is_a_web_address(client, org):
    draft(org, bcp_location="javascript:alert(1)")
    client.force_login(org.t.staff)
    assert 'href="javascript' not in _html(client.get(DETAIL))
    draft(org, bcp_location="https://intra.example.jp/bcp")
    assert 'href="https://intra.example.jp/bcp"' in _html(client.get(DETAIL))


def test_the_versions_list_every_version(client, org):
    approved(org)
    draft(org, change_note="連絡先を更新")
    client.force_login(org.t.staff)
    html = _html(client.get(reverse("plan:version_list")))
    assert "連絡先を更新" in html
    assert html.count('href="/incidents/plan/versions/') == 2


def test_another_municipalitys_version_is_not_found(client, org, kofu):
    plan = draft(org)
    client.force_login(kofu.lead)
    url = reverse("plan:version_detail", kwargs={"pk": plan.pk})
    assert client.get(url).status_code == 404


def test_the_pdf_shows_the_plan_in_japanese_with_its_print_date_and_version(client, org):
    assign(org.t.other_person, Role.DIVISION_SECURITY_MANAGER, org.t.unit)
    approved(org)
    client.force_login(org.t.staff)
    response = client.get(reverse("plan:plan_pdf"), HTTP_ACCEPT_LANGUAGE="ja")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="emergency-plan-192040-v1.pdf"'
    text = assert_japanese_pdf(
        response.content, "緊急時対応計画", "佐藤 花子", "山梨県警察", "発見日時と発見者"
    )
    assert timezone.localdate().isoformat() in text


def test_a_machine_without_japanese_fonts_gets_a_message(client, org, monkeypatch):
    from isms.core.pdf import PdfUnavailable
    from isms.incidents.plan import views

    def unavailable(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise PdfUnavailable("no font")

    monkeypatch.setattr(views, "render_pdf", unavailable)
    client.force_login(org.t.staff)
    response = client.get(reverse("plan:plan_pdf"))
    assert response.status_code == 503 and "no font" in _html(response)
