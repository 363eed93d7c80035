"""Credit holds: which debtors should get no more sales on credit, and the register of holds placed.

A credit hold (an order or delivery block in the ERP) is the lever behind the firm end of the
playbook: the domain notes prescribe it for debtors who will not pay. arboard does not block orders
itself, the ERP does; it says whom to block, keeps a register of the holds placed and released, and
so tells the credit manager what changed: who is to be placed on hold, who is on hold and still
meets a rule, and who no longer meets any and can be released.

Two transparent rules, each a setting (:class:`HoldRules`):

- **A playbook's credit-hold step was reached.** An open item of the debtor reached the first step of
  its group's playbook that carries the ``credit_hold`` action (the default "won't pay" ladder holds at
  21 days past due), counted as the outreach plan counts levels: on contact days, and not while the
  item is on hold, promised (with the plan's pause) or disputed (unless the plan reminds disputed
  invoices). Items are judged by the plan's own preparation, so the list and the plan agree.
- **Over the credit limit.** The open balance (all currencies, at the saved exchange rates) exceeds
  the credit limit by the share given: at 100 %, anything over the limit; a debtor without a limit is
  never over it.

The register is one row per hold: placed on a date, why and by whom, released on a date by whom.
A hold placed **by hand** (news of an insolvency, a bounced cheque: a decision, not a rule) stays on
hold until someone releases it; one placed on a rule is offered for release once no rule applies.
A hold counts as of D when it was placed on or before D and not released by then, so the page shows
the holds as they stood on its as-of date. Debtors **exempt** from holds (a key account, a public
body, a group company) are listed apart rather than as ones to place on hold; an exemption holds
until it is lifted, whatever the date.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.collectors import check_name
from arboard.db import chunks, unknown_customers
from arboard.errors import ArboardError, check_text
from arboard.openitems import worked_by
from arboard.outreach import PlanSettings, Playbook, on_contact_days
from arboard.words import first_few

ACTION = "credit_hold"
STATUSES = {"place": "To place on hold", "release": "Can be released", "on_hold": "On hold",
            "exempt": "Exempt"}
REGISTER_COLUMNS = ["hold_id", "customer_id", "placed_on", "reason", "placed_by", "released_on", "released_by",
                    "by_hand"]
COLUMNS = ["status", "customer_id", "name", "collector", "group", "why", "reached_on", "open_ar", "overdue_ar",
           "credit_limit", "utilisation", "placed_on", "placed_by", "hold_reason", "exemption"]
LABELS = {"status": "Status", "customer_id": "Debtor ID", "name": "Debtor", "collector": "Collector",
          "group": "Group", "why": "Why", "reached_on": "Hold step reached on", "open_ar": "Open balance",
          "overdue_ar": "Overdue", "credit_limit": "Credit limit", "utilisation": "Credit limit used",
          "placed_on": "On hold since", "placed_by": "Placed by", "hold_reason": "Reason recorded",
          "exemption": "Exempt from holds"}
EXEMPTION_COLUMNS = ["customer_id", "reason", "exempted_by", "created_at", "exempted_on"]
MONEY = (LABELS["open_ar"], LABELS["overdue_ar"], LABELS["credit_limit"])  # an export's money columns
REASON_MAX = 300  # credit_holds.reason is VARCHAR(300)
MAX_LIMIT_USE = 10.0


@dataclass(frozen=True)
class HoldRules:
    """Which rules put a debtor on the credit-hold list.

    ``playbook_steps``: a playbook step with the credit-hold action was reached. ``limit_use``: the open
    balance exceeds the credit limit times this (1.0: anything over the limit); None leaves the limit out.
    """

    playbook_steps: bool = True
    limit_use: float | None = 1.0

    def __post_init__(self) -> None:
        if self.limit_use is not None and not 0 < self.limit_use <= MAX_LIMIT_USE:
            raise ArboardError(f"Hold above 1 % to {MAX_LIMIT_USE:.0%} of the credit limit, or leave the limit out.")

    @classmethod
    def of(cls, playbook_steps: bool, limit_percent: float) -> HoldRules:
        """The rules as the page and the command line set them: the limit in percent, 0 to leave it out."""
        return cls(playbook_steps=playbook_steps, limit_use=limit_percent / 100 if limit_percent else None)


def hold_steps(playbooks: Mapping[str, Playbook]) -> dict[str, tuple[int, str]]:
    """Per group, the first step from the due date on that carries the credit-hold action: (days past
    due, step name). Groups whose playbook has none are left out; a step before the due date cannot
    hold credit (nothing is overdue yet) and is not counted."""
    out = {}
    for group, book in playbooks.items():
        steps = [s for s in book.steps if ACTION in s.actions and s.offset_days >= 0]
        if steps:
            first = min(steps, key=lambda s: s.offset_days)
            out[group] = (first.offset_days, first.name or f"Step at {first.offset_days} days")
    return out


def due_for_hold(items: pd.DataFrame, profiles: pd.DataFrame, playbooks: Mapping[str, Playbook], as_of: date, *,
                 rules: HoldRules = HoldRules(), settings: PlanSettings = PlanSettings()) -> pd.DataFrame:
    """The debtors that meet a credit-hold rule as of ``as_of``.

    Parameters
    ----------
    items
        The open items as the outreach plan prepares them (:meth:`arboard.outreach.PlanInputs.prepared`):
        ``customer_id, due_date, group, held``.
    profiles
        :func:`arboard.profiles.debtor_profiles` as of ``as_of``: ``customer_id, utilisation``.
    playbooks
        The groups' playbooks; their credit-hold steps (:func:`hold_steps`).
    rules, settings
        Which rules apply; the contact days and the plan's pauses.

    Returns
    -------
    pandas.DataFrame
        ``customer_id, why, reached_on``: why in words (each rule met, joined by "; "), and the day an
        item first reached the credit-hold step (NaT when only the limit rule applies).
    """
    start = pd.Timestamp(as_of)
    why: dict[str, list[str]] = {}
    reached = pd.Series(dtype="datetime64[us]")
    if rules.playbook_steps and len(items):
        live = items.loc[~(items["held"] >= start), ["customer_id", "group", "due_date"]]
        parts = []
        for group, (offset, name) in hold_steps(playbooks).items():
            mine = live[live["group"] == group]
            if mine.empty:
                continue
            when = on_contact_days(mine["due_date"] + pd.Timedelta(days=offset), settings)
            hit = when <= start
            first = when[hit].groupby(mine.loc[hit, "customer_id"].to_numpy()).min()
            parts.append(first)
            words = f"reached “{name}” ({offset} days past due)"
            for cid, day in first.items():
                why.setdefault(cid, []).append(f"{words} on {day:%d %b %Y}")
        if parts:
            reached = pd.concat(parts).groupby(level=0).min()
    if rules.limit_use is not None and len(profiles):
        use = profiles.set_index("customer_id")["utilisation"].astype(float)
        over = use[use > rules.limit_use + 1e-9]
        for cid, share in over.items():
            why.setdefault(cid, []).append(f"owes {share:.0%} of its credit limit")
    if not why:
        return pd.DataFrame({"customer_id": pd.Series(dtype=object), "why": pd.Series(dtype=object),
                             "reached_on": pd.Series(dtype="datetime64[us]")})
    ids = sorted(why)
    text = [_sentence("; ".join(why[c])) for c in ids]
    return pd.DataFrame({"customer_id": ids, "why": text,
                         "reached_on": reached.reindex(ids).to_numpy(dtype="datetime64[us]")})


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- the register -------------------------------------------------------------------------------

def placed(engine: Engine, as_of: date, *, customer_id: str | None = None) -> pd.DataFrame:
    """The holds in force on ``as_of`` (placed on or before it, not released by then), one per debtor
    (of one debtor with ``customer_id``).

    Returns
    -------
    pandas.DataFrame
        :data:`REGISTER_COLUMNS`, oldest first.
    """
    h = schema.credit_holds
    q = (sa.select(*(h.c[c] for c in REGISTER_COLUMNS))
         .where(h.c.placed_on <= as_of, sa.or_(h.c.released_on.is_(None), h.c.released_on > as_of))
         .order_by(h.c.placed_on, h.c.customer_id))
    if customer_id is not None:
        q = q.where(h.c.customer_id == customer_id)
    return _frame(engine, q).drop_duplicates("customer_id")


def standing(engine: Engine, customer_id: str, as_of: date) -> str | None:
    """One debtor's credit-hold standing on ``as_of`` in words (on hold since when, why, by whom; or
    exempt), None when neither."""
    held = placed(engine, as_of, customer_id=customer_id)
    exempt = exemptions(engine, customer_id=customer_id, as_of=as_of)
    spared = next(exempt.itertuples(), None)
    parts = []
    if len(held):
        h = held.iloc[0]
        parts.append(f"On credit hold{' (placed by hand)' if h['by_hand'] else ''} since {h['placed_on']:%d %b %Y}"
                     + (f" (by {h['placed_by']})" if isinstance(h["placed_by"], str) else "")
                     + (f": {h['reason']}" if isinstance(h["reason"], str) else ""))
    if spared is not None:
        parts.append(f"Exempt from credit holds since {spared.exempted_on:%d %b %Y}"
                     + (f": {spared.reason}" if isinstance(spared.reason, str) else "")
                     + (f" (by {spared.exempted_by})" if isinstance(spared.exempted_by, str) else ""))
    return ". ".join(parts) + "." if parts else None


def register_key(engine: Engine) -> tuple:
    """A value that changes whenever a hold is placed or released: for cache keys of what shows holds
    (recording one is not a new data version, which would recompute every page)."""
    h = schema.credit_holds
    with engine.connect() as conn:
        return tuple(conn.execute(sa.select(sa.func.count(), sa.func.count(h.c.released_on),
                                            sa.func.max(h.c.created_at))).one())


def _frame(engine: Engine, q: sa.Select) -> pd.DataFrame:
    with engine.connect() as conn:
        rows = conn.execute(q).all()
    df = pd.DataFrame(rows, columns=REGISTER_COLUMNS)
    for col in ("placed_on", "released_on"):
        df[col] = pd.to_datetime(df[col]).astype("datetime64[us]")
    df["by_hand"] = df["by_hand"].eq(True)  # NULL: a hold placed on a rule, or before arboard knew the difference
    return df


def check_reason(reason: str | None) -> str | None:
    """A hold's reason as stored: trimmed, None when blank (:func:`arboard.errors.check_text`)."""
    return check_text(reason, what="A hold's reason", max_len=REASON_MAX)


