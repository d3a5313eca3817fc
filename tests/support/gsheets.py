"""An emulated Google Sheet opened as sheetfunnel opens one, with a clock that moves only when
something sleeps."""

from __future__ import annotations

from sheetfunnel.workbook.gsheets import GoogleSheetsWorkbook
from tests.support.emulator import SheetsEmulator

KEY = "emulated-key"


class FakeTime:
    """A clock that moves only when something sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def open_book(emulator: SheetsEmulator, fake_time: FakeTime | None = None,
              **options: object) -> GoogleSheetsWorkbook:
    fake_time = fake_time or FakeTime()
    return GoogleSheetsWorkbook.open(KEY, session=emulator.session(), sleep=fake_time.sleep,
                                     clock=fake_time.clock, **options)


def pipeline(rows: int) -> list[list[object]]:
    grid: list[list[object]] = [["ID", "Title", "Stage", "Amount", "Score", "Flags"]]
    grid += [[f"OPP-{n:05d}", f"Deal {n}", "Lead", n * 10] for n in range(1, rows + 1)]
    return grid
