"""Fuzzing the file readers: whatever the bytes, a clear error (FILE:LINE: message) or a result,
never a traceback."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitgap.domain.files.catalog import InvalidInput, read_catalog, read_marks, read_towns
from tests.test_catalog import GOOD_AREA, MARKS, TOWN

SETTINGS = settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)

# Pieces that tend to break YAML and the validators: types, ids, Japanese, control characters.
FRAGMENTS = [
    "0010010",
    '"0010010"',
    "- ",
    ": ",
    "  ",
    "\n",
    "\t",
    "{",
    "}",
    "[",
    "]",
    "&a",
    "*a",
    "!!python/object:os.system",
    "!!binary",
    "~",
    "null",
    "yes",
    "1e3",
    "-1",
    "0x1F",
    "｜",
    "𠮷野家",
    "🙂",
    "\x00",
    "\x1b",
    "\ufeff",
    "'",
    '"',
    "#",
    "%YAML 1.1",
    "---",
    "...",
    "=cmd|' /C calc'!A0",
    "<script>alert(1)</script>",
]


def mutated(base: str) -> st.SearchStrategy[str]:
    """`base` with a few fragments inserted, lines dropped or duplicated."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        lines = base.splitlines(keepends=True)
        for _ in range(draw(st.integers(1, 4))):
            action = draw(st.sampled_from(["insert", "drop", "duplicate", "replace"]))
            index = draw(st.integers(0, max(len(lines) - 1, 0)))
            if action == "drop" and lines:
                del lines[index]
            elif action == "duplicate" and lines:
                lines.insert(index, lines[index])
            else:
                line = lines[index] if lines else ""
                position = draw(st.integers(0, len(line)))
                piece = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=8))
                if action == "replace":
                    line = line[:position] + piece + line[position + 1 :]
                else:
                    line = line[:position] + piece + line[position:]
                if lines:
                    lines[index] = line
                else:
                    lines.append(line)
        return "".join(lines)

    return build()


# One folder for the run (removed at its end), and a fresh folder in it for every example: a
# file left by another example or test would make every reader of the folder fail the same way.
_FOLDER = tempfile.TemporaryDirectory(prefix="fitgap-fuzz-")


def as_file(content: str | bytes, name: str) -> Path:
    path = Path(tempfile.mkdtemp(dir=_FOLDER.name)) / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8", errors="surrogatepass"))
    else:
        path.write_bytes(content)
    return path


def only_clear_errors(call: object) -> None:
    try:
        call()  # type: ignore[operator]
    except InvalidInput as error:
        assert error.problems
        for problem in error.problems:
            assert problem.line >= 0 and problem.message
            assert str(problem).startswith(f"{problem.file}:{problem.line}: ")


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
