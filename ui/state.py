"""Engine, data version, as-of date and cached library calls for the pages."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import threading
from datetime import date

import sqlalchemy as sa
import streamlit as st

from arboard import db, generate, summary
from arboard.errors import ArboardError, driver_reason
from ui.format import md

DEFAULT_SAMPLE = generate.SampleSpec(customers=5_000, invoices=100_000, seed=7)


@st.cache_resource(max_entries=4)
def _engine(url: str):
    engine = db.make_engine(url)
    db.ensure_schema(engine)
    return engine


def database() -> tuple[object, str, str]:
    """Return (engine, url, origin); shows the error and stops the page when the database is down."""
    try:
        url, origin = db.resolve_url(st.session_state.get("db_url_override"))
        return _engine(url), url, origin
    except ArboardError as exc:
        st.error(f"**The database is not available.** {md(exc)}")
        st.info("Check ARBOARD_DB_URL or .streamlit/secrets.toml, or unset them to use the embedded database.")
        st.stop()


@contextlib.contextmanager
def database_errors():
    """Used by app.py around everything that reads the database: a database that goes away while
    the dashboard is open (server stopped, network down, file locked) gets a message, not a traceback.

    Only connection-type errors are caught; an error in a query itself stays loud, as it is a bug.
    """
    try:
        yield
    except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
        try:
            where = db.redact(db.resolve_url(st.session_state.get("db_url_override"))[0])
        except ArboardError:
            where = "the configured database"
        reason = driver_reason(exc)
        st.error(f"**The database stopped answering.** {md(where)}: {md(reason)}")
        st.info("Nothing already saved is lost: it stays in the database. Reload the page once the database is "
                "back; if it moved, check ARBOARD_DB_URL or .streamlit/secrets.toml.")


def engine():
    """The engine for this session's database."""
    return database()[0]


def data_version() -> int:
    """The current data version (cheap: one row from the meta table)."""
    return db.data_version(engine())


def ensure_sample(url: str, origin: str) -> None:
    """On first start of the embedded database, write the default sample ledger."""
    if origin != "embedded" or os.environ.get("ARBOARD_NO_SAMPLE"):
        return
    eng = _engine(url)
    if db.row_counts(eng)["invoices"] or db.data_version(eng):
        return
    load_sample(eng, "First start: creating a sample ledger (5,000 customers, 100,000 invoices)…")


def load_sample(eng, message: str = "Creating the sample ledger (5,000 customers, 100,000 invoices)…") -> None:
    """Write the default sample ledger, ending today, into an empty database."""
    with st.spinner(message):
        generate.write_sample(eng, dataclasses.replace(DEFAULT_SAMPLE, end=date.today()), replace=False)
    _summary.clear()


@st.cache_data(ttl=600, max_entries=16, show_spinner=False)
def _summary(url: str, version: int) -> summary.LedgerSummary:
    return summary.ledger_summary(_engine(url))


def ledger_summary() -> summary.LedgerSummary:
    """Cached :func:`arboard.summary.ledger_summary` for the current data version."""
    eng, url, _ = database()
    return _summary(url, db.data_version(eng))


def as_of() -> date:
    """The as-of date chosen in the sidebar (every page computes as of it)."""
    value = st.session_state.get("as_of")
    if isinstance(value, date):
        return value
    last = ledger_summary().last_activity
    return last or date.today()


# Streamlit runs a session's script in its own thread. app.py marks the thread while it routes, so
# a page can tell whether it runs inside the router (with the sidebar) or was started on its own
# (Streamlit's legacy pages/ folder mode, e.g. a deep link on the server's very first request).
_run = threading.local()


class routing:
    """Context manager used by app.py around ``nav.run()``."""

    def __enter__(self) -> None:
        _run.routed = True

    def __exit__(self, *exc) -> None:
        _run.routed = False


def through_router(page_file: str) -> None:
    """Call first in every page: send a page started outside the router back through app.py."""
    if getattr(_run, "routed", False):
        return
    st.session_state["_deep_link"] = "pages/" + os.path.basename(page_file)
    # switch_page clears the URL's query: carry it along, or a shared link loses its view.
    st.switch_page("app.py", query_params=st.query_params.to_dict())


def ledger_page(page_file: str, title: str) -> date:
    """Start a page that needs a ledger: route it, title it, explain an empty database; return the as-of date."""
    through_router(page_file)
    st.title(title)
    loaded = ledger_summary()
    if loaded.empty:
        st.info("No invoices are loaded yet. Load a ledger on the **Data** page, or run `arboard generate`.")
        st.stop()
    day = as_of()
    if loaded.first_invoice is not None and day < loaded.first_invoice:
        # Every figure would be zero or blank: say why instead of drawing empty charts.
        st.info(f"Nothing is on the ledger as of {day:%d %b %Y}: the first invoice is dated "
                f"{loaded.first_invoice:%d %b %Y}. Pick a later as-of date in the sidebar.")
        st.stop()
    return day


PRESENTATION_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"], header[data-testid="stHeader"],
div[data-testid="stToolbar"] {display: none !important;}
div[data-testid="stMainBlockContainer"] {padding-top: 1.5rem; max-width: 100%;}
div[data-testid="stMetricValue"] {font-size: 3.2rem;}
div[data-testid="stMetricLabel"] p {font-size: 1.25rem;}
div[data-testid="stMetricDelta"] {font-size: 1.2rem;}
</style>
"""


def presenting() -> bool:
    """Presentation mode (``?present=1``): wide charts and big numbers, no sidebar or menu."""
    return st.query_params.get("present") == "1"


def presentation_chrome() -> None:
    """Hide the sidebar, the page menu and the toolbar (app.py calls this in presentation mode)."""
    st.markdown(PRESENTATION_CSS, unsafe_allow_html=True)  # a constant: no user text goes in


def history_warning(what: str) -> None:
    """Warn when the ledger is an open-items report: ``what`` (e.g. "DSO and CEI") needs settled invoices."""
    if ledger_summary().open_items_only:
        st.warning(f"This ledger holds open items only: no invoice is settled yet. Balances "
                   f"and aging are exact, but {what} need the settled history too. Import the invoices paid in the "
                   "last 12 months or more, with their paid dates, on the **Data** page; or import each new aging "
                   "report there in the mode *Open items as of the report date*: what a report no longer lists is "
                   "settled on its date, and the history builds up.", icon=":material/history:")
