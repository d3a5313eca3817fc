"""Grids and tables: A1 references, header names, tabs read into tables, Google's trimming."""

from __future__ import annotations

import pytest

from sheetfunnel.grid import a1, cell_at, column_letter, normalise_name, table_from_grid, trim


def test_a1_references_quote_tab_names_as_spreadsheets_do():
    assert [column_letter(c) for c in (1, 26, 27, 702, 703)] == ["A", "Z", "AA", "ZZ", "AAA"]
    assert a1("Scoring", 4, 3) == "Scoring!C4"
    assert a1("Deals 2026", 2, 28) == "'Deals 2026'!AB2"
    assert a1("O'Brien", 1, 1) == "'O''Brien'!A1"
    assert a1("商机", 1, 1) == "'商机'!A1"
    with pytest.raises(ValueError, match="start at 1"):
        column_letter(0)


def test_header_names_match_across_case_spaces_underscores_and_full_width():
    assert normalise_name("Win %") == normalise_name("win%") == normalise_name("WIN_%")
    assert normalise_name("ＩＤ") == normalise_name("id")
    assert normalise_name("Next　Step-Due") == normalise_name("next step due")


def test_a_tab_becomes_a_table_that_remembers_sheet_rows_and_columns():
    grid = [[], [None, "  "], ["ID", None, " Stage ", "ID", "Amount"],
            ["OPP-1", "x", "Lead"], [None, "", "  "], ["OPP-2", None, "Won", "dup", 5]]
    table = table_from_grid("Opportunities", grid)
    assert table.header_row == 3
    assert table.columns == {"ID": 1, "Stage": 3, "Amount": 5}
    assert table.duplicates == ("ID",)
    assert table.width == 5
    assert list(table.frame.index) == [4, 6]  # the blank row 5 is dropped
    assert table.frame.loc[4].tolist() == ["OPP-1", "Lead", None]
    assert table.frame.loc[6].tolist() == ["OPP-2", "Won", 5]


def test_a_table_keeps_values_as_read_short_rows_filled_and_cells_past_the_header_left_out():
    grid = [["ID", "Amount", "Won"], ["OPP-1"], ["OPP-2", 1.5, True, "note"], [None, None],
            ["OPP-3", 0, False]]
    table = table_from_grid("Opportunities", grid)
    assert list(table.frame.index) == [2, 3, 5] and table.width == 4
    assert table.frame.values.tolist() == [["OPP-1", None, None], ["OPP-2", 1.5, True],
                                           ["OPP-3", 0, False]]
    assert {str(dtype) for dtype in table.frame.dtypes} == {"object"}
    assert type(table.frame.loc[5, "Won"]) is bool and type(table.frame.loc[5, "Amount"]) is int
    no_rows = table_from_grid("Opportunities", [["ID", "Amount"], [None]])
    assert list(no_rows.frame.columns) == ["ID", "Amount"] and no_rows.frame.empty


def test_an_empty_tab_is_an_empty_table():
    table = table_from_grid("Customers", [[None], [" "]])
    assert table.columns == {} and table.frame.empty


def test_trim_drops_trailing_blanks_as_google_does_and_cell_at_reads_outside_as_none():
    grid = [["a", None, " "], [None], ["b", "", 3, None], [], [" ", None]]
    assert trim(grid) == [["a"], [], ["b", "", 3]]
    assert cell_at(grid, 3, 3) == 3
    assert cell_at(grid, 2, 5) is None and cell_at(grid, 9, 1) is None
