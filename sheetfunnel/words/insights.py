"""The words of the win model and the Insights tab, in each language: the reasons a rep reads
in the Why column, why the model is not used, and the sentences of the scorecard check and the
A/B comparisons."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, Any]] = {
    "en": {
        "title": "Insights — what your closed deals say",
        "blank": "blank", "other": "other values",
        "factor": "{arrow} {field} {value} ({points} pts; {rate:.0%} of {deals:,} past deals won)",
        "equals": "= {value}",
        "status": {
            "trained": "The win model is in use: trained on {won:,} won and {lost:,} lost "
                       "closed deals.",
            "not_enough_history": "Not enough history: {won:,} won / {lost:,} lost closed "
                                  "deals (the model needs {min_won:,} / {min_lost:,}). The "
                                  "scorecard and the stages' probabilities are used.",
            "no_signal": "Your closed deals show no pattern the fields can predict (holdout "
                         "AUC {auc:.2f}, 95% interval {low:.2f}–{high:.2f}). The scorecard and "
                         "the stages' probabilities are used.",
        },
        "quality": "Model quality",
        "as_of": "As of",
        "history": "Closed deals (won / lost)",
        "split": "Holdout",
        "split_time": "the latest {count:,} closed deals by Close Date",
        "split_random": "{count:,} closed deals drawn at random (fixed seed; no close dates)",
        "auc": "Holdout AUC (95% interval)",
        "brier": "Brier score (base rate alone)",
        "fields": "Fields learned from",
        "uses": "Weighted pipeline uses",
        "uses_kind": {"stage": "the stages' probabilities", "model": "the model",
                      "blend": "{weight:.0%} model, {rest:.0%} stage probability"},
        "calibration": "Calibration on the holdout",
        "calibration_head": ("Model said", "Deals", "Average said", "Won"),
        "calibration_row": "{low:.0%}–{high:.0%}",
        "traits": "Won-deal traits (closed deals)",
        "traits_head": ("Field", "Value", "Deals", "Won", "Win rate", "Lift", "95% from",
                        "95% to", "Verdict"),
        "verdict": {"higher": "wins more (significant)", "lower": "wins less (significant)",
                    "none": "no clear difference", "few": "too few to tell"},
        "scorecard": "Scorecard check (closed deals)",
        "scorecard_head": ("Scorecard", "Level", "Deals", "Won", "Win rate"),
        "grade": "Grade", "points": "{points} points",
        "grade_backwards": "Grade {high} deals won {high_rate:.0%}, grade {low} "
                           "{low_rate:.0%}: the scorecard ranks backwards.",
        "points_backwards": "{scope}: deals given {low} points won {low_rate:.0%}, deals "
                            "given {high} points {high_rate:.0%}: the weights disagree with "
                            "your results.",
        "scorecard_fine": "The scorecard's order agrees with your results.",
        "scores_like": "{scope}: {value} wins {lift:.1f}× the average but scores like {like}.",
        "suggested": "Suggested weights — a suggestion only: nothing changes until an admin "
                     "edits the Scoring tab",
        "suggested_head": ("Dimension", "Weight now", "Suggested"),
        "suggested_method": "Method: a logistic regression of won against lost closed deals "
                            "on each dimension's points (no weight below 0), scaled to the "
                            "same total as the weights now.",
        "ab": "A/B comparison: {field}",
        "ab_head": ("Variant", "From", "To", "Deals", "Converted", "Rate", "Others", "p",
                    "Verdict"),
        "ab_overall": "closed", "ab_won": "won",
        "ab_real": "{variant}: {rate:.0%} vs {other:.0%} {step}, p = {p:.2g} — a real "
                   "difference",
        "ab_wait": "{variant}: {rate:.0%} vs {other:.0%} {step}, p = {p:.2g} — not enough "
                   "deals to tell yet: need about {needed:,} more per variant",
        "ab_same": "{variant}: {rate:.0%} vs {other:.0%} {step} — no difference seen",
        "ab_step": "from {source} to {target}",
        "ab_closed": "of closed deals won",
        "ab_none": "Set Settings ab_field to a column holding the variant (a script, an "
                   "email template, a follow-up cadence) to compare them here.",
    },
    "zh": {
        "title": "洞察 — 已结商机说明了什么",
        "blank": "空白", "other": "其他值",
        "factor": "{arrow} {field} {value}（{points} 个百分点；过往 {deals:,} 单中赢 {rate:.0%}）",
        "equals": "= {value}",
        "status": {
            "trained": "赢单模型已启用：基于 {won:,} 个赢单和 {lost:,} 个输单训练。",
            "not_enough_history": "历史不足：已结商机 {won:,} 赢 / {lost:,} 输（模型需要 "
                                  "{min_won:,} / {min_lost:,}），仍使用评分卡和阶段赢率。",
            "no_signal": "已结商机中没有字段能预测的规律（留出集 AUC {auc:.2f}，95% 区间 "
                         "{low:.2f}–{high:.2f}），仍使用评分卡和阶段赢率。",
        },
        "quality": "模型质量",
        "as_of": "截至",
        "history": "已结商机（赢 / 输）",
        "split": "留出集",
        "split_time": "按成交日期最近的 {count:,} 个已结商机",
        "split_random": "随机抽取的 {count:,} 个已结商机（固定种子；无成交日期）",
        "auc": "留出集 AUC（95% 区间）",
        "brier": "Brier 分数（仅用基准赢率）",
        "fields": "学习的字段",
        "uses": "加权金额使用",
        "uses_kind": {"stage": "阶段赢率", "model": "模型赢率",
                      "blend": "{weight:.0%} 模型 + {rest:.0%} 阶段赢率"},
        "calibration": "留出集校准",
        "calibration_head": ("模型预测", "商机数", "平均预测", "实际赢率"),
        "calibration_row": "{low:.0%}–{high:.0%}",
        "traits": "高转化客户特征（已结商机）",
        "traits_head": ("字段", "值", "商机数", "赢单", "赢率", "提升", "95% 下限", "95% 上限",
                        "结论"),
        "verdict": {"higher": "显著更高", "lower": "显著更低", "none": "无明显差异",
                    "few": "样本太少"},
        "scorecard": "评分卡检验（已结商机）",
        "scorecard_head": ("评分项", "档位", "商机数", "赢单", "赢率"),
        "grade": "等级", "points": "{points} 分",
        "grade_backwards": "{high} 级商机赢率 {high_rate:.0%}，{low} 级 {low_rate:.0%}："
                           "评分卡排序与结果相反。",
        "points_backwards": "{scope}：{low} 分的商机赢率 {low_rate:.0%}，{high} 分的 "
                            "{high_rate:.0%}：权重与实际结果不符。",
        "scorecard_fine": "评分卡的排序与实际结果一致。",
        "scores_like": "{scope}：{value} 的赢率是平均的 {lift:.1f} 倍，评分却与 {like} 相同。",
        "suggested": "建议权重 — 仅供参考：管理员修改评分卡之前不会生效",
        "suggested_head": ("评分项", "当前权重", "建议权重"),
        "suggested_method": "方法：以各评分项的得分对已结商机的赢单与输单做逻辑回归（权重不小于 "
                            "0），再按当前权重的总和等比缩放。",
        "ab": "A/B 对比：{field}",
        "ab_head": ("版本", "从", "到", "商机数", "转化", "转化率", "其他版本", "p", "结论"),
        "ab_overall": "已结", "ab_won": "赢单",
        "ab_real": "{variant}：{rate:.0%} 对 {other:.0%}（{step}），p = {p:.2g} — 差异真实",
        "ab_wait": "{variant}：{rate:.0%} 对 {other:.0%}（{step}），p = {p:.2g} — 样本还不够："
                   "每个版本约需再有 {needed:,} 个商机",
        "ab_same": "{variant}：{rate:.0%} 对 {other:.0%}（{step}）— 未见差异",
        "ab_step": "从{source}到{target}",
        "ab_closed": "已结商机的赢率",
        "ab_none": "在设置中把 ab_field 设为记录版本的列（话术、邮件模板、跟进频率），"
                   "即可在此对比。",
    },
}


def texts(lang: str) -> dict[str, Any]:
    return TEXTS[lang]


def value_text(value: str | None, numeric: bool, lang: str) -> str:
    """``= Referral``, ``blank`` or a number range such as ``< 50``."""
    words = TEXTS[lang]
    if value is None:
        return words["blank"]
    if value == "":
        return words["other"]
    return value if numeric else words["equals"].format(value=value)


def factor_text(field: str, value: str | None, numeric: bool, points: float, won: int,
                deals: int, lang: str) -> str:
    """▲ Source = Referral (+12 pts; 41% of 230 past deals won)."""
    shown = round(points * 100)
    return TEXTS[lang]["factor"].format(
        arrow="▲" if points > 0 else "▼", field=field, value=value_text(value, numeric, lang),
        points=f"{'+' if points > 0 else '−'}{abs(shown)}",
        rate=won / deals if deals else 0.0, deals=deals)
