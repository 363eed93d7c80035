"""Money and number formatting for the pages (Babel, with the user's locale)."""

from __future__ import annotations

import math

from babel.numbers import format_compact_currency, format_currency, format_decimal

from arboard.words import counted

LOCALE = "en_GB"


def money(value: float | None, currency: str = "EUR", *, compact: bool = False) -> str:
    """Format an amount: ``€1,234.50``, or ``€1.2M`` when compact."""
    if value is None:
        return "–"
    if abs(value) < (0.05 if compact else 0.005):
        value = 0.0  # no "-€0" for a sum that is zero but for float noise
    if compact:
        if abs(value) < 1000:
            # Babel has no compact pattern below a thousand and prints every digit it gets there (float
            # noise included: "€348.9099999777"); a compact figure is in whole units.
            value = round(value)
        if abs(value) < 1000:
            return format_currency(value, currency, locale=LOCALE, format="¤#,##0", currency_digits=False)
        return format_compact_currency(_carried(value), currency, locale=LOCALE, fraction_digits=1)
    return format_currency(value, currency, locale=LOCALE)


def _carried(value: float) -> float:
    """``value`` rounded to what a compact figure shows, so that a thousand of one unit reads as one of the
    next (Babel prints 999,999 as "€1000K", rounding the figure but not the unit)."""
    scale = 1000.0
    while abs(value) >= scale * 1000 and scale < 1e12:
        scale *= 1000
    shown = round(abs(value) / scale, 1)
    return math.copysign(scale * 1000, value) if shown >= 1000 and scale < 1e12 else value


def days(value: float | None, *, signed: bool = False) -> str:
    """Format a number of days: ``64.7 days`` (``+1.5 days`` when signed), ``356 days`` from a hundred on
    (a tenth of a day is noise there, and the longer figure did not fit a tile); "–" when missing."""
    if value is None or value != value:
        return "–"
    pattern = "#,##0" if abs(value) >= 99.95 else "#,##0.0"
    return ("+" if signed and value > 0 else "") + format_decimal(value, locale=LOCALE, format=pattern) + " days"


def pct(value: float | None) -> str:
    """Format a value in percent (``42.3 %``); "–" when missing."""
    return "–" if value is None or value != value else f"{value:,.1f} %"


def number(value: float | int | None, digits: int = 0) -> str:
    """Format a count or ratio with thousands separators."""
    if value is None:
        return "–"
    return format_decimal(round(value, digits), locale=LOCALE, format=f"#,##0.{'0' * digits}" if digits else "#,##0")


def _cell(unit: str, currency: str, signed: bool):
    def fmt(value) -> str:
        if value is None or value != value:
            return "–"
        if abs(value) < (0.5 if unit == "money" else 0.05):
            value = 0.0  # no "-0" or "+€0"
        if unit != "money":
            return days(value, signed=signed)
        sign = "+" if signed and value > 0 else ""
        return sign + format_currency(value, currency, locale=LOCALE, format="¤#,##0", currency_digits=False)
    return fmt


def measures(frame, columns: list[str], currency: str, *, unit: str = "unit", signed: tuple[str, ...] = ()):
    """Style a table whose rows mix money and days: each cell formatted by its row's ``unit``.

    Returns a pandas Styler for ``st.dataframe`` (hide the unit column with ``column_order``).
    """
    import pandas as pd

    styler = frame.style
    for u in frame[unit].unique():
        rows = frame.index[frame[unit] == u]
        for col in columns:
            styler = styler.format(_cell(u, currency, col in signed), subset=pd.IndexSlice[rows, [col]])
    return styler


_MARKDOWN = str.maketrans({c: "\\" + c for c in "\\`*_{}[]()<>#+-.!|~$:"})


def count(n: int, word: str, plural: str | None = None) -> str:
    """``n`` things in words: "1 hold", "2 holds", "1,200 debtors", "1 letter has" (see
    :func:`arboard.words.counted`)."""
    return counted(n, word, plural)


def md(text) -> str:
    """Show data (a debtor's or a scenario's name) literally inside Streamlit markdown.

    A company called ``*Star*_Trading`` must not turn italic, and a name holding ``[x](http://…)``
    must not become a link.
    """
    return str(text).translate(_MARKDOWN)
