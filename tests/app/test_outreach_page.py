from __future__ import annotations

import re

from tests.app.conftest import run_page


def test_outreach_page(app_env):
    at = run_page("pages/outreach.py")
    assert not at.exception
    assert at.title[0].value == "Outreach"
    assert any(m.label == "Planned contacts" for m in at.metric)
    assert any("past their playbook's hand-over" in i.value for i in at.info)
    before = next(m.value for m in at.metric if m.label == "Planned contacts")
    at.number_input(key="out_repeat").set_value(0).run()
    assert not at.exception
    assert int(next(m.value for m in at.metric if m.label == "Planned contacts").replace(",", "")) < \
        int(before.replace(",", ""))  # no repeats of the last steps
    at.number_input(key="out_repeat").set_value(3).run()
    assert not at.exception
    assert "Repeat the last step every 7 to 365 days" in at.error[0].value  # said, not silently made 7
    at.number_input(key="out_repeat").set_value(0).run()
    at.number_input(key="out_agents").set_value(0).run()
    assert not at.exception
    at.toggle(key="out_enforce").set_value(False).run()
    assert not at.exception
    assert at.multiselect(key="out_days").value == ["Mon", "Tue", "Wed", "Thu", "Fri"]
    at.multiselect(key="out_days").set_value([]).run()
    assert not at.exception and any("Monday to Friday" in w.value for w in at.warning)
    at.number_input(key="out_instalments").set_value(6).run()  # what payment-plan offers propose
    assert not at.exception


def test_the_plan_counts_sure_matches_of_cash_on_account_as_applied(app_env):
    at = run_page("pages/outreach.py")
    assert at.selectbox(key="out_cash").value == "High"
    said = [c.value for c in at.caption if "most likely paid by cash on account" in c.value]
    assert len(said) == 1, [c.value for c in at.caption]
    paid = next(d.value for d in at.dataframe if "payment_id" in d.value.columns and "applied" in d.value.columns)
    assert len(paid) and set(paid["confidence"]) == {"High"}
    at.selectbox(key="out_cash").set_value("Low").run()
    assert not at.exception
    more = next(d.value for d in at.dataframe if "payment_id" in d.value.columns and "applied" in d.value.columns)
    assert len(more) > len(paid)
    at.selectbox(key="out_cash").set_value("").run()  # remind as the ERP stands
    assert not at.exception
    assert not any("most likely paid by cash on account" in c.value for c in at.caption)


def test_outreach_plan_uses_the_chosen_contact_days(app_env):
    at = run_page("pages/outreach.py")
    at.multiselect(key="out_days").set_value(["Sat"]).run()
    assert not at.exception
    schedule = next(d.value for d in at.dataframe if "message" in d.value.columns)
    assert len(schedule) and all(d.weekday() == 5 for d in schedule["date"])


def test_outreach_holds_tab(app_env):
    at = run_page("pages/outreach.py")
    assert any("No debtor or invoice is on hold" in i.value for i in at.info)
    who = at.selectbox(key="out_who").value  # the first debtor of the plan (its customer number)
    name = at.selectbox(key="out_who").options[0]  # shown by name
    at.text_input(key="out_hold_who").input(who)
    at.text_input(key="out_hold_reason").input("**talks** [x](http://evil)")
    at.button[[b.label for b in at.button].index("Put on hold")].click().run()
    assert not at.exception
    assert any("is on hold until you lift it" in s.value for s in at.success)
    assert any("1 hold keeps" in c.value for c in at.caption)
    assert name not in at.selectbox(key="out_who").options  # out of the plan
    at.button(key="out_lift").click().run()
    assert not at.exception and any("No debtor or invoice is on hold" in i.value for i in at.info)
    at.text_input(key="out_hold_who").input("NOBODY")
    at.button[[b.label for b in at.button].index("Put on hold")].click().run()
    assert any("no debtor" in e.value for e in at.error)


