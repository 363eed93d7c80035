"""Aging: where the money is stuck, by customer and attribute, down to invoices and a debtor's history."""

from __future__ import annotations

import streamlit as st

from arboard import aging, unapplied
from arboard.aging import AgingSpec
from arboard.segments import SUBGROUP_LABELS
from ui import cache, charts, controls, state
from ui.format import count, md, number

as_of = state.ledger_page(__file__, "Aging")

c1, c2 = st.columns([1, 3])
with c1:
    currency = controls.currency()
with c2:
    edges, basis = controls.aging_buckets()
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency)
spec = AgingSpec(edges=edges, basis=basis)
labels = spec.labels

ag = cache.aging_trend([as_of], currency, edges, basis)
total = ag["amount"].sum()
st.caption(f"As of **{as_of:%d %b %Y}** in **{cur}**{' (all currencies)' if consolidated else ''}: {number(total)} "
           f"{cur} open in {count(ag['count'].sum(), 'item')}. The buckets add up to the total; credit notes sit in "
           f"the bucket of their due date, unapplied cash on its own line. {consolidated}")
left, right = st.columns([5, 4])  # room for the table's four columns and the seven bar labels
with left:
    st.altair_chart(charts.aging_bars(ag, labels, cur), width="stretch")
with right:
    st.dataframe(ag[["bucket", "amount", "count", "credit_notes"]], hide_index=True, width="stretch",
                 height=(len(ag) + 1) * 35 + 3,  # every bucket in view, however many edges
                 column_config={"bucket": "Bucket",
                                "amount": st.column_config.NumberColumn(f"Amount ({cur})", format="accounting"),
                                "count": st.column_config.NumberColumn("Items", format="localized"),
                                "credit_notes": st.column_config.NumberColumn(
                                    f"Credit notes ({cur})", format="accounting",
                                    help="The part of the bucket's amount that is credit notes (negative)")})

st.subheader("By attribute")
dim = controls.dimension(key="aging_dimension", with_segment=True)
if dim == "segment":
    config_name, config = controls.segment_config(st.columns([1, 2])[0])
    by_dim = aging.aging_by_group(cache.aging_by_customer(as_of, currency, edges, basis),
                                  cache.segment_groups(as_of, config=config), spec=spec, labels=SUBGROUP_LABELS)
    st.caption("Thresholds are tuned and saved on the Segments page.")
else:
    by_dim = cache.aging_trend([as_of], currency, edges, basis, dimension=dim)
title = "Segment" if dim == "segment" else controls.DIMENSIONS[dim]
st.altair_chart(charts.aging_by_dimension(by_dim, labels, cur, title), width="stretch")

st.subheader("By customer")
customers = cache.with_overdue_paid(cache.aging_by_customer(as_of, currency, edges, basis), as_of, currency)
f1, f2, f3, f4 = st.columns([2, 2, 1, 1])
# The filters survive a look at another page, as the Debtors page's do.
country_options = sorted(customers["country"].dropna().unique())
for key, default in (("aging_search", ""), ("aging_overdue_only", True), ("aging_risk", False),
                     ("aging_min_risk", 0)):
    controls.kept(key, default)
controls.kept_among("aging_countries", country_options, [])
search = f1.text_input("Search name or ID", key="aging_search")
countries = f2.multiselect("Country", country_options, key="aging_countries")
only_overdue = f3.toggle("Overdue only", key="aging_overdue_only")
view = controls.risk_scores(customers, as_of, prefix="aging", toggle_in=f4)
if search:
    needle = search.strip().lower()
    view = view[view["name"].str.lower().str.contains(needle, regex=False)
                | view["customer_id"].str.lower().str.contains(needle, regex=False)]
if countries:
    view = view[view["country"].isin(countries)]
if only_overdue:
    view = view[view["overdue"] > 0]
