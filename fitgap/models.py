"""Database tables (SQLModel). Only Alembic migrations create and change the schema."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC (stored as UTC everywhere)."""
    return datetime.now(UTC)


def _timestamp(*, nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_type=DateTime(timezone=True), nullable=True)
    return Field(default_factory=utcnow, sa_type=DateTime(timezone=True), nullable=False)


class AreaBase(SQLModel):
    """A business area (業務) of the catalog."""

    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    spec_title: str | None = Field(default=None, max_length=300)
    spec_version: str | None = Field(default=None, max_length=100)
    position: int = 0


class Area(AreaBase, table=True):
    """A business area as stored; archived when its file disappears (its marks stay)."""

    id: str = Field(primary_key=True, max_length=64)
    archived_at: datetime | None = _timestamp(nullable=True)


class CatalogFunctionBase(SQLModel):
    """One function requirement."""

    area_id: str = Field(foreign_key="area.id", index=True, max_length=64)
    position: int = 0
    name: str = Field(sa_type=Text, nullable=False)
    requirement: str = Field(max_length=16)
    text: str = Field(sa_type=Text, nullable=False)
    note: str | None = Field(default=None, sa_type=Text, nullable=True)
    path: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    forms: list[str] = Field(default_factory=list, sa_type=JSON, nullable=False)
    extra: dict[str, Any] = Field(default_factory=dict, sa_type=JSON, nullable=False)
    fingerprint: str = Field(max_length=64)


class CatalogFunction(CatalogFunctionBase, table=True):
    """A function as stored; archived (never deleted) when it leaves the catalog."""

    __tablename__ = "catalog_function"
    id: str = Field(primary_key=True, max_length=32)
    archived_at: datetime | None = _timestamp(nullable=True)


class TownBase(SQLModel):
    """A town of the joint project."""

    name: str = Field(max_length=200)
    prefecture: str | None = Field(default=None, max_length=50)
    population: int | None = None
    households: int | None = None
    budget_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    area_km2: float | None = None
    position: int = 0


class Town(TownBase, table=True):
    """A town as stored; archived when its file disappears (its marks stay)."""

    id: str = Field(primary_key=True, max_length=64)
    archived_at: datetime | None = _timestamp(nullable=True)


class MarkBase(SQLModel):
    """A town's verdict on one function, with its reason and estimated cost."""

    town_id: str = Field(foreign_key="town.id", max_length=64)
    function_id: str = Field(foreign_key="catalog_function.id", index=True, max_length=32)
    status: str = Field(max_length=20)
    note: str | None = Field(default=None, sa_type=Text, nullable=True)
    cost_initial_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)
    cost_annual_yen: int | None = Field(default=None, sa_type=BigInteger, nullable=True)


class Mark(MarkBase, table=True):
    """The current mark; `version` grows by one on every change (optimistic locking)."""

    __table_args__ = (UniqueConstraint("town_id", "function_id", name="uq_mark_town_function"),)
    id: int | None = Field(default=None, primary_key=True)
    version: int = 1
    # The function's fingerprint when this verdict was made: a later catalog edition that
    # rewords the function no longer matches, and the mark is flagged for review.
    fingerprint: str = Field(max_length=64)
    updated_by: str = Field(max_length=200)
    updated_at: datetime = _timestamp()


class MarkChange(MarkBase, table=True):
    """One entry of the append-only history of marks: the state after a change, who and why."""

    __tablename__ = "mark_change"
    __table_args__ = (Index("ix_mark_change_town_function", "town_id", "function_id"),)
    id: int | None = Field(default=None, primary_key=True)
    version: int
    fingerprint: str = Field(max_length=64)
    changed_by: str = Field(max_length=200)
    changed_at: datetime = _timestamp()
    source: str = Field(max_length=20)  # web | import | decision | ...
    reason: str | None = Field(default=None, sa_type=Text, nullable=True)
