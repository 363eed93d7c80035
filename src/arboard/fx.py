"""Exchange rates into one reporting currency, for the figures that add up a debtor's currencies.

Reports per currency never mix currencies; every page also offers all currencies together in the
reporting currency (currency None with :func:`applied` rates), at constant rates: every date
converted at the saved rates, so a trend moves with the ledger, not with exchange rates. A few
figures must add up currencies whatever the page shows: a debtor's total balance sizes its segment
and its credit-limit use, a group's open balance, the amounts the outreach plan is about, the
invoice amount the late-payment model learns from. With rates saved here they are in the reporting
currency; without, at face value, as before.

A rate says what one unit of a currency is worth in the reporting currency (``SEK 0.087`` with
reporting currency EUR: 1 SEK = 0.087 EUR). The rates are the user's (no internet lookups): the
closing rate of the last month-end is the usual choice. A currency without a rate stays at face
value, and :meth:`Rates.missing` names it so the pages can say so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.db import bump_data_version, get_meta, set_meta
from arboard.errors import ArboardError

_CODE = re.compile(r"^[A-Z]{3}$")
REPORTING_KEY = "reporting_currency"


def _codes(currencies: Iterable[str]) -> set[str]:
    """The currency codes among ``currencies`` (a missing currency, None or NaN, is none)."""
    return {c for c in currencies if isinstance(c, str)}


@dataclass(frozen=True)
class Rates:
    """The reporting currency and what one unit of each other currency is worth in it.

    ``reporting`` is None when no reporting currency is set: every amount then stays at face value.
    """

    reporting: str | None = None
    per_unit: Mapping[str, float] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """True when amounts are converted (a reporting currency is set)."""
        return self.reporting is not None

    def rate(self, currency: str) -> float | None:
        """One unit of ``currency`` in the reporting currency (1 for itself; None without a rate)."""
        if currency == self.reporting:
            return 1.0
        return self.per_unit.get(currency)

    def missing(self, currencies: Iterable[str]) -> list[str]:
        """The currencies among ``currencies`` that have no rate (all stay at face value when inactive)."""
        return sorted(c for c in _codes(currencies) if self.rate(c) is None)

    def to_reporting(self, amount: sa.ColumnElement, currency: sa.ColumnElement) -> sa.ColumnElement:
        """``amount`` in the reporting currency, as one SQL expression for every backend (a CASE on
        the currency; a currency without a rate keeps its amount)."""
        known = {c: r for c, r in self.per_unit.items() if c != self.reporting}
        if not self.active or not known:
            return amount
        return amount * sa.case(*((currency == c, sa.literal(float(r))) for c, r in sorted(known.items())),
                                else_=sa.literal(1.0))

    def convert(self, amounts: pd.Series, currencies: pd.Series) -> pd.Series:
        """``amounts`` in the reporting currency, row by row (no rate: face value)."""
        if not self.active:
            return amounts.astype(float)
        # One rate look-up per currency, not per row (a million open items have a handful of currencies).
        factor = currencies.map({c: self.rate(c) for c in pd.unique(currencies) if isinstance(c, str)})
        return amounts.astype(float) * pd.to_numeric(factor, errors="coerce").fillna(1.0).to_numpy()

    def carried_to(self, reporting: str | None) -> dict[str, float]:
        """The rates that still hold with ``reporting`` as the reporting currency: all of them for the
        same one, none for another (a rate into EUR says nothing about one into USD)."""
        same = reporting is not None and reporting.strip().upper() == self.reporting
        return dict(self.per_unit) if same else {}

    def unit(self, currencies: Iterable[str]) -> str | None:
        """The one currency a sum over ``currencies`` is in: the reporting currency, or the only
        currency there is; None for a sum at face value over several."""
        present = _codes(currencies)
        if self.active:
            return self.reporting
        return next(iter(present)) if len(present) == 1 else None

    def amounts_in(self, currencies: Iterable[str]) -> str:
        """What an export's ``amounts_in`` column says: :meth:`unit`, or that several currencies add
        up at face value."""
        return self.unit(currencies) or "several currencies at face value"

    def label(self) -> str:
        """How amounts that add up currencies are expressed, for captions and axis titles."""
        return self.reporting if self.active else "all currencies at face value"


NONE = Rates()


def applied(rates: Rates | None, currency: str | None) -> Rates:
    """The rates a figure uses: ``rates`` for all currencies together (``currency`` None), none for a
    figure in one currency, which stays in that currency."""
    return rates if rates is not None and not currency else NONE


def note(rates: Rates, currencies: Iterable[str]) -> str | None:
    """One sentence on how a figure that adds up ``currencies`` is expressed (None for one currency
    that needs no converting)."""
    present = sorted(_codes(currencies))
    if not rates.active:
        if len(present) <= 1:
            return None
        return ("Amounts add up " + ", ".join(present) + " at face value: set a reporting currency and exchange "
                "rates on the Data page to add them up in one currency.")
    if present == [rates.reporting]:
        return None
    missing = rates.missing(present)
    text = f"Amounts are in {rates.reporting} at the exchange rates saved on the Data page."
    if missing:
        text += (" " + ", ".join(missing) + (" has" if len(missing) == 1 else " have")
                 + " no rate and count" + ("s" if len(missing) == 1 else "") + " at face value.")
    return text


def rate_table(rates: Rates, currencies: Iterable[str], reporting: str | None) -> pd.DataFrame:
    """The rates to edit for a (perhaps newly chosen) ``reporting`` currency: ``currency, per_unit``,
    one row per other currency in ``currencies``, with the rates that carry over (:meth:`Rates.carried_to`)."""
    others = sorted(_codes(currencies) - {reporting or ""})
    kept = rates.carried_to(reporting)
    return pd.DataFrame({"currency": others, "per_unit": [kept.get(c) for c in others]},
                        columns=["currency", "per_unit"]).astype({"per_unit": float})


def load(engine: Engine) -> Rates:
    """The saved reporting currency and rates (an empty :class:`Rates` when none are saved)."""
    t = schema.fx_rates
    with engine.connect() as conn:
        reporting = get_meta(conn, REPORTING_KEY)
        rows = conn.execute(sa.select(t.c.currency, t.c.per_unit)).all()
    if not reporting:
        return Rates()
    return Rates(reporting, {str(c): float(r) for c, r in rows if r is not None})


def _clean_code(value: object, what: str) -> str:
    code = str(value or "").strip().upper()
    if not _CODE.match(code):
        raise ArboardError(f"{what} must be a three-letter currency code such as EUR, USD or SEK, not {value!r}.",
                           where="exchange rates")
    return code


def _clean_rate(currency: str, value: object) -> float | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        rate = float(str(value).strip().replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        raise ArboardError(f"The rate for {currency} is not a number: {value!r}.", where="exchange rates") from None
    if math.isnan(rate):
        return None
    if not math.isfinite(rate) or rate <= 0 or rate > 1e6 or rate < 1e-6:
        raise ArboardError(f"The rate for {currency} must be a positive number between 0.000001 and 1,000,000 "
                           f"(one {currency} in the reporting currency), not {value!r}.", where="exchange rates")
    return rate


def save(engine: Engine, reporting: str | None, per_unit: Mapping[str, object]) -> Rates:
    """Replace the reporting currency and rates in one transaction; returns what was saved.

    Parameters
    ----------
    engine
        The ledger database.
    reporting
        The reporting currency; None (or empty) switches conversion off and forgets the rates.
    per_unit
        Currency code to the value of one unit in ``reporting``. Blank or NaN rates are dropped (that
        currency stays at face value); the reporting currency's own rate is always 1.

    Raises
    ------
    ArboardError
        For a code that is not three letters, or a rate that is not a positive number. Nothing is
        saved then.
    """
    t = schema.fx_rates
    code = _clean_code(reporting, "The reporting currency") if reporting and str(reporting).strip() else None
    clean: dict[str, float] = {}
    if code:
        for currency, value in per_unit.items():
            cur = _clean_code(currency, "A currency")
            rate = _clean_rate(cur, value)
            if rate is not None and cur != code:
                clean[cur] = rate
    now = datetime.now(UTC).replace(tzinfo=None)
    with engine.begin() as conn:
        conn.execute(sa.delete(t))
        if clean:
            conn.execute(sa.insert(t), [{"currency": c, "per_unit": r, "updated_at": now} for c, r in clean.items()])
        set_meta(conn, REPORTING_KEY, code or "")
        # The figures cached per data version change with the rates; the balance events do not.
        bump_data_version(conn, derived_unchanged=True)
    return Rates(code, clean) if code else Rates()
