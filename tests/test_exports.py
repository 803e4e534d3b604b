"""What fitgap writes for people to open elsewhere: spreadsheet cells that never run as formulas,
Markdown minutes that user text cannot restructure, and output files never overwritten unasked."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from markdown_it import MarkdownIt
from openpyxl import load_workbook
from sqlalchemy import text

from fitgap.domain.files.cells import neutralise, starts_formula
from fitgap.domain.meetings.minutes import (
    Minutes,
    MinutesTown,
    Outcome,
    file_name,
    to_csv,
    to_markdown,
    to_xlsx,
)
from fitgap.store import audit as audit_queries
from fitgap.store.db import Database
from tests.helpers import Invoke, moderate
from tests.meetings import decide, record_sample
from tests.samples import sample_minutes

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


# --- Markdown minutes ------------------------------------------------------------------------

HOSTILE = "x\r# 見出し\r<!--"


def rendered(markdown: str) -> str:
    """The Markdown as CommonMark with raw HTML allowed, as a careless viewer shows it."""
    return MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)


def test_user_text_cannot_add_blocks_tags_or_comments_to_the_markdown() -> None:
    minutes = sample_minutes()
    meeting = minutes.meetings[0]
    first, second = meeting.decisions
    verdicts = (replace(first.verdicts[0], note="a\r\n- 偽の項目\n> 引用\r\n<script>x</script>"),)
    decision = replace(first, summary=HOSTILE, verdicts=verdicts + first.verdicts[1:])
    meeting = replace(
        meeting,
        title="第1回\n# 偽の見出し",
        area_name="住民\r\n記録",
        decisions=(decision, replace(second, function_name="[罠](javascript:alert(1))")),
    )
    towns = (MinutesTown("ishii", "1. 石井町"), *minutes.towns[1:])
    markdown = to_markdown(replace(minutes, meetings=(meeting,), towns=towns))
    assert "\r" not in markdown
    html = rendered(markdown)
    headings = re.findall(r"<h(\d)>(.*?)</h\1>", html)
    assert [level for level, _ in headings] == ["1", "2", "3", "3", "4", "4"]
    assert "<!--" not in html and "<script>" not in html and "<blockquote>" not in html
    assert "<ol" not in html and 'href="javascript' not in html
    assert "<li>要旨：x # 見出し &lt;!--</li>" in html  # shown as typed
    assert "- 要旨：x \\# 見出し \\<!--" in markdown.splitlines()
    assert "## 令和7年4月1日（2025-04-01） 住民 記録 第1回 \\# 偽の見出し" in markdown


@pytest.mark.usefixtures("meeting_project")
def test_a_line_break_in_an_area_name_does_not_break_the_download(
    db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = record_sample(db)
    decide(db, meeting, "0010002", Outcome.POSTPONED, summary=HOSTILE)
    with db.engine.begin() as connection:
        connection.execute(text("UPDATE area SET name = :name"), {"name": "住民\r\n記録\r"})
        connection.execute(text("UPDATE meeting SET title = :t"), {"t": "第1回\n# 偽の見出し"})
    for kind in ("md", "csv", "xlsx"):
        response = client.get(f"/meetings/{meeting}/minutes.{kind}")
        assert response.status_code == 200, kind
        disposition = response.headers["Content-Disposition"]
        assert "\r" not in disposition and "\n" not in disposition
        assert "%E4%BD%8F%E6%B0%91_%E8%A8%98%E9%8C%B2" in disposition  # 住民_記録
    markdown = client.get(f"/meetings/{meeting}/minutes.md").get_data(as_text=True)
    assert "\r" not in markdown and "- 要旨：x \\# 見出し \\<!--" in markdown.splitlines()
    assert not any(line.startswith("# 偽の見出し") for line in markdown.splitlines())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("議事録-住民記録-令和7年4月1日", "議事録-住民記録-令和7年4月1日"),
        ("住民\r\n記録", "住民_記録"),
        ('../a/b\\c:d*e?"f<g>h|i\x00', "a_b_c_d_e_f_g_h_i"),
        ("\n", "minutes"),
        (" 記録\r", "記録"),
    ],
)
def test_a_download_gets_a_safe_file_name(text: str, expected: str) -> None:
    assert file_name(text) == expected


# --- output files of the command line --------------------------------------------------------

OVERWRITE = "はすでにあります。上書きするときは --force を付けてください"

# A command, and the file it writes with --out out or --out out/<name>.
WRITERS = {
    "marks sheet": (("marks", "sheet", "--town", "ishii", "--area", "juki"), "s.xlsx", True),
    "audit export": (("audit", "export"), "audit.csv", True),
    "marks export": (("marks", "export"), "ishii.yaml", False),
    "export decisions": (("export", "decisions", "--format", "csv"), "decisions-all.csv", False),
}


@pytest.mark.usefixtures("meeting_project")
@pytest.mark.parametrize("command", WRITERS)
def test_an_existing_output_file_is_kept_unless_forced(
    command: str, fitgap: Invoke, files: Path
) -> None:
    args, name, is_file = WRITERS[command]
    out = files / "out"
    out.mkdir()
    (out / name).write_bytes(b"old")
    args = (*args, "--out", f"out/{name}" if is_file else "out")
    refused = fitgap(*args)
    assert refused.exit_code == 1
    assert f"{Path('out') / name} {OVERWRITE}" in refused.output
    assert (out / name).read_bytes() == b"old"
    assert [p.name for p in out.iterdir()] == [name]  # nothing else written either
    forced = fitgap(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert (out / name).read_bytes() != b"old"


@pytest.mark.usefixtures("meeting_project")
def test_the_decision_log_is_all_or_nothing_when_one_file_exists(
    db: Database, fitgap: Invoke, files: Path
) -> None:
    record_sample(db)
    (files / "out").mkdir()
    (files / "out" / "decisions-all.md").write_text("old", encoding="utf-8")
    refused = fitgap("export", "decisions", "--out", "out")
    assert refused.exit_code == 1 and OVERWRITE in refused.output
    assert [p.name for p in (files / "out").iterdir()] == ["decisions-all.md"]


@pytest.mark.usefixtures("meeting_project")
@pytest.mark.parametrize("command", WRITERS)
def test_out_of_the_wrong_kind_is_a_clear_error(command: str, fitgap: Invoke, files: Path) -> None:
    args, _name, is_file = WRITERS[command]
    if is_file:  # a folder where a file should go
        (files / "out").mkdir()
        result = fitgap(*args, "--out", "out", "--force")
        assert result.exit_code == 1
        assert "out はフォルダです。書き出すファイルの名前を指定してください" in result.output
    else:  # a file where a folder should go
        (files / "out").write_text("a file", encoding="utf-8")
        result = fitgap(*args, "--out", "out/inner", "--force")
        assert result.exit_code == 1
        assert "out はフォルダではありません。書き出すフォルダを指定してください" in result.output
        assert (files / "out").read_text(encoding="utf-8") == "a file"
