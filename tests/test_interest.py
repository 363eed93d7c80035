"""Late-payment interest and compensation: a worked example, the SQL against a naive reference on
random ledgers (DuckDB and PostgreSQL), the terms, and the messages that claim them."""

from __future__ import annotations

import dataclasses
import io
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from arboard import events, fx, interest, messages, outreach, schema, store
from arboard.cli import app
from arboard.errors import ArboardError
from tests import reference
from tests.conftest import snapshot, write_ledger
from tests.test_metrics import START, ledgers

AS_OF = date(2026, 3, 2)
EU = interest.InterestTerms(rate=12.0, consumer_rate=5.0, compensation=40.0)


def _ledger(engine):
    """B1 (a business): 1,000 due 1 Jan, 400 of it paid; a disputed invoice; a credit note; one not yet
    due. P1 (a consumer): 1,000 due 1 Jan. X9 (no customers row): 500 due 31 Jan."""
    inv = pd.DataFrame([
        ("I1", "B1", date(2025, 12, 2), date(2026, 1, 1), 1000.0, False),
        ("I2", "B1", date(2025, 12, 2), date(2026, 1, 1), 700.0, True),
        ("I3", "B1", date(2026, 1, 5), date(2026, 1, 5), -100.0, False),
        ("I4", "B1", date(2026, 2, 20), date(2026, 3, 20), 250.0, False),
        ("I5", "P1", date(2025, 12, 2), date(2026, 1, 1), 1000.0, False),
        ("I6", "X9", date(2026, 1, 1), date(2026, 1, 31), 500.0, False),
    ], columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "disputed"])
    inv = inv.assign(currency="EUR", paid_date=None)
    pay = pd.DataFrame([("P1", "I1", "B1", date(2026, 2, 1), 400.0, "EUR")],
                       columns=["payment_id", "invoice_id", "customer_id", "payment_date", "amount", "currency"])
    cust = pd.DataFrame({"customer_id": ["B1", "P1"], "name": ["Bolt GmbH", "Pat Doe"],
                         "customer_type": ["B2B", "B2C"]})
    write_ledger(engine, customers=cust, invoices=inv, payments=pay)


def test_worked_example(engine):
    _ledger(engine)
    got = interest.by_invoice(engine, AS_OF, terms=EU).set_index("invoice_id")
    # 60 days past due on the 600 still open: 600 x 12% x 60 / 365 = 11.84; the disputed invoice, the
    # credit note and the invoice not yet due claim nothing.
    assert list(got.index) == ["I1", "I5", "I6"]
    assert got.loc["I1", ["open_amount", "days", "interest", "compensation"]].tolist() == [600.0, 60, 11.84, 40.0]
    # A consumer: 5%, no compensation: 1,000 x 5% x 60 / 365 = 8.22.
    assert got.loc["I5", ["interest", "compensation"]].tolist() == [8.22, 0.0]
    # No customers row: taken for a business. 500 x 12% x 30 / 365 = 4.93.
    assert got.loc["I6", ["days", "interest", "compensation"]].tolist() == [30, 4.93, 40.0]
    # Grace: interest runs from 10 days after the due date; still one compensation per late invoice.
    graced = interest.by_invoice(engine, AS_OF, terms=interest.InterestTerms(rate=12.0, compensation=40.0,
                                                                             grace_days=10))
    assert graced.set_index("invoice_id").loc["I1", ["days", "interest"]].tolist() == [50, 9.86]
    per_debtor = interest.by_debtor(engine, AS_OF, terms=EU).set_index("customer_id")
    assert per_debtor.loc["B1", ["name", "invoices", "overdue", "interest", "compensation", "claim"]].tolist() == [
        "Bolt GmbH", 1, 600.0, 11.84, 40.0, 51.84]
    assert list(per_debtor.index) == ["B1", "X9", "P1"]  # the largest claim first
    one = interest.by_debtor(engine, AS_OF, terms=EU, customer_id="P1")
    assert one["interest"].tolist() == [8.22]
    totals = interest.totals(interest.by_debtor(engine, AS_OF, terms=EU))
    assert totals.iloc[0][["currency", "debtors", "invoices", "interest", "compensation"]].tolist() == [
        "EUR", 3, 3, 24.99, 80.0]
    # No terms, no claims (and no query).
    assert interest.by_debtor(engine, AS_OF, terms=interest.InterestTerms()).empty
    assert interest.totals(interest.by_debtor(engine, AS_OF, terms=interest.InterestTerms())).empty


def _load_random(engine, inv: pd.DataFrame, pay: pd.DataFrame) -> None:
    """A random ledger in place of the last one; C0 is a consumer, C1 a business, C2 unknown (a business)."""
    with engine.begin() as conn:
        for t in (schema.invoices, schema.payments, schema.customers):
            conn.execute(sa.delete(t))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C0", "C1"],
                                                           "customer_type": ["B2C", "B2B"]}))


# Rate changes anywhere in the ledgers' years (or none): (from, rate, consumers' rate).
rate_changes = st.lists(st.tuples(st.integers(0, 900), st.integers(0, 2000), st.integers(0, 1000)), max_size=4,
                        unique_by=lambda c: c[0]).map(
    lambda cs: tuple(sorted((START + timedelta(days=d), r / 100, c / 100) for d, r, c in cs)))


def _terms(changes: tuple) -> interest.InterestTerms:
    return interest.InterestTerms(rate=9.5, consumer_rate=4.0, compensation=40.0, grace_days=3,
                                  changes=tuple(interest.RateChange(*c) for c in changes))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), changes=rate_changes)
