"""What the credit manager decided about the proposals of the Unapplied cash page.

arboard proposes what each payment on account most likely pays (:func:`arboard.unapplied.match_payments`),
with a confidence. A cash-application clerk then looks: the debtor's remittance advice confirms that
the transfer paid INV-1001 and INV-1003, or the group company says the payment was not for its
subsidiary's invoice. That word is worth more than any rule, and arboard keeps it:

- **confirmed**: the payment pays the items proposed. Every page counts it as applied whatever its
  confidence (the plan does not remind those items, the forecast does not expect them again), until
  the ERP applies it and the payment leaves the account;
- **rejected**: it does not. No page counts it, however sure the rule was; the payment is for the
  clerk to find out.

A decision is about the items as proposed then. When the proposal changes (the ledger moved on: an
item was settled otherwise, a new invoice came in), it names other items and the decision no longer
holds: it shows as *outdated* and counts for nothing, until someone decides again or takes it back
(:func:`take_back_outdated` takes back all those of a list at once). Decisions are not dated like the
ledger: they say what a payment was for, which holds as of any day the payment is on account.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from arboard import schema
from arboard.collectors import check_name
from arboard.db import chunks, fetch_frame, get_meta, set_meta
from arboard.errors import ArboardError, check_text
from arboard.words import counted, first_few

cd = schema.cash_decisions
DECISIONS = {"confirmed": "Confirmed", "rejected": "Rejected"}
OUTDATED = "Outdated"
NOTE_MAX = 300  # cash_decisions.note is VARCHAR(300)
MAX_PAYMENTS = 5_000  # per recording: a clerk decides on a screenful; more is a slip of the hand
COLUMNS = ["payment_id", "decision", "items", "match", "decided_on", "decided_by", "note"]
_VERSION = "cash_decisions_version"


def load(engine: Engine) -> pd.DataFrame:
    """Every decision recorded: :data:`COLUMNS`, ``decided_on`` as a date."""
    with engine.connect() as conn:
        return _read(conn)


def _read(conn: Connection) -> pd.DataFrame:
    df = fetch_frame(conn, sa.select(*(cd.c[c] for c in COLUMNS)), COLUMNS)
    df["decided_on"] = pd.to_datetime(df["decided_on"]).dt.date
    return df


def version(engine: Engine) -> str:
    """Changes with every recording or removal: a key for caches (decisions are not a data version, so a
    click does not recompute every page)."""
    with engine.connect() as conn:
        return get_meta(conn, _VERSION) or ""


def record(engine: Engine, proposals: pd.DataFrame, payment_ids: Sequence[str], decision: str, *,
           decided_on: date, today: date, by: str | None = None, note: str | None = None) -> int:
    """Record ``decision`` ("confirmed" or "rejected") on these payments' proposals, in one transaction.

    Parameters
    ----------
    proposals
        The proposals the user saw (:attr:`arboard.unapplied.CashOnAccount.proposals`): what is confirmed
        or rejected is the items they list.
    payment_ids
        The payments decided on; an earlier decision on one of them is replaced.
    decided_on
        The day of the decision, at the latest ``today``.

    Returns
    -------
    int
        How many payments were decided on.

    Raises
    ------
    ArboardError
        An unknown decision, no payment, too many, a payment not among the proposals or one that matches
        nothing (no proposal to decide on), a date after today, a bad name or note. Nothing is written then.
    """
    if decision not in DECISIONS:
        raise ArboardError(f"Decide {decision!r}? Choose confirmed or rejected.")
    ids = list(dict.fromkeys(str(p) for p in payment_ids))
    if not ids:
        raise ArboardError("Tick the payments to decide on first.")
    if len(ids) > MAX_PAYMENTS:
        raise ArboardError(f"{counted(len(ids), 'payment')} at once is more than a clerk checks; decide on at most "
                           f"{MAX_PAYMENTS:,} at a time.")
    if decided_on > today:
        raise ArboardError(f"A decision cannot be dated {decided_on:%d %b %Y}, after today.")
    by = check_name(by)
    note = check_text(note, what="The note on the decision", max_len=NOTE_MAX)
    listed = proposals.drop_duplicates("payment_id").set_index("payment_id")
    missing = [p for p in ids if p not in listed.index]
    if missing:
        raise ArboardError(f"{_some(missing)} {'is' if len(missing) == 1 else 'are'} not on account in the list: "
                           "reload the page and decide again.")
    chosen = listed.loc[ids]
    empty = chosen.index[chosen["invoice_count"] == 0].tolist()
    if empty:
        raise ArboardError(f"{_some(empty)} {'matches' if len(empty) == 1 else 'match'} no open item: there is "
                           f"nothing to {decision[:-1]}. Ask the debtor what it pays.")
    now = datetime.now(UTC).replace(tzinfo=None)
    rows = [{"payment_id": pid, "decision": decision, "items": str(r.invoices), "match": str(r.match)[:40],
             "decided_on": decided_on, "decided_by": by, "note": note, "created_at": now}
            for pid, r in chosen.iterrows()]
    with engine.begin() as conn:
        for part in chunks(ids):
            conn.execute(sa.delete(cd).where(cd.c.payment_id.in_(part)))
        conn.execute(sa.insert(cd), rows)
        set_meta(conn, _VERSION, str(uuid.uuid4()))
    return len(rows)


def remove(engine: Engine, payment_ids: Sequence[str]) -> int:
    """Take back the decisions on these payments (the proposals count by their confidence again);
    returns how many there were."""
    ids = list(dict.fromkeys(str(p) for p in payment_ids))
    if not ids:
        raise ArboardError("Tick the payments whose decision to take back first.")
    with engine.begin() as conn:
        return _delete(conn, ids)


def take_back_outdated(engine: Engine, proposals: pd.DataFrame) -> list[str]:
    """Take back the decisions that no longer hold on these proposals (:data:`OUTDATED`: the proposal names
    other items now), in one transaction; the others stay.

    Parameters
    ----------
    proposals
        The proposals the user sees, under the saved rules (:attr:`arboard.unapplied.CashOnAccount.proposals`).
        Which decisions are outdated is read again from the database here, so a decision made again since
        these proposals were shown is kept.

    Returns
    -------
    list of str
        The payments whose decision was taken back; empty (and nothing written) when none was outdated.
    """
    with engine.begin() as conn:
        decision, _ = labels(proposals, _read(conn))
        ids = list(dict.fromkeys(proposals.loc[decision == OUTDATED, "payment_id"].astype(str)))
        if ids:
            _delete(conn, ids)
    return ids


def _delete(conn: Connection, ids: list[str]) -> int:
    removed = 0
    for part in chunks(ids):
        removed += conn.execute(sa.delete(cd).where(cd.c.payment_id.in_(part))).rowcount or 0
    set_meta(conn, _VERSION, str(uuid.uuid4()))
    return removed


def _some(ids: list[str]) -> str:
    return f"Payment{'s' if len(ids) > 1 else ''} {first_few(ids)}"


def labels(proposals: pd.DataFrame, decisions: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """Per proposal: the decision that holds ("Confirmed", "Rejected", :data:`OUTDATED` when the proposal
    names other items now, "" when none was made) and what it says, in words."""
    if decisions.empty or proposals.empty:
        blank = pd.Series("", index=proposals.index, dtype=object)
        return blank, blank.copy()
    by_id = decisions.drop_duplicates("payment_id", keep="last").set_index("payment_id")
    mine = by_id.reindex(proposals["payment_id"].to_numpy())
    mine.index = proposals.index
    made = mine["decision"].notna()
    holds = made & (mine["items"] == proposals["invoices"])
    kind = mine["decision"].map(DECISIONS)
    decision = pd.Series("", index=proposals.index, dtype=object)
    decision[holds] = kind[holds]
    decision[made & ~holds] = OUTDATED
    words = pd.Series("", index=proposals.index, dtype=object)
    d = mine[made]
    # Plain loops over the decided rows only: a .loc per row took seconds for ten thousand decisions.
    words[made] = [
        f"{kind_}{f' by {by}' if isinstance(by, str) and by else ''} on {pd.Timestamp(on):%d %b %Y}"
        + ("" if same else f" for {items or 'no item'}; the proposal has changed since: decide again")
        + (f" ({note})" if isinstance(note, str) and note else "") + "."
        for kind_, by, on, same, items, note in zip(kind[made], d["decided_by"], d["decided_on"], holds[made],
                                                    d["items"], d["note"], strict=True)]
    return decision, words
