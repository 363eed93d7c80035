"""Cached calls into arboard for the pages.

Every function is keyed on the database URL and its data version (so an import invalidates it)
plus the parameters that change the answer. Saved exchange rates are read inside (saving them bumps
the data version): a currency of None means all currencies in the reporting currency. All users
of one arboard server share one database, so a cross-session cache holds nothing that another user
of the same server may not see.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import date
from typing import NamedTuple

import pandas as pd
import streamlit as st

from arboard import (
    aging,
    cashdecisions,
    collectors,
    creditholds,
    disputes,
    explorer,
    forecast,
    fx,
    holds,
    interest,
    interestclaims,
    letters,
    model,
    notes,
    openitems,
    outreach,
    overview,
    profiles,
    promises,
    provision,
    scenarios,
    sender,
    timeline,
    unapplied,
)
from arboard.aging import AgingSpec
from arboard.kpis import KpiSettings
from arboard.segments import SegmentConfig
from ui import state

TTL = 3600


def _key() -> tuple[str, int]:
    engine, url, _ = state.database()
    return url, state.data_version()


def settings(window: int, cei_average: bool, edges: tuple[int, ...], basis: str) -> KpiSettings:
    return KpiSettings(window_days=window, cei_average_sales=cei_average, aging=AgingSpec(edges=edges, basis=basis))


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _currencies(url: str, version: int) -> list[tuple[str, float]]:
    return openitems.currencies(state._engine(url))


def currencies() -> list[tuple[str, float]]:
    return _currencies(*_key())


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _rates(url: str, version: int) -> fx.Rates:
    return fx.load(state._engine(url))


def exchange_rates() -> fx.Rates:
    """The saved reporting currency and rates (saving them bumps the data version)."""
    return _rates(*_key())


@st.cache_data(ttl=TTL, max_entries=64, show_spinner="Computing aging…")
def _aging_trend(url, version, dates: tuple[date, ...], currency, edges, basis, dimension) -> pd.DataFrame:
    return aging.aging_trend(state._engine(url), list(dates), spec=AgingSpec(edges=edges, basis=basis),
                             currency=currency, dimension=dimension, rates=_rates(url, version))


def aging_trend(dates: list[date], currency: str | None, edges: tuple[int, ...], basis: str,
                dimension: str | None = None) -> pd.DataFrame:
    return _aging_trend(*_key(), tuple(dates), currency, edges, basis, dimension)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner="Computing aging by customer…")
def _aging_by_customer(url, version, as_of, currency, edges, basis) -> pd.DataFrame:
    return aging.aging_by_customer(state._engine(url), as_of, spec=AgingSpec(edges=edges, basis=basis),
                                   currency=currency, rates=_rates(url, version))


def aging_by_customer(as_of: date, currency: str | None, edges: tuple[int, ...], basis: str) -> pd.DataFrame:
    return _aging_by_customer(*_key(), as_of, currency, edges, basis)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _items(url, version, as_of, currency, edges, basis, bucket, customer_id) -> pd.DataFrame:
    return aging.items(state._engine(url), as_of, spec=AgingSpec(edges=edges, basis=basis), currency=currency,
                       bucket=bucket, customer_id=customer_id, rates=_rates(url, version))


def items(as_of: date, currency: str | None, edges: tuple[int, ...], basis: str, *, bucket: str | None = None,
          customer_id: str | None = None) -> pd.DataFrame:
    return _items(*_key(), as_of, currency, edges, basis, bucket, customer_id)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _timeline(url, version, customer_id, as_of, holds_key) -> pd.DataFrame:
    return timeline.debtor_timeline(state._engine(url), customer_id, as_of=as_of)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner=False)
def _last_note(url, version, customer_id, as_of) -> str | None:
    return notes.last_note(state._engine(url), customer_id, as_of=as_of)


def last_note(customer_id: str, as_of: date) -> str | None:
    """One debtor's latest note as of ``as_of`` (cached per data version)."""
    return _last_note(*_key(), customer_id, as_of)


