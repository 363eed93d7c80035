"""Specific provisions: the register (made, replaced, ended, refused), what is in force on a date, the
debtor's timeline and the command line, on DuckDB and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from typer.testing import CliRunner

from arboard import db, impairments, timeline
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import snapshot
from tests.test_provision import _ledger

TODAY = date(2027, 1, 10)


def test_made_replaced_and_ended(engine):
    _ledger(engine)
    version = db.data_version(engine)
    impairments.assess(engine, "C", rate=100, reason="Insolvency filed", on=date(2026, 12, 15), today=TODAY,
                       by="Ann Meyer")
    assert db.data_version(engine) == version + 1  # the cached provision is worked out again
    assert impairments.current(engine, "C")["rate"] == 100.0
    # A new rate replaces it from its date; the old one is kept, ended that day.
    impairments.assess(engine, "C", rate=62.5, reason="Administrator expects a 37.5% dividend",
                       on=date(2027, 1, 5), today=TODAY)
    register = impairments.assessments(engine)
    assert register[["rate", "ended_on"]].values.tolist()[0][0] == 62.5
    assert register["ended_on"].isna().tolist() == [True, False]
    assert register.iloc[1]["ended_on"].date() == date(2027, 1, 5)

    def rate(on):
        found = impairments.assessments(engine, as_of=on)
        return found["rate"].tolist()

    assert rate(date(2026, 12, 14)) == [] and rate(date(2026, 12, 15)) == [100.0]
    assert rate(date(2027, 1, 4)) == [100.0] and rate(date(2027, 1, 5)) == [62.5]
    impairments.end(engine, "C", on=date(2027, 1, 8), today=TODAY, by="Ann Meyer")
    assert rate(date(2027, 1, 7)) == [62.5] and rate(date(2027, 1, 8)) == []
    assert impairments.current(engine, "C") is None
    events = timeline.debtor_timeline(engine, "C", as_of=TODAY)
    said = events.loc[events["event"].str.startswith("Specific provision"), ["event", "detail"]].values.tolist()
    assert said == [["Specific provision ended", "by Ann Meyer"],
                    ["Specific provision 62.50%", "Administrator expects a 37.5% dividend"],
                    ["Specific provision 100.00%", "Insolvency filed · by Ann Meyer"]]  # no "ended" for the change


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"customer_id": "Z"}, "There is no debtor “Z”"),
    ({"customer_id": " "}, "Choose the debtor"),
    ({"rate": 100.5}, "from 0 to 100"),
    ({"rate": True}, "from 0 to 100"),
    ({"reason": "  "}, "Say why"),
    ({"reason": "x" * 301}, "at most 300 characters"),
    ({"reason": "=HYPERLINK(\"x\")\tfiled"}, "control character"),
    ({"on": date(2027, 1, 11)}, "after today"),
    ({"by": "a\u202eb"}, "control character"),
])
def test_refused_assessments_record_nothing(engine, kwargs, message):
    _ledger(engine)
    args = {"customer_id": "C", "rate": 100.0, "reason": "Insolvency filed", "on": date(2026, 12, 15), "by": None,
            **kwargs}
    before = snapshot(engine)
    with pytest.raises(ArboardError, match=message):
        impairments.assess(engine, args.pop("customer_id"), **args, today=TODAY)
    assert snapshot(engine) == before and impairments.assessments(engine).empty


def test_dates_must_follow_the_assessment_in_force(engine):
    _ledger(engine)
    impairments.assess(engine, "C", rate=100, reason="Insolvency filed", on=date(2026, 12, 15), today=TODAY)
    with pytest.raises(ArboardError, match="cannot start before it"):
        impairments.assess(engine, "C", rate=50, reason="Settlement", on=date(2026, 12, 1), today=TODAY)
    with pytest.raises(ArboardError, match="cannot end before"):
        impairments.end(engine, "C", on=date(2026, 12, 14), today=TODAY)
    with pytest.raises(ArboardError, match="after today"):
        impairments.end(engine, "C", on=date(2027, 2, 1), today=TODAY)
    with pytest.raises(ArboardError, match="no specific provision to end"):
        impairments.end(engine, "A", on=TODAY, today=TODAY)
    assert impairments.assessments(engine)[["rate", "ended_on"]].values.tolist()[0][0] == 100.0
    assert impairments.current(engine, "C")["assessed_on"] == date(2026, 12, 15)


def test_cli_records_and_ends(engine):
    _ledger(engine)
    url = engine.url.render_as_string(hide_password=False)
    runner = CliRunner()
    before = snapshot(engine)
    refused = runner.invoke(app, ["specific-provision", "C", "--db", url])
    assert refused.exit_code == 2 and "Say why" in refused.output and snapshot(engine) == before
    refused = runner.invoke(app, ["specific-provision", "C", "--rate", "120", "--reason", "x", "--db", url])
    assert refused.exit_code == 2 and "from 0 to 100" in refused.output
    done = runner.invoke(app, ["specific-provision", "C", "--reason", "[bold]Insolvency[/bold] filed", "--on",
                               "2026-11-01", "--by", "Ann", "--db", url])
    assert done.exit_code == 0, done.output
    assert "C: provided for at 100% of its open invoices from 2026-11-01." in " ".join(done.output.split())
    shown = runner.invoke(app, ["provision", "--as-of", "2026-12-31", "--lookback", "1", "--db", url])
    text = " ".join(shown.output.split())
    assert shown.exit_code == 0 and "Provided for one by one" in text
    assert "C: [bold]Insolvency[/bold] filed 800.00 100.00% 800.00" in text  # never read as markup
    assert "Provision: EUR 1,321.74 on 4,300.00 open" in text
    ended = runner.invoke(app, ["specific-provision", "C", "--end", "--on", "2026-11-20", "--db", url])
    assert ended.exit_code == 0 and "back in the provision matrix from 2026-11-20" in ended.output
    again = runner.invoke(app, ["specific-provision", "C", "--end", "--db", url])
    assert again.exit_code == 2 and "no specific provision to end" in again.output
