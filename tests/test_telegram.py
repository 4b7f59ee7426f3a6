"""The real python-telegram-bot stack against a fake Bot API: binding, a reminder, replies,
buttons, a refused close, an extension approved by the head, the webhook's secret."""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.telegram import TelegramChannel, build_application
from bot.config import Settings
from bot.db import session_scope
from bot.logs import keep_secret
from bot.models import Agency, Assignment, Chat, ChatRole, Status, StatusUpdate
from bot.services.binding import create_link_code
from tests import chat as shared
from tests.fake_telegram import FakeTelegram
from tests.files import LateFile, add_late_files
from tests.province import FRIDAY, Province, at, build_province

TOKEN = "123456:TEST-token-never-logged"
NOW = FRIDAY
TELEGRAM = Settings(telegram_token=TOKEN, telegram_base_url="http://bot-api.invalid/bot")
OFFICER, HEAD, OTHER_OFFICER, ADMIN = 501, 601, 701, 901  # Telegram user ids
SYT_GROUP, SYT_HEAD, STP_GROUP = -100, 601, -200  # chats: the head's is private


@pytest.fixture
async def bot(engine: Engine) -> AsyncIterator[tuple[Any, FakeTelegram, Province]]:
    async with running_bot(engine) as running:
        yield running


@asynccontextmanager
async def running_bot(engine: Engine) -> AsyncIterator[tuple[Any, FakeTelegram, Province]]:
    """The demo province's bot on the real python-telegram-bot stack, polling a fake API."""
    province = build_province(engine)
    fake = FakeTelegram()
    app = build_application(replace(TELEGRAM, admin_telegram_ids=frozenset({str(ADMIN)})),
                            engine=engine, clock=lambda: NOW, transport=fake.transport)  # fmt: skip
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(timeout=1)
        yield app, fake, province
        await app.updater.stop()
        await app.stop()


def code_for(province: Province, agency: str, role: ChatRole) -> str:
    with session_scope(province.engine) as s:
        found = s.get(Agency, province.agencies[agency])
        return create_link_code(s, agency=found, role=role, now=NOW)


async def bind(
    fake: FakeTelegram, province: Province, chat: int, user: int, agency: str, role: ChatRole
) -> str:
    before = len(fake.sent)
    await fake.say(chat, user, f"/lienket {code_for(province, agency, role)}")
    return str((await fake.wait_sent(before + 1))[-1]["text"])


async def tick(app: Any, province: Province, moment: Any = NOW) -> None:
    await shared.tick(province.engine, {"telegram": TelegramChannel(app)}, moment)


def part(province: Province, assignment_id: int) -> Assignment:
    return province.part(assignment_id)


async def test_binding_with_a_one_time_code(bot: Any) -> None:
    _app, fake, province = bot
    code = code_for(province, "so-y-te", ChatRole.GROUP)
    await fake.say(SYT_GROUP, OFFICER, "/start")
    await fake.say(SYT_GROUP, OFFICER, f"/lienket {code}")
    await fake.say(STP_GROUP, OTHER_OFFICER, f"/lienket {code}")  # a code works once
    start, bound, again = [m["text"] for m in await fake.wait_sent(3)]
    assert "chưa được liên kết" in start and "/lienket" in start
    assert "Đã liên kết" in bound and "Sở Y tế" in bound
    assert "mã đã được dùng" in again
    with Session(province.engine) as s:
        chat = s.exec(
            select(Chat).where(Chat.channel == "telegram", Chat.chat_key == str(SYT_GROUP))
        ).one()
        assert (chat.role, chat.agency_id) == (ChatRole.GROUP, province.agencies["so-y-te"])


