"""Generate a municipality-scale network for the segmentation verifier: YAML model + rule files.

A core firewall joins ``firewalls - 1`` branch firewalls (one per 課 building or site) and the
Internet edge. Each branch has three zones: LGWAN接続系 ``10.B.0.0/16``, マイナンバー利用事務系
``172.16.B.0/24`` and インターネット接続系 ``192.168.B.0/24``. Every firewall runs ``rules``
iptables rules in ``filter FORWARD`` (policy DROP), the same mix a real rule base has: accepts
between hosts of the same segment on service ports, denies for single hosts, overlapping and
duplicate lines, a user chain, the sanctioned crossing flows (mail sanitizer, screen transfer)
and egress to the security cloud proxy. The generated network is compliant unless ``plant`` adds
a DNAT hole through two firewalls. The output is deterministic for a given seed.

    .venv/bin/python -m benchmarks.segments.generate --firewalls 50 --rules 2000 --out /tmp/net
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

__all__ = ["generate"]

PORTS = (22, 25, 53, 80, 123, 389, 443, 445, 636, 1433, 3306, 3389, 5432, 8080, 8443)
SC_PROXY = "198.51.100.10"
SANITIZER = "192.168.1.25"
SCREEN = "192.168.1.80"


def _host(rng: random.Random, kind: str, branch: int) -> str:
    """Return an address or prefix of a zone of a branch, /16 to /32."""
    if kind == "lgwan":
        choice = rng.random()
        if choice < 0.5:
            return f"10.{branch}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        if choice < 0.9:
            return f"10.{branch}.{rng.randrange(256)}.0/24"
        return f"10.{branch}.0.0/16"
    if kind == "mynumber":
        return (
            f"172.16.{branch}.{rng.randrange(1, 255)}"
            if rng.random() < 0.7
            else f"172.16.{branch}.0/24"
        )
    return (
        f"192.168.{branch}.{rng.randrange(1, 255)}"
        if rng.random() < 0.7
        else f"192.168.{branch}.0/24"
    )


def _accept(source: str, target: str, service: str) -> str:
    return f"-A FORWARD -s {source} -d {target} {service} -j ACCEPT"


def _rules(rng: random.Random, count: int, branches: list[int], here: int | None) -> list[str]:
    """Return ``count`` FORWARD rules that keep every segment pair compliant."""
    lines: list[str] = []
    previous: list[str] = []
    while len(lines) < count:
        roll = rng.random()
        a, b = rng.choice(branches), rng.choice(branches)
        port = rng.choice(PORTS)
        if roll < 0.55:  # lgwan ↔ lgwan service
            rule = _accept(
                _host(rng, "lgwan", a), _host(rng, "lgwan", b), f"-p tcp -m tcp --dport {port}"
            )
        elif roll < 0.65:  # mynumber ↔ mynumber
            rule = _accept(
                _host(rng, "mynumber", a),
                _host(rng, "mynumber", b),
                f"-p tcp -m tcp --dport {port}",
            )
        elif roll < 0.75:  # a deny for one host, any segment pair
            kinds = ("lgwan", "mynumber", "internet")
            source, target = _host(rng, rng.choice(kinds), a), _host(rng, rng.choice(kinds), b)
            rule = f"-A FORWARD -s {source} -d {target} -j DROP"
        elif roll < 0.80:  # internet zone → security-cloud proxy
            rule = _accept(
                _host(rng, "internet", a), f"{SC_PROXY}/32", "-p tcp -m tcp --dport 8080"
            )
        elif roll < 0.85:  # crossing points
            rule = rng.choice(
                [
                    _accept(f"{SANITIZER}/32", _host(rng, "lgwan", b), "-p tcp -m tcp --dport 25"),
                    _accept(_host(rng, "lgwan", a), f"{SCREEN}/32", "-p tcp -m tcp --dport 443"),
                ]
            )
        elif roll < 0.90 and previous:  # a duplicate of an earlier line (shadowed)
            rule = rng.choice(previous)
        elif roll < 0.95:  # udp service inside lgwan, multiport
            ports = ",".join(str(p) for p in sorted(rng.sample(PORTS, 3)))
            rule = _accept(
                _host(rng, "lgwan", a),
                _host(rng, "lgwan", b),
                f"-p udp -m multiport --dports {ports}",
            )
        else:  # through the user chain
            rule = f"-A FORWARD -s {_host(rng, 'lgwan', a)} -p tcp -j LGWAN_SERVICES"
        lines.append(rule)
        previous.append(rule)
    return lines


def generate(out: Path, *, firewalls: int, rules: int, seed: int = 1, plant: bool = False) -> Path:
    """Write the model and rule files into ``out``; return the model's path."""
    rng = random.Random(seed)
    out.mkdir(parents=True, exist_ok=True)
    branches = list(range(1, firewalls))
    core_ifaces = ["      - {name: eth0, address: 203.0.113.2/24, zones: [external, sc-proxy]}"]
    core_routes = ["      - {prefix: 0.0.0.0/0, via: 203.0.113.254}"]
    zones = [
        "  - {name: external, segment: external, prefixes: [0.0.0.0/0]}",
        "  - {name: sc-proxy, segment: external, prefixes: [198.51.100.0/24]}",
    ]
    devices = []
    for b in branches:
        link = f"100.64.{b // 64}.{(b % 64) * 4}"
        core_address = link[: link.rfind(".")] + f".{(b % 64) * 4 + 1}"
        branch_address = link[: link.rfind(".")] + f".{(b % 64) * 4 + 2}"
        core_ifaces.append(f"      - {{name: b{b}, address: {core_address}/30}}")
        for prefix in (f"10.{b}.0.0/16", f"172.16.{b}.0/24", f"192.168.{b}.0/24"):
            core_routes.append(f"      - {{prefix: {prefix}, via: {branch_address}}}")
        zones += [
            f"  - {{name: lgwan-{b}, segment: lgwan, prefixes: [10.{b}.0.0/16]}}",
            f"  - {{name: mynumber-{b}, segment: mynumber, prefixes: [172.16.{b}.0/24]}}",
            f"  - {{name: internet-{b}, segment: internet, prefixes: [192.168.{b}.0/24]}}",
        ]
        (out / f"fw-{b}.rules").write_text(_ruleset(rng, rules, branches, b, plant and b == 1))
        devices.append(
            f"""  - name: fw-{b}
    ruleset: {{file: fw-{b}.rules, format: iptables-save}}
    interfaces:
      - {{name: eth0, address: {branch_address}/30}}
      - {{name: eth1, address: 10.{b}.0.1/16, zones: [lgwan-{b}]}}
      - {{name: eth2, address: 172.16.{b}.1/24, zones: [mynumber-{b}]}}
      - {{name: eth3, address: 192.168.{b}.1/24, zones: [internet-{b}]}}
    routes:
      - {{prefix: 0.0.0.0/0, via: {core_address}}}"""
        )
    (out / "fw-core.rules").write_text(_ruleset(rng, rules, branches, None, plant))
    core = "\n".join(
        [
            "  - name: fw-core",
            "    ruleset: {file: fw-core.rules, format: iptables-save}",
            "    interfaces:",
            *core_ifaces,
            "    routes:",
            *core_routes,
        ]
    )
    model = f"""version: 1
name: generated municipality ({firewalls} firewalls x {rules} rules, seed {seed})
zones:
{chr(10).join(zones)}
devices:
{core}
{chr(10).join(devices)}
crossing_points:
  - {{name: mail-sanitizer, kind: mail_sanitizer, addresses: [{SANITIZER}/32],
     services: [{{protocol: tcp, ports: [25]}}]}}
  - {{name: screen-transfer, kind: screen_transfer, addresses: [{SCREEN}/32],
     services: [{{protocol: tcp, ports: [443]}}]}}
security_cloud: {{name: security cloud, zones: [sc-proxy]}}
"""
    path = out / "model.yaml"
    path.write_text(model)
    return path


