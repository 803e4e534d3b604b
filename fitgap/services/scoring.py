"""Scores from the database: the current catalog, towns and marks through the risk engine."""

from __future__ import annotations

from sqlmodel import Session

from fitgap.domain.risk.columns import from_columns
from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.store import columns as column_queries


def scoreboard(*, session: Session, area_id: str | None = None) -> Scoreboard:
    """The Galapagos risk of the current data (of one area, or of the whole project), built
    from the marks' arrays (no object per mark: a whole project has 600,000 of them)."""
    functions, towns, columns = column_queries.scoring_columns(session=session, area_id=area_id)
    return from_columns(functions, towns, columns)
