"""Real ``dondoc run`` processes for the fault tests (``tests/test_faults.py``): each bot is
``python -m bot run`` with its settings in the environment and a rules file, sending to
the fake Bot API over HTTP (``bench.fake_bot_api``, served from a thread of the test), on
a real SQLite file or PostgreSQL database that the test fills and reads.

The bots run on the real clock. The rules file opens office hours all day and the test
makes today and tomorrow working days (``CalendarOverride``), so that they send whenever
the tests run; leases, ticks and retries are short so that each test takes seconds.
Nothing here waits for a fixed time to pass: :func:`wait_until` polls a condition until
a deadline.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TypeVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bench.fake_bot_api import FakeBotApi, ServerThread
from bot.db import session_scope
from bot.domain.calendar import VIETNAM
from bot.models import CalendarOverride, Chat, ChatRole, Outbox, OutboxState
from bot.services import outbox as store
from tests.run_process import Bot

T = TypeVar("T")

TOKEN = "123456:FAULT-test"
LEASE = 10  # seconds: the shortest lease the settings allow
TICK = 5  # seconds: the shortest tick the settings allow
# A short dispatch: few messages in flight (so that a burst lasts long enough to be cut),
# a look for other processes' rows five times a second, a retry after half a second, a
# heartbeat a second (a killed bot's chats move to the others after three).
RULES = f"""
[office_hours]
start = "00:00"
end = "23:59:59"

[scheduler]
tick_seconds = {TICK}

[dispatch]
lease_seconds = {LEASE}
in_flight = 4
poll_seconds = 0.2
retry_seconds = 0.5
heartbeat_seconds = 1
"""


def wait_until(ready: Callable[[], T | None], within: float, what: str) -> T:
    """The first truthy value of ``ready()``, polled every 50 ms; fails the test, naming
    ``what`` it waited for, after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = ready()
        if value:
            return value
        if time.monotonic() > deadline:
            pytest.fail(f"waited {within:.0f} s for {what}")
        time.sleep(0.05)


@dataclass
class Notice:
    chat: int  # the Telegram chat id
    text: str


class Fleet:
    """The bots of one test, the fake Bot API they send to, and their database."""

    def __init__(self, folder: Path, url: str, engine: Engine, fake: FakeBotApi,
                 server: ServerThread, base_url: str) -> None:  # fmt: skip
        self.folder, self.url, self.engine = folder, url, engine
        self.fake, self.server, self.base_url = fake, server, base_url
        self.bots: list[Bot] = []
        (folder / "dondoc.toml").write_text(RULES, encoding="utf-8")
        make_working_days(engine)

    def env(self) -> dict[str, str]:
        # No monitoring port: bots side by side would ask for the same one.
        return {**os.environ, "DATABASE_URL": self.url, "METRICS_PORT": "0",
                "TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_BASE_URL": self.base_url,
                "DONDOC_CONFIG": str(self.folder / "dondoc.toml")}  # fmt: skip

    def start(self, count: int = 1) -> list[Bot]:
        """``count`` bots, started side by side; returned once each says it runs."""
        bots = [Bot(self.folder, self.env()) for _ in range(count)]
        self.bots.extend(bots)
        return [bot.running() for bot in bots]

    def sent(self) -> Counter[tuple[int, str]]:
        """How many times the fake API accepted each (chat, text)."""
        return Counter((a.chat_id, a.text) for a in list(self.fake.accepted))

    def left(self) -> int:
        """Outbox rows not sent yet."""
        with Session(self.engine) as s:
            rows = s.exec(select(Outbox.id).where(col(Outbox.state) != OutboxState.SENT)).all()
        return len(rows)

    def all_sent(self, within: float = 60.0) -> None:
        wait_until(lambda: self.left() == 0, within, "every outbox row sent")

    def rows(self) -> list[Outbox]:
        with Session(self.engine) as s:
            return list(s.exec(select(Outbox).order_by(col(Outbox.id))).all())

    def notice_of(self, row: Outbox) -> tuple[int, str]:
        """The (chat, text) the fake API receives for a one-part row."""
        with Session(self.engine) as s:
            chat = s.get(Chat, row.chat_id)
            assert chat is not None
        return int(chat.chat_key), row.parts[0]

    def refuse(self) -> None:
        self.server.run_here(self.fake.refuse())

    def reopen(self) -> None:
        self.server.run_here(self.fake.reopen())

    def close(self) -> None:
        for bot in self.bots:
            if bot.proc.poll() is None:
                bot.kill()
            if bot.proc.stdout is not None:
                bot.proc.stdout.close()


def make_working_days(engine: Engine) -> None:
    """Today and tomorrow in Vietnam are working days, whatever day the tests run."""
    today = datetime.now(VIETNAM).date()
    with session_scope(engine) as s:
        for day in (today, today + timedelta(days=1)):
            s.merge(CalendarOverride(day=day, working=True, note="kiểm thử"))


def burst(engine: Engine, groups: int, per_group: int, first: int = 0) -> list[Notice]:
    """``per_group`` notices for each of ``groups`` new Telegram groups (numbered from
    ``first``), queued as the planner queues them (due now, one outbox row each); returns
    them in the order queued."""
    now = datetime.now(VIETNAM)
    notices: list[Notice] = []
    with session_scope(engine) as s:
        chats = [Chat(channel="telegram", chat_key=str(-100_000 - i), role=ChatRole.GROUP,
                      title=f"Nhóm {i}") for i in range(first, first + groups)]  # fmt: skip
        s.add_all(chats)
        s.flush()
        for n in range(per_group):
            for chat in chats:
                text = f"Nhắc việc {n + 1} cho {chat.title}"
                store.enqueue(s, key=f"fault:{chat.chat_key}:{n}", chat=chat, kind="reminder",
                              parts=[text], now=now)  # fmt: skip
                notices.append(Notice(int(chat.chat_key), text))
    return notices


@contextmanager
def fake_api(latency: float = 0.0) -> Iterator[tuple[FakeBotApi, ServerThread, str]]:
    """The fake Bot API on a free port of this machine, in its own thread."""
    fake = FakeBotApi(latency=latency)
    server = ServerThread(fake)
    with server as base_url:
        yield fake, server, base_url
