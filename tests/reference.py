"""A deliberately naive pandas reference for the metrics: loops and the definitions, nothing clever."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pandas as pd

from arboard import dso

FAR = date(9999, 12, 31)


def open_amounts(inv: pd.DataFrame, pay: pd.DataFrame, as_of: date) -> dict[str, float]:
    out = {}
    for r in inv.itertuples():
        if r.invoice_date > as_of:
            continue
        if r.paid_date is not None and not pd.isna(r.paid_date) and r.paid_date <= as_of:
            continue
        paid = sum(p.amount for p in pay.itertuples() if p.invoice_id == r.invoice_id and p.payment_date <= as_of)
        value = float(r.amount) - float(paid)
        if abs(value) > 1e-9:
            out[r.invoice_id] = value
    return out


def unapplied(inv: pd.DataFrame, pay: pd.DataFrame, as_of: date) -> float:
    ids = set(inv["invoice_id"])
    loose = [p for p in pay.itertuples() if p.invoice_id is None or pd.isna(p.invoice_id) or p.invoice_id not in ids]
    return -sum(float(p.amount) for p in loose if p.payment_date <= as_of)


def aging(inv, pay, as_of, edges=(30, 60, 90, 120)) -> dict[str, float]:
    labels = ["Not due"] + [f"{lo}–{hi}" for lo, hi in zip([1] + [e + 1 for e in edges[:-1]], edges, strict=True)]
    labels.append(f"Over {edges[-1]}")
    out: dict[str, float] = {}
    due = dict(zip(inv["invoice_id"], inv["due_date"], strict=True))
    for iid, amount in open_amounts(inv, pay, as_of).items():
        days = (as_of - due[iid]).days
        if days <= 0:
            label = labels[0]
        else:
            label = next((lab for e, lab in zip(edges, labels[1:], strict=False) if days <= e), labels[-1])
        out[label] = out.get(label, 0.0) + amount
    u = unapplied(inv, pay, as_of)
    if u:
        out["Unapplied cash"] = u
    return out


def sales(inv, after: date, until: date) -> float:
    return float(sum(float(r.amount) for r in inv.itertuples() if after < r.invoice_date <= until))


def months_back(inv, d: date, n: int = 24):
    periods, end = [], d
    for _ in range(n):
        start = end.replace(day=1) - timedelta(days=1)
        periods.append((sales(inv, start, end), (end - start).days))
        end = start
    return periods


def kpis(inv, pay, as_of, window=90) -> dict:
    items = open_amounts(inv, pay, as_of)
    due = dict(zip(inv["invoice_id"], inv["due_date"], strict=True))
    invoice_ar = sum(items.values())
    current = sum(v for k, v in items.items() if due[k] >= as_of)
    total = invoice_ar + unapplied(inv, pay, as_of)
    s = sales(inv, as_of - timedelta(days=window), as_of)
    begin = as_of - timedelta(days=window)
    begin_total = sum(open_amounts(inv, pay, begin).values()) + unapplied(inv, pay, begin)
    periods = months_back(inv, as_of)
    settled = [r for r in inv.itertuples() if r.paid_date is not None and not pd.isna(r.paid_date)
               and begin < r.paid_date <= as_of and r.amount > 0]
    out = {
        "open_ar": total, "not_due_ar": current, "overdue_ar": invoice_ar - current,
        "dso": dso.standard_dso(total, s, window), "bpdso": dso.standard_dso(current, s, window),
        "countback_dso": dso.countback_dso(total, periods), "countback_bpdso": dso.countback_dso(current, periods),
        "cei": dso.cei(begin_total, s, total, current, months=round(window / 30.44)),
        "wadp": dso.weighted_days([float(r.amount) for r in settled],
                                  [(r.paid_date - r.invoice_date).days for r in settled]),
        "wadbt": dso.weighted_days([float(r.amount) for r in settled],
                                   [max((r.paid_date - r.due_date).days, 0) for r in settled]),
    }
    out["add"] = dso.average_days_delinquent(out["dso"], out["bpdso"])
    return out


def month_end(d: date) -> date:
    return d.replace(day=calendar.monthrange(d.year, d.month)[1])


def dispute_flag(decisions: list[dict], file_flag: bool, as_of: date) -> bool:
    """An invoice's dispute flag as of a date, from the decisions made in arboard (the rule of
    arboard.disputeflags, spelt out): the latest decision by then while in force, else what the file
    said at the next decision, else the file's flag today. Removed decisions never count."""
    live = [d for d in decisions if d["ended_why"] != "removed"]
    before = [d for d in live if d["decided_on"] <= as_of]
    if before:
        last = max(before, key=lambda d: (d["decided_on"], d["created_at"]))
        if last["ended_on"] is None or last["ended_on"] > as_of:
            return last["disputed"]
    after = [d for d in live if d["decided_on"] > as_of]
    if after:
        return min(after, key=lambda d: (d["decided_on"], d["created_at"]))["file_said"]
    return file_flag


