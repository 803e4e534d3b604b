"""Accounts: signing in, lockout, sessions and the idle timeout, passwords, the CLI and the
administrators' pages."""

from __future__ import annotations

import re
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import update

from fitgap.services import meetings, passwords
from fitgap.store import accounts as account_queries
from fitgap.store import audit as audit_queries
from fitgap.store.db import Database
from fitgap.store.models import Account
from fitgap.web import authz
from tests.factories import make_catalog, make_towns
from tests.helpers import (
    PASSWORD,
    Invoke,
    csrf_token,
    login,
    make_account,
    observe,
    sign_in,
)

REFUSED = "ログインできませんでした。ログインIDとパスワードを確かめてください。"
HTMX = {"HX-Request": "true"}


def prepare(files: Path, fitgap: Invoke) -> None:
    make_catalog(files, "juki", count=3)
    make_catalog(files, "kaigo", count=2, prefix="002")
    make_towns(files)
    assert fitgap("load").exit_code == 0


def actions(db: Database) -> list[tuple[str, str | None, str | None]]:
    with db.session() as session:
        records = audit_queries.list_records(
            session=session, filters=audit_queries.AuditFilter(), limit=None
        )
    return [(r.action, r.actor, r.target) for r in reversed(records)]


def account(db: Database, login_id: str) -> Account:
    with db.session() as session:
        found = account_queries.get_by_login(session=session, login=login_id)
    assert found is not None
    return found


def set_account(db: Database, login_id: str, **values: Any) -> None:
    with db.write() as session:
        session.execute(update(Account).where(Account.login == login_id).values(**values))


# --- signing in ------------------------------------------------------------------------------


def test_signing_in_and_out(client: FlaskClient, db: Database) -> None:
    make_account(db, "moderator", "moderator", name="山本")
    assert client.get("/").headers["Location"] == "/login"
    response = login(client, "Moderator")  # login ids are not case sensitive
    assert response.status_code == 303 and response.headers["Location"] == "/"
    page = client.get("/").get_data(as_text=True)
    assert "山本" in page and "進行役" in page and "ログアウト" in page
    assert account(db, "moderator").last_login_at is not None
    out = client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert out.status_code == 303 and out.headers["Location"] == "/login"
    assert "ログアウトしました。" in client.get("/login").get_data(as_text=True)
    assert client.get("/").status_code == 303
    assert [a[:2] for a in actions(db)] == [("login", "moderator"), ("logout", "moderator")]


