from __future__ import annotations

from tests.app.conftest import open_link, run_page


def test_explorer_filters(app_env):
    at = run_page("pages/debtors.py")
    assert not at.exception
    assert at.title[0].value == "Debtors"
    labels = [b.proto.label for b in at.get("download_button")]
    assert any(label.startswith("Statements of account (PDF, ") for label in labels)  # a statement run
    at.multiselect(key="ex_groups").set_value(["wont_pay"]).run()
    assert not at.exception
    at.text_input(key="ex_text").set_value("zz-nobody").run()
    assert not at.exception
    assert "Statements of account (PDF, 0)" in [b.proto.label for b in at.get("download_button")]
    assert "**0** of" in at.caption[0].value or any("**0** of" in c.value for c in at.caption)
    at.toggle(key="ex_risk").set_value(True).run()
    assert not at.exception


def test_explorer_filters_live_in_the_url_but_not_the_search(app_env):
    at = run_page("pages/debtors.py")
    at.multiselect(key="ex_groups").set_value(["wont_pay", "unable_to_pay"]).run()
    at.number_input(key="ex_dpd").set_value(30).run()
    at.toggle(key="ex_disputed").set_value(True).run()
    at.text_input(key="ex_text").set_value("Müller GmbH").run()
    assert not at.exception
    params = at.query_params
    assert params["group"] == ["wont_pay", "unable_to_pay"] and params["dpd"] == "30" and params["disputed"] == "1"
    assert "Müller" not in str(dict(params))  # the free-text search may be a name: never in the link
    caption = next(c.value for c in at.caption if "debtors with an open balance match" in c.value)

    # "Atlantis" is not in the data: ignored, not an error.
    fresh = open_link("pages/debtors.py", {**{k: params[k] for k in ("group", "dpd", "disputed")},
                                           "country": ["Atlantis"]})
    assert not fresh.exception
    assert fresh.multiselect(key="ex_groups").value == ["wont_pay", "unable_to_pay"]
    assert fresh.number_input(key="ex_dpd").value == 30
    assert fresh.toggle(key="ex_disputed").value is True
    assert fresh.multiselect(key="ex_countries").value == []
    fresh_caption = next(c.value for c in fresh.caption if "debtors with an open balance match" in c.value)
    # The link has no search text, so it lists at least what the search narrowed down.
    assert int(fresh_caption.split("**")[1].replace(",", "")) >= int(caption.split("**")[1].replace(",", ""))


def test_sorting_orders_every_match_and_travels_in_the_link(app_env):
    at = run_page("pages/debtors.py")
    at.selectbox(key="ex_sort").set_value("days_past_due").run()
    at.toggle(key="ex_asc").set_value(True).run()
    assert not at.exception
    listed = at.dataframe[0].value
    assert listed["days_past_due"].is_monotonic_increasing
    assert at.query_params["sort"] == "days_past_due" and at.query_params["asc"] == "1"

    for sort, expected in (("days_past_due", "days_past_due"), ("'; DROP TABLE invoices", "overdue")):
        fresh = open_link("pages/debtors.py", {"sort": sort})
        assert not fresh.exception
        assert fresh.selectbox(key="ex_sort").value == expected
        assert fresh.dataframe[0].value[expected].is_monotonic_decreasing


def test_explorer_filters_on_promises(app_env):
    at = run_page("pages/debtors.py")
    at.multiselect(key="ex_promise").set_value(["broken"]).run()
    assert not at.exception
    assert at.query_params["promise"] in ("broken", ["broken"])  # one value reads back as a string
    listed = next(d.value for d in at.dataframe if "promise" in d.value.columns)
    assert len(listed) and set(listed["promise"]) == {"Broken"} and listed["promised_for"].notna().all()