async def test_a_reply_xong_a_closes_the_right_part(bot: Any) -> None:
    app, fake, province = bot
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    first = province.add_task("31/12/2024", text="Rà soát quy trình nội bộ")
    second = province.add_task("31/12/2024", text="Công khai thủ tục")
    await tick(app, province)
    reminder = (await fake.wait_sent(2))[-1]
    assert reminder["chat"]["id"] == SYT_GROUP and "Kế hoạch 126/KH-UBND" in reminder["text"]
    rows = reminder["reply_markup"]["inline_keyboard"]
    assert [b["callback_data"] for b in rows[0]] == [f"d:{first}", f"p:{first}", f"e:{first}"]
    assert all(len(b["callback_data"].encode()) <= 64 for row in rows for b in row)

    # The reminder covers two tasks: a bare "Xong ạ" asks which one.
    await fake.say(SYT_GROUP, OFFICER, "Xong ạ", reply_to=reminder["message_id"])
    assert f"NV{first}" in (await fake.wait_sent(3))[-1]["text"]
    # One task per reminder: the reply closes it.
    await fake.say(SYT_GROUP, OFFICER, f"/xong NV{second} báo cáo số 12/BC-SYT")
    await fake.wait_sent(4)
    province.add_task("24/12/2024", text="Báo cáo nhanh")
    with session_scope(province.engine) as s:
        s.get(Assignment, first).status = Status.SNOOZED  # type: ignore[union-attr]
    third = max(a for a in range(1, 100) if _exists(province, a))
    await tick(app, province, at(date(2024, 12, 20), 9))
    single = (await fake.wait_sent(5))[-1]
    reply_id = await fake.say(SYT_GROUP, OFFICER, "Xong ạ", reply_to=single["message_id"])
    answer = (await fake.wait_sent(6))[-1]
    assert "Đã ghi nhận" in answer["text"] and "hoàn thành" in answer["text"]
    assert part(province, third).status == Status.DONE
    with Session(province.engine) as s:
        audit = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == third,
                                                  StatusUpdate.field == "status")).one()  # fmt: skip
        assert audit.actor.startswith(f"telegram:{OFFICER}") and audit.chat_id == str(SYT_GROUP)
        assert audit.message_id == str(reply_id) and (audit.old, audit.new) == ("open", "done")
        done = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == second,
                                                 StatusUpdate.field == "status")).one()  # fmt: skip
        assert "12/BC-SYT" in done.note


def _exists(province: Province, assignment_id: int) -> bool:
    with Session(province.engine) as s:
        return s.get(Assignment, assignment_id) is not None


async def test_the_done_button_closes_the_part(bot: Any) -> None:
    app, fake, province = bot
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    only = province.add_task("31/12/2024")
    await tick(app, province)
    reminder = (await fake.wait_sent(2))[-1]
    assert [b["text"] for b in reminder["reply_markup"]["inline_keyboard"][0]] == [
        "✅ Hoàn thành", "📝 Tiến độ", "⏳ Gia hạn"]  # fmt: skip
    await fake.press(SYT_GROUP, OFFICER, f"d:{only}", reminder["message_id"])
    assert "hoàn thành" in (await fake.wait_sent(3))[-1]["text"]
    assert part(province, only).status == Status.DONE
    assert any(method == "answerCallbackQuery" for method, _ in fake.calls)


async def test_the_wrong_agency_cannot_close_and_is_told_who_can(bot: Any) -> None:
    _app, fake, province = bot
    await bind(fake, province, STP_GROUP, OTHER_OFFICER, "so-tu-phap", ChatRole.GROUP)
    target = province.add_task("31/12/2024", coordinate=("so-tu-phap",))
    await fake.say(STP_GROUP, OTHER_OFFICER, f"/xong NV{target}")
    refusal = (await fake.wait_sent(2))[-1]["text"]
    assert "không thể" in refusal and "Sở Y tế" in refusal
    assert part(province, target).status == Status.OPEN
    # As a coordinating agency it may add a note to the task.
    await fake.say(STP_GROUP, OTHER_OFFICER, f"/tiendo NV{target} 50% đã góp ý dự thảo")
    assert "cơ quan phối hợp" in (await fake.wait_sent(3))[-1]["text"]
    assert part(province, target).progress == 0
    # An admin may close it from anywhere.
    await fake.say(STP_GROUP, ADMIN, f"/xong NV{target} đóng thay theo báo cáo giấy")
    await fake.wait_sent(4)
    assert part(province, target).status == Status.DONE


