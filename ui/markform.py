"""Dispute contacts the invoices file does not flag (arboard.disputes.unmarked): list them and mark them."""

from __future__ import annotations

from datetime import date

import streamlit as st

from arboard import collectors, disputestatus
from ui import cache, state
from ui.format import count
from ui.logform import attempt, flash, rounds

KEY = "disp_unmarked"


def unmarked(as_of: date, currency: str | None) -> None:
    """An expander with the open invoices a dispute contact names but the file does not flag, when any,
    to mark the ticked ones disputed from their contacts' dates."""
    listed = cache.unmarked_disputes(as_of, currency)
    said = flash(KEY)
    if listed.empty:
        return
    title = (f"{count(len(listed), 'open invoice')} with a dispute contact in the log "
             f"{'is' if len(listed) == 1 else 'are'} not marked disputed")
    with st.expander(f":orange[{title}]", expanded=said is not None):
        st.caption("The contacts log records a dispute on these invoices, but the invoices file does not flag them, "
                   "so the outreach plan still reminds them. Either the ERP's export has no dispute flag, or the "
                   "disputes were settled in the ERP. Tick those still in dispute and mark them: each counts as "
                   "disputed from its dispute contact, and leaves the reminders until it is resolved here or the "
                   "ERP flags it.")
        picked = st.dataframe(
            listed, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
            key=f"{KEY}_table_{rounds(KEY)}",
            column_order=["raised", "name", "customer_id", "invoice_id", "open_amount", "currency", "due_date"],
            column_config={"raised": st.column_config.DateColumn("Disputed on (contact)"), "name": "Debtor",
                           "customer_id": "Debtor ID", "invoice_id": "Invoice",
                           "open_amount": st.column_config.NumberColumn("Open amount", format="accounting"),
                           "currency": "Currency", "due_date": st.column_config.DateColumn("Due date")})
        rows = picked.selection.rows if picked is not None else []
        chosen = listed.iloc[rows]["invoice_id"].tolist()
        f = st.columns([1.4, 1.6, 1.3], vertical_alignment="bottom")
        by = f[0].text_input("By", key=f"{KEY}_by", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel")
        reason = f[1].text_input("Dispute reason (optional)", key=f"{KEY}_reason", max_chars=disputestatus.REASON_MAX,
                                 placeholder="e.g. Price difference",
                                 help="For every invoice ticked; the Disputes page groups open disputes by reason.")
        if f[2].button(f"Mark {count(len(chosen), 'invoice')} disputed" if chosen else "Mark the ticked disputed",
                       key=f"{KEY}_go", disabled=not chosen, help="Tick the invoices still in dispute first."):
            attempt(KEY, lambda: disputestatus.mark_contacted(state.engine(), chosen, as_of=as_of, today=date.today(),
                                                            by=by or None, reason=reason.strip() or None),
                    lambda n: f"Marked disputed from their dispute contacts: {count(n, 'invoice')}. The outreach plan "
                              "leaves them out; they are on the list below.")
        st.caption("The same from the command line: `arboard mark-disputed`.")
