"""A whole sheetfunnel run on a Google Sheet of 1,000 to 100,000 deals, against the project's
Sheets emulator over loopback HTTP.

    python -m benchmarks.bench_gsheets [--rows 1000 10000] [--lang en zh]   # from the repo root

The data is the demo workbook (``init --demo``) with its deals repeated under new IDs
(``tests/support/big_sheet.py``). The emulator runs in a process of its own, so "client CPU"
is sheetfunnel's own cost only; each run is a fresh process, so "peak memory" is its own
(maximum resident set). "first" is the run that fills every owned cell and creates the
worker's tabs, "quiet" the run right after it, where nothing changed. "json.loads" is the
CPU of parsing the answers the run received (kept on disk meanwhile, so that they count in
neither the run's CPU nor its memory), the floor any client pays for its read; "cells"
is the size of the spreadsheet's grid (rows x columns, all tabs) after the run. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import tempfile
import time
from multiprocessing.connection import Connection
from typing import IO, Any

import requests

from sheetfunnel.runner import run_once
from sheetfunnel.workbook.gsheets import ENDPOINT_ENV, GoogleSheetsWorkbook
from sheetfunnel.workbook.retry import BUDGET_ENV, DEADLINE_ENV
from tests.support.big_sheet import AS_OF, big_demo
from tests.support.emulator import BASE_URL, SheetsEmulator

KEY = "bench-spreadsheet-key"


def serve(rows: int, lang: str, conn: Connection) -> None:
    """The emulator process: build the workbook, serve it, answer cell counts until told to
    stop."""
    os.environ[ENDPOINT_ENV] = BASE_URL
    emulator = SheetsEmulator(KEY)
    big_demo(emulator, rows, lang,
             session_book=GoogleSheetsWorkbook.open(KEY, session=emulator.session()))
    with emulator.serve() as url:
        conn.send(url)
        while conn.recv() == "cells":
            conn.send(sum(s.rows * s.cols for s in emulator.sheets))


def client(url: str, conn: Connection) -> None:
    """One run in a process of its own: its CPU, peak memory, requests and bytes."""
    os.environ[ENDPOINT_ENV] = url
    # the emulator is far slower than Google at 100,000 rows: give its answers time
    os.environ.update({DEADLINE_ENV: "900", BUDGET_ENV: "1800"})
    session = requests.Session()
    with tempfile.TemporaryFile() as kept:  # the answers, on disk: in memory they would count
        io, cpu, peak, bodies = _run(session, kept)
    parsing = time.process_time()
    for body in bodies:
        json.loads(body)
    floor = time.process_time() - parsing
    conn.send({**io, "cpu": cpu, "floor": floor, "peak": peak})


def _run(session: requests.Session, kept: IO[bytes]
         ) -> tuple[dict[str, Any], float, float, list[bytes]]:
    """The run's ``io`` (a quiet run is not asked for its whole report), CPU (less the time of
    keeping its answers) and peak memory, then the answers it received."""
    sizes: list[int] = []
    spent = [0.0]

    def keep(answer: requests.Response, *args: Any, **kwargs: Any) -> None:
        began = time.process_time()
        kept.write(answer.content)
        sizes.append(len(answer.content))
        spent[0] += time.process_time() - began

    session.hooks["response"].append(keep)
    started = time.process_time()
    io = run_once(GoogleSheetsWorkbook.open(KEY, session=session), as_of=AS_OF).io
    cpu = time.process_time() - started - spent[0]
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    kept.seek(0)
    return io, cpu, peak, [kept.read(size) for size in sizes]


def measure(rows: int, lang: str) -> list[dict[str, Any]]:
    context = multiprocessing.get_context("fork")
    server_end, here = context.Pipe()
    emulator = context.Process(target=serve, args=(rows, lang, server_end), daemon=True)
    emulator.start()
    url = here.recv()
    results = []
    for run in ("first", "quiet"):
        mine, theirs = context.Pipe()
        worker = context.Process(target=client, args=(url, theirs))
        worker.start()
        theirs.close()  # a client that dies ends the wait (EOFError) instead of hanging it
        try:
            result = mine.recv()
        except EOFError:
            here.send("stop")
            raise SystemExit(f"the {run} run at {rows:,} deals ({lang}) failed: see above") \
                from None
        worker.join()
        here.send("cells")
        results.append({"run": run, **result, "cells": here.recv()})
    here.send("stop")
    emulator.join(timeout=30)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1000, 10_000])
    parser.add_argument("--lang", nargs="+", default=["en", "zh"])
    args = parser.parse_args()
    print("| rows | lang | run | requests | sent | received | client CPU | json.loads | "
          "ratio | peak memory | cells after |")
    print("|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rows in args.rows:
        for lang in args.lang:
            for r in measure(rows, lang):
                requests_ = r["read_requests"] + r["write_requests"]
                print(f"| {rows:,} | {lang} | {r['run']} | {requests_} | "
                      f"{r['bytes_sent'] / 1e6:.2f} MB | {r['bytes_received'] / 1e6:.2f} MB | "
                      f"{r['cpu']:.2f} s | {r['floor']:.2f} s | {r['cpu'] / r['floor']:.1f}× | "
                      f"{r['peak']:.0f} MB | "
                      f"{r['cells']:,} |", flush=True)


if __name__ == "__main__":
    main()