def test_sql_matches_reference(engine, ledger, changes):
    inv, pay, as_of = ledger
    _load_random(engine, inv, pay)
    events.refresh(engine)
    terms = _terms(changes)
    got = interest.by_debtor(engine, as_of, terms=terms).set_index("customer_id")
    expected = reference.interest_claims(inv, pay, as_of, rate=9.5, consumer_rate=4.0, compensation=40.0,
                                         grace_days=3, consumers={"C0"}, changes=changes)
    assert set(got.index) == set(expected)
    for who, (owed, fixed) in expected.items():
        assert got.loc[who, "interest"] == pytest.approx(owed, abs=0.0051)
        assert got.loc[who, "compensation"] == pytest.approx(fixed)


def test_terms_are_checked_saved_and_described(duck_engine):
    assert interest.load(duck_engine) == interest.InterestTerms() and not interest.InterestTerms().is_set
    for bad in ({"rate": -1}, {"rate": 51}, {"consumer_rate": 80}, {"compensation": 5000}, {"grace_days": -2},
                {"rate": "12"}):
        with pytest.raises(ArboardError):
            interest.InterestTerms(**bad)
    terms = interest.save(duck_engine, interest.InterestTerms(rate=12.15, compensation=40, grace_days=5))
    assert interest.load(duck_engine) == terms
    assert terms.describe() == ("Claimed: interest at 12.15% a year (consumers 0%) and 40.00 per overdue invoice of "
                                "a business debtor, from 5 days after the due date.")
    assert interest.InterestTerms(rate=8, consumer_rate=8).describe() == \
        "Claimed: interest at 8% a year from the due date."
    # Terms edited by hand into something unreadable: nothing is claimed, no page fails.
    from arboard.db import set_meta

    for raw in ('{"rate": 500}', "[1]", "not json", '"text"'):
        with duck_engine.begin() as conn:
            set_meta(conn, interest.KEY, raw)
        assert interest.load(duck_engine) == interest.InterestTerms()


def test_charges_per_message():
    statements = pd.Series([
        (("I1", date(2026, 1, 1), 1000.0), ("C1", date(2026, 1, 5), -100.0), ("I2", date(2026, 3, 20), 50.0)),
        (("I5", date(2026, 1, 1), 1000.0),),
        (),
    ])
    days = pd.Series(pd.to_datetime(["2026-03-02"] * 3))
    owed, fixed = interest.charges(statements, days, pd.Series([False, True, False]), EU)
    # 1,000 x 12% x 60 / 365 = 19.73 (the credit and the invoice not yet due claim nothing); the consumer 8.22.
    assert owed.tolist() == [19.73, 8.22, 0.0] and fixed.tolist() == [40.0, 0.0, 0.0]
    none = interest.charges(statements, days, pd.Series([False] * 3), interest.InterestTerms())
    assert [a.tolist() for a in none] == [[0.0] * 3] * 2


def _plan(engine, terms: interest.InterestTerms) -> pd.DataFrame:
    as_of = date(2026, 1, 20)
    groups = pd.Series({"B1": "wont_pay", "P1": "wont_pay", "X9": "willing_and_able"})
    return outreach.build_plan(outreach.open_items_for_plan(engine, as_of), groups, pd.Series(dtype=object),
                               outreach.DEFAULT_PLAYBOOKS, as_of, credits=outreach.open_credits_for_plan(engine, as_of),
                               settings=outreach.PlanSettings(interest=terms, weeks=4))


def test_a_firm_letter_claims_interest_and_a_friendly_reminder_does_not(engine):
    _ledger(engine)
    plan = _plan(engine, EU)
    firm = plan[plan["step"] == "Firm letter, credit hold"].set_index("customer_id")
    assert firm["date"].tolist() == [pd.Timestamp("2026-01-22")] * 2
    # B1 on 22 Jan: I1 (1,000, 21 days late) less the credit note; I2 is disputed, out of the letter and the
    # claim. 1,000 x 12% x 21 / 365 = 6.90, and 40 for the one late invoice.
    assert firm.loc["B1", ["amount", "interest", "compensation", "interest_rate", "total_due"]].tolist() == [
        1000.0, 6.9, 40.0, 12.0, pytest.approx(946.90)]
    # P1, a consumer: 1,000 x 5% x 21 / 365 = 2.88, no compensation.
    assert firm.loc["P1", ["interest", "compensation", "interest_rate", "total_due"]].tolist() == [
        2.88, 0.0, 5.0, pytest.approx(1002.88)]
    text = outreach.render_messages(firm.reset_index()).set_index("customer_id").loc["B1", "message"]
    assert ("Late-payment interest at 12% a year: €6.90. Compensation for recovery costs: €40.00. "
            "Total due: €946.90.") in text
    claiming = plan["step"].isin(["Firm letter, credit hold", "Final notice, hand-over"])
    assert (plan.loc[claiming, "interest"] > 0).all()
    assert (plan.loc[~claiming, ["interest", "compensation", "interest_rate"]] == 0).all().all()
    assert outreach.interest_claimed(plan) == (int(claiming.sum()), 2)
    assert {"interest", "compensation"} <= set(outreach.export_table(outreach.render_messages(plan)))
    # Without terms, the same letter claims nothing and says nothing about it.
    plain = _plan(engine, interest.InterestTerms())
    assert (plain[["interest", "compensation"]] == 0).all().all() and outreach.interest_claimed(plain) == (0, 0)
    text = outreach.render_messages(plain[plain["step"] == "Firm letter, credit hold"])["message"].iloc[0]
    assert "interest" not in text.lower() and "Total due" not in text
    # Reminding disputed invoices lists I2 (700) in B1's letter, but claims nothing on it.
    with_disputed = outreach.build_plan(
        outreach.open_items_for_plan(engine, date(2026, 1, 20)), pd.Series({"B1": "wont_pay"}),
        pd.Series(dtype=object), outreach.DEFAULT_PLAYBOOKS, date(2026, 1, 20),
        settings=outreach.PlanSettings(interest=EU, weeks=4, remind_disputed=True))
    letter = with_disputed[with_disputed["step"] == "Firm letter, credit hold"].iloc[0]
    assert "I2" in {n for n, _d, _a in letter["statement"]}
    assert (letter["interest"], letter["compensation"]) == (6.9, 40.0)


