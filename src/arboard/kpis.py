"""Collection KPIs as of any date, for one date, a monthly trend or a breakdown by dimension.

The database returns three small aggregates: open balances per as-of date (total, not yet due,
disputed, unapplied), daily credit sales, and settlements in the window. Everything else is
arithmetic on those aggregates in :mod:`arboard.dso`.

Definitions (see ``shared/domain.md``):

- open AR = open invoices and credit notes + unapplied cash (negative);
- not-due (current) AR = open items whose due date is on or after the as-of date;
- credit sales = invoiced amounts, credit notes netted, in the window ending at the as-of date;
- DSO, best possible DSO (not-due AR only) and ADD in both the standard and the countback method;
- CEI over the window, with beginning AR at the window start (variant: sales / months);
- amount-weighted days to pay and days beyond terms (late days only) of invoices settled in the window;
- at-risk rate: share of a month's invoiced amount still unpaid 90 days after the month's end.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import dso, events, fx, schema
from arboard.aging import AgingSpec, aging
from arboard.db import fetch_frame
from arboard.openitems import DIMENSIONS, days_past, dimension_column, group_keys, missing_label

COUNTBACK_MONTHS = 24
AT_RISK_DAYS = 90
inv = schema.invoices


@dataclass(frozen=True)
class KpiSettings:
    """Settings every KPI depends on."""

    window_days: int = 90
    cei_average_sales: bool = False  # the CEI variant that divides sales by the number of months
    aging: AgingSpec = field(default_factory=AgingSpec)

    @property
    def window_months(self) -> int:
        return max(1, round(self.window_days / 30.44))


def month_end(d: date) -> date:
    """Last day of ``d``'s month."""
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def add_months(d: date, n: int) -> date:
    """``d`` moved by ``n`` months, the day clamped to the month's length."""
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return d.replace(year=year, month=month, day=min(d.day, calendar.monthrange(year, month)[1]))


def trend_dates(as_of: date, months: int = 24) -> list[date]:
    """``months`` points ending at ``as_of``: the previous month ends, then ``as_of`` itself."""
    points = [month_end(add_months(as_of, -k)) for k in range(months - 1, 0, -1)]
    return [*points, as_of]