def ever_disputed(decisions: list[dict], file_flag: bool, as_of: date) -> bool:
    """Whether an invoice was disputed on any day up to ``as_of``: :func:`dispute_flag` asked day by day,
    from the day before its first decision (the file's flag before arboard) to ``as_of``."""
    if not decisions:
        return file_flag
    day = min(min(d["decided_on"] for d in decisions) - timedelta(days=1), as_of)
    while day <= as_of:
        if dispute_flag(decisions, file_flag, day):
            return True
        day += timedelta(days=1)
    return False


def _percent_days(due: date, until: date, grace_days: int, rate: float, changes: tuple) -> float:
    """The rate in force on each late day, from the day after due date plus grace to ``until``, summed
    one day at a time; ``changes`` are ``(from, rate)`` in date order."""
    total, day = 0.0, due + timedelta(days=grace_days + 1)
    while day <= until:
        total += [r for since, r in ((None, rate), *changes) if since is None or since <= day][-1]
        day += timedelta(days=1)
    return total


def interest_claims(inv: pd.DataFrame, pay: pd.DataFrame, as_of: date, *, rate: float, consumer_rate: float,
                    compensation: float, grace_days: int, consumers: set[str],
                    changes: tuple = ()) -> dict[str, tuple[float, float]]:
    """Late-payment interest and compensation per customer, one invoice at a time: simple interest on
    what is open as of ``as_of`` for the days past due beyond the grace, each day at the rate in force
    (``changes``: ``(from, rate, consumer_rate)``); disputed invoices and credit notes claim nothing;
    consumers at their rate and without compensation."""
    open_now = open_amounts(inv, pay, as_of)
    out: dict[str, tuple[float, float]] = {}
    for r in inv.itertuples():
        left = open_now.get(r.invoice_id, 0.0)
        days = (as_of - r.due_date).days - grace_days
        if r.amount <= 0 or left <= 0.004 or days <= 0 or bool(r.disputed):
            continue
        consumer = r.customer_id in consumers
        owed = left * _percent_days(r.due_date, as_of, grace_days, consumer_rate if consumer else rate,
                                    tuple((d, c if consumer else b) for d, b, c in changes)) / 100 / 365
        i, c = out.get(r.customer_id, (0.0, 0.0))
        out[r.customer_id] = (i + owed, c + (0.0 if consumer else compensation))
    return out


