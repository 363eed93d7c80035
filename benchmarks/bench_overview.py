"""Overview benchmark: everything the Overview page computes, cold, on a large generated ledger.

Prints, for DuckDB (default 10M invoices) and PostgreSQL (default 1M invoices):
the time of the whole Overview workload (KPI tiles now and a month ago, 24-month KPI and aging
trends, at-risk rates, aging by customer, breakdown by country: arboard.overview.overview), each part, and the ratio to
one bare full scan of the invoices table measured in the same process; then the same workload for all
currencies together in EUR (converted in SQL) as a ratio to EUR alone, run after each EUR run.

    python benchmarks/bench_overview.py [--duckdb-invoices 10000000] [--pg-invoices 1000000]
           [--duckdb-url URL] [--skip-pg]

Ledgers are generated into a temporary folder unless --duckdb-url points at an existing one.
Each measurement runs in a fresh process, so nothing is cached ("cold").
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
END = date(2026, 10, 31)

WORKLOAD = """
import json, sys, time
from datetime import date
from arboard import db, fx, generate
from arboard.kpis import KpiSettings
from arboard.overview import overview
import sqlalchemy as sa

engine = db.make_engine(sys.argv[1])
as_of = date.fromisoformat(sys.argv[2])
currency = None if sys.argv[3] == "all" else sys.argv[3]
# All currencies in EUR: the ledger's saved rates, else the sample's (nothing is written).
rates = fx.load(engine)
rates = rates if rates.active else fx.Rates(generate.REPORTING, generate.SAMPLE_RATES)
timings = {}
t_all = time.perf_counter()
s = KpiSettings()
overview(engine, as_of, settings=s, currency=currency, timings=timings, rates=rates)
total = time.perf_counter() - t_all
engine.dispose()
print(json.dumps({"total": total, "steps": timings}))
"""

SCAN = """
import json, sys, time
from arboard import db
import sqlalchemy as sa
engine = db.make_engine(sys.argv[1])
t = time.perf_counter()
with engine.connect() as conn:
    n = conn.execute(sa.text("SELECT count(*), sum(amount), min(invoice_date), max(due_date), "
                             "count(paid_date), count(DISTINCT customer_id) FROM invoices")).one()[0]
print(json.dumps({"seconds": time.perf_counter() - t, "rows": n}))
"""


def run(code: str, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, cwd=ROOT)
    if out.returncode:
        sys.exit(f"benchmark step failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def generate(url: str, invoices: int) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "arboard.cli", "generate", "--customers", str(max(1000, invoices // 50)),
                    "--invoices", str(invoices), "--seed", "1", "--end", END.isoformat(), "--db", url],
                   check=True, capture_output=True, cwd=ROOT)
    return time.perf_counter() - t


def measure(label: str, url: str, repeats: int) -> None:
    runs, together = [], []
    for _ in range(repeats):  # each run in a fresh process: cold
        workload = run(WORKLOAD, url, END.isoformat(), "EUR")
        scan = run(SCAN, url)
        runs.append((workload, scan))
        together.append(run(WORKLOAD, url, END.isoformat(), "all")["total"] / workload["total"])
    runs.sort(key=lambda r: r[0]["total"] / r[1]["seconds"])
    workload, scan = runs[len(runs) // 2]  # the median run by ratio
    ratios = [w["total"] / s["seconds"] for w, s in runs]
    print(f"\n{label}: {scan['rows']:,} invoices (median of {repeats} cold runs)")
    for name, seconds in workload["steps"].items():
        print(f"  {name:<34} {seconds:6.2f} s")
    print(f"  {'whole Overview workload (cold)':<34} {workload['total']:6.2f} s"
          f"   (all runs {min(w['total'] for w, _ in runs):.2f}–{max(w['total'] for w, _ in runs):.2f} s)")
    print(f"  {'bare full scan of invoices':<34} {scan['seconds']:6.2f} s")
    print(f"  ratio to the scan: {ratios[len(ratios) // 2]:.1f}x   (all runs {ratios[0]:.1f}–{ratios[-1]:.1f}x)")
    together.sort()
    print(f"  all currencies in EUR (converted in SQL) vs EUR alone: {together[len(together) // 2]:.2f}x"
          f"   (all runs {together[0]:.2f}–{together[-1]:.2f}x)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duckdb-invoices", type=int, default=10_000_000)
    parser.add_argument("--pg-invoices", type=int, default=1_000_000)
    parser.add_argument("--duckdb-url", help="an existing generated ledger (skips generation)")
    parser.add_argument("--skip-pg", action="store_true")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.duckdb_url
        if not args.skip_duckdb:
            if not url:
                url = f"duckdb:///{Path(tmp) / 'bench.duckdb'}"
                took = generate(url, args.duckdb_invoices)
                print(f"generated {args.duckdb_invoices:,} invoices into DuckDB in {took:.0f} s")
            measure("DuckDB", url, args.repeats)
    if args.skip_pg:
        return
    sys.path.insert(0, str(ROOT))
    from tests.support import pgserver

    if not pgserver.available():
        print("\nPostgreSQL: server binaries not installed; skipped")
        return
    with pgserver.throwaway_postgres() as server:
        url = pgserver.new_database(server)
        took = generate(url, args.pg_invoices)
        print(f"\ngenerated {args.pg_invoices:,} invoices into PostgreSQL in {took:.0f} s")
        measure("PostgreSQL", url, args.repeats)


if __name__ == "__main__":
    main()
