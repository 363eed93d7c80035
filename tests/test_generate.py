"""The sample ledger is seeded, consistent, and shows the behaviours the playbook names."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import db, fx, generate, schema
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import SMALL_SAMPLE


def frames(spec):
    parts = list(generate.iter_ledger(spec))
    out = {"customers": parts[0]["customers"]}
    for name in ("invoices", "payments", "contacts"):
        out[name] = pd.concat([p[name] for p in parts[1:]], ignore_index=True)
    return out


def test_same_seed_same_ledger_and_chunking_does_not_change_size():
    a = frames(SMALL_SAMPLE)
    b = frames(SMALL_SAMPLE)
    pd.testing.assert_frame_equal(a["invoices"], b["invoices"])
    assert len(a["invoices"]) == SMALL_SAMPLE.invoices
    assert a["invoices"]["invoice_id"].is_unique
    assert a["payments"]["payment_id"].is_unique and a["contacts"]["contact_id"].is_unique


def test_ledger_is_consistent():
    f = frames(SMALL_SAMPLE)
    inv, pay = f["invoices"], f["payments"]
    end = pd.Timestamp(SMALL_SAMPLE.end)
    span_days = (inv["invoice_date"].max() - inv["invoice_date"].min()).days
    assert span_days >= 24 * 30  # at least 24 months of history
    assert (inv["due_date"] >= inv["invoice_date"]).all()
    terms = (inv["due_date"] - inv["invoice_date"]).dt.days
    assert terms.min() >= 14 and terms.max() <= 60
    paid = inv["paid_date"].dropna()
    assert (paid <= end).all() and (paid >= inv.loc[paid.index, "invoice_date"]).all()
    assert (inv["amount"] < 0).mean() > 0.01  # credit notes
    assert inv["disputed"].mean() > 0.01
    applied = pay.dropna(subset=["invoice_id"]).groupby("invoice_id")["amount"].sum()
    joined = inv[inv["amount"] > 0].set_index("invoice_id").join(applied.rename("paid")).fillna({"paid": 0.0})
    cleared = joined["paid_date"].notna()
    short = joined["paid"].round(2) < joined["amount"].round(2)
    assert (joined.loc[cleared & ~short, "paid"].round(2) == joined.loc[cleared & ~short, "amount"].round(2)).all()
    assert (joined.loc[~cleared, "paid"] < joined.loc[~cleared, "amount"]).all()  # partial payments stay short
    assert (~cleared & (joined["paid"] > 0)).any()
    # Nothing, disputed or not, stays open past the write-off: the oldest open item has a bound.
    assert ((end - joined.loc[~cleared, "due_date"]).dt.days < generate.WRITE_OFF_DAYS[1]).all()
    # Cleared but not paid in full: written off, 8-14 months after the due date, after any part payments.
    written_off = joined[cleared & short]
    lag = (written_off["paid_date"] - written_off["due_date"]).dt.days
    assert len(written_off) and lag.between(*generate.WRITE_OFF_DAYS).all()
    parts = pay.merge(written_off[["paid_date"]], left_on="invoice_id", right_index=True)
    assert len(parts) and (parts["payment_date"] < parts["paid_date"]).all()
    unapplied = pay[pay["invoice_id"].isna()]
    assert len(unapplied)  # payments on account, recent only (cash application has matched older ones)
    assert ((end - unapplied["payment_date"]).dt.days < generate.UNAPPLIED_DAYS).all()
    # Some business customers are billed in two currencies; a payment is in its invoice's currency.
    assert (inv.groupby("customer_id")["currency"].nunique() > 1).any()
    paid_in = pay.dropna(subset=["invoice_id"]).merge(inv[["invoice_id", "currency"]], on="invoice_id")
    assert (paid_in["currency_x"] == paid_in["currency_y"]).all()
    assert (pay["payment_date"] <= end).all()


def test_behaviours_span_the_playbook():
    spec = dataclasses.replace(SMALL_SAMPLE, customers=600, invoices=12_000)
    f = frames(spec)
    rng_cust = generate._customers(spec, __import__("numpy").random.default_rng([spec.seed, 0]))
    arche = dict(zip(rng_cust["customer_id"], rng_cust["_arche"], strict=True))
    inv = f["invoices"].assign(arche=lambda d: d["customer_id"].map(arche))
    inv = inv[inv["amount"] > 0]
    late = (inv["paid_date"] - inv["due_date"]).dt.days
    by = late.groupby(inv["arche"]).median()
    assert by[0] <= 0  # punctual
    assert 0 < by[1] <= 12  # forgetful: pays just after the first reminder
    assert by[2] > by[1] and by[4] > by[2]  # chronically late; won't pay latest
    open_share = inv["paid_date"].isna().groupby(inv["arche"]).mean()
    assert open_share[4] > 0.2 and open_share[0] < 0.05
    con = f["contacts"]
    assert set(con["channel"]) == {"email", "sms", "letter", "phone"} | ({"portal"} & set(con["channel"]))
    assert {"promise_to_pay", "payment_plan", "dispute", "reminder", "call", "letter"} <= set(con["kind"])
    assert {"no_response", "responded", "promised", "paid", "bounced"} <= set(con["outcome"])
    # Collectors write notes on most of their calls, promises and plans; reminders go out without one.
    personal = con["kind"].isin(generate.PERSONAL_KINDS)
    assert con.loc[~personal, "note"].isna().all()
    assert abs(con.loc[personal, "note"].notna().mean() - generate.NOTE_SHARE) < 0.05
    cust = f["customers"]
    assert cust["email"].isna().mean() > 0.03  # missing contact data
    assert (cust["created_at"] > pd.Timestamp(spec.end) - pd.Timedelta(days=60)).mean() > 0.03  # new debtors
    assert set(cust["customer_type"]) == {"B2B", "B2C"}


def test_amounts_are_sized_in_their_currency():
    """A kronor invoice is about eleven times a euro one: converted at the sample's rates, currencies compare."""
    f = frames(dataclasses.replace(SMALL_SAMPLE, customers=2_000, invoices=40_000))
    inv = f["invoices"][f["invoices"]["amount"] > 0]
    median = inv.groupby("currency")["amount"].median()
    in_eur = median * median.index.map(lambda c: generate.SAMPLE_RATES.get(c, 1.0))
    assert median["SEK"] > 5 * median["EUR"]
    assert (in_eur / in_eur["EUR"]).between(0.6, 1.6).all(), in_eur
    pay = f["payments"]
    unapplied = pay[pay["invoice_id"].isna()].merge(f["customers"][["customer_id", "country"]], on="customer_id")
    assert unapplied.loc[unapplied["country"] == "SE", "amount"].median() > 3 * unapplied.loc[
        unapplied["country"] == "DE", "amount"].median()


