"""Translations: Japanese is complete and uses the glossary's terms; English is the source.

The catalogs live in ``src/isms/locale/<lang>/LC_MESSAGES/django.po`` (msgids are English) and
are compiled by ``python -m isms.i18n``.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.urls import reverse
from django.utils import translation

import isms
from isms.core.models import OrgUnit, Person
from isms.core.models.prefectures import Prefecture
from isms.core.roles import Role
from tests.support.i18n import ensure_compiled

PACKAGE = Path(isms.__file__).resolve().parent
LOCALE = PACKAGE / "locale"
PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|\{\w*\}")


@pytest.fixture(autouse=True)
def _catalogs():
    ensure_compiled()


def _catalog(lang: str) -> polib.POFile:
    return polib.pofile(str(LOCALE / lang / "LC_MESSAGES" / "django.po"))


def _msgids(po: polib.POFile) -> set[tuple[str | None, str]]:
    return {(e.msgctxt, e.msgid) for e in po if not e.obsolete}


def test_japanese_catalog_has_no_untranslated_or_fuzzy_entry():
    po = _catalog("ja")
    assert po.metadata["Language"] == "ja"
    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []
    assert [e.msgid for e in po if e.msgid_plural and "" in e.msgstr_plural.values()] == []


def test_japanese_translations_keep_every_placeholder():
    """A lost or misspelt %(name)s would raise or show the wrong value at run time."""
    wrong = [
        e.msgid
        for e in _catalog("ja")
        for text in (e.msgstr_plural.values() if e.msgid_plural else [e.msgstr])
        if sorted(set(PLACEHOLDER.findall(e.msgid))) != sorted(set(PLACEHOLDER.findall(text)))
    ]
    assert wrong == []


def test_english_catalog_has_the_same_messages_as_the_japanese_one():
    en = _catalog("en")
    assert en.metadata["Language"] == "en"
    assert _msgids(en) == _msgids(_catalog("ja"))


@pytest.mark.skipif(
    shutil.which("xgettext") is None or shutil.which("msgmerge") is None,
    reason="GNU gettext (xgettext, msgmerge) is not installed: apt-get install gettext",
)
def test_makemessages_finds_no_message_missing_from_the_catalogs(tmp_path):
    """Every string marked for translation in the code and templates is in the catalogs."""
    # given: a copy of the package (makemessages writes into ./locale of the copy only)
    copy = tmp_path / "isms"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    # when
    result = subprocess.run(
        [sys.executable, "-m", "django", "makemessages", "-l", "ja", "-l", "en"],
        cwd=copy,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    # then
    assert result.returncode == 0, result.stderr
    for lang in ("ja", "en"):
        fresh = polib.pofile(str(copy / "locale" / lang / "LC_MESSAGES" / "django.po"))
        missing = sorted(m for _, m in _msgids(fresh) - _msgids(_catalog(lang)))
        assert missing == [], (
            f"{lang}: run makemessages (see the catalog header) and translate these"
        )


def test_page_is_in_japanese_for_a_japanese_browser_and_in_english_after_switching(client, tsuru):
    # given
    client.force_login(tsuru.lead)
    # when
    japanese = client.get(reverse("web:dashboard"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("web:dashboard")}
    )
    english = client.get(reverse("web:dashboard"), HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    # then
    assert '<html lang="ja">' in japanese
    assert "<h1>ダッシュボード</h1>" in japanese
    assert ">情報セキュリティポリシー</a>" in japanese
    assert "Dashboard" not in japanese
    assert switched["Location"] == reverse("web:dashboard")
    assert '<html lang="en">' in english
    assert "<h1>Dashboard</h1>" in english
    assert ">Information security policy</a>" in english
    assert "ダッシュボード" not in english


def test_an_english_browser_gets_english_and_can_switch_back_to_japanese(client, tsuru):
    client.force_login(tsuru.staff)

    english = client.get(reverse("core:org_unit_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    client.post(reverse("set_language"), {"language": "ja", "next": "/"})
    japanese = client.get(reverse("core:org_unit_list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert "<h1>Organisation</h1>" in english.content.decode()
    assert "<h1>組織</h1>" in japanese.content.decode()


def test_a_browser_without_a_preference_gets_japanese(client):
    html = client.get(reverse("login")).content.decode()

    assert '<html lang="ja">' in html
    assert "<h1>ログイン</h1>" in html


# The glossary's Japanese terms, which UI labels must use exactly.
GLOSSARY_ROLES = {
    Role.CISO: "最高情報セキュリティ責任者（CISO）",
    Role.DEPUTY_CISO: "最高情報セキュリティ副責任者（副CISO）",
    Role.CISO_ADVISOR: "最高情報セキュリティアドバイザー",
    Role.LEAD_SECURITY_OFFICER: "統括情報セキュリティ責任者",
    Role.BUREAU_SECURITY_OFFICER: "情報セキュリティ責任者",
    Role.DIVISION_SECURITY_MANAGER: "情報セキュリティ管理者",
    Role.SYSTEM_MANAGER: "情報システム管理者",
    Role.SYSTEM_STAFF: "情報システム担当者",
    Role.COMMITTEE_CHAIR: "情報セキュリティ委員会委員長",
    Role.COMMITTEE_MEMBER: "情報セキュリティ委員会委員",
    Role.LEAD_AUDIT_OFFICER: "情報セキュリティ監査統括責任者",
    Role.AUDITOR: "監査人",
    Role.CSIRT_LEAD: "CSIRT責任者",
    Role.CSIRT_MEMBER: "CSIRT要員",
    Role.CLOUD_SERVICE_MANAGER: "外部サービス管理者",
    Role.SOCIAL_MEDIA_OFFICER: "ソーシャルメディアサービスの責任者",
}
GLOSSARY_STAFF_CATEGORIES = {
    Person.StaffCategory.REGULAR: "職員",
    Person.StaffCategory.PART_TIME: "非常勤職員",
    Person.StaffCategory.FISCAL_YEAR_APPOINTED: "会計年度任用職員",
    Person.StaffCategory.EXTERNAL_BODY: "外部団体職員",
    Person.StaffCategory.CONTRACTOR: "業務受託業者の職員",
}
GLOSSARY_ORGANS = {
    OrgUnit.OrganKind.MAYOR_DEPARTMENTS: "市長部局",
    OrgUnit.OrganKind.ADMINISTRATIVE_COMMITTEE: "行政委員会",
    OrgUnit.OrganKind.ASSEMBLY_SECRETARIAT: "議会事務局",
    OrgUnit.OrganKind.LAND_DEVELOPMENT_CORPORATION: "土地開発公社",
    OrgUnit.OrganKind.PUBLIC_ENTERPRISE: "地方公営企業",
    OrgUnit.OrganKind.FIRE_HEADQUARTERS: "消防本部",
}


@pytest.mark.parametrize(
    "choices",
    [GLOSSARY_ROLES, GLOSSARY_STAFF_CATEGORIES, GLOSSARY_ORGANS],
    ids=["roles", "staff_categories", "organs"],
)
def test_japanese_labels_are_the_glossary_terms(choices):
    with translation.override("ja"):
        assert {c: str(c.label) for c in choices} == choices
    assert set(choices) == set(type(next(iter(choices))))


def test_every_prefecture_has_its_japanese_name():
    with translation.override("ja"):
        names = [str(p.label) for p in Prefecture]
    assert names[:3] == ["北海道", "青森県", "岩手県"]
    assert names[12] == "東京都" and names[18] == "山梨県" and names[25] == "京都府"
    assert names[26] == "大阪府" and names[46] == "沖縄県"
    assert all(re.fullmatch(r"北海道|東京都|(京都|大阪)府|.{2,3}県", n) for n in names)
