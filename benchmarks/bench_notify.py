"""Time to build every digest of 100,000 deals and 300 owners: flags to items, the rep and
manager messages, folded per robot and cut to each robot's size (CPU seconds, the best of
``--repeat``; the machine may be shared).

A script, not a test, run from the repository root:
``python -m benchmarks.bench_notify [--opportunities N] [--owners K]``. The deals are those of
``bench_engine`` with the owners spread over K reps; the people are K reps on 3 robots and 3
managers; the ledger is empty (the first run: every flag is new), then holds the first run's
flags (the next day: every flag due again after its first day). Sending is not timed: it is
bounded by the channels' rate limits (one message per robot per run), not by the worker.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import time
from typing import Any

import numpy as np

from benchmarks.bench_engine import AS_OF, CONFIG, workbook
from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.model import Evaluation, StageMemory
from sheetfunnel.notify.channels import SENDERS
from sheetfunnel.notify.compose import Line, fit, fold
from sheetfunnel.notify.deliver import record
from sheetfunnel.notify.digest import build_messages, open_flags
from sheetfunnel.notify.ledger import Ledger
from sheetfunnel.notify.people import Person
from sheetfunnel.notify.settings import NotifySettings

ROBOTS = {"north": "dingtalk", "south": "wecom", "east": "feishu"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opportunities", type=int, default=100_000)
    parser.add_argument("--owners", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    tables = list(workbook(args.opportunities, args.opportunities))
    opportunities = tables[0]
    frame = opportunities.table.frame.copy()
    owners = [f"Rep {k:03d}" for k in range(args.owners)]
    frame["Owner"] = np.random.default_rng(3).choice(owners, len(frame))
    tables[0] = dataclasses.replace(opportunities, table=dataclasses.replace(
        opportunities.table, frame=frame))
    evaluation = evaluate(*tables, CONFIG, as_of=AS_OF, memory=StageMemory())
    robots = list(ROBOTS)
    people = [Person(name, "rep", robots[k % 3], mention=f"1380000{k:04d}")
              for k, name in enumerate(owners)]
    people += [Person(f"Manager {r}", "manager", r) for r in robots]
    now = dt.datetime(2026, 11, 24, 2, 0, tzinfo=dt.UTC)
    settings = NotifySettings(timezone="Asia/Shanghai")
    first, again = [], []
    for _ in range(args.repeat):  # CPU seconds, the best of a few: the machine may be shared
        first.append(_timed(evaluation, people, settings, Ledger(), now))
    items, messages, docs = first[-1][1]
    print(f"{len(evaluation.deals):,} deals, {len(items):,} open flags, {args.owners} owners: "
          f"{len(messages)} messages, {len(docs)} deliveries")
    times = min((t for t, _ in first), key=lambda t: t[-1])
    print("first run: items {:.3f} s · messages {:.3f} s · fold and cut {:.3f} s · "
          "total {:.3f} s CPU".format(*times))
    started = time.process_time()
    ledger = record(Ledger(), tuple(messages), now)
    print(f"the ledger after sending ({len(ledger.seen):,} entries): "
          f"{time.process_time() - started:.3f} s CPU")
    tomorrow = now + dt.timedelta(days=1)
    for _ in range(args.repeat):
        again.append(_timed(evaluation, people, settings, ledger, tomorrow))
    times = min((t for t, _ in again), key=lambda t: t[-1])
    print(f"the next day: {len(again[-1][1][1])} messages; "
          "items {:.3f} s · messages {:.3f} s · fold and cut {:.3f} s · "
          "total {:.3f} s CPU".format(*times))


def _timed(evaluation: Evaluation, people: list[Person], settings: NotifySettings,
           ledger: Ledger, now: dt.datetime) -> tuple[tuple[float, ...], tuple[Any, ...]]:
    """Every digest built, folded per robot and cut to size, with the CPU seconds of each step."""
    started = time.process_time()
    items = open_flags(evaluation, {}, lambda row: f"Opportunities!{row}:{row}")
    built = time.process_time()
    messages, _ = build_messages(items, people, settings, ledger, now, lang="en",
                                 headline={"open_count": len(items)})
    messaged = time.process_time()
    deliveries = fold(messages, ROBOTS, Line("See the Attention tab"), "en")
    docs = [fit(d.doc, SENDERS[d.kind].size, SENDERS[d.kind].LIMIT) for d in deliveries]
    done = time.process_time()
    return ((built - started, messaged - built, done - messaged, done - started),
            (items, messages, docs))


if __name__ == "__main__":
    main()
