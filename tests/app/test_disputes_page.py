"""The Disputes page: resolving ticked disputes puts their invoices back into the reminders."""

from __future__ import annotations

import shutil

from tests.app.conftest import run_page


def _worklist(at):
    return next(d.value for d in at.dataframe if "days_open" in d.value.columns)


def test_ticked_disputes_are_resolved(app_db, tmp_path, monkeypatch):
    from arboard import db, disputestatus

    # A copy of the session's ledger: resolving changes it, and the other page tests share that one.
    path = tmp_path / "copy.duckdb"
    shutil.copy(app_db.removeprefix("duckdb:///"), path)
    monkeypatch.setenv("ARBOARD_DB_URL", f"duckdb:///{path}")
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
    engine = db.open_database(f"duckdb:///{path}")
    try:
        made = disputestatus.history(engine, invoice_ids=sorted(gone))
        assert (made["note"] == "Proof of delivery sent").all() and (made["decided_by"] == "Ann").all()
        assert not made["disputed"].any()
    finally:
        engine.dispose()
