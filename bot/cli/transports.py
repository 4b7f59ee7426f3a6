"""The channels the settings configure, opened once for ``run`` and for ``tick``.

The console is always there; Telegram and Zalo are added when their tokens are set. A
channel that cannot be reached now is left out with a warning: its messages stay in the
outbox for the next tick, nothing is lost.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine

from bot.channels import Channel
from bot.channels.console import ConsoleChannel
from bot.cli.common import err
from bot.config import Settings


@dataclass
class Transports:
    channels: dict[str, Channel] = field(default_factory=dict)
    telegram: Any = None  # the python-telegram-bot Application, initialised
    zalo: Any = None  # the ZaloClient


@asynccontextmanager
async def open_transports(
    settings: Settings,
    engine: Engine,
    clock: Callable[[], datetime],
) -> AsyncIterator[Transports]:
    opened = Transports(channels={"console": ConsoleChannel()})
    try:
        if settings.telegram_token:
            from telegram.error import TelegramError

            from bot.channels.telegram import TelegramChannel, build_application, protect_logs

            protect_logs(settings.telegram_token)
            app = build_application(settings, engine=engine, clock=clock)
            try:
                await app.initialize()
            except TelegramError as exc:
                err.print(f"[yellow]Chưa kết nối được Telegram ({exc}); tin nhắn Telegram chờ "
                          "lượt sau.[/]", highlight=False)  # fmt: skip
            else:
                opened.telegram = app
                opened.channels["telegram"] = TelegramChannel(app)
        if settings.zalo_token:
            from bot.channels.zalo import ZaloChannel, ZaloClient

            opened.zalo = ZaloClient(settings.zalo_token, settings.zalo_base_url)
            opened.channels["zalo"] = ZaloChannel(opened.zalo)
        yield opened
    finally:
        if opened.zalo is not None:
            await opened.zalo.close()
        if opened.telegram is not None:
            await opened.telegram.shutdown()
