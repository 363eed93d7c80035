"""Counts in words, for the notes, messages and captions people read: "1 invoice has", "2 invoices have".

"1 invoice(s) have an open amount" reads as a machine wrote it; a count names its things in the number
it has, and the verb that follows agrees with it.
"""

from __future__ import annotations

__all__ = ["counted"]


def counted(n: int | float, singular: str, plural: str | None = None) -> str:
    """``n`` with the words that go with it: singular for exactly one, plural otherwise.

    Parameters
    ----------
    n
        The count, shown with thousands separators ("1,200").
    singular
        The words for one: a noun ("invoice"), or a noun and its verb ("invoice has").
    plural
        The words for any other number; default ``singular`` with an "s" (right for a bare noun).

    Examples
    --------
    >>> counted(1, "invoice has", "invoices have")
    '1 invoice has'
    >>> counted(1200, "debtor")
    '1,200 debtors'
    """
    if isinstance(n, float) and n.is_integer():
        n = int(n)  # a count summed in floats (pandas) shows no ".0"
    words = singular if n == 1 else (plural if plural is not None else singular + "s")
    return f"{n:,} {words}"
