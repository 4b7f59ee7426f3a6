"""Planner and dispatcher on a real database: each notice planned once, sent once."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from bot.channels import Buttons, ChatMigrated, PermanentError, TransientError
from bot.channels.console import ConsoleChannel
from bot.db import make_engine, session_scope
from bot.models import Assignment, Chat, OutboxState, SentMessage, Status
from bot.render import TELEGRAM_LIMIT, visible_length
from bot.scheduler.dispatcher import dispatch
from bot.scheduler.planner import plan
from bot.scheduler.runner import tick
from bot.services.assignments import Actor, extend, mark_done
from tests.province import CAL, SETTINGS, Province, at

DEC_31 = "31/12/2024"


def run_plan(province: Province, moment: object) -> int:
    with session_scope(province.engine) as s:
        return len(plan(s, moment, settings=SETTINGS, cal=CAL).messages)  # type: ignore[arg-type]


def run_tick(province: Province, moment: object, channel: object | None = None) -> object:
    console = channel or ConsoleChannel(quiet=True)
    return asyncio.run(tick(province.engine, {"console": console}, moment, settings=SETTINGS))  # type: ignore[arg-type,dict-item]


def test_stages_reach_group_then_head_then_coordinator_and_admins(province: Province) -> None:
    province.add_task(DEC_31)
    for day in (date(2024, 12, 20), date(2025, 1, 2), date(2025, 1, 6), date(2025, 1, 10)):
        run_tick(province, at(day))
    assert sorted(province.notices()) == sorted(
        [
            ("before-7", "group:so-y-te"),
            ("late-1", "group:so-y-te"),
            ("late-3", "group:so-y-te"),
            ("late-3", "head:so-y-te"),
            ("late-7", "group:so-y-te"),
            ("late-7", "head:so-y-te"),
            ("late-7", "coordinator"),
            ("late-7", "admin"),
        ]
    )


def test_quiet_hours_weekends_and_holidays_send_nothing(province: Province) -> None:
    province.add_task(DEC_31)
    for moment in (at(date(2024, 12, 20), 6, 59), at(date(2024, 12, 20), 17, 0),
                   at(date(2024, 12, 21), 9), at(date(2025, 1, 1), 9)):  # fmt: skip
        assert run_plan(province, moment) == 0
    assert run_plan(province, at(date(2024, 12, 20), 7, 30)) == 1
    # Planned inside the window, but the dispatcher waits for the next one.
    channel = ConsoleChannel(quiet=True)
    result = asyncio.run(dispatch(province.engine, {"console": channel}, at(date(2024, 12, 20), 17, 5),
                                  worker="w", settings=SETTINGS, cal=CAL))  # fmt: skip
    assert result.sent == 0 and channel.sent == []
    run_tick(province, at(date(2024, 12, 23), 7, 30), channel)
    assert len(channel.sent) == 1


def test_catch_up_after_downtime_sends_only_the_latest_stage(province: Province) -> None:
    province.add_task(DEC_31)
    run_tick(province, at(date(2025, 1, 7)))  # down since before the first reminder
    assert sorted(province.notices()) == [("late-3", "group:so-y-te"), ("late-3", "head:so-y-te")]


def test_a_restart_sends_nothing_twice(province: Province, db_url: str) -> None:
    province.add_task(DEC_31)
    first = ConsoleChannel(quiet=True)
    run_tick(province, at(date(2024, 12, 20), 8), first)
    province.engine.dispose()
    restarted = Province(make_engine(db_url), province.agencies, province.chats, province.plan_id)
    second = ConsoleChannel(quiet=True)
    for minute in range(3):
        run_tick(restarted, at(date(2024, 12, 20), 9, minute), second)
    assert len(first.sent) == 1 and second.sent == []
    restarted.engine.dispose()


def test_several_notices_for_one_chat_are_one_message(province: Province) -> None:
    for _ in range(3):
        province.add_task(DEC_31)
    channel = ConsoleChannel(quiet=True)
    run_tick(province, at(date(2024, 12, 20)), channel)
    assert len(channel.sent) == 1
    assert channel.sent[0][1].count("Còn 7 ngày làm việc") == 3


def test_long_messages_are_split_under_telegrams_limit(province: Province) -> None:
    for i in range(60):
        province.add_task(DEC_31, text=f"Nhiệm vụ số {i}: " + "rà soát, đơn giản hóa thủ tục " * 8)
    run_plan(province, at(date(2024, 12, 20)))
    [message] = province.outbox()
    assert len(message.parts) > 1
    assert all(visible_length(p) <= TELEGRAM_LIMIT for p in message.parts)
    joined = "\n".join(message.parts)
    assert all(f"Nhiệm vụ số {i}:" in joined for i in range(60))


def test_user_text_is_escaped_in_html(province: Province) -> None:
    province.add_task(DEC_31, text="Báo cáo <b>gấp</b> & đầy đủ")
    run_plan(province, at(date(2024, 12, 20)))
    text = province.outbox()[0].parts[0]
    assert "Báo cáo &lt;b&gt;gấp&lt;/b&gt; &amp; đầy đủ" in text


def test_a_reminder_says_what_the_agencys_part_covers(province: Province) -> None:
    part_id = province.add_task(DEC_31)
    with session_scope(province.engine) as s:
        part = s.get(Assignment, part_id)
        assert part is not None
        part.scope = "đối với cơ sở y tế"
    run_plan(province, at(date(2024, 12, 20)))
    assert "Phần việc của đơn vị: đối với cơ sở y tế" in province.outbox()[0].parts[0]


def test_a_done_reply_stops_the_ladder(province: Province) -> None:
    part_id = province.add_task(DEC_31)
    run_tick(province, at(date(2024, 12, 20)))
    with session_scope(province.engine) as s:
        part = s.get(Assignment, part_id)
        assert part is not None
        mark_done(s, part, Actor("telegram:42"), at(date(2024, 12, 23)))
    for day in (date(2024, 12, 26), date(2025, 1, 2), date(2025, 1, 10)):
        run_tick(province, at(day))
    assert province.notices() == [("before-7", "group:so-y-te")]


def test_an_extension_restarts_the_ladder(province: Province) -> None:
    part_id = province.add_task(DEC_31)
    run_tick(province, at(date(2025, 1, 6)))  # late-3 to group and head
    with session_scope(province.engine) as s:
        part = s.get(Assignment, part_id)
        assert part is not None
        extend(s, part, date(2025, 1, 20), Actor("telegram:7"), at(date(2025, 1, 6), 10))
    run_tick(province, at(date(2025, 1, 6), 11))  # 10 working days ahead: nothing yet
    run_tick(province, at(date(2025, 1, 9)))
    run_tick(province, at(date(2025, 1, 15)))
    assert [n for n, _ in province.notices()] == ["late-3", "late-3", "before-7", "before-3"]
    assert province.part(part_id).due_on == date(2025, 1, 20)


def test_two_dispatchers_at_once_send_each_message_once(province: Province) -> None:
    for code in ("so-y-te", "so-tu-phap", "so-noi-vu"):
        province.add_task(DEC_31, lead=code)
    run_plan(province, at(date(2025, 1, 10)))  # late-7: group, head, coordinator, admin
    messages = len(province.outbox())
    assert messages == 3 * 2 + 2

    class Yielding(ConsoleChannel):
        async def send(self, chat_key: str, html_text: str, buttons: Buttons | None = None) -> str:
            await asyncio.sleep(0)  # hand over to the other dispatcher mid-send
            return await super().send(chat_key, html_text, buttons)

    channel = Yielding(quiet=True)

    async def both() -> None:
        moment = at(date(2025, 1, 10), 8, 1)
        await asyncio.gather(
            dispatch(
                province.engine,
                {"console": channel},
                moment,
                worker="a",
                settings=SETTINGS,
                cal=CAL,
            ),
            dispatch(
                province.engine,
                {"console": channel},
                moment,
                worker="b",
                settings=SETTINGS,
                cal=CAL,
            ),
        )

    asyncio.run(both())
    assert len(channel.sent) == messages
    assert len(set(channel.sent)) == messages
    assert {o.state for o in province.outbox()} == {OutboxState.SENT}


def test_a_dispatcher_that_died_is_taken_over_after_its_lease(province: Province) -> None:
    province.add_task(DEC_31)
    run_plan(province, at(date(2024, 12, 20)))
    [message] = province.outbox()
    assert message.id is not None
    moment = at(date(2024, 12, 20), 8, 1)

    class DiesOnSend(ConsoleChannel):
        async def send(self, chat_key: str, html_text: str, buttons: Buttons | None = None) -> str:
            raise KeyboardInterrupt  # the process dies after taking the message

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(dispatch(province.engine, {"console": DiesOnSend(quiet=True)}, moment,
                             worker="dead", settings=SETTINGS, cal=CAL))  # fmt: skip
    [taken] = province.outbox()
    assert (taken.state, taken.claimed_by, taken.sent_parts) == (OutboxState.SENDING, "dead", 0)
    channel = ConsoleChannel(quiet=True)
    soon = asyncio.run(dispatch(province.engine, {"console": channel}, moment + timedelta(seconds=60),
                                worker="b", settings=SETTINGS, cal=CAL))  # fmt: skip
    assert soon.sent == 0
    later = asyncio.run(dispatch(province.engine, {"console": channel}, moment + timedelta(minutes=3),
                                 worker="b", settings=SETTINGS, cal=CAL))  # fmt: skip
    assert later.sent == 1 and len(channel.sent) == 1


def test_a_crash_between_parts_resumes_after_the_last_sent_part(province: Province) -> None:
    for i in range(60):
        province.add_task(DEC_31, text=f"Nhiệm vụ {i} " + "công khai thủ tục hành chính " * 8)
    run_plan(province, at(date(2024, 12, 20)))
    [message] = province.outbox()
    total = len(message.parts)
    assert total >= 3

    class CrashesOnSecond(ConsoleChannel):
        async def send(self, chat_key: str, html_text: str, buttons: Buttons | None = None) -> str:
            if len(self.sent) == 1:
                raise KeyboardInterrupt  # the process dies here
            return await super().send(chat_key, html_text, buttons)

    crashing = CrashesOnSecond(quiet=True)
    moment = at(date(2024, 12, 20), 8, 1)
    with pytest.raises(KeyboardInterrupt):
        asyncio.run(dispatch(province.engine, {"console": crashing}, moment, worker="a",
                             settings=SETTINGS, cal=CAL))  # fmt: skip
    assert province.outbox()[0].sent_parts == 1
    after = ConsoleChannel(quiet=True)
    asyncio.run(dispatch(province.engine, {"console": after}, moment + timedelta(minutes=5), worker="b",
                         settings=SETTINGS, cal=CAL))  # fmt: skip
    assert [text for _, text in after.sent] == message.parts[1:]
    with Session(province.engine) as s:
        assert len(s.exec(select(SentMessage)).all()) == total


class Failing(ConsoleChannel):
    def __init__(self, error: Exception) -> None:
        super().__init__(quiet=True)
        self.error = error

    async def send(self, chat_key: str, html_text: str, buttons: Buttons | None = None) -> str:
        if chat_key == "group:so-y-te":
            raise self.error
        return await super().send(chat_key, html_text, buttons)


def test_transient_errors_are_retried_after_retry_after(province: Province) -> None:
    province.add_task(DEC_31)
    run_plan(province, at(date(2024, 12, 20)))
    moment = at(date(2024, 12, 20), 8, 1)
    asyncio.run(dispatch(province.engine, {"console": Failing(TransientError("429", retry_after=90))},
                         moment, worker="a", settings=SETTINGS, cal=CAL))  # fmt: skip
    [message] = province.outbox()
    assert message.state == OutboxState.PENDING and message.attempts == 1
    assert message.next_attempt_at == moment + timedelta(seconds=90)
    channel = ConsoleChannel(quiet=True)
    early = asyncio.run(dispatch(province.engine, {"console": channel}, moment + timedelta(seconds=60),
                                 worker="a", settings=SETTINGS, cal=CAL))  # fmt: skip
    late = asyncio.run(dispatch(province.engine, {"console": channel}, moment + timedelta(seconds=91),
                                worker="a", settings=SETTINGS, cal=CAL))  # fmt: skip
    assert (early.sent, late.sent) == (0, 1)


def _dispatch_twice(province: Province, channel: Failing, moment: datetime) -> None:
    """Two passes at ``moment``: the failure, then what follows from it (a chat gone, a
    chat moved)."""
    for _ in range(2):
        asyncio.run(dispatch(province.engine, {"console": channel}, moment, worker="a",
                             settings=SETTINGS, cal=CAL))  # fmt: skip


def test_a_removed_bot_deactivates_the_chat_and_tells_the_admins(province: Province) -> None:
    province.add_task(DEC_31)
    run_plan(province, at(date(2024, 12, 20)))
    channel = Failing(PermanentError("Forbidden: bot was kicked from the group chat"))
    moment = at(date(2024, 12, 20), 8, 1)
    _dispatch_twice(province, channel, moment)
    with Session(province.engine) as s:
        group = s.get(Chat, province.chats["group:so-y-te"])
        assert group is not None and not group.active
    [admin_alert] = [text for key, text in channel.sent if key == "admin"]
    assert "Không gửi được" in admin_alert and "Sở Y tế" in admin_alert
    assert province.outbox()[0].state == OutboxState.FAILED


def test_a_group_migrated_to_a_supergroup_is_followed(province: Province) -> None:
    province.add_task(DEC_31)
    run_plan(province, at(date(2024, 12, 20)))
    channel = Failing(ChatMigrated("-1001234567890"))
    moment = at(date(2024, 12, 20), 8, 1)
    _dispatch_twice(province, channel, moment)
    assert [key for key, _ in channel.sent] == ["-1001234567890"]
    with Session(province.engine) as s:
        group = s.get(Chat, province.chats["group:so-y-te"])
        assert group is not None and group.chat_key == "-1001234567890"


def test_sent_message_ids_lead_back_to_the_assignments(province: Province) -> None:
    part_id = province.add_task(DEC_31)
    run_tick(province, at(date(2024, 12, 20)))
    with Session(province.engine) as s:
        from bot.models import Notice

        sent = s.exec(select(SentMessage)).one()
        notice = s.exec(select(Notice).where(Notice.outbox_id == sent.outbox_id)).one()
        assert notice.assignment_id == part_id


def test_unspecified_deadlines_go_to_the_admins_once_a_week(province: Province) -> None:
    province.add_task("Theo kế hoạch")
    province.add_task(DEC_31, lead="so-noi-vu")
    monday = date(2024, 12, 23)
    for moment in (
        at(monday, 7, 45),
        at(monday, 8),
        at(monday, 9),
        at(monday + timedelta(days=1), 8),
    ):
        run_plan(province, moment)
    lists = [o for o in province.outbox() if o.kind == "unspecified"]
    assert len(lists) == 1
    assert "Theo kế hoạch" in lists[0].parts[0] and "Sở Y tế" in lists[0].parts[0]
    # It says why, and how an admin gives the date.
    assert "không nêu ngày cụ thể" in lists[0].parts[0]
    assert "dondoc tasks set-deadline NV" in lists[0].parts[0]
    run_plan(province, at(monday + timedelta(days=7), 8))  # the next week's list
    assert len([o for o in province.outbox() if o.kind == "unspecified"]) == 2


def test_cost_follows_what_is_due(province: Province) -> None:
    far = [province.add_task("31/12/2026") for _ in range(20)]
    near = province.add_task(DEC_31)
    with session_scope(province.engine) as s:
        first = plan(s, at(date(2024, 12, 20)), settings=SETTINGS, cal=CAL)
    assert first.checked == 21  # every part is looked at once…
    with session_scope(province.engine) as s:
        again = plan(s, at(date(2024, 12, 20), 9), settings=SETTINGS, cal=CAL)
    assert again.checked == 0  # …then only on the day its next stage can fire
    assert province.part(far[0]).check_on == date(2026, 12, 22)
    assert province.part(near).check_on == date(2024, 12, 26)


def test_status_of_closed_parts_is_left_alone(province: Province) -> None:
    part_id = province.add_task(DEC_31)
    with session_scope(province.engine) as s:
        part = s.get(Assignment, part_id)
        assert part is not None
        part.status = Status.SNOOZED
    assert run_plan(province, at(date(2025, 1, 10))) == 0


def test_a_reminder_says_why_its_date_was_chosen(province: Province) -> None:
    province.add_task("Cuối quý IV/2024")
    province.add_task("Giữa tháng 12/2024", lead="so-noi-vu")
    run_plan(province, at(date(2024, 12, 11), 8))  # 7 working days before 20/12
    texts = " ".join(part for o in province.outbox() for part in o.parts)
    assert "(giữa tháng 12/2024)" in texts
