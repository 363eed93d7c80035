"""The ledger as dated changes of open balances: any as-of date is one cumulative sum away.

Every invoice or credit note opens at its invoice date for its amount; each payment applied to it
before it is settled lowers it on the payment date; it closes on its settlement date for what is
left. Unapplied cash lowers the customer's balance from its payment date. So the open balance as
of D of any group (currency, bucket of due dates, customer, country) is the sum of these changes
dated on or before D, which turns "AR at 48 month ends" from 48 range joins into one GROUP BY.

The ``ar_events`` table is derived data: :func:`rebuild` runs inside the transaction of every
write (import, sample), and :func:`ensure_current` rebuilds it when the data version moved on
without it (a database written by an older arboard). Writers outside arboard run
``arboard refresh``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import disputeflags, fx, schema
from arboard.db import chunks, fetch_frame, get_meta, set_meta
from arboard.openitems import missing_label
from arboard.store import temp_table

FAR_FUTURE = date(9999, 12, 31)
inv, pay, ev, daily = schema.invoices, schema.payments, schema.ar_events, schema.ar_daily


def _events_select(inv: sa.FromClause = inv, pay: sa.FromClause = pay,
                   customers: sa.Select | None = None, *, dated: bool = False) -> sa.CompoundSelect:
    """The balance events of the ledger (of some customers: a SELECT of their ids).

    With ``dated``, the events of the invoices arboard decided a dispute on carry the dispute flag
    of their day, and their open balance moves between the flags on the days it changed
    (:func:`arboard.disputeflags.spans`); the others carry the invoices file's flag. Callers pass it
    only when such a decision exists (:func:`arboard.disputeflags.any_decisions`), so a ledger
    without one pays nothing for it.
    """
    far = sa.literal(FAR_FUTURE, sa.Date)
    all_inv, paid_by = inv, pay
    if customers is None:
        known = sa.exists().where(all_inv.c.invoice_id == paid_by.c.invoice_id)
    else:
        # Their invoices and payments once, rather than a filter above the UNION that not every
        # backend pushes into each branch's joins.
        inv = sa.select(*inv.c).where(inv.c.customer_id.in_(customers)).cte("their_invoices") \
            .prefix_with("MATERIALIZED")
        paid_by = sa.select(*pay.c).where(pay.c.customer_id.in_(customers)).cte("their_payments") \
            .prefix_with("MATERIALIZED")
        # The invoice numbers their payments name, looked up first: no hash table of every invoice number.
        named = sa.select(paid_by.c.invoice_id).where(paid_by.c.invoice_id.is_not(None))
        known = paid_by.c.invoice_id.in_(sa.select(all_inv.c.invoice_id).where(all_inv.c.invoice_id.in_(named)))
    is_partial = pay.c.payment_date < sa.func.coalesce(inv.c.paid_date, far)
    partial_sum = (sa.select(pay.c.invoice_id, sa.func.sum(pay.c.amount).label("paid"))
                   .select_from(pay.join(inv, pay.c.invoice_id == inv.c.invoice_id))
                   .where(is_partial).group_by(pay.c.invoice_id).cte("partial_sum"))
    credit = (inv.c.amount < 0).label("credit_note")

    def of_items(only: sa.ColumnElement | None = None, *, with_id: bool = False) -> list[sa.Select]:
        """An item opening, closing, and paid in part; of the invoices ``only`` picks, with their
        invoice number last when ``with_id``."""
        extra = [inv.c.invoice_id.label("iid")] if with_id else []
        # invoice_id is kept on partial-payment rows only (what single-date drill-downs need): storing
        # millions of unique strings would double the cost of every rebuild.
        opened = sa.select(inv.c.invoice_date.label("day"), inv.c.customer_id, sa.null().label("invoice_id"),
                           inv.c.currency,
                           inv.c.invoice_date,
                           inv.c.due_date, inv.c.disputed, credit, inv.c.amount.label("delta"),
                           sa.literal(1, sa.Integer).label("n_items"), inv.c.amount.label("sales"),
                           sa.literal(0.0).label("settled"), *extra)
        closed = (sa.select(inv.c.paid_date, inv.c.customer_id, sa.null(), inv.c.currency, inv.c.invoice_date,
                            inv.c.due_date,
                            inv.c.disputed, credit, -(inv.c.amount - sa.func.coalesce(partial_sum.c.paid, 0)),
                            sa.literal(-1, sa.Integer), sa.literal(0.0),
                            sa.case((inv.c.amount > 0, inv.c.amount), else_=0.0), *extra)
                  .select_from(inv.outerjoin(partial_sum, partial_sum.c.invoice_id == inv.c.invoice_id))
                  .where(inv.c.paid_date.is_not(None)))
        # A payment dated before its invoice counts from the invoice date, when the invoice exists.
        partial = (sa.select(sa.func.greatest(pay.c.payment_date, inv.c.invoice_date), inv.c.customer_id,
                             inv.c.invoice_id, inv.c.currency, inv.c.invoice_date, inv.c.due_date, inv.c.disputed,
                             credit, -pay.c.amount, sa.literal(0, sa.Integer), sa.literal(0.0), sa.literal(0.0),
                             *extra)
                   .select_from(pay.join(inv, pay.c.invoice_id == inv.c.invoice_id)).where(is_partial))
        selects = [opened, closed, partial]
        return selects if only is None else [q.where(only) for q in selects]

    p = paid_by
    unapplied = (sa.select(p.c.payment_date, p.c.customer_id, sa.null(), p.c.currency, sa.null(), sa.null(),
                           sa.false(), sa.false(), -p.c.amount, sa.literal(1, sa.Integer), sa.literal(0.0),
                           sa.literal(0.0))
                 .where(sa.or_(p.c.invoice_id.is_(None), ~known)))
    if not dated:
        return sa.union_all(*of_items(), unapplied)
    decided = disputeflags.decided_invoices()
    mine = sa.union_all(*of_items(inv.c.invoice_id.in_(decided), with_id=True)).cte("decided_events")
    span = disputeflags.spans(inv).cte("dispute_spans")
    # Each event counts in the span of its day (in full: sales, items, settlements) and its amount
    # moves on into each later span on the day it starts (the balance only), as the flag changes.
    seen = mine.join(span, sa.and_(span.c.invoice_id == mine.c.iid,
                                   sa.or_(span.c.until.is_(None), span.c.until > mine.c.day)))
    own = span.c.since <= mine.c.day

    def only_own(col: sa.ColumnElement, other) -> sa.ColumnElement:
        return sa.case((own, col), else_=other)

    entering = sa.select(sa.func.greatest(mine.c.day, span.c.since), mine.c.customer_id,
                         only_own(mine.c.invoice_id, sa.null()), mine.c.currency, mine.c.invoice_date,
                         mine.c.due_date, span.c.disputed, mine.c.credit_note, mine.c.delta,
                         only_own(mine.c.n_items, 0), only_own(mine.c.sales, 0.0),
                         only_own(mine.c.settled, 0.0)).select_from(seen)
    leaving = (sa.select(span.c.until, mine.c.customer_id, sa.null(), mine.c.currency, mine.c.invoice_date,
                         mine.c.due_date, span.c.disputed, mine.c.credit_note, -mine.c.delta,
                         sa.literal(0, sa.Integer), sa.literal(0.0), sa.literal(0.0))
               .select_from(seen).where(span.c.until.is_not(None)))
    return sa.union_all(*of_items(inv.c.invoice_id.not_in(decided)), entering, leaving, unapplied)


# Which ledger tables each derived table is computed from.
SOURCES = {"ar_events": ("invoices", "payments"), "ar_daily": ("invoices", "payments"),
           "sales_daily": ("invoices", "customers")}


def affected_by(*tables: str) -> list[sa.Table]:
    """The derived tables a write to these ledger tables makes stale."""
    return [t for t in schema.DERIVED_TABLES if set(SOURCES[t.name]) & set(tables)]


def rebuild(conn: sa.Connection, *, sources: Mapping[str, sa.FromClause] | None = None,
            tables: Sequence[sa.Table] = schema.DERIVED_TABLES, only_customers: sa.Select | None = None) -> None:
    """Recompute the derived tables from the ledger (inside the caller's transaction).

    Parameters
    ----------
    sources
        Stand-ins for ledger tables by name, with the same columns: the importer passes a table
        as it will be after its write (:func:`arboard.store.as_written`), so the derived tables
        are computed from the stage before the write.
    tables
        The derived tables to recompute (default: all; see :func:`affected_by`).
    only_customers
        A SELECT of customer ids: the write changed nothing else, so ``ar_events`` is recomputed for
        these customers only and the ``ar_daily`` rows their events fall into are updated by
        difference. A correction to a large ledger then costs in proportion to the customers it
        touches.
    """
    src = {"invoices": inv, "payments": pay, "customers": schema.customers, **(sources or {})}
    names = {t.name for t in tables}
    dated = disputeflags.any_decisions(conn)
    events = _events_select(src["invoices"], src["payments"], dated=dated)
    if only_customers is not None and {"ar_events", "ar_daily"} <= names:
        _refresh_customers(conn, (src["invoices"], src["payments"]), only_customers, dated=dated)
        names -= {"ar_events", "ar_daily"}
    if "ar_events" in names:
        conn.execute(sa.delete(ev))
        conn.execute(sa.insert(ev).from_select([c.name for c in ev.columns], events))
    if "ar_daily" in names:
        conn.execute(sa.delete(daily))
        conn.execute(sa.insert(daily).from_select([c.name for c in daily.columns], _daily_select(ev)))
    if "sales_daily" in names:
        sd = schema.sales_daily
        conn.execute(sa.delete(sd))
        conn.execute(sa.insert(sd).from_select([c.name for c in sd.columns],
                                               _sales_select(src["invoices"], src["customers"])))
    set_meta(conn, "events_version", str(int(get_meta(conn, "data_version") or 0) + 1))


def _sales_select(i: sa.FromClause, cust: sa.FromClause, *, of: sa.FromClause | None = None,
                  sign: int = 1) -> sa.Select:
    """Credit sales per day and customer attribute, the rows of ``sales_daily`` (of the customers in
    the table ``of`` only, times ``sign``)."""
    keys = [i.c.invoice_date, i.c.currency, cust.c.country, cust.c.industry, cust.c.customer_type, cust.c.collector]
    source = i.outerjoin(cust, cust.c.customer_id == i.c.customer_id)
    if of is not None:
        source = source.join(of, of.c.customer_id == i.c.customer_id)
    return sa.select(*keys, (sign * sa.func.sum(sa.cast(i.c.amount, sa.Float))).label("sales")) \
        .select_from(source).group_by(*keys)


@contextmanager
def attributes_changing(conn: sa.Connection, customer_ids: Sequence[str]):
    """Keep ``sales_daily`` current while the caller changes these customers' attributes (collector,
    country, ...) inside the ``with`` block, in the caller's transaction.

    Their sales leave the rollup rows of their old attributes and join those of the new ones, so only
    their invoices are read: reassigning one debtor of a 10M-invoice ledger no longer recomputes the
    whole rollup (1.3 s). Rows left at zero are dropped, as a full rebuild would not have made them.
    """
    sd = schema.sales_daily
    ids = temp_table(conn, "moving", sa.Column("customer_id", sa.String))
    for part in chunks(customer_ids, 10_000):
        conn.execute(sa.insert(ids), [{"customer_id": c} for c in part])
    change = temp_table(conn, "sales_change", *_columns(sd))
    cols = [c.name for c in sd.columns]
    conn.execute(sa.insert(change).from_select(cols, _sales_select(inv, schema.customers, of=ids, sign=-1)))
    yield
    conn.execute(sa.insert(change).from_select(cols, _sales_select(inv, schema.customers, of=ids)))

    def key(t: sa.FromClause) -> list[sa.ColumnElement]:
        # NULL attributes compare equal on both backends (a debtor with no country, say).
        return [t.c.day, *(sa.func.coalesce(t.c[k], "\x1f") for k in cols[1:-1])]

    _add_rows(conn, sd, change, key, sums=("sales",), keep=lambda total: sa.func.abs(total["sales"]) > 0.004)
    for table in (change, ids):
        table.drop(conn)
    set_meta(conn, "events_version", str(int(get_meta(conn, "data_version") or 0) + 1))


_KEYS = ("day", "currency", "invoice_date", "due_date", "disputed", "credit_note")
_NO_DATE = date(1, 1, 1)


def _daily_select(e: sa.FromClause) -> sa.Select:
    keys = [e.c[k] for k in _KEYS]
    return (sa.select(*keys, sa.func.sum(sa.cast(e.c.delta, sa.Float)), sa.func.sum(e.c.n_items),
                      sa.func.sum(sa.cast(e.c.sales, sa.Float)), sa.func.sum(sa.cast(e.c.settled, sa.Float)),
                      sa.func.count())
            .group_by(*keys))


def _key(t: sa.FromClause) -> list[sa.ColumnElement]:
    """The rollup key of ``t`` with NULLs replaced, so that keys compare with ``=`` on both backends."""
    no_date = sa.literal(_NO_DATE, sa.Date)
    return [t.c.day, sa.func.coalesce(t.c.currency, ""), sa.func.coalesce(t.c.invoice_date, no_date),
            sa.func.coalesce(t.c.due_date, no_date), t.c.disputed, t.c.credit_note]


def _columns(table: sa.Table) -> list[sa.Column]:
    """Fresh copies of a table's columns, for a temporary table of the same shape."""
    return [sa.Column(c.name, c.type) for c in table.columns]


