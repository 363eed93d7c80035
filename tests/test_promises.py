"""Promises to pay: running ones hold their invoice's reminders, broken ones are listed and resume them."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from arboard import events, generate, outreach, promises, schema, store
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import SMALL_SAMPLE, write_ledger

AS_OF = date(2026, 6, 30)  # a Tuesday
D = pd.Timestamp


def _ledger(engine):
    """Debtor C1's invoices, each with a promise story (see the test)."""
    ids = ["RUN", "BROKE", "OLD", "PAID", "TWICE", "LATER", "CN", "CALL"]
    due = [date(2026, 5, 31), date(2026, 5, 15), date(2026, 3, 1), date(2026, 5, 20), date(2026, 5, 25),
           date(2026, 5, 25), date(2026, 5, 25), date(2026, 5, 28)]
    inv = pd.DataFrame({"invoice_id": ids, "customer_id": ["C1"] * 8, "invoice_date": [date(2026, 2, 1)] * 8,
                        "due_date": due, "amount": [1000.0, 200.0, 300.0, 400.0, 500.0, 600.0, -70.0, 80.0],
                        "currency": ["EUR"] * 8,
                        "paid_date": [None, None, None, date(2026, 6, 25), None, None, None, None],
                        "disputed": [False] * 8})
    pay = pd.DataFrame({"payment_id": ["P1"], "invoice_id": ["RUN"], "customer_id": ["C1"],
                        "payment_date": [date(2026, 6, 10)], "amount": [300.0], "currency": ["EUR"]})
    promised = [("RUN", date(2026, 6, 20), date(2026, 7, 10), 700.0, "promise_to_pay"),
                ("BROKE", date(2026, 6, 1), date(2026, 6, 20), 200.0, "promise_to_pay"),
                ("OLD", date(2026, 3, 10), date(2026, 4, 1), 300.0, "payment_plan"),
                ("PAID", date(2026, 6, 1), date(2026, 7, 5), 400.0, "promise_to_pay"),
                ("TWICE", date(2026, 6, 1), date(2026, 6, 10), 500.0, "promise_to_pay"),
                ("TWICE", date(2026, 6, 15), date(2026, 7, 20), None, "payment_plan"),
                ("LATER", date(2026, 7, 5), date(2026, 7, 30), 600.0, "promise_to_pay"),  # made after AS_OF
                ("CN", date(2026, 6, 1), date(2026, 7, 30), 70.0, "promise_to_pay")]
    promised += [("CALL", date(2026, 6, 25), date(2026, 7, 15), None, "call")]  # a call that ended in a promise
    con = pd.DataFrame([{"contact_id": f"K{n}", "customer_id": "C1", "invoice_id": i, "contact_date": made,
                         "channel": "phone", "kind": kind, "outcome": "promised", "promised_date": when,
                         "promised_amount": amount} for n, (i, made, when, amount, kind) in enumerate(promised)])
    # A call that only responded promises nothing, even with a date in the field.
    con.loc[len(con)] = {"contact_id": "K99", "customer_id": "C1", "invoice_id": "OLD",
                         "contact_date": date(2026, 6, 2), "channel": "phone", "kind": "call",
                         "outcome": "responded", "promised_date": date(2026, 7, 1), "promised_amount": None}
    write_ledger(engine, customers=pd.DataFrame({"customer_id": ["C1"], "name": ["=cmd|' /C calc'!A0"],
                                                 "email": ["ann@example.org"]}), invoices=inv, payments=pay,
                 contacts=con)


