"""The marking workspace: area overview, the grid of one area, one function, saving marks.

Every page works as plain links and forms; htmx only swaps parts of it (style.md). Scores come
from the area's scoreboard (`fitgap.boards`), computed once per request, never per row. Who may
change which town's marks is decided in `fitgap.authz` alone.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext
from sqlmodel import Session
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import Forbidden
from werkzeug.wrappers import Response

from fitgap.domain.limits import MAX_NOTE_LENGTH, MAX_YEN
from fitgap.domain.risk.scoreboard import Divergence, DivergenceKind, Scoreboard, round_risk
from fitgap.domain.search import Query, normalize
from fitgap.domain.values import Cost, Requirement, Status
from fitgap.services.boards import area_boards
from fitgap.store import queries
from fitgap.store.db import MAX_INTEGER, get_db, get_session
from fitgap.store.models import Area, CatalogFunction, Town
from fitgap.web import authz, errors, htmx
from fitgap.web.app import status_label
from fitgap.web.markdown import render_markdown
from fitgap.web.redirects import safe_next

bp = Blueprint("catalog", __name__)

# The order of the status buttons and of their keyboard shortcuts 1–5.
STATUS_ORDER: tuple[Status, ...] = (
    Status.FIT,
    Status.WORKFLOW_CHANGE,
    Status.CUSTOMIZATION,
    Status.NOT_APPLICABLE,
    Status.UNDECIDED,
)
MAX_REASON_LENGTH = 2_000


def _(message: str, **params: Any) -> str:
    """Translate for the current request (Flask-Babel), Japanese being the source."""
    return str(gettext(message, **params))


def short_status_labels() -> dict[str, str]:
    """The one-letter labels of the grid's status buttons (each inside its full label)."""
    return {
        Status.FIT.value: _("適"),
        Status.WORKFLOW_CHANGE.value: _("見"),
        Status.CUSTOMIZATION.value: _("カ"),
        Status.NOT_APPLICABLE.value: _("外"),
        Status.UNDECIDED.value: _("未"),
    }


# --- filters ---------------------------------------------------------------------------------


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


