"""A rerun on unchanged data must plan no writes, whatever type the backend hands back."""

import datetime as dt

from sheetfunnel.diff import diff_cells, diff_whole_tab, same_value
from sheetfunnel.plan import CellWrite


def test_values_equal_as_a_person_sees_them():
    assert same_value(dt.datetime(2026, 11, 24), dt.date(2026, 11, 24))
    assert same_value(46350, dt.date(2026, 11, 24))  # a Google serial date
    assert same_value(3, 3.0)
    assert same_value("", None)
    assert not same_value("3", 3)
    assert not same_value(True, 1)
    assert not same_value(dt.datetime(2026, 11, 24, 9, 30), dt.date(2026, 11, 24))


def test_only_changed_cells_are_written():
    current = [["ID", "Score"], ["OPP-1", 80.0], ["OPP-2", 55.5]]
    desired = {(2, 2): 80.0, (3, 2): 60.0, (4, 2): None}
    assert diff_cells("Opportunities", current, desired) == [
        CellWrite("Opportunities", 3, 2, 60.0)
    ]


def test_whole_tab_rewrite_clears_leftover_rows_of_a_longer_earlier_version():
    current = [["Stage", "Reached"], ["Lead", 10], ["Won", 3], ["old", 1]]
    desired = [["Stage", "Reached"], ["Lead", 12], ["Won", 3]]
    assert diff_whole_tab("Summary", current, desired) == [
        CellWrite("Summary", 2, 2, 12),
        CellWrite("Summary", 4, 1, None),
        CellWrite("Summary", 4, 2, None),
    ]
