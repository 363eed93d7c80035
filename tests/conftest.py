"""Shared fixtures: fresh databases on DuckDB and on a real, throwaway PostgreSQL server.

The PostgreSQL server is started once per test session (see tests/support/pgserver.py).
Set ``ARBOARD_REQUIRE_PG=1`` (CI does) to fail rather
than skip when no PostgreSQL binaries are installed.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from arboard import db, generate
from tests.support import pgserver

HERE = Path(__file__).parent
AS_OF_END = date(2026, 10, 31)


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server on a free loopback port for the whole session."""
    if not pgserver.available():
        if os.environ.get("ARBOARD_REQUIRE_PG"):
            pytest.fail("PostgreSQL server binaries are not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL server binaries are not installed")
    with pgserver.throwaway_postgres() as server:
        yield server


@pytest.fixture
def pg_url(pg_server) -> str:
    """URL of a brand-new, empty PostgreSQL database."""
    return pgserver.new_database(pg_server)


@pytest.fixture
def duck_url(tmp_path) -> str:
    """URL of a brand-new DuckDB file."""
    return f"duckdb:///{tmp_path / 'arboard.duckdb'}"


@pytest.fixture(params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request, tmp_path):
    """An empty arboard database, on DuckDB and on PostgreSQL."""
    url = request.getfixturevalue("duck_url" if request.param == "duckdb" else "pg_url")
    eng = db.make_engine(url)
    db.ensure_schema(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def duck_engine(duck_url):
    """An empty arboard database on DuckDB only."""
    eng = db.make_engine(duck_url)
    db.ensure_schema(eng)
    yield eng
    eng.dispose()


SMALL_SAMPLE = generate.SampleSpec(customers=300, invoices=4_000, seed=11, end=AS_OF_END, chunk_size=1_500)


def snapshot(engine: sa.Engine) -> dict[str, list]:
    """Every row of every arboard table, to assert that nothing changed."""
    from arboard import schema

    out = {}
    with engine.connect() as conn:
        for table in schema.metadata.sorted_tables:
            out[table.name] = sorted(map(tuple, conn.execute(sa.select(table)).all()), key=repr)
    return out


def write_ledger(engine: sa.Engine, **tables) -> None:
    """Write ledger tables (``customers=``, ``invoices=``, ``payments=``, ``contacts=`` frames) in one
    transaction, then the derived tables, as an import leaves them."""
    from arboard import events, schema, store

    with engine.begin() as conn:
        for name in ("customers", "invoices", "payments", "contacts"):
            if name in tables:
                store.append(conn, schema.LEDGER_TABLES[name], tables[name])
    events.refresh(engine)


def ledger_file(path: Path, **tables) -> str:
    """The URL of a new DuckDB file at ``path`` holding these ledger tables (:func:`write_ledger`), closed
    again: for the command line to open, beside a test's own engine."""
    from arboard import db

    url = f"duckdb:///{path}"
    engine = db.open_database(url)
    write_ledger(engine, **tables)
    engine.dispose()
    return url


def replace_ledger(engine: sa.Engine, inv, pay) -> None:
    """Put ``inv`` and ``pay`` in place of the invoices and payments (a hypothesis example after another),
    then rebuild the derived tables: written behind arboard's back, as an external ETL would."""
    from arboard import events, schema, store

    with engine.begin() as conn:
        for t in (schema.invoices, schema.payments):
            conn.execute(sa.delete(t))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
    events.refresh(engine)
