"""One tick: apply the agencies' changes that are due, plan what is due, commit, then
dispatch. ``bot.scheduler.periodic`` repeats it; in ``dondoc run`` it only plans, if its
process leads the planning (:func:`plan_if_leading`), and the continuous sender
(``bot.scheduler.relay.OutboxRelay``) of every process sends."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.channels import Channel
from bot.config import Settings
from bot.db import session_scope
from bot.domain.calendar import WorkCalendar
from bot.scheduler.dispatcher import DispatchResult, dispatch, worker_id
from bot.scheduler.leader import leads
from bot.scheduler.planner import PlanResult, plan
from bot.scheduler.planners.messages import isolated
from bot.services.agency_changes import AppliedChange, apply_due
from bot.services.calendar import load_calendar
from bot.services.retention import prune_daily


@dataclass
class TickResult:
    planned: PlanResult
    dispatched: DispatchResult
    changes: list[AppliedChange] = field(default_factory=list)


def apply_changes(session: Session, now: datetime, cal: WorkCalendar) -> list[AppliedChange]:
    """The agencies' changes whose day (Vietnam's calendar) has come, applied at any hour:
    the work must be with its new agency before the planners look at it. In a savepoint:
    if it fails, it is undone, the admins are told, and the planners run all the same."""
    today = cal.local(now).date()
    return isolated(session, now, "chuyển công việc của cơ quan đã thay đổi", list,
                    lambda: apply_due(session, today, now))  # fmt: skip


def plan_due(
    engine: Engine, now: datetime, *, settings: Settings
) -> tuple[PlanResult, list[AppliedChange], WorkCalendar]:
    """The agencies' changes applied and what is due at ``now`` planned, committed; then,
    once a day, what the retention lets go is pruned (``bot.services.retention``)."""
    with session_scope(engine) as session:
        result = _plan_in(session, now, settings)
    prune_daily(engine, now, settings)  # retention: once a day, after the plan is committed
    return result


def plan_if_leading(
    engine: Engine, now: datetime, *, settings: Settings, worker: str
) -> PlanResult | None:
    """:func:`plan_due` if ``worker`` leads the planning (``bot.scheduler.leader``: always
    on SQLite), in the transaction that holds the lock; ``None`` (nothing done) if another
    process leads. Blocking: ``dondoc run`` calls it in a worker thread."""
    with session_scope(engine) as session:
        if not leads(session, worker, now, settings.tick_seconds):
            return None
        planned, _changes, _cal = _plan_in(session, now, settings)
    prune_daily(engine, now, settings)  # by the leader only: one process prunes
    return planned


def _plan_in(
    session: Session, now: datetime, settings: Settings
) -> tuple[PlanResult, list[AppliedChange], WorkCalendar]:
    cal = load_calendar(session, settings.hours)
    changes = apply_changes(session, now, cal)
    planned = plan(session, now, settings=settings, cal=cal)
    return planned, changes, cal


async def tick(
    engine: Engine,
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    settings: Settings,
    worker: str | None = None,
) -> TickResult:
    """Plan what is due at ``now``, commit, then send it (as ``worker``, this process's
    :func:`worker_id` by default). Safe to run again at any time."""
    planned, changes, cal = plan_due(engine, now, settings=settings)
    dispatched = await dispatch(engine, channels, now, worker=worker or worker_id(),
                                settings=settings, cal=cal)  # fmt: skip
    return TickResult(planned, dispatched, changes)
