"""Unapplied cash: payments on account and the open items they most likely pay.

A payment the ERP could not match (no invoice number on the remittance, a number mistyped, several
invoices in one transfer, a cash discount or bank charges taken off) is posted on the debtor's account
and the invoices it paid stay open. Until someone applies it, the aging overstates what is overdue, the
debtor gets reminders for what they paid, and the collector's call starts with "we paid that". This
module proposes which open items each payment on account pays, for the ERP's cash application, by
the rules a cash-application clerk works through. The remittance text first (the payment's reference,
and an invoice number the ERP did not know, compared by letters and digits only, with or without leading
zeros; a number of five digits or more written alone, "Inv 72871", names the debtor's INV000072871):

- **Named in the reference**: the debtor's open items it names, when the amount is their total, less a
  cash discount or within the tolerance.
- **Named, amount differs**: part of what it names (applied to the credit notes, then the oldest items;
  what stays open goes to the next payment naming it), or more (the excess stays on account). When the
  oldest items together (or one invoice) match the amount and include all that is named, the amount
  rules below read it instead.
- **Named another debtor's invoice**: only another debtor's open items are named, and the amount
  bears it out (tried among the amount rules, after the cash discounts).

Then by amount, surest first:

1. **Exact amount**: one open invoice of the debtor, in the payment's currency, for exactly the amount.
2. **Oldest items together**: the debtor's oldest open items (by due date, credit notes included)
   add up to the payment exactly; or, leaving out the disputed ones, which debtors hold back.
3. **Less a cash discount**: either of the above less a usual cash discount (2% or 3%), to the cent.
4. **Items that add up**: two to four of the debtor's open invoices, not the oldest run, add up to the
   payment exactly, or less a cash discount (a transfer for this month's invoices, within the discount
   period, while an older one waits). Only when the debtor has few enough open invoices within reach of
   the amount that chance would seldom give such a total, and not when more than :data:`MAX_SETS` sets
   do (one to ask the debtor about); of several, the exact ones first, then the oldest.
5. **Short or over payment**: one invoice within a tolerance (bank charges, a small deduction).
6. **Another debtor's invoice**: the only open invoice in the ledger for exactly the amount belongs to
   another debtor (a group company paying for it, a payment posted to the wrong account), when the
   amount is rare enough that chance would seldom hit it to the cent.

An invoice is proposed for one payment only (the surest match first; then the older payment; a part
payment's rest excepted), and only if it was issued by the day the payment came in. Proposals are not
applied here: the ERP is the ledger of record, and its next export brings the payment applied. The
candidate search runs in the database (the debtors with payments on account only); only candidates
reach pandas.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import cashdecisions, events, fx, schema
from arboard.db import fetch_frame, fetch_keyed, get_meta_json, set_meta
from arboard.errors import ArboardError
from arboard.openitems import days_past, open_items, payments_on_account, worked_by
from arboard.words import listed

CENT = 0.005  # amounts equal to the cent
SLACK = 0.02  # the database's search is this much wider than the rules, which then decide in whole cents
MAX_ITEMS = 100  # the most open items one payment is matched to (a list past that is for the ERP's own run)
AGE_EDGES = (7, 30, 60, 90)  # days on account, for the age bands
# Another debtor's invoice for exactly the amount is proposed only when chance would rarely give such a
# hit: the open items in the amount's band (2% wide, so about 2 x amount cent values) number fewer than
# CHANCE x amount, which makes the expected number of items at that very cent below 5%.
BAND = math.log(1.02)
CHANCE = 0.1
# Items that add up: sets of 2 to MAX_COMBINED of the debtor's open invoices are tried, where the number of
# such sets is below CHANCE x the amount in cents (sums spread over about the amount's cents, so the
# expected number hitting it by chance is below CHANCE); more than MAX_SETS sets adding up is no proposal.
MAX_COMBINED = 4
MAX_SETS = 10
SPREAD = MAX_COMBINED + 1  # the totals a set of up to MAX_COMBINED items may have, less a discount to the cent
# A remittance text is split into words at blanks and list separators; an invoice number is compared as
# its letters and digits only, in capitals ("inv-000123" names INV000123), and must hold a digit and be
# MIN_KEY long: a shorter "number" (a day, "Nr 5") names nothing for sure.
# A debtor often drops the prefix and leading zeros ("Inv 72871" or "RE 72871" for INV000072871): a number
# written as a word of its own names the debtor's invoice of that number when it has MIN_NUMBER digits
# (fewer would be a year or a day), and "INV72871" names it as "INV000072871" does.
WORD_BREAK = r"[\s,;+&]+"
MIN_KEY = 4
MIN_NUMBER = 5
# A payment whose text names only invoices cleared within this many days of it, for their amount, is
# most likely the same invoices paid twice.
TWICE_DAYS = 180

# Rule code: (what the proposal says, how sure it is, order tried).
RULES = {
    "named": ("Named in the reference", "High"),
    "exact": ("Exact amount", "High"),
    "oldest": ("Oldest items together", "High"),
    "discount": ("Less a cash discount", "Medium"),
    "combination": ("Items that add up", "Medium"),
    "named_part": ("Named, amount differs", "Medium"),
    "named_other": ("Named another debtor's invoice", "Medium"),
    "short": ("Short payment", "Low"),
    "over": ("Overpayment", "Low"),
    "elsewhere": ("Another debtor's invoice", "Low"),
    "twice": ("Paid twice?", "—"),  # names only invoices already cleared, for their amount: nothing to clear
    "none": ("No match", "—"),
}
RANK = {code: i for i, code in enumerate(RULES)}
RULES_BY_LABEL = {label: code for code, (label, _) in RULES.items()}
OTHER_DEBTOR = frozenset({"named_other", "elsewhere"})  # rules that clear another debtor's items, not the payer's
CONFIDENCES = ("High", "Medium", "Low", "—")  # "—": no match

COLUMNS = ["payment_id", "customer_id", "name", "collector", "payment_date", "days_on_account", "amount", "currency",
           "match", "confidence", "invoices", "invoice_count", "open_total", "difference", "overdue", "note",
           "reference", "decision", "decided"]
LABELS = {"payment_id": "Payment", "customer_id": "Debtor ID", "name": "Debtor", "collector": "Collector",
          "payment_date": "Received", "days_on_account": "Days on account", "amount": "Amount",
          "currency": "Currency", "match": "Match", "confidence": "Confidence", "invoices": "Items to clear",
          "invoice_count": "Items", "open_total": "Open on the items", "difference": "Difference",
          "overdue": "Overdue it clears", "note": "Note", "reference": "Remittance reference",
          "decision": "Decision", "decided": "Decided", "amount_value": "Amount in reporting currency"}
MONEY = (LABELS["amount"], LABELS["open_total"], LABELS["difference"], LABELS["overdue"], LABELS["amount_value"])
LINE_COLUMNS = ["payment_id", "customer_id", "payment_date", "payment_amount", "currency", "match", "item",
                "due_date", "apply", "kind", "decision"]
LINE_LABELS = {"payment_id": "Payment", "customer_id": "Debtor ID", "payment_date": "Received",
               "payment_amount": "Payment amount", "currency": "Currency", "match": "Match", "item": "Item",
               "due_date": "Due date", "apply": "Apply", "kind": "Line", "decision": "Decision"}
LINE_MONEY = (LINE_LABELS["payment_amount"], LINE_LABELS["apply"])
# What a debtor list's "Paid on account" column holds (:func:`with_overdue_paid`), for its help.
OVERDUE_PAID_HELP = ("What of the overdue the debtor's own cash on account most likely pays (sure matches on the "
                     "Unapplied cash page, and those confirmed there; never those rejected), not applied in the ERP "
                     "yet.")


@dataclass(frozen=True)
class MatchSettings:
    """How far a proposal may stray from the exact amount.

    ``tolerance`` is the share (percent of the invoice) a payment may fall short of or exceed one
    invoice by and still be proposed as a short or over payment; ``discounts`` the cash discounts
    (percent) tried, on one invoice and on the oldest items together.
    """

    tolerance: float = 1.0
    discounts: tuple[float, ...] = (2.0, 3.0)

    def __post_init__(self) -> None:
        if not 0 <= self.tolerance <= 10:
            raise ArboardError(f"The tolerance is {self.tolerance:g}%; it must be between 0% and 10%.")
        for d in self.discounts:
            if not 0 < d < 20:
                raise ArboardError(f"A cash discount of {d:g}% is not one; give discounts above 0% and below 20%.")
        object.__setattr__(self, "discounts", tuple(sorted(set(float(d) for d in self.discounts))))


RULES_KEY = "match_rules"  # meta: the match rules saved for every page, the plan and the command line


def saved_settings(engine: Engine) -> MatchSettings:
    """The match rules saved for everyone (:func:`save_settings`): what every page, the plan, the forecast and
    the command line match with, so a decision made on a proposal holds wherever it is read. The defaults
    when none are saved, or when the saved value was edited by hand into something that is not one."""
    raw = get_meta_json(engine, RULES_KEY)
    if isinstance(raw, dict):
        try:
            return MatchSettings(tolerance=float(raw["tolerance"]), discounts=tuple(float(d) for d in raw["discounts"]))
        except (KeyError, TypeError, ValueError, ArboardError):
            pass
    return MatchSettings()


def save_settings(engine: Engine, settings: MatchSettings) -> None:
    """Save ``settings`` as the match rules of every page (:func:`saved_settings`)."""
    with engine.begin() as conn:
        set_meta(conn, RULES_KEY, json.dumps({"tolerance": settings.tolerance, "discounts": list(settings.discounts)}))


def settings_words(settings: MatchSettings) -> str:
    """The rules in a few words: "short or over by up to 1%, cash discounts of 2% and 3%"."""
    discounts = [f"{d:g}%" for d in settings.discounts]
    return (f"short or over by up to {settings.tolerance:g}%, "
            + (f"cash discount{'s' if len(discounts) > 1 else ''} of {listed(discounts)}" if discounts
               else "no cash discount"))


def _windowed(items: sa.FromClause, ona: sa.FromClause) -> sa.Select:
    """The open ``items`` of the debtors with a payment on account, numbered oldest first per debtor and
    currency, with running totals: over all items, and over the undisputed ones."""
    w = {"partition_by": (items.c.customer_id, items.c.currency),
         "order_by": (items.c.due_date, items.c.invoice_date, items.c.invoice_id),
         "rows": (None, 0)}
    undisputed = sa.not_(sa.func.coalesce(items.c.disputed, False))
    return (sa.select(items.c.invoice_id, items.c.customer_id, items.c.currency, items.c.invoice_date,
                      items.c.due_date, items.c.open_amount, undisputed.label("undisputed"),
                      sa.func.row_number().over(**{k: v for k, v in w.items() if k != "rows"}).label("position"),
                      sa.func.sum(items.c.open_amount).over(**w).label("running"),
                      sa.func.max(items.c.invoice_date).over(**w).label("latest"),
                      sa.func.sum(sa.case((undisputed, 1), else_=0)).over(**w).label("u_position"),
                      sa.func.sum(sa.case((undisputed, items.c.open_amount), else_=0.0)).over(**w).label("u_running"),
                      sa.func.max(sa.case((undisputed, items.c.invoice_date))).over(**w).label("u_latest"),
                      *_item_keys(items.c.invoice_id))
            .where(items.c.customer_id.in_(sa.select(ona.c.customer_id))))


def _band(amount: sa.ColumnElement) -> sa.ColumnElement:
    """Which band of amounts 2% wide ``amount`` (positive) falls in: the neighbourhood whose crowd says
    how often an amount would be hit to the cent by chance."""
    return sa.cast(sa.func.floor(sa.func.ln(amount) / BAND), sa.Integer)


def _key(text: sa.ColumnElement) -> sa.ColumnElement:
    """``text`` as :func:`key` spells it, in the database."""
    return sa.func.upper(sa.func.regexp_replace(text, "[^A-Za-z0-9]", "", "g"))


def _item_keys(number_: sa.ColumnElement) -> list[sa.ColumnElement]:
    """An invoice number's key and its digits as :func:`number` spells them (:func:`_names` reads them).
    ("[^0-9]+" takes a prefix out in one match: "[^0-9]" took 50% longer.)"""
    digits = sa.func.ltrim(sa.func.regexp_replace(number_, "[^0-9]+", "", "g"), "0")
    return [_key(number_).label("item_key"), digits.label("item_number")]


def _names(text: sa.ColumnElement, item_key: sa.ColumnElement, item_number: sa.ColumnElement) -> sa.ColumnElement:
    """The coarse test, in the database, that a payment's ``text`` (its key) may name an invoice: the
    invoice's key or its digits (:func:`_item_keys`) stand in it. Whatever :func:`names` accepts passes
    (its loose keys have their digits in one run); it decides after."""
    return sa.and_(sa.func.length(text) >= MIN_KEY, sa.or_(
        sa.and_(sa.func.length(item_key) >= MIN_KEY, sa.func.strpos(text, item_key) > 0),
        sa.and_(sa.func.length(item_number) >= 1, sa.func.strpos(text, item_number) > 0)))


_BREAK, _NOT_KEY, _RUN, _DIGITS = (re.compile(p) for p in (WORD_BREAK, r"[^A-Za-z0-9]", r"[A-Za-z0-9]+", r"[0-9]+"))
_LOOSE = re.compile(r"([A-Z]*)0+([0-9]+[A-Z]*)")


def key(text: str) -> str:
    """An invoice number as a remittance text is compared with it: letters and digits, in capitals."""
    return _NOT_KEY.sub("", text).upper()


def _word_keys(text: str | None) -> tuple[set[str], list[str]]:
    """Every key a remittance ``text`` may name, unfiltered, and its words' keys: :func:`read_reference`
    keeps the usable keys and finds the bare numbers among the words. Read in one pass: the 10M sample's
    14,295 texts took 0.77 s read twice, 0.36 s now."""
    if not isinstance(text, str):
        return set(), []
    words = [w for w in _BREAK.split(text) if w]
    wkeys = [key(w) for w in words]
    # The key of words run together is their keys run together.
    keys = {"".join(wkeys[i:i + n]) for n in (1, 2, 3) for i in range(len(wkeys) - n + 1)}
    for word in words:
        for run in _RUN.findall(word):
            keys.add(run.upper())
            keys.update(_DIGITS.findall(run))
    return keys, wkeys


def reference_keys(text: str | None) -> frozenset[str]:
    """The invoice numbers (as :func:`key` spells them) a remittance ``text`` may name.

    A debtor writes "Rechnung INV-2026-0042, 0043", "RE4711" or "inv 2026 0042": each word, up to three
    words run together, and each run of letters and digits in a word and its digits alone are tried.
    Only keys with a digit and at least :data:`MIN_KEY` characters count.
    """
    return read_reference(text).keys


def loose(key_: str) -> str:
    """A :func:`key` of letters around one number, without the number's leading zeros: "INV000072871" and
    "INV72871" are alike. A key with letters between digits ("A12B0034") stays as it is."""
    m = _LOOSE.fullmatch(key_)
    return m[1] + m[2] if m else key_


def number(invoice_id: str) -> str:
    """An invoice number's digits without leading zeros, as a debtor may write it ("72871")."""
    return "".join(_DIGITS.findall(invoice_id)).lstrip("0")


