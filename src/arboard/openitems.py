"""SQL building blocks: what is open as of a date, written once for every backend.

The rule (see the data model): an invoice exists from its invoice date; as of date D it is open
until its ``paid_date`` (exclusive), for its amount less the payments applied to it dated on or
before D. Only payments dated before the settlement date can matter ("partial" payments), so
they are filtered first and the join stays small. Payments with no (known) invoice are
*unapplied cash* (see :mod:`arboard.events`, which answers the aggregate questions; this module
lists the open items themselves, for drill-down).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import sqlalchemy as sa

from arboard import disputeflags, schema

DIMENSIONS = {
    "country": "Country",
    "industry": "Industry",
    "customer_type": "Customer type",
    "collector": "Collector",
    "currency": "Currency",
}

inv, pay, cust = schema.invoices, schema.payments, schema.customers
NO_COLLECTOR = "(no collector)"


def worked_by(collector: pd.Series, who: str | Sequence[str]) -> pd.Series:
    """Which rows of a ``collector`` column belong to ``who`` (a name or several;
    :data:`NO_COLLECTOR` stands for the debtors nobody works)."""
    return collector.fillna(NO_COLLECTOR).isin([who] if isinstance(who, str) else list(who))


def missing_value(dimension: str) -> str:
    """What a debtor without a value of ``dimension`` is grouped as, the same everywhere: balances and
    sales of one group are matched by it."""
    return NO_COLLECTOR if dimension == "collector" else "(unknown)"


def missing_label(dimension: str) -> sa.ColumnElement:
    """:func:`missing_value` in SQL."""
    return sa.literal_column(f"'{missing_value(dimension)}'", sa.String)


def dimension_column(dimension: str | None) -> sa.ColumnElement:
    """The column to group by: a customer attribute, the currency, or one constant group."""
    if dimension is None:
        return sa.literal_column("'All'", sa.String).label("dim")
    if dimension == "currency":
        return inv.c.currency.label("dim")
    if dimension not in DIMENSIONS:
        raise ValueError(f"unknown dimension {dimension!r}; use one of {', '.join(DIMENSIONS)}")
    return sa.func.coalesce(cust.c[dimension], missing_label(dimension)).label("dim")


def group_keys(dim: sa.ColumnElement, dimension: str | None) -> list[sa.ColumnElement]:
    """GROUP BY keys for ``dim``: none when it is the constant "All" (PostgreSQL refuses constants)."""
    return [dim] if dimension is not None else []


def open_items(as_of: date, *, currency: str | None = None, dimension: str | None = None,
               customer_id: str | None = None) -> sa.Subquery:
    """Open invoices and credit notes as of one date, with their open amounts.

    Columns: ``as_of, invoice_id, customer_id, invoice_date, due_date, amount, currency, disputed, dim,
    open_amount``; one row per item with a non-zero open amount. Partial payments come from the
    derived ``ar_events`` (rows that neither open nor close an item), so no join with the whole
    payments table is needed. Questions about many dates go to :mod:`arboard.events` instead.
    """
    ev = schema.ar_events
    dim = dimension_column(dimension)
    # Plain filters on a literal date, which the database pushes down to the scan (zone maps, indexes).
    at = sa.literal(as_of, sa.Date)
    source = inv.join(cust, cust.c.customer_id == inv.c.customer_id, isouter=True) \
        if dimension not in (None, "currency") else inv
    source, disputed = disputeflags.joined(source, at)  # the dispute flag of that day
    pairs = (sa.select(at.label("as_of"), inv.c.invoice_id, inv.c.customer_id, inv.c.invoice_date,
                       inv.c.due_date, inv.c.amount, inv.c.currency, disputed.label("disputed"), dim)
             .select_from(source)
             .where(inv.c.invoice_date <= at, sa.or_(inv.c.paid_date.is_(None), inv.c.paid_date > at)))
    partial = (sa.select(ev.c.invoice_id, sa.func.sum(ev.c.delta).label("paid"))
               .where(ev.c.day <= at, ev.c.n_items == 0))
    if currency:
        pairs = pairs.where(inv.c.currency == currency)
        partial = partial.where(ev.c.currency == currency)
    if customer_id is not None:
        pairs = pairs.where(inv.c.customer_id == customer_id)
        partial = partial.where(ev.c.customer_id == customer_id)
    pairs = pairs.cte("pairs")
    partial = partial.group_by(ev.c.invoice_id).cte("partial")
    open_amount = (sa.cast(pairs.c.amount, sa.Float) + sa.func.coalesce(partial.c.paid, 0.0)).label("open_amount")
    q = (sa.select(*pairs.c, open_amount)
         .select_from(pairs.outerjoin(partial, partial.c.invoice_id == pairs.c.invoice_id))
         .where(sa.func.abs(open_amount) > 0.004))
    return q.subquery("open_items")


def payments_on_account(as_of: date, *, customer_id: str | None = None) -> sa.Select:
    """Payments dated by ``as_of`` that are not applied to an invoice the ledger holds (no invoice named,
    or one it does not know): cash on the debtor's account, as the balance events count it.

    Columns: ``customer_id, payment_id, payment_date, amount`` (positive: received), ``currency``.
    For the whole ledger the numbers it does not know are found first (the payments' invoice numbers
    except the invoices'), then the payments naming one of them or none: 2.2 s at 10M invoices, where
    the payments outer-joined to the invoices took 3.5 s (NOT EXISTS under an OR: 5 s). For one debtor
    the outer join is quicker (0.5 s against 1.3 s: the few payments are looked up, not every invoice).
    """
    cols = (pay.c.customer_id, pay.c.payment_id, pay.c.payment_date, sa.cast(pay.c.amount, sa.Float).label("amount"),
            pay.c.currency)
    if customer_id is not None:
        return (sa.select(*cols).select_from(pay.outerjoin(inv, inv.c.invoice_id == pay.c.invoice_id))
                .where(pay.c.payment_date <= as_of, pay.c.customer_id == customer_id, inv.c.invoice_id.is_(None)))
    named = pay.alias("named")
    unknown = sa.except_(sa.select(named.c.invoice_id).where(named.c.invoice_id.is_not(None),
                                                             named.c.payment_date <= as_of),
                         sa.select(inv.c.invoice_id))
    return sa.select(*cols).where(pay.c.payment_date <= as_of,
                                  sa.or_(pay.c.invoice_id.is_(None), pay.c.invoice_id.in_(unknown)))


def days_past(as_of: sa.ColumnElement, column: sa.ColumnElement) -> sa.ColumnElement:
    """Whole days from ``column`` to ``as_of`` (DATE - DATE is an integer on both backends)."""
    return sa.cast(as_of - column, sa.Integer)


def currencies(engine: sa.Engine) -> list[tuple[str, float]]:
    """Currencies in the ledger with their invoiced totals, largest first (ties by code: every page
    starts on the same one)."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(inv.c.currency, sa.func.sum(inv.c.amount)).group_by(inv.c.currency)
                            .order_by(sa.func.sum(inv.c.amount).desc(), inv.c.currency)).all()
    return [(c, float(v or 0)) for c, v in rows]
