"""From a raw table to validated ledger rows in the database, in one transaction.

The flow is the same on the Data page and in ``arboard import``:

1. :func:`plan_import` maps columns (a saved mapping for this layout, else suggestions), detects
   the date format of each date column and lists what still needs the user: missing required
   fields, ambiguous date columns.
2. :func:`normalise` parses every column, derives what is missing (due dates from terms,
   customers from invoices), validates with pandera and builds the row-level report.
3. :func:`run_import` writes it all in one transaction (upsert by id, or replace), remembers
   the mapping and bumps the data version. Any failure leaves the database as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import amounts, dates, disputes, disputestatus, events, schema, skiprows, store
from arboard.db import bump_data_version, get_meta, redact, set_meta
from arboard.errors import ArboardError, driver_reason
from arboard.fields import (
    DERIVED_COLUMNS,
    Field,
    field_map,
    fields_for,
    guess_kind,
    normalise_header,
    suggest_mapping,
)
from arboard.mapping import MappingSpec, load_saved, save_mapping
from arboard.readers import RawTable
from arboard.summary import REPORT_DATE_KEY, is_sample, last_report_date
from arboard.validation import REJECTED, REPORT_COLUMNS, SUSPICIOUS, formula_like, validate
from arboard.words import counted, first_few

Progress = Callable[[str, float], None]

_TRUE = {"yes", "y", "true", "t", "1", "x", "ja", "j", "oui", "si", "wahr", "vrai", "1.0", "disputed", "electronic",
         "paperless", "e-mail", "email", "digital"}
_FALSE = {"no", "n", "false", "f", "0", "nein", "non", "falsch", "faux", "0.0", "-", "paper", "print", "post"}
_ENUMS: dict[str, dict[str, str]] = {
    "channel": {
        **dict.fromkeys(["email", "e-mail", "mail", "e mail", "courriel", "correo"], "email"),
        **dict.fromkeys(["sms", "text", "text message", "texto", "whatsapp"], "sms"),
        **dict.fromkeys(["letter", "post", "brief", "courrier", "lettre", "carta", "paper"], "letter"),
        **dict.fromkeys(["phone", "call", "telephone", "tel", "anruf", "telefon", "appel", "llamada"], "phone"),
        **dict.fromkeys(["portal", "web", "pay link", "paylink", "self service", "online", "link"], "portal"),
    },
    "kind": {
        **dict.fromkeys(["reminder", "dunning", "mahnung", "relance", "email reminder", "sms reminder"], "reminder"),
        **dict.fromkeys(["call", "phone call", "anruf"], "call"),
        **dict.fromkeys(["letter", "brief", "lettre", "final notice"], "letter"),
        **dict.fromkeys(["promise_to_pay", "promise to pay", "ptp", "promise", "zahlungszusage"], "promise_to_pay"),
        **dict.fromkeys(["payment_plan", "payment plan", "ratenzahlung", "instalment plan",
                         "installment plan"], "payment_plan"),
        **dict.fromkeys(["dispute", "reklamation", "litige", "complaint"], "dispute"),
    },
    "outcome": {
        **dict.fromkeys(["no_response", "no response", "none", "no answer", "keine antwort", "ignored"], "no_response"),
        **dict.fromkeys(["responded", "response", "answered", "reply", "replied", "contacted"], "responded"),
        **dict.fromkeys(["promised", "promise", "ptp"], "promised"),
        **dict.fromkeys(["paid", "bezahlt", "payé", "paye", "pagado"], "paid"),
        **dict.fromkeys(["bounced", "bounce", "undeliverable", "returned", "failed"], "bounced"),
    },
    "ctype": {
        **dict.fromkeys(["b2b", "business", "company", "corporate", "firma", "gewerbe", "entreprise"], "B2B"),
        **dict.fromkeys(["b2c", "consumer", "private", "person", "individual", "privat", "particulier"], "B2C"),
    },
}
_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_EMPTY_REPORT = pd.DataFrame(columns=REPORT_COLUMNS)


@dataclass
class ImportPlan:
    """A mapping ready to apply, or the questions that must be answered first."""

    raw: RawTable
    spec: MappingSpec
    detections: dict[str, dates.DateDetection] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    ignored: dict[str, str] = field(default_factory=dict)
    from_saved: bool = False

    @property
    def ambiguous(self) -> dict[str, dates.DateDetection]:
        return {c: d for c, d in self.detections.items() if d.ambiguous and c not in self.spec.date_formats}

    @property
    def undetected(self) -> dict[str, dates.DateDetection]:
        return {c: d for c, d in self.detections.items()
                if d.format is None and not d.ambiguous and c not in self.spec.date_formats}

    @property
    def ready(self) -> bool:
        return not (self.missing or self.ambiguous or self.undetected)

    def problems(self) -> list[str]:
        """What the user must settle before the import can run, in plain words."""
        if not self.spec.columns:
            cols = ", ".join(self.raw.columns[:12])
            return [f"None of the columns ({cols}) was recognised as {self.spec.kind} data. Map the columns "
                    "on the Data page, or pass a mapping file (--mapping)."]
        out = [f"No column is mapped to the required field “{label}”." for label in self.missing]
        for col, det in self.ambiguous.items():
            out.append(f"Column “{col}”: {det.message}. Choose the date format.")
        for col, det in self.undetected.items():
            out.append(f"Column “{col}”: {det.message or 'no date format fits'}. Choose the format or unmap it.")
        return out


def plan_import(raw: RawTable, *, spec: MappingSpec | None = None, kind: str | None = None,
                saved: MappingSpec | None = None) -> ImportPlan:
    """Work out the mapping for a raw table.

    Parameters
    ----------
    raw
        The table as read.
    spec
        A mapping the user gave (it wins over everything else).
    kind
        The import kind, when the user chose it; otherwise guessed from the header.
    saved
        The mapping remembered for this layout, if any.
    """
    columns = raw.columns
    from_saved = spec is None and saved is not None
    if spec is None:
        spec = saved
    if spec is None:
        k = kind or guess_kind(columns)
        spec = MappingSpec(kind=k, columns=suggest_mapping(columns, k))
    unknown_cols = [c for c in spec.columns if c not in columns]
    if unknown_cols:
        raise ArboardError(f"The mapping names {counted(len(unknown_cols), 'column')} the file does not have: "
                           f"{', '.join(unknown_cols)}.",
                           where=raw.source)
    spec.columns = {c: f for c, f in spec.columns.items() if f}
    fmap = field_map(spec.kind)
    mapped_fields = set(spec.columns.values())
    dupes = sorted({f for f in spec.columns.values() if list(spec.columns.values()).count(f) > 1})
    if dupes:
        raise ArboardError(f"Several columns are mapped to the same field: {', '.join(dupes)}.", where=raw.source)
    missing = [f.label for f in fields_for(spec.kind) if f.required and f.name not in mapped_fields]
    detections = {}
    for col, fname in spec.columns.items():
        if fmap[fname].type == "date":
            det = dates.detect_format(raw.df[col])
            if col in spec.date_formats:
                det = dates.DateDetection(spec.date_formats[col], examples=det.examples)
            detections[col] = det
    # A file writes all its dates one way: settle ambiguous columns from unambiguous siblings.
    for col, fmt in dates.resolve_ambiguous(detections).items():
        detections[col] = dates.DateDetection(fmt, examples=detections[col].examples,
                                              message=f"same format as the file's other date columns ({fmt})")
    for col, det in detections.items():
        if det.format and col not in spec.date_formats:
            spec.date_formats[col] = det.format
    for col, det in list(detections.items()):
        if det.format is None and not det.ambiguous and raw.df[col].dropna().astype(str).str.strip().eq("").all():
            detections[col] = dates.DateDetection("YYYY-MM-DD", message="empty column")  # nothing to parse
            spec.date_formats[col] = "YYYY-MM-DD"
    ignored = {}
    for col in columns:
        if col in spec.columns:
            continue
        ignored[col] = ("derived by arboard from the dates" if normalise_header(col) in DERIVED_COLUMNS
                        else "no place for it in the data model")
    return ImportPlan(raw, spec, detections, missing, ignored, from_saved)


@dataclass
class Batch:
    """Normalised, validated rows ready to write, with the report."""

    kind: str
    tables: dict[str, pd.DataFrame]
    report: pd.DataFrame
    rows_read: int
    rejected_rows: int
    suspicious_rows: int
    rows: np.ndarray  # file row number of each parsed row; table indexes are positions into it
    notes: list[str] = field(default_factory=list)
    # Columns the file has nothing for, filled from a setting (currency, due date from the terms): the
    # rows it updates keep theirs, new rows take the setting.
    defaulted: frozenset[str] = frozenset()
    # What the user should look at before trusting the load (a file total its rows do not add up to).
    warnings: list[str] = field(default_factory=list)
    # Every id the file names, its rejected rows' too: what a list of open items lists.
    ids: pd.Series | None = None


class _Findings:
    """Collects report rows as arrays (positions, field, severity, reason, values)."""

    def __init__(self) -> None:
        self.parts: list[pd.DataFrame] = []

    def add(self, mask: pd.Series | np.ndarray, fld: str, severity: str, reason: str) -> None:
        pos = np.flatnonzero(np.asarray(mask, dtype=bool))
        if len(pos):
            self.parts.append(pd.DataFrame({"pos": pos, "field": fld, "severity": severity, "reason": reason}))

    def extend(self, frame: pd.DataFrame) -> None:
        if len(frame):
            self.parts.append(frame[["pos", "field", "severity", "reason"]])

    def frame(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame({"pos": pd.Series(dtype=int), "field": [], "severity": [], "reason": []})
        return pd.concat(self.parts, ignore_index=True)


_ID_FIELDS = frozenset({"invoice_id", "customer_id", "payment_id", "contact_id"})


def _clean_text(s: pd.Series, max_len: int, fld: str, findings: _Findings) -> pd.Series:
    # Arrow compute on the column as a whole: the ids of a million-row ledger pass through here.
    arr = pa.array(s.astype("string"), type=pa.large_string())
    if pc.any(pc.match_substring_regex(arr, _CONTROL)).as_py():  # rare: only then pay for the replacement
        arr = pc.replace_substring_regex(arr, _CONTROL, "")
    arr = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(arr, "")
    if pc.any(empty).as_py():
        arr = pc.if_else(empty, pa.scalar(None, arr.type), arr)
    lengths = pc.utf8_length(arr)
    too_long = None
    if (pc.max(lengths).as_py() or 0) > max_len:
        too_long = pc.fill_null(pc.greater(lengths, max_len), False).to_numpy(zero_copy_only=False)
    if fld in _ID_FIELDS:
        # Cutting an identifier could merge two invoices; a formula as an id is an attack, not a number.
        if too_long is not None:
            findings.add(too_long, fld, REJECTED, f"identifier longer than {max_len} characters")
        formula = pc.or_(pc.starts_with(arr, "="), pc.starts_with(arr, "@"))
        if pc.any(formula).as_py():
            findings.add(pc.fill_null(formula, False).to_numpy(zero_copy_only=False), fld, REJECTED,
                         "identifier looks like a spreadsheet formula")
    elif too_long is not None:
        findings.add(too_long, fld, SUSPICIOUS, f"text longer than {max_len} characters, cut")
        arr = pc.utf8_slice_codeunits(arr, 0, max_len)
    return pd.Series(pd.arrays.ArrowStringArray(arr), index=s.index)


def _parse_bool(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(s):
        return s.astype("boolean"), pd.Series(False, index=s.index)
    text = s.astype("string").str.strip().str.lower()
    out = pd.Series(pd.NA, index=s.index, dtype="boolean")
    out[text.isin(_TRUE).fillna(False).astype(bool)] = True
    out[text.isin(_FALSE).fillna(False).astype(bool)] = False
    bad = text.notna() & (text != "") & out.isna()
    return out, bad.fillna(False).astype(bool)


def _parse_enum(s: pd.Series, kind: str) -> tuple[pd.Series, pd.Series]:
    text = s.astype("string").str.strip().str.lower().str.replace("_", " ")
    table = {k.replace("_", " "): v for k, v in _ENUMS[kind].items()}
    out = text.map(table, na_action="ignore").astype("string")
    bad = text.notna() & (text != "") & out.isna()
    return out, bad.fillna(False).astype(bool)


def _string_length(table: sa.Table | None, name: str, default: int = 300) -> int:
    if table is not None and name in table.c and getattr(table.c[name].type, "length", None):
        return table.c[name].type.length
    return default


def _parse_columns(raw: RawTable, spec: MappingSpec, findings: _Findings, notes: list[str]) -> pd.DataFrame:
    fmap = field_map(spec.kind)
    own = schema.LEDGER_TABLES[spec.kind]
    out: dict[str, pd.Series] = {}
    for col, fname in spec.columns.items():
        fld: Field = fmap[fname]
        s = raw.df[col]
        serious = fld.required or fld.name in ("due_date", "paid_date", "amount", "promised_date")
        severity = REJECTED if serious else SUSPICIOUS
        if fld.type == "text":
            target = schema.customers if fld.table == "customers" else own
            out[fname] = _clean_text(s, _string_length(target, fname), fname, findings)
            continue
        if fld.type == "date":
            values, bad = dates.parse(s, spec.date_formats[col])
            reason = f"not a date in the format {spec.date_formats[col]}"
        elif fld.type == "amount":
            decimal = spec.decimal or amounts.detect_decimal(s, delimiter=raw.delimiter)
            values, bad = amounts.parse(s, decimal=decimal)
            reason = "not a number"
        elif fld.type in ("number", "int"):
            values, bad = amounts.parse_number(s)
            if fld.type == "int":
                frac = values.notna() & (values % 1 != 0)
                bad = bad | frac
                values = values.where(~frac)
            reason = "not a whole number" if fld.type == "int" else "not a number"
        elif fld.type == "bool":
            values, bad = _parse_bool(s)
            reason = "not a yes/no value"
        else:
            values, bad = _parse_enum(s, fld.type)
            reason = f"unknown value; expected one of {', '.join(sorted(set(_ENUMS[fld.type].values())))}"
        findings.add(bad, fname, severity, reason)
        out[fname] = values
    return pd.DataFrame(out, index=raw.df.index)


def _derive(df: pd.DataFrame, spec: MappingSpec, findings: _Findings, notes: list[str]) -> pd.DataFrame:
    if spec.kind == "payments" and "currency" in df:
        cur = df["currency"].str.upper()
        bad_cur = (cur.notna() & ~cur.str.fullmatch(r"[A-Z]{3}").fillna(False)).astype(bool)
        findings.add(bad_cur, "currency", SUSPICIOUS, "not an ISO currency code; the invoice's currency is used")
        df["currency"] = cur.mask(bad_cur)
    if spec.kind == "invoices":
        if "due_date" not in df:
            df["due_date"] = pd.Series(pd.NaT, index=df.index, dtype="datetime64[us]")
        missing_due = df["due_date"].isna() & df["invoice_date"].notna()
        if missing_due.any():
            terms = df["terms_days"] if "terms_days" in df else pd.Series(np.nan, index=df.index)
            used = terms.fillna(spec.default_terms_days)
            df.loc[missing_due, "due_date"] = df.loc[missing_due, "invoice_date"] + pd.to_timedelta(
                used[missing_due], unit="D")
            src = "the payment-terms column" if "terms_days" in df else f"{spec.default_terms_days}-day terms"
            notes.append(f"due date derived from {src} for {counted(int(missing_due.sum()), 'invoice')}")
        if "open_amount" in df:
            _check_open_amounts(df, findings)
        cur = df["currency"].str.upper() if "currency" in df else pd.Series(pd.NA, index=df.index, dtype="string")
        bad_cur = cur.notna() & ~cur.str.fullmatch(r"[A-Z]{3}").fillna(False)
        findings.add(bad_cur, "currency", SUSPICIOUS, f"not an ISO currency code; {spec.default_currency} used")
        df["currency"] = cur.mask(bad_cur).fillna(spec.default_currency)
        # A reason with no dispute flag in the file: the reason says the invoice is disputed. A file with
        # neither says nothing of disputes: the invoices it updates keep their flag (new ones are not disputed).
        if "disputed" in df or "dispute_reason" in df:
            flagged = df["dispute_reason"].notna() if "dispute_reason" in df else pd.Series(False, index=df.index)
            df["disputed"] = df.get("disputed", flagged).fillna(False)
    if "paperless" in df:
        channel = df["paperless"].map({True: "email", False: "letter"}).astype("string")
        df["preferred_channel"] = df["preferred_channel"].fillna(channel) if "preferred_channel" in df else channel
    return df


def _check_open_amounts(df: pd.DataFrame, findings: _Findings) -> None:
    """Keep the open amounts that say what part payments left: between nothing and the whole amount,
    on an invoice without a paid date. The others are reported and not used."""
    amount, still = df["amount"], df["open_amount"]
    given = still.notna() & amount.notna()
    outside = given & ((still < np.minimum(amount, 0) - 0.005) | (still > np.maximum(amount, 0) + 0.005))
    findings.add(outside, "open_amount", SUSPICIOUS, "open amount not between nothing and the invoice amount; not used")
    settled = given & ~outside & (still.abs() > 0.005)
    if "paid_date" in df:
        settled &= df["paid_date"].notna()
        findings.add(settled, "open_amount", SUSPICIOUS, "open amount on an invoice with a paid date; the paid date "
                                                         "counts")
    else:
        settled &= False
    df["open_amount"] = still.where(given & ~outside & ~settled)


def _duplicates(df: pd.DataFrame, pk: str, findings: _Findings, rows: np.ndarray) -> np.ndarray:
    """Flag repeated ids; return a mask of rows to drop as exact repeats."""
    drop = np.zeros(len(df), dtype=bool)
    ids = pa.array(df[pk])
    # Almost every file has unique ids: Arrow's hash set answers that in a third of factorize's time.
    if len(pc.unique(ids.drop_null())) == len(ids) - ids.null_count:
        return drop
    dup = df[pk].duplicated(keep=False) & df[pk].notna()
    sub = df[dup]
    content = sub.astype("string").fillna("\x00").apply(lambda r: "\x1f".join(r), axis=1)
    groups = pd.DataFrame({"id": sub[pk].to_numpy(), "content": content.to_numpy(),
                           "pos": np.flatnonzero(dup.to_numpy())})
    varying = groups.groupby("id")["content"].transform("nunique") > 1
    first_pos = groups.groupby("id")["pos"].transform("min")
    conflict = groups[varying]
    if len(conflict):
        row_lists = conflict.groupby("id")["pos"].apply(lambda p: ", ".join(str(rows[i]) for i in p))
        findings.extend(pd.DataFrame({
            "pos": conflict["pos"].to_numpy(), "field": pk, "severity": REJECTED,
            "reason": ["duplicate id with different content (rows " + row_lists[i] + ")" for i in conflict["id"]],
        }))
    repeat = groups[~varying & (groups["pos"] != first_pos)]
    if len(repeat):
        findings.extend(pd.DataFrame({
            "pos": repeat["pos"].to_numpy(), "field": pk, "severity": SUSPICIOUS,
            "reason": [f"exact repeat of row {rows[p]}; loaded once" for p in first_pos[repeat.index]],
        }))
        drop[repeat["pos"].to_numpy()] = True
    return drop


def normalise(plan: ImportPlan, *, today: date) -> Batch:
    """Parse, derive and validate every row of a planned import.

    Parameters
    ----------
    plan
        A ready plan (see :attr:`ImportPlan.ready`).
    today
        The import date; "in the future" checks are measured from it.
    """
    if not plan.ready:
        raise ArboardError(" ".join(plan.problems()), where=plan.raw.source)
    raw, spec = plan.raw, plan.spec
    kind = spec.kind
    pk = schema.PRIMARY_KEYS[kind]
    findings = _Findings()
    notes = list(raw.notes)
    df = _parse_columns(raw, spec, findings, notes).reset_index(drop=True)
    defaulted = frozenset(c for c, needs in (("currency", ("currency",)), ("due_date", ("due_date", "terms_days")))
                          if kind == "invoices" and not set(needs) & set(df.columns))
    df = _derive(df, spec, findings, notes)
    findings.extend(validate(df, kind=kind, today=today))
    # Identifiers that start like a formula were rejected while parsing; free text is flagged here.
    for name in [n for n in df.columns if n in ("name", "email", "phone", "dispute_reason", "note")]:
        findings.add(formula_like(df[name]), name, SUSPICIOUS,
                     "starts like a spreadsheet formula; stored as text and neutralised in exports")
    rows = raw.lines if raw.lines is not None else raw.first_row + np.arange(len(df))
    drop_repeats = _duplicates(df[[c for c in df.columns if c in schema.LEDGER_TABLES[kind].c]], pk, findings, rows)

    found = findings.frame()
    rejected_mask = np.zeros(len(df), dtype=bool)
    rejected_mask[found.loc[found["severity"] == REJECTED, "pos"].to_numpy(dtype=int)] = True
    warnings: list[str] = []
    layout = _layout_rows(raw, spec, df, np.flatnonzero(rejected_mask), rows, notes, warnings)
    if layout.any():
        found = found[~layout[found["pos"].to_numpy(dtype=int)]]
        rejected_mask &= ~layout
    suspicious_pos = set(found.loc[found["severity"] == SUSPICIOUS, "pos"].tolist())
    report = _report(found, raw, spec, rows)

    keep = ~(rejected_mask | drop_repeats | layout)
    kept = df if keep.all() else df[keep]
    own = schema.LEDGER_TABLES[kind]
    tables = {kind: kept[[c.name for c in own.columns if c.name in kept.columns]]}
    if "open_amount" in kept and kept["open_amount"].notna().any():
        tables["open_amounts"] = kept.loc[kept["open_amount"].notna(), ["invoice_id", "open_amount"]]
    if kind != "customers":
        attr_cols = [c.name for c in schema.customers.columns if c.name in kept.columns and c.name != "customer_id"]
        customers = kept[["customer_id", *attr_cols]].drop_duplicates("customer_id", keep="last")
        tables["customers"] = customers
    return Batch(kind, tables, report, len(df) - int(layout.sum()), int(rejected_mask.sum()),
                 len(suspicious_pos - set(np.flatnonzero(rejected_mask))), rows, notes, defaulted, warnings,
                 df.loc[~layout, pk].dropna())


# The field that dates each kind's rows: a total line has none.
_DOCUMENT_DATE = {"invoices": "invoice_date", "payments": "payment_date", "contacts": "contact_date"}


def _layout_rows(raw: RawTable, spec: MappingSpec, df: pd.DataFrame, rejected: np.ndarray, rows: np.ndarray,
                 notes: list[str], warnings: list[str]) -> np.ndarray:
    """A mask of the rejected rows that are the export's layout (:mod:`arboard.skiprows`: blank and rule
    lines, repeated headers, subtotals and totals), to skip rather than reject; says so in ``notes`` and
    checks a grand total at the end against the rows above it."""
    layout = np.zeros(len(df), dtype=bool)
    dated = _DOCUMENT_DATE.get(spec.kind)
    if dated in df:  # a line with a document date is a ledger row, however broken
        rejected = rejected[df[dated].isna().to_numpy()[rejected]]
    if not len(rejected):
        return layout
    by_field: dict[str, list[str]] = {}
    for col, fname in spec.columns.items():
        by_field.setdefault(fname, []).append(col)
    pk = schema.PRIMARY_KEYS[spec.kind]
    columns = skiprows.Columns(ids=tuple(by_field.get(pk, [])),
                               sums=tuple(by_field.get("amount", []) + by_field.get("currency", [])),
                               keys=tuple(by_field.get("customer_id", []) + by_field.get("name", [])))
    found = skiprows.classify(raw.df, rejected, columns, df.get("amount"))
    if not found:
        return layout
    for pos in found.values():
        layout[pos] = True
    notes.append(skiprows.note(found, rows))
    if "total" in found and "amount" in df:
        cur_col = by_field.get("currency", [None])[0]
        currencies = None
        if cur_col is not None:
            currencies = raw.df[cur_col].astype("string").str.strip().str.upper()
            currencies = currencies.where(currencies.str.fullmatch(r"[A-Z]{3}").fillna(False).astype(bool))
        checked = {"amount": by_field["amount"][0]}
        if "open_amount" in df:  # an aging report totals the open balance too
            checked["open_amount"] = by_field["open_amount"][0]
        for name, column in checked.items():
            matched, differing = skiprows.total_checks(raw.df, found["total"], np.flatnonzero(~layout), df[name],
                                                       currencies, rows, what=spec.kind[:-1], keys=columns.keys,
                                                       column=column)
            notes.extend(matched)
            warnings.extend(differing)
    return layout


def _report(found: pd.DataFrame, raw: RawTable, spec: MappingSpec, rows: np.ndarray) -> pd.DataFrame:
    if found.empty:
        return _EMPTY_REPORT.copy()
    by_field = {f: c for c, f in spec.columns.items()}
    labels = field_map(spec.kind)
    pos = found["pos"].to_numpy(dtype=int)
    values = []
    for fld, p in zip(found["field"], pos, strict=True):
        col = by_field.get(fld)
        v = raw.df[col].iat[p] if col is not None else None
        values.append("" if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else str(v)[:200])
    report = pd.DataFrame({
        "row": rows[pos],
        "column": [by_field.get(f) or f"({labels[f].label if f in labels else f}, derived)" for f in found["field"]],
        "value": values,
        "severity": found["severity"].to_numpy(),
        "reason": found["reason"].to_numpy(),
    })
    return report.sort_values(["row", "severity"], kind="stable").reset_index(drop=True)


def _present(conn: sa.Connection, column: sa.Column, values: pd.Series) -> set[str]:
    """Which of ``values`` the database holds in ``column``: one join with the staged values, not a
    read of the whole column (ten million invoice numbers on a large ledger)."""
    wanted = pd.DataFrame({column.name: values.dropna().unique()})
    if wanted.empty:
        return set()
    staged = store.stage(conn, column.table, wanted)
    try:
        s = staged.table
        return set(conn.execute(sa.select(s.c[column.name]).join(column.table, column == s.c[column.name])).scalars())
    finally:
        staged.drop()


def _reference_checks(engine: Engine, batch: Batch, spec: MappingSpec) -> None:
    """Flag rows pointing at customers or invoices the database does not know."""
    main = batch.tables[batch.kind]
    if main.empty:
        return
    extra = []
    with engine.connect() as conn:
        known_customers = conn.execute(sa.select(sa.func.count()).select_from(schema.customers)).scalar_one()
        if known_customers and (batch.kind in ("payments", "contacts") or "name" not in spec.columns.values()):
            unknown = ~main["customer_id"].isin(_present(conn, schema.customers.c.customer_id, main["customer_id"]))
            if unknown.any():
                extra.append((unknown, "customer_id", "unknown customer; a customer record is created"))
        if batch.kind in ("payments", "contacts") and "invoice_id" in main:
            inv = _present(conn, schema.invoices.c.invoice_id, main["invoice_id"])
            unknown_inv = main["invoice_id"].notna() & ~main["invoice_id"].isin(inv)
            if unknown_inv.any():
                extra.append((unknown_inv, "invoice_id", "unknown invoice number"))
    if not extra:
        return
    rows_frame = []
    by_field = {f: c for c, f in spec.columns.items()}
    for mask, fld, reason in extra:
        idx = np.flatnonzero(mask.to_numpy())
        rows_frame.append(pd.DataFrame({
            "row": batch.rows[main.index[idx]],
            "column": by_field.get(fld, fld),
            "value": main[fld].iloc[idx].astype(str).to_numpy(),
            "severity": SUSPICIOUS, "reason": reason,
        }))
    batch.report = pd.concat([batch.report, *rows_frame], ignore_index=True).sort_values("row", kind="stable")
    batch.suspicious_rows += sum(int(m.sum()) for m, _, _ in extra)


def check_import(engine: Engine, raw: RawTable, *, spec: MappingSpec | None = None, kind: str | None = None,
                 today: date) -> tuple[ImportPlan, Batch]:
    """Plan, parse and validate an import without writing anything (a dry run).

    The mapping is ``spec`` when given, else the one saved for this layout, else suggestions.

    Raises
    ------
    ArboardError
        When the mapping is incomplete or a date column needs a format.
    """
    plan = plan_import(raw, spec=spec, kind=kind, saved=None if spec else load_saved(engine, raw.columns))
    if not plan.ready:
        raise ArboardError(" ".join(plan.problems()), where=raw.source)
    batch = normalise(plan, today=today)
    _reference_checks(engine, batch, plan.spec)
    return plan, batch


def _stage(conn: sa.Connection, batch: Batch, default_currency: str, staged: dict[str, store.Staged]) -> None:
    """Stage the batch's tables into ``staged``; payments without a currency take their invoice's,
    else the default. A payments file without invoice numbers (a bank statement) is all on account."""
    for name, frame in batch.tables.items():
        for column in ("currency", "invoice_id"):
            if name == "payments" and column not in frame:
                frame = frame.assign(**{column: pd.Series(pd.NA, index=frame.index, dtype="string")})
        staged[name] = store.stage(conn, schema.LEDGER_TABLES.get(name, schema.open_amounts), frame)
    if "payments" in staged:
        st, inv = staged["payments"].table, schema.invoices
        conn.execute(sa.update(st).where(st.c.currency.is_(None), st.c.invoice_id == inv.c.invoice_id)
                     .values(currency=inv.c.currency))
        conn.execute(sa.update(st).where(st.c.currency.is_(None)).values(currency=default_currency))


def _drop(conn: sa.Connection, staged: dict[str, store.Staged]) -> None:
    if not staged or conn.invalidated:
        return
    try:
        with conn.begin():
            for s in staged.values():
                s.drop()
    except sa.exc.SQLAlchemyError:
        pass  # the connection is gone, and its temporary tables with it; keep the error that got us here


# How an import writes: upsert, replace the table, or upsert a list of open items (invoices it
# leaves out were settled by its date).
MODES = ("append", "replace", "open-items")
_MIXED = (": the figures mix the sample with your data. Remove the sample (Data page, or arboard remove-sample) "
          "and import your files again to see your own ledger alone")
SAMPLE_WARNING = "the database held the sample ledger, and these rows were added to it" + _MIXED


def sample_warning(kind: str, mode: str) -> str:
    """What to say when an import writes into the sample ledger: a replace takes the place of one table
    of it only (:data:`SAMPLE_WARNING` for the others)."""
    if mode != "replace":
        return SAMPLE_WARNING
    return (f"the database held the sample ledger: these rows replace its {kind}, and the rest of the sample stays "
            "beside them" + _MIXED)


def dated_by_report(batch: Batch, mode: str) -> bool:
    """True when an import of ``batch`` in ``mode`` takes what was paid from a report of one date: a list
    of open items, or an invoices file with open amounts."""
    amounts = batch.tables.get("open_amounts")
    return batch.kind == "invoices" and (mode == "open-items" or (amounts is not None and not amounts.empty))


def report_out_of_order(connectable: Engine | sa.Connection, batch: Batch, mode: str, on: date) -> str | None:
    """Why a report of date ``on`` cannot be loaded after the last one, or None when it can.

    A report takes the day's open balances as what is open now: one older than the last loaded would
    take back the payments recorded since and open again what was settled. Replacing the invoices
    starts again from it, so that is allowed.
    """
    if mode == "replace" or not dated_by_report(batch, mode):
        return None
    if isinstance(connectable, sa.Connection):
        last = last_report_date(connectable)
    else:
        with connectable.connect() as conn:
            last = last_report_date(conn)
    if last is None or on >= last:
        return None
    return (f"The report date {on.isoformat()} is before that of the last report loaded, {last.isoformat()}. "
            "Loading it now would take back the payments recorded since and open again what was settled. Load "
            "reports in date order (the next one dated on or after "
            f"{last.isoformat()}), or replace the invoices to start again from this report.")


# Appends up to this share of a ledger of at least this many invoices, touching at most this share of
# its customers, refresh the derived rows of those customers only; otherwise a full rebuild is as fast
# (benchmarks/bench_append.py).
INCREMENTAL_SHARE = 0.25
INCREMENTAL_MIN_LEDGER = 1_000_000
INCREMENTAL_CUSTOMER_SHARE = 0.2


def _affected_customers(kind: str, staged: store.Staged) -> sa.Select | None:
    """Customers whose balance events an upsert of ``staged`` can change (None: not an events source).

    Besides the rows' own customers: the customers of rows being replaced, and for invoices the
    payers of payments that referred to them (an unapplied payment becomes a partial one); for
    payments the customers of the invoices they refer to, before and after.
    """
    s, i, p = staged.table, schema.invoices, schema.payments
    if kind == "invoices":
        new_ids = sa.select(s.c.invoice_id)
        return sa.union_all(sa.select(s.c.customer_id), sa.select(i.c.customer_id).where(i.c.invoice_id.in_(new_ids)),
                            sa.select(p.c.customer_id).where(p.c.invoice_id.in_(new_ids)))
    if kind == "payments":
        replaced = p.c.payment_id.in_(sa.select(s.c.payment_id))
        parts = [sa.select(s.c.customer_id), sa.select(p.c.customer_id).where(replaced),
                 sa.select(i.c.customer_id).where(i.c.invoice_id.in_(sa.select(p.c.invoice_id).where(replaced)))]
        if "invoice_id" in staged.columns:
            parts.append(sa.select(i.c.customer_id).where(i.c.invoice_id.in_(sa.select(s.c.invoice_id))))
        return sa.union_all(*parts)
    return None


def _write(conn: sa.Connection, batch: Batch, staged: dict[str, store.Staged], mode: str,
           today: date, open_on: date) -> tuple[int, int, int]:
    """Upsert (or replace) the staged rows and recompute the derived tables they affect.

    Into an empty table (or replacing it) the derived tables are computed first, from the table
    as it will be (:func:`arboard.store.as_written`), so that DuckDB reads the stage rather than
    rows written in the open transaction. Into a ledger, the rows are written first and the derived
    tables recomputed from the tables: only for the customers the rows touch when they are at most
    :data:`INCREMENTAL_SHARE` of a ledger of :data:`INCREMENTAL_MIN_LEDGER` invoices or more and touch
    at most :data:`INCREMENTAL_CUSTOMER_SHARE` of its customers.

    An invoices file's open amounts become payments dated ``open_on`` (:func:`_open_amount_payments`;
    a replace drops those of the last file first); in open-items mode the invoices it lists that an
    earlier list settled open again, and those it leaves out are settled on ``open_on``.

    Returns (inserted, updated, customers added).
    """
    kind = batch.kind
    table = schema.LEDGER_TABLES[kind]
    derived = events.affected_by(kind, "customers")
    customers_added = 0
    if kind != "customers":
        customers_added, _ = store.upsert_staged(conn, staged["customers"], on_conflict="fill")
    main = staged[kind]
    if kind == "invoices":  # disputes raised or resolved in arboard outlast a file that has not heard of them
        batch.notes.extend(disputestatus.apply_to_import(conn, main.table, today=today))
    if mode == "open-items":
        _reopen_listed(conn, main)  # before the refresh below, which covers the customers listed
    reopened = _reopen_derived(conn, kind, main, mode)  # before anything reads the invoices' paid dates
    if kind == "payments" and mode == "append" and "invoice_id" in main.columns:
        batch.notes.extend(_payments_replace_open_amounts(conn, main))
    elif kind == "invoices" and mode == "replace":  # before the derived tables: the payments they read change
        pay = schema.payments
        conn.execute(sa.delete(pay).where(pay.c.payment_id.startswith(schema.OPEN_AMOUNT_PREFIX)))
        batch.notes.extend(_payments_left_on_account(conn, main))
    empty = _no_rows(conn, table)
    if mode == "replace" or empty:
        events.rebuild(conn, sources={kind: store.as_written(main)}, tables=derived)
        if mode == "replace":
            gone = sa.delete(table)
            if kind == "contacts":  # those logged in arboard are in no file: replacing keeps them
                gone = gone.where(~table.c.contact_id.startswith(schema.LOGGED_CONTACT_PREFIX))
            conn.execute(gone)
        inserted, updated = store.upsert_staged(conn, main)
    else:
        ids = _remember_affected(conn, kind, main)  # before the write: it changes whose rows they were
        inserted, updated = store.upsert_staged(conn, main, keep=batch.defaulted)
        if updated and batch.defaulted:
            words = " and ".join({"currency": "currency", "due_date": "due date"}[c] for c in sorted(batch.defaulted))
            kept = counted(updated, "invoice it updates keeps its own", "invoices it updates keep theirs")
            batch.notes.append(f"The file has no {words} column: {kept}; new ones take the setting.")
        events.rebuild(conn, tables=derived, only_customers=None if ids is None else sa.select(ids.c.customer_id))
        if ids is not None:
            ids.drop(conn)
    if "open_amounts" in staged:
        _open_amount_payments(conn, staged["open_amounts"], on=open_on, notes=batch.notes)
    if mode == "open-items":
        # A rejected row still lists its invoice as open: only what the file leaves out is settled.
        listed = main if not batch.rejected_rows else store.stage(conn, schema.invoices,
                                                                  batch.ids.to_frame("invoice_id"))
        batch.notes.extend(_settle_unlisted(conn, listed, on=open_on))
        if listed is not main:
            listed.drop()
    settled = _settle_from_payments(conn, kind, main, reopened)
    if settled is not None:
        # A paid date changes the balance events, as a payment does; not the sales.
        events.rebuild(conn, tables=events.affected_by("payments"),
                       only_customers=sa.select(settled.c.customer_id).distinct())
    batch.notes.extend(_settling_notes(conn, settled, reopened))
    if mode == "open-items":
        batch.notes.extend(_listed_but_settled(conn, main, on=open_on))
    for temp in (settled, reopened):
        if temp is not None:
            temp.drop(conn)
    return inserted, updated, inserted if kind == "customers" else customers_added


def _open_amount_payments(conn: sa.Connection, staged: store.Staged, *, on: date, notes: list[str]) -> None:
    """Record what the file's open amounts say was paid: for each invoice without a paid date, a payment
    of the part its payments so far do not explain, dated ``on`` (the date of the balances; an invoice
    issued later is paid on its own date). A later file's open amounts add the payments since.
    Refreshes the balance events of the debtors paid and says what it did in ``notes``.
    """
    inv, pay, ob = schema.invoices, schema.payments, staged.table
    so_far = (sa.select(pay.c.invoice_id, sa.func.sum(pay.c.amount).label("paid"))
              .where(pay.c.invoice_id.in_(sa.select(ob.c.invoice_id))).group_by(pay.c.invoice_id).subquery())
    owed = inv.c.amount - ob.c.open_amount - sa.func.coalesce(so_far.c.paid, 0)
    ids = f"{schema.OPEN_AMOUNT_PREFIX}{uuid.uuid4().hex[:12]}-"
    rows = (sa.select(sa.literal(ids, sa.String) + sa.cast(sa.func.row_number().over(order_by=inv.c.invoice_id),
                                                           sa.String),
                      inv.c.invoice_id, inv.c.customer_id,
                      sa.func.greatest(sa.cast(sa.literal(on), sa.Date), inv.c.invoice_date), owed,
                      sa.literal(schema.OPEN_AMOUNT_METHOD, sa.String), inv.c.currency)
            .join_from(ob, inv, inv.c.invoice_id == ob.c.invoice_id)
            .outerjoin(so_far, so_far.c.invoice_id == inv.c.invoice_id)
            .where(inv.c.paid_date.is_(None), sa.func.abs(owed) >= 0.005))
    conn.execute(sa.insert(pay).from_select(
        ["payment_id", "invoice_id", "customer_id", "payment_date", "amount", "method", "currency"], rows))
    mine = pay.c.payment_id.startswith(ids)
    # PostgreSQL's rowcount is -1 here. More open than the payments leave: a payment taken back.
    recorded, back = conn.execute(
        sa.select(sa.func.count(), sa.func.count().filter((pay.c.amount < 0) != (inv.c.amount < 0)))
        .select_from(pay.join(inv, inv.c.invoice_id == pay.c.invoice_id)).where(mine)).one()
    if not recorded:
        return
    events.rebuild(conn, tables=events.affected_by("payments"), only_customers=sa.select(pay.c.customer_id).where(mine))
    them = "it" if recorded == 1 else "them"
    notes.append(f"{counted(recorded, 'invoice has', 'invoices have')} an open amount the payments loaded do not "
                 f"explain: the difference is recorded as a payment on {on.isoformat()} (method "
                 f"“{schema.OPEN_AMOUNT_METHOD}”), so earlier as-of dates show {them} open in full. A payments file "
                 f"for {them} takes its place."
                 + ((" The file says more is open than the payments leave" if recorded == 1
                    else f" For {'all of them' if back == recorded else f'{back:,} of them'} the file says more is "
                    "open than the payments leave")
                   + ": the difference is a payment taken back (a reversed payment, or a file that knows of fewer "
                     "payments)." if back else ""))


def _reopen_listed(conn: sa.Connection, staged: store.Staged) -> None:
    """Open again the invoices an open-items file lists that an earlier one had settled by leaving
    them out (:func:`_settle_unlisted`), unless this file gives them a paid date."""
    inv, s = schema.invoices, staged.table
    listed = sa.select(s.c.invoice_id)
    if "paid_date" in staged.columns:
        listed = listed.where(s.c.paid_date.is_(None))
    conn.execute(sa.update(inv).where(inv.c.paid_from_open_items.is_(True), inv.c.invoice_id.in_(listed))
                 .values(paid_date=None, paid_from_open_items=None))


def _listed_but_settled(conn: sa.Connection, staged: store.Staged, *, on: date) -> list[str]:
    """The import's note on invoices an open-items file lists that stay settled by its date ``on``.

    An invoices file gave their paid date, or their payments cover them (and the file has no open
    amount that says otherwise). Those name a day, which a list of what is open does not undo; the
    difference is worth a look all the same (a reversed payment, an invoice reopened in the ERP).
    """
    if "paid_date" in staged.columns:
        return []  # its blank paid dates opened them when it was written
    inv = schema.invoices
    n = conn.execute(sa.select(sa.func.count()).select_from(inv).where(
        inv.c.invoice_id.in_(sa.select(staged.table.c.invoice_id)), inv.c.paid_date <= on)).scalar_one()
    return [f"{counted(n, 'invoice on this list of open items was', 'invoices on this list of open items were')} "
            f"settled by {on.isoformat()} according to what was loaded before (a paid date in an invoices file, "
            f"or payments that cover {'it' if n == 1 else 'them'}): {'it stays' if n == 1 else 'they stay'} "
            "settled. If the ERP reopened an invoice, load its payments, or the invoice with its paid date "
            "as it is now."] if n else []


def _unlisted(staged_ids: sa.Select, on: date) -> sa.ColumnElement:
    """The invoices open in arboard as of ``on`` that a list of open items (``staged_ids``) leaves out."""
    inv = schema.invoices
    return sa.and_(inv.c.paid_date.is_(None), inv.c.invoice_date <= on, inv.c.invoice_id.not_in(staged_ids))


def _settle_unlisted(conn: sa.Connection, staged: store.Staged, *, on: date) -> list[str]:
    """Settle on ``on`` the invoices open in arboard that the open-items file (of that date) does not
    list: they were paid, credited or written off by then. Refreshes their debtors' balance events;
    returns the import's note."""
    inv, s = schema.invoices, staged.table
    gone = _unlisted(sa.select(s.c.invoice_id), on)
    found = store.temp_table(conn, "unlisted", sa.Column("invoice_id", sa.String), sa.Column("customer_id", sa.String))
    conn.execute(sa.insert(found).from_select(["invoice_id", "customer_id"],
                                              sa.select(inv.c.invoice_id, inv.c.customer_id).where(gone)))
    n = conn.execute(sa.select(sa.func.count()).select_from(found)).scalar_one()
    if n:
        conn.execute(sa.update(inv).where(inv.c.invoice_id.in_(sa.select(found.c.invoice_id)))
                     .values(paid_date=on, paid_from_open_items=True))
        events.rebuild(conn, tables=events.affected_by("payments"),
                       only_customers=sa.select(found.c.customer_id).distinct())
    found.drop(conn)
    return [f"{counted(n, 'invoice')} open in arboard {'is' if n == 1 else 'are'} not on this list of open items: "
            f"settled on {on.isoformat()}, "
            "the list's date (paid, credited or written off by then)."] if n else []


