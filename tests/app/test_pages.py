from __future__ import annotations

from tests.app.conftest import open_link, run_page


def test_overview_page(app_env):
    at = run_page()
    assert not at.exception
    assert at.title[0].value == "Overview"
    labels = [m.label for m in at.metric]
    for expected in ("Open receivables", "DSO", "Best possible DSO", "Days delinquent", "CEI", "At-risk rate"):
        assert any(label.startswith(expected) for label in labels), labels
    assert any(s.value == "DSO over 24 months" for s in at.subheader)
    assert len(at.dataframe) >= 2  # top overdue debtors, breakdown


def test_overview_switches_method_and_currency(app_env):
    at = run_page()
    at.toggle(key="countback").set_value(False).run()
    assert not at.exception
    at.selectbox(key="currency").set_value("USD").run()
    assert not at.exception
    assert "USD" in at.caption[0].value
    at.selectbox(key="dimension").set_value("industry").run()
    assert not at.exception


def test_aging_page(app_env):
    at = run_page("pages/aging.py")
    assert not at.exception
    assert at.title[0].value == "Aging"
    at.text_input(key="edges").set_value("15, 45").run()
    assert not at.exception
    at.radio(key="basis").set_value("invoice").run()
    assert not at.exception
    at.text_input(key="edges").set_value("abc").run()
    assert not at.exception
    assert at.warning  # explained, not a traceback
    at.text_input(key="aging_search").set_value("zzz-nobody").run()
    assert not at.exception


def test_empty_database_explains(monkeypatch, tmp_path):
    from arboard import db

    url = f"duckdb:///{tmp_path / 'empty.duckdb'}"
    db.open_database(url).dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    from tests.app.conftest import ROOT

    monkeypatch.chdir(ROOT)
    for page in (None, "pages/aging.py", "pages/disputes.py", "pages/credit-holds.py", "pages/provision.py",
                 "pages/unapplied.py"):
        at = run_page(page)
        assert not at.exception
        assert "No invoices are loaded yet" in at.info[0].value


def test_open_items_report_is_flagged_where_history_counts(monkeypatch, tmp_path):
    from datetime import date

    from arboard import db, importer, readers

    url = f"duckdb:///{tmp_path / 'open-items.duckdb'}"
    engine = db.open_database(url)
    csv = ("Document No,Customer No,Posting Date,Due Date,Remaining Amount\n"
           "D1,K1,2026-09-01,2026-10-01,1200.00\nD2,K2,2026-10-15,2026-11-14,300.00\n")
    importer.run_import(engine, readers.read_bytes(csv.encode(), name="open-items.csv"), today=date(2026, 11, 22))
    engine.dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    from tests.app.conftest import ROOT

    monkeypatch.chdir(ROOT)
    for page in (None, "pages/segments.py", "pages/debtors.py", "pages/outreach.py", "pages/disputes.py",
                 "pages/forecast.py", "pages/whatif.py", "pages/data.py"):
        at = run_page(page)
        assert not at.exception
        assert any("open items only" in w.value for w in at.warning), page
    assert not any("open items only" in w.value for w in run_page("pages/aging.py").warning)  # aging is exact


def test_as_of_before_the_first_invoice_explains(app_env):
    """A date before the ledger starts gets a sentence, not zero metrics and empty charts; Data still works."""
    from streamlit.testing.v1 import AppTest

    from tests.app.conftest import ROOT

    for page in (None, "pages/aging.py", "pages/segments.py", "pages/outreach.py", "pages/whatif.py"):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
        at.query_params["as_of"] = "2000-01-03"
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception
        assert "Nothing is on the ledger as of 03 Jan 2000" in at.info[0].value, page
        assert not at.metric
    at.switch_page("pages/data.py").run()
    assert not at.exception
    assert at.metric  # what is loaded


def test_database_that_stops_answering_gets_a_message(app_env, monkeypatch):
    """The server went away after the engine was cached: a sentence naming the database, no traceback."""
    import sqlalchemy as sa

    from arboard import db

    at = run_page("pages/aging.py")
    assert not at.exception

    def refused(engine):
        raise sa.exc.OperationalError("SELECT 1", {}, Exception("connection refused"))

    monkeypatch.setattr(db, "data_version", refused)
    at.run()
    assert not at.exception
    assert "The database stopped answering" in at.error[0].value
    assert "connection refused" in at.error[0].value
    assert "Nothing already saved is lost" in at.info[0].value


