"""Credit holds: who meets a rule (a playbook's credit-hold step reached, over the credit limit), the register
of holds placed and released, the list of what changed, and the command line."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import creditholds, generate, outreach, profiles, schema, timeline
from arboard.cli import app
from arboard.creditholds import HoldRules
from arboard.errors import ArboardError
from arboard.outreach import DEFAULT_PLAYBOOKS, PlanSettings, Playbook, Step
from tests.conftest import SMALL_SAMPLE, snapshot, write_ledger

AS_OF = SMALL_SAMPLE.end
NO_LIMIT = HoldRules(limit_use=None)


def _items(*rows) -> pd.DataFrame:
    """Prepared open items: (customer, group, due date[, held until])."""
    return pd.DataFrame({"customer_id": [r[0] for r in rows], "group": [r[1] for r in rows],
                         "due_date": pd.to_datetime([r[2] for r in rows]),
                         "held": pd.to_datetime([r[3] if len(r) > 3 else None for r in rows])})


def _profiles(**use) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": list(use), "utilisation": list(use.values())})


def test_hold_steps_are_the_first_step_with_the_action_from_the_due_date_on():
    assert creditholds.hold_steps(DEFAULT_PLAYBOOKS) == {"wont_pay": (21, "Firm letter, credit hold")}
    book = Playbook("unable_to_pay", (Step(-3, "email", "friendly", "x", ("credit_hold",)),
                                      Step(40, "letter", "firm", "x", ("credit_hold",), name="Late"),
                                      Step(30, "letter", "firm", "x", ("credit_hold", "hand_over"))))
    assert creditholds.hold_steps({"unable_to_pay": book}) == {"unable_to_pay": (30, "Step at 30 days")}


def test_a_debtor_is_due_once_an_item_reached_the_step_on_a_contact_day():
    # Due Thursday 1 Oct 2026: 21 days on is Thursday 22 Oct. Due Saturday 3 Oct: Saturday 24 Oct, a day
    # without contacts, so Monday 26 Oct.
    items = _items(("A", "wont_pay", "2026-10-01"), ("B", "wont_pay", "2026-10-03"),
                   ("C", "willing_and_able", "2026-01-01"),  # its playbook holds nobody
                   ("D", "wont_pay", "2026-01-01", "2026-12-31"),  # on hold (or promised) until the end of the year
                   ("E", "wont_pay", "2026-10-20"), ("E", "wont_pay", "2026-09-01"))

    def due(day: str) -> pd.DataFrame:
        return creditholds.due_for_hold(items, _profiles(), DEFAULT_PLAYBOOKS, date.fromisoformat(day), rules=NO_LIMIT)

    assert due("2026-10-21")["customer_id"].tolist() == ["E"]  # its September item reached it on 22 Sep
    got = due("2026-10-22").set_index("customer_id")
    assert got.index.tolist() == ["A", "E"]
    assert got.loc["A", "reached_on"] == pd.Timestamp("2026-10-22")
    assert got.loc["E", "reached_on"] == pd.Timestamp("2026-09-22")  # the earliest item's day
    assert got.loc["A", "why"] == "Reached “Firm letter, credit hold” (21 days past due) on 22 Oct 2026"
    assert "B" not in due("2026-10-25")["customer_id"].tolist()
    assert due("2026-10-26")["customer_id"].tolist() == ["A", "B", "E"]
    # Mondays to Saturdays: Saturday counts.
    six = creditholds.due_for_hold(items, _profiles(), DEFAULT_PLAYBOOKS, date(2026, 10, 24), rules=NO_LIMIT,
                                   settings=PlanSettings(contact_days=(0, 1, 2, 3, 4, 5)))
    assert "B" in six["customer_id"].tolist()
    off = creditholds.due_for_hold(items, _profiles(), DEFAULT_PLAYBOOKS, date(2026, 12, 31),
                                   rules=HoldRules(playbook_steps=False, limit_use=None))
    assert off.empty and list(off.columns) == ["customer_id", "why", "reached_on"]


def test_the_limit_rule_holds_those_over_the_share_of_their_limit():
    prof = _profiles(A=1.2, B=1.0, C=float("nan"), D=0.95, E=3.0)
    got = creditholds.due_for_hold(_items(("E", "wont_pay", "2026-01-01")), prof, DEFAULT_PLAYBOOKS,
                                   date(2026, 10, 1)).set_index("customer_id")
    assert got.index.tolist() == ["A", "E"]  # at the limit is not over it; no limit is never over it
    assert got.loc["A", "why"] == "Owes 120% of its credit limit" and pd.isna(got.loc["A", "reached_on"])
    assert got.loc["E", "why"].startswith("Reached “Firm letter") and got.loc["E", "why"].endswith("; owes 300% of "
                                                                                                   "its credit limit")
    lax = creditholds.due_for_hold(_items(), prof, DEFAULT_PLAYBOOKS, date(2026, 10, 1), rules=HoldRules(limit_use=0.9))
    assert lax["customer_id"].tolist() == ["A", "B", "D", "E"]
    with pytest.raises(ArboardError, match="credit limit"):
        HoldRules(limit_use=0)


def test_the_register_places_and_releases_holds_as_of_dates(engine):
    customers = pd.DataFrame({"customer_id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"]})
    write_ledger(engine, customers=customers)
    day = date(2026, 11, 2)
    assert creditholds.place(engine, ["A", "B", "A", " "], on=day, today=day, reason="Over limit", by="Ann") == 2
    # Already on hold: left as it is. Each debtor's own reason when none is given for all.
    assert creditholds.place(engine, ["B", "C"], on=day + timedelta(days=1), today=day + timedelta(days=1),
                             reasons={"C": "Reached the firm letter", "B": "ignored"}) == 1
    now = creditholds.placed(engine, day + timedelta(days=1)).set_index("customer_id")
    assert now.index.tolist() == ["A", "B", "C"]
    assert now.loc["B", "reason"] == "Over limit" and now.loc["C", "reason"] == "Reached the firm letter"
    assert creditholds.placed(engine, day)["customer_id"].tolist() == ["A", "B"]  # C came a day later
    assert creditholds.placed(engine, day - timedelta(days=1)).empty
    assert creditholds.release(engine, ["A", "C"], on=day + timedelta(days=5), today=day + timedelta(days=5),
                               by="Bo") == 2
    assert creditholds.release(engine, ["A"], on=day + timedelta(days=6), today=day + timedelta(days=6)) == 0
    assert creditholds.placed(engine, day + timedelta(days=4))["customer_id"].tolist() == ["A", "B", "C"]
    assert creditholds.placed(engine, day + timedelta(days=5))["customer_id"].tolist() == ["B"]
    # Placed again later: a new hold; the debtor's timeline keeps both, newest first.
    assert creditholds.place(engine, ["A"], on=day + timedelta(days=9), today=day + timedelta(days=9)) == 1
    events = timeline.debtor_timeline(engine, "A", as_of=day + timedelta(days=9))
    assert events[["date", "event", "detail"]].values.tolist() == [
        [day + timedelta(days=9), "Credit hold placed", ""], [day + timedelta(days=5), "Credit hold released", "by Bo"],
        [day, "Credit hold placed", "Over limit · by Ann"]]
    creditholds.release(engine, ["B"], on=day + timedelta(days=9), today=day + timedelta(days=9))  # by nobody named
    events = timeline.debtor_timeline(engine, "B", as_of=day + timedelta(days=9))
    assert events[["event", "detail"]].values.tolist()[0] == ["Credit hold released", ""]


def test_exemptions_are_kept_until_lifted(engine):
    write_ledger(engine, customers=pd.DataFrame({"customer_id": ["A", "B"], "name": ["Alpha", "Beta"]}))
    assert creditholds.exempt(engine, ["A", "A"], reason="Key account", by="Cy") == 1
    assert creditholds.exempt(engine, ["A", "B"]) == 1  # A already is: its reason stays
    got = creditholds.exemptions(engine).set_index("customer_id")
    assert got.loc["A", "reason"] == "Key account" and pd.isna(got.loc["B", "reason"])
    before = snapshot(engine)
    with pytest.raises(ArboardError, match="Unknown debtor"):
        creditholds.exempt(engine, ["NOPE"])
    assert snapshot(engine) == before
    assert creditholds.lift_exemption(engine, ["A", "NOPE"]) == 1
    assert creditholds.exemptions(engine)["customer_id"].tolist() == ["B"]


def test_exemptions_are_dated_and_kept_when_lifted(engine):
    """An exemption holds from its day until the day it is lifted: earlier as-of dates show it as it was,
    and the debtor's history says who exempted it and who lifted it."""
    write_ledger(engine, customers=pd.DataFrame({"customer_id": ["A", "B"], "name": ["Alpha", "Beta"]}))
    d = date(2026, 6, 1)
    before = snapshot(engine)
    with pytest.raises(ArboardError, match="after today"):
        creditholds.exempt(engine, ["A"], on=d + timedelta(days=1), today=d)
    assert snapshot(engine) == before
    creditholds.exempt(engine, ["A"], reason="Group company", by="Cy", on=d, today=d + timedelta(days=3))
    with pytest.raises(ArboardError, match="before it began"):
        creditholds.lift_exemption(engine, ["A"], on=d - timedelta(days=1), today=d + timedelta(days=3))
    assert creditholds.lift_exemption(engine, ["A"], on=d + timedelta(days=10), today=d + timedelta(days=20),
                                      by="Bo") == 1
    creditholds.exempt(engine, ["A"], reason="Key account", on=d + timedelta(days=15), today=d + timedelta(days=20))

    def exempt_on(day):
        got = creditholds.exemptions(engine, as_of=day)
        return got.set_index("customer_id")["reason"].to_dict()

    assert exempt_on(d - timedelta(days=1)) == {}
    assert exempt_on(d) == exempt_on(d + timedelta(days=9)) == {"A": "Group company"}
    assert exempt_on(d + timedelta(days=10)) == exempt_on(d + timedelta(days=14)) == {}  # lifted that day
    assert exempt_on(d + timedelta(days=15)) == {"A": "Key account"}
    assert creditholds.exemptions(engine)["reason"].tolist() == ["Key account"]  # in force now
    events = timeline.debtor_timeline(engine, "A", as_of=d + timedelta(days=20))
    assert events[["date", "event", "detail"]].values.tolist() == [
        [d + timedelta(days=15), "Exempted from credit holds", "Key account"],
        [d + timedelta(days=10), "Exemption from credit holds lifted", "by Bo"],
        [d, "Exempted from credit holds", "Group company · by Cy"]]


