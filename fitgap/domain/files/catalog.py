"""Catalog, town and marks files: YAML in, validated domain objects out, with precise errors.

The formats are those of the public contract (docs/file-formats.md). Every reader collects all
problems of all files before it gives up, so users fix a whole batch in one go.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from fitgap.domain.files.catalog_fast import MAX_HEADINGS, read_area_fast
from fitgap.domain.files.group import GROUP_FILE_NAME, TOWN_GROUP_KEYS, read_town_group_keys
from fitgap.domain.files.marks_fast import read_marks_fast
from fitgap.domain.files.yamlfile import STR_TAG, InvalidInput, Problem, Reader, compose, yaml_files
from fitgap.domain.i18n import _, current_language, set_language
from fitgap.domain.limits import MAX_AREA_KM2, MAX_COUNT, MAX_NOTE_LENGTH, MAX_YEN
from fitgap.domain.marking import tidy_note
from fitgap.domain.values import (
    PRIORITY_SYNONYMS,
    REQUIREMENT_SYNONYMS,
    STATUS_SYNONYMS,
    Area,
    Cost,
    Function,
    Mark,
    Priority,
    Status,
    Town,
)

CATALOG_FORMAT = "fitgap-catalog/1"
TOWN_FORMAT = "fitgap-town/1"
MARKS_FORMAT = "fitgap-marks/1"

__all__ = [
    "CATALOG_FORMAT",
    "MARKS_FORMAT",
    "TOWN_FORMAT",
    "Catalog",
    "InvalidInput",
    "MarksFile",
    "Problem",
    "dump_marks",
    "read_catalog",
    "read_marks",
    "read_towns",
]


@dataclass(frozen=True, slots=True)
class Catalog:
    """All business areas of the package's function catalog."""

    areas: tuple[Area, ...]

    @property
    def functions(self) -> Iterable[Function]:
        """Every function of every area, in file order."""
        for area in self.areas:
            yield from area.functions


@dataclass(frozen=True, slots=True)
class MarksFile:
    """One town's marks as read from one file."""

    town_id: str
    marks: tuple[Mark, ...]
    source: str
    lines: Mapping[str, int] = field(default_factory=dict)  # function id -> line of its mark

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickled (back from the processes that parse big files) as plain tuples: the marks
        as frozen dataclasses holding enums took 20 times longer to pickle and to load."""
        rows = [
            (
                mark.town_id,
                mark.function_id,
                mark.status.value,
                mark.note,
                None if mark.cost is None else (mark.cost.initial_yen, mark.cost.annual_yen),
                None if mark.priority is None else mark.priority.value,
                mark.as_is,
            )
            for mark in self.marks
        ]
        return _unpickle_marks_file, (self.town_id, rows, self.source, self.lines)


_STATUSES = {status.value: status for status in Status}
_PRIORITIES = {priority.value: priority for priority in Priority}


def _unpickle_marks_file(
    town_id: str, rows: list[tuple[Any, ...]], source: str, lines: Mapping[str, int]
) -> MarksFile:
    marks = tuple(
        Mark(
            town,
            function_id,
            _STATUSES[status],
            note,
            None if cost is None else Cost(*cost),
            None if priority is None else _PRIORITIES[priority],
            as_is,
        )
        for town, function_id, status, note, cost, priority, as_is in rows
    )
    return MarksFile(town_id, marks, source, lines)


def _display(path: Path, base: Path | None) -> str:
    if base is not None:
        try:
            return str(path.relative_to(base))
        except ValueError:
            pass
    return str(path)


def _folder_problem(folder: Path, base: Path | None) -> Problem | None:
    if not folder.is_dir():
        return Problem(_display(folder, base), 0, _("フォルダがありません"))
    return None


def _read_area(node: yaml.Node, reader: Reader) -> Area | None:
    top = reader.mapping(
        node,
        _("カタログファイル"),
        allowed={"format", "area", "spec", "functions"},
        required={"format", "area", "functions"},
    )
    if top is None:
        return None
    reader.format_tag(top, CATALOG_FORMAT)
    area_id = name = name_en = spec_title = spec_version = None
    if "area" in top:
        area = reader.mapping(top["area"], "area", {"id", "name", "name_en"}, {"id", "name"})
        if area is not None:
            area_id = reader.slug(area["id"], "area.id") if "id" in area else None
            name = reader.text(area["name"], "area.name") if "name" in area else None
            name_en = reader.optional_text(area.get("name_en"), "area.name_en")
    if "spec" in top:
        spec = reader.mapping(top["spec"], "spec", {"title", "version"}, set())
        if spec is not None:
            spec_title = reader.optional_text(spec.get("title"), "spec.title")
            spec_version = reader.optional_text(spec.get("version"), "spec.version")
    functions: list[Function] = []
    items = reader.sequence(top["functions"], "functions") if "functions" in top else None
    for item in items or ():
        function = _read_function(item, reader, area_id or "")
        if function is not None:
            functions.append(function)
    # A file with problems still yields its readable functions, so that duplicate ids across
    # files are reported in the same run; read_catalog refuses the catalog anyway.
    return Area(
        id=area_id or "",
        name=name or "",
        name_en=name_en,
        spec_title=spec_title,
        spec_version=spec_version,
        functions=tuple(functions),
        source=reader.file,
    )


_FUNCTION_KEYS = {"id", "path", "name", "requirement", "text", "note", "forms"}
_FUNCTION_REQUIRED = {"id", "name", "requirement", "text"}


def _raw_id(node: yaml.Node) -> str | None:
    """The id of a function mapping, looked up before validation to name it in messages."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if getattr(key, "value", None) == "id" and isinstance(value, yaml.ScalarNode):
                return str(value.value)
    return None