def test_every_refusal_says_the_same_and_costs_one_password_check(
    client: FlaskClient, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_account(db, "kept", "observer")
    make_account(db, "gone", "observer")
    make_account(db, "locked", "observer")
    with db.write() as session:
        account_queries.disable_account(session=session, account_id=account(db, "gone").id or 0)
    set_account(db, "locked", locked_until=datetime.now(UTC) + timedelta(minutes=5))
    checks: list[str] = []
    real = passwords.check_password_hash

    def counting(stored: str, password: str) -> bool:
        checks.append(password)
        return real(stored, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    for login_id, password in (
        ("nobody", PASSWORD),  # no such account
        ("kept", "Wrong-password-1"),
        ("gone", PASSWORD),  # disabled
        ("locked", PASSWORD),  # locked, even with the right password
    ):
        checks.clear()
        response = login(client, login_id, password)
        page = response.get_data(as_text=True)
        assert response.status_code == 200 and REFUSED in page, login_id
        assert len(checks) == 1, login_id  # the same work whether the account exists or not
        assert "ログアウト" not in page
    reasons = [a for a in actions(db) if a[0] == "login.failed"]
    assert [r[2] for r in reasons] == [
        "account:nobody",
        "account:kept",
        "account:gone",
        "account:locked",
    ]
    assert all(r[1] == "anonymous" for r in reasons)


def test_repeated_failures_lock_the_account_for_a_while(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    app.config.update(LOCKOUT_ATTEMPTS=3, LOCKOUT_MINUTES=15)
    make_account(db, "ishii-staff", "observer")
    for _ in range(2):
        login(client, "ishii-staff", "Wrong-password-1")
    assert account(db, "ishii-staff").failed_attempts == 2
    assert account(db, "ishii-staff").locked_until is None
    login(client, "ishii-staff", "Wrong-password-1")
    locked = account(db, "ishii-staff")
    # The count stays while locked; the first attempt after the lock starts it anew.
    assert locked.locked_until is not None and locked.failed_attempts == 3
    until = account_queries.aware(locked.locked_until)
    assert timedelta(minutes=14) < until - datetime.now(UTC) <= timedelta(minutes=15)
    assert "account.locked" in [a[0] for a in actions(db)]
    # The right password does not open a locked account, nor says that it is locked.
    refused = login(client, "ishii-staff")
    assert refused.status_code == 200 and REFUSED in refused.get_data(as_text=True)
    # Once the time is up it opens again, and the count starts anew.
    set_account(db, "ishii-staff", locked_until=datetime.now(UTC) - timedelta(seconds=1))
    assert login(client, "ishii-staff").status_code == 303
    assert account(db, "ishii-staff").failed_attempts == 0


def test_parallel_guesses_check_no_more_passwords_than_the_limit(
    app: Flask, db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """40 wrong passwords at once against the real database (a SQLite file, or PostgreSQL):
    every attempt is counted before its password is checked, so at most LOCKOUT_ATTEMPTS
    passwords are checked before the account locks (the review measured 12 of 5)."""
    app.config.update(LOCKOUT_ATTEMPTS=5, LOCKOUT_MINUTES=15)
    make_account(db, "target", "observer")
    stored = account(db, "target").password_hash
    checks: list[str] = []
    real = passwords.check_password_hash
    guarded = threading.Lock()

    def counting(stored_hash: str, password: str) -> bool:
        if stored_hash == stored:  # a real check (not the dummy one of a refused attempt)
            with guarded:
                checks.append(password)
            time.sleep(0.05)  # a slow hash, as scrypt is: widens the window a race needs
        return real(stored_hash, password)

    monkeypatch.setattr(passwords, "check_password_hash", counting)
    clients = [app.test_client() for _ in range(40)]
    tokens = [csrf_token(client, "/login") for client in clients]
    start = threading.Barrier(len(clients))
    statuses: list[int] = []

    def guess(client: FlaskClient, token: str, number: int) -> None:
        start.wait()
        form = {"login": "target", "password": f"Wrong-guess-{number}", "csrf_token": token}
        answer = client.post("/login", data=form)
        with guarded:
            statuses.append(answer.status_code)

    threads = [
        threading.Thread(target=guess, args=(client, token, number))
        for number, (client, token) in enumerate(zip(clients, tokens, strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * 40  # every one refused
    assert len(checks) == 5
    assert account(db, "target").locked_until is not None
    assert [a[0] for a in actions(db)].count("account.locked") == 1
    # Locked: even the right password is not checked against the account.
    checks.clear()
    assert login(app.test_client(), "target").status_code == 200
    assert checks == []


def test_a_success_resets_the_count(app: Flask, client: FlaskClient, db: Database) -> None:
    app.config["LOCKOUT_ATTEMPTS"] = 3
    make_account(db, "someone", "observer")
    login(client, "someone", "Wrong-password-1")
    login(client, "someone", "Wrong-password-1")
    assert login(client, "someone").status_code == 303
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    login(client, "someone", "Wrong-password-1")
    login(client, "someone", "Wrong-password-1")
    assert account(db, "someone").locked_until is None


def test_the_session_cookie(app: Flask, db: Database) -> None:
    make_account(db, "someone", "observer")
    plain = app.test_client()
    response = login(plain, "someone")
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie  # no "remember me"
    assert "Secure" not in cookie  # plain HTTP (an intranet without TLS)
    secure = app.test_client()
    https = "https://localhost"
    page = secure.get("/login", base_url=https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    form = {"login": "someone", "password": PASSWORD, "csrf_token": token.group(1)}
    # Over HTTPS, Flask-WTF also wants a same-site Referer (browsers send it: same-origin).
    assert secure.post("/login", data=form, base_url=https).status_code == 400
    referer = {"Referer": f"{https}/login"}
    response = secure.post("/login", data=form, base_url=https, headers=referer)
    assert response.status_code == 303 and "Secure" in response.headers["Set-Cookie"]


# --- the idle timeout ------------------------------------------------------------------------


def age_session(client: FlaskClient, seconds: float, key: str = authz.SESSION_SEEN) -> None:
    with client.session_transaction() as stored:
        stored[key] = time.time() - seconds


def test_the_idle_timeout_signs_out_and_says_why(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    observe(client)
    age_session(client, 29 * 60)
    assert client.get("/areas/juki").status_code == 200  # still in time, and active again
    age_session(client, 31 * 60)
    response = client.get("/areas/juki?q=x")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/areas/juki?q%3Dx"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "一定時間操作がなかったため、ログアウトしました。" in page
    assert client.get("/").status_code == 303  # the session is gone, not just refused once


def test_htmx_requests_after_the_timeout_go_to_the_sign_in_page(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    age_session(client, 31 * 60)
    response = client.get(
        "/dashboard", headers={**HTMX, "HX-Current-URL": "http://localhost/dashboard?area=juki"}
    )
    assert response.status_code == 401
    assert response.headers["HX-Redirect"] == "/login?next=/dashboard?area%3Djuki"


def test_automatic_refreshes_do_not_keep_the_session_alive(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    observe(client)
    from datetime import date

    from fitgap.store import meetings as meeting_queries

    with db.write() as session:
        meeting = meetings.create_meeting(
            session=session,
            data=meeting_queries.MeetingInput(
                area_id="juki", held_on=date(2025, 4, 1), moderator="山"
            ),
        )
    age_session(client, 20 * 60)
    with client.session_transaction() as stored:
        seen = stored[authz.SESSION_SEEN]
    for url in ("/dashboard", f"/meetings/{meeting.id}/live?v=0"):
        polled = client.get(url, headers=HTMX)
        assert polled.status_code == 200, url
        remaining = int(polled.headers["X-Fitgap-Idle-Remaining"])
        assert 9 * 60 <= remaining <= 10 * 60
        with client.session_transaction() as stored:
            assert stored[authz.SESSION_SEEN] == seen, url
    # The same page opened by the user is activity.
    opened = client.get("/dashboard")
    assert int(opened.headers["X-Fitgap-Idle-Remaining"]) >= 29 * 60
    age_session(client, 31 * 60)
    assert client.get("/dashboard", headers=HTMX).status_code == 401  # polls end too


def test_the_page_warns_before_the_timeout_and_can_stay_signed_in(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'data-idle-remaining="1[78]\d\d" data-idle-warning="120"', page)
    assert 'id="idle-warning"' in page and 'action="/session/keepalive"' in page
    age_session(client, 28 * 60)
    kept = client.post("/session/keepalive", headers={**HTMX, "X-CSRFToken": csrf_token(client)})
    assert kept.status_code == 204 and int(kept.headers["X-Fitgap-Idle-Remaining"]) >= 1790
    plain = client.post(
        "/session/keepalive", data={"csrf_token": csrf_token(client), "next": "/areas/juki"}
    )
    assert plain.status_code == 303 and plain.headers["Location"] == "/areas/juki"


def test_sessions_end_after_session_max_hours(
    app: Flask, files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    # Both sides of the 12 hours: still signed in a minute before, signed out a minute after.
    age_session(client, 12 * 3600 - 60, authz.SESSION_SINCE)
    assert client.get("/").status_code == 200
    age_session(client, 12 * 3600 + 60, authz.SESSION_SINCE)
    assert client.get("/").status_code == 303


def test_disabling_or_resetting_an_account_ends_its_sessions(
    files: Path, fitgap: Invoke, app: Flask, db: Database
) -> None:
    prepare(files, fitgap)
    first, second = app.test_client(), app.test_client()
    sign_in(first, db, "ishii", "staff", town="ishii")
    sign_in(second, db, "ishii", "staff", town="ishii")
    with db.write() as session:
        account_queries.set_password(
            session=session,
            account_id=account(db, "ishii").id or 0,
            password_hash=passwords.hash_password("Another-Pass-2026", "pbkdf2:sha256:1"),
            must_change_password=False,
        )
    for client in (first, second):
        response = client.get("/")
        assert response.status_code == 303
        page = client.get("/login").get_data(as_text=True)
        assert "アカウントが変更されたため" in page
    sign_in_again = login(first, "ishii", "Another-Pass-2026")
    assert sign_in_again.status_code == 303
    result = fitgap("user", "disable", "ishii")
    assert result.exit_code == 0, result.output
    assert first.get("/").status_code == 303
    assert login(first, "ishii", "Another-Pass-2026").status_code == 200  # refused


# --- passwords -------------------------------------------------------------------------------


def test_a_password_set_by_someone_else_must_be_changed_first(
    files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    make_account(db, "ishii", "staff", town="ishii", must_change=True)
    response = login(client, "ishii")
    assert response.status_code == 303 and response.headers["Location"] == "/account/password"
    for url in ("/", "/areas/juki", "/dashboard"):
        assert client.get(url).headers["Location"] == "/account/password", url
    htmx = client.get("/areas/juki", headers=HTMX)
    assert htmx.status_code == 401 and htmx.headers["HX-Redirect"] == "/account/password"
    page = client.get("/account/password").get_data(as_text=True)
    assert "管理者が設定したパスワードです" in page
    token = csrf_token(client, "/account/password")

    def change(current: str, new: str, repeat: str | None = None) -> Any:
        return client.post(
            "/account/password",
            data={"current": current, "new": new, "repeat": repeat or new, "csrf_token": token},
        )

    wrong = change("Wrong-password-1", "Brand-New-Pass-77")
    assert wrong.status_code == 422 and "今のパスワードが違います。" in wrong.get_data(as_text=True)

    def problems(response: Any) -> str:
        found = re.search(r'id="password-problems">(.*?)</div>', response.get_data(as_text=True))
        assert response.status_code == 422 and found is not None
        return found.group(1)

    assert "12 文字以上" in problems(change(PASSWORD, "Sh0rt-x"))
    assert "3 種類以上" in problems(change(PASSWORD, "onlylowercaseletters"))
    assert "ログインIDを含めないで" in problems(change(PASSWORD, "Ishii-Pass-2026x"))
    assert "一致しません" in problems(change(PASSWORD, "Brand-New-Pass-77", "Other-Pass-77"))
    assert "今と違う" in problems(change(PASSWORD, PASSWORD))
    done = change(PASSWORD, "Brand-New-Pass-77")
    assert done.status_code == 200 and "パスワードを変更しました" in done.get_data(as_text=True)
    assert client.get("/areas/juki").status_code == 200
    assert not account(db, "ishii").must_change_password
    assert "password.changed" in [a[0] for a in actions(db)]
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    assert login(client, "ishii").status_code == 200  # the old password is gone
    assert login(client, "ishii", "Brand-New-Pass-77").status_code == 303


def test_an_expired_password_must_be_changed(
    app: Flask, files: Path, fitgap: Invoke, client: FlaskClient, db: Database
) -> None:
    prepare(files, fitgap)
    app.config["PASSWORD_MAX_AGE_DAYS"] = 90
    make_account(db, "someone", "observer")
    set_account(db, "someone", password_changed_at=datetime.now(UTC) - timedelta(days=91))
    assert login(client, "someone").headers["Location"] == "/account/password"
    assert "有効期限が切れました" in client.get("/account/password").get_data(as_text=True)
    set_account(db, "someone", password_changed_at=datetime.now(UTC) - timedelta(days=89))
    assert client.get("/").status_code == 200


def test_passwords_are_hashed_with_scrypt_unless_configured(app: Flask) -> None:
    from fitgap.web.config import SECURITY_DEFAULTS

    assert SECURITY_DEFAULTS["PASSWORD_HASH_METHOD"] == "scrypt"
    stored = passwords.hash_password("Ｓｅｃｒｅｔ－２０２６ａ", "scrypt")
    assert stored.startswith("scrypt:") and "Secret" not in stored
    assert passwords.check_password(stored, "Secret-2026a")  # full-width typed is the same
    assert not passwords.check_password(stored, "Secret-2026b")
    assert not passwords.check_password(stored, "x" * 10_000)
    generated = passwords.generate_password(passwords.policy_from_config(app.config))
    assert passwords.policy_from_config(app.config).problems(generated) == []


# --- the command line ------------------------------------------------------------------------


def test_user_commands(files: Path, fitgap: Invoke, db: Database) -> None:
    prepare(files, fitgap)
    typed = "Strong-Pass-2026\nStrong-Pass-2026\n"  # asked twice at a hidden prompt
    added = fitgap(
        "user", "add", "ishii-juki", "--name", "石井町 住民課", "--role", "staff",
        "--town", "ishii", "--area", "juki", input=typed,
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "Strong-Pass-2026" not in added.output
    created = account(db, "ishii-juki")
    assert created.must_change_password and created.password_hash.startswith("pbkdf2:")
    with db.session() as session:
        areas = account_queries.account_areas(session=session, account_id=created.id or 0)
    assert areas == {"juki"}
    # A mistyped confirmation is asked again.
    retyped = "Strong-Pass-2026\nOther-Pass-2026\n" + typed
    mismatch = fitgap(
        "user", "add", "moderator", "--name", "山本", "--role", "moderator", input=retyped
    )
    assert mismatch.exit_code == 0, mismatch.output
    stdin = ("--password-stdin",)
    weak = fitgap("user", "add", "obs", "--name", "x", "--role", "observer", *stdin, input="weak\n")
    assert weak.exit_code == 1 and "12 文字以上" in weak.output
    no_town = fitgap(
        "user", "add", "someone", "--name", "x", "--role", "staff", *stdin, input=typed
    )
    assert no_town.exit_code == 1 and "町を指定してください" in no_town.output
    again = fitgap(
        "user", "add", "ISHII-JUKI", "--name", "x", "--role", "observer", *stdin, input=typed
    )
    assert again.exit_code == 1 and "すでに使われています" in again.output
    assert fitgap("user", "add", "x", "--name", "x", "--role", "boss").exit_code == 2
    # A password is never an argument: there is no option for it.
    on_the_line = fitgap(
        "user", "add", "x", "--name", "x", "--role", "observer", "--password", "Strong-Pass-2026"
    )
    assert on_the_line.exit_code == 2 and "No such option" in on_the_line.output
    listed = fitgap("user", "list")
    assert listed.exit_code == 0
    assert "ishii-juki\tstaff\tishii\tjuki\t有効\t石井町 住民課" in listed.output
    assert "moderator\tmoderator\t-\t-\t有効\t山本" in listed.output
    assert fitgap("user", "disable", "ishii-juki").exit_code == 0
    assert "無効" in fitgap("user", "list").output
    assert fitgap("user", "enable", "ishii-juki").exit_code == 0
    assert fitgap("user", "disable", "nobody").exit_code == 1
    reset = fitgap("user", "reset-password", "moderator", *stdin, input="Newer-Pass-2026\n")
    assert reset.exit_code == 0, reset.output
    assert account(db, "moderator").must_change_password
    recorded = actions(db)
    assert recorded[0][0] == "catalog.loaded"
    assert {a[0] for a in recorded} >= {
        "account.created",
        "account.disabled",
        "account.enabled",
        "account.password_reset",
    }
    assert all(a[1] and a[1].startswith("cli:") for a in recorded)


def test_the_last_administrator_stays(files: Path, fitgap: Invoke, db: Database) -> None:
    prepare(files, fitgap)
    make_account(db, "admin", "admin")
    result = fitgap("user", "disable", "admin")
    assert result.exit_code == 1 and "管理者が 1 人もいなくなる" in result.output
    make_account(db, "second", "admin")
    assert fitgap("user", "disable", "admin").exit_code == 0


# --- the administrators' pages ---------------------------------------------------------------


def test_an_administrator_manages_accounts_on_the_web(
    files: Path, fitgap: Invoke, app: Flask, db: Database
) -> None:
    prepare(files, fitgap)
    admin = app.test_client()
    sign_in(admin, db, "admin", "admin")
    token = csrf_token(admin, "/admin/accounts")
    form = {
        "login": "naka-kaigo",
        "display_name": "那賀町 保健福祉課",
        "role": "staff",
        "town_id": "naka",
        "area": "kaigo",
        "csrf_token": token,
    }
    bad = admin.post("/admin/accounts/new", data={**form, "town_id": ""})
    assert bad.status_code == 422 and "町を指定してください" in bad.get_data(as_text=True)
    made = admin.post("/admin/accounts/new", data=form)
    page = made.get_data(as_text=True)
    assert made.status_code == 200 and "アカウント naka-kaigo を作りました" in page
    issued = re.search(r'<code class="issued-password">([^<]+)</code>', page)
    assert issued is not None
    created = account(db, "naka-kaigo")
    assert created.must_change_password
    # The new staff member signs in with it and must choose their own password first.
    staff = app.test_client()
    assert login(staff, "naka-kaigo", issued.group(1)).headers["Location"] == "/account/password"
    # Areas are assigned on the account's page; the change is audited.
    changed = admin.post(
        f"/admin/accounts/{created.id}",
        data={**form, "area": ["kaigo", "juki"]},
    )
    assert changed.status_code == 303
    with db.session() as session:
        areas = account_queries.account_areas(session=session, account_id=created.id or 0)
    assert areas == {"kaigo", "juki"}
    reset = admin.post(f"/admin/accounts/{created.id}/reset-password", data={"csrf_token": token})
    assert "パスワードを再発行しました" in reset.get_data(as_text=True)
    assert staff.get("/").status_code == 303  # the reset ended the staff member's session
    assert (
        admin.post(f"/admin/accounts/{created.id}/disable", data={"csrf_token": token}).status_code
        == 303
    )
    assert account(db, "naka-kaigo").disabled_at is not None
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert "naka-kaigo" in listing and "無効" in listing
    own = account(db, "admin")
    refused = admin.post(f"/admin/accounts/{own.id}/disable", data={"csrf_token": token})
    assert refused.status_code == 422 and "自分のアカウントは無効にできません" in refused.get_data(
        as_text=True
    )
    recorded = [a[0] for a in actions(db) if a[1] == "admin"]
    assert recorded == [
        "login",
        "account.created",
        "account.updated",
        "account.password_reset",
        "account.disabled",
    ]
    with db.session() as session:
        records = audit_queries.list_records(
            session=session, filters=audit_queries.AuditFilter(action="account.updated")
        )
    assert records[0].details == {"areas": [["kaigo"], ["juki", "kaigo"]]}


def test_the_sign_in_page_explains_the_first_administrator_and_the_demo(
    app: Flask, client: FlaskClient, db: Database
) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert 'fitgap user add admin --role admin --name "情報政策課 管理者"' in page
    assert "デモ用のアカウント" not in page
    make_account(db, "admin", "admin")
    page = client.get("/login").get_data(as_text=True)
    assert "fitgap user add" not in page
    app.config["DEMO_ACCOUNTS"] = [{"login": "x", "password": "p", "role": "admin", "name": "n"}]
    assert "デモ用のアカウント" not in client.get("/login").get_data(as_text=True)
    app.config["DEMO"] = True
    assert "デモ用のアカウント" in client.get("/login").get_data(as_text=True)


def test_signing_out_ends_the_session_on_the_server(app: Flask, db: Database) -> None:
    make_account(db, "someone", "observer")
    client, elsewhere = app.test_client(), app.test_client()
    assert login(client, "someone").status_code == 303
    assert login(elsewhere, "someone").status_code == 303
    cookie = client.get_cookie("fitgap_session")
    assert cookie is not None
    copied = app.test_client()
    copied.set_cookie("fitgap_session", cookie.value)
    assert copied.get("/").status_code == 200  # the copy works while the session lasts
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    # A copy of the cookie taken before signing out no longer signs anyone in ...
    replayed = copied.get("/")
    assert replayed.status_code == 303 and replayed.headers["Location"] == "/login"
    # ... and signing out ends the account's sessions on the other PCs too.
    assert elsewhere.get("/").status_code == 303
    assert login(client, "someone").status_code == 303
    assert client.get("/").status_code == 200
