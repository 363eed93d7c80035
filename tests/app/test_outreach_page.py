from __future__ import annotations

from tests.app.conftest import run_page


def test_outreach_page(app_env):
    at = run_page("pages/outreach.py")
    assert not at.exception
    assert at.title[0].value == "Outreach"
    assert any(m.label == "Planned contacts" for m in at.metric)
    at.number_input(key="out_agents").set_value(0).run()
    assert not at.exception
    at.toggle(key="out_enforce").set_value(False).run()
    assert not at.exception
    assert at.multiselect(key="out_days").value == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    at.multiselect(key="out_days").set_value([]).run()
    assert not at.exception and any("Monday to Friday" in w.value for w in at.warning)


def test_outreach_plan_uses_the_chosen_contact_days(app_env):
    at = run_page("pages/outreach.py")
    at.multiselect(key="out_days").set_value(["Sat"]).run()
    assert not at.exception
    schedule = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert len(schedule) and all(d.weekday() == 5 for d in schedule["date"])
