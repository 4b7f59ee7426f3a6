"""Spreadsheets as Excel and scripts really write them, imported through the CLI."""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Callable
from datetime import date, datetime, timedelta
from datetime import time as dt_time
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.worksheet.cell_range import CellRange
from sqlmodel import Session, create_engine, select

from bot.importers import tabular
from bot.importers.tabular import Row, read_rows
from bot.models import Task, TthcFile
from tests.cli import Dondoc, one_error_line
from tests.files import SHORT, LateFile, labels, late_files_export

PLAN_HEAD = [
    "STT",
    "Nội dung công việc",
    "Thời gian hoàn thành",
    "Đơn vị chủ trì",
    "Đơn vị phối hợp",
]
FILES_HEAD = labels(*SHORT)


def plan_book() -> Workbook:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Kế hoạch số 12/KH-SNV ngày 10/01/2025 của Sở Nội vụ"])
    sheet.append(PLAN_HEAD)
    sheet.append(["I", "Cải cách thủ tục hành chính"])
    sheet.append([1, "Rà soát TTHC", "Quý II/2025", "Sở Tư pháp", "Sở Nội vụ"])
    sheet.append([2, "Công khai TTHC", None, "VP UBND tỉnh", None])
    return book


def edit_sheet(path: Path, edit: Callable[[str], str]) -> None:
    """Rewrite the first sheet's XML, as another program would have written it."""
    with zipfile.ZipFile(path) as source:
        items = {name: source.read(name) for name in source.namelist()}
    name = "xl/worksheets/sheet1.xml"
    items[name] = edit(items[name].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for item, data in items.items():
            target.writestr(item, data)


def tasks(folder: Path) -> dict[str, Task]:
    with Session(create_engine(f"sqlite:///{folder / 'dondoc.db'}")) as s:
        return {t.key: t for t in s.exec(select(Task))}


def test_a_formatted_cell_at_the_last_row_and_a_merge_to_the_end_are_not_data(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    book = plan_book()
    sheet = book.active
    assert sheet is not None
    sheet.cell(row=1_048_576, column=1).fill = PatternFill("solid", fgColor="FFFF00")
    path = tmp_path / "plan.xlsx"
    book.save(path)
    # The deadline of task 1 merged down to the sheet's last row and across every column.
    edit_sheet(path, lambda xml: xml.replace(
        "</sheetData>",
        '</sheetData><mergeCells count="2"><mergeCell ref="C4:C1048576"/>'
        '<mergeCell ref="F3:XFD3"/></mergeCells>',
    ))  # fmt: skip
    started = time.perf_counter()
    result = dondoc.ok("import", "tasks", str(path))
    assert time.perf_counter() - started < 10
    assert "2 nhiệm vụ" in result.output
    found = tasks(tmp_path)
    assert {k: t.due_on for k, t in found.items()} == {
        "I.1": date(2025, 6, 30),
        "I.2": date(2025, 6, 30),
    }


def test_a_wrong_stored_dimension_is_not_trusted(dondoc: Dondoc, tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["DANH SÁCH HỒ SƠ"])
    sheet.append(FILES_HEAD)
    for n in range(1, 4):
        sheet.append([f"X-{n}", "Đăng ký khai sinh", "Hoàng Minh Em", "UBND phường Tân Phong",
                      "22/01/2025 09:00", "24/01/2025", "Đang xử lý"])  # fmt: skip
    path = tmp_path / "export.xlsx"
    book.save(path)
    edit_sheet(path, lambda xml: re.sub(r'<dimension ref="[^"]*"', '<dimension ref="A1:A1"', xml))
    result = dondoc.ok("import", "files", str(path))
    assert "Đã nhập 3 hồ sơ" in result.output
    with Session(create_engine(f"sqlite:///{tmp_path / 'dondoc.db'}")) as s:
        assert len(s.exec(select(TthcFile)).all()) == 3


def test_a_formula_without_a_saved_value_names_the_cell(dondoc: Dondoc, tmp_path: Path) -> None:
    book = plan_book()
    sheet = book.active
    assert sheet is not None
    sheet["D5"] = "=D4"  # as scripts write formulas: no value until Excel calculates it
    path = tmp_path / "plan.xlsx"
    book.save(path)
    output = one_error_line(dondoc("import", "tasks", str(path)))
    assert "ô D5" in output and "dòng 5" in output and "công thức" in output
    assert "Excel" in output and "danh mục" not in output
    assert tasks(tmp_path) == {}


def test_utf16_of_odd_length_is_a_file_error(dondoc: Dondoc, tmp_path: Path) -> None:
    text = "Số kế hoạch\t99/KH-UBND\nSTT\tNội dung công việc\tTiến độ\tCơ quan chủ trì\n"
    for name, command in (("plan.txt", "tasks"), ("export.txt", "files")):
        path = tmp_path / name
        path.write_bytes(text.encode("utf-16")[:-1])
        output = one_error_line(dondoc("import", command, str(path)))
        assert str(path) in output and "UTF-16" in output and "cắt cụt" in output


def test_undecodable_bytes_are_a_file_error_by_line(dondoc: Dondoc, tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    head = ",".join(FILES_HEAD) + "\n"
    path.write_bytes(head.encode() + b"X-1,\x81\x8d\x8f\x90\x9d\xff\xfe\x00\x01,A\n")
    output = one_error_line(dondoc("import", "files", str(path)))
    assert str(path) in output and "bảng mã" in output


def test_unicode_text_with_plan_lines_above_the_header(dondoc: Dondoc, tmp_path: Path) -> None:
    """Excel's "Unicode Text": UTF-16, tabs, and the plan's title lines (with commas) on top."""
    lines = [
        "KẾ HOẠCH\tCải cách hành chính, chuyển đổi số, nâng cao chỉ số SIPAS, PAR INDEX năm 2025",
        "Số kế hoạch\t99/KH-UBND",
        "Ngày ban hành\t05/01/2025",
        "",
        "STT\tNhiệm vụ cụ thể\tTiến độ\tCơ quan chủ trì\tCơ quan phối hợp",
        "1\tRà soát, đơn giản hóa TTHC, công khai kết quả\tQuý II/2025\tSở Tư pháp\tSở Nội vụ, Văn phòng UBND tỉnh",
        '2\tTuyên truyền "Ngày pháp luật", khảo sát\tTrước ngày 30/11/2025\tSở Nội vụ\t',
    ]
    path = tmp_path / "plan.txt"
    path.write_bytes("\r\n".join(lines).encode("utf-16"))
    result = dondoc.ok("import", "tasks", str(path))
    assert "99/KH-UBND" in result.output and "2 nhiệm vụ" in result.output
    found = tasks(tmp_path)
    assert found["1"].due_on == date(2025, 6, 30)
    assert found["2"].text == 'Tuyên truyền "Ngày pháp luật", khảo sát'


def test_quoted_cells_keep_rfc4180_quotes_whatever_the_sniffer_says(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    path = tmp_path / "plan.csv"
    path.write_text(
        "Số kế hoạch,99/KH-UBND\n"
        "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp\n"
        '1,"Triển khai ""Ngày pháp luật"", tuyên truyền",Quý II/2025,Sở Tư pháp,Sở Nội vụ\n'
        '2,"Rà soát ""TTHC"" nội bộ",Trước ngày 30/11/2025,Sở Nội vụ,\n',
        encoding="utf-8",
    )
    rows = read_rows(path, "tasks")
    assert rows[2].cells == (
        "1",
        'Triển khai "Ngày pháp luật", tuyên truyền',
        "Quý II/2025",
        "Sở Tư pháp",
        "Sở Nội vụ",
    )
    dondoc.ok("import", "tasks", str(path))
    found = tasks(tmp_path)
    assert found["1"].text == 'Triển khai "Ngày pháp luật", tuyên truyền'
    assert found["1"].lead_text == "Sở Tư pháp" and found["2"].text == 'Rà soát "TTHC" nội bộ'


def test_a_file_received_after_its_appointment_is_refused_by_line(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    path = late_files_export(
        tmp_path,
        *(LateFile(code, "Chứng thực", holder="Lê Cường", received=received, due=due, days=None,
                   status="Đang xử lý")
          for code, received, due in (("A-1", "22/01/2025 09:00", "24/01/2025"),
                                      ("A-2", "25/01/2025 09:00", "20/01/2025"))),
    )  # fmt: skip
    output = one_error_line(dondoc("import", "files", str(path)))
    assert f"{path}:3:" in output and "20/01/2025" in output and "25/01/2025" in output
    assert f"{path}:2:" not in output


def values_book() -> Workbook:
    """Every kind of plain value, away from A1 (rows and columns before it are empty), a
    merged range, and a second sheet: what calamine reads."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Kế hoạch"
    sheet["B3"], sheet["C3"] = "STT", "Nội dung"
    sheet["D4"], sheet["E4"], sheet["F4"] = datetime(2024, 12, 31), 3.5, True  # noqa: DTZ001 - as Excel keeps dates
    sheet["B5"], sheet["C5"], sheet["D6"] = dt_time(7, 30), timedelta(hours=2), date(2024, 1, 1)
    sheet["D7"], sheet["B11"], sheet["B12"] = "  x ", 0.1 + 0.2, 123456789012
    sheet["B16"], sheet["Z20"] = datetime(2024, 12, 31, 23, 59), "Việt Nam ệ"  # noqa: DTZ001
    sheet.merge_cells("C8:C10")
    sheet["C8"], sheet["B8"], sheet["B9"], sheet["B10"] = "31/12/2024", 4, 5, 6
    book.create_sheet("Khác").append(["không đọc"])
    return book


def test_calamine_reads_a_sheet_of_values_as_openpyxl_does(tmp_path: Path) -> None:
    """The fast reader and the streaming one give the same rows, numbered alike, with the
    same merged ranges: which one reads a file changes nothing but the time."""
    path = tmp_path / "values.xlsx"
    values_book().save(path)
    assert tabular._plain_values(path)
    fast: list[CellRange] = []
    streamed: list[CellRange] = []
    rows = list(tabular._calamine_rows(path, fast))
    assert rows == list(tabular._openpyxl_rows(path, streamed))
    assert [str(r) for r in fast] == [str(r) for r in streamed] == ["C8:C10"]
    assert rows[0] == Row(3, ("", "STT", "Nội dung"))
    assert rows[1] == Row(4, ("", "", "", "31/12/2024", "3.5", "True"))
    assert rows[-1].line == 20 and rows[-1].cells[25] == "Việt Nam ệ"
    assert read_rows(path)[5].cells == ("", "4", "31/12/2024")  # the merged deadline, filled


def test_a_sheet_with_formulas_or_error_cells_is_streamed_by_openpyxl(tmp_path: Path) -> None:
    """calamine shows a formula with no saved value and an error cell ("#N/A") as empty
    cells: such a sheet is read by openpyxl, which names the one and shows the other."""
    for value in ("=D4", "#N/A"):
        book = plan_book()
        sheet = book.active
        assert sheet is not None
        sheet["D5"] = value
        path = tmp_path / "plan.xlsx"
        book.save(path)
        assert not tabular._plain_values(path), value
    assert read_rows(path)[4].cells[3] == "#N/A"
