"""The collection metrics as practitioners define them, as plain functions of aggregates.

The database computes the aggregates (AR balances, sales per period, settlements); these
functions turn them into DSO, countback DSO, best possible DSO, average days delinquent, CEI and
amount-weighted days. They are tested against the published worked examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

# Sums of money are compared with half a cent of tolerance: the database and pandas add the same
# cents in different orders, and a balance of 1e-12 is zero.
EPS = 0.005


def standard_dso(ar: float, sales: float, days: int) -> float | None:
    """DSO = AR at period end / credit sales in the period x days in the period.

    >>> standard_dso(200_000, 2_000_000, 365)
    36.5
    """
    if sales is None or sales <= EPS:
        return None
    return max(ar, 0.0) / sales * days


def countback_dso(ar: float, periods: Sequence[tuple[float, int]]) -> float | None:
    """Countback (exhaustion) DSO.

    Walk back from the period end, newest period first: while AR covers a period's credit sales,
    subtract them and add the period's days; the last, partial period adds
    ``remaining AR / its sales x its days``.

    Parameters
    ----------
    ar
        AR at the period end.
    periods
        ``(credit sales, days)`` per period, newest first (usually calendar months).

    Returns
    -------
    float or None
        Days; ``None`` when there are no periods, or nothing is owed and nothing was sold in them
        (as of a date before the ledger starts: nothing to measure, as with the standard method).
        When AR exceeds all the sales given, the result is the total of their days (a lower bound).

    Examples
    --------
    >>> round(countback_dso(212_000, [(100_000, 30), (80_000, 30), (70_000, 30)]), 1)
    73.7
    """
    if not periods:
        return None
    remaining = max(ar, 0.0)
    if remaining <= EPS and not any(sales is not None and sales > EPS for sales, _days in periods):
        return None
    total = 0.0
    for sales, days in periods:
        if remaining <= EPS:
            break
        if sales is not None and sales > EPS and remaining < sales - EPS:
            return total + remaining / sales * days
        total += days
        if sales is not None and sales > EPS:
            remaining -= sales
    return total


def average_days_delinquent(dso: float | None, bpdso: float | None) -> float | None:
    """ADD = DSO - best possible DSO, never negative."""
    if dso is None or bpdso is None:
        return None
    return max(dso - bpdso, 0.0)


def cei(begin_ar: float, sales: float, end_total_ar: float, end_current_ar: float, *, months: int = 1,
        average_sales: bool = False) -> float | None:
    """Collection effectiveness index in percent.

    CEI = (beginning AR + credit sales - ending total AR) / (beginning AR + credit sales - ending
    current AR) x 100. With ``average_sales=True`` the sales are divided by ``months`` (the
    variant some textbooks use for a multi-month period).

    Examples
    --------
    >>> round(cei(6_200, 10_890, 6_340, 3_590), 1)
    79.6
    >>> round(cei(6_200, 10_890, 6_340, 3_590, months=3, average_sales=True), 1)
    55.9
    """
    s = sales / months if average_sales else sales
    denominator = begin_ar + s - end_current_ar
    if denominator <= EPS:
        return None
    return (begin_ar + s - end_total_ar) / denominator * 100


def weighted_days(amounts: Iterable[float], days: Iterable[float]) -> float | None:
    """Amount-weighted average of days (days to pay, days beyond terms).

    >>> round(weighted_days([10, 100], [5, 10]), 2)
    9.55
    """
    num = den = 0.0
    for a, d in zip(amounts, days, strict=True):
        num += a * d
        den += a
    return num / den if den > EPS else None