@dataclass(frozen=True)
class Unlisted:
    """What an open-items import would settle: ``settles`` of the ``open`` invoices open in arboard."""

    settles: int
    open: int

    @property
    def most(self) -> bool:
        """More than half of them: the list is likely cut short (one company, currency, collector)."""
        return self.open > 0 and self.settles > self.open / 2


def unlisted_count(engine: Engine, batch: Batch, *, on: date) -> Unlisted:
    """For a check before an open-items import: how many invoices open in arboard as of ``on`` the
    batch does not list (they would be settled), and how many are open in all."""
    inv = schema.invoices
    with engine.connect() as conn:
        open_ = conn.execute(sa.select(sa.func.count()).where(inv.c.paid_date.is_(None),
                                                              inv.c.invoice_date <= on)).scalar_one()
        if not open_:
            return Unlisted(0, 0)
        staged = store.stage(conn, schema.invoices, batch.ids.to_frame("invoice_id"))
        try:
            n = conn.execute(sa.select(sa.func.count()).where(
                _unlisted(sa.select(staged.table.c.invoice_id), on))).scalar_one()
        finally:
            staged.drop()
    return Unlisted(int(n), int(open_))


def _payments_replace_open_amounts(conn: sa.Connection, staged: store.Staged) -> list[str]:
    """Remove the payments recorded from an invoices file's open amounts (:func:`_open_amount_payments`)
    of the invoices the staged payments apply to: the real payments take their place."""
    pay, s = schema.payments, staged.table
    gone = conn.execute(sa.delete(pay).where(pay.c.payment_id.startswith(schema.OPEN_AMOUNT_PREFIX),
                                             pay.c.invoice_id.in_(sa.select(s.c.invoice_id)))).rowcount
    return [f"{counted(gone, 'payment')} recorded from an invoices file's open amounts gave way to the payments "
            "loaded for the same invoices."] if gone else []


