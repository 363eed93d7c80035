"""Unapplied cash: payments on account and the open items they most likely pay, for cash application."""

from __future__ import annotations

from datetime import date

import streamlit as st

from arboard import cashdecisions, collectors, exports, unapplied
from arboard.errors import ArboardError
from ui import cache, charts, controls, logform, state
from ui.format import count, md, money, number

as_of = state.ledger_page(__file__, "Unapplied cash")
c = st.columns([1, 1.2, 1.3, 1.5], vertical_alignment="bottom")
with c[0]:
    currency = controls.currency()
worked = c[1].multiselect("Collector", [*cache.collector_names(), collectors.NO_COLLECTOR], key="ua_collectors",
                          placeholder="Everyone",
                          help="Only the payments of the debtors these collectors work: the figures, the list, the "
                               "downloads and the outdated decisions to take back.")
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency, over_time=False)
saved = cache.match_rules()
controls.kept("ua_tolerance", saved.tolerance)
# The saved rules may come from the command line, which takes any tolerance to 10% and any discount.
tolerance = c[2].slider("Short or over by up to", 0.0, max(5.0, saved.tolerance), step=0.25, key="ua_tolerance",
                        format="%.2f%%",
                        help="A payment this close to one open invoice (a share of the invoice) is proposed as a short "
                             "payment (bank charges, a small deduction) or an overpayment. 0%: exact amounts only. "
                             "Saved for every page: another value is tried here until you save it.")
DISCOUNT_CHOICES = sorted({1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, *saved.discounts})
controls.kept_among("ua_discounts", DISCOUNT_CHOICES, list(saved.discounts))
discounts = c[3].multiselect("Cash discounts debtors take", DISCOUNT_CHOICES, key="ua_discounts",
                             format_func=lambda d: f"{d:g}%",
                             help="A payment that is one invoice, or the oldest items together, less one of these "
                                  "to the cent is proposed as paid less a cash discount (2/10 net 30 terms). Saved "
                                  "for every page: other discounts are tried here until you save them.")
st.caption("A payment the ERP could not match (an invoice number it did not read, several invoices in one "
           "transfer, a discount or bank charges taken off) sits on the debtor's account while the invoices it paid "
           "stay open: the aging overstates what is overdue and the debtor is chased for what they paid. Each "
           "payment is read as a clerk would: first the invoice numbers its remittance reference names (with or "
           "without dashes and leading zeros, in any case, or the number alone: \"Inv 72871\"); then by amount: "
           "one invoice exactly, the oldest items together, either "
           "less a cash discount, two to four newer invoices that add up to it (or less a discount), one invoice "
           "a little short or over, and last another debtor's only invoice of that amount. Apply them in the "
           "ERP; its next export brings them applied. "
           f"{consolidated}")

try:
    rules = unapplied.MatchSettings(tolerance=float(tolerance), discounts=tuple(discounts))
except ArboardError as exc:
    st.error(md(exc))
    st.stop()
cash = cache.unapplied_cash(as_of, currency, rules).worked_by(worked)
s = None if cash.empty else unapplied.summary(cash, rates=cache.exchange_rates())
logform.flash("ua_rules")
unsaved = rules != saved
if unsaved:
    r1, r2 = st.columns([4, 1.2], vertical_alignment="center")
    changed = ""
    if s is not None and s.outdated:
        fits = count(s.outdated, "decision no longer fits its", "decisions no longer fit their")
        changed = f" Under these rules {fits} proposal (Outdated below): decide again after saving."
    r1.warning(f"Trying other rules than the saved ones ({unapplied.settings_words(saved)}). The other pages, the "
               "plan, the forecast and the command line match with the saved rules, and proposals are confirmed or "
               f"rejected on theirs: save these to decide on what you see.{changed}", icon=":material/tune:")
    if r2.button("Save for every page", key="ua_save_rules", width="stretch",
                 help=f"Make {unapplied.settings_words(rules)} the rules of every page and command."):
        logform.attempt("ua_rules", lambda: unapplied.save_settings(state.engine(), rules),
                        f"Saved: every page now matches with {unapplied.settings_words(rules)}.")
if s is None:
    if not state.ledger_summary().counts["payments"]:
        st.info("No payments are loaded, so there is no cash on account to match. Load a payments file on the "
                "**Data** page: payments with no invoice (or one the ledger does not know) are the cash on account.")
    else:
        st.info(f"No payment is on account on {as_of:%d %b %Y}" + (f" in {currency}" if currency else "")
                + (f" for the debtors of {md(', '.join(worked))}" if worked else "")
                + ": every payment received is applied to an invoice.")
    st.stop()

m = st.columns(4)
m[0].metric("Cash on account", money(s.amount, cur, compact=True),
            help=f"{count(s.count, 'payment')} received and not applied to an invoice by {as_of:%d %b %Y}; the "
                 f"oldest came in {count(s.oldest_days, 'day')} before.")
