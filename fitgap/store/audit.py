"""Every read and write of the audit trail, fn(*, session, ...).

Records are written in the same transaction as the change they describe. Each writer first
locks the one row of `audit_chain` (SELECT ... FOR UPDATE on PostgreSQL; on SQLite every write
transaction already holds the database's write lock from BEGIN IMMEDIATE), reads the head, and
appends the next record after it: concurrent workers queue there, so the chain never forks.
Writers append their record last in their transaction, so that lock is held only briefly.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session

from fitgap.domain import audit as chain
from fitgap.domain.files.cells import neutralise
from fitgap.domain.i18n import _
from fitgap.store.models import AuditChain, AuditRecord, utcnow

_record = AuditRecord.__table__  # type: ignore[attr-defined]
_chain = AuditChain.__table__  # type: ignore[attr-defined]

# The actions fitgap records (the audit page offers them as a filter).
ACTIONS = (
    "login",
    "logout",
    "login.failed",
    "account.locked",
    "password.changed",
    "account.created",
    "account.updated",
    "account.disabled",
    "account.enabled",
    "account.unlocked",
    "account.password_reset",
    "mark.changed",
    "marks.imported",
    "decision.recorded",
    "decision.superseded",
    "action.done",
    "action.reopened",
    "meeting.created",
    "meeting.updated",
    "export.downloaded",
    "export.written",
    "catalog.loaded",
    "audit.exported",
    "audit.pruned",
    "backup.created",
    "backup.restored",
)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who does something, and from where: an account's login id and the client address,
    or `cli:<os user>` and "local" on the command line."""

    name: str
    address: str | None


def _lock_chain(session: Session) -> AuditChain:
    chain_row = session.scalars(select(AuditChain).where(_chain.c.id == 1).with_for_update()).one()
    return chain_row


RESTORE_ACTION = "backup.restored"


def append(
    *,
    session: Session,
    actor: Actor,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
    after: tuple[int, str] | None = None,
) -> chain.AuditRecord:
    """Append one record after the chain's head, in the caller's transaction.

    `after` (a restore's record only, fitgap.store.backup): the (sequence, hash) of the head
    the database had before an older backup replaced it; the record follows that head instead
    of the restored one, so no sequence number is used twice, and `verify` accepts the jump.
    """
    head = _lock_chain(session)
    previous = (head.head_sequence, head.head_hash) if after is None else after
    # The time is taken under the lock, so records in sequence order are in time order too.
    record = chain.chain_after(
        previous[0],
        previous[1],
        at=utcnow(),
        actor=actor.name[:200],
        address=(actor.address or None) and str(actor.address)[:64],
        action=action,
        target=target[:300] if target else None,
        details=dict(details or {}),
    )
    session.add(
        AuditRecord(
            sequence=record.sequence,
            at=record.at,
            actor=record.actor,
            address=record.address,
            action=record.action,
            target=record.target,
            details=dict(record.details),
            previous_hash=record.previous_hash,
            hash=record.hash,
        )
    )
    head.head_sequence = record.sequence
    head.head_hash = record.hash
    session.flush()
    return record


def _domain(row: AuditRecord) -> chain.AuditRecord:
    return chain.AuditRecord(
        sequence=row.sequence,
        at=row.at,
        actor=row.actor,
        address=row.address,
        action=row.action,
        target=row.target,
        details=row.details,
        previous_hash=row.previous_hash,
        hash=row.hash,
    )


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Verification:
    """The result of checking the whole chain."""

    count: int
    first: int | None  # sequence of the oldest record kept
    last: int | None
    anchor_sequence: int
    breaks: list[chain.ChainBreak]
    head_hash: str = chain.GENESIS  # worth noting down elsewhere: see docs/security.md

    @property
    def intact(self) -> bool:
        """Whether nothing was changed, removed or reordered."""
        return not self.breaks


def _stream(session: Session) -> Iterator[AuditRecord]:
    statement = select(AuditRecord).order_by(_record.c.sequence).execution_options(yield_per=1000)
    yield from session.scalars(statement)


