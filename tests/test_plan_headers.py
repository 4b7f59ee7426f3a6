"""A task table's headers as plans word them, what is said when a column is missing or a
layout is not read, and groups whose rows are numbered a, b, c."""

from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.importers.columns import map_header
from bot.importers.errors import ImportFailed
from bot.importers.plans import PlanImportReport, import_plan
from bot.importers.rows import PlanMeta
from tests.docx_plans import PlanDocument, TableRow
from tests.province import IMPORT_DAY, SETTINGS


def document(folder: Path, header: list[str], *rows: list[str]) -> Path:
    doc = PlanDocument()
    doc.header_block(["UBND TỈNH"], "60/KH-UBND", "Đồng Nai, ngày 05 tháng 3 năm 2025")
    doc.paragraph("KẾ HOẠCH")
    doc.table(len(header), [TableRow(header, header=True), *(TableRow(r) for r in rows)])
    return doc.save(folder / "kh.docx")


def preview(engine: Engine, path: Path) -> PlanImportReport:
    with Session(engine) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
        session.rollback()
    return report


def refused(engine: Engine, path: Path) -> list[str]:
    with pytest.raises(ImportFailed) as failed, Session(engine) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    return [e.reason for e in failed.value.errors]


@pytest.mark.parametrize(("header", "row"), [
    (["TT", "Nội dung công việc", "Đơn vị thực hiện", "Đơn vị phối hợp", "Thời hạn"],
     ["1", "Việc A", "Sở Nội vụ", "", "Quý I/2025"]),
    (["STT", "Nội dung", "Cơ quan thực hiện", "Thời gian", "Kết quả/Sản phẩm"],
     ["1", "Việc A", "Sở Nội vụ", "Quý I/2025", "Báo cáo"]),
    (["STT", "Nhiệm vụ", "Đơn vị chủ trì", "Cơ quan phối hợp thực hiện", "Thời gian thực hiện"],
     ["1", "Việc A", "Sở Nội vụ", "", "Quý I/2025"]),
    (["STT", "Nhiệm vụ", "Cơ quan, đơn vị thực hiện", "Thời hạn hoàn thành"],
     ["1", "Việc A", "Sở Nội vụ", "Quý I/2025"]),
])  # fmt: skip
def test_a_single_agency_column_is_the_lead_and_the_time_words_the_deadline(
    registry_engine: Engine, tmp_path: Path, header: list[str], row: list[str]
) -> None:
    report = preview(registry_engine, document(tmp_path, header, row))
    assert [r.lead.codes for r in report.readings] == [("so-noi-vu",)]
    assert report.readings[0].deadline.startswith("Hạn 31/03/2025")


def test_the_coordinating_column_that_says_thuc_hien_is_not_the_lead() -> None:
    got = map_header(
        ["STT", "Nhiệm vụ", "Chủ trì", "Cơ quan phối hợp thực hiện", "Tiến độ"], "tasks"
    )
    assert (got["lead"], got["coordinate"]) == (2, 3)
    # "Cơ quan thực hiện" over "Chủ trì" | "Phối hợp": the two read apart, as before.
    two = map_header(["STT", "Nhiệm vụ", "Cơ quan thực hiện Chủ trì",
                      "Cơ quan thực hiện Phối hợp", "Tiến độ"], "tasks")  # fmt: skip
    assert (two["lead"], two["coordinate"]) == (2, 3)


@pytest.mark.parametrize(
    "coordinating",
    ["Cơ quan liên quan", "Đơn vị liên quan", "Coordinating agencies", "Cooperating agencies"],
)
def test_a_column_of_the_agencies_that_take_part_is_the_coordinating_one(
    coordinating: str,
) -> None:
    """Its agencies were dropped without a word when its header was not read."""
    got = map_header(["STT", "Nhiệm vụ", "Chủ trì", coordinating, "Tiến độ"], "tasks")
    assert (got["lead"], got["coordinate"]) == (2, 3)


