"""Reading ledger files and database tables into a raw, all-text table.

Nothing is interpreted here beyond the container: the format is found from the file's bytes
(never trusted from its extension), the text encoding and the CSV delimiter are detected,
title lines above the header are skipped. Values stay text (or datetimes where the container
itself says so, as in Excel and Parquet) so that customer numbers keep their leading zeros;
the importer parses them column by column.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from arboard.errors import ArboardError, driver_reason
from arboard.fields import GROUP_COLUMN
from arboard.words import counted

DELIMITERS = (",", ";", "\t", "|")
_RULE = re.compile(r"\s*[-=_+|]{3,}\s*")
_MAGIC = {
    b"PK\x03\x04": "zip",
    b"\xd0\xcf\x11\xe0": "xls",
    b"PAR1": "parquet",
}


@dataclass
class RawTable:
    """A table as read, before any mapping.

    ``first_row`` is the file line (or sheet row) number of the first data row, so a report
    can point at the same line a user sees in a text editor or in Excel; ``lines`` holds each row's
    line when the rows are not consecutive lines (a list report whose titles and rules were dropped).
    """

    df: pd.DataFrame
    source: str
    format: str
    first_row: int = 2
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)
    lines: np.ndarray | None = None

    @property
    def columns(self) -> list[str]:
        return [str(c) for c in self.df.columns]


def _detect_encoding(data: bytes) -> tuple[str, str]:
    """Return (encoding, decoded text)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig", data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16", data.decode("utf-16", errors="replace")
    head = data[:4096]
    odd, even = head[1::2].count(0), head[0::2].count(0)
    if len(head) >= 4 and max(odd, even) > len(head) // 4 and min(odd, even) < max(odd, even) // 10:
        # UTF-16 without a BOM: the NULs sit in every other byte (and only there).
        enc = "utf-16-le" if odd > even else "utf-16-be"
        return enc, data.decode(enc, errors="replace")
    try:
        return "utf-8", data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return "cp1252", data.decode("cp1252")
    except UnicodeDecodeError:
        return "latin-1", data.decode("latin-1")


def _looks_binary(text: str) -> bool:
    sample = text[:65536]
    if not sample:
        return False
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\x00")
    return control / len(sample) > 0.01 or sample.count("\ufffd") / len(sample) > 0.05


def _sniff(lines: list[str]) -> tuple[str, int, int]:
    """Pick the delimiter and the header line among the first lines.

    Returns (delimiter, header line index, number of fields).
    """
    best: tuple[float, int, str, int] | None = None
    # Rule lines ("-----" between the pages of a list report) are no rows of any delimiter.
    rules = [_RULE.fullmatch(ln) is not None for ln in lines]
    for delim in DELIMITERS:
        # Not strict: a quoted field over two lines makes one row of them.
        counts = [None if rule else len(row) for row, rule in zip(csv.reader(lines, delimiter=delim), rules,
                                                                   strict=False)]
        counted = [c for c in counts if c is not None]
        if not counted:
            continue
        n, freq = Counter(counted).most_common(1)[0]
        if n < 2:
            continue
        score = (freq / len(counted), n)
        if best is None or score > best[:2]:
            best = (score[0], n, delim, counts.index(n))
    if best is None:
        return ",", 0, 1
    return best[2], best[3], best[1]


_UNNAMED = re.compile(r"Unnamed: \d+(?:_level_\d+)?")  # pandas' name for a blank header cell


def _dedupe(names: list[str]) -> list[str]:
    """Header names as the mapping shows them: trimmed, a blank one named by its place ("column 3"
    rather than pandas' "Unnamed: 2"), and repeated ones numbered ("Amount.1")."""
    seen: Counter[str] = Counter()
    out = []
    for i, name in enumerate(names):
        name = str(name).strip().replace("\x00", "")
        if not name or _UNNAMED.fullmatch(name):
            name = f"column {i + 1}"
        seen[name] += 1
        out.append(name if seen[name] == 1 else f"{name}.{seen[name] - 1}")
    return out


