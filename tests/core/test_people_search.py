"""People search and 50音順: folding of width, kana and 異体字 (core.kana, core.people)."""

from __future__ import annotations

import unicodedata

from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from isms.core import people, services
from isms.core.kana import VARIANTS, fold, sort_key
from isms.core.models import Person

HIRAGANA = st.text(alphabet=st.characters(min_codepoint=0x3041, max_codepoint=0x3096), max_size=20)


def _person(m, number, family, given, family_kana, given_kana):
    return services.create_person(
        None,
        m,
        employee_number=number,
        family_name=family,
        given_name=given,
        family_name_kana=family_kana,
        given_name_kana=given_kana,
        staff_category=Person.StaffCategory.REGULAR,
    )


@given(st.text(max_size=40))
def test_fold_is_idempotent(text):
    """Folding folded text changes nothing."""
    assert fold(fold(text)) == fold(text)


@given(HIRAGANA)
def test_hiragana_katakana_and_decomposed_kana_fold_alike(text):
    """A hiragana word, its katakana and its decomposed form (voiced marks apart) fold alike."""
    katakana = "".join(chr(ord(c) + 0x60) for c in text)
    decomposed = unicodedata.normalize("NFD", katakana)
    assert fold(text) == fold(katakana) == fold(decomposed)


@given(st.text(alphabet="0123456789ABCDEFabcdef", max_size=20))
def test_full_width_and_half_width_alphanumerics_fold_alike(text):
    """Full-width letters and digits fold like their half-width forms, case ignored."""
    full = "".join(chr(ord(c) + 0xFEE0) for c in text)
    assert fold(full) == fold(text) == fold(text.upper())


def test_the_variant_table_folds_to_the_common_form():
    """髙/高, 﨑/崎, 齋/斎 and the rest of the table fold to one character."""
    assert fold("髙﨑") == fold("高崎") == "高崎"
    assert fold("齋藤") == fold("斎藤") == "斎藤"
    assert all(fold(a) == fold(b) for a, b in VARIANTS.items())


def test_half_width_katakana_with_voiced_marks_folds_to_full_width():
    """ｶﾞｸ (half-width with a separate voiced mark) folds to ガク."""
    assert fold("ｶﾞｸ") == "ガク"
    assert sort_key("やまだ", "たろう") == "ヤマダ タロウ"


def test_search_ignores_width_kana_and_variants(tsuru):
    """Given 髙橋 (タカハシ), 高崎 and 齋藤, then a half-width, hiragana or common-form query
    finds each of them, and the results come in 50音順."""
    # given
    m = tsuru.municipality
    takahashi = _person(m, "S001", "髙橋", "一郎", "たかはし", "いちろう")
    takasaki = _person(m, "S002", "高﨑", "花", "タカサキ", "ハナ")
    saito = _person(m, "S003", "齋藤", "次郎", "ｻｲﾄｳ", "ｼﾞﾛｳ")
    qs = Person.objects.filter(municipality=m)

    # when / then
    assert list(people.search(qs, "ﾀｶﾊｼ")) == [takahashi]
    assert list(people.search(qs, "高橋 一郎")) == [takahashi]
    assert list(people.search(qs, "高崎")) == [takasaki]
    assert list(people.search(qs, "斎藤")) == [saito]
    assert list(people.search(qs, "さいとう じろう")) == [saito]
    assert list(people.search(qs, "ｓ００２")) == [takasaki]
    assert list(people.search(qs, "たか")) == [takasaki, takahashi]  # タカサキ < タカハシ


def test_keys_follow_a_name_change(tsuru):
    """Given a person, when their furigana changes, then the search finds the new one only."""
    # given
    p = _person(tsuru.municipality, "S010", "山田", "花子", "ヤマダ", "ハナコ")

    # when
    services.update_person(tsuru.lead, p, family_name="川田", family_name_kana="カワダ")

    # then
    qs = Person.objects.filter(municipality=tsuru.municipality)
    assert list(people.search(qs, "かわだ")) == [p]
    assert list(people.search(qs, "やまだはなこ")) == []
    assert Person.objects.get(pk=p.pk).sort_key == "カワダ ハナコ"


def test_the_staff_page_searches_folded_and_lists_in_gojuon_order(client, tsuru):
    """Given people, when staff search the page in hiragana, then the matching names are listed
    in 50音順."""
    # given
    m = tsuru.municipality
    _person(m, "S021", "渡邊", "健", "ワタナベ", "ケン")
    _person(m, "S022", "渡辺", "愛", "わたなべ", "あい")
    client.force_login(tsuru.staff)

    # when
    response = client.get(reverse("core:person_list"), {"q": "わたなべ"})

    # then
    rows = [p.full_name for p in response.context["page"]]
    assert rows == ["渡辺 愛", "渡邊 健"]
    assert list(
        people.search(Person.objects.filter(municipality=m), "渡辺").values_list(
            "employee_number", flat=True
        )
    ) == ["S022", "S021"]
