"""Shared fixtures: fresh databases on DuckDB and on a real, throwaway PostgreSQL server.

The PostgreSQL server is started once per test session by pytest-postgresql's executor, with
``tests/support/pg_ctl`` as pg_ctl (it runs the server as the ``postgres`` user when the suite
runs as root, which PostgreSQL requires). Set ``ARBOARD_REQUIRE_PG=1`` (CI does) to fail rather
than skip when no PostgreSQL binaries are installed.
"""

from __future__ import annotations

import glob
import os
import shutil
import tempfile
import uuid
from datetime import date
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from arboard import db, generate

HERE = Path(__file__).parent
PG_CTL = HERE / "support" / "pg_ctl"
AS_OF_END = date(2026, 10, 31)


def _pg_available() -> bool:
    return bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl") or shutil.which("pg_ctl"))


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL server on a free loopback port for the whole session."""
    if not _pg_available():
        if os.environ.get("ARBOARD_REQUIRE_PG"):
            pytest.fail("PostgreSQL server binaries are not installed (apt-get install postgresql)")
        pytest.skip("PostgreSQL server binaries are not installed")
    from port_for import get_port
    from pytest_postgresql.executors import PostgreSQLExecutor

    base = Path(tempfile.mkdtemp(prefix="arboard-pg-"))
    base.chmod(0o777)
    if os.getuid() == 0:
        shutil.chown(base, "postgres")
    port = get_port(None)
    executor = PostgreSQLExecutor(
        executable=str(PG_CTL), host="127.0.0.1", port=port, datadir=str(base / "data"),
        unixsocketdir=str(base), logfile=str(base / "postgresql.log"), startparams="-w",
        dbname="arboard", user="postgres", password=None, timeout=120,
    )
    executor.start()
    try:
        yield executor
    finally:
        executor.stop()
        shutil.rmtree(base, ignore_errors=True)


def _pg_url(server, dbname: str) -> str:
    return f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{dbname}"


@pytest.fixture
def pg_url(pg_server) -> str:
    """URL of a brand-new, empty PostgreSQL database."""
    name = "t_" + uuid.uuid4().hex[:12]
    with psycopg.connect(host="127.0.0.1", port=pg_server.port, user="postgres", dbname="postgres",
                         autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    return _pg_url(pg_server, name)


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