def test_a_step_that_claims_interest_must_say_it():
    table = outreach.steps_table(outreach.DEFAULT_PLAYBOOKS["wont_pay"])
    assert table["interest"].tolist() == [False, False, False, True, True]
    assert outreach.playbook_from_table("wont_pay", table) == outreach.DEFAULT_PLAYBOOKS["wont_pay"]
    table.loc[0, "interest"] = True  # "Reminder": its message names neither
    with pytest.raises(ArboardError, match=r"Step 1 \(Reminder\) claims late-payment interest.*\{\{ compensation "
                                           r"\}\} and \{\{ interest \}\}"):
        outreach.playbook_from_table("wont_pay", table)
    # Saved and read back with the flag; a playbook saved before the flag existed reads as not claiming.
    book = outreach.DEFAULT_PLAYBOOKS["wont_pay"]
    assert outreach.Playbook.from_json(book.to_json()) == book
    old = '{"group": "g", "steps": [{"offset_days": 1, "channel": "email", "tone": "firm", "template": "x"}]}'
    assert outreach.Playbook.from_json(old).steps[0].interest is False


def test_message_fields():
    ctx = messages.MessageContext("Bolt GmbH", 1234.5, "EUR", date(2026, 1, 1), (("I1", date(2026, 1, 1), 1234.5),),
                                  "https://x", "de_DE", fee=5.0, interest=12.3, interest_rate=12.15, compensation=40)
    fields = messages.context_fields(ctx)
    assert (fields["interest"], fields["interest_rate"], fields["compensation"], fields["total_due"]) == (
        "12,30\xa0€", "12,15\xa0%", "40,00\xa0€", "1.291,80\xa0€")
    plain = messages.context_fields(messages.MessageContext("B", 10.0, "EUR", None, (), "https://x"))
    assert plain["interest"] == plain["interest_rate"] == plain["compensation"] == ""
    assert messages.fields_used("{{ interest }} {% for i in invoices %}{{ i.number }}{% endfor %}") == {
        "interest", "invoices"}


def test_cli_sets_shows_and_exports(engine, tmp_path):
    _ledger(engine)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    shown = runner.invoke(app, ["interest", "--db", url])
    assert shown.exit_code == 0 and "No late-payment interest" in shown.output
    before = snapshot(engine)
    bad = runner.invoke(app, ["interest", "--rate", "80", "--db", url])
    assert bad.exit_code == 2 and "between 0 and 50" in bad.output and snapshot(engine) == before
    out = tmp_path / "claims.xlsx"
    done = runner.invoke(app, ["interest", "--rate", "12", "--consumer-rate", "5", "--compensation", "40",
                               "--as-of", "2026-03-02", "--out", str(out), "--db", url])
    assert done.exit_code == 0, done.output
    assert "3 debtors owe EUR 24.99 interest, 80.00 compensation" in " ".join(done.output.split())
    sheet = pd.read_excel(out)
    assert sheet["customer_id"].tolist() == ["B1", "X9", "P1"] and sheet["claim"].tolist() == [51.84, 44.93, 8.22]
    assert interest.load(engine) == EU


def _paid_ledger(engine):
    """Payments that came late in March 2026 (and one in April), of B1 (a business) and P1 (a consumer)."""
    inv = pd.DataFrame([
        # 300 paid before the due date, 200 thirty days late in March, the rest settled in April.
        ("L1", "B1", date(2026, 1, 2), date(2026, 2, 1), 1000.0, date(2026, 4, 2), False),
        ("L2", "B1", date(2026, 1, 30), date(2026, 3, 1), 800.0, date(2026, 3, 31), False),  # 30 days late
        ("L3", "B1", date(2026, 2, 13), date(2026, 3, 15), 600.0, date(2026, 3, 10), False),  # early
        ("L4", "B1", date(2026, 1, 2), date(2026, 2, 1), 900.0, date(2026, 3, 1), True),  # disputed
        ("L5", "P1", date(2026, 1, 2), date(2026, 2, 1), 1000.0, date(2026, 3, 3), False),  # a consumer
        ("L6", "B1", date(2026, 1, 2), date(2026, 2, 1), 500.0, date(2026, 3, 5), False),  # overpaid
        ("L7", "B1", date(2026, 2, 1), date(2026, 2, 1), -250.0, date(2026, 3, 2), False),  # a credit note
    ], columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "paid_date", "disputed"])
    pay = pd.DataFrame([
        ("P1", "L1", "B1", date(2026, 1, 21), 300.0), ("P2", "L1", "B1", date(2026, 3, 3), 200.0),
        ("P3", "L6", "B1", date(2026, 3, 1), 700.0),
        ("P4", None, "B1", date(2026, 3, 20), 99.0),  # on account: nothing to do with interest
    ], columns=["payment_id", "invoice_id", "customer_id", "payment_date", "amount"])
    cust = pd.DataFrame({"customer_id": ["B1", "P1"], "name": ["Bolt GmbH", "Pat Doe"],
                         "customer_type": ["B2B", "B2C"]})
    write_ledger(engine, customers=cust, invoices=inv.assign(currency="EUR"), payments=pay.assign(currency="EUR"))


MARCH = {"since": date(2026, 3, 1), "until": date(2026, 3, 31)}


