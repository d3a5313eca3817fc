"""A workbook's tab printed the way a person prints it: LibreOffice (headless) turns an .xlsx
file with only that tab visible into a PDF; pdfinfo counts its pages, pdftotext reads what the
cells show (``###`` where a number does not fit), pdftoppm renders pages to PNG.

Also a command for docs/screenshot.sh: ``python -m tests.support.printing BOOK TAB OUT.pdf``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.support.xlsx_parts import read_parts, write_parts

TOOLS = ("soffice", "pdftotext", "pdfinfo")


def need_tools() -> None:
    """Skip the test when LibreOffice or poppler-utils are not installed."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (LibreOffice, poppler-utils)")


def only_tab(book: Path, tab: str, out: Path) -> None:
    """A copy of ``book`` where every tab but ``tab`` is hidden and ``tab`` is the open one
    (workbook.xml edited as bytes, so the worker's chart and print setup stay)."""
    parts = read_parts(book)
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


def print_tab(book: Path, tab: str, pdf: Path) -> Path:
    """``tab`` of ``book`` printed to ``pdf`` by LibreOffice."""
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        single = work / "print.xlsx"
        only_tab(book, tab, single)
        subprocess.run(["soffice", f"-env:UserInstallation=file://{work}/profile", "--headless",
                        "--convert-to", "pdf", "--outdir", str(work), str(single)],
                       check=True, capture_output=True, timeout=180)
        shutil.copyfile(work / "print.pdf", pdf)
    return pdf


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True, text=True)
    return int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M)[1])  # type: ignore[index]


def shown_text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True).stdout


if __name__ == "__main__":
    print_tab(Path(sys.argv[1]), sys.argv[2], Path(sys.argv[3]))
