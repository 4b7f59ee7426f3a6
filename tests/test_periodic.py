"""The periodic tick: one coalescing job, started and stopped with the bot's process."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.engine import Engine

from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.scheduler.periodic import PeriodicTick, make_scheduler
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
