"""The late-payment model: no leakage, a real time split, honest baselines."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
import sqlalchemy as sa

from arboard import generate, model, schema
from tests.conftest import SMALL_SAMPLE

SPEC = replace(SMALL_SAMPLE, customers=400, invoices=15_000)


def test_feature_list_has_no_leakage():
    assert not set(model.FEATURES) & model.LEAKY
    for name in model.FEATURES:
        assert "paid" not in name and "settle" not in name


def test_features_ignore_the_future(duck_engine):
    generate.write_sample(duck_engine, SPEC)
    df = model.invoice_frame(duck_engine, SPEC.end)
    before = model.features(df)
    # Move every settlement dated after a cut-off further into the future, with nonsense lateness:
    # the features of invoices issued up to the cut-off must not move.
    cut = pd.Timestamp(SPEC.end) - pd.Timedelta(days=120)
    shifted = df.copy()
    recent = (shifted["paid_date"] >= cut).to_numpy()
    shifted.loc[recent, "paid_date"] = shifted.loc[recent, "paid_date"] + pd.Timedelta(days=100)
    shifted.loc[recent, "days_late"] = shifted.loc[recent, "days_late"] + 500
    after = model.features(shifted)
    early = (df["invoice_date"] <= cut).to_numpy()
    pd.testing.assert_frame_equal(before[early], after[early])
    assert not before[~early].equals(after[~early])  # later invoices do see the change


def test_time_split_and_baselines(duck_engine):
    generate.write_sample(duck_engine, SPEC)
    m = model.train(duck_engine, SPEC.end, test_months=3)
    ev = m.evaluation
    assert ev.train_period[1] < ev.test_period[0]  # train strictly older than test
    table = ev.table.set_index("method")
    assert set(table.index) == {"Model (gradient boosting)", "Baseline: everyone pays on time",
                                "Baseline: debtor's own late share"}
    assert table.loc["Model (gradient boosting)", "roc_auc"] > 0.7
    assert table.loc["Baseline: everyone pays on time", "roc_auc"] == 0.5
    assert set(ev.importance["feature"]) == set(model.FEATURES)
    items, debtors = model.risk_scores(duck_engine, m, SPEC.end)
    with duck_engine.connect() as conn:
        open_n = conn.execute(sa.select(sa.func.count()).select_from(schema.invoices)
                              .where(schema.invoices.c.paid_date.is_(None), schema.invoices.c.amount > 0)).scalar()
    assert len(items) == open_n
    assert debtors["risk_score"].between(0, 100).all()
    assert np.isfinite(items["p_very_late"]).all()
