"""The debtor explorer: one row per debtor with balances, aging, segment and behaviour, and filters.

The table is built once per as-of date (aging by customer joined with the debtor profiles) and then
filtered with vectorised masks, so it stays responsive at 100,000 debtors.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from arboard import aging, exports, fx, openitems, profiles, promises, segments, unapplied
from arboard.aging import AgingSpec
from arboard.openitems import worked_by

COLUMNS = ["customer_id", "name", "country", "customer_type", "collector", "group", "total", "overdue", "days_past_due",
           "oldest_bucket", "disputed", "open_items", "days_beyond_terms", "response_rate", "best_channel",
           "preferred_channel", "promise", "promised_for", "credit_limit", "utilisation"]
PROMISE_STATES = promises.STATES  # what the promise filter offers


def debtor_table(engine: Engine, as_of: date, *, currency: str | None = None, spec: AgingSpec = AgingSpec(),
                 config: segments.SegmentConfig | None = None, profile_frame: pd.DataFrame | None = None,
                 rates: fx.Rates | None = None, cash: unapplied.CashOnAccount | None = None) -> pd.DataFrame:
    """Every debtor with an open balance: balances by bucket, the oldest bucket, segment and behaviour.

    With ``cash`` (:func:`arboard.unapplied.match_payments` as of the same date, all currencies), a
    column ``overdue_paid`` after ``unapplied`` says what of the overdue the debtor's own cash on account
    most likely pays (sure matches, :func:`arboard.unapplied.with_overdue_paid`).

    ``profile_frame`` (from :func:`arboard.profiles.debtor_profiles` as of the same date) saves
    recomputing the profiles when the caller has them already. Without a ``currency``, a debtor's
    currencies add up in the reporting currency of ``rates`` when given (:func:`arboard.fx.applied`);
    the last column, ``amounts_in``, says which currency the amounts are in, for exports.

    ``promise`` is one of :data:`PROMISE_STATES`: "broken" when a promise to pay on one of the
    debtor's open invoices broke in the last :data:`arboard.promises.BROKEN_LISTED_DAYS` days and
    nobody spoke with the debtor since, else "spoken" when such a promise was followed up, else
    "running" when one runs, else empty; ``promised_for`` is the latest broken promised date (the
    next running one).
    """
    rates = fx.applied(rates, currency)
    per = aging.aging_by_customer(engine, as_of, spec=spec, currency=currency, rates=rates)
    prof = profile_frame if profile_frame is not None else profiles.debtor_profiles(engine, as_of)
    groups = pd.Series(segments.assign(prof, config or segments.SegmentConfig()).to_numpy(), index=prof["customer_id"])
    keep = ["customer_id", "days_beyond_terms", "response_rate", "best_channel", "preferred_channel"]
    table = per.merge(prof[keep], on="customer_id", how="left")
    table["group"] = table["customer_id"].map(groups).fillna("no_information")
    # The limit is read in the currency the balances are in (the reporting currency when they are added up).
    table["utilisation"] = (table["total"].clip(lower=0) / table["credit_limit"].where(table["credit_limit"] > 0))
    # The oldest bucket that holds a positive amount.
    buckets = np.array(spec.labels, dtype=object)
    values = table[spec.labels].to_numpy(dtype=float) > 0.004
    last = np.where(values.any(axis=1), values.shape[1] - 1 - np.argmax(values[:, ::-1], axis=1), -1)
    table["oldest_bucket"] = np.where(last >= 0, buckets[np.maximum(last, 0)], "")
    table["amounts_in"] = currency or rates.amounts_in(c for c, _ in openitems.currencies(engine))
    status = _promise_status(promises.promises(engine, as_of))
    table["promise"] = table["customer_id"].map(status["promise"]).fillna("")
    table["promised_for"] = table["customer_id"].map(status["promised_for"])
    paid = []
    if cash is not None:
        table = unapplied.with_overdue_paid(table, cash, currency=currency, rates=rates)
        paid = ["overdue_paid"]
    return table[[*COLUMNS, *spec.labels, "unapplied", *paid, "amounts_in"]]


def _promise_status(table: pd.DataFrame) -> pd.DataFrame:
    """Per debtor: "broken" (the latest broken promised date nobody followed up), else "spoken" (the
    latest broken one, followed up), else "running" (the next promised date). A broken promise wins:
    it is the one that needs a call, whatever else the debtor promised."""
    by = table.groupby([promises.state(table), "customer_id"])["promised_date"]
    latest, first = by.max(), by.min()
    states = {s: (first if s == "running" else latest).get(s, latest.iloc[:0]) for s in promises.STATES}
    seen: set = set()
    for state, dates in states.items():  # in order of precedence
        states[state] = dates.drop(list(seen & set(dates.index)))
        seen |= set(dates.index)
    return pd.DataFrame({"promise": [s for s, d in states.items() for _ in range(len(d))],
                         "promised_for": pd.concat(states.values()).dt.date.to_numpy()},
                        index=pd.Index([c for d in states.values() for c in d.index], name="customer_id"))


@dataclass(frozen=True)
class Filters:
    """What the explorer can filter on; None means "any"."""

    groups: tuple[str, ...] = ()
    buckets: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    collectors: tuple[str, ...] = ()  # names, or arboard.collectors.NO_COLLECTOR for debtors nobody works
    channels: tuple[str, ...] = ()
    min_amount: float | None = None
    max_amount: float | None = None
    min_days_past_due: int | None = None
    min_risk: float | None = None
    min_utilisation: float | None = None  # share of the credit limit in use (1.0: at or over the limit)
    disputed_only: bool = False
    promise: tuple[str, ...] = ()  # keys of PROMISE_STATES: debtors in one of these promise states
    text: str = ""


def filter_debtors(table: pd.DataFrame, f: Filters) -> pd.DataFrame:
    """Debtors matching every filter (vectorised)."""
    mask = np.ones(len(table), dtype=bool)
    if f.groups:
        mask &= table["group"].isin(f.groups).to_numpy()
    if f.buckets:
        mask &= table["oldest_bucket"].isin(f.buckets).to_numpy()
    if f.countries:
        mask &= table["country"].isin(f.countries).to_numpy()
    if f.collectors:
        mask &= worked_by(table["collector"], f.collectors).to_numpy()
    if f.channels:
        channel = table["best_channel"].fillna(table["preferred_channel"])
        mask &= channel.isin(f.channels).to_numpy()
    if f.min_amount is not None:
        mask &= (table["total"] >= f.min_amount).to_numpy()
    if f.max_amount is not None:
        mask &= (table["total"] <= f.max_amount).to_numpy()
    if f.min_days_past_due:
        mask &= (table["days_past_due"] >= f.min_days_past_due).to_numpy()
    if f.min_utilisation is not None:
        mask &= (table["utilisation"].fillna(0) >= f.min_utilisation).to_numpy()
    if f.min_risk is not None and "risk_score" in table:
        mask &= (table["risk_score"].fillna(0) >= f.min_risk).to_numpy()
    if f.disputed_only:
        mask &= (table["disputed"] > 0).to_numpy()
    if f.promise:
        mask &= table["promise"].isin(f.promise).to_numpy()
    if f.text.strip():
        needle = f.text.strip().lower()
        mask &= (table["name"].str.lower().str.contains(needle, regex=False)
                 | table["customer_id"].str.lower().str.contains(needle, regex=False)).fillna(False).to_numpy()
    return table[mask]


SORTS = {"overdue": "Overdue", "total": "Open balance", "days_past_due": "Days past due (oldest item)",
         "days_beyond_terms": "Days late (weighted)", "disputed": "Disputed amount", "utilisation": "Credit limit used",
         "risk_score": "Risk score", "overdue_paid": "Overdue paid on account",
         "name": "Name"}


def sort_debtors(table: pd.DataFrame, by: str = "overdue", *, descending: bool = True) -> pd.DataFrame:
    """Every matching debtor in the chosen order, so that the first rows a page lists are the right ones.

    Ties are broken by the customer id (a stable order for a shared link); missing values go last
    either way. An unknown column or one the table lacks (``risk_score`` without scores) falls back
    to ``overdue``.
    """
    if by not in SORTS or by not in table:
        by = "overdue"
    key = table[by].str.lower() if by == "name" else table[by]
    order = pd.DataFrame({"k": key.to_numpy(), "id": table["customer_id"].to_numpy()}).sort_values(
        ["k", "id"], ascending=[not descending, True], na_position="last", kind="stable").index
    return table.iloc[order.to_numpy()]


def over_limit(table: pd.DataFrame) -> tuple[int, float]:
    """How many debtors owe more than their credit limit, and by how much in all (a debtor without a
    limit is never over it)."""
    above = (table["total"] - table["credit_limit"]).where(table["credit_limit"] > 0)
    return int((above > 0.004).sum()), float(above[above > 0.004].sum())


def to_xlsx(table: pd.DataFrame, *, sheet_per_group: bool = False) -> bytes:
    """The debtor list as a formatted workbook (one sheet, or one per group plus "All")."""
    buckets = ("unapplied", *[c for c in table.columns if c[:1].isdigit() or c.startswith(("Not due", "Over"))])
    money = ("total", "overdue", "disputed", "credit_limit", *buckets,
             *(["overdue_paid"] if "overdue_paid" in table else []))
    if not sheet_per_group:
        return exports.to_xlsx_bytes(table, sheet="Debtors", money_columns=money, blank_zero_columns=buckets)
    sheets = {"All": table, **{segments.SUBGROUP_LABELS.get(g, g)[:31].replace("'", ""): t
                               for g, t in table.groupby("group")}}
    return exports.to_xlsx_sheets(sheets, money_columns=money, blank_zero_columns=buckets)