def _unmarked_note(engine: Engine, today: date) -> list[str]:
    """What a contacts log says of disputes the invoices file does not flag (:func:`arboard.disputes.unmarked`)."""
    try:
        n = len(disputes.unmarked(engine, today))
    except sa.exc.SQLAlchemyError:
        return []  # the import is written; a note it cannot make must not report it as failed
    return [f"Reminders still list {counted(n, 'open invoice that has', 'open invoices that have')} a dispute "
            "contact in the log but no dispute flag in the invoices file: mark those still in dispute on the "
            "Disputes page (or with arboard mark-disputed)."] if n else []


def _reopen_derived(conn: sa.Connection, kind: str, staged: store.Staged, mode: str) -> sa.Table | None:
    """Withdraw the paid dates arboard derived from payments (:func:`_settle_from_payments`) that this
    import may change: those of the invoices it loads, and, for payments, of the invoices the staged
    payments name or named before (every one when the payments are replaced).

    A reversed direct debit or a payment re-applied to another invoice would otherwise leave an
    invoice settled that nothing pays. The settling that follows derives the dates again from the
    payments as they then are. Returns a temporary table ``invoice_id, customer_id, was`` (the
    withdrawn date), or None when no such date is affected.
    """
    if kind not in ("invoices", "payments"):
        return None
    inv, pay, s = schema.invoices, schema.payments, staged.table
    derived = inv.c.paid_from_payments.is_(True)
    if _no_rows(conn, inv, derived):
        return None
    if kind == "invoices":
        hit = inv.c.invoice_id.in_(sa.select(s.c.invoice_id))
    elif mode == "replace":
        hit = sa.true()
    else:
        named = [sa.select(pay.c.invoice_id).where(pay.c.payment_id.in_(sa.select(s.c.payment_id)))]
        if "invoice_id" in staged.columns:
            named.append(sa.select(s.c.invoice_id))
        hit = inv.c.invoice_id.in_(sa.union_all(*named))
    reopened = store.temp_table(conn, "reopened", sa.Column("invoice_id", sa.String),
                                sa.Column("customer_id", sa.String), sa.Column("was", sa.Date))
    conn.execute(sa.insert(reopened).from_select(["invoice_id", "customer_id", "was"],
                                                 sa.select(inv.c.invoice_id, inv.c.customer_id, inv.c.paid_date)
                                                 .where(derived, hit)))
    if _no_rows(conn, reopened):
        reopened.drop(conn)
        return None
    conn.execute(sa.update(inv).where(inv.c.invoice_id.in_(sa.select(reopened.c.invoice_id)))
                 .values(paid_date=None, paid_from_payments=None))
    return reopened


