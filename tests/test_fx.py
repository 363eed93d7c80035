"""Exchange rates: a debtor's currencies add up in one reporting currency where figures must mix them."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from arboard import aging, db, events, fx, generate, model, outreach, profiles
from arboard.cli import app
from arboard.errors import ArboardError
from tests import reference
from tests.conftest import SMALL_SAMPLE, replace_ledger
from tests.test_metrics import ledgers

AS_OF = SMALL_SAMPLE.end


def _rates_for(currencies) -> dict[str, float]:
    # Far from 1, so that a missed conversion shows.
    return {c: [0.087, 1.17, 1.06, 0.92, 11.5, 0.5][i % 6] for i, c in enumerate(sorted(currencies))}


@pytest.fixture
def ledger(engine):
    generate.write_sample(engine, SMALL_SAMPLE, rates=False)
    return engine


def test_saved_rates_round_trip_and_bad_input_changes_nothing(ledger):
    assert fx.load(ledger) == fx.Rates()
    saved = fx.save(ledger, " eur ", {"sek": "0,087", "USD": 0.92, "EUR": 3.0, "GBP": "", "CHF": float("nan")})
    assert saved == fx.Rates("EUR", {"SEK": 0.087, "USD": 0.92})  # own rate 1; blanks stay at face value
    assert fx.load(ledger) == saved
    version = db.data_version(ledger)
    for reporting, rates in [("EURO", {}), ("EUR", {"S€K": 1}), ("EUR", {"SEK": -1}), ("EUR", {"SEK": "abc"}),
                             ("EUR", {"SEK": math.inf}), ("EUR", {"SEK": 0}), ("=HYPERLINK(1)", {}),
                             ("EUR", {"SEK": "=1+1"})]:
        with pytest.raises(ArboardError) as info:
            fx.save(ledger, reporting, rates)
        assert "exchange rates" in str(info.value)
        assert fx.load(ledger) == saved and db.data_version(ledger) == version
    assert fx.save(ledger, None, {"SEK": 1}) == fx.Rates() == fx.load(ledger)


def test_saving_rates_refreshes_cached_figures_but_not_the_balance_events(ledger):
    events.ensure_current(ledger)
    before = db.data_version(ledger)
    fx.save(ledger, "EUR", {"SEK": 0.087})
    assert db.data_version(ledger) == before + 1  # the pages' caches key on it
    with ledger.connect() as conn:
        assert db.get_meta(conn, "events_version") == str(before + 1)  # nothing to rebuild


def test_balances_add_up_in_the_reporting_currency(ledger):
    """Against a reference: each debtor's per-currency balances, converted in pandas and summed."""
    per_currency = []
    currencies = sorted(_currencies(ledger))
    assert len(currencies) > 1
    rates = _rates_for(currencies)
    reporting = currencies[0]
    for cur in currencies:
        frame = aging.aging_by_customer(ledger, AS_OF, currency=cur)[["customer_id", "total", "overdue"]]
        factor = 1.0 if cur == reporting else rates[cur]
        per_currency.append(frame.assign(total=frame["total"] * factor, overdue=frame["overdue"] * factor))
    expected = pd.concat(per_currency).groupby("customer_id")[["total", "overdue"]].sum()

    saved = fx.save(ledger, reporting, rates)
    got = aging.aging_by_customer(ledger, AS_OF, rates=saved).set_index("customer_id")
    np.testing.assert_allclose(got.loc[expected.index, "total"], expected["total"], atol=0.02)
    np.testing.assert_allclose(got.loc[expected.index, "overdue"], expected["overdue"], atol=0.02)

    prof = profiles.debtor_profiles(ledger, AS_OF).set_index("customer_id")  # uses the saved rates
    shared = expected.index.intersection(prof.index)
    np.testing.assert_allclose(prof.loc[shared, "open_ar"], expected.loc[shared, "total"], atol=0.02)
    # Credit limits are taken to be in the reporting currency.
    use = prof.loc[shared, "open_ar"].clip(lower=0) / _limits(ledger).reindex(shared)
    np.testing.assert_allclose(prof.loc[shared, "utilisation"], use, rtol=1e-9)
    # Face value again once the reporting currency is dropped.
    fx.save(ledger, None, {})
    face = profiles.debtor_profiles(ledger, AS_OF).set_index("customer_id")
    raw = pd.concat(aging.aging_by_customer(ledger, AS_OF, currency=c)[["customer_id", "total"]]
                    for c in currencies).groupby("customer_id")["total"].sum()
    np.testing.assert_allclose(face.loc[shared, "open_ar"], raw.loc[shared], atol=0.02)


