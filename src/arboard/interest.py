"""Late-payment interest and the fixed compensation for recovery costs.

Many laws let a creditor claim interest on an overdue invoice from its due date, and a business
debtor a fixed sum per late invoice (the EU's late-payment directive 2011/7/EU: a reference rate
plus 8 points a year, and EUR 40 per invoice). The terms are the company's, saved in the database
(``arboard_meta``) like the sender; nothing is claimed until a rate or a compensation is set, and a
message claims them only at a playbook step that says so (:attr:`arboard.outreach.Step.interest`).

How a claim is worked out, on purpose on the safe side (a claim that overstates would be contested):

- simple interest on what is still open on the invoice, ``open × rate × days / 365``, for the days
  past the due date beyond ``grace_days`` (:func:`by_invoice`, :func:`by_debtor`: what a reminder claims).
- what was paid late earns its interest once paid, in a claim of its own for a period, e.g. last
  month (:func:`paid_late`, :func:`paid_late_by_debtor`: the "interest invoice" sent to a debtor
  who pays, but late). Each payment applied to an invoice, and what its settlement cleared, counts
  for the days it came after the due date beyond the grace; never more than the invoice's amount in
  all (an overpayment earns nothing). The compensation goes with the settlement of a business debtor's
  invoice, when it came late. Once a claim is recorded as sent (:mod:`arboard.interestclaims`), its
  lines are left out of every later claim: nothing is claimed twice.
- consumers (``customer_type`` B2C) at ``consumer_rate``; every other debtor, including one whose
  type is not known, at ``rate``. Statutory rates follow a reference rate that changes (in the EU every
  half-year, on 1 January and 1 July): the terms' :class:`RateChange` list says from which day which
  rate applies, and each late day earns at the rate in force on it. The compensation is for business
  debtors only, once per overdue invoice, in the invoice's currency.
- disputed invoices and credit notes accrue nothing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import events, fx, schema
from arboard.dates import check_period
from arboard.db import fetch_frame, get_meta_json, set_meta
from arboard.errors import ArboardError
from arboard.kpis import add_months, month_end
from arboard.openitems import days_past, open_items
from arboard.words import listed

KEY = "interest_terms"
MAX_RATE = 50.0  # percent a year: a typo guard (usury caps are far lower)
MAX_COMPENSATION = 1_000.0
MAX_GRACE = 365
DAYS_IN_YEAR = 365
MONEY_COLUMNS = ("overdue", "interest", "compensation", "claim")
MAX_CHANGES = 100  # fifty years of half-yearly reference rates
EARLIEST_CHANGE = date(1990, 1, 1)
SHOWN_CHANGES = 3  # the latest rates a description names


@dataclass(frozen=True)
class RateChange:
    """From ``valid_from`` on, interest runs at ``rate`` a year (``consumer_rate`` for consumers), in percent."""

    valid_from: date
    rate: float
    consumer_rate: float


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
    changes: tuple[RateChange, ...] = ()  # later rates, each from its day on; ``rate`` applies before the first

    def __post_init__(self) -> None:
        for name, value in (("rate", self.rate), ("consumer_rate", self.consumer_rate)):
            _check_rate(value, name)
        if not (isinstance(self.changes, (tuple, list)) and all(isinstance(c, RateChange) for c in self.changes)):
            raise ArboardError("The rate changes must be a list of RateChange.", where="rate changes")
        if not all(isinstance(c.valid_from, date) for c in self.changes):
            raise ArboardError("A rate change's day must be a date.", where="rate changes")
        changes = tuple(sorted(self.changes, key=lambda c: c.valid_from))
        if len(changes) > MAX_CHANGES:
            raise ArboardError(f"At most {MAX_CHANGES} rate changes, not {len(changes)}.", where="rate changes")
        for i, change in enumerate(changes):
            day = change.valid_from
            if not EARLIEST_CHANGE <= day <= date(2100, 12, 31):
                raise ArboardError(f"A rate change's day must be a date from {EARLIEST_CHANGE.year} to 2100, "
                                   f"not {day}.", where="rate changes")
            if i and changes[i - 1].valid_from == day:
                raise ArboardError(f"Two rate changes from {_day_text(day)}: keep one.", where="rate changes")
            for name in ("rate", "consumer_rate"):
                _check_rate(getattr(change, name), name, since=day)
        object.__setattr__(self, "changes", changes)  # in date order, whatever order they came in
        if not (isinstance(self.compensation, (int, float)) and 0 <= self.compensation <= MAX_COMPENSATION):
            raise ArboardError(f"The compensation must be between 0 and {MAX_COMPENSATION:,.0f} per invoice, "
                               f"not {self.compensation}.", where="compensation")
        if not (isinstance(self.grace_days, int) and 0 <= self.grace_days <= MAX_GRACE):
            raise ArboardError(f"The days of grace must be between 0 and {MAX_GRACE}, not {self.grace_days}.",
                               where="grace_days")

    @property
    def is_set(self) -> bool:
        """Whether anything is claimed at all."""
        return bool(self.rate or self.consumer_rate or self.compensation
                    or any(c.rate or c.consumer_rate for c in self.changes))

    def periods(self, *, consumer: bool) -> list[tuple[date | None, float]]:
        """The rates a business (or a consumer) pays, as ``(from, rate)`` in date order; the first is from
        ``None``: before any change."""
        out: list[tuple[date | None, float]] = [(None, self.consumer_rate if consumer else self.rate)]
        for change in self.changes:
            rate = change.consumer_rate if consumer else change.rate
            if rate != out[-1][1]:  # a change of the other kind of debtor's rate only is none of theirs
                out.append((change.valid_from, rate))
        return out

    def spans(self, *, consumer: bool) -> list[tuple[date | None, date | None, float]]:
        """:meth:`periods` with their last days, ``(from, to, rate)``; ``None``: open-ended."""
        periods = self.periods(consumer=consumer)
        return [(since, nxt - timedelta(days=1) if nxt else None, rate)
                for (since, rate), (nxt, _) in zip(periods, [*periods[1:], (None, 0.0)], strict=True)]

    def steps(self, *, consumer: bool) -> list[tuple[date, float]]:
        """Each change as ``(from, points up or down)``: a late day's rate is the first rate plus the
        steps taken by that day."""
        periods = self.periods(consumer=consumer)
        return [(since, round(rate - before, 6)) for (_, before), (since, rate) in zip(periods, periods[1:],
                                                                                         strict=False)]

    def rate_on(self, day: date, *, consumer: bool) -> float:
        """The rate a year in force on ``day``."""
        return [rate for since, rate in self.periods(consumer=consumer) if since is None or since <= day][-1]

    def rate_days(self, days: int, until: date, *, consumer: bool) -> float:
        """The sum of the rates in force on each of the ``days`` days up to ``until`` (included): the
        interest on 1 for those days is this over 36,500. ``days`` times the rate while it did not change."""
        if days <= 0:
            return 0.0
        # Each change adds its step on the late days from its first day on.
        return days * self.periods(consumer=consumer)[0][1] + sum(
            step * max(0, min(days, (until - since).days + 1)) for since, step in self.steps(consumer=consumer))

    def changed_within(self, after: date, until: date, *, consumer: bool) -> bool:
        """Whether the rate changed on a day after ``after`` up to ``until``: a line over those days is at
        more than one rate (its rate is their average)."""
        return any(since is not None and after < since <= until for since, _ in self.periods(consumer=consumer))

    def describe(self) -> str:
        """The terms in a sentence, e.g. for a caption."""
        if not self.is_set:
            return "No late-payment interest or compensation is claimed."
        parts = []
        if self.rate or self.consumer_rate or self.changes:
            def rates(r: InterestTerms | RateChange, year: str = "") -> str:
                consumers = f" (consumers {r.consumer_rate:g}%)" if r.rate != r.consumer_rate else ""
                return f"{r.rate:g}%{year}{consumers}"
            shown = self.changes[-SHOWN_CHANGES:]
            said = [(rates(self, " a year"), "")] if len(shown) == len(self.changes) else []
            said += [(rates(c, "" if said or i else " a year"), f" from {_day_text(c.valid_from)}")
                     for i, c in enumerate(shown)]
            texts = [rate + since for rate, since in said]
            text = "interest at " + listed(texts)
            if len(shown) < len(self.changes):
                text += f" ({len(self.changes) + 1} rates in all)"
            parts.append(text)
        if self.compensation:
            parts.append(f"{self.compensation:,.2f} per overdue invoice of a business debtor")
        joined = ("; and " if self.changes else " and ").join(parts)
        grace = f", from {self.grace_days} days after the due date" if self.grace_days else " from the due date"
        if self.changes:  # after a list of rates, "from" alone would read as one more
            grace = ", counted" + grace.removeprefix(",")
        return "Claimed: " + joined + grace + "."


def _day_text(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def _check_rate(value: object, name: str, *, since: date | None = None) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= MAX_RATE):
        what = "consumers' interest rate" if name == "consumer_rate" else "interest rate"
        when = f" from {_day_text(since)}" if since else ""
        raise ArboardError(f"The {what}{when} must be between 0 and {MAX_RATE:.0f} percent a year, not {value}.",
                           where=name)


def load(engine: Engine) -> InterestTerms:
    """The saved terms, or none (nothing claimed)."""
    data = get_meta_json(engine, KEY)
    known = {f.name for f in fields(InterestTerms)}
    try:
        if not data:
            return InterestTerms()
        given = {k: v for k, v in data.items() if k in known}
        given["changes"] = tuple(RateChange(date.fromisoformat(day), rate, consumer)
                                 for day, rate, consumer in given.get("changes", ()))
        return InterestTerms(**given)
    except (TypeError, AttributeError, ValueError, ArboardError):  # edited by hand: claim nothing, fail no page
        return InterestTerms()


def save(engine: Engine, terms: InterestTerms) -> InterestTerms:
    """Save the terms (checked when they were made); returns them."""
    data = asdict(terms) | {"changes": [[c.valid_from.isoformat(), c.rate, c.consumer_rate] for c in terms.changes]}
    with engine.begin() as conn:
        set_meta(conn, KEY, json.dumps(data))
    return terms


def changes_text(changes: Sequence[RateChange]) -> str:
    """The rate changes one per line, ``2026-07-01 10.15 6.15``, as :func:`parse_changes` reads them."""
    return "\n".join(f"{c.valid_from.isoformat()} {c.rate:g} {c.consumer_rate:g}" for c in changes)


def parse_changes(text: str, *, rate: float, consumer_rate: float,
                  keep: Sequence[RateChange] = ()) -> tuple[RateChange, ...]:
    """Rate changes typed or pasted one per line: the day from which it applies (``2026-07-01`` or
    ``1.7.2026``), the rate a year and the consumers' rate, apart by spaces, tabs or semicolons (a percent
    sign and a decimal comma are fine), in any order. Without a consumers' rate, it moves by as many
    points as the business rate did on that day: the reference rate changed, the margins did not.
    ``rate`` and ``consumer_rate`` are the rates before the first change; ``keep``, changes that stay
    besides the lines (one on the same day as a line gives way to it).

    Returns
    -------
    tuple of RateChange
        All of them, in date order.

    Raises
    ------
    ArboardError
        Naming the line and what is wrong with it.
    """
    read: list[tuple[date, float, float | None]] = []
    lines = [(n, line.strip()) for n, line in enumerate(str(text).splitlines(), 1) if line.strip()]
    for n, line in lines:
        cells = [c for c in line.replace("\t", " ").replace(";", " ").split() if c.strip("%")]
        if len(cells) == 1 and "," in line:  # "2026-07-01,10.15,6.15": commas between, points within
            cells = [c.strip() for c in line.split(",") if c.strip()]
        if len(cells) not in (2, 3):
            raise ArboardError(f"Rate changes, line {n}: \"{line[:60]}\" should be a day and one or two rates, "
                               "e.g. 2026-07-01 10.15 6.15.")
        day = _day(cells[0])
        if day is None:
            raise ArboardError(f"Rate changes, line {n}: \"{cells[0][:30]}\" is not a date; write it as "
                               "2026-07-01 or 1.7.2026.")
        rates = [_percent(c) for c in cells[1:]]
        if None in rates:
            bad = next(c for c, r in zip(cells[1:], rates, strict=True) if r is None)
            raise ArboardError(f"Rate changes, line {n}: \"{bad[:30]}\" is not a rate in percent.")
        read.append((day, rates[0], rates[1] if len(rates) == 2 else None))
    typed = {day for day, _, _ in read}
    changes = [c for c in keep if c.valid_from not in typed]
    # In date order, so that a missing consumers' rate follows the rates in force the day before.
    for day, new, consumer in sorted(read, key=lambda r: r[0]):
        if consumer is None:
            before = [c for c in changes if c.valid_from < day]
            last = max(before, key=lambda c: c.valid_from) if before else None
            business, consumers = (last.rate, last.consumer_rate) if last else (rate, consumer_rate)
            consumer = max(round(consumers + new - business, 4), 0.0)
        changes.append(RateChange(day, new, consumer))
    try:
        return InterestTerms(rate=rate, consumer_rate=consumer_rate, changes=tuple(changes)).changes
    except ArboardError as exc:
        raise ArboardError(f"Rate changes: {exc.message}") from None


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        pass
    parts = text.split(".")
    if len(parts) == 3 and all(p.isdigit() for p in parts) and len(parts[2]) == 4:
        try:
            return date(int(parts[2]), int(parts[1]), int(parts[0]))
        except ValueError:
            return None
    return None


def _percent(text: str) -> float | None:
    try:
        value = float(text.rstrip("%").strip().replace(",", "."))
    except ValueError:
        return None
    return value if np.isfinite(value) else None


def _rate_days(terms: InterestTerms, consumer: sa.ColumnElement, days: sa.ColumnElement,
               until: sa.ColumnElement) -> sa.ColumnElement:
    """In SQL, :meth:`InterestTerms.rate_days`: the rates in force summed over the ``days`` late days up
    to ``until``; the first rate times the days, plus each change's step on the days from it on."""
    def summed(of_consumers: bool) -> sa.ColumnElement:
        out = days * terms.periods(consumer=of_consumers)[0][1]
        for since, step in terms.steps(consumer=of_consumers):
            from_it = sa.func.least(days, days_past(until, sa.literal(since, sa.Date)) + 1)
            out = out + sa.func.greatest(from_it, 0) * step
        return out
    return sa.case((consumer, summed(True)), else_=summed(False))


