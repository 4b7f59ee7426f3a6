"""Real input from real people, through the real python-telegram-bot stack against the fake
Bot API (which refuses what Telegram refuses: a text over 4,096 characters after entity
parsing, broken HTML, a group that became a supergroup): issue 12, kinds 1 to 4."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.channels.telegram import TelegramChannel
from bot.db import session_scope
from bot.models import (
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    Outbox,
    OutboxState,
    Status,
    StatusUpdate,
)
from bot.render import TELEGRAM_LIMIT, visible_length
from bot.scheduler.dispatcher import dispatch
from bot.services.actions import notify
from tests.fake_telegram import FakeTelegram, visible_text
from tests.province import CAL, SETTINGS, Province, at, build_province
from tests.test_telegram import (
    HEAD,
    NOW,
    OFFICER,
    SYT_GROUP,
    SYT_HEAD,
    bind,
    running_bot,
    tick,
)

SUPERGROUP = -1009876  # the same group after Telegram made it a supergroup
FAILED = "gặp lỗi"  # the words of the answer to an update that failed


@pytest.fixture
async def chat(engine: Engine) -> AsyncIterator[tuple[Any, FakeTelegram, Province]]:
    async with running_bot(engine) as running:
        yield running


async def ask(fake: FakeTelegram, chat_id: int, user: int, text: str, **kw: Any) -> list[str]:
    """Everything the bot answers to ``text``: a /trogiup after it marks the end (updates
    are handled in order), so a split answer is seen whole."""
    before = len(fake.sent)
    await fake.say(chat_id, user, text, **kw)
    await fake.say(chat_id, user, "/trogiup")
    sent = await fake.wait_sent(before + 2)
    while "Hướng dẫn dondoc" not in sent[-1]["text"]:
        sent = await fake.wait_sent(len(sent) + 1)
    return [m["text"] for m in sent[before:-1]]


def _chat_id(province: Province, chat_key: int) -> int | None:
    with Session(province.engine) as s:
        return s.exec(select(Chat.id).where(Chat.chat_key == str(chat_key))).one()


def _status(province: Province, part_id: int) -> str:
    return province.part(part_id).status


# --- kind 1: messages longer than a channel allows ------------------------------------------


async def test_nhiemvu_with_many_open_tasks_arrives_in_several_messages(chat: Any) -> None:
    _app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    ids = [
        province.add_task("31/12/2024", text=f"Nhiệm vụ {i}: rà soát, đơn giản hóa " * 4)
        for i in range(45)
    ]
    answers = await ask(fake, SYT_GROUP, OFFICER, "/nhiemvu")
    assert len(answers) >= 2 and not any(FAILED in a for a in answers)
    assert all(visible_length(a) <= TELEGRAM_LIMIT for a in answers)
    joined = "\n".join(answers)
    assert all(f"NV{i}" in joined for i in ids[:40]) and "5 việc khác" in joined


async def test_a_long_done_note_is_kept_whole_and_shown_short(chat: Any) -> None:
    _app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    target = province.add_task("31/12/2024")
    note = "đã gửi báo cáo số 12/BC-SYT và https://syt.gov.vn/bc " * 200  # ~10,000 characters
    [answer] = await ask(fake, SYT_GROUP, OFFICER, f"/xong NV{target} {note}")
    assert "hoàn thành" in answer and len(answer) < 1500
    assert _status(province, target) == Status.DONE
    with Session(province.engine) as s:
        audit = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == target,
                                                  StatusUpdate.field == "status")).one()  # fmt: skip
    assert note.strip() in audit.note  # the audit trail keeps every word


async def test_a_long_reason_reaches_the_head_with_the_buttons(chat: Any) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    await bind(fake, province, SYT_HEAD, HEAD, "so-y-te", ChatRole.HEAD)
    target = province.add_task("31/12/2024")
    reason = "chờ số liệu của 10 huyện & ý kiến <Sở Tư pháp> " * 150  # ~7,000 characters
    [requested] = await ask(fake, SYT_GROUP, OFFICER, f"/giahan NV{target} 15/01/2025 {reason}")
    assert "Đã gửi đề nghị gia hạn" in requested
    before = len(fake.sent)
    await tick(app, province, at(date(2024, 12, 20), 9))
    to_head = [m for m in fake.sent[before:] if m["chat"]["id"] == SYT_HEAD]
    assert to_head and "chờ số liệu của 10 huyện & ý kiến <Sở Tư pháp>" in visible_text(
        to_head[0]["text"]
    )
    assert "reply_markup" in to_head[-1]  # Duyệt / Không duyệt under the last piece
    with Session(province.engine) as s:
        row = s.exec(
            select(Outbox).where(
                col(Outbox.key).startswith("extension:"),
                Outbox.chat_id == _chat_id(province, SYT_HEAD),
            )
        ).one()
        assert (row.state, row.attempts) == (OutboxState.SENT, 1)


async def test_a_notice_longer_than_telegram_allows_is_split_not_retried(chat: Any) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_HEAD, HEAD, "so-y-te", ChatRole.HEAD)
    lines = [f"<b>Dòng {i}</b> – <i>rà soát &amp; công khai thủ tục 🗂️</i>" for i in range(300)]
    with session_scope(province.engine) as s:
        head = s.exec(select(Chat).where(Chat.chat_key == str(SYT_HEAD))).one()
        notify(s, head, "long:1", "\n".join(lines), NOW, [[("✅ Duyệt", "ea:1")]])
    await dispatch(province.engine, {"telegram": TelegramChannel(app)}, NOW, worker="t",
                   settings=SETTINGS, cal=CAL)  # fmt: skip
    sent = [m for m in fake.sent if m["chat"]["id"] == SYT_HEAD][1:]
    assert len(sent) >= 3 and all(visible_length(m["text"]) <= TELEGRAM_LIMIT for m in sent)
    shown = "\n".join(visible_text(m["text"]) for m in sent)
    assert all(f"Dòng {i} –" in shown for i in range(300))
    assert "reply_markup" in sent[-1] and all("reply_markup" not in m for m in sent[:-1])
    [row] = [o for o in province.outbox() if o.key == "long:1"]
    assert (row.state, row.attempts) == (OutboxState.SENT, 1)


async def test_message_is_too_long_makes_a_split_never_a_retry_loop(chat: Any) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    for i in range(12):
        province.add_task("31/12/2024", text=f"Nhiệm vụ {i}: " + "rà soát thủ tục hành chính " * 8)
    fake.max_length = 1000  # a Bot API server that counts tighter than dondoc does
    await tick(app, province)
    [row] = [
        o
        for o in province.outbox()
        if o.kind == "reminder" and o.chat_id == _chat_id(province, SYT_GROUP)
    ]
    assert (row.state, row.attempts, row.last_error) == (OutboxState.SENT, 1, "")
    sent = [m["text"] for m in fake.sent if m["chat"]["id"] == SYT_GROUP][1:]
    assert len(sent) > 2 and all(f"Nhiệm vụ {i}:" in "".join(sent) for i in range(12))
    with Session(province.engine) as s:
        assert s.exec(select(Chat).where(Chat.chat_key == str(SYT_GROUP))).one().active


# --- kind 2: one bad row must not stop the work of all ----------------------------------------


async def test_a_migration_onto_a_bound_group_merges_the_two_chats(chat: Any) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    target = province.add_task("31/12/2024")
    with session_scope(province.engine) as s:  # the reminder is planned for the old group…
        from bot.scheduler.planner import plan

        plan(s, NOW, settings=SETTINGS, cal=CAL)
    # …and meanwhile someone bound the new supergroup with /lienket.
    await bind(fake, province, SUPERGROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    fake.migrated[SYT_GROUP] = SUPERGROUP
    channels = {"telegram": TelegramChannel(app)}
    first = await dispatch(province.engine, channels, NOW, worker="t", settings=SETTINGS, cal=CAL)
    assert first.retried == 1  # no IntegrityError: the chats were merged
    await dispatch(province.engine, channels, at(date(2024, 12, 20), 8, 1), worker="t",
                   settings=SETTINGS, cal=CAL)  # fmt: skip
    reminder = fake.sent[-1]
    assert reminder["chat"]["id"] == SUPERGROUP and f"d:{target}" in str(reminder["reply_markup"])
    with Session(province.engine) as s:
        chats = {c.chat_key: c for c in s.exec(select(Chat).where(Chat.channel == "telegram"))}
        assert not chats[str(SYT_GROUP)].active and chats[str(SUPERGROUP)].active
        rows = s.exec(select(Outbox)).all()
        to_telegram = [r for r in rows if r.kind == "reminder" and r.chat_id in
                       (chats[str(SYT_GROUP)].id, chats[str(SUPERGROUP)].id)]  # fmt: skip
        assert [r.state for r in to_telegram] == [OutboxState.SENT]
        alerts = [r for r in rows if r.key.startswith("alert:merged:")]
        assert len(alerts) == 1 and "siêu nhóm" in alerts[0].parts[0]  # to the admin chat


async def test_a_migration_update_onto_a_bound_group_merges_too(chat: Any) -> None:
    _app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    await bind(fake, province, SUPERGROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    await fake.push({"message": {"message_id": 77, "date": 1734656400, "migrate_to_chat_id": SUPERGROUP,
                                 "chat": {"id": SYT_GROUP, "type": "group", "title": "Nhóm"},
                                 "from": {"id": OFFICER, "is_bot": False, "first_name": "An"}}})  # fmt: skip
    [started] = await ask(fake, SUPERGROUP, OFFICER, "/start")
    assert "Sở Y tế" in started
    with Session(province.engine) as s:
        old = s.exec(select(Chat).where(Chat.chat_key == str(SYT_GROUP))).one()
        assert not old.active
        assert (
            len(s.exec(select(Outbox).where(col(Outbox.key).startswith("alert:merged:"))).all())
            == 1
        )


async def test_a_failing_message_gets_an_answer_not_silence(
    chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _app, fake, _province = chat

    def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("a bug somewhere below the handler")

    monkeypatch.setattr("bot.channels.telegram.handle_message", broken)
    await fake.say(SYT_GROUP, OFFICER, "/nhiemvu")
    assert FAILED in (await fake.wait_sent(1))[-1]["text"]


async def test_a_failing_button_is_acknowledged_with_a_word(
    chat: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    only = province.add_task("31/12/2024")
    await tick(app, province)
    reminder = (await fake.wait_sent(2))[-1]

    def broken(*_args: Any, **_kw: Any) -> Any:
        raise RuntimeError("a bug somewhere below the handler")

    monkeypatch.setattr("bot.channels.telegram.handle_button", broken)
    await fake.press(SYT_GROUP, OFFICER, f"d:{only}", reminder["message_id"])
    [answered] = await fake.wait_answered(1)
    assert FAILED in answered["text"] and answered.get("show_alert") in (True, "true")
    assert _status(province, only) == Status.OPEN


# --- kind 3: a question is not an answer ---------------------------------------------------


@pytest.mark.parametrize(
    "question", ["xong chưa vậy?", "hoàn thành chưa anh?", "xong roi a?", "nếu xong thì báo em"]
)
async def test_a_question_in_reply_to_a_reminder_leaves_the_task_open(
    chat: Any, question: str
) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    only = province.add_task("31/12/2024")
    await tick(app, province)
    reminder = (await fake.wait_sent(2))[-1]
    [answer] = await ask(fake, SYT_GROUP, OFFICER, question, reply_to=reminder["message_id"])
    assert "chưa hiểu" in answer
    assert _status(province, only) == Status.OPEN
    [done] = await ask(fake, SYT_GROUP, OFFICER, "xong ạ", reply_to=reminder["message_id"])
    assert "Đã ghi nhận" in done and _status(province, only) == Status.DONE


# --- kind 4: numbers from users -----------------------------------------------------------

HUGE = "1" * 30


@pytest.mark.parametrize(
    "command",
    ["/duyet ²", f"/duyet {HUGE}", "/khongduyet ٣", "/duyetxl ²", f"/tralai {HUGE}",
     "/xong NV²", f"/xong NV{HUGE}", f"/tiendo NV{HUGE} 50%", "/xinloi ²", f"/xinloi {HUGE}",
     "/giahan NV² 15/01/2025 chờ số liệu", "/duyet 0", "/duyet -5"],
)  # fmt: skip
async def test_odd_numbers_in_commands_get_an_answer(chat: Any, command: str) -> None:
    _app, fake, province = chat
    await bind(fake, province, SYT_HEAD, HEAD, "so-y-te", ChatRole.HEAD)
    answers = await ask(fake, SYT_HEAD, HEAD, command)
    assert answers and not any(FAILED in a for a in answers)


@pytest.mark.parametrize("data", ["ea:²", f"ea:{HUGE}", "er:٣", f"d:{HUGE}", "d:²", "x:²",
                                  f"aa:{HUGE}", "ab:", "p:NV²", "zz:1"])  # fmt: skip
async def test_odd_numbers_in_buttons_get_an_answer(chat: Any, data: str) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_HEAD, HEAD, "so-y-te", ChatRole.HEAD)
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    province.add_task("31/12/2024")
    await tick(app, province)
    reminder = (await fake.wait_sent(3))[-1]
    await fake.press(SYT_HEAD, HEAD, data, reminder["message_id"])
    answered = await fake.wait_answered(1)
    answer = (await fake.wait_sent(4))[-1]["text"]
    assert FAILED not in answer and all(FAILED not in str(a.get("text", "")) for a in answered)
    with Session(province.engine) as s:
        assert all(p.status == Status.OPEN for p in s.exec(select(Assignment)).all())


async def test_a_message_telegram_refuses_is_not_retried_and_the_chat_stays(chat: Any) -> None:
    app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    province.add_task("31/12/2024")
    fake.fail_next = {"error_code": 400, "description": "Bad Request: can't parse entities"}
    await tick(app, province)
    [row] = [o for o in province.outbox() if o.chat_id == _chat_id(province, SYT_GROUP)]
    assert (row.state, row.attempts) == (OutboxState.FAILED, 1)  # no retry loop
    with Session(province.engine) as s:
        assert s.exec(select(Chat).where(Chat.chat_key == str(SYT_GROUP))).one().active
        told = s.exec(
            select(Outbox).where(col(Outbox.key).startswith(f"alert:outbox:{row.id}:"))
        ).all()
    assert len(told) == 1 and "không gửi được" in told[0].parts[0]


def test_a_migration_onto_an_unbound_chat_carries_the_binding_over(engine: Engine) -> None:
    from bot.services.chats import follow_migration

    province = build_province(engine)
    with session_scope(engine) as s:
        old = Chat(channel="telegram", chat_key=str(SYT_GROUP), role=ChatRole.GROUP,
                   agency_id=province.agencies["so-y-te"], title="Nhóm Sở Y tế")  # fmt: skip
        unbound = Chat(channel="telegram", chat_key=str(SUPERGROUP), role=ChatRole.GROUP,
                       agency_id=province.agencies["so-tu-phap"], active=False)  # fmt: skip
        s.add_all([old, unbound])
    with session_scope(engine) as s:
        kept = follow_migration(s, "telegram", str(SYT_GROUP), str(SUPERGROUP), NOW)
        assert kept is not None and kept.chat_key == str(SUPERGROUP) and kept.active
        assert kept.agency_id == province.agencies["so-y-te"]
    with Session(engine) as s:
        assert not s.exec(select(Chat).where(Chat.chat_key == str(SYT_GROUP))).one().active


async def test_an_extension_to_a_date_years_away_is_refused(chat: Any) -> None:
    _app, fake, province = chat
    await bind(fake, province, SYT_GROUP, OFFICER, "so-y-te", ChatRole.GROUP)
    target = province.add_task("31/12/2024")
    [answer] = await ask(fake, SYT_GROUP, OFFICER, f"/giahan NV{target} 31/12/9999 chờ số liệu")
    assert "không hợp lệ" in answer and "Đã gửi" not in answer
    with Session(province.engine) as s:
        assert s.exec(select(ExtensionRequest)).all() == []
