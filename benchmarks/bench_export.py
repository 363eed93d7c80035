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
from arboard.aging import AgingSpec


def table(rows: int) -> pd.DataFrame:
    """A debtor list shaped like :func:`arboard.explorer.debtor_table` (same columns and types)."""
    rng = np.random.default_rng(1)
    labels = list(AgingSpec().labels)
    buckets = rng.lognormal(6, 1.5, (rows, len(labels))).round(2) * (rng.random((rows, len(labels))) < 0.4)
    frame = pd.DataFrame({
        "customer_id": [f"C{i:07d}" for i in range(rows)],
        "name": [f"=Debtor {i} GmbH" if i % 1000 == 0 else f"Debtor {i} GmbH" for i in range(rows)],
        "country": rng.choice(["DE", "FR", "GB", "US"], rows),
        "customer_type": rng.choice(["B2B", "B2C"], rows),
        "group": rng.choice(["willing_and_able", "unable_to_pay", "wont_pay", "to_watch", "no_information"], rows),
        "total": buckets.sum(axis=1).round(2), "overdue": buckets[:, 1:].sum(axis=1).round(2),
        "days_past_due": rng.integers(0, 400, rows), "oldest_bucket": rng.choice(labels, rows),
        "disputed": (rng.lognormal(5, 1, rows) * (rng.random(rows) < 0.1)).round(2),
        "open_items": rng.integers(1, 30, rows), "days_beyond_terms": rng.normal(12, 10, rows).round(1),
        "response_rate": rng.random(rows).round(3), "best_channel": rng.choice(["email", "sms", "phone", None], rows),
        "preferred_channel": rng.choice(["email", "letter", "portal"], rows),
    })
    for i, label in enumerate(labels):
        frame[label] = buckets[:, i]
    frame["unapplied"] = 0.0
    return frame


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
    print(f"{args.rows:,} rows x {len(df.columns)} columns: xlsx {t_xlsx:.2f} s ({len(xlsx) / 1e6:.1f} MB), "
          f"one sheet per group "
          f"{t_groups:.2f} s ({len(per_group) / 1e6:.1f} MB); CSV {t_csv:.2f} s ({csv_size / 1e6:.1f} MB); "
          f"ratio xlsx/CSV {t_xlsx / t_csv:.1f}x (target: xlsx <= 10 s)")


if __name__ == "__main__":
    main()
