"""The one-page PDF summary and the forecast / what-if / summary commands."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from arboard import briefing, db, events, generate, pdf, promises, scenarios, schema, store, summary
from arboard.cli import app
from arboard.errors import ArboardError
from arboard.scenarios import Scenario
from tests.conftest import SMALL_SAMPLE

AS_OF = SMALL_SAMPLE.end


def _pages(pdf: bytes) -> int:
    assert pdf.startswith(b"%PDF-")
    return len(re.findall(rb"/Type /Page(?!s)\b", pdf))


def test_summary_is_one_page_with_a_scenario(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    plans = Scenario(name="Plans", days_late=(("unable_to_pay", -15),))
    pdf = briefing.build(engine, AS_OF, currency="EUR", scenario=plans)
    assert _pages(pdf) == 1  # with the what-if block and the promises line
    line = briefing.promise_line(promises.promises(engine, AS_OF), promises.kept_rate(engine, AS_OF))
    assert line["running"] > 0 and 0 < line["kept"]["rate"] < 1


def test_hostile_names_and_other_scripts_render_without_dejavu(duck_engine, monkeypatch):
    """Formula-looking names and CJK text are plain text in a PDF; the core font replaces what it lacks."""
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    with duck_engine.begin() as conn:
        conn.execute(sa.update(schema.customers).values(name='=HYPERLINK("http://x","株式会社 Müller")'))
    monkeypatch.setattr(pdf, "FONT_PATHS", [])
    assert _pages(briefing.build(duck_engine, AS_OF, currency="EUR")) == 1


def test_summary_before_the_first_invoice_is_refused(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    with pytest.raises(ArboardError, match="no invoices dated on or before"):
        briefing.build(duck_engine, SMALL_SAMPLE.end.replace(year=2000))
    empty = db.open_database(str(duck_engine.url).replace(".duckdb", "-empty.duckdb"))
    with pytest.raises(ArboardError, match="ledger is empty"):
        briefing.build(empty, AS_OF)


def test_cli_forecast_whatif_and_summary(duck_url, tmp_path):
    engine = db.open_database(duck_url)
    generate.write_sample(engine, SMALL_SAMPLE)
    scenarios.save_scenario(engine, Scenario(name="Plans", days_late=(("unable_to_pay", -15),)))
    data_end = summary.ledger_summary(engine).last_activity  # the commands' default as-of
    engine.dispose()  # one writer per DuckDB file: let the commands open it
    run = CliRunner().invoke
    day = AS_OF.isoformat()

    weeks = run(app, ["forecast", "--as-of", day, "--format", "csv", "--db", duck_url])
    assert weeks.exit_code == 0, weeks.output
    assert weeks.stdout.splitlines()[0] == "week,start,expected" and len(weeks.stdout.splitlines()) == 14
    back = run(app, ["forecast", "--as-of", "2026-06-30", "--backtest", "--db", duck_url])
    assert back.exit_code == 0, back.output
    result = json.loads(back.stdout)
    assert len(result["weeks"]) == 13 and result["mae_per_week"] >= 0
    # Rounded as `report` rounds, dates without a time: what a script reading the JSON expects.
    assert result["weeks"][0]["start"] == "2026-07-01"
    assert all(round(v, 2) == v for w in result["weeks"] for v in w.values() if isinstance(v, float))
    # By default the backtest is made 13 weeks before the data ends, so that what came in is known.
    latest = run(app, ["forecast", "--backtest", "--db", duck_url])
    assert latest.exit_code == 0, latest.output
    result = json.loads(latest.stdout)
    assert date.fromisoformat(result["as_of"]) == data_end - timedelta(weeks=13) and result["total_actual"] > 0
    late = run(app, ["forecast", "--backtest", "--as-of", (data_end - timedelta(weeks=12)).isoformat(),
                     "--db", duck_url])
    assert late.exit_code == 2 and "13 weeks of data after --as-of" in late.output

    listing = run(app, ["whatif", "--db", duck_url])
    assert listing.stdout.splitlines()[:2] == ["Baseline", "Plans: Unable to pay: pays 15 days sooner"]
    both = run(app, ["whatif", "Plans", "--compare", "Baseline", "--as-of", day, "--db", duck_url])
    assert both.exit_code == 0, both.output
    result = json.loads(both.stdout)
    assert [s["name"] for s in result["scenarios"]] == ["Plans", "Baseline"]
    assert result["scenarios"][0]["cash_released"] > 0 and result["scenarios"][1]["cash_released"] == 0
    assert result["comparison"][-1]["label"] == "Cash released vs baseline"
    dso = next(m for m in result["scenarios"][0]["metrics"] if m["metric"] == "dso")
    assert round(dso["baseline"], 2) == dso["baseline"]
    unknown = run(app, ["whatif", "Nope", "--db", duck_url])
    assert unknown.exit_code == 2 and "No scenario" in unknown.output

    out = tmp_path / "meeting.pdf"
    made = run(app, ["summary", "--as-of", day, "--scenario", "Plans", "--out", str(out), "--db", duck_url])
    assert made.exit_code == 0, made.output
    assert _pages(out.read_bytes()) == 1
    wrong = run(app, ["summary", "--out", str(tmp_path / "x.txt"), "--db", duck_url])
    assert wrong.exit_code == 2 and ".pdf" in wrong.output
    early = run(app, ["summary", "--as-of", "2001-01-01", "--out", str(out), "--db", duck_url])
    assert early.exit_code == 1 and "no invoices" in early.output


def test_compact_amounts_below_a_thousand_are_whole_units():
    from arboard.briefing import _money

    assert _money(348.9099999777, "EUR") == "349 EUR"  # Babel alone prints "348.9099999777"
    assert _money(999.6, "EUR") == "1K EUR"
    assert _money(93412.3, "EUR") == "93.4K EUR"


def _text(pdf: bytes) -> bytes:
    """The page's drawing commands (core-font text stays readable in them)."""
    import contextlib
    import zlib

    out = b""
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", pdf, re.S):
        with contextlib.suppress(zlib.error):  # fonts and images are not page text
            out += zlib.decompress(stream)
    return out


