"""Detecting and parsing date columns.

Exports write dates in many ways: ISO, M/D/YYYY (US), D/M/YYYY (most of Europe), D.M.YYYY
(Germany, Switzerland), Excel serial numbers. The format is detected per column from its
values. A column whose values fit both M/D and D/M (no day above 12 anywhere) is
*ambiguous*: :func:`detect_format` says so instead of guessing, and the caller asks.
A period of days is checked and written out here too (:func:`check_period`, :func:`period_text`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pandas as pd

from arboard.errors import ArboardError

# label shown to the user -> strptime format ("excel" and "native" are special)
FORMATS: dict[str, str] = {
    "YYYY-MM-DD": "%Y-%m-%d",
    "YYYY/MM/DD": "%Y/%m/%d",
    "YYYYMMDD": "%Y%m%d",
    "M/D/YYYY": "%m/%d/%Y",
    "D/M/YYYY": "%d/%m/%Y",
    "D.M.YYYY": "%d.%m.%Y",
    "D-M-YYYY": "%d-%m-%Y",
    "M-D-YYYY": "%m-%d-%Y",
    "M/D/YY": "%m/%d/%y",
    "D/M/YY": "%d/%m/%y",
    "D.M.YY": "%d.%m.%y",
    "D Mon YYYY": "month-name",  # 15 Nov 2026, 15-NOV-26 (Oracle), 15. März 2026, 15 juin 2026
    "Mon D, YYYY": "month-name",  # Nov 15, 2026
    "Excel serial number": "excel",
}
AMBIGUOUS_PAIRS = {"M/D/YYYY": "D/M/YYYY", "M-D-YYYY": "D-M-YYYY", "M/D/YY": "D/M/YY"}

_TIME_SUFFIX = re.compile(r"[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?( ?[AaPp][Mm])?(Z|[+-]\d{2}:?\d{2})?$")
_PATTERNS = [
    ("iso", re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")),
    ("ymd_slash", re.compile(r"^\d{4}/\d{1,2}/\d{1,2}$")),
    ("compact", re.compile(r"^(19|20)\d{6}$")),
    ("slash4", re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")),
    ("slash2", re.compile(r"^\d{1,2}/\d{1,2}/\d{2}$")),
    ("dot4", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{4}$")),
    ("dot2", re.compile(r"^\d{1,2}\.\d{1,2}\.\d{2}$")),
    ("dash4", re.compile(r"^\d{1,2}-\d{1,2}-\d{4}$")),
    ("serial", re.compile(r"^\d{4,5}(\.0+)?$")),
    ("day_month_name", re.compile(r"^\d{1,2}\.?[ \-/]+[^\W\d_]{3,10}\.?[ \-/,]+\d{2}(\d{2})?$")),
    ("month_name_day", re.compile(r"^[^\W\d_]{3,10}\.?[ \-]+\d{1,2},?[ \-]+\d{2}(\d{2})?$")),
]
_SLASH_LIKE = {"slash4": ("M/D/YYYY", "D/M/YYYY"), "slash2": ("M/D/YY", "D/M/YY"),
               "dash4": ("M-D-YYYY", "D-M-YYYY")}
_FIXED = {"iso": "YYYY-MM-DD", "ymd_slash": "YYYY/MM/DD", "compact": "YYYYMMDD", "dot4": "D.M.YYYY",
          "dot2": "D.M.YY", "serial": "Excel serial number", "day_month_name": "D Mon YYYY",
          "month_name_day": "Mon D, YYYY"}

# Month names and their abbreviations in the six languages of the column names, without accents or dots.
_MONTHS = {name: n for n, names in enumerate([
    "january jan januar janvier janv enero ene januari gennaio gen",
    "february feb februar fevrier fevr fev febrero februari febbraio",
    "march mar marz mrz mars marzo maart mrt",
    "april apr avril avr abril aprile",
    "may mai mayo mei maggio mag",
    "june jun juni juin junio giugno giu",
    "july jul juli juillet juil julio luglio lug",
    "august aug aout agosto augustus ago",
    "september sep sept septembre septiembre setiembre set settembre sett",
    "october oct oktober okt octobre octubre ottobre ott",
    "november nov novembre noviembre",
    "december dec dezember dez decembre diciembre dic dicembre",
], start=1) for name in names.split()}


@dataclass
class DateDetection:
    """What :func:`detect_format` found for one column."""

    format: str | None  # a key of FORMATS, "native", or None
    ambiguous: tuple[str, ...] = ()  # candidate formats when the values fit several
    examples: list[str] = field(default_factory=list)
    message: str = ""


def _strip_time(values: pd.Series) -> pd.Series:
    return values.str.replace(_TIME_SUFFIX, "", regex=True)


def detect_format(series: pd.Series, *, sample: int = 20_000) -> DateDetection:
    """Detect the date format of a column.

    Parameters
    ----------
    series
        Raw values (strings, or already datetimes from Excel/Parquet).
    sample
        At most this many distinct values are inspected.
    """
    if pd.api.types.is_datetime64_any_dtype(series):
        return DateDetection("native")
    values = series.dropna()
    if values.empty:
        return DateDetection(None, message="the column is empty")
    if series.dtype == object and values.head(1000).map(lambda v: hasattr(v, "year")).all():
        return DateDetection("native")
    uniq = pd.Series(values.unique()[:sample]).astype(str).str.strip()
    uniq = uniq[uniq != ""]
    if uniq.empty:
        return DateDetection(None, message="the column is empty")
    uniq = _strip_time(uniq)
    # Every date has digits; a heading or a "Total" line in a report's date column has none.
    uniq = uniq[uniq.str.contains(r"\d")] if uniq.str.contains(r"\d").any() else uniq
    examples = uniq.head(3).tolist()
    shares = {name: uniq.str.match(rx).mean() for name, rx in _PATTERNS}
    name, share = max(shares.items(), key=lambda kv: kv[1])
    if share < 0.5:
        return DateDetection(None, examples=examples,
                             message=f"no known date format fits values like {', '.join(examples)}")
    if name in _FIXED:
        return DateDetection(_FIXED[name], examples=examples)
    first_fmt, second_fmt = _SLASH_LIKE[name]
    parts = uniq[uniq.str.match(dict(_PATTERNS)[name])].str.split(r"[/-]", expand=True)
    first = pd.to_numeric(parts[0], errors="coerce")
    second = pd.to_numeric(parts[1], errors="coerce")
    if (first > 12).any() and not (second > 12).any():
        return DateDetection(second_fmt, examples=examples)  # first part is the day
    if (second > 12).any() and not (first > 12).any():
        return DateDetection(first_fmt, examples=examples)  # second part is the day
    if (first > 12).any() and (second > 12).any():
        return DateDetection(None, examples=examples,
                             message="values put the day first in some rows and second in others")
    return DateDetection(
        None, ambiguous=(first_fmt, second_fmt), examples=examples,
        message=f"values like {', '.join(examples)} read as both {first_fmt} and {second_fmt}",
    )


def parse(series: pd.Series, fmt: str) -> tuple[pd.Series, pd.Series]:
    """Parse a column with a known format.

    Returns
    -------
    (dates, bad)
        ``dates`` is datetime64 (NaT where empty or unparseable, time of day dropped); ``bad`` is
        True where a non-empty value could not be parsed.
    """
    if fmt == "native" or pd.api.types.is_datetime64_any_dtype(series):
        out = pd.to_datetime(series, errors="coerce")
        if getattr(out.dt, "tz", None) is not None:
            out = out.dt.tz_localize(None)
        raw_present = series.notna()
        return out.dt.normalize(), (raw_present & out.isna()).astype(bool)
    # A ledger has few distinct dates (a few hundred per year): parse each once, then broadcast.
    codes, uniques = pd.factorize(series.astype("string").str.strip())
    text = pd.Series(uniques, dtype="string")
    if FORMATS.get(fmt) == "month-name":
        parsed = _month_names(text, day_first=fmt.startswith("D"))
    elif fmt == "excel" or fmt == "Excel serial number":
        num = pd.to_numeric(text, errors="coerce")
        # Excel's day 0 is 1899-12-30 once its fictitious 1900-02-29 is accounted for.
        num = num.where((num >= 1) & (num < 2_958_466))
        parsed = pd.to_datetime(np.floor(num), unit="D", origin="1899-12-30", errors="coerce")
    else:
        strptime = FORMATS.get(fmt, fmt)
        if text.str.contains(":", regex=False).any():
            text = _strip_time(text)
        parsed = pd.to_datetime(text, format=strptime, errors="coerce")
    parsed_values = parsed.to_numpy(dtype="datetime64[us]")
    unique_bad = (parsed.isna() & text.notna() & (text != "")).to_numpy(dtype=bool)
    valid = codes >= 0
    out = np.full(len(codes), np.datetime64("NaT"), dtype="datetime64[us]")
    out[valid] = parsed_values[codes[valid]]
    bad = np.zeros(len(codes), dtype=bool)
    bad[valid] = unique_bad[codes[valid]]
    return pd.Series(out, index=series.index), pd.Series(bad, index=series.index)


def _month_names(text: pd.Series, *, day_first: bool) -> pd.Series:
    """Dates written with the month's name ("15 Nov 2026", "15-NOV-26", "15. März 2026", "Nov 15, 2026"),
    in any of the six languages; a two-digit year is 1969-2068, as strptime's %y reads it."""
    plain = (text.str.normalize("NFKD").str.encode("ascii", "ignore").str.decode("ascii").str.lower()
             .str.replace(_TIME_SUFFIX, "", regex=True))
    parts = plain.str.findall(r"[a-z]+|\d+")

    def one(tokens: object) -> str | None:
        if not isinstance(tokens, list) or len(tokens) != 3:
            return None
        day, name, year = (tokens[0], tokens[1], tokens[2]) if day_first else (tokens[1], tokens[0], tokens[2])
        month = _MONTHS.get(name)
        if month is None or not day.isdigit() or not year.isdigit() or len(year) not in (2, 4):
            return None
        y = int(year) if len(year) == 4 else int(year) + (2000 if int(year) < 69 else 1900)
        return f"{y:04d}-{month:02d}-{int(day):02d}"

    return pd.to_datetime(parts.map(one), format="%Y-%m-%d", errors="coerce")


