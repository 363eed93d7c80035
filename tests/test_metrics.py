"""Metrics: the published worked examples, and SQL against a naive pandas reference on random ledgers."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arboard import aging, dso, kpis
from tests import reference
from tests.conftest import replace_ledger

# --- published test vectors -------------------------------------------------------------------

def test_standard_dso_vector():
    assert dso.standard_dso(200_000, 2_000_000, 365) == pytest.approx(36.5)


def test_countback_dso_vector():
    assert dso.countback_dso(212_000, [(100_000, 30), (80_000, 30), (70_000, 30)]) == pytest.approx(73.714, abs=1e-3)


def test_cei_vectors():
    assert dso.cei(6_200, 10_890, 6_340, 3_590) == pytest.approx(79.6, abs=0.05)
    assert dso.cei(6_200, 10_890, 6_340, 3_590, months=3, average_sales=True) == pytest.approx(55.9, abs=0.05)


def test_weighted_days_vector():
    assert dso.weighted_days([10, 100], [5, 10]) == pytest.approx(9.545, abs=1e-3)


def test_add_never_negative():
    assert dso.average_days_delinquent(30, 40) == 0
    assert dso.countback_dso(0, [(10, 30)]) == 0
    assert dso.countback_dso(0, [(0, 30), (None, 31)]) is None  # before the ledger starts, as standard DSO
    assert dso.countback_dso(1_000, [(10, 30), (0, 31)]) == 61  # AR beyond all sales: a lower bound


def test_aging_labels():
    assert aging.AgingSpec().labels == ["Not due", "1–30", "31–60", "61–90", "91–120", "Over 120"]
    assert aging.AgingSpec(edges=(15, 45), basis="invoice").labels == ["0–15", "16–45", "Over 45"]
    with pytest.raises(ValueError):
        aging.AgingSpec(edges=(30, 10))


def test_bucket_colours_warm_up_however_many_buckets():
    default = [*aging.AgingSpec().labels, aging.UNAPPLIED]
    assert aging.bucket_colours(default) == [*aging.BUCKET_COLOURS[:6], aging.UNAPPLIED_COLOUR]
    many = aging.AgingSpec(edges=(7, 15, 30, 45, 60, 90, 120, 180, 270, 365)).labels
    assert len(many) == 12 > len(aging.BUCKET_COLOURS)
    colours = aging.bucket_colours([*many, aging.UNAPPLIED])
    assert len(set(colours)) == 13 and colours[-1] == aging.UNAPPLIED_COLOUR
    # The ramp is spread, not cycled: the oldest buckets were painted the green of "not due".
    assert colours[0] == aging.BUCKET_COLOURS[0] and colours[11] == aging.BUCKET_COLOURS[-1]
    rgb = [tuple(int(c[i:i + 2], 16) for i in (1, 3, 5)) for c in colours[:12]]
    assert all(r > g for r, g, _b in rgb[4:])  # the older half is warm


# --- SQL against the reference on random ledgers -------------------------------------------------

START = date(2025, 1, 1)
days = st.integers(min_value=0, max_value=540)


@st.composite
def ledgers(draw):
    n = draw(st.integers(1, 12))
    inv_rows, pay_rows = [], []
    for i in range(n):
        d0 = START + timedelta(days=draw(days))
        terms = draw(st.sampled_from([0, 14, 30, 60]))
        amount = draw(st.integers(-20_000, 500_000)) / 100 or 1.0
        settled = draw(st.one_of(st.none(), st.integers(0, 150)))
        paid = d0 + timedelta(days=settled) if settled is not None else None
        inv_rows.append({"invoice_id": f"I{i}", "customer_id": f"C{i % 3}", "invoice_date": d0,
                         "due_date": d0 + timedelta(days=terms), "amount": amount, "currency": "EUR",
                         "paid_date": paid, "disputed": draw(st.booleans())})
        for k in range(draw(st.integers(0, 2))):
            pay_rows.append({"payment_id": f"P{i}-{k}", "invoice_id": f"I{i}", "customer_id": f"C{i % 3}",
                             "payment_date": d0 + timedelta(days=draw(st.integers(0, 100))),
                             "amount": draw(st.integers(1, 100_000)) / 100, "currency": "EUR"})
    for k in range(draw(st.integers(0, 2))):
        pay_rows.append({"payment_id": f"U{k}", "invoice_id": None, "customer_id": "C0",
                         "payment_date": START + timedelta(days=draw(days)),
                         "amount": draw(st.integers(1, 5_000)) / 100, "currency": "EUR"})
    # Payments on an invoice are kept strictly before its settlement date, as the model says.
    inv = pd.DataFrame(inv_rows)
    paid_by = dict(zip(inv["invoice_id"], inv["paid_date"], strict=True))
    pay_rows = [p for p in pay_rows if p["invoice_id"] is None or paid_by[p["invoice_id"]] is None
                or p["payment_date"] < paid_by[p["invoice_id"]]]
    pay = pd.DataFrame(pay_rows, columns=["payment_id", "invoice_id", "customer_id", "payment_date", "amount",
                                          "currency"])
    as_of = START + timedelta(days=draw(st.integers(0, 600)))
    return inv, pay, as_of


def _close(a, b, tol=1e-6):
    a = None if a is not None and pd.isna(a) else a
    if a is None or b is None:
        return a is None and b is None
    return a == pytest.approx(b, rel=1e-6, abs=tol)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers())
def test_sql_matches_reference(engine, ledger):
    inv, pay, as_of = ledger
    replace_ledger(engine, inv, pay)
    got = aging.aging(engine, as_of)
    expected = reference.aging(inv, pay, as_of)
    assert dict(zip(got["bucket"], got["amount"], strict=True)) == pytest.approx(expected, abs=1e-6)
    k = kpis.kpis(engine, as_of)
    ref = reference.kpis(inv, pay, as_of)
    assert sum(b["amount"] for b in k["aging"]) == pytest.approx(k["open_ar"], abs=0.011)  # buckets add up
    for key, value in ref.items():
        assert _close(k[key], value, tol=0.0051), (key, k[key], value)  # the report rounds to hundredths


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers())
def test_trend_points_match_single_dates(duck_engine, ledger):
    inv, pay, as_of = ledger
    replace_ledger(duck_engine, inv, pay)
    trend = kpis.kpi_trend(duck_engine, as_of, months=4)
    for row in trend.itertuples():
        ref = reference.kpis(inv, pay, row.as_of)
        assert _close(row.dso, ref["dso"]) and _close(row.countback_dso, ref["countback_dso"])
        assert _close(row.open_ar, ref["open_ar"])


def test_aging_by_customer_adds_up(engine):
    from arboard import generate
    from tests.conftest import SMALL_SAMPLE

    generate.write_sample(engine, SMALL_SAMPLE)
    as_of = date(2026, 9, 30)
    per_customer = aging.aging_by_customer(engine, as_of, currency="EUR")
    total = aging.aging(engine, as_of, currency="EUR")
    assert per_customer["total"].sum() == pytest.approx(total["amount"].sum(), abs=0.05)
    assert (per_customer["overdue"].diff().dropna() <= 1e-9).all()  # largest overdue first
    by_country = kpis.kpis_by(engine, as_of, "country", currency="EUR")
    assert by_country["open_ar"].sum() == pytest.approx(total["amount"].sum(), abs=0.05)
    risk = kpis.at_risk(engine, as_of, months=6)
    assert len(risk) == 6 and risk["rate"].between(0, 100).all()


def test_cli_report_json_and_csv(duck_url):
    import json

    from typer.testing import CliRunner

    from arboard import db, generate
    from arboard.cli import app
    from tests.conftest import SMALL_SAMPLE

    generate.write_sample(db.open_database(duck_url), SMALL_SAMPLE)
    runner = CliRunner()
    out = runner.invoke(app, ["report", "--as-of", "2026-09-30", "--db", duck_url])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    for key in ("open_ar", "not_due_ar", "overdue_ar", "dso", "countback_dso", "bpdso", "add", "cei", "pct_current"):
        assert key in data
    assert data["currency"] == "EUR"
    assert {"bucket", "amount", "count"} <= set(data["aging"][0])
    assert sum(b["amount"] for b in data["aging"]) == pytest.approx(data["open_ar"], abs=0.05)
    csv = runner.invoke(app, ["report", "--as-of", "2026-09-30", "--db", duck_url, "--format", "csv",
                              "--currency", "usd", "--edges", "15,45", "--basis", "invoice"])
    assert csv.exit_code == 0 and "aging:Over 45:amount" in csv.stdout
    bad = runner.invoke(app, ["report", "--as-of", "31/09/2026", "--db", duck_url])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_overview_breakdown_by_another_attribute(duck_engine):
    from arboard import generate, overview
    from tests.conftest import SMALL_SAMPLE

    generate.write_sample(duck_engine, SMALL_SAMPLE)
    ov = overview.overview(duck_engine, SMALL_SAMPLE.end, currency="EUR")
    assert overview.breakdown_by(duck_engine, ov, "country") is ov.breakdown
    direct = overview.overview(duck_engine, SMALL_SAMPLE.end, currency="EUR", dimension="industry").breakdown
    pd.testing.assert_frame_equal(overview.breakdown_by(duck_engine, ov, "industry"), direct)
