"""Access specs of the network checks' pages (``SPECS``, run in tests/test_web_access.py) and API
(``API_SPECS``, run in tests/assets/network/test_api.py).

From ``core/permissions.py``: the lead security officer (LEAD) and the municipality's
administrator (ADMIN) see the checks, run them and ask for 例外措置; only role holders approve
(LEAD, never ADMIN); a plain member of staff (STAFF) and a service administrator without the
municipality's grant (SERVICE) get nothing. The records addressed are built by ``target`` (run
before the runner takes its state): the demo network uploaded and checked, and an exception
asked for by the administrator.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from isms.assets.models import NetworkCheck, NetworkSnapshot, PolicyException
from isms.core.permissions import Action
from tests.support.access import ADMIN, API, LEAD, WEB, AccessSpec

SEE = {LEAD, ADMIN}
RUN = {LEAD, ADMIN}
REQUEST = {LEAD, ADMIN}
APPROVE = {LEAD}


def _world(t: Any) -> Any:
    from tests.assets.network.support import access_world

    return access_world(t)


def _snapshot(t: Any) -> NetworkSnapshot:
    return _world(t).snapshot


def _check(t: Any) -> NetworkCheck:
    return _world(t).check


def _exception(t: Any) -> PolicyException:
    return _world(t).exception


def _zip(t: Any) -> dict[str, Any]:
    from tests.assets.network.support import demo_zip

    return {"name": "巡回", "files": SimpleUploadedFile("network.zip", demo_zip())}


def _exception_form(t: Any) -> dict[str, Any]:
    return {
        "sources": "172.16.8.0/24",
        "destinations": "10.20.1.10",
        "services": "tcp/443",
        "reason": "巡回",
        "expires": _in_days(30),
    }


def _in_days(days: int) -> str:
    import datetime

    from django.utils import timezone

    return (timezone.localdate() + datetime.timedelta(days=days)).isoformat()


def _u(name: str, **kwargs: Any) -> str:
    return reverse(f"assets:network:{name}", kwargs=kwargs or None)


def _page(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    return AccessSpec(
        name=f"assets:network:{name}", kind=WEB, action=action, permitted=permitted, **more
    )


SPECS: list[AccessSpec] = [
    _page("overview", Action.VIEW_NETWORK_CHECKS, SEE, url=lambda t: _u("overview"), other=None),
    _page(
        "upload",
        Action.RUN_NETWORK_CHECKS,
        RUN,
        method="POST",
        url=lambda t: _u("upload"),
        data=_zip,
        ok=302,
        other=None,
        creates=NetworkSnapshot,
    ),
    _page(
        "run_check",
        Action.RUN_NETWORK_CHECKS,
        RUN,
        method="POST",
        url=lambda t: _u("run_check", pk=_snapshot(t).pk),
        ok=302,
        target=_snapshot,
        creates=NetworkCheck,
    ),
    _page(
        "check_detail",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _u("check_detail", pk=_check(t).pk),
        target=_check,
    ),
    _page(
        "check_report",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _u("check_report", pk=_check(t).pk),
        target=_check,
    ),
    _page(
        "compare",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _u("compare", pk=_check(t).pk, other=_check(t).pk),
        target=_check,
    ),
    _page("history", Action.VIEW_NETWORK_CHECKS, SEE, url=lambda t: _u("history"), other=None),
    _page(
        "exceptions", Action.VIEW_NETWORK_CHECKS, SEE, url=lambda t: _u("exceptions"), other=None
    ),
    _page(
        "exceptions",
        Action.MANAGE_NETWORK_EXCEPTIONS,
        REQUEST,
        method="POST",
        url=lambda t: _u("exceptions"),
        data=_exception_form,
        ok=302,
        other=None,
        creates=PolicyException,
    ),
    _page(
        "exception_approve",
        Action.APPROVE_NETWORK_EXCEPTIONS,
        APPROVE,
        method="POST",
        url=lambda t: _u("exception_approve", pk=_exception(t).pk),
        ok=302,
        target=_exception,
    ),
    _page(
        "exception_reject",
        Action.APPROVE_NETWORK_EXCEPTIONS,
        APPROVE,
        method="POST",
        url=lambda t: _u("exception_reject", pk=_exception(t).pk),
        data=lambda t: {"note": "代替手段あり"},
        ok=302,
        target=_exception,
    ),
    _page(
        "exception_withdraw",
        Action.MANAGE_NETWORK_EXCEPTIONS,
        REQUEST,
        method="POST",
        url=lambda t: _u("exception_withdraw", pk=_exception(t).pk),
        ok=302,
        target=_exception,
    ),
    _page("inventory", Action.VIEW_NETWORK_CHECKS, SEE, url=lambda t: _u("inventory"), other=None),
]


def _api(name: str, **kwargs: Any) -> str:
    return reverse(f"api:{name}", kwargs=kwargs or None)


def _op(name: str, action: Action, permitted: set[Any], **more: Any) -> AccessSpec:
    return AccessSpec(name=name, kind=API, action=action, permitted=permitted, **more)


API_SPECS: list[AccessSpec] = [
    _op(
        "list_network_snapshots",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _api("list_network_snapshots"),
        other=None,
        target=_snapshot,
    ),
    # posted as multipart by tests/assets/network/test_api.py
    _op(
        "upload_network_snapshot",
        Action.RUN_NETWORK_CHECKS,
        RUN,
        method="POST",
        url=lambda t: _api("upload_network_snapshot"),
        ok=201,
        other=None,
        creates=NetworkSnapshot,
    ),
    _op(
        "run_network_check",
        Action.RUN_NETWORK_CHECKS,
        RUN,
        method="POST",
        url=lambda t: _api("run_network_check", snapshot_id=_snapshot(t).pk),
        ok=202,
        target=_snapshot,
        creates=NetworkCheck,
    ),
    _op(
        "list_network_checks",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _api("list_network_checks"),
        other=None,
        target=_check,
    ),
    _op(
        "get_network_check",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _api("get_network_check", check_id=_check(t).pk),
        target=_check,
    ),
    _op(
        "compare_network_checks",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _api("compare_network_checks", check_id=_check(t).pk, other_id=_check(t).pk),
        target=_check,
    ),
    _op(
        "list_network_exceptions",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _api("list_network_exceptions"),
        other=None,
        target=_exception,
    ),
    _op(
        "request_network_exception",
        Action.MANAGE_NETWORK_EXCEPTIONS,
        REQUEST,
        method="POST",
        url=lambda t: _api("request_network_exception"),
        data=lambda t: _exception_form(t) | {"municipality_id": t.municipality.pk},
        ok=201,
        other=422,
        other_field="municipality_id",
        creates=PolicyException,
    ),
    _op(
        "approve_network_exception",
        Action.APPROVE_NETWORK_EXCEPTIONS,
        APPROVE,
        method="POST",
        url=lambda t: _api("approve_network_exception", exception_id=_exception(t).pk),
        data=lambda t: {"note": "承認"},
        target=_exception,
    ),
    _op(
        "reject_network_exception",
        Action.APPROVE_NETWORK_EXCEPTIONS,
        APPROVE,
        method="POST",
        url=lambda t: _api("reject_network_exception", exception_id=_exception(t).pk),
        data=lambda t: {"note": "代替手段あり"},
        target=_exception,
    ),
    _op(
        "withdraw_network_exception",
        Action.MANAGE_NETWORK_EXCEPTIONS,
        REQUEST,
        method="POST",
        url=lambda t: _api("withdraw_network_exception", exception_id=_exception(t).pk),
        target=_exception,
    ),
    _op(
        "network_inventory",
        Action.VIEW_NETWORK_CHECKS,
        SEE,
        url=lambda t: _api("network_inventory"),
        other=None,
    ),
]