def test_running_and_lately_broken_promises(engine):
    _ledger(engine)
    table = promises.promises(engine, AS_OF)
    # Running first (soonest end first), then broken; an old broken promise, a paid invoice, a promise
    # made after the as-of date and a credit note are not listed; the latest of two promises counts.
    assert table["invoice_id"].tolist() == ["RUN", "CALL", "TWICE", "BROKE"]
    row = table.set_index("invoice_id")
    assert row.loc["RUN", "open_amount"] == 700.0  # net of the partial payment
    assert row.loc["RUN", "runs_until"] == D("2026-07-13") and not row.loc["RUN", "broken"]
    assert row.loc["TWICE", "kind"] == "payment_plan" and pd.isna(row.loc["TWICE", "promised_amount"])
    assert row.loc["BROKE", "broken"] and row.loc["BROKE", "runs_until"] == D("2026-06-23")
    # The call of 25 June (about another invoice) followed the broken promise up; running ones have none.
    assert row.loc["BROKE", "followed_up"] == D("2026-06-25")
    assert row.loc[["RUN", "CALL", "TWICE"], "followed_up"].isna().all()
    assert promises.summary(table) == {"running": 3, "running_debtors": 1, "broken": 1, "broken_debtors": 1}
    assert promises.promises(engine, AS_OF, broken_within_days=0)["invoice_id"].tolist() == ["RUN", "CALL", "TWICE"]
    assert promises.promises(engine, AS_OF, customer_id="C2").empty
    paused = promises.pauses(table)
    assert paused.values.tolist() == [["C1", "RUN", date(2026, 7, 13)], ["C1", "CALL", date(2026, 7, 18)],
                                      ["C1", "TWICE", date(2026, 7, 23)]]
    assert promises.readable(promises.only(table, True))["kind"].tolist() == ["Promise to pay"]
    assert promises.readable(table)["kind"].tolist()[:2] == ["Promise to pay", "Promised (call)"]


def test_kept_rate_judges_every_promise_once_its_grace_is_over(engine):
    _ledger(engine)
    # By 30 June: BROKE's (ended 23 June), OLD's (4 April) and TWICE's first (13 June) are over, all broken.
    assert promises.kept_rate(engine, AS_OF) == {"due": 3, "kept": 0, "rate": 0.0, "debtors": 1}
    # By 20 July also PAID's (paid 25 June, before 8 July: kept), RUN's and CALL's; OLD's is 90+ days old.
    later = promises.kept_rate(engine, date(2026, 7, 20))
    assert later == {"due": 5, "kept": 1, "rate": 0.2, "debtors": 1}
    assert promises.kept_rate(engine, date(2026, 1, 1))["rate"] is None


def _about(plan: pd.DataFrame, invoice: str) -> pd.Series:
    return plan["invoices"].str.split(", ").apply(lambda ids: invoice in ids)


def test_the_plan_waits_for_a_running_promise(engine):
    _ledger(engine)
    inputs = outreach.plan_inputs(engine, AS_OF)
    plan = inputs.build(AS_OF, outreach.PlanSettings(weeks=6))
    # C1 is at its playbook's last step (repeated every 14 days): RUN is not among what the repeats list
    # while its promise runs (to 13 July, grace included), TWICE not before 23 July; BROKE's is over.
    assert not plan.loc[_about(plan, "RUN"), "date"].le(D("2026-07-13")).any()
    assert plan.loc[_about(plan, "RUN"), "date"].gt(D("2026-07-13")).any()
    assert not plan.loc[_about(plan, "TWICE"), "date"].le(D("2026-07-23")).any()
    assert plan.loc[_about(plan, "BROKE"), "date"].le(D("2026-07-13")).any()
    anyway = inputs.build(AS_OF, outreach.PlanSettings(weeks=6, pause_promised=False))
    assert anyway.loc[_about(anyway, "RUN"), "date"].le(D("2026-07-13")).any()


def test_a_hold_ending_resumes_at_the_step_reached_meanwhile():
    """The step an item reached while held goes out on the first contact day after the hold, once."""
    items = pd.DataFrame({"invoice_id": ["A"], "customer_id": ["C1"], "due_date": pd.to_datetime(["2026-06-01"]),
                          "amount": [100.0], "currency": ["EUR"], "name": ["Ann"], "email": ["a@x.org"],
                          "phone": [None], "locale": ["en_GB"], "opt_out": [None], "disputed": [False]})
    book = outreach.Playbook("wont_pay", tuple(outreach.Step(d, "email", "firm", "{{ open_amount }}", name=f"+{d}")
                                               for d in (3, 14, 30, 60)))
    args = (items, pd.Series({"C1": "wont_pay"}), pd.Series(dtype=object), {"wont_pay": book}, AS_OF)
    once = outreach.PlanSettings(weeks=6, repeat_last_step_days=0)
    free = outreach.build_plan(*args, settings=once)
    assert free[["date", "step"]].values.tolist() == [[D("2026-07-01"), "+30"], [D("2026-07-31"), "+60"]]
    hold = pd.DataFrame({"customer_id": ["C1"], "invoice_id": ["A"], "until": [date(2026, 7, 12)]})  # a Sunday
    held = outreach.build_plan(*args, settings=once, holds=hold)
    assert held[["date", "step"]].values.tolist() == [[D("2026-07-13"), "+30"], [D("2026-07-31"), "+60"]]


