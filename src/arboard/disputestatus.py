"""Disputes raised and resolved in arboard, over the invoices file's dispute flag.

A debtor calls to dispute an invoice: the collector logs the call as a dispute (:mod:`arboard.logbook`)
and the invoice is disputed from then on (out of the reminders, on the Disputes page) without
waiting for the ERP to record it and for its next export. When the dispute is settled (the proof of
delivery sent, the price confirmed), the collector resolves it here and the reminders resume.

Each decision is kept (``dispute_decisions``) with the flag the invoices file gave the invoice at the
time. An import of the invoices keeps a decision in force over the file's flag as long as the file
still says what it said then; once the file's flag changes, the ERP has caught up (or moved on) and
the file counts again. So the newer word wins, whichever side it comes from, and a decision made in
arboard survives exports that know nothing of it.

The ERP's flag is not dated, but a decision is: a dispute raised today does not show for an earlier
as-of date, and one resolved today still shows there (:mod:`arboard.disputeflags`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import disputes, events, schema
from arboard.collectors import check_name
from arboard.db import bump_data_version, chunks, get_meta
from arboard.errors import ArboardError, check_text
from arboard.words import counted

dd, inv = schema.dispute_decisions, schema.invoices
MAX_INVOICES = 5_000  # per decision: a dispute is about a few invoices; a larger batch is a mistake
NOTE_MAX = 300  # dispute_decisions.note is VARCHAR(300)
REASON_MAX = 100  # invoices.dispute_reason is VARCHAR(100)
COLUMNS = ["invoice_id", "customer_id", "disputed", "decided_on", "decided_by", "reason", "note", "file_said",
           "ended_on", "ended_why"]


def check_reason(reason: str | None) -> str | None:
    """A dispute's reason as stored (:func:`arboard.errors.check_text`): the words of the dispute
    reasons imported from the ERP, "Price difference", "Not delivered"."""
    return check_text(reason, what="A dispute's reason", max_len=REASON_MAX)


def check_note(note: str | None) -> str | None:
    """How a dispute was settled, as stored (:func:`arboard.errors.check_text`)."""
    return check_text(note, what="The note on how the dispute was settled", max_len=NOTE_MAX)


def _rows(conn: sa.Connection, stmt_for: Callable[[list[str]], sa.Select], ids: Sequence[str]) -> list[sa.Row]:
    return [row for part in chunks(ids) for row in conn.execute(stmt_for(part)).all()]


def _in_force(conn: sa.Connection, ids: Sequence[str]) -> dict[str, sa.Row]:
    """The decision in force per invoice, of these invoices."""
    rows = _rows(conn, lambda part: sa.select(dd).where(dd.c.invoice_id.in_(part), dd.c.ended_on.is_(None)), ids)
    return {r.invoice_id: r for r in rows}


def decide(conn: sa.Connection, invoice_ids: Sequence[str], *, disputed: bool, on: date, by: str | None = None,
           reason: str | None = None, note: str | None = None,
           contact_ids: dict[str, str] | None = None, refresh: bool = True) -> list[str]:
    """Record that these invoices are disputed (or no longer), inside the caller's transaction.

    Each invoice's decision in force, if any, ends and the new one replaces it; the invoice's flag
    (and, raising with a ``reason``, its reason) follows, and the balance events of the debtors are
    recomputed (their flag is dated: it changes from ``on``), unless the caller does that once after
    several decisions (``refresh=False``, then :func:`refresh_events`). The caller has checked the values and
    moves the data version on.

    Returns
    -------
    list of str
        The invoices whose flag changed.

    Raises
    ------
    ArboardError
        An unknown invoice, or a decision dated before the one in force it would replace.
    """
    ids = list(dict.fromkeys(invoice_ids))
    found = {r.invoice_id: r for r in _rows(
        conn, lambda part: sa.select(inv.c.invoice_id, inv.c.customer_id, inv.c.disputed)
        .where(inv.c.invoice_id.in_(part)), ids)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise ArboardError(f"There is no invoice “{missing[0]}”" + (f" (nor {len(missing) - 1} more)."
                                                                     if len(missing) > 1 else "."))
    current = _in_force(conn, ids)
    for invoice_id, old in current.items():
        if old.decided_on > on:
            raise ArboardError(f"Invoice “{invoice_id}”: its dispute was {'raised' if old.disputed else 'resolved'} "
                               f"on {old.decided_on.isoformat()}, after {on.isoformat()}.")
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [{"decision_id": str(uuid.uuid4()), "invoice_id": i, "customer_id": found[i].customer_id,
             "disputed": disputed, "decided_on": on, "decided_by": by, "reason": reason if disputed else None,
             "note": note, "file_said": current[i].file_said if i in current else bool(found[i].disputed),
             "contact_id": (contact_ids or {}).get(i), "replaces": current[i].decision_id if i in current else None,
             "ended_on": None, "ended_why": None, "created_at": now} for i in ids]
    ending = [r.decision_id for r in current.values()]
    for part in chunks(ending):
        conn.execute(sa.update(dd).where(dd.c.decision_id.in_(part)).values(ended_on=on, ended_why="decision"))
    conn.execute(sa.insert(dd), rows)
    changed = [i for i in ids if bool(found[i].disputed) != disputed]
    values = {"disputed": disputed, **({"dispute_reason": reason} if disputed and reason else {})}
    for part in chunks(ids if "dispute_reason" in values else changed):
        conn.execute(sa.update(inv).where(inv.c.invoice_id.in_(part)).values(**values))
    # Even an unchanged flag is now dated from ``on``: a resolution today of an invoice the file
    # flags changes nothing now but every as-of date before the file's next word.
    if refresh:
        refresh_events(conn, sorted({found[i].customer_id for i in ids}))
    return changed


def refresh_events(conn: sa.Connection, customer_ids: Sequence[str]) -> None:
    """Recompute the balance events of these debtors (their dispute decisions changed), when the
    events are current; otherwise the next read rebuilds them all anyway."""
    if not customer_ids or get_meta(conn, "events_version") != (get_meta(conn, "data_version") or "0"):
        return
    events.rebuild(conn, tables=(schema.ar_events, schema.ar_daily),
                   only_customers=sa.select(inv.c.customer_id).where(inv.c.customer_id.in_(customer_ids)))


def _chosen(invoice_ids: Sequence[str], none: str, verb: str, things: str) -> list[str]:
    """The invoice numbers given, stripped and once each; refused when none or too many."""
    ids = list(dict.fromkeys(i.strip() for i in invoice_ids if i and i.strip()))
    if not ids:
        raise ArboardError(none)
    if len(ids) > MAX_INVOICES:
        raise ArboardError(f"{verb} at most {MAX_INVOICES:,} {things} at once; {len(ids):,} were chosen.")
    return ids


def resolve(engine: Engine, invoice_ids: Sequence[str], *, on: date, today: date, by: str | None = None,
            note: str | None = None) -> int:
    """Record disputes as settled on ``on``: the invoices are due again and the plan reminds them.

    One transaction, which moves the data version on. Returns how many disputes were resolved.

    Raises
    ------
    ArboardError
        No invoice, more than :data:`MAX_INVOICES`, an unknown invoice or one not in dispute, a date
        after ``today`` or before the dispute was raised in arboard, a bad name or note. Nothing is
        recorded then.
    """
    ids = _chosen(invoice_ids, "Choose the disputed invoices to resolve.", "Resolve", "disputes")
    if on > today:
        raise ArboardError(f"The dispute would be resolved on {on.isoformat()}, after today ({today.isoformat()}).")
    note, by = check_note(note), check_name(by)
    with engine.begin() as conn:
        flags = dict(_rows(conn, lambda part: sa.select(inv.c.invoice_id, inv.c.disputed)
                           .where(inv.c.invoice_id.in_(part)), ids))
        calm = [i for i in ids if i in flags and not flags[i]]
        if calm:
            raise ArboardError(f"Invoice “{calm[0]}” is not in dispute" + (f" (nor are {len(calm) - 1} more)."
                                                                         if len(calm) > 1 else "."))
        decide(conn, ids, disputed=False, on=on, by=by, note=note)
        bump_data_version(conn)
    return len(ids)


def mark_contacted(engine: Engine, invoice_ids: Sequence[str], *, as_of: date, today: date,
                   by: str | None = None, reason: str | None = None) -> int:
    """Mark disputed the open invoices a dispute contact in the log names (:func:`arboard.disputes.unmarked`),
    each from the date of that contact: they leave the reminders, and earlier as-of dates from then on
    show them disputed.

    ``reason`` is the dispute's reason for all of them (the contacts log has none; without it an
    invoice keeps the reason its file gave, if any). One transaction, which moves the data version on.
    Returns how many invoices were marked.

    Raises
    ------
    ArboardError
        No invoice, more than :data:`MAX_INVOICES`, an invoice that is not on that list as of ``as_of``,
        ``as_of`` after ``today``, a bad name or reason. Nothing is recorded then.
    """
    ids = _chosen(invoice_ids, "Choose the invoices to mark as disputed.", "Mark", "invoices")
    if as_of > today:
        raise ArboardError(f"The as-of date {as_of.isoformat()} is after today ({today.isoformat()}).")
    by, reason = check_name(by), check_reason(reason)
    listed = disputes.unmarked(engine, as_of).set_index("invoice_id")
    absent = [i for i in ids if i not in listed.index]
    if absent:
        raise ArboardError(f"Invoice “{absent[0]}” has no dispute contact left to mark as of {as_of.isoformat()}: "
                           "it is settled, already disputed, or its dispute was decided in arboard since"
                           + (f" (and {len(absent) - 1} more)." if len(absent) > 1 else "."))
    chosen = listed.loc[ids]
    with engine.begin() as conn:
        for raised, group in chosen.groupby("raised"):
            decide(conn, group.index.tolist(), disputed=True, on=raised.date(), by=by, reason=reason,
                   note="From the dispute contact in the log", contact_ids=group["contact_id"].to_dict(),
                   refresh=False)
        refresh_events(conn, sorted(set(chosen["customer_id"])))
        bump_data_version(conn)
    return len(ids)


def undo_contact(conn: sa.Connection, contact_ids: Sequence[str]) -> None:
    """A dispute contact logged by mistake is removed: the decision it made, if still in force, ends
    and the one it replaced (or the file's flag) counts again. Inside the caller's transaction."""
    rows = _rows(conn, lambda part: sa.select(dd).where(dd.c.contact_id.in_(part), dd.c.ended_on.is_(None)),
                 contact_ids)
    if not rows:
        return
    before = {r.decision_id: r for r in _rows(conn, lambda part: sa.select(dd).where(dd.c.decision_id.in_(part)),
                                              [r.replaces for r in rows if r.replaces])}
    conn.execute(sa.update(dd).where(dd.c.decision_id.in_([r.decision_id for r in rows]))
                 .values(ended_on=date.today(), ended_why="removed"))
    for r in rows:
        back = before.get(r.replaces)
        if back is not None and back.ended_why == "decision":
            conn.execute(sa.update(dd).where(dd.c.decision_id == back.decision_id).values(ended_on=None,
                                                                                         ended_why=None))
        flag = back.disputed if back is not None and back.ended_why == "decision" else r.file_said
        if flag != r.disputed:
            conn.execute(sa.update(inv).where(inv.c.invoice_id == r.invoice_id).values(disputed=flag))
    refresh_events(conn, sorted({r.customer_id for r in rows}))  # the dated flag lost a change either way


def apply_to_import(conn: sa.Connection, staged: sa.Table, *, today: date) -> list[str]:
    """Keep the decisions in force over the flags of a staged invoices file, inside the import's
    transaction and before its write; returns what happened, in words, for the import's notes.

    A decision whose invoice the file now flags otherwise than when it was made ends (the ERP caught
    up); the others set the staged flag (and, for a dispute raised with a reason, the reason the file
    leaves empty).
    """
    active = dd.c.ended_on.is_(None)
    if "disputed" not in staged.c or conn.execute(sa.select(dd.c.decision_id).where(active).limit(1)).first() is None:
        return []  # a file without a dispute column leaves every flag as it is
    mine = sa.and_(active, dd.c.invoice_id == staged.c.invoice_id)
    moved_on = sa.select(dd.c.decision_id).where(mine, dd.c.file_said != staged.c.disputed)
    gave_way = conn.execute(sa.update(dd).where(dd.c.decision_id.in_(moved_on))
                            .values(ended_on=today, ended_why="file")).rowcount
    kept = conn.execute(sa.select(sa.func.count()).select_from(staged).join(dd, mine)
                        .where(dd.c.disputed != staged.c.disputed)).scalar_one()
    values = {"disputed": dd.c.disputed}
    if "dispute_reason" in staged.c:
        values["dispute_reason"] = sa.case((dd.c.disputed, sa.func.coalesce(staged.c.dispute_reason, dd.c.reason)),
                                           else_=staged.c.dispute_reason)
    conn.execute(sa.update(staged).where(mine).values(values))
    notes = []
    if kept:
        notes.append(f"{counted(kept, 'invoice keeps', 'invoices keep')} the dispute status set in arboard, not "
                     "the file's: the ERP's flag has not changed since the dispute was raised or resolved there (a "
                     "file without a dispute column never changes it). Once it changes, the file's counts again.")
    if gave_way:
        gives = "gives" if gave_way == 1 else "give"
        notes.append(f"{counted(gave_way, 'dispute decision')} made in arboard {gives} way to the file: it flags"
                     " the invoices otherwise than when the decision was made, so the ERP has caught up.")
    return notes


def history(engine: Engine, *, invoice_ids: Sequence[str] | None = None,
            customer_id: str | None = None) -> pd.DataFrame:
    """The decisions made in arboard (of some invoices, or of a debtor), latest first (:data:`COLUMNS`)."""
    q = sa.select(*(dd.c[c] for c in COLUMNS)).order_by(dd.c.decided_on.desc(), dd.c.created_at.desc())
    if customer_id is not None:
        q = q.where(dd.c.customer_id == customer_id)
    with engine.connect() as conn:
        if invoice_ids is None:
            rows = conn.execute(q).all()
        else:
            rows = [r for part in chunks(list(invoice_ids)) for r in conn.execute(q.where(dd.c.invoice_id.in_(part)))]
    out = pd.DataFrame(rows, columns=COLUMNS)
    for col in ("decided_on", "ended_on"):
        out[col] = pd.to_datetime(out[col]).astype("datetime64[us]")
    return out.sort_values(["decided_on"], ascending=False, kind="stable").reset_index(drop=True)
