"""A seeded, realistic pipeline for ``sheetfunnel init --demo`` and ``sheetfunnel demo``.

Pure and deterministic: the same ``as_of``, seed and language give the same workbook. Dates are
placed relative to ``as_of`` so that every flag has examples whatever day the demo is made:
won and lost deals, overdue follow-ups, stalled deals (their stage changes are in History),
passed close dates, missing entry criteria, blank scorecard fields and new leads nobody called.
Behind the current pipeline lie the closed deals of the past fourteen months, whose outcomes
follow a plausible pattern (referrals and good-fit industries win more, very small companies
less, with noise), so the win model has enough history to learn from and the Insights tab
something to show. They come from a random stream of their own: the current pipeline is the
same with or without them.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from sheetfunnel.grid import Cell, Grid
from sheetfunnel.tabs.history import daily_snapshot
from sheetfunnel.words import words_for

CUSTOMERS = 60
OPPORTUNITIES = 200
ACTIVITIES = 600
#: Closed deals of the past (and the customers only they belong to), for the win model.
PAST_DEALS, PAST_CUSTOMERS, PAST_DAYS = 520, 90, 420
#: How likely a deal is in each stage (funnel order: five open stages, won, lost).
STAGE_WEIGHTS = (17, 15, 14, 12, 9, 18, 15)
OPEN_STAGES, WON, LOST = 5, 5, 6
NEGOTIATION = 4
PROPOSAL = 3
FOLLOW_UP_DAYS = 7
#: The default Stages tab's win probabilities, for the weighted amounts of past snapshots.
PROBABILITIES = (0.1, 0.2, 0.4, 0.6, 0.8, 1.0, 0.0)
#: Days of daily snapshots before ``as_of`` in History (the run writes ``as_of``'s own).
SNAPSHOT_DAYS = 56
#: How often a closed deal of the past has what its stages ask for (a real team's records are
#: mostly complete; the rest are the Attention tab's few closed deals to tidy up).
PAST_COMPLETE = 0.99


@dataclass(frozen=True)
class Words:
    """The vocabulary of the demo in one language; stage and value names match the template."""

    stages: tuple[str, ...]
    industries: tuple[str, ...]
    budgets: tuple[str, ...]
    sentiments: tuple[str, ...]
    owners: tuple[str, ...]
    sources: tuple[str, ...]
    regions: tuple[str, ...]
    stems: tuple[str, ...]
    suffixes: dict[str, tuple[str, ...]]
    products: tuple[str, ...]
    roles: tuple[str, ...]
    people: tuple[str, ...]
    pains: tuple[str, ...]
    next_steps: tuple[str, ...]
    lost_reasons: tuple[str, ...]
    activity_types: tuple[str, ...]
    notes: tuple[tuple[str, ...], ...]  # per sentiment
    amount_scale: int = 1

    def company(self, stem: str, suffix: str, rng: random.Random) -> str:
        return f"{stem} {suffix}"

    def title(self, stem: str, product: str) -> str:
        return f"{stem} – {product}"

    def decision_maker(self, rng: random.Random) -> str:
        return f"{rng.choice(self.people)}, {rng.choice(self.roles)}"


@dataclass(frozen=True)
class ChineseWords(Words):
    cities: tuple[str, ...] = ()

    def company(self, stem: str, suffix: str, rng: random.Random) -> str:
        return f"{rng.choice(self.cities)}{stem}{suffix}有限公司"

    def title(self, stem: str, product: str) -> str:
        return f"{stem}{product}项目"

    def decision_maker(self, rng: random.Random) -> str:
        return f"{rng.choice(self.people)}（{rng.choice(self.roles)}）"


ENGLISH = Words(
    stages=("Lead", "Qualified", "Needs Analysis", "Proposal", "Negotiation", "Won", "Lost"),
    industries=("Software", "Finance", "Manufacturing", "Healthcare", "Retail", "Education",
                "Logistics", "Energy"),
    budgets=("Approved", "Planned", "Unknown"),
    sentiments=("positive", "neutral", "negative"),
    owners=("Alice Chen", "Ben Carter", "Chloe Martin", "David Kim", "Emma Rossi",
            "Farid Haddad"),
    sources=("Website", "Referral", "Trade Show", "Cold Call", "Partner", "LinkedIn"),
    regions=("North", "South", "East", "West", "Central"),
    stems=("Northwind", "Bluepeak", "Crestline", "Harbor", "Ironwood", "Lumen", "Meridian",
           "Oakridge", "Pinecrest", "Quantum", "Redwood", "Silverline", "Summit", "Tidewater",
           "Vertex", "Westgate", "Brightpath", "Cobalt", "Evergreen", "Granite", "Horizon",
           "Keystone", "Lakeshore", "Maple", "Nova", "Orion", "Pioneer", "Riverbend", "Sterling",
           "Trident"),
    suffixes={"Software": ("Software", "Labs", "Systems"),
              "Finance": ("Capital", "Financial", "Bank"),
              "Manufacturing": ("Manufacturing", "Industries", "Components"),
              "Healthcare": ("Health", "Medical", "Clinics"),
              "Retail": ("Retail", "Stores", "Outfitters"),
              "Education": ("Academy", "Learning", "College"),
              "Logistics": ("Logistics", "Freight", "Shipping"),
              "Energy": ("Energy", "Power", "Solar")},
    products=("CRM rollout", "Data platform", "Annual license", "Support renewal",
              "Analytics upgrade", "Cloud migration", "Security audit", "Training package",
              "ERP integration", "Mobile app"),
    roles=("CFO", "CTO", "COO", "Head of IT", "VP Sales", "Procurement Director", "CEO"),
    people=("Maria Lopez", "James Wright", "Priya Nair", "Tom Becker", "Sara Lind",
            "Kenji Sato", "Olivia Brown", "Lucas Meyer", "Hannah Cohen", "Mateo Silva"),
    pains=("Manual reporting takes days", "No single view of customers",
           "Legacy system reaches end of life", "Slow month-end close",
           "Data scattered across spreadsheets", "Findings from the compliance audit",
           "Churn in key accounts", "Late deliveries"),
    next_steps=("Send proposal", "Schedule demo", "Call decision maker", "Follow up on pricing",
                "Prepare contract", "Technical workshop", "Reference call"),
    lost_reasons=("Price too high", "Chose a competitor", "No budget", "Project cancelled",
                  "No decision"),
    activity_types=("Call", "Email", "Meeting", "Demo", "Site Visit"),
    notes=(("Keen to move ahead", "Liked the demo", "Budget confirmed on the call"),
           ("Sent follow-up material", "Left a voicemail", "Discussed the timeline"),
           ("Pushback on price", "A competitor is ahead", "Project put on hold")),
)

CHINESE = ChineseWords(
    stages=("线索", "已确认", "需求分析", "方案报价", "商务谈判", "赢单", "输单"),
    industries=("软件", "金融", "制造", "医疗", "零售", "教育", "物流", "能源"),
    budgets=("已批准", "计划中", "未知"),
    sentiments=("正面", "中性", "负面"),
    owners=("王芳", "李强", "张伟", "刘洋", "陈静", "赵磊"),
    sources=("官网", "客户转介绍", "展会", "电话拜访", "合作伙伴", "微信"),
    regions=("华北", "华东", "华南", "西南", "华中"),
    stems=("云帆", "华辰", "恒信", "启明", "金桥", "海纳", "博远", "睿达", "天行", "星河",
           "远航", "鼎盛", "凯越", "锦程", "卓越", "嘉禾", "瑞丰", "宏图", "新桥", "明德"),
    suffixes={"软件": ("软件", "信息技术", "网络科技"), "金融": ("金融服务", "投资", "融资租赁"),
              "制造": ("精密制造", "机械", "电子"), "医疗": ("医疗科技", "医药", "健康管理"),
              "零售": ("商贸", "连锁超市", "百货"), "教育": ("教育科技", "培训学校", "文化传播"),
              "物流": ("物流", "供应链", "快运"), "能源": ("能源", "新能源", "电力")},
    products=("CRM 实施", "数据平台", "年度许可", "维保续约", "分析系统升级", "上云迁移",
              "安全审计", "培训服务", "ERP 集成", "移动应用"),
    roles=("财务总监", "技术总监", "运营总监", "IT 负责人", "销售副总", "采购总监", "总经理"),
    people=("李总", "王总", "张经理", "刘主任", "陈总", "杨经理", "黄总", "周经理"),
    pains=("手工报表耗时", "缺少统一的客户视图", "旧系统即将停用", "月结速度慢",
           "数据分散在各个表格中", "合规审计发现问题", "重点客户流失", "交付延误"),
    next_steps=("发送方案", "安排演示", "联系决策人", "跟进报价", "准备合同", "技术交流会",
                "安排客户参观"),
    lost_reasons=("价格过高", "选择了竞争对手", "预算不足", "项目取消", "迟迟未决策"),
    activity_types=("电话", "邮件", "拜访", "演示", "上门"),
    notes=(("客户希望尽快推进", "对演示很满意", "电话中确认了预算"),
           ("已发送跟进资料", "未接通，已留言", "沟通了项目时间表"),
           ("对价格有异议", "竞争对手领先", "项目暂缓")),
    amount_scale=7,
    cities=("北京", "上海", "深圳", "杭州", "成都", "苏州", "武汉", "南京", "广州", "西安"),
)

WORDS = {"en": ENGLISH, "zh": CHINESE}


@dataclass(frozen=True)
class DemoData:
    """Demo rows of the people-owned tabs and of History.

    Each grid's first row names its columns by key — a column role of ``schema.py`` (``id``,
    ``stage``) or a template column key (``budget``, ``proposal_sent``; History: ``at``,
    ``kind``, ``id``, ``from``, ``to``) — so the starter can place them under any header.
    """

    customers: Grid
    opportunities: Grid
    activities: Grid
    history: Grid
    targets: Grid = field(default_factory=list)  # none: an empty Targets tab

    def by_role(self) -> dict[str, Grid]:
        return {"customers": self.customers, "opportunities": self.opportunities,
                "activities": self.activities, "history": self.history,
                "targets": self.targets}


@dataclass(eq=False)
class Deal:
    """One generated opportunity while the demo is being built."""

    customer: dict[str, Cell]
    stage: int
    created: dt.date
    closed: dt.date | None
    changes: list[tuple[dt.date, int, int]]  # (day, from stage, to stage)
    last_touch: dt.date | None
    fields: dict[str, Cell] = field(default_factory=dict)
    id: str | None = None
    activities: int = 0


CUSTOMER_KEYS = ("customer_id", "name", "industry", "size", "region", "source", "owner")
OPPORTUNITY_KEYS = ("id", "customer_id", "title", "owner", "stage", "amount", "source",
                    "created", "expected_close", "last_activity", "next_step", "next_step_due",
                    "lost_reason", "budget", "decision_maker", "pain_points", "purchase_intent",
                    "decision_cycle_days", "proposal_sent")
ACTIVITY_KEYS = ("date", "opportunity_id", "type", "owner", "notes", "sentiment")
HISTORY_KEYS = ("at", "kind", "id", "from", "to")
TARGET_KEYS = ("owner", "period", "metric", "target")


def make_demo(as_of: dt.date, *, seed: int = 7, lang: str = "en") -> DemoData:
    """200 current opportunities over 60 customers with 600 activities, 520 closed deals of the
    past over those and 90 more customers, the stage history of them all with a daily snapshot
    for each of the last eight weeks, and targets for this month and quarter."""
    rng = random.Random(seed)
    words = WORDS[lang]
    customers = _customers(rng, words)
    current = [_deal(rng, words, customers[n] if n < CUSTOMERS else rng.choice(customers),
                     as_of) for n in range(OPPORTUNITIES)]
    past_rng = random.Random(f"{seed} past")
    customers += _customers(past_rng, words, first=CUSTOMERS + 1, count=PAST_CUSTOMERS,
                            used={str(c["name"]) for c in customers})
    deals = current + [_past_deal(past_rng, words, customers[CUSTOMERS + n] if n < PAST_CUSTOMERS
                                  else past_rng.choice(customers), as_of)
                       for n in range(PAST_DEALS)]
    records = random.Random(f"{seed} records")  # a stream of its own: the past stays as it was
    for deal in deals[OPPORTUNITIES:]:  # of the 12% of lost deals without a reason, 1% stay so
        if deal.stage == LOST and deal.fields["lost_reason"] is None and records.random() < 0.92:
            deal.fields["lost_reason"] = records.choice(words.lost_reasons)
    _number(deals)
    activities = _activities(rng, words, [d for d in deals if d in current])
    activities += _past_activities(past_rng, words, [d for d in deals if d not in current])
    activities.sort(key=lambda row: (row[0], row[1]))
    latest = {row[1]: row[0] for row in activities}  # rows are sorted by date
    for deal in deals:
        deal.fields["last_activity"] = latest.get(deal.id) if deal.id is not None else None
    return DemoData(
        customers=_with_header(CUSTOMER_KEYS, ([c[k] for k in CUSTOMER_KEYS]
                                               for c in customers)),
        opportunities=_with_header(OPPORTUNITY_KEYS, ([d.fields.get(k) for k in OPPORTUNITY_KEYS]
                                                      for d in deals)),
        activities=_with_header(ACTIVITY_KEYS, activities),
        history=_with_header(HISTORY_KEYS, _history(deals, words, lang, as_of)),
        targets=_with_header(TARGET_KEYS, _targets(deals, words, lang, as_of)),
    )


def _with_header(keys: Sequence[str], rows: Iterable[Sequence[Cell]]) -> Grid:
    header: list[Cell] = list(keys)
    return [header, *(list(row) for row in rows)]


def _customers(rng: random.Random, words: Words, *, first: int = 1, count: int = CUSTOMERS,
               used: set[str] | None = None) -> list[dict[str, Cell]]:
    taken = set() if used is None else used
    return [_customer(rng, words, n, taken) for n in range(first, first + count)]


def _customer(rng: random.Random, words: Words, number: int, used: set[str]
              ) -> dict[str, Cell]:
    industry = rng.choices(words.industries, weights=(5, 4, 4, 3, 3, 2, 2, 1))[0]
    stem, name = _company(rng, words, industry, used)
    size = rng.choice((12, 25, 40, 60, 85, 120, 180, 250, 400, 650, 900, 1500, 3000, 8000))
    return {"customer_id": f"C-{number:04d}", "stem": stem, "name": name, "industry": industry,
            "size": size + rng.randrange(0, max(size // 5, 1)),
            "region": rng.choice(words.regions), "source": rng.choice(words.sources),
            "owner": rng.choice(words.owners)}


def _company(rng: random.Random, words: Words, industry: str, used: set[str]
             ) -> tuple[str, str]:
    """A company name not used yet: a random stem with one of the industry's suffixes."""
    while True:
        stem = rng.choice(words.stems)
        name = words.company(stem, rng.choice(words.suffixes[industry]), rng)
        if name not in used:
            used.add(name)
            return stem, name


