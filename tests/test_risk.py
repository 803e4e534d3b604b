"""The Galapagos-risk engine on the worked example of docs/galapagos-risk.md, number for number."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from fitgap.domain.labels import divergence_advice, divergence_label
from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.cost import CostSplit, cost_lens, ten_year_cost
from fitgap.domain.risk.divergence import CLASS_WEIGHTS, DivergenceKind
from fitgap.domain.risk.report import to_contract_json, to_text
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import Evidence, UnknownAreaError
from fitgap.domain.risk.steering import explain_ask, explain_contribution, with_answers
from fitgap.domain.values import AnswerKind, Cost, Function, Mark, Requirement, Status, Town
from fitgap.domain.vendor import VendorAnswer

REPO = Path(__file__).resolve().parent.parent

C = Status.CUSTOMIZATION
F = Status.FIT
W = Status.WORKFLOW_CHANGE
N = Status.NOT_APPLICABLE

TOWNS = (
    Town(id="ishii", name="石井町", prefecture="徳島県", population=25489),
    Town(id="kamiyama", name="神山町", prefecture="徳島県", population=5069),
    Town(id="naka", name="那賀町", prefecture="徳島県", population=7822),
    Town(id="higashimiyoshi", name="東みよし町", prefecture="徳島県", population=13961),
)


def function(function_id: str, area_id: str, requirement: Requirement) -> Function:
    return Function(
        id=function_id, area_id=area_id, name=f"機能{function_id}", requirement=requirement, text=""
    )


FUNCTIONS = (
    function("0230265", "kaigo", Requirement.MANDATORY),
    function("0230270", "kaigo", Requirement.OPTIONAL),
    function("0230280", "kaigo", Requirement.PROHIBITED),
    function("0010010", "juki", Requirement.MANDATORY),
    function("0010020", "juki", Requirement.MANDATORY),
    function("0010030", "juki", Requirement.OPTIONAL),
    function("0010040", "juki", Requirement.MANDATORY),
)

# The table of the worked example: one row per function, one column per town (ishii,
# kamiyama, naka, higashimiyoshi); None is "no mark", i.e. undecided.
VERDICTS: dict[str, tuple[Status | None, ...]] = {
    "0230265": (C, F, W, F),
    "0230270": (C, W, C, None),
    "0230280": (F, C, F, F),
    "0010010": (F, F, F, W),
    "0010020": (C, C, C, C),
    "0010030": (N, F, F, F),
    "0010040": (F, F, F, F),
}
NOTES = {
    ("kamiyama", "0230265"): "標準の帳票で運用しています。",
    ("naka", "0230265"): "窓口での確認手順を変えて対応します。",
    ("kamiyama", "0230270"): "月次の照合表を手作業で作っています。",
}
COSTS = {
    ("ishii", "0230265"): Cost(initial_yen=1_200_000, annual_yen=150_000),
    ("ishii", "0230270"): Cost(initial_yen=800_000, annual_yen=100_000),
    ("naka", "0230270"): Cost(initial_yen=1_000_000, annual_yen=50_000),
    ("ishii", "0010020"): Cost(initial_yen=2_000_000, annual_yen=200_000),
    ("kamiyama", "0010020"): Cost(initial_yen=3_000_000, annual_yen=300_000),
    ("higashimiyoshi", "0010020"): Cost(initial_yen=3_000_000, annual_yen=200_000),
}


def example_marks() -> list[Mark]:
    marks: list[Mark] = []
    for function_id, statuses in VERDICTS.items():
        for town, status in zip(TOWNS, statuses, strict=True):
            if status is not None:
                key = (town.id, function_id)
                marks.append(Mark(town.id, function_id, status, NOTES.get(key), COSTS.get(key)))
    return marks


@pytest.fixture
def board() -> Scoreboard:
    """The worked example's scoreboard."""
    return galapagos_risk(FUNCTIONS, TOWNS, example_marks())


# -- the numbers of the worked example --------------------------------------------------------


def test_class_weights_are_the_documented_ones() -> None:
    assert CLASS_WEIGHTS == {
        Requirement.MANDATORY: 1,
        Requirement.OPTIONAL: 1,
        Requirement.PROHIBITED: 3,
    }


