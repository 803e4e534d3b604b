"""The score dashboard: numbers from the engine, heat map, asks with evidence, live updates."""

from __future__ import annotations

import re
from pathlib import Path

from flask.testing import FlaskClient

from conftest import Invoke, observe
from factories import make_catalog, make_marks, make_towns


def prepare(files: Path, fitgap: Invoke) -> None:
    make_catalog(files, count=5)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(
        files,
        "ishii",
        {
            "0010001": {
                "status": "customization",
                "note": "独自様式",
                "cost": {"initial_yen": 1_000_000, "annual_yen": 100_000},
            },
            "0010002": "fit",
        },
    )
    make_marks(files, "kamiyama", {"0010001": {"status": "workflow_change", "note": "EUCで代替"}})
    assert fitgap("marks", "import", "marks/ishii.yaml", "marks/kamiyama.yaml").exit_code == 0


def test_dashboard_shows_scores_asks_evidence_and_costs(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    response = client.get("/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    # One lone mandatory customization among 4 mandatory + 1 prohibited functions, 4 towns:
    # 7 units of 4² × (4 × 1 + 3) = 112, i.e. 6.25, shown rounded half up.
    assert "6.3<small> / 100</small>" in page
    assert "単独カスタマイズ" in page
    assert "石井町に0010001の業務見直しを依頼すると" in page
    assert "EUCで代替" in page  # the other town's evidence next to the ask
    assert "2,000,000円" in page  # 1,000,000 + 10 × 100,000
    ishii_row = re.search(r"<th scope=\"row\">石井町</th>(.*?)</tr>", page, re.S)
    assert ishii_row is not None and "heat-" in ishii_row.group(1)


def test_dashboard_polls_and_can_be_paused(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    live = client.get("/dashboard").get_data(as_text=True)
    assert 'hx-trigger="every 30s"' in live and "自動更新を止める" in live
    paused = client.get("/dashboard?live=0").get_data(as_text=True)
    assert "hx-trigger" not in paused and "自動更新を再開する" in paused
    fragment = client.get("/dashboard", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert fragment.startswith('<div id="scores"') and "<html" not in fragment


def test_dashboard_follows_mark_changes(files: Path, fitgap: Invoke, client: FlaskClient) -> None:
    prepare(files, fitgap)
    observe(client)
    make_marks(files, "ishii", {"0010001": {"status": "workflow_change", "note": "見直す"}})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    page = client.get("/dashboard").get_data(as_text=True)
    assert "0.0<small> / 100</small>" in page and "カスタマイズはありません" in page


def test_dashboard_filters(files: Path, fitgap: Invoke, client: FlaskClient) -> None:
    prepare(files, fitgap)
    observe(client)
    assert client.get("/dashboard?area=juki&split=population").status_code == 200
    assert client.get("/dashboard?split=weird").status_code == 200
    assert client.get("/dashboard?area=unknown").status_code == 404
