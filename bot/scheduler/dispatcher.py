"""Drain the outbox to the channels: claim rows, send them concurrently, classify errors.

Two ways to run it. :func:`dispatch` is one pass (``dondoc tick``, the tests): everything
due at ``now`` is sent once and the pass returns its :class:`DispatchResult`.
``bot.scheduler.relay.OutboxRelay`` is ``dondoc run``'s: a long-lived task that runs passes
continuously, woken when rows are added in this process and every ``poll_seconds``.

A pass sends up to ``in_flight`` rows at once, one row per chat at a time (a chat's
messages keep their order), under the channel's own limits (Telegram's shared limiter,
``bot.channels.limits``): it claims only rows it can send soon (a chat whose window is
full, or a channel paused by a 429, is left for later), in one conditional UPDATE for the
rows it has room for.

Leases hold: a row's lease runs from the clock at its claim; before each part the sender
makes sure at least half of it is left (renewing it, or stopping if the row was taken
over), the channel waits at most a quarter of it for a slot (``ChannelBusy`` otherwise:
the row keeps its place), and each recorded part renews it. Each process claims as its
own worker (:func:`worker_id`, ``host:pid``).

Several processes on PostgreSQL keep Telegram's limits together (``bot.scheduler.fleet``):
the continuous sender claims only the rows of the chats its process owns among the live
ones (``OutboxRelay.fleet``), none while another process has a message to that chat in flight,
and its limiter lets through the process's share of the bot's 30 messages a second.

The store (``bot.services.outbox``) claims the rows, records each part a channel accepted
and ends them; its docstring states what is guaranteed (each message sent once, except
the window of a crash between a part's sending and its commit). What happens to a chat
after an error (a migration followed, a chat gone deactivated, the admins told) is
``bot.services.chats``'s.

Each part is split to the channel's limit before the first send (the split is kept, so a
retry counts the same pieces); a piece the channel still finds too long is split smaller,
never sent again as it was. A channel whose server cannot be reached or fails
(``ChannelDown``: refused, timed out, 502) is left alone for ``retry_seconds``, then tried
again, its row keeping its place and its attempts: however long the outage, nothing is
given up and the outbox drains in order once it is back (one warning when it goes, one
info line when it is back). A part the channel accepted while the database is away is
recorded once the database is back, if that is within the lease. A channel that pauses (``ChannelPaused``: Zalo's quota,
Telegram's flood control) or stops (``ChannelStopped``: Zalo's token refused) is left alone
for the rest of the pass (the continuous sender: for its ``retry_after``, or a tick); the
row it was sending keeps its place and its attempts, no chat is touched, and the admins
are told (``chats.channel_stopped``, ``chats.channel_paused``). On a channel whose monthly
quota is spent (``bot.services.channel_usage``) the scheduled messages
(``outbox.SCHEDULED``) are held, looked at again hourly; messages between people go on. One
row that fails in a way nobody foresaw is put back with a backoff (failed after
``max_attempts``), the admins are told once, and the pass goes on with the other rows.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import Counter
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.channels import (
    Channel,
    ChannelBusy,
    ChannelDown,
    ChannelPaused,
    ChannelStopped,
    ChatMigrated,
    MessageRejected,
    PermanentError,
    TooLong,
    TransientError,
)
from bot.config import Settings
from bot.db import OUTAGE, session_scope, unreachable
from bot.domain.calendar import WorkCalendar
from bot.metrics import MESSAGES_FAILED, MESSAGES_RATE_LIMITED, MESSAGES_SENT
from bot.models import Chat, Outbox
from bot.render import split_message, split_smaller
from bot.services import channel_usage
from bot.services import outbox as store
from bot.services.chats import (
    channel_paused,
    channel_stopped,
    deactivate_chat,
    follow_migration,
    message_failed,
)

log = logging.getLogger(__name__)

_BACKOFF_BASE = 30.0  # seconds; doubles with each attempt (``dispatch.retry_seconds``)
_BACKOFF_MAX = 3600.0
_HOLD_SECONDS = 3600.0  # a message held for a spent quota is looked at again after this


Clock = Callable[[], datetime]
Sleep = Callable[[float], Awaitable[None]]
_SOON = 2.0  # seconds: a chat whose window opens later than this is left for later
_RECORD_RETRY = 0.5  # seconds between tries to record a sent part while the database is away


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0  # messages kept in the outbox because their channel's quota is spent
    deferred: int = 0  # messages put back, attempt and place kept: no slot soon enough
    paused: set[str] = field(default_factory=set)  # channels left alone for the rest of the pass
    # Until when each paused channel asked to be left alone, when it said so.
    paused_until: dict[str, datetime] = field(default_factory=dict)
    # Channels whose server could not be reached in the pass (``ChannelDown``), and why.
    down: dict[str, str] = field(default_factory=dict)


def backoff(attempts: int, retry_after: float | None = None, base: float = _BACKOFF_BASE) -> float:
    """Seconds to wait before the next attempt: ``base`` seconds, doubling with each
    attempt, an hour at most; the channel's ``retry_after`` wins if longer."""
    wait = min(base * 2.0 ** max(attempts - 1, 0), _BACKOFF_MAX)
    return max(wait, retry_after or 0.0)


