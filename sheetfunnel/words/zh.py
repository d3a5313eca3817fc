"""中文: every text and heading the worker writes into a Chinese workbook (same keys as en)."""

from __future__ import annotations

from typing import Any

FLAG_NAMES = {
    "DUPLICATE_ID": "编号重复", "UNKNOWN_STAGE": "未知阶段", "INVALID_VALUE": "无法识别的值",
    "MISSING_CRITERIA": "未满足准入标准", "CLOSE_DATE_PASSED": "已过预计成交日期",
    "NO_FIRST_RESPONSE": "未首次响应", "FOLLOW_UP_OVERDUE": "跟进超时",
    "NEXT_STEP_OVERDUE": "下一步已逾期",
    "STALLED": "阶段停滞", "NEGATIVE_SIGNAL": "负面信号",
}

FLAG_DETAILS = {
    "DUPLICATE_ID": "编号 {0} 出现在第 {1} 行",
    "UNKNOWN_STAGE": "阶段“{0}”不在阶段表中",
    "EMPTY_STAGE": "阶段为空",
    "INVALID_VALUE": "{0}",
    "MISSING_CRITERIA": "{0}",
    "CLOSE_DATE_PASSED": "预计成交日期 {0} 已过",
    "NO_FIRST_RESPONSE": "创建于 {0}，至今没有跟进",
    "FOLLOW_UP_OVERDUE": "已 {0} 天未跟进（应每 {1} 天跟进）",
    "NEXT_STEP_OVERDUE": "下一步截止于 {0}",
    "STALLED": "在“{0}”阶段停留 {1} 天（上限 {2}）",
    "NEGATIVE_SIGNAL": "最近一次跟进（{0}）客户态度负面",
}

#: 未通过的准入检查，按检查类型；{0} 字段，{1} 读到的值，{2} 规则。
CRITERIA_WORDS = {
    "missing": "缺少：", "separator": "；", "list": "、",
    "is": "{0}为 {1}，{2}", "after_today": "{0} {1} 晚于今天",
    "empty": "{0}为空，{1}",
    "eq": "须为 {0}", "ne": "不能为 {0}", "gt": "须 > {0}", "ge": "须 >= {0}",
    "lt": "须 < {0}", "le": "须 <= {0}", "in": "须为 {0} 之一",
    "not_in": "不能为 {0} 之一", "on_or_before_today": "须不晚于今天",
}

OWNED_NOTE = "由 sheetfunnel 维护，每次运行都会重写。请在其他列中填写。"

ATTENTION_HEADERS = ("编号", "商机名称", "负责人", "阶段", "金额", "评分", "等级", "提醒", "说明",
                     "下一步", "起始日期")
HISTORY_HEADERS = ("时间", "类型", "商机编号", "原阶段", "新阶段")
HISTORY_KINDS = ("阶段变更", "快照", "每日快照")  # "快照": the old form
HISTORY_LEGENDS = ("阶段：商机数 · 金额 · 加权金额", "负责人：进行中 · 赢单 · 输单")

RUN_LINES = {
    "read": "{book}，截至 {day}：读取了 {opportunities} 个商机、{customers} 个客户、"
            "{activities} 条跟进记录。",
    "error": "错误", "warning": "警告", "config": "配置：{status}。",
    "flags": "提醒", "flag": "提醒", "count": "数量",
    "written": "写入了 {cells} 个单元格{quiet}。请打开这些表：{tabs}。",
    "quiet": "（自上次运行以来没有变化）", "sep": "、",
}

SUMMARY: dict[str, Any] = {
    "title": "销售漏斗汇总", "as_of": "统计日期", "rows": "读取行数",
    "rows_text": "商机 {opportunities} · 客户 {customers} · 跟进 {activities}",
    "config": "配置", "changed": "表格最近变更", "problem": "问题",
    "status": {"ok": "正常", "broken, using last good": "有误，沿用上次正确的配置",
               "broken, no good config": "有误，没有可用的配置"},
    "severity": {"error": "错误", "warning": "提醒"},
    "more_problems": "还有 {count} 条 — 运行 `sheetfunnel check` 查看",
    "kpis": "核心指标", "open_count": "在途商机数", "open_amount": "在途金额",
    "weighted_pipeline": "加权管道", "won_this_month": "本月赢单",
    "won_amount_this_month": "本月赢单金额", "lost_this_month": "本月输单",
    "lost_amount_this_month": "本月输单金额",
    "win_rate": "赢单率", "avg_cycle_days": "平均成交周期（天）",
    "undated_deals": "阶段日期未知的商机",
    "funnel": "销售漏斗",
    "funnel_head": ("阶段", "到达", "当前", "上一阶段转化率", "首阶段转化率", "在途金额",
                    "加权金额", "平均停留天数", "离开前停留天数（均值）",
                    "离开前停留天数（中位数）"),
    "forecast": "按预计成交月份预测", "forecast_head": ("月份", "商机数", "金额", "加权金额"),
    "no_date": "(未填日期)",
    "owners": "按负责人",
    "owners_head": ("负责人", "在途", "赢单", "输单", "赢单率", "赢单金额", "加权在途",
                    "按时跟进率"),
    "sources": "按来源", "sources_head": ("来源", "商机数", "赢单", "转化率"),
    "lost": "输单原因", "lost_head": ("原因", "商机数", "占比", "金额"),
    "flags": "各负责人提醒数", "flags_owner": "负责人", "flags_total": "合计",
    "chart": "销售漏斗：到达各阶段的商机数",
    "bottleneck": "瓶颈（转化率最低）", "run": "本次运行",
    "placeholders": {"(none)": "(未填写)"},
}
