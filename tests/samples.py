"""Sample data the tests share: valid catalog, town and marks files (the starting points of
the fuzzers, too) and a decision log (`sample_minutes`)."""

from __future__ import annotations

from datetime import UTC, date, datetime

from fitgap.domain.meetings.minutes import (
    DecisionRef,
    Minutes,
    MinutesAction,
    MinutesAttendee,
    MinutesDecision,
    MinutesItem,
    MinutesMark,
    MinutesMeeting,
    MinutesTown,
    MinutesVerdict,
)
from fitgap.domain.values import Outcome, Status

# A catalog area file with every kind of key (line numbers matter: tests name them).
GOOD_AREA = """
format: fitgap-catalog/1
area:
  id: juki
  name: 住民記録
  name_en: Resident registry
spec:
  title: 住民記録システム標準仕様書
  version: 第4.0版
functions:
  - id: "0010010"
    path: [管理項目, 住民データ]
    name: 日本人住民データの管理
    requirement: mandatory
    text: |
      日本人住民の住民データを管理する。
    note: 補足
    forms: ["0230010"]
    x-spec-ref: "2.1"
  - id: "0010020"
    name: 外国人住民データの管理
    requirement: 標準オプション機能
    text: 外国人住民の住民データを管理する。
"""

# A town file (石井町).
TOWN = """
format: fitgap-town/1
id: ishii
name: 石井町
prefecture: 徳島県
population: 25489
households: 10806
budget_yen: 17847370000
area_km2: 28.85
"""

# A marks file of 石井町 on GOOD_AREA's two functions.
MARKS = """
format: fitgap-marks/1
town: ishii
marks:
  - function: "0010010"
    status: カスタマイズ
    note: |
      条例で定める独自様式が必要です。
    cost:
      initial_yen: 1200000
      annual_yen: 150000
  - function: "0010020"
    status: 業務見直し
"""


def sample_minutes() -> Minutes:
    """The decision log of one meeting of 住民記録: a decision and the one that superseded it,
    with notes and actions that look like formulas or Markdown."""
    F, W, C = Status.FIT, Status.WORKFLOW_CHANGE, Status.CUSTOMIZATION
    names = {"ishii": "石井町", "kamiyama": "神山町", "naka": "那賀町"}
    towns = tuple(MinutesTown(t, n) for t, n in names.items())
    # The database's ids (5, 6) are not what people read: the decisions are numbered within
    # their meeting (1, 2).
    held_on = date(2025, 4, 1)
    first = MinutesDecision(
        id=5,
        number=1,
        held_on=held_on,
        meeting_id=1,
        function_id="0010001",
        function_name="独自項目の保持",
        outcome=Outcome.ALL_WORKFLOW_CHANGE,
        summary="EUCで管理する",
        decided_by="山本",
        decided_at=datetime(2025, 4, 1, 5, 30, tzinfo=UTC),
        verdicts=(
            MinutesVerdict("ishii", W, '=HYPERLINK("x")\n対応表で管理', C, 3, 4),
            MinutesVerdict("kamiyama", F, None, F, 1, 2),
            MinutesVerdict("naka", W, "地区台帳へ | 移す", None, 0, 1),
        ),
        actions=(MinutesAction("対応表を作る", "ishii", date(2025, 6, 30)), MinutesAction("共有")),
        superseded_by_id=6,
        superseded_by=DecisionRef(1, held_on, 2),
    )
    second = MinutesDecision(
        id=6,
        number=2,
        held_on=held_on,
        meeting_id=1,
        function_id="0010001",
        function_name="独自項目の保持",
        outcome=Outcome.TOWN_EXCEPTION,
        summary="石井町のみ例外",
        decided_by="山本",
        decided_at=datetime(2025, 4, 1, 6, 0, tzinfo=UTC),
        justification="町条例で定める",
        verdicts=(
            MinutesVerdict("ishii", C, None, W, 4, 5),
            MinutesVerdict("kamiyama", F, None, F, 2, 3),
            MinutesVerdict("naka", W, None, W, 1, 2),
        ),
        supersedes_id=5,
        supersedes=DecisionRef(1, held_on, 1),
    )
    meeting = MinutesMeeting(
        id=1,
        area_id="juki",
        area_name="住民記録",
        held_on=date(2025, 4, 1),
        moderator="山本",
        title="第1回",
        place="石井町役場",
        attendees=(
            MinutesAttendee("ishii", "佐藤", "住民課長"),
            MinutesAttendee(None, "山本", "コンサルタント"),
        ),
        agenda=(MinutesItem("0010001", "独自項目の保持"), MinutesItem("0010002", "転入", True)),
        decisions=(first, second),
    )
    marks = (
        MinutesMark("ishii", "0010001", "独自項目の保持", C, "+例外", 5),
        MinutesMark("kamiyama", "0010001", "独自項目の保持", F, None, 3),
        MinutesMark("naka", "0010001", "独自項目の保持", W, None, 2),
    )
    return Minutes(
        title="議事録 住民記録",
        towns=towns,
        meetings=(meeting,),
        marks=marks,
        issued_on=date(2026, 1, 5),
    )
