"""A fast reader for well-formed catalog files, line by line, with no YAML node per scalar.

Like marks_fast for the marks: the precise reader (catalog.read_catalog through
yamlfile.compose) builds a node for every key and value so that it can report any problem as
FILE:LINE, and for a catalog of 20,000 functions that is most of `fitgap check` and
`fitgap load`. Catalog files are written by hand in the documented layout or by
`fitgap catalog import-xlsx`:

    format: fitgap-catalog/1
    area:
      id: juki
      name: 住民記録
    functions:
      - id: "0010010"
        path: [管理項目, 住民データ]
        name: 日本人住民データの管理
        requirement: mandatory
        text: |
          ...
        x-spec-ref: "1.1.1"

This module reads that subset of YAML (block mappings and lists, indented or not; plain,
quoted and `|` / `|-` scalars; one-line flow lists of plain or quoted scalars; comments and
blank lines) and checks every rule the precise reader checks. A user attribute (x-...) is
taken when it is text. Anything else, or anything wrong, and it answers None: the caller
reads the file with the precise reader, which reports the problems with their lines exactly
as before. A file it accepts gives the same Area, functions and lines as the precise reader.
"""

from __future__ import annotations

import re
from pathlib import Path

from fitgap.domain.files import yamlfile
from fitgap.domain.files.marks_fast import _NULL, _UNUSUAL, _NotFast, _scalar, literal_block
from fitgap.domain.files.yamlfile import ID_PATTERN, InvalidInput, read_input_file
from fitgap.domain.values import REQUIREMENT_SYNONYMS, Area, Function

__all__ = ["read_area_fast"]

_KEY = re.compile(r"( *)([a-z_]+|x-[A-Za-z0-9_-]+):(?: +(.*))?$")
_ITEM = re.compile(r"( *)- +(.*)$")
_AREA_KEYS = frozenset({"format", "area", "spec", "functions"})
_FUNCTION_KEYS = frozenset({"id", "path", "name", "requirement", "text", "note", "forms"})
_FUNCTION_REQUIRED = frozenset({"id", "name", "requirement", "text"})
MAX_HEADINGS = 4  # the levels of headings a function's path may have (catalog.py too)

# A value as read: str, int or _NULL for a scalar, a list of them, or a mapping of key ->
# (line, value). Lines are 1-based.
Value = object


def read_area_fast(path: Path, display: str, catalog_format: str) -> Area | None:
    """The Area of a well-formed catalog file, or None to read it precisely."""
    try:
        raw = read_input_file(path, display, yamlfile.MAX_YAML_FILE_BYTES)
        text = raw.decode("utf-8-sig")
    except (InvalidInput, UnicodeDecodeError):
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if _UNUSUAL.search(text) or not text.endswith("\n"):
        return None  # (without a last line break, a `|` block at the end keeps none)
    try:
        lines = text.split("\n")
        scan = _Scan(lines)
        top = scan.mapping(0)
        scan.skip()
        if scan.k < len(lines):
            raise _NotFast
        return _area(top, display, catalog_format)
    except _NotFast:
        return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


class _Scan:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.k = 0
        # Blank lines and comment lines, found once (the scan looks at most lines twice).
        self.blank = [not (s := line.lstrip(" ")) or s[0] == "#" for line in lines]

    def skip(self) -> None:
        """Past blank lines and comment lines."""
        blank, k = self.blank, self.k
        while k < len(blank) and blank[k]:
            k += 1
        self.k = k

    def mapping(self, indent: int, first: tuple[str, str | None] | None = None) -> dict[str, Value]:
        """A block mapping whose keys stand at `indent` (its first key already matched, for a
        mapping that starts on a list item's line)."""
        values: dict[str, Value] = {}
        if first is not None:
            self.value(values, first[0], first[1], indent)
        lines = self.lines
        while True:
            self.skip()
            if self.k >= len(lines):
                break
            line = lines[self.k]
            found = _KEY.match(line)
            if found is None or len(found.group(1)) != indent:
                if _indent(line) < indent:
                    break
                raise _NotFast
            self.k += 1
            self.value(values, found.group(2), found.group(3), indent)
        if not values:
            raise _NotFast
        return values

    def value(self, values: dict[str, Value], key: str, rest: str | None, indent: int) -> None:
        if key in values:
            raise _NotFast
        line = self.k  # the key's line, 1-based (self.k is already past it)
        rest = rest.rstrip(" ") if rest is not None else ""
        if rest in ("|", "|-"):
            values[key] = (line, self.literal(indent, keep_last=rest == "|"))
        elif rest.startswith("["):
            values[key] = (line, _flow(rest))
        elif rest:
            values[key] = (line, _scalar(rest))
        else:
            self.skip()
            if self.k >= len(self.lines):
                values[key] = (line, _NULL)
                return
            next_line = self.lines[self.k]
            below = _indent(next_line)
            if _ITEM.match(next_line) and below >= indent:
                values[key] = (line, self.sequence(below))
            elif below > indent:
                values[key] = (line, self.mapping(below))
            else:
                values[key] = (line, _NULL)

    def sequence(self, indent: int) -> list[Value]:
        """A block list whose dashes stand at `indent`: scalars, or mappings (as (line,
        mapping) pairs) that start on the dash's line."""
        items: list[Value] = []
        lines = self.lines
        while True:
            self.skip()
            if self.k >= len(lines):
                break
            line = lines[self.k]
            found = _ITEM.match(line)
            if found is None or len(found.group(1)) != indent:
                if (found is None and _indent(line) <= indent) or _indent(line) < indent:
                    break
                raise _NotFast
            self.k += 1
            content = found.group(2)
            key = _KEY.match(content)
            if key is not None:
                key_indent = len(line) - len(content)
                items.append((self.k, self.mapping(key_indent, (key.group(2), key.group(3)))))
            elif content.rstrip(" ").startswith(("|", "[", "-")):
                raise _NotFast
            else:
                items.append(_scalar(content))
        if not items:
            raise _NotFast
        return items

    def literal(self, indent: int, *, keep_last: bool) -> str:
        """A `|` or `|-` block: its lines, less their common indentation."""
        text, self.k = literal_block(self.lines, self.k, indent, keep_last=keep_last)
        return text