def test_function_units_and_risks(board: Scoreboard) -> None:
    expected = {
        # id: (units, max units, risk)
        "0230265": (7, 16, 21.875),
        "0230270": (12, 16, 37.5),
        "0230280": (21, 48, 71.875),  # the violation band: 50 + 50 × 21 / 48
        "0010010": (0, 16, 0.0),
        "0010020": (16, 16, 50.0),
        "0010030": (0, 16, 0.0),
        "0010040": (0, 16, 0.0),
    }
    for function_id, (units, max_units, risk) in expected.items():
        score = board.function_score(function_id)
        assert (score.units, score.max_units, score.risk) == (units, max_units, risk)


def test_contribution_units_follow_the_sharing(board: Scoreboard) -> None:
    units = {(c.town_id, c.function_id): c.units for c in board.breakdown()}
    assert units == {
        ("ishii", "0230265"): 7,  # lone: 1 × (8 − 1)
        ("ishii", "0230270"): 6,  # two share: 1 × (8 − 2)
        ("naka", "0230270"): 6,
        ("kamiyama", "0230280"): 21,  # prohibited and lone: 3 × (8 − 1)
        ("ishii", "0010020"): 4,  # all four share: 1 × (8 − 4)
        ("kamiyama", "0010020"): 4,
        ("naka", "0010020"): 4,
        ("higashimiyoshi", "0010020"): 4,
    }
    weights = {(c.town_id, c.function_id): c.weight for c in board.breakdown()}
    assert weights[("ishii", "0230265")] == 1.75
    assert weights[("ishii", "0230270")] == 1.5
    assert weights[("kamiyama", "0230280")] == 5.25
    assert weights[("ishii", "0010020")] == 1.0


def test_group_score(board: Scoreboard) -> None:
    group = board.group_score()
    assert (group.units, group.max_units) == (56, 144)
    assert round(group.risk, 1) == 69.4  # 50 × 56 / 144 + 50: one violation
    assert (group.customizations, group.violations, group.undecided) == (8, 1, 1)
    assert group.counts.as_dict() == {
        "fit": 15,
        "workflow_change": 3,
        "customization": 8,
        "not_applicable": 1,
        "undecided": 1,
    }


def test_town_scores(board: Scoreboard) -> None:
    scores = {t.id: t for t in board.town_scores()}
    assert {t: (s.units, s.max_units) for t, s in scores.items()} == {
        "ishii": (17, 63),
        "kamiyama": (25, 63),
        "naka": (10, 63),
        "higashimiyoshi": (4, 63),
    }
    assert {t: round(s.risk, 1) for t, s in scores.items()} == {
        "ishii": 13.5,
        "kamiyama": 69.8,
        "naka": 7.9,
        "higashimiyoshi": 3.2,
    }
    assert {t: s.customizations for t, s in scores.items()} == {
        "ishii": 3,
        "kamiyama": 2,
        "naka": 2,
        "higashimiyoshi": 1,
    }
    assert scores["kamiyama"].violations == 1
    assert scores["higashimiyoshi"].undecided == 1


def test_area_scores(board: Scoreboard) -> None:
    areas = {a.id: a for a in board.area_scores()}
    assert list(areas) == ["kaigo", "juki"]  # order of the catalog
    assert (areas["kaigo"].units, areas["kaigo"].max_units, areas["kaigo"].risk) == (40, 80, 75.0)
    assert (areas["juki"].units, areas["juki"].max_units, areas["juki"].risk) == (16, 64, 12.5)


def test_a_violation_reads_above_every_permitted_customization_at_every_level(
    board: Scoreboard,
) -> None:
    # Function: the prohibited 0230280, customized by one town, outranks 0010020, which all
    # four towns customize; town: kamiyama's one violation outranks ishii's three
    # customizations; area: kaigo holds the violation; group: in the violation band.
    functions = {s.id: s.risk for s in board.function_scores()}
    assert functions["0230280"] > 50.0 >= max(r for f, r in functions.items() if f != "0230280")
    towns = {t.id: t.risk for t in board.town_scores()}
    assert towns["kamiyama"] > 50.0 >= max(r for t, r in towns.items() if t != "kamiyama")
    areas = {a.id: a.risk for a in board.area_scores()}
    assert areas["kaigo"] > 50.0 >= areas["juki"]
    assert board.group_score().risk > 50.0
    # The same marks without the violation fall below the band at every level.
    fixed = board.with_mark(Mark("kamiyama", "0230280", W))
    assert fixed.group_score().risk < 50.0
    assert all(t.risk < 50.0 for t in fixed.town_scores())
    assert all(a.risk < 50.0 for a in fixed.area_scores())


