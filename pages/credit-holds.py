"""Credit holds: whom to block from further sales on credit, and the register of holds placed and released."""

from __future__ import annotations

from datetime import date

import streamlit as st

from arboard import collectors, creditholds, exports
from arboard.errors import ArboardError
from arboard.segments import SUBGROUP_LABELS
from ui import cache, controls, logform, state
from ui.format import count, md, money, number

as_of = state.ledger_page(__file__, "Credit holds")
config = controls.current_config()[1]  # the Segments page's
settings = controls.plan_settings(strict=False)  # the Outreach page's: contact days, disputes, promises
rates = cache.exchange_rates()
unit = rates.unit(c for c, _ in cache.currencies())  # one currency needs no reporting currency
EVERYONE = "Everyone"

c = st.columns([1.4, 1.3, 1.3], vertical_alignment="bottom")
controls.kept("ch_steps", True)
controls.kept("ch_limit", 100)
steps = c[0].toggle("Playbooks' credit-hold steps", key="ch_steps",
                    help="List a debtor once one of its open items reached the first step of its group's playbook "
                         "that carries the credit-hold action (Outreach → Playbooks; by default the “won't pay” "
                         "firm letter, 21 days past due). Counted as the plan counts: on contact days, not while "
                         "the item is on hold, promised or disputed (the Outreach page's plan settings).")
limit = c[1].number_input("Over this % of the credit limit", 0, int(creditholds.MAX_LIMIT_USE * 100), step=10,
                          key="ch_limit", help="List a debtor whose open balance (all currencies) is above this share "
                                               "of its credit limit; 100: anything over the limit. 0 leaves the limit "
                                               "out. Debtors without a limit are never over it.")
worked_by = c[2].selectbox("Collector", [EVERYONE, *cache.collector_names(), collectors.NO_COLLECTOR],
                           key="ch_collector")
st.caption("A credit hold blocks new orders or deliveries on credit in your ERP; arboard says whom to block and keeps "
           "the register of what you did there. Record a hold when you place it in the ERP and its release when you "
           "lift it: the list then shows what changed. A debtor held on a rule who no longer meets any (paid, or back "
           "under the limit) is listed as one that can be released; one you placed on hold by hand (Debtors page: an "
           "insolvency filed, a bounced cheque) stays on hold until you release it."
           + (f" Balances and limits are in {unit}, every currency converted at the saved rates." if rates.active
              else f" Balances and limits are in {unit}." if unit
              else " Balances add up each debtor's currencies at face value (no exchange rates are saved)."))

try:
    rules = creditholds.HoldRules.of(steps, limit)
except ArboardError as exc:
    st.error(md(exc))
    st.stop()
if not steps and rules.limit_use is None:
    st.info("Both rules are off: turn on the playbooks' credit-hold steps or set a share of the credit limit. "
            "Debtors already on hold on a rule are listed as ones that can be released.")
table = creditholds.filter_list(cache.credit_holds(as_of, settings, config, rules),
                                collector=None if worked_by == EVERYONE else worked_by)
s = creditholds.summary(table)

m = st.columns(4)
HELP = {"place": f"Debtors who meet a rule on {as_of:%d %b %Y}, not on hold and not exempt.",
        "release": "Debtors held on a rule who meet none any more, or are exempt.",
        "on_hold": "On hold and still meeting a rule, or placed on hold by hand.",
        "exempt": "Debtors exempt from credit holds (key accounts, public bodies, group companies), not on hold."}
for col, key in zip(m, creditholds.STATUSES, strict=True):
    col.metric(creditholds.STATUSES[key], number(s.counts[key]), help=HELP[key])
    col.caption(f"{money(s.overdue_ar[key], unit or '', compact=True)} overdue, "
                f"{money(s.open_ar[key], unit or '', compact=True)} open")

logform.flash("credit")
status = st.segmented_control("Show", list(creditholds.STATUSES), key="ch_status", default="place",
                              format_func=lambda k: f"{creditholds.STATUSES[k]} ({number(s.counts[k])})") or "place"
shown = creditholds.filter_list(table, status=status)
if shown.empty:
    st.info({"place": f"Nobody is to be placed on hold on {as_of:%d %b %Y}.",
             "release": "No debtor on hold has stopped meeting the rules.",
             "on_hold": f"No hold recorded in arboard is in force on {as_of:%d %b %Y}.",
             "exempt": "No debtor is exempt from credit holds. Exempt one from the list of those to place on "
                       "hold, or with `arboard credit-hold exempt`."}[status])
    st.stop()

