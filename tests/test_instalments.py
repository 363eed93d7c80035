"""Payment plans: instalments, which invoice each pays off, logged and tracked as promises to pay."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from arboard import instalments, logbook, outreach, promises
from arboard.cli import app
from arboard.errors import ArboardError
from arboard.messages import MessageContext, render
from tests.conftest import snapshot, write_ledger

AS_OF = date(2026, 6, 30)
TODAY = date(2026, 7, 1)


def test_instalments_fall_monthly_and_add_up_to_the_cent():
    plan = instalments.schedule(1000.0, first=date(2027, 1, 31), count=3)
    assert plan == [(date(2027, 1, 31), 333.33), (date(2027, 2, 28), 333.33), (date(2027, 3, 31), 333.34)]
    assert instalments.schedule(90.0, first=date(2026, 11, 30), count=2, every_months=3) == [
        (date(2026, 11, 30), 45.0), (date(2027, 2, 28), 45.0)]
    assert instalments.propose(2.5, on=date(2026, 7, 1)) == [(date(2026, 7, 15), 1.25), (date(2026, 8, 15), 1.25)]
    assert instalments.propose(0.0, on=date(2026, 7, 1)) == []
    for bad in (dict(count=0), dict(count=13), dict(count=3, every_months=4)):
        with pytest.raises(ArboardError):
            instalments.schedule(100.0, first=date(2026, 7, 1), **bad)
    with pytest.raises(ArboardError, match="nothing to spread"):
        instalments.schedule(0.001, first=date(2026, 7, 1), count=2)


@given(cents=st.integers(1, 10**11), count=st.integers(1, 12), every=st.integers(1, 3),
       first=st.dates(date(2020, 1, 1), date(2030, 12, 31)),
       shares=st.lists(st.integers(1, 10**6), min_size=1, max_size=8))
def test_a_plan_adds_up_and_pays_every_invoice_off_in_order(cents, count, every, first, shares):
    total = cents / 100
    plan = instalments.schedule(total, first=first, count=count, every_months=every)
    assert round(sum(a for _d, a in plan) * 100) == cents and len(plan) == count
    assert all(a >= 0 for _d, a in plan) and [d for d, _a in plan] == sorted({d for d, _a in plan})
    # Split the total into invoices: each is paid off by the first instalment that covers it and all before it.
    parts = [total * s / sum(shares) for s in shares]
    paid_off = instalments.allocate([(f"I{k}", a) for k, a in enumerate(parts)], plan)
    dates = [paid_off[f"I{k}"] for k in range(len(parts))]
    assert dates == sorted(dates) and dates[-1] == plan[-1][0]
    for k, day in enumerate(dates):
        covered = sum(a for d, a in plan if d <= day)
        assert covered + 0.01 >= sum(parts[:k + 1])
        before = sum(a for d, a in plan if d < day)
        assert before < sum(parts[:k + 1]) + 0.01


def _ledger(engine) -> None:
    inv = pd.DataFrame({"invoice_id": ["A", "B", "C", "U", "Z"], "customer_id": ["C1", "C1", "C1", "C1", "C2"],
                        "invoice_date": [date(2026, 4, 1)] * 5, "due_date": [date(2026, 5, 1)] * 5,
                        "amount": [100.0, 200.0, 300.0, 50.0, 50.0], "currency": ["EUR", "EUR", "EUR", "USD", "EUR"],
                        "paid_date": [None] * 5, "disputed": [False] * 5})
    pay = pd.DataFrame({"payment_id": ["P1"], "invoice_id": ["C"], "customer_id": ["C1"],
                        "payment_date": [date(2026, 6, 1)], "amount": [60.0], "currency": ["EUR"]})
    write_ledger(engine, customers=pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["Ann", "Bo"],
                                                 "phone": ["+44 20 7946 0000", None]}), invoices=inv, payments=pay)


def test_an_agreed_plan_promises_each_invoice_for_its_instalment(engine):
    _ledger(engine)
    agreed = logbook.log_payment_plan(engine, "C1", ["C", "A", "B"], on=AS_OF, first=date(2026, 7, 15), count=3,
                                      by="Ann Agent", today=TODAY)
    # 100 + 200 + 240 open (C part-paid) = 540 in three of 180: A and B by the second, C by the third.
    assert agreed.instalments == [(date(2026, 7, 15), 180.0), (date(2026, 8, 15), 180.0), (date(2026, 9, 15), 180.0)]
    assert agreed.paid_off == {"A": date(2026, 7, 15), "B": date(2026, 8, 15), "C": date(2026, 9, 15)}
    assert logbook.plan_table(agreed)["pays_off"].tolist() == ["A", "B", "C"]
    logged = logbook.logged(engine, "C1").set_index("invoice_id")
    assert set(logged["kind"]) == {"payment_plan"} and set(logged["outcome"]) == {"promised"}
    assert set(logged["logged_by"]) == {"Ann Agent"}  # who agreed it
    assert logged.loc["C", "promised_amount"] == pytest.approx(240.0)
    running = promises.promises(engine, AS_OF).set_index("invoice_id")
    assert not running["broken"].any() and running.loc["B", "promised_date"] == pd.Timestamp(2026, 8, 15)
    # Reminders of each invoice wait for its instalment; A still open after its grace is a broken promise: a call.
    later = date(2026, 7, 20)
    plan = outreach.plan_inputs(engine, later).build(later, outreach.PlanSettings(weeks=3))
    calls = plan[plan["step_no"] == 0]
    assert len(calls) == 1 and calls["invoices"].iloc[0].startswith("A")
    assert date(2026, 7, 15) + timedelta(days=promises.PROMISE_GRACE_DAYS) < later  # A's grace is over
    assert calls["date"].iloc[0] == pd.Timestamp(2026, 7, 21)  # the first contact day of the plan


@pytest.mark.parametrize(("invoices", "kwargs", "says"), [
    ([], {}, "Choose the invoice"),
    (["Z"], {}, "not an open invoice of debtor"),
    (["NOPE"], {}, "not an open invoice of debtor"),
    (["A", "U"], {}, "one currency"),
    (["A"], {"first": date(2026, 6, 1)}, "before the agreement"),
    (["A"], {"count": 12, "every_months": 2}, "more than a year"),
    (["A"], {"count": 0}, "1 to 12 instalments"),
    (["A"], {"by": "Zoë\tLind"}, "control character"),
])
def test_a_plan_that_cannot_be_is_refused_and_nothing_is_written(duck_engine, invoices, kwargs, says):
    _ledger(duck_engine)
    before = snapshot(duck_engine)
    args = {"on": AS_OF, "first": date(2026, 7, 15), "count": 3, **kwargs}
    with pytest.raises(ArboardError, match=says):
        logbook.log_payment_plan(duck_engine, "C1", invoices, today=TODAY, **args)
    assert snapshot(duck_engine) == before


def test_the_offer_names_its_instalments():
    ctx = MessageContext("Ann", 540.0, "EUR", date(2026, 5, 1), (("A", date(2026, 5, 1), 540.0),),
                         "https://pay.example.com/C1", "en_GB", day=date(2026, 7, 1))
    text = render(outreach.DEFAULT_PLAYBOOKS["unable_to_pay"].steps[2].template, ctx)
    assert "3 monthly instalments:\n- €180.00 by 15 Jul 2026\n- €180.00 by 15 Aug 2026\n- €180.00 by 15 Sept 2026" \
        in text


def test_cli_payment_plan(duck_url):
    from arboard import db

    engine = db.open_database(duck_url)
    _ledger(engine)
    engine.dispose()
    run = CliRunner().invoke
    args = ["payment-plan", "C1", "--invoice", "A", "--invoice", "B", "--first", "2026-07-15", "--instalments", "2",
            "--date", AS_OF.isoformat(), "--db", duck_url]
    shown = run(app, [*args, "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert "2026-08-15" in shown.output and "150.00 EUR" in shown.output and "Not logged" in shown.output
    done = run(app, args)
    assert done.exit_code == 0 and "Logged: 2 invoices" in done.output
    refused = run(app, ["payment-plan", "C1", "--invoice", "Z", "--first", "2026-07-15", "--date", AS_OF.isoformat(),
                        "--db", duck_url])
    assert refused.exit_code == 1 and "not an open invoice" in refused.output


def test_the_plan_offers_as_many_instalments_as_its_settings_say(duck_engine):
    from arboard import generate

    generate.write_sample(duck_engine, generate.SampleSpec(customers=150, invoices=4000, seed=3, end=AS_OF))
    for count in (1, 6):
        plan = outreach.make_plan(duck_engine, AS_OF, settings=outreach.PlanSettings(instalments_offered=count))
        offers = outreach.render_messages(plan[plan["step"] == "Payment-plan offer"])
        assert len(offers) and offers["message"].str.contains(f"over {count} monthly instalments:").all()
        listed = [m.split("instalments:\n")[1].split("\n\n")[0].splitlines() for m in offers["message"]]
        assert all(len(lines) == count and all(" by " in line for line in lines) for lines in listed)
    with pytest.raises(ArboardError, match="1 to 12 instalments"):
        outreach.PlanSettings(instalments_offered=13)