def left_on_account(engine: Engine, batch: Batch) -> list[str]:
    """For a check before the invoices are replaced by ``batch``: which payments loaded it would leave
    applied to invoices the ledger no longer holds (:func:`_payments_left_on_account`, in the conditional)."""
    with engine.connect() as conn:
        staged = store.stage(conn, schema.invoices, batch.ids.to_frame("invoice_id"))
        try:
            return _payments_left_on_account(conn, staged, done=False)
        finally:
            staged.drop()


def _payments_left_on_account(conn: sa.Connection, staged: store.Staged, *, done: bool = True) -> list[str]:
    """Before the invoices are replaced: the payments loaded that are applied to an invoice the import does
    not write (not in the file, or rejected), in words (``done``: as the import's note, else as a check's).
    They stay (payments come from their own file) and count as cash on account from then on: worth saying,
    as a file of open items replacing a whole ledger puts the cash of every paid invoice on account."""
    pay, inv, new = schema.payments, schema.invoices, staged.table
    gone = (sa.select(pay.c.invoice_id)
            .select_from(pay.join(inv, inv.c.invoice_id == pay.c.invoice_id)
                         .outerjoin(new, new.c.invoice_id == pay.c.invoice_id))
            # What an invoices file's open amounts recorded goes with the invoices it replaces.
            .where(new.c.invoice_id.is_(None), ~pay.c.payment_id.startswith(schema.OPEN_AMOUNT_PREFIX)).subquery())
    # One pass over the anti-join: per invoice, then the totals beside the first three (2.7 s each at 10M).
    per = sa.select(gone.c.invoice_id, sa.func.count().label("n")).group_by(gone.c.invoice_id).subquery()
    rows = conn.execute(sa.select(per.c.invoice_id, sa.func.sum(per.c.n).over(), sa.func.count().over())
                        .order_by(per.c.invoice_id).limit(3)).all()
    if not rows:
        return []
    some = [r[0] for r in rows]
    payments, invoices = int(rows[0][1]), int(rows[0][2])
    one = payments == 1
    them = "it" if one else "them"
    return [f"{counted(payments, 'payment')} loaded earlier {'is' if one else 'are'} applied to "
            f"{counted(invoices, 'invoice')} the ledger "
            + (f"no longer holds after this import ({first_few(some, total=invoices)}): "
               f"{'it counts' if one else 'they count'} as cash on account from now on" if done else
               f"would no longer hold after a replace ({first_few(some, total=invoices)}): "
               f"{'it' if one else 'they'} would count as cash on account")
            + f" (the Unapplied cash page matches {them} to the open items). If the payments belong to the ledger "
            "replaced, replace the payments too. A file of open items only is imported in open-items mode: it "
            "settles the invoices it leaves out rather than removing them."]