class Reference(NamedTuple):
    """What a remittance text may name, read once (:func:`read_reference`)."""

    keys: frozenset[str]  # :func:`reference_keys`
    loose: frozenset[str]  # those keys without leading zeros
    numbers: frozenset[str]  # the numbers written as words of their own, without leading zeros


def read_reference(text: str | None) -> Reference:
    """The keys, loose keys and bare numbers of a remittance ``text`` (:class:`Reference`)."""
    found, wkeys = _word_keys(text)
    # The keys of :func:`reference_keys`.
    keys = frozenset(k for k in found if len(k) >= MIN_KEY and any(c.isdigit() for c in k))
    loose_ = frozenset(k for k in (loose(k) if "0" in k else k for k in keys) if len(k) >= MIN_KEY)
    bare = frozenset(n for n in (k.lstrip("0") for k in wkeys if k.isdigit()) if len(n) >= MIN_NUMBER)
    return Reference(keys, loose_, bare)


def names(reference: Reference, invoice_id: str) -> bool:
    """Whether a remittance text (:func:`read_reference`) names invoice ``invoice_id``: as the ledger spells
    it, in any case and with or without dashes ("inv-000072871"); without the leading zeros ("INV72871");
    or by its number alone, written as a word of its own ("Inv 72871", "RE 72871", "#72871").

    >>> names(read_reference("Rechnung 72871"), "INV000072871"), names(read_reference("RE72871"), "INV000072871")
    (True, False)
    """
    k = key(invoice_id)
    return k in reference.keys or loose(k) in reference.loose or number(k) in reference.numbers


def _same_account(ona, items) -> sa.ColumnElement:
    """A payment and an item of the same debtor and currency (a payment without a currency: any)."""
    return sa.and_(items.c.customer_id == ona.c.customer_id,
                   sa.or_(ona.c.currency.is_(None), items.c.currency == ona.c.currency))


def _near(total: sa.ColumnElement, amount: sa.ColumnElement, factors: tuple[float, ...],
          slack: sa.ColumnElement) -> sa.ColumnElement:
    """``amount`` equals ``total`` times one of ``factors`` within ``slack``."""
    return sa.or_(*(sa.func.abs(total * f - amount) < slack for f in factors))


ODDS = round(1 / CHANCE)  # integer arithmetic for the guard of the items-that-add-up rule


def subsets(n: int) -> int:
    """How many sets of 2 to :data:`MAX_COMBINED` items ``n`` open items make: the sums the items-that-add-up
    rule tries. It tries them only where ``subsets(n) * ODDS`` is below the amount in cents."""
    return sum(math.comb(n, k) for k in range(2, MAX_COMBINED + 1))


def _subsets(n: sa.ColumnElement) -> sa.ColumnElement:
    """:func:`subsets` in the database, as a float (exact far past any count the guard lets through, and
    no integer overflow for a debtor with a great many items)."""
    n = sa.cast(n, sa.Float)
    total, term = None, n
    for k in range(2, MAX_COMBINED + 1):
        term = term * (n - (k - 1)) / float(k)  # C(n, k) = C(n, k - 1) x (n - k + 1) / k, a whole number each time
        total = term if total is None else total + term
    return total


# The columns of the statement that reads the candidates (each part fills some, the rest are NULL).
PARTS = {"part": sa.String, "payment_id": sa.String, "customer_id": sa.String, "day": sa.Date, "amount": sa.Float,
         "currency": sa.String, "invoice_id": sa.String, "undisputed": sa.Boolean, "upto": sa.Integer,
         "skip_disputed": sa.Boolean, "position": sa.Integer}


def _part(part: str, **columns: sa.ColumnElement) -> list[sa.ColumnElement]:
    """The select list of one part of :data:`PARTS`."""
    return [sa.literal(part, sa.String).label("part") if key == "part" else
            sa.cast(columns[key], kind).label(key) if key in columns else sa.cast(sa.null(), kind).label(key)
            for key, kind in PARTS.items()]


