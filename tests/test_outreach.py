"""Outreach: safe templates, channel rules, plan arithmetic and formula-free exports."""

from __future__ import annotations

import dataclasses
import io
from datetime import date

import hypothesis
import openpyxl
import pandas as pd
import pytest
from hypothesis import strategies as hst
from typer.testing import CliRunner

from arboard import db, exports, fx, generate, outreach, unapplied
from arboard.cli import app
from arboard.errors import ArboardError
from arboard.messages import MessageContext, TemplateProblem, render, sms_segments
from tests.conftest import SMALL_SAMPLE

CTX = MessageContext("Café Müller", 1234.5, "EUR", date(2026, 10, 1),
                     (("INV1", date(2026, 10, 1), 1000.0), ("INV2", date(2026, 10, 15), 234.5)),
                     "https://pay.example.com/K1", "de_DE")

# The steps once each: no repeat of the last step (tests about other behaviour).
ONCE = outreach.PlanSettings(repeat_last_step_days=0)


def test_render_formats_for_the_debtor():
    text = render("{{ debtor_name }}: {{ open_amount }} seit {{ oldest_due_date }}"
                  "{% for i in invoices %} {{ i.number }}={{ i.amount }}{% endfor %} {{ pay_link }}", CTX)
    assert text == "Café Müller: 1.234,50\xa0€ seit 01.10.2026 INV1=1.000,00\xa0€ INV2=234,50\xa0€ " \
                   "https://pay.example.com/K1"


def test_default_letters_list_one_invoice_a_line():
    """Block tags keep the line breaks around them (Jinja's default): the default letters had run their
    list into one line ("reminders:- INV1, due …: 1.000,00 €- INV2 …Pay within 7 days")."""
    book = outreach.DEFAULT_PLAYBOOKS["unable_to_pay"]
    firm = next(s for s in book.steps if s.name == "Formal reminder")
    text = render(firm.template, CTX)
    assert "\n- INV1, due 01.10.2026: 1.000,00\xa0€\n- INV2, due 15.10.2026: " \
        "234,50\xa0€\n\nPay within 7 days" in text
    fee = render(firm.template, MessageContext(**{**CTX.__dict__, "fee": 5.0}))
    assert "234,50\xa0€\n\nDunning fee: 5,00\xa0€. Total due: 1.239,50\xa0€.\n\nPay within" in fee
    # A credit's date is when it was issued or received, not a due date.
    credit = MessageContext(**{**CTX.__dict__, "invoices": (*CTX.invoices, ("P9 (payment on account)",
                                                                              date(2026, 10, 20), -34.5))})
    assert "\n- P9 (payment on account), dated 20.10.2026: -34,50\xa0€\n" in render(firm.template, credit)


@pytest.mark.parametrize("template", [
    "{{ ''.__class__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ '{0.__class__}'.format(debtor_name) }}",
    "{{ debtor_name.__init__.__globals__ }}",
    "{{ invoices.append(1) }}",
    "{{ 'a' * 100000000 }}",
    "{{ 10 ** 100000 }}",
    "{% for i in range(10**9) %}x{% endfor %}",
    "{% for i in invoices %}{% for j in invoices %}{{ debtor_name * 999 }}{% endfor %}{% endfor %}",
    "{{ config }}", "{{ self }}", "{{ lipsum() }}", "{{ cycler }}",
    "{{ debtor_name", "{% if %}", "x" * 10_000,
])
def test_hostile_or_broken_templates_are_refused(template):
    with pytest.raises(TemplateProblem):
        render(template, CTX)


def test_sms_segments():
    assert sms_segments("a" * 160) == 1 and sms_segments("a" * 161) == 2
    assert sms_segments("é" * 71) == 2  # outside GSM-7: 70 characters a segment


@pytest.mark.parametrize(("step", "best", "email", "phone", "expected"), [
    ("preferred", "sms", True, True, "sms"),
    ("preferred", None, True, True, "email"),  # no history: the group's default
    ("email", None, False, True, "sms"),  # no e-mail address, no e-mail
    ("email", None, False, False, "letter"),
    ("phone", None, True, False, "letter"),
    ("preferred", "phone", True, False, "letter"),  # missing data wins over preference
    ("portal", None, False, True, "portal"),
])
def test_channel_fallback(step, best, email, phone, expected):
    assert outreach.resolve_channel(step, group="willing_and_able", best_channel=best, has_email=email,
                                    has_phone=phone) == expected


def test_consent_wins():
    assert outreach.resolve_channel("email", group="wont_pay", best_channel=None, has_email=True, has_phone=True,
                                    opted_out=frozenset({"email"})) == "sms"
    assert outreach.resolve_channel("phone", group="wont_pay", best_channel=None, has_email=True, has_phone=True,
                                    opted_out=frozenset({"phone", "letter"})) is None


def test_steps_are_validated():
    with pytest.raises(ArboardError):
        outreach.Step(1, "pigeon", "friendly", "x")
    with pytest.raises(ArboardError):
        outreach.Step(1, "email", "angry", "x")


