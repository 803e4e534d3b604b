"""The database: engines, SQLite pragmas, migrations and write transactions (no Flask: the
request's session lives in `fitgap.web.database`).

Reads use ordinary (deferred) transactions. Writes go through `Database.write()`, which on
SQLite starts with BEGIN IMMEDIATE so two writers queue on the write lock up front instead of
failing half-way with "database is locked". Nothing is cached in the process beyond the
connection pool, so several worker processes can share one PostgreSQL database.

SQLite runs in WAL mode with synchronous=FULL: every commit reaches the disk before it is
acknowledged, so a crash of the machine or a disk that fails (and turns read-only) loses no
acknowledged change. (synchronous=NORMAL lost the last acknowledged mark changes when the
disk failed; benchmarks/faults.py, docs/reliability.md. FULL costs one fsync per commit.)
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError, InternalError, OperationalError
from sqlmodel import Session

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
# The largest value of an id or version column (PostgreSQL's INTEGER). A bigger number cannot
# name a row; sent to the database it fails ("integer out of range", or on SQLite beyond 2**63
# an OverflowError) instead of finding nothing.
MAX_INTEGER = 2**31 - 1


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
            _create_private(self.engine.url.database)
            _configure_sqlite(self.engine)
        self.write_engine: Engine = self.engine.execution_options(fitgap_write=True)
        # PostgreSQL lets writers work side by side: only SQLite's queue is kept (see write).
        self._writers = threading.Lock() if self.is_sqlite else None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading; rolled back and closed at the end."""
        with Session(self.engine, expire_on_commit=False) as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A session for one all-or-nothing write: committed at the end, rolled back on error."""
        # SQLite lets one writer in at a time and makes the others poll for the lock with
        # growing sleeps (up to 100 ms each), so under a meeting's load a write could wait far
        # longer than the writes before it took. The threads of one process queue here instead
        # and go in turn; other processes still wait through the busy timeout. If the queue
        # takes longer than that timeout, the write goes ahead and SQLite decides as before.
        writers = self._writers
        queued = writers.acquire(timeout=SQLITE_BUSY_TIMEOUT_MS / 1000) if writers else False
        try:
            with Session(self.write_engine, expire_on_commit=False) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if writers is not None and queued:
                writers.release()

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

    def refresh_statistics(self) -> None:
        """Let the query planner know the tables' sizes after a big load or import (a planner
        that still thinks them empty picks plans that walk whole tables)."""
        with self.write_engine.begin() as connection:
            if self.is_sqlite:
                # A sample of each index is enough for the planner, and keeps this quick.
                connection.exec_driver_sql("PRAGMA analysis_limit=1000")
            if self.is_sqlite:
                connection.exec_driver_sql("ANALYZE")
            else:
                # The app's own tables (found through its search_path), not every table of
                # the database: a bare ANALYZE also locks other schemas' tables and deadlocked
                # with a DROP SCHEMA running beside it.
                connection.exec_driver_sql(
                    "ANALYZE area, catalog_function, town, mark, mark_change, area_clock"
                )

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


def _create_private(name: str | None) -> None:
    """Create a new SQLite database file readable by its owner only (0600): it holds password
    hashes, and SQLite would make it (and its -wal and -shm files, which take the database's
    mode) readable by everyone under the usual umask."""
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    path = Path(name)
    if path.parent.is_dir():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass
        except OSError:
            return  # a folder that cannot be written: SQLite says so when it opens the file


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        write = connection.get_execution_options().get("fitgap_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")


# PostgreSQL's read_only_sql_transaction: a hot standby, or default_transaction_read_only.
READ_ONLY_SQLSTATE = "25006"


def is_database_unavailable(error: BaseException) -> bool:
    """Whether a database error comes from where the database lives (a full or read-only disk,
    a read-only or unreachable server) rather than from fitgap: such an error gets a clear
    message, never a traceback. psycopg reports a read-only server as an InternalError."""
    if isinstance(error, OperationalError):
        return True
    orig = getattr(error, "orig", None)
    return isinstance(error, InternalError) and (
        getattr(orig, "sqlstate", None) == READ_ONLY_SQLSTATE
    )


def describe_database_error(error: BaseException, url: str | None = None) -> str:
    """What went wrong with the database, in words for the person who can fix it.

    `url` (the database's) lets a SQLite file that cannot be opened be told apart: in a folder
    that cannot be written (a read-only disk), SQLite cannot make the -wal and -shm files it
    needs even to read."""
    from fitgap.domain.i18n import _

    text = str(getattr(error, "orig", None) or error)
    lowered = text.lower()
    if "disk is full" in lowered or "no space" in lowered:
        return _(
            "データベースのディスクがいっぱいです。空き容量を増やしてから、もう一度実行して"
            "ください（保存済みの内容はそのままです）"
        )
    if "readonly" in lowered or "read-only" in lowered or "permission denied" in lowered:
        return _(
            "データベースに書き込めません（読み取り専用か、書き込み権限がありません）。"
            "保存済みの内容はそのままです"
        )
    if "disk i/o error" in lowered:
        return _(
            "データベースのディスクの読み書きに失敗しました（ディスクが読み取り専用になったか、"
            "故障しています）。管理者に連絡してください"
        )
    if "unable to open" in lowered:
        if _folder_is_read_only(url):
            return _(
                "データベースのフォルダーに書き込めないため、データベースを開けません"
                "（読み取り専用のディスクか、書き込み権限がありません）。保存済みの内容はそのままです"
            )
        return _("データベースのファイルを開けません。場所と権限を確認してください")
    if "connection" in lowered or "could not connect" in lowered or "timeout" in lowered:
        return _("データベースのサーバーに接続できません。サーバーが動いているか確認してください")
    return _("データベースでエラーが起きました: %(detail)s", detail=(text.splitlines() or [""])[0])


def _folder_is_read_only(url: str | None) -> bool:
    """Whether a SQLite database's folder exists but cannot be written."""
    if not url or not url.startswith("sqlite"):
        return False
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return False
    folder = Path(database).absolute().parent
    return folder.is_dir() and not os.access(folder, os.W_OK)


def default_sqlite_url(instance_path: str | Path) -> str:
    """The default database: a SQLite file in the app's instance folder."""
    return f"sqlite:///{Path(instance_path) / 'fitgap.sqlite3'}"


# --- bulk statements ---------------------------------------------------------------------------

Progress = Callable[[int], None]  # called with the number of rows just written
BATCH = 5_000  # rows per executemany statement


@contextmanager
def driver_errors(connection: Connection, statement: str) -> Iterator[None]:
    """Errors of the DB-API driver, used directly, raised as SQLAlchemy raises them (so the
    app's descriptions of database errors, fitgap.web.errors and the CLI, still apply)."""
    dbapi = connection.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as error:
        raise DBAPIError.instance(
            statement, None, error, dbapi.Error, dialect=connection.dialect
        ) from error


def bulk_insert(
    session: Session, table: Any, rows: list[dict[str, Any]], progress: Progress | None = None
) -> None:
    """Insert many rows (dicts with the same keys) in the session's transaction, bypassing
    SQLAlchemy's per-row parameter handling: see `bulk_insert_tuples`."""
    if rows:
        names = list(rows[0])
        bulk_insert_tuples(session, table, names, [tuple(row.values()) for row in rows], progress)


def bulk_insert_tuples(
    session: Session,
    table: Any,
    names: Sequence[str],
    rows: Sequence[tuple[Any, ...]],
    progress: Progress | None = None,
) -> None:
    """Insert many rows (tuples of the `names` columns' values) in the session's transaction,
    bypassing SQLAlchemy's per-row parameter handling: `executemany` on SQLite's own
    connection, `COPY` on PostgreSQL. Values go through the columns' bind processors (dates,
    JSON) exactly as SQLAlchemy would send them, and columns left out get their defaults."""
    if not rows:
        return
    connection = session.connection()
    dialect = connection.dialect
    names = list(names)
    filled: list[tuple[int, Any]] = []  # (position, default value) of columns left out
    for column in table.c:
        default = column.default
        if column.name in names or default is None:
            continue
        if default.is_scalar:
            value = default.arg
        elif default.is_callable:
            value = default.arg(None)
        else:  # pragma: no cover - no table uses SQL-expression defaults
            raise ValueError(f"{table.name}.{column.name}: unsupported default")
        filled.append((len(names), value))
        names.append(column.name)
    # [position, processor, last value, its processed form]: a value the rows repeat (the
    # import's one timestamp) is processed once, not once per row.
    processors: list[list[Any]] = [
        [k, processor, _NOTHING, None]
        for k, name in enumerate(names)
        if (processor := table.c[name].type.dialect_impl(dialect).bind_processor(dialect))
    ]
    extra = tuple(value for _position, value in filled)

    def values(row: tuple[Any, ...]) -> list[Any] | tuple[Any, ...]:
        items = row + extra if extra else row
        if not processors:
            return items
        converted = list(items)
        for entry in processors:
            value = converted[entry[0]]
            if value is not entry[2]:
                entry[2], entry[3] = value, entry[1](value)
            converted[entry[0]] = entry[3]
        return converted

    driver = connection.connection.driver_connection
    column_list = ", ".join(names)
    if dialect.name == "sqlite":
        statement = (
            f"INSERT INTO {table.name} ({column_list}) "  # noqa: S608 - names from the model
            f"VALUES ({', '.join('?' for _name in names)})"
        )
        with driver_errors(connection, statement):
            cursor = driver.cursor()  # type: ignore[union-attr]
            try:
                for batch in batches(rows):
                    cursor.executemany(statement, [values(row) for row in batch])
                    if progress:
                        progress(len(batch))
            finally:
                cursor.close()
        return
    sql = f"COPY {table.name} ({column_list}) FROM STDIN"
    with (
        driver_errors(connection, sql),
        driver.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(sql) as copy,
    ):
        for batch in batches(rows):
            for row in batch:
                copy.write_row(values(row))
            if progress:
                progress(len(batch))


_NOTHING = object()  # no value seen yet


_Row = TypeVar("_Row")


def batches(rows: Sequence[_Row], size: int = BATCH) -> Iterable[Sequence[_Row]]:
    """Rows in slices of `size`, for executemany statements of a bounded size."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]
