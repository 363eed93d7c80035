"""Segments: the five groups of the playbook, tuned live, and what drives late payment."""

from __future__ import annotations

from dataclasses import fields

import streamlit as st

from arboard import exports, fx, segments
from arboard.errors import ArboardError
from arboard.segments import GROUPS, SUBGROUP_LABELS, SegmentConfig
from ui import cache, charts, controls, state
from ui.format import count, md, money, number

as_of = state.ledger_page(__file__, "Segments")
engine = state.engine()
DEFAULTS = SegmentConfig()
KEYS = [f.name for f in fields(SegmentConfig)]

# Thresholds live in session state under "seg_<field>"; a shared link (?seg=...) or a saved
# configuration fills them before the widgets are drawn.
if "seg_initialised" not in st.session_state:
    shared, shared_name = st.query_params.get("seg"), st.query_params.get("config")
    try:
        if shared:
            start = SegmentConfig.from_dict(dict(p.split(":", 1) for p in shared.split(",") if ":" in p))
        elif shared_name:
            start = segments.load_config(engine, shared_name)
            st.session_state["seg_pick"] = st.session_state["_config_pick"] = shared_name
        else:
            start = DEFAULTS
    except ArboardError as exc:
        st.warning(f"The shared link's settings could not be read ({md(exc)}); defaults are used.")
        start = DEFAULTS
    for key, value in start.to_dict().items():
        st.session_state[f"seg_{key}"] = value
    st.session_state["seg_initialised"] = True
pending = st.session_state.pop("seg_load", None)
if pending is not None:
    for key, value in pending.to_dict().items():
        st.session_state[f"seg_{key}"] = value
for key, value in DEFAULTS.to_dict().items():  # back from another page, the sliders are where they were left
    controls.kept(f"seg_{key}", value)

st.caption("Debtors split by how they pay and respond, as of "
           f"**{as_of:%d %b %Y}**. Groups 3–5 refine group 1; informed debtors matching none stay in group 1 as "
           "*to watch*. Move a threshold and everything below updates.")
state.history_warning("the groups (every debtor is in *no information*)")
top = st.columns([1, 2, 2])
controls.kept("seg_lookback", 365)
lookback = top[0].selectbox("Behaviour measured over", [180, 365, 730], key="seg_lookback",
                            format_func=lambda d: f"{d // 30} months")
names = segments.config_names(engine)
with top[1]:
    pick = st.selectbox("Saved configurations", ["(defaults)", *names], key="seg_pick")
    b1, b2 = st.columns(2)
    if b1.button("Load", key="seg_load_btn"):
        st.session_state["seg_load"] = DEFAULTS if pick == "(defaults)" else segments.load_config(engine, pick)
        # The other pages use the configuration loaded here (its name is in their links too).
        st.session_state["_config_pick"] = controls.DEFAULT_CONFIG if pick == "(defaults)" else pick
        st.rerun()
    if b2.button("Reset to defaults", key="seg_reset"):
        st.session_state["seg_load"] = DEFAULTS
        st.rerun()
with top[2]:
    name = st.text_input("Save the current thresholds as", key="seg_name", max_chars=100)
    save = st.button("Save", key="seg_save", disabled=not name.strip())

with st.sidebar:
    st.markdown("### Thresholds")
    with st.expander("Information available", expanded=True):
        st.slider("History at least (days)", 0, 730, step=15, key="seg_min_history_days")
        st.slider("Settled invoices at least", 0, 30, key="seg_min_settled")
        st.toggle("Require an e-mail or phone number", key="seg_require_contact")
    with st.expander("3 · Willing and able"):
        st.slider("Days beyond terms at most", 0.0, 60.0, step=1.0, key="seg_able_max_days_late")
        st.slider("Paid on time or at the first reminder, at least", 0.0, 1.0, step=0.05,
                  key="seg_able_min_on_time_or_reminder", format="%.2f")
    with st.expander("4 · Unable to pay"):
        st.slider("Days beyond terms at least", 0.0, 120.0, step=1.0, key="seg_unable_min_days_late")
        st.slider("Response rate at least (still willing)", 0.0, 1.0, step=0.05, key="seg_unable_min_response")
        st.caption("…and at least one sign of strain:")
        st.slider("Share of invoices paid in parts ≥", 0.0, 1.0, step=0.05, key="seg_unable_min_partial_share")
        st.slider("Share of promises kept ≤", 0.0, 1.0, step=0.05, key="seg_unable_max_promise_kept")
        st.slider("Credit-limit utilisation ≥", 0.0, 3.0, step=0.05, key="seg_unable_min_utilisation")
        st.slider("External credit score ≤", 0.0, 100.0, step=1.0, key="seg_unable_max_credit_score")
    with st.expander("5 · Won't pay"):
        st.slider("Days beyond terms at least ", 0.0, 180.0, step=1.0, key="seg_wont_min_days_late")
        st.slider("Response rate at most", 0.0, 1.0, step=0.05, key="seg_wont_max_response")