def _deal(rng: random.Random, words: Words, customer: dict[str, Cell], as_of: dt.date) -> Deal:
    stage = rng.choices(range(len(STAGE_WEIGHTS)), weights=STAGE_WEIGHTS)[0]
    deal = _timeline(rng, stage, as_of)
    deal.customer = customer
    deal.fields.update(_basics(rng, words, deal, as_of))
    deal.fields.update(_scorecard(rng, words, deal))
    return deal


def _past_deal(rng: random.Random, words: Words, customer: dict[str, Cell], as_of: dt.date
               ) -> Deal:
    """A deal closed in the past fourteen months, won with the chance its traits give."""
    source = customer["source"] if rng.random() < 0.7 else rng.choice(words.sources)
    won = rng.random() < _win_chance(words, customer, str(source))
    deal = _timeline(rng, WON if won else LOST, as_of, closed_within=PAST_DAYS)
    deal.customer = customer
    deal.fields.update(_basics(rng, words, deal, as_of))
    deal.fields["source"] = source
    deal.fields.update(_scorecard(rng, words, deal, complete=PAST_COMPLETE))
    return deal


def _win_chance(words: Words, customer: dict[str, Cell], source: str) -> float:
    """The demo's pattern: referrals and partners win more, cold calls less; software,
    finance, manufacturing and healthcare (which the default scorecard ranks lower) more;
    companies under 50 people much less, over 200 a little more."""
    # by position in the vocabulary: sources Website, Referral, Trade Show, Cold Call, Partner,
    # LinkedIn; industries Software, Finance, Manufacturing, Healthcare, …, Logistics, Energy
    odds = -0.7 + {1: 1.3, 4: 0.5, 3: -0.6}.get(words.sources.index(source), 0.0)
    odds += {0: 0.5, 1: 0.5, 2: 0.5, 3: 0.8, 6: -0.3, 7: -0.3}.get(
        words.industries.index(str(customer["industry"])), 0.0)
    size = int(customer["size"])  # type: ignore[arg-type]
    odds += -1.0 if size < 50 else 0.4 if size >= 1000 else 0.2 if size >= 200 else 0.0
    return 1 / (1 + math.exp(-odds))


