"""Groups as Zalo has them (issue #18), against the fake of Zalo's Bot API.

Zalo gives a bot in a group only the messages that mention it or quote it, so in a
Zalo group every message that arrives is for the bot: "@Đôn Đốc xong ạ" is read as an
answer to the last message the bot sent there, and the reminders say how to answer.
Private chats are the fallback: officers and heads bind them with the same codes, an
agency may have several, and each receives the agency's reminders."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.channels.zalo import ZaloChannel, ZaloClient, poll
from bot.config import Settings
from bot.db import session_scope
from bot.models import Agency, Chat, ChatRole, Status, StatusUpdate
from bot.scheduler.dispatcher import dispatch
from bot.scheduler.planner import plan
from bot.services.binding import create_link_code
from tests.fake_zalo import FakeZalo
from tests.province import CAL, FRIDAY, SETTINGS, Province, at, build_province

NOW = FRIDAY
BOT = "Đôn Đốc"

Zalo = tuple[ZaloClient, FakeZalo, Province]


async def _running(engine: Engine, settings: Settings) -> AsyncIterator[Zalo]:
    province = build_province(engine)
    fake = FakeZalo()
    client = ZaloClient("zalo-secret-token", "http://zalo.invalid/bot", transport=fake.transport)
    stop = asyncio.Event()
    poller = asyncio.create_task(
        poll(client, engine=engine, settings=settings, clock=lambda: NOW, stop=stop, wait=1)
    )
    yield client, fake, province
    stop.set()
    await poller
    await client.close()


@pytest.fixture
async def zalo(engine: Engine) -> AsyncIterator[Zalo]:
    """The bot's display name is set (ZALO_BOT_NAME)."""
    async for running in _running(engine, Settings(zalo_bot_name=BOT)):
        yield running


@pytest.fixture
async def unnamed(engine: Engine) -> AsyncIterator[Zalo]:
    """No ZALO_BOT_NAME: mentions are told apart by their capitalised words."""
    async for running in _running(engine, Settings()):
        yield running


def code(province: Province, agency: str, role: ChatRole) -> str:
    with session_scope(province.engine) as s:
        return create_link_code(
            s, agency=s.get(Agency, province.agencies[agency]), role=role, now=NOW
        )


async def _said(fake: FakeZalo, update: dict[str, Any]) -> str:
    before = len(fake.sent)
    await fake.push(update)
    return str((await fake.wait_sent(before + 1))[-1]["text"])


def in_group(fake: FakeZalo, mention: str = BOT) -> Callable[[str, str, str], Any]:
    """``say(chat, user, text)`` in a Zalo group, the bot mentioned before the text."""
    return lambda chat, user, text: _said(fake, FakeZalo.group(chat, user, text, mention=mention))


def in_private(fake: FakeZalo) -> Callable[[str, str, str], Any]:
    """``say(chat, user, text)`` in a private chat, where Zalo's chat id is the user's id."""

    def say(chat: str, user: str, text: str) -> Any:
        assert chat == user, "a private chat's id is its user's id"
        return _said(fake, FakeZalo.private(user, text))

    return say


async def tick(client: ZaloClient, province: Province, moment: Any = NOW, name: str = BOT) -> None:
    """The scheduler's turn (``tests.chat.tick``) with the bot's display name set or not."""
    settings = replace(SETTINGS, zalo_bot_name=name)
    with session_scope(province.engine) as s:
        plan(s, moment, settings=settings, cal=CAL)
    await dispatch(province.engine, {"zalo": ZaloChannel(client)}, moment, worker="z",
                   settings=settings, cal=CAL)  # fmt: skip


def last_to(fake: FakeZalo, chat: str) -> str:
    return str(next(m for m in reversed(fake.sent) if m["chat_id"] == chat)["text"])


def actors(province: Province, part: int) -> list[str]:
    with Session(province.engine) as s:
        rows = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == part)
                      .order_by(col(StatusUpdate.id))).all()  # fmt: skip
        return [f"{r.field}:{r.actor}:{r.chat_id}" for r in rows]


