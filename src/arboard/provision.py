"""The allowance for doubtful accounts (bad-debt provision) by the provision-matrix method.

What part of today's receivables will never be collected? The provision matrix (IFRS 9's simplified
approach for trade receivables; the aging method of CECL) answers it per aging bucket: each
bucket's **loss rate** is what the ledger itself lost of the receivables that sat in that bucket at
past month ends, applied to what is in the bucket now.

How the loss rates are measured, from the ledger alone:

- **Observations**: the positive open invoices at each of ``lookback_months`` month ends, the last of
  them ``outcome_months`` before the as-of date, so every observation has had that long to play out.
  Each counts with what was open on it then, in the bucket of its days past due then.
- **Lost**, as of the as-of date: what an invoice cleared without payment was cleared for beyond its
  payments (a write-off, as an ERP's cleared items show one), and what is still open more than
  ``doubtful_days`` past due (the cash forecast's line for doubtful items). Each observation loses at
  most what was open on it.
- A write-off can only be told from a payment when payments are loaded: invoices cleared before the
  first payment applied to an invoice, and those an open-items report settled (paid, credited or
  written off: the report does not say), count as collected. A ledger without payments learns its
  losses from long-overdue open items alone, and the matrix says so.

The applied rate is the historical one adjusted for the outlook (IFRS 9 asks for forward-looking
information: ``outlook`` percent more or less on every rate), unless a rate is set by hand for the
bucket. Credit notes and unapplied cash are not provided for; disputed invoices are, in their bucket.
The policy is the company's, saved in the database like the interest terms.

Debtors assessed one by one (:mod:`arboard.impairments`: an insolvency, a claim with the lawyers) are
provided for at their own rate and leave the matrix, so nothing is provided for twice. The history
behind the rates keeps them: their losses are the portfolio's experience.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, fields
from datetime import date, timedelta

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import aging, events, fx, impairments, schema
from arboard.aging import AgingSpec
from arboard.db import fetch_frame, get_meta_json, set_meta
from arboard.errors import ArboardError
from arboard.kpis import add_months, month_end
from arboard.openitems import open_items

KEY = "provision_policy"
LIMITS = {"lookback_months": (1, 36), "outcome_months": (3, 36), "doubtful_days": (30, 730)}
OUTLOOK_LIMITS = (-50.0, 200.0)
MONEY_COLUMNS = ("open", "provision")
MATRIX, SPECIFIC = "Provision matrix", "Specific provision"
SPECIFIC_COLUMNS = ["customer_id", "name", "currency", "invoices", "open", "rate", "provision", "reason",
                    "assessed_on", "assessed_by"]
FAR = date(9999, 12, 31)
inv, pay, ev = schema.invoices, schema.payments, schema.ar_events


@dataclass(frozen=True)
class ProvisionPolicy:
    """How the provision is worked out (see the module's notes).

    ``rates`` holds the loss rates set by hand, in percent, by bucket label (e.g. ``{"Over 120": 75}``);
    ``edges`` are the aging buckets' edges in days past due.
    """

    lookback_months: int = 12
    outcome_months: int = 12
    doubtful_days: int = 180
    outlook: float = 0.0
    edges: tuple[int, ...] = (30, 60, 90, 120)
    rates: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        names = {"lookback_months": "months observed", "outcome_months": "months each observation plays out",
                 "doubtful_days": "days past due that count as lost"}
        for name, (lo, hi) in LIMITS.items():
            value = getattr(self, name)
            if not (isinstance(value, int) and not isinstance(value, bool) and lo <= value <= hi):
                raise ArboardError(f"The {names[name]} must be a whole number from {lo} to {hi}, not {value!r}.",
                                   where=name)
        lo, hi = OUTLOOK_LIMITS
        number = isinstance(self.outlook, (int, float)) and not isinstance(self.outlook, bool)
        if not (number and lo <= self.outlook <= hi):
            raise ArboardError(f"The outlook adjustment must be between {lo:g}% and +{hi:g}%, not {self.outlook!r}.",
                               where="outlook")
        try:
            spec = AgingSpec(edges=tuple(self.edges))
        except (ValueError, TypeError) as exc:
            raise ArboardError(f"The bucket edges {self.edges!r} are not usable: {exc}.", where="edges") from None
        object.__setattr__(self, "edges", spec.edges)
        for label, rate in self.rates.items():
            if label not in spec.labels:
                raise ArboardError(f"There is no bucket {label!r}; the buckets are {', '.join(spec.labels)}.",
                                   where="rates")
            if not (isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate <= 100):
                raise ArboardError(f"The loss rate of {label} must be between 0 and 100 percent, not {rate!r}.",
                                   where="rates")

    def to_json(self) -> str:
        """The policy as JSON (what :func:`save` stores and :meth:`from_dict` reads back)."""
        return json.dumps({**asdict(self), "edges": list(self.edges)}, sort_keys=True)

    @classmethod
    def from_dict(cls, data: object) -> ProvisionPolicy:
        """A policy from saved JSON (the default for nothing saved); raises ArboardError or TypeError
        when it is not one."""
        if data is None:
            return cls()
        if not isinstance(data, dict):
            raise TypeError("a provision policy is a JSON object")
        kept = {k: v for k, v in data.items() if k in {f.name for f in fields(cls)}}
        if "edges" in kept:
            kept["edges"] = tuple(kept["edges"])
        if "rates" in kept and not isinstance(kept["rates"], dict):
            raise TypeError("rates")
        return cls(**kept)

    @property
    def spec(self) -> AgingSpec:
        return AgingSpec(edges=self.edges)

    def observation_dates(self, as_of: date) -> list[date]:
        """The month ends observed, oldest first: the last one ``outcome_months`` before ``as_of``."""
        last = add_months(as_of, -self.outcome_months)
        last = month_end(last) if last == month_end(last) else month_end(add_months(last, -1))
        return [month_end(add_months(last, -k)) for k in range(self.lookback_months - 1, -1, -1)]

    def describe(self, as_of: date) -> str:
        """The method in a sentence, for a caption."""
        dates = self.observation_dates(as_of)
        when = (f"the {self.lookback_months} month ends {dates[0]:%b %Y} to {dates[-1]:%b %Y}, each"
                if len(dates) > 1 else f"the end of {dates[0]:%b %Y},")
        text = (f"Loss rates from the open invoices at {when} followed for {self.outcome_months} months or more: "
                f"lost is what was written off, or is still open more than {self.doubtful_days} days past due.")
        if self.outlook:
            text += f" Every rate {'+' if self.outlook > 0 else '−'}{abs(self.outlook):g}% for the outlook."
        if self.rates:
            text += " Set by hand: " + ", ".join(f"{k} {v:g}%" for k, v in self.rates.items()) + "."
        return text


def rates_frame(policy: ProvisionPolicy) -> pd.DataFrame:
    """The rates set by hand as a table to edit: ``bucket, rate`` (percent; NaN: from history)."""
    labels = policy.spec.labels
    return pd.DataFrame({"bucket": labels, "rate": [policy.rates.get(b) for b in labels]}).astype({"rate": float})


def from_form(previous: ProvisionPolicy, *, lookback_months: int, outcome_months: int, doubtful_days: int,
              outlook: float, edges: str, rates: pd.DataFrame) -> ProvisionPolicy:
    """The policy a form gives: ``edges`` as typed ("30, 60, 90"), ``rates`` as :func:`rates_frame` edited.

    Rates set by hand belong to the buckets they were set on: with new edges, every bucket starts from
    history. Raises ArboardError saying what is wrong.
    """
    try:
        cut = tuple(int(x) for x in edges.replace(";", ",").split(",") if x.strip())
    except ValueError:
        raise ArboardError(f"Bucket edges must be whole numbers of days, separated by commas, not {edges!r}.",
                           where="edges") from None
    by_hand = {str(b): float(r) for b, r in zip(rates["bucket"], rates["rate"], strict=True) if pd.notna(r)}
    return ProvisionPolicy(int(lookback_months), int(outcome_months), int(doubtful_days), float(outlook), cut,
                           by_hand if cut == previous.edges else {})


def load(engine: Engine) -> ProvisionPolicy:
    """The saved policy, or the default (12 month ends, each followed for 12 months, 180 days)."""
    try:
        return ProvisionPolicy.from_dict(get_meta_json(engine, KEY))
    except (TypeError, ArboardError):  # edited by hand: the default rather than a failing page
        return ProvisionPolicy()


def save(engine: Engine, policy: ProvisionPolicy) -> ProvisionPolicy:
    """Save the policy (checked when it was made); returns it."""
    with engine.begin() as conn:
        set_meta(conn, KEY, policy.to_json())
    return policy


@dataclass(frozen=True)
class Matrix:
    """The provision as of one date.

    ``table`` has a row per bucket: ``bucket, open, invoices`` (positive open invoices now),
    ``observed, lost`` (the history behind the rate), ``historical_rate, applied_rate`` (fractions;
    the historical one NaN without history), ``source`` ("history", "set by hand", "no history"),
    ``provision``: the debtors in the matrix. ``specific`` has a row per debtor (and currency) assessed
    one by one and in force on ``as_of``: ``customer_id, name, currency, invoices, open, rate`` (percent),
    ``provision, reason, assessed_on, assessed_by``; a debtor with nothing open has ``open`` 0.
    """

    as_of: date
    policy: ProvisionPolicy
    currency: str | None  # None: all currencies, in the reporting currency of ``rates`` (face value without)
    rates: fx.Rates
    table: pd.DataFrame
    observation_dates: list[date]
    writeoffs_from: date | None  # the first day a write-off can be told from a payment; None: never
    written_off_12m: float  # written off in the 12 months to as_of (known write-offs only)
    credits: float  # open credit notes and unapplied cash, not provided for (negative)
    specific: pd.DataFrame  # the debtors provided for one by one (see above)

    def in_percent(self) -> pd.DataFrame:
        """:attr:`table` with the rates in percent, for display."""
        return self.table.assign(historical_rate=self.table["historical_rate"] * 100,
                                 applied_rate=self.table["applied_rate"] * 100)

    @property
    def open(self) -> float:
        """The positive open invoices: in the matrix and assessed one by one."""
        return float(self.table["open"].sum()) + self.specific_open

    @property
    def provision(self) -> float:
        """The whole provision: the matrix's and the specific ones."""
        return float(self.table["provision"].sum()) + self.specific_provision

    @property
    def specific_open(self) -> float:
        return float(self.specific["open"].sum())

    @property
    def specific_provision(self) -> float:
        return float(self.specific["provision"].sum())

    @property
    def specific_debtors(self) -> list[str]:
        """The debtors provided for one by one, in order of their ids."""
        return sorted(set(self.specific["customer_id"]))

    @property
    def coverage(self) -> float | None:
        """The provision as a share of the open invoices (None when nothing is open)."""
        return self.provision / self.open if self.open > 0.004 else None

    @property
    def history(self) -> bool:
        """Whether any observation was found (else the rates are the user's or zero)."""
        return float(self.table["observed"].sum()) > 0

    @property
    def without_history(self) -> list[str]:
        """Buckets with something open now but neither history nor a rate set by hand."""
        t = self.table
        return t.loc[(t["source"] == "no history") & (t["open"] > 0.004), "bucket"].tolist()


def _first_payment(conn: sa.Connection, as_of: date) -> date | None:
    """The first day a payment was applied to an invoice (by ``as_of``): from then on, an invoice cleared
    for more than its payments was written off."""
    return conn.execute(sa.select(sa.func.min(pay.c.payment_date))
                        .where(pay.c.invoice_id.is_not(None), pay.c.payment_date <= as_of)).scalar()


def _judged(as_of: date, invoices: sa.FromClause, *, writeoffs_from: date | None,
            doubtful_days: int | None) -> sa.Select:
    """``invoices`` (with ``invoice_id, amount, due_date, paid_date, paid_from_open_items``) with what was
    lost of each as of ``as_of`` (``lost``: 0 when nothing was); without ``doubtful_days``, write-offs only."""
    at = sa.literal(as_of, sa.Date)
    paid = (sa.select(pay.c.invoice_id, sa.func.sum(pay.c.amount).label("paid"))
            .where(pay.c.invoice_id.in_(sa.select(invoices.c.invoice_id)), pay.c.payment_date <= at)
            .group_by(pay.c.invoice_id).subquery("paid_to_date"))
    left = sa.cast(invoices.c.amount, sa.Float) - sa.cast(sa.func.coalesce(paid.c.paid, 0), sa.Float)
    cleared = sa.and_(invoices.c.paid_date.is_not(None), invoices.c.paid_date <= at)
    written_off = sa.and_(cleared, sa.func.coalesce(invoices.c.paid_from_open_items, False).is_(False),
                          invoices.c.paid_date >= sa.literal(writeoffs_from, sa.Date)) \
        if writeoffs_from is not None else sa.false()
    doubtful = sa.and_(~cleared, invoices.c.due_date <= sa.literal(as_of - timedelta(days=doubtful_days), sa.Date)) \
        if doubtful_days is not None else sa.false()
    lost = sa.case((sa.or_(written_off, doubtful), sa.func.greatest(left, 0.0)), else_=0.0)
    return (sa.select(*invoices.c, lost.label("lost"))
            .select_from(invoices.outerjoin(paid, paid.c.invoice_id == invoices.c.invoice_id)))


def experience(engine: Engine, as_of: date, *, policy: ProvisionPolicy = ProvisionPolicy(),
               currency: str | None = None, rates: fx.Rates | None = None,
               writeoffs_from: date | None = None) -> pd.DataFrame:
    """The loss experience per bucket, summed in the database: ``bucket, observations, observed, lost``.

    ``observed`` sums what each positive invoice had open at each observation month end
    (:meth:`ProvisionPolicy.observation_dates`), in its bucket then; ``lost`` what was lost of it by
    ``as_of`` (see the module's notes). Without a ``currency``, amounts are in the reporting currency
    of ``rates`` (face value without them).
    """
    spec = policy.spec
    dates = policy.observation_dates(as_of)
    obs = sa.union_all(*(sa.select(sa.literal(d, sa.Date).label("m")) for d in dates)).cte("observed_on")
    mine = [inv.c.amount > 0, inv.c.invoice_date <= dates[-1]]
    if currency:
        mine.append(inv.c.currency == currency)
    # Every invoice open at some month end observed, by plain filters the scan takes: invoiced by the
    # last, not settled by the first. Each is judged once, then seen at the month ends it was open on.
    candidates = (sa.select(inv.c.invoice_id, inv.c.invoice_date, inv.c.due_date, inv.c.amount, inv.c.currency,
                            inv.c.paid_date, inv.c.paid_from_open_items)
                  .where(*mine, sa.or_(inv.c.paid_date.is_(None), inv.c.paid_date > dates[0])).cte("candidates"))
    judged = _judged(as_of, candidates, writeoffs_from=writeoffs_from, doubtful_days=policy.doubtful_days) \
        .cte("judged")
    # Two plain inequalities (no OR): the database can range-join them.
    unsettled = sa.func.coalesce(judged.c.paid_date, sa.literal(FAR, sa.Date)) > obs.c.m
    seen = (sa.select(obs.c.m, *judged.c)
            .select_from(judged.join(obs, sa.and_(judged.c.invoice_date <= obs.c.m, unsettled))).cte("seen"))
    # Payments before an invoice was settled are the balance events' partial rows (with the invoice).
    partial = (sa.select(ev.c.invoice_id, obs.c.m, sa.func.sum(ev.c.delta).label("paid"))
               .select_from(ev.join(obs, ev.c.day <= obs.c.m))
               .where(ev.c.n_items == 0, ev.c.invoice_id.is_not(None), ev.c.day <= dates[-1])
               .group_by(ev.c.invoice_id, obs.c.m).cte("partial"))
    open_then = (sa.cast(seen.c.amount, sa.Float) + sa.func.coalesce(partial.c.paid, 0.0))
    rows = (sa.select(seen.c.m, seen.c.due_date, seen.c.invoice_date, seen.c.currency,
                      open_then.label("open_then"), sa.func.least(seen.c.lost, open_then).label("lost"))
            .select_from(seen.outerjoin(partial, sa.and_(partial.c.invoice_id == seen.c.invoice_id,
                                                         partial.c.m == seen.c.m)))
            .subquery("rows"))
    bucket = spec.bucket(rows.c.m, rows).label("bucket")
    conv = (lambda x: rates.to_reporting(x, rows.c.currency)) if rates is not None else (lambda x: x)
    q = (sa.select(bucket, sa.func.count(), sa.func.sum(conv(rows.c.open_then)),
                   sa.func.sum(conv(sa.func.greatest(rows.c.lost, 0.0))))
         .where(rows.c.open_then > 0.004).group_by(bucket))
    with engine.connect() as conn:
        df = fetch_frame(conn, q, ["bucket", "observations", "observed", "lost"])
    return (pd.DataFrame({"bucket": spec.labels}).merge(df, on="bucket", how="left")
            .fillna({"observations": 0, "observed": 0.0, "lost": 0.0})
            .astype({"observations": int, "observed": float, "lost": float}))


def _open_now(engine: Engine, as_of: date, spec: AgingSpec, *, currency: str | None, rates: fx.Rates | None,
              by_debtor: bool = False, specific: bool | None = None) -> pd.DataFrame:
    """Positive open invoices as of ``as_of`` by bucket (and debtor): ``[customer_id, currency,] bucket,
    invoices, open``; of the debtors assessed one by one then (``specific`` True), of the others (False),
    or of all (None)."""
    items = open_items(as_of, currency=currency)
    bucket = spec.bucket(items.c.as_of, items).label("bucket")
    amount = rates.to_reporting(items.c.open_amount, items.c.currency) if rates is not None else items.c.open_amount
    keys = [items.c.customer_id, items.c.currency] if by_debtor else []
    mine = [items.c.amount > 0, items.c.open_amount > 0.004]
    if specific is not None:
        assessed = impairments.in_force(as_of).with_only_columns(impairments.sp.c.customer_id)
        mine.append(items.c.customer_id.in_(assessed) if specific else items.c.customer_id.not_in(assessed))
    q = sa.select(*keys, bucket, sa.func.count(), sa.func.sum(amount)).where(*mine).group_by(*keys, bucket)
    columns = [*(["customer_id", "currency"] if by_debtor else []), "bucket", "invoices", "open"]
    with engine.connect() as conn:
        return fetch_frame(conn, q, columns).astype({"invoices": int, "open": float})


def matrix(engine: Engine, as_of: date, *, policy: ProvisionPolicy = ProvisionPolicy(), currency: str | None = None,
           rates: fx.Rates | None = None) -> Matrix:
    """The provision matrix as of ``as_of``: loss rates from the ledger's history, applied to the open
    invoices by bucket.

    Parameters
    ----------
    engine
        The database.
    as_of
        The balance-sheet date: what is open then, and the history before it.
    policy
        Months observed, how long each plays out, what counts as lost, outlook, rates set by hand.
    currency
        One currency; None for all in the reporting currency of ``rates`` (face value without).
    rates
        Exchange rates, used only without a ``currency``.

    Returns
    -------
    Matrix
    """
    events.ensure_current(engine)
    rates = fx.applied(rates, currency)
    conv = rates if rates.active else None
    with engine.connect() as conn:
        first = _first_payment(conn, as_of)
    hist = experience(engine, as_of, policy=policy, currency=currency, rates=conv, writeoffs_from=first)
    now = _open_now(engine, as_of, policy.spec, currency=currency, rates=conv, specific=False)
    specific = _specific(engine, as_of, policy.spec, currency=currency, rates=conv)
    table = hist.merge(now, on="bucket", how="left").fillna({"invoices": 0, "open": 0.0}) \
        .astype({"invoices": int, "open": float})
    historical = (table["lost"] / table["observed"]).where(table["observed"] > 0.004)
    adjusted = (historical * (1 + policy.outlook / 100)).clip(upper=1.0)
    by_hand = table["bucket"].map(lambda b: policy.rates.get(b))
    table["historical_rate"] = historical
    table["applied_rate"] = by_hand.astype(float).div(100).where(by_hand.notna(), adjusted).fillna(0.0)
    table["source"] = [("set by hand" if pd.notna(h) else "history" if pd.notna(r) else "no history")
                       for h, r in zip(by_hand, historical, strict=True)]
    table["provision"] = (table["open"] * table["applied_rate"]).round(2)
    columns = ["bucket", "open", "invoices", "historical_rate", "applied_rate", "source", "provision", "observed",
               "lost", "observations"]
    # What else the Aging page's total holds: open credit notes, overpaid invoices, unapplied cash.
    total = aging.aging(engine, as_of, currency=currency, rates=rates)["amount"].sum()
    return Matrix(as_of, policy, currency, rates, table[columns], policy.observation_dates(as_of), first,
                  written_off(engine, as_of, currency=currency, rates=conv, writeoffs_from=first),
                  round(float(total - now["open"].sum() - specific["open"].sum()), 2), specific)


def _specific(engine: Engine, as_of: date, spec: AgingSpec, *, currency: str | None,
              rates: fx.Rates | None) -> pd.DataFrame:
    """The debtors assessed one by one on ``as_of`` (:data:`SPECIFIC_COLUMNS`), largest provision first."""
    register = impairments.assessments(engine, as_of=as_of)
    if register.empty:
        return pd.DataFrame(columns=SPECIFIC_COLUMNS).astype({"invoices": int, "open": float, "rate": float,
                                                              "provision": float})
    rows = _open_now(engine, as_of, spec, currency=currency, rates=rates, by_debtor=True, specific=True)
    amounts = rows.groupby(["customer_id", "currency"], as_index=False).agg(invoices=("invoices", "sum"),
                                                                             open=("open", "sum"))
    out = register.drop(columns=["ended_on", "ended_by", "assessment_id"]).merge(amounts, on="customer_id", how="left")
    out = out.fillna({"invoices": 0, "open": 0.0}).astype({"invoices": int, "open": float})
    out["provision"] = (out["open"] * out["rate"] / 100).round(2)
    out = _named(engine, out.sort_values(["provision", "open", "customer_id"], ascending=[False, False, True]))
    return out[SPECIFIC_COLUMNS].reset_index(drop=True)


def _named(engine: Engine, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each debtor's ``name`` (its id when it has none)."""
    cust = schema.customers
    with engine.connect() as conn:
        names = fetch_frame(conn, sa.select(cust.c.customer_id, cust.c.name)
                            .where(cust.c.customer_id.in_(frame["customer_id"].tolist())), ["customer_id", "name"]) \
            if len(frame) <= 5_000 else fetch_frame(conn, sa.select(cust.c.customer_id, cust.c.name),
                                                    ["customer_id", "name"])
    out = frame.merge(names, on="customer_id", how="left")
    out["name"] = out["name"].fillna(out["customer_id"])
    return out


def written_off(engine: Engine, as_of: date, *, months: int = 12, currency: str | None = None,
                rates: fx.Rates | None = None, writeoffs_from: date | None = None) -> float:
    """What was written off (cleared for more than its payments) in the ``months`` to ``as_of``; 0 when
    write-offs cannot be told from payments (``writeoffs_from`` None)."""
    if writeoffs_from is None:
        return 0.0
    mine = [inv.c.amount > 0, inv.c.paid_date > add_months(as_of, -months), inv.c.paid_date <= as_of]
    if currency:
        mine.append(inv.c.currency == currency)
    cleared = (sa.select(inv.c.invoice_id, inv.c.amount, inv.c.due_date, inv.c.paid_date, inv.c.paid_from_open_items,
                         inv.c.currency).where(*mine).cte("cleared"))
    judged = _judged(as_of, cleared, writeoffs_from=writeoffs_from, doubtful_days=None).subquery("judged")
    amount = judged.c.lost if rates is None else rates.to_reporting(judged.c.lost, judged.c.currency)
    q = sa.select(sa.func.sum(amount))
    with engine.connect() as conn:
        return float(conn.execute(q).scalar() or 0.0)


def by_debtor(engine: Engine, result: Matrix, *, limit: int | None = None) -> pd.DataFrame:
    """The provision per debtor and currency: its open invoices by bucket at the matrix's applied rates,
    or at its own rate when it is assessed one by one.

    Returns ``customer_id, name, currency, invoices, open, oldest_bucket, provision, basis`` (:data:`MATRIX`,
    or :data:`SPECIFIC` with its rate and reason), largest provision first (amounts as the matrix's: in
    its currency, or the reporting one).
    """
    spec = result.policy.spec
    rows = _open_now(engine, result.as_of, spec, currency=result.currency,
                     rates=result.rates if result.rates.active else None, by_debtor=True)
    columns = ["customer_id", "name", "currency", "invoices", "open", "oldest_bucket", "provision", "basis"]
    if rows.empty:
        return pd.DataFrame(columns=columns)
    rate = rows["bucket"].map(dict(zip(result.table["bucket"], result.table["applied_rate"], strict=True)))
    own = result.specific.drop_duplicates("customer_id").set_index("customer_id")
    mine = rows["customer_id"].map(own["rate"] / 100)
    rows["provision"] = rows["open"] * mine.where(mine.notna(), rate).fillna(0.0)
    rows["order"] = rows["bucket"].map(spec.order)
    out = (rows.groupby(["customer_id", "currency"], as_index=False)
           .agg(invoices=("invoices", "sum"), open=("open", "sum"), order=("order", "max"),
                provision=("provision", "sum")))
    out["oldest_bucket"] = [spec.labels[i] for i in out["order"]]
    out["provision"] = out["provision"].round(2)
    why = {c: f"{SPECIFIC}, {r['rate']:g}%: {r['reason']}" for c, r in own.iterrows()}
    out["basis"] = out["customer_id"].map(why).fillna(MATRIX)
    out = out.sort_values(["provision", "open", "customer_id"], ascending=[False, False, True])
    if limit is not None:
        out = out.head(limit)
    return _named(engine, out)[columns].reset_index(drop=True)


def previous_month_end(as_of: date) -> date:
    """The month end before ``as_of`` (the last closing the provision moves from)."""
    return as_of.replace(day=1) - timedelta(days=1)
