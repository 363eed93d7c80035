"""Dispute decisions made in arboard are dated: as of an earlier date the invoice shows as it was then
(DuckDB and PostgreSQL)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from arboard import (
    disputeflags,
    disputes,
    disputestatus,
    events,
    forecast,
    logbook,
    model,
    openitems,
    profiles,
    schema,
    store,
    timeline,
)
from tests import reference
from tests.conftest import replace_ledger, write_ledger
from tests.test_disputestatus import _derived_match_a_rebuild, _import
from tests.test_metrics import START, ledgers

DECISION_COLUMNS = ["decision_id", "invoice_id", "customer_id", "disputed", "decided_on", "file_said", "ended_on",
                    "ended_why", "created_at"]

TODAY = date(2026, 7, 1)
RAISED, RESOLVED, PAID = date(2026, 6, 10), date(2026, 6, 20), date(2026, 6, 15)


def _ledger(engine) -> None:
    """A (not disputed in the file) paid 30 of 100 on 15 June; B (disputed in the file); Z, E untouched."""
    ids = ["A", "B", "Z", "E"]
    write_ledger(
        engine,
        customers=pd.DataFrame({"customer_id": ["C1", "C2"], "name": ["Ann", "Bo"]}),
        invoices=pd.DataFrame({"invoice_id": ids, "customer_id": ["C1", "C1", "C2", "C2"],
                               "invoice_date": [date(2026, 4, 1)] * 4, "due_date": [date(2026, 5, 1)] * 4,
                               "amount": [100.0, 200.0, 50.0, 80.0], "currency": ["EUR"] * 4,
                               "paid_date": [None] * 4, "disputed": [False, True, False, False]}),
        payments=pd.DataFrame({"payment_id": ["P1"], "invoice_id": ["A"], "customer_id": ["C1"],
                               "payment_date": [PAID], "amount": [30.0], "currency": ["EUR"]}))


def _disputed_on(engine, day: date) -> set[str]:
    items = openitems.open_items(day)
    with engine.connect() as conn:
        return set(conn.execute(sa.select(items.c.invoice_id).where(items.c.disputed)).scalars())


def _ever_disputed(engine, day: date) -> set[str]:
    inv = schema.invoices
    source, was = disputeflags.joined_ever(inv, day)
    with engine.connect() as conn:
        return set(conn.execute(sa.select(inv.c.invoice_id).select_from(source).where(was)).scalars())


def _totals_agree_with_the_lists(engine, days: list[date]) -> dict[date, float]:
    """The disputed balance of the trends (balance events) equals the open items' of each day."""
    trend = events.snapshot(engine, days).set_index("as_of")["disputed"]
    history = events.history(engine).totals(days).set_index("as_of")["disputed"]
    out = {}
    for day in days:
        items = openitems.open_items(day)
        with engine.connect() as conn:
            listed = conn.execute(sa.select(sa.func.coalesce(sa.func.sum(items.c.open_amount), 0.0))
                                  .where(items.c.disputed)).scalar_one()
        assert abs(trend[day] - listed) < 0.005 and abs(history[day] - listed) < 0.005, day
        out[day] = float(listed)
    return out


def test_a_dispute_shows_from_the_day_it_was_raised_to_the_day_it_was_resolved(engine):
    _ledger(engine)
    logbook.log(engine, "C1", logbook.Entry(RAISED, "phone", "dispute", None, ("A",), reason="Not delivered"),
                today=TODAY)
    disputestatus.resolve(engine, ["B"], on=RESOLVED, today=TODAY, note="Price confirmed")
    _derived_match_a_rebuild(engine)
    assert _disputed_on(engine, RAISED - timedelta(days=1)) == {"B"}
    assert _disputed_on(engine, RAISED) == {"A", "B"}
    assert _disputed_on(engine, RESOLVED - timedelta(days=1)) == {"A", "B"}
    assert _disputed_on(engine, RESOLVED) == {"A"}
    days = [date(2026, 4, 1) + timedelta(days=n) for n in range(0, 92, 3)] + [RAISED, PAID, RESOLVED, TODAY]
    seen = _totals_agree_with_the_lists(engine, sorted(set(days)))
    assert seen[RAISED - timedelta(days=1)] == 200 and seen[RAISED] == 300
    assert seen[PAID] == 270 and seen[RESOLVED] == 70  # A's partial payment counts while in dispute
    # The Disputes page and the cash forecast of an earlier date see it as it was then.
    assert set(disputes.open_disputes(engine, RAISED - timedelta(days=1))["invoice_id"]) == {"B"}
    assert set(disputes.open_disputes(engine, TODAY)["invoice_id"]) == {"A"}
    items = forecast.open_invoices(engine, RAISED - timedelta(days=1)).set_index("invoice_id")["disputed"]
    assert items.to_dict() == {"A": False, "B": True, "Z": False, "E": False}
    for day, says in ((RAISED - timedelta(days=1), "due 2026-05-01"), (RAISED, "due 2026-05-01 · disputed")):
        seen = timeline.debtor_timeline(engine, "C1", as_of=day)
        issued = seen[(seen["reference"] == "A") & (seen["event"] == "Invoice")]
        assert issued["detail"].tolist() == [says + (" (Not delivered)" if day == RAISED else "")]


