"""Zalo's monthly quota as a budget (#18): every message counted both ways, per month in
Vietnam; the admins warned at 80 % and told when it is spent, once a month each; the
notices then held in the outbox (nothing lost, nothing sent twice) until the month turns."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.console import ConsoleChannel
from bot.channels.zalo import ZaloChannel, ZaloClient, handle_update
from bot.config import Settings, SettingsError
from bot.db import session_scope
from bot.models import Agency, Chat, ChatRole, Outbox, OutboxState
from bot.scheduler.dispatcher import DispatchResult, dispatch
from bot.services import channel_usage
from bot.services.actions import notify
from bot.services.channel_usage import UsageMeter, month_of, usage
from bot.services.chats import ensure_chat
from bot.services.outbox import enqueue
from tests.fake_zalo import FakeZalo
from tests.province import CAL, SETTINGS, Province, build_province

# A working Friday morning, 27/12/2024 09:00 in Vietnam; the next month starts on 01/01.
NOW = datetime(2024, 12, 27, 2, 0, tzinfo=UTC)
NEXT_MONTH = datetime(2025, 1, 2, 2, 0, tzinfo=UTC)
QUOTA = 10
LIMITED = replace(SETTINGS, zalo_monthly_quota=QUOTA)
GROUPS = [f"zq-{n}" for n in range(6)]


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
async def zalo(engine: Engine) -> AsyncIterator[tuple[FakeZalo, ZaloClient, Province, Clock]]:
    """Six Zalo groups of Sở Y tế, one notice waiting for each; a client that counts."""
    province = build_province(engine)
    with session_scope(engine) as s:
        agency = s.get(Agency, province.agencies["so-y-te"])
        for key in GROUPS:
            chat = ensure_chat(s, channel="zalo", chat_key=key, role=ChatRole.GROUP,
                               agency=agency, title=key)  # fmt: skip
            s.flush()
            enqueue(s, key=f"test:{key}", chat=chat, kind="reminder", parts=[f"Nhắc việc cho {key}"],
                    now=NOW)  # fmt: skip
    fake, clock = FakeZalo(), Clock(NOW)
    meter = UsageMeter(engine, "zalo", LIMITED, clock)
    client = ZaloClient("t0ken", "http://zalo.invalid/bot", transport=fake.transport, meter=meter)
    yield fake, client, province, clock
    await client.close()


async def send(client: ZaloClient, engine: Engine, now: datetime) -> DispatchResult:
    channels = {"zalo": ZaloChannel(client), "console": ConsoleChannel(quiet=True)}
    return await dispatch(engine, channels, now, worker="q", settings=LIMITED, cal=CAL)


def counted(engine: Engine, now: datetime = NOW) -> tuple[int, int]:
    with Session(engine) as s:
        figures = usage(s, "zalo", now, LIMITED)
        return figures.sent, figures.received


def alerts(engine: Engine, province: Province) -> list[str]:
    with Session(engine) as s:
        rows = s.exec(
            select(Outbox).where(Outbox.chat_id == province.chats["admin"]).order_by(Outbox.id)
        ).all()
        return [" ".join(o.parts) for o in rows if o.key.startswith("alert:quota")]


def pending(engine: Engine) -> list[tuple[str, int]]:
    """The Zalo notices still waiting: chat and attempts."""
    with Session(engine) as s:
        zalo = {c.id: c.chat_key for c in s.exec(select(Chat).where(Chat.channel == "zalo"))}
        rows = s.exec(select(Outbox).where(Outbox.state == OutboxState.PENDING)).all()
        return sorted((zalo[o.chat_id], o.attempts) for o in rows if o.chat_id in zalo)


async def test_the_month_is_vietnams() -> None:
    assert month_of(datetime(2024, 11, 30, 16, 59, tzinfo=UTC)).month == 11  # 23:59 in Hà Nội
    assert month_of(datetime(2024, 11, 30, 17, 0, tzinfo=UTC)).month == 12  # 00:00 on 01/12


async def test_what_reaches_the_bot_and_what_it_sends_both_count(zalo: Any) -> None:
    fake, client, province, clock = zalo
    await handle_update(FakeZalo.group("zq-0", "zu-1", "xong ạ"), client=client,
                        engine=province.engine, settings=LIMITED, clock=clock)  # fmt: skip
    assert counted(province.engine) == (len(fake.sent), 1)  # its answer was sent, and counted
    assert len(fake.sent) >= 1


async def test_a_spent_quota_holds_the_notices_until_the_month_turns(zalo: Any) -> None:
    fake, client, province, clock = zalo
    with session_scope(province.engine) as s:  # 8 of 10 already used this month
        channel_usage.count(s, "zalo", NOW, LIMITED, received=8)
    [warning] = alerts(province.engine, province)
    assert "80%" in warning and "8/10" in warning and "tháng 12/2024" in warning

    result = await send(client, province.engine, NOW)
    assert [m["chat_id"] for m in fake.sent] == GROUPS[:2]  # the 9th and 10th message
    assert result.held == len(GROUPS) - 2
    assert counted(province.engine) == (2, 8)
    assert pending(province.engine) == [(key, 0) for key in GROUPS[2:]]  # attempts untouched
    warning, spent = alerts(province.engine, province)
    assert "hết hạn mức tháng 12/2024" in spent and "giữ lại trong hàng đợi" in spent

    for minutes in (1, 2, 61, 125):  # the rest of the month: nothing sent, nobody told again
        await send(client, province.engine, NOW + timedelta(minutes=minutes))
    assert len(fake.sent) == 2 and len(alerts(province.engine, province)) == 2

    clock.now = NEXT_MONTH
    result = await send(client, province.engine, NEXT_MONTH)
    assert sorted(m["chat_id"] for m in fake.sent) == sorted(GROUPS)  # each once, in the end
    assert pending(province.engine) == [] and result.held == 0
    assert counted(province.engine, NEXT_MONTH) == (4, 0)


async def test_a_spent_quota_holds_the_schedule_not_what_people_wait_for(zalo: Any) -> None:
    """A request forwarded to the head, a decision, an alert: people wait for these, and
    the officer was told it was sent. They still go; Zalo decides (a 429 pauses it)."""
    fake, client, province, _clock = zalo
    with session_scope(province.engine) as s:
        channel_usage.count(s, "zalo", NOW, LIMITED, received=QUOTA)
        head = ensure_chat(s, channel="zalo", chat_key="zq-head", role=ChatRole.HEAD,
                           agency=s.get(Agency, province.agencies["so-y-te"]), title="head")  # fmt: skip
        s.flush()
        notify(s, head, "test:request", "Đề nghị gia hạn NV7 đến 15/01/2025", NOW)
    result = await send(client, province.engine, NOW)
    assert [m["chat_id"] for m in fake.sent] == ["zq-head"]
    assert result.held == len(GROUPS)


async def test_without_a_quota_zalo_is_counted_but_never_held(zalo: Any) -> None:
    fake, client, province, _clock = zalo
    with session_scope(province.engine) as s:
        channel_usage.count(s, "zalo", NOW, SETTINGS, received=1_000)
    channels = {"zalo": ZaloChannel(client)}
    await dispatch(province.engine, channels, NOW, worker="q", settings=SETTINGS, cal=CAL)
    assert sorted(m["chat_id"] for m in fake.sent) == sorted(GROUPS)
    assert alerts(province.engine, province) == []


async def test_a_count_that_fails_never_sends_a_message_twice(
    zalo: Any, caplog: pytest.LogCaptureFixture
) -> None:
    fake, _client, province, clock = zalo
    broken = UsageMeter(_unreachable(), "zalo", LIMITED, clock)  # the count cannot be written
    client = ZaloClient("t0ken", "http://zalo.invalid/bot", transport=fake.transport, meter=broken)
    result = await send(client, province.engine, NOW)
    await send(client, province.engine, NOW + timedelta(minutes=5))
    assert result.sent == len(GROUPS) and len(fake.sent) == len(GROUPS)
    assert "database unreachable (counting messages)" in caplog.text  # said, no traceback
    assert [r for r in caplog.records if r.exc_info] == []  # no traceback
    await client.close()


def _unreachable() -> Engine:
    from sqlalchemy import create_engine

    return create_engine("sqlite:////nonexistent-folder/usage.db")


async def test_several_processes_counting_at_once_lose_no_message(engine: Engine) -> None:
    """Each count is one INSERT … ON CONFLICT DO UPDATE: counts from many meters add up."""
    build_province(engine)
    meters = [UsageMeter(engine, "zalo", LIMITED, lambda: NOW) for _ in range(4)]
    for _ in range(5):
        for meter in meters:
            meter(sent=1)
            meter(received=2)
    assert counted(engine) == (20, 40)


@pytest.mark.parametrize(
    ("written", "quota"), [("3000", 3000), ("3.000", 3000), ("3,000", 3000), ("", None)]
)
def test_the_quota_is_written_as_people_write_numbers(written: str, quota: int | None) -> None:
    settings = Settings.load({"ZALO_MONTHLY_QUOTA": written}, env_file=None)
    assert settings.zalo_monthly_quota == quota


@pytest.mark.parametrize("written", ["0", "ba nghìn", "-5", "3000 tin", "3,5", "1.5", "²", "3.00"])
def test_a_quota_that_is_not_a_number_of_messages_is_refused(written: str) -> None:
    with pytest.raises(SettingsError, match="ZALO_MONTHLY_QUOTA"):
        Settings.load({"ZALO_MONTHLY_QUOTA": written}, env_file=None)