def _settling_notes(conn: sa.Connection, found: sa.Table | None, reopened: sa.Table | None) -> list[str]:
    """What settling from payments changed, in words: invoices newly settled, settled on another day
    than before, and open again because their payments no longer cover them."""
    inv = schema.invoices

    def count(stmt: sa.Select) -> int:
        return conn.execute(sa.select(sa.func.count()).select_from(stmt.subquery())).scalar_one()

    new = moved = again = 0
    if found is not None:
        new = count(sa.select(found.c.invoice_id) if reopened is None else
                    sa.select(found.c.invoice_id).where(found.c.invoice_id.not_in(sa.select(reopened.c.invoice_id))))
    if reopened is not None:
        now = sa.select(reopened.c.was, inv.c.paid_date, inv.c.paid_from_payments).join_from(
            reopened, inv, inv.c.invoice_id == reopened.c.invoice_id).subquery()
        moved = count(sa.select(now.c.was).where(now.c.paid_from_payments.is_(True), now.c.paid_date != now.c.was))
        again = count(sa.select(now.c.was).where(now.c.paid_date.is_(None)))
    notes = []
    if new:
        notes.append(f"{counted(new, 'invoice without a paid date is', 'invoices without a paid date are')} paid in "
                     "full by the payments loaded: each is now settled on the day its payments covered it.")
    if moved:
        notes.append(f"{counted(moved, 'invoice')} settled earlier from the payments loaded "
                     f"{'is' if moved == 1 else 'are'} now settled on another day: the payments cover the amount on "
                     "a different date.")
    if again:
        notes.append(f"{counted(again, 'invoice')} settled earlier from the payments loaded "
                     f"{'is' if again == 1 else 'are'} open again: the payments no longer cover the amount (a reversed "
                     "or re-applied payment).")
    return notes


