"""Japanese-aware text search: one normal form so that width, kana and case variants match.

Staff type ﾃﾝﾆｭｳ, てんにゅう or ＡＢＣ and expect the catalog's テンニュウ and abc to match.
Every text goes through `normalize` (NFKC, case folding, katakana to hiragana, one kind of
dash and of space); a query matches when each of its words occurs in the normalized text.
Pure Python: no Flask, no database.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

__all__ = ["Query", "normalize", "terms"]

# Katakana ァ (U+30A1) … ヶ (U+30F6) and the iteration marks ヽヾ sit exactly 0x60 above their
# hiragana; ヷヸヹヺ have no hiragana and stay as they are.
_KANA: dict[int, int] = {code: code - 0x60 for code in range(0x30A1, 0x30F7)}
_KANA.update({0x30FD: 0x309D, 0x30FE: 0x309E})
# NFKC leaves these dashes apart; people type any of them for the same hyphen.
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe63"
_KANA.update({ord(dash): ord("-") for dash in _DASHES})


def normalize(text: str) -> str:
    """The search form of a text: NFKC, case-folded, katakana as hiragana, single spaces."""
    # NFKC folds full-width Latin and digits, half-width katakana (with its voiced marks) and
    # the ideographic space; case folding can produce non-NFKC sequences, hence NFKC again.
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())
    return " ".join(folded.translate(_KANA).split())


def terms(query: str) -> tuple[str, ...]:
    """The words of a query in search form, without duplicates, in order."""
    return tuple(dict.fromkeys(normalize(query).split()))


class Query:
    """A parsed search query; `matches` is true when every word occurs in one of the texts."""

    __slots__ = ("terms",)

    def __init__(self, text: str | None) -> None:
        self.terms = terms(text or "")

    def __bool__(self) -> bool:
        return bool(self.terms)

    def matches_normalized(self, haystack: str) -> bool:
        """Whether every word occurs in an already normalized text."""
        return all(term in haystack for term in self.terms)

    def matches(self, texts: Iterable[str | None]) -> bool:
        """Whether every word occurs in the texts (joined, so a word never spans two texts)."""
        return self.matches_normalized("\n".join(normalize(t) for t in texts if t))
