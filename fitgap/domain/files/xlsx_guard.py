"""Checks an .xlsx file against domain.limits before openpyxl parses any of it.

An .xlsx file is a zip of XML parts, and a few KB of it can unpack to gigabytes (one huge
shared string, gigabytes of blanks), name a cell in the last column of a 20,000-row sheet
(openpyxl builds every row that wide), merge a million rows (openpyxl makes a cell object for
each merged cell) or carry XML entities. So, before parsing:

- the sizes the zip declares are checked, then every part is unpacked as a stream and counted,
  stopping as soon as the real unpacked size passes the limit (declared sizes can lie);
- every XML part is read by a streaming parser (expat) that refuses a DTD or entity, reports
  malformed XML with its part and line, and checks each worksheet's row numbers, cell
  columns, cell count and merged ranges against the limits. Nothing is kept but counters.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from io import BytesIO
from xml.parsers import expat

from openpyxl.utils import column_index_from_string

from fitgap.domain.files.yamlfile import InvalidInput, Problem
from fitgap.domain.i18n import _
from fitgap.domain.limits import (
    MAX_SHEET_CELLS,
    MAX_SHEET_COLUMNS,
    MAX_SHEET_MERGED_CELLS,
    MAX_SHEET_ROWS,
    MAX_XLSX_FILE_BYTES,
    MAX_XLSX_UNPACKED_BYTES,
)

__all__ = ["check_xlsx"]

_CHUNK = 256 * 1024
_CELL = re.compile(r"\$?([A-Za-z]{1,3})\$?(\d{1,7})")


class _Refused(Exception):
    """A limit hit or broken XML, with the line of the XML part where it was found."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _Part:
    """The streaming check of one XML part: counters only."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.worksheet: bool | None = None  # decided by the root element
        self.row = 0  # the current row number
        self.column = 0  # the current cell's column
        self.cells = 0
        self.merged = 0
        self.parser = expat.ParserCreate()
        self.parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
        self.parser.StartDoctypeDeclHandler = self._doctype
        self.parser.EntityDeclHandler = self._entity
        self.parser.StartElementHandler = self._start

    def _doctype(self, *_args: object) -> None:
        raise _Refused(_("XML の DTD・エンティティ宣言（<!DOCTYPE>）は使えません"))

    def _entity(self, name: str, *_args: object) -> None:
        raise _Refused(_("XML のエンティティ（%(name)s）は使えません", name=name))

    def _start(self, name: str, attributes: dict[str, str]) -> None:
        local = name.rpartition(":")[2]
        if self.worksheet is None:
            self.worksheet = local == "worksheet"
        if not self.worksheet:
            return
        if local == "row":
            self.row = self._number(attributes.get("r"), self.row + 1)
            self._check_row(self.row)
            self.column = 0
        elif local == "c":
            self.cells += 1
            if self.cells > MAX_SHEET_CELLS:
                raise _Refused(
                    _(
                        "セルが多すぎます（上限 %(limit)s 個）",
                        limit=f"{MAX_SHEET_CELLS:,}",
                    )
                )
            reference = attributes.get("r")
            if reference is None:
                self.column += 1
            else:
                row, self.column = self._cell(reference)
                self._check_row(row)
            self._check_column(self.column, reference or "")
        elif local == "mergeCell":
            self._merge(attributes.get("ref", ""))

    def _number(self, text: str | None, default: int) -> int:
        if text is None:
            return default
        if not text.isascii() or not text.isdigit() or len(text) > 7:
            raise _Refused(_("行番号 %(row)s を読めません", row=text[:20]))
        return int(text)

    def _cell(self, reference: str) -> tuple[int, int]:
        found = _CELL.fullmatch(reference)
        if found is None:
            raise _Refused(_("セル番地 %(cell)s を読めません", cell=reference[:20]))
        return int(found.group(2)), column_index_from_string(found.group(1).upper())

    def _check_row(self, row: int) -> None:
        if not 1 <= row <= MAX_SHEET_ROWS:
            raise _Refused(
                _(
                    "%(row)s 行目があります。行は %(limit)s 行までにしてください",
                    row=f"{row:,}",
                    limit=f"{MAX_SHEET_ROWS:,}",
                )
            )

    def _check_column(self, column: int, reference: str) -> None:
        if column > MAX_SHEET_COLUMNS:
            raise _Refused(
                _(
                    "セル %(cell)s は %(column)s 列目です。列は %(limit)s 列までにしてください",
                    cell=reference or "-",
                    column=f"{column:,}",
                    limit=f"{MAX_SHEET_COLUMNS:,}",
                )
            )

    def _merge(self, ref: str) -> None:
        corners = ref.split(":")
        if len(corners) not in (1, 2):
            raise _Refused(_("結合セルの範囲 %(range)s を読めません", range=ref[:40]))
        (top, left), (bottom, right) = self._cell(corners[0]), self._cell(corners[-1])
        for row, column in ((top, left), (bottom, right)):
            self._check_row(row)
            self._check_column(column, ref)
        self.merged += (abs(bottom - top) + 1) * (abs(right - left) + 1)
        if self.merged > MAX_SHEET_MERGED_CELLS:
            raise _Refused(
                _(
                    "結合セルが大きすぎます（結合されたセルが合わせて %(limit)s 個を超えます）",
                    limit=f"{MAX_SHEET_MERGED_CELLS:,}",
                )
            )

    def feed(self, data: bytes, last: bool) -> None:
        self.parser.Parse(data, last)


def _too_big(display: str, size: int) -> InvalidInput:
    message = _(
        "展開後の大きさが上限 %(limit)s バイトを超えます（%(size)s バイト以上）。"
        "判定シートや機能一覧として大きすぎます",
        limit=f"{MAX_XLSX_UNPACKED_BYTES:,}",
        size=f"{size:,}",
    )
    return InvalidInput([Problem(display, 0, message)])


def _declared_size(infos: list[zipfile.ZipInfo]) -> int:
    """What the zip's central directory says its parts unpack to (a first, cheap check only:
    the parts are counted again as they inflate)."""
    return sum(info.file_size for info in infos)


def check_xlsx(data: bytes, display: str) -> None:
    """Raise InvalidInput (naming the part and line) unless `data` is an .xlsx file within
    domain.limits: file size, unpacked size, rows, columns, cells and merged cells per sheet,
    XML without DTD or entities and well-formed."""
    if len(data) > MAX_XLSX_FILE_BYTES:
        message = _(
            "ファイルが大きすぎます（上限 %(limit)s バイト）", limit=f"{MAX_XLSX_FILE_BYTES:,}"
        )
        raise InvalidInput([Problem(display, 0, message)])
    try:
        archive = zipfile.ZipFile(BytesIO(data))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        message = _(
            "Excel ファイル（.xlsx）として読めません: %(error)s",
            error=str(error) or type(error).__name__,
        )
        raise InvalidInput([Problem(display, 0, message)]) from None
    with archive:
        infos = archive.infolist()
        declared = _declared_size(infos)
        if declared > MAX_XLSX_UNPACKED_BYTES:
            raise _too_big(display, declared)
        unpacked = 0
        for info in infos:
            xml = info.filename.endswith((".xml", ".rels", ".vml"))
            part = _Part(info.filename) if xml else None
            try:
                with archive.open(info) as stream:
                    while chunk := stream.read(_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > MAX_XLSX_UNPACKED_BYTES:
                            raise _too_big(display, unpacked)
                        if part is not None:
                            part.feed(chunk, False)
                if part is not None:
                    part.feed(b"", True)
            except _Refused as refused:
                line = part.parser.CurrentLineNumber if part is not None else 0
                where = f"{display}[{info.filename}]"
                raise InvalidInput([Problem(where, line, refused.message)]) from None
            except expat.ExpatError as error:
                message = _(
                    "XML が壊れています（%(error)s）。Excel で開いて保存し直してください",
                    error=expat.errors.messages.get(error.code, str(error)),
                )
                where = f"{display}[{info.filename}]"
                raise InvalidInput([Problem(where, error.lineno, message)]) from None
            except (
                zipfile.BadZipFile,
                zlib.error,
                OSError,
                EOFError,
                NotImplementedError,
                RuntimeError,
            ) as error:
                message = _(
                    "Excel ファイル（.xlsx）として読めません: %(error)s",
                    error=str(error) or type(error).__name__,
                )
                raise InvalidInput([Problem(display, 0, message)]) from None
