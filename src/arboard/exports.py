"""Writing tables for people: CSV and Excel that are safe to open in a spreadsheet.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, tab, CR or LF would be run as a formula
by Excel or LibreOffice (CSV injection). Every text cell written here is prefixed with an
apostrophe when it starts that way; numbers and dates are written as numbers and dates.

Numbers are rounded to four decimals: cents stay exact, while float noise (``12646324.780000048``)
and sixteen-digit days and shares (``164.47557457337206``) do not reach the reader.
"""

from __future__ import annotations

import io
import re
import unicodedata

import numpy as np
import pandas as pd
import xlsxwriter

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
DECIMALS = 4


def file_slug(text: str, *, limit: int = 40) -> str:
    """``text`` as part of a file name: ASCII letters, digits and dashes ("Élodie O'Neil" → "elodie-o-neil")."""
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-") or "x"


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
    floats = df.select_dtypes("float").columns
    neutralise_frame(df.assign(**{c: df[c].round(DECIMALS) for c in floats})).to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def to_xlsx_bytes(df: pd.DataFrame, *, sheet: str = "Data", money_columns: tuple[str, ...] = (),
                  blank_zero_columns: tuple[str, ...] = ()) -> bytes:
    """A formatted Excel workbook: header frozen, autofilter, dates and money formatted.

    Text is written as text, never as a formula: xlsxwriter's formula and URL detection is off and
    formula-like cells are neutralised too, so the file is safe in any spreadsheet.
    """
    return to_xlsx_sheets({sheet: df}, money_columns=money_columns, blank_zero_columns=blank_zero_columns)


def _cells(s: pd.Series) -> tuple[str, list]:
    """A column as (kind, values) for the writer: ``number``, ``date`` (Excel serial), ``bool`` or ``text``.

    Missing values (and infinities) become None: an empty cell.
    """
    kind = pd.api.types.infer_dtype(s, skipna=True)
    if pd.api.types.is_bool_dtype(s) or kind == "boolean":
        out, kind = s.astype(object), "bool"
    elif pd.api.types.is_datetime64_any_dtype(s) or kind in ("date", "datetime", "datetime64"):
        stamps = pd.to_datetime(s, errors="coerce")
        out, kind = (stamps - pd.Timestamp("1899-12-30")) / pd.Timedelta(days=1), "date"  # Excel's day count
    elif pd.api.types.is_numeric_dtype(s) or kind in ("integer", "floating", "decimal", "mixed-integer-float"):
        out, kind = pd.to_numeric(s, errors="coerce").astype(float).round(DECIMALS), "number"
        out = out.where(np.isfinite(out))
    else:
        out, kind = s.map(lambda v: neutralise(str(v)), na_action="ignore"), "text"
    return kind, out.astype(object).where(out.notna(), None).tolist()


def _width(label: str, kind: str, values: list) -> int:
    """Column width: the header, or nine in ten of the first 2,000 values, within 10–60 characters."""
    if kind == "date":
        return 11
    sample = sorted(len(f"{v:,.2f}" if kind == "number" else str(v)) for v in values[:2000] if v is not None)
    typical = sample[int(len(sample) * 0.9)] if sample else 0
    return min(60, max(10, len(label) + 2, typical + 2))


def to_xlsx_sheets(sheets: dict[str, pd.DataFrame], *, money_columns: tuple[str, ...] = (),
                   blank_zero_columns: tuple[str, ...] = ()) -> bytes:
    """Several DataFrames as the sheets of one formatted, formula-free workbook (see :func:`to_xlsx_bytes`).

    Cells are written row by row with xlsxwriter's constant-memory mode and the writer method of
    each column's type (pandas' ``to_excel`` styles every cell and is several times slower); the
    money and date formats are column formats. Zeros in ``blank_zero_columns`` are left empty, as
    ERP aging reports show empty buckets.
    """
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"constant_memory": True, "strings_to_formulas": False,
                                     "strings_to_urls": False, "strings_to_numbers": False})
    money = book.add_format({"num_format": "#,##0.00"})
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    header = book.add_format({"bold": True, "bg_color": "#f2f5f8", "bottom": 1})
    for name, df in sheets.items():
        ws = book.add_worksheet(str(name)[:31] or "Sheet")
        names = [neutralise(str(c)) for c in df.columns]
        columns = [_cells(df[c].mask(df[c] == 0) if c in blank_zero_columns else df[c]) for c in df.columns]
        writers = {"number": ws.write_number, "date": ws.write_number, "bool": ws.write_boolean,
                   "text": ws.write_string}
        for i, (col, label, (kind, values)) in enumerate(zip(df.columns, names, columns, strict=True)):
            ws.set_column(i, i, _width(label, kind, values),
                          day if kind == "date" else money if col in money_columns else None)
            ws.write_string(0, i, label, header)
        write = [writers[kind] for kind, _ in columns]
        for r, row in enumerate(zip(*(values for _, values in columns), strict=True), start=1):
            for c, value in enumerate(row):
                if value is not None:
                    write[c](r, c, value)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(df), 1), max(len(df.columns) - 1, 0))
    book.close()
    return buf.getvalue()