def provision_experience(inv: pd.DataFrame, pay: pd.DataFrame, as_of: date, dates: list[date], *,
                         edges=(30, 60, 90, 120), doubtful_days: int = 180) -> dict[str, tuple[float, float]]:
    """Per aging bucket: (what positive invoices had open at the observation month ends, what was lost of
    it by ``as_of``), one invoice and one month end at a time. Lost: cleared for more than its payments
    (once a payment was applied to an invoice), or still open ``doubtful_days`` past due."""
    labels = ["Not due"] + [f"{lo}–{hi}" for lo, hi in zip([1] + [e + 1 for e in edges[:-1]], edges, strict=True)]
    labels.append(f"Over {edges[-1]}")
    applied = [p for p in pay.itertuples() if p.invoice_id is not None and not pd.isna(p.invoice_id)
               and p.payment_date <= as_of]
    first = min((p.payment_date for p in applied), default=None)
    out: dict[str, tuple[float, float]] = {}
    for r in inv.itertuples():
        if r.amount <= 0:
            continue
        paid_date = None if r.paid_date is None or pd.isna(r.paid_date) else r.paid_date
        left = max(float(r.amount) - sum(float(p.amount) for p in applied if p.invoice_id == r.invoice_id), 0.0)
        if paid_date is not None and paid_date <= as_of:
            by_report = bool(getattr(r, "paid_from_open_items", False) or False)
            lost = left if first is not None and paid_date >= first and not by_report else 0.0
        else:
            lost = left if (as_of - r.due_date).days >= doubtful_days else 0.0
        for m in dates:
            if r.invoice_date > m or (paid_date is not None and paid_date <= m):
                continue
            open_then = float(r.amount) - sum(float(p.amount) for p in applied
                                              if p.invoice_id == r.invoice_id and p.payment_date <= m)
            if open_then <= 0.004:
                continue
            days = (m - r.due_date).days
            label = labels[0] if days <= 0 else next(
                (lab for e, lab in zip(edges, labels[1:], strict=False) if days <= e), labels[-1])
            seen, gone = out.get(label, (0.0, 0.0))
            out[label] = (seen + open_then, gone + min(lost, open_then))
    return out


def paid_late_interest(inv: pd.DataFrame, pay: pd.DataFrame, since: date, until: date, *, rate: float,
                       consumer_rate: float, compensation: float, grace_days: int,
                       consumers: set[str], changes: tuple = ()) -> dict[str, tuple[float, float, int]]:
    """Interest and compensation earned by late payments made from ``since`` to ``until``, per customer,
    with the number of invoices: each payment applied before the settlement date, then the rest at
    settlement, counted in date order up to what the invoice had left, for its days past due beyond the
    grace; a late settlement of a business debtor's invoice adds the compensation. Interest is rounded
    per payment, as on an interest invoice."""
    out: dict[str, tuple[float, float, int]] = {}
    for r in inv.itertuples():
        if r.amount <= 0 or bool(r.disputed):
            continue
        paid_date = None if r.paid_date is None or pd.isna(r.paid_date) else r.paid_date
        parts = sorted((p.payment_date, 0, p.payment_id, float(p.amount)) for p in pay.itertuples()
                        if p.invoice_id == r.invoice_id and (paid_date is None or p.payment_date < paid_date))
        if paid_date is not None:
            parts.append((paid_date, 1, "", float(r.amount) - sum(p[3] for p in parts)))
        consumer = r.customer_id in consumers
        left, owed, fixed, counted = float(r.amount), 0.0, 0.0, False
        for day, kind, _, amount in parts:
            part = max(min(max(amount, 0.0), left), 0.0)
            left -= part
            days = (day - r.due_date).days - grace_days
            if not since <= day <= until or days <= 0:
                continue
            settles = kind == 1 and not consumer
            if part > 0.004:
                percent_days = _percent_days(r.due_date, day, grace_days, consumer_rate if consumer else rate,
                                             tuple((d, c if consumer else b) for d, b, c in changes))
                owed += round(part * percent_days / 100 / 365 + 1e-9, 2)
                counted = True
            if settles:
                fixed += compensation
                counted = True
        if counted:
            i, c, n = out.get(r.customer_id, (0.0, 0.0, 0))
            out[r.customer_id] = (i + owed, c + fixed, n + 1)
    return out