@pytest.fixture
def sample(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    return duck_engine


def test_plan_arithmetic(sample):
    settings = outreach.PlanSettings(weeks=4, agents=1, calls_per_agent_per_day=3)
    plan = outreach.make_plan(sample, SMALL_SAMPLE.end, settings=settings, enforce=False)
    assert len(plan) and plan["date"].min() > pd.Timestamp(SMALL_SAMPLE.end)
    assert plan["date"].max() <= pd.Timestamp(SMALL_SAMPLE.end) + pd.Timedelta(weeks=4)
    load = outreach.workload(plan, settings)
    assert load["calls"].sum() == (plan["channel"] == "phone").sum()  # workload = the planned calls
    assert (load["overload"] == (load["calls"] > 3)).all()
    cost = outreach.costs(plan, settings)
    assert cost["contacts"].sum() == len(plan)
    assert cost["cost"].sum() == pytest.approx(sum(outreach.UNIT_COSTS[c] for c in plan["channel"]))
    assert set(plan["channel"]) <= {"email", "sms", "letter", "phone", "portal"}
    violations = outreach.pressure_violations(plan, settings)
    guarded = outreach.enforce_pressure(plan, settings)
    assert outreach.pressure_violations(guarded, settings).empty
    assert len(guarded) <= len(plan) and (len(violations) == 0) == (len(guarded) == len(plan))
    assert (plan["date"].dt.weekday < 5).all()  # Monday to Friday by default
    spread, moved, left_out = outreach.spread_calls(plan, settings, until=outreach.plan_end(SMALL_SAMPLE.end, settings))
    assert not outreach.workload(spread, settings)["overload"].any()
    assert len(spread) + len(left_out) == len(plan) and moved > 0


def test_plan_moves_steps_to_contact_days():
    settings = outreach.PlanSettings(holidays=(date(2026, 12, 25),))
    days = pd.Series(pd.to_datetime(["2026-11-21", "2026-11-22", "2026-11-24", "2026-12-25"]))  # Sat, Sun, Tue, Fri
    assert outreach.on_contact_days(days, settings).dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-23", "2026-11-23", "2026-11-24", "2026-12-28"]
    # Before the due date a step moves back, so that the reminder still comes before the due date.
    assert outreach.on_contact_days(days, settings, before_due=True).dt.strftime("%Y-%m-%d").tolist() == [
        "2026-11-20", "2026-11-20", "2026-11-24", "2026-12-24"]
    every_day = outreach.PlanSettings(contact_days=tuple(range(7)))
    assert outreach.on_contact_days(days, every_day).equals(days)
    items = pd.DataFrame({"invoice_id": ["I1"], "customer_id": ["C1"], "due_date": pd.to_datetime(["2026-11-28"]),
                          "amount": [100.0], "currency": ["EUR"], "name": ["Ann"], "email": ["a@x.org"],
                          "phone": [None], "locale": [None], "opt_out": [None]})  # due on a Saturday
    book = outreach.DEFAULT_PLAYBOOKS["willing_and_able"]  # -3, +3, +14 days: Wed, Tue, Sat
    plan = outreach.build_plan(items, pd.Series({"C1": "willing_and_able"}), pd.Series(dtype=object),
                               {"willing_and_able": book}, date(2026, 11, 1), settings=settings)
    assert [s.offset_days for s in book.steps] == [-3, 3, 14]
    assert plan["date"].dt.strftime("%Y-%m-%d").tolist() == ["2026-11-25", "2026-12-01", "2026-12-14"]


def test_spread_calls_keeps_the_largest_and_fills_the_next_days():
    settings = outreach.PlanSettings(agents=1, calls_per_agent_per_day=2)
    mon, tue = pd.Timestamp("2026-11-23"), pd.Timestamp("2026-11-24")
    plan = pd.DataFrame({"date": [mon] * 5 + [tue, mon], "customer_id": list("ABCDEFG"),
                         "channel": ["phone"] * 6 + ["email"], "amount": [5.0, 4, 3, 2, 1, 9, 1], "step_no": 1})
    out, moved, left_out = outreach.spread_calls(plan, settings, until=date(2026, 12, 31))
    day = dict(zip(out["customer_id"], out["date"].dt.strftime("%a"), strict=True))
    assert day == {"A": "Mon", "B": "Mon", "C": "Tue", "D": "Tue", "E": "Wed", "F": "Wed", "G": "Mon"}
    assert moved == 4 and left_out.empty
    assert out.groupby("date")["channel"].apply(lambda c: (c == "phone").sum()).max() <= 2
    # Up to Tuesday only: what does not fit is left out and counted.
    out, moved, left_out = outreach.spread_calls(plan, settings, until=date(2026, 11, 24))
    assert list(left_out["customer_id"]) == ["E", "F"] and set(out["customer_id"]) == set("ABCDG")
    # No capacity: nothing to spread over, the plan stays as it is.
    none = outreach.PlanSettings(agents=0)
    assert outreach.spread_calls(plan, none, until=date(2026, 12, 31))[0].equals(plan)


def test_calls_and_work_lists_rank_amounts_across_currencies():
    """SEK 20,000 is less than EUR 5,000 at the saved rates: the euro call keeps its day, and heads the
    day's work list; at face value (no rates) the krona call would."""
    settings = outreach.PlanSettings(agents=1, calls_per_agent_per_day=1)
    mon = pd.Timestamp("2026-11-23")
    plan = pd.DataFrame({"date": [mon] * 3, "customer_id": ["S", "E", "M"], "name": ["Sven", "Eva", "Mo"],
                         "channel": ["phone", "phone", "email"], "amount": [20_000.0, 5_000.0, 100.0],
                         "currency": ["SEK", "EUR", "EUR"], "step_no": 1})
    rates = fx.Rates("EUR", {"SEK": 0.087})
    out, _moved, _left = outreach.spread_calls(plan, settings, until=date(2026, 12, 31), rates=rates)
    assert out.loc[out["date"] == mon, "customer_id"].tolist() == ["E", "M"]
    face, _moved, _left = outreach.spread_calls(plan, settings, until=date(2026, 12, 31))
    assert face.loc[face["date"] == mon, "customer_id"].tolist() == ["M", "S"]


def test_work_list_of_a_day(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    plan = outreach.make_plan(duck_engine, SMALL_SAMPLE.end)
    days = outreach.work_days(plan)
    assert days == sorted(days) and days[0] > SMALL_SAMPLE.end
    calls = outreach.work_list(plan, days[0], channel="phone", rates=fx.load(duck_engine))
    assert len(calls) and set(calls["channel"]) == {"phone"} and set(calls["date"]) == {days[0]}
    assert calls["message"].str.len().gt(0).all()
    worth = fx.load(duck_engine).convert(calls["total_due"], calls["currency"])
    assert worth.is_monotonic_decreasing
    everything = outreach.work_list(plan, days[0])
    assert len(everything) == int((plan["date"] == pd.Timestamp(days[0])).sum()) >= len(calls)
    assert outreach.work_list(plan, SMALL_SAMPLE.end).empty  # no contact on the as-of date itself


@pytest.mark.parametrize(("text", "days"), [("Mon-Fri", (0, 1, 2, 3, 4)), ("sat, Sunday", (5, 6)),
                                            ("Fri-Mon", (0, 4, 5, 6)), ("Mon;Wed", (0, 2))])
def test_parse_days(text, days):
    assert outreach.parse_days(text) == days


@pytest.mark.parametrize("text", ["", "Funday", "Mon-Tue-Wed", ","])
def test_parse_days_refuses_what_is_not_a_weekday(text):
    with pytest.raises(ArboardError):
        outreach.parse_days(text)


def test_playbooks_are_versioned(engine):
    book = outreach.DEFAULT_PLAYBOOKS["wont_pay"]
    shorter = outreach.Playbook("wont_pay", book.steps[:2])
    assert outreach.save_playbook(engine, shorter) == 1
    assert outreach.save_playbook(engine, book) == 2
    assert outreach.load_playbooks(engine)["wont_pay"] == book
    assert list(outreach.playbook_versions(engine, "wont_pay")["version"]) == [2, 1]


def test_exports_contain_no_formulas():
    hostile = pd.DataFrame({"name": ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2", "@SUM(A1)", "\tx", "ok"],
                            "amount": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    wb = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(hostile, money_columns=("amount",))))
    cells = [c for row in wb.active.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert wb.active["A2"].value.startswith("'=")
    text = exports.to_csv_bytes(hostile).decode("utf-8-sig")
    assert "'=HYPERLINK" in text and "\n'+1" in text and "\n'@SUM" in text and "\n=" not in text


def test_cli_plan_xlsx_reads_back_without_formulas(tmp_path, duck_url):
    generate.write_sample(db.open_database(duck_url), SMALL_SAMPLE)
    out = tmp_path / "plan.xlsx"
    result = CliRunner().invoke(app, ["plan", "--as-of", "2026-10-31", "--weeks", "3", "--out", str(out),
                                      "--db", duck_url, "--agents", "1", "--calls-per-agent", "5"])
    assert result.exit_code == 0, result.output
    ws = openpyxl.load_workbook(out).active
    header = [c.value for c in ws[1]]
    assert header[:6] == ["date", "customer_id", "name", "group", "step", "channel"] and "message" in header
    assert ws.max_row > 1
    assert not any(c.data_type == "f" for row in ws.iter_rows() for c in row)
    rows = pd.DataFrame(list(ws.iter_rows(min_row=2, values_only=True)), columns=header)
    assert rows[rows["channel"] == "phone"].groupby("date").size().max() <= 5  # 1 agent x 5 calls, spread
    bad = CliRunner().invoke(app, ["plan", "--out", str(tmp_path / "plan.pdf"), "--db", duck_url])
    assert bad.exit_code == 2
    both = CliRunner().invoke(app, ["plan", "--as-of", "2026-10-31", "--weeks", "3", "--out", str(tmp_path / "p.csv"),
                                    "--db", duck_url, "--remind-disputed", "--no-spread-calls"])
    assert both.exit_code == 0, both.output
    steps = pd.read_csv(tmp_path / "p.csv", encoding="utf-8-sig")["step"]
    assert (steps == outreach.BROKEN_PROMISE_CALL.name).any()  # the sample breaks promises
    quiet = CliRunner().invoke(app, ["plan", "--as-of", "2026-10-31", "--weeks", "3", "--out", str(tmp_path / "q.csv"),
                                     "--db", duck_url, "--no-call-broken-promises"])
    assert quiet.exit_code == 0, quiet.output
    quiet_steps = pd.read_csv(tmp_path / "q.csv", encoding="utf-8-sig")["step"]
    assert not (quiet_steps == outreach.BROKEN_PROMISE_CALL.name).any()
    bad = CliRunner().invoke(app, ["plan", "--out", str(out), "--db", duck_url, "--contact-days", "Funday"])
    assert bad.exit_code == 2 and "not a weekday" in bad.output
    bad = CliRunner().invoke(app, ["plan", "--out", str(out), "--db", duck_url, "--repeat-days", "3"])
    assert bad.exit_code == 2 and "7 to 365 days" in bad.output and "Traceback" not in bad.output
    assert "past a hand-over" in result.output  # the sample has won't-pay debtors long overdue
    # One day's work list: the calls of Monday 2 November, the largest balances first.
    day = CliRunner().invoke(app, ["plan", "--as-of", "2026-10-31", "--out", str(tmp_path / "d.csv"), "--db", duck_url,
                                   "--day", "2026-11-02", "--channel", "phone"])
    assert day.exit_code == 0, day.output
    calls = pd.read_csv(tmp_path / "d.csv", encoding="utf-8-sig")
    assert len(calls) and set(calls["date"]) == {"2026-11-02"} and set(calls["channel"]) == {"phone"}
    assert f"{len(calls)} phone contacts on 2026-11-02" in day.output
    for args, says in [(["--day", "2026-10-31"], "must fall in the plan"), (["--day", "2/11"], "a date like"),
                       (["--channel", "phone"], "goes with --day"), (["--day", "2026-11-02", "--channel", "fax"],
                                                                     "goes with --day")]:
        bad = CliRunner().invoke(app, ["plan", "--as-of", "2026-10-31", "--out", str(tmp_path / "x.csv"), "--db",
                                       duck_url, *args])
        assert bad.exit_code == 2 and says in bad.output, bad.output


def test_messages_list_everything_overdue_with_its_own_due_date_and_amount():
    items = pd.DataFrame({"invoice_id": ["I1", "I2"], "customer_id": ["C1", "C1"],
                          "due_date": pd.to_datetime(["2026-11-02", "2026-11-20"]), "amount": [100.0, 50.0],
                          "currency": ["EUR", "EUR"], "name": ["Ann", "Ann"], "email": ["a@x.org"] * 2,
                          "phone": [None] * 2, "locale": ["en_GB"] * 2, "opt_out": [None] * 2})
    template = "{{ open_amount }}|{% for i in invoices %}{{ i.number }} {{ i.due_date }} {{ i.amount }};{% endfor %}"
    book = outreach.Playbook("wont_pay", (outreach.Step(1, "email", "neutral", template, name="Reminder"),
                                          outreach.Step(20, "email", "firm", template, name="Second")))
    groups = pd.Series({"C1": "wont_pay"})
    plan = outreach.build_plan(items, groups, pd.Series(dtype=object), {"wont_pay": book}, date(2026, 11, 1),
                               settings=ONCE)
    messages = outreach.render_messages(plan)["message"].tolist()
    # I1's reminder (3 Nov) lists I1 alone; on 23 Nov (a Monday) I1 reaches the second step and I2 its
    # first: one contact at the firmer step lists I1, still overdue, and I2.
    assert messages == ["€100.00|I1 2 Nov 2026 €100.00;",
                        "€150.00|I1 2 Nov 2026 €100.00;I2 20 Nov 2026 €50.00;"]
    assert plan["step"].tolist() == ["Reminder", "Second"]
    assert plan["amount"].tolist() == [100.0, 150.0] and plan["total_due"].tolist() == [100.0, 150.0]
    # I1 on hold until the end of the year: not reminded, and not listed on I2's reminder.
    held = pd.DataFrame({"customer_id": ["C1"], "invoice_id": ["I1"], "until": [date(2026, 12, 31)]})
    plan = outreach.build_plan(items, groups, pd.Series(dtype=object), {"wont_pay": book}, date(2026, 11, 1),
                               holds=held, settings=ONCE)
    assert outreach.render_messages(plan)["message"].tolist() == ["€50.00|I2 20 Nov 2026 €50.00;"] * 2
    assert plan["step"].tolist() == ["Reminder", "Second"]  # I2's own two steps (23 Nov, 10 Dec)


def test_a_step_fee_shows_on_its_message_and_in_the_total():
    items = pd.DataFrame({"invoice_id": ["I1"], "customer_id": ["C1"], "due_date": pd.to_datetime(["2026-11-02"]),
                          "amount": [100.0], "currency": ["EUR"], "name": ["Ann"], "email": ["a@x.org"],
                          "phone": [None], "locale": ["de_DE"], "opt_out": [None]})
    template = "{{ open_amount }}{% if fee %} + {{ fee }} = {{ total_due }}{% endif %}"
    book = outreach.Playbook("wont_pay", (outreach.Step(1, "email", "firm", template, name="Reminder"),
                                          outreach.Step(21, "letter", "firm", template, name="Letter", fee=5.0)))
    plan = outreach.build_plan(items, pd.Series({"C1": "wont_pay"}), pd.Series(dtype=object), {"wont_pay": book},
                               date(2026, 11, 1), settings=ONCE)
    assert outreach.render_messages(plan)["message"].tolist() == ["100,00\xa0€",
                                                                  "100,00\xa0€ + 5,00\xa0€ = 105,00\xa0€"]
    assert plan["fee"].tolist() == [0.0, 5.0] and plan["total_due"].tolist() == [100.0, 105.0]
    assert "fee" in outreach.export_table(outreach.render_messages(plan)).columns
    edited = outreach.steps_table(book)
    assert outreach.playbook_from_table("wont_pay", edited) == book  # the fee survives the editor
    with pytest.raises(ArboardError, match="fee"):
        outreach.playbook_from_table("wont_pay", edited.assign(fee=[0.0, -1.0]))
    with pytest.raises(ArboardError, match="fee"):
        outreach.playbook_from_table("wont_pay", edited.assign(fee=[0.0, "five"]))
    old = outreach.Playbook.from_json('{"group": "wont_pay", "steps": [{"offset_days": 1, "channel": "email", '
                                      '"tone": "firm", "template": "x"}]}')  # saved before fees existed
    assert old.steps[0].fee == 0.0


def test_preview_uses_the_steps_own_contact_and_the_groups_debtors(sample):
    plan = outreach.make_plan(sample, SMALL_SAMPLE.end)
    group = plan["group"].value_counts().index[-1]  # the smallest group: its debtors must come first anyway
    candidates = outreach.preview_candidates(plan, group)
    theirs = set(plan.loc[plan["group"] == group, "customer_id"])
    assert set(candidates["customer_id"].head(len(theirs))) == theirs
    row = plan[plan["group"] == group].iloc[-1]
    contact = outreach.preview_contact(plan, row["customer_id"], group, int(row["step_no"]))
    assert (contact.step_no, contact.group) == (row["step_no"], group)


def test_a_heads_up_before_the_due_date_is_about_what_falls_due():
    items = pd.DataFrame({"invoice_id": ["OLD", "NEW"], "customer_id": ["C1", "C1"],
                          "due_date": pd.to_datetime(["2026-10-01", "2026-11-20"]), "amount": [70.0, 30.0],
                          "currency": ["EUR", "EUR"], "name": ["Ann", "Ann"], "email": ["a@x.org"] * 2,
                          "phone": [None] * 2, "locale": ["en_GB"] * 2, "opt_out": [None] * 2})
    book = outreach.Playbook("wont_pay", (outreach.Step(-3, "email", "friendly", "{{ open_amount }}", name="Nudge"),
                                          outreach.Step(3, "email", "firm", "{{ open_amount }}", name="Reminder")))
    plan = outreach.build_plan(items, pd.Series({"C1": "wont_pay"}), pd.Series(dtype=object), {"wont_pay": book},
                               date(2026, 11, 1), settings=outreach.PlanSettings(repeat_last_step_days=0))
    # The nudge (17 Nov) is about NEW alone. NEW's reminder (23 Nov) would not go further than OLD's,
    # sent in October, so it is not sent again (see the escalation tests for the repeats).
    assert outreach.render_messages(plan)["message"].tolist() == ["€30.00"]


def test_disputed_invoices_are_left_out_of_reminders_unless_asked():
    items = pd.DataFrame({"invoice_id": ["OK", "DISPUTED"], "customer_id": ["C1", "C1"],
                          "due_date": pd.to_datetime(["2026-11-02", "2026-11-02"]), "amount": [70.0, 30.0],
                          "currency": ["EUR", "EUR"], "name": ["Ann", "Ann"], "email": ["a@x.org"] * 2,
                          "phone": [None] * 2, "locale": ["en_GB"] * 2, "opt_out": [None] * 2,
                          "disputed": [False, True]})
    book = outreach.Playbook("wont_pay", (outreach.Step(3, "email", "firm", "{{ open_amount }}", name="Reminder"),))
    args = (items, pd.Series({"C1": "wont_pay"}), pd.Series(dtype=object), {"wont_pay": book}, date(2026, 11, 1))
    plan = outreach.build_plan(*args, settings=ONCE)
    assert plan["invoices"].tolist() == ["OK"] and outreach.render_messages(plan)["message"].tolist() == ["€70.00"]
    plan = outreach.build_plan(*args, settings=outreach.PlanSettings(remind_disputed=True, repeat_last_step_days=0))
    assert outreach.render_messages(plan)["message"].tolist() == ["€100.00"]


def test_reminders_ask_for_what_is_still_open_after_partial_payments(engine):
    """A debtor who paid part of an invoice is reminded of the rest; later payments are not known yet."""
    from arboard import events, schema, store

    inv = pd.DataFrame({"invoice_id": ["A", "B", "CN"], "customer_id": ["C1"] * 3,
                        "invoice_date": [date(2026, 9, 1)] * 3, "due_date": [date(2026, 10, 1)] * 3,
                        "amount": [1000.0, 250.0, -50.0], "currency": ["EUR"] * 3, "paid_date": [None] * 3,
                        "disputed": [False] * 3})
    pay = pd.DataFrame({"payment_id": ["P1", "P2", "P3"], "invoice_id": ["A", "A", "B"], "customer_id": ["C1"] * 3,
                        "payment_date": [date(2026, 10, 10), date(2026, 11, 10), date(2026, 10, 12)],
                        "amount": [600.0, 100.0, 250.0], "currency": ["EUR"] * 3})
    with engine.begin() as conn:
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C1"], "name": ["Ann"],
                                                           "email": ["ann@example.org"]}))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
    events.refresh(engine)
    as_of = date(2026, 10, 20)
    items = outreach.open_items_for_plan(engine, as_of)
    # A is 400 open (the November payment has not happened yet), B is paid in full, a credit note is not dunned.
    assert items[["invoice_id", "amount"]].values.tolist() == [["A", 400.0]]
    book = outreach.Playbook("wont_pay", (outreach.Step(20, "email", "firm", "{{ open_amount }}", name="Reminder"),))
    plan = outreach.build_plan(items, pd.Series({"C1": "wont_pay"}), pd.Series(dtype=object), {"wont_pay": book},
                               as_of, settings=ONCE)
    assert plan["amount"].tolist() == [400.0]
    assert outreach.render_messages(plan)["message"].tolist() == ["€400.00"]
    # What the debtor has to their credit: the open credit note and a payment on account (not a later one).
    with engine.begin() as conn:
        store.append(conn, schema.payments, pd.DataFrame({
            "payment_id": ["P4", "P5"], "invoice_id": [None, None], "customer_id": ["C1"] * 2,
            "payment_date": [date(2026, 10, 15), date(2026, 10, 25)], "amount": [30.0, 99.0], "currency": ["EUR"] * 2}))
    events.refresh(engine)
    credits = outreach.open_credits_for_plan(engine, as_of)
    assert credits[["reference", "amount"]].values.tolist() == [["CN (credit note)", -50.0],
                                                               ["P4 (payment on account)", -30.0]]
    assert outreach.open_credits_for_plan(engine, as_of, customer_id="C2").empty