def _currencies(engine) -> list[str]:
    from arboard import openitems

    return [c for c, _ in openitems.currencies(engine)]


def _limits(engine) -> pd.Series:
    import sqlalchemy as sa

    from arboard import schema

    c = schema.customers
    with engine.connect() as conn:
        rows = conn.execute(sa.select(c.c.customer_id, c.c.credit_limit)).all()
    return pd.Series({k: float(v) if v is not None else np.nan for k, v in rows})


def test_model_amounts_are_in_the_reporting_currency(ledger):
    face = model.invoice_frame(ledger, AS_OF).set_index("invoice_id")
    currencies = _currencies(ledger)
    fx.save(ledger, currencies[0], {c: 0.5 for c in currencies[1:]})
    converted = model.invoice_frame(ledger, AS_OF).set_index("invoice_id")
    one = model.invoice_frame(ledger, AS_OF, currency=currencies[1]).set_index("invoice_id")
    assert (converted.loc[one.index, "amount"] == face.loc[one.index, "amount"] * 0.5).all()
    home = model.invoice_frame(ledger, AS_OF, currency=currencies[0])["invoice_id"]
    assert (converted.loc[home, "amount"] == face.loc[home, "amount"]).all()
    assert (one["amount"] > 0).all()  # one currency is never converted


def test_expected_collections_convert_each_debtors_currency():
    plan = pd.DataFrame({
        "customer_id": ["K1", "K2", "K2"], "group": ["unable", "unable", "unable"], "channel": ["email"] * 3,
        "currency": ["EUR", "SEK", "SEK"],
        "statement": [(("A1", None, 100.0),), (("B1", None, 1000.0),), (("B1", None, 1000.0), ("B2", None, 500.0))],
    })
    face = outreach.expected_collections(plan, {"email": 0.5})
    assert face["targeted"].tolist() == [1600.0] and face["expected"].tolist() == [800.0]
    eur = outreach.expected_collections(plan, {"email": 0.5}, fx_rates=fx.Rates("EUR", {"SEK": 0.1}))
    assert eur["targeted"].tolist() == pytest.approx([250.0]) and eur["expected"].tolist() == pytest.approx([125.0])


def test_notes_say_how_amounts_add_up():
    assert fx.note(fx.Rates(), ["EUR"]) is None
    assert "EUR, SEK at face value" in fx.note(fx.Rates(), ["SEK", "EUR"])
    assert fx.note(fx.Rates("EUR", {}), ["EUR"]) is None
    assert fx.note(fx.Rates("EUR", {"SEK": 0.1}), ["EUR", "SEK"]) == \
        "Amounts are in EUR at the exchange rates saved on the Data page."
    assert fx.note(fx.Rates("EUR", {"SEK": 0.1}), ["EUR", "SEK", "USD", "CHF"]).endswith(
        "CHF, USD have no rate and count at face value.")
    assert fx.note(fx.Rates("EUR", {}), ["EUR", "USD"]).endswith("USD has no rate and counts at face value.")
    assert fx.Rates("EUR", {}).unit(["SEK", "USD"]) == "EUR" and fx.Rates().unit(["SEK"]) == "SEK"
    assert fx.Rates().unit(["SEK", "USD"]) is None
    table = fx.rate_table(fx.Rates("EUR", {"SEK": 0.1}), ["EUR", "SEK", "USD"], "EUR")
    assert table["currency"].tolist() == ["SEK", "USD"] and table["per_unit"].iloc[0] == 0.1
    assert np.isnan(table["per_unit"].iloc[1])
    # Rates into EUR say nothing about rates into USD.
    assert fx.rate_table(fx.Rates("EUR", {"SEK": 0.1}), ["EUR", "SEK", "USD"], "USD")["per_unit"].isna().all()


