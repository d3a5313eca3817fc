"""Helpers the test modules (and benchmarks/) share: the Sheets API emulator, workbooks kept on
both backends, small tables for the engine, the Maven CRM sheet and .xlsx package parts."""