async def test_the_story_in_zalo_groups_by_mention(zalo: Zalo) -> None:
    """Bind, reminder, "xong", an extension asked and approved by the head: the group and
    the head's group address the bot by mention, and nothing else reaches it there."""
    client, fake, province = zalo
    say = in_group(fake)
    bound = await say("zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    assert "Gõ @Đôn Đốc /nhiemvu" in bound  # a command shown in a group is typed after the mention
    assert "Đã liên kết" in bound
    await say("zg-head", "zu-601", f"/lienket {code(province, 'so-y-te', ChatRole.HEAD)}")
    with Session(province.engine) as s:
        assert {c.kind for c in s.exec(select(Chat).where(Chat.channel == "zalo"))} == {"group"}

    first = province.add_task("31/12/2024", text="Rà soát quy trình")
    await tick(client, province)
    reminder = last_to(fake, "zg-syt")
    assert f"nhắc @{BOT} rồi gõ /xong NV{first}" in reminder
    assert f"/xong NV{first}" in reminder and "<b>" not in reminder

    assert "Đã ghi nhận" in await say("zg-syt", "zu-501", "xong ạ")
    assert province.part(first).status == Status.DONE
    assert "status:zalo:zu-501 (Lê Văn Cường):zg-syt" in actors(province, first)

    second = province.add_task("31/12/2024", text="Công khai thủ tục")
    await tick(client, province)
    assert f"NV{second}" in last_to(fake, "zg-syt")
    asked = await say("zg-syt", "zu-502", "xin gia hạn đến 15/01/2025 vì chờ ý kiến Sở Tư pháp")
    assert "Đã gửi đề nghị gia hạn" in asked
    await tick(client, province, at(date(2024, 12, 20), 9))
    to_head = last_to(fake, "zg-head")
    assert "/duyet" in to_head and "chờ ý kiến Sở Tư pháp" in to_head
    command = next(line for line in to_head.splitlines() if "/duyet" in line).split("→ ")[1]
    assert "Đã duyệt" in await say("zg-head", "zu-601", command)
    assert province.part(second).due_on == date(2025, 1, 15)


async def test_a_mention_alone_gets_the_help_and_an_unbound_group_hears_why(zalo: Zalo) -> None:
    _client, fake, province = zalo
    say = in_group(fake)
    assert "chưa được liên kết" in await say("zg-new", "zu-1", "")
    assert "chưa được liên kết" in await say("zg-new", "zu-1", "xong ạ")
    await say("zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    assert "Hướng dẫn" in await say("zg-syt", "zu-501", "")
    helped = await say("zg-syt", "zu-501", "/trogiup")
    assert "Hướng dẫn" in helped and "gõ @ rồi chọn tên bot" in helped  # how a group answers
    assert "“@Đôn Đốc xong ạ”" in helped  # with the configured name


async def test_a_quote_of_the_reminder_is_read_as_its_answer(zalo: Zalo) -> None:
    """Quoting the bot's message reaches it without a mention, and no documented field
    says which message was quoted: the text is read against the bot's last message."""
    client, fake, province = zalo
    await in_group(fake)(
        "zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}"
    )
    part = province.add_task("31/12/2024")
    await tick(client, province)
    quoting = in_group(fake, mention="")
    assert "Đã ghi nhận" in await quoting("zg-syt", "zu-501", "Xong rồi ạ")
    assert province.part(part).status == Status.DONE


async def test_with_two_tasks_reminded_a_quote_is_not_guessed(zalo: Zalo) -> None:
    """Zalo does not say which message a quote answers: with two tasks reminded on two
    days, "xong ạ" may be about the older one, so the bot asks for the code and closes
    nothing; the code then closes the right one."""
    client, fake, province = zalo
    say = in_group(fake)
    await say("zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    older = province.add_task("31/12/2024", text="Báo cáo chuyển đổi số")
    await tick(client, province)
    newer = province.add_task("02/01/2025", text="Rà soát thủ tục")
    await tick(client, province, at(date(2024, 12, 23), 8))  # the newer one's reminder only
    assert f"NV{older}" not in last_to(fake, "zg-syt")
    asked = await say("zg-syt", "zu-501", "xong ạ, đã gửi báo cáo chuyển đổi số")
    assert "chưa rõ tin này trả lời cho nhiệm vụ nào" in asked
    assert f"NV{older}" in asked and f"NV{newer}" in asked
    assert {province.part(p).status for p in (older, newer)} == {Status.OPEN}
    assert "Đã ghi nhận" in await say("zg-syt", "zu-501", f"/xong NV{older}")
    assert (province.part(older).status, province.part(newer).status) == (Status.DONE, Status.OPEN)


async def test_a_member_cannot_move_a_bound_group_to_another_agency(zalo: Zalo) -> None:
    """A code meant for another agency, typed in a bound group by any member, took the
    group away from its agency without a word: now only an admin moves a chat."""
    _client, fake, province = zalo
    say = in_group(fake)
    await say("zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    other = code(province, "so-tu-phap", ChatRole.GROUP)
    refused = await say("zg-syt", "zu-9", f"/lienket {other}")
    assert "đang liên kết với Sở Y tế" in refused and "quản trị viên" in refused
    with Session(province.engine) as s:
        chat = s.exec(select(Chat).where(Chat.chat_key == "zg-syt")).one()
        assert chat.agency_id == province.agencies["so-y-te"]
    again = await say("zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    assert "Đã liên kết" in again  # the same binding again changes nothing: allowed
    assert "Đã liên kết" in await say("zg-stp", "zu-7", f"/lienket {other}")  # the code is unused


async def test_a_question_by_mention_is_no_answer(zalo: Zalo) -> None:
    client, fake, province = zalo
    say = in_group(fake)
    await say("zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    only = province.add_task("31/12/2024")
    await tick(client, province)
    for question in ("hoàn thành chưa anh?", "anh Nam bảo xong rồi"):
        assert "chưa hiểu" in await say("zg-syt", "zu-501", question)
    await say("zg-syt", "zu-501", "Chưa xong")  # a note on progress, the task stays open
    assert province.part(only).status == Status.OPEN
    assert "Đã ghi nhận" in await say("zg-syt", "zu-501", "70%")
    assert province.part(only).progress == 70


async def test_without_the_bots_name_the_reminder_says_so_and_mentions_still_work(
    unnamed: Zalo,
) -> None:
    client, fake, province = unnamed
    say = in_group(fake)
    await say("zg-syt", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    part = province.add_task("31/12/2024")
    await tick(client, province, name="")
    assert f"nhắc tên bot (@…) rồi gõ /xong NV{part}" in last_to(fake, "zg-syt")
    assert "Đã ghi nhận" in await say("zg-syt", "zu-501", "Xong ạ")
    assert province.part(part).status == Status.DONE


async def test_two_officers_private_chats_both_get_the_reminder_and_either_answers(
    zalo: Zalo,
) -> None:
    """Private chats as the fallback: two officers bind theirs as the agency's group, both
    get the reminder (without a word about mentions), one answers, the audit says who."""
    client, fake, province = zalo
    say = in_private(fake)
    for chat in ("zu-501", "zu-502"):
        bound = await say(chat, chat, f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
        assert "Đã liên kết" in bound
    await say("zu-601", "zu-601", f"/lienket {code(province, 'so-y-te', ChatRole.HEAD)}")
    part = province.add_task("31/12/2024")
    await tick(client, province)
    for chat in ("zu-501", "zu-502"):
        reminder = last_to(fake, chat)
        assert f"/xong NV{part}" in reminder and "rồi gõ" not in reminder
    assert "Đã ghi nhận" in await say("zu-502", "zu-502", "xong ạ")
    assert province.part(part).status == Status.DONE
    closed = [a for a in actors(province, part) if a.startswith("status:")]
    assert closed == ["status:zalo:zu-502 (Lê Văn Cường):zu-502"]
    await say("zu-501", "zu-501", f"/xong NV{part}")  # too late: it is closed already
    assert [a for a in actors(province, part) if a.startswith("status:")] == closed


async def test_the_story_in_private_chats(zalo: Zalo) -> None:
    """An extension asked from an officer's private chat, approved from the head's."""
    client, fake, province = zalo
    say = in_private(fake)
    await say("zu-501", "zu-501", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
    await say("zu-601", "zu-601", f"/lienket {code(province, 'so-y-te', ChatRole.HEAD)}")
    part = province.add_task("31/12/2024")
    await tick(client, province)
    asked = await say("zu-501", "zu-501", "xin gia hạn đến 15/01/2025 vì chờ số liệu")
    assert "Đã gửi đề nghị gia hạn" in asked
    await tick(client, province, at(date(2024, 12, 20), 9))
    to_head = last_to(fake, "zu-601")
    command = next(line for line in to_head.splitlines() if "/duyet" in line).split("→ ")[1]
    assert "Đã duyệt" in await say("zu-601", "zu-601", command)
    assert province.part(part).due_on == date(2025, 1, 15)
