"""The workbooks as a real spreadsheet program shows them: LibreOffice (Debian's, headless)
opens the minutes and the matrix and writes what its cells display.

openpyxl reads back what fitgap wrote, not what people see: a date format LibreOffice does not
know shows the date as its serial number (45762), which a test of the stored value cannot
notice. Without LibreOffice the test is skipped with a message, except when
FITGAP_REQUIRE_OFFICE=1 (CI), where it fails.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from fitgap.domain.meetings.minutes import to_xlsx
from tests.samples import sample_minutes


def soffice() -> str:
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None:
        reason = "no LibreOffice (soffice) on this machine: apt-get install libreoffice-calc-nogui"
        if os.environ.get("FITGAP_REQUIRE_OFFICE") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return found


def displayed(workbook: bytes, folder: Path) -> list[list[str]]:
    """The first sheet as LibreOffice displays it (its CSV export writes formatted text)."""
    source = folder / "book.xlsx"
    source.write_bytes(workbook)
    profile = folder / "profile"  # a profile of its own: runs beside another office never clash
    subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,true",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    text = (folder / "book.csv").read_text(encoding="utf-8")
    return list(csv.reader(io.StringIO(text)))


def test_libreoffice_shows_the_minutes_dates_in_wareki_and_the_numbers_as_numbers(
    tmp_path: Path,
) -> None:
    rows = displayed(to_xlsx(sample_minutes()), tmp_path)
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=False))
    assert header[:4] == ["会議ID", "開催日", "業務", "決定番号"]
    assert first["開催日"] == "令和7年4月1日"  # a date cell, shown in 和暦 (not 45748)
    assert first["会議ID"] == "1" and first["決定番号"] == "1"
    assert first["機能ID"] == "0010001"  # text: the leading zeros stay
    recorded = first["記録日時"]
    assert len(recorded) == 16 and recorded[4] == "-" and recorded[13] == ":", recorded
