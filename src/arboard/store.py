"""Bulk writes of DataFrames into the ledger tables, on DuckDB and PostgreSQL alike.

Rows are first staged into a temporary table typed like the target (DuckDB: from an Arrow table,
zero-copy; PostgreSQL: COPY), then moved with plain SQL. An upsert is an ``UPDATE ... FROM`` for
the ids already present plus an ``INSERT ... SELECT`` for the new ones: the same two statements on
both backends, and it keeps ids unique on DuckDB, where the tables carry no primary-key index (see
:mod:`arboard.schema`). :func:`as_written` describes a table as it will be once a stage fills it, so
derived tables can be computed from it before the write.

Stage outside the transaction that writes (a stage is private to its connection, so nothing is
shared early): DuckDB scans rows written in the still-open transaction about half as fast as
committed ones (the balance events of 1M staged invoices: 1.2 s against 0.67 s), so a stage
created inside it would slow every statement that reads it.
"""

from __future__ import annotations

import contextlib
import io
import itertools
from collections.abc import Iterable, Iterator
from typing import Literal

import pandas as pd
import pyarrow as pa
import sqlalchemy as sa

_counter = itertools.count()
OnConflict = Literal["replace", "fill"]


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


@contextlib.contextmanager
def _arrow(conn: sa.Connection, df: pd.DataFrame) -> Iterator[sa.TableClause]:
    """A DataFrame as a DuckDB view over its Arrow table (zero-copy), usable as a FROM clause."""
    raw = conn.connection.driver_connection
    name = f"arboard_arrow_{next(_counter)}"
    raw.register(name, pa.Table.from_pandas(df, preserve_index=False))
    try:
        yield sa.table(name, *(sa.column(c) for c in df.columns))
    finally:
        raw.unregister(name)


def temp_table(conn: sa.Connection, name: str, *columns: sa.Column) -> sa.Table:
    """Create a temporary table with a name unique in this process (drop it when done)."""
    table = sa.Table(f"arboard_{name}_{next(_counter)}", sa.MetaData(), *columns, prefixes=["TEMPORARY"])
    table.create(conn)
    return table


class Staged:
    """Rows staged in a temporary table typed like ``target``; call :meth:`drop` when done.

    Use :func:`stage` to create one. ``table`` is the temporary table (a FROM clause), ``columns``
    the target columns it holds.
    """

    def __init__(self, conn: sa.Connection, df: pd.DataFrame, target: sa.Table):
        self.conn = conn
        self.target = target
        self.columns = list(df.columns)
        dialect = conn.dialect.name
        # Text rather than VARCHAR(n) on PostgreSQL: lengths were checked while validating, and COPY
        # must not fail on a limit the report already covers.
        cols = [sa.Column(c, sa.Text() if isinstance(target.c[c].type, sa.String) else target.c[c].type)
                for c in self.columns]
        self.table = temp_table(conn, f"stage_{target.name}", *cols)
        self.name = self.table.name
        if df.empty:
            return
        if dialect == "duckdb":
            with _arrow(conn, df) as src:
                conn.execute(sa.insert(self.table).from_select(self.columns, _cast(src, self.table, self.columns)))
        elif dialect == "postgresql":
            frame = df.copy()
            for c in frame.columns:
                if pd.api.types.is_datetime64_any_dtype(frame[c]):
                    # A DATE column takes the day; a timestamp keeps its time (the order of two decisions
                    # made on one day rests on it).
                    timed = isinstance(target.c[c].type, sa.DateTime)
                    frame[c] = frame[c].dt.strftime("%Y-%m-%d %H:%M:%S.%f" if timed else "%Y-%m-%d")
            buf = io.StringIO()
            frame.to_csv(buf, index=False, header=False, na_rep="")
            cur = conn.connection.driver_connection.cursor()
            quoted = ", ".join(f'"{c}"' for c in self.columns)
            with cur.copy(f'COPY "{self.name}" ({quoted}) FROM STDIN WITH (FORMAT csv)') as copy:
                data = buf.getvalue()
                for i in range(0, len(data), 1 << 20):
                    copy.write(data[i:i + (1 << 20)])
        else:
            conn.execute(self.table.insert(), df.astype(object).where(df.notna(), None).to_dict("records"))

    def drop(self) -> None:
        self.conn.execute(sa.text(f'DROP TABLE IF EXISTS "{self.name}"'))


