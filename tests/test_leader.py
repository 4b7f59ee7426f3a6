"""One planner at a time among several ``dondoc run`` processes on one PostgreSQL
(``bot.scheduler.leader``): the advisory lock while a tick plans, the leader kept between
ticks, taken over once it is gone; on SQLite the one process always plans."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import session_scope
from bot.models import TickRun
from bot.scheduler.leader import TAKEOVER_TICKS, leads

NOW = datetime(2024, 12, 20, 1, 0, tzinfo=UTC)
TICK = 60  # seconds


def lead(engine: Engine, worker: str, now: datetime = NOW) -> bool:
    with session_scope(engine) as session:
        return leads(session, worker, now, TICK)


def planners(engine: Engine) -> dict[str, datetime]:
    with Session(engine) as s:
        return {t.worker: t.started_at for t in s.exec(select(TickRun)).all()}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_while_one_process_plans_another_skips_the_tick(engine: Engine) -> None:
    with session_scope(engine) as planning:
        assert leads(planning, "may-a:1", NOW, TICK)
        assert not lead(engine, "may-b:2")  # the lock is held: B does not wait for it
    assert planners(engine) == {"may-a:1": NOW}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_the_leader_keeps_the_planning_until_it_misses_two_intervals(engine: Engine) -> None:
    assert lead(engine, "may-a:1")
    later = NOW + timedelta(seconds=TICK)
    assert not lead(engine, "may-b:2", later)  # A planned a minute ago: it leads
    assert lead(engine, "may-a:1", later)
    # A's last tick started at ``later`` and took 0 s; B takes over just past two intervals.
    edge = later + timedelta(seconds=TAKEOVER_TICKS * TICK)
    assert not lead(engine, "may-b:2", edge)
    assert lead(engine, "may-b:2", edge + timedelta(seconds=1))
    assert not lead(engine, "may-a:1", edge + timedelta(seconds=2))  # A is back: B leads now
    assert set(planners(engine)) == {"may-a:1", "may-b:2"}


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_long_tick_counts_from_its_end(engine: Engine) -> None:
    assert lead(engine, "may-a:1")
    with session_scope(engine) as s:  # A's tick took five intervals
        tick = s.get(TickRun, "may-a:1")
        assert tick is not None
        tick.seconds = 5.0 * TICK
    ended = NOW + timedelta(seconds=5 * TICK)
    assert not lead(engine, "may-b:2", ended + timedelta(seconds=TICK))


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_a_tick_rolled_back_leaves_no_claim(engine: Engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        assert leads(session, "may-a:1", NOW, TICK)
        raise RuntimeError("the planner failed")
    assert planners(engine) == {}
    assert lead(engine, "may-b:2")  # lock and claim went with the transaction


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_on_sqlite_the_one_process_always_plans(engine: Engine) -> None:
    assert lead(engine, "may-a:1") and lead(engine, "may-b:2")
    assert planners(engine) == {}  # the tick records itself at its end, as before