def test_a_resolved_dispute_stays_in_the_debtors_history(engine):
    """The profile, the drivers of late payment, the forecast's delay for disputes and the days disputes
    take count an invoice disputed at any time by the as-of date: resolving it does not undo that, and
    a dispute raised later is not known yet."""
    ids = ["P", "Q", "A"]
    write_ledger(
        engine, customers=pd.DataFrame({"customer_id": ["C1"], "name": ["Ann"]}),
        invoices=pd.DataFrame({"invoice_id": ids, "customer_id": ["C1"] * 3, "invoice_date": [date(2026, 4, 1)] * 3,
                               "due_date": [date(2026, 5, 1)] * 3, "amount": [100.0, 100.0, 50.0],
                               "currency": ["EUR"] * 3, "paid_date": [date(2026, 6, 25), date(2026, 5, 1), None],
                               "disputed": [True, False, False]}))
    disputestatus.resolve(engine, ["P"], on=RESOLVED, today=TODAY)  # P is paid 55 days late, after it
    logbook.log(engine, "C1", logbook.Entry(RAISED, "phone", "dispute", None, ("A",)), today=TODAY)
    with engine.connect() as conn:
        assert conn.execute(sa.select(schema.invoices.c.disputed).where(schema.invoices.c.invoice_id == "P")
                            ).scalar_one() is False
    before = RAISED - timedelta(days=1)
    for day, was in ((before, {"P"}), (TODAY, {"P", "A"})):
        assert _ever_disputed(engine, day) == was
        assert int(profiles.debtor_profiles(engine, day).set_index("customer_id").loc["C1", "disputes"]) == len(was)
        frame = model.invoice_frame(engine, day).set_index("invoice_id")["disputed"].astype(bool)
        assert set(frame[frame].index) == was
    assert forecast._delays(engine, TODAY, 365)[2] == pytest.approx(55.0)  # P's lateness beyond the plain ones'
    assert disputes.resolution_days(engine, TODAY) == (55.0, 1)  # from the due date (no dispute contact) to paid


def test_the_file_catching_up_keeps_the_dates(engine):
    _ledger(engine)
    logbook.log(engine, "C1", logbook.Entry(RAISED, "phone", "dispute", None, ("A",)), today=TODAY)
    # The ERP flags A on 1 July: the file counts from then, arboard's decision before.
    result = _import(engine, "A,C1,2026-04-01,2026-05-01,100,EUR,Yes", disputed=True)
    assert any("way to the file" in n for n in result.notes)
    _derived_match_a_rebuild(engine)
    assert _disputed_on(engine, RAISED - timedelta(days=1)) == {"B"}
    assert _disputed_on(engine, RAISED) == _disputed_on(engine, TODAY) == {"A", "B"}
    _totals_agree_with_the_lists(engine, [RAISED - timedelta(days=1), RAISED, PAID, TODAY])


