"""A throwaway PostgreSQL server on a free loopback port (pytest-postgresql's executor).

Used by the test suite and the benchmarks. ``tests/support/pg_ctl`` runs the server as the
``postgres`` user when we are root, which PostgreSQL requires.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

PG_CTL = Path(__file__).parent / "pg_ctl"


def available() -> bool:
    """True when PostgreSQL server binaries are installed."""
    return bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl") or shutil.which("pg_ctl"))


@contextlib.contextmanager
def throwaway_postgres() -> Iterator[object]:
    """Start a server, yield its executor (``.port``), stop it and remove its files."""
    from port_for import get_port
    from pytest_postgresql.executors import PostgreSQLExecutor

    base = Path(tempfile.mkdtemp(prefix="arboard-pg-"))
    base.chmod(0o777)
    if os.getuid() == 0:
        shutil.chown(base, "postgres")
    executor = PostgreSQLExecutor(
        executable=str(PG_CTL), host="127.0.0.1", port=get_port(None), datadir=str(base / "data"),
        unixsocketdir=str(base), logfile=str(base / "postgresql.log"), startparams="-w",
        dbname="arboard", user="postgres", password=None, timeout=120,
    )
    executor.start()
    try:
        yield executor
    finally:
        executor.stop()
        shutil.rmtree(base, ignore_errors=True)


def new_database(server) -> str:
    """Create an empty database on ``server``; return its SQLAlchemy URL."""
    import psycopg

    name = "t_" + uuid.uuid4().hex[:12]
    # A few tries: once in a full run the first connection was refused just after the server started.
    for attempt in range(10):
        try:
            with psycopg.connect(host="127.0.0.1", port=server.port, user="postgres", dbname="postgres",
                                 autocommit=True, connect_timeout=10) as conn:
                conn.execute(f"CREATE DATABASE {name}")
            break
        except psycopg.OperationalError:
            if attempt == 9:
                raise
            time.sleep(1)
    return f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/{name}"
