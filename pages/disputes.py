"""Disputes: the disputed invoices reminders leave out, longest in dispute first."""

from __future__ import annotations

from datetime import date

import streamlit as st

from arboard import collectors, disputes, disputestatus, exports
from arboard.errors import ArboardError
from ui import cache, charts, controls, logform, markform, state
from ui.format import count, days, md, money, number

as_of = state.ledger_page(__file__, "Disputes")
c = st.columns([1, 1, 2], vertical_alignment="bottom")
with c[0]:
    currency = controls.currency()
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency, over_time=False)
controls.kept("disp_target", 30)
target = c[1].number_input("Target days to resolve", 1, 365, step=5, key="disp_target",
                           help="Disputes open longer than this are over target.")
st.caption("A dispute is an operational fix, not a behaviour signal: the outreach plan keeps disputed invoices out "
           "of its reminders (Outreach → Plan settings), so this is the list to work instead. Disputes come from "
           "the invoices file's dispute flag, or from a dispute logged with the debtor (Debtors page) or marked from "
           "the contacts log (below when any is left), which counts at once and from its date: an earlier as-of "
           "date shows it as it stood then. A dispute counts from its first dispute contact, or from the due date "
           f"when none is recorded. Amounts are what is still open after partial payments. {consolidated}")
state.history_warning("the times disputes took to settle")
markform.unmarked(as_of, currency)

table, (typical, settled), settled_by_reason = cache.open_disputes(as_of, currency)
typical_text = days(typical) if typical is not None else "—"
typical_help = (f"Median days from dispute to payment of the {count(settled, 'disputed invoice')} paid in the "
                f"12 months to {as_of:%d %b %Y}." if settled else "No disputed invoice was paid in the last 12 months.")
if table.empty:
    st.info(f"No disputed invoice is open on {as_of:%d %b %Y}.")
    st.metric("Typical time to settle a dispute", typical_text, help=typical_help)
    st.stop()

s = disputes.summary(table, target_days=int(target))
m = st.columns(4)
m[0].metric("Open disputes", money(s.amount, cur, compact=True),
            help=f"{count(s.count, 'disputed invoice')} open on {as_of:%d %b %Y}.")
m[1].metric(f"Over {int(target)} days", money(s.over_target_amount, cur, compact=True),
            help=f"{count(s.over_target, 'dispute')} open longer than the target.")
m[2].metric("Median days in dispute", days(s.median_days_open), help=f"The oldest: {count(s.oldest_days_open, 'day')}.")
m[3].metric("Typical time to settle", typical_text, help=typical_help)
reasons = disputes.by_reason(table, settled_by_reason)
known = disputes.reasons_known(reasons)
a1, a2 = st.columns(2) if known else (st.container(), None)
with a1:
    charts.show(charts.dispute_age_chart(disputes.by_age(table), cur))
    if s.unrecorded:
        st.caption(f"{count(s.unrecorded, 'disputed invoice has', 'disputed invoices have')} no dispute contact "
                   "recorded: " + ("it counts from its" if s.unrecorded == 1 else "they count from their")
                   + " due date.")
WHERE = ("A dispute's reason is its reason code in the invoices file (Dispute reason, Reason code, Streitgrund, "
         "Motif de litige, …), or the one given when the dispute was logged with the debtor.")
if not known:
    st.caption(f"No dispute has a reason. {WHERE} With one, this page shows what is open per reason and how long "
               "each kind takes to settle: the root causes to fix.")
else:
    with a2:
        charts.show(charts.dispute_reason_chart(reasons, cur))
    with st.expander("By reason: what to fix, and how long each kind takes to settle"):
        st.caption(f"{WHERE} Prices, deliveries and paperwork are fixed by sales, logistics and billing, not by "
                   "collections.")
        st.dataframe(reasons, hide_index=True, width="stretch", column_config={
            "reason": "Reason", "count": st.column_config.NumberColumn("Open", format="%d"),
            "amount": st.column_config.NumberColumn(f"Open amount ({cur})", format="accounting"),
            "median_days_open": st.column_config.NumberColumn("Median days in dispute", format="%.0f"),
            "settled": st.column_config.NumberColumn("Settled in 12 months", format="%d"),
            "median_days_to_settle": st.column_config.NumberColumn("Median days to settle", format="%.0f")})

