"""Interest benchmark: the claims for payments made late in a month, as the Outreach page reads them.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, or uses
``--db-file`` (read only). With EU terms (12.15% a year, 40 per late invoice), times the claims per
debtor for the last whole month (ranked in the reporting currency when rates are saved), every
payment's line of that month, the claims to print for the 500 largest (their lines and the PDF),
one debtor's twelve months (the Debtors page) and the open claims as of the same date. The baseline
is the aging as of the same date in the same run.

    python benchmarks/bench_interest.py [--invoices 1000000] [--customers 50000] [--repeats 3]
                                        [--db-file ledger.duckdb]
"""

from __future__ import annotations

import tempfile

from apptest_bench import ledger_arguments, median_timed, open_ledger, timed

from arboard import aging, fx, interest, letters

EU = interest.InterestTerms(rate=12.15, consumer_rate=5.15, compensation=40.0)


def main() -> None:
    args = ledger_arguments(__doc__, db_file="an existing arboard DuckDB file (read only)")
    with tempfile.TemporaryDirectory() as tmp:
        engine, as_of = open_ledger(args, tmp)
        since, until = interest.last_month(as_of)
        rates = fx.load(engine)

        def median(work) -> tuple[object, float]:
            return median_timed(work, args.repeats)

        aging.aging(engine, as_of, rates=rates)  # warm the database's caches for both sides
        _, base = median(lambda: aging.aging(engine, as_of, rates=rates))
        per_debtor, t_debtors = median(lambda: interest.paid_late_by_debtor(engine, since=since, until=until,
                                                                            terms=EU, rates=rates))
        lines, t_lines = median(lambda: interest.paid_late(engine, since=since, until=until, terms=EU))
        largest = per_debtor["customer_id"].head(500).tolist()
        found, t_claims = timed(lambda: interest.claims(engine, largest, since=since, until=until, terms=EU))
        pdf, t_pdf = timed(lambda: letters.interest_claims_pdf(found))
        one = str(per_debtor["customer_id"].iloc[0])
        first, last = interest.year_to(as_of)
        _, t_one = median(lambda: interest.paid_late_by_debtor(engine, since=first, until=last, terms=EU,
                                                               customer_id=one))
        _, t_open = median(lambda: interest.by_debtor(engine, as_of, terms=EU, rates=rates))
        print(f"paid late from {since} to {until}: {per_debtor['customer_id'].nunique():,} debtors, "
              f"{len(lines):,} payments; claims to print: {len(found):,} letters, {len(pdf) / 1e6:.1f} MB")
        print(f"aging (baseline)             {base:6.2f} s")
        print(f"claims per debtor, month     {t_debtors:6.2f} s  {t_debtors / base:5.1f}x")
        print(f"every payment's line, month  {t_lines:6.2f} s  {t_lines / base:5.1f}x")
        print(f"500 claims: lines            {t_claims:6.2f} s  {t_claims / base:5.1f}x")
        print(f"500 claims: PDF              {t_pdf:6.2f} s")
        print(f"one debtor, twelve months    {t_one:6.2f} s  {t_one / base:5.1f}x")
        print(f"open claims per debtor       {t_open:6.2f} s  {t_open / base:5.1f}x")
        engine.dispose()


if __name__ == "__main__":
    main()