def _items(ids, due, amounts, currency="EUR"):
    n = len(ids)
    return pd.DataFrame({"invoice_id": ids, "customer_id": ["C1"] * n, "due_date": pd.to_datetime(due),
                         "amount": amounts, "currency": [currency] * n, "name": ["Ann"] * n,
                         "email": ["a@x.org"] * n, "phone": [None] * n, "locale": ["en_GB"] * n,
                         "opt_out": [None] * n, "disputed": [False] * n})


def _credits(refs, days, amounts, currency="EUR"):
    return pd.DataFrame({"customer_id": ["C1"] * len(refs), "currency": [currency] * len(refs), "reference": refs,
                         "date": pd.to_datetime(days), "amount": amounts})


def test_reminders_net_the_debtors_credits_and_are_not_sent_when_credits_cover_them():
    book = outreach.Playbook("wont_pay", (
        outreach.Step(-3, "email", "friendly", "{{ open_amount }}", name="Heads-up"),
        outreach.Step(3, "email", "firm", "{{ open_amount }} since {{ oldest_due_date }}:"
                      "{% for i in invoices %} {{ i.number }} {{ i.amount }};{% endfor %}", name="Reminder", fee=5),
    ))
    args = (pd.Series({"C1": "wont_pay"}), pd.Series(dtype=object), {"wont_pay": book}, date(2026, 11, 1))
    items = _items(["A"], ["2026-11-10"], [100.0])
    credits = _credits(["CN1 (credit note)", "USD1 (payment on account)"], ["2026-01-05", "2026-02-01"],
                       [-40.0, -500.0])
    credits.loc[1, "currency"] = "USD"  # another currency is not netted
    plan = outreach.build_plan(items, *args, credits=credits, settings=ONCE)
    assert plan["step"].tolist() == ["Heads-up", "Reminder"]
    assert plan["total_due"].tolist() == [100.0, 65.0]  # the heads-up is about what falls due
    assert outreach.render_messages(plan)["message"].tolist() == [
        "€100.00", "€60.00 since 10 Nov 2026: A €100.00; CN1 (credit note) -€40.00;"]  # credits are not overdue
    covered = outreach.build_plan(items, *args, credits=_credits(["CN1 (credit note)"], ["2026-01-05"], [-100.0]),
                                  settings=outreach.PlanSettings())  # the repeats are not sent either
    assert covered["step"].tolist() == ["Heads-up"]  # nothing left to ask for


