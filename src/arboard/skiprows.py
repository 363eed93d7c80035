"""Lines of an export that are not ledger rows: blank and rule lines, repeated headers, group headings,
subtotals and totals.

ERP reports are written for people: SAP's line-item lists (FBL5N, in the "unconverted" list format)
frame the table in ``|`` and ``-`` lines, repeat the header after every page break and put a subtotal
line under each customer (``*``) and a grand total at the end (``**``); aging reports head each group
of rows with a line of its own (a customer, an aging band) and close it with a "Total for ..." line;
spreadsheet exports end with a "Total" row. Such a line has no document number, so the importer would
reject it, and one rejected line stops an import. They are recognised here, among the rejected rows
without a document date only (a clean ledger pays nothing), and skipped with a note instead. A line
counts as a total only when it has no document number and says so (a ``*`` or a word such as Total,
Summe, Somme, Totaal), carries nothing but amounts, or is the sum of its customer's rows right above
it; as a heading only when it holds one text and nothing else. Anything else without a number stays
rejected, with its row in the report.

A grand total at the end of the file is checked against the rows above it (:func:`total_checks`): an
export cut short by a filter or a page limit shows there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Labels of the kinds of line skipped, in the order the note names them.
KINDS = {"total": ("subtotal or total line", "subtotal or total lines"),
         "heading": ("group heading", "group headings"),
         "rule": ("rule line", "rule lines"),
         "header": ("repeated header", "repeated headers"),
         "blank": ("blank line", "blank lines")}
_RULE = r"[-=_+|~.:* ]*"  # the characters of a rule line ("-----", "|=====|", "+---+---+")
_TOTAL = re.compile(r"^\*|\b(?:sub-?\s?totals?|grand\s+totals?|totals?|totale[sn]?|totaal|subtotaal|sous-total|"
                    r"sum|summe|zwischensumme|gesamtsumme|gesamt|suma|somme|subtotale)\b", re.IGNORECASE)
_SUB = re.compile(r"\b(?:sub-?\s?total|subtotaal|sous-total|zwischensumme|subtotale)", re.IGNORECASE)
_SHOWN = 5  # line numbers named per kind in the note


@dataclass(frozen=True)
class Columns:
    """The file's columns that tell a ledger row from a line around it.

    ``ids`` holds the column mapped to the kind's id (the document number), ``sums`` the amount and
    currency columns a total line may carry alone, ``keys`` the customer columns a subtotal line names
    beside its sum.
    """

    ids: tuple[str, ...]
    sums: tuple[str, ...]
    keys: tuple[str, ...] = ()


def _text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as stripped text, '' for a missing one."""
    return frame.apply(lambda s: s.astype("string").str.strip().fillna(""))


def _adds_up(frame: pd.DataFrame, pos: int, key: str, amounts: pd.Series, skipped: set[int]) -> bool:
    """True when the amount at ``pos`` is the sum of the rows right above it with the same customer
    (a subtotal line without a ``*``, as spreadsheet exports of SAP's lists write them)."""
    said = amounts.iat[pos]
    if pd.isna(said):
        return False
    customer = str(frame[key].iat[pos]).strip()
    total, n, above = 0.0, 0, pos - 1
    while above >= 0 and above not in skipped and str(frame[key].iat[above]).strip() == customer:
        if pd.notna(amounts.iat[above]):
            total += float(amounts.iat[above])
        n, above = n + 1, above - 1
    return n > 0 and abs(total - said) <= 0.005 * n + 1e-9 * abs(said)


