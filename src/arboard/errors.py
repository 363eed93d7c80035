"""User-facing errors.

Every failure a person can cause (a broken file, a wrong column, a database that is down) is
raised as :class:`ArboardError` with a message that says *what* went wrong and *where*. The
CLI and the pages print the message; they never show a traceback for these.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

import pandas as pd


@dataclass
class ArboardError(Exception):
    """An error to show to the user as it is.

    Parameters
    ----------
    message
        One or two plain sentences: what went wrong and what to do.
    where
        The place: a file name, a column, a row, a database URL (with the password hidden).
    report
        Optional row-level detail (row, column, value, reason) the user can download.
    """

    message: str
    where: str | None = None
    report: pd.DataFrame | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


def driver_reason(exc: BaseException) -> str:
    """The first line of a database driver's message (what SQLAlchemy wraps), at most 300 characters:
    enough to say why, without the SQL statement and parameters SQLAlchemy appends."""
    text = str(getattr(exc, "orig", None) or exc).strip()
    return text.splitlines()[0][:300] if text else type(exc).__name__


def check_text(text: str | None, *, what: str, max_len: int) -> str | None:
    """Free text typed in arboard (a reason, a note) as stored: trimmed, None when blank.

    Raises
    ------
    ArboardError
        Longer than ``max_len`` characters, or holding a control character other than a line break
        (a tab, an invisible formatting character). ``what`` names the text in the message ("A hold's
        reason").
    """
    text = (text or "").strip()
    if len(text) > max_len:
        raise ArboardError(f"{what} has at most {max_len} characters; this one has {len(text)}.")
    if any(unicodedata.category(ch).startswith("C") and ch != "\n" for ch in text):
        raise ArboardError(f"{what} holds a control character (a tab or an invisible formatting character).")
    return text or None
