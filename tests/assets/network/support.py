"""Builders of the network checks' tests: the demo network (folder, files, zip) and a world
with assets at the demo network's addresses, a checked snapshot and an exception."""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from isms.assets import services as asset_services
from isms.assets.models import InformationAsset, NetworkCheck, NetworkSnapshot, PolicyException
from isms.assets.network import services
from isms.core.models import User
from tests.assets.factories import make_asset
from tests.support.factories import Tenant

DEMO = Path(str(resources.files("isms.data").joinpath("tsuru", "network")))
PLANTED_FLOW = {"sources": "172.16.8.0/24", "destinations": "10.20.1.10", "services": "tcp/443"}


def demo_files(**replace: bytes) -> list[tuple[str, bytes]]:
    """The demo network's files as uploaded one by one (``replace``: name → other content)."""
    files = {p.name: p.read_bytes() for p in sorted(DEMO.iterdir()) if p.is_file()}
    files.update(replace)
    return list(files.items())


def make_zip(entries: list[tuple[str, bytes]], *, folder: str = "") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries:
            archive.writestr(f"{folder}{name}", data)
    return buffer.getvalue()


def demo_zip(**replace: bytes) -> bytes:
    """The demo network as the zip of its folder (the folder's name inside, as zip tools do)."""
    return make_zip(demo_files(**replace), folder="network/")


@dataclass
class NetworkWorld:
    bunsho: InformationAsset  # 文書管理システム, LGWAN 10.20.1.10 (the planted violation's target)
    vbrowser: InformationAsset  # 仮想ブラウザ基盤, internet 172.16.8.0/24 (its source)
    juki: InformationAsset  # 住民基本台帳システム, mynumber 10.10.1.0/28, MFA and block confirmed


def demo_assets(t: Tenant) -> NetworkWorld:
    """Assets of ``t`` at the demo network's addresses."""
    m = t.municipality

    def system(name: str, segment: str, host: str, network: str) -> InformationAsset:
        asset = make_asset(
            m, t.unit, name=name, kind=InformationAsset.Kind.SYSTEM_EQUIPMENT, segment=segment
        )
        asset_services.add_host(None, asset, host_name=host, network=network)
        return asset

    juki = system("住民基本台帳システム", "mynumber", "juki-ap01", "10.10.1.0/28")
    asset_services.confirm_mfa(None, juki)
    asset_services.confirm_export_blocked(None, juki)
    return NetworkWorld(
        bunsho=system("文書管理システム", "lgwan", "bunsho-sv01", "10.20.1.10"),
        vbrowser=system("仮想ブラウザ基盤", "internet", "vbrowser", "172.16.8.0/24"),
        juki=juki,
    )


def upload_demo(t: Tenant, actor: User | None = None, **replace: bytes) -> NetworkCheck:
    """Upload the demo network for ``t`` and return its (finished) first check."""
    _snapshot, check = services.upload_snapshot(
        actor, t.municipality, name="デモ", uploaded=[("network.zip", demo_zip(**replace))]
    )
    assert check is not None
    return check


def approved_exception(t: Tenant, requester: User, approver: User, **flow: Any) -> PolicyException:
    import datetime

    from django.utils import timezone

    exception = services.request_exception(
        requester,
        t.municipality,
        reason="文書管理サーバの保守",
        expires=timezone.localdate() + datetime.timedelta(days=90),
        **(PLANTED_FLOW | flow),
    )
    return services.approve_exception(approver, exception)


@dataclass
class AccessWorld:
    snapshot: NetworkSnapshot
    check: NetworkCheck
    exception: PolicyException  # requested by ``t.admin``, awaiting a decision


def access_world(t: Any) -> AccessWorld:
    """What the access matrix addresses in ``t``'s municipality (made once)."""
    existing = NetworkCheck.objects.filter(municipality=t.municipality).first()
    if existing is None:
        upload_demo(t)
        import datetime

        from django.utils import timezone

        services.request_exception(
            t.admin,
            t.municipality,
            reason="保守",
            expires=timezone.localdate() + datetime.timedelta(days=30),
            **PLANTED_FLOW,
        )
        existing = NetworkCheck.objects.get(municipality=t.municipality)
    return AccessWorld(
        snapshot=existing.snapshot,
        check=existing,
        exception=PolicyException.objects.get(municipality=t.municipality),
    )