def test_the_debtors_nobody_works_are_shared_out(app_env):
    from arboard import collectors, db, explorer
    from tests.conftest import SMALL_SAMPLE

    at = run_page("pages/debtors.py")
    at.multiselect(key="ex_collectors").set_value([collectors.NO_COLLECTOR]).run()
    assert not at.exception
    listed = at.dataframe[0].value
    assert len(listed) and listed["collector"].isna().all()
    assert "collector" not in str(dict(at.query_params))  # collectors are people: not in the link
    at.multiselect(key="assign_among").set_value(["Katrin Vogel", "Elena Ruiz"]).run()
    preview = next(d.value for d in at.dataframe if "debtors_after" in d.value.columns)
    assert preview.set_index("collector").loc[["Katrin Vogel", "Elena Ruiz"], "debtors_after"].sum() \
        == preview.set_index("collector").loc[["Katrin Vogel", "Elena Ruiz"], "debtors_before"].sum() + len(listed)
    at.button(key="assign_go").click().run()
    assert not at.exception and any("Assigned" in s.value for s in at.success)
    engine = db.open_database(app_env)
    try:
        table = explorer.debtor_table(engine, SMALL_SAMPLE.end)
        moved = table[table["customer_id"].isin(listed["customer_id"])]
        assert set(moved["collector"]) <= {"Katrin Vogel", "Elena Ruiz"} and len(moved) == len(listed)
    finally:  # the session's database is shared by the other page tests
        collectors.assign(engine, dict.fromkeys(listed["customer_id"]))
        engine.dispose()


def test_a_link_lists_the_debtors_over_their_credit_limit(app_env):
    fresh = open_link("pages/debtors.py", {"limit": "100", "sort": "utilisation"})
    assert not fresh.exception
    listed = fresh.dataframe[0].value
    assert len(listed) and (listed["utilisation"] >= 1).all() and listed["utilisation"].is_monotonic_decreasing
    assert any("owe more than their credit limit" in c.value for c in fresh.caption)


def test_a_debtor_is_placed_on_hold_by_hand_and_released(app_copy):
    from datetime import date

    from arboard import creditholds, db

    at = run_page("pages/debtors.py")
    at.session_state["ex_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    who = at.dataframe[0].value.iloc[0]["customer_id"]
    at.button(key=f"hold_one_place_go_{who}").click().run()  # no reason: refused, nothing recorded
    assert not at.exception and any("Say why" in e.value for e in at.error)
    at.text_input(key=f"hold_one_why_{who}").set_value("Insolvency filed")
    at.text_input(key=f"hold_one_by_{who}").set_value("Ann")
    at.button(key=f"hold_one_place_go_{who}").click().run()
    assert not at.exception and any("placed on credit hold" in s.value for s in at.success)
    engine = db.open_database(app_copy)
    try:
        held = creditholds.placed(engine, date.today(), customer_id=who)
        assert held[["reason", "placed_by", "by_hand"]].values.tolist() == [["Insolvency filed", "Ann", True]]
    finally:
        engine.dispose()
    assert any("placed by hand" in c.value for c in at.caption)
    at.button(key=f"hold_one_release_go_{who}").click().run()
    assert not at.exception and any("released" in s.value for s in at.success)


def test_a_debtor_is_provided_for_one_by_one_on_its_page(app_copy):
    from arboard import db, impairments

    at = run_page("pages/debtors.py")
    at.session_state["ex_table_0"] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    who = at.dataframe[0].value.iloc[0]["customer_id"]
    at.text_input(key=f"prov_one_why_{who}").set_value("Claim with the lawyers")
    at.number_input(key=f"prov_one_rate_{who}").set_value(50.0)
    at.button(key=f"prov_one_go_{who}").click().run()
    assert not at.exception and any("provided for at 50%" in s.value for s in at.success)
    assert any("Provided for one by one at 50%" in c.value for c in at.caption)
    engine = db.open_database(app_copy)
    try:
        assert impairments.current(engine, who)["reason"] == "Claim with the lawyers"
    finally:
        engine.dispose()
