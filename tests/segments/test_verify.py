"""verify(): known answers on the Batfish iptables network and on the planted-violation network."""

from __future__ import annotations

import dataclasses
import datetime

import pytest

from isms.segments import (
    ModelError,
    Policy,
    SegmentsError,
    SeparationModel,
    load_model,
    load_model_text,
    report_text,
    verify,
)

from .conftest import DATA, PLANTED

BATFISH_MODEL = DATA / "batfish-iptables-firewall.yaml"


def _lines(violation):
    return [
        (hop.device, [(r.source.split("/")[-1], r.line) for r in hop.rules if not r.policy])
        for hop in violation.path
    ]


def test_batfish_iptables_network_known_answers(today):
    """What the firewall rules of the Batfish network let through, class by class.

    z1-firewall accepts (mangle PREROUTING) zone1's and zone2's prefixes only; z2-firewall also
    accepts anything *from* tcp source port 80 or 443 of the Internet host — a classic
    source-port hole. With zone1 = mynumber, zone2 = lgwan and the host = external (α policy),
    the Internet reaches zone2 through exactly those two lines and never reaches zone1.
    """
    report = verify(BATFISH_MODEL, today=today)
    summary = sorted(
        (v.source_zone, v.destination_zone, v.flows.protocols, v.flows.source_ports, str(_lines(v)))
        for v in report.violations
    )
    assert report.compliant is False
    assert summary == [
        (
            "internet-host",
            "zone2",
            ("tcp",),
            ("443",),
            str(
                [
                    ("r3", []),
                    ("r2", []),
                    ("z2-firewall", [("z2-firewall.v4", 15), ("z2-firewall.v4", 9)]),
                ]
            ),
        ),
        (
            "internet-host",
            "zone2",
            ("tcp",),
            ("80",),
            str(
                [
                    ("r3", []),
                    ("r2", []),
                    ("z2-firewall", [("z2-firewall.v4", 14), ("z2-firewall.v4", 9)]),
                ]
            ),
        ),
        (
            "zone1",
            "internet-host",
            ("any",),
            ("any",),
            str([("z1-firewall", [("z1-firewall.v4", 10)]), ("r1", []), ("r3", [])]),
        ),
        (
            "zone1",
            "zone2",
            ("any",),
            ("any",),
            str(
                [
                    ("z1-firewall", [("z1-firewall.v4", 10)]),
                    ("r1", []),
                    ("r2", []),
                    ("z2-firewall", [("z2-firewall.v4", 11), ("z2-firewall.v4", 9)]),
                ]
            ),
        ),
        (
            "zone2",
            "internet-host",
            ("any",),
            ("any",),
            str(
                [
                    ("z2-firewall", [("z2-firewall.v4", 12), ("z2-firewall.v4", 9)]),
                    ("r2", []),
                    ("r3", []),
                ]
            ),
        ),
        (
            "zone2",
            "zone1",
            ("any",),
            ("any",),
            str(
                [
                    ("z2-firewall", [("z2-firewall.v4", 12), ("z2-firewall.v4", 9)]),
                    ("r2", []),
                    ("r1", []),
                    ("z1-firewall", [("z1-firewall.v4", 9)]),
                ]
            ),
        ),
    ]
    hole = next(v for v in report.violations if v.flows.source_ports == ("80",))
    assert (hole.flows.sources, hole.flows.destinations, hole.flows.ports) == (
        ("10.0.8.10/32",),
        ("10.0.4.0/24 except 10.0.4.1",),
        ("any",),
    )
    verdicts = {
        (p.source_segment, p.destination_segment): (p.compliant, p.reachable) for p in report.pairs
    }
    assert verdicts[("external", "mynumber")] == (True, False)
    assert [k for k, (ok, _) in verdicts.items() if ok] == [("external", "mynumber")]


def test_batfish_network_redundant_postrouting_accept(today):
    """'-A POSTROUTING -j ACCEPT' in a chain whose policy is ACCEPT changes nothing."""
    report = verify(BATFISH_MODEL, today=today)
    assert [(f.kind, f.rule.device, f.rule.line) for f in report.rule_findings] == [
        ("redundant", "z2-firewall", 9)
    ]


