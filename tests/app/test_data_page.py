from __future__ import annotations

from datetime import date

import pandas as pd

from arboard.db import open_database as db_open
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


def test_paid_dates_worked_out_from_payments_are_counted(tmp_path, monkeypatch, app_env):
    """A ledger whose invoice file had no paid dates: the Data page says how many were derived."""
    from arboard import importer, readers

    url = f"duckdb:///{tmp_path / 'derived.duckdb'}"
    engine = db_open(url)
    for text, name in (("invoice_id,customer_id,invoice_date,due_date,amount\nA1,K1,2026-01-05,2026-02-04,1000\n"
                        "A2,K1,2026-01-10,2026-02-09,300\n", "inv.csv"),
                       ("payment_id,invoice_id,customer_id,payment_date,amount\nP1,A1,K1,2026-02-20,1000\n",
                        "pay.csv")):
        importer.run_import(engine, readers.read_bytes(text.encode(), name=name), today=date(2026, 11, 22))
    engine.dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    at = run_page("pages/data.py")
    assert not at.exception
    assert any(c.value.startswith("1 paid date was worked out from the payments") for c in at.caption)


def test_exchange_rates_are_set_on_the_data_page(tmp_path, monkeypatch, app_env):
    """A reporting currency chosen and saved on the Data page; Segments then says the amounts are in it."""
    import shutil

    from arboard import fx

    copy = tmp_path / "rates.duckdb"
    shutil.copy(app_env.removeprefix("duckdb:///"), copy)
    url = f"duckdb:///{copy}"
    engine = db_open(url)
    fx.save(engine, None, {})  # the sample's own rates forgotten
    engine.dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    at = run_page("pages/data.py")
    assert not at.exception
    assert any(e.label == "Exchange rates (none set)" for e in at.expander)
    box = at.selectbox(key="fx_reporting")
    reporting = box.options[1]
    box.select(reporting).run()
    assert not at.exception
    at.button(key="fx_save").click().run()
    assert not at.exception
    engine = db_open(url)
    assert fx.load(engine) == fx.Rates(reporting, {})
    engine.dispose()
    at.switch_page("pages/segments.py").run()
    assert not at.exception
    assert any(c.value.startswith(f"Amounts are in {reporting} at the exchange rates saved on the Data page.")
               for c in at.caption)
    at.switch_page("pages/outreach.py").run()
    assert not at.exception
    assert any(m.value.startswith(f"**Expected collections** in {reporting}") for m in at.markdown)
    assert any(m.label == "Cost of the plan" for m in at.metric)


def test_an_aging_report_checked_and_imported_as_open_items(tmp_path, monkeypatch, app_env):
    """The mode, the report date and the check of what the import would settle (a table read from a
    database goes through the same mapping as an upload)."""
    from streamlit.testing.v1 import AppTest

    from arboard import readers
    from tests.app.conftest import ROOT
    from tests.test_importer import aging_report

    url = f"duckdb:///{tmp_path / 'aging.duckdb'}"
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    db_open(url).dispose()
    raw = readers.read_bytes(aging_report(450).encode(), name="aging.csv")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["db_raw"] = raw
    at.run()
    at.switch_page("pages/data.py").run()
    assert not at.exception
    at.radio(key="mode-db").set_value("open-items").run()
    at.date_input(key="openon-db").set_value(date(2026, 11, 20)).run()
    at.button(key="import-db").click().run()
    assert not at.exception
    assert any("Imported 3 of 3 rows" in s.value for s in at.success)
    # A week later 1045 is paid: the check says the import settles it, and it does.
    at.session_state["db_raw"] = readers.read_bytes(aging_report(450).replace(
        ',11/02/2026,Invoice,1045,Baker & Sons,12/02/2026,"1,200.00","1,200.00"\n', "").encode(), name="aging.csv")
    at.run()
    at.radio(key="mode-db").set_value("open-items").run()
    at.button(key="check-db").click().run()
    assert any("1 of the 3 invoices open in arboard on" in i.value and "settles it" in i.value for i in at.info), [
        i.value for i in [*at.info, *at.warning, *at.error]]
    at.button(key="import-db").click().run()
    assert any("not on this list of open items" in c.value for c in at.caption)
    # The week before's report, after this one: the check says why it cannot load, and the import refuses it.
    at.radio(key="mode-db").set_value("open-items").run()
    at.date_input(key="openon-db").set_value(date(2026, 11, 13)).run()
    at.button(key="check-db").click().run()
    assert any("is before that of the last report loaded" in e.value for e in at.error)
    at.button(key="import-db").click().run()
    assert any("Nothing was loaded" in e.value and "Load reports in date order" in e.value for e in at.error)
    assert any("The last report of open items or open amounts loaded is dated" in c.value for c in at.caption)


