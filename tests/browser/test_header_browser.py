"""The site header on an office laptop (1366 px) and on the projector (1920 px): the menu and
the account controls wrap as whole words, never one character per line (業務一/覧)."""

from __future__ import annotations

from typing import Any

import pytest

from fitgap.store.db import Database
from tests.browser.support import sign_in
from tests.helpers import make_account

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width,height", [(1366, 768), (1920, 1080)])
def test_the_menu_never_breaks_a_word(
    chromium: Any, server: str, db: Database, width: int, height: int
) -> None:
    # The longest menu (every page a moderator has) and a name as long as the demo's.
    make_account(db, "moderator", "moderator", name="山本 花子（コンサルタント）")
    page = chromium.new_page(viewport={"width": width, "height": height}, locale="ja-JP")
    sign_in(page, server, "moderator")
    page.goto(server + "/")
    lines = page.evaluate(
        """() => [...document.querySelectorAll(
                  '.site-header nav a, .site-header .brand, .header-tools .who, '
                  + '.header-tools a, .header-tools button')].map(e => {
              const rects = [...e.getClientRects()];
              const line = parseFloat(getComputedStyle(e).lineHeight) || 24;
              return [e.textContent.trim(), rects.length,
                      Math.round(e.getBoundingClientRect().height / line)];
          })"""
    )
    assert lines and all(count == 1 for _text, count, _rows in lines), lines
    assert all(rows <= 1 for _text, _count, rows in lines if _text), lines
    header = page.evaluate("() => document.querySelector('.site-header').offsetHeight")
    assert header <= 120, header  # two rows at most at 1366 px, one at 1920 px
    page.close()