class _Found(NamedTuple):
    """What :func:`_candidates` reads."""

    payments: pd.DataFrame  # the payments on account, with the text that may name what they pay
    singles: pd.DataFrame  # one open item of the debtor near the amount
    several: pd.DataFrame  # the debtor's oldest items whose running total is near the amount, with the items
    overdue: pd.DataFrame  # what each debtor with a payment on account has overdue, per currency
    elsewhere: pd.DataFrame  # the one open item of another debtor for exactly the amount
    named: pd.DataFrame  # the debtor's open items the payment's text names
    combinable: pd.DataFrame  # the debtor's open invoices below the amount, where few enough to try their sums
    named_other: pd.DataFrame  # another debtor's open items a word of the text names
    named_paid: pd.DataFrame  # the debtor's invoices cleared near the payment that the text names


def _text() -> sa.ColumnElement:
    """What a payment on account says it pays: the remittance reference and the invoice number the ERP
    did not know (a typo, another spelling)."""
    pay = schema.payments
    return sa.func.coalesce(sa.func.concat_ws(" ", pay.c.reference, pay.c.invoice_id), "").label("text")


SCRATCH = ("arboard_ua_ona", "arboard_ua_open", "arboard_ua_windowed")


def _drop_scratch(conn: sa.Connection, name: str) -> None:
    """Drop the temporary table ``name``, never a table of the database's own of that name."""
    temp = {"postgresql": "pg_temp.", "duckdb": "temp."}.get(conn.dialect.name, "")
    conn.exec_driver_sql(f"DROP TABLE IF EXISTS {temp}{name}")


def _scratch(conn: sa.Connection, name: str, stmt: sa.Select) -> sa.TableClause:
    """``stmt``'s rows in a temporary table of this connection, to be read by several statements."""
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    params = compiled.params
    _drop_scratch(conn, name)
    ddl = f"CREATE TEMPORARY TABLE {name} AS {compiled}"
    if compiled.positiontup is not None:
        conn.exec_driver_sql(ddl, tuple(params[k] for k in compiled.positiontup))
    else:
        conn.exec_driver_sql(ddl, params)
    return sa.table(name, *(sa.column(c.name, c.type) for c in stmt.selected_columns))


def _candidates(engine: Engine, as_of: date, settings: MatchSettings, customer_id: str | None = None) -> _Found:
    """The candidates of every rule (:class:`_Found`). The payments on account and the open items are
    worked out once, into temporary tables, and each rule's candidates read from them in a statement of
    its own: all in one statement (with materialised CTEs), DuckDB 1.5 waited forever at 10M invoices."""
    with engine.connect() as conn:
        try:
            return _read_candidates(engine, conn, as_of, settings, customer_id)
        finally:
            if not conn.invalidated:
                conn.rollback()  # a failed statement leaves PostgreSQL's transaction unusable
                for name in SCRATCH:
                    _drop_scratch(conn, name)
                conn.commit()


