"""Everything the Overview page shows, computed together so the balance history is read once."""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
from sqlalchemy.engine import Engine

from arboard import aging, dso, events, fx, kpis
from arboard.kpis import COUNTBACK_MONTHS, KpiSettings, add_months, trend_dates
from arboard.openitems import DIMENSIONS, missing_value


@dataclass
class Overview:
    """The Overview's figures as of one date, in one currency or all of them in the reporting currency."""

    as_of: date
    previous: date
    tiles: pd.DataFrame  # KPI rows for ``previous`` and ``as_of``
    trend: pd.DataFrame  # KPI rows at the month ends and ``as_of``
    aging_trend: pd.DataFrame  # as_of, dim, bucket, amount, count, credit_notes
    at_risk: pd.DataFrame
    customers: pd.DataFrame  # aging by customer, largest overdue first
    breakdown: pd.DataFrame  # by ``dimension``: open, overdue, DSO, BPDSO, ADD
    dimension: str = "country"
    currency: str | None = None
    rates: fx.Rates = fx.NONE  # the rates all currencies were added up at (currency None)

    @property
    def unit(self) -> str | None:
        """The currency the amounts are in: the one chosen, or the reporting currency for all of them
        (None: all currencies at face value)."""
        return self.currency or self.rates.reporting


def breakdown(customers: pd.DataFrame, daily: pd.DataFrame, as_of: date, *, dimension: str,
              settings: KpiSettings = KpiSettings()) -> pd.DataFrame:
    """Open AR, overdue share and DSO figures per value of ``dimension``, from aging by customer.

    ``daily`` holds credit sales per day and group (:func:`arboard.kpis.daily_sales` with the same
    dimension); the customers' own attribute columns give the groups.
    """
    key = "currency" if dimension == "currency" else dimension
    first = add_months(as_of, -COUNTBACK_MONTHS - 1)
    current_label = settings.aging.labels[0] if settings.aging.basis == "due" else None
    groups = customers.assign(dim=customers[key].fillna(missing_value(key)) if key in customers else "All")
    agg = groups.groupby("dim").agg(open_ar=("total", "sum"), overdue_ar=("overdue", "sum"),
                                    not_due=(current_label, "sum") if current_label else ("total", "size"))
    rows = []
    w = settings.window_days
    for dim, row in agg.iterrows():
        sales = kpis._Sales(daily[daily["dim"] == dim], first, as_of)
        window_sales = sales.between(as_of - timedelta(days=w), as_of)
        periods = sales.months_back(as_of, COUNTBACK_MONTHS)
        current = float(row["not_due"]) if current_label else 0.0
        invoice_ar = float(row["open_ar"])
        out = {"dim": dim, "open_ar": invoice_ar, "overdue_ar": float(row["overdue_ar"]),
               "pct_past_due": float(row["overdue_ar"]) / invoice_ar * 100 if invoice_ar > 0 else None,
               "dso": dso.standard_dso(invoice_ar, window_sales, w),
               "bpdso": dso.standard_dso(current, window_sales, w),
               "countback_dso": dso.countback_dso(invoice_ar, periods),
               "countback_bpdso": dso.countback_dso(current, periods)}
        out["add"] = dso.average_days_delinquent(out["dso"], out["bpdso"])
        out["countback_add"] = dso.average_days_delinquent(out["countback_dso"], out["countback_bpdso"])
        rows.append(out)
    columns = ["dim", "open_ar", "overdue_ar", "pct_past_due", "dso", "bpdso", "countback_dso", "countback_bpdso",
               "add", "countback_add"]  # named so that a date before the first invoice gives an empty table
    return pd.DataFrame(rows, columns=columns).sort_values("open_ar", ascending=False).reset_index(drop=True)


def overview(engine: Engine, as_of: date, *, settings: KpiSettings = KpiSettings(), currency: str | None = None,
             dimension: str = "country", months: int = 24, timings: dict | None = None,
             rates: fx.Rates | None = None) -> Overview:
    """Compute the Overview: tiles, 24-month trends, at-risk rates, debtors and a breakdown.

    Parameters
    ----------
    engine
        The ledger database.
    as_of
        The reporting date; tiles compare it with the same day a month earlier.
    settings
        DSO/CEI window, CEI variant, aging buckets.
    currency
        The currency to report. None adds up all currencies: in the reporting currency of ``rates``
        when given (every date at the saved rates), else at face value.
    dimension
        Customer attribute for the breakdown (see :data:`arboard.openitems.DIMENSIONS`).
    timings
        When given, filled with the seconds each part took (for benchmarks).
    rates
        Exchange rates into the reporting currency (:func:`arboard.fx.load`), used without a currency.
    """
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    rates = fx.applied(rates, currency)
    clock = _Clock(timings)
    previous = add_months(as_of, -1)
    with clock("balance history"):
        hist = events.history(engine, currency=currency, basis=settings.aging.basis, rates=rates)
    with clock("KPI tiles and 24-month trend"):
        points = kpis.compute(engine, [*trend_dates(as_of, months), previous], settings=settings,
                              currency=currency, hist=hist)
    tiles = points[points["as_of"].isin([previous, as_of])].reset_index(drop=True)
    trend = kpis.from_first_activity(points[points["as_of"].isin(trend_dates(as_of, months))])
    with clock("24-month aging trend"):
        aging_trend = aging.aging_from_history(hist, trend_dates(as_of, months), spec=settings.aging)
    with clock("at-risk rates"):
        risk = kpis.at_risk(engine, as_of, currency=currency, rates=rates)
    with clock("aging by customer"):
        customers = aging.aging_by_customer(engine, as_of, spec=settings.aging, currency=currency, rates=rates)
    with clock(f"breakdown by {dimension}"):
        daily = kpis.daily_sales(engine, add_months(as_of, -COUNTBACK_MONTHS - 1), as_of, currency=currency,
                                 dimension=dimension, rates=rates)
        table = breakdown(customers, daily, as_of, dimension=dimension, settings=settings)
    return Overview(as_of, previous, tiles, trend, aging_trend, risk, customers, table, dimension, currency, rates)


def breakdown_by(engine: Engine, ov: Overview, dimension: str, *, settings: KpiSettings = KpiSettings()
                 ) -> pd.DataFrame:
    """The breakdown of an already computed Overview by another attribute (one small sales query)."""
    if dimension == ov.dimension:
        return ov.breakdown
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}")
    daily = kpis.daily_sales(engine, add_months(ov.as_of, -COUNTBACK_MONTHS - 1), ov.as_of, currency=ov.currency,
                             dimension=dimension, rates=ov.rates)
    return breakdown(ov.customers, daily, ov.as_of, dimension=dimension, settings=settings)


class _Clock:
    """Records how long each part takes into a dict, when one is given."""

    def __init__(self, timings: dict | None):
        self.timings = timings

    @contextlib.contextmanager
    def __call__(self, name: str):
        start = time.perf_counter()
        yield
        if self.timings is not None:
            self.timings[name] = time.perf_counter() - start
