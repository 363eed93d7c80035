from __future__ import annotations

import pytest
import sqlalchemy as sa

from arboard import db, schema
from arboard.errors import ArboardError


def test_schema_has_date_and_numeric_columns(engine):
    cols = {c["name"]: c["type"] for c in sa.inspect(engine).get_columns("invoices")}
    assert {"invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency", "paid_date",
            "disputed"} <= set(cols)
    assert isinstance(cols["invoice_date"], sa.Date)
    assert isinstance(cols["amount"], sa.Numeric)
    assert set(sa.inspect(engine).get_table_names()) >= set(schema.LEDGER_TABLES)


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
