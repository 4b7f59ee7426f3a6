"""The composition root: the running bot, assembled from ``Settings`` in this one module.

- :func:`clock` is the one place the bot reads the time; everything below it is given
  ``now`` or a ``clock`` to call.
- :func:`open_channels` opens the channels the settings configure: the console always,
  Telegram and Zalo when their tokens are set. Telegram, which must answer ``getMe``
  before it can be used, is left out with a warning when it cannot be reached now: its
  messages stay in the outbox. Zalo needs no such step (its client connects on the first
  request). Whether each is reached goes to ``links`` (``bot.metrics.Links``: /healthz,
  the ``dondoc_channel_connected`` gauge).
- :func:`tick_once` is one tick through those channels (``dondoc tick``, ``dondoc console``).
- :func:`run` is ``dondoc run``: the channels, then the receivers (Telegram polling or
  webhook, Zalo polling or webhook; on PostgreSQL one process at a time polls Telegram,
  ``bot.scheduler.poller``), then the periodic tick (it plans) and the sender
  (``bot.scheduler.relay.OutboxRelay``: it drains the outbox continuously, woken by every
  row added), until ``stop`` (SIGINT or SIGTERM); then the sender finishes the messages in
  flight, the periodic tick stops, the receivers stop in reverse order, the channels close
  and the engine is disposed. The process claims outbox rows as ``host:pid``. A Telegram
  that could not be reached at start is tried again in the background (:class:`Backoff`:
  5 seconds, doubling, at most 5 minutes apart) until it answers: then its channel joins
  the sender's and its receiver starts, as if it had been there from the start. While it
  runs, the bot's event loop beats a :class:`bot.metrics.Heartbeat` every second.

The database engine comes from the caller, migrated (``bot.cli.common.migrated_engine``,
which turns a database that cannot be opened into one Vietnamese line); ``run`` owns it
from then on and disposes of it when it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
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
from bot.logs import hide_secrets, keep_secret
from bot.metrics import HEARTBEAT, LINKS, Heartbeat, Links
from bot.scheduler.dispatcher import worker_id
from bot.scheduler.fleet import Fleet, Limiter
from bot.scheduler.periodic import PeriodicTick
from bot.scheduler.poller import PollingLock, PollingTurn
from bot.scheduler.relay import OutboxRelay
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


def clock_from(start: datetime) -> Clock:
    """A clock that reads ``start`` now and runs on from it at the real pace (``dondoc
    web --at``: the demo province's day, with links and sessions that still expire)."""
    offset = start - clock()
    return lambda: clock() + offset


@dataclass(frozen=True)
class Backoff:
    """How long to wait between attempts to reach a channel: ``first`` seconds, doubled
    after each failure, never more than ``cap`` seconds."""

    first: float = 5.0
    cap: float = 300.0

    def delays(self) -> Iterator[float]:
        """The waits, in seconds, before each attempt: endless."""
        wait = self.first
        while True:
            yield wait
            wait = min(self.cap, wait * 2)


@dataclass
class OpenedChannels:
    """The channels by name, and the clients their receivers need."""

    channels: dict[str, Channel] = field(default_factory=dict)
    telegram: Application[Any, Any, Any, Any, Any, Any] | None = None  # initialised, not started
    # Built but not initialised: Telegram did not answer ``getMe`` yet.
    telegram_waiting: Application[Any, Any, Any, Any, Any, Any] | None = None
    zalo: ZaloClient | None = None


@asynccontextmanager
async def open_channels(
    settings: Settings,
    engine: Engine,
    clock: Clock,
    *,
    console_only: ConsoleChannel | None = None,
    links: Links | None = None,
) -> AsyncIterator[OpenedChannels]:
    """A printing console, Telegram and Zalo; or ``console_only``, then nothing else (a
    person playing an officer on the terminal). Closed again on the way out. Telegram
    that does not answer now is left in ``telegram_waiting`` (:func:`connect_telegram`
    may reach it later); ``links`` hears whether each remote channel was reached."""
    links = links or Links()
    opened = OpenedChannels(channels={"console": console_only or ConsoleChannel()})
    remote = console_only is None
    keep_secret(settings.telegram_token, settings.zalo_token)  # before any request
    try:
        if remote and settings.telegram_token:
            from telegram.error import TelegramError

            from bot.channels.telegram import build_application

            reached = functools.partial(_reached, links, "telegram", clock)
            application = build_application(settings, engine=engine, clock=clock,
                                            reached=reached)  # fmt: skip
            try:
                await application.initialize()
            except TelegramError as exc:
                why = _without_token(exc)
                log.warning("Chưa kết nối được Telegram (%s); tin nhắn Telegram chờ trong hàng đợi.",
                            why)  # fmt: skip
                links.down("telegram", clock(), why)
                opened.telegram_waiting = application
            else:
                _add_telegram(opened, application, settings)
                links.up("telegram", clock())
        if remote and settings.zalo_token:
            from bot.channels.zalo import ZaloChannel, ZaloClient
            from bot.services.channel_usage import UsageMeter

            meter = UsageMeter(engine, "zalo", settings, clock)
            # Not reached until Zalo first answers (a poll or setWebhook, right at start).
            links.down("zalo", clock(), "Zalo chưa trả lời lần nào")
            reached = functools.partial(_reached, links, "zalo", clock)
            opened.zalo = ZaloClient(settings.zalo_token, settings.zalo_base_url, meter=meter,
                                     reached=reached)  # fmt: skip
            opened.channels["zalo"] = ZaloChannel(opened.zalo)
        yield opened
    finally:
        if opened.zalo is not None:
            await opened.zalo.close()
        if opened.telegram is not None:
            await opened.telegram.shutdown()
        if opened.telegram_waiting is not None:  # what the attempts opened (HTTP clients)
            await opened.telegram_waiting.shutdown()
            await opened.telegram_waiting.bot.shutdown()


def _add_telegram(
    opened: OpenedChannels, application: Application[Any, Any, Any, Any, Any, Any],
    settings: Settings,
) -> None:  # fmt: skip
    """An initialised Telegram among the opened channels."""
    from bot.channels.telegram import TelegramChannel

    opened.telegram, opened.telegram_waiting = application, None
    # The dispatcher's sends are queued notices: answers to people go first, and a
    # notice waits for its slot at most a quarter of its lease.
    opened.channels["telegram"] = TelegramChannel(
        application, queued=True, within=settings.dispatch.lease_seconds / 4
    )


def _reached(
    links: Links, channel: str, clock: Clock, ok: bool, why: str, stopped: bool = False
) -> None:
    """What a channel's client tells after a request, for ``links``."""
    if ok:
        links.up(channel, clock())
    else:
        links.down(channel, clock(), hide_secrets(why), stopped=stopped)


def _without_token(exc: Exception) -> str:
    """``exc`` as text, the bot's token blanked (PTB's ``InvalidToken`` names it, and the
    text goes to /healthz as well as to the log)."""
    return hide_secrets(str(exc) or exc.__class__.__name__)


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
    links: Links = LINKS,
    heartbeat: Heartbeat = HEARTBEAT,
    reconnect: Backoff = Backoff(),
) -> None:
    """The bot until ``stop`` is set (by SIGINT or SIGTERM when not given); ``ready`` is
    told the channels' names once everything runs (a Telegram still out of reach is not
    among them). ``links`` hears whether each remote channel is reached; ``heartbeat``
    beats every second while the loop turns; a Telegram out of reach at start is tried
    again after each of ``reconnect``'s waits. Disposes of ``engine`` at the end."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGINT, signal.SIGTERM)
    for sig in signals:
        loop.add_signal_handler(sig, stop.set)
    beating = asyncio.create_task(_beat(heartbeat, stop), name="heartbeat")
    try:
        async with open_channels(settings, engine, clock, links=links) as opened:
            receivers: list[Stopper] = []  # what stops each receiver started so far
            fleet = Fleet(engine, worker_id(), per_second=settings.limits.per_second,
                          heartbeat_seconds=settings.dispatch.heartbeat_seconds,
                          limiters=lambda: _limiters(opened))  # fmt: skip
            sender = OutboxRelay(engine, opened.channels, settings=settings, clock=clock,
                            worker=fleet.worker, fleet=fleet)  # fmt: skip
            unwatch = sender.watch()
            beating_fleet = asyncio.create_task(fleet.run(), name="fleet heartbeat")
            periodic = PeriodicTick(engine, opened.channels, settings, clock=clock, sender=sender)
            sending: asyncio.Task[None] | None = None
            connecting: asyncio.Task[None] | None = None
            try:
                await _start_receivers(settings, engine, clock, opened, stop, receivers, links)
                if opened.telegram_waiting is not None:
                    connecting = asyncio.create_task(
                        connect_telegram(settings, opened, receivers, engine=engine, links=links,
                                         clock=clock, stop=stop, backoff=reconnect,
                                         connected=sender.wake),
                        name="telegram connect",
                    )  # fmt: skip
                periodic.start()
                ready(list(opened.channels))
                await periodic.run_once()  # do not wait a whole interval for the first tick
                await sender.drain_once()  # nor for its messages
                sending = asyncio.create_task(sender.run(stop))
                await stop.wait()
            finally:
                if connecting is not None:
                    await _cancel(connecting)
                if sending is not None:
                    await _finish(sending)
                await _cancel(beating_fleet)  # beating until its last message is sent
                await fleet.leave()
                unwatch()
                await periodic.stop()
                for stop_receiver in reversed(receivers):
                    await stop_receiver()
    finally:
        await _cancel(beating)
        heartbeat.stop()
        for sig in signals:
            loop.remove_signal_handler(sig)
        engine.dispose()


def _limiters(opened: OpenedChannels) -> list[Limiter]:
    """The rate limiters of the channels open now (Telegram's, once it is connected)."""
    found: list[Limiter] = []
    for channel in opened.channels.values():
        limiter = getattr(channel, "limiter", None)
        if limiter is not None and callable(getattr(limiter, "share", None)):
            found.append(limiter)
    return found


async def connect_telegram(
    settings: Settings, opened: OpenedChannels, receivers: list[Stopper], *, engine: Engine,
    links: Links, clock: Clock, stop: asyncio.Event, backoff: Backoff = Backoff(),
    connected: Callable[[], None] = lambda: None,
) -> None:  # fmt: skip
    """Tries ``opened.telegram_waiting`` again after each of ``backoff``'s waits until it
    answers ``getMe`` and its receiver (polling or webhook) starts, or ``stop`` is set.
    Then Telegram is among ``opened.channels`` (the sender's: ``connected`` is called so
    that it sends what waited at once), its receiver's stopper among ``receivers``, and
    ``links`` says it is connected. Each failure is logged and told to ``links``."""
    from telegram.error import TelegramError

    application = opened.telegram_waiting
    assert application is not None
    for attempt, wait in enumerate(backoff.delays(), start=1):
        log.info("Thử kết nối lại Telegram sau %g giây (lần %d).", wait, attempt)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), wait)
        if stop.is_set():
            return
        try:
            await application.initialize()
            stopper = await _receive_telegram(settings, application, engine)
        except (TelegramError, OSError) as exc:  # OSError: a webhook port that cannot be had
            why = _without_token(exc)
            log.warning("Vẫn chưa kết nối được Telegram (%s).", why)
            links.down("telegram", clock(), why)
            continue
        receivers.append(stopper)
        _add_telegram(opened, application, settings)
        links.up("telegram", clock())
        log.warning("Đã kết nối được Telegram sau %d lần thử lại; tin nhắn chờ được gửi đi.",
                    attempt)  # fmt: skip
        connected()
        return


