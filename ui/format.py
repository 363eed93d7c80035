"""Money and number formatting for the pages (Babel, with the user's locale)."""

from __future__ import annotations

from babel.numbers import format_compact_currency, format_currency, format_decimal

LOCALE = "en_GB"


def money(value: float | None, currency: str = "EUR", *, compact: bool = False) -> str:
    """Format an amount: ``€1,234.50``, or ``€1.2M`` when compact."""
    if value is None:
        return "–"
    if compact:
        return format_compact_currency(value, currency, locale=LOCALE, fraction_digits=1)
    return format_currency(value, currency, locale=LOCALE)


def number(value: float | int | None, digits: int = 0) -> str:
    """Format a count or ratio with thousands separators."""
    if value is None:
        return "–"
    return format_decimal(round(value, digits), locale=LOCALE, format=f"#,##0.{'0' * digits}" if digits else "#,##0")
