"""Backup and restore of a SQLite database: consistent copies, the checks a file must pass
before it replaces the database, and the audit trail's record of a restore.

Every file written here is private to the server's user (0600): the database holds password
hashes. Nothing is ever overwritten: the database a restore replaces is kept under a name with
the time (`<db>.<YYYYmmdd-HHMMSS>.bak`), and so is the trace of the audit records the restore
drops (`<db>.<YYYYmmdd-HHMMSS>.dropped-audit.jsonl`).

Restoring an older backup takes the audit trail back to the backup's head: the records written
since would be lost, and their sequence numbers used again. Instead, before the file is
replaced, those records are written to the trace file (one JSON object a line, hashes included:
they chain from the backup's head to the current one), and the restore record follows the
current head, not the backup's: it names both heads and the number of records dropped, and
`fitgap audit verify` accepts that one jump (fitgap.store.audit.verify).

The command line (fitgap.cli.admin) only reads the arguments and prints the messages.
"""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import select

from fitgap.domain import audit as chain
from fitgap.domain.i18n import _
from fitgap.store import audit as audit_queries
from fitgap.store.db import MIGRATIONS_DIR, Database
from fitgap.store.models import AuditChain, AuditRecord

SQLITE_HEADER = b"SQLite format 3\x00"
PRIVATE = 0o600


class BackupError(ValueError):
    """A backup or restore that cannot be made; the message is in the user's language."""


def sqlite_path(database: Database) -> Path | None:
    """The database's file (None: not SQLite, or SQLite in memory)."""
    name = database.engine.url.database if database.is_sqlite else None
    if not name or name == ":memory:":
        return None
    return Path(name)


def stamp() -> str:
    """The time in file names: UTC, to the second."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S")


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a SQLite database made with SQLite's online backup API (the app
    may keep writing meanwhile), as a standalone file (rollback journal, not WAL). A new
    `target` is created private (0600)."""
    if not target.exists():
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)
        dst.execute("PRAGMA journal_mode=DELETE")


def integrity(path: Path) -> str:
    """SQLite's own check of every page and index: "ok", or what is wrong."""
    try:
        with closing(sqlite3.connect(path)) as connection:
            rows = connection.execute("PRAGMA integrity_check").fetchall()
    except (sqlite3.Error, UnicodeError) as error:
        return str(error) or type(error).__name__
    return "; ".join(str(row[0]) for row in rows)


def create_backup(source: Path, target: Path) -> int:
    """Copy the database to `target` (0600; checked before it takes the name); its size."""
    if not source.is_file():
        raise BackupError(_("データベース %(path)s がありません", path=source))
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
    os.close(descriptor)  # mkstemp makes it 0600
    try:
        sqlite_copy(source, Path(temporary))
        checked = integrity(Path(temporary))
        if checked != "ok":
            raise BackupError(_("コピーの整合性検査に失敗しました: %(result)s", result=checked))
        os.replace(temporary, target)
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target.stat().st_size


# --- checking a file before it replaces the database -----------------------------------------


@dataclass(frozen=True, slots=True)
class RestoreCheck:
    """What a candidate file for restore turned out to be."""

    revision: str
    audit_records: int | None  # None: a database from before the audit trail


def _known_revisions() -> dict[str, int]:
    """Every migration's revision id with its position (0 = the first)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    script = ScriptDirectory.from_config(config)
    ordered = list(reversed(list(script.walk_revisions())))
    return {rev.revision: position for position, rev in enumerate(ordered)}


def require_sqlite_file(path: Path) -> None:
    """Refuse a file that is not a SQLite database at all."""
    with path.open("rb") as handle:
        if handle.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise BackupError(_("%(path)s は SQLite のデータベースではありません", path=path))


def _revision(path: Path) -> str | None:
    with closing(sqlite3.connect(path)) as connection:
        try:
            row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError:
            row = None
    return None if row is None else str(row[0])


def _has_audit_trail(revision: str | None) -> bool:
    known = _known_revisions()
    return revision in known and known[revision] >= known["0003"]


def check_restore_candidate(path: Path, shown: Path | None = None) -> RestoreCheck:
    """Refuse anything but an intact fitgap SQLite database whose audit trail verifies.
    `shown` is the name the messages give the file (the user's, not a staged copy's)."""
    name = shown or path
    require_sqlite_file(path)
    checked = integrity(path)
    if checked != "ok":
        raise BackupError(_("%(path)s は壊れています: %(result)s", path=name, result=checked))
    revision = _revision(path)
    if revision is None or revision not in _known_revisions():
        raise BackupError(_("%(path)s は fitgap のデータベースではありません", path=name))
    if not _has_audit_trail(revision):
        return RestoreCheck(revision=revision, audit_records=None)
    candidate = Database(f"sqlite:///{path}")
    try:
        with candidate.session() as session:
            verification = audit_queries.verify(session=session)
    finally:
        candidate.dispose()
    if not verification.intact:
        first = verification.breaks[0]
        raise BackupError(
            _(
                "%(path)s の監査ログが改ざんされています。最初の異常は記録 %(n)s：%(reason)s",
                path=name,
                n=first.sequence,
                reason=first.reason,
            )
        )
    return RestoreCheck(revision=revision, audit_records=verification.count)


@contextmanager
def staged_copy(source: Path, folder: Path) -> Iterator[Path]:
    """A consistent private copy of `source` next to the database, removed unless moved."""
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".restore.", suffix=".sqlite3")
    os.close(descriptor)
    try:
        try:
            sqlite_copy(source, Path(temporary))
        except (sqlite3.Error, UnicodeError) as error:  # a damaged file fails in odd places
            raise BackupError(
                _("%(path)s は壊れています: %(result)s", path=source, result=error)
            ) from None
        yield Path(temporary)
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{temporary}{suffix}").unlink(missing_ok=True)


# --- the restore ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditHead:
    """The newest record of an audit trail: its sequence number and hash."""

    sequence: int
    hash: str

    def as_details(self) -> dict[str, Any]:
        """For the restore record's details."""
        return {"sequence": self.sequence, "hash": self.hash}


