"""Render a :class:`Report` or :class:`Explanation` as text (Japanese or English) or JSON."""

from __future__ import annotations

import dataclasses
import datetime
import enum
import json
from typing import Any

from isms.segments.model import BUILTIN_SEGMENTS
from isms.segments.result import Explanation, Hop, Report, RuleRef

__all__ = ["explanation_text", "report_json", "report_text", "to_jsonable"]

REPORT_FORMAT = "isms-segments-report/1"

# (English, Japanese) for every fixed text of the reports.
_TEXT: dict[str, tuple[str, str]] = {
    "title": ("Segmentation verification", "通信経路の分割の検証"),
    "policy": ("Policy model", "分離モデル"),
    "backend": ("BDD backend", "BDD バックエンド"),
    "devices": ("Devices", "機器"),
    "rules": ("Rules", "ルール"),
    "date": ("Date", "基準日"),
    "assumptions": ("Assumptions", "前提"),
    "readings": (
        "How the configurations were read (the proof holds under these readings)",
        "設定の読み方（証明はこの読み方を前提とする。英語）",
    ),
    "result": ("Result", "結果"),
    "compliant": (
        "COMPLIANT: every segment pair is proved",
        "適合: すべてのセグメント間が証明された",
    ),
    "not_compliant": (
        "NOT COMPLIANT: {n} violating flow class(es)",
        "不適合: 違反する通信クラス {n} 件",
    ),
    "pairs": ("Segment pairs", "セグメント間"),
    "proved_none": ("PROVED: no new connection gets through", "証明済み: 新規接続は一切通らない"),
    "proved_allowed": (
        "PROVED: only flows the policy allows get through",
        "証明済み: 方針が認める通信のみ通る",
    ),
    "violated": ("VIOLATED: {n} class(es)", "違反: {n} 件"),
    "violated_unlisted": (
        "VIOLATED (paths not listed: limit reached)",
        "違反（経路は上限のため未列挙）",
    ),
    "exceptions_used": ("exceptions used", "使われた例外措置"),
    "violations": ("Violations", "違反"),
    "rule": ("policy cell", "方針"),
    "flows": ("flows", "通信"),
    "src": ("src", "送信元"),
    "dst": ("dst", "宛先"),
    "orig_dst": ("dst as sent", "送信時の宛先"),
    "proto": ("protocol", "プロトコル"),
    "ports": ("dst ports", "宛先ポート"),
    "orig_ports": ("dst ports as sent", "送信時の宛先ポート"),
    "sports": ("src ports", "送信元ポート"),
    "example": ("example", "例"),
    "approx": (
        "(field summary; the class is not a simple product)",
        "（項目ごとの要約。正確な集合は直積ではない）",
    ),
    "nat": ("NAT", "アドレス変換"),
    "path": ("path", "経路"),
    "no_rules": (
        "no rule set: forwards everything it routes",
        "ルールセットなし: 経路のある通信をすべて転送",
    ),
    "policy_of": ("policy {p} of {c}", "{c} のポリシー {p}"),
    "truncated": (
        "More violating paths exist than were listed; the pair verdicts above remain exact.",
        "列挙の上限を超える違反経路がある。上のセグメント間の判定は正確。",
    ),
    "exceptions": ("Exceptions (例外措置)", "例外措置"),
    "expired": ("EXPIRED", "期限切れ"),
    "active": ("active", "有効"),
    "used": ("in use", "使用中"),
    "unused": ("UNUSED: no permitted flow needs it", "未使用: 必要とする通信がない"),
    "findings": ("Rule findings", "ルールの指摘"),
    "shadowed": ("shadowed", "到達しない"),
    "redundant": ("redundant", "冗長"),
    "unmatchable": ("unmatchable", "一致し得ない"),
    "unused_chain": ("chain never entered", "使われないチェイン"),
    "by": ("decided earlier by", "先に判定するルール"),
    "ignored": ("Ignored (cannot change forwarding)", "無視した記述（転送に影響しない）"),
    "lines": ("lines", "行"),
    "none": ("none", "なし"),
    "explain_title": ("Flow", "通信"),
    "source_zone": ("source zone", "送信元ゾーン"),
    "allowed": ("ALLOWED by the policy", "方針上許可"),
    "violation": ("VIOLATION of the policy", "方針違反"),
    "blocked": ("not delivered", "到達しない"),
    "route": ("route", "経路"),
    "no_paths": (
        "The zone is attached to no device: nothing to follow.",
        "ゾーンがどの機器にも接続されていない。",
    ),
}

