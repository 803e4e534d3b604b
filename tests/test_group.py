"""Forming the group: `fitgap group` on the demo data, the group and town files' errors, the
page's answers (400s, polling, saved scenarios), members-only elsewhere."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from flask import Flask
from flask.testing import FlaskClient

from fitgap.store import audit as audit_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import group as group_queries
from fitgap.store.db import Database
from tests.helpers import Invoke, csrf_token, sign_in

MEMBERS = ["ishii", "kamiyama", "naka", "higashimiyoshi"]
FIRST_TO_LEAVE = ["sample-a", "sample-b", "sample-c", "sample-d"]
LATER_TO_LEAVE = ["sample-e", "sample-f", "sample-g"]


def demo_loaded(sample: Path, fitgap: Invoke) -> None:
    loaded = fitgap("load")
    assert loaded.exit_code == 0, loaded.output
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    imported = fitgap("marks", "import", *marks)
    assert imported.exit_code == 0, imported.output


def group_json(fitgap: Invoke, *args: str) -> dict[str, object]:
    result = fitgap("group", "--format", "json", *args)
    assert result.exit_code == 0, result.output
    data: dict[str, object] = json.loads(result.output)
    return data


def test_group_json_matches_the_contract_on_the_demo(sample: Path, fitgap: Invoke) -> None:
    demo_loaded(sample, fitgap)
    data = group_json(fitgap)
    assert data["towns"] == MEMBERS  # default: the members, in 団体コード order
    assert data["years"] == 10
    assert isinstance(data["risk"], float) and 0 <= data["risk"] <= 100
    assert isinstance(data["divergent"], int) and isinstance(data["customizations"], int)
    merits = data["merit"]
    assert isinstance(merits, list) and [m["town"] for m in merits] == MEMBERS
    for merit in merits:
        for key in ("current_yen", "group_yen", "merit_yen"):
            assert isinstance(merit[key], int)
        assert merit["merit_yen"] == merit["current_yen"] - merit["group_yen"]
        assert merit["group_yen"] == (
            merit["package_yen"]
            + merit["shared_customization_yen"]
            + merit["lone_customization_yen"]
            + merit["migration_yen"]
        )
    # The package (240,000,000 + 10 × 96,000,000) is paid exactly, to the yen.
    assert sum(m["package_yen"] for m in merits) == 1_200_000_000
    pairs = data["agreement"]
    assert isinstance(pairs, list) and len(pairs) == 6
    assert all(0 <= p["rate"] <= 1 for p in pairs)
    suggestions = data["suggestions"]
    assert isinstance(suggestions, list) and suggestions
    assert [s["risk"] for s in suggestions] == sorted(s["risk"] for s in suggestions)
    assert all(s["min_merit_yen"] >= 0 and len(s["towns"]) >= 2 for s in suggestions)


def test_the_story_of_eleven_seven_and_four_towns(sample: Path, fitgap: Invoke) -> None:
    demo_loaded(sample, fitgap)
    everyone = MEMBERS + FIRST_TO_LEAVE + LATER_TO_LEAVE
    eleven = group_json(fitgap, "--towns", ",".join(everyone))
    losing = {m["town"] for m in eleven["merit"] if m["merit_yen"] < 0}  # type: ignore[attr-defined]
    assert losing == set(FIRST_TO_LEAVE)
    seven = group_json(fitgap, "--towns", ",".join(MEMBERS + LATER_TO_LEAVE))
    losing = {m["town"] for m in seven["merit"] if m["merit_yen"] < 0}  # type: ignore[attr-defined]
    assert losing == set(LATER_TO_LEAVE)
    # Among all eleven, the best suggestion is the four towns of the real case.
    assert eleven["suggestions"][0]["towns"] == MEMBERS  # type: ignore[index]
    assert all(
        set(s["towns"]) <= set(MEMBERS)
        for s in eleven["suggestions"]  # type: ignore[attr-defined]
    )
    text = fitgap("group", "--towns", ",".join(everyone))
    assert text.exit_code == 0
    assert "サンプル町A" in text.output and "メリット -" in text.output
    assert (
        "石井町・神山町・那賀町・東みよし町の4町なら、どの町にもメリットがあります" in text.output
    )
    assert "ほかの7町は加わりません" in text.output


def test_group_command_errors(sample: Path, fitgap: Invoke, files: Path) -> None:
    demo_loaded(sample, fitgap)
    result = fitgap("group", "--towns", "ishii,nowhere")
    assert result.exit_code == 1 and "町ID nowhere は登録されていません" in result.output
    assert fitgap("group", "--years", "0").exit_code == 2
    (files / "towns" / "group.yaml").unlink()
    assert fitgap("load").exit_code == 0
    result = fitgap("group")
    assert result.exit_code == 1 and "towns/group.yaml がありません" in result.output


def write(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")


def test_bad_group_and_town_files_are_reported_with_file_and_line(
    sample: Path, fitgap: Invoke, files: Path, db: Database
) -> None:
    write(
        files / "towns" / "group.yaml",
        "format: fitgap-group/1\n"
        "name: テスト\n"
        "years: 100\n"
        "package:\n  initial_yen: 1000\n"
        "split:\n  equal: 30\n  population: 60\n"
        "colour: blue\n",
    )
    ishii = files / "towns" / "ishii.yaml"
    text = ishii.read_text(encoding="utf-8")
    text = text.replace('code: "363413"', "code: 363413")
    write(ishii, text)
    naka = files / "towns" / "naka.yaml"
    write(naka, naka.read_text(encoding="utf-8").replace('"363685"', '"363686"'))
    kamiyama = files / "towns" / "kamiyama.yaml"
    write(
        kamiyama,
        kamiyama.read_text(encoding="utf-8").replace("membership: member", "membership: guest"),
    )
    result = fitgap("check")
    assert result.exit_code == 1
    out = result.output
    assert "towns/group.yaml:3: years は 50 年以下にしてください" in out
    assert "towns/group.yaml:4: package に必須のキー annual_yen がありません" in out
    assert "towns/group.yaml:6: split の equal（均等割）と population（人口割）の合計は" in out
    assert "towns/group.yaml:9: グループファイル に不明なキー colour があります" in out
    line = text.splitlines().index("code: 363413") + 1
    assert f"towns/ishii.yaml:{line}: code の 363413 が数値として読まれました" in out
    assert "towns/naka.yaml:" in out and "検査数字が合いません（363685 のはずです）" in out
    assert "towns/kamiyama.yaml:" in out and "membership guest は使えません" in out
    # All or nothing: a load with these files changes nothing.
    assert fitgap("load").exit_code == 1
    assert not db.is_current() or _no_towns(db)


def _no_towns(db: Database) -> bool:
    with db.session() as session:
        return catalog_queries.list_all_towns(session=session) == []


def test_left_needs_since_and_reason_and_only_with_membership_left(
    sample: Path, fitgap: Invoke, files: Path
) -> None:
    town = files / "towns" / "sample-a.yaml"
    write(town, town.read_text(encoding="utf-8").replace("  since: 2019-10-01\n", ""))
    member = files / "towns" / "naka.yaml"
    write(member, member.read_text(encoding="utf-8") + "left:\n  since: 2020-01-01\n  reason: x\n")
    result = fitgap("check")
    assert result.exit_code == 1
    assert "towns/sample-a.yaml:" in result.output and "left に必須のキー since" in result.output
    assert (
        "towns/naka.yaml:" in result.output and "left は membership が left のとき" in result.output
    )


def test_only_members_form_the_group_elsewhere(sample: Path, fitgap: Invoke, db: Database) -> None:
    demo_loaded(sample, fitgap)
    with db.session() as session:
        assert [t.id for t in catalog_queries.list_towns(session=session)] == MEMBERS
        assert len(catalog_queries.list_all_towns(session=session)) == 11
        terms = group_queries.get_terms(session=session)
    assert terms is not None and terms.split.population == 70
    data = json.loads(fitgap("score", "--format", "json").output)
    assert [t["id"] for t in data["towns"]] == MEMBERS


def _moderator(app: Flask, db: Database) -> FlaskClient:
    client = app.test_client()
    sign_in(client, db, "moderator", "moderator")
    return client


def test_the_page_refuses_bad_choices_with_a_400(
    app: Flask, sample: Path, fitgap: Invoke, db: Database
) -> None:
    demo_loaded(sample, fitgap)
    client = _moderator(app, db)
    page = client.get("/group?town=ishii&town=nowhere")
    assert page.status_code == 400 and "町ID nowhere は登録されていません" in page.text
    page = client.get("/group?years=0")
    assert page.status_code == 400 and "年数は 1〜50 の整数で入力してください" in page.text
    assert client.get("/group?scenario=99").status_code == 400
    ok = client.get("/group?town=ishii&town=naka&years=5")
    assert ok.status_code == 200 and "2町で共同利用した場合（5年間）" in ok.text


def test_the_page_polls_and_follows_mark_changes(
    app: Flask, sample: Path, fitgap: Invoke, db: Database, files: Path
) -> None:
    demo_loaded(sample, fitgap)
    client = _moderator(app, db)
    page = client.get("/group")
    start = page.text.index('hx-get="') + len('hx-get="')
    poll = page.text[start : page.text.index('"', start)].replace("&amp;", "&")
    assert client.get(poll, headers={"HX-Request": "true"}).status_code == 204
    # 石井町 stops a lone customization: its merit rises, and the poll redraws.
    before = json.loads(fitgap("group", "--format", "json").output)["merit"][0]["merit_yen"]
    marks = yaml.safe_load((files / "marks" / "ishii.yaml").read_text(encoding="utf-8"))
    lone = next(
        m["function"] for m in marks["marks"] if m["status"] == "customization" and "cost" in m
    )
    (files / "change.yaml").write_text(
        yaml.safe_dump(
            {
                "format": "fitgap-marks/1",
                "town": "ishii",
                "marks": [{"function": lone, "status": "workflow_change"}],
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    assert fitgap("marks", "import", "change.yaml").exit_code == 0
    redrawn = client.get(poll, headers={"HX-Request": "true"})
    assert redrawn.status_code == 200 and 'id="group-results"' in redrawn.text
    after = json.loads(fitgap("group", "--format", "json").output)["merit"][0]["merit_yen"]
    assert after > before


def test_saving_a_scenario_is_audited_and_replaces_by_name(
    app: Flask, sample: Path, fitgap: Invoke, db: Database
) -> None:
    demo_loaded(sample, fitgap)
    client = _moderator(app, db)
    token = csrf_token(client, "/group")
    form = {"csrf_token": token, "name": "  7町案 ", "town": MEMBERS + LATER_TO_LEAVE}
    saved = client.post("/group/scenarios", data=form)
    assert saved.status_code == 303
    again = client.post("/group/scenarios", data={**form, "town": MEMBERS, "years": "12"})
    assert again.status_code == 303
    with db.session() as session:
        scenarios = group_queries.list_scenarios(session=session)
        records = audit_queries.list_records(
            session=session, filters=audit_queries.AuditFilter(action="group.scenario_saved")
        )
    assert [(s.name, s.towns, s.years) for s in scenarios] == [("7町案", MEMBERS, 12)]
    assert len(records) == 2
    empty = client.post("/group/scenarios", data={"csrf_token": token, "name": "", "town": []})
    assert empty.status_code == 400 and "シナリオ名を入力してください" in empty.text
    unknown = client.post("/group/scenarios", data={**form, "town": ["nowhere"]})
    assert unknown.status_code == 400
    with db.session() as session:
        assert len(group_queries.list_scenarios(session=session)) == 1


def test_staff_cannot_open_the_group_page(
    app: Flask, sample: Path, fitgap: Invoke, db: Database
) -> None:
    demo_loaded(sample, fitgap)
    client = app.test_client()
    sign_in(client, db, "ishii", "staff", town="ishii")
    assert client.get("/group").status_code == 403
    assert "参加団体の検討" not in client.get("/").text  # not in the menu either