def debtor_timeline(customer_id: str, as_of: date) -> pd.DataFrame:
    """One debtor's timeline (cached per data version and state of the credit-hold register)."""
    return _timeline(*_key(), customer_id, as_of, creditholds.register_key(state.engine()))


@st.cache_data(ttl=TTL, max_entries=16, show_spinner="Computing the overview…")
def _overview(url, version, as_of, currency, window, cei_average):
    return overview.overview(state._engine(url), as_of, settings=settings(window, cei_average, (30, 60, 90, 120),
                                                                          "due"), currency=currency,
                             rates=_rates(url, version))


def overview_for(as_of: date, currency: str | None, window: int, cei_average: bool) -> overview.Overview:
    """Everything the Overview page shows, in one cached computation (broken down by country)."""
    return _overview(*_key(), as_of, currency, window, cei_average)


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _breakdown(url, version, as_of, currency, window, cei_average, dimension) -> pd.DataFrame:
    ov = _overview(url, version, as_of, currency, window, cei_average)
    return overview.breakdown_by(state._engine(url), ov, dimension,
                                 settings=settings(window, cei_average, (30, 60, 90, 120), "due"))


def breakdown(as_of: date, currency: str | None, window: int, cei_average: bool, dimension: str) -> pd.DataFrame:
    """The Overview's breakdown by another attribute, without recomputing the rest of the Overview."""
    return _breakdown(*_key(), as_of, currency, window, cei_average, dimension)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner="Building debtor profiles…")
def _profiles(url, version, as_of, lookback) -> pd.DataFrame:
    return profiles.debtor_profiles(state._engine(url), as_of, lookback_days=lookback)


def debtor_profiles(as_of: date, lookback: int) -> pd.DataFrame:
    """One row per debtor (cached: moving a threshold slider never recomputes it)."""
    return _profiles(*_key(), as_of, lookback)


@st.cache_resource(ttl=TTL, max_entries=4, show_spinner="Training the late-payment model…")
def _model(url, version, as_of):
    return model.train(state._engine(url), as_of)


def lateness_model(as_of: date) -> model.LatenessModel:
    """The late-payment model trained as of a date (cached per data version; read-only once built)."""
    return _model(*_key(), as_of)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner="Scoring open invoices…")
def _risk(url, version, as_of) -> tuple[pd.DataFrame, pd.DataFrame]:
    return model.risk_scores(state._engine(url), _model(url, version, as_of), as_of)


def risk_scores(as_of: date) -> tuple[pd.DataFrame, pd.DataFrame]:
    return _risk(*_key(), as_of)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _bands(url, version, as_of, lookback) -> pd.Series:
    from arboard.segments import balance_bands

    unit = _rates(url, version).unit(c for c, _ in _currencies(url, version))
    return balance_bands(_profiles(url, version, as_of, lookback)["open_ar"], unit=unit)


def balance_bands(as_of: date, lookback: int) -> pd.Series:
    """Balance-size band of each debtor (independent of the thresholds, so cached with the profiles)."""
    return _bands(*_key(), as_of, lookback)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner="Assigning segments…")
def _segment_groups(url, version, as_of, lookback, config_json) -> pd.Series:
    from arboard.segments import assign

    prof = _profiles(url, version, as_of, lookback)
    return pd.Series(assign(prof, _config(config_json)).to_numpy(), index=prof["customer_id"])


def segment_groups(as_of: date, lookback: int = 365, config: SegmentConfig | None = None) -> pd.Series:
    """Segment of each customer id under ``config`` (for breakdowns on other pages)."""
    return _segment_groups(*_key(), as_of, lookback, _json(config))


def _json(config: SegmentConfig | None) -> str:
    return json.dumps((config or SegmentConfig()).to_dict(), sort_keys=True)


def _config(config_json: str) -> SegmentConfig:
    return SegmentConfig.from_dict(json.loads(config_json))


