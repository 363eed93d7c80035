from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa

from arboard import generate, kpis, scenarios, schema
from arboard.errors import ArboardError
from arboard.scenarios import Scenario
from arboard.segments import SegmentConfig
from tests import reference
from tests.conftest import SMALL_SAMPLE

AS_OF = SMALL_SAMPLE.end


def _ledger(engine):
    with engine.connect() as conn:
        inv = pd.read_sql(sa.select(schema.invoices), conn)
        pay = pd.read_sql(sa.select(schema.payments), conn)
    for frame, cols in ((inv, ["invoice_date", "due_date", "paid_date"]), (pay, ["payment_date"])):
        for c in cols:
            frame[c] = pd.to_datetime(frame[c]).dt.date
    return inv, pay


def test_worked_example_days_late_and_terms():
    """Three invoices by hand: 10 days sooner closes one, Net 60 keeps another not yet due."""
    as_of = date(2026, 3, 31)
    items = pd.DataFrame({
        "invoice_id": ["A", "B", "C"], "customer_id": ["slow", "slow", "good"],
        "invoice_date": pd.to_datetime(["2026-02-01", "2026-03-01", "2026-03-10"]),
        "due_date": pd.to_datetime(["2026-03-03", "2026-03-31", "2026-04-09"]),
        "open_amount": [1000.0, 500.0, 200.0],
        "settle_date": pd.to_datetime(["2026-04-05", "2026-04-20", "2026-04-09"]),
    })
    groups = pd.Series({"slow": "unable_to_pay", "good": "willing_and_able"})
    sooner = scenarios.simulate(items, groups, Scenario(days_late=(("unable_to_pay", -10),)), as_of)
    assert list(sooner["open_base"]) == [1, 1, 1]
    assert list(sooner["open_scn"]) == [0, 1, 1]  # A would have been paid on 26 March
    net60 = scenarios.simulate(items, groups, Scenario(terms=(("unable_to_pay", 60),)), as_of)
    # B: due 30 April instead of 31 March, paid 30 days after due as before.
    assert net60.loc[1, "new_due"] == pd.Timestamp("2026-04-30")
    assert net60.loc[1, "new_settle"] == pd.Timestamp("2026-05-20")
    assert (net60["open_amount"] * net60["not_due_scn"]).sum() == 1000 + 500 + 200
    assert (net60["open_amount"] * net60["not_due_base"]).sum() == 500 + 200


def test_promises_lever_uses_expected_values():
    as_of = date(2026, 3, 31)
    items = pd.DataFrame({
        "invoice_id": ["broken", "kept"], "customer_id": ["x", "x"],
        "invoice_date": pd.to_datetime(["2026-01-01", "2026-01-01"]),
        "due_date": pd.to_datetime(["2026-01-31", "2026-01-31"]),
        "open_amount": [1000.0, 400.0], "settle_date": pd.to_datetime(["2026-05-01", "2026-03-15"]),
        "promise_kept": [False, True], "promise_broken": [True, False], "promise_share": [0.5, 1.0],
    })
    groups = pd.Series({"x": "unable_to_pay"})
    more = scenarios.simulate(items, groups, Scenario(promise_kept_share=0.75), as_of, base_kept_share=0.5)
    # Half of the broken promises kept, for the half of the invoice that was promised.
    assert more.loc[0, "open_scn"] == pytest.approx(1 - 0.5 * 0.5)
    fewer = scenarios.simulate(items, groups, Scenario(promise_kept_share=0.25), as_of, base_kept_share=0.5)
    assert fewer.loc[1, "open_scn"] == pytest.approx(0.5)