def _read_candidates(engine: Engine, conn: sa.Connection, as_of: date, settings: MatchSettings,
                     customer_id: str | None) -> _Found:
    ona = _scratch(conn, SCRATCH[0], payments_on_account(as_of, customer_id=customer_id)
                   .add_columns(schema.payments.c.reference, _text(), _key(_text()).label("text_key")))
    everyone = _scratch(conn, SCRATCH[1], sa.select(open_items(as_of)))
    win = _scratch(conn, SCRATCH[2], _windowed(everyone, ona))
    factors = (1.0, *(1 - d / 100 for d in settings.discounts))
    widest = max(settings.tolerance, *settings.discounts, 0.0) / 100
    singles = (sa.select(*_part("single", payment_id=ona.c.payment_id, invoice_id=win.c.invoice_id,
                                currency=win.c.currency, day=win.c.due_date, amount=win.c.open_amount,
                                undisputed=win.c.undisputed))
               .select_from(ona.join(win, _same_account(ona, win)))
               .where(ona.c.amount > 0, win.c.open_amount > CENT, win.c.invoice_date <= ona.c.payment_date,
                      ona.c.amount >= win.c.open_amount * (1 - widest) - SLACK,
                      ona.c.amount <= win.c.open_amount * (1 + settings.tolerance / 100) + SLACK))
    # Several items: the running total at some item matches (each discounted item rounds to the cent).
    slack = SLACK + CENT * win.c.position
    u_slack = SLACK + CENT * win.c.u_position
    ends = sa.union_all(
        sa.select(ona.c.payment_id, win.c.customer_id, win.c.currency, win.c.position.label("upto"),
                  sa.literal(False).label("skip_disputed"))
        .select_from(ona.join(win, _same_account(ona, win)))
        .where(ona.c.amount > 0, win.c.position >= 2, win.c.position <= MAX_ITEMS,
               win.c.latest <= ona.c.payment_date, _near(win.c.running, ona.c.amount, factors, slack)),
        sa.select(ona.c.payment_id, win.c.customer_id, win.c.currency, win.c.position.label("upto"),
                  sa.literal(True).label("skip_disputed"))
        .select_from(ona.join(win, _same_account(ona, win)))
        .where(ona.c.amount > 0, win.c.undisputed, win.c.u_position >= 2, win.c.u_position < win.c.position,
               win.c.u_position <= MAX_ITEMS, win.c.u_latest <= ona.c.payment_date,
               _near(win.c.u_running, ona.c.amount, factors, u_slack)),
    ).subquery("ends")
    several = (sa.select(*_part("several", payment_id=ends.c.payment_id, upto=ends.c.upto,
                                skip_disputed=ends.c.skip_disputed, invoice_id=win.c.invoice_id,
                                currency=win.c.currency, day=win.c.due_date, amount=win.c.open_amount,
                                undisputed=win.c.undisputed, position=win.c.position))
               .select_from(ends.join(win, sa.and_(win.c.customer_id == ends.c.customer_id,
                                                  win.c.currency == ends.c.currency, win.c.position <= ends.c.upto)))
               .where(sa.or_(~ends.c.skip_disputed, win.c.undisputed)))
    # Items that add up: the debtor's open invoices below the amount (or within reach of it less a discount),
    # issued by the payment's day, where they are few enough (per currency) that chance would seldom give
    # the total (:func:`combinable`, which decides after on the same counts).
    item_cents, paid_cents = sa.func.round(win.c.open_amount * 100), sa.func.round(ona.c.amount * 100)
    below = item_cents < paid_cents
    widest_discount = max(settings.discounts, default=0.0)
    reach = (item_cents * (100 - widest_discount) < paid_cents * 100 + 50 * MAX_COMBINED if settings.discounts
             else below)
    per_account = {"partition_by": (ona.c.payment_id, win.c.currency)}
    pool = (sa.select(ona.c.payment_id, paid_cents.label("paid"), win.c.invoice_id, win.c.currency,
                      win.c.due_date, win.c.open_amount, win.c.undisputed, win.c.position,
                      sa.func.sum(sa.case((below, 1), else_=0)).over(**per_account).label("below"),
                      sa.func.count().over(**per_account).label("size"))
            .select_from(ona.join(win, _same_account(ona, win)))
            .where(ona.c.amount > 0, win.c.open_amount > CENT, win.c.invoice_date <= ona.c.payment_date, reach)
            .subquery("pool"))
    tries = SPREAD * len(settings.discounts)
    few = [sa.and_(pool.c.below >= 2, _subsets(pool.c.below) * ODDS < pool.c.paid)]
    if tries:
        few.append(sa.and_(pool.c.size >= 2, _subsets(pool.c.size) * (ODDS * tries) < pool.c.paid))
    pooled = (sa.select(*_part("combinable", payment_id=pool.c.payment_id, invoice_id=pool.c.invoice_id,
                               currency=pool.c.currency, day=pool.c.due_date, amount=pool.c.open_amount,
                               undisputed=pool.c.undisputed, position=pool.c.position))
              .where(sa.or_(*few)))
    # Another debtor's invoice for exactly the amount, when only one in the ledger is: a group company
    # paying for another, or a payment posted to the wrong account.
    cust = schema.customers
    same_cents = sa.func.round(everyone.c.open_amount * 100) == sa.func.round(ona.c.amount * 100)
    others = (sa.select(ona.c.payment_id, everyone.c.invoice_id, everyone.c.customer_id, everyone.c.currency,
                        everyone.c.due_date, everyone.c.open_amount,
                        sa.not_(sa.func.coalesce(everyone.c.disputed, False)).label("undisputed"),
                        sa.func.count().over(partition_by=ona.c.payment_id).label("alike"))
              .select_from(ona.join(everyone, sa.and_(
                  same_cents, everyone.c.customer_id != ona.c.customer_id,
                  sa.or_(ona.c.currency.is_(None), everyone.c.currency == ona.c.currency))))
              .where(ona.c.amount > 0, everyone.c.open_amount > CENT, everyone.c.invoice_date <= ona.c.payment_date)
              .subquery("others"))
    # Only where chance would rarely give such a hit: few open items lie near the amount.
    banded = (sa.select(everyone.c.currency, _band(everyone.c.open_amount).label("band"))
              .where(everyone.c.open_amount > CENT).subquery("banded"))
    density = (sa.select(banded.c.currency, banded.c.band, sa.func.count().label("near"))
               .group_by(banded.c.currency, banded.c.band).subquery("density"))
    elsewhere = (sa.select(*_part("elsewhere", payment_id=others.c.payment_id, invoice_id=others.c.invoice_id,
                                  customer_id=others.c.customer_id, currency=others.c.currency,
                                  day=others.c.due_date, amount=others.c.open_amount, undisputed=others.c.undisputed))
                 .select_from(others.join(density, sa.and_(density.c.currency == others.c.currency,
                                                           density.c.band == _band(others.c.open_amount))))
                 .where(others.c.alike == 1, density.c.near < CHANCE * others.c.open_amount))
    # The debtor's open items the text names: a coarse test here (the item's key or digits are in the
    # text's key), :func:`names` decides.
    named = (sa.select(*_part("named", payment_id=ona.c.payment_id, invoice_id=win.c.invoice_id,
                              currency=win.c.currency, day=win.c.due_date, amount=win.c.open_amount,
                              undisputed=win.c.undisputed, position=win.c.position))
             .select_from(ona.join(win, _same_account(ona, win)))
             .where(ona.c.amount > 0, sa.func.abs(win.c.open_amount) > CENT, win.c.invoice_date <= ona.c.payment_date,
                    _names(ona.c.text_key, win.c.item_key, win.c.item_number)))
    # Another debtor's open items a word of the text names (whole words: the whole ledger is searched).
    words = (sa.select(ona.c.payment_id, ona.c.customer_id, ona.c.currency, ona.c.payment_date,
                       sa.func.regexp_split_to_table(ona.c.text, WORD_BREAK).label("word"))
             .where(ona.c.amount > 0, sa.func.length(ona.c.text) >= MIN_KEY).subquery("words"))
    keyed = sa.select(words, _key(words.c.word).label("key")).subquery("keyed")
    named_other = (sa.select(*_part("named_other", payment_id=keyed.c.payment_id, invoice_id=everyone.c.invoice_id,
                                    customer_id=everyone.c.customer_id, currency=everyone.c.currency,
                                    day=everyone.c.due_date, amount=everyone.c.open_amount,
                                    undisputed=sa.not_(sa.func.coalesce(everyone.c.disputed, False))))
                   .select_from(keyed.join(everyone, sa.and_(
                       _key(everyone.c.invoice_id) == keyed.c.key, everyone.c.customer_id != keyed.c.customer_id,
                       sa.or_(keyed.c.currency.is_(None), everyone.c.currency == keyed.c.currency))))
                   .where(sa.func.length(keyed.c.key) >= MIN_KEY, sa.func.abs(everyone.c.open_amount) > CENT,
                          everyone.c.invoice_date <= keyed.c.payment_date))
    # The debtor's invoices cleared by the as-of date, near the payment's day, that the text names.
    inv = schema.invoices
    named_paid = (sa.select(*_part("named_paid", payment_id=ona.c.payment_id, invoice_id=inv.c.invoice_id,
                                   currency=inv.c.currency, day=inv.c.paid_date, amount=inv.c.amount))
                  .select_from(ona.join(inv, sa.and_(inv.c.customer_id == ona.c.customer_id, sa.or_(
                      ona.c.currency.is_(None), inv.c.currency == ona.c.currency))))
                  .where(ona.c.amount > 0, inv.c.paid_date <= as_of, inv.c.amount > 0,
                         sa.func.abs(days_past(ona.c.payment_date, inv.c.paid_date)) <= TWICE_DAYS,
                         _names(ona.c.text_key, *_item_keys(inv.c.invoice_id))))
    overdue_part = sa.case((sa.and_(win.c.due_date < as_of, win.c.open_amount > 0), win.c.open_amount), else_=0.0)
    balances = (sa.select(*_part("overdue", customer_id=win.c.customer_id, currency=win.c.currency,
                                 amount=sa.func.sum(overdue_part)))
                .group_by(win.c.customer_id, win.c.currency))
    payments = (sa.select(ona.c.payment_id, ona.c.customer_id,
                          sa.func.coalesce(cust.c.name, ona.c.customer_id).label("name"), cust.c.collector,
                          ona.c.payment_date, ona.c.amount, ona.c.currency, ona.c.reference, ona.c.text)
                .select_from(ona.outerjoin(cust, cust.c.customer_id == ona.c.customer_id)))
    paid = fetch_frame(conn, payments, ["payment_id", "customer_id", "name", "collector", "payment_date", "amount",
                                        "currency", "reference", "text"])
    parts = [singles, several, balances, elsewhere, pooled]
    if (paid["text"].str.len() >= MIN_KEY).any():  # no text, nothing named: spare the search
        parts += [named, named_other, named_paid]
    df = pd.concat([fetch_frame(conn, part, list(PARTS)) for part in parts], ignore_index=True)
    part = {name: df[df["part"] == name].rename(columns={"day": "due_date", "amount": "open_amount"})
            .reset_index(drop=True)
            for name in ("single", "several", "overdue", "elsewhere", "named", "named_other", "named_paid",
                         "combinable")}
    # Only the texts the database found naming something are read word by word (29,490 texts took 0.9 s).
    naming = set().union(*(part[name]["payment_id"] for name in ("named", "named_other", "named_paid")))
    texts = paid[paid["payment_id"].isin(naming)]
    refs = dict(zip(texts["payment_id"], texts["text"].map(read_reference), strict=True))
    for name in ("named", "named_other", "named_paid"):
        found = part[name]
        # Another debtor's item only as the ledger spells it: a bare number would find one by chance.
        test = (lambda ref, i: key(i) in ref.keys) if name == "named_other" else names
        # Two words may name one item ("INV-42, inv42"): it is named once.
        part[name] = found[np.array([test(refs[p], i) for p, i in zip(found["payment_id"], found["invoice_id"],
                                                                      strict=True)], dtype=bool)
                           ].drop_duplicates(["payment_id", "invoice_id"])
    others = pd.concat([part["elsewhere"], part["named_other"]])
    owners = fetch_keyed(engine, cust, "customer_id", others["customer_id"].unique().tolist(), ["customer_id", "name"])
    owners = dict(zip(owners["customer_id"], owners["name"], strict=True)) if len(owners) else {}
    item = ["payment_id", "invoice_id", "currency", "due_date", "open_amount", "undisputed"]
    owned = [*item, "customer_id", "name"]
    for name in ("elsewhere", "named_other"):
        frame = part[name]
        part[name] = frame.assign(name=[owners.get(c) or c for c in frame["customer_id"]])[owned]
    return _Found(paid, part["single"][item],
                  part["several"][["payment_id", "upto", "skip_disputed", *item[1:], "position"]],
                  part["overdue"].rename(columns={"open_amount": "overdue"})[["customer_id", "currency", "overdue"]],
                  part["elsewhere"], part["named"][[*item, "position"]], part["combinable"][[*item, "position"]],
                  part["named_other"],
                  part["named_paid"].rename(columns={"due_date": "paid_date", "open_amount": "amount"})[
                      ["payment_id", "invoice_id", "paid_date", "amount"]])


def cents(amount: float) -> int:
    """``amount`` in whole cents: the rules compare integers, so float noise never decides a match."""
    return int(round(float(amount) * 100))


def classify(paid: int, owed: int, items: int, settings: MatchSettings, *, named: bool = False
             ) -> tuple[str, float | None] | None:
    """Which rule reads a payment of ``paid`` cents as paying ``items`` items open for ``owed`` cents:
    (rule, cash discount in percent or None), or None when none does. Several items are only exact or
    less a discount (each item's discount rounded to the cent); one item, or any number the remittance
    text names (``named``), may also be short or over by up to the tolerance."""
    if paid == owed:
        return "exact", None
    for d in settings.discounts:
        # |owed x (1 - d%) - paid| within half a cent per item, in hundredths of a cent (exact arithmetic).
        if abs(owed * (100 - d) - paid * 100) <= 50 * items:
            return "discount", d
    if (items == 1 or named) and owed > 0 and abs(owed - paid) * 100 <= settings.tolerance * owed:
        return ("short" if paid < owed else "over"), None
    return None


class _Option(NamedTuple):
    """One way to read a payment (:func:`_options`)."""

    rank: int  # of the rule, surest first
    gap: int  # |payment - items| in cents
    received: pd.Timestamp
    payment_id: str
    due: pd.Timestamp  # the oldest item's due date
    rule: str
    discount: float | None
    items: tuple[str, ...]
    skipped: bool  # disputed items left out of the oldest run
    settle: str | None  # what the difference is: "discount", "short", "over"; None: none

    def order(self) -> tuple:
        """Surest first: then the closest, the earliest payment, the oldest items, the fewest, and the item
        numbers, so the order never rests on the database's."""
        return (self.rank, self.gap, self.received, self.payment_id, self.due, len(self.items), self.items)


def _settle(read: tuple[str, float | None]) -> str | None:
    """What the difference of a reading is (:attr:`_Option.settle`)."""
    return None if read[0] == "exact" else read[0]


class _Paid(NamedTuple):
    """Each payment on account's amount in cents and the day it came in, by payment id."""

    amount: dict[str, int]
    received: dict[str, pd.Timestamp]


