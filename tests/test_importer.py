"""Imports from every supported container, encoding and convention, on DuckDB and PostgreSQL."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from arboard import db, events, fields, generate, importer, readers, schema, summary
from arboard.cli import app
from arboard.errors import ArboardError
from arboard.mapping import MappingSpec, fingerprint, load_saved
from tests.conftest import SMALL_SAMPLE, snapshot

TODAY = date(2026, 11, 22)

GERMAN = (
    "Kunde;Rechnungsnr;Rechnungsdatum;Fälligkeit;Betrag;Währung;Zahlungsdatum;Strittig\n"
    "K-001;R-1001;03.01.2026;02.02.2026;1.234,56;EUR;01.02.2026;nein\n"
    "K-002;R-1002;15.01.2026;14.02.2026;-99,90;EUR;;ja\n"
    "K-001;R-1003;20.02.2026;22.03.2026;12.000,00;EUR;;nein\n"
)
IBM = (
    "countryCode,customerID,PaperlessDate,invoiceNumber,InvoiceDate,DueDate,InvoiceAmount,Disputed,SettledDate,"
    "PaperlessBill,DaysToSettle,DaysLate\n"
    "391,0379-NEVHP,4/6/2013,611365,1/2/2013,2/1/2013,55.94,No,1/15/2013,Paper,13,0\n"
    "406,8976-AMJEO,3/3/2012,7900770,1/26/2013,2/25/2013,61.74,Yes,3/3/2013,Electronic,36,6\n"
    "391,2820-XGXSB,1/26/2012,9231909,7/3/2013,8/2/2013,65.88,No,7/8/2013,Electronic,5,0\n"
)


def invoices(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(schema.invoices).order_by("invoice_id")).mappings().all())


def load(engine, data: bytes | str, name: str, today: date = TODAY, **kw):
    raw = readers.read_bytes(data.encode("utf-8") if isinstance(data, str) else data, name=name)
    return importer.run_import(engine, raw, today=today, **kw)


def test_a_reimport_keeps_what_the_file_has_no_column_for(engine):
    load(engine, "Invoice,Customer,Invoice date,Due date,Amount,Currency,Disputed,Clear Date\n"
                 "A,C1,2026-01-10,2026-03-01,100,USD,Yes,2026-03-05\nB,C1,2026-01-12,2026-02-11,50,USD,No,\n",
         "full.csv")
    # An open-items export: amounts only, no currency, due date, dispute flag or paid date.
    result = load(engine, "Invoice,Customer,Invoice date,Amount\nA,C1,2026-01-10,120\nN,C2,2026-01-20,70\n",
                  "open_items.csv")
    assert (result.inserted, result.updated) == (1, 1)
    assert any("no currency and due date column" in n for n in result.notes)
    df = invoices(engine).set_index("invoice_id")
    assert df.loc["A", ["amount", "currency", "due_date", "disputed", "paid_date"]].tolist() == [
        Decimal("120.00"), "USD", date(2026, 3, 1), True, date(2026, 3, 5)]
    assert df.loc["N", ["currency", "due_date", "disputed"]].tolist() == ["EUR", date(2026, 2, 19), False]
    with engine.connect() as conn:  # the balance events were computed from what was kept
        kept = sorted(conn.execute(sa.select(schema.ar_events.c.currency, schema.ar_events.c.disputed)
                                   .where(schema.ar_events.c.customer_id == "C1").distinct()).all())
    assert kept == [("USD", False), ("USD", True)]


def test_german_export_with_decimal_comma(engine):
    result = load(engine, GERMAN.encode("cp1252"), "offene_posten.csv")
    assert (result.inserted, result.rejected) == (3, 0)
    df = invoices(engine)
    assert df["amount"].tolist() == [Decimal("1234.56"), Decimal("-99.90"), Decimal("12000.00")]
    assert df["invoice_date"].tolist() == [date(2026, 1, 3), date(2026, 1, 15), date(2026, 2, 20)]
    assert df["disputed"].tolist() == [False, True, False]
    assert df["paid_date"].tolist()[0] == date(2026, 2, 1)
    assert pd.isna(df["paid_date"].tolist()[1])


def test_dispute_reasons_are_kept_and_mark_the_invoice_disputed(engine):
    data = ("Kunde;Rechnungsnr;Rechnungsdatum;Betrag;Streitgrund\n"
            "K-001;R-1;03.01.2026;100,00;Preisdifferenz\n"
            "K-001;R-2;04.01.2026;50,00;\n"
            "K-002;R-3;05.01.2026;70,00;=HYPERLINK(\"http://x\")\n")
    result = load(engine, data, "klaerfaelle.csv")
    assert result.inserted == 3
    assert result.report["reason"].str.contains("formula").sum() == 1  # flagged, stored as text
    df = invoices(engine)
    assert df["dispute_reason"].fillna("-").tolist()[:2] == ["Preisdifferenz", "-"]
    assert df["disputed"].tolist() == [True, False, True]  # no flag column: a reason means a dispute
    flagged = "Kunde;Rechnungsnr;Rechnungsdatum;Betrag;Strittig;Streitgrund\nK-001;R-4;06.01.2026;10,00;nein;Preis\n"
    load(engine, flagged, "klaerfaelle2.csv")
    assert invoices(engine).set_index("invoice_id").loc["R-4", "disputed"] == False  # noqa: E712 - the file says no


def test_ibm_style_export_keeps_customer_attributes(engine):
    result = load(engine, IBM, "WA_Fn-UseC_-Accounts-Receivable.csv")
    assert result.inserted == 3 and result.customers_added == 3
    with engine.connect() as conn:
        cust = dict(conn.execute(sa.select(schema.customers.c.customer_id, schema.customers.c.preferred_channel)).all())
        country = conn.execute(sa.select(schema.customers.c.country).where(
            schema.customers.c.customer_id == "0379-NEVHP")).scalar()
    assert cust == {"0379-NEVHP": "letter", "8976-AMJEO": "email", "2820-XGXSB": "email"}
    assert country == "391"
    assert invoices(engine)["due_date"].tolist()[0] == date(2013, 2, 1)  # M/D/YYYY detected


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "utf-16"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_encodings_and_delimiters(duck_engine, encoding, delimiter):
    text = ("Customer No|Invoice No|Invoice Date|Net Due Date|Amount Due|Currency|Customer Name\n"
            "00042|A-1|2026-01-05|2026-02-04|100.50|EUR|Café Müller\n")
    load(duck_engine, text.replace("|", delimiter).encode(encoding), "export.csv")
    with duck_engine.connect() as conn:
        row = conn.execute(sa.select(schema.customers.c.customer_id, schema.customers.c.name)).one()
    assert row == ("00042", "Café Müller")  # leading zeros and accents survive


def test_title_lines_above_header_are_skipped(duck_engine):
    text = "Open items report\nPrinted 2026-11-20 by SAP\n\n" + GERMAN
    result = load(duck_engine, text, "report.csv")
    assert result.inserted == 3
    assert any("title line" in n for n in result.notes)


def test_blank_header_cells_are_named_by_their_place():
    """A column without a header shows as "column 3" in the mapping, in a CSV as in a sheet, not as
    pandas' "Unnamed: 2"; a sheet's header with a blank cell is still its header (it is less full than
    the rows below it, and was taken for a title)."""
    raw = readers.read_bytes(b"Invoice,,Amount,\nA1,x,10,\nA2,y,20,z\n", name="t.csv")
    assert list(raw.df.columns) == ["Invoice", "column 2", "Amount", "column 4"]
    xlsx = io.BytesIO()
    pd.DataFrame([["A1", "x", 10], ["A2", "y", 20]], columns=["Invoice", "", "Amount"]).to_excel(xlsx, index=False)
    assert list(readers.read_bytes(xlsx.getvalue(), name="t.xlsx").df.columns) == ["Invoice", "column 2", "Amount"]


def test_excel_and_parquet(engine, tmp_path):
    df = pd.DataFrame({"Invoice Number": ["X1", "X2"], "Customer ID": [10023, 10024],
                       "Invoice Date": pd.to_datetime(["2026-03-01", "2026-03-02"]),
                       "Due Date": pd.to_datetime(["2026-03-31", "2026-04-01"]), "Amount": [10.5, 20.25]})
    xlsx = io.BytesIO()
    with pd.ExcelWriter(xlsx, engine="xlsxwriter") as writer:
        pd.DataFrame([["Exported from ERP"]]).to_excel(writer, index=False, header=False, startrow=0)
        df.to_excel(writer, index=False, startrow=2)
    load(engine, xlsx.getvalue(), "ledger.xlsx")
    got = invoices(engine)
    assert got["customer_id"].tolist() == ["10023", "10024"]  # spreadsheet numbers become ids, not 10023.0
    assert got["due_date"].tolist() == [date(2026, 3, 31), date(2026, 4, 1)]
    pq = io.BytesIO()
    df.assign(**{"Invoice Number": ["X3", "X4"]}).to_parquet(pq)
    assert load(engine, pq.getvalue(), "ledger.parquet").inserted == 2


def test_import_from_another_database(engine, tmp_path):
    src = f"duckdb:///{tmp_path / 'erp.duckdb'}"
    e = sa.create_engine(src)
    with e.begin() as conn:
        conn.execute(sa.text("CREATE TABLE open_items (belegnr VARCHAR, kunde VARCHAR, belegdatum DATE, "
                             "faelligkeit DATE, betrag DECIMAL(12,2))"))
        conn.execute(sa.text("INSERT INTO open_items VALUES ('B1','K1','2026-01-01','2026-01-31', 50.00)"))
    e.dispose()
    raw = readers.read_sql(src, "SELECT * FROM open_items")
    assert importer.run_import(engine, raw, today=TODAY).inserted == 1
    with pytest.raises(ArboardError, match="query failed"):
        readers.read_sql(src, "no_such_table")


@pytest.mark.parametrize("backend", ["duck_url", pytest.param("pg_url", marks=pytest.mark.postgres)])
def test_reading_another_database_never_writes_to_it(backend, request):
    """The source is the ERP's: a query that would change it (a data-modifying WITH, statements after the
    SELECT) is refused or rolled back, and its rows stay."""
    src = request.getfixturevalue(backend)
    e = sa.create_engine(src)
    with e.begin() as conn:
        conn.execute(sa.text("CREATE TABLE open_items (belegnr VARCHAR(10), betrag DECIMAL(12,2))"))
        conn.execute(sa.text("INSERT INTO open_items VALUES ('B1', 50.00), ('B2', 60.00)"))
    e.dispose()  # a DuckDB file takes connections of one configuration at a time
    hostile = ["WITH gone AS (DELETE FROM open_items RETURNING *) SELECT * FROM gone",
               "SELECT * FROM open_items; DELETE FROM open_items"]
    for text in hostile:
        try:
            readers.read_sql(src, text)
        except ArboardError as exc:
            assert "query failed" in str(exc)
    with pytest.raises(ArboardError, match="query failed"):  # a table name, quoted: there is no such table
        readers.read_sql(src, "open_items; DROP TABLE open_items")
    e = sa.create_engine(src)
    with e.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM open_items")).scalar_one() == 2
    e.dispose()


def test_reimport_updates_instead_of_duplicating_and_remembers_layout(engine):
    load(engine, GERMAN, "a.csv")
    changed = GERMAN.replace("-99,90;EUR;;ja", "-99,90;EUR;20.02.2026;ja")
    result = load(engine, changed, "a.csv")
    assert (result.inserted, result.updated) == (0, 3)
    assert len(invoices(engine)) == 3
    assert invoices(engine)["paid_date"].tolist()[1] == date(2026, 2, 20)
    raw = readers.read_bytes(GERMAN.encode(), name="b.csv")
    saved = load_saved(engine, raw.columns)
    assert saved is not None and saved.kind == "invoices"
    assert importer.plan_import(raw, saved=saved).from_saved


def test_confirmed_mapping_is_reused_without_clicks(engine):
    text = "Ref;Debtor;Issued;Pay by;Sum\nA1;D1;2026-01-02;2026-02-01;10\n"
    raw = readers.read_bytes(text.encode(), name="odd.csv")
    spec = MappingSpec(kind="invoices", columns={"Ref": "invoice_id", "Debtor": "customer_id", "Issued": "invoice_date",
                                                 "Pay by": "due_date", "Sum": "amount"})
    importer.run_import(engine, raw, spec=spec, today=TODAY)
    again = readers.read_bytes(text.replace("A1", "A2").encode(), name="odd-next-month.csv")
    assert importer.run_import(engine, again, today=TODAY).inserted == 1  # no spec passed this time
    assert fingerprint(["Ref", "Debtor"]) == fingerprint(["debtor", "REF"])


def test_replace_mode_empties_the_table_first(engine):
    load(engine, GERMAN, "a.csv")
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount\nN1,C9,2026-01-01,2026-01-31,5\n", "b.csv",
         mode="replace")
    assert invoices(engine)["invoice_id"].tolist() == ["N1"]


def test_a_replace_says_which_payments_it_puts_on_account(engine):
    """Payments come from their own file, so replacing the invoices keeps them: those applied to an invoice
    the new file does not hold count as cash on account from then on, and the import says so."""
    from arboard import openitems

    head = "invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
    inv = head + "A1,K1,2026-01-05,2026-02-04,100,2026-02-01\nA2,K1,2026-01-10,2026-02-09,300,\n" \
                 "A3,K2,2026-01-12,2026-02-11,80,2026-02-10\n"
    load(engine, inv, "inv.csv")
    load(engine, "payment_id,invoice_id,customer_id,payment_date,amount\nP1,A1,K1,2026-02-01,100\n"
                 "P2,A2,K1,2026-02-05,50\nP3,A3,K2,2026-02-10,80\nP4,,K2,2026-02-12,20\n", "pay.csv")

    def on_account() -> list[str]:
        with engine.connect() as conn:
            return sorted(conn.execute(sa.select(openitems.payments_on_account(TODAY).subquery().c.payment_id))
                          .scalars())

    def said(result) -> list[str]:
        return [n for n in result.notes if "loaded earlier" in n]

    assert on_account() == ["P4"]
    # The ERP's open items alone, as a replace: A1's and A3's payments are left on account. The check before
    # says so too.
    open_items = head + "A2,K1,2026-01-10,2026-02-09,300,\n"
    _plan, batch = importer.check_import(engine, readers.read_bytes(open_items.encode(), name="open.csv"), today=TODAY)
    assert importer.left_on_account(engine, batch) == [
        "2 payments loaded earlier are applied to 2 invoices the ledger would no longer hold after a replace (A1, "
        "A3): they would count as cash on account (the Unapplied cash page matches them to the open items). If the "
        "payments belong to the ledger replaced, replace the payments too. A file of open items only is imported in "
        "open-items mode: it settles the invoices it leaves out rather than removing them."]
    assert on_account() == ["P4"]  # a check writes nothing
    assert said(load(engine, open_items, "open.csv", mode="replace")) == [
        "2 payments loaded earlier are applied to 2 invoices the ledger no longer holds after this import (A1, A3): "
        "they count as cash on account from now on (the Unapplied cash page matches them to the open items). If the "
        "payments belong to the ledger replaced, replace the payments too. A file of open items only is imported in "
        "open-items mode: it settles the invoices it leaves out rather than removing them."]
    assert on_account() == ["P1", "P3", "P4"]
    # Said once: the next replace has nothing new to say, nor has one that keeps every invoice paid.
    assert not said(load(engine, open_items, "open.csv", mode="replace"))
    load(engine, inv, "inv.csv", mode="replace")
    assert on_account() == ["P4"]
    assert not said(load(engine, inv, "inv.csv", mode="replace"))


def test_the_ledger_source_follows_a_replace_not_an_append(engine):
    """The Data page says where the ledger came from: a replace changes that, an append adds to it."""
    from arboard import summary

    load(engine, GERMAN, "a.csv", mode="replace")
    assert summary.ledger_summary(engine).source == "a.csv"
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount\nN1,C9,2026-01-01,2026-01-31,5\n", "b.csv")
    assert summary.ledger_summary(engine).source == "a.csv"
    assert summary.import_history(engine)["source"].tolist() == ["b.csv", "a.csv"]


def test_due_date_derived_from_terms(engine):
    text = "invoice,customer,date,amount,terms\nT1,C1,2026-01-01,10,45\nT2,C1,2026-01-01,10,\n"
    result = load(engine, text, "terms.csv")
    assert invoices(engine)["due_date"].tolist() == [date(2026, 2, 15), date(2026, 1, 31)]
    assert any("derived" in n for n in result.notes)


def test_ambiguous_dates_are_asked_then_settled(engine):
    text = "invoice_id,customer_id,invoice_date,due_date,amount\nI1,C1,03/04/2026,05/06/2026,10\n"
    raw = readers.read_bytes(text.encode(), name="amb.csv")
    plan = importer.plan_import(raw)
    assert set(plan.ambiguous) == {"invoice_date", "due_date"} and not plan.ready
    plan.spec.date_formats.update({"invoice_date": "D/M/YYYY", "due_date": "D/M/YYYY"})
    importer.run_import(engine, raw, spec=plan.spec, today=TODAY)
    assert invoices(engine)["invoice_date"].tolist() == [date(2026, 4, 3)]


def test_ambiguous_column_settled_by_sibling():
    text = "invoice_id,customer_id,invoice_date,due_date,amount\nI1,C1,03/04/2026,25/06/2026,10\n"
    plan = importer.plan_import(readers.read_bytes(text.encode(), name="x.csv"))
    assert plan.ready and plan.spec.date_formats["invoice_date"] == "D/M/YYYY"


def test_excel_serial_dates(engine):
    text = "invoice_id,customer_id,invoice_date,due_date,amount\nS1,C1,46023,46053,10\n"
    load(engine, text, "serial.csv")
    assert invoices(engine)["invoice_date"].tolist() == [date(2026, 1, 1)]


def test_skip_invalid_loads_the_rest_and_reports(engine):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount\nG1,C1,2026-01-01,2026-01-31,10\n"
            "B1,C1,2026-01-01,2025-12-01,10\nG2,C1,2026-01-02,2026-02-01,abc\n")
    with pytest.raises(ArboardError) as info:
        load(engine, text, "mixed.csv")
    report = info.value.report
    assert set(report["row"]) == {3, 4}
    assert set(report["column"]) == {"due_date", "amount"}
    assert "due date before invoice date" in set(report["reason"])
    result = load(engine, text, "mixed.csv", skip_invalid=True)
    assert (result.inserted, result.rejected) == (1, 2)


def test_exact_duplicate_rows_are_loaded_once(engine):
    row = "D1,C1,2026-01-01,2026-01-31,10\n"
    result = load(engine, "invoice_id,customer_id,invoice_date,due_date,amount\n" + row + row, "dup.csv")
    assert result.inserted == 1 and result.suspicious == 1
    assert "exact repeat of row 2" in result.report["reason"].iloc[0]


def test_payments_and_contacts_enrich(engine):
    load(engine, GERMAN, "inv.csv")
    pay = "payment_id,invoice_id,customer_id,payment_date,amount,method\nP1,R-1003,K-001,2026-03-01,500,bank\n" \
          "P2,,K-002,2026-03-02,20,bank\nP3,R-404,K-001,2026-03-03,1,bank\n"
    result = load(engine, pay, "pay.csv")
    assert result.inserted == 3
    assert "unknown invoice number" in set(result.report["reason"])
    con = "contact_id,customer_id,invoice_id,contact_date,channel,kind,outcome,promised_date,promised_amount\n" \
          "K1,K-001,R-1003,2026-03-25,E-Mail,Reminder,no response,,\nK2,K-001,R-1003,2026-03-30,Phone,PTP,promised," \
          "2026-04-10,11999.99\n"
    assert load(engine, con, "contacts.csv").inserted == 2
    with engine.connect() as conn:
        rows = conn.execute(sa.select(schema.contacts.c.channel, schema.contacts.c.kind, schema.contacts.c.outcome)
                            .order_by("contact_id")).all()
    assert rows == [("email", "reminder", "no_response"), ("phone", "promise_to_pay", "promised")]


def test_a_bank_statements_remittance_text_is_kept_and_read(engine):
    from arboard import exports, unapplied

    load(engine, GERMAN, "inv.csv")
    bank = ("Zahlungsnummer;Kundennummer;Buchungsdatum;Betrag;Verwendungszweck\n"
            "Z1;K-001;01.03.2026;12.000,00;Rechnung r 1003 vielen Dank\n"
            "Z2;K-002;02.03.2026;5,00;=HYPERLINK(\"http://x\")\n"
            f"Z3;K-002;03.03.2026;6,00;{'x' * 600}\n")
    result = load(engine, bank, "bank.csv")
    assert result.inserted == 3
    assert fields.suggest_mapping(bank.splitlines()[0].split(";"), "payments")["Verwendungszweck"] == "reference"
    assert "text longer than 500 characters, cut" in set(result.report["reason"])
    with engine.connect() as conn:
        refs = dict(conn.execute(sa.select(schema.payments.c.payment_id, schema.payments.c.reference)).all())
    assert refs["Z1"] == "Rechnung r 1003 vielen Dank" and len(refs["Z3"]) == 500
    cash = unapplied.match_payments(engine, date(2026, 3, 31))
    row = cash.proposals.set_index("payment_id")
    assert (row.loc["Z1", "match"], row.loc["Z1", "invoices"]) == ("Named in the reference", "R-1003")
    # The text reaches a download neutralised, not as a formula.
    assert b"'=HYPERLINK" in exports.to_csv_bytes(unapplied.labelled(cash)["Proposals"])


def test_failed_write_changes_nothing(engine, monkeypatch):
    load(engine, GERMAN, "a.csv")
    before = snapshot(engine)
    from arboard import store

    real = store.upsert_staged

    def boom(conn, staged, **kw):
        real(conn, staged, **kw)
        if staged.target is schema.invoices:
            raise sa.exc.OperationalError("INSERT", {}, Exception("disk full"))
        return 0, 0

    monkeypatch.setattr(store, "upsert_staged", boom)
    with pytest.raises(ArboardError, match="nothing was changed"):
        load(engine, GERMAN.replace("R-10", "Z-10"), "b.csv")
    assert snapshot(engine) == before


def test_cli_import_with_mapping_file_and_replace(tmp_path, duck_url):
    f = tmp_path / "odd.csv"
    f.write_text("Ref;Debtor;Issued;Pay by;Sum\nA1;D1;02/01/2026;01/02/2026;10,5\n")
    m = tmp_path / "mapping.json"
    m.write_text(json.dumps({"kind": "invoices", "columns": {"Ref": "invoice_id", "Debtor": "customer_id",
                                                             "Issued": "invoice_date", "Pay by": "due_date",
                                                             "Sum": "amount"},
                             "date_formats": {"Issued": "D/M/YYYY", "Pay by": "D/M/YYYY"}}))
    result = CliRunner().invoke(app, ["import", str(f), "--db", duck_url, "--mapping", str(m), "--replace"])
    assert result.exit_code == 0, result.output
    assert "inserted" in result.output
    engine = db.open_database(duck_url)
    assert invoices(engine)["amount"].tolist() == [Decimal("10.50")]
    assert invoices(engine)["invoice_date"].tolist() == [date(2026, 1, 2)]


def test_cli_info_counts_paid_dates_worked_out_from_payments(tmp_path, duck_url):
    inv, pay = tmp_path / "inv.csv", tmp_path / "pay.csv"
    inv.write_text("invoice_id,customer_id,invoice_date,due_date,amount\nA1,K1,2026-01-05,2026-02-04,1000\n")
    pay.write_text("payment_id,invoice_id,customer_id,payment_date,amount\nP1,A1,K1,2026-02-20,1000\n")
    for f in (inv, pay):
        result = CliRunner().invoke(app, ["import", str(f), "--db", duck_url])
        assert result.exit_code == 0, result.output
    result = CliRunner().invoke(app, ["info", "--db", duck_url])
    assert result.exit_code == 0, result.output
    assert "invoices: 1" in result.output and "1 paid date worked out from the payments" in result.output


def test_cli_date_format_option(tmp_path, duck_url):
    f = tmp_path / "amb.csv"
    f.write_text("invoice_id,customer_id,invoice_date,due_date,amount\nI1,C1,03/04/2026,05/06/2026,10\n")
    runner = CliRunner()
    assert runner.invoke(app, ["import", str(f), "--db", duck_url]).exit_code == 1
    ok = runner.invoke(app, ["import", str(f), "--db", duck_url, "--date-format", "invoice_date=M/D/YYYY",
                             "--date-format", "due_date=M/D/YYYY"])
    assert ok.exit_code == 0, ok.output


def derived(engine) -> dict[str, list[tuple]]:
    """Every derived table as sorted rows (floats to the cent)."""
    out = {}
    with engine.connect() as conn:
        for t in schema.DERIVED_TABLES:
            rows = conn.execute(sa.select(t)).all()
            out[t.name] = sorted((tuple(round(v, 2) if isinstance(v, float) else v for v in r) for r in rows),
                                 key=repr)
    return out


def test_derived_tables_after_each_import_equal_a_full_rebuild(engine):
    """Imports compute the derived tables from the stage before writing (into an empty table, or
    replacing it) or from the tables after writing (for every customer, or those a small append
    touches); after every kind of import they must equal a rebuild from the tables themselves."""

    def check():
        got = derived(engine)
        events.refresh(engine)
        assert got == derived(engine)

    load(engine, GERMAN, "a.csv")
    check()
    # Append with an overlap: R-1002 gets paid and disputed is cleared, R-1004 is new.
    load(engine, GERMAN.replace("-99,90;EUR;;ja", "-99,90;EUR;20.02.2026;nein")
         + "K-003;R-1004;01.03.2026;31.03.2026;50,00;USD;;nein\n", "a.csv")
    check()
    # Payments: partial, without a currency (taken from the invoice), unapplied, unknown invoice.
    pay = ("payment_id,invoice_id,customer_id,payment_date,amount\nP1,R-1003,K-001,2026-03-01,500\n"
           "P2,,K-002,2026-03-02,20\nP3,R-404,K-001,2026-03-03,1\nP4,R-1004,K-003,2026-03-10,5\n")
    load(engine, pay, "pay.csv")
    check()
    with engine.connect() as conn:
        currencies = dict(conn.execute(sa.select(schema.payments.c.payment_id, schema.payments.c.currency)).all())
    assert currencies == {"P1": "EUR", "P2": "EUR", "P3": "EUR", "P4": "USD"}
    # A file without a paid-date column keeps the stored one on re-import.
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount\nR-1001,K-001,2026-01-03,2026-02-02,1300\n",
         "b.csv")
    check()
    assert invoices(engine).set_index("invoice_id").loc["R-1001", "paid_date"] == date(2026, 2, 1)
    # Customers: attributes feed the sales breakdowns.
    load(engine, "customer_id,name,country,industry\nK-001,Alpha,DE,Retail\nK-003,Gamma,FR,Food\n", "c.csv",
         kind="customers")
    check()
    # Contacts touch no derived table and leave them current.
    load(engine, "contact_id,customer_id,contact_date,channel,kind\nK1,K-001,2026-03-25,email,reminder\n", "k.csv")
    with engine.connect() as conn:
        assert db.get_meta(conn, "events_version") == db.get_meta(conn, "data_version")
    check()
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount\nN1,C9,2026-01-01,2026-01-31,5\n", "n.csv",
         mode="replace")
    check()


def test_small_appends_refresh_only_their_customers_and_match_a_full_rebuild(engine, monkeypatch):
    """Appends to a ledger refresh the events of the customers they touch only; whatever they
    change (paid dates, customers, amounts, payments that become applied), the derived tables must
    equal a full rebuild."""
    generate.write_sample(engine, SMALL_SAMPLE)
    refreshed = []
    real = events._refresh_customers
    monkeypatch.setattr(events, "_refresh_customers", lambda *a, **k: (refreshed.append(1), real(*a, **k)))
    settled = []  # imports after which payments settled invoices: those refresh their customers once more
    real_settle = importer._settle_from_payments

    def settle(*args):
        found = real_settle(*args)
        settled.append(found is not None)
        return found

    monkeypatch.setattr(importer, "_settle_from_payments", settle)
    monkeypatch.setattr(importer, "INCREMENTAL_SHARE", 0.5)
    monkeypatch.setattr(importer, "INCREMENTAL_MIN_LEDGER", 0)
    monkeypatch.setattr(importer, "INCREMENTAL_CUSTOMER_SHARE", 1.0)
    with engine.connect() as conn:
        old = pd.DataFrame(conn.execute(sa.select(schema.invoices).order_by("invoice_id").limit(40)).mappings().all())
        pays = pd.DataFrame(conn.execute(sa.select(schema.payments).order_by("payment_id").limit(5)).mappings().all())

    def check():
        got = derived(engine)
        events.refresh(engine)
        assert got == derived(engine)

    header = "invoice_id,customer_id,invoice_date,due_date,amount,currency,paid_date,disputed\n"
    rows = []
    for n, r in enumerate(old.itertuples()):
        paid = "" if n % 3 == 0 else (r.paid_date or r.due_date).isoformat()  # reopen a third, settle the rest
        customer = "C-NEW-1" if n % 5 == 0 else r.customer_id  # and move some to another customer
        rows.append(f"{r.invoice_id},{customer},{r.invoice_date},{r.due_date},{float(r.amount) + n},{r.currency},"
                    f"{paid},{'yes' if n % 4 == 0 else 'no'}")
    rows.append("NEW-1,C-NEW-2,2026-09-01,2026-10-01,500,EUR,,no")
    load(engine, header + "\n".join(rows) + "\n", "changes.csv")
    assert refreshed
    check()
    # A payment for an invoice nobody has loaded yet is unapplied cash ...
    load(engine, "payment_id,invoice_id,customer_id,payment_date,amount\nPX-1,LATE-1,C-NEW-3,2026-09-10,70\n"
         + "".join(f"{p.payment_id},NEW-1,C-NEW-2,2026-09-15,{float(p.amount)}\n" for p in pays.itertuples()),
         "pay.csv")
    check()
    # ... until the invoice arrives, for another customer: then it lowers that invoice.
    load(engine, header + "LATE-1,C-NEW-4,2026-09-01,2026-10-01,100,EUR,,no\n", "late.csv")
    check()
    # Reopened invoices that payments cover, and NEW-1 once paid, are settled again; LATE-1 (70 of 100) is not.
    assert settled == [True, True, False]
    assert len(refreshed) == 3 + sum(settled)


_DAY0 = date(2025, 1, 1)


@st.composite
def _invoice_rows(draw, ids, customers):
    rows = []
    for i in ids:
        d0 = _DAY0 + timedelta(days=draw(st.integers(0, 500)))
        due = d0 + timedelta(days=draw(st.sampled_from([0, 30])))
        settled = draw(st.one_of(st.none(), st.integers(0, 120)))
        paid = "" if settled is None else d0 + timedelta(days=settled)
        rows.append(f"{i},{draw(st.sampled_from(customers))},{d0},{due},{draw(st.integers(-5_000, 90_000)) / 100},"
                    f"EUR,{paid},{draw(st.sampled_from(['yes', 'no']))}")
    return "invoice_id,customer_id,invoice_date,due_date,amount,currency,paid_date,disputed\n" + "\n".join(rows) + "\n"


@st.composite
def _payment_rows(draw, ids, invoices, customers):
    rows = [f"{p},{draw(st.sampled_from([*invoices, 'X1', 'X2', '']))},{draw(st.sampled_from(customers))},"
            f"{_DAY0 + timedelta(days=draw(st.integers(0, 600)))},{draw(st.integers(1, 20_000)) / 100}" for p in ids]
    return "payment_id,invoice_id,customer_id,payment_date,amount\n" + "\n".join(rows) + "\n"


@st.composite
def _appends(draw):
    customers = ["C0", "C1", "C2", "C3"]
    base = [f"I{i}" for i in range(draw(st.integers(4, 10)))]
    steps = [("inv", draw(_invoice_rows(base, customers))),
             ("pay", draw(_payment_rows([f"P{i}" for i in range(draw(st.integers(0, 6)))], base, customers)))]
    for n in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):  # change some invoices, add some, maybe the ones payments name as X1/X2
            ids = draw(st.lists(st.sampled_from([*base, "X1", "X2", f"N{n}"]), min_size=1, max_size=4, unique=True))
            steps.append(("inv", draw(_invoice_rows(ids, [*customers, "C9"]))))
        else:  # new payments and changes to earlier ones
            ids = draw(st.lists(st.sampled_from(["P0", "P1", "P2", f"Q{n}"]), min_size=1, max_size=3, unique=True))
            steps.append(("pay", draw(_payment_rows(ids, base, [*customers, "C9"]))))
    return steps


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=_appends())
def test_incremental_refresh_matches_a_full_rebuild_on_random_appends(engine, steps, monkeypatch):
    monkeypatch.setattr(importer, "INCREMENTAL_SHARE", 1.0)
    monkeypatch.setattr(importer, "INCREMENTAL_MIN_LEDGER", 0)
    monkeypatch.setattr(importer, "INCREMENTAL_CUSTOMER_SHARE", 1.0)
    with engine.begin() as conn:
        for t in (*schema.LEDGER_TABLES.values(), *schema.DERIVED_TABLES):
            conn.execute(sa.delete(t))
    for kind, text in steps:
        try:
            load(engine, text, f"{kind}.csv", kind="invoices" if kind == "inv" else "payments", skip_invalid=True)
        except ArboardError:
            continue  # every row rejected (e.g. a paid date before its invoice date): nothing changed
        got = derived(engine)
        events.refresh(engine)
        assert got == derived(engine), (kind, text)


def test_an_append_touching_many_customers_takes_the_full_rebuild(duck_engine, monkeypatch):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    refreshed = []
    real = events._refresh_customers
    monkeypatch.setattr(events, "_refresh_customers", lambda *a, **k: (refreshed.append(1), real(*a, **k)))
    monkeypatch.setattr(importer, "INCREMENTAL_MIN_LEDGER", 0)
    with duck_engine.connect() as conn:
        customers = conn.execute(sa.select(schema.customers.c.customer_id).order_by("customer_id")).scalars().all()
    header = "invoice_id,customer_id,invoice_date,due_date,amount\n"
    few = "".join(f"NEW-{c},{c},2026-10-01,2026-10-31,10\n" for c in customers[:5])
    load(duck_engine, header + few, "few.csv")
    assert refreshed == [1]
    many = "".join(f"MORE-{c},{c},2026-10-01,2026-10-31,10\n" for c in customers[: len(customers) // 2])
    load(duck_engine, header + many, "many.csv")  # half the debtors: a full rebuild is cheaper
    assert refreshed == [1]
    got = derived(duck_engine)
    events.refresh(duck_engine)
    assert got == derived(duck_engine)


def test_payments_settle_invoices_that_came_without_a_paid_date(engine):
    """An ERP's invoice list without a clearing date, and the payments applied to it (either file first):
    an invoice paid in full is settled on the day its payments covered it, the rest stay open."""
    inv = ("invoice_id,customer_id,invoice_date,due_date,amount\nA1,K1,2026-01-05,2026-02-04,1000\n"
           "A2,K1,2026-01-10,2026-02-09,300\nA3,K2,2026-01-12,2026-02-11,80\n")
    pay = ("payment_id,invoice_id,customer_id,payment_date,amount\nP1,A1,K1,2026-02-01,400\n"
           "P2,A1,K1,2026-02-20,600\nP3,A2,K1,2026-02-15,100\nP4,A3,K2,2026-01-12,80\n")
    load(engine, inv, "inv.csv")
    result = load(engine, pay, "pay.csv")
    assert any(note.startswith("2 invoices without a paid date are paid in full by the payments loaded")
               for note in result.notes)  # A1 and A3
    paid = invoices(engine).set_index("invoice_id")["paid_date"]
    assert paid["A1"] == date(2026, 2, 20) and paid["A3"] == date(2026, 1, 12) and pd.isna(paid["A2"])
    # The other way round: the payments first (their invoices unknown yet), then the invoices.
    load(engine, pay.replace("A", "B").replace("P", "Q"), "pay2.csv")  # invoices B1-B3, payments Q1-Q4
    result = load(engine, inv.replace("A", "B"), "inv2.csv")
    assert any("paid in full by the payments loaded" in note for note in result.notes)
    paid = invoices(engine).set_index("invoice_id")["paid_date"]
    assert paid["B1"] == date(2026, 2, 20) and pd.isna(paid["B2"])
    # A paid date the file gives is kept; the balance events agree with a rebuild from the tables.
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
                 "A2,K1,2026-01-10,2026-02-09,300,2026-03-01\n", "a2.csv")
    assert invoices(engine).set_index("invoice_id").loc["A2", "paid_date"] == date(2026, 3, 1)
    got = derived(engine)
    events.refresh(engine)
    assert got == derived(engine)


def test_paid_dates_taken_from_payments_follow_the_payments(engine):
    """A paid date arboard derived from payments is withdrawn when those payments change: a bounced
    direct debit, a payment re-applied to another invoice, a payments file that replaces the last one.
    A paid date the invoice file gives is the ERP's word and stays."""
    head = "payment_id,invoice_id,customer_id,payment_date,amount\n"
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount\nA1,K1,2026-01-05,2026-02-04,1000\n"
                 "A2,K1,2026-01-10,2026-02-09,300\n", "inv.csv")
    load(engine, head + "P1,A1,K1,2026-02-01,400\nP2,A1,K1,2026-02-20,600\nP3,A2,K1,2026-02-15,300\n", "pay.csv")

    def paid(invoice_id):
        row = invoices(engine).set_index("invoice_id").loc[invoice_id]
        return (None if pd.isna(row["paid_date"]) else row["paid_date"]), row["paid_from_payments"]

    def consistent():
        got = derived(engine)
        events.refresh(engine)
        assert got == derived(engine)

    assert paid("A1") == (date(2026, 2, 20), True) and paid("A2") == (date(2026, 2, 15), True)
    assert summary.ledger_summary(engine).derived_paid_dates == 2  # the Data page says so
    # The bank reverses P2: A1 is open again, for the 600 the reversal takes back.
    result = load(engine, head + "P4,A1,K1,2026-03-03,-600\n", "bounce.csv")
    assert paid("A1")[0] is None and paid("A2")[0] == date(2026, 2, 15)
    assert any(n.startswith("1 invoice settled earlier from the payments loaded is open again") for n in result.notes)
    consistent()
    # Paid again on 10 March: settled from then on, not from the reversed payment of 20 February.
    load(engine, head + "P5,A1,K1,2026-03-10,600\n", "again.csv")
    assert paid("A1") == (date(2026, 3, 10), True)
    # P3 belonged to another invoice: A2, which it alone paid, is open again.
    load(engine, head + "P3,A9,K1,2026-02-15,300\n", "moved.csv")
    assert paid("A2")[0] is None
    consistent()
    # A payments file that replaces the last one, without the bounce: A1 settles on 20 February again.
    result = load(engine, head + "P1,A1,K1,2026-02-01,400\nP2,A1,K1,2026-02-20,600\n", "all.csv", mode="replace")
    assert paid("A1") == (date(2026, 2, 20), True)
    assert any(n.startswith("1 invoice settled earlier from the payments loaded is now settled on another day")
               for n in result.notes)
    consistent()
    # The invoice file's own date wins and is not withdrawn by later payments.
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
                 "A1,K1,2026-01-05,2026-02-04,1000,2026-02-21\n", "a1.csv")
    load(engine, head + "P1,A1,K1,2026-02-01,400\n", "only.csv", mode="replace")
    assert paid("A1")[0] == date(2026, 2, 21) and not paid("A1")[1]
    consistent()


