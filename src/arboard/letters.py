"""Letters to print and statements of account, as A4 PDFs for a window envelope.

A day's work list has the letters' wording (:func:`arboard.outreach.work_list`); this module puts
each on a page with the sender's letterhead (:mod:`arboard.sender`), the debtor's postal address
where a window envelope shows it (DIN 5008 / C5 with a left window), the date and the customer
number, and the bank details in the footer. A letter that runs long continues on a second page.
A debtor without a postal address on file is still printed, with the gap marked, and counted by
:func:`missing_addresses` so the page can say so before anything is posted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from babel import Locale
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.db import fetch_keyed
from arboard.errors import ArboardError
from arboard.interest import Claim
from arboard.messages import formatters, rate_text
from arboard.pdf import ACCENT, BAD, INK, MUTED, Page
from arboard.sender import Sender
from arboard.statement import KIND_LABELS, ON_ACCOUNT, Statement

NO_ADDRESS = "no postal address on file"
# With the collector, whom the letter names as the debtor's contact.
ADDRESS_FIELDS = ("customer_id", "name", "street", "postal_code", "city", "country", "locale", "collector")
# Page geometry in mm: DIN 5008 form B (left window 20 mm in, 45 mm down, 85 x 45 mm).
LEFT, WIDTH, WINDOW_TOP, BODY_BOTTOM, FOOTER_Y = 25.0, 165.0, 50.0, 268.0, 279.0
_ENGLISH = Locale.parse("en")


def address_lines(customer: Mapping, *, home_country: str = "") -> list[str]:
    """A debtor's postal address as a window envelope shows it: name, street, postal code and city
    (city then postcode in Great Britain), and the country's name when it is not ``home_country``.
    An empty list when no street and city are on file."""
    street, postal, city = (_text(customer.get(k)) for k in ("street", "postal_code", "city"))
    if not street and not city:
        return []
    country = _text(customer.get("country")).upper()
    place = [city, postal] if country == "GB" else [f"{postal} {city}".strip()]
    lines = [_text(customer.get("name")) or _text(customer.get("customer_id")), street, *place]
    if country and country != home_country.upper():
        lines.append(_ENGLISH.territories.get(country, country).upper())
    return [line for line in lines if line]


def one_line(customer: Mapping, *, home_country: str = "") -> str:
    """The postal address on one line (a work list's "Sent to"), or :data:`NO_ADDRESS`."""
    lines = address_lines(customer, home_country=home_country)
    return ", ".join(lines[1:]) if lines else NO_ADDRESS


def _text(value: object) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def addresses(engine: Engine, customer_ids: Sequence[str]) -> pd.DataFrame:
    """The postal addresses (and locale) of some debtors, indexed by customer id; debtors the
    customers table does not hold have a row of blanks."""
    ids = list(dict.fromkeys(str(c) for c in customer_ids))
    found = fetch_keyed(engine, schema.customers, "customer_id", ids, ADDRESS_FIELDS)
    return found.set_index("customer_id").reindex(pd.Index(ids, name="customer_id"))


def with_addresses(table: pd.DataFrame, found: pd.DataFrame, *, sender: Sender = Sender()) -> pd.DataFrame:
    """A work list (:func:`arboard.outreach.work_list`) whose letters say where they go: "Sent to" is
    the postal address on one line, or :data:`NO_ADDRESS`. ``found``: :func:`addresses`."""
    letters = table["channel"] == "letter"
    if not letters.any():
        return table
    rows = found.reindex(table.loc[letters, "customer_id"].astype(str))
    out = table.copy()
    out.loc[letters, "contact"] = [one_line({**row._asdict(), "customer_id": cid}, home_country=sender.country)
                                   for cid, row in zip(rows.index, rows.itertuples(index=False), strict=True)]
    return out


def letters_of(table: pd.DataFrame) -> pd.DataFrame:
    """The letters among a work list's (or plan's) contacts."""
    return table[table["channel"] == "letter"]


def missing_addresses(table: pd.DataFrame) -> list[str]:
    """The debtors among a work list's letters with no postal address on file (after
    :func:`with_addresses`)."""
    mine = letters_of(table)
    return list(dict.fromkeys(mine.loc[mine["contact"] == NO_ADDRESS, "customer_id"].astype(str)))


@dataclass(frozen=True)
class _Columns:
    """The columns of a table in a letter: widths in mm, headings, and which are right-aligned (amounts)."""

    widths: tuple[float, ...]
    heads: tuple[str, ...]
    right: frozenset[int]

    def header(self, page: Page, y: float) -> float:
        """The headings and their rule at ``y``; returns the first line below."""
        page.font(8, bold=True, colour=MUTED)
        x = LEFT
        for i, (w, head) in enumerate(zip(self.widths, self.heads, strict=True)):
            page.at(x, y, w - 1, 5, head, align="R" if i in self.right else "L")
            x += w
        page.pdf.set_draw_color(*MUTED)
        page.pdf.line(LEFT, y + 5.5, LEFT + WIDTH, y + 5.5)
        return y + 7

    def section(self, page: Page, y: float, title: str | None) -> float:
        """A new block of lines (one currency's, titled when there are several): on a new page when little
        of this one is left, then the headings."""
        if y > BODY_BOTTOM - 30:
            page.pdf.add_page()
            y = 20.0
        if title:
            page.font(10, bold=True)
            page.at(LEFT, y, WIDTH, 5, f"In {title}")
            y += 6
        return self.header(page, y)

    def row(self, page: Page, y: float, cells: Sequence[str], *, red: frozenset[int] | set[int] = frozenset()) -> float:
        """One line at ``y`` (on a new page, under the headings, at the foot of this one), the cells in
        ``red`` in the colour of what is late; returns the next line."""
        if y > BODY_BOTTOM - 5:
            page.pdf.add_page()
            y = self.header(page, 20.0)
        x = LEFT
        for i, (w, cell) in enumerate(zip(self.widths, cells, strict=True)):
            page.fitted(x, y, w - 1, 4.5, cell, size=8, smallest=6, colour=BAD if i in red else INK,
                        align="R" if i in self.right else "L")
            x += w
        return y + 4.8


def _document(sender: Sender) -> Page:
    def footer(page: Page) -> None:
        lines = [" · ".join(p for p in (sender.name, sender.contact) if p), sender.payment]
        for i, line in enumerate(line for line in lines if line):
            page.fitted(LEFT, FOOTER_Y + i * 3.8, WIDTH - 15, 4, line, size=7.5, smallest=5.5, colour=MUTED)
        page.font(7.5, colour=MUTED)
        # Counted per letter or statement: a batch prints many in one file.
        page.at(LEFT, FOOTER_Y, WIDTH, 4, f"Page {page.pdf.page_no() - page.first_of_document + 1}", align="R")

    return Page(first_page=False, margins=(LEFT, 20, 20), footer=footer)


def _head(page: Page, sender: Sender, customer: Mapping, *, rows: list[tuple[str, str]]) -> None:
    """Letterhead, return line, address window and the reference block of a letter's first page."""
    pdf = page.pdf
    pdf.add_page()
    page.first_of_document = pdf.page_no()
    if sender.is_set:
        page.fitted(125, 15, 65, 6, sender.name, size=12, smallest=8, colour=ACCENT, bold=True)
        # The contact details one per line ("phone · e-mail · web" is too wide for the block).
        contact = [p.strip() for p in sender.contact.replace(",", "·").split("·") if p.strip()]
        for i, line in enumerate([*sender.address, *contact][:7]):
            page.fitted(125, 22 + i * 4, 65, 4, line, size=8.5, smallest=6.5)
        page.fitted(LEFT, WINDOW_TOP - 5, 85, 4, " · ".join([sender.name, *sender.address]), size=7,
                    smallest=5.5, colour=MUTED)
    lines = address_lines(customer, home_country=sender.country)
    if lines:
        for i, line in enumerate(lines[:6]):
            page.fitted(LEFT, WINDOW_TOP + 1 + i * 5, 85, 5, line, size=10, smallest=7.5)
    else:
        page.fitted(LEFT, WINDOW_TOP + 1, 85, 5, _text(customer.get("name")) or _text(customer.get("customer_id")),
                    size=10, smallest=7.5)
        page.font(9, bold=True, colour=BAD)
        page.at(LEFT, WINDOW_TOP + 7, 85, 5, f"({NO_ADDRESS})")
    if _text(customer.get("collector")):  # the person who works the account, as a dunning letter names them
        rows = [*rows, ("Your contact", _text(customer.get("collector")))]
    for i, (label, value) in enumerate(rows):
        page.font(8.5, colour=MUTED)
        page.at(125, WINDOW_TOP + 1 + i * 5, 30, 5, label)
        page.font(8.5)
        page.fitted(155, WINDOW_TOP + 1 + i * 5, 35, 5, value, size=8.5, smallest=6.5)


def letters_pdf(letters: pd.DataFrame, found: pd.DataFrame, *, sender: Sender = Sender()) -> bytes:
    """The letters among a work list's rows, one letter per page (two when it runs long).

    Parameters
    ----------
    letters
        Rows of :func:`arboard.outreach.work_list` (``date, customer_id, name, step, channel, message``);
        rows on another channel are left out.
    found
        :func:`addresses` of their debtors.
    sender
        The letterhead, return line and footer.
    """
    rows = letters_of(letters) if "channel" in letters else letters
    if rows.empty:
        raise ArboardError("There are no letters to print on this day.")
    page = _document(sender)
    for row in rows.itertuples(index=False):
        customer = {"customer_id": row.customer_id, "name": row.name,
                    **(found.loc[str(row.customer_id)].to_dict() if str(row.customer_id) in found.index else {})}
        customer["name"] = row.name  # as the message addresses them
        _money, day = formatters(_text(customer.get("locale")) or None, str(getattr(row, "currency", "EUR")))
        _head(page, sender, customer, rows=[("Customer no.", str(row.customer_id)),
                                            ("Date", day(pd.Timestamp(row.date).date()))])
        page.fitted(LEFT, 100, WIDTH, 6, str(row.step), size=11, smallest=8, bold=True)
        page.pdf.set_xy(LEFT, 110)
        page.font(10)
        page.paragraph(LEFT, WIDTH, 5, str(row.message), bottom=BODY_BOTTOM)
    return page.output()


def statement_pdf(st: Statement, *, sender: Sender = Sender()) -> bytes:
    """A statement of account (:func:`arboard.statement.account_statement`) on A4: every open item
    per currency with its amount, what is open and days overdue, the balance by age, and how to pay."""
    return statements_pdf([st], sender=sender)


def statements_pdf(statements: Sequence[Statement], *, sender: Sender = Sender()) -> bytes:
    """Several statements of account in one file to print (a statement run), each from a new page and
    numbered on its own (:func:`statement_pdf`)."""
    return _letters(statements, _statement_pages, sender, nothing="There are no statements to print.")


def _letters(items: Sequence, pages_of, sender: Sender, *, nothing: str) -> bytes:
    """One document of letters, each from a new page and numbered on its own: ``pages_of(page, item,
    sender)`` writes each; ``nothing`` is the refusal when there is none."""
    if not items:
        raise ArboardError(nothing)
    page = _document(sender)
    for item in items:
        pages_of(page, item, sender)
    return page.output()


def _closing(page: Page, y: float, text: str) -> None:
    """The closing paragraph under a letter's table (on a new page when this one is full)."""
    if y > BODY_BOTTOM - 15:
        page.pdf.add_page()
        y = 20.0
    page.pdf.set_xy(LEFT, y + 3)
    page.font(9.5)
    page.paragraph(LEFT, WIDTH, 5, text, bottom=BODY_BOTTOM)


def _statement_pages(page: Page, st: Statement, sender: Sender) -> None:
    customer = st.customer
    currencies = list(st.totals["currency"]) or ["EUR"]
    money_of = {c: formatters(_text(customer.get("locale")) or None, c)[0] for c in currencies}
    day = formatters(_text(customer.get("locale")) or None, currencies[0])[1]
    _head(page, sender, customer, rows=[("Customer no.", str(customer["customer_id"])),
                                        ("Statement date", day(st.as_of))])
    page.font(13, bold=True)
    page.at(LEFT, 100, WIDTH, 7, "Statement of account")
    page.font(9, colour=MUTED)
    page.at(LEFT, 107, WIDTH, 5, f"Open items as of {day(st.as_of)}")
    y = 116.0
    if st.empty:
        page.font(10)
        page.pdf.set_xy(LEFT, y)
        page.paragraph(LEFT, WIDTH, 5, f"Nothing is open on your account as of {day(st.as_of)}. Thank you.",
                       bottom=BODY_BOTTOM)
        return
    table = _Columns((32, 27, 21, 21, 24, 24, 16), ("Document", "Type", "Date", "Due", "Amount", "Open", "Days late"),
                     right=frozenset({4, 5, 6}))
    for currency, lines in st.lines.groupby("currency", sort=False):
        money = money_of[currency]
        y = table.section(page, y, currency if len(currencies) > 1 else None)
        for line in lines.itertuples(index=False):
            due = pd.Timestamp(line.due_date).date() if line.kind != "payment" and pd.notna(line.due_date) else None
            # Only an invoice is late: a credit note's or a payment's date is not a due date.
            days = str(int(line.days_past_due)) if line.kind == "invoice" and pd.notna(line.days_past_due) \
                and line.days_past_due > 0 else ""
            cells = [str(line.reference), KIND_LABELS.get(line.kind, line.kind) + (" (in dispute)" if line.disputed
                                                                                   else ""),
                     day(pd.Timestamp(line.date).date()) if pd.notna(line.date) else "", day(due),
                     money(line.amount) if line.kind != "payment" else "", money(line.open_amount), days]
            y = table.row(page, y, cells, red={6} if days else frozenset())
        y = _totals(page, st, currency, money, y + 2)
    total_overdue = {c: o for c, o in zip(st.totals["currency"], st.totals["overdue"], strict=True) if o > 0.004}
    closing = ("Please pay the overdue amount of " + " and ".join(money_of[c](v) for c, v in total_overdue.items())
               + f" at {sender.link_for(customer['customer_id'])}." if total_overdue else
               "Nothing on your account is overdue.")
    closing += " If anything on this statement does not match your records, please tell us"
    closing += f": {sender.contact}." if sender.contact else "."
    _closing(page, y, closing)


def _totals(page: Page, st: Statement, currency: str, money, y: float) -> float:
    """The balance of one currency by age, under its lines; returns the next free line."""
    if y > BODY_BOTTOM - 18:
        page.pdf.add_page()
        y = 20.0
    row = st.totals.set_index("currency").loc[currency]
    labels = [b for b in st.buckets if b != ON_ACCOUNT or abs(row[b]) > 0.004]
    w = WIDTH / (len(labels) + 1)
    page.pdf.set_draw_color(*MUTED)
    page.pdf.line(LEFT, y, LEFT + WIDTH, y)
    for i, label in enumerate([*labels, "Balance"]):
        page.font(7.5, bold=True, colour=MUTED)
        page.at(LEFT + i * w, y + 1, w - 1, 4, label if label != "Not due" else "Not yet due", align="R")
        value = row["balance"] if label == "Balance" else row[label]
        overdue = label in st.buckets[1:] and label != ON_ACCOUNT and value > 0.004
        page.font(8.5, bold=label == "Balance", colour=BAD if overdue else INK)
        page.fitted(LEFT + i * w, y + 5.5, w - 1, 4.5, money(value), size=8.5, smallest=6,
                    colour=BAD if overdue else INK, align="R")
    return y + 13


def interest_claims_pdf(claims: Sequence[Claim], *, sender: Sender = Sender()) -> bytes:
    """Claims for late-payment interest (:func:`arboard.interest.claims`) on A4, each from a new page and
    numbered on its own: every payment that came late in the period with its days, rate and interest,
    the compensation per late invoice, the total per currency and how to pay."""
    return _letters(claims, _claim_pages, sender,
                    nothing="There are no interest claims to print: no payment came late in the period.")


def _rates_note(rates: list, locale: str | None, day) -> str:
    """What a claim's footnote says of the rates, when one changed within a line's days."""
    parts = []
    for since, until, rate in rates:
        when = (f"from {day(since)} to {day(until)}" if since and until else f"from {day(since)}" if since
                else f"until {day(until)}" if until else "")
        parts.append(f"{rate_text(rate, locale)} {when}".strip())
    return ("* The rate a year changed within these days: " + ", ".join(parts) + "; the rate shown is the "
            "average over the line's days, rounded (the interest is each day's at its rate). ")


def _claim_pages(page: Page, claim: Claim, sender: Sender) -> None:
    customer = claim.customer
    totals = claim.totals()
    locale = _text(customer.get("locale")) or None
    money_of = {c: formatters(locale, c)[0] for c in totals["currency"]}
    day = formatters(locale, str(totals["currency"].iloc[0]))[1]
    _head(page, sender, customer, rows=[("Customer no.", str(customer["customer_id"])),
                                        ("Date", day(claim.until))])
    page.font(13, bold=True)
    page.at(LEFT, 100, WIDTH, 7, "Late-payment interest")
    page.font(9, colour=MUTED)
    page.at(LEFT, 107, WIDTH, 5, f"On payments received from {day(claim.since)} to {day(claim.until)} after their "
                                 "due date")
    table = _Columns((29, 21, 21, 24, 12, 16, 23, 19), ("Invoice", "Due", "Paid on", "Amount paid", "Days", "Rate",
                                                       "Interest", "Fixed sum"), right=frozenset({3, 4, 5, 6, 7}))
    widths = table.widths
    y = 116.0
    averaged = claim.rates_changed()
    for currency, lines in claim.lines.groupby("currency", sort=False):
        money = money_of[currency]
        y = table.section(page, y, currency if len(totals) > 1 else None)
        for at, line in zip(lines.index, lines.itertuples(index=False), strict=True):
            cells = [str(line.invoice_id), day(pd.Timestamp(line.due_date).date()),
                     day(pd.Timestamp(line.paid_on).date()), money(line.paid) if line.paid > 0.004 else "",
                     str(int(line.days)), rate_text(line.rate, locale) + ("*" if averaged[at] else ""),
                     money(line.interest),
                     money(line.compensation) if line.compensation else ""]
            y = table.row(page, y, cells)
        row = totals.set_index("currency").loc[currency]
        if y > BODY_BOTTOM - 12:
            page.pdf.add_page()
            y = 20.0
        page.pdf.set_draw_color(*MUTED)
        page.pdf.line(LEFT, y + 1, LEFT + WIDTH, y + 1)
        page.font(8.5, bold=True)
        page.at(LEFT, y + 2, sum(widths[:6]) - 1, 5, "Total", align="L")
        page.at(LEFT + sum(widths[:6]), y + 2, widths[6] - 1, 5, money(row["interest"]), align="R")
        page.at(LEFT + sum(widths[:7]), y + 2, widths[7] - 1, 5, money(row["compensation"]) if row["compensation"]
                else "", align="R")
        y += 10
    grace_days = claim.terms.grace_days
    grace = f", counted from {grace_days} days after the due date" if grace_days else ""
    owed = " and ".join(money_of[r.currency](r.total) for r in totals.itertuples())
    text = (f"Interest is simple interest on each amount paid late, for the days it was late{grace}, at the "
            "rate a year shown, over 365 days. "
            + (_rates_note(claim.rates_used(), locale, day) if averaged.any() else "")
            + ("The fixed sum compensates the costs of recovering each invoice paid late. "
               if (totals["compensation"] > 0).any() else "")
            + f"Please pay {owed} at {sender.link_for(customer['customer_id'])}.")
    text += f" Questions: {sender.contact}." if sender.contact else ""
    _closing(page, y, text)
