"""Aging: open receivables by how long they are past due (or how old they are), as of any date.

Buckets always add up to the total open AR: credit notes sit in the bucket of their own due
date (and are counted separately), unapplied cash gets its own line.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import events, fx, schema
from arboard.db import fetch_frame
from arboard.openitems import days_past, open_items

UNAPPLIED = "Unapplied cash"
# Not due in green, then warmer colours the older the money; unapplied cash in grey (pages and PDF alike).
BUCKET_COLOURS = ["#2e7d32", "#9ccc65", "#fdd835", "#fb8c00", "#e53935", "#8e0000", "#6d0000", "#4a0000"]
UNAPPLIED_COLOUR = "#9e9e9e"


def bucket_colours(labels: Sequence[str]) -> list[str]:
    """One colour per bucket label, oldest warmest; the unapplied-cash line grey.

    More buckets than colours (edges are the user's) spread the same ramp over them: cycling it
    painted the oldest debt in the green of money not yet due.
    """
    n = sum(label != UNAPPLIED for label in labels)
    colours = iter(BUCKET_COLOURS[:n] if n <= len(BUCKET_COLOURS) else _ramp(BUCKET_COLOURS, n))
    return [UNAPPLIED_COLOUR if label == UNAPPLIED else next(colours) for label in labels]


def _ramp(anchors: Sequence[str], n: int) -> list[str]:
    """``n`` colours evenly along the anchors (hex ``#rrggbb``), the first and last included."""
    rgb = np.array([[int(c[i:i + 2], 16) for i in (1, 3, 5)] for c in anchors], dtype=float)
    pos = np.linspace(0, len(anchors) - 1, n)
    lo = np.minimum(pos.astype(int), len(anchors) - 2)
    mix = rgb[lo] + (rgb[lo + 1] - rgb[lo]) * (pos - lo)[:, None]
    return ["#{:02x}{:02x}{:02x}".format(*np.rint(row).astype(int)) for row in mix]


@dataclass(frozen=True)
class AgingSpec:
    """Bucket edges in days and the basis they are measured from.

    With ``basis="due"`` the first bucket is *Not due* (0 days past due or less), then
    1–30, 31–60, ... up to *Over N*. With ``basis="invoice"`` buckets are ages since the invoice
    date: 0–30, 31–60, ...
    """

    edges: tuple[int, ...] = (30, 60, 90, 120)
    basis: Literal["due", "invoice"] = "due"

    def __post_init__(self) -> None:
        if not self.edges or any(e <= 0 for e in self.edges) or list(self.edges) != sorted(set(self.edges)):
            raise ValueError("bucket edges must be distinct positive day counts in increasing order")
        if self.basis not in ("due", "invoice"):
            raise ValueError("basis must be 'due' or 'invoice'")

    @property
    def labels(self) -> list[str]:
        """Bucket labels in order (without the unapplied-cash line)."""
        if self.basis == "due":
            out, lo = ["Not due"], 1
        else:
            out, lo = [], 0
        for e in self.edges:
            out.append(f"{lo}–{e}")
            lo = e + 1
        out.append(f"Over {self.edges[-1]}")
        return out

    @property
    def overdue_labels(self) -> list[str]:
        return self.labels[1:] if self.basis == "due" else self.labels

    def bucket(self, as_of: sa.ColumnElement, items: sa.FromClause) -> sa.ColumnElement:
        """SQL CASE giving each open item its bucket label."""
        ref = items.c.due_date if self.basis == "due" else items.c.invoice_date
        days = days_past(as_of, ref)
        labels = self.labels
        whens = [(ref.is_(None), UNAPPLIED)]
        if self.basis == "due":
            whens.append((days <= 0, labels[0]))
            labels = labels[1:]
        for edge, label in zip(self.edges, labels, strict=False):
            whens.append((days <= edge, label))
        return sa.case(*whens, else_=labels[-1])

    def bucket_index(self, days: np.ndarray) -> np.ndarray:
        """Positions in ``[*labels, UNAPPLIED]`` for day counts (days past due, or age); NaN is unapplied cash."""
        bounds = np.array(([0] if self.basis == "due" else []) + list(self.edges), dtype=float)
        idx = np.searchsorted(bounds, days, side="left")
        return np.where(np.isnan(days), len(self.labels), idx)

    def order(self, bucket: str) -> int:
        labels = [*self.labels, UNAPPLIED]
        return labels.index(bucket) if bucket in labels else len(labels)


def _bucketed(as_of: date, spec: AgingSpec, **filters) -> sa.Subquery:
    items = open_items(as_of, **filters)
    return sa.select(*items.c, spec.bucket(items.c.as_of, items).label("bucket")).subquery("bucketed")


def aging(engine: Engine, as_of: date, *, spec: AgingSpec = AgingSpec(), currency: str | None = None,
          dimension: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """Open AR by bucket (and by ``dimension`` when given); without a ``currency``, in the reporting
    currency of ``rates`` when given (:func:`arboard.fx.applied`).

    Returns
    -------
    pandas.DataFrame
        ``dim, bucket, amount, count, credit_notes`` in bucket order, the unapplied-cash line
        last; ``amount`` sums to the total open AR.
    """
    return aging_trend(engine, [as_of], spec=spec, currency=currency, dimension=dimension,
                       rates=rates).drop(columns="as_of")


def aging_trend(engine: Engine, dates: Sequence[date], *, spec: AgingSpec = AgingSpec(), currency: str | None = None,
                dimension: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """Open AR by bucket for each as-of date (for the stacked trend): ``as_of, dim, bucket, amount, ...``;
    ``rates`` as in :func:`aging`."""
    hist = events.history(engine, currency=currency, dimension=dimension, basis=spec.basis, rates=rates)
    return aging_from_history(hist, dates, spec=spec)


def aging_from_history(hist: events.History, dates: Sequence[date], *, spec: AgingSpec = AgingSpec()) -> pd.DataFrame:
    """:func:`aging_trend` on an already loaded :class:`arboard.events.History`."""
    df = hist.buckets(dates, [*spec.labels, UNAPPLIED], spec.bucket_index)
    df = df[df["amount"].abs() > 0.004].copy()  # a bucket holding nothing is not shown
    df["amount"] = df["amount"].astype(float).round(2)
    df["credit_notes"] = df["credit_notes"].astype(float).round(2)
    df["count"] = df["count"].astype(int)
    df["_order"] = df["bucket"].map(spec.order)
    return df.sort_values(["as_of", "dim", "_order"]).drop(columns="_order").reset_index(drop=True)


def aging_by_customer(engine: Engine, as_of: date, *, spec: AgingSpec = AgingSpec(), currency: str | None = None,
                      customer_ids: Sequence[str] | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """One row per customer with an open balance: name, attributes, one column per bucket.

    Columns: ``customer_id, name, country, industry, customer_type, collector, credit_limit, <bucket
    labels>, unapplied, total, overdue, disputed, oldest_due, open_items, days_past_due``; sorted by overdue amount,
    largest first. Without a ``currency``, a debtor's currencies add up: in the reporting currency
    of ``rates`` when given, else at face value.
    """
    events.ensure_current(engine)
    ev, cust = schema.ar_events, schema.customers
    at = sa.literal(as_of, sa.Date)
    b = _bucketed(as_of, spec, currency=currency)
    rates = fx.applied(rates, currency)
    item_rows = sa.select(b.c.customer_id, b.c.bucket,
                          rates.to_reporting(b.c.open_amount, b.c.currency).label("amount"), b.c.due_date,
                          b.c.disputed, (b.c.amount > 0).label("invoice"), sa.literal(1).label("n"))
    cash_rows = sa.select(ev.c.customer_id, sa.literal(UNAPPLIED).label("bucket"),
                          rates.to_reporting(ev.c.delta, ev.c.currency), sa.null(),
                          sa.false(), sa.false(), sa.literal(0)).where(ev.c.day <= at, ev.c.due_date.is_(None))
    if currency:
        cash_rows = cash_rows.where(ev.c.currency == currency)
    if customer_ids is not None:
        item_rows = item_rows.where(b.c.customer_id.in_(list(customer_ids)))
        cash_rows = cash_rows.where(ev.c.customer_id.in_(list(customer_ids)))
    r = sa.union_all(item_rows, cash_rows).subquery("rows")
    zero = sa.literal(0.0)
    per = (sa.select(
        r.c.customer_id,
        *(sa.func.sum(sa.case((r.c.bucket == label, r.c.amount), else_=zero)).label(label)
          for label in [*spec.labels, UNAPPLIED]),
        sa.func.sum(sa.case((r.c.due_date < at, r.c.amount), else_=zero)).label("overdue"),
        sa.func.sum(sa.case((r.c.disputed, r.c.amount), else_=zero)).label("disputed"),
        sa.func.min(sa.case((r.c.invoice, r.c.due_date))).label("oldest_due"),
        sa.func.sum(r.c.n).label("open_items"),
    ).group_by(r.c.customer_id).subquery("per_customer"))
    cols = [per.c.customer_id, sa.func.coalesce(cust.c.name, per.c.customer_id).label("name"), cust.c.country,
            cust.c.industry, cust.c.customer_type, cust.c.collector,
            sa.cast(cust.c.credit_limit, sa.Float).label("credit_limit"), *(per.c[label] for label in spec.labels),
            per.c[UNAPPLIED].label("unapplied"), per.c.overdue, per.c.disputed, per.c.oldest_due, per.c.open_items]
    q = sa.select(*cols).select_from(per.outerjoin(cust, cust.c.customer_id == per.c.customer_id))
    with engine.connect() as conn:
        df = fetch_frame(conn, q, [c.name for c in cols])
    money = [*spec.labels, "unapplied", "overdue", "disputed"]
    df[money] = df[money].astype(float).round(2)
    df.insert(df.columns.get_loc("unapplied") + 1, "total", df[[*spec.labels, "unapplied"]].sum(axis=1).round(2))
    df = df[(df["total"].abs() > 0.004) | (df["open_items"] > 0)].copy()
    oldest = pd.to_datetime(df["oldest_due"])
    df["days_past_due"] = (pd.Timestamp(as_of) - oldest).dt.days.clip(lower=0).fillna(0).astype(int)
    df["oldest_due"] = oldest.dt.date
    df["open_items"] = df["open_items"].astype(int)
    return df.sort_values(["overdue", "total"], ascending=False).reset_index(drop=True)


def items(engine: Engine, as_of: date, *, spec: AgingSpec = AgingSpec(), currency: str | None = None,
          bucket: str | None = None, customer_id: str | None = None, limit: int = 5_000,
          rates: fx.Rates | None = None) -> pd.DataFrame:
    """Open items (invoices and credit notes) with their bucket, for drill-down; largest first.

    Amounts stay in each item's own ``currency``; across currencies, "largest" is in the reporting
    currency of ``rates`` when given (:func:`arboard.fx.applied`).
    """
    b = _bucketed(as_of, spec, currency=currency, customer_id=customer_id)
    cust = schema.customers
    size = fx.applied(rates, currency).to_reporting(b.c.open_amount, b.c.currency)
    q = (sa.select(b.c.invoice_id, b.c.customer_id, sa.func.coalesce(cust.c.name, b.c.customer_id).label("name"),
                   b.c.invoice_date, b.c.due_date, b.c.amount, b.c.open_amount, b.c.currency, b.c.disputed,
                   days_past(b.c.as_of, b.c.due_date).label("days_past_due"), b.c.bucket)
         .select_from(b.outerjoin(cust, cust.c.customer_id == b.c.customer_id))
         .order_by(size.desc(), b.c.invoice_id).limit(limit))
    if bucket is not None:
        q = q.where(b.c.bucket == bucket)
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(q).mappings().all())
    if df.empty:
        return pd.DataFrame(columns=["invoice_id", "customer_id", "name", "invoice_date", "due_date", "amount",
                                     "open_amount", "currency", "disputed", "days_past_due", "bucket"])
    df[["amount", "open_amount"]] = df[["amount", "open_amount"]].astype(float)
    return df


def aging_by_group(customers: pd.DataFrame, groups: pd.Series, *, spec: AgingSpec = AgingSpec(),
                   labels: dict | None = None) -> pd.DataFrame:
    """Aging per debtor group (e.g. the five segments), from :func:`aging_by_customer`.

    ``groups`` maps customer ids to group keys. Returns the long format of :func:`aging`:
    ``dim, bucket, amount``.
    """
    frame = customers.assign(dim=customers["customer_id"].map(groups).fillna("(no group)"))
    if labels:
        frame["dim"] = frame["dim"].map(lambda g: labels.get(g, g))
    wide = frame.groupby("dim")[[*spec.labels, "unapplied"]].sum().rename(columns={"unapplied": UNAPPLIED})
    long = wide.reset_index().melt("dim", var_name="bucket", value_name="amount")
    return long[long["amount"].abs() > 0.004].reset_index(drop=True)
