"""Every deadline phrase of the seed plans and of DOMAIN.md, with what it must mean."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.deadlines import (
    DueDate,
    Milestone,
    Milestones,
    Period,
    Recurring,
    Unspecified,
    from_record,
    parse_deadline,
    to_record,
)

D = DueDate
Y2024 = date(2024, 1, 1)
Q = Recurring(Period.QUARTERLY, ongoing=True, starts_on=Y2024)

CASES = [
    # phrase, plan year, expected
    ("Trong năm 2024", 2024, D(date(2024, 12, 31))),
    ("Trong năm\n2024", None, D(date(2024, 12, 31))),
    ("Trong năm\n2022", 2022, D(date(2022, 12, 31))),
    ("Trong năm", 2024, D(date(2024, 12, 31))),
    ("trong nam", 2023, D(date(2023, 12, 31))),
    ("2024", None, D(date(2024, 12, 31))),
    ("Năm 2025", 2022, D(date(2025, 12, 31))),
    ("Năm 2030", 2022, D(date(2030, 12, 31))),
    ("NĂM  2025", None, D(date(2025, 12, 31))),
    ("Tháng 9/2022", 2022, D(date(2022, 9, 30))),
    ("tháng 2 năm 2024", None, D(date(2024, 2, 29))),
    ("Tháng 9", 2022, D(date(2022, 9, 30))),
    ("Quý IV năm 2024", None, D(date(2024, 12, 31))),
    ("quy iv nam 2024", None, D(date(2024, 12, 31))),
    ("Quý II/2025", None, D(date(2025, 6, 30))),
    ("Quý 2/2025", None, D(date(2025, 6, 30))),
    ("Quý I", 2024, D(date(2024, 3, 31))),
    ("Quý III năm 2024", None, D(date(2024, 9, 30))),
    ("Trước ngày 30/11/2024", None, D(date(2024, 11, 30))),
    ("Trước ngày   30/11/2024", None, D(date(2024, 11, 30))),
    ("truoc ngay 30/11/2024", None, D(date(2024, 11, 30))),
    ("31/12/2024", None, D(date(2024, 12, 31))),
    ("30/9/2024", None, D(date(2024, 9, 30))),
    ("Ngày 15 tháng 10 năm 2024", None, D(date(2024, 10, 15))),
    ("Trước 15/12", 2024, D(date(2024, 12, 15))),
    ("6 tháng đầu năm", 2025, D(date(2025, 6, 30))),
    ("6 tháng cuối năm 2024", None, D(date(2024, 12, 31))),
    ("Giai đoạn 2022-2025", None, D(date(2025, 12, 31))),
    ("Thường xuyên", 2024, Q),
    ("THƯỜNG XUYÊN.", 2024, Q),
    ("Thường\nxuyên", 2024, Q),
    ("thuong xuyen", 2024, Q),
    ("Hàng năm", 2022, Recurring(Period.YEARLY, starts_on=date(2022, 1, 1))),
    ("Hằng năm", 2022, Recurring(Period.YEARLY, starts_on=date(2022, 1, 1))),
    ("Hằng quý", 2024, Recurring(Period.QUARTERLY, starts_on=Y2024)),
    ("Hằng tháng", None, Recurring(Period.MONTHLY)),
    ("Định kỳ 6 tháng", 2024, Recurring(Period.HALF_YEARLY, starts_on=Y2024)),
    ("trước 15/12 hằng năm", 2024, Recurring(Period.YEARLY, anchor=(11, 15), starts_on=Y2024)),
    ("Theo chế độ báo cáo định kỳ", 2024, Recurring(Period.QUARTERLY, starts_on=Y2024)),
    ("Theo chế độ báo cáo định ký", 2024, Recurring(Period.QUARTERLY, starts_on=Y2024)),
]

UNSPECIFIED = [
    "Theo kế hoạch",
    "Theo Kế hoạch kiểm tra",
    "Theo Kế hoạch tuyển dụng",
    "Theo quy định",
    "Theo quy định của Sở Nội vụ",
    "Theo tiến độ triển khai của UBND tỉnh",
    "Theo tiến độ cụ thể của từng nhiệm vụ",
    "Theo thông báo kết quả kiểm tra",
    "Khi có yêu cầu",
    "sớm",
    "",
]


@pytest.mark.parametrize(("text", "year", "expected"), CASES)
def test_phrase_means_what_an_officer_reads(text: str, year: int | None, expected: object) -> None:
    assert parse_deadline(text, plan_year=year) == expected


@pytest.mark.parametrize("text", UNSPECIFIED)
def test_phrase_naming_no_date_is_unspecified_with_a_reason(text: str) -> None:
    result = parse_deadline(text, plan_year=2024)
    assert isinstance(result, Unspecified)
    assert result.reason
    assert not result.invalid


def test_reason_quotes_the_original_words() -> None:
    result = parse_deadline("Theo Kế hoạch kiểm tra", plan_year=2022)
    assert isinstance(result, Unspecified)
    assert "“Theo Kế hoạch kiểm tra”" in result.reason


@pytest.mark.parametrize(
    "text", ["Trong năm", "Quý II", "Tháng 9", "Trước 15/12", "6 tháng đầu năm"]
)
def test_cell_without_year_and_plan_without_year_is_not_guessed(text: str) -> None:
    result = parse_deadline(text, plan_year=None)
    assert isinstance(result, Unspecified)
    assert "năm" in result.reason


@pytest.mark.parametrize("text", ["31/02/2024", "Tháng 13/2024", "30/2/2023"])
def test_impossible_date_is_flagged_invalid(text: str) -> None:
    result = parse_deadline(text, plan_year=2024)
    assert isinstance(result, Unspecified)
    assert result.invalid


def test_milestones_in_the_result_column_each_keep_their_note() -> None:
    result = parse_deadline(
        "Trong năm 2022",
        plan_year=2022,
        result="- Đến 31/12/2022: Hoàn thành tối thiểu 90% kế hoạch được giao "
        "- Đến 31/01/2023: Hoàn thành 100% kế hoạch được giao",
    )
    assert result == Milestones(
        (
            Milestone(date(2022, 12, 31), "Hoàn thành tối thiểu 90% kế hoạch được giao"),
            Milestone(date(2023, 1, 31), "Hoàn thành 100% kế hoạch được giao"),
        )
    )


def test_a_single_date_in_the_result_does_not_override_the_deadline() -> None:
    result = parse_deadline("Trong năm 2024", plan_year=2024, result="Báo cáo trước 30/6/2024")
    assert result == D(date(2024, 12, 31))


@pytest.mark.parametrize(("text", "year", "expected"), CASES[:8] + CASES[28:])
def test_storage_round_trip(text: str, year: int | None, expected: object) -> None:
    parsed = parse_deadline(text, plan_year=year)
    assert from_record(parsed.kind, to_record(parsed)) == parsed


@given(st.text(), st.one_of(st.none(), st.integers(min_value=1900, max_value=2100)), st.text())
def test_parser_never_raises(text: str, year: int | None, result: str) -> None:
    parsed = parse_deadline(text, plan_year=year, result=result)
    assert parsed.kind in {"date", "recurring", "milestones", "unspecified"}
    assert parsed.describe()


@given(st.from_regex(r"(Trong năm|Quý|Tháng|Trước ngày|Hằng|Năm)? ?[0-9IVX/ .-]{0,14}"))
def test_parser_never_raises_on_near_misses(text: str) -> None:
    assert parse_deadline(text, plan_year=2024).describe()


@pytest.mark.parametrize(("cell", "first", "second"), [
    ("Quý IV/2024 Quý IV/2025", "Quý IV/2024", "Quý IV/2025"),
    ("Quý IV/2024\nQuý IV/2025", "Quý IV/2024", "Quý IV/2025"),
    ("31/12/2024  31/12/2025", "31/12/2024", "31/12/2025"),
    ("Tháng 6/2025\nTháng 12/2025", "Tháng 6/2025", "Tháng 12/2025"),
])  # fmt: skip
def test_two_deadlines_one_after_the_other_are_not_read_and_both_are_named(
    cell: str, first: str, second: str
) -> None:
    got = parse_deadline(cell, plan_year=2024)
    assert isinstance(got, Unspecified)
    assert got.reason.startswith(f"hai thời hạn trong một ô: “{first}” và “{second}”")
    # Said how they relate ("; ", "và"): milestones, the last one the due date, as before.
    said = parse_deadline("Quý IV/2024; Quý IV/2025", plan_year=2024)
    assert isinstance(said, DueDate) and "mốc cuối trong 2 mốc" in said.reading
