from __future__ import annotations

from ui.format import md, measures


def test_markdown_in_data_is_shown_literally():
    assert md("*Star*_Trading") == r"\*Star\*\_Trading"
    assert md("[x](javascript:alert(1)) :smile: $x$ <b>") == (
        r"\[x\]\(javascript\:alert\(1\)\) \:smile\: \$x\$ \<b\>")
    assert md(42) == "42"


def test_measures_format_each_row_by_its_unit():
    import pandas as pd

    frame = pd.DataFrame({"label": ["Open", "DSO"], "unit": ["money", "days"], "base": [1234567.4, 64.71],
                          "change": [-0.2, 1.26]})
    shown = measures(frame, ["base", "change"], "EUR", signed=("change",)).to_html()
    assert "€1,234,567" in shown and "64.7 days" in shown and "+1.3 days" in shown
    assert "-€0" not in shown and "€0" in shown  # a rounding residue is no "-0"


def test_money_shows_float_noise_as_zero():
    from ui.format import money

    assert money(-1e-9, "EUR", compact=True) == money(0.0, "EUR", compact=True)
    assert money(-0.001, "EUR") == "€0.00"
    assert money(-0.01, "EUR") == "-€0.01"


def test_compact_money_below_a_thousand_is_whole_units():
    from ui.format import money

    assert money(348.9099999777, "EUR", compact=True) == "€349"
    assert money(-12.3456, "EUR", compact=True) == "-€12"
    assert money(999.4, "EUR", compact=True) == "€999"
    assert money(999.6, "EUR", compact=True) == "€1K"
    assert money(93412.3, "EUR", compact=True) == "€93.4K"


def test_compact_money_that_rounds_to_a_thousand_moves_up_a_unit():
    """Babel rounds 999,999 to "€1000K"; a tile says €1M."""
    from ui.format import money

    assert money(999_999, "EUR", compact=True) == "€1M"
    assert money(-999_960, "EUR", compact=True) == "-€1M"
    assert money(999_949, "EUR", compact=True) == "€999.9K"
    assert money(999_999_999_999, "USD", compact=True) == "US$1T"


def test_days_from_a_hundred_without_tenths():
    from ui.format import days

    assert days(64.71) == "64.7 days" and days(1.26, signed=True) == "+1.3 days"
    assert days(356.3) == "356 days" and days(99.96) == "100 days" and days(1234.5) == "1,234 days"
    assert days(None) == "–" and days(float("nan")) == "–"


def test_late_payment_factors_are_named_in_full():
    """Vega cuts axis labels at 180 px: two factors read "Customer's share…" alike."""
    import pandas as pd

    from arboard.model import FEATURES
    from ui import charts

    table = pd.DataFrame({"label": list(FEATURES.values()), "importance": 0.01, "std": 0.0})
    limit = charts.importance_chart(table).to_dict()["encoding"]["y"]["axis"]["labelLimit"]
    assert limit >= 7 * max(map(len, FEATURES.values()))  # about 7 px a character at the axis' font size


def test_pct_shows_one_decimal_and_a_dash_when_missing():
    from ui.format import pct

    assert pct(42.26) == "42.3 %" and pct(None) == "–" and pct(float("nan")) == "–"
