from __future__ import annotations

from tests.app.conftest import run_page


def test_segments_page_updates_with_sliders(app_env):
    at = run_page("pages/segments.py")
    assert not at.exception
    assert at.title[0].value == "Segments"
    counts = [m.value for m in at.metric]
    assert len(counts) == 5
    at.slider(key="seg_min_history_days").set_value(730).run()
    assert not at.exception
    assert [m.value for m in at.metric][1] != counts[1]  # more debtors without enough history
    at.selectbox(key="seg_group").set_value("wont_pay").run()
    assert not at.exception


def test_segments_save_and_share(app_env):
    at = run_page("pages/segments.py")
    at.slider(key="seg_wont_max_response").set_value(0.1).run()
    assert "wont_max_response:0.1" in str(at.query_params["seg"])
    at.text_input(key="seg_name").set_value("strict").run()
    at.button(key="seg_save").click().run()
    assert not at.exception
    assert any("Saved" in t.value for t in at.toast)
    assert "strict" in at.selectbox(key="seg_pick").options
    at.toggle(key="seg_model").set_value(True).run()
    assert not at.exception
