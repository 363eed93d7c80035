"""What the team did in arboard, to take back to the ERP or CRM.

Calls made, promises taken, payment plans agreed and disputes raised are logged in arboard
(:mod:`arboard.logbook`), disputes resolved or marked there (:mod:`arboard.disputestatus`), interest
claims recorded as sent (:mod:`arboard.interestclaims`: the ERP books them as receivables), what a
payment on account pays confirmed or rejected (:mod:`arboard.cashdecisions`: the ERP applies it). The ERP and
the CRM are the systems of record: they hear of this work from a file they import. This module selects
what was entered between two days (the day it was entered, not the day it happened: a call logged a
day late still goes out with the next file), in columns named as arboard's own import names them, so
the contacts file loads into another arboard, and most CRMs map them in one go.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import exports, schema
from arboard.dates import check_period

CONTACT_COLUMNS = ["contact_id", "logged_on", "contact_date", "customer_id", "name", "invoice_id", "channel", "kind",
                   "outcome", "promised_date", "promised_amount", "dispute_reason", "logged_by", "note"]
DECISION_COLUMNS = ["decision_id", "entered_on", "decided_on", "customer_id", "name", "invoice_id", "status",
                    "reason", "note", "decided_by"]
HOLD_COLUMNS = ["hold_id", "entered_on", "customer_id", "name", "invoice_id", "until", "reason", "lifted_on"]
CLAIM_COLUMNS = ["recording", "entered_on", "claimed_on", "customer_id", "name", "currency", "payments", "interest",
                 "compensation", "claim", "paid_from", "paid_to", "claimed_by"]
CASH_COLUMNS = ["payment_id", "entered_on", "decided_on", "customer_id", "name", "payment_date", "amount", "currency",
                "decision", "items", "match", "decided_by", "note"]
MONEY = ("promised_amount", "interest", "compensation", "claim", "amount")
SHEETS = {"contacts": "Contacts logged", "decisions": "Dispute decisions", "holds": "Reminders on hold",
          "claims": "Interest claims sent", "cash": "Cash on account decided"}

con, dd, cust = schema.contacts, schema.dispute_decisions, schema.customers
_STAMP = len(schema.LOGGED_CONTACT_PREFIX)  # a logged contact's id starts with the UTC time it was logged

__all__ = ["CASH_COLUMNS", "CLAIM_COLUMNS", "CONTACT_COLUMNS", "DECISION_COLUMNS", "HOLD_COLUMNS", "MONEY", "SHEETS",
           "cash_decided", "contacts_logged", "dispute_decisions", "holds", "interest_claims", "today", "to_xlsx"]


def today() -> date:
    """The day it is in UTC: the clock entries are stamped with, so "entered today" asks for this day."""
    return datetime.now(UTC).date()


def _check(since: date, until: date) -> tuple[datetime, datetime]:
    """The days ``since`` to ``until`` as a range of timestamps: from the first day's start to the start of
    the day after the last."""
    check_period(since, until)
    return datetime.combine(since, time()), datetime.combine(until + timedelta(days=1), time())


def _stamp(day: date) -> str:
    return f"{schema.LOGGED_CONTACT_PREFIX}{day:%Y%m%d}"


def contacts_logged(engine: Engine, *, since: date, until: date) -> pd.DataFrame:
    """The contacts logged in arboard on the days ``since`` to ``until`` (UTC, both included).

    Returns
    -------
    pandas.DataFrame
        :data:`CONTACT_COLUMNS`, in the order they were logged: ``logged_on`` is the day the contact
        was entered, ``contact_date`` the day it happened; ``dispute_reason`` is the reason given with a
        dispute (from the decision it raised, unless that was removed). Imported contacts are not
        listed: they came from the ERP or CRM.
    """
    _check(since, until)
    reason = (sa.select(dd.c.contact_id, sa.func.max(dd.c.reason).label("reason"))
              .where(dd.c.contact_id.is_not(None), dd.c.ended_why.is_distinct_from("removed"))
              .group_by(dd.c.contact_id).subquery())
    q = (sa.select(con.c.contact_id, sa.func.substr(con.c.contact_id, _STAMP + 1, 8).label("logged_on"),
                   con.c.contact_date, con.c.customer_id, cust.c.name, con.c.invoice_id, con.c.channel, con.c.kind,
                   con.c.outcome, con.c.promised_date, con.c.promised_amount, reason.c.reason.label("dispute_reason"),
                   con.c.logged_by, con.c.note)
         .select_from(con.outerjoin(cust, cust.c.customer_id == con.c.customer_id)
                      .outerjoin(reason, reason.c.contact_id == con.c.contact_id))
         # Ids sort as logged: those of the days asked for lie between the first day's stamp and the next day's.
         .where(con.c.contact_id.startswith(schema.LOGGED_CONTACT_PREFIX),
                con.c.contact_id >= _stamp(since), con.c.contact_id < _stamp(until + timedelta(days=1)))
         .order_by(con.c.contact_id))
    with engine.connect() as conn:
        out = pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))
    out["logged_on"] = pd.to_datetime(out["logged_on"], format="%Y%m%d").dt.date
    out["promised_amount"] = pd.to_numeric(out["promised_amount"]).astype(float)
    return out


def dispute_decisions(engine: Engine, *, since: date, until: date) -> pd.DataFrame:
    """The disputes raised, resolved or marked in arboard on the days ``since`` to ``until`` (UTC, both
    included), in the order they were entered.

    Returns
    -------
    pandas.DataFrame
        :data:`DECISION_COLUMNS`: ``status`` is "disputed" or "resolved" from ``decided_on``;
        ``entered_on`` is the day it was entered. Decisions removed as logged by mistake are left out.
    """
    start, end = _check(since, until)
    q = (sa.select(dd.c.decision_id, dd.c.created_at, dd.c.decided_on, dd.c.customer_id, cust.c.name,
                   dd.c.invoice_id, dd.c.disputed, dd.c.reason, dd.c.note, dd.c.decided_by)
         .select_from(dd.outerjoin(cust, cust.c.customer_id == dd.c.customer_id))
         .where(dd.c.created_at >= start, dd.c.created_at < end,
                dd.c.ended_why.is_distinct_from("removed"))
         .order_by(dd.c.created_at, dd.c.invoice_id))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))
    rows["entered_on"] = pd.to_datetime(rows["created_at"]).dt.date
    rows["status"] = rows["disputed"].map({True: "disputed", False: "resolved"})
    return rows[DECISION_COLUMNS]


def holds(engine: Engine, *, since: date, until: date) -> pd.DataFrame:
    """The holds on reminders put or lifted in arboard on the days ``since`` to ``until`` (UTC, both
    included), in the order they were put.

    Returns
    -------
    pandas.DataFrame
        :data:`HOLD_COLUMNS`: ``entered_on`` is the day the hold was put, ``until`` its last day without
        reminders (empty: until lifted), ``lifted_on`` the day it was lifted (empty: not lifted); an
        ``invoice_id`` holds that invoice only, an empty one every invoice of the debtor.
    """
    start, end = _check(since, until)
    h = schema.outreach_holds
    q = (sa.select(h.c.hold_id, h.c.created_at, h.c.customer_id, cust.c.name, h.c.invoice_id, h.c.until, h.c.reason,
                   h.c.lifted_at)
         .select_from(h.outerjoin(cust, cust.c.customer_id == h.c.customer_id))
         .where(sa.or_(sa.and_(h.c.created_at >= start, h.c.created_at < end),
                       sa.and_(h.c.lifted_at >= start, h.c.lifted_at < end)))
         .order_by(h.c.created_at, h.c.hold_id))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))
    rows["entered_on"] = pd.to_datetime(rows["created_at"]).dt.date
    rows["lifted_on"] = pd.to_datetime(rows["lifted_at"]).dt.date.astype(object).where(rows["lifted_at"].notna(), None)
    return rows[HOLD_COLUMNS]


def interest_claims(engine: Engine, *, since: date, until: date) -> pd.DataFrame:
    """The interest claims recorded as sent in arboard on the days ``since`` to ``until`` (UTC, both
    included): one per recording, debtor and currency, what the ERP books as a receivable.

    Returns
    -------
    pandas.DataFrame
        :data:`CLAIM_COLUMNS`, in the order recorded: ``recording`` the id the claims were recorded
        under, ``entered_on`` the day, ``claimed_on`` the day they went out, ``payments`` the late
        payments claimed for, paid from ``paid_from`` to ``paid_to``; ``claim`` is interest plus
        compensation. A recording withdrawn is no longer listed.
    """
    start, end = _check(since, until)
    ic = schema.interest_claimed
    q = (sa.select(ic.c.batch_id, sa.func.min(ic.c.created_at), sa.func.min(ic.c.claimed_on), ic.c.customer_id,
                   sa.func.min(cust.c.name), ic.c.currency, sa.func.count(), sa.func.sum(ic.c.interest),
                   sa.func.sum(ic.c.compensation), sa.func.sum(ic.c.interest + ic.c.compensation),
                   sa.func.min(ic.c.since), sa.func.min(ic.c.until), sa.func.min(ic.c.claimed_by))
         .select_from(ic.outerjoin(cust, cust.c.customer_id == ic.c.customer_id))
         .where(ic.c.created_at >= start, ic.c.created_at < end)
         .group_by(ic.c.batch_id, ic.c.customer_id, ic.c.currency)
         .order_by(sa.func.min(ic.c.created_at), ic.c.batch_id, ic.c.customer_id, ic.c.currency))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(q).all(), columns=CLAIM_COLUMNS)
    rows["entered_on"] = pd.to_datetime(rows["entered_on"]).dt.date
    return rows.astype({"interest": float, "compensation": float, "claim": float})


def cash_decided(engine: Engine, *, since: date, until: date) -> pd.DataFrame:
    """What payments on account pay, confirmed or rejected in arboard on the days ``since`` to ``until`` (UTC,
    both included), in the order entered: the ERP applies the confirmed ones to the items listed.

    Returns
    -------
    pandas.DataFrame
        :data:`CASH_COLUMNS`: the payment (its debtor, day, amount and currency), ``decision`` "confirmed" or
        "rejected", ``items`` the items it pays (or does not), ``match`` the rule that proposed them. A
        decision taken back is no longer listed; one decided again is listed as decided last.
    """
    start, end = _check(since, until)
    cd, pay = schema.cash_decisions, schema.payments
    q = (sa.select(cd.c.payment_id, cd.c.created_at, cd.c.decided_on, pay.c.customer_id, cust.c.name,
                   pay.c.payment_date, pay.c.amount, pay.c.currency, cd.c.decision, cd.c["items"], cd.c.match,
                   cd.c.decided_by, cd.c.note)
         .select_from(cd.outerjoin(pay, pay.c.payment_id == cd.c.payment_id)
                      .outerjoin(cust, cust.c.customer_id == pay.c.customer_id))
         .where(cd.c.created_at >= start, cd.c.created_at < end)
         .order_by(cd.c.created_at, cd.c.payment_id))
    with engine.connect() as conn:
        rows = pd.DataFrame(conn.execute(q).all(), columns=list(q.selected_columns.keys()))
    rows["entered_on"] = pd.to_datetime(rows["created_at"]).dt.date
    return rows[CASH_COLUMNS].astype({"amount": float})


def to_xlsx(contacts: pd.DataFrame, decisions: pd.DataFrame, held: pd.DataFrame, claims: pd.DataFrame,
            cash: pd.DataFrame) -> bytes:
    """The five lists as one workbook, a sheet each (:data:`SHEETS`), amounts as money."""
    return exports.to_xlsx_sheets({SHEETS["contacts"]: contacts, SHEETS["decisions"]: decisions,
                                   SHEETS["holds"]: held, SHEETS["claims"]: claims, SHEETS["cash"]: cash},
                                  money_columns=MONEY)
