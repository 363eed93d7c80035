"""A realistic, seeded sample ledger.

Customers follow behaviour archetypes a credit manager recognises:

- ``punctual``: pays on or before the due date;
- ``forgetful``: pays right after the first reminder;
- ``late_responsive``: chronically 2–6 weeks late, but answers and keeps most promises;
- ``unable``: willing but short of cash: partial payments, broken promises, lateness and
  balance rising over time, utilisation near the credit limit;
- ``wont_pay``: ignores contact, disputes without substance, often never pays;
- ``new``: joined in the last two months, no history yet (behaves like one of the others).

Most disputes end in payment once resolved. What is never paid is written off 8–14 months after its due
date: cleared with no payment, as a write-off shows among an ERP's cleared items.

About 8 % have missing contact data (no e-mail, sometimes no phone either), and about 8 % of business
customers are also billed in a second currency (euros, or dollars for euro customers). Amounts are sized in
each currency (a Swedish invoice in kronor is about eleven times its euro value) and the sample saves its
exchange rates into euros, so all currencies add up from the start. Invoices are written
in chunks with numpy, so 10 million invoices take minutes and memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import events, fx, schema, store
from arboard.db import bump_data_version, get_meta, set_meta
from arboard.errors import ArboardError
from arboard.summary import REPORT_DATE_KEY, SAMPLE_SOURCE, is_sample
from arboard.words import counted

ARCHETYPES = ("punctual", "forgetful", "late_responsive", "unable", "wont_pay")
ARCHETYPE_SHARES = (0.45, 0.22, 0.17, 0.09, 0.07)
NEW_SHARE = 0.08
MISSING_CONTACT_SHARE = 0.08
SECOND_CURRENCY_SHARE = 0.08  # of business customers
SECOND_CURRENCY_INVOICES = 0.35  # of those customers' invoices
DISPUTES_SETTLED = 0.8  # share of disputes on otherwise unpaid invoices that end in payment
WRITE_OFF_DAYS = (240, 420)  # an invoice never paid is written off this many days after its due date
# Why invoices are disputed, as an ERP's dispute reason codes say; per archetype (on time, forgets,
# late, cannot pay, won't pay): good payers dispute paperwork, those who won't pay dispute the goods.
DISPUTE_REASONS = ("Price difference", "Quantity or delivery", "Quality or damage", "Missing purchase order",
                   "Duplicate billing", "Not ordered")
DISPUTE_REASON_SHARES = np.array([
    [0.30, 0.20, 0.10, 0.25, 0.15, 0.00],
    [0.30, 0.20, 0.10, 0.25, 0.15, 0.00],
    [0.30, 0.25, 0.20, 0.15, 0.10, 0.00],
    [0.25, 0.25, 0.30, 0.10, 0.05, 0.05],
    [0.10, 0.20, 0.35, 0.05, 0.05, 0.25],
])
UNAPPLIED_DAYS = 45  # payments on account stay unapplied for at most this long
UNIDENTIFIED_SHARE = 0.03  # of recent payments, the share the ERP posts on account (no invoice reference)
PAID_TWICE_SHARE = 0.005  # of recent payments, the share a debtor's accounts payable sends a second time
PLAN_CALL_DAYS = 32  # days after the due date the call comes that offers unable payers a payment plan
# Illustrative rates into the sample's reporting currency (one unit in EUR). Amounts are drawn in euros
# and written in the currency billed at these rates, so a Swedish invoice is SEK-sized; credit limits
# stay in euros, the reporting currency their balances are compared with.
REPORTING = "EUR"
SAMPLE_RATES = {"CHF": 1.06, "GBP": 1.17, "SEK": 0.087, "USD": 0.92}
# What a team enters in arboard about a ledger: it goes with the sample, since it is about the sample's debtors.
ENTERED_TABLES = (schema.dispute_decisions, schema.outreach_holds, schema.credit_holds,
                  schema.credit_hold_exemptions, schema.credit_hold_exemptions_lifted, schema.specific_provisions,
                  schema.interest_claimed, schema.cash_decisions)

_COUNTRIES = [  # code, currency, locale, weight
    ("DE", "EUR", "de_DE", 0.26), ("FR", "EUR", "fr_FR", 0.14), ("NL", "EUR", "nl_NL", 0.08),
    ("ES", "EUR", "es_ES", 0.07), ("IT", "EUR", "it_IT", 0.07), ("GB", "GBP", "en_GB", 0.14),
    ("US", "USD", "en_US", 0.16), ("CH", "CHF", "de_CH", 0.04), ("SE", "SEK", "sv_SE", 0.04),
]
_INDUSTRIES = ["Manufacturing", "Wholesale", "Retail", "Construction", "Logistics", "Healthcare",
               "Software", "Hospitality", "Energy", "Professional services", "Agriculture", "Media"]
_NAME_A = ["Nord", "Süd", "Alpen", "Rhein", "Atlas", "Blue", "Cedar", "Delta", "Eagle", "Fjord", "Granit",
           "Harbor", "Iris", "Jade", "Kestrel", "Linden", "Meridian", "Nova", "Orion", "Pioneer", "Quartz",
           "River", "Summit", "Terra", "Union", "Vector", "Willow", "Zenith", "Lumen", "Polar"]
_NAME_B = ["tech", "bau", "logistik", " Foods", " Metals", " Systems", " Trading", " Textiles", " Energy",
           " Pharma", " Media", " Plastics", " Components", " Farms", " Hotels", " Consulting"]
_LEGAL = {"DE": " GmbH", "FR": " SARL", "NL": " B.V.", "ES": " S.L.", "IT": " S.r.l.", "GB": " Ltd",
          "US": " Inc.", "CH": " AG", "SE": " AB"}
_FIRST = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Hugo", "Ines", "Jonas", "Lea", "Marc",
          "Nina", "Oskar", "Paula", "Rosa", "Sven", "Tom", "Ula", "Victor", "Lucía", "Chloé", "Søren"]
_LAST = ["Müller", "Martin", "Jansen", "García", "Rossi", "Smith", "Johnson", "Keller", "Nilsson", "Weber",
         "Bernard", "de Vries", "López", "Bianchi", "Brown", "Meier", "Lindqvist", "Schmidt", "Dubois"]
# Per country: street names, cities and how a postal code is written (# a digit).
_ADDRESSES = {
    "DE": (["Hauptstraße", "Bahnhofstraße", "Gartenweg", "Industriestraße", "Lindenallee", "Am Markt"],
           ["Berlin", "Hamburg", "München", "Köln", "Leipzig", "Stuttgart"], "#####"),
    "FR": (["rue de la République", "avenue Victor Hugo", "boulevard Voltaire", "rue des Lilas", "quai de Seine"],
           ["Paris", "Lyon", "Marseille", "Toulouse", "Lille", "Nantes"], "#####"),
    "NL": (["Dorpsstraat", "Kerkstraat", "Stationsweg", "Molenweg", "Havenkade"],
           ["Amsterdam", "Rotterdam", "Utrecht", "Eindhoven", "Groningen"], "#### AB"),
    "ES": (["Calle Mayor", "Avenida de la Constitución", "Calle Real", "Paseo del Prado", "Calle Nueva"],
           ["Madrid", "Barcelona", "Valencia", "Sevilla", "Bilbao"], "#####"),
    "IT": (["Via Roma", "Via Garibaldi", "Corso Italia", "Via Dante", "Piazza Verdi"],
           ["Milano", "Roma", "Torino", "Bologna", "Firenze"], "#####"),
    "GB": (["High Street", "Station Road", "Church Lane", "Mill Road", "Victoria Street"],
           ["London", "Manchester", "Leeds", "Bristol", "Glasgow"], "AB# #AB"),
    "US": (["Main Street", "Oak Avenue", "Maple Drive", "Market Street", "Lake Road"],
           ["Chicago", "Denver", "Austin", "Boston", "Seattle"], "#####"),
    "CH": (["Bahnhofstrasse", "Seestrasse", "Dorfstrasse", "Kirchgasse", "Bergstrasse"],
           ["Zürich", "Bern", "Basel", "Luzern", "Genève"], "####"),
    "SE": (["Storgatan", "Kungsgatan", "Drottninggatan", "Skolgatan", "Hamngatan"],
           ["Stockholm", "Göteborg", "Malmö", "Uppsala", "Lund"], "### ##"),
}
_METHODS_B2B = np.array(["bank_transfer", "bank_transfer", "bank_transfer", "direct_debit", "cheque"])
_METHODS_B2C = np.array(["card", "card", "direct_debit", "paypal", "bank_transfer"])


@dataclass(frozen=True)
class SampleSpec:
    """Size and shape of a generated ledger."""

    customers: int = 5_000
    invoices: int = 100_000
    seed: int = 7
    end: date = date(2026, 11, 20)
    months: int = 27
    chunk_size: int = 200_000


def _addresses(codes: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A street address, postal code and city in each customer's country (a stream of its own: the
    rest of the sample stays as it was before addresses)."""
    n = len(codes)
    street, postal, city = (np.empty(n, dtype=object) for _ in range(3))
    number = rng.integers(1, 180, n)
    letters = np.array(list("ABDEFHJLNPRSTWXY"))
    for code, (streets, cities, pattern) in _ADDRESSES.items():
        at = np.flatnonzero(codes == code)
        if not len(at):
            continue
        names = np.array(streets, dtype=object)[rng.integers(0, len(streets), len(at))]
        # House number after the street, as most of these countries write it (before it in GB, US, FR).
        first = code in ("GB", "US", "FR")
        street[at] = [f"{k} {s}" if first else f"{s} {k}" for s, k in zip(names, number[at], strict=True)]
        city[at] = np.array(cities, dtype=object)[rng.integers(0, len(cities), len(at))]
        code_chars = np.full(len(at), "", dtype=object)
        for i, ch in enumerate(pattern):  # vectorised per position: 500k customers at 10M invoices
            code_chars += (rng.integers(1 if i == 0 else 0, 10, len(at)).astype(str).astype(object) if ch == "#"
                           else letters[rng.integers(0, len(letters), len(at))].astype(object) if ch.isalpha()
                           else ch)
        postal[at] = code_chars
    return street, postal, city


