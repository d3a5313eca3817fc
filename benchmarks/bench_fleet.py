"""Fleet throughput: runs per minute against workers and accounts, on the Sheets emulator.

``python -m benchmarks.bench_fleet [WORKBOOKS]`` starts redis-server and the emulator, then for
each (workers, accounts) runs WORKBOOKS workbooks once through ``sheetfunnel fleet worker``
processes with the gate scaled down (30 requests per 2 s per account, as in the fleet test)
and prints runs per minute. With the quota scaled like this, adding workers does not raise
throughput while adding accounts does: the quota is the limit, not the workers.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from sheetfunnel.fleet.gate import Limits
from sheetfunnel.fleet.tasks import FleetSettings, make_fleet, run_scheduler
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV
from tests.support.emulator.auth import service_account_file
from tests.support.gsheets import pipeline
from tests.support.redis_server import redis_server
from tests.support.sheets_fleet import SheetsFleet

ROOT = Path(__file__).resolve().parents[1]
LIMIT, WINDOW = 30, 2.0


def measure(workbooks: int, workers: int, accounts: int) -> float:
    """Runs per minute of ``workbooks`` first runs spread over ``accounts`` accounts."""
    keys = [f"benchkey{n:022d}" for n in range(workbooks)]
    sheets = SheetsFleet(keys)
    for book in sheets.books.values():
        book.add_sheet("Opportunities", pipeline(10))
    with tempfile.TemporaryDirectory() as folder, redis_server() as url, \
            sheets.serve() as base:
        home = Path(folder)
        text = ""
        for a in range(accounts):
            account = home / f"a{a}"
            account.mkdir()
            service_account_file(account, sheets.first, email=f"robot{a}@bench.iam.test")
            text += (f'[[account]]\nname = "a{a}"\nfile = "a{a}/service-account.json"\n'
                     f'project = "p{a}"\n\n')
        text += "".join(f'[[workbook]]\nname = "w{n}"\nsheet = "{key}"\n'
                        f'account = "a{n % accounts}"\nevery = "1h"\n\n'
                        for n, key in enumerate(keys))
        registry = home / "fleet.toml"
        registry.write_text(text, encoding="utf-8")
        os.environ[ENDPOINT_ENV] = base
        fleet = make_fleet(FleetSettings(registry, url, Limits(LIMIT, 300, WINDOW)))
        env = os.environ | {"PYTHONPATH": str(ROOT)}
        processes = [subprocess.Popen(
            [sys.executable, "-m", "sheetfunnel", "fleet", "worker", "--registry", str(registry),
             "--redis", url, "--window", str(WINDOW), "--account-limit", str(LIMIT),
             "--lease-settle", "0.2"], env=env, stderr=subprocess.DEVNULL)
            for _ in range(workers)]
        time.sleep(3)  # the workers' start-up is not the fleet's throughput
        stop = threading.Event()
        started = time.monotonic()
        threading.Thread(target=run_scheduler, args=(fleet, stop), kwargs={"tick": 0.2},
                         daemon=True).start()
        while sum(fleet.state(f"w{n}").get("outcome") == "ok" for n in range(workbooks)) \
                < workbooks and time.monotonic() - started < 300:
            time.sleep(0.2)
        seconds = time.monotonic() - started
        stop.set()
        for process in processes:
            process.terminate()
            process.wait(10)
    return workbooks / seconds * 60


def main() -> None:
    workbooks = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    print(f"{workbooks} workbooks, first runs (lease + run), gate {LIMIT} per {WINDOW:g} s "
          "per account")
    print("workers  accounts  runs/min")
    for workers, accounts in ((1, 1), (3, 1), (3, 2)):
        print(f"{workers:>7}  {accounts:>8}  {measure(workbooks, workers, accounts):>8.0f}",
              flush=True)


if __name__ == "__main__":
    main()
