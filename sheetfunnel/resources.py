"""Where the shipped config/ and templates/ live: inside the wheel, or beside a source checkout."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """A file of ``config/`` or ``templates/`` (e.g. ``data_path("config", "default.toml")``)."""
    shipped = _PACKAGE / "_data" / Path(*parts)
    if shipped.exists():
        return shipped
    return _PACKAGE.parent / Path(*parts)
