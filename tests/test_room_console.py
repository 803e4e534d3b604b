"""Issue 14: the room view without account controls and with each note once, the console's
htmx answers and move-to-top, the timer only on the current item, and a customization that
asks for its reason. (The browser side is in tests/browser/test_room_browser.py.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from fitgap.domain.values import Outcome, Status
from fitgap.store import meetings as meeting_queries
from fitgap.store.db import Database
from tests.helpers import Invoke, csrf_token, moderate
from tests.meetings import TOWNS, decide, item_of, new_meeting, post
from tests.workspace import choose, current, prepare

HTMX = {"HX-Request": "true"}


def agenda_ids(db: Database, meeting_id: int) -> list[str]:
    with db.session() as session:
        return [
            i.function_id for i in meeting_queries.agenda(session=session, meeting_id=meeting_id)
        ]


def htmx_post(client: FlaskClient, url: str, data: dict[str, str]) -> object:
    headers = {**HTMX, "X-CSRFToken": csrf_token(client, "/meetings")}
    return client.post(url, data=data, headers=headers)


# --- the room view ---------------------------------------------------------------------------


def test_the_room_shows_the_decision_first_each_note_once_and_no_account_controls(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    decide(
        db,
        meeting,
        "0010002",
        Outcome.ALL_WORKFLOW_CHANGE,
        {t: Status.WORKFLOW_CHANGE for t in TOWNS},
        summary="EUCで代替する",
        notes={
            "ishii": "窓口の様式をEUCで作る",
            "naka": "地区台帳をEUCで持つ",
            "higashimiyoshi": "EUCの様式を借りる",
        },
    )
    post(
        client, f"/meetings/{meeting}/current", data={"item": str(item_of(db, meeting, "0010002"))}
    )
    room = client.get(f"/meetings/{meeting}/room").text
    main = room.split('<main id="main"', 1)[1]
    # The decision comes before the requirement and the towns' table.
    assert main.index('class="decision-box"') < main.index('class="item-body"')
    assert "EUCで代替する" in main
    # Each town's note once: in the table, not again in an evidence list or the decision.
    assert main.count("地区台帳をEUCで持つ") == 1
    assert main.count("EUCで代替</p>") == 1  # 神山町's note from the marks file
    assert "他の町はこう運用しています" not in main
    # The projector shows no account controls, no menu and no language switch.
    header = room.split('<header class="site-header">', 1)[1].split("</header>", 1)[0]
    for control in ("/logout", "/password", "メインメニュー", 'class="language"'):
        assert control not in header, control
    # A participant's own page keeps them.
    follow = client.get(f"/meetings/{meeting}/follow?town=naka").text
    assert 'action="/logout"' in follow and "パスワード変更" in follow


def test_the_timer_runs_only_on_the_current_item(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    post(client, f"/meetings/{meeting}/current", data={"go": "next"})
    current = client.get(f"/meetings/{meeting}/console").text
    assert re.search(r'class="timer" data-elapsed="\d+" data-tick', current)
    # The moderator looks at another item: its timer stands still (nobody is on it).
    other = item_of(db, meeting, agenda_ids(db, meeting)[2])
    preview = client.get(f"/meetings/{meeting}/console?item={other}").text
    assert 'class="timer"' in preview and "data-tick" not in preview
    # A paused room view does not tick either; a live one does.
    assert "data-tick" not in client.get(f"/meetings/{meeting}/room?live=0").text
    assert "data-tick" in client.get(f"/meetings/{meeting}/room").text


# --- the console -----------------------------------------------------------------------------


def test_console_forms_answer_htmx_in_place_and_plain_posts_with_a_redirect(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    url = f"/meetings/{meeting}/current"
    plain = post(client, url, data={"go": "next"})
    assert plain.status_code == 303 and plain.headers["Location"].endswith("#current")
    swapped = htmx_post(client, url, {"go": "next"})
    body = swapped.get_data(as_text=True)  # type: ignore[attr-defined]
    assert swapped.status_code == 200  # type: ignore[attr-defined]
    assert body.startswith('\n<div id="console-body"') or body.lstrip().startswith(
        '<div id="console-body"'
    )
    assert "<html" not in body and "Location" not in swapped.headers  # type: ignore[attr-defined]
    assert 'hx-swap-oob="innerHTML">会議室の画面の議題を切り替えました。' in body
    second = agenda_ids(db, meeting)[1]
    assert re.search(r'<tr id="item-\d+" class="current" aria-current="step">', body)
    assert f">{second}</a>" in body.split('class="current"')[1].split("</tr>")[0]


def test_move_to_the_top_and_the_announcement_of_the_new_place(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    before = agenda_ids(db, meeting)
    last = before[-1]
    item = item_of(db, meeting, last)
    answer = htmx_post(client, f"/meetings/{meeting}/agenda/{item}", {"action": "top"})
    assert answer.status_code == 200  # type: ignore[attr-defined]
    assert agenda_ids(db, meeting) == [last, *before[:-1]]
    body = answer.get_data(as_text=True)  # type: ignore[attr-defined]
    assert f"{last} を 1 番目に移しました。" in body
    # The moved item's buttons keep their ids (htmx puts the focus back on the same one); at
    # the top, "to the top" and "up" say they do nothing but stay focusable.
    assert re.search(rf'id="top-{item}"[^>]*aria-disabled="true"', body)
    assert f'id="down-{item}"' in body and " disabled" not in body.split("<table")[1]
    # Already at the top: nothing changes; without htmx it is a redirect to the row.
    again = post(client, f"/meetings/{meeting}/agenda/{item}", data={"action": "top"})
    assert again.status_code == 303 and again.headers["Location"].endswith(f"#item-{item}")
    assert agenda_ids(db, meeting) == [last, *before[:-1]]


def test_a_refused_decision_shows_its_problems_in_the_decision_form(
    meeting_project: Path, db: Database, client: FlaskClient
) -> None:
    moderate(client)
    meeting = new_meeting(db)
    post(client, f"/meetings/{meeting}/current", data={"go": "next"})
    item = item_of(db, meeting, agenda_ids(db, meeting)[0])
    refused = htmx_post(
        client, f"/meetings/{meeting}/agenda/{item}/decision", {"outcome": "postponed"}
    )
    assert refused.status_code == 422  # type: ignore[attr-defined]
    form = refused.get_data(as_text=True).split('id="decision-form"')[1]  # type: ignore[attr-defined]
    assert 'role="alert"' in form.split("</form>")[0] and "継続協議とする理由" in form


# --- a customization needs its reason --------------------------------------------------------


@pytest.fixture
def grid(files: Path, fitgap: Invoke, client: FlaskClient) -> FlaskClient:
    prepare(files, fitgap)
    choose(client, "ishii")
    return client


def mark_of(db: Database, function_id: str) -> tuple[str, str | None]:
    state = current(db, "ishii", function_id)
    return (state.status, state.note) if state else ("undecided", None)


def test_a_customization_needs_a_reason(grid: FlaskClient, db: Database) -> None:
    url = "/functions/0010002/marks/ishii"
    token = csrf_token(grid)
    button = {"status": "customization", "version": "1", "csrf_token": token, "next": "/areas/juki"}
    # The grid's button (htmx): the row says why and links to the editor; nothing is saved.
    row = grid.post(url, data=button, headers=HTMX)
    page = row.get_data(as_text=True)
    assert row.status_code == 422
    assert 'id="reason-0010002"' in page and "カスタマイズには理由が必要です" in page
    assert "/functions/0010002?status=customization&amp;next=/areas/juki#my-mark" in page
    assert "標準の機能で足りない理由" in page  # announced in the live region
    assert mark_of(db, "0010002") == ("fit", None)
    # Without JavaScript: the function page's editor, customization chosen, the problem shown,
    # and saving goes back to the grid.
    plain = grid.post(url, data=button)
    page = plain.get_data(as_text=True)
    assert plain.status_code == 422 and "<html" in page
    assert 'value="customization" checked' in page and 'role="alert"' in page
    assert '<input type="hidden" name="next" value="/areas/juki">' in page
    # The editor with a blank note is refused too; with a reason it is saved.
    blank = {**button, "note": "  \n ", "context": "page"}
    assert grid.post(url, data=blank).status_code == 422
    assert mark_of(db, "0010002") == ("fit", None)
    reason = {**blank, "note": "窓口で様式を選べないため。"}
    assert grid.post(url, data=reason).status_code == 303
    assert mark_of(db, "0010002") == ("customization", "窓口で様式を選べないため。")
    # Other verdicts need no reason.
    other = {**button, "status": "workflow_change", "version": "2"}
    assert grid.post(url, data=other, headers=HTMX).status_code == 200


def test_a_customization_with_its_reason_can_be_pressed_again_in_the_grid(
    grid: FlaskClient, db: Database
) -> None:
    # 0010001 is 石井町's customization with a note (the marks file): the button keeps it.
    token = csrf_token(grid)
    again = grid.post(
        "/functions/0010001/marks/ishii",
        data={"status": "customization", "version": "1", "csrf_token": token},
        headers=HTMX,
    )
    assert again.status_code == 200
    assert mark_of(db, "0010001") == ("customization", "行政区ごとに管理したい。")


def test_the_editor_opens_with_customization_chosen_from_the_grids_link(
    grid: FlaskClient,
) -> None:
    page = grid.get("/functions/0010002?status=customization&next=/areas/juki").text
    assert 'value="customization" checked' in page
    assert '<input type="hidden" name="next" value="/areas/juki">' in page
    # An outside address is not followed back.
    page = grid.get("/functions/0010002?status=customization&next=https://example.com/").text
    assert 'name="next" value="https://example.com/"' not in page
    assert '<input type="hidden" name="next" value="/functions/0010002">' in page
