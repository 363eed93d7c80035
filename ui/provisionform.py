"""Specific provisions (arboard.impairments): provide for one debtor at its own rate, change it, end it."""

from __future__ import annotations

from datetime import date

import streamlit as st

from arboard import collectors, impairments
from ui import state
from ui.format import md
from ui.logform import attempt, flash


def one(customer_id: str, as_of: date, *, key: str = "prov_one") -> None:
    """An expander on a debtor's page: its specific provision as it stands, and the forms to record one,
    change its rate or end it."""
    shown = st.session_state.get(f"log_flash_{key}") is not None
    with st.expander("Specific provision", expanded=shown):
        flash(key)
        forms(customer_id, as_of, key=key)


def forms(customer_id: str | None, as_of: date, *, key: str) -> None:
    """The forms for one debtor, or (``customer_id`` None) with a field to name the debtor."""
    engine = state.engine()
    today = date.today()
    running = impairments.current(engine, customer_id) if customer_id else None
    if running is not None:
        since = running["assessed_on"]
        st.caption(f"Provided for one by one at {running['rate']:g}% of its open invoices since {since:%d %b %Y}: "
                   f"{md(running['reason'])}. It is outside the provision matrix until the provision ends. A new "
                   "rate (the administrator's estimate of the dividend, say) replaces this one from its date.")
    else:
        st.caption("When a debtor is impaired on its own (an insolvency filed, a claim with the lawyers), provide "
                   "for it at a rate of its own instead of its buckets' loss rates: it leaves the provision matrix, "
                   "so nothing is provided for twice. Say why: the Bad-debt provision page and the debtor's "
                   "history show it to the auditors.")
    suffix = customer_id or "any"
    with st.form(f"{key}_assess_{suffix}", clear_on_submit=True):
        f = st.columns([1.2] * (customer_id is None) + [0.8, 1, 2, 1.3], vertical_alignment="bottom")
        who = f.pop(0).text_input("Debtor ID", key=f"{key}_who") if customer_id is None else customer_id
        rate = f[0].number_input("Rate, %", 0.0, 100.0, 100.0 if running is None else running["rate"], step=5.0,
                                 format="%.2f", key=f"{key}_rate_{suffix}")
        on = f[1].date_input("From", value=min(as_of, today), max_value=today, key=f"{key}_on_{suffix}")
        reason = f[2].text_input("Why", max_chars=impairments.REASON_MAX, placeholder="e.g. Insolvency filed",
                                 key=f"{key}_why_{suffix}")
        by = f[3].text_input("By", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel",
                             key=f"{key}_by_{suffix}")
        label = "Record the new rate" if running is not None else "Provide for it one by one"
        if st.form_submit_button(label, key=f"{key}_go_{suffix}"):
            later = f" The provision counts it once the as-of date reaches {on:%d %b %Y}." if on > as_of else ""
            attempt(key, lambda: impairments.assess(engine, who, rate=rate, reason=reason, on=on, today=today,
                                                    by=by or None),
                    f"{md(who.strip())} is provided for at {rate:g}% from {on:%d %b %Y}.{later}")
    if running is not None:
        end_form(customer_id, as_of, key=key)


def end_form(customer_id: str, as_of: date, *, key: str) -> None:
    """The form that ends a debtor's specific provision (back to the matrix); nothing without one."""
    engine, today = state.engine(), date.today()
    running = impairments.current(engine, customer_id)
    if running is None:
        return
    since = running["assessed_on"]
    with st.form(f"{key}_end_{customer_id}", clear_on_submit=True):
        f = st.columns([1, 1.4, 1.6], vertical_alignment="bottom")
        on = f[0].date_input("Ended on", value=max(since, min(as_of, today)), min_value=since, max_value=today,
                             key=f"{key}_endon_{customer_id}")
        by = f[1].text_input("By", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel",
                             key=f"{key}_endby_{customer_id}")
        if f[2].form_submit_button("End it: back to the matrix", key=f"{key}_end_go_{customer_id}"):
            attempt(key, lambda: impairments.end(engine, customer_id, on=on, today=today, by=by or None),
                    f"{md(customer_id)}: the specific provision ends on {on:%d %b %Y}; from then on the debtor is "
                    "in the provision matrix.")
