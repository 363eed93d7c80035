"""The Credit holds page: the list of whom to hold and release, recording holds and releases."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from tests.app.conftest import run_page


def _count(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_holds_are_listed_placed_and_released(app_env):
    from arboard import creditholds, db, schema

    at = run_page("pages/credit-holds.py")
    assert not at.exception
    assert at.title[0].value == "Credit holds"
    counts = _count(at)
    assert set(counts) == {"To place on hold", "Can be released", "On hold", "Exempt"} and counts["On hold"] == "0"
    listed = at.dataframe[0].value
    assert len(listed) == int(counts["To place on hold"].replace(",", "")) and listed["why"].str.len().gt(0).all()
    engine = db.open_database(app_env)
    try:
        at.text_input(key="ch_by").set_value("Ann").run()
        # An exempt debtor is listed apart, with the reason; lifting it from the page lists it again.
        as_of = at.session_state["as_of"]
        creditholds.exempt(engine, [listed["customer_id"].iloc[0]], reason="Key account", by="Ann",
                           on=min(as_of, date.today()))
        at.run()
        assert _count(at)["Exempt"] == "1"
        at.session_state["ch_status"] = "exempt"
        at.run()
        assert at.dataframe[0].value["exemption"].tolist() == ["Key account · by Ann"]
        at.button(key="ch_lift").click().run()
        assert not at.exception and any("Exemption lifted on" in s.value and "1 debtor." in s.value
                                        for s in at.success)
        at.session_state["ch_status"] = "place"
        at.run()
        assert _count(at) == counts
        at.button(key="ch_place").click().run()  # nothing selected: every debtor listed
        assert not at.exception and any("Recorded as placed on hold" in s.value for s in at.success)
        after = _count(at)
        assert after["On hold"] == counts["To place on hold"] and after["To place on hold"] == "0"
        assert any("Nobody is to be placed on hold" in i.value for i in at.info)
        at.session_state["ch_status"] = "on_hold"
        at.run()
        held = at.dataframe[0].value
        assert len(held) == len(listed) and (held["placed_by"] == "Ann").all()
        # Both rules off: everyone on hold can be released.
        at.toggle(key="ch_steps").set_value(False).run()
        at.number_input(key="ch_limit").set_value(0).run()
        assert not at.exception and any("Both rules are off" in i.value for i in at.info)
        assert _count(at)["Can be released"] == counts["To place on hold"]
        at.session_state["ch_status"] = "release"
        at.run()
        at.button(key="ch_release").click().run()
        assert not at.exception and any("Recorded as released" in s.value for s in at.success)
        assert _count(at)["Can be released"] == "0"
        with engine.connect() as conn:
            assert conn.execute(sa.select(sa.func.count()).where(schema.credit_holds.c.released_on.is_(None))
                                .select_from(schema.credit_holds)).scalar() == 0
    finally:  # the session's database is shared by the other page tests
        with engine.begin() as conn:
            conn.execute(sa.delete(schema.credit_holds))
            conn.execute(sa.delete(schema.credit_hold_exemptions))
            conn.execute(sa.delete(schema.credit_hold_exemptions_lifted))
        engine.dispose()
