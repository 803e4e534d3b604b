"""Scores from the database: the current catalog, towns and marks through the risk engine."""

from __future__ import annotations

from sqlmodel import Session

from fitgap.domain.risk.scoreboard import Scoreboard, galapagos_risk
from fitgap.store import marks as mark_queries


def scoreboard(*, session: Session, area_id: str | None = None) -> Scoreboard:
    """The Galapagos risk of the current data (of one area, or of the whole project)."""
    data = mark_queries.scoring_input(session=session, area_id=area_id)
    return galapagos_risk(data.functions, data.towns, data.marks)
