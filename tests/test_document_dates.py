"""A document's issue date as header blocks write it (and what is said when it is incomplete,
a draft, or not a real day), and a deadline cell holding two deadlines."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.importers.issue_dates import IssueDate, read_issue_date
from bot.importers.plans import import_plan
from tests.docx_plans import PlanDocument, TableRow
from tests.province import IMPORT_DAY, SETTINGS


@pytest.mark.parametrize(("line", "on"), [
    ("Đồng Nai, ngày 05/3/2024", date(2024, 3, 5)),
    ("Đồng Nai, ngày 5.3.2024", date(2024, 3, 5)),
    ("Biên Hòa, ngày 15 tháng 10 năm 2024", date(2024, 10, 15)),
    ("ngày 15 tháng 10 năm 2024", date(2024, 10, 15)),
    ("TP. Hồ Chí Minh, ngày  7  tháng 01 năm 2025", date(2025, 1, 7)),
])  # fmt: skip
def test_issue_dates_in_words_and_figures(line: str, on: date) -> None:
    assert read_issue_date(line) == IssueDate(on, on.year)


def test_a_body_sentence_that_opens_with_a_date_is_no_issue_date() -> None:
    assert read_issue_date("ngày 15 tháng 10 năm 2024, Sở Nội vụ tổ chức hội nghị") is None
    assert read_issue_date("Đồng Nai, tháng 10 năm 2024") is None


def test_a_date_not_real_or_left_blank_keeps_its_year_and_says_why() -> None:
    wrong = read_issue_date("ngày 31 tháng 02 năm 2024")
    assert wrong is not None and (wrong.on, wrong.year) == (None, 2024)
    assert wrong.problem.startswith(
        "ngày ban hành “ngày 31 tháng 02 năm 2024” là ngày không có thật"
    )
    for line in ("Đồng Nai, ngày __ tháng 10 năm 2024", "Đồng Nai, ngày      tháng 10 năm 2024"):
        blank = read_issue_date(line)
        assert blank is not None and (blank.on, blank.year) == (None, 2024)
        assert blank.problem.startswith(
            "ngày ban hành “ngày … tháng 10 năm 2024” chưa ghi đủ ngày, tháng"
        )
        assert "hạn không ghi năm lấy năm 2024" in blank.problem


def plan(folder: Path, place_date: str) -> Path:
    doc = PlanDocument()
    doc.header_block(["UBND TỈNH ĐỒNG NAI"], "49/KH-UBND", place_date)
    doc.paragraph("KẾ HOẠCH")
    doc.paragraph("Cải cách hành chính")
    doc.table(4, [TableRow(["STT", "Nhiệm vụ", "Chủ trì", "Tiến độ"], header=True),
                  TableRow(["1", "Việc A", "Sở Nội vụ", "Tháng 10"])])  # fmt: skip
    return doc.save(folder / "kh.docx")


def test_a_draft_s_blank_day_is_warned_and_its_year_still_dates_the_deadlines(
    registry_engine: Engine, tmp_path: Path
) -> None:
    with Session(registry_engine) as session:
        report = import_plan(session, plan(tmp_path, "Đồng Nai, ngày __ tháng 10 năm 2024"),
                             settings=SETTINGS, on=IMPORT_DAY)  # fmt: skip
        session.rollback()
    assert report.plan_date is None
    assert [w for w in report.warnings if "ngày ban hành" in w] == [
        "ngày ban hành “ngày … tháng 10 năm 2024” chưa ghi đủ ngày, tháng (văn bản chưa ký?): "
        "kế hoạch không có ngày, hạn không ghi năm lấy năm 2024; dùng --date dd/mm/yyyy khi "
        "đã có ngày"
    ]
    assert report.readings[0].deadline.startswith("Hạn 31/10/2024")

    with Session(registry_engine) as session:
        report = import_plan(session, plan(tmp_path, "Đồng Nai, ngày 05/3/2024"),
                             settings=SETTINGS, on=IMPORT_DAY)  # fmt: skip
        session.rollback()
    assert report.plan_date == date(2024, 3, 5)
    assert not [w for w in report.warnings if "ngày ban hành" in w]


def test_a_deadline_cell_of_two_paragraphs_each_a_deadline_is_not_read_and_names_both(
    registry_engine: Engine, tmp_path: Path
) -> None:
    doc = PlanDocument()
    doc.header_block(["UBND TỈNH ĐỒNG NAI"], "49/KH-UBND", "Đồng Nai, ngày 05/3/2024")
    doc.paragraph("KẾ HOẠCH")
    doc.table(4, [TableRow(["STT", "Nhiệm vụ", "Chủ trì", "Tiến độ"], header=True),
                  TableRow(["1", "Việc A", "Sở Nội vụ", "Quý IV/2024\nQuý IV/2025"]),
                  TableRow(["2", "Việc B", "Sở Nội vụ", "Quý IV/2024 Quý IV/2025"])])  # fmt: skip
    with Session(registry_engine) as session:
        report = import_plan(session, doc.save(tmp_path / "kh.docx"), settings=SETTINGS,
                             on=IMPORT_DAY)  # fmt: skip
        session.rollback()
    assert [(u.task_key, u.reason) for u in report.unspecified] == [
        (key, "hai thời hạn trong một ô: “Quý IV/2024” và “Quý IV/2025”, không rõ hạn nào là "
         "hạn của nhiệm vụ; hãy sửa ô trong kế hoạch hoặc đặt hạn bằng dondoc tasks set-deadline")
        for key in ("1", "2")
    ]  # fmt: skip
