"""The control catalog's API: the access matrix of every operation (the pages' specs run in
tests/test_web_access.py), and that every operation has a spec and a route."""

from __future__ import annotations

from typing import Any

import pytest

from tests.policy.catalog_specs import API_SPECS, catalog_file
from tests.support import access


@pytest.fixture
def world(tsuru, kofu):  # type: ignore[no-untyped-def]
    return access.make_world(tsuru, kofu)


def _multipart_request(client, world, spec, user, t) -> Any:  # type: ignore[no-untyped-def]
    headers = {}
    if user is not None:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {world.token(user)}"
    return client.post(spec.url(t), {"file": catalog_file(t)}, **headers)


@pytest.mark.parametrize(("spec", "case"), access.cases(API_SPECS))
def test_api_access(spec, case, world, client, monkeypatch):  # type: ignore[no-untyped-def]
    if spec.name == "import_standard":
        # The access runner posts JSON; the import takes a multipart file.
        monkeypatch.setattr(access, "request", _multipart_request)
    access.check(client, world, spec, case)


def test_every_catalog_api_operation_has_an_access_spec_and_a_route() -> None:
    from isms.policy.catalog_api import router
    from tests.support.routes import API_ROUTES

    names = access.operation_names(router)
    assert names == {s.name for s in API_SPECS}
    assert {f"api:{n}" for n in names} <= set(API_ROUTES)
