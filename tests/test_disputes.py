"""Disputes worklist: open disputed invoices, since when, how long disputes took (DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from arboard import disputes, events, schema, store
from arboard.cli import app

AS_OF = date(2026, 10, 31)


def _ledger(engine):
    d = date
    inv = pd.DataFrame([
        # id, due, amount, currency, paid, disputed, invoice date
        ("D1", d(2026, 8, 1), 1000.0, "EUR", None, True, d(2026, 7, 1)),
        ("D2", d(2026, 10, 20), 300.0, "USD", None, True, d(2026, 9, 20)),
        ("D3", d(2026, 9, 1), 500.0, "EUR", d(2026, 10, 15), True, d(2026, 8, 1)),
        ("D4", d(2026, 9, 1), 700.0, "EUR", None, False, d(2026, 8, 1)),
        ("D5", d(2026, 10, 1), 400.0, "EUR", None, True, d(2026, 9, 1)),
        ("D6", d(2026, 12, 1), 900.0, "EUR", None, True, d(2026, 11, 2)),
        ("D7", d(2026, 5, 1), 100.0, "EUR", d(2026, 6, 1), True, d(2026, 4, 1)),
    ], columns=["invoice_id", "due_date", "amount", "currency", "paid_date", "disputed", "invoice_date"])
    inv["customer_id"] = ["C1", "C2", "C1", "C1", "C3", "C1", "C3"]
    inv["dispute_reason"] = ["Price difference", None, "Price difference", None, "Not ordered", None,
                             "Quality or damage"]
    contacts = pd.DataFrame([
        ("K1", "C1", "D1", d(2026, 8, 5), "email", "dispute", "responded"),
        ("K2", "C1", "D1", d(2026, 9, 10), "phone", "call", "responded"),
        ("K3", "C1", "D3", d(2026, 9, 15), "email", "dispute", "responded"),
        ("K4", "C3", "D5", d(2026, 11, 5), "email", "dispute", "responded"),  # after the as-of date
    ], columns=["contact_id", "customer_id", "invoice_id", "contact_date", "channel", "kind", "outcome"])
    pay = pd.DataFrame({"payment_id": ["P1"], "invoice_id": ["D1"], "customer_id": ["C1"],
                        "payment_date": [d(2026, 9, 1)], "amount": [200.0], "currency": ["EUR"]})
    with engine.begin() as conn:
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C1", "C2", "C3"],
                                                           "name": ["Ann Ltd", "=cmd|' /C calc'!A0", None]}))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
        store.append(conn, schema.contacts, contacts)
    events.refresh(engine)


@pytest.fixture
def ledger(engine):
    _ledger(engine)
    return engine


def test_open_disputes_as_of_a_date(ledger):
    df = disputes.open_disputes(ledger, AS_OF)
    assert df["invoice_id"].tolist() == ["D1", "D5", "D2"]  # longest in dispute first
    d1, d5, d2 = (df.iloc[i] for i in range(3))
    assert d1["open_amount"] == 800.0 and d1["raised"] == pd.Timestamp("2026-08-05") and d1["days_open"] == 87
    assert d1["contacts"] == 2 and d1["last_contact"] == pd.Timestamp("2026-09-10") and d1["last_kind"] == "call"
    assert d1["days_past_due"] == 91 and d1["name"] == "Ann Ltd"
    # No dispute contact by the as-of date: counted from the due date.
    assert pd.isna(d5["raised"]) and d5["open_since"] == pd.Timestamp("2026-10-01") and d5["days_open"] == 30
    assert d5["contacts"] == 0 and d5["name"] == "C3"
    assert d2["currency"] == "USD" and d2["days_open"] == 11
    assert disputes.open_disputes(ledger, AS_OF, currency="EUR")["invoice_id"].tolist() == ["D1", "D5"]
    early = disputes.open_disputes(ledger, date(2026, 7, 15))  # flagged before its due date, nothing recorded
    assert early["invoice_id"].tolist() == ["D1"] and early["days_open"].tolist() == [0]


def test_summary_bands_and_worklist(ledger):
    df = disputes.open_disputes(ledger, AS_OF, currency="EUR")
    s = disputes.summary(df, target_days=30)
    assert (s.count, s.amount, s.over_target, s.over_target_amount) == (2, 1200.0, 1, 800.0)
    assert (s.median_days_open, s.oldest_days_open, s.unrecorded) == (58.5, 87, 1)
    bands = disputes.by_age(df)
    assert bands["band"].tolist() == ["0–30 days", "31–60 days", "61–90 days", "Over 90 days"]
    assert bands["amount"].tolist() == [400.0, 0.0, 800.0, 0.0] and bands["count"].sum() == 2
    assert disputes.worklist(df, target_days=30, over_target_only=True)["invoice_id"].tolist() == ["D1"]
    empty = disputes.summary(df.iloc[:0], target_days=30)
    assert empty.count == 0 and empty.median_days_open is None


def test_resolution_days(ledger):
    # D3: raised 15 Sep, paid 15 Oct (30 days); D7: no dispute contact, due 1 May, paid 1 Jun (31 days).
    assert disputes.resolution_days(ledger, AS_OF) == (30.5, 2)
    assert disputes.resolution_days(ledger, AS_OF, lookback_days=60) == (30.0, 1)
    assert disputes.resolution_days(ledger, date(2026, 1, 1)) == (None, 0)


def test_disputes_by_reason(ledger):
    open_ = disputes.open_disputes(ledger, AS_OF)
    assert open_.set_index("invoice_id")["reason"].fillna("-").to_dict() == {
        "D1": "Price difference", "D5": "Not ordered", "D2": "-"}
    settled = disputes.resolution(ledger, AS_OF, by_reason=True).set_index("reason")
    assert settled.loc["Price difference", "median_days"] == 30.0 and settled.loc["Quality or damage", "settled"] == 1
    table = disputes.by_reason(open_[open_["currency"] == "EUR"], settled.reset_index())
    assert table["reason"].tolist() == ["Price difference", "Not ordered", "Quality or damage"]  # largest open first
    assert table.set_index("reason").loc["Price difference", ["count", "amount", "settled"]].tolist() == [1, 800.0, 1]
    assert table.set_index("reason").loc["Quality or damage", "count"] == 0  # settled lately, nothing open
    with_usd = disputes.by_reason(open_, settled.reset_index())
    assert disputes.NO_REASON in with_usd["reason"].tolist()
    assert disputes.reasons_known(table)
    assert not disputes.reasons_known(disputes.by_reason(open_[open_["reason"].isna()], settled.iloc[:0].reset_index()))
    none = disputes.by_reason(open_.iloc[:0], settled.iloc[:0].reset_index())
    assert none.empty and list(none.columns) == ["reason", "count", "amount", "median_days_open", "settled",
                                                 "median_days_to_settle"]


def test_cli_disputes(tmp_path, duck_url):
    from arboard import db

    engine = db.open_database(duck_url)
    _ledger(engine)
    engine.dispose()
    out = tmp_path / "disputes.csv"
    run = CliRunner().invoke
    result = run(app, ["disputes", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--currency", "EUR"])
    assert result.exit_code == 0, result.output
    assert "2 open disputes (1,200.00 EUR)" in result.output and "over 30 days: 1 (800.00 EUR)" in result.output
    assert "median of 30 days" in result.output and "D1" in result.output
    result = run(app, ["disputes", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--currency", "all",
                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8-sig")
    assert text.splitlines()[0].startswith("Invoice,Debtor ID,Debtor") and len(text.splitlines()) == 4
    assert ",=cmd" not in text and "'=cmd" in text  # a hostile debtor name stays text in a spreadsheet
    result = run(app, ["disputes", "--db", duck_url, "--out", str(tmp_path / "x.pdf")])
    assert result.exit_code == 2 and "--out must end in .csv or .xlsx" in result.output
