"""What-if: move debtor behaviour, terms and thresholds; see DSO and the cash released, side by side."""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from arboard import promises, scenarios, segments
from arboard.errors import ArboardError
from arboard.scenarios import BASELINE, LEVER_GROUPS, Scenario
from arboard.segments import SUBGROUP_LABELS
from ui import cache, charts, controls, state
from ui.format import count, days, md, measures, money

as_of = state.ledger_page(__file__, "What-if")
engine = state.engine()
present = state.presenting()
names = scenarios.scenario_names(engine)
LEVER_KEYS = [*(f"wi_late_{g}" for g in LEVER_GROUPS), *(f"wi_terms_{g}" for g in LEVER_GROUPS), "wi_promises_on",
              "wi_promises", "wi_thr_on", "wi_thr_able", "wi_thr_unable", "wi_thr_wont", "wi_name", "wi_note"]


def seed(s: Scenario, base, kept_now: float | None) -> None:
    """Put a scenario's levers into the editor's widgets."""
    late, terms = dict(s.days_late), dict(s.terms)
    for g in LEVER_GROUPS:
        st.session_state[f"wi_late_{g}"] = late.get(g, 0)
        st.session_state[f"wi_terms_{g}"] = terms.get(g, 0)
    st.session_state["wi_promises_on"] = s.promise_kept_share is not None
    share = s.promise_kept_share if s.promise_kept_share is not None else kept_now
    st.session_state["wi_promises"] = round((share if share is not None else 0.5) * 100)
    t = s.thresholds or base
    st.session_state["wi_thr_on"] = s.thresholds is not None
    st.session_state["wi_thr_able"] = float(t.able_max_days_late)
    st.session_state["wi_thr_unable"] = float(t.unable_min_days_late)
    st.session_state["wi_thr_wont"] = float(t.wont_min_days_late)
    st.session_state["wi_name"] = "" if s.name == BASELINE else s.name
    st.session_state["wi_note"] = s.note


def load(name: str) -> Scenario:
    try:
        return scenarios.load_scenario(engine, name)
    except ArboardError as exc:
        st.warning(str(exc))
        return Scenario()


# --- what is shown: the parameters (kept across pages and into presentation mode) -----------------
if present:
    # A shared presentation link carries currency and window; a session remembers them too.
    params = st.session_state.get("_wi_params") or {}
    currency = st.query_params.get("currency") or params.get("currency") or controls.default_currency()
    if currency == controls.ALL:  # all currencies in the reporting currency, while one is saved
        currency = None if cache.exchange_rates().active else controls.default_currency()
    try:
        window = int(st.query_params.get("window") or params.get("window") or 90)
    except ValueError:
        window = 90
    window = window if window in controls.WINDOWS else 90
    config_name = params.get("config") or st.query_params.get("config")
    try:
        base_config = segments.load_config(engine, config_name) if config_name else None
    except ArboardError:
        base_config = None
    if st.button("Leave presentation", icon=":material/close_fullscreen:", key="wi_leave"):
        st.query_params.pop("present", None)
        st.rerun()
else:
    top = st.columns([1, 1, 1.4, 1.4, 1.4])
    with top[0]:
        currency = controls.currency()
    with top[1]:
        window = controls.window()
    config_name, base_config = controls.segment_config(top[2])
    controls.remembered("wi_pick", names, BASELINE, url_key="scenario")
    top[3].selectbox("Scenario", names, key="wi_pick", on_change=controls.remember, args=("wi_pick",),
                     help="Saved scenarios; Baseline is the ledger as it is. Edit the levers below.")
    controls.remembered("wi_compare", ["(none)", *names], "(none)", url_key="compare")
    top[4].selectbox("Compare with", ["(none)", *names], key="wi_compare", on_change=controls.remember,
                     args=("wi_compare",), help="Show a second saved scenario side by side.")
    shown = currency or (controls.ALL if cache.exchange_rates().active else None)
    st.session_state["_wi_params"] = {"currency": shown, "window": window, "config": config_name}
    if shown:
        st.query_params["currency"] = shown
    st.query_params["window"] = str(window)
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency)
base = base_config or segments.SegmentConfig()
pick = st.session_state.get("_wi_pick") or st.query_params.get("scenario") or BASELINE
pick = pick if pick in names else BASELINE
compare_with = st.session_state.get("_wi_compare") or st.query_params.get("compare") or "(none)"
compare_with = compare_with if compare_with in names else "(none)"