def test_a_table_without_stt_names_that_column_not_the_task_one(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = document(tmp_path, ["Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp",
                               "Thời gian hoàn thành"],
                    ["Việc không STT 1", "Sở Nội vụ", "", "Quý I/2025"],
                    ["Việc không STT 2", "Sở Tư pháp", "", "Quý II/2025"])  # fmt: skip
    assert refused(registry_engine, path) == [
        "Bảng 1: thiếu cột: STT (tiêu đề đọc được: “STT”, “TT”, “Số TT”)"
    ]


def test_a_missing_lead_column_names_the_table_and_the_headers_read(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = document(tmp_path, ["STT", "Nhiệm vụ", "Tiến độ"], ["1", "Việc A", "Quý I/2025"])
    assert refused(registry_engine, path) == [
        "Bảng 1: thiếu cột: Cơ quan chủ trì (tiêu đề đọc được: “Chủ trì”, “Cơ quan chủ trì”, "
        "“Đơn vị chủ trì”, “Đơn vị thực hiện”, “Cơ quan thực hiện”); hoặc dùng --lead “tên cơ "
        "quan”"
    ]


def test_x_marks_instead_of_agencies_are_said_to_be_a_layout_not_read(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = document(tmp_path, ["STT", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Tiến độ"],
                    ["1", "Việc A", "x", "", "Quý I/2025"],
                    ["2", "Việc B", "Sở Nội vụ", "X", "Quý I/2025"])  # fmt: skip
    reasons = refused(registry_engine, path)
    assert len(reasons) == 2 and all("chưa đọc được bảng đánh dấu" in r for r in reasons)
    assert reasons[0].startswith("ô Chủ trì chỉ đánh dấu “x”, không ghi tên cơ quan")
    assert reasons[1].startswith("ô Phối hợp chỉ đánh dấu “X”")
    assert not any("không có trong danh mục" in r for r in reasons)


def test_a_bare_row_followed_by_rows_a_b_is_a_group_like_one_followed_by_1_1(
    registry_engine: Engine, tmp_path: Path
) -> None:
    path = document(tmp_path, ["STT", "Nhiệm vụ", "Chủ trì", "Phối hợp", "Tiến độ"],
                    ["I", "CẢI CÁCH THỂ CHẾ", "", "", ""],
                    ["1", "Nhóm việc rà soát văn bản", "", "", ""],
                    ["a", "Rà soát văn bản", "Sở Tư pháp", "", "Quý I/2025"],
                    ["b)", "Kiểm tra văn bản", "Sở Tư pháp", "", "Quý II/2025"],
                    ["2", "Nhóm việc thứ hai", "", "", ""],
                    ["a", "Việc 2a", "Sở Nội vụ", "", "Quý III/2025"],
                    ["3", "Việc ba", "Sở Nội vụ", "", "Quý III/2025"],
                    ["a", "Việc a sau một việc", "Sở Nội vụ", "", "Quý III/2025"])  # fmt: skip
    report = preview(registry_engine, path)
    assert [(s.key, s.title) for s in report.sections] == [
        ("I", "CẢI CÁCH THỂ CHẾ"), ("I.1", "Nhóm việc rà soát văn bản"),
        ("I.2", "Nhóm việc thứ hai"),
    ]  # fmt: skip
    # A letter after a task that has its own agencies and deadline stays a task of its own.
    assert [r.task_key for r in report.readings] == ["I.1.a", "I.1.b", "I.2.a", "I.3", "I.a"]


def table_file(folder: Path, suffix: str, header: list[str], *rows: list[str]) -> Path:
    """A plan as a spreadsheet: its number and date above the table, as admins lay it."""
    lines = [["Số kế hoạch", "61/KH-UBND"], ["Ngày ban hành", "05/3/2025"], header, *rows]
    path = folder / f"kh{suffix}"
    if suffix == ".csv":
        with path.open("w", encoding="utf-8", newline="") as out:
            csv.writer(out).writerows(lines)
    else:
        book = Workbook()
        sheet = book.active
        assert sheet is not None
        for line in lines:
            sheet.append(line)
        book.save(path)
    return path


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
@pytest.mark.parametrize(("left", "right", "text"), [
    ("Nội dung", "Nhiệm vụ cụ thể", "Nhóm bên trái – Việc bên phải"),
    ("Nhóm nhiệm vụ", "Nội dung công việc", "Nhóm bên trái – Việc bên phải"),
    ("Nội dung công việc", "Nhóm nhiệm vụ", "Việc bên phải – Nhóm bên trái"),
    ("Nhiệm vụ", "Nhiệm vụ chủ yếu", "Nhóm bên trái – Việc bên phải"),  # nearer the lead
])  # fmt: skip
def test_a_spreadsheet_with_two_task_like_columns_keeps_both_as_a_document_does(
    registry_engine: Engine, tmp_path: Path, suffix: str, left: str, right: str, text: str
) -> None:
    """The rule of Word and PDF tables: the specific column is the task, the other its
    indicator; neither is dropped."""
    path = table_file(tmp_path, suffix, ["STT", left, right, "Cơ quan chủ trì", "Tiến độ"],
                      ["1", "Nhóm bên trái", "Việc bên phải", "Sở Nội vụ", "Quý I/2025"])  # fmt: skip
    assert [r.text for r in preview(registry_engine, path).readings] == [text]


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_a_spreadsheet_s_third_task_like_column_goes_before_the_task_two_alike_refused(
    registry_engine: Engine, tmp_path: Path, suffix: str
) -> None:
    path = table_file(tmp_path, suffix,
                      ["STT", "Chỉ số", "Nhóm nhiệm vụ", "Nhiệm vụ cụ thể", "Chủ trì", "Tiến độ"],
                      ["1", "Chỉ số 1", "Tuyên truyền", "Họp báo", "Sở Nội vụ", "Quý I/2025"])  # fmt: skip
    assert [r.text for r in preview(registry_engine, path).readings] == [
        "Chỉ số 1 – Tuyên truyền: Họp báo"
    ]
    path = table_file(tmp_path, suffix, ["STT", "Nội dung", "Tiến độ", "Giải pháp", "Chủ trì"],
                      ["1", "Tuyên truyền", "Quý I/2025", "Họp báo", "Sở Nội vụ"])  # fmt: skip
    assert refused(registry_engine, path) == [
        "không biết cột nào là nhiệm vụ: cột “Nội dung” và cột “Giải pháp” đều có thể là nhiệm "
        "vụ; hãy đặt tên cột nhiệm vụ là “Nhiệm vụ cụ thể” (hoặc “Nội dung công việc”), cột "
        "kia là “Nhóm nhiệm vụ”"
    ]


def test_a_number_or_date_given_over_the_file_s_own_is_said(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """A typo in --number would make a second plan without a word: the file's own number
    and date, replaced by the options, are named in the preview."""
    path = document(tmp_path, ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Tiến độ"],
                    ["1", "Việc A", "Sở Nội vụ", "Quý I/2025"])  # fmt: skip
    with Session(registry_engine) as session:
        given = PlanMeta(number="999/KH-UBND", issued_on=date(2025, 3, 6))
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY, meta=given)
        same = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY,
                           meta=PlanMeta(number="60/kh-ubnd"))  # fmt: skip
        session.rollback()
    assert report.plan == "999/KH-UBND"
    assert [w for w in report.warnings if "theo lựa chọn" in w] == [
        "tệp ghi số “60/KH-UBND”, dùng số “999/KH-UBND” theo lựa chọn của quản trị viên (--number)",
        "tệp ghi ngày ban hành 05/03/2025, dùng ngày 06/03/2025 theo lựa chọn của quản trị "
        "viên (--date)",
    ]
    assert not [w for w in same.warnings if "theo lựa chọn" in w]


@pytest.mark.parametrize("suffix", [".csv", ".docx"])
def test_a_coordinating_cell_that_names_no_agency_is_refused_a_dash_is_none(
    registry_engine: Engine, tmp_path: Path, suffix: str
) -> None:
    """ "Chủ trì" typed in the Phối hợp column named nobody and was dropped without a word;
    a dash there says "none", as a blank does."""
    header = ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp", "Tiến độ"]
    rows = [["1", "Việc A", "Sở Nội vụ", "Chủ trì", "Quý I/2025"],
            ["2", "Việc B", "Sở Nội vụ", "-", "Quý I/2025"],
            ["3", "Việc C", "Sở Nội vụ", "—", "Quý I/2025"]]  # fmt: skip
    path = (table_file(tmp_path, suffix, header, *rows) if suffix == ".csv"
            else document(tmp_path, header, *rows))  # fmt: skip
    assert [r.rsplit(": ", 2)[-2:] for r in refused(registry_engine, path)] == [
        ["cơ quan phối hợp “Chủ trì” không chỉ ra cơ quan nào", "hãy ghi tên cơ quan phối hợp, "
         "hoặc để trống ô"]
    ]  # fmt: skip


def test_a_row_joined_to_the_task_above_keeps_its_deadline_apart_never_the_last(
    registry_engine: Engine, tmp_path: Path
) -> None:
    """A row with no STT is joined to the task above (a row broken over a page); when it
    has its own lead and deadline, the two deadlines are two agencies', and neither is
    the task's: the task waits for a date, never the later one for both."""
    path = table_file(tmp_path, ".csv", ["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Tiến độ"],
                      ["1", "Việc A", "Sở Nội vụ", "Quý I/2025"],
                      ["", "Việc A (tiếp)", "Sở Tư pháp", "Quý II/2025"])  # fmt: skip
    [unread] = preview(registry_engine, path).unspecified
    assert unread.reason.startswith("hai thời hạn trong một ô: “Quý I/2025” và “Quý II/2025”")
