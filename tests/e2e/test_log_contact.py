"""A collector logs a promise to pay on the Debtors page; the database holds it afterwards. On the way, the
debtor's statement of account is downloaded, a payment plan agreed and the debtor given to a new collector."""

from __future__ import annotations

import io
import re
import time

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import ARTIFACTS, serve

pytestmark = pytest.mark.e2e


def test_log_a_promise_from_the_debtor_timeline(browser, tmp_path):
    from playwright.sync_api import expect

    from arboard import collectors, db, logbook

    with serve(tmp_path) as base:
        page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()

        def settle():  # until Streamlit's "running" indicator is gone
            time.sleep(1)
            for _ in range(120):
                if not page.locator('[data-testid="stStatusWidget"]').count():
                    return
                time.sleep(0.5)

        page.goto(base + "/debtors")
        expect(page.get_by_text("debtors with an open balance match")).to_be_visible(timeout=60_000)
        settle()
        grid = page.locator('[data-testid="stDataFrame"]').first.bounding_box()
        page.mouse.click(grid["x"] + 15, grid["y"] + 55)  # the first debtor's row
        expect(page.get_by_text("Log a contact with this debtor")).to_be_visible(timeout=60_000)
        settle()
        with page.expect_download() as download:  # the debtor's statement of account, for the same debtor
            page.get_by_role("button", name="Statement of account (PDF)").click()
        statement = download.value.path().read_bytes()
        page.get_by_text("Log a contact with this debtor").click()
        settle()
        form = page.locator('[data-testid="stForm"]')
        form.get_by_role("combobox", name="What").click()
        page.get_by_role("option", name="Call", exact=True).click()
        form.get_by_role("combobox", name="Outcome").click()
        page.get_by_role("option", name="Promised to pay").click()
        invoices = form.get_by_role("combobox", name="About invoices")
        invoices.click()
        invoices.press_sequentially("INV")
        page.keyboard.press("Enter")  # every open invoice matching "INV": the promise covers them all
        page.keyboard.press("Escape")
        form.get_by_role("spinbutton", name="year, Promised to pay by").click()
        page.keyboard.type("20261110")
        form.get_by_role("textbox", name="Note").fill("Spoke to AP: approved for the run on the 10th.")
        form.get_by_role("button", name="Log the contact").click()
        expect(page.get_by_text("Logged with")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Logged here")).to_be_visible()
        settle()
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "log-contact.png"), full_page=True)
        customer = page.get_by_role("heading").filter(has_text=re.compile(r"\(C\d+\)")).first.inner_text()
        # Then a payment plan over the overdue invoices, as proposed: three monthly instalments.
        page.get_by_text("Agree a payment plan").click()
        settle()
        agree = page.get_by_role("button", name="Agree this payment plan")  # under the schedule it would log
        expect(agree).to_be_visible(timeout=60_000)
        agree.click()
        expect(page.get_by_text("Payment plan agreed with")).to_be_visible(timeout=60_000)
        settle()
        # The message, not a traceback quoting the line that would have shown it.
        assert not page.locator('[data-testid="stException"]').count()
        # And someone new works this debtor from now on.
        new_one = page.get_by_role("option", name="Someone new…")
        for _ in range(3):  # a rerun still finishing can close the list as it opens: open it again
            page.locator('[class*="st-key-assign_one_"]').get_by_role("combobox").click()
            try:
                new_one.wait_for(timeout=10_000)
                break
            except Exception:  # noqa: BLE001 - Playwright's timeout; tried again
                settle()
        new_one.click()
        settle()
        page.locator('[class*="st-key-assign_one_"][class*="_new"]').get_by_role("textbox").fill("Zoë Lind")
        page.keyboard.press("Enter")
        settle()
        page.get_by_role("button", name="Assign", exact=True).click()
        expect(page.get_by_text("is now worked by Zoë Lind")).to_be_visible(timeout=60_000)
        assert not page.locator('[data-testid="stException"]').count()
    engine = db.open_database(f"duckdb:///{tmp_path / 'arboard.duckdb'}")
    cid = re.search(r"\((C\d+)\)", customer).group(1)
    assert collectors.collector_of(engine, [cid])[cid] == "Zoë Lind"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(statement)).pages)
    assert "Statement of account" in text and cid in text
    logged = logbook.logged(engine, cid)
    calls, plan = logged[logged["kind"] == "call"], logged[logged["kind"] == "payment_plan"]
    assert len(calls) >= 1 and calls["invoice_id"].is_unique  # one contact per invoice
    assert set(calls["outcome"]) == {"promised"} and set(map(str, calls["promised_date"])) == {"2026-11-10"}
    assert set(calls["note"]) == {"Spoke to AP: approved for the run on the 10th."}
    assert len(plan) >= 1 and plan["invoice_id"].is_unique and set(plan["outcome"]) == {"promised"}
    assert 1 <= plan["promised_date"].nunique() <= 3  # each invoice promised for its instalment


def test_log_the_outcome_of_a_call_from_the_day_s_work_list(browser, tmp_path):
    from playwright.sync_api import expect

    from arboard import db, logbook

    with serve(tmp_path) as base:
        page = browser.new_context(viewport={"width": 1400, "height": 1400}).new_page()
        page.goto(base + "/outreach")
        expect(page.get_by_text("Work list for one day")).to_be_visible(timeout=90_000)
        time.sleep(2)
        grid = page.locator('[class*="st-key-out_work_"] [data-testid="stDataFrame"]').first
        grid.scroll_into_view_if_needed()
        box = grid.bounding_box()
        page.mouse.click(box["x"] + 15, box["y"] + 55)  # the day's largest call
        form = page.get_by_role("tabpanel", name="Plan").locator('[data-testid="stForm"]')  # not the Holds tab's
        expect(form).to_be_visible(timeout=60_000)
        form.get_by_role("combobox", name="Outcome").click()
        page.get_by_role("option", name="No response").click()
        form.get_by_role("button", name="Log the contact").click()
        expect(page.get_by_text("Logged with")).to_be_visible(timeout=60_000)
        expect(page.get_by_text("Select a row to log what came of the contact")).to_be_visible()  # selection reset
        message = page.get_by_text("Logged with").inner_text()
    cid = re.search(r"Logged with (\S+):", message).group(1)
    logged = logbook.logged(db.open_database(f"duckdb:///{tmp_path / 'arboard.duckdb'}"), cid)
    # The planned contact's channel and invoices came with the row.
    assert set(logged["channel"]) == {"phone"} and set(logged["outcome"]) == {"no_response"}
    assert logged["invoice_id"].notna().all()
