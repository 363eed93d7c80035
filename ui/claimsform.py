"""Interest claims recorded as sent (arboard.interestclaims): record a period's claims once they have
gone out, list the recordings, withdraw one made by mistake."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from arboard import collectors, interest, interestclaims
from ui import cache, state
from ui.format import count, md, money
from ui.logform import attempt

RECORDINGS_LISTED = 200


def left_out(claimed: pd.DataFrame) -> str:
    """A sentence on what the recorded claims asked for already in a period (``claimed``, from
    :func:`arboard.interestclaims.claimed`; '' when nothing)."""
    if claimed.empty:
        return ""
    return ("Left out, as claimed already (recorded as sent): " + "; ".join(
        f"{count(int(r.payments), 'late payment')} of {count(int(r.debtors), 'debtor')} in {r.currency}, "
        f"{money(r.interest, r.currency)} interest and {money(r.compensation, r.currency)} compensation"
        for r in claimed.itertuples()) + ".")


def record_form(since: date, until: date, terms: interest.InterestTerms, by_debtor: pd.DataFrame, *, printed: int,
                key: str) -> None:
    """The form that records the period's claims as sent: all of them, or the ``printed`` first (the PDF's)."""
    engine, today = state.engine(), date.today()
    st.caption("Once the claims have gone out, record them as sent: their payments are then left out of every "
               "later claim (this period run again, or the year to date), so nothing is claimed twice, and the "
               "debtor's history shows the claim.")
    if until > today:
        st.info(f"The period ends on {until:%d %b %Y}: its claims can be recorded as sent from that day on.")
        return
    shown = by_debtor["customer_id"].head(printed).unique().tolist()  # the PDF's debtors
    choices = {"all": f"All {count(by_debtor['customer_id'].nunique(), 'debtor')}"}
    if len(by_debtor) > printed:
        choices["printed"] = f"The {count(len(shown), 'debtor')} printed"
    with st.form(f"{key}_record", clear_on_submit=True):
        f = st.columns([1, 1.4, 1.4, 1.2], vertical_alignment="bottom")
        on = f[0].date_input("Sent on", value=today, min_value=until, max_value=today, key=f"{key}_on")
        by = f[1].text_input("By", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel", key=f"{key}_by")
        which = f[2].selectbox("Claims sent", list(choices), format_func=choices.get, key=f"{key}_which")
        if f[3].form_submit_button("Record as sent", key=f"{key}_go"):
            ids = None if which == "all" else shown
            attempt(key, lambda: interestclaims.record(engine, since=since, until=until, terms=terms, claimed_on=on,
                                                       today=today, customer_ids=ids, by=by or None),
                    lambda done: f"Recorded as sent on {on:%d %b %Y} ({done[0]}): the claims to "
                                 f"{count(done[1], 'debtor')} for {count(done[2], 'late payment')}. No later claim "
                                 "asks for them again.")


def recordings(*, key: str) -> None:
    """An expander with the recordings, newest first, and the form that withdraws one."""
    engine = state.engine()
    listed = cache.interest_recordings(RECORDINGS_LISTED)
    with st.expander("Claims recorded as sent", expanded=False):
        if listed.empty:
            st.caption("None yet: record a period's claims once they have gone out.")
            return
        st.dataframe(listed, hide_index=True, width="stretch", height=220,
                     column_order=["batch_id", "claimed_on", "period", "claimed_by", "currency", "debtors", "payments",
                                   "interest", "compensation"],
                     column_config={
                         "batch_id": "Recording", "claimed_on": st.column_config.DateColumn("Sent on",
                                                                                            format="D MMM YYYY"),
                         "period": "Payments of", "claimed_by": "By", "currency": "Currency",
                         "debtors": st.column_config.NumberColumn("Debtors", format="%d"),
                         "payments": st.column_config.NumberColumn("Late payments", format="%d"),
                         "interest": st.column_config.NumberColumn("Interest", format="accounting"),
                         "compensation": st.column_config.NumberColumn("Compensation", format="accounting")})
        said = {r.batch_id: f"{r.batch_id}: sent on {r.claimed_on:%d %b %Y}, payments of {r.period}"
                for r in listed.drop_duplicates("batch_id").itertuples()}
        with st.form(f"{key}_withdraw", clear_on_submit=True):
            f = st.columns([3, 1], vertical_alignment="bottom")
            batch = f[0].selectbox("Recording", list(said), format_func=said.get, key=f"{key}_batch",
                                   help="Withdraw only claims that did not go out: their payments are claimed "
                                        "again by the next claim of their period.")
            if f[1].form_submit_button("Withdraw", key=f"{key}_withdraw_go"):
                attempt(key, lambda: interestclaims.withdraw(engine, batch),
                        lambda n: f"Withdrawn: {md(batch)}, {count(n, 'late payment')} to claim again.")