# --- the scenario being edited -------------------------------------------------------------------
if present:
    doc = st.session_state.get("_wi_current")
    scenario = Scenario.from_dict(doc) if doc else load(pick)
else:
    kept_now = cache.kept_share(as_of, currency, window, base_config)
    if st.session_state.get("_wi_source") != pick:
        seed(load(pick), base, kept_now)
        st.session_state["_wi_source"] = pick
    elif any(k not in st.session_state for k in LEVER_KEYS):
        # Widgets are forgotten on other pages: bring back the unsaved edits.
        doc = st.session_state.get("_wi_current")
        seed(Scenario.from_dict(doc) if doc else load(pick), base, kept_now)
    with st.expander("Levers", expanded=True, icon=":material/tune:"):
        st.caption("Negative days: the group pays sooner. Terms of 0 leave a group's terms as they are. "
                   "Settlements move with the terms (debtors keep paying as many days after due as before).")
        cols = st.columns(len(LEVER_GROUPS))
        for col, g in zip(cols, LEVER_GROUPS, strict=True):
            col.markdown(f"**{SUBGROUP_LABELS[g].split(' (')[0]}**")
            col.slider("Days late, change", -60, 60, step=1, key=f"wi_late_{g}")
            col.number_input("Payment terms (days, 0 = as is)", 0, scenarios.MAX_TERMS_DAYS, step=1,
                             key=f"wi_terms_{g}")
        p1, p2, p3 = st.columns([1, 1, 2])
        p1.toggle("Promises kept: change", key="wi_promises_on",
                  help=f"Kept: paid within {promises.PROMISE_GRACE_DAYS} days of the promised date; promises "
                       "whose grace ended in the window count, as in the Outreach page's kept rate. "
                       + (f"In the window the ledger kept {kept_now:.0%}." if kept_now is not None
                          else "The ledger has no promises in the window."))
        p2.slider("Promises kept (%)", 0, 100, key="wi_promises", disabled=not st.session_state["wi_promises_on"])
        p3.toggle("Move the segment thresholds", key="wi_thr_on",
                  help="Who is in which group; the levers above apply to the groups as these thresholds draw them.")
        if st.session_state["wi_thr_on"]:
            t1, t2, t3 = p3.columns(3)
            t1.slider("Able: late at most", 0.0, 60.0, step=1.0, key="wi_thr_able")
            t2.slider("Unable: late from", 0.0, 120.0, step=1.0, key="wi_thr_unable")
            t3.slider("Won't pay: late from", 0.0, 180.0, step=1.0, key="wi_thr_wont")
        n1, n2, n3, n4 = st.columns([1.2, 2, 0.5, 0.5], vertical_alignment="bottom")
        n1.text_input("Scenario name", key="wi_name", max_chars=100, placeholder="e.g. Payment plans for unable")
        n2.text_input("Note", key="wi_note", max_chars=500)
        save = n3.button("Save", key="wi_save", disabled=not st.session_state["wi_name"].strip(), width="stretch")
        delete = n4.button("Delete", key="wi_delete", disabled=pick == BASELINE, width="stretch",
                           help=f"Delete the saved scenario “{pick}”.")
    ss = st.session_state
    thresholds = None
    if ss["wi_thr_on"]:
        thresholds = replace(base, able_max_days_late=ss["wi_thr_able"],
                                       unable_min_days_late=ss["wi_thr_unable"], wont_min_days_late=ss["wi_thr_wont"])
    try:
        scenario = Scenario(
            name=ss["wi_name"].strip() or ("Unsaved scenario" if pick == BASELINE else pick),
            days_late=tuple((g, ss[f"wi_late_{g}"]) for g in LEVER_GROUPS if ss[f"wi_late_{g}"]),
            terms=tuple((g, ss[f"wi_terms_{g}"]) for g in LEVER_GROUPS if ss[f"wi_terms_{g}"]),
            promise_kept_share=ss["wi_promises"] / 100 if ss["wi_promises_on"] else None,
            thresholds=thresholds if thresholds != base else None, note=ss["wi_note"])
    except ArboardError as exc:
        st.error(md(exc))
        st.stop()
    if scenario.is_baseline and not ss["wi_name"].strip():
        scenario = Scenario()
    st.session_state["_wi_current"] = scenario.to_dict()
    if save:
        try:
            saved = scenarios.save_scenario(engine, scenario)
            st.session_state["_wi_pick"] = st.session_state["_wi_source"] = saved
            st.query_params["scenario"] = saved
            st.toast(f"Saved “{md(saved)}”.")
            st.rerun()
        except ArboardError as exc:
            st.error(md(exc))
    if delete:
        scenarios.delete_scenario(engine, pick)
        st.session_state["_wi_pick"] = BASELINE
        st.session_state.pop("_wi_source", None)
        st.query_params.pop("scenario", None)
        st.rerun()
