"""Segments benchmark: server time of a threshold-slider change on the Segments page.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, opens the
Segments page with Streamlit's AppTest (the debtor profiles are built once and cached, as on a
server), then moves a slider several times and prints the median rerun time, next to the rerun
time of an empty Streamlit page measured in the same run.

    python benchmarks/bench_segments.py [--invoices 1000000] [--customers 50000] [--repeats 15]
"""

from __future__ import annotations

import argparse
import tempfile

from apptest_bench import generate, median_rerun, open_page, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = generate(tmp, customers=args.customers, invoices=args.invoices)
        at, first, base = open_page(url, "pages/segments.py", args.repeats)
        values = [0.1, 0.2, 0.3, 0.4, 0.5]
        slider = median_rerun(at, lambda a, i: a.slider(key="seg_wont_max_response").set_value(values[i % 5]),
                              args.repeats)
    print(f"first Segments run (profiles of {args.customers:,} debtors built and cached): {first:.2f} s")
    report({"slider (target <= 150 ms)": slider}, args.repeats, base)


if __name__ == "__main__":
    main()
