"""The .xlsx path against what the file format allows: sheetfunnel runs beside a native read.

    python benchmarks/bench_xlsx.py [--deals 1000 10000 50000 100000] [--repeat 3]

For each size it generates a workbook (the starter's tabs; the demo's deals, customers and
activities repeated with new IDs: 3 activities per deal, customers 1/5 of deals) as a
person's tool would save it (openpyxl, write-only), then times, each in its own process so
peak memory is the process's own:

- ``native read``: python-calamine reading every tab the run reads, of the workbook as it is
  before that run (the baseline the goals are ratios of);
- ``openpyxl load+save``: loading and saving the generated file with openpyxl;
- ``first run``: ``run_once`` on the generated file (every owned cell new);
- ``no-change rerun``: the same again (nothing to write);
- ``1% changed``: a person's edit to 1% of the deals' amounts and stages, then a run.

Two tables are printed from the same steps: CPU seconds of each step's own process (what it
costs, whatever else the machine runs) and wall-clock seconds (a quiet machine's measure; the
.xlsx read scans for error cells in a thread beside python-calamine, which CPU seconds count
and wall-clock time mostly hides). Each step is repeated ``--repeat`` times
interleaved (on copies of the same files) and the
median is shown, with the ratio to the native read of that state of the workbook (openpyxl
load+save and the first run also as their ratio), and for each run the share of the .xlsx
backend (``read`` and ``apply``; the rest is judging, planning and the report). Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

AS_OF = dt.date(2026, 11, 24)
ROOT = Path(__file__).resolve().parents[1]

#: Run in a fresh interpreter: prints {"seconds": ..., "peak_mb": ...}.
STEP = r"""
import datetime as dt, json, resource, sys, time
from pathlib import Path
import openpyxl
from python_calamine import CalamineWorkbook
from sheetfunnel.load import tabs_needed
from sheetfunnel.plan import CellWrite, WritePlan
from sheetfunnel.runner import default_sections, run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
step, path = sys.argv[1], Path(sys.argv[2])
started = time.perf_counter()  # after the imports: they cost the same whatever the size
cpu_started = time.process_time()
if step == "native":
    book = CalamineWorkbook.from_path(str(path))
    titles = book.sheet_names
    grids = {}
    for _ in range(3):
        wanted = [t for t in tabs_needed(titles, grids, defaults=default_sections())
                  if t not in grids]
        if not wanted:
            break
        for title in wanted:
            grids[title] = book.get_sheet_by_name(title).to_python(skip_empty_area=False)
elif step == "openpyxl":
    book = openpyxl.load_workbook(path)
    book.save(path)
elif step == "run":
    backend = backend_cpu = 0.0
    def timed(method):
        def call(*args, **kwargs):
            global backend, backend_cpu
            began, cpu_began = time.perf_counter(), time.process_time()
            try:
                return method(*args, **kwargs)
            finally:
                backend += time.perf_counter() - began
                backend_cpu += time.process_time() - cpu_began
        return call
    XlsxWorkbook.read, XlsxWorkbook.apply = timed(XlsxWorkbook.read), timed(XlsxWorkbook.apply)
    result = run_once(XlsxWorkbook(path), as_of=dt.date.fromisoformat(sys.argv[3]))
elif step == "edit":
    book = XlsxWorkbook(path)
    grid = book.read().tabs["Opportunities"]
    header = grid[0]
    amount, stage = header.index("Amount") + 1, header.index("Stage") + 1
    rows = range(2, len(grid) + 1, 100)
    cells = [CellWrite("Opportunities", r, amount, 12345 + r) for r in rows]
    cells += [CellWrite("Opportunities", r, stage, "Proposal") for r in rows[::2]]
    book.apply(WritePlan(cells=tuple(cells)))
seconds, cpu = time.perf_counter() - started, time.process_time() - cpu_started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": peak,
                  "backend": backend if step == "run" else seconds,
                  "backend_cpu": backend_cpu if step == "run" else cpu}))
