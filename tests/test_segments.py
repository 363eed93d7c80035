"""Five groups: handcrafted debtors land where the playbook says, thresholds behave at their extremes."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from arboard import generate, profiles, segments
from arboard.cli import app
from arboard.errors import ArboardError
from tests.conftest import SMALL_SAMPLE


def debtor(**kw) -> dict:
    base = {"customer_id": "X", "name": "X", "open_ar": 1000.0, "overdue_ar": 0.0, "invoice_count": 12,
            "settled_count": 12, "days_beyond_terms": 2.0, "on_time_share": 0.9, "lateness_trend": 0.0,
            "after_first_reminder_share": np.nan, "response_rate": 0.9, "promises_made": 0, "promises_kept": 0,
            "promises_broken": 0, "promise_kept_share": np.nan, "partial_share": 0.0, "disputes": 0,
            "utilisation": 0.2, "credit_score": 70.0, "history_days": 700.0, "has_contact": True}
    return {**base, **kw}


HANDCRAFTED = pd.DataFrame([
    debtor(customer_id="punctual"),
    debtor(customer_id="forgetful", days_beyond_terms=6.0, on_time_share=0.2, after_first_reminder_share=0.9),
    debtor(customer_id="new", history_days=30.0, settled_count=1),
    debtor(customer_id="unreachable", has_contact=False),
    debtor(customer_id="short_of_cash", days_beyond_terms=45.0, on_time_share=0.1, response_rate=0.8,
           partial_share=0.5, promises_made=4, promises_kept=1, promise_kept_share=0.25, utilisation=1.1),
    debtor(customer_id="ignores_us", days_beyond_terms=90.0, on_time_share=0.0, response_rate=0.05, credit_score=75),
    debtor(customer_id="somewhat_late", days_beyond_terms=20.0, on_time_share=0.4, response_rate=0.9),
])
EXPECTED = {"punctual": "willing_and_able", "forgetful": "willing_and_able", "new": "no_information",
            "unreachable": "no_information", "short_of_cash": "unable_to_pay", "ignores_us": "wont_pay",
            "somewhat_late": "to_watch"}


def test_handcrafted_debtors_land_where_expected():
    groups = segments.assign(HANDCRAFTED)
    assert dict(zip(HANDCRAFTED["customer_id"], groups, strict=True)) == EXPECTED


def test_groups_3_to_5_are_inside_group_1():
    s = segments.summary(HANDCRAFTED, segments.assign(HANDCRAFTED))
    inside = sum(s[k]["customers"] for k in ("willing_and_able", "unable_to_pay", "wont_pay", "to_watch"))
    assert s["information_available"]["customers"] == inside
    assert s["information_available"]["customers"] + s["no_information"]["customers"] == len(HANDCRAFTED)


def test_extreme_thresholds_empty_or_fill_groups():
    nobody_informed = replace(segments.SegmentConfig(), min_history_days=10**6)
    assert set(segments.assign(HANDCRAFTED, nobody_informed)) == {"no_information"}
    everybody = replace(segments.SegmentConfig(), min_history_days=0, min_settled=0, require_contact=False)
    assert "no_information" not in set(segments.assign(HANDCRAFTED, everybody))
    no_wont = replace(segments.SegmentConfig(), wont_min_days_late=10**6)
    assert "wont_pay" not in set(segments.assign(HANDCRAFTED, no_wont))
    all_able = replace(everybody, able_max_days_late=10**6, able_min_on_time_or_reminder=0.0,
                       wont_min_days_late=10**6, unable_min_days_late=10**6)
    assert set(segments.assign(HANDCRAFTED, all_able)) == {"willing_and_able"}


def test_explain_gives_values_and_verdicts():
    why = segments.explain(HANDCRAFTED.iloc[5])
    row = why[why["rule"] == "Won't pay: response rate"].iloc[0]
    assert row["value"] == "5%" and row["passed"]
    assert not why[why["rule"] == "Able: days beyond terms"]["passed"].iloc[0]


def test_config_round_trip_and_validation(engine):
    cfg = replace(segments.SegmentConfig(), wont_max_response=0.1)
    segments.save_config(engine, "strict", cfg)
    assert segments.load_config(engine, "strict") == cfg
    assert segments.config_names(engine) == ["strict"]
    with pytest.raises(ArboardError):
        segments.load_config(engine, "missing")
    with pytest.raises(ArboardError):
        segments.SegmentConfig.from_dict({"min_settled": "many"})
    assert segments.SegmentConfig.from_dict({"min_settled": "5", "unknown": 1}).min_settled == 5


def test_profiles_and_sample_archetypes(duck_engine):
    spec = replace(SMALL_SAMPLE, customers=400, invoices=12_000)
    generate.write_sample(duck_engine, spec)
    prof = profiles.debtor_profiles(duck_engine, spec.end)
    assert prof["customer_id"].is_unique and set(profiles.PROFILE_COLUMNS) <= set(prof.columns)
    groups = segments.assign(prof)
    truth = generate._customers(spec, np.random.default_rng([spec.seed, 0])).set_index("customer_id")["_arche"]
    landed = pd.DataFrame({"arche": truth.reindex(prof["customer_id"]).to_numpy(), "group": groups.to_numpy()})
    informed = landed[landed["group"] != "no_information"]
    share = informed.groupby("arche")["group"].agg(lambda g: g.value_counts(normalize=True).to_dict())
    assert share[0].get("willing_and_able", 0) > 0.8  # always on time
    assert share[4].get("wont_pay", 0) > 0.6  # ignores all contact
    assert share[3].get("unable_to_pay", 0) + share[3].get("wont_pay", 0) > 0.6  # cannot pay


def test_cli_segments(duck_url):
    from arboard import db

    generate.write_sample(db.open_database(duck_url), SMALL_SAMPLE)
    out = CliRunner().invoke(app, ["segments", "--as-of", "2026-10-31", "--db", duck_url])
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    for key in segments.GROUPS:
        assert {"customers", "open_ar"} <= set(data[key])
    missing = CliRunner().invoke(app, ["segments", "--db", duck_url, "--config", "nope"])
    assert missing.exit_code == 2 and "No segment configuration" in missing.output



def test_aging_by_segment_adds_up(duck_engine):
    from arboard import aging

    generate.write_sample(duck_engine, SMALL_SAMPLE)
    prof = profiles.debtor_profiles(duck_engine, SMALL_SAMPLE.end)
    groups = pd.Series(segments.assign(prof).to_numpy(), index=prof["customer_id"])
    per_customer = aging.aging_by_customer(duck_engine, SMALL_SAMPLE.end)
    by_group = aging.aging_by_group(per_customer, groups, labels=segments.SUBGROUP_LABELS)
    assert by_group["amount"].sum() == pytest.approx(per_customer["total"].sum(), abs=0.05)
    assert set(by_group["dim"]) <= set(segments.SUBGROUP_LABELS.values()) | {"(no group)"}


def test_most_responsive_channel_is_the_same_whatever_the_row_order():
    """Ties in response rate and use go to the cheaper channel, on every run (the rows come from the
    database in no set order; the plan's channels used to flip between reloads)."""
    rows = pd.DataFrame({"customer_id": ["C1", "C1", "C1", "C2", "C2"],
                         "channel": ["phone", "letter", "email", "sms", "phone"],
                         "n": [4, 4, 2, 3, 6], "ok": [2, 2, 1, 3, 6]})
    for order in (rows, rows.iloc[::-1], rows.sample(frac=1, random_state=3)):
        assert profiles._best_channel(order).to_dict() == {"C1": "letter", "C2": "phone"}


def test_profiles_come_in_the_same_order_every_run(duck_engine):
    generate.write_sample(duck_engine, SMALL_SAMPLE)
    first = profiles.debtor_profiles(duck_engine, SMALL_SAMPLE.end)
    assert (first["open_ar"] == 0).sum() > 1  # ties to order
    assert first.equals(profiles.debtor_profiles(duck_engine, SMALL_SAMPLE.end))
    assert first["open_ar"].is_monotonic_decreasing


def test_histogram_bins_and_a_single_value():
    spread = segments.histogram(pd.Series([0.0, 90.0, 400.0, None]), clip=(0, 180))
    assert spread["count"].sum() == 3 and spread["end"].max() == 180  # clipped, missing left out
    # One value only: the bins span the clip range (a share axis ran from -50 % to 50 %), or one unit.
    same = segments.histogram(pd.Series([0.0, 0.0]), clip=(0, 1))
    assert (same["start"].min(), same["end"].max(), same["count"].sum()) == (0, 1, 2)
    assert segments.histogram(pd.Series([5.0]))["start"].min() == 5
    assert segments.histogram(pd.Series([], dtype=float)).empty