def test_the_teams_work_is_exported_for_the_erp(monkeypatch, tmp_path):
    """Contacts and dispute decisions entered in arboard: counted, and downloadable, on the Data page."""
    from arboard import db, disputestatus, holds, logbook
    from tests.app.conftest import ROOT
    from tests.test_logbook import AS_OF, TODAY, _ledger

    url = f"duckdb:///{tmp_path / 'work.duckdb'}"
    engine = db.open_database(url)
    _ledger(engine)
    at_empty = _data_page(monkeypatch, url, ROOT)
    assert any("Nothing was entered in arboard on these days" in i.value for i in at_empty.info)
    logbook.log(engine, "C1", logbook.Entry(AS_OF, "phone", "dispute", None, ("B",), reason="Price difference"),
                today=TODAY)
    disputestatus.resolve(engine, ["B"], on=TODAY, today=TODAY)
    holds.add(engine, "C1", reason="In negotiation", today=TODAY)
    engine.dispose()
    at = _data_page(monkeypatch, url, ROOT)
    assert not at.exception
    assert any("**1 contact** logged, **2 dispute decisions**, **1 hold** on reminders put or lifted, **0 "
               "interest claims** sent and **0 payments on account** decided" in m.value for m in at.markdown), \
        [m.value for m in at.markdown]
    assert {"All (Excel, five sheets)", "Interest claims sent (CSV)", "Cash on account decided (CSV)"} <= {
        b.label for b in at.get("download_button")}


def _data_page(monkeypatch, url, root):
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    monkeypatch.chdir(root)
    from tests.app.conftest import run_page

    return run_page("pages/data.py")


def test_a_replace_asks_first_when_the_table_holds_rows(tmp_path, monkeypatch, app_env):
    """Replacing empties the table: the Import button waits for a tick that names what goes."""
    from streamlit.testing.v1 import AppTest

    from arboard import readers
    from tests.app.conftest import ROOT
    from tests.test_importer import aging_report

    url = f"duckdb:///{tmp_path / 'replace.duckdb'}"
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    db_open(url).dispose()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["db_raw"] = readers.read_bytes(aging_report(450).encode(), name="aging.csv")
    at.run()
    at.switch_page("pages/data.py").run()
    at.radio(key="mode-db").set_value("replace").run()
    assert "confirm-db" not in [c.key for c in at.checkbox]  # an empty table: nothing to confirm
    at.button(key="import-db").click().run()
    assert any("Imported 3 of 3 rows" in s.value for s in at.success)
    at.radio(key="mode-db").set_value("replace").run()
    assert at.button(key="import-db").disabled
    assert at.checkbox(key="confirm-db").label == "Yes, replace the 3 invoices loaded"
    at.checkbox(key="confirm-db").check().run()
    assert not at.button(key="import-db").disabled
    at.button(key="import-db").click().run()
    assert not at.exception and any("Imported 3 of 3 rows" in s.value for s in at.success)
    # A payment applied to invoice 1045, and a file without it: the check says where that payment would go.
    from tests.conftest import write_ledger

    engine = db_open(url)
    write_ledger(engine, payments=pd.DataFrame({"payment_id": ["P1"], "invoice_id": ["1045"],
                                                "customer_id": ["Baker & Sons"],
                                                "payment_date": [date(2026, 11, 12)], "amount": [100.0]}))
    engine.dispose()
    at.session_state["db_raw"] = readers.read_bytes(
        b"invoice_id,customer_id,invoice_date,due_date,amount\n1031,Baker & Sons,2026-10-01,2026-10-31,800\n",
        name="fewer.csv")
    at.run()
    at.radio(key="mode-db").set_value("replace").run()
    at.button(key="check-db").click().run()
    assert not at.exception
    assert any(w.value.replace("\\", "").startswith(  # as shown: md() escapes the markdown characters
        "1 payment loaded earlier is applied to 1 invoice the ledger would no longer hold after a replace (1045): it "
        "would count as cash on account") for w in at.warning)


def test_the_sample_is_removed_before_your_own_ledger_loads(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from arboard import generate
    from tests.app.conftest import ROOT
    from tests.conftest import SMALL_SAMPLE

    url = f"duckdb:///{tmp_path / 'sample.duckdb'}"
    engine = db_open(url)
    generate.write_sample(engine, SMALL_SAMPLE)
    engine.dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    monkeypatch.chdir(ROOT)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    at.switch_page("pages/data.py").run()
    assert any("holds the **sample ledger**" in i.value for i in at.info)
    assert any("**The sample ledger**" in c.value for c in at.sidebar.caption)
    at.button(key="remove_sample").click().run()
    assert not at.exception
    assert not any("holds the **sample ledger**" in i.value for i in at.info)
    assert not any("**The sample ledger**" in c.value for c in at.sidebar.caption)
    assert any("No invoices are loaded yet" in i.value for i in at.info)
    # And back, for a look at arboard at work (a smaller sample, for the test's sake).
    from arboard import generate as gen
    from ui import state

    monkeypatch.setattr(state, "DEFAULT_SAMPLE", gen.SampleSpec(customers=50, invoices=600, seed=3))
    at.button(key="load_sample").click().run()
    assert not at.exception and any("holds the **sample ledger**" in i.value for i in at.info)
