"""A one-page PDF summary of the dashboard for a meeting: KPIs, DSO trend, aging, groups, forecast, what-if.

Charts are Vega-Lite specs rendered to PNG by vl-convert (the same grammar the pages draw with
Altair), laid out on one A4 page with fpdf2. Besides aggregates, the page names the debtors
with the largest overdue balances (what a collections meeting discusses); like an export, it is
company data. Fonts and page helpers: :mod:`arboard.pdf`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pandas as pd
from babel.numbers import format_compact_decimal, format_decimal

from arboard import promises
from arboard.aging import bucket_colours
from arboard.errors import ArboardError
from arboard.overview import Overview
from arboard.pdf import ACCENT, BAD, GOOD, INK, MUTED, Page
from arboard.words import counted

LOCALE = "en_GB"


@dataclass
class Extras:
    """Optional parts of the page, each computed by its own module."""

    groups: pd.Series | None = None  # subgroup per customer id (arboard.segments.assign)
    forecast_weeks: pd.DataFrame | None = None  # arboard.forecast.weekly(...)
    forecast_outlook: dict | None = None  # arboard.forecast.outlook(...)
    projection: object | None = None  # arboard.scenarios.Projection
    config_name: str | None = None
    open_items_only: bool = False  # arboard.summary.LedgerSummary.open_items_only: say what lacks history
    promises: dict | None = None  # arboard.promises.summary(...) with kept_rate(...) under "kept"
    provision: dict | None = None  # provision_line(...): the bad-debt provision and its movement


def _money(value: float | None, currency: str, *, compact: bool = True) -> str:
    if value is None or pd.isna(value):
        return "–"
    if abs(value) < 1000:
        value = round(value)  # Babel has no compact form below a thousand and prints every digit there
    text = (format_compact_decimal(value, locale=LOCALE, fraction_digits=1) if compact and abs(value) >= 1000
            else format_decimal(round(value), locale=LOCALE))
    return f"{text} {currency}"


def _days(value) -> str:
    return "–" if value is None or pd.isna(value) else f"{value:,.1f} days"


def _png(spec: dict, width: int, height: int) -> bytes:
    import vl_convert as vlc  # imported here: loading its JavaScript engine takes a moment

    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "width": width, "height": height,
            "config": {"font": "DejaVu Sans", "axis": {"labelFontSize": 11, "titleFontSize": 11},
                       "legend": {"labelFontSize": 11}, "view": {"stroke": None}}, **spec}
    return vlc.vegalite_to_png(spec, scale=2)


def dso_chart(trend: pd.DataFrame, *, countback: bool) -> dict:
    """DSO, best possible DSO and days delinquent per month end (Vega-Lite)."""
    cols = ({"countback_dso": "DSO", "countback_bpdso": "Best possible DSO", "countback_add": "Days delinquent"}
            if countback else {"dso": "DSO", "bpdso": "Best possible DSO", "add": "Days delinquent"})
    data = trend[["as_of", *cols]].rename(columns=cols).melt("as_of", var_name="m", value_name="days").dropna()
    data["as_of"] = pd.to_datetime(data["as_of"]).dt.strftime("%Y-%m-%d")
    return {"data": {"values": data.to_dict("records")}, "mark": {"type": "line", "point": True},
            "encoding": {"x": {"field": "as_of", "type": "temporal", "title": None, "axis": {"format": "%b %y"}},
                         "y": {"field": "days", "type": "quantitative", "title": "Days"},
                         "color": {"field": "m", "type": "nominal", "title": None,
                                   "scale": {"domain": list(cols.values()),
                                             "range": ["#1f5f8b", "#2e7d32", "#e53935"]},
                                   "legend": {"orient": "bottom"}}}}


def aging_chart(aging: pd.DataFrame, currency: str) -> dict:
    """Open amounts per aging bucket (Vega-Lite)."""
    labels = list(aging["bucket"])
    return {"data": {"values": aging[["bucket", "amount"]].to_dict("records")}, "mark": "bar",
            "encoding": {"x": {"field": "bucket", "type": "nominal", "sort": labels, "title": None,
                               "axis": {"labelAngle": -30}},
                         "y": {"field": "amount", "type": "quantitative", "title": currency,
                               "axis": {"format": "~s"}},
                         "color": {"field": "bucket", "type": "nominal", "legend": None,
                                   "scale": {"domain": labels,
                                             "range": bucket_colours(labels)}}}}


def forecast_chart(weeks: pd.DataFrame, currency: str) -> dict:
    """Expected receipts per week (Vega-Lite)."""
    data = weeks.assign(start=pd.to_datetime(weeks["start"]).dt.strftime("%Y-%m-%d"))[["start", "expected"]]
    return {"data": {"values": data.to_dict("records")}, "mark": {"type": "bar", "color": "#1f5f8b"},
            "encoding": {"x": {"field": "start", "type": "ordinal", "title": "Week starting",
                               "timeUnit": "yearmonthdate", "axis": {"format": "%d %b", "labelAngle": -45}},
                         "y": {"field": "expected", "type": "quantitative", "title": currency,
                               "axis": {"format": "~s"}}}}


def group_rows(customers: pd.DataFrame, groups: pd.Series) -> list[tuple[str, int, float]]:
    """(label, debtors, open balance) of the five groups, from aging by customer (in its currency)."""
    from arboard.segments import GROUPS

    g = customers["customer_id"].map(groups).fillna("no_information")
    rows = []
    for key, label in GROUPS.items():
        mask = g != "no_information" if key == "information_available" else g == key
        rows.append((label, int(mask.sum()), float(customers.loc[mask, "total"].sum())))
    return rows


def promise_line(table: pd.DataFrame, kept: dict) -> dict:
    """What the page says about promises to pay: :func:`arboard.promises.summary` of ``table`` (from
    :func:`arboard.promises.promises`) and ``kept`` (:func:`arboard.promises.kept_rate`)."""
    return {**promises.summary(table), "kept": dict(kept)}


def provision_line(result, before) -> dict:
    """What the page says about the bad-debt provision: ``result`` and ``before`` are
    :func:`arboard.provision.matrix` as of the reporting date and the month end before it, in the
    page's currency."""
    return {"provision": result.provision, "coverage": result.coverage, "previous": before.as_of,
            "movement": result.provision - before.provision, "specific": result.specific_provision,
            "specific_debtors": len(result.specific_debtors),
            "written_off_12m": result.written_off_12m if result.writeoffs_from else None}