def test_aging_by_segment_and_risk(app_env):
    at = run_page("pages/aging.py")
    at.selectbox(key="aging_dimension").set_value("segment").run()
    assert not at.exception
    at.toggle(key="aging_risk").set_value(True).run()
    assert not at.exception


def test_one_page_pdf_from_the_dashboard(app_env):
    """Overview and What-if offer the PDF; the cached path the button calls renders one page."""
    at = run_page()
    assert [b.proto.label for b in at.get("download_button")] == ["One-page PDF"]
    at.switch_page("pages/whatif.py").run()
    assert not at.exception
    assert [b.proto.label for b in at.get("download_button")] == ["One-page PDF"]

    def script():
        from datetime import date

        import streamlit as st

        from arboard.scenarios import Scenario
        from ui import cache

        pdf = cache.summary_pdf(date(2026, 10, 31), "EUR", 90, False, True, None, None,
                                Scenario(name="Sooner", days_late=(("wont_pay", -30),)))
        st.write(f"{pdf[:5].decode()} {pdf.count(b'/Type /Page') - pdf.count(b'/Type /Pages')}")

    from streamlit.testing.v1 import AppTest

    made = AppTest.from_function(script, default_timeout=60).run()
    assert not made.exception
    assert made.markdown[0].value == "%PDF- 1"


def test_deep_links_work_on_a_fresh_server():
    """Before app.py's first run a server resolves URLs from pages/ file names (Streamlit's legacy
    mode): a url_path that differs from its file name shows "Page not found" to the first visitor."""
    import re

    from tests.app.conftest import ROOT

    pages = re.findall(r'st\.Page\("pages/([\w-]+)\.py",[^)]*?url_path="([^"]+)"', (ROOT / "app.py").read_text(),
                       flags=re.S)
    assert len(pages) >= 7
    assert all(stem == url for stem, url in pages), pages


def test_disputes_page(app_env):
    at = run_page("pages/disputes.py")
    assert not at.exception
    assert at.title[0].value == "Disputes"
    labels = [m.label for m in at.metric]
    for expected in ("Open disputes", "Over 30 days", "Median days in dispute", "Typical time to settle"):
        assert expected in labels, labels
    def worklist():
        return next(d.value for d in at.dataframe if "days_open" in d.value.columns)

    listed = worklist()
    reasons = next(d.value for d in at.dataframe if "median_days_to_settle" in d.value.columns)
    assert reasons["count"].sum() == len(listed) and set(listed["reason"]) <= set(reasons["reason"])
    at.number_input(key="disp_target").set_value(90).run()
    assert not at.exception and "Over 90 days" in [m.label for m in at.metric]
    at.toggle(key="disp_over").set_value(True).run()
    assert not at.exception
    assert 0 < len(worklist()) < len(listed)
    at.selectbox(key="currency").set_value("USD").run()
    assert not at.exception


def test_presentation_mode_is_what_ifs_alone(app_env):
    """A shared link with ?present=1 to another page keeps its menu: only What-if offers the way back."""
    at = open_link("pages/aging.py", {"present": "1"})
    assert not at.exception
    assert "present" not in at.query_params and at.title[0].value == "Aging"
    at = open_link("pages/whatif.py", {"present": "1"})
    assert not at.exception
    assert at.query_params["present"] == "1" and at.button(key="wi_leave")


def test_view_settings_survive_a_look_at_other_pages(app_env):
    """Streamlit forgets a widget's value on pages that do not draw it: the DSO window, the aging edges,
    the segment thresholds (they fell to the sliders' minimum) and the dispute target are kept."""
    at = run_page()
    at.selectbox(key="window").set_value(180).run()
    at.toggle(key="cei_average").set_value(True).run()
    at.toggle(key="countback").set_value(False).run()
    at.switch_page("pages/aging.py").run()
    at.text_input(key="edges").set_value("15, 45").run()
    at.radio(key="basis").set_value("invoice").run()
    country = at.multiselect(key="aging_countries").options[0]
    bucket = at.selectbox(key="aging_bucket").options[1]
    at.multiselect(key="aging_countries").select(country).run()
    at.toggle(key="aging_overdue_only").set_value(False).run()
    at.text_input(key="aging_search").set_value("a").run()
    at.selectbox(key="aging_bucket").set_value(bucket).run()
    at.switch_page("pages/segments.py").run()
    at.slider(key="seg_able_max_days_late").set_value(20.0).run()
    at.selectbox(key="seg_lookback").set_value(180).run()
    at.switch_page("pages/disputes.py").run()
    at.number_input(key="disp_target").set_value(45).run()
    at.switch_page("pages/data.py").run()
    at.switch_page("pages/overview.py").run()
    assert (at.selectbox(key="window").value, at.toggle(key="cei_average").value,
            at.toggle(key="countback").value) == (180, True, False)
    at.switch_page("pages/aging.py").run()
    assert (at.text_input(key="edges").value, at.radio(key="basis").value) == ("15, 45", "invoice")
    assert (at.multiselect(key="aging_countries").value, at.toggle(key="aging_overdue_only").value,
            at.text_input(key="aging_search").value, at.selectbox(key="aging_bucket").value) == (
        [country], False, "a", bucket)
    at.text_input(key="edges").set_value("30, 60").run()  # that bucket is no longer offered: the oldest is
    assert at.selectbox(key="aging_bucket").value == at.selectbox(key="aging_bucket").options[-1]
    at.switch_page("pages/segments.py").run()
    assert at.slider(key="seg_able_max_days_late").value == 20.0 and at.selectbox(key="seg_lookback").value == 180
    at.switch_page("pages/disputes.py").run()
    assert at.number_input(key="disp_target").value == 45
    assert not at.exception