def test_paid_late_worked_example(engine):
    _paid_ledger(engine)
    lines = interest.paid_late(engine, **MARCH, terms=EU)
    got = [(r.invoice_id, f"{r.paid_on:%d %b}", r.paid, r.days, r.interest, r.compensation)
           for r in lines.itertuples()]
    assert got == [
        # B1: 200 x 12% x 30 / 365 = 1.97 (what L1 settles in April is April's)
        ("L1", "03 Mar", 200.0, 30, 1.97, 0.0),
        # 700 paid on a 500 invoice 28 days late: 500 counts, 500 x 12% x 28 / 365 = 4.60; its settlement
        # cleared nothing more but was late: the compensation
        ("L6", "01 Mar", 500.0, 28, 4.60, 0.0),
        ("L6", "05 Mar", 0.0, 32, 0.0, 40.0),
        # 800 x 12% x 30 / 365 = 7.89, and the compensation on the late settlement
        ("L2", "31 Mar", 800.0, 30, 7.89, 40.0),
        # P1, a consumer: 1,000 x 5% x 30 / 365 = 4.11, no compensation
        ("L5", "03 Mar", 1000.0, 30, 4.11, 0.0),
    ]
    # Early (L3), disputed (L4), a credit note (L7), cash on account: nothing.
    per_debtor = interest.paid_late_by_debtor(engine, **MARCH, terms=EU)
    assert per_debtor[["customer_id", "name", "invoices", "paid_late", "interest", "compensation", "claim"]] \
        .values.tolist() == [["B1", "Bolt GmbH", 3, 1500.0, 14.46, 80.0, 94.46],
                             ["P1", "Pat Doe", 1, 1000.0, 4.11, 0.0, 4.11]]
    assert interest.totals(per_debtor).iloc[0][["debtors", "invoices", "interest", "compensation"]].tolist() == [
        2, 4, 18.57, 80.0]
    # April: what L1's settlement cleared, 60 days late: 500 x 12% x 60 / 365 = 9.86, and the compensation.
    april = interest.paid_late(engine, since=date(2026, 4, 1), until=date(2026, 4, 30), terms=EU)
    assert april[["invoice_id", "paid", "days", "interest", "compensation"]].values.tolist() == [
        ["L1", 500.0, 60, 9.86, 40.0]]
    # Ten days of grace: L2 is 20 days late, 800 x 12% x 20 / 365 = 5.26.
    graced = interest.paid_late(engine, **MARCH, terms=interest.InterestTerms(rate=12.0, grace_days=10))
    assert graced.set_index("invoice_id").loc["L2", ["days", "interest", "compensation"]].tolist() == [20, 5.26, 0.0]
    # One debtor; no terms, nothing; a period back to front is refused.
    assert interest.paid_late_by_debtor(engine, **MARCH, terms=EU, customer_id="P1")["claim"].tolist() == [4.11]
    assert interest.paid_late(engine, **MARCH, terms=EU, customer_id="P1")["invoice_id"].tolist() == ["L5"]
    assert interest.paid_late(engine, **MARCH, terms=interest.InterestTerms()).empty
    with pytest.raises(ArboardError, match="starts after it ends"):
        interest.paid_late_by_debtor(engine, since=date(2026, 4, 1), until=date(2026, 3, 1), terms=EU)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=ledgers(), ends=st.tuples(st.integers(0, 800), st.integers(0, 800)), changes=rate_changes)
def test_paid_late_matches_reference(engine, ledger, ends, changes):
    inv, pay, _ = ledger
    since, as_of = (START + timedelta(days=d) for d in sorted(ends))  # a period anywhere, often a long one
    _load_random(engine, inv, pay)
    terms = _terms(changes)
    got = interest.paid_late_by_debtor(engine, since=since, until=as_of, terms=terms).set_index("customer_id")
    expected = reference.paid_late_interest(inv, pay, since, as_of, rate=9.5, consumer_rate=4.0, compensation=40.0,
                                            grace_days=3, consumers={"C0"}, changes=changes)
    assert set(got.index) == set(expected)
    lines = interest.paid_late(engine, since=since, until=as_of, terms=terms)
    for who, (owed, fixed, n) in expected.items():
        assert got.loc[who, "interest"] == pytest.approx(owed, abs=0.0101 * 3 * n)
        assert got.loc[who, "compensation"] == pytest.approx(fixed)
        assert got.loc[who, "invoices"] == n
        mine = lines[lines["customer_id"] == who]
        assert mine["interest"].sum() == pytest.approx(got.loc[who, "interest"])  # the lines add up
        assert got.loc[who, "claim"] == pytest.approx(got.loc[who, "interest"] + got.loc[who, "compensation"])


def test_cli_paid_late(engine, tmp_path):
    _paid_ledger(engine)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    interest.save(engine, EU)
    out = tmp_path / "march.xlsx"
    done = runner.invoke(app, ["interest", "--paid-since", "2026-03-01", "--as-of", "2026-03-31", "--out", str(out),
                               "--db", url])
    assert done.exit_code == 0, done.output
    assert ("Paid late from 2026-03-01 to 2026-03-31: 2 debtors earned EUR 18.57 interest, 80.00 compensation"
            in " ".join(done.output.split()))
    sheet = pd.read_excel(out)
    assert sheet["customer_id"].tolist() == ["B1", "P1"] and sheet["claim"].tolist() == [94.46, 4.11]
    lines = tmp_path / "march.csv"
    done = runner.invoke(app, ["interest", "--paid-since", "2026-03-01", "--as-of", "2026-03-31", "--lines",
                               "--no-compensation", "--out", str(lines), "--db", url])
    assert done.exit_code == 0, done.output
    assert "EUR 18.57 interest, 0.00 compensation" in " ".join(done.output.split())
    csv = pd.read_csv(lines)
    assert csv["invoice_id"].tolist() == ["L1", "L6", "L6", "L2", "L5"] and csv["compensation"].sum() == 0
    assert interest.load(engine) == EU  # leaving the compensation out of one claim does not change the terms
    # The open claims per invoice, too.
    per_invoice = tmp_path / "open.csv"
    done = runner.invoke(app, ["interest", "--as-of", "2026-03-31", "--lines", "--out", str(per_invoice),
                               "--db", url])
    assert done.exit_code == 0 and "invoice_id" in pd.read_csv(per_invoice).columns
    before = snapshot(engine)
    for bad, said in ((["--paid-since", "2026-04-01", "--as-of", "2026-03-01"], "starts after it ends"),
                      (["--paid-since", "31/03/2026"], "--paid-since"),
                      (["--no-compensation"], "goes with --paid-since")):
        refused = runner.invoke(app, ["interest", *bad, "--db", url])
        assert refused.exit_code == 2 and said in " ".join(refused.output.split()), refused.output
    assert snapshot(engine) == before