class Decided(NamedTuple):
    """What decides which cash on account counts, for cache keys (neither is a data version: saving one does
    not recompute every page): the version of the decisions on its proposals
    (:func:`arboard.cashdecisions.version`) and the saved match rules (:func:`match_rules`)."""

    version: str
    tolerance: float
    discounts: tuple[float, ...]

    @property
    def rules(self) -> unapplied.MatchSettings:
        return unapplied.MatchSettings(tolerance=self.tolerance, discounts=self.discounts)


class Written(NamedTuple):
    """What is written in arboard beside the ledger and changes a plan, for cache keys (not a data version,
    so recording one does not recompute every page): the cash decisions and match rules, and the active
    holds (added or lifted, never edited)."""

    decided: Decided
    holds: tuple[str, ...]


def _written_key(as_of: date) -> Written:
    return Written(_decided(), tuple(sorted(holds.active(state.engine(), as_of)["hold_id"])))


def _decided() -> Decided:
    engine = state.engine()
    rules = unapplied.saved_settings(engine)
    return Decided(cashdecisions.version(engine), rules.tolerance, rules.discounts)


def match_rules() -> unapplied.MatchSettings:
    """The match rules saved for every page (:func:`arboard.unapplied.saved_settings`)."""
    return unapplied.saved_settings(state.engine())


def _playbooks_key(engine) -> int:
    """The saved playbooks and call about a broken promise, for cache keys (saving one is not a data version)."""
    books = sorted((g, b.to_json()) for g, b in outreach.load_playbooks(engine).items())
    return hash((tuple(books), repr(outreach.load_promise_call(engine))))


# A resource: the open items and what goes with them, read once. A decision on cash on account does not
# read them again (at 10M invoices that took seconds): :func:`_inputs` only puts the new lines in.
@st.cache_resource(ttl=TTL, max_entries=4, show_spinner="Reading the open items…")
def _read_inputs(url, version, as_of, playbook_key, config_json, hold_ids) -> outreach.PlanInputs:
    return outreach.plan_inputs(state._engine(url), as_of, config=_config(config_json),
                                profile_frame=_profiles(url, version, as_of, 365),
                                promise_frame=_promises(url, version, as_of).copy(deep=False),  # the Promises tab's
                                cash=pd.DataFrame(columns=unapplied.LINE_COLUMNS))


# A resource: the plan inputs with the cash on account as matched and decided, shared by the plan and the
# credit-hold list (their preparation per settings is kept inside). Read-only for callers.
@st.cache_resource(ttl=TTL, max_entries=4, show_spinner=False)
def _inputs(url, version, as_of, playbook_key, config_json, written) -> outreach.PlanInputs:
    read = _read_inputs(url, version, as_of, playbook_key, config_json, written.holds)
    # The saved match rules: the Unapplied cash page's first view reads the same match.
    return dataclasses.replace(read, cash=_all_lines(url, version, as_of, written.decided), _prepared={})


# A resource, not data: at 10M invoices a plan of 600,000 contacts with their statements pickled to
# 0.5 GB in 9 s, and every rerun of the page unpickled it again (4 s). Readers get shallow copies,
# which copy-on-write keeps from changing the cached frames.
@st.cache_resource(ttl=TTL, max_entries=6, show_spinner="Planning contacts…")
def _plan(url, version, as_of, settings_items, enforce, spread, playbook_key, config_json, written):
    settings = outreach.PlanSettings(**dict(settings_items))
    engine = state._engine(url)
    inputs = _inputs(url, version, as_of, playbook_key, config_json, written)
    done = outreach.finish_plan(inputs.build(as_of, settings), as_of, settings, enforce=enforce, spread=spread,
                                rates=_rates(url, version), collectors=_assigned(url, version))
    return (done.plan, done.violations, outreach.response_rates(engine, as_of), (done.calls_moved, done.calls_left_out),
            inputs.handed_over(as_of, settings))


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _promises(url, version, as_of) -> pd.DataFrame:
    return promises.promises(state._engine(url), as_of)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _kept(url, version, as_of) -> dict:
    return promises.kept_rate(state._engine(url), as_of)


