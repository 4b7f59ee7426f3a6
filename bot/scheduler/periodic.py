"""The periodic tick: ``tick`` every ``tick_seconds``, inside the bot's event loop. With a
continuous sender (``dondoc run``) the tick only plans and wakes it.

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
from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.metrics import TICKS
from bot.scheduler.dispatcher import Sender, worker_id
from bot.scheduler.runner import plan_due, tick
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
        sender: Sender | None = None,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.engine, self.channels, self.settings = engine, channels, settings
        self.clock, self.worker, self.sender = clock, worker, sender
        self.timer = timer  # measures a tick's duration (seconds, any origin)
        self.scheduler = make_scheduler(self.run_once, settings)

    async def run_once(self) -> None:
        """One tick now; an error is logged, never raised (the next tick runs anyway).
        Its start, duration and outcome go to ``/healthz`` and ``/metrics``
        (``bot.metrics.TICKS``) and to the database, for ``dondoc health``."""
        began = self.timer()
        try:
            started = self.clock()
        except Exception:  # one bad tick must not stop the next ones
            log.exception("tick failed")
            return
        TICKS.begin(started)
        error = await self._tick(started)
        seconds = self.timer() - began
        TICKS.end(started, seconds, error)
        try:
            with session_scope(self.engine) as session:
                record_tick(session, worker=self.worker or worker_id(), started_at=started,
                            seconds=seconds, error=error)  # fmt: skip
        except Exception:  # the database is away: the tick said so already, or will
            log.warning("tick: cannot record it", exc_info=True)

    async def _tick(self, now: datetime) -> str:
        """The tick's work at ``now``: why it failed, or "" when it worked."""
        if self.sender is not None:
            try:
                planned, _changes, _cal = plan_due(self.engine, now, settings=self.settings)
            except Exception as exc:  # one bad tick must not stop the next ones
                log.exception("tick failed")
                return f"{exc.__class__.__name__}: {exc}"
            self.sender.wake()
            if planned.messages:
                log.info("tick: %d planned", len(planned.messages))
            return ""
        try:
            result = await tick(self.engine, self.channels, now, settings=self.settings,
                                worker=self.worker)  # fmt: skip
        except Exception as exc:  # one bad tick must not stop the next ones
            log.exception("tick failed")
            return f"{exc.__class__.__name__}: {exc}"
        if result.planned.messages or result.dispatched.sent:
            log.info("tick: %d planned, %d sent, %d to retry, %d failed",
                     len(result.planned.messages), result.dispatched.sent,
                     result.dispatched.retried, result.dispatched.failed)  # fmt: skip
        return ""

    def start(self) -> None:
        """Needs a running event loop (APScheduler's AsyncIOScheduler)."""
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