def test_town_scores_over_one_area(board: Scoreboard) -> None:
    scores = {t.id: t for t in board.town_scores("kaigo")}
    assert {t: (s.units, s.max_units) for t, s in scores.items()} == {
        "ishii": (13, 35),
        "kamiyama": (21, 35),
        "naka": (6, 35),
        "higashimiyoshi": (0, 35),
    }
    assert {t: round(s.risk, 1) for t, s in scores.items()} == {
        "ishii": 18.6,
        "kamiyama": 80.0,
        "naka": 8.6,
        "higashimiyoshi": 0.0,
    }


# -- divergence -------------------------------------------------------------------------------


def test_divergence_kinds_and_flags(board: Scoreboard) -> None:
    found = {d.function_id: (d.kind, d.divergent, d.violation) for d in board.divergences()}
    assert found == {
        "0230265": (DivergenceKind.LONE_CUSTOMIZATION, True, False),
        "0230270": (DivergenceKind.SPLIT_CUSTOMIZATION_WORKFLOW, True, False),
        "0230280": (DivergenceKind.VIOLATION, True, True),
        "0010010": (DivergenceKind.MIXED_FIT_WORKFLOW, True, False),
        "0010020": (DivergenceKind.SHARED_CUSTOMIZATION, False, False),
        "0010030": (DivergenceKind.MIXED_APPLICABILITY, True, False),
        "0010040": (DivergenceKind.NONE, False, False),
    }
    assert board.divergence("0230270").customizing_towns == ("ishii", "naka")


def test_undecided_marks_are_ignored_for_divergence() -> None:
    marks = [Mark("ishii", "0010010", F), Mark("kamiyama", "0010010", Status.UNDECIDED)]
    divergence = galapagos_risk(FUNCTIONS, TOWNS, marks).divergence("0010010")
    assert (divergence.kind, divergence.divergent) == (DivergenceKind.NONE, False)


def test_not_applicable_is_a_verdict_for_divergence() -> None:
    marks = [Mark("ishii", "0010030", N), Mark("naka", "0010030", F)]
    assert galapagos_risk(FUNCTIONS, TOWNS, marks).divergence("0010030").divergent


def test_a_lone_customization_among_undecided_towns_is_not_yet_divergent() -> None:
    board = galapagos_risk(FUNCTIONS, TOWNS, [Mark("naka", "0230265", C)])
    divergence = board.divergence("0230265")
    assert (divergence.kind, divergence.divergent) == (DivergenceKind.LONE_CUSTOMIZATION, False)
    assert board.function_score("0230265").risk == 21.875


def test_every_kind_has_a_label_and_advice() -> None:
    labels = {divergence_label(kind) for kind in DivergenceKind}
    assert len(labels) == len(DivergenceKind)
    assert divergence_label(DivergenceKind.LONE_CUSTOMIZATION) == "単独カスタマイズ"
    assert all(divergence_advice(kind).endswith("。") for kind in DivergenceKind)


# -- explanations -----------------------------------------------------------------------------


def test_explain_contribution_gives_one_sentence_each(board: Scoreboard) -> None:
    sentences = [explain_contribution(c) for c in board.breakdown()]
    assert sentences == [
        "神山町は実装不可機能0230280をひとりだけカスタマイズするため、寄与は57.3点です。",
        "石井町は0230265をひとりだけカスタマイズするため、寄与は2.4点です。",
        "石井町は0230270を他の1町と共同でカスタマイズするため、寄与は2.1点です。",
        "那賀町は0230270を他の1町と共同でカスタマイズするため、寄与は2.1点です。",
        "東みよし町は0010020を全4町で共同カスタマイズするため、寄与は1.4点です。",
        "石井町は0010020を全4町で共同カスタマイズするため、寄与は1.4点です。",
        "神山町は0010020を全4町で共同カスタマイズするため、寄与は1.4点です。",
        "那賀町は0010020を全4町で共同カスタマイズするため、寄与は1.4点です。",
    ]


