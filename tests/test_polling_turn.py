"""Polling Telegram in one process at a time, unit by unit: the polling lock between two
processes' turns on a real PostgreSQL (``bot.scheduler.poller``), and the polling loop's
errors logged once per outage, without a traceback (``bot.channels.telegram.PollingErrors``),
against the fake Bot API over HTTP (``bench.fake_bot_api``), which fails, recovers, and
ends a held getUpdates with 409 Conflict when another poller asks."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import httpx
import pytest
from sqlalchemy import func, select, text
from sqlalchemy.engine import Engine

from bench.fake_bot_api import FakeBotApi, ServerThread
from bot.app import clock
from bot.channels.telegram import build_application, polling_errors
from bot.config import Settings
from bot.scheduler.poller import POLLING_LOCK, PollingLock, PollingTurn

TOKEN = "123456:POLL-test"
POSTGRES = [pytest.param("postgres", marks=pytest.mark.postgres)]


class Polls:
    """Stands in for PTB's polling: counts its starts and stops."""

    def __init__(self) -> None:
        self.running = False
        self.starts = self.stops = 0

    async def start(self) -> None:
        self.running, self.starts = True, self.starts + 1

    async def stop(self) -> None:
        self.running, self.stops = False, self.stops + 1


def _backend_of(lock: PollingLock) -> int:
    held = lock._held
    assert held is not None
    return int(held.execute(select(func.pg_backend_pid())).scalar_one())


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
async def test_one_turn_polls_and_the_other_takes_over_when_its_connection_is_lost(
    engine: Engine,
) -> None:
    first, second = Polls(), Polls()
    a = PollingTurn(PollingLock(engine), first.start, first.stop, every=1.0)
    b = PollingTurn(PollingLock(engine), second.start, second.stop, every=1.0)
    await a.step(raise_errors=True)
    await b.step(raise_errors=True)
    assert (first.running, second.running) == (True, False)
    await a.step()  # checked: still held
    await b.step()  # tried again: still taken
    assert (first.starts, second.starts, first.stops) == (1, 0, 0)

    # The holder's connection ends (a database restart ends them all; here only its own).
    with engine.begin() as c:
        c.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": _backend_of(a.lock)})
    await a.step()
    assert not first.running and first.stops == 1 and not a.lock.held
    await b.step()
    assert second.running and b.lock.held

    # SIGTERM: polling stops, then the lock is free for the other.
    await b.close()
    assert not second.running and not b.lock.held
    with engine.begin() as c:
        free = c.execute(select(func.pg_try_advisory_lock(POLLING_LOCK))).scalar_one()
        c.execute(select(func.pg_advisory_unlock(POLLING_LOCK)))
    assert free


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", POSTGRES, indirect=True)
async def test_a_turn_that_cannot_start_polling_releases_the_lock(engine: Engine) -> None:
    async def fails() -> None:
        raise RuntimeError("Telegram refused")

    polls = Polls()
    a = PollingTurn(PollingLock(engine), fails, polls.stop, every=1.0)
    with pytest.raises(RuntimeError):
        await a.step(raise_errors=True)
    assert not a.lock.held
    b = PollingTurn(PollingLock(engine), polls.start, polls.stop, every=1.0)
    await b.step()
    assert polls.running
    await b.close()


async def _until(ready: Callable[[], bool], within: float, what: str) -> None:
    """Poll ``ready`` every 50 ms until it holds; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not ready():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {within:.0f} s for {what}")
        await asyncio.sleep(0.05)


async def _other_polls_until(url: str, ended: Callable[[], bool], within: float = 20) -> None:
    """Another instance's getUpdates every 50 ms until ``ended()``: one of them comes while
    ours is held (our poll waits a second for updates, then asks again at once)."""
    deadline = time.monotonic() + within
    async with httpx.AsyncClient() as other:
        while not ended():
            if time.monotonic() > deadline:
                pytest.fail(f"waited {within:.0f} s for a conflict")
            await other.post(url, data={"timeout": "0"})
            await asyncio.sleep(0.05)


def _lines(caplog: pytest.LogCaptureFixture, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records)


async def test_a_database_that_does_not_answer_is_not_called_another_poller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Nothing listens on port 1: the lock cannot be taken, and nobody is said to hold it."""
    from bot.db import make_engine

    engine = make_engine("postgresql+psycopg://dondoc:pw@127.0.0.1:1/dondoc?connect_timeout=2")
    polls = Polls()
    turn = PollingTurn(PollingLock(engine), polls.start, polls.stop, every=1.0)
    with caplog.at_level(logging.INFO, logger="bot.scheduler.poller"):
        await turn.step()
    engine.dispose()
    assert not polls.running
    assert "another process" not in caplog.text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_polling_errors_are_one_line_per_outage_and_still_reach_the_health_check(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    fake = FakeBotApi()
    told: list[bool] = []  # what /healthz hears (``bot.metrics.Links`` through app.py)
    with ServerThread(fake) as base_url:
        settings = Settings(telegram_token=TOKEN, telegram_base_url=base_url)
        app = build_application(settings, engine=engine, clock=clock,
                                reached=lambda ok, _why: told.append(ok))  # fmt: skip
        errors = polling_errors(app)
        async with app:
            assert app.updater is not None
            await app.updater.start_polling(timeout=1, error_callback=errors.failed)
            try:
                # An outage: every request answered 502; PTB retries after 1 s, then 1.5 s.
                fake.fail(502)
                await _until(lambda: fake.failed >= 3, 20, "three failed polls")
                assert errors.failing is not None and False in told
                fake.recover()
                await _until(lambda: errors.failing is None, 20, "polling to work again")
                assert told[-1] is True

                # Another instance polls with this token: ours is ended with 409 Conflict.
                await _other_polls_until(f"{base_url}{TOKEN}/getUpdates",
                                         lambda: errors.outages == 2)  # fmt: skip
                await _until(lambda: errors.failing is None, 20, "polling to work again")
            finally:
                await app.updater.stop()
    assert fake.conflicts >= 1
    assert _lines(caplog, "Telegram polling fails") == 2  # once per outage, not per retry
    assert _lines(caplog, "fails: another bot instance uses this token") == 1
    assert _lines(caplog, "Telegram polling works again") == 2
    assert _lines(caplog, "Exception happened while polling") == 0
    assert not [r for r in caplog.records if r.exc_info]  # no traceback at all
