"""Unapplied cash: a worked ledger with one payment on account per rule, the search against a brute-force
reference on random ledgers (DuckDB and PostgreSQL), the clearing lines and the totals."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from arboard import aging, explorer, fx, unapplied
from arboard.errors import ArboardError
from tests import reference
from tests.conftest import replace_ledger, write_ledger

AS_OF = date(2026, 3, 1)


def _inv(invoice_id, customer_id, invoice_date, due_date, amount, *, currency="EUR", disputed=False, paid_date=None):
    return {"invoice_id": invoice_id, "customer_id": customer_id, "invoice_date": date.fromisoformat(invoice_date),
            "due_date": date.fromisoformat(due_date), "amount": amount, "currency": currency,
            "paid_date": paid_date, "disputed": disputed}


def _pay(payment_id, customer_id, payment_date, amount, *, invoice_id=None, currency="EUR", reference=None):
    return {"payment_id": payment_id, "invoice_id": invoice_id, "customer_id": customer_id,
            "payment_date": date.fromisoformat(payment_date), "amount": amount, "currency": currency,
            "reference": reference}


WORKED_INVOICES = [
    # C1: two invoices of the same amount, two payments of it: each takes one, the older first.
    _inv("A1", "C1", "2026-01-02", "2026-01-10", 100.00),
    _inv("A2", "C1", "2026-01-05", "2026-01-20", 250.00),
    _inv("A3", "C1", "2026-01-10", "2026-02-10", 250.00),
    # C2: the two oldest together (the newest alone is not the amount).
    _inv("B1", "C2", "2026-01-01", "2026-01-01", 300.00),
    _inv("B2", "C2", "2026-01-03", "2026-01-15", 200.00),
    _inv("B3", "C2", "2026-01-20", "2026-02-15", 450.00),
    # C3: everything but the disputed one.
    _inv("K1", "C3", "2025-12-01", "2026-01-01", 400.00, disputed=True),
    _inv("K2", "C3", "2025-12-10", "2026-01-10", 150.00),
    _inv("K3", "C3", "2025-12-20", "2026-01-20", 50.00),
    # C4 less 2% cash discount; C5 short by bank charges; C6 over; C7 nothing fits.
    _inv("L1", "C4", "2026-02-01", "2026-03-01", 1000.00),
    _inv("M1", "C5", "2026-01-15", "2026-02-14", 1000.00),
    _inv("N1", "C6", "2026-01-15", "2026-02-14", 500.00),
    _inv("O1", "C7", "2026-01-15", "2026-02-14", 1000.00),
    # C8: the invoice of that amount came after the payment.
    _inv("Q1", "C8", "2026-02-20", "2026-03-20", 75.00),
    # C9: an invoice less the credit note on it.
    _inv("R1", "C9", "2026-01-01", "2026-01-31", 1000.00),
    _inv("R2", "C9", "2026-01-05", "2026-02-04", -200.00),
    # C10: the payment's currency decides.
    _inv("S1", "C10", "2026-01-01", "2026-01-31", 100.00),
    _inv("S2", "C10", "2026-01-02", "2026-02-01", 100.00, currency="USD"),
    # C11: partly paid on the invoice; the payment on account is for the rest.
    _inv("T1", "C11", "2026-01-01", "2026-01-31", 600.00),
    # Paid and cleared: not open, never proposed.
    _inv("Z1", "C1", "2026-01-01", "2026-01-15", 250.00, paid_date=date(2026, 1, 16)),
]
WORKED_PAYMENTS = [
    _pay("P1a", "C1", "2026-02-10", 250.00), _pay("P1b", "C1", "2026-02-12", 250.00),
    _pay("P2", "C2", "2026-02-01", 500.00),
    _pay("P3", "C3", "2026-02-05", 200.00),
    _pay("P4", "C4", "2026-02-08", 980.00),
    _pay("P5", "C5", "2026-02-20", 992.50),
    _pay("P6", "C6", "2026-02-20", 503.00),
    _pay("P7", "C7", "2026-02-20", 123.45), _pay("P7r", "C7", "2026-02-21", -50.00),
    _pay("P8", "C8", "2026-02-10", 75.00),
    _pay("P9", "C9", "2026-02-10", 800.00),
    _pay("P10", "C10", "2026-02-10", 100.00, currency="USD"),
    _pay("T1-1", "C11", "2026-02-01", 200.00, invoice_id="T1"), _pay("P11", "C11", "2026-02-15", 400.00),
    _pay("Later", "C6", "2026-03-05", 500.00),  # after the as-of date: not there yet
]


@pytest.fixture
def worked(engine):
    write_ledger(engine, invoices=pd.DataFrame(WORKED_INVOICES), payments=pd.DataFrame(WORKED_PAYMENTS))
    return engine


def test_one_payment_on_account_per_rule(worked):
    cash = unapplied.match_payments(worked, AS_OF)
    df, lines = cash.proposals, cash.lines
    got = {r.payment_id: (r.match, r.invoices, r.confidence) for r in df.itertuples()}
    assert got == {
        "P1a": ("Exact amount", "A2", "High"), "P1b": ("Exact amount", "A3", "High"),
        "P2": ("Oldest items together", "B1, B2", "High"),
        "P3": ("Oldest items together", "K2, K3", "High"),
        "P4": ("Less a cash discount", "L1", "Medium"),
        "P5": ("Short payment", "M1", "Low"),
        "P6": ("Overpayment", "N1", "Low"),
        "P7": ("No match", "", "—"), "P7r": ("No match", "", "—"),
        "P8": ("No match", "", "—"),
        "P9": ("Oldest items together", "R1, R2", "High"),
        "P10": ("Exact amount", "S2", "High"),
        "P11": ("Exact amount", "T1", "High"),
    }
    row = df.set_index("payment_id")
    assert row.loc["P1a", "note"].startswith("2 open invoices of this amount")
    assert "disputed items among them are left out" in row.loc["P3", "note"]
    assert row.loc["P4", "note"] == "2% cash discount taken."
    assert row.loc["P5", "difference"] == pytest.approx(-7.50)
    assert row.loc["P6", "difference"] == pytest.approx(3.00)
    assert row.loc["P7r", "note"].startswith("A refund")
    assert row.loc["P10", "currency"] == "USD"
    assert row.loc["P2", "open_total"] == pytest.approx(500.0) and row.loc["P2", "invoice_count"] == 2
    # Overdue as of 1 March: all of B1 and B2; L1 falls due on the day, so nothing of it.
    assert row.loc["P2", "overdue"] == pytest.approx(500.0) and row.loc["P4", "overdue"] == 0
    assert row.loc["P9", "overdue"] == pytest.approx(1000.0)  # credit notes are not overdue
    assert row.loc["P1a", "days_on_account"] == 19
    # Surest first, then the largest.
    assert list(df["confidence"]) == sorted(df["confidence"], key=unapplied.CONFIDENCES.index)
    # The clearing lines add up to each payment, the difference on a line of its own.
    assert lines.groupby("payment_id")["apply"].sum().round(2).to_dict() == \
        row.loc[row["match"] != "No match", "amount"].round(2).to_dict()
    kinds = lines.set_index(["payment_id", "kind"])["apply"]
    assert kinds["P4", "Cash discount"] == pytest.approx(-20.0)
    assert kinds["P9", "Credit note"] == pytest.approx(-200.0)
    assert kinds["P6", "Left on account"] == pytest.approx(3.0)


NAMED_INVOICES = [
    # D1: the reference names two invoices that add up; a third is exactly the amount (the text wins).
    _inv("INV-1001", "D1", "2026-01-01", "2026-01-10", 300.00),
    _inv("INV-1002", "D1", "2026-01-02", "2026-01-20", 500.00),
    _inv("INV-1003", "D1", "2026-01-03", "2026-01-30", 200.00),
    # D2 less 2%; D3 two invoices short by 5 in all (within 1% of the total).
    _inv("INV-2001", "D2", "2026-01-05", "2026-02-04", 1000.00),
    _inv("INV-3001", "D3", "2026-01-05", "2026-02-04", 400.00),
    _inv("INV-3002", "D3", "2026-01-06", "2026-02-05", 600.00),
    # D4: two payments name the same invoice: a part, then the rest.
    _inv("INV-4001", "D4", "2026-01-01", "2026-01-31", 1000.00),
    # D5: part of two invoices and a credit note: the credit note, then the oldest first.
    _inv("INV-5001", "D5", "2026-01-01", "2026-01-05", 300.00),
    _inv("INV-5002", "D5", "2026-01-02", "2026-01-25", 700.00),
    _inv("CN-5003", "D5", "2026-01-10", "2026-02-09", -100.00),
    # D7's invoice, named by D6's payment (a group company paying for it).
    _inv("INV-6001", "D7", "2026-01-05", "2026-02-04", 250.00),
    _inv("INV-6002", "D6", "2026-01-05", "2026-02-04", 90.00),
    # D8: more than the invoice named; D9: the ERP did not know the number as typed; D10 names nothing open.
    _inv("INV-8001", "D8", "2026-01-05", "2026-02-04", 100.00),
    _inv("INV-9001", "D9", "2026-01-05", "2026-02-04", 75.00),
    _inv("INV-1200", "D10", "2026-01-05", "2026-02-04", 120.00),
    _inv("A1", "D10", "2026-01-05", "2026-02-04", 60.00),
    # D11: the reference names the first of two invoices the transfer pays together.
    _inv("INV-1101", "D11", "2026-01-01", "2026-01-05", 200.00),
    _inv("INV-1102", "D11", "2026-01-02", "2026-01-15", 300.00),
    # D12 pays a cleared invoice again (another open one is of that amount too); D13 names a cleared one,
    # for another amount.
    _inv("INV-1201", "D12", "2026-01-01", "2026-01-15", 400.00, paid_date=date(2026, 1, 20)),
    _inv("INV-1203", "D12", "2026-01-02", "2026-02-01", 400.00),
    _inv("INV-1301", "D13", "2026-01-01", "2026-01-15", 500.00, paid_date=date(2026, 1, 20)),
    _inv("INV-1302", "D13", "2026-01-02", "2026-02-01", 250.00),
]
NAMED_PAYMENTS = [
    _pay("R1", "D1", "2026-02-01", 500.00, reference="Rechnung inv 1001 / INV-1003"),
    _pay("R2", "D2", "2026-02-01", 980.00, reference="INV2001"),
    _pay("R3", "D3", "2026-02-10", 995.00, reference="Invoices INV-3001, INV-3002 thank you"),
    _pay("R4a", "D4", "2026-02-01", 400.00, reference="INV-4001 part 1"),
    _pay("R4b", "D4", "2026-02-15", 600.00, reference="Rest INV-4001"),
    _pay("R5", "D5", "2026-02-10", 500.00, reference="INV-5001 INV-5002 CN-5003"),
    _pay("R6", "D6", "2026-02-10", 250.00, reference="INV-6001 / inv6001"),  # named twice, counted once
    _pay("R8", "D8", "2026-02-10", 150.00, reference="RE INV-8001"),
    _pay("R9", "D9", "2026-02-10", 75.00, invoice_id="INV9001"),
    _pay("R10", "D10", "2026-02-10", 120.00, reference="Order PO-7788 A1 05.02.2026"),
    _pay("R11", "D11", "2026-02-10", 500.00, reference="RE INV-1101"),
    _pay("R12", "D12", "2026-02-10", 400.00, reference="INV-1201"),
    _pay("R13", "D13", "2026-02-10", 250.00, reference="INV-1301"),
]


def test_what_the_remittance_reference_names(engine):
    customers = pd.DataFrame({"customer_id": ["D6", "D7"], "name": ["Group Holding", "Group Sales Ltd"]})
    write_ledger(engine, customers=customers, invoices=pd.DataFrame(NAMED_INVOICES),
                 payments=pd.DataFrame(NAMED_PAYMENTS))
    cash = unapplied.match_payments(engine, AS_OF)
    df, lines = cash.proposals, cash.lines
    got = {r.payment_id: (r.match, r.invoices, r.confidence) for r in df.itertuples()}
    assert got == {
        "R1": ("Named in the reference", "INV-1001, INV-1003", "High"),
        "R2": ("Named in the reference", "INV-2001", "High"),
        "R3": ("Named in the reference", "INV-3001, INV-3002", "High"),
        "R4a": ("Named, amount differs", "INV-4001", "Medium"),
        "R4b": ("Named in the reference", "INV-4001", "High"),
        "R5": ("Named, amount differs", "INV-5001, INV-5002, CN-5003", "Medium"),
        "R6": ("Named another debtor's invoice", "INV-6001", "Medium"),
        "R8": ("Named, amount differs", "INV-8001", "Medium"),
        "R9": ("Named in the reference", "INV-9001", "High"),
        "R10": ("Exact amount", "INV-1200", "High"),  # names nothing open ("A1" is too short to count)
        "R11": ("Oldest items together", "INV-1101, INV-1102", "High"),  # what is named, and more
        "R12": ("Paid twice?", "", "—"),
        "R13": ("Exact amount", "INV-1302", "High"),
    }
    row = df.set_index("payment_id")
    assert row.loc["R1", "note"] == "The remittance reference names them."
    assert row.loc["R11", "note"] == "The remittance reference names some of them."
    assert row.loc["R12", "note"].startswith("The remittance reference names INV-1201 (cleared 20 Jan 2026), for "
                                             "this amount: paid twice?")
    assert row.loc["R13", "note"] == "The remittance reference names INV-1301 (cleared 20 Jan 2026) only."
    assert row.loc["R1", "reference"] == "Rechnung inv 1001 / INV-1003"
    assert "2% cash discount taken" in row.loc["R2", "note"]
    assert row.loc["R3", "difference"] == pytest.approx(-5.0) and "Bank charges" in row.loc["R3", "note"]
    # A part payment: what stays open is the difference; the rest is for the next payment naming it.
    assert (row.loc["R4a", "open_total"], row.loc["R4a", "difference"]) == (pytest.approx(1000.0), pytest.approx(-600))
    assert row.loc["R4a", "note"].startswith("Part of what the remittance reference names")
    assert row.loc["R4b", "open_total"] == pytest.approx(600.0) and "An earlier payment" in row.loc["R4b", "note"]
    assert row.loc["R5", "difference"] == pytest.approx(-400.0)
    assert "Group Sales Ltd (D7)" in row.loc["R6", "note"]
    assert row.loc["R8", "difference"] == pytest.approx(50.0) and "excess stays on account" in row.loc["R8", "note"]
    assert row.loc["R9", "reference"] is None or pd.isna(row.loc["R9", "reference"])
    # The clearing lines: what each item takes, adding up to each payment.
    matched = row[row["invoice_count"] > 0]
    assert lines.groupby("payment_id")["apply"].sum().round(2).to_dict() == matched["amount"].round(2).to_dict()
    applied = lines.set_index(["payment_id", "item"])["apply"]
    assert applied["R4a", "INV-4001"] == pytest.approx(400.0) and applied["R4b", "INV-4001"] == pytest.approx(600.0)
    assert (applied["R5", "CN-5003"], applied["R5", "INV-5001"], applied["R5", "INV-5002"]) == \
        (pytest.approx(-100.0), pytest.approx(300.0), pytest.approx(300.0))
    kinds = lines.set_index(["payment_id", "kind"])["apply"]
    assert kinds["R2", "Cash discount"] == pytest.approx(-20.0)
    assert kinds["R3", "Short payment"] == pytest.approx(-5.0)
    assert kinds["R8", "Left on account"] == pytest.approx(50.0)
    # What the overdue clears: the part applied to overdue items (INV-5001 and 300 of INV-5002).
    assert row.loc["R5", "overdue"] == pytest.approx(600.0)
    total = unapplied.summary(cash)
    assert (total.matched, total.sure) == (len(df) - 1, 8)


def test_the_scratch_tables_are_temporary_and_go(worked):
    import sqlalchemy as sa

    # A table of the database's own with a scratch table's name is never touched.
    mine = sa.Table(unapplied.SCRATCH[0], sa.MetaData(), sa.Column("x", sa.Integer))
    mine.create(worked)
    with worked.begin() as conn:
        conn.execute(mine.insert().values(x=1))
    assert len(unapplied.match_payments(worked, AS_OF).proposals) == 13
    with worked.connect() as conn:
        assert conn.execute(sa.select(mine.c.x)).scalar_one() == 1
    mine.drop(worked)
    assert set(unapplied.SCRATCH).isdisjoint(sa.inspect(worked).get_table_names())


def test_reference_keys():
    keys = unapplied.reference_keys("Rechnung INV-2026-0042, inv 2026 0043; RE4711 05.10 A1")
    assert {"INV20260042", "INV20260043", "4711", "RE4711"} <= keys
    assert not {"A1", "05", "10", "RECHNUNG"} & keys  # short, or no digit
    assert unapplied.reference_keys(None) == frozenset() and unapplied.reference_keys("") == frozenset()
    assert unapplied.key(" inv-0042/b ") == "INV0042B"


def test_a_number_read_without_its_prefix_or_zeros():
    ref = unapplied.read_reference("Rg.-Nr. 72871, #72872; INV-0042 Payment 2027 05.10.2026 RE63334")
    assert {"72871", "72872", "5102026"} == ref.numbers  # words of digits alone; 2027 is too short
    named = {i for i in ("INV000072871", "INV000072872", "INV0042", "INV000002027", "CN000000042", "INV000063334",
                         "0000063334") if unapplied.names(ref, i)}
    # "RE63334" glues the debtor's own prefix to the number: only an invoice numbered 63334 alone is named.
    assert named == {"INV000072871", "INV000072872", "INV0042", "0000063334"}
    # Letters between digits: only the whole number, or the digits alone, name it.
    assert (unapplied.loose("INV000072871"), unapplied.loose("A0B007"), unapplied.number("INV-2026-0042")) == \
        ("INV72871", "A0B007", "20260042")
    ref = unapplied.read_reference("A0B7 RE 0007")
    assert [unapplied.names(ref, i) for i in ("A0B007", "A0B7", "A0007")] == [False, True, False]


def test_a_debtor_who_writes_the_number_alone(engine):
    invoices = [
        # E1: two invoices of one amount; the text names the newer by its number alone.
        _inv("INV000072871", "E1", "2026-01-02", "2026-01-20", 450.00),
        _inv("INV000072872", "E1", "2026-01-03", "2026-01-21", 450.00),
        # E2: glued to another prefix, the number names nothing: the amount rules read it (the older first).
        _inv("INV000063333", "E2", "2026-01-02", "2026-01-20", 200.00),
        _inv("INV000063334", "E2", "2026-01-03", "2026-01-21", 200.00),
        # E3: the text names the invoice in full; the credit note of the same number is not named with it.
        _inv("INV000054321", "E3", "2026-01-02", "2026-01-20", 500.00),
        _inv("CN000054321", "E3", "2026-01-05", "2026-01-05", -50.00),
        # E4: a year is too short to be a number: the amount rules read it.
        _inv("INV000002026", "E4", "2026-01-02", "2026-01-20", 100.00),
        _inv("INV000002027", "E4", "2026-01-03", "2026-01-21", 100.00),
        # E5: a cleared invoice, by its number alone, for its amount: paid twice.
        _inv("INV000077777", "E5", "2026-01-02", "2026-01-20", 400.00, paid_date=date(2026, 1, 25)),
        # E6 writes the number of E7's invoice: another debtor's invoice only as the ledger spells it.
        _inv("INV000099999", "E7", "2026-01-02", "2026-01-20", 250.00),
    ]
    payments = [_pay("N1", "E1", "2026-02-10", 450.00, reference="Inv 72872"),
                _pay("N2", "E2", "2026-02-10", 200.00, reference="RE63334"),
                _pay("N3", "E3", "2026-02-10", 500.00, reference="INV-000054321"),
                _pay("N4", "E4", "2026-02-10", 100.00, reference="Payment 2027"),
                _pay("N5", "E5", "2026-02-10", 400.00, reference="Rechnung 77777"),
                _pay("N6", "E6", "2026-02-10", 251.37, reference="Inv 99999")]
    write_ledger(engine, invoices=pd.DataFrame(invoices), payments=pd.DataFrame(payments))
    got = {r.payment_id: (r.match, r.invoices) for r in unapplied.match_payments(engine, AS_OF).proposals.itertuples()}
    assert got == {"N1": ("Named in the reference", "INV000072872"), "N2": ("Exact amount", "INV000063333"),
                   "N3": ("Named in the reference", "INV000054321"), "N4": ("Exact amount", "INV000002026"),
                   "N5": ("Paid twice?", ""), "N6": ("No match", "")}


def test_an_item_is_proposed_once(engine):
    write_ledger(engine, invoices=pd.DataFrame([_inv("X1", "C1", "2026-01-02", "2026-01-10", 100.00)]),
                 payments=pd.DataFrame([_pay("U2", "C1", "2026-01-20", 100.00),
                                        _pay("U1", "C1", "2026-01-15", 100.00)]))
    df = unapplied.match_payments(engine, AS_OF).proposals.set_index("payment_id")
    assert (df.loc["U1", "invoices"], df.loc["U2", "match"]) == ("X1", "No match")  # the earlier payment first
    assert df.loc["U2", "note"].startswith("What it could pay is proposed for another")


def test_items_that_add_up(engine):
    invoices = [
        # D1: two newer invoices, while the oldest waits (a transfer for this month's invoices).
        _inv("E1", "D1", "2026-01-02", "2026-01-10", 500.00), _inv("E2", "D1", "2026-01-20", "2026-02-19", 120.50),
        _inv("E3", "D1", "2026-01-25", "2026-02-24", 79.50), _inv("E4", "D1", "2026-01-26", "2026-02-25", 1000.00),
        # D2: three sets add up (three invoices of 100): the oldest free ones.
        _inv("F1", "D2", "2026-01-02", "2026-01-10", 999.99),
        *(_inv(f"F{i}", "D2", f"2026-01-1{i}", f"2026-02-1{i}", 100.00) for i in (2, 3, 4)),
        # D3: fifteen sets add up (six invoices of 50): ask the debtor.
        _inv("G1", "D3", "2026-01-02", "2026-01-10", 999.99),
        *(_inv(f"G{i}", "D3", f"2026-01-1{i}", f"2026-02-1{i}", 50.00) for i in range(2, 8)),
        # D4: one pair adds up, among thirty invoices below the amount: chance would often give a sum.
        _inv("H1", "D4", "2026-01-02", "2026-01-10", 999.99), _inv("H2", "D4", "2026-01-05", "2026-02-04", 12.34),
        _inv("H3", "D4", "2026-01-06", "2026-02-05", 27.66),
        *(_inv(f"H{i}", "D4", "2026-01-07", "2026-02-06", 33.33) for i in range(4, 32)),
        # D5: the text names one of them; the amount is it and another, not the oldest.
        _inv("J0001", "D5", "2026-01-02", "2026-01-10", 300.00),
        _inv("J0002", "D5", "2026-01-20", "2026-02-19", 210.00),
        _inv("J0003", "D5", "2026-01-21", "2026-02-20", 90.10),
        _inv("J0004", "D5", "2026-01-22", "2026-02-21", 5000.00),
        # D6: a set of five is not tried.
        _inv("K0", "D6", "2026-01-02", "2026-01-10", 999.99),
        *(_inv(f"K{i}", "D6", "2026-01-10", "2026-02-09", 10.00 + i) for i in range(1, 6)),
        # D7: the two newest less 2% (within the discount period), the older one past it waits.
        _inv("V1", "D7", "2026-01-02", "2026-01-10", 800.00), _inv("V2", "D7", "2026-02-08", "2026-03-10", 1000.00),
        _inv("V3", "D7", "2026-02-10", "2026-03-12", 500.00),
    ]
    payments = [_pay("U1", "D1", "2026-02-18", 200.00), _pay("U2", "D2", "2026-02-18", 200.00),
                _pay("U3", "D3", "2026-02-18", 100.00), _pay("U4", "D4", "2026-02-18", 40.00),
                _pay("U5", "D5", "2026-02-18", 300.10, reference="RE J0002"), _pay("U6", "D6", "2026-02-18", 65.00),
                _pay("U7", "D7", "2026-02-18", 1470.00)]
    write_ledger(engine, invoices=pd.DataFrame(invoices), payments=pd.DataFrame(payments))
    cash = unapplied.match_payments(engine, AS_OF)
    df = cash.proposals.set_index("payment_id")
    got = {p: (r.match, r.invoices, r.confidence) for p, r in df.iterrows()}
    assert got == {"U1": ("Items that add up", "E2, E3", "Medium"), "U2": ("Items that add up", "F2, F3", "Medium"),
                   "U3": ("No match", "", "—"), "U4": ("No match", "", "—"),
                   "U5": ("Items that add up", "J0002, J0003", "Medium"), "U6": ("No match", "", "—"),
                   "U7": ("Items that add up", "V2, V3", "Medium")}
    assert df.loc["U7", "note"].startswith("2% cash discount taken. Not the oldest items")
    assert df.loc["U7", "difference"] == pytest.approx(-30.0)
    lines = cash.lines[cash.lines["payment_id"] == "U7"]
    assert lines[["item", "apply"]].values.tolist()[:2] == [["V2", 1000.0], ["V3", 500.0]]
    assert lines["apply"].sum() == pytest.approx(1470.0) and len(lines) == 3  # and the discount
    assert df.loc["U1", "note"].startswith("Not the oldest items: the debtor paid these and left an older one open")
    assert "3 sets of the debtor's open invoices add up to it" in df.loc["U2", "note"]
    assert df.loc["U3", "note"].startswith("More than 10 sets of the debtor's open invoices add up to it")
    assert df.loc["U4", "note"].startswith("No open item of the debtor adds up to it")
    assert df.loc["U5", "note"].startswith("The remittance reference names some of them.")
    assert df.loc["U1", "overdue"] == pytest.approx(200.0) and df.loc["U1", "difference"] == pytest.approx(0.0)
    lines = cash.lines[cash.lines["payment_id"] == "U1"]
    assert lines[["item", "apply"]].values.tolist() == [["E2", 120.50], ["E3", 79.50]]
    # Counted as Medium: the plan and the lists take it only when told to, or once confirmed.
    assert unapplied.as_applied(cash.lines).items.get("E2") is None
    assert unapplied.as_applied(cash.lines, least="Medium").items["E2"] == pytest.approx(120.50)


def test_the_sets_that_add_up_and_their_guard(engine):
    adding_up, sums_for = unapplied.adding_up, unapplied.sums_for
    assert adding_up([100, 200, 300, 150], sums_for(300)) == [(0, 1)]
    assert adding_up([100, 200, 300, 150, 50], sums_for(600)) == [(0, 1, 2), (0, 2, 3, 4)]
    assert adding_up([1, 2, 3, 4, 5], sums_for(15)) == []  # five items: not tried
    assert len(adding_up([100] * 8, sums_for(200))) == unapplied.MAX_SETS + 1  # stops once there are too many
    # Less 2%: 150.00 less 2% is 147.00; each item's discount rounds, so a set may be off by half a cent per item.
    rules = unapplied.MatchSettings()
    assert adding_up([10000, 5000, 2000], sums_for(14700, 2.0),
                     lambda total, size: unapplied.classify(14700, total, size, rules) == ("discount", 2.0)) == [(0, 1)]
    assert adding_up([10000, 5000, 2000], sums_for(14700, 2.0), lambda total, size: False) == []
    assert [unapplied.subsets(n) for n in (0, 1, 2, 3, 4, 5, 30)] == [0, 0, 1, 4, 11, 25, 31900]
    # The guard: 5 items make 25 sets, so an exact total is tried from 2.51 on; less a discount (5 totals per
    # size and discount, two discounts) from 25.01 on.
    assert unapplied.combinable(5, 5, 251, rules) == (True, False)
    assert unapplied.combinable(5, 5, 250, rules) == (False, False)
    assert unapplied.combinable(5, 5, 2501, rules) == (True, True)
    assert unapplied.combinable(1, 5, 2501, rules) == (False, True)
    assert unapplied.combinable(5, 5, 2501, unapplied.MatchSettings(discounts=())) == (True, False)
    with engine.connect() as conn:
        for n in (0, 1, 2, 5, 30, 117, 5000, 100_000):  # no integer overflow for a debtor with a great many
            got = conn.execute(sa.select(unapplied._subsets(sa.literal(n, sa.Integer)))).scalar_one()
            assert got == pytest.approx(unapplied.subsets(n), rel=1e-12)
            if n < 5000:
                assert got == unapplied.subsets(n)


def test_the_only_invoice_of_the_amount_at_another_debtor(engine):
    customers = pd.DataFrame({"customer_id": ["G1", "G2"], "name": ["Group Holding", "Group Sales Ltd"]})
    invoices = [_inv("W1", "G2", "2026-01-02", "2026-01-31", 777.77),
                _inv("W2", "G3", "2026-01-02", "2026-01-31", 50.0), _inv("W3", "G4", "2026-01-02", "2026-01-31", 50.0),
                _inv("W4", "G1", "2026-01-02", "2026-01-31", 60.0)]
    payments = [_pay("H1", "G1", "2026-02-03", 777.77),  # the holding pays its subsidiary's invoice
                _pay("H2", "G1", "2026-02-03", 50.00),  # two debtors have an invoice of 50: no guess
                _pay("H3", "G3", "2026-02-03", 60.00)]  # G1's 60 is someone else's: but only one, so proposed
    write_ledger(engine, customers=customers, invoices=pd.DataFrame(invoices), payments=pd.DataFrame(payments))
    cash = unapplied.match_payments(engine, AS_OF)
    df = cash.proposals.set_index("payment_id")
    assert (df.loc["H1", "match"], df.loc["H1", "invoices"], df.loc["H1", "confidence"]) == \
        ("Another debtor's invoice", "W1", "Low")
    assert "Group Sales Ltd's (G2)" in df.loc["H1", "note"]
    assert df.loc["H2", "match"] == "No match" and df.loc["H3", "invoices"] == "W4"
    # It clears the other debtor's overdue, not the payer's: no debtor counts as cleared by it.
    s = unapplied.summary(cash)
    assert s.overdue_cleared == pytest.approx(837.77) and s.debtors_cleared == 0


def test_summary_and_bands(worked):
    cash = unapplied.match_payments(worked, AS_OF)
    df, s = cash.proposals, unapplied.summary(cash)
    assert (s.count, s.matched, s.sure) == (13, 10, 7)
    assert s.amount == pytest.approx(sum(p["amount"] for p in WORKED_PAYMENTS
                                         if p["invoice_id"] is None and p["payment_date"] <= AS_OF))
    # Nothing overdue left once applied: C5, C6, C9 and C11. Not C1 (A1), C2 (B3), C3 (the disputed K1) nor
    # C10 (S1 in euros); C4 and C8 owe nothing overdue.
    assert s.debtors_cleared == 4
    assert s.oldest_days == 28
    bands = unapplied.by_age(df)
    assert bands["amount"].sum() == pytest.approx(s.amount)
    assert len(bands) == 5 * 4


def test_one_collectors_payments_and_one_confidence(worked):
    from arboard import collectors, schema

    ids = sorted({r["customer_id"] for r in WORKED_INVOICES + WORKED_PAYMENTS})
    with worked.begin() as conn:
        conn.execute(sa.insert(schema.customers), [{"customer_id": c, "name": f"Debtor {c}"} for c in ids])
    collectors.assign(worked, {"C1": "Ann", "C2": "Ann", "C5": "Ben"})
    cash = unapplied.match_payments(worked, AS_OF)
    assert cash.worked_by([]) is cash
    ann = cash.worked_by(["Ann"])
    assert set(ann.proposals["customer_id"]) == {"C1", "C2"} and (ann.proposals["collector"] == "Ann").all()
    assert set(ann.lines["payment_id"]) == set(ann.proposals.loc[ann.proposals["invoice_count"] > 0, "payment_id"])
    assert set(ann.overdue["customer_id"]) <= {"C1", "C2"}
    nobody = cash.worked_by([collectors.NO_COLLECTOR])
    assert not {"C1", "C2", "C5"} & set(nobody.proposals["customer_id"])
    both = cash.worked_by(["Ann", "Ben", collectors.NO_COLLECTOR])
    assert len(both.proposals) == len(cash.proposals) and len(both.lines) == len(cash.lines)
    # The figures add up: each collector's share of the cash on account, and of the debtors cleared.
    parts = [unapplied.summary(cash.worked_by([who])) for who in ("Ann", "Ben", collectors.NO_COLLECTOR)]
    whole = unapplied.summary(cash)
    assert sum(p.amount for p in parts) == pytest.approx(whole.amount)
    assert sum(p.debtors_cleared for p in parts) == whole.debtors_cleared
    # One confidence or two, within any view; an unknown one is refused.
    low = unapplied.shown(cash.proposals, "matched", confidences=["Low"])
    assert len(low) and (low["confidence"] == "Low").all()
    unsure = unapplied.shown(cash.proposals, "all", confidences=["Medium", "Low"])
    assert set(unsure["confidence"]) == {"Medium", "Low"}
    assert unapplied.shown(cash.proposals, "none", confidences=["—"])["invoice_count"].eq(0).all()
    assert unapplied.shown(cash.proposals, "matched", confidences=["—"]).empty
    with pytest.raises(ArboardError, match="Confidence 'Sure'"):
        unapplied.shown(cash.proposals, confidences=["Sure"])


def test_overdue_their_cash_on_account_pays(worked):
    rates = fx.Rates("EUR", {"USD": 0.9})
    cash = unapplied.match_payments(worked, AS_OF, rates=rates)
    debtors = aging.aging_by_customer(worked, AS_OF, rates=rates)
    got = unapplied.with_overdue_paid(debtors, cash, rates=rates).set_index("customer_id")
    # Sure matches only: C1's two invoices of 250 (A1 stays), C2's two oldest, C3's undisputed two, C10's
    # dollar invoice at 0.9, C11's rest. C9's payment clears 1,000 of invoice, but its overdue is 800 after the
    # credit note: no more than that. C4's is not overdue; C5 and C6 are Low; C7 and C8 have no match.
    assert got["overdue_paid"].to_dict() == pytest.approx(
        {"C1": 500, "C2": 500, "C3": 200, "C4": 0, "C5": 0, "C6": 0, "C7": 0, "C8": 0, "C9": 800, "C10": 90,
         "C11": 400})
    left = got["overdue"] - got["overdue_paid"]
    assert left["C1"] == pytest.approx(100) and left["C9"] == pytest.approx(0)
    assert (left >= -0.005).all()  # never more than is overdue
    low = unapplied.with_overdue_paid(debtors, cash, least="Low", rates=rates).set_index("customer_id")
    # The short payment clears the invoice, bank charges written off; the overpayment leaves 3 on account.
    assert (low.loc["C5", "overdue_paid"], low.loc["C6", "overdue_paid"]) == pytest.approx((1000, 500))
    # One currency: its payments only, in it.
    usd = aging.aging_by_customer(worked, AS_OF, currency="USD")
    usd = unapplied.with_overdue_paid(usd, cash, currency="USD").set_index("customer_id")
    assert usd["overdue_paid"].to_dict() == pytest.approx({"C10": 100})
    eur = unapplied.with_overdue_paid(aging.aging_by_customer(worked, AS_OF, currency="EUR"), cash, currency="EUR")
    assert eur.set_index("customer_id").loc["C10", "overdue_paid"] == 0
    with pytest.raises(ArboardError, match="Choose High, Medium or Low"):
        unapplied.with_overdue_paid(debtors, cash, least="")
    # The debtor list carries it when given the match, beside the unapplied cash.
    table = explorer.debtor_table(worked, AS_OF, rates=rates, cash=cash)
    assert list(table.columns[-3:]) == ["unapplied", "overdue_paid", "amounts_in"]
    assert table.set_index("customer_id")["overdue_paid"].to_dict() == pytest.approx(got["overdue_paid"].to_dict())
    assert "overdue_paid" not in explorer.debtor_table(worked, AS_OF, rates=rates)


def test_another_debtors_invoice_pays_neither_debtors_overdue(engine):
    write_ledger(engine, invoices=pd.DataFrame(NAMED_INVOICES), payments=pd.DataFrame(NAMED_PAYMENTS))
    cash = unapplied.match_payments(engine, AS_OF)
    assert cash.proposals.set_index("payment_id").loc["R6", "match"] == "Named another debtor's invoice"
    got = unapplied.with_overdue_paid(aging.aging_by_customer(engine, AS_OF), cash, least="Low")
    paid = got.set_index("customer_id")["overdue_paid"]
    assert paid["D6"] == 0 and paid["D7"] == 0  # D6's payment pays D7's invoice: for the ERP to settle
    assert paid["D1"] == pytest.approx(500)  # named in the reference (INV-1001 and INV-1003)


def test_tolerance_and_discounts_are_settings(worked):
    strict = unapplied.MatchSettings(tolerance=0, discounts=(3,))
    df = unapplied.match_payments(worked, AS_OF, settings=strict).proposals
    got = df.set_index("payment_id")["match"]
    assert got["P4"] == "No match" and got["P5"] == "No match" and got["P6"] == "No match"
    wide = unapplied.match_payments(worked, AS_OF, settings=unapplied.MatchSettings(tolerance=10)).proposals
    assert wide.set_index("payment_id").loc["P7", "match"] == "No match"
    for bad in ({"tolerance": -1}, {"tolerance": 11}, {"discounts": (0,)}, {"discounts": (25,)}):
        with pytest.raises(ArboardError):
            unapplied.MatchSettings(**bad)


def test_an_earlier_day_knows_less(worked):
    df = unapplied.match_payments(worked, date(2026, 2, 9)).proposals
    assert set(df["payment_id"]) == {"P2", "P3", "P4"}  # received by 9 February


def test_reporting_currency_values(worked):
    rates = fx.Rates("EUR", {"USD": 0.9})
    cash = unapplied.match_payments(worked, AS_OF, rates=rates)
    df = cash.proposals
    assert df.set_index("payment_id").loc["P10", "amount_value"] == pytest.approx(90.0)
    assert unapplied.summary(cash, rates=rates).amount == pytest.approx(df["amount_value"].sum())
    # One currency: its payments only, in that currency, with its debtors' overdue balances.
    usd = unapplied.match_payments(worked, AS_OF, currency="USD", rates=rates)
    assert list(usd.proposals["payment_id"]) == ["P10"] and "amount_value" not in usd.proposals
    assert set(usd.overdue["currency"]) == {"USD"}
    assert unapplied.summary(usd).debtors_cleared == 1  # C10 owes nothing overdue in dollars once applied
    # The match of every currency, filtered, is the same (what the pages cache: a switch matches nothing again).
    euros, kept = unapplied.match_payments(worked, AS_OF, currency="EUR", rates=rates), cash.in_currency("EUR")
    assert len(euros.proposals) > 1 and "amount_value" not in kept.proposals
    pd.testing.assert_frame_equal(kept.proposals, euros.proposals)
    pd.testing.assert_frame_equal(kept.lines, euros.lines)
    assert cash.in_currency(None) is cash


def test_nothing_on_account(engine):
    write_ledger(engine, invoices=pd.DataFrame(WORKED_INVOICES[:3]))
    cash = unapplied.match_payments(engine, AS_OF)
    df, lines = cash.proposals, cash.lines
    assert cash.empty and lines.empty and list(df.columns) == unapplied.COLUMNS
    s = unapplied.summary(cash)
    assert (s.count, s.amount, s.oldest_days) == (0, 0.0, None)
    assert unapplied.by_age(df)["amount"].sum() == 0


START = date(2025, 1, 1)


@st.composite
def ledgers(draw):
    """Two debtors with few invoices of few distinct amounts (so payments tie and collide), some disputed,
    some credit notes and part payments, and payments on account made of their amounts."""
    amounts = [100.0, 250.0, 99.99, 400.0, 1234.56]
    inv_rows, pay_rows = [], []
    for i in range(draw(st.integers(1, 9))):
        d0 = START + timedelta(days=draw(st.integers(0, 90)))
        amount = round(draw(st.sampled_from(amounts)) * draw(st.sampled_from([1, 1, 1, 1, -0.5])), 2)
        settled = draw(st.one_of(st.none(), st.none(), st.none(), st.integers(0, 120)))
        # Numbers of five digits and leading zeros, which a debtor may write without either ("Inv 70003").
        inv_rows.append({"invoice_id": f"INV-{70000 + i:07d}", "customer_id": f"C{i % 2}", "invoice_date": d0,
                         "due_date": d0 + timedelta(days=draw(st.sampled_from([0, 14, 30]))), "amount": amount,
                         "currency": draw(st.sampled_from(["EUR", "EUR", "USD"])),
                         "paid_date": d0 + timedelta(days=settled) if settled is not None else None,
                         "disputed": draw(st.booleans())})
        if amount > 0 and settled is None and draw(st.booleans()):
            pay_rows.append({"payment_id": f"P{i}", "invoice_id": inv_rows[-1]["invoice_id"],
                             "customer_id": f"C{i % 2}",
                             "payment_date": d0 + timedelta(days=draw(st.integers(0, 60))),
                             "amount": round(amount / 2, 2), "currency": inv_rows[-1]["currency"],
                             "reference": None})
    for k in range(draw(st.integers(1, 6))):
        # Made from the debtor's invoices: the oldest few, or any few, whole or less a discount or a little.
        who = f"C{draw(st.integers(0, 1))}"
        theirs = sorted((r for r in inv_rows if r["customer_id"] == who),
                        key=lambda r: (r["due_date"], r["invoice_id"]))
        how = draw(st.sampled_from(["oldest", "any", "newer"])) if theirs else "any"
        # Newer: a few open invoices past the oldest, whole, with no text (items that add up).
        newer = [r for r in theirs[1:] if r["amount"] > 0 and r["paid_date"] is None]
        if how == "oldest":
            picked = theirs[:draw(st.integers(1, len(theirs)))]
        elif how == "newer" and len(newer) >= 2:
            picked = draw(st.lists(st.sampled_from(newer), min_size=2, max_size=4, unique_by=lambda r: r["invoice_id"]))
        else:  # any few
            how = "any"
            picked = draw(st.lists(st.sampled_from(theirs), min_size=1, max_size=3,
                                   unique_by=lambda r: r["invoice_id"])) if theirs else []
        base = round(sum(r["amount"] for r in picked), 2) or 100.0
        amount = base if how == "newer" else draw(st.sampled_from(
            [base, base, round(base * 0.98, 2), round(base * 0.97, 2), round(base - 1.0, 2), round(base + 2.5, 2),
             round(base - 0.01, 2), 50.0, -20.0]))
        latest = max((r["invoice_date"] for r in picked), default=START)
        # The remittance text: none, the numbers as the ledger spells them or otherwise (or alone), one of
        # them, a number of any invoice, or words that name nothing.
        named = [r["invoice_id"] for r in picked]
        text = draw(st.sampled_from([None, None, " ".join(named), ", ".join(unapplied.key(n).lower() for n in named),
                                     f"RE {named[0]}" if named else None,
                                     "Inv " + " ".join(unapplied.number(n) for n in named),
                                     draw(st.sampled_from([r["invoice_id"] for r in inv_rows])), "Payment 2025"]))
        pay_rows.append({"payment_id": f"U{k}", "reference": text,
                         "invoice_id": draw(st.sampled_from([None, None, "NOPE", *named[:1]]).map(
                             lambda n: unapplied.key(n) if n and n != "NOPE" else n)),
                         # Now and then posted to the other debtor (a group company paying, a wrong account).
                         "customer_id": draw(st.sampled_from([who, who, who, "C1" if who == "C0" else "C0"])),
                         "payment_date": latest + timedelta(days=draw(st.integers(-5, 60))),
                         "amount": amount, "currency": draw(st.sampled_from(["EUR", "EUR", "USD", None]))})
    inv = pd.DataFrame(inv_rows)
    pay = pd.DataFrame(pay_rows, columns=["payment_id", "invoice_id", "customer_id", "payment_date", "amount",
                                          "currency", "reference"])
    as_of = START + timedelta(days=draw(st.integers(30, 200)))
    tolerance = draw(st.sampled_from([0.0, 1.0, 2.5]))
    return inv, pay, as_of, tolerance


@st.composite
def sets_adding_up(draw):
    """Two debtors with a few open invoices each, of amounts from a short list (so several sets add up
    now and then, or too many) or any, and payments on account that are the sum of any 2 to 5 of them,
    or that less a cash discount."""
    inv_rows, pay_rows = [], []
    amounts = st.one_of(st.sampled_from([100.0, 200.0, 300.0, 150.5]),
                        st.integers(1, 500_000).map(lambda c: c / 100))
    for i in range(draw(st.integers(2, 12))):
        d0 = START + timedelta(days=draw(st.integers(0, 60)))
        inv_rows.append({"invoice_id": f"INV-{70000 + i:07d}", "customer_id": f"C{i % 2}", "invoice_date": d0,
                         "due_date": d0 + timedelta(days=30), "amount": draw(amounts),
                         "currency": draw(st.sampled_from(["EUR", "EUR", "EUR", "USD"])), "paid_date": None,
                         "disputed": draw(st.booleans())})
    for k in range(draw(st.integers(1, 4))):
        who = f"C{draw(st.integers(0, 1))}"
        theirs = [r for r in inv_rows if r["customer_id"] == who]
        picked = draw(st.lists(st.sampled_from(theirs), min_size=min(2, len(theirs)), max_size=5,
                               unique_by=lambda r: r["invoice_id"]))
        pay_rows.append({"payment_id": f"U{k}", "invoice_id": None, "customer_id": who,
                         "payment_date": START + timedelta(days=draw(st.integers(0, 90))),
                         "amount": round(sum(r["amount"] for r in picked) * draw(st.sampled_from([1, 1, 0.98, 0.97])),
                                         2) or 1.0,
                         "currency": draw(st.sampled_from(["EUR", None])), "reference": None})
    return pd.DataFrame(inv_rows), pd.DataFrame(pay_rows), START + timedelta(days=120), 1.0


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=st.one_of(ledgers(), sets_adding_up()))
def test_proposals_match_a_brute_force_reference(engine, ledger):
    inv, pay, as_of, tolerance = ledger
    replace_ledger(engine, inv, pay)
    rules = unapplied.MatchSettings(tolerance=tolerance)
    cash = unapplied.match_payments(engine, as_of, settings=rules)
    df, lines = cash.proposals, cash.lines
    want = reference.unapplied_matches(inv, pay, as_of, tolerance=tolerance)
    got = {r.payment_id: (unapplied.RULES_BY_LABEL[r.match], tuple(r.invoices.split(", ")))
           for r in df.itertuples() if r.invoice_count}
    assert got == want
    for rule in {rule for rule, _ in got.values()}:
        event(rule)  # --hypothesis-show-statistics: how often each rule was tried
    if ((df["match"] == "Items that add up") & (df["difference"].abs() > 0.005)).any():
        event("combination less a discount")
    named = df[df["match"].str.startswith("Named")]
    if any(isinstance(t, str) and t.startswith("Inv ") for t in named["reference"]):
        event("named by the number alone")
    on_account = pay[(pay["payment_date"] <= as_of) & ~pay["invoice_id"].isin(inv["invoice_id"])]
    assert sorted(df["payment_id"]) == sorted(on_account["payment_id"])
    matched = df[df["invoice_count"] > 0].set_index("payment_id")["amount"]
    if len(matched):
        assert lines.groupby("payment_id")["apply"].sum().round(2).to_dict() == matched.round(2).to_dict()


def test_cli_unapplied(tmp_path, duck_url):
    from typer.testing import CliRunner

    from arboard import collectors, db
    from arboard.cli import app

    engine = db.open_database(duck_url)
    customers = pd.DataFrame({"customer_id": ["C2", "C4"], "name": ["=HYPERLINK(\"http://x\")", "Fine Ltd"]})
    write_ledger(engine, customers=customers, invoices=pd.DataFrame(WORKED_INVOICES),
                 payments=pd.DataFrame(WORKED_PAYMENTS))
    engine.dispose()
    run = CliRunner().invoke
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat()])
    assert result.exit_code == 0, result.output
    assert "13 payments on account as of 2026-03-01" in " ".join(result.output.split())
    assert "Oldest items together" in result.output and "B1, B2" in result.output
    out = tmp_path / "cash.xlsx"
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = pd.read_excel(out, sheet_name=None, engine="calamine")
    assert list(book) == ["Proposals", "Clearing lines"]
    assert len(book["Proposals"]) == 13 and book["Clearing lines"]["Apply"].sum() == pytest.approx(
        book["Proposals"].loc[book["Proposals"]["Match"] != "No match", "Amount"].sum())
    assert book["Proposals"]["Debtor"].astype(str).str.startswith("'=").any()  # no formula reaches a spreadsheet
    lines = tmp_path / "lines.csv"
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(lines), "--lines",
                       "--no-discounts", "--tolerance", "0"])
    assert result.exit_code == 0, result.output
    text = lines.read_text(encoding="utf-8-sig")
    assert text.startswith("Payment,Debtor ID,Received,Payment amount") and "L1" not in text  # no discount tried
    # One collector's debtors: C2 is Ann's, and nobody works C4.
    engine = db.open_database(duck_url)
    collectors.assign(engine, {"C2": "Ann"})
    engine.dispose()
    mine = tmp_path / "ann.xlsx"
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--collector", "Ann",
                       "--out", str(mine)])
    assert result.exit_code == 0, result.output
    assert "for the debtors of Ann" in " ".join(result.output.split())
    book = pd.read_excel(mine, sheet_name=None, engine="calamine")
    assert set(book["Proposals"]["Debtor ID"]) == {"C2"}
    assert set(book["Clearing lines"]["Payment"]) <= set(book["Proposals"]["Payment"])
    # A name is printed as it is: "[/x]" is no closing tag of the console's markup.
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--collector", "[/x]"])
    assert result.exit_code == 0 and "No payment on account as of 2026-03-01 for the debtors of [/x]" in " ".join(
        result.output.split()), result.output
    for bad in (["--discount", "30"], ["--tolerance", "11"], ["--out", str(tmp_path / "x.pdf")]):
        result = run(app, ["unapplied", "--db", duck_url, *bad])
        assert result.exit_code == 2, result.output
    # The debtor list says what of each debtor's overdue their cash on account most likely pays.
    debtors = tmp_path / "debtors.xlsx"
    result = run(app, ["export", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(debtors)])
    assert result.exit_code == 0, result.output
    listed = pd.read_excel(debtors, engine="calamine").set_index("customer_id")
    assert listed.loc["C2", "overdue_paid"] == pytest.approx(500) and listed.loc["C1", "overdue_paid"] == 500
    assert listed.loc["C7", "overdue_paid"] == 0
    # Saved rules are every command's: with a 2% discount no more, P4 (1,000 less 2%) matches nothing, in the
    # proposals and in the debtor list alike.
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--discount", "3", "--save"])
    assert result.exit_code == 0, result.output
    assert "Saved the match rules for every page and command: short or over by up to 1%, cash discount of 3%." \
        in " ".join(result.output.split())
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(out)])
    assert result.exit_code == 0 and "Not the saved rules" not in result.output, result.output
    proposals = pd.read_excel(out, sheet_name="Proposals", engine="calamine").set_index("Payment")
    assert proposals.loc["P4", "Match"] == "No match"
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--tolerance", "0"])
    assert "Not the saved rules (short or over by up to 1%, cash discount of 3%)" in " ".join(result.output.split())
    result = run(app, ["unapplied", "--db", duck_url, "--discount", "2", "--no-discounts"])
    assert result.exit_code == 2 and "not both" in result.output
    result = run(app, ["unapplied", "--db", duck_url, "--tolerance", "0", "--save", "--as-of", "2026-13-01"])
    assert result.exit_code == 2, result.output  # a bad date: nothing saved
    result = run(app, ["unapplied", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--tolerance", "0"])
    assert "Not the saved rules (short or over by up to 1%, cash discount of 3%)" in " ".join(result.output.split())


def test_saved_match_rules(engine):
    from arboard import db

    write_ledger(engine, invoices=pd.DataFrame(WORKED_INVOICES), payments=pd.DataFrame(WORKED_PAYMENTS))
    assert unapplied.saved_settings(engine) == unapplied.MatchSettings()  # none saved: the defaults
    unapplied.save_settings(engine, unapplied.MatchSettings(tolerance=0.0, discounts=(2.5,)))
    assert unapplied.saved_settings(engine) == unapplied.MatchSettings(tolerance=0.0, discounts=(2.5,))
    got = unapplied.match_payments(engine, AS_OF).proposals.set_index("payment_id")["match"]
    assert (got["P4"], got["P5"], got["P6"]) == ("No match", "No match", "No match")  # 2% off, short, over
    assert unapplied.settings_words(unapplied.saved_settings(engine)) == \
        "short or over by up to 0%, cash discount of 2.5%"
    assert unapplied.settings_words(unapplied.MatchSettings(discounts=(1, 2, 3))) == \
        "short or over by up to 1%, cash discounts of 1%, 2% and 3%"
    assert unapplied.settings_words(unapplied.MatchSettings(discounts=())) == \
        "short or over by up to 1%, no cash discount"
    # Edited by hand into something that is not a rule: the defaults, not an error on every page.
    for raw in ("{not json", '{"tolerance": 50, "discounts": [2]}', '{"tolerance": 1}', '[1, 2]',
                '{"tolerance": "x", "discounts": [2]}'):
        with engine.begin() as conn:
            db.set_meta(conn, unapplied.RULES_KEY, raw)
        assert unapplied.saved_settings(engine) == unapplied.MatchSettings(), raw


def test_one_debtors_plan_reads_what_another_debtors_payment_pays(engine):
    """D6's payment names D7's invoice (a Medium match). Counting Medium matches as applied, the Outreach plan
    leaves INV-6001 out; D7's own plan does too when it reads every debtor's match, not D7's alone."""
    from arboard import outreach

    write_ledger(engine, invoices=pd.DataFrame(NAMED_INVOICES), payments=pd.DataFrame(NAMED_PAYMENTS))
    cash = unapplied.match_payments(engine, AS_OF)
    assert cash.of("D6").proposals["payment_id"].tolist() == ["R6"]
    mine = unapplied.match_payments(engine, AS_OF, customer_id="D6")
    for got, want in ((cash.of("D6").proposals, mine.proposals), (cash.of("D6").lines, mine.lines)):
        pd.testing.assert_frame_equal(got, want, check_dtype=False)
    assert cash.of("D7").empty  # D7 has no payment of its own
    medium = outreach.PlanSettings(apply_cash="Medium")
    plan, why = outreach.debtor_outlook(engine, AS_OF, "D7", settings=medium, cash=cash.lines)
    assert plan.empty and why.startswith("cash on account most likely pays all they have open (payment R6,")
    alone, _ = outreach.debtor_outlook(engine, AS_OF, "D7", settings=medium, cash=cash.of("D7").lines)
    assert "INV-6001" in set(alone["invoices"].str.split(", ").explode())
    everyone = outreach.plan_inputs(engine, AS_OF, cash=cash.lines).build(AS_OF, medium)
    assert "D7" not in set(everyone["customer_id"])