_ASSUMPTIONS: dict[str, tuple[str, str]] = {
    "connection_state=new": (
        "first packet of new connections only "
        "(replies of permitted connections are not violations)",
        "新規接続の最初のパケットのみを対象とする（許可された接続の応答は違反としない）",
    ),
    "connection_state=any": (
        "packets in any connection state (NAT rewrites only new connections)",
        "すべての接続状態のパケットを対象とする（アドレス変換は新規接続のみ）",
    ),
    "spoofing=none": (
        "no spoofing: hosts send only from their zone's addresses",
        "なりすましなし: ホストは自ゾーンのアドレスからのみ送信する",
    ),
    "spoofing=allowed": (
        "spoofing: hosts may send from any source address",
        "なりすましあり: ホストは任意の送信元アドレスで送信し得る",
    ),
    "device_traffic=out_of_scope": (
        "traffic to and from the devices themselves is out of scope",
        "機器自身への通信・機器自身からの通信は対象外",
    ),
    "ip=ipv4": (
        "IPv4 only; IPv6 rules are listed as ignored",
        "IPv4 のみ。IPv6 のルールは無視として列挙する",
    ),
    "routes=static": (
        "routes are those written in the model (static; dynamic routing is not computed)",
        "経路はモデルに書かれたもの（静的）。動的ルーティングは計算しない",
    ),
    "tcp_flags=first_packet": (
        "TCP flag matches see a SYN packet",
        "TCP フラグの一致判定は SYN パケットとして行う",
    ),
    "nat_range=any_address": (
        "NAT to a range may choose any address of the range",
        "範囲への NAT は範囲内のどのアドレスも選び得る",
    ),
}


def _t(key: str, lang: str, **values: object) -> str:
    en, ja = _TEXT[key]
    return (ja if lang == "ja" else en).format(**values)


def _segment(name: str, lang: str) -> str:
    if name in BUILTIN_SEGMENTS:
        ja, en = BUILTIN_SEGMENTS[name]
        return f"{name} ({ja if lang == 'ja' else en})"
    return name


def _ref(ref: RuleRef, lang: str) -> str:
    if ref.policy:
        return f"{ref.source}:{ref.line}  " + _t(
            "policy_of", lang, p=ref.policy.upper(), c=ref.chain
        )
    return f"{ref.source}:{ref.line}  {ref.text}"


def _hop_lines(hop: Hop, lang: str) -> list[str]:
    lines = [f"      {hop.device} ({hop.in_interface} → {hop.out_interface})"]
    if not hop.rules:
        lines.append("        " + _t("no_rules", lang))
    for ref in hop.rules:
        lines.append("        " + _ref(ref, lang))
    for nat in hop.nat:
        lines.append(
            f"        {_t('nat', lang)}: {nat.kind} → {nat.to}  ({nat.rule.source}:{nat.rule.line})"
        )
    return lines


