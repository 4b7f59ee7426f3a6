"""Commands on the plan register: the database, the seed, listings, set-deadline, the demo, reports."""

from __future__ import annotations

import json
import sys
from dataclasses import asdict
from datetime import UTC, date, datetime, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from bot.app import clock
from bot.cli.common import (
    SEED,
    Format,
    OptionError,
    agency_or_exit,
    app,
    db_app,
    err,
    import_transaction,
    load_settings,
    migrated_engine,
    out,
    today_or,
    within,
    write_csv,
)
from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.importers.agencies import slug
from bot.models import Role, Status
from bot.render import short_date
from bot.reports.plan_report import OUTCOMES
from bot.services.agency_changes import former_agency
from bot.services.assignments import Actor
from bot.services.deadlines import DeadlineNotSet, set_deadline, warnings
from bot.services.demo import seed_demo
from bot.services.register import PARTS_HEADER, list_assignments, list_unassigned


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Tạo hoặc nâng cấp cơ sở dữ liệu lên phiên bản mới nhất."""
    migrated_engine(
        load_settings(), creates=True
    ).dispose()  # a database out of reach: one masked line
    out.print("Cơ sở dữ liệu đã ở phiên bản mới nhất.")


@app.command("seed")
def seed_cmd(
    folder: Annotated[Path, typer.Option(help="Thư mục dữ liệu mẫu")] = SEED,
    today: Annotated[
        str, typer.Option(help="Ngày dựng tỉnh mẫu, dd/mm/yyyy (mặc định hôm nay)")
    ] = "",
) -> None:
    """Nhập toàn bộ dữ liệu mẫu: cơ quan, kế hoạch, lịch, hồ sơ, các nhóm chat console và các
    thay đổi cơ quan năm 2025 của tỉnh mẫu."""
    settings = load_settings()
    engine = migrated_engine(settings, creates=True)
    now = _morning(today_or(today, "--today", VIETNAM)) if today else clock()
    with import_transaction(engine) as session:
        reports, changes = seed_demo(session, settings, now, folder)
    table = Table(title="Dữ liệu mẫu đã nhập")
    for column in ("Kế hoạch", "Nhiệm vụ", "Phần việc", "Chưa có ngày"):
        table.add_column(column, justify="right" if column != "Kế hoạch" else "left")
    for r in reports:
        table.add_row(r.plan, str(r.tasks_total), str(r.assignments_total), str(len(r.unspecified)))
    out.print(table)
    out.print(
        f"Tổng: {len(reports)} kế hoạch, {sum(r.tasks_total for r in reports)} nhiệm vụ, "
        f"{sum(r.assignments_total for r in reports)} phần việc, "
        f"{sum(len(r.unspecified) for r in reports)} thời hạn chưa xác định; "
        "mọi cơ quan đều có trong danh mục.",
        highlight=False,
    )
    if changes:
        out.print(f"\n[bold]Thay đổi cơ quan đã áp dụng ({len(changes)}):[/]")
        for change in changes:
            out.print(f"  {change.description}: {change.parts_moved + change.parts_merged} "
                      "phần việc đang mở chuyển sang cơ quan kế tục.",
                      markup=False, highlight=False, soft_wrap=True)  # fmt: skip


def _morning(day: date) -> datetime:
    """8:00 in Vietnam on ``day``: the moment a command given a day stands for."""
    return datetime.combine(day, time(8), VIETNAM)


tasks_app = typer.Typer(
    help="Phần việc của các cơ quan: liệt kê (mặc định), đặt thời hạn.",
    invoke_without_command=True,
)
app.add_typer(tasks_app, name="tasks")


@tasks_app.callback()
def tasks_cmd(
    ctx: typer.Context,
    agency: Annotated[str, typer.Option(help="Tên hoặc mã cơ quan")] = "",
    plan: Annotated[str, typer.Option(help="Số kế hoạch")] = "",
    overdue: Annotated[bool, typer.Option("--overdue", help="Chỉ việc đã quá hạn")] = False,
    due_within: Annotated[
        int | None, typer.Option(help="Đến hạn trong N ngày tới (0–3650)")
    ] = None,
    unspecified: Annotated[
        bool, typer.Option("--unspecified", help="Chỉ việc chưa có ngày cụ thể")
    ] = False,
    include_closed: Annotated[bool, typer.Option("--all", help="Cả việc đã xong/đã hủy")] = False,
    today: Annotated[str, typer.Option(help="Ngày tính hạn, dd/mm/yyyy (mặc định: hôm nay)")] = "",
    fmt: Annotated[Format, typer.Option("--format", help="table, csv hoặc json")] = Format.table,
) -> None:
    """Liệt kê phần việc của các cơ quan, lọc theo cơ quan, kế hoạch, hạn."""
    if ctx.invoked_subcommand is None:
        _print_tasks(agency=agency, plan=plan, overdue=overdue, due_within=due_within,
                     unspecified=unspecified, include_closed=include_closed, today=today, fmt=fmt)  # fmt: skip


DUE_WITHIN_MAX = 3650  # ten years of days


def plan_or_exit(session: Session, number: str) -> None:
    """A plan named with --plan must exist: an empty list would hide a typo."""
    from bot.services.register import plan_by_number

    if number and plan_by_number(session, number) is None:
        err.print(f"Không có kế hoạch “{number}”.", style="red", markup=False, highlight=False)
        raise typer.Exit(1)


def _print_tasks(
    *, agency: str, plan: str, overdue: bool, due_within: int | None, unspecified: bool,
    include_closed: bool, today: str, fmt: Format,
) -> None:  # fmt: skip
    if due_within is not None:
        within(due_within, "--due-within", 0, DUE_WITHIN_MAX, " ngày")
    settings = load_settings()
    day = today_or(today, "--today", VIETNAM)
    engine = migrated_engine(settings)
    with session_scope(engine) as session:
        plan_or_exit(session, plan)
        agency_row = agency_or_exit(session, agency) if agency else None
        # Only once applied: before, the agency's open work is still its own.
        if agency_row is not None and (moved := former_agency(session, agency_row)):
            err.print(f"{moved}: việc đang mở của cơ quan này đã chuyển sang cơ "
                      "quan kế tục; ở đây chỉ còn việc đã đóng trước đó.", style="yellow",
                      markup=False, highlight=False)  # fmt: skip
        lines = list_assignments(
            session, today=day, agency=agency_row, plan=plan or None, overdue=overdue,
            due_within=due_within, unspecified=unspecified, include_closed=include_closed,
        )  # fmt: skip
    if fmt is Format.json:
        payload = [
            {**asdict(x), "due_on": x.due_on.isoformat() if x.due_on else None} for x in lines
        ]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    if fmt is Format.csv:
        write_csv(
            PARTS_HEADER,
            ([x.code, x.plan, x.task_key, x.task, x.indicator, x.agency, Role(x.role).label,
              Status(x.status).label, x.progress, "có" if x.overdue else "",
              x.deadline_text, x.deadline, short_date(x.due_on)] for x in lines),
        )  # fmt: skip
        return
    if not out.is_terminal:
        out.width = max(out.width, 160)  # piped to a file: no terminal to wrap for
    table = Table(title=f"Phần việc ({len(lines)})", show_lines=False)
    for column in ("Mã", "Kế hoạch", "Mục", "Nhiệm vụ", "Cơ quan", "Vai trò", "Thời hạn",
                   "Trạng thái", "Tiến độ"):  # fmt: skip
        table.add_column(column, overflow="fold")
    for x in lines:
        status = Status(x.status).label + (" ⚠️ quá hạn" if x.overdue else "")
        table.add_row(
            x.code, x.plan, x.task_key,
            _short(x.task, 70) + (f"\n({_short(x.indicator, 50)})" if x.indicator else ""), x.agency, Role(x.role).label,
            x.deadline, status, f"{x.progress}%",
        )  # fmt: skip
    out.print(table)


@tasks_app.command("set-deadline")
def set_deadline_cmd(
    code: Annotated[str, typer.Argument(metavar="MÃ", help="Mã phần việc, ví dụ NV12")],
    deadline: Annotated[
        str, typer.Argument(metavar="THỜI_HẠN", help="Ngày (31/12/2027) hoặc cụm “Quý IV/2027”")
    ],
) -> None:
    """Đặt thời hạn cho nhiệm vụ mà ô Tiến độ không đọc được (hoặc đọc sai).

    Ghi vào nhật ký thay đổi; nhập lại kế hoạch vẫn giữ thời hạn này nếu ô Tiến độ
    trong kế hoạch không đổi.
    """
    settings = load_settings()
    engine = migrated_engine(settings)
    now = clock()
    try:
        with session_scope(engine) as session:
            done = set_deadline(
                session, code=code, text=deadline, actor=Actor("cli:admin"),
                at=now.astimezone(UTC), settings=settings,
            )  # fmt: skip
    except DeadlineNotSet as exc:
        err.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(1) from None
    if done.unchanged:
        out.print(f"Kế hoạch {done.plan}, mục {done.task_key} đã có thời hạn này ({done.new}); "
                  "không ghi gì thêm.", highlight=False)  # fmt: skip
        return
    out.print(
        f"Kế hoạch {done.plan}, mục {done.task_key} (tiến độ ghi “{done.cell}”):\n"
        f"  trước: {done.old}\n  nay:   {done.new}\n"
        f"{done.parts_moved} phần việc đổi hạn; đã ghi vào nhật ký thay đổi.",
        highlight=False,
    )
    for warning in warnings(done, now.date()):
        out.print(f"[yellow]⚠️ Lưu ý: {warning}[/]", highlight=False)


@app.command("unassigned")
def unassigned_cmd(
    plan: Annotated[str, typer.Option(help="Số kế hoạch")] = "",
) -> None:
    """Nhiệm vụ chưa rõ cơ quan chủ trì (ô chủ trì chỉ nêu nhóm chung), chờ quản trị viên giao."""
    engine = migrated_engine(load_settings())
    with session_scope(engine) as session:
        plan_or_exit(session, plan)
        tasks = list_unassigned(session, plan=plan or None)
    if not out.is_terminal:
        out.width = max(out.width, 160)
    table = Table(title=f"Nhiệm vụ chưa rõ cơ quan chủ trì ({len(tasks)})")
    for column in ("Kế hoạch", "Mục", "Nhiệm vụ", "Ô chủ trì"):
        table.add_column(column, overflow="fold")
    for t in tasks:
        table.add_row(t.plan, t.task_key, _short(t.task, 70), t.lead_text)
    out.print(table)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@app.command("demo")
def demo_cmd(
    today: Annotated[str, typer.Option(help="Ngày xem sổ, dd/mm/yyyy (mặc định hôm nay)")] = "",
) -> None:
    """Dựng tỉnh mẫu từ seed/ và in sổ theo dõi của Sở Nội vụ và Sở Tài chính (chạy lại nhiều lần
    vẫn an toàn)."""
    day = today_or(today, "--today", VIETNAM)
    seed_cmd(SEED, today)
    shown = f"{day:%d/%m/%Y}"
    out.print(f"\n[bold]Sở Nội vụ, ngày {day:%d/%m/%Y}: việc quá hạn[/]")
    _print_tasks(agency="Sở Nội vụ", plan="", overdue=True, due_within=None, unspecified=False,
                 include_closed=False, today=shown, fmt=Format.table)  # fmt: skip
    out.print("\n[bold]Sở Nội vụ: việc chưa có ngày cụ thể (chờ quản trị viên bổ sung)[/]")
    _print_tasks(agency="Sở Nội vụ", plan="", overdue=False, due_within=None, unspecified=True,
                 include_closed=False, today=shown, fmt=Format.table)  # fmt: skip
    out.print(f"\n[bold]Sở Tài chính, ngày {day:%d/%m/%Y}: việc quá hạn (cả việc nhận từ Sở Kế "
              "hoạch và Đầu tư khi sáp nhập)[/]")  # fmt: skip
    _print_tasks(agency="Sở Tài chính", plan="", overdue=True, due_within=None, unspecified=False,
                 include_closed=False, today=shown, fmt=Format.table)  # fmt: skip


class ReportFormat(StrEnum):
    xlsx = "xlsx"
    html = "html"


@app.command("report")
def report_cmd(
    plan: Annotated[str, typer.Option(help="Số kế hoạch, ví dụ 126/KH-UBND")],
    period: Annotated[str, typer.Option(help="Kỳ: 2024-Q4, 2024-H1, 2024-11 hoặc 2024")],
    fmt: Annotated[
        ReportFormat, typer.Option("--format", help="xlsx hoặc html")
    ] = ReportFormat.xlsx,
    output: Annotated[
        Path | None, typer.Option("--out", help="Tệp ghi ra (mặc định: theo số kế hoạch)")
    ] = None,
    chart: Annotated[Path | None, typer.Option(help="Ghi thêm biểu đồ PNG theo cơ quan")] = None,
) -> None:
    """Báo cáo định kỳ của một kế hoạch: từng nhiệm vụ, cơ quan, kết quả, minh chứng, tổng hợp."""
    from bot.reports.plan_report import build, period_bounds, to_html, to_xlsx
    from bot.services.calendar import load_calendar
    from bot.services.register import plan_by_number

    try:
        start, end = period_bounds(period)
    except ValueError as exc:
        raise OptionError(str(exc), param_hint="--period") from None
    settings = load_settings()
    engine = migrated_engine(settings)
    with Session(engine) as session:
        found = plan_by_number(session, plan)
        if found is None:
            err.print(f"[red]Không có kế hoạch “{plan}”.[/]")
            raise typer.Exit(1)
        report = build(session, found, start, end, load_calendar(session, settings.hours))
    target = output or Path(f"bao-cao-{slug(found.number)}-{period.lower()}.{fmt.value}")
    for option, path in (("--out", target), ("--chart", chart)):
        if path is not None and not path.parent.is_dir():
            raise OptionError(f"thư mục “{path.parent}” không tồn tại: hãy tạo trước hoặc chọn "
                              "thư mục khác", param_hint=option)  # fmt: skip
    if fmt is ReportFormat.xlsx:
        target.write_bytes(to_xlsx(report))
    else:
        target.write_text(to_html(report), encoding="utf-8")
    if chart is not None:
        _write_chart(chart, report.by_agency(), found.number, end)
    totals = report.totals
    counted = ", ".join(f"{OUTCOMES[k].lower()} {n}" for k, n in totals.items() if n)
    out.print(f"Đã ghi {target}: {sum(totals.values())} phần việc chủ trì — {counted}.",
              highlight=False)  # fmt: skip


def _write_chart(
    path: Path, rows: list[tuple[str, dict[str, int]]], number: str, end: date
) -> None:
    """The plan's chart by agency into ``path``; none when no lead part has an outcome to
    draw (an empty chart would list every kind and show none), and the user is told."""
    from bot.reports.chart_kinds import drawable
    from bot.reports.charts import agency_bars

    if not drawable(rows):
        err.print(f"Chưa có nhiệm vụ nào để vẽ biểu đồ: không ghi {path}.", highlight=False)
        return
    title = f"Kế hoạch {number}: phần việc chủ trì theo kết quả, đến {end:%d/%m/%Y}"
    path.write_bytes(agency_bars(rows, title))
