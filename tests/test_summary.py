"""Load summary on the Data page: totals per currency agree with what is still owed (DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pandas as pd

from arboard import events, schema, store, summary


def test_open_amount_is_net_of_part_payments(engine):
    d = date
    inv = pd.DataFrame([
        ("I1", "C1", d(2026, 9, 1), d(2026, 10, 1), 1000.0, "EUR", None),            # part paid 300
        ("I2", "C1", d(2026, 9, 1), d(2026, 10, 1), 500.0, "EUR", d(2026, 10, 5)),   # settled by payments
        ("I3", "C2", d(2026, 9, 1), d(2026, 10, 1), 200.0, "USD", None),             # untouched
        ("I4", "C2", d(2026, 9, 5), d(2026, 10, 5), -50.0, "EUR", None),             # open credit note
    ], columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency", "paid_date"])
    pay = pd.DataFrame([
        ("P1", "I1", "C1", d(2026, 9, 20), 300.0),
        ("P2", "I2", "C1", d(2026, 10, 5), 500.0),
        ("P3", None, "C2", d(2026, 10, 6), 80.0),  # on account: not part of any invoice's open amount
    ], columns=["payment_id", "invoice_id", "customer_id", "payment_date", "amount"])
    with engine.begin() as conn:
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
    events.refresh(engine)

    led = summary.ledger_summary(engine)
    by = led.by_currency.set_index("currency")
    assert by.loc["EUR", "invoices"] == 3 and by.loc["EUR", "open_invoices"] == 2
    assert by.loc["EUR", "invoiced"] == 1450.0
    assert by.loc["EUR", "open_amount"] == 650.0  # 1000 - 300 + (-50)
    assert by.loc["USD", "open_amount"] == 200.0
    assert led.last_activity == d(2026, 10, 6) and not led.empty
    assert not led.open_items_only


def test_data_ends_on_the_last_paid_date_without_a_payments_file(engine):
    """An invoices export with paid dates and no payments: the receipts after the last invoice count."""
    d = date
    inv = pd.DataFrame([("I1", "C1", d(2026, 9, 1), d(2026, 10, 1), 100.0, "EUR", d(2026, 10, 20)),
                        ("I2", "C1", d(2026, 10, 2), d(2026, 11, 1), 100.0, "EUR", None)],
                       columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency",
                                "paid_date"])
    with engine.begin() as conn:
        store.append(conn, schema.invoices, inv)
    events.refresh(engine)
    led = summary.ledger_summary(engine)
    assert led.last_invoice == d(2026, 10, 2) and led.last_activity == d(2026, 10, 20)


def test_an_open_items_report_is_told_apart(engine):
    d = date
    inv = pd.DataFrame([("I1", "C1", d(2026, 9, 1), d(2026, 10, 1), 1000.0, "EUR", None),
                        ("I2", "C2", d(2026, 9, 5), d(2026, 10, 5), -50.0, "EUR", None)],
                       columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency",
                                "paid_date"])
    with engine.begin() as conn:
        store.append(conn, schema.invoices, inv)
    events.refresh(engine)
    assert summary.ledger_summary(engine).open_items_only  # DSO and behaviour would be measured on nothing
    with engine.begin() as conn:  # a part payment (an aging report's open amount) settles nothing
        store.append(conn, schema.payments, pd.DataFrame([("P1", "I1", "C1", d(2026, 9, 30), 400.0, "EUR")], columns=[
            "payment_id", "invoice_id", "customer_id", "payment_date", "amount", "currency"]))
    events.refresh(engine)
    assert summary.ledger_summary(engine).open_items_only
    with engine.begin() as conn:
        store.append(conn, schema.invoices, inv.iloc[:1].assign(invoice_id="I0", paid_date=d(2026, 9, 20)))
    events.refresh(engine)
    assert not summary.ledger_summary(engine).open_items_only


def test_cli_notes_an_open_items_report(duck_url):
    import json

    from typer.testing import CliRunner

    from arboard import db
    from arboard.cli import app

    engine = db.open_database(duck_url)
    with engine.begin() as conn:
        store.append(conn, schema.invoices, pd.DataFrame([("I1", "C1", date(2026, 9, 1), date(2026, 10, 1), 1000.0,
                                                           "EUR", None)],
                                                         columns=["invoice_id", "customer_id", "invoice_date",
                                                                  "due_date", "amount", "currency", "paid_date"]))
    events.refresh(engine)
    engine.dispose()
    result = CliRunner().invoke(app, ["report", "--db", duck_url])
    assert result.exit_code == 0, result.output
    assert "open items only" in result.stderr and json.loads(result.stdout)["open_ar"] == 1000.0
