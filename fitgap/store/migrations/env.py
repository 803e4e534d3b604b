"""Alembic environment: runs on the connection fitgap hands over (see fitgap.db.upgrade)."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import fitgap.store.models  # noqa: F401 - registers the tables on SQLModel.metadata

connection = context.config.attributes.get("connection")
if connection is None:  # pragma: no cover - fitgap always passes its own connection
    raise RuntimeError("Run migrations through `fitgap load` or fitgap.db.upgrade().")

context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
