"""Collectors and their portfolios: who works which debtor, sharing debtors out, per-collector figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from arboard import collectors, db, explorer, fields, generate, kpis, outreach
from arboard.cli import app
from arboard.errors import ArboardError
from arboard.openitems import NO_COLLECTOR
from tests.conftest import SMALL_SAMPLE, snapshot

AS_OF = SMALL_SAMPLE.end


def test_names_are_checked():
    assert collectors.check_name("  Katrin Vogel ") == "Katrin Vogel"
    assert collectors.check_name("") is None and collectors.check_name(None) is None
    for bad, says in [("Anna\nVogel", "control character"), ("x" * 101, "at most 100"),
                      (NO_COLLECTOR, "stands for debtors nobody works")]:
        with pytest.raises(ArboardError, match=says):
            collectors.check_name(bad)


def test_the_sample_has_a_team_and_files_map_the_collector(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    team = collectors.names(duck_engine)
    assert {"Katrin Vogel", "Oliver Hughes", generate.CONSUMER_DESK} <= set(team)
    for header in ("Sachbearbeiter", "Collector", "Credit Controller", "Gestor de cobro", "Incassomedewerker"):
        assert fields.suggest_mapping(["Kundennummer", header], "customers")[header] == "collector"


def test_assign_is_one_transaction_and_moves_the_sales_of_a_portfolio(engine):
    generate.write_sample(engine, SMALL_SAMPLE)
    before = snapshot(engine)
    version = db.data_version(engine)
    with pytest.raises(ArboardError, match="not in the customers table: “NOPE”"):
        collectors.assign(engine, ["C000001", "NOPE"], collector="Anna Neu")
    with pytest.raises(ArboardError, match="control character"):
        collectors.assign(engine, {"C000001": "Anna\tNeu"})
    assert snapshot(engine) == before and db.data_version(engine) == version
    by = kpis.kpis_by(engine, AS_OF, "collector")
    total = kpis.kpis_by(engine, AS_OF, "currency")
    # Each portfolio's balances and sales add up to the ledger's.
    assert by["open_ar"].sum() == pytest.approx(total["open_ar"].sum(), abs=0.05)
    assert by["sales_window"].sum() == pytest.approx(total["sales_window"].sum(), abs=0.05)
    biggest = explorer.debtor_table(engine, AS_OF).sort_values("total").iloc[-1]
    assert collectors.assign(engine, [biggest["customer_id"], biggest["customer_id"]], collector="Anna Neu") == 1
    assert collectors.assign(engine, [biggest["customer_id"]], collector="Anna Neu") == 0  # nothing changed
    assert db.data_version(engine) == version + 1
    after = kpis.kpis_by(engine, AS_OF, "collector").set_index("dim")
    assert after.loc["Anna Neu", "open_ar"] == pytest.approx(biggest["total"], abs=0.05)
    assert after.loc["Anna Neu", "sales_window"] > 0  # the rollup of sales by attribute was rebuilt
    assert collectors.assign(engine, [biggest["customer_id"]], collector=None) == 1
    assert "Anna Neu" not in collectors.names(engine)


def _sales(engine) -> pd.DataFrame:
    """The sales rollup, its zero rows left out, in a stable order."""
    from arboard import schema

    with engine.connect() as conn:
        df = pd.DataFrame(conn.execute(sa.select(schema.sales_daily)).all(),
                          columns=[c.name for c in schema.sales_daily.columns])
    keys = [c for c in df.columns if c != "sales"]
    df = df[df["sales"].abs() > 0.004].fillna({k: "" for k in keys if k != "day"})
    return df.sort_values(keys).reset_index(drop=True)


def test_a_few_debtors_move_their_sales_as_a_full_rebuild_would(engine, monkeypatch):
    from arboard import events, schema

    generate.write_sample(engine, SMALL_SAMPLE)
    with engine.begin() as conn:  # a debtor with no attributes at all: NULL keys must match too
        conn.execute(sa.update(schema.customers).where(schema.customers.c.customer_id == "C000002")
                     .values(country=None, industry=None, customer_type=None, collector=None))
    events.refresh(engine)
    table = explorer.debtor_table(engine, AS_OF)
    some = table["customer_id"].head(7).tolist() + ["C000002"]
    assert collectors.assign(engine, some[:3], collector="Anna Neu") == 3
    collectors.assign(engine, {some[3]: "Bo Berg", "C000002": "Bo Berg"})
    collectors.assign(engine, some[:2], collector=None)
    moved = _sales(engine)
    events.refresh(engine)  # the rollup recomputed whole
    full = _sales(engine)
    pd.testing.assert_frame_equal(moved.drop(columns="sales"), full.drop(columns="sales"))
    assert np.allclose(moved["sales"], full["sales"], atol=0.01)
    # Past the limit, the rollup is recomputed whole: the same again.
    monkeypatch.setattr(collectors, "MOVE_SALES_MAX", 1)
    collectors.assign(engine, some[4:7], collector="Cy Dahl")
    again = _sales(engine)
    events.refresh(engine)
    pd.testing.assert_frame_equal(again, _sales(engine))


def _debtors(weights, current) -> pd.DataFrame:
    return pd.DataFrame({"customer_id": [f"C{i:04d}" for i in range(len(weights))], "overdue": weights,
                         "total": weights, "collector": current})


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=1, max_size=60), st.integers(1, 5))
def test_a_share_out_evens_the_load_within_one_debtor(weights, size):
    team = [f"Collector {k}" for k in range(size)]
    table = _debtors(weights, [None] * len(weights))
    shared = collectors.share(table, team)
    assert sorted(shared.index) == sorted(table["customer_id"]) and set(shared) <= set(team)
    load = table.set_index("customer_id")["overdue"].groupby(shared).sum().reindex(team, fill_value=0.0)
    assert load.max() - load.min() <= max(weights) + 1e-6
    # Those with nothing overdue are shared by number, not piled on one collector.
    idle = shared[table.set_index("customer_id")["overdue"].reindex(shared.index).to_numpy() == 0]
    per = idle.value_counts().reindex(team, fill_value=0)
    if len(idle) >= size and all(w == 0 for w in weights):
        assert per.max() - per.min() <= 1
    assert shared.equals(collectors.share(table, team))  # reproducible


def test_a_share_out_keeps_debtors_and_counts_other_loads():
    table = _debtors([500.0, 400.0, 300.0, 50.0, 10.0, 0.0], ["A", "B", None, None, "Z", None])
    shared = collectors.share(table, ["A", "B"], only_unassigned=True)
    # A and B keep theirs; Z's debtor and those nobody works move, the largest to the lighter B first.
    assert set(shared.index) == {"C0002", "C0003", "C0004", "C0005"}
    assert shared["C0002"] == "B" and shared["C0003"] == "A"
    # Sharing part of a list: loads come from the whole of it.
    part = table[table["collector"].isna()]
    assert collectors.share(part, ["A", "B"], loads_from=table)["C0002"] == "B"
    everything = collectors.share(table, ["A", "B"], by="debtors")
    assert everything.value_counts().tolist() == [3, 3]
    with pytest.raises(ArboardError, match="at least one collector"):
        collectors.share(table, [" "])
    preview = collectors.preview(table, shared).set_index("collector")
    assert preview["debtors_after"].sum() == len(table) and preview.loc["A", "debtors_before"] == 1
    assert preview["overdue_after"].sum() == pytest.approx(table["overdue"].sum())
    assert NO_COLLECTOR not in preview.index or preview.loc[NO_COLLECTOR, "debtors_after"] == 0


def test_work_list_and_debtor_list_filter_by_collector(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    plan = outreach.make_plan(duck_engine, AS_OF)
    day = max(outreach.work_days(plan), key=lambda d: (plan["date"] == pd.Timestamp(d)).sum())
    who = collectors.assigned(duck_engine)
    whole = outreach.work_list(plan, day, collectors=who)
    assert "collector" in whole and whole["collector"].notna().any()
    parts = [outreach.work_list(plan, day, collectors=who, collector=name)
             for name in [*collectors.names(duck_engine), NO_COLLECTOR]]
    assert sum(map(len, parts)) == len(whole)
    assert all(p["collector"].fillna(NO_COLLECTOR).nunique() <= 1 for p in parts)
    table = explorer.debtor_table(duck_engine, AS_OF)
    mine = explorer.filter_debtors(table, explorer.Filters(collectors=("Katrin Vogel", NO_COLLECTOR)))
    assert len(mine) and set(mine["collector"].fillna(NO_COLLECTOR)) <= {"Katrin Vogel", NO_COLLECTOR}
    folios = collectors.portfolios(table)
    assert folios["debtors"].sum() == len(table)
    load = collectors.workload(whole)
    assert load["contacts"].sum() == len(whole) and load["calls"].sum() == (whole["channel"] == "phone").sum()
    assert folios["overdue"].sum() == pytest.approx(table["overdue"].sum())
    assert np.all(folios["overdue_share"].between(0, 1))


def test_cli_collectors_assign_and_a_collectors_work_list(duck_url, tmp_path):
    engine = db.open_database(duck_url)
    generate.write_sample(engine, SMALL_SAMPLE)
    engine.dispose()
    run = CliRunner().invoke
    shown = run(app, ["collectors", "--db", duck_url, "--as-of", AS_OF.isoformat()])
    assert shown.exit_code == 0 and "Katrin Vogel" in shown.output and NO_COLLECTOR in shown.output, shown.output
    shared = run(app, ["assign", "--share-among", "Katrin Vogel,Anna Neu", "--db", duck_url])
    assert shared.exit_code == 0 and "Anna Neu" in shared.output, shared.output
    engine = db.open_database(duck_url)
    table = explorer.debtor_table(engine, AS_OF)
    assert table["collector"].notna().all()  # nobody's debtors were shared out
    engine.dispose()
    first = table["customer_id"].iloc[0]  # a debtor with a balance: in a portfolio
    made = run(app, ["assign", first, "--to", "Zoë Lind", "--db", duck_url])
    assert made.exit_code == 0 and "1 of 1" in made.output
    assert run(app, ["assign", first, "--db", duck_url]).exit_code == 2
    assert run(app, ["assign", "NOPE", "--to", "X", "--db", duck_url]).exit_code == 1
    out_file = tmp_path / "p.csv"
    assert run(app, ["collectors", "--db", duck_url, "--out", str(out_file)]).exit_code == 0
    written = out_file.read_text(encoding="utf-8-sig")
    assert "Zoë Lind" in written and "invoices_promised" in written
    plan_file = tmp_path / "w.csv"
    engine = db.open_database(duck_url)
    plan = outreach.make_plan(engine, AS_OF)
    engine.dispose()
    day = outreach.work_days(plan)[0]
    made = run(app, ["plan", "--db", duck_url, "--as-of", AS_OF.isoformat(), "--day", day.isoformat(),
                     "--collector", "Katrin Vogel", "--out", str(plan_file)])
    assert made.exit_code == 0, made.output
    work = pd.read_csv(plan_file, encoding="utf-8-sig")
    assert set(work["collector"]) <= {"Katrin Vogel"}
    assert run(app, ["plan", "--db", duck_url, "--collector", "X", "--out", str(plan_file)]).exit_code == 2


def test_the_overview_breaks_down_by_collector_with_sales_matched_to_balances(duck_engine):
    from arboard import overview

    generate.write_sample(duck_engine, SMALL_SAMPLE)
    ov = overview.overview(duck_engine, AS_OF, currency="EUR")
    by = overview.breakdown_by(duck_engine, ov, "collector").set_index("dim")
    assert NO_COLLECTOR in by.index and "(unknown)" not in by.index
    # Debtors nobody works are new: their balance is at most what they were sold in the window, so their
    # DSO is at most the window's 90 days. A label that differed between balances and sales left them
    # with the wrong sales (a DSO of 723 days on the 100k sample).
    assert by.loc[NO_COLLECTOR, "dso"] <= 90
    direct = kpis.kpis_by(duck_engine, AS_OF, "collector", currency="EUR").set_index("dim")
    assert set(direct.index) >= set(by.index) - {NO_COLLECTOR} and NO_COLLECTOR in direct.index


def test_letters_and_statements_name_the_debtors_collector(duck_engine):
    import io

    from pypdf import PdfReader

    from arboard import letters, statement

    generate.write_sample(duck_engine, SMALL_SAMPLE)
    table = explorer.debtor_table(duck_engine, AS_OF)
    who = table[table["collector"].notna()].iloc[0]
    pdf = letters.statement_pdf(statement.account_statement(duck_engine, who["customer_id"], AS_OF))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Your contact" in text and who["collector"] in text
    nobody = table[table["collector"].isna()].iloc[0]["customer_id"]
    pdf = letters.statement_pdf(statement.account_statement(duck_engine, nobody, AS_OF))
    assert "Your contact" not in PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    found = letters.addresses(duck_engine, [who["customer_id"]])
    assert found.loc[who["customer_id"], "collector"] == who["collector"]


def test_collectors_call_their_own_debtors_within_their_day(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    who = collectors.assigned(duck_engine)
    inputs = outreach.plan_inputs(duck_engine, AS_OF)
    settings = outreach.PlanSettings(agents=1, calls_per_agent_per_day=2, calls_per_collector=True)
    raw = inputs.build(AS_OF, settings)
    done = outreach.finish_plan(raw, AS_OF, settings, spread=True, collectors=who)
    calls = done.plan[done.plan["channel"] == "phone"]
    per = calls.groupby([calls["date"], calls["customer_id"].map(who).fillna("")]).size()
    assert per.max() <= 2  # each collector 2 a day; the one agent 2 a day on the debtors nobody works
    assert len(calls) + len(done.calls_left_out) == (raw["channel"] == "phone").sum() - _dropped(raw, settings)
    load = outreach.workload(done.plan, settings, collectors=who)
    assert not load["overload"].any() and (load["capacity"] == 2 + 2 * who.nunique()).all()
    # The same calls shared by the agents alone: two a day in all, so more are left out.
    shared = outreach.finish_plan(raw, AS_OF, outreach.PlanSettings(agents=1, calls_per_agent_per_day=2),
                                  spread=True, collectors=who)
    assert len(shared.calls_left_out) > len(done.calls_left_out)
    assert (shared.plan[shared.plan["channel"] == "phone"].groupby("date").size() <= 2).all()
    # Without spreading, a day where one collector has too many calls is overloaded.
    unspread = outreach.finish_plan(raw, AS_OF, settings, collectors=who).plan
    assert outreach.workload(unspread, settings, collectors=who)["overload"].any()


def _dropped(raw: pd.DataFrame, settings: outreach.PlanSettings) -> int:
    """Calls the contact-pressure limit drops before spreading."""
    kept = outreach.enforce_pressure(raw, settings)
    return int((raw["channel"] == "phone").sum() - (kept["channel"] == "phone").sum())


def test_contacts_say_who_made_them_and_the_team_counts_them(engine):
    from datetime import timedelta

    from arboard import aging, logbook, timeline

    generate.write_sample(engine, SMALL_SAMPLE)
    before = collectors.activity(engine, AS_OF)
    assert len(before) and (before["contacts"] >= before["calls"]).all()  # the sample's calls are the collectors'
    table = explorer.debtor_table(engine, AS_OF)
    debtor = table[table["collector"].notna()].iloc[0]
    assert logbook.logged(engine, debtor["customer_id"]).empty  # nothing logged in arboard yet
    open_now = aging.items(engine, AS_OF, customer_id=debtor["customer_id"])
    ids = tuple(open_now.loc[open_now["open_amount"] > 0, "invoice_id"][:2])
    with pytest.raises(ArboardError, match="control character"):
        logbook.log(engine, debtor["customer_id"], logbook.Entry(AS_OF, "phone", "call", by="Zoë\nLind"), today=AS_OF)
    entry = logbook.Entry(AS_OF, "phone", "call", "promised", ids, AS_OF + timedelta(days=7), by="Zoë Lind")
    logbook.log(engine, debtor["customer_id"], entry, today=AS_OF)
    mine = logbook.logged(engine, debtor["customer_id"])
    assert set(mine["logged_by"]) == {"Zoë Lind"} and len(mine) == len(ids)
    after = collectors.activity(engine, AS_OF).set_index("collector")
    # One call about two invoices is one contact, and two invoices promised.
    assert after.loc["Zoë Lind", ["contacts", "calls", "debtors_reached", "invoices_promised"]].tolist() == \
        [1, 1, 1, len(ids)]
    events = timeline.debtor_timeline(engine, debtor["customer_id"], as_of=AS_OF)
    assert events["detail"].str.contains("by Zoë Lind", regex=False).any()
    roster = collectors.team(table, collectors.activity(engine, AS_OF))
    assert "Zoë Lind" in set(roster["collector"]) and roster["collector"].is_unique
    assert roster.loc[roster["collector"] == "Zoë Lind", "debtors"].item() == 0  # works no debtor, made a call
    assert roster["collector"].iloc[-1] == NO_COLLECTOR or NO_COLLECTOR not in set(roster["collector"])
    assert fields.suggest_mapping(["Contact ID", "Customer", "Date", "Channel", "Kind", "User"],
                                  "contacts")["User"] == "logged_by"
