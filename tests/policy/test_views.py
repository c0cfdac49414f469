"""The 基本方針 page: read-only, for every member of the municipality, never another's text."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.urls import reverse

import isms
from isms.policy.services import load_basic_policy
from tests.support.factories import make_user
from tests.support.i18n import ensure_compiled

TSURU = Path(isms.__file__).parent / "data" / "tsuru"


@pytest.fixture(autouse=True)
def _catalogs():
    ensure_compiled()


@pytest.fixture
def tsuru_policy(tsuru):
    document = yaml.safe_load((TSURU / "basic_policy.yaml").read_text(encoding="utf-8"))
    return load_basic_policy(None, tsuru.municipality, document)


def test_staff_reads_the_basic_policy_with_every_section(client, tsuru, tsuru_policy):
    # given
    client.force_login(tsuru.staff)
    # when
    response = client.get(reverse("policy:basic_policy"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    assert '<article class="policy" lang="ja">' in html
    assert "<h1>都留市情報セキュリティ基本方針</h1>" in html
    assert '<section id="s2.1">' in html
    assert "<h2>2.1. 目的</h2>" in html
    assert "通信経路の分割" in html
    sections = [s.number for s in tsuru_policy.sections.all()]
    assert sections == [f"2.{n}" for n in range(1, 11)]
    for number in sections:
        assert f'<a href="#s{number}">' in html


def test_the_policy_page_does_not_show_another_municipalitys_policy(client, kofu, tsuru_policy):
    client.force_login(kofu.staff)

    html = client.get(reverse("policy:basic_policy")).content.decode()

    assert "都留市情報セキュリティ基本方針" not in html
    assert "この団体の基本方針はまだ登録されていません。" in html


def test_anonymous_visitor_is_sent_to_log_in(client, tsuru_policy):
    response = client.get(reverse("policy:basic_policy"))

    assert response.status_code == 302
    assert response["Location"] == f"{reverse('login')}?next={reverse('policy:basic_policy')}"


def test_service_administrator_without_a_municipality_is_refused(client, tsuru_policy):
    admin = make_user(None, "operator", service_admin_of=())

    response = client.get(reverse("policy:basic_policy"))
    client.force_login(admin)
    refused = client.get(reverse("policy:basic_policy"))

    assert response.status_code == 302
    assert refused.status_code == 403
    assert "都留市情報セキュリティ基本方針" not in refused.content.decode()


def test_service_administrator_reads_the_policy_of_a_managed_municipality(
    client, tsuru, tsuru_policy
):
    admin = make_user(None, "operator", service_admin_of=(tsuru.municipality,))
    client.force_login(admin)

    html = client.get(reverse("policy:basic_policy")).content.decode()

    assert "<h1>都留市情報セキュリティ基本方針</h1>" in html