# QuickBooks' A/R Aging Detail: titles, a heading per aging group, "Total for ..." lines, a grand total,
# and the open balance beside the invoice amount (1031 is part paid: 800 invoiced, 450 open).
AGING_REPORT = """Acme Trading Ltd
A/R Aging Detail
As of November 20, 2026

,Date,Transaction Type,Num,Customer,Due Date,Amount,Open Balance
Current,,,,,,,
,11/02/2026,Invoice,1045,Baker & Sons,12/02/2026,"1,200.00","1,200.00"
,11/10/2026,Credit Memo,1046,Cole Ltd,11/10/2026,-300.00,-120.00
Total for Current,,,,,,"900.00","1,080.00"
1 - 30 days past due,,,,,,,
,10/01/2026,Invoice,1031,Baker & Sons,10/31/2026,800.00,{open}
Total for 1 - 30 days past due,,,,,,800.00,{open}
TOTAL,,,,,,"1,700.00",{total}
"""


def aging_report(open_1031: float) -> str:
    return AGING_REPORT.format(open=f"{open_1031:.2f}", total=f'"{1080 + open_1031:,.2f}"')


def open_balance(engine, as_of: date) -> float:
    from arboard import aging

    return round(float(aging.aging_by_customer(engine, as_of)["total"].sum()), 2)


