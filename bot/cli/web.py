"""``dondoc web``: the web view for heads, coordinators and admins, on its own.

``dondoc run`` serves the same app beside the bot when WEB_PORT is set (``bot.cli.chat``);
this command is for a web view in a process (or a machine) of its own, on the same
database.
"""

from __future__ import annotations

from typing import Annotated

import typer

from bot.app import clock, clock_from
from bot.cli.common import app, complain, load_settings, migrated_engine, parse_moment, say
from bot.config import WEB_DEFAULT_PORT
from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.logs import configure_logging
from bot.services.web_access import renew_key
from bot.web.server import CannotListen, listen, serve_forever
from bot.web.site import create_site, prepare


@app.command("web")
def web_cmd(
    new_key: Annotated[
        bool,
        typer.Option("--doi-khoa", help="Tạo khóa ký mới trước khi mở: mọi phiên đăng nhập và "
                     "đường dẫn chưa dùng đều hết hiệu lực"),
    ] = False,
    at: Annotated[
        str,
        typer.Option(help="Xem như đang ở thời điểm này, “dd/mm/yyyy HH:MM”, đồng hồ chạy tiếp "
                     "từ đó (để thử với dữ liệu mẫu: “20/12/2024 08:00”, như dondoc console)"),
    ] = "",
) -> None:  # fmt: skip
    """Mở giao diện web cho thủ trưởng, cơ quan theo dõi, đôn đốc và quản trị viên.

    Nghe ở WEB_LISTEN:WEB_PORT (mặc định 127.0.0.1:8080); đường dẫn đăng nhập (gõ /web
    trong chat đã liên kết) mở WEB_BASE_URL. Ctrl+C hoặc SIGTERM để dừng.
    """
    settings = load_settings()
    configure_logging(settings.log_format)
    now = clock if not at else clock_from(parse_moment(at, "--at", VIETNAM, settings.hours.start))
    engine = migrated_engine(settings)
    if new_key:
        with session_scope(engine) as session:
            renew_key(session, now())
        say("Đã tạo khóa ký mới: mọi phiên đăng nhập và đường dẫn cũ đã hết hiệu lực.")
    port = settings.web_port or WEB_DEFAULT_PORT
    try:
        sock = listen(settings.web_listen, port)
    except CannotListen as exc:
        engine.dispose()
        complain(f"Không mở được cổng giao diện web {exc}. Đặt WEB_PORT (và WEB_LISTEN) khác.")
        raise typer.Exit(1) from None
    bound = int(sock.getsockname()[1])
    key = prepare(engine, settings, now(), bound)
    site = create_site(engine=engine, settings=settings, key=key, clock=now)
    say(f"Giao diện web đang chạy: {settings.web_url(bound)} (nghe ở {settings.web_listen}:{bound}). "
        "Gõ /web trong chat đã liên kết để nhận đường dẫn đăng nhập. Ctrl+C để dừng.")  # fmt: skip
    try:
        serve_forever(site, sock)
    finally:
        engine.dispose()
    say("Giao diện web đã dừng.")
