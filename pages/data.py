"""Data: load a ledger from a file or another database, confirm the mapping, see what is loaded."""

from __future__ import annotations

from datetime import date, timedelta

import streamlit as st

from arboard import activity, dates, db, exports, fx, generate, importer, readers, summary
from arboard.errors import ArboardError
from arboard.fields import KINDS, fields_for
from arboard.mapping import load_saved
from ui import cache, state
from ui.format import count, md, money, number

state.through_router(__file__)
engine, url, origin = state.database()
st.title("Data")
st.caption("Load your receivables ledger from an ERP export or a database. Only invoices are required; "
           "customers, payments and contacts add detail. Nothing is written until you press **Import**.")

KIND_LABELS = {"invoices": "Invoices (open items / AR ledger)", "customers": "Customers", "payments": "Payments",
               "contacts": "Contacts (reminders, calls, promises)"}


def show_report(report, *, key: str) -> None:
    """Summary of findings plus the full report as a download."""
    if report is None or report.empty:
        st.success("Every row passed validation.")
        return
    headers = {"severity": "Severity", "reason": "Reason", "rows": st.column_config.NumberColumn("Rows"),
               "column": "Column", "value": "Value", "row": st.column_config.NumberColumn("Row", format="%d")}
    st.dataframe(importer.report_summary(report), hide_index=True, width="stretch", column_config=headers)
    st.dataframe(report.head(200), hide_index=True, width="stretch", column_config=headers)
    if len(report) > 200:
        st.caption(f"The first 200 of {count(len(report), 'finding')}; the download below has them all.")
    st.download_button("Download the full report (CSV)", exports.to_csv_bytes(report), "import-report.csv",
                       "text/csv", key=f"dl-{key}")


