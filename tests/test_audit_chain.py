"""The audit hash chain and the password policy (pure domain parts of the accounts issue)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

from fitgap.domain.audit import GENESIS, AuditRecord, chain_record, verify_chain
from fitgap.domain.password_policy import PasswordPolicy

T0 = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def make_chain(count: int) -> list[AuditRecord]:
    records: list[AuditRecord] = []
    for k in range(count):
        records.append(
            chain_record(
                records[-1] if records else None,
                at=T0 + timedelta(minutes=k),
                actor="石井町 住民課",
                address="127.0.0.1",
                action="mark.change",
                target=f"ishii/00100{k:02d}",
                details={"before": "fit", "after": "customization"},
            )
        )
    return records


def test_an_untouched_chain_verifies() -> None:
    records = make_chain(5)
    assert records[0].previous_hash == GENESIS and records[0].sequence == 1
    assert [r.previous_hash for r in records[1:]] == [r.hash for r in records[:-1]]
    assert verify_chain(records) == []


def test_a_changed_record_is_detected() -> None:
    records = make_chain(5)
    records[2] = dataclasses.replace(records[2], details={"before": "fit", "after": "fit"})
    assert [b.sequence for b in verify_chain(records)] == [3]


def test_a_removed_record_is_detected() -> None:
    records = make_chain(5)
    del records[2]
    breaks = verify_chain(records)
    assert breaks and breaks[0].sequence == 4


def test_a_rehashed_forgery_still_breaks_the_next_link() -> None:
    records = make_chain(4)
    forged = chain_record(
        records[0],
        at=records[1].at,
        actor="someone",
        address=None,
        action="mark.change",
        details={},
    )
    records[1] = forged
    assert [b.sequence for b in verify_chain(records)] == [3]


def test_naive_and_aware_times_hash_alike() -> None:
    aware = chain_record(None, at=T0, actor="a", address=None, action="login")
    naive = chain_record(None, at=T0.replace(tzinfo=None), actor="a", address=None, action="login")
    assert aware.hash == naive.hash


def test_password_policy() -> None:
    policy = PasswordPolicy(min_length=10, min_kinds=3, max_age_days=90)
    assert policy.problems("Ishii-2026-kaigo") == []
    assert len(policy.problems("short1A")) == 1
    assert len(policy.problems("alllowercaseletters")) == 1
    assert policy.problems("Ｉｓｈｉｉ－２０２６ｘｙ") == []  # full-width input counts as ASCII
    assert len(policy.problems("ishii-Admin-2026", login="ishii-admin")) == 1
    assert not policy.expired(T0, T0 + timedelta(days=89))
    assert policy.expired(T0, T0 + timedelta(days=90))
    assert not PasswordPolicy().expired(T0, T0 + timedelta(days=10_000))
