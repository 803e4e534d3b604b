"""The decision rules and the decision log documents, without a database."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook

from fitgap.domain.files.cells import neutralise
from fitgap.domain.group.table import ScenarioTable
from fitgap.domain.i18n import reset_language, set_language
from fitgap.domain.meetings.minutes import (
    ActionDraft,
    DecisionDraft,
    DecisionRef,
    Minutes,
    MinutesAction,
    MinutesCarried,
    MinutesMeeting,
    TownVerdict,
    apply_outcome,
    check_decision,
    sheet_title,
    text_width,
    to_csv,
    to_markdown,
    to_xlsx,
)
from fitgap.domain.values import Outcome, Requirement, Status
from fitgap.domain.wareki import wareki_with_western
from tests.samples import sample_minutes

NAMES = {"ishii": "石井町", "kamiyama": "神山町", "naka": "那賀町"}
F, W, C, N = Status.FIT, Status.WORKFLOW_CHANGE, Status.CUSTOMIZATION, Status.NOT_APPLICABLE


def draft(outcome: Outcome, statuses: dict[str, Status], **kw: object) -> DecisionDraft:
    notes = kw.pop("notes", {})
    assert isinstance(notes, dict)
    verdicts = tuple(TownVerdict(t, s, notes.get(t)) for t, s in statuses.items())
    return DecisionDraft(outcome=outcome, verdicts=verdicts, **kw)  # type: ignore[arg-type]


def check(d: DecisionDraft, current: dict[str, Status], prohibited: bool = False) -> list[str]:
    requirement = Requirement.PROHIBITED if prohibited else Requirement.MANDATORY
    return check_decision(d, town_names=NAMES, current=current, requirement=requirement)


# --- rules -----------------------------------------------------------------------------------


def test_all_fit_makes_every_town_fit_except_not_applicable() -> None:
    current = {"ishii": C, "kamiyama": N, "naka": W}
    verdicts = apply_outcome(
        Outcome.ALL_FIT, [TownVerdict(t, Status.UNDECIDED) for t in NAMES], current
    )
    assert [v.status for v in verdicts] == [F, N, F]
    assert check(DecisionDraft(Outcome.ALL_FIT, verdicts=verdicts), current) == []


def test_all_workflow_change_needs_what_changes_for_each_town_that_moves() -> None:
    current = {"ishii": C, "kamiyama": F, "naka": W}
    verdicts = apply_outcome(
        Outcome.ALL_WORKFLOW_CHANGE, [TownVerdict(t, Status.UNDECIDED) for t in NAMES], current
    )
    assert [v.status for v in verdicts] == [W, F, W]
    problems = check(DecisionDraft(Outcome.ALL_WORKFLOW_CHANGE, verdicts=verdicts), current)
    assert problems == ["石井町の業務をどう見直すかを入力してください。"]  # naka already changes
    noted = (TownVerdict("ishii", W, "様式を標準に合わせる"), *verdicts[1:])
    assert check(DecisionDraft(Outcome.ALL_WORKFLOW_CHANGE, verdicts=noted), current) == []


def test_shared_customization_needs_two_towns_and_the_laws_justification() -> None:
    current = {"ishii": C, "kamiyama": C, "naka": F}
    d = draft(Outcome.SHARED_CUSTOMIZATION, current)
    problems = check(d, current)
    assert "カスタマイズがやむを得ない理由を入力してください。" in problems
    assert "疎結合の別システムやEUCで対応できない理由を入力してください。" in problems
    ok = draft(
        Outcome.SHARED_CUSTOMIZATION, current, justification="法定様式", alternative="EUC不可"
    )
    assert check(ok, current) == []
    alone = draft(
        Outcome.SHARED_CUSTOMIZATION,
        {"ishii": C, "kamiyama": F, "naka": F},
        justification="x",
        alternative="y",
    )
    assert check(alone, current) == ["共同カスタマイズには、カスタマイズする町が2町以上必要です。"]


def test_town_exception_is_exactly_one_town_with_a_justification() -> None:
    current = {"ishii": C, "kamiyama": F, "naka": F}
    assert check(draft(Outcome.TOWN_EXCEPTION, current), current) == [
        "カスタマイズがやむを得ない理由を入力してください。"
    ]
    assert check(draft(Outcome.TOWN_EXCEPTION, current, justification="町条例第3条"), current) == []
    two = {"ishii": C, "kamiyama": C, "naka": F}
    assert "町別の例外では、カスタマイズする町はちょうど1町です。" in check(
        draft(Outcome.TOWN_EXCEPTION, two, justification="x"), current
    )


def test_no_customization_of_a_prohibited_function() -> None:
    current = {"ishii": C, "kamiyama": F, "naka": F}
    problems = check(
        draft(Outcome.TOWN_EXCEPTION, current, justification="x", alternative="y"),
        current,
        prohibited=True,
    )
    assert any("実装不可機能はカスタマイズできません" in p for p in problems)


def test_postponed_needs_a_reason_and_checks_actions() -> None:
    assert check(DecisionDraft(Outcome.POSTPONED), {}) == ["継続協議とする理由を入力してください。"]
    d = DecisionDraft(
        Outcome.POSTPONED, summary="次回", actions=(ActionDraft(what=" ", town_id="nowhere"),)
    )
    assert check(d, {}) == [
        "対応事項の内容を入力してください。",
        "参加していない町です：nowhere",
    ]


def test_every_town_needs_a_decided_verdict() -> None:
    problems = check(draft(Outcome.ALL_FIT, {"ishii": F, "kamiyama": Status.UNDECIDED}), {})
    assert "判定のない町があります：那賀町" in problems
    assert "未判定の町があります：神山町" in problems


# --- documents -------------------------------------------------------------------------------


def test_markdown_is_one_fact_per_line() -> None:
    text = to_markdown(sample_minutes())
    lines = text.splitlines()
    assert lines[0] == "# 議事録 住民記録"
    assert lines[2] == "発行日：令和8年1月5日（2026-01-05）"
    assert "## 令和7年4月1日（2025-04-01） 住民記録 第1回" in lines
    assert "- 出席者（石井町）：佐藤（住民課長）" in lines
    assert "- 出席者（その他）：山本（コンサルタント）" in lines
    assert "| 1 | 0010001 | 独自項目の保持 | 決定 #2 町別の例外 |" in lines
    assert "| 2 | 0010002 | 転入 | 次回以降に協議 |" in lines
    assert (
        "| #1 | 0010001 | 独自項目の保持 | 全町で業務見直し | 業務見直し | 適合 | 業務見直し "
        "| 決定 #2 で置き換え |" in lines
    )
    # Line breaks inside a note never split a fact; pipes are escaped inside tables.
    assert '- 石井町：カスタマイズ → 業務見直し：=HYPERLINK("x") 対応表で管理' in lines
    assert "- 那賀町：判定なし → 業務見直し：地区台帳へ | 移す" in lines
    # Only a town whose verdict changed shows a change; the marks' versions stay out.
    assert "- 神山町：適合（変更なし）" in lines
    assert "版" not in text
    assert "- 対応事項：石井町：対応表を作る（期限 令和7年6月30日（2025-06-30））" in lines
    assert "- 対応事項：全体：共有" in lines
    assert "- 置き換えた決定：決定 #1" in lines
    assert "#### 決定 #2 0010001 独自項目の保持" in lines
    assert "#5" not in text and "#6" not in text
    assert "- やむを得ない理由：町条例で定める" in lines
    assert "- 記録：山本（2025-04-01 14:30）" in lines  # Japan time
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert to_markdown(sample_minutes()) == text  # stable


def test_csv_has_a_bom_crlf_and_no_live_formulas() -> None:
    data = to_csv(sample_minutes())
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    rows = list(csv.reader(io.StringIO(text, newline="")))
    header = rows[0]
    assert header[:8] == [
        "会議ID",
        "開催日",
        "業務",
        "決定番号",
        "機能ID",
        "機能名",
        "決定内容",
        "要旨",
    ]
    assert "石井町の判定" in header and "那賀町の見直し内容・備考" in header
    first = dict(zip(header, rows[1], strict=True))
    assert first["開催日"] == "令和7年4月1日（2025-04-01）"
    assert first["機能ID"] == "0010001"  # text, leading zeros kept
    assert first["石井町の判定"] == "業務見直し"
    assert first["石井町の見直し内容・備考"] == '\'=HYPERLINK("x")\n対応表で管理'
    assert first["決定番号"] == "1"
    assert first["状態"] == "決定 #2 で置き換え"
    assert "石井町：対応表を作る（期限 令和7年6月30日（2025-06-30））" in first["対応事項"]
    second = dict(zip(header, rows[2], strict=True))
    assert second["置き換えた決定"] == "決定 #1" and second["やむを得ない理由"] == "町条例で定める"
    assert len(rows) == 3


def test_xlsx_sheets_fonts_widths_filters_and_frozen_header() -> None:
    book = load_workbook(io.BytesIO(to_xlsx(sample_minutes())))
    assert book.sheetnames == [
        "決定事項",
        "対応事項",
        "石井町の判定",
        "神山町の判定",
        "那賀町の判定",
    ]
    decisions = book["決定事項"]
    assert decisions.freeze_panes == "A2"
    assert decisions.auto_filter.ref == decisions.dimensions
    assert decisions["A1"].value == "会議ID" and decisions["A1"].font.b
    assert decisions["F2"].value == "独自項目の保持"
    assert decisions["F2"].font.name == "Yu Gothic"
    assert decisions["E2"].value == "0010001" and decisions["E2"].data_type == "s"
    ishii_note = decisions.cell(row=2, column=10).value
    assert ishii_note == '\'=HYPERLINK("x")\n対応表で管理'  # not a formula
    assert decisions.cell(row=2, column=10).alignment.wrap_text
    # 機能名 holds 7 full-width characters: 14 half-width cells, plus a margin.
    assert decisions.column_dimensions["F"].width == 16
    actions = book["対応事項"]
    assert [c.value for c in actions[1]] == [
        "開催日",
        "決定番号",
        "機能ID",
        "機能名",
        "担当",
        "内容",
        "期限",
        "状態",
    ]
    # Dates and numbers are typed (to sort and count by), dates shown in 和暦.
    assert [c.value for c in actions[2]][:2] == [datetime(2025, 4, 1), 1]
    assert actions["A2"].is_date and "ggge" in actions["A2"].number_format
    assert [c.value for c in actions[2]][4:7] == ["石井町", "対応表を作る", datetime(2025, 6, 30)]
    assert actions.max_row == 3
    assert decisions["A2"].value == 1 and decisions["D2"].value == 1
    recorded = decisions.cell(row=2, column=decisions.max_column)
    assert recorded.is_date and recorded.number_format == "yyyy-mm-dd hh:mm"
    # Printed landscape and as wide as the paper, the header on every page.
    for sheet, paper in ((decisions, "8"), (actions, "9")):  # A3, A4
        setup = sheet.page_setup
        assert (setup.orientation, str(setup.paperSize)) == ("landscape", paper)
        assert (setup.fitToWidth, setup.fitToHeight) == (1, 0)
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$1"
    marks = book["石井町の判定"]
    assert [c.value for c in marks[2]] == [
        "0010001",
        "独自項目の保持",
        "カスタマイズ",
        "'+例外",
        "令和7年4月1日の会議の決定 #2",  # the sheet spans meetings: it names the meeting
    ]
    assert marks.freeze_panes == "A2" and marks.auto_filter.ref == "A1:E2"


def carried_minutes() -> Minutes:
    """The second meeting of the area, carrying over the first one's open action items."""
    base = sample_minutes()
    carried = (
        MinutesCarried(
            MinutesAction("対応表を作る", "ishii", date(2025, 4, 30)),
            DecisionRef(1, date(2025, 4, 1), 2),
            "0010001",
            "独自項目の保持",
        ),
        MinutesCarried(
            MinutesAction("共有", None, date(2025, 6, 30)),
            DecisionRef(1, date(2025, 4, 1), 2),
            "0010001",
            "独自項目の保持",
            done=True,
            note="全町に配布済み",
        ),
    )
    second = MinutesMeeting(
        id=2,
        area_id="juki",
        area_name="住民記録",
        held_on=date(2025, 5, 20),
        moderator="山本",
        title="第2回",
        carried=carried,
    )
    return Minutes(
        title=base.title, towns=base.towns, meetings=(second,), issued_on=date(2025, 5, 21)
    )