def place(engine: Engine, customer_ids: Iterable[str], *, on: date, today: date, reason: str | None = None,
          by: str | None = None, reasons: Mapping[str, str] | None = None, by_hand: Collection[str] = ()) -> int:
    """Record credit holds placed on ``on`` for these debtors, in one transaction.

    Debtors already on hold (a hold not yet released) are left as they are. Without a ``reason``, each
    debtor's own from ``reasons`` is recorded (e.g. the rules it meets, :func:`worklist`'s ``why``),
    cut to :data:`REASON_MAX` characters. The debtors in ``by_hand`` are held by decision, not on a
    rule: they stay on hold until released (:func:`worklist`). Returns how many holds were recorded.

    Raises
    ------
    ArboardError
        No debtor given, an unknown debtor (nothing is recorded), ``on`` after ``today``, a bad
        reason or name (:func:`check_reason`, :func:`arboard.collectors.check_name`), a hold by hand
        without a reason.
    """
    ids = _ids(customer_ids)
    if on > today:
        raise ArboardError(f"A hold cannot be recorded as placed on {on:%d %b %Y}, after today.")
    reason, by = check_reason(reason), check_name(by)
    hand = {str(c).strip() for c in by_hand}
    if hand and not reason and any(not str((reasons or {}).get(c) or "").strip() for c in hand & set(ids)):
        raise ArboardError("Say why the debtor is placed on hold: a hold placed by hand, not on a rule, stays "
                           "until someone releases it, and the reason is what the register shows then.")
    h = schema.credit_holds
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        _known(conn, ids)
        held = set(conn.execute(sa.select(h.c.customer_id).where(h.c.released_on.is_(None))).scalars())
        new = [c for c in ids if c not in held]
        if new:
            own = {c: check_reason(str(r)[:REASON_MAX]) for c, r in (reasons or {}).items() if c in new}
            conn.execute(sa.insert(h), [{"hold_id": str(uuid.uuid4()), "customer_id": c, "placed_on": on,
                                         "reason": reason or own.get(c), "placed_by": by, "created_at": now,
                                         "by_hand": c in hand}
                                        for c in new])
    return len(new)


