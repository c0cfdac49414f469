"""Find likely duplicate assets in a register: same name, unit and place once folded.

Names are compared after :func:`isms.core.kana.fold` (full-/half-width, hiragana/katakana, case,
spaces and common 異体字), so ``ﾏｲﾅﾝﾊﾞｰ 端末`` and ``マイナンバー端末`` match. ``isms.core.kana``
imports nothing from Django (a test checks it).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from isms.core.kana import fold

__all__ = ["AssetIdentity", "likely_duplicates"]


class AssetIdentity(NamedTuple):
    """What identifies an asset to a person: id, name, owning unit and location."""

    asset_id: str
    name: str
    org_unit: str
    location: str


def likely_duplicates(
    assets: Iterable[AssetIdentity | tuple[str, str, str, str]],
) -> list[tuple[str, ...]]:
    """Return groups (two or more ids) of assets whose folded name, unit and location agree.

    An empty location matches any location of the same name and unit (a register often lacks
    it for one of the copies). Groups are sorted, and so are the ids inside each.
    """
    by_key: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for asset_id, name, org_unit, location in assets:
        key = (fold(name), fold(org_unit))
        if not key[0]:
            continue
        by_key.setdefault(key, []).append((asset_id, fold(location)))
    groups: list[tuple[str, ...]] = []
    for members in by_key.values():
        places = {place for _id, place in members if place}
        if not places:
            groups.append(tuple(sorted(asset_id for asset_id, _place in members)))
            continue
        for place in sorted(places):
            group = tuple(sorted(a for a, p in members if p in ("", place)))
            groups.append(group)
    unique = {group for group in groups if len(group) > 1}
    return sorted(unique)
