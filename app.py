"""arboard: router and global sidebar (data source, as-of date). Nothing else lives here."""

from __future__ import annotations

from datetime import date

import streamlit as st

from arboard import db
from ui import state
from ui.format import count

st.set_page_config(page_title="arboard – receivables", page_icon=":material/account_balance:", layout="wide")

PAGES = {
    # The default page lives at "/" (Streamlit ignores its url_path).
    "pages/overview.py": st.Page("pages/overview.py", title="Overview", icon=":material/monitoring:", default=True),
    "pages/aging.py": st.Page("pages/aging.py", title="Aging", icon=":material/hourglass_bottom:", url_path="aging"),
    "pages/segments.py": st.Page("pages/segments.py", title="Segments", icon=":material/groups:",
                                 url_path="segments"),
    "pages/debtors.py": st.Page("pages/debtors.py", title="Debtors", icon=":material/person_search:",
                                 url_path="debtors"),
    "pages/outreach.py": st.Page("pages/outreach.py", title="Outreach", icon=":material/campaign:",
                                 url_path="outreach"),
    "pages/disputes.py": st.Page("pages/disputes.py", title="Disputes", icon=":material/gavel:",
                                  url_path="disputes"),
    "pages/unapplied.py": st.Page("pages/unapplied.py", title="Unapplied cash",
                                  icon=":material/account_balance_wallet:", url_path="unapplied"),
    "pages/credit-holds.py": st.Page("pages/credit-holds.py", title="Credit holds", icon=":material/block:",
                                     url_path="credit-holds"),
    "pages/provision.py": st.Page("pages/provision.py", title="Bad-debt provision", icon=":material/savings:",
                                  url_path="provision"),
    "pages/forecast.py": st.Page("pages/forecast.py", title="Cash forecast", icon=":material/payments:",
                                 url_path="forecast"),
    "pages/whatif.py": st.Page("pages/whatif.py", title="What-if", icon=":material/tune:", url_path="whatif"),
    "pages/data.py": st.Page("pages/data.py", title="Data", icon=":material/database:", url_path="data"),
}
presenting = state.presenting()
nav = st.navigation(list(PAGES.values()), position="hidden" if presenting else "sidebar")
deep_link = st.session_state.pop("_deep_link", None)
if deep_link in PAGES:
    st.switch_page(PAGES[deep_link], query_params=st.query_params.to_dict())
if presenting and nav is not PAGES["pages/whatif.py"]:
    # Only What-if presents (and offers the way back): elsewhere, e.g. from a shared link, the hidden
    # menu would leave no way out.
    st.query_params.pop("present", None)
    st.rerun()

# A database that stops answering while the dashboard is open gets a message, not a traceback.
with state.database_errors():
    engine, url, origin = state.database()
    state.ensure_sample(url, origin)
    summary = state.ledger_summary()

    if presenting:
        state.presentation_chrome()
    with st.sidebar:
        st.markdown("### arboard")
        latest = summary.last_activity or date.today()
        param = st.query_params.get("as_of")
        try:
            initial = date.fromisoformat(param) if param else latest
        except ValueError:
            initial = latest
        if "as_of" not in st.session_state:
            st.session_state["as_of"] = initial
        elif st.session_state.get("as_of_latest", latest) != latest and \
                st.session_state["as_of"] == st.session_state.get("as_of_latest"):
            # The data moved on (an import, the sample removed): a date left on the data's last day follows it.
            st.session_state["as_of"] = initial = latest
        st.session_state["as_of_latest"] = latest
        first = summary.first_invoice or date(2000, 1, 1)
        as_of = st.date_input("As-of date", key="as_of", format="YYYY-MM-DD", min_value=min(first, initial),
                              max_value=max(latest, date.today(), initial),
                              help="Every figure is computed as the ledger stood on this date. "
                                   f"The data runs to {latest.isoformat()}.")
        st.query_params["as_of"] = as_of.isoformat()
        st.caption("**Database**")
        st.caption(f"{db.redact(url)}  \n({'embedded DuckDB' if origin == 'embedded' else 'from ' + origin})")
        st.caption(" · ".join(count(summary.counts[k + "s"], k) for k in ("customer", "invoice", "payment", "contact")))
        if summary.sample:
            st.caption("**The sample ledger**: made-up debtors to show arboard at work. The Data page removes it "
                       "and loads your own.")

    with state.routing():
        nav.run()