def summary_pdf(ov: Overview, *, countback: bool = True, window_days: int = 90, extras: Extras | None = None,
                generated: datetime | None = None) -> bytes:
    """Render the one-page summary.

    Parameters
    ----------
    ov
        The Overview as of the reporting date (:func:`arboard.overview.overview`), in one currency or
        all of them in the reporting currency.
    countback
        Report countback DSO (else standard DSO) — the Overview's setting.
    extras
        Groups, forecast and a what-if projection, when the caller has them.

    Returns
    -------
    bytes
        A one-page A4 PDF.
    """
    extras = extras or Extras()
    cur = ov.unit or "mixed currencies"
    every = " (all currencies)" if ov.currency is None and ov.rates.active else ""
    points = ov.tiles.set_index("as_of")
    now, before = points.loc[ov.as_of], points.loc[ov.previous]
    dso_k, bp_k, add_k = ("countback_dso", "countback_bpdso", "countback_add") if countback else ("dso", "bpdso", "add")
    page = Page()
    pdf = page.pdf
    left, width = 12.0, 186.0

    page.font(17, bold=True)
    page.at(left, 12, width, 8, f"Receivables summary as of {ov.as_of:%d %B %Y}")
    stamp = (generated or datetime.now()).strftime("%d %b %Y %H:%M")
    page.fitted(left, 20.5, width, 5,
                f"In {cur}{every}; {'countback' if countback else 'standard'} DSO over {window_days} days of "
                f"credit sales; changes against {ov.previous:%d %b %Y}; segments: "
                f"{extras.config_name or 'default thresholds'}.", size=8.5, colour=MUTED)
    if extras.open_items_only:
        page.font(8, colour=BAD)
        page.at(left, 24.4, width, 3.5, "Open items only (nothing settled): balances and aging are exact; DSO, CEI "
                                        "and the groups lack the settled history.")

    def delta(key: str, unit: str) -> tuple[str, tuple]:
        a, b = now.get(key), before.get(key)
        if a is None or b is None or pd.isna(a) or pd.isna(b):
            return "", MUTED
        d = float(a) - float(b)
        text = (f"{d:+,.1f} days" if unit == "days" else f"{d:+,.1f} pts" if unit == "pct"
                else ("+" if d >= 0 else "") + _money(d, cur))
        good = d >= 0 if key == "cei" else d <= 0
        return f"{text} vs last month", (GOOD if good else BAD) if abs(d) > 1e-9 else MUTED

    risk = ov.at_risk["rate"].dropna()
    tiles = [
        ("Open receivables", _money(now["open_ar"], cur), delta("open_ar", "money")),
        (f"Overdue ({now['pct_past_due']:.0f} %)" if not pd.isna(now["pct_past_due"]) else "Overdue",
         _money(now["overdue_ar"], cur), delta("overdue_ar", "money")),
        ("DSO", _days(now[dso_k]), delta(dso_k, "days")),
        ("Best possible DSO", _days(now[bp_k]), delta(bp_k, "days")),
        ("Average days delinquent", _days(now[add_k]), delta(add_k, "days")),
        ("CEI", "–" if pd.isna(now["cei"]) else f"{now['cei']:.1f} %", delta("cei", "pct")),
        ("Days beyond terms (weighted)", _days(now["wadbt"]), delta("wadbt", "days")),
        ("At-risk rate", "–" if risk.empty else f"{risk.iloc[-1]:.1f} %",
         (f"invoices of {ov.at_risk['month'].iloc[-1]}, 90 days on" if len(ov.at_risk) else "", MUTED)),
    ]
    box_w, box_h, gap = (width - 3 * 3) / 4, 17.0, 3.0
    for i, (label, value, (change, colour)) in enumerate(tiles):
        x, y = left + (i % 4) * (box_w + gap), 28 + (i // 4) * (box_h + gap)
        pdf.set_fill_color(244, 246, 248)
        pdf.rect(x, y, box_w, box_h, style="F")
        page.font(7.5, colour=MUTED)
        page.at(x + 2, y + 1.2, box_w - 4, 4, label)
        page.font(13, bold=True)
        page.at(x + 2, y + 5.5, box_w - 4, 6, value)
        page.font(7, colour=colour)
        page.at(x + 2, y + 11.8, box_w - 4, 4, change)

    y = 28 + 2 * (box_h + gap) + 2
    half = (width - 6) / 2
    page.font(10, bold=True)
    page.at(left, y, half, 5, "DSO over 24 months")
    page.at(left + half + 6, y, half, 5, f"Aging as of {ov.as_of:%d %b %Y}")
    aging_now = ov.aging_trend[ov.aging_trend["as_of"] == ov.as_of].groupby("bucket", sort=False)["amount"].sum()
    aging_now = aging_now.reset_index()
    page.image(_png(dso_chart(ov.trend, countback=countback), 400, 210), left, y + 6, half)
    page.image(_png(aging_chart(aging_now, cur), 400, 235), left + half + 6, y + 6, half)

    y += 6 + half * 0.62 + 4
    if extras.groups is not None:
        page.font(10, bold=True)
        page.at(left, y, half, 5, "The five groups (debtors with a balance)")
        rows = [("Group", "Debtors", f"Open ({cur})")]
        rows += [(label, format_decimal(n, locale=LOCALE), _money(amount, cur))
                 for label, n, amount in group_rows(ov.customers, extras.groups)]
        for j, row in enumerate(rows):
            yy = y + 6 + j * 5.2
            page.font(8, bold=j == 0, colour=INK if j else MUTED)
            page.at(left, yy, half * 0.6, 5, row[0])
            page.at(left + half * 0.6, yy, half * 0.15, 5, row[1], align="R")
            page.at(left + half * 0.75, yy, half * 0.25, 5, row[2], align="R")
    if (b := extras.provision) is not None:  # below the groups, beside the taller forecast chart
        yy = y + 6 + 7 * 5.2 + 1
        page.font(10, bold=True)
        page.at(left, yy, half, 5, "Bad-debt provision")
        cover = f", {100 * b['coverage']:.1f} % of open invoices" if b["coverage"] is not None else ""
        page.font(8)
        page.fitted(left, yy + 5.2, half, 4, f"{_money(b['provision'], cur)}{cover}; "
                    f"{'+' if b['movement'] >= 0 else '−'}{_money(abs(b['movement']), cur)} since "
                    f"{b['previous']:%d %b %Y}", size=8)
        notes = ([f"One by one: {_money(b['specific'], cur)} for {counted(b['specific_debtors'], 'debtor')}"]
                 if b["specific_debtors"] else []) + \
            ([f"Written off in 12 months: {_money(b['written_off_12m'], cur)}"] if b["written_off_12m"] is not None
             else [])
        page.fitted(left, yy + 9.4, half, 3.6, " · ".join(notes), size=7, colour=MUTED)
    if extras.forecast_weeks is not None and extras.forecast_outlook is not None:
        x = left + half + 6
        o = extras.forecast_outlook
        page.font(10, bold=True)
        page.at(x, y, half, 5, "Cash expected in the next 13 weeks")
        page.font(8, colour=MUTED)
        page.at(x, y + 5.5, half, 4, f"{_money(o['in_horizon'], cur)} expected; {_money(o['later'], cur)} later; "
                                     f"{_money(o['doubtful'], cur)} doubtful")
        page.image(_png(forecast_chart(extras.forecast_weeks, cur), 400, 150), x, y + 10, half)

    y = max(y + 6 + 7 * 5.2 + (14 if extras.provision is not None else 0), y + 10 + half * 0.48) + 3
    p = extras.projection
    if p is not None:
        pdf.set_draw_color(*ACCENT)
        pdf.set_line_width(0.4)
        pdf.rect(left, y, width, 24)
        page.font(10, bold=True, colour=ACCENT)
        page.at(left + 3, y + 2, width - 6, 5, f"What-if: {p.scenario.name}")
        page.font(8, colour=MUTED)
        page.at(left + 3, y + 7.5, width - 6, 4, "; ".join(p.scenario.describe())[:160])
        cells = [("Projected DSO (standard)", p.value("dso"), p.value("dso", "change")),
                 ("Best possible DSO", p.value("bpdso"), p.value("bpdso", "change")),
                 ("Average days delinquent", p.value("add"), p.value("add", "change"))]
        cw = (width - 6) / 4
        for i, (label, value, change) in enumerate(cells):
            page.font(7.5, colour=MUTED)
            page.at(left + 3 + i * cw, y + 12.5, cw, 4, label)
            page.font(11, bold=True)
            extra = "" if change is None else f"  ({change:+.1f})"
            page.at(left + 3 + i * cw, y + 16.5, cw, 5, _days(value) + extra)
        page.font(7.5, colour=MUTED)
        page.at(left + 3 + 3 * cw, y + 12.5, cw, 4, "Cash released")
        page.font(11, bold=True, colour=GOOD if p.cash_released >= 0 else BAD)
        page.at(left + 3 + 3 * cw, y + 16.5, cw, 5, _money(p.cash_released, cur))
        y += 27

    top = ov.customers[ov.customers["overdue"] > 0.005].nlargest(8, "overdue")
    if len(top):
        page.font(10, bold=True)
        page.at(left, y, width, 5, "Largest overdue balances")
        cols = [("Debtor", 0.44, "L"), ("Country", 0.09, "L"), (f"Overdue ({cur})", 0.17, "R"),
                (f"Open ({cur})", 0.17, "R"), ("Days past due", 0.13, "R")]
        rows = [[c for c, _, _ in cols]] + [
            [str(r.name), str(r.country or ""), _money(r.overdue, cur, compact=False),
             _money(r.total, cur, compact=False), format_decimal(int(r.days_past_due), locale=LOCALE)]
            for r in top.itertuples()]
        for j, row in enumerate(rows):
            x = left
            page.font(8, bold=j == 0, colour=INK if j else MUTED)
            for (_, share, align), value in zip(cols, row, strict=True):
                page.at(x, y + 6 + j * 4.8, width * share, 4.8, value[:60], align=align)
                x += width * share
        y += 6 + len(rows) * 4.8 + 3

    if extras.promises is not None:
        n, kept = extras.promises, extras.promises["kept"]
        page.font(10, bold=True)
        page.at(left, y, width, 5, "Promises to pay")
        page.font(8)
        page.at(left, y + 6, width, 4.8, page.text(
            f"{n['running']:,} running ({counted(n['running_debtors'], 'debtor')}) · {n['broken']:,} broken "
            f"in the last {promises.BROKEN_LISTED_DAYS} days ({counted(n['broken_debtors'], 'debtor')}) · "
            + (f"{100 * kept['rate']:.0f} % kept of the {kept['due']:,} whose grace ended in the last "
               f"{promises.KEPT_WINDOW_DAYS} days" if kept["rate"] is not None
               else f"none judged in the last {promises.KEPT_WINDOW_DAYS} days")))
        y += 13

    page.font(6.8, colour=MUTED)
    pdf.set_xy(left, max(y, 270))
    pdf.multi_cell(width, 3.3, page.text(
        "DSO = open receivables / credit sales in the window × its days (countback: walks back month by month). "
        "Best possible DSO counts only what is not yet due; average days delinquent = DSO − best possible DSO. "
        "CEI = (begin AR + sales − end AR) / (begin AR + sales − end current AR). At-risk rate: share of a month's "
        "invoices still unpaid 90 days after its end. Cash released = fall in DSO × average daily credit sales. "
        "Forecast: due date + the debtor's usual delay (late items: the time invoices as late still took, at the "
        "debtor's pace; promised items: the promised date); disputes add their typical resolution time. "
        f"Made with arboard on {stamp}."))
    return page.output()


def build(engine, as_of: date, *, currency: str | None = None, window_days: int = 90, countback: bool | None = None,
          config=None, config_name: str | None = None, scenario=None) -> bytes:
    """Compute everything the page shows and render it (the CLI's path; the dashboard reuses its caches).

    ``countback`` defaults to True, or to False with a scenario (projections use the standard DSO).
    """
    if countback is None:
        countback = scenario is None or scenario.is_baseline
    from arboard import forecast, fx, kpis, overview, profiles, provision, scenarios, segments, summary, unapplied

    ledger = summary.ledger_summary(engine)
    first = ledger.first_invoice
    if first is None or first > as_of:
        raise ArboardError(f"There are no invoices dated on or before {as_of:%d %b %Y} to summarise"
                           + (f"; the ledger starts on {first:%d %b %Y}." if first else "; the ledger is empty."))

    settings = kpis.KpiSettings(window_days=window_days)
    policy = provision.load(engine)
    rates = fx.applied(fx.load(engine), currency)  # all currencies: in the reporting currency when one is saved
    ov = overview.overview(engine, as_of, settings=settings, currency=currency, rates=rates)
    prof = profiles.debtor_profiles(engine, as_of)
    config = config or segments.SegmentConfig()
    groups = pd.Series(segments.assign(prof, config).to_numpy(), index=prof["customer_id"].to_numpy())
    paid = unapplied.match_payments(engine, as_of).paid()  # as the forecast page
    expected = forecast.expected_payments(engine, as_of, currency=currency, rates=rates, paid=paid)
    projection = None
    if scenario is not None and not scenario.is_baseline:
        projection = scenarios.Simulator(engine, as_of, base_config=config, settings=settings, currency=currency,
                                         profile_frame=prof, rates=rates, paid=paid).project(scenario)
    extras = Extras(groups=groups, forecast_weeks=forecast.weekly(expected, as_of),
                    forecast_outlook=forecast.outlook(expected, as_of), projection=projection,
                    config_name=config_name, open_items_only=ledger.open_items_only,
                    promises=promise_line(promises.promises(engine, as_of), promises.kept_rate(engine, as_of)),
                    provision=provision_line(provision.matrix(engine, as_of, policy=policy, currency=currency,
                                                              rates=rates),
                                             provision.matrix(engine, provision.previous_month_end(as_of),
                                                              policy=policy, currency=currency, rates=rates)))
    return summary_pdf(ov, countback=countback, window_days=window_days, extras=extras)
