"""A fast reader for well-formed marks files, line by line, with no YAML node per scalar.

The precise reader (catalog.read_marks through yamlfile.compose) builds a node for every key
and value so that it can report any problem as FILE:LINE; for a town's 20,000 marks that is
most of an import's time. Almost every marks file is written by `fitgap marks export` or by a
tool that writes the same plain layout:

    format: fitgap-marks/1
    town: ishii
    marks:
      - function: '0010010'
        status: customization
        note: |
          ...
        cost:
          initial_yen: 1200000
          annual_yen: 150000

This module reads exactly that subset of YAML (block mappings and one block list, plain,
quoted and `|` literal scalars, comments and blank lines) and checks every rule the precise
reader checks, including the input limits (file size, note length, yen, digits). Anything
else, or anything wrong, and it answers None: the caller then reads the file with the
precise reader, which reports the problems with their lines exactly as before. So a file it
accepts gives the same marks, with the same lines, as the precise reader; a file it does not
accept costs one more (fast) pass.
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from fitgap.domain.files import yamlfile
from fitgap.domain.files.yamlfile import (
    ID_PATTERN,
    STR_TAG,
    InvalidInput,
    MemoLoader,
    read_input_file,
)
from fitgap.domain.limits import (
    MAX_INTEGER_DIGITS,
    MAX_NOTE_LENGTH,
    MAX_YEN,
)
from fitgap.domain.marking import tidy_note
from fitgap.domain.values import STATUS_SYNONYMS, Cost, Mark, Status

__all__ = ["FastMarks", "read_marks_fast"]

# (town id, marks in file order, function id -> line of its mark)
FastMarks = tuple[str, list[Mark], dict[str, int]]

# Characters YAML does not allow, and the line breaks (\r alone, \x85, \u2028, \u2029: YAML 1.1
# breaks lines there too) and tabs this reader leaves to the precise one (YAML's printable set
# is \t \n \r \x20-\x7e \x85 \xa0-\ud7ff \ue000-\ufffd and above; the byte-order mark is
# only allowed first, where utf-8-sig removes it).
_UNUSUAL = re.compile(
    "[^\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]"
)
_KEY = re.compile(r"( *)([a-z_]+):(?: +(.*))?$")
_ITEM = re.compile(r"( *)- +([a-z_]+):(?: +(.*))?$")
_INTEGER = re.compile(r"0|[1-9][0-9]*")
# A plain scalar may not start with an indicator, nor hold ": " or " #", nor end with ":".
_PLAIN_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_NULL = object()  # an empty value (YAML null)
_MARK_KEYS = frozenset({"function", "status", "note", "cost"})
_COST_KEYS = frozenset({"initial_yen", "annual_yen"})
_resolver = MemoLoader("")  # its memoized implicit resolver, as the precise reader uses it
# The first characters YAML's implicit resolvers look at: a plain scalar that starts with any
# other is text, without asking them (None among them would be a resolver for every scalar).
_IMPLICIT_FIRST = frozenset(MemoLoader.yaml_implicit_resolvers)
_ANY_FIRST = None in _IMPLICIT_FIRST


class _NotFast(Exception):
    """The file is not in the subset this reader takes: read it precisely."""


def read_marks_fast(
    path: Path,
    display: str,
    town_ids: set[str] | frozenset[str],
    function_ids: set[str] | frozenset[str],
    marks_format: str,
) -> FastMarks | None:
    """The town, marks and lines of a well-formed marks file, or None to read it precisely."""
    try:
        # The precise reader's size limit, read where it reads it (one limit, one place).
        raw = read_input_file(path, display, yamlfile.MAX_YAML_FILE_BYTES)
        text = raw.decode("utf-8-sig")
    except (InvalidInput, UnicodeDecodeError):
        return None
    if "\r" in text:
        text = text.replace("\r\n", "\n")
    if _UNUSUAL.search(text):
        return None
    try:
        return _Scan(text.split("\n"), town_ids, function_ids, marks_format).run()
    except _NotFast:
        return None


def _scalar(rest: str | None) -> object:
    """The value of a one-line scalar as YAML reads it: str, int or _NULL."""
    if rest is None:
        return _NULL
    rest = rest.rstrip(" ")
    if not rest:
        return _NULL
    first = rest[0]
    if first == "'":
        inner = rest[1:-1]
        if len(rest) < 2 or rest[-1] != "'" or "'" in inner.replace("''", ""):
            raise _NotFast
        return inner.replace("''", "'")
    if first == '"':
        inner = rest[1:-1]
        if len(rest) < 2 or rest[-1] != '"' or '"' in inner or "\\" in inner:
            raise _NotFast
        return inner
    if first in _PLAIN_START or ": " in rest or " #" in rest or rest.endswith(":"):
        raise _NotFast
    if first not in _IMPLICIT_FIRST and not _ANY_FIRST:
        return rest
    tag = _resolver.resolve(yaml.ScalarNode, rest, (True, False))
    if tag == STR_TAG:
        return rest
    if _INTEGER.fullmatch(rest) and len(rest) <= MAX_INTEGER_DIGITS:
        return int(rest)
    raise _NotFast  # a null, bool, float or other number written out: the precise reader


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def literal_block(lines: list[str], k: int, indent: int, *, keep_last: bool) -> tuple[str, int]:
    """A `|` or `|-` block starting at line `k`, under a key indented by `indent`: its lines,
    less their common indentation, and the index of the first line after it. Anything YAML's
    own rules would have to decide (a first line not indented deeper, a line of spaces only)
    raises _NotFast. Shared by the marks and the catalog line readers."""
    if k >= len(lines) or not lines[k]:
        raise _NotFast
    block_indent = _indent(lines[k])
    if block_indent <= indent or not lines[k].strip(" "):
        raise _NotFast
    content: list[str] = []
    while k < len(lines):
        line = lines[k]
        if line:
            if not line.strip(" "):
                raise _NotFast  # a line of spaces only: leave it to YAML's rules
            if _indent(line) < block_indent:
                break
        content.append(line[block_indent:])
        k += 1
    while content and not content[-1]:
        content.pop()
        k -= 1
    return "\n".join(content) + ("\n" if keep_last else ""), k


def _skipped(line: str) -> bool:
    stripped = line.lstrip(" ")
    return not stripped or stripped.startswith("#")


class _Scan:
    def __init__(
        self,
        lines: list[str],
        town_ids: set[str] | frozenset[str],
        function_ids: set[str] | frozenset[str],
        marks_format: str,
    ) -> None:
        self.lines = lines
        self.k = 0
        self.town_ids = town_ids
        self.function_ids = function_ids
        self.marks_format = marks_format

    def run(self) -> FastMarks:
        top: dict[str, object] = {}
        marks: list[Mark] = []
        lines_of: dict[str, int] = {}
        items: list[tuple[int, dict[str, object]]] = []
        lines = self.lines
        while self.k < len(lines):
            line = lines[self.k]
            if _skipped(line):
                self.k += 1
                continue
            found = _KEY.match(line)
            if found is None or found.group(1) or found.group(2) in top:
                raise _NotFast
            key, rest = found.group(2), found.group(3)
            self.k += 1
            if key == "marks":
                if rest is not None and rest.strip(" "):
                    raise _NotFast
                top[key] = True
                items = self._items()
            elif key in ("format", "town"):
                top[key] = _scalar(rest)
            else:
                raise _NotFast
        if top.get("format") != self.marks_format or "marks" not in top:
            raise _NotFast
        town_id = top.get("town")
        if not isinstance(town_id, str) or not ID_PATTERN.fullmatch(town_id):
            raise _NotFast
        if town_id not in self.town_ids:
            raise _NotFast
        for line_number, values in items:
            mark = self._mark(town_id, values)
            if mark.function_id in lines_of:
                raise _NotFast
            lines_of[mark.function_id] = line_number
            marks.append(mark)
        return town_id, marks, lines_of

    def _items(self) -> list[tuple[int, dict[str, object]]]:
        """The block list after `marks:`: each item's line and its values."""
        lines = self.lines
        items: list[tuple[int, dict[str, object]]] = []
        item_indent: int | None = None
        while self.k < len(lines):
            line = lines[self.k]
            if _skipped(line):
                self.k += 1
                continue
            found = _ITEM.match(line)
            if found is None:
                if _indent(line) == 0 and item_indent is not None:
                    break  # the next top-level key
                raise _NotFast
            indent = len(found.group(1))
            if item_indent is None:
                item_indent = indent
            elif indent != item_indent:
                raise _NotFast
            line_number = self.k + 1
            self.k += 1
            values: dict[str, object] = {}
            key_indent = len(line) - len(line[indent + 1 :].lstrip(" "))
            self._value(values, found.group(2), found.group(3), key_indent)
            while self.k < len(lines):
                line = lines[self.k]
                if _skipped(line):
                    self.k += 1
                    continue
                if _indent(line) <= indent:
                    break
                found = _KEY.match(line)
                if found is None or len(found.group(1)) != key_indent:
                    raise _NotFast
                self.k += 1
                self._value(values, found.group(2), found.group(3), key_indent)
            items.append((line_number, values))
        if not items:
            raise _NotFast
        return items

    def _value(self, values: dict[str, object], key: str, rest: str | None, indent: int) -> None:
        if key in values or key not in _MARK_KEYS:
            raise _NotFast
        if key == "cost":
            if rest is not None and rest.strip(" "):
                raise _NotFast
            values[key] = self._cost(indent)
        elif key == "note" and rest is not None and rest.rstrip(" ") in ("|", "|-"):
            values[key] = self._literal(indent, keep_last=rest.rstrip(" ") == "|")
        else:
            values[key] = _scalar(rest)

    def _cost(self, indent: int) -> dict[str, object]:
        lines = self.lines
        cost: dict[str, object] = {}
        cost_indent: int | None = None
        while self.k < len(lines):
            line = lines[self.k]
            if _skipped(line):
                self.k += 1
                continue
            if _indent(line) <= indent:
                break
            found = _KEY.match(line)
            if found is None:
                raise _NotFast
            if cost_indent is None:
                cost_indent = len(found.group(1))
            key = found.group(2)
            if len(found.group(1)) != cost_indent or key in cost or key not in _COST_KEYS:
                raise _NotFast
            cost[key] = _scalar(found.group(3))
            self.k += 1
        if cost_indent is None:
            raise _NotFast  # `cost:` with nothing under it is null
        return cost

    def _literal(self, indent: int, *, keep_last: bool) -> str:
        """A `|` or `|-` block: its lines, less their common indentation."""
        text, self.k = literal_block(self.lines, self.k, indent, keep_last=keep_last)
        return text

    def _mark(self, town_id: str, values: dict[str, object]) -> Mark:
        function_id = values.get("function")
        raw = values.get("status")
        if not isinstance(function_id, str) or function_id not in self.function_ids:
            raise _NotFast
        if not isinstance(raw, str) or not raw.strip():
            raise _NotFast
        status = STATUS_SYNONYMS.get(raw.strip())
        if status is None:
            raise _NotFast
        note = values.get("note", _NULL)
        if note is _NULL:
            note = None
        elif not isinstance(note, str) or len(note) > MAX_NOTE_LENGTH:
            raise _NotFast
        else:
            note = tidy_note(note)  # as the precise reader stores it
        cost = None
        if "cost" in values:
            if status is not Status.CUSTOMIZATION:
                raise _NotFast
            amounts = values["cost"]
            if not isinstance(amounts, dict):
                raise _NotFast
            checked: list[int | None] = []
            for key in ("initial_yen", "annual_yen"):
                value = amounts.get(key, _NULL)
                if value is _NULL:
                    checked.append(None)
                elif type(value) is int and 0 <= value <= MAX_YEN:
                    checked.append(value)
                else:
                    raise _NotFast
            cost = Cost.of(checked[0], checked[1])
        return Mark(town_id=town_id, function_id=function_id, status=status, note=note, cost=cost)