def release(engine: Engine, customer_ids: Iterable[str], *, on: date, today: date, by: str | None = None) -> int:
    """Record the release on ``on`` of these debtors' holds, in one transaction; returns how many.

    Debtors not on hold are left as they are.

    Raises
    ------
    ArboardError
        No debtor given, an unknown debtor, ``on`` after ``today`` or before the hold was placed
        (nothing is recorded).
    """
    ids = _ids(customer_ids)
    if on > today:
        raise ArboardError(f"A hold cannot be recorded as released on {on:%d %b %Y}, after today.")
    by = check_name(by)
    h = schema.credit_holds
    with engine.begin() as conn:
        _known(conn, ids)
        asked = set(ids)
        open_ = [(c, p) for c, p in conn.execute(sa.select(h.c.customer_id, h.c.placed_on)
                                                 .where(h.c.released_on.is_(None))) if c in asked]
        early = [(c, p) for c, p in open_ if p > on]
        if early:
            c, p = early[0]
            raise ArboardError(f"Debtor “{c}” was placed on hold on {p:%d %b %Y}; it cannot be released before "
                               f"that ({on:%d %b %Y}).")
        for chunk in chunks([c for c, _p in open_], 10_000):
            conn.execute(sa.update(h).where(h.c.customer_id.in_(chunk), h.c.released_on.is_(None))
                         .values(released_on=on, released_by=by))
    return len(open_)


