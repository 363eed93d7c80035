"""One debtor's history on a single timeline: invoices, payments, contacts, holds, claims and more."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import creditholds, disputeflags, schema

COLUMNS = ["date", "event", "reference", "amount", "currency", "detail"]


def debtor_timeline(engine: Engine, customer_id: str, *, as_of: date, limit: int = 2_000) -> pd.DataFrame:
    """Events of one customer up to ``as_of``, newest first.

    Returns
    -------
    pandas.DataFrame
        ``date, event, reference, amount, currency, detail``: invoices and credit notes issued and
        settled, payments received, contacts made (channel, kind, outcome, promises, notes), reminders
        held and resumed (:mod:`arboard.holds`), credit holds placed and released
        (:mod:`arboard.creditholds`), disputes resolved in arboard (:mod:`arboard.disputestatus`),
        specific provisions made and ended (:mod:`arboard.impairments`), interest claims sent
        (:mod:`arboard.interestclaims`: the claim, interest and compensation, per currency). Each
        amount carries its currency: a debtor may be billed in more than one.
    """
    inv, pay, con = schema.invoices, schema.payments, schema.contacts
    source, disputed = disputeflags.joined(inv, as_of)  # disputed as of that day
    issued = sa.select(
        inv.c.invoice_date.label("date"),
        sa.case((inv.c.amount < 0, "Credit note"), else_="Invoice").label("event"),
        inv.c.invoice_id.label("reference"), inv.c.amount.label("amount"), inv.c.currency.label("currency"),
        sa.func.concat("due ", sa.cast(inv.c.due_date, sa.String),
                       sa.case((disputed, " · disputed"), else_=""),
                       sa.case((sa.and_(disputed, inv.c.dispute_reason.is_not(None)),
                                sa.func.concat(" (", inv.c.dispute_reason, ")")), else_="")).label("detail"),
    ).select_from(source).where(inv.c.customer_id == customer_id, inv.c.invoice_date <= as_of)
    # What the loaded payments left of an invoice when it was cleared: a credit, a write-off, or a
    # payment the export does not hold. Said only when the ledger has payments at all.
    paid_by_then = (sa.select(sa.func.coalesce(sa.func.sum(pay.c.amount), 0))
                    .where(pay.c.invoice_id == inv.c.invoice_id, pay.c.payment_date <= inv.c.paid_date)
                    .scalar_subquery())
    uncovered = inv.c.amount - paid_by_then
    settled = sa.select(
        inv.c.paid_date.label("date"), sa.literal("Settled").label("event"), inv.c.invoice_id.label("reference"),
        sa.literal(None, sa.Numeric).label("amount"), inv.c.currency,
        sa.func.concat(sa.cast(inv.c.paid_date - inv.c.due_date, sa.String), " days after due",
                       sa.case((sa.and_(inv.c.amount > 0, uncovered > 0.005, sa.exists(sa.select(pay.c.payment_id))),
                                sa.func.concat(" · ", sa.cast(uncovered, sa.String),
                                               " not covered by the payments loaded (credited or written off?)")),
                               else_=""),
                       sa.case((inv.c.paid_from_payments.is_(True), " · date worked out from the payments"),
                               (inv.c.paid_from_open_items.is_(True),
                                " · no longer on the open items reported that day"),
                               else_="")).label("detail"),
    ).where(inv.c.customer_id == customer_id, inv.c.paid_date <= as_of)
    paid = sa.select(
        pay.c.payment_date.label("date"),
        sa.case((pay.c.amount < 0, "Payment reversed"), else_="Payment").label("event"),  # a bounced debit
        sa.func.coalesce(pay.c.invoice_id, "unapplied").label("reference"), pay.c.amount.label("amount"),
        pay.c.currency, sa.func.coalesce(pay.c.method, "").label("detail"),
    ).where(pay.c.customer_id == customer_id, pay.c.payment_date <= as_of)
    contacted = sa.select(
        con.c.contact_date.label("date"), sa.func.concat("Contact: ", con.c.kind).label("event"),
        sa.func.coalesce(con.c.invoice_id, "").label("reference"), con.c.promised_amount.label("amount"),
        # A promise is in the currency of the invoice it is about.
        sa.select(inv.c.currency).where(inv.c.invoice_id == con.c.invoice_id).scalar_subquery(),
        sa.func.concat(con.c.channel,
                       sa.case((con.c.outcome.is_not(None), sa.func.concat(" · ", con.c.outcome)), else_=""),
                       sa.case((con.c.promised_date.is_not(None),
                                sa.func.concat(" · promised for ", sa.cast(con.c.promised_date, sa.String))),
                               else_=""),
                       sa.case((con.c.logged_by.is_not(None), sa.func.concat(" · by ", con.c.logged_by)),
                               else_=""),
                       sa.case((con.c.note.is_not(None), sa.func.concat(" · “", con.c.note, "”")),
                               else_="")).label("detail"),
    ).where(con.c.customer_id == customer_id, con.c.contact_date <= as_of)
    ch = schema.credit_holds
    no_amount = sa.literal(None, sa.Numeric)
    held = sa.select(
        ch.c.placed_on.label("date"),
        sa.case((ch.c.by_hand, "Credit hold placed by hand"), else_="Credit hold placed").label("event"),
        sa.literal("").label("reference"), no_amount, sa.literal(None, sa.String),
        sa.func.concat(sa.func.coalesce(ch.c.reason, ""),
                       sa.case((ch.c.placed_by.is_not(None), sa.func.concat(" · by ", ch.c.placed_by)), else_=""))
        .label("detail"),
    ).where(ch.c.customer_id == customer_id, ch.c.placed_on <= as_of)
    lifted = sa.select(
        ch.c.released_on.label("date"), sa.literal("Credit hold released").label("event"), sa.literal(""), no_amount,
        sa.literal(None, sa.String),
        sa.case((ch.c.released_by.is_not(None), sa.func.concat("by ", ch.c.released_by)), else_="").label("detail"),
    ).where(ch.c.customer_id == customer_id, ch.c.released_on <= as_of)
    ex, exl = schema.credit_hold_exemptions, schema.credit_hold_exemptions_lifted

    def exempted(t: sa.Table, since: sa.ColumnElement) -> sa.Select:
        return sa.select(
            since.label("date"), sa.literal("Exempted from credit holds").label("event"), sa.literal(""), no_amount,
            sa.literal(None, sa.String),
            sa.func.concat(sa.func.coalesce(t.c.reason, ""),
                           sa.case((t.c.exempted_by.is_not(None), sa.func.concat(" · by ", t.c.exempted_by)),
                                   else_="")).label("detail"),
        ).where(t.c.customer_id == customer_id, since <= as_of)

    spared = exempted(ex, creditholds.exempt_since(ex))
    spared_then = exempted(exl, exl.c.exempted_on)
    unspared = sa.select(
        exl.c.lifted_on.label("date"), sa.literal("Exemption from credit holds lifted").label("event"), sa.literal(""),
        no_amount, sa.literal(None, sa.String),
        sa.case((exl.c.lifted_by.is_not(None), sa.func.concat("by ", exl.c.lifted_by)), else_="").label("detail"),
    ).where(exl.c.customer_id == customer_id, exl.c.lifted_on <= as_of)
    dd = schema.dispute_decisions
    resolved = sa.select(
        dd.c.decided_on.label("date"), sa.literal("Dispute resolved").label("event"), dd.c.invoice_id, no_amount,
        sa.literal(None, sa.String),
        sa.func.concat(sa.func.coalesce(dd.c.note, ""),
                       sa.case((dd.c.decided_by.is_not(None), sa.func.concat(" · by ", dd.c.decided_by)), else_=""))
        .label("detail"),
    ).where(dd.c.customer_id == customer_id, ~dd.c.disputed, dd.c.decided_on <= as_of,
            sa.func.coalesce(dd.c.ended_why, "") != "removed")
    oh = schema.outreach_holds
    put, resumed = sa.cast(oh.c.created_at, sa.Date), sa.cast(oh.c.lifted_at, sa.Date)
    on_hold = sa.select(
        put.label("date"), sa.literal("Reminders on hold").label("event"),
        sa.func.coalesce(oh.c.invoice_id, "").label("reference"), no_amount, sa.literal(None, sa.String),
        sa.func.concat(sa.func.coalesce(oh.c.reason, ""),
                       sa.case((oh.c.until.is_not(None), sa.func.concat(" · until ", sa.cast(oh.c.until, sa.String))),
                               else_=" · until lifted")).label("detail"),
    ).where(oh.c.customer_id == customer_id, put <= as_of)
    off_hold = sa.select(
        resumed.label("date"), sa.literal("Reminders on hold: lifted").label("event"),
        sa.func.coalesce(oh.c.invoice_id, "").label("reference"), no_amount, sa.literal(None, sa.String),
        sa.func.coalesce(oh.c.reason, "").label("detail"),
    ).where(oh.c.customer_id == customer_id, resumed <= as_of)
    sp = schema.specific_provisions
    later = sp.alias("later")
    provided = sa.select(
        sp.c.assessed_on.label("date"),
        sa.func.concat("Specific provision ", sa.cast(sp.c.rate, sa.String), "%").label("event"), sa.literal(""),
        no_amount, sa.literal(None, sa.String),
        sa.func.concat(sp.c.reason, sa.case((sp.c.assessed_by.is_not(None), sa.func.concat(" · by ", sp.c.assessed_by)),
                                            else_="")).label("detail"),
    ).where(sp.c.customer_id == customer_id, sp.c.assessed_on <= as_of)
    unprovided = sa.select(
        sp.c.ended_on.label("date"), sa.literal("Specific provision ended").label("event"), sa.literal(""), no_amount,
        sa.literal(None, sa.String),
        sa.case((sp.c.ended_by.is_not(None), sa.func.concat("by ", sp.c.ended_by)), else_="").label("detail"),
    ).where(sp.c.customer_id == customer_id, sp.c.ended_on <= as_of,
            # Replaced by a new rate that day: the new one says it.
            ~sa.exists().where(later.c.customer_id == sp.c.customer_id, later.c.assessed_on == sp.c.ended_on,
                              later.c.assessment_id != sp.c.assessment_id))
    ic = schema.interest_claimed
    claimed = sa.select(
        ic.c.claimed_on.label("date"), sa.literal("Interest claim sent").label("event"),
        ic.c.batch_id.label("reference"), sa.func.sum(ic.c.interest + ic.c.compensation).label("amount"),
        ic.c.currency,
        sa.func.concat(
            sa.cast(sa.func.count(), sa.String),
            sa.case((sa.func.count() == 1, " late payment from "), else_=" late payments from "),
            sa.cast(ic.c.since, sa.String), " to ", sa.cast(ic.c.until, sa.String),
            " · interest ", sa.cast(sa.func.sum(ic.c.interest), sa.String),
            sa.case((sa.func.min(ic.c.claimed_by).is_not(None), sa.func.concat(" · by ", sa.func.min(ic.c.claimed_by))),
                    else_="")).label("detail"),
    ).where(ic.c.customer_id == customer_id, ic.c.claimed_on <= as_of).group_by(
        ic.c.batch_id, ic.c.claimed_on, ic.c.currency, ic.c.since, ic.c.until)
    q = sa.union_all(issued, settled, paid, contacted, on_hold, off_hold, held, lifted, spared, spared_then, unspared,
                     resolved, provided, unprovided, claimed).subquery()
    stmt = sa.select(q).order_by(q.c.date.desc(), q.c.event).limit(limit)
    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(stmt).all(), columns=COLUMNS)
    df["amount"] = df["amount"].astype(float)
    return df


def find_customers(engine: Engine, text: str, *, limit: int = 50) -> pd.DataFrame:
    """Customers whose id or name contains ``text`` (case-insensitive): ``customer_id, name``."""
    c = schema.customers
    pattern = f"%{text.strip().lower()}%"
    q = (sa.select(c.c.customer_id, sa.func.coalesce(c.c.name, c.c.customer_id).label("name"))
         .where(sa.or_(sa.func.lower(c.c.customer_id).like(pattern), sa.func.lower(c.c.name).like(pattern)))
         .order_by(c.c.customer_id).limit(limit))
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(q).all(), columns=["customer_id", "name"])


def with_plan(events: pd.DataFrame, plan: pd.DataFrame) -> pd.DataFrame:
    """A debtor's timeline with its planned contacts (from :func:`arboard.outreach.debtor_plan`) on top.

    Planned rows read ``Planned: <step>``, refer to the invoices the contact is about and carry the
    amount it asks for; the detail names the channel and tone. Newest first, as the timeline.
    """
    if plan is None or plan.empty:
        return events
    planned = pd.DataFrame({
        "date": pd.to_datetime(plan["date"]).dt.date,
        "event": "Planned: " + plan["step"].astype(str),
        "reference": plan["invoices"].astype(str),
        "amount": plan["amount"].astype(float),
        "currency": plan["currency"].astype(str),
        "detail": plan["channel"].astype(str) + " · " + plan["tone"].astype(str),
    })
    out = pd.concat([planned, events], ignore_index=True) if len(events) else planned
    return out.sort_values("date", ascending=False, kind="stable").reset_index(drop=True)
