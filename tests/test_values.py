"""Reading what people type (spec §3.3): every accepted form, and what is refused."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from sheetfunnel.values import (
    parse_amounts,
    parse_bools,
    parse_dates,
    parse_texts,
    read_bool,
    read_date,
    read_number,
    read_text,
)

MARCH_1 = dt.date(2025, 3, 1)


@pytest.mark.parametrize(("typed", "expected"), [
    (1200, 1200.0),
    (1200.5, 1200.5),
    ("1,000", 1000.0),
    ("１，０００", 1000.0),
    ("40%", 0.4),
    ("¥1,200", 1200.0),
    ("￥1,200", 1200.0),
    ("$1,200.50", 1200.5),
    ("€ 99", 99.0),
    ("£5", 5.0),
    ("USD 300", 300.0),
    ("300 CNY", 300.0),
    ("300元", 300.0),
    ("1.2k", 1200.0),
    ("3K", 3000.0),
    ("50万", 500000.0),
    ("1.5亿", 150000000.0),
    ("-1,200", -1200.0),
    ("  42 ", 42.0),
])
def test_read_number_forms(typed, expected):
    assert read_number(typed) == pytest.approx(expected)


@pytest.mark.parametrize("blank", [None, "", "   ", float("nan")])
def test_blank_cells_read_as_none(blank):
    assert read_number(blank) is None
    assert read_date(blank) is None
    assert read_bool(blank) is None
    assert read_text(blank) is None


@pytest.mark.parametrize("garbage", ["abc", "1,2", "12..5", "$", True, dt.date(2025, 1, 1)])
def test_read_number_refuses_what_is_not_a_number(garbage):
    with pytest.raises(ValueError, match="not a number"):
        read_number(garbage)


@pytest.mark.parametrize(("typed", "order", "expected"), [
    (MARCH_1, "ymd", MARCH_1),
    (dt.datetime(2025, 3, 1, 17, 30), "ymd", MARCH_1),
    (45717, "ymd", MARCH_1),
    (45717.75, "ymd", MARCH_1),
    ("2025-03-01", "ymd", MARCH_1),
    ("2025-03-01T10:00:00Z", "ymd", MARCH_1),
    ("2025-03-01 09:15", "ymd", MARCH_1),
    ("2025/3/1", "ymd", MARCH_1),
    ("2025.3.1", "ymd", MARCH_1),
    ("1/3/2025", "dmy", MARCH_1),
    ("3/1/2025", "mdy", MARCH_1),
    ("1/3/25", "dmy", MARCH_1),
    ("2025年3月1日", "ymd", MARCH_1),
    ("２０２５年３月１日", "ymd", MARCH_1),
    ("13/3/2025", "ymd", dt.date(2025, 3, 13)),
])
def test_read_date_forms(typed, order, expected):
    assert read_date(typed, order) == expected


@pytest.mark.parametrize(("garbage", "why"), [
    ("next week", "not a date"),
    ("2025-02-30", "not a real date"),
    ("1/3/2025", "set date_order"),
    (-5, "not a date"),
    (True, "not a date"),
])
def test_read_date_refuses(garbage, why):
    with pytest.raises(ValueError, match=why):
        read_date(garbage, "ymd")


@pytest.mark.parametrize(("typed", "expected"), [
    ("yes", True), ("No", False), ("TRUE", True), ("false", False), ("✓", True),
    ("是", True), ("否", False), (True, True), (False, False), (1, True), (0.0, False),
])
def test_read_bool_forms(typed, expected):
    assert read_bool(typed) is expected


def test_read_bool_refuses_maybe():
    with pytest.raises(ValueError, match="not yes or no"):
        read_bool("maybe")


@pytest.mark.parametrize(("typed", "expected"), [
    (" Acme ", "Acme"), (12.0, "12"), (1.5, "1.5"), (7, "7"), (True, "TRUE"),
    (MARCH_1, "2025-03-01"),
])
def test_read_text(typed, expected):
    assert read_text(typed) == expected


def test_parse_amounts_keeps_index_and_marks_unreadable_cells():
    typed = pd.Series(["¥1,200", 3.0, None, "lots", "", "50万"], index=[2, 3, 4, 5, 6, 7],
                      dtype=object)
    values, invalid = parse_amounts(typed)
    assert list(values.index) == [2, 3, 4, 5, 6, 7]
    assert values.tolist()[:2] == [1200.0, 3.0]
    assert np.isnan(values[4]) and np.isnan(values[5]) and np.isnan(values[6])
    assert values[7] == 500000.0
    assert invalid.tolist() == [False, False, False, True, False, False]


def test_parse_dates_mixed_cells():
    typed = pd.Series(["2025-03-01", dt.date(2025, 1, 2), "soon", None, 45717, "1/3/2025"],
                      dtype=object)
    values, invalid = parse_dates(typed, "dmy")
    assert values.dtype == "datetime64[ns]"
    assert values.dt.date.tolist()[:2] == [MARCH_1, dt.date(2025, 1, 2)]
    assert values.isna().tolist() == [False, False, True, True, False, False]
    assert values[5] == pd.Timestamp(MARCH_1)
    assert invalid.tolist() == [False, False, True, False, False, False]


def test_parse_bools_and_texts():
    values, invalid = parse_bools(pd.Series(["yes", "否", None, "maybe"], dtype=object))
    assert values.tolist()[:2] == [True, False]
    assert values.isna().tolist() == [False, False, True, True]
    assert invalid.tolist() == [False, False, False, True]
    assert parse_texts(pd.Series([1.0, " a ", None], dtype=object)).tolist() == ["1", "a", None]


def test_empty_series():
    values, invalid = parse_dates(pd.Series([], dtype=object))
    assert values.empty and invalid.empty and values.dtype == "datetime64[ns]"


@pytest.mark.parametrize("huge", ["9" * 400, "1e400", float("inf"), float("-inf"), 10**400,
                                  "9" * 305 + "亿", "-" + "9" * 309],
                         ids=lambda v: str(v)[:12])
def test_an_amount_beyond_any_number_is_unreadable_not_infinite(huge):
    with pytest.raises(ValueError, match="not a number"):
        read_number(huge)
    values, invalid = parse_amounts(pd.Series([huge, 5], dtype=object))
    assert invalid.tolist() == [True, False] and np.isnan(values[0]) and values[1] == 5


def test_an_infinite_number_cell_is_unreadable_in_a_column_of_numbers():
    values, invalid = parse_amounts(pd.Series([1.5, float("inf"), np.nan]))
    assert invalid.tolist() == [False, True, False]
    assert values.isna().tolist() == [False, True, True]


@pytest.mark.parametrize("typed", ["--5", "+-5", "-+5", "-$-5", "- ¥ -5"])
def test_two_signs_are_not_a_number(typed):
    with pytest.raises(ValueError, match="not a number"):
        read_number(typed)


@pytest.mark.parametrize("cells", [[0, False, True, 1, "TRUE", "FALSE"],
                                   [False, 0, 1, True, "FALSE", "TRUE"],
                                   [np.False_, 0.0, np.True_, 1.0, "false", "true"]])
def test_true_and_false_are_no_numbers_and_never_spoil_a_real_0_or_1(cells):
    values, invalid = parse_amounts(pd.Series(cells, dtype=object))
    numbers = [not isinstance(c, bool | np.bool_ | str) for c in cells]
    assert invalid.tolist() == [not n for n in numbers]
    assert [values[i] for i, n in enumerate(numbers) if n] == [c for c, n in zip(
        cells, numbers, strict=True) if n]
    assert parse_texts(pd.Series([1, True, 0, False], dtype=object)).tolist() == [
        "1", "TRUE", "0", "FALSE"]


@pytest.mark.parametrize("typed", ["1899-12-30", dt.date(1899, 12, 31), 1, 0.5, "2262-04-12",
                                   dt.datetime(9999, 12, 31), "9999-12-31"])
def test_a_date_beyond_what_the_engine_can_count_with_is_unreadable(typed):
    with pytest.raises(ValueError, match="not a date"):
        read_date(typed)
    values, invalid = parse_dates(pd.Series([typed, "2026-01-02"], dtype=object))
    assert invalid.tolist() == [True, False]
    assert values.isna().tolist() == [True, False]  # never a wrapped-around 1816 date


def test_a_long_unreadable_value_is_shortened_in_its_message():
    with pytest.raises(ValueError) as caught:
        read_number("y" * 40_000)
    assert len(str(caught.value)) < 100 and "…" in str(caught.value)
