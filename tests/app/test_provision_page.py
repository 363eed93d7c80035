"""The Bad-debt provision page: the matrix on the sample, a policy saved from the form, a refused one."""

from __future__ import annotations

from tests.app.conftest import run_page


def test_provision_page_shows_the_matrix_and_saves_a_policy(app_copy):
    from arboard import db, provision

    at = run_page("pages/provision.py")
    assert not at.exception
    assert at.title[0].value == "Bad-debt provision"
    labels = [m.label for m in at.metric]
    assert labels[:2] == ["Provision", "Coverage"] and labels[3] == "Written off, last 12 months"
    matrix = next(d.value for d in at.dataframe if "applied_rate" in d.value.columns)
    assert matrix["bucket"].tolist() == ["Not due", "1–30", "31–60", "61–90", "91–120", "Over 120"]
    assert (matrix["applied_rate"] > 0).any() and matrix["applied_rate"].is_monotonic_increasing
    debtors = next(d.value for d in at.dataframe if "oldest_bucket" in d.value.columns)
    assert debtors["provision"].is_monotonic_decreasing
    # A refused policy: a message, nothing saved.
    at.text_input(key="prov_edges").set_value("30, x")
    save = lambda: next(b for b in at.button if b.label == "Save policy").click().run()  # noqa: E731
    save()
    assert not at.exception and "whole numbers of days" in at.error[0].value
    engine = db.open_database(app_copy)
    try:
        assert provision.load(engine) == provision.ProvisionPolicy()
    finally:
        engine.dispose()
    # A saved one: an outlook of +20% and new edges (which start every bucket from history).
    at.text_input(key="prov_edges").set_value("30, 90")
    at.number_input(key="prov_outlook").set_value(20.0)
    save()
    assert not at.exception and "Saved." in at.success[0].value and "+20%" in at.success[0].value
    matrix = next(d.value for d in at.dataframe if "applied_rate" in d.value.columns)
    assert matrix["bucket"].tolist() == ["Not due", "1–30", "31–90", "Over 90"]
    engine = db.open_database(app_copy)
    try:
        assert provision.load(engine) == provision.ProvisionPolicy(outlook=20.0, edges=(30, 90))
    finally:
        engine.dispose()
    # Another currency: still no exception.
    at.selectbox(key="currency").set_value("USD").run()
    assert not at.exception


def test_a_debtor_is_provided_for_one_by_one_and_back_in_the_matrix(app_copy):
    from arboard import db, impairments

    at = run_page("pages/provision.py")
    debtors = next(d.value for d in at.dataframe if "oldest_bucket" in d.value.columns)
    who = debtors.iloc[0]["customer_id"]
    provision_before = debtors.iloc[0]["provision"]
    assert any("No debtor is provided for one by one" in c.value for c in at.caption)
    at.text_input(key="prov_page_who").set_value(who)
    at.button(key="prov_page_go_any").click().run()  # no reason: refused, nothing recorded
    assert not at.exception and any("Say why" in e.value for e in at.error)
    at.text_input(key="prov_page_who").set_value(who)
    at.text_input(key="prov_page_why_any").set_value("Insolvency filed")
    at.number_input(key="prov_page_rate_any").set_value(80.0)
    at.button(key="prov_page_go_any").click().run()
    assert not at.exception and any(f"{who} is provided for at 80%" in s.value for s in at.success)
    specific = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert specific[["customer_id", "rate", "reason"]].values.tolist() == [[who, 80.0, "Insolvency filed"]]
    row = next(d.value for d in at.dataframe if "basis" in d.value.columns).set_index("customer_id").loc[who]
    assert row["basis"] == "Specific provision, 80%: Insolvency filed"
    assert row["provision"] == round(row["open"] * 0.8, 2) != provision_before
    # Ended: back in the matrix.
    at.selectbox(key="prov_end_who").set_value(who).run()
    at.button(key=f"prov_page_end_go_{who}").click().run()
    assert not at.exception and any("the specific provision ends" in s.value for s in at.success)
    engine = db.open_database(app_copy)
    try:
        assert impairments.current(engine, who) is None and len(impairments.assessments(engine)) == 1
    finally:
        engine.dispose()