def _timeline(rng: random.Random, stage: int, as_of: dt.date, closed_within: int = 200
              ) -> Deal:
    """When the deal was created, moved between stages and closed."""
    if stage >= OPEN_STAGES:
        closed = as_of - dt.timedelta(days=rng.randint(0, closed_within))
        reached = OPEN_STAGES - 1 if stage == WON else rng.randint(0, OPEN_STAGES - 1)
        steps = [*range(reached + 1), stage]
        entered = closed
    else:
        closed = None
        stall = 21 if stage == NEGOTIATION else 14
        stalled = stage > 0 and rng.random() < 0.3
        entered = as_of - dt.timedelta(days=rng.randint(stall + 3, stall + 50) if stalled
                                       else rng.randint(0, 10 if stage else 20))
        steps = list(range(stage + 1))
    changes, day = [], entered
    for before, after in reversed(list(zip(steps, steps[1:], strict=False))):
        changes.append((day, before, after))
        day -= dt.timedelta(days=rng.randint(4, 25))
    created = day - dt.timedelta(days=rng.randint(0, 6)) if changes else entered
    changes.reverse()
    return Deal({}, stage, created, closed, changes, _last_touch(rng, stage, created, closed,
                                                                 as_of))


def _last_touch(rng: random.Random, stage: int, created: dt.date, closed: dt.date | None,
                as_of: dt.date) -> dt.date | None:
    """The latest activity: around the close, recent, overdue, or none for a new lead."""
    if closed is not None:
        day = closed - dt.timedelta(days=rng.randint(0, 5))
    elif stage == 0 and created >= as_of - dt.timedelta(days=2) and rng.random() < 0.5:
        return None
    elif rng.random() < 0.3:
        day = as_of - dt.timedelta(days=rng.randint(FOLLOW_UP_DAYS + 2, 45))
    else:
        day = as_of - dt.timedelta(days=rng.randint(0, FOLLOW_UP_DAYS - 1))
    return max(day, created)


