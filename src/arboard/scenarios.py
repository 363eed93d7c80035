"""What-if scenarios: projected DSO, best possible DSO, ADD and the cash released.

A scenario re-runs the recent ledger with different debtor behaviour and asks where the as-of
date would stand. Each positive invoice that matters gets a settlement date — the real one for
invoices settled recently, the forecast's expected date (:mod:`arboard.forecast`) for open ones,
none for doubtful items — and the levers move it:

- **days late** per group: the group's settlements move by N days (negative = sooner);
- **payment terms** per group: due dates become invoice date + the new terms, and settlements move
  with them (debtors keep their habit of paying N days after due);
- **promises kept**: the share of promises to pay (in the KPI window) that are kept; more kept
  promises settle that share of the broken ones' open amounts, fewer re-open kept ones (expected
  values, no dice);
- **thresholds**: the segment configuration that decides who is in which group.

An invoice is open as of D when it was issued by D and its settlement date is later than D; the
change of open AR and not-yet-due AR is added to the baseline KPIs, so the baseline column is
exactly the Overview's. Cash released = (baseline DSO − scenario DSO) × average daily credit
sales, which for the standard DSO equals the fall in open AR.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import dso, forecast, fx, kpis, named, profiles, promises, schema, segments
from arboard.db import fetch_frame
from arboard.errors import ArboardError
from arboard.kpis import KpiSettings
from arboard.segments import SegmentConfig

LEVER_GROUPS = ("willing_and_able", "unable_to_pay", "wont_pay", "to_watch", "no_information")
MAX_SHIFT_DAYS = 120
MAX_TERMS_DAYS = 180
BASELINE = "Baseline"


@dataclass(frozen=True)
class Scenario:
    """The levers of one what-if scenario (all empty: the baseline).

    ``days_late`` and ``terms`` hold ``(group, days)`` pairs for the subgroups of
    :data:`arboard.segments.SUBGROUP_LABELS`; ``promise_kept_share`` is 0–1 or None (as is);
    ``thresholds`` None means the baseline's segment configuration.
    """

    name: str = BASELINE
    days_late: tuple[tuple[str, int], ...] = ()
    terms: tuple[tuple[str, int], ...] = ()
    promise_kept_share: float | None = None
    thresholds: SegmentConfig | None = None
    note: str = ""

    def __post_init__(self):
        for kind, pairs, low, high in (("days late", self.days_late, -MAX_SHIFT_DAYS, MAX_SHIFT_DAYS),
                                       ("payment terms", self.terms, 0, MAX_TERMS_DAYS)):
            for group, days in pairs:
                if group not in LEVER_GROUPS:
                    raise ArboardError(f"Scenario {self.name!r}: unknown group {group!r} in the {kind} lever.")
                if not low <= days <= high:
                    raise ArboardError(f"Scenario {self.name!r}: {kind} for {group} must be between {low} and "
                                       f"{high} days, not {days}.")
        if self.promise_kept_share is not None and not 0 <= self.promise_kept_share <= 1:
            raise ArboardError(f"Scenario {self.name!r}: the share of promises kept must be between 0 and 100 %.")

    @property
    def is_baseline(self) -> bool:
        return not (self.days_late or self.terms or self.promise_kept_share is not None or self.thresholds)

    def to_dict(self) -> dict:
        return {"name": self.name, "days_late": dict(self.days_late), "terms": dict(self.terms),
                "promise_kept_share": self.promise_kept_share,
                "thresholds": self.thresholds.to_dict() if self.thresholds else None, "note": self.note}

    @classmethod
    def from_dict(cls, data: dict) -> Scenario:
        """Build from a saved document, checking every value (a clear :class:`ArboardError` otherwise)."""
        name = str(data.get("name") or BASELINE)[:named.MAX_NAME]

        def pairs(key: str) -> tuple[tuple[str, int], ...]:
            raw = data.get(key) or {}
            if not isinstance(raw, dict):
                raise ArboardError(f"Scenario {name!r}: {key} must map groups to days.")
            try:
                return tuple(sorted((str(g), int(float(d))) for g, d in raw.items() if d is not None))
            except (TypeError, ValueError):
                raise ArboardError(f"Scenario {name!r}: {key} must be whole days.") from None

        share = data.get("promise_kept_share")
        try:
            share = None if share is None else float(share)
        except (TypeError, ValueError):
            raise ArboardError(f"Scenario {name!r}: the share of promises kept must be a number.") from None
        thresholds = data.get("thresholds")
        return cls(name=name, days_late=pairs("days_late"), terms=pairs("terms"), promise_kept_share=share,
                   thresholds=SegmentConfig.from_dict(thresholds) if thresholds else None,
                   note=str(data.get("note") or "")[:500])

    def describe(self, labels: dict[str, str] | None = None) -> list[str]:
        """The levers in plain words, one line each."""
        labels = labels or segments.SUBGROUP_LABELS

        def who(g: str) -> str:  # "4 · Unable to pay" reads as "Unable to pay" in a sentence
            return re.sub(r"^\d+ · ", "", labels.get(g, g)).split(" (")[0]

        out = []
        for g, d in self.days_late:
            if d:
                out.append(f"{who(g)}: pays {abs(d)} days {'sooner' if d < 0 else 'later'}")
        for g, d in self.terms:
            out.append(f"{who(g)}: {d}-day terms")
        if self.promise_kept_share is not None:
            out.append(f"{self.promise_kept_share:.0%} of promises to pay kept")
        if self.thresholds:
            out.append("segment thresholds moved")
        return out or ["the ledger as it is"]


# --- saved scenarios -------------------------------------------------------------------------------

def save_scenario(engine: Engine, scenario: Scenario) -> str:
    """Save (or overwrite) a named scenario in the database; returns its name."""
    if scenario.name.strip() == BASELINE:
        raise ArboardError(f"{BASELINE!r} is the ledger as it is; give the scenario another name.")
    return named.save(engine, schema.scenarios, scenario.name, scenario.to_dict(), what="scenario")


def load_scenario(engine: Engine, name: str) -> Scenario:
    """A saved scenario by name (:data:`BASELINE` is always there)."""
    if name == BASELINE:
        return Scenario()
    return replace(Scenario.from_dict(named.load(engine, schema.scenarios, name, what="scenario")), name=name)


def scenario_names(engine: Engine) -> list[str]:
    """:data:`BASELINE` and the saved scenarios, newest first."""
    return [BASELINE, *named.names(engine, schema.scenarios)]


def delete_scenario(engine: Engine, name: str) -> None:
    """Remove a saved scenario."""
    named.delete(engine, schema.scenarios, name)


# --- the simulation ------------------------------------------------------------------------------

def promise_items(engine: Engine, as_of: date, *, window_days: int, currency: str | None = None,
                  rates: fx.Rates | None = None) -> pd.DataFrame:
    """Invoices with a promise to pay judged in the window ending at ``as_of``.

    Returns
    -------
    pandas.DataFrame
        ``invoice_id, made, kept, promised``: promises judged and kept per invoice (whose grace
        ended in the window; kept when the invoice was settled by then: :func:`arboard.promises.judged`,
        as the Promises tab's kept rate), and the largest amount promised (NaN when no amount was
        given), in the reporting currency of ``rates`` without a ``currency`` (:func:`arboard.fx.applied`).
    """
    rates = fx.applied(rates, currency)
    con, inv = schema.contacts, schema.invoices
    due, kept = promises.judged(as_of, days=window_days)
    q = (sa.select(con.c.invoice_id, sa.func.count().label("made"), sa.func.sum(sa.case((kept, 1), else_=0)),
                   sa.func.max(rates.to_reporting(sa.cast(con.c.promised_amount, sa.Float), inv.c.currency)))
         .select_from(con.join(inv, inv.c.invoice_id == con.c.invoice_id))
         .where(due, inv.c.amount > 0)
         .group_by(con.c.invoice_id))
    if currency:
        q = q.where(inv.c.currency == currency)
    with engine.connect() as conn:
        df = fetch_frame(conn, q, ["invoice_id", "made", "kept", "promised"])
    return df.astype({"made": int, "kept": int, "promised": float})


def simulate(items: pd.DataFrame, groups: pd.Series, scenario: Scenario, as_of: date, *,
             base_kept_share: float | None = None) -> pd.DataFrame:
    """Open weight of each item under the baseline and the scenario (pure; vectorised).

    Parameters
    ----------
    items
        ``invoice_id, customer_id, invoice_date, due_date, open_amount, settle_date`` (NaT: not
        expected to pay) and optionally ``promise_kept``/``promise_broken`` flags with
        ``promise_share`` (the share of the open amount that was promised).
    groups
        The scenario's subgroup per customer id (missing: ``no_information``).
    base_kept_share
        The share of promises kept in the ledger (needed by the promises lever).

    Returns
    -------
    pandas.DataFrame
        ``items`` plus ``group, new_due, new_settle, open_base, open_scn`` (0–1: the promises
        lever gives expected values), ``not_due_base, not_due_scn``.
    """
    day = pd.Timestamp(as_of)
    out = items.copy()
    # Look groups up once per customer, not per item (string lookups dominate a slider move).
    codes, customers = pd.factorize(out["customer_id"])
    per_customer = pd.Series(customers).map(groups).fillna("no_information").to_numpy(dtype=object)
    g = per_customer[codes] if len(codes) else np.array([], dtype=object)
    out["group"] = g
    late = np.zeros(len(out))
    terms = np.full(len(out), np.nan)
    for name, d in scenario.days_late:
        late[g == name] = d
    for name, d in scenario.terms:
        terms[g == name] = d
    new_due = out["invoice_date"] + pd.to_timedelta(terms, unit="D")
    terms_shift = np.where(np.isnan(terms), 0.0, (new_due - out["due_date"]).dt.days.to_numpy(dtype=float))
    out["new_due"] = out["due_date"] + pd.to_timedelta(terms_shift, unit="D")
    new_settle = out["settle_date"] + pd.to_timedelta(late + terms_shift, unit="D")
    out["new_settle"] = new_settle.where(new_settle.isna() | (new_settle >= out["invoice_date"]), out["invoice_date"])
    open_base = (out["settle_date"].isna() | (out["settle_date"] > day)).to_numpy(dtype=float)
    open_scn = (out["new_settle"].isna() | (out["new_settle"] > day)).to_numpy(dtype=float)
    share = scenario.promise_kept_share
    if share is not None and base_kept_share is not None and "promise_kept" in out:
        broken = out["promise_broken"].fillna(False).to_numpy(dtype=bool)
        kept = out["promise_kept"].fillna(False).to_numpy(dtype=bool)
        part = out["promise_share"].fillna(1.0).clip(0, 1).to_numpy(dtype=float) if "promise_share" in out else 1.0
        if share > base_kept_share and base_kept_share < 1:
            # More promises kept: that fraction of the broken promises' amounts is paid by the as-of date.
            f = (share - base_kept_share) / (1 - base_kept_share)
            open_scn = np.where(broken, open_scn * (1 - f * part), open_scn)
        elif share < base_kept_share and base_kept_share > 0:
            # Fewer kept: that fraction of the kept promises' amounts would still be open.
            f = (base_kept_share - share) / base_kept_share
            open_scn = np.where(kept, open_scn + (1 - open_scn) * f * part, open_scn)
    out["open_base"], out["open_scn"] = open_base, open_scn
    out["not_due_base"] = open_base * (out["due_date"] >= day).to_numpy(dtype=float)
    out["not_due_scn"] = open_scn * (out["new_due"] >= day).to_numpy(dtype=float)
    return out


@dataclass
class Projection:
    """A scenario set against the baseline as of one date."""

    scenario: Scenario
    as_of: date
    window_days: int
    metrics: pd.DataFrame  # metric, label, unit, baseline, scenario, change
    groups: pd.DataFrame  # group, customers_base, customers_scn, open_ar_scn_base, ar_change
    levers: pd.DataFrame  # lever, ar_change (each lever alone)
    weeks: pd.DataFrame  # week, start, baseline, scenario (expected receipts)
    cash_released: float
    daily_sales: float
    promise_kept_share: float | None  # the ledger's, in the window
    extra: dict = field(default_factory=dict)
    paid_on_account: float = 0.0  # open invoices' amounts cash on account most likely paid (never expected again)
    paid_items: int = 0  # the open invoices it pays in full

    def value(self, metric: str, column: str = "scenario") -> float | None:
        row = self.metrics.loc[self.metrics["metric"] == metric, column]
        v = row.iloc[0] if len(row) else None
        return None if v is None or pd.isna(v) else float(v)


METRICS = [("open_ar", "Open receivables", "money"), ("overdue_ar", "Overdue", "money"),
           ("not_due_ar", "Not yet due", "money"), ("dso", "DSO", "days"), ("bpdso", "Best possible DSO", "days"),
           ("add", "Average days delinquent", "days"), ("countback_dso", "Countback DSO", "days")]


class Simulator:
    """Everything a projection needs that does not depend on the levers, loaded once per as-of date.

    A page moving a slider re-runs :meth:`project` on the loaded items (milliseconds); only a
    scenario reaching further back than anything loaded so far reads the database again. Without a
    ``currency``, every amount adds up all currencies in the reporting currency of ``rates`` when
    given (:func:`arboard.fx.applied`), else at face value.

    ``paid`` is what cash on account most likely pays of each open invoice, by invoice id, in the
    invoice's currency (:attr:`arboard.unapplied.Applied.items`, as the Cash forecast takes it). That
    money is in already: the baseline does not expect it again, and no lever moves it (a debtor paying
    later cannot un-pay it). The KPIs already count it, as unapplied cash against the open invoices.
    """

    def __init__(self, engine: Engine, as_of: date, *, base_config: SegmentConfig | None = None,
                 settings: KpiSettings = KpiSettings(), currency: str | None = None,
                 profile_frame: pd.DataFrame | None = None, lookback_days: int = 365,
                 rates: fx.Rates | None = None, paid: pd.Series | None = None):
        self.engine, self.as_of, self.settings, self.currency = engine, as_of, settings, currency
        self.paid = paid
        self.rates = rates = fx.applied(rates, currency)
        self.base_config = base_config or SegmentConfig()
        self.lookback_days = lookback_days
        self.base = kpis.compute(engine, [as_of], settings=settings, currency=currency, rates=rates).iloc[0]
        w = settings.window_days
        first = kpis.add_months(as_of, -kpis.COUNTBACK_MONTHS - 1)
        sales = kpis._Sales(kpis.daily_sales(engine, first, as_of, currency=currency, rates=rates), first, as_of)
        self.periods = sales.months_back(as_of, kpis.COUNTBACK_MONTHS)
        self.sales_window = float(self.base["sales_window"])
        self.daily_sales = self.sales_window / w if w else 0.0
        self.profiles = (profile_frame if profile_frame is not None
                         else profiles.debtor_profiles(engine, as_of, lookback_days=lookback_days))
        judged = promise_items(engine, as_of, window_days=w, currency=currency, rates=rates)
        made = int(judged["made"].sum())
        self.kept_share = float(judged["kept"].sum()) / made if made else None
        self._promises = judged.assign(promise_kept=judged["kept"] > 0)
        self._items: pd.DataFrame | None = None
        self._reach = -1

    def groups(self, config: SegmentConfig | None = None) -> pd.Series:
        """Subgroup per customer id under ``config`` (default: the baseline's)."""
        g = segments.assign(self.profiles, config or self.base_config)
        return pd.Series(g.to_numpy(), index=self.profiles["customer_id"].to_numpy())

    def items(self, reach_days: int) -> pd.DataFrame:
        """Open invoices and those settled in the last ``reach_days`` days, with settlement dates."""
        if self._items is None or reach_days > self._reach:
            reach = max(reach_days, self.settings.window_days)
            raw = forecast.open_invoices(self.engine, self.as_of, currency=self.currency,
                                         settled_since=self.as_of - timedelta(days=reach), rates=self.rates)
            is_open = raw["paid_date"].isna() | (raw["paid_date"] > pd.Timestamp(self.as_of))
            raw = forecast.less_paid(raw, self.paid, self.rates, only=is_open)  # as the Cash forecast takes it
            expected, doubtful = forecast.expected_dates(self.engine, raw, self.as_of,
                                                         lookback_days=self.lookback_days)
            # Open items settle on their expected date (as-of knowledge, no hindsight); doubtful ones never.
            settle = raw["paid_date"].where(~is_open, expected.where(~doubtful))
            raw = raw.assign(settle_date=settle, doubtful=is_open & doubtful)
            flags = raw[["invoice_id", "open_amount"]].merge(
                self._promises[["invoice_id", "promise_kept", "promised"]], on="invoice_id", how="left")
            raw["promise_share"] = (flags["promised"] / flags["open_amount"]).to_numpy()
            kept = flags["promise_kept"].fillna(False).astype(bool).to_numpy()
            has = flags["promise_kept"].notna().to_numpy()
            raw["promise_kept"] = has & kept & ~is_open.to_numpy()
            raw["promise_broken"] = has & ~kept & is_open.to_numpy()
            self._items, self._reach = raw, reach
        return self._items

    def project(self, scenario: Scenario) -> Projection:
        """The scenario's KPIs next to the baseline's, per group, per lever and as a 13-week forecast."""
        base_groups = self.groups()
        scn_groups = self.groups(scenario.thresholds) if scenario.thresholds else base_groups
        reach = max([0, *(d for _, d in scenario.days_late)]) + max([0, *(d for _, d in scenario.terms)]) + 1
        items = self.items(reach)
        sim = simulate(items, scn_groups, scenario, self.as_of, base_kept_share=self.kept_share)
        amount = sim["open_amount"].to_numpy(dtype=float)
        d_ar = float(amount @ (sim["open_scn"] - sim["open_base"]).to_numpy())
        d_not_due = float(amount @ (sim["not_due_scn"] - sim["not_due_base"]).to_numpy())
        b = self.base
        w = self.settings.window_days
        base_vals = {k: (None if pd.isna(b[k]) else float(b[k]))
                     for k in ("open_ar", "overdue_ar", "not_due_ar", "dso", "bpdso", "add", "countback_dso")}
        ar, not_due = base_vals["open_ar"] + d_ar, base_vals["not_due_ar"] + d_not_due
        scn_dso = dso.standard_dso(ar, self.sales_window, w)
        scn_bpdso = dso.standard_dso(not_due, self.sales_window, w)
        scn_vals = {"open_ar": ar, "overdue_ar": ar - not_due - float(b["unapplied"]), "not_due_ar": not_due,
                    "dso": scn_dso, "bpdso": scn_bpdso, "add": dso.average_days_delinquent(scn_dso, scn_bpdso),
                    "countback_dso": dso.countback_dso(ar, self.periods)}
        rows = []
        for key, label, unit in METRICS:
            bv, sv = base_vals[key], scn_vals[key]
            rows.append({"metric": key, "label": label, "unit": unit, "baseline": bv, "scenario": sv,
                         "change": None if bv is None or sv is None else sv - bv})
        metrics = pd.DataFrame(rows)
        cash = ((base_vals["dso"] - scn_dso) * self.daily_sales
                if base_vals["dso"] is not None and scn_dso is not None else -d_ar)
        return Projection(scenario=scenario, as_of=self.as_of, window_days=w, metrics=metrics,
                          groups=self._group_table(sim, base_groups, scn_groups),
                          levers=self._levers(scenario, items, scn_groups),
                          weeks=self._weeks(sim), cash_released=cash, daily_sales=self.daily_sales,
                          promise_kept_share=self.kept_share, paid_on_account=float(items["paid_on_account"].sum()),
                          paid_items=int(forecast.paid_in_full(items).sum()))

    def _group_table(self, sim: pd.DataFrame, base_groups: pd.Series, scn_groups: pd.Series) -> pd.DataFrame:
        amount = sim["open_amount"]
        per = pd.DataFrame({"group": sim["group"], "open": amount * sim["open_base"],
                            "change": amount * (sim["open_scn"] - sim["open_base"])}).groupby("group").sum()
        out = pd.DataFrame({"group": list(LEVER_GROUPS)})
        out["customers_base"] = out["group"].map(base_groups.value_counts()).fillna(0).astype(int)
        out["customers_scn"] = out["group"].map(scn_groups.value_counts()).fillna(0).astype(int)
        out["open_invoices"] = out["group"].map(per["open"]).fillna(0.0)
        out["ar_change"] = out["group"].map(per["change"]).fillna(0.0)
        return out

    def _levers(self, scenario: Scenario, items: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
        alone = [("Days late", replace(Scenario(), days_late=scenario.days_late)),
                 ("Payment terms", replace(Scenario(), terms=scenario.terms)),
                 ("Promises kept", replace(Scenario(), promise_kept_share=scenario.promise_kept_share))]
        rows = []
        for label, s in alone:
            if s.is_baseline:
                continue
            sim = simulate(items, groups, s, self.as_of, base_kept_share=self.kept_share)
            rows.append({"lever": label, "ar_change": float(sim["open_amount"] @ (sim["open_scn"] - sim["open_base"]))})
        return pd.DataFrame(rows, columns=["lever", "ar_change"])

    def _weeks(self, sim: pd.DataFrame, weeks: int = forecast.WEEKS) -> pd.DataFrame:
        start = pd.Timestamp(self.as_of)
        out = pd.DataFrame({"week": range(1, weeks + 1)})
        out["start"] = [(start + pd.Timedelta(days=7 * (k - 1) + 1)).date() for k in out["week"]]
        for col, when, weight in (("baseline", "settle_date", "open_base"), ("scenario", "new_settle", "open_scn")):
            k = ((sim[when] - start).dt.days - 1) // 7 + 1
            sums = (sim["open_amount"] * sim[weight]).groupby(k[(k >= 1) & (k <= weeks)]).sum()
            out[col] = out["week"].map(sums).fillna(0.0).to_numpy()
        return out


def project(engine: Engine, as_of: date, scenario: Scenario, **kwargs) -> Projection:
    """One scenario against the baseline (see :class:`Simulator` for the keywords)."""
    return Simulator(engine, as_of, **kwargs).project(scenario)


def compare(a: Projection, b: Projection) -> pd.DataFrame:
    """Two projections side by side: ``label, unit, <a name>, <b name>, difference`` (b − a)."""
    out = a.metrics[["label", "unit"]].copy()
    out[a.scenario.name] = a.metrics["scenario"].to_numpy()
    name_b = b.scenario.name if b.scenario.name != a.scenario.name else f"{b.scenario.name} (2)"
    out[name_b] = b.metrics["scenario"].to_numpy()
    out["difference"] = out[name_b] - out[a.scenario.name]
    cash = pd.DataFrame([{"label": "Cash released vs baseline", "unit": "money", a.scenario.name: a.cash_released,
                          name_b: b.cash_released, "difference": b.cash_released - a.cash_released}])
    return pd.concat([out, cash], ignore_index=True)