def test_cli_shows_and_sets_rates(duck_url):
    engine = db.open_database(duck_url)
    generate.write_sample(engine, SMALL_SAMPLE, rates=False)
    engine.dispose()
    runner = CliRunner()
    shown = runner.invoke(app, ["rates", "--db", duck_url])
    assert shown.exit_code == 0 and "face value" in shown.output
    currencies = _currencies(db.open_database(duck_url))
    other = currencies[1]
    done = runner.invoke(app, ["rates", "--db", duck_url, "--reporting", currencies[0], "--set", f"{other}=0,5"])
    assert done.exit_code == 0, done.output
    assert f"1 {other} = 0.5 {currencies[0]}" in done.output
    assert "no rate (counts at face value)" in done.output or len(currencies) == 2
    bad = runner.invoke(app, ["rates", "--db", duck_url, "--set", f"{other}=-2"])
    assert bad.exit_code == 2 and "positive number" in bad.output
    assert fx.load(db.open_database(duck_url)).per_unit == {other: 0.5}
    seg = runner.invoke(app, ["segments", "--db", duck_url])
    assert seg.exit_code == 0 and json.loads(seg.stdout)["open_ar_currency"] == currencies[0]
    csv = runner.invoke(app, ["segments", "--db", duck_url, "--format", "csv"])
    assert csv.exit_code == 0 and f",{currencies[0]}," in csv.stdout.splitlines()[1]
    off = runner.invoke(app, ["rates", "--db", duck_url, "--reporting", "none"])
    assert off.exit_code == 0 and fx.load(db.open_database(duck_url)) == fx.Rates()
    seg = runner.invoke(app, ["segments", "--db", duck_url])
    assert json.loads(seg.stdout)["open_ar_currency"] is None  # several currencies at face value


def test_balance_bands_name_their_currency():
    from arboard.segments import balance_bands

    bands = balance_bands(pd.Series([10.0, 5_000.0, 1e6]), unit="EUR").tolist()
    assert bands == ["Small (< 1,000 EUR)", "Medium (1,000–25,000 EUR)", "Large (> 25,000 EUR)"]
    assert balance_bands(pd.Series([10.0])).tolist() == ["Small (< 1,000)"]  # several currencies at face value


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), picks=st.lists(st.sampled_from(["EUR", "SEK", "USD"]), min_size=16, max_size=16),
       sek=st.floats(0.01, 20), usd=st.floats(0.01, 20))
def test_debtor_balances_in_the_reporting_currency_match_a_reference(engine, ledger, picks, sek, usd):
    """Random ledgers in three currencies: each debtor's balance is its open items and unapplied cash,
    item by item, times the rate of the item's currency (naive pandas, tests/reference.py)."""
    inv, pay, as_of = ledger
    inv = inv.assign(currency=[picks[i % len(picks)] for i in range(len(inv))])
    by_invoice = dict(zip(inv["invoice_id"], inv["currency"], strict=True))
    pay = pay.assign(currency=[by_invoice.get(i, picks[-1 - k % 4]) for k, i in enumerate(pay["invoice_id"])])
    replace_ledger(engine, inv, pay)
    rates = fx.Rates("EUR", {"SEK": sek, "USD": usd})
    factor = {"EUR": 1.0, "SEK": sek, "USD": usd}
    expected: dict[str, float] = {}
    for invoice_id, amount in reference.open_amounts(inv, pay, as_of).items():
        row = inv[inv["invoice_id"] == invoice_id].iloc[0]
        expected[row.customer_id] = expected.get(row.customer_id, 0.0) + amount * factor[row.currency]
    for p in pay[pay["invoice_id"].isna()].itertuples():
        if p.payment_date <= as_of:
            expected[p.customer_id] = expected.get(p.customer_id, 0.0) - p.amount * factor[p.currency]
    got = aging.aging_by_customer(engine, as_of, rates=rates)
    got = dict(zip(got["customer_id"], got["total"], strict=True))
    for customer in set(expected) | set(got):
        assert got.get(customer, 0.0) == pytest.approx(expected.get(customer, 0.0), abs=0.02), customer


