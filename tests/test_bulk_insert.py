"""store.db.bulk_insert (executemany on SQLite, COPY on PostgreSQL) writes the rows that
SQLAlchemy's insert would: JSON, dates with their time zone, NULLs, and the columns' defaults."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import insert, select

from fitgap.store.db import Database, bulk_insert, bulk_insert_tuples
from fitgap.store.models import CatalogFunction, Mark
from tests.factories import make_area, make_town


def test_bulk_rows_read_back_like_rows_inserted_by_sqlalchemy(db: Database) -> None:
    table = CatalogFunction.__table__  # type: ignore[attr-defined]
    when = datetime(2026, 11, 26, 9, 30, 15, 250_000, tzinfo=UTC)

    def function(function_id: str) -> dict[str, object]:
        return {
            "id": function_id,
            "area_id": "juki",
            "name": "転入届の受付",
            "requirement": "mandatory",
            "text": "本文\n二行目 'quote' \"double\" \\ tab\t",
            "note": None,
            "path": ["大項目", "中項目"],
            "forms": [],
            "extra": {"x-source": "list", "n": 3},
            "fingerprint": "f" * 32,
            "archived_at": when,
        }

    with db.write() as session:
        make_area(session)
        session.execute(insert(table), [function("0010001")])
        bulk_insert(session, table, [function(f"00100{k:02d}") for k in range(2, 12)])
    with db.session() as session:
        rows = {row.id: row for row in session.scalars(select(CatalogFunction))}
    assert len(rows) == 11
    reference = rows.pop("0010001")
    for row in rows.values():
        assert row.model_dump(exclude={"id"}) == reference.model_dump(exclude={"id"})
    assert reference.path == ["大項目", "中項目"] and reference.extra["n"] == 3
    assert reference.archived_at is not None
    assert reference.archived_at.replace(tzinfo=UTC) == when


def test_columns_left_out_get_their_defaults(db: Database) -> None:
    table = Mark.__table__  # type: ignore[attr-defined]
    with db.write() as session:
        make_area(session)
        make_town(session)
        session.add(
            CatalogFunction(
                id="0010001",
                area_id="juki",
                name="n",
                requirement="mandatory",
                text="t",
                fingerprint="f" * 32,
            )
        )
        session.flush()
        before = datetime.now(UTC)
        bulk_insert(
            session,
            table,
            [
                {
                    "town_id": "ishii",
                    "function_id": "0010001",
                    "status": "fit",
                    "note": None,
                    "cost_initial_yen": None,
                    "cost_annual_yen": None,
                    "fingerprint": "f" * 32,
                    "updated_by": "test",
                }
            ],
        )
    with db.session() as session:
        mark = session.scalars(select(Mark)).one()
    assert mark.version == 1 and mark.status == "fit" and mark.note is None
    assert mark.updated_at.replace(tzinfo=UTC) >= before.replace(microsecond=0)


def test_a_value_the_rows_repeat_is_converted_once_and_others_each_time(db: Database) -> None:
    """`bulk_insert_tuples` converts a repeated value once (the import's one timestamp); a
    row with another value, or None, between them still gets its own."""
    table = Mark.__table__  # type: ignore[attr-defined]
    first = datetime(2026, 11, 26, 9, 30, 15, 250_000, tzinfo=UTC)
    second = datetime(2027, 1, 2, 3, 4, 5, 6, tzinfo=UTC)
    stamps = [first, first, second, first, first, second, second]
    with db.write() as session:
        make_area(session)
        make_town(session)
        for k in range(len(stamps)):
            session.add(
                CatalogFunction(
                    id=f"00100{k:02d}",
                    area_id="juki",
                    name="n",
                    requirement="mandatory",
                    text="t",
                    fingerprint="f" * 32,
                )
            )
        session.flush()
        bulk_insert_tuples(
            session,
            table,
            ("town_id", "function_id", "status", "fingerprint", "updated_by", "updated_at"),
            [
                ("ishii", f"00100{k:02d}", "fit", "f" * 32, "test", stamp)
                for k, stamp in enumerate(stamps)
            ],
        )
    with db.session() as session:
        found = [
            mark.updated_at.replace(tzinfo=UTC)
            for mark in session.scalars(select(Mark).order_by(Mark.function_id))  # type: ignore[arg-type]
        ]
    assert found == stamps