controls.kept("disp_over", False)
only_over = st.toggle(f"Only disputes over {int(target)} days", key="disp_over")
shown = disputes.worklist(table, target_days=int(target), over_target_only=only_over)
LIMIT = 2_000
logform.flash("disputes")
listed = shown.head(LIMIT)
picked = st.dataframe(
    listed, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
    key=f"disp_table_{logform.rounds('disputes')}",
    column_order=["over_target", "days_open", "name", "customer_id", "invoice_id", *(["reason"] if known else []),
                  "collector",
                  *(["open_value", "open_amount", "currency"] if consolidated else ["open_amount"]), "due_date",
                  "raised", "days_past_due", "contacts", "last_contact", "last_kind", "last_outcome"],
    column_config={
        **disputes.LABELS,
        # All currencies: the amount in the reporting currency first, then in the invoice's own.
        "open_value": st.column_config.NumberColumn(f"Open ({cur})", format="accounting"),
        "open_amount": st.column_config.NumberColumn("Open amount" if consolidated else f"Open amount ({cur})",
                                                     format="accounting"),
        "due_date": st.column_config.DateColumn("Due date"),
        "raised": st.column_config.DateColumn(disputes.LABELS["raised"],
                                              help="Empty: no dispute contact recorded (counted from the due date)."),
        "last_contact": st.column_config.DateColumn("Last contact"),
        "days_open": st.column_config.NumberColumn("Days in dispute", format="%d"),
        "over_target": st.column_config.CheckboxColumn("Over target"),
    })
if len(shown) > LIMIT:
    st.caption(f"The first {number(LIMIT)} of {number(len(shown))} are listed; the downloads hold them all.")
rows = picked.selection.rows if picked is not None else []
chosen = listed.iloc[rows]
today = date.today()
with st.container(border=True):
    st.markdown("**Resolve disputes**")
    f = st.columns([1, 1.2, 2.6, 1.4], vertical_alignment="bottom")
    on = f[0].date_input("Settled on", value=min(as_of, today), max_value=today, key="disp_on")
    by = f[1].text_input("By", key="disp_by", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel")
    note = f[2].text_input("How it was settled", key="disp_note", max_chars=disputestatus.NOTE_MAX,
                           placeholder="e.g. proof of delivery sent; price confirmed by sales")
    # Only ticked rows: settling a whole list at once is hardly ever meant.
    if f[3].button(f"Resolve {count(len(chosen), 'dispute')}" if rows else "Resolve the ticked", type="primary",
                   key="disp_resolve", disabled=not rows, help="Tick the settled disputes in the list first."):
        try:
            n = disputestatus.resolve(state.engine(), chosen["invoice_id"].tolist(), on=on, today=today, by=by,
                                      note=note)
        except ArboardError as exc:
            st.error(md(exc))
        else:
            later = f" This page counts it once the as-of date reaches {on:%d %b %Y}." if on > as_of else ""
            logform.done("disputes", f"Resolved on {on:%d %b %Y}: {count(n, 'dispute')}. The invoices are due "
                         "again; the outreach plan reminds them from the next contact day." + later)
    st.caption("Tick the disputes settled in the debtor's disfavour (the goods were delivered, the price stands): "
               "their invoices go back into the reminders. A dispute the company accepts ends with a credit note in "
               "the ERP; the next import settles the invoice. Either way, once the ERP changes its own dispute flag, "
               "the invoices file counts again.")
d1, d2, _ = st.columns([1, 1, 3])
name = f"disputes-{'all-in-' if consolidated else ''}{cur}-{as_of.isoformat()}"
export = shown.rename(columns=disputes.LABELS)
d1.download_button("Download (CSV)", lambda: exports.to_csv_bytes(export), f"{name}.csv", "text/csv", key="disp_csv")
d2.download_button("Download (Excel)",
                   lambda: exports.to_xlsx_bytes(export, sheet="Disputes", money_columns=disputes.MONEY),
                   f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="disp_xlsx")