def test_plan_settings_survive_a_look_at_another_page(app_env):
    """Streamlit forgets a widget's value on pages that do not draw it; the plan settings are kept."""
    at = run_page("pages/outreach.py")
    at.number_input(key="out_weeks").set_value(12).run()
    at.toggle(key="out_disputed").set_value(True).run()
    at.switch_page("pages/debtors.py").run()
    assert not at.exception
    at.switch_page("pages/outreach.py").run()
    assert not at.exception
    assert at.number_input(key="out_weeks").value == 12 and at.toggle(key="out_disputed").value


def test_outreach_promises_tab(app_env):
    """Running and broken promises listed; the plan says how many invoices wait, and can stop waiting."""
    at = run_page("pages/outreach.py")
    assert not at.exception
    running = int(next(m.value for m in at.metric if m.label == "Promises running").replace(",", ""))
    assert running > 0 and any(m.label.startswith("Broken in the last 30 days") for m in at.metric)
    kept = next(m.value for m in at.metric if m.label == "Kept, last 90 days")
    assert kept.endswith(" %") and 0 < float(kept.removesuffix(" %")) < 100
    said = f"{running:,} invoice{'' if running == 1 else 's'} of"
    assert any(said in c.value and "for a promise to pay" in c.value for c in at.caption)
    table = next(d.value for d in at.dataframe if "runs_until" in d.value.columns)
    assert len(table) >= running and set(table["kind"]) <= {"Promise to pay", "Payment plan"}
    at.segmented_control(key="out_promises_show").set_value("Broken").run()
    assert not at.exception
    broken = next(d.value for d in at.dataframe if "runs_until" in d.value.columns)
    assert broken["broken"].all()
    assert any("about a broken promise to pay" in c.value for c in at.caption)
    assert "followed_up" in broken.columns
    before = next(m.value for m in at.metric if m.label == "Planned contacts")
    at.toggle(key="out_call_broken").set_value(False).run()
    assert not at.exception
    assert not any("about a broken promise to pay" in c.value for c in at.caption)
    assert any("the plan does not; see Plan settings" in c.value for c in at.caption)
    assert next(m.value for m in at.metric if m.label == "Planned contacts") != before
    at.toggle(key="out_promised").set_value(False).run()
    assert not at.exception
    assert not any("wait for a promise to pay" in c.value for c in at.caption)
    assert any("the plan reminds them anyway" in c.value for c in at.caption)
    assert next(m.value for m in at.metric if m.label == "Planned contacts") != before


def test_the_call_about_a_broken_promise_is_previewed_and_saved(app_env):
    at = run_page("pages/outreach.py")
    at.selectbox(key="out_group").set_value("broken_promise_call").run()
    assert not at.exception
    assert any("its day is not a step's" in c.value for c in at.caption)
    preview = at.code[0].value  # a debtor the plan calls about a broken promise, with what was promised
    assert "promised to pay" in preview and "(promised for " in preview
    at.button(key="out_save").click().run()
    assert not at.exception
    assert any("of the call about a broken promise" in s.value for s in at.success)


def test_the_work_list_of_a_day(app_env):
    at = run_page("pages/outreach.py")
    assert len(at.selectbox(key="out_work_day").options) > 5

    def work_list():  # the table whose rows are all on one day, with the channel chosen
        return [d.value for d in at.dataframe if "message" in d.value.columns and len(d.value)
                and d.value["date"].nunique() == 1 and d.value["customer_id"].nunique() == len(d.value)]
    calls = work_list()[-1]
    assert set(calls["channel"]) == {"phone"} and calls["message"].str.startswith("Call script").all()
    assert "last_note" in calls  # the sample's contacts carry no notes: blank, not missing
    at.segmented_control(key="out_work_channel").set_value("letter").run()
    assert not at.exception
    assert set(work_list()[-1]["channel"]) == {"letter"}
    letters = work_list()[-1]
    assert letters["contact"].str.contains(r"\d").all()  # the postal address, not "on file"
    assert any(b.proto.label.startswith("Print the letters (PDF") for b in at.get("download_button"))
    at.segmented_control(key="out_work_channel").set_value("phone").run()
    everyone = work_list()[-1]
    assert "collector" in everyone and everyone["collector"].notna().any()
    name = everyone["collector"].dropna().iloc[0]
    at.selectbox(key="out_work_collector").set_value(name).run()
    assert not at.exception
    theirs = work_list()[-1]
    assert set(theirs["collector"]) == {name} and len(theirs) == (everyone["collector"] == name).sum()
    at.toggle(key="out_per_collector").set_value(True).run()  # each collector calls their own debtors
    assert not at.exception
    assert "as many for each collector" in next(m.proto.help for m in at.metric
                                                if m.label == "Days over phone capacity")


