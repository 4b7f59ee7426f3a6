"""Commands on administrative-procedure files: import the export, list, publish letters."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from itertools import islice
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from bot.cli.common import (
    Format,
    agency_or_exit,
    app,
    day_range,
    load_settings,
    migrated_engine,
    out,
    today_or,
    write_csv,
    write_json_list,
)
from bot.domain.calendar import VIETNAM
from bot.domain.numbers import thousands
from bot.reports.apologies import letters, records, write_letters_csv, write_letters_page
from bot.services.calendar import load_calendar
from bot.services.files import FileFilter, OpenFile, count_open_files, open_files


@app.command("files")
def files_cmd(
    agency: Annotated[str, typer.Option(help="Tên hoặc mã cơ quan")] = "",
    at_risk: Annotated[
        bool, typer.Option("--at-risk", help="Sắp đến hạn (trong số ngày cảnh báo)")
    ] = False,
    late: Annotated[bool, typer.Option("--late", help="Đã quá hạn, chưa có kết quả")] = False,
    without_letter: Annotated[
        bool, typer.Option("--without-letter", help="Chưa có văn bản xin lỗi được duyệt")
    ] = False,
    today: Annotated[str, typer.Option(help="Ngày xét, dd/mm/yyyy (mặc định: hôm nay)")] = "",
    fmt: Annotated[Format, typer.Option("--format", help="table, csv hoặc json")] = Format.table,
) -> None:
    """Liệt kê hồ sơ TTHC đang giải quyết, lọc theo cơ quan, sắp đến hạn, trễ hạn, chưa xin lỗi."""
    settings = load_settings()
    engine = migrated_engine(settings)
    with Session(engine) as session:  # the files read in pages as they are written
        cal = load_calendar(session, settings.hours)
        day = today_or(today, "--today", VIETNAM)
        found = agency_or_exit(session, agency) if agency else None
        wanted = FileFilter(found.id if found else None, late,
                            settings.files.warn_days if at_risk else None, without_letter)  # fmt: skip
        rows = open_files(session, cal, day, **asdict(wanted))
        if fmt is Format.json:
            write_json_list(asdict(r) for r in rows)
        elif fmt is Format.csv:
            write_csv(
                ["Mã hồ sơ", "Tên thủ tục", "Đơn vị xử lý", "Chủ hồ sơ", "Ngày tiếp nhận", "Ngày hẹn trả",
                 "Còn (ngày làm việc)", "Có văn bản xin lỗi", "Trạng thái"],
                ([r.code, r.procedure, r.agency, r.applicant, f"{r.received:%d/%m/%Y}", f"{r.due:%d/%m/%Y}",
                  r.working_days_left, "có" if r.letter else "", r.status] for r in rows),
            )  # fmt: skip
        else:
            title = "Hồ sơ trễ hạn" if late else "Hồ sơ đang giải quyết"
            _print_files(islice(rows, TABLE_ROWS), count_open_files(session, cal, day, wanted),
                         title)  # fmt: skip


#: Rows the table shows: a terminal's reader reads no further; csv and json give them all.
TABLE_ROWS = 500


def _print_files(rows: Iterable[OpenFile], total: int, title: str) -> None:
    """The first files as a table, titled with how many there are, and a line saying how
    many were left out and how to have them all."""
    if not out.is_terminal:
        out.width = max(out.width, 160)
    table = Table(title=f"{title} ({thousands(total)})")
    for column in ("Mã hồ sơ", "Thủ tục", "Đơn vị", "Hẹn trả", "Còn (ngày LV)", "Xin lỗi"):
        table.add_column(column, overflow="fold")
    shown = 0
    for r in rows:
        table.add_row(r.code, r.procedure[:50], r.agency, f"{r.due:%d/%m/%Y}", str(r.working_days_left),
                      "đã duyệt" if r.letter else "")  # fmt: skip
        shown += 1
    out.print(table)
    if total > shown:
        out.print(f"… và {thousands(total - shown)} hồ sơ khác không hiện ở đây "
                  f"(bảng hiện {thousands(shown)} hồ sơ đầu); dùng --format csv để xem tất cả.",
                  highlight=False)  # fmt: skip


@app.command("apologies")
def apologies_cmd(
    start: Annotated[str, typer.Option("--from", help="Từ ngày, dd/mm/yyyy")],
    end: Annotated[str, typer.Option("--to", help="Đến ngày, dd/mm/yyyy")],
    folder: Annotated[Path, typer.Option("--out", help="Thư mục ghi tệp CSV và HTML")] = Path("."),
    today: Annotated[str, typer.Option(help="Ngày xét hồ sơ còn mở (mặc định: hôm nay)")] = "",
) -> None:
    """Xuất văn bản xin lỗi trong kỳ (CSV, trang HTML để công khai) và thống kê theo cơ quan."""
    settings = load_settings()
    engine = migrated_engine(settings)
    first, last = day_range(start, end)
    day = today_or(today, "--today", VIETNAM)
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"xin-loi-{first:%Y%m%d}-{last:%Y%m%d}"
    with Session(engine) as session:  # the letters read in pages as each file is written
        cal = load_calendar(session, settings.hours)
        stats = records(session, first, last, day, cal)
        with (folder / f"{stem}.csv").open("w", encoding="utf-8", newline="") as sheet:
            count = write_letters_csv(letters(session, first, last, cal), sheet)
        with (folder / f"{stem}.html").open("w", encoding="utf-8") as page:
            write_letters_page(letters(session, first, last, cal), count, stats, first, last, page)
    if not out.is_terminal:
        out.width = max(out.width, 160)  # piped to a file: no terminal to wrap for
    table = Table(title=f"Hồ sơ có hẹn trả từ {first:%d/%m/%Y} đến {last:%d/%m/%Y}")
    for column in (
        "Cơ quan",
        "Hồ sơ",
        "Đúng hạn",
        "Tỷ lệ",
        "Trễ",
        "Xin lỗi kịp thời",
        "Xin lỗi muộn",
        "Chưa xin lỗi",
    ):
        table.add_column(column, justify="left" if column == "Cơ quan" else "right")
    for s in stats:
        rate = f"{s.on_time_rate:.0%}" if s.on_time_rate is not None else "–"
        n = thousands
        table.add_row(s.agency, n(s.files), n(s.on_time), rate, n(s.late), n(s.timely_letter),
                      n(s.late_letter), n(s.no_letter))  # fmt: skip
    out.print(table)
    out.print(
        f"{thousands(count)} văn bản xin lỗi; đã ghi {folder / stem}.csv và {folder / stem}.html",
        highlight=False,
    )