def read_csv_bytes(data: bytes, *, name: str) -> RawTable:
    """Read delimited text of any common encoding and delimiter into a RawTable."""
    encoding, text = _detect_encoding(data)
    notes = []
    if "\x00" in text:
        notes.append(f"removed {text.count(chr(0))} NUL bytes")
        text = text.replace("\x00", "")
    if _looks_binary(text):
        raise ArboardError("This file is not text: it looks like binary data, not a CSV export.", where=name)
    if not text.strip():
        raise ArboardError("The file is empty.", where=name)
    head_lines = [ln for ln in text[:200_000].splitlines()[:60] if ln.strip()]
    delimiter, header_idx, n_fields = _sniff(head_lines)
    if n_fields < 2:
        raise ArboardError(
            "Only one column was found. The file may use a delimiter other than comma, semicolon, "
            "tab or pipe, or it is not a table.", where=name)
    # header_idx counts non-empty lines; find its position among all lines.
    nonempty_seen, skip = -1, 0
    for i, ln in enumerate(text[:200_000].splitlines()):
        if ln.strip():
            nonempty_seen += 1
            if nonempty_seen == header_idx:
                skip = i
                break
    lines = None
    if delimiter == "|" and _framed(text, skip):
        text, lines = _inside_frame(text, skip, notes)  # its note counts the titles above the header too
        skip = 0
    # pyarrow's reader is several times faster; the C engine gives better messages on broken rows.
    utf8 = data[3:] if encoding == "utf-8-sig" else data if encoding == "utf-8" and not notes else text.encode()
    try:
        df = pd.read_csv(io.BytesIO(utf8), sep=delimiter, skiprows=skip, dtype=str, keep_default_na=False,
                         na_values=[""], engine="pyarrow")
    except Exception:  # noqa: BLE001 - any pyarrow failure: retry with the C engine for a precise message
        df = None
    try:
        if df is None:
            df = pd.read_csv(
                io.StringIO(text), sep=delimiter, skiprows=skip, dtype=str, keep_default_na=False,
                na_values=[""], engine="c", skipinitialspace=True, skip_blank_lines=True,
            )
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            expected, line, saw = match.groups()
            raise ArboardError(
                f"Line {int(line) + skip} has {saw} fields where the header has {expected}. "
                f"Check the delimiter ({delimiter!r} was detected) and the quoting.", where=name) from exc
        raise ArboardError(f"The file cannot be read as CSV: {exc}", where=name) from exc
    except (UnicodeError, ValueError, MemoryError) as exc:
        raise ArboardError(f"The file cannot be read as CSV: {exc}", where=name) from exc
    if lines is not None:
        df = _unframed(df)
        lines = lines if len(lines) == len(df) else None
    df.columns = _dedupe(list(df.columns))
    if skip:
        notes.append(f"skipped {counted(skip, 'title line')} above the header")
    df = _group_headings(df, notes)
    return RawTable(df, name, "csv", first_row=skip + 2, encoding=encoding, delimiter=delimiter, notes=notes,
                    lines=lines)


def _framed(text: str, skip: int) -> bool:
    """True for a list report framed in ``|`` (SAP's "unconverted" list format): the header line
    starts and ends with the delimiter."""
    header = next(iter(text[:200_000].splitlines()[skip:skip + 1]), "").strip()
    return len(header) > 2 and header.startswith("|") and header.endswith("|")


def _inside_frame(text: str, skip: int, notes: list[str]) -> tuple[str, np.ndarray]:
    """The lines of a framed list report inside its frame (the header and the lines that start with
    ``|``), and each data line's line number: the titles, page headings and ``----`` rules around
    and between the pages are dropped."""
    all_lines = text.splitlines()
    header = all_lines[skip].strip()
    framed = [i for i in range(skip + 1, len(all_lines)) if all_lines[i].lstrip().startswith("|")]
    kept = [i for i in framed if all_lines[i].strip() != header]  # the header repeats on every page
    dropped = len(all_lines) - len(framed) - 1 - sum(1 for ln in all_lines if not ln.strip())
    if dropped:
        repeated = len(framed) - len(kept)
        notes.append(f"skipped {counted(dropped, 'line')} outside the list's frame (titles, page headings, rules)"
                     + (f" and {counted(repeated, 'repeated header')}" if repeated else ""))
    return "\n".join(all_lines[i] for i in [skip, *kept]) + "\n", np.asarray(kept, dtype=np.int64) + 1


