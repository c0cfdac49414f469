"""The shell around every page: a menu filtered by the user's rights, error pages in Japanese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.support.i18n import ensure_compiled


@pytest.fixture(autouse=True)
def _catalogs():
    ensure_compiled()


def test_menu_shows_the_journal_only_to_roles_that_may_read_it(client, tsuru):
    journal_link = f'<a href="{reverse("core:journal_list")}">操作記録</a>'

    client.force_login(tsuru.lead)
    lead_page = client.get(reverse("web:dashboard")).content.decode()
    client.force_login(tsuru.staff)
    staff_page = client.get(reverse("web:dashboard")).content.decode()

    assert journal_link in lead_page
    assert journal_link not in staff_page
    assert f'<a href="{reverse("policy:basic_policy")}">情報セキュリティポリシー</a>' in staff_page


def test_refused_page_explains_in_japanese_and_keeps_the_shell(client, tsuru):
    client.force_login(tsuru.staff)

    response = client.get(reverse("core:journal_list"))

    html = response.content.decode()
    assert response.status_code == 403
    assert "<h1>権限がありません</h1>" in html
    assert (
        '<p data-testid="forbidden">あなたの役割ではこのページを表示できません。'
        "必要な場合は情報セキュリティ管理者に相談してください。</p>"
    ) in html
    assert 'aria-label="メインメニュー"' in html


def test_another_municipalitys_record_is_not_found_in_japanese(client, tsuru, kofu):
    client.force_login(tsuru.staff)

    response = client.get(reverse("core:person_detail", args=[kofu.other_person.pk]))

    assert response.status_code == 404
    assert "<h1>見つかりません</h1>" in response.content.decode()
    assert "佐藤 花子" not in response.content.decode().split("<main", 1)[1]


def test_area_not_built_yet_says_in_preparation(client, tsuru):
    client.force_login(tsuru.staff)

    html = client.get(reverse("web:coming_soon", args=["suppliers"])).content.decode()

    assert "<h1>委託事業者・外部サービス・ソーシャルメディア</h1>" in html
    assert '<p class="notice">準備中です。この分野はまだ利用できません。</p>' in html
    assert "<p>基本方針の該当箇所: 2.6(8)</p>" in html


def test_unknown_api_path_answers_json_not_html(client, tsuru):
    """A client's typo under /api/ gets the API's JSON error, in the user's language."""
    response = client.get("/api/v1/no-such-thing", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")
