"""Issue 14 item 4 in the browser, at 1366×768 and 1920×1080: a marking sheet with rows that
someone changed on the web after the download is no dead end. The preview names each function,
shows every changed field (costs, notes), and asks per conflict which verdict stays; a change
made between the preview and the apply is refused and asked again; then all applies at once.

Runs on the demo data served by the `site` fixture of tests/browser/conftest.py (a server of
its own for this module). With FITGAP_SCREENSHOTS=DIR it writes the preview with its conflicts
at both sizes into DIR (sheet-conflict-1366.png, sheet-conflict-1920.png).
"""

from __future__ import annotations

from io import BytesIO
from typing import TYPE_CHECKING

import openpyxl
import pytest
from playwright.sync_api import expect

from fitgap.domain.files.marking_sheet import (
    COL_ANNUAL,
    COL_INITIAL,
    COL_NOTE,
    COL_STATUS,
    HEADER_ROW,
)
from fitgap.domain.values import Status
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from fitgap.web.app import local_time
from tests.browser.support import SCREENSHOTS, Audit, Site, shoot

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

SIZES = ((1366, 768), (1920, 1080))
# 住民記録's functions marked by 石井町 in the demo: two that colleagues change after the
# download, one the sheet makes a customization with its reason and estimate.
TAKEN, KEPT, CUSTOMIZED = "0010020", "0010080", "0010030"
COLLEAGUE = "石井町 職員（ishii-2）"  # as the history names a member of staff


def _colleague_saves(site: Site, function_id: str, status: Status, note: str) -> None:
    """Another member of 石井町's staff changes the mark on the web."""
    database: Database = site.app.extensions["fitgap.store.db"]
    with database.write() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id=function_id)
        assert mark is not None
        mark_queries.save_mark(
            session=session,
            town_id="ishii",
            function_id=function_id,
            status=status,
            note=note,
            cost=None,
            expected_version=mark.version,
            changed_by=COLLEAGUE,
        )


def _mark(site: Site, function_id: str) -> tuple[str, str | None, int | None]:
    database: Database = site.app.extensions["fitgap.store.db"]
    with database.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id=function_id)
        assert mark is not None
        return mark.status, mark.note, mark.cost_initial_yen


def _changed_at(site: Site, function_id: str) -> str:
    """When the mark was last saved, in Japan time as the app shows it."""
    database: Database = site.app.extensions["fitgap.store.db"]
    with database.session() as session:
        mark = mark_queries.get_mark(session=session, town_id="ishii", function_id=function_id)
        assert mark is not None
        return local_time(mark.updated_at)


