"""The form that logs a contact with a debtor (arboard.logbook), on the Debtors page and the work list."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

import streamlit as st

from arboard import aging, disputestatus, instalments, logbook, schema
from arboard.errors import ArboardError
from arboard.words import counted
from ui import cache, state
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


def done(key: str, message: str) -> None:
    st.session_state[f"log_flash_{key}"] = message
    st.session_state[f"log_round_{key}"] = rounds(key) + 1
    st.rerun()  # every figure reads the new contact (the data version moved on)


def attempt(key: str, write: Callable[[], Any], message: str | Callable[[Any], str]) -> None:
    """Run a write: say what it did after the rerun (:func:`done`; ``message`` made from what the
    write returned when a callable), or what is wrong."""
    try:
        result = write()
    except ArboardError as exc:
        st.error(md(exc))
    else:
        done(key, message(result) if callable(message) else message)


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
                   "promise to pay (or the outcome “Promised to pay”) needs its invoices and date; it pauses "
                   "their reminders and brings a call if it is broken. An amount goes with one invoice; several "
                   "are each promised in full. A dispute about invoices takes them out of the reminders at once, "
                   "until it is resolved (Disputes page).")
        words = _open_invoices(customer_id, as_of)[1]
        today = date.today()
        channels = list(schema.CHANNELS)
        with st.form(f"log_{key}_{customer_id}", clear_on_submit=True):
            f = st.columns(4)
            when = f[0].date_input("Date", value=min(on or as_of, today), max_value=today)
            how = f[1].selectbox("Channel", channels, index=channels.index(channel) if channel in channels else 0)
            kind = f[2].selectbox("What", list(logbook.KIND_WORDS), format_func=logbook.KIND_WORDS.get)
            outcome = f[3].selectbox("Outcome", [None, *logbook.OUTCOME_WORDS],
                                     format_func=lambda o: "(none)" if o is None else logbook.OUTCOME_WORDS[o])
            g = st.columns([3, 1, 1, 1.2])
            about = g[0].multiselect("About invoices", list(words), default=[i for i in invoices if i in words],
                                     format_func=words.get, placeholder="None: about the account")
            promised_by = g[1].date_input("Promised to pay by", value=None, min_value=when)
            amount = g[2].number_input("Amount promised", value=None, min_value=0.01, format="%.2f")
            made_by = _by(g[3], customer_id)
            note = st.text_area("Note", max_chars=logbook.NOTE_MAX, height=68,
                                placeholder="What was said: e.g. Spoke to Maria in accounts payable; approved for "
                                            "the payment run on the 30th.",
                                help="For whoever contacts the debtor next: the debtor's timeline and the day's "
                                     "work list show it.")
            h = st.columns([3, 3.2], vertical_alignment="bottom")
            reason = h[0].text_input("Dispute reason", max_chars=disputestatus.REASON_MAX,
                                     placeholder="With “Dispute”: e.g. Price difference, Not delivered",
                                     help="Why the debtor disputes the invoices; the Disputes page groups by it.")
            sent = h[1].form_submit_button("Log the contact")
        if sent:
            entry = logbook.Entry(when, how, kind, outcome, tuple(about), promised_by, amount, made_by,
                                  reason.strip() or None, note.strip() or None)
            try:
                ids = logbook.log(engine, customer_id, entry, today=today)
            except ArboardError as exc:
                st.error(md(exc))
            else:
                later = (f" The pages count it once the as-of date reaches {when:%d %b %Y}." if when > as_of
                         else "")
                disputed = (" The invoices are disputed from that day: out of the reminders until the dispute is "
                            "resolved (Disputes page)." if kind == "dispute" and about else "")
                done(key, f"Logged with {md(customer_id)}: {logbook.KIND_WORDS[kind].lower()} on {when:%d %b %Y}"
                     + (f" ({len(ids)} invoices)." if len(ids) > 1 else ".") + disputed + later)
        _logged_here(customer_id, key)


def _open_invoices(customer_id: str, as_of: date) -> tuple:
    """The debtor's open invoices as of ``as_of`` (the ledger's own open items, credits left out), oldest due
    first, and their labels for a picker."""
    open_now = aging.items(state.engine(), as_of, customer_id=customer_id)
    open_now = open_now[open_now["open_amount"] > 0].sort_values(["due_date", "invoice_id"])
    words = {r.invoice_id: f"{r.invoice_id} · due {r.due_date:%d %b %Y} · {r.open_amount:,.2f} {r.currency} open"
             for r in open_now.itertuples(index=False)}
    return open_now, words


NOT_RECORDED = "(not recorded)"


def _by(container, customer_id: str, key: str | None = None) -> str | None:
    """Who in the team made the contact: the collectors, the debtor's own first."""
    team = cache.collector_names()
    own = cache.assigned().get(customer_id)
    options = [*([own] if isinstance(own, str) else []), *(n for n in team if n != own), NOT_RECORDED]
    choice = container.selectbox("By", options, key=key, help="Who in the team made the contact: their activity "
                                 "counts it (Outreach page, Team tab).")
    return None if choice == NOT_RECORDED else choice


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
                               "promised_amount", "logged_by", "note"],
                 column_config={"contact_date": st.column_config.DateColumn("Date"), "channel": "Channel",
                                "kind": "What", "outcome": "Outcome", "invoice_id": "Invoice",
                                "promised_date": st.column_config.DateColumn("Promised by"),
                                "promised_amount": st.column_config.NumberColumn("Amount promised",
                                                                                 format="accounting"),
                                "logged_by": "By", "note": "Note"})
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
            done(key, "Removed the contact.")


