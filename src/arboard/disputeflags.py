"""An invoice's dispute flag as of a date: the invoices file's, under the decisions made in arboard.

The ERP's flag is not dated: it says what the invoice is now, and arboard shows it for every as-of
date. A decision made in arboard (:mod:`arboard.disputestatus`) is dated, so a dispute raised on
20 November does not show on the October month-end report, and one resolved on 21 November still
shows there. As of a date D:

- the latest decision dated on or before D counts, while it was in force then (not yet replaced,
  nor overtaken by the file);
- otherwise the file's flag counts: the one the next decision after D found (what the file said
  then), or the invoice's flag today when no decision came after D.

Decisions removed as logged by mistake never count. Both the open items of one date
(:func:`as_of`) and the balance events behind every trend (:func:`spans`, used by
:mod:`arboard.events`) read the flag this way, so a page's list and its totals agree.

A debtor's history asks another question: was the invoice disputed at any time up to D
(:func:`ever`)? A dispute resolved on 21 November was a dispute all the same, for the debtor's
profile, the drivers of late payment, the forecast's delay for disputes and how long disputes take.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from arboard import schema

dd = schema.dispute_decisions
SINCE_EVER = date(1, 1, 1)  # the start of the first span: before any invoice


def _live() -> sa.Select:
    """The decisions that count: all but those removed as logged by mistake."""
    return sa.select(dd.c.invoice_id, dd.c.disputed, dd.c.decided_on, dd.c.created_at, dd.c.file_said,
                     dd.c.ended_on, dd.c.ended_why).where(dd.c.ended_why.is_distinct_from("removed"))


def decided_invoices() -> sa.Select:
    """The invoices with a decision that counts: those whose flag is dated."""
    return sa.select(dd.c.invoice_id).where(dd.c.ended_why.is_distinct_from("removed")).distinct()


def any_decisions(conn: sa.Connection) -> bool:
    """Whether any decision counts: without one, every flag is the file's and nothing needs dating."""
    return conn.execute(_live().limit(1)).first() is not None


def flags_at(points: sa.FromClause, invoices: sa.FromClause = schema.invoices) -> sa.Select:
    """The dispute flag of invoices at dates: ``points`` has ``invoice_id, t``; returns
    ``invoice_id, t, disputed`` for those of ``invoices`` (a stand-in with the same columns, during
    an import)."""
    d = _live().subquery("d")
    key = [points.c.invoice_id, points.c.t]

    def nearest(on: sa.ColumnElement, order: list, *cols: sa.ColumnElement, name: str) -> sa.Subquery:
        rank = sa.func.row_number().over(partition_by=key, order_by=order).label("rank")
        return (sa.select(*key, *cols, rank)
                .select_from(points.join(d, sa.and_(d.c.invoice_id == points.c.invoice_id, on))).subquery(name))

    before = nearest(d.c.decided_on <= points.c.t, [d.c.decided_on.desc(), d.c.created_at.desc()],
                     d.c.disputed, d.c.ended_on, name="before")
    after = nearest(d.c.decided_on > points.c.t, [d.c.decided_on, d.c.created_at], d.c.file_said, name="after")
    in_force = sa.or_(before.c.ended_on.is_(None), before.c.ended_on > points.c.t)

    def match(s: sa.Subquery) -> sa.ColumnElement:
        return sa.and_(s.c.invoice_id == points.c.invoice_id, s.c.t == points.c.t, s.c.rank == 1)

    flag = sa.func.coalesce(sa.case((in_force, before.c.disputed)), after.c.file_said, invoices.c.disputed)
    return (sa.select(*key, flag.label("disputed"))
            .select_from(points.join(invoices, invoices.c.invoice_id == points.c.invoice_id)
                         .outerjoin(before, match(before)).outerjoin(after, match(after))))