def test_the_same_contribution_counts_differently_in_the_town_score(board: Scoreboard) -> None:
    (lone,) = [c for c in board.breakdown(town_id="ishii") if c.function_id == "0230265"]
    assert lone.points == pytest.approx(50 * 7 / 63)
    assert explain_contribution(lone).endswith("寄与は5.6点です。")


def test_breakdowns_add_up_to_their_scores(board: Scoreboard) -> None:
    scores = [
        board.group_score(),
        *board.town_scores(),
        *board.town_scores("juki"),
        *board.area_scores(),
        *board.function_scores(),
    ]
    for score in scores:
        assert sum(c.units for c in score.contributions) == score.units
        assert sum(c.points for c in score.contributions) == pytest.approx(score.risk)


# -- steering ---------------------------------------------------------------------------------


def test_best_asks_are_ranked_by_group_drop_then_function_then_town(board: Scoreboard) -> None:
    asks = board.best_asks()
    assert [(a.function_id, a.town_id, a.group_drop_units) for a in asks] == [
        ("0230280", "kamiyama", 21),
        ("0010020", None, 16),
        ("0230270", None, 12),
        ("0230265", "ishii", 7),
        ("0230270", "ishii", 5),
        ("0230270", "naka", 5),
        ("0010020", "higashimiyoshi", 1),
        ("0010020", "ishii", 1),
        ("0010020", "kamiyama", 1),
        ("0010020", "naka", 1),
    ]
    # The first also takes the group out of the violation band: 50 × 21 / 144 + 50.
    assert [round(a.group_drop, 1) for a in asks[:6]] == [57.3, 5.6, 4.2, 2.4, 1.7, 1.7]
    assert board.best_asks(limit=2) == asks[:2]


def test_ask_drops_are_what_a_workflow_change_really_removes(board: Scoreboard) -> None:
    before = board.group_score().risk
    for ask in board.best_asks():
        after = board.with_marks(Mark(t, ask.function_id, W) for t in ask.towns)
        assert before - after.group_score().risk == pytest.approx(ask.group_drop)
        if ask.town_id is not None:
            town_before = board.town_score(ask.town_id).risk
            town_after = after.town_score(ask.town_id).risk
            assert town_before - town_after == pytest.approx(ask.town_drop)


def test_every_customization_and_function_has_its_ask(board: Scoreboard) -> None:
    singles = {(a.function_id, a.town_id) for a in board.customization_asks()}
    assert singles == {(c.function_id, c.town_id) for c in board.breakdown()}
    everyone = {a.function_id: a.towns for a in board.function_asks()}
    assert everyone == {
        "0230265": ("ishii",),
        "0230270": ("ishii", "naka"),
        "0230280": ("kamiyama",),
        "0010020": ("ishii", "kamiyama", "naka", "higashimiyoshi"),
    }
    assert [a.function_id for a in board.function_asks("kaigo")] == [
        "0230265",
        "0230270",
        "0230280",
    ]


def test_the_other_towns_notes_are_the_evidence(board: Scoreboard) -> None:
    (ask,) = [a for a in board.customization_asks() if a.function_id == "0230265"]
    assert ask.evidence == (
        Evidence("kamiyama", F, "標準の帳票で運用しています。"),
        Evidence("naka", W, "窓口での確認手順を変えて対応します。"),
        Evidence("higashimiyoshi", F, None),
    )
    # An undecided town has nothing to show yet; a customizing town is not evidence.
    assert board.evidence("0230270", "ishii") == (
        Evidence("kamiyama", W, "月次の照合表を手作業で作っています。"),
    )


def test_explain_ask(board: Scoreboard) -> None:
    first, second = board.best_asks(limit=2)
    assert explain_ask(first, board) == (
        "神山町に0230280の業務見直しを依頼すると、リスクが57.3点下がります。"
    )
    assert explain_ask(second, board) == (
        "石井町、神山町、那賀町、東みよし町に0010020の業務見直しをそろって依頼すると、"
        "リスクが5.6点下がります。"
    )