def _lines(*rows):
    """Clearing lines as :func:`arboard.unapplied.match_payments` gives them: (payment, match, item, apply, kind)."""
    return pd.DataFrame([{"payment_id": p, "customer_id": "C1", "payment_date": pd.Timestamp("2026-10-20"),
                          "payment_amount": 0.0, "currency": "EUR", "match": m, "item": i, "due_date": pd.NaT,
                          "apply": a, "kind": k} for p, m, i, a, k in rows])


def test_cash_on_account_counts_as_applied_from_the_least_confidence_chosen():
    lines = _lines(("P1", "Named in the reference", "A", 100.0, "Invoice"),
                   ("P2", "Overpayment", "B", 50.0, "Invoice"), ("P2", "Overpayment", None, 10.0, "Left on account"),
                   ("P3", "Named, amount differs", "CN1", -30.0, "Credit note"),
                   ("P3", "Named, amount differs", "C", 130.0, "Invoice"),
                   ("P4", "Named another debtor's invoice", "Z", 80.0, "Invoice"))
    items = _items(["A", "B", "C", "Z"], ["2026-09-01"] * 4, [100.0, 50.0, 200.0, 80.0])
    items.loc[3, "customer_id"] = "C2"  # another debtor's invoice, paid by C1's P4
    credits = _credits(["CN1 (credit note)", *(f"P{n} (payment on account)" for n in range(1, 6))],
                       ["2026-09-05"] * 6, [-30.0, -100.0, -60.0, -100.0, -80.0, -5.0])
    credits = credits.assign(id=["CN1", "P1", "P2", "P3", "P4", "P5"], payment=[False] + [True] * 5)

    def settled(least):
        left, owed = outreach.settle_cash(items, credits, unapplied.as_applied(lines, least=least))
        return (dict(zip(left["invoice_id"], left["amount"], strict=True)),
                dict(zip(owed["id"], owed["amount"], strict=True)))

    assert settled("") == ({"A": 100.0, "B": 50.0, "C": 200.0, "Z": 80.0},
                           {"CN1": -30.0, "P1": -100.0, "P2": -60.0, "P3": -100.0, "P4": -80.0, "P5": -5.0})
    assert settled("High") == ({"B": 50.0, "C": 200.0, "Z": 80.0},
                               {"CN1": -30.0, "P2": -60.0, "P3": -100.0, "P4": -80.0, "P5": -5.0})
    # A part payment leaves the rest open; the credit note it used is gone; another debtor's invoice is paid.
    assert settled("Medium") == ({"B": 50.0, "C": 70.0}, {"P2": -60.0, "P5": -5.0})
    # An overpayment clears the invoice, and what it pays over stays on account.
    assert settled("Low") == ({"C": 70.0}, {"P2": -10.0, "P5": -5.0})
    assert unapplied.as_applied(lines, least="Medium").lines["confidence"].tolist() == ["High", "Medium", "Medium",
                                                                                        "Medium"]
    with pytest.raises(ArboardError, match="High, Medium or Low"):
        unapplied.as_applied(lines, least="Sure")
    with pytest.raises(ArboardError, match="High, Medium or Low"):
        outreach.PlanSettings(apply_cash="Sure")