def mapping_flow(raw: readers.RawTable, key: str) -> None:
    """Confirm the mapping of a raw table, check it, import it."""
    info = f"**{count(len(raw.df), 'row')} × {len(raw.columns)} columns** · {raw.format.upper()}"
    if raw.encoding:
        info += f" · {raw.encoding}"
    if raw.delimiter:
        info += f" · delimiter “{'tab' if raw.delimiter == chr(9) else raw.delimiter}”"
    st.markdown(info)
    for note in raw.notes:
        st.caption(f"Note: {md(note)}")
    with st.expander("Preview of the first rows"):
        st.dataframe(raw.df.head(20), width="stretch")

    saved = load_saved(engine, raw.columns)
    guess = saved.kind if saved else importer.plan_import(raw).spec.kind
    kind = st.selectbox("This file holds", KINDS, index=KINDS.index(guess), format_func=KIND_LABELS.get,
                        key=f"kind-{key}")
    try:
        plan = importer.plan_import(raw, kind=kind, saved=saved if saved and saved.kind == kind else None)
    except ArboardError as exc:
        st.error(md(exc))
        return
    if plan.from_saved:
        st.success("This file layout was imported before: the saved mapping is applied. Change it below if needed.")
    st.markdown("#### Column mapping")
    st.caption("Check what each column means. Required fields: "
               + ", ".join(f.label for f in fields_for(kind) if f.required) + ".")
    options = [importer.IGNORE] + [f.label for f in fields_for(kind)]
    edited = st.data_editor(
        importer.mapping_table(plan), hide_index=True, width="stretch", key=f"map-{key}-{kind}",
        disabled=["Column in file", "Example values"],
        column_config={"Maps to": st.column_config.SelectboxColumn("Maps to", options=options, required=True)})
    spec = importer.spec_from_table(edited, kind=kind, base=plan.spec)
    for col, fmt in st.session_state.get(f"datefmt-{key}", {}).items():
        if col in spec.columns:
            spec.date_formats[col] = fmt
    try:
        plan = importer.plan_import(raw, spec=spec)
    except ArboardError as exc:
        st.error(md(exc))
        return

    if plan.detections:
        st.markdown("#### Dates")
        choices = list(dates.FORMATS)
        cols = st.columns(min(len(plan.detections), 4))
        chosen = {}
        for i, (col, det) in enumerate(plan.detections.items()):
            with cols[i % len(cols)]:
                fmt = spec.date_formats.get(col)
                if det.ambiguous or fmt is None:
                    hint = det.message or "choose the format"
                    pick = st.selectbox(f"“{col}”", [None, *choices], key=f"df-{key}-{col}",
                                        format_func=lambda v: "Choose…" if v is None else v, help=hint)
                    st.caption(f":orange[Needs you:] {hint}")
                    if pick:
                        chosen[col] = pick
                else:
                    st.markdown(f"“{col}”: **{fmt}**")
                    st.caption(f"e.g. {', '.join(det.examples[:2])}" if det.examples else det.message)
        if chosen != st.session_state.get(f"datefmt-{key}", {}) and chosen:
            st.session_state[f"datefmt-{key}"] = {**st.session_state.get(f"datefmt-{key}", {}), **chosen}
            st.rerun()

    if plan.ignored:
        st.caption("Not loaded: " + "; ".join(f"“{c}” ({why})" for c, why in plan.ignored.items()))
    for problem in plan.problems():
        st.warning(problem)

    st.markdown("#### Load")
    c1, c2, c3 = st.columns(3)
    mode = c1.radio("Mode", ["append", "replace", *(["open-items"] if kind == "invoices" else [])], key=f"mode-{key}",
                    format_func={
        "append": "Add and update (same id = update)",
        "replace": f"Replace all {kind}" + (" (those logged in arboard stay)" if kind == "contacts" else ""),
        "open-items": "Open items as of the report date: settle what the file leaves out"}.get,
                    help="Open items: the file lists every invoice still open on the report's date (an aging report); "
                         "an invoice open in arboard that it leaves out was paid, credited or written off by then, and "
                         "is settled on that date. A later report that lists it again opens it again.")
    if kind == "invoices":
        spec.default_currency = c2.text_input("Currency when the file has none", "EUR", max_chars=3,
                                              key=f"cur-{key}").upper()
        spec.default_terms_days = int(c3.number_input("Payment terms when there is no due date (days)", 0, 365, 30,
                                                      key=f"terms-{key}"))
    open_on = None
    if kind == "invoices" and ("open_amount" in plan.spec.columns.values() or mode == "open-items"):
        open_on = st.columns(3)[0].date_input(
            "Report date", date.today(), max_value=date.today(), key=f"openon-{key}", format="YYYY-MM-DD",
            help="The date of the report (an aging report's 'as of' date). What an invoice's open amount says was "
                 "paid is recorded as a payment of that day, and in open-items mode what the file leaves out is "
                 "settled on it; earlier as-of dates show those invoices open.")
    skip = st.checkbox("Skip rejected rows and load the rest", key=f"skip-{key}",
                       help="By default a single rejected row stops the import, so nothing half-loaded "
                            "reaches your figures.")
    # A replace empties the table first: one wrong click with a partial file would lose the ledger.
    loaded = state.ledger_summary().counts.get(kind, 0) if mode == "replace" else 0
    confirmed = not loaded or st.checkbox(
        f"Yes, replace the {count(loaded, kind.rstrip('s'))} loaded"
        + (" (those logged in arboard stay)" if kind == "contacts" else ""), key=f"confirm-{key}",
        help="Everything now in the table goes, and the file's rows take its place.")
    b1, b2 = st.columns([1, 1])
    if b1.button("Check the file", disabled=not plan.ready, key=f"check-{key}"):
        try:
            _plan, batch = importer.check_import(engine, raw, spec=plan.spec, today=date.today())
        except ArboardError as exc:
            st.error(md(exc))
        else:
            st.info(f"{count(batch.rows_read, 'row')} read: {number(batch.rejected_rows)} would be rejected, "
                    f"{number(batch.suspicious_rows)} are suspicious but would load.")
            if open_on is not None and (late := importer.report_out_of_order(engine, batch, mode, open_on)):
                st.error(md(late))
            if mode == "open-items":
                gone = importer.unlisted_count(engine, batch, on=open_on)
                one = gone.settles == 1
                said = (f"{number(gone.settles)} of the {count(gone.open, 'invoice')} open in arboard on "
                        f"{open_on:%d %b %Y} {'is' if one else 'are'} not in this file: the import settles "
                        f"{'it' if one else 'them'} on that date.")
                (st.warning if gone.most else st.info)(
                    said + (" That is most of them: is the file complete (every company, currency, collector)?"
                            if gone.most else ""))
            if mode == "replace" and kind == "invoices":
                for said in importer.left_on_account(engine, batch):
                    st.warning(md(said))
            for warning in batch.warnings:
                st.warning(md(warning[0].upper() + warning[1:] + "."))
            for note in batch.notes:
                st.caption(f"Note: {md(note)}")
            show_report(batch.report, key=f"check-{key}")
    if b2.button("Import", type="primary", disabled=not plan.ready or not confirmed, key=f"import-{key}"):
        try:
            with st.spinner("Importing…"):
                result = importer.run_import(engine, raw, spec=plan.spec, mode=mode, skip_invalid=skip,
                                             today=date.today(), open_on=open_on)
        except ArboardError as exc:
            st.error(f"**Nothing was loaded.** {md(exc)}")
            if exc.report is not None:
                show_report(exc.report, key=f"fail-{key}")
        else:
            st.session_state["last_import"] = result
            st.rerun()


