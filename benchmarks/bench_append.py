"""Append benchmark: 1,000 changed invoices, and 1,000 new payments, imported into a large ledger.

Generates a ledger (default 10M invoices, 200k customers) into a DuckDB file, or uses --db-file,
takes 1,000 of its invoices at random, settles half of them and imports that file into a copy of
the ledger, then does the same with 1,000 partial payments on other invoices. Each file is imported
twice: once as arboard does it (the balance events of the customers the file touches
are recomputed, and the rollup rows they fall into updated) and once with that turned off (every
derived table rebuilt), which is the baseline measured in the same run. Each import runs in its own
process on its own copy of the file.

    python benchmarks/bench_append.py [--invoices 10000000] [--rows 1000] [--db-file PATH]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

IMPORT = """
import json, sys, time
from datetime import date
from arboard import db, importer, readers
importer.INCREMENTAL_SHARE = float(sys.argv[3])
engine = db.open_database(sys.argv[1])
raw = readers.read_path(sys.argv[2])
t0 = time.perf_counter()
result = importer.run_import(engine, raw, today=date(2026, 11, 22))
print(json.dumps({"seconds": time.perf_counter() - t0, "updated": result.updated}))
"""

SAMPLE = """
import sys
import duckdb
import pandas as pd
con = duckdb.connect(sys.argv[1], read_only=True)
df = con.execute("SELECT * FROM invoices USING SAMPLE {} ROWS (reservoir, 7)".format(int(sys.argv[3]))).df()
settle = (df.index % 2 == 1) & df["paid_date"].isna() & (df["due_date"] <= pd.Timestamp("2026-10-01"))
df.loc[settle, "paid_date"] = df.loc[settle, "due_date"]
df.to_csv(sys.argv[2], index=False, date_format="%Y-%m-%d")
pay = con.execute("SELECT 'BENCH-' || row_number() OVER () AS payment_id, invoice_id, customer_id, "
                  "DATE '2026-10-15' AS payment_date, 1.0 AS amount FROM invoices "
                  "USING SAMPLE {} ROWS (reservoir, 5)".format(int(sys.argv[3]))).df()
pay.to_csv(sys.argv[4], index=False)
print('{"ledger": %d}' % con.execute("SELECT count(*) FROM invoices").fetchone()[0])
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=10_000_000)
    parser.add_argument("--rows", type=int, default=1_000)
    parser.add_argument("--db-file", help="an arboard DuckDB file to use instead of generating one")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ledger = Path(args.db_file) if args.db_file else Path(tmp) / "ledger.duckdb"
        if not args.db_file:
            subprocess.run([sys.executable, "-m", "arboard.cli", "generate", "--customers",
                            str(max(1000, args.invoices // 50)), "--invoices", str(args.invoices), "--seed", "3",
                            "--db", f"duckdb:///{ledger}"], check=True, capture_output=True)
        files = {"changed invoices": Path(tmp) / "corrections.csv", "new payments": Path(tmp) / "payments.csv"}
        size = run(SAMPLE, str(ledger), str(files["changed invoices"]), str(args.rows),
                   str(files["new payments"]))["ledger"]
        figures: dict[str, dict[str, float]] = {}
        for what, csv in files.items():
            for label, share in (("customers touched only", "0.25"), ("full rebuild (baseline)", "0")):
                copy = Path(tmp) / "copy.duckdb"
                shutil.copy(ledger, copy)
                figures.setdefault(what, {})[label] = run(IMPORT, f"duckdb:///{copy}", str(csv), share)["seconds"]
                copy.unlink()
    for what, times in figures.items():
        print(f"importing {args.rows:,} {what} into a ledger of {size:,} invoices:")
        for label, seconds in times.items():
            print(f"  {label:<24} {seconds:6.2f} s")
        print(f"  ratio to a full rebuild: {times['customers touched only'] / times['full rebuild (baseline)']:.2f}x")


if __name__ == "__main__":
    main()
