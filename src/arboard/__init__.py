"""arboard: an open accounts-receivable collections library and dashboard.

The package is the domain library. It never imports streamlit: every function takes a
DataFrame or a SQLAlchemy engine first and explicit keywords (``as_of`` among them) after.
"""

from arboard.errors import ArboardError

__all__ = ["ArboardError"]
__version__ = "0.1.0"
