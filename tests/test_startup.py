"""A channel out of reach when ``dondoc run`` starts is reached later, and ``/healthz``
says so meanwhile; ``/healthz`` answers while the bot's loop waits on a locked database.

The verdicts first, time given; then the real python-telegram-bot stack against the fake
Bot API over HTTP (down at start, up later), then a real ``dondoc run`` process whose
SQLite database another connection holds locked.
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
import time
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from telegram.error import TelegramError

from bench.fake_bot_api import FakeBotApi, ServerThread
from bot.app import Backoff, run
from bot.channels import ChannelStopped, TransientError
from bot.channels.telegram import build_application
from bot.channels.zalo import ZaloClient
from bot.config import Settings
from bot.metrics import TICKS, Heartbeat, Links, TickState
from bot.models import Outbox, OutboxState
from bot.web.app import create_app, liveness
from bot.web.server import serving
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import free_port
from tests.http_bridge import serving as serve_fake
from tests.province import FRIDAY, build_province
from tests.test_web import GROUP, TOKEN, dondoc_run, enqueue, telegram_group, until

T = TypeVar("T")
STALE = timedelta(minutes=3)


def connected_gauge(channel: str) -> float | None:
    return REGISTRY.get_sample_value("dondoc_channel_connected", {"channel": channel})


# --- the verdicts, time given ------------------------------------------------------------


def worked(ticks: TickState, at: datetime) -> TickState:
    ticks.end(at, 0.1, "")
    return ticks


def test_a_channel_down_counts_only_after_the_grace_period() -> None:
    links = Links()
    links.down("telegram", FRIDAY, "NetworkError: All connection attempts failed")
    ticks = worked(TickState(), FRIDAY)
    code, body = liveness(ticks, FRIDAY + timedelta(minutes=1), STALE,
                          links=links.snapshot(), grace=timedelta(minutes=2))  # fmt: skip
    assert (code, body["status"], body["down"]) == (200, "ok", [])
    assert body["channels"]["telegram"] == {
        "connected": False, "since": "2024-12-20T01:00:00+00:00",  # UTC, as every stamp
        "error": "NetworkError: All connection attempts failed",
    }  # fmt: skip
    later = FRIDAY + timedelta(minutes=2, seconds=1)
    code, body = liveness(worked(ticks, later), later, STALE, links=links.snapshot(),
                          grace=timedelta(minutes=2))  # fmt: skip
    assert (code, body["status"], body["down"]) == (503, "channel_down", ["telegram"])
    assert body["message"] == (
        "Chưa kết nối được Telegram từ 08:00:00 20/12/2024 (lỗi: NetworkError: All "
        "connection attempts failed); dondoc vẫn đang thử lại, tin nhắn qua kênh này chờ "
        "trong hàng đợi."
    )
    links.up("telegram", later)
    code, body = liveness(ticks, later, STALE, links=links.snapshot(), grace=timedelta(0))
    assert (code, body["status"]) == (200, "ok")
    assert body["channels"]["telegram"]["connected"] is True


def test_an_outage_keeps_its_start_across_failed_attempts_and_moves_the_gauge() -> None:
    links = Links()
    links.down("zalo", FRIDAY, "getUpdates: ConnectError")
    assert connected_gauge("zalo") == 0
    links.down("zalo", FRIDAY + timedelta(minutes=5), "getUpdates: HTTP 502")
    link = links.snapshot()["zalo"]
    assert (link.connected, link.since, link.error) == (False, FRIDAY, "getUpdates: HTTP 502")
    links.up("zalo", FRIDAY + timedelta(minutes=6))
    assert connected_gauge("zalo") == 1
    links.up("zalo", FRIDAY + timedelta(minutes=7))  # still the same connection
    assert links.snapshot()["zalo"].since == FRIDAY + timedelta(minutes=6)


def test_the_grace_period_defaults_to_the_staleness_window() -> None:
    links = Links()
    links.down("telegram", FRIDAY, "")
    ticks = worked(TickState(), FRIDAY + timedelta(minutes=3))
    within = liveness(ticks, FRIDAY + timedelta(minutes=3), STALE, links=links.snapshot())
    past = liveness(ticks, FRIDAY + timedelta(minutes=3, seconds=1), STALE,
                    links=links.snapshot())  # fmt: skip
    assert (within[0], past[0], past[1]["channel_grace_seconds"]) == (200, 503, 180.0)


def test_stale_ticks_and_a_channel_down_are_both_told() -> None:
    links = Links()
    links.down("telegram", FRIDAY, "")
    ticks = worked(TickState(), FRIDAY)
    code, body = liveness(ticks, FRIDAY + timedelta(minutes=4), STALE, links=links.snapshot())
    assert (code, body["status"], body["down"]) == (503, "stale", ["telegram"])
    assert body["message"].startswith("Không có lượt nhắc việc nào thành công từ 08:00:00 "
                                      "20/12/2024; lượt nhắc việc có thể bị treo. Chưa kết "
                                      "nối được Telegram từ 08:00:00 20/12/2024;")  # fmt: skip


def test_a_loop_silent_past_the_staleness_window_is_frozen() -> None:
    ticks = worked(TickState(), FRIDAY)
    assert liveness(ticks, FRIDAY, STALE, silent=179.0)[0] == 200
    code, body = liveness(ticks, FRIDAY, STALE, silent=181.0)
    assert (code, body["status"], body["loop_silent_seconds"]) == (503, "frozen", 181.0)
    assert "không chạy đã 181 giây" in body["message"]


def test_reconnecting_waits_double_up_to_the_cap() -> None:
    delays = Backoff().delays()
    assert [next(delays) for _ in range(9)] == [5, 10, 20, 40, 80, 160, 300, 300, 300]


async def test_metrics_answer_while_the_backlog_read_hangs(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[float] = []
    release = threading.Event()

    def slow_backlog(_engine: Engine, _now: datetime) -> None:  # a database that hangs
        reads.append(time.monotonic())
        release.wait(30)

    monkeypatch.setattr("bot.web.app.refresh_backlog", slow_backlog)
    web = create_app(engine=engine, settings=Settings(), clock=lambda: FRIDAY,
                     ticks=TickState(), backlog_timeout=0.2)  # fmt: skip
    async with serving(web, "127.0.0.1", 0) as port, httpx.AsyncClient() as client:
        try:
            for _ in range(2):
                began = time.monotonic()
                response = await client.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
                assert response.status_code == 200 and "dondoc_messages_sent_total" in response.text
                assert time.monotonic() - began < 1.0
            assert len(reads) == 1  # the read still hanging is not started again
        finally:
            release.set()  # before the server stops: its loop waits for its worker threads


# --- what each channel's client tells after a request ----------------------------------


def answering(outcomes: list[Exception | int]) -> httpx.MockTransport:
    """A server that fails or answers each request in turn (an HTTP status, or an httpx
    error raised as the connection would)."""

    def handle(request: httpx.Request) -> httpx.Response:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return httpx.Response(outcome, json={"ok": outcome < 400, "result": BOT_ME,
                                             "error_code": outcome, "description": "x"})  # fmt: skip

    return httpx.MockTransport(handle)


BOT_ME = {"id": 999, "is_bot": True, "first_name": "dondoc", "username": "dondoc_bot"}


async def test_telegram_requests_tell_whether_telegram_answered(engine: Engine) -> None:
    told: list[tuple[bool, str]] = []
    outcomes: list[Exception | int] = [httpx.ConnectError("refused"), 502, 200,
                                       httpx.PoolTimeout("pool full"), 400]  # fmt: skip
    settings = Settings(telegram_token=TOKEN, telegram_base_url="http://bot-api.invalid/bot")
    app = build_application(settings, engine=engine, clock=lambda: FRIDAY, rate_limit=False,
                            transport=answering(outcomes),
                            reached=lambda ok, why: told.append((ok, why)))  # fmt: skip
    try:
        for _ in range(5):
            with contextlib.suppress(TelegramError):
                await app.bot.get_me()
    finally:
        await app.bot.request.shutdown()
    assert told == [(False, "httpx.ConnectError: refused"), (False, "HTTP 502"),
                    (True, "HTTP 200"), (True, "HTTP 400")]  # fmt: skip


async def test_zalo_requests_tell_whether_zalo_answered() -> None:
    told: list[tuple[bool, str, bool]] = []
    outcomes: list[Exception | int] = [httpx.ConnectError("refused"), 502, 200, 401]
    client = ZaloClient("zalo-secret-token", "http://zalo.invalid/bot",
                        transport=answering(outcomes),
                        reached=lambda ok, why, stopped=False: told.append((ok, why, stopped)))  # fmt: skip
    try:
        for _ in range(4):
            with contextlib.suppress(TransientError, ChannelStopped):
                await client.call("getMe")
    finally:
        await client.close()
    assert [ok for ok, _why, _stopped in told] == [False, False, True, False]
    assert told[0][1] == "getMe: ConnectError" and told[-1][1].startswith("getMe: 401")
    # The refused token stops Zalo for good: /healthz calls it down at once.
    assert [stopped for _ok, _why, stopped in told] == [False, False, False, True]


# --- Telegram down at start, up later: the real PTB stack over HTTP ---------------------


async def eventually(
    probe: Callable[[], Awaitable[T | None]], what: str, within: float = 30.0
) -> T:
    """``probe``'s first result that is not ``None``, polled until ``within`` seconds."""
    deadline = time.monotonic() + within
    while (found := await probe()) is None:
        assert time.monotonic() < deadline, f"not within {within:g} s: {what}"
        await asyncio.sleep(0.05)
    return found