def payments(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(schema.payments).order_by("payment_date", "payment_id"))
                            .mappings().all())


def test_an_aging_reports_open_balances_become_dated_payments(engine):
    def check():
        got = derived(engine)
        events.refresh(engine)
        assert got == derived(engine)

    first = load(engine, aging_report(450), "aging.csv", open_on=date(2026, 11, 20))
    assert first.inserted == 3 and first.rejected == 0
    said = " ".join(first.notes)
    assert "3 subtotal or total lines (lines 9, 12, 13), 2 group headings (lines 6, 10)" in said
    assert "“Amount” total on line 13 says 1,700.00; its 3 invoices add up to the same" in said
    assert "“Open Balance” total on line 13 says 1,530.00; its 3 invoices add up to the same" in said
    assert "2 invoices have an open amount the payments loaded do not explain" in said
    paid = payments(engine)
    assert paid["invoice_id"].tolist() == ["1031", "1046"]
    assert paid["amount"].tolist() == [Decimal("350.00"), Decimal("-180.00")]  # a credit note part used
    assert set(paid["payment_date"]) == {date(2026, 11, 20)} and set(paid["currency"]) == {"EUR"}
    assert paid["payment_id"].str.startswith(schema.OPEN_AMOUNT_PREFIX).all()
    assert open_balance(engine, date(2026, 11, 20)) == 1530.00  # the report's open balance
    assert open_balance(engine, date(2026, 11, 19)) == 1700.00  # before it: open in full
    check()
    # A week later 1031 has 100 left: a payment of the 350 paid since, dated then; the others unchanged.
    load(engine, aging_report(100), "aging.csv", open_on=date(2026, 11, 27), today=date(2026, 11, 28))
    assert payments(engine)["amount"].tolist() == [Decimal("350.00"), Decimal("-180.00"), Decimal("350.00")]
    assert open_balance(engine, date(2026, 11, 27)) == 1180.00
    assert open_balance(engine, date(2026, 11, 20)) == 1530.00
    check()
    # Then nothing left: paid in full on the report's date. The same file again records nothing more.
    for _ in range(2):
        load(engine, aging_report(0), "aging.csv", open_on=date(2026, 12, 4), today=date(2026, 12, 4))
    assert len(payments(engine)) == 4
    got = invoices(engine).set_index("invoice_id")
    assert got.loc["1031", "paid_date"] == date(2026, 12, 4) and got.loc["1031", "paid_from_payments"]
    check()
    # The real payments file takes the place of what the open amounts said, for its invoices.
    result = load(engine, "payment_id,invoice_id,customer_id,payment_date,amount\n"
                          "P1,1031,Baker & Sons,2026-11-18,700\nP2,1031,Baker & Sons,2026-12-01,100\n", "pay.csv",
                  today=date(2026, 12, 4))
    assert "3 payments recorded from an invoices file's open amounts gave way" in " ".join(result.notes)
    assert payments(engine)["invoice_id"].tolist() == ["1031", "1046", "1031"]  # P1, the credit note's, P2
    assert payments(engine)["payment_id"].iloc[[0, 2]].tolist() == ["P1", "P2"]
    assert invoices(engine).set_index("invoice_id").loc["1031", "paid_date"] == date(2026, 12, 1)
    check()
    # Replacing the invoices starts again from the payments loaded.
    again = load(engine, aging_report(800), "aging.csv", mode="replace", today=date(2026, 12, 4))
    assert "For 1 of them the file says more is open than the payments leave" in " ".join(again.notes)
    paid = payments(engine)
    assert paid["payment_id"].iloc[:2].tolist() == ["P1", "P2"]
    # The report says 1031 is all open again (a payment of 800 taken back), and the credit note 120.
    assert paid[["invoice_id", "amount"]].iloc[2:].values.tolist() == [["1031", Decimal("-800.00")],
                                                                        ["1046", Decimal("-180.00")]]
    assert open_balance(engine, date(2026, 12, 4)) == 1880.00
    check()


