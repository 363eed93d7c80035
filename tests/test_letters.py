"""Letters to print, statements of account and the sender they come from."""

from __future__ import annotations

import io
from datetime import date

import pandas as pd
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from arboard import aging, db, fields, generate, letters, outreach, sender, statement
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import snapshot, write_ledger

AS_OF = date(2026, 11, 20)
NORDLICHT = sender.Sender(name="Nordlicht Components GmbH", address=("Industriestraße 12", "20095 Hamburg"),
                          country="DE", contact="+49 40 123 456 · ar@nordlicht.example",
                          payment="IBAN DE12 2005 0550 1234 5678 90", pay_link="https://pay.nordlicht.example/{customer_id}")


def _text(pdf: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(pdf))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def _ledger(engine) -> None:
    """One debtor in two currencies: overdue, partly paid, not yet due, disputed, a credit note, cash on account."""
    inv = pd.DataFrame(
        [("A1", "K1", date(2026, 8, 1), date(2026, 8, 31), 1000.0, "EUR", None, False),   # 81 days late
         ("A2", "K1", date(2026, 10, 1), date(2026, 10, 31), 500.0, "EUR", None, True),   # disputed, 20 days
         ("A3", "K1", date(2026, 11, 10), date(2026, 12, 10), 300.0, "EUR", None, False),  # not due
         ("A4", "K1", date(2026, 9, 1), date(2026, 10, 1), -120.0, "EUR", None, False),   # credit note
         ("A5", "K1", date(2026, 6, 1), date(2026, 7, 1), 800.0, "EUR", date(2026, 7, 5), False),  # settled
         ("B1", "K1", date(2026, 7, 1), date(2026, 7, 31), 2000.0, "USD", None, False),   # 112 days late
         ("C1", "K2", date(2026, 7, 1), date(2026, 7, 31), 50.0, "EUR", date(2026, 8, 1), False),  # K2: settled
         ("A9", "K1", date(2026, 12, 1), date(2026, 12, 31), 999.0, "EUR", None, False)],  # after the as-of date
        columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency", "paid_date",
                 "disputed"])
    pay = pd.DataFrame(
        [("P1", "A1", "K1", date(2026, 10, 5), 400.0, "EUR"),   # partial
         ("P2", None, "K1", date(2026, 11, 2), 75.0, "EUR"),    # on account
         ("P3", "ZZ", "K1", date(2026, 11, 3), 25.0, "EUR"),    # names an unknown invoice: on account
         ("P4", None, "K1", date(2026, 11, 25), 60.0, "EUR")],  # after the as-of date
        columns=["payment_id", "invoice_id", "customer_id", "payment_date", "amount", "currency"])
    cust = pd.DataFrame([("K1", "Kunde & Söhne KG", "DE", "Hauptstraße 5", "10115", "Berlin", "de_DE"),
                         ("K2", "Far Away Ltd", "GB", "1 High Street", "SW1A 1AA", "London", "en_GB")],
                        columns=["customer_id", "name", "country", "street", "postal_code", "city", "locale"])
    write_ledger(engine, customers=cust, invoices=inv, payments=pay)


def test_statement_lists_every_open_item_and_adds_up_to_aging(engine):
    _ledger(engine)
    st = statement.account_statement(engine, "K1", AS_OF)
    lines = st.lines.set_index("reference")
    assert list(lines.index) == ["A1", "A4", "A2", "A3", "P2", "P3", "B1"]  # per currency, by due date
    assert lines.loc["A1", "open_amount"] == pytest.approx(600.0) and lines.loc["A1", "days_past_due"] == 81
    assert lines.loc["A2", "disputed"] and lines.loc["A4", "kind"] == "credit_note"
    assert lines.loc["P2", "kind"] == "payment" and lines.loc["P2", "open_amount"] == pytest.approx(-75.0)
    assert "A5" not in lines.index and "A9" not in lines.index and "P4" not in lines.index
    totals = st.totals.set_index("currency")
    assert totals.loc["EUR", "balance"] == pytest.approx(600 + 500 + 300 - 120 - 75 - 25)
    assert totals.loc["EUR", "overdue"] == pytest.approx(600 + 500 - 120)
    assert totals.loc["EUR", "61–90"] == pytest.approx(600.0) and totals.loc["EUR", "Not due"] == pytest.approx(300)
    assert totals.loc["EUR", statement.ON_ACCOUNT] == pytest.approx(-100.0)
    assert totals.loc["USD", "Over 90"] == pytest.approx(2000.0)
    # The same balance as the Aging page's row for the debtor, currency by currency.
    for currency in ("EUR", "USD"):
        row = aging.aging_by_customer(engine, AS_OF, currency=currency).set_index("customer_id").loc["K1"]
        assert totals.loc[currency, "balance"] == pytest.approx(row["total"])
    assert st.customer["street"] == "Hauptstraße 5" and not st.empty