def test_an_open_items_report_is_said_so_on_the_page(duck_engine, monkeypatch):
    with duck_engine.begin() as conn:
        store.append(conn, schema.invoices, pd.DataFrame(
            [("I1", "C1", date(2026, 9, 1), date(2026, 10, 1), 1000.0, "EUR", None)],
            columns=["invoice_id", "customer_id", "invoice_date", "due_date", "amount", "currency", "paid_date"]))
    events.refresh(duck_engine)
    monkeypatch.setattr(pdf, "FONT_PATHS", [])  # core font: the text is readable in the stream
    assert b"Open items only" in _text(briefing.build(duck_engine, date(2026, 11, 22)))
    generate.write_sample(duck_engine, SMALL_SAMPLE, replace=True)
    assert b"Open items only" not in _text(briefing.build(duck_engine, AS_OF))


def test_a_long_subtitle_is_fitted_to_the_page():
    """A long configuration name no longer runs off the page: smaller type, then an ellipsis."""
    page = pdf.Page()
    short, size = page.fitted(12, 20, 186, 5, "In EUR; segments: default thresholds.", size=8.5)
    assert size == 8.5 and short == "In EUR; segments: default thresholds."
    text, size = page.fitted(12, 20, 186, 5, "In EUR (all currencies); segments: " + "a long name " * 40, size=8.5)
    assert size == 6.5 and text.endswith(("…", "~"))
    page.font(size)
    assert page.pdf.get_string_width(text) <= 186


def test_the_provision_is_on_the_page(duck_engine, monkeypatch):
    """The provision, its movement, the specific provisions and the year's write-offs, still on one page
    with the what-if block and the promises."""
    from arboard import impairments, provision

    generate.write_sample(duck_engine, SMALL_SAMPLE)
    debtors = provision.by_debtor(duck_engine, provision.matrix(duck_engine, AS_OF, currency="EUR"))
    who = debtors.loc[debtors["currency"] == "EUR", "customer_id"].iloc[0]
    impairments.assess(duck_engine, who, rate=100, reason="Insolvency filed", on=min(AS_OF, date.today()),
                       today=date.today())
    monkeypatch.setattr(pdf, "FONT_PATHS", [])  # core font: the text is readable in the stream
    plans = Scenario(name="Plans", days_late=(("unable_to_pay", -15),))
    made = briefing.build(duck_engine, AS_OF, currency="EUR", scenario=plans)
    assert _pages(made) == 1
    text = _text(made)
    assert b"Bad-debt provision" in text and b"One by one:" in text and b"for 1 debtor" in text
    assert b"Written off in 12 months" in text and b"% of open invoices" in text
    line = briefing.provision_line(provision.matrix(duck_engine, AS_OF, currency="EUR"),
                                   provision.matrix(duck_engine, provision.previous_month_end(AS_OF), currency="EUR"))
    assert line["specific_debtors"] == 1 and line["specific"] > 0 and line["provision"] > line["specific"]
