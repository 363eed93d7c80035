from __future__ import annotations

import io

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from arboard import db, explorer, generate
from arboard.cli import app
from tests.conftest import SMALL_SAMPLE


def test_filters_and_exports(duck_engine, tmp_path):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    table = explorer.debtor_table(duck_engine, SMALL_SAMPLE.end, currency="EUR")
    assert table["customer_id"].is_unique and len(table)
    wont = explorer.filter_debtors(table, explorer.Filters(groups=("wont_pay",)))
    assert set(wont["group"]) <= {"wont_pay"}
    big = explorer.filter_debtors(table, explorer.Filters(min_amount=1000, min_days_past_due=30, disputed_only=True))
    assert (big["total"] >= 1000).all() and (big["days_past_due"] >= 30).all() and (big["disputed"] > 0).all()
    assert explorer.filter_debtors(table, explorer.Filters(text="no-such-debtor")).empty
    wb = openpyxl.load_workbook(io.BytesIO(explorer.to_xlsx(table, sheet_per_group=True)))
    assert wb.sheetnames[0] == "All" and len(wb.sheetnames) > 2
    assert wb["All"].freeze_panes == "A2" and wb["All"].auto_filter.ref
    assert not any(c.data_type == "f" for ws in wb for row in ws.iter_rows() for c in row)


def test_credit_limit_use(duck_url, tmp_path):
    engine = db.open_database(duck_url)
    generate.write_sample(engine, SMALL_SAMPLE)
    table = explorer.debtor_table(engine, SMALL_SAMPLE.end, currency="EUR")
    engine.dispose()
    limited = table[table["credit_limit"] > 0]
    assert len(limited) and table.loc[table["credit_limit"].isna(), "utilisation"].isna().all()
    assert (limited["utilisation"] * limited["credit_limit"]).round(2).equals(limited["total"].clip(lower=0).round(2))
    over = explorer.filter_debtors(table, explorer.Filters(min_utilisation=1.0))
    count, above = explorer.over_limit(table)
    assert len(over) >= count > 0 and (over["total"] >= over["credit_limit"]).all()
    assert above == pytest.approx((over["total"] - over["credit_limit"]).sum(), abs=0.05)
    assert explorer.sort_debtors(over, "utilisation")["utilisation"].is_monotonic_decreasing
    out = tmp_path / "over.csv"
    made = CliRunner().invoke(app, ["export", "--over-limit", "--currency", "EUR", "--out", str(out), "--db", duck_url,
                                    "--as-of", SMALL_SAMPLE.end.isoformat()])
    assert made.exit_code == 0, made.output
    assert len(pd.read_csv(out, encoding="utf-8-sig")) == len(over)


def test_cli_export(duck_url, tmp_path):
    generate.write_sample(db.open_database(duck_url), SMALL_SAMPLE)
    out = tmp_path / "debtors.csv"
    result = CliRunner().invoke(app, ["export", "--as-of", "2026-10-31", "--group", "wont_pay", "--min-overdue",
                                      "100", "--out", str(out), "--db", duck_url])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.startswith("customer_id,name") and "wont_pay" in text
    bad = CliRunner().invoke(app, ["export", "--group", "nope", "--out", str(out), "--db", duck_url])
    assert bad.exit_code == 2


def test_debtor_timeline_shows_planned_contacts(duck_engine):
    from arboard import outreach, profiles, timeline

    generate.write_sample(duck_engine, SMALL_SAMPLE)
    as_of = SMALL_SAMPLE.end
    full = outreach.make_plan(duck_engine, as_of)
    debtor = full["customer_id"].iloc[0]
    plan = outreach.debtor_plan(duck_engine, as_of, debtor,
                                profile_frame=profiles.debtor_profiles(duck_engine, as_of))
    mine = full[full["customer_id"] == debtor]
    assert list(plan["date"]) == list(mine["date"]) and list(plan["step"]) == list(mine["step"])
    events = timeline.with_plan(timeline.debtor_timeline(duck_engine, debtor, as_of=as_of), plan)
    planned = events[events["event"].str.startswith("Planned: ")]
    assert len(planned) == len(plan)
    assert (pd.to_datetime(planned["date"]) > pd.Timestamp(as_of)).all()
    assert pd.to_datetime(events["date"]).is_monotonic_decreasing


def test_sort_orders_all_matches_with_missing_values_last():
    import pandas as pd

    from arboard.explorer import sort_debtors

    table = pd.DataFrame({"customer_id": ["b", "a", "c", "d"], "name": ["beta", "Alpha", "gamma", "delta"],
                          "overdue": [5.0, 5.0, 9.0, 1.0], "risk_score": [None, 10.0, 90.0, 50.0]})
    assert list(sort_debtors(table)["customer_id"]) == ["c", "a", "b", "d"]  # ties by id
    assert list(sort_debtors(table, "risk_score", descending=False)["customer_id"]) == ["a", "d", "c", "b"]
    assert list(sort_debtors(table, "risk_score")["customer_id"]) == ["c", "d", "a", "b"]
    assert list(sort_debtors(table, "name", descending=False)["name"]) == ["Alpha", "beta", "delta", "gamma"]
    assert list(sort_debtors(table, "no such column")["customer_id"]) == ["c", "a", "b", "d"]


