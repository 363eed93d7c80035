"""Disputes raised and resolved in arboard, against the invoices file's flag (DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import db, disputes, disputestatus, events, importer, logbook, outreach, readers, schema, store, timeline
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import snapshot, write_ledger

AS_OF = date(2026, 6, 30)
TODAY = date(2026, 7, 1)
HEADER = "Invoice,Customer,Invoice date,Due date,Amount,Currency"


def _ledger(engine) -> None:
    inv = pd.DataFrame({"invoice_id": ["A", "B", "Z"], "customer_id": ["C1", "C1", "C2"],
                        "invoice_date": [date(2026, 4, 1)] * 3, "due_date": [date(2026, 5, 1)] * 3,
                        "amount": [100.0, 200.0, 50.0], "currency": ["EUR"] * 3, "paid_date": [None] * 3,
                        "disputed": [False, True, False]})
    with engine.begin() as conn:
        store.append(conn, schema.customers, pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["Ann", "Bo"]}))
        store.append(conn, schema.invoices, inv)
    events.refresh(engine)


def _flags(engine) -> dict[str, tuple[bool, str | None]]:
    inv = schema.invoices
    with engine.connect() as conn:
        return {i: (bool(d), r) for i, d, r in conn.execute(sa.select(inv.c.invoice_id, inv.c.disputed,
                                                                      inv.c.dispute_reason))}


def _derived_match_a_rebuild(engine) -> None:
    """The balance events kept current by difference equal a full rebuild, and count as current."""
    with engine.connect() as conn:
        assert db.get_meta(conn, "events_version") == db.get_meta(conn, "data_version")
    kept = {t: v for t, v in snapshot(engine).items() if t in ("ar_events", "ar_daily")}
    events.refresh(engine)
    assert kept == {t: v for t, v in snapshot(engine).items() if t in ("ar_events", "ar_daily")}


def _import(engine, body: str, *, disputed: bool) -> importer.ImportResult:
    header = HEADER + (",Disputed" if disputed else "")
    raw = readers.read_bytes(f"{header}\n{body}\n".encode(), name="erp.csv")
    return importer.run_import(engine, raw, kind="invoices", today=TODAY, remember=False)


def test_a_logged_dispute_disputes_the_invoice_at_once(engine):
    _ledger(engine)
    entry = logbook.Entry(AS_OF, "phone", "dispute", "responded", ("A",), by="Anna", reason="Price difference")
    logbook.log(engine, "C1", entry, today=TODAY)
    assert _flags(engine)["A"] == (True, "Price difference")
    _derived_match_a_rebuild(engine)
    listed = disputes.open_disputes(engine, AS_OF).set_index("invoice_id")
    assert listed.loc["A", "reason"] == "Price difference" and listed.loc["A", "raised"] == pd.Timestamp(AS_OF)
    # Out of the reminders, as a dispute from the ERP is.
    plan = outreach.plan_inputs(engine, AS_OF).build(AS_OF, outreach.PlanSettings(weeks=4))
    assert not plan["invoices"].astype(str).str.contains(r"\bA\b").any()
    made = disputestatus.history(engine, customer_id="C1")
    assert made[["invoice_id", "disputed", "decided_by", "file_said"]].values.tolist() == [["A", True, "Anna", False]]


def test_the_newer_word_wins_between_arboard_and_the_file(engine):
    _ledger(engine)
    logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "dispute", None, ("A",), reason="Not delivered"),
                today=TODAY)
    # A file without a dispute column says nothing of disputes: every flag stays, the ERP's (B) too.
    rows = "A,C1,2026-04-01,2026-05-01,100,EUR\nB,C1,2026-04-01,2026-05-01,200,EUR"
    result = _import(engine, rows, disputed=False)
    assert _flags(engine)["A"] == (True, "Not delivered") and _flags(engine)["B"] == (True, None)
    assert not result.notes
    # A file that still says "not disputed", as when the dispute was raised: arboard's stands, reason included.
    result = _import(engine, "A,C1,2026-04-01,2026-05-01,100,EUR,No", disputed=True)
    assert _flags(engine)["A"] == (True, "Not delivered")
    assert any("the dispute status set in arboard" in n for n in result.notes)
    _derived_match_a_rebuild(engine)
    # The ERP records it: the file now agrees and takes over; when the ERP later clears it, it is cleared.
    _import(engine, "A,C1,2026-04-01,2026-05-01,100,EUR,Yes", disputed=True)
    assert disputestatus.history(engine, invoice_ids=["A"])["ended_why"].tolist() == ["file"]
    _import(engine, "A,C1,2026-04-01,2026-05-01,100,EUR,No", disputed=True)
    assert _flags(engine)["A"][0] is False
    _derived_match_a_rebuild(engine)


def test_resolving_a_dispute_brings_the_reminders_back(engine):
    _ledger(engine)
    assert disputestatus.resolve(engine, ["B"], on=AS_OF, today=TODAY, by="Anna", note="Price confirmed") == 1
    assert _flags(engine)["B"][0] is False
    _derived_match_a_rebuild(engine)
    assert "B" not in set(disputes.open_disputes(engine, AS_OF)["invoice_id"])
    # Once paid, it counts among the disputes settled, though no longer flagged.
    with engine.begin() as conn:
        conn.execute(sa.update(schema.invoices).where(schema.invoices.c.invoice_id == "B")
                     .values(paid_date=date(2026, 6, 20)))
    assert disputes.resolution_days(engine, AS_OF)[1] == 1
    with engine.begin() as conn:
        conn.execute(sa.update(schema.invoices).where(schema.invoices.c.invoice_id == "B").values(paid_date=None))
    plan = outreach.plan_inputs(engine, AS_OF).build(AS_OF, outreach.PlanSettings(weeks=4))
    assert plan["invoices"].astype(str).str.contains(r"\bB\b").any()
    # The ERP still flags it: arboard's resolution stands until the ERP's flag changes.
    result = _import(engine, "B,C1,2026-04-01,2026-05-01,200,EUR,Yes", disputed=True)
    assert _flags(engine)["B"][0] is False and any("the dispute status set in arboard" in n for n in result.notes)
    result = _import(engine, "B,C1,2026-04-01,2026-05-01,200,EUR,No", disputed=True)
    assert any("way to the file" in n for n in result.notes)
    assert disputestatus.history(engine, invoice_ids=["B"])[["note", "ended_why"]].values.tolist() == [
        ["Price confirmed", "file"]]
    seen = timeline.debtor_timeline(engine, "C1", as_of=TODAY)
    assert seen.loc[seen["event"] == "Dispute resolved", ["reference", "detail"]].values.tolist() == [
        ["B", "Price confirmed · by Anna"]]


def test_removing_a_dispute_logged_by_mistake_undoes_it(engine):
    _ledger(engine)
    disputestatus.resolve(engine, ["B"], on=date(2026, 6, 1), today=TODAY)
    first = logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "dispute", None, ("A", "B")), today=TODAY)
    assert _flags(engine)["A"][0] and _flags(engine)["B"][0]
    for contact_id in first:
        logbook.remove(engine, contact_id)
    # A is back to the file's word, B to its resolution, which is in force again.
    assert not _flags(engine)["A"][0] and not _flags(engine)["B"][0]
    made = disputestatus.history(engine, invoice_ids=["B"])
    assert made.fillna({"ended_why": "in force"})[["disputed", "ended_why"]].values.tolist() == [
        [True, "removed"], [False, "in force"]]
    _derived_match_a_rebuild(engine)


@pytest.mark.parametrize(("ids", "kwargs", "says"), [
    ([], {}, "Choose the disputed"),
    (["A"], {}, "is not in dispute"),
    (["NOPE"], {}, "no invoice"),
    (["B"], {"on": date(2026, 7, 2)}, "after today"),
    (["B"], {"note": "x" * 301}, "at most 300"),
    (["B"], {"note": "a\u202eb"}, "control character"),
    (["B"], {"by": "a\tb"}, "control character"),
])
def test_a_wrong_resolution_is_refused_and_changes_nothing(engine, ids, kwargs, says):
    _ledger(engine)
    before = snapshot(engine)
    with pytest.raises(ArboardError, match=says):
        disputestatus.resolve(engine, ids, **{"on": AS_OF, "today": TODAY, **kwargs})
    assert snapshot(engine) == before


def test_a_resolution_before_the_dispute_was_raised_is_refused(engine):
    _ledger(engine)
    logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "dispute", None, ("A",)), today=TODAY)
    before = snapshot(engine)
    with pytest.raises(ArboardError, match="raised on 2026-06-30"):
        disputestatus.resolve(engine, ["A"], on=date(2026, 6, 1), today=TODAY)
    assert snapshot(engine) == before
    with pytest.raises(ArboardError, match="goes with a dispute"):
        logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "call", None, ("A",), reason="Price"), today=TODAY)


def test_cli_raise_and_resolve(duck_url):
    engine = db.make_engine(duck_url)
    db.ensure_schema(engine)
    _ledger(engine)
    run = CliRunner().invoke
    day = date.today().isoformat()
    result = run(app, ["log-contact", "C1", "--channel", "phone", "--kind", "dispute", "--invoice", "A",
                       "--reason", "Quality", "--date", day, "--db", duck_url])
    assert result.exit_code == 0, result.output
    assert "Disputed now: A" in result.output and _flags(engine)["A"] == (True, "Quality")
    result = run(app, ["resolve-dispute", "A", "--note", "Replacement delivered", "--by", "Anna", "--db", duck_url])
    assert result.exit_code == 0, result.output
    assert "1 dispute resolved" in result.output and _flags(engine)["A"][0] is False
    result = run(app, ["resolve-dispute", "A", "--db", duck_url])
    assert result.exit_code == 1 and "not in dispute" in result.output


# --- dispute contacts in the log that the invoices file does not flag ----------------------------

def _contacted_ledger(engine) -> None:
    """An ERP export without a dispute flag, and a contacts log from the CRM: A disputed on 5 June; C
    disputed but paid; D disputed on 1 June, resolved in arboard on 8 June, disputed again on 12 June;
    E disputed after the as-of date; B flagged in the file (already on the Disputes page)."""
    ids = ["A", "B", "C", "D", "E"]
    contacts = [("K1", "A", date(2026, 6, 5), "dispute"), ("K2", "A", date(2026, 6, 9), "dispute"),
                ("K3", "C", date(2026, 6, 5), "dispute"), ("K4", "D", date(2026, 6, 1), "dispute"),
                ("K5", "D", date(2026, 6, 12), "dispute"), ("K6", "E", date(2026, 7, 1), "dispute"),
                ("K7", "B", date(2026, 6, 2), "dispute"), ("K8", "A", date(2026, 6, 2), "reminder")]
    write_ledger(
        engine, customers=pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["Ann", "Bo"]}),
        invoices=pd.DataFrame({"invoice_id": ids, "customer_id": ["C1", "C1", "C1", "C2", "C2"],
                               "invoice_date": [date(2026, 4, 1)] * 5, "due_date": [date(2026, 5, 1)] * 5,
                               "amount": [100.0, 200.0, 50.0, 80.0, 60.0], "currency": ["EUR"] * 5,
                               "paid_date": [None, None, date(2026, 6, 20), None, None],
                               "disputed": [False, True, False, False, False]}),
        contacts=pd.DataFrame({"contact_id": [c[0] for c in contacts], "customer_id": ["C1", "C1", "C1", "C2", "C2",
                                                                                     "C2", "C1", "C1"],
                               "invoice_id": [c[1] for c in contacts], "contact_date": [c[2] for c in contacts],
                               "channel": ["phone"] * 8, "kind": [c[3] for c in contacts],
                               "outcome": ["responded"] * 8}))
    with engine.begin() as conn:
        disputestatus.decide(conn, ["D"], disputed=True, on=date(2026, 6, 1))
        disputestatus.decide(conn, ["D"], disputed=False, on=date(2026, 6, 8))
        db.bump_data_version(conn)


def test_dispute_contacts_the_file_does_not_flag_can_be_marked_from_their_date(engine):
    _contacted_ledger(engine)
    listed = disputes.unmarked(engine, AS_OF)
    assert listed[["invoice_id", "raised", "contact_id", "open_amount"]].values.tolist() == [
        ["A", pd.Timestamp("2026-06-05"), "K1", 100.0], ["D", pd.Timestamp("2026-06-12"), "K5", 80.0]]
    assert disputes.unmarked(engine, date(2026, 6, 4))["invoice_id"].tolist() == []  # nothing known yet
    assert "A" not in set(disputes.open_disputes(engine, AS_OF)["invoice_id"])  # reminded until marked
    before = snapshot(engine)
    with pytest.raises(ArboardError, match="“B” has no dispute contact left to mark"):
        disputestatus.mark_contacted(engine, ["A", "B"], as_of=AS_OF, today=TODAY)
    with pytest.raises(ArboardError, match="after today"):
        disputestatus.mark_contacted(engine, ["A"], as_of=date(2026, 7, 2), today=TODAY)
    assert snapshot(engine) == before
    with pytest.raises(ArboardError, match="reason"):
        disputestatus.mark_contacted(engine, ["A"], as_of=AS_OF, today=TODAY, reason="x" * 101)
    assert snapshot(engine) == before
    assert disputestatus.mark_contacted(engine, ["A", "D"], as_of=AS_OF, today=TODAY, by="Ann",
                                        reason="Price difference") == 2
    _derived_match_a_rebuild(engine)
    assert disputes.unmarked(engine, AS_OF).empty
    open_ = disputes.open_disputes(engine, AS_OF).set_index("invoice_id")
    assert set(open_.index) == {"A", "B", "D"}
    assert open_.loc["A", "raised"] == pd.Timestamp("2026-06-05")
    # D was disputed in arboard from 1 to 8 June, and again from its contact of 12 June.
    for day, shown in ((date(2026, 6, 4), {"B", "D"}), (date(2026, 6, 5), {"A", "B", "D"}),
                       (date(2026, 6, 11), {"A", "B"}), (date(2026, 6, 12), {"A", "B", "D"})):
        assert set(disputes.open_disputes(engine, day)["invoice_id"]) == shown, day
    dd = schema.dispute_decisions
    with engine.connect() as conn:
        made = conn.execute(sa.select(dd.c.invoice_id, dd.c.disputed, dd.c.decided_on, dd.c.decided_by, dd.c.contact_id)
                            .where(dd.c.ended_on.is_(None)).order_by(dd.c.invoice_id)).all()
    assert [tuple(r) for r in made] == [("A", True, date(2026, 6, 5), "Ann", "K1"),
                                        ("D", True, date(2026, 6, 12), "Ann", "K5")]
    assert set(open_["reason"]) >= {"Price difference"} and open_.loc["A", "reason"] == "Price difference"



def test_cli_lists_and_marks_dispute_contacts(duck_url):
    engine = db.make_engine(duck_url)
    db.ensure_schema(engine)
    _contacted_ledger(engine)
    run = CliRunner().invoke
    common = ["--as-of", AS_OF.isoformat(), "--db", duck_url]
    listed = run(app, ["mark-disputed", *common])
    assert listed.exit_code == 0 and "2 open invoices with a dispute contact" in listed.output, listed.output
    assert "2026-06-12" in listed.output
    said = run(app, ["disputes", *common])
    assert "2 more open invoices have a dispute contact" in said.output, said.output
    refused = run(app, ["mark-disputed", "B", *common])
    assert refused.exit_code == 1 and "“B” has no dispute contact left to mark" in refused.output
    marked = run(app, ["mark-disputed", "--all", "--by", "Ann", "--reason", "Not delivered", *common])
    assert marked.exit_code == 0 and "2 invoices marked disputed" in marked.output, marked.output
    assert disputes.unmarked(engine, AS_OF).empty
    assert set(disputes.open_disputes(engine, AS_OF).set_index("invoice_id").loc[["A", "D"], "reason"]) == {
        "Not delivered"}


def test_a_contacts_import_says_when_it_names_disputes_the_file_does_not_flag(engine):
    _ledger(engine)  # A (open, not flagged), B (flagged), Z
    body = ("contact_id,customer_id,invoice_id,contact_date,channel,kind,outcome\n"
            "K1,C1,A,2026-06-05,phone,dispute,responded\nK2,C1,B,2026-06-05,phone,dispute,responded\n")
    raw = readers.read_bytes(body.encode(), name="crm.csv")
    result = importer.run_import(engine, raw, kind="contacts", today=TODAY, remember=False)
    said = "Reminders still list 1 open invoice that has a dispute contact"
    assert any(n.startswith(said) for n in result.notes), result.notes
    assert disputes.unmarked(engine, TODAY)["invoice_id"].tolist() == ["A"]
