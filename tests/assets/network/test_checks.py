"""Running a check: the engine on an uploaded network, the report stored, violations matched to
the register's assets, exceptions from the register, and bad input as a clear message."""

from __future__ import annotations

import datetime
from unittest import mock

import pytest
from django.utils import timezone

from isms.assets.models import NetworkCheck, NetworkViolation
from isms.assets.network import checks, services
from isms.core.models import JournalEntry
from isms.core.roles import Role
from tests.support.factories import make_user

from .support import DEMO, approved_exception, demo_assets, upload_demo


def test_the_demo_network_has_one_violation_reaching_the_document_server(tsuru):
    # given
    world = demo_assets(tsuru)
    # when
    check = upload_demo(tsuru, tsuru.lead)
    # then
    assert check.status == NetworkCheck.Status.DONE
    assert check.compliant is False and check.violation_count == 1
    v = check.violations.get()
    assert (v.source_zone, v.destination_zone) == ("inet-vdi", "lgwan-servers")
    assert (v.source_segment, v.destination_segment, v.rule) == (
        "internet",
        "lgwan",
        "crossing_only",
    )
    assert v.flows["destinations"] == ["10.20.1.10/32"] and v.flows["ports"] == ["443"]
    assert set(v.assets.all()) == {world.bunsho, world.vbrowser}
    rules = [(r["file"], r["line"]) for hop in v.path for r in hop["rules"]]
    assert rules == [("fw-edge.conf", 91), ("fw-core.rules", 9)]
    assert "保守" in v.path[1]["rules"][0]["text"]
    assert "inet-vdi" in check.report_text_ja and "違反" in check.report_text_ja
    assert check.report["compliant"] is False
    assert JournalEntry.objects.filter(action="network.check_done").count() == 1


def test_the_flows_of_an_approved_exception_pass_and_it_is_listed_as_used(tsuru):
    # given
    demo_assets(tsuru)
    ciso = make_user(tsuru.municipality, "ciso-n", roles=(Role.CISO,))
    exception = approved_exception(tsuru, tsuru.lead, ciso)
    # when
    check = upload_demo(tsuru, tsuru.lead)
    # then
    assert check.status == "done" and check.compliant is True and check.violation_count == 0
    assert check.exceptions_applied == [exception.number]
    assert [(e["id"], e["used"]) for e in check.report["exceptions"]] == [(exception.number, True)]


def test_the_models_own_exceptions_are_replaced_by_the_register(tsuru):
    # given: the model approves the planted flow itself; the register does not
    text = (DEMO / "model.yaml").read_text("utf-8") + (
        "exceptions:\n  - {id: EX-OWN, source: [172.16.8.0/24], destination: [10.20.1.10/32],"
        " services: [{protocol: tcp, ports: [443]}], reason: x, approver: y, expires: 2099-01-01}\n"
    )
    # when
    check = upload_demo(tsuru, tsuru.lead, **{"model.yaml": text.encode()})
    # then
    assert check.compliant is False and check.report["exceptions"] == []


def test_an_expired_or_requested_exception_is_not_applied(tsuru):
    # given
    ciso = make_user(tsuru.municipality, "ciso-n", roles=(Role.CISO,))
    approved = approved_exception(tsuru, tsuru.lead, ciso)
    approved.expires = timezone.localdate() - datetime.timedelta(days=1)
    approved.save()
    services.request_exception(
        tsuru.lead,
        tsuru.municipality,
        sources="172.16.8.0/24",
        destinations="10.20.1.10",
        services="tcp/443",
        reason="保守",
        expires=timezone.localdate() + datetime.timedelta(days=5),
    )
    # when
    check = upload_demo(tsuru, tsuru.lead)
    # then
    assert check.compliant is False and check.exceptions_applied == []


def test_a_broken_configuration_makes_the_check_invalid_with_file_and_line(tsuru):
    # given
    bad = b"*filter\n:FORWARD DROP [0:0]\n-A FORWARD -m recent --rcheck -j DROP\nCOMMIT\n"
    # when
    check = upload_demo(tsuru, tsuru.lead, **{"fw-core.rules": bad})
    # then
    assert check.status == NetworkCheck.Status.INVALID
    assert check.error_en.startswith("fw-core.rules:3:") and "hint" in check.error_en
    assert "fw-core.rules:3:" in check.error_ja and "修正方法" in check.error_ja
    assert str(tsuru.municipality.pk) + "/" not in check.error_en
    assert not NetworkViolation.objects.exists()
    assert JournalEntry.objects.filter(action="network.check_invalid").count() == 1