def exempt_since(t: sa.Table) -> sa.ColumnElement:
    """From when an exemption of ``t`` (:data:`arboard.schema.credit_hold_exemptions`) holds: one recorded
    before arboard dated them, from the day it was recorded."""
    return sa.func.coalesce(t.c.exempted_on, sa.cast(t.c.created_at, sa.Date))


def exemptions(engine: Engine, *, customer_id: str | None = None, as_of: date | None = None) -> pd.DataFrame:
    """The debtors exempt from credit holds (:data:`EXEMPTION_COLUMNS`), by customer id (one debtor's
    exemption, if any, with ``customer_id``): those in force now, or with ``as_of`` those in force on
    that day (exempted by then, not lifted by then)."""
    t, lifted = schema.credit_hold_exemptions, schema.credit_hold_exemptions_lifted
    since = exempt_since(t)
    q = sa.select(t.c.customer_id, t.c.reason, t.c.exempted_by, t.c.created_at, since.label("exempted_on"))
    if as_of is not None:
        q = sa.union_all(q.where(since <= as_of), sa.select(
            lifted.c.customer_id, lifted.c.reason, lifted.c.exempted_by, lifted.c.created_at, lifted.c.exempted_on)
            .where(lifted.c.exempted_on <= as_of, lifted.c.lifted_on > as_of))
    q = q.subquery()
    stmt = sa.select(q).order_by(q.c.customer_id, q.c.exempted_on.desc())
    if customer_id is not None:
        stmt = stmt.where(q.c.customer_id == customer_id)
    with engine.connect() as conn:
        rows = conn.execute(stmt).all()
    df = pd.DataFrame(rows, columns=EXEMPTION_COLUMNS).drop_duplicates("customer_id")
    df["exempted_on"] = pd.to_datetime(df["exempted_on"]).astype("datetime64[us]")
    return df.reset_index(drop=True)


def exempt(engine: Engine, customer_ids: Iterable[str], *, reason: str | None = None, by: str | None = None,
           on: date | None = None, today: date | None = None) -> int:
    """Exempt these debtors from credit holds from ``on`` (default ``today``), in one transaction;
    returns how many were not already.

    Raises
    ------
    ArboardError
        As :func:`place`: no debtor, an unknown one, a bad reason or name, a date after today (nothing
        is recorded).
    """
    ids = _ids(customer_ids)
    reason, by = check_reason(reason), check_name(by)
    today = today or date.today()
    on = on or today
    if on > today:
        raise ArboardError(f"An exemption cannot start after today ({today:%d %b %Y}).")
    t = schema.credit_hold_exemptions
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        _known(conn, ids)
        already = set(conn.execute(sa.select(t.c.customer_id)).scalars())
        new = [c for c in ids if c not in already]
        if new:
            conn.execute(sa.insert(t), [{"customer_id": c, "reason": reason, "exempted_by": by, "created_at": now,
                                         "exempted_on": on} for c in new])
    return len(new)