def test_a_reminder_leaves_out_what_cash_on_account_most_likely_pays(engine, tmp_path):
    """A debtor who paid the oldest invoice, with the cash still on account in the ERP, is not reminded of it
    nor escalated on it: the reminder is about what stays open, at that item's level."""
    from arboard import events, schema, store

    inv = pd.DataFrame({"invoice_id": ["INV1001", "INV1002", "INV3001"], "customer_id": ["C1", "C1", "C3"],
                        "invoice_date": [date(2026, 7, 1), date(2026, 9, 20), date(2026, 9, 1)],
                        "due_date": [date(2026, 8, 1), date(2026, 10, 20), date(2026, 10, 1)],
                        "amount": [300.0, 120.0, 100.0], "currency": ["EUR"] * 3, "paid_date": [None] * 3,
                        "disputed": [False] * 3})
    pay = pd.DataFrame({"payment_id": ["P1", "P2", "P3"], "invoice_id": [None] * 3, "customer_id": ["C1", "C1", "C3"],
                        "payment_date": [date(2026, 10, 25), date(2026, 10, 28), date(2026, 10, 26)],
                        "amount": [300.0, 9.99, 100.0], "currency": ["EUR"] * 3,
                        "reference": ["Rechnung INV-1001", None, "inv 3001"]})
    with engine.begin() as conn:
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C1", "C3"], "name": ["Ann", "Cy"],
                                                           "email": ["ann@example.org", "cy@example.org"]}))
        store.append(conn, schema.invoices, inv)
        store.append(conn, schema.payments, pay)
    events.refresh(engine)
    as_of = date(2026, 11, 1)
    text = "{{ open_amount }}:{% for i in invoices %} {{ i.number }}{% endfor %}"
    steps = (outreach.Step(14, "email", "friendly", text, name="Reminder"),
             outreach.Step(100, "email", "firm", text, name="Final notice"))
    inputs = outreach.plan_inputs(engine, as_of)
    inputs.playbooks = {g: outreach.Playbook(g, steps) for g in outreach.DEFAULT_PLAYBOOKS}

    def contacts(settings):
        plan = outreach.render_messages(inputs.build(as_of, settings))
        return plan[["customer_id", "step", "message"]].values.tolist()

    # As the ERP stands: INV1001 reached the reminder in August and reaches the final notice on 9 November;
    # the payment that paid it is a credit.
    assert contacts(dataclasses.replace(ONCE, apply_cash="")) == [
        ["C1", "Final notice", "€110.01: INV1001 INV1002 P1 (payment on account) P2 (payment on account)"]]
    # The sure matches applied: INV1001 is paid, so INV1002's reminder goes out on 3 November and there is no
    # final notice; P2 matches nothing and stays a credit.
    assert contacts(ONCE) == [["C1", "Reminder", "€110.01: INV1002 P2 (payment on account)"]]
    paid = inputs.paid_by_cash(ONCE)
    assert paid[["invoice_id", "payment_id", "open", "applied", "match", "confidence"]].values.tolist() == [
        ["INV1001", "P1", 300.0, 300.0, "Named in the reference", "High"],
        ["INV3001", "P3", 100.0, 100.0, "Named in the reference", "High"]]
    assert inputs.handed_over(as_of, ONCE).empty
    # A debtor whose cash pays everything open is told apart from one with nothing open.
    plan, why = outreach.debtor_outlook(engine, as_of, "C3", settings=ONCE)
    assert plan.empty and why.startswith("cash on account most likely pays all they have open (payment P3,")
    # The command line says what it left out, and can remind as the ERP stands.
    url = engine.url.render_as_string(hide_password=False)
    args = ["plan", "--as-of", "2026-11-01", "--weeks", "3", "--db", url]
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "a.csv")])
    assert result.exit_code == 0, result.output
    assert "2 invoices of 2 debtors most likely paid by cash on account" in result.output
    result = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "b.csv"), "--apply-cash", "none"])
    assert result.exit_code == 0 and "cash on account" not in result.output
    assert "INV1001" in (tmp_path / "b.csv").read_text() and "INV1001" not in (tmp_path / "a.csv").read_text()