# -- the 10-year cost lens --------------------------------------------------------------------


def test_ten_year_cost() -> None:
    assert ten_year_cost(Cost(initial_yen=1_200_000, annual_yen=150_000)) == 2_700_000


def test_cost_lens_split_equally(board: Scoreboard) -> None:
    lens = cost_lens(board)
    assert lens.split is CostSplit.EQUAL
    assert lens.total_yen == 10_500_000
    assert {f.function_id: f.shared_cost_yen for f in lens.functions} == {
        "0230265": 2_700_000,
        "0230270": 1_800_000,
        "0230280": None,
        "0010020": 6_000_000,
    }
    towns = {t.town_id: (t.ten_year_yen, t.customizations, t.unestimated) for t in lens.towns}
    assert towns == {
        "ishii": (5_100_000, 3, 0),
        "kamiyama": (1_500_000, 2, 1),
        "naka": (2_400_000, 2, 0),
        "higashimiyoshi": (1_500_000, 1, 0),
    }
    costs = {(c.town_id, c.function_id): c for c in lens.customizations}
    lone = costs[("ishii", "0230265")]
    assert (lone.share_yen, lone.town_saving_yen, lone.group_saving_yen) == (2.7e6, 2.7e6, 2.7e6)
    ishii = costs[("ishii", "0230270")]
    assert (ishii.own_estimate_yen, ishii.share_yen, ishii.group_saving_yen) == (
        1_800_000,
        900_000,
        300_000,
    )
    assert ishii.shifted_yen == 600_000  # naka then pays its own 1.5 M build alone
    naka = costs[("naka", "0230270")]
    assert (naka.town_saving_yen, naka.group_saving_yen, naka.shifted_yen) == (900_000, 0, 900_000)
    assert costs[("kamiyama", "0010020")].group_saving_yen == 1_000_000
    assert costs[("naka", "0010020")].own_estimate_yen is None
    assert costs[("naka", "0010020")].share_yen == 1_500_000
    unknown = costs[("kamiyama", "0230280")]
    assert (unknown.share_yen, unknown.group_saving_yen) == (None, None)


def test_cost_lens_split_by_population(board: Scoreboard) -> None:
    lens = cost_lens(board, CostSplit.POPULATION)
    costs = {(c.town_id, c.function_id): c.share_yen for c in lens.customizations}
    assert costs[("ishii", "0230270")] == pytest.approx(1_377_328.81, abs=0.01)
    assert costs[("naka", "0230270")] == pytest.approx(422_671.19, abs=0.01)
    assert costs[("ishii", "0010020")] == pytest.approx(2_921_877.69, abs=0.01)
    assert costs[("kamiyama", "0010020")] == pytest.approx(581_074.11, abs=0.01)
    towns = {t.town_id: t.ten_year_yen for t in lens.towns}
    assert towns["ishii"] == pytest.approx(6_999_206.50, abs=0.01)
    assert sum(towns.values()) == pytest.approx(lens.total_yen)
    assert all(f.population_split for f in lens.functions if f.shared_cost_yen is not None)


def test_population_split_falls_back_to_equal_without_populations() -> None:
    towns = [Town(id="ishii", name="石井町", population=25489), Town(id="x", name="某町")]
    marks = [
        Mark("ishii", "0010020", C, cost=Cost(initial_yen=1_000_000)),
        Mark("x", "0010020", C),
    ]
    lens = cost_lens(galapagos_risk(FUNCTIONS, towns, marks), CostSplit.POPULATION)
    (shared,) = lens.functions
    assert not shared.population_split
    assert [c.share_yen for c in lens.customizations] == [500_000, 500_000]


def test_cost_lens_over_one_area(board: Scoreboard) -> None:
    lens = cost_lens(board, area_id="juki")
    assert [f.function_id for f in lens.functions] == ["0010020"]
    assert lens.total_yen == 6_000_000


# -- output -----------------------------------------------------------------------------------


