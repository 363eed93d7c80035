"""The Unapplied cash page: the sample's payments on account, its settings, and its empty states."""

from __future__ import annotations

import os
from datetime import date

import pandas as pd

from tests.app.conftest import ROOT, run_page


def test_unapplied_cash_page(app_env):
    at = run_page("pages/unapplied.py")
    assert not at.exception
    assert at.title[0].value == "Unapplied cash"
    labels = [m.label for m in at.metric]
    assert labels == ["Cash on account", "Matched to open items", "Overdue they would clear",
                      "Debtors with nothing overdue left"]
    listed = at.dataframe[0].value
    assert len(listed) and (listed["invoice_count"] > 0).all()  # matched first by default
    assert {"Exact amount", "Named in the reference"} <= set(listed["match"])
    assert listed["reference"].notna().any()  # the remittance text, beside the note
    at.segmented_control(key="ua_show").set_value("none").run()
    assert not at.exception
    assert at.dataframe[0].value["match"].isin(["No match", "Paid twice?"]).all()
    at.slider(key="ua_tolerance").set_value(0.0).run()
    at.multiselect(key="ua_discounts").set_value([]).run()
    assert not at.exception
    at.segmented_control(key="ua_show").set_value("all").run()
    strict = at.dataframe[0].value
    assert not strict["match"].isin(["Short payment", "Overpayment", "Less a cash discount"]).any()
    # One collector's payments, one confidence.
    who = strict["collector"].dropna().iloc[0]
    at.multiselect(key="ua_collectors").set_value([who]).run()
    at.pills(key="ua_confidence").set_value(["High"]).run()
    assert not at.exception
    mine = at.dataframe[0].value
    assert len(mine) and (mine["collector"] == who).all() and (mine["confidence"] == "High").all()
    at.pills(key="ua_confidence").set_value(["—"]).run()
    at.segmented_control(key="ua_show").set_value("matched").run()
    assert at.dataframe[0].value.empty
    assert any(c.value == "No payment is matched with that confidence: pick another view above." for c in at.caption)
    at.multiselect(key="ua_collectors").set_value([]).run()
    at.pills(key="ua_confidence").set_value([]).run()
    at.selectbox(key="currency").set_value("USD").run()
    assert not at.exception
    assert (at.dataframe[0].value["currency"] == "USD").all()


def _ledger(monkeypatch, tmp_path, payments):
    from arboard import db
    from tests.conftest import write_ledger

    url = f"duckdb:///{tmp_path / 'cash.duckdb'}"
    engine = db.open_database(url)
    invoices = pd.DataFrame({"invoice_id": ["I1", "I2"], "customer_id": ["C1", "C1"],
                             "invoice_date": [date(2026, 9, 1), date(2026, 9, 20)],
                             "due_date": [date(2026, 10, 1), date(2026, 10, 20)], "amount": [500.0, 200.0],
                             "currency": ["EUR", "EUR"]})
    write_ledger(engine, invoices=invoices, **({"payments": payments} if payments is not None else {}))
    engine.dispose()
    monkeypatch.setenv("ARBOARD_DB_URL", url)
    monkeypatch.chdir(ROOT)


def test_no_payments_loaded_is_explained(monkeypatch, tmp_path):
    _ledger(monkeypatch, tmp_path, None)
    at = run_page("pages/unapplied.py")
    assert not at.exception
    assert "No payments are loaded" in at.info[0].value


def test_all_payments_applied_is_explained(monkeypatch, tmp_path):
    _ledger(monkeypatch, tmp_path, pd.DataFrame({
        "payment_id": ["P1"], "invoice_id": ["I1"], "customer_id": ["C1"], "payment_date": [date(2026, 10, 5)],
        "amount": [200.0], "currency": ["EUR"]}))
    at = run_page("pages/unapplied.py")
    assert not at.exception
    assert "every payment received is applied" in at.info[0].value


def test_a_payment_on_account_is_matched(monkeypatch, tmp_path):
    _ledger(monkeypatch, tmp_path, pd.DataFrame({
        "payment_id": ["P1"], "invoice_id": [None], "customer_id": ["C1"], "payment_date": [date(2026, 10, 5)],
        "amount": [500.0], "currency": ["EUR"]}))
    at = run_page("pages/unapplied.py")
    assert not at.exception
    row = at.dataframe[0].value.iloc[0]
    assert (row["match"], row["invoices"], row["confidence"]) == ("Exact amount", "I1", "High")
    assert at.metric[3].value == "1"  # I2 falls due after the as-of date (5 October, the last payment)
    # The debtor's own page says so before anyone calls about I1.
    at = run_page("pages/debtors.py")
    at.session_state["ex_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any("Cash on account: €500.00 received 05 Oct 2026, most likely for I1 (exact amount, high confidence)"
               in c.value for c in at.caption), [c.value for c in at.caption]