def _promise_plan(promised: list[tuple], *, holds=None, book=None, phone="+44 20 7946 0000",
                  **settings) -> pd.DataFrame:
    """Debtor C1's plan with invoices A (due 1 June), B (due 1 June) and C (due 20 June), and these
    promises (invoice, runs until, followed up on); a playbook with one reminder unless given."""
    items = pd.DataFrame({"invoice_id": ["A", "B", "C"], "customer_id": ["C1"] * 3,
                          "due_date": pd.to_datetime(["2026-06-01", "2026-06-01", "2026-06-20"]),
                          "amount": [100.0, 200.0, 400.0], "currency": ["EUR"] * 3, "name": ["Ann"] * 3,
                          "email": ["a@x.org"] * 3, "phone": [phone] * 3, "locale": ["en_GB"] * 3,
                          "opt_out": [None] * 3, "disputed": [False] * 3})
    table = pd.DataFrame(promised, columns=["invoice_id", "runs_until", "followed_up"]).assign(customer_id="C1")
    table["runs_until"] = pd.to_datetime(table["runs_until"])
    table["followed_up"] = pd.to_datetime(table["followed_up"])
    table["broken"] = table["runs_until"] < D(AS_OF)
    table["promised_date"] = table["runs_until"] - pd.Timedelta(days=promises.PROMISE_GRACE_DAYS)
    table["open_amount"] = table["invoice_id"].map(dict(zip(items["invoice_id"], items["amount"], strict=True)))
    table["promised_amount"] = table["open_amount"].where(table["invoice_id"] != "A")  # A's amount not recorded
    book = book or outreach.Playbook("wont_pay", (outreach.Step(3, "email", "neutral", "{{ open_amount }}",
                                                                name="Reminder"),))
    pauses = promises.pauses(table)
    holds = pd.concat([holds, pauses], ignore_index=True) if holds is not None else pauses
    return outreach.build_plan(items, pd.Series({"C1": "wont_pay"}), pd.Series(dtype=object), {"wont_pay": book},
                               AS_OF, settings=outreach.PlanSettings(**{"weeks": 4, **settings}), holds=holds,
                               promised=table)


def test_a_broken_promise_brings_a_call():
    """Broken before the plan and not followed up: a call on its first contact day; one that breaks in
    the plan: a call on the first contact day after its grace; followed up: none."""
    stories = [("A", "2026-06-23", None), ("B", "2026-07-12", None), ("C", "2026-06-25", "2026-06-26")]
    plan = _promise_plan(stories)
    calls = plan[plan["step"] == outreach.BROKEN_PROMISE_CALL.name]
    assert calls[["date", "invoices", "channel", "step_no"]].values.tolist() == [
        [D("2026-07-01"), "A", "phone", 0], [D("2026-07-13"), "B", "phone", 0]]
    assert calls["amount"].tolist() == [100.0, 200.0] and (calls["tone"] == "firm").all()
    # The call's script lists everything overdue, as a reminder does.
    assert [n for n, _d, _a in calls["statement"].iloc[0]] == ["A", "C"]
    # It says what was promised, for when, and which invoice (an amount not recorded: what is open).
    first = outreach.render_messages(calls)["message"].iloc[0]
    assert "promised to pay €100.00 by 20 Jun 2026 and the payment has not arrived" in first
    assert "- A, due 1 Jun 2026: €100.00 (promised for 20 Jun 2026)\n- C, due 20 Jun 2026: €400.00" in first
    assert calls["promised"].tolist() == [(("A", date(2026, 6, 20), 100.0),), (("B", date(2026, 7, 9), 200.0),)]
    assert (plan.loc[plan["step_no"] > 0, "promised"] == ()).all()
    # The same day twice: one call about both.
    both = _promise_plan([("A", "2026-06-23", None), ("B", "2026-06-20", None)])
    assert both.loc[both["step_no"] == 0, "invoices"].tolist() == ["A, B"]
    assert _promise_plan(stories, call_broken_promises=False)["step_no"].gt(0).all()
    # Without a phone number the call falls back as a playbook call does (a letter), which speaks to the
    # debtor rather than giving the collector's script.
    written = outreach.render_messages(_promise_plan(stories, phone=None).query("step_no == 0"))
    assert written["channel"].tolist() == ["letter", "letter"]
    assert written["step"].tolist() == ["Your promise to pay"] * 2
    assert written["message"].iloc[0].startswith("Dear Ann,\n\nyou promised to pay €100.00 by 20 Jun 2026, and we "
                                                 "have not received the payment.")