def promises_kept(as_of: date) -> dict:
    """How many promises to pay were kept lately (:func:`arboard.promises.kept_rate`), cached."""
    return dict(_kept(*_key(), as_of))


def promises_list(as_of: date) -> pd.DataFrame:
    """Running and lately broken promises to pay on open invoices (cached per data version)."""
    return _promises(*_key(), as_of).copy(deep=False)


def outreach_plan(as_of: date, settings: outreach.PlanSettings, enforce: bool, config: SegmentConfig | None = None,
                  *, spread: bool = False):
    """(plan, pressure violations before enforcement, response rates per channel, (calls moved, the calls
    left out) by spreading, debtors past a hand-over), cached."""
    engine = state.engine()
    items = _settings_items(settings)
    plan, violations, rates, calls, handed = _plan(*_key(), as_of, items, enforce, spread, _playbooks_key(engine),
                                                   _json(config), _written_key(as_of))
    moved, left_out = calls
    left_out = None if left_out is None else left_out.copy(deep=False)
    return plan.copy(deep=False), violations.copy(deep=False), dict(rates), (moved, left_out), handed.copy(deep=False)


def paid_by_cash(as_of: date, settings: outreach.PlanSettings, config: SegmentConfig | None = None) -> pd.DataFrame:
    """The open invoices the plan counts as paid by cash on account (:meth:`arboard.outreach.PlanInputs.paid_by_cash`),
    from the plan's own inputs."""
    inputs = _inputs(*_key(), as_of, _playbooks_key(state.engine()), _json(config), _written_key(as_of))
    return inputs.paid_by_cash(settings)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _interest_owed(url, version, as_of, terms) -> tuple[pd.DataFrame, pd.DataFrame]:
    claims = interest.by_debtor(state._engine(url), as_of, terms=terms, rates=_rates(url, version))
    return interest.totals(claims), claims


def interest_owed(as_of: date, terms: interest.InterestTerms) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the overdue invoices would claim under ``terms``: per currency, and per debtor (cached per
    data version and terms)."""
    return _interest_owed(*_key(), as_of, terms)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _interest_paid_late(url, version, since, until, terms) -> tuple[pd.DataFrame, pd.DataFrame]:
    claims = interest.paid_late_by_debtor(state._engine(url), since=since, until=until, terms=terms,
                                          rates=_rates(url, version))
    return interest.totals(claims), claims


def interest_paid_late(since: date, until: date, terms: interest.InterestTerms) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What the payments made late from ``since`` to ``until`` earn under ``terms`` and was not claimed
    yet: per currency, and per debtor (cached per data version, period and terms)."""
    return _interest_paid_late(*_key(), since, until, terms)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _interest_claimed(url, version, since, until) -> pd.DataFrame:
    return interestclaims.claimed(state._engine(url), since=since, until=until)


def interest_claimed(since: date, until: date) -> pd.DataFrame:
    """What the claims recorded as sent asked for on the payments made from ``since`` to ``until``, per
    currency (cached per data version and period)."""
    return _interest_claimed(*_key(), since, until)


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def _interest_recordings(url, version, limit) -> pd.DataFrame:
    return interestclaims.batches(state._engine(url), limit=limit)


def interest_recordings(limit: int) -> pd.DataFrame:
    """The interest claims recorded as sent, newest first, at most ``limit`` rows (cached per data version:
    a recording or a withdrawal moves it on)."""
    return _interest_recordings(*_key(), limit)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner="Working out the provision…")
def _provision(url, version, as_of, currency, policy_json) -> provision.Matrix:
    policy = provision.ProvisionPolicy.from_dict(json.loads(policy_json))
    return provision.matrix(state._engine(url), as_of, policy=policy, currency=currency, rates=_rates(url, version))


