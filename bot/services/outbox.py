"""The outbox: every message the bot sends on its own, one row per message, in one store.

Writers (the planner, the chat services) ``enqueue`` rows in their own transaction; the
dispatcher takes them out with ``due``/``due_rows`` and ``claim``/``claim_many``, keeps its
lease with ``renew``, records each part the channel accepted with ``record_part``, and ends
the row with ``finish``, ``fail``, ``retry`` or ``release``.

A row holds ``parts`` (HTML strings, sent in order), ``buttons`` under the last part
(rows of ``[label, callback data]``) and an optional ``attachment`` rendered when sent
(``{"kind": "apology", "id": 7}``, ``{"kind": "chart", ...}``). All times are aware
datetimes (the database keeps UTC); every wait and lease is in seconds.

What the store guarantees, with the dispatcher's protocol (claim, then for each part:
send, ``record_part``; then ``finish``):

- a key is enqueued once: a second ``enqueue`` with the same key adds nothing;
- a row is claimed by one worker at a time: ``claim`` and ``claim_many`` are conditional
  UPDATEs (pending and due, or ``sending`` with a lease that ran out), so two dispatchers
  never both take it; a lease runs from the clock at the claim, and ``renew`` and
  ``record_part`` extend it only for the worker that still holds it, before it runs out;
- each accepted part is committed with its message id before the next is sent, and a
  worker whose lease ran out (another one took the row over) can record nothing more;
- a notice is never lost (its row stays until sent or marked failed) and is sent once,
  except in one window: the channel accepted a part and the bot could not commit that it
  did. Three ways into it: the process dies (a crash, SIGKILL, a power cut) between the
  channel's answer and the commit; the request times out, or its connection drops, after
  Telegram accepted the message (the answer is lost, the bot cannot tell it went, and
  sends it again: at least once rather than maybe never); the database stays away longer
  than the lease after the answer (a shorter outage is waited for: the dispatcher tries
  the commit again until the lease ends). That part is then sent again when the lease
  expires (at least once, never silently dropped).

``enqueue``, ``enqueue_many`` and ``queued`` run in the caller's session; the dispatcher's
calls take the engine and commit before they return, which the guarantees above rely on.
``enqueue_many`` is the planner's: one ``INSERT … ON CONFLICT (key) DO NOTHING`` for a
whole tick's messages, so that two planners at once never write a key twice (the second
waits for the first's commit, then skips the key) and the cost is one statement, not one
flush per message.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Table, and_, func, or_, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from bot.db import driver_value, session_scope
from bot.models import Chat, Outbox, OutboxState, SentMessage

_ERROR_MAX = 2000  # characters of an error kept on the row
_BULK = 1000  # rows per bulk INSERT statement (SQLAlchemy batches them further by parameters)
#: ``Outbox.kind`` of the last message to a chat closed on purpose: the dispatcher sends
#: it though the chat is no longer active (every other row to such a chat fails).
FAREWELL = "farewell"
#: The kinds the planners write on their schedule (reminders, late-file lists, digests,
#: deadlines to set). A channel whose monthly quota is spent holds these; messages
#: between people (a notice of a request or a decision, an alert, a letter) still go.
SCHEDULED = frozenset({"reminder", "files", "digest", "unspecified"})
#: How ``last_error`` begins on a row whose channel stopped (a token refused): the row
#: waits for the channel, and ``dondoc health`` reports the channel down.
CHANNEL_STOPPED = "kênh ngừng gửi: "


def enqueue(
    session: Session,
    *,
    key: str,
    chat: Chat,
    kind: str,
    parts: Sequence[str],
    now: datetime,
    buttons: Sequence[Sequence[Sequence[str]]] = (),
    attachment: dict[str, Any] | None = None,
) -> Outbox | None:
    """Add a message for ``chat``, due at ``now``, unless a row with ``key`` is already there.

    Returns the new row, flushed (its ``id`` is set), or ``None`` when the key was already
    enqueued (whatever its state): the caller adds nothing tied to it then. ``key`` is at
    most 160 characters; ``kind`` names what the message is (reminder, digest, notice…).
    """
    assert chat.id is not None
    if queued(session, key):
        return None
    row = Outbox(
        key=key,
        chat_id=chat.id,
        kind=kind,
        parts=list(parts),
        buttons=[[list(button) for button in line] for line in buttons],
        attachment=attachment,
        next_attempt_at=now,
        created_at=now,
    )
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True, slots=True)
class NewMessage:
    """A message to enqueue in bulk: the same fields as :func:`enqueue`'s, by chat id."""

    key: str  # at most 160 characters
    chat_id: int
    kind: str
    parts: Sequence[str]
    buttons: Sequence[Sequence[Sequence[str]]] = ()
    attachment: dict[str, Any] | None = None