def daily_sales(engine: Engine, start: date, end: date, *, currency: str | None = None,
                dimension: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """Credit sales per day (credit notes netted) in ``[start, end]``: ``dim, day, sales``.

    Reads the derived ``sales_daily`` rollup (one row per day and attribute combination). Without a
    ``currency``, in the reporting currency of ``rates`` when given (:func:`arboard.fx.applied`).
    """
    events.ensure_current(engine)
    sd = schema.sales_daily
    if dimension is None:
        dim = sa.literal_column("'All'", sa.String).label("dim")
    elif dimension in DIMENSIONS:
        dim = sa.func.coalesce(sd.c[dimension], missing_label(dimension)).label("dim")
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    sales = fx.applied(rates, currency).to_reporting(sd.c.sales, sd.c.currency)
    q = (sa.select(dim, sd.c.day, sa.func.sum(sales)).where(sd.c.day >= start, sd.c.day <= end)
         .group_by(*group_keys(dim, dimension), sd.c.day))
    if currency:
        q = q.where(sd.c.currency == currency)
    with engine.connect() as conn:
        df = fetch_frame(conn, q, ["dim", "day", "sales"])
    df["sales"] = df["sales"].astype(float)
    df["day"] = pd.to_datetime(df["day"]).dt.date
    return df


def daily_settlements(engine: Engine, start: date, end: date, *, currency: str | None = None,
                       dimension: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """Invoices settled per day: amount, and amount x days-to-pay and amount x days-late sums
    (``rates`` as in :func:`daily_sales`)."""
    dim = dimension_column(dimension)
    src = inv if dimension in (None, "currency") else inv.outerjoin(
        schema.customers, schema.customers.c.customer_id == inv.c.customer_id)
    to_pay = days_past(inv.c.paid_date, inv.c.invoice_date)
    late = days_past(inv.c.paid_date, inv.c.due_date)
    amount = sa.cast(fx.applied(rates, currency).to_reporting(inv.c.amount, inv.c.currency), sa.Float)
    q = (sa.select(dim, inv.c.paid_date, sa.func.sum(amount).label("settled"),
                   sa.func.sum(amount * to_pay).label("pay_days"),
                   sa.func.sum(amount * sa.case((late > 0, late), else_=0)).label("late_days"))
         .select_from(src).where(inv.c.amount > 0, inv.c.paid_date >= start, inv.c.paid_date <= end)
         .group_by(*group_keys(dim, dimension), inv.c.paid_date))
    if currency:
        q = q.where(inv.c.currency == currency)
    with engine.connect() as conn:
        df = fetch_frame(conn, q, ["dim", "day", "settled", "pay_days", "late_days"])
    for col in ("settled", "pay_days", "late_days"):
        df[col] = df[col].astype(float)
    df["day"] = pd.to_datetime(df["day"]).dt.date
    return df


class _Daily:
    """Cumulative sums of daily values of one group, for O(1) sums over any date range."""

    def __init__(self, days: pd.DataFrame, column: str, start: date, end: date):
        index = pd.date_range(start, end, freq="D")
        series = days.set_index(pd.to_datetime(days["day"]))[column].groupby(level=0).sum()
        self.start = start
        self.cum = np.concatenate([[0.0], series.reindex(index, fill_value=0.0).cumsum().to_numpy()])

    def between(self, after: date, until: date) -> float:
        """Sum over days in (after, until]."""
        i = min(max((after - self.start).days + 1, 0), len(self.cum) - 1)
        j = min(max((until - self.start).days + 1, 0), len(self.cum) - 1)
        return float(self.cum[j] - self.cum[i])


class _Sales(_Daily):
    """Cumulative daily credit sales of one group."""

    def __init__(self, days: pd.DataFrame, start: date, end: date):
        super().__init__(days, "sales", start, end)

    def months_back(self, d: date, n: int) -> list[tuple[float, int]]:
        """(sales, days) of calendar-month periods ending at ``d``, newest first; the first is partial."""
        periods, end = [], d
        for _ in range(n):
            start = end.replace(day=1) - timedelta(days=1)  # the day before the period
            periods.append((self.between(start, end), (end - start).days))
            end = start
        return periods


def _compute(bal: pd.DataFrame, sales: dict[str, _Sales], settled: dict[str, tuple[_Daily, _Daily, _Daily]],
             dates: Sequence[date], settings: KpiSettings) -> pd.DataFrame:
    w = settings.window_days
    bal = bal.set_index(["as_of", "dim"])
    rows = []
    for dim, s in sales.items():
        for d in dates:
            get = (lambda key, col, _d=dim: float(bal[col].get((key, _d), 0.0)))  # noqa: E731
            invoice_ar = get(d, "open_items")
            current = get(d, "current")
            unapplied_cash = get(d, "unapplied")
            total = invoice_ar + unapplied_cash
            overdue = invoice_ar - current
            window_sales = s.between(d - timedelta(days=w), d)
            periods = s.months_back(d, COUNTBACK_MONTHS)
            begin = d - timedelta(days=w)
            begin_total = get(begin, "open_items") + get(begin, "unapplied")
            amount, pay_days, late_days = (x.between(begin, d) for x in settled[dim])
            row = {
                "as_of": d, "dim": dim, "open_ar": total, "not_due_ar": current, "overdue_ar": overdue,
                "unapplied": unapplied_cash, "disputed_ar": get(d, "disputed"), "sales_window": window_sales,
                "dso": dso.standard_dso(total, window_sales, w),
                "bpdso": dso.standard_dso(current, window_sales, w),
                "countback_dso": dso.countback_dso(total, periods),
                "countback_bpdso": dso.countback_dso(current, periods),
                "cei": dso.cei(begin_total, window_sales, total, current, months=settings.window_months,
                               average_sales=settings.cei_average_sales),
                "pct_current": current / invoice_ar * 100 if invoice_ar > 0 else None,
                "pct_past_due": overdue / invoice_ar * 100 if invoice_ar > 0 else None,
                "disputed_share": get(d, "disputed") / invoice_ar * 100 if invoice_ar > 0 else None,
                # Under a cent settled is no basis for an average (as dso.weighted_days has it).
                "wadp": pay_days / amount if amount > dso.EPS else None,
                "wadbt": late_days / amount if amount > dso.EPS else None,
            }
            row["add"] = dso.average_days_delinquent(row["dso"], row["bpdso"])
            row["countback_add"] = dso.average_days_delinquent(row["countback_dso"], row["countback_bpdso"])
            rows.append(row)
    return pd.DataFrame(rows)


def compute(engine: Engine, dates: Sequence[date], *, settings: KpiSettings = KpiSettings(),
            currency: str | None = None, dimension: str | None = None,
            hist: events.History | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """All KPIs for each as-of date (and each value of ``dimension``): one row per (date, dim).

    Pass ``hist`` (from :func:`arboard.events.history` with the same currency and rates) to reuse a
    loaded balance history across calls; a breakdown by dimension reads balances in one scan instead.
    Without a ``currency``, all currencies add up in the reporting currency of ``rates`` when given
    (at the saved rates for every date: constant-currency figures), else at face value.
    """
    dates = sorted(set(dates))
    w = settings.window_days
    begins = [d - timedelta(days=w) for d in dates]
    first = min(begins[0], add_months(dates[0], -COUNTBACK_MONTHS - 1))
    if dimension is not None:
        bal = events.snapshot(engine, [*dates, *begins], currency=currency, dimension=dimension, rates=rates)
        daily = daily_sales(engine, first, dates[-1], currency=currency, dimension=dimension, rates=rates)
        paid = daily_settlements(engine, begins[0], dates[-1], currency=currency, dimension=dimension, rates=rates)
    else:
        # The balance history also carries daily sales and settlements: no further scans.
        hist = hist or events.history(engine, currency=currency, rates=rates)
        bal = hist.totals([*dates, *begins])
        daily = paid = hist.flows().assign(dim="All")
    groups = sorted(set(daily["dim"]) | set(bal["dim"])) if dimension else ["All"]
    bal = bal[bal["dim"].isin(groups)] if dimension else bal.assign(dim="All")
    sales = {g: _Sales(daily[daily["dim"] == g], first, dates[-1]) for g in groups}
    settled = {g: tuple(_Daily(paid[paid["dim"] == g], col, begins[0], dates[-1])
                        for col in ("settled", "pay_days", "late_days")) for g in groups}
    return _compute(bal, sales, settled, dates, settings)


def kpis(engine: Engine, as_of: date, *, settings: KpiSettings = KpiSettings(),
         currency: str | None = None, rates: fx.Rates | None = None) -> dict:
    """The headline KPIs as of one date, with the aging and the at-risk rate (``rates`` as in
    :func:`compute`).

    Returns
    -------
    dict
        JSON-serialisable: ``open_ar, not_due_ar, overdue_ar, unapplied, disputed_ar, dso,
        countback_dso, bpdso, countback_bpdso, add, countback_add, cei, pct_current,
        pct_past_due, disputed_share, wadp, wadbt, at_risk_rate, at_risk_month, aging``.
    """
    rates = fx.applied(rates, currency)
    row = compute(engine, [as_of], settings=settings, currency=currency, rates=rates).iloc[0].to_dict()
    out = {k: json_value(v) for k, v in row.items() if k != "dim"}
    out["as_of"] = as_of.isoformat()
    out["currency"] = currency or rates.reporting
    risk = at_risk(engine, as_of, months=1, currency=currency, rates=rates)
    last_rate = risk["rate"].iloc[-1] if len(risk) else None
    out["at_risk_rate"] = json_value(float(last_rate)) if last_rate is not None and pd.notna(last_rate) else None
    out["at_risk_month"] = risk["month"].iloc[-1] if len(risk) else None
    ag = aging(engine, as_of, spec=settings.aging, currency=currency, rates=rates)
    out["aging"] = [{"bucket": b, "amount": round(a, 2), "count": int(n)}
                    for b, a, n in zip(ag["bucket"], ag["amount"], ag["count"], strict=True)]
    return out


def json_value(value):
    """JSON-friendly: NaN to None, floats rounded to cents (money) or hundredths (days, percent)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, (float, np.floating)):
        return round(float(value), 2)
    return value


def kpi_trend(engine: Engine, as_of: date, *, months: int = 24, settings: KpiSettings = KpiSettings(),
              currency: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """KPIs at the previous ``months - 1`` month ends and at ``as_of``: one row per point, from the
    first with anything owed or sold (:func:`from_first_activity`); ``rates`` as in :func:`compute`."""
    return from_first_activity(compute(engine, trend_dates(as_of, months), settings=settings, currency=currency,
                                       rates=rates).drop(columns="dim"))


def from_first_activity(trend: pd.DataFrame) -> pd.DataFrame:
    """A trend from its first point with anything owed or sold in the window: the month ends before the
    ledger starts measure nothing (a chart drew them as years of DSO at 0)."""
    started = (trend["open_ar"].abs() > dso.EPS) | (trend["sales_window"].abs() > dso.EPS)
    return trend[started.cummax()].reset_index(drop=True)


def kpis_by(engine: Engine, as_of: date, dimension: str, *, settings: KpiSettings = KpiSettings(),
            currency: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """KPIs as of ``as_of`` for each value of ``dimension`` (see :data:`arboard.openitems.DIMENSIONS`);
    ``rates`` as in :func:`compute`."""
    df = compute(engine, [as_of], settings=settings, currency=currency, dimension=dimension, rates=rates)
    return df[df["open_ar"].abs() + df["sales_window"].abs() > 0].drop(columns="as_of") \
        .sort_values("open_ar", ascending=False).reset_index(drop=True)


def at_risk(engine: Engine, as_of: date, *, months: int = 12, currency: str | None = None,
            rates: fx.Rates | None = None) -> pd.DataFrame:
    """At-risk rate per invoice month: the share still unpaid 90 days after the month's end.

    Only months whose end + 90 days is on or before ``as_of`` are measured; ``rates`` as in
    :func:`compute`.

    Returns
    -------
    pandas.DataFrame
        ``month`` (YYYY-MM), ``invoiced``, ``unpaid_after_90``, ``rate`` (percent), oldest first.
    """
    last = month_end(as_of - timedelta(days=AT_RISK_DAYS))
    if month_end(last) + timedelta(days=AT_RISK_DAYS) > as_of:
        last = month_end(add_months(last, -1))
    ends = [month_end(add_months(last, -k)) for k in range(months - 1, -1, -1)]
    checks = [e + timedelta(days=AT_RISK_DAYS) for e in ends]
    events.ensure_current(engine)
    ev = schema.ar_daily  # the rollup: invoice dates without customers are enough here
    month = sa.func.date_trunc("month", ev.c.invoice_date)
    rates = fx.applied(rates, currency)
    q_open = (sa.select(ev.c.day, month, sa.func.sum(rates.to_reporting(ev.c.delta, ev.c.currency)))
              .where(~ev.c.credit_note, ev.c.invoice_date >= ends[0].replace(day=1), ev.c.invoice_date <= ends[-1],
                     ev.c.day <= checks[-1])
              .group_by(ev.c.day, month))
    if currency:
        q_open = q_open.where(ev.c.currency == currency)
    start = ends[0].replace(day=1)
    q_inv = (sa.select(inv.c.invoice_date, sa.func.sum(rates.to_reporting(inv.c.amount, inv.c.currency)))
             .where(inv.c.amount > 0, inv.c.invoice_date >= start, inv.c.invoice_date <= ends[-1])
             .group_by(inv.c.invoice_date))
    if currency:
        q_inv = q_inv.where(inv.c.currency == currency)
    with engine.connect() as conn:
        changes = pd.DataFrame(conn.execute(q_open).all(), columns=["day", "month", "delta"])
        daily = pd.DataFrame(conn.execute(q_inv).all(), columns=["day", "amount"])
    # Still unpaid 90 days after a month's end = that month's balance changes up to then.
    changes["day"] = pd.to_datetime(changes["day"])
    changes["month"] = pd.to_datetime(changes["month"]).dt.strftime("%Y-%m")
    unpaid = {}
    for end, check in zip(ends, checks, strict=True):
        mine = changes[(changes["month"] == end.strftime("%Y-%m")) & (changes["day"] <= pd.Timestamp(check))]
        unpaid[end] = float(mine["delta"].astype(float).sum())
    daily["month"] = pd.to_datetime(daily["day"]).dt.strftime("%Y-%m")
    invoiced = daily.groupby("month")["amount"].sum().astype(float)
    rows = []
    for e in ends:
        key = e.strftime("%Y-%m")
        total = float(invoiced.get(key, 0.0))
        rows.append({"month": key, "invoiced": total, "unpaid_after_90": unpaid.get(e, 0.0),
                     "rate": unpaid.get(e, 0.0) / total * 100 if total > 0 else None})
    return pd.DataFrame(rows)
