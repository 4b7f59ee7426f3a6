"""The morning burst at Telegram's ceiling, on the real python-telegram-bot stack against
the fake Bot API, on virtual time: no second over 30 messages, no group over 20 a
minute, an officer's answer ahead of the queued notices, a 429 that pauses everything
while its message keeps its place; and two dispatcher processes on one database, each
pass longer than a lease, that send every notice exactly once."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select
from telegram import Update

from bench.fake_bot_api import max_in_window
from bot.channels.limits import SendLimiter
from bot.channels.telegram import TelegramChannel, build_application
from bot.config import DispatchSettings, LimitSettings, Settings
from bot.db import session_scope
from bot.models import Chat, ChatRole, Outbox, OutboxState
from bot.scheduler.relay import OutboxRelay
from bot.services import outbox as store
from tests.fake_telegram import DATE, FakeTelegram
from tests.virtual_time import VirtualTime

START = datetime(2024, 12, 20, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam, a Friday
SETTINGS = Settings(
    telegram_token="123456:TEST-token", telegram_base_url="http://bot-api.invalid/bot"
)
OFFICER = 501  # writes to the bot in private during the burst
ROOT = Path(__file__).resolve().parent.parent


class TimedTelegram(FakeTelegram):
    """The fake Bot API, noting when (virtual seconds) it accepted each message, and
    answering 429 to the message numbered ``refuse_at`` (1-based) once."""

    def __init__(self, time: VirtualTime) -> None:
        super().__init__()
        self.time = time
        self.accepted: list[tuple[float, int, str]] = []  # when, chat, text
        self.refuse_at: int | None = None
        self.refused: tuple[float, int, str] | None = None  # when, chat, text

    async def handle(self, request: httpx.Request) -> httpx.Response:
        refuse = self.refuse_at is not None and len(self.accepted) + 1 == self.refuse_at
        if request.url.path.endswith("/sendMessage") and refuse and self.refused is None:
            params = dict(httpx.QueryParams(request.content.decode()))
            self.refused = (self.time.now, int(params["chat_id"]), params["text"])
            return httpx.Response(429, json={
                    "ok": False, "error_code": 429, "parameters": {"retry_after": 5},
                    "description": "Too Many Requests: retry after 5"})  # fmt: skip
        response = await super().handle(request)
        if request.url.path.endswith("/sendMessage") and response.status_code == 200:
            message = response.json()["result"]
            self.accepted.append((self.time.now, message["chat"]["id"], message["text"]))
        return response


@dataclass
class Burst:
    time: VirtualTime
    fake: TimedTelegram
    app: Any
    engine: Engine
    notices: int


@pytest.fixture
async def burst(engine: Engine) -> AsyncIterator[Burst]:
    """60 groups with 3 notices each, and one group with 25: 205 notices due at 08:00."""
    time = VirtualTime()
    fake = TimedTelegram(time)
    limiter = SendLimiter(LimitSettings(), clock=time.clock, sleep=time.sleep)
    app = build_application(SETTINGS, engine=engine, clock=time.datetime_clock(START),
                            transport=fake.transport, limiter=limiter)  # fmt: skip
    counts = [3] * 60 + [25]
    with session_scope(engine) as s:
        chats = [Chat(channel="telegram", chat_key=str(-1000 - i), role=ChatRole.GROUP,
                      title=f"Nhóm {i}") for i in range(len(counts))]  # fmt: skip
        s.add_all(chats)
        s.flush()
        for round_ in range(max(counts)):
            for chat, count in zip(chats, counts, strict=True):
                if round_ < count:
                    store.enqueue(s, key=f"burst:{chat.chat_key}:{round_}", chat=chat,
                                  kind="reminder", now=START,
                                  parts=[f"Nhắc việc {round_ + 1} cho {chat.title}"])  # fmt: skip
    async with app:
        yield Burst(time, fake, app, engine, sum(counts))


async def drain(burst: Burst) -> None:
    """``dondoc run``'s sender, on virtual time, until the outbox is empty."""
    clock = burst.time.datetime_clock(START)
    channel = TelegramChannel(burst.app, queued=True, within=30)
    sender = OutboxRelay(burst.engine, {"telegram": channel}, settings=SETTINGS, clock=clock,
                    sleep=burst.time.sleep, worker="host:1")  # fmt: skip
    stop = asyncio.Event()

    async def until_sent() -> None:
        while left(burst.engine):
            await burst.time.sleep(1.0)
        stop.set()

    await burst.time.run(sender.run(stop), until_sent())