@pytest.mark.parametrize("model", ["model.yaml", "model-nft.yaml"])
def test_planted_violation_two_firewalls_deep_through_nat_is_found_with_both_rule_lines(
    model, today
):
    """The Internet reaches an LGWAN server via fw-edge's DNAT and accept, then fw-core's accept.

    Both firewalls' rule lines are named, with the NAT rule, for the iptables-save and the
    nftables JSON versions of the same network.
    """
    report = verify(PLANTED / model, today=today)
    natted = [v for v in report.violations if v.nat_applied]
    assert report.compliant is False
    assert sorted((v.source_zone, v.destination_zone) for v in natted) == [
        ("external", "lgwan-office"),
        ("sc-proxy", "lgwan-office"),
    ]
    violation = next(v for v in natted if v.source_zone == "external")
    assert (violation.flows.original_destinations, violation.flows.destinations) == (
        ("203.0.113.10/32",),
        ("10.20.0.50/32",),
    )
    assert (violation.flows.original_ports, violation.flows.ports, violation.flows.protocols) == (
        ("8443",),
        ("443",),
        ("tcp",),
    )
    edge, core = violation.path
    assert (edge.device, edge.in_interface, edge.out_interface) == ("fw-edge", "eth0", "eth2")
    assert (core.device, core.in_interface, core.out_interface) == ("fw-core", "eth0", "eth1")
    edge_rules = [r for r in edge.rules if not r.policy]
    core_rules = [r for r in core.rules if not r.policy]
    if model == "model.yaml":
        assert [(r.source, r.line) for r in edge_rules] == [
            ("fw-edge.rules", 7),
            ("fw-edge.rules", 20),
        ]
        assert [(r.source, r.line) for r in core_rules] == [("fw-core.rules", 10)]
        assert core_rules[0].text.endswith('--comment "maintenance" -j ACCEPT')
    else:
        assert [r.text for r in edge_rules] == [
            "meta iifname eth0 ip daddr 203.0.113.10 tcp dport 8443 dnat to 10.20.0.50 :443",
            "meta iifname eth0 meta oifname eth2 ip daddr 10.20.0.50 tcp dport 443 accept",
        ]
        assert [r.text for r in core_rules] == [
            "meta iifname eth0 meta oifname eth1 ip daddr 10.20.0.50 tcp dport 443 counter accept"
        ]
    assert [(n.device, n.kind, n.to) for n in edge.nat] == [
        ("fw-edge", "dnat", "10.20.0.50 port 443")
    ]
    # Everything else is proved: the only broken cell is external → lgwan.
    broken = [(p.source_segment, p.destination_segment) for p in report.pairs if not p.compliant]
    assert broken == [("external", "lgwan")]


def test_both_rule_set_formats_give_the_same_verdicts(today):
    """The iptables-save and nftables JSON versions of the planted network agree pair by pair."""
    a = verify(PLANTED / "model.yaml", today=today)
    b = verify(PLANTED / "model-nft.yaml", today=today)
    assert [dataclasses.astuple(p) for p in a.pairs] == [dataclasses.astuple(p) for p in b.pairs]
    assert sorted(dataclasses.astuple(v.flows) for v in a.violations) == sorted(
        dataclasses.astuple(v.flows) for v in b.violations
    )


def test_crossing_points_security_cloud_and_exceptions_make_their_flows_compliant(today):
    """Sanitizer mail, screen transfer, cloud proxy and an approved exception are not violations."""
    report = verify(PLANTED / "model.yaml", today=today)
    pairs = {(p.source_segment, p.destination_segment): p for p in report.pairs}
    assert (pairs[("internet", "lgwan")].compliant, pairs[("internet", "lgwan")].reachable) == (
        True,
        True,
    )
    assert (pairs[("lgwan", "internet")].compliant, pairs[("lgwan", "internet")].reachable) == (
        True,
        True,
    )
    assert (
        pairs[("internet", "external")].compliant,
        pairs[("internet", "external")].reachable,
    ) == (True, True)
    assert pairs[("mynumber", "lgwan")].via_exceptions == ("EX-2025-001",)
    statuses = [(e.id, e.expired, e.used) for e in report.exceptions]
    assert statuses == [
        ("EX-2025-001", False, True),
        ("EX-2025-002", False, False),
        ("EX-2023-007", True, False),
    ]


def test_an_expired_exception_no_longer_covers_its_flow():
    """After EX-2025-001 expires, the mynumber → lgwan flow it covered is a violation."""
    report = verify(PLANTED / "model.yaml", today=datetime.date(2026, 4, 1))
    mynumber = [v for v in report.violations if v.source_segment == "mynumber"]
    assert [
        (v.destination_zone, v.flows.sources, v.flows.destinations, v.flows.ports) for v in mynumber
    ] == [("lgwan-office", ("10.30.0.10/32",), ("10.20.0.30/32",), ("443",))]
    assert [(r.source, r.line) for r in mynumber[0].path[0].rules] == [("fw-core.rules", 9)]
    assert next(e for e in report.exceptions if e.id == "EX-2025-001").expired is True


