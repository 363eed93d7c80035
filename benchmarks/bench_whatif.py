"""What-if benchmark: how fast a lever moves in a meeting.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, opens the
What-if page with Streamlit's AppTest (the scenario inputs are loaded once and cached, as on a
server), then moves the days-late slider of a group and the promises-kept slider several times
and prints the median server time of each rerun, next to the rerun time of an empty Streamlit
page measured in the same run.

    python benchmarks/bench_whatif.py [--invoices 1000000] [--customers 50000] [--repeats 9]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_segments import ROOT, _v2_navigation, median_rerun


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=9)
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
        at.switch_page("pages/whatif.py")
        t = time.perf_counter()
        at.run()
        first = time.perf_counter() - t
        assert not at.exception, at.exception
        days = [-5, -10, -15, -20, -30, 10, 20, -25, -12]
        shares = [50, 60, 70, 80, 90, 40, 30, 65, 75]
        late = median_rerun(at, lambda a, i: a.slider(key="wi_late_unable_to_pay").set_value(days[i % 9]),
                            args.repeats)
        at.toggle(key="wi_promises_on").set_value(True).run()
        kept = median_rerun(at, lambda a, i: a.slider(key="wi_promises").set_value(shares[i % 9]), args.repeats)
    print(f"first What-if run (scenario inputs loaded and cached): {first:.2f} s")
    for name, seconds in (("days-late slider", late), ("promises-kept slider", kept)):
        print(f"{name} change, median of {args.repeats}: {seconds * 1000:.0f} ms server time "
              f"({seconds / base:.0f}x the empty page)")
    print(f"empty Streamlit page rerun, same run: {base * 1000:.0f} ms")


if __name__ == "__main__":
    main()
