"""The network checks' API: the access matrix of every operation, and what they do."""

from __future__ import annotations

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from isms.assets.models import NetworkSnapshot, PolicyException
from isms.core import services as core_services
from isms.core.roles import Role
from tests.assets.network_specs import API_SPECS
from tests.support import access
from tests.support.access import operation_names
from tests.support.factories import make_user

from .support import PLANTED_FLOW, demo_assets, demo_zip, make_zip


@pytest.fixture
def world(tsuru, kofu):  # type: ignore[no-untyped-def]
    return access.make_world(tsuru, kofu)


def _multipart_request(client, world, spec, user, t):  # type: ignore[no-untyped-def]
    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.token(user)}"
    upload = SimpleUploadedFile("network.zip", demo_zip())
    return client.post(spec.url(t), {"files": upload, "name": "巡回"}, **headers)


@pytest.mark.parametrize(("spec", "case"), access.cases(API_SPECS))
def test_api_access(spec, case, world, client, monkeypatch):
    if spec.name == "upload_network_snapshot":
        monkeypatch.setattr(access, "request", _multipart_request)
    access.check(client, world, spec, case)


def test_every_network_operation_has_an_access_spec_and_a_route():
    from isms.assets.network.api import router
    from tests.support.routes import API_ROUTES

    names = operation_names(router)
    assert names == {s.name for s in API_SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)


class Api:
    def __init__(self, client, user):  # type: ignore[no-untyped-def]
        raw = core_services.issue_api_token(user, name="test")[1]
        self.client = client
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}", "HTTP_ACCEPT_LANGUAGE": "en"}

    def get(self, name, **kwargs):  # type: ignore[no-untyped-def]
        return self.client.get(reverse(f"api:{name}", kwargs=kwargs or None), **self.headers)

    def post(self, name, body=None, **kwargs):  # type: ignore[no-untyped-def]
        import json

        return self.client.post(
            reverse(f"api:{name}", kwargs=kwargs or None),
            json.dumps(body or {}),
            content_type="application/json",
            **self.headers,
        )

    def upload(self, files):  # type: ignore[no-untyped-def]
        return self.client.post(
            reverse("api:upload_network_snapshot"),
            {"files": [SimpleUploadedFile(n, d) for n, d in files], "name": "API"},
            **self.headers,
        )


def test_upload_check_exception_and_compliance_through_the_api(client, tsuru):
    # given
    world = demo_assets(tsuru)
    lead = Api(client, tsuru.lead)
    ciso = Api(client, make_user(tsuru.municipality, "ciso-a", roles=(Role.CISO,)))
    # when: upload
    uploaded = lead.upload([("network.zip", demo_zip())])
    # then
    assert uploaded.status_code == 201, uploaded.content
    first = uploaded.json()["check"]
    assert first["status"] == "done" and first["compliant"] is False
    detail = lead.get("get_network_check", check_id=first["id"]).json()
    (v,) = detail["violations"]
    assert world.bunsho.pk in v["asset_ids"]
    assert [r["line"] for hop in v["path"] for r in hop["rules"]] == [91, 9]
    # when: the exception is asked for and approved by another person
    expires = (timezone.localdate() + datetime.timedelta(days=60)).isoformat()
    asked = lead.post(
        "request_network_exception", PLANTED_FLOW | {"reason": "保守", "expires": expires}
    )
    assert asked.status_code == 201
    own = lead.post("approve_network_exception", {}, exception_id=asked.json()["id"])
    assert own.status_code == 422 and "兼務の禁止" in str(own.json())
    approved = ciso.post("approve_network_exception", {}, exception_id=asked.json()["id"])
    assert approved.json()["status"] == "approved"
    # when: run again
    snapshot_id = uploaded.json()["snapshot"]["id"]
    again = lead.post("run_network_check", snapshot_id=snapshot_id)
    # then
    assert again.status_code == 202 and again.json()["compliant"] is True
    assert again.json()["exceptions_applied"] == [asked.json()["number"]]
    compared = lead.get("compare_network_checks", check_id=first["id"], other_id=again.json()["id"])
    assert len(compared.json()["resolved"]) == 1 and compared.json()["new"] == []
    inventory = lead.get("network_inventory").json()
    assert inventory["check_id"] == again.json()["id"] and inventory["findings"] == []


def test_a_malicious_upload_is_a_422_on_files_and_saves_nothing(client, tsuru):
    lead = Api(client, tsuru.lead)
    response = lead.upload([("n.zip", make_zip([("/etc/passwd", b"x")]))])
    assert response.status_code == 422
    assert "absolute path" in response.json()["errors"]["files"][0]
    assert not NetworkSnapshot.objects.exists()


def test_a_bad_exception_is_a_422_by_field(client, tsuru):
    lead = Api(client, tsuru.lead)
    response = lead.post(
        "request_network_exception",
        {
            "sources": "0.0.0.0/0",
            "destinations": "10.20.1.10",
            "services": "tcp/443",
            "reason": "r",
            "expires": "2000-01-01",
        },
    )
    assert response.status_code == 422
    assert set(response.json()["errors"]) == {"sources", "expires"}
    assert not PolicyException.objects.exists()


def test_another_municipality_sees_none_of_it(client, tsuru, kofu):
    Api(client, tsuru.lead).upload([("network.zip", demo_zip())])
    theirs = Api(client, kofu.lead)
    assert theirs.get("list_network_checks").json() == []
    assert theirs.get("list_network_snapshots").json() == []
    snapshot = NetworkSnapshot.objects.get()
    assert theirs.post("run_network_check", snapshot_id=snapshot.pk).status_code == 404


def test_an_api_upload_too_large_is_a_422(client, tsuru, monkeypatch):
    from isms.assets.network import uploads

    monkeypatch.setattr(uploads, "MAX_TOTAL_BYTES", 1000)
    response = Api(client, tsuru.lead).upload([("network.zip", demo_zip())])
    assert response.status_code == 422 and list(response.json()["errors"]) == ["files"]
    assert not NetworkSnapshot.objects.exists()