def test_claims_rank_in_the_reporting_currency(engine):
    _paid_ledger(engine)
    with engine.begin() as conn:
        store.append(conn, schema.invoices, pd.DataFrame([{
            "invoice_id": "S1", "customer_id": "S9", "invoice_date": date(2026, 1, 30), "due_date": date(2026, 3, 1),
            "amount": 10_000.0, "currency": "SEK", "paid_date": date(2026, 3, 31), "disputed": False}]))
    # 10,000 x 12% x 30 / 365 = 98.63 and 40 compensation: SEK 138.63, more than B1's EUR 94.46 at face value,
    # about EUR 12.48 at 0.09.
    face = interest.paid_late_by_debtor(engine, **MARCH, terms=EU)
    assert face["customer_id"].tolist() == ["S9", "B1", "P1"] and face["claim"].iloc[0] == 138.63
    rates = fx.Rates("EUR", {"SEK": 0.09})
    assert interest.paid_late_by_debtor(engine, **MARCH, terms=EU, rates=rates)["customer_id"].tolist() == [
        "B1", "S9", "P1"]
    # The open claims too: as of 25 Mar, S1 claims SEK 118.90, B1 EUR 94.86 (L1 and L2).
    open_claims = interest.by_debtor(engine, date(2026, 3, 25), terms=EU, rates=rates)
    assert open_claims["customer_id"].tolist()[0] == "B1"
    assert interest.by_debtor(engine, date(2026, 3, 25), terms=EU)["customer_id"].tolist()[0] == "S9"


def test_the_periods_an_interest_invoice_covers():
    # The last whole month: the month before, or the as-of date's own when it is its last day.
    assert interest.last_month(date(2026, 11, 24)) == (date(2026, 10, 1), date(2026, 10, 31))
    assert interest.last_month(date(2026, 10, 31)) == (date(2026, 10, 1), date(2026, 10, 31))
    assert interest.last_month(date(2026, 1, 15)) == (date(2025, 12, 1), date(2025, 12, 31))
    assert interest.last_month(date(2024, 3, 1)) == (date(2024, 2, 1), date(2024, 2, 29))
    # Twelve months to a day, both ends included.
    assert interest.year_to(date(2026, 11, 20)) == (date(2025, 11, 21), date(2026, 11, 20))
    assert interest.year_to(date(2024, 2, 29)) == (date(2023, 3, 1), date(2024, 2, 29))


def test_interest_claims_to_print(engine, tmp_path):
    from pypdf import PdfReader

    from arboard import letters, sender

    _paid_ledger(engine)
    with engine.begin() as conn:  # B1 in Germany: its claim speaks German numbers
        conn.execute(sa.update(schema.customers).where(schema.customers.c.customer_id == "B1")
                     .values(street="Hafenstraße 1", postal_code="20095", city="Hamburg", country="DE",
                             locale="de_DE"))
    found = interest.claims(engine, ["P1", "B1", "P1"], **MARCH, terms=EU)
    assert [c.customer["customer_id"] for c in found] == ["P1", "B1"]  # in the order asked, once each
    b1 = found[1]
    assert b1.lines["invoice_id"].tolist() == ["L1", "L6", "L6", "L2"] and b1.lines["rate"].tolist() == [12.0] * 4
    assert b1.totals()[["currency", "interest", "compensation", "total"]].values.tolist() == [
        ["EUR", 14.46, 80.0, 94.46]]
    company = sender.Sender(name="Nordlicht GmbH", pay_link="https://pay.example/{customer_id}")
    reader = PdfReader(io.BytesIO(letters.interest_claims_pdf(found, sender=company)))
    assert len(reader.pages) == 2  # one letter per debtor
    text = " ".join(reader.pages[1].extract_text().split())
    for said in ("Late-payment interest", "Hafenstraße 1", "L2", "31.03.2026", "12 %", "7,89 €", "14,46 €",
                 "80,00 €", "Please pay 94,46 € at https://pay.example/B1"):
        assert said in text, said
    consumer = " ".join(reader.pages[0].extract_text().split())
    assert "Please pay €4.11" in consumer and "fixed sum compensates" not in consumer  # English: no locale
    # Nothing to claim, nobody to print; an unknown debtor is refused.
    assert interest.claims(engine, ["B1"], since=date(2026, 5, 1), until=date(2026, 5, 31), terms=EU) == []
    with pytest.raises(ArboardError, match="no payment came late"):
        letters.interest_claims_pdf([])
    with pytest.raises(ArboardError, match="No debtor 'ZZ'"):
        interest.claims(engine, ["ZZ"], **MARCH, terms=EU)
    # From the command line: every claim of the period, to print.
    interest.save(engine, EU)
    url = engine.url.render_as_string(hide_password=False)
    out = tmp_path / "march.pdf"
    done = CliRunner().invoke(app, ["interest", "--paid-since", "2026-03-01", "--as-of", "2026-03-31", "--out",
                                    str(out), "--db", url])
    assert done.exit_code == 0, done.output
    assert len(PdfReader(out).pages) == 2
    empty = CliRunner().invoke(app, ["interest", "--paid-since", "2026-05-01", "--as-of", "2026-05-31", "--out",
                                     str(tmp_path / "may.pdf"), "--db", url])
    assert empty.exit_code == 1 and "no claim to print" in " ".join(empty.output.split())
    assert not (tmp_path / "may.pdf").exists()
    open_claims = CliRunner().invoke(app, ["interest", "--out", str(tmp_path / "x.pdf"), "--db", url])
    assert open_claims.exit_code == 2 and "--out must end in .csv or .xlsx" in open_claims.output


