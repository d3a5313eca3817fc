"""The demo workbook scaled up to any number of deals, in an emulated Google Sheet: the tabs
``init --demo`` makes, with the Opportunities rows repeated under new IDs (for tests and
``benchmarks/bench_gsheets.py``)."""

from __future__ import annotations

import datetime as dt

from sheetfunnel.init_plan import init_plan
from sheetfunnel.workbook.gsheets import GoogleSheetsWorkbook
from tests.support.emulator import SheetsEmulator

AS_OF = dt.date(2026, 11, 24)


def big_demo(emulator: SheetsEmulator, rows: int, lang: str, *, session_book: GoogleSheetsWorkbook
             ) -> str:
    """Fill ``emulator`` with the demo in ``lang`` grown to ``rows`` deals; the title of its
    Opportunities tab. ``session_book`` is a workbook open on the emulator."""
    emulator.add_sheet("Sheet1")
    session_book.apply(init_plan(lang, demo=True, as_of=AS_OF, existing=session_book.read()))
    deals = emulator.sheets[1]
    grid = emulator.grid(deals.title)
    header, body = grid[0], grid[1:]
    grown = [header] + [[f"OPP-{n + 1:06d}", *body[n % len(body)][1:]] for n in range(rows)]
    title = deals.title
    emulator.sheets.remove(deals)
    emulator.add_sheet(title, grown, rows=rows + 1, cols=len(header))
    emulator.sheets.insert(1, emulator.sheets.pop())
    return title
