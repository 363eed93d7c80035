"""Widgets shared by several pages (currency, DSO window, aging buckets); they return plain values."""

from __future__ import annotations

import streamlit as st

from arboard import fx, interest, model, outreach, segments
from arboard.errors import ArboardError
from arboard.openitems import DIMENSIONS  # noqa: F401 - re-exported for pages
from arboard.segments import SegmentConfig
from ui import cache, state
from ui.format import md

WINDOWS = {30: "30 days", 60: "60 days", 90: "90 days", 180: "180 days", 365: "12 months"}


def default_currency() -> str | None:
    """The currency with the largest open balance (what :func:`currency` starts on)."""
    options = [c for c, _ in cache.currencies()]
    return options[0] if options else None


ALL = "all"  # the currency picker's value for all currencies together in the reporting currency


def currency() -> str | None:
    """Currency picker; returns the currency, or None for all of them in the reporting currency.

    Amounts in different currencies are never added up at face value. With a reporting currency
    saved on the Data page, the picker also offers all currencies together, converted at the saved
    rates, and starts on them.
    """
    options = [c for c, _ in cache.currencies()]
    if len(options) <= 1:
        return options[0] if options else None
    reporting = cache.exchange_rates().reporting
    choices = [ALL, *options] if reporting else options
    kept_among("currency", choices, choices[0])
    picked = st.selectbox("Currency", choices, key="currency",
                          format_func=lambda c: f"All in {reporting}" if c == ALL else c,
                          help="Figures are per currency; the largest comes first."
                               + (f" All in {reporting}: every currency converted at the exchange rates saved "
                                  "on the Data page." if reporting else ""))
    return None if picked == ALL else picked


def unit(currency: str | None) -> str:
    """The currency a page's amounts are in: the one picked, else the reporting currency."""
    return currency or cache.exchange_rates().reporting or "EUR"


def consolidated_note(currency: str | None, *, over_time: bool = True) -> str:
    """What a page says when it shows all currencies in the reporting currency ("" otherwise);
    ``over_time`` for pages with figures at past dates (trends, backtests)."""
    rates = cache.exchange_rates()
    if currency or not rates.active:
        return ""
    text = fx.note(rates, [c for c, _ in cache.currencies()]) or ""
    if over_time:
        text += (" Every date is converted at these rates (constant currency), so trends follow the ledger, not "
                 "the exchange rates.")
    return text.strip()


def window() -> int:
    kept("window", 90)
    return st.selectbox("DSO and CEI window", list(WINDOWS), format_func=WINDOWS.get, key="window",
                        help="Credit sales and collections are measured over this many days before the as-of date.")


def cei_average() -> bool:
    kept("cei_average", False)
    return st.toggle("CEI on average monthly sales", key="cei_average",
                     help="Divide the window's sales by its number of months (a textbook variant). Off: total sales.")


def aging_buckets() -> tuple[tuple[int, ...], str]:
    """Bucket edges and basis."""
    kept("edges", "30, 60, 90, 120")
    text = st.text_input("Bucket edges (days)", key="edges",
                         help="Upper ends of the buckets, e.g. 30, 60, 90, 120 → 1–30, 31–60, …, Over 120.")
    try:
        edges = tuple(sorted({int(x) for x in text.replace(";", ",").split(",") if x.strip()}))
        if not edges or edges[0] <= 0:
            raise ValueError
    except ValueError:
        st.warning("Bucket edges must be positive whole numbers of days, separated by commas. Using 30, 60, 90, 120.")
        edges = (30, 60, 90, 120)
    kept("basis", "due")
    basis = st.radio("Measured from", ["due", "invoice"], horizontal=True, key="basis",
                     format_func={"due": "Due date (days past due)", "invoice": "Invoice date (age)"}.get)
    return edges, basis


def dimension(label: str = "Break down by", *, key: str = "dimension", with_segment: bool = False) -> str:
    options = {**DIMENSIONS, **({"segment": "Segment (the five groups)"} if with_segment else {})}
    kept(key, next(iter(options)))
    return st.selectbox(label, list(options), format_func=options.get, key=key)