def test_a_bad_model_names_the_field_without_the_servers_path(tsuru, settings):
    # given
    bad = (DEMO / "model.yaml").read_bytes().replace(b"[10.20.0.0/16]", b"[10.20.0.1/16]")
    # when
    check = upload_demo(tsuru, tsuru.lead, **{"model.yaml": bad})
    # then
    assert check.status == "invalid"
    assert "zones[4].prefixes[0]" in check.error_en and "10.20.0.1/16" in check.error_en
    assert str(settings.DATA_DIR) not in check.error_en + check.error_ja


def test_a_model_naming_a_file_outside_the_upload_is_invalid(tsuru, settings):
    # given
    secret = settings.DATA_DIR / "secret.rules"
    secret.write_text("*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n")
    model = (
        (DEMO / "model.yaml")
        .read_text("utf-8")
        .replace("file: fw-core.rules", "file: ../../../secret.rules")
    )
    # when
    check = upload_demo(tsuru, tsuru.lead, **{"model.yaml": model.encode()})
    # then
    assert check.status == "invalid"
    assert "outside" in check.error_en


def test_an_unexpected_error_fails_the_check_with_a_sentence(tsuru):
    # when
    with mock.patch.object(checks, "verify", side_effect=RuntimeError("boom")):
        check = upload_demo(tsuru, tsuru.lead)
    # then
    assert check.status == NetworkCheck.Status.FAILED
    assert "unexpected error" in check.error_en and "boom" not in check.error_en
    assert check.error_ja and check.finished_at is not None


def test_a_check_is_run_once_and_a_dead_worker_is_noticed(tsuru):
    # given
    check = upload_demo(tsuru, tsuru.lead)
    # then: a second delivery of the task does nothing
    assert checks.run(check.pk) is None
    # given: a check left running by a worker that vanished
    NetworkCheck.objects.filter(pk=check.pk).update(
        status="running", started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    check.refresh_from_db()
    # when
    refreshed = checks.refresh(check)
    # then
    assert refreshed.status == "failed" and "worker" in refreshed.error_en


def test_running_again_and_comparing_two_checks(tsuru):
    # given
    first = upload_demo(tsuru, tsuru.lead)
    ciso = make_user(tsuru.municipality, "ciso-n", roles=(Role.CISO,))
    approved_exception(tsuru, tsuru.lead, ciso)
    # when
    second = services.request_check(tsuru.lead, first.snapshot)
    third = services.request_check(tsuru.lead, first.snapshot)
    # then
    gone = services.compare(first, second)
    assert (len(gone.new), len(gone.resolved), len(gone.unchanged)) == (0, 1, 0)
    back = services.compare(second, first)
    assert (len(back.new), len(back.resolved), len(back.unchanged)) == (1, 0, 0)
    same = services.compare(first, first)
    assert (len(same.new), len(same.resolved), len(same.unchanged)) == (0, 0, 1)
    assert third.compliant is True


def test_assets_are_matched_by_host_name_of_a_zone(tsuru):
    # given: an asset known only by a host name equal to the source zone's name
    from isms.assets import services as asset_services
    from tests.assets.factories import make_asset

    asset = make_asset(tsuru.municipality, tsuru.unit, name="VDI", kind="system_equipment")
    asset_services.add_host(None, asset, host_name="inet-vdi.tsuru.lg.jp")
    # when
    check = upload_demo(tsuru, tsuru.lead)
    # then
    assert asset in check.violations.get().assets.all()


def test_another_municipalitys_assets_are_never_matched(tsuru, kofu):
    # given
    theirs = demo_assets(kofu)
    # when
    check = upload_demo(tsuru, tsuru.lead)
    # then
    assert theirs.bunsho not in check.violations.get().assets.all()
    assert check.violations.get().assets.count() == 0


def test_running_a_check_needs_the_right(tsuru):
    # given
    check = upload_demo(tsuru, tsuru.lead)
    from django.core.exceptions import PermissionDenied

    # when / then
    with pytest.raises(PermissionDenied):
        services.request_check(tsuru.staff, check.snapshot)
    assert NetworkCheck.objects.count() == 1
