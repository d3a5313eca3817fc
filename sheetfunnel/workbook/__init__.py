"""Backends: a local .xlsx file (the default) and Google Sheets."""
