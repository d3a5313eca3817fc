"""A failed criteria check is worded by its kind (#14 item 12): "Missing: X" only for
``filled``; otherwise what failed and the value; the admin's Message still overrides."""

from __future__ import annotations

import dataclasses

import pytest

from sheetfunnel.config import Criterion
from tests.support.engine import CONFIG, judge, row


def missing(criteria: tuple[Criterion, ...], *deals: list[object], tab: str = "Opportunities"
            ) -> list[str]:
    config = dataclasses.replace(CONFIG, criteria=criteria)
    result = judge(*deals, config=config, tab=tab)
    flagged = result.flags[result.flags["code"] == "MISSING_CRITERIA"]
    return flagged.sort_values("row")["detail"].tolist()


@pytest.mark.parametrize(("check", "value", "typed", "en", "zh"), [
    ("gt", 0.0, 0, "Amount is 0, must be > 0", "Amount为 0，须 > 0"),
    ("ge", 5000.0, 1200.5, "Amount is 1,200.5, must be >= 5,000", "Amount为 1,200.5，须 >= 5,000"),
    ("lt", 10.0, 20, "Amount is 20, must be < 10", "Amount为 20，须 < 10"),
    ("le", 10.0, None, "Amount is empty, must be <= 10", "Amount为空，须 <= 10"),
    ("eq", 7.0, 8, "Amount is 8, must be 7", "Amount为 8，须为 7"),
    ("ne", 8.0, 8, "Amount is 8, must not be 8", "Amount为 8，不能为 8"),
])
def test_a_number_check_says_the_value_and_the_rule(check, value, typed, en, zh):
    criteria = (Criterion("Lead", "Amount", check, value, ""),)
    assert missing(criteria, row(Amount=typed)) == [en]
    assert missing(criteria, row(Amount=typed), tab="商机") == [zh]


def test_date_and_text_checks_say_the_value_and_the_rule():
    criteria = (Criterion("Lead", "Expected Close", "on_or_before_today", None, ""),
                Criterion("Lead", "Budget", "in", ("Approved", "Planned"), ""),
                Criterion("Lead", "Decision Maker", "not_in", ("Nobody",), ""),
                Criterion("Lead", "Created", "lt", "2026-11-01", ""))
    assert missing(criteria, row(Expected_Close="2026-12-20", Budget="Unknown",
                                 Decision_Maker="Nobody")) == [
        "Expected Close 2026-12-20 is after today; Budget is Unknown, must be one of Approved, "
        "Planned; Decision Maker is Nobody, must not be one of Nobody; Created is 2026-11-20, "
        "must be < 2026-11-01"]
    assert missing(criteria[:1], row(Expected_Close=None)) == [
        "Expected Close is empty, must be on or before today"]
    assert missing(criteria[:1], row(Expected_Close="2026-12-20"), tab="商机") == [
        "Expected Close 2026-12-20 晚于今天"]


def test_filled_checks_are_one_missing_list_and_a_message_overrides():
    criteria = (Criterion("Lead", "Budget", "filled", None, "Budget status"),
                Criterion("Lead", "Decision Maker", "filled", None, ""),
                Criterion("Lead", "Amount", "gt", 0.0, "Put the deal's value in Amount"),
                Criterion("Lead", "Intent", "ge", 3.0, ""))
    deal = row(Budget=None, Decision_Maker=None, Amount=0, Intent=1)
    assert missing(criteria, deal) == [
        "Missing: Budget status, Decision Maker; Put the deal's value in Amount; "
        "Intent is 1, must be >= 3"]
    assert missing(criteria, deal, tab="商机") == [
        "缺少：Budget status、Decision Maker；Put the deal's value in Amount；Intent为 1，须 >= 3"]


def test_an_unreadable_value_is_shown_as_typed():
    criteria = (Criterion("Lead", "Amount", "gt", 0.0, ""),)
    assert missing(criteria, row(Amount="lots")) == ["Amount is lots, must be > 0"]


def test_a_check_on_a_column_the_sheet_lacks_reads_it_as_blank():
    criteria = (Criterion("Lead", "Competitor", "in", ("Acme",), ""),)
    assert missing(criteria, row()) == ["Competitor is empty, must be one of Acme"]