config = SegmentConfig.from_dict({k: st.session_state[f"seg_{k}"] for k in KEYS})
changed = {k: v for k, v in config.to_dict().items() if v != getattr(DEFAULTS, k)}
st.query_params["seg"] = ",".join(f"{k}:{v}" for k, v in changed.items())  # thresholds only, never personal data
loaded = st.session_state.get("_config_pick")
if loaded and loaded != controls.DEFAULT_CONFIG:
    st.query_params["config"] = loaded
else:
    st.query_params.pop("config", None)
if save:
    try:
        segments.save_config(engine, name, config)
        st.toast(f"Saved as “{md(name.strip())}”.")
        st.rerun()  # list the new name among the saved configurations
    except ArboardError as exc:
        st.error(md(exc))

profiles = cache.debtor_profiles(as_of, lookback)
if profiles.empty:
    st.info("No debtor has invoices up to this date.")
    st.stop()
groups = segments.assign(profiles, config)
summary = segments.summary(profiles, groups)

rates = cache.exchange_rates()
present = [c for c, _ in cache.currencies()]
unit = rates.unit(present)
in_unit = f" ({unit})" if unit else ""
tiles = st.columns(5)
for col, key in zip(tiles, GROUPS, strict=True):
    col.metric(GROUPS[key], number(summary[key]["customers"]))
    open_ar = summary[key]["open_ar"]
    col.caption(f"{money(open_ar, unit, compact=True) if unit else number(open_ar)} open")
st.caption(((fx.note(rates, present) or "")
            + " Open balances size the groups; they are not a reporting figure (use Overview for that).").strip())
controls.kept("seg_measure", "customers")
measure = st.radio("Show", ["customers", "open_ar"], horizontal=True, key="seg_measure",
                   format_func={"customers": "Debtors", "open_ar": "Open balance"}.get)
charts.show(charts.groups_chart(summary, SUBGROUP_LABELS, rates.label(), measure))
st.markdown("**Value × behaviour**: contact large poor payers early and often, leave large good payers alone, "
            "route small balances to automation.")
bands = cache.balance_bands(as_of, lookback)
charts.show(charts.value_behaviour_chart(segments.value_behaviour(profiles, groups, bands=bands), SUBGROUP_LABELS,
                                             rates.label()))

st.subheader("Where the thresholds cut")
h = st.columns(2)
c = config


def cut(values, lines, title: str, missing: str, *, pct: bool = False, clip=None) -> None:
    hist = segments.histogram(values, clip=clip)
    if hist.empty:
        st.info(f"**{title}**: {missing}")
    else:
        charts.show(charts.threshold_histogram(hist, lines, title, pct=pct))


settled = "no debtor has an invoice settled in the behaviour window yet."
with h[0]:
    cut(profiles["days_beyond_terms"],
        [("Able ≤", c.able_max_days_late), ("Unable ≥", c.unable_min_days_late), ("Won't pay ≥", c.wont_min_days_late)],
        "Days beyond terms (amount-weighted)", settled, clip=(0, 180))
    cut(profiles["partial_share"], [("Unable ≥", c.unable_min_partial_share)], "Share of invoices paid in parts",
        settled, pct=True, clip=(0, 1))
with h[1]:
    cut(profiles["response_rate"], [("Unable ≥", c.unable_min_response), ("Won't pay ≤", c.wont_max_response)],
        "Response rate to contacts", "no debtor was contacted in the behaviour window yet.", pct=True, clip=(0, 1))
    cut(profiles["history_days"], [("Informed ≥", c.min_history_days)], "Days since the first invoice",
        "no debtor has an invoice yet.", clip=(0, 1000))

st.subheader("Debtors by group")
g1, g2, g3 = st.columns([2, 1, 1])
chosen = g1.selectbox("Group", list(SUBGROUP_LABELS), format_func=SUBGROUP_LABELS.get, key="seg_group")
table = profiles.assign(group=groups.map(SUBGROUP_LABELS))
table = table[groups != "no_information"] if chosen == "information_available" else table[groups == chosen]
table = controls.risk_scores(table, as_of, prefix="seg", toggle_in=g2, slider_in=g3)
cols = ["name", "customer_id", "group", "open_ar", "overdue_ar", "days_beyond_terms", "on_time_share",
        "response_rate", "promise_kept_share", "partial_share", "utilisation", "best_channel",
        *(["risk_score"] if "risk_score" in table else [])]
