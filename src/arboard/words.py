"""Counts in words, for the notes, messages and captions people read: "1 invoice has", "2 invoices have".

"1 invoice(s) have an open amount" reads as a machine wrote it; a count names its things in the number
it has, and the verb that follows agrees with it.
"""

from __future__ import annotations

__all__ = ["counted", "first_few", "listed"]


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


def first_few(names: list[str], n: int = 3, *, total: int | None = None) -> str:
    """The first ``n`` of ``names`` and how many more: a list in a sentence that stays one line long.
    ``total``: how many there are, when only the first few were read.

    Examples
    --------
    >>> first_few(["P1", "P2", "P3", "P4", "P5"])
    'P1, P2, P3 and 2 more'
    >>> first_few(["P1", "P2", "P3"], total=1200)
    'P1, P2, P3 and 1,197 more'
    """
    total = len(names) if total is None else total
    return ", ".join(names[:n]) + (f" and {total - n:,} more" if total > n else "")


def listed(items: list[str]) -> str:
    """``items`` as a sentence lists them: "a", "a and b", "a, b and c" ("" for none).

    Examples
    --------
    >>> listed(["2%", "3%", "5%"])
    '2%, 3% and 5%'
    """
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""
