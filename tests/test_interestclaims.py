"""Interest claims recorded as sent: their payments are not claimed again, whatever the period; a
recording can be withdrawn; refusals change nothing. On DuckDB and PostgreSQL."""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from arboard import activity, interest, interestclaims, timeline
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import snapshot
from tests.test_interest import EU, MARCH, _paid_ledger

TODAY = date(2026, 11, 24)
MARCH_TO_APRIL = {"since": date(2026, 3, 1), "until": date(2026, 4, 30)}


def _lines(engine, **period) -> list[tuple]:
    return [(r.invoice_id, r.paid, r.interest, r.compensation)
            for r in interest.paid_late(engine, **period, terms=EU).itertuples()]


def test_claims_sent_are_not_claimed_again(engine):
    _paid_ledger(engine)
    march = _lines(engine, **MARCH)
    batch, debtors, n = interestclaims.record(engine, **MARCH, terms=EU, claimed_on=date(2026, 4, 3), today=TODAY,
                                              by="Kat Vogel")
    assert (debtors, n) == (2, 5) and batch.startswith("20260403-")
    # March again: nothing left; March and April: April's settlement of L1 only, still the whole 500 it
    # cleared (the payment claimed in March counts towards the invoice's amount all the same).
    assert interest.paid_late(engine, **MARCH, terms=EU).empty
    assert interest.paid_late_by_debtor(engine, **MARCH, terms=EU).empty
    assert _lines(engine, **MARCH_TO_APRIL) == [("L1", 500.0, 9.86, 40.0)]
    # What was claimed is still what the payments earned.
    assert [(r.invoice_id, r.paid, r.interest, r.compensation) for r in interest.paid_late(
        engine, **MARCH, terms=EU, include_claimed=True).itertuples()] == march
    assert interest.paid_late_by_debtor(engine, **MARCH, terms=EU, include_claimed=True)["claim"].tolist() == [
        94.46, 4.11]
    claimed = interestclaims.claimed(engine, **MARCH)
    assert claimed.values.tolist() == [["EUR", 2, 5, 18.57, 80.0]]
    assert interestclaims.claimed(engine, since=date(2026, 4, 1), until=date(2026, 4, 30)).empty
    listed = interestclaims.batches(engine)
    assert listed[["batch_id", "claimed_on", "period", "claimed_by", "currency", "debtors", "payments", "interest",
                   "compensation"]].values.tolist() == [
        [batch, pd.Timestamp("2026-04-03"), "Mar 2026", "Kat Vogel", "EUR", 2, 5, 18.57, 80.0]]
    assert interestclaims.batches(engine, customer_id="P1")[["debtors", "payments", "interest"]].values.tolist() == [
        [1, 1, 4.11]]
    # The team's activity export has a claim per debtor and currency, for the ERP to book.
    day = activity.today()
    booked = activity.interest_claims(engine, since=day, until=day)
    assert booked[["recording", "entered_on", "claimed_on", "customer_id", "name", "payments", "interest",
                   "compensation", "claim", "claimed_by"]].values.tolist() == [
        [batch, day, date(2026, 4, 3), "B1", "Bolt GmbH", 4, 14.46, 80.0, 94.46, "Kat Vogel"],
        [batch, day, date(2026, 4, 3), "P1", "Pat Doe", 1, 4.11, 0.0, 4.11, "Kat Vogel"]]
    assert list(booked.columns) == activity.CLAIM_COLUMNS
    # The debtor's history says so, per recording and currency.
    history = timeline.debtor_timeline(engine, "B1", as_of=date(2026, 4, 30))
    sent = history[history["event"] == "Interest claim sent"]
    assert sent[["reference", "amount", "currency"]].values.tolist() == [[batch, 94.46, "EUR"]]
    assert sent["detail"].iloc[0] == "4 late payments from 2026-03-01 to 2026-03-31 · interest 14.46 · by Kat Vogel"
    assert timeline.debtor_timeline(engine, "B1", as_of=date(2026, 4, 2)).query("event == 'Interest claim sent'").empty
    # Withdrawn: March is to claim again, and gone from the history.
    assert interestclaims.withdraw(engine, batch) == 5
    assert _lines(engine, **MARCH) == march and interestclaims.batches(engine).empty
    assert timeline.debtor_timeline(engine, "B1", as_of=date(2026, 4, 30)).query("event == 'Interest claim sent'") \
        .empty
    assert activity.interest_claims(engine, since=day, until=day).empty


def test_some_debtors_and_the_compensation_left_out(engine):
    _paid_ledger(engine)
    # The consumer's claim went out alone: B1's are still to claim.
    _, debtors, n = interestclaims.record(engine, **MARCH, terms=EU, claimed_on=date(2026, 4, 1), today=TODAY,
                                          customer_ids=["P1", "P1"])
    assert (debtors, n) == (1, 1)
    assert interest.paid_late_by_debtor(engine, **MARCH, terms=EU)["customer_id"].tolist() == ["B1"]
    # Everything earned, and what of it no recorded claim asked for yet.
    both = interest.paid_late_by_debtor(engine, **MARCH, terms=EU, include_claimed=True)
    assert both[["customer_id", "claim", "to_claim"]].values.tolist() == [["B1", 94.46, 94.46], ["P1", 4.11, 0.0]]
    assert "to_claim" not in interest.paid_late_by_debtor(engine, **MARCH, terms=EU).columns
    # B1's, without the compensation (its reminders claimed it): recorded at nothing, and not asked for later.
    no_comp = dataclasses.replace(EU, compensation=0.0)
    interestclaims.record(engine, **MARCH, terms=no_comp, claimed_on=date(2026, 4, 1), today=TODAY,
                          customer_ids=["B1"])
    assert interest.paid_late(engine, **MARCH, terms=EU).empty
    assert interestclaims.claimed(engine, **MARCH)[["payments", "interest", "compensation"]].values.tolist() == [
        [5, 18.57, 0.0]]
    assert interestclaims.batches(engine)["compensation"].tolist() == [0.0, 0.0]


