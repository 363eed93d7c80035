"""Collectors and their portfolios: who in the credit team works which debtor.

Collections suites hand each collector a portfolio and a work list of their own; a team lead shares out
new accounts and evens out the load when someone joins or leaves. Here the collector is an attribute of
the customer (``customers.collector``), set from the customer master on import (SAP's accounting clerk,
Dynamics' collections agent) or in arboard. Every breakdown by attribute can group by it (the KPIs of
each portfolio), and the debtor list and the day's work list filter by it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import events, schema
from arboard.db import bump_data_version, chunks, fetch_frame, fetch_keyed
from arboard.errors import ArboardError, driver_reason
from arboard.openitems import NO_COLLECTOR
from arboard.profiles import promise_made

NAME_MAX = 100  # customers.collector is VARCHAR(100)
MOVE_SALES_MAX = 5_000  # assignments of more debtors recompute the sales rollup rather than move their sales
SHARE_BY = {"overdue": "Overdue balance", "total": "Open balance", "debtors": "Number of debtors"}
cust = schema.customers

__all__ = ["NAME_MAX", "NO_COLLECTOR", "SHARE_BY", "activity", "assign", "assigned", "check_name", "collector_of",
           "names", "portfolios", "preview", "share", "team", "workload"]


def check_name(name: str | None) -> str | None:
    """A collector's name as stored: trimmed, or None (nobody) when blank.

    Raises
    ------
    ArboardError
        Longer than :data:`NAME_MAX` characters, holding control characters (a line break would split
        the name in an export), or the placeholder that stands for "no collector".
    """
    name = (name or "").strip()
    if not name:
        return None
    if len(name) > NAME_MAX:
        raise ArboardError(f"A collector's name has at most {NAME_MAX} characters; this one has {len(name)}.")
    if any(unicodedata.category(ch).startswith("C") for ch in name):
        raise ArboardError(f"The collector's name {name[:40]!r} holds a control character (a line break or tab).")
    if name == NO_COLLECTOR:
        raise ArboardError(f"“{NO_COLLECTOR}” stands for debtors nobody works; choose another name.")
    return name


def names(engine: Engine) -> list[str]:
    """The collectors named on any customer, in alphabetical order."""
    with engine.connect() as conn:
        rows = conn.execute(sa.select(cust.c.collector).where(cust.c.collector.is_not(None)).distinct()).scalars()
        return sorted(rows, key=str.casefold)


def assigned(engine: Engine) -> pd.Series:
    """Customer id → collector, for every customer somebody works (the work list's lookup)."""
    with engine.connect() as conn:
        found = fetch_frame(conn, sa.select(cust.c.customer_id, cust.c.collector)
                            .where(cust.c.collector.is_not(None)), ["customer_id", "collector"])
    return found.set_index("customer_id")["collector"]


def collector_of(engine: Engine, customer_ids: Sequence[str]) -> pd.Series:
    """The collector of each of these customers (customer id → name; NaN for nobody)."""
    found = fetch_keyed(engine, cust, "customer_id", customer_ids, ["customer_id", "collector"])
    return found.set_index("customer_id")["collector"]


def assign(engine: Engine, assignments: pd.Series | dict, *, collector: str | None = None) -> int:
    """Set who works each debtor, in one transaction: all of it, or (on any error) none.

    Parameters
    ----------
    assignments
        Customer id → collector name (None or blank: nobody), as :func:`share` returns; or, with
        ``collector``, a list of customer ids that all go to ``collector``.
    collector
        One name for every customer listed in ``assignments``.

    Returns
    -------
    int
        The number of debtors whose collector changed.

    Raises
    ------
    ArboardError
        A bad name (:func:`check_name`) or customer ids the database does not hold (the first few are
        named); nothing is written then.
    """
    if collector is not None or not isinstance(assignments, pd.Series | dict):
        pairs = pd.Series(check_name(collector), index=pd.Index(list(assignments), dtype=object), dtype=object)
    else:
        pairs = pd.Series(assignments, dtype=object)
        pairs = pairs.map(check_name) if len(pairs) else pairs
    pairs = pairs[~pairs.index.duplicated(keep="last")]
    if pairs.empty:
        return 0
    current = collector_of(engine, pairs.index.tolist())
    unknown = pairs.index.difference(current.index)
    if len(unknown):
        shown = ", ".join(f"“{c}”" for c in unknown[:5]) + (" …" if len(unknown) > 5 else "")
        raise ArboardError(f"{len(unknown)} of the debtors to assign are not in the customers table: {shown}. "
                           "Nothing was assigned.")
    before = current.reindex(pairs.index).astype(object).where(lambda s: s.notna(), None)
    changed = pairs[[a != b for a, b in zip(pairs, before, strict=True)]]
    if changed.empty:
        return 0
    frame = pd.DataFrame({"customer_id": changed.index.astype(str), "collector": changed.to_numpy(dtype=object)})

    def write(conn: sa.Connection) -> None:
        # One UPDATE per name, with an IN list of at most 5,000 ids (a share-out names a handful).
        for name, ids in frame.groupby(frame["collector"].fillna(""), sort=False)["customer_id"]:
            for part in chunks(ids.tolist()):
                conn.execute(sa.update(cust).where(cust.c.customer_id.in_(part)).values(collector=name or None))

    try:
        with engine.begin() as conn:
            # Credit sales per collector come from a rollup by customer attribute. A few debtors move their
            # sales across it; a share-out of thousands recomputes it whole, which then costs less.
            if len(frame) <= MOVE_SALES_MAX:
                with events.attributes_changing(conn, frame["customer_id"].tolist()):
                    write(conn)
            else:
                write(conn)
                events.rebuild(conn, tables=events.affected_by("customers"))
            bump_data_version(conn)
    except sa.exc.SQLAlchemyError as exc:
        raise ArboardError(f"The database refused the assignment ({driver_reason(exc)}); nothing was changed.") \
            from exc
    return len(changed)


def share(debtors: pd.DataFrame, collectors: Sequence[str], *, by: str = "overdue", only_unassigned: bool = False,
          loads_from: pd.DataFrame | None = None) -> pd.Series:
    """Share debtors out among collectors so that each carries about the same load.

    The largest first, each to the collector with the least load so far (ties: fewer debtors, then the
    order given): no collector ends more than one debtor's load above another, the classic guarantee of
    this greedy rule. Debtors that weigh nothing (no overdue balance, when sharing by overdue) go last,
    each to the collector with the fewest debtors.

    Parameters
    ----------
    debtors
        The debtors to share out, one row each: ``customer_id``, ``collector`` (current, may be missing)
        and the column ``by`` names (``total`` or ``overdue``; not needed for ``"debtors"``), as the debtor
        list holds them.
    collectors
        The names to share among (checked with :func:`check_name`; duplicates once).
    by
        What to even out: a key of :data:`SHARE_BY`.
    only_unassigned
        Leave the debtors that have one of ``collectors`` already where they are, and share out the rest;
        otherwise share every debtor out afresh.
    loads_from
        Where the collectors' present loads come from: their debtors in this table (the whole debtor
        list, when ``debtors`` is part of it) that are not being shared out. Default: ``debtors``.

    Returns
    -------
    pandas.Series
        Customer id → collector, for the debtors that were shared out (pass it to :func:`assign`).
    """
    if by not in SHARE_BY:
        raise ArboardError(f"Share by one of {', '.join(SHARE_BY)}, not {by!r}.")
    team = list(dict.fromkeys(n for n in map(check_name, collectors) if n))
    if not team:
        raise ArboardError("Name at least one collector to share the debtors among.")

    def weights(frame: pd.DataFrame) -> np.ndarray:
        return (np.ones(len(frame)) if by == "debtors"
                else frame[by].astype(float).fillna(0.0).clip(lower=0.0).to_numpy())

    ids = debtors["customer_id"].astype(str).to_numpy()
    current = debtors["collector"].to_numpy(dtype=object)
    movable = ~np.isin(current, team) if only_unassigned else np.ones(len(ids), dtype=bool)
    base = debtors if loads_from is None else loads_from
    staying = base[~base["customer_id"].astype(str).isin(ids[movable]) & base["collector"].isin(team)]
    held = weights(staying)
    load = {n: float(held[(staying["collector"] == n).to_numpy()].sum()) for n in team}
    count = {n: int((staying["collector"] == n).sum()) for n in team}
    rank = {n: i for i, n in enumerate(team)}
    weight = weights(debtors)
    todo = np.flatnonzero(movable)
    # Largest first; equal weights in customer-id order, so that a share-out is reproducible.
    order = todo[np.lexsort((ids[todo], -weight[todo]))]
    out = np.empty(len(order), dtype=object)
    for k, i in enumerate(order):  # a few thousand debtors a share-out: a loop over a team of a few
        # Debtors that weigh nothing (nothing overdue yet) would all pile on the lightest collector:
        # they are shared by number instead.
        name = min(team, key=(lambda n: (load[n], count[n], rank[n])) if weight[i] > 0
                   else (lambda n: (count[n], load[n], rank[n])))
        out[k] = name
        load[name] += weight[i]
        count[name] += 1
    return pd.Series(out, index=pd.Index(ids[order], name="customer_id"), name="collector")


def portfolios(debtors: pd.DataFrame) -> pd.DataFrame:
    """Each collector's portfolio as of the debtor list's date: debtors, open, overdue, what is over 90
    days past due, broken promises.

    Parameters
    ----------
    debtors
        The debtor list (:func:`arboard.explorer.debtor_table`): one row per debtor with an open
        balance, with ``collector``, ``total``, ``overdue``, ``days_past_due`` and ``promise``.

    Returns
    -------
    pandas.DataFrame
        ``collector, debtors, total, overdue, overdue_share, over_90, broken_promises``, the largest
        overdue first; debtors nobody works are one row, :data:`NO_COLLECTOR`.
    """
    who = debtors["collector"].fillna(NO_COLLECTOR)
    late = debtors["days_past_due"] > 90
    frame = pd.DataFrame({"collector": who, "total": debtors["total"], "overdue": debtors["overdue"],
                          "over_90": np.where(late, debtors["overdue"], 0.0),
                          "broken": (debtors["promise"] == "broken").astype(int)})
    out = frame.groupby("collector").agg(debtors=("total", "size"), total=("total", "sum"),
                                         overdue=("overdue", "sum"), over_90=("over_90", "sum"),
                                         broken_promises=("broken", "sum"))
    out["overdue_share"] = np.where(out["total"] > 0, out["overdue"] / out["total"].where(out["total"] > 0), 0.0)
    out = out.reset_index().sort_values(["overdue", "collector"], ascending=[False, True], kind="stable")
    return out[["collector", "debtors", "total", "overdue", "overdue_share", "over_90", "broken_promises"]] \
        .reset_index(drop=True)


def workload(work: pd.DataFrame) -> pd.DataFrame:
    """One day's contacts per collector (a work list with its ``collector`` column): how many, and of
    them how many calls and letters; the most contacts first, nobody's last."""
    frame = work.assign(collector=work["collector"].fillna(NO_COLLECTOR), call=work["channel"] == "phone",
                        letter=work["channel"] == "letter")
    out = frame.groupby("collector").agg(contacts=("channel", "size"), calls=("call", "sum"),
                                         letters=("letter", "sum")).reset_index()
    out["nobody"] = out["collector"] == NO_COLLECTOR
    out = out.sort_values(["nobody", "contacts", "collector"], ascending=[True, False, True], kind="stable")
    return out.drop(columns="nobody").astype({"calls": int, "letters": int}).reset_index(drop=True)


def preview(debtors: pd.DataFrame, assignments: pd.Series) -> pd.DataFrame:
    """What an assignment does to each collector's portfolio: debtors and overdue before and after.

    Parameters
    ----------
    debtors
        The debtor list (``customer_id``, ``collector``, ``overdue``).
    assignments
        Customer id → new collector (None: nobody), as :func:`share` returns.

    Returns
    -------
    pandas.DataFrame
        ``collector, debtors_before, debtors_after, overdue_before, overdue_after``, one row per collector
        (:data:`NO_COLLECTOR` for nobody), the largest overdue after first.
    """
    before = debtors["collector"].fillna(NO_COLLECTOR)
    moved = debtors["customer_id"].map(pd.Series(assignments, dtype=object).fillna(NO_COLLECTOR))
    after = moved.fillna(before)
    overdue = debtors["overdue"].astype(float)
    out = pd.DataFrame({
        "debtors_before": before.value_counts(), "debtors_after": after.value_counts(),
        "overdue_before": overdue.groupby(before).sum(), "overdue_after": overdue.groupby(after).sum(),
    }).fillna(0)
    out[["debtors_before", "debtors_after"]] = out[["debtors_before", "debtors_after"]].astype(int)
    out.index.name = "collector"
    return out.reset_index().sort_values(["overdue_after", "collector"], ascending=[False, True],
                                         kind="stable").reset_index(drop=True)


def activity(engine: Engine, as_of: date, *, days: int = 30) -> pd.DataFrame:
    """What each person in the team did in the ``days`` up to ``as_of``, from the contacts they made
    (``contacts.logged_by``: logged in arboard, or imported with a user column).

    Returns
    -------
    pandas.DataFrame
        ``collector, contacts, calls, debtors_reached, invoices_promised``: a contact about several
        invoices counts once; ``invoices_promised`` counts the invoices promised to pay (a payment plan's
        included). The most contacts first.
    """
    con = schema.contacts
    since = as_of - timedelta(days=days - 1)
    mine = sa.and_(con.c.logged_by.is_not(None), con.c.contact_date >= since, con.c.contact_date <= as_of)
    one = (sa.select(con.c.logged_by, con.c.customer_id, con.c.contact_date, con.c.channel, con.c.kind)
           .where(mine).distinct().subquery("one"))
    q = (sa.select(one.c.logged_by, sa.func.count().label("contacts"),
                   sa.func.sum(sa.case((one.c.channel == "phone", 1), else_=0)).label("calls"),
                   sa.func.count(sa.distinct(one.c.customer_id)).label("debtors_reached"))
         .group_by(one.c.logged_by))
    promised = (sa.select(con.c.logged_by, sa.func.count(sa.distinct(con.c.invoice_id)).label("invoices_promised"))
                .where(mine, promise_made()).group_by(con.c.logged_by))
    with engine.connect() as conn:
        made = fetch_frame(conn, q, ["collector", "contacts", "calls", "debtors_reached"])
        taken = fetch_frame(conn, promised, ["collector", "invoices_promised"])
    out = made.merge(taken, on="collector", how="left").fillna({"invoices_promised": 0})
    out = out.astype({"contacts": int, "calls": int, "debtors_reached": int, "invoices_promised": int})
    return out.sort_values(["contacts", "collector"], ascending=[False, True], kind="stable").reset_index(drop=True)


def team(debtors: pd.DataFrame, done: pd.DataFrame) -> pd.DataFrame:
    """Each collector's portfolio (:func:`portfolios`) beside what they did (:func:`activity`): one row per
    collector, with zeros where one of the two has nothing; nobody's debtors last."""
    out = portfolios(debtors).merge(done, on="collector", how="outer")
    counts = ["debtors", "broken_promises", "contacts", "calls", "debtors_reached", "invoices_promised"]
    out[counts] = out[counts].fillna(0).astype(int)
    money = ["total", "overdue", "over_90", "overdue_share"]
    out[money] = out[money].fillna(0.0)
    out["nobody"] = out["collector"] == NO_COLLECTOR
    out = out.sort_values(["nobody", "overdue", "contacts", "collector"], ascending=[True, False, False, True],
                          kind="stable")
    return out.drop(columns="nobody").reset_index(drop=True)