def test_open_amounts_that_say_nothing_of_part_payments_are_reported(engine):
    text = ("invoice_id,customer_id,invoice_date,due_date,amount,open_amount,paid_date\n"
            "A1,C1,2026-01-01,2026-01-31,100,150,\n"  # more open than invoiced
            "A2,C1,2026-01-01,2026-01-31,100,-5,\n"  # below nothing
            "A3,C1,2026-01-01,2026-01-31,100,40,2026-02-01\n"  # paid, yet something open: the paid date counts
            "A4,C1,2026-01-01,2026-01-31,100,100,\n"  # open in full: nothing paid
            "A5,C1,2026-01-01,2026-01-31,100,0,2026-02-01\n")  # paid, nothing open
    before = snapshot(engine)
    with pytest.raises(ArboardError, match="after today"):
        load(engine, text, "open.csv", open_on=TODAY + timedelta(days=1))
    assert snapshot(engine) == before
    result = load(engine, text, "open.csv")
    assert result.report[["row", "column", "reason"]].values.tolist() == [
        [2, "open_amount", "open amount not between nothing and the invoice amount; not used"],
        [3, "open_amount", "open amount not between nothing and the invoice amount; not used"],
        [4, "open_amount", "open amount on an invoice with a paid date; the paid date counts"]]
    assert payments(engine).empty