def lift_exemption(engine: Engine, customer_ids: Iterable[str], *, on: date | None = None,
                   today: date | None = None, by: str | None = None) -> int:
    """End these debtors' exemptions on ``on`` (default ``today``): the rules apply to them again from
    that day. The exemption is kept with when and by whom it was lifted, for earlier as-of dates and
    the debtor's history. Returns how many there were.

    Raises
    ------
    ArboardError
        No debtor, a bad name, a date after today or before an exemption began (nothing is recorded).
    """
    ids = _ids(customer_ids)
    by = check_name(by)
    today = today or date.today()
    on = on or today
    if on > today:
        raise ArboardError(f"An exemption cannot be lifted after today ({today:%d %b %Y}).")
    t, lifted = schema.credit_hold_exemptions, schema.credit_hold_exemptions_lifted
    since = exempt_since(t)
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        rows = [r for chunk in chunks(ids, 10_000) for r in conn.execute(
            sa.select(t.c.customer_id, t.c.reason, t.c.exempted_by, since.label("since"))
            .where(t.c.customer_id.in_(chunk))).all()]
        early = [r.customer_id for r in rows if r.since > on]
        if early:
            raise ArboardError(f"{early[0]}'s exemption began after {on:%d %b %Y}: it cannot be lifted before it "
                               "began. Nothing was recorded.")
        if rows:
            conn.execute(sa.insert(lifted), [
                {"lift_id": str(uuid.uuid4()), "customer_id": r.customer_id, "reason": r.reason,
                 "exempted_by": r.exempted_by, "exempted_on": r.since, "lifted_on": on, "lifted_by": by,
                 "created_at": now} for r in rows])
            for chunk in chunks([r.customer_id for r in rows], 10_000):
                conn.execute(sa.delete(t).where(t.c.customer_id.in_(chunk)))
    return len(rows)


def _ids(customer_ids: Iterable[str]) -> list[str]:
    ids = list(dict.fromkeys(str(c).strip() for c in customer_ids if str(c).strip()))
    if not ids:
        raise ArboardError("Choose at least one debtor.")
    return ids


def _known(conn: sa.Connection, ids: list[str]) -> None:
    if unknown := unknown_customers(conn, ids):
        which = "Unknown debtor" if len(unknown) == 1 else "Unknown debtors"
        raise ArboardError(f"{which}: {first_few(unknown, 5)}. Nothing was recorded.")


# --- the list -----------------------------------------------------------------------------------

def build(engine: Engine, as_of: date, *, rules: HoldRules = HoldRules(), settings: PlanSettings = PlanSettings(),
          config=None, lookback_days: int = 365) -> pd.DataFrame:
    """The credit-hold list as of ``as_of`` read from the database (:func:`worklist`), with the debtors
    grouped under the segment ``config`` (default thresholds when None)."""
    from arboard import collectors, outreach, profiles

    prof = profiles.debtor_profiles(engine, as_of, lookback_days=lookback_days)
    inputs = outreach.plan_inputs(engine, as_of, config=config, profile_frame=prof)
    due = due_for_hold(inputs.prepared(settings), prof, inputs.playbooks, as_of, rules=rules, settings=settings)
    return worklist(due, placed(engine, as_of), prof, exempt=exemptions(engine, as_of=as_of), groups=inputs.groups,
                    collectors=collectors.assigned(engine))


