"""Disputed invoices: what is open in dispute, since when, and how long disputes take to clear.

A genuine dispute (a wrong price, a missing delivery) is an operational fix, not a behaviour signal
(domain notes): the outreach plan keeps disputed invoices out of its reminders, as a dunning block
does, so they need a worklist of their own, oldest first, or they sit unpaid unseen. A dispute is
*raised* on the date of the first contact of kind ``dispute`` recorded on the invoice; when none is
recorded, the worklist counts from the due date and says so.

The lists are built in the database (open items, the contact aggregates per invoice); only the
disputed invoices reach pandas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import disputeflags, events, fx, schema
from arboard.db import fetch_frame
from arboard.openitems import open_items

COLUMNS = ["invoice_id", "customer_id", "name", "collector", "reason", "currency", "invoice_date", "due_date",
           "open_amount", "raised", "open_since", "days_open", "days_past_due", "contacts", "last_contact", "last_kind",
           "last_outcome"]
AGE_EDGES = (30, 60, 90)
NO_REASON = "(no reason given)"
LABELS = {"invoice_id": "Invoice", "customer_id": "Debtor ID", "name": "Debtor", "collector": "Collector",
          "reason": "Reason", "currency": "Currency",
          "invoice_date": "Invoice date", "due_date": "Due date", "open_amount": "Open amount",
          "raised": "Raised (first dispute contact)", "open_since": "Open since", "days_open": "Days in dispute",
          "days_past_due": "Days past due", "contacts": "Contacts", "last_contact": "Last contact",
          "last_kind": "Last contact kind", "last_outcome": "Last outcome", "over_target": "Over target",
          "open_value": "Open in reporting currency"}
MONEY = (LABELS["open_amount"], LABELS["open_value"])  # the money columns of an export (labelled)


def open_disputes(engine: Engine, as_of: date, *, currency: str | None = None,
                  rates: fx.Rates | None = None) -> pd.DataFrame:
    """The disputed invoices open as of ``as_of``, longest in dispute first.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`: the open amount net of partial payments, in the invoice's currency;
        ``raised`` is the first dispute contact on the invoice up to ``as_of`` (NaT when none is
        recorded) and ``open_since`` that date or else the due date, from which ``days_open``
        counts; ``contacts`` counts the contacts on the invoice up to ``as_of``, the last of which is
        described by ``last_*``. Without a ``currency`` and with active ``rates``
        (:func:`arboard.fx.applied`), a last column ``open_value`` holds the open amount in the
        reporting currency, which the totals then add up.
    """
    events.ensure_current(engine)  # partial payments come from the derived balance events
    con, cust, inv = schema.contacts, schema.customers, schema.invoices
    rates = fx.applied(rates, currency)
    items = open_items(as_of, currency=currency)
    disputed = (sa.select(items.c.invoice_id, items.c.customer_id, items.c.invoice_date, items.c.due_date,
                          items.c.currency, items.c.open_amount,
                          rates.to_reporting(items.c.open_amount, items.c.currency).label("open_value"))
                .where(items.c.disputed, items.c.amount > 0, items.c.open_amount > 0.004).cte("disputed"))
    # The contacts of those invoices only, numbered newest first, with the first dispute date alongside.
    per_invoice = {"partition_by": con.c.invoice_id}
    mine = (sa.select(con.c.invoice_id, con.c.contact_date, con.c.kind, con.c.outcome,
                      sa.func.row_number().over(**per_invoice, order_by=(con.c.contact_date.desc(),
                                                                         con.c.contact_id.desc())).label("newest"),
                      sa.func.min(sa.case((con.c.kind == "dispute", con.c.contact_date)))
                      .over(**per_invoice).label("raised"),
                      sa.func.count().over(**per_invoice).label("contacts"))
            .where(con.c.invoice_id.in_(sa.select(disputed.c.invoice_id)), con.c.contact_date <= as_of)
            .subquery("mine"))
    last = sa.select(mine).where(mine.c.newest == 1).subquery("last")
    q = (sa.select(disputed.c.invoice_id, disputed.c.customer_id,
                   sa.func.coalesce(cust.c.name, disputed.c.customer_id).label("name"), cust.c.collector,
                   inv.c.dispute_reason.label("reason"), disputed.c.currency,
                   disputed.c.invoice_date, disputed.c.due_date, disputed.c.open_amount, disputed.c.open_value,
                   last.c.raised,
                   sa.func.coalesce(last.c.contacts, 0).label("contacts"), last.c.contact_date.label("last_contact"),
                   last.c.kind.label("last_kind"), last.c.outcome.label("last_outcome"))
         .select_from(disputed.outerjoin(last, last.c.invoice_id == disputed.c.invoice_id)
                      .outerjoin(cust, cust.c.customer_id == disputed.c.customer_id)
                      .join(inv, inv.c.invoice_id == disputed.c.invoice_id)))
    with engine.connect() as conn:
        df = fetch_frame(conn, q)
    for col in ("invoice_date", "due_date", "raised", "last_contact"):
        df[col] = pd.to_datetime(df[col])
    df["open_amount"] = df["open_amount"].astype(float).round(2)
    df["open_value"] = df["open_value"].astype(float).round(2)
    df["contacts"] = df["contacts"].astype(int)
    df["open_since"] = df["raised"].fillna(df["due_date"])
    day = pd.Timestamp(as_of)
    df["days_open"] = (day - df["open_since"]).dt.days.clip(lower=0).astype(int)
    df["days_past_due"] = (day - df["due_date"]).dt.days.astype(int)
    df = df.sort_values(["days_open", "open_value", "invoice_id"], ascending=[False, False, True], kind="stable")
    return df[[*COLUMNS, *(["open_value"] if rates.active else [])]].reset_index(drop=True)


UNMARKED_COLUMNS = ["invoice_id", "customer_id", "name", "currency", "due_date", "open_amount", "raised", "contact_id"]


def unmarked(engine: Engine, as_of: date, *, currency: str | None = None) -> pd.DataFrame:
    """Open invoices with a dispute contact in the log that are not disputed as of ``as_of``.

    An ERP export without a dispute flag, or a contacts log from another system, leaves such
    invoices in the reminders although the debtor disputed them. Only contacts dated after the
    invoice's last decision made in arboard count (a dispute resolved in arboard since is done with),
    and those up to ``as_of``.

    Returns
    -------
    pandas.DataFrame
        :data:`UNMARKED_COLUMNS`, one row per invoice, largest open amount first: ``raised`` is the
        first such dispute contact (``contact_id``), from which it would count as disputed
        (:func:`arboard.disputestatus.mark_contacted`); the open amount is in the invoice's currency.
    """
    events.ensure_current(engine)  # partial payments come from the derived balance events
    con, cust, dd = schema.contacts, schema.customers, schema.dispute_decisions
    items = open_items(as_of, currency=currency)
    last_decision = (sa.select(dd.c.invoice_id, sa.func.max(dd.c.decided_on).label("last_on"))
                     .where(dd.c.ended_why.is_distinct_from("removed")).group_by(dd.c.invoice_id).subquery("decided"))
    first = sa.func.row_number().over(partition_by=con.c.invoice_id,
                                      order_by=(con.c.contact_date, con.c.contact_id)).label("first")
    contacted = (sa.select(con.c.invoice_id, con.c.contact_id, con.c.contact_date, first)
                 .select_from(con.outerjoin(last_decision, last_decision.c.invoice_id == con.c.invoice_id))
                 .where(con.c.kind == "dispute", con.c.invoice_id.is_not(None), con.c.contact_date <= as_of,
                        sa.or_(last_decision.c.last_on.is_(None), con.c.contact_date > last_decision.c.last_on))
                 .subquery("contacted"))
    q = (sa.select(items.c.invoice_id, items.c.customer_id, sa.func.coalesce(cust.c.name, items.c.customer_id)
                   .label("name"), items.c.currency, items.c.due_date, items.c.open_amount,
                   contacted.c.contact_date.label("raised"), contacted.c.contact_id)
         .select_from(items.join(contacted, sa.and_(contacted.c.invoice_id == items.c.invoice_id,
                                                   contacted.c.first == 1))
                      .outerjoin(cust, cust.c.customer_id == items.c.customer_id))
         .where(~items.c.disputed, items.c.amount > 0, items.c.open_amount > 0.004)
         .order_by(items.c.open_amount.desc(), items.c.invoice_id))
    with engine.connect() as conn:
        df = fetch_frame(conn, q, UNMARKED_COLUMNS)
    for col in ("due_date", "raised"):
        df[col] = pd.to_datetime(df[col])
    df["open_amount"] = df["open_amount"].astype(float).round(2)
    return df


def _value(disputes: pd.DataFrame) -> pd.Series:
    """The amounts a total adds up: in the reporting currency when the list spans currencies."""
    return disputes["open_value"] if "open_value" in disputes else disputes["open_amount"]


def resolution_days(engine: Engine, as_of: date, *, lookback_days: int = 365,
                    currency: str | None = None) -> tuple[float | None, int]:
    """How long the disputes settled in the ``lookback_days`` before ``as_of`` took.

    Returns
    -------
    (median days, count)
        Days from the first dispute contact (the due date when none is recorded) to settlement;
        the median is None when no disputed invoice was settled in the window.
    """
    row = resolution(engine, as_of, lookback_days=lookback_days, currency=currency).iloc[0]
    return (None if pd.isna(row["median_days"]) else float(row["median_days"])), int(row["settled"])


def resolution(engine: Engine, as_of: date, *, lookback_days: int = 365, currency: str | None = None,
               by_reason: bool = False) -> pd.DataFrame:
    """:func:`resolution_days` as a frame, ``median_days, settled``: one row, or one per dispute reason
    (``reason``, :data:`NO_REASON` when none was given) with ``by_reason``."""
    inv, con = schema.invoices, schema.contacts
    raised = (sa.select(con.c.invoice_id, sa.func.min(con.c.contact_date).label("raised"))
              .where(con.c.kind == "dispute").group_by(con.c.invoice_id).subquery("raised"))
    # A dispute resolved in arboard (arboard.disputestatus) is no longer flagged, but was a dispute all the same.
    source, was_disputed = disputeflags.joined_ever(inv.outerjoin(raised, raised.c.invoice_id == inv.c.invoice_id),
                                                    as_of)
    since = sa.func.coalesce(raised.c.raised, inv.c.due_date)
    took = sa.func.greatest(events.days_between(inv.c.paid_date, since), 0)
    reason = sa.func.coalesce(inv.c.dispute_reason, NO_REASON).label("reason")
    q = (sa.select(*([reason] if by_reason else []), sa.func.percentile_cont(0.5).within_group(took)
                   .label("median_days"), sa.func.count().label("settled"))
         .select_from(source)
         .where(was_disputed, inv.c.amount > 0, inv.c.paid_date > as_of - timedelta(days=lookback_days),
                inv.c.paid_date <= as_of))
    if by_reason:
        q = q.group_by(reason)
    if currency:
        q = q.where(inv.c.currency == currency)
    with engine.connect() as conn:
        df = fetch_frame(conn, q)
    df["median_days"] = df["median_days"].astype(float)
    df["settled"] = df["settled"].astype(int)
    return df


def by_reason(disputes: pd.DataFrame, settled: pd.DataFrame) -> pd.DataFrame:
    """Open disputes per reason beside how long those settled lately took: the root causes to fix.

    Parameters
    ----------
    disputes
        :func:`open_disputes`.
    settled
        :func:`resolution` with ``by_reason``.

    Returns
    -------
    pandas.DataFrame
        ``reason, count, amount, median_days_open, settled, median_days_to_settle``: every reason with an
        open or a recently settled dispute, largest open amount first.
    """
    open_ = (disputes.assign(reason=disputes["reason"].fillna(NO_REASON), value=_value(disputes))
             .groupby("reason").agg(count=("invoice_id", "size"), amount=("value", "sum"),
                                    median_days_open=("days_open", "median")))
    past = settled.set_index("reason").rename(columns={"median_days": "median_days_to_settle"})
    out = open_.join(past, how="outer").rename_axis("reason").reset_index()
    out["count"] = out["count"].fillna(0).astype(int)
    out["amount"] = out["amount"].fillna(0.0).round(2)
    out["settled"] = out["settled"].fillna(0).astype(int)
    return out.sort_values(["amount", "settled", "reason"], ascending=[False, False, True]).reset_index(drop=True)[
        ["reason", "count", "amount", "median_days_open", "settled", "median_days_to_settle"]]


def reasons_known(reasons: pd.DataFrame) -> bool:
    """Whether a :func:`by_reason` table says anything: some dispute has a reason (ledgers without
    reason codes get no table of one row)."""
    return bool((reasons["reason"] != NO_REASON).any())


@dataclass(frozen=True)
class DisputeSummary:
    """The headline figures of a dispute worklist (amounts in one currency, or the reporting one)."""

    count: int
    amount: float
    over_target: int
    over_target_amount: float
    median_days_open: float | None
    oldest_days_open: int | None
    unrecorded: int  # disputes with no dispute contact on file: counted from the due date


def summary(disputes: pd.DataFrame, *, target_days: int) -> DisputeSummary:
    """Count, amount, and what has been in dispute longer than ``target_days``."""
    over = disputes["days_open"] > target_days
    empty = disputes.empty
    value = _value(disputes)
    return DisputeSummary(
        count=len(disputes), amount=float(value.sum()), over_target=int(over.sum()),
        over_target_amount=float(value[over].sum()),
        median_days_open=None if empty else float(disputes["days_open"].median()),
        oldest_days_open=None if empty else int(disputes["days_open"].max()),
        unrecorded=int(disputes["raised"].isna().sum()))


def worklist(disputes: pd.DataFrame, *, target_days: int, over_target_only: bool = False) -> pd.DataFrame:
    """The disputes with ``over_target`` (open longer than ``target_days``), optionally only those."""
    out = disputes.assign(over_target=disputes["days_open"] > target_days)
    return out[out["over_target"]].reset_index(drop=True) if over_target_only else out


def by_age(disputes: pd.DataFrame, *, edges: tuple[int, ...] = AGE_EDGES) -> pd.DataFrame:
    """Disputed amount and count per band of days in dispute: ``band, amount, count`` (every band, in order)."""
    labels = [f"0–{edges[0]} days"] + [f"{a + 1}–{b} days" for a, b in zip(edges, edges[1:], strict=False)] \
        + [f"Over {edges[-1]} days"]
    idx = np.searchsorted(np.asarray(edges), disputes["days_open"].to_numpy(), side="left")
    amounts = np.bincount(idx, weights=_value(disputes).to_numpy(dtype=float), minlength=len(labels))
    counts = np.bincount(idx, minlength=len(labels))
    return pd.DataFrame({"band": labels, "amount": amounts.round(2), "count": counts})