def test_payments_on_account_carry_remittance_texts():
    """Most payments the ERP could not apply name their invoices, in one spelling or another; a few name an
    invoice paid already, for its amount (sent twice)."""
    f = frames(dataclasses.replace(SMALL_SAMPLE, customers=2_000, invoices=40_000))
    pay, inv = f["payments"], f["invoices"]
    loose = pay[pay["invoice_id"].isna()]
    assert pay.loc[pay["invoice_id"].notna(), "reference"].isna().all()  # only the payments on account have one
    unidentified = loose[loose["payment_id"].str.endswith("U")]
    naming = unidentified["reference"].str.contains(r"INV-?\d{9}", case=False, na=False)
    assert 0.4 < naming.mean() < 0.7, naming.mean()
    twice = loose[loose["payment_id"].str.startswith("DUP")].merge(inv, left_on="reference", right_on="invoice_id",
                                                                  suffixes=("", "_invoice"))
    assert len(twice) and (twice["amount"] == twice["amount_invoice"]).all()
    assert (twice["paid_date"] < twice["payment_date"]).all()


def test_write_sample_on_both_backends(engine):
    counts = generate.write_sample(engine, SMALL_SAMPLE)
    assert db.row_counts(engine) == counts
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(DISTINCT customer_id) FROM invoices")).scalar() <= 300
    # The sample's currencies add up from the start; rates a user saved are kept on a second sample.
    assert fx.load(engine) == fx.Rates(generate.REPORTING, generate.SAMPLE_RATES)
    fx.save(engine, "USD", {"EUR": 1.09})
    generate.write_sample(engine, SMALL_SAMPLE)
    assert fx.load(engine) == fx.Rates("USD", {"EUR": 1.09})


def test_cli_generate(duck_url):
    result = CliRunner().invoke(app, ["generate", "--customers", "50", "--invoices", "700", "--seed", "3",
                                      "--end", "2026-06-30", "--db", duck_url])
    assert result.exit_code == 0, result.output
    assert db.row_counts(db.open_database(duck_url))["invoices"] == 700
    assert fx.load(db.open_database(duck_url)).reporting == "EUR"
    plain = CliRunner().invoke(app, ["generate", "--invoices", "100", "--customers", "10", "--no-rates",
                                     "--db", duck_url.replace(".duckdb", "-plain.duckdb")])
    assert plain.exit_code == 0, plain.output
    assert not fx.load(db.open_database(duck_url.replace(".duckdb", "-plain.duckdb"))).active


