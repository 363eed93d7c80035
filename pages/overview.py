"""Overview: is cash coming in faster or slower than last month, and where is it stuck?"""

from __future__ import annotations

import streamlit as st

from arboard import unapplied
from arboard.aging import AgingSpec
from ui import cache, charts, controls, state
from ui.format import count, days, money, pct

as_of = state.ledger_page(__file__, "Overview")

c1, c2, c3 = st.columns([1, 1, 2])
with c1:
    currency = controls.currency()
with c2:
    window = controls.window()
with c3:
    cei_average = controls.cei_average()
    controls.kept("countback", True)
    countback = st.toggle("Countback method for DSO", key="countback",
                          help="Countback walks back month by month through credit sales: insensitive to "
                               "seasonality. Off: standard DSO (AR / sales × days).")

ov = cache.overview_for(as_of, currency, window, cei_average)
previous = ov.previous
points = ov.tiles.set_index("as_of")
now, before = points.loc[as_of], points.loc[previous]
risk = ov.at_risk
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency)
cap, pdf = st.columns([5, 1], vertical_alignment="center")
cap.caption(f"As of **{as_of:%d %b %Y}** in **{cur}**{' (all currencies)' if consolidated else ''}; changes are "
            f"against {previous:%d %b %Y}. DSO and CEI use the {controls.WINDOWS[window]} before each date."
            + f" {consolidated}")
config_name, config = controls.current_config()
controls.pdf_button(pdf, lambda: cache.summary_pdf(as_of, currency, window, cei_average, countback, config_name,
                                                   config), as_of, key="ov_pdf")
state.history_warning("DSO, CEI, days to pay and the at-risk rate")


def delta(key: str, digits: int = 1) -> str | None:
    a, b = now.get(key), before.get(key)
    if a is None or b is None or a != a or b != b:
        return None
    change = round(a - b, digits)
    return f"{change:+,.{digits}f}" if change else "no change"


def money_delta(key: str) -> str:
    change = now[key] - before[key]
    return money(change, cur, compact=True) if abs(change) >= 0.5 else "no change"


def moved(change: str | None, colour: str = "normal") -> dict:
    """A tile's delta arguments: neither arrow nor colour when nothing changed (it read "↑ no change")."""
    still = change == "no change"
    return {"delta": change, "delta_color": "off" if still else colour, "delta_arrow": "off" if still else "auto"}


dso_key, bp_key, add_key = ("countback_dso", "countback_bpdso", "countback_add") if countback else ("dso", "bpdso",
                                                                                                     "add")
row1 = st.columns(6)
row1[0].metric("Open receivables", money(now["open_ar"], cur, compact=True),
               **moved(money_delta("open_ar"), "off"),
               help="Open invoices and credit notes, less unapplied cash.")
row1[1].metric(f"Overdue ({pct(now['pct_past_due'])})", money(now["overdue_ar"], cur, compact=True),
               **moved(money_delta("overdue_ar"), "inverse"),
               help="Past their due date; the share is of open invoices.")
row1[2].metric("DSO", days(now[dso_key]), **moved(delta(dso_key), "inverse"),
               help="Days sales outstanding: how many days of credit sales are still unpaid.")
row1[3].metric("Best possible DSO", days(now[bp_key]), **moved(delta(bp_key), "inverse"),
               help="DSO counting only receivables not yet due: the floor your terms set.")
row1[4].metric("Days delinquent", days(now[add_key]), **moved(delta(add_key), "inverse"),
               help="Average days delinquent (ADD): DSO minus best possible DSO. A widening gap means "
                    "collection is slipping, not terms.")
row1[5].metric("CEI", pct(now["cei"]), **moved(delta("cei")),
               help="Collection effectiveness index: the share of what could be collected that was collected.")
row2 = st.columns(6)
row2[0].metric("Not yet due", pct(now["pct_current"]), **moved(delta("pct_current")))
row2[1].metric("Days to pay", days(now["wadp"]), **moved(delta("wadp"), "inverse"),
               help="Amount-weighted days from invoice to settlement, for invoices settled in the window.")
row2[2].metric("Days late", days(now["wadbt"]), **moved(delta("wadbt"), "inverse"),
               help="Amount-weighted days beyond terms of invoices settled in the window (early payments count as 0).")
