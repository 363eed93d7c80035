"""Bad-debt provision: the allowance for doubtful accounts by the provision-matrix method."""

from __future__ import annotations

import streamlit as st

from arboard import exports, provision
from arboard.errors import ArboardError
from ui import cache, charts, controls, provisionform, state
from ui.format import count, md, money, pct
from ui.logform import flash

as_of = state.ledger_page(__file__, "Bad-debt provision")
engine = state.engine()
policy = provision.load(engine)
c = st.columns([1, 3], vertical_alignment="bottom")
with c[0]:
    currency = controls.currency()
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency, over_time=False)
st.caption("The allowance for doubtful accounts at the as-of date, by the provision matrix (IFRS 9's simplified "
           "approach for trade receivables, the aging method under CECL): each aging bucket's loss rate is what "
           "your ledger actually lost of what sat in that bucket at past month ends, applied to what is in it now. "
           f"{policy.describe(as_of)} Credit notes and unapplied cash are not provided for. {consolidated}")
state.history_warning("the loss rates")

result = cache.provision_matrix(as_of, currency, policy)
before = cache.provision_matrix(provision.previous_month_end(as_of), currency, policy)
if result.open <= 0.004:
    st.info(f"No invoice is open on {as_of:%d %b %Y}{f' in {currency}' if currency else ''}: nothing to provide for.")
else:
    move = result.provision - before.provision
    m = st.columns(4)
    split = (f" Of it {money(result.specific_provision, cur)} is provided for one by one "
             f"({count(len(result.specific_debtors), 'debtor')}), the rest by the matrix.") \
        if result.specific_debtors else ""
    m[0].metric("Provision", money(result.provision, cur, compact=True),
                help=f"{money(result.provision, cur)} on {money(result.open, cur)} of open invoices.{split}")
    m[1].metric("Coverage", pct(result.coverage * 100 if result.coverage is not None else None),
                help="The provision as a share of the open invoices.")
    m[2].metric(f"Change since {before.as_of:%d %b}", money(move, cur, compact=True),
                delta=f"{'+' if move >= 0 else '−'}{money(abs(move), cur)} to book", delta_color="off",
                help=f"The provision at {before.as_of:%d %b %Y} was {money(before.provision, cur)}, worked out the "
                     "same way as it stood then: the movement of the allowance for the period.")
    m[3].metric("Written off, last 12 months", money(result.written_off_12m, cur, compact=True)
                if result.writeoffs_from else "–",
                help="Invoices cleared for more than their payments in the 12 months to the as-of date: a check "
                     "of the provision against what the year actually lost." if result.writeoffs_from else
                     "No payments are loaded: a write-off cannot be told from a payment.")

if not result.writeoffs_from:
    st.warning("No payments are loaded, so an invoice cleared without payment cannot be told from one paid: only "
               f"invoices still open {policy.doubtful_days} days past due count as lost, and the rates may be too "
               "low. Import the payments (the Data page) to count write-offs.", icon=":material/info:")
if not result.history:
    dates = result.observation_dates
    st.info(f"No open invoice was found at the month ends {dates[0]:%b %Y} to {dates[-1]:%b %Y}, so there are no "
            "loss rates from history yet: the ledger must reach back "
            f"{policy.lookback_months + policy.outcome_months} months or more before the as-of date. Set the rates "
            "by hand below, or shorten the months in the policy.")
elif result.without_history:
    st.warning("No history for " + ", ".join(result.without_history) + ": provided at 0 % until a rate is set by "
               "hand below.", icon=":material/warning:")

