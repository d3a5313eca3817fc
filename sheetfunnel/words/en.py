"""English: every text and heading the worker writes into an English workbook."""

from __future__ import annotations

from typing import Any

#: A flag's name in the Attention tab and the Summary (its icon is put before it).
FLAG_NAMES = {
    "DUPLICATE_ID": "Duplicate ID", "UNKNOWN_STAGE": "Unknown stage",
    "INVALID_VALUE": "Unreadable value", "MISSING_CRITERIA": "Missing criteria",
    "CLOSE_DATE_PASSED": "Close date passed", "NO_FIRST_RESPONSE": "No first response",
    "FOLLOW_UP_OVERDUE": "Follow-up overdue", "NEXT_STEP_OVERDUE": "Next step overdue",
    "STALLED": "Stalled",
    "NEGATIVE_SIGNAL": "Negative signal",
}

#: A flag's detail sentence; {0}, {1}, {2} are filled column-wise by the flag's rule.
FLAG_DETAILS = {
    "DUPLICATE_ID": "ID {0} is on rows {1}",
    "UNKNOWN_STAGE": "Stage “{0}” is not in the Stages tab",
    "EMPTY_STAGE": "Stage is empty",
    "INVALID_VALUE": "{0}",
    "MISSING_CRITERIA": "{0}",
    "CLOSE_DATE_PASSED": "Expected close {0} has passed",
    "NO_FIRST_RESPONSE": "No activity since it was created on {0}",
    "FOLLOW_UP_OVERDUE": "No follow-up for {0} days (follow up every {1})",
    "NEXT_STEP_OVERDUE": "Next step was due on {0}",
    "STALLED": "{1} days in {0} (limit {2})",
    "NEGATIVE_SIGNAL": "Latest activity ({0}) was negative",
}

#: A failed Criteria check, by its kind; {0} the Field, {1} the value read, {2} the rule.
CRITERIA_WORDS = {
    "missing": "Missing: ", "separator": "; ", "list": ", ",
    "is": "{0} is {1}, {2}", "after_today": "{0} {1} is after today",
    "empty": "{0} is empty, {1}",
    "eq": "must be {0}", "ne": "must not be {0}", "gt": "must be > {0}", "ge": "must be >= {0}",
    "lt": "must be < {0}", "le": "must be <= {0}", "in": "must be one of {0}",
    "not_in": "must not be one of {0}", "on_or_before_today": "must be on or before today",
}

OWNED_NOTE = "Maintained by sheetfunnel: rewritten on every run. Type in the other columns."

ATTENTION_HEADERS = ("ID", "Title", "Owner", "Stage", "Amount", "Score", "Grade", "Flag",
                     "Detail", "Next Step", "Since")
HISTORY_HEADERS = ("At", "Kind", "ID", "From", "To")
HISTORY_KINDS = ("stage change", "snapshot", "daily snapshot")  # "snapshot": the old form
HISTORY_LEGENDS = ("stage: deals · amount · weighted", "owner: open · won · lost")

#: What ``run`` and ``demo`` print of a run (the flag codes stay as spec'd, in every language)
RUN_LINES = {
    "read": "{book} as of {day}: {opportunities} opportunities, {customers} customers, "
            "{activities} activities read.",
    "error": "error", "warning": "warning", "config": "Config: {status}.",
    "flags": "Flags", "flag": "Flag", "count": "Count",
    "written": "{cells} cells written{quiet}. Open the tabs: {tabs}.",
    "quiet": " (nothing changed since the last run)", "sep": ", ",
}

SUMMARY: dict[str, Any] = {  # texts, and tuples of column heads
    "title": "Pipeline summary", "as_of": "As of", "rows": "Rows read",
    "rows_text": "{opportunities} opportunities · {customers} customers · {activities} "
                 "activities",
    "config": "Config", "changed": "Sheet last changed", "problem": "Problem",
    "status": {"ok": "ok", "broken, using last good": "broken, using last good",
               "broken, no good config": "broken, no good config"},
    "severity": {"error": "error", "warning": "warning"},
    "more_problems": "{count} more — run `sheetfunnel check`",
    "kpis": "Headline", "open_count": "Open deals", "open_amount": "Open amount",
    "weighted_pipeline": "Weighted pipeline", "won_this_month": "Won this month",
    "won_amount_this_month": "Won amount this month", "lost_this_month": "Lost this month",
    "lost_amount_this_month": "Lost amount this month",
    "win_rate": "Win rate", "avg_cycle_days": "Average cycle (days)",
    "undated_deals": "Deals with no known stage date",
    "funnel": "Funnel",
    "funnel_head": ("Stage", "Reached", "Now in stage", "Conversion from previous",
                    "Conversion from first", "Open amount", "Weighted", "Avg days in stage",
                    "Days before moving on (mean)", "Days before moving on (median)"),
    "forecast": "Forecast by expected close month",
    "forecast_head": ("Month", "Deals", "Amount", "Weighted"), "no_date": "(no date)",
    "owners": "By owner",
    "owners_head": ("Owner", "Open", "Won", "Lost", "Win rate", "Won amount",
                    "Weighted open", "Follow-ups on time"),
    "sources": "By source", "sources_head": ("Source", "Deals", "Won", "Conversion"),
    "lost": "Lost reasons", "lost_head": ("Reason", "Deals", "Share", "Amount"),
    "flags": "Flags by owner", "flags_owner": "Owner", "flags_total": "Total",
    "chart": "Funnel: deals that reached each stage",
    "bottleneck": "Bottleneck (lowest conversion)", "run": "This run",
    "placeholders": {"(none)": "(none)"},  # the engine's words for a blank, as shown
}