def test_contract_json_has_the_contract_shape(board: Scoreboard) -> None:
    result = to_contract_json(board)
    json.dumps(result, ensure_ascii=False)  # plain JSON types only
    assert result["group"] == result["group"] | {
        "risk": 69.4,
        "customizations": 8,
        "violations": 1,
        "undecided": 1,
    }
    towns = result["towns"]
    assert isinstance(towns, list)
    assert [(t["id"], t["risk"], t["customizations"]) for t in towns] == [
        ("ishii", 13.5, 3),
        ("kamiyama", 69.8, 2),
        ("naka", 7.9, 2),
        ("higashimiyoshi", 3.2, 1),
    ]
    areas = result["areas"]
    assert isinstance(areas, list)
    assert [(a["id"], a["risk"]) for a in areas] == [("kaigo", 75.0), ("juki", 12.5)]
    functions = result["functions"]
    assert isinstance(functions, list)
    assert functions[0] == functions[0] | {
        "id": "0230265",
        "area": "kaigo",
        "risk": 21.9,
        "divergent": True,
        "violation": False,
        "statuses": {
            "ishii": "customization",
            "kamiyama": "fit",
            "naka": "workflow_change",
            "higashimiyoshi": "fit",
        },
    }
    assert [f["id"] for f in functions] == [f.id for f in FUNCTIONS]
    assert functions[1]["statuses"]["higashimiyoshi"] == "undecided"
    assert [(f["id"], f["violation"]) for f in functions if f["violation"]] == [("0230280", True)]
    for item in [result["group"], *towns, *areas, *functions]:
        assert isinstance(item["risk"], float)
        assert item["risk"] == round(item["risk"], 1)


def test_contract_json_over_one_area(board: Scoreboard) -> None:
    result = to_contract_json(board, "kaigo")
    assert result["group"] == result["group"] | {
        "risk": 75.0,
        "customizations": 4,
        "violations": 1,
        "undecided": 1,
    }
    assert [(t["id"], t["risk"]) for t in result["towns"]] == [
        ("ishii", 18.6),
        ("kamiyama", 80.0),
        ("naka", 8.6),
        ("higashimiyoshi", 0.0),
    ]
    assert result["areas"] == [
        {"id": "kaigo", "risk": 75.0, "customizations": 4, "violations": 1, "undecided": 1}
        | {"functions": 3}
    ]
    assert [f["id"] for f in result["functions"]] == [
        "0230265",
        "0230270",
        "0230280",
    ]


def test_an_unknown_area_is_reported(board: Scoreboard) -> None:
    with pytest.raises(UnknownAreaError, match="kokuho"):
        to_contract_json(board, "kokuho")
    with pytest.raises(UnknownAreaError):
        board.group_score("kokuho")


def test_text_report(board: Scoreboard) -> None:
    text = to_text(board)
    lines = text.splitlines()
    assert lines[0] == "ガラパゴス・リスク（全体）: 69.4 / 100"
    assert lines[1] == "カスタマイズ 8件（うち実装不可機能 1件）、未判定 1件、4町 × 7機能"
    assert any(line.split() == ["石井町", "(ishii)", "13.5", "3", "0", "0"] for line in lines)
    assert any(line.split() == ["kaigo", "75.0", "4", "1"] for line in lines)
    flagged = lines.index("要協議の機能（違反を先に、リスクの高い順、上位10件）")
    assert lines[flagged + 2].split()[:3] == ["0230280", "kaigo", "71.9"]  # violation first
    assert lines[flagged + 3].split()[:3] == ["0010020", "juki", "50.0"]
    assert "0010040" not in text  # nothing to discuss there
    assert "  1. 神山町に0230280の業務見直しを依頼すると、リスクが57.3点下がります。" in lines
    assert any("標準の帳票で運用しています。" in line for line in lines)


def test_text_report_over_one_area(board: Scoreboard) -> None:
    text = to_text(board, "juki", top=1)
    assert text.splitlines()[0] == "ガラパゴス・リスク（業務 juki）: 12.5 / 100"
    assert "0230265" not in text
    assert "  2. " not in text


# -- input handling ---------------------------------------------------------------------------


