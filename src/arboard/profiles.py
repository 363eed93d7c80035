"""Debtor profiles: one row per customer describing how it pays and responds, as of a date.

Everything is aggregated in the database over a look-back window (default 12 months) ending at
the as-of date; only one row per customer reaches pandas. The columns feed the segmentation
rule tree (:mod:`arboard.segments`) and the Segments page.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import aging, disputeflags, events, fx, schema
from arboard.db import fetch_frame

inv, con, cust, ev = schema.invoices, schema.contacts, schema.customers, schema.ar_events
RESPONSIVE = ("responded", "promised", "paid")
PROMISE_KINDS = ("promise_to_pay", "payment_plan")
PROMISE_GRACE_DAYS = 3
REMINDER_EFFECT_DAYS = 10

PROFILE_COLUMNS = {
    "open_ar": "Open balance",
    "overdue_ar": "Overdue balance",
    "invoice_count": "Invoices in the window",
    "settled_count": "Invoices settled in the window",
    "days_beyond_terms": "Days beyond terms (amount-weighted)",
    "on_time_share": "Share paid on time",
    "lateness_trend": "Lateness trend (last 3 vs 6 months before, days)",
    "after_first_reminder_share": "Share paid right after the first reminder",
    "response_rate": "Response rate to contacts",
    "promises_made": "Promises to pay made",
    "promises_kept": "Promises kept",
    "promises_broken": "Promises broken",
    "promise_kept_share": "Share of promises kept",
    "partial_share": "Share of invoices paid in parts",
    "disputes": "Disputes",
    "utilisation": "Credit-limit utilisation",
    "credit_score": "External credit score",
    "history_days": "Days since the first invoice",
    "has_contact": "Contact data present",
    "best_channel": "Most responsive channel",
}


def promise_made() -> sa.ColumnElement[bool]:
    """A contact that records a promise to pay: a promise or payment-plan contact, or any contact (a
    call, say) whose outcome is "promised", with a promised date. One definition for the profiles,
    the what-if promises and the outreach plan's pauses."""
    return sa.and_(sa.or_(con.c.kind.in_(PROMISE_KINDS), con.c.outcome == "promised"), con.c.promised_date.is_not(None))


def promise_ended() -> sa.ColumnElement:
    """The last day a promise runs: its promised date plus the grace for the payment to arrive."""
    return con.c.promised_date + sa.literal(PROMISE_GRACE_DAYS)


def promise_kept() -> sa.ColumnElement[bool]:
    """A promise (a contact joined to its invoice) kept: the invoice settled by the end of the grace."""
    return sa.and_(inv.c.paid_date.is_not(None), inv.c.paid_date <= promise_ended())


def _days(later, earlier):
    return sa.cast(later - earlier, sa.Integer)


