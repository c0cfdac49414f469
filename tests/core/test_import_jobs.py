"""Large imports as background tasks (``core.io_jobs``, ``core.tasks.run_import_job``).

A file above the threshold is queued and imported by a task (inline in tests: Huey's immediate
mode); the job page shows its progress and then its result or the same row/column table; a
crashing or vanished task leaves the job failed, never running; only the municipality's users
who may manage that kind see the job.
"""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from isms.core import io, io_jobs
from isms.core.models import ImportJob, JournalEntry, Person
from tests.support.i18n import ensure_compiled

PERSON_HEADER = ",".join(c.header for c in io.PERSON_COLUMNS[:7])


@pytest.fixture(autouse=True)
def _setup(monkeypatch, settings, tmp_path):
    ensure_compiled()
    settings.DATA_DIR = tmp_path
    monkeypatch.setattr(io_jobs, "BACKGROUND_ROWS", 2)


def _people_file(t, count: int, *, bad_row: int | None = None) -> SimpleUploadedFile:
    lines = [PERSON_HEADER]
    for i in range(count):
        unit = "NOPE" if i + 2 == bad_row else t.unit.code
        lines.append(f"BG{i:04d},山田,{i},ヤマダ,イチ,職員,{unit}")
    body = ("\r\n".join(lines) + "\r\n").encode("cp932")
    return SimpleUploadedFile("people.csv", body, content_type="text/csv")


def _post(client, t, upload, name="core:person_import"):
    client.force_login(t.admin)
    return client.post(reverse(name), {"file": upload})


