"""Imports from files: ``dondoc import agencies|tasks|files`` and ``dondoc calendar import``.

Each import is one transaction (``import_transaction``): a bad file writes nothing and
its errors are listed by file and line. ``--dry-run`` shows what the import would do
without writing (``bot.services.imports.run_import``, the web's preview too); for a plan,
how each deadline and agency cell was read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.progress import Progress

from bot.app import clock
from bot.cli.common import (
    File,
    calendar_app,
    err,
    import_app,
    import_transaction,
    load_settings,
    migrated_engine,
    out,
    parse_day,
    year_or_none,
)
from bot.importers.agency_changes import import_agency_changes
from bot.importers.plans import PlanImportReport
from bot.importers.rows import PlanMeta
from bot.services.calendar import import_overrides
from bot.services.imports import (
    Kind,
    PlanOptions,
    ReadSection,
    changed_tasks,
    dropped_tasks,
    rows_read,
    run_import,
    summary,
)  # fmt: skip

DryRun = Annotated[bool, typer.Option("--dry-run", help="Chỉ xem trước, không ghi")]


@import_app.command("agencies")
def import_agencies_cmd(file: File, dry_run: DryRun = False) -> None:
    """Nhập danh mục cơ quan (Mã, Tên cơ quan, Loại, Cơ quan cấp trên, Tên gọi khác)."""
    settings = load_settings()
    with import_transaction(migrated_engine(settings, creates=True), dry_run=dry_run) as session:
        report = run_import(session, Kind.AGENCIES, file, settings=settings, on=clock().date(),
                            dry_run=dry_run)  # fmt: skip
    out.print(summary(report, dry_run=dry_run), highlight=False)


@import_app.command("agency-changes")
def import_agency_changes_cmd(file: File) -> None:
    """Nhập thay đổi của cơ quan (Ngày hiệu lực, Thay đổi, Cơ quan, Cơ quan kế tục, Văn bản)
    rồi chuyển công việc của các thay đổi đã đến ngày. Nhập lại cùng tệp không đổi gì."""
    from bot.app import clock
    from bot.cli.agencies import print_summary
    from bot.domain.calendar import VIETNAM
    from bot.services.agency_changes import apply_due

    now = clock()
    today = now.astimezone(VIETNAM).date()
    with import_transaction(migrated_engine(load_settings(), creates=True)) as session:
        report = import_agency_changes(session, file, actor=f"import:{file.name}"[:128], now=now)
        applied = apply_due(session, today, now)
    out.print(
        f"Thay đổi của cơ quan: ghi mới {len(report.created)}, giữ nguyên {report.unchanged}."
    )
    print_summary(report.created, applied, today)


PlanFile = Annotated[
    Path,
    typer.Argument(
        metavar="TỆP",
        help="Kế hoạch: tệp Word (.docx, .doc nếu có LibreOffice), PDF có lớp chữ, CSV hoặc XLSX",
    ),
]


@import_app.command("tasks")
def import_tasks_cmd(
    file: PlanFile,
    number: Annotated[str, typer.Option(help="Số kế hoạch, ví dụ 126/KH-UBND")] = "",
    issued: Annotated[str, typer.Option("--date", help="Ngày ban hành, dd/mm/yyyy")] = "",
    title: Annotated[str, typer.Option(help="Trích yếu")] = "",
    issuer: Annotated[str, typer.Option(help="Cơ quan ban hành")] = "",
    year: Annotated[
        int | None, typer.Option(help="Năm của kế hoạch, cho các ô “Trong năm”")
    ] = None,
    lead: Annotated[str, typer.Option(help="Cơ quan chủ trì khi bảng không có cột này")] = "",
    mapping: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Giao việc của cơ quan/nhóm cũ cho cơ quan/nhóm mới, dạng “CŨ=MỚI”, ví dụ "
            "“UBND cấp huyện=UBND cấp xã” (dùng nhiều lần được)",
        ),
    ] = None,
    whole_plan: Annotated[
        bool,
        typer.Option(
            "--whole-plan",
            help="Tệp là toàn bộ kế hoạch: nhiệm vụ đã nhập mà tệp không có (kể cả cả một phụ "
            "lục) bị bỏ khỏi kế hoạch, phần việc chưa xong bị hủy",
        ),
    ] = False,
    dry_run: DryRun = False,
) -> None:
    """Nhập nhiệm vụ của một kế hoạch (văn bản Word, PDF có lớp chữ, hoặc bảng CSV/XLSX). Số,
    ngày và trích yếu đọc từ văn bản, các tùy chọn ghi đè. Nhập lại cùng số kế hoạch sẽ cập nhật, giữ trạng thái."""
    issued_on = parse_day(issued, "--date") if issued else None
    meta = PlanMeta(
        number=number,
        issued_on=issued_on,
        year=year_or_none(year, "--year"),
        title=title,
        issuer=issuer,
    )
    settings = load_settings()
    engine = migrated_engine(settings, creates=True)
    with (
        import_transaction(engine, dry_run=dry_run) as session,
        Progress(console=err, transient=True) as bar,
    ):
        job = bar.add_task(f"Đang nhập {file.name}", total=None)
        report = run_import(
            session, Kind.TASKS, file, settings=settings, on=clock().date(), dry_run=dry_run,
            plan=PlanOptions(meta, lead, tuple(mapping or ()), whole_plan),
            progress=lambda done, total: bar.update(job, completed=done, total=total),
        )  # fmt: skip
    assert isinstance(report, PlanImportReport)
    _print_plan_report(report, dry_run=dry_run)


def _quoted(cell: str) -> str:
    """A cell as the admin reads it: “in quotes”, or "(trống)" for an empty one."""
    return f"“{cell}”" if cell else "(trống)"


def _for_the_admin(what: str, lines: list[str], then: str = "") -> None:
    """Rows of the import an admin must complete: how many, then one line each."""
    if not lines:
        return
    out.print(f"[yellow]{len(lines)} {what}:[/]")
    for line in [*lines, then] if then else lines:
        out.print(f"  {line}", markup=False, highlight=False)


def _print_plan_report(report: PlanImportReport, *, dry_run: bool) -> None:
    verb = "sẽ " if dry_run else ""
    out.print(summary(report, dry_run=dry_run), highlight=False)
    for warning in report.warnings:
        out.print(f"[yellow]Lưu ý:[/] {escape(warning)}", highlight=False)
    changed = changed_tasks(report)
    if changed:
        out.print(f"Nhiệm vụ {verb or 'đã '}sửa:", highlight=False)
        for line in changed:
            out.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)
    for line in dropped_tasks(report, dry_run=dry_run):
        out.print(line, style="yellow", highlight=False, markup=False, soft_wrap=True)
    if report.done_in_plan:
        out.print(
            f"{report.done_in_plan} phần việc kế hoạch ghi “đã xong”: {verb}ghi là hoàn thành."
        )
    if report.deadlines_kept:
        out.print(
            f"Giữ thời hạn quản trị viên đã đặt cho {len(report.deadlines_kept)} nhiệm vụ "
            f"(ô Tiến độ không đổi): {_items(report.deadlines_kept)}",
            highlight=False,
        )
    if report.deadlines_dropped:
        out.print(
            f"[yellow]Bỏ thời hạn quản trị viên đã đặt cho {len(report.deadlines_dropped)} nhiệm "
            f"vụ vì kế hoạch đã sửa ô Tiến độ:[/] {_items(report.deadlines_dropped)}",
            highlight=False,
        )
    if report.due_before_plan and report.plan_date:
        out.print(
            f"[yellow]{len(report.due_before_plan)} nhiệm vụ có hạn trước ngày ban hành kế hoạch "
            f"({report.plan_date:%d/%m/%Y}), sẽ quá hạn ngay; kiểm tra lại ô Tiến độ hoặc đặt "
            f"hạn bằng dondoc tasks set-deadline:[/] {_items(report.due_before_plan)}",
            highlight=False,
        )
    _for_the_admin(
        "nhiệm vụ chưa có ngày cụ thể, cần quản trị viên bổ sung",
        [
            f"{report.where(u.line)} ({u.task_key}): "
            + (f"“{u.text}” – " if u.text else "")
            + u.reason
            for u in report.unspecified
        ],
    )
    _print_rerouted(report)
    _for_the_admin(
        "nhiệm vụ chưa rõ cơ quan chủ trì, cần quản trị viên giao",
        [f"{report.where(c.line)} ({c.task_key}): “{c.text}”" for c in report.unclear_leads],
        then="(xem lại bằng: dondoc unassigned)",
    )
    if dry_run:
        _print_rows_read(report)


def _print_rows_read(report: PlanImportReport) -> None:
    """Every row as read, sections among the tasks, for an admin to hold against the
    document: each task's text, how its deadline and agency cells were read."""
    out.print("\n[bold]Các dòng đã đọc: mục, nhiệm vụ, cách đọc thời hạn và cột cơ quan[/]")
    out.print(f"Kế hoạch số {report.plan}, ngày "
              f"{report.plan_date.strftime('%d/%m/%Y') if report.plan_date else '(chưa rõ)'}"
              f"{f': {report.title}' if report.title else ''}", highlight=False, markup=False)  # fmt: skip
    if report.issuer:
        out.print(f"Cơ quan ban hành (theo văn bản): {report.issuer}", highlight=False)
    for table in report.tables:
        lead = f"; chủ trì theo tên phụ lục: {table.lead}" if table.lead else ""
        pages = ""
        if table.pages:
            first, last = table.pages
            pages = f" (trang {first}–{last})" if last > first else f" (trang {first})"
        out.print(
            f"Bảng {table.number}{pages}: {table.heading or '(không có tiêu đề)'} – "
            f"{table.rows} dòng{lead}",
            highlight=False, markup=False, soft_wrap=True,
        )  # fmt: skip
    for note in report.notes:
        out.print(f"  Bỏ qua {note}", highlight=False, markup=False, soft_wrap=True)
    for item in rows_read(report):
        if isinstance(item, ReadSection):
            out.print(f"{item.where} – mục {item.key}: {item.title}",
                      highlight=False, markup=False, soft_wrap=True)  # fmt: skip
            continue
        out.print(f"{item.where} ({item.key}): {item.text}", highlight=False,
                  markup=False, soft_wrap=True)  # fmt: skip
        out.print(f"  Tiến độ {_quoted(item.deadline_cell)} → {item.deadline}", highlight=False,
                  markup=False, soft_wrap=True)  # fmt: skip
        for line in item.agencies:
            out.print(f"  {line}", highlight=False, markup=False, soft_wrap=True)


