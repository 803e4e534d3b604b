"""The marking workspace: overview, grid, function page, saving marks, conflicts, filters."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import text
from werkzeug.exceptions import Forbidden

from fitgap import create_app
from fitgap.domain.risk.report import to_contract_json
from fitgap.domain.values import Status
from fitgap.services.scoring import scoreboard
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from fitgap.store.models import Role
from fitgap.web import authz
from fitgap.web.database import current_board
from tests.factories import make_catalog, make_marks
from tests.helpers import Invoke, csrf_token, observe, sign_in
from tests.workspace import HTMX, choose, current, post_mark, prepare

ALL = ["0010001", "0010002", "0010003", "0010004", "0010005", "0010006"]
# The grid's order: grouped under the headings where they first appear (0010006 sits under
# 異動 › 届出 with the first two), so each heading is shown once.
IN_GRID = ["0010001", "0010002", "0010006", "0010003", "0010004", "0010005"]


def token(client: FlaskClient) -> str:
    return csrf_token(client)


def _db(client: FlaskClient) -> Database:
    database: Database = client.application.extensions["fitgap.store.db"]
    return database


def shown_ids(page: str) -> list[str]:
    return re.findall(r'<th scope="row" id="f-(\d+)"', page)


# --- overview and the town selector ----------------------------------------------------------


def test_overview_shows_progress_divergence_and_my_undecided(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    page = client.get("/").get_data(as_text=True)
    assert "判定済 2 / 6" in page and "判定済 0 / 6" in page
    assert 'href="/areas/juki?divergent=1"' in page  # one divergent function, linked
    assert 'href="/areas/juki?status=customization&amp;town=ishii"' in page
    assert "mine=1" not in page
    choose(client, "ishii")
    page = client.get("/").get_data(as_text=True)
    assert "自分の町：石井町" in page
    assert 'href="/areas/juki?mine=1"' in page and "未判定 4 件を開く" in page


def test_the_town_comes_from_the_account_and_sign_in_goes_back_only_to_local_pages(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    # There is no town selector any more: the staff member's town is their account's.
    assert client.post("/town", data={"town_id": "ishii"}).status_code in (303, 404)
    sign_in(client, db, "ishii", "staff", town="ishii")
    assert client.post("/town", data={"town_id": "naka"}).status_code == 404
    client.post("/logout", data={"csrf_token": token(client)})
    # Where the user was is where signing in leads, never to another site.
    first = client.get("/areas/juki?q=x")
    assert first.status_code == 303
    assert first.headers["Location"] == "/login?next=/areas/juki?q%3Dx"
    csrf = csrf_token(client, "/login")
    form = {"login": "ishii", "password": "Test-Password-2026", "csrf_token": csrf}
    assert client.post("/login", data={**form, "csrf_token": "wrong"}).status_code == 400
    response = client.post("/login", data={**form, "next": "/areas/juki?q=x"})
    assert response.status_code == 303 and response.headers["Location"] == "/areas/juki?q=x"
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example/"):
        client.post("/logout", data={"csrf_token": token(client)})
        csrf = csrf_token(client, "/login")
        response = client.post("/login", data={**form, "csrf_token": csrf, "next": evil})
        assert response.headers["Location"] == "/", evil


# --- the grid --------------------------------------------------------------------------------


def test_grid_shows_headings_classes_badges_and_totals(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    response = client.get("/areas/juki")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert shown_ids(page) == IN_GRID
    assert page.count(">届出</button>") == 1 and page.count(">異動</button>") == 1
    # 大項目 as h2 and 中項目 as h3, each collapsible (button) with a no-JS link to filter by it
    assert re.search(r'<h2 class="group-heading">\s*<button[^>]*aria-expanded="true">異動', page)
    assert re.search(r'<h3 class="group-heading">\s*<button[^>]*>届出', page)
    assert re.search(r'<h3 class="group-heading">\s*<button[^>]*>職権', page)
    assert 'href="/areas/juki?path=%E8%A8%BC%E6%98%8E"' in page  # path=証明
    assert "標準オプション機能" in page and "実装不可機能" in page
    assert "単独カスタマイズ" in page and "リスク 21.9" in page  # 0010001: one town customizes
    assert 'id="area-totals"' in page and "相違のある機能" in page
    assert 'class="mark-form"' not in page  # an observer: read only
    assert "閲覧のみです。" in page


def test_only_the_chosen_towns_column_has_status_buttons(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    page = client.get("/areas/juki").get_data(as_text=True)
    assert page.count('class="mark-form"') == 6
    assert len(re.findall(r'action="/functions/\d+/marks/ishii"', page)) == 6
    assert "/marks/naka" not in page and "/marks/kamiyama" not in page
    assert 'aria-label="0010001 転入届の受付：石井町 の判定"' in page
    assert re.search(r'id="st-0010001-customization"[^>]*aria-pressed="true"', page)
    assert re.search(r'id="st-0010001-fit"[^>]*aria-pressed="false"', page)
    assert 'aria-label="適合"' in page and 'name="csrf_token"' in page
    assert 'name="version" value="1"' in page and 'name="version" value="0"' in page


FILTER_CASES: list[tuple[str, list[str]]] = [
    ("", IN_GRID),
    ("class=optional", ["0010003"]),
    ("class=prohibited&class=optional", ["0010006", "0010003"]),
    ("status=customization", ["0010001"]),
    ("status=fit&town=naka", ["0010001", "0010002"]),
    ("status=fit&town=kamiyama", []),
    ("status=undecided&town=naka", ["0010006", "0010003", "0010004", "0010005"]),
    ("divergent=1", ["0010001"]),
    ("custom=1", ["0010001"]),
    ("q=%EF%BE%83%EF%BE%9D%EF%BE%86%EF%BD%AD%EF%BD%B3", ["0010001"]),  # ﾃﾝﾆｭｳ
    ("q=%E3%81%A6%E3%82%93%E3%81%AB%E3%82%85%E3%81%86", ["0010001"]),  # てんにゅう
    ("q=euc", ["0010004"]),
    ("q=0010003", ["0010003"]),
    ("q=%E8%BB%A2%E5%87%BA+%E5%B1%8A", ["0010002"]),  # 転出 届: both words
    ("path=%E8%A8%BC%E6%98%8E", ["0010004", "0010005"]),  # 証明
    ("path=%E7%95%B0%E5%8B%95&path=%E5%B1%8A%E5%87%BA", ["0010001", "0010002", "0010006"]),
    ("class=bogus&status=nope&town=nowhere&divergent=yes", IN_GRID),
    ("mine=1", IN_GRID),  # not a town's staff: "my undecided" cannot apply
]


def test_filters_come_from_the_url(files: Path, fitgap: Invoke, client: FlaskClient) -> None:
    prepare(files, fitgap)
    observe(client)
    for query, expected in FILTER_CASES:
        response = client.get(f"/areas/juki?{query}")
        assert response.status_code == 200, query
        assert shown_ids(response.get_data(as_text=True)) == expected, query


def test_my_undecided_and_the_form_shows_the_filters(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    page = client.get("/areas/juki?mine=1&q=%E5%B1%8A&class=mandatory").get_data(as_text=True)
    assert shown_ids(page) == []  # ishii decided both 届 functions
    page = client.get("/areas/juki?mine=1&class=mandatory&status=workflow_change").get_data(
        as_text=True
    )
    assert shown_ids(page) == ["0010004"]
    assert 'name="mine" value="1" checked' in page
    assert 'name="class" value="mandatory" checked' in page
    assert 'name="status" value="workflow_change" checked' in page
    assert "6 件中 1 件が条件に合います" in page


def test_paging_keeps_the_filters(
    app: Flask, files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    app.config["PAGE_SIZE"] = 2
    prepare(files, fitgap)
    observe(client)
    page = client.get("/areas/juki?class=mandatory").get_data(as_text=True)
    assert shown_ids(page) == ["0010001", "0010002"]
    more = "/areas/juki?page=2&amp;class=mandatory"
    assert f'href="{more}"' in page and f'hx-get="{more}"' in page
    fragment = client.get("/areas/juki?page=2&class=mandatory", headers=HTMX)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.lstrip().startswith("<tr")
    assert shown_ids(body) == ["0010004", "0010005"]
    assert "証明" in body  # a new 大項目 starts on this page
    assert "more-rows" not in body  # four mandatory functions: two pages
    beyond = client.get("/areas/juki?page=3&class=mandatory", headers=HTMX).get_data(as_text=True)
    assert shown_ids(beyond) == [] and "more-rows" not in beyond
    page = client.get("/areas/juki?page=2").get_data(as_text=True)
    assert 'hx-get="/areas/juki?page=3"' in page  # no filters: the plain paging URL
    full = client.get("/areas/juki?page=2&class=mandatory").get_data(as_text=True)
    assert 'href="/areas/juki?class=mandatory">前のページ' in full


def test_the_filter_form_swaps_the_whole_grid(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    response = client.get("/areas/juki?divergent=1", headers={**HTMX, "HX-Target": "grid"})
    body = response.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="grid"') and "<html" not in body
    assert shown_ids(body) == ["0010001"]
    assert 'id="live" hx-swap-oob="innerHTML"' in body and "1 件の機能が条件に合います" in body
    empty = client.get("/areas/juki?q=zzz", headers={**HTMX, "HX-Target": "grid"})
    assert "条件に合う機能はありません" in empty.get_data(as_text=True)


# --- saving a status from the grid -----------------------------------------------------------


def test_a_status_change_updates_the_row_and_the_totals(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    response = post_mark(client, "0010002", "ishii", "customization", 1)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<tr id="row-0010002">')
    assert re.search(r'id="st-0010002-customization"[^>]*aria-pressed="true"', body)
    assert "単独カスタマイズ" in body  # the row's divergence badge is recomputed
    totals = re.search(r'<section id="area-totals"[^>]*hx-swap-oob="true".*?</section>', body, re.S)
    assert totals is not None
    assert re.search(
        r"カスタマイズ</th>\s*<td class=\"num\">0</td>\s*<td class=\"num mine\">2", totals.group(0)
    )
    assert "相違のある機能 <strong>2</strong>" in totals.group(0)
    assert 'id="live" hx-swap-oob="innerHTML"' in body and "保存しました" in body
    saved = current(db, "ishii", "0010002")
    assert saved is not None and saved.status == "customization" and saved.version == 2
    with db.session() as read:
        change = mark_queries.mark_history(session=read, function_id="0010002")[-1]
    assert (change.changed_by, change.source, change.version) == ("石井町 職員（ishii）", "web", 2)


def test_a_status_change_keeps_the_note_and_a_first_mark_starts_at_version_one(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    assert post_mark(client, "0010001", "ishii", "workflow_change", 1).status_code == 200
    saved = current(db, "ishii", "0010001")
    assert saved is not None and saved.note == "行政区ごとに管理したい。"
    assert post_mark(client, "0010005", "ishii", "fit", 0).status_code == 200
    first = current(db, "ishii", "0010005")
    assert first is not None and first.version == 1 and first.note is None


def test_a_status_change_without_javascript_goes_back_to_the_grid(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    response = post_mark(
        client, "0010002", "ishii", "workflow_change", 1, htmx=False, next="/areas/juki?q=%E5%B1%8A"
    )
    assert response.status_code == 303
    assert response.headers["Location"] == "/areas/juki?q=%E5%B1%8A#f-0010002"
    response = post_mark(
        client, "0010002", "ishii", "fit", 2, htmx=False, next="https://evil.example/"
    )
    assert response.headers["Location"] == "/areas/juki#f-0010002"


def test_a_stale_status_change_is_a_conflict_never_an_overwrite(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    assert post_mark(client, "0010002", "ishii", "customization", 1).status_code == 200
    # A second tab still shows version 1.
    response = post_mark(client, "0010002", "ishii", "not_applicable", 1)
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and body.lstrip().startswith('<tr id="row-0010002">')
    assert "ほかの人が先に変更しました" in body
    mine = re.search(r"あなた: <span class=\"badge status-(\w+)\"", body)
    theirs = re.search(r"現在: <span class=\"badge status-(\w+)\"", body)
    assert (
        mine and theirs and (mine.group(1), theirs.group(1)) == ("not_applicable", "customization")
    )
    assert "更新2回目 石井町 職員" in body and "autofocus" in body
    assert 'name="version" value="2"' in body
    assert re.search(r'name="status" value="not_applicable"[^>]*>自分の判定で上書き', body)
    assert 'hx-get="/functions/0010002/row' in body and "現在の判定のままにする" in body
    assert "area-totals" not in body  # nothing changed
    kept = current(db, "ishii", "0010002")
    assert kept is not None and (kept.status, kept.version) == ("customization", 2)
    # "Overwrite with mine" re-posts with the newer version.
    assert post_mark(client, "0010002", "ishii", "not_applicable", 2).status_code == 200
    overwritten = current(db, "ishii", "0010002")
    assert overwritten is not None and (overwritten.status, overwritten.version) == (
        "not_applicable",
        3,
    )


def test_a_retried_save_that_already_went_through_is_not_a_conflict(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    assert post_mark(client, "0010002", "ishii", "customization", 1).status_code == 200
    again = post_mark(client, "0010002", "ishii", "customization", 1)
    assert again.status_code == 200 and "保存しました" in again.get_data(as_text=True)
    with db.session() as read:
        assert len(mark_queries.mark_history(session=read, function_id="0010002")) == 3  # 2 + 1


def test_a_conflict_without_javascript_is_a_page_with_both_versions(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    assert post_mark(client, "0010001", "ishii", "fit", 1).status_code == 200
    response = post_mark(
        client, "0010001", "ishii", "workflow_change", 1, htmx=False, next="/areas/juki?custom=1"
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "<html" in page and "保存できませんでした" in page
    assert "あなたの内容" in page and "現在の内容" in page
    assert 'name="version" value="2"' in page and 'name="context" value="grid"' in page
    assert 'value="workflow_change" checked' in page
    # Only the status was sent, so the form keeps the note that is there now.
    assert "行政区ごとに管理したい。</textarea>" in page
    assert 'href="/areas/juki?custom=1"' in page  # keep theirs: back to where the user was


# --- who may change what ---------------------------------------------------------------------


def test_a_town_cannot_change_another_towns_marks(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    anonymous = client.post(
        "/functions/0010002/marks/ishii", data={"status": "fit", "version": "1"}, headers=HTMX
    )
    assert anonymous.status_code == 401 and anonymous.headers["HX-Redirect"].startswith("/login")
    choose(client, "naka")
    refused = post_mark(client, "0010002", "ishii", "customization", 1)
    assert refused.status_code == 403 and "この判定は変更できません" in refused.get_data(
        as_text=True
    )
    assert refused.headers["HX-Retarget"] == "#notice"
    page = post_mark(client, "0010002", "ishii", "customization", 1, htmx=False)
    assert page.status_code == 403 and "<html" in page.get_data(as_text=True)
    kept = current(db, "ishii", "0010002")
    assert kept is not None and (kept.status, kept.version) == ("fit", 1)
    assert post_mark(client, "0010002", "naka", "workflow_change", 1).status_code == 200


def _user(role: Role, town: str | None = None, areas: frozenset[str] | None = None) -> authz.User:
    return authz.User(
        id=1,
        login="someone",
        name="someone",
        role=role,
        town_id=town,
        all_areas=areas is None,
        area_ids=areas or frozenset(),
        must_change_password=False,
        password_expired=False,
    )


def test_the_authorization_decision_lives_in_one_place(app: Flask) -> None:
    with app.test_request_context():
        assert authz.current_town_id() is None and not authz.can_edit_marks("naka", "juki")
        g.user = _user(Role.STAFF, "naka")
        assert authz.current_town_id() == "naka"
        assert authz.can_edit_marks("naka", "juki") and not authz.can_edit_marks("ishii", "juki")
        assert not authz.is_correction("naka")
        authz.require_edit("naka", "juki")
        with pytest.raises(Forbidden):
            authz.require_edit("ishii", "juki")
        g.user = _user(Role.STAFF, "naka", frozenset({"kaigo"}))
        assert authz.can_edit_marks("naka", "kaigo") and not authz.can_edit_marks("naka", "juki")
        g.user = _user(Role.MODERATOR)
        assert authz.can_edit_marks("ishii", "juki") and authz.is_correction("ishii")
        assert authz.can_moderate() and not authz.can_administer()
        for role in (Role.OBSERVER, Role.ADMIN):
            g.user = _user(role)
            assert not authz.can_edit_marks("ishii", "juki") and not authz.can_moderate()
            assert authz.can_download_exports()
            with pytest.raises(Forbidden):
                authz.require_role(Role.MODERATOR)
        assert authz.can_administer()


def test_saving_needs_the_csrf_token_and_sound_input(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    url = "/functions/0010002/marks/ishii"
    assert client.post(url, data={"status": "fit", "version": "1"}).status_code == 400
    assert post_mark(client, "0010002", "ishii", "bogus", 1).status_code == 400
    assert post_mark(client, "0010002", "ishii", "fit", -1).status_code == 400
    assert (
        client.post(
            url, data={"status": "fit", "version": "x", "csrf_token": token(client)}
        ).status_code
        == 400
    )
    bad_cost = post_mark(
        client, "0010002", "ishii", "customization", 1, note="", cost_initial_yen="abc"
    )
    assert bad_cost.status_code == 400
    assert post_mark(client, "9999999", "ishii", "fit", 0).status_code == 404
    assert post_mark(client, "0010002", "nowhere", "fit", 0).status_code == 404


# --- one function ----------------------------------------------------------------------------


def test_function_page_shows_text_every_town_history_and_my_editor(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    page = client.get("/functions/0010001").get_data(as_text=True)
    assert "テンニュウの届出を受け付けること。" in page
    assert "行政区ごとに管理したい。" in page  # ishii's note, next to the other towns
    assert page.count('<span class="badge status-fit">適合</span>') >= 1
    assert "<textarea" not in page and "このアカウントは閲覧のみです。" in page
    assert 'href="/functions/0010002" rel="next"' in page
    assert "単独カスタマイズ" in page and "他の町の運用を紹介し" in page
    choose(client, "ishii")
    page = client.get("/functions/0010001").get_data(as_text=True)
    assert (
        '<textarea id="note" name="note"' in page and "行政区ごとに管理したい。</textarea>" in page
    )
    assert 'name="version" value="1"' in page and 'value="customization" checked' in page
    assert 'data-draft-key="fitgap-note:ishii:0010001"' in page
    fragment = client.get("/functions/0010001/editor", headers=HTMX).get_data(as_text=True)
    assert fragment.lstrip().startswith('<section id="my-mark"') and "<html" not in fragment
    assert client.get("/functions/0010001/editor").status_code == 303


def test_saving_from_the_editor_updates_every_part_of_the_page(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    response = post_mark(
        client,
        "0010002",
        "ishii",
        "customization",
        1,
        note="一行目\r\n- 二行目\r\n",
        cost_initial_yen="1,200,000",
        cost_annual_yen="150000",
        context="page",
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and body.lstrip().startswith('<section id="my-mark"')
    for part in ("function-summary", "town-marks", "history"):
        assert re.search(rf'id="{part}"[^>]*hx-swap-oob="true"', body), part
    assert "<li>二行目</li>" in body and 'name="version" value="2"' in body
    saved = current(db, "ishii", "0010002")
    assert saved is not None and saved.note == "一行目\n- 二行目"
    assert (saved.cost_initial_yen, saved.cost_annual_yen) == (1_200_000, 150_000)
    plain = post_mark(client, "0010002", "ishii", "fit", 2, htmx=False, note="", context="page")
    assert plain.status_code == 303 and plain.headers["Location"] == "/functions/0010002#my-mark"
    cleared = current(db, "ishii", "0010002")
    assert cleared is not None and cleared.note is None and cleared.cost_initial_yen is None


def test_a_stale_note_is_a_conflict_that_keeps_what_i_typed(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    fields = {"context": "page"}
    assert (
        post_mark(
            client, "0010001", "ishii", "customization", 1, note="相手の *A*", **fields
        ).status_code
        == 200
    )
    response = post_mark(
        client, "0010001", "ishii", "workflow_change", 1, note="私の **B**", **fields
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and body.lstrip().startswith('<section id="my-mark"')
    assert (
        "ほかの人が先に保存しました" in body and "石井町 職員（ishii） が変更を保存しました" in body
    )
    yours = re.search(r'id="yours-heading".*?</section>', body, re.S)
    theirs = re.search(r'id="theirs-heading".*?</section>', body, re.S)
    assert yours and "<strong>B</strong>" in yours.group(0) and "業務見直し" in yours.group(0)
    assert theirs and "<em>A</em>" in theirs.group(0) and "カスタマイズ" in theirs.group(0)
    assert "私の **B**</textarea>" in body and 'name="version" value="2"' in body
    assert "自分の内容で上書き" in body and 'hx-get="/functions/0010001/editor"' in body
    assert "town-marks" not in body  # nothing saved, nothing else to update
    kept = current(db, "ishii", "0010001")
    assert kept is not None and kept.note == "相手の *A*"
    assert (
        post_mark(
            client, "0010001", "ishii", "workflow_change", 2, note="私の **B**", **fields
        ).status_code
        == 200
    )
    mine = current(db, "ishii", "0010001")
    assert mine is not None and (mine.note, mine.version) == ("私の **B**", 3)


HOSTILE = (
    "**太字** <script>alert(1)</script> [x](javascript:alert(1)) "
    "<img src=x onerror=alert(1)> [ok](https://example.org/)"
)


def _harmless(html: str) -> None:
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert 'href="javascript:' not in html and "<img" not in html
    assert "<strong>太字</strong>" in html and 'href="https://example.org/"' in html


def test_notes_with_script_and_javascript_links_render_harmless(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    saved = post_mark(client, "0010002", "ishii", "fit", 1, note=HOSTILE, context="page")
    assert saved.status_code == 200
    _harmless(saved.get_data(as_text=True))
    page = client.get("/functions/0010002").get_data(as_text=True)
    _harmless(page.split('id="town-marks"')[1])
    preview = client.post(
        "/functions/0010002/preview",
        data={"note": HOSTILE, "status": "fit", "csrf_token": token(client)},
        headers=HTMX,
    ).get_data(as_text=True)
    assert preview.lstrip().startswith('<div id="note-preview"')
    _harmless(preview)
    grid = client.get("/areas/juki").get_data(as_text=True)
    assert "<script>alert" not in grid  # the note is only an escaped title attribute there


def test_preview_without_javascript_shows_the_page_with_my_draft(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    response = client.post(
        "/functions/0010002/preview",
        data={"note": "下書き **です**", "status": "workflow_change", "csrf_token": token(client)},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" in page
    assert "下書き **です**</textarea>" in page and "<strong>です</strong>" in page
    assert 'value="workflow_change" checked' in page
    saved = current(db, "ishii", "0010002")
    assert saved is not None and saved.status == "fit"  # a preview saves nothing


def test_the_row_fragment_and_its_fallback(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    body = client.get("/functions/0010001/row", headers=HTMX).get_data(as_text=True)
    assert body.lstrip().startswith('<tr id="row-0010001">') and shown_ids(body) == ["0010001"]
    fallback = client.get("/functions/0010001/row")
    assert fallback.status_code == 303 and fallback.headers["Location"] == "/areas/juki"
    assert client.get("/functions/9999999/row", headers=HTMX).status_code == 404


def test_every_htmx_request_has_a_plain_fallback(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    """Links keep their href and forms their action, so everything works without JavaScript."""
    prepare(files, fitgap)
    choose(client, "ishii")
    pages = [
        client.get(url).get_data(as_text=True)
        for url in ("/", "/areas/juki", "/areas/juki?page=1&q=x", "/functions/0010001")
    ]
    pages.append(post_mark(client, "0010002", "ishii", "customization", 5).get_data(as_text=True))
    tags = [
        tag
        for page in pages
        for tag in re.findall(r"<(?:a|form|button)\b[^>]*hx-(?:get|post)=[^>]*>", page)
    ]
    assert len(tags) > 10
    for tag in tags:
        if tag.startswith("<a"):
            assert " href=" in tag, tag
        elif tag.startswith("<form"):
            assert " action=" in tag and " method=" in tag, tag
        else:
            assert " formaction=" in tag, tag
    assert all("<script>" not in page and " onclick=" not in page for page in pages)


# --- scores stay current whoever writes ------------------------------------------------------


def test_kept_scoreboards_follow_changes_made_elsewhere(
    app: Flask, files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    client.get("/areas/juki")
    boards = app.extensions["fitgap.services.boards"]
    built = boards.rebuilds
    assert post_mark(client, "0010003", "ishii", "customization", 0).status_code == 200
    page = client.get("/areas/juki?custom=1").get_data(as_text=True)
    assert shown_ids(page) == ["0010001", "0010003"]
    assert boards.rebuilds == built  # our own save was applied to the kept board
    # Another process (the command line) changes marks, then the catalog.
    make_marks(files, "higashimiyoshi", {"0010004": "customization"})
    assert fitgap("marks", "import", "marks/higashimiyoshi.yaml").exit_code == 0
    page = client.get("/areas/juki?custom=1").get_data(as_text=True)
    assert shown_ids(page) == ["0010001", "0010003", "0010004"]
    assert boards.rebuilds == built  # the changed marks were found by the clock and applied
    make_catalog(files, count=6, **{"0010004": {"requirement": "prohibited"}})
    assert fitgap("load").exit_code == 0
    page = client.get("/areas/juki?divergent=1").get_data(as_text=True)
    assert "実装不可機能のカスタマイズ（違反）" in page
    assert boards.rebuilds == built + 1  # a new catalog edition: scored anew


def _history_per_area(db: Database) -> dict[str, int]:
    with db.session() as read:
        rows = read.execute(
            text(
                "SELECT f.area_id, COUNT(*) FROM mark_change h "
                "JOIN catalog_function f ON f.id = h.function_id GROUP BY f.area_id"
            )
        )
        return {row[0]: int(row[1]) for row in rows}


def _clocks(db: Database) -> dict[str, int]:
    with db.session() as read:
        rows = read.execute(text("SELECT area_id, changes FROM area_clock"))
        return {row[0]: int(row[1]) for row in rows}


def test_the_area_clock_counts_every_change_and_the_migration_counts_the_history(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    assert post_mark(client, "0010003", "ishii", "customization", 0).status_code == 200
    assert post_mark(client, "0010003", "ishii", "fit", 1).status_code == 200
    stale = post_mark(client, "0010003", "ishii", "workflow_change", 1)
    assert stale.status_code == 409  # refused: the clock does not move
    make_marks(files, "naka", {"0010001": "customization", "0010002": "fit"})  # one changed
    assert fitgap("marks", "import", "marks/naka.yaml").exit_code == 0
    # ishii 2 + naka 2 + kamiyama 1 imported, two web saves, one changed by the second import
    assert _clocks(db) == _history_per_area(db) == {"juki": 8}
    # A database from before the clocks: the migration counts the history already there.
    with db.write_engine.begin() as connection:
        command.downgrade(db.alembic_config(connection), "0003")
    db.upgrade()
    assert _clocks(db) == {"juki": 8}


def test_a_kept_board_is_scored_anew_when_the_history_does_not_account_for_the_clock(
    app: Flask, files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    client.get("/areas/juki")
    boards = app.extensions["fitgap.services.boards"]
    built, mismatches = boards.rebuilds, boards.mismatches
    with db.write() as write:  # a writer that raised the clock without any history
        write.execute(text("UPDATE area_clock SET changes = changes + 3"))
    assert post_mark(client, "0010005", "ishii", "customization", 0).status_code == 200
    assert (boards.rebuilds, boards.mismatches) == (built + 1, mismatches + 1)
    page = client.get("/areas/juki?custom=1").get_data(as_text=True)
    assert shown_ids(page) == ["0010001", "0010005"]
    assert boards.rebuilds == built + 1  # back on the clock: no more rebuilds


def test_kept_boards_of_two_processes_agree_with_scoring_afresh(
    settings: dict[str, Any], files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    """Two app instances on one database (two server processes) take turns saving marks;
    each one's kept board always equals the board scored from scratch."""
    prepare(files, fitgap)
    other_app = create_app(settings)
    other = other_app.test_client()
    choose(client, "ishii")
    choose(other, "naka")
    versions: dict[tuple[str, str], int] = {}
    with db.session() as read:
        for (town_id, function_id), mark in catalog_queries.marks_for_functions(
            session=read, function_ids=ALL
        ).items():
            versions[(town_id, function_id)] = mark.version
    statuses = ["fit", "workflow_change", "customization", "not_applicable"]
    for step in range(12):
        for browser, town_id in ((client, "ishii"), (other, "naka")):
            function_id = ALL[(step * 5 + len(town_id)) % len(ALL)]
            version = versions.get((town_id, function_id), 0)
            status = statuses[(step + len(town_id)) % len(statuses)]
            response = post_mark(browser, function_id, town_id, status, version)
            assert response.status_code == 200, response.text
            versions[(town_id, function_id)] = version + 1
            with db.session() as read:
                fresh = to_contract_json(scoreboard(session=read, area_id="juki"))
            for instance in (client.application, other_app):
                with instance.app_context(), db.session() as read:
                    kept = current_board(session=read, area_id="juki")
                assert to_contract_json(kept) == fresh, (step, town_id)
    assert other_app.extensions["fitgap.services.boards"].rebuilds == 1
    other_app.extensions["fitgap.store.db"].dispose()