def test_a_broken_promise_call_takes_the_place_of_that_day_s_reminder():
    book = outreach.Playbook("wont_pay", (outreach.Step(3, "email", "neutral", "{{ open_amount }}", name="Reminder"),
                                          outreach.Step(41, "phone", "firm", "{{ open_amount }}", name="Call")))
    # A and B reach the call step on Monday 13 July, the day after C's promise ends: one call, about
    # everything overdue.
    plan = _promise_plan([("C", "2026-07-12", None)], book=book, repeat_last_step_days=0)
    assert plan[["date", "step"]].values.tolist() == [[D("2026-07-13"), "Broken promise: call"]]
    assert [n for n, _d, _a in plan["statement"].iloc[0]] == ["A", "B", "C"]
    kept = _promise_plan([("C", "2026-07-12", None)], book=book, repeat_last_step_days=0, call_broken_promises=False)
    assert kept[["date", "step"]].values.tolist() == [[D("2026-07-13"), "Call"]]


def test_a_broken_promise_call_waits_for_a_hold_and_stops_at_a_hand_over():
    hold = pd.DataFrame({"customer_id": ["C1"], "invoice_id": [None], "until": [date(2026, 7, 5)]})  # a Sunday
    plan = _promise_plan([("A", "2026-06-23", None)], holds=hold)
    assert plan.loc[plan["step_no"] == 0, "date"].tolist() == [D("2026-07-06")]
    # Past a hand-over before the plan: the claim is with the agency, no call.
    book = outreach.Playbook("wont_pay", (outreach.Step(3, "email", "neutral", "{{ open_amount }}"),
                                          outreach.Step(20, "letter", "firm", "{{ open_amount }}", ("hand_over",))))
    assert not (_promise_plan([("A", "2026-06-23", None)], book=book)["step_no"] == 0).any()
    # Handed over in the plan (A reaches +60 on 31 July): a promise breaking after that brings no call.
    later = outreach.Playbook("wont_pay", (outreach.Step(3, "email", "neutral", "{{ open_amount }}"),
                                           outreach.Step(60, "letter", "firm", "{{ open_amount }}", ("hand_over",))))
    plan = _promise_plan([("A", "2026-06-23", None), ("B", "2026-07-22", None)], book=later, weeks=6)
    assert plan.loc[plan["step_no"] == 2, "date"].min() == D("2026-07-31")
    assert plan.loc[plan["step_no"] == 0, "date"].tolist() == [D("2026-07-01"), D("2026-07-23")]
    plan = _promise_plan([("A", "2026-06-23", None), ("B", "2026-08-05", None)], book=later, weeks=6)
    assert plan.loc[plan["step_no"] == 0, "date"].tolist() == [D("2026-07-01")]


