"""AppTest fixtures: the app runs against a small generated ledger in a temporary DuckDB file."""

from __future__ import annotations

from pathlib import Path

import pytest

from arboard import db, generate
from tests.conftest import SMALL_SAMPLE

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def app_db(tmp_path_factory) -> str:
    url = f"duckdb:///{tmp_path_factory.mktemp('appdb') / 'arboard.duckdb'}"
    engine = db.open_database(url)
    generate.write_sample(engine, SMALL_SAMPLE)
    engine.dispose()
    return url


@pytest.fixture
def app_env(app_db, monkeypatch):
    monkeypatch.setenv("ARBOARD_DB_URL", app_db)
    monkeypatch.chdir(ROOT)
    return app_db


def run_page(page: str | None = None, timeout: float = 60):
    """Run app.py (and switch to ``page``, e.g. "pages/data.py"); return the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at