def test_generate_never_mixes_with_existing_data(duck_url):
    runner = CliRunner()
    args = ["generate", "--customers", "20", "--invoices", "100", "--end", "2026-06-30", "--db", duck_url]
    assert runner.invoke(app, args).exit_code == 0
    refused = runner.invoke(app, args)
    assert refused.exit_code == 1 and "--replace" in refused.output
    assert runner.invoke(app, [*args, "--replace", "--seed", "9"]).exit_code == 0
    assert db.row_counts(db.open_database(duck_url))["invoices"] == 100


def _entered(engine) -> None:
    """What a team enters about a ledger: a dispute raised, a hold, a credit hold, an exemption."""
    from arboard import creditholds, holds, logbook

    with engine.connect() as conn:
        cid, iid = conn.execute(sa.select(schema.invoices.c.customer_id, schema.invoices.c.invoice_id)
                                .where(schema.invoices.c.paid_date.is_(None)).limit(1)).one()
    day = SMALL_SAMPLE.end
    logbook.log(engine, cid, logbook.Entry(day, "phone", "dispute", None, (iid,), reason="Not delivered"), today=day)
    holds.add(engine, cid, reason="in talks", today=day)
    creditholds.place(engine, [cid], on=day, today=day, reason="Insolvency filed")
    creditholds.exempt(engine, [cid], reason="Group company")


def test_the_sample_is_removed_for_your_own_data(engine):
    from arboard import importer, readers, summary

    generate.write_sample(engine, SMALL_SAMPLE)
    _entered(engine)
    led = summary.ledger_summary(engine)
    assert led.sample and led.source.startswith(generate.SAMPLE_SOURCE)
    # Importing into it works, and says your rows joined the sample's.
    own = "invoice_id,customer_id,invoice_date,due_date,amount\nMY-1,MINE,2026-06-01,2026-07-01,100\n"
    result = importer.run_import(engine, readers.read_bytes(own.encode(), name="mine.csv"), today=SMALL_SAMPLE.end)
    assert importer.SAMPLE_WARNING in result.warnings
    # A replace takes the place of one table: the rest of the sample stays, and the warning says so.
    pay = "payment_id,invoice_id,customer_id,payment_date,amount\nMY-P1,MY-1,MINE,2026-06-20,100\n"
    result = importer.run_import(engine, readers.read_bytes(pay.encode(), name="mine-pay.csv"), today=SMALL_SAMPLE.end,
                                 mode="replace")
    assert result.warnings == ["the database held the sample ledger: these rows replace its payments, and the rest of "
                               "the sample stays beside them: the figures mix the sample with your data. Remove the "
                               "sample (Data page, or arboard remove-sample) and import your files again to see your "
                               "own ledger alone"]
    removed = generate.remove_sample(engine)
    assert removed["invoices"] == SMALL_SAMPLE.invoices + 1 and removed["customers"] == 301
    assert all(n == 0 for n in db.row_counts(engine).values())
    with engine.connect() as conn:
        for table in (*schema.DERIVED_TABLES, *generate.ENTERED_TABLES):
            assert conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one() == 0, table.name
    assert not fx.load(engine).active  # the sample's rates went with it
    led = summary.ledger_summary(engine)
    assert led.empty and not led.sample and led.source is None
    # Your file now loads alone, without the warning; and there is no sample left to remove.
    result = importer.run_import(engine, readers.read_bytes(own.encode(), name="mine.csv"), today=SMALL_SAMPLE.end)
    assert result.inserted == 1 and not result.warnings
    with pytest.raises(ArboardError, match="holds no sample ledger"):
        generate.remove_sample(engine)
    assert db.row_counts(engine)["invoices"] == 1


def test_rates_of_your_own_stay_when_the_sample_goes(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    fx.save(duck_engine, "EUR", {**generate.SAMPLE_RATES, "USD": 0.95})
    generate.remove_sample(duck_engine)
    assert fx.load(duck_engine).rate("USD") == 0.95


def test_cli_remove_sample(duck_url):
    runner = CliRunner()
    assert runner.invoke(app, ["generate", "--customers", "20", "--invoices", "100", "--end", "2026-06-30",
                               "--db", duck_url]).exit_code == 0
    done = runner.invoke(app, ["remove-sample", "--db", duck_url])
    assert done.exit_code == 0 and "Removed the sample ledger: 20 customers, 100 invoices" in done.output
    again = runner.invoke(app, ["remove-sample", "--db", duck_url])
    assert again.exit_code == 1 and "holds no sample ledger" in again.output and "Traceback" not in again.output
