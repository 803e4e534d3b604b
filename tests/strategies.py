"""Hypothesis strategies and checks the fuzz and property tests share: mutated files
(`mutated`, written with `as_file`, read with `only_clear_errors`), hostile numbers, and
generated joint projects (`projects`) with every score of their board (`all_scores`)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from fitgap.domain.files.yamlfile import InvalidInput
from fitgap.domain.risk.build import galapagos_risk
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import Score
from fitgap.domain.values import Cost, Function, Mark, Requirement, Status, Town

# --- files ----------------------------------------------------------------------------------

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
    """`content` written as `name` in a fresh folder of its own."""
    path = Path(tempfile.mkdtemp(dir=_FOLDER.name)) / name
    if isinstance(content, str):
        path.write_bytes(content.encode("utf-8", errors="surrogatepass"))
    else:
        path.write_bytes(content)
    return path


def only_clear_errors(call: Callable[[], object]) -> None:
    """`call` gives a result, or an InvalidInput whose problems all read FILE:LINE: message."""
    try:
        call()
    except InvalidInput as error:
        assert error.problems
        for problem in error.problems:
            assert problem.line >= 0 and problem.message
            assert str(problem).startswith(f"{problem.file}:{problem.line}: ")


HOSTILE_NUMBERS = (
    st.sampled_from(
        [10**12, 10**30, -1, -(10**12), 0, 2**31, 2**63, 10**13, 10**13 + 1, 1.5, 1e300, True]
    )
    | st.integers()
)


# --- generated joint projects (the Galapagos risk) ------------------------------------------

PROPERTY = settings(
    max_examples=200,
    deadline=None,
    database=None,  # leave no .hypothesis folder behind
    suppress_health_check=[HealthCheck.too_slow],
)


@dataclass
class Project:
    """A generated joint project: catalog, towns and the marks (one per cell at most)."""

    functions: list[Function]
    towns: list[Town]
    cells: dict[tuple[str, str], Mark]  # (town id, function id) -> mark

    @property
    def marks(self) -> list[Mark]:
        return list(self.cells.values())

    def board(self) -> Scoreboard:
        return galapagos_risk(self.functions, self.towns, self.marks)

    def with_status(self, town_id: str, function_id: str, status: Status) -> Project:
        cells = dict(self.cells)
        cells[(town_id, function_id)] = Mark(town_id, function_id, status)
        return Project(self.functions, self.towns, cells)


@st.composite
def projects(
    draw: st.DrawFn,
    *,
    min_towns: int = 1,
    statuses: list[Status | None] | None = None,
) -> Project:
    """Up to 6 towns, 8 functions in up to 3 areas, any verdicts (None: no mark)."""
    choices: list[Status | None] = [*Status, None] if statuses is None else statuses
    n_towns = draw(st.integers(min_towns, 6))
    towns = [
        Town(
            id=f"town-{j}",
            name=f"町{j}",
            population=draw(st.one_of(st.none(), st.integers(1, 60_000))),
        )
        for j in range(n_towns)
    ]
    n_functions = draw(st.integers(1, 8))
    n_areas = draw(st.integers(1, 3))
    functions = [
        Function(
            id=f"{i:07d}",
            area_id=f"area-{draw(st.integers(0, n_areas - 1))}",
            name=f"機能{i}",
            requirement=draw(st.sampled_from(Requirement)),
            text="",
        )
        for i in range(n_functions)
    ]
    verdicts = draw(
        st.lists(
            st.sampled_from(choices),
            min_size=n_functions * n_towns,
            max_size=n_functions * n_towns,
        )
    )
    # Notes and costs change no risk: draw them from one random, not cell by cell.
    extras = draw(st.randoms(use_true_random=False))
    cells: dict[tuple[str, str], Mark] = {}
    for k, status in enumerate(verdicts):
        if status is None:
            continue
        function, town = functions[k // n_towns], towns[k % n_towns]
        cost = None
        if status is Status.CUSTOMIZATION and extras.random() < 0.5:
            cost = Cost(extras.randint(0, 9) * 100_000, extras.randint(0, 9) * 10_000)
        note = f"{town.id}の運用" if extras.random() < 0.5 else None
        cells[(town.id, function.id)] = Mark(town.id, function.id, status, note, cost)
    return Project(functions, towns, cells)


def all_scores(board: Scoreboard) -> list[Score]:
    """Every score the board gives: group, towns, areas, functions, and per area."""
    scores: list[Score] = [board.group_score(), *board.town_scores(), *board.area_scores()]
    scores += board.function_scores()
    for area_id in board.area_ids:
        scores += [board.group_score(area_id), *board.town_scores(area_id)]
    return scores


Outcome = tuple[str, Any]


def outcome(call: Callable[[], Any]) -> Outcome:
    """("ok", what the call returned) or ("problems", the messages it refused the input with)."""
    try:
        return "ok", call()
    except InvalidInput as error:
        return "problems", [str(p) for p in error.problems]


@contextmanager
def precise_only(fast_reader: str) -> Iterator[None]:
    """The files read as before a fast line reader existed: `catalog.<fast_reader>` (the
    catalog module's name for it, e.g. read_marks_fast) declines every file, so each goes
    through the precise node reader."""
    from fitgap.domain.files import catalog

    original = getattr(catalog, fast_reader)
    setattr(catalog, fast_reader, lambda *args: None)
    try:
        yield
    finally:
        setattr(catalog, fast_reader, original)


def fast_and_precise(fast_reader: str, read: Callable[[], Any]) -> tuple[Outcome, Outcome]:
    """What `read` gives with the fast line reader, and without it."""
    with precise_only(fast_reader):
        precise = outcome(read)
    return outcome(read), precise