SHOWN = 2_000  # the browser gets the largest balances; the export has everyone
if table.empty:
    st.info(f"No debtor is in “{SUBGROUP_LABELS[chosen]}” as of {as_of:%d %b %Y}: pick another group, or move "
            "the thresholds in the sidebar.")
else:
    shown = table.head(SHOWN)
    picked = st.dataframe(
        shown[cols], hide_index=True, width="stretch", height=360, on_select="rerun", selection_mode="single-row",
        key="seg_table",
        column_config={"name": "Debtor", "customer_id": "ID", "group": "Group",
                       "open_ar": st.column_config.NumberColumn(f"Open{in_unit}", format="accounting"),
                       "overdue_ar": st.column_config.NumberColumn(f"Overdue{in_unit}", format="accounting"),
                       "days_beyond_terms": st.column_config.NumberColumn("Days late", format="%.1f"),
                       "on_time_share": st.column_config.NumberColumn("On time", format="percent"),
                       "response_rate": st.column_config.NumberColumn("Responds", format="percent"),
                       "promise_kept_share": st.column_config.NumberColumn("Promises kept", format="percent"),
                       "partial_share": st.column_config.NumberColumn("Pays in parts", format="percent"),
                       "utilisation": st.column_config.NumberColumn("Limit used", format="percent"),
                       "best_channel": "Best channel",
                       "risk_score": st.column_config.ProgressColumn("Risk (30+ days late)", min_value=0, max_value=100,
                                                                     format="%.0f")})
    if len(table) > SHOWN:
        st.caption(f"The {number(SHOWN)} largest balances of {number(len(table))} are shown; the export has them all.")
    # The CSV is built only when the button is clicked, not on every slider move.
    st.download_button(f"Export {count(len(table), 'debtor')} (CSV)", lambda: exports.to_csv_bytes(
                           table[cols].assign(amounts_in=rates.amounts_in(present))),
                       f"debtors-{chosen}-{as_of.isoformat()}.csv", "text/csv", key="seg_export")
    rows = picked.selection.rows if picked is not None else []
    if rows:
        debtor = shown.iloc[rows[0]]
        st.markdown(f"**Why {md(debtor['name'])} is in “{debtor['group']}”**")
        why = segments.explain(profiles[profiles["customer_id"] == debtor["customer_id"]].iloc[0], config)
        st.dataframe(why, hide_index=True, width="stretch",
                     column_config={"rule": "Rule", "threshold": "Threshold", "value": "This debtor",
                                    "passed": st.column_config.CheckboxColumn("Met")})
    else:
        st.caption("Select a debtor to see the rules it met and missed, with its own values.")

st.subheader("What drives late payment")
if st.toggle("Train and evaluate the model", key="seg_model",
             help="Gradient boosting on what was known at each invoice date; tested on the latest 3 months."):
    try:
        m = cache.lateness_model(as_of)
    except ArboardError as exc:
        st.warning(str(exc))
    else:
        ev = m.evaluation
        st.caption(f"Trained on {count(ev.n_train, 'invoice')} issued {ev.train_period[0]:%d %b %Y} – "
                   f"{ev.train_period[1]:%d %b %Y}; tested on the {number(ev.n_test)} issued "
                   f"{ev.test_period[0]:%d %b %Y} – {ev.test_period[1]:%d %b %Y} ({ev.late_rate:.0%} of them late, "
                   "i.e. settled more than 5 days after due).")
        st.dataframe(ev.table, hide_index=True, width="stretch",
                     column_config={"method": "Method",
                                    "accuracy": st.column_config.NumberColumn("Accuracy", format="%.3f"),
                                    "roc_auc": st.column_config.NumberColumn("ROC AUC", format="%.3f"),
                                    "recall_30": st.column_config.NumberColumn("Recall, 30+ days late",
                                                                               format="%.3f")})
        st.info("Published models on real invoice data reach 0.77–0.81 accuracy. A debtor's own history carries "
                "most of the signal, so always compare with that baseline: the model earns its keep only where it "
                "beats it.")
        charts.show(charts.importance_chart(ev.importance))
        st.caption("What drives late payment here: each bar is how much worse the model tells late payers from "
                   "punctual ones when that factor is scrambled on the test invoices. A long bar is a factor the "
                   "model leans on; a bar near zero adds nothing the others do not already say.")