def _three_currencies(ledger, picks):
    """A random ledger's invoices and payments spread over EUR, SEK and USD (a payment on an invoice
    in the invoice's currency)."""
    inv, pay, as_of = ledger
    inv = inv.assign(currency=[picks[i % len(picks)] for i in range(len(inv))])
    by_invoice = dict(zip(inv["invoice_id"], inv["currency"], strict=True))
    pay = pay.assign(currency=[by_invoice.get(i, picks[-1 - k % 4]) for k, i in enumerate(pay["invoice_id"])])
    return inv, pay, as_of


def _converted(frame: pd.DataFrame, factor: dict[str, float]) -> pd.DataFrame:
    """The naive consolidation: every amount times its currency's rate, all of it then in EUR."""
    return frame.assign(amount=frame["amount"] * frame["currency"].map(factor).astype(float), currency="EUR")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), picks=st.lists(st.sampled_from(["EUR", "SEK", "USD"]), min_size=16, max_size=16),
       sek=st.floats(0.01, 20), usd=st.floats(0.01, 20))
def test_all_currencies_in_the_reporting_currency_match_a_reference(engine, ledger, picks, sek, usd):
    """Random three-currency ledgers: the KPIs and aging of all currencies together equal those of
    the ledger converted item by item at the rates (constant-currency figures), in naive pandas."""
    from arboard import kpis

    inv, pay, as_of = _three_currencies(ledger, picks)
    replace_ledger(engine, inv, pay)
    rates = fx.Rates("EUR", {"SEK": sek, "USD": usd})
    factor = {"EUR": 1.0, "SEK": sek, "USD": usd}
    ref_inv, ref_pay = _converted(inv, factor), _converted(pay, factor)
    got = kpis.kpis(engine, as_of, rates=rates)
    assert got["currency"] == "EUR"
    for key, value in reference.kpis(ref_inv, ref_pay, as_of).items():
        if value is None or got[key] is None:
            assert value is None and got[key] is None, key  # e.g. no sales in the window: no DSO
        else:
            assert got[key] == pytest.approx(value, rel=1e-6, abs=0.0051), key  # the report rounds to hundredths
    buckets = aging.aging(engine, as_of, rates=rates)
    expected = reference.aging(ref_inv, ref_pay, as_of)
    got_buckets = dict(zip(buckets["bucket"], buckets["amount"], strict=True))
    for bucket in set(got_buckets) | set(expected):  # a bucket under half a cent is not shown
        assert got_buckets.get(bucket, 0.0) == pytest.approx(expected.get(bucket, 0.0), abs=0.011), bucket
    # A single currency is never converted, whatever the rates.
    sek_only = kpis.kpis(engine, as_of, currency="SEK", rates=rates)
    sek_ref = reference.kpis(inv[inv["currency"] == "SEK"], pay[pay["currency"] == "SEK"], as_of)
    assert sek_only["currency"] == "SEK"
    assert sek_only["open_ar"] == pytest.approx(sek_ref["open_ar"], abs=0.011)


