"""Interest benchmark: the claims for payments made late in a month, as the Outreach page reads them.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, or uses
``--db-file`` (its claims recorded as sent are left as they were). With EU terms (12.15% a year, 40
per late invoice), times the claims per debtor for the last whole month (ranked in the reporting
currency when rates are saved), every payment's line of that month, the claims to print for the 500
largest (their lines and the PDF), one debtor's twelve months (the Debtors page) and the open claims
as of the same date; the twelve months and the open claims again with the rate changing every
half-year over the last four years (eight changes: each late day at the rate in force). Then
records the claims of the months before the last as sent, month by month (within the twelve
months), times everyone's claims for the twelve months with none and with those recorded (what is
left to claim), and withdraws the recordings again. The baseline is the aging as of the same date
in the same run.

    python benchmarks/bench_interest.py [--invoices 1000000] [--customers 50000] [--repeats 3]
                                        [--db-file ledger.duckdb]
"""

from __future__ import annotations

import dataclasses
import statistics
import tempfile
from datetime import date, timedelta

from apptest_bench import ledger_arguments, median_timed, open_ledger, timed

from arboard import aging, fx, interest, interestclaims, kpis, letters

EU = interest.InterestTerms(rate=12.15, consumer_rate=5.15, compensation=40.0)


def half_yearly(as_of: date) -> interest.InterestTerms:
    """EU terms whose reference rate changed on each 1 January and 1 July of the four years to ``as_of``."""
    days = [date(y, m, 1) for y in range(as_of.year - 3, as_of.year + 1) for m in (1, 7) if date(y, m, 1) <= as_of]
    return dataclasses.replace(EU, changes=tuple(interest.RateChange(d, 8 + (i % 5) * 0.75, 3 + (i % 5) * 0.75)
                                                 for i, d in enumerate(days)))


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
        year, t_year = median(lambda: interest.paid_late_by_debtor(engine, since=first, until=last, terms=EU,
                                                                   rates=rates))
        changing = half_yearly(as_of)
        _, t_year_changes = median(lambda: interest.paid_late_by_debtor(engine, since=first, until=last,
                                                                        terms=changing, rates=rates))
        _, t_open_changes = median(lambda: interest.by_debtor(engine, as_of, terms=changing, rates=rates))
        t_record, t_withdraw, recorded = [], [], []
        try:
            for back in range(12, 1, -1):  # the eleven whole months before the last: each claimed the month after
                start, end = interest.last_month(kpis.add_months(until, -back + 1))
                if end < first:
                    continue
                (batch, _, n), t = timed(lambda s=start, e=end: interestclaims.record(
                    engine, since=s, until=e, terms=EU, claimed_on=e + timedelta(days=3), today=as_of))
                recorded.append((batch, n))
                t_record.append(t)
            left, t_left = median(lambda: interest.paid_late_by_debtor(engine, since=first, until=last, terms=EU,
                                                                       rates=rates))
        finally:
            for batch, _ in recorded:
                t_withdraw.append(timed(lambda b=batch: interestclaims.withdraw(engine, b))[1])
        print(f"paid late from {since} to {until}: {per_debtor['customer_id'].nunique():,} debtors, "
              f"{len(lines):,} payments; claims to print: {len(found):,} letters, {len(pdf) / 1e6:.1f} MB")
        print(f"aging (baseline)             {base:6.2f} s")
        print(f"claims per debtor, month     {t_debtors:6.2f} s  {t_debtors / base:5.1f}x")
        print(f"every payment's line, month  {t_lines:6.2f} s  {t_lines / base:5.1f}x")
        print(f"500 claims: lines            {t_claims:6.2f} s  {t_claims / base:5.1f}x")
        print(f"500 claims: PDF              {t_pdf:6.2f} s")
        print(f"one debtor, twelve months    {t_one:6.2f} s  {t_one / base:5.1f}x")
        print(f"open claims per debtor       {t_open:6.2f} s  {t_open / base:5.1f}x")
        print(f"with {len(changing.changes)} rate changes: 12 months {t_year_changes:6.2f} s  "
              f"{t_year_changes / t_year:4.2f}x of without; open claims {t_open_changes:6.2f} s  "
              f"{t_open_changes / t_open:4.2f}x of without")
        print(f"recorded as sent: {len(recorded)} months, {sum(n for _, n in recorded):,} payments; twelve months' "
              f"claims {year['claim'].sum():,.0f} at face value, left to claim {left['claim'].sum():,.0f}")
        print(f"claims per debtor, 12 months {t_year:6.2f} s  {t_year / base:5.1f}x")
        print(f"  the same, 11 recorded      {t_left:6.2f} s  {t_left / base:5.1f}x")
        print(f"record a month as sent       {statistics.median(t_record):6.2f} s  "
              f"{statistics.median(t_record) / base:5.1f}x  (median of {len(t_record)})")
        print(f"withdraw a month             {statistics.median(t_withdraw):6.2f} s")
        engine.dispose()


if __name__ == "__main__":
    main()
