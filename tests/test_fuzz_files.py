"""Fuzzing the file readers: whatever the bytes, a clear error (FILE:LINE: message) or a result,
never a traceback."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitgap.domain.files.catalog import InvalidInput, read_catalog, read_marks, read_towns
from tests import hostile
from tests.samples import GOOD_AREA, MARKS, TOWN
from tests.strategies import FRAGMENTS, HOSTILE_NUMBERS, as_file, mutated, only_clear_errors

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@SETTINGS
@given(mutated(GOOD_AREA))
def test_catalog_reader_never_crashes(content: str) -> None:
    path = as_file(content, "juki.yaml")
    only_clear_errors(lambda: read_catalog(path.parent))


@SETTINGS
@given(st.binary(max_size=300))
def test_catalog_reader_on_random_bytes(content: bytes) -> None:
    path = as_file(content, "juki.yaml")
    only_clear_errors(lambda: read_catalog(path.parent))


@SETTINGS
@given(mutated(TOWN))
def test_town_reader_never_crashes(content: str) -> None:
    path = as_file(content, "ishii.yaml")
    only_clear_errors(lambda: read_towns(path.parent))


@SETTINGS
@given(mutated(MARKS))
def test_marks_reader_never_crashes(content: str) -> None:
    path = as_file(content, "ishii.yaml")
    only_clear_errors(
        lambda: read_marks([path], town_ids={"ishii"}, function_ids={"0010010", "0010020"})
    )


@SETTINGS
@given(st.sampled_from(FRAGMENTS) | st.text(max_size=12))
def test_user_attributes_take_any_value_or_give_a_clear_error(value: str) -> None:
    content = GOOD_AREA.replace('x-spec-ref: "2.1"', f"x-spec-ref: {value}")
    path = as_file(content, "juki.yaml")
    only_clear_errors(lambda: read_catalog(path.parent))


def test_the_files_the_mutations_start_from_parse() -> None:
    """The readers fuzzed above do succeed on valid files, in a folder of their own."""
    assert read_catalog(as_file(GOOD_AREA, "juki.yaml").parent).areas[0].id == "juki"
    assert [t.id for t in read_towns(as_file(TOWN, "ishii.yaml").parent)] == ["ishii"]
    marks = read_marks(
        [as_file(MARKS, "ishii.yaml")], town_ids={"ishii"}, function_ids={"0010010", "0010020"}
    )
    assert marks


@SETTINGS
@given(st.text(st.characters(categories=("L", "N")), min_size=1, max_size=12))
def test_valid_user_attribute_values_parse(value: str) -> None:
    quoted = json.dumps(value, ensure_ascii=False)
    content = GOOD_AREA.replace('x-spec-ref: "2.1"', f"x-spec-ref: {quoted}")
    catalog = read_catalog(as_file(content, "juki.yaml").parent)
    assert catalog.areas[0].functions[0].extra["x-spec-ref"] == value


def test_user_attributes_are_kept_as_json(tmp_path: Path) -> None:
    content = GOOD_AREA.replace(
        'x-spec-ref: "2.1"', "x-spec-ref: 2.1\n    x-since: 2024-04-01\n    x-tags: [a, 1, {k: v}]"
    )
    (tmp_path / "juki.yaml").write_text(content, encoding="utf-8")
    extra = read_catalog(tmp_path).areas[0].functions[0].extra
    assert extra == {"x-spec-ref": 2.1, "x-since": "2024-04-01", "x-tags": ["a", 1, {"k": "v"}]}
    (tmp_path / "juki.yaml").write_text(
        content.replace("x-since: 2024-04-01", "x-since: !!binary aGVsbG8="), encoding="utf-8"
    )
    problems = []
    try:
        read_catalog(tmp_path, base=tmp_path)
    except InvalidInput as error:
        problems = [str(p) for p in error.problems]
    assert len(problems) == 1 and problems[0].startswith("juki.yaml:20: x-since")


# --- hostile shapes (tests/hostile.py): numbers, depth, aliases, sheet metadata and cells ------

XLSX_SETTINGS = settings(max_examples=40, deadline=None)


def nested(depth: int, alias: bool) -> str:
    inner = "*x" if alias else "1"
    return "&x [1]" if depth == 0 else "[" * depth + inner + "]" * depth


@SETTINGS
@given(st.integers(0, 60), st.booleans())
def test_nesting_and_aliases_in_user_attributes_give_a_clear_error(depth: int, alias: bool) -> None:
    content = GOOD_AREA.replace(
        'x-spec-ref: "2.1"', f"x-a: &x [1]\n    x-b: {nested(depth, alias)}"
    )
    path = as_file(content, "juki.yaml")
    only_clear_errors(lambda: read_catalog(path.parent))


@SETTINGS
@given(st.sampled_from(["population", "households", "budget_yen", "area_km2"]), HOSTILE_NUMBERS)
def test_town_numbers_of_any_size_give_a_result_or_a_clear_error(key: str, value: object) -> None:
    content = "\n".join(line for line in TOWN.splitlines() if not line.startswith(key))
    path = as_file(f"{content}\n{key}: {value}\n", "ishii.yaml")
    only_clear_errors(lambda: read_towns(path.parent))


@XLSX_SETTINGS
@given(
    st.integers(1, 12),
    st.integers(1, 8),
    HOSTILE_NUMBERS | st.sampled_from(["9" * 5000, "-7", "", "x", None]),
)
def test_sheet_metadata_of_any_value_gives_a_result_or_a_clear_error(
    row: int, column: int, value: object
) -> None:
    data = hostile.with_meta_cell(row, column, value)
    only_clear_errors(lambda: hostile.read_sheet(data))


@XLSX_SETTINGS
@given(
    st.integers(8, 12),
    st.integers(1, 14),
    HOSTILE_NUMBERS
    # Text openpyxl can write (a cell holds no control characters).
    | st.text(st.characters(blacklist_categories=("Cc", "Cs")), max_size=30)
    | st.sampled_from(["9" * 5000, "=1+1", "１２３円"]),
)
def test_sheet_cells_of_any_value_give_a_result_or_a_clear_error(
    row: int, column: int, value: object
) -> None:
    data = hostile.with_sheet_cell(row, column, value)
    only_clear_errors(lambda: hostile.read_sheet(data))


@XLSX_SETTINGS
@given(
    st.sampled_from(["A", "L", "IV", "IW", "XFD"]),
    st.sampled_from([1, 7, 50_000, 50_001, 1_048_576]),
    st.sampled_from(["住民記録", "_fitgap"]),
)
def test_far_cells_and_rows_give_a_result_or_a_clear_error(
    column: str, row: int, title: str
) -> None:
    data = hostile.good_sheet()
    name = hostile.sheet_member(data, title)
    original = hostile.members(data)[name]
    cell = f'<row r="{row}"><c r="{column}{row}" t="n"><v>1</v></c></row>'.encode()
    if row > 20:
        original = original.replace(b"</sheetData>", cell + b"</sheetData>")
    else:
        original = original.replace(b"<sheetData>", b"<sheetData>" + cell)
    only_clear_errors(lambda: hostile.read_sheet(hostile.rezip(data, {name: original})))