def _refresh_customers(conn: sa.Connection, sources: tuple[sa.FromClause, sa.FromClause],
                       only_customers: sa.Select, *, dated: bool = False) -> None:
    """Recompute the events of some customers and update the rollup rows they touch (see :func:`rebuild`).

    The rollup is updated by difference: each touched row plus the customers' new events minus their
    old ones, so that only those rows are read, not the whole of ``ar_events``.
    """
    ids = temp_table(conn, "ids", sa.Column("customer_id", sa.String))
    given = only_customers.subquery("given")
    conn.execute(sa.insert(ids).from_select(["customer_id"], sa.select(*given.c).distinct()))
    mine = sa.select(ids.c.customer_id)
    new = temp_table(conn, "events", *_columns(ev))
    theirs = _events_select(*sources, customers=mine, dated=dated)
    conn.execute(sa.insert(new).from_select([c.name for c in ev.columns], theirs))
    sums = ("delta", "n_items", "sales", "settled", "n_events")
    change = temp_table(conn, "change", *_columns(daily))

    def signed(t: sa.FromClause, sign: int) -> sa.Select:
        return sa.select(*(t.c[k] for k in _KEYS), *((sign * t.c[c]).label(c) for c in sums[:-1]),
                         sa.literal(sign).label("n"))

    moves = sa.union_all(signed(new, 1), signed(ev, -1).where(ev.c.customer_id.in_(mine))).subquery("m")
    conn.execute(sa.insert(change).from_select(
        [c.name for c in daily.columns],
        sa.select(*(moves.c[k] for k in _KEYS), *(sa.func.sum(moves.c[c]) for c in (*sums[:-1], "n")))
        .group_by(*(moves.c[k] for k in _KEYS))))
    conn.execute(sa.delete(ev).where(ev.c.customer_id.in_(mine)))
    conn.execute(sa.insert(ev).from_select([c.name for c in ev.columns], sa.select(new)))
    _add_rows(conn, daily, change, _key, sums=sums, keep=lambda total: total["n_events"] > 0)
    for table in (change, new, ids):
        table.drop(conn)


