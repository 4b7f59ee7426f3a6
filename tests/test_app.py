"""The composition root: `dondoc run` and one tick through the configured channels."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.app import open_channels, run, tick_once
from bot.channels.console import ConsoleChannel
from bot.config import Settings
from tests.province import at, build_province


async def test_run_ticks_at_once_and_stops_when_told(engine: Engine) -> None:
    province = build_province(engine)
    province.add_task("31/12/2024")
    stop = asyncio.Event()
    told: list[Sequence[str]] = []

    def ready(channels: Sequence[str]) -> None:
        told.append(channels)
        stop.set()  # stop once everything runs: the first tick still happens

    await run(Settings(tick_seconds=30), engine, clock=lambda: at(date(2024, 12, 20)), stop=stop,
              ready=ready)  # fmt: skip
    assert told == [["console"]]
    assert len(province.outbox()) == 1 and province.outbox()[0].state == "sent"


async def test_a_console_tick_leaves_telegram_and_zalo_closed(engine: Engine) -> None:
    province = build_province(engine)
    province.add_task("31/12/2024")
    console = ConsoleChannel(quiet=True)
    settings = Settings(telegram_token="123:abc", zalo_token="456:def")
    async with open_channels(settings, engine, lambda: at(date(2024, 12, 20)),
                             console_only=console) as opened:  # fmt: skip
        assert list(opened.channels) == ["console"] and opened.telegram is opened.zalo is None
    result = await tick_once(settings, engine, at(date(2024, 12, 20)), console_only=console)
    assert result.dispatched.sent == 1 and len(console.sent) == 1


def test_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    # No monitoring port: another bot on this machine may hold the default one.
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}", "METRICS_PORT": "0"}
    subprocess.run([sys.executable, "-m", "bot", "db", "upgrade"], env=env, cwd=tmp_path, check=True,
                   capture_output=True)  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], env=env, cwd=tmp_path,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stdout is not None
    first = proc.stdout.readline()  # blocks until the bot says it runs
    assert "dondoc đang chạy" in first
    proc.send_signal(signal.SIGTERM)
    rest, errors = proc.communicate(timeout=30)
    assert proc.returncode == 0, errors
    assert "dondoc đã dừng" in rest
