"""A user removes the sample the first start made, uploads an ERP export with German column names, confirms
the mapping and sees it loaded."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import ARTIFACTS

pytestmark = pytest.mark.e2e

EXPORT = (
    "Kunde;Rechnungsnr;Rechnungsdatum;Fälligkeit;Betrag;Währung;Zahlungsdatum\n"
    "K-001;R-1001;03.01.2026;02.02.2026;1.234,56;EUR;01.02.2026\n"
    "K-002;R-1002;15.01.2026;14.02.2026;99,90;EUR;\n"
    "K-003;R-1003;20.02.2026;22.03.2026;12.000,00;EUR;\n"
)


def test_upload_confirm_and_see_summary(page, app_server, tmp_path):
    from playwright.sync_api import expect

    f = tmp_path / "offene_posten.csv"
    f.write_bytes(EXPORT.encode("cp1252"))
    page.goto(app_server + "/data")  # a deep link, on the server's very first request
    expect(page.get_by_role("heading", name="Data")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("The database holds the sample ledger")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Remove the sample ledger").click()
    expect(page.get_by_text("No invoices are loaded yet")).to_be_visible(timeout=30_000)
    page.locator("input[type=file]").set_input_files(str(f))
    expect(page.get_by_text("Column mapping")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("D.M.YYYY").first).to_be_visible()
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_text("0 would be rejected")).to_be_visible(timeout=30_000)
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_text("Imported 3 of 3 rows of invoices")).to_be_visible(timeout=60_000)
    expect(page.get_by_text("What is loaded")).to_be_visible()
    expect(page.get_by_text("Invoices dated 03 Jan 2026 to 20 Feb 2026")).to_be_visible()  # theirs alone
    assert not page.get_by_text("The database held the sample ledger").count()
    ARTIFACTS.mkdir(exist_ok=True)
    page.get_by_text("Imported 3 of 3 rows of invoices").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "import-flow.png"), full_page=True)