def _basics(rng: random.Random, words: Words, deal: Deal, as_of: dt.date) -> dict[str, Cell]:
    customer, stage = deal.customer, deal.stage
    size = int(customer["size"])  # type: ignore[arg-type]
    amount = int(round(rng.uniform(5_000, 40_000) * (1 + size / 800) * words.amount_scale, -2))
    is_open = stage < OPEN_STAGES
    expected = deal.closed or max(as_of + dt.timedelta(days=rng.randint(-25, 100)),
                                  deal.created + dt.timedelta(days=14))
    return {
        "customer_id": customer["customer_id"],
        "title": words.title(str(customer["stem"]), rng.choice(words.products)),
        "owner": customer["owner"] if rng.random() < 0.8 else rng.choice(words.owners),
        "stage": words.stages[stage],
        "amount": None if stage == 0 and rng.random() < 0.4 else amount,
        "source": customer["source"] if rng.random() < 0.7 else rng.choice(words.sources),
        "created": deal.created,
        "expected_close": None if stage == 0 and rng.random() < 0.5 else expected,
        "next_step": rng.choice(words.next_steps) if is_open else None,
        "next_step_due": as_of + dt.timedelta(days=rng.randint(-10, 14)) if is_open else None,
        "lost_reason": rng.choice(words.lost_reasons) if stage == LOST and rng.random() < 0.88
        else None,
    }