def test_the_ledger_plan_calls_about_a_broken_promise(engine):
    _ledger(engine)
    with engine.begin() as conn:  # nobody spoke with C1 after BROKE's promise broke
        conn.execute(schema.contacts.delete().where(schema.contacts.c.contact_id == "K8"))
    inputs = outreach.plan_inputs(engine, AS_OF)
    assert pd.isna(promises.only(inputs.promises, True).iloc[0]["followed_up"])
    plan = inputs.build(AS_OF, outreach.PlanSettings(weeks=6))
    calls = plan[plan["step_no"] == 0]
    assert calls.iloc[0][["date", "invoices"]].tolist() == [D("2026-07-01"), "BROKE"]
    # RUN's promise ends 13 July (grace included): the call comes on the 14th.
    assert calls.loc[calls["invoices"] == "RUN", "date"].tolist() == [D("2026-07-14")]
    # The promises read once for the page (the Promises tab) make the same plan.
    given = outreach.plan_inputs(engine, AS_OF, promise_frame=promises.promises(engine, AS_OF))
    pd.testing.assert_frame_equal(given.build(AS_OF, outreach.PlanSettings(weeks=6)), plan)
    one = outreach.plan_inputs(engine, AS_OF, promise_frame=inputs.promises, customer_id="C1")
    assert one.promises["invoice_id"].tolist() == inputs.promises["invoice_id"].tolist()


def test_why_no_contact_names_the_promise(duck_engine):
    _ledger(duck_engine)
    with duck_engine.begin() as conn:  # only the running promises left open
        conn.execute(schema.invoices.delete().where(schema.invoices.c.invoice_id.in_(["BROKE", "OLD", "LATER"])))
    events.refresh(duck_engine)
    plan, why = outreach.debtor_outlook(duck_engine, AS_OF, "C1", settings=outreach.PlanSettings(weeks=1))
    assert plan.empty
    assert why.startswith("they promised to pay by 20 Jul 2026; reminders wait until 23 Jul 2026")


def test_cli_promises(tmp_path, duck_url):
    from arboard import db

    engine = db.open_database(duck_url)
    _ledger(engine)
    engine.dispose()
    runner = CliRunner()
    shown = runner.invoke(app, ["promises", "--db", duck_url, "--as-of", AS_OF.isoformat()])
    assert shown.exit_code == 0, shown.output
    assert "3 running promises (1 debtor); 1 broken" in shown.output.replace("\n", " ")
    assert "Kept: 0 of the 3 promises" in shown.output.replace("\n", " ")
    out = tmp_path / "promises.xlsx"
    done = runner.invoke(app, ["promises", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--broken-only",
                               "--out", str(out)])
    assert done.exit_code == 0, done.output
    back = pd.read_excel(out, engine="calamine")
    assert back["Invoice"].tolist() == ["BROKE"] and back["Promise"].tolist() == ["Promise to pay"]
    assert not str(back.loc[0, "Debtor"]).startswith("=")  # the hostile name is neutralised


@pytest.mark.parametrize("wait", [True, False])
def test_sample_plan_respects_promises(duck_engine, wait):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    as_of = SMALL_SAMPLE.end
    inputs = outreach.plan_inputs(duck_engine, as_of)
    running = promises.only(inputs.promises, False)
    assert len(running)  # the sample has promises running at its end
    plan = inputs.build(as_of, outreach.PlanSettings(pause_promised=wait))
    ends = dict(zip(running["invoice_id"], running["runs_until"], strict=True))
    listed = plan.assign(ids=plan["invoices"].str.split(", ")).explode("ids")
    during = listed["ids"].map(ends).notna() & (listed["date"] <= listed["ids"].map(ends))
    assert during.any() != wait


def test_a_debtor_s_promise_state_is_the_one_that_needs_most_attention():
    from arboard.explorer import _promise_status

    rows = [("A", "2026-06-01", True, None), ("A", "2026-06-05", True, "2026-06-20"), ("A", "2026-07-09", False, None),
            ("B", "2026-06-05", True, "2026-06-20"), ("B", "2026-07-09", False, None),
            ("C", "2026-07-09", False, None), ("C", "2026-07-02", False, None)]
    table = pd.DataFrame(rows, columns=["customer_id", "promised_date", "broken", "followed_up"])
    table["promised_date"] = pd.to_datetime(table["promised_date"])
    table["followed_up"] = pd.to_datetime(table["followed_up"])
    status = _promise_status(table)
    assert status.loc[["A", "B", "C"], "promise"].tolist() == ["broken", "spoken", "running"]
    assert status.loc[["A", "B", "C"], "promised_for"].tolist() == [date(2026, 6, 1), date(2026, 6, 5),
                                                                     date(2026, 7, 2)]


