"""Commands that run the bot and manage its chats: run, link, chats, unlink, console.

``run`` is a thin call into :mod:`bot.app`, which composes the running bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import sys
from collections.abc import Sequence
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from bot.app import clock, clock_from, run, tick_once
from bot.channels import CHANNELS
from bot.channels.console import ConsoleChannel, plain
from bot.cli.agencies import CLI_ACTOR
from bot.cli.common import (
    FIRST_YEAR,
    LAST_YEAR,
    agency_or_exit,
    app,
    complain,
    err,
    load_settings,
    migrated_engine,
    out,
    parse_moment,
    say,
    within,
)
from bot.cli.run_lock import sole_run
from bot.db import busy, session_scope
from bot.domain.calendar import VIETNAM
from bot.domain.when import moment_in
from bot.handlers.core import Incoming, failure_answer, handle_message
from bot.logs import PrintedAsRecords, configure_logging, json_logs
from bot.models import Agency, ChatRole
from bot.render import vn_date
from bot.services.actions import Answer, Sender
from bot.services.agency_changes import former_agency
from bot.services.assignments import Actor
from bot.services.binding import (
    LINK_HOURS_MAX,
    BindingRefused,
    find_chat,
    issue_link_code,
    linked_chats,
    unbind_chat,
)
from bot.services.calendar import load_calendar
from bot.services.chats import ensure_chat


def current_or_exit(session: Session, agency: Agency, today: date | None, what: str) -> None:
    """An agency that no longer exists (its change applied, or with ``today`` its day
    come) gets no chat: one red line naming the change (:meth:`Change.describe`), then
    ``what`` to do for the agency of today; exit code 1."""
    if (described := former_agency(session, agency, today)) is not None:
        err.print(f"{described}: {what} cho cơ quan hiện nay.", style="red", markup=False,
                  highlight=False)  # fmt: skip
        raise typer.Exit(1)


@app.command("link")
def link_cmd(
    agency: Annotated[
        str,
        typer.Argument(metavar="CƠ_QUAN", help="Tên hoặc mã cơ quan (bỏ trống với --role admin)"),
    ] = "",
    role: Annotated[
        ChatRole, typer.Option(help="group, head, coordinator hoặc admin")
    ] = ChatRole.GROUP,
    hours: Annotated[int, typer.Option(help="Mã còn hiệu lực trong bao nhiêu giờ (1–720)")] = 48,
) -> None:
    """Cấp mã liên kết một lần: nhóm công tác gõ /lienket MÃ trong nhóm; Thủ trưởng, cơ quan
    đôn đốc và quản trị viên gõ trong chat riêng với bot."""
    within(hours, "--hours", 1, LINK_HOURS_MAX, " giờ")
    settings = load_settings()
    # An admin's code may be the register's first row; any other needs an agency in it.
    engine = migrated_engine(settings, creates=role == ChatRole.ADMIN)
    now = clock()
    with session_scope(engine) as session:
        if not agency and role != ChatRole.ADMIN:
            err.print("Thiếu tên cơ quan (chỉ --role admin mới không cần).", style="red")
            raise typer.Exit(2)
        found = agency_or_exit(session, agency) if agency else None
        if found is not None:
            current_or_exit(session, found, now.astimezone(VIETNAM).date(), "hãy cấp mã")
        issued = issue_link_code(session, agency=found, role=role, hours=hours, actor=Actor(CLI_ACTOR),
                                 now=now, today=now.astimezone(VIETNAM).date())  # fmt: skip
        name = found.name if found else "quản trị"
    expires = issued.expires_at.astimezone(VIETNAM)
    out.print(f"Mã liên kết cho {name} ({role.value}): [bold]{issued.code}[/]", highlight=False)
    out.print(f"{issued.instruction} Dùng được một lần, hết hạn lúc "
              f"{expires:%H:%M} {vn_date(expires.date())}.", highlight=False)  # fmt: skip


@app.command("chats")
def chats_cmd() -> None:
    """Các nhóm/chat đã liên kết."""
    engine = migrated_engine(load_settings())
    with Session(engine) as session:
        chats = linked_chats(session)
    table = Table(title=f"Nhóm/chat đã liên kết ({len(chats)})")
    for column in ("Kênh", "Mã chat", "Tên", "Cơ quan", "Vai trò"):
        # the chat id is what "dondoc unlink" needs: never cut short
        table.add_column(column, no_wrap=column == "Mã chat", overflow="fold")
    for chat in chats:
        role = f"{ChatRole(chat.role).label} ({chat.role})"  # the English word is --role's
        table.add_row(chat.channel, chat.chat_key, chat.title, chat.agency, role)
    out.print(table)


# A Telegram group's id is negative ("-1001234567890"): an argument, not an option.
@app.command("unlink", context_settings={"ignore_unknown_options": True})
def unlink_cmd(
    channel: Annotated[str, typer.Argument(metavar="KÊNH", help="telegram, zalo hoặc console")],
    chat_id: Annotated[
        str, typer.Argument(metavar="MÃ_CHAT", help="Mã chat, như trong “dondoc chats”")
    ],
) -> None:
    """Bỏ liên kết một nhóm/chat (ví dụ: dondoc unlink telegram -1001234567890)."""
    if channel.strip().lower() not in CHANNELS:
        err.print(f"KÊNH: không có kênh “{channel}”: chỉ {', '.join(CHANNELS)}.", style="red",
                  markup=False, highlight=False)  # fmt: skip
        raise typer.Exit(1)
    channel = channel.strip().lower()
    engine = migrated_engine(load_settings())
    with session_scope(engine) as session:
        chat = find_chat(session, channel, chat_id)
        if chat is not None:
            try:
                unbind_chat(session, chat, actor=Actor(CLI_ACTOR), now=clock())
            except BindingRefused as refused:
                err.print(str(refused), style="red", markup=False, highlight=False)
                raise typer.Exit(1) from None
    if chat is None:
        err.print(
            f"Không có nhóm/chat “{chat_id}” nào đang liên kết trên {channel}: xem “dondoc chats”."
        )
        raise typer.Exit(1)
    out.print("Đã bỏ liên kết.")


@app.command("run")
def run_cmd() -> None:
    """Chạy bot: Telegram, Zalo (nếu có token) và bộ nhắc việc; dừng gọn khi Ctrl+C hoặc SIGTERM.
    Trả lời /healthz và /metrics (Prometheus) ở cổng METRICS_PORT (mặc định 9100), và mở
    giao diện web ở cổng WEB_PORT nếu có đặt."""
    from bot.web.app import create_app
    from bot.web.server import CannotListen, serving
    from bot.web.site import create_site, prepare

    settings = load_settings()  # LOG_FORMAT=json: its error is a JSON line too
    configure_logging(settings.log_format)
    with sole_run(settings.database_url):  # on SQLite, a second bot is refused
        engine = migrated_engine(settings, creates=True)
        watched = ""

        def ready(channels: Sequence[str]) -> None:
            # What is loaded by now (modules, templates, channels) lives as long as the bot:
            # out of the collector's full passes, which would otherwise walk it all, a
            # tenth of a second or more, in the middle of a burst (Python's gc.freeze).
            gc.collect()
            gc.freeze()
            say(f"dondoc đang chạy: kênh {', '.join(channels)}; nhắc việc mỗi {settings.tick_seconds} "
                f"giây{watched}. Ctrl+C để dừng.")  # fmt: skip

        async def main() -> None:
            nonlocal watched
            stop = asyncio.Event()  # run's SIGINT/SIGTERM set it; the servers stop after the bot
            async with contextlib.AsyncExitStack() as servers:
                if settings.metrics_port:
                    web = create_app(engine=engine, settings=settings, clock=clock, stop=stop)
                    port = await servers.enter_async_context(
                        serving(web, settings.metrics_listen, settings.metrics_port)
                    )
                    watched = (f"; theo dõi: http://{settings.metrics_listen}:{port}/healthz "
                               "và /metrics")  # fmt: skip
                if settings.web_port:
                    key = prepare(engine, settings, clock(), settings.web_port)
                    site = create_site(engine=engine, settings=settings, key=key, clock=clock)
                    try:
                        port = await servers.enter_async_context(
                            serving(site, settings.web_listen, settings.web_port, name="web server")
                        )
                    except CannotListen as exc:
                        raise _WebPortTaken(str(exc)) from None
                    watched += f"; giao diện web: {settings.web_url(port)}"
                await run(settings, engine, ready=ready, stop=stop)

        # LOG_FORMAT=json: what is printed while the bot runs (the console channel's
        # messages) is a JSON line too.
        printed = PrintedAsRecords(sys.stdout, "bot.channels.console") if json_logs() else None
        try:
            with contextlib.redirect_stdout(printed) if printed else contextlib.nullcontext():
                asyncio.run(main())
        except _WebPortTaken as exc:
            engine.dispose()
            complain(f"Không mở được cổng giao diện web {exc}. Đặt WEB_PORT (và WEB_LISTEN) "
                     "khác, hoặc bỏ WEB_PORT để dondoc run không mở giao diện web.")  # fmt: skip
            raise typer.Exit(1) from None
        except CannotListen as exc:
            engine.dispose()
            complain(f"Không mở được cổng theo dõi {exc}. Đặt METRICS_PORT (và METRICS_LISTEN) "
                     "khác, hoặc METRICS_PORT=0 để không mở cổng này.")  # fmt: skip
            raise typer.Exit(1) from None
    say("dondoc đã dừng.")


class _WebPortTaken(Exception):
    """The web view's port cannot be had (told apart from the monitoring port's)."""


@app.command("console")
def console_cmd(
    agency: Annotated[str, typer.Option(help="Cơ quan mà bạn đóng vai cán bộ")] = "Sở Nội vụ",
    at: Annotated[
        str, typer.Option(help="Thời điểm bắt đầu, “dd/mm/yyyy HH:MM”")
    ] = "20/12/2024 08:00",
    role: Annotated[
        ChatRole, typer.Option(help="Chat đóng vai: group, head, coordinator hoặc admin")
    ] = ChatRole.GROUP,
) -> None:
    """Đóng vai một chat của cơ quan (mặc định: nhóm công tác), trên terminal, không cần token.

    Đồng hồ bắt đầu từ --at rồi chạy tiếp như đồng hồ thật (như “dondoc web --at”: dùng
    cùng --at thì đường dẫn /web khớp giờ của giao diện web). Gõ như trong chat (xong ạ,
    70%, /nhiemvu, /web…); “:tick dd/mm/yyyy HH:MM” để chuyển thời gian và nhận tin nhắc;
    “:q” để thoát. Chat của Thủ trưởng (--role head), cơ quan
    theo dõi, đôn đốc (coordinator) hay quản trị viên (admin) nhận đường dẫn /web.
    """
    settings = load_settings()
    engine = migrated_engine(settings, creates=True)
    moment = parse_moment(at, "--at", VIETNAM, settings.hours.start)
    chat_role, (prefix, title) = role, _CONSOLE_CHATS[role]
    with session_scope(engine) as session:
        found = agency_or_exit(session, agency)
        current_or_exit(session, found, None, "hãy đóng vai cán bộ")
        chat = ensure_chat(session, channel="console", chat_key=f"{prefix}:{found.code}", role=chat_role,
                           agency=found, title=f"{title} {found.name}")  # fmt: skip
        chat_key, name = chat.chat_key, found.name
    mine = _OnlyChat(chat_key)
    out.print(f"Bạn là cán bộ trong nhóm {name}. Gõ “:q” để thoát." if role == ChatRole.GROUP
              else f"Bạn đang ở chat: {title} {name}. Gõ “:q” để thoát.", highlight=False)  # fmt: skip
    # The clock runs on from --at (as ``dondoc web --at``'s does): a /web link typed an hour
    # later is stamped an hour later, so it is in time on a web view started with that --at.
    now = clock_from(moment)
    asyncio.run(tick_once(settings, engine, moment, console_only=mine, worker="console"))
    for line in sys.stdin:
        text = line.strip()
        if text in (":q", ":quit"):
            break
        if text.startswith(":tick"):
            read = moment_in(text[5:].strip(), VIETNAM, settings.hours.start)
            if read is None or not FIRST_YEAR <= read.year <= LAST_YEAR:
                out.print(f"Gõ “:tick dd/mm/yyyy HH:MM” (năm từ {FIRST_YEAR} đến {LAST_YEAR}).")
                continue
            now = clock_from(read)
            asyncio.run(tick_once(settings, engine, read, console_only=mine, worker="console"))
            continue
        if not text:
            continue
        # Every line is said to the bot (as in a private chat): in a real group, chatter
        # that neither replies to it nor names it is left alone.
        sender = Sender("console", chat_key, "console-user", "Cán bộ (console)", private=True,
                        chat_title=f"{title} {name}")  # fmt: skip
        try:
            with session_scope(engine) as session:
                answers = handle_message(
                    session,
                    Incoming(sender, text),
                    now(),
                    load_calendar(session, settings.hours),
                    settings.apology,
                )
        except OperationalError as exc:  # as a chat hears it; the console goes on
            if not busy(exc):
                raise
            answers = [Answer(failure_answer(exc))]
        for item in answers:
            out.print(f"🤖 {plain(item.html)}", markup=False, highlight=False)
    engine.dispose()


# ``dondoc console --role``: the played chat's key prefix and how its title begins.
_CONSOLE_CHATS = {
    ChatRole.GROUP: ("nhom", "Nhóm"),
    ChatRole.HEAD: ("thu-truong", "Thủ trưởng"),
    ChatRole.COORDINATOR: ("dieu-phoi", "Theo dõi, đôn đốc"),
    ChatRole.ADMIN: ("quan-tri", "Quản trị"),
}


class _OnlyChat(ConsoleChannel):
    """Prints only what goes to the player's chat; the rest is delivered silently."""

    def __init__(self, chat_key: str) -> None:
        super().__init__()
        self.chat_key = chat_key

    async def send(self, chat_key: str, html_text: str, buttons: Any = None) -> str:
        self.quiet = chat_key != self.chat_key
        return await super().send(chat_key, html_text, buttons)