def _print_rerouted(report: PlanImportReport) -> None:
    """Former agencies the plan names, and who was given their parts: once per change,
    with the rows."""
    by_change: dict[str, list[str]] = {}
    for r in report.rerouted:
        by_change.setdefault(r.rerouted.how, []).append(f"{report.where(r.line)} ({r.task_key})")
    if not by_change:
        return
    out.print(
        "[yellow]Kế hoạch ghi tên cơ quan đã thay đổi; phần việc giao cho cơ quan hiện nay:[/]"
    )
    for how, rows in by_change.items():
        out.print(f"  {how}: {', '.join(rows)}", markup=False, highlight=False,
                  soft_wrap=True)  # fmt: skip


def _items(keys: list[str]) -> str:
    """Task numbers as the plan writes them, never to be read as a count."""
    return ", ".join(f"mục {k}" for k in keys)


@import_app.command("files")
def import_files_cmd(file: File, dry_run: DryRun = False) -> None:
    """Nhập hồ sơ TTHC từ tệp xuất của phần mềm một cửa (CSV/XLSX); nhập lại hằng ngày để cập nhật."""
    settings = load_settings()
    engine = migrated_engine(settings, creates=True)
    with (
        import_transaction(engine, dry_run=dry_run) as session,
        Progress(console=err, transient=True) as bar,
    ):
        job = bar.add_task(f"Đang nhập {file.name}", total=None)
        report = run_import(session, Kind.FILES, file, settings=settings, on=clock().date(),
                            dry_run=dry_run, progress=lambda done, _: bar.update(job, completed=done))  # fmt: skip
    out.print(summary(report, dry_run=dry_run), highlight=False)


@calendar_app.command("import")
def calendar_import(file: File) -> None:
    """Nhập các ngày điều chỉnh từ tệp CSV (Ngày, nghỉ/làm, Ghi chú)."""
    with import_transaction(migrated_engine(load_settings(), creates=True)) as session:
        count = import_overrides(session, file)
    out.print(f"Đã nhập {count} ngày điều chỉnh.")