# The reference rate falls by 2 points on 1 July 2026: 12% a year to 30 June, 10% from 1 July; consumers
# 5% to 3% (their margin kept).
HALF_YEAR = interest.InterestTerms(rate=12.0, consumer_rate=5.0, compensation=40.0,
                                   changes=(interest.RateChange(date(2026, 7, 1), 10.0, 3.0),))


def _summer_ledger(engine):
    """Invoices due 20 June 2026 and paid on 10 July: twenty days late, ten at each rate. S1 a business
    (10,000), S2 a consumer (1,000), S3 a business paid before the change (5,000, 9 days late)."""
    inv = pd.DataFrame([
        ("S1", "B1", date(2026, 5, 21), date(2026, 6, 20), 10_000.0, date(2026, 7, 10)),
        ("S2", "P1", date(2026, 5, 21), date(2026, 6, 20), 1_000.0, date(2026, 7, 10)),
        ("S3", "B1", date(2026, 5, 21), date(2026, 6, 20), 5_000.0, date(2026, 6, 29)),
    ], columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "paid_date"])
    cust = pd.DataFrame({"customer_id": ["B1", "P1"], "name": ["Bolt GmbH", "Pat Doe"],
                         "customer_type": ["B2B", "B2C"]})
    write_ledger(engine, customers=cust, invoices=inv.assign(currency="EUR", disputed=False))


def test_each_late_day_earns_at_the_rate_in_force_on_it(engine):
    _summer_ledger(engine)
    period = {"since": date(2026, 6, 1), "until": date(2026, 7, 31)}
    lines = interest.paid_late(engine, **period, terms=HALF_YEAR).set_index("invoice_id")
    # 10,000 x (10 days x 12% + 10 days x 10%) / 365 = 10,000 x 220 / 36,500 = 60.27, at 11% on average.
    assert lines.loc["S1", ["days", "rate", "interest", "compensation"]].tolist() == [20, 11.0, 60.27, 40.0]
    # The consumer: 1,000 x (10 x 5% + 10 x 3%) / 365 = 2.19, at 4% on average.
    assert lines.loc["S2", ["days", "rate", "interest"]].tolist() == [20, 4.0, 2.19]
    # Paid before the change: all at 12%: 5,000 x 12% x 9 / 365 = 14.79.
    assert lines.loc["S3", ["days", "rate", "interest"]].tolist() == [9, 12.0, 14.79]
    # Without the change, the twenty days at 12%: 65.75; the change counts.
    flat = interest.paid_late(engine, **period, terms=dataclasses.replace(HALF_YEAR, changes=()))
    assert flat.set_index("invoice_id").loc["S1", "interest"] == 65.75
    # Five days of grace: late from 26 June, 5 days at 12% and 10 at 10%: 10,000 x 160 / 36,500 = 43.84.
    graced = interest.paid_late(engine, **period, terms=dataclasses.replace(HALF_YEAR, grace_days=5))
    assert graced.set_index("invoice_id").loc["S1", ["days", "interest"]].tolist() == [15, 43.84]
    # What was still open on 10 July earns the same way (the open claims a reminder makes).
    open_then = interest.by_invoice(engine, date(2026, 7, 9), terms=HALF_YEAR).set_index("invoice_id")
    # 19 days on 9 July: 10 at 12%, 9 at 10%: 10,000 x 210 / 36,500 = 57.53.
    assert open_then.loc["S1", ["days", "interest"]].tolist() == [19, 57.53]
    # A message on 10 July claims the same and names the rate in force that day.
    statements = pd.Series([(("S1", date(2026, 6, 20), 10_000.0),), (("S2", date(2026, 6, 20), 1_000.0),)])
    day = pd.Series(pd.to_datetime(["2026-07-10", "2026-07-10"]))
    owed, _ = interest.charges(statements, day, pd.Series([False, True]), HALF_YEAR)
    assert owed.tolist() == [60.27, 2.19]
    assert interest.rates_on(day, pd.Series([False, True]), HALF_YEAR).tolist() == [10.0, 3.0]
    assert interest.rates_on(pd.Series(pd.to_datetime(["2026-06-30"])), pd.Series([False]), HALF_YEAR).tolist() \
        == [12.0]
    # Recorded as sent, a line keeps its rate (the average, to the cent of a percent).
    from arboard import interestclaims

    interestclaims.record(engine, **period, terms=HALF_YEAR, claimed_on=date(2026, 8, 1), today=date(2026, 8, 1))
    with engine.connect() as conn:
        kept = dict(conn.execute(sa.select(schema.interest_claimed.c.invoice_id, schema.interest_claimed.c.rate)
                                 .where(schema.interest_claimed.c.kind == 1)).all())
    assert {k: float(v) for k, v in kept.items()} == {"S1": 11.0, "S2": 4.0, "S3": 12.0}