# --- view models -----------------------------------------------------------------------------


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
    current: queries.MarkState | None


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
    cells = []
    for town in towns:
        mark = board.mark(town.id, function.id)
        cells.append(
            Cell(
                town=town,
                status=mark.status.value if mark is not None else Status.UNDECIDED.value,
                note=mark.note if mark is not None else None,
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


def _headings(
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


# --- helpers ---------------------------------------------------------------------------------


def _my_town(towns: Sequence[Town]) -> Town | None:
    """The signed-in staff member's town, if it still takes part (None for other roles)."""
    chosen = authz.current_town_id()
    return next((town for town in towns if town.id == chosen), None)


def _edit_town(towns: Sequence[Town], area_id: str) -> Town | None:
    """The town whose column of the grid the user may mark: their own, in an area assigned
    to them. (A moderator corrects marks one at a time on the function page, with a reason.)"""
    my_town = _my_town(towns)
    if my_town is not None and authz.can_edit_marks(my_town.id, area_id):
        return my_town
    return None


def _page_number() -> int:
    try:
        return max(1, int(request.args.get("page", "1")))
    except ValueError:
        return 1


def _end_read(session: Session) -> None:
    # Close the request's read transaction before a write: on SQLite a read transaction keeps
    # its snapshot, and the reads after the write must see the write.
    session.commit()


def _status_labels() -> dict[str, str]:
    return {status.value: status_label(status) for status in Status}


def _template_helpers() -> dict[str, Any]:
    return {
        "status_order": [status.value for status in STATUS_ORDER],
        "labels": _status_labels(),
        "short_labels": short_status_labels(),
        # Looked up once here: a grid page has thousands of cells.
        "note_label": _("メモあり"),
        "divergence_none": DivergenceKind.NONE,
        "violation_kind": DivergenceKind.VIOLATION,
    }


# --- overview --------------------------------------------------------------------------------


@bp.get("/")
@authz.signed_in
def overview() -> Response:
    """Every business area with each town's progress, customizations and divergent items."""
    session = get_session()
    towns = queries.list_towns(session=session)
    return htmx.render(
        "catalog/overview.html",
        areas=queries.list_areas(session=session),
        towns=towns,
        my_town=_my_town(towns),
        progress=queries.area_progress(session=session),
        divergent=queries.area_divergent_counts(session=session),
    )


# --- the grid of one area --------------------------------------------------------------------


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
            **_template_helpers(),
        }


def grid_page(session: Session, area_row: Area, args: MultiDict[str, str], page: int) -> GridPage:
    """Filter the area's functions, then build one page of rows."""
    towns = queries.list_towns(session=session)
    my_town = _my_town(towns)
    edit_town = _edit_town(towns, area_row.id)
    functions = queries.area_functions(session=session, area_id=area_row.id)
    board = area_boards().board(session=session, area_id=area_row.id, towns=towns)
    filters = GridFilters.from_args(args, {town.id for town in towns})
    town_ids = [town.id for town in towns]
    my_town_id = my_town.id if my_town is not None else None
    matching = select_functions(functions, filters, board, my_town_id, town_ids)
    page_size = int(current_app.config["PAGE_SIZE"])
    start = (page - 1) * page_size
    shown = matching[start : start + page_size]
    versions = (
        queries.mark_versions(
            session=session, town_id=edit_town.id, function_ids=[f.id for f in shown]
        )
        if edit_town is not None
        else {}
    )
    headings = _headings(matching, start, start + page_size)
    review = queries.marks_to_review(session=session, function_ids=[f.id for f in shown])
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


@bp.get("/areas/<area_id>")
@authz.signed_in
def area(area_id: str) -> Response:
    """One area's functions under their headings with every town's verdict, filtered, paged."""
    session = get_session()
    area_row = queries.get_area(session=session, area_id=area_id)
    if area_row is None:
        abort(404)
    page = grid_page(session, area_row, request.args, _page_number())
    # The filter form swaps the whole grid (and announces the count); "more" appends rows.
    whole_grid = request.headers.get("HX-Target") == "grid"
    return htmx.render(
        "catalog/area.html",
        "grid" if whole_grid else "rows",
        announce=whole_grid and htmx.is_htmx(),
        **page.context(),
    )


@bp.get("/functions/<function_id>/row")
@authz.signed_in
def row(function_id: str) -> Response:
    """One grid row as it is now (after a conflict the user chose to keep the current mark)."""
    session = get_session()
    function_row = queries.get_function(session=session, function_id=function_id)
    if function_row is None or function_row.archived_at is not None:
        abort(404)
    if not htmx.is_htmx():
        return redirect(url_for("catalog.area", area_id=function_row.area_id), code=303)
    towns = queries.list_towns(session=session)
    return _row_response(session, function_row, towns, next_url=request.args.get("next"))


def _row_response(
    session: Session,
    function_row: CatalogFunction,
    towns: list[Town],
    *,
    next_url: str | None,
    board: Scoreboard | None = None,
    conflict: Conflict | None = None,
    message: str | None = None,
    status: int = 200,
) -> Response:
    my_town = _my_town(towns)
    edit_town = _edit_town(towns, function_row.area_id)
    if board is None:
        board = area_boards().board(session=session, area_id=function_row.area_id, towns=towns)
    version = 0
    if edit_town is not None:
        versions = queries.mark_versions(
            session=session, town_id=edit_town.id, function_ids=[function_row.id]
        )
        version = versions.get(function_row.id, 0)
    if conflict is not None and conflict.current is not None:
        version = conflict.current.version
    grid = grid_row(
        function_row,
        board,
        towns,
        edit_town.id if edit_town is not None else None,
        version,
        conflict=conflict,
        review=queries.marks_to_review(session=session, function_ids=[function_row.id]),
    )
    fallback = url_for("catalog.area", area_id=function_row.area_id)
    response = htmx.render(
        "catalog/_row_saved.html",
        row=grid,
        towns=towns,
        my_town=my_town,
        edit_town=edit_town,
        page_url=safe_next(next_url, fallback),
        totals=area_totals(board, function_row.area_id, towns) if conflict is None else None,
        message=message,
        **_template_helpers(),
    )
    response.status_code = status
    return response


# --- one function ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Draft:
    """What the user typed in the note editor (kept on preview and on a conflict)."""

    status: str
    note: str
    cost_initial_yen: int | None
    cost_annual_yen: int | None


def _correcting_town(towns: Sequence[Town], town_id: str | None) -> Town | None:
    """The town a moderator corrects on the function page (`?town=`), if any."""
    if town_id is None or not authz.can_moderate():
        return None
    return next((town for town in towns if town.id == town_id), None)


def _function_context(
    session: Session,
    function_row: CatalogFunction,
    board: Scoreboard | None = None,
    *,
    town_id: str | None = None,
) -> dict[str, Any]:
    """Everything the function page and its fragments need; `town_id` is the town a
    moderator corrects (default: the page's `?town=`)."""
    towns = queries.list_towns(session=session)
    my_town = _my_town(towns)
    correcting = _correcting_town(towns, town_id or request.args.get("town"))
    edit_town = correcting or _edit_town(towns, function_row.area_id)
    marks = queries.marks_for_functions(session=session, function_ids=[function_row.id])
    area_row = queries.get_area(session=session, area_id=function_row.area_id)
    score = None
    neighbours: tuple[str | None, str | None] = (None, None)
    if function_row.archived_at is None:
        keys = queries.area_function_keys(session=session, area_id=function_row.area_id)
        if board is None:
            board = area_boards().board(session=session, area_id=function_row.area_id, towns=towns)
        score = board.function_score(function_row.id)
        ids = [key[0] for key in keys]
        k = ids.index(function_row.id)
        neighbours = (ids[k - 1] if k > 0 else None, ids[k + 1] if k + 1 < len(ids) else None)
    my_mark = marks.get((edit_town.id, function_row.id)) if edit_town is not None else None
    return {
        "function": function_row,
        "area": area_row,
        "towns": towns,
        "my_town": my_town,
        "edit_town": edit_town,
        "correcting": correcting is not None,
        "can_correct": authz.can_moderate() and function_row.archived_at is None,
        "my_mark": my_mark,
        "marks": marks,
        "history": queries.mark_history(session=session, function_id=function_row.id),
        "town_names": {town.id: town.name for town in towns},
        "score": score,
        "risk": round_risk(score.risk) if score is not None else None,
        "previous_id": neighbours[0],
        "next_id": neighbours[1],
        "editable": edit_town is not None and function_row.archived_at is None,
        "draft": None,
        "preview": None,
        "conflict": None,
        **_template_helpers(),
    }


def _get_function(session: Session, function_id: str) -> CatalogFunction:
    function_row = queries.get_function(session=session, function_id=function_id)
    if function_row is None:
        abort(404)
    return function_row


@bp.get("/functions/<function_id>")
@authz.signed_in
def function(function_id: str) -> Response:
    """One function: requirement text, every town's verdict and note, history, the editor."""
    session = get_session()
    function_row = _get_function(session, function_id)
    return htmx.render("catalog/function.html", **_function_context(session, function_row))


@bp.get("/functions/<function_id>/editor")
@authz.roles(*authz.MARKING_ROLES)
def editor(function_id: str) -> Response:
    """The user's note editor as saved now (to drop one's own version after a conflict)."""
    session = get_session()
    function_row = _get_function(session, function_id)
    page_url = url_for("catalog.function", function_id=function_id, town=request.args.get("town"))
    if not htmx.is_htmx() or function_row.archived_at is not None:
        return redirect(page_url, code=303)
    context = _function_context(session, function_row)
    if not context["editable"]:
        return redirect(page_url, code=303)
    return htmx.render("catalog/_editor.html", **context)


@bp.post("/functions/<function_id>/preview")
@authz.roles(*authz.MARKING_ROLES)
def preview(function_id: str) -> Response:
    """The note rendered as it will be shown (raw HTML stays text, unsafe links stay text)."""
    session = get_session()
    function_row = _get_function(session, function_id)
    note = _clean_note(request.form.get("note"))
    if htmx.is_htmx():
        return htmx.render("catalog/_preview.html", preview=render_markdown(note))
    context = _function_context(session, function_row, town_id=request.form.get("town"))
    context["draft"] = _draft_from_form(request.form)
    context["reason"] = _clean_reason(request.form.get("reason"))
    context["preview"] = render_markdown(note)
    return htmx.render("catalog/function.html", **context)


# --- saving a mark ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MarkForm:
    """A posted mark: from a grid button (status only) or the editor (status, note, cost)."""

    status: Status
    expected_version: int
    full: bool
    note: str | None
    cost: Cost | None
    context: str  # "grid" or "page": which fragments to answer with
    next_url: str | None
    reason: str | None  # why a moderator corrects the mark on the town's behalf

    @classmethod
    def parse(cls, form: Mapping[str, str]) -> MarkForm:
        """Read and check the posted fields; 400 on anything malformed."""
        try:
            status = Status(form.get("status", ""))
            version = int(form.get("version", ""))
        except ValueError:
            abort(400)
        if not 0 <= version <= MAX_INTEGER:  # no mark has such a version (nor could hold it)
            abort(400)
        full = "note" in form
        note = _clean_note(form.get("note")) if full else None
        cost = None
        if full and status is Status.CUSTOMIZATION:
            initial = _yen(form.get("cost_initial_yen"))
            annual = _yen(form.get("cost_annual_yen"))
            if initial is not None or annual is not None:
                cost = Cost(initial_yen=initial or 0, annual_yen=annual or 0)
        return cls(
            status=status,
            expected_version=version,
            full=full,
            note=note,
            cost=cost,
            context="page" if form.get("context") == "page" else "grid",
            next_url=form.get("next"),
            reason=_clean_reason(form.get("reason")),
        )


def _clean_note(value: str | None) -> str | None:
    """A note as stored: browsers' CRLF as LF, no trailing blanks, None when empty."""
    if value is None:
        return None
    text = value.replace("\r\n", "\n").replace("\r", "\n").rstrip()
    if len(text) > MAX_NOTE_LENGTH:
        abort(400)
    return text or None


def _clean_reason(value: str | None) -> str | None:
    """A correction's reason as stored: trimmed, None when empty."""
    text = (value or "").replace("\r\n", "\n").strip()
    if len(text) > MAX_REASON_LENGTH:
        abort(400)
    return text or None


def _yen(value: str | None) -> int | None:
    text = (value or "").strip().replace(",", "")
    if not text:
        return None
    try:
        number = int(text)
    except ValueError:
        abort(400)
    if not 0 <= number <= MAX_YEN:
        abort(400)
    return number


def _draft_from_form(form: Mapping[str, str]) -> Draft:
    status = form.get("status", Status.UNDECIDED.value)
    if status not in {s.value for s in Status}:
        status = Status.UNDECIDED.value
    return Draft(
        status=status,
        note=_clean_note(form.get("note")) or "",
        cost_initial_yen=_yen(form.get("cost_initial_yen")),
        cost_annual_yen=_yen(form.get("cost_annual_yen")),
    )


def _same_as_sent(current: queries.MarkState | None, sent: MarkForm) -> bool:
    """Whether the mark already holds what the user sent (e.g. a retried request)."""
    if current is None or current.status != sent.status.value:
        return False
    if not sent.full:
        return True
    cost = sent.cost or Cost(0, 0)
    stored = (current.cost_initial_yen or 0, current.cost_annual_yen or 0)
    return current.note == sent.note and stored == (cost.initial_yen, cost.annual_yen)


def _missing_reason(
    session: Session, function_row: CatalogFunction, town: Town, towns: list[Town], sent: MarkForm
) -> Response:
    """422: a moderator's correction without a reason; the form comes back with the draft."""
    message = _("町に代わって判定を訂正するときは、訂正の理由を書いてください。")
    if sent.context == "grid":
        return errors.error_response(422, message, message)
    context = _function_context(session, function_row, town_id=town.id)
    context["draft"] = Draft(
        status=sent.status.value,
        note=sent.note or "",
        cost_initial_yen=sent.cost.initial_yen if sent.cost else None,
        cost_annual_yen=sent.cost.annual_yen if sent.cost else None,
    )
    context["problems"] = [message]
    template = "catalog/_editor.html" if htmx.is_htmx() else "catalog/function.html"
    response = htmx.render(template, **context)
    response.status_code = 422
    return response


def _mark_details(
    before: queries.MarkState | None, after: queries.MarkState, reason: str | None
) -> dict[str, Any]:
    """What the audit trail keeps of a mark change."""
    cost_before = (before.cost_initial_yen, before.cost_annual_yen) if before else (None, None)
    details: dict[str, Any] = {
        "town": after.town_id,
        "function": after.function_id,
        "before": before.status if before else None,
        "after": after.status,
        "note_changed": (before.note if before else None) != after.note,
        "cost_changed": cost_before != (after.cost_initial_yen, after.cost_annual_yen),
        "version": after.version,
    }
    if reason is not None:
        details["correction"] = True
        details["reason"] = reason
    return details


@bp.post("/functions/<function_id>/marks/<town_id>")
@authz.roles(*authz.MARKING_ROLES)
def save_mark(function_id: str, town_id: str) -> Response:
    """Save one town's mark on one function, refusing to overwrite a newer version.

    Town staff save their own town's marks in their areas; a moderator may correct any
    town's mark, with a reason that goes into the history and the audit trail."""
    session = get_session()
    function_row = _get_function(session, function_id)
    towns = queries.list_towns(session=session)
    town = next((t for t in towns if t.id == town_id), None)
    if town is None or function_row.archived_at is not None:
        abort(404)
    authz.require_edit(town_id, function_row.area_id)
    sent = MarkForm.parse(request.form)
    correction = authz.is_correction(town_id)
    if correction and sent.reason is None:
        return _missing_reason(session, function_row, town, towns, sent)
    reason = sent.reason if correction else None
    _end_read(session)
    try:
        with get_db().write() as write:
            note, cost = sent.note, sent.cost
            current = queries.get_mark(session=write, town_id=town_id, function_id=function_id)
            if not sent.full and current is not None:
                # A status change from the grid keeps the note and cost already written.
                note = current.note
                if current.cost_initial_yen is not None or current.cost_annual_yen is not None:
                    cost = Cost(current.cost_initial_yen or 0, current.cost_annual_yen or 0)
            saved = queries.save_mark(
                session=write,
                town_id=town_id,
                function_id=function_id,
                status=sent.status,
                note=note,
                cost=cost,
                expected_version=sent.expected_version,
                changed_by=authz.changed_by(),
                source="correction" if correction else "web",
                reason=reason,
            )
            authz.audit(
                write,
                "mark.changed",
                f"{town_id}/{function_id}",
                _mark_details(current, saved, reason),
            )
    except queries.MarkConflict as refused:
        if not _same_as_sent(refused.current, sent):
            return _conflict_response(session, function_row, town, towns, sent, refused.current)
        # Already saved (a retry after a lost answer, a double click): report success.
        assert refused.current is not None  # noqa: S101 - _same_as_sent checked it
        saved = refused.current
    board = area_boards().board(session=session, area_id=function_row.area_id, towns=towns)
    message = _(
        "%(id)s の %(town)s の判定を「%(status)s」で保存しました。",
        id=function_id,
        town=town.name,
        status=_status_labels()[saved.status],
    )
    if not htmx.is_htmx():
        fallback = (
            url_for("catalog.function", function_id=function_id)
            if sent.context == "page"
            else url_for("catalog.area", area_id=function_row.area_id)
        )
        target = safe_next(sent.next_url, fallback)
        anchor = "#my-mark" if sent.context == "page" else f"#f-{function_id}"
        return redirect(target.split("#")[0] + anchor, code=303)
    if sent.context == "page":
        context = _function_context(
            session, function_row, board, town_id=town_id if correction else None
        )
        return htmx.render("catalog/_editor_saved.html", message=message, **context)
    return _row_response(
        session, function_row, towns, next_url=sent.next_url, board=board, message=message
    )


def _conflict_response(
    session: Session,
    function_row: CatalogFunction,
    town: Town,
    towns: list[Town],
    sent: MarkForm,
    current: queries.MarkState | None,
) -> Response:
    """409: show the user's version next to the current one and let them choose."""
    conflict = Conflict(
        status=sent.status.value, note=sent.note, cost=sent.cost, full=sent.full, current=current
    )
    message = _(
        "%(id)s の判定は、ほかの人が先に変更していました。内容を比べて選んでください。",
        id=function_row.id,
    )
    if htmx.is_htmx() and sent.context == "grid":
        return _row_response(
            session,
            function_row,
            towns,
            next_url=sent.next_url,
            conflict=conflict,
            message=message,
            status=409,
        )
    correction = authz.is_correction(town.id)
    context = _function_context(session, function_row, town_id=town.id if correction else None)
    context["conflict"] = conflict
    context["reason"] = sent.reason
    if sent.full:
        draft = Draft(
            status=sent.status.value,
            note=sent.note or "",
            cost_initial_yen=sent.cost.initial_yen if sent.cost else None,
            cost_annual_yen=sent.cost.annual_yen if sent.cost else None,
        )
    else:
        # Only the status was sent (the grid): keep the note and cost that are there now.
        draft = Draft(
            status=sent.status.value,
            note=(current.note if current else None) or "",
            cost_initial_yen=current.cost_initial_yen if current else None,
            cost_annual_yen=current.cost_annual_yen if current else None,
        )
    context["draft"] = draft
    context["message"] = message
    context["town"] = town
    context["next_url"] = safe_next(
        sent.next_url, url_for("catalog.function", function_id=function_row.id)
    )
    context["context_name"] = sent.context
    if htmx.is_htmx():
        response = htmx.render("catalog/_editor_saved.html", **context)
    else:
        response = htmx.render("catalog/conflict.html", **context)
    response.status_code = 409
    return response


@bp.errorhandler(Forbidden)
def forbidden(error: Forbidden) -> Response:
    """Changing a mark one may not change: say why, in the user's language."""
    return errors.error_response(
        403,
        _("変更できません"),
        _(
            "このアカウントでは、この判定は変更できません。"
            "町の職員は、自分の町の担当業務の判定だけを変更できます。"
        ),
    )