def test_cli_import_dates_the_open_amounts(tmp_path, duck_url):
    f = tmp_path / "aging.csv"
    f.write_text(aging_report(450))
    result = CliRunner().invoke(app, ["import", str(f), "--db", duck_url, "--open-as-of", "2026-11-20"])
    assert result.exit_code == 0, result.output
    assert "recorded as a payment on 2026-11-20" in " ".join(result.output.split())
    bad = CliRunner().invoke(app, ["import", str(f), "--db", duck_url, "--open-as-of", "20.11.2026"])
    assert bad.exit_code == 2 and "--open-as-of must be a date" in bad.output


@pytest.mark.parametrize(("written", "fmt", "expected"), [
    (["15 Nov 2026", "02 Sep 2026"], "D Mon YYYY", [date(2026, 11, 15), date(2026, 9, 2)]),  # Xero, UK
    (["15-NOV-26", "01-MAR-26"], "D Mon YYYY", [date(2026, 11, 15), date(2026, 3, 1)]),  # Oracle
    (["15. März 2026", "1. Mai 2026"], "D Mon YYYY", [date(2026, 3, 15), date(2026, 5, 1)]),
    (["15 juin 2026", "3 févr. 2026"], "D Mon YYYY", [date(2026, 6, 15), date(2026, 2, 3)]),
    (["3-ene-2026", "15-dic-2026"], "D Mon YYYY", [date(2026, 1, 3), date(2026, 12, 15)]),
    (["Nov 15, 2026", "Mar 1, 2026 14:05"], "Mon D, YYYY", [date(2026, 11, 15), date(2026, 3, 1)]),
])
def test_dates_with_month_names(written, fmt, expected):
    from arboard import dates

    column = pd.Series(written)
    assert dates.detect_format(column).format == fmt
    assert [d.date() for d in dates.parse(column, fmt)[0]] == expected
    _values, bad = dates.parse(pd.Series(["31 Feb 2026", "15 Noo 2026"]), "D Mon YYYY")
    assert bad.all()


