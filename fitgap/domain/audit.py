"""The audit trail's hash chain: each record carries the hash of the one before it.

Changing, removing or reordering any record breaks the chain from that record on, which
`verify_chain` reports. The record's content is hashed in a canonical JSON form, so the same
record always gives the same hash on every machine and database.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fitgap.domain.i18n import _

GENESIS = "0" * 64


@dataclass(frozen=True, slots=True)
class AuditRecord:
    """One audited event: who did what, when, from where, with before/after details."""

    sequence: int
    at: datetime
    actor: str
    address: str | None
    action: str
    target: str | None
    details: Mapping[str, Any]
    previous_hash: str
    hash: str


def canonical_time(at: datetime) -> str:
    """A timestamp as UTC ISO 8601 with microseconds (naive datetimes are taken as UTC)."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record_hash(
    *,
    sequence: int,
    at: datetime,
    actor: str,
    address: str | None,
    action: str,
    target: str | None,
    details: Mapping[str, Any],
    previous_hash: str,
) -> str:
    """The SHA-256 of a record's content and the previous record's hash."""
    content = {
        "sequence": sequence,
        "at": canonical_time(at),
        "actor": actor,
        "address": address,
        "action": action,
        "target": target,
        "details": details,
        "previous": previous_hash,
    }
    raw = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def chain_record(
    previous: AuditRecord | None,
    *,
    at: datetime,
    actor: str,
    address: str | None,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """The next record after `previous` (None for the first), with its hash computed."""
    return chain_after(
        0 if previous is None else previous.sequence,
        GENESIS if previous is None else previous.hash,
        at=at,
        actor=actor,
        address=address,
        action=action,
        target=target,
        details=details,
    )


def chain_after(
    previous_sequence: int,
    previous_hash: str,
    *,
    at: datetime,
    actor: str,
    address: str | None,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditRecord:
    """The record that follows the one with `previous_sequence` and `previous_hash`
    (0 and GENESIS for the very first record)."""
    sequence = previous_sequence + 1
    content = dict(details or {})
    digest = record_hash(
        sequence=sequence,
        at=at,
        actor=actor,
        address=address,
        action=action,
        target=target,
        details=content,
        previous_hash=previous_hash,
    )
    return AuditRecord(sequence, at, actor, address, action, target, content, previous_hash, digest)


@dataclass(frozen=True, slots=True)
class ChainBreak:
    """Where the chain stops verifying, and why."""

    sequence: int
    reason: str


def verify_chain(
    records: Iterable[AuditRecord], *, after: tuple[int, str] = (0, GENESIS)
) -> list[ChainBreak]:
    """Every place where the records (in sequence order) do not form an unbroken chain.

    `after` is the (sequence, hash) of the record just before the first one: after the oldest
    records were pruned, the anchor that replaced them; (0, GENESIS) for a complete chain.
    """
    breaks: list[ChainBreak] = []
    expected_sequence = after[0] + 1
    previous_hash = after[1]
    for record in records:
        if record.sequence != expected_sequence:
            breaks.append(
                ChainBreak(
                    record.sequence,
                    _(
                        "記録 %(expected)s がありません（次は %(found)s）",
                        expected=expected_sequence,
                        found=record.sequence,
                    ),
                )
            )
        if record.previous_hash != previous_hash:
            breaks.append(
                ChainBreak(record.sequence, _("前の記録のハッシュと一致しません（削除か改ざん）"))
            )
        recomputed = record_hash(
            sequence=record.sequence,
            at=record.at,
            actor=record.actor,
            address=record.address,
            action=record.action,
            target=record.target,
            details=record.details,
            previous_hash=record.previous_hash,
        )
        if recomputed != record.hash:
            breaks.append(
                ChainBreak(record.sequence, _("記録の内容がハッシュと一致しません（改ざん）"))
            )
        expected_sequence = record.sequence + 1
        previous_hash = record.hash
    return breaks