def verify(*, session: Session) -> Verification:
    """Check every record from the prune anchor to the head."""
    state = session.get(AuditChain, 1)
    if state is None:
        missing = chain.ChainBreak(0, _("監査ログの管理行がありません"))
        return Verification(0, None, None, 0, [missing])
    count = 0
    first: int | None = None
    last: chain.AuditRecord | None = None

    def records() -> Iterator[chain.AuditRecord]:
        nonlocal count, first, last
        for row in _stream(session):
            record = _domain(row)
            count += 1
            if first is None:
                first = record.sequence
            last = record
            yield record

    breaks = _verify_with_restores(records(), after=(state.anchor_sequence, state.anchor_hash))
    if state.anchor_sequence > 0 and not _anchor_recorded(session, state):
        # Only `prune` moves the anchor, and it records where to in the chain right after.
        breaks.insert(
            0,
            chain.ChainBreak(
                state.anchor_sequence,
                _("削除の起点（%(n)s）に対応する削除の記録がありません", n=state.anchor_sequence),
            ),
        )
    # A chain cannot tell that its newest records were cut off; the head can.
    last_seen = (last.sequence, last.hash) if last is not None else None
    if last_seen is None and state.head_sequence > state.anchor_sequence:
        breaks.append(
            chain.ChainBreak(
                state.anchor_sequence + 1,
                _(
                    "記録 %(expected)s がありません（次は %(found)s）",
                    expected=state.anchor_sequence + 1,
                    found="-",
                ),
            )
        )
    elif last_seen is not None and last_seen != (state.head_sequence, state.head_hash):
        breaks.append(
            chain.ChainBreak(
                last_seen[0],
                _(
                    "最新の記録が先頭の記録（%(head)s）と一致しません（末尾の削除か改ざん）",
                    head=state.head_sequence,
                ),
            )
        )
    last_sequence = last_seen[0] if last_seen else None
    return Verification(
        count, first, last_sequence, state.anchor_sequence, breaks, head_hash=state.head_hash
    )


def _head_of(details: Mapping[str, Any], key: str) -> tuple[int, str] | None:
    value = details.get(key)
    if not isinstance(value, dict):
        return None
    sequence, digest = value.get("sequence"), value.get("hash")
    if not isinstance(sequence, int) or not isinstance(digest, str):
        return None
    return sequence, digest


def restore_jump(record: chain.AuditRecord) -> tuple[tuple[int, str], tuple[int, str]] | None:
    """For a restore's record that follows the replaced database's head rather than the
    restored one: (the restored head, the replaced head); None for any other record."""
    if record.action != RESTORE_ACTION:
        return None
    restored = _head_of(record.details, "audit_head_restored")
    before = _head_of(record.details, "audit_head_before")
    if restored is None or before is None or before[0] <= restored[0]:
        return None
    if (record.sequence, record.previous_hash) != (before[0] + 1, before[1]):
        return None
    return restored, before


def _stretch(
    records: Iterator[chain.AuditRecord],
    opening: chain.AuditRecord | None,
    tail: list[tuple[int, str]],
    jumps: list[chain.AuditRecord],
) -> Iterator[chain.AuditRecord]:
    """The records up to the next restore jump (left in `jumps`); `tail` follows the last."""
    if opening is not None:
        tail[0] = (opening.sequence, opening.hash)
        yield opening
    for record in records:
        if restore_jump(record) is not None:
            jumps.append(record)
            return
        tail[0] = (record.sequence, record.hash)
        yield record


def _verify_with_restores(
    records: Iterator[chain.AuditRecord], *, after: tuple[int, str]
) -> list[chain.ChainBreak]:
    """verify_chain, over each stretch between restores: a restore's record may follow the
    head of the database it replaced (its details name it), provided the records before it
    end exactly at the restored head its details name. The records in between were written
    to a file beside the replaced database (see fitgap.store.backup)."""
    breaks: list[chain.ChainBreak] = []
    start = after
    first: chain.AuditRecord | None = None
    while True:
        tail = [start]
        jumps: list[chain.AuditRecord] = []

        breaks += chain.verify_chain(_stretch(records, first, tail, jumps), after=start)
        if not jumps:
            return breaks
        jump = jumps[0]
        found = restore_jump(jump)
        assert found is not None  # noqa: S101 - only such records end a stretch
        restored, before = found
        if tail[0] != restored:
            breaks.append(
                chain.ChainBreak(
                    jump.sequence,
                    _(
                        "復元の記録が、その前の記録（復元したバックアップの最新の記録）と一致しません"
                    ),
                )
            )
        start, first = before, jump


def _anchor_recorded(session: Session, state: AuditChain) -> bool:
    """Whether the newest prune record names the current anchor."""
    statement = (
        select(AuditRecord)
        .where(_record.c.action == "audit.pruned")
        .order_by(_record.c.sequence.desc())
        .limit(1)
    )
    latest = session.scalars(statement).first()
    return (
        latest is not None
        and latest.details.get("through") == state.anchor_sequence
        and latest.details.get("anchor_hash") == state.anchor_hash
    )


# --- pruning (retention) -----------------------------------------------------------------------


