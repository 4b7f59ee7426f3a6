"""``dondoc run``'s port: ``/healthz`` says whether the bot plans, ``/metrics`` what it sent,
failed, was refused with 429, planned and answered; the ASGI app over httpx, then a real
``dondoc run`` process over real HTTP against the fake Bot API."""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from prometheus_client import REGISTRY
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.telegram import TelegramChannel, build_application
from bot.config import Settings, SettingsError
from bot.db import session_scope
from bot.metrics import TickState
from bot.models import Agency, Chat, ChatRole, Outbox, OutboxState
from bot.scheduler.dispatcher import dispatch
from bot.services.actions import notify
from bot.services.chats import ensure_chat
from bot.web.app import create_app, liveness
from bot.web.server import CannotListen, listen, serving
from tests.cli import Dondoc
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import free_port
from tests.http_bridge import serving as serve_fake
from tests.province import CAL, FRIDAY, SETTINGS, build_province

TOKEN = "123456:TEST-token-never-shown"
STALE = timedelta(minutes=3)
GROUP = -1001234567890  # Sở Y tế's Telegram group


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


# --- /healthz's verdict, time given -----------------------------------------------------


def test_healthz_is_ok_while_ticks_work_and_503_once_they_stop() -> None:
    ticks = TickState()
    code, body = liveness(ticks, FRIDAY, STALE)
    assert (code, body["status"]) == (503, "starting") and "khởi động" in body["message"]
    ticks.begin(FRIDAY)
    assert liveness(ticks, FRIDAY + timedelta(seconds=30), STALE)[0] == 200  # the first tick runs
    ticks.end(FRIDAY, 0.25, "")
    code, body = liveness(ticks, FRIDAY + timedelta(minutes=2), STALE)
    assert code == 200 and body["last_tick"] == {
        "started_at": "2024-12-20T01:00:00+00:00", "seconds": 0.25, "error": ""
    }  # fmt: skip
    code, body = liveness(ticks, FRIDAY + timedelta(minutes=4), STALE)
    assert (code, body["status"]) == (503, "stale")
    assert body["message"] == ("Không có lượt nhắc việc nào thành công từ 08:00:00 20/12/2024; "
                               "lượt nhắc việc có thể bị treo")  # fmt: skip


def test_failing_ticks_turn_healthz_503_after_three_intervals() -> None:
    ticks = TickState()
    ticks.end(FRIDAY, 0.1, "")
    later = FRIDAY + timedelta(minutes=1)
    ticks.end(later, 5.0, "OperationalError: database is locked")
    code, body = liveness(ticks, later + timedelta(seconds=10), STALE)
    assert code == 200 and body["last_tick"]["error"].startswith("OperationalError")
    code, body = liveness(ticks, FRIDAY + timedelta(minutes=3, seconds=1), STALE)
    assert code == 503 and "lỗi gần nhất: OperationalError: database is locked" in body["message"]


def test_a_tick_stuck_for_three_intervals_is_not_alive() -> None:
    ticks = TickState()
    ticks.end(FRIDAY, 0.1, "")
    ticks.begin(FRIDAY + timedelta(minutes=1))
    assert liveness(ticks, FRIDAY + timedelta(minutes=3, seconds=30), STALE)[0] == 200
    assert liveness(ticks, FRIDAY + timedelta(minutes=4, seconds=1), STALE)[0] == 503


def test_a_bot_stopping_is_not_healthy() -> None:
    ticks = TickState()
    ticks.end(FRIDAY, 0.1, "")
    code, body = liveness(ticks, FRIDAY, STALE, stopping=True)
    assert (code, body["status"], body["message"]) == (503, "stopping", "dondoc đang dừng.")


# --- the ASGI app, and the counters moved by real sends ---------------------------------


def telegram_group(engine: Engine) -> int:
    with session_scope(engine) as s:
        agency = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
        chat = ensure_chat(s, channel="telegram", chat_key=str(GROUP), role=ChatRole.GROUP,
                           agency=agency, title="Nhóm Sở Y tế")  # fmt: skip
        s.flush()
        assert chat.id is not None
        return chat.id


def enqueue(engine: Engine, chat_id: int, key: str, now: datetime) -> None:
    with session_scope(engine) as s:
        notify(s, s.get_one(Chat, chat_id), key, f"Nhắc việc <b>{key}</b>", now)


