"""The deadline grammar, family by family: each phrasing with the date, rule or "unspecified"
an officer would read. Plan context: year 2027, signed on 01/03/2027, unless a case says."""

from __future__ import annotations

import csv
import re
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import (
    Done,
    DueDate,
    Period,
    Recurring,
    Unspecified,
    final_date,
    parse_deadline,
)
from bot.domain.text import fold

PLAN_DATE = date(2027, 3, 1)


def read(text: str, **kw: object) -> object:
    kw.setdefault("plan_date", PLAN_DATE)
    return parse_deadline(text, cal=WorkCalendar(), **kw)  # type: ignore[arg-type]


def both_ways(cases: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Each phrasing as written and as typed without diacritics."""
    out = []
    for text, expected in cases:
        out.append((text, expected))
        if fold(text) != text.lower():
            out.append((fold(text), expected))
    return out


D = DueDate

RANGES_AND_LISTS = [
    ("Quý I, II/2027", D(date(2027, 6, 30))),
    ("Quý III-IV/2027", D(date(2027, 12, 31))),
    ("Quý III - IV/2027", D(date(2027, 12, 31))),
    ("Quý I và quý III năm 2027", D(date(2027, 9, 30))),
    ("Quý II – Quý III/2027", D(date(2027, 9, 30))),
    ("Quý IV/2027 - Quý I/2028", D(date(2028, 3, 31))),
    ("Tháng 9-10/2027", D(date(2027, 10, 31))),
    ("Tháng 9, 10 và 11/2027", D(date(2027, 11, 30))),
    ("Tháng 10/2027 - tháng 02/2028", D(date(2028, 2, 29))),
    ("Từ tháng 2 đến tháng 5/2027", D(date(2027, 5, 31))),
    ("Từ tháng 11/2027 đến tháng 3/2028", D(date(2028, 3, 31))),
    ("Từ quý III/2026 đến quý III/2030", D(date(2030, 9, 30))),
    ("Năm 2027, 2028", D(date(2028, 12, 31))),
    ("Năm 2027 và năm 2028", D(date(2028, 12, 31))),
    ("Năm 2025 - Năm 2028", D(date(2028, 12, 31))),
    ("2026-2030", D(date(2030, 12, 31))),
    ("2026 - 2035", D(date(2035, 12, 31))),
    ("Giai đoạn 2026-2031", D(date(2031, 12, 31))),
    ("Giai đoạn 2026 – 2030", D(date(2030, 12, 31))),
    ("30/6/2027; 31/12/2027", D(date(2027, 12, 31))),
    ("Từ 01/7/2027 đến 30/9/2027", D(date(2027, 9, 30))),
    ("Năm 2027 – 2028", D(date(2028, 12, 31))),
    ("Q1, Q2/2027", D(date(2027, 6, 30))),
]

STARTS = [
    ("Từ quý III/2028", date(2028, 7, 1), Period.QUARTERLY),
    ("Từ Quý I/2027", date(2027, 1, 1), Period.QUARTERLY),
    ("Từ ngày 01/7/2027", date(2027, 7, 1), Period.QUARTERLY),
    ("Từ ngày 01 tháng 7 năm 2027", date(2027, 7, 1), Period.QUARTERLY),
    ("Từ tháng 9/2027", date(2027, 9, 1), Period.QUARTERLY),
    ("Từ năm 2028", date(2028, 1, 1), Period.QUARTERLY),
    ("Bắt đầu từ tháng 5/2027", date(2027, 5, 1), Period.QUARTERLY),
    ("Kể từ quý II/2027", date(2027, 4, 1), Period.QUARTERLY),
    ("Từ quý III/2027 trở đi", date(2027, 7, 1), Period.QUARTERLY),
    ("Từ năm 2028 trở đi", date(2028, 1, 1), Period.QUARTERLY),
    ("Năm 2027 và các năm tiếp theo", date(2027, 1, 1), Period.YEARLY),
    ("Từ năm 2027 và những năm tiếp theo", date(2027, 1, 1), Period.YEARLY),
    ("Từ tháng 5/2027, thường xuyên", date(2027, 5, 1), Period.QUARTERLY),
    ("Từ quý II/2027, hằng quý", date(2027, 4, 1), Period.QUARTERLY),
    ("Từ năm 2028, hằng năm", date(2028, 1, 1), Period.YEARLY),
    ("Từ 01/01/2028", date(2028, 1, 1), Period.QUARTERLY),
]

BEFORE_AND_LATEST = [
    ("Trước năm 2028", D(date(2027, 12, 31))),
    ("Trước năm 2030", D(date(2029, 12, 31))),
    ("Trước ngày 20/11 năm 2027", D(date(2027, 11, 20))),
    ("Trước ngày 20/11/2027", D(date(2027, 11, 20))),
    ("Trước ngày 20 tháng 11 năm 2027", D(date(2027, 11, 20))),
    ("trước 20/11", D(date(2027, 11, 20))),
    ("Trước tháng 6/2027", D(date(2027, 5, 31))),
    ("Trước quý III/2027", D(date(2027, 6, 30))),
    ("Chậm nhất trước ngày 20/11/2027", D(date(2027, 11, 20))),
    ("Chậm nhất ngày 30/6/2027", D(date(2027, 6, 30))),
    ("Chậm nhất trong quý III/2027", D(date(2027, 9, 30))),
    ("Chậm nhất là tháng 10/2027", D(date(2027, 10, 31))),
    ("Không quá quý IV/2027", D(date(2027, 12, 31))),
    ("Không quá ngày 15/8/2027", D(date(2027, 8, 15))),
    ("Đến hết năm 2027", D(date(2027, 12, 31))),
    ("Hạn chót 30.9.2027", D(date(2027, 9, 30))),
    ("Hoàn thành trước 30/6/2027", D(date(2027, 6, 30))),
    ("Xong trước ngày 01 tháng 5 năm 2027", D(date(2027, 5, 1))),
    ("Hoàn thành trong quý IV/2027", D(date(2027, 12, 31))),
    ("Thời hạn hoàn thành: trong quý II năm 2027", D(date(2027, 6, 30))),
]

QUALIFIERS = [
    ("Đầu tháng 9/2027", D(date(2027, 9, 10))),
    ("Giữa tháng 9/2027", D(date(2027, 9, 20))),
    ("Cuối tháng 9/2027", D(date(2027, 9, 30))),
    ("Tuần đầu tháng 10/2027", D(date(2027, 10, 7))),
    ("Tuần cuối tháng 10/2027", D(date(2027, 10, 31))),
    ("Tuần thứ 2 của tháng 10/2027", D(date(2027, 10, 14))),
    ("Nửa đầu tháng 4/2027", D(date(2027, 4, 15))),
    ("Thượng tuần tháng 3/2027", D(date(2027, 3, 10))),
    ("Trung tuần tháng 3/2027", D(date(2027, 3, 20))),
    ("Hạ tuần tháng 3/2027", D(date(2027, 3, 31))),
    ("Đầu quý III/2027", D(date(2027, 7, 31))),
    ("Giữa quý III/2027", D(date(2027, 8, 31))),
    ("Cuối quý III/2027", D(date(2027, 9, 30))),
    ("Đầu năm 2028", D(date(2028, 3, 31))),
    ("Giữa năm 2027", D(date(2027, 6, 30))),
    ("Cuối năm 2027", D(date(2027, 12, 31))),
    ("Nửa đầu năm 2027", D(date(2027, 6, 30))),
    ("6 tháng đầu năm 2027", D(date(2027, 6, 30))),
    ("9 tháng đầu năm 2027", D(date(2027, 9, 30))),
    ("6 tháng cuối năm 2027", D(date(2027, 12, 31))),
    ("Cuối năm", D(date(2027, 12, 31))),
]
QUALIFIERS_WITHOUT_A_WINDOW = [
    "Nửa đầu quý II/2027",
    "Tuần thứ 3 quý II/2027",
    "Đầu năm học 2027-2028",
    "Giữa năm học 2027-2028",
    "Cuối ngày 15/6/2027",
]

RELATIVE = [
    ("10 ngày kể từ ngày ký", date(2027, 3, 11)),
    ("Trong vòng 45 ngày kể từ ngày ban hành Kế hoạch", date(2027, 4, 15)),
    ("Trong thời hạn 30 ngày kể từ ngày ký ban hành", date(2027, 3, 31)),
    ("Không quá 15 ngày kể từ ngày Kế hoạch được ban hành", date(2027, 3, 16)),
    ("Sau 20 ngày kể từ ngày ký", date(2027, 3, 21)),
    ("Chậm nhất 60 ngày kể từ ngày ký Kế hoạch này", date(2027, 4, 30)),
    ("trong vong 7 ngay ke tu ngay ky", date(2027, 3, 8)),
    ("2 tuần kể từ ngày ký", date(2027, 3, 15)),
    ("03 tháng kể từ ngày ban hành", date(2027, 6, 1)),
    ("1 tháng kể từ ngày ký", date(2027, 4, 1)),
    # Working days: 01/03/2027 is a Monday; no holiday until 30/4.
    ("5 ngày làm việc kể từ ngày ký", date(2027, 3, 8)),
    ("Trong 10 ngày làm việc kể từ ngày ban hành Kế hoạch", date(2027, 3, 15)),
    ("15 ngày làm việc kể từ ngày ký", date(2027, 3, 22)),
    ("Trong thời hạn 20 ngày làm việc, kể từ ngày ký", date(2027, 3, 29)),
    ("Tối đa 90 ngày kể từ ngày ký", date(2027, 5, 30)),
    ("30 ngày sau khi Kế hoạch được ban hành", date(2027, 3, 31)),
    ("10 ngày sau khi ký", date(2027, 3, 11)),
]
RELATIVE_TO_AN_EVENT = [
    "30 ngày kể từ ngày nhận được văn bản",
    "15 ngày sau khi có quyết định phê duyệt",
    "10 ngày kể từ ngày kết thúc đợt kiểm tra",
    "Trong vòng 5 ngày kể từ ngày nhận được yêu cầu",
    "Sau 30 ngày kể từ khi hoàn thành",
]

RECURRING = [
    ("Trước ngày 25 hằng tháng", Recurring(Period.MONTHLY, anchor=(0, 25))),
    ("Ngày 20 hàng tháng", Recurring(Period.MONTHLY, anchor=(0, 20))),
    ("Hằng tháng, trước ngày 25", Recurring(Period.MONTHLY, anchor=(0, 25))),
    ("Trước ngày 05 tháng sau, hằng tháng", Recurring(Period.MONTHLY, anchor=(1, 5))),
    ("Định kỳ hằng quý, trước ngày 10 tháng cuối quý", Recurring(Period.QUARTERLY, anchor=(2, 10))),
    ("Hằng quý, trước ngày 15 tháng đầu quý sau", Recurring(Period.QUARTERLY, anchor=(3, 15))),
    ("Hằng quý (trước ngày 20 của tháng cuối quý)", Recurring(Period.QUARTERLY, anchor=(2, 20))),
    ("trước 15/12 hằng năm", Recurring(Period.YEARLY, anchor=(11, 15))),
    ("Hằng năm, trước ngày 15/12", Recurring(Period.YEARLY, anchor=(11, 15))),
    ("Định kỳ trước ngày 01 tháng 12 hằng năm", Recurring(Period.YEARLY, anchor=(11, 1))),
    ("Hằng năm, trước ngày 30 tháng 11", Recurring(Period.YEARLY, anchor=(10, 30))),
    ("Quý IV hằng năm", Recurring(Period.YEARLY, anchor=(11, 31))),
    ("Tháng 6 và tháng 12 hằng năm", Recurring(Period.HALF_YEARLY)),
    ("Định kỳ 6 tháng, trước ngày 15 tháng cuối kỳ", Recurring(Period.HALF_YEARLY, anchor=(5, 15))),
    ("6 tháng/lần", Recurring(Period.HALF_YEARLY)),
    ("Mỗi quý một lần", Recurring(Period.QUARTERLY)),
    ("Hằng năm, thường xuyên", Recurring(Period.YEARLY, ongoing=True)),
    (
        "Thường xuyên trong năm 2027",
        Recurring(Period.QUARTERLY, ongoing=True, ends_on=date(2027, 12, 31)),
    ),
    (
        "Thường xuyên, giai đoạn 2026-2030",
        Recurring(
            Period.QUARTERLY, ongoing=True, starts_on=date(2026, 1, 1), ends_on=date(2030, 12, 31)
        ),
    ),
    ("Hằng quý, báo cáo định kỳ", Recurring(Period.QUARTERLY)),
]
RECURRING_WITHOUT_A_CLEAR_DAY = [
    "Hằng quý, trước ngày 15",
    "Tháng 3 và tháng 9 hằng năm",
    "Hằng tuần",
    "Thứ Hai hằng tuần",
    "Hằng ngày",
]

SCHOOL_YEARS = [
    ("Năm học 2027-2028", D(date(2028, 5, 31))),
    ("Năm học 2027 - 2028", D(date(2028, 5, 31))),
    ("năm học 2026–2027", D(date(2027, 5, 31))),
    ("Cuối năm học 2027-2028", D(date(2028, 5, 31))),
    ("Trong năm học 2027-2028", D(date(2028, 5, 31))),
    ("Năm học 2027/2028", D(date(2028, 5, 31))),
    ("Hết năm học 2027-2028", D(date(2028, 5, 31))),
    ("Kết thúc năm học 2027-2028", D(date(2028, 5, 31))),
    ("Chậm nhất cuối năm học 2027-2028", D(date(2028, 5, 31))),
    ("Năm học 2027-2028 và 2028-2029", D(date(2029, 5, 31))),
    ("Năm học 2027-2028, năm học 2028-2029", D(date(2029, 5, 31))),
    ("Trước năm học 2027-2028", D(date(2027, 8, 31))),
    ("Hoàn thành trong năm học 2026 - 2027", D(date(2027, 5, 31))),
    ("NĂM HỌC 2027-2028", D(date(2028, 5, 31))),
    ("Từ năm học 2026-2027 đến năm học 2028-2029", D(date(2029, 5, 31))),
]
SCHOOL_YEARS_NOT_READ = [
    "Năm học 2027-2029",
    "Đầu năm học 2027-2028",
    "Các năm học 2026-2027, 2027-2028",
]

STATUS_WORDS = [
    "Đã xong",
    "Đã thực hiện xong",
    "Đã hoàn thành",
    "Đã thực hiện",
    "Đã triển khai",
    "Đã hoàn thành (Quyết định số 12/QĐ-UBND)",
    "Đã ban hành",
    "đã xong.",
    "ĐÃ HOÀN THÀNH",
    "Đã triển khai thực hiện",
    "Đã hoàn thành năm 2026",
    "Đã tổ chức thực hiện",
    "Đã thực hiện hoàn thành",
    "Đã xây dựng xong",
    "Đã có",
]

# Found by trying it as a new admin would: each of these once read to a wrong date or status.
YEAR_WRAPS = [
    ("Tháng 11/2027 - tháng 2", D(date(2028, 2, 29))),
    ("Từ tháng 9/2027 đến tháng 3", D(date(2028, 3, 31))),
    ("Tháng 12/2027 - tháng 1", D(date(2028, 1, 31))),
    ("Quý IV/2027 - Quý I", D(date(2028, 3, 31))),
    ("Quý IV/2027, quý I", D(date(2028, 3, 31))),
    ("Từ quý IV/2027 đến quý II", D(date(2028, 6, 30))),
    ("Tháng 12 - tháng 2/2028", D(date(2028, 2, 29))),
    ("Năm học 2027-2028, 2028-2029", D(date(2029, 5, 31))),
    ("Từ nay đến năm 2030", D(date(2030, 12, 31))),
    ("Tháng 9/2027 đến hết năm 2027", D(date(2027, 12, 31))),
    ("Trước 20 tháng 12", D(date(2027, 12, 20))),
    ("Dự kiến quý IV/2027", D(date(2027, 12, 31))),
    ("Tuần đầu tiên của tháng 9/2027", D(date(2027, 9, 7))),
    ("Năm học 2027-28", D(date(2028, 5, 31))),
    ("• Quý IV/2027", D(date(2027, 12, 31))),
    ("+ Quý IV/2027", D(date(2027, 12, 31))),
    ("Quý IV‒2027", D(date(2027, 12, 31))),
    ("Quý Ⅳ/２０２７", D(date(2027, 12, 31))),
    ("Quý IV/2027\u200b", D(date(2027, 12, 31))),
    ("Quý IV⁄2027", D(date(2027, 12, 31))),
]
NEVER_A_DATE = [
    "Đầu tháng 10 hoặc cuối tháng 9/2027",
    "Tháng 10/2027; tháng 9/2027",
    "Giai đoạn 2030-2026",
    "Năm 2027 - 2026",
    "10 ngày kể từ ngày Bộ ban hành Thông tư",
    "15 ngày kể từ ngày ký Quyết định công bố danh mục TTHC",
    "Quý II/2027 (đối với cấp tỉnh); Quý IV/2027 (đối với cấp huyện)",
    "Trước 31/12/2027 (đối với cấp huyện: trước 30/6/2028)",
    "Thường xuyên; báo cáo trước ngày 15/12/2027",
    "Trước năm 2000",
    "Đã triển khai, tiếp tục thực hiện",
    "Đã hoàn thành 50%",
    "Đã hoàn thành một phần",
    "Đã có kế hoạch, đang triển khai",
    "Đã thực hiện thường xuyên",
    "Đã thực hiện, đang tiếp tục",
    "Đã hoàn thành quý I; quý II đang thực hiện",
    "1" * 10000,
    "Quý IV/2027 (số " + "1" * 5000 + ")",
]


@pytest.mark.parametrize(("text", "expected"), YEAR_WRAPS)
def test_years_borrowed_across_a_range_and_odd_typing(text: str, expected: DueDate) -> None:
    assert read(text) == expected


@pytest.mark.parametrize("text", NEVER_A_DATE)
def test_what_must_never_read_to_a_date_or_done(text: str) -> None:
    assert isinstance(read(text), Unspecified)


def test_until_bounds_a_recurring_task() -> None:
    got = read("Tháng 12 hằng năm đến năm 2030")
    assert isinstance(got, Recurring) and got.anchor == (11, 31)
    assert got.ends_on == date(2030, 12, 31) and got.starts_on == date(2027, 1, 1)


def test_a_hostile_cell_is_read_quickly() -> None:
    import time

    started = time.perf_counter()
    for text in ("(a " * 20000, "Quý I, " * 70, "(" * 400 + ")" * 100, "Quý I, " * 5000):
        assert read(text).describe()
    assert time.perf_counter() - started < 2  # seconds; each once took several


NOT_FULLY_READ = [
    ("Quý IV/2027 (tối đa 30 ngày)", "chưa hiểu phần “(tối đa 30 ngày)”"),  # the remark whole
    ("Quý IV/2027 sau khi có hướng dẫn của Bộ", "sau khi"),
    ("Năm 2027 (sau khi Chính phủ ban hành Nghị định)", "sau khi"),
    ("Tháng 6/2027 hoặc khi có yêu cầu", "khi"),
    ("Quý III/2027 tùy tình hình", "tùy"),
    ("Trình UBND tỉnh trong quý IV/2027", "Trình"),
    ("Kỳ họp thứ nhất Hội đồng nhân dân khóa mới", "Kỳ họp"),
    ("tháng 12/25", "/25"),  # a month over two digits may be two months: not a year
    ("Quý V/2027", ""),
    ("Tháng 6/2027 nếu đủ kinh phí", "nếu"),
    ("Quý IV/2027, có thể lùi sang năm sau", "có thể"),
    ("Định kỳ hàng năm gửi báo cáo tới Bộ Giáo dục trước ngày 30 tháng 11", "tới"),
    ("Cuối tuần", ""),
    ("Trước Tết Nguyên đán", "Tết"),
    ("Đầu năm sau", ""),
    ("Năm 2027 trở về trước", ""),
]


@pytest.mark.parametrize(("text", "expected"), both_ways(RANGES_AND_LISTS))
def test_a_range_or_list_is_due_at_the_end_of_its_last_period(text: str, expected: DueDate) -> None:
    got = read(text)
    assert got == expected
    assert isinstance(got, DueDate)
    assert "mốc cuối" in got.reading or "cuối khoảng thời gian" in got.reading


@pytest.mark.parametrize(("text", "start", "period"), STARTS)
def test_a_start_without_an_end_is_ongoing_from_that_start(
    text: str, start: date, period: Period
) -> None:
    for variant in {text, fold(text)}:
        got = read(variant)
        assert isinstance(got, Recurring), variant
        assert got.starts_on == start and got.period is period
        assert final_date(got) is None  # never a due date on the start


@pytest.mark.parametrize(("text", "expected"), both_ways(BEFORE_AND_LATEST))
def test_before_and_at_the_latest(text: str, expected: DueDate) -> None:
    assert read(text) == expected


@pytest.mark.parametrize(("text", "expected"), both_ways(QUALIFIERS))
def test_qualifiers_narrow_the_window(text: str, expected: DueDate) -> None:
    got = read(text)
    assert got == expected
    assert isinstance(got, DueDate) and got.reading


@pytest.mark.parametrize("text", QUALIFIERS_WITHOUT_A_WINDOW)
def test_a_qualifier_without_a_clear_window_is_unspecified(text: str) -> None:
    got = read(text)
    assert isinstance(got, Unspecified), got


@pytest.mark.parametrize(("text", "expected"), RELATIVE)
def test_relative_to_the_plan_counts_from_its_date(text: str, expected: date) -> None:
    for variant in {text, fold(text)}:
        assert read(variant) == D(expected), variant


def test_relative_without_a_plan_date_is_unspecified() -> None:
    got = parse_deadline("10 ngày kể từ ngày ký", plan_year=2027)
    assert isinstance(got, Unspecified) and "ngày ban hành" in got.reason


@pytest.mark.parametrize("text", RELATIVE_TO_AN_EVENT)
def test_relative_to_another_event_is_unspecified(text: str) -> None:
    got = read(text)
    assert isinstance(got, Unspecified) and "sự việc" in got.reason


@pytest.mark.parametrize(("text", "expected"), both_ways(RECURRING))
def test_recurring_with_an_anchor_day(text: str, expected: Recurring) -> None:
    got = read(text)
    assert isinstance(got, Recurring), got
    assert (got.period, got.ongoing, got.anchor, got.ends_on) == (
        expected.period, expected.ongoing, expected.anchor, expected.ends_on
    )  # fmt: skip
    if expected.starts_on:
        assert got.starts_on == expected.starts_on


@pytest.mark.parametrize("text", RECURRING_WITHOUT_A_CLEAR_DAY)
def test_recurring_without_a_clear_day_is_unspecified(text: str) -> None:
    assert isinstance(read(text), Unspecified)


@pytest.mark.parametrize(("text", "expected"), both_ways(SCHOOL_YEARS))
def test_a_school_year_ends_on_its_last_day(text: str, expected: DueDate) -> None:
    assert read(text) == expected


@pytest.mark.parametrize("text", SCHOOL_YEARS_NOT_READ)
def test_a_school_year_that_does_not_hold_together_is_unspecified(text: str) -> None:
    assert isinstance(read(text), Unspecified)


def test_the_school_years_last_day_is_a_setting() -> None:
    assert read("Năm học 2027-2028", school_year_end=(6, 30)) == D(date(2028, 6, 30))


@pytest.mark.parametrize("text", STATUS_WORDS)
def test_status_words_mean_done(text: str) -> None:
    for variant in {text, fold(text)}:
        assert isinstance(read(variant), Done), variant


# Dates as typed outside the plans' usual "31/12/2025": ISO, two-digit years, other
# separators, months in words (as written: "sáu" is six, "sau" after).
OTHER_DATE_SPELLINGS = [
    ("2025-12-31", date(2025, 12, 31)),
    ("2025/12/31", date(2025, 12, 31)),
    ("Trước ngày 2026-03-05", date(2026, 3, 5)),
    ("30/6/25", date(2025, 6, 30)),
    ("31/12/25", date(2025, 12, 31)),
    ("ngày 31-12-25", date(2025, 12, 31)),
    ("31-12-2025", date(2025, 12, 31)),
    ("31.12.2025", date(2025, 12, 31)),
    ("tháng Mười Hai năm 2025", date(2025, 12, 31)),
    ("tháng mười hai 2025", date(2025, 12, 31)),
    ("Tháng Mười Một/2027", date(2027, 11, 30)),
    ("tháng Giêng năm 2028", date(2028, 1, 31)),
    ("tháng Chạp 2027", date(2027, 12, 31)),
    ("ngày 5 tháng Ba", date(2027, 3, 5)),
    ("ngày 5 tháng Ba năm 2028", date(2028, 3, 5)),
    ("Trước ngày 30 tháng Sáu năm 2027", date(2027, 6, 30)),
    ("ngày 30 tháng Tư", date(2027, 4, 30)),
    ("tháng Năm năm 2027", date(2027, 5, 31)),
    ("ngày 31 tháng mười hai năm 2027", date(2027, 12, 31)),
]


@pytest.mark.parametrize(("text", "on"), OTHER_DATE_SPELLINGS)
def test_other_spellings_of_a_date(text: str, on: date) -> None:
    got = read(text)
    assert isinstance(got, DueDate) and got.on == on, got


@pytest.mark.parametrize(
    "text",
    ["ngày 10 tháng sau", "tháng năm 2027", "2025-13-01", "2025-12", "31/12/2025/1", "1/2/3/4"],
)
def test_look_alikes_of_other_spellings_are_no_date(text: str) -> None:
    """ "sau" (after) is not "sáu" (six); "tháng năm 2027" may be May or the year."""
    assert isinstance(read(text), Unspecified)


@pytest.mark.parametrize(("text", "unread"), NOT_FULLY_READ)
def test_partial_understanding_is_not_a_date(text: str, unread: str) -> None:
    got = read(text)
    assert isinstance(got, Unspecified), got
    assert unread in got.reason


def test_spelling_variants_of_quarters() -> None:
    for text in ("Quý 4/2027", "Quí IV/2027", "Qúy IV năm 2027", "quý 4 năm 2027", "Q4/2027",
                 "Q4 2027", "QUÝ IV/2027", "Quý IV2027", "Quý IV/ 2027", "quy  iv / 2027"):  # fmt: skip
        assert read(text) == D(date(2027, 12, 31)), text


def test_a_period_already_past_when_the_plan_was_signed_is_not_moved() -> None:
    got = parse_deadline("Tháng 1", plan_date=date(2027, 3, 1))
    assert isinstance(got, Unspecified) and "đã qua" in got.reason
    assert parse_deadline("Tháng 1/2027", plan_date=date(2027, 3, 1)) == D(date(2027, 1, 31))


@pytest.mark.parametrize("text", ["31/12/9999", "Năm 1890", "Quý IV/3024", "Tháng 13/2027"])
def test_a_date_that_cannot_be_meant_is_invalid(text: str) -> None:
    got = read(text)
    assert isinstance(got, Unspecified) and got.invalid


def test_every_reading_explains_itself() -> None:
    assert read("Cuối quý III/2027").describe() == "Hạn 30/09/2027 — cuối quý III/2027"
    assert read("Trước năm 2028").describe().startswith("Hạn 31/12/2027 — trước năm 2028")
    assert "năm của kế hoạch" in read("Quý IV").describe()


# --- properties ----------------------------------------------------------------------------

_ROMAN = ["I", "II", "III", "IV"]
years = st.integers(min_value=2001, max_value=2098)
member = st.one_of(
    st.builds(
        lambda q, y, r: f"Quý {_ROMAN[q - 1] if r else q}/{y}",
        st.integers(1, 4),
        years,
        st.booleans(),
    ),
    st.builds(lambda m, y: f"Tháng {m}/{y}", st.integers(1, 12), years),
    st.builds(lambda y: f"Năm {y}", years),
    st.builds(lambda d, m, y: f"{d}/{m}/{y}", st.integers(1, 28), st.integers(1, 12), years),
    st.builds(lambda y: f"năm {y}", years),
)
connector = st.sampled_from([", ", " - ", " và ", "; ", " đến ", " – "])


@given(st.lists(member, min_size=1, max_size=4), connector)
def test_a_list_reads_to_the_date_of_its_last_member(members: list[str], conn: str) -> None:
    whole = read(conn.join(members))
    alone = [read(m) for m in members]
    assert all(isinstance(x, DueDate) for x in alone)
    ends = [x.on for x in alone if isinstance(x, DueDate)]
    if ends == sorted(ends):
        assert isinstance(whole, DueDate) and whole.on == ends[-1]
    else:  # a list out of order has no last period to stand behind
        assert isinstance(whole, Unspecified) and "thứ tự" in whole.reason


words = st.sampled_from(
    ["Quý", "quý", "Tháng", "Năm", "năm học", "Trước", "trước ngày", "Từ", "đến", "đầu", "cuối",
     "giữa", "tuần", "hằng", "tháng", "định kỳ", "thường xuyên", "kể từ", "ngày", "ký", "xong",
     "Đã", "I", "II", "IV", ",", "-", "/", "và", "(", ")", "Q", "lần", "làm việc", "theo"]
)  # fmt: skip
numbers = st.one_of(years.map(str), st.integers(0, 40).map(str), st.integers(0, 99999).map(str))


@given(st.lists(st.one_of(words, numbers), max_size=9), st.sampled_from([" ", "", "\n"]))
def test_never_raises_and_never_dates_outside_the_years_written(parts: list[str], sep: str) -> None:
    text = sep.join(parts)
    got = read(text, plan_year=None, plan_date=None)
    assert got.describe()
    on = final_date(got)
    if on is not None:
        written = [int(y) for y in re.findall(r"(?<!\d)\d{4}(?!\d)", text)]
        # a full date's two-digit year ("30/6/25") is written too: 2025
        written += [2000 + int(y) for y in re.findall(r"\d[/.-]\d{1,2}[/.-](\d{2})(?!\d)", text)]
        assert any(abs(on.year - y) <= 1 for y in written), (text, got)


# --- real cells from published plans (not the seeds) -------------------------------------

PUBLISHED = Path(__file__).parent / "data" / "published_deadlines.tsv"


def _published() -> list[tuple[str, str, str]]:
    with PUBLISHED.open(encoding="utf-8") as f:
        return [
            (r["cell"], r["plan_date"], r["reading"]) for r in csv.DictReader(f, delimiter="\t")
        ]


@pytest.mark.parametrize(("cell", "plan_date", "reading"), _published())
def test_no_published_cell_is_read_to_a_wrong_date(cell: str, plan_date: str, reading: str) -> None:
    """Each cell was read by a person independently; the reader may say less, never other."""
    signed = date(*reversed([int(x) for x in plan_date.split("/")])) if plan_date else None
    got = read(cell, plan_date=signed)
    expected = re.match(r"date (\d{4}-\d{2}-\d{2})", reading) or re.search(
        r"first by (\d{4}-\d{2}-\d{2})", reading
    )
    if isinstance(got, DueDate):
        assert expected is not None, (cell, got, reading)
        assert got.on == date.fromisoformat(expected.group(1)), (cell, got, reading)
    if isinstance(got, Recurring):
        assert "recurring" in reading or reading.startswith("start"), (cell, got, reading)
    if isinstance(got, Done):
        assert reading == "done"


def test_the_school_year_setting_is_validated() -> None:
    from bot.config import Settings, SettingsError

    assert Settings.load({"DONDOC_SCHOOL_YEAR_END": "30/06"}, env_file=None).school_year_end == (
        6,
        30,
    )
    with pytest.raises(SettingsError, match="DONDOC_SCHOOL_YEAR_END"):
        Settings.load({"DONDOC_SCHOOL_YEAR_END": "31/02"}, env_file=None)


def test_an_impossible_quarter_is_invalid_like_an_impossible_month() -> None:
    for text in ("Quý V/2027", "Quý 5/2027", "Tháng 13/2027"):
        got = read(text)
        assert isinstance(got, Unspecified) and got.invalid, text


# A bracketed remark that makes the date depend on something else is as uncertain as the
# same words unbracketed ("Quý IV/2027 sau khi có hướng dẫn của Bộ" is unspecified).
CONDITIONAL_REMARKS = [
    "Quý IV/2027 (theo hướng dẫn của Bộ)",
    "Quý IV/2027 (hoặc khi có văn bản của Bộ Nội vụ)",
    "Tháng 6/2027 (tùy tình hình thực tế)",
    "Năm 2027 (căn cứ hướng dẫn của Trung ương)",
    "Trước 30/6/2027 (nếu được bố trí kinh phí)",
    "Quý III/2027 (phụ thuộc tiến độ của dự án)",
    "Quý IV/2027 (chờ Bộ hướng dẫn)",
    "Quý IV/2027 (đang chờ ý kiến của Bộ)",
    "Quý IV/2027 (trên cơ sở hướng dẫn của Bộ)",
    "Quý IV/2027 (theo chỉ đạo của UBND tỉnh)",
]
# "chờ" (awaiting) typed without its marks is "cho" (for), a remark of scope: marks needed.
AWAITING = [
    "Quý IV/2027 (chờ quyết định)",
    "Quý IV/2027 (Chờ kết quả thí điểm)",
    "Quý IV/2027 (chưa xác định)",
]


@pytest.mark.parametrize(
    "text", [t for t, _ in both_ways([(t, None) for t in CONDITIONAL_REMARKS])]
)
def test_a_bracketed_condition_leaves_the_date_unspecified(text: str) -> None:
    got = read(text)
    assert isinstance(got, Unspecified), got
    assert "kèm điều kiện" in got.reason and "(" in got.reason


@pytest.mark.parametrize(
    ("text", "on", "remark"),
    [("Quý IV/2027 (dự kiến)", date(2027, 12, 31), "dự kiến"),
     ("Quý II/2027 (đối với cấp tỉnh)", date(2027, 6, 30), "đối với cấp tỉnh"),
     ("Quý II/2027 (cho cấp tỉnh)", date(2027, 6, 30), "cho cấp tỉnh"),
     ("Quý IV/2027 (Ghi chú: cấp huyện)", date(2027, 12, 31), "cấp huyện"),
     ("Quý IV/2027 (theo quy định)", date(2027, 12, 31), "theo quy định"),
     ("Quý IV/2027 (hoặc sớm hơn)", date(2027, 12, 31), "hoặc sớm hơn"),
     ("Quý IV/2027 (chậm nhất)", date(2027, 12, 31), "chậm nhất"),
     ("Quý IV/2027 (đúng hạn)", date(2027, 12, 31), "đúng hạn"),
     ("Quý IV/2027 (đợt 1)", date(2027, 12, 31), "đợt 1"),
     ("Quý IV/2027 (giai đoạn 2)", date(2027, 12, 31), "giai đoạn 2"),
     # The date a revision replaced, in brackets: the date outside them is the one.
     ("Quý IV/2027 (điều chỉnh từ Quý III/2027)", date(2027, 12, 31),
      "điều chỉnh từ Quý III/2027"),
     ("Quý IV/2027 (thay cho Quý II/2027)", date(2027, 12, 31), "thay cho Quý II/2027"),
     # The report or meeting the date is for, and the period it covers.
     ("Trước ngày 20/12/2027 (Báo cáo năm)", date(2027, 12, 20), "Báo cáo năm"),
     ("30/6/2027 (báo cáo 6 tháng)", date(2027, 6, 30), "báo cáo 6 tháng"),
     ("15/12/2027 (báo cáo hằng năm)", date(2027, 12, 15), "báo cáo hằng năm"),
     ("Quý II/2027 (sơ kết 6 tháng)", date(2027, 6, 30), "sơ kết 6 tháng"),
     # A period around the date: the date, in that period.
     ("30/6/2027 (quý II)", date(2027, 6, 30), "quý II"),
     ("Tháng 9/2027 (Quý III)", date(2027, 9, 30), "Quý III")],
)  # fmt: skip
def test_a_remark_of_scope_keeps_the_date_and_is_shown(text: str, on: date, remark: str) -> None:
    got = read(text)
    assert isinstance(got, DueDate) and got.on == on
    assert got.reading.endswith(f"ghi chú: {remark}")


@pytest.mark.parametrize(
    ("text", "on"),
    [("Quý III/2027 (chậm nhất ngày 20/9/2027)", date(2027, 9, 20)),
     ("Quý IV/2027 (không quá ngày 15/12/2027)", date(2027, 12, 15)),
     ("Quý IV/2027 (hoàn thành trước ngày 15/11/2027)", date(2027, 11, 15)),
     ("Năm 2027 (Quý III)", date(2027, 9, 30)),
     ("Năm 2027 (tháng 11)", date(2027, 11, 30)),
     ("Quý IV/2027 (báo cáo trước ngày 20/12/2027)", date(2027, 12, 20)),
     ("Quý IV/2027 (tháng 12/2027)", date(2027, 12, 31))],
)  # fmt: skip
def test_a_bracketed_date_within_the_date_narrows_it(text: str, on: date) -> None:
    got = read(text)
    assert isinstance(got, DueDate) and got.on == on, got
    assert "ghi trong ngoặc" in got.reading and "năm của kế hoạch" not in got.reading


@pytest.mark.parametrize(
    "text",
    ["Quý IV/2027 (tháng 6/2028)", "Năm 2027 (Quý II/2028)",
     "Quý III/2027 (chậm nhất ngày 20/12/2027)"],
)  # fmt: skip
def test_a_bracketed_date_outside_the_date_is_two_deadlines(text: str) -> None:
    got = read(text)
    assert isinstance(got, Unspecified) and "hai thời hạn trong một ô" in got.reason, got


def test_bracketed_words_that_are_a_status_or_a_recurrence_read_as_such() -> None:
    assert isinstance(read("Quý II/2027 (đã hoàn thành)"), Done)
    ongoing = read("Năm 2027 (và các năm tiếp theo)")
    assert isinstance(ongoing, Recurring) and ongoing.starts_on == date(2027, 1, 1)
    # A count of days in brackets is not read past: no date.
    assert isinstance(read("Quý IV/2027 (sau 30 ngày)"), Unspecified)