def test_rate_changes_are_read_checked_saved_and_described(duck_engine):
    read = interest.parse_changes("2026-07-01 10.15 6.15\n\n1.1.2027\t9,65 %\n2025-07-01;12,15;8,15\n",
                                  rate=12.0, consumer_rate=8.0)
    # In date order; a line without the consumers' rate moves it by the business rate's step (-0.5).
    assert read == (interest.RateChange(date(2025, 7, 1), 12.15, 8.15),
                    interest.RateChange(date(2026, 7, 1), 10.15, 6.15),
                    interest.RateChange(date(2027, 1, 1), 9.65, 5.65))
    assert interest.parse_changes("2026-07-01,10.15,6.15", rate=0, consumer_rate=0)[0].consumer_rate == 6.15
    assert interest.parse_changes("  \n", rate=12, consumer_rate=8) == ()
    # Out of order: a line without the consumers' rate follows the change before it in time, not in the text.
    assert interest.parse_changes("2027-01-01 9.65\n2026-07-01 10.15 3.15", rate=12, consumer_rate=8)[1] == \
        interest.RateChange(date(2027, 1, 1), 9.65, 2.65)
    # Kept changes stay, in order; a line on the same day takes its place.
    kept = (interest.RateChange(date(2026, 7, 1), 10.0, 7.0), interest.RateChange(date(2027, 1, 1), 9.0, 6.0))
    assert interest.parse_changes("2027-01-01 8.5", rate=12, consumer_rate=8, keep=kept) == (
        kept[0], interest.RateChange(date(2027, 1, 1), 8.5, 5.5))
    for text, said in [("2026-07-01", "line 1: .* a day and one or two rates"),
                       ("1 2 3 4", "line 1: .* a day and one or two rates"),
                       ("2026-07-01 10\n07/01/2026 9", "line 2: \"07/01/2026\" is not a date"),
                       ("2026-02-30 9", "line 1: \"2026-02-30\" is not a date"),
                       ("2026-07-01 ten", "\"ten\" is not a rate"),
                       ("2026-07-01 nan", "\"nan\" is not a rate"),
                       ("2026-07-01 10\n1.7.2026 9", "Two rate changes from 1 Jul 2026"),
                       ("2026-07-01 60", "between 0 and 50 percent"),
                       ("1890-07-01 6", "from 1990 to 2100"),
                       ("2026-07-01 1 -2", "between 0 and 50")]:
        with pytest.raises(ArboardError, match=said):
            interest.parse_changes(text, rate=12, consumer_rate=8)
    with pytest.raises(ArboardError, match="Two rate changes"):
        interest.InterestTerms(changes=(interest.RateChange(date(2026, 7, 1), 1, 1),) * 2)
    with pytest.raises(ArboardError, match="list of RateChange"):
        interest.InterestTerms(changes=((date(2026, 7, 1), 1, 1),))
    terms = dataclasses.replace(HALF_YEAR, changes=tuple(reversed(read)))
    assert terms.changes == read  # kept in date order
    assert interest.save(duck_engine, terms) == interest.load(duck_engine) == terms
    assert interest.changes_text(terms.changes).splitlines() == ["2025-07-01 12.15 8.15", "2026-07-01 10.15 6.15",
                                                                 "2027-01-01 9.65 5.65"]
    assert terms.describe() == ("Claimed: interest at 12% a year (consumers 5%), 12.15% (consumers 8.15%) from "
                                "1 Jul 2025, 10.15% (consumers 6.15%) from 1 Jul 2026 and 9.65% (consumers 5.65%) "
                                "from 1 Jan 2027; and 40.00 per overdue invoice of a business debtor, counted from "
                                "the due date.")
    assert HALF_YEAR.describe().startswith("Claimed: interest at 12% a year (consumers 5%) and 10% (consumers 3%) "
                                           "from 1 Jul 2026; and 40.00")
    more = dataclasses.replace(terms, changes=(interest.RateChange(date(2024, 7, 1), 1, 1), *terms.changes))
    assert more.describe().startswith("Claimed: interest at 12.15% a year (consumers 8.15%) from 1 Jul 2025, "
                                      "10.15% (consumers 6.15%) from 1 Jul 2026 and 9.65% (consumers 5.65%) from 1 "
                                      "Jan 2027 (5 rates in all); and 40.00")
    assert terms.rate_on(date(2026, 6, 30), consumer=False) == 12.15 and terms.rate_on(date(2025, 6, 30),
                                                                                       consumer=True) == 5.0
    # Nothing but a later rate: interest is claimed from its day on.
    later = interest.InterestTerms(changes=(interest.RateChange(date(2026, 7, 1), 10.0, 3.0),))
    assert later.is_set and later.rate_days(20, date(2026, 7, 10), consumer=False) == 100.0
    # Saved terms edited by hand into nonsense: nothing is claimed, no page fails.
    from arboard.db import set_meta

    for raw in ('{"rate": 5, "changes": [["2026-13-01", 1, 1]]}', '{"changes": [["2026-07-01", 1]]}',
                '{"changes": 7}', '{"changes": [["2026-07-01", "x", 1]]}'):
        with duck_engine.begin() as conn:
            set_meta(conn, interest.KEY, raw)
        assert interest.load(duck_engine) == interest.InterestTerms(), raw


