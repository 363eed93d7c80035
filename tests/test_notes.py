"""Notes on contacts: typed when logging, imported from the CRM, the last one beside the next contact
(DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from arboard import db, importer, logbook, notes, readers, timeline
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import snapshot
from tests.test_logbook import AS_OF, TODAY, _ledger

CRM = ("Activity ID,Customer No,Activity date,Channel,Type,Notes\n"
       "K1,C1,2026-06-01,phone,call,Left a message with reception\n"
       "K2,C2,2026-06-02,email,reminder,\"=HYPERLINK(\"\"http://x\"\",\"\"pay\"\")\"\n"
       "K3,C2,2026-06-03,phone,call,\n")


def test_the_latest_note_per_debtor_as_of_a_date(engine):
    _ledger(engine)
    result = importer.run_import(engine, readers.read_bytes(CRM.encode(), name="crm.csv"), kind="contacts",
                                 today=TODAY, remember=False)
    assert result.inserted == 3
    # The CRM's notes column maps by itself; a note that starts like a formula is stored, flagged.
    assert any(r["column"] == "Notes" and "formula" in r["reason"] for r in result.report.to_dict("records"))
    logbook.log(engine, "C1", logbook.Entry(date(2026, 6, 20), "phone", "call", "responded", by="Ann Lee",
                                            note="Spoke to Maria in AP:\napproved for the run on the 30th."),
                today=TODAY)
    logbook.log(engine, "C1", logbook.Entry(date(2026, 6, 20), "email", "reminder"), today=TODAY)  # no note
    found = notes.last_notes(engine, ["C1", "C2", "C9"], as_of=AS_OF).set_index("customer_id")
    assert found.loc["C1", ["note_date", "note_by", "note"]].tolist() == [
        date(2026, 6, 20), "Ann Lee", "Spoke to Maria in AP:\napproved for the run on the 30th."]
    assert found.loc["C2", "note"].startswith("=HYPERLINK") and pd.isna(found.loc["C2", "note_by"])
    assert "C9" not in found.index  # no contact, no row
    # As of an earlier date, the note written then.
    earlier = notes.last_notes(engine, ["C1"], as_of=date(2026, 6, 10))
    assert earlier["note"].tolist() == ["Left a message with reception"]
    # Beside a work list's rows: date, who, what; blank for a debtor without one.
    work = pd.DataFrame({"customer_id": ["C1", "C9"], "step": ["Call", "Reminder"]})
    shown = notes.with_last_notes(work, found.reset_index())
    assert shown["last_note"].tolist() == ["20 Jun 2026, Ann Lee: Spoke to Maria in AP:\napproved for the run on "
                                           "the 30th.", ""]
    assert notes.last_note(engine, "C1", as_of=AS_OF) == shown["last_note"].iloc[0]
    assert notes.last_note(engine, "C9", as_of=AS_OF) is None
    # On the debtor's timeline, with the contact.
    events = timeline.debtor_timeline(engine, "C1", as_of=AS_OF)
    assert events["detail"].str.contains("“Spoke to Maria in AP:", regex=False).any()


def test_two_notes_on_one_day_the_later_logged_wins(engine, monkeypatch):
    _ledger(engine)
    for said in ("First call: no answer.", "Called back: pays Friday."):
        logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "call", note=said), today=TODAY)
    assert notes.last_notes(engine, ["C1", "C2"], as_of=AS_OF)["note"].tolist() == ["Called back: pays Friday."]
    assert notes.last_notes(engine, [], as_of=AS_OF).empty
    monkeypatch.setattr(notes, "SMALL", 1)  # a long list is staged: the same answer
    assert notes.last_notes(engine, ["C1", "C2"], as_of=AS_OF)["note"].tolist() == ["Called back: pays Friday."]


@pytest.mark.parametrize(("note", "says"), [
    ("x" * (logbook.NOTE_MAX + 1), "at most 1000 characters"),
    ("Pays\tFriday", "control character"),
])
def test_a_note_that_cannot_be_stored_is_refused(engine, note, says):
    _ledger(engine)
    before = snapshot(engine)
    with pytest.raises(ArboardError, match=says):
        logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "call", note=note), today=TODAY)
    assert snapshot(engine) == before


def test_a_payment_plans_note_is_on_each_invoice(engine):
    _ledger(engine)
    agreed = logbook.log_payment_plan(engine, "C1", ["A", "B"], on=AS_OF, first=date(2026, 7, 15), count=3,
                                      note="Cash-flow problem; pays by transfer.", today=TODAY)
    table = logbook.logged(engine, "C1")
    assert len(agreed.contact_ids) == 2 and table["note"].tolist() == ["Cash-flow problem; pays by transfer."] * 2


def test_cli_log_contact_with_a_note(duck_url):
    engine = db.open_database(duck_url)
    _ledger(engine)
    engine.dispose()
    ok = CliRunner().invoke(app, ["log-contact", "C1", "--db", duck_url, "--date", "2026-06-30", "--channel", "phone",
                                  "--kind", "call", "--outcome", "responded", "--note", "Invoice approved."])
    assert ok.exit_code == 0, ok.output
    engine = db.open_database(duck_url)
    assert logbook.logged(engine, "C1")["note"].tolist() == ["Invoice approved."]
    engine.dispose()