def test_the_register_refuses_bad_input_and_writes_nothing(duck_engine):
    write_ledger(duck_engine, customers=pd.DataFrame({"customer_id": ["A", "B"], "name": ["Alpha", "Beta"]}))
    day = date(2026, 11, 2)
    creditholds.place(duck_engine, ["A"], on=day, today=day)
    before = snapshot(duck_engine)
    for call, match in [
        (lambda: creditholds.place(duck_engine, ["B", "NOPE"], on=day, today=day), "Unknown debtor.*NOPE"),
        (lambda: creditholds.place(duck_engine, [], on=day, today=day), "at least one"),
        (lambda: creditholds.place(duck_engine, ["B"], on=day + timedelta(days=1), today=day), "after today"),
        (lambda: creditholds.place(duck_engine, ["B"], on=day, today=day, reason="x\u202ey"), "control character"),
        (lambda: creditholds.place(duck_engine, ["B"], on=day, today=day, reason="x" * 301), "at most 300"),
        (lambda: creditholds.place(duck_engine, ["B"], on=day, today=day, by="a\tb"), "control character"),
        (lambda: creditholds.release(duck_engine, ["A"], on=day - timedelta(days=1), today=day), "cannot be released"),
        (lambda: creditholds.release(duck_engine, ["A", "NOPE"], on=day, today=day), "Unknown debtor"),
    ]:
        with pytest.raises(ArboardError, match=match):
            call()
    assert snapshot(duck_engine) == before
    # A formula in a reason is stored as typed: exports neutralise it.
    creditholds.place(duck_engine, ["B"], on=day, today=day, reason='=HYPERLINK("http://x")')
    assert creditholds.placed(duck_engine, day).set_index("customer_id").loc["B", "reason"].startswith("=")