if state.ledger_summary().sample:
    # A first start fills the embedded database with the sample: a file imported now would mix with it.
    s1, s2 = st.columns([3, 1], vertical_alignment="center")
    s1.info("The database holds the **sample ledger**, made up to show arboard at work. Remove it before you "
            "load your own ledger, or your invoices will be counted together with the sample's. Your playbooks, "
            "thresholds, scenarios and saved column mappings stay.")
    if s2.button("Remove the sample ledger", key="remove_sample", icon=":material/delete_sweep:"):
        try:
            removed = generate.remove_sample(engine)
        except ArboardError as exc:
            st.error(md(exc))
        else:
            st.session_state.pop("last_import", None)
            st.toast(f"Removed the sample: {count(removed['invoices'], 'invoice')}, "
                     f"{count(removed['customers'], 'customer')}.")
            st.rerun()

tab_file, tab_db = st.tabs(["Upload a file", "Read from a database"])
with tab_file:
    upload = st.file_uploader("CSV, Excel (.xlsx, .xls, .ods) or Parquet export of your ledger",
                              type=["csv", "txt", "tsv", "xlsx", "xlsm", "xls", "ods", "parquet"])
    if upload is not None:
        try:
            raw = readers.read_bytes(upload.getvalue(), name=upload.name)
        except ArboardError as exc:
            st.error(md(exc))
        else:
            mapping_flow(raw, key=f"f{upload.file_id}")
with tab_db:
    st.caption("Read a table or a SELECT from another database (PostgreSQL, DuckDB, …) by SQLAlchemy URL.")
    src_url = st.text_input("Source database URL", type="password",
                            placeholder="postgresql://user:password@host:5432/erp")
    src_table = st.text_input("Table name or SELECT query", placeholder="open_items")
    if st.button("Read", disabled=not (src_url and src_table)):
        try:
            st.session_state["db_raw"] = readers.read_sql(src_url, src_table)
        except ArboardError as exc:
            st.error(md(exc))
    if st.session_state.get("db_raw") is not None:
        mapping_flow(st.session_state["db_raw"], key="db")

result = st.session_state.get("last_import")
if result is not None:
    st.success(f"Imported {number(result.inserted + result.updated)} of {count(result.rows_read, 'row')} of "
               f"{result.kind} from {md(result.source)}: {number(result.inserted)} new, {number(result.updated)} "
               f"updated, {number(result.rejected)} rejected and left out, {number(result.suspicious)} suspicious, "
               f"{count(result.customers_added, 'new customer')}.")
    for warning in result.warnings:
        st.warning(md(warning[0].upper() + warning[1:] + "."))
    for note in result.notes:
        st.caption(f"Note: {md(note)}")
    if len(result.report):
        with st.expander("Rows worth a look"):
            show_report(result.report, key="last")

