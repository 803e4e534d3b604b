"""Helpers of the marking workspace's tests: their project (`prepare`), signing in as a
town's staff (`choose`), saving a mark as the grid does (`post_mark`) and reading it back."""

from __future__ import annotations

from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import TOWNS, make_catalog, make_marks, make_towns
from tests.helpers import Invoke, csrf_token, sign_in

HTMX = {"HX-Request": "true"}


def prepare(files: Path, fitgap: Invoke) -> None:
    """Six functions under two 大項目, four towns, a few marks (one divergent function)."""
    make_catalog(
        files,
        count=6,
        **{
            "0010001": {
                "path": ["異動", "届出", "転入"],
                "name": "転入届の受付",
                "text": "テンニュウの届出を受け付けること。",
            },
            "0010002": {"name": "転出届の受付"},
            "0010003": {"path": ["異動", "職権"], "requirement": "optional"},
            "0010004": {"path": ["証明", "住民票"], "text": "ＥＵＣで抽出できること。"},
            "0010005": {"path": ["証明", "住民票"]},
        },
    )
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(
        files,
        "ishii",
        {
            "0010001": {"status": "customization", "note": "行政区ごとに管理したい。"},
            "0010002": "fit",
        },
    )
    make_marks(files, "naka", {"0010001": "fit", "0010002": "fit"})
    make_marks(files, "kamiyama", {"0010004": "workflow_change"})
    imported = fitgap(
        "marks", "import", "marks/ishii.yaml", "marks/naka.yaml", "marks/kamiyama.yaml"
    )
    assert imported.exit_code == 0


def choose(client: FlaskClient, town_id: str) -> None:
    """Sign in as the town's staff (every area)."""
    database: Database = client.application.extensions["fitgap.store.db"]
    sign_in(client, database, town_id, "staff", town=town_id, name=f"{TOWNS[town_id][0]} 職員")


REASON = "標準の様式では窓口の運用に足りないため。"


def post_mark(
    client: FlaskClient,
    function_id: str,
    town_id: str,
    status: str,
    version: int,
    *,
    htmx: bool = True,
    **fields: str,
) -> TestResponse:
    """Post a mark; a customization carries a reason in its note unless `note` is given (a
    customization without one is refused, see test_a_customization_needs_a_reason)."""
    if status == "customization" and "note" not in fields:
        fields["note"] = REASON
    data = {"status": status, "version": str(version), "csrf_token": csrf_token(client), **fields}
    return client.post(
        f"/functions/{function_id}/marks/{town_id}", data=data, headers=HTMX if htmx else {}
    )


def current(db: Database, town_id: str, function_id: str) -> mark_queries.MarkState | None:
    with db.session() as read:
        return mark_queries.get_mark(session=read, town_id=town_id, function_id=function_id)