async def test_an_extension_approved_by_the_head_restarts_the_ladder(bot: Any) -> None:
    app, fake, province = bot
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    await bind(fake, province, SYT_HEAD, HEAD, "so-y-te", ChatRole.HEAD)
    target = province.add_task("31/12/2024")
    await tick(app, province)  # the 7-days reminder
    await fake.wait_sent(3)
    await fake.say(SYT_GROUP, OFFICER, f"/giahan NV{target} 15/01/2025 chờ số liệu các huyện")
    assert "Đã gửi đề nghị gia hạn" in (await fake.wait_sent(4))[-1]["text"]
    await tick(app, province, at(date(2024, 12, 20), 9))
    request = (await fake.wait_sent(5))[-1]
    assert request["chat"]["id"] == SYT_HEAD and "chờ số liệu các huyện" in request["text"]
    approve = request["reply_markup"]["inline_keyboard"][0][0]
    assert approve["callback_data"].startswith("ea:")
    # The officer cannot approve it from the group (the typed form of the button); the head can.
    await fake.say(SYT_GROUP, OFFICER, f"/duyet {approve['callback_data'][3:]}")
    assert "Chỉ Thủ trưởng" in (await fake.wait_sent(6))[-1]["text"]
    await fake.press(SYT_HEAD, HEAD, approve["callback_data"], request["message_id"])
    assert "Đã duyệt" in (await fake.wait_sent(7))[-1]["text"]
    assert part(province, target).due_on == date(2025, 1, 15)
    await tick(app, province, at(date(2024, 12, 20), 10))  # the group hears of it
    assert "duyệt gia hạn" in (await fake.wait_sent(8))[-1]["text"]
    await tick(
        app, province, at(date(2025, 1, 6), 8)
    )  # 7 working days before 15/01 (and Monday's digest)
    sent = await fake.wait_sent(10)
    restarted = next(m for m in sent[8:] if m["chat"]["id"] == SYT_GROUP)
    assert "Còn 7 ngày làm việc" in restarted["text"]
    assert any(
        "Tuần này ở Sở Y tế" in m.get("text", "") for m in sent[8:] if m["chat"]["id"] == SYT_HEAD
    )
    await fake.wait_sent(11)  # …and the digest's chart, as a photo
    assert any(name.endswith(".png") and chat == SYT_HEAD for chat, name, _ in fake.documents)


async def test_anything_unclear_gets_a_short_help(bot: Any) -> None:
    app, fake, province = bot
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    province.add_task("31/12/2024")
    await tick(app, province)
    reminder = (await fake.wait_sent(2))[-1]
    await fake.say(SYT_GROUP, OFFICER, "họp lúc mấy giờ ạ?", reply_to=reminder["message_id"])
    assert "chưa hiểu" in (await fake.wait_sent(3))[-1]["text"]


async def test_user_text_is_escaped_in_answers(bot: Any) -> None:
    _app, fake, _province = bot
    await fake.say(SYT_GROUP, OFFICER, "/xong <b>NV1</b>")
    text = (await fake.wait_sent(1))[-1]["text"]
    assert "<b>NV1</b>" not in text


async def test_the_token_never_reaches_a_log(bot: Any, caplog: pytest.LogCaptureFixture) -> None:
    _app, fake, _province = bot
    keep_secret(TOKEN)
    caplog.set_level(logging.DEBUG)
    await fake.say(SYT_GROUP, OFFICER, "/start")
    await fake.wait_sent(1)
    assert TOKEN in "".join(fake.tokens)  # it was in every URL…
    assert TOKEN not in caplog.text  # …and in no log line
    logging.getLogger("somewhere").warning("failed: http://x/bot%s/sendMessage", TOKEN)
    assert TOKEN not in "".join(r.getMessage() for r in caplog.records)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_the_webhook_checks_telegrams_secret_header(engine: Engine) -> None:
    build_province(engine)
    fake = FakeTelegram()
    app = build_application(TELEGRAM, engine=engine, clock=lambda: NOW, transport=fake.transport)
    port = _free_port()
    update = {"update_id": 1, "message": {"message_id": 1, "date": 1734656400, "text": "/start",
              "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
              "chat": {"id": SYT_GROUP, "type": "group", "title": "Nhóm"},
              "from": {"id": OFFICER, "is_bot": False, "first_name": "An"}}}  # fmt: skip
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_webhook(listen="127.0.0.1", port=port, url_path="tg",
                                        webhook_url="https://dondoc.example/tg", secret_token="s3cret-token")  # fmt: skip
        assert ("setWebhook", {"url": "https://dondoc.example/tg", "secret_token": "s3cret-token"}) in [
            (m, {k: p[k] for k in ("url", "secret_token") if k in p}) for m, p in fake.calls]  # fmt: skip
        async with httpx.AsyncClient() as client:
            url = f"http://127.0.0.1:{port}/tg"
            wrong = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "nope"}
            )
            missing = await client.post(url, json=update)
            right = await client.post(
                url, json=update, headers={"X-Telegram-Bot-Api-Secret-Token": "s3cret-token"}
            )
        assert (wrong.status_code, missing.status_code, right.status_code) == (403, 403, 200)
        assert "chưa được liên kết" in (await fake.wait_sent(1))[0]["text"]
        assert len(fake.sent) == 1
        await app.updater.stop()
        await app.stop()


