"""Flags that say the right thing (#14 items 9, 11, 13, 14): NEXT_STEP_OVERDUE, one severity
order everywhere, and Attention as the list to act on."""

from __future__ import annotations

import datetime as dt

from sheetfunnel.engine.evaluate import evaluate
from sheetfunnel.engine.flags import FLAG_CODES
from sheetfunnel.engine.model import Evaluation, StageMemory
from sheetfunnel.render import FLAG_COLORS, opportunity_cells
from sheetfunnel.runner import run_once
from sheetfunnel.tabs.attention import attention_grid
from sheetfunnel.words import ICONS, language_of, words_for
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.engine import AS_OF, CONFIG, HEADER, judge, row
from tests.support.gsheets import open_book
from tests.support.parity import Pair, assert_same_cells
from tests.support.tables import role_table_from_grid

STEP_HEADER = [*HEADER, "Next Step", "Next Step Due"]


def with_steps(*deals: tuple[list[object], str | None, str | None], tab: str = "Opportunities"
               ) -> Evaluation:
    """Deals with a Next Step and its due date."""
    grid = [STEP_HEADER, *([*deal, step, due] for deal, step, due in deals)]
    return evaluate(role_table_from_grid("opportunities", tab, grid), None, None, CONFIG,
                    as_of=AS_OF, memory=StageMemory(), lang=language_of(tab))


def test_severity_is_one_order_most_urgent_first_with_negative_signal_red():
    assert FLAG_CODES == ("NEGATIVE_SIGNAL", "NO_FIRST_RESPONSE", "FOLLOW_UP_OVERDUE",
                          "NEXT_STEP_OVERDUE", "STALLED", "CLOSE_DATE_PASSED",
                          "MISSING_CRITERIA", "UNKNOWN_STAGE", "DUPLICATE_ID", "INVALID_VALUE")
    assert list(FLAG_COLORS)[0] == "NEGATIVE_SIGNAL" and FLAG_COLORS["NEGATIVE_SIGNAL"] == "#FF9999"
    assert len(set(FLAG_COLORS.values()) - {FLAG_COLORS["MISSING_CRITERIA"]}) == 3  # own colours
    result = judge(row(ID="OPP-1", Stage="Qualified", Decision_Maker=None,
                       Expected_Close="2026-11-01", Last_Activity="2026-11-10"),
                   activities=[["2026-11-10", "OPP-1", "negative"]])
    assert result.deals.loc[2, "flag_codes"] == (
        "NEGATIVE_SIGNAL", "FOLLOW_UP_OVERDUE", "CLOSE_DATE_PASSED", "MISSING_CRITERIA")
    assert result.deals.loc[2, "flags_text"].startswith("👎 Latest activity (2026-11-10)")


def test_next_step_overdue_on_open_deals_whose_next_step_due_has_passed():
    result = with_steps((row(ID="OPP-1"), "Send quote", "2026-11-23"),
                        (row(ID="OPP-2"), "Call back", "2026-11-24"),
                        (row(ID="OPP-3", Stage="Won"), "Invoice", "2026-11-01"),
                        (row(ID="OPP-4"), None, None))
    hits = result.flags[result.flags["code"] == "NEXT_STEP_OVERDUE"]
    assert hits[["row", "detail", "since", "next_step"]].values.tolist() == [
        [2, "Next step was due on 2026-11-23", dt.date(2026, 11, 24), "Send quote"]]
    assert result.deals.loc[2, "flags_text"] == "⏳ Next step was due on 2026-11-23"
    chinese = with_steps((row(ID="OPP-1"), "发报价", "2026-11-23"), tab="商机")
    assert chinese.deals.loc[2, "flags_text"] == "⏳ 下一步截止于 2026-11-23"
    assert words_for("zh").flag_labels["NEXT_STEP_OVERDUE"] == "⏳ 下一步已逾期"
    assert ICONS["NEXT_STEP_OVERDUE"] == "⏳"


