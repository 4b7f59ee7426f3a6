"""The outbox store on a real database: enqueued once by key, claimed by one worker at a
time, each part recorded by the worker holding the row, ended as sent, failed or retried."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import session_scope
from bot.models import Chat, ChatRole, Outbox, OutboxState, SentMessage
from bot.services import outbox as store
from bot.services.chats import deactivate_chat

NOW = datetime(2024, 12, 20, 1, 0, tzinfo=UTC)
LEASE = 120  # seconds


@pytest.fixture
def chat(engine: Engine) -> Chat:
    with session_scope(engine) as session:
        row = Chat(channel="console", chat_key="nhom:so-y-te", role=ChatRole.GROUP, title="Nhóm")
        session.add(row)
    return row


def _enqueue(engine: Engine, chat: Chat, key: str = "notice:1", parts: int = 2) -> int:
    with session_scope(engine) as session:
        row = store.enqueue(session, key=key, chat=chat, kind="notice", now=NOW,
                            parts=[f"Phần {i + 1}" for i in range(parts)])  # fmt: skip
        assert row is not None and row.id is not None
        return row.id


def _row(engine: Engine, outbox_id: int) -> Outbox:
    with Session(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        return row


def test_enqueue_is_idempotent_by_key(engine: Engine, chat: Chat) -> None:
    with session_scope(engine) as session:
        first = store.enqueue(session, key="extension:7:1", chat=chat, kind="notice",
                              parts=["Đề nghị gia hạn"], now=NOW, buttons=[[("✅ Duyệt", "ea:7")]],
                              attachment={"kind": "apology", "id": 7})  # fmt: skip
        assert first is not None and first.id is not None
        again = store.enqueue(session, key="extension:7:1", chat=chat, kind="notice",
                              parts=["Khác"], now=NOW + timedelta(hours=1))  # fmt: skip
        assert again is None
        assert store.queued(session, "extension:7:1")
        assert not store.queued(session, "extension:8:1")
    with session_scope(engine) as session:  # a later transaction: still once
        assert store.enqueue(session, key="extension:7:1", chat=chat, kind="notice",
                             parts=["Khác"], now=NOW) is None  # fmt: skip
        [row] = session.exec(select(Outbox)).all()
    assert row.parts == ["Đề nghị gia hạn"] and row.chat_id == chat.id
    assert row.buttons == [[["✅ Duyệt", "ea:7"]]]
    assert row.attachment == {"kind": "apology", "id": 7}
    assert row.state == OutboxState.PENDING and row.attempts == 0
    assert row.next_attempt_at == NOW


def test_due_lists_the_rows_to_claim_on_the_channels_given(engine: Engine, chat: Chat) -> None:
    outbox_id = _enqueue(engine, chat)
    assert store.due(engine, ["console"], NOW, 10) == [outbox_id]
    assert store.due(engine, ["telegram"], NOW, 10) == []
    assert store.due(engine, ["console"], NOW - timedelta(seconds=1), 10) == []


def test_claim_refuses_a_live_lease_and_takes_the_row_after_it(engine: Engine, chat: Chat) -> None:
    outbox_id = _enqueue(engine, chat)
    assert store.claim(engine, outbox_id, "a", NOW, LEASE)
    row = _row(engine, outbox_id)
    assert (row.state, row.claimed_by, row.attempts) == (OutboxState.SENDING, "a", 1)
    assert row.lease_until == NOW + timedelta(seconds=LEASE)
    assert not store.claim(engine, outbox_id, "b", NOW + timedelta(seconds=60), LEASE)
    assert not store.claim(engine, outbox_id, "b", NOW + timedelta(seconds=LEASE), LEASE)
    assert store.due(engine, ["console"], NOW + timedelta(seconds=LEASE), 10) == []
    later = NOW + timedelta(seconds=LEASE + 1)
    assert store.claim(engine, outbox_id, "b", later, LEASE)
    row = _row(engine, outbox_id)
    assert (row.claimed_by, row.attempts) == ("b", 2)
    assert row.lease_until == later + timedelta(seconds=LEASE)


def test_only_the_worker_holding_the_row_records_its_parts(engine: Engine, chat: Chat) -> None:
    outbox_id = _enqueue(engine, chat)
    assert store.claim(engine, outbox_id, "a", NOW, LEASE)
    assert store.record_part(engine, outbox_id, "a", 1, "m-1", NOW)
    assert store.claim(engine, outbox_id, "b", NOW + timedelta(seconds=LEASE + 1), LEASE)
    assert not store.record_part(engine, outbox_id, "a", 2, "m-2", NOW)  # a lost it
    assert not store.replace_parts(engine, outbox_id, "a", ["Phần 1", "Phần 2"], ["x"])
    assert _row(engine, outbox_id).sent_parts == 1  # b goes on after the first part
    assert not store.replace_parts(engine, outbox_id, "b", ["changed"], ["x"])
    assert store.replace_parts(engine, outbox_id, "b", ["Phần 1", "Phần 2"], ["Phần 1", "2a", "2b"])
    assert store.record_part(engine, outbox_id, "b", 2, "m-2", NOW)
    row = _row(engine, outbox_id)
    assert row.parts == ["Phần 1", "2a", "2b"] and row.sent_parts == 2
    with Session(engine) as session:
        sent = session.exec(select(SentMessage).order_by(col(SentMessage.id))).all()
    assert [(m.outbox_id, m.chat_id, m.message_key) for m in sent] == [
        (outbox_id, chat.id, "m-1"),
        (outbox_id, chat.id, "m-2"),
    ]


def test_a_finished_row_is_sent_and_never_taken_again(engine: Engine, chat: Chat) -> None:
    outbox_id = _enqueue(engine, chat)
    assert store.claim(engine, outbox_id, "a", NOW, LEASE)
    store.finish(engine, outbox_id, NOW + timedelta(seconds=5))
    row = _row(engine, outbox_id)
    assert row.state == OutboxState.SENT and row.lease_until is None
    assert row.sent_at == NOW + timedelta(seconds=5) and row.last_error == ""
    assert not store.claim(engine, outbox_id, "b", NOW + timedelta(days=1), LEASE)


def test_a_failed_row_keeps_its_error_and_is_never_taken_again(engine: Engine, chat: Chat) -> None:
    outbox_id = _enqueue(engine, chat)
    assert store.claim(engine, outbox_id, "a", NOW, LEASE)
    store.fail(engine, outbox_id, NOW, "Forbidden: bot was kicked " + "x" * 3000)
    row = _row(engine, outbox_id)
    assert row.state == OutboxState.FAILED and row.lease_until is None and row.sent_at is None
    assert row.last_error.startswith("Forbidden") and len(row.last_error) == 2000
    assert not store.claim(engine, outbox_id, "b", NOW + timedelta(days=1), LEASE)


def test_a_retried_row_waits_then_goes_on_after_its_sent_parts(engine: Engine, chat: Chat) -> None:
    outbox_id = _enqueue(engine, chat, parts=3)
    assert store.claim(engine, outbox_id, "a", NOW, LEASE)
    assert store.record_part(engine, outbox_id, "a", 1, "m-1", NOW)
    store.retry(engine, outbox_id, NOW, 90.0, "429 Too Many Requests")
    row = _row(engine, outbox_id)
    assert row.state == OutboxState.PENDING and row.lease_until is None
    assert row.next_attempt_at == NOW + timedelta(seconds=90)
    assert row.last_error == "429 Too Many Requests" and row.sent_parts == 1
    assert store.attempts(engine, outbox_id) == 1
    assert not store.claim(engine, outbox_id, "a", NOW + timedelta(seconds=89), LEASE)
    assert store.claim(engine, outbox_id, "a", NOW + timedelta(seconds=90), LEASE)
    assert store.attempts(engine, outbox_id) == 2 and _row(engine, outbox_id).sent_parts == 1


def test_one_way_to_deactivate_a_chat_tells_the_other_admins_once(
    engine: Engine, chat: Chat
) -> None:
    with session_scope(engine) as session:
        admins = [Chat(channel="console", chat_key=f"quan-tri-{i}", role=ChatRole.ADMIN)
                  for i in range(2)]  # fmt: skip
        session.add_all(admins)
    with session_scope(engine) as session:
        unlinked = session.get(Chat, chat.id)
        assert unlinked is not None
        deactivate_chat(session, unlinked, NOW, tell_admins=False)  # dondoc unlink, /huylienket
        assert not unlinked.active and session.exec(select(Outbox)).all() == []
        gone = session.get(Chat, admins[0].id)
        assert gone is not None
        for _ in range(2):  # the same minute: told once
            deactivate_chat(session, gone, NOW, reason="Forbidden: bot was kicked")
        rows = session.exec(select(Outbox)).all()
    assert not gone.active
    assert [(r.chat_id, r.kind) for r in rows] == [(admins[1].id, "notice")]
    assert "bot was kicked" in rows[0].parts[0]


def test_claim_many_takes_only_the_rows_still_due_and_renew_only_for_their_holder(
    engine: Engine, chat: Chat
) -> None:
    ids = [_enqueue(engine, chat, key=f"notice:{i}") for i in range(3)]
    assert store.claim(engine, ids[1], "b", NOW, LEASE)  # another dispatcher has the second
    later = NOW + timedelta(seconds=30)
    assert store.claim_many(engine, ids, "a", later, LEASE) == [ids[0], ids[2]]
    row = _row(engine, ids[0])
    assert (row.claimed_by, row.attempts, row.lease_until) == (
        "a",
        1,
        later + timedelta(seconds=LEASE),
    )
    assert store.claim_many(engine, ids, "c", later, LEASE) == []  # never two holders
    assert store.renew(engine, ids[0], "a", later + timedelta(seconds=60), LEASE)
    assert _row(engine, ids[0]).lease_until == later + timedelta(seconds=60 + LEASE)
    assert not store.renew(engine, ids[1], "a", later, LEASE)  # not its row
    expired = later + timedelta(seconds=60 + LEASE + 1)
    assert not store.renew(engine, ids[2], "a", expired, LEASE)  # its lease ran out first
    assert store.claim_many(engine, [ids[2]], "c", expired, LEASE) == [ids[2]]
    assert not store.record_part(engine, ids[2], "a", 1, "m-1", expired)


def test_the_last_part_recorded_ends_the_row_in_the_same_transaction(
    engine: Engine, chat: Chat
) -> None:
    outbox_id = _enqueue(engine, chat, parts=1)
    assert store.claim_many(engine, [outbox_id], "a", NOW, LEASE) == [outbox_id]
    assert store.record_part(engine, outbox_id, "a", 1, "m-1", NOW, last=True,
                             lease_until=NOW + timedelta(seconds=LEASE))  # fmt: skip
    row = _row(engine, outbox_id)
    assert (row.state, row.sent_at, row.lease_until, row.sent_parts) == (
        OutboxState.SENT,
        NOW,
        None,
        1,
    )
    assert store.claim_many(engine, [outbox_id], "b", NOW + timedelta(days=1), LEASE) == []


def test_the_planners_bulk_enqueue_stores_what_one_enqueue_stores(
    engine: Engine, chat: Chat
) -> None:
    """A tick's messages go in by the hundred (on SQLite as hand-built multi-row INSERTs):
    each column holds what the one-by-one ``enqueue`` writes, byte for byte, across
    statement boundaries; a key already there is skipped, and its row left as it was."""
    assert chat.id is not None
    parts, buttons = ["🔔 <b>Nhắc việc – Sở Y tế</b>", "Phần 2 &amp; hết"], [[("✅ Xong", "d:7")]]
    attachment = {"kind": "chart", "rows": [["Sở Y tế", {"late": 1}]]}
    with session_scope(engine) as session:
        store.enqueue(session, key="one", chat=chat, kind="reminder", parts=parts, now=NOW,
                      buttons=buttons, attachment=attachment)  # fmt: skip
        many = [store.NewMessage(key=f"many:{i}", chat_id=chat.id, kind="reminder", parts=parts,
                                 buttons=buttons, attachment=attachment) for i in range(200)]  # fmt: skip
        added = store.enqueue_many(
            session, [*many, store.NewMessage("one", chat.id, "x", ["y"])], NOW
        )
    assert sorted(added) == sorted(m.key for m in many)
    with engine.connect() as conn:
        stored = {row.key: row for row in conn.exec_driver_sql("SELECT * FROM outbox")}
    assert {key: row.id for key, row in stored.items() if key != "one"} == added
    one = stored["one"]._asdict()
    for message in many:
        row = stored[message.key]._asdict()
        assert {**row, "id": one["id"], "key": "one"} == one
