"""Commands on reminders: preview a moment, run one tick, replay a period, the calendar."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.table import Table
from sqlmodel import Session, col, select

from bot.channels import Channel
from bot.channels.console import ConsoleChannel, plain
from bot.cli.common import (
    Format,
    app,
    calendar_app,
    err,
    fail,
    load_scheduler_settings,
    load_settings,
    out,
)
from bot.db import make_engine, session_scope, upgrade
from bot.importers.errors import ImportFailed
from bot.importers.tabular import FileProblem
from bot.models import Agency, CalendarOverride, Notice, Outbox, OutboxState
from bot.render import vn_date
from bot.scheduler.planner import plan
from bot.scheduler.runner import tick
from bot.services.calendar import import_overrides, load_calendar, remove_override, set_override
from bot.services.demo import seed_demo


def _moment(text: str, tz: ZoneInfo) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=tz)
    except ValueError:
        err.print(f"[red]“{text}” không đúng dạng “yyyy-mm-dd HH:MM” (giờ Việt Nam)[/]")
        raise typer.Exit(2) from None


def _channels() -> dict[str, Channel]:
    return {"console": ConsoleChannel()}


@app.command("preview")
def preview_cmd(
    at: Annotated[str, typer.Option(help="Thời điểm, “yyyy-mm-dd HH:MM” giờ Việt Nam")],
    fmt: Annotated[Format, typer.Option("--format", help="table (chữ) hoặc json")] = Format.table,
) -> None:
    """In mọi tin nhắn sẽ gửi vào thời điểm đó, không gửi và không ghi gì."""
    settings = load_settings()
    sched = load_scheduler_settings(settings)
    moment = _moment(at, settings.tz)
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        cal = load_calendar(session, sched.hours)
        if not cal.in_window(moment):
            err.print(f"Ngoài giờ làm việc: tin nhắn chờ đến {vn_date(cal.next_window(moment).date())} "
                      f"{cal.next_window(moment):%H:%M}.")  # fmt: skip
        result = plan(session, moment, settings=sched, cal=cal)
        agencies = {a.id: a.name for a in session.exec(select(Agency))}
        payload: list[dict[str, Any]] = [
            {
                "chat": m.chat.title or m.chat.chat_key,
                "channel": m.chat.channel,
                "chat_id": m.chat.chat_key,
                "agency": agencies.get(m.chat.agency_id, ""),
                "role": m.chat.role,
                "kind": m.kind,
                "stages": sorted({n["stage"] for n in m.notices}),
                "assignments": [n["assignment_id"] for n in m.notices if "assignment_id" in n],
                "text": "\n\n".join(m.parts),
            }
            for m in result.messages
        ]
        session.rollback()  # a preview changes nothing
    if fmt is Format.json:
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    for message in payload:
        out.print(f"\n[bold]──── → {message['chat']} ({message['channel']}:{message['chat_id']})[/]",
                  highlight=False)  # fmt: skip
        out.print(plain(message["text"]), markup=False, highlight=False)
    out.print(f"\n{len(payload)} tin nhắn sẽ được gửi.")


@app.command("tick")
def tick_cmd(
    at: Annotated[str, typer.Option(help="Chạy như thể vào lúc này (mặc định: bây giờ)")] = "",
) -> None:
    """Chạy một lượt: lập danh sách việc đến hạn rồi gửi qua các kênh đã cấu hình."""
    settings = load_settings()
    sched = load_scheduler_settings(settings)
    moment = _moment(at, settings.tz) if at else datetime.now(settings.tz)
    engine = make_engine(settings.database_url)
    result = asyncio.run(tick(engine, _channels(), moment, settings=sched))
    out.print(
        f"Đã xét {result.planned.checked} phần việc, lập {len(result.planned.messages)} tin nhắn; "
        f"gửi {result.dispatched.sent}, chờ gửi lại {result.dispatched.retried}, "
        f"lỗi {result.dispatched.failed}."
    )


STAGE_LABELS = {
    "before": "Nhắc trước hạn",
    "due": "Nhắc đúng ngày hạn",
    "late": "Quá hạn (nhóm, Thủ trưởng, cơ quan đôn đốc)",
    "unspecified": "Danh sách chưa có ngày (quản trị)",
}


@app.command("simulate")
def simulate_cmd(
    start: Annotated[str, typer.Option("--from", help="Ngày bắt đầu, yyyy-mm-dd")] = "2024-06-03",
    end: Annotated[str, typer.Option("--to", help="Ngày kết thúc, yyyy-mm-dd")] = "2024-12-31",
    at: Annotated[str, typer.Option(help="Giờ chạy mỗi ngày, HH:MM")] = "08:00",
    quiet: Annotated[bool, typer.Option("--quiet", help="Chỉ in bảng tổng kết")] = False,
    database: Annotated[str, typer.Option(help="Cơ sở dữ liệu mô phỏng (mặc định: tạm)")] = "",
) -> None:
    """Chạy lại thang nhắc việc từng ngày trên tỉnh mẫu, qua kênh console, rồi tổng kết."""
    settings = load_settings()
    sched = load_scheduler_settings(settings)
    first, last = date.fromisoformat(start), date.fromisoformat(end)
    with tempfile.TemporaryDirectory(prefix="dondoc-sim-") as tmp:
        url = database or f"sqlite:///{Path(tmp) / 'simulate.db'}"
        upgrade(url)
        engine = make_engine(url)
        try:
            with session_scope(engine) as session:
                seed_demo(session)
        except (ImportFailed, FileProblem) as exc:
            raise fail(exc) from None
        console = ConsoleChannel(quiet=quiet)
        hour = time.fromisoformat(at)

        async def replay() -> None:
            day = first
            while day <= last:
                await tick(engine, {"console": console}, datetime.combine(day, hour, settings.tz),
                           settings=sched, worker="simulate")  # fmt: skip
                day += timedelta(days=1)

        asyncio.run(replay())
        summary = simulation_summary(engine)
        engine.dispose()
    table = Table(title=f"Mô phỏng {first:%d/%m/%Y} – {last:%d/%m/%Y}")
    table.add_column("Bậc")
    table.add_column("Số lần nhắc", justify="right")
    for stage, count in summary["stages"].items():
        table.add_row(stage, str(count))
    out.print(table)
    out.print(
        f"{summary['messages']} tin nhắn đã gửi qua console tới {summary['chats']} nhóm/chat."
    )


def simulation_summary(engine: Any) -> dict[str, Any]:
    """Notices by stage (in ladder order) and messages sent, read back from the database."""
    with Session(engine) as session:
        stages = Counter(session.exec(select(Notice.stage)).all())
        sent = session.exec(select(Outbox).where(Outbox.state == OutboxState.SENT)).all()

    def order(stage: str) -> tuple[int, int]:
        kind, _, n = stage.partition("-")
        return (
            {"before": 0, "due": 1, "late": 2}.get(kind, 3),
            -int(n) if kind == "before" else int(n or 0),
        )

    ordered = {s: stages[s] for s in sorted(stages, key=order)}
    unspecified = sum(1 for o in sent if o.kind == "unspecified")
    if unspecified:
        ordered["unspecified"] = unspecified
    return {"stages": ordered, "messages": len(sent), "chats": len({o.chat_id for o in sent})}


@calendar_app.command("list")
def calendar_list(year: Annotated[int, typer.Option(help="Năm")] = 0) -> None:
    """Ngày nghỉ lễ và các ngày điều chỉnh riêng của tỉnh trong năm."""
    settings = load_settings()
    engine = make_engine(settings.database_url)
    with Session(engine) as session:
        cal = load_calendar(session)
        overrides = session.exec(select(CalendarOverride).order_by(col(CalendarOverride.day))).all()
    year = year or datetime.now(settings.tz).year
    table = Table(title=f"Lịch năm {year}")
    for column in ("Ngày", "", "Ghi chú"):
        table.add_column(column)
    day = date(year, 1, 1)
    while day.year == year:
        name = cal.holiday_name(day)
        if (name and day.weekday() < 5) or day in cal.extra_work or day in cal.extra_off:
            working = cal.is_working_day(day)
            note = next((o.note for o in overrides if o.day == day), name or "")
            table.add_row(vn_date(day), "làm việc" if working else "nghỉ", note)
        day += timedelta(days=1)
    out.print(table)


@calendar_app.command("off")
def calendar_off(day: str, note: Annotated[str, typer.Option(help="Lý do")] = "") -> None:
    """Thêm một ngày nghỉ (yyyy-mm-dd)."""
    _set_day(day, working=False, note=note)


@calendar_app.command("work")
def calendar_work(day: str, note: Annotated[str, typer.Option(help="Lý do")] = "") -> None:
    """Thêm một ngày làm bù (yyyy-mm-dd), ví dụ thứ Bảy làm bù."""
    _set_day(day, working=True, note=note)


@calendar_app.command("remove")
def calendar_remove(day: str) -> None:
    """Bỏ điều chỉnh của một ngày, trở về lịch chung."""
    engine = make_engine(load_settings().database_url)
    with session_scope(engine) as session:
        removed = remove_override(session, _day(day))
    out.print("Đã bỏ điều chỉnh." if removed else "Ngày này không có điều chỉnh.")


@calendar_app.command("import")
def calendar_import(file: Path) -> None:
    """Nhập các ngày điều chỉnh từ tệp CSV (Ngày, nghỉ/làm, Ghi chú)."""
    engine = make_engine(load_settings().database_url)
    try:
        with session_scope(engine) as session:
            count = import_overrides(session, file)
    except (ImportFailed, FileProblem) as exc:
        raise fail(exc) from None
    out.print(f"Đã nhập {count} ngày điều chỉnh.")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        err.print(f"[red]“{text}” không đúng dạng yyyy-mm-dd[/]")
        raise typer.Exit(2) from None


def _set_day(text: str, *, working: bool, note: str) -> None:
    engine = make_engine(load_settings().database_url)
    with session_scope(engine) as session:
        set_override(session, _day(text), working=working, note=note)
    out.print(f"{vn_date(_day(text))}: {'làm việc' if working else 'nghỉ'}.")
