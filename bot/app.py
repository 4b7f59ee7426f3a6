"""The composition root: the running bot, assembled from ``Settings`` in this one module.

- :func:`clock` is the one place the bot reads the time; everything below it is given
  ``now`` or a ``clock`` to call.
- :func:`open_channels` opens the channels the settings configure: the console always,
  Telegram and Zalo when their tokens are set. A channel that cannot be reached now is
  left out with a warning: its messages stay in the outbox for the next tick.
- :func:`tick_once` is one tick through those channels (``dondoc tick``, ``dondoc console``).
- :func:`run` is ``dondoc run``: the channels, then the receivers (Telegram polling or
  webhook, Zalo polling or webhook), then the periodic tick (it plans) and the sender
  (``bot.scheduler.dispatcher.Sender``: it drains the outbox continuously, woken by every
  row added), until ``stop`` (SIGINT or SIGTERM); then the sender finishes the messages in
  flight, the periodic tick stops, the receivers stop in reverse order, the channels close
  and the engine is disposed. The process claims outbox rows as ``host:pid``.

The database engine comes from the caller, migrated (``bot.cli.common.migrated_engine``,
which turns a database that cannot be opened into one Vietnamese line); ``run`` owns it
from then on and disposes of it when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from sqlalchemy.engine import Engine

from bot.channels import Channel
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.domain.calendar import VIETNAM
from bot.scheduler.dispatcher import Sender
from bot.scheduler.periodic import PeriodicTick
from bot.scheduler.runner import TickResult, tick

if TYPE_CHECKING:
    from telegram.ext import Application

    from bot.channels.zalo import ZaloClient

log = logging.getLogger(__name__)

Clock = Callable[[], datetime]
Stopper = Callable[[], Awaitable[None]]


def clock() -> datetime:
    """Now, in Vietnam: the one place the bot reads the clock."""
    return datetime.now(VIETNAM)


@dataclass
class OpenedChannels:
    """The channels by name, and the clients their receivers need."""

    channels: dict[str, Channel] = field(default_factory=dict)
    telegram: Application[Any, Any, Any, Any, Any, Any] | None = None  # initialised, not started
    zalo: ZaloClient | None = None


@asynccontextmanager
async def open_channels(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    *,
    console_only: ConsoleChannel | None = None,
) -> AsyncIterator[OpenedChannels]:
    """A printing console, Telegram and Zalo; or ``console_only``, then nothing else (a
    person playing an officer on the terminal). Closed again on the way out."""
    opened = OpenedChannels(channels={"console": console_only or ConsoleChannel()})
    remote = console_only is None
    tokens = [t for t in (settings.telegram_token, settings.zalo_token) if t and remote]
    if tokens:  # before any request: tokens are part of the API's URLs, which get logged
        from bot.channels.telegram import protect_logs

        protect_logs(*tokens)
    try:
        if remote and settings.telegram_token:
            from telegram.error import TelegramError

            from bot.channels.telegram import TelegramChannel, build_application

            application = build_application(settings, engine=engine, clock=clock)
            try:
                await application.initialize()
            except TelegramError as exc:
                log.warning("Chưa kết nối được Telegram (%s); tin nhắn Telegram chờ lượt sau.", exc)
            else:
                opened.telegram = application
                # The dispatcher's sends are queued notices: answers to people go first,
                # and a notice waits for its slot at most a quarter of its lease.
                opened.channels["telegram"] = TelegramChannel(
                    application, queued=True, within=settings.dispatch.lease_seconds / 4
                )
        if remote and settings.zalo_token:
            from bot.channels.zalo import ZaloChannel, ZaloClient
            from bot.services.channel_usage import UsageMeter

            meter = UsageMeter(engine, "zalo", settings, clock)
            opened.zalo = ZaloClient(settings.zalo_token, settings.zalo_base_url, meter=meter)
            opened.channels["zalo"] = ZaloChannel(opened.zalo)
        yield opened
    finally:
        if opened.zalo is not None:
            await opened.zalo.close()
        if opened.telegram is not None:
            await opened.telegram.shutdown()


async def tick_once(
    settings: Settings, engine: Engine, now: datetime, *, console_only: ConsoleChannel | None = None,
    worker: str | None = None,
) -> TickResult:  # fmt: skip
    """One tick at ``now`` through the channels :func:`open_channels` opens."""
    async with open_channels(settings, engine, lambda: now, console_only=console_only) as opened:
        return await tick(engine, opened.channels, now, settings=settings, worker=worker)


async def run(
    settings: Settings,
    engine: Engine,
    *,
    clock: Clock = clock,
    stop: asyncio.Event | None = None,
    ready: Callable[[Sequence[str]], None] = lambda _names: None,
) -> None:
    """The bot until ``stop`` is set (by SIGINT or SIGTERM when not given); ``ready`` is
    told the channels' names once everything runs. Disposes of ``engine`` at the end."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    try:
        async with open_channels(settings, engine, clock) as opened:
            receivers: list[Stopper] = []  # what stops each receiver started so far
            sender = Sender(engine, opened.channels, settings=settings, clock=clock)
            unwatch = sender.watch()
            periodic = PeriodicTick(engine, opened.channels, settings, clock=clock, sender=sender)
            sending: asyncio.Task[None] | None = None
            try:
                await _start_receivers(settings, engine, clock, opened, stop, receivers)
                periodic.start()
                ready(list(opened.channels))
                await periodic.run_once()  # do not wait a whole interval for the first tick
                await sender.drain_once()  # nor for its messages
                sending = asyncio.create_task(sender.run(stop))
                await stop.wait()
            finally:
                if sending is not None:
                    await _finish(sending)
                unwatch()
                await periodic.stop()
                for stop_receiver in reversed(receivers):
                    await stop_receiver()
    finally:
        for sig in signals:
            loop.remove_signal_handler(sig)
        engine.dispose()