def _no_rows(conn: sa.Connection, table: sa.Table, *where: sa.ColumnElement) -> bool:
    """Whether ``table`` has no row (meeting ``where``)."""
    return conn.execute(sa.select(sa.literal(1)).select_from(table).where(*where).limit(1)).first() is None


def _settle_from_payments(conn: sa.Connection, kind: str, staged: store.Staged,
                          reopened: sa.Table | None = None) -> sa.Table | None:
    """Give a paid date to the invoices the staged rows name (or ``reopened`` lists) that their payments
    cover but that have none, marking it as derived (``paid_from_payments``).

    Many ERPs export invoices without a clearing date beside a file of the payments applied to them;
    an invoice is then settled on the day from which its payments cover it for good (not before it was
    issued). Without this, paid invoices would count as open items of zero and no days to pay would be
    known. Returns a temporary table ``invoice_id, customer_id, settled_on`` of those settled (the caller
    refreshes their customers' balance events and drops it), or None when there are none.
    """
    inv, pay, s = schema.invoices, schema.payments, staged.table
    lists = [sa.select(reopened.c.invoice_id)] if reopened is not None else []
    if kind in ("invoices", "payments") and "invoice_id" in staged.columns:
        lists.append(sa.select(s.c.invoice_id).where(s.c.invoice_id.is_not(None)))
    if not lists or _no_rows(conn, pay):
        return None
    named = sa.union(*lists) if len(lists) > 1 else lists[0]
    running = (sa.select(pay.c.invoice_id, pay.c.payment_date, pay.c.payment_id,
                         sa.func.sum(sa.cast(pay.c.amount, sa.Float))
                         .over(partition_by=pay.c.invoice_id, order_by=[pay.c.payment_date, pay.c.payment_id])
                         .label("so_far"))
               .where(pay.c.invoice_id.in_(named)).subquery())
    # The lowest running total from each payment on: an invoice is settled from the first payment
    # after which it never drops below the amount (a reversed payment, a negative amount, reopens it).
    lowest = sa.select(running.c.invoice_id, running.c.payment_date, sa.func.min(running.c.so_far).over(
        partition_by=running.c.invoice_id, order_by=[running.c.payment_date, running.c.payment_id], rows=(0, None)
    ).label("low_after")).subquery()
    covered = (sa.select(inv.c.invoice_id, inv.c.customer_id,
                         sa.func.greatest(sa.func.min(lowest.c.payment_date), inv.c.invoice_date))
               .join_from(lowest, inv, inv.c.invoice_id == lowest.c.invoice_id)
               .where(inv.c.paid_date.is_(None), inv.c.amount > 0,
                      lowest.c.low_after >= sa.cast(inv.c.amount, sa.Float) - 0.005)
               .group_by(inv.c.invoice_id, inv.c.customer_id, inv.c.invoice_date))
    found = store.temp_table(conn, "settled", sa.Column("invoice_id", sa.String), sa.Column("customer_id", sa.String),
                             sa.Column("settled_on", sa.Date))
    conn.execute(sa.insert(found).from_select(["invoice_id", "customer_id", "settled_on"], covered))
    if _no_rows(conn, found):
        found.drop(conn)
        return None
    conn.execute(sa.update(inv).where(inv.c.invoice_id == found.c.invoice_id)
                 .values(paid_date=found.c.settled_on, paid_from_payments=True))
    return found


