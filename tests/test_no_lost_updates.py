"""Many writers, stale versions, one mark: every write succeeds or gets a conflict, and the
final state and the history agree exactly with the successful writes (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

from fitgap.domain.values import Status
from fitgap.store import marks as mark_queries
from fitgap.store.db import Database
from tests.factories import make_catalog, make_towns
from tests.helpers import Invoke

WRITERS = 8
ATTEMPTS = 12
STATUSES = (Status.FIT, Status.WORKFLOW_CHANGE, Status.CUSTOMIZATION, Status.NOT_APPLICABLE)


def test_concurrent_writers_never_lose_an_update(files: Path, fitgap: Invoke, db: Database) -> None:
    make_catalog(files, count=2)
    make_towns(files, ("ishii",))
    assert fitgap("load").exit_code == 0
    successes: list[tuple[str, int, str]] = []  # (writer, version written, note)
    conflicts: Counter[str] = Counter()
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(WRITERS)

    def writer(name: str) -> None:
        start.wait()
        for attempt in range(ATTEMPTS):
            # Read the version, then write based on it: between the two, others may write.
            with db.session() as session:
                mark = mark_queries.get_mark(
                    session=session, town_id="ishii", function_id="0010001"
                )
            base = mark.version if mark is not None else 0
            note = f"{name}-{attempt}"
            try:
                with db.write() as session:
                    saved = mark_queries.save_mark(
                        session=session,
                        town_id="ishii",
                        function_id="0010001",
                        status=STATUSES[attempt % len(STATUSES)],
                        note=note,
                        cost=None,
                        expected_version=base,
                        changed_by=name,
                    )
                with lock:
                    successes.append((name, saved.version, note))
            except mark_queries.MarkConflict:
                with lock:
                    conflicts[name] += 1
            except BaseException as error:
                with lock:
                    errors.append(error)

    threads = [threading.Thread(target=writer, args=(f"w{k}",)) for k in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(successes) + sum(conflicts.values()) == WRITERS * ATTEMPTS
    assert len(successes) >= 1
    versions = sorted(version for _, version, _ in successes)
    assert versions == list(range(1, len(successes) + 1))  # no version written twice
    with db.session() as session:
        final = mark_queries.get_mark(session=session, town_id="ishii", function_id="0010001")
        history = mark_queries.mark_history(session=session, function_id="0010001")
    assert final is not None and final.version == len(successes)
    last = max(successes, key=lambda s: s[1])
    assert (final.note, final.updated_by) == (last[2], last[0])
    assert [(h.version, h.changed_by, h.note) for h in history] == sorted(
        (version, name, note) for name, version, note in successes
    )