def _scorecard(rng: random.Random, words: Words, deal: Deal, *, complete: float = 0.92
               ) -> dict[str, Cell]:
    """Scorecard and criteria fields: filled the further a deal got, with realistic gaps (the
    fields of the stages it passed filled with the chance ``complete``)."""
    progress = max((after for _, _, after in deal.changes if after < OPEN_STAGES), default=0)
    sent = next((day for day, _, after in deal.changes if after == PROPOSAL), None)

    def maybe(value: Cell, chance: float) -> Cell:
        return value if rng.random() < chance else None

    intent = min(10, max(1, round(rng.gauss(3 + progress * 1.2, 2))))
    return {
        "budget": maybe(rng.choices(words.budgets, weights=(1 + progress, 3, 2))[0],
                        complete if progress else 0.5),
        "decision_maker": maybe(words.decision_maker(rng), complete if progress else 0.3),
        "pain_points": maybe(rng.choice(words.pains),
                             complete - 0.02 if progress >= 2 else 0.3),
        "purchase_intent": maybe(intent, 0.85),
        "decision_cycle_days": maybe(rng.choice((14, 21, 30, 45, 60, 90, 120, 180)), 0.85),
        "proposal_sent": maybe(sent, 0.85) if deal.stage == NEGOTIATION else sent,
    }


