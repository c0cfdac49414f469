"""The quarantine in the web app: import, search, manifest, releases with a second approver,
retention, the chart; every view and release journaled, refusals change nothing."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from isms.core import services as core_services
from isms.core.models import JournalEntry
from isms.quarantine import adapter, services, tasks
from isms.quarantine.models import QuarantinedMessage, RecipientDomain, Release
from tests.support.i18n import ensure_compiled

from .factories import SENDER, domain_of, mail, pending_release, quarantine, store_mail


@pytest.fixture(autouse=True)
def folders(settings, tmp_path: Path) -> Path:
    """A quarantine and a release outbox of this test's own."""
    settings.QUARANTINE_DIR = tmp_path / "quarantine"
    settings.QUARANTINE_RELEASE_TO = f"dir:{tmp_path / 'outbox'}"
    ensure_compiled()
    return tmp_path / "outbox"


def outbox(folder: Path) -> list[tuple[list[str], bytes]]:
    out = []
    for eml in sorted(folder.glob("*.eml")) if folder.exists() else []:
        rcpts = eml.with_suffix(".rcpt").read_text(encoding="utf-8").split()
        out.append((rcpts, eml.read_bytes()))
    return out


def journal_actions(municipality) -> list[str]:  # type: ignore[no-untyped-def]
    return list(
        JournalEntry.objects.filter(municipality=municipality)
        .order_by("seq")
        .values_list("action", flat=True)
    )


# --- import ---------------------------------------------------------------------------------


def test_import_splits_recipients_by_municipality_once(tsuru, kofu):
    """One reception to both municipalities and an unknown domain gives one row for each
    municipality; importing again adds nothing; each import is journaled per municipality."""
    for t in (tsuru, kofu):
        RecipientDomain.objects.create(
            domain=domain_of(t.municipality), municipality=t.municipality
        )
    rcpts = [
        f"a@{domain_of(tsuru.municipality)}",
        f"b@{domain_of(kofu.municipality)}",
        f"c@{domain_of(tsuru.municipality).upper()}",
        "d@elsewhere.test",
    ]
    sha, _at = store_mail(mail("合同会議", attachment=True), rcpts)
    report = services.import_new()
    assert (report.created, report.unmapped) == (2, 1)
    assert services.import_new().created == 0
    rows = {r.municipality_id: r for r in QuarantinedMessage.objects.all()}
    assert rows[tsuru.municipality.pk].recipients == [rcpts[0], rcpts[2]]
    assert rows[kofu.municipality.pk].recipients == [rcpts[1]]
    row = rows[tsuru.municipality.pk]
    assert (row.sha256, row.sender, row.subject, row.verdict) == (sha, SENDER, "合同会議", "held")
    assert row.codes == ["executable"]
    assert journal_actions(tsuru.municipality)[-1] == "quarantine.import"


def test_periodic_tasks_call_the_services(tsuru):
    RecipientDomain.objects.create(
        domain=domain_of(tsuru.municipality), municipality=tsuru.municipality
    )
    store_mail(mail("定期"), [f"a@{domain_of(tsuru.municipality)}"])
    assert tasks.import_quarantine.call_local() == 1
    assert tasks.purge_quarantine_daily.call_local() == 0


# --- pages ----------------------------------------------------------------------------------


def test_list_searches_and_is_journaled(client, tsuru, kofu):
    old = timezone.now() - dt.timedelta(days=3)
    held = quarantine(tsuru.municipality, "請求書", received_at=old)
    clean = quarantine(tsuru.municipality, "議事録", attachment=False)
    quarantine(kofu.municipality, "甲府の件")
    client.force_login(tsuru.lead)
    url = reverse("quarantine:message_list")

    def found(**query: str) -> list[int]:
        response = client.get(url, query)
        assert response.status_code == 200
        return [m.pk for m in response.context["page"]]

    assert found() == [clean.pk, held.pk]
    assert found(q="請求") == [held.pk]
    assert found(q="internet.test") == [clean.pk, held.pk]
    assert found(verdict="held") == [held.pk]
    assert found(reason="executable") == [held.pk]
    assert found(reason="links_defanged") == []
    day = timezone.localtime(old).date().isoformat()
    assert found(date_from=day, date_to=day) == [held.pk]
    response = client.get(url, {"date_from": "2026-13-01"})
    assert response.status_code == 200
    assert "日付を正しく入力してください。" in response.content.decode()
    response = client.get(url, {"date_from": "2026-11-02", "date_to": "2026-11-01"})
    assert "終了日が開始日より前です。" in response.content.decode()
    assert "甲府の件" not in response.content.decode()
    entries = JournalEntry.objects.filter(municipality=tsuru.municipality, action="quarantine.list")
    assert entries.count() == 9
    assert set(entries.values_list("kind", flat=True)) == {JournalEntry.Kind.READ}


