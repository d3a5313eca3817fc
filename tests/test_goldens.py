"""Goldens: every cell the worker leaves in a workbook, and its reports, kept as text.

A change that moves any cell or report number fails here, on both backends, until the goldens
are regenerated — in a commit of its own, so that every intended change of output shows up in
review as a diff of ``tests/goldens/*.txt``::

    pytest tests/test_goldens.py --update-goldens

The demo (English and Chinese) keeps every tab whole; the Maven CRM sheet (8,800 deals) keeps
the cells that differ from the sheet as typed, so the file stays small.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path

import pytest

from sheetfunnel.grid import Cell, Grid, is_blank
from sheetfunnel.values import serial_number
from tests.support.maven_crm import maven_tabs
from tests.support.parity import AS_OF, Pair, assert_same_cells

GOLDENS = Path(__file__).resolve().parent / "goldens"


def canonical(value: Cell) -> str:
    """One text for what a person sees, whichever backend read it (a date is its serial)."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.date):
        value = serial_number(value)
    if isinstance(value, int | float):
        number = round(float(value), 9)
        return str(int(number)) if number.is_integer() else repr(number)
    return json.dumps(str(value), ensure_ascii=False)


def tab_lines(title: str, grid: Grid, typed: Grid | None = None) -> list[str]:
    """``R<row>`` and the row's cells; with ``typed``, only the cells that differ from it."""
    lines = [f"## tab {title}"]
    for r, row in enumerate(grid, start=1):
        before = typed[r - 1] if typed is not None and r <= len(typed) else []
        cells = []
        for c, value in enumerate(row, start=1):
            was = before[c - 1] if c <= len(before) else None
            if typed is not None and canonical(was) == canonical(value):
                continue
            if not is_blank(value):
                cells.append(f"C{c}={canonical(value)}" if typed is not None else canonical(value))
            elif typed is None:
                cells.append("")
        while cells and cells[-1] == "":
            cells.pop()
        if cells:
            lines.append(f"R{r}\t" + "\t".join(cells))
    return lines


def report_lines(label: str, report: dict) -> list[str]:
    """The report without ``io`` (request counts differ by backend); one opportunity a line."""
    body = {k: v for k, v in report.items() if k not in ("io", "opportunities")}
    lines = [f"## report {label}", json.dumps(body, ensure_ascii=False, sort_keys=True)]
    lines += [json.dumps(o, ensure_ascii=False, sort_keys=True)
              for o in report.get("opportunities", [])]
    return lines


def check_golden(name: str, lines: list[str], update: bool) -> None:
    path = GOLDENS / f"{name}.txt"
    text = "\n".join(lines) + "\n"
    if update:
        GOLDENS.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    if not path.exists():
        pytest.fail(f"{path.name} is missing: run pytest {__file__} --update-goldens")
    expected = path.read_text(encoding="utf-8").splitlines()
    got = text.splitlines()
    changed = [f"line {i + 1}:\n  golden {a}\n  now    {b}"
               for i, (a, b) in enumerate(zip(expected, got, strict=False)) if a != b]
    assert not changed and len(expected) == len(got), (
        f"{path.name} differs ({len(changed)} lines; {len(expected)} vs {len(got)} lines). "
        "If the change is intended, regenerate with --update-goldens in a commit of its own.\n"
        + "\n".join(changed[:10]))


def both_backends(pair: Pair, as_of: dt.date, lines: list[str], label: str) -> None:
    """Run on both; the reports (io aside) and then every cell agree."""
    xlsx, sheets = pair.run(as_of)
    strip = lambda report: {k: v for k, v in report.items() if k != "io"}  # noqa: E731
    assert strip(xlsx) == strip(sheets)
    assert_same_cells(pair)
    lines += report_lines(label, xlsx)


def whole(pair: Pair, typed: dict[str, Grid] | None = None) -> list[str]:
    xlsx, _ = pair.snapshots()
    lines: list[str] = []
    for title, grid in xlsx.tabs.items():
        lines += tab_lines(title, grid, None if typed is None else typed.get(title, []))
    return lines


Scenario = Callable[[Path, object], list[str]]


def demo(lang: str) -> Scenario:
    def scenario(tmp_path: Path, emulator) -> list[str]:
        pair = Pair.from_init(tmp_path / "demo.xlsx", emulator, lang=lang, demo=True)
        lines: list[str] = []
        both_backends(pair, AS_OF, lines, "first run")
        opportunities = next(iter(pair.snapshots()[0].tabs))
        pair.type(opportunities, 5, 4, "Closed Won" if lang == "en" else "赢单")
        pair.type(opportunities, 9, 1, None)
        pair.type(opportunities, 2, 2, '=IMPORTXML("http://x","//a")')
        both_backends(pair, AS_OF + dt.timedelta(days=9), lines, "after edits, nine days on")
        return lines + whole(pair)
    return scenario


def broken(tmp_path: Path, emulator) -> list[str]:
    pair = Pair.from_init(tmp_path / "broken.xlsx", emulator, lang="en", demo=True)
    pair.type("Scoring", 2, 3, "abc")
    lines: list[str] = []
    both_backends(pair, AS_OF, lines, "broken config")
    return lines + whole(pair)


@pytest.mark.parametrize("name, scenario", [
    ("demo-en", demo("en")), ("demo-zh", demo("zh")), ("broken-config", broken)])
def test_golden_workbooks(name, scenario, tmp_path, emulator, update_goldens):
    check_golden(name, scenario(tmp_path, emulator), update_goldens)


def test_golden_maven_crm(tmp_path, emulator, datasets, update_goldens):
    typed = maven_tabs(datasets, typed_amounts=True)
    pair = Pair.from_grids(tmp_path / "maven.xlsx", emulator, typed)
    lines: list[str] = []
    both_backends(pair, dt.date(2018, 1, 1), lines, "first run")
    check_golden("maven-crm", lines[:2] + whole(pair, typed), update_goldens)
