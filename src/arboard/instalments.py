"""Payment plans: a balance spread over monthly instalments, and which invoice each instalment clears.

The playbook of the debtors who are willing but short of cash offers a payment plan ("unable but
willing: a workable repayment schedule"). :func:`propose` gives the offer its numbers (the balance
in equal monthly instalments, the first two weeks after the contact); once the debtor agrees,
:func:`allocate` says by which instalment each invoice is paid off, oldest due first, so that the
plan is tracked invoice by invoice as promises to pay are (:mod:`arboard.promises`): an invoice's
reminders wait until its instalment's date, and a missed instalment leaves its invoice open after
the grace days, which is a broken promise and brings a call.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from datetime import date, timedelta

from arboard.errors import ArboardError

DEFAULT_COUNT = 3
MAX_COUNT = 12
FIRST_AFTER_DAYS = 14  # the first instalment of an offer: two weeks after the contact


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or that month's last day (31 January + 1 month: 28 or 29 February)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def schedule(total: float, *, first: date, count: int, every_months: int = 1) -> list[tuple[date, float]]:
    """``total`` in ``count`` equal instalments, ``every_months`` apart from ``first``.

    Amounts are in cents and add up to ``total`` exactly: the last instalment takes the rounding.

    Raises
    ------
    ArboardError
        A count outside 1 to :data:`MAX_COUNT`, an interval outside 1 to 3 months, or nothing to pay.
    """
    if not 1 <= count <= MAX_COUNT:
        raise ArboardError(f"A payment plan has 1 to {MAX_COUNT} instalments, not {count}.")
    if not 1 <= every_months <= 3:
        raise ArboardError("Instalments fall due every 1, 2 or 3 months.")
    cents = round(total * 100)
    if cents <= 0:
        raise ArboardError("There is nothing to spread over instalments: the invoices chosen are not open.")
    each = cents // count
    amounts = [each] * (count - 1) + [cents - each * (count - 1)]
    return [(add_months(first, k * every_months), a / 100) for k, a in enumerate(amounts)]


def propose(total: float, *, on: date, count: int = DEFAULT_COUNT) -> list[tuple[date, float]]:
    """The plan an offer made on ``on`` proposes: ``total`` over ``count`` monthly instalments, the first
    :data:`FIRST_AFTER_DAYS` days later; fewer instalments when they would be under 1.00 each. Empty
    when there is nothing to pay."""
    if total < 0.005:
        return []
    return schedule(total, first=on + timedelta(days=FIRST_AFTER_DAYS), count=max(1, min(count, int(total))))


def allocate(items: Sequence[tuple[str, float]], plan: Sequence[tuple[date, float]]) -> dict[str, date]:
    """The instalment date by which each invoice is paid off.

    Parameters
    ----------
    items
        ``(invoice, open amount)`` in the order the instalments pay them (oldest due first).
    plan
        ``(date, amount)`` of each instalment, in order.

    Returns
    -------
    dict
        Invoice → the date of the first instalment by which everything up to and including it is
        paid (a cent of tolerance for rounding).
    """
    out, paid, k = {}, 0.0, 0
    owed = 0.0
    for invoice, amount in items:
        owed += amount
        while k < len(plan) and paid + 0.005 < owed:
            paid += plan[k][1]
            k += 1
        out[invoice] = plan[max(k - 1, 0)][0]
    return out
