"""Specific provisions: debtors assessed one by one, outside the provision matrix.

The provision matrix (:mod:`arboard.provision`) provides for the receivables as a portfolio, at the
loss rates of their aging buckets. Some debtors are known to be impaired on their own: an insolvency
filed, a claim handed to the lawyers, a debtor gone silent after a bounced cheque. IFRS 9 (credit-
impaired receivables) and CECL both assess those one by one: the credit manager sets the share of
the debtor's open invoices that will not be collected (often 100%, or what the administrator's
estimate of the dividend leaves) and says why. The debtor then leaves the matrix, so nothing is
provided for twice.

An assessment is in force from the day it was made until it ends (the debtor back in the matrix, or
a new rate from a later assessment). Assessments are kept, never deleted: the auditors ask what was
provided for whom, when and on what grounds, and an earlier as-of date shows the provision as it
stood then.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.collectors import check_name
from arboard.db import bump_data_version, fetch_frame, unknown_customers
from arboard.errors import ArboardError, check_text

REASON_MAX = 300  # specific_provisions.reason is VARCHAR(300)
COLUMNS = ["assessment_id", "customer_id", "rate", "reason", "assessed_on", "assessed_by", "ended_on", "ended_by"]
sp = schema.specific_provisions


def check_rate(rate: object) -> float:
    """A rate as stored: a number of percent from 0 to 100, two decimals; raises ArboardError."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 100:
        raise ArboardError(f"A specific provision's rate is a percentage from 0 to 100, not {rate!r}.",
                           where="rate")
    return round(float(rate), 2)


def in_force(as_of: date) -> sa.Select:
    """The assessments in force on ``as_of`` (at most one per debtor): ``customer_id, rate, reason,
    assessed_on, assessed_by``; a subquery for the provision's SQL."""
    at = sa.literal(as_of, sa.Date)
    return (sa.select(sp.c.customer_id, sp.c.rate, sp.c.reason, sp.c.assessed_on, sp.c.assessed_by)
            .where(sp.c.assessed_on <= at, sa.or_(sp.c.ended_on.is_(None), sp.c.ended_on > at)))


def assessments(engine: Engine, *, as_of: date | None = None, customer_id: str | None = None) -> pd.DataFrame:
    """The register (:data:`COLUMNS`), newest first: every assessment, or those in force on ``as_of``."""
    q = sa.select(*(sp.c[c] for c in COLUMNS))
    if as_of is not None:
        at = sa.literal(as_of, sa.Date)
        q = q.where(sp.c.assessed_on <= at, sa.or_(sp.c.ended_on.is_(None), sp.c.ended_on > at))
    if customer_id is not None:
        q = q.where(sp.c.customer_id == customer_id)
    q = q.order_by(sp.c.assessed_on.desc(), sp.c.created_at.desc())
    with engine.connect() as conn:
        out = fetch_frame(conn, q, COLUMNS)
    for col in ("assessed_on", "ended_on"):  # the same type from every backend, with or without gaps
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    return out.astype({"rate": float})


def current(engine: Engine, customer_id: str) -> dict | None:
    """The debtor's assessment not yet ended (it may start after an earlier as-of date), or None."""
    with engine.connect() as conn:
        row = conn.execute(sa.select(*(sp.c[c] for c in COLUMNS))
                           .where(sp.c.customer_id == customer_id, sp.c.ended_on.is_(None))).mappings().first()
    return {**row, "rate": float(row["rate"])} if row is not None else None


def assess(engine: Engine, customer_id: str, *, rate: float, reason: str, on: date, today: date,
           by: str | None = None) -> str:
    """Provide for a debtor one by one, from ``on``: ``rate`` percent of its open invoices, outside the
    matrix. An assessment in force is ended on ``on`` (the new rate replaces it). Returns its id.

    Raises
    ------
    ArboardError
        An unknown debtor, a rate outside 0–100, no reason or a bad one (:func:`arboard.errors.check_text`),
        a bad name, ``on`` after ``today`` or before the assessment it would replace (nothing is recorded).
    """
    customer_id = (customer_id or "").strip()
    rate = check_rate(rate)
    reason = check_text(reason, what="A specific provision's reason", max_len=REASON_MAX)
    if not reason:
        raise ArboardError("Say why the debtor is provided for one by one (an insolvency filed, a claim with the "
                           "lawyers): the auditors ask, and the register shows it.", where="reason")
    by = check_name(by)
    if on > today:
        raise ArboardError(f"A specific provision cannot be recorded as made on {on:%d %b %Y}, after today.")
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        _known(conn, customer_id)
        running = conn.execute(sa.select(sp.c.assessment_id, sp.c.assessed_on)
                               .where(sp.c.customer_id == customer_id, sp.c.ended_on.is_(None))).first()
        if running is not None:
            if running.assessed_on > on:
                raise ArboardError(f"{customer_id} has a specific provision from {running.assessed_on:%d %b %Y}; a "
                                   f"new one cannot start before it, on {on:%d %b %Y}.")
            conn.execute(sa.update(sp).where(sp.c.assessment_id == running.assessment_id)
                         .values(ended_on=on, ended_by=by))
        assessment_id = str(uuid.uuid4())
        conn.execute(sa.insert(sp).values(assessment_id=assessment_id, customer_id=customer_id, rate=rate,
                                          reason=reason, assessed_on=on, assessed_by=by, created_at=now))
        bump_data_version(conn, derived_unchanged=True)  # the provision moves; no derived table does
    return assessment_id


def end(engine: Engine, customer_id: str, *, on: date, today: date, by: str | None = None) -> None:
    """End the debtor's specific provision on ``on``: from then on it is in the matrix again.

    Raises
    ------
    ArboardError
        No assessment in force, ``on`` after ``today`` or before the assessment was made, a bad name.
    """
    customer_id = (customer_id or "").strip()
    by = check_name(by)
    if on > today:
        raise ArboardError(f"A specific provision cannot be recorded as ended on {on:%d %b %Y}, after today.")
    with engine.begin() as conn:
        running = conn.execute(sa.select(sp.c.assessment_id, sp.c.assessed_on)
                               .where(sp.c.customer_id == customer_id, sp.c.ended_on.is_(None))).first()
        if running is None:
            raise ArboardError(f"{customer_id or 'That debtor'} has no specific provision to end.")
        if on < running.assessed_on:
            raise ArboardError(f"The specific provision of {customer_id} was made on "
                               f"{running.assessed_on:%d %b %Y}; it cannot end before, on {on:%d %b %Y}.")
        conn.execute(sa.update(sp).where(sp.c.assessment_id == running.assessment_id).values(ended_on=on, ended_by=by))
        bump_data_version(conn, derived_unchanged=True)


def _known(conn: sa.Connection, customer_id: str) -> None:
    if not customer_id:
        raise ArboardError("Choose the debtor to provide for.", where="customer_id")
    if unknown_customers(conn, [customer_id]):
        raise ArboardError(f"There is no debtor “{customer_id}”. Nothing was recorded.", where="customer_id")
