"""Provision benchmark: the bad-debt provision matrix, as the Bad-debt provision page reads it.

Generates a ledger (default 1M invoices, 50k customers) in a temporary DuckDB file, or uses
``--db-file`` (read only). Times the loss experience (12 month ends, each followed for 12 months),
the whole matrix (experience, what is open now, the year's write-offs, the aging total), the same at
the month end before (the page's movement), and the provision per debtor, all in the reporting currency
when rates are saved. The baseline is the aging as of the same date in the same run.

    python benchmarks/bench_provision.py [--invoices 1000000] [--customers 50000] [--repeats 3]
                                         [--db-file ledger.duckdb]
"""

from __future__ import annotations

import tempfile

from apptest_bench import ledger_arguments, median_timed, open_ledger, timed

from arboard import aging, fx, provision


def main() -> None:
    args = ledger_arguments(__doc__, db_file="an existing arboard DuckDB file (read only)")
    with tempfile.TemporaryDirectory() as tmp:
        engine, as_of = open_ledger(args, tmp)
        rates = fx.load(engine)
        policy = provision.load(engine)
        aging.aging(engine, as_of, rates=rates)  # warm the database's caches for both sides
        _, base = median_timed(lambda: aging.aging(engine, as_of, rates=rates), args.repeats)
        with engine.connect() as conn:
            first = provision._first_payment(conn, as_of)
        _, t_exp = median_timed(lambda: provision.experience(
            engine, as_of, policy=policy, rates=rates if rates.active else None, writeoffs_from=first), args.repeats)
        result, t_matrix = median_timed(lambda: provision.matrix(engine, as_of, policy=policy, rates=rates),
                                        args.repeats)
        _, t_before = timed(lambda: provision.matrix(engine, provision.previous_month_end(as_of), policy=policy,
                                                     rates=rates))
        debtors, t_debtors = timed(lambda: provision.by_debtor(engine, result))
        unit = rates.reporting or "face value"
        print(f"as of {as_of}: provision {result.provision:,.0f} {unit} on {result.open:,.0f} open "
              f"({result.coverage:.1%}), {len(debtors):,} debtors")
        print(f"aging (baseline)           {base:6.2f} s")
        print(f"loss experience            {t_exp:6.2f} s  {t_exp / base:5.1f}x")
        print(f"matrix                     {t_matrix:6.2f} s  {t_matrix / base:5.1f}x")
        print(f"matrix, month end before   {t_before:6.2f} s")
        print(f"provision per debtor       {t_debtors:6.2f} s  {t_debtors / base:5.1f}x")
        print(f"first page load            {t_matrix + t_before + t_debtors:6.2f} s  (both matrices and the debtors)")
        engine.dispose()


if __name__ == "__main__":
    main()