_FLOW_UNUSUAL = frozenset("[]{}#&*!|>%@`\\:")


def _flow(rest: str) -> list[Value]:
    """A one-line flow list of plain or quoted scalars: [a, b] or ["0230010"]."""
    if not rest.endswith("]"):
        raise _NotFast
    inner = rest[1:-1]
    if not inner.strip(" "):
        return []
    items: list[Value] = []
    for part in inner.split(","):
        part = part.strip(" ")
        if not part or _FLOW_UNUSUAL.intersection(part):
            raise _NotFast
        quote = part[0]
        if quote in "'\"" and (len(part) < 2 or part[-1] != quote or quote in part[1:-1]):
            raise _NotFast
        items.append(_scalar(part))
    return items


def _text(entry: Value, *, allow_empty: bool = False) -> str:
    """reader.text: a string (empty only when allowed); anything else is the precise
    reader's to word."""
    value = entry[1] if isinstance(entry, tuple) else entry
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise _NotFast
    return value


def _optional_text(entry: Value | None) -> str | None:
    if entry is None:
        return None
    value = entry[1] if isinstance(entry, tuple) else entry
    return None if value is _NULL else _text(value, allow_empty=True)


def _identifier(entry: Value) -> str:
    value = _text(entry)
    if value != value.strip() or any(c.isspace() for c in value):
        raise _NotFast
    return value


def _slug(entry: Value) -> str:
    value = _text(entry)
    if not ID_PATTERN.fullmatch(value):
        raise _NotFast
    return value


def _mapping(entry: Value, allowed: frozenset[str], required: frozenset[str]) -> dict[str, Value]:
    value = entry[1] if isinstance(entry, tuple) else entry
    if not isinstance(value, dict):
        raise _NotFast
    keys = set(value)
    if not required <= keys or not keys <= allowed:
        raise _NotFast  # an unknown key, or an x- key where nothing reads it
    return value


def _list(entry: Value) -> list[Value]:
    value = entry[1] if isinstance(entry, tuple) else entry
    if not isinstance(value, list):
        raise _NotFast
    return value


def _area(top: dict[str, Value], display: str, catalog_format: str) -> Area:
    _mapping(top, _AREA_KEYS, frozenset({"format", "area", "functions"}))
    if _text(top["format"]) != catalog_format:
        raise _NotFast
    area = _mapping(top["area"], frozenset({"id", "name", "name_en"}), frozenset({"id", "name"}))
    area_id = _slug(area["id"])
    name = _text(area["name"])
    name_en = _optional_text(area.get("name_en"))
    spec_title = spec_version = None
    if "spec" in top:
        spec = _mapping(top["spec"], frozenset({"title", "version"}), frozenset())
        spec_title = _optional_text(spec.get("title"))
        spec_version = _optional_text(spec.get("version"))
    functions = []
    for item in _list(top["functions"]):
        if not isinstance(item, tuple):
            raise _NotFast
        functions.append(_function(item[0], item[1], area_id))
    return Area(
        id=area_id,
        name=name,
        name_en=name_en,
        spec_title=spec_title,
        spec_version=spec_version,
        functions=tuple(functions),
        source=display,
    )


def _function(line: int, item: Value, area_id: str) -> Function:
    if not isinstance(item, dict):
        raise _NotFast
    keys = set(item)
    if not keys >= _FUNCTION_REQUIRED:
        raise _NotFast
    extra: dict[str, object] = {}
    for key in keys - _FUNCTION_KEYS:
        if not key.startswith("x-"):
            raise _NotFast
        extra[key] = _text(item[key], allow_empty=True)  # text only: the rest is precise
    requirement = REQUIREMENT_SYNONYMS.get(_text(item["requirement"]).strip())
    if requirement is None:
        raise _NotFast
    path: tuple[str, ...] = ()
    if "path" in item:
        headings = _list(item["path"])
        if len(headings) > MAX_HEADINGS:
            raise _NotFast
        path = tuple(_text(heading).strip() for heading in headings)
    forms: tuple[str, ...] = ()
    if "forms" in item:
        forms = tuple(_identifier(form) for form in _list(item["forms"]))
    return Function(
        id=_identifier(item["id"]),
        area_id=area_id,
        name=_text(item["name"]).strip(),
        requirement=requirement,
        text=_text(item["text"]),
        path=path,
        note=_optional_text(item.get("note")),
        forms=forms,
        extra={key: extra[key] for key in item if key in extra},
        line=line,
    )