def _unframed(df: pd.DataFrame) -> pd.DataFrame:
    """Without the empty columns before the first ``|`` and after the last one."""
    edges = {df.columns[0], df.columns[-1]} if len(df.columns) > 2 else set()
    empty = [c for c in edges if str(c).startswith("Unnamed: ") and df[c].isna().all()]
    return df.drop(columns=empty)


_NUMBERLIKE = re.compile(r"[\d\s.,'()+\-]+")


def _group_headings(df: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """With a column ``Group heading`` when rows are grouped under lines of their own.

    Aging reports group their rows under a line that holds only the group's name: a customer
    (Xero, Sage: the rows below have no customer column) or an aging band (QuickBooks). Each row
    then gets the heading above it in that column, to map like any other (the heading lines
    themselves are skipped on import). Costs nothing for a table whose first two columns are filled.
    """
    if len(df.columns) < 3 or df.empty:
        return df
    maybe = df[df.columns[0]].isna() | df[df.columns[1]].isna()
    if not maybe.any():
        return df
    sub = df[maybe]
    single = sub.notna().sum(axis=1) == 1
    if not single.any():
        return df
    text = sub[single].bfill(axis=1).iloc[:, 0].astype("string").str.strip()
    # A lone number is a total, a lone rule a rule: neither names a group.
    text = text[~text.str.fullmatch(_NUMBERLIKE) & ~text.str.fullmatch(r"[-=_+|*~. ]+") & text.ne("")]
    if text.empty:
        return df
    heads = pd.Series(pd.NA, index=df.index, dtype="string")
    heads[text.index] = text
    group = heads.ffill()
    group[text.index] = pd.NA
    if group.notna().sum() == 0 or GROUP_COLUMN in df.columns:
        return df
    notes.append(f"{counted(len(text), 'line heads', 'lines head')} the rows below (e.g. “{text.iloc[0][:40]}”): "
                 f"each row's heading is in the column “{GROUP_COLUMN}”")
    return df.assign(**{GROUP_COLUMN: group})


def _stringify(df: pd.DataFrame) -> pd.DataFrame:
    """Turn container-typed columns into text, keeping real datetimes as datetimes."""
    out = {}
    for col in df.columns:
        s = df[col]
        if pd.api.types.is_datetime64_any_dtype(s):
            out[col] = s
            continue
        non_null = s.dropna()
        if len(non_null) and non_null.map(lambda v: hasattr(v, "year") and hasattr(v, "month")).all():
            out[col] = pd.to_datetime(s, errors="coerce")
            continue
        if pd.api.types.is_float_dtype(s) and ((non_null % 1) == 0).all():
            s = s.astype("Int64")  # 10023.0 from a spreadsheet is customer 10023
        elif s.dtype == object:
            s = s.map(lambda v: str(int(v)) if isinstance(v, float) and v.is_integer() else v)
        out[col] = s.astype("string").where(s.notna(), None)
    return pd.DataFrame(out, index=df.index)


def _sheet_header(raw: pd.DataFrame) -> int:
    """The position of a sheet's header row: the first row about as full as the fullest (titles above a
    table fill a cell or two), or the one above it when that row holds numbers or dates and the row
    above is text in at least half the columns: a header with blank cells (over a status or flag
    column) is less full than the rows it heads."""
    filled = raw.notna().sum(axis=1).to_numpy()
    pos = int((filled >= filled.max() * 0.8).argmax())
    if pos == 0 or filled[pos - 1] < max(2, filled.max() * 0.5):
        return pos

    def text(row: pd.Series) -> bool:
        return all(isinstance(v, str) for v in row.dropna())

    return pos - 1 if text(raw.iloc[pos - 1]) and not text(raw.iloc[pos]) else pos


def read_excel_bytes(data: bytes, *, name: str, sheet: str | int | None = None) -> RawTable:
    """Read the first non-empty sheet (or ``sheet``) of an .xlsx/.xls/.ods file."""
    try:
        book = pd.read_excel(io.BytesIO(data), engine="calamine", sheet_name=None if sheet is None else sheet,
                             header=None)
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ArboardError(f"This spreadsheet cannot be opened ({type(exc).__name__}: {exc}).", where=name) from exc
    if isinstance(book, pd.DataFrame):
        book = {sheet: book}
    sheet_name, raw = next(((k, v) for k, v in book.items() if not v.dropna(how="all").empty), (None, None))
    if raw is None:
        raise ArboardError("The spreadsheet has no data in any sheet.", where=name)
    raw = raw.dropna(how="all").dropna(axis=1, how="all")
    header_pos = _sheet_header(raw)
    header_row = raw.index[header_pos]
    header = _dedupe([str(v) if pd.notna(v) else "" for v in raw.loc[header_row]])
    body = raw.loc[raw.index > header_row]
    body.columns = header
    df = _stringify(body.reset_index(drop=True).infer_objects())
    notes = [f"sheet {sheet_name!r}"] + ([f"skipped {counted(header_pos, 'title row')}"] if header_pos else [])
    df = _group_headings(df, notes)
    # Blank rows were dropped: each row keeps its own sheet row number for the report.
    return RawTable(df, name, "excel", first_row=int(header_row) + 2, notes=notes,
                    lines=np.asarray(body.index, dtype=np.int64) + 1)


def read_parquet_bytes(data: bytes, *, name: str) -> RawTable:
    """Read a Parquet file."""
    try:
        df = pd.read_parquet(io.BytesIO(data))
    except Exception as exc:  # pyarrow raises several error types for damaged files
        raise ArboardError(f"This Parquet file cannot be read: {exc}", where=name) from exc
    df.columns = _dedupe([str(c) for c in df.columns])
    return RawTable(_stringify(df), name, "parquet", first_row=1)


def read_bytes(data: bytes, *, name: str, sheet: str | int | None = None) -> RawTable:
    """Read a file's content, choosing the reader from its first bytes.

    Raises
    ------
    ArboardError
        For empty, binary, damaged or mislabelled files, with the file name as ``where``.
    """
    if not data:
        raise ArboardError("The file is empty.", where=name)
    kind = next((k for magic, k in _MAGIC.items() if data.startswith(magic)), "text")
    suffix = Path(name).suffix.lower()
    if kind in ("zip", "xls"):
        if kind == "zip" and suffix not in (".xlsx", ".xlsm", ".ods", ".xls", ""):
            raise ArboardError("This is a ZIP archive, not a spreadsheet or CSV file.", where=name)
        table = read_excel_bytes(data, name=name, sheet=sheet)
    elif kind == "parquet":
        table = read_parquet_bytes(data, name=name)
    else:
        if suffix in (".xlsx", ".xlsm", ".xls", ".ods"):
            raise ArboardError(f"The file is named {suffix} but is not a spreadsheet (its content is text "
                               "or damaged). Export it again from Excel or save it as CSV.", where=name)
        if suffix == ".parquet":
            raise ArboardError("The file is named .parquet but is not a Parquet file.", where=name)
        table = read_csv_bytes(data, name=name)
    if table.df.empty:
        raise ArboardError("The file has a header but no data rows.", where=name)
    return table


def read_path(path: str | Path, *, sheet: str | int | None = None) -> RawTable:
    """Read a file from disk (see :func:`read_bytes`)."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except OSError as exc:
        raise ArboardError(f"The file cannot be opened: {exc.strerror or exc}", where=str(p)) from exc
    return read_bytes(data, name=p.name, sheet=sheet)


def read_sql(url: str, table_or_query: str) -> RawTable:
    """Read a table, or the result of a SELECT, from another database."""
    import sqlalchemy as sa

    from arboard.db import make_engine, redact

    engine = make_engine(url)
    text = table_or_query.strip().rstrip(";")
    is_query = bool(re.match(r"(?is)^\s*(select|with)\b", text))
    try:
        with engine.connect() as conn:  # never committed: a statement that writes is rolled back
            if conn.dialect.name == "postgresql":
                # And refused before it runs: a WITH can hold a DELETE (a data-modifying CTE).
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
            stmt = sa.text(text) if is_query else sa.select(sa.text("*")).select_from(sa.table(text))
            df = pd.read_sql(stmt, conn)
    except Exception as exc:  # driver errors differ per backend
        reason = driver_reason(exc)
        raise ArboardError(f"The query failed: {reason}", where=redact(url)) from exc
    finally:
        engine.dispose()
    if df.empty:
        raise ArboardError("The table or query returned no rows.", where=redact(url))
    df.columns = _dedupe([str(c) for c in df.columns])
    return RawTable(_stringify(df), f"{redact(url)} / {text[:80]}", "sql", first_row=1)
