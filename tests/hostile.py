"""Hostile input files, built in memory: the shapes an outside review attacked the app with.

Used by tests/test_hostile_files.py, tests/test_fuzz_files.py and benchmarks/hostile_files.py.
Big shapes are written to the zip in pieces, so building them takes little memory.
"""

from __future__ import annotations

import struct
import zipfile
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from io import BytesIO

from openpyxl import Workbook, load_workbook

from fitgap.domain.files.marking_sheet import (
    META_SHEET,
    MarkRow,
    SheetMarks,
    build_marking_sheet,
    read_marking_sheet,
)
from fitgap.domain.values import Function, Requirement, Status

TOWN_ID, AREA_ID = "ishii", "juki"
FUNCTIONS = tuple(
    Function(
        id=f"00100{n}0",
        area_id=AREA_ID,
        name=f"機能{n}",
        requirement=Requirement.MANDATORY,
        text=f"機能{n}ができること。\n",
        path=("管理項目",),
    )
    for n in range(1, 4)
)
FUNCTION_IDS = frozenset(f.id for f in FUNCTIONS)
META_TABLE_ROW = 9  # the first function's row in the hidden sheet (after keys and a blank)


def good_sheet() -> bytes:
    """A marking sheet as fitgap writes it."""
    return build_marking_sheet(
        town_id=TOWN_ID,
        town_name="石井町",
        area_id=AREA_ID,
        area_name="住民記録",
        functions=FUNCTIONS,
        marks={FUNCTIONS[0].id: MarkRow(Status.FIT, "ok", 1)},
        generated_at=datetime(2026, 1, 5, 9, 0, tzinfo=UTC),
    )


def read_sheet(data: bytes, display: str | None = None) -> SheetMarks:
    """`data` read as the marking sheet of good_sheet()'s town, area and functions."""
    return read_marking_sheet(
        data, town_id=TOWN_ID, area_id=AREA_ID, function_ids=FUNCTION_IDS, display=display
    )


def edited(data: bytes, edit: Callable[[object], None]) -> bytes:
    """`data` opened with openpyxl, changed by `edit(workbook)` and saved (as Excel would)."""
    workbook = load_workbook(BytesIO(data))
    edit(workbook)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_meta_cell(row: int, column: int, value: object, data: bytes | None = None) -> bytes:
    """A sheet whose hidden metadata has `value` at (row, column)."""

    def edit(workbook: object) -> None:
        workbook[META_SHEET].cell(row, column).value = value  # type: ignore[index]

    return edited(data or good_sheet(), edit)


def with_sheet_cell(row: int, column: int, value: object) -> bytes:
    """A sheet whose visible sheet has `value` at (row, column)."""

    def edit(workbook: object) -> None:
        workbook.worksheets[0].cell(row, column).value = value  # type: ignore[attr-defined]

    return edited(good_sheet(), edit)