in_unit = f" ({unit})" if unit else ""
picked = st.dataframe(
    shown.assign(group=shown["group"].map(SUBGROUP_LABELS)), hide_index=True, width="stretch",
    height=min(420, 38 + 35 * len(shown)),
    on_select="rerun", selection_mode="multi-row", key=f"ch_table_{status}_{logform.rounds('credit')}",
    column_order=["name", "customer_id", *(["placed_on"] if status in ("release", "on_hold") else []), "why",
                  *(["exemption"] if status in ("release", "exempt") else []), "overdue_ar", "open_ar", "utilisation",
                  *(["placed_by", "hold_reason"] if status in ("release", "on_hold") else []), "credit_limit",
                  "group", "collector"],
    column_config={"name": "Debtor", "customer_id": "ID", "group": "Segment", "collector": "Collector",
                   "overdue_ar": st.column_config.NumberColumn(f"Overdue{in_unit}", format="accounting"),
                   "open_ar": st.column_config.NumberColumn(f"Open{in_unit}", format="accounting"),
                   "credit_limit": st.column_config.NumberColumn("Credit limit", format="accounting"),
                   "utilisation": st.column_config.NumberColumn("Limit used", format="percent"),
                   "why": st.column_config.TextColumn("Why", width="large"),
                   "placed_on": st.column_config.DateColumn("On hold since"), "placed_by": "Placed by",
                   "hold_reason": "Reason recorded", "exemption": "Exempt from holds"})
rows = picked.selection.rows if picked is not None else []
chosen = shown.iloc[rows] if rows else shown
who = f"the {number(len(chosen))} selected" if rows else f"all {number(len(chosen))} listed"
st.caption("Select rows to act on some of them only; otherwise the buttons act on every debtor listed.")


def record(action, message: str) -> None:
    """Run a write to the register; say what it did (``{n}``: how many debtors), or what is wrong."""
    logform.attempt("credit", action, lambda n: message.format(n=count(n, "debtor")))


ids = chosen["customer_id"]
today = date.today()
f = st.columns([1, 1.2, 1.9, 1.5], vertical_alignment="bottom")
on = f[0].date_input("On", value=min(as_of, today), max_value=today, key="ch_on",
                     help="The day you placed or released the holds in the ERP, or exempted a debtor or lifted that.")
by = f[1].text_input("By", key="ch_by", max_chars=collectors.NAME_MAX, placeholder="e.g. Katrin Vogel")
if status == "exempt":
    f[2].caption("The rules no longer list an exempt debtor for a hold. Lifting the exemption brings it back from "
                 "the day given; earlier as-of dates still show it exempt.")
    if f[3].button(f"Lift {count(len(chosen), 'exemption')}", key="ch_lift", help=f"For {who}."):
        record(lambda: creditholds.lift_exemption(state.engine(), ids, on=on, today=today, by=by),
               f"Exemption lifted on {on:%d %b %Y}: {{n}}.")
if status == "place":
    reason = f[2].text_input("Reason (blank: each debtor's rule)", key="ch_reason",
                             max_chars=creditholds.REASON_MAX)
    if f[3].button(f"Record {count(len(chosen), 'hold')} placed", type="primary", key="ch_place",
                   help=f"Record that {who} were placed on hold in the ERP on the day given."):
        record(lambda: creditholds.place(state.engine(), ids, on=on, today=today, reason=reason, by=by,
                                         reasons=dict(zip(ids, chosen["why"], strict=True))),
               f"Recorded as placed on hold on {on:%d %b %Y}: {{n}}.")
    g = st.columns([4.1, 1.5])
    g[0].caption("A key account, a public body or a group company you never block: tick it and exempt it; the "
                 "list names it apart from then on (with the reason and the name above).")
    # Only ticked rows: exempting a whole list at once is hardly ever meant.
    if g[1].button(f"Exempt {count(len(chosen), 'debtor') if rows else 'the selected'}", key="ch_exempt",
                   disabled=not rows, help="Tick the debtors to exempt in the list first."):
        record(lambda: creditholds.exempt(state.engine(), ids, reason=reason, by=by, on=on, today=today),
               f"Exempted from credit holds from {on:%d %b %Y}: {{n}}.")
elif status in ("release", "on_hold"):
    f[2].caption("Releasing records that the block was lifted in the ERP; the debtor's holds stay in the register.")
    if f[3].button(f"Record {count(len(chosen), 'release')}", type="primary" if status == "release" else "secondary",
                   key="ch_release", help=f"Record that the holds of {who} were lifted in the ERP on the day given."):
        record(lambda: creditholds.release(state.engine(), ids, on=on, today=today, by=by),
               f"Recorded as released on {on:%d %b %Y}: {{n}}.")

d = st.columns([1, 1, 3])
name = f"credit-holds-{status.replace('_', '-')}-{as_of.isoformat()}"
export = creditholds.for_export(shown, group_labels=SUBGROUP_LABELS)
d[0].download_button("Download (CSV)", lambda: exports.to_csv_bytes(export), f"{name}.csv", "text/csv", key="ch_csv",
                     help="For the ERP's order block: the debtors of this list.")
d[1].download_button("Download (Excel)",
                     lambda: exports.to_xlsx_bytes(export, sheet="Credit holds", money_columns=creditholds.MONEY),
                     f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ch_xlsx")
