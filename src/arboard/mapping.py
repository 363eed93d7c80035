"""Column mappings: what each source column means, remembered per file layout.

A :class:`MappingSpec` is what the user confirms on the Data page (or passes to
``arboard import --mapping FILE``): the import kind, ``{source column: field}``, date
formats per column, the decimal separator and defaults. Confirmed specs are saved in the
database under a fingerprint of the file's header, so the next file with the same layout
imports without a click.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from arboard import schema
from arboard.errors import ArboardError
from arboard.fields import KINDS, field_map, normalise_header


@dataclass
class MappingSpec:
    """How to read one file layout."""

    kind: str
    columns: dict[str, str]  # source column -> field name
    date_formats: dict[str, str] = field(default_factory=dict)  # source column -> format label
    decimal: str | None = None  # None: detect per column
    default_currency: str = "EUR"
    default_terms_days: int = 30

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, sort_keys=True)

    @classmethod
    def from_dict(cls, data: dict, *, where: str = "mapping") -> MappingSpec:
        if not isinstance(data, dict):
            raise ArboardError("A mapping must be a JSON object.", where=where)
        kind = data.get("kind", "invoices")
        if kind not in KINDS:
            raise ArboardError(f"Unknown kind {kind!r}; use one of {', '.join(KINDS)}.", where=where)
        columns = data.get("columns") or {}
        if not isinstance(columns, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in columns.items()):
            raise ArboardError('"columns" must map source column names to field names.', where=where)
        known = field_map(kind)
        unknown = sorted(set(columns.values()) - set(known))
        if unknown:
            raise ArboardError(f"Unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for {kind}; "
                               f"known fields: {', '.join(known)}.", where=where)
        decimal = data.get("decimal")
        if decimal not in (None, ".", ","):
            raise ArboardError('"decimal" must be "." or ",".', where=where)
        try:
            terms = int(data.get("default_terms_days", 30))
        except (TypeError, ValueError):
            raise ArboardError('"default_terms_days" must be a whole number of days.', where=where) from None
        return cls(kind=kind, columns=dict(columns), date_formats=dict(data.get("date_formats") or {}),
                   decimal=decimal, default_currency=str(data.get("default_currency", "EUR")).upper()[:3],
                   default_terms_days=terms)

    @classmethod
    def from_json(cls, text: str, *, where: str = "mapping") -> MappingSpec:
        try:
            return cls.from_dict(json.loads(text), where=where)
        except json.JSONDecodeError as exc:
            raise ArboardError(f"The mapping is not valid JSON: {exc}", where=where) from exc

    @classmethod
    def from_file(cls, path: str | Path) -> MappingSpec:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ArboardError(f"The mapping file cannot be read: {exc.strerror or exc}", where=str(path)) from exc
        return cls.from_json(text, where=str(path))


def fingerprint(columns: list[str]) -> str:
    """Identify a file layout by its header (order-insensitive, spelling-normalised)."""
    key = "|".join(sorted(normalise_header(c) for c in columns))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def load_saved(engine: Engine, columns: list[str]) -> MappingSpec | None:
    """Return the mapping saved for this header layout, if any."""
    with engine.connect() as conn:
        text = conn.execute(
            sa.select(schema.import_layouts.c.spec).where(schema.import_layouts.c.fingerprint == fingerprint(columns))
        ).scalar()
    if text is None:
        return None
    try:
        spec = MappingSpec.from_json(text)
    except ArboardError:
        return None  # a spec saved by an older version that no longer validates: ask again
    return spec if set(spec.columns) <= set(columns) else None


def save_mapping(conn: sa.Connection, columns: list[str], spec: MappingSpec) -> None:
    """Remember ``spec`` for this header layout (inside the caller's transaction)."""
    fp = fingerprint(columns)
    conn.execute(sa.delete(schema.import_layouts).where(schema.import_layouts.c.fingerprint == fp))
    conn.execute(sa.insert(schema.import_layouts).values(
        fingerprint=fp, kind=spec.kind, spec=spec.to_json(), updated_at=datetime.now(UTC).replace(tzinfo=None)))
