"""Promises to pay: while one runs its invoice gets no reminder; once broken, it is the collector's to chase.

A promise is a contact about one invoice with a promised date, of kind ``promise_to_pay`` or
``payment_plan`` or with the outcome ``promised`` (a call that ended in one:
:func:`arboard.profiles.promise_made`). The latest promise made about an invoice by the as-of
date is the one that counts (a new promise replaces the one before). It *runs* until its promised
date plus :data:`arboard.profiles.PROMISE_GRACE_DAYS` (a payment takes a few days to arrive: the
same grace that counts a promise as kept in the debtor profiles). Reminding a debtor of an invoice
they have just promised to pay on a date reads as not listening, so the outreach plan holds a
promised invoice until its promise ends, as collection suites block dunning for a promise to pay.
An invoice still open after that has a *broken* promise: the playbook resumes, the collector's list
shows it, and the plan calls the debtor on the next contact day unless someone has spoken to them
since (a call, or a new promise: :func:`follow_up`).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.db import fetch_frame
from arboard.profiles import PROMISE_GRACE_DAYS, PROMISE_KINDS, promise_ended, promise_kept, promise_made

BROKEN_LISTED_DAYS = 30  # how long a broken promise stays on the list (then it is the playbook's again)
KINDS = dict(zip(PROMISE_KINDS, ("Promise to pay", "Payment plan"), strict=True))  # the kinds in words
COLUMNS = ["name", "customer_id", "invoice_id", "currency", "open_amount", "kind", "promised_date",
           "promised_amount", "runs_until", "broken", "followed_up", "made_on", "due_date"]
_READ = ["customer_id", "name", "invoice_id", "currency", "open_amount", "due_date", "kind", "made_on",
         "promised_date", "promised_amount", "spoke"]
LABELS = {"customer_id": "Debtor ID", "name": "Debtor", "invoice_id": "Invoice", "currency": "Currency",
          "open_amount": "Open amount", "due_date": "Due date", "kind": "Promise", "made_on": "Made on",
          "promised_date": "Promised for", "promised_amount": "Amount promised", "runs_until": "Reminders wait until",
          "broken": "Broken", "followed_up": "Spoken to since"}
MONEY = (LABELS["open_amount"], LABELS["promised_amount"])  # the money columns of an export (labelled)


def follow_up() -> sa.ColumnElement[bool]:
    """A contact in which someone spoke with the debtor: a call (or any contact by phone), or a promise
    to pay or payment plan agreed. After a promise broke, one of these means it has been followed up."""
    con = schema.contacts
    return sa.or_(con.c.channel == "phone", con.c.kind.in_(("call", "promise_to_pay", "payment_plan")))


def promises(engine: Engine, as_of: date, *, broken_within_days: int = BROKEN_LISTED_DAYS,
             customer_id: str | None = None) -> pd.DataFrame:
    """Open invoices with a running promise to pay as of ``as_of``, and those whose promise broke lately.

    Parameters
    ----------
    engine
        The ledger database.
    as_of
        The day the promises are judged on; only promises made by then count.
    broken_within_days
        Broken promises are listed when they ended at most this many days before ``as_of`` (an older
        broken promise is the playbook's again, not news); 0 lists running promises only.
    customer_id
        One debtor's promises only.

    Returns
    -------
    pandas.DataFrame
        ``COLUMNS``, one row per open invoice (amounts in the invoice's currency; ``open_amount`` is
        what is left after partial payments); ``runs_until`` is the promised date plus the grace days,
        ``broken`` whether that is before ``as_of``, ``followed_up`` the day of the latest
        :func:`follow_up` with the debtor after that (by ``as_of``; empty when none, and for running
        promises). Running ones first, the soonest first; then broken ones, the latest broken first.
    """
    con, inv, pay, cust = schema.contacts, schema.invoices, schema.payments, schema.customers
    # Ended at most broken_within_days ago: promised date + grace >= as_of - broken_within_days.
    earliest = as_of - timedelta(days=broken_within_days + PROMISE_GRACE_DAYS)
    promise = sa.and_(promise_made(), con.c.contact_date <= as_of)
    # Only invoices with a promise that could count are ranked (a third of the time at 10M invoices):
    # the latest promise must itself end late enough.
    recent = sa.select(con.c.invoice_id).where(promise, con.c.promised_date >= earliest)
    last = sa.func.row_number().over(partition_by=con.c.invoice_id,
                                     order_by=(con.c.contact_date.desc(), con.c.contact_id.desc())).label("last")
    made = (sa.select(con.c.invoice_id, con.c.customer_id, con.c.kind, con.c.contact_date, con.c.promised_date,
                      con.c.promised_amount, last)
            .where(promise, con.c.invoice_id.in_(recent)))
    if customer_id is not None:
        made = made.where(con.c.customer_id == customer_id)
    made = made.subquery("made")
    latest = (sa.select(made).where(made.c.last == 1, made.c.promised_date >= earliest)
              .cte("latest").prefix_with("MATERIALIZED"))
    # Open as of as_of, less the payments made by then: of these few invoices only (the open-items
    # query over the whole ledger took most of a second at 10M invoices).
    paid = (sa.select(pay.c.invoice_id, sa.func.sum(sa.cast(pay.c.amount, sa.Float)).label("paid"))
            .where(pay.c.invoice_id.in_(sa.select(latest.c.invoice_id)), pay.c.payment_date <= as_of)
            .group_by(pay.c.invoice_id).subquery("paid"))
    # The latest time anyone spoke with these debtors, by as_of: only after the earliest end of a listed
    # promise can it follow one up.
    spoke = (sa.select(con.c.customer_id, sa.func.max(con.c.contact_date).label("day"))
             .where(follow_up(), con.c.contact_date <= as_of, con.c.contact_date > earliest,
                    con.c.customer_id.in_(sa.select(latest.c.customer_id)))
             .group_by(con.c.customer_id).subquery("spoke"))
    open_amount = sa.cast(inv.c.amount, sa.Float) - sa.func.coalesce(paid.c.paid, 0.0)
    q = (sa.select(inv.c.customer_id, sa.func.coalesce(cust.c.name, inv.c.customer_id), inv.c.invoice_id,
                   inv.c.currency, open_amount, inv.c.due_date, latest.c.kind, latest.c.contact_date,
                   latest.c.promised_date, sa.cast(latest.c.promised_amount, sa.Float), spoke.c.day)
         .select_from(latest.join(inv, inv.c.invoice_id == latest.c.invoice_id)
                      .outerjoin(paid, paid.c.invoice_id == inv.c.invoice_id)
                      .outerjoin(cust, cust.c.customer_id == inv.c.customer_id)
                      .outerjoin(spoke, spoke.c.customer_id == inv.c.customer_id))
         .where(inv.c.invoice_date <= as_of, sa.or_(inv.c.paid_date.is_(None), inv.c.paid_date > as_of),
                inv.c.amount > 0, open_amount > 0.004))
    with engine.connect() as conn:
        df = fetch_frame(conn, q, _READ)
    for col in ("due_date", "made_on", "promised_date", "spoke"):
        df[col] = pd.to_datetime(df[col])
    df["open_amount"] = df["open_amount"].astype(float)
    df["promised_amount"] = df["promised_amount"].astype(float)
    df["runs_until"] = df["promised_date"] + pd.Timedelta(days=PROMISE_GRACE_DAYS)
    df["broken"] = df["runs_until"] < pd.Timestamp(as_of)
    df["followed_up"] = df["spoke"].where(df["spoke"] > df["runs_until"])  # spoken to after it broke
    keys = ["runs_until", "customer_id", "invoice_id"]
    running = df[~df["broken"]].sort_values(keys)
    broken = df[df["broken"]].sort_values(keys, ascending=[False, True, True])
    return pd.concat([running, broken], ignore_index=True)[COLUMNS]


KEPT_WINDOW_DAYS = 90  # the promises judged for the kept rate: those whose grace ended in these days


def judged(as_of: date, *, days: int) -> tuple[sa.ColumnElement[bool], sa.ColumnElement[bool]]:
    """Which promises are judged as of ``as_of``, and which of them were kept: the one definition of
    :func:`kept_rate` and the what-if's promises lever (:func:`arboard.scenarios.promise_items`).

    Judged: a promise (:func:`arboard.profiles.promise_made`) made by ``as_of`` whose promised date
    plus grace ended in the ``days`` before it. Kept: its invoice settled by then. For a query over
    the contacts joined to their invoices.
    """
    con = schema.contacts
    ends = promise_ended()
    due = sa.and_(promise_made(), con.c.contact_date <= as_of, ends < as_of, ends >= as_of - timedelta(days=days))
    return due, promise_kept()


def kept_rate(engine: Engine, as_of: date, *, days: int = KEPT_WINDOW_DAYS) -> dict[str, float | int | None]:
    """How many promises to pay were kept: of those whose grace ended in the ``days`` up to ``as_of``.

    Every promise counts (not only an invoice's latest): a debtor who promised twice and paid after
    the second broke one promise and kept one. Kept means the invoice was settled by the end of the
    grace (the debtor profiles' definition); a promise about no known invoice cannot be judged and is
    left out. Judged only once its grace is over, so nothing after ``as_of`` is read.

    Returns
    -------
    dict
        ``due`` (promises judged), ``kept``, ``rate`` (kept / due; None when none was due) and
        ``debtors`` (who made them).
    """
    con, inv = schema.contacts, schema.invoices
    due, kept = judged(as_of, days=days)
    q = (sa.select(sa.func.count(), sa.func.sum(sa.case((kept, 1), else_=0)),
                   sa.func.count(sa.distinct(con.c.customer_id)))
         .select_from(con.join(inv, inv.c.invoice_id == con.c.invoice_id)).where(due))
    with engine.connect() as conn:
        due, n_kept, debtors = conn.execute(q).one()
    due, n_kept = int(due or 0), int(n_kept or 0)
    return {"due": due, "kept": n_kept, "rate": n_kept / due if due else None, "debtors": int(debtors or 0)}


def pauses(table: pd.DataFrame) -> pd.DataFrame:
    """The running promises of :func:`promises` as invoice holds (``customer_id, invoice_id, until``)
    for :func:`arboard.holds.held_until`: the plan leaves their contacts out up to the end of the grace."""
    running = table[~table["broken"].astype(bool)]
    return pd.DataFrame({"customer_id": running["customer_id"].to_numpy(dtype=object),
                         "invoice_id": running["invoice_id"].to_numpy(dtype=object),
                         "until": running["runs_until"].dt.date.to_numpy(dtype=object)},
                        columns=["customer_id", "invoice_id", "until"])


def summary(table: pd.DataFrame) -> dict[str, int]:
    """Counts for a headline: running and broken promises (invoices) and their debtors."""
    broken = table["broken"].astype(bool)
    return {"running": int((~broken).sum()), "running_debtors": int(table.loc[~broken, "customer_id"].nunique()),
            "broken": int(broken.sum()), "broken_debtors": int(table.loc[broken, "customer_id"].nunique())}


# What a promise of :func:`promises` is now, in words: broken and nobody spoke with the debtor since
# (call them), broken but followed up (:func:`follow_up`), or still running.
STATES = {"broken": "Broken", "spoken": "Broken, spoken to since", "running": "Running"}


def state(table: pd.DataFrame) -> pd.Series:
    """Each promise's key of :data:`STATES` (a table of :func:`promises`)."""
    broken = table["broken"].astype(bool).to_numpy()
    return pd.Series(np.where(~broken, "running", np.where(table["followed_up"].isna(), "broken", "spoken")),
                     index=table.index, dtype=object)


def only(table: pd.DataFrame, broken: bool | None) -> pd.DataFrame:
    """The running (``broken=False``) or broken (True) promises of :func:`promises`; all with None."""
    return table if broken is None else table[table["broken"].astype(bool) == broken]


def readable(table: pd.DataFrame, *, labels: bool = False) -> pd.DataFrame:
    """:func:`promises` with the kinds in words (and the column ``LABELS`` as headers, for an export)."""
    out = table.assign(kind=table["kind"].map(KINDS).fillna("Promised (" + table["kind"].astype(str) + ")"))
    return out.rename(columns=LABELS) if labels else out