async def test_metrics_count_what_the_fake_bot_api_accepted_refused_and_rate_limited(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22's retry_after as a timedelta, no warning
    build_province(engine)
    group = telegram_group(engine)
    fake = FakeTelegram()
    settings = Settings(telegram_token=TOKEN, telegram_base_url="http://bot-api.invalid/bot")
    # Without dondoc's limiter a 429 comes straight back, as the limiter hands it on for a
    # queued notice (the notice keeps its place in the outbox).
    app = build_application(settings, engine=engine, clock=lambda: FRIDAY,
                            transport=fake.transport, rate_limit=False)  # fmt: skip
    scraped = [FRIDAY]  # when /metrics is read
    web = create_app(engine=engine, settings=SETTINGS, clock=lambda: scraped[0])
    client = httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://dondoc")
    before = {name: sample(f"dondoc_messages_{name}_total", channel="telegram")
              for name in ("sent", "failed", "rate_limited")}  # fmt: skip
    async with app, client:
        channels = {"telegram": TelegramChannel(app)}

        async def send(key: str, error: dict[str, object] | None = None) -> None:
            enqueue(engine, group, key, FRIDAY)
            fake.fail_next = error
            await dispatch(engine, channels, FRIDAY, worker="t", settings=SETTINGS, cal=CAL)

        await send("nv-1")
        await send("nv-2", {"error_code": 400, "description": "Bad Request: wrong file identifier"})
        await send("nv-3", {"error_code": 429, "description": "Too Many Requests: retry after 7",
                            "parameters": {"retry_after": 7}})  # fmt: skip
        response = await client.get("/metrics")
        scraped[0] = FRIDAY + timedelta(seconds=8)  # the refused message is due again
        later = await client.get("/metrics")
    assert response.status_code == 200
    moved = {name: sample(f"dondoc_messages_{name}_total", channel="telegram") - before[name]
             for name in before}  # fmt: skip
    assert moved == {"sent": 1, "failed": 1, "rate_limited": 1}
    assert [m["text"] for m in fake.sent] == ["Nhắc việc <b>nv-1</b>"]
    # What Prometheus reads: the library's text format, the backlog read from the database
    # (what is due: the message refused with 429 is, once its 7 seconds are over).
    text = response.text
    assert re.search(r'^dondoc_outbox_backlog\{channel="telegram"\} 0\.0$', text, re.M), text
    assert re.search(r'^dondoc_outbox_backlog\{channel="telegram"\} 1\.0$', later.text, re.M)
    assert re.search(r'^dondoc_outbox_backlog\{channel="zalo"\} 0\.0$', text, re.M)
    assert "# TYPE dondoc_messages_sent_total counter" in text
    with Session(engine) as s:
        states = sorted(o.state for o in s.exec(select(Outbox).where(Outbox.chat_id == group)))
    assert states == [OutboxState.FAILED, OutboxState.PENDING, OutboxState.SENT]


async def test_healthz_over_the_asgi_app_answers_json(engine: Engine) -> None:
    ticks, stop = TickState(), asyncio.Event()
    web = create_app(engine=engine, settings=Settings(tick_seconds=60), clock=lambda: FRIDAY,
                     stop=stop, ticks=ticks)  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=web), base_url="http://d") as c:
        assert (await c.get("/healthz")).status_code == 503
        ticks.end(FRIDAY - timedelta(seconds=50), 0.5, "")
        response = await c.get("/healthz")
        assert response.status_code == 200 and response.json()["status"] == "ok"
        assert response.headers["cache-control"] == "no-store"
        stop.set()
        assert (await c.get("/healthz")).json()["status"] == "stopping"


async def test_the_server_runs_in_its_own_thread_and_stops_with_it(engine: Engine) -> None:
    web = create_app(engine=engine, settings=SETTINGS, clock=lambda: FRIDAY, ticks=TickState())
    async with serving(web, "127.0.0.1", 0) as port:
        async with httpx.AsyncClient() as client:
            response = await client.get(f"http://127.0.0.1:{port}/healthz")
        assert response.status_code == 503 and response.json()["status"] == "starting"
    async with httpx.AsyncClient() as client:
        with pytest.raises(httpx.ConnectError):  # the port closed with the server
            await client.get(f"http://127.0.0.1:{port}/healthz")


def test_a_port_in_use_is_refused_at_once() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(CannotListen, match=f"127.0.0.1:{port}"):
            listen("127.0.0.1", port)


