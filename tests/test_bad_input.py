"""Bad input through the CLI: a clear Vietnamese line naming the file, line and reason (or
the option), nothing written; values that would do harm are refused, doubtful ones warned."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, create_engine, select

from bot.models import CalendarOverride, Task, TthcFile
from tests.cli import Dondoc, one_error_line
from tests.files import SHORT, labels

PLAN_HEAD = "Số kế hoạch,77/KH-UBND\nSTT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì\n"
FILES_HEAD = ",".join(labels(*SHORT)) + "\n"
FILE_ROW = "TP-{n},Chứng thực,Lê Văn An,Sở Tư pháp,02/01/2025 09:00,07/01/2025,Đang xử lý\n"


def stored(folder: Path, model: type[Task] | type[TthcFile] | type[CalendarOverride]) -> int:
    with Session(create_engine(f"sqlite:///{folder / 'dondoc.db'}")) as s:
        return len(s.exec(select(model)).all())


def plan_rows(lines: range) -> str:
    return "".join(f"{n},Việc số {n},31/12/2025,Sở Nội vụ\n" for n in lines)


# Line 7 opens a quote that never closes: the rest of the file would become one cell.
UNCLOSED_PLANS = {
    "at the end": PLAN_HEAD + plan_rows(range(1, 5)) + '5,"Mở ngoặc không đóng,31/12/2025,Sở Nội vụ\n'
    + plan_rows(range(6, 9)),
    "no newline at the end": PLAN_HEAD + plan_rows(range(1, 5)) + '5,"Mở ngoặc không đóng',
    "after a cell that spans lines": PLAN_HEAD + plan_rows(range(1, 3))
    + '4,"Hai dòng\nmột ô",31/12/2025,Sở Nội vụ\n5,Việc,31/12/2025,"Sở Nội vụ\n6,x,y,z\n',
    "past the csv field limit": PLAN_HEAD + plan_rows(range(1, 5)) + '5,"Mở ngoặc,31/12/2025,x\n'
    + plan_rows(range(6, 6000)),
}  # fmt: skip


@pytest.mark.parametrize("text", UNCLOSED_PLANS.values(), ids=UNCLOSED_PLANS.keys())
@pytest.mark.parametrize("suffix", [".csv", ".tsv"])
def test_an_unclosed_quote_names_its_line_and_imports_nothing(
    dondoc: Dondoc, tmp_path: Path, text: str, suffix: str
) -> None:
    if suffix == ".tsv":
        text = text.replace(",", "\t")
    (tmp_path / f"q4{suffix}").write_text(text, encoding="utf-8")
    output = one_error_line(dondoc("import", "tasks", f"q4{suffix}"))
    assert f"q4{suffix}:7: dấu ngoặc kép mở ở dòng 7 chưa đóng" in output, output
    assert "thiếu cơ quan chủ trì" not in output
    assert stored(tmp_path, Task) == 0


def test_an_unclosed_quote_in_a_one_stop_export_and_in_the_registry(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    rows = [FILE_ROW.format(n=n) for n in range(1, 9)]
    rows[4] = rows[4].replace("Lê Văn An", '"Lê Văn An')
    (tmp_path / "export.csv").write_text(FILES_HEAD + "".join(rows), encoding="utf-8")
    output = one_error_line(dondoc("import", "files", "export.csv"))
    assert "export.csv:6: dấu ngoặc kép mở ở dòng 6 chưa đóng" in output, output
    assert stored(tmp_path, TthcFile) == 0

    (tmp_path / "agencies.csv").write_text(
        'Mã,Tên cơ quan,Loại\nso-a,Sở A,so\nso-b,"Sở B,so\nso-c,Sở C,so\n', encoding="utf-8"
    )
    output = one_error_line(dondoc("import", "agencies", "agencies.csv"))
    assert "agencies.csv:3: dấu ngoặc kép mở ở dòng 3 chưa đóng" in output, output

    (tmp_path / "lich.csv").write_text(
        'Ngày,Loại,Ghi chú\n02/01/2025,nghỉ,"Tết\n03/01/2025,nghỉ,x\n', encoding="utf-8"
    )
    output = one_error_line(dondoc("calendar", "import", "lich.csv"))
    assert "lich.csv:2: dấu ngoặc kép mở ở dòng 2 chưa đóng" in output, output
    assert stored(tmp_path, CalendarOverride) == 0


def test_quotes_that_close_still_read_as_before(dondoc: Dondoc, tmp_path: Path) -> None:
    text = (
        PLAN_HEAD + '1,"Rà soát ""TTHC"",\nhai dòng",31/12/2025,Sở Nội vụ\n'
        '2,Việc có "ngoặc" giữa ô,31/12/2025,Sở Nội vụ\n3,"Việc ba" (bổ sung),31/12/2025,Sở Nội vụ'
    )
    (tmp_path / "ok.csv").write_text(text, encoding="utf-8")
    dondoc.ok("import", "tasks", "ok.csv")
    assert stored(tmp_path, Task) == 3


PLAN = PLAN_HEAD + "1,Rà soát,31/12/2027,Sở Nội vụ\n2,Tổng kết,Hằng năm,Sở Nội vụ\n"


@pytest.fixture
def admin(dondoc: Dondoc, tmp_path: Path) -> Dondoc:
    (tmp_path / "plan.csv").write_text(PLAN, encoding="utf-8")
    dondoc.ok("import", "tasks", "plan.csv", "--date", "01/03/2027")
    return dondoc


@pytest.mark.parametrize(
    ("args", "said", "code"),
    [
        (["tasks", "--due-within", "99999999999"], "--due-within: cần một số từ 0 đến 3650 ngày", 2),
        (["tasks", "--due-within", "-5"], "--due-within: cần một số từ 0 đến 3650 ngày", 2),
        (["link", "Sở Nội vụ", "--hours", "99999999999"], "--hours: cần một số từ 1 đến 720 giờ", 2),
        (["link", "Sở Nội vụ", "--hours", "-1"], "--hours: cần một số từ 1 đến 720 giờ", 2),
        (["link", "--role", "admin", "--hours", "0"], "--hours: cần một số từ 1 đến 720 giờ", 2),
        (["calendar", "list", "--year", "99999"], "--year: cần một số từ 2000 đến 2100", 2),
        (["calendar", "list", "--year", "-1"], "--year: cần một số từ 2000 đến 2100", 2),
        (["import", "tasks", "plan.csv", "--year", "10000"], "--year: cần một số từ 2000 đến 2100", 2),
        (["tasks", "--today", "31/12/9999", "--due-within", "10"], "--today: “31/12/9999”: năm phải", 2),
        (["preview", "--at", "31/12/9999 23:59"], "--at: “31/12/9999 23:59”: năm phải từ 2000", 2),
        (["tick", "--at", "0001-01-01"], "--at: “0001-01-01”: năm phải từ 2000", 2),
        (["calendar", "off", "31/02/2025"], "NGÀY: “31/02/2025” không phải một ngày", 2),
        (["calendar", "work", "hôm nay"], "NGÀY: “hôm nay” không phải một ngày", 2),
        (["calendar", "remove", "31/12/9999"], "NGÀY: “31/12/9999”: năm phải từ 2000", 2),
        (["calendar", "off"], "Thiếu NGÀY", 2),
        (["import", "tasks"], "Thiếu TỆP", 2),
        (["tasks", "set-deadline", "NV1"], "Thiếu THỜI_HẠN", 2),
        (["simulate", "--from", "01/01/2025", "--to", "31/12/2024"],
         "--to: ngày kết thúc 31/12/2024 trước ngày bắt đầu 01/01/2025", 2),
        (["simulate", "--from", "01/01/2025", "--to", "31/12/2099"], "--to: mô phỏng dài nhất 3 năm", 2),
        (["apologies", "--from", "01/01/2025", "--to", "31/12/2024"],
         "--to: ngày kết thúc 31/12/2024 trước ngày bắt đầu 01/01/2025", 2),
        (["report", "--plan", "77/KH-UBND", "--period", "2024-Q9"], "--period: kỳ báo cáo “2024-Q9”", 2),
        (["unlink", "whatsapp", "123"], "không có kênh “whatsapp”: chỉ telegram, zalo, console", 1),
        (["tasks", "--plan", "999/KH-XYZ"], "Không có kế hoạch “999/KH-XYZ”.", 1),
        (["unassigned", "--plan", "999/KH-XYZ"], "Không có kế hoạch “999/KH-XYZ”.", 1),
        (["calendar", "list", "--year", "0"], "--year: cần một số từ 2000 đến 2100", 2),
        (["unlink", "telegram", "abc"], "Không có nhóm/chat “abc” nào đang liên kết", 1),
        (["link", "Sở Nội vụ", "thừa"], "Thừa tham số: thừa", 2),
        (["tasks", "--due-within"], "--due-within: thiếu giá trị sau tùy chọn", 2),
        (["tasks", "--overdue=3"], "--overdue: tùy chọn này không nhận giá trị", 2),
        (["import", "tasks", "."], "đây là một thư mục, không phải tệp", 1),
    ],
)  # fmt: skip
def test_every_value_out_of_range_is_one_vietnamese_line(
    admin: Dondoc, args: list[str], said: str, code: int
) -> None:
    result = admin(*args)
    output = one_error_line(result)
    assert said in output, output
    assert result.exit_code == code, output
    assert len([line for line in output.splitlines() if line.strip()]) == 1, output
    for english in ("Error", "ngoài dự kiến", "DAY", "FILE", "Usage", "range"):
        assert english not in output, output


def test_no_expired_link_code_is_issued(admin: Dondoc, tmp_path: Path) -> None:
    from bot.models import LinkCode

    for hours in ("0", "-1"):
        one_error_line(admin("link", "Sở Nội vụ", "--hours", hours))
    with Session(create_engine(f"sqlite:///{tmp_path / 'dondoc.db'}")) as s:
        assert s.exec(select(LinkCode)).all() == []
    assert "Mã liên kết cho Sở Nội vụ" in admin.ok("link", "Sở Nội vụ", "--hours", "720").stdout


NOT_EXCEL = {
    "a CSV renamed": (PLAN.encode(), "đây là văn bản (CSV?) mang đuôi .xlsx"),
    "random bytes": (bytes(range(256)) * 8, "nội dung không phải bảng tính"),
    "an empty file": (b"", "tệp rỗng"),
    "an old .xls": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "Excel 97–2003 (.xls)"),
    "another zip": (b"PK\x05\x06" + bytes(18), "tệp nén không chứa bảng tính Excel"),
}


@pytest.mark.parametrize(("data", "said"), NOT_EXCEL.values(), ids=NOT_EXCEL.keys())
@pytest.mark.parametrize("command", ["tasks", "files", "agencies"])
def test_a_file_that_is_not_excel_says_so_in_vietnamese(
    dondoc: Dondoc, tmp_path: Path, data: bytes, said: str, command: str
) -> None:
    (tmp_path / "bang.xlsx").write_bytes(data)
    output = one_error_line(dondoc("import", command, "bang.xlsx"))
    assert "bang.xlsx: không phải tệp Excel (.xlsx) hợp lệ: " in output, output
    assert said in output, output
    assert "BadZipFile" not in output and "ngoài dự kiến" not in output


def test_lead_on_a_table_with_a_lead_column_is_refused(admin: Dondoc, tmp_path: Path) -> None:
    (tmp_path / "other.csv").write_text(PLAN.replace("77/KH", "78/KH"), encoding="utf-8")
    output = one_error_line(admin("import", "tasks", "other.csv", "--lead", "Sở Y tế"))
    assert "other.csv:2: bảng đã có cột “Cơ quan chủ trì” nên không dùng --lead" in output, output
    assert stored(tmp_path, Task) == 2  # only the first plan's
    # without the column, --lead is what it is for
    (tmp_path / "nolead.csv").write_text(
        "Số kế hoạch,79/KH-UBND\nSTT,Nhiệm vụ cụ thể,Tiến độ\n1,Rà soát,31/12/2027\n",
        encoding="utf-8",
    )
    admin.ok("import", "tasks", "nolead.csv", "--lead", "Sở Y tế")
    assert stored(tmp_path, Task) == 3


def test_a_deadline_before_the_plan_or_already_past_is_set_with_a_warning(admin: Dondoc) -> None:
    shown = admin.ok("tasks", "set-deadline", "NV2", "01/01/2020").stdout
    assert "Hạn 01/01/2020" in shown
    assert "thời hạn 01/01/2020 trước ngày ban hành kế hoạch (01/03/2027)" in shown, shown
    assert "thời hạn 01/01/2020 đã qua" in shown and "quá hạn ngay" in shown, shown
    far = admin.ok("tasks", "set-deadline", "NV2", "31/12/2099").stdout
    assert "thời hạn 31/12/2099 xa hơn 5 năm kể từ ngày ban hành kế hoạch (01/03/2027)" in far
    quiet = admin.ok("tasks", "set-deadline", "NV2", "31/12/2029").stdout
    assert "Lưu ý" not in quiet, quiet


def test_a_reimport_names_the_kept_deadlines_as_task_numbers(admin: Dondoc) -> None:
    admin.ok("tasks", "set-deadline", "NV2", "31/12/2027")
    shown = admin.ok("import", "tasks", "plan.csv").stdout
    assert "Giữ thời hạn quản trị viên đã đặt cho 1 nhiệm vụ (ô Tiến độ không đổi): mục 2" in shown


def test_the_console_refuses_a_tick_in_a_year_out_of_range(admin: Dondoc) -> None:
    result = admin(
        "console", "--agency", "Sở Nội vụ", "--at", "20/12/2024 08:00",
        input=":tick 31/12/9999 23:59\n:tick 0001-01-01\n:q\n",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.output.count("năm từ 2000 đến 2100") == 2, result.output
