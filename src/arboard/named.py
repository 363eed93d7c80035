"""Named JSON documents in the database: saved segment configurations and what-if scenarios.

Both tables have the shape ``(name PK, <payload> TEXT, saved_at)``; saving under an existing name
overwrites it in one transaction.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard.errors import ArboardError

MAX_NAME = 100


def _payload(table: sa.Table) -> sa.Column:
    return next(c for c in table.columns if c.name not in ("name", "saved_at"))


def save(engine: Engine, table: sa.Table, name: str, data: dict, *, what: str) -> str:
    """Save (or overwrite) ``data`` under ``name``; returns the cleaned name."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ArboardError(f"A {what} needs a name of 1 to {MAX_NAME} characters.")
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.name == name))
        conn.execute(sa.insert(table).values({"name": name, _payload(table).name: json.dumps(data),
                                              "saved_at": datetime.now(UTC).replace(tzinfo=None)}))
    return name


def load(engine: Engine, table: sa.Table, name: str, *, what: str) -> dict:
    """The document saved under ``name``; :class:`ArboardError` when there is none."""
    with engine.connect() as conn:
        text = conn.execute(sa.select(_payload(table)).where(table.c.name == name)).scalar()
    if text is None:
        raise ArboardError(f"No {what} is saved under the name {name!r}.")
    return json.loads(text)


def names(engine: Engine, table: sa.Table) -> list[str]:
    """Saved names, newest first."""
    with engine.connect() as conn:
        return list(conn.execute(sa.select(table.c.name).order_by(table.c.saved_at.desc(), table.c.name)).scalars())


def delete(engine: Engine, table: sa.Table, name: str) -> None:
    """Remove the document saved under ``name`` (nothing happens when there is none)."""
    with engine.begin() as conn:
        conn.execute(sa.delete(table).where(table.c.name == name))