def _ruleset(
    rng: random.Random, count: int, branches: list[int], here: int | None, plant: bool
) -> str:
    chain = _rules(rng, max(count - 40, 1), branches, here)
    services = [
        f"-A LGWAN_SERVICES -d 10.{rng.choice(branches)}.{rng.randrange(256)}.0/24 "
        f"-p tcp -m tcp --dport {rng.choice(PORTS)} -j ACCEPT"
        for _ in range(min(38, count))
    ]
    head = ["-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT"]
    if plant:
        if here is None:
            head.append("-A FORWARD -d 10.1.7.7/32 -p tcp -m tcp --dport 443 -j ACCEPT")
        else:
            head.append("-A FORWARD -d 10.1.7.7/32 -i eth0 -p tcp -m tcp --dport 443 -j ACCEPT")
    nat = ""
    if plant and here is None:
        nat = (
            "*nat\n:PREROUTING ACCEPT [0:0]\n:POSTROUTING ACCEPT [0:0]\n"
            "-A PREROUTING -d 203.0.113.10/32 -i eth0 -p tcp -m tcp --dport 8443 "
            "-j DNAT --to-destination 10.1.7.7:443\nCOMMIT\n"
        )
    body = "\n".join([*head, *chain, *services, "-A LGWAN_SERVICES -j RETURN"])
    chains = ":INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n:LGWAN_SERVICES - [0:0]"
    return f"{nat}*filter\n{chains}\n{body}\nCOMMIT\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--firewalls", type=int, default=50)
    parser.add_argument("--rules", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--plant", action="store_true", help="add a DNAT hole Internet → LGWAN")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    print(
        generate(
            args.out, firewalls=args.firewalls, rules=args.rules, seed=args.seed, plant=args.plant
        )
    )


if __name__ == "__main__":
    main()