def test_every_format_lists_the_action_items_carried_over_with_their_origin() -> None:
    minutes = carried_minutes()
    lines = to_markdown(minutes).splitlines()
    heading = lines.index("### 前回からの持ち越し対応事項")
    assert lines[heading + 2 : heading + 4] == [
        "- 石井町：対応表を作る（期限 令和7年4月30日（2025-04-30）） ／ "
        "令和7年4月1日の会議の決定 #2（0010001 独自項目の保持） ／ 未完了（期限切れ）",
        "- 全体：共有（期限 令和7年6月30日（2025-06-30）） ／ "
        "令和7年4月1日の会議の決定 #2（0010001 独自項目の保持） ／ "
        "会議の日までに完了：全町に配布済み",
    ]
    rows = list(csv.reader(io.StringIO(to_csv(minutes).decode("utf-8-sig"), newline="")))
    title = rows.index(["前回からの持ち越し対応事項"])
    assert rows[title - 1] == [] and rows[title + 1][:5] == [
        "会議の開催日",
        "担当",
        "内容",
        "期限",
        "元の決定",
    ]
    assert rows[title + 2][1:5] == [
        "石井町",
        "対応表を作る",
        "令和7年4月30日（2025-04-30）",
        "令和7年4月1日の会議の決定 #2",
    ]
    assert rows[title + 2][7] == "未完了（期限切れ）"
    book = load_workbook(io.BytesIO(to_xlsx(minutes)))
    sheet = book["持ち越し対応事項"]
    assert [c.value for c in sheet[3]][1:2] + [c.value for c in sheet[3]][7:] == [
        "全体",
        "会議の日までに完了",
        "全町に配布済み",
    ]
    # A meeting with nothing carried over says nothing about it.
    assert "持ち越し" not in to_markdown(sample_minutes())
    assert "持ち越し対応事項" not in load_workbook(io.BytesIO(to_xlsx(sample_minutes()))).sheetnames


