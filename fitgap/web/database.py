"""The database in a request: the app's Database, the request's reading session, the kept
scoreboards of this process, and ids in URLs that the database can hold."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, g
from sqlmodel import Session
from werkzeug.routing import IntegerConverter, Map

from fitgap.domain.risk.scoreboard import Scoreboard
from fitgap.services.boards import AreaBoards, app_boards
from fitgap.store import catalog as catalog_queries
from fitgap.store.db import MAX_INTEGER, Database
from fitgap.store.models import Town


class IdConverter(IntegerConverter):
    """`<int:...>` in a URL: a row id, so a number beyond MAX_INTEGER is a 404 like any other
    id that names no row."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", MAX_INTEGER)
        super().__init__(url_map, *args, **kwargs)


def init_app(app: Flask) -> None:
    """Attach the database to the app and close the request's session on teardown; make the
    ids in URLs (`<int:...>`) ids the database can hold. Called before the views are added:
    a rule takes its converters when it is added."""
    app.extensions["fitgap.store.db"] = Database(app.config["DATABASE_URL"])
    app.url_map.converters["int"] = IdConverter
    app.teardown_appcontext(_close_session)


def get_db() -> Database:
    """The current app's database."""
    database: Database = current_app.extensions["fitgap.store.db"]
    return database


def get_session() -> Session:
    """The request's reading session, opened on first use and closed on teardown."""
    if "db_session" not in g:
        g.db_session = Session(get_db().engine, expire_on_commit=False)
    session: Session = g.db_session
    return session


def _close_session(_error: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()


def kept_boards() -> AreaBoards:
    """This app's kept scoreboards in this process (created on first use)."""
    return app_boards(current_app.extensions)


def current_board(
    *, session: Session, area_id: str | None, towns: list[Town] | None = None
) -> Scoreboard:
    """The current scoreboard of an area, or of the whole project (None), through the kept
    boards; pass the towns when the view has read them already. The one way the web reaches
    the kept boards."""
    if towns is None:
        towns = catalog_queries.list_towns(session=session)
    return kept_boards().board(session=session, area_id=area_id, towns=towns)
