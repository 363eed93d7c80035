from __future__ import annotations

import json
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from arboard import events, forecast, generate, schema, store
from tests.conftest import SMALL_SAMPLE


def test_forecast_and_backtest(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    as_of = SMALL_SAMPLE.end
    expected = forecast.expected_payments(engine, as_of, currency="EUR")
    assert (expected["expected_date"] > pd.Timestamp(as_of)).all()  # nothing is expected in the past
    assert expected.loc[expected["doubtful"], "due_date"].max() < pd.Timestamp(as_of - timedelta(days=180))
    weeks = forecast.weekly(expected, as_of)
    assert list(weeks["week"]) == list(range(1, 14))
    in_horizon = expected[~expected["doubtful"]
                          & (expected["expected_date"] <= pd.Timestamp(as_of) + pd.Timedelta(weeks=13))]
    assert weeks["expected"].sum() == pytest.approx(in_horizon["open_amount"].sum())
    day = as_of - timedelta(days=120)
    bt = forecast.backtest(engine, day, currency="EUR")
    assert len(bt.table) == 13 and bt.total_actual > 0
    assert bt.mae_per_week == pytest.approx(bt.table["error"].abs().mean())
    # Like for like: items the forecast calls doubtful are on neither side; what they cleared is apart.
    then = forecast.expected_payments(engine, day, currency="EUR")
    with engine.connect() as conn:
        paid = pd.DataFrame(conn.execute(sa.text("SELECT invoice_id, paid_date FROM invoices")).all(),
                            columns=["invoice_id", "paid_date"])
    then = then.merge(paid.astype({"paid_date": "datetime64[us]"}), on="invoice_id")
    inside = (then["paid_date"] > pd.Timestamp(day)) & (then["paid_date"] <= pd.Timestamp(day) + pd.Timedelta(weeks=13))
    assert bt.total_actual == pytest.approx(then.loc[inside & ~then["doubtful"], "open_amount"].sum())
    assert bt.doubtful_cleared == pytest.approx(then.loc[inside & then["doubtful"], "open_amount"].sum())
    assert bt.doubtful_cleared > 0  # the sample writes off what is never paid


def test_remaining_days_is_the_mean_wait_of_invoices_as_late():
    lateness = pd.DataFrame({"late": [0.0, 10.0, 30.0], "amount": [100.0, 100.0, 200.0]})
    got = forecast.remaining_days(lateness, np.array([-1.0, 5.0, 10.0, 30.0]))
    # Later than 5 days: 10 (100) and 30 (200): (1,000 + 6,000) / 300 = 23.3, so 18.3 days to go.
    assert got[:3] == pytest.approx([7_000 / 400 + 1, 7_000 / 300 - 5, 20.0])
    assert np.isnan(got[3])  # nothing was ever later: the caller falls back


def _invoices(rows):
    return pd.DataFrame(rows, columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount",
                                       "currency", "paid_date", "disputed"])


def test_early_payers_late_items_and_no_history(engine):
    """An early payer is expected before the due date, on it once that has passed; a late item after
    the time invoices as late took, at its debtor's pace; a debtor without history at the ledger's."""
    as_of = date(2026, 6, 30)
    d = lambda n: as_of + timedelta(days=n)  # noqa: E731
    rows = []
    for k in range(40):  # settled history: EARLY pays 4 days before due, SLOW 40 days after
        due = d(-350 + 7 * k)  # all settled within the 12 months before as_of
        rows.append((f"E{k}", "EARLY", due - timedelta(days=30), due, 100.0, "EUR", due - timedelta(days=4), False))
        rows.append((f"S{k}", "SLOW", due - timedelta(days=30), due, 100.0, "EUR", due + timedelta(days=40), False))
    rows += [("E-open-far", "EARLY", d(-10), d(20), 50.0, "EUR", None, False),
             ("E-open-near", "EARLY", d(-28), d(2), 50.0, "EUR", None, False),
             ("S-open-late", "SLOW", d(-90), d(-60), 50.0, "EUR", None, False),
             ("N-open", "NEW", d(-5), d(25), 50.0, "EUR", None, False),
             ("S-old", "SLOW", d(-260), d(-230), 50.0, "EUR", None, False)]
    inv = _invoices(rows)
    with engine.begin() as conn:
        store.append(conn, schema.invoices, inv)
    events.refresh(engine)
    got = forecast.expected_payments(engine, as_of).set_index("invoice_id")["expected_date"]
    assert got["E-open-far"] == pd.Timestamp(d(16))  # 4 days early
    assert got["E-open-near"] == pd.Timestamp(d(2))  # its early date has passed: the due date
    # 60 days late at SLOW's pace (40 days against the ledger's 18): as late as 27 days at the ledger's,
    # when only SLOW's 40-day invoices were later, 13 days before they cleared; 13 x 2.2 = 29 days.
    overall = (40 * 100 * 40 - 40 * 100 * 4) / (80 * 100)
    pace = 40 / overall
    assert got["S-open-late"] == pd.Timestamp(d(round((40 - 60 / pace) * pace)))
    assert got["N-open"] == pd.Timestamp(d(25 + round(overall)))  # no history: the ledger's delay
    # A running promise says when: the promised date, or tomorrow while its grace runs; a broken one does not.
    assert forecast.expected_payments(engine, as_of).set_index("invoice_id").loc["S-old", "doubtful"]
    promised = [("S-open-late", d(-3), d(9)), ("N-open", d(-10), d(-1)), ("E-open-far", d(-20), d(-10)),
                ("S-old", d(-5), d(30))]
    with engine.begin() as conn:
        store.append(conn, schema.contacts, pd.DataFrame([
            {"contact_id": f"K{n}", "customer_id": "X", "invoice_id": i, "contact_date": made, "channel": "phone",
             "kind": "promise_to_pay", "outcome": "promised", "promised_date": when}
            for n, (i, made, when) in enumerate(promised)]))
    after = forecast.expected_payments(engine, as_of).set_index("invoice_id")
    got = after["expected_date"]
    assert got["S-open-late"] == pd.Timestamp(d(9)) and got["N-open"] == pd.Timestamp(d(1))
    # A payment plan on old debt is cash expected: the promise brings it back into the figures.
    assert got["S-old"] == pd.Timestamp(d(30)) and not after.loc["S-old", "doubtful"]
    assert got["E-open-far"] == pd.Timestamp(d(16))  # broken (ended d(-7)): the model's date