# The credit team of the sample: business debtors by region, consumers on one desk.
_COLLECTORS = {"DE": "Katrin Vogel", "CH": "Katrin Vogel", "FR": "Julien Moreau", "NL": "Julien Moreau",
               "ES": "Elena Ruiz", "IT": "Elena Ruiz", "GB": "Oliver Hughes", "US": "Oliver Hughes",
               "SE": "Oliver Hughes"}
CONSUMER_DESK = "Consumer desk"


def _collectors(codes: np.ndarray, b2b: np.ndarray, is_new: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Who works each debtor (a stream of its own, as for addresses); half the new debtors have
    nobody yet, as in a team that assigns new accounts once a week."""
    who = np.where(b2b, pd.Series(codes).map(_COLLECTORS).to_numpy(dtype=object), CONSUMER_DESK)
    return np.where(is_new & (rng.random(len(codes)) < 0.5), None, who)


def _customers(spec: SampleSpec, rng: np.random.Generator) -> pd.DataFrame:
    n = spec.customers
    start = spec.end - timedelta(days=round(spec.months * 30.44))
    arche = rng.choice(len(ARCHETYPES), size=n, p=ARCHETYPE_SHARES)
    is_new = rng.random(n) < NEW_SHARE
    b2b = rng.random(n) < 0.72
    country_idx = rng.choice(len(_COUNTRIES), size=n, p=[c[3] for c in _COUNTRIES])
    codes = np.array([c[0] for c in _COUNTRIES])[country_idx]
    # Established customers joined before the window or during it; new ones in the last 60 days.
    joined_offset = np.where(
        is_new, rng.integers(1, 60, n),
        np.where(rng.random(n) < 0.75, rng.integers((spec.end - start).days, (spec.end - start).days + 2000, n),
                 rng.integers(90, (spec.end - start).days, n)))
    created = pd.Timestamp(spec.end) - pd.to_timedelta(joined_offset, unit="D")
    a = rng.integers(0, len(_NAME_A), n)
    b = rng.integers(0, len(_NAME_B), n)
    company = [f"{_NAME_A[i]}{_NAME_B[j]}{_LEGAL[c]}" for i, j, c in zip(a, b, codes, strict=True)]
    person = [f"{_FIRST[i % len(_FIRST)]} {_LAST[j % len(_LAST)]}"
              for i, j in zip(rng.integers(0, 1000, n), rng.integers(0, 1000, n), strict=True)]
    names = np.where(b2b, company, person)
    ids = pd.Series(np.arange(1, n + 1)).map("C{:06d}".format).to_numpy()
    slug = pd.Series(names).str.lower().str.replace(r"[^a-z0-9]+", "", regex=True).str.slice(0, 18)
    email = np.where(b2b, "ar@" + slug + ".example.com", slug + "@mail.example.org")
    phone = np.char.add(np.char.add("+", rng.integers(30, 50, n).astype(str)),
                        np.char.add(" ", rng.integers(100_000_000, 999_999_999, n).astype(str)))
    missing = rng.random(n) < MISSING_CONTACT_SHARE
    no_phone = missing & (rng.random(n) < 0.5)
    volume = rng.lognormal(np.where(b2b, 0.4, -0.6), 0.9)
    # A limit of about four months of the debtor's expected sales, spread as limits are (the
    # same draws as a flat spread had, so nothing else in the sample moves); consumers have none.
    headroom = np.sqrt(rng.lognormal(10.2, 0.8, n) / np.exp(10.2))
    score = np.clip(rng.normal(np.array([78, 70, 58, 38, 45])[arche], 12), 1, 100).round()
    score = np.where(rng.random(n) < 0.6, score, np.nan)
    channel = np.where(b2b, rng.choice(["email", "email", "portal", "letter"], n),
                       rng.choice(["sms", "email", "email"], n))
    channel = np.where(missing, "letter", channel)
    home = np.array([c[1] for c in _COUNTRIES])[country_idx]
    active = ((pd.Timestamp(spec.end) - np.maximum(created, pd.Timestamp(start))).days + 1).to_numpy(dtype=float)
    monthly = spec.invoices * volume / (volume * active).sum() * 30.44 * np.exp(7.6 + 0.9 ** 2 / 2)
    credit_limit = np.where(b2b, np.maximum(1000.0, np.round(4 * monthly * headroom / _per_unit(home), -3)), np.nan)
    # Drawn from a stream of their own, so that adding them left the rest of the sample as it was.
    extra = np.random.default_rng([spec.seed, 0, 1])
    second = np.where(b2b & (extra.random(n) < SECOND_CURRENCY_SHARE), np.where(home == "EUR", "USD", "EUR"), None)
    street, postal_code, city = _addresses(codes, np.random.default_rng([spec.seed, 0, 2]))
    return pd.DataFrame({
        "customer_id": ids,
        "name": names,
        "country": codes,
        "industry": np.where(b2b, np.array(_INDUSTRIES)[rng.integers(0, len(_INDUSTRIES), n)], None),
        "customer_type": np.where(b2b, "B2B", "B2C"),
        "credit_limit": credit_limit,
        "credit_score": score,
        "email": np.where(missing, None, email),
        "phone": np.where(no_phone, None, phone),
        "preferred_channel": channel,
        "created_at": created.normalize(),
        "locale": np.array([c[2] for c in _COUNTRIES])[country_idx],
        # A few debtors have withdrawn consent for a channel.
        "opt_out": np.select([rng.random(n) < 0.03, rng.random(n) < 0.02], ["sms", "phone,sms"], None),
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "collector": _collectors(codes, b2b, is_new, np.random.default_rng([spec.seed, 0, 3])),
        # generation-only columns
        "_arche": arche,
        "_new": is_new,
        "_b2b": b2b,
        "_currency": home,
        "_second_currency": second,
        "_volume": volume,
        "_terms": np.where(b2b, rng.choice([14, 30, 30, 30, 45, 60], n), 14),
        "_missing": missing,
    })


def _invoice_chunk(cust: pd.DataFrame, spec: SampleSpec, rng: np.random.Generator, first: int, size: int,
                   start: pd.Timestamp) -> dict[str, pd.DataFrame]:
    end = pd.Timestamp(spec.end)
    window_start = np.maximum(cust["created_at"].to_numpy(), start.to_datetime64())
    active_days = (end.to_datetime64() - window_start).astype("timedelta64[D]").astype(float) + 1
    weight = cust["_volume"].to_numpy() * active_days
    ci = rng.choice(len(cust), size=size, p=weight / weight.sum())
    c = {k: cust[k].to_numpy()[ci] for k in ("customer_id", "_arche", "_b2b", "_currency", "_second_currency", "_terms",
                                             "_missing", "collector")}
    extra = np.random.default_rng([spec.seed, first, 1])  # a stream of its own (see _customers)
    second = pd.notna(c["_second_currency"]) & (extra.random(size) < SECOND_CURRENCY_INVOICES)
    billed = np.where(second, c["_second_currency"], c["_currency"]).astype(object)
    offset = (rng.random(size) * active_days[ci]).astype("int64")
    inv_date = window_start[ci] + offset.astype("timedelta64[D]")
    t = (inv_date - start.to_datetime64()).astype("timedelta64[D]").astype(float) / max((end - start).days, 1)
    terms = c["_terms"]
    due = inv_date + terms.astype("timedelta64[D]")
    amount = np.round(rng.lognormal(np.where(c["_b2b"], 7.6, 4.6), 0.9) / _per_unit(billed), 2)
    credit_note = rng.random(size) < 0.03
    amount = np.where(credit_note, -np.round(amount * rng.uniform(0.05, 0.6, size), 2), amount)
    arche = c["_arche"]
    disputed = rng.random(size) < np.array([0.01, 0.02, 0.04, 0.05, 0.16])[arche]
    disputed &= ~credit_note

    # Days after the due date at which the invoice is settled, by archetype.
    delay = np.empty(size)
    m = arche == 0
    delay[m] = np.where(rng.random(m.sum()) < 0.93, -rng.integers(0, 8, m.sum()), rng.integers(1, 6, m.sum()))
    m = arche == 1
    delay[m] = np.where(rng.random(m.sum()) < 0.25, -rng.integers(0, 4, m.sum()), 3 + rng.integers(1, 7, m.sum()))
    m = arche == 2
    delay[m] = rng.gamma(4.0, 7.0, m.sum()) + 8
    m = arche == 3
    delay[m] = 25 + 90 * t[m] ** 1.5 + rng.gamma(2.0, 12.0, m.sum())  # lateness grows: rising balance
    m = arche == 4
    delay[m] = 55 + rng.gamma(2.0, 35.0, m.sum())
    never = (arche == 4) & (rng.random(size) < 0.2) | (arche == 3) & (rng.random(size) < 0.05 + 0.15 * t)
    # Most disputes end in payment once resolved; the rest stay open until written off.
    never &= ~(disputed & (extra.random(size) < DISPUTES_SETTLED))
    delay = np.where(disputed, delay + rng.integers(20, 70, size), delay)
    paid = due + np.round(delay).astype("timedelta64[D]")
    paid = np.maximum(paid, inv_date)
    paid_dt = np.where(never, np.datetime64("NaT"), paid)
    # Credit notes are applied within a month; a few stay open as unapplied credit.
    cn_paid = inv_date + rng.integers(0, 30, size).astype("timedelta64[D]")
    paid_dt = np.where(credit_note, np.where(rng.random(size) < 0.85, cn_paid, np.datetime64("NaT")), paid_dt)
    settled = ~np.isnat(paid_dt) & (paid_dt <= end.to_datetime64())  # by cash
    # What is never paid is written off once the collection agency gives up: cleared with no payment,
    # as a write-off shows in an ERP's cleared items. Without it, overdue balances would only grow.
    write_off_on = due + extra.integers(*WRITE_OFF_DAYS, size).astype("timedelta64[D]")
    written_off = never & ~credit_note & (write_off_on <= end.to_datetime64())
    final_paid = np.where(settled, paid_dt, np.where(written_off, write_off_on, np.datetime64("NaT")))

    # Reasons from a stream of their own, so that adding them changed no other draw.
    pick = (np.random.default_rng([spec.seed, first, 2]).random(size)[:, None]
            > DISPUTE_REASON_SHARES.cumsum(axis=1)[arche]).sum(axis=1)
    reason = np.where(disputed, np.array(DISPUTE_REASONS, dtype=object)[np.minimum(pick, len(DISPUTE_REASONS) - 1)],
                      None)

    ids = np.char.add("INV", np.char.zfill(np.arange(first, first + size).astype(str), 9))
    invoices = pd.DataFrame({
        "invoice_id": ids, "customer_id": c["customer_id"], "invoice_date": inv_date, "due_date": due,
        "amount": amount, "currency": billed, "paid_date": final_paid, "disputed": disputed,
        "dispute_reason": reason,
    })

    # Payments: one per settled invoice; unable payers pay in 2-4 instalments, also on open items.
    pos = ~credit_note
    partial = pos & (arche == 3) & (rng.random(size) < 0.6)
    k = np.where(partial, rng.integers(2, 5, size), 1)
    last = np.where(settled, paid_dt, np.where(never, np.minimum(write_off_on, end.to_datetime64()),
                                               np.datetime64("NaT")))
    eligible = pos & (settled | partial)
    rep = np.repeat(np.flatnonzero(eligible), k[eligible])
    j = np.concatenate([np.arange(n) for n in k[eligible]]) if len(rep) else np.array([], dtype=int)
    kk = k[rep]
    span = (last[rep] - due[rep]).astype("timedelta64[D]").astype(float)
    span = np.where(np.isnan(span), 0, np.maximum(span, 0))
    pay_date = due[rep] + np.round(span * (j + 1) / kk).astype("timedelta64[D]")
    pay_date = np.where(kk == 1, last[rep], pay_date)
    share = np.where(kk == 1, 1.0, 1.0 / kk)
    pay_amt = np.round(amount[rep] * share, 2)
    # The last instalment of a settled invoice settles it to the cent; open ones stop short.
    last_inst = (j == kk - 1) & (kk > 1)
    pay_amt = np.where(last_inst & settled[rep], np.round(amount[rep] - pay_amt * (kk - 1), 2), pay_amt)
    keep = (pay_date <= end.to_datetime64()) & ~(last_inst & ~settled[rep])
    pay_ids = np.char.add("PAY", np.char.add(np.char.zfill((first + rep).astype(str), 9),
                                             np.char.add("-", j.astype(str))))
    b2b_rep = c["_b2b"][rep]
    method = np.where(b2b_rep, _METHODS_B2B[rng.integers(0, 5, len(rep))], _METHODS_B2C[rng.integers(0, 5, len(rep))])
    payments = pd.DataFrame({
        "payment_id": pay_ids[keep], "invoice_id": ids[rep][keep], "customer_id": c["customer_id"][rep][keep],
        "payment_date": pay_date[keep], "amount": pay_amt[keep], "method": method[keep],
        "currency": billed[rep][keep],
    })
    # A few payments on account, not yet applied to an invoice: received in the last weeks (cash
    # application matches older ones, so they do not pile up over the years).
    recent = np.flatnonzero(inv_date >= end.to_datetime64() - np.timedelta64(UNAPPLIED_DAYS + 60, "D"))
    n_unapplied = int(size * 0.003) if len(recent) else 0
    if n_unapplied:
        ui = recent[rng.integers(0, len(recent), n_unapplied)]
        ud = inv_date[ui] + rng.integers(0, 60, n_unapplied).astype("timedelta64[D]")
        ok = (ud <= end.to_datetime64()) & (ud > end.to_datetime64() - np.timedelta64(UNAPPLIED_DAYS, "D"))
        unapplied = pd.DataFrame({
            "payment_id": np.char.add("ONA", np.char.zfill((first + ui).astype(str), 9))[ok],
            "invoice_id": None, "customer_id": c["customer_id"][ui][ok], "payment_date": ud[ok],
            "amount": np.round(rng.lognormal(5, 1, n_unapplied) / _per_unit(c["_currency"][ui]), 2)[ok],
            "method": "bank_transfer",
            "currency": c["_currency"][ui][ok],
        }).drop_duplicates("payment_id")
        payments = pd.concat([payments, unapplied], ignore_index=True)
    payments["reference"] = None  # the sample gives a remittance text to the payments on account only
    payments = _unidentified(payments, invoices, end, np.random.default_rng([spec.seed, first, 4]), ids,
                             b2b=c["_b2b"], eligible=pos & settled & (k == 1), debtors=c["customer_id"],
                             texts=np.random.default_rng([spec.seed, first, 5]))
    payments = _paid_twice(payments, end, np.random.default_rng([spec.seed, first, 6]), ids,
                           eligible=pos & settled & (k == 1))

    # What is still open when the payment-plan call comes: the plan is for that, not the whole invoice.
    early = keep & (pay_date < due[rep] + np.timedelta64(PLAN_CALL_DAYS, "D"))
    open_at_call = np.round(amount - np.bincount(rep[early], weights=pay_amt[early], minlength=size), 2)
    contacts = _contacts(rng, ids, c, inv_date, due, paid_dt, amount, credit_note, disputed, end, first,
                         open_at_call)
    # Notes from a stream of their own too: adding them changed no other draw.
    contacts["note"] = _notes(contacts, np.random.default_rng([spec.seed, first, 3]))
    return {"invoices": invoices, "payments": payments, "contacts": contacts}


def _recent_whole(payments: pd.DataFrame, ids: np.ndarray, end: pd.Timestamp, *, eligible: np.ndarray
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Where each payment's invoice stands in ``ids`` (NaN: none of them), and which payments are recent
    (the last :data:`UNAPPLIED_DAYS`) and pay an ``eligible`` invoice (one payment for all of it)."""
    at = pd.Series(np.arange(len(ids)), index=ids).reindex(payments["invoice_id"]).to_numpy()
    whole = ~np.isnan(at)
    whole[whole] = eligible[at[whole].astype(int)]
    horizon = end.to_datetime64() - np.timedelta64(UNAPPLIED_DAYS, "D")
    return at, whole & (payments["payment_date"].to_numpy() > horizon)


def _unidentified(payments: pd.DataFrame, invoices: pd.DataFrame, end: pd.Timestamp, rng: np.random.Generator,
                  ids: np.ndarray, *, b2b: np.ndarray, eligible: np.ndarray, debtors: np.ndarray,
                  texts: np.random.Generator) -> pd.DataFrame:
    """Turn a few recent payments into payments the ERP could not match: posted on account, their invoices
    left open (``invoices`` is changed in place), as cash application finds them.

    Most are for the exact amount; some pay the debtor's other invoices of that week too, some
    take a 2% cash discount (businesses), some arrive short by bank charges and a few are posted to
    another debtor's account. From a stream of their own, so no other draw changes. Their remittance
    texts (:func:`_remittance`) come from ``texts``, a stream of its own too.
    """
    at, recent = _recent_whole(payments, ids, end, eligible=eligible)
    seed = recent & (rng.random(len(payments)) < UNIDENTIFIED_SHARE)
    if not seed.any():
        return payments
    group = pd.Series(-1, index=payments.index)
    group[seed] = np.arange(seed.sum())
    # A business pays the other invoices it settles within a week of one in the same transfer now and then.
    bundles = payments[seed & b2b[np.nan_to_num(at, nan=0).astype(int)] & (rng.random(len(payments)) < 0.3)]
    others = payments[recent & ~seed]
    near = bundles.reset_index().merge(others.reset_index(), on=["customer_id", "currency"], suffixes=("", "_o"))
    near = near[(near["payment_date_o"] - near["payment_date"]).abs() <= pd.Timedelta(days=7)]
    near = near.drop_duplicates("index_o")
    group[near["index_o"].to_numpy()] = group[near["index"].to_numpy()].to_numpy()
    pick = (group >= 0).to_numpy()
    chosen = payments[pick].assign(group=group[pick], b2b=b2b[at[pick].astype(int)])
    invoices.loc[invoices["invoice_id"].isin(chosen["invoice_id"]), "paid_date"] = pd.NaT
    grouped = chosen.sort_values("payment_date", kind="stable").groupby("group", sort=True).agg(
        payment_id=("payment_id", "first"), customer_id=("customer_id", "first"),
        payment_date=("payment_date", "max"), amount=("amount", "sum"), currency=("currency", "first"),
        method=("method", "first"), b2b=("b2b", "first"), invoices=("invoice_id", list))
    kind = rng.random(len(grouped))
    discount = grouped["b2b"].to_numpy(bool) & (kind < 0.15)
    short = ~discount & (kind > 0.85)
    amount = grouped["amount"].to_numpy(float)
    charges = np.round(rng.uniform(2, 15, len(grouped)) / _per_unit(grouped["currency"].to_numpy()), 2)
    amount = np.where(discount, np.round(amount * 0.98, 2), np.where(short, np.round(amount - charges, 2), amount))
    grouped["amount"] = np.round(amount, 2)
    wrong = (kind >= 0.8) & (kind < 0.84)
    grouped.loc[wrong, "customer_id"] = debtors[rng.integers(0, len(debtors), int(wrong.sum()))]
    grouped["invoice_id"] = None
    grouped["reference"] = _remittance(grouped["invoices"], texts)
    grouped["payment_id"] = "ONA" + grouped["payment_id"].str.slice(3, 12) + "U"  # PAY000000042-0: ONA000000042U
    return pd.concat([payments[~pick], grouped[payments.columns]], ignore_index=True)


def _paid_twice(payments: pd.DataFrame, end: pd.Timestamp, rng: np.random.Generator, ids: np.ndarray, *,
                eligible: np.ndarray) -> pd.DataFrame:
    """Add a few payments sent twice: a recent payment of a whole invoice again, days later, with the invoice
    number as its reference. The invoice is cleared, so the ERP posts the second on account."""
    _at, recent = _recent_whole(payments, ids, end, eligible=eligible)
    again = payments[recent & (rng.random(len(payments)) < PAID_TWICE_SHARE)].copy()
    again["payment_date"] = again["payment_date"] + rng.integers(2, 21, len(again)).astype("timedelta64[D]")
    again = again[again["payment_date"] <= end]
    again["reference"] = again["invoice_id"]
    again["invoice_id"] = None
    again["payment_id"] = "DUP" + again["payment_id"].str.slice(3, 12)  # PAY000000042-0: DUP000000042
    return pd.concat([payments, again], ignore_index=True)


# What a debtor writes on a transfer the ERP could not apply: the invoice numbers in a spelling its
# matching did not take (a dash, lower case, a word before them), only the digits, or nothing useful.
_NOISE = ("Payment", "Thank you", "Sammelzahlung", "Remittance", "Zahlung Kd-Nr", "Paiement facture", "Pago")


def _remittance(invoices: pd.Series, rng: np.random.Generator) -> list[str | None]:
    """A remittance text for each payment of ``invoices`` (lists of invoice numbers such as INV000000042):
    more than half name them, some by the digits only, the rest say nothing that names an invoice."""
    out: list[str | None] = []
    for numbers, draw in zip(invoices, rng.random(len(invoices)), strict=True):
        if draw < 0.15:
            out.append(" ".join(numbers))
        elif draw < 0.30:
            out.append("Invoice " + ", ".join(f"INV-{n[3:]}" for n in numbers))
        elif draw < 0.45:
            out.append("Rechnung " + " ".join(n.lower() for n in numbers))
        elif draw < 0.55:
            out.append(f"RE {numbers[0]}")  # the first of several only
        elif draw < 0.65:
            out.append("Inv " + " ".join(n[3:].lstrip("0") for n in numbers))  # the digits alone, no leading zeros
        elif draw < 0.85:
            out.append(_NOISE[int(draw * 1000) % len(_NOISE)])
        else:
            out.append(None)
    return out


def _per_unit(currencies: np.ndarray) -> np.ndarray:
    """The value in euros of one unit of each currency (the sample's rates)."""
    return pd.Series(currencies).map(SAMPLE_RATES).fillna(1.0).to_numpy()


PERSONAL_KINDS = ("call", "promise_to_pay", "payment_plan")
NOTE_SHARE = 0.6  # of a person's contacts (calls, promises, plans), the share the collector wrote a note on
# What a collector writes after a call, by kind and outcome of the contact.
SAMPLE_NOTES = {
    ("call", "responded"): (
        "Spoke to accounts payable: the invoice is in their approval workflow.",
        "Reached the bookkeeper; they are checking whether the invoice was received.",
        "Asked for a copy of the invoice; sent it by e-mail.",
        "Spoke to the owner: waiting for a customer's payment, will pay once it arrives.",
    ),
    ("call", "no_response"): (
        "No answer; left a voicemail asking them to call back.",
        "Reception says the person in charge is out; try again tomorrow morning.",
        "The number rang out. Try the mobile next time.",
    ),
    ("promise_to_pay", "promised"): (
        "Promised to pay by the date agreed; confirmed by e-mail.",
        "Will pay with their next payment run.",
        "Promised to pay; asked us to hold the reminders until then.",
    ),
    ("payment_plan", "promised"): (
        "Cash-flow problem: agreed instalments by bank transfer.",
        "Lost a large customer this year; payment plan agreed, first instalment confirmed.",
    ),
}


def _contacts(rng, ids, c, inv_date, due, paid_dt, amount, credit_note, disputed, end, first,
              open_at_call) -> pd.DataFrame:
    size = len(ids)
    arche = c["_arche"]
    end64 = end.to_datetime64()
    unpaid_at = lambda d: np.isnat(paid_dt) | (paid_dt > d)  # noqa: E731 - local shorthand
    has_email = ~c["_missing"]
    digital = np.where(has_email, np.where(c["_b2b"], "email", np.where(rng.random(size) < 0.5, "sms", "email")),
                       "letter")
    frames = []

    def step(tag, mask, when, channel, kind, outcome, promised=None, promised_amt=None):
        mask = mask & (when <= end64) & ~credit_note
        idx = np.flatnonzero(mask)
        if not len(idx):
            return
        frames.append(pd.DataFrame({
            "contact_id": np.char.add(np.char.add("CT", np.char.zfill((first + idx).astype(str), 9)), tag),
            "customer_id": c["customer_id"][idx], "invoice_id": ids[idx], "contact_date": when[idx],
            "channel": np.broadcast_to(channel, size)[idx], "kind": kind,
            "outcome": np.broadcast_to(outcome, size)[idx],
            "promised_date": None if promised is None else promised[idx],
            "promised_amount": None if promised_amt is None else promised_amt[idx],
            # A person's work (a call, a promise taken) is theirs; reminders and letters go out by themselves.
            "logged_by": c["collector"][idx] if kind in PERSONAL_KINDS else None,
        }))

    d = lambda n: np.asarray(n).astype("timedelta64[D]")  # noqa: E731
    # Pre-due digital nudge for a share of invoices.
    pre = due - d(3)
    step("-P", (rng.random(size) < 0.12) & has_email & (pre >= inv_date), pre, digital, "reminder",
         np.where(paid_dt <= due, "paid", "no_response"))
    # First reminder three days after the due date.
    r1 = due + d(3)
    out1 = np.select(
        [arche == 1, arche == 2, arche == 3, arche == 4],
        ["paid", "responded", "responded", "no_response"], "responded")
    out1 = np.where(c["_missing"] & (rng.random(size) < 0.3), "bounced", out1)
    step("-R1", unpaid_at(r1), r1, digital, "reminder", out1)
    # Second reminder two weeks later; late payers promise to pay.
    r2 = due + d(17)
    kept = np.where(arche == 2, rng.random(size) < 0.8, rng.random(size) < 0.3)
    promise_date = np.where(kept & ~np.isnat(paid_dt), paid_dt - d(rng.integers(0, 3, size)),
                            r2 + d(rng.integers(5, 15, size)))
    promise_date = np.maximum(promise_date, r2 + d(1))
    promises = np.isin(arche, [2, 3]) & (rng.random(size) < 0.7)
    step("-R2", unpaid_at(r2) & ~promises, r2, np.where(has_email, "email", "letter"), "reminder",
         np.where(arche == 4, "no_response", "responded"))
    step("-PTP", unpaid_at(r2) & promises, r2, np.where(has_email, "email", "phone"), "promise_to_pay",
         "promised", promise_date, np.where(arche == 3, np.round(amount * 0.5, 2), amount))
    # A call after a month; unable payers get a payment plan, won't-pay debtors do not pick up.
    r3 = due + d(PLAN_CALL_DAYS)
    call_out = np.select([arche == 3, arche == 4], ["promised", "no_response"], "responded")
    step("-C", unpaid_at(r3) & (arche != 3), r3, "phone", "call", call_out)
    step("-PP", unpaid_at(r3) & (arche == 3), r3, "phone", "payment_plan", "promised",
         r3 + d(rng.integers(14, 45, size)), open_at_call)
    # Disputes are raised by the debtor around the due date.
    step("-D", disputed, due + d(rng.integers(-5, 10, size)), np.where(has_email, "email", "phone"), "dispute",
         "responded")
    # Final notice by letter after two months.
    r4 = due + d(62)
    step("-L", unpaid_at(r4), r4, "letter", "letter", np.where(arche == 4, "no_response", "responded"))
    if not frames:
        return pd.DataFrame(columns=[c.name for c in schema.contacts.columns])
    return pd.concat(frames, ignore_index=True)


def _notes(contacts: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """A collector's note on :data:`NOTE_SHARE` of the contacts a person made (:data:`SAMPLE_NOTES`),
    None on the others."""
    out = np.full(len(contacts), None, dtype=object)
    written = rng.random(len(contacts)) < NOTE_SHARE
    pick = rng.integers(0, 1 << 30, len(contacts))
    kind, outcome = contacts["kind"].to_numpy(), contacts["outcome"].to_numpy()
    for (k, o), said in SAMPLE_NOTES.items():
        mine = np.flatnonzero(written & (kind == k) & (outcome == o))
        out[mine] = np.asarray(said, dtype=object)[pick[mine] % len(said)]
    return out


def iter_ledger(spec: SampleSpec) -> Iterator[dict[str, pd.DataFrame]]:
    """Yield the ledger in chunks: the first holds the customers, each holds invoices, payments, contacts."""
    rng = np.random.default_rng([spec.seed, 0])
    cust = _customers(spec, rng)
    start = pd.Timestamp(spec.end) - pd.Timedelta(days=round(spec.months * 30.44))
    yield {"customers": cust[[c for c in cust.columns if not c.startswith("_")]]}
    done = 0
    chunk = 0
    while done < spec.invoices:
        size = min(spec.chunk_size, spec.invoices - done)
        chunk += 1
        yield _invoice_chunk(cust, spec, np.random.default_rng([spec.seed, chunk]), done + 1, size, start)
        done += size


def write_sample(engine: Engine, spec: SampleSpec, *, replace: bool = True, rates: bool = True,
                 progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Generate a ledger into the database.

    Each chunk is committed on its own so that memory stays bounded at any size (one transaction
    of ten million rows would hold them all until the commit); the derived balance events and
    the data version are written last, in one transaction, so the dashboard never shows a
    half-written sample as complete.

    Parameters
    ----------
    replace
        Empty the ledger tables first, and what was entered in arboard about them
        (:data:`ENTERED_TABLES`). Without it, a database that already holds invoices is refused, so a
        sample never mixes with real data.
    rates
        Save the sample's reporting currency (EUR) and exchange rates (:data:`SAMPLE_RATES`) when
        none are saved, so its currencies add up (:mod:`arboard.fx`). Rates already saved are kept.
    progress
        Called with (invoices written, invoices total) after each chunk.

    Returns
    -------
    dict
        Rows written per table.

    Raises
    ------
    ArboardError
        When the database already holds invoices and ``replace`` is false.
    """
    counts = dict.fromkeys(schema.LEDGER_TABLES, 0)
    with engine.begin() as conn:
        existing = conn.execute(sa.select(sa.func.count()).select_from(schema.invoices)).scalar_one()
        if existing and not replace:
            raise ArboardError(f"The database already holds {counted(existing, 'invoice')}; a sample would mix "
                               "with them. Use --replace to overwrite them, or another database.",
                               where=str(engine.url))
        for table in (*schema.LEDGER_TABLES.values(), *schema.DERIVED_TABLES, *ENTERED_TABLES):
            conn.execute(sa.delete(table))
        set_meta(conn, "events_version", "stale")
    for part in iter_ledger(spec):
        with engine.begin() as conn:
            for name, frame in part.items():
                counts[name] += store.append(conn, schema.LEDGER_TABLES[name], frame)
        if progress:
            progress(counts["invoices"], spec.invoices)
    if rates and not fx.load(engine).active:
        fx.save(engine, REPORTING, SAMPLE_RATES)
    with engine.begin() as conn:
        events.rebuild(conn)
        set_meta(conn, "source", f"{SAMPLE_SOURCE} (seed {spec.seed}, {spec.customers:,} customers, "
                                 f"{spec.invoices:,} invoices, ending {spec.end.isoformat()})")
        bump_data_version(conn)
    return counts


def remove_sample(engine: Engine) -> dict[str, int]:
    """Empty the database of a sample ledger, so that your own data starts on a clean slate.

    A first start fills the embedded database with a sample; a file imported into it would mix your
    invoices with the sample's. This removes, in one transaction, the sample's customers, invoices,
    payments and contacts (those logged in arboard too), their derived tables, and what was entered in
    arboard about them (dispute decisions, holds, credit holds and exemptions), and the sample's
    exchange rates when they are still the ones it saved. Settings stay: playbooks, saved thresholds
    and scenarios, the sender, saved column mappings and the import history.

    Returns
    -------
    dict
        Rows removed per ledger table.

    Raises
    ------
    ArboardError
        When the database does not hold a sample ledger (its source is a file or database, or it is
        empty): nothing is removed then.
    """
    sample_rates = fx.load(engine) == fx.Rates(REPORTING, SAMPLE_RATES)  # still the ones write_sample saved
    with engine.begin() as conn:
        source = get_meta(conn, "source")
        if not is_sample(source):
            raise ArboardError("The database holds no sample ledger" + (f" (its ledger came from {source})"
                                                                         if source else "")
                               + ": nothing was removed. To load a ledger afresh, import it with Replace.",
                               where=str(engine.url))
        removed = {name: conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
                   for name, table in schema.LEDGER_TABLES.items()}
        for table in (*schema.LEDGER_TABLES.values(), *schema.DERIVED_TABLES, *ENTERED_TABLES):
            conn.execute(sa.delete(table))
        conn.execute(sa.delete(schema.meta).where(schema.meta.c.key.in_(["source", REPORT_DATE_KEY])))
        if sample_rates:  # not the user's: they go with the sample
            conn.execute(sa.delete(schema.fx_rates))
            set_meta(conn, fx.REPORTING_KEY, "")
        events.rebuild(conn)  # of nothing: current at once
        bump_data_version(conn)
    return removed
