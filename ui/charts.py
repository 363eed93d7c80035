"""Altair charts in plain finance language. Inputs are small aggregates from arboard."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from arboard.aging import UNAPPLIED, bucket_colours


def show(chart: alt.TopLevelMixin | dict) -> None:
    """Draw an Altair chart or a plain Vega-Lite spec from this module, full width.

    Altair charts are serialised without re-validation: the specs come from this module, not from
    users, and validation costs ~20 ms a chart.
    """
    spec = chart if isinstance(chart, dict) else chart.to_dict(validate=False)
    st.vega_lite_chart(spec, width="stretch")


def _bucket_scale(labels: list[str]) -> alt.Scale:
    return alt.Scale(domain=[*labels, UNAPPLIED], range=bucket_colours([*labels, UNAPPLIED]))


def _ticks_on_data(field: str, dates: pd.Series, *, fmt: str, title: str | None) -> alt.X:
    """A time axis with its ticks on the data's own dates. Left to itself, Vega puts week ticks on
    Sundays and month ticks on the 1st: a bar for the week from Monday 30 Nov read "29 Nov", and the
    DSO at 31 March sat on the "Apr" tick."""
    days = sorted(pd.to_datetime(dates).dt.normalize().unique())
    return alt.X(f"{field}:T", title=title,
                 axis=alt.Axis(format=fmt, labelOverlap=True,
                               values=[alt.DateTime(year=d.year, month=d.month, date=d.day) for d in days]))


def _week_axis(field: str, dates: pd.Series) -> alt.X:
    return _ticks_on_data(field, dates, fmt="%d %b", title="Week starting")


def dso_trend(trend: pd.DataFrame, *, countback: bool) -> alt.Chart:
    """DSO, best possible DSO and average days delinquent per month end."""
    cols = ({"countback_dso": "DSO", "countback_bpdso": "Best possible DSO", "countback_add": "Days delinquent"}
            if countback else {"dso": "DSO", "bpdso": "Best possible DSO", "add": "Days delinquent"})
    data = trend[["as_of", *cols]].rename(columns=cols).melt("as_of", var_name="Measure", value_name="Days")
    data["as_of"] = pd.to_datetime(data["as_of"])
    return alt.Chart(data).mark_line(point=True).encode(
        x=_ticks_on_data("as_of", data["as_of"], fmt="%b %y", title=None),
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
        x=_ticks_on_data("as_of", data["as_of"], fmt="%b %y", title=None),
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
        # Every bucket keeps its label in a narrow column (none hidden): words on lines of their own,
        # or slanted when the user's edges make many buckets.
        x=alt.X("bucket:N", title=None, sort=[*labels, UNAPPLIED],
                axis=alt.Axis(labelAngle=-40, labelOverlap=False) if len(labels) > 7 else
                alt.Axis(labelAngle=0, labelOverlap=False, labelExpr="split(datum.label, ' ')")),
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
    # Months as the other charts write them ("Aug 25"), not as ISO text.
    data = risk.dropna(subset=["rate"]).assign(first_day=lambda d: pd.to_datetime(d["month"]))
    return alt.Chart(data).mark_bar(color="#fb8c00").encode(
        x=alt.X("yearmonth(first_day):O", title="Invoice month", axis=alt.Axis(format="%b %y", labelAngle=0)),
        y=alt.Y("rate:Q", title="Unpaid after 90 days (%)"),
        tooltip=[alt.Tooltip("yearmonth(first_day):O", title="Month", format="%B %Y"),
                 alt.Tooltip("rate:Q", title="At risk %", format=".1f"),
                 alt.Tooltip("invoiced:Q", title="Invoiced", format=",.0f"),
                 alt.Tooltip("unpaid_after_90:Q", title="Still unpaid", format=",.0f")],
    ).properties(height=260)


def timeline_chart(events: pd.DataFrame) -> alt.Chart:
    data = events.assign(date=lambda d: pd.to_datetime(d["date"]),
                         kind=lambda d: d["event"].str.replace(r"^Contact: .*", "Contact", regex=True)
                         .str.replace(r"^Planned: .*", "Planned contact", regex=True)
                         .str.replace("Payment reversed", "Payment", regex=False)  # on the payments' row
                         .str.replace(r"^Credit hold .*", "Credit hold", regex=True)
                         .str.replace(r"^Reminders on hold.*", "Reminders on hold", regex=True)
                         .str.replace(r"^Specific provision.*", "Provision", regex=True)  # one lane, every rate
                         .str.replace("Dispute resolved", "Contact", regex=False))  # a step the team took
    return alt.Chart(data).mark_circle(size=70, opacity=0.8).encode(
        x=alt.X("date:T", title=None),
        y=alt.Y("kind:N", title=None,
                sort=["Invoice", "Credit note", "Payment", "Settled", "Contact", "Planned contact",
                      "Interest claim sent", "Reminders on hold", "Credit hold", "Provision"]),
        color=alt.Color("kind:N", legend=None),
        tooltip=[alt.Tooltip("date:T", format="%d %b %Y"), "event:N", "reference:N",
                 alt.Tooltip("amount:Q", title="Amount", format=",.2f"), alt.Tooltip("currency:N", title="Currency"),
                 "detail:N"],
    ).properties(height=200)


GROUP_COLOURS = {"willing_and_able": "#2e7d32", "to_watch": "#fdd835", "unable_to_pay": "#fb8c00",
                 "wont_pay": "#c62828", "no_information": "#78909c"}


# The Segments page redraws these at every slider move: they are written as plain Vega-Lite specs,
# which cost microseconds, where building and serialising Altair objects costs tens of milliseconds.

def _records(df: pd.DataFrame) -> list[dict]:
    return df.to_dict("records")


def groups_chart(summary: dict, labels: dict, currency: str, measure: str = "customers") -> dict:
    """Group 1 as one bar split into 3, 4, 5 and 'to watch'; group 2 beside it."""
    rows = [{"bar": "1 · Information available", "part": labels[k], "key": k, "value": summary[k][measure]}
            for k in ("willing_and_able", "unable_to_pay", "wont_pay", "to_watch")]
    rows.append({"bar": "2 · No information", "part": labels["no_information"], "key": "no_information",
                 "value": summary["no_information"][measure]})
    title = "Debtors" if measure == "customers" else f"Open balance ({currency})"
    return {
        "data": {"values": rows}, "mark": {"type": "bar", "tooltip": True}, "height": {"step": 48},
        "encoding": {
            "y": {"field": "bar", "type": "nominal", "title": None, "axis": {"labelLimit": 260}},
            # Whole debtors on the axis (a one-debtor ledger read 0.05, 0.1, ...); money in k and M.
            "x": {"field": "value", "type": "quantitative", "title": title,
                  "axis": COUNT_AXIS_SPEC if measure == "customers" else {"format": "~s"}},
            "color": {"field": "key", "type": "nominal", "legend": None,
                      "scale": {"domain": list(GROUP_COLOURS), "range": list(GROUP_COLOURS.values())}},
            "order": {"field": "key"},
            "tooltip": [{"field": "part", "title": "Group"},
                        {"field": "value", "type": "quantitative", "title": title, "format": ",.0f"}],
        },
    }


def threshold_histogram(hist: pd.DataFrame, lines: list[tuple[str, float]], title: str, *, pct: bool = False
                        ) -> dict:
    """A pre-binned distribution with the thresholds drawn as labelled rules."""
    fmt = ".0%" if pct else ",.0f"
    return {
        "height": 200,
        "layer": [
            {"data": {"values": _records(hist)}, "mark": {"type": "bar", "color": "#90a4ae"},
             "encoding": {
                 "x": {"field": "start", "type": "quantitative", "bin": "binned", "title": title,
                       "axis": {"format": fmt}},
                 "x2": {"field": "end"},
                 "y": {"field": "count", "type": "quantitative", "title": "Debtors", "axis": COUNT_AXIS_SPEC},
                 "tooltip": [{"field": "start", "type": "quantitative", "title": "From", "format": fmt},
                             {"field": "end", "type": "quantitative", "title": "To", "format": fmt},
                             {"field": "count", "type": "quantitative", "title": "Debtors"}]}},
            {"data": {"values": [{"rule": r, "value": v} for r, v in lines]},
             "mark": {"type": "rule", "strokeWidth": 2, "strokeDash": [4, 3]},
             "encoding": {"x": {"field": "value", "type": "quantitative"},
                          "color": {"field": "rule", "type": "nominal", "legend": {"orient": "bottom", "title": None}},
                          "tooltip": [{"field": "rule"}, {"field": "value", "type": "quantitative", "format": fmt}]}},
        ],
    }


def value_behaviour_chart(table: pd.DataFrame, labels: dict, currency: str) -> dict:
    data = table.assign(group_label=table["group"].map(labels))
    order = sorted(data["band"].unique(), key=lambda b: (not b.startswith("Small"), b.startswith("Large")))
    # Two lines ("Medium" over "(1,000–25,000)"): one line is cut off on a narrow page.
    two_lines = "split(replace(datum.label, ' (', '|('), '|')"
    enc = {"x": {"field": "band", "type": "nominal", "title": "Balance size", "sort": order,
                 "axis": {"labelAngle": 0, "labelExpr": two_lines}},
           "y": {"field": "group_label", "type": "nominal", "title": None, "axis": {"labelLimit": 300}}}
    return {
        "data": {"values": _records(data)}, "height": {"step": 40}, "width": {"step": 160},
        "layer": [
            {"mark": "rect", "encoding": {**enc, "color": {
                "field": "open_ar", "type": "quantitative", "title": f"Open balance ({currency})",
                "scale": {"scheme": "oranges"}, "legend": {"format": "~s"}},
                "tooltip": [{"field": "group_label", "title": "Group"}, {"field": "band", "title": "Balance"},
                            {"field": "customers", "type": "quantitative", "title": "Debtors", "format": ","},
                            {"field": "open_ar", "type": "quantitative", "title": currency, "format": ",.0f"}]}},
            {"mark": {"type": "text", "fontSize": 12},
             "encoding": {**enc, "text": {"field": "customers", "type": "quantitative", "format": ","}}},
        ],
    }


def importance_chart(importance: pd.DataFrame) -> alt.Chart:
    return alt.Chart(importance).mark_bar(color="#1f5f8b").encode(
        # The factors are sentences ("Customer's share of late invoices so far"); cut at Vega's default
        # 180 px, two of them read "Customer's share…" alike.
        y=alt.Y("label:N", title=None, sort="-x", axis=alt.Axis(labelLimit=400)),
        x=alt.X("importance:Q", title="Drop in ROC AUC when the factor is shuffled"),
        tooltip=[alt.Tooltip("label:N", title="Factor"), alt.Tooltip("importance:Q", format=".4f"),
                 alt.Tooltip("std:Q", title="± (std)", format=".4f")],
    ).properties(height=alt.Step(26))


# Counts of debtors, contacts or calls: whole ticks (a small ledger's axes read 0.0, 0.5, 1.0).
COUNT_AXIS_SPEC = {"tickMinStep": 1, "format": ",d"}
COUNT_AXIS = alt.Axis(**COUNT_AXIS_SPEC)

CHANNEL_COLOURS = {"email": "#1f5f8b", "sms": "#4fc3f7", "portal": "#81c784", "letter": "#ffb74d", "phone": "#e57373"}


def contacts_per_week_chart(table: pd.DataFrame, by: str, title: str, colours: dict | None = None) -> alt.Chart:
    colours = colours or CHANNEL_COLOURS
    # Group names are long: one to a row, or the legend cuts them off on a half-width chart.
    columns = 1 if max(len(str(k)) for k in colours) > 16 else 3
    colour = alt.Color(f"{by}:N", title=title, scale=alt.Scale(domain=list(colours), range=list(colours.values())),
                       legend=alt.Legend(orient="bottom", columns=columns, labelLimit=260))
    # The page fits legend and plot into the chart's height: give each extra legend row its room, so
    # that side-by-side charts keep plots of one size.
    rows = -(-len(colours) // columns)
    return alt.Chart(table).mark_bar(size=26).encode(
        x=_week_axis("week", table["week"]),
        y=alt.Y("contacts:Q", title="Planned contacts", axis=COUNT_AXIS), color=colour,
        tooltip=[alt.Tooltip("week:T", title="Week of", format="%d %b %Y"), f"{by}:N",
                 alt.Tooltip("contacts:Q", title="Contacts")],
    ).properties(height=280 + 18 * max(rows - 2, 0))


def workload_chart(load: pd.DataFrame) -> alt.Chart:
    bars = alt.Chart(load).mark_bar().encode(
        x=alt.X("date:T", title=None, axis=alt.Axis(format="%d %b")),
        y=alt.Y("calls:Q", title="Calls planned", axis=COUNT_AXIS),
        color=alt.condition("datum.overload", alt.value("#c62828"), alt.value("#90a4ae")),
        tooltip=[alt.Tooltip("date:T", format="%a %d %b"), "calls:Q", "capacity:Q"])
    capacity = pd.DataFrame({"capacity": [int(load["capacity"].iloc[0]) if len(load) else 0]})
    line = alt.Chart(capacity).mark_rule(color="#1b2430", strokeDash=[4, 3], strokeWidth=2).encode(y="capacity:Q")
    return (bars + line).properties(height=220)


SERIES_COLOURS = ["#90a4ae", "#1f5f8b", "#fb8c00"]


def forecast_chart(weeks: pd.DataFrame, currency: str) -> alt.Chart:
    """Expected receipts per week (bars) and their running total (line)."""
    data = weeks.assign(start=lambda d: pd.to_datetime(d["start"]), cumulative=lambda d: d["expected"].cumsum())
    x = _week_axis("start", data["start"])
    tooltip = [alt.Tooltip("start:T", title="Week of", format="%d %b %Y"),
               alt.Tooltip("expected:Q", title=f"Expected ({currency})", format=",.0f"),
               alt.Tooltip("cumulative:Q", title=f"Running total ({currency})", format=",.0f")]
    bars = alt.Chart(data).mark_bar(color="#1f5f8b", size=30).encode(
        x=x, y=alt.Y("expected:Q", title=f"Expected receipts ({currency})", axis=alt.Axis(format="~s")),
        tooltip=tooltip)
    line = alt.Chart(data).mark_line(color="#fb8c00", point=alt.OverlayMarkDef(color="#fb8c00")).encode(
        x=x, y=alt.Y("cumulative:Q", title=f"Running total ({currency})", axis=alt.Axis(format="~s")),
        tooltip=tooltip)
    return alt.layer(bars, line).resolve_scale(y="independent").properties(height=320)


def backtest_chart(table: pd.DataFrame, currency: str) -> alt.Chart:
    """Forecast against what came in, week by week."""
    data = table.rename(columns={"expected": "Forecast", "actual": "Came in"}).melt(
        ["week", "start"], ["Forecast", "Came in"], var_name="Series", value_name="amount")
    # Side-by-side bars need a discrete axis (an offset is dropped on a time axis).
    data["week_of"] = pd.to_datetime(data["start"]).dt.strftime("%d %b")
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("week_of:O", title="Week starting", sort=None, axis=alt.Axis(labelAngle=0)),
        xOffset=alt.XOffset("Series:N", sort=["Forecast", "Came in"]),
        y=alt.Y("amount:Q", title=currency, axis=alt.Axis(format="~s")),
        color=alt.Color("Series:N", sort=["Forecast", "Came in"], scale=alt.Scale(range=["#90a4ae", "#1f5f8b"]),
                        legend=alt.Legend(orient="bottom", title=None)),
        tooltip=[alt.Tooltip("week_of:O", title="Week of"), "Series:N",
                 alt.Tooltip("amount:Q", title=currency, format=",.0f")],
    ).properties(height=280)


def scenario_days(metrics: dict[str, pd.DataFrame], *, height: int = 300) -> alt.Chart:
    """DSO, best possible DSO and days delinquent: one bar per scenario, grouped by measure."""
    rows = []
    for name, m in metrics.items():
        for _, r in m[m["unit"] == "days"].iterrows():
            rows.append({"Measure": r["label"], "Scenario": name, "Days": r["value"]})
    data = pd.DataFrame(rows)
    names = list(metrics)
    order = ["DSO", "Best possible DSO", "Average days delinquent", "Countback DSO"]
    return alt.Chart(data).mark_bar().encode(
        # One word per line: four measures fit side by side even in a half-width column.
        x=alt.X("Measure:N", title=None, sort=order,
                axis=alt.Axis(labelAngle=0, labelOverlap=False, labelExpr="split(datum.label, ' ')")),
        xOffset=alt.XOffset("Scenario:N", sort=names),
        y=alt.Y("Days:Q", title="Days"),
        color=alt.Color("Scenario:N", sort=names, scale=alt.Scale(domain=names, range=SERIES_COLOURS[:len(names)]),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=300)),
        tooltip=["Measure:N", "Scenario:N", alt.Tooltip("Days:Q", format=".1f")],
    ).properties(height=height)


def scenario_receipts(weeks: dict[str, pd.Series], starts: pd.Series, currency: str, *, height: int = 300
                      ) -> alt.Chart:
    """Expected receipts per week under each scenario."""
    data = pd.concat([pd.DataFrame({"start": pd.to_datetime(starts), "Scenario": name, "amount": values.to_numpy()})
                      for name, values in weeks.items()], ignore_index=True)
    names = list(weeks)
    return alt.Chart(data).mark_line(point=True, strokeWidth=3).encode(
        x=_week_axis("start", data["start"]),
        y=alt.Y("amount:Q", title=f"Expected receipts ({currency})", axis=alt.Axis(format="~s")),
        color=alt.Color("Scenario:N", sort=names, scale=alt.Scale(domain=names, range=SERIES_COLOURS[:len(names)]),
                        legend=alt.Legend(orient="bottom", title=None, labelLimit=300)),
        tooltip=[alt.Tooltip("start:T", title="Week of", format="%d %b %Y"), "Scenario:N",
                 alt.Tooltip("amount:Q", title=currency, format=",.0f")],
    ).properties(height=height)


def lever_bars(levers: pd.DataFrame, currency: str) -> alt.Chart:
    """Cash released by each lever on its own (negative: cash tied up)."""
    data = levers.assign(released=-levers["ar_change"])
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("lever:N", title=None),
        x=alt.X("released:Q", title=f"Cash released on its own ({currency})", axis=alt.Axis(format="~s")),
        color=alt.condition("datum.released >= 0", alt.value("#2e7d32"), alt.value("#c62828")),
        tooltip=["lever:N", alt.Tooltip("released:Q", title=currency, format=",.0f")],
    ).properties(height=alt.Step(34))


def dispute_reason_chart(reasons: pd.DataFrame, currency: str) -> alt.Chart:
    """Open disputed amount per reason, largest first (the root causes to fix)."""
    shown = reasons[reasons["count"] > 0]
    return alt.Chart(shown).mark_bar(color="#c62828").encode(
        y=alt.Y("reason:N", title=None, sort=shown["reason"].tolist(), axis=alt.Axis(labelLimit=260)),
        x=alt.X("amount:Q", title=f"Open in dispute ({currency})", axis=alt.Axis(format="~s")),
        tooltip=[alt.Tooltip("reason:N", title="Reason"), alt.Tooltip("amount:Q", title=currency, format=",.2f"),
                 alt.Tooltip("count:Q", title="Invoices", format=","),
                 alt.Tooltip("median_days_open:Q", title="Median days in dispute", format=".0f")],
    ).properties(height=alt.Step(28))


def dispute_age_chart(bands: pd.DataFrame, currency: str) -> alt.Chart:
    """Disputed amount by time in dispute (bands in order, the older the darker)."""
    order = bands["band"].tolist()
    return alt.Chart(bands).mark_bar().encode(
        x=alt.X("band:N", title="Time in dispute", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("amount:Q", title=f"Disputed ({currency})", axis=alt.Axis(format="~s")),
        color=alt.Color("band:N", sort=order, legend=None,
                        scale=alt.Scale(domain=order, range=bucket_colours(order)[:len(order)])),
        tooltip=[alt.Tooltip("band:N", title="In dispute"), alt.Tooltip("amount:Q", title=currency, format=",.2f"),
                 alt.Tooltip("count:Q", title="Invoices", format=",")],
    ).properties(height=260)


def provision_bars(table: pd.DataFrame, labels: list[str], currency: str) -> alt.Chart:
    """The provision in each bucket, its loss rate above the bar (what is open there in the tooltip)."""
    data = table[["bucket", "open", "provision", "applied_rate", "source"]].assign(
        rate=lambda d: (d["applied_rate"] * 100).map(lambda v: f"{v:.1f} %"))
    x = alt.X("bucket:N", title="Days past due", sort=labels,
              axis=alt.Axis(labelAngle=-40, labelOverlap=False) if len(labels) > 7 else
              alt.Axis(labelAngle=0, labelOverlap=False))
    tooltip = [alt.Tooltip("bucket:N", title="Days past due"),
               alt.Tooltip("open:Q", title=f"Open ({currency})", format=",.2f"),
               alt.Tooltip("rate:N", title="Loss rate"), alt.Tooltip("source:N", title="Rate from"),
               alt.Tooltip("provision:Q", title=f"Provision ({currency})", format=",.2f")]
    base = alt.Chart(data).encode(x=x, y=alt.Y("provision:Q", title=f"Provision ({currency})",
                                                 axis=alt.Axis(format="~s")), tooltip=tooltip)
    bars = base.mark_bar().encode(color=alt.Color("bucket:N", scale=_bucket_scale(labels), legend=None))
    rate = base.mark_text(dy=-8, fontSize=12).encode(text="rate:N")
    return alt.layer(bars, rate).properties(height=260, title=alt.Title(
        "Provision by bucket, at each bucket's loss rate", anchor="start", fontSize=14))


CONFIDENCE_COLOURS = {"High": "#2e7d32", "Medium": "#9ccc65", "Low": "#fdd835", "—": "#b0bec5"}
CONFIDENCE_NAMES = {"High": "Matched, high confidence", "Medium": "Matched, medium", "Low": "Matched, low",
                    "—": "Unmatched"}


def unapplied_age_chart(bands: pd.DataFrame, currency: str) -> alt.Chart:
    """Cash on account by days since it came in, stacked by how surely it matches open items."""
    order = bands["band"].drop_duplicates().tolist()
    data = bands.assign(match=bands["confidence"].map(CONFIDENCE_NAMES),
                        rank=bands["confidence"].map(list(CONFIDENCE_NAMES).index))
    names = list(CONFIDENCE_NAMES.values())
    return alt.Chart(data).mark_bar().encode(
        x=alt.X("band:N", title="Days on account", sort=order, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("amount:Q", title=f"On account ({currency})", axis=alt.Axis(format="~s"), stack="zero"),
        color=alt.Color("match:N", title=None, sort=names,
                        scale=alt.Scale(domain=names, range=list(CONFIDENCE_COLOURS.values())),
                        # Two to a row: in one row the last was cut off in the page's narrower column.
                        legend=alt.Legend(orient="bottom", columns=2, labelLimit=260)),
        order=alt.Order("rank:Q"),
        tooltip=[alt.Tooltip("band:N", title="On account"), alt.Tooltip("match:N", title="Match"),
                 alt.Tooltip("amount:Q", title=currency, format=",.2f"),
                 alt.Tooltip("count:Q", title="Payments", format=",")],
    ).properties(height=260)