def _filled_sheet(page: Page, site: Site, width: int) -> bytes:
    download = page.request.get(site.url + site.path("sheets.download"))
    assert download.ok
    book = openpyxl.load_workbook(BytesIO(download.body()))
    sheet = book.worksheets[0]
    rows = {sheet.cell(r, 1).value: r for r in range(HEADER_ROW + 1, sheet.max_row + 1)}
    sheet.cell(rows[TAKEN], COL_STATUS).value = "業務見直し"
    sheet.cell(rows[TAKEN], COL_NOTE).value = f"在留カードの写しは窓口で確認する（{width}）"
    sheet.cell(rows[KEPT], COL_NOTE).value = f"方書は住所欄に続けて入力する（{width}）"
    sheet.cell(rows[CUSTOMIZED], COL_STATUS).value = "カスタマイズ"
    sheet.cell(rows[CUSTOMIZED], COL_NOTE).value = f"独自の証明書様式が要る（{width}）"
    sheet.cell(rows[CUSTOMIZED], COL_INITIAL).value = 1_000_000 + width
    sheet.cell(rows[CUSTOMIZED], COL_ANNUAL).value = 100_000 + width
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize("size", SIZES, ids=["1366x768", "1920x1080"])
def test_a_stale_sheet_row_is_resolved_and_applied(
    site_chromium: Browser, site: Site, size: tuple[int, int]
) -> None:
    audit = Audit()
    context = site_chromium.new_context(
        viewport={"width": size[0], "height": size[1]}, locale="ja-JP"
    )
    page = context.new_page()
    audit.watch(page)
    site.sign_in(page, "ishii")
    data = _filled_sheet(page, site, size[0])
    # After the download, colleagues change two of the rows on the web.
    _colleague_saves(site, TAKEN, Status.FIT, f"同僚が適合にした（{size[0]}）")
    _colleague_saves(site, KEPT, Status.NOT_APPLICABLE, f"同僚が対象外にした（{size[0]}）")

    page.goto(site.url + site.path("sheets.upload_form"))
    sheet_file = {"name": "石井町.xlsx", "mimeType": "application/octet-stream", "buffer": data}
    page.set_input_files("#sheet-file", sheet_file)
    page.click("main form button[type=submit]")
    expect(page.locator("main table caption")).to_contain_text("3 件の機能が変わります")
    expect(page.locator("#sheet-conflicts h2")).to_contain_text("2 件")
    taken, kept = page.locator(f"#change-{TAKEN}"), page.locator(f"#change-{KEPT}")
    # Who changed the mark on the web and when, so people know whose work they choose over.
    flag = f"出力後に {COLLEAGUE}が変更（{_changed_at(site, TAKEN)}）"
    expect(taken.locator(".conflict-flag")).to_have_text(flag)
    expect(kept.locator(".conflict-flag")).to_contain_text(f"出力後に {COLLEAGUE}が変更")
    # The statuses as the app's coloured badges, the word inside.
    expect(taken.locator(".badge.status-fit")).to_have_text("適合")
    expect(taken.locator(".badge.status-workflow_change")).to_have_text("業務見直し")
    expect(kept.locator(".badge.status-not_applicable")).to_have_text("対象外")
    expect(taken.locator(".function-name")).not_to_be_empty()  # the name beside the id
    expect(taken).to_contain_text(f"同僚が適合にした（{size[0]}）")  # theirs, beside the sheet's
    customized = page.locator(f"#change-{CUSTOMIZED}")
    expect(customized).to_contain_text("初期費用")
    expect(customized).to_contain_text(f"{1_000_000 + size[0]:,}円")
    expect(customized).to_contain_text(f"{100_000 + size[0]:,}円")
    expect(customized.locator("input[type=radio]")).to_have_count(0)
    audit.check(page, f"sheet preview with conflicts {size[0]}")
    if SCREENSHOTS is not None:
        shoot(page, f"sheet-conflict-{size[0]}.png")

    # Resolved both ways, but the mark kept changes again before the apply: refused, asked again.
    page.get_by_label("シートの値で上書きする").first.check()
    kept.get_by_label("いまの値を残す").check()
    _colleague_saves(site, KEPT, Status.FIT, f"同僚がまた変えた（{size[0]}）")
    page.click("#sheet-apply button[type=submit]")
    expect(page.locator("main .warning[role=alert]")).to_contain_text("確認画面を表示したあとに")
    expect(kept).to_contain_text(f"同僚がまた変えた（{size[0]}）")
    expect(kept.get_by_label("いまの値を残す")).not_to_be_checked()
    expect(taken.get_by_label("シートの値で上書きする")).to_be_checked()  # still valid
    assert _mark(site, TAKEN)[0] == "fit"  # nothing applied
    audit.check(page, f"sheet refused after a second change {size[0]}")

    kept.get_by_label("いまの値を残す").check()
    page.click("#sheet-apply button[type=submit]")
    expect(page.locator("main [role=status]")).to_contain_text("2 件反映しました")
    expect(page.locator("main [role=status]")).to_contain_text("1 件は、いまの判定のまま")
    audit.check(page, f"sheet applied {size[0]}")
    assert _mark(site, TAKEN)[:2] == (
        "workflow_change",
        f"在留カードの写しは窓口で確認する（{size[0]}）",
    )
    assert _mark(site, KEPT)[:2] == ("fit", f"同僚がまた変えた（{size[0]}）")
    assert _mark(site, CUSTOMIZED) == (
        "customization",
        f"独自の証明書様式が要る（{size[0]}）",
        1_000_000 + size[0],
    )
    context.close()
    audit.assert_clean()