def stage(conn: sa.Connection, table: sa.Table, df: pd.DataFrame) -> Staged:
    """Stage ``df`` (columns named as ``table``'s) in a temporary table typed like ``table``."""
    return Staged(conn, _prepare(df, table), table)


def _cast(src: sa.FromClause, table: sa.Table, columns: list[str]) -> sa.Select:
    """SELECT ``columns`` of ``src`` cast to their types in ``table``."""
    return sa.select(*(sa.cast(src.c[c], table.c[c].type).label(c) for c in columns))


def _select(staged: Staged, table: sa.Table) -> sa.Select:
    return _cast(staged.table, table, staged.columns)


def _default(column: sa.Column) -> sa.ColumnElement:
    """What an INSERT that leaves ``column`` out stores in it."""
    if column.server_default is not None:
        return sa.cast(column.server_default.arg, column.type)
    return sa.cast(sa.null(), column.type)  # typed: PostgreSQL reads a bare NULL in a subquery as text


def as_written(staged: Staged) -> sa.Subquery:
    """The target table as it will read once ``staged`` replaces its rows (or fills it while empty).

    Lets derived tables be computed before the write, from the stage, which DuckDB reads faster than
    rows written in the open transaction (see the module docstring).
    """
    t, s = staged.target, staged.table
    cols = [(sa.cast(s.c[c.name], c.type) if c.name in staged.columns else _default(c)).label(c.name)
            for c in t.columns]
    return sa.select(*cols).subquery(t.name)


def append(conn: sa.Connection, table: sa.Table, df: pd.DataFrame) -> int:
    """Insert all rows of ``df`` (columns named as the table's) into ``table``."""
    if df.empty:
        return 0
    if conn.dialect.name == "duckdb":  # one pass: straight from the Arrow view, no temporary table
        frame = _prepare(df, table)
        with _arrow(conn, frame) as src:
            conn.execute(sa.insert(table).from_select(list(frame.columns), _cast(src, table, list(frame.columns))))
        return len(frame)
    staged = stage(conn, table, df)
    try:
        conn.execute(sa.insert(table).from_select(staged.columns, _select(staged, table)))
    finally:
        staged.drop()
    return len(df)


def upsert_staged(conn: sa.Connection, staged: Staged, *, on_conflict: OnConflict = "replace",
                  keep: Iterable[str] = ()) -> tuple[int, int]:
    """Insert the staged rows into their table, updating those whose primary key exists.

    Parameters
    ----------
    on_conflict
        ``"replace"``: the new values win. ``"fill"``: a new value only replaces the stored one
        when it is not NULL (used for customer attributes derived from invoice files).
    keep
        Staged columns only new rows take; rows that exist keep theirs (values a file did not hold
        but a setting filled in).

    Returns
    -------
    (inserted, updated)
    """
    table, src = staged.target, staged.table
    pk = schema_pk(table)
    total = conn.execute(sa.select(sa.func.count()).select_from(src)).scalar_one()
    if not total:
        return 0, 0
    existing = conn.execute(
        sa.select(sa.func.count()).select_from(src.join(table, src.c[pk] == table.c[pk]))
    ).scalar_one()
    if existing:
        values = {}
        for c in staged.columns:
            if c == pk or c in keep:
                continue
            new = sa.cast(src.c[c], table.c[c].type)
            values[c] = new if on_conflict == "replace" else sa.func.coalesce(new, table.c[c])
        if values:
            conn.execute(sa.update(table).where(table.c[pk] == src.c[pk]).values(values))
    select = _select(staged, table)
    if existing:
        select = select.where(~sa.exists().where(table.c[pk] == src.c[pk]))
    conn.execute(sa.insert(table).from_select(staged.columns, select))
    return int(total) - int(existing), int(existing)


def schema_pk(table: sa.Table) -> str:
    """Name of the table's key column."""
    return table.primary_key.columns.values()[0].name
