"""The engine's vectorised shortcuts equal the plain per-row reading they replace, on random
sheets: latest activity per ID, criteria patterns, Flags cells, customers, blank text cells,
a Field's text, keys and filled rows, the chi-square p-value and the Wilson interval, the
scorecard's levels, per-owner target keys."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import binomtest, chi2_contingency

from sheetfunnel.engine.activity import summarise_activities
from sheetfunnel.engine.customers import customer_columns
from sheetfunnel.engine.fields import Fields, normalised
from sheetfunnel.engine.flags import FLAG_CODES, SEVERITY, flags_cells
from sheetfunnel.engine.insights import _levels, _two_proportions, chi_square_p, wilson
from sheetfunnel.engine.model import StageMemory
from sheetfunnel.engine.targets import _owner_keys
from sheetfunnel.grid import normalise_name
from sheetfunnel.values import parse_texts, read_text, text_codes
from sheetfunnel.words import ICONS
from tests.support.engine import CONFIG, judge, row
from tests.support.tables import role_table

DAYS = st.one_of(st.none(), st.dates(dt.date(2026, 1, 1), dt.date(2026, 1, 9)))
IDS = st.sampled_from(["OPP-1", " OPP-1", "OPP-2", "opp-2", "", None, 3.0, "3"])


@given(st.lists(st.tuples(IDS, DAYS, st.booleans()), max_size=30),
       st.lists(st.sampled_from(["OPP-1", "OPP-2", "3", "OPP-9", None]), min_size=1, max_size=6))
def test_latest_activity_per_opportunity_is_the_last_of_the_latest_day(logs, deal_ids):
    activities = role_table("Activities", pd.DataFrame(
        {"Opportunity ID": [i for i, _, _ in logs], "Date": [d for _, d, _ in logs],
         "Sentiment": ["negative" if n else "fine" for _, _, n in logs]},
        columns=["Opportunity ID", "Date", "Sentiment"]),
        {"opportunity_id": "Opportunity ID", "date": "Date", "sentiment": "Sentiment"})
    ids = pd.Series(deal_ids, index=range(2, len(deal_ids) + 2), dtype=object)
    summary, _ = summarise_activities(activities, ids, "ymd")
    for deal_row, deal_id in ids.items():
        mine = [(d, n) for i, d, n in logs if deal_id is not None and read_text(i) == deal_id]
        got = summary.loc[deal_row]
        assert got["logged"] == bool(mine)
        if not mine:
            assert pd.isna(got["last_date"]) and not got["negative"]
            continue
        # the latest day (blank counts as earliest); the last such row in sheet order wins
        _, (day, negative) = max(enumerate(mine), key=lambda p: (
            p[1][0] is not None, p[1][0] or dt.date.min, p[0]))
        expected = pd.Timestamp(day) if day else pd.NaT
        assert got["last_date"] is pd.NaT if day is None else got["last_date"] == expected
        assert got["negative"] == negative
        if negative and day is not None:
            assert got["negative_date"] == expected
        else:
            assert got["negative_date"] is pd.NaT


@given(st.lists(st.tuples(st.sampled_from(["Lead", "Qualified", "Proposal", "Won", "Lost"]),
                          st.sampled_from([None, "Approved"]), st.sampled_from([None, "Ms Li"]),
                          st.sampled_from([None, 0, 5, -1.5, "lots"]),
                          st.sampled_from([None, "Price"])), min_size=1, max_size=12))
@settings(max_examples=20, derandomize=True, deadline=None)
def test_failed_checks_read_as_a_plain_per_row_reading_of_the_criteria(deals):
    result = judge(*(row(ID=f"OPP-{n}", Stage=s, Budget=b, Decision_Maker=d, Amount=a,
                         Lost_Reason=r) for n, (s, b, d, a, r) in enumerate(deals)))
    said = dict(zip(result.flags["row"], result.flags["detail"], strict=False))
    for sheet_row, (stage, budget, maker, amount, reason) in enumerate(deals, start=2):
        qualified = stage in ("Qualified", "Proposal", "Won")  # cumulative: later and won
        missing = [name for name, value, applies in (
            ("Budget", budget, qualified), ("Decision Maker", maker, qualified),
            ("Lost Reason", reason, stage == "Lost")) if applies and value is None]
        parts = ["Missing: " + ", ".join(missing)] if missing else []
        if stage in ("Proposal", "Won") and not (isinstance(amount, int | float) and amount > 0):
            shown = "empty" if amount is None else amount if isinstance(amount, str) \
                else f"{amount:g}"
            parts.append(f"Amount is {shown}, must be > 0")
        codes = result.deals.loc[sheet_row, "flag_codes"]
        if parts:
            assert "MISSING_CRITERIA" in codes
            mine = result.flags[(result.flags["row"] == sheet_row)
                                & (result.flags["code"] == "MISSING_CRITERIA")]
            assert mine["detail"].tolist() == ["; ".join(parts)], said
        else:
            assert "MISSING_CRITERIA" not in codes


@given(st.lists(st.tuples(st.integers(2, 6), st.sampled_from(FLAG_CODES),
                          st.sampled_from(["a", "b", "Missing: x"])), max_size=25))
def test_flags_cell_joins_each_rows_flags_most_severe_first(found):
    flags = pd.DataFrame({"row": [r for r, _, _ in found], "code": [c for _, c, _ in found],
                          "detail": [d for _, _, d in found]}, columns=["row", "code", "detail"])
    flags["severity"] = flags["code"].map(SEVERITY).astype("int64")
    index = pd.RangeIndex(2, 7)
    text, codes = flags_cells(flags, index)
    for sheet_row in index:
        mine = sorted(((SEVERITY[c], n, c, d) for n, (r, c, d) in enumerate(found)
                       if r == sheet_row))
        expected = " · ".join(f"{ICONS[c]} {d}" for _, _, c, d in mine) or None
        assert text[sheet_row] == expected
        assert codes[sheet_row] == tuple(dict.fromkeys(c for _, _, c, _ in mine))


@given(st.lists(st.one_of(st.none(), st.sampled_from([" a", "a", "", "  ", 1.0, 2.5,
                                                      dt.date(2026, 1, 2), "b "]))))
def test_text_codes_group_cells_that_read_the_same(cells):
    codes, texts = text_codes(pd.Series(cells, dtype=object))
    assert [None if c < 0 else texts[c] for c in codes] == [read_text(c) for c in cells]
    assert len(set(texts)) == len(texts)


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["C1", "C2", None]),
                          st.sampled_from(["Lead", "Won", "Lost", "Nowhere"]),
                          st.sampled_from([1000, None])), min_size=1, max_size=6))
def test_customers_sum_only_their_own_deals(deals):
    customers = [["Customer ID", "Industry"], ["C1", "Software"], ["C2", "Retail"],
                 ["C3", "Mining"]]
    result = judge(*[row(ID=f"OPP-{n}", Customer_ID=c, Stage=s, Amount=a)
                     for n, (c, s, a) in enumerate(deals)], customers=customers)
    assert result.customers is not None
    table = result.customers.set_index("customer_id")
    for customer in ("C1", "C2", "C3"):
        own = [(s, a or 0) for c, s, a in deals if c == customer]
        assert table.loc[customer, "won_total"] == sum(a for s, a in own if s == "Won")
        assert table.loc[customer, "open_pipeline"] == sum(a for s, a in own if s == "Lead")
        if not own:
            assert table.loc[customer, "tier"] is None
        elif not any(s in ("Lead", "Won") for s, _ in own):  # lost or unknown stages only
            assert table.loc[customer, "tier"] == "D"


@settings(max_examples=25, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["OPP-1", "OPP-2", None, " "]),
                          st.sampled_from(["Lead", "Won", "", None, "Someday", " lead "]),
                          st.sampled_from(["Ann", None, ""]),
                          st.sampled_from(["Approved", None])), min_size=1, max_size=6),
       st.booleans())
def test_text_columns_hold_none_never_nan(deals, assign):
    config = replace(CONFIG, settings=replace(CONFIG.settings, assign_ids=assign))
    result = judge(*[row(ID=i, Stage=s, Owner=o, Budget=b) for i, s, o, b in deals],
                   config=config, memory=StageMemory())
    for column in ("id", "title", "owner", "customer_id", "source", "lost_reason", "stage",
                   "kind", "grade", "flags_text"):
        assert all(v is None or isinstance(v, str) for v in result.deals[column]), column
    for column in ("id", "title", "owner", "stage"):
        assert all(v is None or isinstance(v, str) for v in result.flags[column]), column


def test_customer_columns_leave_customers_without_deals_blank():
    customers = role_table("Customers", pd.DataFrame({"Customer ID": ["C1", "C9", None]}),
                           {"customer_id": "Customer ID"})
    deals = pd.DataFrame({"customer_id": [None, "C1"], "kind": ["won", "open"],
                          "grade": ["A", "B"], "amount": [5.0, 7.0]}, index=[2, 3])
    table = customer_columns(customers, deals)
    assert table["tier"].tolist() == ["B", None, None]
    assert table["won_total"].tolist() == [0.0, 0.0, 0.0]
    assert table["open_pipeline"].tolist() == [7.0, 0.0, 0.0]


CELLS = st.one_of(st.none(), st.sampled_from([" a", "a", "A ", "", "  ", 1.0, 1, True, 0, False,
                                              2.5, "2.5", "1,200", dt.date(2026, 1, 2),
                                              "2026-01-02", "b ", "Ｂ"]))


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.lists(CELLS, min_size=1, max_size=12), st.sampled_from(["number", "date", None]))
def test_a_fields_text_keys_and_filled_rows_read_as_the_plain_readers_do(cells, first):
    """Text read after the column was factorised for another kind (shared codes), its keys
    and filled rows (made once) equal parse_texts, normalised and notna of the cells."""
    opportunities = role_table("Opportunities", pd.DataFrame({"Size": cells}), {})
    fields = Fields(opportunities, None, "ymd")
    if first is not None:
        fields.column(opportunities, "Size", first)
    expected = parse_texts(opportunities.table.frame["Size"])
    text, keys, filled = fields.text("Size"), fields.keys("Size"), fields.filled("Size")
    assert text is not None and keys is not None and filled is not None
    assert text.tolist() == expected.tolist()
    assert keys.fillna("").tolist() == normalised(expected).fillna("").tolist()
    assert filled.tolist() == expected.notna().tolist()


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=1, max_size=40))
def test_the_chi_square_p_value_is_scipys_to_the_last_bit(counts):
    for a_all, b_all in counts:
        for a_won, b_won in ((a_all // 3, b_all // 2), (a_all // 2, b_all // 5)):
            table = np.array([[a_won, a_all - a_won], [b_won, b_all - b_won]])
            expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0) / max(table.sum(), 1)
            if expected.min() < 5:
                continue
            assert chi_square_p(table) == chi2_contingency(table, correction=False).pvalue


@settings(max_examples=60, derandomize=True, deadline=None)
@given(st.integers(1, 5000), st.floats(0, 1))
def test_the_wilson_interval_is_scipys_to_the_last_bit(n, share):
    k = round(n * share)
    interval = binomtest(k, n).proportion_ci(method="wilson")
    assert wilson(k, n) == (float(interval.low), float(interval.high))


@settings(max_examples=40, derandomize=True, deadline=None)
@given(st.integers(1, 400), st.integers(1, 400), st.floats(0, 1), st.floats(0, 1))
def test_two_proportions_on_counts_is_the_array_tests_p_value(a_all, b_all, a, b):
    a_won, b_won = round(a_all * a), round(b_all * b)
    table = np.array([[a_won, a_all - a_won], [b_won, b_all - b_won]])
    p, test = _two_proportions(a_won, a_all, b_won, b_all)
    if test == "two-proportion" and (table.sum(axis=0) > 0).all():
        assert p == chi2_contingency(table, correction=False).pvalue


def test_scorecard_levels_count_the_points_shown_alike_together():
    """Points that print alike (1 and 1.0000001 both show as "1") are one level."""
    codes = np.array([0, 1, 2, -1, 1, 0])
    won = np.array([1.0, 0.0, 1.0, 1.0, 1.0, 0.0])
    levels = _levels("Size", codes, ["1", "1", "2"], won, ["2", "1", "0"])
    assert [(x.level, x.deals, x.won, x.rate) for x in levels] == [("2", 1, 1, 1.0),
                                                                 ("1", 4, 2, 0.5)]


def test_per_owner_targets_compare_owners_as_normalise_name_does():
    owners = pd.Series(["Ann", " ann", "ＡＮＮ", None, np.nan, "Bob", "", "None"], dtype=object)
    assert _owner_keys(owners).tolist() == owners.map(normalise_name).tolist()
