"""What the browser tests share: the machine's own Chromium (never `playwright install`),
axe-core's WCAG 2.0 A/AA checks (`check_accessibility` on one page, `Audit` over many),
signing in through the sign-in page, screenshots for the documentation, and the demo site
(`Site`). The fixtures that start them are in tests/browser/conftest.py.

Without a Chromium the browser tests are skipped, except when FITGAP_REQUIRE_BROWSER=1 (CI),
where they fail. With FITGAP_SCREENSHOTS=DIR some of them write screenshots into DIR.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask, url_for

from tests.helpers import PASSWORD

if TYPE_CHECKING:
    from playwright.sync_api import Page

AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
CHROMIUM = os.environ.get("FITGAP_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
# Small pages on the demo site, so the grid of 住民記録 (73 functions) has a "続きを表示" to load.
PAGE_SIZE = 30
# Resolved now: the fixtures change the working directory before the test runs.
SCREENSHOTS = (
    Path(os.environ["FITGAP_SCREENSHOTS"]).resolve()
    if os.environ.get("FITGAP_SCREENSHOTS")
    else None
)
AXE_RUN = """async () => {
    const options = {
        runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]},
        resultTypes: ["violations"],
    };
    const found = await axe.run(document, options);
    return found.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help,
        nodes: v.nodes.slice(0, 5).map(n => ({
            target: n.target.join(" "), summary: n.failureSummary,
        })),
    }));
}"""


def require_chromium() -> None:
    """Skip the test without the system Chromium (fail it when FITGAP_REQUIRE_BROWSER=1)."""
    if not Path(CHROMIUM).exists():
        reason = f"no Chromium at {CHROMIUM} (install it or set FITGAP_CHROMIUM)"
        if os.environ.get("FITGAP_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)


def sign_in(page: Any, url: str, login: str, password: str = PASSWORD) -> None:
    """Sign in through the sign-in page of the server at `url`, as a person does."""
    page.goto(url + "/login")
    page.fill("#login", login)
    page.fill("#password", password)
    page.click("form.login-form button[type=submit]")
    page.wait_for_url(url + "/")


def shoot(page: Any, name: str) -> None:
    """Save what the page shows now into FITGAP_SCREENSHOTS, for the documentation."""
    assert SCREENSHOTS is not None
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    # caret="initial": hiding the caret would inject a style that the CSP (rightly) refuses.
    page.screenshot(path=str(SCREENSHOTS / name), caret="initial")


def check_accessibility(page: Any, what: str) -> None:
    """Run axe-core's WCAG 2.0 A and AA rules on the page; fail with a readable list."""
    # Evaluated through the DevTools protocol rather than as a <script> tag, so the app's own
    # Content-Security-Policy stays on during the whole test.
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE.read_text(encoding="utf-8"))
    result = page.evaluate(
        """async () => {
            const options = {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa"]}};
            const found = await axe.run(document, options);
            return found.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary),
            }));
        }"""
    )
    assert result == [], f"axe violations on {what}:\n" + json.dumps(
        result, ensure_ascii=False, indent=2
    )


@dataclass
class Site:
    """The running app on the demo data."""

    url: str
    app: Flask
    passwords: dict[str, str]
    args: dict[str, Any]

    def path(self, endpoint: str, **values: Any) -> str:
        """The path of an endpoint, its arguments the sample data's ids unless given."""
        rule = next(r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint)
        with self.app.test_request_context():
            return url_for(endpoint, **{**{n: self.args[n] for n in rule.arguments}, **values})

    def sign_in(self, page: Page, login: str) -> None:
        """Sign in with a demo account, through the sign-in page."""
        sign_in(page, self.url, login, self.passwords[login])


@dataclass
class Audit:
    """axe-core's findings over many pages, reported together (grouped by rule and element)."""

    checked: list[str] = field(default_factory=list)
    found: dict[tuple[str, str, str], list[str]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    def watch(self, page: Page) -> None:
        """Count script errors and refused scripts or styles (CSP) as problems too."""
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on(
            "console",
            lambda msg: (
                self.errors.append(f"{page.url}: console: {msg.text}")
                if msg.type == "error" and not msg.text.startswith("Failed to load resource")
                else None
            ),
        )

    def check(self, page: Page, what: str) -> None:
        """Run the WCAG 2.0 A and AA rules on the page as it is now."""
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # Through the DevTools protocol, so the app's Content-Security-Policy stays on.
            page.evaluate(AXE.read_text(encoding="utf-8"))
        self.checked.append(what)
        for violation in page.evaluate(AXE_RUN):
            for node in violation["nodes"]:
                key = (
                    f"{violation['id']} ({violation['impact']}): {violation['help']}",
                    node["target"],
                    node["summary"],
                )
                self.found.setdefault(key, []).append(what)

    def report(self) -> str:
        lines = []
        for (rule, target, summary), pages in sorted(self.found.items()):
            shown = ", ".join(pages[:4]) + (f" … ({len(pages)} pages)" if len(pages) > 4 else "")
            lines.append(f"- {rule}\n    target: {target}\n    {summary}\n    on: {shown}")
        return "\n".join(lines)

    def assert_clean(self) -> None:
        assert self.found == {}, (
            f"axe-core (WCAG 2.0 A/AA) violations on {len(self.checked)} checked states:\n"
            + self.report()
        )
        assert self.errors == [], "\n".join(self.errors)
