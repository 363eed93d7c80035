"""Cash forecast: what should come in over the next 13 weeks, and how well the method did before."""

from __future__ import annotations

from datetime import timedelta

import streamlit as st

from arboard import exports
from ui import cache, charts, controls, state
from ui.format import count, money, number

as_of = state.ledger_page(__file__, "Cash forecast")
c1, _ = st.columns([1, 3])
with c1:
    currency = controls.currency()
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency)
st.caption(f"Each invoice open on **{as_of:%d %b %Y}** is expected on its due date plus its debtor's usual delay "
           "(amount-weighted, last 12 months; before the due date for a debtor who pays early; the ledger's "
           "average for debtors without history). An invoice already later than that is expected after the time "
           "invoices just as late still took to clear, at its debtor's pace; one with a running promise to pay, on "
           "the promised date. Disputed items also wait the typical time a dispute takes; items over 180 days "
           "past due are doubtful and left out, unless promised."
           + f" {consolidated}")
state.history_warning("the debtors' usual delays (every invoice is expected on its due date)")

weeks, outlook = cache.cash_forecast(as_of, currency)
if not outlook["items"]:
    st.info("Cash on account most likely pays every invoice open on this date: nothing more is expected to come "
            "in until new invoices are raised." if outlook["paid_items"] else
            "Nothing is open on this date, so nothing is expected to come in.")
    st.stop()
m = st.columns(4)
m[0].metric("Expected in 13 weeks", money(outlook["in_horizon"], cur, compact=True),
            help="Open invoices expected to be paid within the next 13 weeks.")
m[1].metric("Expected later", money(outlook["later"], cur, compact=True),
            help="Open, not doubtful, but expected after the 13 weeks.")
m[2].metric("Doubtful", money(outlook["doubtful"], cur, compact=True),
            help=f"{count(outlook['doubtful_items'], 'invoice')} more than 180 days past due: not counted on.")
m[3].metric("Open invoices", money(outlook["open"], cur, compact=True),
            help=f"{number(outlook['items'])} open invoices, net of partial payments and of what cash on account "
                 "most likely paid.")
if outlook["paid_on_account"] > 0:
    st.caption(f"Left out: {money(outlook['paid_on_account'], cur)} of open invoices that cash on account most "
               f"likely paid already ({count(outlook['paid_items'], 'invoice')} in full; sure or confirmed matches "
               "on the Unapplied cash page). The money is in; the ERP has not applied it yet.")
charts.show(charts.forecast_chart(weeks, cur))
with st.expander("Week by week"):
    st.dataframe(weeks, hide_index=True, width="stretch",
                 column_config={"week": "Week", "start": st.column_config.DateColumn("Starting"),
                                "expected": st.column_config.NumberColumn(f"Expected ({cur})", format="accounting")})
    d1, d2, _ = st.columns([1, 1, 3])
    name = f"cash-forecast-{'all-in-' if consolidated else ''}{cur}-{as_of.isoformat()}"
    d1.download_button("Download (CSV)", lambda: exports.to_csv_bytes(weeks), f"{name}.csv", "text/csv",
                       key="fc_csv")
    d2.download_button("Download (Excel)",
                       lambda: exports.to_xlsx_bytes(weeks, sheet="Forecast", money_columns=("expected",)),
                       f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                       key="fc_xlsx")

st.subheader("Backtest: the same forecast made in the past")
first = state.ledger_summary().first_invoice or as_of
latest = as_of - timedelta(weeks=13)  # the 13 weeks after it are known by the as-of date
if latest <= first:
    st.info("A backtest needs a ledger that starts more than 13 weeks before the as-of date.")
    st.stop()
when = st.columns([1, 3])[0].date_input(
    "Forecast made as of", value=latest, min_value=first, max_value=latest, key="fc_backtest", format="YYYY-MM-DD",
    help="The forecast uses only what was known on this date; the 13 weeks after show what came in.")
bt = cache.backtest(when, currency)
b = st.columns(4)
b[0].metric("Average error per week", money(bt.mae_per_week, cur, compact=True),
            help="Mean absolute difference between forecast and receipts, over the 13 weeks (MAE).")
b[1].metric("Forecast, 13 weeks", money(bt.total_expected, cur, compact=True))
b[2].metric("Came in, 13 weeks", money(bt.total_actual, cur, compact=True))
b[3].metric("Error over 13 weeks", money(bt.total_expected - bt.total_actual, cur, compact=True),
            help="Forecast minus receipts: positive means the forecast was too optimistic.")
if bt.doubtful_cleared:
    st.caption(f"Items over 180 days past due on {when:%d %b %Y} are left out of both sides, like for like; "
               f"{money(bt.doubtful_cleared, cur)} of such items cleared in these 13 weeks, paid or written off.")
charts.show(charts.backtest_chart(bt.table, cur))
with st.expander("Week by week"):
    money_col = {c: st.column_config.NumberColumn(f"{label} ({cur})", format="accounting")
                 for c, label in (("expected", "Forecast"), ("actual", "Came in"), ("error", "Error"),
                                  ("abs_error", "Absolute error"))}
    st.dataframe(bt.table, hide_index=True, width="stretch",
                 column_config={"week": "Week", "start": st.column_config.DateColumn("Starting"), **money_col})
    st.caption("Error = forecast − came in. The average of the absolute errors is the error per week above (MAE).")
