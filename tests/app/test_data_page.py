from __future__ import annotations

from tests.app.conftest import run_page


def test_data_page_shows_what_is_loaded(app_env):
    at = run_page("pages/data.py")
    assert not at.exception
    assert at.title[0].value == "Data"
    assert any(m.label == "Invoices" and m.value == "4,000" for m in at.metric)
    assert at.date_input(key="as_of").label == "As-of date"
    assert any("Database" in c.value for c in at.sidebar.caption)


def test_database_down_is_explained(monkeypatch, app_env):
    monkeypatch.setenv("ARBOARD_DB_URL", "postgresql://nobody:pw@127.0.0.1:1/none")
    at = run_page()
    assert not at.exception
    assert "database is not available" in at.error[0].value


def test_an_imports_notes_are_shown_after_it(app_env):
    import pandas as pd
    from streamlit.testing.v1 import AppTest

    from arboard.importer import ImportResult
    from tests.app.conftest import ROOT
    from ui.format import md

    note = "2 invoice(s) had no paid date but are paid in full by their payments: each is now settled on the day."
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["last_import"] = ImportResult("payments", "pay.csv", 4, 4, 0, 0, 0, 0, pd.DataFrame(), [note], 2)
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert any(md(note) in c.value for c in at.caption)  # as text, not markdown
