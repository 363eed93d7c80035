"""Writing tables for people: CSV and Excel that are safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab, CR or LF would be run as a formula
by Excel or LibreOffice (CSV injection). Every text cell written here is prefixed with an
apostrophe when it starts that way; numbers and dates are written as numbers and dates.
"""

from __future__ import annotations

import io

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")


def neutralise(value: object) -> object:
    """Return ``value`` unchanged unless it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Neutralise every text cell of a DataFrame (numbers and dates are left alone)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
            out[col] = s.map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def to_csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM so Excel reads accents) with formula-like cells neutralised."""
    buf = io.StringIO()
    neutralise_frame(df).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")
