"""Contacts logged in arboard: the call just made, the promise just given.

A collector working through a day's list records what happened without waiting for the next export
from the ERP: a call with its outcome, a promise to pay (by when, how much), a dispute raised. The
entry goes into the ledger's ``contacts`` table like an imported contact, so everything that reads
contacts sees it at once: a promise pauses the invoice's reminders and is judged when it ends; a
call after a broken promise counts as its follow-up; responses feed the debtor's profile; a dispute
about invoices disputes them (:mod:`arboard.disputestatus`).

Logged contacts carry ids starting with :data:`PREFIX`, so they can be told from imported ones and
removed again (an imported contact is changed by importing its file again). An import that replaces
the contacts keeps them: the file cannot hold them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import aging, disputestatus, instalments, promises, schema
from arboard.collectors import check_name
from arboard.db import bump_data_version, unknown_customers
from arboard.errors import ArboardError, check_text
from arboard.profiles import PROMISE_KINDS

PREFIX = schema.LOGGED_CONTACT_PREFIX
MAX_PROMISE_DAYS = 366  # a promised date further out than this is a payment plan's end at most, not a promise
NOTE_MAX = 1000  # contacts.note is VARCHAR(1000)
COLUMNS = ["contact_id", "contact_date", "channel", "kind", "outcome", "invoice_id", "promised_date",
           "promised_amount", "logged_by", "note"]


KIND_WORDS = {"call": "Call", "reminder": "Reminder", "letter": "Letter", **promises.KINDS, "dispute": "Dispute"}
OUTCOME_WORDS = {"responded": "Responded", "promised": "Promised to pay", "paid": "Says it is paid",
                 "no_response": "No response", "bounced": "Did not reach them"}


@dataclass(frozen=True)
class Entry:
    """What happened in one contact with a debtor (about some of their invoices, or none)."""

    contact_date: date
    channel: str
    kind: str
    outcome: str | None = None
    invoice_ids: tuple[str, ...] = field(default_factory=tuple)
    promised_date: date | None = None
    promised_amount: float | None = None  # only with one invoice: several are each promised in full
    by: str | None = None  # who in the team made the contact (arboard.collectors.check_name)
    reason: str | None = None  # a dispute's: why the debtor disputes the invoice(s)
    note: str | None = None  # what was said, in the collector's words (:func:`check_note`)

    @property
    def promises(self) -> bool:
        """Whether it records a promise to pay (as :func:`arboard.profiles.promise_made` reads it)."""
        return self.kind in PROMISE_KINDS or self.outcome == "promised"


def check_note(note: str | None) -> str | None:
    """A contact's note as stored (:func:`arboard.errors.check_text`): line breaks kept, at most
    :data:`NOTE_MAX` characters."""
    return check_text(note, what="A contact's note", max_len=NOTE_MAX)


def check(entry: Entry, *, today: date) -> None:
    """Refuse an entry that cannot be true, with what is wrong (:class:`ArboardError`)."""
    if entry.channel not in schema.CHANNELS:
        raise ArboardError(f"Unknown channel “{entry.channel}”; use one of {', '.join(schema.CHANNELS)}.")
    if entry.kind not in schema.CONTACT_KINDS:
        raise ArboardError(f"Unknown kind of contact “{entry.kind}”; use one of {', '.join(schema.CONTACT_KINDS)}.")
    if entry.outcome is not None and entry.outcome not in schema.OUTCOMES:
        raise ArboardError(f"Unknown outcome “{entry.outcome}”; use one of {', '.join(schema.OUTCOMES)}.")
    check_name(entry.by)  # the same rules as a collector's name
    check_note(entry.note)
    if entry.reason is not None and (entry.kind != "dispute" or not entry.invoice_ids):
        raise ArboardError("A dispute reason goes with a dispute about invoices: choose them, and the "
                           "kind “Dispute”.")
    disputestatus.check_reason(entry.reason)
    if entry.contact_date > today:
        raise ArboardError(f"The contact is dated {entry.contact_date.isoformat()}, after today "
                           f"({today.isoformat()}): log contacts once they happened.")
    if not entry.promises:
        if entry.promised_date is not None or entry.promised_amount is not None:
            raise ArboardError("A promised date or amount goes with a promise to pay, a payment plan or the "
                               "outcome “promised”.")
        return
    if not entry.invoice_ids:
        raise ArboardError("A promise to pay is kept or broken per invoice: choose the invoices it covers.")
    if entry.promised_date is None:
        raise ArboardError("A promise to pay needs the date the debtor promised to pay by.")
    if entry.promised_date < entry.contact_date:
        raise ArboardError(f"The promised date {entry.promised_date.isoformat()} is before the contact "
                           f"({entry.contact_date.isoformat()}).")
    if entry.promised_date > entry.contact_date + timedelta(days=MAX_PROMISE_DAYS):
        raise ArboardError(f"The promised date {entry.promised_date.isoformat()} is more than a year after the "
                           "contact.")
    if entry.promised_amount is not None:
        if len(entry.invoice_ids) > 1:
            raise ArboardError("An amount promised goes with one invoice; for several, each is promised in full "
                               "(leave the amount empty).")
        if not 0 < entry.promised_amount < 1e12:
            raise ArboardError("The amount promised must be positive.")


def log(engine: Engine, customer_id: str, entry: Entry, *, today: date) -> list[str]:
    """Record a contact with a debtor (one row per invoice it is about); returns the new contact ids.

    One transaction, which also moves the data version on so that every cached figure is read again.

    Raises
    ------
    ArboardError
        What is wrong with the entry (:func:`check`), an unknown debtor, or an invoice that is
        unknown or another debtor's.
    """
    check(entry, today=today)
    with engine.begin() as conn:
        return _insert(conn, customer_id, [entry])


def _insert(conn: sa.Connection, customer_id: str, entries: Sequence[Entry]) -> list[str]:
    """Write checked entries of one debtor (one row per invoice) and move the data version on."""
    customer_id = (customer_id or "").strip()
    inv = schema.invoices
    if unknown_customers(conn, [customer_id]):
        raise ArboardError(f"There is no debtor “{customer_id}”.")
    named = sorted({i for e in entries for i in e.invoice_ids})
    if named:
        owners = dict(conn.execute(sa.select(inv.c.invoice_id, inv.c.customer_id)
                                   .where(inv.c.invoice_id.in_(named))).all())
        for invoice_id in named:
            if invoice_id not in owners:
                raise ArboardError(f"There is no invoice “{invoice_id}”.")
            if owners[invoice_id] != customer_id:
                raise ArboardError(f"Invoice “{invoice_id}” belongs to debtor “{owners[invoice_id]}”, "
                                   f"not “{customer_id}”.")
    # Ids in the order contacts were logged: of two promises logged the same day, the later one
    # is the invoice's latest (promises rank a day's contacts by id).
    stamp = f"{PREFIX}{datetime.now(UTC):%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:6]}"
    rows = [{"contact_id": f"{stamp}-{k:04d}", "customer_id": customer_id,  # zero-padded: they sort as logged
             "invoice_id": invoice_id, "contact_date": e.contact_date, "channel": e.channel, "kind": e.kind,
             "outcome": e.outcome, "promised_date": e.promised_date, "promised_amount": e.promised_amount,
             "logged_by": check_name(e.by), "note": check_note(e.note)}
            for k, (e, invoice_id) in enumerate((e, i) for e in entries for i in (e.invoice_ids or (None,)))]
    conn.execute(sa.insert(schema.contacts), rows)
    # A dispute raised on invoices disputes them at once, before the ERP hears of it; their balance
    # events are recomputed then, so the derived tables stay current.
    raised = {r["invoice_id"]: r["contact_id"] for r in rows if r["kind"] == "dispute" and r["invoice_id"]}
    for e in entries:
        if e.kind == "dispute" and e.invoice_ids:
            disputestatus.decide(conn, e.invoice_ids, disputed=True, on=e.contact_date, by=check_name(e.by),
                                 reason=disputestatus.check_reason(e.reason), contact_ids=raised)
    bump_data_version(conn, derived_unchanged=True)  # contacts feed no derived table
    return [r["contact_id"] for r in rows]


@dataclass(frozen=True)
class AgreedPlan:
    """A payment plan as logged (:func:`log_payment_plan`)."""

    contact_ids: list[str]
    instalments: list[tuple[date, float]]  # (due, amount)
    paid_off: dict[str, date]  # invoice → the instalment date it is paid off by (its promised date), oldest due first
    currency: str
    open_amounts: dict[str, float]  # invoice → what was open on the day of the agreement


def plan_for(engine: Engine, customer_id: str, invoice_ids: Sequence[str], *, on: date, first: date, count: int,
             every_months: int = 1) -> AgreedPlan:
    """The payment plan over these invoices as it would be logged on ``on`` (nothing is written): their
    amounts open that day in ``count`` instalments from ``first``, each invoice promised for the
    instalment that pays it off, oldest due first.

    Raises
    ------
    ArboardError
        No invoice chosen, one that is not the debtor's open invoice on ``on``, invoices in several
        currencies, a first instalment before ``on``, or a last one more than a year after it.
    """
    if not invoice_ids:
        raise ArboardError("Choose the invoices the payment plan covers.")
    if first < on:
        raise ArboardError(f"The first instalment ({first.isoformat()}) is before the agreement "
                           f"({on.isoformat()}).")
    open_now = aging.items(engine, on, customer_id=customer_id, limit=1_000_000)
    open_now = open_now[open_now["open_amount"] > 0.004].set_index("invoice_id")
    missing = [i for i in invoice_ids if i not in open_now.index]
    if missing:
        raise ArboardError(f"Invoice “{missing[0]}” is not an open invoice of debtor “{customer_id}” on "
                           f"{on.isoformat()}.")
    chosen = open_now.loc[sorted(set(invoice_ids))].sort_values(["due_date"], kind="stable")  # ties: by number
    if chosen["currency"].nunique() > 1:
        raise ArboardError("A payment plan is in one currency: choose the invoices of one currency.")
    plan = instalments.schedule(float(chosen["open_amount"].sum()), first=first, count=count,
                                every_months=every_months)
    if plan[-1][0] > on + timedelta(days=MAX_PROMISE_DAYS):
        raise ArboardError(f"The last instalment ({plan[-1][0].isoformat()}) is more than a year after the "
                           "agreement: fewer instalments, or closer together.")
    paid_off = instalments.allocate(list(zip(chosen.index, chosen["open_amount"].astype(float), strict=True)), plan)
    return AgreedPlan([], plan, paid_off, str(chosen["currency"].iloc[0]),
                      {i: round(float(a), 2) for i, a in zip(chosen.index, chosen["open_amount"], strict=True)})


def plan_table(agreed: AgreedPlan) -> pd.DataFrame:
    """A payment plan's instalments for people: ``instalment, due, amount, pays_off`` (the invoices it
    completes, oldest due first)."""
    done: dict[date, list[str]] = {}
    for invoice_id, due in agreed.paid_off.items():
        done.setdefault(due, []).append(invoice_id)
    return pd.DataFrame({"instalment": range(1, len(agreed.instalments) + 1),
                         "due": [d for d, _a in agreed.instalments], "amount": [a for _d, a in agreed.instalments],
                         "pays_off": [", ".join(done.get(d, [])) for d, _a in agreed.instalments]})


def log_payment_plan(engine: Engine, customer_id: str, invoice_ids: Sequence[str], *, on: date, first: date,
                     count: int, every_months: int = 1, channel: str = "phone", by: str | None = None,
                     note: str | None = None, today: date) -> AgreedPlan:
    """Record a payment plan the debtor agreed to (:func:`plan_for`): one ``payment_plan`` contact per
    invoice, promised for the date of the instalment that pays it off and for its open amount. Each
    invoice then waits for its instalment as a promised one does, and a missed instalment is a broken
    promise. One transaction, like :func:`log`."""
    agreed = plan_for(engine, customer_id, invoice_ids, on=on, first=first, count=count, every_months=every_months)
    entries = [Entry(on, channel, "payment_plan", "promised", (invoice_id,), due, agreed.open_amounts[invoice_id],
                     by, note=note) for invoice_id, due in agreed.paid_off.items()]
    for entry in entries:
        check(entry, today=today)
    with engine.begin() as conn:
        ids = _insert(conn, customer_id, entries)
    return AgreedPlan(ids, agreed.instalments, agreed.paid_off, agreed.currency, agreed.open_amounts)


def logged(engine: Engine, customer_id: str) -> pd.DataFrame:
    """The contacts logged in arboard with a debtor, latest first (``COLUMNS``)."""
    con = schema.contacts
    with engine.connect() as conn:
        rows = conn.execute(sa.select(*(con.c[c] for c in COLUMNS))
                            .where(con.c.customer_id == customer_id, con.c.contact_id.startswith(PREFIX))
                            .order_by(con.c.contact_date.desc(), con.c.contact_id)).all()
    out = pd.DataFrame(rows, columns=COLUMNS)
    out["promised_amount"] = pd.to_numeric(out["promised_amount"]).astype(float)
    return out


def remove(engine: Engine, contact_id: str) -> None:
    """Remove a contact logged in arboard (a mistake, say); imported contacts are not removed here."""
    if not contact_id.startswith(PREFIX):
        raise ArboardError(f"“{contact_id}” was not logged in arboard: change imported contacts by importing "
                           "their file again.")
    con = schema.contacts
    with engine.begin() as conn:
        if not conn.execute(sa.delete(con).where(con.c.contact_id == contact_id)).rowcount:
            raise ArboardError(f"There is no contact “{contact_id}”.")
        disputestatus.undo_contact(conn, [contact_id])  # a dispute logged by mistake is no dispute
        bump_data_version(conn, derived_unchanged=True)