def _number(deals: list[Deal]) -> None:
    """IDs in order of creation; two of the newest uncontacted leads are left without one."""
    deals.sort(key=lambda d: d.created)
    unnamed = [d for d in deals if d.stage == 0 and d.last_touch is None][-2:]
    number = 0
    for deal in deals:
        if deal in unnamed:
            continue
        number += 1
        deal.id = f"OPP-{number:06d}"
    for deal in deals:
        deal.fields["id"] = deal.id


def _activities(rng: random.Random, words: Words, deals: list[Deal]
                ) -> list[tuple[dt.date, str, str, str, str, str]]:
    """600 activities: one at each deal's last touch, the rest spread over its life."""
    touched = [d for d in deals if d.last_touch is not None and d.id]
    for deal in touched:
        deal.activities = 1
    extra = rng.choices(touched, weights=[2 + d.stage for d in touched],
                        k=ACTIVITIES - len(touched))
    for deal in extra:
        deal.activities += 1
    rows = []
    for deal in touched:
        rows += [_activity(rng, words, deal, day, last=index == 0)
                 for index, day in enumerate(_activity_days(rng, deal))]
    rows.sort(key=lambda row: (row[0], row[1]))
    return rows


def _past_activities(rng: random.Random, words: Words, deals: list[Deal]
                     ) -> list[tuple[dt.date, str, str, str, str, str]]:
    """One to four activities for each closed deal of the past."""
    rows = []
    for deal in deals:
        deal.activities = rng.randint(1, 4)
        rows += [_activity(rng, words, deal, day, last=index == 0)
                 for index, day in enumerate(_activity_days(rng, deal))]
    return rows


def _activity_days(rng: random.Random, deal: Deal) -> list[dt.date]:
    """The last touch first, then earlier days between creation and the last touch."""
    assert deal.last_touch is not None
    span = (deal.last_touch - deal.created).days
    return [deal.last_touch] + [deal.created + dt.timedelta(days=rng.randint(0, span))
                                for _ in range(deal.activities - 1)]


def _activity(rng: random.Random, words: Words, deal: Deal, day: dt.date, *, last: bool
              ) -> tuple[dt.date, str, str, str, str, str]:
    mood = rng.choices((0, 1, 2), weights=(45, 40, 15 if not last else 20))[0]
    return (day, str(deal.id), rng.choice(words.activity_types), str(deal.fields["owner"]),
            rng.choice(words.notes[mood]), words.sentiments[mood])


