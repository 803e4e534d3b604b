"""What the grid of one area shows: its filters, heading rows, rows and totals (view models).

Built from the area's kept scoreboard (`fitgap.services.boards`), once per request, never per
row. Labels come from the domain's one label table; no template logic lives here.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from flask import current_app, url_for
from sqlmodel import Session
from werkzeug.datastructures import MultiDict

from fitgap.domain.i18n import _
from fitgap.domain.labels import priority_label, short_status_label, status_label
from fitgap.domain.risk.divergence import DivergenceKind
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.domain.risk.scores import Divergence, round_risk
from fitgap.domain.search import Query, normalize
from fitgap.domain.values import Cost, Priority, Requirement, Status
from fitgap.store import catalog as catalog_queries
from fitgap.store import marks as mark_queries
from fitgap.store.models import Area, CatalogFunction, Town
from fitgap.web import authz
from fitgap.web.database import current_board

STATUS_ORDER: tuple[Status, ...] = (
    Status.FIT,
    Status.WORKFLOW_CHANGE,
    Status.CUSTOMIZATION,
    Status.NOT_APPLICABLE,
    Status.UNDECIDED,
)


def short_status_labels() -> dict[str, str]:
    """The one-letter labels of the grid's status buttons (each inside its full label)."""
    return {status.value: short_status_label(status) for status in Status}


def status_labels() -> dict[str, str]:
    return {status.value: status_label(status) for status in Status}


def template_helpers() -> dict[str, Any]:
    return {
        "status_order": [status.value for status in STATUS_ORDER],
        "labels": status_labels(),
        "short_labels": short_status_labels(),
        # Looked up once here: a grid page has thousands of cells.
        "note_label": _("メモあり"),
        "divergence_none": DivergenceKind.NONE,
        "violation_kind": DivergenceKind.VIOLATION,
        "priority_choices": [(priority.value, priority_label(priority)) for priority in Priority],
    }


@dataclass(frozen=True, slots=True)
class GridFilters:
    """The grid's filters, read from and written back to the URL (bookmarkable, shareable)."""

    q: str = ""
    classes: tuple[str, ...] = ()
    statuses: tuple[str, ...] = ()
    towns: tuple[str, ...] = ()
    divergent: bool = False
    mine: bool = False  # the user's town has not decided yet ("my undecided")
    customized: bool = False  # at least one town wants a customization
    path: tuple[str, ...] = ()  # a heading prefix (大項目, 中項目)

    @classmethod
    def from_args(cls, args: MultiDict[str, str], town_ids: Collection[str]) -> GridFilters:
        """Filters from a query string; unknown values are dropped, not errors."""
        requirements = {r.value for r in Requirement}
        statuses = {s.value for s in Status}
        return cls(
            q=(args.get("q") or "").strip()[:200],
            classes=_known(args.getlist("class"), requirements),
            statuses=_known(args.getlist("status"), statuses),
            towns=_known(args.getlist("town"), town_ids),
            divergent=args.get("divergent") == "1",
            mine=args.get("mine") == "1",
            customized=args.get("custom") == "1",
            path=tuple(p for p in args.getlist("path") if p)[:4],
        )

    def query(self, **changes: Any) -> dict[str, Any]:
        """The filters as url_for arguments (empty ones left out), with `changes` applied."""
        values: dict[str, Any] = {
            "q": self.q or None,
            "class": list(self.classes) or None,
            "status": list(self.statuses) or None,
            "town": list(self.towns) or None,
            "divergent": "1" if self.divergent else None,
            "mine": "1" if self.mine else None,
            "custom": "1" if self.customized else None,
            "path": list(self.path) or None,
        }
        values.update(changes)
        return {key: value for key, value in values.items() if value}

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.query())


def _known(values: Iterable[str], allowed: Collection[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v for v in values if v in allowed))


def _status(board: Scoreboard, town_id: str, function_id: str) -> str:
    mark = board.mark(town_id, function_id)
    return mark.status.value if mark is not None else Status.UNDECIDED.value


def _search_text(function: CatalogFunction) -> str:
    return normalize("\n".join([function.id, function.name, *function.path, function.text]))


def select_functions(
    functions: Sequence[CatalogFunction],
    filters: GridFilters,
    board: Scoreboard,
    my_town_id: str | None,
    town_ids: Sequence[str],
) -> list[CatalogFunction]:
    """The functions that pass every filter, in catalog order.

    An area has at most about a thousand functions, so one query and a pass in Python is
    simpler than SQL over normalized text, and fast enough.
    """
    query = Query(filters.q)
    status_towns = filters.towns or tuple(town_ids)
    chosen_statuses = set(filters.statuses)
    found: list[CatalogFunction] = []
    for function in functions:
        if filters.classes and function.requirement not in filters.classes:
            continue
        if filters.path and tuple(function.path[: len(filters.path)]) != filters.path:
            continue
        if filters.divergent or filters.customized:
            divergence = board.divergence(function.id)
            if filters.divergent and not divergence.divergent:
                continue
            if filters.customized and not divergence.customizing_towns:
                continue
        if (
            filters.mine
            and my_town_id is not None
            and _status(board, my_town_id, function.id) != Status.UNDECIDED.value
        ):
            continue
        if chosen_statuses and not any(
            _status(board, town_id, function.id) in chosen_statuses for town_id in status_towns
        ):
            continue
        if query and not query.matches_normalized(_search_text(function)):
            continue
        found.append(function)
    return found


