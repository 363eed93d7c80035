"""Contacts logged in arboard: checked, one transaction, seen at once by promises and the plan."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from typer.testing import CliRunner

from arboard import db, events, logbook, outreach, promises, schema, store
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import snapshot

AS_OF = date(2026, 6, 30)
TODAY = date(2026, 7, 1)


def _ledger(engine) -> None:
    inv = pd.DataFrame({"invoice_id": ["A", "B", "Z"], "customer_id": ["C1", "C1", "C2"],
                        "invoice_date": [date(2026, 4, 1)] * 3, "due_date": [date(2026, 5, 1)] * 3,
                        "amount": [100.0, 200.0, 50.0], "currency": ["EUR"] * 3, "paid_date": [None] * 3,
                        "disputed": [False] * 3})
    with engine.begin() as conn:
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["Ann", "Bo"],
                                                           "phone": ["+44 20 7946 0000", None]}))
        store.append(conn, schema.invoices, inv)
    events.refresh(engine)


def test_a_logged_promise_pauses_reminders_and_is_judged(engine):
    _ledger(engine)
    version = db.data_version(engine)
    ids = logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "call", "promised", ("A",), date(2026, 7, 10), 80.0),
                      today=TODAY)
    assert len(ids) == 1 and ids[0].startswith(logbook.PREFIX)
    assert db.data_version(engine) > version  # caches read again
    with engine.connect() as conn:  # ... but a contact changes no balance: no full rebuild on the next read
        assert db.get_meta(conn, "events_version") == db.get_meta(conn, "data_version")
    running = promises.promises(engine, AS_OF)
    assert running[["invoice_id", "promised_amount", "broken"]].values.tolist() == [["A", 80.0, False]]
    # One promise about two invoices: one contact each, each promised in full.
    both = logbook.log(engine, "C1", logbook.Entry(AS_OF, "email", "promise_to_pay", None, ("A", "B"),
                                                   date(2026, 7, 20)), today=TODAY)
    assert len(both) == 2
    table = logbook.logged(engine, "C1")
    assert len(table) == 3 and set(table["invoice_id"]) == {"A", "B"}
    # The plan waits for the promise, then calls: the ledger's own machinery reads the logged contacts.
    plan = outreach.plan_inputs(engine, AS_OF).build(AS_OF, outreach.PlanSettings(weeks=6))
    assert (plan.loc[plan["step_no"] == 0, "date"] > pd.Timestamp("2026-07-20")).all()
    logbook.remove(engine, both[0])
    assert len(logbook.logged(engine, "C1")) == 2


@pytest.mark.parametrize(("entry", "says"), [
    (logbook.Entry(AS_OF, "fax", "call"), "Unknown channel"),
    (logbook.Entry(AS_OF, "phone", "chat"), "Unknown kind"),
    (logbook.Entry(AS_OF, "phone", "call", "maybe"), "Unknown outcome"),
    (logbook.Entry(date(2026, 7, 2), "phone", "call"), "after today"),
    (logbook.Entry(AS_OF, "phone", "call", "promised"), "choose the invoice"),
    (logbook.Entry(AS_OF, "phone", "call", "promised", ("A",)), "needs the date"),
    (logbook.Entry(AS_OF, "phone", "call", "promised", ("A",), date(2026, 6, 1)), "before the contact"),
    (logbook.Entry(AS_OF, "phone", "call", "promised", ("A",), date(2027, 8, 1)), "more than a year"),
    (logbook.Entry(AS_OF, "phone", "call", "promised", ("A", "B"), date(2026, 7, 9), 10.0), "goes with one invoice"),
    (logbook.Entry(AS_OF, "phone", "call", "promised", ("A",), date(2026, 7, 9), -5.0), "must be positive"),
    (logbook.Entry(AS_OF, "phone", "call", "responded", (), date(2026, 7, 9)), "goes with a promise"),
    (logbook.Entry(AS_OF, "phone", "call", None, ("Z",)), "belongs to debtor “C2”"),
    (logbook.Entry(AS_OF, "phone", "call", None, ("NOPE",)), "no invoice “NOPE”"),
])
def test_a_wrong_entry_is_refused_and_changes_nothing(engine, entry, says):
    _ledger(engine)
    before = snapshot(engine)
    with pytest.raises(ArboardError, match=says):
        logbook.log(engine, "C1", entry, today=TODAY)
    assert snapshot(engine) == before


def test_unknown_debtor_and_imported_contacts(engine):
    _ledger(engine)
    with pytest.raises(ArboardError, match="no debtor"):
        logbook.log(engine, "=cmd|' /C calc'!A0", logbook.Entry(AS_OF, "phone", "call"), today=TODAY)
    with pytest.raises(ArboardError, match="importing their file again"):
        logbook.remove(engine, "K1")
    with pytest.raises(ArboardError, match="no contact"):
        logbook.remove(engine, logbook.PREFIX + "0")


def test_cli_log_contact(duck_url):
    engine = db.open_database(duck_url)
    _ledger(engine)
    engine.dispose()
    ok = CliRunner().invoke(app, ["log-contact", "C1", "--db", duck_url, "--date", "2026-06-30", "--channel", "phone",
                                  "--kind", "call", "--outcome", "promised", "--invoice", "A", "--invoice", "B",
                                  "--promised-date", "2026-07-10"])
    assert ok.exit_code == 0, ok.output
    assert "2 contacts logged" in ok.output
    bad = CliRunner().invoke(app, ["log-contact", "C1", "--db", duck_url, "--date", "2026-06-30", "--channel",
                                   "phone", "--kind", "call", "--outcome", "promised"])
    assert bad.exit_code == 1 and "choose the invoice" in bad.output and "Traceback" not in bad.output
    engine = db.open_database(duck_url)
    assert len(logbook.logged(engine, "C1")) == 2


def test_replacing_the_contacts_by_an_import_keeps_those_logged_here(engine):
    from arboard import importer, readers

    _ledger(engine)
    mine = logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "call", "responded"), today=TODAY)
    text = ("contact_id,customer_id,contact_date,channel,kind,outcome\n"
            "K1,C1,2026-06-01,email,reminder,no_response\n")
    importer.run_import(engine, readers.read_bytes(text.encode(), name="contacts.csv"), kind="contacts",
                        today=TODAY)
    importer.run_import(engine, readers.read_bytes(text.replace("K1", "K2").encode(), name="contacts.csv"),
                        kind="contacts", mode="replace", today=TODAY)
    with engine.connect() as conn:
        ids = sorted(conn.execute(schema.contacts.select().with_only_columns(schema.contacts.c.contact_id)).scalars())
    assert ids == sorted(["K2", *mine])  # K1 replaced by the file, the logged call kept