table = result.table
if result.open > 0.004:
    st.dataframe(result.in_percent(), hide_index=True, width="stretch",
                 column_order=["bucket", "open", "invoices", "historical_rate", "applied_rate", "provision", "source",
                               "observed", "lost"],
                 column_config={
                     "bucket": "Days past due",
                     "open": st.column_config.NumberColumn(f"Open ({cur})", format="accounting"),
                     "invoices": st.column_config.NumberColumn("Invoices", format="%d"),
                     "historical_rate": st.column_config.NumberColumn(
                         "Lost before", format="%.2f %%", help="What was lost of what sat in this bucket at the "
                                                               "month ends observed."),
                     "applied_rate": st.column_config.NumberColumn(
                         "Loss rate", format="%.2f %%", help="The rate applied: from history with the outlook, or "
                                                             "set by hand."),
                     "provision": st.column_config.NumberColumn(f"Provision ({cur})", format="accounting"),
                     "source": "Rate from",
                     "observed": st.column_config.NumberColumn(
                         f"Observed ({cur})", format="accounting",
                         help="What was open in this bucket, summed over the month ends observed."),
                     "lost": st.column_config.NumberColumn(f"Of it lost ({cur})", format="accounting")})
    credits = f" Open credits and unapplied cash, not provided for: {money(result.credits, cur)}." \
        if abs(result.credits) > 0.004 else ""
    matrix_total = f"{money(float(table['provision'].sum()), cur)} on {money(float(table['open'].sum()), cur)} " \
        f"({count(int(table['invoices'].sum()), 'invoice')})"
    one_by_one = f" Specific provisions below: {money(result.specific_provision, cur)} on " \
        f"{money(result.specific_open, cur)}. Total: {money(result.provision, cur)} on {money(result.open, cur)}." \
        if len(result.specific) else ""
    st.caption(f"By the matrix: {matrix_total}.{one_by_one}{credits} Lost: written off (cleared for more than its "
               f"payments) or still open {policy.doubtful_days} days past due by {as_of:%d %b %Y}.")
    left, _ = st.columns([3, 2])
    with left:
        charts.show(charts.provision_bars(table, policy.spec.labels, cur))

st.subheader("Provided for one by one")
specific = result.specific
if len(specific):
    st.dataframe(specific, hide_index=True, width="stretch", column_order=[
        "customer_id", "name", "currency", "open", "rate", "provision", "reason", "assessed_on", "assessed_by"],
        column_config={
        "customer_id": "Debtor ID", "name": "Debtor", "currency": "Currency",
        "open": st.column_config.NumberColumn(f"Open ({cur})", format="accounting"),
        "rate": st.column_config.NumberColumn("Rate", format="%.2f %%"),
        "provision": st.column_config.NumberColumn(f"Provision ({cur})", format="accounting"),
        "reason": "Why", "assessed_on": st.column_config.DateColumn("From", format="D MMM YYYY"),
        "assessed_by": "By"})
    st.caption(f"{count(len(result.specific_debtors), 'debtor')} provided for at a rate of their own on "
               f"{as_of:%d %b %Y}, outside the matrix: {money(result.specific_provision, cur)} on "
               f"{money(result.specific_open, cur)}. Their past losses stay in the history behind the loss rates."
               + ("" if currency else f" Currency is the debtor's invoices'; amounts are in {cur}."))
else:
    st.caption("No debtor is provided for one by one on this date. When a debtor is impaired on its own (an "
               "insolvency filed, a claim with the lawyers), provide for it at a rate of its own here or on its "
               "page (Debtors): it leaves the matrix, so nothing is provided for twice.")
with st.expander("Provide for a debtor one by one, change its rate or end it",
                 expanded=st.session_state.get("log_flash_prov_page") is not None):
    flash("prov_page")
    provisionform.forms(None, as_of, key="prov_page")
    if result.specific_debtors:
        ending = st.selectbox("End the specific provision of", result.specific_debtors, index=None,
                              key="prov_end_who", placeholder="Choose a debtor: it goes back to the matrix")
        if ending:
            provisionform.end_form(ending, as_of, key="prov_page")