def retention_cutoff(today: date, years: int) -> date:
    """The oldest day that must still be kept when records are kept `years` years."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


@dataclass(frozen=True, slots=True)
class PrunePlan:
    """What a prune before a day would remove."""

    through: int  # the newest sequence removed (0: nothing)
    count: int


def prune_plan(*, session: Session, before: datetime) -> PrunePlan:
    """The oldest records written before `before`, up to the first one written at or after it
    (so only a prefix of the chain is ever removed)."""
    state = session.get(AuditChain, 1)
    assert state is not None  # noqa: S101 - made by the migration
    kept = session.execute(
        select(func.min(_record.c.sequence)).where(_record.c.at >= before)
    ).scalar_one_or_none()
    through = state.head_sequence if kept is None else int(kept) - 1
    if through <= state.anchor_sequence:
        return PrunePlan(through=0, count=0)
    count = session.execute(
        select(func.count()).where(
            _record.c.sequence > state.anchor_sequence, _record.c.sequence <= through
        )
    ).scalar_one()
    return PrunePlan(through=through, count=int(count))


def prune(*, session: Session, before: datetime, actor: Actor) -> PrunePlan:
    """Remove the oldest records written before `before`.

    The anchor moves first to the newest removed record (its sequence and hash), which is the
    only thing the database lets DELETE through; verification then starts from it. The prune
    itself is recorded, with the anchor, at the end of the chain.
    """
    state = _lock_chain(session)
    plan = prune_plan(session=session, before=before)
    if plan.through == 0:
        return plan
    last = session.get(AuditRecord, plan.through)
    assert last is not None  # noqa: S101 - found by prune_plan in this transaction
    state.anchor_sequence = last.sequence
    state.anchor_hash = last.hash
    state.anchor_at = last.at
    session.flush()
    session.execute(_record.delete().where(_record.c.sequence <= plan.through))
    append(
        session=session,
        actor=actor,
        action="audit.pruned",
        target=None,
        details={
            "before": before.astimezone(UTC).isoformat(),
            "through": last.sequence,
            "anchor_hash": last.hash,
            "count": plan.count,
        },
    )
    return plan


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """The audit page's filters (all optional)."""

    actor: str = ""
    action: str = ""
    since: date | None = None  # Japan dates, inclusive
    until: date | None = None


TOKYO_OFFSET = timedelta(hours=9)


def day_start(day: date) -> datetime:
    """Midnight of a Japan day, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC) - TOKYO_OFFSET


def _filtered(statement: Any, filters: AuditFilter) -> Any:
    if filters.actor:
        statement = statement.where(_record.c.actor == filters.actor)
    if filters.action:
        statement = statement.where(_record.c.action == filters.action)
    if filters.since:
        statement = statement.where(_record.c.at >= day_start(filters.since))
    if filters.until:
        statement = statement.where(_record.c.at < day_start(filters.until + timedelta(days=1)))
    return statement


def count_records(*, session: Session, filters: AuditFilter) -> int:
    """How many records pass the filters."""
    statement = _filtered(select(func.count()).select_from(_record), filters)
    return int(session.execute(statement).scalar_one())


def list_records(
    *, session: Session, filters: AuditFilter, offset: int = 0, limit: int | None = 100
) -> list[AuditRecord]:
    """A page of the records that pass the filters, newest first."""
    statement = _filtered(select(AuditRecord), filters).order_by(_record.c.sequence.desc())
    return list(session.scalars(statement.offset(offset).limit(limit)))


def actors(*, session: Session) -> list[str]:
    """Every actor named in the trail, for the filter."""
    return list(session.scalars(select(_record.c.actor).distinct().order_by(_record.c.actor)))


def csv_header() -> list[str]:
    """The columns of the audit CSV."""
    return [
        _("番号"),
        _("日時（UTC）"),
        _("操作者"),
        _("アドレス"),
        _("操作"),
        _("対象"),
        _("詳細"),
        _("前の記録のハッシュ"),
        _("ハッシュ"),
    ]


def to_csv(*, session: Session, filters: AuditFilter) -> bytes:
    """The filtered records, oldest first, as CSV for Japanese Excel (UTF-8 with BOM, CRLF,
    no live formulas). The hashes are included, so an export can be checked on its own."""
    import json

    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(cell) for cell in csv_header()])
    statement = _filtered(select(AuditRecord), filters).order_by(_record.c.sequence)
    for row in session.scalars(statement.execution_options(yield_per=1000)):
        writer.writerow(
            [
                neutralise(cell)
                for cell in (
                    row.sequence,
                    chain.canonical_time(row.at),
                    row.actor,
                    row.address or "",
                    row.action,
                    row.target or "",
                    json.dumps(row.details, ensure_ascii=False, sort_keys=True),
                    row.previous_hash,
                    row.hash,
                )
            ]
        )
    return buffer.getvalue().encode("utf-8-sig")