def left(engine: Engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(Outbox.id).where(col(Outbox.state) != OutboxState.SENT)).all())


async def test_a_burst_stays_under_every_limit_and_sends_each_notice_once(burst: Burst) -> None:
    await drain(burst)
    times = [at for at, _chat, _text in burst.fake.accepted]
    assert len(times) == burst.notices == len({(c, t) for _, c, t in burst.fake.accepted})
    assert max_in_window(times, 1.0) <= 30
    per_group: dict[int, list[float]] = defaultdict(list)
    for at, chat, _text in burst.fake.accepted:
        per_group[chat].append(at)
    assert max(max_in_window(t, 60.0) for t in per_group.values()) == 20
    # The 180 notices of the 60 small groups go at the ceiling: 30 a second less the margin
    # (35 ms a second: 29.0).
    small = sorted(at for at, chat, _ in burst.fake.accepted if chat != -1060)
    rate = (len(small) - 1) / (small[-1] - small[0])
    assert 28.5 <= rate <= 30
    # A group's notices go in the order they were queued.
    texts = [text for _, chat, text in burst.fake.accepted if chat == -1060]
    assert texts == [f"Nhắc việc {i + 1} cho Nhóm 60" for i in range(25)]
    with Session(burst.engine) as s:
        assert {row.attempts for row in s.exec(select(Outbox)).all()} == {1}


async def test_an_officer_is_answered_before_the_queued_notices(burst: Burst) -> None:
    asked: list[float] = []

    async def officer_writes() -> None:
        await burst.time.sleep(3.0)  # in the middle of the burst
        asked.append(burst.time.now)
        update = Update.de_json({"update_id": 1, "message": {
            "message_id": 1, "date": DATE, "text": "/trogiup",
            "chat": {"id": OFFICER, "type": "private", "first_name": "An"},
            "from": {"id": OFFICER, "is_bot": False, "first_name": "An"}}}, burst.app.bot)  # fmt: skip
        await burst.app.process_update(update)

    await asyncio.gather(drain(burst), burst.time.run(officer_writes()))
    [(answered, _chat, _text)] = [a for a in burst.fake.accepted if a[1] == OFFICER]
    # The next free slot: no notice went between the question and its answer.
    assert not [at for at, chat, _ in burst.fake.accepted if asked[0] < at < answered]
    assert answered - asked[0] < 0.5
    notices_after = [at for at, chat, _ in burst.fake.accepted if chat != OFFICER and at > answered]
    assert len(notices_after) > 50  # many notices were queued before it


async def test_a_429_pauses_every_send_and_the_notice_keeps_its_place(
    burst: Burst, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "1")  # PTB 22's retry_after as a timedelta, no warning
    burst.fake.refuse_at = 40
    await drain(burst)
    assert burst.fake.refused is not None
    refused_at, chat, text = burst.fake.refused
    times = [at for at, _c, _t in burst.fake.accepted]
    assert not [at for at in times if refused_at <= at < refused_at + 5]  # the whole bot waited
    assert len(times) == burst.notices  # the refused notice too, once
    first_after = min(at for at in times if at >= refused_at + 5)
    [resent] = [at for at, c, t in burst.fake.accepted if (c, t) == (chat, text)]
    assert resent - first_after < 2.0  # among the first once the pause is over
    with Session(burst.engine) as s:
        # Its attempt was given back: every row was sent on its first counted attempt.
        assert {row.attempts for row in s.exec(select(Outbox)).all()} == {1}