def test_statement_of_a_settled_debtor_and_of_an_unknown_one(engine):
    _ledger(engine)
    st = statement.account_statement(engine, "K2", AS_OF)
    assert st.empty and st.totals.empty
    _pages, text = _text(letters.statement_pdf(st, sender=NORDLICHT))
    assert "Nothing is open on your account" in text
    with pytest.raises(ArboardError, match="No debtor 'K3'"):
        statement.account_statement(engine, "K3", AS_OF)


def test_statement_pdf_says_what_is_open_where_it_goes_and_how_to_pay(duck_engine):
    _ledger(duck_engine)
    pages, text = _text(letters.statement_pdf(statement.account_statement(duck_engine, "K1", AS_OF),
                                              sender=NORDLICHT))
    assert pages == 1
    for expected in ("Nordlicht Components GmbH", "Kunde & Söhne KG", "Hauptstraße 5", "10115 Berlin",
                     "Statement of account", "A1", "Invoice (in dispute)", "Credit note", "Payment on account",
                     "600,00", "https://pay.nordlicht.example/K1", "IBAN DE12", "In USD"):
        assert expected in text, expected
    assert "GERMANY" not in text  # a letter within the sender's country has no country line


def test_a_long_statement_runs_over_pages(duck_engine):
    many = pd.DataFrame({"invoice_id": [f"N{i:04d}" for i in range(120)], "customer_id": "K1",
                         "invoice_date": date(2026, 9, 1), "due_date": date(2026, 10, 1), "amount": 10.0,
                         "currency": "EUR", "paid_date": None})
    write_ledger(duck_engine, invoices=many)
    pages, text = _text(letters.statement_pdf(statement.account_statement(duck_engine, "K1", AS_OF)))
    assert pages >= 3 and "N0000" in text and "N0119" in text and "Page 3" in text
    assert "no postal address on file" in text  # no customers row


def test_address_lines_as_a_window_envelope_shows_them():
    de = {"name": "A GmbH", "street": "Hauptstraße 5", "postal_code": "10115", "city": "Berlin", "country": "DE"}
    assert letters.address_lines(de, home_country="DE") == ["A GmbH", "Hauptstraße 5", "10115 Berlin"]
    assert letters.address_lines(de, home_country="FR")[-1] == "GERMANY"
    gb = {"name": "B Ltd", "street": "1 High Street", "postal_code": "SW1A 1AA", "city": "London", "country": "GB"}
    assert letters.address_lines(gb) == ["B Ltd", "1 High Street", "London", "SW1A 1AA", "UNITED KINGDOM"]
    assert letters.address_lines({"name": "C", "street": None, "city": float("nan")}) == []
    assert letters.one_line({"name": "C"}) == letters.NO_ADDRESS


