"""One debtor's credit hold (arboard.creditholds): place it by hand, or record its release."""

from __future__ import annotations

from datetime import date

import streamlit as st

from arboard import collectors, creditholds
from ui import state
from ui.format import md
from ui.logform import attempt, flash


def one(customer_id: str, as_of: date, *, key: str = "hold_one") -> None:
    """An expander to place this debtor on credit hold by decision, or to record the release of its hold."""
    engine = state.engine()
    today = date.today()
    held = creditholds.placed(engine, today, customer_id=customer_id)  # the register as it stands today
    spared = creditholds.exemptions(engine, customer_id=customer_id)
    shown = st.session_state.get(f"log_flash_{key}") is not None
    with st.expander("Credit hold", expanded=shown):
        flash(key)
        if len(held):
            h = held.iloc[0]
            st.caption(f"On hold since {h['placed_on']:%d %b %Y}"
                       + (" (placed by hand: it stays until released)" if h["by_hand"] else " (on a rule)")
                       + ". Record the release when you lift the order block in the ERP.")
            with st.form(f"{key}_release_{customer_id}", clear_on_submit=True):
                f = st.columns([1, 1.4, 1.2], vertical_alignment="bottom")
                on = f[0].date_input("Released on", value=today, min_value=h["placed_on"].date(), max_value=today,
                                     key=f"{key}_off_{customer_id}")
                by = f[1].text_input("By", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel",
                                     key=f"{key}_offby_{customer_id}")
                if f[2].form_submit_button("Record the release", key=f"{key}_release_go_{customer_id}"):
                    attempt(key, lambda: creditholds.release(engine, [customer_id], on=on, today=today,
                                                             by=by or None),
                            f"{md(customer_id)}: hold recorded as released on {on:%d %b %Y}.")
            return
        if len(spared):
            why = spared.iloc[0]["reason"]
            st.caption(f"Exempt from credit holds{': ' + md(why) if isinstance(why, str) else ''}. Lift the exemption "
                       "on the Credit holds page to place this debtor on hold.")
            return
        st.caption("Block further sales on credit by decision, not on a rule (an insolvency filed, a bounced "
                   "cheque): set the order block in the ERP and record it here. A hold placed by hand stays until "
                   "you release it; the Credit holds page lists it with the holds the rules ask for.")
        with st.form(f"{key}_place_{customer_id}", clear_on_submit=True):
            f = st.columns([1, 2, 1.4, 1.2], vertical_alignment="bottom")
            on = f[0].date_input("Placed on", value=min(as_of, today), max_value=today, key=f"{key}_on_{customer_id}")
            reason = f[1].text_input("Why", max_chars=creditholds.REASON_MAX, placeholder="e.g. Insolvency filed",
                                     key=f"{key}_why_{customer_id}")
            by = f[2].text_input("By", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel",
                                 key=f"{key}_by_{customer_id}")
            if f[3].form_submit_button("Record the hold", key=f"{key}_place_go_{customer_id}"):
                later = f" The pages count it once the as-of date reaches {on:%d %b %Y}." if on > as_of else ""
                attempt(key, lambda: creditholds.place(engine, [customer_id], on=on, today=today, reason=reason,
                                                       by=by or None, by_hand=[customer_id]),
                        f"{md(customer_id)} recorded as placed on credit hold on {on:%d %b %Y}.{later}")

