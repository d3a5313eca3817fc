"""The workbook's vocabulary: tab roles, column roles and their English and Chinese names.

Every name here is matched through ``grid.normalise_name`` (case-, space- and
full-width-insensitive). Settings ``tab.<role>`` and ``column.<role>`` put a team's own name in
front of these lists. The first name of each list is the one ``init`` writes for English; the
Chinese template writes the first Chinese one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from sheetfunnel.grid import normalise_name

#: tab role -> names, English first, then Chinese.
TABS: dict[str, tuple[str, ...]] = {
    "opportunities": ("Opportunities", "Deals", "Pipeline", "商机", "商机列表"),
    "customers": ("Customers", "Accounts", "Clients", "客户", "客户列表"),
    "activities": ("Activities", "Follow-ups", "跟进记录", "跟进", "活动"),
    "stages": ("Stages", "阶段"),
    "scoring": ("Scoring", "Scorecard", "评分卡", "评分"),
    "criteria": ("Criteria", "Entry Criteria", "准入标准"),
    "settings": ("Settings", "设置"),
    "notify": ("Notify", "Notifications", "通知"),
    "targets": ("Targets", "目标"),
    "summary": ("Summary", "汇总"),
    "attention": ("Attention", "待处理"),
    "history": ("History", "历史"),
    "state": ("_sheetfunnel",),
    "insights": ("Insights", "洞察"),
    "review": ("Review", "复盘"),
}

CONFIG_TABS = ("stages", "scoring", "criteria", "settings")
#: The tabs people fill and the worker reads (Fields and ``column.<role>`` rows name their columns).
INPUT_TABS = ("opportunities", "customers", "activities")

#: (tab role, column role) -> names, English first, then Chinese.
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "opportunities": {
        "id": ("ID", "Opportunity ID", "Deal ID", "商机编号", "编号"),
        "customer_id": ("Customer ID", "Account ID", "客户编号"),
        "title": ("Title", "Opportunity", "Deal", "Name", "商机名称"),
        "owner": ("Owner", "Sales Rep", "Rep", "负责人", "销售"),
        "stage": ("Stage", "Deal Stage", "阶段"),
        "amount": ("Amount", "Value", "Deal Value", "金额", "商机金额"),
        "source": ("Source", "Channel", "Lead Source", "来源", "渠道"),
        "created": ("Created", "Created Date", "Created At", "创建日期", "创建时间"),
        "expected_close": ("Expected Close", "预计成交日期", "预计成交"),
        "closed_on": ("Close Date", "Closed On", "Closed Date", "Date Closed", "成交日期",
                      "关闭日期"),
        "last_activity": ("Last Activity", "Last Contact", "最近跟进", "最近跟进日期"),
        "next_step": ("Next Step", "下一步"),
        "next_step_due": ("Next Step Due", "下一步截止", "下一步截止日期"),
        "lost_reason": ("Lost Reason", "Loss Reason", "输单原因"),
        # owned by the worker
        "score": ("Score", "评分"),
        "grade": ("Grade", "等级"),
        "win_pct": ("Win %", "Win Probability", "赢率"),
        "weighted_amount": ("Weighted Amount", "加权金额"),
        "stage_entered": ("Stage Entered", "进入阶段日期"),
        "days_in_stage": ("Days in Stage", "阶段停留天数"),
        "flags": ("Flags", "提醒"),
        "model_win_pct": ("Model Win %", "模型赢率"),
        "why": ("Why", "赢单因素"),
    },
    "customers": {
        "customer_id": ("Customer ID", "ID", "Account ID", "客户编号"),
        "name": ("Name", "Customer", "Company", "客户名称", "公司"),
        "industry": ("Industry", "Sector", "行业"),
        "size": ("Size", "Employees", "规模", "员工数"),
        "region": ("Region", "区域", "地区"),
        "source": ("Source", "来源"),
        "owner": ("Owner", "负责人"),
        # owned by the worker
        "tier": ("Tier", "客户等级"),
        "won_total": ("Won Total", "成交总额"),
        "open_pipeline": ("Open Pipeline", "在途金额"),
    },
    "activities": {
        "date": ("Date", "Activity Date", "日期", "跟进日期"),
        "opportunity_id": ("Opportunity ID", "Deal ID", "商机编号"),
        "type": ("Type", "Activity Type", "类型", "方式"),
        "owner": ("Owner", "负责人"),
        "notes": ("Notes", "备注", "内容"),
        "sentiment": ("Sentiment", "态度", "客户态度"),
    },
    "stages": {
        "stage": ("Stage", "阶段"),
        "probability": ("Probability", "Win %", "赢率", "概率"),
        "kind": ("Kind", "Type", "类型"),
        "stall_days": ("Stall Days", "停滞天数"),
        "follow_up_days": ("Follow-up Days", "跟进天数", "跟进周期"),
        "entered_date_field": ("Entered Date Field", "进入日期字段"),
    },
    "scoring": {
        "dimension": ("Dimension", "维度"),
        "field": ("Field", "字段"),
        "weight": ("Weight", "权重"),
        "match": ("Match", "匹配", "条件"),
        "points": ("Points", "分值", "得分"),
    },
    "criteria": {
        "stage": ("Stage", "阶段"),
        "field": ("Field", "字段"),
        "check": ("Check", "检查", "规则"),
        "value": ("Value", "值"),
        "message": ("Message", "说明", "提示"),
    },
    "notify": {  # spec §6; read by sheetfunnel.notify.people
        "name": ("Name", "姓名"),
        "role": ("Role", "角色"),
        "covers": ("Covers", "负责范围"),
        "channel": ("Channel", "渠道"),
        "mention": ("Mention", "提醒对象"),
        "email": ("Email", "邮箱"),
        "digest_at": ("Digest At", "摘要时间"),
        "language": ("Language", "语言"),
        "quiet_hours": ("Quiet Hours", "免打扰"),
    },
    "targets": {  # spec §6; read by sheetfunnel.config.targets
        "owner": ("Owner", "负责人"),
        "period": ("Period", "周期"),
        "metric": ("Metric", "指标"),
        "target": ("Target", "目标"),
    },
    "settings": {
        "key": ("Key", "Setting", "参数", "键"),
        "value": ("Value", "值"),
        "note": ("Note", "说明", "备注"),
    },
}

#: Columns the worker owns and writes; everything else in those tabs belongs to people.
OWNED_COLUMNS: dict[str, tuple[str, ...]] = {
    "opportunities": ("score", "grade", "win_pct", "weighted_amount", "stage_entered",
                      "days_in_stage", "flags"),
    "customers": ("tier", "won_total", "open_pipeline"),
}

#: Tabs the worker owns whole: it makes them, records them in ``_sheetfunnel`` (state.py) and
#: never lets one land on a people or config tab (owned_tabs.py). A new worker tab is one more
#: role here (and its names in TABS); keep the order, each role has its row in the record.
OWNED_TABS = ("summary", "attention", "history", "state", "insights", "review")

#: Owned columns of Opportunities that appear only once the win model is in use (learn.py).
MODEL_COLUMNS = ("model_win_pct", "why")

def english_name(tab_role: str, column_role: str | None = None) -> str:
    if column_role is None:
        return TABS[tab_role][0]
    return COLUMNS[tab_role][column_role][0]


def chinese_name(tab_role: str, column_role: str | None = None) -> str:
    names = TABS[tab_role] if column_role is None else COLUMNS[tab_role][column_role]
    return next((n for n in names if not n.isascii()), names[0])


def display_name(lang: str, tab_role: str, column_role: str | None = None) -> str:
    """The name ``init`` writes in ``lang`` (``en`` or ``zh``)."""
    if lang == "zh":
        return chinese_name(tab_role, column_role)
    return english_name(tab_role, column_role)


@dataclass(frozen=True)
class Resolution:
    """Which header (or tab) answered a role (None when none did)."""

    found: str | None


def resolve(role_names: Iterable[str], present: Iterable[str]) -> Resolution:
    """The first present name (in ``present``'s own spelling) matching any of ``role_names``."""
    by_key: dict[str, str] = {}
    for name in present:
        by_key.setdefault(normalise_name(name), name)
    for name in role_names:
        hit = by_key.get(normalise_name(name))
        if hit is not None:
            return Resolution(hit)
    return Resolution(None)


def tab_names(role: str, overrides: Mapping[str, str]) -> tuple[str, ...]:
    """Names for a tab role, a Settings ``tab.<role>`` override first."""
    own = overrides.get(role)
    return ((own,) if own else ()) + TABS[role]


def column_names(tab_role: str, role: str, overrides: Mapping[str, str]) -> tuple[str, ...]:
    """Names for a column role: a Settings ``column.<tab role>.<role>`` override first, then
    ``column.<role>`` (all tabs), then the role's own names."""
    own = overrides.get(f"{tab_role}.{role}") or overrides.get(role)
    return ((own,) if own else ()) + COLUMNS[tab_role].get(role, ())


def bind_roles(tab_role: str, headers: Iterable[str],
               overrides: Mapping[str, str]) -> dict[str, str]:
    """Each column role of a tab matched to a header present (one header serves one role, in the
    order of ``COLUMNS``); roles whose column is absent are left out."""
    free = list(headers)
    roles: dict[str, str] = {}
    for role in COLUMNS[tab_role]:
        hit = resolve(column_names(tab_role, role, overrides), free).found
        if hit is not None:
            roles[role] = hit
            free.remove(hit)
    return roles


def field_column(name: str, headers: Iterable[str], roles: Mapping[str, str]) -> str | None:
    """The header a Scoring/Criteria Field names in one tab: a header itself, else the column
    bound to a role (of any input tab) the Field names: ``Amount`` when ``column.amount =
    close_value``. The one lookup of config checks and the engine."""
    key = normalise_name(name)
    for header in headers:
        if normalise_name(header) == key:
            return header
    for tab_role in INPUT_TABS:
        for role, names in COLUMNS[tab_role].items():
            if role in roles and key in {normalise_name(n) for n in (role, *names)}:
                return roles[role]
    return None