def test_all_currencies_in_the_reporting_currency(tmp_path, monkeypatch, app_env):
    """With rates saved, every page starts on all currencies in the reporting currency, and a
    currency picked on one page holds on the next."""
    import shutil

    from arboard import db, fx, openitems

    copy = tmp_path / "all.duckdb"
    shutil.copy(app_env.removeprefix("duckdb:///"), copy)
    url = f"duckdb:///{copy}"
    engine = db.open_database(url)
    currencies = [c for c, _ in openitems.currencies(engine)]
    fx.save(engine, "EUR", {c: 0.5 for c in currencies if c != "EUR"})
    engine.dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    at = run_page()
    assert not at.exception
    box = at.selectbox(key="currency")
    assert box.value == "all" and box.options[0] == "All in EUR"
    assert "(all currencies)" in at.caption[0].value and "constant currency" in at.caption[0].value
    at.switch_page("pages/aging.py").run()
    assert not at.exception
    assert at.selectbox(key="currency").value == "all"
    assert "currency" in at.dataframe[-1].value.columns  # the bucket's items say their own currency
    at.switch_page("pages/debtors.py").run()
    assert not at.exception
    assert at.selectbox(key="currency").value == "all"
    assert "Balances add up each debtor's currencies" in at.caption[0].value
    at.switch_page("pages/disputes.py").run()
    assert not at.exception
    assert at.selectbox(key="currency").value == "all"
    listed = next(d.value for d in at.dataframe if "days_open" in d.value.columns)
    assert "open_value" in listed.columns  # each dispute in EUR beside its own currency
    at.switch_page("pages/forecast.py").run()
    assert not at.exception
    assert at.selectbox(key="currency").value == "all"
    assert any("constant currency" in c.value for c in at.caption)
    at.selectbox(key="currency").set_value("USD").run()
    at.switch_page("pages/overview.py").run()
    assert not at.exception
    assert at.selectbox(key="currency").value == "USD" and "USD" in at.caption[0].value


def test_the_as_of_date_follows_the_data_when_left_on_its_last_day(tmp_path, monkeypatch):
    """An import that extends the ledger moves a date left on the data's last day along; a date the user
    chose stays."""
    from datetime import timedelta

    from streamlit.testing.v1 import AppTest

    from arboard import db, generate, importer, readers
    from tests.app.conftest import ROOT
    from tests.conftest import SMALL_SAMPLE

    url = f"duckdb:///{tmp_path / 'follow.duckdb'}"
    engine = db.open_database(url)
    generate.write_sample(engine, SMALL_SAMPLE)
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    monkeypatch.chdir(ROOT)
    end = SMALL_SAMPLE.end

    def newer(day):
        text = f"invoice_id,customer_id,invoice_date,due_date,amount\nN-{day},C000001,{day},{day},10\n"
        importer.run_import(engine, readers.read_bytes(text.encode(), name="new.csv"), today=day)

    left = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    left.run()
    chosen = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    chosen.run()
    chosen.date_input(key="as_of").set_value(end - timedelta(days=30)).run()
    assert left.date_input(key="as_of").value == end
    newer(end + timedelta(days=3))
    left.run()
    chosen.run()
    assert not left.exception and left.date_input(key="as_of").value == end + timedelta(days=3)
    assert chosen.date_input(key="as_of").value == end - timedelta(days=30)
