"""The demo pipeline: the promised size, every situation the worker flags, closed deals of
the past with a pattern the win model can learn, deterministic."""

from __future__ import annotations

import datetime as dt
import tomllib
from collections import Counter

import pytest

from sheetfunnel import schema
from sheetfunnel.config import Config, Settings, Stage
from sheetfunnel.config.targets import parse_targets
from sheetfunnel.demo_data import PROBABILITIES, DemoData, make_demo
from sheetfunnel.resources import data_path
from sheetfunnel.starter import starter_plan
from sheetfunnel.tabs.history import read_owner_snapshots, read_snapshots

AS_OF = dt.date(2026, 11, 24)
OPEN = {"en": ("Lead", "Qualified", "Needs Analysis", "Proposal", "Negotiation"),
        "zh": ("线索", "已确认", "需求分析", "方案报价", "商务谈判")}


def _rows(grid: list[list]) -> list[dict]:
    return [dict(zip(grid[0], row, strict=True)) for row in grid[1:]]


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return make_demo(AS_OF)


def test_counts(demo: DemoData) -> None:
    """200 current deals and 520 closed ones of the past (each with one to four activities)."""
    assert (len(demo.customers), len(demo.opportunities), len(demo.activities)) == (151, 721,
                                                                                    1936)
    assert len(demo.history) > 2000


def test_deterministic_and_relative_to_as_of(demo: DemoData) -> None:
    assert make_demo(AS_OF) == demo
    assert make_demo(AS_OF, seed=8) != demo
    later = make_demo(AS_OF + dt.timedelta(days=30))
    shift = [(a["created"] - b["created"]).days for a, b in
             zip(_rows(later.opportunities), _rows(demo.opportunities), strict=True)]
    assert set(shift) == {30}


def test_variety_of_people_and_companies(demo: DemoData) -> None:
    customers, deals = _rows(demo.customers), _rows(demo.opportunities)
    assert len({c["name"] for c in customers}) == 150
    assert {"Software", "Finance", "Manufacturing", "Healthcare", "Retail", "Education",
            "Logistics"} <= {c["industry"] for c in customers}
    assert all(isinstance(c["size"], int) and c["size"] > 0 for c in customers)
    assert len({d["owner"] for d in deals}) >= 5
    assert len({d["source"] for d in deals}) >= 5
    assert {d["customer_id"] for d in deals} == {c["customer_id"] for c in customers}


def test_won_lost_and_open_deals(demo: DemoData) -> None:
    stages = Counter(d["stage"] for d in _rows(demo.opportunities))
    assert stages["Won"] >= 250 and stages["Lost"] >= 250  # past the model's gate of 100 each
    assert all(stages[s] >= 10 for s in OPEN["en"])
    lost = [d for d in _rows(demo.opportunities) if d["stage"] == "Lost"]
    assert 0 < sum(d["lost_reason"] is None for d in lost) < len(lost) // 3


def test_situations_the_worker_flags(demo: DemoData) -> None:
    deals = [d for d in _rows(demo.opportunities) if d["stage"] in OPEN["en"]]
    entered = {}
    for change in _rows(demo.history):
        entered[change["id"]] = change["at"]
    overdue = [d for d in deals if d["last_activity"] and
               (AS_OF - d["last_activity"]).days > 7]
    stalled = [d for d in deals if d["id"] in entered and (AS_OF - entered[d["id"]]).days > 21]
    passed = [d for d in deals if d["expected_close"] and d["expected_close"] < AS_OF]
    untouched = [d for d in deals if d["last_activity"] is None]
    no_budget = [d for d in deals if d["stage"] != "Lead" and d["budget"] is None]
    assert len(overdue) >= 15 and len(stalled) >= 10 and len(passed) >= 10
    assert len(untouched) >= 2 and len(no_budget) >= 3
    assert sum(d["id"] is None for d in deals) == 2
    for field in ("purchase_intent", "decision_cycle_days"):
        assert 10 <= sum(d[field] is None for d in deals) < len(deals) // 2