def provision_matrix(as_of: date, currency: str | None, policy: provision.ProvisionPolicy) -> provision.Matrix:
    """The provision matrix as of ``as_of`` under ``policy``, cached per data version and policy."""
    return _provision(*_key(), as_of, currency, policy.to_json())


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _provision_debtors(url, version, as_of, currency, policy_json) -> pd.DataFrame:
    return provision.by_debtor(state._engine(url), _provision(url, version, as_of, currency, policy_json))


def provision_debtors(as_of: date, currency: str | None, policy: provision.ProvisionPolicy) -> pd.DataFrame:
    """The provision per debtor (every debtor with an open invoice), cached."""
    return _provision_debtors(*_key(), as_of, currency, policy.to_json())


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def _assigned(url, version) -> pd.Series:
    return collectors.assigned(state._engine(url))


def assigned() -> pd.Series:
    """Customer id → collector, for every customer somebody works (cached per data version)."""
    return _assigned(*_key())


@st.cache_data(ttl=TTL, max_entries=8, show_spinner=False)
def _activity(url, version, as_of) -> pd.DataFrame:
    return collectors.activity(state._engine(url), as_of)


def activity(as_of: date) -> pd.DataFrame:
    """What each collector did in the 30 days up to ``as_of`` (cached per data version)."""
    return _activity(*_key(), as_of)


def collector_names() -> list[str]:
    """The collectors named on any customer (cached per data version)."""
    return sorted(set(_assigned(*_key())), key=str.casefold)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _work_list(url, version, as_of, settings_items, enforce, spread, playbook_key, config_json, written, day,
               channel, pay_link, home_country, collector) -> pd.DataFrame:
    plan = _plan(url, version, as_of, settings_items, enforce, spread, playbook_key, config_json, written)[0]
    company = sender.Sender(pay_link=pay_link, country=home_country)
    work = outreach.work_list(plan, day, channel=channel, rates=_rates(url, version), pay_link=company.pay_link,
                              collectors=_assigned(url, version), collector=collector)
    engine = state._engine(url)
    found = letters.addresses(engine, letters.letters_of(work)["customer_id"])
    work = letters.with_addresses(work, found, sender=company)
    return notes.with_last_notes(work, notes.last_notes(engine, work["customer_id"].unique(), as_of=day))


def work_list(as_of: date, settings: outreach.PlanSettings, enforce: bool, config: SegmentConfig | None, *,
              spread: bool, day: date, channel: str | None, collector: str | None = None) -> pd.DataFrame:
    """One day's contacts of the cached plan with their messages (:func:`arboard.outreach.work_list`) and
    the letters' postal addresses (:func:`arboard.letters.with_addresses`), cached per plan, day, channel
    and sender: rendering a busy day's messages took 0.3 s at 1M invoices, on every rerun of the page."""
    engine = state.engine()
    company = sender.load(engine)
    return _work_list(*_key(), as_of, _settings_items(settings), enforce, spread, _playbooks_key(engine),
                      _json(config), _written_key(as_of), day, channel, company.pay_link, company.country, collector)


@st.cache_data(ttl=TTL, max_entries=8, show_spinner="Building the debtor list…")
def _debtors(url, version, as_of, currency, config_json, decided) -> pd.DataFrame:
    return explorer.debtor_table(state._engine(url), as_of, currency=currency, config=_config(config_json),
                                 profile_frame=_profiles(url, version, as_of, 365), rates=_rates(url, version),
                                 cash=_cash(url, version, as_of, decided))


def debtor_table(as_of: date, currency: str | None, config: SegmentConfig | None = None) -> pd.DataFrame:
    """Every debtor with an open balance (cached; filters run on the cached table)."""
    return _debtors(*_key(), as_of, currency, _json(config), _decided())


def _settings_items(settings: outreach.PlanSettings) -> tuple:
    """Every plan setting, for a cache key (a field left out would be silently ignored)."""
    return tuple((f.name, getattr(settings, f.name)) for f in dataclasses.fields(settings))