def test_weekly_open_items_settle_what_they_no_longer_list(engine):
    def check():
        got = derived(engine)
        events.refresh(engine)
        assert got == derived(engine)

    week1, week2, week3 = date(2026, 11, 20), date(2026, 11, 27), date(2026, 12, 4)
    load(engine, aging_report(450), "aging.csv", mode="open-items", open_on=week1)
    # An invoice issued after the next report's date is not on it, and stays open.
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount\nLATE,Cole Ltd,2026-11-30,2026-12-30,70\n",
         "late.csv", today=date(2026, 11, 30))
    paid_off = aging_report(450).replace(',11/02/2026,Invoice,1045,Baker & Sons,12/02/2026,"1,200.00","1,200.00"\n',
                                         "")
    raw = readers.read_bytes(paid_off.encode(), name="aging.csv")
    _plan, batch = importer.check_import(engine, raw, today=week2)
    assert importer.unlisted_count(engine, batch, on=week2) == importer.Unlisted(1, 3)
    assert not importer.Unlisted(1, 3).most and importer.Unlisted(2, 3).most
    before = snapshot(engine)
    with pytest.raises(ArboardError, match="Only an invoices file"):
        load(engine, "payment_id,invoice_id,customer_id,payment_date,amount\nP1,1031,Baker & Sons,2026-11-21,1\n",
             "pay.csv", mode="open-items", today=week2)
    assert snapshot(engine) == before
    result = importer.run_import(engine, raw, mode="open-items", open_on=week2, today=week2)
    assert "1 invoice open in arboard is not on this list of open items: settled on 2026-11-27" in " ".join(
        result.notes)
    got = invoices(engine).set_index("invoice_id")
    assert got.loc["1045", ["paid_date", "paid_from_open_items"]].tolist() == [week2, True]
    assert pd.isna(got.loc["LATE", "paid_date"]) and pd.isna(got.loc["1031", "paid_date"])
    assert open_balance(engine, week2) == 1530.00 - 1200.00
    assert open_balance(engine, week1) == 1530.00  # the week before, it was still open
    from arboard import timeline
    settled = timeline.debtor_timeline(engine, "Baker & Sons", as_of=week2)
    assert settled["detail"].str.contains("no longer on the open items reported that day").any()
    led = summary.ledger_summary(engine)  # the Data page and arboard info say what was worked out
    assert (led.open_items_settled, led.open_amount_payments, led.derived_paid_dates) == (1, 2, 0)
    check()
    # A week later it is listed again (the earlier report was cut short): open again.
    load(engine, aging_report(450), "aging.csv", mode="open-items", open_on=week3, today=week3)
    got = invoices(engine).set_index("invoice_id")
    assert pd.isna(got.loc["1045", "paid_date"])
    assert got.loc["LATE", "paid_date"] == week3  # issued by now, and not on this report
    check()
    # A rejected row still lists its invoice: loading the rest settles only what the file leaves out.
    broken = aging_report(450).replace(",11/10/2026,Credit Memo,1046,Cole Ltd,11/10/2026,-300.00,",
                                       ",11/10/2026,Credit Memo,1046,Cole Ltd,11/10/2026,minus 300,")
    result = load(engine, broken, "aging.csv", mode="open-items", open_on=week3, today=week3, skip_invalid=True)
    assert result.rejected == 1 and not any("not on this list" in n for n in result.notes)
    assert invoices(engine).set_index("invoice_id")["paid_date"].isna().to_dict() == {
        "1031": True, "1045": True, "1046": True, "LATE": False}
    check()


