"""Nothing after the as-of date: every as-of figure equals the same figure on the ledger cut at that date.

The cut ledger is what a credit manager's export would have held on the as-of date: the invoices
issued by then (settled only if settled by then), the payments and the contacts dated by then. A
figure that differs between the two read something from after the as-of date.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from arboard import (
    aging,
    db,
    disputes,
    events,
    explorer,
    forecast,
    fx,
    generate,
    kpis,
    model,
    outreach,
    overview,
    profiles,
    promises,
    provision,
    scenarios,
    schema,
    store,
)
from tests.conftest import SMALL_SAMPLE
from tests.support import pgserver

SPEC = replace(SMALL_SAMPLE, customers=400, invoices=6_000)
AS_OF = SPEC.end - timedelta(days=75)


def _read(conn: sa.Connection, table: sa.Table) -> pd.DataFrame:
    return pd.DataFrame(conn.execute(sa.select(table)).mappings().all(), columns=[c.name for c in table.columns])


@pytest.fixture(scope="module", params=["duckdb", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ledgers(request, tmp_path_factory):
    """(the whole ledger, the ledger as it stood on AS_OF), on DuckDB and on PostgreSQL."""
    if request.param == "duckdb":
        folder = tmp_path_factory.mktemp("as_of")
        urls = [f"duckdb:///{folder / name}" for name in ("full.duckdb", "cut.duckdb")]
    else:
        server = request.getfixturevalue("pg_server")
        urls = [pgserver.new_database(server) for _ in range(2)]
    full = db.open_database(urls[0])
    generate.write_sample(full, SPEC)
    cut = db.open_database(urls[1])
    inv, pay, con = schema.invoices, schema.payments, schema.contacts
    with full.connect() as src:
        customers = _read(src, schema.customers)
        invoices = _read(src, inv)
        payments = _read(src, pay)
        contacts = _read(src, con)
    invoices = invoices[invoices["invoice_date"] <= AS_OF].copy()
    invoices["paid_date"] = invoices["paid_date"].where(invoices["paid_date"].map(lambda d: d is not None
                                                                                 and d <= AS_OF), None)
    with cut.begin() as conn:
        store.append(conn, schema.customers, customers)
        store.append(conn, inv, invoices)
        store.append(conn, pay, payments[payments["payment_date"] <= AS_OF])
        store.append(conn, con, contacts[contacts["contact_date"] <= AS_OF])
    events.refresh(cut)
    rates = fx.load(full)  # settings, not dated events: the same on both
    fx.save(cut, rates.reporting, rates.per_unit)
    yield full, cut
    full.dispose()
    cut.dispose()


def _same(a: pd.DataFrame, b: pd.DataFrame, key: str | list[str]) -> None:
    order = [key] if isinstance(key, str) else key
    pd.testing.assert_frame_equal(a.sort_values(order).reset_index(drop=True),
                                  b.sort_values(order).reset_index(drop=True), check_exact=False, rtol=1e-9)


def test_the_cut_ledger_is_a_real_cut(ledgers):
    full, cut = ledgers
    with full.connect() as a, cut.connect() as b:
        later = a.execute(sa.select(sa.func.count()).where(schema.invoices.c.invoice_date > AS_OF)).scalar()
        kept = b.execute(sa.select(sa.func.count()).select_from(schema.invoices)).scalar()
        total = a.execute(sa.select(sa.func.count()).select_from(schema.invoices)).scalar()
    assert later > 0 and kept == total - later


@pytest.mark.parametrize("name", ["profiles", "aging", "debtors", "promises", "open_disputes", "forecast"])
def test_tables_as_of_read_nothing_later(ledgers, name):
    full, cut = ledgers
    make, key = {
        "profiles": (lambda e: profiles.debtor_profiles(e, AS_OF), "customer_id"),
        "aging": (lambda e: aging.aging_by_customer(e, AS_OF), "customer_id"),
        "debtors": (lambda e: explorer.debtor_table(e, AS_OF), "customer_id"),
        "promises": (lambda e: promises.promises(e, AS_OF), "invoice_id"),
        "open_disputes": (lambda e: disputes.open_disputes(e, AS_OF), "invoice_id"),
        "forecast": (lambda e: forecast.expected_payments(e, AS_OF), "invoice_id"),
    }[name]
    whole, then = make(full), make(cut)
    assert len(whole)
    _same(whole, then, key)


def test_figures_as_of_read_nothing_later(ledgers):
    full, cut = ledgers
    assert kpis.kpis(full, AS_OF) == kpis.kpis(cut, AS_OF)
    assert promises.kept_rate(full, AS_OF) == promises.kept_rate(cut, AS_OF)
    assert disputes.resolution_days(full, AS_OF) == disputes.resolution_days(cut, AS_OF)
    base = scenarios.Scenario()
    a, b = scenarios.project(full, AS_OF, base), scenarios.project(cut, AS_OF, base)
    pd.testing.assert_frame_equal(a.metrics, b.metrics)


def test_the_contact_plan_reads_nothing_later(ledgers):
    full, cut = ledgers
    settings = outreach.PlanSettings()
    plans = [outreach.render_messages(outreach.plan_inputs(e, AS_OF).build(AS_OF, settings)) for e in (full, cut)]
    assert len(plans[0])
    pd.testing.assert_frame_equal(*plans)


def test_the_overview_reads_nothing_later(ledgers):
    full, cut = ledgers
    a, b = overview.overview(full, AS_OF), overview.overview(cut, AS_OF)
    for part in ("tiles", "trend", "aging_trend", "at_risk", "customers", "breakdown"):
        pd.testing.assert_frame_equal(getattr(a, part), getattr(b, part), obj=part)


def test_the_late_payment_model_reads_nothing_later(ledgers):
    """Trained on outcomes known by the as-of date only: the same model, the same risk scores."""
    full, cut = ledgers
    a, b = model.train(full, AS_OF), model.train(cut, AS_OF)
    pd.testing.assert_frame_equal(a.evaluation.table, b.evaluation.table)
    for x, y in zip(model.risk_scores(full, a, AS_OF), model.risk_scores(cut, b, AS_OF), strict=True):
        pd.testing.assert_frame_equal(x, y)


def test_the_provision_reads_nothing_later(ledgers):
    """The loss rates follow each observation only up to the as-of date: a write-off after it is unknown."""
    full, cut = ledgers
    policy = provision.ProvisionPolicy(lookback_months=6, outcome_months=6)
    rates = fx.load(full)
    a, b = (provision.matrix(e, AS_OF, policy=policy, rates=rates) for e in (full, cut))
    assert a.history and a.provision > 0
    pd.testing.assert_frame_equal(a.table, b.table)
    assert (a.written_off_12m, a.credits, a.writeoffs_from) == pytest.approx((b.written_off_12m, b.credits,
                                                                              b.writeoffs_from))
    pd.testing.assert_frame_equal(provision.by_debtor(full, a),
                                  provision.by_debtor(cut, b))
