"""`fitgap backup` and `fitgap restore`: a consistent copy while the app writes, checks that
refuse anything but an intact fitgap database, and a replacement that keeps the old file.

These run on a SQLite file of their own even when the suite runs on PostgreSQL, where
`fitgap backup` only explains pg_dump (tested here too, without a server)."""

from __future__ import annotations

import json
import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest

from fitgap.domain.audit import record_hash
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


def private(path: Path) -> bool:
    """Whether only the file's owner may read or write it (0600)."""
    return stat.S_IMODE(path.stat().st_mode) == 0o600


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
    [kept] = local.parent.glob(f"{local.name}.*.bak")
    assert statuses(kept)["0010001"] == "fit"
    assert private(kept)
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
    assert not list(local.parent.glob(f"{local.name}.*.bak"))


def audit_trail(path: Path) -> list[Any]:
    with opened(path) as database, database.session() as session:
        return list(
            reversed(
                audit_queries.list_records(
                    session=session, filters=audit_queries.AuditFilter(), limit=None
                )
            )
        )


def test_restoring_an_older_backup_keeps_a_verifiable_trace_of_the_audit_trail(
    local: Path, fitgap: Invoke, files: Path
) -> None:
    """The review: restoring an old backup silently dropped every later audit record and used
    their sequence numbers again; the replaced database went to <db>.bak, readable by anyone
    and overwritten by the next restore."""
    copy = files / "copy.sqlite3"
    assert fitgap("backup", "--out", str(copy)).exit_code == 0
    assert private(copy) and private(local)
    backed_up = audit_trail(copy)
    make_marks(files, "ishii", {"0010001": "fit"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    make_marks(files, "ishii", {"0010002": "customization"})
    assert fitgap("marks", "import", "marks/ishii.yaml").exit_code == 0
    before = audit_trail(local)
    dropped = before[len(backed_up) :]
    assert len(dropped) >= 2
    done = fitgap("restore", str(copy), "--yes")
    assert done.exit_code == 0, done.output
    after = audit_trail(local)
    restore_record = after[-1]
    assert restore_record.action == "backup.restored"
    # No sequence number is used twice: the restore follows the replaced database's head.
    assert restore_record.sequence == before[-1].sequence + 1
    assert restore_record.previous_hash == before[-1].hash
    details = restore_record.details
    assert details["dropped"] == len(dropped)
    assert details["audit_head_before"] == {
        "sequence": before[-1].sequence,
        "hash": before[-1].hash,
    }
    assert details["audit_head_restored"] == {
        "sequence": backed_up[-1].sequence,
        "hash": backed_up[-1].hash,
    }
    assert [r.sequence for r in after[:-1]] == [r.sequence for r in backed_up]
    # The dropped records are kept, private, beside the replaced database, hashes and all.
    trace = Path(details["dropped_file"])
    assert trace.parent == local.parent and private(trace)
    lines = [json.loads(line) for line in trace.read_text(encoding="utf-8").splitlines()]
    assert [(r["sequence"], r["hash"]) for r in lines] == [(r.sequence, r.hash) for r in dropped]
    assert lines[0]["previous_hash"] == backed_up[-1].hash
    kept = Path(details["kept"])
    assert private(kept) and kept.name.endswith(".bak")
    assert f"{len(dropped)} 件" in done.output and str(trace) in done.output
    # The trail still verifies, the jump included.
    verified = fitgap("audit", "verify")
    assert verified.exit_code == 0, verified.output
    # A second restore keeps a second file: nothing is overwritten.
    assert fitgap("restore", str(copy), "--yes").exit_code == 0
    assert len(list(local.parent.glob(f"{local.name}.*.bak"))) == 2
    assert fitgap("audit", "verify").exit_code == 0
    # A forged jump (a restore record that does not start at the restored head, its hash
    # computed anew, the head moved along) is caught.
    newest = audit_trail(local)[-1]
    forged = {**newest.details, "audit_head_restored": {"sequence": 1, "hash": "0" * 64}}
    digest = record_hash(
        sequence=newest.sequence,
        at=newest.at,
        actor=newest.actor,
        address=newest.address,
        action=newest.action,
        target=newest.target,
        details=forged,
        previous_hash=newest.previous_hash,
    )
    with closing(sqlite3.connect(local)) as connection:
        connection.execute("DROP TRIGGER audit_record_no_update")
        connection.execute(
            "UPDATE audit_record SET details = ?, hash = ? WHERE sequence = ?",
            (json.dumps(forged), digest, newest.sequence),
        )
        connection.execute("UPDATE audit_chain SET head_hash = ?", (digest,))
        connection.commit()
    refused = fitgap("audit", "verify")
    assert refused.exit_code == 1 and "復元の記録" in refused.output


def test_a_new_sqlite_database_is_private(settings: dict[str, Any], files: Path) -> None:
    from fitgap import create_app

    path = files / "new.sqlite3"
    app = create_app({**settings, "DATABASE_URL": f"sqlite:///{path}"})
    try:
        app.extensions["fitgap.store.db"].upgrade()
    finally:
        app.extensions["fitgap.store.db"].dispose()
    assert path.is_file() and private(path)
