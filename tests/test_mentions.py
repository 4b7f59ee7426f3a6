"""Leading @mentions come off before a command or an answer is read (issue #18): the
bot's known name exactly, any other name by its capitalised words, never the answer."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.channels.console import ConsoleChannel
from bot.domain.mentions import strip_mentions
from bot.handlers.core import Incoming, handle_message
from bot.models import SentMessage, Status
from bot.services.actions import Sender
from tests.chat import say, tick
from tests.province import CAL, FRIDAY, SETTINGS, build_province

TODAY = date(2024, 12, 20)


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("@Đôn Đốc xong ạ", "xong ạ"),
        ("@dondoc /xong NV12", "/xong NV12"),
        ("@dondoc_bot /xong@dondoc_bot NV12 đã gửi", "/xong@dondoc_bot NV12 đã gửi"),
        ("@Đôn Đốc", ""),
        ("  @Đôn Đốc  ", ""),
        ("@Đôn Đốc Xong ạ", "Xong ạ"),
        ("@Đôn Đốc Chưa xong", "Chưa xong"),  # "xong" alone would close the task
        ("@Đôn Đốc 70%", "70%"),
        ("@Đôn Đốc, xin gia hạn đến 30/12 vì chờ số liệu", "xin gia hạn đến 30/12 vì chờ số liệu"),
        ("@Đôn Đốc: xong", "xong"),
        ("@Đôn Đốc @Nguyễn Văn An xong rồi", "xong rồi"),
        ("@Đôn Đốc\nxong ạ", "xong ạ"),
        ("@Đôn Đốc ✅", "✅"),
        ("@Đôn Đốc hoàn thành chưa anh?", "hoàn thành chưa anh?"),
        ("xong ạ", "xong ạ"),
        ("/xong NV12", "/xong NV12"),
        ("gửi @Đôn Đốc xong", "gửi @Đôn Đốc xong"),  # only leading mentions
        ("@", ""),
        ("@Đôn Đốc Chờ kết quả xác minh của Công an tỉnh", "Chờ kết quả xác minh của Công an tỉnh"),
        ("@Đôn Đốc 20/02/2025", "20/02/2025"),  # the date an apology's draft asks for
        ("@Đôn Đốc Xin gia hạn đến 30/12", "gia hạn đến 30/12"),  # the same request
    ],
)
def test_a_name_not_known_is_its_capitalised_words(text: str, left: str) -> None:
    assert strip_mentions(text, today=TODAY) == left


@pytest.mark.parametrize(
    ("text", "left"),
    [
        ("@Đôn Đốc Xong ạ", "Xong ạ"),
        ("@đôn đốc Chờ kết quả xác minh", "Chờ kết quả xác minh"),  # known: nothing else eaten
        ("@Đôn Đốc Nhắc Việc xong", "Nhắc Việc xong"),
        ("@Đôn Đốc Nhắc Việc", "Nhắc Việc"),
        ("@Đôn Đốc", ""),
        # the same name written with combining marks (decomposed, as some keyboards send it)
        ("@Đo\u0302n Đo\u0302\u0301c xong", "xong"),
        ("@dondoc xong", "xong"),  # another mention of the bot, not known by this name
    ],
)
def test_the_bots_known_name_comes_off_exactly(text: str, left: str) -> None:
    assert strip_mentions(text, ("Đôn Đốc",), today=TODAY) == left


# --- In the handler: every channel, Telegram's groups keep their reply threading -------


async def test_in_a_telegram_style_group_a_mention_is_no_reply_but_a_reply_is(
    engine: Engine,
) -> None:
    """A group where the bot reads every message (Telegram): "@bot xong ạ" without a reply
    is talk among officers; replying to the reminder it closes the task; "@bot /nhiemvu"
    is the command."""
    province = build_province(engine)
    part = province.add_task("31/12/2024")
    await tick(engine, {"console": ConsoleChannel(quiet=True)}, FRIDAY)
    officer = Sender("console", "group:so-y-te", "u-501", "Lê Văn Cường")
    assert say(engine, officer, "@dondoc_bot xong ạ", FRIDAY) == ""
    assert province.part(part).status == Status.OPEN
    assert f"NV{part}" in say(engine, officer, "@dondoc_bot /nhiemvu", FRIDAY)
    with Session(engine) as s:
        key = s.exec(
            select(SentMessage.message_key).where(
                SentMessage.chat_id == province.chats["group:so-y-te"]
            )
        ).first()
        assert key is not None
        incoming = Incoming(officer, "@dondoc_bot xong ạ", reply_to=key)
        answers = handle_message(s, incoming, FRIDAY, CAL, SETTINGS.apology)
        s.commit()
    assert "Đã ghi nhận" in answers[0].html
    assert province.part(part).status == Status.DONE


async def test_a_mention_alone_in_a_private_chat_gets_the_help(engine: Engine) -> None:
    build_province(engine)
    head = Sender("console", "head:so-y-te", "u-601", private=True)
    assert "Hướng dẫn" in say(engine, head, "@Đôn Đốc", FRIDAY)
    stranger = Sender("console", "nowhere", "u-1", private=True)
    assert "chưa được liên kết" in say(engine, stranger, "@Đôn Đốc", FRIDAY)


def test_commands_shown_in_a_zalo_group_are_written_after_the_mention() -> None:
    from bot.domain.mentions import mention_commands

    text = "Gõ <code>/xong NV25</code> hoặc /tiendo NV25 70%; xem https://a.vn/xong và 12/2024"
    assert mention_commands(text, "Đôn Đốc") == (
        "Gõ <code>@Đôn Đốc /xong NV25</code> hoặc @Đôn Đốc /tiendo NV25 70%; "
        "xem https://a.vn/xong và 12/2024"
    )