def test_overview_forecast_and_what_if_add_up_the_currencies(ledger):
    """All currencies in the reporting currency are the per-currency figures times their rates, for
    every additive figure the Overview, the cash forecast and the what-if baseline show."""
    from arboard import forecast, kpis, overview, scenarios

    currencies = _currencies(ledger)
    saved = fx.save(ledger, currencies[0], _rates_for(currencies[1:]))

    def weighted(fn):
        return sum(fn(c) * saved.rate(c) for c in currencies)

    ov = overview.overview(ledger, AS_OF, rates=saved)
    assert ov.unit == currencies[0] and ov.currency is None
    per = {c: overview.overview(ledger, AS_OF, currency=c, rates=saved) for c in currencies}
    assert all(p.unit == c and not p.rates.active for c, p in per.items())  # one currency stays in it
    now = ov.tiles.set_index("as_of").loc[AS_OF]
    for key in ("open_ar", "overdue_ar", "not_due_ar", "unapplied", "disputed_ar", "sales_window"):
        assert now[key] == pytest.approx(weighted(lambda c, k=key: per[c].tiles.set_index("as_of").loc[AS_OF, k]),
                                         rel=1e-9, abs=0.05), key
    assert now["dso"] == pytest.approx(now["open_ar"] / now["sales_window"] * 90, rel=1e-9)
    trend = ov.trend.set_index("as_of")["open_ar"]
    for d, value in trend.items():
        assert value == pytest.approx(weighted(lambda c, d=d: per[c].trend.set_index("as_of")["open_ar"].get(d, 0.0)),
                                      rel=1e-9, abs=0.05)
    risk = ov.at_risk.set_index("month")
    assert risk["invoiced"].to_numpy() == pytest.approx(
        sum(per[c].at_risk.set_index("month")["invoiced"].to_numpy() * saved.rate(c) for c in currencies))
    assert ov.customers["total"].sum() == pytest.approx(now["open_ar"], abs=0.5)
    assert ov.breakdown["open_ar"].sum() == pytest.approx(ov.customers["total"].sum(), abs=0.05)
    by_currency = kpis.kpis_by(ledger, AS_OF, "currency", rates=saved).set_index("dim")["open_ar"]
    for c in currencies:
        assert by_currency[c] == pytest.approx(per[c].tiles.set_index("as_of").loc[AS_OF, "open_ar"] * saved.rate(c),
                                               abs=0.05)

    expected = forecast.weekly(forecast.expected_payments(ledger, AS_OF, rates=saved), AS_OF)["expected"]
    assert expected.to_numpy() == pytest.approx(sum(
        forecast.weekly(forecast.expected_payments(ledger, AS_OF, currency=c), AS_OF)["expected"].to_numpy()
        * saved.rate(c) for c in currencies))
    sim = scenarios.Simulator(ledger, AS_OF, rates=saved)
    assert sim.base["open_ar"] == pytest.approx(now["open_ar"], abs=0.05)
    faster = scenarios.Scenario(name="Faster", days_late=(("unable_to_pay", -20), ("wont_pay", -15)))
    assert sim.project(faster).cash_released == pytest.approx(sum(
        scenarios.Simulator(ledger, AS_OF, currency=c).project(faster).cash_released * saved.rate(c)
        for c in currencies), rel=1e-9)
    assert scenarios.Simulator(ledger, AS_OF, currency=currencies[1], rates=saved).base["open_ar"] == pytest.approx(
        per[currencies[1]].tiles.set_index("as_of").loc[AS_OF, "open_ar"], abs=0.05)