"""


def step(name: str, path: Path) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", STEP, name, str(path), AS_OF.isoformat()],
                          capture_output=True, text=True, check=False,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def generate(deals: int, path: Path) -> None:
    """The starter workbook with ``deals`` deals, saved by openpyxl in write-only mode; its
    worker tabs recorded in ``_sheetfunnel`` as ``init`` records them (the marks openpyxl's
    write-only mode cannot write are put back by the first run)."""
    import openpyxl

    from sheetfunnel.demo_data import DemoData, make_demo
    from sheetfunnel.init_plan import record_owned_tabs
    from sheetfunnel.resources import data_path
    from sheetfunnel.starter import starter_plan

    demo = make_demo(AS_OF)
    customers = max(deals // 5, 1)
    base_deals, base_customers = demo.opportunities[1:], demo.customers[1:]
    deal_keys, customer_keys = demo.opportunities[0], demo.customers[0]
    id_at, customer_at = deal_keys.index("id"), deal_keys.index("customer_id")
    activity_keys = demo.activities[0]
    activity_deal = activity_keys.index("opportunity_id")
    opportunities = [deal_keys]
    for number in range(deals):
        row = list(base_deals[number % len(base_deals)])
        row[id_at] = f"OPP-{number + 1:06d}"
        row[customer_at] = f"C-{number % customers + 1:05d}"
        opportunities.append(row)
    accounts = [customer_keys]
    for number in range(customers):
        row = list(base_customers[number % len(base_customers)])
        row[0], row[1] = f"C-{number + 1:05d}", f"{row[1]} {number + 1}"
        accounts.append(row)
    activities = [activity_keys]
    base_activities = demo.activities[1:]
    for number in range(deals * 3):
        row = list(base_activities[number % len(base_activities)])
        row[activity_deal] = f"OPP-{number % deals + 1:06d}"
        activities.append(row)
    data = DemoData(accounts, opportunities, activities, [demo.history[0]])
    plan = record_owned_tabs(starter_plan(
        "en", data_path("config", "default.toml").read_text(encoding="utf-8"),
        data_path("templates", "workbook.toml").read_text(encoding="utf-8"), demo=data), "en")
    rows: dict[str, dict[int, dict[int, object]]] = {spec.title: {} for spec in plan.tabs}
    for cell in plan.cells:
        rows.setdefault(cell.tab, {}).setdefault(cell.row, {})[cell.col] = cell.value
    book = openpyxl.Workbook(write_only=True)
    for title, cells in rows.items():
        sheet = book.create_sheet(title)
        for number in range(1, max(cells, default=0) + 1):
            values = cells.get(number, {})
            sheet.append([_typed(sheet, values.get(col))
                          for col in range(1, max(values, default=0) + 1)])
    book.save(path)


def _typed(sheet, value: object) -> object:
    """Text as text: openpyxl would take ``= Approved`` (a Scoring match) for a formula."""
    if isinstance(value, str) and value.startswith("="):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"
        return cell
    return value


def measure(deals: int, repeat: int, folder: Path) -> dict[str, list[dict[str, float]]]:
    source = folder / f"generated-{deals}.xlsx"
    generate(deals, source)
    found: dict[str, list[dict[str, float]]] = {}
    for turn in range(repeat):
        path = folder / f"run-{deals}-{turn}.xlsx"
        shutil.copy(source, path)
        openpyxl_copy = folder / f"openpyxl-{deals}-{turn}.xlsx"
        shutil.copy(source, openpyxl_copy)
        for name, kind, target in (("native before first", "native", path),
                                   ("openpyxl load+save", "openpyxl", openpyxl_copy),
                                   ("first run", "run", path),
                                   ("native before rerun", "native", path),
                                   ("no-change rerun", "run", path),
                                   ("person edits 1%", "edit", path),
                                   ("native before 1% run", "native", path),
                                   ("1% changed", "run", path)):
            found.setdefault(name, []).append(step(kind, target))
        for leftover in folder.glob(f"*-{deals}-{turn}.xlsx*"):
            leftover.unlink()
    return found


def row(deals: int, found: dict[str, list[dict[str, float]]], clock: str = "cpu") -> str:
    """Two table rows: the times and ratios, then the .xlsx backend's share of each run."""
    names = {"seconds": "cpu", "backend": "backend_cpu"} if clock == "cpu" else {}

    def median(key: str, what: str = "seconds") -> float:
        return statistics.median(r[names.get(what, what)] for r in found[key])
    native = median("native before first")
    save, first = median("openpyxl load+save"), median("first run")
    rerun_native, changed_native = median("native before rerun"), median("native before 1% run")
    rerun, changed = median("no-change rerun"), median("1% changed")
    peak = max(r["peak_mb"] for key in ("first run", "no-change rerun", "1% changed")
               for r in found[key])
    backend = {key: median(key, "backend") for key in ("first run", "no-change rerun",
                                                        "1% changed")}
    return (f"| {deals:,} | {native:.2f} s | {save:.1f} s ({save / native:.0f}×) | "
            f"{first:.1f} s ({first / save:.2f}× openpyxl) | "
            f"{rerun:.2f} s ({rerun / rerun_native:.2f}× native) | "
            f"{changed:.2f} s ({changed / changed_native:.2f}× native) | {peak:.0f} MB |\n"
            f"| | | | {backend['first run']:.2f} s | {backend['no-change rerun']:.2f} s "
            f"({backend['no-change rerun'] / rerun_native:.2f}× native) | "
            f"{backend['1% changed']:.2f} s ({backend['1% changed'] / changed_native:.2f}× "
            "native) | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--deals", type=int, nargs="+", default=[1000, 10_000, 50_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    header = ("| deals | native read | openpyxl load+save | first run | no-change rerun "
              "| 1% changed | peak memory of a run |\n|---|---|---|---|---|---|---|\n"
              "| | | | *of which .xlsx read+write* | *of which .xlsx read+write* "
              "| *of which .xlsx read+write* | |")
    tables: dict[str, list[str]] = {"cpu": [], "wall": []}
    with tempfile.TemporaryDirectory() as name:
        for deals in args.deals:
            found = measure(deals, args.repeat, Path(name))
            for clock, rows in tables.items():
                rows.append(row(deals, found, clock))
                print(f"[{clock}] {rows[-1]}", flush=True)
    for clock, title in (("cpu", "CPU seconds of each step's own process"),
                         ("wall", "Wall-clock seconds (they include whatever else the "
                                  "machine runs)")):
        print(f"\n{title}:\n\n{header}")
        print("\n".join(tables[clock]))


if __name__ == "__main__":
    main()
