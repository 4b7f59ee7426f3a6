"""One tick (plan, then dispatch) and the APScheduler job that runs it every minute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.engine import Engine

from bot.channels import Channel
from bot.config import Settings
from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.scheduler.dispatcher import DispatchResult, dispatch
from bot.scheduler.planner import PlanResult, plan
from bot.services.calendar import load_calendar


@dataclass
class TickResult:
    planned: PlanResult
    dispatched: DispatchResult


async def tick(
    engine: Engine,
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    settings: Settings,
    worker: str = "dondoc",
) -> TickResult:
    """Plan what is due at ``now``, commit, then send it. Safe to run again at any time."""
    with session_scope(engine) as session:
        cal = load_calendar(session, settings.hours)
        planned = plan(session, now, settings=settings, cal=cal)
    dispatched = await dispatch(engine, channels, now, worker=worker, settings=settings, cal=cal)
    return TickResult(planned, dispatched)


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