def enqueue_many(session: Session, messages: Sequence[NewMessage], now: datetime) -> dict[str, int]:
    """Add every message whose key is not enqueued yet, due at ``now``, in one statement
    per few hundred rows; returns key → id of the rows added (a key already there, even
    one another transaction is adding, is skipped: it waits for that one's commit)."""
    # The parts and buttons go in as given: JSON writes any sequence as an array, and a
    # copy of each would be a thousand more lists for the garbage collector to go over.
    rows = [
        {"key": m.key, "chat_id": m.chat_id, "kind": m.kind, "parts": m.parts,
         "buttons": m.buttons,
         "attachment": m.attachment, "state": OutboxState.PENDING.value, "attempts": 0,
         "sent_parts": 0, "last_error": "", "next_attempt_at": now, "created_at": now}
        for m in messages
    ]  # fmt: skip
    return insert_new(session, Outbox.metadata.tables["outbox"], rows, returning="id")


def insert_new(
    session: Session, table: Table, rows: Sequence[Mapping[str, Any]], *, returning: str
) -> dict[str, Any]:
    """Insert ``rows`` into ``table``, skipping each whose unique ``key`` is already there
    (``ON CONFLICT (key) DO NOTHING`` on SQLite and PostgreSQL); returns key → the
    ``returning`` column of the rows inserted. Runs in the caller's transaction."""
    if not rows:
        return {}
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        return _insert_new_sqlite(connection, table, rows, returning)
    statement = (
        postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(table.c.key, table.c[returning])
    )
    added: dict[str, Any] = {}
    for start in range(0, len(rows), _BULK):
        result = connection.execute(statement, list(rows[start : start + _BULK]))
        added.update((key, value) for key, value in result.all())
    return added


_SQLITE_VARIABLES = 999  # bound values per statement: SQLite's smallest limit (before 3.32)


