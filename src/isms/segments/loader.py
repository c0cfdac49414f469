"""Read a network model from YAML, check it against the JSON Schema, then check its references.

Two passes: the JSON Schema (``network-model.schema.json``) checks shape and formats; then this
module checks what a schema cannot: names that refer to each other, addresses that parse, routes
whose gateway sits on a connected subnet, zones that claim the very same prefix. Every problem
raises :class:`ModelError` (or :class:`UnknownZone` / :class:`UnknownDevice`) naming the file and
the path of the offending value, e.g. ``devices[1].routes[0].via``.
"""

from __future__ import annotations

import datetime
import importlib
import json
from collections.abc import Iterable, Sequence
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Protocol, cast

import yaml

from isms.segments.addresses import parse_address, parse_prefix, prefix_range
from isms.segments.errors import ModelError, UnknownDevice, UnknownZone
from isms.segments.model import (
    BUILTIN_SEGMENTS,
    Assumptions,
    CloudService,
    CrossingPoint,
    Device,
    FlowRule,
    Interface,
    MatrixEntry,
    NetworkModel,
    NetworkSegment,
    Policy,
    PolicyException,
    Prefix,
    Route,
    RulesetRef,
    SecurityCloud,
    SeparationModel,
    Service,
    Zone,
)
from isms.segments.parsers.names import PROTOCOLS

__all__ = ["load_model", "load_model_text", "schema"]

DOC_HINT = "see docs/segments.md, 'The network model'"
_JA = {
    "required": "必須の項目がない",
    "additionalProperties": "未知の項目がある",
    "enum": "使えない値",
    "const": "使えない値",
    "pattern": "書式が正しくない",
    "type": "値の型が違う",
    "minItems": "項目が足りない",
    "maxItems": "項目が多すぎる",
    "anyOf": "どの書式にも合わない",
    "minimum": "値が小さすぎる",
    "maximum": "値が大きすぎる",
    "minLength": "空にできない",
}


@cache
def schema() -> dict[str, Any]:
    """Return the JSON Schema of the network model."""
    text = resources.files("isms.segments").joinpath("network-model.schema.json").read_text("utf-8")
    return cast(dict[str, Any], json.loads(text))


def load_model(path: str | Path) -> NetworkModel:
    """Read and check the model in ``path``; rule-set paths are relative to its folder."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ModelError(
            f"cannot read the model: {exc}",
            source=str(path),
            path="",
            hint="give the path of a UTF-8 YAML file",
            message_ja=f"モデルを読めない: {exc}",
            hint_ja="UTF-8 の YAML ファイルのパスを指定してください",
        ) from None
    return load_model_text(text, source=str(path), base_dir=str(path.parent))


def _safe_load(text: str) -> Any:
    """Parse YAML with libyaml when PyYAML has it (same resolver, several times faster).

    A document libyaml rejects is parsed again by the pure-Python loader, so that error messages
    and positions stay the same whichever loader is installed.
    """
    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)  # noqa: S506 - CSafeLoader is the safe loader
        except yaml.YAMLError:
            pass
    return yaml.safe_load(text)


def load_model_text(text: str, *, source: str, base_dir: str) -> NetworkModel:
    """Check and build a model from YAML text."""
    try:
        document = _safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise ModelError(
            f"not valid YAML: {problem}",
            source=source,
            path=where,
            hint="check indentation and quoting at that place",
            message_ja=f"YAML として読めない: {problem}",
            hint_ja="その位置の字下げと引用符を確認してください",
        ) from None
    document = _plain(document)
    _validate(document, source)
    return _Builder(document, source, base_dir).build()


def _plain(value: Any) -> Any:
    """Turn YAML dates into ISO strings so that the schema sees JSON types only."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _json_path(parts: Iterable[Any]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


class _SchemaError(Protocol):
    message: str
    validator: object
    absolute_path: Sequence[str | int]
    schema: object


def _validate(document: Any, source: str) -> None:
    # jsonschema ships no type information; its API is narrowed to _SchemaError here.
    jsonschema = importlib.import_module("jsonschema")
    validator = jsonschema.Draft202012Validator(schema())
    errors = list(validator.iter_errors(document))
    if not errors:
        return
    error = cast(_SchemaError, jsonschema.exceptions.best_match(errors))
    path = _json_path(error.absolute_path)
    rules = error.schema if isinstance(error.schema, dict) else {}
    description = str(rules.get("description", ""))
    hint = description or DOC_HINT
    if error.validator == "additionalProperties":
        allowed = sorted(rules.get("properties", {}))
        hint = "allowed fields here: " + ", ".join(allowed) if allowed else DOC_HINT
    raise ModelError(
        f"invalid model: {error.message}",
        source=source,
        path=path or "(top level)",
        hint=hint,
        message_ja=(
            f"モデルが正しくない: {_JA.get(str(error.validator), '値が正しくない')}"
            f"（{error.message}）"
        ),
        hint_ja=hint,
    )


class _Builder:
    def __init__(self, document: dict[str, Any], source: str, base_dir: str):
        self.doc = document
        self.source = source
        self.base_dir = base_dir

    def fail(self, path: str, message: str, hint: str, message_ja: str = "") -> ModelError:
        return ModelError(message, source=self.source, path=path, hint=hint, message_ja=message_ja)

    def prefix(self, text: str, path: str) -> Prefix:
        try:
            return parse_prefix(text, strict=True)
        except ValueError:
            raise self.fail(
                path,
                f"'{text}' is not an IPv4 prefix (or has host bits set)",
                "write the network address, e.g. 10.1.0.0/16, not 10.1.2.3/16",
                f"'{text}' は IPv4 プレフィックスではない（ホスト部が 0 でない）",
            ) from None

    def prefixes(self, values: list[str], path: str) -> tuple[Prefix, ...]:
        return tuple(self.prefix(v, f"{path}[{i}]") for i, v in enumerate(values))

    def unique(self, items: list[dict[str, Any]], key: str, path: str) -> None:
        seen: set[str] = set()
        for i, item in enumerate(items):
            if item[key] in seen:
                raise self.fail(
                    f"{path}[{i}].{key}",
                    f"'{item[key]}' is defined twice",
                    "give each one a unique name",
                    f"'{item[key]}' が二重に定義されている",
                )
            seen.add(item[key])

    def services(self, values: list[dict[str, Any]], path: str) -> tuple[Service, ...]:
        out = []
        for i, value in enumerate(values):
            protocol_value = value["protocol"]
            protocol = (
                None
                if protocol_value == "any"
                else (
                    protocol_value if isinstance(protocol_value, int) else PROTOCOLS[protocol_value]
                )
            )
            ports: list[tuple[int, int]] = []
            for j, port in enumerate(value.get("ports", [])):
                lo, _, hi = str(port).partition("-")
                first, last = int(lo), int(hi or lo)
                if first > last or last > 65535:
                    raise self.fail(
                        f"{path}[{i}].ports[{j}]",
                        f"bad port range {port}",
                        "write FIRST-LAST, 0-65535",
                    )
                ports.append((first, last))
            if ports and protocol not in (6, 17, 132):
                raise self.fail(
                    f"{path}[{i}].ports",
                    "ports need protocol tcp, udp or sctp",
                    "remove the ports or set the protocol",
                )
            out.append(Service(protocol, tuple(ports)))
        return tuple(out)

    def build(self) -> NetworkModel:
        doc = self.doc
        segments = [NetworkSegment(name, ja, en) for name, (ja, en) in BUILTIN_SEGMENTS.items()]
        custom = doc.get("segments", [])
        self.unique(custom, "name", "segments")
        for i, seg in enumerate(custom):
            if seg["name"] in BUILTIN_SEGMENTS:
                raise self.fail(
                    f"segments[{i}].name",
                    f"'{seg['name']}' is a built-in segment",
                    "choose another name",
                )
            segments.append(
                NetworkSegment(
                    seg["name"], seg.get("label_ja", seg["name"]), seg.get("label_en", seg["name"])
                )
            )
        segment_names = {s.name for s in segments}

        def need_segment(name: str, path: str) -> None:
            if name not in segment_names:
                raise self.fail(
                    path,
                    f"unknown segment '{name}'",
                    "use mynumber, lgwan, internet, external or a segment listed under 'segments'",
                    f"未知のセグメント '{name}'",
                )

        zones_doc = doc["zones"]
        self.unique(zones_doc, "name", "zones")
        zones = []
        claimed: dict[Prefix, str] = {}
        for i, z in enumerate(zones_doc):
            need_segment(z["segment"], f"zones[{i}].segment")
            prefixes = self.prefixes(z["prefixes"], f"zones[{i}].prefixes")
            for j, prefix in enumerate(prefixes):
                if prefix in claimed and claimed[prefix] != z["name"]:
                    raise self.fail(
                        f"zones[{i}].prefixes[{j}]",
                        f"zones '{claimed[prefix]}' and '{z['name']}' claim the same prefix",
                        "each prefix belongs to one zone; "
                        "a more specific prefix may sit inside another zone's",
                        "二つのゾーンが同じプレフィックスを持つ",
                    )
                claimed[prefix] = z["name"]
            zones.append(Zone(z["name"], z["segment"], prefixes, z.get("description", "")))
        zone_names = {z.name for z in zones}

        def need_zone(name: str, path: str) -> None:
            if name not in zone_names:
                raise UnknownZone(
                    f"unknown zone '{name}'",
                    source=self.source,
                    path=path,
                    hint="define the zone under 'zones' or fix the name",
                    message_ja=f"未知のゾーン '{name}'",
                    hint_ja="'zones' に定義するか名前を直してください",
                )

        devices = self.devices(need_zone)
        device_names = {d.name for d in devices}
        crossing = []
        self.unique(doc.get("crossing_points", []), "name", "crossing_points")
        for i, cp in enumerate(doc.get("crossing_points", [])):
            segs = tuple(cp.get("segments", ["lgwan", "internet"]))
            for j, s in enumerate(segs):
                need_segment(s, f"crossing_points[{i}].segments[{j}]")
            crossing.append(
                CrossingPoint(
                    cp["name"],
                    cp["kind"],
                    self.prefixes(cp["addresses"], f"crossing_points[{i}].addresses"),
                    self.services(cp["services"], f"crossing_points[{i}].services"),
                    segs,
                )
            )
        cloud = None
        if "security_cloud" in doc:
            sc = doc["security_cloud"]
            for j, name in enumerate(sc.get("zones", [])):
                need_zone(name, f"security_cloud.zones[{j}]")
            for j, name in enumerate(sc.get("devices", [])):
                if name not in device_names:
                    raise UnknownDevice(
                        f"unknown device '{name}'",
                        source=self.source,
                        path=f"security_cloud.devices[{j}]",
                        hint="name a device defined under 'devices'",
                        message_ja=f"未知の機器 '{name}'",
                    )
            cloud = SecurityCloud(
                sc["name"], tuple(sc.get("zones", [])), tuple(sc.get("devices", []))
            )
        services = tuple(
            CloudService(
                cs["name"],
                self.prefixes(cs["prefixes"], f"cloud_services[{i}].prefixes"),
                self.services(cs["services"], f"cloud_services[{i}].services"),
            )
            for i, cs in enumerate(doc.get("cloud_services", []))
        )
        exceptions = self.exceptions()
        policy_doc = doc.get("policy", {})
        matrix = []
        for i, cell in enumerate(policy_doc.get("matrix", [])):
            need_segment(cell["from"], f"policy.matrix[{i}].from")
            need_segment(cell["to"], f"policy.matrix[{i}].to")
            matrix.append(MatrixEntry(cell["from"], cell["to"], FlowRule(cell["rule"])))
        policy = Policy(SeparationModel(policy_doc.get("model", "alpha")), tuple(matrix))
        assumptions_doc = doc.get("assumptions", {})
        assumptions = Assumptions(
            assumptions_doc.get("connection_state", "new"),
            bool(assumptions_doc.get("spoofing", False)),
        )
        return NetworkModel(
            doc.get("name", Path(self.source).stem),
            self.source,
            self.base_dir,
            tuple(segments),
            tuple(zones),
            devices,
            tuple(crossing),
            cloud,
            services,
            exceptions,
            policy,
            assumptions,
        )

    def devices(self, need_zone: Any) -> tuple[Device, ...]:
        devices_doc = self.doc["devices"]
        self.unique(devices_doc, "name", "devices")
        owners: dict[int, str] = {}
        out = []
        for i, d in enumerate(devices_doc):
            base = f"devices[{i}]"
            self.unique(d["interfaces"], "name", f"{base}.interfaces")
            interfaces = []
            subnets = []
            for j, iface in enumerate(d["interfaces"]):
                path = f"{base}.interfaces[{j}].address"
                address_text, _, length_text = iface["address"].partition("/")
                try:
                    address = parse_address(address_text)
                    length = int(length_text)
                    if not 0 < length <= 32:
                        raise ValueError(length_text)
                except ValueError:
                    raise self.fail(
                        path,
                        f"'{iface['address']}' is not an interface address",
                        "write ADDRESS/LENGTH, e.g. 10.1.0.1/24",
                    ) from None
                if address in owners:
                    raise self.fail(
                        path,
                        f"address {address_text} is also on device {owners[address]}",
                        "give every interface its own address",
                    )
                owners[address] = d["name"]
                for k, zone in enumerate(iface.get("zones", [])):
                    need_zone(zone, f"{base}.interfaces[{j}].zones[{k}]")
                interfaces.append(
                    Interface(iface["name"], address, length, tuple(iface.get("zones", [])))
                )
                subnets.append(prefix_range(address, length))
            names = {iface.name for iface in interfaces}
            routes = []
            for j, r in enumerate(d.get("routes", [])):
                path = f"{base}.routes[{j}]"
                prefix = self.prefix(r["prefix"], f"{path}.prefix")
                via = None
                if "via" in r:
                    via = parse_address(r["via"])
                    if not any(lo <= via <= hi for lo, hi in subnets):
                        raise self.fail(
                            f"{path}.via",
                            f"gateway {r['via']} is on no subnet of {d['name']}'s interfaces",
                            "a gateway must be reachable on a connected subnet; "
                            "check the interface addresses",
                            f"ゲートウェイ {r['via']} が {d['name']} の"
                            "どのインタフェースのサブネットにもない",
                        )
                if "interface" in r and r["interface"] not in names:
                    raise self.fail(
                        f"{path}.interface",
                        f"{d['name']} has no interface '{r['interface']}'",
                        "name one of the device's interfaces",
                    )
                routes.append(Route(prefix, via, r.get("interface")))
            ruleset = None
            if "ruleset" in d:
                spec = d["ruleset"]
                if "definitions" in spec and spec["format"] != "aerleon":
                    raise self.fail(
                        f"{base}.ruleset.definitions",
                        "naming definitions belong to format aerleon only",
                        "remove 'definitions' or set format: aerleon",
                        "definitions は形式 aerleon にだけ指定できる",
                    )
                ruleset = RulesetRef(spec["file"], spec["format"], spec.get("definitions"))
            out.append(
                Device(
                    d["name"],
                    tuple(interfaces),
                    tuple(routes),
                    ruleset,
                    bool(d.get("security_cloud", False)),
                )
            )
        return tuple(out)

    def exceptions(self) -> tuple[PolicyException, ...]:
        items = self.doc.get("exceptions", [])
        self.unique(items, "id", "exceptions")
        out = []
        for i, e in enumerate(items):
            base = f"exceptions[{i}]"
            sources = self.prefixes(e["source"], f"{base}.source")
            destinations = self.prefixes(e["destination"], f"{base}.destination")
            for key, prefixes in (("source", sources), ("destination", destinations)):
                for j, (_, length) in enumerate(prefixes):
                    if length < 8:
                        raise self.fail(
                            f"{base}.{key}[{j}]",
                            "an exception must be restricted to specific addresses",
                            "name the hosts or subnets of the approved flow "
                            "(prefix length 8 or more)",
                            "例外措置は特定のアドレスに限定しなければならない",
                        )
            services = self.services(e["services"], f"{base}.services")
            for j, service in enumerate(services):
                if service.protocol is None or (
                    service.protocol in (6, 17, 132) and not service.ports
                ):
                    raise self.fail(
                        f"{base}.services[{j}]",
                        "an exception must be restricted to a protocol and its ports",
                        "give the protocol and the destination ports of the approved flow",
                        "例外措置はプロトコルとポートに限定しなければならない",
                    )
            try:
                expires = datetime.date.fromisoformat(e["expires"])
            except ValueError:
                raise self.fail(
                    f"{base}.expires", f"'{e['expires']}' is not a date", "write YYYY-MM-DD"
                ) from None
            out.append(
                PolicyException(
                    e["id"], sources, destinations, services, e["reason"], e["approver"], expires
                )
            )
        return tuple(out)
