"""Bad input through the CLI: a clear Vietnamese line naming the file, line and reason (or
the option), nothing written; values that would do harm are refused, doubtful ones warned."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session, create_engine, select

from bot.models import CalendarOverride, Task, TthcFile
from tests.cli import Dondoc, one_error_line

PLAN_HEAD = "Số kế hoạch,77/KH-UBND\nSTT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì\n"
FILES_HEAD = "Mã hồ sơ,Tên thủ tục,Chủ hồ sơ,Đơn vị xử lý,Ngày tiếp nhận,Ngày hẹn trả,Trạng thái\n"
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