def test_later_marks_replace_earlier_ones_and_strangers_are_ignored() -> None:
    marks = [
        Mark("ishii", "0230265", C),
        Mark("ishii", "0230265", W),
        Mark("otherville", "0230265", C),  # not a town of the project
        Mark("ishii", "9999999", C),  # not in the catalog (any more)
    ]
    board = galapagos_risk(FUNCTIONS, TOWNS, marks)
    assert board.group_score().customizations == 0
    assert board.mark("ishii", "0230265") == Mark("ishii", "0230265", W)
    assert board.with_mark(Mark("ishii", "9999999", C)) is board


def test_duplicate_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="0230265"):
        galapagos_risk([*FUNCTIONS, FUNCTIONS[0]], TOWNS, [])
    with pytest.raises(ValueError, match="naka"):
        galapagos_risk(FUNCTIONS, [*TOWNS, TOWNS[2]], [])


def test_an_empty_project_scores_zero() -> None:
    for board in (galapagos_risk([], TOWNS, []), galapagos_risk(FUNCTIONS, [], [])):
        assert board.group_score().risk == 0.0
        assert all(t.risk == 0.0 for t in board.town_scores())
        assert all(f.risk == 0.0 for f in board.function_scores())
        to_text(board)
        to_contract_json(board)


def test_no_marks_means_everything_undecided() -> None:
    board = galapagos_risk(FUNCTIONS, TOWNS, [])
    group = board.group_score()
    assert (group.risk, group.undecided) == (0.0, 28)
    assert all(not d.divergent for d in board.divergences())


def test_incremental_update_matches_a_full_recompute(board: Scoreboard) -> None:
    change = Mark("higashimiyoshi", "0230270", C, cost=Cost(initial_yen=500_000))
    updated = board.with_mark(change)
    rebuilt = galapagos_risk(FUNCTIONS, TOWNS, [*example_marks(), change])
    assert to_contract_json(updated) == to_contract_json(rebuilt)
    assert updated.town_scores() == rebuilt.town_scores()
    assert cost_lens(updated) == cost_lens(rebuilt)
    # The original board is a value: untouched by the update.
    assert board.group_score().units == 56
    assert updated.function_score("0230270").units == 3 * 5


def test_the_domain_module_imports_no_web_or_database_code() -> None:
    # The package's own __init__ builds the Flask app, so load the domain without it: this
    # checks what risk.py and its imports pull in, not what fitgap/__init__.py does.
    code = (
        "import sys, types;"
        "package = types.ModuleType('fitgap');"
        f"package.__path__ = [{str(REPO / 'fitgap')!r}];"
        "sys.modules['fitgap'] = package;"
        "import fitgap.domain.risk.cost, fitgap.domain.risk.report;"
        "print(','.join(m for m in ('flask', 'sqlmodel', 'sqlalchemy') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_risks_are_rounded_half_up_for_output_only() -> None:
    # 25 mandatory functions, 4 towns, 14 lone customizations: 50 × 14 × 7 / (16 × 25) = 12.25.
    catalog = [function(f"00100{k:02d}", "juki", Requirement.MANDATORY) for k in range(25)]
    marks = [Mark(TOWNS[k % 4].id, catalog[k].id, C) for k in range(14)]
    board = galapagos_risk(catalog, TOWNS, marks)
    assert board.group_score().risk == 12.25  # exact inside
    assert to_contract_json(board)["group"]["risk"] == 12.3  # 四捨五入, not 12.2
    assert to_text(board).splitlines()[0] == "ガラパゴス・リスク（全体）: 12.3 / 100"


# -- the documentation shows the same numbers ---------------------------------------------------


def doc_rows(prefixes: tuple[str, ...]) -> list[list[str]]:
    """The cells of the table rows of docs/galapagos-risk.md that start with one of prefixes."""
    text = (REPO / "docs" / "galapagos-risk.md").read_text(encoding="utf-8")
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in text.splitlines()
        if line.startswith(tuple(f"| {p} " for p in prefixes))
    ]


