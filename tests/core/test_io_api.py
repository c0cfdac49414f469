"""The organisation's import/export API: the same files, errors and jobs as the pages."""

from __future__ import annotations

import csv
import io as stdio

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from isms.core import io_jobs, services
from isms.core.models import ImportJob, OrgUnit, Person
from isms.core.permissions import Action
from tests.support import access
from tests.support.access import ADMIN, API, LEAD, STAFF, AccessSpec
from tests.support.factories import make_user
from tests.support.routes import org_unit_file, person_file

UNIT_HEADER = "組織コード,上位組織コード,名称,種別,機関"


def _url(name: str, **kwargs: object) -> str:
    return reverse(f"api:{name}", kwargs=kwargs)


class Api:
    def __init__(self, client, user):  # type: ignore[no-untyped-def]
        raw = services.issue_api_token(user, name="io")[1]
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def upload(self, kind: str, name: str, data: bytes, **query: object):  # type: ignore[no-untyped-def]
        url = _url("import_file", kind=kind)
        if query:
            url += "?" + "&".join(f"{k}={v}" for k, v in query.items())
        upload = SimpleUploadedFile(name, data, content_type="text/csv")
        return self.client.post(url, {"file": upload}, **self.headers)

    def get(self, url: str):  # type: ignore[no-untyped-def]
        return self.client.get(url, **self.headers)


def test_an_org_unit_file_is_imported_and_exported_back(client, tsuru):
    # given
    api = Api(client, tsuru.lead)
    data = f"{UNIT_HEADER}\r\nAPI1,{tsuru.bureau.code},API課,課,市長部局\r\n".encode("utf-8-sig")
    # when
    imported = api.upload("org-units", "units.csv", data)
    exported = api.get(_url("export_file", kind="org-units"))
    again = api.upload("org-units", "units.csv", exported.content)
    # then
    assert imported.status_code == 200
    assert imported.json() == {"created": 1, "updated": 0, "unchanged": 0}
    assert OrgUnit.objects.get(municipality=tsuru.municipality, code="API1").name == "API課"
    assert exported.status_code == 200 and exported["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(stdio.StringIO(exported.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["組織コード", "上位組織コード", "名称"]
    assert ["API1", tsuru.bureau.code, "API課"] in [r[:3] for r in rows]
    assert again.json()["unchanged"] == len(rows) - 1 and again.json()["created"] == 0


def test_a_refused_file_lists_row_and_column_and_saves_nothing(client, tsuru):
    api = Api(client, tsuru.lead)
    data = (
        f"{UNIT_HEADER}\r\nOK1,{tsuru.bureau.code},正常課,課,市長部局\r\n"
        "BAD,ZZZ,不明課,課,市長部局\r\n"
    )
    response = api.upload("org-units", "units.csv", data.encode("cp932"))
    assert response.status_code == 422
    [issue] = response.json()["issues"]
    assert (issue["row"], issue["column"]) == (3, "上位組織コード")
    assert issue["fix"]
    assert not OrgUnit.objects.filter(code__in=["OK1", "BAD"]).exists()


def test_a_large_file_becomes_a_job_whose_outcome_the_api_reads(client, tsuru, monkeypatch):
    monkeypatch.setattr(io_jobs, "BACKGROUND_ROWS", 1)
    api = Api(client, tsuru.admin)
    header = "職員番号,姓,名,姓（フリガナ）,名（フリガナ）,職員区分,所属コード"
    lines = [f"J{i:04d},山田,{i},ヤマダ,イチ,職員,{tsuru.unit.code}" for i in range(3)]
    response = api.upload("people", "p.csv", "\r\n".join([header, *lines]).encode())
    assert response.status_code == 202
    job = response.json()
    # Huey runs the task inline in tests: the job is done when the response comes back.
    assert job["status"] == ImportJob.Status.DONE and job["created"] == 3
    read = api.get(_url("get_import_job", job_id=job["id"]))
    assert read.json()["created"] == 3
    assert Person.objects.filter(employee_number__startswith="J0").count() == 3


def test_another_municipalitys_job_is_not_found(client, tsuru, kofu, monkeypatch):
    monkeypatch.setattr(io_jobs, "BACKGROUND_ROWS", 0)
    job = Api(client, kofu.admin).upload("org-units", "u.csv", org_unit_file(kofu).read()).json()
    assert Api(client, tsuru.admin).get(_url("get_import_job", job_id=job["id"])).status_code == 404


def test_a_service_administrator_of_several_must_name_the_municipality(client, tsuru, kofu):
    service = make_user(None, "svc", service_admin_of=(tsuru.municipality, kofu.municipality))
    api = Api(client, service)
    unnamed = api.get(_url("export_file", kind="org-units"))
    named = api.get(
        _url("export_file", kind="org-units") + f"?municipality_id={kofu.municipality.pk}"
    )
    assert unnamed.status_code == 422 and list(unnamed.json()["errors"]) == ["municipality_id"]
    assert named.status_code == 200
    assert kofu.unit.name in named.content.decode("utf-8-sig")
    assert tsuru.unit.name not in named.content.decode("utf-8-sig")


def test_the_template_is_an_xlsx_with_the_headers_only(client, tsuru):
    from openpyxl import load_workbook

    response = Api(client, tsuru.lead).get(
        _url("export_template", kind="role-assignments") + "?format=xlsx"
    )
    assert response.status_code == 200
    sheet = load_workbook(stdio.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]][:3] == ["職員番号", "役割", "組織コード"]
    assert sheet.max_row == 1