def _read_function(node: yaml.Node, reader: Reader, area_id: str) -> Function | None:
    raw_id = _raw_id(node)
    what = _("機能 %(id)s", id=raw_id) if raw_id else _("機能")
    values = reader.mapping(node, what, _FUNCTION_KEYS, _FUNCTION_REQUIRED)
    if values is None:
        return None
    before = len(reader.problems)
    function_id = reader.identifier(values["id"], "id") if "id" in values else None
    name = reader.text(values["name"], "name") if "name" in values else None
    text = reader.text(values["text"], "text") if "text" in values else None
    requirement = None
    if "requirement" in values:
        raw = reader.text(values["requirement"], "requirement")
        if raw is not None:
            requirement = REQUIREMENT_SYNONYMS.get(raw.strip())
            if requirement is None:
                reader.problem(
                    values["requirement"],
                    _(
                        "%(what)s の requirement %(value)s は使えません"
                        "（mandatory / optional / prohibited、または"
                        "実装必須機能 / 標準オプション機能 / 実装不可機能）",
                        what=what,
                        value=raw,
                    ),
                )
    path: list[str] = []
    if "path" in values:
        headings = reader.sequence(values["path"], "path")
        if headings is not None:
            if len(headings) > MAX_HEADINGS:
                reader.problem(
                    values["path"],
                    _(
                        "%(what)s の path は見出し %(maximum)s 段までです（%(count)s 段あります）",
                        what=what,
                        maximum=MAX_HEADINGS,
                        count=len(headings),
                    ),
                )
            for heading in headings:
                value = reader.text(heading, "path")
                if value is not None:
                    path.append(value)
    forms: list[str] = []
    if "forms" in values:
        for form in reader.sequence(values["forms"], "forms") or ():
            form_id = reader.identifier(form, "forms")
            if form_id is not None:
                forms.append(form_id)
    note = reader.optional_text(values.get("note"), "note")
    extra = {key: reader.plain(value, key) for key, value in values.items() if key.startswith("x-")}
    if len(reader.problems) > before or None in (function_id, name, text, requirement):
        return None
    assert function_id is not None and name is not None and text is not None  # noqa: S101
    assert requirement is not None  # noqa: S101 - narrowed for mypy; checked just above
    return Function(
        id=function_id,
        area_id=area_id,
        name=name.strip(),
        requirement=requirement,
        text=text,
        path=tuple(p.strip() for p in path),
        note=note,
        forms=tuple(forms),
        extra=extra,
        line=node.start_mark.line + 1,
    )