def test_the_sender_is_saved_and_its_pay_link_goes_into_messages(app_env):
    from arboard import db, sender

    at = run_page("pages/outreach.py")
    at.text_input(key="out_sender_link").input("ftp://nowhere")
    at.button[[b.label for b in at.button].index("Save sender")].click().run()
    assert not at.exception and any("not a web address" in e.value for e in at.error)
    at.text_input(key="out_sender_name").input("Acme & Co")
    at.text_area(key="out_sender_address").input("Road 1\n1000 Town")
    at.text_input(key="out_sender_link").input("https://pay.acme.example/{customer_id}")
    at.button[[b.label for b in at.button].index("Save sender")].click().run()
    assert not at.exception and any("Saved." in s.value for s in at.success)
    engine = db.open_database(app_env)
    try:
        assert sender.load(engine).address == ("Road 1", "1000 Town")
        at.run()
        assert "https://pay.acme.example/" in at.code[0].value  # the preview
    finally:
        sender.save(engine, sender.Sender())  # the session's database is shared by the other page tests
        engine.dispose()


def test_the_team_tab_runs_when_open(app_env):
    at = run_page("pages/outreach.py")
    assert not [d for d in at.tabs[4].dataframe]  # closed: it reads nothing
    at.session_state["out_tab"] = "Team"
    at.run()
    assert not at.exception
    roster = at.tabs[4].dataframe[0].value
    assert {"Katrin Vogel", "contacts", "invoices_promised"} <= set(roster["collector"]) | set(roster.columns)
    assert roster["contacts"].sum() > 0