def test_debtor_list_shows_and_filters_promises(duck_engine, tmp_path):
    """A broken promise wins over a running one (it needs the call); the list filters on both."""
    from arboard import explorer

    _ledger(duck_engine)
    # BROKE's promise broke on 23 June; the call of 25 June followed it up.
    table = explorer.debtor_table(duck_engine, AS_OF).set_index("customer_id")
    assert table.loc["C1", "promise"] == "spoken" and table.loc["C1", "promised_for"] == date(2026, 6, 20)
    with duck_engine.begin() as conn:
        conn.execute(schema.contacts.delete().where(schema.contacts.c.contact_id == "K8"))
    table = explorer.debtor_table(duck_engine, AS_OF).set_index("customer_id")
    assert table.loc["C1", "promise"] == "broken" and table.loc["C1", "promised_for"] == date(2026, 6, 20)
    with duck_engine.begin() as conn:
        conn.execute(schema.invoices.delete().where(schema.invoices.c.invoice_id == "BROKE"))
    events.refresh(duck_engine)
    table = explorer.debtor_table(duck_engine, AS_OF)
    assert table.set_index("customer_id").loc["C1", "promise"] == "running"
    assert table.set_index("customer_id").loc["C1", "promised_for"] == date(2026, 7, 10)  # the next one
    assert len(explorer.filter_debtors(table, explorer.Filters(promise=("running",)))) == 1
    assert explorer.filter_debtors(table, explorer.Filters(promise=("broken",))).empty
    out = tmp_path / "running.csv"
    url = str(duck_engine.url)
    duck_engine.dispose()
    done = CliRunner().invoke(app, ["export", "--as-of", AS_OF.isoformat(), "--promise", "running", "--out", str(out),
                                    "--db", url])
    assert done.exit_code == 0, done.output
    assert pd.read_csv(out, encoding="utf-8-sig")["promise"].tolist() == ["running"]
    bad = CliRunner().invoke(app, ["export", "--promise", "kept", "--out", str(out), "--db", url])
    assert bad.exit_code == 2 and "--promise takes broken, spoken or running" in bad.output


# --- against a naive pandas reference, on random ledgers --------------------------------------

@st.composite
def promise_ledgers(draw):
    """A few invoices (some settled, some part-paid, a credit note) and random contacts about them."""
    start = date(2026, 1, 1)
    n = draw(st.integers(1, 6))
    inv, pay, con = [], [], []
    for i in range(n):
        d0 = start + timedelta(days=draw(st.integers(0, 150)))
        amount = 1000.0 if i else draw(st.sampled_from([1000.0, -50.0]))
        settled = draw(st.one_of(st.none(), st.integers(0, 200)))
        inv.append({"invoice_id": f"I{i}", "customer_id": f"C{i % 2}", "invoice_date": d0,
                    "due_date": d0 + timedelta(days=30), "amount": amount, "currency": "EUR",
                    "paid_date": d0 + timedelta(days=settled) if settled is not None else None, "disputed": False})
        if draw(st.booleans()):
            pay.append({"payment_id": f"P{i}", "invoice_id": f"I{i}", "customer_id": f"C{i % 2}",
                        "payment_date": d0 + timedelta(days=draw(st.integers(0, 100))),
                        "amount": draw(st.sampled_from([100.0, 1000.0])), "currency": "EUR"})
        for k in range(draw(st.integers(0, 3))):
            made = d0 + timedelta(days=draw(st.integers(0, 120)))
            con.append({"contact_id": f"K{i}-{k}", "customer_id": f"C{i % 2}", "invoice_id": f"I{i}",
                        "contact_date": made, "channel": draw(st.sampled_from(["phone", "email"])),
                        "kind": draw(st.sampled_from(["promise_to_pay", "payment_plan", "call", "reminder"])),
                        "outcome": draw(st.sampled_from(["promised", "responded"])),
                        "promised_date": draw(st.one_of(st.none(), st.just(made + timedelta(
                            days=draw(st.integers(0, 40)))))),
                        "promised_amount": None})
    as_of = start + timedelta(days=draw(st.integers(0, 300)))
    return pd.DataFrame(inv), pd.DataFrame(pay, columns=["payment_id", "invoice_id", "customer_id", "payment_date",
                                                         "amount", "currency"]), pd.DataFrame(con), as_of


