from __future__ import annotations

from tests.app.conftest import run_page


def test_explorer_filters(app_env):
    at = run_page("pages/explorer.py")
    assert not at.exception
    assert at.title[0].value == "Debtors"
    at.multiselect(key="ex_groups").set_value(["wont_pay"]).run()
    assert not at.exception
    at.text_input(key="ex_text").set_value("zz-nobody").run()
    assert not at.exception
    assert "**0** of" in at.caption[0].value or any("**0** of" in c.value for c in at.caption)
    at.toggle(key="ex_risk").set_value(True).run()
    assert not at.exception
