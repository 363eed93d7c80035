"""The bad-debt provision: a worked example, the loss experience against a naive reference on random
ledgers (DuckDB and PostgreSQL), the policy, the per-debtor list and the command line."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from arboard import events, impairments, provision, schema, store
from arboard.cli import app
from arboard.errors import ArboardError
from tests import reference
from tests.conftest import replace_ledger, snapshot, write_ledger
from tests.test_metrics import ledgers

AS_OF = date(2026, 12, 31)
ONE = provision.ProvisionPolicy(lookback_months=1)  # the month end a year before: 31 Dec 2025


def _ledger(engine, *, payments: bool = True):
    """Observed on 31 Dec 2025: I1 not due, paid in full; I2 30 days late with 600 open, later cleared
    with 100 more paid (500 written off); I3 91 days late, never paid; I4 not due, settled by an
    open-items report; I5 a credit note; I6 not due, cleared without a payment (written off). Open on
    31 Dec 2026: I3, I7 (not due) and I8 (30 days late, 200 of 1,000 paid)."""
    inv = pd.DataFrame([
        ("I1", "A", date(2025, 12, 1), date(2025, 12, 31), 1000.0, date(2026, 1, 20), False),
        ("I2", "A", date(2025, 11, 1), date(2025, 12, 1), 1000.0, date(2026, 9, 30), False),
        ("I3", "B", date(2025, 9, 1), date(2025, 10, 1), 2000.0, None, False),
        ("I4", "B", date(2025, 12, 10), date(2026, 1, 9), 500.0, date(2026, 3, 31), True),
        ("I5", "B", date(2025, 12, 5), date(2025, 12, 5), -300.0, None, False),
        ("I6", "A", date(2025, 12, 20), date(2026, 1, 19), 800.0, date(2026, 2, 15), False),
        ("I7", "A", date(2026, 12, 1), date(2026, 12, 31), 1500.0, None, False),
        ("I8", "C", date(2026, 11, 1), date(2026, 12, 1), 1000.0, None, False),
    ], columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "paid_date",
                "paid_from_open_items"]).assign(currency="EUR", disputed=False)
    pay = pd.DataFrame([
        ("P1", "I1", "A", date(2026, 1, 20), 1000.0), ("P2", "I2", "A", date(2025, 12, 15), 400.0),
        ("P3", "I2", "A", date(2026, 9, 30), 100.0), ("P8", "I8", "C", date(2026, 12, 10), 200.0),
    ], columns=["payment_id", "invoice_id", "customer_id", "payment_date", "amount"]).assign(currency="EUR")
    cust = pd.DataFrame({"customer_id": ["A", "B", "C"], "name": ["Acme Ltd", "Bolt GmbH", "Cato SA"]})
    write_ledger(engine, customers=cust, invoices=inv, **({"payments": pay} if payments else {}))


def test_worked_example(engine):
    _ledger(engine)
    m = provision.matrix(engine, AS_OF, policy=ONE)
    assert m.observation_dates == [date(2025, 12, 31)] and m.writeoffs_from == date(2025, 12, 15)
    t = m.table.set_index("bucket")
    # Not due then: I1 1,000 + I4 500 + I6 800 observed, I6's 800 lost (I4 counts as collected).
    assert t.loc["Not due", ["observed", "lost", "observations"]].tolist() == [2300.0, 800.0, 3]
    # 1–30 then: I2's 600 open, 500 of it written off. 91–120 then: I3, still open 456 days past due.
    assert t.loc["1–30", ["observed", "lost"]].tolist() == [600.0, 500.0]
    assert t.loc["91–120", ["observed", "lost", "historical_rate"]].tolist() == [2000.0, 2000.0, 1.0]
    assert t.loc["Not due", "historical_rate"] == pytest.approx(800 / 2300)
    # Now: I7 1,500 not due x 34.78% = 521.74; I8's 800 open x 83.33% = 666.67; I3 (over 120) has no history.
    assert t.loc["Not due", ["open", "invoices", "provision"]].tolist() == [1500.0, 1, 521.74]
    assert t.loc["1–30", ["open", "provision"]].tolist() == [800.0, 666.67]
    assert t.loc["Over 120", ["open", "source", "provision"]].tolist() == [2000.0, "no history", 0.0]
    assert m.without_history == ["Over 120"] and m.provision == pytest.approx(1188.41)
    assert m.open == 4300.0 and m.coverage == pytest.approx(1188.41 / 4300)
    # Written off in 2026: I2's 500 and I6's 800. The credit note is not provided for.
    assert m.written_off_12m == pytest.approx(1300.0) and m.credits == -300.0
    # Rates set by hand win; the outlook moves the historical ones (+10%).
    policy = provision.ProvisionPolicy(lookback_months=1, outlook=10, rates={"Over 120": 100})
    t = provision.matrix(engine, AS_OF, policy=policy).table.set_index("bucket")
    assert t["provision"].tolist() == [573.91, 733.33, 0.0, 0.0, 0.0, 2000.0]
    assert t.loc["Over 120", "source"] == "set by hand" and t.loc["1–30", "source"] == "history"
    debtors = provision.by_debtor(engine, provision.matrix(engine, AS_OF, policy=policy))
    assert debtors[["customer_id", "name", "open", "oldest_bucket", "provision"]].values.tolist() == [
        ["B", "Bolt GmbH", 2000.0, "Over 120", 2000.0], ["C", "Cato SA", 800.0, "1–30", 733.33],
        ["A", "Acme Ltd", 1500.0, "Not due", 573.91]]


def test_debtors_provided_for_one_by_one_leave_the_matrix(engine):
    _ledger(engine)
    # C (I8: 800 open, 1–30) is insolvent from 15 Dec 2026: 100%, outside the matrix. B (I3: 2,000 over 120,
    # and a credit note) is provided for at 25% from 2 Jan 2027, after the as-of date: still in the matrix.
    impairments.assess(engine, "C", rate=100, reason="Insolvency filed", on=date(2026, 12, 15),
                       today=date(2027, 1, 10), by="Ann")
    impairments.assess(engine, "B", rate=25, reason="Claim with the lawyers", on=date(2027, 1, 2),
                       today=date(2027, 1, 10))
    m = provision.matrix(engine, AS_OF, policy=ONE)
    t = m.table.set_index("bucket")
    assert t.loc["1–30", ["open", "invoices", "provision"]].tolist() == [0.0, 0, 0.0]
    assert t.loc["Not due", "provision"] == 521.74 and t.loc["1–30", "historical_rate"] == pytest.approx(500 / 600)
    assert m.specific[["customer_id", "name", "currency", "invoices", "open", "rate", "provision", "reason",
                       "assessed_by"]].values.tolist() == [
        ["C", "Cato SA", "EUR", 1, 800.0, 100.0, 800.0, "Insolvency filed", "Ann"]]
    assert m.specific_provision == 800.0 and m.provision == pytest.approx(1321.74)
    assert m.open == 4300.0 and m.credits == -300.0  # the same receivables, provided for otherwise
    debtors = provision.by_debtor(engine, m)
    assert debtors[["customer_id", "provision", "basis"]].values.tolist() == [
        ["C", 800.0, "Specific provision, 100%: Insolvency filed"], ["A", 521.74, "Provision matrix"],
        ["B", 0.0, "Provision matrix"]]
    assert debtors["provision"].sum() == pytest.approx(m.provision)
    # Before the assessment, C is in the matrix; after B's, B is provided for at 25% (500 on 2,000).
    assert provision.matrix(engine, date(2026, 12, 14), policy=ONE).specific.empty
    later = provision.matrix(engine, date(2027, 1, 31), policy=ONE)
    assert later.specific.set_index("customer_id")["provision"].to_dict() == {"B": 500.0, "C": 800.0}
    assert later.table["open"].sum() == 1500.0
    # In another currency, the assessments in force show with nothing open.
    usd = provision.matrix(engine, AS_OF, policy=ONE, currency="USD")
    assert usd.specific[["customer_id", "open", "provision"]].values.tolist() == [["C", 0.0, 0.0]]


def test_without_payments_only_long_overdue_items_count_as_lost(engine):
    _ledger(engine, payments=False)
    m = provision.matrix(engine, AS_OF, policy=ONE)
    assert m.writeoffs_from is None and m.written_off_12m == 0.0
    t = m.table.set_index("bucket")
    assert t.loc["Not due", ["observed", "lost"]].tolist() == [2300.0, 0.0]
    assert t.loc["1–30", ["observed", "lost"]].tolist() == [1000.0, 0.0]
    assert t.loc["91–120", ["observed", "lost"]].tolist() == [2000.0, 2000.0]


def test_before_any_history(engine):
    _ledger(engine)
    m = provision.matrix(engine, date(2026, 1, 31), policy=ONE)
    assert not m.history and m.provision == 0.0 and set(m.without_history) <= set(m.table["bucket"])
    assert m.table["historical_rate"].isna().all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers())
def test_experience_matches_reference(engine, ledger):
    inv, pay, as_of = ledger
    replace_ledger(engine, inv, pay)
    policy = provision.ProvisionPolicy(lookback_months=6, outcome_months=3, doubtful_days=60)
    dates = policy.observation_dates(as_of)
    with engine.connect() as conn:
        first = conn.execute(sa.select(sa.func.min(schema.payments.c.payment_date)).where(
            schema.payments.c.invoice_id.is_not(None), schema.payments.c.payment_date <= as_of)).scalar()
    got = provision.experience(engine, as_of, policy=policy, writeoffs_from=first).set_index("bucket")
    expected = reference.provision_experience(inv, pay, as_of, dates, doubtful_days=60)
    for bucket, row in got.iterrows():
        seen, lost = expected.get(bucket, (0.0, 0.0))
        assert row["observed"] == pytest.approx(seen, abs=1e-6) and row["lost"] == pytest.approx(lost, abs=1e-6)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), rates=st.lists(st.one_of(st.none(), st.integers(0, 10_000)), min_size=3, max_size=3))
def test_specific_provisions_match_reference(engine, ledger, rates):
    """Debtors C0..C2 provided for one by one at random rates (None: in the matrix): each one's open
    invoices as a naive reference sums them, nothing provided for twice, the per-debtor list adds up."""
    inv, pay, as_of = ledger
    with engine.begin() as conn:
        for t in (schema.invoices, schema.payments, schema.customers, schema.specific_provisions):
            conn.execute(sa.delete(t))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C0", "C1", "C2"]}))
    events.refresh(engine)
    own = {f"C{k}": r / 100 for k, r in enumerate(rates) if r is not None}
    for who, rate in own.items():
        impairments.assess(engine, who, rate=rate, reason="Insolvency filed", on=as_of, today=max(as_of, date.today()))
    m = provision.matrix(engine, as_of, policy=provision.ProvisionPolicy(lookback_months=3, outcome_months=3))
    left = reference.open_amounts(inv, pay, as_of)
    owner = dict(zip(inv["invoice_id"], inv["customer_id"], strict=True))
    positive = {i: v for i, v in left.items() if v > 0.004 and float(inv.set_index("invoice_id").at[i, "amount"]) > 0}
    expected = {who: sum(v for i, v in positive.items() if owner[i] == who) for who in own}
    got = m.specific.set_index("customer_id")
    assert set(got.index) == set(own)
    for who, rate in own.items():
        assert got.at[who, "open"] == pytest.approx(expected[who], abs=1e-6)
        assert got.at[who, "provision"] == pytest.approx(round(expected[who] * rate / 100, 2), abs=0.011)
    assert m.open == pytest.approx(sum(positive.values()), abs=1e-6)
    assert float(m.table["open"].sum()) == pytest.approx(sum(positive.values()) - sum(expected.values()), abs=1e-6)
    debtors = provision.by_debtor(engine, m)
    assert debtors["provision"].sum() == pytest.approx(m.provision, abs=0.01 * (len(debtors) + 6))


def test_observation_dates():
    assert provision.ProvisionPolicy(lookback_months=3).observation_dates(date(2026, 11, 22)) == [
        date(2025, 8, 31), date(2025, 9, 30), date(2025, 10, 31)]
    assert provision.ProvisionPolicy(lookback_months=2, outcome_months=3).observation_dates(date(2026, 5, 31)) == [
        date(2026, 1, 31), date(2026, 2, 28)]
    assert provision.previous_month_end(date(2026, 11, 22)) == date(2026, 10, 31)


def test_policy_is_checked_saved_and_described(duck_engine):
    assert provision.load(duck_engine) == provision.ProvisionPolicy()
    for bad in ({"lookback_months": 0}, {"outcome_months": 40}, {"doubtful_days": 5}, {"outlook": -80},
                {"outlook": "10"}, {"rates": {"Over 120": 120}}, {"rates": {"91-120": 50}}, {"edges": (60, 30)},
                {"lookback_months": 2.5}):
        with pytest.raises(ArboardError):
            provision.ProvisionPolicy(**bad)
    policy = provision.save(duck_engine, provision.ProvisionPolicy(outlook=-5, rates={"Over 90": 80},
                                                                   edges=(30, 90)))
    assert provision.load(duck_engine) == policy and policy.spec.labels == ["Not due", "1–30", "31–90", "Over 90"]
    assert policy.describe(date(2026, 11, 22)) == (
        "Loss rates from the open invoices at the 12 month ends Nov 2024 to Oct 2025, each followed for 12 months "
        "or more: lost is what was written off, or is still open more than 180 days past due. Every rate −5% for "
        "the outlook. Set by hand: Over 90 80%.")
    from arboard.db import set_meta

    for raw in ('{"outlook": 900}', "[1]", "not json", '{"rates": [1]}', '{"edges": "x"}'):
        with duck_engine.begin() as conn:
            set_meta(conn, provision.KEY, raw)
        assert provision.load(duck_engine) == provision.ProvisionPolicy()


def test_cli_shows_sets_and_exports(engine, tmp_path):
    _ledger(engine)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    before = snapshot(engine)
    bad = runner.invoke(app, ["provision", "--lookback", "0", "--db", url])
    assert bad.exit_code == 2 and "from 1 to 36" in bad.output and snapshot(engine) == before
    bad = runner.invoke(app, ["provision", "--rate", "Over 200=50", "--db", url])
    assert bad.exit_code == 2 and "no bucket 'Over 200'" in bad.output and snapshot(engine) == before
    out = tmp_path / "provision.xlsx"
    done = runner.invoke(app, ["provision", "--lookback", "1", "--rate", "Over 120=100", "--as-of", "2026-12-31",
                               "--out", str(out), "--db", url])
    assert done.exit_code == 0, done.output
    text = " ".join(done.output.split())
    assert "Provision: EUR 3,188.41 on 4,300.00 open (74.1%)" in text and "No history" not in text
    assert "open invoices at the end of Dec 2025, followed for 12 months" in text
    sheet = pd.read_excel(out)
    assert sheet["customer_id"].tolist() == ["B", "C", "A"] and sheet["provision"].tolist() == [2000.0, 666.67,
                                                                                                 521.74]
    assert provision.load(engine) == provision.ProvisionPolicy(lookback_months=1, rates={"Over 120": 100})
    shown = runner.invoke(app, ["provision", "--as-of", "2026-12-31", "--format", "json", "--db", url])
    assert shown.exit_code == 0, shown.output
    import json

    data = json.loads(shown.output)
    assert data["provision"] == pytest.approx(3188.41) and data["buckets"][0]["bucket"] == "Not due"


def test_the_form_gives_a_policy():
    policy = provision.ProvisionPolicy(rates={"Over 120": 80.0})
    frame = provision.rates_frame(policy)
    assert frame["bucket"].tolist()[-1] == "Over 120" and frame["rate"].isna().sum() == 5
    frame.loc[1, "rate"] = 2.5
    got = provision.from_form(policy, lookback_months=6, outcome_months=12, doubtful_days=365, outlook=-10.0,
                              edges="30; 60, 90,120", rates=frame)
    assert got == provision.ProvisionPolicy(6, 12, 365, -10.0, (30, 60, 90, 120), {"1–30": 2.5, "Over 120": 80.0})
    # New edges: the rates set by hand belonged to the old buckets.
    assert provision.from_form(policy, lookback_months=12, outcome_months=12, doubtful_days=180, outlook=0,
                               edges="45, 90", rates=frame).rates == {}
    for edges in ("30, x", "90, 30", ""):
        with pytest.raises(ArboardError):
            provision.from_form(policy, lookback_months=12, outcome_months=12, doubtful_days=180, outlook=0,
                                edges=edges, rates=frame)
