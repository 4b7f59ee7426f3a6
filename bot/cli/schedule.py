"""Commands on reminders: preview a moment, run one tick, replay a period."""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
from dataclasses import asdict
from datetime import datetime, time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from bot.app import clock, tick_once
from bot.channels.console import ConsoleChannel, plain
from bot.cli.common import (
    OptionError,
    TextFormat,
    app,
    day_range,
    err,
    import_transaction,
    load_settings,
    migrated_engine,
    out,
    parse_moment,
)
from bot.config import Settings
from bot.db import make_engine, upgrade
from bot.domain.calendar import VIETNAM
from bot.domain.numbers import thousands
from bot.render import vn_date
from bot.scheduler.simulate import replay
from bot.services.demo import seed_demo
from bot.services.preview import preview


def _moment(text: str, settings: Settings) -> datetime:
    """``--at``: a day alone means the start of that day's office hours."""
    return parse_moment(text, "--at", VIETNAM, settings.hours.start)


@app.command("preview")
def preview_cmd(
    at: Annotated[str, typer.Option(help="Thời điểm, “dd/mm/yyyy HH:MM” giờ Việt Nam")],
    fmt: Annotated[
        TextFormat, typer.Option("--format", help="table (chữ) hoặc json")
    ] = TextFormat.table,
) -> None:
    """In mọi tin nhắn sẽ gửi vào thời điểm đó, không gửi và không ghi gì."""
    settings = load_settings()
    moment = _moment(at, settings)
    # A day alone means the start of office hours: say which moment is shown.
    err.print(f"Xem trước lúc {moment:%H:%M} {vn_date(moment.date())} (giờ Việt Nam).",
              highlight=False)  # fmt: skip
    engine = migrated_engine(settings)
    with Session(engine) as session:
        planned = preview(session, moment, settings)
    if planned.held_until is not None:
        err.print(f"Ngoài giờ làm việc: tin nhắn chờ đến {vn_date(planned.held_until.date())} "
                  f"{planned.held_until:%H:%M}.")  # fmt: skip
    if fmt is TextFormat.json:
        payload = [asdict(m) for m in planned.messages]
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return
    for message in planned.messages:
        out.print(f"\n[bold]──── → {message.chat} ({message.channel}:{message.chat_id})[/]",
                  highlight=False)  # fmt: skip
        out.print(plain(message.text), markup=False, highlight=False)
    out.print(f"\n{len(planned.messages)} tin nhắn sẽ được gửi.")


@app.command("tick")
def tick_cmd(
    at: Annotated[
        str,
        typer.Option(
            help="Chạy như thể vào lúc này, “dd/mm/yyyy HH:MM” (mặc định: bây giờ); tin nhắn "
            "vẫn được gửi thật"
        ),
    ] = "",
) -> None:
    """Chạy một lượt: lập danh sách việc đến hạn rồi gửi qua các kênh đã cấu hình.

    Cảnh báo: trên cơ sở dữ liệu đang dùng, lệnh này xếp hàng và gửi tin nhắn thật tới các
    nhóm, kể cả với --at (như thể vào lúc đó), và ghi lại là đã nhắc. Để xem trước mà không
    gửi, không ghi gì, dùng “dondoc preview --at …”."""
    settings = load_settings()
    moment = _moment(at, settings) if at else clock()
    engine = migrated_engine(settings)
    result = asyncio.run(tick_once(settings, engine, moment))
    n, sent = thousands, result.dispatched
    out.print(
        f"Đã xét {n(result.planned.checked)} phần việc và hồ sơ đến ngày xem lại, lập "
        f"{n(len(result.planned.messages))} tin nhắn; gửi {n(sent.sent)}, chờ gửi lại "
        f"{n(sent.retried)}, lỗi {n(sent.failed)}."
    )


SIMULATE_YEARS = 3  # a replay is day by day: longer would run for hours


@app.command("simulate")
def simulate_cmd(
    start: Annotated[str, typer.Option("--from", help="Ngày bắt đầu, dd/mm/yyyy")] = "03/06/2024",
    end: Annotated[str, typer.Option("--to", help="Ngày kết thúc, dd/mm/yyyy")] = "31/12/2024",
    at: Annotated[str, typer.Option(help="Giờ chạy mỗi ngày, HH:MM")] = "08:00",
    quiet: Annotated[bool, typer.Option("--quiet", help="Chỉ in bảng tổng kết")] = False,
    apologies: Annotated[
        bool,
        typer.Option(
            "--xin-loi/--khong-xin-loi",
            help="Đóng vai cán bộ soạn và Thủ trưởng duyệt văn bản xin lỗi",
        ),
    ] = True,
    fmt: Annotated[
        TextFormat, typer.Option("--format", help="table hoặc json (tổng kết)")
    ] = TextFormat.table,
) -> None:
    """Chạy lại thang nhắc việc từng ngày trên tỉnh mẫu (CSDL tạm), qua kênh console, rồi tổng kết."""
    settings = load_settings()
    first, last = day_range(start, end)
    if (last - first).days >= SIMULATE_YEARS * 366:
        raise OptionError(f"mô phỏng dài nhất {SIMULATE_YEARS} năm ({last:%d/%m/%Y} cách "
                          f"{first:%d/%m/%Y} quá xa)", param_hint="--to")  # fmt: skip
    try:
        daily = time.fromisoformat(at)
    except ValueError:
        raise OptionError(f"“{at}” không phải giờ (HH:MM)", param_hint="--at") from None
    with tempfile.TemporaryDirectory(prefix="dondoc-sim-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'simulate.db'}"
        upgrade(url)
        engine = make_engine(url)
        with import_transaction(engine) as session:
            seed_demo(session, settings, datetime.combine(first, daily, VIETNAM))
        console = ConsoleChannel(quiet=quiet or fmt is TextFormat.json)
        result = asyncio.run(
            replay(engine, {"console": console}, first, last, at=daily,
                   settings=settings, play_apologies=apologies)
        )  # fmt: skip
        engine.dispose()
    if fmt is TextFormat.json:
        sys.stdout.write(json.dumps(asdict(result), ensure_ascii=False, indent=2) + "\n")
        return
    table = Table(title=f"Mô phỏng {first:%d/%m/%Y} – {last:%d/%m/%Y}: số lần nhắc theo bậc")
    table.add_column("Bậc")
    table.add_column("Số lần nhắc", justify="right")
    for label, count in result.rungs(settings.ladder).items():
        table.add_row(label, str(count))
    if result.unspecified_lists:
        table.add_row("Danh sách việc chưa có ngày (quản trị)", str(result.unspecified_lists))
    for label, count in result.file_rungs().items():
        table.add_row(label, str(count))
    if result.letters:
        table.add_row("Văn bản xin lỗi được duyệt và gửi (.docx)", str(result.letters))
    out.print(table)
    out.print(f"{result.messages} tin nhắn đã gửi qua console tới {result.chats} nhóm/chat.")