with st.expander("Policy: months observed, what counts as lost, the outlook, rates set by hand"):
    if saved := st.session_state.pop("prov_saved", None):
        st.success(saved)
    st.caption("Saved for the whole team. The loss rates observe the open invoices at the month ends of a year "
               "that ended a year before the as-of date (by default), so each had a year to be paid or lost. The "
               "outlook moves every rate from history by a percentage, for what the history does not know "
               "(a downturn: more; a recovery: less); a rate set by hand replaces the bucket's rate from history.")
    with st.form("prov_policy"):
        f = st.columns(4)
        lookback = f[0].number_input("Month ends observed", *provision.LIMITS["lookback_months"],
                                     int(policy.lookback_months), key="prov_lookback")
        outcome = f[1].number_input("Months each plays out", *provision.LIMITS["outcome_months"],
                                    int(policy.outcome_months), key="prov_outcome")
        doubtful = f[2].number_input("Lost when open after (days past due)", *provision.LIMITS["doubtful_days"],
                                     int(policy.doubtful_days), step=30, key="prov_doubtful")
        outlook = f[3].number_input("Outlook, % on every rate", *provision.OUTLOOK_LIMITS, float(policy.outlook),
                                    step=5.0, format="%.1f", key="prov_outlook")
        edges_text = st.text_input("Bucket edges (days past due)", ", ".join(map(str, policy.edges)),
                                   key="prov_edges", help="Upper ends of the buckets, e.g. 30, 60, 90, 120. New "
                                                          "edges start every bucket from history.")
        by_hand = st.data_editor(
            provision.rates_frame(policy), hide_index=True, disabled=["bucket"], key="prov_rates",
            column_config={"bucket": "Days past due",
                           "rate": st.column_config.NumberColumn("Rate set by hand, %", min_value=0.0,
                                                                 max_value=100.0, format="%.2f",
                                                                 help="Empty: the rate from history.")})
        if st.form_submit_button("Save policy"):
            try:
                saved = provision.save(engine, provision.from_form(
                    policy, lookback_months=lookback, outcome_months=outcome, doubtful_days=doubtful,
                    outlook=outlook, edges=edges_text, rates=by_hand))
            except ArboardError as exc:
                st.error(md(exc))
            else:
                st.session_state["prov_saved"] = f"Saved. {saved.describe(as_of)}"
                st.rerun()

if result.open > 0.004:
    st.subheader("Largest provisions by debtor")
    debtors = cache.provision_debtors(as_of, currency, policy)
    LIMIT = 50
    st.dataframe(debtors.head(LIMIT), hide_index=True, width="stretch", column_config={
        "customer_id": "Debtor ID", "name": "Debtor", "currency": "Currency",
        "invoices": st.column_config.NumberColumn("Open invoices", format="%d"),
        "open": st.column_config.NumberColumn(f"Open ({cur})", format="accounting"),
        "oldest_bucket": "Oldest bucket",
        "provision": st.column_config.NumberColumn(f"Provision ({cur})", format="accounting"),
        "basis": "Provided by"})
    shown = f"The {LIMIT} largest of {count(len(debtors), 'debtor')}" if len(debtors) > LIMIT else \
        f"All {count(len(debtors), 'debtor')}"
    st.caption(f"{shown} with open invoices, at the loss rates above: for the auditors, or to see whose balances "
               "carry the provision." + ("" if currency else " Currency is the debtor's invoices'; amounts are in "
                                                            f"{cur}."))
    d1, d2, _ = st.columns([1, 1, 3])
    name = f"provision-{as_of.isoformat()}"
    d1.download_button("Per debtor (CSV)", lambda: exports.to_csv_bytes(debtors), f"{name}.csv", "text/csv",
                       key="prov_csv")
    d2.download_button("Per debtor (Excel)", lambda: exports.to_xlsx_bytes(debtors, sheet="Provision",
                                                                          money_columns=provision.MONEY_COLUMNS),
                       f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="prov_xlsx")
