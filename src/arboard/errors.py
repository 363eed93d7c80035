"""User-facing errors.

Every failure a person can cause (a broken file, a wrong column, a database that is down) is
raised as :class:`ArboardError` with a message that says *what* went wrong and *where*. The
CLI and the pages print the message; they never show a traceback for these.
"""

from __future__ import annotations

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