def exchange_rates(currencies: list[str]) -> None:
    """Reporting currency and rates, for the figures that add up a debtor's currencies."""
    saved = cache.exchange_rates()
    if len(currencies) < 2 and not saved.active:
        return
    title = f"Exchange rates: reporting in {saved.reporting}" if saved.active else "Exchange rates (none set)"
    with st.expander(title):
        st.caption("With a reporting currency, every page offers all currencies together in it (every date at "
                   "these rates: constant currency); each currency on its own is never converted. Segment sizes, "
                   "balance bands, credit-limit use, the late-payment model's invoice amounts and the outreach "
                   "plan's expected collections add up a debtor's currencies: at these rates, or at face value "
                   "without them. Credit limits are taken to be in the reporting currency. The month-end closing "
                   "rate is the usual choice; a currency left blank counts at face value.")
        options = ["(none: face value)", *sorted(set(currencies) | ({saved.reporting} if saved.active else set()))]
        chosen = st.selectbox("Reporting currency", options,
                              index=options.index(saved.reporting) if saved.active else 0, key="fx_reporting")
        reporting = None if chosen == options[0] else chosen
        edited = None
        if reporting:
            edited = st.data_editor(
                fx.rate_table(saved, currencies, reporting), hide_index=True, width="stretch",
                key=f"fx_rates_{reporting}", disabled=["currency"], num_rows="fixed",
                column_config={"currency": "Currency",
                               "per_unit": st.column_config.NumberColumn(
                                   f"One unit in {reporting}", min_value=0.000001, max_value=1_000_000.0,
                                   format="%.6f", help=f"What one unit of the currency is worth in {reporting}, "
                                                       f"e.g. 0.087 for SEK into EUR.")})
        if st.button("Save the rates", key="fx_save"):
            try:
                fx.save(engine, reporting, dict(zip(edited["currency"], edited["per_unit"], strict=True))
                        if edited is not None else {})
                st.toast(f"Reporting currency: {reporting}." if reporting else "Amounts add up at face value.")
                st.rerun()
            except ArboardError as exc:
                st.error(md(exc))


st.divider()
st.subheader("What is loaded")
led = state.ledger_summary()
history = summary.import_history(engine)
st.caption(f"Database: {db.redact(url)} · {'embedded DuckDB file' if origin == 'embedded' else origin}"
           + (f" · ledger loaded from {md(led.source)}" if led.source else "")
           + ("; every import is listed under Import history below" if len(history) and not led.empty else ""))
if led.empty:
    st.info("No invoices are loaded yet. Upload an export above, or load the sample ledger to see arboard at work "
            "(`arboard generate` on the command line).")
    # Only into a database with nothing in it: a sample starts by emptying the ledger tables.
    if not any(led.counts.values()) and st.button(
            "Load the sample ledger", key="load_sample", icon=":material/science:",
            help="5,000 made-up debtors and 100,000 invoices over 27 months, ending today. The button that then "
                 "shows at the top of this page removes it again."):
        try:
            state.load_sample(engine)
        except ArboardError as exc:
            st.error(md(exc))
        else:
            st.rerun()
else:
    m = st.columns(4)
    for col, (name, n) in zip(m, led.counts.items(), strict=True):
        col.metric(name.capitalize(), number(n))
    st.markdown(f"Invoices dated **{led.first_invoice:%d %b %Y}** to **{led.last_invoice:%d %b %Y}**; "
                f"latest activity **{led.last_activity:%d %b %Y}**.")
    if led.derived_paid_dates:
        st.caption(f"{count(led.derived_paid_dates, 'paid date was', 'paid dates were')} worked out from the "
                   "payments, since the invoice files gave none: each is the day the payments covered the invoice "
                   "for good, and it follows the payments when they change.")
    if led.open_items_settled:
        st.caption(f"{count(led.open_items_settled, 'invoice was', 'invoices were')} settled on the date of an "
                   "open-items report they were missing from (paid, credited or written off by then); a later "
                   "report that lists one again opens it again.")
    if led.open_amount_payments:
        st.caption(f"{count(led.open_amount_payments, 'payment was', 'payments were')} recorded from the open "
                   "amounts of invoices files (an aging report's open balance beside the invoice amount), each on "
                   "its report's date; a payments file for those invoices takes their place.")
    if led.last_report:
        st.caption(f"The last report of open items or open amounts loaded is dated **{led.last_report:%d %b %Y}**: "
                   "the next one loads when it is dated on or after that day.")
    state.history_warning("DSO, CEI, days to pay, the cash forecast's delays and the behaviour groups")
    table = led.by_currency.assign(
        invoices=led.by_currency["invoices"].map(number),
        open_invoices=led.by_currency["open_invoices"].map(number),
        invoiced=[money(v, c) for v, c in zip(led.by_currency["invoiced"], led.by_currency["currency"], strict=True)],
        open_amount=[money(v, c) for v, c in zip(led.by_currency["open_amount"], led.by_currency["currency"],
                                                 strict=True)],
    )
    # Amounts in several currencies share a column, so they are text; right-aligned like figures.
    right = {"alignment": "right"}
    st.dataframe(table, hide_index=True, width="stretch", column_config={
        "currency": "Currency", "invoices": st.column_config.TextColumn("Invoices", **right),
        "invoiced": st.column_config.TextColumn("Invoiced", **right),
        "open_invoices": st.column_config.TextColumn("Open invoices", **right),
        "open_amount": st.column_config.TextColumn("Still open (after part payments)", **right)})
    exchange_rates(list(led.by_currency["currency"]))
    if len(history):
        with st.expander("Import history"):
            st.dataframe(history, hide_index=True, width="stretch", column_config={
                "at": st.column_config.DatetimeColumn("When", format="D MMM YYYY, HH:mm"), "source": "Source",
                "kind": "Table", "mode": "Mode", "rows_read": st.column_config.NumberColumn("Rows read"),
                "inserted": st.column_config.NumberColumn("New"),
                "updated": st.column_config.NumberColumn("Updated"),
                "rejected": st.column_config.NumberColumn("Rejected"),
                "suspicious": st.column_config.NumberColumn("Flagged")})

