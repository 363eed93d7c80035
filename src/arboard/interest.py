"""Late-payment interest and the fixed compensation for recovery costs.

Many laws let a creditor claim interest on an overdue invoice from its due date, and a business
debtor a fixed sum per late invoice (the EU's late-payment directive 2011/7/EU: a reference rate
plus 8 points a year, and EUR 40 per invoice). The terms are the company's, saved in the database
(``arboard_meta``) like the sender; nothing is claimed until a rate or a compensation is set, and a
message claims them only at a playbook step that says so (:attr:`arboard.outreach.Step.interest`).

How a claim is worked out, on purpose on the safe side (a claim that overstates would be contested):

- simple interest on what is still open on the invoice, ``open × rate × days / 365``, for the days
  past the due date beyond ``grace_days``. Interest on amounts that were paid late, before the claim,
  is not claimed (it would need every payment's day: each one lowered the balance interest runs on).
- consumers (``customer_type`` B2C) at ``consumer_rate``; every other debtor, including one whose
  type is not known, at ``rate``. The compensation is for business debtors only, once per overdue
  invoice, in the invoice's currency.
- disputed invoices and credit notes accrue nothing.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields
from datetime import date

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import events, schema
from arboard.db import fetch_frame, get_meta_json, set_meta
from arboard.errors import ArboardError
from arboard.openitems import days_past, open_items

KEY = "interest_terms"
MAX_RATE = 50.0  # percent a year: a typo guard (usury caps are far lower)
MAX_COMPENSATION = 1_000.0
MAX_GRACE = 365
DAYS_IN_YEAR = 365
MONEY_COLUMNS = ("overdue", "interest", "compensation", "claim")


@dataclass(frozen=True)
class InterestTerms:
    """What a late payer owes on top of the invoice.

    ``rate`` and ``consumer_rate`` are percent a year (e.g. 12.15 for a reference rate of 4.15 plus
    8 points); ``compensation`` is per overdue invoice of a business debtor; interest runs from
    ``grace_days`` after the due date.
    """

    rate: float = 0.0
    consumer_rate: float = 0.0
    compensation: float = 0.0
    grace_days: int = 0

    def __post_init__(self) -> None:
        for name, value in (("rate", self.rate), ("consumer_rate", self.consumer_rate)):
            if not (isinstance(value, (int, float)) and 0 <= value <= MAX_RATE):
                what = "consumers' interest rate" if name == "consumer_rate" else "interest rate"
                raise ArboardError(f"The {what} must be between 0 and {MAX_RATE:.0f} percent a year, not {value}.",
                                   where=name)
        if not (isinstance(self.compensation, (int, float)) and 0 <= self.compensation <= MAX_COMPENSATION):
            raise ArboardError(f"The compensation must be between 0 and {MAX_COMPENSATION:,.0f} per invoice, "
                               f"not {self.compensation}.", where="compensation")
        if not (isinstance(self.grace_days, int) and 0 <= self.grace_days <= MAX_GRACE):
            raise ArboardError(f"The days of grace must be between 0 and {MAX_GRACE}, not {self.grace_days}.",
                               where="grace_days")

    @property
    def is_set(self) -> bool:
        """Whether anything is claimed at all."""
        return bool(self.rate or self.consumer_rate or self.compensation)

    def describe(self) -> str:
        """The terms in a sentence, e.g. for a caption."""
        if not self.is_set:
            return "No late-payment interest or compensation is claimed."
        parts = []
        if self.rate or self.consumer_rate:
            parts.append(f"interest at {self.rate:g}% a year (consumers {self.consumer_rate:g}%)"
                         if self.rate != self.consumer_rate else f"interest at {self.rate:g}% a year")
        if self.compensation:
            parts.append(f"{self.compensation:,.2f} per overdue invoice of a business debtor")
        grace = f", from {self.grace_days} days after the due date" if self.grace_days else " from the due date"
        return "Claimed: " + " and ".join(parts) + grace + "."


def load(engine: Engine) -> InterestTerms:
    """The saved terms, or none (nothing claimed)."""
    data = get_meta_json(engine, KEY)
    known = {f.name for f in fields(InterestTerms)}
    try:
        return InterestTerms(**{k: v for k, v in data.items() if k in known}) if data else InterestTerms()
    except (TypeError, AttributeError, ArboardError):  # edited by hand: claim nothing rather than fail every page
        return InterestTerms()


def save(engine: Engine, terms: InterestTerms) -> InterestTerms:
    """Save the terms (checked when they were made); returns them."""
    with engine.begin() as conn:
        set_meta(conn, KEY, json.dumps(asdict(terms)))
    return terms


def charges(statements: pd.Series, days: pd.Series, consumer: pd.Series, terms: InterestTerms, *,
            disputed: frozenset = frozenset()) -> tuple[np.ndarray, np.ndarray]:
    """Interest and compensation per message: on each invoice a message lists, as of the day it goes out.

    Parameters
    ----------
    statements
        Per message, the items it lists as ``(number, due date, open amount)``; credits (negative
        amounts) and items not yet overdue accrue nothing.
    days
        The day each message goes out.
    consumer
        Whether the debtor is a consumer (B2C).
    disputed
        Invoice numbers that are disputed (listed when the plan reminds disputed invoices): they
        accrue nothing.

    Returns
    -------
    tuple of numpy.ndarray
        Interest and compensation per message, rounded to cents.
    """
    n = len(statements)
    interest, compensation = np.zeros(n), np.zeros(n)
    if not terms.is_set or n == 0:
        return interest, compensation
    day_values = pd.to_datetime(days).dt.date.to_numpy()
    for i, (items, day, is_consumer) in enumerate(zip(statements.to_numpy(), day_values, consumer.to_numpy(),
                                                    strict=True)):
        rate = terms.consumer_rate if is_consumer else terms.rate
        late = [(amount, (day - due).days - terms.grace_days) for number, due, amount in items
                if amount > 0 and number not in disputed]
        late = [(amount, d) for amount, d in late if d > 0]
        interest[i] = round(sum(amount * d for amount, d in late) * rate / 100 / DAYS_IN_YEAR, 2)
        compensation[i] = 0.0 if is_consumer else terms.compensation * len(late)
    return interest, compensation


def _claims(as_of: date, terms: InterestTerms, *, customer_id: str | None = None) -> sa.Subquery:
    """Per overdue invoice (not disputed) as of ``as_of``: days late beyond the grace, interest, compensation."""
    items = open_items(as_of, customer_id=customer_id)
    cust = schema.customers
    consumer = sa.func.coalesce(cust.c.customer_type, "") == "B2C"
    days = days_past(items.c.as_of, items.c.due_date) - terms.grace_days
    rate = sa.case((consumer, terms.consumer_rate), else_=terms.rate)
    interest = items.c.open_amount * days * rate / (100.0 * DAYS_IN_YEAR)
    q = (sa.select(items.c.invoice_id, items.c.customer_id, sa.func.coalesce(cust.c.name, items.c.customer_id)
                   .label("name"), items.c.currency, items.c.due_date, items.c.open_amount, days.label("days"),
                   interest.label("interest"),
                   sa.case((consumer, 0.0), else_=terms.compensation).label("compensation"))
         .select_from(items.outerjoin(cust, cust.c.customer_id == items.c.customer_id))
         .where(items.c.amount > 0, items.c.open_amount > 0.004, days > 0,
                sa.func.coalesce(items.c.disputed, False).is_(False)))
    return q.subquery("claims")


def by_invoice(engine: Engine, as_of: date, *, terms: InterestTerms, customer_id: str | None = None) -> pd.DataFrame:
    """What each overdue invoice (of one debtor) would claim as of ``as_of``, oldest due first.

    Returns ``invoice_id, customer_id, name, currency, due_date, open_amount, days`` (past the due
    date beyond the grace), ``interest, compensation``; empty while the terms claim nothing.
    """
    columns = ["invoice_id", "customer_id", "name", "currency", "due_date", "open_amount", "days", "interest",
               "compensation"]
    if not terms.is_set:
        return pd.DataFrame(columns=columns)
    events.ensure_current(engine)
    c = _claims(as_of, terms, customer_id=customer_id).c
    q = sa.select(*(c[name] for name in columns)).order_by(c.due_date, c.invoice_id)
    with engine.connect() as conn:
        df = fetch_frame(conn, q, columns)
    df["interest"] = df["interest"].astype(float).round(2)
    df["due_date"] = pd.to_datetime(df["due_date"])
    return df


def by_debtor(engine: Engine, as_of: date, *, terms: InterestTerms, customer_id: str | None = None,
              limit: int | None = None) -> pd.DataFrame:
    """What each debtor's (one debtor's) overdue invoices would claim as of ``as_of``, summed in the
    database per debtor and currency, largest claim first.

    Returns ``customer_id, name, currency, invoices, overdue, interest, compensation, claim``
    (interest plus compensation); empty while the terms claim nothing.
    """
    columns = ["customer_id", "name", "currency", "invoices", "overdue", "interest", "compensation", "claim"]
    if not terms.is_set:
        return pd.DataFrame(columns=columns)
    events.ensure_current(engine)
    c = _claims(as_of, terms, customer_id=customer_id).c
    interest = sa.func.round(sa.cast(sa.func.sum(c.interest), sa.Numeric(18, 4)), 2)
    claim = interest + sa.func.sum(c.compensation)
    q = (sa.select(c.customer_id, sa.func.min(c.name), c.currency, sa.func.count(), sa.func.sum(c.open_amount),
                   interest, sa.func.sum(c.compensation), claim)
         .group_by(c.customer_id, c.currency)
         .order_by(claim.desc(), c.customer_id, c.currency))
    if limit is not None:
        q = q.limit(limit)
    with engine.connect() as conn:
        df = fetch_frame(conn, q, columns)
    return df.astype({"interest": float, "compensation": float, "claim": float, "overdue": float})



def totals(claims: pd.DataFrame) -> pd.DataFrame:
    """The claims per debtor (:func:`by_debtor`) summed per currency: ``currency, debtors, invoices,
    interest, compensation``, largest interest first. The figures add up to the list's."""
    columns = ["currency", "debtors", "invoices", "interest", "compensation"]
    if claims.empty:
        return pd.DataFrame(columns=columns)
    out = (claims.groupby("currency").agg(debtors=("customer_id", "nunique"), invoices=("invoices", "sum"),
                                          interest=("interest", "sum"), compensation=("compensation", "sum"))
           .reset_index())
    out["interest"] = out["interest"].round(2)
    return out.sort_values(["interest", "currency"], ascending=[False, True]).reset_index(drop=True)[columns]
