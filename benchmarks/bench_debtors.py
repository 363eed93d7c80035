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
import tempfile

from apptest_bench import generate, median_rerun, open_page, report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=400_000)
    parser.add_argument("--invoices", type=int, default=4_000_000)
    parser.add_argument("--repeats", type=int, default=9)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = generate(tmp, customers=args.customers, invoices=args.invoices)
        at, first, base = open_page(url, "pages/debtors.py", args.repeats)
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
    report(timings, args.repeats, base)


if __name__ == "__main__":
    main()