st.divider()
st.subheader("The team's work, for the ERP or CRM")
st.caption("Contacts logged in arboard (calls, promises, payment plans, disputes), disputes raised, resolved or "
           "marked here, reminders put on hold or resumed, interest claims recorded as sent (to book as "
           "receivables) and what payments on account pay, confirmed or rejected (to apply them) live only in "
           "arboard until your ERP or CRM hears of them. Export what was entered on these days (UTC) and import it "
           "there; the contacts file also loads into another arboard as it is.")
last_day = activity.today()
w = st.columns([1, 1, 2])
first = w[0].date_input("Entered from", last_day - timedelta(days=6), max_value=last_day, key="act_from",
                        format="YYYY-MM-DD")
last = w[1].date_input("to", last_day, max_value=last_day, key="act_to", format="YYYY-MM-DD")
try:
    logged = activity.contacts_logged(engine, since=first, until=last)
    decided = activity.dispute_decisions(engine, since=first, until=last)
    held = activity.holds(engine, since=first, until=last)
    claimed = activity.interest_claims(engine, since=first, until=last)
    applied = activity.cash_decided(engine, since=first, until=last)
except ArboardError as exc:
    st.error(md(exc))
else:
    if logged.empty and decided.empty and held.empty and claimed.empty and applied.empty:
        st.info("Nothing was entered in arboard on these days: contacts, dispute decisions, holds on reminders, "
                "interest claims recorded as sent and decisions on cash on account (Debtors, Outreach, Disputes and "
                "Unapplied cash pages) show here.")
    else:
        st.markdown(f"**{count(len(logged), 'contact')}** logged, **{count(len(decided), 'dispute decision')}**, "
                    f"**{count(len(held), 'hold')}** on reminders put or lifted, "
                    f"**{count(len(claimed), 'interest claim')}** sent and "
                    f"**{count(len(applied), 'payment on account', 'payments on account')}** decided from "
                    f"{first:%d %b %Y} to {last:%d %b %Y}.")
        name = f"arboard-activity-{first.isoformat()}-to-{last.isoformat()}"
        d = [*st.columns(3), *st.columns(3)]  # two rows: six labels in one are cut short
        d[0].download_button("All (Excel, five sheets)",
                             lambda: activity.to_xlsx(logged, decided, held, claimed, applied),
                             f"{name}.xlsx", key="act_xlsx",
                             mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        d[1].download_button("Contacts (CSV)", lambda: exports.to_csv_bytes(logged), f"{name}-contacts.csv",
                             "text/csv", key="act_csv", disabled=logged.empty)
        d[2].download_button("Dispute decisions (CSV)", lambda: exports.to_csv_bytes(decided),
                             f"{name}-disputes.csv", "text/csv", key="act_dd", disabled=decided.empty)
        d[3].download_button("Holds on reminders (CSV)", lambda: exports.to_csv_bytes(held), f"{name}-holds.csv",
                             "text/csv", key="act_holds", disabled=held.empty)
        d[4].download_button("Interest claims sent (CSV)", lambda: exports.to_csv_bytes(claimed),
                             f"{name}-interest.csv", "text/csv", key="act_interest", disabled=claimed.empty,
                             help="One line per claim (a recording, debtor and currency): what to book as a "
                                  "receivable in the ERP.")
        d[5].download_button("Cash on account decided (CSV)", lambda: exports.to_csv_bytes(applied),
                             f"{name}-cash.csv", "text/csv", key="act_cash", disabled=applied.empty,
                             help="One line per payment on account: the items it pays (confirmed: apply it in the "
                                  "ERP) or does not (rejected).")
