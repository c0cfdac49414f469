"""Fold Japanese names for search and 50音順 sorting.

>>> fold("ﾀｶﾊｼ") == fold("たかはし") == fold("タカハシ")
True
>>> fold("髙﨑") == fold("高崎")
True

:func:`fold` applies Unicode NFKC (full-width/half-width, half-width katakana with their
voiced marks), case folding, hiragana → katakana, a small table of 異体字 that people use
interchangeably in names (髙/高, 﨑/崎, 齋/斎 …) and drops spaces and variation selectors. The
result is stored in ``Person.search_key`` and ``Person.sort_key`` so that the database compares
folded text only; the search query is folded the same way.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["VARIANTS", "fold", "sort_key"]

# Name characters and the form they are folded to. Each pair is one a registry clerk treats as
# "the same name" (旧字・異体字); the table stays small on purpose: a wrong fold merges names.
VARIANTS: dict[str, str] = {
    "髙": "高",
    "﨑": "崎",
    "嵜": "崎",
    "碕": "崎",
    "齋": "斎",
    "齊": "斉",
    "邊": "辺",
    "邉": "辺",
    "濵": "浜",
    "濱": "浜",
    "澤": "沢",
    "櫻": "桜",
    "廣": "広",
    "國": "国",
    "嶋": "島",
    "嶌": "島",
    "冨": "富",
    "德": "徳",
    "瀨": "瀬",
    "曻": "昇",
    "栁": "柳",
    "槇": "槙",
    "顯": "顕",
    "藪": "薮",
    "來": "来",
    "眞": "真",
    "惠": "恵",
    "實": "実",
    "壽": "寿",
    "龍": "竜",
}
_TABLE = str.maketrans(VARIANTS)
# Hiragana ぁ..ゖ and the iteration marks ゝゞ sit 0x60 below their katakana.
_HIRAGANA = {c: c + 0x60 for c in (*range(0x3041, 0x3097), 0x309D, 0x309E)}
# White space, variation selectors (IVS/SVS) and the separators people type between names.
_DROP = re.compile(r"[\s\u200b\u200c\u200d\ufe00-\ufe0f\U000e0100-\U000e01ef・･|]+")


def _fold_once(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text)
    folded = unicodedata.normalize("NFKC", folded.casefold())
    folded = folded.translate(_TABLE).translate(_HIRAGANA)
    return _DROP.sub("", folded)


def fold(text: str) -> str:
    """Return ``text`` folded for comparison (see the module docstring); idempotent.

    Dropping a space can bring a base character next to a combining mark, which NFKC then
    composes; so the steps repeat until nothing changes (twice in practice).
    """
    folded = _fold_once(text)
    for _attempt in range(8):
        again = _fold_once(folded)
        if again == folded:
            break
        folded = again
    return folded


def sort_key(family_kana: str, given_kana: str) -> str:
    """Return the 50音順 key of a name from its furigana (katakana, family name first)."""
    return f"{fold(family_kana)} {fold(given_kana)}"
