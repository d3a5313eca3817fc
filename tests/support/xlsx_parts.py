"""An .xlsx file's package parts, read and written back, for tests that make a file look the
way Excel leaves it (cached formula values, shared strings) where openpyxl writes otherwise."""

from __future__ import annotations

import zipfile
from pathlib import Path


def read_parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as source:
        return {name: source.read(name) for name in source.namelist()}


def write_parts(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