def _read_files(
    folder: Path,
    base: Path | None,
    read_one: Callable[[yaml.Node, Reader], Any],
    skip: frozenset[str] = frozenset(),
    fast: Callable[[Path, str], Any] | None = None,
) -> tuple[list[Any], list[Problem]]:
    problems: list[Problem] = []
    results: list[Any] = []
    if folder.is_file():  # one file of a folder, e.g. to compare two editions of an area
        files = [folder]
    else:
        missing = _folder_problem(folder, base)
        if missing is not None:
            return [], [missing]
        files = [path for path in yaml_files(folder) if path.name not in skip]
    if not files:
        return [], [Problem(_display(folder, base), 0, _("YAML ファイルが一つもありません"))]
    for path in files:
        display = _display(path, base)
        if fast is not None and (quick := fast(path, display)) is not None:
            results.append(quick)  # well-formed: what the node reader below would give
            continue
        node, found = compose(path, display)
        problems.extend(found)
        if node is None:
            continue
        reader = Reader(display)
        result = read_one(node, reader)
        problems.extend(reader.problems)
        if result is not None:
            results.append(result)
    return results, problems


def _read_area_fast(path: Path, display: str) -> Area | None:
    return read_area_fast(path, display, CATALOG_FORMAT)


def read_catalog(folder: Path, *, base: Path | None = None) -> Catalog:
    """Read and validate every catalog file of `folder` (or that one file); raise InvalidInput
    with all problems."""
    areas, problems = _read_files(folder, base, _read_area, fast=_read_area_fast)
    seen_areas: dict[str, str] = {}
    seen_functions: dict[str, tuple[str, int]] = {}
    for area in areas:
        if area.id and area.id in seen_areas:
            problems.append(
                Problem(
                    area.source,
                    0,
                    _(
                        "業務ID %(id)s は %(other)s でも使われています",
                        id=area.id,
                        other=seen_areas[area.id],
                    ),
                )
            )
        seen_areas.setdefault(area.id, area.source)
        for function in area.functions:
            other = seen_functions.get(function.id)
            if other is not None:
                problems.append(
                    Problem(
                        area.source,
                        function.line,
                        _(
                            "機能ID %(id)s が重複しています（%(file)s:%(line)s にもあります）",
                            id=function.id,
                            file=other[0],
                            line=other[1],
                        ),
                    )
                )
            else:
                seen_functions[function.id] = (area.source, function.line)
    if problems:
        raise InvalidInput(problems)
    return Catalog(tuple(areas))


def _read_town(node: yaml.Node, reader: Reader) -> Town | None:
    values = reader.mapping(
        node,
        _("町ファイル"),
        allowed={
            "format",
            "id",
            "name",
            "prefecture",
            "population",
            "households",
            "budget_yen",
            "area_km2",
            *TOWN_GROUP_KEYS,
        },
        required={"format", "id", "name"},
    )
    if values is None:
        return None
    reader.format_tag(values, TOWN_FORMAT)
    town_id = reader.slug(values["id"], "id") if "id" in values else None
    name = reader.text(values["name"], "name") if "name" in values else None
    town = Town(
        id=town_id or "",
        name=(name or "").strip(),
        prefecture=reader.optional_text(values.get("prefecture"), "prefecture"),
        population=reader.integer(values.get("population"), "population", maximum=MAX_COUNT),
        households=reader.integer(values.get("households"), "households", maximum=MAX_COUNT),
        budget_yen=reader.integer(values.get("budget_yen"), "budget_yen", maximum=MAX_YEN),
        area_km2=reader.number(values.get("area_km2"), "area_km2", maximum=MAX_AREA_KM2),
        source=reader.file,
        line=values["id"].start_mark.line + 1 if "id" in values else node.start_mark.line + 1,
        **read_town_group_keys(values, reader).as_town_fields(),
    )
    # Returned even with problems so duplicate ids are still found; read_towns refuses anyway.
    return town if town_id else None


def read_towns(folder: Path, *, base: Path | None = None) -> tuple[Town, ...]:
    """Read and validate every town file of `folder` (not its group file); raise InvalidInput
    with all problems. Towns with a 団体コード come first, in code order."""
    towns, problems = _read_files(folder, base, _read_town, frozenset({GROUP_FILE_NAME}))
    towns.sort(key=lambda town: (town.code is None, town.code or ""))
    seen: dict[str, str] = {}
    for town in towns:
        if town.id in seen:
            problems.append(
                Problem(
                    town.source,
                    town.line,
                    _(
                        "町ID %(id)s は %(other)s でも使われています",
                        id=town.id,
                        other=seen[town.id],
                    ),
                )
            )
        seen.setdefault(town.id, town.source)
    if problems:
        raise InvalidInput(problems)
    return tuple(towns)


