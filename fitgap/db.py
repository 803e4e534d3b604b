"""The database: engines, SQLite pragmas, migrations and the session lifecycle.

Reads use ordinary (deferred) transactions. Writes go through `Database.write()`, which on
SQLite starts with BEGIN IMMEDIATE so two writers queue on the write lock up front instead of
failing half-way with "database is locked". Nothing is cached in the process beyond the
connection pool, so several worker processes can share one PostgreSQL database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app, g
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000


class Database:
    """One database: a read engine, a write engine on the same pool, and migrations."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        options: dict[str, Any] = {"echo": echo, "future": True}
        if self.is_sqlite:
            options["connect_args"] = {
                "check_same_thread": False,
                "timeout": SQLITE_BUSY_TIMEOUT_MS / 1000,
            }
        else:
            options["pool_pre_ping"] = True
        self.engine: Engine = create_engine(url, **options)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self.write_engine: Engine = self.engine.execution_options(fitgap_write=True)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading; rolled back and closed at the end."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session for one all-or-nothing write: committed at the end, rolled back on error."""
        with Session(self.write_engine, expire_on_commit=False) as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def alembic_config(self, connection: Connection) -> Config:
        """An Alembic configuration that runs on `connection`."""
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.attributes["connection"] = connection
        return config

    def upgrade(self) -> None:
        """Bring the schema up to the newest migration (an empty database included)."""
        with self.write_engine.begin() as connection:
            command.upgrade(self.alembic_config(connection), "head")

    def is_current(self) -> bool:
        """Whether the schema is at the newest migration."""
        with self.engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
            head = ScriptDirectory.from_config(self.alembic_config(connection)).get_current_head()
        return current == head

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("fitgap_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


def describe_database_error(error: BaseException) -> str:
    """What went wrong with the database, in words for the person who can fix it."""
    from fitgap.domain.i18n import _

    text = str(getattr(error, "orig", None) or error).lower()
    if "disk is full" in text or "no space" in text:
        return _(
            "データベースのディスクがいっぱいです。空き容量を増やしてから、もう一度実行して"
            "ください（保存済みの内容はそのままです）"
        )
    if "readonly" in text or "read-only" in text or "permission denied" in text:
        return _(
            "データベースに書き込めません（読み取り専用か、書き込み権限がありません）。"
            "保存済みの内容はそのままです"
        )
    if "unable to open" in text:
        return _("データベースのファイルを開けません。場所と権限を確認してください")
    if "connection" in text or "could not connect" in text or "timeout" in text:
        return _("データベースのサーバーに接続できません。サーバーが動いているか確認してください")
    return _("データベースでエラーが起きました: %(detail)s", detail=str(error).splitlines()[0])


def default_sqlite_url(instance_path: str | Path) -> str:
    """The default database: a SQLite file in the app's instance folder."""
    return f"sqlite:///{Path(instance_path) / 'fitgap.sqlite3'}"


def init_app(app: Flask) -> None:
    """Attach the database to the app and close the request's session on teardown."""
    app.extensions["fitgap.db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)


def get_db() -> Database:
    """The current app's database."""
    database: Database = current_app.extensions["fitgap.db"]
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
