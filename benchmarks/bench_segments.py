"""Segments benchmark: server time of a threshold-slider change on the Segments page.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, opens the
Segments page with Streamlit's AppTest (the debtor profiles are built once and cached, as on a
server), then moves a slider several times and prints the median rerun time, next to the rerun
time of an empty Streamlit page measured in the same run.

    python benchmarks/bench_segments.py [--invoices 1000000] [--customers 50000] [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _v2_navigation() -> None:
    # As on a live server after its first run (see tests/app/conftest.py): no legacy pages/ mode.
    from streamlit.runtime.pages_manager import PagesManager

    original = PagesManager.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        PagesManager.uses_pages_directory = False

    PagesManager.__init__ = init


def median_rerun(at, change, repeats: int) -> float:
    times = []
    for i in range(repeats):
        change(at, i)
        start = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - start)
        assert not at.exception, at.exception
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"duckdb:///{Path(tmp) / 'bench.duckdb'}"
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "arboard.cli", "generate", "--customers", str(args.customers),
                        "--invoices", str(args.invoices), "--end", "2026-10-31", "--db", url],
                       check=True, capture_output=True, cwd=ROOT)
        print(f"generated {args.invoices:,} invoices / {args.customers:,} customers in {time.perf_counter() - t:.0f} s")
        os.environ["ARBOARD_DB_URL"] = url
        os.chdir(ROOT)
        _v2_navigation()
        from streamlit.testing.v1 import AppTest

        empty = AppTest.from_string("import streamlit as st\nst.write('baseline')", default_timeout=60)
        empty.run()
        base = median_rerun(empty, lambda at, i: None, args.repeats)

        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=600)
        at.run()
        at.switch_page("pages/segments.py")
        t = time.perf_counter()
        at.run()
        first = time.perf_counter() - t
        values = [0.1, 0.2, 0.3, 0.4, 0.5]
        slider = median_rerun(at, lambda a, i: a.slider(key="seg_wont_max_response").set_value(values[i % 5]),
                              args.repeats)
    print(f"first Segments run (profiles of {args.customers:,} debtors built and cached): {first:.2f} s")
    print(f"slider change, median of {args.repeats}: {slider * 1000:.0f} ms server time (target <= 150 ms)")
    print(f"empty Streamlit page rerun, same run:  {base * 1000:.0f} ms")
    print(f"ratio to the empty page: {slider / base:.1f}x")


if __name__ == "__main__":
    main()