def test_the_list_says_what_changed():
    due = pd.DataFrame({"customer_id": ["A", "B"], "why": ["Owes 120% of its credit limit", "Reached x"],
                        "reached_on": pd.to_datetime([None, "2026-10-22"])})
    register = pd.DataFrame({"hold_id": ["h1", "h2"], "customer_id": ["B", "C"],
                             "placed_on": pd.to_datetime(["2026-10-23", "2026-09-01"]), "reason": ["r1", None],
                             "placed_by": ["Ann", None], "released_on": pd.NaT, "released_by": None})
    prof = pd.DataFrame({"customer_id": ["A", "B", "D"], "name": ["Alpha", "Beta", "Delta"],
                         "open_ar": [120.0, 50.0, 10.0], "overdue_ar": [20.0, 50.0, 0.0],
                         "credit_limit": [100.0, None, 5.0], "utilisation": [1.2, None, 2.0]})
    table = creditholds.worklist(due, register, prof, groups=pd.Series({"A": "wont_pay"}),
                                 collectors=pd.Series({"B": "Ann"}))
    assert list(table.columns) == creditholds.COLUMNS
    assert table[["status", "customer_id"]].values.tolist() == [["place", "A"], ["release", "C"], ["on_hold", "B"]]
    c = table.set_index("customer_id")
    assert c.loc["C", "why"] == "No rule applies any more" and c.loc["C", "open_ar"] == 0.0  # paid up: no profile
    assert c.loc["B", "placed_on"] == pd.Timestamp("2026-10-23") and c.loc["B", "collector"] == "Ann"
    assert c.loc["A", "group"] == "wont_pay" and pd.isna(c.loc["A", "placed_on"])
    s = creditholds.summary(table)
    assert s.counts == {"place": 1, "release": 1, "on_hold": 1, "exempt": 0} and s.overdue_ar["place"] == 20.0
    assert creditholds.filter_list(table, collector="Ann")["customer_id"].tolist() == ["B"]
    assert creditholds.filter_list(table, collector="(no collector)", status="place")["customer_id"].tolist() == ["A"]
    export = creditholds.for_export(table, group_labels={"wont_pay": "5 · Won't pay"})
    assert export["Status"].tolist() == ["To place on hold", "Can be released", "On hold"]
    assert export["Group"].iloc[0] == "5 · Won't pay"
    # Exempt: listed apart when not on hold (with the rules met, or none); on hold, to be released.
    exempt = pd.DataFrame({"customer_id": ["A", "B", "D"], "reason": ["Key account", None, None],
                           "exempted_by": ["Cy", None, None], "created_at": pd.Timestamp("2026-01-01")})
    spared = creditholds.worklist(due, register, prof, exempt=exempt).set_index("customer_id")
    assert spared["status"].to_dict() == {"A": "exempt", "C": "release", "B": "release", "D": "exempt"}
    assert spared.loc["A", "why"] == "Owes 120% of its credit limit" and spared.loc["D", "why"] == "Meets no rule"
    assert spared.loc["B", "why"] == "Exempt from credit holds; reached x"
    assert spared.loc["A", "exemption"] == "Key account · by Cy" and spared.loc["B", "exemption"] == "Exempt"
    assert pd.isna(spared.loc["C", "exemption"])
    empty = creditholds.worklist(due.iloc[:0], register.iloc[:0], prof)
    assert empty.empty and list(empty.columns) == creditholds.COLUMNS