# --- access matrix ---------------------------------------------------------------------------


API_SPECS = [
    AccessSpec(
        name="import_file",
        kind=API,
        method="POST",
        url=lambda t: _url("import_file", kind="people"),
        action=Action.MANAGE_PEOPLE,
        permitted={LEAD, ADMIN},
        # Another municipality's file names 都留市's unit: refused row by row, nothing saved.
        other=422,
        creates=Person,
    ),
    AccessSpec(
        name="get_import_job",
        kind=API,
        url=lambda t: _url("get_import_job", job_id=_job(t).pk),
        action=Action.MANAGE_PEOPLE,
        permitted={LEAD, ADMIN},
        hidden={STAFF, access.SERVICE},
    ),
    AccessSpec(
        name="export_file",
        kind=API,
        url=lambda t: _url("export_file", kind="people"),
        action=Action.VIEW_PEOPLE,
        permitted={STAFF, LEAD, ADMIN},
        other=None,
    ),
    AccessSpec(
        name="export_template",
        kind=API,
        url=lambda t: _url("export_template", kind="people"),
        action=Action.MANAGE_PEOPLE,
        permitted={LEAD, ADMIN},
        other=None,
    ),
]


def _job(t):  # type: ignore[no-untyped-def]
    job, _created = ImportJob.objects.get_or_create(
        municipality=t.municipality,
        kind=ImportJob.Kind.PERSON,
        filename="people.csv",
        defaults={"status": ImportJob.Status.DONE, "rows_total": 3000, "created": 3000},
    )
    return job


@pytest.fixture
def world(tsuru, kofu):
    return access.make_world(tsuru, kofu)


@pytest.mark.parametrize(("spec", "case"), access.cases(API_SPECS))
def test_api_access(spec, case, world, client, monkeypatch):
    if spec.name == "import_file":
        # The access runner posts JSON; the import takes a multipart file.
        monkeypatch.setattr(access, "request", _multipart_request)
    access.check(client, world, spec, case)


def _multipart_request(client, world, spec, user, t):  # type: ignore[no-untyped-def]
    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.token(user)}"
    return client.post(spec.url(t), {"file": person_file(t, "ACC0001")}, **headers)


def test_every_io_api_operation_has_an_access_spec():
    from isms.core.io_api import router

    assert access.operation_names(router) == {s.name for s in API_SPECS}
