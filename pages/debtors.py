"""Debtor explorer: find the debtors to act on, see their history, export the list."""

from __future__ import annotations

import streamlit as st

from arboard import (
    collectors,
    creditholds,
    explorer,
    exports,
    interest,
    letters,
    outreach,
    promises,
    schema,
    sender,
    statement,
    timeline,
    unapplied,
)
from arboard.aging import AgingSpec
from arboard.segments import SUBGROUP_LABELS
from ui import assignform, cache, charts, controls, holdform, logform, provisionform, state
from ui.format import count, md, money, number

as_of = state.ledger_page(__file__, "Debtors")
c1, c2, _ = st.columns([1, 1.5, 2])
with c1:
    currency = controls.currency()
config_name, config = controls.segment_config(c2)
cur = controls.unit(currency)
consolidated = controls.consolidated_note(currency, over_time=False)
state.history_warning("the segments and days late (every debtor is in *no information*)")
table = cache.debtor_table(as_of, currency, config)
labels = AgingSpec().labels
CHANNELS = list(schema.CHANNELS)
# Filters live in the URL so that a link reproduces the list. The free-text search stays out: it
# may hold a debtor's name, and no personal data goes into a URL.
FILTERS = {"ex_groups": ("group", []), "ex_buckets": ("bucket", []), "ex_countries": ("country", []),
           "ex_channels": ("channel", []), "ex_lo": ("min", 0.0), "ex_hi": ("max", 0.0), "ex_dpd": ("dpd", 0),
           "ex_disputed": ("disputed", False), "ex_promise": ("promise", []), "ex_risk": ("risk", False),
           "ex_limit": ("limit", 0),
           "ex_min_risk": ("min_risk", 0),
           "ex_sort": ("sort", "overdue"), "ex_asc": ("asc", False)}
countries_all = sorted(table["country"].dropna().unique())
controls.restore(FILTERS, {"ex_groups": list(SUBGROUP_LABELS), "ex_buckets": labels, "ex_countries": countries_all,
                           "ex_channels": CHANNELS, "ex_promise": list(explorer.PROMISE_STATES)})

with st.expander("Filters", expanded=True):
    r1 = st.columns(5)
    text = r1[0].text_input("Search name or ID", key="ex_text", help="Not kept in the page's link.")
    groups = r1[1].multiselect("Segment", list(SUBGROUP_LABELS), format_func=SUBGROUP_LABELS.get, key="ex_groups")
    buckets = r1[2].multiselect("Oldest open item in", labels, key="ex_buckets")
    countries = r1[3].multiselect("Country", countries_all, key="ex_countries")
    promised = r1[4].multiselect("Promise to pay", list(explorer.PROMISE_STATES),
                                 format_func=explorer.PROMISE_STATES.get, key="ex_promise",
                                 help=f"Broken: a promise on an open invoice ended (promised date + "
                                      f"{promises.PROMISE_GRACE_DAYS} days) in the last "
                                      f"{promises.BROKEN_LISTED_DAYS} days without payment, and nobody has "
                                      "spoken with the debtor since: call. Broken, spoken to since: followed up "
                                      "by a call or a new promise. Running: reminders wait for it.")
    r2 = st.columns(5)
    lo = r2[0].number_input(f"Open balance from ({cur})", step=100.0, key="ex_lo")
    hi = r2[1].number_input(f"… to ({cur}, 0 = no limit)", step=1000.0, key="ex_hi")
    dpd = r2[2].number_input("Days past due at least", 0, 3650, key="ex_dpd")
    limit_used = r2[3].number_input("Credit limit used, % at least", 0, 10_000, step=10, key="ex_limit",
                                    help="The open balance against the debtor's credit limit (customers file); "
                                         "100 lists those at or over their limit. Debtors without a limit are "
                                         "left out once this is above 0.")
    channels = r2[4].multiselect("Channel", CHANNELS, key="ex_channels")
    r3 = st.columns([1.3, 1.3, 1.4, 1, 1], vertical_alignment="bottom")
    disputed = r3[0].toggle("Disputed only", key="ex_disputed", help="Debtors with a disputed open item.")
    table = controls.risk_scores(table, as_of, prefix="ex", toggle_in=r3[0], slider_in=r3[1])
    # Not kept in the link either: collectors are people.
    worked_by = r3[2].multiselect("Collector", [*cache.collector_names(), collectors.NO_COLLECTOR],
                                  key="ex_collectors", placeholder="Everyone")
    sorts = [k for k in explorer.SORTS if k in table]
    if st.session_state.get("ex_sort") not in sorts:
        st.session_state["ex_sort"] = "overdue"
    sort_by = r3[3].selectbox("Sort by", sorts, format_func=explorer.SORTS.get, key="ex_sort",
                              help="Orders every match, not only the rows listed.")
    ascending = r3[4].toggle("Smallest first", key="ex_asc")