def test_refusals_record_nothing(engine):
    _paid_ledger(engine)
    interestclaims.record(engine, **MARCH, terms=EU, claimed_on=date(2026, 4, 3), today=TODAY)
    before = snapshot(engine)
    for kwargs, said in (
            ({"claimed_on": date(2026, 11, 25)}, "after today"),
            ({"claimed_on": date(2026, 3, 30)}, "cannot have been sent before"),
            ({"terms": interest.InterestTerms()}, "Nothing is claimed"),
            ({"by": "Kat\nVogel"}, "control character"),
            ({"customer_ids": []}, "Choose the debtors"),
            ({"since": date(2026, 4, 1)}, "starts after it ends"),
            ({}, "nothing is left to claim: every late payment was claimed already"),
            ({"customer_ids": ["B1"]}, "nothing is left to claim from these debtors")):
        args = {**MARCH, "terms": EU, "claimed_on": date(2026, 4, 3), "today": TODAY, **kwargs}
        with pytest.raises(ArboardError, match=said):
            interestclaims.record(engine, **args)
    with pytest.raises(ArboardError, match="nothing to withdraw"):
        interestclaims.withdraw(engine, "20260403-nosuch")
    assert snapshot(engine) == before


def test_a_line_recorded_elsewhere_meanwhile_is_refused(engine, monkeypatch):
    _paid_ledger(engine)
    interestclaims.record(engine, **MARCH, terms=EU, claimed_on=date(2026, 4, 3), today=TODAY, customer_ids=["P1"])
    before = snapshot(engine)
    # As if another user recorded P1's line between this claim's reading and its writing: the key refuses
    # it, and nothing of this claim is recorded (not B1's lines either).
    query = interest.paid_late_query
    monkeypatch.setattr(interest, "paid_late_query", lambda *a, **k: query(*a, **{**k, "include_claimed": True}))
    with pytest.raises(ArboardError, match="at the same time by someone else; nothing was recorded"):
        interestclaims.record(engine, **MARCH, terms=EU, claimed_on=date(2026, 4, 3), today=TODAY)
    assert snapshot(engine) == before


def test_cli_records_lists_and_withdraws(engine, tmp_path):
    _paid_ledger(engine)
    interest.save(engine, EU)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    before = snapshot(engine)
    for bad, said in ((["--record"], "--record goes with --paid-since"),
                      (["--paid-since", "2026-03-01", "--by", "Kat"], "go with --record"),
                      (["--paid-since", "2026-03-01", "--as-of", "2026-03-31", "--record", "--claimed-on",
                        "2099-01-01", "--out", str(tmp_path / "x.csv")], "after today"),
                      (["--paid-since", "2026-03-01", "--record", "--claimed-on", "3/4/2026"], "--claimed-on")):
        refused = runner.invoke(app, ["interest", *bad, "--db", url])
        assert refused.exit_code == 2 and said in " ".join(refused.output.split()), refused.output
    assert snapshot(engine) == before and not (tmp_path / "x.csv").exists()
    out = tmp_path / "march.pdf"
    done = runner.invoke(app, ["interest", "--paid-since", "2026-03-01", "--as-of", "2026-03-31", "--out", str(out),
                               "--record", "--claimed-on", "2026-04-03", "--by", "Kat Vogel", "--db", url])
    assert done.exit_code == 0, done.output
    said = " ".join(done.output.split())
    assert out.read_bytes().startswith(b"%PDF")
    assert "Recorded as sent on 2026-04-03: the claims to 2 debtors for 5 late payments" in said
    batch = said.split("--withdraw ")[1].split()[0]
    again = runner.invoke(app, ["interest", "--paid-since", "2026-03-01", "--as-of", "2026-03-31", "--db", url])
    assert again.exit_code == 0
    assert ("(left out: 5 late payments claimed already, see arboard interest-claims): nothing is left to claim."
            in " ".join(again.output.split()))
    nothing = runner.invoke(app, ["interest", "--paid-since", "2026-03-01", "--as-of", "2026-03-31", "--record",
                                  "--db", url])
    assert nothing.exit_code == 1 and "nothing is left to claim" in " ".join(nothing.output.split())
    listed = runner.invoke(app, ["interest-claims", "--db", url])
    assert listed.exit_code == 0
    assert f"{batch}: sent on 2026-04-03 by Kat Vogel, for the payments of Mar 2026" in listed.output
    assert "18.57" in listed.output and "80.00" in listed.output
    assert "No interest claims are recorded as sent to X9." in runner.invoke(
        app, ["interest-claims", "--debtor", "X9", "--db", url]).output
    unknown = runner.invoke(app, ["interest-claims", "--withdraw", "nosuch", "--db", url])
    assert unknown.exit_code == 2 and "nothing to withdraw" in unknown.output
    withdrawn = runner.invoke(app, ["interest-claims", "--withdraw", batch, "--db", url])
    assert withdrawn.exit_code == 0 and "Withdrawn: 5 late payments to claim again." in withdrawn.output
    assert "No interest claims are recorded as sent." in runner.invoke(app, ["interest-claims", "--db", url]).output
