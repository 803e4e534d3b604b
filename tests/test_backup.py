"""`fitgap backup` and `fitgap restore`: a consistent copy while the app writes, checks that
refuse anything but an intact fitgap database, and a replacement that keeps the old file.

These run on a SQLite file of their own even when the suite runs on PostgreSQL, where
`fitgap backup` only explains pg_dump (tested here too, without a server)."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from fitgap.store import audit as audit_queries
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import make_catalog, make_marks, make_towns
from tests.helpers import Invoke


@pytest.fixture
def local(settings: dict[str, Any], files: Path, fitgap: Invoke) -> Path:
    """This test's commands on a SQLite file, with a loaded catalog and some marks."""
    path = files / "fitgap.sqlite3"
    settings["DATABASE_URL"] = f"sqlite:///{path}"
    settings["BACKUP_DIR"] = str(files / "backups")
    make_catalog(files, count=4)
    make_towns(files)
    assert fitgap("load").exit_code == 0
    make_marks(files, "ishii", {"0010001": "customization", "0010002": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    return path


@contextmanager
def opened(path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{path}")
    try:
        yield database
    finally:
        database.dispose()


def statuses(path: Path) -> dict[str, str]:
    with opened(path) as database, database.session() as session:
        marks = mark_queries.export_marks(session=session, town_id="ishii")
    return {m.function_id: m.status.value for m in marks}


def test_backup_is_consistent_while_the_app_writes(local: Path, fitgap: Invoke) -> None:
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:
        with opened(local) as database:
            while not stop.is_set():
                with database.write() as session:
                    audit_queries.append(
                        session=session,
                        actor=audit_queries.Actor("writer", None),
                        action="test.event",
                        details={"n": len(written)},
                    )
                written.append(1)

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(written) < 20:
            stop.wait(0.01)
        result = fitgap("backup")
    finally:
        stop.set()
        thread.join()
    assert result.exit_code == 0, result.output
    copy = Path(result.output.strip())
    assert copy.parent == local.parent / "backups" and copy.name.startswith("fitgap-")
    with closing(sqlite3.connect(copy)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    with opened(copy) as database, database.session() as session:
        checked = audit_queries.verify(session=session)
    assert checked.intact and checked.count >= 22  # load, import and the writer's records
    assert statuses(copy) == {"0010001": "customization", "0010002": "fit"}
    with opened(local) as database, database.session() as session:
        last = audit_queries.list_records(session=session, filters=audit_queries.AuditFilter())
    assert any(r.action == "backup.created" and r.target == str(copy) for r in last)


def test_postgresql_is_backed_up_with_pg_dump(settings: dict[str, Any], fitgap: Invoke) -> None:
    settings["DATABASE_URL"] = "postgresql+psycopg://fitgap:s3cret@dbhost:5432/fitgap"
    result = fitgap("backup")
    assert result.exit_code == 2
    assert "pg_dump --format=custom --file=fitgap-" in result.output
    assert '"postgresql://fitgap@dbhost:5432/fitgap"' in result.output
    assert "s3cret" not in result.output and "PGPASSWORD" in result.output
    restored = fitgap("restore", __file__)
    assert restored.exit_code == 2 and "pg_restore" in restored.output


def test_restore_checks_then_replaces_and_keeps_the_old_file(
    local: Path, fitgap: Invoke, files: Path
) -> None:
    copy = files / "copy.sqlite3"
    assert fitgap("backup", "--out", str(copy)).exit_code == 0
    make_marks(files, "ishii", {"0010001": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    assert statuses(local)["0010001"] == "fit"
    # Without --yes: only the checks.
    checked = fitgap("restore", str(copy))
    assert checked.exit_code == 2, checked.output
    assert "正常な fitgap のデータベース" in checked.output and "--yes" in checked.output
    assert statuses(local)["0010001"] == "fit"
    done = fitgap("restore", str(copy), "--yes")
    assert done.exit_code == 0, done.output
    assert statuses(local)["0010001"] == "customization"
    kept = local.with_name(local.name + ".bak")
    assert statuses(kept)["0010001"] == "fit"
    assert not list(files.glob(".restore.*"))
    verified = fitgap("audit", "verify")
    assert verified.exit_code == 0, verified.output
    with opened(local) as database, database.session() as session:
        newest = audit_queries.list_records(
            session=session, filters=audit_queries.AuditFilter(), limit=1
        )[0]
    assert newest.action == "backup.restored" and newest.target == str(copy)


def test_restore_refuses_anything_else(local: Path, fitgap: Invoke, files: Path) -> None:
    text = files / "notes.txt"
    text.write_text("not a database\n" * 100, encoding="utf-8")
    result = fitgap("restore", str(text), "--yes")
    assert result.exit_code == 1 and "SQLite のデータベースではありません" in result.output
    other = files / "other.sqlite3"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE t (x)")
        connection.commit()
    result = fitgap("restore", str(other), "--yes")
    assert result.exit_code == 1 and "fitgap のデータベースではありません" in result.output
    # A backup whose audit trail was changed behind fitgap's back.
    tampered = files / "tampered.sqlite3"
    assert fitgap("backup", "--out", str(tampered)).exit_code == 0
    with closing(sqlite3.connect(tampered)) as connection:
        connection.execute("DROP TRIGGER audit_record_no_update")
        connection.execute("UPDATE audit_record SET actor = 'someone' WHERE sequence = 1")
        connection.commit()
    result = fitgap("restore", str(tampered), "--yes")
    assert result.exit_code == 1 and "改ざん" in result.output
    # A damaged file.
    broken = files / "broken.sqlite3"
    assert fitgap("backup", "--out", str(broken)).exit_code == 0
    data = bytearray(broken.read_bytes())
    for offset in range(4096, len(data), 97):
        data[offset] ^= 0xFF
    broken.write_bytes(bytes(data))
    result = fitgap("restore", str(broken), "--yes")
    assert result.exit_code == 1 and "壊れています" in result.output
    assert statuses(local) == {"0010001": "customization", "0010002": "fit"}
    assert not local.with_name(local.name + ".bak").exists()
