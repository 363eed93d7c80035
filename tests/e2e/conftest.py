"""Start ``streamlit run app.py`` on a free loopback port and drive it with headless Chromium."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--no-first-run"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("ARBOARD_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is missing (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} is missing")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield b
        b.close()


@contextlib.contextmanager
def serve(data: Path, prepare=None):
    """Run the app on a fresh embedded database with a small sample; yield its base URL.

    ``prepare(engine)`` may add to the database before the server starts (a saved scenario, ...).
    """
    from arboard import db, generate
    from tests.conftest import SMALL_SAMPLE

    url = f"duckdb:///{data / 'arboard.duckdb'}"
    engine = db.open_database(url)
    generate.write_sample(engine, SMALL_SAMPLE)
    if prepare:
        prepare(engine)
    engine.dispose()  # DuckDB allows one writer process: release the file for the app
    port = _free_port()
    env = {**os.environ, "ARBOARD_DB_URL": url, "ARBOARD_NO_SAMPLE": "1"}
    log = open(data / "streamlit.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(base + "/_stcore/health", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not start: " + (data / "streamlit.log").read_text())
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        ARTIFACTS.mkdir(exist_ok=True)
        shutil.copy(data / "streamlit.log", ARTIFACTS / f"streamlit-{data.name}.log")


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """A running app on a fresh embedded database with a small sample; yields its base URL."""
    with serve(tmp_path_factory.mktemp("e2e")) as base:
        yield base


@pytest.fixture
def page(browser, app_server):
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    pg = ctx.new_page()
    yield pg
    ctx.close()
