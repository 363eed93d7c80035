"""A colleague opens a shared presentation link: the first request a freshly started server sees."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS, serve

pytestmark = pytest.mark.e2e


def _save_scenario(engine) -> None:
    from arboard import scenarios

    scenarios.save_scenario(engine, scenarios.Scenario(name="Plans for unable", days_late=(("unable_to_pay", -15),)))


def test_presentation_link_on_a_fresh_server(browser, tmp_path):
    from playwright.sync_api import expect

    with serve(tmp_path, _save_scenario) as base:
        page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        page.goto(base + "/whatif?scenario=Plans+for+unable&present=1&as_of=2026-09-30")
        expect(page.get_by_role("heading", name="Plans for unable")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("as of 30 Sep 2026")).to_be_visible()
        expect(page.get_by_text("Cash released")).to_be_visible()
        expect(page.get_by_text("Page not found")).to_have_count(0)
        expect(page.locator('section[data-testid="stSidebar"]')).to_be_hidden()  # presentation: nothing else
        page.wait_for_timeout(1500)  # let the charts draw before the picture
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "presentation-link.png"))
        # The same page with the editor, through the app's own navigation.
        page.get_by_role("button", name="Leave presentation").click()
        expect(page.get_by_text("Levers", exact=True)).to_be_visible(timeout=30_000)
        expect(page.get_by_role("link", name="Debtors")).to_be_visible()
        # Only What-if presents: a link asking another page to, keeps its menu (the way out).
        other = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
        other.goto(base + "/aging?present=1")
        expect(other.get_by_role("heading", name="Aging")).to_be_visible(timeout=60_000)
        expect(other.get_by_role("link", name="Debtors")).to_be_visible()
