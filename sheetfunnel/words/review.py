"""The words of the weekly review (复盘) and of targets, in each language."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sheetfunnel.engine.targets import Attainment

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Weekly review — the week of {week}",
        "as_of": "As of",
        "estimated": "Weeks before {day} are estimated from dates (Created, Entered Date Fields, "
                     "close dates): History began then.",
        "estimated_all": "History holds no stage changes yet: every week is estimated from "
                         "dates (Created, Entered Date Fields, close dates).",
        "compare": "This week vs last week vs the 4-week average",
        "compare_head": ("Measure", "This week", "Last week", "4-week average", "Change"),
        "measures": {"new": "New deals", "advanced": "Deals advanced", "won": "Won deals",
                     "won_amount": "Won amount", "lost": "Lost deals",
                     "lost_amount": "Lost amount", "stalled": "Deals gone stale",
                     "weighted": "Weighted pipeline (week's end)"},
        "weeks": "Week by week",
        "weeks_head": ("Week of", "New", "Advanced", "Won", "Won amount", "Lost",
                       "Lost amount", "Source"),
        "from_history": "History",
        "from_dates": "estimated from dates",
        "chart_won": "Won amount per week",
        "weeks_target": "Won target",
        "steps": "Conversion on exits (of the deals that left a stage, the share that went on)",
        "steps_head": ("From", "To", "This week", "Last week", "4-week norm", "Left this week"),
        "velocity": "Stage velocity — days in stage of the deals that left it in the last 4 weeks",
        "velocity_head": ("Stage", "Left", "Median days", "80th percentile", "Stall Days"),
        "chart_velocity": "Median days in stage",
        "step_weeks": "Conversion on exits, week by week (the last 8 weeks)",
        "step_weeks_head": "Week of",
        "chart_steps": "Conversion per transition, by week",
        "pipeline": "Weighted pipeline per day (History's daily snapshots; blank where the "
                    "worker did not run)",
        "pipeline_head": ("Day", "Weighted pipeline"),
        "chart_pipeline": "Weighted pipeline per day",
        "slowest": "Slowest stage: {stage}.",
        "bottleneck": "Bottleneck: {source} → {target} converted {rate:.0%} this week against "
                      "its 4-week norm of {norm:.0%}.",
        "stopped": "Lost there this week: {ids}.",
        "no_bottleneck": "No step converted worse this week than its 4-week norm.",
        "cohorts": "Cohorts by created month (reached each stage, by now)",
        "cohorts_month": "Created", "cohorts_deals": "Deals", "cohorts_won": "Won",
        "step_cohorts": "Cohorts by week entered (reached the next stage within 30 days; "
                        "weeks at least 30 days old)",
        "step_cohorts_head": ("From", "To", "Entered in the week of", "Entered",
                              "Reached within 30 days", "Rate"),
        "targets": "Targets",
        "strict": "Funnel — deals that went through each stage in order (funnel_mode = strict)",
        "strict_head": ("Stage", "Went through", "Of the first stage"),
        "path_unknown": "Left out, path unknown (first seen mid-funnel or a stage skipped "
                        "without a date): {count}.",
        "targets_head": ("Owner", "Period", "Metric", "Target", "Actual", "Attainment",
                         "Still needed", "Working days left", "Per working day", "Projection",
                         "This week's target", "Pace"),
        "team": "Team",
        "summary_head": ("Owner", "Period", "Metric", "Target", "Actual", "Attainment", "Pace"),
        "pace": "needs {amount} more in {days} working days: {per_day} a day",
        "pace_met": "met",
        "pace_over": "period over",
        "pace_ahead": "not started",
        "pace_rate": "now {rate:.0%}",
        "metrics": {"won_amount": "won amount", "won_deals": "won deals",
                    "new_deals": "new deals", "conversion": "conversion {source} → {target}"},
    },
    "zh": {
        "title": "每周复盘 — {week} 这一周",
        "as_of": "截至",
        "estimated": "{day} 之前的各周按日期推算（创建日期、阶段进入日期字段、成交日期）："
                     "历史记录从那天开始。",
        "estimated_all": "历史中还没有阶段变更：每一周都按日期推算（创建日期、阶段进入日期字段、"
                         "成交日期）。",
        "compare": "本周 vs 上周 vs 近 4 周平均",
        "compare_head": ("指标", "本周", "上周", "近 4 周平均", "变化"),
        "measures": {"new": "新增商机", "advanced": "推进商机", "won": "赢单数",
                     "won_amount": "赢单金额", "lost": "输单数", "lost_amount": "输单金额",
                     "stalled": "新停滞商机", "weighted": "加权管道（周末）"},
        "weeks": "逐周",
        "weeks_head": ("周起始", "新增", "推进", "赢单", "赢单金额", "输单", "输单金额", "来源"),
        "from_history": "历史记录",
        "from_dates": "按日期推算",
        "chart_won": "每周赢单金额",
        "weeks_target": "赢单目标",
        "steps": "按离开计算的转化率（离开某阶段的商机中继续推进的比例）",
        "steps_head": ("从", "到", "本周", "上周", "近 4 周常态", "本周离开"),
        "velocity": "阶段速度 — 近 4 周离开各阶段的商机在该阶段停留的天数",
        "velocity_head": ("阶段", "离开数", "中位天数", "80 分位天数", "停滞天数"),
        "chart_velocity": "阶段停留中位天数",
        "step_weeks": "逐周按离开计算的转化率（近 8 周）",
        "step_weeks_head": "周起始",
        "chart_steps": "各阶段转化率（逐周）",
        "pipeline": "每日加权在途金额（历史中的每日快照；未运行的日子留空）",
        "pipeline_head": ("日期", "加权在途金额"),
        "chart_pipeline": "每日加权在途金额",
        "slowest": "最慢的阶段：{stage}。",
        "bottleneck": "瓶颈：{source} → {target} 本周转化 {rate:.0%}，近 4 周常态为 {norm:.0%}。",
        "stopped": "本周在此输单：{ids}。",
        "no_bottleneck": "本周没有哪一步比近 4 周常态更差。",
        "cohorts": "按创建月份的批次（截至目前到达各阶段）",
        "cohorts_month": "创建月份", "cohorts_deals": "商机数", "cohorts_won": "赢单",
        "step_cohorts": "按进入周的批次（30 天内到达下一阶段；只列满 30 天的周）",
        "step_cohorts_head": ("从", "到", "进入周", "进入数", "30 天内到达", "比例"),
        "targets": "目标",
        "strict": "漏斗 — 按顺序经过每个阶段的商机（funnel_mode = strict）",
        "strict_head": ("阶段", "按序经过", "占首阶段"),
        "path_unknown": "路径未知而未计入（首次出现即在漏斗中段，或跳过的阶段没有日期）："
                        "{count} 个。",
        "targets_head": ("负责人", "周期", "指标", "目标", "实际", "达成率", "尚差",
                         "剩余工作日", "每工作日需", "预测", "本周目标", "进度"),
        "team": "团队",
        "summary_head": ("负责人", "周期", "指标", "目标", "实际", "达成率", "进度"),
        "pace": "还差 {amount}，剩 {days} 个工作日：每天 {per_day}",
        "pace_met": "已达成",
        "pace_over": "周期已结束",
        "pace_ahead": "尚未开始",
        "pace_rate": "当前 {rate:.0%}",
        "metrics": {"won_amount": "赢单金额", "won_deals": "赢单数", "new_deals": "新增商机",
                    "conversion": "转化率 {source} → {target}"},
    },
}


def texts(lang: str) -> dict[str, Any]:
    return TEXTS[lang]


def metric_text(metric: str, source: str | None, target: str | None, lang: str) -> str:
    return TEXTS[lang]["metrics"][metric].format(source=source, target=target)


def pace_sentence(a: Attainment, currency: str, lang: str) -> str:
    """needs ¥120,000 more in 9 working days: ¥13,333 a day — or met, or the rate so far."""
    words = TEXTS[lang]
    t = a.target
    if t.metric == "conversion":
        return words["pace_rate"].format(rate=a.actual) if a.actual is not None else ""
    if a.remaining <= 0:
        return words["pace_met"]
    if not a.running:
        return words["pace_over"] if a.days_left == 0 else words["pace_ahead"]
    def shown(value: float) -> str:
        text = f"{value:,.0f}"
        return f"{currency}{text}" if t.metric == "won_amount" else text
    per_day = a.per_day if a.per_day is not None else a.remaining
    return words["pace"].format(amount=shown(a.remaining), days=a.days_left,
                                per_day=shown(per_day) if t.metric == "won_amount"
                                else f"{per_day:,.1f}")