def debtor_profiles(engine: Engine, as_of: date, *, lookback_days: int = 365, rates: fx.Rates | None = None
                    ) -> pd.DataFrame:
    """One row per customer with invoices up to ``as_of``.

    A debtor billed in several currencies has one balance: in the reporting currency of the saved
    exchange rates (:mod:`arboard.fx`), else at face value. Amount weights convert the same way.

    Parameters
    ----------
    engine
        The ledger database.
    as_of
        Nothing after this date is used.
    lookback_days
        Behaviour is measured over this window ending at ``as_of``.
    rates
        Exchange rates to add up currencies with; by default the ones saved in the database.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, name, country, customer_type, preferred_channel, has_email, has_phone, credit_limit``
        and the columns of :data:`PROFILE_COLUMNS`.
    """
    events.ensure_current(engine)
    at = sa.literal(as_of, sa.Date)
    start = sa.literal(as_of - timedelta(days=lookback_days), sa.Date)
    recent = sa.literal(as_of - timedelta(days=91), sa.Date)
    before = sa.literal(as_of - timedelta(days=274), sa.Date)
    rates = fx.load(engine) if rates is None else rates
    amount = rates.to_reporting(sa.cast(inv.c.amount, sa.Float), inv.c.currency)
    late = sa.func.greatest(_days(inv.c.paid_date, inv.c.due_date), 0)
    settled_in = sa.and_(inv.c.paid_date > start, inv.c.paid_date <= at, inv.c.amount > 0)
    settled_recent = sa.and_(settled_in, inv.c.paid_date > recent)
    settled_before = sa.and_(inv.c.amount > 0, inv.c.paid_date > before, inv.c.paid_date <= recent)
    zero = sa.literal(0.0)

    def wsum(cond, value):
        return sa.func.sum(sa.case((cond, value), else_=zero))

    # Disputed at any time by then: a dispute resolved since is still part of the debtor's history.
    source, disputed = disputeflags.joined_ever(inv, at)
    inv_q = (sa.select(
        inv.c.customer_id,
        sa.func.sum(sa.case((inv.c.invoice_date > start, 1), else_=0)).label("invoice_count"),
        sa.func.sum(sa.case((settled_in, 1), else_=0)).label("settled_count"),
        wsum(settled_in, amount).label("settled_amount"),
        wsum(settled_in, amount * late).label("late_amount_days"),
        sa.func.sum(sa.case((sa.and_(settled_in, inv.c.paid_date <= inv.c.due_date), 1), else_=0)).label("on_time"),
        wsum(settled_recent, amount * late).label("recent_late"), wsum(settled_recent, amount).label("recent_amount"),
        wsum(settled_before, amount * late).label("before_late"), wsum(settled_before, amount).label("before_amount"),
        sa.func.sum(sa.case((sa.and_(inv.c.invoice_date > start, disputed), 1), else_=0)).label("disputes"),
        sa.func.min(inv.c.invoice_date).label("first_invoice"),
    ).select_from(source).where(inv.c.invoice_date <= at).group_by(inv.c.customer_id))

    partial_q = (sa.select(ev.c.customer_id, sa.func.count(sa.distinct(ev.c.invoice_id)).label("partial_invoices"))
                 .where(ev.c.n_items == 0, ev.c.day <= at, ev.c.invoice_date > start).group_by(ev.c.customer_id))

    in_window = sa.and_(con.c.contact_date > start, con.c.contact_date <= at)

    # Judged once its grace is over, as promises.judged does: earlier, a payment after ``at`` could
    # count it kept (the future leaking into an as-of figure), and one still in its grace broken.
    promise = sa.and_(promise_made(), promise_ended() < at, in_window)
    promise_q = (sa.select(con.c.customer_id, sa.func.count().label("promises_made"),
                           sa.func.sum(sa.case((promise_kept(), 1), else_=0)).label("promises_kept"))
                 .select_from(con.outerjoin(inv, inv.c.invoice_id == con.c.invoice_id))
                 .where(promise).group_by(con.c.customer_id))

    # First reminder after the due date, per invoice; paid within a few days of it?
    # The invoice's customer and paid date ride along (one value per invoice): joining the invoices
    # a second time took a second at 10M invoices.
    first_rem = (sa.select(con.c.invoice_id, inv.c.customer_id, inv.c.paid_date,
                           sa.func.min(con.c.contact_date).label("first_reminder"))
                 .select_from(con.join(inv, inv.c.invoice_id == con.c.invoice_id))
                 .where(con.c.kind == "reminder", con.c.contact_date >= inv.c.due_date, con.c.contact_date <= at,
                        inv.c.invoice_date > start,
                        # Implied (reminded on or after a due date after the invoice date), but it lets the
                        # database drop older reminders before the join: 1.0 s less at 10M invoices.
                        con.c.contact_date > start)
                 .group_by(con.c.invoice_id, inv.c.customer_id, inv.c.paid_date).subquery("first_reminder"))
    reminded_q = (sa.select(first_rem.c.customer_id, sa.func.count().label("reminded"),
                            sa.func.sum(sa.case((sa.and_(
                                first_rem.c.paid_date.is_not(None), first_rem.c.paid_date <= at,
                                first_rem.c.paid_date <= first_rem.c.first_reminder
                                + sa.literal(REMINDER_EFFECT_DAYS)), 1), else_=0)).label("paid_after_reminder"))
                  .group_by(first_rem.c.customer_id))

    # Contacts (bounced ones left out) and responses per channel; a debtor's totals are their sums.
    channel_q = (sa.select(con.c.customer_id, con.c.channel, sa.func.count().label("n"),
                           sa.func.sum(sa.case((con.c.outcome.in_(RESPONSIVE), 1), else_=0)).label("ok"))
                 .where(in_window, con.c.outcome != "bounced").group_by(con.c.customer_id, con.c.channel))

    cust_q = sa.select(cust.c.customer_id, sa.func.coalesce(cust.c.name, cust.c.customer_id).label("name"),
                       cust.c.country, cust.c.customer_type, cust.c.preferred_channel,
                       sa.cast(cust.c.credit_limit, sa.Float).label("credit_limit"), cust.c.credit_score,
                       (cust.c.email.is_not(None) | cust.c.phone.is_not(None)).label("has_contact"),
                       cust.c.email.is_not(None).label("has_email"), cust.c.phone.is_not(None).label("has_phone"))

    with engine.connect() as conn:
        frames = {name: fetch_frame(conn, q) for name, q in [
            ("inv", inv_q), ("partial", partial_q), ("promise", promise_q), ("reminded", reminded_q),
            ("channel", channel_q), ("cust", cust_q)]}
    frames["con"] = (frames["channel"].astype({"n": float, "ok": float}).groupby("customer_id")[["n", "ok"]].sum()
                     .rename(columns={"n": "contacts", "ok": "responses"}).reset_index())
    balances = aging.aging_by_customer(engine, as_of, rates=rates)[["customer_id", "total", "overdue"]]

    df = frames["inv"]
    for name in ("partial", "con", "promise", "reminded"):
        df = df.merge(frames[name], on="customer_id", how="left")
    df = df.merge(frames["cust"], on="customer_id", how="left")
    df = df.merge(balances.rename(columns={"total": "open_ar", "overdue": "overdue_ar"}), on="customer_id", how="left")
    num = ["invoice_count", "settled_count", "settled_amount", "late_amount_days", "on_time", "recent_late",
           "recent_amount", "before_late", "before_amount", "disputes", "partial_invoices", "contacts", "responses",
           "promises_made", "promises_kept", "reminded", "paid_after_reminder", "open_ar", "overdue_ar"]
    for col in num:
        df[col] = pd.to_numeric(df[col], errors="coerce").astype(float).fillna(0.0)

    def ratio(a, b):
        return (a / b.where(b > 0)).astype(float)

    df["days_beyond_terms"] = ratio(df["late_amount_days"], df["settled_amount"])
    df["on_time_share"] = ratio(df["on_time"], df["settled_count"])
    df["lateness_trend"] = ratio(df["recent_late"], df["recent_amount"]) - ratio(df["before_late"],
                                                                               df["before_amount"])
    df["after_first_reminder_share"] = ratio(df["paid_after_reminder"], df["reminded"])
    df["response_rate"] = ratio(df["responses"], df["contacts"])
    df["promises_broken"] = df["promises_made"] - df["promises_kept"]
    df["promise_kept_share"] = ratio(df["promises_kept"], df["promises_made"])
    df["partial_share"] = ratio(df["partial_invoices"], df["invoice_count"])
    df["utilisation"] = ratio(df["open_ar"].clip(lower=0), df["credit_limit"])
    df["credit_score"] = pd.to_numeric(df["credit_score"], errors="coerce").astype(float)
    df["history_days"] = (pd.Timestamp(as_of) - pd.to_datetime(df["first_invoice"])).dt.days.astype(float)
    df["has_contact"] = df["has_contact"].fillna(False).astype(bool)
    df["best_channel"] = _best_channel(frames["channel"]).reindex(df["customer_id"]).to_numpy()
    keep = ["customer_id", "name", "country", "customer_type", "preferred_channel", "has_email", "has_phone",
            "credit_limit", *PROFILE_COLUMNS]
    return df[keep].sort_values(["open_ar", "customer_id"], ascending=[False, True]).reset_index(drop=True)


# Ties in response go to the cheaper channel (digital before a letter, a letter before staff time),
# and are broken the same way on every run: the rows come from the database in no set order.
_CHEAPEST_FIRST = {"email": 0, "portal": 1, "sms": 2, "letter": 3, "phone": 4}


def _best_channel(channels: pd.DataFrame, *, min_contacts: int = 2) -> pd.Series:
    """Per customer, the channel with the best response rate among those used at least twice (on a
    tie, the one used more often, then the cheaper one)."""
    if channels.empty:
        return pd.Series(dtype=object)
    c = channels.assign(n=channels["n"].astype(float), ok=channels["ok"].astype(float))
    c = c[c["n"] >= min_contacts]
    c = c.assign(rate=c["ok"] / c["n"], cost=c["channel"].map(_CHEAPEST_FIRST).fillna(len(_CHEAPEST_FIRST)))
    c = c.sort_values(["customer_id", "rate", "n", "cost", "channel"], ascending=[True, False, False, True, True],
                      kind="stable")
    return c.drop_duplicates("customer_id").set_index("customer_id")["channel"].where(lambda s: s.notna(), np.nan)