def test_baseline_matches_the_kpis_and_the_reference(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    sim = scenarios.Simulator(engine, AS_OF, currency="EUR")
    base = sim.project(Scenario())
    k = kpis.kpis(engine, AS_OF, currency="EUR")
    for metric in ("open_ar", "dso", "bpdso", "add"):
        assert base.value(metric, "baseline") == pytest.approx(k[metric], abs=0.01)
        assert base.value(metric) == pytest.approx(base.value(metric, "baseline"), abs=1e-6)
    assert base.cash_released == pytest.approx(0, abs=1e-6)
    # The simulated items carry exactly the open positive invoices of the naive reference.
    inv, pay = _ledger(engine)
    inv = inv[inv["currency"] == "EUR"]
    ref = {i: v for i, v in reference.open_amounts(inv, pay, AS_OF).items()
           if float(inv.loc[inv["invoice_id"] == i, "amount"].iloc[0]) > 0}
    items = sim.items(1)
    mine = items[items["settle_date"].isna() | (items["settle_date"] > pd.Timestamp(AS_OF))]
    assert dict(zip(mine["invoice_id"], mine["open_amount"].round(2), strict=True)) == pytest.approx(ref)


def test_paying_sooner_releases_cash_as_the_naive_count_says(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    sim = scenarios.Simulator(engine, AS_OF, currency="EUR")
    shift = tuple((g, -15) for g in scenarios.LEVER_GROUPS)
    proj = sim.project(Scenario(name="All 15 days sooner", days_late=shift))
    items = sim.items(1)
    day = pd.Timestamp(AS_OF)
    was_open = items["settle_date"].isna() | (items["settle_date"] > day)
    new = (items["settle_date"] - pd.Timedelta(days=15)).clip(lower=items["invoice_date"])
    closes = was_open & items["settle_date"].notna() & (new <= day)
    released = float(items.loc[closes, "open_amount"].sum())
    assert released > 0
    assert proj.cash_released == pytest.approx(released, rel=1e-9)
    assert proj.value("open_ar") == pytest.approx(proj.value("open_ar", "baseline") - released)
    # Cash released = ΔDSO × average daily credit sales.
    d_dso = proj.value("dso", "baseline") - proj.value("dso")
    assert proj.cash_released == pytest.approx(d_dso * proj.daily_sales)
    assert proj.value("add") < proj.value("add", "baseline")
    # Paying later re-opens invoices settled in the last weeks.
    later = sim.project(Scenario(days_late=(("willing_and_able", 20),)))
    assert later.cash_released < 0
    assert later.groups.set_index("group").loc["willing_and_able", "ar_change"] == pytest.approx(-later.cash_released)
    # The forecast moves with the settlements: by any week, at least as much has come in.
    ahead = proj.cash_released + proj.weeks["scenario"].cumsum() - proj.weeks["baseline"].cumsum()
    assert (ahead >= -1e-6).all()
    assert set(proj.levers["lever"]) == {"Days late"}


def test_thresholds_move_debtors_between_groups(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    strict = replace(SegmentConfig(), wont_min_days_late=5.0, wont_max_response=0.9)
    proj = scenarios.project(engine, AS_OF, Scenario(name="strict", thresholds=strict,
                                                      days_late=(("wont_pay", -30),)), currency="EUR")
    g = proj.groups.set_index("group")
    assert g.loc["wont_pay", "customers_scn"] > g.loc["wont_pay", "customers_base"]
    assert g["customers_scn"].sum() == g["customers_base"].sum()


def test_saved_scenarios_round_trip_and_compare(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    a = Scenario(name="Plans for unable", days_late=(("unable_to_pay", -10),), promise_kept_share=0.8,
                 note="payment plans")
    b = Scenario(name="Net 14 for won't pay", terms=(("wont_pay", 14),),
                 thresholds=replace(SegmentConfig(), wont_min_days_late=20.0))
    scenarios.save_scenario(engine, a)
    scenarios.save_scenario(engine, b)
    assert scenarios.load_scenario(engine, a.name) == a
    assert scenarios.load_scenario(engine, b.name) == b
    assert scenarios.scenario_names(engine)[0] == scenarios.BASELINE
    assert set(scenarios.scenario_names(engine)) == {scenarios.BASELINE, a.name, b.name}
    sim = scenarios.Simulator(engine, AS_OF - timedelta(days=30), currency="EUR")
    table = scenarios.compare(sim.project(a), sim.project(b))
    assert list(table.columns) == ["label", "unit", a.name, b.name, "difference"]
    assert table.iloc[-1]["label"] == "Cash released vs baseline"
    scenarios.delete_scenario(engine, a.name)
    with pytest.raises(ArboardError, match="No scenario"):
        scenarios.load_scenario(engine, a.name)
    with pytest.raises(ArboardError, match="another name"):
        scenarios.save_scenario(engine, Scenario())


@pytest.mark.parametrize("doc, message", [
    ({"days_late": {"unable_to_pay": 500}}, "between"),
    ({"days_late": {"everyone": 5}}, "unknown group"),
    ({"terms": {"wont_pay": "soon"}}, "whole days"),
    ({"promise_kept_share": 1.5}, "between 0 and 100"),
    ({"promise_kept_share": "most"}, "number"),
    ({"days_late": [1, 2]}, "map groups"),
])
def test_bad_scenarios_are_refused_clearly(doc, message):
    with pytest.raises(ArboardError, match=message):
        Scenario.from_dict(doc)


def test_cash_on_account_is_neither_expected_again_nor_moved_by_a_lever(engine, tmp_path):
    """Money in on account pays I1 and U1: the baseline's receipts are the Cash forecast's (I2 alone), and a
    lever moving every debtor's payments moves I2 only; the cash released is I2's."""
    from arboard import forecast, fx, unapplied
    from tests.conftest import ledger_file, write_ledger
    from tests.test_forecast import CASH_AS_OF, CASH_INVOICES, CASH_PAYMENTS

    as_of = CASH_AS_OF
    write_ledger(engine, invoices=CASH_INVOICES, payments=CASH_PAYMENTS)
    rates = fx.Rates("EUR", {"USD": 0.9})
    paid = unapplied.match_payments(engine, as_of).paid()
    assert paid.to_dict() == {"I1": 500.0, "U1": 100.0}
    sooner = Scenario(name="Sooner", days_late=tuple((g, -60) for g in scenarios.LEVER_GROUPS))
    before = scenarios.Simulator(engine, as_of, rates=rates)
    after = scenarios.Simulator(engine, as_of, rates=rates, paid=paid)
    base_before, base_after = before.project(Scenario()), after.project(Scenario())
    expected = forecast.expected_payments(engine, as_of, rates=rates, paid=paid)
    assert base_after.weeks["baseline"].sum() == pytest.approx(forecast.weekly(expected, as_of)["expected"].sum())
    assert base_after.weeks["baseline"].sum() == pytest.approx(200)
    assert base_before.weeks["baseline"].sum() == pytest.approx(790)  # I1 and U1 counted twice
    assert (base_after.paid_on_account, base_after.paid_items) == (pytest.approx(590), 2)
    assert (base_before.paid_on_account, base_before.paid_items) == (0, 0)
    # The KPIs count the cash already (unapplied cash against the invoices): the baseline is the same.
    assert base_after.metrics["baseline"].tolist() == pytest.approx(base_before.metrics["baseline"].tolist())
    # Everyone pays 60 days sooner: only I2 can still come in; the money for I1 and U1 is in already.
    scn = after.project(sooner)
    assert scn.cash_released == pytest.approx(200)
    assert scn.weeks["scenario"].sum() == pytest.approx(0)  # I2 comes in before the as-of date
    assert scn.value("open_ar") == pytest.approx(0)
    # Counting them again, the same lever made more cash come in than was owed.
    assert before.project(sooner).value("open_ar") == pytest.approx(-590)
    assert scn.groups["open_invoices"].sum() == pytest.approx(200)
    if engine.dialect.name != "duckdb":
        return
    # The command line matches the cash on account before projecting.
    import json

    from typer.testing import CliRunner

    from arboard.cli import app

    url = ledger_file(tmp_path / "cli.duckdb", invoices=CASH_INVOICES, payments=CASH_PAYMENTS)
    got = CliRunner().invoke(app, ["whatif", "Baseline", "--as-of", as_of.isoformat(), "--currency", "EUR",
                                   "--db", url])
    assert got.exit_code == 0, got.output
    result = json.loads(got.stdout)
    assert (result["paid_on_account"], result["paid_items"]) == (500, 1)
    assert sum(g["open_invoices"] for g in result["scenarios"][0]["groups"]) == 200