def _add_rows(conn: sa.Connection, target: sa.Table, change: sa.Table, key, *, sums: Sequence[str], keep) -> None:
    """Add the rows of ``change`` (a table shaped like the rollup ``target``: key columns, then the
    ``sums``) to the rows of ``target`` with the same key, reading only those rows.

    ``key(t)`` gives a table's key expressions, NULL-safe so that ``=`` matches on both backends;
    ``keep(totals)``, from the summed columns by name, says which rows stay.
    """
    cols = [c.name for c in target.columns]
    keys = [c for c in cols if c not in sums]
    # The days first: a plain column the scan can prune by, before the NULL-safe key comparison.
    hit = sa.and_(target.c.day.in_(sa.select(change.c.day)),
                  sa.exists().where(*(a == b for a, b in zip(key(target), key(change), strict=True))))
    both = sa.union_all(sa.select(*target.c).where(hit), sa.select(*change.c)).subquery("both")
    totals = {c: sa.func.sum(both.c[c]) for c in cols if c not in keys}
    merged = temp_table(conn, "merged", *_columns(target))
    conn.execute(sa.insert(merged).from_select(
        cols, sa.select(*(both.c[k] for k in keys), *totals.values()).group_by(*(both.c[k] for k in keys))
        .having(keep(totals))))
    conn.execute(sa.delete(target).where(hit))
    conn.execute(sa.insert(target).from_select(cols, sa.select(merged)))
    merged.drop(conn)


