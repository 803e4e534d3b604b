"""The fast reader of well-formed marks files (files.marks_fast) gives what the precise reader
gives, or steps aside: on generated and mutated files, a file it accepts reads precisely to
the same marks and lines with no problem, and a file with problems gets the same messages."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fitgap.domain.files import catalog
from fitgap.domain.files.catalog import MARKS_FORMAT, dump_marks, read_marks
from fitgap.domain.files.marks_fast import read_marks_fast
from fitgap.domain.values import Cost, Mark, Status
from tests.samples import MARKS
from tests.strategies import as_file, fast_and_precise, mutated, precise_only

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOWNS = frozenset({"ishii"})
FUNCTIONS = frozenset({"0010010", "0010020", "0010030", "0100080"})


def both_ways(path: Path) -> tuple[tuple[str, Any], tuple[str, Any]]:
    def read() -> Any:
        return read_marks([path], town_ids=TOWNS, function_ids=FUNCTIONS, base=path.parent)

    return fast_and_precise("read_marks_fast", read)


def fast(path: Path) -> Any:
    return read_marks_fast(path, path.name, TOWNS, FUNCTIONS, MARKS_FORMAT)


def precise_lines(path: Path) -> dict[str, int]:
    with precise_only("read_marks_fast"):
        parsed = catalog._read_marks_file(path, path.name, TOWNS, FUNCTIONS, "ja")
    assert not parsed.problems
    return parsed.lines


@SETTINGS
@given(mutated(MARKS))
def test_a_mutated_file_reads_the_same_with_and_without_the_fast_reader(content: str) -> None:
    path = as_file(content, "ishii.yaml")
    with_fast, precise = both_ways(path)
    assert with_fast == precise
    accepted = fast(path)
    if accepted is not None:
        # What the fast reader takes, the precise reader takes too, line for line.
        assert precise[0] == "ok"
        (marks_file,) = precise[1]
        assert accepted == ("ishii", list(marks_file.marks), precise_lines(path))


notes = st.one_of(
    st.none(),
    st.sampled_from(["", " ", "窓口で対応", "a: b", "x #y", "'引用'", '"q"', "- 箇条", "行1\n行2"]),
    st.text(max_size=40),
)
statuses = st.sampled_from(list(Status))


@st.composite
def marks_lists(draw: st.DrawFn) -> list[Mark]:
    ids = draw(st.lists(st.sampled_from(sorted(FUNCTIONS)), min_size=1, unique=True))
    marks = []
    for function_id in ids:
        status = draw(statuses)
        cost = None
        if status is Status.CUSTOMIZATION and draw(st.booleans()):
            cost = Cost(draw(st.integers(0, 10**13)), draw(st.integers(0, 10**13)))
        marks.append(Mark("ishii", function_id, status, draw(notes), cost))
    return marks


@SETTINGS
@given(marks_lists())
def test_an_exported_file_reads_the_same(marks: list[Mark]) -> None:
    path = as_file(dump_marks("ishii", marks), "ishii.yaml")
    with_fast, precise = both_ways(path)
    assert with_fast == precise
    accepted = fast(path)
    if accepted is not None:
        assert precise[0] == "ok" and accepted[1] == list(precise[1][0].marks)
        assert accepted[2] == precise_lines(path)


def test_the_usual_layouts_take_the_fast_path(tmp_path: Path) -> None:
    """Not a silent fallback: the files the tool writes and the documented example are read
    by the fast reader, comments, blank lines, CRLF and both list indentations included."""
    exported = dump_marks(
        "ishii",
        [
            Mark("ishii", "0010010", Status.CUSTOMIZATION, "帳票\n二行目\n", Cost(1, 2)),
            Mark("ishii", "0010020", Status.FIT, "it's: fine #1"),
            Mark("ishii", "0100080", Status.NOT_APPLICABLE),
        ],
    )
    layouts = {
        "documented.yaml": MARKS,
        "exported.yaml": exported,
        "indentless.yaml": MARKS.replace("\n  ", "\n"),
        "commented.yaml": "# 石井町\n" + MARKS.replace("marks:\n", "marks:\n\n  # 住民記録\n"),
        "windows.yaml": MARKS.replace("\n", "\r\n"),
        "unquoted.yaml": MARKS.replace('"0010020"', "0100080"),
    }
    for name, content in layouts.items():
        path = tmp_path / name
        path.write_bytes(content.encode("utf-8"))
        accepted = fast(path)
        assert accepted is not None, name
        assert accepted[2] == precise_lines(path), name
        with_fast, precise = both_ways(path)
        assert with_fast == precise and with_fast[0] == "ok", name
    first = fast(tmp_path / "documented.yaml")[1][0]
    # Stored tidy: the `|` block's last line break is not part of the note.
    assert first.note == "条例で定める独自様式が必要です。"
    assert first.cost == Cost(1200000, 150000)


def test_what_the_fast_reader_leaves_to_the_precise_one(tmp_path: Path) -> None:
    """Each of these is valid YAML or a problem the precise reader words; the fast reader
    steps aside, and the result is the precise reader's."""
    cases = [
        MARKS.replace("  - function:", "  - {function:", 1),  # flow style
        MARKS.replace("town: ishii", "town: ishii\nx-note: 手入力"),  # user attribute
        MARKS.replace('"0010020"', "0010020"),  # an octal number, to be quoted
        MARKS.replace("annual_yen: 150000", "annual_yen: 10000000000001"),  # above MAX_YEN
        MARKS.replace("annual_yen: 150000", "annual_yen: 1_000"),  # YAML's own integer form
        MARKS.replace("status: 業務見直し", "status: 業務見直し\n    status: fit"),  # twice
        MARKS.replace("town: ishii", "town: &t ishii"),  # an anchor
        MARKS.replace("note: |", "note: >"),  # folded block
        MARKS.replace("status: 業務見直し", "status: fit # 済"),  # a trailing comment
        MARKS + "  - function: '0010010'\n    status: fit\n",  # the same function twice
        "\t" + MARKS,
        # YAML 1.1 breaks lines at U+2028 / U+2029 / U+0085 too, not only at \n.
        MARKS.replace("status: 業務見直し", "status: 業務見直し\n    note: 行1\u2028行2"),
        MARKS.replace("status: 業務見直し", "status: 業務見直し\n    note: 行1\x85行2"),
    ]
    for k, content in enumerate(cases):
        path = tmp_path / f"case{k}.yaml"
        path.write_text(content, encoding="utf-8")
        assert fast(path) is None, content
        with_fast, precise = both_ways(path)
        assert with_fast == precise, content