def _remember_affected(conn: sa.Connection, kind: str, staged: store.Staged) -> sa.Table | None:
    """A temporary table of the customers to refresh, when an incremental refresh is right."""
    affected = _affected_customers(kind, staged)
    if affected is None or get_meta(conn, "events_version") != get_meta(conn, "data_version"):
        return None
    ledger = conn.execute(sa.select(sa.func.count()).select_from(schema.invoices)).scalar_one()
    rows = conn.execute(sa.select(sa.func.count()).select_from(staged.table)).scalar_one()
    if ledger < max(INCREMENTAL_MIN_LEDGER, 1) or rows > INCREMENTAL_SHARE * ledger:
        return None
    ids = store.temp_table(conn, "affected", sa.Column("customer_id", sa.String))
    conn.execute(sa.insert(ids).from_select(["customer_id"], affected.subquery().select().distinct()))
    touched = conn.execute(sa.select(sa.func.count()).select_from(ids)).scalar_one()
    customers = conn.execute(sa.select(sa.func.count()).select_from(schema.customers)).scalar_one()
    if touched > INCREMENTAL_CUSTOMER_SHARE * customers:  # a month's invoices touch most debtors
        ids.drop(conn)
        return None
    return ids


@dataclass
class ImportResult:
    """What an import did."""

    kind: str
    source: str
    rows_read: int
    inserted: int
    updated: int
    rejected: int
    suspicious: int
    customers_added: int
    report: pd.DataFrame
    notes: list[str]
    data_version: int
    warnings: list[str] = field(default_factory=list)