def test_timeline_amounts_carry_their_currency(engine):
    """A debtor billed in euros and dollars: every amount on the timeline says which."""
    from datetime import date

    from arboard import schema, store, timeline

    inv = pd.DataFrame({"invoice_id": ["E1", "U1"], "customer_id": ["C1", "C1"],
                        "invoice_date": [date(2026, 9, 1)] * 2, "due_date": [date(2026, 10, 1)] * 2,
                        "amount": [100.0, 200.0], "currency": ["EUR", "USD"], "paid_date": [None, date(2026, 10, 5)],
                        "disputed": [False] * 2})
    pay = pd.DataFrame({"payment_id": ["P1"], "invoice_id": ["U1"], "customer_id": ["C1"],
                        "payment_date": [date(2026, 10, 5)], "amount": [200.0], "currency": ["USD"]})
    con = pd.DataFrame({"contact_id": ["K1"], "customer_id": ["C1"], "invoice_id": ["E1"],
                        "contact_date": [date(2026, 10, 8)], "channel": ["phone"], "kind": ["promise_to_pay"],
                        "outcome": ["promised"], "promised_date": [date(2026, 10, 20)], "promised_amount": [100.0]})
    with engine.begin() as conn:
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C1"], "name": ["Ann"]}))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
        store.append(conn, schema.contacts, con)
    events = timeline.debtor_timeline(engine, "C1", as_of=date(2026, 10, 31))
    got = {(e, r): c for e, r, c in zip(events["event"], events["reference"], events["currency"], strict=True)}
    assert got == {("Invoice", "E1"): "EUR", ("Invoice", "U1"): "USD", ("Settled", "U1"): "USD",
                   ("Payment", "U1"): "USD", ("Contact: promise_to_pay", "E1"): "EUR"}
    assert "not covered" not in events.loc[events["event"] == "Settled", "detail"].iloc[0]  # paid in full


def test_timeline_says_what_a_settlement_left_uncovered(engine):
    """An invoice cleared for more than its payments (a write-off, say) says by how much, on both backends."""
    from datetime import date

    from arboard import schema, store, timeline

    inv = pd.DataFrame({"invoice_id": ["W1"], "customer_id": ["C1"], "invoice_date": [date(2025, 9, 1)],
                        "due_date": [date(2025, 10, 1)], "amount": [1000.0], "currency": ["EUR"],
                        "paid_date": [date(2026, 7, 1)], "disputed": [False]})
    pay = pd.DataFrame({"payment_id": ["P1"], "invoice_id": ["W1"], "customer_id": ["C1"],
                        "payment_date": [date(2025, 12, 1)], "amount": [250.0], "currency": ["EUR"]})
    with engine.begin() as conn:
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
    events = timeline.debtor_timeline(engine, "C1", as_of=date(2026, 10, 31))
    detail = events.loc[events["event"] == "Settled", "detail"].iloc[0]
    assert detail == "273 days after due · 750.00 not covered by the payments loaded (credited or written off?)"


def test_timeline_shows_reversed_payments_and_derived_paid_dates(engine):
    """A bounced direct debit reads as a reversal, and a paid date arboard worked out says so."""
    from datetime import date

    from arboard import schema, store, timeline

    inv = pd.DataFrame({"invoice_id": ["R1", "R2"], "customer_id": ["C1"] * 2, "invoice_date": [date(2026, 9, 1)] * 2,
                        "due_date": [date(2026, 10, 1)] * 2, "amount": [100.0, 50.0], "currency": ["EUR"] * 2,
                        "paid_date": [None, date(2026, 10, 3)], "disputed": [False] * 2,
                        "paid_from_payments": [None, True]})
    pay = pd.DataFrame({"payment_id": ["P1", "P2", "P3"], "invoice_id": ["R1", "R1", "R2"], "customer_id": ["C1"] * 3,
                        "payment_date": [date(2026, 10, 2), date(2026, 10, 9), date(2026, 10, 3)],
                        "amount": [100.0, -100.0, 50.0], "currency": ["EUR"] * 3})
    with engine.begin() as conn:
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
    events = timeline.debtor_timeline(engine, "C1", as_of=date(2026, 10, 31))
    assert events.loc[events["amount"] == -100.0, "event"].tolist() == ["Payment reversed"]
    assert events.loc[events["event"] == "Settled", "detail"].tolist() == [
        "2 days after due · date worked out from the payments"]