def test_next_step_overdue_is_written_and_coloured_on_both_backends(tmp_path, emulator):
    grid = [STEP_HEADER, [*row(ID="OPP-1", Title="Quote"), "Send quote", "2026-11-20"],
            [*row(ID="OPP-2"), "Call", "2026-12-01"]]
    pair = Pair.from_grids(tmp_path / "steps.xlsx", emulator, {"Opportunities": grid})
    xlsx, sheets = pair.run(AS_OF)
    assert_same_cells(pair)
    for report in (xlsx, sheets):
        assert [o["flags"] for o in report["opportunities"]] == [["NEXT_STEP_OVERDUE"], []]
        assert report["flags"] == {"NEXT_STEP_OVERDUE": 1}
    snapshot = XlsxWorkbook(pair.path).read()
    attention = snapshot.tabs["Attention"]
    assert attention[1][:4] == ["OPP-1", "Quote", "Ann", "Lead"]
    assert attention[1][7:10] == ["⏳ Next step overdue", "Next step was due on 2026-11-20",
                                  "Send quote"]
    flags_cell = snapshot.tabs["Opportunities"][1][len(STEP_HEADER) + 6]
    assert flags_cell == "⏳ Next step was due on 2026-11-20"
    again = run_once(XlsxWorkbook(pair.path), as_of=AS_OF), run_once(open_book(emulator),
                                                                      as_of=AS_OF)
    assert [r.cells_written for r in again] == [0, 0]


def test_the_flags_cell_and_attention_colour_each_flag_that_has_a_colour():
    evaluation = judge(row())
    opportunities = role_table_from_grid("opportunities", "Opportunities", [HEADER, row()])
    _, looks = opportunity_cells(evaluation, opportunities, CONFIG, words_for("en"))
    flags_colours = [(h.text, h.color) for h in looks.highlights if h.rule == "contains"]
    _, looks = attention_grid(evaluation, "Attention", words_for("en"), CONFIG)
    attention_colours = [(h.text, h.color) for h in looks.highlights]
    expected = [(ICONS[code], colour) for code, colour in FLAG_COLORS.items()]
    assert flags_colours == attention_colours == expected
    assert all(h.range.first_col == 8 for h in looks.highlights)  # the Flag column


def test_attention_lists_open_deals_by_severity_and_weighted_amount_then_closed_by_flag():
    result = with_steps(
        (row(ID="OPP-1", Owner="Zoe", Stage="Qualified", Amount=100), "a", "2026-11-01"),
        (row(ID="OPP-2", Owner="Ann", Stage="Qualified", Amount=900), "b", "2026-11-01"),
        (row(ID="OPP-3", Stage="Won", Budget=None, Amount=50000), None, None),
        (row(ID="OPP-4", Stage="Lost", Amount=90000), None, None),
        (row(ID="OPP-5", Stage="Typo stage", Amount=10), None, None),
        (row(ID="OPP-6", Owner="Bea", Stage="Qualified", Amount=900), "c", "2026-11-01"),
        (row(ID="OPP-7", Stage="Lost", Owner="Al"), None, None),
        (row(ID="OPP-3", Stage="Won", Amount=1), None, None),
    )
    listed = [(i, code) for i, code in result.flags[["id", "code"]].values.tolist()]
    assert listed == [
        # open first: severity, then weighted amount (900×0.2 twice: owner Ann before Bea)
        ("OPP-2", "NEXT_STEP_OVERDUE"), ("OPP-6", "NEXT_STEP_OVERDUE"),
        ("OPP-1", "NEXT_STEP_OVERDUE"),
        ("OPP-5", "UNKNOWN_STAGE"),  # an unknown stage counts as open
        # then won and lost deals, grouped by flag
        ("OPP-4", "MISSING_CRITERIA"), ("OPP-3", "MISSING_CRITERIA"),
        ("OPP-7", "MISSING_CRITERIA"),
        ("OPP-3", "DUPLICATE_ID"), ("OPP-3", "DUPLICATE_ID")]
    assert result.flags["closed"].tolist() == [False] * 4 + [True] * 5
