"""Counts in words."""

from __future__ import annotations

import numpy as np

from arboard.words import counted, listed


def test_one_takes_the_singular_and_its_verb():
    assert counted(1, "invoice has", "invoices have") == "1 invoice has"
    assert counted(2, "invoice has", "invoices have") == "2 invoices have"
    assert counted(0, "debtor") == "0 debtors"
    assert counted(1_200, "debtor") == "1,200 debtors"


def test_counts_from_pandas_show_no_decimals():
    assert counted(np.int64(1), "row") == "1 row"
    assert counted(np.float64(3.0), "item") == "3 items"


def test_a_list_in_a_sentence():
    assert [listed(x) for x in ([], ["a"], ["a", "b"], ["a", "b", "c"])] == ["", "a", "a and b", "a, b and c"]
