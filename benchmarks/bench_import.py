"""Import benchmark: a 1M-invoice CSV into DuckDB, against DuckDB's own bare read_csv.

Prints invoices/s, wall time (reading, parsing and validating, writing), peak RSS of the importing
process and the ratio to DuckDB's ``read_csv`` of the same file in the same run: counted
(``SELECT count(*)``) and loaded into an in-memory table. For context it also times DuckDB loading
the file into a table of a DuckDB *file*, and the floor of any import that keeps arboard's derived tables:
DuckDB SQL alone writing the same tables from the file, with no mapping or validation. Each side
first does the same work on a ten-row file, so one-time costs of a fresh process (DuckDB's first
read_csv takes about 0.3 s longer, pandera registers its backends on first use) are left out of both.
Each step runs in its own process so that peak memory is the import's alone.

    python benchmarks/bench_import.py [--invoices 1000000]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

STEP_WRITE = """
import sys
from datetime import date
import pandas as pd
from arboard import generate
spec = generate.SampleSpec(customers=max(1000, int(sys.argv[2]) // 20), invoices=int(sys.argv[2]), seed=1,
                           end=date(2026, 10, 31), chunk_size=250_000)
first = True
for part in generate.iter_ledger(spec):
    if "invoices" in part:
        # The layout every session measured: the sample's dispute reasons (added later) stay out.
        inv = part["invoices"].drop(columns=["dispute_reason"])
        inv = inv.rename(columns={"invoice_id": "Invoice No", "customer_id": "Customer No",
              "invoice_date": "Invoice Date", "due_date": "Net Due Date", "amount": "Amount Due",
              "currency": "Currency", "paid_date": "Clear Date", "disputed": "Disputed"})
        inv["Disputed"] = inv["Disputed"].map({True: "Yes", False: "No"})
        inv.to_csv(sys.argv[1], mode="w" if first else "a", header=first, index=False, date_format="%m/%d/%Y")
        first = False
"""

STEP_IMPORT = """
import json, resource, sys, time
from datetime import date
from arboard import db, importer, readers
warm = db.open_database(sys.argv[2] + ".warm")
importer.run_import(warm, readers.read_path(sys.argv[3]), today=date(2026, 11, 22))
warm.dispose()
engine = db.open_database(sys.argv[2])
t0 = time.perf_counter()
raw = readers.read_path(sys.argv[1])
t_read = time.perf_counter() - t0
checks = importer.check_import
spent = {}
def timed(*args, **kwargs):
    t = time.perf_counter()
    out = checks(*args, **kwargs)
    spent["check"] = time.perf_counter() - t
    return out
importer.check_import = timed
result = importer.run_import(engine, raw, today=date(2026, 11, 22))
elapsed = time.perf_counter() - t0
print(json.dumps({"seconds": elapsed, "read_seconds": t_read, "check_seconds": spent["check"], "rows": result.inserted,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""

STEP_BASELINE = """
import json, sys, time
import duckdb
con = duckdb.connect()
con.execute("SELECT count(*) FROM read_csv(?)", [sys.argv[2]]).fetchone()
t0 = time.perf_counter()
n = con.execute("SELECT count(*) FROM read_csv(?)", [sys.argv[1]]).fetchone()[0]
t_count = time.perf_counter() - t0
t0 = time.perf_counter()
con.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
t_load = time.perf_counter() - t0
disk = duckdb.connect(sys.argv[3])
disk.execute("SELECT count(*) FROM read_csv(?)", [sys.argv[2]]).fetchone()
t0 = time.perf_counter()
disk.execute("CREATE TABLE t AS SELECT * FROM read_csv(?)", [sys.argv[1]])
t_disk = time.perf_counter() - t0
print(json.dumps({"count_seconds": t_count, "load_seconds": t_load, "disk_seconds": t_disk, "rows": n}))
"""

# DuckDB SQL alone writing what an arboard import of this file writes (customers, invoices, balance
# events and the two rollups, in one transaction, into arboard's schema in a DuckDB file), with no
# mapping, cleaning or validation: the floor of any import that keeps the derived tables current.
STEP_FLOOR = '''
import json, sys, time
import duckdb
from arboard import db
db.open_database("duckdb:///" + sys.argv[2]).dispose()
con = duckdb.connect(sys.argv[2])
con.execute("SELECT count(*) FROM read_csv(?)", [sys.argv[3]]).fetchone()
d = "'%m/%d/%Y'"
t0 = time.perf_counter()
# Staged outside the write transaction and the derived tables computed from the stage, as the
# importer does: DuckDB reads rows written earlier in the same transaction more slowly.
con.execute(f"""CREATE TEMP TABLE stage AS SELECT "Invoice No" AS invoice_id, "Customer No" AS customer_id,
    strptime("Invoice Date", {d})::DATE AS invoice_date, strptime("Net Due Date", {d})::DATE AS due_date,
    "Amount Due"::DECIMAL(18, 2) AS amount, "Currency" AS currency,
    strptime("Clear Date", {d})::DATE AS paid_date, "Disputed" = 'Yes' AS disputed
    FROM read_csv(?, all_varchar = true)""", [sys.argv[1]])
events = """SELECT invoice_date AS day, customer_id, NULL AS invoice_id, currency, invoice_date, due_date, disputed,
           amount < 0 AS credit_note, amount::DOUBLE AS delta, 1 AS n_items, amount::DOUBLE AS sales,
           0.0 AS settled FROM stage
    UNION ALL
    SELECT paid_date, customer_id, NULL, currency, invoice_date, due_date, disputed, amount < 0, -amount, -1,
           0, greatest(amount, 0) FROM stage WHERE paid_date IS NOT NULL"""
con.execute("BEGIN")
con.execute("INSERT INTO customers (customer_id) SELECT DISTINCT customer_id FROM stage")
con.execute("INSERT INTO ar_events " + events)
con.execute(f"""INSERT INTO ar_daily SELECT day, currency, invoice_date, due_date, disputed, credit_note,
    sum(delta), sum(n_items), sum(sales), sum(settled), count(*) FROM ({events}) GROUP BY ALL""")
con.execute("""INSERT INTO sales_daily SELECT s.invoice_date, s.currency, c.country, c.industry, c.customer_type,
    c.collector, sum(s.amount::DOUBLE) FROM stage s LEFT JOIN customers c USING (customer_id) GROUP BY ALL""")
con.execute("INSERT INTO invoices BY NAME SELECT * FROM stage")
con.execute("COMMIT")
print(json.dumps({"floor_seconds": time.perf_counter() - t0}))
'''


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1]) if out.stdout.strip() else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        csv = Path(tmp) / "ledger.csv"
        t0 = time.perf_counter()
        run(STEP_WRITE, str(csv), str(args.invoices))
        print(f"generated {args.invoices:,} invoices as CSV ({csv.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - t0:.1f} s")
        tiny = Path(tmp) / "warm.csv"
        tiny.write_text("\n".join(csv.read_text(encoding="utf-8").splitlines()[:11]) + "\n", encoding="utf-8")
        base = run(STEP_BASELINE, str(csv), str(tiny), str(Path(tmp) / "baseline.duckdb"))
        imp = run(STEP_IMPORT, str(csv), f"duckdb:///{Path(tmp) / 'bench.duckdb'}", str(tiny))
        floor = run(STEP_FLOOR, str(csv), str(Path(tmp) / "floor.duckdb"), str(tiny))
    rate = imp["rows"] / imp["seconds"]
    write = imp["seconds"] - imp["read_seconds"] - imp["check_seconds"]
    print(f"arboard import:       {imp['seconds']:.2f} s  ({rate:,.0f} invoices/s; "
          f"reading {imp['read_seconds']:.2f} s, parsing and validating {imp['check_seconds']:.2f} s, "
          f"writing ledger and derived tables {write:.2f} s)"
          f"  peak RSS {imp['peak_rss_mb']:.0f} MB")
    print(f"duckdb read_csv:      {base['count_seconds']:.2f} s count(*), {base['load_seconds']:.2f} s into an "
          f"in-memory table; {base['disk_seconds']:.2f} s into a table of a DuckDB file (context)")
    print(f"ratio to bare read_csv (count): {imp['seconds'] / base['count_seconds']:.1f}x; "
          f"to read_csv into a table: {imp['seconds'] / base['load_seconds']:.1f}x; "
          f"to DuckDB's own load into a file: {imp['seconds'] / base['disk_seconds']:.1f}x")
    print(f"floor: DuckDB SQL alone writing what the import writes (ledger and derived tables, no mapping or "
          f"validation): {floor['floor_seconds']:.2f} s = {floor['floor_seconds'] / base['load_seconds']:.1f}x "
          f"read_csv into a table; the import takes {imp['seconds'] / floor['floor_seconds']:.1f}x this floor")
    print(f"targets: <= 10 s for 1M invoices with validation, peak RSS <= 1500 MB, ratio <= 5x  "
          f"(children max RSS {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB)")


if __name__ == "__main__":
    main()