def test_the_documented_function_table_is_what_the_engine_computes(board: Scoreboard) -> None:
    letters = {C: "C", F: "F", W: "W", N: "N", None: "–"}
    rows = [row for row in doc_rows(tuple(VERDICTS)) if len(row) == 12]  # not the cost table
    assert [row[0] for row in rows] == list(VERDICTS)
    printed = {f["id"]: f["risk"] for f in to_contract_json(board)["functions"]}
    for function_id, area, _class, *verdicts, m, units, max_units, risk, kind in rows:
        score = board.function_score(function_id)
        assert verdicts == [letters[s] for s in VERDICTS[function_id]]
        assert area == score.area_id
        assert int(m) == score.customizations
        assert int(units.split("=")[-1]) == score.units
        assert int(max_units) == score.max_units
        assert risk == f"{printed[function_id]:.1f}"
        assert kind == score.divergence.kind.value


def test_the_documented_town_table_is_what_the_engine_computes(board: Scoreboard) -> None:
    rows = doc_rows(tuple(t.name for t in TOWNS))
    assert len(rows) == 4
    for town, (name, _contributions, units, risk, customizations, kaigo) in zip(
        TOWNS, rows, strict=True
    ):
        score = board.town_score(town.id)
        in_kaigo = board.town_score(town.id, "kaigo")
        assert name == f"{town.name} {town.id}"
        assert (int(units), risk, int(customizations)) == (
            score.units,
            f"{score.risk:.1f}",
            score.customizations,
        )
        assert kaigo == f"{in_kaigo.units} / {in_kaigo.risk:.1f}"


def test_the_documented_sentences_are_what_the_engine_says(board: Scoreboard) -> None:
    text = (REPO / "docs" / "galapagos-risk.md").read_text(encoding="utf-8")
    for contribution in board.breakdown():
        if contribution.sharing < 4:
            assert f"- {explain_contribution(contribution)}\n" in text
    assert "= **69.4**" in text
    assert "50 × 7 / 63 = 5.6" in text


# -- the vendor's answers in the cost lens and the asks ---------------------------------------


def test_cost_lens_uses_the_vendors_estimate_and_shows_the_difference(board: Scoreboard) -> None:
    vendor = {"0010020": Cost(initial_yen=1_000_000, annual_yen=100_000)}  # 2 M over ten years
    lens = cost_lens(board, vendor_estimates=vendor)
    functions = {f.function_id: f for f in lens.functions}
    shared = functions["0010020"]
    assert (shared.shared_cost_yen, shared.by_vendor, shared.towns_cost_yen) == (
        2_000_000,
        True,
        6_000_000,
    )
    assert shared.difference_yen == -4_000_000
    assert functions["0230265"].by_vendor is False
    assert functions["0230265"].difference_yen is None
    assert lens.total_yen == 10_500_000 - 6_000_000 + 2_000_000
    costs = {(c.town_id, c.function_id): c for c in lens.customizations}
    # The vendor's build stays for the others at the same cost: one town leaving saves the
    # group nothing, and naka (no estimate of its own) now has a known share.
    assert costs[("kamiyama", "0010020")].group_saving_yen == 0.0
    assert costs[("naka", "0010020")].share_yen == 500_000
    # An estimate of the vendor prices a customization no town could price.
    priced = cost_lens(board, vendor_estimates={"0230280": Cost(300_000, 0)})
    assert {f.function_id: f.shared_cost_yen for f in priced.functions}["0230280"] == 300_000


def test_asks_carry_the_answer_and_an_answer_that_avoids_the_customization_comes_first(
    board: Scoreboard,
) -> None:
    found = board.best_asks()
    last = found[-1].function_id
    answers = {
        last: VendorAnswer(last, AnswerKind.SETTING, "帳票設定で切替", date(2025, 5, 1)),
        found[0].function_id: VendorAnswer(
            found[0].function_id, AnswerKind.IMPOSSIBLE, "法令上できない", date(2025, 5, 1)
        ),
    }
    carried = with_answers(found, answers)
    assert carried[0].function_id == last and carried[0].answer == answers[last]
    keys = [(a.function_id, a.town_id) for a in found]
    expected = [k for k in keys if k[0] == last] + [k for k in keys if k[0] != last]
    assert [(a.function_id, a.town_id) for a in carried] == expected  # otherwise as before
    assert next(a.answer for a in carried if a.function_id == found[0].function_id) is not None
    assert all(a.answer is None for a in carried if a.function_id not in answers)
