"""AppTest fixtures: the app runs against a small generated ledger in a temporary DuckDB file."""

from __future__ import annotations

import shutil
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


@pytest.fixture(autouse=True)
def navigation_mode(monkeypatch):
    """Run AppTest the way a live server runs arboard.

    Streamlit enters its legacy "pages/ folder" mode whenever a folder named pages/ sits next to the
    entry point, until st.navigation is called; a live server leaves it after the first run, but
    AppTest resets it before every run, which re-creates every widget and loses its value. This
    fixture turns it off after AppTest's reset, as st.navigation in app.py does on a server.
    """
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    monkeypatch.setattr(PagesManager, "__init__", init)


@pytest.fixture
def app_env(app_db, monkeypatch):
    monkeypatch.setenv("ARBOARD_DB_URL", app_db)
    monkeypatch.chdir(ROOT)
    return app_db


@pytest.fixture
def app_copy(app_db, tmp_path, monkeypatch) -> str:
    """A copy of the session's ledger, for a test that writes to it (the other page tests share that one);
    the app runs on the copy. Returns its URL."""
    path = tmp_path / "copy.duckdb"
    shutil.copy(app_db.removeprefix("duckdb:///"), path)
    url = f"duckdb:///{path}"
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    monkeypatch.chdir(ROOT)
    return url


def run_page(page: str | None = None, timeout: float = 60):
    """Run app.py (and switch to ``page``, e.g. "pages/data.py"); return the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def open_link(page: str, params: dict, timeout: float = 60):
    """A new browser session opening a shared link: ``page`` with the query ``params``; return the AppTest."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    at.switch_page(page)
    for key, value in params.items():
        at.query_params[key] = value
    at.run()
    return at