def test_overview_and_aging_say_what_cash_on_account_pays(monkeypatch, tmp_path):
    _ledger(monkeypatch, tmp_path, pd.DataFrame({
        "payment_id": ["P1"], "invoice_id": [None], "customer_id": ["C1"], "payment_date": [date(2026, 10, 25)],
        "amount": [500.0], "currency": ["EUR"]}))
    at = run_page()  # as of 25 October, the last payment: both invoices overdue, I1 paid on account
    assert not at.exception
    top = at.dataframe[0].value.set_index("customer_id")
    assert (top.loc["C1", "overdue"], top.loc["C1", "overdue_paid"]) == (700, 500)
    assert any("Cash on account most likely pays €500.00 of the overdue of 1 debtor here" in c.value
               for c in at.caption), [c.value for c in at.caption]
    at.switch_page("pages/aging.py").run()
    assert not at.exception
    row = next(df.value for df in at.dataframe if "overdue_paid" in df.value).set_index("customer_id").loc["C1"]
    assert (row["overdue"], row["overdue_paid"]) == (700, 500)
    assert any("Cash on account most likely pays 500 EUR of what is overdue" in c.value for c in at.caption), \
        [c.value for c in at.caption]
    at.switch_page("pages/debtors.py").run()
    assert not at.exception
    assert at.dataframe[0].value.set_index("customer_id").loc["C1", "overdue_paid"] == 500
    # The forecast does not expect that money again: only I2 is to come.
    at.switch_page("pages/forecast.py").run()
    assert not at.exception
    assert [m.value for m in at.metric][3] == "€200"
    assert any("Left out: €500.00 of open invoices that cash on account most likely paid already (1 invoice in "
               "full" in c.value for c in at.caption), [c.value for c in at.caption]
    # Nor does the What-if page's baseline; its open AR by group is I2's.
    at.switch_page("pages/whatif.py").run()
    assert not at.exception
    assert any("Cash on account most likely paid €500.00 of the open invoices already (1 invoice in full)"
               in c.value for c in at.caption), [c.value for c in at.caption]
    assert at.dataframe[-1].value["open_invoices"].sum() == 200


def test_overview_and_aging_without_payments(monkeypatch, tmp_path):
    _ledger(monkeypatch, tmp_path, None)
    at = run_page()
    at.date_input(key="as_of").set_value(date(2026, 10, 25)).run()
    assert not at.exception
    assert at.dataframe[0].value["overdue_paid"].eq(0).all()
    assert not any("Cash on account" in c.value for c in at.caption)
    at.switch_page("pages/aging.py").run()
    assert not at.exception
    at.switch_page("pages/debtors.py").run()
    assert not at.exception
    assert "overdue_paid" not in at.dataframe[0].value
    at.switch_page("pages/whatif.py").run()
    assert not at.exception
    assert not any("Cash on account" in c.value for c in at.caption)