def worklist(due: pd.DataFrame, register: pd.DataFrame, profiles: pd.DataFrame, *,
             exempt: pd.DataFrame | None = None, groups: pd.Series | None = None,
             collectors: pd.Series | None = None) -> pd.DataFrame:
    """Who to place on hold, who can be released, who stays on hold and who is exempt.

    Parameters
    ----------
    due
        :func:`due_for_hold`.
    register
        :func:`placed`: the holds in force on the same date. A debtor held on a rule that meets none
        any more can be released; one held by hand (``by_hand``) stays on hold until released.
    profiles
        :func:`arboard.profiles.debtor_profiles`: ``customer_id, name, open_ar, overdue_ar, credit_limit,
        utilisation``.
    exempt
        :func:`exemptions`: debtors never to be held. One not on hold is listed as ``exempt`` (with the
        rules it meets, if any); one on hold, as one that can be released.
    groups, collectors
        Customer id → group key and → collector, for the list's columns.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`; ``status`` is a key of :data:`STATUSES`, in that order; largest overdue balance
        first within each. ``exemption`` says why and by whom a debtor is exempt.
    """
    on_hold = register.set_index("customer_id")
    exempt = exempt if exempt is not None else pd.DataFrame(columns=EXEMPTION_COLUMNS)
    due_ids, free = set(due["customer_id"]), set(exempt["customer_id"])
    rows = pd.DataFrame({"customer_id": pd.Series(sorted(due_ids | set(on_hold.index) | free), dtype=object)})
    held = rows["customer_id"].isin(on_hold.index)
    meets = rows["customer_id"].isin(due_ids)
    spared = rows["customer_id"].isin(free)
    by_hand = rows["customer_id"].map(on_hold["by_hand"]).eq(True) if "by_hand" in on_hold else held & False
    rows["status"] = np.select([spared & ~held, spared | (held & ~meets & ~by_hand), meets & ~held],
                               ["exempt", "release", "place"], "on_hold")
    rows = rows.merge(due, on="customer_id", how="left")
    rows["why"] = (rows["why"].fillna("No rule applies any more").where(~spared | meets, "Meets no rule")
                   .where(~(by_hand & ~meets), "Placed on hold by hand; meets no rule"))
    lower = rows["why"].str[:1].str.lower() + rows["why"].str[1:]
    rows["why"] = rows["why"].mask(spared & held, "Exempt from credit holds; " + lower)
    prof = profiles.set_index("customer_id")
    for col in ("name", "open_ar", "overdue_ar", "credit_limit", "utilisation"):
        rows[col] = rows["customer_id"].map(prof[col]) if col in prof else np.nan
    for col in ("open_ar", "overdue_ar"):
        rows[col] = rows[col].astype(float).fillna(0.0)  # a debtor on hold who has paid everything
    rows["group"] = rows["customer_id"].map(groups) if groups is not None else None
    rows["collector"] = rows["customer_id"].map(collectors) if collectors is not None else None
    rows = rows.merge(register[["customer_id", "placed_on", "placed_by", "reason"]]
                      .rename(columns={"reason": "hold_reason"}), on="customer_id", how="left")
    rows["placed_on"] = rows["placed_on"].astype("datetime64[us]")
    by = exempt["exempted_by"].map(lambda b: f" · by {b}" if isinstance(b, str) else "")
    words = pd.Series((exempt["reason"].fillna("Exempt") + by).to_numpy(dtype=object), index=exempt["customer_id"])
    rows["exemption"] = rows["customer_id"].map(words)
    order = rows["status"].map({k: i for i, k in enumerate(STATUSES)})
    rows = rows.assign(_o=order).sort_values(["_o", "overdue_ar", "customer_id"], ascending=[True, False, True])
    return rows[COLUMNS].reset_index(drop=True)


def filter_list(table: pd.DataFrame, *, status: str | None = None, collector: str | None = None) -> pd.DataFrame:
    """The rows of a :func:`worklist` with this status and of debtors this collector works
    (:data:`arboard.openitems.NO_COLLECTOR`: nobody's); None keeps all."""
    keep = pd.Series(True, index=table.index)
    if status is not None:
        keep &= table["status"] == status
    if collector is not None:
        keep &= worked_by(table["collector"], collector)
    return table[keep]


@dataclass(frozen=True)
class Summary:
    """Counts and balances per status of a :func:`worklist`."""

    counts: dict[str, int]
    open_ar: dict[str, float]
    overdue_ar: dict[str, float]


def summary(table: pd.DataFrame) -> Summary:
    """How many debtors, and their open and overdue balances, per status."""
    by = table.groupby("status")
    return Summary({s: int(by.size().get(s, 0)) for s in STATUSES},
                   {s: float(by["open_ar"].sum().get(s, 0.0)) for s in STATUSES},
                   {s: float(by["overdue_ar"].sum().get(s, 0.0)) for s in STATUSES})


def for_export(table: pd.DataFrame, *, group_labels: Mapping[str, str] | None = None) -> pd.DataFrame:
    """The list with its statuses and groups in words and its columns labelled, for CSV or Excel."""
    out = table.assign(status=table["status"].map(STATUSES))
    if group_labels:
        out["group"] = out["group"].map(lambda g: group_labels.get(g, g))
    for col in ("reached_on", "placed_on"):
        out[col] = pd.to_datetime(out[col]).dt.date
    return out.rename(columns=LABELS)