def members(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def sheet_member(data: bytes, title: str = "住民記録") -> str:
    """The zip member of a worksheet, found through the workbook's relationships."""
    parts = members(data)
    workbook = parts["xl/workbook.xml"].decode()
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    rid = workbook.split(f'name="{title}"')[1].split('r:id="')[1].split('"')[0]
    target = rels.split(f'Id="{rid}"')[0].rsplit("Target=", 1)[1].split('"')[1]
    if not target.startswith("/"):
        target = "xl/" + target
    return target.lstrip("/")


def rezip(data: bytes, replace: Mapping[str, bytes | Iterable[bytes]]) -> bytes:
    """`data` with some zip members replaced (an iterable of pieces is streamed in)."""
    out = BytesIO()
    with (
        zipfile.ZipFile(BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        names = source.namelist()
        for name in [*names, *(n for n in replace if n not in names)]:
            content = replace[name] if name in replace else source.read(name)
            if isinstance(content, bytes):
                target.writestr(name, content)
                continue
            info = zipfile.ZipInfo(name)
            info.compress_type = zipfile.ZIP_DEFLATED
            with target.open(info, "w", force_zip64=True) as handle:
                for piece in content:
                    handle.write(piece)
    return out.getvalue()


def huge_shared_string(size: int) -> bytes:
    """A sheet with a shared-strings table (as Excel writes one) holding one string of `size`
    bytes."""
    data = good_sheet()
    parts = members(data)
    types = parts["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = parts["xl/_rels/workbook.xml.rels"].replace(
        b"</Relationships>",
        b'<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml" Id="rId9"/></Relationships>',
    )

    def pieces() -> Iterable[bytes]:
        yield b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>'
        chunk = b"a" * (1024 * 1024)
        for _ in range(size // len(chunk)):
            yield chunk
        yield b"</t></si></sst>"

    return rezip(
        data,
        {
            "[Content_Types].xml": types,
            "xl/_rels/workbook.xml.rels": rels,
            "xl/sharedStrings.xml": pieces(),
        },
    )


def whitespace_in_sheet_data(size: int) -> bytes:
    """A sheet with `size` bytes of blanks inside <sheetData>."""
    data = good_sheet()
    name = sheet_member(data)
    original = members(data)[name]
    head, tail = original.split(b"<sheetData>", 1)

    def pieces() -> Iterable[bytes]:
        yield head + b"<sheetData>"
        chunk = b" " * (1024 * 1024)
        for _ in range(size // len(chunk)):
            yield chunk
        yield tail

    return rezip(data, {name: pieces()})


def far_cells(rows: int, column: str = "XFD", title: str = "住民記録") -> bytes:
    """A sheet with a cell in `column` on `rows` rows after the functions (125 KB for 20,000)."""
    data = good_sheet()
    name = sheet_member(data, title)
    original = members(data)[name]
    cells = b"".join(
        f'<row r="{r}"><c r="{column}{r}" t="n"><v>1</v></c></row>'.encode()
        for r in range(20, 20 + rows)
    )
    return rezip(data, {name: original.replace(b"</sheetData>", cells + b"</sheetData>")})


def xml_entity() -> bytes:
    """A sheet with an internal entity in its XML (the start of a billion laughs)."""
    data = good_sheet()
    name = sheet_member(data)
    original = members(data)[name]
    doctype = b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;">]>'
    body = original.replace(b"<t>", b"<t>&b;", 1)
    return rezip(data, {name: b'<?xml version="1.0"?>' + doctype + body})


def malformed_xml() -> bytes:
    """A sheet whose worksheet XML has a mismatched tag."""
    data = good_sheet()
    name = sheet_member(data)
    original = members(data)[name]
    return rezip(data, {name: original.replace(b"</row>", b"</rox>", 1)})


def raw_number_cell(digits: int = 5000) -> bytes:
    """A sheet whose first function's initial cost is a number cell of `digits` digits."""
    data = customization(1)
    name = sheet_member(data)
    original = members(data)[name]
    head, rest = original.split(b'<c r="J8"', 1)
    rest = rest.split(b"</c>", 1)[1]
    cell = b'<c r="J8" t="n"><v>' + b"9" * digits + b"</v></c>"
    return rezip(data, {name: head + cell + rest})


def customization(amount: object) -> bytes:
    """A sheet whose first function is marked customization with `amount` as initial cost."""

    def edit(workbook: object) -> None:
        sheet = workbook.worksheets[0]  # type: ignore[attr-defined]
        sheet.cell(8, 8).value = "カスタマイズ"
        sheet.cell(8, 10).value = amount

    return edited(good_sheet(), edit)


def lying_sizes(data: bytes, declared: int = 100) -> bytes:
    """`data` with every member's uncompressed size in the central directory set to `declared`."""
    buffer = bytearray(data)
    offset = buffer.find(b"PK\x01\x02")
    while offset != -1:
        struct.pack_into("<I", buffer, offset + 24, declared)
        offset = buffer.find(b"PK\x01\x02", offset + 4)
    return bytes(buffer)


def function_list(*rows: list[str]) -> tuple[bytes, str, bytes]:
    """A function list with its header and `rows`: the file, its sheet's zip member and XML."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["機能ID", "実装区分", "機能要件"])
    for row in rows:
        sheet.append(row)
    out = BytesIO()
    workbook.save(out)
    data = out.getvalue()
    name = "xl/worksheets/sheet1.xml"
    return data, name, members(data)[name]


def merge_bomb_list() -> bytes:
    """A 5 KB function list whose one merged range covers H1:XFD1048576."""
    data, name, original = function_list(["0010010", "実装必須機能", "管理できること。"])
    merge = b'<mergeCells count="1"><mergeCell ref="H1:XFD1048576"/></mergeCells>'
    return rezip(data, {name: original.replace(b"</sheetData>", b"</sheetData>" + merge)})


def long_list(rows: int) -> bytes:
    """A function list of `rows` rows, written straight as XML (fast to build)."""
    data, name, original = function_list()
    head, tail = original.split(b"</sheetData>", 1)

    def pieces() -> Iterable[bytes]:
        yield head
        for r in range(2, rows + 2):
            yield (
                f'<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>{r:07d}</t></is></c>'
                f'<c r="B{r}" t="inlineStr"><is><t>実装必須機能</t></is></c>'
                f'<c r="C{r}" t="inlineStr"><is><t>要件{r}</t></is></c></row>'
            ).encode()
        yield b"</sheetData>" + tail

    return rezip(data, {name: pieces()})


# --- YAML ---

CATALOG_HEAD = """format: fitgap-catalog/1
area:
  id: juki
  name: 住民記録
functions:
  - id: "0010010"
    name: 住民データの管理
    requirement: mandatory
    text: |
      管理できること。
"""


def alias_bomb(levels: int = 9) -> str:
    """A catalog whose user attribute expands `levels` levels of ten aliases each (704 bytes)."""
    lines = ['    x-a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels + 1):
        refs = ", ".join([f"*a{level - 1}"] * 10)
        lines.append(f"    x-a{level}: &a{level} [{refs}]")
    return CATALOG_HEAD + "\n".join(lines) + "\n"


def deep_value(depth: int = 250) -> str:
    """A catalog whose user attribute is nested `depth` lists deep."""
    return CATALOG_HEAD + "    x-deep: " + "[" * depth + "1" + "]" * depth + "\n"
