"""The engine, end to end on small sheets: one golden test per flag, typed values, scores,
criteria, customers, IDs and stage memory. "Today" is fixed (2026-11-24)."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from sheetfunnel.config import Config, Settings
from sheetfunnel.engine.model import Evaluation, StageMemory
from sheetfunnel.plan import IOStats
from sheetfunnel.report import build_report, report_json
from sheetfunnel.summary import RunHeader, summarize
from tests.support.engine import CONFIG, judge, row

AS_OF = dt.date(2026, 11, 24)
D = dt.date

def flagged(evaluation: Evaluation, code: str) -> list[tuple[int, str, dt.date | None]]:
    hits = evaluation.flags[evaluation.flags["code"] == code].sort_values("row")
    return list(zip(hits["row"], hits["detail"], hits["since"], strict=True))


def test_a_clean_deal_raises_no_flag():
    result = judge(row())
    assert result.flags.empty
    assert result.deals.loc[2, "flag_codes"] == ()
    assert result.deals.loc[2, "flags_text"] is None


# ------------------------------------------------------------------------- one test per flag


def test_follow_up_overdue_fires_on_the_follow_up_days_th_day():
    result = judge(row(ID="OPP-1", Last_Activity="2026-11-15"),
                   row(ID="OPP-2", Last_Activity="2026-11-17"),
                   row(ID="OPP-3", Last_Activity="2026-11-01", Stage="Won"),
                   row(ID="OPP-4", Last_Activity="2026-11-18"))
    assert flagged(result, "FOLLOW_UP_OVERDUE") == [
        (2, "No follow-up for 9 days (follow up every 7)", D(2026, 11, 22)),
        (3, "No follow-up for 7 days (follow up every 7)", D(2026, 11, 24))]
    assert result.deals.loc[2, "flags_text"] == "⏰ No follow-up for 9 days (follow up every 7)"


def test_follow_up_counts_the_latest_of_the_cell_and_the_activities_tab():
    result = judge(row(ID="OPP-1", Last_Activity="2026-11-01"),
                   activities=[["2026-11-22", "OPP-1", "neutral"]])
    assert result.deals.loc[2, "last_activity"] == pd.Timestamp("2026-11-22")
    assert flagged(result, "FOLLOW_UP_OVERDUE") == []


def test_stalled():
    result = judge(row(ID="OPP-1", Stage="Proposal", Proposal_Sent="2026-10-01"),
                   row(ID="OPP-2", Stage="Proposal", Proposal_Sent="2026-11-03"))
    # more than Stall Days: day 22 of a 21-day limit, and Since is that day
    assert flagged(result, "STALLED") == [(2, "54 days in Proposal (limit 21)", D(2026, 10, 23))]
    assert result.deals["days_in_stage"].tolist() == [54.0, 21.0]


def test_close_date_passed():
    result = judge(row(ID="OPP-1", Expected_Close="2026-11-23"),
                   row(ID="OPP-2", Expected_Close="2026-11-24"),
                   row(ID="OPP-3", Expected_Close="2026-11-01", Stage="Won"))
    assert flagged(result, "CLOSE_DATE_PASSED") == [
        (2, "Expected close 2026-11-23 has passed", D(2026, 11, 24))]


def test_no_first_response():
    result = judge(row(ID="OPP-1", Created="2026-11-23", Last_Activity=None),
                   row(ID="OPP-2", Created="2026-11-24", Last_Activity=None),
                   row(ID="OPP-3", Created="2026-11-01", Last_Activity=None),
                   activities=[["2026-11-02", "OPP-3", None]])
    assert flagged(result, "NO_FIRST_RESPONSE") == [
        (2, "No activity since it was created on 2026-11-23", D(2026, 11, 23))]


def test_negative_signal_reads_the_latest_activity_only():
    result = judge(row(ID="OPP-1"), row(ID="OPP-2"), row(ID="OPP-3"),
                   row(ID="OPP-4", Stage="Lost", Lost_Reason="Price"),
                   activities=[["2026-11-10", "OPP-1", "positive"],
                               ["2026-11-20", "OPP-1", "Negative"],
                               ["2026-11-10", "OPP-2", "negative"],
                               ["2026-11-21", "OPP-2", "positive"],
                               ["2026-11-22", "OPP-3", "负面"],
                               ["2026-11-22", "OPP-4", "negative"]])
    assert flagged(result, "NEGATIVE_SIGNAL") == [
        (2, "Latest activity (2026-11-20) was negative", D(2026, 11, 20)),
        (4, "Latest activity (2026-11-22) was negative", D(2026, 11, 22))]


def test_missing_criteria_cumulative_won_and_lost():
    result = judge(row(ID="OPP-1", Stage="Qualified", Decision_Maker=None),
                   row(ID="OPP-2", Stage="Proposal", Budget=None, Amount=0),
                   row(ID="OPP-3", Stage="Won", Budget=""),
                   row(ID="OPP-4", Stage="Lost"),
                   row(ID="OPP-5", Stage="Lost", Budget=None, Lost_Reason="Price"),
                   row(ID="OPP-6", Stage="Lead", Budget=None))
    assert flagged(result, "MISSING_CRITERIA") == [  # since Stage Entered: none is dated
        (2, "Missing: Decision Maker", None),
        (3, "Missing: Budget; Amount is 0, must be > 0", None),
        (4, "Missing: Budget", None), (5, "Missing: Lost Reason", None)]
    assert result.deals.loc[3, "flags_text"] == "⛔ Missing: Budget; Amount is 0, must be > 0"


def test_criteria_not_cumulative_checks_the_own_stage_only():
    config = Config(CONFIG.stages, CONFIG.dimensions, CONFIG.criteria,
                    Settings(criteria_cumulative=False))
    result = judge(row(Stage="Proposal", Budget=None), config=config)
    assert flagged(result, "MISSING_CRITERIA") == []


def test_unknown_stage_and_empty_stage():
    result = judge(row(ID="OPP-1", Stage="Someday"), row(ID="OPP-2", Stage=None),
                   row(ID="OPP-3", Stage=" proposal ", Proposal_Sent="2026-11-20"))
    assert flagged(result, "UNKNOWN_STAGE") == [
        (2, "Stage “Someday” is not in the Stages tab", None), (3, "Stage is empty", None)]
    assert result.deals["stage"].tolist() == ["Someday", None, "Proposal"]
    assert result.deals["stage_index"].tolist() == [-1, -1, 2]
    assert result.deals["kind"].tolist() == [None, None, "open"]


def test_duplicate_id_on_every_row_sharing_it():
    result = judge(row(ID="OPP-7"), row(ID="OPP-8"), row(ID="OPP-7"))
    assert flagged(result, "DUPLICATE_ID") == [(2, "ID OPP-7 is on rows 2, 4", None),
                                               (4, "ID OPP-7 is on rows 2, 4", None)]


def test_invalid_value_names_each_cell_of_a_garbage_row():
    garbage = ["", "??", "!!", "!!", "not a stage", "lots", "someday", "soon", "yesterday",
               "maybe", "hmm", "very", "later", "x"]
    result = judge(row(), garbage)
    assert sorted(d for _, d, _ in flagged(result, "INVALID_VALUE")) == [
        "Opportunities!F3: “lots” is not a number or amount",
        "Opportunities!G3: “someday” is not a date (try YYYY-MM-DD)",
        "Opportunities!H3: “soon” is not a date (try YYYY-MM-DD)",
        "Opportunities!I3: “yesterday” is not a date (try YYYY-MM-DD)",
        "Opportunities!L3: “very” is not a number or amount",
        "Opportunities!M3: “later” is not a date (try YYYY-MM-DD)",
    ]
    deal = result.deals.loc[3]
    assert pd.isna(deal["amount"]) and pd.isna(deal["created"])
    assert deal["flag_codes"] == ("UNKNOWN_STAGE", "INVALID_VALUE")
    assert result.flags[result.flags["row"] == 2].empty


def test_unreadable_activity_date_is_flagged_on_its_deal():
    result = judge(row(ID="OPP-1"), activities=[["next week", "OPP-1", None]])
    assert flagged(result, "INVALID_VALUE") == [
        (2, "Activities!A2: “next week” is not a date (try YYYY-MM-DD)", None)]


def test_flags_are_sorted_by_severity_then_weighted_amount_and_the_cell_reads_well():
    result = judge(row(ID="OPP-1", Owner="Zoe", Last_Activity="2026-11-10"),
                   row(ID="OPP-2", Owner="Ann", Last_Activity="2026-11-10",
                       Stage="Qualified", Decision_Maker=None))
    assert result.flags[["row", "code"]].values.tolist() == [
        [3, "FOLLOW_UP_OVERDUE"], [2, "FOLLOW_UP_OVERDUE"], [3, "MISSING_CRITERIA"]]
    assert result.deals.loc[3, "flags_text"] == (
        "⏰ No follow-up for 14 days (follow up every 7) · ⛔ Missing: Decision Maker")
    assert result.deals.loc[3, "flag_codes"] == ("FOLLOW_UP_OVERDUE", "MISSING_CRITERIA")


def test_chinese_workbook_gets_chinese_sentences():
    result = judge(row(Last_Activity="2026-11-15"), tab="商机")
    assert result.deals.loc[2, "flags_text"] == "⏰ 已 9 天未跟进（应每 7 天跟进）"


# -------------------------------------------------------------------- values read by the engine


@pytest.mark.parametrize(("typed", "amount"), [
    (1200, 1200.0), ("¥1,200", 1200.0), ("$1,200.50", 1200.5), ("1.2k", 1200.0),
    ("50万", 500000.0), ("1.5亿", 150000000.0), ("１，０００", 1000.0)])
def test_amount_forms(typed, amount):
    result = judge(row(Amount=typed, Stage="Qualified"))
    assert result.deals.loc[2, "amount"] == amount
    assert result.deals.loc[2, "weighted_amount"] == pytest.approx(amount * 0.2)


def test_a_repeated_id_recalls_nothing_so_a_rerun_judges_it_the_same():
    rows = (row(ID="OPP-1", Stage="Proposal", Proposal_Sent="2026-10-01"),
            row(ID="OPP-1", Stage="Proposal"))
    first = judge(*rows)
    again = judge(*rows, memory=first.memory)
    assert again.deals["stage_entered"].tolist() == first.deals["stage_entered"].tolist() == [
        pd.Timestamp("2026-10-01"), pd.NaT]


def test_amounts_beyond_any_number_true_false_and_two_signs_are_invalid_and_0_stays_0():
    typed = {2: "9" * 400, 3: float("inf"), 4: False, 5: 0, 6: "TRUE", 7: "--5", 8: True, 9: 1}
    result = judge(*(row(ID=f"OPP-{r}", Amount=a, Stage="Qualified") for r, a in typed.items()))
    assert {r for r, _, _ in flagged(result, "INVALID_VALUE")} == {2, 3, 4, 6, 7, 8}
    amounts = result.deals["amount"]
    assert amounts[5] == 0 and amounts[9] == 1 and amounts[[2, 3, 4, 6, 7, 8]].isna().all()
    assert result.deals["weighted_amount"].sum() == pytest.approx(0.2)
    header = RunHeader(AS_OF, dict(result.counts), "ok")
    report = build_report(summarize(result, CONFIG, header), result, io=IOStats(), seconds=0.0)
    assert json.loads(report_json(report))["opportunities"][1]["weighted_amount"] is None


@pytest.mark.parametrize(("typed", "order"), [
    (D(2026, 3, 1), "ymd"), (dt.datetime(2026, 3, 1, 9, 30), "ymd"), (46082, "ymd"),
    ("2026-03-01", "ymd"), ("2026/3/1", "ymd"), ("1/3/2026", "dmy"), ("3/1/2026", "mdy"),
    ("2026年3月1日", "ymd")])
def test_date_forms(typed, order):
    config = Config(CONFIG.stages, CONFIG.dimensions, CONFIG.criteria,
                    Settings(date_order=order))
    result = judge(row(Created=typed), config=config)
    assert result.deals.loc[2, "created"] == pd.Timestamp("2026-03-01")
    assert flagged(result, "INVALID_VALUE") == []


# ------------------------------------------------------------------------- scores and grades

CUSTOMERS = [["Customer ID", "Name", "Industry"], ["C1", "Acme", "Software"],
             ["C2", "Beta", "Retail"], ["C3", "Gamma", "Mining"]]


def test_scores_use_customer_fields_and_the_first_matching_rule():
    result = judge(row(ID="OPP-1", Customer_ID="C1", Budget="approved", Intent=10),
                   row(ID="OPP-2", Customer_ID="C2", Budget="Planned", Intent=14),
                   row(ID="OPP-3", Customer_ID="C9", Budget="No idea", Intent=None),
                   customers=CUSTOMERS)
    # max = 3×10 + 2×10 + 1×10 = 60
    assert result.deals["score_raw"].tolist() == [60.0, 31.0, 0.0]
    assert result.deals["score"].round(2).tolist() == [100.0, 51.67, 0.0]
    assert result.deals["grade"].tolist() == ["A", "C", "D"]


def test_raw_scale_grades_on_the_raw_score():
    config = Config(CONFIG.stages, CONFIG.dimensions, CONFIG.criteria,
                    Settings(score_scale="raw", grade_a=50, grade_b=30, grade_c=10))
    result = judge(row(Customer_ID="C2", Budget="Planned", Intent=10), customers=CUSTOMERS,
                   config=config)
    assert result.deals.loc[2, "score_raw"] == 31.0  # 3×3 (any) + 2×6 + 1×10
    assert result.deals.loc[2, "grade"] == "B"


def test_win_probability_and_weighted_amount_by_stage():
    result = judge(row(ID="OPP-1", Stage="Proposal", Proposal_Sent="2026-11-20"),
                   row(ID="OPP-2", Stage="Won"),
                   row(ID="OPP-3", Stage="Lost", Lost_Reason="Price"),
                   row(ID="OPP-4", Stage="Nope"))
    assert result.deals["win_probability"].tolist()[:3] == [0.6, 1.0, 0.0]
    assert result.deals["weighted_amount"].tolist()[:3] == [600.0, 1000.0, 0.0]
    assert pd.isna(result.deals.loc[5, "win_probability"])


def test_customer_tier_won_total_and_open_pipeline():
    result = judge(row(ID="OPP-1", Customer_ID="C1", Stage="Won", Amount=500),
                   row(ID="OPP-2", Customer_ID="C1", Amount="2k", Budget=None, Intent=0),
                   row(ID="OPP-3", Customer_ID="C2", Stage="Lost", Lost_Reason="Price"),
                   customers=CUSTOMERS)
    assert result.customers.to_dict("index") == {
        2: {"customer_id": "C1", "tier": "A", "won_total": 500.0, "open_pipeline": 2000.0},
        3: {"customer_id": "C2", "tier": "D", "won_total": 0.0, "open_pipeline": 0.0},
        4: {"customer_id": "C3", "tier": None, "won_total": 0.0, "open_pipeline": 0.0},
    }


def test_blank_ids_get_the_next_number_deterministically():
    rows = [row(ID="OPP-000041"), row(ID=None), row(ID="opp-000007"), row(ID=None)]
    first, second = judge(*rows), judge(*rows)
    assert first.new_ids == second.new_ids == {3: "OPP-000042", 5: "OPP-000043"}
    assert first.deals["id"].tolist() == ["OPP-000041", "OPP-000042", "opp-000007",
                                          "OPP-000043"]


def test_no_ids_assigned_when_switched_off():
    config = Config(CONFIG.stages, CONFIG.dimensions, CONFIG.criteria,
                    Settings(assign_ids=False))
    result = judge(row(ID=None), config=config)
    assert result.new_ids == {} and result.deals.loc[2, "id"] is None


# ----------------------------------------------------------------------------- stage memory


def test_a_stage_change_between_runs_is_a_transition_and_resets_days_in_stage():
    first = judge(row(Stage="Lead", Created="2026-11-01"), as_of=D(2026, 11, 1))
    assert first.transitions.empty
    later = judge(row(Stage="Lead", Created="2026-11-01"), as_of=D(2026, 11, 20),
                  memory=first.memory)
    assert later.deals.loc[2, "days_in_stage"] == 19.0
    moved = judge(row(Stage="Qualified"), as_of=AS_OF, memory=later.memory)
    assert moved.transitions.to_dict("records") == [
        {"id": "OPP-000001", "from_stage": "Lead", "to_stage": "Qualified", "at": AS_OF}]
    assert moved.deals.loc[2, "stage_entered"] == pd.Timestamp(AS_OF)
    assert moved.deals.loc[2, "days_in_stage"] == 0.0
    assert moved.memory.entries.loc["OPP-000001"].tolist() == ["Qualified", AS_OF, D(2026, 11, 1)]
    again = judge(row(Stage="Qualified"), as_of=D(2026, 11, 30), memory=moved.memory)
    assert again.transitions.empty and again.deals.loc[2, "days_in_stage"] == 6.0


def test_history_dates_the_stage_on_first_sight_and_proves_stages_reached():
    history = pd.DataFrame({"id": ["OPP-000001", "OPP-000001"],
                            "from_stage": ["Lead", "Qualified"], "to_stage": ["Qualified", "Lost"],
                            "at": [D(2026, 10, 2), D(2026, 11, 3)]}, dtype=object)
    result = judge(row(Stage="Lost", Lost_Reason="Price"), history=history)
    assert result.deals.loc[2, "stage_entered"] == pd.Timestamp("2026-11-03")
    assert result.deals.loc[2, "days_in_stage"] == 21.0
    assert result.deals.loc[2, "proven_index"] == 1
    assert result.transitions.empty


def test_entered_date_field_wins_and_proves_the_stage():
    memory = StageMemory(pd.DataFrame({"stage": ["Qualified"], "entered": [D(2026, 9, 1)],
                                       "first_seen": [D(2026, 9, 1)]},
                                      index=pd.Index(["OPP-000001"], name="id"), dtype=object))
    result = judge(row(Stage="Proposal", Proposal_Sent="2026-11-14"), memory=memory)
    assert result.deals.loc[2, "stage_entered"] == pd.Timestamp("2026-11-14")
    assert result.deals.loc[2, "days_in_stage"] == 10.0
    assert result.deals.loc[2, "proven_index"] == 2
    assert result.transitions["to_stage"].tolist() == ["Proposal"]


def test_memory_keeps_ids_not_seen_this_run():
    first = judge(row(ID="OPP-1"), row(ID="OPP-2"), as_of=D(2026, 11, 1))
    second = judge(row(ID="OPP-2"), memory=first.memory)
    assert second.memory.entries.index.tolist() == ["OPP-1", "OPP-2"]
    assert second.counts == {"opportunities": 1, "customers": 0, "activities": 0}
