"""What is loaded: rows per table, date range, totals per currency, import history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.db import get_meta, row_counts

REPORT_DATE_KEY = "report_date"  # arboard_meta: the date of the last report whose open amounts or items were loaded
SAMPLE_SOURCE = "generated sample"  # how the source of a sample ledger begins (arboard_meta "source")


def is_sample(source: str | None) -> bool:
    """Whether a ledger's ``source`` says it is a generated sample (:mod:`arboard.generate`), to which
    your own data would be added rather than taking its place."""
    return bool(source) and str(source).startswith(SAMPLE_SOURCE)


@dataclass
class LedgerSummary:
    """A snapshot of the loaded ledger."""

    counts: dict[str, int]
    first_invoice: date | None
    last_invoice: date | None
    last_activity: date | None  # latest invoice, paid, payment or contact date
    by_currency: pd.DataFrame  # currency, invoices, invoiced, open_invoices, open_amount (net of part payments)
    source: str | None
    derived_paid_dates: int = 0  # paid dates arboard worked out from the payments (the files gave none)
    open_items_settled: int = 0  # invoices settled because an open-items report no longer listed them
    open_amount_payments: int = 0  # payments recorded from the open amounts of invoices files
    last_report: date | None = None  # of the last report of open items or open amounts loaded (the next is as late)

    @property
    def empty(self) -> bool:
        return self.counts.get("invoices", 0) == 0

    @property
    def sample(self) -> bool:
        """The ledger is a generated sample: your own data would mix with it (remove it first)."""
        return not self.empty and is_sample(self.source)

    @property
    def open_items_only(self) -> bool:
        """No invoice settled: an open-items report, without the history that DSO, CEI, days to pay and
        every behaviour measure are made of (balances and aging are exact). Part payments, loaded or
        taken from an aging report's open amounts, do not make that history."""
        counts = self.by_currency
        return not self.empty and int(counts["open_invoices"].sum()) == int(counts["invoices"].sum())


def ledger_summary(engine: Engine) -> LedgerSummary:
    """Summarise the ledger in a few aggregate queries (nothing row-level leaves the database)."""
    inv, pay, con = schema.invoices, schema.payments, schema.contacts
    with engine.connect() as conn:
        # A paid date is a receipt too: an invoices export without a payments file ends on its last one.
        first, last, last_paid = conn.execute(sa.select(
            sa.func.min(inv.c.invoice_date), sa.func.max(inv.c.invoice_date), sa.func.max(inv.c.paid_date))).one()
        last_pay = conn.execute(sa.select(sa.func.max(pay.c.payment_date))).scalar()
        last_con = conn.execute(sa.select(sa.func.max(con.c.contact_date))).scalar()
        is_open = inv.c.paid_date.is_(None)
        rows = conn.execute(
            sa.select(
                inv.c.currency,
                sa.func.count().label("invoices"),
                sa.func.sum(inv.c.amount).label("invoiced"),
                sa.func.sum(sa.case((is_open, 1), else_=0)).label("open_invoices"),
                sa.func.sum(sa.case((is_open, inv.c.amount), else_=0)).label("open_amount"),
            ).group_by(inv.c.currency).order_by(sa.func.sum(inv.c.amount).desc())
        ).all()
        # Part payments on invoices not yet settled: without them the open amount would disagree with the
        # Overview's open AR on any ledger that has payments.
        part_paid = dict(conn.execute(
            sa.select(inv.c.currency, sa.func.sum(pay.c.amount))
            .select_from(inv.join(pay, pay.c.invoice_id == inv.c.invoice_id))
            .where(is_open).group_by(inv.c.currency)
        ).all())
        source = get_meta(conn, "source")
        last_report = last_report_date(conn)
    by_currency = pd.DataFrame(rows, columns=["currency", "invoices", "invoiced", "open_invoices", "open_amount"])
    for col in ("invoiced", "open_amount"):
        by_currency[col] = by_currency[col].astype(float)
    by_currency["open_amount"] -= by_currency["currency"].map(part_paid).fillna(0).astype(float)
    activity = [d for d in (last, last_paid, last_pay, last_con) if d is not None]
    worked = worked_out(engine)
    return LedgerSummary(row_counts(engine), first, last, max(activity) if activity else None, by_currency, source,
                         worked["paid_dates"], worked["open_items_settled"], worked["open_amount_payments"],
                         last_report)


def worked_out(engine: Engine) -> dict[str, int]:
    """What arboard worked out because the files did not say it (:mod:`arboard.importer`): paid dates from
    the payments (``paid_dates``), invoices settled when an open-items report no longer listed them
    (``open_items_settled``), payments from the open amounts of invoices files (``open_amount_payments``)."""
    inv, pay = schema.invoices, schema.payments
    with engine.connect() as conn:
        paid, dropped = conn.execute(sa.select(sa.func.count().filter(inv.c.paid_from_payments.is_(True)),
                                               sa.func.count().filter(inv.c.paid_from_open_items.is_(True)))).one()
        opened = conn.execute(sa.select(sa.func.count())
                              .where(pay.c.payment_id.startswith(schema.OPEN_AMOUNT_PREFIX))).scalar_one()
    return {"paid_dates": int(paid), "open_items_settled": int(dropped), "open_amount_payments": int(opened)}

def last_report_date(conn: sa.Connection) -> date | None:
    """The date of the last report whose open amounts or open items were loaded (None: none was).

    Databases written before arboard kept it take it from what such reports left: the open-amount
    payments and the invoices an open-items report settled.
    """
    kept = get_meta(conn, REPORT_DATE_KEY)
    if kept is not None:
        return date.fromisoformat(kept) if kept else None
    inv, pay = schema.invoices, schema.payments
    found = [conn.execute(sa.select(sa.func.max(pay.c.payment_date))
                          .where(pay.c.payment_id.startswith(schema.OPEN_AMOUNT_PREFIX))).scalar(),
             conn.execute(sa.select(sa.func.max(inv.c.paid_date)).where(inv.c.paid_from_open_items.is_(True))).scalar()]
    found = [d for d in found if d is not None]
    return max(found) if found else None


def import_history(engine: Engine, *, limit: int = 20) -> pd.DataFrame:
    """The latest imports, newest first."""
    log = schema.import_log
    with engine.connect() as conn:
        rows = conn.execute(sa.select(log).order_by(log.c.at.desc()).limit(limit)).all()
    return pd.DataFrame(rows, columns=[c.name for c in log.columns]).drop(columns=["import_id"])
