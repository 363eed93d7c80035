from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from arboard import forecast, generate
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
