"""Disputes benchmark: the Disputes page's list, and raising and resolving disputes in arboard.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, or copies
``--db-file`` there (the writes go to the copy). Times the open disputes and their settlement times
per reason (what the page reads), one dispute logged on an invoice (the debtor's balance events are
recomputed), the 100 longest-open disputes resolved at once, and the next page's read of the balance
events (nothing left to rebuild). The baseline is reading the open items from the database in the
same run.

    python benchmarks/bench_disputes.py [--invoices 1000000] [--customers 50000] [--db-file ledger.duckdb]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
from datetime import date
from pathlib import Path

import sqlalchemy as sa
from apptest_bench import generate, timed

from arboard import db, disputes, disputestatus, events, logbook, outreach, schema, summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--db-file", help="an existing arboard DuckDB file, copied first (it is written to)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        if args.db_file:
            copy = Path(tmp) / "copy.duckdb"
            shutil.copy(args.db_file, copy)
            url = f"duckdb:///{copy}"
        else:
            url = generate(tmp, customers=args.customers, invoices=args.invoices)
        engine = db.open_database(url)
        events.ensure_current(engine)
        as_of = summary.ledger_summary(engine).last_activity
        today = max(as_of, date.today())
        outreach.open_items_for_plan(engine, as_of)  # warm the database's caches
        read = statistics.median(timed(lambda: outreach.open_items_for_plan(engine, as_of))[1] for _ in range(3))
        table, t_list = timed(lambda: disputes.open_disputes(engine, as_of))
        _, t_reasons = timed(lambda: disputes.resolution(engine, as_of, by_reason=True))
        inv = schema.invoices
        with engine.connect() as conn:
            customer_id, invoice_id = conn.execute(
                sa.select(inv.c.customer_id, inv.c.invoice_id)
                .where(inv.c.paid_date.is_(None), inv.c.amount > 0, ~inv.c.disputed).limit(1)).one()
        entry = logbook.Entry(as_of, "phone", "dispute", "responded", (invoice_id,), reason="Price difference")
        _, t_raise = timed(lambda: logbook.log(engine, customer_id, entry, today=today))
        oldest = table["invoice_id"].head(100).tolist()
        _, t_resolve = timed(lambda: disputestatus.resolve(engine, oldest, on=as_of, today=today,
                                                            note="Proof of delivery sent"))
        _, t_next = timed(lambda: events.ensure_current(engine))
        with engine.connect() as conn:
            ledger = conn.execute(sa.select(sa.func.count()).select_from(inv)).scalar_one()
        engine.dispose()
    print(f"as of {as_of}: {ledger:,} invoices, {len(table):,} open disputes")
    print(f"reading the open items (baseline):   {read:6.2f} s")
    print(f"open disputes (the page's list):     {t_list:6.2f} s  = {t_list / read:.1f}x the baseline")
    print(f"settlement times per reason:         {t_reasons:6.2f} s")
    print(f"one dispute logged on an invoice:    {t_raise:6.2f} s  (its debtor's balance events recomputed)")
    print(f"{f'{len(oldest)} disputes resolved at once:':37}{t_resolve:6.2f} s")
    print(f"the next page's read of the events:  {t_next:6.3f} s  (nothing to rebuild)")


if __name__ == "__main__":
    main()