def test_chart_counts_by_day_verdict_and_reason(client, tsuru):
    quarantine(tsuru.municipality, "一", received_at=timezone.now() - dt.timedelta(days=1))
    quarantine(tsuru.municipality, "二")
    quarantine(tsuru.municipality, "三", attachment=False)
    client.force_login(tsuru.admin)
    chart = client.get(reverse("quarantine:message_list")).context["chart"]
    assert len(chart["days"]) == 14
    today, yesterday = chart["days"][-1], chart["days"][-2]
    assert (today["sanitized"], today["held"], today["total"]) == (1, 1, 2)
    assert (yesterday["held"], yesterday["total"]) == (1, 1)
    assert chart["max"] == 2
    assert [(r["code"], r["count"]) for r in chart["reasons"]] == [("executable", 2)]
    assert chart["reasons"][0]["label"] == "実行ファイルが添付されています。"


def test_detail_shows_the_manifest_and_is_journaled(client, tsuru):
    message = quarantine(tsuru.municipality, "明細")
    client.force_login(tsuru.lead)
    response = client.get(reverse("quarantine:message_detail", kwargs={"pk": message.pk}))
    body = response.content.decode()
    assert response.status_code == 200
    assert message.receipt in body
    assert "run.exe" in body
    assert "実行ファイルが添付されています。" in body
    entry = JournalEntry.objects.filter(municipality=tsuru.municipality).latest("seq")
    assert (entry.action, entry.kind, entry.object_id) == (
        "quarantine.view",
        JournalEntry.Kind.READ,
        str(message.pk),
    )


# --- releases -------------------------------------------------------------------------------


def test_release_of_the_sanitized_version_delivers_it_without_the_held_file(client, tsuru, folders):
    message = quarantine(tsuru.municipality, "添付あり")
    client.force_login(tsuru.lead)
    url = reverse("quarantine:release_derivative", kwargs={"pk": message.pk})
    response = client.post(url, {"reason": "宛先から依頼"}, follow=True)
    assert "無害化版を宛先に配信しました。" in response.content.decode()
    [(rcpts, data)] = outbox(folders)
    assert rcpts == message.recipients
    assert b"X-Sanitized: verdict=sanitized" in data
    assert b"TVqQ" not in data
    release = Release.objects.get()
    assert (release.kind, release.state, release.reason) == ("derivative", "done", "宛先から依頼")
    assert journal_actions(tsuru.municipality)[-2:] == [
        "quarantine.release_derivative",
        "quarantine.view",
    ]


def test_malformed_message_has_no_sanitized_version(client, tsuru, folders, monkeypatch):
    message = quarantine(tsuru.municipality, "壊れた")
    monkeypatch.setattr(adapter, "derivative", lambda m: None)
    client.force_login(tsuru.lead)
    before = JournalEntry.objects.count()
    url = reverse("quarantine:release_derivative", kwargs={"pk": message.pk})
    response = client.post(url, follow=True)
    assert (
        "このメールは無害化版を作成できません（メール全体が不正な形式か危険です）。"
        "開放できるのは原本のみで、第二承認者の承認が必要です。"
    ) in response.content.decode()
    assert Release.objects.count() == 0
    assert outbox(folders) == []
    assert JournalEntry.objects.count() == before + 1  # the detail page read only


