"""Altair charts in plain finance language. Inputs are small aggregates from arboard."""

from __future__ import annotations

import altair as alt
import pandas as pd

from arboard.aging import UNAPPLIED

# Not due in green, then warmer colours the older the money; unapplied cash in grey.
BUCKET_COLOURS = ["#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#e53935", "#8e0000", "#6d0000", "#4a0000"]


def _bucket_scale(labels: list[str]) -> alt.Scale:
    colours = (BUCKET_COLOURS * 2)[: len(labels)]
    return alt.Scale(domain=[*labels, UNAPPLIED], range=[*colours, "#9e9e9e"])


def dso_trend(trend: pd.DataFrame, *, countback: bool) -> alt.Chart:
    """DSO, best possible DSO and average days delinquent per month end."""
    cols = ({"countback_dso": "DSO", "countback_bpdso": "Best possible DSO", "countback_add": "Days delinquent"}
            if countback else {"dso": "DSO", "bpdso": "Best possible DSO", "add": "Days delinquent"})
    data = trend[["as_of", *cols]].rename(columns=cols).melt("as_of", var_name="Measure", value_name="Days")
    data["as_of"] = pd.to_datetime(data["as_of"])
    return alt.Chart(data).mark_line(point=True).encode(
        x=alt.X("as_of:T", title=None, axis=alt.Axis(format="%b %y")),
        y=alt.Y("Days:Q", title="Days"),
        color=alt.Color("Measure:N", scale=alt.Scale(domain=list(cols.values()),
                                                     range=["#1f5f8b", "#2e7d32", "#e53935"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("as_of:T", title="As of", format="%d %b %Y"), "Measure:N",
                 alt.Tooltip("Days:Q", format=".1f")],
    ).properties(height=300)


def cei_trend(trend: pd.DataFrame) -> alt.Chart:
    data = trend[["as_of", "cei"]].dropna().assign(as_of=lambda d: pd.to_datetime(d["as_of"]))
    return alt.Chart(data).mark_line(point=True, color="#1f5f8b").encode(
        x=alt.X("as_of:T", title=None, axis=alt.Axis(format="%b %y")),
        y=alt.Y("cei:Q", title="CEI (%)", scale=alt.Scale(domain=[0, 100])),
        tooltip=[alt.Tooltip("as_of:T", title="As of", format="%d %b %Y"), alt.Tooltip("cei:Q", title="CEI %",
                                                                                       format=".1f")],
    ).properties(height=300)


def aging_over_time(trend: pd.DataFrame, labels: list[str], currency: str) -> alt.Chart:
    data = trend.assign(as_of=lambda d: pd.to_datetime(d["as_of"]),
                        order=lambda d: d["bucket"].map({b: i for i, b in enumerate([*labels, UNAPPLIED])}))
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("yearmonthdate(as_of):O", title=None, axis=alt.Axis(format="%b %y", labelAngle=0)),
        y=alt.Y("sum(amount):Q", title=f"Open AR ({currency})", axis=alt.Axis(format="~s")),
        color=alt.Color("bucket:N", title="Days past due", scale=_bucket_scale(labels),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("as_of:T", title="As of", format="%d %b %Y"), alt.Tooltip("bucket:N", title="Bucket"),
                 alt.Tooltip("sum(amount):Q", title=f"Amount ({currency})", format=",.0f")],
    ).properties(height=320)


def aging_bars(ag: pd.DataFrame, labels: list[str], currency: str) -> alt.Chart:
    return alt.Chart(ag).mark_bar().encode(
        x=alt.X("bucket:N", title=None, sort=[*labels, UNAPPLIED], axis=alt.Axis(labelAngle=0)),
        y=alt.Y("amount:Q", title=f"Open AR ({currency})", axis=alt.Axis(format="~s")),
        color=alt.Color("bucket:N", scale=_bucket_scale(labels), legend=None),
        tooltip=[alt.Tooltip("bucket:N", title="Bucket"), alt.Tooltip("amount:Q", title=currency, format=",.2f"),
                 alt.Tooltip("count:Q", title="Items", format=",")],
    ).properties(height=300)


def aging_by_dimension(ag: pd.DataFrame, labels: list[str], currency: str, title: str) -> alt.Chart:
    data = ag[["dim", "bucket", "amount"]].assign(
        order=lambda d: d["bucket"].map({b: i for i, b in enumerate([*labels, UNAPPLIED])}))
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("dim:N", title=title, sort=alt.EncodingSortField(field="amount", op="sum", order="descending")),
        x=alt.X("sum(amount):Q", title=f"Open AR ({currency})", axis=alt.Axis(format="~s")),
        color=alt.Color("bucket:N", title="Days past due", scale=_bucket_scale(labels),
                        legend=alt.Legend(orient="bottom")),
        order=alt.Order("order:Q"),
        tooltip=[alt.Tooltip("dim:N", title=title), alt.Tooltip("bucket:N", title="Bucket"),
                 alt.Tooltip("sum(amount):Q", title=currency, format=",.0f")],
    ).properties(height=alt.Step(34))


def at_risk_bars(risk: pd.DataFrame) -> alt.Chart:
    return alt.Chart(risk.dropna(subset=["rate"])).mark_bar(color="#fb8c00").encode(
        x=alt.X("month:O", title="Invoice month", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("rate:Q", title="Unpaid 90 days after month end (%)"),
        tooltip=[alt.Tooltip("month:O", title="Month"), alt.Tooltip("rate:Q", title="At risk %", format=".1f"),
                 alt.Tooltip("invoiced:Q", title="Invoiced", format=",.0f"),
                 alt.Tooltip("unpaid_after_90:Q", title="Still unpaid", format=",.0f")],
    ).properties(height=260)


def timeline_chart(events: pd.DataFrame, currency: str) -> alt.Chart:
    data = events.assign(date=lambda d: pd.to_datetime(d["date"]),
                         kind=lambda d: d["event"].str.replace(r"^Contact: .*", "Contact", regex=True))
    return alt.Chart(data).mark_circle(size=70, opacity=0.8).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("kind:N", title=None, sort=["Invoice", "Credit note", "Payment", "Settled", "Contact"]),
        color=alt.Color("kind:N", legend=None),
        tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "event:N", "reference:N",
                 alt.Tooltip("amount:Q", title=currency, format=",.2f"), "detail:N"],
    ).properties(height=200)
