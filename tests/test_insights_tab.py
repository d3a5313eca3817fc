"""The Insights tab and the model's columns, written the same on both backends, found again
and rewritten in place on every run; nothing of it below the history gate."""

from __future__ import annotations

import openpyxl
import pytest

from sheetfunnel.runner import run_once
from sheetfunnel.workbook.xlsx import XlsxWorkbook
from tests.support.closed_deals import synthetic_grid
from tests.support.parity import AS_OF, Pair, assert_same_cells

SETTINGS = [["Key", "Value"], ["model_min_won", 50], ["model_min_lost", 50],
            ["win_probability", "blend"], ["blend_weight", 0.5], ["ab_field", "Pitch"]]


def test_the_insights_tab_and_model_columns_are_the_same_on_both_backends(tmp_path, emulator):
    pair = Pair.from_grids(tmp_path / "book.xlsx", emulator,
                           {"Opportunities": synthetic_grid(300), "Settings": SETTINGS})
    xlsx, sheets = pair.run(AS_OF)
    assert xlsx["model"]["status"] == sheets["model"]["status"] == "trained"
    assert xlsx["model"] == sheets["model"] and xlsx["traits"] == sheets["traits"]
    assert xlsx["ab_tests"] == sheets["ab_tests"] and xlsx["ab_tests"]
    assert_same_cells(pair)
    snapshot, _ = pair.snapshots()
    insights = snapshot.tabs["Insights"]
    assert insights[0] == ["Insights — what your closed deals say"]
    assert insights[1][0].startswith("The win model is in use: trained on ")
    header = snapshot.tabs["Opportunities"][0]
    assert header[-2:] == ["Model Win %", "Why"]
    open_row = next(r for r in snapshot.tabs["Opportunities"][1:] if r[1] == "Lead")
    chance, why = open_row[-2], open_row[-1]
    assert 0 < chance < 1 and why.startswith(("▲", "▼"))
    opportunity = next(o for o in xlsx["opportunities"] if o["stage"] == "Lead")
    model_chance = opportunity["model_win_probability"]  # the cell shows whole percents
    assert chance == round(model_chance, 2) and model_chance == round(model_chance, 4)
    assert opportunity["win_probability"] == pytest.approx(0.5 * model_chance + 0.5 * 0.1,
                                                           abs=1e-4)

    again_xlsx, again_sheets = pair.run(AS_OF)
    assert again_xlsx["io"]["cells_written"] == again_sheets["io"]["cells_written"] == 0
    titles = XlsxWorkbook(pair.path).read().titles
    assert [t for t in titles if t.startswith("Insights")] == ["Insights"]
    assert_same_cells(pair)


def test_a_renamed_insights_tab_is_found_by_its_record(tmp_path, emulator):
    pair = Pair.from_grids(tmp_path / "book.xlsx", emulator,
                           {"Opportunities": synthetic_grid(300), "Settings": SETTINGS})
    pair.run(AS_OF)
    book = openpyxl.load_workbook(pair.path)
    book["Insights"].title = "Our model"
    book.save(pair.path)
    report = run_once(XlsxWorkbook(pair.path), as_of=AS_OF).report
    titles = XlsxWorkbook(pair.path).read().titles
    assert "Our model" in titles and "Insights" not in titles
    assert report["model"]["status"] == "trained"


def test_below_the_gate_nothing_of_the_model_is_written(tmp_path, emulator):
    pair = Pair.from_grids(tmp_path / "book.xlsx", emulator,
                           {"Opportunities": synthetic_grid(60)})
    xlsx, sheets = pair.run(AS_OF)
    assert xlsx["model"]["status"] == "not_enough_history"
    assert xlsx["model"]["message"].startswith("Not enough history: ")
    snapshot, _ = pair.snapshots()
    assert "Insights" not in snapshot.tabs
    assert "Model Win %" not in snapshot.tabs["Opportunities"][0]
    assert all(o["model_win_probability"] is None for o in xlsx["opportunities"])
    assert_same_cells(pair)
