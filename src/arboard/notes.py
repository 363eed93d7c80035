"""Notes on contacts: what was said, for whoever contacts the debtor next.

A collector about to call reads the last note first ("AP approved it for the 30th's payment run",
"cash-flow problem, call back after the 15th"); collections suites put it beside each call. A note
is typed when a contact is logged in arboard (:mod:`arboard.logbook`) or comes with the contacts
file from the CRM (its notes or comments column).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema, store
from arboard.db import fetch_frame

COLUMNS = ["customer_id", "note_date", "note_by", "note"]
SMALL = 500  # at most this many debtors are named in the query; more are staged
con = schema.contacts

__all__ = ["COLUMNS", "last_note", "last_notes", "with_last_notes"]


def last_notes(engine: Engine, customer_ids: Sequence[str], *, as_of: date) -> pd.DataFrame:
    """The latest note of each of these debtors, of the contacts dated on or before ``as_of``.

    Returns
    -------
    pandas.DataFrame
        :data:`COLUMNS`, one row per debtor with a note (none for the others): the contact's date,
        who made it (None when not recorded) and the note. Of two contacts logged in arboard on one
        day the later logged wins (their ids sort as logged).
    """
    ids = pd.DataFrame({"customer_id": list(dict.fromkeys(str(c) for c in customer_ids))})
    if ids.empty:
        return pd.DataFrame(columns=COLUMNS)
    with engine.connect() as conn:
        # A busy day's work list names 30,000 debtors: staged, not in IN lists of 5,000 (0.23 s against
        # 0.86 s at 10M invoices); a debtor or a few go in the query itself.
        staged = store.stage(conn, schema.customers, ids) if len(ids) > SMALL else None
        try:
            theirs = sa.select(staged.table.c.customer_id) if staged else ids["customer_id"].tolist()
            ranked = (sa.select(con.c.customer_id, con.c.contact_date, con.c.logged_by, con.c.note,
                                sa.func.row_number().over(partition_by=con.c.customer_id,
                                                          order_by=(con.c.contact_date.desc(),
                                                                    con.c.contact_id.desc())).label("k"))
                      .where(con.c.customer_id.in_(theirs), con.c.note.is_not(None), con.c.contact_date <= as_of)
                      .subquery())
            found = fetch_frame(conn, sa.select(ranked.c.customer_id, ranked.c.contact_date, ranked.c.logged_by,
                                                ranked.c.note).where(ranked.c.k == 1), COLUMNS)
        finally:
            if staged:
                staged.drop()
    found["note_date"] = pd.to_datetime(found["note_date"]).dt.date
    return found.sort_values("customer_id", ignore_index=True)


def _said(row) -> str:
    """A note with its day and author: "12 Nov 2026, Katrin Vogel: <the note>"."""
    return (f"{row.note_date:%d %b %Y}" + (f", {row.note_by}" if isinstance(row.note_by, str) else "")
            + f": {row.note}")


def last_note(engine: Engine, customer_id: str, *, as_of: date) -> str | None:
    """One debtor's latest note as of ``as_of``, with its day and author (None without one)."""
    found = last_notes(engine, [customer_id], as_of=as_of)
    return _said(next(found.itertuples(index=False))) if len(found) else None


def with_last_notes(table: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """``table`` (rows with a ``customer_id``: a work list, a debtor list) with a column ``last_note``:
    "12 Nov 2026, Katrin Vogel: <the note>" from :func:`last_notes`, empty for a debtor without one."""
    said = {r.customer_id: _said(r) for r in found.itertuples(index=False)}
    return table.assign(last_note=table["customer_id"].astype(str).map(said).fillna(""))
