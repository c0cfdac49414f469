"""The vocabulary of the control catalog (対策基準): roles, segments and asset classes a control
applies to, with their Japanese names, and how a written name is read back.

- roles: the values of ``isms.core.roles.Role`` and the pseudo-role ``"staff"`` (every 職員等);
  an empty list means ``["staff"]``;
- segments: ``InformationAsset.Segment`` values; empty means every segment;
- classes: one code per class of the built-in classification schemes, the axis letter and the
  class id (``C3``, ``C3A``, ``C2``, ``I2``, ``A2`` …); empty means every class.

A name is read from its code or its Japanese (or English) label, full- or half-width alike.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from isms.assets.classification.loader import BUILTIN_SCHEMES, get_scheme
from isms.assets.classification.model import Axis
from isms.assets.models import InformationAsset
from isms.core.roles import Role

STAFF = "staff"
STAFF_LABEL_JA = "職員等"

# The Japanese role names of the glossary (the default names, before a municipality renames).
ROLE_LABELS_JA: dict[str, str] = {
    STAFF: STAFF_LABEL_JA,
    Role.CISO: "最高情報セキュリティ責任者",
    Role.DEPUTY_CISO: "最高情報セキュリティ副責任者",
    Role.CISO_ADVISOR: "最高情報セキュリティアドバイザー",
    Role.LEAD_SECURITY_OFFICER: "統括情報セキュリティ責任者",
    Role.BUREAU_SECURITY_OFFICER: "情報セキュリティ責任者",
    Role.DIVISION_SECURITY_MANAGER: "情報セキュリティ管理者",
    Role.SYSTEM_MANAGER: "情報システム管理者",
    Role.SYSTEM_STAFF: "情報システム担当者",
    Role.COMMITTEE_CHAIR: "情報セキュリティ委員会委員長",
    Role.COMMITTEE_MEMBER: "情報セキュリティ委員会委員",
    Role.LEAD_AUDIT_OFFICER: "情報セキュリティ監査統括責任者",
    Role.AUDITOR: "監査人",
    Role.CSIRT_LEAD: "CSIRT責任者",
    Role.CSIRT_MEMBER: "CSIRT構成員",
    Role.CLOUD_SERVICE_MANAGER: "外部サービス管理者",
    Role.SOCIAL_MEDIA_OFFICER: "ソーシャルメディアサービス責任者",
}
ROLE_CODES: tuple[str, ...] = (STAFF, *Role.values)

SEGMENT_LABELS_JA: dict[str, str] = {
    "mynumber": "マイナンバー利用事務系",
    "lgwan": "LGWAN接続系",
    "internet": "インターネット接続系",
    "standalone": "スタンドアロン",
}
SEGMENT_CODES: tuple[str, ...] = tuple(InformationAsset.Segment.values)

_AXIS_LETTER = {Axis.CONFIDENTIALITY: "C", Axis.INTEGRITY: "I", Axis.AVAILABILITY: "A"}

CONFIDENCE_LABELS_JA = {"confirmed": "確認済み", "recalled": "想起", "uncertain": "不確か"}

# Separators between names in one cell: comma, Japanese comma and full stop, slash, newline.
_SPLIT = re.compile(r"[,、，;；/／・\n]+")


@cache
def class_labels_ja() -> dict[str, str]:
    """Return ``{class code: Japanese label}`` over the built-in schemes (first label wins)."""
    labels: dict[str, str] = {}
    for axis in Axis:
        for scheme_id in BUILTIN_SCHEMES:
            for level in get_scheme(scheme_id).scale(axis).classes:
                labels.setdefault(f"{_AXIS_LETTER[axis]}{level.id}", level.label_ja)
    return labels


def class_codes() -> tuple[str, ...]:
    return tuple(class_labels_ja())


def _key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).casefold()


@cache
def _lookup(kind: str) -> dict[str, str]:
    if kind == "roles":
        table: dict[str, str] = {}
        for code in ROLE_CODES:
            table[_key(code)] = code
            table[_key(ROLE_LABELS_JA[code])] = code
            if code != STAFF:
                table[_key(str(Role(code).label))] = code
        table[_key("CISO")] = Role.CISO
        table[_key("副CISO")] = Role.DEPUTY_CISO
        return table
    if kind == "segments":
        table = {}
        for code in SEGMENT_CODES:
            table[_key(code)] = code
            table[_key(SEGMENT_LABELS_JA[code])] = code
        return table
    table = {}
    for scheme_id in BUILTIN_SCHEMES:
        scheme = get_scheme(scheme_id)
        for axis in Axis:
            for level in scheme.scale(axis).classes:
                code = f"{_AXIS_LETTER[axis]}{level.id}"
                table[_key(code)] = code
                table.setdefault(_key(level.label_ja), code)
    return table


def parse_names(kind: str, text: str) -> tuple[list[str], list[str]]:
    """Read a cell listing names of ``kind`` (roles, segments, classes): (codes, unknown names).

    Codes keep their canonical order (the order of :data:`ROLE_CODES` etc.) without repeats.
    """
    table = _lookup(kind)
    found: set[str] = set()
    unknown: list[str] = []
    for part in _SPLIT.split(text or ""):
        name = part.strip()
        if not name:
            continue
        code = table.get(_key(name))
        if code is None:
            unknown.append(name)
        else:
            found.add(code)
    return ordered(kind, found), unknown


def unknown_codes(kind: str, codes: list[str]) -> list[str]:
    """Return the entries of ``codes`` that are not codes of ``kind``."""
    valid = set(valid_codes(kind))
    return [c for c in codes if c not in valid]


def valid_codes(kind: str) -> tuple[str, ...]:
    if kind == "roles":
        return ROLE_CODES
    if kind == "segments":
        return SEGMENT_CODES
    return class_codes()


def ordered(kind: str, codes: set[str] | list[str]) -> list[str]:
    """Return ``codes`` in the canonical order of ``kind``, without repeats."""
    wanted = set(codes)
    return [c for c in valid_codes(kind) if c in wanted]


def labels(kind: str, codes: list[str]) -> list[str]:
    """Return the Japanese names of ``codes`` (an unknown code is shown as it is)."""
    table = (
        ROLE_LABELS_JA
        if kind == "roles"
        else SEGMENT_LABELS_JA
        if kind == "segments"
        else class_labels_ja()
    )
    return [table.get(c, c) for c in codes]


def effective_roles(codes: list[str]) -> list[str]:
    """Return the roles a control applies to: an empty list means every 職員等."""
    return list(codes) or [STAFF]
