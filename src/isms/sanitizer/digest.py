"""The administrator's daily digest: what the gateway held and changed on one day, in Japanese.

Read from the quarantine's metadata (no database), so it works wherever the gateway runs::

    isms sanitize digest --quarantine DIR [--date 2026-11-25] [--mail-to ADDR]
                         [--next-hop 127.0.0.1:10026]

Without ``--mail-to`` it prints the digest; with it, the digest goes as a plain-text mail
through the next hop (run it from cron once a day, after midnight, for the previous day).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

from .quarantine import QuarantineStore
from .reasons import ReasonCode

__all__ = ["DIGEST_SENDER", "Digest", "build_digest", "digest_message"]

JST = ZoneInfo("Asia/Tokyo")
DIGEST_SENDER = "isms-sanitizer@localhost"
HELD_LIST_MAX = 200
"""Held messages listed one by one; beyond this only the counts are given."""


@dataclass(frozen=True, kw_only=True)
class Digest:
    """The counts and held messages of one day (Japan time)."""

    day: dt.date
    total: int
    verdicts: dict[str, int]
    reasons: dict[str, int]
    held: list[dict[str, Any]]

    def text(self) -> str:
        """Return the digest as Japanese plain text."""
        lines = [
            f"無害化ゲートウェイ日報 {self.day.isoformat()}（日本時間）",
            "",
            f"受信: {self.total} 通（無害化して配信 {self.verdicts.get('sanitized', 0)} 通、"
            f"保留 {self.verdicts.get('held', 0)} 通）",
        ]
        if self.reasons:
            lines += ["", "理由別の件数:"]
            for code, count in sorted(self.reasons.items(), key=lambda kv: (-kv[1], kv[0])):
                lines.append(f"  {_label(code)}: {count} 件")
        if self.held:
            lines += ["", "保留したメール（受付番号、受信時刻、差出人、宛先、件名、理由）:"]
            for item in self.held[:HELD_LIST_MAX]:
                lines.append(
                    f"  {item['receipt']}  {item['time']}  {item['sender']} → "
                    f"{', '.join(item['recipients'])}  「{item['subject']}」  "
                    f"{', '.join(_label(c) for c in item['reasons'])}"
                )
            if len(self.held) > HELD_LIST_MAX:
                lines.append(f"  ほか {len(self.held) - HELD_LIST_MAX} 通")
        lines += [
            "",
            "原本は隔離領域に保管されています。開放の依頼があった場合は、受付番号で原本を"
            "確認し、手順に従って第二の承認者とともに判断してください。",
        ]
        return "\n".join(lines) + "\n"


def _label(code: str) -> str:
    try:
        return f"{ReasonCode(code).text_ja}（{code}）"
    except ValueError:
        return code


def _header(record: dict[str, Any], name: str) -> str:
    for key, value in record.get("headers", []):
        if str(key).lower() == name:
            return str(value)
    return ""


def build_digest(store: QuarantineStore, day: dt.date) -> Digest:
    """Count the receptions of ``day`` (Japan time) by verdict and reason; list held ones."""
    verdicts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    held: list[dict[str, Any]] = []
    total = 0
    for sha256 in store.ids():
        for record in store.records(sha256):
            received = dt.datetime.fromisoformat(record["received_at"]).astimezone(JST)
            if received.date() != day:
                continue
            total += 1
            verdicts[record["verdict"]] += 1
            codes = sorted({r["code"] for r in record["reasons"]})
            reasons.update(codes)
            if record["verdict"] == "held":
                envelope = record.get("envelope", {})
                held.append(
                    {
                        "receipt": sha256[:16],
                        "time": received.strftime("%H:%M:%S"),
                        "sender": envelope.get("sender") or _header(record, "from"),
                        "recipients": envelope.get("recipients") or [_header(record, "to")],
                        "subject": _header(record, "subject"),
                        "reasons": sorted({r["code"] for r in record["reasons"] if r["holds"]}),
                    }
                )
    held.sort(key=lambda item: (item["time"], item["receipt"]))
    return Digest(day=day, total=total, verdicts=dict(verdicts), reasons=dict(reasons), held=held)


def digest_message(digest: Digest, *, to: str, now: dt.datetime) -> bytes:
    """Return the digest as a plain-text mail (UTF-8) for ``to``."""
    message = EmailMessage(policy=SMTP)
    message["From"] = DIGEST_SENDER
    message["To"] = to
    message["Subject"] = f"【無害化】日報 {digest.day.isoformat()}"
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain="isms-sanitizer.localhost")
    message.set_content(digest.text(), charset="utf-8", cte="base64")
    return message.as_bytes()