def risk_scores(table, as_of, *, prefix: str, toggle_in=st, slider_in=st):
    """A "Risk scores" toggle; when on, adds ``risk_score`` to ``table`` and filters on a minimum.

    Keys are ``<prefix>_risk`` and ``<prefix>_min_risk``. A ledger too small to train the model gives a
    warning and the table unchanged.
    """
    if not toggle_in.toggle("Risk scores", key=f"{prefix}_risk",
                            help="Probability of paying 30+ days late, from the late-payment model "
                                 "(trained on this ledger, then cached)."):
        return table
    try:
        min_risk = slider_in.slider("Risk score at least", 0, 100, key=f"{prefix}_min_risk")
        return model.with_risk(table, cache.risk_scores(as_of)[1], min_risk=min_risk)
    except ArboardError as exc:
        st.warning(str(exc))
        return table


DEFAULT_CONFIG = "(default thresholds)"


def remembered(key: str, options: list[str], default: str, *, url_key: str | None = None) -> None:
    """Seed the widget ``key`` from a value kept across pages (``_<key>``), else from the URL.

    Streamlit forgets a widget's value on pages that do not draw it; the copy under ``_<key>``
    survives, and :func:`remember` (the widget's ``on_change``) updates it.
    """
    kept = st.session_state.get(f"_{key}")
    if kept is None and url_key:
        kept = st.query_params.get(url_key)
    st.session_state[key] = kept if kept in options else default
    st.session_state[f"_{key}"] = st.session_state[key]


def remember(key: str) -> None:
    st.session_state[f"_{key}"] = st.session_state[key]


def kept(key: str, default) -> None:
    """Seed the widget ``key`` (drawn right after, without its own default) from the copy kept across
    pages, else ``default``; and keep its value. Streamlit forgets a widget's value on pages that do
    not draw it: the Outreach settings went back to their defaults after a look at another page."""
    if key not in st.session_state:
        st.session_state[key] = st.session_state.get(f"_{key}", default)
    st.session_state[f"_{key}"] = st.session_state[key]


def kept_among(key: str, options: list, default) -> None:
    """:func:`kept` for a selectbox (``default`` a value) or multiselect (``default`` a list) whose
    options change with other settings (the currency, the aging edges): a kept value no longer
    offered gives way to the default, or is dropped from the list."""
    kept(key, default)
    value = st.session_state[key]
    if isinstance(default, list):
        value = [v for v in value if v in options]
    elif value not in options:
        value = default
    st.session_state[key] = st.session_state[f"_{key}"] = value


# The Outreach page's plan settings: widget key -> default (the library's, and the two page switches).
_PLAN = outreach.PlanSettings()
PLAN_SETTINGS = {"out_weeks": _PLAN.weeks, "out_agents": _PLAN.agents, "out_calls": _PLAN.calls_per_agent_per_day,
                 "out_max": _PLAN.max_contacts_per_7_days, "out_enforce": True,
                 "out_days": [outreach.WEEKDAYS[i] for i in _PLAN.contact_days], "out_spread": True,
                 "out_disputed": _PLAN.remind_disputed, "out_repeat": _PLAN.repeat_last_step_days,
                 "out_promised": _PLAN.pause_promised, "out_call_broken": _PLAN.call_broken_promises,
                 "out_instalments": _PLAN.instalments_offered, "out_per_collector": _PLAN.calls_per_collector,
                 "out_cash": _PLAN.apply_cash}


def plan_setting(key: str):
    """A plan setting as last set on the Outreach page (on any page), else its default."""
    return st.session_state.get(key, st.session_state.get(f"_{key}", PLAN_SETTINGS[key]))


def plan_settings(*, strict: bool = True) -> outreach.PlanSettings:
    """The Outreach page's plan settings. Inconsistent ones raise :class:`ArboardError` (the Outreach
    page says what is wrong), or give the defaults when not ``strict`` (another page's plan)."""
    days = plan_setting("out_days")
    terms = interest.load(state.engine())  # the company's, saved in the database
    try:
        return outreach.PlanSettings(weeks=int(plan_setting("out_weeks")), agents=int(plan_setting("out_agents")),
                                     calls_per_agent_per_day=int(plan_setting("out_calls")),
                                     max_contacts_per_7_days=int(plan_setting("out_max")),
                                     contact_days=outreach.parse_days(",".join(days) or "Mon-Fri"),
                                     remind_disputed=bool(plan_setting("out_disputed")),
                                     pause_promised=bool(plan_setting("out_promised")),
                                     call_broken_promises=bool(plan_setting("out_call_broken")),
                                     repeat_last_step_days=int(plan_setting("out_repeat")),
                                     instalments_offered=int(plan_setting("out_instalments")),
                                     calls_per_collector=bool(plan_setting("out_per_collector")),
                                     apply_cash=str(plan_setting("out_cash")),
                                     interest=terms)
    except ArboardError:
        if strict:
            raise
        return outreach.PlanSettings(interest=terms)


