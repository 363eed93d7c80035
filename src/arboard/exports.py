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


def to_xlsx_bytes(df: pd.DataFrame, *, sheet: str = "Data", money_columns: tuple[str, ...] = ()) -> bytes:
    """A formatted Excel workbook: header frozen, autofilter, dates and money formatted.

    Text is written as text, never as a formula: xlsxwriter's formula and URL detection is off and
    formula-like cells are neutralised too, so the file is safe in any spreadsheet.
    """
    return to_xlsx_sheets({sheet: df}, money_columns=money_columns)


def to_xlsx_sheets(sheets: dict[str, pd.DataFrame], *, money_columns: tuple[str, ...] = ()) -> bytes:
    """Several DataFrames as the sheets of one formatted, formula-free workbook (see :func:`to_xlsx_bytes`)."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="xlsxwriter", date_format="yyyy-mm-dd", datetime_format="yyyy-mm-dd",
                        engine_kwargs={"options": {"strings_to_formulas": False, "strings_to_urls": False,
                                                   "strings_to_numbers": False}}) as writer:
        book = writer.book
        money = book.add_format({"num_format": "#,##0.00"})
        header = book.add_format({"bold": True, "bg_color": "#f2f5f8", "bottom": 1})
        for name, df in sheets.items():
            frame = neutralise_frame(df)
            title = str(name)[:31] or "Sheet"
            frame.to_excel(writer, sheet_name=title, index=False)
            ws = writer.sheets[title]
            for i, col in enumerate(frame.columns):
                sample = frame[col].astype(str).str.len()
                width = min(60, max(10, len(str(col)) + 2, int(sample.quantile(0.9) if len(sample) else 0) + 2))
                ws.set_column(i, i, width, money if col in money_columns else None)
                ws.write(0, i, col, header)
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))
    return buf.getvalue()
