"""Web security: CSRF on every change, security headers, friendly error pages, size limits,
no debug pages, the proxy setting, and no inline script anywhere."""

from __future__ import annotations

import http.client
import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from flask import Flask, request
from flask.testing import FlaskClient

from fitgap import create_app
from fitgap.store import audit as audit_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from fitgap.web.app import CONTENT_SECURITY_POLICY
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import REPO, Invoke, csrf_token, login, make_account, sign_in

HTMX = {"HX-Request": "true"}
EXPIRED = "画面の有効期限が切れました"


@pytest.fixture
def staff(files: Path, fitgap: Invoke, client: FlaskClient, db: Database) -> FlaskClient:
    """石井町's staff signed in, on three functions with one mark."""
    make_catalog(files, count=3)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(files, "ishii", {"0010001": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    sign_in(client, db, "ishii", "staff", town="ishii")
    return client


def mark(db: Database) -> tuple[str, int]:
    with db.session() as session:
        found = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
    assert found is not None
    return found.status, found.version


# --- CSRF ------------------------------------------------------------------------------------


def test_a_form_post_needs_the_right_csrf_token(staff: FlaskClient, db: Database) -> None:
    url = "/functions/0010001/marks/ishii"
    form = {"status": "workflow_change", "version": "1"}
    for token in (None, "wrong", csrf_token(staff) + "x"):
        data = form if token is None else {**form, "csrf_token": token}
        response = staff.post(url, data=data)
        page = response.get_data(as_text=True)
        assert response.status_code == 400, token
        assert EXPIRED in page and "<html" in page and "Traceback" not in page
        assert "The CSRF" not in page  # Flask-WTF's English reason is not shown
    assert mark(db) == ("fit", 1)
    saved = staff.post(url, data={**form, "csrf_token": csrf_token(staff)})
    assert saved.status_code == 303 and mark(db) == ("workflow_change", 2)


def test_an_htmx_post_sends_the_token_in_a_header(staff: FlaskClient, db: Database) -> None:
    url = "/functions/0010001/marks/ishii"
    form = {"status": "workflow_change", "version": "1"}
    for headers in (HTMX, {**HTMX, "X-CSRFToken": "wrong"}):
        response = staff.post(url, data=form, headers=headers)
        body = response.get_data(as_text=True)
        assert response.status_code == 400
        assert response.headers["HX-Retarget"] == "#notice"
        assert response.headers["HX-Reswap"] == "innerHTML"
        assert "この操作を受け付けられませんでした" in body and "<html" not in body
    assert mark(db) == ("fit", 1)
    good = {**HTMX, "X-CSRFToken": csrf_token(staff)}
    assert staff.post(url, data=form, headers=good).status_code == 200
    assert mark(db) == ("workflow_change", 2)


def test_a_token_from_an_earlier_session_is_refused_kindly(
    staff: FlaskClient, db: Database
) -> None:
    old = csrf_token(staff)
    staff.post("/logout", data={"csrf_token": old})
    sign_in(staff, db, "ishii", "staff")  # a new session: the old page's token is stale
    response = staff.post(
        "/functions/0010001/marks/ishii",
        data={"status": "customization", "version": "1", "csrf_token": old},
    )
    assert response.status_code == 400 and EXPIRED in response.get_data(as_text=True)
    assert mark(db) == ("fit", 1)


def test_every_form_of_every_page_carries_the_token(staff: FlaskClient) -> None:
    for url in ("/", "/areas/juki", "/functions/0010001", "/meetings", "/account/password"):
        page = staff.get(url).get_data(as_text=True)
        forms = re.findall(r"<form\b[^>]*>.*?</form>", page, re.S)
        assert forms, url
        for form in forms:
            if 'method="post"' in form:
                assert 'name="csrf_token"' in form, (url, form[:200])


# --- headers and cookies ---------------------------------------------------------------------


def test_security_headers(staff: FlaskClient) -> None:
    response = staff.get("/areas/juki")
    headers = response.headers
    csp = headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in headers["Permissions-Policy"]
    assert headers["Cache-Control"] == "no-store"
    assert "Strict-Transport-Security" not in headers  # plain HTTP: no HSTS
    static = staff.get("/static/fitgap.css")
    assert static.headers["X-Content-Type-Options"] == "nosniff"
    static.close()
    secure = staff.get("/health", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_downloads_and_static_errors_get_the_right_headers(
    staff: FlaskClient, app: Flask, db: Database
) -> None:
    for url, kind in (
        ("/minutes/decisions.csv", "text/csv"),
        ("/minutes/decisions.md", "text/markdown"),
    ):
        response = staff.get(url)
        assert response.status_code == 200, url
        assert response.headers["Content-Type"] == f"{kind}; charset=utf-8", url
        assert response.headers["Cache-Control"] == "no-store", url  # not send_file's no-cache
    admin = app.test_client()
    sign_in(admin, db, "admin", "admin")
    audit = admin.get("/admin/audit.csv")
    assert audit.status_code == 200
    assert audit.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert audit.headers["Cache-Control"] == "no-store"
    missing = staff.get("/static/no-such-file.js")
    assert missing.status_code == 404
    assert missing.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert missing.headers["Cache-Control"] == "no-store"
    found = staff.get("/static/fitgap.css")
    assert found.status_code == 200 and "no-store" not in found.headers.get("Cache-Control", "")
    found.close()


def test_behind_a_reverse_proxy(settings: dict[str, Any], files: Path, fitgap: Invoke) -> None:
    make_catalog(files, count=1)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    app = create_app({**settings, "TRUST_PROXY": 1})
    db: Database = app.extensions["fitgap.store.db"]
    try:
        make_account(db, "someone", "observer")
        client = app.test_client()
        proxied = {
            "X-Forwarded-For": "10.1.2.3",
            "X-Forwarded-Proto": "https",
            "Referer": "https://localhost/login",
        }
        page = client.get("/login", headers=proxied).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        response = client.post(
            "/login",
            data={"login": "someone", "password": "Test-Password-2026", "csrf_token": token[1]},
            headers=proxied,
        )
        assert response.status_code == 303
        assert "Secure" in response.headers["Set-Cookie"]
        assert "Strict-Transport-Security" in response.headers
        with db.session() as session:
            records = audit_queries.list_records(
                session=session, filters=audit_queries.AuditFilter(action="login")
            )
        assert records[0].address == "10.1.2.3"
    finally:
        db.dispose()
    # Without TRUST_PROXY the same headers are not believed.
    untrusted = create_app(settings)
    try:
        response = untrusted.test_client().get("/health", headers={"X-Forwarded-Proto": "https"})
        assert "Strict-Transport-Security" not in response.headers
    finally:
        untrusted.extensions["fitgap.store.db"].dispose()


# --- error pages -----------------------------------------------------------------------------


def test_errors_are_friendly_pages_without_traces(staff: FlaskClient) -> None:
    missing = staff.get("/areas/nowhere")
    assert missing.status_code == 404 and "ページが見つかりません" in missing.get_data(as_text=True)
    unknown = staff.get("/no/such/page")
    assert unknown.status_code == 404 and "<html" in unknown.get_data(as_text=True)
    wrong_method = staff.get("/logout")
    assert wrong_method.status_code == 405
    assert "この方法では操作できません" in wrong_method.get_data(as_text=True)
    assert "POST" in wrong_method.headers["Allow"]
    fragment = staff.get("/areas/nowhere", headers=HTMX)
    assert fragment.headers["HX-Retarget"] == "#notice"
    assert "<html" not in fragment.get_data(as_text=True)
    anonymous = FlaskClient(staff.application).get("/no/such/page")
    assert anonymous.status_code == 404  # no sign-in page for a URL that does not exist


def test_a_crash_is_a_friendly_500_without_a_traceback(app: Flask, db: Database) -> None:
    from fitgap.web import authz

    @authz.signed_in
    def broken() -> str:
        raise RuntimeError("secret internals")

    app.add_url_rule("/broken", "broken", broken)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    sign_in(client, db, "someone", "observer")
    response = client.get("/broken")
    page = response.get_data(as_text=True)
    assert response.status_code == 500 and "エラーが発生しました" in page
    assert "secret internals" not in page and "Traceback" not in page


def test_requests_that_are_too_big_get_413(app: Flask, staff: FlaskClient) -> None:
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = staff.post(
        "/functions/0010001/preview",
        data={"note": "x" * 4096, "csrf_token": csrf_token(staff)},
    )
    assert response.status_code == 413
    assert "送信する内容が大きすぎます" in response.get_data(as_text=True)


def test_only_the_sheet_uploads_take_a_large_body(
    staff: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """16 MB of percent-encoded Japanese sent to the sign-in page is refused unread (the
    review measured 2.2 s of CPU to parse it before the CSRF check said 400)."""
    from werkzeug import formparser

    parsed: list[str | None] = []
    real_parse = formparser.FormDataParser.parse

    def counting(self: formparser.FormDataParser, *args: Any, **kwargs: Any) -> Any:
        parsed.append(request.path)
        return real_parse(self, *args, **kwargs)

    monkeypatch.setattr(formparser.FormDataParser, "parse", counting)
    body = "note=" + quote("住民記録" * 450_000)  # 16.2 MB
    form = "application/x-www-form-urlencoded"
    for url in ("/login", "/functions/0010001/preview", "/logout"):
        response = staff.post(url, data=body, content_type=form)
        page = response.get_data(as_text=True)
        assert response.status_code == 413, url
        assert "送信する内容が大きすぎます" in page and "<html" in page, url
    assert parsed == []  # refused before the form was read
    # A chunked body announces no length: it is read only up to the limit, then refused.
    chunked = staff.post(
        "/login",
        input_stream=io.BytesIO(("note=" + "x" * 300_000).encode()),
        content_type=form,
        headers={"Transfer-Encoding": "chunked"},
        environ_overrides={"wsgi.input_terminated": True},
    )
    assert chunked.status_code == 413
    # A form as large as the longest note still goes through.
    note = staff.post(
        "/functions/0010001/preview",
        data={"note": "住" * 20_000, "csrf_token": csrf_token(staff)},
    )
    assert note.status_code == 200
    # The marking-sheet upload takes more than a form (this one is not a sheet: a 400 saying so).
    upload = staff.post(
        "/areas/juki/towns/ishii/sheet",
        data={"file": (io.BytesIO(b"x" * 400_000), "sheet.xlsx"), "csrf_token": csrf_token(staff)},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 400


def test_serve_never_shows_debug_pages(
    fitgap: Invoke, monkeypatch: pytest.MonkeyPatch, files: Path
) -> None:
    import waitress

    make_catalog(files, count=1)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    served: list[Flask] = []
    monkeypatch.setattr(waitress, "serve", lambda app, **_kw: served.append(app))
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert fitgap("serve", "--port", "0").exit_code == 0
    assert served and not served[0].debug
    assert served[0].config["PROPAGATE_EXCEPTIONS"] is False


@contextmanager
def _serving(fitgap: Invoke, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[int, Flask]]:
    """`fitgap serve`'s waitress, with the options the command gives it, on a free port in a
    thread of this process; the port and the app."""
    import waitress
    from waitress import wasyncore
    from waitress.server import create_server

    given: dict[str, Any] = {}
    monkeypatch.setattr(waitress, "serve", lambda app, **kw: given.update(app=app, **kw))
    assert fitgap("serve", "--port", "0").exit_code == 0
    app: Flask = given.pop("app")
    server: Any = create_server(app, **{**given, "port": 0})
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    try:
        yield int(server.effective_port), app
    finally:
        server.task_dispatcher.shutdown()
        stop.set()
        thread.join(timeout=10)
        wasyncore.close_all(server._map)


def _through(port: int, method: str, path: str, **kw: Any) -> http.client.HTTPResponse:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request(method, path, **kw)
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


@pytest.mark.parametrize("trusted", [True, False])
def test_fitgap_serve_behind_a_reverse_proxy(
    trusted: bool, files: Path, fitgap: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the real server (waitress drops X-Forwarded-* unless told otherwise): with
    TRUST_PROXY the proxy's client address and HTTPS count; without it they do not."""
    make_catalog(files, count=1)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    if trusted:
        monkeypatch.setenv("FITGAP_TRUST_PROXY", "1")
    with _serving(fitgap, monkeypatch) as (port, app):
        db: Database = app.extensions["fitgap.store.db"]
        make_account(db, "someone", "observer")
        proxied = {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https"}
        page = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        page.request("GET", "/login", headers=proxied)
        answer = page.getresponse()
        html = answer.read().decode()
        page.close()
        cookie = (answer.getheader("Set-Cookie") or "").split(";")[0]
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert token is not None and cookie
        scheme = "https" if trusted else "http"
        form = {"login": "someone", "password": "Test-Password-2026", "csrf_token": token[1]}
        response = _through(
            port,
            "POST",
            "/login",
            body=urlencode(form),
            headers={
                **proxied,
                "Cookie": cookie,
                "Content-Type": "application/x-www-form-urlencoded",
                "Referer": f"{scheme}://127.0.0.1:{port}/login",
            },
        )
        assert response.status == 303
        secure = "Secure" in (response.getheader("Set-Cookie") or "")
        assert secure is trusted
        assert (response.getheader("Strict-Transport-Security") is not None) is trusted
        with db.session() as session:
            records = audit_queries.list_records(
                session=session, filters=audit_queries.AuditFilter(action="login")
            )
        assert records[0].address == ("10.1.2.3" if trusted else "127.0.0.1")


# --- the code itself -------------------------------------------------------------------------


def test_no_inline_script_or_event_handler_in_any_template() -> None:
    for template in (REPO / "fitgap" / "web" / "templates").rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        for tag in re.findall(r"<script\b[^>]*>", text):
            assert " src=" in tag, (template, tag)
        assert not re.search(r"\son[a-z]+=", text), template
        assert "javascript:" not in text, template
        assert "style=" not in text, template  # style-src 'self' refuses inline styles too


def test_the_secret_key_and_the_instance_folder_stay_out_of_git() -> None:
    ignored = (REPO / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert "instance/" in ignored


def test_there_is_no_self_registration_and_no_remember_me(app: Flask) -> None:
    rules = " ".join(rule.rule for rule in app.url_map.iter_rules())
    for word in ("register", "signup", "sign-up", "remember"):
        assert word not in rules
    page = app.test_client().get("/login").get_data(as_text=True)
    assert "remember" not in page.lower() and 'type="checkbox"' not in page


def test_signing_in_works_without_javascript(client: FlaskClient, db: Database) -> None:
    make_account(db, "someone", "observer")
    page = client.get("/login").get_data(as_text=True)
    assert '<form method="post" action="/login"' in page
    assert 'autocomplete="current-password"' in page
    assert login(client, "someone").status_code == 303


def test_security_settings_come_from_the_environment_too(
    settings: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FITGAP_IDLE_TIMEOUT_MINUTES", "10")
    monkeypatch.setenv("FITGAP_PASSWORD_FORCE_INITIAL_CHANGE", "0")
    monkeypatch.setenv("FITGAP_PASSWORD_MAX_AGE_DAYS", "90")
    monkeypatch.setenv("FITGAP_TRUST_PROXY", "1")
    app = create_app(settings)
    try:
        config = app.config
        assert config["IDLE_TIMEOUT_MINUTES"] == 10.0
        assert config["PASSWORD_FORCE_INITIAL_CHANGE"] is False
        assert config["PASSWORD_MAX_AGE_DAYS"] == 90 and config["TRUST_PROXY"] == 1
        assert config["LOCKOUT_ATTEMPTS"] == 5 and config["AUDIT_RETENTION_YEARS"] == 5
    finally:
        app.extensions["fitgap.store.db"].dispose()