# Names of saved scenarios only (never personal data) go into the link.
for key, value in (("scenario", pick), ("compare", compare_with)):
    if value in (BASELINE, "(none)"):
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = value

# --- results -------------------------------------------------------------------------------------
state.history_warning("projected DSO and days delinquent")
proj = cache.projection(as_of, currency, window, base_config, scenario)
other = None
if compare_with != "(none)":
    other = cache.projection(as_of, currency, window, base_config, load(compare_with))


def change(v, unit="days") -> str | None:
    if v is None or abs(v) < 0.05:
        return None
    return days(v, signed=True) if unit == "days" else money(v, cur, compact=True)


title = scenario.name if scenario.name != BASELINE else "Baseline (no change)"
if present:
    st.markdown(f"## {md(title)}  \n{', '.join(scenario.describe())} · as of {as_of:%d %b %Y} · "
                f"{'all currencies in ' if consolidated else ''}{cur}")
else:
    st.markdown(f"#### {md(title)}")
    levers = "; ".join(scenario.describe())
    st.caption(f"{levers[:1].upper() + levers[1:]}. As of **{as_of:%d %b %Y}**, in {cur}"
               f"{' (all currencies)' if consolidated else ''}, credit sales over the last {window} days "
               f"({money(proj.daily_sales, cur, compact=True)} a day). {consolidated}")
tiles = st.columns(4)
tiles[0].metric("Projected DSO", days(proj.value("dso")), delta=change(proj.value("dso", "change")),
                delta_color="inverse", help=f"Baseline {days(proj.value('dso', 'baseline'))}.")
tiles[1].metric("Best possible DSO", days(proj.value("bpdso")), delta=change(proj.value("bpdso", "change")),
                delta_color="inverse", help=f"Baseline {days(proj.value('bpdso', 'baseline'))}.")
tiles[2].metric("Average days delinquent", days(proj.value("add")), delta=change(proj.value("add", "change")),
                delta_color="inverse", help=f"Baseline {days(proj.value('add', 'baseline'))}.")
tiles[3].metric("Cash released", money(proj.cash_released, cur, compact=True),
                delta="tied up" if proj.cash_released < -0.5 else None, delta_color="inverse",
                help="(Baseline DSO − projected DSO) × average daily credit sales: the fall in open receivables.")

shown = {BASELINE: proj.metrics.assign(value=proj.metrics["baseline"])}
shown[proj.scenario.name if proj.scenario.name != BASELINE else "This scenario"] = proj.metrics.assign(
    value=proj.metrics["scenario"])
weeks = {BASELINE: proj.weeks["baseline"],
         (proj.scenario.name if proj.scenario.name != BASELINE else "This scenario"): proj.weeks["scenario"]}