def worker_id() -> str:
    """This process as a worker that claims outbox rows: ``host:pid``, unique among the
    processes sharing a database (``Outbox.claimed_by`` holds 64 characters)."""
    return f"{socket.gethostname()[:48]}:{os.getpid()}"


def _elapsed_from(now: datetime) -> Clock:
    """``now`` plus the time that passed since: the clock of a pass given its ``now``."""
    started = time.monotonic()
    return lambda: now + timedelta(seconds=time.monotonic() - started)


async def dispatch(
    engine: Engine,
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    worker: str,
    settings: Settings,
    cal: WorkCalendar,
    clock: Clock | None = None,
) -> DispatchResult:
    """One pass: every row due at ``now`` sent once (``in_flight`` at a time), stamped
    ``now`` (sent at, next attempt). Leases run on ``clock`` (by default ``now`` plus the
    time the pass has taken), so that they hold however long the pass is."""
    result = DispatchResult()
    if not cal.in_window(now) or not channels:
        return result
    run = Pass(engine, channels, worker=worker, settings=settings, cal=cal,
                clock=clock or _elapsed_from(now), now=now, result=result)  # fmt: skip
    await run.drain()
    return result


class Pass:
    """One pass over the outbox: claims what it can send soon, ``in_flight`` at a time."""

    def __init__(
        self, engine: Engine, channels: Mapping[str, Channel], *, worker: str,
        settings: Settings, cal: WorkCalendar, clock: Clock, now: datetime | None,
        result: DispatchResult, stop: asyncio.Event | None = None,
        chats: Callable[[], store.Buckets | None] = lambda: None,
    ) -> None:  # fmt: skip
        self.engine, self.channels, self.worker = engine, channels, worker
        self.chats = chats  # the chats this worker sends to (``None``: every one)
        self.settings, self.cal, self.clock, self.result = settings, cal, clock, result
        self.fixed_now, self.stop = now, stop
        self.lease = settings.dispatch.lease_seconds
        # A pass given its ``now`` takes each row once; a continuous one takes a row again
        # as soon as it is due again (a notice refused with 429, once the pause is over).
        self.tried: set[int] = set()
        self.held: dict[int, datetime] = {}  # chats whose window is full, until when
        self.busy: dict[asyncio.Task[None], store.DueRow] = {}  # the rows being sent
        # A pass given its ``now`` sends the rows that were there when it began; what it
        # adds itself (an alert to the admins) goes in the next one.
        self.upto = store.last_id(engine) if now is not None else None

    def now(self) -> datetime:
        """What events are stamped with, and what is due: the pass's ``now`` if it has one."""
        return self.fixed_now or self.clock()

    def capacity(self, name: str) -> int:
        """How many messages ``name`` may have in flight: ``in_flight`` for a channel that
        keeps its own rate limits (it has ``delay``: Telegram), one at a time for the
        others (Zalo's limits are not published, and its monthly quota is checked before
        each message)."""
        return self.settings.dispatch.in_flight if _keeps_limits(self.channels[name]) else 1

    async def drain(self) -> None:
        try:
            while True:
                # Claims in batches: a quarter of the room at a time, or whatever is free
                # when nothing is being sent (fewer statements than one claim per message).
                room = sum(self.capacity(name) for name in self.channels) - len(self.busy)
                batch = room >= max(1, self.settings.dispatch.in_flight // 4) or not self.busy
                if batch and not (self.stop is not None and self.stop.is_set()):
                    for row in self._claim_unless_away():
                        self.busy[asyncio.create_task(self._send(row))] = row
                if not self.busy:
                    return
                done, _ = await asyncio.wait(self.busy, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    del self.busy[task]
                    task.result()  # only what must stop the pass gets here (a crash)
        finally:
            for task in self.busy:  # the pass itself was stopped: the leases bring them back
                task.cancel()

    def _claim_unless_away(self) -> list[store.DueRow]:
        """:meth:`_claim`, or nothing while the database is away and messages are in
        flight: those finish first (a part the channel accepted is recorded once the
        database is back), rather than the pass ending and cutting them off."""
        try:
            return self._claim()
        except Exception as exc:
            if not self.busy or not OUTAGE.failed(exc, "claiming messages"):
                raise
            return []

    def _claim(self) -> list[store.DueRow]:
        """As many rows as the channels have room for, to chats not being sent to, that
        can go soon; claimed in one statement."""
        free = {
            name: self.capacity(name) for name in self.channels if name not in self.result.paused
        }
        for row in self.busy.values():
            if row.channel in free:
                free[row.channel] -= 1
        for name in list(free):
            if _delay(self.channels[name], None) > _SOON:  # paused after a 429: nothing now
                del free[name]
        open_channels = [name for name, room in free.items() if room > 0]
        buckets = self.chats()
        if not open_channels or (buckets is not None and not buckets.owned):
            return []
        moment, now_fixed = self.clock(), self.fixed_now is not None
        self.held = {chat: until for chat, until in self.held.items() if until > moment}
        busy = {row.chat_id for row in self.busy.values()} | set(self.held)
        wanted = sum(free[name] for name in open_channels)
        rows = store.due_rows(self.engine, open_channels, self.now(), wanted * 4 + 16,
                              skip_ids=self.tried if now_fixed else (), skip_chats=busy,
                              upto=self.upto, buckets=buckets)  # fmt: skip
        picked: list[store.DueRow] = []
        for row in rows:
            if row.chat_id in busy or free[row.channel] <= 0:
                continue
            delay = _delay(self.channels[row.channel], row.chat_key)
            if delay > _SOON:  # its window is full, or the channel paused after a 429
                self.held[row.chat_id] = moment + timedelta(seconds=delay)
                busy.add(row.chat_id)
                continue
            picked.append(row)
            busy.add(row.chat_id)
            free[row.channel] -= 1
        if not picked:
            return []
        self.tried.update(row.id for row in picked)
        taken = set(store.claim_many(self.engine, [row.id for row in picked], self.worker,
                                     self.clock(), self.lease))  # fmt: skip
        return [row for row in picked if row.id in taken]

    async def _send(self, row: store.DueRow) -> None:
        try:
            await _deliver(self, row.id)
        except Exception as exc:  # one bad row must not stop the others
            if OUTAGE.failed(exc, "sending"):
                return  # the row stays claimed: its lease brings it back, nothing lost
            log.exception("outbox %s failed", row.id)
            _set_aside(self.engine, row, self.now(), self.settings, exc, self.result)


def _keeps_limits(channel: Channel) -> bool:
    """Whether ``channel`` keeps its own rate limits and says how long a chat must wait
    (``delay``: Telegram's shared limiter)."""
    return callable(getattr(channel, "delay", None))


def _delay(channel: Channel, chat_key: str | None) -> float:
    """Seconds before ``channel`` could send to ``chat_key`` (``None``: to any chat; 0 for
    a channel that does not say: console, Zalo)."""
    delay = getattr(channel, "delay", None)
    return float(delay(chat_key)) if callable(delay) else 0.0


def _set_aside(
    engine: Engine, row: store.DueRow, now: datetime, settings: Settings, exc: Exception,
    result: DispatchResult,
) -> None:  # fmt: skip
    """A row that failed unexpectedly: back to pending with a backoff (failed once it has
    had its attempts), the admins told once about it. Never left in ``sending``."""
    outbox_id, reason = row.id, f"{exc.__class__.__name__}: {exc}"
    try:
        attempts = store.attempts(engine, outbox_id)
        failed = attempts >= settings.dispatch.max_attempts
        if failed:
            store.fail(engine, outbox_id, now, reason)
        else:
            store.retry(
                engine,
                outbox_id,
                now,
                backoff(attempts, base=settings.dispatch.retry_seconds),
                reason,
            )
        with session_scope(engine) as session:
            message_failed(session, outbox_id, reason, now)
    except Exception as exc:  # the database itself is failing: the lease brings the row back
        if not OUTAGE.failed(exc, "setting a message aside"):
            log.exception("outbox %s: cannot set it aside", outbox_id)
        return
    if failed:
        result.failed += 1
        _tell(outbox_id, row.channel, row.chat_key, "failed", "unexpected error", MESSAGES_FAILED)
    else:
        result.retried += 1
        _tell(
            outbox_id, row.channel, row.chat_key, "retry", f"unexpected error, attempt {attempts}"
        )


async def _deliver(run: Pass, outbox_id: int) -> None:
    engine, worker, settings, result = run.engine, run.worker, run.settings, run.result
    now = run.now()
    with Session(engine) as session:
        outbox = session.get(Outbox, outbox_id)
        assert outbox is not None
        chat = session.get(Chat, outbox.chat_id)
        assert chat is not None
        parts, first, chat_key = list(outbox.parts), outbox.sent_parts, chat.chat_key
        buttons = [[(str(b[0]), str(b[1])) for b in row] for row in outbox.buttons]
        attachment = outbox.attachment
        as_photo = bool(attachment and attachment.get("kind") == "chart")
        document = (
            _document(session, attachment, settings, run.cal, now)
            if attachment and not as_photo
            else None
        )
        channel = run.channels[chat.channel]
        # A farewell is the last message to a chat closed on purpose (its agency ended,
        # ``bot.services.agency_changes``): it goes out though the chat is no longer active.
        active = chat.active or outbox.kind == store.FAREWELL
        channel_name, chat_id = chat.channel, chat.id
        spent = outbox.kind in store.SCHEDULED and _quota_spent(
            session, channel_name, now, settings
        )
        lease_until = outbox.lease_until
        # Every line about this message names what it is (a reminder, a digest…) and its
        # key (the chat and the notices it carries), so an operator can follow it.
        tell = functools.partial(_tell, outbox_id, channel_name, chat_key, what=outbox.key)
    if spent:  # kept, its attempts untouched; looked at again in an hour (a raised quota)
        log.info("%s: monthly quota spent, a scheduled message is held", channel_name)
        store.release(engine, outbox_id, now, _HOLD_SECONDS, "hạn mức tháng của kênh đã hết")
        result.held += 1
        return
    if not active:
        store.fail(engine, outbox_id, now, "chat đã tạm ngưng")
        result.failed += 1
        tell("failed", "chat inactive", MESSAGES_FAILED)
        return
    if attachment and as_photo:  # drawn away from the event loop: the other sends go on
        document = await _chart(attachment)
    fitted = [piece for part in parts for piece in split_message([part], channel.limit)]
    if fitted != parts:  # re-cut for a smaller channel (Zalo): fill each message again
        fitted = split_message(parts, channel.limit)
    if fitted != parts and not store.replace_parts(engine, outbox_id, worker, parts, fitted):
        return  # the lease ran out and another dispatcher took over
    parts = fitted
    lease = timedelta(seconds=run.lease)
    finished = False
    try:
        # The document, if any, is one more part: sent once, after the text.
        index = first
        while index < len(parts) + (document is not None):
            # At least half the lease left before a part goes: the channel waits at most a
            # quarter of it for a slot, so the part is sent (or not) before the lease ends.
            moment = run.clock()
            if lease_until is None or moment > lease_until - lease / 2:
                if not store.renew(engine, outbox_id, worker, moment, run.lease):
                    log.warning(
                        "outbox %s: the lease ran out, another dispatcher has it", outbox_id
                    )
                    return
                lease_until = moment + lease
            if index == len(parts):
                assert document is not None
                send = channel.send_photo if as_photo else channel.send_document
                message_key = await send(chat_key, *document)
            else:
                last = index == len(parts) - 1
                try:
                    message_key = await channel.send(
                        chat_key, parts[index], buttons if last else None
                    )
                except TooLong:
                    smaller = split_smaller(parts[index])
                    if smaller is None:
                        raise
                    fitted = [*parts[:index], *smaller, *parts[index + 1 :]]
                    if not store.replace_parts(engine, outbox_id, worker, parts, fitted):
                        return
                    parts = fitted
                    continue
            lease_until = run.clock() + lease
            finished = index + 1 == len(parts) + (document is not None)
            # Stamped when it went (a continuous sender's clock; a pass's ``now``): the
            # next owner of the chat counts it in the chat's window (``fleet``).
            if not await _record(run, outbox_id, index + 1, message_key, run.now(),
                                 lease_until=lease_until, last=finished):  # fmt: skip
                return  # the lease ran out and another dispatcher took over
            index += 1
    except ChannelBusy as exc:  # no slot soon enough: the row waits its turn, attempt kept
        log.info("outbox %s: %s; it keeps its place", outbox_id, exc)
        store.release(engine, outbox_id, now, exc.retry_after or 0.0, str(exc))
        result.deferred += 1
    except ChannelDown as exc:  # its server, not this message: the row keeps its place
        store.release(engine, outbox_id, now, 0.0, str(exc))
        result.paused.add(channel_name)
        until = run.clock() + timedelta(seconds=settings.dispatch.retry_seconds)
        result.paused_until[channel_name] = max(until, result.paused_until.get(channel_name, until))
        result.down[channel_name] = str(exc)
        result.retried += 1
        # Said at DEBUG: the channel's going away and coming back are logged once each.
        tell("waiting", "channel unreachable, kept", level=logging.DEBUG)
    except ChannelPaused as exc:  # the channel, not this message: it keeps its place
        tell("rate_limited", "429, kept", MESSAGES_RATE_LIMITED)
        store.release(engine, outbox_id, now, exc.retry_after or 0.0, str(exc))
        if _keeps_limits(channel):  # its limiter holds every send for the pause (Telegram)
            log.warning("%s paused: %s", channel_name, exc)
        else:
            log.warning("%s paused for this pass: %s", channel_name, exc)
            result.paused.add(channel_name)
            with session_scope(engine) as session:  # a pause that lasts is not silent
                channel_paused(session, channel_name, str(exc), now)
        if exc.retry_after:
            until = run.clock() + timedelta(seconds=exc.retry_after)
            result.paused_until[channel_name] = max(
                until, result.paused_until.get(channel_name, until)
            )
        result.retried += 1
    except ChannelStopped as exc:  # no chat is at fault: the admins must fix the channel
        log.error("%s stopped: %s", channel_name, exc)
        store.release(engine, outbox_id, now, 0.0, f"{store.CHANNEL_STOPPED}{exc}")
        with session_scope(engine) as session:
            channel_stopped(session, channel_name, str(exc), now)
        result.paused.add(channel_name)
        result.retried += 1
    except ChatMigrated as moved:
        with session_scope(engine) as session:
            follow_migration(session, channel_name, chat_key, moved.new_chat_key, now)
        store.retry(engine, outbox_id, now, 0.0, str(moved))
        result.retried += 1
    except MessageRejected as exc:  # this message, not the chat: no retry, the chat stays
        _give_up(engine, outbox_id, now, str(exc))
        result.failed += 1
        tell("failed", "message rejected", MESSAGES_FAILED)
    except TransientError as exc:
        attempts = store.attempts(engine, outbox_id)
        if attempts >= settings.dispatch.max_attempts:
            _give_up(engine, outbox_id, now, str(exc))
            result.failed += 1
            tell("failed", "attempts spent", MESSAGES_FAILED)
        else:
            wait = backoff(attempts, exc.retry_after, base=settings.dispatch.retry_seconds)
            store.retry(engine, outbox_id, now, wait, str(exc))
            result.retried += 1
            tell("retry", f"attempt {attempts}")
    except PermanentError as exc:  # the chat is gone for the bot
        with session_scope(engine) as session:
            chat_row = session.get(Chat, chat_id)
            assert chat_row is not None
            deactivate_chat(session, chat_row, now, reason=str(exc))
        store.fail(engine, outbox_id, now, str(exc))
        result.failed += 1
        tell("failed", "chat gone", MESSAGES_FAILED)
    else:
        if not finished:  # nothing was left to send (the last part recorded ends the row)
            store.finish(engine, outbox_id, now)
        result.sent += 1
        tell("sent", counter=MESSAGES_SENT)


async def _record(
    run: Pass, outbox_id: int, sent_parts: int, message_key: str, now: datetime, *,
    lease_until: datetime, last: bool,
) -> bool:  # fmt: skip
    """``store.record_part`` for a part the channel accepted, tried again while the
    database is away (a restart takes seconds) until the lease ends: a part not recorded
    would be sent again once another dispatcher takes the row over. ``False`` when the
    row was taken over."""
    while True:
        try:
            recorded = store.record_part(run.engine, outbox_id, run.worker, sent_parts,
                                         message_key, now, lease_until=lease_until, last=last)  # fmt: skip
        except Exception as exc:
            if not unreachable(exc) or run.clock() >= lease_until:
                raise
            OUTAGE.failed(exc, "recording a sent message")
            await asyncio.sleep(_RECORD_RETRY)
        else:
            OUTAGE.answered()
            return recorded


def _tell(
    outbox_id: int, channel: str, chat_key: str, outcome: str, detail: str = "",
    counter: Counter | None = None, *, what: str = "", level: int = logging.INFO,
) -> None:  # fmt: skip
    """One log line for what became of one message (an operator follows a message by its
    id, chat and ``what``: its outbox key, "reminder:12:…", "digest:2025-W02:…"), and the
    counter ``/metrics`` shows for it."""
    if counter is not None:
        counter.labels(channel).inc()
    log.log(level, "outbox %s %s to %s %s: %s%s", outbox_id, what, channel, chat_key, outcome,
            f" ({detail})" if detail else "",
            extra={"outbox": outbox_id, "key": what, "channel": channel, "chat": chat_key,
                   "outcome": outcome})  # fmt: skip


def _quota_spent(session: Session, channel: str, now: datetime, settings: Settings) -> bool:
    """Whether ``channel``'s monthly quota is spent; if so the admins hear of it (once a
    month, whatever the number of passes)."""
    if channel_usage.quota(settings, channel) is None:
        return False
    counted = channel_usage.usage(session, channel, now, settings)
    if counted.spent:
        channel_usage.tell_admins(session, counted, "quota_spent", now)
        session.commit()
    return counted.spent


def _give_up(engine: Engine, outbox_id: int, now: datetime, error: str) -> None:
    """One message is failed for good; the admins are told, the chat stays."""
    store.fail(engine, outbox_id, now, error)
    with session_scope(engine) as session:
        message_failed(session, outbox_id, error, now)


async def _chart(attachment: dict[str, Any]) -> tuple[str, bytes] | None:
    """A digest's chart from the figures it carries, drawn in a worker process
    (``charts.draw_agency_bars``): tens of milliseconds of CPU each. None when it has
    nothing to draw (a digest queued before the planner stopped attaching such charts):
    the text goes alone."""
    from bot.reports.chart_kinds import drawable
    from bot.reports.charts import draw_agency_bars

    rows = [(str(name), dict(counts)) for name, counts in attachment["rows"]]
    if not drawable(rows):
        return None
    return str(attachment["filename"]), await draw_agency_bars(rows, str(attachment["title"]))


def _document(
    session: Session, attachment: dict[str, object], settings: Settings, cal: WorkCalendar,
    now: datetime,
) -> tuple[str, bytes] | None:  # fmt: skip
    if attachment.get("kind") == "apology":
        from bot.services.apology import letter_docx

        return letter_docx(session, int(str(attachment["id"])), settings.apology, cal)
    return None
