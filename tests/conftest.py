"""Fixtures shared by every test file: a fixed "today" and the public datasets."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support.gsheets import FakeTime

if TYPE_CHECKING:
    from tests.support.robots import Robots

#: ../shared/datasets beside the clone (CI has it); a user's fresh clone may not.
DATASETS = Path(__file__).resolve().parents[2] / "shared" / "datasets"

AS_OF = dt.date(2026, 11, 24)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/goldens/*.txt from this run (commit them on their own)")


@pytest.fixture
def update_goldens(request: pytest.FixtureRequest) -> bool:
    return bool(request.config.getoption("--update-goldens"))


@pytest.fixture
def as_of() -> dt.date:
    return AS_OF


@pytest.fixture
def datasets() -> Path:
    """The public datasets folder; tests that need it skip with the reason when it is absent."""
    if not DATASETS.is_dir():
        pytest.skip(f"public datasets not found at {DATASETS} "
                    "(they sit in ../shared beside the clone)")
    return DATASETS


@pytest.fixture
def robots() -> Iterator[Robots]:
    """The fake chat robots (tests/support/robots.py) on a free loopback port."""
    from tests.support import robots as fakes

    state = fakes.Robots()
    server = fakes.start(state)
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A real redis-server on a free port for the module's tests (they skip, saying why,
    where it is not installed)."""
    from tests.support.redis_server import redis_server

    with redis_server() as url:
        yield url


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch):
    """An emulated Google Sheet (key ``emulated-key``) that every Sheets request goes to."""
    from sheetfunnel.workbook.gsheets import ENDPOINT_ENV
    from tests.support.emulator import BASE_URL, SheetsEmulator

    monkeypatch.setenv(ENDPOINT_ENV, BASE_URL)
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    return SheetsEmulator("emulated-key")


@pytest.fixture(autouse=True)
def reports_are_strict_json(monkeypatch: pytest.MonkeyPatch):
    """Every report a run builds in any test is strict JSON (no NaN, no Infinity), as
    ``--report`` writes it; checked after the test, so the run under test is not disturbed
    (a run's per-deal list, made only when its report is read, is checked then)."""
    from sheetfunnel import report
    from sheetfunnel import runner as run

    broken: list[str] = []

    def strict(build):
        def checked(*args, **kwargs):
            built = build(*args, **kwargs)
            try:
                json.loads(report.report_json(built))
            except ValueError as exc:
                broken.append(f"{build.__name__}: {exc}")
            return built
        return checked

    monkeypatch.setattr(run, "report_brief", strict(report.report_brief))
    monkeypatch.setattr(run, "with_opportunities", strict(report.with_opportunities))
    monkeypatch.setattr(run, "problems_only_report", strict(report.problems_only_report))
    yield
    assert broken == []