def _rate(terms: InterestTerms, consumer: sa.ColumnElement, days: sa.ColumnElement,
          until: sa.ColumnElement) -> sa.ColumnElement:
    """The rate a year a line is at: the average over its days when the rate changed within them."""
    if not terms.changes:
        return sa.case((consumer, terms.consumer_rate), else_=terms.rate)
    average = _rate_days(terms, consumer, days, until) / sa.func.nullif(days, 0)
    return sa.func.round(sa.cast(average, sa.Numeric(12, 6)), 4)


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
        late = [(amount, (day - due).days - terms.grace_days) for number, due, amount in items
                if amount > 0 and number not in disputed]
        late = [(amount, d) for amount, d in late if d > 0]
        interest[i] = round(sum(amount * terms.rate_days(d, day, consumer=bool(is_consumer)) for amount, d in late)
                            / 100 / DAYS_IN_YEAR, 2)
        compensation[i] = 0.0 if is_consumer else terms.compensation * len(late)
    return interest, compensation


def earlier_rates(statements: pd.Series, days: pd.Series, consumer: pd.Series, terms: InterestTerms, *,
                  disputed: frozenset = frozenset()) -> list[tuple[tuple[float, date], ...]]:
    """Per message (as :func:`charges` takes them), the rates before the one in force on its day that
    its interest ran at too, as ``(rate, last day)`` in date order: what a message says besides its
    rate ("10.15% (12.15% until 30 Jun 2026)"). Empty while the rate did not change in the late days."""
    out: list[tuple[tuple[float, date], ...]] = [()] * len(statements)
    if not terms.changes:
        return out
    day_values = pd.to_datetime(days).dt.date.to_numpy()
    grace = timedelta(days=terms.grace_days)
    for i, (items, day, is_consumer) in enumerate(zip(statements.to_numpy(), day_values, consumer.to_numpy(),
                                                    strict=True)):
        starts = [due + grace for number, due, amount in items
                  if amount > 0 and number not in disputed and due + grace < day]
        if not starts:
            continue
        first = min(starts)  # the day before the first late day
        # The rates that ended before the message's day and after the first late day began.
        out[i] = tuple((rate, last) for _, last, rate in terms.spans(consumer=bool(is_consumer))
                       if last is not None and first < last < day)
    return out