def _options(by_id: _Paid, singles: pd.DataFrame, several: pd.DataFrame, elsewhere: pd.DataFrame,
             named_other: pd.DataFrame, settings: MatchSettings) -> list[_Option]:
    """Every way to read each payment, in :meth:`_Option.order`."""
    amount, received = by_id
    options = []
    for row in singles.itertuples(index=False):
        paid, owed = amount[row.payment_id], cents(row.open_amount)
        if (read := classify(paid, owed, 1, settings)) is not None:
            options.append(_Option(RANK[read[0]], abs(paid - owed), received[row.payment_id], row.payment_id,
                                   row.due_date, read[0], read[1], (row.invoice_id,), False, _settle(read)))
    if len(several):
        several = several.sort_values(["payment_id", "skip_disputed", "upto", "position"], kind="stable")
        for (pid, skip, _upto), part in several.groupby(["payment_id", "skip_disputed", "upto"], sort=False):
            paid, owed = amount[pid], sum(cents(a) for a in part["open_amount"])
            read = classify(paid, owed, len(part), settings)
            if read is not None and read[0] in ("exact", "discount"):
                rule = "oldest" if read[0] == "exact" else "discount"
                options.append(_Option(RANK[rule], abs(paid - owed), received[pid], pid, part["due_date"].min(),
                                       rule, read[1], tuple(part["invoice_id"]), bool(skip), _settle(read)))
    for row in elsewhere.itertuples(index=False):
        options.append(_Option(RANK["elsewhere"], 0, received[row.payment_id], row.payment_id, row.due_date,
                               "elsewhere", None, (row.invoice_id,), False, None))
    # Another debtor's items the text names, when the amount bears it out (all of one debtor's named items).
    named_other = named_other.sort_values(["payment_id", "customer_id", "due_date", "invoice_id"], kind="stable")
    for (pid, _who), part in named_other.groupby(["payment_id", "customer_id"], sort=False):
        paid, owed = amount[pid], sum(cents(a) for a in part["open_amount"])
        if (read := classify(paid, owed, len(part), settings, named=True)) is not None:
            options.append(_Option(RANK["named_other"], abs(paid - owed), received[pid], pid, part["due_date"].min(),
                                   "named_other", read[1], tuple(part["invoice_id"]), False, _settle(read)))
    options.sort(key=_Option.order)
    return options


def adding_up(amounts: list[int], sums: dict[int, tuple[int, int]], keep=None) -> list[tuple[int, ...]]:
    """The sets of 2 to :data:`MAX_COMBINED` of ``amounts`` (positive cents) whose total lies within
    ``sums[size]`` (lowest, highest, both included; no entry: that size is not tried) and that
    ``keep(total, size)`` accepts (all when None), as sorted index tuples in order; ``MAX_SETS + 1`` of
    them when more do (too many to propose one: the search stops there). Pairs' sums are looked up (meet
    in the middle), not every set walked."""
    n = len(amounts)
    pairs: dict[int, list[tuple[int, int]]] = {}
    for i in range(n):
        for j in range(i + 1, n):
            pairs.setdefault(amounts[i] + amounts[j], []).append((i, j))
    found: set[tuple[int, ...]] = set()

    def add(each: tuple[int, ...]) -> bool:  # True: too many
        if keep is None or keep(sum(amounts[i] for i in each), len(each)):
            found.add(tuple(sorted(each)))
        return len(found) > MAX_SETS

    def done() -> list[tuple[int, ...]]:
        return sorted(found)[:MAX_SETS + 1]

    lo, hi = sums.get(2, (1, 0))
    for total in range(lo, hi + 1):
        for pair in pairs.get(total, ()):
            if add(pair):
                return done()
    if 3 in sums and n >= 3:
        lo, hi = sums[3]
        for k in range(n):
            for total in range(lo - amounts[k], hi - amounts[k] + 1):
                for i, j in pairs.get(total, ()):
                    if k != i and k != j and add((i, j, k)):
                        return done()
    if 4 in sums and n >= 4:
        lo, hi = sums[4]
        for total, firsts in pairs.items():
            if 2 * total > hi:  # the set's pair of the smaller total comes first: each set is met once or twice
                continue
            for rest in range(max(lo - total, total), hi - total + 1):
                for b in pairs.get(rest, ()):
                    for a in firsts:
                        if len({*a, *b}) == 4 and add(a + b):
                            return done()
    return done()


def sums_for(paid: int, discount: float | None = None) -> dict[int, tuple[int, int]]:
    """The totals (cents) a set of each size may have to be read as paid by ``paid`` cents: exactly, or less
    ``discount`` percent (:func:`classify`'s test, half a cent per item; a cent wider each side, for
    :func:`adding_up`'s ``keep`` to decide)."""
    if discount is None:
        return {k: (paid, paid) for k in range(2, MAX_COMBINED + 1)}
    return {k: (math.floor((100 * paid - 50 * k) / (100 - discount)) - 1,
                math.ceil((100 * paid + 50 * k) / (100 - discount)) + 1) for k in range(2, MAX_COMBINED + 1)}


def within_reach(amount: int, paid: int, widest: float) -> bool:
    """An item of ``amount`` cents may be part of a set that ``paid`` cents pays less a cash discount of at
    most ``widest`` percent (every other item at least a cent)."""
    return amount * (100 - widest) < 100 * paid + 50 * MAX_COMBINED


def combinable(exact: int, discounted: int, paid: int, settings: MatchSettings) -> tuple[bool, bool]:
    """Whether the items-that-add-up rule tries the sets of ``exact`` items below ``paid`` cents for the exact
    amount, and those of ``discounted`` items (:func:`within_reach`) less a discount: only where chance
    would seldom give such a total (the discounted totals are SPREAD per size and discount)."""
    tries = SPREAD * len(settings.discounts)
    return (exact >= 2 and subsets(exact) * ODDS < paid,
            bool(tries) and discounted >= 2 and subsets(discounted) * ODDS * tries < paid)


class _Sets(NamedTuple):
    """The items-that-add-up readings (:func:`_combinations`)."""

    options: list[_Option]  # one per set of a debtor's open invoices that adds up to a payment
    count: dict[str, int]  # payment id -> how many sets are proposed (several: the note says so)
    crowded: set[str]  # the payments more than MAX_SETS sets add up to (in a currency): no option, ask the debtor


def _combinations(by_id: _Paid, pool: pd.DataFrame, settings: MatchSettings) -> _Sets:
    """The items-that-add-up readings of each payment, exactly or less a cash discount, from its debtor's open
    invoices (per currency; ``pool``, what the database found where few enough)."""
    amount, received = by_id
    options, count, crowded = [], {}, set()
    widest = max(settings.discounts, default=0.0)
    pool = pool.sort_values(["payment_id", "currency", "position"], kind="stable")
    # Plain lists cut at each payment and currency: a pandas group per payment took 1.5 s at 10M invoices.
    columns = [pool[c].tolist() for c in ("payment_id", "currency", "invoice_id", "due_date", "open_amount")]
    rows = list(zip(*columns, strict=True))
    cuts = [*(i for i in range(len(rows)) if i == 0 or rows[i][:2] != rows[i - 1][:2]), len(rows)]
    for start, end in itertools.pairwise(cuts):
        part = rows[start:end]
        pid = part[0][0]
        paid, ids, due = amount[pid], [r[2] for r in part], [r[3] for r in part]
        owed = [cents(r[4]) for r in part]
        below = [i for i, a in enumerate(owed) if a < paid]
        more = [i for i, a in enumerate(owed) if within_reach(a, paid, widest)] if settings.discounts else []
        exact, discounted = combinable(len(below), len(more), paid, settings)
        read: dict[tuple[int, ...], tuple[str, float | None]] = {}
        if exact:
            read.update((tuple(below[i] for i in each), ("exact", None))
                        for each in adding_up([owed[i] for i in below], sums_for(paid)))
        for d in settings.discounts if discounted else ():
            def fits(total: int, size: int, d: float = d, paid: int = paid) -> bool:
                return classify(paid, total, size, settings) == ("discount", d)
            read.update((tuple(more[i] for i in each), ("discount", d))
                        for each in adding_up([owed[i] for i in more], sums_for(paid, d), fits))
        if len(read) > MAX_SETS:
            crowded.add(pid)
            continue
        if read:
            count[pid] = count.get(pid, 0) + len(read)
        for each, (how, discount) in read.items():
            total = sum(owed[i] for i in each)
            options.append(_Option(RANK["combination"], abs(paid - total), received[pid], pid,
                                   min(due[i] for i in each), "combination", discount, tuple(ids[i] for i in each),
                                   False, _settle((how, discount))))
    return _Sets(options, count, crowded)


@dataclass(frozen=True)
class CashOnAccount:
    """The payments on account as of a day and what they most likely pay (:func:`match_payments`)."""

    proposals: pd.DataFrame  # COLUMNS (and amount_value), one row per payment on account, surest first
    lines: pd.DataFrame  # LINE_COLUMNS: the clearing lines of the matched payments
    overdue: pd.DataFrame  # customer_id, currency, overdue: what each debtor with cash on account has overdue

    @property
    def empty(self) -> bool:
        """No payment on account: every payment is applied to an invoice."""
        return self.proposals.empty

    def paid(self, least: str = "High") -> pd.Series:
        """What the matches at least as sure as ``least`` pay of each item, by item id, in the item's currency
        (:attr:`Applied.items` of :func:`as_applied`): the cash for it is in, whatever the ERP still shows."""
        return as_applied(self.lines, least=least).items

    def of(self, customer_id: str) -> CashOnAccount:
        """One debtor's payments on account and their proposals, as the match of every debtor made them
        (the same as :func:`match_payments` with ``customer_id``). What another debtor's payment pays of
        this debtor's items is in the whole match's :attr:`lines`, not here."""
        return CashOnAccount(*(frame[frame["customer_id"] == customer_id].reset_index(drop=True)
                               for frame in (self.proposals, self.lines, self.overdue)))

    def in_currency(self, currency: str | None) -> CashOnAccount:
        """The payments in ``currency`` (None: all of them), as :func:`match_payments` gives them for it: the
        match of every currency filtered, amounts at face value (no ``amount_value``), largest first within
        each rule, and what their debtors have overdue in it. A cached match of every currency serves each."""
        if currency is None:
            return self
        df = self.proposals[self.proposals["currency"] == currency].drop(columns="amount_value", errors="ignore")
        df = _ordered(df, df["amount"])
        order = pd.Series(range(len(df)), index=df["payment_id"].to_numpy())
        lines = self.lines[self.lines["payment_id"].isin(order.index)]
        lines = lines.sort_values("payment_id", key=lambda p: p.map(order), kind="stable")
        return CashOnAccount(df.reset_index(drop=True), lines.reset_index(drop=True),
                             self.overdue[self.overdue["currency"] == currency].reset_index(drop=True))

    def worked_by(self, collectors: Sequence[str]) -> CashOnAccount:
        """The payments on account of the debtors these collectors work (:data:`arboard.openitems.NO_COLLECTOR`:
        nobody's), with their clearing lines and what those debtors have overdue; no name: all of them."""
        if not collectors:
            return self
        mine = self.proposals[worked_by(self.proposals["collector"], collectors)]
        debtors = set(mine["customer_id"])
        return CashOnAccount(mine.reset_index(drop=True),
                             self.lines[self.lines["payment_id"].isin(set(mine["payment_id"]))].reset_index(drop=True),
                             self.overdue[self.overdue["customer_id"].isin(debtors)].reset_index(drop=True))