@st.cache_data(ttl=TTL, max_entries=32, show_spinner=False)
def _debtor_outlook(url, version, as_of, customer_id, config_json, written, settings_items, playbook_key
                    ) -> tuple[pd.DataFrame, str | None]:
    return outreach.debtor_outlook(state._engine(url), as_of, customer_id,
                                   profile_frame=_profiles(url, version, as_of, 365), config=_config(config_json),
                                   settings=outreach.PlanSettings(**dict(settings_items)),
                                   cash=_all_lines(url, version, as_of, written.decided))


def debtor_outlook(as_of: date, customer_id: str, config: SegmentConfig | None = None,
                   settings: outreach.PlanSettings = outreach.PlanSettings()) -> tuple[pd.DataFrame, str | None]:
    """One debtor's planned contacts, and why there are none when there are none
    (:func:`arboard.outreach.debtor_outlook`)."""
    return _debtor_outlook(*_key(), as_of, customer_id, _json(config), _written_key(as_of), _settings_items(settings),
                           _playbooks_key(state.engine()))


@st.cache_data(ttl=TTL, max_entries=16, show_spinner="Finding the debtors to hold…")
def _due_for_hold(url, version, as_of, settings_items, playbook_key, config_json, written, steps, limit_use
                  ) -> pd.DataFrame:
    inputs = _inputs(url, version, as_of, playbook_key, config_json, written)
    settings = outreach.PlanSettings(**dict(settings_items))
    return creditholds.due_for_hold(inputs.prepared(settings), _profiles(url, version, as_of, 365), inputs.playbooks,
                                    as_of, rules=creditholds.HoldRules(playbook_steps=steps, limit_use=limit_use),
                                    settings=settings)


def credit_holds(as_of: date, settings: outreach.PlanSettings, config: SegmentConfig | None,
                 rules: creditholds.HoldRules) -> pd.DataFrame:
    """The credit-hold list (:func:`arboard.creditholds.worklist`): who meets a rule is cached per data
    version, plan settings, playbooks and segment configuration; the register and the exemptions are
    read afresh (a hold recorded is not a new data version)."""
    engine = state.engine()
    url, version = _key()
    due = _due_for_hold(url, version, as_of, _settings_items(settings), _playbooks_key(engine), _json(config),
                        _written_key(as_of), rules.playbook_steps, rules.limit_use)
    return creditholds.worklist(due, creditholds.placed(engine, as_of), _profiles(url, version, as_of, 365),
                                exempt=creditholds.exemptions(engine, as_of=as_of),
                                groups=segment_groups(as_of, 365, config),
                                collectors=_assigned(url, version))


# --- forecast and what-if ------------------------------------------------------------------------

@st.cache_data(ttl=TTL, max_entries=16, show_spinner="Forecasting receipts…")
def _forecast(url, version, as_of, currency, decided) -> tuple[pd.DataFrame, dict]:
    cash = _cash(url, version, as_of, decided)  # sure matches: the cash is in, the invoice brings nothing more
    expected = forecast.expected_payments(state._engine(url), as_of, currency=currency, rates=_rates(url, version),
                                          paid=cash.paid() if cash is not None else None)
    return forecast.weekly(expected, as_of), forecast.outlook(expected, as_of)


def cash_forecast(as_of: date, currency: str | None) -> tuple[pd.DataFrame, dict]:
    """(13 weekly expected receipts, totals outside them), cached."""
    return _forecast(*_key(), as_of, currency, _decided())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner="Running the backtest…")
def _backtest(url, version, as_of, currency) -> forecast.Backtest:
    return forecast.backtest(state._engine(url), as_of, currency=currency, rates=_rates(url, version))


def backtest(as_of: date, currency: str | None) -> forecast.Backtest:
    return _backtest(*_key(), as_of, currency)