def ensure_current(engine: Engine) -> None:
    """Rebuild the events when they lag the data version (databases from older versions)."""
    with engine.connect() as conn:
        version = get_meta(conn, "data_version")
        built = get_meta(conn, "events_version")
    if (version is not None or built == "stale") and built != version:
        with engine.begin() as conn:
            rebuild(conn)
            set_meta(conn, "events_version", str(version) if version is not None else "0")


def refresh(engine: Engine) -> None:
    """Rebuild the events unconditionally (after writes by tools other than arboard)."""
    with engine.begin() as conn:
        rebuild(conn)
        set_meta(conn, "events_version", str(get_meta(conn, "data_version") or 0))


def days_between(later: sa.ColumnElement, earlier: sa.ColumnElement) -> sa.ColumnElement:
    """Whole days between two DATE columns (an integer on both backends)."""
    return sa.cast(later - earlier, sa.Integer)


def dimension_expr(dimension: str | None, source: sa.FromClause | None = None) -> sa.ColumnElement:
    """Group column for a breakdown (a customer attribute or the currency), or one constant group."""
    if dimension is None:
        return sa.literal_column("'All'", sa.String).label("dim")
    if dimension == "currency":
        return ev.c.currency.label("dim")
    return sa.func.coalesce(schema.customers.c[dimension], missing_label(dimension)).label("dim")


