"""Cash-forecast accuracy: backtests on generated ledgers, against two simpler rules in the same run.

For each seed, generates the sample ledger (all currencies in EUR at the sample's rates) in a
temporary DuckDB file and backtests the 13-week forecast as of six dates, 2 to 12 months before the
data ends. Prints the mean absolute error per week, the error of the 13-week total and of week 1,
for arboard's forecast and for two baselines computed on the same items:

- ``due date``: every open invoice expected on its due date (the day after the as-of date when
  that has passed);
- ``delay >= 0``: arboard's rule before session 13: the debtor's usual delay, never negative, an
  invoice past its expected date waits the debtor's delay again (at least a week), and promises to
  pay are not read.

    python benchmarks/bench_forecast.py [--seeds 7,3] [--customers 5000] [--invoices 100000]
"""

from __future__ import annotations

import argparse
import tempfile
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from arboard import db, forecast, fx, generate

END = date(2026, 11, 20)
MONTHS_BACK = (12, 10, 8, 6, 4, 3)


def due_date_rule(engine, items, as_of, *, lookback_days=365):
    today = pd.Timestamp(as_of)
    expected = items["due_date"].where(items["due_date"] > today, today + pd.Timedelta(days=1))
    return expected, (today - items["due_date"]).dt.days > forecast.DOUBTFUL_DAYS


def non_negative_delay_rule(engine, items, as_of, *, lookback_days=365):
    delay_by_customer, overall, dispute_extra = forecast._delays(engine, as_of, lookback_days)
    delay = items["customer_id"].map(delay_by_customer).fillna(overall).clip(lower=0)
    delay = delay + np.where(items["disputed"].astype(bool), dispute_extra, 0.0)
    today = pd.Timestamp(as_of)
    expected = items["due_date"] + pd.to_timedelta(delay.round(), unit="D")
    expected = expected.where(expected > today, today + pd.to_timedelta(delay.clip(lower=7).round(), unit="D"))
    return expected, (today - items["due_date"]).dt.days > forecast.DOUBTFUL_DAYS


RULES = {"arboard": forecast.expected_dates, "delay >= 0": non_negative_delay_rule, "due date": due_date_rule}


def score(engine, rule) -> dict:
    forecast.expected_dates = rule  # backtest() looks it up at call time
    rates = fx.load(engine)
    mae, total, week1 = [], [], []
    for months in MONTHS_BACK:
        as_of = END - timedelta(days=round(30.44 * months))
        bt = forecast.backtest(engine, as_of, rates=rates)
        mae.append(bt.mae_per_week)
        total.append(abs(bt.total_expected / bt.total_actual - 1))
        week1.append(abs(bt.table["expected"].iloc[0] / bt.table["actual"].iloc[0] - 1))
    return {"mae": float(np.mean(mae)), "total": float(np.mean(total)), "week1": float(np.mean(week1))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="7,3")
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--invoices", type=int, default=100_000)
    args = parser.parse_args()
    real = forecast.expected_dates
    with tempfile.TemporaryDirectory() as tmp:
        for seed in (int(s) for s in args.seeds.split(",")):
            engine = db.open_database(f"duckdb:///{Path(tmp) / f'seed{seed}.duckdb'}")
            generate.write_sample(engine, generate.SampleSpec(customers=args.customers, invoices=args.invoices,
                                                              seed=seed, end=END))
            scores = {name: score(engine, rule if name != "arboard" else real) for name, rule in RULES.items()}
            forecast.expected_dates = real
            engine.dispose()
            base = scores["arboard"]["mae"]
            print(f"seed {seed} ({args.invoices:,} invoices; backtests as of {len(MONTHS_BACK)} dates, "
                  f"{MONTHS_BACK[-1]}-{MONTHS_BACK[0]} months before {END}; EUR, all currencies):")
            for name, s in scores.items():
                print(f"  {name:11s} error per week {s['mae']:>10,.0f} EUR ({s['mae'] / base:.2f}x arboard's); "
                      f"13-week total off by {s['total']:.1%}; week 1 off by {s['week1']:.1%}")


if __name__ == "__main__":
    main()