def test_planted_network_rule_findings(today):
    """The late DROP is shadowed by the planted ACCEPT; no eth3; final DROPs are redundant."""
    report = verify(PLANTED / "model.yaml", today=today)
    found = [
        (f.kind, f.rule.device, f.rule.line, [b.line for b in f.by]) for f in report.rule_findings
    ]
    assert found == [
        ("shadowed", "fw-edge", 21, [20]),
        ("redundant", "fw-edge", 23, []),
        ("redundant", "fw-edge", 26, []),
        ("unmatchable", "fw-core", 11, []),
        ("redundant", "fw-core", 12, []),
    ]
    assert [(i.device, i.lines, i.reason) for i in report.ignored] == [
        ("fw-edge", (22,), "LOG: logging")
    ]


def test_a_policy_given_to_verify_overrides_the_model(today):
    """α′ allows LGWAN → registered cloud services; with none registered, nothing changes."""
    model = load_model(PLANTED / "model.yaml")
    report = verify(model, today=today, policy=Policy(SeparationModel.ALPHA_PRIME))
    assert report.policy_model == "alpha_prime"
    cell = next(
        p
        for p in report.pairs
        if (p.source_segment, p.destination_segment) == ("lgwan", "external")
    )
    assert (cell.rule, cell.compliant) == ("cloud_services_only", True)


def test_assumptions_are_stated_in_every_report(today):
    """The report carries the assumptions it proved under."""
    report = verify(PLANTED / "model.yaml", today=today)
    assert report.assumptions == (
        "connection_state=new",
        "spoofing=none",
        "device_traffic=out_of_scope",
        "ip=ipv4",
        "routes=static",
        "tcp_flags=first_packet",
        "nat_range=any_address",
    )
    assert report.backend == "dd.cudd"


def test_a_parsers_readings_of_a_configuration_reach_the_report(today):
    """PAN-OS application rules are read by their ports: the report says so, per device."""
    report = verify(DATA / "panos" / "lab-app-override.yaml", today=today)
    assert report.readings
    assert {r.device for r in report.readings} == {"fw"}
    assert any("application" in r.text for r in report.readings)
    text = report_text(report, "en")
    assert "How the configurations were read" in text
    assert f"  - fw: {report.readings[0].text}" in text
    assert "設定の読み方" in report_text(report, "ja")
    # a rule-only format makes no readings, and the report says nothing of them
    planted = verify(PLANTED / "model.yaml", today=today)
    assert planted.readings == ()
    assert "How the configurations were read" not in report_text(planted, "en")


def test_allowing_any_connection_state_reveals_the_established_rules(today):
    """With connection_state=any, 'ESTABLISHED,RELATED -j ACCEPT' lets replies cross every pair."""
    from isms.segments import Assumptions

    report = verify(
        PLANTED / "model.yaml", today=today, assumptions=Assumptions(connection_state="any")
    )
    assert report.assumptions[0] == "connection_state=any"
    broken = {(p.source_segment, p.destination_segment) for p in report.pairs if not p.compliant}
    assert ("external", "mynumber") in broken
    assert ("mynumber", "external") in broken


def test_the_batfish_model_matches_the_snapshot_it_was_written_from():
    """Interfaces of the YAML model are those of Batfish's hosts/*.json and configs/*.cfg."""
    import json
    import re

    from .conftest import BATFISH

    network = BATFISH / "networks" / "iptables-firewall"
    expected: dict[str, dict[str, str]] = {}
    for path in (network / "configs").glob("*.cfg"):
        text = path.read_text()
        expected[path.stem] = dict(re.findall(r"interface (\S+)\n\s+ip address (\S+)", text))
    for path in (network / "hosts").glob("*.json"):
        host = json.loads(path.read_text())
        if host.get("iptablesFile") and host["hostname"].endswith("firewall"):
            interfaces = {name: spec["prefix"] for name, spec in host["hostInterfaces"].items()}
            assert interfaces == expected[host["hostname"]]
    model = load_model(BATFISH_MODEL)
    from isms.segments.addresses import format_address

    actual = {
        d.name: {i.name: f"{format_address(i.address)}/{i.prefix_length}" for i in d.interfaces}
        for d in model.devices
    }
    assert actual == expected
    files = {d.name: d.ruleset.path.split("/")[-1] for d in model.devices if d.ruleset}
    hosts = {
        json.loads(p.read_text())["hostname"]: json.loads(p.read_text()).get("iptablesFile", "")
        for p in (network / "hosts").glob("*.json")
    }
    assert files == {name: hosts[name].split("/")[-1] for name in files}


def _confined_model(tmp_path, file: str):
    """The planted model written into ``tmp_path/model`` with fw-edge's rule set at ``file``."""
    folder = tmp_path / "model"
    folder.mkdir()
    for name in ("fw-edge.rules", "fw-core.rules"):
        (folder / name).write_text((PLANTED / name).read_text())
    text = (PLANTED / "model.yaml").read_text().replace("file: fw-edge.rules", f"file: {file}")
    assert f"file: {file}" in text
    # as the web app loads an upload: the source is named by its name in the upload
    model = load_model_text(text, source="model.yaml", base_dir=str(folder))
    return dataclasses.replace(model, confined=True)