controls.publish(FILTERS)
filters = explorer.Filters(groups=tuple(groups), buckets=tuple(buckets), countries=tuple(countries),
                           collectors=tuple(worked_by), channels=tuple(channels), min_amount=lo or None,
                           max_amount=hi or None, min_days_past_due=int(dpd),
                           min_utilisation=limit_used / 100 if limit_used else None,
                           disputed_only=disputed, promise=tuple(promised), text=text)
view = explorer.sort_debtors(explorer.filter_debtors(table, filters), sort_by, descending=not ascending)
STATEMENT_RUN = 500  # statements in one PDF from the page (arboard statement --all-overdue has no limit)
SHOWN = 5_000  # the browser gets the first rows in the chosen order; the export has every match
shown = view.head(SHOWN).assign(group=lambda d: d["group"].map(SUBGROUP_LABELS),
                                promise=lambda d: d["promise"].map(explorer.PROMISE_STATES))
over, above = explorer.over_limit(view)
st.caption(f"**{number(len(view))}** of {count(len(table), 'debtor')} with an open balance match, "
           f"{number(view['total'].sum())} {cur} open, {number(view['overdue'].sum())} overdue"
           + (f" ({number(view['overdue_paid'].sum())} of it most likely paid by cash on account the ERP has not "
              "applied yet)" if "overdue_paid" in view and view["overdue_paid"].sum() > 0 else "")
           + (f"; {number(over)} owe more than their credit limit, {number(above)} {cur} above it." if over else ".")
           + (f" The first {number(SHOWN)} by {explorer.SORTS[sort_by].lower()} are listed; the export has all."
              if len(view) > SHOWN else "") + (f" Balances add up each debtor's currencies. {consolidated}"
                                                 if consolidated else ""))
cols = ["name", "customer_id", "group", "collector", "country", "total", "overdue",
        *(["overdue_paid"] if "overdue_paid" in view else []), "days_past_due", "oldest_bucket", "disputed",
        "credit_limit", "utilisation", "days_beyond_terms", "response_rate", "best_channel", "promise", "promised_for",
        *(["risk_score"] if "risk_score" in view else [])]
picked = st.dataframe(
    shown[cols], hide_index=True, width="stretch", height=560, on_select="rerun", selection_mode="single-row",
    key=f"ex_table_{logform.rounds('assign')}",  # a new list after an assignment: the selection may be stale
    column_config={"name": "Debtor", "customer_id": "ID", "group": "Segment", "collector": "Collector",
                   "country": "Country",
                   "total": st.column_config.NumberColumn(f"Open ({cur})", format="accounting"),
                   "overdue": st.column_config.NumberColumn(f"Overdue ({cur})", format="accounting"),
                   "overdue_paid": st.column_config.NumberColumn(
                       "Paid on account", format="accounting",
                       help=unapplied.OVERDUE_PAID_HELP),
                   "days_past_due": st.column_config.NumberColumn("Oldest, days past due", format="%d"),
                   "oldest_bucket": "Oldest bucket",
                   "disputed": st.column_config.NumberColumn("Disputed", format="accounting"),
                   "credit_limit": st.column_config.NumberColumn("Credit limit", format="accounting"),
                   "utilisation": st.column_config.NumberColumn("Limit used", format="percent"),
                   "days_beyond_terms": st.column_config.NumberColumn("Days late (weighted)", format="%.1f"),
                   "response_rate": st.column_config.NumberColumn("Responds", format="percent"),
                   "best_channel": "Best channel", "promise": "Promise to pay",
                   "promised_for": st.column_config.DateColumn("Promised for"),
                   "risk_score": st.column_config.ProgressColumn("Risk", min_value=0, max_value=100, format="%.0f")})
e1, e2, e3, e4 = st.columns([1, 1, 1.4, 1.6])
by_group = e3.toggle("Excel: one sheet per segment", key="ex_by_group")
run = view["customer_id"].head(STATEMENT_RUN).tolist()  # largest first, as sorted
e4.download_button(
    f"Statements of account (PDF, {number(len(run))})",
    lambda: letters.statements_pdf(statement.account_statements(state.engine(), run, as_of),
                                   sender=sender.load(state.engine())),
    f"statements-{as_of.isoformat()}.pdf", "application/pdf", key="ex_statements", disabled=not run,
    help=f"One statement per debtor listed, in this order (the first {number(STATEMENT_RUN)} at most), to print "
         "and post: a month-end statement run. About a second for every hundred.")
e1.download_button("Export (CSV)", lambda: exports.to_csv_bytes(view), f"debtors-{as_of.isoformat()}.csv",
                   "text/csv", key="ex_csv")
e2.download_button("Export (Excel)", lambda: explorer.to_xlsx(view, sheet_per_group=by_group),
                   f"debtors-{as_of.isoformat()}.xlsx",
                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="ex_xlsx")
assignform.share(view, table, unit=cur)

