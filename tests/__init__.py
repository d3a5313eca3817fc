"""sheetfunnel's test suite, a package so that its modules import shared helpers from
``tests.support`` by name (run ``pytest`` or ``python -m pytest`` from the repository root)."""