@st.cache_resource(ttl=TTL, max_entries=4, show_spinner="Loading the ledger for what-if scenarios…")
def _simulator(url, version, as_of, currency, window, config_json, decided) -> scenarios.Simulator:
    # A resource, not data: it holds the engine and reads more history on demand. Read-only for callers.
    cash = _cash(url, version, as_of, decided)  # as the Cash forecast: money in on account is not expected again
    return scenarios.Simulator(state._engine(url), as_of, base_config=_config(config_json),
                               settings=KpiSettings(window_days=window), currency=currency,
                               profile_frame=_profiles(url, version, as_of, 365), rates=_rates(url, version),
                               paid=cash.paid() if cash is not None else None)


@st.cache_data(ttl=TTL, max_entries=64, show_spinner="Projecting…")
def _projection(url, version, as_of, currency, window, config_json, scenario_json, decided) -> scenarios.Projection:
    sim = _simulator(url, version, as_of, currency, window, config_json, decided)
    return sim.project(scenarios.Scenario.from_dict(json.loads(scenario_json)))


def projection(as_of: date, currency: str | None, window: int, config: SegmentConfig | None,
               scenario: scenarios.Scenario) -> scenarios.Projection:
    """One scenario against the baseline (cached per scenario, so comparing two costs nothing more)."""
    return _projection(*_key(), as_of, currency, window, _json(config), json.dumps(scenario.to_dict(), sort_keys=True),
                       _decided())


def kept_share(as_of: date, currency: str | None, window: int, config: SegmentConfig | None) -> float | None:
    """The ledger's share of promises kept in the window (the promises lever starts there)."""
    return _simulator(*_key(), as_of, currency, window, _json(config), _decided()).kept_share


@st.cache_data(ttl=TTL, max_entries=8, show_spinner="Writing the one-page summary…")
def _pdf(url, version, as_of, currency, window, cei_average, countback, config_json, config_name,
         scenario_json, policy_json, decided) -> bytes:
    from arboard import briefing

    projection = (_projection(url, version, as_of, currency, window, config_json, scenario_json, decided)
                  if scenario_json else None)
    weeks, outlook = _forecast(url, version, as_of, currency, decided)
    extras = briefing.Extras(groups=_segment_groups(url, version, as_of, 365, config_json), forecast_weeks=weeks,
                             forecast_outlook=outlook, projection=projection, config_name=config_name,
                             open_items_only=state._summary(url, version).open_items_only,
                             promises=briefing.promise_line(_promises(url, version, as_of), _kept(url, version, as_of)),
                             provision=briefing.provision_line(
                                 _provision(url, version, as_of, currency, policy_json),
                                 _provision(url, version, provision.previous_month_end(as_of), currency, policy_json)))
    return briefing.summary_pdf(_overview(url, version, as_of, currency, window, cei_average), countback=countback,
                                window_days=window, extras=extras)


def summary_pdf(as_of: date, currency: str | None, window: int, cei_average: bool, countback: bool,
                config_name: str | None, config: SegmentConfig | None,
                scenario: scenarios.Scenario | None = None) -> bytes:
    """The one-page PDF of the current view (with a what-if scenario when one is given)."""
    scenario_json = (json.dumps(scenario.to_dict(), sort_keys=True)
                     if scenario is not None and not scenario.is_baseline else None)
    return _pdf(*_key(), as_of, currency, window, cei_average, countback, _json(config), config_name, scenario_json,
                provision.load(state.engine()).to_json(),  # the policy is saved apart from the data version
                _decided())


@st.cache_data(ttl=TTL, max_entries=16, show_spinner="Listing disputes…")
def _disputes(url, version, as_of, currency) -> tuple[pd.DataFrame, tuple[float | None, int], pd.DataFrame]:
    engine = state._engine(url)
    return (disputes.open_disputes(engine, as_of, currency=currency, rates=_rates(url, version)),
            disputes.resolution_days(engine, as_of, currency=currency),
            disputes.resolution(engine, as_of, currency=currency, by_reason=True))