money_cols = {label: st.column_config.NumberColumn(label, format="accounting") for label in labels}
picked = st.dataframe(
    view[["name", "customer_id", "country", "customer_type", "collector", *labels, "unapplied", "total", "overdue",
          "overdue_paid", "days_past_due", "disputed", "open_items",
          *(["risk_score"] if "risk_score" in view else [])]],
    hide_index=True, width="stretch", height=420, on_select="rerun", selection_mode="single-row",
    key="aging_customers",
    column_config={"name": "Debtor", "customer_id": "ID", "country": "Country", "customer_type": "Type",
                   "collector": "Collector", **money_cols,
                   "unapplied": st.column_config.NumberColumn("Unapplied", format="accounting"),
                   "total": st.column_config.NumberColumn(f"Total ({cur})", format="accounting"),
                   "overdue": st.column_config.NumberColumn(f"Overdue ({cur})", format="accounting"),
                   "overdue_paid": st.column_config.NumberColumn(
                       "Paid on account", format="accounting",
                       help=unapplied.OVERDUE_PAID_HELP),
                   "days_past_due": st.column_config.NumberColumn("Oldest, days past due", format="%d"),
                   "disputed": st.column_config.NumberColumn("Disputed", format="accounting"),
                   "open_items": st.column_config.NumberColumn("Items", format="localized"),
                   "risk_score": st.column_config.ProgressColumn("Risk (30+ days late)", min_value=0,
                                                                 max_value=100, format="%.0f")})
paid = customers["overdue_paid"].sum()
st.caption(f"{number(len(view))} of {count(len(customers), 'debtor')} with an open balance. Click a row to see the "
           "debtor's timeline below; sort by clicking a column header."
           + (f" Cash on account most likely pays {number(paid)} {cur} of what is overdue: the ERP has not applied "
              "it yet (Unapplied cash page)." if paid > 0 else ""))

st.subheader("Invoices in a bucket")
controls.kept_among("aging_bucket", labels, labels[-1])
bucket = st.selectbox("Bucket", labels, key="aging_bucket")
inv = cache.items(as_of, currency, edges, basis, bucket=bucket)
if inv.empty:
    st.info(f"No open items in {bucket} as of {as_of:%d %b %Y}.")
else:
    st.dataframe(inv.drop(columns=["bucket"]), hide_index=True, width="stretch", height=300,
                 column_config={"invoice_id": "Invoice", "customer_id": "Customer ID", "name": "Debtor",
                                "invoice_date": st.column_config.DateColumn("Invoice date"),
                                "due_date": st.column_config.DateColumn("Due date"),
                                # Items keep their own currency; the column says which when all are shown.
                                "amount": st.column_config.NumberColumn(
                                    "Amount" if consolidated else f"Amount ({cur})", format="accounting"),
                                "open_amount": st.column_config.NumberColumn(
                                    "Open" if consolidated else f"Open ({cur})", format="accounting"),
                                "currency": "Currency", "disputed": "Disputed", "days_past_due": "Days past due"})
    st.caption(f"The {number(len(inv))} largest open items in this bucket"
               + (f" (largest in {cur}; each amount in its own currency)." if consolidated else "."))

st.subheader("Debtor timeline")
rows = picked.selection.rows if picked is not None else []
if not rows:
    st.info("Select a debtor in the table above to see their invoices, payments and contacts on one timeline.")
else:
    debtor = view.iloc[rows[0]]
    events = cache.debtor_timeline(debtor["customer_id"], as_of)
    st.markdown(f"**{md(debtor['name'])}** ({md(debtor['customer_id'])}) · {number(debtor['total'])} {cur} open, "
                f"{number(debtor['overdue'])} overdue")
    if events.empty:
        st.info("No history for this debtor up to the as-of date.")
    else:
        st.altair_chart(charts.timeline_chart(events), width="stretch")
        st.dataframe(events, hide_index=True, width="stretch", height=300,
                     column_config={"date": st.column_config.DateColumn("Date"), "event": "Event",
                                    "reference": "Reference",
                                    "amount": st.column_config.NumberColumn("Amount", format="accounting"),
                                    "currency": "Currency", "detail": "Detail"})
