"""sheetfunnel: a CRM's judgement for the sales pipeline you keep in a spreadsheet.

    import sheetfunnel as sf
    workbook = sf.open_workbook("pipeline.xlsx")   # or a Google Sheet's address
    result = sf.run(workbook, as_of=datetime.date(2026, 11, 24))
    print(result.counts, result.flags, result.cells_written)
"""

from sheetfunnel.api import CheckResult, RunResult, check, init, open_workbook, run
from sheetfunnel.config import Config
from sheetfunnel.errors import (
    ConfigError,
    CredentialsMissing,
    DateOutOfRange,
    FatalConfigError,
    MissingColumnError,
    Problem,
    SheetfunnelError,
    UsageError,
    WorkbookError,
    WorkbookLocked,
    WorkbookNotFound,
    WorkbookNotWritable,
    WorkbookUnreachable,
    WorkbookUnreadable,
)
from sheetfunnel.workbook.base import Workbook

__all__ = [
    "CheckResult",
    "Config",
    "ConfigError",
    "CredentialsMissing",
    "DateOutOfRange",
    "FatalConfigError",
    "MissingColumnError",
    "Problem",
    "RunResult",
    "SheetfunnelError",
    "UsageError",
    "Workbook",
    "WorkbookError",
    "WorkbookLocked",
    "WorkbookNotFound",
    "WorkbookNotWritable",
    "WorkbookUnreachable",
    "WorkbookUnreadable",
    "check",
    "init",
    "open_workbook",
    "run",
]