def test_a_file_above_the_threshold_is_imported_by_a_task(client, tsuru, tmp_path):
    """Three rows (threshold 2): the page redirects to the job, which has imported them."""
    # when
    response = _post(client, tsuru, _people_file(tsuru, 3))
    # then
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("core:import_job_detail", kwargs={"pk": job.pk})
    assert (job.status, job.kind, job.filename, job.created_by) == (
        ImportJob.Status.DONE,
        ImportJob.Kind.PERSON,
        "people.csv",
        tsuru.admin,
    )
    assert (job.rows_total, job.rows_done, job.created, job.updated) == (3, 3, 3, 0)
    assert Person.objects.filter(employee_number__startswith="BG").count() == 3
    assert list((tmp_path / "imports").iterdir()) == [], "the upload was not deleted"
    with translation.override("ja"):
        page = client.get(response.url, HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "取り込みました: 追加 3 件、変更 0 件、変更なし 0 件。" in page
    assert "hx-get" not in page, "a finished job must stop polling"


def test_a_file_at_the_threshold_is_imported_within_the_request(client, tsuru):
    response = _post(client, tsuru, _people_file(tsuru, 2))
    assert response.url == reverse("core:person_list")
    assert ImportJob.objects.count() == 0


def test_a_rejected_background_import_shows_the_error_table(client, tsuru):
    """Row 3 names an unknown unit: nothing is imported and the job page shows row and column."""
    before = (Person.objects.count(), JournalEntry.objects.count())
    response = _post(client, tsuru, _people_file(tsuru, 3, bad_row=3))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.REJECTED
    assert job.issues == [
        {
            "row": 3,
            "column": "所属コード",
            "message": "このコードの組織はこの団体にありません。",
            "fix": "組織一覧にあるコードを入力するか、先に組織を取り込んでください。",
        }
    ]
    assert (Person.objects.count(), JournalEntry.objects.count()) == before
    page = client.get(response.url).content.decode()
    assert (
        "<tr><td>3</td><td>所属コード</td><td>このコードの組織はこの団体にありません。</td>"
    ) in page
    assert "何も取り込んでいません。" in page


def test_an_unreadable_file_is_refused_at_once_without_a_job(client, tsuru):
    upload = SimpleUploadedFile("p.csv", "a,b\r\n1,2\r\n".encode("utf-16"))
    response = _post(client, tsuru, upload)
    assert response.status_code == 200
    assert ImportJob.objects.count() == 0
    assert "UTF-8 でも Shift_JIS（CP932）でもありません" in response.content.decode()


def test_a_task_that_crashes_leaves_the_job_failed_with_a_message(
    client, tsuru, monkeypatch, tmp_path
):
    def crash(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setitem(io_jobs.IMPORTERS, ImportJob.Kind.PERSON, crash)
    response = _post(client, tsuru, _people_file(tsuru, 3))
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    with translation.override("ja"):
        expected = _(
            "The import stopped on an unexpected error; nothing was imported. Try again; if "
            "it fails again, ask the system administrator to look at the server log."
        )
    assert job.message == expected
    assert job.finished_at is not None
    assert list((tmp_path / "imports").iterdir()) == []
    assert expected in client.get(response.url).content.decode()
    assert "disk on fire" not in client.get(response.url).content.decode()


def test_a_crash_inside_the_rows_rolls_everything_back(client, tsuru, monkeypatch):
    """The second row's service crashes (not a validation error): the first row is gone too."""
    from isms.core import services

    real = services.create_person
    calls = []

    def create(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("boom")
        return real(*args, **kwargs)

    monkeypatch.setattr(services, "create_person", create)
    before = (Person.objects.count(), JournalEntry.objects.count())
    _post(client, tsuru, _people_file(tsuru, 3))
    assert ImportJob.objects.get().status == ImportJob.Status.FAILED
    assert (Person.objects.count(), JournalEntry.objects.count()) == before


def test_a_job_whose_worker_vanished_is_marked_failed(tsuru, tmp_path):
    """Running, with no progress for longer than STALE_AFTER: failed, and its file removed."""
    (tmp_path / "imports").mkdir()
    (tmp_path / "imports" / "x.csv").write_bytes(b"x")
    started = timezone.now() - io_jobs.STALE_AFTER - datetime.timedelta(minutes=1)
    job = ImportJob.objects.create(
        municipality=tsuru.municipality,
        kind=ImportJob.Kind.PERSON,
        filename="p.csv",
        upload="x.csv",
        status=ImportJob.Status.RUNNING,
        started_at=started,
        created_by=tsuru.admin,
    )
    fresh = ImportJob.objects.create(
        municipality=tsuru.municipality,
        kind=ImportJob.Kind.PERSON,
        filename="p.csv",
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
    )
    assert io_jobs.refresh(job).status == ImportJob.Status.FAILED
    assert io_jobs.refresh(fresh).status == ImportJob.Status.RUNNING
    assert not (tmp_path / "imports" / "x.csv").exists()


def test_a_duplicate_delivery_of_the_task_does_nothing(tsuru):
    job = ImportJob.objects.create(
        municipality=tsuru.municipality,
        kind=ImportJob.Kind.PERSON,
        filename="p.csv",
        status=ImportJob.Status.DONE,
        created=5,
    )
    assert io_jobs.run(job.pk) is None
    job.refresh_from_db()
    assert (job.status, job.created) == (ImportJob.Status.DONE, 5)


def test_progress_is_reported_while_the_rows_are_saved(tsuru, monkeypatch):
    monkeypatch.setattr(io, "PROGRESS_EVERY", 2)
    seen: list[tuple[int, int]] = []
    data = _people_file(tsuru, 5).read()
    io.import_people(
        tsuru.admin, tsuru.municipality, data, "p.csv", progress=lambda *a: seen.append(a)
    )
    assert seen == [(2, 5), (4, 5), (5, 5)]


def test_the_running_page_polls_and_shows_live_progress(client, tsuru):
    job = ImportJob.objects.create(
        municipality=tsuru.municipality,
        kind=ImportJob.Kind.PERSON,
        filename="p.csv",
        status=ImportJob.Status.RUNNING,
        started_at=timezone.now(),
        rows_total=4000,
    )
    io_jobs._report(job.pk, 1000, 4000)
    client.force_login(tsuru.lead)
    url = reverse("core:import_job_detail", kwargs={"pk": job.pk})
    full = client.get(url).content.decode()
    part = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert f'hx-get="{url}"' in full and 'hx-trigger="every 2s"' in full
    assert '<progress max="4000" value="1000">25%</progress>' in part
    assert part.lstrip().startswith('<div id="import-job"')
    assert "<html" not in part


@pytest.mark.parametrize(
    ("kind", "persona", "status"),
    [
        (ImportJob.Kind.ROLE_ASSIGNMENT, "lead", 200),
        (ImportJob.Kind.ROLE_ASSIGNMENT, "staff", 403),
        (ImportJob.Kind.ORG_UNIT, "admin", 200),
        (ImportJob.Kind.PERSON, "staff", 403),
    ],
)
def test_a_job_is_shown_to_those_who_may_manage_its_kind(client, tsuru, kind, persona, status):
    job = ImportJob.objects.create(
        municipality=tsuru.municipality, kind=kind, filename="f.csv", status="done"
    )
    client.force_login(getattr(tsuru, persona))
    url = reverse("core:import_job_detail", kwargs={"pk": job.pk})
    assert client.get(url).status_code == status


def test_another_municipalitys_job_is_not_found(client, tsuru, kofu):
    job = ImportJob.objects.create(
        municipality=kofu.municipality, kind="person", filename="甲府.csv", status="done"
    )
    client.force_login(tsuru.admin)
    response = client.get(reverse("core:import_job_detail", kwargs={"pk": job.pk}))
    assert response.status_code == 404
    assert "甲府.csv" not in response.content.decode()