def test_open_items_leave_settled_what_an_invoices_file_settled(engine):
    """A list of open items does not reopen an invoice an invoices file gave a paid date by the list's
    date: it stays settled, and the note says so (the ERP may have reopened it)."""
    week1, week3 = date(2026, 11, 20), date(2026, 12, 4)
    load(engine, aging_report(450), "aging.csv", mode="open-items", open_on=week1, today=week1)
    load(engine, "invoice_id,customer_id,invoice_date,due_date,amount,paid_date\n"
                 "1045,Baker & Sons,2026-11-02,2026-12-02,1200,2026-11-25\n", "paid.csv", today=week3)
    # Listed as of a day before it was paid, it was open then: nothing to say.
    result = load(engine, aging_report(450), "aging.csv", mode="open-items", open_on=date(2026, 11, 24), today=week3)
    assert not any("was settled by" in n for n in result.notes)
    result = load(engine, aging_report(450), "aging.csv", mode="open-items", open_on=week3, today=week3)
    said = " ".join(result.notes)
    assert "1 invoice on this list of open items was settled by 2026-12-04 according to what was loaded" in said
    assert invoices(engine).set_index("invoice_id").loc["1045", "paid_date"] == date(2026, 11, 25)
    # Settled from its payments, the list's open amount says more is open: a payment taken back reopens it.
    load(engine, "payment_id,invoice_id,customer_id,payment_date,amount\nP9,1031,Baker & Sons,2026-11-25,800\n",
         "pay.csv", today=week3)
    assert invoices(engine).set_index("invoice_id").loc["1031", "paid_date"] == date(2026, 11, 25)
    result = load(engine, aging_report(450), "aging.csv", mode="open-items", open_on=week3, today=week3)
    assert pd.isna(invoices(engine).set_index("invoice_id").loc["1031", "paid_date"])
    assert "1 invoice settled earlier from the payments loaded is open again" in " ".join(result.notes)