@pytest.mark.parametrize("file", ["../outside.rules", "/etc/hostname", "sub/../../outside.rules"])
def test_a_confined_model_reads_no_file_outside_its_folder(tmp_path, today, file):
    """An uploaded model may not name files outside its folder: refused with the JSON path,
    and the message does not show the server's folders."""
    (tmp_path / "outside.rules").write_text((PLANTED / "fw-edge.rules").read_text())
    model = _confined_model(tmp_path, file)
    with pytest.raises(ModelError) as caught:
        verify(model, today=today)
    assert caught.value.path == "devices[0].ruleset.file"
    assert "outside the folder of the model" in str(caught.value)
    # the same file is read when the model is not confined (a local command-line run)
    if file == "../outside.rules":
        assert not verify(dataclasses.replace(model, confined=False), today=today).compliant


def test_a_confined_model_follows_no_symbolic_link_out_of_its_folder(tmp_path, today):
    (tmp_path / "outside.rules").write_text((PLANTED / "fw-edge.rules").read_text())
    model = _confined_model(tmp_path, "link.rules")
    (tmp_path / "model" / "link.rules").symlink_to(tmp_path / "outside.rules")
    with pytest.raises(ModelError):
        verify(model, today=today)


def test_a_confined_model_reads_its_own_files(tmp_path, today):
    model = _confined_model(tmp_path, "fw-edge.rules")
    assert not verify(model, today=today).compliant


def test_an_unreadable_rule_set_is_named_without_the_servers_path(tmp_path, today):
    model = _confined_model(tmp_path, "missing.rules")
    with pytest.raises(ModelError) as caught:
        verify(model, today=today)
    message = str(caught.value)
    assert "missing.rules" in message
    assert str(tmp_path) not in message


# --- a configuration's interfaces against the model ---------------------------------------------

PANOS_LAB = DATA / "panos" / "lab-app-override.yaml"


def _lab_model_with(old: str, new: str):
    text = PANOS_LAB.read_text()
    assert old in text
    return load_model_text(
        text.replace(old, new), source="lab.yaml", base_dir=str(PANOS_LAB.parent)
    )


def test_a_model_interface_the_configuration_does_not_have_is_an_error(today):
    """A misspelt interface (Ethernet1/1 for ethernet1/1) would match none of the firewall's
    rules and make the network look compliant: refused, with the names the config has."""
    model = _lab_model_with("{name: ethernet1/1,", "{name: Ethernet1/1,")
    with pytest.raises(ModelError) as caught:
        verify(model, today=today)
    assert caught.value.path == "devices[0].interfaces[0].name"
    assert "ethernet1/1" in str(caught.value)


def test_a_model_interface_address_that_differs_from_the_configuration_is_an_error(today):
    model = _lab_model_with("address: 192.168.123.2/30", "address: 192.168.123.3/30")
    with pytest.raises(ModelError) as caught:
        verify(model, today=today)
    assert caught.value.path == "devices[0].interfaces[0].address"
    assert "192.168.123.2/30" in str(caught.value)


def test_rule_only_formats_declare_no_interfaces_and_are_not_checked(today):
    """iptables names no interface addresses: the model's stand (the planted network)."""
    assert not verify(PLANTED / "model.yaml", today=today).compliant


def test_a_confined_policy_in_a_folder_named_pol_includes_nothing_from_its_parent(tmp_path, today):
    """Aerleon's layout reads includes from the parent of a pol folder; an uploaded model
    whose own folder is called pol must not reach out of it that way."""
    source = DATA / "aerleon"
    folder = tmp_path / "pol"
    folder.mkdir()
    (folder / "def").mkdir()
    for name in ("networks.net", "services.svc"):
        (folder / "def" / name).write_text((source / "def" / name).read_text())
    (folder / "intended.pol").write_text((source / "pol" / "intended.pol").read_text())
    (tmp_path / "includes").mkdir()
    (tmp_path / "includes" / "exceptions.inc").write_text(
        (source / "includes" / "exceptions.inc").read_text()
    )
    (folder / "fw-edge.rules").write_text((PLANTED / "fw-edge.rules").read_text())
    text = (source / "model.yaml").read_text()
    text = text.replace("../planted/fw-edge.rules", "fw-edge.rules").replace(
        "pol/intended.pol", "intended.pol"
    )
    (folder / "model.yaml").write_text(text)
    loose = load_model_text(text, source="model.yaml", base_dir=str(folder))
    verify(loose, today=today)  # not confined: the parent's includes are read
    with pytest.raises(SegmentsError) as caught:
        verify(dataclasses.replace(loose, confined=True), today=today)
    assert "exceptions.inc" in str(caught.value)
    assert str(tmp_path) not in str(caught.value)