async def test_a_file_sent_with_xong_is_kept_as_evidence(bot: Any) -> None:
    app, fake, province = bot
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    only = province.add_task("31/12/2024")
    await tick(app, province)
    reminder = (await fake.wait_sent(2))[-1]
    await fake.say(SYT_GROUP, OFFICER, "xong ạ", reply_to=reminder["message_id"],
                   document={"file_id": "BQACAgU-bc", "file_unique_id": "u1", "file_name": "BC-125.pdf"})  # fmt: skip
    assert "BC-125.pdf" in (await fake.wait_sent(3))[-1]["text"]
    assert part(province, only).status == Status.DONE
    with Session(province.engine) as s:
        audit = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == only,
                                                  StatusUpdate.field == "status")).one()  # fmt: skip
        assert "BC-125.pdf" in audit.note and "BQACAgU-bc" in audit.note


async def test_a_group_that_becomes_a_supergroup_keeps_its_binding(bot: Any) -> None:
    _app, fake, province = bot
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    await fake.push({"message": {"message_id": 77, "date": 1734656400, "migrate_to_chat_id": -1009876,
                                 "chat": {"id": SYT_GROUP, "type": "group", "title": "Nhóm"},
                                 "from": {"id": OFFICER, "is_bot": False, "first_name": "An"}}})  # fmt: skip
    await fake.say(-1009876, OFFICER, "/start")
    assert "Sở Y tế" in (await fake.wait_sent(2))[-1]["text"]


async def test_an_approved_apology_letter_reaches_the_group_as_a_word_file(
    bot: Any, tmp_path: Any
) -> None:
    from bot.reports.letter import text_of

    app, fake, province = bot
    await bind(fake, province, STP_GROUP, OTHER_OFFICER, "so-tu-phap", ChatRole.GROUP)
    await bind(fake, province, 602, 602, "so-tu-phap", ChatRole.HEAD)
    add_late_files(province.engine, tmp_path, LateFile("LLTP-9", received="16/12/2024 09:00"))
    for text in ("/xinloi LLTP-9", "Chờ kết quả xác minh của Công an tỉnh", "27/12/2024"):
        count = len(fake.sent)
        await fake.say(STP_GROUP, OTHER_OFFICER, text)
        await fake.wait_sent(count + 1)
    await tick(app, province)
    draft = next(
        m for m in reversed(await fake.wait_sent(len(fake.sent))) if m["chat"]["id"] == 602
    )
    count = len(fake.sent)
    await fake.press(
        602,
        602,
        draft["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        draft["message_id"],
    )
    assert "01/PXL-STP" in (await fake.wait_sent(count + 1))[-1]["text"]
    await tick(app, province, at(date(2024, 12, 20), 9))
    await fake.wait_sent(count + 3)
    [(chat, name, data)] = fake.documents
    assert (chat, name) == (STP_GROUP, "xin-loi-LLTP-9.docx")
    assert "01/PXL-STP" in text_of(data) and "27/12/2024" in text_of(data)


async def test_a_file_sent_with_a_question_is_not_an_answer(bot: Any) -> None:
    app, fake, province = bot
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    only = province.add_task("31/12/2024")
    await tick(app, province)
    reminder = (await fake.wait_sent(2))[-1]
    await fake.say(SYT_GROUP, OFFICER, "file này được chưa anh?", reply_to=reminder["message_id"],
                   document={"file_id": "BQACAgU-dt", "file_unique_id": "u2", "file_name": "du-thao.docx"})  # fmt: skip
    assert "chưa hiểu" in (await fake.wait_sent(3))[-1]["text"]
    assert part(province, only).status == Status.OPEN