def report_text(report: Report, lang: str = "en") -> str:
    """Return the report as text in ``ja`` or ``en``."""
    out = [f"{_t('title', lang)} — {report.model}"]
    out.append(
        f"{_t('policy', lang)}: {report.policy_model}   {_t('backend', lang)}: {report.backend}   "
        f"{_t('devices', lang)}: {report.devices}   {_t('rules', lang)}: {report.rules}   "
        f"{_t('date', lang)}: {report.today.isoformat()}"
    )
    out.append(f"{_t('assumptions', lang)}:")
    for code in report.assumptions:
        en, ja = _ASSUMPTIONS.get(code, (code, code))
        out.append(f"  - {ja if lang == 'ja' else en}")
    if report.readings:
        out.append(f"{_t('readings', lang)}:")
        for reading in report.readings:
            out.append(f"  - {reading.device}: {reading.text}")
    result = (
        _t("compliant", lang)
        if report.compliant
        else _t("not_compliant", lang, n=len(report.violations))
    )
    out.append(f"{_t('result', lang)}: {result}")
    out.append("")
    out.append(f"{_t('pairs', lang)}:")
    for pair in report.pairs:
        source = _segment(pair.source_segment, lang)
        head = f"  {source} → {_segment(pair.destination_segment, lang)} [{pair.rule}]"
        if not pair.compliant:
            state = (
                _t("violated", lang, n=pair.violations)
                if pair.violations
                else _t("violated_unlisted", lang)
            )
        elif not pair.reachable:
            state = _t("proved_none", lang)
        else:
            state = _t("proved_allowed", lang)
            if pair.via_exceptions:
                state += f" ({_t('exceptions_used', lang)}: {', '.join(pair.via_exceptions)})"
        out.append(f"{head}: {state}")
    if report.violations:
        out.append("")
        out.append(f"{_t('violations', lang)}:")
    for number, v in enumerate(report.violations, start=1):
        out.append(
            f"  {number}. {v.source_zone} ({v.source_segment}) → "
            f"{v.destination_zone} ({v.destination_segment})"
            f"   {_t('rule', lang)}: {v.rule}"
        )
        f = v.flows
        out.append(f"     {_t('src', lang)}: {', '.join(f.sources)}")
        out.append(f"     {_t('dst', lang)}: {', '.join(f.destinations)}")
        if f.original_destinations:
            out.append(f"     {_t('orig_dst', lang)}: {', '.join(f.original_destinations)}")
        out.append(f"     {_t('proto', lang)}: {', '.join(f.protocols)}")
        if f.ports:
            out.append(f"     {_t('ports', lang)}: {', '.join(f.ports)}")
        if f.original_ports:
            out.append(f"     {_t('orig_ports', lang)}: {', '.join(f.original_ports)}")
        if f.source_ports and f.source_ports != ("any",):
            out.append(f"     {_t('sports', lang)}: {', '.join(f.source_ports)}")
        out.append(f"     {_t('example', lang)}: {f.example}")
        if not f.exact:
            out.append(f"     {_t('approx', lang)}")
        out.append(f"     {_t('path', lang)}:")
        for hop in v.path:
            out.extend(_hop_lines(hop, lang))
    if report.truncated:
        out.append("  " + _t("truncated", lang))
    out.append("")
    out.append(f"{_t('exceptions', lang)}:")
    if not report.exceptions:
        out.append("  " + _t("none", lang))
    for e in report.exceptions:
        state = _t("expired", lang) if e.expired else _t("active", lang)
        use = _t("used", lang) if e.used else _t("unused", lang)
        out.append(f"  {e.id}  {e.expires.isoformat()}  {state}, {use}  ({e.approver}: {e.reason})")
    out.append("")
    out.append(f"{_t('findings', lang)}:")
    if not report.rule_findings:
        out.append("  " + _t("none", lang))
    for finding in report.rule_findings:
        out.append(
            f"  [{_t(finding.kind, lang)}] {finding.rule.device}  {_ref(finding.rule, lang)}"
        )
        out.append(f"      {finding.reason}")
        for ref in finding.by:
            out.append(f"      {_t('by', lang)}: {_ref(ref, lang)}")
    out.append("")
    out.append(f"{_t('ignored', lang)}:")
    if not report.ignored:
        out.append("  " + _t("none", lang))
    for item in report.ignored:
        lines = ", ".join(str(n) for n in item.lines[:20]) + (
            " ..." if len(item.lines) > 20 else ""
        )
        out.append(f"  {item.device}  {item.source} {_t('lines', lang)} {lines}: {item.reason}")
    return "\n".join(out) + "\n"


def to_jsonable(value: Any) -> Any:
    """Turn result dataclasses into JSON types (dates as ISO strings, enums as values)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def report_json(report: Report | Explanation) -> str:
    """Return the report (or explanation) as JSON, with a format tag."""
    return json.dumps(
        {"format": REPORT_FORMAT, **to_jsonable(report)}, ensure_ascii=False, indent=2
    )


def explanation_text(explanation: Explanation, lang: str = "en") -> str:
    """Return an explanation as text in ``ja`` or ``en``."""
    out = [f"{_t('explain_title', lang)}: {explanation.flow}"]
    out.append(
        f"{_t('source_zone', lang)}: {explanation.source_zone} "
        f"({_segment(explanation.source_segment, lang)})"
    )
    if not explanation.paths:
        out.append(_t("no_paths", lang))
    for number, path in enumerate(explanation.paths, start=1):
        verdict = _t(path.verdict, lang)
        rule = f" [{path.rule}]" if path.rule else ""
        out.append(f"{_t('path', lang)} {number}: {path.disposition} — {verdict}{rule}")
        for hop in path.hops:
            out.append(
                f"  {hop.device} ({hop.in_interface} → {hop.out_interface or '-'})  "
                f"{_t('route', lang)}: {hop.route or '-'}"
            )
            if hop.packet_in != hop.packet_out:
                out.append(f"    {hop.packet_in}  ⇒  {hop.packet_out}")
            if not hop.steps:
                out.append("    " + _t("no_rules", lang))
            for step in hop.steps:
                out.append(f"    {step.stage}: {step.outcome.upper()}")
                for ref in step.rules:
                    out.append(f"      {_ref(ref, lang)}")
    return "\n".join(out) + "\n"
