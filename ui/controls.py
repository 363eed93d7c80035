"""Widgets shared by several pages (currency, DSO window, aging buckets); they return plain values."""

from __future__ import annotations

import streamlit as st

from arboard import model
from arboard.errors import ArboardError
from arboard.openitems import DIMENSIONS  # noqa: F401 - re-exported for pages
from ui import cache

WINDOWS = {30: "30 days", 60: "60 days", 90: "90 days", 180: "180 days", 365: "12 months"}


def currency() -> str | None:
    """Currency picker (amounts in different currencies are never added up)."""
    options = [c for c, _ in cache.currencies()]
    if not options:
        return None
    if len(options) == 1:
        return options[0]
    if st.session_state.get("currency") not in options:
        st.session_state["currency"] = options[0]
    return st.selectbox("Currency", options, key="currency", help="Figures are per currency; the largest comes first.")


def window() -> int:
    return st.selectbox("DSO and CEI window", list(WINDOWS), index=2, format_func=WINDOWS.get, key="window",
                        help="Credit sales and collections are measured over this many days before the as-of date.")


def cei_average() -> bool:
    return st.toggle("CEI on average monthly sales", key="cei_average",
                     help="Divide the window's sales by its number of months (a textbook variant). Off: total sales.")


def aging_buckets() -> tuple[tuple[int, ...], str]:
    """Bucket edges and basis."""
    text = st.text_input("Bucket edges (days)", "30, 60, 90, 120", key="edges",
                         help="Upper ends of the buckets, e.g. 30, 60, 90, 120 → 1–30, 31–60, …, Over 120.")
    try:
        edges = tuple(sorted({int(x) for x in text.replace(";", ",").split(",") if x.strip()}))
        if not edges or edges[0] <= 0:
            raise ValueError
    except ValueError:
        st.warning("Bucket edges must be positive whole numbers of days, separated by commas. Using 30, 60, 90, 120.")
        edges = (30, 60, 90, 120)
    basis = st.radio("Measured from", ["due", "invoice"], horizontal=True, key="basis",
                     format_func={"due": "Due date (days past due)", "invoice": "Invoice date (age)"}.get)
    return edges, basis


def dimension(label: str = "Break down by", *, key: str = "dimension", with_segment: bool = False) -> str:
    options = {**DIMENSIONS, **({"segment": "Segment (the five groups)"} if with_segment else {})}
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
        min_risk = slider_in.slider("Risk score at least", 0, 100, 0, key=f"{prefix}_min_risk")
        return model.with_risk(table, cache.risk_scores(as_of)[1], min_risk=min_risk)
    except ArboardError as exc:
        st.warning(str(exc))
        return table
