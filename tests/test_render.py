"""Results into the cells the worker owns: its Opportunities columns, Attention and History
(render.py and the tabs/ modules)."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from sheetfunnel.engine.funnel import funnel
from sheetfunnel.plan import fitted_width, shown_text
from sheetfunnel.render import _widest_texts, opportunity_cells, owned_column_protections
from sheetfunnel.tabs.attention import attention_grid
from sheetfunnel.tabs.history import (
    history_cells,
    read_owner_snapshots,
    read_snapshots,
    read_stage_changes,
)
from sheetfunnel.words import words_for
from tests.support.engine import AS_OF, CONFIG, HEADER, judge, row
from tests.support.tables import role_table_from_grid

OVERDUE = row(ID="OPP-2", Title="Late deal", Expected_Close="2026-11-23")


def test_owned_columns_are_appended_with_headers_and_hold_the_judgement():
    evaluation = judge(row(), OVERDUE)
    opportunities = role_table_from_grid("opportunities", "Opportunities",
                                         [HEADER, row(), OVERDUE])
    owned, looks = opportunity_cells(evaluation, opportunities, CONFIG, words_for("en"))
    cells = {**owned.heads, **{(row, col): value for col, values in owned.columns.items()
                               for row, value in zip(owned.rows, values, strict=True)}}
    first = len(HEADER) + 1
    assert [cells[(1, c)] for c in range(first, first + 7)] == [
        "Score", "Grade", "Win %", "Weighted Amount", "Stage Entered", "Days in Stage", "Flags"]
    assert cells[(2, first + 2)] == 0.1 and cells[(2, first + 3)] == 100.0
    assert cells[(2, first + 6)] is None
    assert cells[(3, first + 6)] == "📅 Expected close 2026-11-23 has passed"
    assert {n.col for n in looks.notes} == set(range(first, first + 7))
    assert all(isinstance(cells[(r, first)], float) for r in (2, 3))


def test_protection_covers_runs_of_owned_columns_never_a_persons_column_between():
    ranges = [(p.range.first_col, p.range.last_col)
              for p in owned_column_protections("Opportunities", 2, [6, 3, 4, 9])]
    assert ranges == [(3, 4), (6, 6), (9, 9)]


def test_attention_lists_each_flag_with_its_deal_in_the_workbook_language():
    evaluation = judge(row(), OVERDUE)
    grid, _ = attention_grid(evaluation, "Attention", words_for("en"), CONFIG)
    assert grid == [["ID", "Title", "Owner", "Stage", "Amount", "Score", "Grade", "Flag",
                     "Detail", "Next Step", "Since"],
                    ["OPP-2", "Late deal", "Ann", "Lead", 1000.0, 41.7, "C",
                     "📅 Close date passed", "Expected close 2026-11-23 has passed", None, AS_OF]]
    grid, _ = attention_grid(evaluation, "待处理", words_for("zh"), CONFIG)
    assert grid[0] == ["编号", "商机名称", "负责人", "阶段", "金额", "评分", "等级", "提醒", "说明",
                       "下一步", "起始日期"]
    assert grid[1][7] == "📅 已过预计成交日期"


def test_history_writes_one_compact_snapshot_a_day_in_place_on_reruns():
    evaluation = judge(row(), OVERDUE)
    stages = funnel(evaluation.deals, CONFIG)
    first = history_cells(None, evaluation, stages, words_for("en"))
    assert [first[(1, c)] for c in range(1, 6)] == ["At", "Kind", "ID", "From", "To"]
    assert (1, 6) not in first  # five columns: lean against Google's cell limit
    assert first[(2, 2)] == "daily snapshot"
    lines = first[(2, 4)].splitlines()
    assert lines[0] == "stage: deals · amount · weighted"
    assert [line.partition(":")[0] for line in lines[1:]] == [s.name for s in CONFIG.stages]

    written = [[first.get((r, c)) for c in range(1, 6)] for r in range(1, 3)]
    snapshots = read_snapshots(written)
    assert list(snapshots["stage"]) == [s.name for s in CONFIG.stages]
    assert snapshots["count"].sum() == len(evaluation.deals)
    assert snapshots["weighted"].sum() == round(float(
        evaluation.deals["weighted_amount"][evaluation.deals["kind"] == "open"].sum()), 2)
    owners = read_owner_snapshots(written)
    assert owners["open"].sum() + owners["won"].sum() + owners["lost"].sum() == \
        evaluation.deals["owner"].notna().sum()
    again = history_cells(written, evaluation, stages, words_for("en"))
    assert {r for r, _ in again} == {2}  # the same row, nothing added

    tomorrow = judge(row(), OVERDUE, as_of=AS_OF + dt.timedelta(days=1))
    later = history_cells(written, tomorrow, stages, words_for("en"))
    assert {r for r, _ in later} == {3}  # appended below


def test_history_of_the_old_form_is_read_and_continued():
    """A nine-column History from before (one snapshot row per stage a day) keeps working:
    its stage changes and snapshots are read, and today's old rows give way to one compact
    row."""
    day = AS_OF - dt.timedelta(days=1)
    old = [["At", "Kind", "ID", "From", "To", "Stage", "Reached", "Current", "Open Amount"],
           [day, "stage change", "OPP-1", "Lead", "Qualified", None, None, None, None],
           [day, "snapshot", None, None, None, "Lead", 3, 1, 1000.0],
           [day, "snapshot", None, None, None, "Qualified", 2, 2, 5000.0],
           [AS_OF, "snapshot", None, None, None, "Lead", 3, 1, 1000.0],
           [AS_OF, "snapshot", None, None, None, "Qualified", 2, 2, 5000.0]]
    changes = read_stage_changes(old)
    assert changes.values.tolist() == [["OPP-1", "Lead", "Qualified", day]]
    snapshots = read_snapshots(old)
    yesterday = snapshots[snapshots["day"] == day]
    assert yesterday[["stage", "count", "amount"]].values.tolist() == [
        ["Lead", 1.0, 1000.0], ["Qualified", 2.0, 5000.0]]
    assert yesterday["weighted"].isna().all()  # the old form kept no weighted amount
    evaluation = judge(row(), OVERDUE)
    cells = history_cells(old, evaluation, funnel(evaluation.deals, CONFIG), words_for("en"))
    assert cells[(5, 2)] == "daily snapshot" and cells[(5, 6)] is None and cells[(5, 9)] is None
    assert all(cells[(6, c)] is None for c in range(1, 10))
    assert (1, 1) not in cells  # the old header stays


_CELLS = st.one_of(
    st.none(), st.booleans(), st.integers(-10**7, 10**7), st.text(max_size=6),
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.sampled_from([0.0, -0.0, 1.0, 0, 1, 1_000_000, 1_000_000.0, -0.004, 9.995, 99.995]),
    st.dates(dt.date(1900, 1, 1), dt.date(2100, 1, 1)))


_NUMBERS = st.one_of(st.none(), st.integers(-10**7, 10**7),
                    st.floats(allow_nan=True, allow_infinity=True, width=64),
                    st.sampled_from([0.0, -0.0, -0.004, 9.995, 99.995, 0.0999]))


@settings(max_examples=300, derandomize=True, deadline=None)
@given(values=st.one_of(st.lists(_CELLS, max_size=30), st.lists(_NUMBERS, max_size=30)),
       pattern=st.sampled_from([None, "0.0", "0%", "0", '"$"#,##0.00', "#,##0", "yyyy-mm-dd"]))
def test_an_added_column_is_as_wide_as_every_value_shown_would_make_it(values, pattern):
    """The width measured from the few texts that can be the widest (render._widest_texts)
    is the width every value's text gives."""
    every = fitted_width([shown_text(value, pattern) for value in values], least=8)
    assert fitted_width(_widest_texts(values, pattern), least=8) == every