def test_overview_divergence_counts_agree_with_the_risk_engine(
    sample: Path, fitgap: Invoke, db: Database
) -> None:
    assert fitgap("load").exit_code == 0
    marks = sorted(str(p) for p in (sample / "marks").glob("*.yaml"))
    assert fitgap("marks", "import", *marks).exit_code == 0
    with db.session() as read:
        counts = mark_queries.area_divergent_counts(session=read)
        board = scoreboard(session=read)
    expected = {
        area: sum(1 for d in board.divergences(area) if d.divergent) for area in board.area_ids
    }
    assert counts == {area: n for area, n in expected.items() if n}
    assert sum(counts.values()) > 10


def test_the_grid_offers_the_five_verdicts_in_shortcut_order() -> None:
    from fitgap.web.presenters.grid import STATUS_ORDER

    assert STATUS_ORDER[:3] == (Status.FIT, Status.WORKFLOW_CHANGE, Status.CUSTOMIZATION)
    assert set(STATUS_ORDER) == set(Status) and len(STATUS_ORDER) == 5


def test_the_workspace_renders_in_english(files: Path, fitgap: Invoke, client: FlaskClient) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    client.post("/language", data={"lang": "en", "csrf_token": token(client)})
    for url in ("/", "/areas/juki?divergent=1", "/functions/0010001"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en">' in response.get_data(as_text=True)
    saved = post_mark(client, "0010002", "ishii", "workflow_change", 1)
    assert saved.status_code == 200 and "Workflow change" in saved.get_data(as_text=True)


def test_the_history_names_each_change_in_words_and_counts_updates_not_editions(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    choose(client, "ishii")
    post_mark(
        client,
        "0010002",
        "ishii",
        "customization",
        1,
        note="様式を変えたい",
        context="page",
        cost_initial_yen="900000",
        cost_annual_yen="100000",
    )
    page = client.get("/functions/0010002").get_data(as_text=True)
    history = page[page.index('id="history"') :]
    # Where each change came from, in words (the prepared marks came from a marks file).
    assert "画面で入力" in history and "ファイルから取り込み" in history
    assert " · web</span>" not in history and " · import</span>" not in history
    # Revisions are counted as updates: 第N版 is how the standard specifications name editions.
    assert "更新2回目" in history and "第2版" not in page
    assert "初期 900,000円 / 年 100,000円" in page
    assert "時刻はすべて日本時間（JST）です。" in page

    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    client.post("/language", data={"lang": "en", "next": "/", "csrf_token": token.group(1)})
    english = client.get("/functions/0010002").get_data(as_text=True)
    history = english[english.index('id="history"') :]
    assert "entered on screen" in history and "imported from a file" in history
    assert "¥900,000" in english and "900,000円" not in english
    assert "All times are Japan time (JST)." in english