def _ladder_items(*rows):
    n = len(rows)
    return pd.DataFrame({"invoice_id": [r[0] for r in rows], "customer_id": ["C1"] * n,
                         "due_date": pd.to_datetime([r[1] for r in rows]), "amount": [r[2] for r in rows],
                         "currency": ["EUR"] * n, "name": ["Ann"] * n, "email": ["a@x.org"] * n, "phone": [None] * n,
                         "locale": ["en_GB"] * n, "opt_out": [None] * n})


LADDER = outreach.Playbook("unable_to_pay", (
    outreach.Step(-5, "email", "friendly", "{{ open_amount }}", name="Heads-up"),
    outreach.Step(2, "phone", "neutral", "{{ open_amount }}", ("payment_plan",), name="Call"),
    outreach.Step(5, "email", "neutral", "{{ open_amount }}", ("payment_plan",), name="Plan offer"),
    outreach.Step(30, "letter", "firm", "{{ open_amount }}", name="Formal reminder")))
EVERY_DAY = {"contact_days": tuple(range(7))}


def test_reminders_escalate_and_never_step_back():
    # OLD is 20 days overdue when the plan starts (past "Plan offer"); NEW falls due on 10 Nov.
    items = _ladder_items(("OLD", "2026-10-12", 100.0), ("NEW", "2026-11-10", 40.0))
    plan = outreach.build_plan(items, pd.Series({"C1": "unable_to_pay"}), pd.Series(dtype=object),
                               {"unable_to_pay": LADDER}, date(2026, 11, 1),
                               settings=outreach.PlanSettings(repeat_last_step_days=0, **EVERY_DAY))
    got = list(zip(plan["date"].dt.strftime("%m-%d"), plan["step"], plan["invoices"], strict=True))
    # The heads-up before NEW falls due stays. OLD's formal reminder (11 Nov) is about OLD and lists NEW,
    # overdue since the day before. NEW's call (12 Nov) and plan offer (15 Nov) would be milder than that
    # letter, so they are not sent.
    assert got == [("11-05", "Heads-up", "NEW"), ("11-11", "Formal reminder", "OLD")]
    assert outreach.render_messages(plan)["message"].tolist() == ["€40.00", "€140.00"]


def test_a_debtor_billed_in_two_currencies_gets_a_reminder_per_currency():
    # Amounts in euros and dollars do not add up: each currency is an account with its own reminders,
    # levels, statement and total (before, one "€350.00" reminder listed E1 and U1 and netted U2 in).
    items = _ladder_items(("E1", "2026-10-12", 100.0), ("U1", "2026-10-12", 200.0), ("U2", "2026-11-10", 50.0))
    items.loc[1:, "currency"] = "USD"
    args = (items, pd.Series({"C1": "unable_to_pay"}), pd.Series(dtype=object), {"unable_to_pay": LADDER},
            date(2026, 11, 1))
    plan = outreach.build_plan(*args, settings=outreach.PlanSettings(repeat_last_step_days=0, **EVERY_DAY))
    got = list(zip(plan["date"].dt.strftime("%m-%d"), plan["step"], plan["currency"], plan["invoices"],
                   plan["total_due"], strict=True))
    assert got == [("11-05", "Heads-up", "USD", "U2", 50.0), ("11-11", "Formal reminder", "EUR", "E1", 100.0),
                   ("11-11", "Formal reminder", "USD", "U1", 250.0)]
    assert outreach.render_messages(plan)["message"].tolist() == ["US$50.00", "€100.00", "US$250.00"]
    for row in plan.itertuples():  # every listed item is in the contact's currency
        assert set(items.set_index("invoice_id").loc[[i for i, _d, _a in row.statement], "currency"]) == {row.currency}
    # Repeats and the hand-over list are per currency too.
    again = outreach.build_plan(*args, settings=outreach.PlanSettings(repeat_last_step_days=14, **EVERY_DAY))
    repeats = again[again["step"] == "Formal reminder"]
    assert repeats.groupby("currency")["total_due"].max().to_dict() == {"EUR": 100.0, "USD": 250.0}
    steps = LADDER.steps[:-1] + (outreach.Step(30, "letter", "firm", "{{ open_amount }}", ("hand_over",),
                                               name="Hand-over"),)
    handed = outreach.handed_over(items, args[1], {"unable_to_pay": outreach.Playbook("unable_to_pay", steps)},
                                  date(2026, 11, 20), settings=outreach.PlanSettings(**EVERY_DAY))
    assert handed[["currency", "overdue", "items"]].values.tolist() == [["USD", 250.0, 2], ["EUR", 100.0, 1]]
    assert handed["since"].tolist() == [pd.Timestamp("2026-11-11")] * 2


