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
import tempfile

from apptest_bench import generate, median_rerun, open_page, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = generate(tmp, customers=args.customers, invoices=args.invoices)
        at, first, base = open_page(url, "pages/whatif.py", args.repeats)
        days = [-5, -10, -15, -20, -30, 10, 20, -25, -12]
        shares = [50, 60, 70, 80, 90, 40, 30, 65, 75]
        late = median_rerun(at, lambda a, i: a.slider(key="wi_late_unable_to_pay").set_value(days[i % 9]),
                            args.repeats)
        at.toggle(key="wi_promises_on").set_value(True).run()
        kept = median_rerun(at, lambda a, i: a.slider(key="wi_promises").set_value(shares[i % 9]), args.repeats)
    print(f"first What-if run (scenario inputs loaded and cached): {first:.2f} s")
    report({"days-late slider": late, "promises-kept slider": kept}, args.repeats, base)


if __name__ == "__main__":
    main()