def test_a_claim_over_a_rate_change_says_so(engine):
    from pypdf import PdfReader

    from arboard import letters

    _summer_ledger(engine)
    period = {"since": date(2026, 6, 1), "until": date(2026, 7, 31)}
    b1, p1 = interest.claims(engine, ["B1", "P1"], **period, terms=HALF_YEAR)
    assert b1.rates_changed().tolist() == [True, False] and not b1.consumer and p1.consumer  # S3 paid on 29 June
    assert b1.rates_used() == [(None, date(2026, 6, 30), 12.0), (date(2026, 7, 1), None, 10.0)]
    assert p1.rates_used() == [(None, date(2026, 6, 30), 5.0), (date(2026, 7, 1), None, 3.0)]
    text = " ".join(PdfReader(io.BytesIO(letters.interest_claims_pdf([b1, p1]))).pages[0].extract_text().split())
    for said in ("11%*", "€60.27", "* The rate a year changed within these days: 12% until 30 Jun 2026, 10% from "
                 "1 Jul 2026; the rate shown is the average"):
        assert said in text, said
    # A claim whose lines all ran at one rate has no footnote.
    june = interest.claims(engine, ["B1"], since=date(2026, 6, 1), until=date(2026, 6, 30), terms=HALF_YEAR)
    alone = " ".join(PdfReader(io.BytesIO(letters.interest_claims_pdf(june))).pages[0].extract_text().split())
    assert "12%" in alone and "*" not in alone


def test_cli_sets_rate_changes(duck_engine):
    url = duck_engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    done = runner.invoke(app, ["interest", "--db", url, "--rate", "12", "--consumer-rate", "5",
                               "--rate-change", "2026-07-01 10", "--rate-change", "2027-01-01 9.5 2.5"])
    assert done.exit_code == 0, done.output
    assert interest.load(duck_engine).changes == (interest.RateChange(date(2026, 7, 1), 10.0, 3.0),
                                                  interest.RateChange(date(2027, 1, 1), 9.5, 2.5))
    said = " ".join(done.output.split())
    assert "10% (consumers 3%) from 1 Jul 2026 and 9.5% (consumers 2.5%) from 1 Jan 2027" in said
    # One more, on a day already there: it takes that day's place; the others stay.
    again = runner.invoke(app, ["interest", "--db", url, "--rate-change", "2027-01-01 9"])
    assert again.exit_code == 0 and [c.rate for c in interest.load(duck_engine).changes] == [10.0, 9.0]
    before = snapshot(duck_engine)
    bad = runner.invoke(app, ["interest", "--db", url, "--rate-change", "2027-13-01 9"])
    assert bad.exit_code == 2 and "is not a date" in bad.output and snapshot(duck_engine) == before
    cleared = runner.invoke(app, ["interest", "--db", url, "--no-rate-changes"])
    assert cleared.exit_code == 0 and interest.load(duck_engine).changes == ()
    both = runner.invoke(app, ["interest", "--db", url, "--no-rate-changes", "--rate-change", "2027-01-01 9"])
    assert both.exit_code == 2 and "not both" in both.output


def test_rates_print_as_they_are():
    # 11.54 / 100 is 0.11539999... in binary floating point: printed as it was typed all the same.
    assert [messages.rate_text(r, None) for r in (11.54, 11.35, 12.15, 8.0, 11.0264)] == [
        "11.54%", "11.35%", "12.15%", "8%", "11.03%"]
    assert messages.rate_text(11.54, "de_DE") == "11,54\xa0%"


def test_a_message_names_the_earlier_rates_its_interest_ran_at(engine):
    _ledger(engine)
    # The rate changes on 10 January; the firm letter goes out on 22 January.
    terms = dataclasses.replace(EU, changes=(interest.RateChange(date(2026, 1, 10), 10.0, 3.0),
                                             interest.RateChange(date(2026, 6, 1), 10.0, 2.0)))  # consumers only
    firm = _plan(engine, terms).pipe(lambda p: p[p["step"] == "Firm letter, credit hold"]).set_index("customer_id")
    # B1: I1 late from 2 January, 8 days at 12% and 13 at 10%: 1,000 x 226 / 36,500 = 6.19.
    assert firm.loc["B1", ["interest", "interest_rate"]].tolist() == [6.19, 10.0]
    assert firm.loc["B1", "interest_earlier"] == ((12.0, date(2026, 1, 9)),)
    # P1, a consumer: 8 days at 5% and 13 at 3%: 1,000 x 79 / 36,500 = 2.16.
    assert firm.loc["P1", ["interest", "interest_rate"]].tolist() == [2.16, 3.0]
    text = outreach.render_messages(firm.reset_index()).set_index("customer_id")["message"]
    assert "Late-payment interest at 10% a year (12% until 9 Jan 2026): €6.19." in text["B1"]
    assert "Late-payment interest at 3% a year (5% until 9 Jan 2026): €2.16." in text["P1"]
    # Before the change, only the one rate; the consumers' change of June is not a business's.
    assert interest.earlier_rates(pd.Series([(("I1", date(2026, 1, 1), 1.0),)] * 2),
                                  pd.Series(pd.to_datetime(["2026-01-09", "2026-07-01"])), pd.Series([False] * 2),
                                  terms) == [(), ((12.0, date(2026, 1, 9)),)]
    assert interest.earlier_rates(pd.Series([(("I1", date(2026, 1, 1), 1.0),)]), pd.Series(pd.to_datetime(
        ["2026-07-01"])), pd.Series([True]), terms) == [((5.0, date(2026, 1, 9)), (3.0, date(2026, 5, 31)))]
    # Messages in German say it their way.
    ctx = messages.MessageContext("B", 1000.0, "EUR", None, (), "https://x", "de_DE", interest=6.19,
                                  interest_rate=10.0, interest_earlier=((12.0, date(2026, 1, 9)),))
    said = messages.context_fields(ctx)
    assert (said["interest_rate"], said["earlier_rates"]) == ("10\xa0%", [{"rate": "12\xa0%", "until": "09.01.2026"}])
    german = "Zinsen: {{ interest_rate }}{% for r in earlier_rates %}, bis {{ r.until }} {{ r.rate }}{% endfor %}"
    assert messages.render(german, ctx) == "Zinsen: 10\xa0%, bis 09.01.2026 12\xa0%"
