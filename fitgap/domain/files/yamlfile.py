"""Reading YAML with line numbers, so every problem can be reported as FILE:LINE: message.

PyYAML's C parser builds the node tree; we walk the nodes ourselves instead of letting PyYAML
construct Python objects, because only the nodes know their line and whether a scalar was
quoted (an unquoted 0010010 is an int to YAML, and must be reported, never silently converted).
"""

from __future__ import annotations

import errno
import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from fitgap.domain.i18n import _
from fitgap.domain.limits import MAX_INTEGER_DIGITS, MAX_YAML_DEPTH
from fitgap.domain.limits import MAX_YAML_FILE_BYTES as MAX_YAML_FILE_BYTES  # marks_fast

try:
    _BaseLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _BaseLoader = yaml.SafeLoader


class _Loader(_BaseLoader):  # type: ignore[valid-type,misc]
    """The C parser with a memoized tag resolver: marks files repeat the same keys and values
    (function, status, fit, ...) hundreds of thousands of times, and the pure-Python regex
    resolver was the biggest cost of reading them."""

    def resolve(self, kind: type[yaml.Node], value: str | None, implicit: tuple[bool, bool]) -> str:
        key = (kind, value, implicit)
        tag = _resolved.get(key)
        if tag is None:
            tag = super().resolve(kind, value, implicit)
            if len(_resolved) < 200_000:
                _resolved[key] = tag
        return tag


_resolved: dict[tuple[type[yaml.Node], str | None, tuple[bool, bool]], str] = {}
MemoLoader = _Loader  # for marks_fast, which resolves plain scalars the same way

STR_TAG = "tag:yaml.org,2002:str"
INT_TAG = "tag:yaml.org,2002:int"
FLOAT_TAG = "tag:yaml.org,2002:float"
BOOL_TAG = "tag:yaml.org,2002:bool"
NULL_TAG = "tag:yaml.org,2002:null"

ID_PATTERN = re.compile(r"[a-z0-9-]+")

# One constructor reused for scalar conversion (ints with underscores, floats, ...).
_constructor = yaml.SafeLoader("")


@dataclass(frozen=True, slots=True, order=True)
class Problem:
    """One thing wrong with an input file, at a line (1-based; 0 when the whole file)."""

    file: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"


