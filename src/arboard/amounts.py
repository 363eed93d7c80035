"""Parsing money columns written the way people and ERPs write them.

Handles decimal commas (``1.234,56``), thousands separators (``1,234.56``, ``1 234,56``,
``1'234.56``), currency symbols and codes (``€ 12``, ``12 EUR``), accounting negatives
(``(12.50)``), SAP's trailing minus (``12.50-``) and debit/credit markers (``12.50 CR``). The
decimal separator is decided per column, not per value, so ``1,234`` means the same thing in every
row of a file. Any other word beside the number makes the value no number.
"""

from __future__ import annotations

import re

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from babel.numbers import list_currencies

# A currency written beside the number: a code (EUR, usd) or a symbol, before or after it ("€ 12",
# "-$12.50", "12 EUR", "1 234,56 kr"). Only there: a word anywhere else makes the value no number
# ("minus 300" is not 300, "1.5 million" is not 1.5).
_CODES = "|".join(sorted(list_currencies(), key=lambda c: (-len(c), c)))  # ISO 4217: EUR, USD, CHF, ...
_CURRENCY = rf"(?:(?:{_CODES})(?![A-Za-z])|[€$£¥₹₽₺₩₪₫฿₴₦₱]|R\$|US\$|C\$|A\$|kr\.?|Kr\.?|Fr\.?|zł|Kč|Ft)"
_LEADING = re.compile(rf"^\s*([-+(]?)\s*{_CURRENCY}\s*", re.IGNORECASE)
_TRAILING = re.compile(rf"\s*{_CURRENCY}\s*([-)]?)\s*$", re.IGNORECASE)
# Spaces, NBSP and apostrophes as thousands separators. Written as plain characters (no lookaround, no
# \u escapes) so that pandas hands these two patterns to Arrow's RE2, column-wide, not to Python per value.
_SPACING = "[ \t\u00a0\u202f'’]"
_PLAIN = "[0-9 \t\u00a0\u202f'’.,()+-]*"  # a value with nothing but a number in it: most of them

# A debit or credit marker after the number, as ledgers print balances: "1,234.56 CR" is a credit.
_MARKER = re.compile(r"\s*\b(?:cr|dr)\.?\s*$", re.IGNORECASE)
_CREDIT = re.compile(r"\bcr\.?\s*$", re.IGNORECASE)


def _bare(text: pd.Series) -> pd.Series:
    """The number in each value without its currency, its debit/credit marker (a credit marked as a
    trailing minus) and its digit grouping by spaces or apostrophes."""
    odd = ~text.str.fullmatch(_PLAIN).fillna(True).astype(bool)
    if odd.any():  # only values with more than a number in them go through Python's regular expressions
        some = text[odd]
        credit = some.str.contains(_CREDIT).fillna(False).astype(bool)
        some = some.str.replace(_MARKER, "", regex=True)
        some = some.where(~credit, some + "-")
        text = text.where(~odd, some.str.replace(_LEADING, r"\1", regex=True).str.replace(_TRAILING, r"\1", regex=True))
    return text.str.replace(_SPACING, "", regex=True)


def detect_decimal(series: pd.Series, *, delimiter: str | None = None) -> str:
    """Return the decimal separator used by a column: ``"."`` or ``","``."""
    if pd.api.types.is_numeric_dtype(series):
        return "."
    text = _bare(series.dropna().head(50_000).astype(str))
    text = text[text != ""]
    if text.empty:
        return "."
    both = text[text.str.contains(",") & text.str.contains(r"\.")]
    if not both.empty:
        # The separator that comes last in "1.234,56" / "1,234.56" is the decimal one.
        comma_last = (both.str.rfind(",") > both.str.rfind(".")).mean()
        return "," if comma_last > 0.5 else "."
    if text.str.contains(r",\d{1,2}$|,\d{4,}$").any():
        return ","
    if text.str.contains(r"\.\d{1,2}$|\.\d{4,}$").any():
        return "."
    if text.str.contains(",").any():
        # Only "1,234"-style values: thousands commas, unless the file is a European CSV.
        return "," if delimiter == ";" else "."
    return "."


def parse(series: pd.Series, *, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Parse a money column.

    Returns
    -------
    (values, bad)
        ``values`` as float64 (NaN where empty or unparseable) and ``bad``, True where a
        non-empty value is not a number.
    """
    if pd.api.types.is_numeric_dtype(series):
        values = pd.to_numeric(series, errors="coerce").astype("float64")
        return values, pd.Series(False, index=series.index)
    text = series.astype("string").str.strip()
    present = text.notna() & (text != "")
    # Fast path: most machine exports are plain "1234.56"; Arrow's cast parses them in C++.
    if decimal == ".":
        try:
            fast = pc.cast(pa.array(text.mask(~present)), pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError, TypeError):
            pass
        else:
            return pd.Series(fast.to_numpy(zero_copy_only=False), index=series.index, dtype="float64"), \
                pd.Series(False, index=series.index)
    t = _bare(text)
    negative = t.str.startswith("(") & t.str.endswith(")") | t.str.endswith("-")
    t = t.str.replace(r"[()]", "", regex=True).str.rstrip("-")
    thousands = "." if decimal == "," else ","
    t = t.str.replace(thousands, "", regex=False)
    if decimal == ",":
        t = t.str.replace(",", ".", regex=False)
    values = pd.to_numeric(t, errors="coerce").astype("float64")
    values = values.where(~negative.fillna(False), -values.abs())
    return values, (present & values.isna()).fillna(False).astype(bool)


def parse_number(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse a plain number column (scores, term days): either decimal separator."""
    if pd.api.types.is_numeric_dtype(series):
        return pd.to_numeric(series, errors="coerce").astype("float64"), pd.Series(False, index=series.index)
    return parse(series, decimal=detect_decimal(series))
