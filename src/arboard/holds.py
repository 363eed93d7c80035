"""Holds: debtors or single invoices kept out of the outreach plan for a while.

A credit manager pauses reminders for a debtor in negotiation, an invoice under review or a key
account the sales team handles. A hold covers one debtor (every invoice) or one invoice, up to and
including a date or until it is lifted; contacts the playbooks would make in that time are left
out of the plan. When it ends with the items still open, the reminder step they reached meanwhile
goes out on the next contact day, and the playbook goes on from there. Running promises to pay
(:mod:`arboard.promises`) hold their invoices the same way.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.db import unknown_customers
from arboard.errors import ArboardError, check_text

REASON_MAX = 300  # outreach_holds.reason is VARCHAR(300)
COLUMNS = ["hold_id", "customer_id", "invoice_id", "until", "reason", "created_at"]
_FOREVER = np.datetime64("9999-12-31")


def add(engine: Engine, customer_id: str, *, invoice_id: str | None = None, until: date | None = None,
        reason: str = "", today: date) -> str:
    """Hold a debtor (or one of its invoices) out of the plan; returns the hold's id.

    Raises
    ------
    ArboardError
        When the debtor or invoice is unknown, the invoice belongs to another debtor, ``until`` is
        before ``today``, or the reason is longer than :data:`REASON_MAX` characters or holds a control
        character (:func:`arboard.errors.check_text`).
    """
    customer_id, invoice_id = (customer_id or "").strip(), (invoice_id or "").strip() or None
    reason = check_text(reason, what="A hold's reason", max_len=REASON_MAX)
    if until is not None and until < today:
        raise ArboardError(f"The hold would end on {until.isoformat()}, which is already past.")
    inv = schema.invoices
    with engine.begin() as conn:
        if invoice_id is not None:
            owner = conn.execute(sa.select(inv.c.customer_id).where(inv.c.invoice_id == invoice_id)).scalar()
            if owner is None:
                raise ArboardError(f"There is no invoice “{invoice_id}”.")
            if owner != customer_id:
                raise ArboardError(f"Invoice “{invoice_id}” belongs to debtor “{owner}”, not “{customer_id}”.")
        elif unknown_customers(conn, [customer_id]):
            raise ArboardError(f"There is no debtor “{customer_id}”.")
        hold_id = str(uuid.uuid4())
        conn.execute(sa.insert(schema.outreach_holds).values(
            hold_id=hold_id, customer_id=customer_id, invoice_id=invoice_id, until=until,
            reason=reason, created_at=datetime.now(UTC).replace(tzinfo=None)))
    return hold_id


def lift(engine: Engine, hold_id: str) -> None:
    """Lift a hold (contacts it kept out are planned again); the hold is kept, marked lifted now."""
    h = schema.outreach_holds
    with engine.begin() as conn:
        lifted = conn.execute(sa.select(h.c.lifted_at).where(h.c.hold_id == hold_id)).one_or_none()
        if lifted is None:
            raise ArboardError(f"There is no hold “{hold_id}”.")
        if lifted[0] is not None:
            raise ArboardError(f"The hold “{hold_id}” was lifted already, on {lifted[0]:%d %b %Y}.")
        conn.execute(sa.update(h).where(h.c.hold_id == hold_id)
                     .values(lifted_at=datetime.now(UTC).replace(tzinfo=None)))


def active(engine: Engine, as_of: date) -> pd.DataFrame:
    """The holds that still keep contacts out on or after ``as_of``, newest first (``COLUMNS``); lifted
    ones do not."""
    h = schema.outreach_holds
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*(h.c[c] for c in COLUMNS))
                            .where(sa.or_(h.c.until.is_(None), h.c.until >= as_of), h.c.lifted_at.is_(None))
                            .order_by(h.c.created_at.desc())).all()
    return pd.DataFrame(rows, columns=COLUMNS)


def held_until(items: pd.DataFrame, holds: pd.DataFrame) -> np.ndarray:
    """For each open item (``customer_id``, ``invoice_id``), the last day it is held (NaT: not held).

    A hold without an end holds until 9999-12-31.
    """
    out = np.full(len(items), np.datetime64("NaT"), dtype="datetime64[D]")
    if holds.empty or items.empty:
        return out
    ends = pd.to_datetime(holds["until"]).to_numpy().astype("datetime64[D]")
    ends = np.where(np.isnat(ends), _FOREVER, ends)
    whole = holds["invoice_id"].isna().to_numpy()
    for keys, column, mask in ((holds["customer_id"], "customer_id", whole),
                               (holds["invoice_id"], "invoice_id", ~whole)):
        if not mask.any():
            continue
        latest = pd.Series(ends[mask], index=keys[mask].to_numpy()).groupby(level=0).max()
        pos = latest.index.get_indexer(items[column])
        found = np.where(pos >= 0, latest.to_numpy().astype("datetime64[D]")[np.maximum(pos, 0)],
                         np.datetime64("NaT"))
        out = np.where(np.isnat(out) | (found > out), found, out)
    return out
