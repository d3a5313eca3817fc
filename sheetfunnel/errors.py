"""Every failure a user can cause or meet, as one tree.

    SheetfunnelError                 base; ``exit_code`` is what the CLI returns
    ├── UsageError                   bad input to the CLI or the library           (2)
    │   ├── CredentialsMissing       a Google Sheet and no credentials             (2)
    │   └── DateOutOfRange           an as-of day outside the dates read           (2)
    ├── ConfigError                  the Config tabs or TOML are broken; .problems (2)
    ├── FatalConfigError             a mapping would write into a tab the worker   (2)
    │                                does not own: nothing at all is written
    ├── MissingColumnError           a required column is not in its tab          (2)
    └── WorkbookError                the workbook cannot be read or written        (2)
        ├── WorkbookNotFound         no such file / spreadsheet                    (2)
        ├── WorkbookUnreadable       not an xlsx, corrupt                          (2)
        ├── WorkbookLocked           another program or worker holds it            (3)
        ├── WorkbookNotWritable      permissions                                   (3)
        └── WorkbookUnreachable      network / API still failing after retries     (3)
    NotificationsFailed              the sheet work is done, some notifications     (4)
                                     were not delivered (a warning for watchers)

Messages are whole sentences a spreadsheet user understands: they name the tab and cell
(``Scoring!C4``) or the file, and say how to fix it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the config or the data, located by cell.

    ``where`` is an A1 reference with its tab (``Scoring!C4``), a tab (``Stages``) or a
    TOML path (``settings.toml:scoring[2].weight``).
    """

    where: str
    message: str
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"

    def as_json(self) -> dict[str, str]:
        return {"severity": self.severity, "where": self.where, "message": self.message}


class SheetfunnelError(Exception):
    """Base of every error sheetfunnel raises on purpose."""

    exit_code = 2


class UsageError(SheetfunnelError):
    """The command line asks for something that cannot be done."""


class CredentialsMissing(UsageError):
    """A Google Sheet was asked for without credentials; ``env`` is the variable that can
    name them (the CLI adds its --credentials option to the sentence)."""

    def __init__(self, env: str):
        self.env = env
        super().__init__("Google Sheets needs credentials: pass a credentials file (a "
                         f"service-account or authorized-user JSON file) or set {env} to its "
                         "path.")


class DateOutOfRange(UsageError):
    """The day to judge as today lies outside the dates sheetfunnel reads."""

    def __init__(self, day: dt.date, first: dt.date, last: dt.date):
        self.day, self.first, self.last = day, first, last
        super().__init__(f"as_of {day.isoformat()} is outside the dates sheetfunnel reads "
                         f"({first.isoformat()} to {last.isoformat()}). Give a day in that "
                         "range.")


class ConfigError(SheetfunnelError):
    """The Config tabs (or a --config TOML file) hold one or more problems."""

    def __init__(self, problems: Iterable[Problem], *, listed: bool = False):
        """``listed``: the problems were printed already, so the message only counts them."""
        self.problems = tuple(problems)
        if listed:
            count = len(self.problems)
            super().__init__(f"The configuration has {count} error{'s' * (count != 1)} "
                             f"(listed above). Fix {'them' if count != 1 else 'it'}, then run "
                             "`sheetfunnel check`.")
            return
        lines = "\n".join(f"  {p}" for p in self.problems)
        super().__init__(f"The configuration has {len(self.problems)} problem(s):\n{lines}")


class FatalConfigError(SheetfunnelError):
    """A Settings row or a tab name would make the worker write into a tab it does not own.

    Unlike a ConfigError, no last good config helps: the run stops before it writes a cell,
    the Summary included. ``where`` is the Settings cell that caused it, when one did.
    """

    def __init__(self, message: str, where: str | None = None):
        self.where = where
        super().__init__(message)


class MissingColumnError(SheetfunnelError):
    """A column the worker cannot do without is not in its tab."""


class WorkbookError(SheetfunnelError):
    """The workbook cannot be read or written."""


class WorkbookNotFound(WorkbookError):
    """No workbook at that path or key."""


class WorkbookUnreadable(WorkbookError):
    """The file is there but is not a workbook sheetfunnel can read."""


class WorkbookLocked(WorkbookError):
    """Another program or another sheetfunnel worker holds the workbook."""

    exit_code = 3


class WorkbookNotWritable(WorkbookError):
    """The workbook can be read but not written."""

    exit_code = 3


class WorkbookUnreachable(WorkbookError):
    """The workbook's service kept failing after every retry."""

    exit_code = 3


class NotificationsFailed(SheetfunnelError):
    """The sheet work is done but some notifications could not be delivered (spec §4)."""

    exit_code = 4

    def __init__(self, failures: Iterable[str]) -> None:
        self.failures = tuple(failures)
        super().__init__("Some notifications were not delivered (they are retried on the next "
                         "run): " + "; ".join(self.failures))
