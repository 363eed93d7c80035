"""The five groups of the collections playbook, as a transparent rule tree on debtor profiles.

1. **information available** — enough history and contact data to judge behaviour;
2. **no information** — new or thin files, or no way to reach them;
then, within group 1 (groups 3–5 are subsets of it; informed debtors matching none stay in
group 1 as *to watch*):

3. **willing and able to pay** — pays on time or right after the first reminder;
4. **unable to pay** — willing but short of cash: late, yet answering; partial payments, broken
   promises, a balance near the credit limit or a weak credit score;
5. **won't pay** — able but unwilling: late and ignoring contact.

Every threshold is a field of :class:`SegmentConfig`; :func:`assign` is vectorised so moving a
slider re-segments 50,000 debtors in milliseconds, and :func:`explain` lists the rules a debtor
passed and failed with its own values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import numpy as np
import pandas as pd
from sqlalchemy.engine import Engine

from arboard import named, schema
from arboard.errors import ArboardError

GROUPS = {
    "information_available": "1 · Information available",
    "no_information": "2 · No information",
    "willing_and_able": "3 · Willing and able to pay",
    "unable_to_pay": "4 · Unable to pay",
    "wont_pay": "5 · Won't pay",
}
SUBGROUPS = ("willing_and_able", "unable_to_pay", "wont_pay", "to_watch")
SUBGROUP_LABELS = {**GROUPS, "to_watch": "1 · To watch (informed, none of 3–5)"}


@dataclass(frozen=True)
class SegmentConfig:
    """Thresholds of the rule tree (defaults follow the playbook and Tesorio's score tiers)."""

    # Information available?
    min_history_days: int = 90
    min_settled: int = 3
    require_contact: bool = True
    # Willing and able
    able_max_days_late: float = 15.0
    able_min_on_time_or_reminder: float = 0.6
    # Unable to pay (willing: still answers)
    unable_min_days_late: float = 15.0
    unable_min_response: float = 0.3
    unable_min_partial_share: float = 0.15
    unable_max_promise_kept: float = 0.6
    unable_min_utilisation: float = 0.9
    unable_max_credit_score: float = 40.0
    # Won't pay (able but unwilling)
    wont_min_days_late: float = 30.0
    wont_max_response: float = 0.3

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SegmentConfig:
        """Build from a dict (saved config, URL parameters), ignoring unknown keys, checking types."""
        kwargs = {}
        for f in fields(cls):
            if f.name not in data:
                continue
            raw = data[f.name]
            try:
                if f.type in ("bool", bool):
                    kwargs[f.name] = raw if isinstance(raw, bool) else str(raw).lower() in ("1", "true", "yes")
                elif f.type in ("int", int):
                    kwargs[f.name] = int(float(raw))
                else:
                    kwargs[f.name] = float(raw)
            except (TypeError, ValueError):
                raise ArboardError(f"Setting {f.name} must be a number, not {raw!r}.") from None
        return cls(**kwargs)


def _ge(series: pd.Series, value: float) -> np.ndarray:
    return (series >= value).fillna(False).to_numpy(dtype=bool)


def _le(series: pd.Series, value: float) -> np.ndarray:
    return (series <= value).fillna(False).to_numpy(dtype=bool)


def rules(profiles: pd.DataFrame, config: SegmentConfig) -> dict[str, np.ndarray]:
    """Evaluate every rule for every debtor (vectorised): ``{rule name: bool array}``."""
    p, c = profiles, config
    informed = (_ge(p["history_days"], c.min_history_days) & _ge(p["settled_count"], c.min_settled)
                & (p["has_contact"].to_numpy(dtype=bool) if c.require_contact else True))
    late = p["days_beyond_terms"]
    on_time_or_reminder = np.maximum(p["on_time_share"].fillna(0).to_numpy(),
                                     p["after_first_reminder_share"].fillna(0).to_numpy())
    strain = (_ge(p["partial_share"], c.unable_min_partial_share)
              | (_le(p["promise_kept_share"], c.unable_max_promise_kept) & _ge(p["promises_made"], 1))
              | _ge(p["utilisation"], c.unable_min_utilisation)
              | _le(p["credit_score"], c.unable_max_credit_score))
    return {
        "informed": np.asarray(informed, dtype=bool),
        "able": _le(late, c.able_max_days_late) & (on_time_or_reminder >= c.able_min_on_time_or_reminder),
        "unable": _ge(late, c.unable_min_days_late) & _ge(p["response_rate"], c.unable_min_response) & strain,
        "wont": _ge(late, c.wont_min_days_late) & _le(p["response_rate"].fillna(0), c.wont_max_response),
    }


def assign(profiles: pd.DataFrame, config: SegmentConfig = SegmentConfig()) -> pd.Series:
    """The subgroup of each debtor: ``no_information``, ``wont_pay``, ``unable_to_pay``, ``willing_and_able``
    or ``to_watch`` (the last four are group 1). Won't pay wins over unable, unable over able."""
    r = rules(profiles, config)
    group = np.select(
        [~r["informed"], r["wont"], r["unable"], r["able"]],
        ["no_information", "wont_pay", "unable_to_pay", "willing_and_able"], "to_watch")
    return pd.Series(group, index=profiles.index, name="group")


def summary(profiles: pd.DataFrame, groups: pd.Series) -> dict[str, dict]:
    """Count and open AR for each of the five groups (group 1 includes 3–5 and *to watch*)."""
    out = {}
    informed = groups != "no_information"
    for key in GROUPS:
        mask = informed if key == "information_available" else groups == key
        out[key] = {"customers": int(mask.sum()), "open_ar": round(float(profiles.loc[mask, "open_ar"].sum()), 2)}
    out["to_watch"] = {"customers": int((groups == "to_watch").sum()),
                       "open_ar": round(float(profiles.loc[groups == "to_watch", "open_ar"].sum()), 2)}
    return out


def explain(profile: pd.Series, config: SegmentConfig = SegmentConfig()) -> pd.DataFrame:
    """The rules one debtor passed and failed, with its own values: ``rule, threshold, value, passed``."""
    c = config

    def fmt(v, pct=False):
        if v is None or (isinstance(v, float) and np.isnan(v)):
            return "no data"
        return f"{v:.0%}" if pct else f"{v:,.1f}" if isinstance(v, float) else str(v)

    p = profile
    rows = [
        ("Information: history", f"≥ {c.min_history_days} days", fmt(p["history_days"]),
         bool(p["history_days"] >= c.min_history_days)),
        ("Information: settled invoices", f"≥ {c.min_settled}", fmt(p["settled_count"]),
         bool(p["settled_count"] >= c.min_settled)),
        ("Information: contact data", "required" if c.require_contact else "not required",
         "present" if p["has_contact"] else "missing", bool(p["has_contact"] or not c.require_contact)),
        ("Won't pay: days beyond terms", f"≥ {c.wont_min_days_late:g}", fmt(p["days_beyond_terms"]),
         bool(p["days_beyond_terms"] >= c.wont_min_days_late)),
        ("Won't pay: response rate", f"≤ {c.wont_max_response:.0%}", fmt(p["response_rate"], True),
         bool((0 if pd.isna(p["response_rate"]) else p["response_rate"]) <= c.wont_max_response)),
        ("Unable: days beyond terms", f"≥ {c.unable_min_days_late:g}", fmt(p["days_beyond_terms"]),
         bool(p["days_beyond_terms"] >= c.unable_min_days_late)),
        ("Unable: still responds", f"≥ {c.unable_min_response:.0%}", fmt(p["response_rate"], True),
         bool(p["response_rate"] >= c.unable_min_response)),
        ("Unable: pays in parts", f"≥ {c.unable_min_partial_share:.0%}", fmt(p["partial_share"], True),
         bool(p["partial_share"] >= c.unable_min_partial_share)),
        ("Unable: keeps few promises", f"≤ {c.unable_max_promise_kept:.0%}", fmt(p["promise_kept_share"], True),
         bool(p["promises_made"] >= 1 and p["promise_kept_share"] <= c.unable_max_promise_kept)),
        ("Unable: near the credit limit", f"≥ {c.unable_min_utilisation:.0%}", fmt(p["utilisation"], True),
         bool(p["utilisation"] >= c.unable_min_utilisation)),
        ("Unable: weak credit score", f"≤ {c.unable_max_credit_score:g}", fmt(p["credit_score"]),
         bool(p["credit_score"] <= c.unable_max_credit_score)),
        ("Able: days beyond terms", f"≤ {c.able_max_days_late:g}", fmt(p["days_beyond_terms"]),
         bool(p["days_beyond_terms"] <= c.able_max_days_late)),
        ("Able: pays on time or at the first reminder", f"≥ {c.able_min_on_time_or_reminder:.0%}",
         fmt(max(p["on_time_share"] if not pd.isna(p["on_time_share"]) else 0,
                 p["after_first_reminder_share"] if not pd.isna(p["after_first_reminder_share"]) else 0), True),
         bool(max(p["on_time_share"] if not pd.isna(p["on_time_share"]) else 0,
                  p["after_first_reminder_share"] if not pd.isna(p["after_first_reminder_share"]) else 0)
              >= c.able_min_on_time_or_reminder)),
    ]
    return pd.DataFrame(rows, columns=["rule", "threshold", "value", "passed"])


def histogram(values: pd.Series, *, bins: int = 30, clip: tuple[float, float] | None = None) -> pd.DataFrame:
    """Pre-binned distribution for a chart (never ship 50,000 points to the browser): ``start, end, count``."""
    v = values.dropna().astype(float)
    if clip is not None:
        v = v.clip(*clip)
    if v.empty:
        return pd.DataFrame(columns=["start", "end", "count"])
    span = None  # numpy's: from the smallest value to the largest
    if v.min() == v.max():
        # One value only (every debtor at 0 % paid in parts, say): numpy would centre a unit range on
        # it, and a share axis would run from -50 % to 50 %.
        lo = v.min()
        span = clip if clip is not None and clip[1] > lo else (lo, lo + 1)
    counts, edges = np.histogram(v, bins=bins, range=span)
    return pd.DataFrame({"start": edges[:-1], "end": edges[1:], "count": counts})


def value_behaviour(profiles: pd.DataFrame, groups: pd.Series, *, bands: pd.Series | None = None) -> pd.DataFrame:
    """Groups crossed with balance size: ``group, band, customers, open_ar``.

    ``bands`` (from :func:`balance_bands`) can be passed in: they do not depend on the thresholds.
    """
    bands = balance_bands(profiles["open_ar"]) if bands is None else bands
    g_codes, g_names = pd.factorize(groups.to_numpy())
    b_codes, b_names = pd.factorize(bands.to_numpy(), sort=True)
    cell = g_codes * len(b_names) + b_codes
    size = len(g_names) * len(b_names)
    count = np.bincount(cell, minlength=size)
    amount = np.bincount(cell, weights=profiles["open_ar"].to_numpy(dtype=float), minlength=size)
    out = pd.DataFrame({"group": np.repeat(g_names, len(b_names)), "band": np.tile(b_names, len(g_names)),
                        "customers": count, "open_ar": amount})
    return out[out["customers"] > 0].reset_index(drop=True)


def balance_bands(open_ar: pd.Series, *, small: float = 1_000.0, large: float = 25_000.0,
                  unit: str | None = None) -> pd.Series:
    """Value bands for the value x behaviour view: small balances can be fully automated.

    ``unit`` names the currency the balances are in (see :meth:`arboard.fx.Rates.unit`), for the labels.
    """
    u = f" {unit}" if unit else ""
    return pd.cut(open_ar, [-np.inf, small, large, np.inf],
                  labels=[f"Small (< {small:,.0f}{u})", f"Medium ({small:,.0f}–{large:,.0f}{u})",
                          f"Large (> {large:,.0f}{u})"]).astype(str)


# --- saved configurations ----------------------------------------------------------------------

def save_config(engine: Engine, name: str, config: SegmentConfig) -> None:
    """Save (or overwrite) a named configuration in the database."""
    named.save(engine, schema.segment_configs, name, config.to_dict(), what="configuration")


def load_config(engine: Engine, name: str) -> SegmentConfig:
    """Load a named configuration; :class:`ArboardError` when there is none."""
    return SegmentConfig.from_dict(named.load(engine, schema.segment_configs, name, what="segment configuration"))


def config_names(engine: Engine) -> list[str]:
    """Names of the saved configurations, newest first."""
    return named.names(engine, schema.segment_configs)