def test_a_hold_placed_by_hand_stays_until_released(engine):
    """News of an insolvency, a bounced cheque: a hold no rule asks for is not offered for release."""
    write_ledger(engine, customers=pd.DataFrame({"customer_id": ["A", "B", "C"], "name": ["Alpha", "Beta", "Gamma"]}))
    day = date(2026, 11, 2)
    before = snapshot(engine)
    with pytest.raises(ArboardError, match="Say why"):
        creditholds.place(engine, ["A", "B"], on=day, today=day, by_hand=["A"], reasons={"B": "Reached x"})
    assert snapshot(engine) == before
    creditholds.place(engine, ["A"], on=day, today=day, reason="Insolvency filed", by_hand=["A"])
    creditholds.place(engine, ["B"], on=day, today=day, reasons={"B": "Reached x"})
    register = creditholds.placed(engine, day).set_index("customer_id")
    assert register["by_hand"].to_dict() == {"A": True, "B": False}
    assert creditholds.standing(engine, "A", day).startswith("On credit hold (placed by hand) since 02 Nov 2026")
    for who, says in (("A", "Credit hold placed by hand"), ("B", "Credit hold placed")):
        seen = timeline.debtor_timeline(engine, who, as_of=day)
        assert seen.loc[seen["event"].str.startswith("Credit hold"), "event"].tolist() == [says]
    # Neither meets a rule now: B, held on one, can be released; A stays on hold.
    no_rule = pd.DataFrame(columns=["customer_id", "why", "reached_on"])
    prof = pd.DataFrame({"customer_id": ["A", "B"], "name": ["Alpha", "Beta"], "open_ar": [10.0, 5.0],
                         "overdue_ar": [10.0, 5.0], "credit_limit": [None, None], "utilisation": [None, None]})
    c = creditholds.worklist(no_rule, register.reset_index(), prof).set_index("customer_id")
    assert c["status"].to_dict() == {"A": "on_hold", "B": "release"}
    assert c.loc["A", "why"] == "Placed on hold by hand; meets no rule"
    assert c.loc["A", "hold_reason"] == "Insolvency filed"
    # An exemption still wins: an exempt debtor on hold is to be released.
    exempt = pd.DataFrame({"customer_id": ["A"], "reason": ["Group company"], "exempted_by": [None],
                           "created_at": pd.Timestamp("2026-01-01")})
    assert creditholds.worklist(no_rule, register.reset_index(), prof, exempt=exempt).set_index(
        "customer_id").loc["A", "status"] == "release"
    creditholds.release(engine, ["A"], on=day, today=day)
    assert creditholds.placed(engine, day)["customer_id"].tolist() == ["B"]


