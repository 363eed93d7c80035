"""Forms that set who works a debtor (arboard.collectors): one debtor, or the debtors a list shows."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from arboard import collectors
from arboard.errors import ArboardError
from ui import cache, state
from ui.format import count, md, number
from ui.logform import done, flash

NEW = "Someone new…"
NOBODY = "Nobody"


def _pick(container, label: str, key: str, *, current: str | None = None) -> tuple[bool, str | None]:
    """A collector from the team, nobody, or a new name typed in: (valid, name)."""
    team = cache.collector_names()
    options = [*team, NOBODY, NEW]
    index = options.index(current) if current in options else len(team)
    choice = container.selectbox(label, options, index=index, key=key)
    if choice == NEW:
        typed = container.text_input("Name", key=f"{key}_new", max_chars=collectors.NAME_MAX,
                                     placeholder="e.g. Katrin Vogel")
        return bool(typed.strip()), typed
    return True, None if choice == NOBODY else choice


def one(customer_id: str, current: str | None, *, key: str = "assign_one") -> None:
    """Who works this debtor, and a way to change it."""
    flash(key)
    c1, c2, c3 = st.columns([1.2, 1.2, 2], vertical_alignment="bottom")
    ok, name = _pick(c1, "Collector", f"{key}_{customer_id}",
                     current=current if isinstance(current, str) else NOBODY)
    if c2.button("Assign", key=f"{key}_go_{customer_id}", disabled=not ok or name == current):
        try:
            collectors.assign(state.engine(), [customer_id], collector=name)
        except ArboardError as exc:
            st.error(md(exc))
        else:
            done(key, f"{md(customer_id)} is now worked by {md(name)}." if name
                 else f"Nobody works {md(customer_id)} now.")
    c3.caption("Who works this debtor: the work list on the Outreach page and the lists here filter by it.")


def share(view: pd.DataFrame, table: pd.DataFrame, *, unit: str, key: str = "assign") -> None:
    """Give the debtors listed (``view``) to one collector, or share them out evenly among several, on top
    of what each carries in the whole debtor list (``table``); ``unit``: the currency of the balances."""
    shown = st.session_state.get(f"log_flash_{key}") is not None
    with st.expander(f"Assign the {count(len(view), 'debtor')} listed to collectors", expanded=shown):
        flash(key)
        if view.empty:
            st.caption("No debtor is listed: change the filters.")
            return
        how = st.segmented_control("How", ["Share out evenly", "All to one collector"], default="Share out evenly",
                                   key=f"{key}_how") or "Share out evenly"
        if how == "All to one collector":
            ok, name = _pick(st, "Collector", f"{key}_one")
            plan = pd.Series(name if ok else None, index=view["customer_id"].to_numpy(), dtype=object)
        else:
            c1, c2, c3 = st.columns([2.2, 1, 1.1], vertical_alignment="bottom")
            team = cache.collector_names()
            among = c1.multiselect("Among", team, default=team, key=f"{key}_among", accept_new_options=True,
                                   help="Type a name to add someone new.")
            by = c2.selectbox("Even out", list(collectors.SHARE_BY), format_func=collectors.SHARE_BY.get,
                              key=f"{key}_by")
            keep = c3.toggle("Keep their debtors", value=True, key=f"{key}_keep",
                             help="Only the debtors listed that have none of these collectors move. Off: every "
                                  "debtor listed is shared out afresh. Either way each collector's other "
                                  "debtors count toward their load.")
            try:
                plan = (collectors.share(view, among, by=by, only_unassigned=keep, loads_from=table) if among
                        else None)
            except ArboardError as exc:
                st.error(md(exc))
                return
            ok = plan is not None
            if plan is not None and plan.empty:
                st.caption("Every debtor listed has one of these collectors already.")
                return
        if not ok:
            st.caption("Choose at least one collector." if cache.collector_names()
                       else "Nobody is a collector yet: type a name to add them.")
            return
        st.dataframe(collectors.preview(table, plan), hide_index=True, width="stretch",
                     column_config={"collector": "Collector",
                                    "debtors_before": st.column_config.NumberColumn("Debtors now", format="%d"),
                                    "debtors_after": st.column_config.NumberColumn("Debtors after", format="%d"),
                                    "overdue_before": st.column_config.NumberColumn(f"Overdue now ({unit})",
                                                                                    format="accounting"),
                                    "overdue_after": st.column_config.NumberColumn(f"Overdue after ({unit})",
                                                                                   format="accounting")})
        if st.button(f"Assign {count(len(plan), 'debtor')}", key=f"{key}_go", type="primary"):
            try:
                changed = collectors.assign(state.engine(), plan)
            except ArboardError as exc:
                st.error(md(exc))
            else:
                done(key, f"Assigned {count(changed, 'debtor')}"
                     + (f" ({number(len(plan) - changed)} had that collector already)." if changed < len(plan)
                        else "."))
