"""The words of digests and notices, in each language the worker speaks (same keys in both)."""

from __future__ import annotations

NOTIFY: dict[str, dict[str, str]] = {
    "en": {
        "rep_title": "Deals that need you — {name}",
        "manager_title": "Pipeline digest — {name}",
        "escalation_title": "Needs attention now",
        "folded_title": "sheetfunnel digest",
        "resolved": "Resolved since last time",
        "next_step": "next step",
        "no_next_step": "no next step",
        "row": "{tab} row {row}",
        "open": "open",
        "counts": "Open flags by owner",
        "new": "New since the last digest",
        "top": "Top deals at risk (weighted)",
        "headline": "Open {open_count} deals · {open_amount} · weighted {weighted_pipeline} · "
                    "won this month {won_this_month}",
        "attention": "See the Attention tab",
        "more": "…and {n} more — see the Attention tab",
        "escalated_after": "open for {days} days",
        "for": "for {name}",
        "admin_title": "sheetfunnel could not finish a run",
        "admin_body": "Workbook: {workbook}\nWhat: {what}\nSince: {since}",
        "test": "Test message from sheetfunnel: channel {channel} works.",
    },
    "zh": {
        "rep_title": "需要你跟进的商机 — {name}",
        "manager_title": "销售漏斗摘要 — {name}",
        "escalation_title": "需立即关注",
        "folded_title": "sheetfunnel 摘要",
        "resolved": "自上次以来已解决",
        "next_step": "下一步",
        "no_next_step": "未填写下一步",
        "row": "{tab} 第 {row} 行",
        "open": "打开",
        "counts": "各负责人未处理提醒",
        "new": "自上次摘要以来新增",
        "top": "风险最高的商机（加权金额）",
        "headline": "在途 {open_count} 个商机 · {open_amount} · 加权 {weighted_pipeline} · "
                    "本月赢单 {won_this_month}",
        "attention": "查看待处理页",
        "more": "……另有 {n} 条 — 见待处理页",
        "escalated_after": "已持续 {days} 天",
        "for": "负责人 {name}",
        "admin_title": "sheetfunnel 运行未完成",
        "admin_body": "工作簿：{workbook}\n问题：{what}\n起始：{since}",
        "test": "来自 sheetfunnel 的测试消息：渠道 {channel} 正常。",
    },
}


def notify_words(lang: str) -> dict[str, str]:
    return NOTIFY["zh" if lang == "zh" else "en"]
