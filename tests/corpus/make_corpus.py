"""Writes the broken-input corpus next to this file. Run it to recreate the files; they are committed.

Each file is one way a real export goes wrong. ``EXPECTED`` (in test_corpus.py) holds the words
the user must see for each.
"""

from __future__ import annotations

import io
import random
import zipfile
from pathlib import Path

HERE = Path(__file__).parent
HEADER = "invoice_id,customer_id,invoice_date,due_date,amount,currency,paid_date\n"
GOOD = "INV-1,C1,2026-01-05,2026-02-04,100.00,EUR,2026-02-01\n"


def write(name: str, data: str | bytes) -> None:
    (HERE / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)


def main() -> None:
    rnd = random.Random(42)
    write("empty.csv", b"")
    write("header_only.csv", HEADER)
    write("blank_lines_only.csv", "\n\n   \n\n")
    write("binary_garbage.csv", bytes(rnd.randrange(256) for _ in range(4096)))
    write("wrong_delimiter.csv", HEADER.replace(",", ":") + GOOD.replace(",", ":"))
    write("missing_required_columns.csv", "invoice_id,customer_id,invoice_date\nINV-1,C1,2026-01-05\n")
    write("unrecognised_columns.csv", "foo,bar,baz\n1,2,3\n4,5,6\n")
    write("non_numeric_amounts.csv", HEADER + GOOD + "INV-2,C1,2026-01-06,2026-02-05,twelve,EUR,\n")
    write("impossible_dates.csv", HEADER + GOOD + "INV-2,C1,2026-02-30,2026-03-30,50,EUR,\n"
          "INV-3,C1,2026-13-01,2026-14-01,50,EUR,\n")
    write("duplicate_ids.csv", HEADER + GOOD + "INV-1,C2,2026-01-09,2026-02-08,250.00,EUR,\n")
    write("nul_bytes.csv", (HEADER + GOOD).replace(",", ",\x00\x00").encode("utf-8") + b"\x00" * 64
          + b"INV-2,\x00C1,2026-01-06,2026-02-05,\x00\x00abc,EUR,\n")
    write("absurd_numbers.csv", HEADER + GOOD + "INV-2,C1,2026-01-06,2026-02-05,1e20,EUR,\n")
    write("formula_injection.csv", "invoice_id,customer_id,customer_name,invoice_date,due_date,amount\n"
          '"=HYPERLINK(""http://evil.example"",""click"")",C1,"=HYPERLINK(""http://evil.example"")",'
          "2026-01-05,2026-02-04,10\n"
          "@SUM(1+1),C2,+cmd|' /C calc'!A0,2026-01-05,2026-02-04,10\n")
    write("not_a_spreadsheet.xlsx", "this,is,just\ntext,pretending,to be excel\n")
    write("corrupt_zip.xlsx", b"PK\x03\x04" + bytes(rnd.randrange(256) for _ in range(2048)))
    write("truncated.parquet", b"PAR1" + bytes(rnd.randrange(256) for _ in range(512)))
    write("ragged_rows.csv", HEADER + GOOD + "INV-2,C1,2026-01-06,2026-02-05,50,EUR,,extra,fields\n")
    write("due_before_invoice.csv", HEADER + "INV-9,C1,2026-03-05,2026-02-04,100.00,EUR,\n")
    write("paid_before_invoice.csv", HEADER + "INV-9,C1,2026-03-05,2026-04-04,100.00,EUR,2025-01-01\n")
    write("future_dates.csv", HEADER + "INV-9,C1,2026-03-05,2026-04-04,100.00,EUR,2099-01-01\n")
    write("missing_ids.csv", HEADER + GOOD + ",C1,2026-01-06,2026-02-05,50,EUR,\n")
    write("ambiguous_dates.csv", "invoice_id,customer_id,invoice_date,due_date,amount\n"
          "INV-1,C1,03/04/2026,05/06/2026,10\nINV-2,C1,04/05/2026,06/07/2026,20\n")
    write("mixed_date_orders.csv", "invoice_id,customer_id,invoice_date,due_date,amount\n"
          "INV-1,C1,13/04/2026,05/06/2026,10\nINV-2,C1,04/25/2026,06/07/2026,20\n")
    write("huge_identifier.csv", HEADER + "X" * 5000 + ",C1,2026-01-06,2026-02-05,50,EUR,\n")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("ledger.csv", HEADER + GOOD)
    write("zip_archive.csv", buf.getvalue())
    write("html_page.csv", "<!doctype html>\n<html><body><h1>Session expired</h1></body></html>\n")
    write("ancient_dates.csv", HEADER + "INV-9,C1,1900-01-01,1900-01-31,100.00,EUR,\n")
    write("contacts_unknown_channel.csv", "contact_id,customer_id,contact_date,channel,kind,outcome\n"
          "K1,C1,2026-01-05,carrier pigeon,reminder,no_response\n")
    write("utf16_no_data.csv", "invoice_id\tcustomer_id\tamount\n".encode("utf-16"))


if __name__ == "__main__":
    main()
