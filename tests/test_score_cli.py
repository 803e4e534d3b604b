"""`fitgap score`: the contract's JSON shape on the sample data, text report, errors."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import Invoke


def demo_loaded(sample: Path, fitgap: Invoke) -> None:
    assert fitgap("load").exit_code == 0
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    assert fitgap("marks", "import", *marks).exit_code == 0


def test_score_json_matches_the_contract(sample: Path, fitgap: Invoke) -> None:
    demo_loaded(sample, fitgap)
    result = fitgap("score", "--format", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"group", "towns", "areas", "functions"}
    group = data["group"]
    assert {"risk", "customizations", "violations", "undecided"} <= set(group)
    assert 0 <= group["risk"] <= 100 and group["violations"] == 1
    assert group["customizations"] == sum(t["customizations"] for t in data["towns"])
    assert {t["id"] for t in data["towns"]} == {"ishii", "kamiyama", "naka", "higashimiyoshi"}
    assert {a["id"] for a in data["areas"]} == {"juki", "kokuho", "kaigo"}
    assert len(data["functions"]) == 217
    for function in data["functions"]:
        assert {"id", "area", "risk", "divergent", "violation", "statuses"} <= set(function)
        assert isinstance(function["id"], str) and len(function["id"]) == 7
        assert 0 <= function["risk"] <= 100
        assert set(function["statuses"]) == {"ishii", "kamiyama", "naka", "higashimiyoshi"}
        decided = {s for s in function["statuses"].values() if s != "undecided"}
        assert function["divergent"] == (len(decided) > 1)
        customizing = "customization" in function["statuses"].values()
        assert (function["risk"] > 0) == customizing
    violations = [f for f in data["functions"] if f["violation"]]
    assert [(f["id"], f["statuses"]["ishii"]) for f in violations] == [("0010090", "customization")]


def test_score_of_one_area(sample: Path, fitgap: Invoke) -> None:
    demo_loaded(sample, fitgap)
    data = json.loads(fitgap("score", "--area", "kaigo", "--format", "json").output)
    assert [a["id"] for a in data["areas"]] == ["kaigo"]
    assert {f["area"] for f in data["functions"]} == {"kaigo"}
    assert data["group"]["violations"] == 0


def test_score_text_report_in_japanese(sample: Path, fitgap: Invoke) -> None:
    demo_loaded(sample, fitgap)
    result = fitgap("score")
    assert result.exit_code == 0
    assert "ガラパゴス・リスク（全体）" in result.output and "石井町" in result.output


def test_score_errors(sample: Path, fitgap: Invoke) -> None:
    assert fitgap("score").exit_code == 1  # nothing loaded yet
    demo_loaded(sample, fitgap)
    result = fitgap("score", "--area", "nope")
    assert result.exit_code == 1 and "nope" in result.output
    assert fitgap("score", "--format", "xml").exit_code == 2  # usage
