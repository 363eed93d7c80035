"""Shared set-up of the page benchmarks: a generated ledger and the app under Streamlit's AppTest."""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(fn):
    """Call ``fn()``; return (its result, the seconds it took)."""
    t = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - t


def ledger_arguments(doc: str, *, db_file: str, repeats: int = 3) -> argparse.Namespace:
    """The options of a benchmark on a generated ledger (1M invoices, 50k customers) or ``--db-file``
    (``db_file`` says what is done with it); parsed."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=repeats)
    parser.add_argument("--db-file", help=db_file)
    return parser.parse_args()


def ledger_url(args: argparse.Namespace, folder: str) -> str:
    """The ``--db-file`` given, or a ledger generated into ``folder`` as the options say."""
    return f"duckdb:///{args.db_file}" if args.db_file else generate(folder, customers=args.customers,
                                                                     invoices=args.invoices)


def open_ledger(args: argparse.Namespace, folder: str):
    """The ledger the options name (:func:`ledger_url`), opened: (its engine, the data's last day)."""
    from arboard import db, summary

    engine = db.open_database(ledger_url(args, folder))
    return engine, summary.ledger_summary(engine).last_activity


def median_timed(fn, repeats: int):
    """Call ``fn()`` ``repeats`` times; return (the last result, the median seconds)."""
    runs = [timed(fn) for _ in range(repeats)]
    return runs[-1][0], statistics.median(t for _, t in runs)


def generate(folder: str, *, customers: int, invoices: int) -> str:
    """Write a sample ledger into a DuckDB file in ``folder``; print how long it took; return its URL."""
    url = f"duckdb:///{Path(folder) / 'bench.duckdb'}"
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "arboard.cli", "generate", "--customers", str(customers),
                    "--invoices", str(invoices), "--end", "2026-10-31", "--db", url],
                   check=True, capture_output=True, cwd=ROOT)
    print(f"generated {invoices:,} invoices / {customers:,} customers in {time.perf_counter() - t:.0f} s")
    return url


def _v2_navigation() -> None:
    # As on a live server after its first run (see tests/app/conftest.py): no legacy pages/ mode.
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def median_rerun(at, change, repeats: int) -> float:
    """Apply ``change(at, i)`` and rerun, ``repeats`` times; the median rerun time in seconds."""
    times = []
    for i in range(repeats):
        change(at, i)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return statistics.median(times)


def open_page(url: str, page: str, repeats: int):
    """Point the app at ``url`` and open ``page``: (AppTest, first run seconds, empty-page rerun seconds).

    The empty page's rerun, measured here in the same run, is the baseline every page benchmark
    prints its ratio against.
    """
    os.environ["ARBOARD_DB_URL"] = url
    os.chdir(ROOT)
    _v2_navigation()
    from streamlit.testing.v1 import AppTest

    empty = AppTest.from_string("import streamlit as st\nst.write('baseline')", default_timeout=60)
    empty.run()
    base = median_rerun(empty, lambda at, i: None, repeats)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
    at.run()
    at.switch_page(page)
    t = time.perf_counter()
    at.run()
    first = time.perf_counter() - t
    assert not at.exception, at.exception
    return at, first, base


def report(timings: dict[str, float], repeats: int, base: float) -> None:
    """Print each change's median server time and its ratio to the empty page."""
    for name, seconds in timings.items():
        print(f"{name} change, median of {repeats}: {seconds * 1000:.0f} ms server time "
              f"({seconds / base:.0f}x the empty page)")
    print(f"empty Streamlit page rerun, same run: {base * 1000:.0f} ms")
