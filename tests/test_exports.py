"""Exports: numbers a reader can take in (formula safety is tested with the outreach exports)."""

from __future__ import annotations

import io

import openpyxl
import pandas as pd

from arboard import exports


def test_numbers_are_rounded_to_four_decimals_in_csv_and_excel():
    frame = pd.DataFrame({"name": ["A", "B"], "open": [12646324.780000048, 0.1 + 0.2],
                          "days_late": [164.47557457337206, None], "items": [3, 4]})
    text = exports.to_csv_bytes(frame).decode("utf-8-sig")
    assert text.splitlines()[1:] == ["A,12646324.78,164.4756,3", "B,0.3,,4"]
    sheet = openpyxl.load_workbook(io.BytesIO(exports.to_xlsx_bytes(frame, money_columns=("open",)))).active
    assert [c.value for c in sheet[2]] == ["A", 12646324.78, 164.4756, 3]
    assert [c.value for c in sheet[3]] == ["B", 0.3, None, 4]