def resolve_ambiguous(detections: dict[str, DateDetection]) -> dict[str, str]:
    """Settle ambiguous columns from an unambiguous sibling with the same separator.

    A file writes all its dates one way: when the due date column shows 25/03/2024 the invoice
    date column that only holds 03/04/2024-like values is D/M too.

    Returns
    -------
    dict
        ``{column: format}`` for the columns it could settle.
    """
    settled: dict[str, str] = {}
    for col, det in detections.items():
        if not det.ambiguous:
            continue
        for other in detections.values():
            if other.format in det.ambiguous:
                settled[col] = other.format
                break
    return settled


def check_period(since: date, until: date) -> None:
    """Refuse a period of days (both included) that starts after it ends, with an :class:`ArboardError`
    that names both days."""
    if since > until:
        raise ArboardError(f"The period starts after it ends: the first day ({since.isoformat()}) is after the last "
                           f"({until.isoformat()}).", where="since")


def period_text(since: date, until: date) -> str:
    """A period of days in few words: "Oct 2026" for a whole month, else "1 Sep – 15 Oct 2026" (the
    year once when both days share it)."""
    next_day = until + timedelta(days=1)
    if since.day == 1 and next_day.day == 1 and (since.year, since.month) == (until.year, until.month):
        return f"{since:%b %Y}"
    if since.year == until.year:
        return f"{since.day} {since:%b} – {until.day} {until:%b %Y}"
    return f"{since.day} {since:%b %Y} – {until.day} {until:%b %Y}"