def test_metrics_settings() -> None:
    assert Settings.load({}, env_file=None).metrics_port == 9100
    assert Settings.load({}, env_file=None).metrics_listen == "127.0.0.1"
    for off in ("0", "", " "):
        assert Settings.load({"METRICS_PORT": off}, env_file=None).metrics_port is None
    loaded = Settings.load({"METRICS_PORT": "9200", "METRICS_LISTEN": "::1"}, env_file=None)
    assert (loaded.metrics_port, loaded.metrics_listen) == (9200, "::1")
    with pytest.raises(SettingsError, match="METRICS_PORT"):
        Settings.load({"METRICS_PORT": "chín nghìn"}, env_file=None)
    with pytest.raises(SettingsError, match="METRICS_PORT"):
        Settings.load({"METRICS_PORT": "70000"}, env_file=None)


# --- a real dondoc run ------------------------------------------------------------------


def get(url: str) -> httpx.Response | None:
    try:
        return httpx.get(url, timeout=5)
    except httpx.TransportError:
        return None


def until(condition: object, what: str, within: float = 30.0) -> None:
    """Polls ``condition`` (a callable) until it is true, failing after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, f"not within {within:g} s: {what}"
        time.sleep(0.05)


@contextmanager
def dondoc_run(folder: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=folder, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, **env})  # fmt: skip
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)


def test_a_real_dondoc_run_serves_healthz_and_metrics_and_health_reads_its_tick(
    tmp_path: Path,
) -> None:
    fake = FakeTelegram()
    port = free_port()
    with serve_fake(fake.handle) as (api, loop):
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'dondoc.db'}", "METRICS_PORT": str(port),
               "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": f"{api}/bot",
               "LOG_FORMAT": "json"}  # fmt: skip
        with dondoc_run(tmp_path, env) as proc:
            assert proc.stdout is not None
            first = proc.stdout.readline()
            assert f"theo dõi: http://127.0.0.1:{port}/healthz và /metrics" in first, first
            base = f"http://127.0.0.1:{port}"

            def alive() -> bool:  # 200 comes while the first tick runs: wait for its end
                response = get(f"{base}/healthz")
                return (response is not None and response.status_code == 200
                        and response.json()["last_tick"] is not None)  # fmt: skip

            until(alive, "/healthz answers 200 once the first tick ran")
            body = httpx.get(f"{base}/healthz").json()
            assert body["status"] == "ok" and body["last_tick"]["error"] == ""
            # An officer writes to the bot: Telegram delivers it, the bot answers.
            asyncio.run_coroutine_threadsafe(fake.say(501, 501, "/trogiup"), loop).result(10)

            def answered() -> bool:
                response = get(f"{base}/metrics")
                return response is not None and (
                    'dondoc_replies_handled_total{channel="telegram",kind="message"} 1.0'
                    in response.text
                )

            until(answered, "the officer's message is counted")
            metrics = httpx.get(f"{base}/metrics").text
            assert re.search(r"^dondoc_tick_duration_seconds_count [1-9]", metrics, re.M)
            assert 'dondoc_messages_sent_total{channel="telegram"} 0.0' in metrics
            assert "process_resident_memory_bytes" in metrics  # the library's own collectors
            assert fake.sent and fake.sent[-1]["chat"]["id"] == 501
            proc.send_signal(signal.SIGTERM)
            out, errors = proc.communicate(timeout=60)
            assert proc.returncode == 0, errors
            assert "dondoc đã dừng" in out and TOKEN not in out + errors
            logged = [json.loads(line) for line in errors.splitlines()]  # LOG_FORMAT=json
            assert {"time", "level", "logger", "message"} <= set(logged[0])
            assert get(f"{base}/healthz") is None  # the port closed with the bot
        # Another process reads the tick the bot recorded, and asks Telegram who it is.
        health = Dondoc(tmp_path, TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=f"{api}/bot")(
            "health", "--format", "json"
        )
    figures = json.loads(health.output)
    assert health.exit_code == 0, health.output
    assert figures["last_tick"]["worker"] == f"{socket.gethostname()[:48]}:{proc.pid}"
    assert figures["last_tick"]["error"] == "" and figures["last_tick"]["stale"] is False
    started = datetime.fromisoformat(figures["last_tick"]["started_at"])
    assert abs(datetime.now(UTC) - started) < timedelta(minutes=5)
    assert figures["getme"] == [
        {"channel": "telegram", "ok": True, "name": "dondoc_bot", "error": ""}
    ]


def test_dondoc_run_refuses_a_port_in_use_in_vietnamese(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'dondoc.db'}", "METRICS_PORT": str(port)}
        with dondoc_run(tmp_path, env) as proc:
            out, errors = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "Traceback" not in errors
    assert f"Không mở được cổng theo dõi 127.0.0.1:{port}" in errors + out
    assert "METRICS_PORT=0" in errors + out