async def _finish(sending: asyncio.Task[None], grace: float = 30.0) -> None:
    """The sender stops claiming once ``stop`` is set; its messages in flight get ``grace``
    seconds to end (a message cut short is sent again when its lease runs out)."""
    done, _ = await asyncio.wait({sending}, timeout=grace)
    if not done:
        sending.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sending
    elif not sending.cancelled() and sending.exception() is not None:
        log.error("the sender failed", exc_info=sending.exception())


async def _start_receivers(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    opened: OpenedChannels,
    stop: asyncio.Event,
    stoppers: list[Stopper],
) -> None:
    """Start receiving on every opened channel, adding to ``stoppers`` what stops each
    one as soon as it runs (so a later failure still stops the earlier ones)."""
    if opened.telegram is not None:
        stoppers.append(await _receive_telegram(settings, opened.telegram))
    if opened.zalo is not None:
        stoppers.append(await _receive_zalo(settings, engine, clock, opened.zalo, stop))


async def _receive_telegram(
    settings: Settings, application: Application[Any, Any, Any, Any, Any, Any]
) -> Stopper:
    """PTB inside our own loop: start the application, then its updater (webhook or polling)."""
    await application.start()
    updater = application.updater
    assert updater is not None
    if settings.telegram_webhook_url:
        path = urlparse(settings.telegram_webhook_url).path.strip("/") or "telegram"
        await updater.start_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                                    url_path=path, webhook_url=settings.telegram_webhook_url,
                                    secret_token=settings.telegram_webhook_secret)  # fmt: skip
    else:
        await updater.start_polling(drop_pending_updates=False)

    async def stop_telegram() -> None:
        await updater.stop()
        await application.stop()  # shut down when the channels close

    return stop_telegram


async def _receive_zalo(
    settings: Settings, engine: Engine, clock: Clock, client: ZaloClient, stop: asyncio.Event
) -> Stopper:
    """Zalo's webhook when its URL and secret are set, long polling otherwise."""
    from bot.channels.zalo import ZaloWebhook, poll

    if settings.zalo_webhook_url and settings.zalo_webhook_secret:
        hook = ZaloWebhook(client, engine=engine, settings=settings, clock=clock,
                           path=urlparse(settings.zalo_webhook_url).path or "/zalo")  # fmt: skip
        await hook.start(
            settings.webhook_listen, settings.zalo_webhook_port, settings.zalo_webhook_url
        )
        return hook.stop
    polling = asyncio.create_task(poll(client, engine=engine, settings=settings, clock=clock,
                                       stop=stop))  # fmt: skip

    async def stop_polling() -> None:
        await polling  # returns once ``stop`` is set and the current long poll ends

    return stop_polling