def as_of(day: date | sa.ColumnElement, invoices: sa.FromClause = schema.invoices) -> sa.Subquery:
    """``invoice_id, disputed`` as of ``day`` for the invoices arboard decided on; the others keep
    their flag, so callers outer-join this and fall back on ``invoices.disputed``."""
    day = day if isinstance(day, sa.ColumnElement) else sa.literal(day, sa.Date)
    points = decided_invoices().subquery("decided")
    points = sa.select(points.c.invoice_id, day.label("t")).subquery("points")
    q = flags_at(points, invoices).subquery("flags_at")
    return sa.select(q.c.invoice_id, q.c.disputed).subquery("dated_flags")


def joined(source: sa.FromClause, day: date | sa.ColumnElement,
           invoices: sa.FromClause = schema.invoices) -> tuple[sa.FromClause, sa.ColumnElement]:
    """``source`` (which holds ``invoices``) outer-joined to the flags of :func:`as_of`, and the
    invoice's dispute flag as of ``day``: what a query of one date selects instead of ``disputed``."""
    return _outer(source, as_of(day, invoices), invoices)


def _outer(source: sa.FromClause, flags: sa.Subquery, invoices: sa.FromClause) -> tuple[sa.FromClause,
                                                                                         sa.ColumnElement]:
    """``source`` outer-joined to ``flags`` (``invoice_id, disputed`` of the decided invoices), and the
    flag: theirs, else the file's."""
    return (source.outerjoin(flags, flags.c.invoice_id == invoices.c.invoice_id),
            sa.func.coalesce(flags.c.disputed, invoices.c.disputed))


def spans(invoices: sa.FromClause = schema.invoices) -> sa.Select:
    """The dispute flag of each invoice arboard decided on, as spans of days: ``invoice_id, since,
    until, disputed`` (from ``since``, before ``until``; the last span's ``until`` is NULL). The first
    span starts at :data:`SINCE_EVER`; neighbouring spans differ in flag."""
    live = _live().subquery("live")
    points = sa.union(
        sa.select(live.c.invoice_id, sa.literal(SINCE_EVER, sa.Date).label("t")),
        sa.select(live.c.invoice_id, live.c.decided_on),
        # The day a decision ended: the file overtook it (from then its flag counts), or the next one came.
        sa.select(live.c.invoice_id, live.c.ended_on).where(live.c.ended_on.is_not(None)),
    ).subquery("points")
    flags = flags_at(points, invoices).subquery("flags")
    before = sa.func.lag(flags.c.disputed).over(partition_by=flags.c.invoice_id, order_by=flags.c.t)
    steps = sa.select(flags.c.invoice_id, flags.c.t, flags.c.disputed, before.label("before")).subquery("steps")
    changes = (sa.select(steps.c.invoice_id, steps.c.t, steps.c.disputed)
               .where(sa.or_(steps.c.before.is_(None), steps.c.before != steps.c.disputed)).subquery("changes"))
    until = sa.func.lead(changes.c.t).over(partition_by=changes.c.invoice_id, order_by=changes.c.t)
    return sa.select(changes.c.invoice_id, changes.c.t.label("since"), until.label("until"), changes.c.disputed)


def ever(day: date | sa.ColumnElement, invoices: sa.FromClause = schema.invoices) -> sa.Subquery:
    """``invoice_id, disputed``: whether an invoice arboard decided on was disputed on any day up to
    ``day`` (a resolution does not undo the history; a dispute raised after ``day`` is not in it yet).
    The others keep their flag, so callers outer-join this as :func:`as_of`."""
    day = day if isinstance(day, sa.ColumnElement) else sa.literal(day, sa.Date)
    s = spans(invoices).subquery("spans")
    was = sa.func.max(sa.case((s.c.disputed, 1), else_=0)) == 1
    return (sa.select(s.c.invoice_id, was.label("disputed")).where(s.c.since <= day)
            .group_by(s.c.invoice_id).subquery("ever_disputed"))


def joined_ever(source: sa.FromClause, day: date | sa.ColumnElement,
                invoices: sa.FromClause = schema.invoices) -> tuple[sa.FromClause, sa.ColumnElement]:
    """:func:`joined` for :func:`ever`: ``source`` outer-joined, and whether the invoice was disputed
    on any day up to ``day``."""
    return _outer(source, ever(day, invoices), invoices)