def _read_mark(
    node: yaml.Node, reader: Reader, town_id: str, function_ids: set[str] | frozenset[str]
) -> Mark | None:
    values = reader.mapping(
        node,
        _("判定"),
        {"function", "status", "note", "cost", "priority", "as_is"},
        {"function", "status"},
    )
    if values is None:
        return None
    before = len(reader.problems)
    function_id = (
        reader.identifier(values["function"], "function") if "function" in values else None
    )
    if function_id is not None and function_id not in function_ids:
        reader.problem(
            values["function"],
            _("機能ID %(id)s はカタログにありません", id=function_id),
        )
    status = None
    if "status" in values:
        raw = reader.text(values["status"], "status")
        if raw is not None:
            status = STATUS_SYNONYMS.get(raw.strip())
            if status is None:
                reader.problem(
                    values["status"],
                    _(
                        "status %(value)s は使えません（fit / workflow_change / customization / "
                        "not_applicable / undecided、または適合 / 業務見直し / カスタマイズ / "
                        "対象外 / 未判定）",
                        value=raw,
                    ),
                )
    # Stored tidy (no trailing line break of a `|` block): see marking.tidy_note.
    note = tidy_note(_long_text(values, reader, "note"))
    as_is = _long_text(values, reader, "as_is")
    priority = _read_priority(values.get("priority"), reader)
    cost = None
    if "cost" in values:
        cost = _read_cost(values["cost"], reader, status, function_id)
    if len(reader.problems) > before or function_id is None or status is None:
        return None
    return Mark(
        town_id=town_id,
        function_id=function_id,
        status=status,
        note=note,
        cost=cost,
        priority=priority,
        as_is=tidy_note(as_is),
    )


def _long_text(values: dict[str, yaml.Node], reader: Reader, key: str) -> str | None:
    # A note and today's practice (as_is) share one length limit.
    text = reader.optional_text(values.get(key), key)
    if text is not None and len(text) > MAX_NOTE_LENGTH:
        reader.problem(
            values[key],
            _(
                "%(key)s が長すぎます（%(length)s 文字）。%(limit)s 文字以内にしてください",
                key=key,
                length=f"{len(text):,}",
                limit=f"{MAX_NOTE_LENGTH:,}",
            ),
        )
    return text


def _read_priority(node: yaml.Node | None, reader: Reader) -> Priority | None:
    raw = reader.optional_text(node, "priority")
    if raw is None or node is None:
        return None
    priority = PRIORITY_SYNONYMS.get(raw.strip())
    if priority is None:
        reader.problem(
            node,
            _(
                "priority %(value)s は使えません（required / wanted / not_needed、"
                "または必須 / 要望 / 不要）",
                value=raw,
            ),
        )
    return priority


def _read_cost(
    node: yaml.Node, reader: Reader, status: Status | None, function_id: str | None
) -> Cost | None:
    if status is not None and status is not Status.CUSTOMIZATION:
        reader.problem(
            node,
            _(
                "機能 %(id)s の cost はカスタマイズ（customization）の判定にだけ書けます",
                id=function_id or "?",
            ),
        )
        return None
    values = reader.mapping(node, "cost", {"initial_yen", "annual_yen"}, set())
    if values is None:
        return None
    initial = reader.integer(values.get("initial_yen"), "cost.initial_yen", maximum=MAX_YEN)
    annual = reader.integer(values.get("annual_yen"), "cost.annual_yen", maximum=MAX_YEN)
    return Cost.of(initial, annual)


@dataclass(frozen=True, slots=True)
class _ParsedMarks:
    marks_file: MarksFile | None
    problems: list[Problem]
    lines: dict[str, int]  # function id -> line of its mark, for cross-file duplicates