@dataclass
class History:
    """Open-balance changes per (day, reference date, group), ready for any as-of date.

    ``ref`` is the due date (or the invoice date, by ``basis``); it is NaT for unapplied cash.
    """

    changes: pd.DataFrame  # day, ref, dim, delta, disputed, credit, items (sorted by day)
    basis: str

    def flows(self) -> pd.DataFrame:
        """Per day and group: credit sales, settled invoice amounts and their amount-weighted day sums."""
        cols = ["sales", "settled", "pay_days", "late_days"]
        out = self.changes.groupby(["dim", "day"], sort=False)[cols].sum().reset_index()
        out["day"] = out["day"].dt.date
        return out

    def totals(self, dates: Sequence[date]) -> pd.DataFrame:
        """Per as-of date and group: open items, not-yet-due, disputed, unapplied.

        Vectorised: one boolean mask per date over the (small) change table, no regrouping.
        """
        c = self.changes
        day = c["day"].to_numpy()
        ref = c["ref"].to_numpy()
        has_ref = ~np.isnat(ref)
        delta = c["delta"].to_numpy(dtype=float)
        disputed = c["disputed"].to_numpy(dtype=float)
        dims, dim_idx = np.unique(c["dim"].astype(str).to_numpy(), return_inverse=True)
        rows = []
        for d in sorted(set(dates)):
            t = np.datetime64(pd.Timestamp(d))
            upto = day <= t
            item = upto & has_ref
            current = item & (ref >= t) if self.basis == "due" else np.zeros_like(item)

            def by_dim(mask: np.ndarray, values: np.ndarray) -> np.ndarray:
                return np.bincount(dim_idx[mask], weights=values[mask], minlength=len(dims))

            rows.append(pd.DataFrame({
                "dim": dims, "open_items": by_dim(item, delta), "current": by_dim(current, delta),
                "disputed": by_dim(item, disputed), "unapplied": by_dim(upto & ~has_ref, delta), "as_of": d,
            }))
        if not rows:
            return pd.DataFrame(columns=["dim", "open_items", "current", "disputed", "unapplied", "as_of"])
        return pd.concat(rows, ignore_index=True)

    def buckets(self, dates: Sequence[date], labels: Sequence[str], bucket_index) -> pd.DataFrame:
        """Open amounts per as-of date, group and bucket: ``as_of, dim, bucket, amount, count, credit_notes``.

        ``bucket_index`` maps an array of day counts (as-of minus ref; NaN for unapplied cash) to
        positions in ``labels``. Vectorised with one bincount per date.
        """
        c = self.changes
        day = c["day"].to_numpy()
        ref = c["ref"].to_numpy()
        values = np.stack([c["delta"].to_numpy(dtype=float), c["items"].to_numpy(dtype=float),
                           c["credit"].to_numpy(dtype=float)])
        dims, dim_idx = np.unique(c["dim"].astype(str).to_numpy(), return_inverse=True)
        nb = len(labels)
        frames = []
        for d in sorted(set(dates)):
            t = np.datetime64(pd.Timestamp(d))
            upto = day <= t
            days = (t - ref[upto]).astype("timedelta64[D]").astype(float)
            days[np.isnat(ref[upto])] = np.nan
            cell = dim_idx[upto] * nb + bucket_index(days)
            sums = [np.bincount(cell, weights=v[upto], minlength=len(dims) * nb) for v in values]
            frames.append(pd.DataFrame({"as_of": d, "dim": np.repeat(dims, nb), "bucket": np.tile(labels, len(dims)),
                                        "amount": sums[0], "count": sums[1], "credit_notes": sums[2]}))
        cols = ["as_of", "dim", "bucket", "amount", "count", "credit_notes"]
        return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def history(engine: Engine, *, currency: str | None = None, dimension: str | None = None,
            basis: str = "due", customer_id: str | None = None, rates: fx.Rates | None = None) -> History:
    """Load the grouped balance changes (one aggregate query over ``ar_events``).

    Without a ``currency``, amounts add up all currencies: in the reporting currency of ``rates``
    when given (:func:`arboard.fx.applied`), else at face value.
    """
    ensure_current(engine)
    # Company-wide (or by currency) questions read the rollup; customer-level ones the events.
    t = daily if dimension in (None, "currency") and customer_id is None else ev
    ref = t.c.due_date if basis == "due" else t.c.invoice_date
    rates = fx.applied(rates, currency)
    delta, settled = rates.to_reporting(t.c.delta, t.c.currency), rates.to_reporting(t.c.settled, t.c.currency)
    if dimension is None:
        dim = sa.literal_column("'All'", sa.String).label("dim")
    elif dimension == "currency":
        dim = t.c.currency.label("dim")
    else:
        dim = dimension_expr(dimension)
    src = t if dimension in (None, "currency") else t.outerjoin(
        schema.customers, schema.customers.c.customer_id == t.c.customer_id)
    keys = [t.c.day, ref] + ([dim] if dimension else [])
    q = (sa.select(t.c.day, ref.label("ref"), dim, sa.func.sum(delta).label("delta"),
                   sa.func.sum(sa.case((t.c.disputed, delta), else_=0)).label("disputed"),
                   sa.func.sum(sa.case((t.c.credit_note, delta), else_=0)).label("credit"),
                   sa.func.sum(t.c.n_items).label("items"),
                   sa.func.sum(rates.to_reporting(t.c.sales, t.c.currency)).label("sales"),
                   sa.func.sum(settled).label("settled"),
                   sa.func.sum(settled * days_between(t.c.day, t.c.invoice_date)).label("pay_days"),
                   sa.func.sum(settled * sa.func.greatest(days_between(t.c.day, t.c.due_date), 0))
                   .label("late_days"))
         .select_from(src).group_by(*keys))
    if currency:
        q = q.where(t.c.currency == currency)
    if customer_id is not None:
        q = q.where(t.c.customer_id == customer_id)
    with engine.connect() as conn:
        df = fetch_frame(conn, q, ["day", "ref", "dim", "delta", "disputed", "credit", "items", "sales", "settled",
                                   "pay_days", "late_days"])
    df["day"] = pd.to_datetime(df["day"])
    df["ref"] = pd.to_datetime(df["ref"])
    for col in ("delta", "disputed", "credit", "sales", "settled", "pay_days", "late_days"):
        df[col] = df[col].astype("float64").fillna(0.0)
    df["items"] = df["items"].astype("int64")
    return History(df.sort_values("day", kind="stable").reset_index(drop=True), basis)


