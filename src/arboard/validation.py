"""Row-level validation of a normalised import with pandera.

Each check has a severity: ``rejected`` rows are not loaded (and, unless the user asks to skip
them, stop the import); ``suspicious`` rows are loaded and listed. Every finding becomes a row
of the report: file row number, source column, value, severity, reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import pandera.pandas as pa

REJECTED = "rejected"
SUSPICIOUS = "suspicious"
REPORT_COLUMNS = ["row", "column", "value", "severity", "reason"]
MAX_ABS_AMOUNT = 1e12  # NUMERIC(18, 2) holds up to 1e16; above 1e12 is a typo or a unit error
LARGE_AMOUNT = 1e9
EARLIEST = pd.Timestamp("1980-01-01")
FORMULA_START = ("=", "+", "-", "@")


@dataclass(frozen=True)
class Rule:
    """A named check with the field it concerns, its severity and the reason shown."""

    name: str
    field: str
    severity: str
    reason: str


def _rules(kind: str, today: date) -> tuple[list[Rule], pa.DataFrameSchema]:
    now = pd.Timestamp(today)
    rules: list[Rule] = []
    checks: list[pa.Check] = []

    def add(name: str, field: str, severity: str, reason: str, fn) -> None:
        rules.append(Rule(name, field, severity, reason))
        checks.append(pa.Check(fn, name=name, ignore_na=False))

    def present(df: pd.DataFrame, col: str) -> pd.Series:
        return df[col].notna() if col in df else pd.Series(False, index=df.index)

    ids = {"invoices": "invoice_id", "customers": "customer_id", "payments": "payment_id",
           "contacts": "contact_id"}
    pk = ids[kind]
    add(f"{pk}_missing", pk, REJECTED, "missing identifier", lambda d: present(d, pk))
    if kind != "customers":
        add("customer_missing", "customer_id", REJECTED, "missing customer ID",
            lambda d: present(d, "customer_id"))

    date_fields = {"invoices": ["invoice_date", "due_date", "paid_date"], "payments": ["payment_date"],
                   "contacts": ["contact_date", "promised_date"], "customers": ["created_at"]}[kind]
    required_dates = {"invoices": ["invoice_date"], "payments": ["payment_date"], "contacts": ["contact_date"],
                      "customers": []}[kind]
    for col in required_dates:
        add(f"{col}_missing", col, REJECTED, "missing date", lambda d, c=col: present(d, c))
    for col in date_fields:
        add(f"{col}_too_old", col, REJECTED, "implausible date (before 1980)",
            lambda d, c=col: ~(d[c] < EARLIEST) if c in d else True)
    if kind in ("invoices", "payments", "contacts"):
        main = {"invoices": "invoice_date", "payments": "payment_date", "contacts": "contact_date"}[kind]
        add(f"{main}_far_future", main, REJECTED, "date more than a year in the future",
            lambda d: ~(d[main] > now + timedelta(days=366)))
        add(f"{main}_future", main, SUSPICIOUS, "date after today",
            lambda d: ~((d[main] > now) & (d[main] <= now + timedelta(days=366))))
    if kind in ("invoices", "payments"):
        add("amount_missing", "amount", REJECTED, "missing amount", lambda d: present(d, "amount"))
        add("amount_range", "amount", REJECTED, "absurd amount (above 1 trillion)",
            lambda d: ~(d["amount"].abs() >= MAX_ABS_AMOUNT))
        add("amount_large", "amount", SUSPICIOUS, "unusually large amount (above 1 billion)",
            lambda d: ~((d["amount"].abs() > LARGE_AMOUNT) & (d["amount"].abs() < MAX_ABS_AMOUNT)))
        add("amount_zero", "amount", SUSPICIOUS, "zero amount", lambda d: ~(d["amount"] == 0))
    if kind == "invoices":
        add("due_before_invoice", "due_date", REJECTED, "due date before invoice date",
            lambda d: ~(d["due_date"] < d["invoice_date"]))
        add("due_far", "due_date", SUSPICIOUS, "due more than two years after the invoice date",
            lambda d: ~(d["due_date"] > d["invoice_date"] + timedelta(days=730)))
        add("paid_before_invoice", "paid_date", REJECTED, "paid date before invoice date",
            lambda d: ~(d["paid_date"] < d["invoice_date"]))
        add("paid_future", "paid_date", REJECTED, "paid date in the future", lambda d: ~(d["paid_date"] > now))
    if kind == "payments":
        add("payment_future", "payment_date", REJECTED, "payment dated in the future",
            lambda d: ~(d["payment_date"] > now))
    if kind == "contacts":
        add("promise_before_contact", "promised_date", SUSPICIOUS, "promised date before the contact date",
            lambda d: ~(d["promised_date"] < d["contact_date"]))
    if "credit_limit" in _KIND_COLUMNS.get(kind, ()):
        add("credit_limit_negative", "credit_limit", SUSPICIOUS, "negative credit limit",
            lambda d: ~(d["credit_limit"] < 0) if "credit_limit" in d else True)
    schema = pa.DataFrameSchema(checks=checks, strict=False, coerce=False)
    return rules, schema


_KIND_COLUMNS = {"invoices": ("credit_limit",), "customers": ("credit_limit",)}


def validate(df: pd.DataFrame, *, kind: str, today: date) -> pd.DataFrame:
    """Run the kind's checks on a normalised frame.

    Parameters
    ----------
    df
        Normalised rows: field columns plus ``_row`` (the file row number).
    kind
        The import kind.
    today
        The import date: "in the future" is measured from it.

    Returns
    -------
    pandas.DataFrame
        Findings with columns ``pos`` (position in ``df``), ``field``, ``severity``, ``reason``.
    """
    rules, schema = _rules(kind, today)
    frame = df.reset_index(drop=True)
    try:
        schema.validate(frame, lazy=True)
        return pd.DataFrame(columns=["pos", "field", "severity", "reason"])
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
    by_name = {r.name: r for r in rules}
    cases = cases[cases["check"].isin(by_name) & cases["index"].notna()]
    cases = cases.drop_duplicates(["index", "check"])
    out = pd.DataFrame({
        "pos": cases["index"].astype(int).to_numpy(),
        "field": [by_name[c].field for c in cases["check"]],
        "severity": [by_name[c].severity for c in cases["check"]],
        "reason": [by_name[c].reason for c in cases["check"]],
    })
    return out


def formula_like(series: pd.Series) -> pd.Series:
    """True where a text value would be read as a formula by a spreadsheet."""
    text = series.astype("string")
    return text.str.match(r"^[=+\-@\t\r\n]").fillna(False).astype(bool)