def payment_plan(customer_id: str, as_of: date, *, on: date | None = None, invoices: Sequence[str] = (),
                 key: str = "", expanded: bool = False) -> None:
    """An expander to agree a payment plan with the debtor: invoices, instalments, the schedule it makes,
    and the button that logs it (:func:`arboard.logbook.log_payment_plan`)."""
    engine = state.engine()
    with st.expander("Agree a payment plan", expanded=expanded):
        st.caption("The balance of the invoices chosen in equal monthly instalments. Each invoice is promised "
                   "for the instalment that pays it off (oldest due first): its reminders wait until then, and "
                   "a missed instalment is a broken promise, which brings a call.")
        today = date.today()
        open_now, words = _open_invoices(customer_id, as_of)
        if open_now.empty:
            st.info("The debtor has no open invoice to spread over instalments.")
            return
        overdue = [r.invoice_id for r in open_now.itertuples(index=False) if r.days_past_due > 0]
        wanted = [i for i in invoices if i in words] or overdue or list(words)[:1]
        k = f"{key}_{customer_id}"
        about = st.multiselect("Invoices", list(words), default=wanted, format_func=words.get, key=f"pp_inv_{k}")
        c = st.columns(5)
        agreed_on = c[0].date_input("Agreed on", value=min(on or as_of, today), max_value=today, key=f"pp_on_{k}")
        count = c[1].number_input("Instalments", 1, instalments.MAX_COUNT, instalments.DEFAULT_COUNT,
                                  key=f"pp_n_{k}")
        first = c[2].date_input("First instalment", value=agreed_on + timedelta(days=instalments.FIRST_AFTER_DAYS),
                                min_value=agreed_on, key=f"pp_first_{k}")
        every = c[3].selectbox("Every", [1, 2, 3], format_func=lambda m: "month" if m == 1 else f"{m} months",
                               key=f"pp_every_{k}")
        made_by = _by(c[4], customer_id, key=f"pp_by_{k}")
        note = st.text_input("Note", max_chars=logbook.NOTE_MAX, key=f"pp_note_{k}",
                             placeholder="e.g. Cash-flow problem after losing a large customer; pays by transfer.",
                             help="What was agreed besides the schedule, for whoever contacts the debtor next.")
        try:
            agreed = logbook.plan_for(engine, customer_id, about, on=agreed_on, first=first, count=int(count),
                                      every_months=every)
        except ArboardError as exc:
            st.warning(md(exc))
            return
        st.dataframe(logbook.plan_table(agreed), hide_index=True, width="stretch",
                     column_config={"instalment": st.column_config.NumberColumn("No.", format="%d"),
                                    "due": st.column_config.DateColumn("Due"),
                                    "amount": st.column_config.NumberColumn(f"Amount ({agreed.currency})",
                                                                            format="accounting"),
                                    "pays_off": "Pays off"})
        if st.button("Agree this payment plan", key=f"pp_log_{k}"):
            try:
                logged = logbook.log_payment_plan(engine, customer_id, about, on=agreed_on, first=first,
                                                  count=int(count), every_months=every, by=made_by,
                                                  note=note.strip() or None, today=today)
            except ArboardError as exc:
                st.error(md(exc))
            else:
                done(key, f"Payment plan agreed with {md(customer_id)}: "
                          f"{counted(len(logged.instalments), 'instalment')} from {first:%d %b %Y}, covering "
                          f"{counted(len(logged.paid_off), 'invoice')}.")