def run_import(engine: Engine, raw: RawTable, *, spec: MappingSpec | None = None, kind: str | None = None,
               mode: str = "append", skip_invalid: bool = False, today: date | None = None,
               remember: bool = True, progress: Progress | None = None,
               open_on: date | None = None) -> ImportResult:
    """Import a raw table into the database in one transaction.

    Parameters
    ----------
    engine
        Target database (schema already ensured).
    raw
        The table as read by :mod:`arboard.readers`.
    spec, kind
        The confirmed mapping, or the kind to plan for; by default the saved mapping for this
        layout, else suggestions.
    mode
        ``"append"`` upserts by id (a re-import updates instead of duplicating); ``"replace"``
        empties the kind's table first; ``"open-items"`` (invoices) upserts a list of every open
        invoice as of ``open_on``: the invoices open in arboard that it does not list were settled
        by then (:func:`_settle_unlisted`).
    skip_invalid
        Load the valid rows even when some are rejected. By default any rejected row stops the
        import and nothing is written.
    today
        The import date for the "future date" checks (default: today).
    open_on
        The date of an invoices file's open amounts or open items (an aging report's date; default
        ``today``): the part of an invoice they say was paid is recorded as a payment of that day,
        and in open-items mode an invoice the file leaves out is settled on it.

    Raises
    ------
    ArboardError
        When the mapping is incomplete, rows are rejected (the report is attached) or the database
        refuses the write. The database is unchanged in every case.
    """
    say = progress or (lambda _msg, _frac: None)
    if mode not in MODES:
        raise ArboardError(f"Unknown mode {mode!r}; use append, replace or open-items.")
    say("Parsing and validating rows", 0.2)
    today = today or date.today()
    open_on = open_on or today
    if open_on > today:
        raise ArboardError(f"The report date {open_on.isoformat()} (of the open amounts or open items) is after "
                           f"today ({today.isoformat()}).", where=raw.source)
    plan, batch = check_import(engine, raw, spec=spec, kind=kind, today=today)
    if mode == "open-items" and batch.kind != "invoices":
        raise ArboardError(f"Only an invoices file can be a list of open items, not {batch.kind}.", where=raw.source)
    if batch.rejected_rows and not skip_invalid:
        raise ArboardError(
            f"{batch.rejected_rows:,} of {counted(batch.rows_read, 'row was', 'rows were')} rejected, so nothing was "
            "loaded. Fix them in the file, or choose to skip rejected rows. See the report for row, column and "
            "reason.",
            where=raw.source, report=batch.report)
    if batch.tables[batch.kind].empty:
        raise ArboardError("No valid rows are left to load; nothing was changed.", where=raw.source,
                           report=batch.report)
    say("Writing to the database", 0.6)
    try:
        with engine.connect() as conn:
            staged: dict[str, store.Staged] = {}
            try:
                # Staged in a transaction of its own (temporary tables are private to this
                # connection); see arboard.store on why the write transaction should not create them.
                with conn.begin():
                    _stage(conn, batch, plan.spec.default_currency, staged)
                with conn.begin():
                    # Checked in the write's transaction, against what it writes over.
                    if (late := report_out_of_order(conn, batch, mode, open_on)) is not None:
                        raise ArboardError(late + " Nothing was changed.", where=raw.source)
                    if is_sample(get_meta(conn, "source")):
                        batch.warnings.append(sample_warning(batch.kind, mode))
                    inserted, updated, customers_added = _write(conn, batch, staged, mode, today, open_on)
                    if remember:
                        save_mapping(conn, raw.columns, plan.spec)
                    conn.execute(sa.insert(schema.import_log).values(
                        import_id=str(uuid.uuid4()), at=datetime.now(UTC).replace(tzinfo=None),
                        source=raw.source[:500], kind=batch.kind, mode=mode, rows_read=batch.rows_read,
                        inserted=inserted, updated=updated, rejected=batch.rejected_rows,
                        suspicious=batch.suspicious_rows))
                    if mode == "replace" and batch.kind == "invoices":
                        set_meta(conn, "source", raw.source[:500])  # the ledger no longer is what it came from
                    if dated_by_report(batch, mode):
                        set_meta(conn, REPORT_DATE_KEY, open_on.isoformat())
                    elif mode == "replace" and batch.kind == "invoices":
                        set_meta(conn, REPORT_DATE_KEY, "")  # a ledger with no report behind it
                    version = bump_data_version(conn)
            finally:
                _drop(conn, staged)
    except sa.exc.SQLAlchemyError as exc:
        reason = driver_reason(exc)
        raise ArboardError(f"The database refused the import ({reason}); nothing was changed.",
                           where=redact(engine.url), report=batch.report) from exc
    if batch.kind == "contacts":
        batch.notes.extend(_unmarked_note(engine, today))
    say("Done", 1.0)
    return ImportResult(batch.kind, raw.source, batch.rows_read, inserted, updated, batch.rejected_rows,
                        batch.suspicious_rows, customers_added, batch.report, batch.notes, version, batch.warnings)



IGNORE = "— ignore —"


def mapping_table(plan: ImportPlan, *, examples: int = 3) -> pd.DataFrame:
    """The mapping as a table to confirm or edit: source column, example values, field label."""
    labels = {f.name: f.label for f in fields_for(plan.spec.kind)}
    rows = []
    for col in plan.raw.columns:
        # The first few values, stripped (a list report pads them), skipping blanks.
        head = plan.raw.df[col].head(1_000).dropna().astype(str).str.strip()
        sample = head[head != ""].head(examples).tolist()
        fld = plan.spec.columns.get(col)
        rows.append({"Column in file": col, "Example values": " · ".join(s[:30] for s in sample),
                     "Maps to": labels[fld] if fld else IGNORE})
    return pd.DataFrame(rows)


def spec_from_table(table: pd.DataFrame, *, kind: str, base: MappingSpec | None = None) -> MappingSpec:
    """Build a spec from an edited :func:`mapping_table` (labels back to field names)."""
    by_label = {f.label: f.name for f in fields_for(kind)}
    columns = {row["Column in file"]: by_label[row["Maps to"]] for _, row in table.iterrows()
               if row["Maps to"] in by_label}
    spec = MappingSpec(kind=kind, columns=columns)
    if base is not None:
        spec.decimal, spec.default_currency, spec.default_terms_days = (
            base.decimal, base.default_currency, base.default_terms_days)
        spec.date_formats = {c: f for c, f in base.date_formats.items() if c in columns}
    return spec


def report_summary(report: pd.DataFrame) -> pd.DataFrame:
    """Findings counted by severity and reason: ``severity, reason, rows``."""
    return report.groupby(["severity", "reason"]).size().rename("rows").reset_index()
