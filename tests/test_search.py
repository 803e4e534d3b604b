"""Japanese text search: width, kana and case variants match; a few properties."""

from __future__ import annotations

import subprocess
import sys

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fitgap.domain.search import Query, normalize, terms


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("ﾃﾝﾆｭｳ", "テンニュウ"),  # half-width katakana
        ("てんにゅう", "テンニュウ"),  # hiragana for katakana
        ("ｶﾞｲｺｸｼﾞﾝ", "がいこくじん"),  # half-width voiced marks compose
        ("ＡＢＣ", "abc"),  # full-width Latin, case
        ("euc", "ＥＵＣ"),
        ("０２３０２６５", "0230265"),  # full-width digits
        ("住民　票", "住民 票"),  # ideographic space
        ("ヴ", "ゔ"),
        ("A‐1", "a-1"),  # one kind of hyphen
        ("Ｓｔｒａßｅ", "STRASSE"),
    ],
)
def test_variants_have_one_search_form(typed: str, stored: str) -> None:
    assert normalize(typed) == normalize(stored)


def test_prolonged_sound_mark_and_kanji_stay() -> None:
    assert normalize("データ") == "でーた"
    assert normalize("住民記録") == "住民記録"
    assert normalize("  二つ   の\n空白 ") == "二つ の 空白"


def test_query_needs_every_word_in_one_of_the_texts() -> None:
    query = Query("ﾃﾝﾆｭｳ　届出")
    assert query.terms == ("てんにゅう", "届出")
    assert query.matches(["転入（テンニュウ）の届出", None])
    assert query.matches(["テンニュウ", "届出"])
    assert not query.matches(["テンニュウ"])
    assert not Query("").terms and not Query(None) and not Query("   ")


def test_words_never_span_two_texts() -> None:
    assert not Query("録住").matches(["住民記録", "住所"])


def test_terms_drop_duplicates_in_order() -> None:
    assert terms("b a B ｂ") == ("b", "a")


katakana = st.text(alphabet=st.characters(min_codepoint=0x30A1, max_codepoint=0x30F6), max_size=20)


@given(st.text(max_size=40))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@given(katakana)
def test_katakana_and_its_hiragana_match(text: str) -> None:
    hiragana = "".join(chr(ord(ch) - 0x60) for ch in text)
    assert normalize(text) == normalize(hiragana)
    assert Query(hiragana).matches([f"前{text}後"]) or not text.strip()


@given(st.text(alphabet=st.characters(min_codepoint=0x21, max_codepoint=0x7E), max_size=20))
def test_full_width_ascii_matches_ascii(text: str) -> None:
    wide = "".join(chr(ord(ch) + 0xFEE0) for ch in text)
    assert normalize(wide) == normalize(text)


def test_search_is_pure_domain_code() -> None:
    code = (
        "import sys, fitgap.domain.search;"
        "print(','.join(m for m in ('flask', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
