"""The periodic tick: one coalescing job, started and stopped with the bot's process; in
``dondoc run`` it plans in a worker thread, one tick at a time, and says once that the
database went away and once that it is back."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.db import OUTAGE
from bot.metrics import TICKS
from bot.models import TickRun
from bot.scheduler import periodic as periodic_module
from bot.scheduler.periodic import PeriodicTick, make_scheduler
from bot.scheduler.planner import PlanResult
from tests.province import at, build_province


async def test_the_periodic_tick_owns_one_coalescing_job(engine: Engine) -> None:
    province = build_province(engine)
    province.add_task("31/12/2024")
    channel = ConsoleChannel(quiet=True)
    periodic = PeriodicTick(engine, {"console": channel}, Settings(tick_seconds=30),
                            clock=lambda: at(date(2024, 12, 20)))  # fmt: skip
    periodic.start()
    [job] = periodic.scheduler.get_jobs()
    assert periodic.scheduler.running and job.coalesce and job.next_run_time is not None
    await periodic.run_once()  # what the job runs, at the clock it was given
    await periodic.run_once()
    assert len(channel.sent) == 1
    await periodic.stop()
    assert not periodic.scheduler.running


async def test_one_bad_tick_does_not_stop_the_next(engine: Engine) -> None:
    province = build_province(engine)
    province.add_task("31/12/2024")
    channel = ConsoleChannel(quiet=True)
    calls: list[datetime] = []

    def clock() -> datetime:  # fails once, as a tick whose database is away would
        calls.append(at(date(2024, 12, 20)))
        if len(calls) == 1:
            raise RuntimeError("database is away")
        return calls[-1]

    periodic = PeriodicTick(engine, {"console": channel}, Settings(tick_seconds=30), clock=clock)
    periodic.start()
    await periodic.run_once()  # logged, not raised
    assert channel.sent == [] and periodic.scheduler.get_job("tick") is not None
    await periodic.run_once()
    assert len(channel.sent) == 1
    await periodic.stop()


def test_the_tick_job_coalesces_and_never_overlaps() -> None:
    async def job() -> None:
        return None

    scheduler = make_scheduler(job, Settings(tick_seconds=60))
    [registered] = scheduler.get_jobs()
    assert registered.coalesce is True and registered.max_instances == 1
    assert registered.trigger.interval == timedelta(seconds=60)


class _Sender:
    """What the periodic tick of ``dondoc run`` needs of the sender: to be woken."""

    def __init__(self) -> None:
        self.woken = 0

    def wake(self) -> None:
        self.woken += 1


def _slow_plan(seconds: float, calls: list[str]) -> Callable[..., PlanResult | None]:
    def plan(_engine: Engine, _now: datetime, *, settings: Settings, worker: str) -> PlanResult:
        calls.append(worker)
        time.sleep(seconds)  # a long tick, blocking as the planner's SQL does
        return PlanResult()

    return plan


async def test_a_long_tick_leaves_the_event_loop_free(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    monkeypatch.setattr(periodic_module, "plan_if_leading", _slow_plan(0.5, calls))
    periodic = PeriodicTick(engine, {}, Settings(), clock=lambda: at(date(2024, 12, 20)),
                            worker="may:1", sender=_Sender())  # type: ignore[arg-type]  # fmt: skip
    turns = 0

    async def loop_turns() -> None:  # what answers officers and /healthz meanwhile
        nonlocal turns
        while True:
            await asyncio.sleep(0.01)
            turns += 1

    counting = asyncio.create_task(loop_turns())
    await periodic.run_once()
    counting.cancel()
    assert calls == ["may:1"]
    assert turns >= 10  # about 50 in 0.5 s; none if the tick held the loop


async def test_one_tick_at_a_time(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    monkeypatch.setattr(periodic_module, "plan_if_leading", _slow_plan(0.2, calls))
    sender = _Sender()
    periodic = PeriodicTick(engine, {}, Settings(), clock=lambda: at(date(2024, 12, 20)),
                            worker="may:1", sender=sender)  # type: ignore[arg-type]  # fmt: skip
    await asyncio.gather(periodic.run_once(), periodic.run_once())
    assert calls == ["may:1"] and sender.woken == 1
    await periodic.stop()  # waits for no tick: none runs


async def test_a_process_that_does_not_lead_sends_and_records_no_tick(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(periodic_module, "plan_if_leading", lambda *_a, **_k: None)
    sender = _Sender()
    periodic = PeriodicTick(engine, {}, Settings(), clock=lambda: at(date(2024, 12, 20)),
                            worker="may:2", sender=sender)  # type: ignore[arg-type]  # fmt: skip
    await periodic.run_once()
    assert sender.woken == 0 and periodic.leading is False
    assert TICKS.last_error == ""  # a tick that worked, for /healthz
    with Session(engine) as s:
        assert s.exec(select(TickRun)).all() == []


async def test_a_database_away_is_logged_once_and_its_return_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    away = True

    def plan(*_args: object, **_kwargs: object) -> PlanResult:
        if away:
            raise OperationalError("SELECT 1", {}, Exception("connection refused"))
        return PlanResult()

    monkeypatch.setattr(periodic_module, "plan_if_leading", plan)
    monkeypatch.setattr(OUTAGE, "since", None)
    periodic = PeriodicTick(engine, {}, Settings(), clock=lambda: at(date(2024, 12, 20)),
                            worker="may:1", sender=_Sender())  # type: ignore[arg-type]  # fmt: skip
    caplog.set_level(logging.INFO)
    for _ in range(3):
        await periodic.run_once()
    assert TICKS.last_error.startswith("OperationalError")
    away = False
    await periodic.run_once()
    await periodic.run_once()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.db"]
    assert len(lines) == 2 and "connection refused" in lines[0]
    assert lines[1] == "database reachable again"
    assert not [r for r in caplog.records if r.exc_info]  # no traceback