def test_letters_one_per_page_addressed_and_marked_when_no_address(duck_engine):
    _ledger(duck_engine)
    work = pd.DataFrame({
        "date": [date(2026, 11, 23)] * 3, "customer_id": ["K1", "K2", "K9"],
        "name": ["Kunde & Söhne KG", "=HYPERLINK(\"http://x\")", "山田商事"], "step": ["Formal letter"] * 3,
        "channel": ["letter", "letter", "letter"], "currency": ["EUR", "EUR", "EUR"],
        "contact": ["postal address on file"] * 3,
        "message": ["Dear Kunde,\n\n600,00 € is overdue.", "Dear you,\n\nplease pay.", "Line\n" * 60]})
    found = letters.addresses(duck_engine, work["customer_id"])
    listed = letters.with_addresses(work, found, sender=NORDLICHT)
    assert list(listed["contact"]) == ["Hauptstraße 5, 10115 Berlin", "1 High Street, London, SW1A 1AA, "
                                       "UNITED KINGDOM", letters.NO_ADDRESS]
    assert letters.missing_addresses(listed) == ["K9"]
    pages, text = _text(letters.letters_pdf(listed, found, sender=NORDLICHT))
    assert pages == 4  # the third letter runs over two pages
    for expected in ("Hauptstraße 5", "600,00 € is overdue", "=HYPERLINK", "UNITED KINGDOM", "Formal letter",
                     "no postal address on file", "Customer no.", "23.11.2026"):
        assert expected in text, expected
    with pytest.raises(ArboardError, match="no letters"):
        letters.letters_pdf(listed.assign(channel="email"), found)


def test_letters_print_without_dejavu(duck_engine, monkeypatch):
    from arboard import pdf

    monkeypatch.setattr(pdf, "FONT_PATHS", [])
    work = pd.DataFrame({"date": [date(2026, 11, 23)], "customer_id": ["K9"], "name": ["山田 – €"],
                         "step": ["Letter"], "channel": ["letter"], "currency": ["EUR"],
                         "message": ["5 € ≥ 4 €"]})
    pages, text = _text(letters.letters_pdf(work, letters.addresses(duck_engine, ["K9"])))
    assert pages == 1 and "5 EUR >= 4 EUR" in text


def test_sender_is_checked_saved_and_escapes_the_debtor_in_its_link(duck_engine):
    assert sender.load(duck_engine) == sender.Sender()
    saved = sender.save(duck_engine, sender.Sender(" Acme ", ("Road 1", "", " 1000 Town "), "de",
                                                   pay_link="https://pay.acme.example/?c={customer_id}"))
    assert saved.name == "Acme" and saved.address == ("Road 1", "1000 Town") and saved.country == "DE"
    assert sender.load(duck_engine) == saved
    assert saved.link_for("A/B&c=1 ") == "https://pay.acme.example/?c=A%2FB%26c%3D1%20"
    before = snapshot(duck_engine)
    for bad, where in [(sender.Sender(pay_link="javascript:alert(1)"), "pay_link"),
                       (sender.Sender(pay_link="https://x.example/{name}"), "pay_link"),
                       (sender.Sender(name="A\tB"), "name"), (sender.Sender(address=("a", "b", "c", "d", "e")),
                                                              "address"),
                       (sender.Sender(country="Germany"), "country"), (sender.Sender(contact="x" * 200), "contact")]:
        with pytest.raises(ArboardError) as err:
            sender.save(duck_engine, bad)
        assert err.value.where == where
    assert snapshot(duck_engine) == before


def test_messages_carry_the_senders_pay_link(duck_engine):
    generate.write_sample(duck_engine, generate.SampleSpec(customers=60, invoices=1500, seed=3, end=AS_OF))
    plan = outreach.make_plan(duck_engine, AS_OF)
    day = outreach.work_days(plan)[0]
    work = outreach.work_list(plan, day, pay_link=NORDLICHT.pay_link)
    linked = work[work["message"].str.contains("https://")]
    assert len(linked) and linked["message"].str.contains("https://pay.nordlicht.example/C0").all()


def test_the_sample_has_postal_addresses_and_files_map_them(duck_engine):
    generate.write_sample(duck_engine, generate.SampleSpec(customers=40, invoices=400, seed=5, end=AS_OF))
    found = letters.addresses(duck_engine, [f"C{i:06d}" for i in range(1, 41)])
    assert found[["street", "postal_code", "city"]].notna().all().all()
    assert fields.suggest_mapping(["Kundennummer", "Straße", "PLZ", "Ort"], "customers") == {
        "Kundennummer": "customer_id", "Straße": "street", "PLZ": "postal_code", "Ort": "city"}
    assert fields.suggest_mapping(["Customer No", "Address Line 1", "Zip Code", "City", "Email Address"],
                                  "customers") == {"Customer No": "customer_id", "Address Line 1": "street",
                                                   "Zip Code": "postal_code", "City": "city",
                                                   "Email Address": "email"}


