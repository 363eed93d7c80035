"""A debtor's statement of account: every open item as of a date, with balances and their age.

What a collector sends with a reminder or on request ("please send us a statement"), and what
the debtor reconciles against their own books: the open invoices and credit notes (what is still
open after partial payments), the payments on account not applied to an invoice, and per
currency the balance, what of it is overdue, and how long overdue. The lines and totals are
the ledger's own as the Aging page reads it (:func:`arboard.aging.items`), so a statement adds
up to the debtor's row there. The PDF is laid out by :func:`arboard.letters.statement_pdf`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import pandas as pd
from sqlalchemy.engine import Engine

from arboard import aging, schema
from arboard.db import fetch_frame, fetch_keyed
from arboard.errors import ArboardError
from arboard.openitems import payments_on_account

# Statements age by due date in the buckets most of them print: current, then 30-day steps to 90.
STATEMENT_AGING = aging.AgingSpec(edges=(30, 60, 90))
ON_ACCOUNT = "On account"
KIND_LABELS = {"invoice": "Invoice", "credit_note": "Credit note", "payment": "Payment on account"}
LINE_COLUMNS = ["kind", "reference", "date", "due_date", "amount", "open_amount", "currency", "days_past_due",
                "disputed", "bucket"]
CUSTOMER_FIELDS = ("customer_id", "name", "street", "postal_code", "city", "country", "locale", "email", "phone",
                   "collector")


@dataclass(frozen=True)
class Statement:
    """A statement of account (:func:`account_statement`)."""

    customer: dict  # CUSTOMER_FIELDS (None where unknown)
    as_of: date
    lines: pd.DataFrame  # LINE_COLUMNS, by currency then due date
    totals: pd.DataFrame  # per currency: balance, overdue, one column per bucket and ON_ACCOUNT
    buckets: tuple[str, ...]  # the bucket columns of ``totals``, in order

    @property
    def empty(self) -> bool:
        """Nothing open: the statement says the account is settled."""
        return self.lines.empty


def account_statement(engine: Engine, customer_id: str, as_of: date, *,
                      spec: aging.AgingSpec = STATEMENT_AGING) -> Statement:
    """The statement of account of one debtor as of ``as_of``.

    Parameters
    ----------
    engine
        The ledger database.
    customer_id
        The debtor; an id the ledger does not know is refused with an :class:`ArboardError`.
    as_of
        Items and payments dated after it are left out; days overdue count to it.
    spec
        The buckets (always by due date: a statement says how long items are overdue).

    Returns
    -------
    Statement
        Its lines: open invoices and credit notes with their amount, what is still open, days past
        due and bucket; payments on account (not applied to a known invoice) as negative lines.
    """
    return account_statements(engine, [customer_id], as_of, spec=spec)[0]


def account_statements(engine: Engine, customer_ids: Sequence[str], as_of: date, *,
                       spec: aging.AgingSpec = STATEMENT_AGING) -> list[Statement]:
    """The statements of account of several debtors (a month-end statement run), in the order given:
    as :func:`account_statement`, from one read of the open items and payments on account."""
    ids = list(dict.fromkeys(str(c) for c in customer_ids))
    if not ids:
        return []
    spec = aging.AgingSpec(edges=spec.edges, basis="due")
    customers = debtor_details(engine, ids)
    one = ids[0] if len(ids) == 1 else None  # one debtor: its rows only; many: every open item once
    items = aging.items(engine, as_of, spec=spec, customer_id=one, limit=10**9)
    items = items.assign(kind=(items["amount"] < 0).map({True: "credit_note", False: "invoice"}),
                         reference=items["invoice_id"], date=items["invoice_date"])
    with engine.connect() as conn:
        paid = fetch_frame(conn, payments_on_account(as_of, customer_id=one),
                           ["customer_id", "payment_id", "payment_date", "amount", "currency"])
    paid = pd.DataFrame({"customer_id": paid["customer_id"], "kind": "payment", "reference": paid["payment_id"],
                         "date": paid["payment_date"], "due_date": None, "amount": -paid["amount"].astype(float),
                         "open_amount": -paid["amount"].astype(float), "currency": paid["currency"],
                         "days_past_due": None, "disputed": False, "bucket": ON_ACCOUNT})
    columns = ["customer_id", *LINE_COLUMNS]
    lines = pd.concat([frame for frame in (items[columns], paid[columns]) if len(frame)] or [items[columns]],
                      ignore_index=True)
    lines = lines[(lines["open_amount"].abs() > 0.004) & lines["customer_id"].isin(ids)]
    order = lines.assign(_due=pd.to_datetime(lines["due_date"]), _date=pd.to_datetime(lines["date"]))
    lines = lines.loc[order.sort_values(["customer_id", "currency", "_due", "_date", "reference"],
                                        na_position="last", kind="stable").index].reset_index(drop=True)
    lines["disputed"] = lines["disputed"].fillna(False).astype(bool)
    buckets = (*spec.labels, ON_ACCOUNT)
    # Every debtor's totals in one pivot (one per debtor took seconds for a thousand statements).
    totals = (lines.pivot_table(index=["customer_id", "currency"], columns="bucket", values="open_amount",
                                aggfunc="sum", fill_value=0.0, observed=False)
              .reindex(columns=list(buckets), fill_value=0.0).round(2))
    totals.columns.name = None
    totals.insert(0, "balance", totals[list(buckets)].sum(axis=1).round(2))
    totals.insert(1, "overdue", totals[spec.overdue_labels].sum(axis=1).round(2))
    totals = totals.reset_index()
    no_lines, no_totals = lines.iloc[:0][LINE_COLUMNS], totals.iloc[:0].drop(columns="customer_id")
    line_parts = {c: part[LINE_COLUMNS].reset_index(drop=True) for c, part in lines.groupby("customer_id", sort=False)}
    total_parts = {c: part.drop(columns="customer_id").reset_index(drop=True)
                   for c, part in totals.groupby("customer_id", sort=False)}
    return [Statement(customers[c], as_of, line_parts.get(c, no_lines), total_parts.get(c, no_totals), buckets)
            for c in ids]


def debtor_details(engine: Engine, ids: list[str]) -> dict[str, dict]:
    """The debtors' details by id (``CUSTOMER_FIELDS``, the id as the name when there is none), for a
    letter's address block; an id the ledger knows neither as a customer nor from an invoice is refused
    with an :class:`ArboardError`."""
    rows = fetch_keyed(engine, schema.customers, "customer_id", ids, CUSTOMER_FIELDS)
    found = {r["customer_id"]: r for r in rows.astype(object).where(rows.notna(), None).to_dict("records")}
    unknown = [c for c in ids if c not in found]
    billed = set(fetch_keyed(engine, schema.invoices, "customer_id", unknown, ["customer_id"])["customer_id"])
    missing = [c for c in unknown if c not in billed]
    if missing:
        raise ArboardError(f"No debtor {missing[0]!r} in the ledger"
                           + (f" (nor {len(missing) - 1} more)." if len(missing) > 1 else "."), where="customer_id")
    out = {}
    for c in ids:
        details = found.get(c) or dict.fromkeys(CUSTOMER_FIELDS)
        out[c] = {**details, "customer_id": c, "name": details.get("name") or c}
    return out


def overdue_debtors(engine: Engine, as_of: date) -> list[str]:
    """The debtors with an overdue balance as of ``as_of``, largest overdue first (a statement run's list)."""
    table = aging.aging_by_customer(engine, as_of, spec=STATEMENT_AGING)
    return table.loc[table["overdue"] > 0.004, "customer_id"].astype(str).tolist()


def export_lines(st: Statement) -> pd.DataFrame:
    """The statement's lines as a file has them: plain-language kinds, dates as dates."""
    out = st.lines.assign(kind=st.lines["kind"].map(KIND_LABELS))
    out.insert(0, "customer_id", st.customer["customer_id"])
    return out.rename(columns={"date": "document_date"})