class InvalidInput(Exception):
    """Raised with every problem found, so the user can fix them all in one go."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = sorted(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


@dataclass
class Reader:
    """Walks the nodes of one file, collecting problems instead of stopping at the first."""

    file: str
    problems: list[Problem] = field(default_factory=list)
    # The key node of each mapping value read so far, so a problem with a value is reported on
    # its key's line (a block list or mapping value starts on the line after its key).
    _keys: dict[int, yaml.Node] = field(default_factory=dict)

    def problem(self, node: yaml.Node | None, message: str) -> None:
        """Record a problem at the line of `node` (of its key, when it is a mapping value)."""
        if node is not None:
            node = self._keys.get(id(node), node)
        line = node.start_mark.line + 1 if node is not None else 0
        self.problems.append(Problem(self.file, line, message))

    def mapping(
        self, node: yaml.Node, what: str, allowed: set[str], required: set[str]
    ) -> dict[str, yaml.Node] | None:
        """A mapping's values by key; unknown, duplicate and missing keys are problems."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(
                node, _("%(what)s はキーと値の組（マッピング）で書いてください", what=what)
            )
            return None
        values: dict[str, yaml.Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if not isinstance(key, str) or key_node.tag != STR_TAG:
                self.problem(key_node, _("%(what)s のキーが文字列ではありません", what=what))
                continue
            if key in values:
                self.problem(
                    key_node, _("%(what)s にキー %(key)s が二度あります", what=what, key=key)
                )
                continue
            if key not in allowed and not key.startswith("x-"):
                self.problem(
                    key_node,
                    _(
                        "%(what)s に不明なキー %(key)s があります（使えるキー: %(allowed)s）",
                        what=what,
                        key=key,
                        allowed=", ".join(sorted(allowed)),
                    ),
                )
                continue
            values[key] = value_node
            self._keys[id(value_node)] = key_node
        for key in sorted(required - values.keys()):
            self.problem(node, _("%(what)s に必須のキー %(key)s がありません", what=what, key=key))
        return values

    def sequence(self, node: yaml.Node, key: str) -> list[yaml.Node] | None:
        """The items of a list, or None (and a problem) when the value is not a list."""
        if isinstance(node, yaml.SequenceNode):
            return list(node.value)
        self.problem(node, _("%(key)s はリストで書いてください", key=key))
        return None

    def text(self, node: yaml.Node, key: str, *, allow_empty: bool = False) -> str | None:
        """A string value; numbers, booleans and nulls are problems, not silently converted."""
        if isinstance(node, yaml.ScalarNode) and node.tag == STR_TAG:
            value = str(node.value)
            if not allow_empty and not value.strip():
                self.problem(node, _("%(key)s が空です", key=key))
                return None
            return value
        self.problem(node, _("%(key)s は文字列で書いてください", key=key))
        return None

    def optional_text(self, node: yaml.Node | None, key: str) -> str | None:
        """A string value that may be absent or null."""
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
            return None
        return self.text(node, key, allow_empty=True)

    def identifier(self, node: yaml.Node, key: str) -> str | None:
        """A function or form id: text, and an unquoted number is a problem that says to quote."""
        if isinstance(node, yaml.ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG):
            self.problem(
                node,
                _(
                    "%(key)s の %(value)s が数値として読まれました。先頭の0を保つため"
                    '"%(value)s" のように引用符で囲んでください',
                    key=key,
                    value=node.value,
                ),
            )
            return None
        value = self.text(node, key)
        if value is not None and (value != value.strip() or any(c.isspace() for c in value)):
            self.problem(node, _("%(key)s %(value)s に空白が含まれています", key=key, value=value))
            return None
        return value

    def slug(self, node: yaml.Node, key: str) -> str | None:
        """An area or town id: lower-case letters, digits and hyphens."""
        value = self.text(node, key)
        if value is not None and not ID_PATTERN.fullmatch(value):
            self.problem(
                node,
                _(
                    "%(key)s %(value)s には半角の英小文字・数字・ハイフン"
                    "（a-z 0-9 -）だけが使えます",
                    key=key,
                    value=value,
                ),
            )
            return None
        return value

    def integer(
        self, node: yaml.Node | None, key: str, *, maximum: int, minimum: int = 0
    ) -> int | None:
        """A whole number from `minimum` to `maximum` (domain.limits), or None when absent."""
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag == INT_TAG:
            # Turning thousands of digits into a number is slow (Python refuses past 4,300).
            digits = sum(c.isdigit() for c in str(node.value))
            value = _constructor.construct_object(node) if digits <= MAX_INTEGER_DIGITS else None
            if isinstance(value, int) and minimum <= value <= maximum:
                return value
            self.problem(
                node,
                _(
                    "%(key)s は %(minimum)s 以上 %(maximum)s 以下にしてください",
                    key=key,
                    minimum=f"{minimum:,}",
                    maximum=f"{maximum:,}",
                ),
            )
            return None
        self.problem(node, _("%(key)s は整数で書いてください", key=key))
        return None

    def number(self, node: yaml.Node | None, key: str, *, maximum: float) -> float | None:
        """A number from 0 to `maximum` (domain.limits), or None when absent."""
        if node is None or (isinstance(node, yaml.ScalarNode) and node.tag == NULL_TAG):
            return None
        if isinstance(node, yaml.ScalarNode) and node.tag in (INT_TAG, FLOAT_TAG):
            digits = sum(c.isdigit() for c in str(node.value))
            value = (
                float(_constructor.construct_object(node))
                if digits <= MAX_INTEGER_DIGITS
                else math.inf
            )
            if 0 <= value <= maximum:
                return value
            self.problem(
                node,
                _(
                    "%(key)s は 0 以上 %(maximum)s 以下にしてください",
                    key=key,
                    maximum=f"{maximum:,g}",
                ),
            )
            return None
        self.problem(node, _("%(key)s は数値で書いてください", key=key))
        return None

    def plain(self, node: yaml.Node, key: str) -> Any:
        """A user attribute as plain JSON-like Python: text, numbers, booleans, null, lists and
        mappings of them; dates become ISO text. Anything else (tags, binary) is a problem."""
        try:
            value = _constructor.construct_object(node, deep=True)
        except (yaml.YAMLError, ValueError, TypeError) as error:
            detail = getattr(error, "problem", None) or str(error)
            self.problem(node, _("%(key)s を読めません: %(detail)s", key=key, detail=detail))
            return None
        try:
            return _json_like(value)
        except TypeError:
            self.problem(
                node,
                _(
                    "%(key)s には文字列・数値・真偽値・リスト・マッピングだけが書けます",
                    key=key,
                ),
            )
            return None

    def format_tag(self, values: dict[str, yaml.Node], expected: str) -> bool:
        """Check the `format:` key names the expected format and version."""
        node = values.get("format")
        if node is None:
            return False
        value = self.text(node, "format")
        if value is not None and value != expected:
            self.problem(
                node,
                _(
                    "format が %(value)s です。このファイルには %(expected)s が必要です",
                    value=value,
                    expected=expected,
                ),
            )
            return False
        return value is not None


def _json_like(value: Any) -> Any:
    """`value` with dates as ISO text; TypeError for what JSON cannot hold."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            raise TypeError(value)
        return value
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, list):
        return [_json_like(item) for item in value]
    if isinstance(value, dict):
        if not all(isinstance(k, str) for k in value):
            raise TypeError(value)
        return {k: _json_like(v) for k, v in value.items()}
    raise TypeError(value)


def read_input_file(path: Path, display: str, limit: int) -> bytes:
    """The bytes of an input file; InvalidInput unless it is a regular file of at most `limit`
    bytes. Devices (/dev/zero), FIFOs and sockets are refused without reading (a FIFO would
    hang), and a file that grows while read is cut at the limit and refused."""

    def refuse(message: str) -> InvalidInput:
        return InvalidInput([Problem(display, 0, message)])

    try:
        # O_NONBLOCK: opening a FIFO without a writer must not hang; it is refused just below.
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise refuse(_("ファイルがありません（リンク先がないリンクかもしれません）")) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            raise refuse(_("シンボリックリンクがループしています")) from None
        raise refuse(_("読み込めません: %(error)s", error=error.strerror)) from None
    mode = os.fstat(descriptor).st_mode
    if not stat.S_ISREG(mode):
        os.close(descriptor)
        if stat.S_ISDIR(mode):
            raise refuse(_("ファイルではなくフォルダです"))
        raise refuse(_("通常のファイルではありません（デバイス・FIFO などは読み込めません）"))
    with os.fdopen(descriptor, "rb") as handle:
        try:
            data = handle.read(limit + 1)
        except OSError as error:
            raise refuse(_("読み込めません: %(error)s", error=error.strerror)) from None
    if len(data) > limit:
        raise refuse(
            _(
                "ファイルが大きすぎます（上限 %(limit)s バイト）",
                limit=f"{limit:,}",
            )
        )
    return data


def _alias_name(text: str, line: int) -> str:
    """The alias (*name) written on a 1-based line of `text`, or "*" when none is found."""
    lines = text.splitlines()
    found = re.search(r"\*([^\s,\[\]{}]+)", lines[line - 1]) if 0 < line <= len(lines) else None
    return f"*{found.group(1)}" if found else "*"


def _shape_problems(root: yaml.Node, text: str, display: str) -> list[Problem]:
    """Aliases and nesting deeper than MAX_YAML_DEPTH, found without expanding anything.

    The composer gives an alias the very node of its anchor, so a node met twice is an alias;
    each node is visited once, so a bomb of nested aliases costs no more than its text.
    """
    problems: list[Problem] = []
    seen: set[int] = set()
    alias_lines: set[int] = set()
    # (node, depth, line of the key (or of the list) that holds it: an alias has no node of its
    # own, so that is the line to report it on)
    stack: list[tuple[yaml.Node, int, int]] = [(root, 0, root.start_mark.line + 1)]
    while stack:
        node, depth, line = stack.pop()
        if isinstance(node, yaml.ScalarNode):
            continue
        if id(node) in seen:
            if line in alias_lines:
                continue
            alias_lines.add(line)
            problems.append(
                Problem(
                    display,
                    line,
                    _(
                        "アンカーとエイリアス（&名前 と %(alias)s）は使えません。値をそのまま"
                        "書いてください",
                        alias=_alias_name(text, line),
                    ),
                )
            )
            continue
        seen.add(id(node))
        if depth >= MAX_YAML_DEPTH:
            problems.append(
                Problem(
                    display,
                    node.start_mark.line + 1,
                    _(
                        "入れ子が深すぎます（%(limit)s 段まで）",
                        limit=MAX_YAML_DEPTH,
                    ),
                )
            )
            continue
        if isinstance(node, yaml.MappingNode):
            for key, value in reversed(node.value):
                stack.append((value, depth + 1, key.start_mark.line + 1))
                stack.append((key, depth + 1, key.start_mark.line + 1))
        elif isinstance(node, yaml.SequenceNode):
            for item in reversed(node.value):
                stack.append((item, depth + 1, line))
    return problems


def compose(path: Path, display: str) -> tuple[yaml.Node | None, list[Problem]]:
    """Read one file into a YAML node tree; a file that is not a regular one or is too big
    (MAX_YAML_FILE_BYTES), encoding and syntax errors, aliases and too deep nesting are
    problems."""
    try:
        raw = read_input_file(path, display, MAX_YAML_FILE_BYTES)
    except InvalidInput as error:
        return None, error.problems
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = raw[: error.start].count(b"\n") + 1
        message = _("UTF-8 として読めません（%(position)s バイト目）", position=error.start + 1)
        return None, [Problem(display, line, message)]
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark is not None else 0
        detail = error.problem or error.context or ""
        return None, [
            Problem(display, line, _("YAML の書き方に誤りがあります: %(detail)s", detail=detail))
        ]
    except yaml.YAMLError as error:
        return None, [
            Problem(display, 0, _("YAML の書き方に誤りがあります: %(detail)s", detail=error))
        ]
    if node is None:
        return None, [Problem(display, 1, _("ファイルが空です"))]
    problems = _shape_problems(node, text, display)
    if problems:
        return None, problems
    return node, []


def yaml_files(folder: Path) -> Iterator[Path]:
    """The .yaml and .yml entries of a folder, in a stable order: files, and also what only
    looks like one (a folder named x.yaml, a broken link or a link loop), which compose()
    then reports instead of it being skipped silently."""
    yield from sorted(p for p in folder.iterdir() if p.suffix in (".yaml", ".yml"))
