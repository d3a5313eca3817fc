"""A workbook's tab printed the way a person prints it: LibreOffice (headless) turns an .xlsx
file with only that tab visible into a PDF; pdfinfo counts its pages, pdftotext reads what the
cells show (``###`` where a number does not fit), pdftoppm renders pages to PNG.

Also a command for docs/screenshot.sh: ``python -m tests.support.printing [--fit [--hide
COLUMNS] | --page] BOOK FOLDER TAB...`` prints each TAB to FOLDER/TAB.pdf (``--fit``: landscape,
one page wide; ``--hide 2,7-19``: without those columns; ``--page``: portrait, the whole tab on
one page).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from sheetfunnel.plan import PrintSetup
from sheetfunnel.workbook.xlsx_looks import print_setup
from tests.support.xlsx_parts import read_parts, write_parts

TOOLS = ("soffice", "pdftotext", "pdfinfo")


def need_tools() -> None:
    """Skip the test when LibreOffice or poppler-utils are not installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (LibreOffice, poppler-utils)")


def only_tab(book: Path, tab: str, out: Path, *, fit: bool = False,
             hide: frozenset[int] = frozenset(), page: bool = False) -> None:
    """A copy of ``book`` where every tab but ``tab`` is hidden and ``tab`` is the open one
    (workbook.xml edited as bytes, so the worker's chart and print setup stay). ``fit``: the
    copy prints landscape, one page wide; ``hide``: columns (with a ``<col>`` entry each) left
    out of the copy (to show the columns of a wide people's tab that matter); ``page``: the
    copy prints portrait, the whole tab on one page (a long tab in one picture)."""
    parts = read_parts(book)
    if fit or hide or page:
        part = _sheet_part(parts, tab)
        data = parts[part]
        cut, end = data.find(b"<sheetData"), data.rfind(b"</sheetData>")
        head, tail = data[:cut], data[end:]
        if fit or page:
            head, tail = print_setup(head, tail, PrintSetup(tab, landscape=not page), "")
        if page:
            tail = tail.replace(b'fitToHeight="0"', b'fitToHeight="1"')
        for col in hide:
            head = head.replace(f'<col min="{col}" max="{col}" '.encode(),
                                f'<col min="{col}" max="{col}" hidden="1" '.encode())
        parts[part] = head + data[cut:end] + tail
    workbook = parts["xl/workbook.xml"].decode()
    titles = re.findall(r'<sheet [^>]*name="([^"]*)"', workbook)
    index = titles.index(tab)

    def visible(match: re.Match[str]) -> str:
        tag = re.sub(r'\sstate="[^"]*"', "", match[0])
        return tag if f'name="{tab}"' in tag else tag.replace("<sheet ", '<sheet state="hidden" ')
    workbook = re.sub(r"<sheet [^>]*/>", visible, workbook)
    workbook = re.sub(r'\sactiveTab="\d+"', "", workbook)
    workbook = re.sub(r"<workbookView\b", f'<workbookView activeTab="{index}"', workbook)
    parts["xl/workbook.xml"] = workbook.encode()
    write_parts(out, parts)


def _sheet_part(parts: dict[str, bytes], tab: str) -> str:
    workbook = parts["xl/workbook.xml"].decode()
    rid = re.search(rf'<sheet [^>]*name="{re.escape(tab)}"[^>]*\bid="([^"]+)"', workbook)[1]  # type: ignore[index]
    rels = parts["xl/_rels/workbook.xml.rels"].decode()
    target = re.search(rf'<Relationship [^>]*Id="{rid}"[^>]*Target="([^"]+)"', rels)[1]  # type: ignore[index]
    return target.lstrip("/") if target.startswith("/xl/") else f"xl/{target}"


def print_tabs(book: Path, tabs: list[str], folder: Path, *, fit: bool = False,
               hide: frozenset[int] = frozenset(), page: bool = False) -> dict[str, Path]:
    """Each of ``tabs`` of ``book`` printed to a PDF in ``folder`` by one LibreOffice run
    (starting it takes seconds)."""
    copies = {tab: folder / f"print-{n}.xlsx" for n, tab in enumerate(tabs)}
    for tab, copy in copies.items():
        only_tab(book, tab, copy, fit=fit, hide=hide, page=page)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(["soffice", f"-env:UserInstallation={Path(profile).as_uri()}",
                        "--headless", "--convert-to", "pdf", "--outdir", str(folder),
                        *map(str, copies.values())],
                       check=True, capture_output=True, timeout=300)
    return {tab: copy.with_suffix(".pdf") for tab, copy in copies.items()}


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])  # type: ignore[index]


def shown_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


def _columns(text: str) -> frozenset[int]:
    """``2,7-19`` -> {2, 7, ..., 19}."""
    found: set[int] = set()
    for part in filter(None, text.split(",")):
        low, _, high = part.partition("-")
        found.update(range(int(low), int(high or low) + 1))
    return frozenset(found)


if __name__ == "__main__":  # [--fit [--hide 2,7-19] | --page] BOOK OUT_FOLDER TAB...
    arguments = sys.argv[1:]
    fit, page = arguments[:1] == ["--fit"], arguments[:1] == ["--page"]
    arguments = arguments[fit or page:]
    hide = _columns(arguments[1]) if arguments[:1] == ["--hide"] else frozenset()
    book, out, *titles = arguments[2 if hide else 0:]
    for title, made in print_tabs(Path(book), titles, Path(out), fit=fit, hide=hide,
                                  page=page).items():
        made.rename(Path(out) / f"{title}.pdf")
