"""The Disputes page: resolving ticked disputes puts their invoices back into the reminders."""

from __future__ import annotations

from tests.app.conftest import run_page


def _worklist(at):
    return next(d.value for d in at.dataframe if "days_open" in d.value.columns)


def test_ticked_disputes_are_resolved(app_copy):
    from arboard import db, disputestatus

    at = run_page("pages/disputes.py")
    assert not at.exception
    before = _worklist(at)
    assert at.button(key="disp_resolve").disabled  # nothing ticked: nothing to resolve
    at.session_state["disp_table_0"] = {"selection": {"rows": [0, 1], "columns": [], "cells": []}}
    at.run()
    assert at.button(key="disp_resolve").label == "Resolve 2 disputes"
    at.text_input(key="disp_note").set_value("Proof of delivery sent").run()
    at.text_input(key="disp_by").set_value("Ann").run()
    at.button(key="disp_resolve").click().run()
    assert not at.exception
    assert any("Resolved on" in s.value and "2 disputes" in s.value for s in at.success)
    after = _worklist(at)
    gone = set(before["invoice_id"].head(2))
    assert len(after) == len(before) - 2 and not gone & set(after["invoice_id"])
    engine = db.open_database(app_copy)
    try:
        made = disputestatus.history(engine, invoice_ids=sorted(gone))
        assert (made["note"] == "Proof of delivery sent").all() and (made["decided_by"] == "Ann").all()
        assert not made["disputed"].any()
    finally:
        engine.dispose()


def test_dispute_contacts_the_file_does_not_flag_are_marked(app_copy):
    from datetime import timedelta

    import pandas as pd
    import sqlalchemy as sa

    from arboard import db, disputes, schema, store

    url = app_copy
    engine = db.open_database(url)
    try:
        at = run_page("pages/disputes.py")
        as_of = at.session_state["as_of"]
        inv = schema.invoices
        with engine.begin() as conn:  # a CRM's contacts log: disputes on two open invoices the file does not flag
            rows = conn.execute(sa.select(inv.c.invoice_id, inv.c.customer_id).where(
                inv.c.paid_date.is_(None), ~inv.c.disputed, inv.c.amount > 0, inv.c.invoice_date < as_of
                - timedelta(days=30)).order_by(inv.c.amount.desc()).limit(2)).all()
            store.append(conn, schema.contacts, pd.DataFrame({
                "contact_id": ["CRM1", "CRM2"], "customer_id": [r.customer_id for r in rows],
                "invoice_id": [r.invoice_id for r in rows], "contact_date": [as_of - timedelta(days=5)] * 2,
                "channel": ["phone"] * 2, "kind": ["dispute"] * 2, "outcome": ["responded"] * 2}))
            db.bump_data_version(conn)
        at.run()
        assert not at.exception
        assert any("2 open invoices with a dispute contact" in e.label for e in at.expander)
        assert at.button(key="disp_unmarked_go").disabled
        at.session_state["disp_unmarked_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
        at.run()
        at.text_input(key="disp_unmarked_by").set_value("Ann").run()
        at.text_input(key="disp_unmarked_reason").set_value("Wrong quantity").run()
        at.button(key="disp_unmarked_go").click().run()
        assert not at.exception
        assert any("Marked disputed" in s.value and "1 invoice" in s.value for s in at.success)
        marked = {r.invoice_id for r in rows} - set(disputes.unmarked(engine, as_of)["invoice_id"])
        assert len(marked) == 1 and marked <= set(_worklist(at)["invoice_id"])
        assert disputes.open_disputes(engine, as_of).set_index("invoice_id").loc[marked.pop(), "reason"] == (
            "Wrong quantity")
        assert any("1 open invoice with a dispute contact" in e.label for e in at.expander)
    finally:
        engine.dispose()