def test_two_dispatcher_processes_send_every_notice_exactly_once(
    engine: Engine, db_url: str, tmp_path: Path
) -> None:
    """Each process drains as ``dondoc run`` does, its passes 5 times longer than a lease,
    through a slow channel; together they send each notice once."""
    with session_scope(engine) as s:
        chats = [Chat(channel="console", chat_key=f"nhom-{i}", role=ChatRole.GROUP)
                 for i in range(60)]  # fmt: skip
        s.add_all(chats)
        s.flush()
        for n in range(4):
            for chat in chats:
                store.enqueue(s, key=f"two:{chat.chat_key}:{n}", chat=chat, kind="reminder",
                              parts=[f"Nhắc việc {n}"], now=START)  # fmt: skip
    origin = time.monotonic()
    outs = [tmp_path / f"sent-{i}.tsv" for i in range(2)]
    processes = [subprocess.Popen([sys.executable, "-m", "tests.two_dispatchers", db_url, str(origin),
                                   str(out)], cwd=ROOT, stderr=subprocess.PIPE, text=True)
                 for out in outs]  # fmt: skip
    for process in processes:
        _out, errors = process.communicate(timeout=120)
        assert process.returncode == 0, errors
    lines = [line.split("\t") for out in outs for line in out.read_text("utf-8").splitlines()]
    sent = Counter((chat, text) for chat, text, _worker in lines)
    assert len(sent) == 240 and set(sent.values()) == {1}
    workers = Counter(worker for _c, _t, worker in lines)
    assert len(workers) == 2 and min(workers.values()) > 20  # both sent, side by side
    with Session(engine) as s:
        rows = s.exec(select(Outbox)).all()
    assert {row.state for row in rows} == {OutboxState.SENT}
    assert {row.claimed_by for row in rows} == set(workers)
    elapsed = max(r.sent_at for r in rows if r.sent_at) - START  # type: ignore[operator]
    assert elapsed > 3 * timedelta(seconds=10)  # the passes outlasted the lease


async def test_the_sender_wakes_when_a_row_is_added_not_at_its_next_look(engine: Engine) -> None:
    """``dondoc run``: a row committed in the process is sent at once, though the sender
    would look again only in a minute."""
    with session_scope(engine) as s:
        chat = Chat(channel="console", chat_key="nhom:so-y-te", role=ChatRole.GROUP)
        s.add(chat)
    sent = asyncio.Event()

    class Console:
        name, limit = "console", 4096

        async def send(self, chat_key: str, html: str, buttons: object = None) -> str:
            sent.set()
            return "1"

    settings = replace(SETTINGS, dispatch=DispatchSettings(poll_seconds=60))
    sender = OutboxRelay(engine, {"console": Console()}, settings=settings,  # type: ignore[dict-item]
                    clock=lambda: START, worker="host:2")  # fmt: skip
    unwatch = sender.watch()
    stop = asyncio.Event()
    running = asyncio.create_task(sender.run(stop))
    await asyncio.sleep(0.05)  # its first pass found nothing: it waits a minute now
    with session_scope(engine) as s:
        store.enqueue(s, key="wake:1", chat=chat, kind="notice", parts=["Đề nghị gia hạn"],
                      now=START)  # fmt: skip
    await asyncio.wait_for(sent.wait(), 5)
    stop.set()
    await asyncio.wait_for(running, 5)
    unwatch()
    assert not left(engine)


def test_watching_the_outbox_lets_a_dropped_connection_roll_back(engine: Engine) -> None:
    """The database restarted under a transaction: SQLAlchemy invalidates the connection
    and rolls back; the relay's hook must not raise in that rollback (it did, and every
    pass during a PostgreSQL restart ended in a traceback)."""
    relay = OutboxRelay(engine, {}, settings=SETTINGS, clock=lambda: START, worker="host:2")
    unwatch = relay.watch()
    try:
        with engine.connect() as connection:
            connection.begin()
            connection.execute(text("SELECT 1"))
            connection.invalidate()  # as a "server closed the connection" error does
            connection.rollback()
    finally:
        unwatch()