def test_the_last_step_repeats_while_overdue_but_a_hand_over_does_not():
    items = _ladder_items(("OLD", "2026-09-01", 100.0), ("NEW", "2026-11-10", 40.0))
    args = (items, pd.Series({"C1": "unable_to_pay"}), pd.Series(dtype=object), {"unable_to_pay": LADDER},
            date(2026, 11, 1))
    plan = outreach.build_plan(*args, settings=outreach.PlanSettings(repeat_last_step_days=14, **EVERY_DAY))
    reminders = plan[plan["step"] == "Formal reminder"]
    # OLD reached the last step on 1 Oct: again on 15 Oct, 29 Oct (before the plan), 12 Nov, 26 Nov, 10 Dec, 24 Dec.
    assert reminders["date"].dt.strftime("%m-%d").tolist() == ["11-12", "11-26", "12-10", "12-24"]
    assert reminders["invoices"].tolist() == ["OLD, NEW"] * 4 and reminders["total_due"].tolist() == [140.0] * 4
    assert set(plan["step"]) == {"Heads-up", "Formal reminder"}  # NEW's call and offer would step back
    # Reaching the last step within the plan starts the repeats from that day.
    fresh = outreach.build_plan(_ladder_items(("NEW", "2026-10-25", 40.0)), *args[1:],
                                settings=outreach.PlanSettings(repeat_last_step_days=14, **EVERY_DAY))
    assert list(zip(fresh["date"].dt.strftime("%m-%d"), fresh["step"], strict=True)) == [
        ("11-24", "Formal reminder"), ("12-08", "Formal reminder"), ("12-22", "Formal reminder")]
    # With only OLD open, no step falls due in the plan's weeks: the repeats still come (a debtor's own
    # plan, for its timeline, had none of the reminders the whole ledger's plan sends it).
    alone = outreach.build_plan(_ladder_items(("OLD", "2026-09-01", 100.0)), *args[1:],
                                settings=outreach.PlanSettings(repeat_last_step_days=14, **EVERY_DAY))
    assert alone["date"].dt.strftime("%m-%d").tolist() == ["11-12", "11-26", "12-10", "12-24"]
    # A last step that hands the claim over is not repeated; the debtor is listed as handed over.
    steps = LADDER.steps[:-1] + (outreach.Step(30, "letter", "firm", "{{ open_amount }}", ("hand_over",),
                                               name="Hand-over"),)
    book = {"unable_to_pay": outreach.Playbook("unable_to_pay", steps)}
    plan = outreach.build_plan(*args[:3], book, args[4], settings=outreach.PlanSettings(**EVERY_DAY))
    assert plan["step"].tolist() == ["Heads-up"]
    handed = outreach.handed_over(items, args[1], book, date(2026, 11, 1), settings=outreach.PlanSettings(**EVERY_DAY))
    assert handed[["customer_id", "overdue", "items"]].values.tolist() == [["C1", 100.0, 1]]
    assert handed["since"].tolist() == [pd.Timestamp("2026-10-01")]
    # With nobody past it, nobody is listed.
    assert outreach.handed_over(items, args[1], {"unable_to_pay": LADDER}, date(2026, 11, 1)).empty


def test_the_default_plan_never_steps_back(sample):
    plan = outreach.make_plan(sample, SMALL_SAMPLE.end)
    account = ["customer_id", "currency"]  # a debtor billed in two currencies has a ladder in each
    assert (plan.groupby("customer_id")["currency"].nunique() > 1).any()  # the sample has such debtors
    # The reminders: a call about a broken promise (step 0) is not a level of the ladder.
    overdue = plan[(plan["offset_days"] >= 0) & (plan["step_no"] > 0)].sort_values([*account, "date"], kind="stable")
    before = overdue.groupby(account)["offset_days"].cummax().groupby([overdue[k] for k in account]).shift()
    assert not (overdue["offset_days"] < before).any()


@hypothesis.settings(max_examples=60, deadline=None)
@hypothesis.given(
    dues=hst.lists(hst.tuples(hst.integers(0, 2), hst.integers(-120, 60), hst.sampled_from(["EUR", "USD"])),
                   min_size=1, max_size=12),
    offsets=hst.lists(hst.integers(0, 60), min_size=1, max_size=4, unique=True),
    repeat=hst.sampled_from([0, 7, 14, 30]),
)
def test_random_ledgers_escalate_without_stepping_back(dues, offsets, repeat):
    """Any debtors, any playbook: overdue contacts never get milder, and each lists what is overdue that day
    (per account: a debtor in one currency)."""
    as_of = date(2026, 11, 1)
    items = pd.DataFrame({"invoice_id": [f"I{i}" for i in range(len(dues))],
                          "customer_id": [f"C{c}" for c, _d, _cur in dues],
                          "due_date": [pd.Timestamp(as_of) + pd.Timedelta(days=d) for _c, d, _cur in dues],
                          "amount": [10.0 * (i + 1) for i in range(len(dues))], "currency": [c for *_x, c in dues],
                          "name": ["Ann"] * len(dues), "email": ["a@x.org"] * len(dues), "phone": [None] * len(dues),
                          "locale": ["en_GB"] * len(dues), "opt_out": [None] * len(dues)})
    steps = tuple(outreach.Step(o, "email", "neutral", "{{ open_amount }}", name=f"At {o}") for o in sorted(offsets))
    book = {"to_watch": outreach.Playbook("to_watch", (outreach.Step(-3, "email", "friendly", "x", name="Pre"),)
                                          + steps)}
    groups = pd.Series("to_watch", index=[f"C{c}" for c in range(3)])
    plan = outreach.build_plan(items, groups, pd.Series(dtype=object), book, as_of,
                               settings=outreach.PlanSettings(repeat_last_step_days=repeat))
    if plan.empty:
        return
    account = ["customer_id", "currency"]
    # The reminders: a call about a broken promise (step 0) is not a level of the ladder.
    overdue = plan[(plan["offset_days"] >= 0) & (plan["step_no"] > 0)].sort_values([*account, "date"], kind="stable")
    before = overdue.groupby(account)["offset_days"].cummax().groupby([overdue[k] for k in account]).shift()
    assert not (overdue["offset_days"] < before).any()
    assert not overdue.duplicated([*account, "date", "step"]).any()
    currency = items.set_index("invoice_id")["currency"]
    for row in overdue.itertuples():
        mine = items[(items["customer_id"] == row.customer_id) & (items["currency"] == row.currency)
                     & (items["due_date"] < row.date)]
        listed = [i for i, _d, _a in row.statement]
        assert set(listed) >= set(mine["invoice_id"])
        assert set(currency[listed]) == {row.currency}
        assert row.total_due == pytest.approx(float(currency[listed].size and items.set_index("invoice_id")
                                                    .loc[listed, "amount"].sum()))
    # Nothing is planned before the plan starts or after it ends.
    assert (plan["date"] > pd.Timestamp(as_of)).all()
    assert (plan["date"] <= pd.Timestamp(outreach.plan_end(as_of, outreach.PlanSettings()))).all()