def rates_on(days: pd.Series, consumer: pd.Series, terms: InterestTerms) -> np.ndarray:
    """The rate a year in force on each day, for a consumer or a business: what a message going out that
    day names (its interest may have run at earlier rates too, :meth:`InterestTerms.rate_days`)."""
    when = pd.to_datetime(days).to_numpy()
    is_consumer = consumer.to_numpy(dtype=bool)
    out = np.where(is_consumer, terms.consumer_rate, terms.rate).astype(float)
    for change in terms.changes:
        out = np.where(when >= np.datetime64(change.valid_from),
                       np.where(is_consumer, change.consumer_rate, change.rate), out)
    return out


def _claims(as_of: date, terms: InterestTerms, *, customer_id: str | None = None) -> sa.Subquery:
    """Per overdue invoice (not disputed) as of ``as_of``: days late beyond the grace, interest, compensation."""
    items = open_items(as_of, customer_id=customer_id)
    cust = schema.customers
    consumer = sa.func.coalesce(cust.c.customer_type, "") == "B2C"
    days = days_past(items.c.as_of, items.c.due_date) - terms.grace_days
    interest = items.c.open_amount * _rate_days(terms, consumer, days, items.c.as_of) / (100.0 * DAYS_IN_YEAR)
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
              limit: int | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """What each debtor's (one debtor's) overdue invoices would claim as of ``as_of``, summed in the
    database per debtor and currency, largest claim first (in the reporting currency of ``rates`` when
    given and set, else at face value).

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
         .order_by(_ranked(claim, c.currency, rates).desc(), c.customer_id, c.currency))
    df = _fetch(engine, q, columns, limit=limit)
    return df.astype({"interest": float, "compensation": float, "claim": float, "overdue": float})


def _fetch(engine: Engine, q: sa.Select, columns: list[str], *, limit: int | None) -> pd.DataFrame:
    """The rows of a per-debtor query, the first ``limit`` of them when given."""
    with engine.connect() as conn:
        return fetch_frame(conn, q if limit is None else q.limit(limit), columns)


def _ranked(claim: sa.ColumnElement, currency: sa.ColumnElement, rates: fx.Rates | None) -> sa.ColumnElement:
    """What a claim ranks by: its amount in the reporting currency when rates are set (a claim in kronor
    is not ten times one in euros), else at face value."""
    return claim if rates is None else rates.to_reporting(claim, currency)


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


PAID_LATE_LINES = ["customer_id", "name", "currency", "invoice_id", "due_date", "paid_on", "paid", "days", "rate",
                   "interest", "compensation"]
PAID_LATE_DEBTORS = ["customer_id", "name", "currency", "invoices", "paid_late", "interest", "compensation", "claim"]
ALL_MONEY_COLUMNS = (*MONEY_COLUMNS, "open_amount", "paid", "paid_late")  # any list here, in an Excel file


def last_month(as_of: date) -> tuple[date, date]:
    """The last whole month up to ``as_of``, as (first day, last day): the period an interest invoice
    is usually made for. ``as_of``'s own month when it is the month's last day, else the month before."""
    end = as_of if as_of == month_end(as_of) else as_of.replace(day=1) - timedelta(days=1)
    return end.replace(day=1), end


def year_to(as_of: date) -> tuple[date, date]:
    """The twelve months ending on ``as_of``, as (first day, ``as_of``)."""
    return add_months(as_of, -12) + timedelta(days=1), as_of


def paid_late_query(since: date, until: date, terms: InterestTerms, *, customer_id: str | None = None,
                    include_claimed: bool = False) -> sa.Subquery:
    """Per payment that lowered an undisputed invoice between ``since`` and ``until`` (both included)
    after its due date plus the grace: the part that counts, its days late and what it earns; without
    ``include_claimed``, only the lines no claim recorded as sent asked for (:mod:`arboard.interestclaims`).

    The payments are the ones the ledger's open amounts are made of (:mod:`arboard.events`): those
    applied before the invoice's settlement date, then the rest at settlement (all of it when no
    payments are loaded). Each counts up to what the invoice had left, in date order, so the parts add
    up to at most the invoice's amount; a negative one (a refund) counts as nothing.

    Columns: :data:`PAID_LATE_LINES`, then ``kind`` (0 a payment, 1 the settlement) and ``ref`` (the
    payment's id, '' for the settlement): a line's key with ``invoice_id``; ``claimed``, whether a claim
    recorded as sent asked for it (false throughout without ``include_claimed``).
    """
    inv, pay, cust = schema.invoices, schema.payments, schema.customers
    far = sa.literal(events.FAR_FUTURE, sa.Date)
    start, end = sa.literal(since, sa.Date), sa.literal(until, sa.Date)
    # The invoices that can owe anything: positive, undisputed, due before the period's end (less the
    # grace), and lowered in the period: settled in it, or paid in part.
    # (Not narrowed by the payment's customer: one debtor's claim is their line of everyone's.)
    paid_in_period = (sa.select(pay.c.invoice_id)
                      .where(pay.c.payment_date.between(start, end), pay.c.invoice_id.is_not(None)))
    late = [inv.c.amount > 0, sa.func.coalesce(inv.c.disputed, False).is_(False),
            days_past(end, inv.c.due_date) > terms.grace_days,
            sa.or_(inv.c.paid_date.between(start, end), inv.c.invoice_id.in_(paid_in_period))]
    if customer_id is not None:
        late.append(inv.c.customer_id == customer_id)
    them = (sa.select(inv.c.invoice_id, inv.c.customer_id, inv.c.currency, inv.c.due_date, inv.c.paid_date,
                      inv.c.amount).where(*late).cte("late_invoices"))
    partial = (sa.select(them.c.invoice_id, pay.c.payment_date.label("day"), pay.c.amount.label("part"),
                         sa.literal(0, sa.Integer).label("kind"), pay.c.payment_id.label("ref"))
               .select_from(them.join(pay, pay.c.invoice_id == them.c.invoice_id))
               .where(pay.c.payment_date < sa.func.coalesce(them.c.paid_date, far)).cte("late_partials"))
    before = (sa.select(partial.c.invoice_id, sa.func.sum(partial.c.part).label("paid"))
              .group_by(partial.c.invoice_id).subquery("paid_before"))
    # kind 1, the settlement, comes after the payments of its day.
    settled = (sa.select(them.c.invoice_id, them.c.paid_date, them.c.amount - sa.func.coalesce(before.c.paid, 0),
                         sa.literal(1, sa.Integer), sa.null())
               .select_from(them.outerjoin(before, before.c.invoice_id == them.c.invoice_id))
               .where(them.c.paid_date.is_not(None)))
    parts = sa.union_all(sa.select(partial.c.invoice_id, partial.c.day, partial.c.part, partial.c.kind,
                                   partial.c.ref),
                         settled).subquery("parts")
    positive = sa.func.greatest(parts.c.part, 0)
    so_far = sa.func.sum(positive).over(partition_by=parts.c.invoice_id,
                                        order_by=[parts.c.day, parts.c.kind, parts.c.ref], rows=(None, 0))
    counted = (sa.select(parts.c.invoice_id, parts.c.day, parts.c.kind, parts.c.ref, positive.label("part"),
                         (so_far - positive).label("before"))
               .subquery("counted"))
    consumer = sa.func.coalesce(cust.c.customer_type, "") == "B2C"
    part = sa.func.greatest(sa.func.least(counted.c.part, them.c.amount - counted.c.before), 0)
    days = days_past(counted.c.day, them.c.due_date) - terms.grace_days
    rate = _rate(terms, consumer, days, counted.c.day)
    earned = sa.func.round(sa.cast(part * _rate_days(terms, consumer, days, counted.c.day) / (100.0 * DAYS_IN_YEAR),
                                   sa.Numeric(20, 6)), 2)
    settles = sa.and_(counted.c.kind == 1, sa.not_(consumer))
    ref = sa.func.coalesce(counted.c.ref, "")
    left = [counted.c.day.between(start, end), days > 0, sa.or_(part > 0.004, settles)]
    ic = schema.interest_claimed
    claimed = sa.exists().where(ic.c.invoice_id == counted.c.invoice_id, ic.c.kind == counted.c.kind,
                                ic.c.ref == ref)
    if not include_claimed:
        # Left out after the running sum: a claimed payment still counts towards the invoice's amount.
        left.append(~claimed)
    q = (sa.select(them.c.customer_id, sa.func.coalesce(cust.c.name, them.c.customer_id).label("name"),
                   them.c.currency, them.c.invoice_id, them.c.due_date, counted.c.day.label("paid_on"),
                   part.label("paid"), days.label("days"), rate.label("rate"), earned.label("interest"),
                   sa.case((settles, terms.compensation), else_=0.0).label("compensation"),
                   counted.c.kind.label("kind"), ref.label("ref"),
                   (claimed if include_claimed else sa.false()).label("claimed"))
         .select_from(counted.join(them, them.c.invoice_id == counted.c.invoice_id)
                      .outerjoin(cust, cust.c.customer_id == them.c.customer_id))
         # A settlement that cleared nothing (payments had covered it) still owes the compensation.
         .where(*left))
    return q.subquery("paid_late")


def paid_late(engine: Engine, *, since: date, until: date, terms: InterestTerms,
              customer_id: str | None = None, include_claimed: bool = False) -> pd.DataFrame:
    """What the payments that came late between ``since`` and ``until`` earn: one line per payment.

    The lines of an interest invoice: invoice, due date, the day a part of it was paid (or the
    invoice settled), that part, its days past the due date beyond the grace, the interest it earns
    (rounded to cents) and, on the line that settles a business debtor's invoice, the compensation.
    Disputed invoices and credit notes earn nothing, as in :func:`by_invoice`.

    Parameters
    ----------
    engine
        The ledger's database.
    since, until
        The period the payments were made in, both days included (e.g. a month).
    terms
        The interest terms (:func:`load`); nothing is claimed while they claim nothing.
    customer_id
        Only this debtor's payments.
    include_claimed
        Also the lines a claim recorded as sent asked for already (:mod:`arboard.interestclaims`);
        without it, what is left to claim.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, name, currency, invoice_id, due_date, paid_on, paid, days, rate`` (percent a
        year), ``interest, compensation``, per debtor and invoice in the order paid.

    Raises
    ------
    ArboardError
        When the period starts after it ends.
    """
    check_period(since, until)
    if not terms.is_set:
        return pd.DataFrame(columns=PAID_LATE_LINES)
    c = paid_late_query(since, until, terms, customer_id=customer_id, include_claimed=include_claimed).c
    q = (sa.select(*(c[name] for name in PAID_LATE_LINES))
         .order_by(c.customer_id, c.currency, c.due_date, c.invoice_id, c.paid_on, c.kind, c.ref))
    with engine.connect() as conn:
        df = fetch_frame(conn, q, PAID_LATE_LINES)
    for column in ("due_date", "paid_on"):
        df[column] = pd.to_datetime(df[column])
    return df.astype({"paid": float, "rate": float, "interest": float, "compensation": float, "days": int})


def paid_late_by_debtor(engine: Engine, *, since: date, until: date, terms: InterestTerms,
                        customer_id: str | None = None, limit: int | None = None,
                        rates: fx.Rates | None = None, include_claimed: bool = False) -> pd.DataFrame:
    """The lines of :func:`paid_late` (what is left to claim; all with ``include_claimed``) summed in the
    database per debtor and currency, largest claim first (in the reporting currency of ``rates`` when
    given and set, else at face value).

    Returns ``customer_id, name, currency, invoices`` (paid late in the period), ``paid_late`` (what
    they paid late), ``interest`` (the sum of the lines' rounded interest: the interest invoice's
    total), ``compensation, claim``; with ``include_claimed`` also ``to_claim``, the part of the claim
    no claim recorded as sent asked for yet.
    """
    check_period(since, until)
    columns = PAID_LATE_DEBTORS + ["to_claim"] * include_claimed
    if not terms.is_set:
        return pd.DataFrame(columns=columns)
    c = paid_late_query(since, until, terms, customer_id=customer_id, include_claimed=include_claimed).c
    claim = sa.func.sum(c.interest) + sa.func.sum(c.compensation)
    to_claim = sa.func.sum(sa.case((c.claimed, 0), else_=c.interest + c.compensation))
    q = (sa.select(c.customer_id, sa.func.min(c.name), c.currency, sa.func.count(sa.distinct(c.invoice_id)),
                   sa.func.sum(c.paid), sa.func.sum(c.interest), sa.func.sum(c.compensation), claim,
                   *[to_claim] * include_claimed)
         .group_by(c.customer_id, c.currency)
         .order_by(_ranked(claim, c.currency, rates).desc(), c.customer_id, c.currency))
    df = _fetch(engine, q, columns, limit=limit)
    money = ["paid_late", "interest", "compensation", "claim", *["to_claim"] * include_claimed]
    df[money] = df[money].astype(float).round(2)  # sums of cents, without the float's dust
    return df


ONE_BY_ONE = 50  # up to this many debtors, a query each; more: the period's lines once


@dataclass(frozen=True)
class Claim:
    """A debtor's claim for the interest their late payments earned in a period (:func:`claims`)."""

    customer: dict  # :data:`arboard.statement.CUSTOMER_FIELDS`, for the address block
    since: date
    until: date
    lines: pd.DataFrame  # :func:`paid_late` of this debtor
    terms: InterestTerms
    consumer: bool = False  # at the consumers' rate, without compensation

    def rates_changed(self) -> pd.Series:
        """Per line, whether the rate changed within its late days (its rate is then their average)."""
        if not self.terms.changes or self.lines.empty:
            return pd.Series(False, index=self.lines.index)
        grace = timedelta(days=self.terms.grace_days)
        return pd.Series([self.terms.changed_within(pd.Timestamp(due).date() + grace, pd.Timestamp(paid).date(),
                                                    consumer=self.consumer)
                          for due, paid in zip(self.lines["due_date"], self.lines["paid_on"], strict=True)],
                         index=self.lines.index)

    def rates_used(self) -> list[tuple[date | None, date | None, float]]:
        """The rates the lines ran at, ``(from, to, rate)`` (``None``: open-ended), in date order."""
        if self.lines.empty:
            return []
        first = (pd.to_datetime(self.lines["due_date"]).min().date() + timedelta(days=self.terms.grace_days + 1))
        last = pd.to_datetime(self.lines["paid_on"]).max().date()
        return [(since, until, rate) for since, until, rate in self.terms.spans(consumer=self.consumer)
                if (since is None or since <= last) and (until is None or until >= first)]

    def totals(self) -> pd.DataFrame:
        """Per currency: ``currency, interest, compensation, total``."""
        out = (self.lines.groupby("currency", sort=False)[["interest", "compensation"]].sum().round(2)
               .reset_index())
        return out.assign(total=(out["interest"] + out["compensation"]).round(2))


def claims(engine: Engine, customer_ids: Sequence[str], *, since: date, until: date,
           terms: InterestTerms) -> list[Claim]:
    """The interest claims of some debtors for the payments they made late from ``since`` to ``until``
    and not claimed yet, in the order given, each with its lines and the debtor's address; debtors with
    nothing to claim are left out.

    Raises
    ------
    ArboardError
        When the period starts after it ends, or a debtor is not in the ledger.
    """
    from arboard.statement import debtor_details  # statement reads open items; interest need not load it

    check_period(since, until)
    ids = list(dict.fromkeys(str(c) for c in customer_ids))
    details = debtor_details(engine, ids)
    lines = paid_late(engine, since=since, until=until, terms=terms) if len(ids) > ONE_BY_ONE else pd.concat(
        [paid_late(engine, since=since, until=until, terms=terms, customer_id=c) for c in ids] or
        [pd.DataFrame(columns=PAID_LATE_LINES)], ignore_index=True)
    mine = dict(tuple(lines.groupby("customer_id", sort=False)))
    consumers = _consumers(engine, [c for c in ids if c in mine]) if terms.changes else set()
    return [Claim(details[c], since, until, mine[c].reset_index(drop=True), terms, c in consumers)
            for c in ids if c in mine]


def _consumers(engine: Engine, ids: list[str]) -> set[str]:
    """Which of these debtors are consumers (B2C): the rates a claim names are theirs."""
    cust = schema.customers
    with engine.connect() as conn:
        return {str(r) for r in conn.execute(sa.select(cust.c.customer_id).where(
            cust.c.customer_id.in_(ids), cust.c.customer_type == "B2C")).scalars()} if ids else set()
