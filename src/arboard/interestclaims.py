"""The interest claims sent: which late payments were claimed, so that none is claimed twice.

:func:`arboard.interest.paid_late` works out what the payments made late in a period earn. Once the
month's claims have gone out, the credit manager records them as sent (:func:`record`): every line
they asked for, a payment applied to an invoice or what its settlement cleared, with the interest and
the compensation claimed. From then on the same lines are left out of every later claim, whatever its
period: running October again, or the year to date, asks only for what was not claimed yet, and the
compensation of an invoice is asked for once. A recording made by mistake (the letters never went)
is withdrawn as a whole (:func:`withdraw`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import interest, schema
from arboard.collectors import check_name
from arboard.dates import check_period, period_text
from arboard.db import bump_data_version, fetch_frame
from arboard.errors import ArboardError

ic = schema.interest_claimed
BATCHES = ["batch_id", "claimed_on", "since", "until", "period", "claimed_by", "currency", "debtors", "payments",
           "interest", "compensation"]
CLAIMED = ["currency", "debtors", "payments", "interest", "compensation"]
_LINE = ["invoice_id", "kind", "ref", "customer_id", "currency", "paid_on", "paid", "days", "rate", "interest",
         "compensation"]


def check(*, since: date, until: date, claimed_on: date, today: date, by: str | None = None) -> str | None:
    """Check a recording's period, date and name before anything is written (:func:`record` does);
    returns the name as stored.

    Raises
    ------
    ArboardError
        A period back to front, a claim date after today or before the period's last day, a bad name.
    """
    check_period(since, until)
    by = check_name(by)
    if claimed_on > today:
        raise ArboardError(f"Claims cannot be recorded as sent on {claimed_on:%d %b %Y}, after today.")
    if claimed_on < until:
        raise ArboardError(f"Claims for the payments made up to {until:%d %b %Y} cannot have been sent before that, "
                           f"on {claimed_on:%d %b %Y}.")
    return by


def record(engine: Engine, *, since: date, until: date, terms: interest.InterestTerms, claimed_on: date,
           today: date, customer_ids: Sequence[str] | None = None, by: str | None = None) -> tuple[str, int, int]:
    """Record the claims for the payments made late from ``since`` to ``until`` as sent on ``claimed_on``.

    The lines are those :func:`arboard.interest.paid_late` gives with the same ``terms`` (the
    compensation left out when the terms leave it out): what is left to claim, worked out and written
    in the database in one statement.

    Parameters
    ----------
    engine
        The ledger's database.
    since, until
        The period the claims cover, both days included.
    terms
        The terms the claims were made on.
    claimed_on
        The day the claims went out: not after ``today``, nor before the period's last day.
    today
        The calendar's today.
    customer_ids
        Only these debtors' claims (the ones printed, say); None: every debtor's.
    by
        Who sent them.

    Returns
    -------
    tuple
        The recording's id (for :func:`withdraw`), the debtors and the lines recorded.

    Raises
    ------
    ArboardError
        What :func:`check` refuses, terms that claim nothing, or nothing left to claim (nothing is
        recorded).
    """
    by = check(since=since, until=until, claimed_on=claimed_on, today=today, by=by)
    if not terms.is_set:
        raise ArboardError("Nothing is claimed: set the interest rate or the compensation first.")
    lines = interest.paid_late_query(since, until, terms).c
    batch_id = f"{claimed_on:%Y%m%d}-{uuid.uuid4().hex[:6]}"  # read out and typed: short, dated
    now = datetime.now(UTC).replace(tzinfo=None)
    fixed = {"batch_id": sa.literal(batch_id, sa.String), "claimed_on": sa.literal(claimed_on, sa.Date),
             "since": sa.literal(since, sa.Date), "until": sa.literal(until, sa.Date),
             "claimed_by": sa.literal(by, sa.String), "created_at": sa.literal(now, sa.DateTime)}
    q = sa.select(*(lines[c] for c in _LINE), *(v.label(k) for k, v in fixed.items()))
    if customer_ids is not None:
        ids = list(dict.fromkeys(str(c) for c in customer_ids))
        if not ids:
            raise ArboardError("Choose the debtors whose claims went out.")
        q = q.where(lines.customer_id.in_(ids))
    try:
        with engine.begin() as conn:
            conn.execute(sa.insert(ic).from_select([*_LINE, *fixed], q))
            debtors, n = conn.execute(sa.select(sa.func.count(sa.distinct(ic.c.customer_id)), sa.func.count())
                                      .where(ic.c.batch_id == batch_id)).one()
            if not n:
                raise ArboardError(f"From {since:%d %b %Y} to {until:%d %b %Y} nothing is left to claim"
                                   + (" from these debtors" if customer_ids is not None else "")
                                   + ": every late payment was claimed already, or none came late.")
            bump_data_version(conn, derived_unchanged=True)  # what is left to claim moves; no derived table does
    except sa.exc.IntegrityError as exc:  # recorded at the same time elsewhere: the primary key caught it
        raise ArboardError("Some of these claims were recorded as sent at the same time by someone else; nothing "
                           "was recorded. Look again at what is left to claim.") from exc
    return batch_id, int(debtors), int(n)


def withdraw(engine: Engine, batch_id: str) -> int:
    """Withdraw a recording (the claims did not go out after all): its lines are to claim again.
    Returns how many lines it held.

    Raises
    ------
    ArboardError
        No recording with that id.
    """
    with engine.begin() as conn:
        n = conn.execute(sa.delete(ic).where(ic.c.batch_id == str(batch_id))).rowcount
        if not n:
            raise ArboardError(f"No claims were recorded as {str(batch_id)[:40]!r}: nothing to withdraw.")
        bump_data_version(conn, derived_unchanged=True)
    return int(n)


def batches(engine: Engine, *, customer_id: str | None = None, limit: int | None = None) -> pd.DataFrame:
    """The recordings (:data:`BATCHES`), newest first, one row per recording and currency: the period
    (also in words), who sent them ('' when not said), the debtors, lines, interest and compensation
    they claimed (of one debtor only, when given)."""
    q = (sa.select(ic.c.batch_id, sa.func.min(ic.c.claimed_on), sa.func.min(ic.c.since), sa.func.min(ic.c.until),
                   sa.func.min(ic.c.claimed_by), ic.c.currency, sa.func.count(sa.distinct(ic.c.customer_id)),
                   sa.func.count(), sa.func.sum(ic.c.interest), sa.func.sum(ic.c.compensation))
         .group_by(ic.c.batch_id, ic.c.currency)
         .order_by(sa.func.min(ic.c.claimed_on).desc(), sa.func.min(ic.c.created_at).desc(), ic.c.batch_id,
                   ic.c.currency))
    if customer_id is not None:
        q = q.where(ic.c.customer_id == customer_id)
    with engine.connect() as conn:
        out = fetch_frame(conn, q if limit is None else q.limit(limit), [c for c in BATCHES if c != "period"])
    for column in ("claimed_on", "since", "until"):
        out[column] = pd.to_datetime(out[column]).astype("datetime64[us]")
    out["claimed_by"] = out["claimed_by"].fillna("").astype(str)
    out.insert(4, "period", [period_text(a, b) for a, b in zip(out["since"], out["until"], strict=True)])
    return out.astype({"interest": float, "compensation": float, "debtors": int, "payments": int})


def claimed(engine: Engine, *, since: date, until: date) -> pd.DataFrame:
    """What the recorded claims asked for on the payments made from ``since`` to ``until`` (what
    :func:`arboard.interest.paid_late` leaves out), per currency (:data:`CLAIMED`), the most interest
    first."""
    check_period(since, until)
    q = (sa.select(ic.c.currency, sa.func.count(sa.distinct(ic.c.customer_id)), sa.func.count(),
                   sa.func.sum(ic.c.interest), sa.func.sum(ic.c.compensation))
         .where(ic.c.paid_on.between(sa.literal(since, sa.Date), sa.literal(until, sa.Date)))
         .group_by(ic.c.currency).order_by(sa.func.sum(ic.c.interest).desc(), ic.c.currency))
    with engine.connect() as conn:
        out = fetch_frame(conn, q, CLAIMED)
    return out.astype({"interest": float, "compensation": float, "debtors": int, "payments": int})
