from __future__ import annotations

from tests.app.conftest import open_link, run_page


def test_forecast_page(app_env):
    at = run_page("pages/forecast.py")
    assert not at.exception
    assert at.title[0].value == "Cash forecast"
    labels = [m.label for m in at.metric]
    assert "Expected in 13 weeks" in labels and "Average error per week" in labels
    assert any(s.value.startswith("Backtest") for s in at.subheader)
    assert [b.proto.label for b in at.get("download_button")] == ["Download (CSV)", "Download (Excel)"]
    backtest = at.dataframe[-1].value  # week by week: the error of each week and its absolute value
    assert list(backtest.columns) == ["week", "start", "expected", "actual", "error", "abs_error"]
    assert len(backtest) == 13
    # What the doubtful items cleared is apart from "came in" (the sample writes off what is never paid).
    assert any("left out of both sides, like for like" in c.value for c in at.caption)


def test_whatif_levers_save_compare_and_present(app_env):
    at = run_page("pages/whatif.py")
    assert not at.exception
    assert at.title[0].value == "What-if"
    assert [m.label for m in at.metric] == ["Projected DSO", "Best possible DSO", "Average days delinquent",
                                            "Cash released"]
    assert at.metric[3].value.startswith("€0")  # the baseline releases nothing
    at.slider(key="wi_late_unable_to_pay").set_value(-20).run()
    assert not at.exception
    assert not at.metric[3].value.startswith("€0")
    at.toggle(key="wi_promises_on").set_value(True).run()
    at.slider(key="wi_promises").set_value(90).run()
    at.toggle(key="wi_thr_on").set_value(True).run()
    at.slider(key="wi_thr_wont").set_value(10.0).run()
    at.number_input(key="wi_terms_wont_pay").set_value(14).run()
    assert not at.exception
    at.text_input(key="wi_name").set_value("Plans for unable").run()
    at.button(key="wi_save").click().run()
    assert not at.exception
    assert at.query_params["scenario"] == "Plans for unable"
    # A second scenario, compared with the first.
    at.text_input(key="wi_name").set_value("Sooner only").run()
    at.number_input(key="wi_terms_wont_pay").set_value(0).run()
    at.button(key="wi_save").click().run()
    at.selectbox(key="wi_compare").set_value("Plans for unable").run()
    assert not at.exception
    assert any("Sooner only" in s.value and "Plans for unable" in s.value for s in at.subheader)
    assert at.query_params["compare"] == "Plans for unable"
    # Presentation mode: the four numbers and the two charts, no editor.
    at.button(key="wi_present").click().run()
    assert not at.exception
    assert at.query_params["present"] == "1"
    assert len(at.metric) == 4 and not at.expander and not at.dataframe
    at.button(key="wi_leave").click().run()
    assert not at.exception
    assert at.slider(key="wi_late_unable_to_pay").value == -20  # the edits survived the presentation


def test_whatif_shared_link_reproduces_the_view(app_env):
    at = run_page("pages/whatif.py")
    at.slider(key="wi_late_wont_pay").set_value(-30).run()
    at.text_input(key="wi_name").set_value("Link test").run()
    at.button(key="wi_save").click().run()
    released = at.metric[3].value
    fresh = open_link("pages/whatif.py", {"scenario": "Link test"})
    assert not fresh.exception
    assert fresh.metric[3].value == released
    assert fresh.slider(key="wi_late_wont_pay").value == -30
    # A presentation link opened in a new session shows the same numbers (currency and window travel along).
    link = {k: at.query_params[k] for k in ("scenario", "currency", "window")}
    shown = open_link("pages/whatif.py", {**link, "present": "1"})
    assert not shown.exception
    assert [m.value for m in shown.metric] == [m.value for m in at.metric]


def test_segment_configuration_name_travels_in_links(app_env):
    at = run_page("pages/segments.py")
    at.slider(key="seg_wont_min_days_late").set_value(5.0).run()
    at.text_input(key="seg_name").set_value("Strict on won't pay").run()
    at.button(key="seg_save").click().run()
    at.run()  # the list of saved configurations was drawn before the save
    at.selectbox(key="seg_pick").set_value("Strict on won't pay").run()
    at.button(key="seg_load_btn").click().run()
    assert not at.exception
    assert at.query_params["config"] == "Strict on won't pay"
    at.switch_page("pages/debtors.py")
    at.run()
    assert at.selectbox(key="config_pick").value == "Strict on won't pay"  # carried over from Segments

    for name, expected in (("Strict on won't pay", "Strict on won't pay"), ("Gone", "(default thresholds)")):
        fresh = open_link("pages/whatif.py", {"config": name})
        assert not fresh.exception
        assert fresh.selectbox(key="config_pick").value == expected
        if name == "Gone":
            assert any("not saved here" in w.value for w in fresh.warning)
    # A crafted link cannot put a link or formatting into the page: the name is shown literally.
    crafted = open_link("pages/whatif.py", {"config": "[Log in again](http://evil.example) **now**"})
    warning = next(w.value for w in crafted.warning if "not saved here" in w.value)
    assert r"\[Log in again\]\(http\:" in warning and r"\*\*now\*\*" in warning


def test_whatif_with_all_currencies_and_its_presentation_link(tmp_path, monkeypatch, app_env):
    """With rates saved the what-if starts on all currencies in the reporting currency, and a
    presentation link keeps them together."""
    import shutil

    from arboard import db, fx, openitems

    copy = tmp_path / "whatif-all.duckdb"
    shutil.copy(app_env.removeprefix("duckdb:///"), copy)
    url = f"duckdb:///{copy}"
    engine = db.open_database(url)
    fx.save(engine, "EUR", {c: 2.0 for c, _ in openitems.currencies(engine) if c != "EUR"})
    engine.dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    at = run_page("pages/whatif.py")
    assert not at.exception
    assert at.selectbox(key="currency").value == "all" and at.query_params["currency"] == "all"
    assert any("(all currencies)" in c.value for c in at.caption)
    link = {k: at.query_params[k] for k in ("currency", "window")}
    shown = open_link("pages/whatif.py", {**link, "present": "1"})
    assert not shown.exception
    assert [m.value for m in shown.metric] == [m.value for m in at.metric]
    assert any("all currencies in EUR" in m.value for m in shown.markdown)