async def _beat(heartbeat: Heartbeat, stop: asyncio.Event, every: float = 1.0) -> None:
    """``heartbeat`` beats every ``every`` seconds while the loop turns, until ``stop``."""
    while not stop.is_set():
        heartbeat.beat()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), every)


async def _cancel(task: asyncio.Task[None]) -> None:
    """``task`` cancelled and waited for; an error it had ended with is logged."""
    task.cancel()
    try:
        await task
    except asyncio.CancelledError:
        pass
    except Exception:
        log.exception("%s failed", task.get_name())


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
    links: Links,
) -> None:
    """Start receiving on every opened channel, adding to ``stoppers`` what stops each
    one as soon as it runs (so a later failure still stops the earlier ones). A Telegram
    that fails to start its receiver (it answered ``getMe``, then not) goes back to
    ``telegram_waiting``, told to ``links``, for :func:`connect_telegram`."""
    from telegram.error import TelegramError

    if opened.telegram is not None:
        try:
            stoppers.append(await _receive_telegram(settings, opened.telegram, engine))
        except TelegramError as exc:
            why = _without_token(exc)
            log.warning("Chưa nhận được tin nhắn từ Telegram (%s); dondoc sẽ thử lại.", why)
            links.down("telegram", clock(), why)
            opened.telegram_waiting, opened.telegram = opened.telegram, None
            del opened.channels["telegram"]
    if opened.zalo is not None:
        stoppers.append(await _receive_zalo(settings, engine, clock, opened.zalo, stop))


