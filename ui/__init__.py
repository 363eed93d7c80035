"""Streamlit-side helpers shared by app.py and the pages: the engine, caches, the as-of date.

Everything that touches ``st.cache_*`` or ``st.session_state`` lives here, never in
``src/arboard``. Cached results are keyed on the database URL and its data version, so an
import invalidates them, and on every parameter that changes the answer.
"""