def test_cli_all_currencies_use_the_saved_rates(duck_url, tmp_path):
    """`--currency all` adds the currencies up in the reporting currency once one is saved."""
    from arboard import kpis

    engine = db.open_database(duck_url)
    generate.write_sample(engine, SMALL_SAMPLE, rates=False)
    currencies = _currencies(engine)
    face = kpis.kpis(engine, AS_OF)["open_ar"]
    engine.dispose()
    run, day = CliRunner().invoke, AS_OF.isoformat()
    # Without rates, no --currency means the largest currency, never a face-value sum.
    plain = json.loads(run(app, ["report", "--as-of", day, "--db", duck_url]).stdout)
    assert plain["currency"] == currencies[0] and plain["all_currencies"] is False
    engine = db.open_database(duck_url)
    saved = fx.save(engine, currencies[0], _rates_for(currencies[1:]))
    expected = kpis.kpis(engine, AS_OF, rates=saved)["open_ar"]
    engine.dispose()
    assert expected != pytest.approx(face)
    # With rates, as the pages start: all currencies in the reporting currency, and the JSON says so.
    default = json.loads(run(app, ["report", "--as-of", day, "--db", duck_url]).stdout)
    assert default["all_currencies"] is True and default["open_ar"] == pytest.approx(expected, abs=0.01)
    report = run(app, ["report", "--as-of", day, "--currency", "all", "--db", duck_url])
    assert report.exit_code == 0, report.output
    result = json.loads(report.stdout)
    assert result["currency"] == currencies[0] and result["open_ar"] == pytest.approx(expected, abs=0.01)
    one = json.loads(run(app, ["report", "--as-of", day, "--currency", currencies[1], "--db", duck_url]).stdout)
    assert one["currency"] == currencies[1] and one["all_currencies"] is False
    weeks = json.loads(run(app, ["forecast", "--as-of", day, "--currency", "all", "--db", duck_url]).stdout)
    assert weeks["currency"] == currencies[0] and weeks["all_currencies"] is True
    whatif = json.loads(run(app, ["whatif", "Baseline", "--as-of", day, "--currency", "all", "--db", duck_url]).stdout)
    assert whatif["currency"] == currencies[0]
    listed = run(app, ["disputes", "--as-of", day, "--currency", "all", "--db", duck_url])
    assert listed.exit_code == 0 and f" {currencies[0]}) as of {day}" in listed.stdout, listed.output
    exported = tmp_path / "debtors.csv"
    assert run(app, ["export", "--as-of", day, "--currency", "all", "--out", str(exported), "--db", duck_url]
               ).exit_code == 0
    assert set(pd.read_csv(exported)["amounts_in"]) == {currencies[0]}
    pdf = tmp_path / "all.pdf"
    made = run(app, ["summary", "--as-of", day, "--currency", "all", "--out", str(pdf), "--db", duck_url])
    assert made.exit_code == 0, made.output and pdf.read_bytes().startswith(b"%PDF-")


def test_debtor_list_adds_up_each_debtors_currencies(ledger):
    from arboard import explorer

    currencies = _currencies(ledger)
    face = explorer.debtor_table(ledger, AS_OF)
    assert set(face["amounts_in"]) == {"several currencies at face value"}
    saved = fx.save(ledger, currencies[0], _rates_for(currencies[1:]))
    table = explorer.debtor_table(ledger, AS_OF, rates=saved)
    assert set(table["amounts_in"]) == {currencies[0]}
    expected = aging.aging_by_customer(ledger, AS_OF, rates=saved).set_index("customer_id")["total"]
    np.testing.assert_allclose(table.set_index("customer_id").loc[expected.index, "total"], expected, atol=0.01)
    one = explorer.debtor_table(ledger, AS_OF, currency=currencies[1], rates=saved)
    assert set(one["amounts_in"]) == {currencies[1]}
    assert one["total"].sum() == pytest.approx(
        aging.aging_by_customer(ledger, AS_OF, currency=currencies[1])["total"].sum(), abs=0.05)


def test_disputes_of_all_currencies_add_up_in_the_reporting_currency(ledger):
    from arboard import disputes

    currencies = _currencies(ledger)
    assert "open_value" not in disputes.open_disputes(ledger, AS_OF).columns  # no rates: as before
    saved = fx.save(ledger, currencies[0], _rates_for(currencies[1:]))
    table = disputes.open_disputes(ledger, AS_OF, rates=saved)
    np.testing.assert_allclose(table["open_value"], table["open_amount"] * table["currency"].map(saved.rate),
                               atol=0.011)
    per = {c: disputes.open_disputes(ledger, AS_OF, currency=c, rates=saved) for c in currencies}
    assert all("open_value" not in p.columns for p in per.values())  # one currency stays in it
    assert sorted(table["invoice_id"]) == sorted(i for p in per.values() for i in p["invoice_id"])
    got = disputes.summary(table, target_days=30)
    parts = {c: disputes.summary(p, target_days=30) for c, p in per.items()}
    assert got.amount == pytest.approx(sum(s.amount * saved.rate(c) for c, s in parts.items()), abs=0.05)
    assert got.over_target_amount == pytest.approx(
        sum(s.over_target_amount * saved.rate(c) for c, s in parts.items()), abs=0.05)
    assert disputes.by_age(table)["amount"].sum() == pytest.approx(got.amount, abs=0.05)