async def _receive_telegram(
    settings: Settings, application: Application[Any, Any, Any, Any, Any, Any], engine: Engine
) -> Stopper:
    """PTB inside our own loop: start the application, then its updater (webhook or
    polling). On PostgreSQL, polling is this process's only while it holds the polling
    lock (``bot.scheduler.poller``): it is tried now and then at every fleet heartbeat.
    If that fails or is cancelled, what started is stopped again."""
    from bot.channels.telegram_inbox import InboxProcessor

    updater = application.updater
    assert updater is not None
    turn: PollingTurn | None = None
    recovering: asyncio.Task[None] | None = None
    try:
        await application.start()
        if isinstance(application.update_processor, InboxProcessor):  # stopped before?
            application.update_processor.resume()
        recovering = await _recover_updates(application, engine)
        if settings.telegram_webhook_url:
            path = urlparse(settings.telegram_webhook_url).path.strip("/") or "telegram"
            await updater.start_webhook(listen=settings.webhook_listen, port=settings.webhook_port,
                                        url_path=path, webhook_url=settings.telegram_webhook_url,
                                        secret_token=settings.telegram_webhook_secret)  # fmt: skip
        elif engine.dialect.name == "postgresql":
            turn = PollingTurn(PollingLock(engine), functools.partial(_poll, application),
                               updater.stop, settings.dispatch.heartbeat_seconds)  # fmt: skip
            await turn.step(raise_errors=True)
            turn.run()
        else:
            await _poll(application)
    except BaseException:
        await _stop_telegram(application, turn, recovering)
        raise
    return functools.partial(_stop_telegram, application, turn, recovering)