def unapplied_matches(inv: pd.DataFrame, pay: pd.DataFrame, as_of: date, *, tolerance: float = 1.0,
                      discounts: tuple[float, ...] = (2.0, 3.0), max_items: int = 100) -> dict[str, tuple]:
    """Payment on account -> (rule, items) by brute force. First what each payment's text (its reference and
    an invoice number the ledger does not know) names among the debtor's open items, earlier payments
    first, each taking what the earlier left open. Then every single open invoice and every run of a
    debtor's oldest open items (all, or the undisputed), read by the same rules, every set of two to four of
    the debtor's invoices adding up to the amount or to it less a discount (when few enough), another
    debtor's items a word of the text names, and the only open invoice of another debtor for exactly the
    amount, surest first, each item proposed once."""
    import itertools
    import math
    import re

    from arboard.unapplied import (
        BAND,
        CHANCE,
        MAX_COMBINED,
        MAX_SETS,
        MIN_KEY,
        RANK,
        TWICE_DAYS,
        WORD_BREAK,
        MatchSettings,
        cents,
        classify,
        combinable,
        key,
        names,
        read_reference,
        within_reach,
    )

    def band(amount: float) -> int:
        return math.floor(math.log(amount) / BAND)

    rules = MatchSettings(tolerance=tolerance, discounts=discounts)
    open_ = open_amounts(inv, pay, as_of)
    ids = set(inv["invoice_id"])
    rows = sorted((r for r in inv.itertuples() if r.invoice_id in open_),
                  key=lambda r: (r.due_date, r.invoice_date, r.invoice_id))

    def text(p) -> str:
        given = getattr(p, "reference", None)
        return " ".join(t for t in (given, p.invoice_id) if isinstance(t, str))

    def fits(p, r) -> bool:  # an open item the payment could pay: issued by then, in its currency
        return (abs(open_[r.invoice_id]) > 0.005 and r.invoice_date <= p.payment_date
                and (not isinstance(p.currency, str) or r.currency == p.currency))

    loose = sorted((p for p in pay.itertuples() if not (isinstance(p.invoice_id, str) and p.invoice_id in ids)
                    and p.payment_date <= as_of and p.amount > 0), key=lambda p: (p.payment_date, p.payment_id))
    options = []
    for p in pay.itertuples():
        known = isinstance(p.invoice_id, str) and p.invoice_id in ids
        if known or p.payment_date > as_of or p.amount <= 0:
            continue
        paid = cents(p.amount)
        mine = [r for r in rows if r.customer_id == p.customer_id
                and (not isinstance(p.currency, str) or r.currency == p.currency)]
        # Another debtor's items a whole word of the text names, per debtor, when the amount bears it out.
        words = {key(w) for w in re.split(WORD_BREAK, text(p))}
        words = {w for w in words if len(w) >= MIN_KEY and any(c.isdigit() for c in w)}
        for who in sorted({r.customer_id for r in rows} - {p.customer_id}):
            theirs = [r for r in rows if r.customer_id == who and fits(p, r) and key(r.invoice_id) in words]
            theirs.sort(key=lambda r: (r.due_date, r.invoice_id))
            owed = sum(cents(open_[r.invoice_id]) for r in theirs)
            if theirs and (read := classify(paid, owed, len(theirs), rules, named=True)) is not None:
                options.append((RANK["named_other"], abs(paid - owed), p.payment_date, p.payment_id,
                                theirs[0].due_date, "named_other", tuple(r.invoice_id for r in theirs)))
        for r in mine:
            owed = cents(open_[r.invoice_id])
            if open_[r.invoice_id] <= 0.005 or r.invoice_date > p.payment_date:
                continue
            if (read := classify(paid, owed, 1, rules)) is not None:
                options.append((RANK[read[0]], abs(paid - owed), p.payment_date, p.payment_id, r.due_date, read[0],
                                (r.invoice_id,)))
        for currency in sorted({r.currency for r in mine}):
            run = [r for r in mine if r.currency == currency]
            for skip in (False, True):
                taken = []
                for n, r in enumerate(run, start=1):
                    if skip and bool(r.disputed):
                        continue
                    taken.append(r)
                    if len(taken) < 2 or len(taken) > max_items or (skip and len(taken) == n):
                        continue
                    if max(t.invoice_date for t in taken) > p.payment_date:
                        continue
                    owed = sum(cents(open_[t.invoice_id]) for t in taken)
                    read = classify(paid, owed, len(taken), rules)
                    if read is not None and read[0] in ("exact", "discount"):
                        rule = "oldest" if read[0] == "exact" else "discount"
                        options.append((RANK[rule], abs(paid - owed), p.payment_date, p.payment_id,
                                        min(t.due_date for t in taken), rule, tuple(t.invoice_id for t in taken)))
            # Two to four of the debtor's invoices that add up to it, every set tried: those below the amount
            # for it exactly, those within reach less a discount, where few enough; none when more than
            # MAX_SETS sets do.
            issued = [r for r in run if open_[r.invoice_id] > 0.005 and r.invoice_date <= p.payment_date]
            below = [r for r in issued if cents(open_[r.invoice_id]) < paid]
            more = [r for r in issued if within_reach(cents(open_[r.invoice_id]), paid, max(discounts))
                    ] if discounts else []
            exact, discounted = combinable(len(below), len(more), paid, rules)
            sets = []
            for pool, fit in ((below if exact else [], "exact"), (more if discounted else [], "discount")):
                for c in (c for k in range(2, MAX_COMBINED + 1) for c in itertools.combinations(pool, k)):
                    total = sum(cents(open_[r.invoice_id]) for r in c)
                    if (read := classify(paid, total, len(c), rules)) is not None and read[0] == fit:
                        sets.append((abs(paid - total), c))
            if len(sets) <= MAX_SETS:
                options += [(RANK["combination"], gap, p.payment_date, p.payment_id, min(r.due_date for r in c),
                             "combination", tuple(r.invoice_id for r in c)) for gap, c in sets]
        # The one open invoice of another debtor for exactly the amount.
        others = [r for r in rows if r.customer_id != p.customer_id and open_[r.invoice_id] > 0.005
                  and cents(open_[r.invoice_id]) == paid and r.invoice_date <= p.payment_date
                  and (not isinstance(p.currency, str) or r.currency == p.currency)]
        crowd = sum(1 for r in rows if open_[r.invoice_id] > 0.005 and others and r.currency == others[0].currency
                    and band(open_[r.invoice_id]) == band(open_[others[0].invoice_id]))
        if len(others) == 1 and crowd < CHANCE * open_[others[0].invoice_id]:
            options.append((RANK["elsewhere"], 0, p.payment_date, p.payment_id, others[0].due_date, "elsewhere",
                            (others[0].invoice_id,)))
    chosen, used, left = {}, set(), {i: cents(a) for i, a in open_.items()}
    twice = set()
    for p in loose:  # what the text names, earlier payments first
        ref = read_reference(text(p))
        named = [r for r in rows if r.customer_id == p.customer_id and fits(p, r) and names(ref, r.invoice_id)]
        if not named:
            # Only invoices cleared near the payment named, for the amount of one or all: paid twice.
            cleared = [cents(r.amount) for r in inv.itertuples() if r.customer_id == p.customer_id
                       and isinstance(r.paid_date, date) and r.paid_date <= as_of and r.amount > 0
                       and abs((p.payment_date - r.paid_date).days) <= TWICE_DAYS
                       and (not isinstance(p.currency, str) or r.currency == p.currency)
                       and names(ref, r.invoice_id)]
            if cleared and (cents(p.amount) in cleared or cents(p.amount) == sum(cleared)):
                twice.add(p.payment_id)
            continue
        named = [r for r in named if left[r.invoice_id] != 0]
        if not named:
            continue
        paid, avail = cents(p.amount), [left[r.invoice_id] for r in named]
        read = classify(paid, sum(avail), len(named), rules, named=True)
        if read is None and any(o[3] == p.payment_id and o[5] in ("exact", "oldest", "discount", "combination")
                                and {r.invoice_id for r in named} <= set(o[6]) for o in options):
            continue  # the named items and more: the amount rules read it
        if read is not None or paid > sum(avail):
            applied = avail
        else:
            applied, rest = [0] * len(named), paid
            for k in [k for k in range(len(named)) if avail[k] < 0] + [k for k in range(len(named)) if avail[k] >= 0]:
                applied[k] = avail[k] if avail[k] < 0 else min(avail[k], rest)
                rest -= applied[k]
        for r, a in zip(named, applied, strict=True):
            left[r.invoice_id] -= a
            if a:
                used.add(r.invoice_id)
        chosen[p.payment_id] = ("named" if read is not None else "named_part",
                                tuple(r.invoice_id for r, a in zip(named, applied, strict=True) if a))
    options = [o for o in options if o[3] not in chosen and o[3] not in twice]
    options.sort(key=lambda o: (o[0], o[1], o[2], o[3], o[4], len(o[6]), o[6]))
    for o in options:
        if o[3] in chosen or used.intersection(o[6]):
            continue
        chosen[o[3]] = (o[5], o[6])
        used.update(o[6])
    return chosen
