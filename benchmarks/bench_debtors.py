"""Debtors benchmark: is the explorer responsive at 100k debtors?

Generates a ledger (default 400k customers, 4M invoices: about 100k debtors with an open
balance) in a temporary DuckDB file, opens the Debtors page with Streamlit's AppTest (the debtor
table is built once and cached, as on a server), then changes a filter, the sort order and the
search text several times and prints the median server time of each rerun, next to the rerun
time of an empty Streamlit page measured in the same run. The browser receives at most 5,000
rows, whatever matches.

    python benchmarks/bench_debtors.py [--customers 400000] [--invoices 4000000] [--repeats 9]
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
    parser.add_argument("--customers", type=int, default=400_000)
    parser.add_argument("--invoices", type=int, default=4_000_000)
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
        at.switch_page("pages/debtors.py")
        t = time.perf_counter()
        at.run()
        first = time.perf_counter() - t
        assert not at.exception, at.exception
        debtors = next(c.value for c in at.caption if "debtors with an open balance match" in c.value)
        groups = [["wont_pay"], ["unable_to_pay", "wont_pay"], [], ["willing_and_able"]]
        sorts = ["days_past_due", "total", "name", "overdue"]
        texts = ["gmbh", "c0001", "", "textiles"]
        timings = {
            "segment filter": median_rerun(
                at, lambda a, i: a.multiselect(key="ex_groups").set_value(groups[i % 4]), args.repeats),
            "sort order": median_rerun(
                at, lambda a, i: a.selectbox(key="ex_sort").set_value(sorts[i % 4]), args.repeats),
            "search text": median_rerun(
                at, lambda a, i: a.text_input(key="ex_text").set_value(texts[i % 4]), args.repeats),
        }
    print(f"first Debtors run (debtor table built and cached): {first:.2f} s; {debtors.split(' match')[0]}")
    for name, seconds in timings.items():
        print(f"{name} change, median of {args.repeats}: {seconds * 1000:.0f} ms server time "
              f"({seconds / base:.0f}x the empty page)")
    print(f"empty Streamlit page rerun, same run: {base * 1000:.0f} ms")


if __name__ == "__main__":
    main()
