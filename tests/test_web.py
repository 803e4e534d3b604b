"""The web pages: full pages and htmx fragments, escaping, CSRF and the language switch."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke, observe


def prepare(files: Path, fitgap: Invoke, count: int = 5, **changes: dict[str, object]) -> None:
    make_catalog(files, count=count, **changes)
    make_towns(files)
    assert fitgap("load").exit_code == 0


def test_overview_lists_areas_and_progress(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    make_marks(files, "ishii", {"0010001": "customization", "0010002": "fit"})
    fitgap("marks", "import", "marks/ishii.yaml")
    response = client.get("/")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="ja">' in page
    assert 'href="/areas/juki"' in page
    assert "判定済 2 / 5" in page and "判定済 0 / 5" in page
    assert "カスタマイズ 1" in page
    assert "Vary" in response.headers and "HX-Request" in response.headers["Vary"]


def test_area_page_and_htmx_paging(
    app: Flask, files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    app.config["PAGE_SIZE"] = 2
    prepare(files, fitgap)
    observe(client)
    make_marks(files, "naka", {"0010001": "workflow_change"})
    fitgap("marks", "import", "marks/naka.yaml")
    page = client.get("/areas/juki").get_data(as_text=True)
    assert "0010001" in page and "0010002" in page and "0010003" not in page
    assert "業務見直し" in page and "実装必須機能" in page
    more = 'href="/areas/juki?page=2"'
    assert more in page and 'hx-get="/areas/juki?page=2"' in page
    fragment = client.get("/areas/juki?page=2", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and '<tr id="row-0010003">' in body
    assert "0010003" in body and "0010004" in body and "0010001" not in body
    assert 'hx-get="/areas/juki?page=3"' in body
    last = client.get("/areas/juki?page=3", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "0010005" in last and "more-rows" not in last
    assert client.get("/areas/juki?page=x").status_code == 200
    assert client.get("/areas/unknown").status_code == 404


def test_function_page_renders_markdown_safely(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    hostile = (
        "**太字** <script>alert(1)</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
    )
    prepare(files, fitgap, **{"0010001": {"text": hostile}})
    observe(client)
    make_marks(files, "ishii", {"0010001": {"status": "fit", "note": "<b onclick=x>注記</b>"}})
    fitgap("marks", "import", "marks/ishii.yaml")
    response = client.get("/functions/0010001")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<strong>太字</strong>" in page
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert 'href="javascript:' not in page
    assert "<img" not in page and "<b onclick" not in page
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    history = re.search(r'id="history-heading".*?</section>', page, re.S)
    assert history is not None and "ishii" in history.group(0)
    assert client.get("/functions/9999999").status_code == 404


def test_language_switch_needs_csrf_and_switches_to_english(
    app: Flask, files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    assert client.post("/language", data={"lang": "en"}).status_code == 400  # no CSRF token
    page = client.get("/").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    response = client.post(
        "/language", data={"lang": "en", "next": "//evil.example/", "csrf_token": token.group(1)}
    )
    assert response.status_code == 303 and response.headers["Location"] == "/"
    english = client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in english and "Business areas" in english


def test_htmx_sends_the_csrf_token_from_body(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    page = client.get("/").get_data(as_text=True)
    assert re.search(r"<body hx-headers='\{\"X-CSRFToken\": \"[\w.-]+\"\}'[ >]", page)


def test_empty_database_says_what_to_do(client: FlaskClient) -> None:
    # No account yet: the sign-in page says how to make the first administrator.
    page = client.get("/", follow_redirects=True).get_data(as_text=True)
    assert "fitgap user add admin --role admin" in page
    observe(client)
    assert "fitgap user add" not in client.get("/login").get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    assert "fitgap load" in page


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    from fitgap.web.config import _instance_secret

    first = _instance_secret(tmp_path)
    assert len(first) == 64 and _instance_secret(tmp_path) == first
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["secret_key"]


def test_language_switch_refuses_open_redirects(
    files: Path, fitgap: Invoke, client: FlaskClient
) -> None:
    prepare(files, fitgap)
    observe(client)
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/").get_data(as_text=True))
    assert token is not None
    for target in ("//evil.example/", "/\\evil.example", "https://evil.example/", "javascript:x"):
        response = client.post(
            "/language", data={"lang": "ja", "next": target, "csrf_token": token.group(1)}
        )
        assert response.headers["Location"] == "/", target
    kept = client.post(
        "/language", data={"lang": "ja", "next": "/areas/juki?q=転入", "csrf_token": token.group(1)}
    )
    assert unquote(kept.headers["Location"]) == "/areas/juki?q=転入"


def test_every_answer_says_how_long_the_app_took(client: FlaskClient) -> None:
    for path in ("/health", "/login", "/no-such-page"):
        timing = client.get(path).headers.get("Server-Timing", "")
        found = re.fullmatch(r"app;dur=(\d+\.\d)", timing)
        assert found is not None, (path, timing)
        assert 0 <= float(found.group(1)) < 60_000
