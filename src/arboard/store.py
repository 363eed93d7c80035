"""Bulk writes of DataFrames into the ledger tables, on DuckDB and PostgreSQL alike.

Rows are first staged (DuckDB: an Arrow table registered as a view, zero-copy; PostgreSQL: COPY
into a temporary table), then moved with plain SQL that casts to the target types. An upsert is
an ``UPDATE ... FROM`` for the ids already present plus an ``INSERT ... SELECT`` for the new
ones: the same two statements on both backends, and it keeps ids unique on DuckDB, where the
tables carry no primary-key index (see :mod:`arboard.schema`). Everything runs inside the
caller's transaction, so an import is all or nothing.
"""

from __future__ import annotations

import io
import itertools
from typing import Literal

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

_counter = itertools.count()


def _prepare(df: pd.DataFrame, table: sa.Table) -> pd.DataFrame:
    cols = [c.name for c in table.columns if c.name in df.columns]
    out = df[cols].copy()
    for c in cols:
        col_type = table.c[c].type
        if isinstance(col_type, sa.Date):
            out[c] = pd.to_datetime(out[c], errors="coerce").dt.normalize()
        elif isinstance(col_type, sa.Numeric) and not isinstance(col_type, sa.Float):
            out[c] = pd.to_numeric(out[c], errors="coerce").round(2)
        elif isinstance(col_type, sa.Boolean):
            out[c] = out[c].astype("boolean")
        elif isinstance(col_type, sa.String):
            out[c] = out[c].astype("string")
    return out


class _Stage:
    """A staged DataFrame usable as a FROM clause; call :meth:`drop` when done."""

    def __init__(self, conn: sa.Connection, df: pd.DataFrame, table: sa.Table):
        self.conn = conn
        self.name = f"arboard_stage_{table.name}_{next(_counter)}"
        self.columns = list(df.columns)
        dialect = conn.dialect.name
        if dialect == "duckdb":
            conn.connection.driver_connection.register(self.name, pa.Table.from_pandas(df, preserve_index=False))
        else:
            cols = [sa.Column(c, table.c[c].type.__class__() if not isinstance(table.c[c].type, sa.String)
                              else sa.Text()) for c in self.columns]
            tmp = sa.Table(self.name, sa.MetaData(), *cols, prefixes=["TEMPORARY"])
            tmp.create(conn)
            if dialect == "postgresql":
                frame = df.copy()
                for c in frame.columns:
                    if pd.api.types.is_datetime64_any_dtype(frame[c]):
                        frame[c] = frame[c].dt.strftime("%Y-%m-%d")
                buf = io.StringIO()
                frame.to_csv(buf, index=False, header=False, na_rep="")
                cur = conn.connection.driver_connection.cursor()
                quoted = ", ".join(f'"{c}"' for c in self.columns)
                with cur.copy(f'COPY "{self.name}" ({quoted}) FROM STDIN WITH (FORMAT csv)') as copy:
                    data = buf.getvalue()
                    for i in range(0, len(data), 1 << 20):
                        copy.write(data[i:i + (1 << 20)])
            else:
                records = df.astype(object).where(df.notna(), None).to_dict("records")
                if records:
                    conn.execute(tmp.insert(), records)
        self.table = sa.table(self.name, *(sa.column(c) for c in self.columns))

    def drop(self) -> None:
        if self.conn.dialect.name == "duckdb":
            self.conn.connection.driver_connection.unregister(self.name)
        else:
            self.conn.execute(sa.text(f'DROP TABLE IF EXISTS "{self.name}"'))


def _select(stage: _Stage, table: sa.Table) -> sa.Select:
    return sa.select(*(sa.cast(stage.table.c[c], table.c[c].type).label(c) for c in stage.columns))


def append(conn: sa.Connection, table: sa.Table, df: pd.DataFrame) -> int:
    """Insert all rows of ``df`` (columns named as the table's) into ``table``."""
    if df.empty:
        return 0
    frame = _prepare(df, table)
    stage = _Stage(conn, frame, table)
    try:
        conn.execute(sa.insert(table).from_select(stage.columns, _select(stage, table)))
    finally:
        stage.drop()
    return len(frame)


def upsert(conn: sa.Connection, table: sa.Table, df: pd.DataFrame, *,
           on_conflict: Literal["replace", "fill"] = "replace") -> tuple[int, int]:
    """Insert rows, updating those whose primary key exists.

    Parameters
    ----------
    on_conflict
        ``"replace"``: the new values win. ``"fill"``: a new value only replaces the stored one
        when it is not NULL (used for customer attributes derived from invoice files).

    Returns
    -------
    (inserted, updated)
    """
    if df.empty:
        return 0, 0
    pk = schema_pk(table)
    frame = _prepare(df, table)
    stage = _Stage(conn, frame, table)
    try:
        src = stage.table
        existing = conn.execute(
            sa.select(sa.func.count()).select_from(src.join(table, src.c[pk] == table.c[pk]))
        ).scalar_one()
        if existing:
            values = {}
            for c in stage.columns:
                if c == pk:
                    continue
                new = sa.cast(src.c[c], table.c[c].type)
                values[c] = new if on_conflict == "replace" else sa.func.coalesce(new, table.c[c])
            if values:
                conn.execute(sa.update(table).where(table.c[pk] == src.c[pk]).values(values))
        select = _select(stage, table)
        if existing:
            select = select.where(~sa.exists().where(table.c[pk] == src.c[pk]))
        conn.execute(sa.insert(table).from_select(stage.columns, select))
    finally:
        stage.drop()
    return len(frame) - int(existing), int(existing)


def schema_pk(table: sa.Table) -> str:
    """Name of the table's key column."""
    return table.primary_key.columns.values()[0].name