def match_payments(engine: Engine, as_of: date, *, currency: str | None = None, customer_id: str | None = None,
                   settings: MatchSettings | None = None, rates: fx.Rates | None = None,
                   decided: bool = True) -> CashOnAccount:
    """What each payment on account as of ``as_of`` most likely pays.

    Parameters
    ----------
    engine
        The ledger database.
    as_of
        Payments received and items open on this day; days on account count to it.
    currency
        Only the payments in this currency (a payment without one counts in the currency of the items
        it matches; unmatched, it is listed with all currencies only). None: all of them.
    customer_id
        Only this debtor's payments (the same proposals as for everyone: debtors never share items).
    settings
        The tolerance and cash discounts tried (:class:`MatchSettings`; the saved ones when None,
        :func:`saved_settings`).
    rates
        For all currencies (``currency`` None) with active rates, a last column ``amount_value``
        holds each payment in the reporting currency, which :func:`summary` adds up.
    decided
        With the decisions recorded on the proposals (:func:`with_decisions`); False: without them, for a
        caller that caches the match and adds them after (a decision then costs no new match).

    Returns
    -------
    CashOnAccount
        The proposals, one row per payment on account (:data:`COLUMNS`), surest first and then the
        largest: ``match`` and ``confidence`` from :data:`RULES` ("No match" and "—" when no rule
        fits, "Paid twice?" when the reference names only invoices cleared already, for their amount);
        ``invoices`` the items to clear, comma-separated, oldest first; ``open_total`` what is
        open on them and ``difference`` the payment less that (a discount or short payment is
        negative); ``overdue`` what of it is past due as of ``as_of``. The clearing lines, one per
        item a payment clears plus one for any difference (:data:`LINE_COLUMNS`), add up to each
        payment: what to key into the ERP. What each debtor with cash on account has overdue, per
        currency, for :func:`summary`.
    """
    settings = settings or saved_settings(engine)
    events.ensure_current(engine)  # partial payments come from the derived balance events
    found = _candidates(engine, as_of, settings, customer_id)
    payments, balances = found.payments, found.overdue
    # Python objects, not Arrow strings: the rows are walked one by one below, and Arrow's iterator cost
    # 0.6 s per walk at 10M invoices.
    text = [c for c in payments.columns
            if payments[c].dtype != object and pd.api.types.is_string_dtype(payments[c].dtype)]
    payments[text] = payments[text].astype(object)
    payments["amount"] = payments["amount"].astype(float).round(2)
    payments["payment_date"] = pd.to_datetime(payments["payment_date"])
    frames = (found.singles, found.several, found.elsewhere, found.named, found.named_other, found.combinable)
    for frame in frames:
        frame["due_date"] = pd.to_datetime(frame["due_date"])
        frame["open_amount"] = frame["open_amount"].astype(float).round(2)
    kept = ["invoice_id", "currency", "due_date", "open_amount", "undisputed"]
    opened = pd.concat([f[kept] for f in frames]).drop_duplicates("invoice_id")
    owner = {r.invoice_id: (r.customer_id, r.name)
             for r in pd.concat([found.elsewhere, found.named_other]).itertuples(index=False)}
    # Plain lookups: a .loc per proposal took seconds at a million invoices.
    item = {row.invoice_id: row for row in opened.itertuples(index=False)}
    # What the text names decides first; the amount rules read the rest, from the items it left untouched.
    by_id = _Paid({pid: cents(a) for pid, a in zip(payments["payment_id"], payments["amount"], strict=True)},
                  dict(zip(payments["payment_id"], payments["payment_date"], strict=True)))
    options = _options(by_id, found.singles, found.several, found.elsewhere, found.named_other, settings)
    sets = _combinations(by_id, found.combinable, settings)
    options = sorted(options + sets.options, key=_Option.order)
    chosen = _named(by_id, found.named, settings, item, options)
    used = {i for p in chosen.values() for i in p.items}
    named_ids = found.named.groupby("payment_id")["invoice_id"].agg(frozenset).to_dict()
    twice, cleared = _paid_before(by_id, found.named_paid, set(named_ids))
    options = [o for o in options if o.payment_id not in chosen and o.payment_id not in twice]
    # How many single invoices would do for a payment by the same rule (several of the same amount).
    alike = Counter((o.payment_id, o.rule) for o in options if len(o.items) == 1)
    readable = {o.payment_id for o in options} | set(named_ids)
    for option in options:
        if option.payment_id in chosen or used.intersection(option.items):
            continue
        owed = tuple(cents(item[i].open_amount) for i in option.items)
        chosen[option.payment_id] = _Proposal(option.rule, option.discount, option.items, owed, sum(owed),
                                              option.settle, option.skipped, False)
        used.update(option.items)
    rows = []
    day = pd.Timestamp(as_of)
    for p in payments.itertuples(index=False):
        proposal = chosen.get(p.payment_id)
        if proposal is None:
            if p.amount <= 0:
                why = "A refund or reversal: nothing to match."
            elif p.payment_id in twice:  # read by no rule: it names nothing open
                why = twice[p.payment_id]
            elif p.payment_id in readable:
                why = "What it could pay is proposed for another payment: ask the debtor."
            elif p.payment_id in sets.crowded:
                why = (f"More than {MAX_SETS} sets of the debtor's open invoices add up to it: ask the debtor "
                       "which it pays.")
            else:
                why = "No open item of the debtor adds up to it, nor the oldest or a few items together."
            why = " ".join(filter(None, (why, cleared.get(p.payment_id))))
            rows.append((p.payment_id, "twice" if p.payment_id in twice else "none", (), (), None, 0.0, 0.0, np.nan,
                         None, why))
            continue
        mine = [item[i] for i in proposal.items]
        open_total = proposal.owed / 100
        overdue = sum(a for r, a in zip(mine, proposal.applied, strict=True)
                      if r.due_date < day and r.open_amount > 0) / 100
        if proposal.rule == "combination":
            same = sets.count.get(p.payment_id, 1)
        else:
            same = alike.get((p.payment_id, proposal.rule), 1)
        note = _note(proposal, mine, same, owner,
                     named_some=bool(named_ids.get(p.payment_id, frozenset()) & set(proposal.items)))
        rows.append((p.payment_id, proposal.rule, proposal.items, proposal.applied, mine[0].currency, open_total,
                     round(overdue, 2), round(p.amount - open_total, 2), proposal.settle,
                     " ".join(filter(None, (note, cleared.get(p.payment_id))))))
    matched = pd.DataFrame(rows, columns=["payment_id", "rule", "items", "applied", "item_currency", "open_total",
                                          "overdue", "difference", "settle", "note"])
    df = payments.merge(matched, on="payment_id", how="left")
    df["currency"] = df["currency"].where(df["currency"].notna(), df["item_currency"])
    df["match"] = df["rule"].map(lambda r: RULES[r][0])
    df["confidence"] = df["rule"].map(lambda r: RULES[r][1])
    df["invoices"] = df["items"].map(", ".join)
    df["invoice_count"] = df["items"].map(len).astype(int)
    df["days_on_account"] = (day - df["payment_date"]).dt.days.astype(int)
    # Every currency is matched, then the one asked for kept (CashOnAccount.in_currency).
    rates = fx.applied(rates, None)
    if rates.active:
        df["amount_value"] = rates.convert(df["amount"], df["currency"]).round(2)
    df = _ordered(df, df["amount_value"] if rates.active else df["amount"])
    lines = _lines(df, item)
    df["decision"] = df["decided"] = ""
    keep = [*COLUMNS, *(["amount_value"] if rates.active else [])]
    balances["overdue"] = balances["overdue"].astype(float).round(2)
    cash = CashOnAccount(df[keep].reset_index(drop=True), lines, balances.reset_index(drop=True)).in_currency(currency)
    return with_decisions(cash, cashdecisions.load(engine)) if decided else cash


def _ordered(proposals_: pd.DataFrame, amount: pd.Series) -> pd.DataFrame:
    """The proposals surest rule first, then the largest ``amount``, then by payment id."""
    rank = proposals_["match"].map(RULES_BY_LABEL).map(RANK)
    ordered = proposals_.assign(_rank=rank, _amount=amount).sort_values(
        ["_rank", "_amount", "payment_id"], ascending=[True, False, True], kind="stable")
    return ordered.drop(columns=["_rank", "_amount"])


