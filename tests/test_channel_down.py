"""A channel whose server cannot be reached (``ChannelDown``: Telegram refused, timed out,
502) makes the outbox wait: the message keeps its place and its attempts, the channel is
left alone for ``dispatch.retry_seconds``, and a part already accepted is recorded once
the database is back. The same against real processes: ``tests/test_faults.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select
from telegram.error import NetworkError, TimedOut

from bot.channels import Buttons, ChannelDown
from bot.config import DispatchSettings, Settings
from bot.db import session_scope
from bot.domain.calendar import WorkCalendar
from bot.models import Chat, ChatRole, Outbox, OutboxState
from bot.scheduler.dispatcher import dispatch
from bot.scheduler.relay import OutboxRelay
from bot.services import outbox as store

START = datetime(2024, 12, 20, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam, a Friday
SETTINGS = replace(Settings(), dispatch=DispatchSettings(retry_seconds=7.0))


class Down:
    """A channel whose server is away: every send fails as ``ChannelDown``."""

    name, limit = "telegram", 4096

    def __init__(self) -> None:
        self.tries = 0

    async def send(self, chat_key: str, html: str, buttons: Buttons | None = None) -> str:
        self.tries += 1
        raise ChannelDown("httpx.ConnectError: All connection attempts failed")


def queue(engine: Engine, count: int) -> None:
    with session_scope(engine) as s:
        chat = Chat(channel="telegram", chat_key="-1001", role=ChatRole.GROUP, title="Nhóm")
        s.add(chat)
        s.flush()
        for n in range(count):
            store.enqueue(s, key=f"down:{n}", chat=chat, kind="reminder", parts=[f"Nhắc {n}"],
                          now=START)  # fmt: skip


async def test_a_channel_down_keeps_each_message_in_place_and_its_attempts(
    engine: Engine,
) -> None:
    queue(engine, 3)
    channel = Down()
    result = await dispatch(engine, {"telegram": channel}, START, worker="may:1",  # type: ignore[dict-item]
                            settings=SETTINGS, cal=WorkCalendar())  # fmt: skip
    assert channel.tries == 1  # the channel is left alone for the rest of the pass
    assert result.paused == {"telegram"} and "ConnectError" in result.down["telegram"]
    assert result.paused_until["telegram"] >= START + timedelta(seconds=7)
    with Session(engine) as s:
        rows = s.exec(select(Outbox)).all()
    assert {(r.state, r.attempts) for r in rows} == {(OutboxState.PENDING, 0)}
    assert all(r.next_attempt_at <= START for r in rows)  # due at once when it is back


async def test_the_sender_says_once_that_the_channel_is_down(
    engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    queue(engine, 1)
    channel = Down()
    moments = iter(START + timedelta(seconds=10 * i) for i in range(100))
    sender = OutboxRelay(engine, {"telegram": channel}, settings=SETTINGS,  # type: ignore[dict-item]
                    clock=lambda: next(moments), worker="may:1")  # fmt: skip
    for _ in range(3):  # 10 s apart: past each 7-s pause
        await sender.drain_once()
    assert channel.tries == 3
    assert len([r for r in caplog.records if "telegram unreachable" in r.getMessage()]) == 1


@pytest.mark.parametrize("error", [NetworkError("Bad Gateway"), TimedOut("Timed out")])
async def test_telegram_unreachable_is_a_channel_down(error: Exception) -> None:
    from bot.channels.telegram import TelegramChannel

    class Failing:
        rate_limiter = None

        async def send_message(self, **_kwargs: object) -> object:
            raise error

    class App:
        bot = Failing()

    channel = TelegramChannel(App())  # type: ignore[arg-type]
    with pytest.raises(ChannelDown):
        await channel.send("-1001", "Nhắc việc")


async def test_a_part_accepted_while_the_database_is_away_is_recorded_when_it_is_back(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    queue(engine, 1)
    record = store.record_part
    failures = iter([True, True, False])

    def flaky(*args: object, **kwargs: object) -> bool:
        if next(failures):  # the server restarting: refused twice, then back
            raise OperationalError("UPDATE outbox", {}, Exception("connection refused"))
        return record(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store, "record_part", flaky)
    sent: list[str] = []

    class Up:
        name, limit = "telegram", 4096

        async def send(self, chat_key: str, html: str, buttons: Buttons | None = None) -> str:
            sent.append(html)
            return str(len(sent))

    result = await dispatch(engine, {"telegram": Up()}, START, worker="may:1",  # type: ignore[dict-item]
                            settings=SETTINGS, cal=WorkCalendar())  # fmt: skip
    assert sent == ["Nhắc 0"] and result.sent == 1
    with Session(engine) as s:
        [row] = s.exec(select(Outbox)).all()
    assert row.state == OutboxState.SENT and row.sent_parts == 1
