"""Decisions on the proposals of the Unapplied cash page: confirmed ones count as applied on every page
whatever their confidence, rejected ones nowhere, outdated ones as if undecided; bad input writes nothing."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import activity, aging, cashdecisions, db, events, forecast, outreach, schema, unapplied
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import write_ledger
from tests.test_unapplied import AS_OF, NAMED_INVOICES, NAMED_PAYMENTS

TODAY = date(2026, 3, 2)


def _ledger(engine):
    write_ledger(engine, invoices=pd.DataFrame(NAMED_INVOICES), payments=pd.DataFrame(NAMED_PAYMENTS))
    return unapplied.match_payments(engine, AS_OF)


def _settled_otherwise(engine, *invoice_ids: str) -> None:
    """The ERP settles these invoices (on 20 Feb 2026) without the payments on account: proposals change."""
    inv = schema.invoices
    with engine.begin() as conn:
        conn.execute(sa.update(inv).where(inv.c.invoice_id.in_(invoice_ids)).values(paid_date=date(2026, 2, 20)))
    events.refresh(engine)


def test_confirmed_counts_everywhere_and_rejected_nowhere(engine):
    cash = _ledger(engine)
    assert (cash.proposals["decision"] == "").all() and (cash.lines["decision"] == "").all()
    before = cashdecisions.version(engine)
    # R1 is a sure match (High) the clerk knows is wrong; R6 (another debtor's invoice) and R8 (more than the
    # invoice named) are Medium matches a remittance advice confirms.
    assert cashdecisions.record(engine, cash.proposals, ["R6", "R8", "R8"], "confirmed", decided_on=TODAY,
                                today=TODAY, by="Katrin Vogel", note="remittance advice") == 2
    assert cashdecisions.record(engine, cash.proposals, ["R1"], "rejected", decided_on=TODAY, today=TODAY) == 1
    assert cashdecisions.version(engine) != before
    decided = unapplied.match_payments(engine, AS_OF)
    row = decided.proposals.set_index("payment_id")
    assert row["decision"].to_dict() == {**{p: "" for p in row.index}, "R6": "Confirmed", "R8": "Confirmed",
                                         "R1": "Rejected"}
    assert row.loc["R6", "decided"] == "Confirmed by Katrin Vogel on 02 Mar 2026 (remittance advice)."
    assert row.loc["R1", "decided"] == "Rejected on 02 Mar 2026."
    assert set(decided.lines.loc[decided.lines["decision"] == "Confirmed", "payment_id"]) == {"R6", "R8"}
    # The sure matches, less R1's, and the two confirmed; Medium as the least takes R1 out all the same.
    items = unapplied.as_applied(decided.lines).items
    assert "INV-1001" not in items and "INV-1003" not in items
    assert items["INV-6001"] == pytest.approx(250) and items["INV-8001"] == pytest.approx(100)
    assert "INV-1001" not in unapplied.as_applied(decided.lines, least="Low").items
    assert unapplied.as_applied(decided.lines, least="").items.empty  # as the ERP stands: nothing
    assert set(unapplied.as_applied(cash.lines).items.index) >= {"INV-1001", "INV-1003"}  # undecided: as before
    # The debtor lists: D1's overdue is no longer paid on account, D8's is; D6's payment pays neither D6 nor D7.
    paid = unapplied.with_overdue_paid(aging.aging_by_customer(engine, AS_OF), decided).set_index("customer_id")
    assert paid.loc["D1", "overdue_paid"] == 0 and paid.loc["D8", "overdue_paid"] == pytest.approx(100)
    assert paid.loc["D6", "overdue_paid"] == 0 and paid.loc["D7", "overdue_paid"] == 0
    # The forecast does not expect the confirmed items again, and expects the rejected one.
    expected = forecast.expected_payments(engine, AS_OF, paid=decided.paid()).set_index("invoice_id")
    assert expected.loc["INV-6001", "open_amount"] == 0 and expected.loc["INV-1001", "open_amount"] == 300
    # The plan, at its default (High), leaves out D7's invoice and reminds D1's.
    inputs = outreach.plan_inputs(engine, AS_OF)
    taken = inputs.paid_by_cash(outreach.PlanSettings())
    assert "INV-6001" in set(taken["invoice_id"]) and "INV-1001" not in set(taken["invoice_id"])
    assert taken.set_index("invoice_id").loc["INV-6001", "confidence"] == "Confirmed"  # as the list shows it
    # The totals and the lists to work through.
    s = unapplied.summary(decided)
    assert (s.confirmed, s.rejected, s.outdated) == (2, 1, 0)
    assert set(unapplied.shown(decided.proposals, "decided")["payment_id"]) == {"R1", "R6", "R8"}
    to_decide = unapplied.shown(decided.proposals, "undecided")
    assert not set(to_decide["payment_id"]) & {"R1", "R6", "R8"} and (to_decide["invoice_count"] > 0).all()
    assert (unapplied.labelled(decided)["Clearing lines"]["Decision"] == decided.lines["decision"]).all()
    # Taken back: as before.
    assert cashdecisions.remove(engine, ["R1", "R6", "R8", "R99"]) == 3
    again = unapplied.match_payments(engine, AS_OF)
    assert (again.proposals["decision"] == "").all()
    pd.testing.assert_series_equal(unapplied.as_applied(again.lines).items, unapplied.as_applied(cash.lines).items)


def test_a_decision_on_items_proposed_then_does_not_hold_once_the_proposal_changes(engine):
    cash = _ledger(engine)
    assert cash.proposals.set_index("payment_id").loc["R13", "invoices"] == "INV-1302"
    cashdecisions.record(engine, cash.proposals, ["R13"], "confirmed", decided_on=TODAY, today=TODAY, by="Ann")
    cashdecisions.record(engine, cash.proposals, ["R10"], "rejected", decided_on=TODAY, today=TODAY)
    # The ERP settles INV-1302 and INV-1200 otherwise: R13 and R10 now match nothing.
    _settled_otherwise(engine, "INV-1302", "INV-1200")
    later = unapplied.match_payments(engine, AS_OF)
    row = later.proposals.set_index("payment_id")
    assert row.loc["R13", "decision"] == cashdecisions.OUTDATED == row.loc["R10", "decision"]
    assert row.loc["R13", "decided"] == ("Confirmed by Ann on 02 Mar 2026 for INV-1302; the proposal has changed "
                                         "since: decide again.")
    assert unapplied.summary(later).outdated == 2
    assert "R13" in set(unapplied.shown(later.proposals, "all")["payment_id"])
    # They match nothing now, yet are still to see to: decided again, or taken back.
    assert row.loc["R13", "invoice_count"] == 0
    to_decide = unapplied.shown(later.proposals, "undecided")
    assert sorted(to_decide["payment_id"].head(2)) == ["R10", "R13"] and len(to_decide) > 2
    assert not {"R10", "R13"} & set(unapplied.shown(later.proposals, "decided")["payment_id"])
    # A proposal that names other items, with an outdated confirmation, counts by its confidence alone.
    other = later.proposals.assign(invoices=later.proposals["invoices"].where(
        later.proposals["payment_id"] != "R2", "INV-2001, INV-X"))
    decision, _ = cashdecisions.labels(other, cashdecisions.load(engine))
    assert decision[other["payment_id"] == "R2"].tolist() == [""]


def test_the_outdated_decisions_are_taken_back_at_once(engine):
    cash = _ledger(engine)
    for ids, kind in ((["R13", "R1", "R2"], "confirmed"), (["R10"], "rejected")):
        cashdecisions.record(engine, cash.proposals, ids, kind, decided_on=TODAY, today=TODAY)
    _settled_otherwise(engine, "INV-1302", "INV-1200")  # R13's and R10's proposals change
    # Against the proposals as they were, every decision holds: nothing is taken back, nothing written.
    before = cashdecisions.version(engine)
    assert cashdecisions.take_back_outdated(engine, cash.proposals) == []
    assert cashdecisions.version(engine) == before and len(cashdecisions.load(engine)) == 4
    later = unapplied.match_payments(engine, AS_OF)
    # R2's proposal names other items too, and a clerk decided again on it after the list was shown: it stays.
    shown = later.proposals.assign(invoices=later.proposals["invoices"].where(
        later.proposals["payment_id"] != "R2", "INV-2001, INV-X"))
    assert cashdecisions.labels(shown, cashdecisions.load(engine))[0][shown["payment_id"] == "R2"].item() == "Outdated"
    cashdecisions.record(engine, shown, ["R2"], "confirmed", decided_on=TODAY, today=TODAY, by="Ann")
    assert sorted(cashdecisions.take_back_outdated(engine, shown)) == ["R10", "R13"]
    kept = cashdecisions.load(engine).set_index("payment_id")
    assert sorted(kept.index) == ["R1", "R2"] and kept.loc["R2", "decided_by"] == "Ann"
    assert cashdecisions.version(engine) != before
    assert "Outdated" not in set(cashdecisions.labels(shown, cashdecisions.load(engine))[0])
    row = unapplied.match_payments(engine, AS_OF).proposals.set_index("payment_id")["decision"]
    assert (row["R1"], row["R10"], row["R13"]) == ("Confirmed", "", "")


@pytest.mark.parametrize(("ids", "decision", "kwargs", "message"), [
    (["R1"], "approved", {}, "Choose confirmed or rejected"),
    ([], "confirmed", {}, "Tick the payments"),
    (["R1", "NOPE"], "confirmed", {}, "Payment NOPE is not on account"),
    (["R12"], "confirmed", {}, "Payment R12 matches no open item: there is nothing to confirm"),
    (["R12"], "rejected", {}, "nothing to reject"),
    (["R1"], "confirmed", {"decided_on": date(2026, 3, 3)}, "after today"),
    (["R1"], "confirmed", {"by": "x" * 300}, "characters"),
    (["R1"], "confirmed", {"note": "n" * 400}, "note"),
])
def test_bad_decisions_are_refused_and_write_nothing(engine, ids, decision, kwargs, message):
    cash = _ledger(engine)
    args = {"decided_on": TODAY, "today": TODAY, **kwargs}
    with pytest.raises(ArboardError, match=message):
        cashdecisions.record(engine, cash.proposals, ids, decision, **args)
    assert cashdecisions.load(engine).empty and cashdecisions.version(engine) == ""


def test_hostile_text_is_kept_as_text(engine):
    cash = _ledger(engine)
    cashdecisions.record(engine, cash.proposals, ["R2"], "confirmed", decided_on=TODAY, today=TODAY,
                         by="=HYPERLINK(\"x\")", note="'; DROP TABLE payments; --")
    got = cashdecisions.load(engine).iloc[0]
    assert (got["decided_by"], got["note"]) == ("=HYPERLINK(\"x\")", "'; DROP TABLE payments; --")
    assert len(unapplied.match_payments(engine, AS_OF).proposals) == len(cash.proposals)


def test_the_command_line_decides_and_lists(duck_url):
    engine = db.open_database(duck_url)
    _ledger(engine)
    engine.dispose()
    run = CliRunner()
    base = ["--as-of", AS_OF.isoformat(), "--db", duck_url]
    got = run.invoke(app, ["cash-decision", "confirm", "R6", "R8", *base, "--by", "Ann", "--on", "2026-03-02"])
    assert got.exit_code == 0, got.output
    assert "2 proposals confirmed: R6 (INV-6001); R8 (INV-8001)" in got.output
    got = run.invoke(app, ["cash-decision", "reject", "R1", *base])
    assert got.exit_code == 0 and "1 proposal rejected" in got.output
    listed = run.invoke(app, ["unapplied", *base])
    assert "Decided: 2 confirmed, 1 rejected" in listed.output
    got = run.invoke(app, ["cash-decision", "confirm", "R12", *base])
    assert got.exit_code == 1 and "nothing to confirm" in got.output and "Traceback" not in got.output
    got = run.invoke(app, ["cash-decision", "confirm", "[/x]", *base])  # an id is no markup for the console
    assert got.exit_code == 1 and "Payment [/x] is not on account" in got.output, got.output
    got = run.invoke(app, ["cash-decision", "approve", "R1", *base])
    assert got.exit_code == 2 and "Choose confirm, reject or take-back" in got.output
    # The forecast from the command line counts them too: INV-6001 and INV-8001 are in, INV-1001 and INV-1003
    # (R1's 500) still to come.
    engine = db.open_database(duck_url)
    undecided = unapplied.match_payments(engine, AS_OF, decided=False)
    plain = forecast.outlook(forecast.expected_payments(engine, AS_OF, paid=undecided.paid()), AS_OF)
    engine.dispose()
    got = run.invoke(app, ["forecast", *base])
    assert got.exit_code == 0, got.output
    result = json.loads(got.stdout)
    assert result["paid_on_account"] == pytest.approx(plain["paid_on_account"] - 500 + 250 + 100)
    got = run.invoke(app, ["cash-decision", "take-back", "R1", "R6", "R8", "--db", duck_url])
    assert got.exit_code == 0 and "3 decisions taken back" in got.output
    # Outdated ones, all at once: R13's proposal changes when the ERP settles its invoice otherwise.
    assert run.invoke(app, ["cash-decision", "confirm", "R13", "R2", *base]).exit_code == 0
    engine = db.open_database(duck_url)
    _settled_otherwise(engine, "INV-1302")
    engine.dispose()
    listed = " ".join(run.invoke(app, ["unapplied", *base]).output.split())
    assert "1 to decide again (the proposal changed)" in listed
    assert "take-back --outdated forgets those to decide again" in listed
    got = run.invoke(app, ["cash-decision", "take-back", "--outdated", *base])
    assert got.exit_code == 0, got.output
    assert ("1 outdated decision taken back (R13): the proposals count by their confidence again."
            in " ".join(got.output.split()))
    got = run.invoke(app, ["cash-decision", "take-back", "--outdated", *base])
    assert got.exit_code == 0 and f"No decision is outdated as of {AS_OF.isoformat()}: nothing" in " ".join(
        got.output.split())
    engine = db.open_database(duck_url)
    assert cashdecisions.load(engine)["payment_id"].tolist() == ["R2"]
    engine.dispose()
    for args, message in ((["confirm", "--outdated"], "--outdated goes with take-back"),
                          (["take-back", "R2", "--outdated"], "--outdated goes with take-back and no payment"),
                          (["take-back"], "Name the payments whose decision to take back, or take back every"),
                          (["confirm"], "Name the payments to confirm.")):
        got = run.invoke(app, ["cash-decision", *args, *base])
        said = " ".join(got.output.split())
        assert got.exit_code == 2 and message in said and "Traceback" not in said, said


def test_the_decisions_go_to_the_erp_with_the_teams_work(engine, tmp_path):
    """The activity export lists what was decided on the days asked for, for the ERP to apply."""
    cash = _ledger(engine)
    day = activity.today()
    assert activity.cash_decided(engine, since=day, until=day).empty
    cashdecisions.record(engine, cash.proposals, ["R2"], "confirmed", decided_on=TODAY, today=TODAY, by="Ann",
                         note="advice")
    cashdecisions.record(engine, cash.proposals, ["R1"], "rejected", decided_on=TODAY, today=TODAY)
    got = activity.cash_decided(engine, since=day, until=day)
    assert list(got.columns) == activity.CASH_COLUMNS
    assert got[["payment_id", "customer_id", "amount", "decision", "items"]].values.tolist() == [
        ["R2", "D2", 980.0, "confirmed", "INV-2001"], ["R1", "D1", 500.0, "rejected", "INV-1001, INV-1003"]]
    assert got["decided_by"].fillna("").tolist() == ["Ann", ""]
    assert (got["entered_on"] == day).all() and (got["decided_on"] == TODAY).all()
    assert activity.cash_decided(engine, since=day - timedelta(days=3), until=day - timedelta(days=1)).empty
    book = pd.read_excel(io.BytesIO(activity.to_xlsx(*(got.head(0),) * 4, got)), sheet_name=None, engine="calamine")
    assert list(book) == list(activity.SHEETS.values()) and len(book["Cash on account decided"]) == 2
    cashdecisions.remove(engine, ["R1"])  # taken back: not for the ERP
    assert activity.cash_decided(engine, since=day, until=day)["payment_id"].tolist() == ["R2"]
    if engine.dialect.name != "duckdb":
        return
    url = engine.url.render_as_string(hide_password=False)
    flat = tmp_path / "week.csv"
    done = CliRunner().invoke(app, ["activity", "--out", str(flat), "--db", url])
    assert done.exit_code == 0, done.output
    assert "1 payment on account decided" in " ".join(done.output.split())
    assert pd.read_csv(tmp_path / "week-cash.csv")["payment_id"].tolist() == ["R2"]