def _reference(inv: pd.DataFrame, pay: pd.DataFrame, con: pd.DataFrame, as_of: date, within: int) -> list:
    """The promises list, written the obvious way."""
    out = []
    for row in inv.itertuples():
        is_open = row.invoice_date <= as_of and (row.paid_date is None or pd.isna(row.paid_date)
                                                 or row.paid_date > as_of)
        paid = pay.loc[(pay["invoice_id"] == row.invoice_id) & (pay["payment_date"] <= as_of), "amount"].sum() \
            if len(pay) else 0.0
        if not is_open or row.amount <= 0 or row.amount - paid <= 0.004 or con.empty:
            continue
        mine = con[(con["invoice_id"] == row.invoice_id) & (con["contact_date"] <= as_of)
                   & con["promised_date"].notna()
                   & (con["kind"].isin(["promise_to_pay", "payment_plan"]) | (con["outcome"] == "promised"))]
        if mine.empty:
            continue
        last = mine.sort_values(["contact_date", "contact_id"]).iloc[-1]
        ends = last["promised_date"] + timedelta(days=promises.PROMISE_GRACE_DAYS)
        spoke = con[(con["customer_id"] == row.customer_id) & (con["contact_date"] <= as_of)
                    & ((con["channel"] == "phone") | con["kind"].isin(["call", "promise_to_pay", "payment_plan"]))]
        latest = spoke["contact_date"].max() if len(spoke) else None
        if ends >= as_of - timedelta(days=within):
            out.append((row.invoice_id, round(row.amount - paid, 2), last["promised_date"], ends < as_of,
                        latest if latest is not None and latest > ends else None))
    return sorted(out)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=promise_ledgers(), within=st.sampled_from([0, 30]))
def test_promises_match_a_naive_reference(engine, ledger, within):
    inv, pay, con, as_of = ledger
    with engine.begin() as conn:
        for t in (schema.invoices, schema.payments, schema.contacts):
            conn.execute(sa.delete(t))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
        if len(con):
            store.append(conn, schema.contacts, con)
    got = promises.promises(engine, as_of, broken_within_days=within)
    followed = [None if pd.isna(d) else d.date() for d in got["followed_up"]]
    mine = sorted(zip(got["invoice_id"], got["open_amount"].round(2), got["promised_date"].dt.date,
                      got["broken"].astype(bool), followed, strict=True))
    assert mine == _reference(inv, pay, con, as_of, within)
    judged = con.merge(inv[["invoice_id", "paid_date"]], on="invoice_id") if len(con) else con
    if len(judged):
        judged = judged[judged["promised_date"].notna() & (judged["contact_date"] <= as_of)
                        & (judged["kind"].isin(["promise_to_pay", "payment_plan"]) | (judged["outcome"] == "promised"))]
        ends = judged["promised_date"].map(lambda d: d + timedelta(days=promises.PROMISE_GRACE_DAYS))
        judged = judged.assign(ends=ends)[(ends < as_of) & (ends >= as_of - timedelta(days=90))]
        kept = sum(not pd.isna(p) and p <= e for p, e in zip(judged["paid_date"], judged["ends"], strict=True))
        got = promises.kept_rate(engine, as_of)
        assert (got["due"], got["kept"]) == (len(judged), kept)


@given(st.lists(st.tuples(st.integers(-30, 400), st.floats(0.01, 1e6)), min_size=0, max_size=30),
       st.lists(st.floats(-40, 450, allow_nan=False), min_size=1, max_size=10))
def test_remaining_days_match_brute_force(rows, ages):
    from arboard import forecast

    late = pd.DataFrame(rows, columns=["late", "amount"]).astype(float).groupby("late", as_index=False).sum()
    got = forecast.remaining_days(late.sort_values("late", ignore_index=True), np.array(ages))
    for age, value in zip(ages, got, strict=True):
        later = late[late["late"] > age]
        if later.empty:
            assert np.isnan(value)
        else:
            want = float(((later["late"] - age) * later["amount"]).sum() / later["amount"].sum())
            assert value == pytest.approx(want, rel=1e-9, abs=1e-6)


