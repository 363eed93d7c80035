"""Holds keep a debtor, or one invoice, out of the outreach plan until a date or until lifted."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import generate, holds, outreach, schema
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import SMALL_SAMPLE

AS_OF = SMALL_SAMPLE.end


def _busiest(plan: pd.DataFrame) -> tuple[str, str]:
    """A debtor with several planned contacts, and one invoice those contacts are about."""
    customer = plan["customer_id"].value_counts().index[0]
    return customer, plan.loc[plan["customer_id"] == customer, "invoices"].iloc[0].split(", ")[0]


def test_holds_keep_contacts_out_until_their_end(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    plan = outreach.make_plan(engine, AS_OF, enforce=False)
    customer, invoice = _busiest(plan)
    mine = plan[plan["customer_id"] == customer]
    middle = mine["date"].sort_values().iloc[len(mine) // 2].date()
    hold = holds.add(engine, customer, until=middle, reason="negotiating a plan", today=AS_OF)
    held = outreach.make_plan(engine, AS_OF, enforce=False)
    theirs = held[held["customer_id"] == customer]
    assert (theirs["date"].dt.date > middle).all() and len(theirs) < len(mine)  # later contacts go ahead
    assert len(held[held["customer_id"] != customer]) == len(plan[plan["customer_id"] != customer])
    holds.lift(engine, hold)
    assert len(outreach.make_plan(engine, AS_OF, enforce=False)) == len(plan)
    with pytest.raises(ArboardError, match="lifted already"):
        holds.lift(engine, hold)
    # Lifted, it stays in the debtor's history: put on hold, and resumed.
    from arboard import timeline

    story = timeline.debtor_timeline(engine, customer, as_of=date.today())
    said = story[story["event"].str.startswith("Reminders on hold")]
    assert sorted(said["event"]) == ["Reminders on hold", "Reminders on hold: lifted"]
    assert said["detail"].str.startswith("negotiating a plan").all()
    assert (said["event"] == "Reminders on hold").sum() == 1
    assert said.loc[said["event"] == "Reminders on hold", "detail"].iloc[0].endswith(f"until {middle.isoformat()}")
    # One invoice until lifted: no contact is about it any more, the debtor's others still are.
    holds.add(engine, customer, invoice_id=invoice, today=AS_OF)
    held = outreach.make_plan(engine, AS_OF, enforce=False)
    assert not held["invoices"].str.split(", ").apply(lambda ids: invoice in ids).any()
    assert list(holds.active(engine, AS_OF)["invoice_id"]) == [invoice]
    assert outreach.debtor_plan(engine, AS_OF, customer)["invoices"].str.contains(invoice).sum() == 0
    # A hold that has ended is no longer active.
    holds.add(engine, customer, until=AS_OF + timedelta(days=3), today=AS_OF)
    assert len(holds.active(engine, AS_OF + timedelta(days=4))) == 1


def test_holds_refuse_what_does_not_exist(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    with duck_engine.connect() as conn:
        inv, owner = conn.execute(sa.select(schema.invoices.c.invoice_id, schema.invoices.c.customer_id)).first()
    with pytest.raises(ArboardError, match="no debtor"):
        holds.add(duck_engine, "NOBODY", today=AS_OF)
    with pytest.raises(ArboardError, match="no invoice"):
        holds.add(duck_engine, owner, invoice_id="NOPE", today=AS_OF)
    with pytest.raises(ArboardError, match="belongs to debtor"):
        holds.add(duck_engine, "C999999", invoice_id=inv, today=AS_OF)
    with pytest.raises(ArboardError, match="already past"):
        holds.add(duck_engine, owner, until=AS_OF - timedelta(days=1), today=AS_OF)
    with pytest.raises(ArboardError, match="no hold"):
        holds.lift(duck_engine, "missing")
    with pytest.raises(ArboardError, match="at most 300 characters; this one has 401"):
        holds.add(duck_engine, owner, reason="x" * 401, today=AS_OF)  # refused, not cut short unsaid
    with pytest.raises(ArboardError, match="control character"):
        holds.add(duck_engine, owner, reason="in\ttalks", today=AS_OF)
    hold = holds.add(duck_engine, owner, reason=" =HYPERLINK(\"http://x\") ", today=AS_OF)
    stored = holds.active(duck_engine, AS_OF).set_index("hold_id").loc[hold, "reason"]
    assert stored == "=HYPERLINK(\"http://x\")"  # trimmed, kept as typed; exports neutralise the formula


def test_held_until_takes_the_latest_end():
    items = pd.DataFrame({"customer_id": ["A", "A", "B"], "invoice_id": ["1", "2", "3"]})
    h = pd.DataFrame({"customer_id": ["A", "A", "B"], "invoice_id": [None, "2", "3"],
                      "until": [date(2026, 1, 10), date(2026, 2, 1), None]})
    assert [str(d) for d in holds.held_until(items, h)] == ["2026-01-10", "2026-02-01", "9999-12-31"]
    assert pd.isna(holds.held_until(items, h.iloc[:0])).all()


def test_cli_holds(tmp_path, duck_url):
    from arboard import db

    engine = db.open_database(duck_url)
    generate.write_sample(engine, SMALL_SAMPLE)
    engine.dispose()
    runner = CliRunner()
    with db.open_database(duck_url).connect() as conn:
        customer = conn.execute(sa.select(schema.customers.c.customer_id)).scalar()
    result = runner.invoke(app, ["hold", "add", customer, "--until", "2099-01-31", "--reason", "[bold]talks[/]",
                                 "--db", duck_url])
    assert result.exit_code == 0, result.output
    listed = runner.invoke(app, ["hold", "list", "--db", duck_url])
    assert customer in listed.output and "[bold]talks[/]" in listed.output  # shown as typed, not as markup
    hold_id = result.output.strip().rsplit("(hold ", 1)[1].rstrip(")")
    assert runner.invoke(app, ["hold", "lift", hold_id, "--db", duck_url]).exit_code == 0
    assert "No debtor" in runner.invoke(app, ["hold", "list", "--db", duck_url]).output
    assert runner.invoke(app, ["hold", "add", "NOBODY", "--db", duck_url]).exit_code == 2
    assert runner.invoke(app, ["hold", "add", customer, "--until", "soon", "--db", duck_url]).exit_code == 2


def test_why_a_debtor_gets_no_contact(duck_engine):
    """A debtor with no planned contact is told apart from a forgotten one, in plain words."""
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    inputs = outreach.plan_inputs(duck_engine, AS_OF)
    handed = inputs.handed_over(AS_OF, outreach.PlanSettings())["customer_id"]
    gone = next(c for c in handed if outreach.debtor_plan(duck_engine, AS_OF, c).empty)
    assert outreach.why_no_contact(duck_engine, AS_OF, gone).startswith("they passed the hand-over step")
    plan = outreach.make_plan(duck_engine, AS_OF, enforce=False)
    someone = plan["customer_id"].iloc[0]
    holds.add(duck_engine, someone, reason="talking to their CFO", today=AS_OF)
    assert outreach.debtor_plan(duck_engine, AS_OF, someone).empty
    assert outreach.why_no_contact(duck_engine, AS_OF, someone) == "they are on hold until lifted"
    assert outreach.why_no_contact(duck_engine, AS_OF, "NOBODY") == "nothing of theirs is open"
    # Everything open is disputed: left to dispute resolution (the default setting).
    disputed = inputs.items.groupby("customer_id")["disputed"].all()
    who = disputed[disputed].index[0]  # the sample has two such debtors
    assert outreach.debtor_plan(duck_engine, AS_OF, who).empty
    assert outreach.why_no_contact(duck_engine, AS_OF, who).startswith("everything they have open is disputed")
    # The Debtors page reads both from one set of plan inputs.
    empty, why = outreach.debtor_outlook(duck_engine, AS_OF, who)
    assert empty.empty and why == outreach.why_no_contact(duck_engine, AS_OF, who)
    busy = plan["customer_id"].iloc[-1]
    planned, none = outreach.debtor_outlook(duck_engine, AS_OF, busy)
    assert none is None and len(planned) == len(outreach.debtor_plan(duck_engine, AS_OF, busy)) > 0