def test_late_payment_interest_terms_are_saved_and_claimed(app_copy):
    from arboard import db, interest

    at = run_page("pages/outreach.py")
    assert not any("claim late-payment interest" in c.value for c in at.caption)  # no terms, no claims
    at.number_input(key="out_int_rate").set_value(12.15)
    at.number_input(key="out_int_comp").set_value(40.0)
    at.button[[b.label for b in at.button].index("Save terms")].click().run()
    assert not at.exception
    assert any("Saved. Claimed: interest at 12.15% a year" in s.value for s in at.success)
    engine = db.open_database(app_copy)
    try:
        assert interest.load(engine) == interest.InterestTerms(rate=12.15, compensation=40.0)
    finally:
        engine.dispose()
    assert any("claim late-payment interest and compensation" in c.value for c in at.caption)
    assert any("the overdue invoices owe" in c.value and "interest and" in c.value for c in at.caption)
    assert {"Claims per debtor (CSV)", "Claims per debtor (Excel)"} <= {b.label for b in at.get("download_button")}
    # What the payments made late last month earn, per debtor; the lines of the interest invoices to download.
    late = [c.value for c in at.caption if " late in " in c.value and c.value.startswith("From ")]
    assert len(late) == 1 and "interest and" in late[0] and "compensation" in late[0], late
    assert {"Per debtor (CSV)", "Per payment (CSV)", "Per payment (Excel)", "Claims to print (PDF)"} <= {
        b.label for b in at.get("download_button")}
    assert any(df.value.columns.tolist()[:3] == ["customer_id", "name", "currency"] and "claim" in df.value.columns
               for df in at.dataframe)
    at.toggle(key="out_int_with_comp").set_value(False).run()
    assert not at.exception
    assert all(re.search(r"[^\d,.]0\.00 compensation", part) for c in at.caption if c.value.startswith("From ")
               for part in c.value.split(";")), [c.value for c in at.caption if c.value.startswith("From ")]
    period = at.date_input(key="out_int_period")
    period.set_value((period.value[0],)).run()  # the last day not picked yet
    assert not at.exception and any("Pick the period's last day too" in i.value for i in at.info)
    # The Debtors page says what the selected debtor owes.
    at.switch_page("pages/debtors.py")
    at.run()
    at.session_state["ex_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert not at.exception
    assert any(c.value.startswith("Late-payment interest to date: ") for c in at.caption)
    assert any(c.value.startswith("Paid late from ") and "Outreach page lists the interest invoices" in c.value
               for c in at.caption)


def test_interest_claims_are_recorded_as_sent_and_withdrawn(app_copy):
    from arboard import db, interest, interestclaims

    engine = db.open_database(app_copy)
    try:
        interest.save(engine, interest.InterestTerms(rate=12.15, compensation=40.0))
    finally:
        engine.dispose()
    at = run_page("pages/outreach.py")
    still = [c.value for c in at.caption if c.value.startswith("From ") and "still to claim" in c.value]
    assert len(still) == 1 and "Left out" not in still[0]
    assert any("None yet: record a period's claims" in c.value for c in at.caption)
    at.text_input(key="out_claims_by").input("Kat Vogel")
    at.button(key="out_claims_go").click().run()
    assert not at.exception
    done = [s.value for s in at.success if s.value.startswith("Recorded as sent on ")]
    assert len(done) == 1 and "No later claim asks for them again" in done[0], [s.value for s in at.success]
    # The period again: nothing left, and what was claimed said.
    assert any("nothing is left to claim. Left out, as claimed already (recorded as sent): " in i.value
               for i in at.info), [i.value for i in at.info]
    engine = db.open_database(app_copy)
    try:
        listed = interestclaims.batches(engine)
        assert listed["claimed_by"].unique().tolist() == ["Kat Vogel"]
    finally:
        engine.dispose()
    recorded = [df.value for df in at.dataframe if "batch_id" in df.value.columns]
    assert len(recorded) == 1 and len(recorded[0]) == len(listed)
    # Withdrawn: to claim again.
    at.button(key="out_claims_withdraw_go").click().run()
    assert not at.exception
    assert any(s.value.startswith("Withdrawn: ") and "to claim again" in s.value for s in at.success)
    assert any(c.value.startswith("From ") and "still to claim" in c.value for c in at.caption)


def test_interest_rate_changes_are_typed_in(app_copy):
    from arboard import db, interest

    at = run_page("pages/outreach.py")
    at.number_input(key="out_int_rate").set_value(12.15)
    at.number_input(key="out_int_consumer").set_value(8.15)
    at.text_area(key="out_int_changes").input("1.7.2026\t10,15\n2027-01-01 9.65 5.65")
    at.button[[b.label for b in at.button].index("Save terms")].click().run()
    assert not at.exception
    said = "Saved. Claimed: interest at 12.15% a year (consumers 8.15%), 10.15% (consumers 6.15%) from 1 Jul 2026 " \
        "and 9.65% (consumers 5.65%) from 1 Jan 2027, counted from the due date"
    assert any(said in s.value for s in at.success), [s.value for s in at.success]
    assert at.text_area(key="out_int_changes").value == "2026-07-01 10.15 6.15\n2027-01-01 9.65 5.65"
    engine = db.open_database(app_copy)
    try:
        saved = interest.load(engine)
        assert [c.valid_from.isoformat() for c in saved.changes] == ["2026-07-01", "2027-01-01"]
        # A line that is not a rate change: said which and where; the saved terms stay.
        at.text_area(key="out_int_changes").input("2026-07-01 10.15\n2026-31-12 9")
        at.button[[b.label for b in at.button].index("Save terms")].click().run()
        assert not at.exception
        said = [e.value.replace("\\", "") for e in at.error]  # as typed, not markdown-escaped
        assert any('Rate changes, line 2: "2026-31-12" is not a date' in e for e in said), said
        assert interest.load(engine) == saved
    finally:
        engine.dispose()