def test_the_call_about_a_broken_promise_can_be_reworded(engine):
    """Saved like a playbook (its own versions), used by the plan, and not a playbook itself."""
    _ledger(engine)
    with engine.begin() as conn:
        conn.execute(schema.contacts.delete().where(schema.contacts.c.contact_id == "K8"))
    assert outreach.load_promise_call(engine) == outreach.BROKEN_PROMISE_CALL
    table = outreach.steps_table(outreach.Playbook("x", (outreach.BROKEN_PROMISE_CALL,))).assign(
        channel="email", offset_days=12, name="Promise missed",
        template="{{ debtor_name }}: we have not seen {{ promised_amount }} promised for {{ promised_date }}.")
    step = outreach.promise_call_from_table(table)
    assert (step.offset_days, step.channel) == (0, "email")  # the day is the plan's, not the table's
    assert outreach.save_promise_call(engine, step) == 1
    assert outreach.load_promise_call(engine) == step
    assert outreach.PROMISE_CALL_KEY not in outreach.load_playbooks(engine)
    assert outreach.playbook_versions(engine, outreach.PROMISE_CALL_KEY)["version"].tolist() == [1]
    plan = outreach.plan_inputs(engine, AS_OF).build(AS_OF, outreach.PlanSettings(weeks=6))
    calls = outreach.render_messages(outreach.broken_promise_calls(plan))
    assert set(calls["step"]) == {"Promise missed"} and set(calls["channel"]) == {"email"}
    assert calls["message"].str.contains("we have not seen").all()
    with pytest.raises(ArboardError, match="cannot hand the claim over"):
        outreach.promise_call_from_table(table.assign(actions="hand_over"))
    with pytest.raises(ArboardError, match="one step"):
        outreach.promise_call_from_table(pd.concat([table, table]))
    with pytest.raises(ArboardError, match="Unknown field"):
        outreach.promise_call_from_table(table.assign(template="{{ promise }}"))


def test_debtor_profiles_judge_a_promise_once_its_grace_is_over(engine):
    """Kept or broken is known when the grace ends: before that a promise is not counted, so a payment
    after the as-of date never makes one kept (and one still in its grace is not broken)."""
    from arboard import profiles

    inv = pd.DataFrame({"invoice_id": ["X", "Y"], "customer_id": ["C1"] * 2, "invoice_date": [date(2026, 5, 1)] * 2,
                        "due_date": [date(2026, 6, 1)] * 2, "amount": [100.0, 200.0], "currency": ["EUR"] * 2,
                        "paid_date": [date(2026, 6, 12), None], "disputed": [False] * 2})
    con = pd.DataFrame({"contact_id": ["K1", "K2"], "customer_id": ["C1"] * 2, "invoice_id": ["X", "Y"],
                        "contact_date": [date(2026, 6, 5)] * 2, "channel": ["phone"] * 2,
                        "kind": ["promise_to_pay"] * 2, "outcome": ["promised"] * 2,
                        "promised_date": [date(2026, 6, 10)] * 2, "promised_amount": [100.0, 200.0]})
    with engine.begin() as conn:
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C1"], "name": ["Ann"]}))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.contacts, con)
    events.refresh(engine)
    ends = date(2026, 6, 10) + timedelta(days=promises.PROMISE_GRACE_DAYS)

    def counted(as_of):
        row = profiles.debtor_profiles(engine, as_of).set_index("customer_id").loc["C1"]
        return int(row["promises_made"]), int(row["promises_kept"])
    assert counted(date(2026, 6, 11)) == (0, 0)  # X is paid on the 12th: not known on the 11th
    assert counted(ends) == (0, 0)  # the grace's last day
    assert counted(ends + timedelta(days=1)) == (2, 1)
    rate = promises.kept_rate(engine, ends + timedelta(days=1))
    assert (rate["due"], rate["kept"]) == (2, 1)  # one definition with the Promises tab
