"""Every route, as every role, GET and POST: the status each one gets.

The table below must name every endpoint of the app: a new route without an entry fails
`test_every_route_is_in_the_table`, so it cannot go live without being walked as every role.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.test import TestResponse

from fitgap.domain.meetings.minutes import ActionDraft, DecisionDraft
from fitgap.domain.values import AnswerKind, Outcome
from fitgap.domain.vendor import VendorAnswer
from fitgap.services import meetings, vendor
from fitgap.store import audit as audit_queries
from fitgap.store import catalog as catalog_queries
from fitgap.store import meetings as meeting_queries
from fitgap.store.db import Database
from fitgap.store.models import ActionItem
from fitgap.web import authz
from tests.factories import make_catalog, make_group, make_marks, make_towns
from tests.helpers import Invoke, csrf_token, make_account, sign_in

ROLES = ("anonymous", "ishii", "naka", "moderator", "observer", "admin", "vendor")
L = "login"  # redirected to the sign-in page

ANYONE = (L, 200, 200, 200, 200, 200, 200)  # the vendor too: the catalog, the requests
PROJECT = (L, 200, 200, 200, 200, 200, 403)  # every role but the vendor
MODERATOR = (L, 403, 403, 200, 403, 403, 403)
ADMIN = (L, 403, 403, 403, 403, 200, 403)
VENDOR = (L, 403, 403, 403, 403, 403, 200)
NO = (405,) * 7
READERS = (L, 403, 403, 200, 200, 403, 403)
Row = tuple[int | str, ...]

# endpoint: (GET, POST), each status in the order of ROLES. `ishii` is 石井町's staff for every
# area; `naka` is 那賀町's staff for 介護 (kaigo) only; the sample function is 住民記録 (juki).
EXPECTED: dict[str, tuple[Row, Row]] = {
    # The open action items: the project's people read them; an item's town's staff and the
    # moderator report it done (the walk sends no `done`: 400 proves it got past every check).
    "actions.index": (PROJECT, NO),
    "actions.report": (NO, (L, 400, 403, 400, 403, 403, 403)),
    "admin.account": (ADMIN, (L, 403, 403, 403, 403, 422, 403)),
    "admin.accounts": (ADMIN, NO),
    "admin.audit": (ADMIN, NO),
    "admin.audit_csv": (ADMIN, NO),
    "admin.disable": (NO, (L, 403, 403, 403, 403, 303, 403)),
    "admin.enable": (NO, (L, 403, 403, 403, 403, 303, 403)),
    "admin.new_account": (ADMIN, (L, 403, 403, 403, 403, 422, 403)),
    "admin.reset_password": (NO, (L, 403, 403, 403, 403, 200, 403)),
    "admin.unlock": (NO, (L, 403, 403, 403, 403, 303, 403)),
    "auth.health": ((200,) * 7, NO),
    "auth.keepalive": (NO, (L, 303, 303, 303, 303, 303, 303)),
    "auth.login": ((200, 302, 302, 302, 302, 302, 302), (200,) * 7),
    "auth.logout": (NO, (L,) * 7),  # signed out (or never in): to the sign-in page
    "auth.password": (ANYONE, (L, 422, 422, 422, 422, 422, 422)),
    "catalog.area": (ANYONE, NO),
    "catalog.editor": ((L, 303, 303, 303, 403, 403, 403), NO),
    "catalog.function": (ANYONE, NO),
    "catalog.overview": (ANYONE, NO),
    "catalog.preview": (NO, (L, 200, 200, 200, 403, 403, 403)),
    "catalog.row": ((L, 303, 303, 303, 303, 303, 303), NO),
    # A stale version (409) proves the save got past every check; a moderator's correction
    # without a reason is 422; another town's or another area's staff get 403.
    "catalog.save_mark": (NO, (L, 409, 403, 422, 403, 403, 403)),
    "dashboard.dashboard": (PROJECT, NO),
    "dashboard.definition": (PROJECT, NO),
    "dashboard.download": (PROJECT, NO),
    "language.switch": (NO, (303,) * 7),
    # The group page: the moderator and observers read it; only the moderator saves (the walk
    # sends no name: 400 proves it got past every check) and deletes scenarios.
    "group.page": (READERS, NO),
    "group.compare": (READERS, NO),
    "group.save_scenario": (NO, (L, 403, 403, 400, 403, 403, 403)),
    "group.delete_scenario": (NO, (L, 403, 403, 303, 403, 403, 403)),
    # The fit-gap matrix (the walk asks for CSV: one area's file, every area's zip): every
    # role, the vendor too (the read-only exports the project hands to the vendor).
    "exports.matrix": (ANYONE, NO),
    "exports.area_matrix": (ANYONE, NO),
    # The marking sheet of 石井町 for 住民記録: the project's people may download it (not the
    # vendor); only 石井町's staff may upload it (the walk sends no file: 400 proves it got past
    # every check).
    "sheets.download": (PROJECT, NO),
    "sheets.upload_form": ((L, 200, 403, 403, 403, 403, 403), (L, 400, 403, 403, 403, 403, 403)),
    "sheets.upload": ((L, 200, 403, 403, 403, 403, 403), (L, 400, 403, 403, 403, 403, 403)),
    "sheets.apply": (NO, (L, 400, 403, 403, 403, 403, 403)),
    "meetings.add_item": (NO, (L, 403, 403, 422, 403, 403, 403)),
    "meetings.all_minutes": (PROJECT, NO),
    "meetings.change_item": (NO, (L, 403, 403, 400, 403, 403, 403)),
    "meetings.console": (MODERATOR, NO),
    "meetings.console_changes": (MODERATOR, NO),
    "meetings.decide": (NO, (L, 403, 403, 422, 403, 403, 403)),
    # The decision log's files go to the vendor too; its pages (and the meetings) do not.
    "meetings.download": (ANYONE, NO),
    "meetings.download_all": (ANYONE, NO),
    "meetings.edit": (MODERATOR, (L, 403, 403, 422, 403, 403, 403)),
    "meetings.follow": (PROJECT, NO),
    "meetings.index": (PROJECT, NO),
    "meetings.live": (PROJECT, NO),
    "meetings.minutes": (PROJECT, NO),
    "meetings.new": (MODERATOR, (L, 403, 403, 422, 403, 403, 403)),
    "meetings.room": (PROJECT, NO),
    "meetings.set_current": (NO, (L, 403, 403, 400, 403, 403, 403)),
    "meetings.show": (PROJECT, NO),
    "static": ((200,) * 7, NO),
    # The vendor's pages: the requests are for everyone signed in; the answer sheet for the
    # vendor and the consultant; answering only the vendor (the walk sends an empty form: 400,
    # an empty upload: 400). Accepting an answer: 石井町's staff (a town that asks; the walk's
    # answer needs no customization), refused (409) when the mark is no longer customization.
    "vendor.requests": (ANYONE, NO),
    "vendor.sheet_download": ((L, 403, 403, 200, 403, 403, 200), NO),
    "vendor.answer_form": (VENDOR, (L, 403, 403, 403, 403, 403, 400)),
    "vendor.answer": (VENDOR, (L, 403, 403, 403, 403, 403, 400)),
    "vendor.upload_form": (VENDOR, (L, 403, 403, 403, 403, 403, 400)),
    "vendor.upload": (VENDOR, (L, 403, 403, 403, 403, 403, 400)),
    "vendor.apply": (NO, (L, 403, 403, 403, 403, 403, 400)),
    "vendor.accept": (NO, (L, 303, 403, 403, 403, 403, 403)),
}

# Form data sent with every POST (besides the CSRF token in the htmx header).
POST_DATA: dict[str, dict[str, str]] = {
    "catalog.save_mark": {"status": "fit", "version": "999"},
    "catalog.preview": {"note": "**メモ**", "status": "fit"},
    "vendor.accept": {"version": "1"},
}


@pytest.fixture
def walked(app: Flask, files: Path, fitgap: Invoke, db: Database) -> dict[str, Any]:
    """Two areas, four towns, a meeting with an agenda item, an account for each role and
    one more account for the administrator's buttons; returns the URL arguments."""
    make_catalog(files, "juki", count=3)
    make_catalog(files, "kaigo", count=2, prefix="002")
    make_towns(files)
    make_group(files)
    assert fitgap("load").exit_code == 0
    make_marks(files, "ishii", {"0010001": "customization", "0010002": "fit"})
    make_marks(files, "naka", {"0010001": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml", "marks/naka.yaml").exit_code == 0
    with db.write() as session:
        meeting = meetings.create_meeting(
            session=session,
            data=meeting_queries.MeetingInput(
                area_id="juki", held_on=date(2025, 4, 1), moderator="山本"
            ),
        )
        assert meeting.id is not None
        items = meeting_queries.agenda(session=session, meeting_id=meeting.id)
        assert items and items[0].id is not None
    with db.write() as session:
        decision = meetings.record_decision(
            session=session,
            meeting_id=meeting.id,
            item_id=items[0].id,
            draft=DecisionDraft(
                Outcome.POSTPONED,
                summary="次回に確認",
                actions=(ActionDraft("様式を確認する", "ishii"),),
            ),
            supersedes_id=None,
            actor=audit_queries.Actor(name="test", address=None),
        )
        action = session.scalars(
            select(ActionItem).where(ActionItem.decision_id == decision.id)
        ).one()
    target = make_account(db, "someone", "observer")
    with db.write() as session:
        answer = vendor.record_answer(
            session=session,
            answer=VendorAnswer(
                "0010001", AnswerKind.SETTING, "帳票設定画面の様式切替", date(2025, 5, 1)
            ),
            expected_id=0,
            source="web",
            actor=audit_queries.Actor(name="vendor", address=None),
        )
    return {
        "action_id": action.id,
        "answer_id": answer.id,
        "area_id": "juki",
        "function_id": "0010001",
        "town_id": "ishii",
        "meeting_id": meeting.id,
        "item_id": items[0].id,
        "kind": "csv",
        "list_name": "functions",
        "account_id": target,
        "filename": "fitgap.css",
        "scenario_id": 1,
    }


def _client(app: Flask, db: Database, role: str) -> FlaskClient:
    client = app.test_client()
    if role == "ishii":
        sign_in(client, db, "ishii", "staff", town="ishii")
    elif role == "naka":
        sign_in(client, db, "naka", "staff", town="naka", areas=("kaigo",))
    elif role != "anonymous":
        sign_in(client, db, role, role)
    return client


def _outcome(response: TestResponse) -> int | str:
    if response.status_code in (302, 303) and response.headers["Location"].startswith("/login"):
        return L
    return response.status_code


def _walk(
    app: Flask, db: Database, args: dict[str, Any], roles: tuple[str, ...] = ROLES
) -> dict[str, tuple[Row, Row]]:
    rules = {rule.endpoint: rule for rule in app.url_map.iter_rules()}
    found: dict[str, list[list[int | str]]] = {e: [[], []] for e in rules}
    # Signing out ends the walk of a role, so it comes last.
    order = sorted(rules, key=lambda endpoint: (endpoint == "auth.logout", endpoint))
    for role in roles:
        client = _client(app, db, role)
        token = csrf_token(client, "/login") if role == "anonymous" else csrf_token(client)
        for endpoint in order:
            rule = rules[endpoint]
            with app.test_request_context():
                url = url_for(endpoint, **{name: args[name] for name in rule.arguments})
            with client.get(url) as got:
                found[endpoint][0].append(_outcome(got))
            with client.post(
                url, data=POST_DATA.get(endpoint, {}), headers={"X-CSRFToken": token}
            ) as sent:
                found[endpoint][1].append(_outcome(sent))
    return {e: (tuple(g), tuple(p)) for e, (g, p) in found.items()}


def test_every_route_is_in_the_table(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert endpoints - set(EXPECTED) == set(), "walk the new route as every role: add it here"
    assert set(EXPECTED) - endpoints == set()


def test_every_view_declares_who_may_call_it(app: Flask) -> None:
    undeclared = [
        endpoint
        for endpoint, view in app.view_functions.items()
        if endpoint != "static" and authz.access_of(view) is None
    ]
    assert undeclared == []


def test_every_route_as_every_role(app: Flask, db: Database, walked: dict[str, Any]) -> None:
    found = _walk(app, db, walked)
    wrong = {
        endpoint: {"expected": EXPECTED[endpoint], "found": found[endpoint]}
        for endpoint in EXPECTED
        if found.get(endpoint) != EXPECTED[endpoint]
    }
    assert wrong == {}, "roles: " + ", ".join(ROLES)


def test_staff_on_their_own_town_in_an_area_not_theirs(
    app: Flask, db: Database, walked: dict[str, Any]
) -> None:
    """那賀町's staff on 那賀町 itself, in 住民記録 (assigned 介護 only): their own town opens no
    route their area does not; every route answers as it does for them on another town."""
    found = _walk(app, db, {**walked, "town_id": "naka"}, roles=("naka",))
    naka = ROLES.index("naka")
    assert found == {e: ((get[naka],), (post[naka],)) for e, (get, post) in EXPECTED.items()}


def test_a_view_without_a_declaration_is_refused(app: Flask, db: Database) -> None:
    def undeclared() -> str:
        return "should never be served"

    app.add_url_rule("/undeclared", "undeclared", undeclared)
    client = app.test_client()
    sign_in(client, db, "admin", "admin")
    assert client.get("/undeclared").status_code == 403


def test_the_wrong_town_and_the_wrong_area_change_nothing(
    app: Flask, db: Database, walked: dict[str, Any]
) -> None:
    naka = _client(app, db, "naka")
    token = csrf_token(naka)
    before = _marks(db)
    for function_id, town_id in (("0010001", "ishii"), ("0010001", "naka"), ("0020001", "ishii")):
        refused = naka.post(
            f"/functions/{function_id}/marks/{town_id}",
            data={"status": "customization", "version": "1", "note": "", "csrf_token": token},
        )
        assert refused.status_code == 403, (function_id, town_id)
    assert _marks(db) == before
    # Its own town in its own area goes through.
    saved = naka.post(
        "/functions/0020001/marks/naka",
        data={"status": "fit", "version": "0", "csrf_token": token},
    )
    assert saved.status_code == 303
    assert _marks(db)[("naka", "0020001")] == ("fit", 1)


def _marks(db: Database) -> dict[tuple[str, str], tuple[str, int]]:
    with db.session() as session:
        found = catalog_queries.marks_for_functions(
            session=session, function_ids=["0010001", "0010002", "0020001"]
        )
    return {key: (mark.status, mark.version) for key, mark in found.items()}