def test_expected_collections_count_each_invoice_once_at_the_debtors_best_rate():
    items = _ladder_items(("OLD", "2026-09-01", 100.0), ("NEW", "2026-11-20", 40.0))
    plan = outreach.build_plan(items, pd.Series({"C1": "unable_to_pay"}), pd.Series(dtype=object),
                               {"unable_to_pay": LADDER}, date(2026, 11, 1),
                               settings=outreach.PlanSettings(**EVERY_DAY))
    assert len(plan) >= 4  # a heads-up, then OLD (and NEW) again and again
    got = outreach.expected_collections(plan, {"email": 0.5, "letter": 0.25})
    assert got.values.tolist() == [["unable_to_pay", 140.0, 70.0, 0.0]]
    # Channels nobody was contacted on before have no rate: nothing to go by, not "nothing comes in".
    unknown = outreach.expected_collections(plan, {})
    assert unknown[["targeted", "unknown"]].values.tolist() == [[140.0, 140.0]] and unknown["expected"].isna().all()


def _contacts(rows):
    """A plan with only what the pressure limit reads: (debtor, day in Nov 2026, offset from the due date)."""
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "name": [r[0] for r in rows],
                         "date": pd.to_datetime([f"2026-11-{r[1]:02d}" for r in rows]),
                         "offset_days": [r[2] for r in rows], "step_no": [1] * len(rows)})


def test_pressure_limit_keeps_overdue_reminders_before_heads_ups():
    """Two heads-ups about invoices not yet due must not push out a call about one 30 days late."""
    plan = _contacts([("C1", 2, -3), ("C1", 3, -3), ("C1", 5, 30), ("C2", 2, -3), ("C2", 3, -3)])
    kept = outreach.enforce_pressure(plan, outreach.PlanSettings(max_contacts_per_7_days=2))
    assert sorted(zip(kept["customer_id"], kept["date"].dt.day, kept["offset_days"], strict=True)) == [
        ("C1", 2, -3), ("C1", 5, 30), ("C2", 2, -3), ("C2", 3, -3)]


@hypothesis.settings(max_examples=150, deadline=None)
@hypothesis.given(rows=hst.lists(hst.tuples(hst.sampled_from(["C1", "C2"]), hst.integers(1, 30),
                                            hst.sampled_from([-5, 0, 10, 30])), max_size=25),
                  limit=hst.integers(1, 3))
def test_pressure_limit_on_random_plans(rows, limit):
    """Under the limit afterwards; nothing dropped that would fit; overdue reminders kept as if alone."""
    settings = outreach.PlanSettings(max_contacts_per_7_days=limit)
    plan = _contacts(rows)
    kept = outreach.enforce_pressure(plan, settings)
    assert outreach.pressure_violations(kept, settings).empty
    for customer, day in zip(plan["customer_id"], plan["date"], strict=True):
        mine = kept.loc[kept["customer_id"] == customer, "date"]
        if (mine == day).sum() < ((plan["customer_id"] == customer) & (plan["date"] == day)).sum():
            # A dropped contact: putting it back would break the limit in some 7-day window.
            with_it = pd.concat([mine, pd.Series([day])])
            assert any(((with_it >= s) & (with_it < s + pd.Timedelta(days=7))).sum() > limit
                       for s in pd.date_range(day - pd.Timedelta(days=6), day))
    overdue = plan[plan["offset_days"] >= 0]
    alone = outreach.enforce_pressure(overdue, settings)
    assert (kept["offset_days"] >= 0).sum() == len(alone)


def test_a_call_that_goes_out_in_writing_speaks_to_the_debtor(duck_engine):
    """No phone number (or calls opted out): the call's script is for the collector, so the letter or
    e-mail that replaces it asks the debtor to get in touch, and one about a broken promise names it."""
    as_of = date(2026, 11, 20)
    # A seed whose sample has each case below (a welcome letter, promises in writing).
    generate.write_sample(duck_engine, generate.SampleSpec(customers=150, invoices=4000, seed=4, end=as_of))
    plan = outreach.render_messages(outreach.make_plan(duck_engine, as_of))
    written = plan[plan["channel"] != "phone"]
    assert not written["message"].str.startswith("Call script").any()
    assert plan.loc[(plan["channel"] == "phone") & plan["step"].isin(["Call", "Broken promise: call"]),
                    "message"].str.startswith("Call script").all()
    instead = written[written["step"].isin(["Please contact us", "Your promise to pay"])]
    assert len(instead) and (instead["channel"] == "letter").all()  # the sample's debtors without a phone
    promised = instead[instead["step"] == "Your promise to pay"]
    assert len(promised) and promised["message"].str.contains("you promised to pay").all()
    assert instead["message"].str.contains("Please call us|call us today").all()
    # Two steps of a day that fall back to one channel send one contact, not the same letter twice.
    assert not plan.duplicated(["customer_id", "currency", "date", "channel"]).any()
    # A step that names its channel names the one it goes out on: the welcome by SMS, for a debtor with
    # neither a mobile number nor an e-mail address, is a welcome letter.
    welcome = plan[plan["step"].str.startswith("Welcome and confirm details")]
    said = {"email": "(e-mail)", "sms": "(SMS)", "letter": "(letter)"}
    assert (welcome["channel"] == "letter").any()
    assert all(step.endswith(said[ch]) for step, ch in zip(welcome["step"], welcome["channel"], strict=True))
