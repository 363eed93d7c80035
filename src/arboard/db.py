"""Choosing, opening and preparing the database.

The URL comes, in this order, from an explicit argument, the ``ARBOARD_DB_URL`` environment
variable, ``.streamlit/secrets.toml`` (``db_url = "..."`` or ``[connections.arboard] url``),
and finally an embedded DuckDB file in the data folder (``ARBOARD_DATA_DIR``, default
``./data``), created on first use.
"""

from __future__ import annotations

import hashlib
import json
import os
import tomllib
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import URL, Engine, make_url

from arboard import schema
from arboard.errors import ArboardError, driver_reason

DEFAULT_DB_FILE = "arboard.duckdb"


def data_dir() -> Path:
    """Return the folder that holds the embedded database (``ARBOARD_DATA_DIR`` or ``./data``)."""
    return Path(os.environ.get("ARBOARD_DATA_DIR", "data")).resolve()


def default_url() -> str:
    """Return the URL of the embedded DuckDB file."""
    return f"duckdb:///{data_dir() / DEFAULT_DB_FILE}"


def _secrets_url(secrets_path: Path) -> str | None:
    if not secrets_path.is_file():
        return None
    try:
        secrets = tomllib.loads(secrets_path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ArboardError(f"The secrets file cannot be read: {exc}", where=str(secrets_path)) from exc
    url = secrets.get("db_url") or secrets.get("connections", {}).get("arboard", {}).get("url")
    return str(url) if url else None


def resolve_url(explicit: str | None = None, *, secrets_path: Path | None = None) -> tuple[str, str]:
    """Pick the database URL and say where it came from.

    Returns
    -------
    (url, origin)
        ``origin`` is one of ``"argument"``, ``"ARBOARD_DB_URL"``, ``"secrets.toml"``,
        ``"embedded"``.
    """
    if explicit:
        return explicit, "argument"
    if os.environ.get("ARBOARD_DB_URL"):
        return os.environ["ARBOARD_DB_URL"], "ARBOARD_DB_URL"
    url = _secrets_url(secrets_path or Path(".streamlit") / "secrets.toml")
    if url:
        return url, "secrets.toml"
    return default_url(), "embedded"


def redact(url: str | URL) -> str:
    """Render a URL with its password hidden, for messages and the sidebar."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL must still be displayable
        return "<unparseable database URL>"


def _normalise(url: str) -> URL:
    try:
        parsed = make_url(url)
    except Exception as exc:
        raise ArboardError(
            "This is not a database URL. Examples: duckdb:///data/arboard.duckdb, "
            "postgresql+psycopg://user:password@host:5432/dbname",
            where="database URL",
        ) from exc
    # A bare postgresql:// URL would ask for psycopg2; we ship psycopg 3.
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def _quiet_duckdb(dbapi_connection, _record) -> None:
    dbapi_connection.execute("SET enable_progress_bar = false")


def make_engine(url: str) -> Engine:
    """Create an engine and check that the database answers.

    Raises
    ------
    ArboardError
        When the URL is malformed, the driver is missing or the database cannot be reached.
    """
    parsed = _normalise(url)
    kwargs: dict = {}
    if parsed.get_backend_name() == "duckdb":
        if parsed.database not in (None, "", ":memory:"):
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        # No progress bars on stdout; a memory ceiling so a large generate or import stays bounded
        # (DuckDB spills to disk beyond it).
        kwargs["connect_args"] = {"config": {"memory_limit": os.environ.get("ARBOARD_DUCKDB_MEMORY", "4GB")}}
    if parsed.get_backend_name() == "postgresql":
        kwargs.update(pool_pre_ping=True, connect_args={"connect_timeout": 5})
    try:
        engine = sa.create_engine(parsed, **kwargs)
        if parsed.get_backend_name() == "duckdb":
            sa.event.listen(engine, "connect", _quiet_duckdb)
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except ArboardError:
        raise
    except Exception as exc:  # driver errors differ per backend; all mean "cannot use it"
        reason = driver_reason(exc)
        if "lock" in reason.lower() and parsed.get_backend_name() == "duckdb":
            reason = ("another process holds the DuckDB file (is the dashboard running?). A DuckDB file has one "
                      "writer at a time: stop the other process, or use PostgreSQL for a team. Detail: " + reason)
        raise ArboardError(f"The database cannot be opened: {reason}", where=redact(parsed)) from exc
    return engine


def _derived_signature(engine: Engine) -> str:
    from sqlalchemy.schema import CreateTable

    ddl = "".join(str(CreateTable(t).compile(engine)) for t in schema.DERIVED_TABLES)
    return hashlib.sha256(ddl.encode()).hexdigest()[:16]


def ensure_schema(engine: Engine) -> None:
    """Create missing tables, add columns newer versions know about, recreate changed derived tables."""
    try:
        schema.metadata.create_all(engine)
        signature = _derived_signature(engine)
        with engine.begin() as conn:
            if get_meta(conn, "derived_schema") != signature:
                # Derived tables hold nothing that cannot be recomputed: drop, recreate, rebuild later.
                for table in schema.DERIVED_TABLES:
                    table.drop(conn, checkfirst=True)
                    table.create(conn)
                set_meta(conn, "derived_schema", signature)
                set_meta(conn, "events_version", "stale")
        inspector = sa.inspect(engine)
        with engine.begin() as conn:
            for table in schema.metadata.sorted_tables:
                present = {c["name"] for c in inspector.get_columns(table.name)}
                for column in table.columns:
                    if column.name not in present and column.nullable:
                        ddl = f"ALTER TABLE {table.name} ADD COLUMN {column.name} "
                        conn.execute(sa.text(ddl + column.type.compile(engine.dialect)))
    except Exception as exc:
        reason = driver_reason(exc)
        raise ArboardError(f"The tables cannot be created: {reason}", where=redact(engine.url)) from exc


def open_database(url: str | None = None) -> Engine:
    """Resolve the URL, open the engine and make sure the schema exists."""
    resolved, _origin = resolve_url(url)
    engine = make_engine(resolved)
    ensure_schema(engine)
    return engine


def fetch_frame(conn: sa.Connection, stmt: sa.Executable, columns: list[str] | None = None) -> pd.DataFrame:
    """Run a SELECT and return a DataFrame, using DuckDB's columnar fetch when available.

    Aggregates of a few hundred thousand rows come back an order of magnitude faster this way than
    through Python row objects.
    """
    if conn.dialect.name == "duckdb":
        # render_postcompile expands IN (...) lists into plain parameters.
        compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
        params = compiled.params
        args = [params[k] for k in compiled.positiontup] if compiled.positiontup else params
        df = conn.connection.driver_connection.execute(str(compiled), args).df()
    else:
        result = conn.execute(stmt)
        df = pd.DataFrame(result.all(), columns=list(result.keys()))
    if columns is not None:
        df.columns = columns
    return df


def chunks(values: Sequence, size: int = 5_000) -> Iterator[list]:
    """``values`` in lists of at most ``size``, for IN lists: PostgreSQL takes at most 65,535 bound
    parameters a statement, and a statement run or a share-out can name many thousands of ids."""
    for start in range(0, len(values), size):
        yield list(values[start:start + size])


def unknown_customers(conn: sa.Connection, ids: Sequence[str]) -> list[str]:
    """The ``ids`` the customers table does not hold, in their order: what a write about debtors
    refuses before it records anything."""
    cust = schema.customers
    found: set[str] = set()
    for chunk in chunks(ids, 10_000):
        found |= set(conn.execute(sa.select(cust.c.customer_id).where(cust.c.customer_id.in_(chunk))).scalars())
    return [c for c in ids if c not in found]


def fetch_keyed(engine: Engine, table: sa.Table, key: str, values: Sequence, columns: Sequence[str],
                *, chunk: int = 5_000) -> pd.DataFrame:
    """``columns`` of the rows of ``table`` whose ``key`` is one of ``values`` (IN lists of at most
    ``chunk`` values: a statement run or a day's letters can name thousands of debtors)."""
    values = list(dict.fromkeys(values))
    with engine.connect() as conn:
        frames = [fetch_frame(conn, sa.select(*(table.c[c] for c in columns)).where(table.c[key].in_(part)),
                              list(columns))
                  for part in chunks(values, chunk)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=list(columns))


def get_meta(conn: sa.Connection, key: str) -> str | None:
    """Read one value from the meta table."""
    return conn.execute(sa.select(schema.meta.c.value).where(schema.meta.c.key == key)).scalar()


def get_meta_json(engine: Engine, key: str) -> object | None:
    """A JSON value saved in the meta table (settings such as the sender), or None when it is missing or
    not JSON (edited by hand): the caller falls back to its default."""
    with engine.connect() as conn:
        raw = get_meta(conn, key)
    try:
        return json.loads(raw) if raw else None
    except ValueError:
        return None


def set_meta(conn: sa.Connection, key: str, value: str) -> None:
    """Write one value to the meta table (inside the caller's transaction)."""
    conn.execute(sa.delete(schema.meta).where(schema.meta.c.key == key))
    conn.execute(sa.insert(schema.meta).values(key=key, value=value))


def bump_data_version(conn: sa.Connection, *, derived_unchanged: bool = False) -> int:
    """Increase the data version inside the caller's transaction; caches key on it.

    With ``derived_unchanged`` the write touched nothing the derived tables are computed from (a
    contact, exchange rates): when they were current, they stay so, instead of being rebuilt in full
    by the next page that reads them (:func:`arboard.events.ensure_current`).
    """
    previous = get_meta(conn, "data_version")
    version = int(previous or 0) + 1
    set_meta(conn, "data_version", str(version))
    set_meta(conn, "data_changed_at", datetime.now(UTC).isoformat(timespec="seconds"))
    if derived_unchanged and get_meta(conn, "events_version") == (previous or "0"):
        set_meta(conn, "events_version", str(version))
    return version


def data_version(engine: Engine) -> int:
    """Return the current data version (0 for an empty database)."""
    with engine.connect() as conn:
        return int(get_meta(conn, "data_version") or 0)


def row_counts(engine: Engine) -> dict[str, int]:
    """Rows per ledger table."""
    with engine.connect() as conn:
        return {
            name: int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            for name, table in schema.LEDGER_TABLES.items()
        }