@dataclass(frozen=True, slots=True)
class Heading:
    """A 大項目 (level 1) or 中項目 (level 2) heading row of the grid."""

    level: int
    title: str
    path: tuple[str, ...]
    count: int


@dataclass(frozen=True, slots=True)
class Cell:
    """One town's verdict in a grid row."""

    town: Town
    status: str
    note: str | None
    mine: bool
    review: bool = False  # made on an earlier wording or class of the function


@dataclass(frozen=True, slots=True)
class Conflict:
    """A save refused because someone saved first: what the user sent, and what is there."""

    status: str
    note: str | None
    cost: Cost | None
    full: bool  # the user sent a note and cost too (function page), not only a status
    current: mark_queries.MarkState | None


@dataclass(frozen=True, slots=True)
class GridRow:
    """One function of the grid with its badges and every town's verdict."""

    function: CatalogFunction
    headings: tuple[Heading, ...]
    risk: float
    divergence: Divergence
    cells: tuple[Cell, ...]
    version: int  # the user's town's mark version (0: no mark yet)
    conflict: Conflict | None = None


@dataclass(frozen=True, slots=True)
class TownTotals:
    """One town's progress in one area."""

    town: Town
    total: int
    decided: int
    customizations: int
    violations: int
    risk: float


@dataclass(frozen=True, slots=True)
class AreaTotals:
    """The area's totals shown above the grid and updated with every status change."""

    functions: int
    risk: float
    divergent: int
    customizations: int
    violations: int
    undecided: int
    towns: tuple[TownTotals, ...] = field(default_factory=tuple)


def area_totals(board: Scoreboard, area_id: str, towns: Sequence[Town]) -> AreaTotals | None:
    """The area's progress and risk from its scoreboard (None for an area without functions)."""
    if area_id not in board.area_ids:
        return None
    score = board.area_score(area_id, breakdown=False)
    by_id = {town.id: town for town in towns}
    per_town = tuple(
        TownTotals(
            town=by_id[town_score.id],
            total=score.n_functions,
            decided=score.n_functions - town_score.undecided,
            customizations=town_score.customizations,
            violations=town_score.violations,
            risk=round_risk(town_score.risk),
        )
        for town_score in board.town_scores(area_id, breakdown=False)
        if town_score.id in by_id
    )
    return AreaTotals(
        functions=score.n_functions,
        risk=round_risk(score.risk),
        divergent=board.divergent_count(area_id),
        customizations=score.customizations,
        violations=score.violations,
        undecided=score.undecided,
        towns=per_town,
    )


def grid_row(
    function: CatalogFunction,
    board: Scoreboard,
    towns: Sequence[Town],
    my_town_id: str | None,
    version: int,
    headings: tuple[Heading, ...] = (),
    conflict: Conflict | None = None,
    review: AbstractSet[tuple[str, str]] = frozenset(),
) -> GridRow:
    """One grid row from the area's scoreboard; `review` holds the (town, function) marks
    made on an earlier edition of the function."""
    score = board.function_score(function.id)
    notes = authz.may_read_notes()
    cells = []
    for town in towns:
        mark = board.mark(town.id, function.id)
        cells.append(
            Cell(
                town=town,
                status=mark.status.value if mark is not None else Status.UNDECIDED.value,
                note=mark.note if mark is not None and notes else None,
                mine=town.id == my_town_id,
                review=(town.id, function.id) in review,
            )
        )
    return GridRow(
        function=function,
        headings=headings,
        risk=round_risk(score.risk),
        divergence=score.divergence,
        cells=tuple(cells),
        version=version,
        conflict=conflict,
    )


def in_heading_order(functions: Sequence[CatalogFunction]) -> list[CatalogFunction]:
    """The functions grouped under their 大項目 and 中項目, each heading where it first appears
    and the catalog's order kept within it, so a heading is shown once however the function
    ids interleave (住民データ's functions are 0010010–20, 0010050–70 and 0010090)."""
    first_seen: dict[tuple[str, ...], int] = {}
    for function in functions:
        for depth in (1, 2):
            first_seen.setdefault(tuple(function.path[:depth]), len(first_seen))

    def key(indexed: tuple[int, CatalogFunction]) -> tuple[int, int, int]:
        index, function = indexed
        return (
            first_seen[tuple(function.path[:1])],
            first_seen[tuple(function.path[:2])],
            index,
        )

    return [function for _index, function in sorted(enumerate(functions), key=key)]


