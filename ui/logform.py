"""The form that logs a contact with a debtor (arboard.logbook), on the Debtors page and the work list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import streamlit as st

from arboard import aging, logbook, schema
from arboard.errors import ArboardError
from ui import state
from ui.format import md


def flash(key: str = "") -> str | None:
    """Show (once) what the last log or removal with this ``key`` did; returns the message."""
    message = st.session_state.pop(f"log_flash_{key}", None)
    if message:
        st.success(message)
    return message


def rounds(key: str = "") -> int:
    """How many logs or removals with this ``key`` this session has made: part of the key of a
    widget that must start afresh after one (a row selection, which may point at another debtor
    once the data moved on; deleting its state leaves the browser's tick in place)."""
    return int(st.session_state.get(f"log_round_{key}", 0))


def _done(key: str, message: str) -> None:
    st.session_state[f"log_flash_{key}"] = message
    st.session_state[f"log_round_{key}"] = rounds(key) + 1
    st.rerun()  # every figure reads the new contact (the data version moved on)


def log_contact(customer_id: str, as_of: date, *, channel: str = "phone", on: date | None = None,
                invoices: Sequence[str] = (), key: str = "", expanded: bool = False) -> None:
    """An expander to record a call, a promise, a dispute with the debtor, and to undo what was logged.

    ``channel``, ``on`` (the date, at most today) and ``invoices`` fill the form in, e.g. from a
    planned contact; ``key`` tells forms apart on one page (see :func:`rounds`).
    """
    engine = state.engine()
    shown = st.session_state.get(f"log_flash_{key}") is not None
    with st.expander("Log a contact with this debtor", expanded=expanded or shown):
        flash(key)
        st.caption("A call just made, a promise just given: it counts at once, as an imported contact does. A "
                   "promise to pay (or the outcome “Promised to pay”) needs its invoice(s) and date; it pauses "
                   "their reminders and brings a call if it is broken. An amount goes with one invoice; several "
                   "are each promised in full.")
        open_now = aging.items(engine, as_of, customer_id=customer_id)  # the ledger's own open items
        open_now = open_now[open_now["open_amount"] > 0].sort_values(["due_date", "invoice_id"])  # not credits
        words = {r.invoice_id: f"{r.invoice_id} · due {r.due_date:%d %b %Y} · {r.open_amount:,.2f} {r.currency} open"
                 for r in open_now.itertuples(index=False)}
        today = date.today()
        channels = list(schema.CHANNELS)
        with st.form(f"log_{key}_{customer_id}", clear_on_submit=True):
            f = st.columns(4)
            when = f[0].date_input("Date", value=min(on or as_of, today), max_value=today)
            how = f[1].selectbox("Channel", channels, index=channels.index(channel) if channel in channels else 0)
            kind = f[2].selectbox("What", list(logbook.KIND_WORDS), format_func=logbook.KIND_WORDS.get)
            outcome = f[3].selectbox("Outcome", [None, *logbook.OUTCOME_WORDS],
                                     format_func=lambda o: "(none)" if o is None else logbook.OUTCOME_WORDS[o])
            g = st.columns([3, 1, 1])
            about = g[0].multiselect("About invoice(s)", list(words), default=[i for i in invoices if i in words],
                                     format_func=words.get, placeholder="None: about the account")
            by = g[1].date_input("Promised to pay by", value=None, min_value=when)
            amount = g[2].number_input("Amount promised", value=None, min_value=0.01, format="%.2f")
            sent = st.form_submit_button("Log the contact")
        if sent:
            entry = logbook.Entry(when, how, kind, outcome, tuple(about), by, amount)
            try:
                ids = logbook.log(engine, customer_id, entry, today=today)
            except ArboardError as exc:
                st.error(md(exc))
            else:
                later = (f" The pages count it once the as-of date reaches {when:%d %b %Y}." if when > as_of
                         else "")
                _done(key, f"Logged with {customer_id}: {logbook.KIND_WORDS[kind].lower()} on {when:%d %b %Y}"
                      + (f" ({len(ids)} invoices)." if len(ids) > 1 else ".") + later)
        _logged_here(customer_id, key)


def _logged_here(customer_id: str, key: str) -> None:
    engine = state.engine()
    mine = logbook.logged(engine, customer_id)
    if mine.empty:
        return
    st.markdown("**Logged here**")
    st.dataframe(mine.assign(kind=mine["kind"].map(logbook.KIND_WORDS), outcome=mine["outcome"].map(
                     logbook.OUTCOME_WORDS)),
                 hide_index=True, width="stretch", height=min(35 * len(mine) + 38, 220),
                 column_order=["contact_date", "channel", "kind", "outcome", "invoice_id", "promised_date",
                               "promised_amount"],
                 column_config={"contact_date": st.column_config.DateColumn("Date"), "channel": "Channel",
                                "kind": "What", "outcome": "Outcome", "invoice_id": "Invoice",
                                "promised_date": st.column_config.DateColumn("Promised by"),
                                "promised_amount": st.column_config.NumberColumn("Amount promised",
                                                                                 format="accounting")})
    label = {c: f"{d:%d %b %Y} · {logbook.KIND_WORDS.get(k, k)}" + (f" · {i}" if isinstance(i, str) else "")
             for c, d, k, i in zip(mine["contact_id"], mine["contact_date"], mine["kind"], mine["invoice_id"],
                                   strict=True)}
    h = st.columns([3, 1], vertical_alignment="bottom")
    undo = h[0].selectbox("Remove a contact logged by mistake", list(label), index=None, format_func=label.get,
                          key=f"log_undo_{key}_{customer_id}")
    if h[1].button("Remove", key=f"log_remove_{key}_{customer_id}", disabled=undo is None):
        try:
            logbook.remove(engine, undo)
        except ArboardError as exc:
            st.error(md(exc))
        else:
            _done(key, "Removed the contact.")