m[1].metric("Matched to open items", money(s.matched_amount, cur, compact=True),
            help=f"{number(s.matched)} of {count(s.count, 'payment')}, {number(s.sure)} with high confidence (what the "
                 "remittance reference names, the exact amount of one invoice, or of the oldest items together). "
                 f"Decided: {number(s.confirmed)} confirmed, {number(s.rejected)} rejected"
                 + (f", {number(s.outdated)} to decide again (the proposal changed)" if s.outdated else "") + ".")
m[2].metric("Overdue they would clear", money(s.overdue_cleared, cur, compact=True),
            help="What is past due on the items matched: the aging overstates what is overdue by this much until "
                 "the payments are applied. The Outreach plan counts the high-confidence matches as applied already "
                 "(its setting *Count cash on account as applied*), and those confirmed below; never those rejected.")
m[3].metric("Debtors with nothing overdue left", number(s.debtors_cleared),
            help="Debtors whose whole overdue balance the matched payments pay: chasing them is chasing money "
                 "already received.")
a1, a2 = st.columns([3, 2])
with a1:
    charts.show(charts.unapplied_age_chart(unapplied.by_age(cash.proposals), cur))
with a2:
    st.markdown("**What to do with each**")
    st.caption("**High**: apply it (what the reference names, the exact amount, or the oldest items to the cent).  \n"
               "**Medium**: apply it and book the cash discount, if the debtor paid within the discount period. "
               "Items that add up, not the oldest: the remittance advice (or a call) says whether those are the ones. "
               "A part of what the reference names: apply it oldest first, the rest stays open. Another debtor's "
               "invoice named: check who paid before moving the payment.  \n"
               "**Low**: short or over by a little: write off the bank charges, or ask the debtor about the "
               "deduction; an excess stays on account or is refunded. Another debtor's invoice: check who paid "
               "before moving the payment.  \n"
               "**Paid twice?** Refund the second payment or keep it on account, as the debtor wishes.  \n"
               "**No match**: ask the debtor what the payment is for (a remittance advice), or look for it under "
               "another account of the same group.")

SHOW = {"matched": "Matched", "undecided": "To decide", "decided": "Decided", "none": "Unmatched", "all": "All"}
controls.kept("ua_show", "matched")
v1, v2 = st.columns([3, 2], vertical_alignment="bottom")
show = v1.segmented_control("Show", list(SHOW), format_func=SHOW.get, key="ua_show") or "all"
sure = v2.pills("Confidence", list(unapplied.CONFIDENCES), selection_mode="multi", key="ua_confidence",
                format_func=lambda c: "No match" if c == "—" else c,
                help="Only the proposals of this confidence (none picked: all). The plan counts the High ones as "
                     "applied already; Medium and Low are where a remittance advice or a call decides.")
logform.flash("cash")
table = unapplied.shown(cash.proposals, show, confidences=sure)
LIMIT = 2_000
listed = table.head(LIMIT)
picked = st.dataframe(
    listed, hide_index=True, width="stretch", on_select="rerun", selection_mode="multi-row",
    key=f"ua_table_{logform.rounds('cash')}",
    column_order=["decision", "confidence", "match", "name", "payment_date",
                  *(["amount_value"] if "amount_value" in table else []), "amount", "currency",
                  # Unmatched, there are no items: why, and what the debtor wrote, come first.
                  *(["invoices", "difference", "overdue"] if show != "none" else []), "note", "reference",
                  "decided", "days_on_account", *(["invoice_count", "open_total"] if show != "none" else []),
                  "payment_id", "customer_id", "collector"],
    column_config={
        **unapplied.LABELS,
        "decision": st.column_config.TextColumn(unapplied.LABELS["decision"], width=95,
                                                help="Confirmed: counted as applied on every page. Rejected: never "
                                                     "counted. Outdated: the proposal changed since; decide again."),
        "payment_date": st.column_config.DateColumn(unapplied.LABELS["payment_date"]),
        "amount_value": st.column_config.NumberColumn(f"Amount ({cur})", format="accounting"),
        "amount": st.column_config.NumberColumn("Amount" if consolidated else f"Amount ({cur})", format="accounting"),
        "open_total": st.column_config.NumberColumn(unapplied.LABELS["open_total"], format="accounting"),
        "difference": st.column_config.NumberColumn(unapplied.LABELS["difference"], format="accounting",
                                                    help="The payment less what is open on the items: a cash "
                                                         "discount or a short payment is negative."),
        "overdue": st.column_config.NumberColumn(unapplied.LABELS["overdue"], format="accounting"),
        "days_on_account": st.column_config.NumberColumn(unapplied.LABELS["days_on_account"], format="%d"),
        "invoice_count": st.column_config.NumberColumn(unapplied.LABELS["invoice_count"], format="%d"),
        "note": st.column_config.TextColumn(unapplied.LABELS["note"], width="large"),
    })