def snapshot(engine: Engine, dates: Sequence[date], *, currency: str | None = None,
             dimension: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """Open balances at a few dates in one scan (cheaper than a history for breakdowns).

    Returns the frame of :meth:`History.totals`: ``dim, open_items, current, disputed, unapplied, as_of``;
    ``rates`` as in :func:`history`.
    """
    ensure_current(engine)
    dates = sorted(set(dates))
    delta = fx.applied(rates, currency).to_reporting(ev.c.delta, ev.c.currency)
    dim = dimension_expr(dimension)
    src = ev if dimension in (None, "currency") else ev.outerjoin(
        schema.customers, schema.customers.c.customer_id == ev.c.customer_id)
    sums = []
    for i, d in enumerate(dates):
        upto = ev.c.day <= sa.literal(d, sa.Date)
        item = sa.and_(upto, ev.c.due_date.is_not(None))
        sums += [
            sa.func.sum(sa.case((item, delta), else_=0.0)).label(f"open_items_{i}"),
            sa.func.sum(sa.case((sa.and_(item, ev.c.due_date >= sa.literal(d, sa.Date)), delta), else_=0.0))
            .label(f"current_{i}"),
            sa.func.sum(sa.case((sa.and_(item, ev.c.disputed), delta), else_=0.0)).label(f"disputed_{i}"),
            sa.func.sum(sa.case((sa.and_(upto, ev.c.due_date.is_(None)), delta), else_=0.0))
            .label(f"unapplied_{i}"),
        ]
    q = sa.select(dim, *sums).select_from(src).where(ev.c.day <= sa.literal(dates[-1], sa.Date))
    if dimension:
        q = q.group_by(dim)
    if currency:
        q = q.where(ev.c.currency == currency)
    with engine.connect() as conn:
        wide = fetch_frame(conn, q)
    frames = []
    for i, d in enumerate(dates):
        part = pd.DataFrame({"dim": wide["dim"]})
        for col in ("open_items", "current", "disputed", "unapplied"):
            part[col] = wide[f"{col}_{i}"].astype(float).fillna(0.0)
        part["as_of"] = d
        frames.append(part)
    return pd.concat(frames, ignore_index=True)