def classify(frame: pd.DataFrame, positions: np.ndarray, columns: Columns,
             amounts: pd.Series | None = None) -> dict[str, np.ndarray]:
    """Which of the rows at ``positions`` of ``frame`` (the file as read) are no ledger rows, by kind.

    Parameters
    ----------
    frame
        The file's rows as read (:attr:`arboard.readers.RawTable.df`).
    positions
        The rows to look at: those the import would reject that have no document date (a heading or
        a "Total" may stand in the date column, as in Xero's reports; a row with a date is a ledger row).
    columns
        The mapped columns that tell a ledger row (:class:`Columns`).
    amounts
        Each row's parsed amount, when the rows have one: a line with no number and no date that names
        a customer and a sum is a subtotal when the sum is that of the customer's rows right above it.

    Returns
    -------
    dict
        ``{kind: positions}`` for the kinds of :data:`KINDS` found (none: an empty dict).
    """
    if not len(positions):
        return {}
    cells = _text(frame.iloc[positions])
    filled = cells.ne("")
    blank = ~filled.any(axis=1)
    joined = cells.iloc[:, 0]
    for col in cells.columns[1:]:
        joined = joined + cells[col]
    rule = ~blank & joined.str.fullmatch(_RULE).fillna(False) & (joined.str.count(r"[-=_]") >= 3)
    names = pd.Series([str(c).strip().casefold() for c in frame.columns], index=cells.columns)
    same = cells.apply(lambda s: s.str.casefold().eq(names[s.name]))
    header = ~blank & (same.sum(axis=1) >= np.maximum(2, (filled.sum(axis=1) + 1) // 2))
    marks = cells.apply(lambda s: s.str.contains(_TOTAL))
    ids = list(columns.ids)
    # "Total" often stands where the document number would.
    no_number = (~(filled[ids] & ~marks[ids]).any(axis=1) if ids else pd.Series(False, index=cells.index))
    others = [c for c in cells.columns if c not in columns.sums]
    only_sums = filled[list(columns.sums)].any(axis=1) & ~filled[others].any(axis=1) if columns.sums else blank
    total = ~blank & ~rule & ~header & no_number & (marks.any(axis=1) | only_sums)
    # A group's title ("Current", "1 - 30 days past due", a customer's name above its items).
    heading = (~blank & ~rule & ~header & ~total & no_number & (filled.sum(axis=1) == 1)
               & ~(filled[list(columns.sums)].any(axis=1) if columns.sums else blank))
    if amounts is not None and columns.keys and columns.sums:
        keyed = [c for c in others if c not in columns.keys]
        maybe = ~blank & ~rule & ~header & ~total & ~heading & no_number & ~filled[keyed].any(axis=1)
        skipped = set(positions[(blank | rule | header | total | heading).to_numpy()].tolist())
        for i in np.flatnonzero(maybe.to_numpy()):
            if _adds_up(frame, int(positions[i]), columns.keys[0], amounts, skipped):
                total.iat[i] = True
    found = {"total": total, "heading": heading, "rule": rule, "header": header & ~rule, "blank": blank}
    return {k: positions[np.asarray(m, dtype=bool)] for k, m in found.items() if m.any()}


def note(found: dict[str, np.ndarray], lines: np.ndarray) -> str:
    """One sentence naming what was skipped and where (file lines, the first few of each kind)."""
    parts = []
    for kind, (one, many) in KINDS.items():
        pos = found.get(kind)
        if pos is None or not len(pos):
            continue
        at = ", ".join(str(int(n)) for n in lines[pos[:_SHOWN]]) + (", …" if len(pos) > _SHOWN else "")
        parts.append(f"{len(pos):,} {one if len(pos) == 1 else many} (line{'s' if len(pos) > 1 else ''} {at})")
    return "skipped " + ", ".join(parts) + ": the export's layout, not ledger rows"


def _stars(text: str) -> int:
    return len(text) - len(text.lstrip("*"))


def total_checks(frame: pd.DataFrame, totals: np.ndarray, ledger: np.ndarray, amounts: pd.Series,
                 currencies: pd.Series | None, lines: np.ndarray, *, what: str,
                 keys: tuple[str, ...] = (), column: str = "") -> tuple[list[str], list[str]]:
    """Check the grand total at the end of a file against the rows above it.

    The grand total is the total line after the last ledger row; of several there, the subtotals
    (Subtotal, Zwischensumme, fewer ``*``, a customer named) are left out, and the last one of each
    currency is checked against the rows of that currency (a total without a currency only when the
    file has one currency).

    Parameters
    ----------
    frame
        The file's rows as read (for the words and stars of each total line).
    totals, ledger
        Positions of the total lines and of the ledger rows (loaded or rejected).
    amounts, currencies
        Each row's parsed amount and currency (None: the file has no currency column).
    lines
        Each row's line number in the file.
    what
        The rows' name in the sentences, singular ("invoice", "payment").
    keys
        The customer columns: a line that names a customer is a subtotal.
    column
        The name of the column checked, for the sentences ("Amount in DC", "Open Balance").

    Returns
    -------
    (matched, differing)
        A sentence per total that matches its rows, and one per total that does not.
    """
    if not len(totals) or not len(ledger):
        return [], []
    trailing = totals[totals > ledger.max()]
    if not len(trailing):
        return [], []
    text = _text(frame.iloc[trailing]).apply(lambda row: " ".join(v for v in row if v), axis=1)
    stars = np.array([_stars(t) for t in text])
    keep = ~text.str.contains(_SUB).to_numpy() & (stars == stars.max())
    if keys:
        named = _text(frame.iloc[trailing][list(keys)]).apply(
            lambda s: s.ne("") & ~s.str.contains(_TOTAL)).any(axis=1).to_numpy()
        if (keep & ~named).any():
            keep &= ~named
    grand = trailing[keep]
    if currencies is not None:
        named = currencies.iloc[grand]
        # Of several in one currency, the last is the grand total ("Total for 1-30 days", then "TOTAL").
        grand = grand[~named.duplicated(keep="last").to_numpy()]
        if currencies.iloc[grand].isna().any() and currencies.iloc[ledger].dropna().nunique() > 1:
            return [], []  # a total without a currency over several: nothing to compare it with
    else:
        grand = grand[-1:]
    matched, differing = [], []
    for pos in grand:
        said = amounts.iat[pos]
        if pd.isna(said):
            continue
        cur = currencies.iat[pos] if currencies is not None else None
        rows = (ledger if cur is None or pd.isna(cur)
                else ledger[(currencies.iloc[ledger] == cur).fillna(False).to_numpy(dtype=bool)])
        added = float(amounts.iloc[rows].sum())
        unit = f" {cur}" if isinstance(cur, str) else ""
        label = f"“{column}” " if column and not _TOTAL.search(column) else ""  # not “Total” total
        head = f"the file's {label}total on line {int(lines[pos])} says {said:,.2f}{unit}"
        rows_are = (f"its {what}" if len(rows) == 1 else f"its {len(rows):,} {what}s") + (unit and f" in {cur}")
        adds = "add" if len(rows) > 1 else "adds"
        if abs(added - said) <= 0.01 + 1e-9 * abs(said):
            matched.append(f"{head}; {rows_are} {adds} up to the same")
        else:
            differing.append(f"{head}, but {rows_are} {adds} up to {added:,.2f}{unit} "
                             f"(a difference of {added - said:,.2f}{unit}): check that the export is complete "
                             "(a filter, a page limit) and that no row was rejected")
    return matched, differing