def test_on_a_sample_the_list_agrees_with_the_plan(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    table = creditholds.build(duck_engine, AS_OF)
    assert set(table["status"]) == {"place"}
    prof = profiles.debtor_profiles(duck_engine, AS_OF)
    over = set(prof.loc[prof["utilisation"] > 1.0, "customer_id"])
    by_limit = set(table.loc[table["why"].str.contains("credit limit"), "customer_id"])
    assert by_limit == over and over
    # Every "won't pay" debtor past the hand-over (45 days) passed the credit hold (21 days) on the way.
    inputs = outreach.plan_inputs(duck_engine, AS_OF, profile_frame=prof)
    handed = set(inputs.handed_over(AS_OF, PlanSettings())["customer_id"])
    assert handed and handed <= set(table.loc[table["why"].str.startswith("Reached"), "customer_id"])
    assert (table.loc[table["why"].str.startswith("Reached"), "group"] == "wont_pay").all()
    # Recorded: on hold from then on; the debtor's timeline says so.
    first = table["customer_id"].iloc[0]
    creditholds.place(duck_engine, [first], on=AS_OF, today=AS_OF, by="Ann",
                      reasons=dict(zip(table["customer_id"], table["why"], strict=True)))
    again = creditholds.build(duck_engine, AS_OF).set_index("customer_id")
    assert again.loc[first, "status"] == "on_hold" and again.loc[first, "placed_by"] == "Ann"
    events = timeline.debtor_timeline(duck_engine, first, as_of=AS_OF)
    hold = events[events["event"] == "Credit hold placed"]
    assert hold["date"].tolist() == [AS_OF] and hold["detail"].iloc[0].endswith("· by Ann")
    assert creditholds.register_key(duck_engine)[0] == 1
    standing = creditholds.standing(duck_engine, first, AS_OF)
    assert standing.startswith(f"On credit hold since {AS_OF:%d %b %Y} (by Ann): ")
    before = AS_OF - timedelta(days=1)
    assert creditholds.standing(duck_engine, first, before) is None
    creditholds.exempt(duck_engine, [first], reason="Key account", on=before, today=AS_OF)
    assert creditholds.standing(duck_engine, first, before) == (
        f"Exempt from credit holds since {before:%d %b %Y}: Key account.")
    assert creditholds.standing(duck_engine, first, before - timedelta(days=1)) is None  # not yet


def test_cli_credit_holds(tmp_path, duck_url):
    from arboard import db

    engine = db.open_database(duck_url)
    generate.write_sample(engine, SMALL_SAMPLE)
    engine.dispose()
    runner = CliRunner()
    day = ["--as-of", AS_OF.isoformat()]
    listed = runner.invoke(app, ["credit-hold", "list", *day, "--db", duck_url])
    assert listed.exit_code == 0, listed.output
    assert "to place on hold" in listed.output and "Hold step reached" in listed.output
    out_file = tmp_path / "holds.xlsx"
    assert runner.invoke(app, ["credit-hold", "list", *day, "--out", str(out_file), "--db", duck_url]).exit_code == 0
    assert out_file.stat().st_size > 0
    placed = runner.invoke(app, ["credit-hold", "place", "--all-listed", *day, "--limit-use", "0", "--on",
                                 AS_OF.isoformat(), "--by", "Ann", "--db", duck_url])
    assert placed.exit_code == 0, placed.output
    engine = db.open_database(duck_url)
    with engine.connect() as conn:
        reasons = conn.execute(sa.select(schema.credit_holds.c.reason)).scalars().all()
    engine.dispose()
    assert reasons and all(r.startswith("Reached") for r in reasons)  # the steps only: --limit-use 0
    some = runner.invoke(app, ["credit-hold", "list", *day, "--status", "on_hold", "--db", duck_url])
    assert some.exit_code == 0 and f"On hold ({len(reasons):,})" in some.output, some.output
    released = runner.invoke(app, ["credit-hold", "release", "--all-listed", *day, "--no-steps", "--limit-use", "0",
                                   "--db", duck_url])
    assert released.exit_code == 0 and f"{len(reasons):,} of {len(reasons):,}" in released.output
    exempted = runner.invoke(app, ["credit-hold", "exempt", "C000001", "--reason", "Key account", "--on",
                                   AS_OF.isoformat(), "--db", duck_url])
    assert exempted.exit_code == 0 and "1 debtor exempted" in exempted.output, exempted.output
    assert "Exempt (1)" in runner.invoke(app, ["credit-hold", "list", *day, "--status", "exempt", "--db",
                                               duck_url]).output
    assert "1 exemption lifted" in runner.invoke(app, ["credit-hold", "exempt", "C000001", "--lift", "--by", "Bo",
                                                          "--db", duck_url]).output
    engine = db.open_database(duck_url)
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.credit_hold_exemptions_lifted.c.lifted_by)).scalars().all() == ["Bo"]
    engine.dispose()
    by_hand = runner.invoke(app, ["credit-hold", "place", "C000002", "--by-hand", "--reason", "Cheque bounced", "--on",
                                  AS_OF.isoformat(), "--db", duck_url])
    assert by_hand.exit_code == 0 and "1 of 1" in by_hand.output, by_hand.output
    assert "C000002" in runner.invoke(app, ["credit-hold", "list", *day, "--status", "on_hold", "--no-steps",
                                            "--limit-use", "0", "--db", duck_url]).output
    for bad in (["credit-hold", "exempt", "NOBODY", "--db", duck_url],
                ["credit-hold", "place", "C000003", "--by-hand", "--db", duck_url],  # no reason
                ["credit-hold", "place", "--db", duck_url],  # no debtor
                ["credit-hold", "place", "NOBODY", "--db", duck_url],
                ["credit-hold", "list", "--status", "maybe", "--db", duck_url],
                ["credit-hold", "list", "--limit-use", "5000", "--db", duck_url],
                ["credit-hold", "release", "X", "--on", "soon", "--db", duck_url],
                ["credit-hold", "exempt", "C000001", "--on", "2999-01-01", "--db", duck_url]):
        result = runner.invoke(app, bad)
        assert result.exit_code == 2, (bad, result.output)
