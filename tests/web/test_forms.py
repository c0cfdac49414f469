"""Form pages are accessible: labels, errors tied to their inputs, a summary that links to them."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.support.i18n import ensure_compiled


@pytest.fixture(autouse=True)
def _catalogs():
    ensure_compiled()


def _tag(html: str, element_id: str) -> str:
    """Return the opening tag of the element with ``element_id``."""
    match = re.search(rf'<(input|select|textarea)\b[^>]*\bid="{element_id}"[^>]*>', html)
    assert match, element_id
    return match.group(0)


def test_every_input_has_a_label_and_its_help_text_is_tied_to_it(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    # when
    html = client.get(reverse("core:org_unit_create")).content.decode()
    # then
    form = re.search(r'<form method="post" class="form".*?</form>', html, re.S).group(0)
    ids = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', form)
    assert ids == [
        "id_parent",
        "id_code",
        "id_name",
        "id_name_kana",
        "id_kind",
        "id_organ_kind",
        "id_in_scope",
    ]
    for element_id in ids:
        assert f'<label for="{element_id}">' in html
    assert 'aria-describedby="id_code_helptext"' in _tag(html, "id_code")
    assert (
        '<p class="help" id="id_code_helptext">団体内で重複しない短いコード（例: 110）。</p>'
        in html
    )
    assert "required" in _tag(html, "id_code")
    assert "aria-invalid" not in html
    assert 'class="error-summary"' not in html


def test_errors_are_next_to_their_field_tied_to_the_input_and_summarised_with_links(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    # when: no role, a date range without a start date
    response = client.post(
        reverse("core:role_assignment_create", args=[tsuru.other_person.pk]),
        {"role": "", "period": "dates", "start_date": "", "end_date": "2025-13-01"},
    )
    # then
    html = response.content.decode()
    role = _tag(html, "id_role")
    assert 'aria-invalid="true"' in role
    assert 'aria-describedby="id_role_error"' in role
    assert '<ul class="field-errors" id="id_role_error"><li>この項目は必須です。</li></ul>' in html
    start = _tag(html, "id_start_date")
    assert 'aria-invalid="true"' in start
    assert (
        '<ul class="field-errors" id="id_start_date_error"><li>開始日を入力してください。</li></ul>'
        in html
    )
    end = _tag(html, "id_end_date")
    assert 'aria-describedby="id_end_date_helptext id_end_date_error"' in end
    assert 'aria-invalid="true"' not in _tag(html, "id_note")
    summary = re.search(r'<div class="error-summary".*?</div>', html, re.S).group(0)
    assert 'role="alert"' in summary and "autofocus" in summary and 'tabindex="-1"' in summary
    assert re.findall(r'<a href="#([^"]+)">', summary) == [
        "id_role",
        "id_start_date",
        "id_end_date",
    ]
    assert '<a href="#id_role">役割: この項目は必須です。</a>' in summary


def test_radio_group_is_a_fieldset_with_a_legend(client, tsuru):
    client.force_login(tsuru.lead)

    html = client.get(
        reverse("core:role_assignment_create", args=[tsuru.other_person.pk])
    ).content.decode()

    fieldset = re.search(r"<fieldset class=\"field\">.*?</fieldset>", html, re.S).group(0)
    assert "<legend>期間" in fieldset
    assert '<label for="id_period_0"><input type="radio" name="period" value="fiscal_year"' in (
        fieldset
    )
    assert 'id="id_period_1"' in fieldset
    assert "checked" in _tag(html, "id_period_0")


def test_form_page_keeps_the_language_switch_and_skip_link(client, tsuru):
    client.force_login(tsuru.lead)

    html = client.get(reverse("core:person_create")).content.decode()

    assert '<a class="skip" href="#main">本文へ移動</a>' in html
    assert 'data-testid="lang-switch">English</button>' in html
    assert "<h1>職員等の登録</h1>" in html