def test_closed_deals_show_a_pattern_over_past_months(demo: DemoData) -> None:
    """Referrals win more than cold calls, very small companies less than the rest, and the
    deals closed over fourteen months."""
    sizes = {c["customer_id"]: c["size"] for c in _rows(demo.customers)}
    closed = [d for d in _rows(demo.opportunities) if d["stage"] in ("Won", "Lost")]

    def rate(deals: list[dict]) -> float:
        return sum(d["stage"] == "Won" for d in deals) / len(deals)

    overall = rate(closed)
    assert rate([d for d in closed if d["source"] == "Referral"]) > overall + 0.15
    assert rate([d for d in closed if d["source"] == "Cold Call"]) < overall - 0.1
    assert rate([d for d in closed if sizes[d["customer_id"]] < 50]) < overall - 0.1
    days = sorted((AS_OF - d["expected_close"]).days for d in closed)
    assert days[0] <= 3 and days[-1] >= 400 and days[len(days) // 2] >= 150


def test_the_past_leaves_the_current_pipeline_alone(demo: DemoData) -> None:
    """The closed deals of the past come from a random stream of their own: the open deals
    are what they were before the past was added (the first 60 customers too)."""
    deals = [d for d in _rows(demo.opportunities) if d["stage"] in OPEN["en"]]
    assert len(deals) == 132
    assert sum(d["amount"] or 0 for d in deals) == 6_807_200
    assert [c["name"] for c in _rows(demo.customers)][:3] == ["Ironwood Financial",
                                                              "Bluepeak Bank",
                                                              "Crestline Systems"]


def test_history_ends_in_the_current_stage(demo: DemoData) -> None:
    last = {}
    for change in _rows(demo.history):
        assert change["kind"] in ("stage change", "daily snapshot")
        if change["kind"] == "stage change":
            last[change["id"]] = change["to"]
    for deal in _rows(demo.opportunities):
        if deal["id"] in last:
            assert last[deal["id"]] == deal["stage"]


def test_activities_belong_to_deals_and_precede_as_of(demo: DemoData) -> None:
    ids = {d["id"] for d in _rows(demo.opportunities)}
    activities = _rows(demo.activities)
    assert {a["opportunity_id"] for a in activities} <= ids
    assert all(a["date"] <= AS_OF for a in activities)
    assert Counter(a["sentiment"] for a in activities).keys() == {"positive", "neutral",
                                                                   "negative"}


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_words_match_the_starter_config(lang: str) -> None:
    """Stage names and scorecard values of the demo are the ones its Config tabs use."""
    defaults = data_path("config", "default.toml").read_text(encoding="utf-8")
    template = data_path("templates", "workbook.toml").read_text(encoding="utf-8")
    plan = starter_plan(lang, defaults, template)
    stages_tab = plan.tabs[3].title
    stage_names = {c.value for c in plan.cells if c.tab == stages_tab and c.col == 1 and c.row > 1}
    matches = " ".join(str(c.value) for c in plan.cells if c.tab == plan.tabs[4].title)
    deals = _rows(make_demo(AS_OF, lang=lang).opportunities)
    assert {d["stage"] for d in deals} == stage_names
    assert all(d["budget"] in matches for d in deals if d["budget"])
    customers = _rows(make_demo(AS_OF, lang=lang).customers)
    assert sum(c["industry"] in matches for c in customers) > 40


def test_daily_snapshots_count_each_deal_in_its_stage_of_that_day(demo: DemoData) -> None:
    """One snapshot a day for the eight weeks before as_of, after that day's changes; the last
    one agrees with a recount from the deals and their stage changes."""
    rows = _rows(demo.history)
    days = [r["at"] for r in rows if r["kind"] == "daily snapshot"]
    assert days == [AS_OF - dt.timedelta(days=n) for n in range(56, 0, -1)]
    assert [r["at"] for r in rows] == sorted(r["at"] for r in rows)
    day = days[-1]
    changes = [r for r in rows if r["kind"] == "stage change"]
    probability = dict(zip((*OPEN["en"], "Won", "Lost"), (0.1, 0.2, 0.4, 0.6, 0.8, 0, 0),
                           strict=True))
    counts: Counter[str] = Counter()
    weighted: Counter[str] = Counter()
    for deal in _rows(demo.opportunities):
        if deal["created"] > day:
            continue
        mine = [c for c in changes if c["id"] == deal["id"]] if deal["id"] else []
        before = [c for c in mine if c["at"] <= day]
        stage = before[-1]["to"] if before else mine[0]["from"] if mine else deal["stage"]
        counts[stage] += 1
        weighted[stage] += (deal["amount"] or 0) * probability[stage]
    snapshots = read_snapshots([["at"], *demo.history[1:]])
    last = snapshots[snapshots["day"] == day].set_index("stage")
    assert last["count"].to_dict() == {s: float(counts[s]) for s in probability}
    assert last["weighted"].round().to_dict() == {s: round(weighted[s]) for s in probability}
    owners = read_owner_snapshots([["at"], *demo.history[1:]])
    assert owners[owners["day"] == day][["open", "won", "lost"]].to_numpy().sum() == sum(
        counts.values())


def test_snapshot_probabilities_are_the_default_stages() -> None:
    defaults = tomllib.loads(data_path("config", "default.toml").read_text(encoding="utf-8"))
    assert tuple(s["probability"] / 100 for s in defaults["stages"]) == PROBABILITIES


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_targets_for_this_month_and_quarter_read_without_problems(lang: str) -> None:
    grid = make_demo(AS_OF, lang=lang).targets
    header = [schema.display_name(lang, "targets", key) for key in grid[0]]
    names = OPEN[lang] + (("Won", "Lost") if lang == "en" else ("赢单", "输单"))
    stages = tuple(Stage(name, p, "won" if p == 1 else "lost" if name in ("Lost", "输单")
                         else "open") for name, p in zip(names, PROBABILITIES, strict=True))
    config = Config(stages, (), (), Settings())
    targets, problems = parse_targets("Targets", [header, *grid[1:]], config)
    assert problems == ()
    assert {(t.metric, t.period, t.owner is None) for t in targets} == {
        ("won_amount", "2026-11", True), ("won_amount", "2026-Q4", True),
        ("new_deals", "2026-11", True), ("won_amount", "2026-11", False),
        ("won_deals", "2026-Q4", False), ("conversion", "2026-11", True)}
    assert [t.value for t in targets if t.metric == "conversion"] == [0.3]


def test_closed_deals_of_the_past_are_mostly_complete(demo: DemoData) -> None:
    """Won deals have what their stages ask for, lost ones a reason, save a handful (the
    current pipeline keeps its gaps)."""
    past = [d for d in _rows(demo.opportunities)  # the current pipeline's closed: 200 days
            if d["expected_close"] and (AS_OF - d["expected_close"]).days > 200]
    won = [d for d in past if d["stage"] == "Won"]
    lost = [d for d in past if d["stage"] == "Lost"]
    gaps = sum(not (d["budget"] and d["decision_maker"] and d["pain_points"]) for d in won)
    assert 0 < gaps < len(won) // 10
    assert 0 < sum(d["lost_reason"] is None for d in lost) < len(lost) // 10
