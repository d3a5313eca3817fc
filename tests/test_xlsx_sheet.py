"""The streaming sheet editor: cells written in place, new rows and cells in order, every
other byte kept — whatever the pieces the part arrives in."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable

import pytest

from sheetfunnel.diff import storable
from sheetfunnel.workbook.xlsx_rows import row_cells, row_number, rows
from sheetfunnel.workbook.xlsx_sheet import (
    CellLooks,
    SheetEdit,
    edit_sheet,
    fresh_sheet,
    scan_sheet,
)
from sheetfunnel.workbook.xlsx_styles import StyleSheet

HEAD = b'<?xml version="1.0"?>\n<worksheet xmlns="main"><dimension ref="A1:B9"/>'
PERSON = b'<c r="A%d" s="0" t="inlineStr"><is><t>kept %d</t></is></c>'


def _sheet(numbers: list[int], row_tag: bytes = b'<row r="%d">') -> bytes:
    body = b"".join(row_tag % n + PERSON % (n, n) + b"</row>" for n in numbers)
    return HEAD + b"<sheetData>" + body + b"</sheetData><pageMargins left=\"0.7\"/></worksheet>"


def _edit(part: bytes, writes: dict[int, dict[int, object]], piece: int) -> bytes:
    scan = scan_sheet(iter([part]))
    edit = SheetEdit(writes, CellLooks(), False, scan.head, scan.tail,  # type: ignore[arg-type]
                     lambda row, col: (False, None))
    out = io.BytesIO()
    chunks = iter([part[i:i + piece] for i in range(0, len(part), piece)])
    edit_sheet(chunks, out, edit, StyleSheet(None), lambda index: "", lambda r, c: False)
    return out.getvalue()


def _rows(part: bytes) -> dict[int, list[tuple[int, bytes]]]:
    found, number = {}, 0
    for row in rows(part):
        number = row_number(row[0], number)
        found[number] = [(cell.col, row[0][cell.start:cell.end]) for cell in row_cells(row[0])]
    return found


@pytest.mark.parametrize("piece", [7, 64, 1 << 20])
@pytest.mark.parametrize("row_tag", [b'<row r="%d">', b'<row spans="1:2" r="%d">'])
def test_rows_are_written_in_place_and_new_rows_go_in_their_gaps(piece: int,
                                                                 row_tag: bytes) -> None:
    part = _sheet([1, 2, 5, 9], row_tag)
    new = _edit(part, {2: {2: "two"}, 3: {2: 3.5}, 9: {1: "mine", 3: True}, 12: {2: 12}}, piece)
    found = _rows(new)
    assert list(found) == [1, 2, 3, 5, 9, 12]
    assert found[1] == [(1, PERSON % (1, 1))] and found[5] == [(1, PERSON % (5, 5))]
    assert found[2] == [(1, PERSON % (2, 2)),
                        (2, b'<c r="B2" t="inlineStr"><is><t>two</t></is></c>')]
    assert found[3] == [(2, b'<c r="B3"><v>3.5</v></c>')]
    assert found[9] == [(1, b'<c r="A9" t="inlineStr"><is><t>mine</t></is></c>'),
                        (3, b'<c r="C9" t="b"><v>1</v></c>')]
    assert new.startswith(HEAD) and new.endswith(b'<pageMargins left="0.7"/></worksheet>')


def test_rows_and_cells_without_their_place_keep_it() -> None:
    part = (HEAD + b"<sheetData><row><c><v>1</v></c><c><v>2</v></c></row><row r=\"4\"><c>"
            b"<v>4</v></c></row><row><c><v>5</v></c></row></sheetData></worksheet>")
    new = _edit(part, {1: {3: "c1"}, 5: {1: "a5"}}, 5)
    found = _rows(new)
    assert [col for col, _ in found[1]] == [1, 2, 3]
    assert found[5] == [(1, b'<c r="A5" t="inlineStr"><is><t>a5</t></is></c>')]
    assert re.findall(rb"<v>(\d)</v>", new) == [b"1", b"2", b"4"]


def test_a_row_keeps_the_cells_it_does_not_write_byte_for_byte() -> None:
    person = b'<c r="A3" s="0"><v>0.30000000000000004</v></c>'
    gap = b'<c r="E3"><f>A3*2</f><v>0.6</v></c>'
    part = (HEAD + b'<sheetData><row r="3" spans="1:5">' + person +
            b'<c r="B3"><v>1</v></c> <c r="D3"><v>4</v></c>' + gap +
            b"</row></sheetData></worksheet>")
    found = _rows(_edit(part, {3: {2: "b", 4: None, 7: 7}}, 1 << 20))[3]
    assert found == [(1, person), (2, b'<c r="B3" t="inlineStr"><is><t>b</t></is></c>'),
                     (5, gap), (7, b'<c r="G3"><v>7</v></c>')]
    between = _rows(_edit(part, {3: {3: "c"}}, 1 << 20))[3]  # no cell C3: goes in its place
    assert [col for col, _ in between] == [1, 2, 3, 4, 5] and between[0] == (1, person)


def test_rows_found_by_their_number_and_rows_read_one_by_one_mix_in_a_piece() -> None:
    part = (HEAD + b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row><row><c><v>2</v></c>'
            b'</row><row r="4"><c r="A4"><v>4</v></c></row><row><c><v>5</v></c></row>'
            b"</sheetData></worksheet>")
    for piece in (9, 1 << 20):
        found = _rows(_edit(part, {1: {2: "b1"}, 2: {2: "b2"}, 3: {1: "a3"}, 5: {2: "b5"}},
                            piece))
        assert list(found) == [1, 2, 3, 4, 5]
        assert [[col for col, _ in found[n]] for n in found] == [[1, 2], [1, 2], [1], [1],
                                                                  [1, 2]]
        assert b"b5" in found[5][1][1] and b"a3" in found[3][0][1]


def _fresh_and_edited(grid: list[list[object]], looks: CellLooks,
                      inside: Callable[[int, int], bool] | None) -> list[tuple[bytes, bytes]]:
    """The part (and style table) ``fresh_sheet`` makes of ``grid``, and ``edit_sheet``'s of
    the same cells over a part without rows."""
    empty = HEAD + b"<sheetData/><pageMargins/></worksheet>"
    scan = scan_sheet(iter([empty]))
    writes = {n: {c: storable(v) for c, v in enumerate(line, 1) if storable(v) is not None}
              for n, line in enumerate(grid, 1)}
    parts = []
    for fresh in (False, True):
        styles, out = StyleSheet(None), io.BytesIO()
        edit = SheetEdit({n: cells for n, cells in writes.items() if cells}, looks, False,
                         scan.head, scan.tail, lambda row, col: (False, None))
        if fresh:
            fresh_sheet(out, scan.open_tag, grid, edit, styles, inside)
        else:
            edit_sheet(iter([empty]), out, edit, styles, lambda index: "",
                       inside or (lambda row, col: False))
        parts.append((out.getvalue(), styles.to_bytes()))
    return parts


def test_a_long_part_written_afresh_a_column_at_a_time_is_the_edited_one() -> None:
    """Thousands of rows (blocks of rows made a column at a time), looks that change in the
    middle of them, and values of every kind turning up late: the same bytes and the same
    style table as the row-by-row edit."""
    grid: list[list[object]] = [["Name", "Amount", "When", "Mixed"]]
    for n in range(2, 9000):
        grid.append([f"deal {n % 97}" if n % 11 and not 4201 <= n < 4210 else " ",
                     float(n) / 8 if n % 13 else None,
                     dt.date(2026, 1, 1 + n % 28) if n % 17 else None,
                     [None, "x & y", 7, -2.5, dt.date(2026, 2, 3), True,
                      dt.datetime(2026, 1, 2, 3, 4), 2 ** 60, float("inf")][n // 1000]])
    grid[4200][1:3] = [None, None]  # the band from row 4201 finds Name after the others
    grid[5000] = grid[5000][:2]  # a short row
    grid[6001] = []  # and an empty one
    looks = CellLooks()
    looks.add(1, 1, 1, 4, "bold")
    looks.add(2, 4500, 2, 2, "0.0")
    looks.add(4201, None, 1, 1, "0.000")
    looks.add(4201, None, 2, 4, "0.00")
    looks.add(7000, 7100, 3, 4, "bold")
    parts = _fresh_and_edited(grid, looks, None)
    assert parts[0] == parts[1]
    assert b'<c r="D7999"' in parts[1][0] and b'<row r="6002"' not in parts[1][0]


@pytest.mark.parametrize("merged", [False, True])
def test_a_part_written_afresh_is_the_part_its_grid_edited_into_no_rows_makes(
        merged: bool) -> None:
    grid = [["Head", "Amount", "When"],
            ["a\r\nb", 1.5, dt.date(2026, 1, 2)],
            [None, " ", float("nan")],
            [True, 2 ** 60, dt.datetime(2026, 1, 2, 3, 4)],
            ["x\x01y", -3, "same"], ["same", 0.1 + 0.2]]
    looks = CellLooks()
    looks.add(1, 1, 1, 3, "bold")
    looks.add(2, None, 2, 2, "0.0")
    inside = (lambda row, col: (row, col) == (4, 2)) if merged else None
    parts = _fresh_and_edited(grid, looks, inside)
    assert parts[0] == parts[1]
    assert b'r="B4"' not in parts[1][0] if merged else b'r="B4"' in parts[1][0]
