"""Every broken input gives a clear message, never a traceback, and leaves the database as it was."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from arboard import generate, importer, readers
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import SMALL_SAMPLE, snapshot

CORPUS = Path(__file__).parent / "corpus"
TODAY = date(2026, 11, 22)

# file -> words the message (or its report) must contain
EXPECTED = {
    "empty.csv": "empty",
    "header_only.csv": "no data rows",
    "blank_lines_only.csv": "empty",
    "binary_garbage.csv": "not text",
    "wrong_delimiter.csv": "Only one column",
    "missing_required_columns.csv": "required field “Amount”",
    "unrecognised_columns.csv": "was recognised",
    "non_numeric_amounts.csv": "not a number",
    "impossible_dates.csv": "not a date",
    "duplicate_ids.csv": "duplicate id with different content",
    "nul_bytes.csv": "not a number",
    "absurd_numbers.csv": "absurd amount",
    "formula_injection.csv": "looks like a spreadsheet formula",
    "not_a_spreadsheet.xlsx": "not a spreadsheet",
    "corrupt_zip.xlsx": "cannot be opened",
    "truncated.parquet": "cannot be read",
    "ragged_rows.csv": "has 9 fields where the header has 7",
    "due_before_invoice.csv": "due date before invoice date",
    "paid_before_invoice.csv": "paid date before invoice date",
    "future_dates.csv": "paid date in the future",
    "missing_ids.csv": "missing identifier",
    "ambiguous_dates.csv": "Choose the date format",
    "mixed_date_orders.csv": "day first in some rows",
    "huge_identifier.csv": "identifier longer than 100",
    "zip_archive.csv": "ZIP archive",
    "html_page.csv": "Only one column",
    "ancient_dates.csv": "before 1980",
    "contacts_unknown_channel.csv": "unknown value",
    "utf16_no_data.csv": "no data rows",
}


def test_corpus_is_complete():
    files = {p.name for p in CORPUS.iterdir() if p.name != "make_corpus.py" and not p.name.startswith(("_", "."))}
    assert files == set(EXPECTED)
    assert len(files) >= 20


@pytest.fixture
def loaded(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    return engine


def _message(exc: ArboardError) -> str:
    text = str(exc)
    if exc.report is not None:
        text += " " + " ".join(exc.report["reason"].astype(str))
    return text


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_broken_input_is_refused_and_database_unchanged(loaded, name):
    before = snapshot(loaded)
    with pytest.raises(ArboardError) as info:
        raw = readers.read_path(CORPUS / name)
        importer.run_import(loaded, raw, today=TODAY)
    assert EXPECTED[name] in _message(info.value), _message(info.value)
    assert info.value.where, "the message must say where"
    assert snapshot(loaded) == before


@pytest.mark.parametrize("name", ["non_numeric_amounts.csv", "binary_garbage.csv", "corrupt_zip.xlsx",
                                  "ambiguous_dates.csv"])
def test_cli_reports_without_traceback(tmp_path, duck_url, name):
    report = tmp_path / "report.csv"
    result = CliRunner().invoke(app, ["import", str(CORPUS / name), "--db", duck_url, "--report", str(report)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "Error:" in result.output
    if name == "non_numeric_amounts.csv":
        assert report.exists() and "not a number" in report.read_text(encoding="utf-8-sig")