def _insert_new_sqlite(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], returning: str
) -> dict[str, Any]:
    """:func:`insert_new` on SQLite as a few multi-row ``INSERT … VALUES (…), (…)``, each
    value converted by its column's own type as SQLAlchemy would (a datetime to UTC text,
    a list to JSON), a value repeated from the row before converted once (a tick's rows
    share their ``now``). SQLAlchemy's generic path spends more on each row's
    bookkeeping than SQLite on the insert."""
    dialect = connection.dialect
    quote = dialect.identifier_preparer.quote
    names = list(rows[0])
    processors = [driver_value(dialect, table.c[n]) for n in names]
    per_statement = max(1, _SQLITE_VARIABLES // len(names))
    # Only the table's own names go into the text, quoted; every value is bound.
    head = f"INSERT INTO {quote(table.name)} ({', '.join(quote(n) for n in names)}) VALUES "  # noqa: S608
    row_sql = f"({', '.join('?' * len(names))})"
    tail = f" ON CONFLICT ({quote('key')}) DO NOTHING RETURNING {quote('key')}, {quote(returning)}"
    last: list[tuple[Any, Any]] = [(_NOTHING, None)] * len(names)  # (value, converted)
    added: dict[str, Any] = {}
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        values: list[Any] = []
        for row in chunk:
            for i, process in enumerate(processors):
                value = row[names[i]]
                if value is last[i][0]:
                    values.append(last[i][1])
                else:
                    last[i] = (value, process(value))
                    values.append(last[i][1])
        sql = head + ", ".join([row_sql] * len(chunk)) + tail
        added.update(connection.exec_driver_sql(sql, tuple(values)).all())
    return added


_NOTHING = object()


def queued(session: Session, key: str) -> bool:
    """Whether a row with ``key`` was ever enqueued (sent, failed or still to send)."""
    return session.exec(select(Outbox.id).where(Outbox.key == key)).first() is not None


def _due(now: datetime) -> ColumnElement[bool]:
    return or_(
        and_(col(Outbox.state) == OutboxState.PENDING, col(Outbox.next_attempt_at) <= now),
        and_(col(Outbox.state) == OutboxState.SENDING, col(Outbox.lease_until) < now),
    )


def due(engine: Engine, channels: Sequence[str], now: datetime, limit: int) -> list[int]:
    """Ids of at most ``limit`` rows to chats on ``channels`` that may be claimed at ``now``
    (pending and due, or claimed by a worker whose lease ran out), oldest first."""
    with Session(engine) as session:
        ids = session.exec(
            select(Outbox.id)
            .join(Chat, col(Outbox.chat_id) == col(Chat.id))
            .where(_due(now), col(Chat.channel).in_(channels))
            .order_by(col(Outbox.id))
            .limit(limit)
        ).all()
    return [i for i in ids if i is not None]


@dataclass(frozen=True)
class DueRow:
    """A row that may be claimed, with what the dispatcher needs to choose among them."""

    id: int
    chat_id: int
    channel: str
    chat_key: str


@dataclass(frozen=True)
class Buckets:
    """The chats one worker of several sends to (``bot.scheduler.fleet``): those whose
    ``chat id mod count`` is among ``owned``."""

    owned: Collection[int]
    count: int


def due_rows(
    engine: Engine, channels: Sequence[str], now: datetime, limit: int, *,
    skip_ids: Collection[int] = (), skip_chats: Collection[int] = (), upto: int | None = None,
    buckets: Buckets | None = None,
) -> list[DueRow]:  # fmt: skip
    """Like :func:`due`, with each row's chat, leaving out the rows ``skip_ids``, the chats
    ``skip_chats`` (those the dispatcher is sending to already) and, with ``upto``, the
    rows added after the row of that id (a pass that sends what was there when it began).

    With ``buckets`` (several workers), only the rows of those chats, and none of a chat
    that has a message in flight under a lease that has not run out, whoever holds it:
    when a chat moves to another worker (one joined or left), its next message waits
    for the one the former owner is sending, so that a chat's messages keep their order."""
    query = (
        select(Outbox.id, Outbox.chat_id, Chat.channel, Chat.chat_key)
        .join(Chat, col(Outbox.chat_id) == col(Chat.id))
        .where(_due(now), col(Chat.channel).in_(channels))
    )
    if buckets is not None:
        flying = aliased(Outbox)
        in_flight = select(flying.chat_id).where(
            col(flying.state) == OutboxState.SENDING, col(flying.lease_until) >= now
        )
        query = query.where(
            (col(Outbox.chat_id) % buckets.count).in_(sorted(buckets.owned)),
            col(Outbox.chat_id).not_in(in_flight),
        )
    if skip_ids:
        query = query.where(col(Outbox.id).not_in(list(skip_ids)))
    if skip_chats:
        query = query.where(col(Outbox.chat_id).not_in(list(skip_chats)))
    if upto is not None:
        query = query.where(col(Outbox.id) <= upto)
    with Session(engine) as session:
        rows = session.exec(query.order_by(col(Outbox.id)).limit(limit)).all()
    return [DueRow(i, c, channel, key) for i, c, channel, key in rows if i is not None]


def recent_sends(
    engine: Engine, channel: str, buckets: Buckets, since: datetime
) -> list[tuple[str, datetime]]:
    """(chat key, when) of each part sent on ``channel`` since ``since`` to the chats of
    ``buckets`` that still have messages to send (pending or in flight): what a worker
    taking those chats over must count in their windows (``bot.scheduler.fleet``)."""
    waiting = select(Outbox.chat_id).where(
        col(Outbox.state).in_([OutboxState.PENDING, OutboxState.SENDING])
    )
    query = (
        select(Chat.chat_key, SentMessage.sent_at)
        .join(Chat, col(SentMessage.chat_id) == col(Chat.id))
        .where(
            col(SentMessage.sent_at) >= since,
            col(Chat.channel) == channel,
            (col(SentMessage.chat_id) % buckets.count).in_(sorted(buckets.owned)),
            col(SentMessage.chat_id).in_(waiting),
        )
    )
    with Session(engine) as session:
        return [(str(key), at) for key, at in session.exec(query).all()]


def last_id(engine: Engine) -> int:
    """The id of the newest row (0 when there is none)."""
    with Session(engine) as session:
        return int(session.exec(select(func.max(Outbox.id))).one() or 0)


def claim_many(
    engine: Engine, ids: Sequence[int], worker: str, now: datetime, lease_seconds: int
) -> list[int]:
    """:func:`claim` for several rows in one statement; returns the ids taken (those still
    due at ``now``). On PostgreSQL the rows another dispatcher is claiming at this moment
    are skipped (``FOR UPDATE SKIP LOCKED``) rather than waited for."""
    if not ids:
        return []
    wanted: Any = list(ids)
    if engine.dialect.name == "postgresql":
        wanted = (
            select(Outbox.id)
            .where(col(Outbox.id).in_(list(ids)), _due(now))
            .with_for_update(skip_locked=True)
            .scalar_subquery()
        )
    with session_scope(engine) as session:
        taken = session.execute(
            update(Outbox)
            .where(col(Outbox.id).in_(wanted), _due(now))
            .values(
                state=OutboxState.SENDING,
                claimed_by=worker,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=col(Outbox.attempts) + 1,
            )
            .returning(col(Outbox.id))
        ).scalars()
        return sorted(int(i) for i in taken)


def renew(engine: Engine, outbox_id: int, worker: str, now: datetime, lease_seconds: int) -> bool:
    """``worker`` keeps the row until ``now + lease_seconds``; ``False`` (nothing changed)
    when it no longer holds it or its lease ran out before ``now`` (another worker may
    take it at any moment: nothing more may be sent)."""
    with session_scope(engine) as session:
        renewed = session.execute(
            update(Outbox)
            .where(
                col(Outbox.id) == outbox_id,
                col(Outbox.state) == OutboxState.SENDING,
                col(Outbox.claimed_by) == worker,
                col(Outbox.lease_until) >= now,
            )
            .values(lease_until=now + timedelta(seconds=lease_seconds))
        )
        return bool(renewed.rowcount == 1)  # type: ignore[attr-defined]  # a CursorResult


def claim(engine: Engine, outbox_id: int, worker: str, now: datetime, lease_seconds: int) -> bool:
    """Take the row for ``worker`` until ``now + lease_seconds`` and count one attempt.

    ``False`` when it is not due: sent, failed, waiting for its next attempt, or claimed
    by a worker whose lease has not run out. Committed before it returns.
    """
    with session_scope(engine) as session:
        claimed = session.execute(
            update(Outbox)
            .where(col(Outbox.id) == outbox_id, _due(now))
            .values(
                state=OutboxState.SENDING,
                claimed_by=worker,
                lease_until=now + timedelta(seconds=lease_seconds),
                attempts=col(Outbox.attempts) + 1,
            )
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]  # a CursorResult


def record_part(
    engine: Engine, outbox_id: int, worker: str, sent_parts: int, message_key: str, now: datetime,
    *, lease_until: datetime | None = None, last: bool = False,
) -> bool:  # fmt: skip
    """The channel accepted a part as ``message_key``: ``sent_parts`` are now delivered (a
    retry goes on after them) and a reply to that message leads back to the row. An empty
    ``message_key`` is a part the channel had nothing to show for (Zalo leaves a digest's
    chart out): it counts as delivered, and there is no message to reply to.

    ``False`` (nothing recorded) when ``worker`` no longer holds the row. ``lease_until``
    renews the lease in the same transaction; ``last`` ends the row as :func:`finish`
    does, in the same transaction too.
    """
    with session_scope(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        if row.claimed_by != worker:
            return False
        row.sent_parts = sent_parts
        if lease_until is not None:
            row.lease_until = lease_until
        if last:
            row.state, row.sent_at, row.lease_until, row.last_error = (
                OutboxState.SENT,
                now,
                None,
                "",
            )
        session.add(row)
        # A message id the channel gave before (Zalo's ids are not documented as unique)
        # must not undo the record: the part was delivered, and would be sent again.
        if message_key and not _known(session, row.chat_id, message_key):
            session.add(SentMessage(outbox_id=outbox_id, chat_id=row.chat_id,
                                    message_key=message_key, sent_at=now))  # fmt: skip
    return True


def _known(session: Session, chat_id: int, message_key: str) -> bool:
    return (
        session.exec(
            select(SentMessage.id).where(
                SentMessage.chat_id == chat_id, SentMessage.message_key == message_key
            )
        ).first()
        is not None
    )


def replace_parts(
    engine: Engine, outbox_id: int, worker: str, before: list[str], after: list[str]
) -> bool:
    """Keep the pieces a row is sent as (split to a channel's limit), so that a retry counts
    the same pieces. ``False`` when ``worker`` no longer holds the row or its parts changed."""
    with session_scope(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        if row.claimed_by != worker or list(row.parts) != before:
            return False
        row.parts = after
        session.add(row)
    return True


def attempts(engine: Engine, outbox_id: int) -> int:
    """How many times the row was claimed (the current claim included)."""
    with Session(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        return row.attempts


def finish(engine: Engine, outbox_id: int, now: datetime) -> None:
    """Every part was delivered: the row is ``sent`` at ``now`` and never taken again."""
    _end(engine, outbox_id, OutboxState.SENT, now, "")


def fail(engine: Engine, outbox_id: int, now: datetime, error: str) -> None:
    """The row is given up: ``failed`` with ``error``, never taken again."""
    _end(engine, outbox_id, OutboxState.FAILED, now, error)


def retry(engine: Engine, outbox_id: int, now: datetime, wait_seconds: float, error: str) -> None:
    """Back to ``pending``, due ``wait_seconds`` after ``now``; the parts already delivered
    are not sent again."""
    with session_scope(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        row.state = OutboxState.PENDING
        row.lease_until = None
        row.next_attempt_at = now + timedelta(seconds=wait_seconds)
        row.last_error = error[:_ERROR_MAX]
        session.add(row)


def release(engine: Engine, outbox_id: int, now: datetime, wait_seconds: float, error: str) -> None:
    """Like :func:`retry`, but the attempt :func:`claim` counted is given back: the
    channel, not the message, could not send (a paused or stopped channel), so the row
    keeps its place and its attempts."""
    retry(engine, outbox_id, now, wait_seconds, error)
    with session_scope(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        row.attempts = max(row.attempts - 1, 0)
        session.add(row)


def _end(engine: Engine, outbox_id: int, state: OutboxState, now: datetime, error: str) -> None:
    with session_scope(engine) as session:
        row = session.get(Outbox, outbox_id)
        assert row is not None
        row.state = state
        row.lease_until = None
        row.last_error = error[:_ERROR_MAX]
        if state == OutboxState.SENT:
            row.sent_at = now
        session.add(row)
