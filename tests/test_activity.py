"""What the team entered in arboard, exported for the ERP or CRM (DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import activity, db, disputestatus, exports, holds, importer, logbook, readers, schema
from arboard.cli import app
from arboard.errors import ArboardError
from tests.test_logbook import AS_OF, TODAY, _ledger


def _work(engine) -> list[str]:
    """A promise taken on A, a dispute raised on B with its reason and then resolved, an imported contact."""
    ids = logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "call", "promised", ("A",), date(2026, 7, 10),
                                                  80.0, by="Ann Lee", note="Approved by AP,\nruns on the 10th"),
                      today=TODAY)
    ids += logbook.log(engine, "C1", logbook.Entry(AS_OF, "email", "dispute", None, ("B",), by="Ann Lee",
                                                   reason="Price difference"), today=TODAY)
    disputestatus.resolve(engine, ["B"], on=TODAY, today=TODAY, by="Bo", note="Credit note issued")
    raw = readers.read_bytes(b"contact_id,customer_id,contact_date,channel,kind\nCRM-1,C2,2026-06-01,email,reminder\n",
                             name="crm.csv")
    importer.run_import(engine, raw, kind="contacts", today=TODAY, remember=False)
    holds.add(engine, "C2", reason="In negotiation", today=TODAY)
    return ids


def test_the_days_entries_are_listed_with_their_reasons(engine):
    _ledger(engine)
    ids = _work(engine)
    day = activity.today()
    got = activity.contacts_logged(engine, since=day, until=day)
    assert list(got.columns) == activity.CONTACT_COLUMNS
    assert got["contact_id"].tolist() == ids  # as logged; the imported contact came from the CRM
    assert got[["invoice_id", "kind", "outcome", "dispute_reason", "logged_by"]].fillna("").values.tolist() == [
        ["A", "call", "promised", "", "Ann Lee"], ["B", "dispute", "", "Price difference", "Ann Lee"]]
    assert (got["logged_on"] == day).all() and (got["contact_date"] == AS_OF).all()
    assert got["name"].tolist() == ["Ann", "Ann"] and got["promised_amount"].iloc[0] == 80.0
    assert got["note"].fillna("").tolist() == ["Approved by AP,\nruns on the 10th", ""]
    decisions = activity.dispute_decisions(engine, since=day, until=day)
    shown = decisions[["invoice_id", "status", "decided_on", "reason", "note", "decided_by"]].fillna("")
    assert shown.values.tolist() == [["B", "disputed", AS_OF, "Price difference", "", "Ann Lee"],
                                     ["B", "resolved", TODAY, "", "Credit note issued", "Bo"]]
    put = activity.holds(engine, since=day, until=day)
    assert list(put.columns) == activity.HOLD_COLUMNS
    assert put[["customer_id", "name", "reason", "entered_on"]].values.tolist() == [["C2", "Bo", "In negotiation", day]]
    assert put["lifted_on"].isna().all() and put["until"].isna().all()  # until lifted, and not lifted yet
    holds.lift(engine, put["hold_id"].iloc[0])
    assert activity.holds(engine, since=day, until=day)["lifted_on"].tolist() == [day]
    # Entered on other days: nothing.
    before = day - timedelta(days=1)
    assert activity.contacts_logged(engine, since=before - timedelta(days=6), until=before).empty
    assert activity.dispute_decisions(engine, since=day + timedelta(days=1), until=day + timedelta(days=2)).empty
    assert activity.holds(engine, since=day + timedelta(days=1), until=day + timedelta(days=2)).empty
    # A contact removed as logged by mistake is gone, and so is the dispute it raised.
    logbook.remove(engine, ids[1])
    assert activity.contacts_logged(engine, since=day, until=day)["contact_id"].tolist() == ids[:1]
    with pytest.raises(ArboardError, match="after the last"):
        activity.contacts_logged(engine, since=day, until=before)


def test_the_contacts_file_loads_into_another_arboard(engine, tmp_path):
    """The export's columns are the contacts import's own: it maps without a click, and loads the same rows."""
    _ledger(engine)
    ids = _work(engine)
    day = activity.today()
    sent = activity.contacts_logged(engine, since=day, until=day)
    other = db.make_engine(f"duckdb:///{tmp_path / 'other.duckdb'}")
    db.ensure_schema(other)
    _ledger(other)
    raw = readers.read_bytes(exports.to_csv_bytes(sent), name="activity.csv")
    result = importer.run_import(other, raw, kind="contacts", today=TODAY, remember=False)
    assert result.inserted == 2 and result.rejected == 0
    with other.connect() as conn:
        got = pd.DataFrame(conn.execute(sa.select(schema.contacts).order_by(schema.contacts.c.contact_id)).mappings())
    assert got["contact_id"].tolist() == ids
    assert got[["invoice_id", "kind", "channel", "logged_by"]].values.tolist() == [
        ["A", "call", "phone", "Ann Lee"], ["B", "dispute", "email", "Ann Lee"]]
    assert got["promised_date"].tolist()[0] == date(2026, 7, 10) and float(got["promised_amount"].iloc[0]) == 80.0
    assert got["note"].fillna("").tolist() == ["Approved by AP,\nruns on the 10th", ""]  # as typed, line break and all
    other.dispose()


def test_cli_activity(engine, tmp_path):
    _ledger(engine)
    _work(engine)
    url = engine.url.render_as_string(hide_password=False)
    run = CliRunner().invoke
    book = tmp_path / "week.xlsx"
    done = run(app, ["activity", "--out", str(book), "--db", url])
    assert done.exit_code == 0, done.output
    assert "2 contacts logged, 2 dispute decisions" in " ".join(done.output.split())
    sheets = pd.read_excel(book, sheet_name=None, engine="calamine")
    assert list(sheets) == list(activity.SHEETS.values()) and len(sheets["Contacts logged"]) == 2
    assert sheets["Reminders on hold"]["reason"].tolist() == ["In negotiation"]
    flat = tmp_path / "week.csv"
    done = run(app, ["activity", "--out", str(flat), "--db", url])
    assert done.exit_code == 0 and (tmp_path / "week-disputes.csv").exists() and (tmp_path / "week-holds.csv").exists()
    bad = run(app, ["activity", "--out", str(flat), "--db", url, "--since", "2026-07-02", "--until", "2026-07-01"])
    assert bad.exit_code == 2 and "after the last" in bad.output
