"""Outreach: per-group playbooks, message previews and the contact plan for the coming weeks."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import streamlit as st

from arboard import collectors, exports, fx, holds, instalments, interest, letters, outreach, promises, sender
from arboard.errors import ArboardError
from arboard.messages import TemplateProblem, render, sms_segments
from arboard.segments import SUBGROUP_LABELS
from ui import cache, charts, claimsform, controls, logform, state
from ui.format import count, md, money, number, pct

as_of = state.ledger_page(__file__, "Outreach")
engine = state.engine()
company = sender.load(engine)
st.caption("The right message, to the right debtor, at the right time, on the right channel. Each group has its "
           "playbook; steps are days relative to the due date (negative = before it). Reminders escalate: a "
           "debtor gets the firmest step any of their items has reached, with everything overdue listed, and "
           "never a milder one after it. A debtor billed in several currencies gets a reminder per currency.")
state.history_warning("the groups (every debtor gets the *no information* playbook) and the expected collections")

config_name, config = controls.segment_config(st.columns([1, 2])[0])

# The least confidence of a match of cash on account the plan counts as applied (PlanSettings.apply_cash).
CASH_APPLIED = {"High": "Sure matches (High)", "Medium": "High and Medium matches", "Low": "Every match",
                "": "None"}
for key, default in controls.PLAN_SETTINGS.items():
    controls.kept(key, default)
with st.expander("Plan settings", expanded=False):
    # Numbers on the first row, then the days and the switches three to a row: toggle labels do not
    # wrap, and a row of seven cut every one short.
    c = st.columns(6)
    c[0].number_input("Weeks ahead", 1, 26, key="out_weeks")
    c[1].number_input("Agents on the phone", 0, 200, key="out_agents")
    c[2].number_input("Calls per agent per day", 1, 200, key="out_calls")
    c[3].number_input("Contacts per debtor per 7 days, at most", 1, 14, key="out_max")
    c[4].number_input("Repeat the last step every (days)", 0, 365, key="out_repeat",
                      help="Reminders escalate step by step and never step back. A debtor at the last "
                           "step of their playbook gets it again at this interval while anything stays "
                           "overdue (0: never, or 7 to 365 days). A last step that hands the claim over "
                           "is never repeated.")
    c[5].number_input("Instalments offered", 1, instalments.MAX_COUNT, key="out_instalments",
                      help="A payment-plan offer ({{ instalments }} in its message) proposes the balance in this "
                           "many monthly instalments, the first two weeks after the message.")
    d = st.columns(3, vertical_alignment="bottom")
    days = d[0].multiselect("Contact days", outreach.WEEKDAYS, key="out_days",
                            help="A step that falls on another day moves to the next contact day; a step before "
                                 "the due date moves to the previous one, so it still arrives before the due date.")
    enforce = d[1].toggle("Enforce the contact limit", key="out_enforce", width="stretch",
                          help="Drop the contacts beyond the limit (they are listed below either way). Reminders "
                               "about overdue items are kept first, heads-ups before a due date next.")
    spread = d[2].toggle("Spread calls over capacity", key="out_spread", width="stretch",
                         help="Calls beyond the team's daily capacity move to the next contact day with room; "
                              "the largest balances keep their day.")
    e = st.columns(3, vertical_alignment="bottom")
    e[0].toggle("Collectors call their own debtors", key="out_per_collector", width="stretch",
                help="On: each collector calls the debtors they work (Debtors page), at most the calls per agent "
                     "a day, and the agents call the debtors nobody works; spreading keeps each collector's "
                     "calls within their own day. Off: the agents share every call.")
    e[1].toggle("Remind disputed invoices", key="out_disputed", width="stretch",
                help="Off: disputed invoices are left out of reminders and of the items a message "
                     "lists, as a dunning block does; they belong to dispute resolution (the Disputes "
                     "page lists them).")
    e[2].toggle("Wait for promises to pay", key="out_promised", width="stretch",
                help="On: an invoice the debtor promised to pay (a promise to pay or a payment plan) gets no "
                     f"reminder until the promised date plus {promises.PROMISE_GRACE_DAYS} days' grace; if it is "
                     "still open then, the step it has reached goes out on the next contact day (the Promises tab "
                     "lists both).")
    f = st.columns(3, vertical_alignment="bottom")
    f[0].toggle("Call when a promise is broken", key="out_call_broken", width="stretch",
                help="On: when a promise ends with its invoice still open, the debtor gets a call on the next contact "
                     "day (whatever their playbook's level; its wording is on the Playbooks tab), unless someone spoke "
                     "with them since: a call or a new promise. A promise broken before the plan starts is called "
                     f"about for {promises.BROKEN_LISTED_DAYS} days.")
    f[1].selectbox("Count cash on account as applied", list(CASH_APPLIED), key="out_cash",
                   format_func=CASH_APPLIED.get,
                   help="A payment the ERP holds on account (not applied to invoices) that the Unapplied cash page "
                        "matches to open items this surely counts as paying them: they get no reminder, and a "
                        "debtor's reminders escalate on what stays open. A match confirmed there counts whatever "
                        "its confidence, a rejected one never. None: remind as the ERP stands.")
if not days:
    st.warning("No contact day is chosen: the plan uses Monday to Friday.")
try:
    settings = controls.plan_settings()
except ArboardError as exc:  # e.g. a repeat of 1 to 6 days: said, not silently changed
    st.error(f"**Plan settings:** {md(exc)}")
    st.stop()

PROMISES_LISTED = 5_000
SHOWN_DEBTORS = 500  # rows in the on-screen list of interest claims; the downloads have them all


def _paid_late(terms: interest.InterestTerms) -> None:
    """Interest on the payments that came late in a period: the interest invoices of a month."""
    st.markdown("**Interest on invoices paid late**")
    st.caption("What the payments made late in a period earn: the interest invoice for a debtor who paid, but "
               "late. Each payment applied to an invoice, and what the invoice's settlement cleared, counts for "
               "its days past the due date beyond the grace, never for more than the invoice's amount; disputed "
               "invoices and credit notes earn nothing. The compensation goes with the late settlement of a "
               "business debtor's invoice: leave it out when your reminders claimed it already.")
    p = st.columns([2, 1, 2], vertical_alignment="bottom")
    period = p[0].date_input("Paid between", value=interest.last_month(as_of), max_value=as_of, key="out_int_period",
                             help="Both days included. It starts on the last whole month up to the as-of date.")
    with_compensation = p[1].toggle("With compensation", True, key="out_int_with_comp",
                                    disabled=not terms.compensation)
    if len(period) != 2:
        st.info("Pick the period's last day too.")
        return
    since, until = period
    used = terms if with_compensation else dataclasses.replace(terms, compensation=0.0)
    owed, by_debtor = cache.interest_paid_late(since, until, used)
    left_out = claimsform.left_out(cache.interest_claimed(since, until))
    span = f"From {since:%d %b %Y} to {until:%d %b %Y}"
    logform.flash("out_claims")
    if by_debtor.empty:
        st.info(f"{span} nothing is left to claim. {left_out}" if left_out else
                f"{span} no payment came late (beyond the grace) on an undisputed invoice.")
        claimsform.recordings(key="out_claims")
        return
    st.caption(f"{span}, still to claim: " + "; ".join(
        f"{count(int(r.debtors), 'debtor')} paid {count(int(r.invoices), 'invoice')} late in {r.currency}: "
        f"{money(r.interest, r.currency)} interest and {money(r.compensation, r.currency)} compensation"
        for r in owed.itertuples()) + "." + (f" The {SHOWN_DEBTORS} largest claims are listed; the downloads have "
                                            f"all {count(len(by_debtor), 'claim')}." if len(by_debtor) > SHOWN_DEBTORS
                                            else "") + (f" {left_out}" if left_out else ""))
    st.dataframe(by_debtor.head(SHOWN_DEBTORS), hide_index=True, width="stretch", height=260,
                 column_order=["name", "customer_id", "currency", "invoices", "paid_late", "interest", "compensation",
                               "claim"],
                 column_config={"name": "Debtor", "customer_id": "ID", "currency": "Currency",
                                "invoices": st.column_config.NumberColumn("Invoices paid late", format="%d"),
                                "paid_late": st.column_config.NumberColumn("Paid late", format="accounting"),
                                "interest": st.column_config.NumberColumn("Interest", format="accounting"),
                                "compensation": st.column_config.NumberColumn("Compensation", format="accounting"),
                                "claim": st.column_config.NumberColumn("To claim", format="accounting")})
    name = f"interest-paid-late-{since.isoformat()}-to-{until.isoformat()}"
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    d = st.columns(5)
    d[0].download_button("Per debtor (CSV)", lambda: exports.to_csv_bytes(by_debtor), f"{name}.csv", "text/csv",
                         key="out_late_csv")
    d[1].download_button("Per debtor (Excel)", lambda: exports.to_xlsx_bytes(
        by_debtor, sheet="Interest", money_columns=interest.ALL_MONEY_COLUMNS), f"{name}.xlsx", xlsx,
        key="out_late_xlsx")

    def lines():  # on a click only: every payment of the period
        return interest.paid_late(state.engine(), since=since, until=until, terms=used)

    d[2].download_button("Per payment (CSV)", lambda: exports.to_csv_bytes(lines()), f"{name}-lines.csv",
                         "text/csv", key="out_late_lines_csv", help="One line per payment: the interest invoice's "
                                                                   "lines.")
    d[3].download_button("Per payment (Excel)", lambda: exports.to_xlsx_bytes(
        lines(), sheet="Interest", money_columns=interest.ALL_MONEY_COLUMNS), f"{name}-lines.xlsx", xlsx,
        key="out_late_lines_xlsx")
    d[4].download_button("Claims to print (PDF)", lambda: letters.interest_claims_pdf(
        interest.claims(state.engine(), by_debtor["customer_id"].head(SHOWN_DEBTORS).tolist(), since=since,
                        until=until, terms=used), sender=sender.load(state.engine())), f"{name}.pdf",
        "application/pdf", key="out_late_pdf",
        help=f"One letter per debtor listed, in this order (the first {number(SHOWN_DEBTORS)} at most), on your "
             "letterhead: each payment that came late, its days and interest, and the total to pay. "
             "`arboard interest --paid-since … --out FILE.pdf` prints them all.")
    claimsform.record_form(since, until, used, by_debtor, printed=SHOWN_DEBTORS, key="out_claims")
    claimsform.recordings(key="out_claims")


# The Team tab reads every debtor's balance: it runs only while it is open (the other tabs always run).
tab_plan, tab_books, tab_promises, tab_holds, tab_team = st.tabs(["Plan", "Playbooks and messages", "Promises",
                                                                  "Holds", "Team"], key="out_tab", on_change="rerun")

with tab_books:
    books = outreach.load_playbooks(engine)
    call_key = outreach.PROMISE_CALL_KEY
    labels = {**SUBGROUP_LABELS, call_key: "Call about a broken promise (any group)"}
    group = st.selectbox("Playbook of", [*books, call_key], format_func=labels.get, key="out_group")
    is_call = group == call_key
    st.caption("Channels: email, sms, letter, phone, portal, or preferred (the debtor's most responsive channel). "
               "Tones: friendly, neutral, firm. Actions: payment_plan, credit_hold, hand_over. Template fields: "
               "{{ debtor_name }}, {{ open_amount }}, {{ oldest_due_date }}, {{ invoices }} (number, due_date, "
               "amount, credit: true for a credit note or payment on account, promised_for), {{ pay_link }}, "
               "{{ fee }} (empty without a fee), {{ interest }}, {{ interest_rate }} (in force on the day), "
               "{{ earlier_rates }} (rate, until: the earlier rates the interest ran at, when it changed) and "
               "{{ compensation }} (at a step that claims late-payment interest, see below; empty otherwise), "
               "{{ total_due }} (the balance "
               "with all of these), {{ instalments }} (a payment plan to offer: "
               "due_date, amount of each monthly instalment of the balance, as many as Plan settings offer, the "
               "first two weeks after the message), and "
               "in the call about a broken promise "
               "{{ promised_amount }} and {{ promised_date }}. A message lists what its step is about and, from "
               "the due date on, everything else the debtor has overdue that day less "
               "their open credit notes and payments on account; {{ open_amount }} is the balance. A reminder "
               "whose balance is covered by credits is not sent. Amounts are what is still open after "
               "partial payments.")
    if is_call:
        st.caption("The call goes out on the first contact day after a promise to pay ends with its invoice open, "
                   "whatever level the debtor's playbook is at (see Plan settings): its day is not a step's, and "
                   "it cannot hand a claim over.")
    shown = outreach.Playbook(call_key, (outreach.load_promise_call(engine),)) if is_call else books[group]
    edited = st.data_editor(
        outreach.steps_table(shown), num_rows="fixed" if is_call else "dynamic", width="stretch",
        key=f"out_steps_{group}",
        # The call has no day of its own.
        column_order=["name", "channel", "tone", "actions", "fee", "interest", "template"] if is_call else None,
        column_config={
            "offset_days": st.column_config.NumberColumn("Days from due", min_value=-60, max_value=365, step=1),
            "name": "Step", "channel": st.column_config.SelectboxColumn("Channel", options=list(outreach.CHANNELS)),
            "tone": st.column_config.SelectboxColumn("Tone", options=list(outreach.TONES)),
            "actions": "Actions",
            "fee": st.column_config.NumberColumn("Fee", min_value=0.0, max_value=outreach.MAX_FEE, format="%.2f",
                                                 help="A dunning fee charged with this step, in the debtor's "
                                                      "currency; {{ fee }} and {{ total_due }} show it."),
            "interest": st.column_config.CheckboxColumn(
                "Interest", help="The step claims late-payment interest and compensation on what is overdue, "
                                 "at the terms set below; its message must show {{ interest }} and "
                                 "{{ compensation }}."),
            "template": st.column_config.TextColumn("Message template", width="large")})
    if st.button("Save as a new version", key="out_save"):
        try:
            if is_call:
                version = outreach.save_promise_call(engine, outreach.promise_call_from_table(edited))
            else:
                version = outreach.save_playbook(engine, outreach.playbook_from_table(group, edited))
            what = "the call about a broken promise" if is_call else f"the {labels[group]} playbook"
            st.success(f"Saved version {version} of {what}.")
        except ArboardError as exc:
            st.error(md(exc))
    versions = outreach.playbook_versions(engine, group)
    st.caption((f"{count(len(versions), 'saved version')}." if len(versions) else "Using the default wording.")
               + ("" if is_call else " Besides these steps, a debtor whose promise to pay is broken gets a call on "
                                     "the next contact day (choose “Call about a broken promise” above to change "
                                     "what it says; see Plan settings)."))

    st.markdown("#### Preview a message")
    p1, p2 = st.columns([1, 2])
    step_no = p1.selectbox("Step", list(range(len(edited))), key=f"out_prev_step_{group}",
                           format_func=lambda i: f"{i + 1}. {edited.iloc[i]['name'] or 'unnamed'}")
    plan_for_preview, *_ = cache.outreach_plan(as_of, settings, enforce, config, spread=spread)
    candidates = outreach.preview_candidates(plan_for_preview, group)
    # Keyed per playbook: a debtor chosen for another group's preview would otherwise stay chosen.
    debtor = p2.selectbox("For debtor", candidates["customer_id"].tolist(), key=f"out_prev_debtor_{group}",
                          format_func=dict(zip(candidates["customer_id"], candidates["name"], strict=True)).get)
    if debtor is not None and len(edited):
        contact = outreach.preview_contact(plan_for_preview, debtor, group, step_no + 1)
        if is_call and contact.step_no != 0:
            st.caption("The plan has no call about a broken promise for this debtor: the preview uses their first "
                       "planned contact, with no promise to name.")
        ctx = outreach.message_context(contact, pay_link=company.pay_link)
        step = edited.iloc[step_no]
        try:
            text = render(str(step["template"] or ""), ctx)
        except TemplateProblem as exc:
            st.error(f"Template problem: {md(exc)}")
        else:
            st.code(text, language=None, wrap_lines=True)
            if step["channel"] == "sms":
                n = sms_segments(text)
                (st.warning if n > 1 else st.caption)(f"SMS: {count(len(text), 'character')}, {count(n, 'segment')}.")

    with st.expander("Sender: letterhead, bank details and pay link"
                     + ("" if company.is_set else " (not set: letters print without a letterhead)")):
        st.caption("Who letters, statements of account and messages come from. The pay link is what "
                   "{{ pay_link }} says in every message; {customer_id} in it stands for the debtor's number.")
        with st.form("out_sender"):
            f1, f2 = st.columns(2)
            s_name = f1.text_input("Company name", company.name, max_chars=sender.MAX_LINE, key="out_sender_name")
            s_country = f2.text_input("Country (two letters, e.g. DE)", company.country, max_chars=2,
                                      key="out_sender_country",
                                      help="A letter to a debtor in another country prints the country's name.")
            s_address = f1.text_area("Address (one line each: street, postal code and city)",
                                     "\n".join(company.address), height=90, key="out_sender_address")
            s_contact = f2.text_input("Contact (phone · e-mail · web)", company.contact, max_chars=sender.MAX_LINE,
                                      key="out_sender_contact")
            s_payment = f2.text_input("Bank details (footer)", company.payment, max_chars=sender.MAX_LINE,
                                      key="out_sender_payment")
            s_link = st.text_input("Pay link", company.pay_link, max_chars=300, key="out_sender_link")
            if st.form_submit_button("Save sender"):
                try:
                    sender.save(engine, sender.Sender(s_name, tuple(s_address.splitlines()), s_country, s_contact,
                                                      s_payment, s_link))
                    st.success("Saved. Letters, statements and messages use it from now on.")
                except ArboardError as exc:
                    st.error(md(exc))

    terms = settings.interest
    with st.expander("Late-payment interest and compensation" + ("" if terms.is_set else " (none claimed)")):
        if saved := st.session_state.pop("out_interest_saved", None):
            st.success(saved)
        st.caption("What a late payer owes on top of the invoice, claimed at the steps ticked *Interest* (by "
                   "default the firm letters to won't-pay debtors and the formal reminder of debtors to watch). "
                   "Simple interest on what is still open, for the days past the due date beyond the grace; not "
                   "on disputed invoices or credit notes. The compensation is a fixed sum per overdue invoice of "
                   "a business debtor, in the invoice's currency (in the EU: 40 euros, Directive 2011/7/EU, with "
                   "interest at the reference rate plus 8 points). Debtors whose type is not B2C count as "
                   "businesses.")
        with st.form("out_interest"):
            i = st.columns(4)
            before = "Before the first of the rate changes below, when there are any."
            rate = i[0].number_input("Interest, % a year", 0.0, interest.MAX_RATE, float(terms.rate), step=0.25,
                                     format="%.2f", key="out_int_rate", help=before)
            consumer_rate = i[1].number_input("Consumers (B2C), % a year", 0.0, interest.MAX_RATE,
                                              float(terms.consumer_rate), step=0.25, format="%.2f",
                                              key="out_int_consumer", help=before)
            compensation = i[2].number_input("Compensation per invoice", 0.0, interest.MAX_COMPENSATION,
                                             float(terms.compensation), step=5.0, format="%.2f", key="out_int_comp",
                                             help="Business debtors only; 0: none.")
            grace = i[3].number_input("Days of grace", 0, interest.MAX_GRACE, int(terms.grace_days), step=1,
                                      key="out_int_grace", help="Interest runs from this many days after the due "
                                                                "date.")
            saved_changes = st.session_state.pop("out_int_changes_saved", None)
            if saved_changes is not None or "out_int_changes" not in st.session_state:
                # Shown as saved (in date order, ISO days); set before the widget, as the browser keeps its own.
                st.session_state["out_int_changes"] = saved_changes if saved_changes is not None \
                    else interest.changes_text(terms.changes)
            changes = st.text_area(
                "Rate changes: from this day, this rate (and the consumers' rate)", height=100, key="out_int_changes",
                placeholder="2026-07-01 10.15 6.15\n2027-01-01 9.65",
                help="One per line: the day, the rate a year and the consumers' rate, apart by spaces (or paste "
                     "two or three columns from a spreadsheet). The rates above apply before the first change; "
                     "each late day earns at the rate in force on it. Statutory rates follow a reference rate "
                     "that changes every half-year in the EU (1 January and 1 July). Without a consumers' rate, "
                     "it moves by as many points as the business rate.")
            if st.form_submit_button("Save terms"):
                try:
                    saved = interest.save(engine, interest.InterestTerms(
                        rate, consumer_rate, compensation, int(grace),
                        interest.parse_changes(changes, rate=rate, consumer_rate=consumer_rate)))
                except ArboardError as exc:
                    st.error(md(exc))
                else:
                    st.session_state["out_interest_saved"] = f"Saved. {saved.describe()}"
                    st.session_state["out_int_changes_saved"] = interest.changes_text(saved.changes)
                    st.rerun()  # the plan on this page was made with the terms as they were
        if terms.is_set:
            owed, by_debtor = cache.interest_owed(as_of, terms)
            st.caption(f"As of {as_of:%d %b %Y}, the overdue invoices owe " + ("; ".join(
                f"{money(r.interest, r.currency)} interest and {money(r.compensation, r.currency)} compensation "
                f"({count(int(r.invoices), 'invoice')} of {count(int(r.debtors), 'debtor')})"
                for r in owed.itertuples()) if len(owed) else "nothing: no undisputed invoice is overdue") + ".")
            if len(by_debtor):
                i1, i2, _ = st.columns([1, 1, 3])
                name = f"interest-{as_of.isoformat()}"
                i1.download_button("Claims per debtor (CSV)", lambda: exports.to_csv_bytes(by_debtor),
                                   f"{name}.csv", "text/csv", key="out_int_csv")
                i2.download_button("Claims per debtor (Excel)",
                                   lambda: exports.to_xlsx_bytes(by_debtor, sheet="Interest",
                                                                 money_columns=interest.MONEY_COLUMNS),
                                   f"{name}.xlsx",
                                   "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                   key="out_int_xlsx")
            _paid_late(terms)

with tab_holds:
    st.caption("Keep a debtor, or one invoice, out of the plan: in negotiation, under review, handled by the "
               "account manager. Contacts up to the hold's end are left out; when it ends, the step the items "
               "reached meanwhile goes out on the next contact day, and the playbook goes on from there.")
    with st.form("out_hold_form", clear_on_submit=True):
        h = st.columns([2, 2, 2, 3])
        who = h[0].text_input("Debtor (customer number)", key="out_hold_who")
        invoice = h[1].text_input("Invoice number (optional)", key="out_hold_inv",
                                  help="Empty: every invoice of the debtor.")
        until = h[2].date_input("Until", value=None, min_value=as_of, key="out_hold_until",
                                help="The last day without contacts. Empty: until the hold is lifted.")
        reason = h[3].text_input("Reason", max_chars=holds.REASON_MAX, key="out_hold_reason")
        if st.form_submit_button("Put on hold"):
            try:
                holds.add(engine, who, invoice_id=invoice or None, until=until, reason=reason, today=as_of)
                st.success(md(f"{invoice or who} is on hold "
                              + (f"until {until.isoformat()}." if until else "until you lift it.")))
            except ArboardError as exc:
                st.error(md(exc))
    current = holds.active(engine, as_of)
    if current.empty:
        st.info("No debtor or invoice is on hold.")
    else:
        st.dataframe(current.drop(columns=["hold_id"]), hide_index=True, width="stretch",
                     column_config={"customer_id": "Debtor", "invoice_id": "Invoice (empty: all)",
                                    "until": st.column_config.DateColumn("Until (empty: until lifted)"),
                                    "reason": "Reason", "created_at": st.column_config.DatetimeColumn("Since")})
        labels = {r.hold_id: f"{r.customer_id}{' · ' + r.invoice_id if r.invoice_id else ''}"
                  for r in current.itertuples()}
        l1, l2 = st.columns([3, 1], vertical_alignment="bottom")
        chosen = l1.selectbox("Lift a hold", list(labels), format_func=labels.get, key="out_lift_which")
        if l2.button("Lift", key="out_lift"):
            try:
                holds.lift(engine, chosen)
                st.rerun()
            except ArboardError as exc:  # lifted meanwhile, in another session
                st.error(md(exc))

with tab_team:
    if tab_team.open:
        st.caption(f"Who works which debtors, as of {as_of:%d %b %Y}, and what each did in the 30 days up to then: "
                   "the contacts they made (a contact about several invoices counts once) and the invoices promised "
                   "to them. Debtors are given to collectors on the Debtors page or by the customers file's "
                   "collector column; a contact names who made it when it is logged (By) or imported with a user "
                   "column.")
        t1, _ = st.columns([1, 3])
        with t1:
            team_currency = controls.currency()
        team_cur = controls.unit(team_currency)
        roster = collectors.team(cache.debtor_table(as_of, team_currency, config), cache.activity(as_of))
        if (roster["collector"] == collectors.NO_COLLECTOR).all():
            st.info("Nobody works any debtor yet: share the debtors out on the Debtors page, or import a customers "
                    "file with a collector column.")
        st.dataframe(roster, hide_index=True, width="stretch",
                     column_config={"collector": "Collector",
                                    "debtors": st.column_config.NumberColumn("Debtors", format="localized"),
                                    "total": st.column_config.NumberColumn(f"Open ({team_cur})", format="accounting"),
                                    "overdue": st.column_config.NumberColumn(f"Overdue ({team_cur})",
                                                                             format="accounting"),
                                    "overdue_share": st.column_config.NumberColumn("Overdue %", format="percent"),
                                    "over_90": st.column_config.NumberColumn(f"Over 90 days ({team_cur})",
                                                                             format="accounting"),
                                    "broken_promises": st.column_config.NumberColumn("Broken promises to call",
                                                                                     format="localized"),
                                    "contacts": st.column_config.NumberColumn("Contacts, 30 days", format="localized"),
                                    "calls": st.column_config.NumberColumn("Calls, 30 days", format="localized"),
                                    "debtors_reached": st.column_config.NumberColumn("Debtors reached, 30 days",
                                                                                     format="localized"),
                                    "invoices_promised": st.column_config.NumberColumn("Invoices promised, 30 days",
                                                                                       format="localized")})

with tab_promises:
    promised = cache.promises_list(as_of)
    counts = promises.summary(promised)
    st.caption(f"Promises to pay and payment plans on invoices still open on {as_of:%d %b %Y}: the latest promise "
               "about each invoice counts. A promise runs until its promised date plus "
               f"{promises.PROMISE_GRACE_DAYS} days' grace for the payment to arrive"
               + (", and the plan sends no reminder of the invoice until then. "
                  if settings.pause_promised else " (the plan reminds them anyway: see Plan settings). ")
               + f"Broken ones (still open after that) are listed for {promises.BROKEN_LISTED_DAYS} days"
               + (": the plan calls the debtor on the next contact day, unless someone has spoken with them since."
                  if settings.call_broken_promises else ": call the debtor (the plan does not; see Plan settings)."))
    kept = cache.promises_kept(as_of)
    m = st.columns(3)
    m[0].metric("Promises running", number(counts["running"]),
                help=f"Invoices; {count(counts['running_debtors'], 'debtor')}.")
    m[1].metric(f"Broken in the last {promises.BROKEN_LISTED_DAYS} days", number(counts["broken"]),
                help=f"Invoices still open after their promised date and the grace; "
                     f"{count(counts['broken_debtors'], 'debtor')}.")
    m[2].metric(f"Kept, last {promises.KEPT_WINDOW_DAYS} days",
                pct(None if kept["rate"] is None else 100 * kept["rate"]),
                help=f"Of the {count(kept['due'], 'promise')} by {count(kept['debtors'], 'debtor')} whose promised "
                     f"date and grace ended in the last {promises.KEPT_WINDOW_DAYS} days, "
                     f"{count(kept['kept'], 'was', 'were')} paid in time: every promise counts, also one a later "
                     "promise replaced.")
    if promised.empty:
        st.info("No open invoice has a running promise to pay, and none was broken in the last "
                f"{promises.BROKEN_LISTED_DAYS} days.")
    else:
        show = st.segmented_control("Show", ["Running", "Broken", "All"], default="All", key="out_promises_show")
        listed = promises.only(promised, None if show in (None, "All") else show == "Broken")
        columns = {**promises.LABELS,
                   "open_amount": st.column_config.NumberColumn("Open amount", format="accounting"),
                   "promised_amount": st.column_config.NumberColumn("Amount promised", format="accounting"),
                   **{c: st.column_config.DateColumn(promises.LABELS[c])
                      for c in ("due_date", "made_on", "promised_date", "runs_until", "followed_up")},
                   "broken": st.column_config.CheckboxColumn("Broken")}
        # The browser gets the first rows (running soonest first, then the latest broken); downloads hold all.
        st.dataframe(promises.readable(listed.head(PROMISES_LISTED)), hide_index=True, width="stretch", height=380,
                     column_config=columns)
        if len(listed) > PROMISES_LISTED:
            st.caption(f"The first {number(PROMISES_LISTED)} of {number(len(listed))} are listed; the downloads hold "
                       "them all.")
        p1, p2, _ = st.columns([1, 1, 3])
        export = promises.readable(promised, labels=True)
        p1.download_button("Download (CSV)", lambda: exports.to_csv_bytes(export), f"promises-{as_of}.csv",
                           "text/csv", key="out_promises_csv")
        p2.download_button("Download (Excel)",
                           lambda: exports.to_xlsx_bytes(export, sheet="Promises", money_columns=promises.MONEY),
                           f"promises-{as_of}.xlsx",
                           "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="out_promises_xlsx")

with tab_plan:
    try:
        plan, violations, rates, (moved, left_out), handed = cache.outreach_plan(as_of, settings, enforce, config,
                                                                                  spread=spread)
    except ArboardError as exc:
        st.error(md(exc))
        st.stop()
    if len(handed):
        debtors = handed["customer_id"].nunique()
        st.info(f"{count(debtors, 'debtor')} with {count(int(handed['items'].sum()), 'overdue item')} "
                f"{'is' if debtors == 1 else 'are'} past their playbook's hand-over step: their claims are taken to "
                "be with the collection agency, so the plan sends them nothing more. To keep reminding them, end "
                "that playbook with a step that does not hand over.")
        with st.expander("Debtors past a hand-over"):
            st.dataframe(outreach.readable(handed), hide_index=True, width="stretch", height=240, column_config={
                **outreach.LABELS, "overdue": st.column_config.NumberColumn("Overdue", format="accounting"),
                "items": st.column_config.NumberColumn("Items"),
                "since": st.column_config.DateColumn("Hand-over due since")})
    paid = cache.paid_by_cash(as_of, settings, config)
    if len(paid):
        st.caption(f"{count(paid['invoice_id'].nunique(), 'open invoice')} of "
                   f"{count(paid['customer_id'].nunique(), 'debtor')} "
                   f"{'is' if paid['invoice_id'].nunique() == 1 else 'are'} most likely paid by cash on account the "
                   "ERP has not applied yet: no reminder for what it pays (setting *Count cash on account as "
                   "applied*; the **Unapplied cash** page has the clearing lines to key in).")
        with st.expander("Invoices paid by cash on account"):
            st.dataframe(paid, hide_index=True, width="stretch", height=240, column_config={
                **outreach.PAID_BY_CASH_LABELS,
                "open": st.column_config.NumberColumn(outreach.PAID_BY_CASH_LABELS["open"], format="accounting"),
                "applied": st.column_config.NumberColumn(outreach.PAID_BY_CASH_LABELS["applied"],
                                                         format="accounting"),
                "due_date": st.column_config.DateColumn(outreach.PAID_BY_CASH_LABELS["due_date"])})
    if settings.pause_promised and counts["running"]:
        st.caption(f"{count(counts['running'], 'invoice')} of {count(counts['running_debtors'], 'debtor')} "
                   f"{'waits' if counts['running'] == 1 else 'wait'} "
                   "for a promise to pay: no reminder until the promised date and its grace (the **Promises** tab "
                   "lists them, and the promises broken lately).")
    promise_calls = outreach.broken_promise_calls(plan)
    if len(promise_calls):
        st.caption(f"{count(len(promise_calls), 'contact')} with "
                   f"{count(promise_calls['customer_id'].nunique(), 'debtor')} about a broken promise to pay (the "
                   f"step “{promise_calls['step'].iloc[0]}”): promises that ended lately without anyone speaking "
                   "with the debtor since, and running ones on the day after they end, should the invoice still be "
                   "open then.")
    if plan.empty:
        st.info(f"No contact falls in the next {settings.weeks} weeks: nothing is open, or every step is past.")
        st.stop()
    claiming, claimed_from = outreach.interest_claimed(plan)
    if claiming:
        st.caption(f"{count(claiming, 'message')} to {count(claimed_from, 'debtor')} claim late-payment interest "
                   "and compensation (the terms and what overdue invoices owe: *Playbooks and messages*, below "
                   "the preview).")
    load = outreach.workload(plan, settings, collectors=cache.assigned())
    cost = outreach.costs(plan, settings)
    fx_rates = cache.exchange_rates()
    expected = outreach.expected_collections(plan, rates, fx_rates=fx_rates)
    # Contact costs are the company's own: in its reporting currency once one is set, else in the currency
    # most of its receivables are in (a US ledger's calls cost dollars).
    cost_cur = fx_rates.reporting if fx_rates.active else (controls.default_currency() or "EUR")
    m = st.columns(4)
    m[0].metric("Planned contacts", number(len(plan)))
    m[1].metric("Debtors contacted", number(plan["customer_id"].nunique()))
    m[2].metric("Cost of the plan", money(cost["cost"].sum(), cost_cur))
    m[3].metric("Days over phone capacity", number(int(load["overload"].sum())),
                help=f"Capacity: {settings.agents} agents × {settings.calls_per_agent_per_day} calls a day"
                     + (", and as many for each collector, on their own debtors." if settings.calls_per_collector
                        else "."))
    if not current.empty:
        st.caption(f"{count(len(current), 'hold keeps', 'holds keep')} debtors or invoices out of this plan "
                   "(see Holds).")
    left, right = st.columns(2)
    with left:
        st.markdown("**By channel**")
        charts.show(charts.contacts_per_week_chart(outreach.contacts_per_week(plan, "channel"), "channel",
                                                   "Channel"))
    with right:
        st.markdown("**By group**")
        charts.show(charts.contacts_per_week_chart(
            outreach.contacts_per_week(plan.assign(group=plan["group"].map(SUBGROUP_LABELS)), "group"), "group",
            "Group", {SUBGROUP_LABELS[k]: v for k, v in charts.GROUP_COLOURS.items()}))
    end = outreach.plan_end(as_of, settings)
    st.caption(f"Weeks run Monday to Sunday. The plan covers {as_of + timedelta(days=1):%d %b %Y} to "
               f"{end:%d %b %Y}, so its first and last weeks can be part-weeks with fewer contacts.")
    st.markdown("**Phone workload** (red: more calls than the team can make; dashed: capacity)")
    if load.empty:
        st.caption("No calls planned.")
    else:
        charts.show(charts.workload_chart(load))
    if spread and moved:
        st.caption(f"{count(moved, 'call')} moved to a later day to stay within the team's capacity.")
    if spread and len(left_out):
        st.warning(f"{count(len(left_out), 'call does', 'calls do')} not fit in the next {settings.weeks} weeks at "
                   f"this capacity and {'is' if len(left_out) == 1 else 'are'} left out of the plan: add agents or "
                   "calls per agent, or plan more weeks.")
        with st.expander("Calls left out"):
            st.dataframe(outreach.readable(left_out[["date", "name", "customer_id", "group", "step", "amount",
                                                     "currency", "invoices"]]),
                         hide_index=True, width="stretch", height=240,
                         column_config={**outreach.LABELS, "date": st.column_config.DateColumn("Planned for"),
                                        "amount": st.column_config.NumberColumn("Amount", format="accounting")})
    # The expected collections have the longer labels and figures; the costs fit in less.
    c1, c2 = st.columns([5, 7])
    with c1:
        st.markdown("**Cost per channel**")
        st.dataframe(cost, hide_index=True, width="stretch",
                     column_config={**outreach.LABELS,
                                    "contacts": st.column_config.NumberColumn("Contacts", format="localized"),
                                    "unit_cost": st.column_config.NumberColumn(f"Unit cost ({cost_cur})",
                                                                               format="%.2f"),
                                    "cost": st.column_config.NumberColumn(f"Cost ({cost_cur})",
                                                                          format="accounting")})
    with c2:
        st.markdown("**Expected collections**" + (f" in {fx_rates.reporting}" if fx_rates.active else "")
                    + " (from each channel's past results)")
        # Whole amounts: these are estimates, and cents would push the last column out of a half-width table.
        # Text, so that a group with nothing to go by reads "–", not "None".
        shown = expected["expected"].map(lambda v: "–" if v != v else number(round(v)))  # NaN: no rate
        # The group column gets the width of its longest label.
        st.dataframe(outreach.readable(expected.drop(columns="unknown")).assign(
                         targeted=expected["targeted"].round(0), expected=shown),
                     hide_index=True, width="stretch",
                     column_config={**outreach.LABELS, "group": st.column_config.TextColumn("Group", width=235),
                                    "targeted": st.column_config.NumberColumn("Amount contacted",
                                                                              format="localized"),
                                    "expected": st.column_config.TextColumn("Expected to come in",
                                                                            alignment="right")})
        unknown = float(expected["unknown"].sum())
        st.caption(((fx.note(fx_rates, plan["currency"].unique()) or "")
                    + (f" {number(round(unknown))} of the amount contacted goes out only on channels with no past "
                      "contacts in the last year to learn from, and is left out of what is expected (–: nothing "
                      "to go by)." if unknown > 0.5 else "")).strip())
    st.markdown(f"**Contact pressure**: {count(len(violations), 'debtor')} would get more than "
                f"{settings.max_contacts_per_7_days} contacts in 7 days"
                + (" — the extra contacts were dropped." if enforce else "."))
    if len(violations):
        st.dataframe(violations, hide_index=True, width="stretch", height=200,
                     column_order=["name", "customer_id", "window_start", "contacts"],
                     column_config={**outreach.LABELS, "window_start": st.column_config.DateColumn("7 days from")})

    st.markdown("**One debtor's schedule**")
    who = st.selectbox("Debtor", plan["customer_id"].unique().tolist()[:2000], key="out_who",
                       format_func=dict(zip(plan["customer_id"], plan["name"], strict=False)).get)
    st.dataframe(outreach.render_messages(plan[plan["customer_id"] == who], pay_link=company.pay_link)
                 .pipe(outreach.export_table).pipe(outreach.readable), hide_index=True, width="stretch",
                 column_config={**outreach.LABELS, "date": st.column_config.DateColumn("Planned for"),
                                "amount": st.column_config.NumberColumn("Amount", format="accounting"),
                                "total_due": st.column_config.NumberColumn("Total due", format="accounting")})

    st.markdown("**Work list for one day**: the contacts to make that day, largest balances first"
                + (f" (in {fx_rates.reporting})" if fx_rates.active else "") + ", with their messages and "
                "call scripts.")
    w1, w2, w3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    work_day = w1.selectbox("Day", outreach.work_days(plan), key="out_work_day",
                            format_func=lambda d: f"{d:%a %d %b %Y}")
    channel_words = {"all": "All", "phone": "Calls", "letter": "Letters", "email": "E-mails", "sms": "SMS",
                     "portal": "Portal"}
    work_channel = w2.segmented_control("Channel", list(channel_words), format_func=channel_words.get,
                                        default="phone", key="out_work_channel") or "all"
    team = cache.collector_names()
    everyone = "Everyone"
    who = w3.selectbox("Collector", [everyone, *team, collectors.NO_COLLECTOR], key="out_work_collector",
                       help="The debtors one collector works (Debtors page, or the customers file's collector "
                            "column); the ones nobody works.")
    work = cache.work_list(as_of, settings, enforce, config, spread=spread, day=work_day,
                           channel=None if work_channel == "all" else work_channel,
                           collector=None if who == everyone else who)
    logform.flash("work")  # what the last log from this list did (its row may have left the list)
    if work.empty:
        st.caption(f"No {channel_words[work_channel].lower()} contact on that day"
                   + ("." if who == everyone else f" for {md(who)}."))
    else:
        money_col = {c: st.column_config.NumberColumn(outreach.LABELS[c], format="accounting")
                     for c in ("amount", "total_due", "interest", "compensation")}
        # What the collector needs first, from the left: who, what, where to, how much; the day is chosen.
        done = st.dataframe(outreach.readable(work), hide_index=True, width="stretch", height=280,
                            on_select="rerun", selection_mode="single-row",
                            key=f"out_work_{work_day}_{work_channel}_{logform.rounds('work')}",
                            column_order=["name", "customer_id", "step", "channel", "contact", "currency",
                                          "total_due", "invoices", "last_note", "message", "collector", "group",
                                          "tone", "actions", "amount", "fee", "interest", "compensation"],
                            column_config={**outreach.LABELS, **money_col,
                                           "last_note": st.column_config.TextColumn("Last note", width="large")})
        if done.selection.rows:
            row = work.iloc[done.selection.rows[0]]
            st.markdown(f"**{md(row['name'])}** ({md(row['customer_id'])}): {md(row['step'])}, {row['channel']}")
            if row["last_note"]:
                st.caption(f"Last note: {md(row['last_note'])}")
            named = [i.strip() for i in str(row["invoices"]).split(",")]
            logform.log_contact(row["customer_id"], as_of, channel=row["channel"], on=work_day, invoices=named,
                                key="work", expanded=True)
            if "payment_plan" in str(row["actions"]):  # the step offers one: agree it here
                logform.payment_plan(row["customer_id"], as_of, on=work_day, invoices=named, key="work")
        else:
            st.caption("Select a row to log what came of the contact (a promise to pay, say).")
        if who == everyone and work["collector"].notna().any():
            st.caption("Contacts by collector: " + "; ".join(
                f"{md(r.collector)} {number(r.contacts)}"
                + (f" ({count(r.calls, 'call')})" if 0 < r.calls < r.contacts else "")
                for r in collectors.workload(work).itertuples()) + ".")
        name = f"worklist-{work_day.isoformat()}-{work_channel}"
        name += "" if who == everyone else "-" + exports.file_slug(who)
        in_letters = letters.letters_of(work)
        missing = letters.missing_addresses(work)
        if missing:
            st.warning(f"{count(len(missing), 'letter has', 'letters have')} no postal address on file: "
                       + md(", ".join(missing[:10])) + (" …" if len(missing) > 10 else "")
                       + ". Add the address to the customers file and import it.")
        k1, k2, k3 = st.columns(3)
        if len(in_letters):
            k3.download_button(
                f"Print the letters (PDF, {number(len(in_letters))})",
                lambda: letters.letters_pdf(in_letters, letters.addresses(engine, in_letters["customer_id"]),
                                            sender=company),
                f"letters-{work_day.isoformat()}.pdf", "application/pdf", key="out_work_pdf",
                help="One letter per page with your letterhead and the debtor's address in the envelope window."
                     + ("" if company.is_set else " Set the sender on the Playbooks tab first."))
        k1.download_button(f"Download this list (CSV, {count(len(work), 'row')})", lambda: exports.to_csv_bytes(work),
                           f"{name}.csv", "text/csv", key="out_work_csv")
        k2.download_button("Download this list (Excel)", lambda: exports.to_xlsx_bytes(
                               work, sheet="Work list", money_columns=outreach.MONEY_COLUMNS),
                           f"{name}.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                           key="out_work_xlsx")

    def full_export():
        return outreach.export_table(outreach.render_messages(plan, pay_link=company.pay_link))

    d1, d2 = st.columns(2)
    d1.download_button("Download the plan (CSV)", lambda: exports.to_csv_bytes(full_export()),
                       f"plan-{as_of.isoformat()}.csv", "text/csv", key="out_csv")
    d2.download_button("Download the plan (Excel)",
                       lambda: exports.to_xlsx_bytes(full_export(), sheet="Plan",
                                                      money_columns=outreach.MONEY_COLUMNS),
                       f"plan-{as_of.isoformat()}.xlsx",
                       "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", key="out_xlsx")