def _read_marks_file(
    path: Path,
    display: str,
    town_ids: set[str] | frozenset[str],
    function_ids: set[str] | frozenset[str],
    language: str,
) -> _ParsedMarks:
    set_language(language)  # also when run in a worker process
    fast = read_marks_fast(path, display, town_ids, function_ids, MARKS_FORMAT)
    if fast is not None:  # well-formed: the same marks and lines as below, in a fraction
        fast_town, fast_marks, fast_lines = fast
        return _ParsedMarks(
            MarksFile(fast_town, tuple(fast_marks), display, fast_lines), [], fast_lines
        )
    node, found = compose(path, display)
    if node is None:
        return _ParsedMarks(None, found, {})
    reader = Reader(display)
    top = reader.mapping(
        node, _("判定ファイル"), {"format", "town", "marks"}, {"format", "town", "marks"}
    )
    if top is None:
        return _ParsedMarks(None, reader.problems, {})
    reader.format_tag(top, MARKS_FORMAT)
    town_id = reader.slug(top["town"], "town") if "town" in top else None
    if town_id is not None and town_id not in town_ids:
        reader.problem(top["town"], _("町ID %(id)s は登録されていません", id=town_id))
    marks: list[Mark] = []
    lines: dict[str, int] = {}
    for item in (reader.sequence(top["marks"], "marks") if "marks" in top else None) or ():
        mark = _read_mark(item, reader, town_id or "", function_ids)
        if mark is None:
            continue
        line = item.start_mark.line + 1
        if mark.function_id in lines:
            reader.problem(item, _duplicate_mark(mark, f"{display}:{lines[mark.function_id]}"))
            continue
        lines[mark.function_id] = line
        marks.append(mark)
    if town_id is None:
        return _ParsedMarks(None, reader.problems, {})
    marks_file = MarksFile(town_id, tuple(marks), display, lines)
    return _ParsedMarks(marks_file, reader.problems, lines)


def _duplicate_mark(mark: Mark, other: str) -> str:
    return _(
        "町 %(town)s の機能 %(id)s の判定が二度あります（%(other)s）",
        town=mark.town_id,
        id=mark.function_id,
        other=other,
    )


# Reading YAML is CPU-bound; several big files are parsed in parallel processes.
PARALLEL_MIN_BYTES = 4_000_000


def read_marks(
    paths: Sequence[Path],
    *,
    town_ids: set[str] | frozenset[str],
    function_ids: set[str] | frozenset[str],
    base: Path | None = None,
) -> tuple[MarksFile, ...]:
    """Read and validate marks files against the known towns and functions; all or nothing."""
    displays = [_display(path, base) for path in paths]
    language = current_language()
    arguments = [
        (p, d, town_ids, function_ids, language) for p, d in zip(paths, displays, strict=True)
    ]
    workers = min(len(paths), os.cpu_count() or 1)
    if workers > 1 and sum(_size(p) for p in paths) >= PARALLEL_MIN_BYTES:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            parsed = list(pool.map(_read_marks_file, *zip(*arguments, strict=True)))
    else:
        parsed = [_read_marks_file(*a) for a in arguments]
    set_language(language)
    problems: list[Problem] = []
    files: list[MarksFile] = []
    seen: dict[str, dict[str, str]] = {}  # town id -> function id -> "file:line"
    for result in parsed:
        problems.extend(result.problems)
        marks_file = result.marks_file
        if marks_file is None:
            continue
        earlier = seen.setdefault(marks_file.town_id, {})
        for mark in marks_file.marks:
            line = result.lines[mark.function_id]
            if mark.function_id in earlier:
                other = earlier[mark.function_id]
                problems.append(Problem(marks_file.source, line, _duplicate_mark(mark, other)))
            else:
                earlier[mark.function_id] = f"{marks_file.source}:{line}"
        files.append(marks_file)
    if problems:
        raise InvalidInput(problems)
    return tuple(files)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


class _MarksDumper(yaml.SafeDumper):
    """Writes notes with several lines as readable `|` blocks, so exports diff well in git."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Indent list items under their key, as in the documented examples.
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(STR_TAG, value, style=style)


_MarksDumper.add_representer(str, _represent_text)


def dump_marks(town_id: str, marks: Iterable[Mark]) -> str:
    """One town's marks as a marks file (fitgap-marks/1), ids quoted, in the given order."""
    items: list[dict[str, Any]] = []
    for mark in marks:
        item: dict[str, Any] = {"function": mark.function_id, "status": mark.status.value}
        if mark.note:
            item["note"] = mark.note
        if mark.cost is not None:
            item["cost"] = {
                "initial_yen": mark.cost.initial_yen,
                "annual_yen": mark.cost.annual_yen,
            }
        if mark.priority is not None:
            item["priority"] = mark.priority.value
        if mark.as_is:
            item["as_is"] = mark.as_is
        items.append(item)
    document = {"format": MARKS_FORMAT, "town": town_id, "marks": items}
    return yaml.dump(document, Dumper=_MarksDumper, allow_unicode=True, sort_keys=False, width=100)
