"""ERP reports with their layout: SAP's framed list (rules, page breaks, subtotals), totals rows, blank lines."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import importer, readers, schema, skiprows
from arboard.cli import app
from arboard.errors import ArboardError
from arboard.fields import suggest_mapping
from tests.conftest import snapshot

TODAY = date(2026, 11, 22)
HEADER = "|  Customer|DocumentNo|Doc. Date |Net due dt|  Amount in DC|Curr.|Clearing  |Clrng doc.|"
RULE = "-" * len(HEADER)
# SAP's FBL5N in the "unconverted" list format: two pages, a subtotal per customer, a grand total per
# currency, decimal comma and SAP's trailing minus. Line numbers in the comments.
FBL5N = "\r\n".join([
    "Customer Line Item Display",  # 1
    "",  # 2
    RULE,  # 3
    HEADER,  # 4
    RULE,  # 5
    "|   1000012|1800000012|01.02.2026|03.03.2026|      1.234,56|EUR  |15.03.2026|1400000001|",  # 6
    "|   1000012|1800000013|05.02.2026|07.03.2026|        500,00|EUR  |          |          |",  # 7
    "|   1000012|1800000014|06.02.2026|08.03.2026|        100,00-|EUR  |          |          |",  # 8
    "|*  1000012|          |          |          |      1.634,56|EUR  |          |          |",  # 9
    RULE,  # 10
    "",  # 11
    "Customer Line Item Display                      Page 2",  # 12
    "",  # 13
    RULE,  # 14
    HEADER,  # 15
    RULE,  # 16
    "|   1000013|1800000015|01.03.2026|31.03.2026|     10.000,00|USD  |          |          |",  # 17
    "|*  1000013|          |          |          |     10.000,00|USD  |          |          |",  # 18
    RULE,  # 19
    "|** Total  |          |          |          |      1.634,56|EUR  |          |          |",  # 20
    "|** Total  |          |          |          |     10.000,00|USD  |          |          |",  # 21
    RULE,  # 22
]) + "\r\n"


def invoices(engine) -> pd.DataFrame:
    with engine.connect() as conn:
        return pd.DataFrame(conn.execute(sa.select(schema.invoices).order_by("invoice_id")).mappings().all())


def read(text: str, name: str = "fbl5n.txt") -> readers.RawTable:
    return readers.read_bytes(text.encode("cp1252"), name=name)


def test_sap_list_loads_its_line_items_and_checks_its_totals(engine):
    raw = read(FBL5N)
    assert raw.columns == ["Customer", "DocumentNo", "Doc. Date", "Net due dt", "Amount in DC", "Curr.", "Clearing",
                           "Clrng doc."]  # the empty columns outside the frame are gone
    result = importer.run_import(engine, raw, today=TODAY)
    assert (result.rows_read, result.inserted, result.rejected) == (4, 4, 0)
    got = invoices(engine).set_index("invoice_id")
    assert got["amount"].tolist() == [Decimal("1234.56"), Decimal("500.00"), Decimal("-100.00"), Decimal("10000.00")]
    assert got["currency"].tolist() == ["EUR", "EUR", "EUR", "USD"]
    # The due dates are the file's (not derived from terms), the clearing date is the paid date.
    assert got.loc["1800000014", "due_date"] == date(2026, 3, 8)
    assert got.loc["1800000012", "paid_date"] == date(2026, 3, 15)
    assert got["paid_date"].isna().sum() == 3
    assert not any("derived" in n for n in result.notes)
    said = " ".join(result.notes)
    assert "skipped 4 subtotal or total lines (lines 9, 18, 20, 21): the export's layout" in said
    assert "skipped 9 lines outside the list's frame (titles, page headings, rules) and 1 repeated header" in said
    assert "line 20 says 1,634.56 EUR; its 3 invoices in EUR add up to the same" in said
    assert "line 21 says 10,000.00 USD; its invoice in USD adds up to the same" in said
    assert result.warnings == []


def test_a_total_the_rows_do_not_add_up_to_is_a_warning(engine):
    cut = FBL5N.replace("|   1000012|1800000013|05.02.2026|07.03.2026|        500,00|EUR  |          |          |\r\n",
                        "")
    result = importer.run_import(engine, read(cut), today=TODAY)
    assert result.inserted == 3
    assert result.warnings == [
        "the file's “Amount in DC” total on line 19 says 1,634.56 EUR, but its 2 invoices in EUR add up to "
        "1,134.56 EUR (a difference of -500.00 EUR): check that the export is complete (a filter, a page limit) "
        "and that no row was rejected"]


def test_cli_import_says_when_the_total_differs(tmp_path, duck_url):
    f = tmp_path / "fbl5n.txt"
    grand = "|** Total  |          |          |          |      1.634,56|EUR"
    f.write_bytes(FBL5N.replace(grand, grand.replace("1.634,56", "1.635,56")).encode("cp1252"))
    result = CliRunner().invoke(app, ["import", str(f), "--db", duck_url])
    assert result.exit_code == 0, result.output
    assert "total on line 20 says 1,635.56 EUR, but its 3 invoices in EUR add up to 1,634.56 EUR" in " ".join(
        result.output.split())


def test_a_broken_line_item_in_a_list_is_rejected_at_its_own_line(engine):
    broken = FBL5N.replace("|   1000013|1800000015|01.03.2026|31.03.2026|",
                           "|   1000013|          |01.03.2026|31.03.2026|")
    before = snapshot(engine)
    with pytest.raises(ArboardError) as info:
        importer.run_import(engine, read(broken), today=TODAY)
    report = info.value.report
    assert report[["row", "column", "reason"]].values.tolist() == [[17, "DocumentNo", "missing identifier"]]
    assert "1 of 4 rows were rejected" in str(info.value)
    assert snapshot(engine) == before


def test_totals_and_blank_lines_of_a_spreadsheet_export(engine):
    text = ("Invoice No,Customer,Invoice Date,Due Date,Amount,Currency\n"
            "A1,C1,2026-01-01,2026-01-31,100.00,EUR\n"
            "A2,C2,2026-01-02,2026-02-01,50.50,EUR\n"
            ",,,,,\n"
            "Total,,,,150.50,EUR\n")
    result = importer.run_import(engine, readers.read_bytes(text.encode(), name="open items.csv"), today=TODAY)
    assert (result.rows_read, result.inserted, result.rejected) == (2, 2, 0)
    assert "skipped 1 subtotal or total line (line 5), 1 blank line (line 4)" in result.notes[0]
    assert "its 2 invoices in EUR add up to the same" in result.notes[1]


def test_a_line_without_number_or_date_is_a_total_only_when_it_says_so_or_adds_up(duck_engine):
    xlsx = io.BytesIO()
    pd.DataFrame({"Document Number": ["D1", "D2", None, "D3", None, None],
                  "Account": ["K1", "K1", "K1", "K2", "K2", None],
                  "Document Date": pd.to_datetime(["2026-01-01", "2026-01-05", None, "2026-01-07", None, None]),
                  "Amount in doc. curr.": [100.0, 200.0, 300.0, 40.0, 45.0, 340.0],
                  "Document currency": ["EUR"] * 6}).to_excel(xlsx, index=False)
    raw = readers.read_bytes(xlsx.getvalue(), name="alv.xlsx")
    _plan, batch = importer.check_import(duck_engine, raw, today=TODAY)
    # K1's 300 adds up to the two rows above it (a subtotal); K2's 45 does not (a broken row); the last
    # line carries nothing but a sum.
    assert set(batch.report["row"]) == {6} and "missing identifier" in set(batch.report["reason"])
    assert "2 subtotal or total lines (lines 4, 7)" in " ".join(batch.notes)
    assert batch.warnings == ["the file's “Amount in doc. curr.” total on line 7 says 340.00 EUR, but its 4 "
                              "invoices in EUR add up to 385.00 EUR (a difference of 45.00 EUR): check that the "
                              "export is complete (a filter, a page limit) and that no row was rejected"]


def test_a_row_with_a_date_is_never_taken_for_layout(duck_engine):
    text = ("Invoice No,Customer,Invoice Date,Due Date,Amount\n"
            "A1,C1,2026-01-01,2026-01-31,100.00\n"
            ",Total Energies,2026-01-02,2026-02-01,50.50\n")
    _plan, batch = importer.check_import(duck_engine, readers.read_bytes(text.encode(), name="x.csv"), today=TODAY)
    assert batch.rejected_rows == 1 and batch.rows_read == 2 and not batch.warnings


def test_classify_kinds():
    frame = pd.DataFrame({"id": ["", "-----", "id", None, "Summe", "X1"], "date": ["", "", "date", None, "", "2026"],
                          "amount": ["", "", "amount", "5", "5", "1"]}, dtype="string")
    columns = skiprows.Columns(ids=("id",), sums=("amount",))
    found = skiprows.classify(frame, np.arange(6), columns)
    assert {k: v.tolist() for k, v in found.items()} == {"total": [3, 4], "rule": [1], "header": [2], "blank": [0]}
    assert skiprows.classify(frame, np.array([], dtype=int), columns) == {}


@pytest.mark.parametrize(("columns", "expected"), [
    (["Konto", "Belegnr.", "Belegdatum", "Nettofälligk.", "Betrag in HW", "HWähr", "Ausgl.", "Ausgl.beleg"],
     {"Konto": "customer_id", "Belegnr.": "invoice_id", "Belegdatum": "invoice_date", "Nettofälligk.": "due_date",
      "Betrag in HW": "amount", "HWähr": "currency", "Ausgl.": "paid_date"}),
    # Two amounts, each with its currency: the document's, with the document currency.
    (["Account", "Document Number", "Document Date", "Net Due Date", "Amount in local currency", "Local Currency",
      "Amount in doc. curr.", "Document currency", "Clearing Document", "Arrears after net due date"],
     {"Account": "customer_id", "Document Number": "invoice_id", "Document Date": "invoice_date",
      "Net Due Date": "due_date", "Amount in doc. curr.": "amount", "Document currency": "currency"}),
    # The local amount with the local currency, not the document's.
    (["Account", "DocumentNo", "Pstng Date", "Amount in LC", "Curr.", "LCurr"],
     {"Account": "customer_id", "DocumentNo": "invoice_id", "Pstng Date": "invoice_date", "Amount in LC": "amount",
      "LCurr": "currency"}),
    # A document amount with only the local currency: no currency (the default) rather than a wrong one.
    (["Account", "DocumentNo", "Doc. Date", "Amount in DC", "LCurr"],
     {"Account": "customer_id", "DocumentNo": "invoice_id", "Doc. Date": "invoice_date", "Amount in DC": "amount"}),
])
def test_sap_column_names(columns, expected):
    assert suggest_mapping(columns, "invoices") == expected


def test_two_exports_pasted_one_under_the_other(duck_engine):
    head = "Invoice No;Customer;Invoice Date;Due Date;Amount\n"
    text = head + "A1;C1;01.02.2026;03.03.2026;10,00\n" + head + "A2;C2;02.02.2026;04.03.2026;20,00\n"
    result = importer.run_import(duck_engine, readers.read_bytes(text.encode(), name="two.csv"), today=TODAY)
    assert (result.inserted, result.rejected) == (2, 0)
    assert "skipped 1 repeated header (line 3)" in " ".join(result.notes)


# Xero's Aged Receivables Detail: the customer heads its invoices instead of standing in a column, the
# amounts are spread over aging columns with their Total, and dates are written with the month's name.
XERO = """Aged Receivables Detail
Demo Company (UK)
As at 30 November 2026