def segment_config(container=st) -> tuple[str | None, SegmentConfig]:
    """Pick a saved segment configuration (kept in the URL as ``?config=NAME``; names only).

    Returns the name (None for the default thresholds) and the configuration.
    """
    engine = state.engine()
    names = segments.config_names(engine)
    options = [DEFAULT_CONFIG, *names]
    wanted = st.query_params.get("config")
    remembered("config_pick", options, DEFAULT_CONFIG, url_key="config")
    if wanted and wanted not in names:
        st.warning(f"The link asks for the segment configuration “{md(wanted)}”, which is not saved here; "
                   "the default thresholds are used.")
    name = container.selectbox("Segment thresholds", options, key="config_pick", on_change=remember,
                               args=("config_pick",),
                               help="A configuration saved on the Segments page decides who is in which group.")
    if name == DEFAULT_CONFIG:
        st.query_params.pop("config", None)
        return None, SegmentConfig()
    st.query_params["config"] = name
    try:
        return name, segments.load_config(engine, name)
    except ArboardError as exc:
        st.warning(str(exc))
        return None, SegmentConfig()


def restore(fields: dict[str, tuple[str, object]], options: dict[str, list] | None = None) -> None:
    """Before drawing a page's widgets: give each its value from the copy kept across pages, else
    from the URL (a shared link), else its default.

    ``fields`` maps a widget key to (URL name, default); the default's type decides how the URL
    text is read (list, bool, int, float, str; a page checks a str against its options).
    ``options`` lists the allowed values of list widgets.
    """
    options = options or {}
    for key, (name, default) in fields.items():
        if key not in st.session_state and f"_{key}" not in st.session_state:
            default = _from_url(name, default, options.get(key))
        kept(key, default)


def _from_url(name: str, default, allowed: list | None):
    """The value a shared link gives a widget (read as the default's type), else the default."""
    try:
        if isinstance(default, list):
            got = [v for v in st.query_params.get_all(name) if allowed is None or v in allowed]
            return got or default
        if name in st.query_params:
            text = st.query_params[name]
            return (text == "1" if isinstance(default, bool) else int(text) if isinstance(default, int)
                    else text if isinstance(default, str) else float(text))
    except ValueError:
        pass  # a mangled link falls back to the default
    return default


def publish(fields: dict[str, tuple[str, object]]) -> None:
    """After the widgets: keep their values across pages and put the non-default ones in the URL."""
    for key, (name, default) in fields.items():
        value = st.session_state.get(key, default)
        st.session_state[f"_{key}"] = value
        if value == default or value in (None, []):
            st.query_params.pop(name, None)
        elif isinstance(value, bool):
            st.query_params[name] = "1"
        elif isinstance(value, list):
            st.query_params[name] = [str(v) for v in value]
        else:
            st.query_params[name] = f"{value:g}" if isinstance(value, float) else str(value)


def current_config() -> tuple[str | None, SegmentConfig]:
    """The segment configuration picked on another page (or in the link), without drawing a widget."""
    name = st.session_state.get("_config_pick") or st.query_params.get("config")
    if not name or name == DEFAULT_CONFIG:
        return None, SegmentConfig()
    try:
        return name, segments.load_config(state.engine(), name)
    except ArboardError:
        return None, SegmentConfig()


def pdf_button(container, data, as_of, *, key: str, label: str = "One-page PDF") -> None:
    """Download button for the one-page summary; ``data`` is called only when clicked."""
    container.download_button(label, data, f"arboard-summary-{as_of.isoformat()}.pdf", "application/pdf", key=key,
                              icon=":material/picture_as_pdf:",
                              help="KPIs, DSO trend, aging, the five groups, the 13-week forecast and the largest "
                                   "overdue balances on one A4 page, for a meeting.")
