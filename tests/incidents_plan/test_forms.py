"""The draft's form: lists one item a line, other contacts as ``|`` columns (never a crash)."""

from __future__ import annotations

from django.utils import translation
from hypothesis import given
from hypothesis import strategies as st

from isms.incidents.plan.forms import format_contact_lines, lines, parse_contact_lines


def test_contact_lines_are_read_with_categories_by_code_or_label():
    with translation.override("ja"):
        rows, errors = parse_contact_lines(
            "prefecture | 山梨県 | 055-223-0000\n\n警察｜山梨県警察｜110｜｜犯罪のとき\n"
        )
    assert errors == []
    assert rows == [
        {
            "category": "prefecture",
            "name": "山梨県",
            "phone": "055-223-0000",
            "email": "",
            "note": "",
        },
        {
            "category": "police",
            "name": "山梨県警察",
            "phone": "110",
            "email": "",
            "note": "犯罪のとき",
        },
    ]


def test_bad_lines_are_named():
    with translation.override("en"):
        rows, errors = parse_contact_lines(
            "山梨県 055\npress | 新聞社 | 1\nvendor|保守|1|a@b.jp|x|y"
        )
    assert rows == []
    assert [e.split(":")[0] for e in errors] == ["Line 1", "Line 2", "Line 3"]
    assert "unknown category press" in errors[1]


cell = st.text(
    alphabet=st.characters(blacklist_characters="|｜\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"),
    max_size=20,
).map(str.strip)


@given(st.text(max_size=300))
def test_the_parser_never_raises(text):
    rows, errors = parse_contact_lines(text)
    assert isinstance(rows, list) and isinstance(errors, list)


@given(
    st.lists(
        st.fixed_dictionaries(
            {
                "category": st.sampled_from(["prefecture", "police", "vendor", "other"]),
                "name": cell.filter(bool),
                "phone": cell,
                "email": cell,
                "note": cell,
            }
        ),
        max_size=5,
    )
)
def test_format_then_parse_gives_the_contacts_back(rows):
    with translation.override("ja"):
        parsed, errors = parse_contact_lines(format_contact_lines(rows))
    assert errors == []
    assert parsed == rows


def test_lines_drops_blank_lines():
    assert lines(" a \n\n b\r\n  ") == ["a", "b"]