if len(table) > LIMIT:
    st.caption(f"The first {number(LIMIT)} of {number(len(table))} are listed; the downloads hold them all.")
elif table.empty:
    st.caption(f"No payment is {SHOW[show].lower()}" + (" with that confidence" if sure else "")
               + ": pick another view above.")
# A selection may outlive a shorter list (other rules, another filter): only rows still there count.
rows = [r for r in picked.selection.rows if r < len(listed)] if picked is not None else []
chosen = listed.iloc[rows]
today = date.today()
with st.container(border=True):
    st.markdown("**Confirm or reject proposals**")
    f = st.columns([1.3, 1.3, 2.4, 0.9, 0.9, 1.0], vertical_alignment="bottom")
    on = f[0].date_input("Decided on", value=today, max_value=today, key="ua_on")
    by = f[1].text_input("By", key="ua_by", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel")
    note = f[2].text_input("Note", key="ua_note", max_chars=cashdecisions.NOTE_MAX,
                           placeholder="e.g. remittance advice of 12 Nov; group company confirmed")
    ids = chosen["payment_id"].tolist()
    some = f" {len(ids)}" if ids else ""

    def decide(kind: str) -> None:
        logform.attempt("cash", lambda: cashdecisions.record(state.engine(), cash.proposals, ids, kind,
                                                              decided_on=on, today=today, by=by, note=note),
                        lambda n: f"{cashdecisions.DECISIONS[kind]}: {count(n, 'proposal')}. Every page now counts "
                                  + ("it" if n == 1 else "them")
                                  + (" as applied." if kind == "confirmed" else " as not applied."))

    first = " Save the rules above first: decisions are made on the saved rules' proposals." if unsaved else ""
    if f[3].button(f"Confirm{some}", type="primary", key="ua_confirm", disabled=not ids or unsaved, width="stretch",
                   help="These payments pay the items proposed: every page counts them as applied, whatever the "
                        "confidence, until the ERP applies them." + first):
        decide("confirmed")
    if f[4].button(f"Reject{some}", key="ua_reject", disabled=not ids or unsaved, width="stretch",
                   help="These payments do not pay the items proposed: no page counts them, however sure the rule."
                        + first):
        decide("rejected")
    if f[5].button("Take back", key="ua_undo", disabled=not any(chosen["decision"]),
                   width="stretch", help="Forget the decisions on these payments: they count by confidence again."):
        logform.attempt("cash", lambda: cashdecisions.remove(state.engine(), ids),
                        lambda n: f"Took back {count(n, 'decision')}.")
    if s.outdated:
        o1, o2 = st.columns([4, 1.3], vertical_alignment="center")
        fits = count(s.outdated, "decision no longer fits its", "decisions no longer fit their")
        o1.markdown(f"{fits} proposal (the ledger or the saved rules changed since): *Outdated*, listed under *To "
                    "decide*. Decide again on each, or take them all back.")
        if o2.button(f"Take back the {number(s.outdated)} outdated", key="ua_undo_outdated", disabled=unsaved,
                     width="stretch", help="Forget every decision whose proposal has changed since: those payments "
                                           "count by confidence again. The decisions that still fit stay." + first):
            logform.attempt("cash", lambda: cashdecisions.take_back_outdated(state.engine(), cash.proposals),
                            lambda taken: f"Took back {count(len(taken), 'outdated decision')}."
                            if taken else "No decision was outdated any more: nothing taken back.")
    st.caption("Tick the proposals you checked against a remittance advice or with the debtor. A confirmed one "
               "counts as applied on every page (the plan leaves its items out, the forecast does not expect them "
               "again); a rejected one never does. A decision is about the items proposed: when the ledger moves "
               "on and the proposal names other items, it shows as outdated and counts for nothing until you "
               "decide again. The Excel download carries the decisions for the ERP team.")
d1, d2, _ = st.columns([1.3, 1, 2])
name = f"unapplied-cash-{'all-in-' if consolidated else ''}{cur}-{as_of.isoformat()}"
sheets = unapplied.labelled(cash)
d1.download_button("Download for the ERP (Excel)",
                   lambda: exports.to_xlsx_sheets(sheets, money_columns=unapplied.MONEY + unapplied.LINE_MONEY),
                   f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ua_xlsx",
                   help="Two sheets: the proposals, one row per payment, and the clearing lines (what each item "
                        "takes, then any discount or difference) that add up to each payment.")
d2.download_button("Download (CSV)", lambda: exports.to_csv_bytes(sheets["Proposals"]), f"{name}.csv", "text/csv",
                   key="ua_csv")
