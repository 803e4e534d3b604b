"""The marking sheet the sheet tests share: four functions of 住民記録 with two marks
(`download`), edited as staff would (`edit`), read back as the upload does (`upload`), and
posted to the web's upload page (`post_sheet`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

from flask.testing import FlaskClient
from openpyxl import load_workbook

from fitgap.domain.files.marking_sheet import (
    HEADER_ROW,
    MarkRow,
    SheetMarks,
    build_marking_sheet,
    read_marking_sheet,
)
from fitgap.domain.values import Function, Requirement, Status
from tests.helpers import csrf_token

FUNCTIONS = (
    Function(
        id="0010010",
        area_id="juki",
        name="日本人住民データの管理",
        requirement=Requirement.MANDATORY,
        text="日本人住民の住民データを管理できること。\n氏名、住所等を含む。\n",
        path=("管理項目", "住民データ"),
    ),
    Function(
        id="0010020",
        area_id="juki",
        name="外国人住民データの管理",
        requirement=Requirement.OPTIONAL,
        text="外国人住民を管理できること。\n",
        path=("管理項目", "住民データ"),
    ),
    Function(
        id="0010030",
        area_id="juki",
        name="独自帳票の出力",
        requirement=Requirement.PROHIBITED,
        text="独自様式の帳票を出力できること。\n",
        path=("帳票", "証明書", "住民票", "写し"),
    ),
    Function(
        id="0010040",
        area_id="juki",
        name="世帯の管理",
        requirement=Requirement.MANDATORY,
        text="世帯を管理できること。\n",
    ),
)
IDS = {f.id for f in FUNCTIONS}
MARKS = {
    "0010010": MarkRow(Status.CUSTOMIZATION, "条例で定める様式が必要。\n", 3, 1200000, 150000),
    "0010030": MarkRow(Status.FIT, None, 1),
}
WHEN = datetime(2025, 4, 1, 9, 30, tzinfo=UTC)


def row_of(function_id: str) -> int:
    """The sheet's row of a function of FUNCTIONS."""
    return HEADER_ROW + 1 + [f.id for f in FUNCTIONS].index(function_id)


def download(
    town_id: str = "ishii", area_id: str = "juki", marks: Mapping[str, MarkRow] | None = None
) -> bytes:
    """The marking sheet of FUNCTIONS as fitgap writes it, with MARKS unless `marks` given."""
    return build_marking_sheet(
        town_id=town_id,
        town_name="石井町",
        area_id=area_id,
        area_name="住民記録",
        functions=FUNCTIONS,
        marks=MARKS if marks is None else marks,
        generated_at=WHEN,
    )


def edit(
    folder: Path, data: bytes, cells: Mapping[str, object], *, sheet: str = "住民記録"
) -> Path:
    """Change cells of the downloaded file as staff would, and save it."""
    workbook = load_workbook(BytesIO(data))
    for ref, value in cells.items():
        workbook[sheet][ref] = value
    path = folder / "edited.xlsx"
    workbook.save(path)
    return path


def upload(source: Path | bytes, **kw: object) -> SheetMarks:
    """The sheet read as 石井町's of 住民記録 (FUNCTIONS), as the upload does."""
    arguments: dict[str, object] = {"town_id": "ishii", "area_id": "juki", "function_ids": IDS}
    arguments.update(kw)
    return read_marking_sheet(source, **arguments)  # type: ignore[arg-type]


# The upload page of 石井町's sheet of 住民記録.
SHEET_URL = "/areas/juki/towns/ishii/sheet"


def post_sheet(client: FlaskClient, data: bytes) -> tuple[int, str]:
    """Post a sheet to the upload page as a browser does: the status and the page."""
    response = client.post(
        SHEET_URL,
        data={"csrf_token": csrf_token(client), "file": (BytesIO(data), "石井町.xlsx")},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)