def test_delivery_failure_releases_nothing(tsuru, settings, folders):
    message = quarantine(tsuru.municipality, "配信不可")
    settings.QUARANTINE_RELEASE_TO = "smtp:127.0.0.1:1"
    before = JournalEntry.objects.count()
    with pytest.raises(core_services.ValidationError) as raised:
        services.release_derivative(tsuru.lead, message)
    assert raised.value.messages[0].startswith("メールを配信できませんでした（")
    assert Release.objects.count() == 0
    assert JournalEntry.objects.count() == before


def test_original_needs_a_reason_and_a_second_approver(client, tsuru, folders):
    message = quarantine(tsuru.municipality, "原本")
    client.force_login(tsuru.lead)
    ask = reverse("quarantine:request_original", kwargs={"pk": message.pk})
    response = client.post(ask, {"reason": "  "}, follow=True)
    assert "原本を開放する理由（誰から、なぜ依頼されたか）を入力してください。" in (
        response.content.decode()
    )
    assert Release.objects.count() == 0
    client.post(ask, {"reason": "差出人に電話で確認済み"})
    release = Release.objects.get()
    assert (release.state, release.requested_by) == ("pending", tsuru.lead)
    response = client.post(ask, {"reason": "二度目"}, follow=True)
    assert "この原本の開放は、すでに第二承認者の承認待ちです。" in response.content.decode()
    # the applicant cannot approve
    before = JournalEntry.objects.count()
    approve = reverse("quarantine:approve_original", kwargs={"pk": release.pk})
    response = client.post(approve, follow=True)
    assert "この開放はご自身が申請したものです。別の人が承認する必要があります（兼務の禁止）。" in (
        response.content.decode()
    )
    release.refresh_from_db()
    assert release.state == "pending"
    assert outbox(folders) == []
    assert JournalEntry.objects.count() == before + 1  # the detail page read only
    # a second person approves: the original bytes go to the recipients
    client.force_login(tsuru.admin)
    response = client.post(approve, follow=True)
    assert "原本を開放し、宛先に配信しました。" in response.content.decode()
    release.refresh_from_db()
    assert (release.state, release.approved_by) == ("done", tsuru.admin)
    [(rcpts, data)] = outbox(folders)
    assert rcpts == message.recipients
    assert data == adapter.original(message)
    assert "quarantine.release_original" in journal_actions(tsuru.municipality)
    response = client.post(approve, follow=True)
    assert "この開放は承認待ちではありません。" in response.content.decode()


def test_staff_cannot_approve_and_nothing_changes(tsuru, folders):
    message = quarantine(tsuru.municipality, "職員")
    release = pending_release(message, tsuru.lead)
    before = JournalEntry.objects.count()
    with pytest.raises(PermissionDenied):
        services.approve_original(tsuru.staff, release)
    release.refresh_from_db()
    assert (release.state, release.approved_by) == ("pending", None)
    assert JournalEntry.objects.count() == before
    assert outbox(folders) == []


def test_a_second_approval_of_the_same_release_delivers_nothing(tsuru, folders):
    """Two approvals read the release while pending (two approvers, or a double click): the
    one that commits second sees the row under its lock and is refused; one delivery only."""
    message = quarantine(tsuru.municipality, "二重承認")
    release = pending_release(message, tsuru.lead)
    stale = Release.objects.get(pk=release.pk)  # loaded by the second request, still pending
    services.approve_original(tsuru.admin, release)
    before = JournalEntry.objects.count()
    with pytest.raises(ValidationError, match="この開放は承認待ちではありません。"):
        services.approve_original(tsuru.admin, stale)
    assert len(outbox(folders)) == 1
    assert JournalEntry.objects.count() == before


# --- retention ------------------------------------------------------------------------------


def test_purge_removes_expired_receptions_and_journals_it(tsuru, settings):
    settings.QUARANTINE_RETENTION_DAYS = 30
    old = quarantine(tsuru.municipality, "古い", received_at=timezone.now() - dt.timedelta(days=40))
    new = quarantine(tsuru.municipality, "新しい")
    originals, rows = services.purge_expired()
    assert (originals, rows) == (1, 1)
    assert list(QuarantinedMessage.objects.values_list("pk", flat=True)) == [new.pk]
    assert list(adapter.store().ids()) == [new.sha256]
    assert old.sha256 not in list(adapter.store().ids())
    assert journal_actions(tsuru.municipality)[-1] == "quarantine.purge"
