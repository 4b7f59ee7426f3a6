"""The continuous sender of ``dondoc run``: passes of the dispatcher
(``bot.scheduler.dispatcher``) one after another, woken when rows are added in this process
(an INSERT into the outbox that commits, whatever thread wrote it) and every
``dispatch.poll_seconds`` (rows other processes added, retries that came due). A channel
that paused or went down is left alone for its ``retry_after`` or ``retry_seconds``; that
it went and that it came back are logged once each."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.channels import Channel
from bot.config import Settings
from bot.db import OUTAGE
from bot.domain.calendar import WorkCalendar
from bot.scheduler.dispatcher import Clock, DispatchResult, Pass, Sleep, worker_id
from bot.scheduler.fleet import BUCKETS, Fleet
from bot.services import outbox as store
from bot.services.calendar import load_calendar

log = logging.getLogger(__name__)

_OUTBOX_INSERT = re.compile(r"\s*INSERT\s+INTO\s+\"?outbox\"?[\s(]", re.IGNORECASE)


class OutboxRelay:
    """``dondoc run``'s dispatcher: drains the outbox continuously through ``channels``
    (the transactional outbox's message relay), one :class:`~bot.scheduler.dispatcher.Pass`
    after another.

    :meth:`wake` starts a pass at once (:meth:`watch` calls it whenever an INSERT into the
    outbox commits on ``engine``); otherwise a pass runs every ``poll_seconds``. A channel
    that paused is left alone for its ``retry_after`` (a tick's length if it did not say).
    ``clock`` gives the time of day (leases, stamps); ``sleep`` waits between passes.
    """

    def __init__(
        self, engine: Engine, channels: Mapping[str, Channel], *, settings: Settings,
        clock: Clock, worker: str | None = None, sleep: Sleep = asyncio.sleep,
        fleet: Fleet | None = None,
    ) -> None:  # fmt: skip
        self.engine, self.channels, self.settings = engine, channels, settings
        self.clock, self.sleep = clock, sleep
        self.worker = worker or worker_id()
        self.fleet = fleet
        self.paused: dict[str, datetime] = {}  # channel → until when
        self.totals = DispatchResult()
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._cal: tuple[datetime, WorkCalendar] | None = None
        self.down: dict[str, str] = {}  # channels that could not be reached, and why

    def wake(self) -> None:
        """Rows were added: start a pass now (from any thread)."""
        if self._loop is not None and self._loop.is_running():
            self._loop.call_soon_threadsafe(self._wake.set)
        else:
            self._wake.set()

    def watch(self) -> Callable[[], None]:
        """Wake whenever a transaction that inserted into the outbox commits on the
        engine, whatever wrote it (the tick's planner, a chat service), in any thread.
        Returns what stops watching."""
        inserted = "dondoc_outbox_inserted"
        with contextlib.suppress(RuntimeError):  # the loop to wake from the tick's thread
            self._loop = asyncio.get_running_loop()

        def executed(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            if _OUTBOX_INSERT.match(statement):
                conn.info[inserted] = True

        def committed(conn: Any) -> None:
            if conn.info.pop(inserted, False):
                self.wake()

        def rolled_back(conn: Any) -> None:
            # A connection the database dropped (a restart) has no info to clear: reading
            # it would raise inside SQLAlchemy's rollback and turn the rollback that
            # recovers from the outage into an error of its own.
            if not conn.invalidated:
                conn.info.pop(inserted, None)

        hooks = (("after_cursor_execute", executed), ("commit", committed),
                 ("rollback", rolled_back))  # fmt: skip
        for name, hook in hooks:
            event.listen(self.engine, name, hook)

        def unwatch() -> None:
            for name, hook in hooks:
                event.remove(self.engine, name, hook)

        return unwatch

    async def drain_once(self, stop: asyncio.Event | None = None) -> DispatchResult:
        """One pass over what is due now (within office hours); claims nothing more once
        ``stop`` is set."""
        self._loop = asyncio.get_running_loop()
        now = self.clock()
        result = DispatchResult()
        if not self._calendar(now).in_window(now):
            return result
        channels = {name: channel for name, channel in self.channels.items()
                    if self.paused.get(name, now) <= now}  # fmt: skip
        if channels:
            run = Pass(self.engine, channels, worker=self.worker, settings=self.settings,
                        cal=self._calendar(now), clock=self.clock, now=None, result=result,
                        stop=stop, chats=self._chats)  # fmt: skip
            await run.drain()
        later = self.clock() + timedelta(seconds=self.settings.tick_seconds)
        for name in result.paused:
            self.paused[name] = result.paused_until.get(name, later)
        self._say_down(channels, result)
        if result.sent or result.failed:  # one line a pass, whoever started it
            log.info("sent %d, %d to retry, %d failed", result.sent, result.retried, result.failed)
        for name in ("sent", "retried", "failed", "held", "deferred"):
            setattr(self.totals, name, getattr(self.totals, name) + getattr(result, name))
        return result

    async def run(self, stop: asyncio.Event) -> None:
        """Passes until ``stop`` is set; the sends in flight then end, nothing new starts."""
        self._loop = asyncio.get_running_loop()
        while not stop.is_set():
            self._wake.clear()
            try:
                await self.drain_once(stop)
            except Exception as exc:  # the database is away: try again at the next poll
                if not OUTAGE.failed(exc, "sending"):
                    log.exception("dispatch pass failed")
            else:
                OUTAGE.answered()
            await self._idle(stop)

    async def _idle(self, stop: asyncio.Event) -> None:
        """Until woken, stopped or ``poll_seconds`` have passed."""
        waits = [asyncio.ensure_future(self._wake.wait()), asyncio.ensure_future(stop.wait()),
                 asyncio.ensure_future(self.sleep(self.settings.dispatch.poll_seconds))]  # fmt: skip
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()

    def _chats(self) -> store.Buckets | None:
        """The chats this worker sends to: its fleet's buckets (several processes on
        PostgreSQL), or every chat."""
        owned = None if self.fleet is None else self.fleet.chats()
        return None if owned is None else store.Buckets(owned, BUCKETS)

    def _say_down(self, tried: Mapping[str, Channel], result: DispatchResult) -> None:
        """One warning when a channel's server cannot be reached, one info line once it
        takes a message again; the retries in between are not logged one by one."""
        for name, reason in result.down.items():
            if name not in self.down:
                log.warning("%s unreachable (%s); its messages wait, tried again every %g s",
                            name, reason, self.settings.dispatch.retry_seconds)  # fmt: skip
            self.down[name] = reason
        if result.sent:
            for name in [n for n in self.down if n in tried and n not in result.down]:
                log.info("%s reachable again; its messages go out in order", name)
                del self.down[name]

    def _calendar(self, now: datetime) -> WorkCalendar:
        """The working calendar, read again once a tick (the admins may change it)."""
        if self._cal is None or now - self._cal[0] > timedelta(seconds=self.settings.tick_seconds):
            with Session(self.engine) as session:
                self._cal = (now, load_calendar(session, self.settings.hours))
        return self._cal[1]