@dataclass(frozen=True, slots=True)
class Restored:
    """What a restore did, for the messages and the audit trail."""

    kept: Path | None  # the replaced database, if there was one
    trace: Path | None  # the dropped audit records, if any were dropped
    before: AuditHead | None  # the replaced database's audit head
    restored: AuditHead | None  # the backup's audit head
    dropped: int  # audit records of the replaced database the backup does not have


def _head(session: Any) -> AuditHead | None:
    state = session.get(AuditChain, 1)
    return None if state is None else AuditHead(state.head_sequence, state.head_hash)


def _private_new_file(folder: Path, name: str, suffix: str) -> Path:
    """`folder/name suffix`, or with -2, -3 ... after `name`, whichever does not exist yet,
    created empty and private (an existing file is never overwritten)."""
    number = 1
    while True:
        candidate = folder / (f"{name}{suffix}" if number == 1 else f"{name}-{number}{suffix}")
        try:
            os.close(os.open(candidate, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
            return candidate
        except FileExistsError:
            number += 1


def _record_line(row: AuditRecord) -> str:
    return json.dumps(
        {
            "sequence": row.sequence,
            "at": chain.canonical_time(row.at),
            "actor": row.actor,
            "address": row.address,
            "action": row.action,
            "target": row.target,
            "details": row.details,
            "previous_hash": row.previous_hash,
            "hash": row.hash,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _keep_dropped(current: Path, restored: AuditHead | None, trace: Path) -> tuple[AuditHead, int]:
    """Write the current database's audit records that the backup does not have to `trace`;
    the current head and how many were written."""
    database = Database(f"sqlite:///{current}")
    try:
        with database.session() as session:
            before = _head(session)
            assert before is not None  # noqa: S101 - checked by the caller (revision)
            statement = select(AuditRecord).order_by(AuditRecord.sequence)  # type: ignore[arg-type]
            shared = False
            if restored is not None:
                same = session.get(AuditRecord, restored.sequence)
                shared = restored.sequence == 0 or (same is not None and same.hash == restored.hash)
            if shared and restored is not None:
                # The backup's trail is the start of the current one: the rest is dropped.
                statement = statement.where(AuditRecord.sequence > restored.sequence)  # type: ignore[arg-type]
            count = 0
            with trace.open("w", encoding="utf-8") as handle:
                for row in session.scalars(statement.execution_options(yield_per=1000)):
                    handle.write(_record_line(row) + "\n")
                    count += 1
    finally:
        database.dispose()
    return before, count


def restore(*, staged: Path, target: Path, check: RestoreCheck) -> Restored:
    """Replace the database file `target` with the checked copy `staged` (the app stopped).

    The current database is kept (0600, a new name); the audit records the backup does not
    have are written to a trace file beside it. The caller then records the restore with
    `record_restore`.
    """
    when = stamp()
    kept: Path | None = None
    trace: Path | None = None
    before: AuditHead | None = None
    restored: AuditHead | None = None
    dropped = 0
    if check.audit_records is not None:
        candidate = Database(f"sqlite:///{staged}")
        try:
            with candidate.session() as session:
                restored = _head(session)
        finally:
            candidate.dispose()
    if target.is_file():
        kept = _private_new_file(target.parent, f"{target.name}.{when}", ".bak")
        # A consistent copy of the current database (its WAL included), before anything else.
        sqlite_copy(target, kept)
        if _has_audit_trail(_revision(kept)):
            trace = _private_new_file(
                target.parent, kept.name.removesuffix(".bak"), ".dropped-audit.jsonl"
            )
            before, dropped = _keep_dropped(kept, restored, trace)
            if dropped == 0:
                trace.unlink()
                trace = None
    os.replace(staged, target)
    for suffix in ("-wal", "-shm"):
        # The old database's WAL must never be applied to the restored file.
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    return Restored(kept=kept, trace=trace, before=before, restored=restored, dropped=dropped)


def record_restore(
    *, session: Any, actor: audit_queries.Actor, source: Path, check: RestoreCheck, done: Restored
) -> chain.AuditRecord:
    """The restore's audit record, in the restored database: it names the backup's head and
    the replaced database's head, how many records were dropped and where they were kept. When
    the replaced trail had gone further than the backup's, the record follows the replaced
    head (no sequence number is used twice) and verification accepts the jump."""
    details: dict[str, Any] = {
        "revision": check.revision,
        "kept": str(done.kept) if done.kept else None,
        "dropped": done.dropped,
        "dropped_file": str(done.trace) if done.trace else None,
    }
    if done.restored is not None:
        details["audit_head_restored"] = done.restored.as_details()
    if done.before is not None:
        details["audit_head_before"] = done.before.as_details()
    jump = (
        done.before is not None
        and done.restored is not None
        and done.before.sequence > done.restored.sequence
    )
    return audit_queries.append(
        session=session,
        actor=actor,
        action=audit_queries.RESTORE_ACTION,
        target=str(source),
        details=details,
        after=(done.before.sequence, done.before.hash) if jump and done.before else None,
    )