def test_forecast_beats_expecting_every_invoice_on_its_due_date(engine):
    """A regression guard, not a benchmark (benchmarks/bench_forecast.py has the figures): over four
    backtests on the small sample, the weekly error is well under the naive forecast's."""
    generate.write_sample(engine, SMALL_SAMPLE)
    ours, naive_errors = [], []
    for days in (90, 120, 150, 180):
        as_of = SMALL_SAMPLE.end - timedelta(days=days)
        bt = forecast.backtest(engine, as_of)
        naive = forecast.expected_payments(engine, as_of)
        today = pd.Timestamp(as_of)
        naive["expected_date"] = naive["due_date"].where(naive["due_date"] > today, today + pd.Timedelta(days=1))
        weeks = forecast.weekly(naive, as_of).assign(actual=bt.table["actual"])
        ours.append(bt.mae_per_week)
        naive_errors.append((weeks["expected"] - weeks["actual"]).abs().mean())
        assert bt.total_expected == pytest.approx(bt.total_actual, rel=0.2)
    assert np.mean(ours) < 0.6 * np.mean(naive_errors)


# Two debtors whose payments on account pay I1 and U1 to the cent (sure matches); I2 is still to come.
CASH_AS_OF = date(2026, 3, 1)
CASH_INVOICES = pd.DataFrame({
    "invoice_id": ["I1", "I2", "U1"], "customer_id": ["C1", "C1", "C2"],
    "invoice_date": [date(2026, 2, 1), date(2026, 2, 5), date(2026, 2, 1)],
    "due_date": [date(2026, 3, 10), date(2026, 3, 20), date(2026, 3, 10)], "amount": [500.0, 200.0, 100.0],
    "currency": ["EUR", "EUR", "USD"]})
CASH_PAYMENTS = pd.DataFrame({"payment_id": ["P1", "P2"], "invoice_id": [None, None], "customer_id": ["C1", "C2"],
                              "payment_date": [date(2026, 2, 20), date(2026, 2, 21)], "amount": [500.0, 100.0],
                              "currency": ["EUR", "USD"]})


def test_cash_on_account_is_not_expected_again(engine, tmp_path):
    from arboard import fx, unapplied
    from tests.conftest import ledger_file, write_ledger

    as_of = CASH_AS_OF
    write_ledger(engine, invoices=CASH_INVOICES, payments=CASH_PAYMENTS)
    paid = unapplied.as_applied(unapplied.match_payments(engine, as_of).lines).items
    assert paid.to_dict() == {"I1": 500.0, "U1": 100.0}  # the exact amounts, sure matches
    rates = fx.Rates("EUR", {"USD": 0.9})
    before = forecast.expected_payments(engine, as_of, rates=rates)
    after = forecast.expected_payments(engine, as_of, rates=rates, paid=paid).set_index("invoice_id")
    # The money for I1 and U1 is in: only I2 is still to come, and the weeks count it alone.
    assert after["open_amount"].to_dict() == pytest.approx({"I1": 0, "I2": 200, "U1": 0})
    assert after["paid_on_account"].to_dict() == pytest.approx({"I1": 500, "I2": 0, "U1": 90})  # dollars at 0.9
    assert forecast.weekly(after.reset_index(), as_of)["expected"].sum() == pytest.approx(200)
    assert forecast.weekly(before, as_of)["expected"].sum() == pytest.approx(790)
    head = forecast.outlook(after.reset_index(), as_of)
    assert (head["open"], head["items"], head["paid_on_account"], head["paid_items"]) == pytest.approx((200, 1, 590, 2))
    assert forecast.outlook(before, as_of)["paid_on_account"] == 0
    # Part of an invoice: the rest is still expected; never more than is open.
    part = forecast.expected_payments(engine, as_of, paid=pd.Series({"I2": 50.0, "I1": 900.0}), currency="EUR")
    assert part.set_index("invoice_id")["open_amount"].to_dict() == pytest.approx({"I1": 0, "I2": 150})
    if engine.dialect.name != "duckdb":
        return
    # The command line reads the same: the cash on account is matched before the forecast.
    from typer.testing import CliRunner

    from arboard.cli import app

    url = ledger_file(tmp_path / "cli.duckdb", invoices=CASH_INVOICES, payments=CASH_PAYMENTS)
    got = CliRunner().invoke(app, ["forecast", "--as-of", as_of.isoformat(), "--currency", "EUR", "--db", url])
    assert got.exit_code == 0, got.output
    result = json.loads(got.stdout)
    assert (result["open"], result["paid_on_account"], result["paid_items"]) == (200, 500, 1)
