from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import pytest
import sqlalchemy as sa

from arboard import db, schema, store
from arboard.errors import ArboardError


def test_schema_has_date_and_numeric_columns(engine):
    cols = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("invoices")}
    assert {"invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency", "paid_date",
            "disputed"} <= set(cols)
    assert isinstance(cols["invoice_date"], sa.Date)
    assert isinstance(cols["amount"], sa.Numeric)
    assert set(sa.inspect(engine).get_table_names()) >= set(schema.LEDGER_TABLES)


def test_rows_written_keep_the_time_of_a_timestamp_and_the_day_of_a_date(engine):
    """PostgreSQL stages rows through COPY as text: a timestamp must keep its time there (two dispute
    decisions on one day are ordered by it), and a DATE column takes the day."""
    made = pd.DataFrame({"decision_id": ["D1", "D2"], "invoice_id": ["I1", "I1"], "customer_id": ["C1", "C1"],
                         "disputed": [False, True], "decided_on": pd.to_datetime(["2025-01-01 13:45"] * 2),
                         "file_said": [False, False], "created_at": pd.to_datetime(
                             ["2026-01-01 00:01:02.5", "2026-01-01 00:02:00"], format="ISO8601")})
    with engine.begin() as conn:
        store.append(conn, schema.dispute_decisions, made)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.dispute_decisions.c.decided_on, schema.dispute_decisions.c.created_at)
                            .order_by(schema.dispute_decisions.c.decision_id)).all()
    assert [(pd.Timestamp(d).date(), t) for d, t in rows] == [
        (date(2025, 1, 1), datetime(2026, 1, 1, 0, 1, 2, 500000)), (date(2025, 1, 1), datetime(2026, 1, 1, 0, 2))]


def test_ensure_schema_is_idempotent_and_adds_missing_columns(engine):
    with engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE customers DROP COLUMN locale"))
    db.ensure_schema(engine)
    db.ensure_schema(engine)
    assert "locale" in {c["name"] for c in sa.inspect(engine).get_columns("customers")}


def test_data_version_bumps(engine):
    assert db.data_version(engine) == 0
    with engine.begin() as conn:
        db.bump_data_version(conn)
    assert db.data_version(engine) == 1


def test_url_resolution_order(monkeypatch, tmp_path):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('db_url = "duckdb:///from-secrets.duckdb"\n')
    monkeypatch.delenv("ARBOARD_DB_URL", raising=False)
    assert db.resolve_url(secrets_path=secrets) == ("duckdb:///from-secrets.duckdb", "secrets.toml")
    monkeypatch.setenv("ARBOARD_DB_URL", "duckdb:///env.duckdb")
    assert db.resolve_url(secrets_path=secrets)[1] == "ARBOARD_DB_URL"
    assert db.resolve_url("duckdb:///x.duckdb", secrets_path=secrets)[1] == "argument"
    monkeypatch.delenv("ARBOARD_DB_URL")
    monkeypatch.setenv("ARBOARD_DATA_DIR", str(tmp_path))
    url, origin = db.resolve_url(secrets_path=tmp_path / "missing.toml")
    assert origin == "embedded" and url.endswith("arboard.duckdb") and str(tmp_path) in url


def test_database_down_gives_a_clear_message():
    with pytest.raises(ArboardError) as info:
        db.make_engine("postgresql://arboard:secret@127.0.0.1:1/nothing")
    assert "cannot be opened" in info.value.message
    assert "secret" not in str(info.value)  # the password never reaches a message
    assert "***" in str(info.value)


def test_malformed_url():
    with pytest.raises(ArboardError, match="not a database URL"):
        db.make_engine("not a url at all")