rows = picked.selection.rows if picked is not None else []
if rows:
    debtor = shown.iloc[rows[0]]
    st.subheader(f"{md(debtor['name'])} ({md(debtor['customer_id'])})")
    if note := cache.last_note(debtor["customer_id"], as_of):
        st.caption(f"Last note: {md(note)}")
    settings = controls.plan_settings(strict=False)  # as the Outreach page plans
    plan, why_none = cache.debtor_outlook(as_of, debtor["customer_id"], config, settings)
    events = timeline.with_plan(cache.debtor_timeline(debtor["customer_id"], as_of), plan)
    if len(events):
        charts.show(charts.timeline_chart(events))
        calls = len(outreach.broken_promise_calls(plan))
        st.caption(f"{count(len(plan), 'planned contact')} in the next weeks from the "
                   f"{SUBGROUP_LABELS.get(debtor['group'], debtor['group'])} playbook (Outreach page)"
                   + (f", {calls} of them a call about a broken promise to pay." if calls else ".")
                   if len(plan) else "No contact is planned for this debtor in the next weeks: "
                   f"{why_none}.")
        st.dataframe(events, hide_index=True, width="stretch", height=260,
                     column_config={"date": st.column_config.DateColumn("Date"), "event": "Event",
                                    "reference": "Reference",
                                    "amount": st.column_config.NumberColumn("Amount", format="accounting"),
                                    "currency": "Currency", "detail": "Detail"})
    else:
        st.info("No history up to the as-of date.")
    who = str(debtor["customer_id"])
    standing = creditholds.standing(state.engine(), who, as_of)
    if standing:
        st.caption(f"{md(standing)} See the Credit holds page.")
    on_account = cache.debtor_cash(as_of, who)
    if len(on_account):
        st.caption("Cash on account: " + "; ".join(
            f"{money(r.amount, r.currency) if r.currency else number(r.amount, 2)} received {r.payment_date:%d %b %Y}, "
            + ("no open item matches it" if not r.invoice_count else
               f"most likely for {md(r.invoices)} ({r.match.lower()}, {r.confidence.lower()} confidence"
               + (f", {r.decision.lower()}" if r.decision else "") + ")")
            for r in on_account.head(3).itertuples())
            + (f"; and {count(len(on_account) - 3, 'more payment')}" if len(on_account) > 3 else "")
            + ". Ask before chasing what it pays; the Unapplied cash page lists them for the ERP.")
    if settings.interest.is_set:
        owed = interest.by_debtor(state.engine(), as_of, terms=settings.interest, customer_id=who)
        st.caption("Late-payment interest to date: " + ("; ".join(
            f"{money(r.interest, r.currency)} on {count(int(r.invoices), 'overdue invoice')}"
            + (f", and {money(r.compensation, r.currency)} compensation" if r.compensation else "")
            for r in owed.itertuples()) if len(owed) else "none (nothing undisputed is overdue)")
            + ". The terms are on the Outreach page, Playbooks tab.")
        since, until = interest.year_to(as_of)
        earned = interest.paid_late_by_debtor(state.engine(), since=since, until=until, terms=settings.interest,
                                              customer_id=who, include_claimed=True)
        st.caption(f"Paid late from {since:%d %b %Y} to {until:%d %b %Y}: " + ("; ".join(
            f"{count(int(r.invoices), 'invoice')} ({money(r.paid_late, r.currency)}), earning "
            f"{money(r.interest, r.currency)} interest"
            + (f" and {money(r.compensation, r.currency)} compensation" if r.compensation else "")
            + ("" if r.claim < 0.005 else ", all claimed already" if r.to_claim < 0.005 else
               ", none of it claimed yet" if r.to_claim > r.claim - 0.005 else
               f", of which {money(r.to_claim, r.currency)} not claimed yet")
            for r in earned.itertuples()) if len(earned) else "nothing (beyond the grace)")
            + ". The Outreach page lists the interest invoices of a period and records them as sent.")
    s1, s2 = st.columns([1, 3], vertical_alignment="center")
    s1.download_button(
        "Statement of account (PDF)",
        lambda: letters.statement_pdf(statement.account_statement(state.engine(), who, as_of),
                                      sender=sender.load(state.engine())),
        f"statement-{who}-{as_of.isoformat()}.pdf", "application/pdf", key="deb_statement",
        help="Every open item as of the as-of date, the balance by age and how to pay, on your letterhead "
             "(Outreach page, Playbooks tab), addressed for a window envelope.")
    s2.caption("To send with a reminder or on request: what the debtor reconciles against their own books.")
    assignform.one(who, debtor["collector"], key="assign" if worked_by else "assign_one")
    holdform.one(who, as_of)
    provisionform.one(who, as_of)
    logform.log_contact(debtor["customer_id"], as_of)
    logform.payment_plan(debtor["customer_id"], as_of)
else:
    st.caption("Select a debtor to see its invoices, payments, contacts and planned contacts on one timeline.")