def _history(deals: list[Deal], words: Words, lang: str, as_of: dt.date) -> Grid:
    """Stage changes the worker would have seen and its daily snapshot of each of the last
    ``SNAPSHOT_DAYS`` days (taken after that day's changes), oldest first."""
    kind = words_for(lang).history_kinds[0]
    changes = sorted(((day, deal.id, before, after) for deal in deals if deal.id
                      for day, before, after in deal.changes), key=lambda c: (c[0], c[1]))
    rows: list[tuple[dt.date, int, list[Cell]]] = [
        (day, 0, [day, kind, deal_id, words.stages[before], words.stages[after]])
        for day, deal_id, before, after in changes]
    first = as_of - dt.timedelta(days=SNAPSHOT_DAYS)
    days = [first + dt.timedelta(days=n) for n in range(SNAPSHOT_DAYS)]
    rows += [(day, 1, row) for day, row in zip(days, _snapshots(deals, words, lang, days),
                                               strict=True)]
    rows.sort(key=lambda r: (r[0], r[1]))
    return [row for _, _, row in rows]


def _snapshots(deals: list[Deal], words: Words, lang: str, days: list[dt.date]
               ) -> list[list[Cell]]:
    """The snapshot rows of ``days``: each deal counted in the stage it was in that day."""
    stages = len(words.stages)
    counts = [[0] * stages for _ in days]
    amounts = [[0.0] * stages for _ in days]
    owners: dict[str, list[list[int]]] = {}
    first = days[0]
    for deal in deals:
        if deal.created > days[-1]:
            continue
        value = _amount(deal)
        owner = " ".join(str(deal.fields.get("owner") or "").split())
        tally = owners.setdefault(owner, [[0, 0, 0] for _ in days]) if owner else None
        stage, moves = 0, iter(deal.changes)
        move = next(moves, None)
        for n in range(max(0, (deal.created - first).days), len(days)):
            while move is not None and move[0] <= days[n]:
                stage, move = move[2], next(moves, None)
            counts[n][stage] += 1
            amounts[n][stage] += value
            if tally is not None:
                tally[n][0 if stage < OPEN_STAGES else 1 if stage == WON else 2] += 1
    texts = words_for(lang)
    return [daily_snapshot(day, [
        (name, (float(counts[n][s]), amounts[n][s] if s < OPEN_STAGES else 0.0,
                amounts[n][s] * PROBABILITIES[s] if s < OPEN_STAGES else 0.0))
        for s, name in enumerate(words.stages)],
        [(name, tuple(float(v) for v in tally[n])) for name, tally in sorted(owners.items())],
        texts) for n, day in enumerate(days)]


def _targets(deals: list[Deal], words: Words, lang: str, as_of: dt.date) -> Grid:
    """Sample targets for ``as_of``'s month and quarter, set the way a manager might: a tenth
    over the past year's average (team and two reps), new deals and one conversion."""
    month = f"{as_of.year}-{as_of.month:02d}"
    quarter = f"{as_of.year}-Q{(as_of.month - 1) // 3 + 1}"
    team, first, second = ("Team" if lang == "en" else "团队"), words.owners[0], words.owners[1]
    metric = dict(zip(("won_amount", "won_deals", "new_deals", "conversion"),
                      ("won amount", "won deals", "new deals", "conversion")
                      if lang == "en" else ("赢单金额", "赢单数", "新增商机", "转化率"),
                      strict=True))
    year = [d for d in deals if d.stage == WON and d.closed is not None
            and as_of - dt.timedelta(days=365) <= d.closed < as_of]

    def monthly(owner: str | None, amounts: bool = True) -> int:
        won = [d for d in year if owner is None or d.fields.get("owner") == owner]
        total = sum(_amount(d) for d in won) if amounts else len(won)
        return _rounded(total / 12 * 1.1)

    return [
        [team, month, metric["won_amount"], monthly(None)],
        [team, quarter, metric["won_amount"], _rounded(monthly(None) * 3)],
        [team, month, metric["new_deals"], 60],
        [first, month, metric["won_amount"], monthly(first)],
        [first, quarter, metric["won_deals"], round(monthly(first, amounts=False) * 3)],
        [second, month, metric["won_amount"], monthly(second)],
        [team, month, f"{metric['conversion']} {words.stages[PROPOSAL]} → "
                      f"{words.stages[NEGOTIATION]}", "30%"],
    ]


def _amount(deal: Deal) -> float:
    amount = deal.fields.get("amount")
    return float(amount) if isinstance(amount, int | float) else 0.0


def _rounded(value: float) -> int:
    """To two significant digits, as a person types a target."""
    return int(round(value, 1 - len(str(int(value))))) if value >= 10 else round(value)
