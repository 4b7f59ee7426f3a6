"""The scheduler starts and stops with the bot's process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.engine import Engine

from bot.channels.console import ConsoleChannel
from bot.config import Settings
from bot.scheduler.service import SchedulerService
from tests.province import at, build_province


async def test_service_owns_one_coalescing_tick_job(engine: Engine) -> None:
    province = build_province(engine)
    province.add_task("31/12/2024")
    channel = ConsoleChannel(quiet=True)
    service = SchedulerService(engine, {"console": channel}, Settings(tick_seconds=30),
                               clock=lambda: at(date(2024, 12, 20)))  # fmt: skip
    service.start()
    [job] = service.scheduler.get_jobs()
    assert service.scheduler.running and job.coalesce and job.next_run_time is not None
    await service.run_once()  # what the job runs, at the service's clock
    await service.run_once()
    assert len(channel.sent) == 1
    await service.stop()
    assert not service.scheduler.running


def test_run_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'd.db'}"}
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
