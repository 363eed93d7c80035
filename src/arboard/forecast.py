"""A 13-week cash forecast from the open invoices, and its backtest against what really came in.

Each open invoice gets an expected payment date: its due date plus the debtor's amount-weighted
average delay (settlement minus due date, over the look-back window; the ledger-wide average for
debtors without history). The delay is negative for a debtor who pays early: such a debtor's
invoices are expected before their due date, and on the due date once that early date has passed.
An invoice already past its expected date is expected after the time that invoices just as late
still took to clear in the look-back window, at the debtor's pace (an accelerated-failure-time
reading of the ledger's lateness: a debtor twice as slow as the ledger is "as late" at twice the
days, and takes twice the remaining time). An invoice with a running promise to pay
(:mod:`arboard.promises`) is expected on the promised date instead (the day after the as-of date
while its grace runs), and is never doubtful. Disputed items also wait the ledger's typical
dispute-resolution time; items more than 180 days overdue are "doubtful" and left out of the
weekly figures. The backtest runs the same forecast as of an earlier date and sets it against the
settlements of the following weeks (of the same items: doubtful ones are reported apart).

On the sample ledger's backtests (six dates over the last year, two seeds) the weekly error is about
half of what it was when delays stopped at zero, late items waited the debtor's delay again and
promises were not read (``benchmarks/bench_forecast.py`` prints it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import disputeflags, fx, promises, schema
from arboard.db import fetch_frame

WEEKS = 13
DOUBTFUL_DAYS = 180
# How much slower or faster than the ledger a debtor's pace may count (a debtor with little history
# can have an extreme average; beyond these the remaining-time curve has little data anyway).
PACE_BOUNDS = (0.25, 4.0)


def _delays(engine: Engine, as_of: date, lookback_days: int) -> tuple[pd.Series, float, float]:
    """Per customer amount-weighted delay (days after due), the ledger average, and dispute extra days."""
    inv = schema.invoices
    start = as_of - timedelta(days=lookback_days)
    late = sa.cast(inv.c.paid_date - inv.c.due_date, sa.Integer)
    # Weights in one currency (the saved rates), so that a debtor's larger invoices count more in any currency.
    amount = fx.load(engine).to_reporting(sa.cast(inv.c.amount, sa.Float), inv.c.currency)
    settled = sa.and_(inv.c.paid_date > start, inv.c.paid_date <= as_of, inv.c.amount > 0)
    # Disputed at any time by then: most disputes were resolved before the invoice was paid.
    source, disputed = disputeflags.joined_ever(inv, as_of)
    q = (sa.select(inv.c.customer_id, disputed.label("disputed"), sa.func.sum(amount * late).label("w"),
                   sa.func.sum(amount).label("a"))
         .select_from(source).where(settled).group_by(inv.c.customer_id, disputed))
    with engine.connect() as conn:
        df = fetch_frame(conn, q, ["customer_id", "disputed", "w", "a"])
    df[["w", "a"]] = df[["w", "a"]].astype(float)
    plain = df[~df["disputed"].astype(bool)]
    per = plain.groupby("customer_id")[["w", "a"]].sum()
    delay = (per["w"] / per["a"].where(per["a"] > 0)).dropna()
    overall = float(plain["w"].sum() / plain["a"].sum()) if plain["a"].sum() > 0 else 0.0
    disp = df[df["disputed"].astype(bool)]
    disputed_avg = float(disp["w"].sum() / disp["a"].sum()) if disp["a"].sum() > 0 else overall
    return delay, overall, max(disputed_avg - overall, 0.0)


def open_invoices(engine: Engine, as_of: date, *, currency: str | None = None,
                  settled_since: date | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """Invoices (positive amounts) open as of ``as_of``, net of the partial payments made by then.

    With ``settled_since``, invoices settled in ``(settled_since, as_of]`` come too (what-if
    scenarios re-open them when payments move later). Without a ``currency``, amounts are in the
    reporting currency of ``rates`` when given (:func:`arboard.fx.applied`), else at face value.

    Returns
    -------
    pandas.DataFrame
        ``invoice_id, customer_id, invoice_date, due_date, amount, open_amount, disputed, paid_date,
        currency`` (dates as timestamps; ``open_amount`` is what was left before settlement, for both
        kinds; ``currency`` the invoice's own).
    """
    inv, pay = schema.invoices, schema.payments
    far = sa.literal(date(9999, 12, 31), sa.Date)
    partial = (sa.select(pay.c.invoice_id, sa.func.sum(sa.cast(pay.c.amount, sa.Float)).label("paid"))
               .select_from(pay.join(inv, pay.c.invoice_id == inv.c.invoice_id))
               .where(pay.c.payment_date <= as_of, pay.c.payment_date < sa.func.coalesce(inv.c.paid_date, far),
                      sa.or_(inv.c.paid_date.is_(None), inv.c.paid_date > (settled_since or as_of)))
               .group_by(pay.c.invoice_id).subquery("partial"))
    rates = fx.applied(rates, currency)
    amount = sa.cast(inv.c.amount, sa.Float)
    source, disputed = disputeflags.joined(inv.outerjoin(partial, partial.c.invoice_id == inv.c.invoice_id), as_of)
    q = (sa.select(inv.c.invoice_id, inv.c.customer_id, inv.c.invoice_date, inv.c.due_date,
                   rates.to_reporting(amount, inv.c.currency).label("amount"),
                   rates.to_reporting(amount - sa.func.coalesce(partial.c.paid, 0.0), inv.c.currency)
                   .label("open_amount"), disputed.label("disputed"), inv.c.paid_date, inv.c.currency)
         .select_from(source)
         .where(inv.c.invoice_date <= as_of, inv.c.amount > 0,
                sa.or_(inv.c.paid_date.is_(None), inv.c.paid_date > (settled_since or as_of))))
    if currency:
        q = q.where(inv.c.currency == currency)
    with engine.connect() as conn:
        items = fetch_frame(conn, q, ["invoice_id", "customer_id", "invoice_date", "due_date", "amount",
                                      "open_amount", "disputed", "paid_date", "currency"])
    for col in ("invoice_date", "due_date", "paid_date"):
        items[col] = pd.to_datetime(items[col])
    for col in ("amount", "open_amount"):
        items[col] = items[col].astype(float)
    items["disputed"] = items["disputed"].astype(bool)
    return items


def _lateness(engine: Engine, as_of: date, lookback_days: int) -> pd.DataFrame:
    """Amount settled in the look-back window per days after due (``late``, ``amount``), by lateness."""
    inv = schema.invoices
    start = as_of - timedelta(days=lookback_days)
    late = sa.cast(inv.c.paid_date - inv.c.due_date, sa.Integer)
    amount = fx.load(engine).to_reporting(sa.cast(inv.c.amount, sa.Float), inv.c.currency)
    q = (sa.select(late.label("late"), sa.func.sum(amount).label("amount"))
         .where(inv.c.paid_date > start, inv.c.paid_date <= as_of, inv.c.amount > 0).group_by(late))
    with engine.connect() as conn:
        df = fetch_frame(conn, q, ["late", "amount"])
    return df.astype(float).sort_values("late", ignore_index=True)


def remaining_days(lateness: pd.DataFrame, ages: np.ndarray) -> np.ndarray:
    """Days still to wait for an invoice ``ages`` days past due, from settled invoices' ``lateness``.

    The amount-weighted mean of ``late - age`` over the invoices that were later than ``age``
    (:func:`_lateness` rows); NaN where none was.
    """
    late, weight = lateness["late"].to_numpy(dtype=float), lateness["amount"].to_numpy(dtype=float)
    # Sums over the invoices later than each lateness: a suffix sum, looked up by binary search.
    later_w = np.append(np.cumsum(weight[::-1])[::-1], 0.0)
    later_lw = np.append(np.cumsum((late * weight)[::-1])[::-1], 0.0)
    i = np.searchsorted(late, ages, side="right")
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(later_w[i] > 0, later_lw[i] / later_w[i], np.nan)
    return mean - ages


def expected_dates(engine: Engine, items: pd.DataFrame, as_of: date, *,
                   lookback_days: int = 365) -> tuple[pd.Series, pd.Series]:
    """Expected payment date and "doubtful" flag of open ``items`` (``invoice_id, customer_id, due_date,
    disputed``).

    Never before the day after ``as_of``: the items are open as of it.
    """
    delay_by_customer, overall, dispute_extra = _delays(engine, as_of, lookback_days)
    delay = items["customer_id"].map(delay_by_customer).fillna(overall).astype(float)
    delay = delay + np.where(items["disputed"].astype(bool), dispute_extra, 0.0)
    today = pd.Timestamp(as_of)
    expected = items["due_date"] + pd.to_timedelta(delay.round(), unit="D")
    # Past its usual date: the remaining time of invoices as late, at the debtor's pace.
    age = (today - items["due_date"]).dt.days.clip(lower=0).to_numpy(dtype=float)
    pace = (delay.clip(lower=1) / max(overall, 1.0)).clip(*PACE_BOUNDS).to_numpy()
    wait = remaining_days(_lateness(engine, as_of, lookback_days), age / pace) * pace
    wait = np.where(np.isnan(wait), delay.clip(lower=7), wait)  # nothing in the history was this late
    late = today + pd.to_timedelta(np.clip(wait, 1, None).round(), unit="D")
    # Not due yet but past an early payer's usual date: the due date is the next one to expect.
    late = late.where(items["due_date"] <= today, items["due_date"])
    expected = expected.where(expected > today, late)
    # A running promise says when: the promised date (tomorrow while its grace runs). It also brings an
    # item over 180 days past due back into the figures: a payment plan on old debt is cash expected.
    running = promises.promises(engine, as_of, broken_within_days=0)
    has = pd.Series(False, index=items.index)
    if len(running):
        promised = items["invoice_id"].map(pd.Series(running["promised_date"].to_numpy(),
                                                     index=running["invoice_id"].to_numpy()))
        has = promised.notna()
        promised = promised.where(promised > today, today + pd.Timedelta(days=1))
        expected = expected.where(~has, promised)
    return expected, ((today - items["due_date"]).dt.days > DOUBTFUL_DAYS) & ~has


def expected_payments(engine: Engine, as_of: date, *, currency: str | None = None,
                      lookback_days: int = 365, rates: fx.Rates | None = None,
                      paid: pd.Series | None = None) -> pd.DataFrame:
    """Open invoices as of ``as_of`` with their expected payment date (``rates`` as in
    :func:`open_invoices`).

    Parameters
    ----------
    paid
        What cash on account most likely pays of each invoice, by invoice id, in the invoice's currency
        (:attr:`arboard.unapplied.Applied.items`): that cash has come in already, so the invoice brings
        only the rest. The ledger still has the invoice open until the ERP applies the payment; a forecast
        that expected it again would count the same money twice.

    Returns
    -------
    pandas.DataFrame
        ``invoice_id, customer_id, due_date, open_amount, disputed, expected_date, doubtful,
        paid_on_account`` (``open_amount`` less ``paid_on_account``, which is 0 without ``paid``).
    """
    items = less_paid(open_invoices(engine, as_of, currency=currency, rates=rates), paid, fx.applied(rates, currency))
    items["expected_date"], items["doubtful"] = expected_dates(engine, items, as_of, lookback_days=lookback_days)
    return items[["invoice_id", "customer_id", "due_date", "open_amount", "disputed", "expected_date", "doubtful",
                  "paid_on_account"]]


def less_paid(items: pd.DataFrame, paid: pd.Series | None, rates: fx.Rates, *,
              only: pd.Series | None = None) -> pd.DataFrame:
    """``items`` (:func:`open_invoices`) less what cash on account most likely paid of them already.

    Parameters
    ----------
    paid
        Per invoice id, in the invoice's currency (:attr:`arboard.unapplied.Applied.items`); None: nothing.
    rates
        The rates ``items`` were converted at (:func:`arboard.fx.applied`).
    only
        The items it may come off (the open ones); None: all.

    Returns
    -------
    pandas.DataFrame
        ``items`` with ``paid_on_account`` (in cents, never more than is open) taken off ``open_amount``.
    """
    taken = pd.Series(0.0, index=items.index)
    if paid is not None and len(paid):
        native = items["invoice_id"].map(paid).fillna(0.0).clip(lower=0.0)
        if only is not None:
            native = native.where(only, 0.0)
        taken = rates.convert(native, items["currency"]).clip(upper=items["open_amount"]).round(2)
    left = items["open_amount"] - taken
    # Rounded where something came off (a paid invoice leaves 0, not float dust); the rest as converted.
    return items.assign(paid_on_account=taken, open_amount=left.where(taken == 0, left.round(2)))


def paid_in_full(items: pd.DataFrame) -> pd.Series:
    """Which of :func:`less_paid`'s items cash on account pays in full (nothing of them is to come)."""
    return (items["paid_on_account"] > 0) & (items["open_amount"].abs() < 0.005)


def weekly(expected: pd.DataFrame, as_of: date, *, weeks: int = WEEKS) -> pd.DataFrame:
    """Expected receipts per week after ``as_of``: ``week`` (1..weeks), ``start``, ``expected``."""
    start = pd.Timestamp(as_of)
    ok = expected[~expected["doubtful"]]
    k = ((ok["expected_date"] - start).dt.days - 1) // 7 + 1
    sums = ok.assign(week=k)[(k >= 1) & (k <= weeks)].groupby("week")["open_amount"].sum()
    out = pd.DataFrame({"week": range(1, weeks + 1)})
    out["start"] = [(start + pd.Timedelta(days=7 * (w - 1) + 1)).date() for w in out["week"]]
    out["expected"] = out["week"].map(sums).fillna(0.0).to_numpy()
    return out


def outlook(expected: pd.DataFrame, as_of: date, *, weeks: int = WEEKS) -> dict:
    """What the weekly figures of :func:`expected_payments` leave out: ``open, in_horizon, later, doubtful``
    amounts and ``items``, and ``paid_on_account``: what of the open invoices cash on account most likely
    paid already (left out of ``open``), with ``paid_items``, the invoices it pays in full."""
    end = pd.Timestamp(as_of) + pd.Timedelta(days=7 * weeks)
    ok = ~expected["doubtful"]
    inside = ok & (expected["expected_date"] <= end)
    amount = expected["open_amount"]
    on_account = expected["paid_on_account"]
    in_full = paid_in_full(expected)
    return {"open": float(amount.sum()), "in_horizon": float(amount[inside].sum()),
            "later": float(amount[ok & ~inside].sum()), "doubtful": float(amount[~ok].sum()),
            "items": int(len(expected) - in_full.sum()), "doubtful_items": int((~ok & ~in_full).sum()),
            "paid_on_account": float(on_account.sum()), "paid_items": int(in_full.sum())}


@dataclass
class Backtest:
    """A forecast made in the past against the receipts that followed."""

    as_of: date
    table: pd.DataFrame  # week, start, expected, actual, error, abs_error
    mae_per_week: float
    total_expected: float
    total_actual: float
    doubtful_cleared: float = 0.0  # what the doubtful items (left out of both sides) cleared in the weeks


def backtest(engine: Engine, as_of: date, *, weeks: int = WEEKS, currency: str | None = None,
             rates: fx.Rates | None = None) -> Backtest:
    """Forecast as of ``as_of`` and compare with what those invoices actually paid in each week.

    "Actual" is the settlement of the invoices open at ``as_of`` (their remaining amount on the
    settlement date), which is what the forecast predicts. Doubtful items are left out of both sides,
    like for like: the forecast expects nothing of them, and what clears them after so long is as
    often a write-off as cash. What they cleared is reported apart (``doubtful_cleared``). ``rates``
    as in :func:`open_invoices`.
    """
    expected = expected_payments(engine, as_of, currency=currency, rates=rates)
    table = weekly(expected, as_of, weeks=weeks)
    inv = schema.invoices
    q = sa.select(inv.c.invoice_id, inv.c.paid_date).where(inv.c.invoice_id.in_(
        sa.select(inv.c.invoice_id).where(inv.c.invoice_date <= as_of, inv.c.amount > 0,
                                          sa.or_(inv.c.paid_date.is_(None), inv.c.paid_date > as_of))))
    with engine.connect() as conn:
        paid = fetch_frame(conn, q, ["invoice_id", "paid_date"])
    paid["paid_date"] = pd.to_datetime(paid["paid_date"])
    merged = expected.merge(paid, on="invoice_id", how="left")
    k = ((merged["paid_date"] - pd.Timestamp(as_of)).dt.days - 1) // 7 + 1
    cleared = merged.assign(week=k)[(k >= 1) & (k <= weeks)]
    actual = cleared[~cleared["doubtful"]].groupby("week")["open_amount"].sum()
    table["actual"] = table["week"].map(actual).fillna(0.0).to_numpy()
    table["error"] = table["expected"] - table["actual"]
    table["abs_error"] = table["error"].abs()
    return Backtest(as_of, table, float(table["abs_error"].mean()), float(table["expected"].sum()),
                    float(table["actual"].sum()), float(cleared.loc[cleared["doubtful"], "open_amount"].sum()))
