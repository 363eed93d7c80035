"""Unapplied cash benchmark: matching every payment on account to the open items it most likely pays.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, or reads
``--db-file`` (read only). Times what the Unapplied cash page reads (the candidate search in the
database, the allocation in pandas, the totals). The baseline is reading the open items from the
database in the same run.

    python benchmarks/bench_unapplied.py [--invoices 1000000] [--customers 50000] [--db-file ledger.duckdb]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile

from apptest_bench import generate, timed

from arboard import aging, cashdecisions, db, events, forecast, fx, outreach, summary, unapplied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=50_000)
    parser.add_argument("--db-file", help="an existing arboard DuckDB file (only read)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"duckdb:///{args.db_file}" if args.db_file else \
            generate(tmp, customers=args.customers, invoices=args.invoices)
        engine = db.open_database(url)
        events.ensure_current(engine)
        as_of = summary.ledger_summary(engine).last_activity
        rates = fx.load(engine)
        outreach.open_items_for_plan(engine, as_of)  # warm the database's caches
        read = statistics.median(timed(lambda: outreach.open_items_for_plan(engine, as_of))[1] for _ in range(3))
        runs = [timed(lambda: unapplied.match_payments(engine, as_of, rates=rates)) for _ in range(3)]
        cash, t_match = runs[-1][0], statistics.median(t for _, t in runs)
        wide = unapplied.MatchSettings(tolerance=5, discounts=(1, 1.5, 2, 2.5, 3, 4, 5))
        _, t_wide = timed(lambda: unapplied.match_payments(engine, as_of, rates=rates, settings=wide))
        s, t_sum = timed(lambda: unapplied.summary(cash, rates=rates))
        # Every matched proposal decided (in memory: the file is only read), as a busy team's register would be.
        matched = cash.proposals[cash.proposals["invoice_count"] > 0]
        decisions = matched.assign(decision="confirmed", items=matched["invoices"], decided_on=as_of,
                                   decided_by="Bench", note=None)[cashdecisions.COLUMNS]
        decided, t_decided = timed(lambda: unapplied.with_decisions(cash, decisions))
        # What the other pages do with the match: the debtor lists and the forecast take the sure ones off.
        debtors = aging.aging_by_customer(engine, as_of, rates=rates)
        listed, t_listed = timed(lambda: unapplied.with_overdue_paid(debtors, cash, rates=rates))
        paid = unapplied.as_applied(cash.lines).items
        _, t_plain = timed(lambda: forecast.expected_payments(engine, as_of, rates=rates))
        expected, t_paid = timed(lambda: forecast.expected_payments(engine, as_of, rates=rates, paid=paid))
        head = forecast.outlook(expected, as_of)
        ledger = summary.ledger_summary(engine).counts["invoices"]
        engine.dispose()
    print(f"as of {as_of}: {ledger:,} invoices, {s.count:,} payments on account, {s.matched:,} matched "
          f"({s.sure:,} with high confidence), {len(cash.lines):,} clearing lines")
    print("by match: " + ", ".join(f"{k} {v:,}" for k, v in cash.proposals["match"].value_counts().items()))
    print(f"reading the open items (baseline):     {read:6.2f} s")
    print(f"matching the payments on account:      {t_match:6.2f} s  = {t_match / read:.2f}x the baseline")
    print(f"the same, 5% tolerance, 7 discounts:   {t_wide:6.2f} s  = {t_wide / read:.2f}x the baseline")
    print(f"the totals:                            {t_sum:6.3f} s")
    print(f"the decisions, {len(decisions):,} of them:        {t_decided:6.3f} s "
          f"({int((decided.proposals['decision'] == 'Confirmed').sum()):,} confirmed)")
    print(f"overdue paid on account, {len(debtors):,} debtors: {t_listed:6.3f} s "
          f"({int((listed['overdue_paid'] > 0).sum()):,} debtors, {listed['overdue_paid'].sum():,.2f} "
          "of their overdue)")
    print(f"cash forecast: {t_plain:.2f} s as the ERP stands, {t_paid:.2f} s with the sure matches taken off "
          f"({head['paid_on_account']:,.2f} not expected again, {head['paid_items']:,} invoices in full)")


if __name__ == "__main__":
    main()