async def _recover_updates(
    application: Application[Any, Any, Any, Any, Any, Any], engine: Engine
) -> asyncio.Task[None] | None:
    """The updates a stopped process kept but did not handle (``bot.services.inbox``),
    queued now and looked for again every ``RECOVER_EVERY`` seconds. On SQLite, where one
    process runs per database file, every claim left is a dead process's and ends now."""
    from bot.channels.telegram_inbox import CHANNEL, InboxQueue
    from bot.services import inbox

    queue = application.update_queue
    if not isinstance(queue, InboxQueue):
        return None
    if engine.dialect.name != "postgresql":
        await asyncio.to_thread(inbox.release_all, engine, CHANNEL)
    await queue.recover(application.bot, older_than=0.0)
    return asyncio.create_task(queue.keep_recovering(application.bot), name="telegram inbox")


async def _poll(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """PTB's long polling, its failures logged once per outage (``PollingErrors``)."""
    from bot.channels.telegram import polling_errors

    assert application.updater is not None
    await application.updater.start_polling(
        drop_pending_updates=False, error_callback=polling_errors(application).failed
    )


async def _stop_telegram(
    application: Application[Any, Any, Any, Any, Any, Any], turn: PollingTurn | None = None,
    recovering: asyncio.Task[None] | None = None,
) -> None:  # fmt: skip
    """The inbox's look for leftovers, the polling turn (polling stopped, its lock
    released), the updater, then the application, whichever runs (shut down when the
    channels close)."""
    from bot.channels.telegram_inbox import InboxProcessor

    if recovering is not None:
        recovering.cancel()
    if isinstance(application.update_processor, InboxProcessor):
        application.update_processor.leave_the_rest()
    if turn is not None:
        await turn.close()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()


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