async def test_telegram_down_at_start_is_reached_later_and_sends_what_waited(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")
    build_province(engine)
    group = telegram_group(engine)
    enqueue(engine, group, "nv-cho", FRIDAY)  # a notice queued before the bot starts
    api_port = free_port()  # nobody listens there yet: Telegram is out of reach
    settings = Settings(telegram_token=TOKEN, telegram_base_url=f"http://127.0.0.1:{api_port}/bot")
    started = time.monotonic()

    def clock() -> datetime:  # Friday 8:00 (office hours), running at the real pace
        return FRIDAY + timedelta(seconds=time.monotonic() - started)

    links, heartbeat, stop = Links(), Heartbeat(), asyncio.Event()
    web = create_app(engine=engine, settings=settings, clock=clock, stop=stop, ticks=TICKS,
                     links=links, heartbeat=heartbeat, grace=timedelta(0))  # fmt: skip
    told: list[list[str]] = []
    fake = FakeBotApi()
    fake_server = ServerThread(fake, port=api_port)
    async with serving(web, "127.0.0.1", 0) as web_port, httpx.AsyncClient() as client:
        bot = asyncio.create_task(
            run(settings, engine, clock=clock, stop=stop, links=links, heartbeat=heartbeat,
                reconnect=Backoff(first=0.05, cap=0.2), ready=lambda n: told.append(list(n)))
        )  # fmt: skip
        healthz = f"http://127.0.0.1:{web_port}/healthz"

        async def health(status: str) -> dict[str, Any] | None:
            response = await client.get(healthz, timeout=5)
            body: dict[str, Any] = response.json()
            return body if body["status"] == status else None

        try:
            down = await eventually(lambda: health("channel_down"), "/healthz: Telegram down")
            assert (await client.get(healthz)).status_code == 503
            assert down["down"] == ["telegram"] and told == [["console"]]
            assert "Chưa kết nối được Telegram" in down["message"]
            assert TOKEN not in str(down)
            assert connected_gauge("telegram") == 0
            assert not bot.done()  # the bot runs on without Telegram
            await asyncio.to_thread(fake_server.__enter__)  # Telegram comes up
            try:
                up = await eventually(lambda: health("ok"), "/healthz: Telegram reached")
                assert up["channels"]["telegram"]["connected"] is True and up["down"] == []
                assert connected_gauge("telegram") == 1
                metrics = (await client.get(f"http://127.0.0.1:{web_port}/metrics")).text
                assert 'dondoc_channel_connected{channel="telegram"} 1.0' in metrics

                async def notice_sent() -> bool | None:
                    return any(a.chat_id == GROUP for a in fake.accepted) or None

                await eventually(notice_sent, "the queued notice goes to the group")
                # Its receiver runs too: an officer writes, the bot answers.
                await fake_server.run(fake.say(501, 501, "/trogiup"))

                async def answered() -> bool | None:
                    return any(a.chat_id == 501 for a in fake.accepted) or None

                await eventually(answered, "the bot answers through polling")
                # Telegram goes away while the bot runs, and comes back.
                await asyncio.to_thread(fake_server.__exit__, None, None, None)
                gone = await eventually(lambda: health("channel_down"), "Telegram gone again")
                assert gone["channels"]["telegram"]["connected"] is False
                fake_server = ServerThread(fake, port=api_port)
                await asyncio.to_thread(fake_server.__enter__)
                # The bot's next long poll reaches it: an officer's message ends that poll
                # at once (an idle one would last PTB's 10 s), and is answered.
                answers = sum(a.chat_id == 501 for a in fake.accepted)
                await fake_server.run(fake.say(501, 501, "/trogiup"))
                await eventually(lambda: health("ok"), "Telegram back")

                async def answered_again() -> bool | None:
                    return sum(a.chat_id == 501 for a in fake.accepted) > answers or None

                await eventually(answered_again, "the bot answers after the outage")
            finally:
                stop.set()
                await asyncio.wait_for(bot, 60)
                await asyncio.to_thread(fake_server.__exit__, None, None, None)
        finally:
            stop.set()
            if not bot.done():
                bot.cancel()
    with Session(engine) as s:
        states = [o.state for o in s.exec(select(Outbox).where(Outbox.chat_id == group))]
    assert states == [OutboxState.SENT]


async def test_telegram_that_fails_after_getme_is_tried_again(engine: Engine) -> None:
    fake = FakeTelegram()
    failed: list[str] = []

    async def flaky(request: httpx.Request) -> httpx.Response:  # getMe works, then a 502
        if request.url.path.endswith("/deleteWebhook") and not failed:
            failed.append("deleteWebhook")
            return httpx.Response(502, json={"ok": False, "error_code": 502,
                                             "description": "Bad Gateway"})  # fmt: skip
        return await fake.handle(request)

    links, stop = Links(), asyncio.Event()
    with serve_fake(flaky) as (api, loop):
        settings = Settings(telegram_token=TOKEN, telegram_base_url=f"{api}/bot")
        told: list[list[str]] = []
        bot = asyncio.create_task(
            run(settings, engine, clock=lambda: FRIDAY, stop=stop, links=links,
                heartbeat=Heartbeat(), reconnect=Backoff(first=0.05, cap=0.2),
                ready=lambda n: told.append(list(n)))
        )  # fmt: skip
        try:

            async def polling() -> bool | None:
                return any(method == "getUpdates" for method, _ in fake.calls) or None

            await eventually(polling, "the bot polls after a second try")
            assert failed == ["deleteWebhook"] and told == [["console"]]
            assert links.snapshot()["telegram"].connected
            await asyncio.wrap_future(
                asyncio.run_coroutine_threadsafe(fake.say(501, 501, "/trogiup"), loop)
            )

            async def answered() -> bool | None:
                return any(m["chat"]["id"] == 501 for m in fake.sent) or None

            await eventually(answered, "the officer is answered")
        finally:
            stop.set()
            await asyncio.wait_for(bot, 60)


# --- a real dondoc run, its SQLite database locked by another connection ----------------


def test_healthz_answers_within_a_second_while_the_database_is_locked(tmp_path: Path) -> None:
    fake = FakeTelegram()
    port = free_port()
    database = tmp_path / "dondoc.db"
    with serve_fake(fake.handle) as (api, loop):
        env = {"DATABASE_URL": f"sqlite:///{database}", "METRICS_PORT": str(port),
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": f"{api}/bot"}  # fmt: skip
        with dondoc_run(tmp_path, env) as proc:
            assert proc.stdout is not None
            assert "dondoc đang chạy" in proc.stdout.readline()
            healthz = f"http://127.0.0.1:{port}/healthz"

            def body() -> dict[str, Any]:
                began = time.monotonic()
                response = httpx.get(healthz, timeout=1.0)  # no answer within 1 s fails
                assert time.monotonic() - began < 1.0
                answer: dict[str, Any] = response.json()
                return answer

            until(lambda: body()["last_tick"] is not None, "the first tick ran")
            locker = sqlite3.connect(database, isolation_level=None)
            try:
                locker.execute("BEGIN IMMEDIATE")  # the write lock, held
                answers = len(fake.sent)
                # An officer writes: keeping the update in the inbox waits for the write
                # lock, in a thread; the loop goes on turning and /healthz answering.
                asyncio.run_coroutine_threadsafe(fake.say(501, 501, "/trogiup"), loop).result(10)
                for _ in range(4):
                    time.sleep(1.0)  # a real process's wall clock: no other way to wait
                    assert (body()["loop_silent_seconds"] or 0) < 2.0
                assert len(fake.sent) == answers  # the bot is still waiting for the lock
            finally:
                locker.execute("ROLLBACK")
                locker.close()
            until(lambda: len(fake.sent) > answers, "the officer is answered once the lock goes")
            until(lambda: (body()["loop_silent_seconds"] or 0) < 2.0, "the loop turns again")
            assert httpx.get(healthz, timeout=1.0).status_code == 200