def headings_for(
    matching: Sequence[CatalogFunction], start: int, stop: int
) -> list[tuple[Heading, ...]]:
    """For each function of matching[start:stop], the heading rows to show above it.

    A heading starts wherever the 大項目 (or 中項目) differs from the row before, also across a
    page boundary; its count is the length of that run of rows, which is what it folds.
    """
    paths = [tuple(function.path[:2]) for function in matching]
    result: list[tuple[Heading, ...]] = []
    for k in range(start, min(stop, len(paths))):
        current = paths[k]
        before = paths[k - 1] if k > 0 else None
        found: list[Heading] = []
        if (before is None or current[:1] != before[:1]) and current[:1]:
            found.append(Heading(1, current[0], current[:1], _run(paths, k, 1)))
        if (before is None or current != before) and len(current) == 2:
            found.append(Heading(2, current[1], current, _run(paths, k, 2)))
        result.append(tuple(found))
    return result


def _run(paths: Sequence[tuple[str, ...]], first: int, depth: int) -> int:
    """How many rows from `first` on share its first `depth` headings."""
    key = paths[first][:depth]
    end = first
    while end < len(paths) and paths[end][:depth] == key:
        end += 1
    return end - first


def users_town(towns: Sequence[Town]) -> Town | None:
    """The signed-in staff member's town, if it still takes part (None for other roles)."""
    chosen = authz.current_town_id()
    return next((town for town in towns if town.id == chosen), None)


def editable_town(towns: Sequence[Town], area_id: str) -> Town | None:
    """The town whose column of the grid the user may mark: their own, in an area assigned
    to them. (A moderator corrects marks one at a time on the function page, with a reason.)"""
    my_town = users_town(towns)
    if my_town is not None and authz.can_edit_marks(my_town.id, area_id):
        return my_town
    return None


@dataclass
class GridPage:
    """Everything the area template needs."""

    area: Area
    towns: list[Town]
    my_town: Town | None
    edit_town: Town | None
    filters: GridFilters
    rows: list[GridRow]
    matching: int
    total: int
    page: int
    has_more: bool
    totals: AreaTotals | None
    page_url: str

    def context(self) -> dict[str, Any]:
        """The template context."""
        return {
            "area": self.area,
            "towns": self.towns,
            "my_town": self.my_town,
            "edit_town": self.edit_town,
            "filters": self.filters,
            "rows": self.rows,
            "matching": self.matching,
            "total": self.total,
            "page": self.page,
            "has_more": self.has_more,
            "totals": self.totals,
            "page_url": self.page_url,
            **template_helpers(),
        }


def grid_page(session: Session, area_row: Area, args: MultiDict[str, str], page: int) -> GridPage:
    """Filter the area's functions, then build one page of rows."""
    towns = catalog_queries.list_towns(session=session)
    my_town = users_town(towns)
    edit_town = editable_town(towns, area_row.id)
    functions = in_heading_order(
        catalog_queries.area_functions(session=session, area_id=area_row.id)
    )
    board = current_board(session=session, area_id=area_row.id, towns=towns)
    filters = GridFilters.from_args(args, {town.id for town in towns})
    town_ids = [town.id for town in towns]
    my_town_id = my_town.id if my_town is not None else None
    matching = select_functions(functions, filters, board, my_town_id, town_ids)
    page_size = int(current_app.config["PAGE_SIZE"])
    start = (page - 1) * page_size
    shown = matching[start : start + page_size]
    versions = (
        mark_queries.mark_versions(
            session=session, town_id=edit_town.id, function_ids=[f.id for f in shown]
        )
        if edit_town is not None
        else {}
    )
    headings = headings_for(matching, start, start + page_size)
    review = mark_queries.marks_to_review(session=session, function_ids=[f.id for f in shown])
    rows = [
        grid_row(
            function,
            board,
            towns,
            edit_town.id if edit_town is not None else None,
            versions.get(function.id, 0),
            headings[k],
            review=review,
        )
        for k, function in enumerate(shown)
    ]
    return GridPage(
        area=area_row,
        towns=towns,
        my_town=my_town,
        edit_town=edit_town,
        filters=filters,
        rows=rows,
        matching=len(matching),
        total=len(functions),
        page=page,
        has_more=start + page_size < len(matching),
        totals=area_totals(board, area_row.id, towns),
        page_url=url_for(
            "catalog.area", area_id=area_row.id, **_page_args(page), **filters.query()
        ),
    )


def _page_args(page: int) -> dict[str, Any]:
    return {"page": page} if page > 1 else {}