row2[3].metric("Disputed", pct(now["disputed_share"]), **moved(delta("disputed_share"), "inverse"),
               help="Share of open invoices under dispute.")
last_risk = risk.dropna(subset=["rate"]).tail(1)
row2[4].metric("At-risk rate", pct(last_risk["rate"].iloc[0]) if len(last_risk) else "–",
               help="Share of a month's invoices still unpaid 90 days after the month's end"
                    + (f" (invoices of {last_risk['month'].iloc[0]})." if len(last_risk) else "."))
row2[5].metric("Unapplied cash", money(now["unapplied"], cur, compact=True),
               help="Payments received but not applied to an invoice; they lower open receivables. The "
                    "Unapplied cash page proposes the open items each most likely pays.")

trend = ov.trend
left, right = st.columns(2)
with left:
    st.subheader("DSO over 24 months")
    st.altair_chart(charts.dso_trend(trend, countback=countback), width="stretch")
with right:
    st.subheader("Collection effectiveness")
    st.altair_chart(charts.cei_trend(trend), width="stretch")

st.subheader("Open receivables by age")
labels = AgingSpec().labels
st.altair_chart(charts.aging_over_time(ov.aging_trend, labels, cur), width="stretch")

st.subheader("Top overdue debtors")
top = ov.customers.head(15)
if top.empty or top["overdue"].max() <= 0:
    st.info("Nobody is overdue as of this date.")
else:
    top = cache.with_overdue_paid(top, as_of, currency)
    st.dataframe(
        top[["name", "customer_id", "country", "overdue", "overdue_paid", "total", "days_past_due", "disputed"]],
        hide_index=True, width="stretch",
        column_config={
            "name": "Debtor", "customer_id": "ID", "country": "Country",
            "overdue": st.column_config.NumberColumn(f"Overdue ({cur})", format="accounting"),
            "overdue_paid": st.column_config.NumberColumn(
                f"Paid on account ({cur})", format="accounting",
                help=unapplied.OVERDUE_PAID_HELP),
            "total": st.column_config.NumberColumn(f"Open ({cur})", format="accounting"),
            "days_past_due": st.column_config.NumberColumn("Oldest item, days past due", format="%d"),
            "disputed": st.column_config.NumberColumn(f"Disputed ({cur})", format="accounting"),
        })
    paid = top[top["overdue_paid"] > 0]
    if len(paid):
        st.caption(f"Cash on account most likely pays {money(paid['overdue_paid'].sum(), cur)} of the overdue of "
                   f"{count(len(paid), 'debtor')} here: the ERP has not applied it yet. Ask for it to be applied "
                   "(Unapplied cash page) before chasing them.")

st.subheader("At-risk rate by invoice month")
if risk["rate"].notna().any():
    st.caption("The share of each month's invoiced amount still unpaid 90 days after the month ended.")
    st.altair_chart(charts.at_risk_bars(risk), width="stretch")
else:
    st.info("Not enough history: a month is measured 90 days after it ends.")

st.subheader("By customer attribute")
dim = controls.dimension()
by = cache.breakdown(as_of, currency, window, cei_average, dim)
st.dataframe(
    by[["dim", "open_ar", "overdue_ar", "pct_past_due", dso_key, bp_key, add_key]],
    hide_index=True, width="stretch",
    column_config={
        "dim": controls.DIMENSIONS[dim],
        "open_ar": st.column_config.NumberColumn(f"Open ({cur})", format="accounting"),
        "overdue_ar": st.column_config.NumberColumn(f"Overdue ({cur})", format="accounting"),
        "pct_past_due": st.column_config.NumberColumn("Overdue share", format="%.1f%%"),
        dso_key: st.column_config.NumberColumn("DSO (days)", format="%.1f"),
        bp_key: st.column_config.NumberColumn("Best possible DSO (days)", format="%.1f"),
        add_key: st.column_config.NumberColumn("Days delinquent", format="%.1f"),
    })
st.caption(f"{count(len(by), 'group')}. "
           + (f"Amounts are all currencies in {cur}." if consolidated
              else f"Amounts are in {cur} only; other currencies are reported separately."))
