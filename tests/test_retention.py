"""Retention: sent messages and the notices no tick can plan again are pruned after
``[retention] days``; a notice the ladder could still reach is kept (it is what keeps a
reminder single), and so is its message; the audit trail is never pruned. On SQLite and
PostgreSQL (the ``engine`` fixture)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

import bot.services.retention as retention
from bot.channels.console import ConsoleChannel
from bot.config import RetentionSettings
from bot.db import make_engine, session_scope
from bot.domain.calendar import VIETNAM
from bot.models import Agency, ChatRole, Notice, Outbox, OutboxState, SentMessage, StatusUpdate
from bot.services import inbox
from bot.services.chats import ensure_chat
from bot.services.retention import expired, prune, prune_daily
from tests.chat import tick
from tests.cli import Dondoc
from tests.province import FRIDAY, SETTINGS, Province, at, build_province

LADDER = SETTINGS.ladder  # before 7, 3, 1; due; late 1, 3, 7; then every 5 working days
NOW = at(date(2025, 12, 1))  # a Monday, long after the province's 2024 notices
KEEP_180 = SETTINGS  # the default: 180 days


def notice(period: str, stage: str, *, file: bool = False) -> Notice:
    return Notice(key="k", chat_id=1, outbox_id=1, stage=stage, period=period,
                  assignment_id=None if file else 1, file_id=1 if file else None)  # fmt: skip


@pytest.mark.parametrize(
    ("period", "stage", "today", "gone"),
    [
        # A recurring period is looked at while it or the next one runs.
        ("2024-12", "late-1", date(2025, 1, 31), False),
        ("2024-12", "late-1", date(2025, 2, 1), True),
        ("2024-Q4", "before-3", date(2025, 3, 31), False),
        ("2024-Q4", "before-3", date(2025, 4, 1), True),
        ("2024-H2", "due", date(2025, 6, 30), False),
        ("2024-H2", "due", date(2025, 7, 1), True),
        ("2024", "late-12", date(2025, 12, 31), False),
        ("2024", "late-12", date(2026, 1, 1), True),
        # A stage before or on the date fires up to that date (a month's margin).
        ("2024-12-31", "before-7", date(2025, 1, 30), False),
        ("2024-12-31", "before-7", date(2025, 2, 1), True),
        ("2024-12-31", "due", date(2025, 2, 1), True),
        # A late stage stays the latest one reached until the next repeat.
        ("2024-12-31", "late-7", date(2025, 1, 31), False),
        ("2024-12-31", "late-7", date(2025, 3, 1), True),
        ("2024-12-31", "late-102", date(2025, 6, 1), False),
        ("2024-12-31", "late-102", date(2025, 8, 1), True),
        # A milestone before the last one stops on its last rung: reached for ever.
        ("m:2024-06-30", "late-7", date(2030, 1, 1), False),
        ("m:2024-06-30", "late-3", date(2025, 1, 1), True),
        ("m:2024-06-30", "before-1", date(2025, 1, 1), True),
        # Something no ladder of today writes: kept.
        ("2024-W51", "late-1", date(2030, 1, 1), False),
        ("2024-12-31", "reminder", date(2030, 1, 1), False),
    ],
)
def test_a_notice_expires_only_when_no_tick_can_plan_it_again(
    period: str, stage: str, today: date, gone: bool
) -> None:
    assert expired(notice(period, stage), today, LADDER) is gone


@pytest.mark.parametrize(
    ("stage", "gone"),
    [("due_soon", True), ("must_apologize", True), ("late_head", True),
     ("late_coordinator", False)],  # the latest stage of a late file, while it is open
)  # fmt: skip
def test_a_late_files_notices(stage: str, gone: bool) -> None:
    assert expired(notice("2025-02-05", stage, file=True), date(2026, 1, 1), LADDER) is gone


def _message(s: Session, chat: int, key: str, state: str, sent_at: datetime | None) -> int:
    row = Outbox(key=key, chat_id=chat, kind="reminder", parts=["Nhắc việc"], state=state,
                 sent_at=sent_at, created_at=sent_at or NOW)  # fmt: skip
    s.add(row)
    s.flush()
    assert row.id is not None
    if sent_at is not None:
        s.add(SentMessage(outbox_id=row.id, chat_id=chat, message_key=f"m-{key}", sent_at=sent_at))
    return row.id


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as s:
        return int(s.exec(select(func.count()).select_from(model)).one())


def test_old_sent_messages_go_with_their_expired_notices_and_the_rest_stays(
    engine: Engine,
) -> None:
    province = build_province(engine)
    part = province.add_task("31/12/2024")
    group = province.chats["group:so-y-te"]
    old, recent = at(date(2024, 12, 20)), NOW - timedelta(days=10)
    with session_scope(engine) as s:
        gone_msg = _message(s, group, "old-sent", OutboxState.SENT, old)
        s.add(Notice(key="a", assignment_id=part, chat_id=group, stage="before-7",
                     period="2024-12-31", outbox_id=gone_msg, created_at=old))  # fmt: skip
        lone = _message(s, group, "old-sent-no-notice", OutboxState.SENT, old)
        # Still reachable (a milestone's last rung): the notice and its message stay.
        kept_msg = _message(s, group, "old-sent-sticky", OutboxState.SENT, old)
        s.add(Notice(key="b", assignment_id=part, chat_id=group, stage="late-7",
                     period="m:2024-06-30", outbox_id=kept_msg, created_at=old))  # fmt: skip
        failed = _message(s, group, "old-failed", OutboxState.FAILED, None)
        pending = _message(s, group, "old-pending", OutboxState.PENDING, None)
        fresh = _message(s, group, "recent-sent", OutboxState.SENT, recent)
        s.add(StatusUpdate(assignment_id=part, at=old, actor="import:test", field="status",
                           old=None, new="open"))  # fmt: skip
    for key, received in (("1", old), ("2", old), ("3", recent)):  # what officers sent
        inbox.store(engine, "telegram", key, {"update_id": int(key)}, received)
        if key != "2":  # 2: never handled (a bot killed), kept for another to handle
            inbox.claim(engine, "telegram", key, "a:1", received)
            inbox.handled(engine, "telegram", key, received)
    audit = _count(engine, StatusUpdate)
    done = prune(engine, NOW, KEEP_180, batch=2)  # small batches: several rounds
    assert (done.notices, done.outbox, done.sent_messages, done.inbox) == (1, 2, 2, 1)
    assert [k for k, _ in inbox.leftovers(engine, "telegram", NOW, older_than=0)] == ["2"]
    with Session(engine) as s:
        left = set(s.exec(select(Outbox.id)).all())
        assert left == {kept_msg, failed, pending, fresh}
        assert gone_msg not in left and lone not in left
        assert [n.key for n in s.exec(select(Notice)).all()] == ["b"]
        kept = set(s.exec(select(SentMessage.outbox_id)).all())
        assert kept == {kept_msg, fresh}
    assert _count(engine, StatusUpdate) == audit  # the audit trail is never pruned
    assert prune(engine, NOW, KEEP_180).total == 0  # nothing more: pruning again is a no-op


def test_days_zero_keeps_everything(engine: Engine) -> None:
    province = build_province(engine)
    with session_scope(engine) as s:
        _message(s, province.chats["admin"], "old", OutboxState.SENT, FRIDAY)
    keep = replace(SETTINGS, retention=RetentionSettings(days=0))
    assert prune(engine, NOW, keep).total == 0
    assert _count(engine, Outbox) == 1


async def test_no_reminder_is_sent_twice_after_its_notices_are_pruned(engine: Engine) -> None:
    """The province's real ladder: a dated part overdue for a year, a monthly part, each
    reminded through 2025 by real ticks; pruned on 01/12/2025; then the ticks of December
    plan nothing that was planned before."""
    province: Province = build_province(engine)
    province.add_task("31/12/2024")  # never done: overdue all year
    province.add_task("Hằng tháng, trước ngày 25")
    console = ConsoleChannel(quiet=True)
    day = date(2024, 12, 16)
    while day < date(2025, 12, 1):
        await tick(engine, {"console": console}, at(day))
        day += timedelta(days=3)
    with Session(engine) as s:
        before = set(s.exec(select(Notice.key)).all())
    done = prune(engine, NOW, KEEP_180)
    assert done.notices > 0 and done.outbox > 0
    with Session(engine) as s:
        kept = set(s.exec(select(Notice.key)).all())
    pruned = before - kept
    for offset in range(31):
        await tick(engine, {"console": console}, NOW + timedelta(days=offset))
    with Session(engine) as s:
        after = set(s.exec(select(Notice.key)).all())
        unsent = s.exec(select(func.count()).where(col(Outbox.state) != OutboxState.SENT)).one()
    assert not (after - kept) & pruned  # no pruned notice was planned again
    assert after - kept  # December's own reminders were planned all the same
    assert unsent == 0


def test_the_tick_prunes_once_a_day_and_never_in_a_replay(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    province = build_province(engine)
    now = datetime.now(VIETNAM)
    with session_scope(engine) as s:
        _message(s, province.chats["admin"], "a", OutboxState.SENT, now - timedelta(days=200))
    monkeypatch.setattr(retention, "_last_day", None)
    assert prune_daily(engine, FRIDAY, SETTINGS) is None  # a replay in 2024: nothing
    assert _count(engine, Outbox) == 1
    first = prune_daily(engine, now, SETTINGS)
    assert first is not None and first.outbox == 1
    with session_scope(engine) as s:
        _message(s, province.chats["admin"], "b", OutboxState.SENT, now - timedelta(days=200))
    assert prune_daily(engine, now + timedelta(minutes=1), SETTINGS) is None  # once a day
    assert _count(engine, Outbox) == 1


def test_dondoc_prune_says_what_it_deleted(dondoc: Dondoc) -> None:
    engine = make_engine(dondoc.env["DATABASE_URL"])
    now = datetime.now(VIETNAM)
    with session_scope(engine) as s:
        agency = s.exec(select(Agency)).first()
        chat = ensure_chat(s, channel="console", chat_key="g", role=ChatRole.GROUP,
                           agency=agency, title="")  # fmt: skip
        s.flush()
        assert chat.id is not None
        _message(s, chat.id, "old", OutboxState.SENT, now - timedelta(days=181))
        _message(s, chat.id, "new", OutboxState.SENT, now - timedelta(days=179))
    engine.dispose()
    said = dondoc.ok("prune").output
    assert said == ("Đã xóa dữ liệu cũ hơn 180 ngày: 1 tin nhắn đã gửi, 1 bản ghi đã gửi, "
                    "0 dấu nhắc việc, 0 tin nhắn đã nhận và xử lý.\n")  # fmt: skip
    (dondoc.folder / "dondoc.toml").write_text("[retention]\ndays = 0\n", encoding="utf-8")
    assert dondoc.ok("prune").output == "Không xóa gì: [retention] days = 0 (giữ mọi dữ liệu).\n"
