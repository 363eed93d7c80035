"""Export benchmark: 100k debtors to a formatted, formula-safe Excel file (target <= 10 s).

Prints the xlsx time next to writing the same table as CSV in the same run (the baseline).

    python benchmarks/bench_export.py [--rows 100000]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from arboard import explorer, exports


def table(rows: int) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(rows)],
        "name": [f"=Debtor {i} GmbH" if i % 1000 == 0 else f"Debtor {i} GmbH" for i in range(rows)],
        "country": rng.choice(["DE", "FR", "GB", "US"], rows),
        "group": rng.choice(["willing_and_able", "unable_to_pay", "wont_pay", "to_watch", "no_information"], rows),
        "total": rng.lognormal(8, 1, rows).round(2), "overdue": rng.lognormal(7, 1, rows).round(2),
        "days_past_due": rng.integers(0, 400, rows), "oldest_due": pd.Timestamp("2026-01-01")
        + pd.to_timedelta(rng.integers(0, 300, rows), unit="D"),
    })


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    df = table(args.rows)
    t = time.perf_counter()
    csv_size = len(exports.to_csv_bytes(df))
    t_csv = time.perf_counter() - t
    t = time.perf_counter()
    xlsx = explorer.to_xlsx(df)
    t_xlsx = time.perf_counter() - t
    t = time.perf_counter()
    per_group = explorer.to_xlsx(df, sheet_per_group=True)
    t_groups = time.perf_counter() - t
    print(f"{args.rows:,} rows: xlsx {t_xlsx:.2f} s ({len(xlsx) / 1e6:.1f} MB), one sheet per group "
          f"{t_groups:.2f} s ({len(per_group) / 1e6:.1f} MB); CSV {t_csv:.2f} s ({csv_size / 1e6:.1f} MB); "
          f"ratio xlsx/CSV {t_xlsx / t_csv:.1f}x (target: xlsx <= 10 s)")


if __name__ == "__main__":
    main()