def test_a_proposal_is_confirmed_or_rejected_on_the_page(monkeypatch, tmp_path):
    _ledger(monkeypatch, tmp_path, pd.DataFrame({
        "payment_id": ["P1"], "invoice_id": [None], "customer_id": ["C1"], "payment_date": [date(2026, 10, 25)],
        "amount": [500.0], "currency": ["EUR"]}))
    plan = run_page("pages/outreach.py")  # the plan, read before the decision (its inputs are cached)
    assert any("most likely paid by cash on account" in c.value for c in plan.caption)
    at = run_page("pages/unapplied.py")
    assert not at.exception
    assert at.button(key="ua_reject").disabled  # nothing ticked
    at.session_state["ua_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.text_input(key="ua_by").set_value("Katrin Vogel")
    at.run()
    at.button(key="ua_reject").click().run()
    assert not at.exception
    assert "Rejected: 1 proposal. Every page now counts it as not applied." in at.success[0].value
    row = at.dataframe[0].value.iloc[0]
    assert row["decision"] == "Rejected" and row["decided"].startswith("Rejected by Katrin Vogel on ")
    # The Overview no longer counts the overdue as paid on account, nor the forecast the invoice as in.
    over = run_page()
    assert not over.exception
    assert over.dataframe[0].value.set_index("customer_id").loc["C1", "overdue_paid"] == 0
    over.switch_page("pages/forecast.py").run()
    assert [m.value for m in over.metric][3] == "€700"
    plan = run_page("pages/outreach.py")  # nor does the plan: I1 is reminded again
    assert not plan.exception
    assert not any("most likely paid by cash on account" in c.value for c in plan.caption)
    # Taken back, it counts again.
    at.session_state["ua_table_1"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="ua_undo").click().run()
    assert not at.exception and "Took back 1 decision." in at.success[0].value
    assert at.dataframe[0].value.iloc[0]["decision"] == ""
    over = run_page()
    assert over.dataframe[0].value.set_index("customer_id").loc["C1", "overdue_paid"] == 500


def test_the_match_rules_are_saved_for_every_page(monkeypatch, tmp_path):
    from arboard import db, unapplied

    _ledger(monkeypatch, tmp_path, pd.DataFrame({
        "payment_id": ["P1"], "invoice_id": [None], "customer_id": ["C1"], "payment_date": [date(2026, 10, 25)],
        "amount": [495.0], "currency": ["EUR"]}))
    at = run_page("pages/unapplied.py")
    assert not at.exception and not at.warning
    assert at.dataframe[0].value.iloc[0]["match"] == "Short payment"  # 1% short: Low, counted once confirmed
    at.session_state["ua_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    at.button(key="ua_confirm").click().run()
    assert not at.exception
    assert run_page().dataframe[0].value.set_index("customer_id").loc["C1", "overdue_paid"] == 500
    # Exact amounts only, tried on the page: the other pages keep the saved rules, and nobody decides on
    # proposals those rules do not make.
    at.slider(key="ua_tolerance").set_value(0.0).run()
    assert not at.exception
    assert "Trying other rules than the saved ones (short or over by up to 1%, cash discounts of 2% and 3%)" \
        in at.warning[0].value
    assert "Under these rules 1 decision no longer fits its proposal (Outdated below)" in at.warning[0].value
    assert at.button(key="ua_undo_outdated").disabled  # the saved rules' proposal still fits it
    at.session_state["ua_table_1"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()  # the matched list is empty now: a selection left over counts for nothing
    assert not at.exception and at.button(key="ua_confirm").disabled
    at.segmented_control(key="ua_show").set_value("all").run()
    at.session_state["ua_table_1"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert at.button(key="ua_confirm").disabled and at.button(key="ua_reject").disabled
    assert run_page().dataframe[0].value.set_index("customer_id").loc["C1", "overdue_paid"] == 500
    # Saved: every page matches so; the confirmed short payment is a proposal no more.
    at.button(key="ua_save_rules").click().run()
    assert not at.exception and not at.warning
    assert at.success[0].value == ("Saved: every page now matches with short or over by up to 0%, cash discounts of "
                                   "2% and 3%.")
    engine = db.open_database(os.environ["ARBOARD_DB_URL"])
    assert unapplied.saved_settings(engine).tolerance == 0.0
    engine.dispose()
    assert run_page().dataframe[0].value.set_index("customer_id").loc["C1", "overdue_paid"] == 0
    again = run_page("pages/unapplied.py")  # another session starts from the saved rules
    assert not again.exception and not again.warning
    assert again.slider(key="ua_tolerance").value == 0.0
    again.segmented_control(key="ua_show").set_value("all").run()
    assert again.dataframe[0].value.iloc[0]["match"] == "No match"
    # The confirmation was of the short payment: outdated now, and taken back with the others at once.
    assert again.dataframe[0].value.iloc[0]["decision"] == "Outdated"
    said = "1 decision no longer fits its proposal (the ledger or the saved rules changed since)"
    assert any(m.value.startswith(said) for m in again.markdown)
    outdated = again.button(key="ua_undo_outdated")
    assert outdated.label == "Take back the 1 outdated" and not outdated.disabled
    outdated.click().run()
    assert not again.exception and again.success[0].value == "Took back 1 outdated decision."
    assert again.dataframe[0].value.iloc[0]["decision"] == ""
    assert not any(b.key == "ua_undo_outdated" for b in again.button)