def with_decisions(cash: CashOnAccount, decisions: pd.DataFrame) -> CashOnAccount:
    """``cash`` with the decisions recorded on its proposals (:func:`arboard.cashdecisions.load`): the
    proposals' ``decision`` and ``decided`` (in words), and each clearing line's ``decision``.

    A confirmed proposal counts as applied whatever its confidence, a rejected one never
    (:func:`as_applied`, :func:`with_overdue_paid`); an outdated one (the proposal names other items
    now) counts by its confidence, as if undecided."""
    decision, words = cashdecisions.labels(cash.proposals, decisions)
    proposals = cash.proposals.assign(decision=decision.to_numpy(), decided=words.to_numpy())
    per_payment = dict(zip(proposals["payment_id"], proposals["decision"], strict=True))
    lines = cash.lines.assign(decision=cash.lines["payment_id"].map(per_payment).fillna("").to_numpy())
    return CashOnAccount(proposals, lines, cash.overdue)


def _paid_before(by_id: _Paid, named_paid: pd.DataFrame, named_open: set[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The payments whose text names only invoices already cleared: ``twice``, those for the amount of
    one of them or of all (the same invoices paid twice: no amount rule reads them), and ``cleared``, a
    note for the others. Each maps a payment to what its note says."""
    twice: dict[str, str] = {}
    cleared: dict[str, str] = {}
    if named_paid.empty:
        return twice, cleared
    amount = by_id.amount
    named_paid = named_paid.sort_values(["payment_id", "paid_date", "invoice_id"], kind="stable")
    for pid, part in named_paid.groupby("payment_id", sort=False):
        if pid in named_open:
            continue
        owed = [cents(a) for a in part["amount"]]
        which = ", ".join(f"{i} (cleared {pd.Timestamp(d):%d %b %Y})"
                          for i, d in zip(part["invoice_id"], part["paid_date"], strict=True))
        if amount[pid] in owed or amount[pid] == sum(owed):
            twice[pid] = (f"The remittance reference names {which}, for this amount: paid twice? Refund it or keep "
                          "it on account, as the debtor wishes.")
        else:
            cleared[pid] = f"The remittance reference names {which} only."
    return twice, cleared


class _Proposal(NamedTuple):
    """What a payment on account is proposed to clear."""

    rule: str
    discount: float | None
    items: tuple[str, ...]  # oldest first
    applied: tuple[int, ...]  # cents of the payment applied to each item
    owed: int  # cents open on the items when proposed (less what an earlier proposal part-paid)
    settle: str | None  # what the difference is: "discount", "short", "over", "part" (stays open); None: none
    skipped: bool  # disputed items left out of the oldest run
    shared: bool  # an earlier payment's proposal part-pays an item too


def _named(by_id: _Paid, named: pd.DataFrame, settings: MatchSettings, item: dict,
           options: list[_Option]) -> dict[str, _Proposal]:
    """The proposals of the payments whose text names open items of their debtor: the text decides, as a
    clerk reads the remittance first. The amount bears it out (exactly, less a discount or within the
    tolerance of the total: "named"), or the payment is part of what is named, applied to the credit
    notes and then the oldest items, or more ("named_part"). Earlier payments first: what a part
    payment leaves open on an item, the next payment naming it can pay. When the amount does not fit
    what is named but the oldest items together (or one invoice, less a discount) do, and they include
    all that is named ("RE INV1" on a transfer for INV1 and INV2), the amount rules read it (``options``).
    """
    if named.empty:
        return {}
    wider: dict[str, list[frozenset]] = {}
    for o in options:
        if o.rule in ("exact", "oldest", "discount", "combination"):
            wider.setdefault(o.payment_id, []).append(frozenset(o.items))
    amount, received = by_id
    named = named.sort_values(["payment_id", "due_date", "position", "invoice_id"], kind="stable")
    lists = {pid: list(ids) for pid, ids in named.groupby("payment_id", sort=False)["invoice_id"]}
    left = {i: cents(item[i].open_amount) for i in named["invoice_id"].unique()}
    out = {}
    for pid in sorted(lists, key=lambda pid: (received[pid], pid)):
        ids = [i for i in lists[pid] if left[i] != 0]
        if not ids:
            continue
        avail = [left[i] for i in ids]
        paid, owed = amount[pid], sum(avail)
        shared = any(left[i] != cents(item[i].open_amount) for i in ids)
        read = classify(paid, owed, len(ids), settings, named=True)
        if read is None and any(w >= set(ids) for w in wider.get(pid, ())):
            continue  # the named items and more
        if read is not None:
            rule, discount, settle, applied = "named", read[1], _settle(read), avail
        elif paid > owed:
            rule, discount, settle, applied = "named_part", None, "over", avail
        else:
            rule, discount, settle, applied = "named_part", None, "part", [0] * len(ids)
            rest = paid
            for k in sorted(range(len(ids)), key=lambda k: avail[k] >= 0):  # credit notes first, then oldest
                applied[k] = avail[k] if avail[k] < 0 else min(avail[k], rest)
                rest -= applied[k]
            # The items it reaches; the difference is what stays open on the last of them.
            ids, avail, applied = (list(t) for t in zip(*[(i, o, a) for i, o, a in zip(ids, avail, applied, strict=True)
                                                          if a != 0], strict=True))
            owed = sum(avail)
        for i, a in zip(ids, applied, strict=True):
            left[i] -= a
        out[pid] = _Proposal(rule, discount, tuple(ids), tuple(applied), owed, settle, False, shared)
    return out


def _note(proposal: _Proposal, mine: list, same: int, owner: dict, *, named_some: bool = False) -> str:
    """Why a proposal reads the payment so, and what to do with a difference. ``named_some``: the payment's
    text names some of the debtor's open items."""
    rule, items = proposal.rule, proposal.items
    notes = []
    if rule == "named":
        notes.append("The remittance reference names " + ("it." if len(items) == 1 else "them."))
    elif named_some and rule in ("exact", "oldest", "discount", "combination"):
        notes.append("The remittance reference names some of them.")
    if proposal.discount is not None:
        notes.append(f"{proposal.discount:g}% cash discount taken.")
    if proposal.skipped:
        notes.append("The disputed items among them are left out.")
    held = sum(not r.undisputed for r in mine)
    if held:
        notes.append("The invoice is disputed: the payment may settle the dispute." if len(items) == 1 else
                     f"{held} of the items are disputed: the payment may settle the disputes.")
    if rule in ("exact", "discount") and len(items) == 1 and same > 1:
        notes.append(f"{same} open invoices of this amount; the oldest free one is proposed.")
    if rule == "combination":
        notes.append("Not the oldest items: the debtor paid these and left an older one open (the remittance "
                     "advice tells).")
        if same > 1:
            notes.append(f"{same} sets of the debtor's open invoices add up to it; the one with the oldest free "
                         "items is proposed.")
    if proposal.shared:
        notes.append("An earlier payment naming the same items is proposed for part of them; this one for the rest.")
    if proposal.settle == "part":
        notes.append("Part of what the remittance reference names: the clearing lines apply it to the oldest "
                     "items; the rest stays open.")
    elif proposal.settle == "over" and rule == "named_part":
        notes.append("More than what the remittance reference names: the excess stays on account or is refunded.")
    elif proposal.settle == "short":
        notes.append("Bank charges or a deduction: write off or ask the debtor.")
    elif proposal.settle == "over":
        notes.append("The excess stays on account or is refunded.")
    if rule in OTHER_DEBTOR:
        who, name = owner[items[0]]
        what = (f"The only open invoice of this amount is {name}'s ({who})" if rule == "elsewhere" else
                f"The remittance reference names {'an invoice' if len(items) == 1 else 'invoices'} of {name} ({who})")
        notes.append(f"{what}: a group company paying for it, or a payment posted to the wrong account? "
                     "Check before moving it.")
    return " ".join(notes)


def _lines(df: pd.DataFrame, item: dict) -> pd.DataFrame:
    """The clearing lines of the matched proposals: what each item takes, then any difference."""
    rows = []
    kinds = {"discount": "Cash discount", "short": "Short payment", "over": "Left on account"}
    matched = df[df["invoice_count"] > 0]
    # Plain lists of the columns used: walking a frame's Arrow strings row by row took 0.6 s at 10M invoices.
    cols = ("payment_id", "customer_id", "payment_date", "amount", "currency", "match", "items", "applied", "settle")
    for *head, items, paid, settle in zip(*(matched[c].tolist() for c in cols), strict=True):
        amount = head[3]
        for invoice_id, applied in zip(items, paid, strict=True):
            rows.append((*head, invoice_id, item[invoice_id].due_date, applied / 100,
                         "Credit note" if item[invoice_id].open_amount < 0 else "Invoice"))
        rest = round(amount - sum(paid) / 100, 2)
        if abs(rest) >= CENT:
            rows.append((*head, None, pd.NaT, rest, kinds.get(settle, "Rounding")))
    return pd.DataFrame(rows, columns=LINE_COLUMNS[:-1]).assign(decision="")


def _at_least(least: str) -> tuple[str, ...]:
    """The confidences at least as sure as ``least`` (none for "")."""
    return CONFIDENCES[:CONFIDENCES.index(least) + 1] if least else ()


def _counted(frame: pd.DataFrame, confidence: pd.Series, least: str) -> pd.Series:
    """Which rows (proposals or clearing lines) count as applied: at least as sure as ``least``, or
    confirmed by the user, and never rejected (:mod:`arboard.cashdecisions`); none for ``least`` "" (the
    ledger as the ERP has it)."""
    sure = confidence.isin(_at_least(least))
    if not least or "decision" not in frame:
        return sure
    decision = frame["decision"]
    return (sure | (decision == "Confirmed")) & (decision != "Rejected")


class Applied(NamedTuple):
    """What keying the sure proposals would do to the ledger (:func:`as_applied`)."""

    items: pd.Series  # per item (invoice or credit note id): the amount the proposals apply to it
    left: pd.Series  # per payment id taken: what stays on account (0.0 when all of it is applied)
    lines: pd.DataFrame  # the clearing lines taken, LINE_COLUMNS and ``confidence`` ("Confirmed" when the user did)


def as_applied(lines: pd.DataFrame, *, least: str = "High") -> Applied:
    """The proposals at least as sure as ``least`` ("High", "Medium", "Low"), as if keyed into the ERP; with
    the decisions recorded (:func:`with_decisions`), also those confirmed, and never those rejected.

    A reminder should not list an invoice the debtor has most likely paid, nor escalate on it, just
    because the cash sits on account unapplied: what the matched payments apply to each item comes
    off it, and only what a payment leaves over (an overpayment) stays on account.

    Parameters
    ----------
    lines
        The clearing lines of :func:`match_payments` (``CashOnAccount.lines``).
    least
        The least confidence taken; "" takes none.

    Returns
    -------
    Applied
        The amount applied per item (credit notes negative), what stays on account per payment taken,
        and the lines taken with their confidence.
    """
    if least not in ("", *CONFIDENCES[:-1]):
        raise ArboardError(f"Count matches of confidence {least!r} as applied? Choose High, Medium or Low, or none.")
    confidence = lines["match"].map(lambda m: RULES[RULES_BY_LABEL[m]][1] if m in RULES_BY_LABEL else "—")
    sure = _counted(lines, confidence, least)
    if "decision" in lines:  # what the user confirmed is surer than any rule: the lists say so
        confidence = confidence.where(lines["decision"] != "Confirmed", "Confirmed")
    taken = lines[sure.to_numpy()].assign(confidence=confidence[sure.to_numpy()])
    on_items = taken["item"].notna()
    items = taken[on_items].groupby("item")["apply"].sum()
    left = taken["apply"].where(taken["kind"] == "Left on account", 0.0).groupby(taken["payment_id"]).sum()
    return Applied(items.astype(float), left.astype(float), taken.reset_index(drop=True))


def with_overdue_paid(customers: pd.DataFrame, cash: CashOnAccount, *, least: str = "High",
                      currency: str | None = None, rates: fx.Rates | None = None) -> pd.DataFrame:
    """The debtors of an aging (:func:`arboard.aging.aging_by_customer`) with what of their overdue their
    own cash on account most likely pays.

    The aging is the ledger as the ERP has it: a debtor who paid their overdue invoices without naming
    them shows that cash on account beside an overdue that is no longer owed. Before a collector calls
    them, the list says so.

    Parameters
    ----------
    customers
        One row per debtor with ``customer_id`` and ``overdue`` (in ``currency``, or in the reporting
        currency of ``rates`` for all currencies).
    cash
        :func:`match_payments` for all currencies, as of the aging's day.
    least
        The least confidence counted ("High", "Medium" or "Low").
    currency
        The aging's one currency (only payments in it count); None: all, converted with ``rates``.
    rates
        The rates the aging converted with, for all currencies.

    Returns
    -------
    pandas.DataFrame
        ``customers`` with ``overdue_paid``: what their own payments' proposals clear of what is
        overdue, at most the overdue itself (with the decisions recorded: also what the user confirmed,
        never what they rejected). Another debtor's invoice a payment pays counts for neither
        debtor: which group company owes it is for the ERP to settle.
    """
    if least not in CONFIDENCES[:-1]:
        raise ArboardError(f"Count matches of confidence {least!r}? Choose High, Medium or Low.")
    df = cash.proposals
    taken = _counted(df, df["confidence"], least) & ~df["match"].isin([RULES[r][0] for r in OTHER_DEBTOR])
    if currency:
        taken &= df["currency"] == currency
    df = df[taken]
    overdue = fx.applied(rates, currency).convert(df["overdue"], df["currency"])
    paid = overdue.groupby(df["customer_id"]).sum()
    owed = customers["overdue"].astype(float).clip(lower=0.0)
    return customers.assign(overdue_paid=customers["customer_id"].map(paid).fillna(0.0).clip(upper=owed).round(2))


@dataclass(frozen=True)
class UnappliedSummary:
    """What :func:`summary` adds up (amounts in the reporting currency, or the one currency)."""

    count: int
    amount: float
    matched: int
    matched_amount: float
    sure: int  # high-confidence proposals
    overdue_cleared: float
    debtors_cleared: int  # debtors with something overdue that their own payments on account clear all of
    oldest_days: int | None
    confirmed: int = 0  # proposals the user confirmed (arboard.cashdecisions), rejected, or decided on before
    rejected: int = 0  # they changed (outdated)
    outdated: int = 0


def _value(df: pd.DataFrame) -> pd.Series:
    return df["amount_value"] if "amount_value" in df else df["amount"]


def summary(cash: CashOnAccount, *, rates: fx.Rates | None = None) -> UnappliedSummary:
    """Totals over :func:`match_payments`: how much cash is on account, how much is matched, what
    overdue it clears and for how many debtors everything overdue is paid (they need no reminder).
    Amounts are added up in the reporting currency when the proposals carry ``amount_value``."""
    df, balances = cash.proposals, cash.overdue
    matched = df["invoice_count"] > 0
    overdue = df["overdue"].astype(float)
    if "amount_value" in df:
        overdue = fx.applied(rates, None).convert(overdue, df["currency"])
    cleared = 0
    # Another debtor's invoice clears theirs, not the payer's.
    own = matched & ~df["match"].isin([RULES[r][0] for r in OTHER_DEBTOR])
    if len(balances) and own.any():
        got = df[own].groupby(["customer_id", "currency"])["overdue"].sum()
        owed = balances.set_index(["customer_id", "currency"])["overdue"].astype(float)
        owed = owed[owed > CENT]
        # A debtor is clear when in every currency they owe, the proposals clear all that is overdue.
        covered = (got.reindex(owed.index).fillna(0.0) >= owed - CENT).groupby(level=0).all()
        cleared = int(covered.sum())
    return UnappliedSummary(
        count=len(df), amount=float(_value(df).sum()), matched=int(matched.sum()),
        matched_amount=float(_value(df)[matched].sum()), sure=int((df["confidence"] == "High").sum()),
        overdue_cleared=float(overdue[matched].sum()), debtors_cleared=cleared,
        oldest_days=int(df["days_on_account"].max()) if len(df) else None,
        **{kind: int((df["decision"] == label).sum()) if "decision" in df else 0
           for kind, label in (("confirmed", "Confirmed"), ("rejected", "Rejected"),
                               ("outdated", cashdecisions.OUTDATED))})


def by_age(proposals_: pd.DataFrame, *, edges: tuple[int, ...] = AGE_EDGES) -> pd.DataFrame:
    """The cash on account by days on account and confidence of its match: ``band, confidence, amount,
    count`` (every band and confidence, zero where there is none, bands youngest first)."""
    labels = [f"0–{edges[0]} days", *(f"{a + 1}–{b} days" for a, b in zip(edges, edges[1:], strict=False)),
              f"Over {edges[-1]} days"]
    band = pd.cut(proposals_["days_on_account"], [-np.inf, *edges, np.inf], labels=labels)
    df = pd.DataFrame({"band": band, "confidence": proposals_["confidence"], "amount": _value(proposals_)})
    grid = pd.MultiIndex.from_product([labels, CONFIDENCES], names=["band", "confidence"])
    out = df.groupby(["band", "confidence"], observed=True)["amount"].agg(["sum", "count"]).reindex(grid, fill_value=0)
    return out.rename(columns={"sum": "amount"}).reset_index()


def labelled(cash: CashOnAccount) -> dict[str, pd.DataFrame]:
    """The proposals and their clearing lines with column labels, as the sheets of a download."""
    return {"Proposals": cash.proposals.rename(columns=LABELS),
            "Clearing lines": cash.lines.rename(columns=LINE_LABELS)}


SHOW = ("matched", "undecided", "decided", "none", "all")


def shown(proposals_: pd.DataFrame, show: str = "all", *, confidences: Sequence[str] = ()) -> pd.DataFrame:
    """The proposals to list (:data:`SHOW`): ``"matched"`` (those with items to clear), ``"undecided"`` (those
    whose decision is outdated first, even when they match nothing now: to decide again or take back; then
    those still to confirm or reject), ``"decided"`` (a decision holds), ``"none"`` (no match, or paid twice)
    or ``"all"``; with ``confidences`` (of :data:`CONFIDENCES`), only the proposals of those."""
    if show not in SHOW:
        raise ArboardError(f"Show {show!r}? Choose one of {', '.join(SHOW)}.")
    unknown = [c for c in confidences if c not in CONFIDENCES]
    if unknown:
        raise ArboardError(f"Confidence {unknown[0]!r}? Choose among {', '.join(CONFIDENCES)}.")
    if confidences:
        proposals_ = proposals_[proposals_["confidence"].isin(list(confidences))]
    if show == "all":
        return proposals_
    unmatched = proposals_["invoice_count"] == 0
    decision = proposals_["decision"]
    if show == "decided":
        return proposals_[decision.isin(list(cashdecisions.DECISIONS.values()))]
    if show == "undecided":  # the outdated first: a clerk decided on them once, the rest keep their order
        listed = proposals_[(~unmatched & (decision == "")) | (decision == cashdecisions.OUTDATED)]
        return listed.sort_values("decision", key=lambda d: d != cashdecisions.OUTDATED, kind="stable")
    return proposals_[unmatched if show == "none" else ~unmatched]