def test_an_undone_dispute_never_shows_and_a_resolution_on_the_same_day_wins(engine):
    _ledger(engine)
    logged = logbook.log(engine, "C2", logbook.Entry(RAISED, "phone", "dispute", None, ("Z",)), today=TODAY)
    for contact_id in logged:
        logbook.remove(engine, contact_id)
    logbook.log(engine, "C2", logbook.Entry(RAISED, "phone", "dispute", None, ("E",)), today=TODAY)
    disputestatus.resolve(engine, ["E"], on=RAISED, today=TODAY)
    _derived_match_a_rebuild(engine)
    for day in (RAISED - timedelta(days=1), RAISED, TODAY):
        assert _disputed_on(engine, day) == {"B"}, day
    _totals_agree_with_the_lists(engine, [RAISED - timedelta(days=1), RAISED, TODAY])


def test_a_full_rebuild_dates_the_flags_as_the_incremental_one(engine):
    """A ledger written after the decisions (a replace import, a refresh) dates them the same way."""
    _ledger(engine)
    logbook.log(engine, "C1", logbook.Entry(RAISED, "phone", "dispute", None, ("A",)), today=TODAY)
    events.refresh(engine)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.ar_events.c.day, schema.ar_events.c.disputed,
                                      sa.func.sum(schema.ar_events.c.delta))
                            .where(schema.ar_events.c.customer_id == "C1", schema.ar_events.c.disputed)
                            .group_by(schema.ar_events.c.day, schema.ar_events.c.disputed)
                            .order_by(schema.ar_events.c.day)).all()
    # B opens disputed on 1 April; A's 100 enters the disputed balance on 10 June, less its 30 on 15 June.
    assert [(d, float(s)) for d, _f, s in rows] == [(date(2026, 4, 1), 200.0), (RAISED, 100.0), (PAID, -30.0)]


# --- against the naive reference, on random ledgers and decisions -------------------------------

@st.composite
def decided_ledgers(draw):
    inv, pay, as_of = draw(ledgers())
    rows, stamp = [], datetime(2026, 1, 1)
    for r in inv.itertuples():
        for k in range(draw(st.integers(0, 3))):
            on = r.invoice_date + timedelta(days=draw(st.integers(-10, 200)))
            end = draw(st.one_of(st.none(), st.integers(0, 60)))
            stamp += timedelta(minutes=draw(st.integers(1, 30)))  # made one after the other
            rows.append({"decision_id": f"{r.invoice_id}-{k}", "invoice_id": r.invoice_id, "customer_id": r.customer_id,
                         "disputed": draw(st.booleans()), "decided_on": on, "file_said": draw(st.booleans()),
                         "ended_on": None if end is None else on + timedelta(days=end),
                         "ended_why": None if end is None else draw(st.sampled_from(["decision", "file", "removed"])),
                         "created_at": stamp})
    days = {as_of, *(START + timedelta(days=draw(st.integers(0, 600))) for _ in range(3))}
    if rows:  # the days a flag changes, where an off-by-one would show
        days.add(draw(st.sampled_from([r["decided_on"] for r in rows])))
        days.update(r["ended_on"] for r in rows[:1] if r["ended_on"] is not None)
    days = sorted(days)
    return inv, pay, pd.DataFrame(rows, columns=DECISION_COLUMNS), days


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ledger=decided_ledgers())
def test_the_disputed_balance_matches_the_reference(engine, ledger):
    inv, pay, made, days = ledger
    with engine.begin() as conn:
        conn.execute(sa.delete(schema.dispute_decisions))
        if len(made):
            store.append(conn, schema.dispute_decisions, made)
    replace_ledger(engine, inv, pay)
    trend = events.snapshot(engine, days).set_index("as_of")["disputed"]
    history = events.history(engine).totals(days).set_index("as_of")["disputed"]
    by_invoice = {i: made[made["invoice_id"] == i].to_dict("records") for i in inv["invoice_id"]}
    for day in days:
        flags = {r.invoice_id: reference.dispute_flag(by_invoice[r.invoice_id], r.disputed, day)
                 for r in inv.itertuples()}
        expected = sum(v for i, v in reference.open_amounts(inv, pay, day).items() if flags[i])
        listed = _disputed_on(engine, day)
        assert listed == {i for i in reference.open_amounts(inv, pay, day) if flags[i]}, day
        assert trend[day] == pytest.approx(expected, abs=1e-6) and history[day] == pytest.approx(expected, abs=1e-6)
        ever = {r.invoice_id for r in inv.itertuples()
                if reference.ever_disputed(by_invoice[r.invoice_id], r.disputed, day)}
        assert _ever_disputed(engine, day) == ever, day