def test_a_report_older_than_the_last_one_is_refused(engine):
    """Last week's aging report loaded after this week's would take back the payments since and reopen
    what was settled: refused, with nothing changed; the same day again, or a replace, is fine."""
    week1, week2 = date(2026, 11, 20), date(2026, 11, 27)
    load(engine, aging_report(450), "aging.csv", mode="open-items", open_on=week1, today=week2)
    shorter = aging_report(300).replace(',11/10/2026,Credit Memo,1046,Cole Ltd,11/10/2026,-300.00,-120.00\n', "")
    load(engine, shorter, "aging.csv", mode="open-items", open_on=week2, today=week2)
    with engine.connect() as conn:
        assert importer.last_report_date(conn) == week2
    before = snapshot(engine)
    raw = readers.read_bytes(aging_report(450).encode(), name="aging.csv")
    _plan, batch = importer.check_import(engine, raw, today=week2)
    said = importer.report_out_of_order(engine, batch, "open-items", week1)
    assert said.startswith("The report date 2026-11-20 is before that of the last report loaded, 2026-11-27.")
    for mode in ("open-items", "append"):  # open amounts alone are dated by the report too
        with pytest.raises(ArboardError, match="Load reports in date order"):
            load(engine, aging_report(450), "aging.csv", mode=mode, open_on=week1, today=week2)
        assert snapshot(engine) == before
    # A file without open amounts names no report date: it loads whenever.
    plain = "invoice_id,customer_id,invoice_date,due_date,amount\nN1,Cole Ltd,2026-11-01,2026-12-01,10\n"
    assert load(engine, plain, "new.csv", today=week2).inserted == 1
    # The same day again (a corrected report) loads; so does the older one as a replace, which starts over.
    load(engine, shorter, "aging.csv", mode="open-items", open_on=week2, today=week2)
    load(engine, aging_report(450), "aging.csv", mode="replace", open_on=week1, today=week2)
    with engine.connect() as conn:
        assert importer.last_report_date(conn) == week1
    load(engine, plain, "full.csv", mode="replace", today=week2)  # a ledger with no report behind it
    with engine.connect() as conn:
        assert importer.last_report_date(conn) is None


def test_the_last_report_date_of_a_database_from_before_it_was_kept(engine):
    from arboard.db import set_meta

    load(engine, aging_report(450), "aging.csv", open_on=date(2026, 11, 20), today=date(2026, 11, 27))
    with engine.begin() as conn:
        conn.execute(sa.delete(schema.meta).where(schema.meta.c.key == importer.REPORT_DATE_KEY))
        assert importer.last_report_date(conn) == date(2026, 11, 20)  # the open-amount payments' date
        set_meta(conn, importer.REPORT_DATE_KEY, "")
        assert importer.last_report_date(conn) is None


def test_cli_open_items(tmp_path, duck_url):
    f = tmp_path / "aging.csv"
    f.write_text(aging_report(450))
    run = CliRunner().invoke
    refused = run(app, ["import", str(f), "--db", duck_url, "--open-items", "--replace"])
    assert refused.exit_code == 1 and "exclude each other" in refused.output
    done = run(app, ["import", str(f), "--db", duck_url, "--open-items", "--open-as-of", "2026-11-20"])
    assert done.exit_code == 0, done.output
    shorter = tmp_path / "aging2.csv"
    shorter.write_text(aging_report(450).replace(',11/10/2026,Credit Memo,1046,Cole Ltd,11/10/2026,-300.00,-120.00\n',
                                                 ""))
    done = run(app, ["import", str(shorter), "--db", duck_url, "--open-items", "--open-as-of", "2026-11-21"])
    assert done.exit_code == 0 and "1 invoice open in arboard is not on this list" in " ".join(done.output.split())
    said = " ".join(run(app, ["info", "--db", duck_url]).output.split())
    assert "1 invoice settled on the date of an open-items report" in said
    assert "2 payments recorded from the open amounts" in said
    assert "last report of open items or open amounts: 2026-11-21" in said
    older = run(app, ["import", str(f), "--db", duck_url, "--open-items", "--open-as-of", "2026-11-19"])
    assert older.exit_code == 1 and "before that of the last report loaded, 2026-11-21" in " ".join(
        older.output.split())


@pytest.mark.parametrize(("written", "decimal", "expected"), [
    (["EUR 1,234.56", "1,234.56 €", "-$12.50", "$-12.50", "(€12.50)", "12.50 USD", "CHF 1'234.50", "12.50-",
      "1 234.56 kr", "usd 5"], ".", [1234.56, 1234.56, -12.5, -12.5, -12.5, 12.5, 1234.5, -12.5, 1234.56, 5.0]),
    (["1.234,56 €", "€ -12,50", "12,50 EUR-", "1 234,56 kr"], ",", [1234.56, -12.5, -12.5, 1234.56]),
    (["1,234.56 CR", "1,234.56 Dr", "50.00 cr.", "EUR 10.00 CR"], ".", [-1234.56, 1234.56, -50.0, -10.0]),
])
def test_amounts_with_their_currency(written, decimal, expected):
    from arboard import amounts

    values, bad = amounts.parse(pd.Series(written), decimal=decimal)
    assert values.tolist() == pytest.approx(expected) and not bad.any()


def test_words_around_a_number_make_it_no_amount():
    """Only a currency may stand beside the number: "minus 300" is not 300, nor "1.5 million" 1.5."""
    from arboard import amounts

    values, bad = amounts.parse(pd.Series(["minus 300", "1.5 million", "abc300", "12abc34", "300"]), decimal=".")
    assert bad.tolist() == [True, True, True, True, False] and values.iloc[-1] == 300
