"""The scheduler's lifecycle inside the bot's process: start with it, stop with it."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.channels import Channel
from bot.config import Settings
from bot.scheduler.runner import make_scheduler, tick

log = logging.getLogger(__name__)


class SchedulerService:
    """Runs ``tick`` every ``tick_seconds``. The clock is read here, at the edge, only."""

    def __init__(
        self,
        engine: Engine,
        channels: Mapping[str, Channel],
        settings: Settings,
        clock: Callable[[], datetime],
        worker: str = "dondoc",
    ) -> None:
        self.engine, self.channels, self.settings = engine, channels, settings
        self.clock, self.worker = clock, worker
        self.scheduler = make_scheduler(self.run_once, settings)

    async def run_once(self) -> None:
        try:
            result = await tick(self.engine, self.channels, self.clock(), settings=self.settings,
                                worker=self.worker)  # fmt: skip
        except Exception:  # one bad tick must not stop the next ones
            log.exception("tick failed")
            return
        if result.planned.messages or result.dispatched.sent:
            log.info("tick: %d planned, %d sent, %d to retry, %d failed",
                     len(result.planned.messages), result.dispatched.sent,
                     result.dispatched.retried, result.dispatched.failed)  # fmt: skip

    def start(self) -> None:
        """Needs a running event loop (APScheduler's AsyncIOScheduler)."""
        self.scheduler.start()

    async def stop(self) -> None:
        if self.scheduler.running:
            self.scheduler.shutdown(wait=False)
            await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn
