"""One tick: plan what is due, commit, then dispatch. ``bot.scheduler.periodic`` repeats it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine

from bot.channels import Channel
from bot.config import Settings
from bot.db import session_scope
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
