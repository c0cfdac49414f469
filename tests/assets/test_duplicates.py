"""Likely duplicates: width-, kana- and space-insensitive comparison of name, unit and place."""

from __future__ import annotations

from isms.assets.classification import AssetIdentity, likely_duplicates


def test_width_kana_and_space_variants_are_one_asset():
    """ﾏｲﾅﾝﾊﾞｰ 端末 / マイナンバー端末 / まいなんばー端末 in the same unit and place."""
    groups = likely_duplicates(
        [
            AssetIdentity("A-3", "ﾏｲﾅﾝﾊﾞｰ 端末", "市民課", "本庁舎１Ｆ"),
            AssetIdentity("A-1", "マイナンバー端末", "市民課", "本庁舎1F"),
            ("A-2", "まいなんばー端末", "市民課", "本庁舎1f"),
        ]
    )
    # then
    assert groups == [("A-1", "A-2", "A-3")]


def test_other_units_or_places_are_not_duplicates():
    """Same name, another unit or another place: two assets."""
    groups = likely_duplicates(
        [
            ("A-1", "住民記録システム", "市民課", "サーバ室"),
            ("A-2", "住民記録システム", "税務課", "サーバ室"),
            ("A-3", "住民記録システム", "市民課", "バックアップ室"),
        ]
    )
    assert groups == []


def test_a_missing_place_matches_any_place():
    """A copy without a location pairs with each located one."""
    groups = likely_duplicates(
        [
            ("A-1", "庁内LAN", "情報政策課", "本庁舎"),
            ("A-2", "庁内ＬＡＮ", "情報政策課", ""),
            ("A-3", "庁内LAN", "情報政策課", "分庁舎"),
        ]
    )
    assert groups == [("A-1", "A-2"), ("A-2", "A-3")]


def test_old_character_forms_fold_together():
    """髙 and 高 are one name (異体字)."""
    groups = likely_duplicates(
        [("1", "髙畑小学校名簿", "学校教育課", ""), ("2", "高畑小学校名簿", "学校教育課", "")]
    )
    assert groups == [("1", "2")]


def test_blank_names_are_never_grouped():
    """Rows without a name are not duplicates of each other."""
    assert likely_duplicates([("1", " ", "課", ""), ("2", "", "課", "")]) == []
