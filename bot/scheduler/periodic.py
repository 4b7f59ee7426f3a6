"""The periodic tick: ``tick`` every ``tick_seconds``, inside the bot's event loop. With a
continuous sender (``dondoc run``) the tick only plans, in a worker thread so that the
loop goes on answering and sending meanwhile, and wakes the sender; with several
processes on PostgreSQL, only the one that leads plans (``bot.scheduler.leader``), the
others skip the tick quietly and only send.

APScheduler's ``AsyncIOScheduler`` runs the job: missed runs coalesce into one and a run
never overlaps the previous one. A tick that fails is logged and the next one runs as
planned. The clock is not read here: the composition root (``bot.app``) passes it in.
Each tick is recorded (when, how long, why it failed) for ``/healthz``, ``/metrics`` and,
in the database, ``dondoc health``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.channels import Channel
from bot.config import Settings
from bot.db import OUTAGE, session_scope
from bot.domain.calendar import VIETNAM
from bot.metrics import TICKS
from bot.scheduler.dispatcher import worker_id
from bot.scheduler.relay import OutboxRelay
from bot.scheduler.runner import plan_if_leading, tick
from bot.services.ticks import record_tick

log = logging.getLogger(__name__)


def make_scheduler(job: Callable[[], Awaitable[object]], settings: Settings) -> AsyncIOScheduler:
    """The tick job. Missed runs coalesce into one; a run never overlaps the previous one."""
    scheduler = AsyncIOScheduler(timezone=VIETNAM)
    scheduler.add_job(
        job,
        IntervalTrigger(seconds=settings.tick_seconds),
        id="tick",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=settings.tick_seconds,
        replace_existing=True,
    )
    return scheduler


class PeriodicTick:
    """Runs ``tick`` at ``clock()`` every ``settings.tick_seconds`` once started; with a
    ``sender``, plans only and wakes the sender (which sends continuously)."""

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        settings: Settings,
        clock: Callable[[], datetime],
        worker: str | None = None,
        sender: OutboxRelay | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.engine, self.channels, self.settings = engine, channels, settings
        self.clock, self.worker, self.sender = clock, worker, sender
        self.timer = timer  # measures a tick's duration (seconds, any origin)
        self.scheduler = make_scheduler(self.run_once, settings)
        self.leading: bool | None = None  # whether this process planned the last tick
        self._idle = asyncio.Event()  # set while no tick runs
        self._idle.set()

    async def run_once(self) -> None:
        """One tick now; an error is logged, never raised (the next tick runs anyway).
        Its start, duration and outcome go to ``/healthz`` and ``/metrics``
        (``bot.metrics.TICKS``) and to the database, for ``dondoc health``. One tick at a
        time: a call while one runs (the first tick at start overlapping the job's first
        run) does nothing."""
        if not self._idle.is_set():
            log.info("tick: the previous one is still running; this one is skipped")
            return
        self._idle.clear()
        try:
            await self._run_once()
        finally:
            self._idle.set()

    async def _run_once(self) -> None:
        began = self.timer()
        try:
            started = self.clock()
        except Exception:  # one bad tick must not stop the next ones
            log.exception("tick failed")
            return
        TICKS.begin(started)
        error, recorded = await self._tick(started)
        seconds = self.timer() - began
        TICKS.end(started, seconds, error)
        if not recorded:
            return
        try:
            await asyncio.to_thread(self._record, started, seconds, error)
        except Exception as exc:  # the database is away: the tick said so already, or will
            if not OUTAGE.failed(exc, "recording the tick"):
                log.warning("tick: cannot record it", exc_info=True)

    def _record(self, started: datetime, seconds: float, error: str) -> None:
        with session_scope(self.engine) as session:
            record_tick(session, worker=self._worker, started_at=started, seconds=seconds,
                        error=error)  # fmt: skip

    async def _tick(self, now: datetime) -> tuple[str, bool]:
        """The tick's work at ``now``: why it failed ("" when it worked), and whether to
        record it in the database. Only the leader's ticks are recorded there
        (``bot.scheduler.leader`` reads who leads from them); a tick that could not reach
        the database cannot be recorded in it either."""
        if self.sender is not None:
            try:
                # In a worker thread: a long tick must not hold up the event loop, which
                # answers officers, sends, and serves /healthz meanwhile.
                planned = await asyncio.to_thread(plan_if_leading, self.engine, now,
                                                  settings=self.settings, worker=self._worker)  # fmt: skip
            except Exception as exc:  # one bad tick must not stop the next ones
                away = OUTAGE.failed(exc, "planning")
                if not away:
                    log.exception("tick failed")
                return f"{exc.__class__.__name__}: {exc}", not away
            OUTAGE.answered()
            self._lead(planned is not None)
            if planned is None:
                return "", False
            self.sender.wake()
            if planned.messages:
                log.info("tick: %d planned", len(planned.messages))
            return "", True
        try:
            result = await tick(self.engine, self.channels, now, settings=self.settings,
                                worker=self.worker)  # fmt: skip
        except Exception as exc:  # one bad tick must not stop the next ones
            log.exception("tick failed")
            return f"{exc.__class__.__name__}: {exc}", True
        if result.planned.messages or result.dispatched.sent:
            log.info("tick: %d planned, %d sent, %d to retry, %d failed",
                     len(result.planned.messages), result.dispatched.sent,
                     result.dispatched.retried, result.dispatched.failed)  # fmt: skip
        return "", True

    def _lead(self, leading: bool) -> None:
        """Says when this process starts or stops planning (several processes on PostgreSQL)."""
        if leading != self.leading:
            if leading:
                log.info("tick: this process plans the ticks (%s)", self._worker)
            elif self.leading is not None:
                log.info("tick: another process plans the ticks now; this one sends")
            self.leading = leading

    @property
    def _worker(self) -> str:
        return self.worker or worker_id()

    def start(self) -> None:
        """Needs a running event loop (APScheduler's AsyncIOScheduler)."""
        self.scheduler.start()

    async def stop(self, grace: float = 30.0) -> None:
        """No tick starts any more; the one running gets ``grace`` seconds to end (its
        worker thread cannot be cut short: its transaction commits or rolls back whole)."""
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
        try:
            await asyncio.wait_for(self._idle.wait(), grace)
        except TimeoutError:
            log.warning("tick: still running after %.0f s; stopping without it", grace)