def open_disputes(as_of: date, currency: str | None) -> tuple[pd.DataFrame, tuple[float | None, int], pd.DataFrame]:
    """(the open disputes, (median days disputes settled in the last 12 months took, how many), the same per
    dispute reason), cached."""
    return _disputes(*_key(), as_of, currency)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _unmarked(url, version, as_of, currency) -> pd.DataFrame:
    return disputes.unmarked(state._engine(url), as_of, currency=currency)


def unmarked_disputes(as_of: date, currency: str | None) -> pd.DataFrame:
    """Open invoices a dispute contact names but the invoices file does not flag, cached."""
    return _unmarked(*_key(), as_of, currency)


@st.cache_data(ttl=TTL, max_entries=16, show_spinner=False)
def _unapplied(url, version, as_of, tolerance, discounts) -> unapplied.CashOnAccount:
    # Without the decisions: recording one adds them to this match, it does not match again. Every currency:
    # one currency is this match filtered (CashOnAccount.in_currency), so the Overview's match serves the
    # Unapplied cash page in any currency, and a switch of currency matches nothing again.
    rates = _rates(url, version)
    return unapplied.match_payments(state._engine(url), as_of, rates=rates, decided=False,
                                    settings=unapplied.MatchSettings(tolerance=tolerance, discounts=discounts))


@st.cache_data(ttl=TTL, max_entries=4, show_spinner=False)
def _decisions(url, version) -> pd.DataFrame:
    return cashdecisions.load(state._engine(url))


def unapplied_cash(as_of: date, currency: str | None, rules: unapplied.MatchSettings) -> unapplied.CashOnAccount:
    """The payments on account with the open items they most likely pay, the clearing lines, and the
    decisions recorded on them, cached."""
    url, version = _key()
    return unapplied.with_decisions(
        _unapplied(url, version, as_of, rules.tolerance, rules.discounts).in_currency(currency),
        _decisions(url, cashdecisions.version(state.engine())))


def _cash(url: str, version: int, as_of: date, decided: Decided) -> unapplied.CashOnAccount | None:
    """The match of every payment on account by the saved rules, with the decisions, both as ``decided`` has
    them (the Unapplied cash page's first view and the plan's inputs read the same cache entry); None when
    no payments are loaded: nothing is on account."""
    if not state._summary(url, version).counts["payments"]:
        return None
    rules = decided.rules
    return unapplied.with_decisions(_unapplied(url, version, as_of, rules.tolerance, rules.discounts),
                                    _decisions(url, decided.version))


def with_overdue_paid(customers: pd.DataFrame, as_of: date, currency: str | None) -> pd.DataFrame:
    """The debtors of an aging with what of their overdue their cash on account most likely pays (sure
    matches, saved rules: the Outreach page counts the same)."""
    with st.spinner("Matching the cash on account to open items…"):
        cash = _cash(*_key(), as_of, _decided())
    if cash is None:
        return customers.assign(overdue_paid=0.0)
    return unapplied.with_overdue_paid(customers, cash, currency=currency, rates=exchange_rates())


def _all_lines(url: str, version: int, as_of: date, decided: Decided) -> pd.DataFrame:
    """The clearing lines of every debtor's cash on account (the shared match; none without payments). One
    debtor's plan reads them all, as the Outreach page's plan does: another debtor's payment may pay their
    invoice."""
    cash = _cash(url, version, as_of, decided)
    return cash.lines if cash is not None else pd.DataFrame(columns=unapplied.LINE_COLUMNS)


def debtor_cash(as_of: date, customer_id: str) -> pd.DataFrame:
    """One debtor's payments on account and what they most likely pay (saved rules): their rows of the
    shared match, which the debtor list has read already."""
    cash = _cash(*_key(), as_of, _decided())
    return cash.of(customer_id).proposals if cash is not None else pd.DataFrame(columns=unapplied.COLUMNS)
