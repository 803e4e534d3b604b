"""The cells of every spreadsheet fitgap writes (CSV and XLSX): text that never runs as a formula.

Excel, LibreOffice and Google Sheets read a cell that starts with = + - or @ as a formula (CSV or
formula injection: `=HYPERLINK(...)` in a town's name becomes a live link). Japanese Excel also
turns the full-width ＝ ＋ － ＠ into formulas, a tab or line break in front of them hides the
start, and so do blanks. Every writer of a CSV or XLSX file (headers included) takes its cells
through this module, so the rule lives in one place.
"""

from __future__ import annotations

# What a spreadsheet may read as the start of a formula.
FORMULA_STARTS = frozenset("=+-@＝＋－＠\t\r\n")

# Blanks a spreadsheet may skip before it looks at the first character.
_BLANKS = " \u00a0\u3000"


def starts_formula(text: str) -> bool:
    """Whether a spreadsheet could read the text as a formula."""
    rest = text.lstrip(_BLANKS)
    return bool(rest) and rest[0] in FORMULA_STARTS


def neutralise(value: object) -> object:
    """A cell value that a spreadsheet shows as text, never runs: formula-like text gets a
    leading apostrophe; numbers, dates and other text stay as they are."""
    if isinstance(value, str) and starts_formula(value):
        return "'" + value
    return value