def test_helpers() -> None:
    assert text_width("ab石井") == 6
    assert text_width("ｱｲ") == 2  # half-width katakana count 1
    assert neutralise("-1") == "'-1" and neutralise("@x") == "'@x" and neutralise(3) == 3
    assert neutralise("普通の文") == "普通の文"
    taken: set[str] = set()
    assert sheet_title("a/b:c", taken) == "a_b_c"
    assert sheet_title("a/b:c", taken) == "a_b_c_2"
    assert len(sheet_title("長" * 40, taken)) == 31


def test_a_scenarios_sheet_reads_naturally_in_english_and_fits_excels_limit() -> None:
    table = ScenarioTable(name="4町案", years=10, lines=())
    token = set_language("en")
    try:
        assert sheet_title(table.title, set()) == "Forming the group - 4町案"
        long = ScenarioTable(name="Ishii, Kamiyama, Naka and Higashimiyoshi", years=10, lines=())
        title = sheet_title(long.title, set())
        assert title == "Forming the group - Ishii, Kami" and len(title) == 31
    finally:
        reset_language(token)
    assert sheet_title(table.title, set()) == "参加団体の検討：4町案"  # full-width: allowed


def test_empty_log() -> None:
    empty = Minutes(title="議事録", towns=(), meetings=())
    text = to_markdown(empty)
    assert "記録された会議はありません。" in text
    # The date of issue is there even without a meeting: today, in Japan.
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    assert f"発行日：{wareki_with_western(today)}" in text.splitlines()
    assert to_csv(empty).decode("utf-8-sig").count("\r\n") == 1
    assert load_workbook(io.BytesIO(to_xlsx(empty))).sheetnames == ["決定事項", "対応事項"]


def test_minutes_and_wareki_do_not_import_flask_or_the_database() -> None:
    code = (
        "import sys, fitgap.domain.meetings.minutes, fitgap.domain.wareki;"
        "print(','.join(m for m in ('flask', 'sqlmodel', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


@pytest.mark.parametrize("outcome", list(Outcome))
def test_every_outcome_has_a_label(outcome: Outcome) -> None:
    from fitgap.domain.labels import outcome_label

    assert outcome_label(outcome)