def test_cli_sender_statement_and_the_days_letters(duck_url, tmp_path):
    engine = db.open_database(duck_url)
    generate.write_sample(engine, generate.SampleSpec(customers=80, invoices=2500, seed=4, end=AS_OF))
    engine.dispose()
    run = CliRunner().invoke
    made = run(app, ["sender", "--db", duck_url, "--name", "Acme", "--address", "Road 1", "--address", "1000 Town",
                     "--pay-link", "https://pay.acme.example/{customer_id}"])
    assert made.exit_code == 0, made.output
    assert "Pay link  https://pay.acme.example/{customer_id}" in run(app, ["sender", "--db", duck_url]).output
    refused = run(app, ["sender", "--db", duck_url, "--pay-link", "ftp://x"])
    assert refused.exit_code == 2 and "not a web address" in refused.output
    pdf_file, csv_file = tmp_path / "s.pdf", tmp_path / "s.csv"
    made = run(app, ["statement", "C000001", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(pdf_file)])
    assert made.exit_code == 0, made.output
    assert "Acme" in _text(pdf_file.read_bytes())[1]
    made = run(app, ["statement", "C000001", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(csv_file)])
    assert made.exit_code == 0 and "open_amount" in csv_file.read_text(encoding="utf-8-sig")
    unknown = run(app, ["statement", "NOPE", "--db", duck_url, "--out", str(pdf_file)])
    assert unknown.exit_code == 1 and "No debtor 'NOPE'" in unknown.output
    engine = db.open_database(duck_url)
    plan = outreach.make_plan(engine, AS_OF)
    engine.dispose()
    day = next(d for d in outreach.work_days(plan) if (letters.letters_of(plan)["date"] == pd.Timestamp(d)).any())
    letters_file = tmp_path / "letters.pdf"
    made = run(app, ["plan", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--day", day.isoformat(),
                     "--channel", "letter", "--out", str(letters_file)])
    assert made.exit_code == 0, made.output
    pages, text = _text(letters_file.read_bytes())
    assert pages >= 1 and "Acme" in text and "https://pay.acme.example/C0" in text
    wrong = run(app, ["plan", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(letters_file)])
    assert wrong.exit_code == 2 and "--channel" in wrong.output and "one day" in wrong.output


def test_a_statement_run_matches_the_statements_one_by_one(engine):
    _ledger(engine)
    run = statement.account_statements(engine, ["K2", "K1", "K1"], AS_OF)
    assert [st.customer["customer_id"] for st in run] == ["K2", "K1"]  # in the order asked, once each
    alone = statement.account_statement(engine, "K1", AS_OF)
    pd.testing.assert_frame_equal(run[1].lines, alone.lines)
    pd.testing.assert_frame_equal(run[1].totals, alone.totals)
    assert run[0].empty and statement.overdue_debtors(engine, AS_OF) == ["K1"]
    with pytest.raises(ArboardError, match="No debtor 'K8' in the ledger \\(nor 1 more\\)"):
        statement.account_statements(engine, ["K1", "K8", "K9"], AS_OF)
    pages, text = _text(letters.statements_pdf(run, sender=NORDLICHT))
    assert pages == 2 and text.count("Page 1") == 2  # each numbered on its own
    with pytest.raises(ArboardError, match="no statements"):
        letters.statements_pdf([])


def test_cli_statement_run(duck_url, tmp_path):
    engine = db.open_database(duck_url)
    _ledger(engine)
    engine.dispose()
    run = CliRunner().invoke
    out = tmp_path / "run.pdf"
    made = run(app, ["statement", "--all-overdue", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--out", str(out)])
    assert made.exit_code == 0 and "1 statement of" in made.output
    assert "Kunde & Söhne KG" in _text(out.read_bytes())[1]
    both = run(app, ["statement", "K1", "--all-overdue", "--db", duck_url, "--out", str(out)])
    assert both.exit_code == 2 and "Name one debtor, or ask for --all-overdue" in both.output
