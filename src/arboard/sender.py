"""Who the messages, letters and statements come from: the company's name, address, contact
details, bank details and the pay link messages carry.

Saved in the database (``arboard_meta``), so every user of a team database prints the same
letterhead. Until it is set, letters carry no letterhead and messages the example pay link.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from urllib.parse import quote, urlsplit

from sqlalchemy.engine import Engine

from arboard.db import get_meta_json, set_meta
from arboard.errors import ArboardError

KEY = "sender"
PAY_LINK = "https://pay.example.com/{customer_id}"
MAX_LINE = 120
MAX_ADDRESS_LINES = 4
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Sender:
    """The company that collects. ``pay_link`` is a web address in which ``{customer_id}`` stands for
    the debtor's id (optional: one link for everyone is allowed)."""

    name: str = ""
    address: tuple[str, ...] = field(default_factory=tuple)  # street, postal code and city, ...
    country: str = ""  # ISO code, e.g. "DE": a letter to another country prints the country's name
    contact: str = ""  # phone, e-mail, web site: one line
    payment: str = ""  # bank details: one line
    pay_link: str = PAY_LINK

    def link_for(self, customer_id: object) -> str:
        """The pay link of one debtor (:func:`link`)."""
        return link(self.pay_link, customer_id)

    @property
    def is_set(self) -> bool:
        return bool(self.name)


def link(pattern: str, customer_id: object) -> str:
    """``pattern`` with the debtor's id for ``{customer_id}``, escaped: no id can change where the link goes."""
    return pattern.replace("{customer_id}", quote(str(customer_id), safe=""))


def check(sender: Sender) -> Sender:
    """The sender tidied (spaces trimmed, empty address lines dropped), or an :class:`ArboardError`
    saying what is wrong."""
    lines = tuple(line.strip() for line in sender.address if line and line.strip())
    tidy = Sender(name=sender.name.strip(), address=lines, country=sender.country.strip().upper(),
                  contact=sender.contact.strip(), payment=sender.payment.strip(),
                  pay_link=sender.pay_link.strip() or PAY_LINK)
    if len(lines) > MAX_ADDRESS_LINES:
        raise ArboardError(f"The address has {len(lines)} lines; a letter's window takes at most "
                           f"{MAX_ADDRESS_LINES}.", where="address")
    for name, value in [("name", tidy.name), ("contact", tidy.contact), ("payment", tidy.payment),
                        *(("address", line) for line in lines)]:
        if len(value) > MAX_LINE:
            raise ArboardError(f"The {name} is {len(value)} characters long; at most {MAX_LINE} fit on a line.",
                               where=name)
        if _CONTROL.search(value):
            raise ArboardError(f"The {name} contains a control character (a tab or line break).", where=name)
    if tidy.country and not re.fullmatch(r"[A-Z]{2}", tidy.country):
        raise ArboardError(f"The country {tidy.country!r} is not a two-letter code such as DE or GB.",
                           where="country")
    link = tidy.pay_link
    parts = urlsplit(link.replace("{customer_id}", "x"))
    if parts.scheme not in ("https", "http") or not parts.netloc or _CONTROL.search(link) or " " in link:
        raise ArboardError(f"The pay link {link!r} is not a web address (https://...).", where="pay_link")
    rest = link.replace("{customer_id}", "")
    if "{" in rest or "}" in rest:
        raise ArboardError("The pay link may hold {customer_id} and no other braces.", where="pay_link")
    if len(link) > 300:
        raise ArboardError("The pay link is longer than 300 characters.", where="pay_link")
    return tidy


def load(engine: Engine) -> Sender:
    """The saved sender, or the default (no letterhead, the example pay link)."""
    data = get_meta_json(engine, KEY)
    try:
        return Sender(**{**data, "address": tuple(data.get("address") or ())}) if data else Sender()
    except (TypeError, AttributeError):  # written by a newer arboard, or edited by hand: start from the default
        return Sender()


def save(engine: Engine, sender: Sender) -> Sender:
    """Check and save the sender; returns it as saved."""
    tidy = check(sender)
    text = json.dumps({**asdict(tidy), "address": list(tidy.address)}, ensure_ascii=False)
    if len(text) > 2000:
        raise ArboardError("The sender's details are too long to save (2,000 characters in all).")
    with engine.begin() as conn:
        set_meta(conn, KEY, text)
    return tidy
