"""The sample data tells the story the demo promises, and loads cleanly."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import Path

from flask import Flask

from fitgap.domain.files.catalog import read_catalog, read_marks, read_towns
from fitgap.domain.files.group import read_group_folder
from fitgap.domain.values import Membership, Requirement, Status
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.helpers import REPO, Invoke, login


def test_sample_catalog_is_realistic() -> None:
    catalog = read_catalog(REPO / "requirements_catalog")
    assert {a.id for a in catalog.areas} >= {"juki", "kokuho", "kaigo"}
    functions = list(catalog.functions)
    assert len(functions) >= 150
    assert {f.requirement for f in functions} == set(Requirement)
    assert all(len(f.id) == 7 and f.id.isdigit() for f in functions)
    assert all(1 <= len(f.path) <= 4 for f in functions)


def test_sample_towns_are_the_four_towns_of_the_real_case() -> None:
    towns = {t.id: t for t in read_towns(REPO / "towns")}
    members = {t.name for t in towns.values() if t.membership is Membership.MEMBER}
    assert members == {"石井町", "神山町", "那賀町", "東みよし町"}
    assert towns["ishii"].population == 25489 and towns["naka"].area_km2 == 694.98
    # Listed in 団体コード order, the real codes with their check digits.
    assert [(t.id, t.code) for t in list(towns.values())[:4]] == [
        ("ishii", "363413"),
        ("kamiyama", "363421"),
        ("naka", "363685"),
        ("higashimiyoshi", "364894"),
    ]


def test_the_candidates_that_left_are_fictional_and_say_so() -> None:
    """Seven sample towns took part in the talks and left: 11 → 7 → 4 can be replayed."""
    towns = read_towns(REPO / "towns")
    left = [t for t in towns if t.membership is Membership.LEFT]
    assert len(towns) == 11 and len(left) == 7
    assert all(t.name.startswith("サンプル町") and t.code is None for t in left)
    assert all(t.left_since and t.left_reason for t in left)
    assert len({t.left_since for t in left}) == 2  # 11 → 7, then 7 → 4
    assert all(t.current_annual_yen for t in towns)
    for town in left:
        text = (REPO / "towns" / f"{town.id}.yaml").read_text(encoding="utf-8")
        assert "架空の団体" in text
        marks = (REPO / "demo" / "marks" / f"{town.id}.yaml").read_text(encoding="utf-8")
        assert "架空の団体" in marks
    terms = read_group_folder(REPO / "towns")
    assert terms is not None and terms.split.equal + terms.split.population == 100


def test_sample_marks_tell_a_believable_story() -> None:
    catalog = read_catalog(REPO / "requirements_catalog")
    functions = {f.id: f for f in catalog.functions}
    members = {t.id for t in read_towns(REPO / "towns") if t.membership is Membership.MEMBER}
    files = read_marks(
        sorted(REPO / "demo" / "marks" / f"{town}.yaml" for town in members),
        town_ids=members,
        function_ids=set(functions),
    )
    assert len(files) == 4
    customizers: dict[str, set[str]] = defaultdict(set)
    statuses: Counter[Status] = Counter()
    for marks_file in files:
        assert {m.function_id for m in marks_file.marks} == set(functions)  # every function
        for mark in marks_file.marks:
            statuses[mark.status] += 1
            if mark.status is Status.CUSTOMIZATION:
                customizers[mark.function_id].add(mark.town_id)
                assert mark.note and mark.cost is not None
    assert statuses[Status.FIT] > sum(statuses.values()) / 2
    assert statuses[Status.WORKFLOW_CHANGE] > statuses[Status.CUSTOMIZATION] > 0
    violations = [f for f in customizers if functions[f].requirement is Requirement.PROHIBITED]
    assert len(violations) == 1
    assert any(len(towns) == 1 for towns in customizers.values())  # a lone customization
    assert any(len(towns) >= 2 for towns in customizers.values())  # a shared one


def test_demo_prepares_a_database(
    app: Flask, sample: Path, fitgap: Invoke, db: Database, settings: dict[str, object]
) -> None:
    settings["DEMO_DATABASE_URL"] = settings["DATABASE_URL"]
    settings["DEMO_MARKS_DIR"] = str(sample / "marks")
    settings["DEMO_ANSWERS_FILE"] = str(REPO / "demo" / "vendor_answers.yaml")
    result = fitgap("demo", "--no-serve")
    assert result.exit_code == 0, result.output
    # 4 member towns and 7 fictional towns that left, 217 functions each.
    assert "デモの判定 2387 件を取り込みました" in result.output
    assert "デモのベンダー回答 7 件を登録しました" in result.output
    with db.session() as session:
        assert len(catalog_queries.active_function_ids(session=session)) == 217
        assert len(mark_queries.export_marks(session=session, town_id="kamiyama")) == 217
    # The demo accounts are printed, and their passwords work (demo only).
    printed = dict(
        re.findall(
            r"^  (\S+)\s+(\S+)\s+(?:staff|moderator|observer|admin|vendor)\b", result.output, re.M
        )
    )
    assert set(printed) == {
        "ishii", "kamiyama", "naka", "higashimiyoshi", "moderator", "observer", "admin", "vendor"
    }  # fmt: skip
    client = app.test_client()
    assert login(client, "kamiyama", printed["kamiyama"]).headers["Location"] == "/"
    assert "神山町 職員" in client.get("/").get_data(as_text=True)
    assert fitgap("audit", "verify").exit_code == 0
    # The demo vendor signs in and finds the sample customizations, most of them answered.
    vendor = app.test_client()
    assert login(vendor, "vendor", printed["vendor"]).status_code == 303
    requests = vendor.get("/vendor/requests").get_data(as_text=True)
    assert "回答済み 7 件" in requests
    assert "帳票レイアウトは「帳票設定」画面の様式切替で対応できます" in requests
    assert "現地確認の記録票（紙）はスキャンしてPDFで事前申請に添付" in requests