Invoice Date,Invoice Number,Reference,Due Date,Current,< 1 Month,1 Month,2 Months,Older,Total
Baker & Sons,,,,,,,,,
15 Nov 2026,INV-0101,PO 4411,15 Dec 2026,1200.00,,,,,1200.00
20 Oct 2026,INV-0087,PO 4390,19 Nov 2026,,800.00,,,,800.00
Total Baker & Sons,,,,1200.00,800.00,,,,2000.00
Cole Ltd,,,,,,,,,
02 Sep 2026,INV-0055,,02 Oct 2026,,,,450.00,,450.00
Total Cole Ltd,,,,,,,450.00,,450.00
Total,,,,1200.00,800.00,,450.00,,2450.00
"""


def test_customers_named_above_their_rows(engine):
    raw = readers.read_bytes(XERO.encode(), name="AgedReceivablesDetail.csv")
    assert raw.columns[-1] == readers.GROUP_COLUMN
    result = importer.run_import(engine, raw, today=date(2026, 11, 30))
    assert (result.rows_read, result.inserted, result.rejected) == (3, 3, 0)
    got = invoices(engine).set_index("invoice_id")
    assert got["customer_id"].to_dict() == {"INV-0055": "Cole Ltd", "INV-0087": "Baker & Sons",
                                            "INV-0101": "Baker & Sons"}
    assert got.loc["INV-0087", ["invoice_date", "due_date"]].tolist() == [date(2026, 10, 20), date(2026, 11, 19)]
    said = " ".join(result.notes)
    assert "2 lines head the rows below (e.g. “Baker & Sons”)" in said
    assert "skipped 3 subtotal or total lines (lines 9, 12, 13), 2 group headings (lines 6, 10)" in said
    assert "the file's total on line 13 says 2,450.00; its 3 invoices add up to the same" in said


def test_a_plain_ledger_gets_no_group_column():
    text = "invoice_id,customer_id,invoice_date,amount\nA1,C1,2026-01-01,5\nA2,,2026-01-02,\n"
    assert readers.read_bytes(text.encode(), name="x.csv").columns == ["invoice_id", "customer_id", "invoice_date",
                                                                      "amount"]


def test_a_sheets_blank_rows_keep_the_report_on_the_right_row(duck_engine):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["Invoice No", "Customer", "Invoice Date", "Amount"])
    sheet.append(["A1", "C1", date(2026, 1, 1), 10])
    sheet.append([])
    sheet.append([])
    sheet.append(["A2", "C1", date(2026, 1, 2), "ten"])
    data = io.BytesIO()
    book.save(data)
    _plan, batch = importer.check_import(duck_engine, readers.read_bytes(data.getvalue(), name="x.xlsx"),
                                         today=TODAY)
    assert set(batch.report["row"]) == {5} and "not a number" in set(batch.report["reason"])


def test_a_total_in_a_currency_beside_rows_without_one(duck_engine):
    text = ("Invoice No,Customer,Invoice Date,Amount,Currency\nA1,C1,2026-01-01,100.00,EUR\n"
            "A2,C2,2026-01-02,50.50,\nTotal,,,100.00,EUR\n")
    _plan, batch = importer.check_import(duck_engine, readers.read_bytes(text.encode(), name="x.csv"), today=TODAY)
    assert "its invoice in EUR adds up to the same" in " ".join(batch.notes) and not batch.warnings


@pytest.mark.parametrize(("columns", "expected"), [
    # Oracle Receivables' aging: Trx Number and Date, the original and the remaining amount.
    (["Customer Number", "Customer Name", "Trx Number", "Trx Date", "Due Date", "Invoice Currency Code",
      "Amount Due Original", "Amount Due Remaining", "Days Late"],
     {"Trx Number": "invoice_id", "Customer Number": "customer_id", "Trx Date": "invoice_date", "Due Date": "due_date",
      "Amount Due Original": "amount", "Amount Due Remaining": "open_amount", "Invoice Currency Code": "currency",
      "Customer Name": "name"}),
    # NetSuite: a Type column is the document's type, not the customer's.
    (["Customer", "Type", "Date", "Document Number", "Due Date", "Age", "Amount", "Amount Remaining", "Currency"],
     {"Document Number": "invoice_id", "Customer": "customer_id", "Date": "invoice_date", "Due Date": "due_date",
      "Amount": "amount", "Amount Remaining": "open_amount", "Currency": "currency"}),
    # Dynamics 365: the amount in the transaction currency and its balance.
    (["Customer account", "Name", "Invoice", "Date", "Due date", "Amount in transaction currency", "Balance",
      "Currency"],
     {"Invoice": "invoice_id", "Customer account": "customer_id", "Date": "invoice_date", "Due date": "due_date",
      "Amount in transaction currency": "amount", "Balance": "open_amount", "Currency": "currency", "Name": "name"}),
    # Sage: A/C, Ref, O/S.
    (["A/C", "Name", "Type", "Date", "Ref", "Due", "Amount", "O/S", "Disputed?"],
     {"Ref": "invoice_id", "A/C": "customer_id", "Date": "invoice_date", "Due": "due_date", "Amount": "amount",
      "O/S": "open_amount", "Disputed?": "disputed", "Name": "name"}),
    # Xero's and Odoo's invoice exports: beside the Total, the Amount Due is what is left.
    (["ContactName", "InvoiceNumber", "InvoiceDate", "DueDate", "Total", "AmountDue", "AmountPaid", "Currency"],
     {"InvoiceNumber": "invoice_id", "ContactName": "customer_id", "InvoiceDate": "invoice_date",
      "DueDate": "due_date", "AmountDue": "open_amount", "Currency": "currency", "Total": "amount"}),
    (["Partner", "Number", "Invoice/Bill Date", "Due Date", "Total", "Amount Due", "Currency", "Payment Status"],
     {"Number": "invoice_id", "Partner": "customer_id", "Invoice/Bill Date": "invoice_date", "Due Date": "due_date",
      "Amount Due": "open_amount", "Currency": "currency", "Total": "amount"}),
    # DATEV.
    (["Konto", "Belegfeld 1", "Belegdatum", "Fälligkeit", "Umsatz (ohne Soll/Haben-Kz)", "WKZ Umsatz",
      "Offener Posten"],
     {"Belegfeld 1": "invoice_id", "Konto": "customer_id", "Belegdatum": "invoice_date", "Fälligkeit": "due_date",
      "Umsatz (ohne Soll/Haben-Kz)": "amount", "Offener Posten": "open_amount", "WKZ Umsatz": "currency"}),
    # A word inside another name is not that field: a Phone Number is no invoice number.
    (["Invoice", "Date", "Amount", "Phone Number"],
     {"Invoice": "invoice_id", "Date": "invoice_date", "Amount": "amount", "Phone Number": "phone"}),
])
def test_accounting_packages_column_names(columns, expected):
    assert suggest_mapping(columns, "invoices") == expected


@pytest.mark.parametrize(("columns", "expected"), [
    (["Document Number", "Date", "Customer", "Amount", "Applied To", "Payment Method"],  # NetSuite
     {"Document Number": "payment_id", "Applied To": "invoice_id", "Customer": "customer_id", "Date": "payment_date",
      "Amount": "amount", "Payment Method": "method"}),
    (["Account", "Clearing Document", "Clearing Date", "Amount in DC", "Curr.", "Reference"],  # SAP
     {"Clearing Document": "payment_id", "Reference": "invoice_id", "Account": "customer_id",
      "Clearing Date": "payment_date", "Amount in DC": "amount", "Curr.": "currency"}),
])
def test_payments_files_of_accounting_packages(columns, expected):
    from arboard.fields import guess_kind

    assert guess_kind(columns) == "payments" and suggest_mapping(columns, "payments") == expected