if other is not None and other.scenario.name not in shown:
    shown[other.scenario.name] = other.metrics.assign(value=other.metrics["scenario"])
    weeks[other.scenario.name] = other.weeks["scenario"]
h = 420 if present else 300
left, right = st.columns(2)
with left:
    st.markdown("**Days: baseline and scenario**")
    charts.show(charts.scenario_days(shown, height=h))
with right:
    st.markdown("**Expected receipts, next 13 weeks**")
    charts.show(charts.scenario_receipts(weeks, proj.weeks["start"], cur, height=h))
if present:
    st.stop()

if other is not None:
    st.subheader(f"“{md(proj.scenario.name)}” and “{md(other.scenario.name)}”")
    table = scenarios.compare(proj, other)
    values = [c for c in table.columns if c not in ("label", "unit")]
    st.dataframe(measures(table, values, cur, signed=("difference",)), hide_index=True, width="stretch",
                 column_order=["label", *values], column_config={"label": "Measure", "difference": "Difference"})

t1, t2 = st.columns([3, 2])
with t1:
    st.markdown("**Baseline and scenario**")
    st.dataframe(measures(proj.metrics, ["baseline", "scenario", "change"], cur, signed=("change",)),
                 hide_index=True, width="stretch", column_order=["label", "baseline", "scenario", "change"],
                 column_config={"label": "Measure", "baseline": "Baseline", "scenario": "Scenario",
                                "change": "Change"})
with t2:
    st.markdown("**Each lever on its own**")
    if proj.levers.empty:
        st.caption("No lever is moved: the scenario is the ledger as it is.")
    else:
        charts.show(charts.lever_bars(proj.levers, cur))
        st.caption("Levers interact, so these need not add up to the total.")
st.markdown("**By group**")
groups = proj.groups.assign(group=proj.groups["group"].map(SUBGROUP_LABELS),
                            released=-proj.groups["ar_change"].round(0) + 0.0,  # + 0.0: no "-0"
                            open_invoices=proj.groups["open_invoices"].round(0))
# "localized": thousands separators, and whole amounts without ".00".
st.dataframe(groups[["group", "customers_base", "customers_scn", "open_invoices", "released"]], hide_index=True,
             width="stretch",
             column_config={"group": "Group",
                            "customers_base": st.column_config.NumberColumn("Debtors (baseline)", format="localized"),
                            "customers_scn": st.column_config.NumberColumn("Debtors (scenario thresholds)",
                                                                           format="localized"),
                            "open_invoices": st.column_config.NumberColumn(
                                f"Open AR ({cur})", format="localized",
                                help="Open invoices, less what cash on account most likely paid already."),
                            "released": st.column_config.NumberColumn(f"Cash released ({cur})", format="localized")})
kept = proj.promise_kept_share
saved = len(names) - 1
st.caption((f"{count(saved, 'saved scenario')}. " if saved else "No saved scenario yet. ")
           + (f"Promises kept in the window: {kept:.0%}. " if kept is not None else "")
           + "Open invoices settle on their forecast date (Cash forecast page); doubtful items (over 180 days past "
             "due) are not expected to pay under any scenario."
           + (f" Cash on account most likely paid {money(proj.paid_on_account, cur)} of the open invoices already "
              f"({count(proj.paid_items, 'invoice')} in full): it is not expected again, and no lever moves it."
              if proj.paid_on_account >= 0.005 else ""))
b1, b2, _ = st.columns([1, 1, 3])
if b1.button("Presentation mode", icon=":material/slideshow:", key="wi_present",
             help="Big numbers and wide charts, nothing else on screen. The link can be shared."):
    st.query_params["present"] = "1"
    st.rerun()
# Standard DSO throughout, as the projection (cash released = ΔDSO × daily sales holds for it).
controls.pdf_button(b2, lambda: cache.summary_pdf(as_of, currency, window, False, False, config_name, base_config,
                                                  scenario), as_of, key="wi_pdf",
                    label="One-page PDF")
