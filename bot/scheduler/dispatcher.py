"""Drain the outbox to the channels, each message once.

A message is claimed with a conditional UPDATE (pending and due, or claimed by a worker
whose lease ran out), so two dispatchers never both take it. Each part that a channel
accepts is committed with its message id before the next is sent; a retry goes on after
the last committed part.

Each part is split to the channel's limit before the first send (the split is kept, so a
retry counts the same pieces); a piece the channel still finds too long is split smaller,
never sent again as it was. One row that fails in a way nobody foresaw is put back with
a backoff (failed after ``max_attempts``), the admins are told once, and the pass goes
on with the other rows.

What is guaranteed: a notice is never lost (its row stays until sent or marked failed)
and is sent once, except in one window: a crash after the channel accepted a part and
before that part was committed. That part is then sent again when the lease expires
(at least once, never silently dropped).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.channels import (
    Channel,
    ChatMigrated,
    MessageRejected,
    PermanentError,
    TooLong,
    TransientError,
)
from bot.config import Settings
from bot.db import session_scope
from bot.domain.calendar import WorkCalendar
from bot.models import Agency, Chat, Outbox, OutboxState, SentMessage
from bot.render import answer, blocks, split_message, split_smaller
from bot.services.actions import alert_admins
from bot.services.chats import follow_migration

log = logging.getLogger(__name__)

_BACKOFF_BASE = 30.0  # seconds; doubles with each attempt
_BACKOFF_MAX = 3600.0


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0


def backoff(attempts: int, retry_after: float | None = None) -> float:
    """Seconds to wait before the next attempt; the channel's ``retry_after`` wins if longer."""
    wait = min(_BACKOFF_BASE * 2.0 ** max(attempts - 1, 0), _BACKOFF_MAX)
    return max(wait, retry_after or 0.0)


async def dispatch(
    engine: Engine,
    channels: Mapping[str, Channel],
    now: datetime,
    *,
    worker: str,
    settings: Settings,
    cal: WorkCalendar,
    limit: int = 200,
) -> DispatchResult:
    result = DispatchResult()
    if not cal.in_window(now) or not channels:
        return result
    for outbox_id in _candidates(engine, list(channels), now, limit):
        if not _claim(engine, outbox_id, worker, now, settings.dispatch.lease_seconds):
            continue  # another dispatcher has it
        try:
            await _deliver(engine, channels, outbox_id, worker, now, settings, cal, result)
        except Exception as exc:  # one bad row must not stop the others
            log.exception("outbox %s failed", outbox_id)
            _set_aside(engine, outbox_id, now, settings, exc, result)
    return result


def _set_aside(
    engine: Engine, outbox_id: int, now: datetime, settings: Settings, exc: Exception,
    result: DispatchResult,
) -> None:  # fmt: skip
    """A row that failed unexpectedly: back to pending with a backoff (failed once it has
    had its attempts), the admins told once about it. Never left in ``sending``."""
    reason = f"{exc.__class__.__name__}: {exc}"
    try:
        with session_scope(engine) as session:
            outbox = session.get(Outbox, outbox_id)
            assert outbox is not None
            chat = session.get(Chat, outbox.chat_id)
            failed = outbox.attempts >= settings.dispatch.max_attempts
            outbox.state = OutboxState.FAILED if failed else OutboxState.PENDING
            outbox.lease_until = None
            outbox.next_attempt_at = now + timedelta(seconds=backoff(outbox.attempts))
            outbox.last_error = reason[:2000]
            session.add(outbox)
            title = (chat.title or f"{chat.channel}:{chat.chat_key}") if chat else "?"
            text = answer("message_failed", chat=title, reason=reason, attempts=outbox.attempts)
            alert_admins(session, f"outbox:{outbox_id}", text, now, skip_chat_id=outbox.chat_id)
    except Exception:  # the database itself is failing: the lease brings the row back
        log.exception("outbox %s: cannot set it aside", outbox_id)
        return
    if failed:
        result.failed += 1
    else:
        result.retried += 1


def _due_condition(now: datetime):  # type: ignore[no-untyped-def]
    return or_(
        and_(col(Outbox.state) == OutboxState.PENDING, col(Outbox.next_attempt_at) <= now),
        and_(col(Outbox.state) == OutboxState.SENDING, col(Outbox.lease_until) < now),
    )


def _candidates(engine: Engine, channels: list[str], now: datetime, limit: int) -> list[int]:
    with Session(engine) as session:
        ids = session.exec(
            select(Outbox.id)
            .join(Chat, col(Outbox.chat_id) == col(Chat.id))
            .where(_due_condition(now), col(Chat.channel).in_(channels))
            .order_by(col(Outbox.id))
            .limit(limit)
        ).all()
    return [i for i in ids if i is not None]


def _claim(engine: Engine, outbox_id: int, worker: str, now: datetime, lease: int) -> bool:
    with session_scope(engine) as session:
        claimed = session.execute(
            update(Outbox)
            .where(col(Outbox.id) == outbox_id, _due_condition(now))
            .values(
                state=OutboxState.SENDING,
                claimed_by=worker,
                lease_until=now + timedelta(seconds=lease),
                attempts=col(Outbox.attempts) + 1,
            )
        )
        return bool(claimed.rowcount == 1)  # type: ignore[attr-defined]  # a CursorResult


async def _deliver(
    engine: Engine,
    channels: Mapping[str, Channel],
    outbox_id: int,
    worker: str,
    now: datetime,
    settings: Settings,
    cal: WorkCalendar,
    result: DispatchResult,
) -> None:
    with Session(engine) as session:
        outbox = session.get(Outbox, outbox_id)
        assert outbox is not None
        chat = session.get(Chat, outbox.chat_id)
        assert chat is not None
        parts, first, chat_key = list(outbox.parts), outbox.sent_parts, chat.chat_key
        buttons = [[(str(b[0]), str(b[1])) for b in row] for row in outbox.buttons]
        document = (
            _document(session, outbox.attachment, settings, cal, now) if outbox.attachment else None
        )
        as_photo = bool(outbox.attachment and outbox.attachment.get("kind") == "chart")
        channel = channels[chat.channel]
        active, channel_name = chat.active, chat.channel
    if not active:
        _finish(engine, outbox_id, OutboxState.FAILED, now, error="chat đã tạm ngưng")
        result.failed += 1
        return
    fitted = [piece for part in parts for piece in split_message([part], channel.limit)]
    if fitted != parts and not _replace_parts(engine, outbox_id, worker, parts, fitted):
        return  # the lease ran out and another dispatcher took over
    parts = fitted
    try:
        # The document, if any, is one more part: sent once, after the text.
        index = first
        while index < len(parts) + (document is not None):
            if index == len(parts):
                assert document is not None
                send = channel.send_photo if as_photo else channel.send_document
                message_key = await send(chat_key, *document)
            else:
                last = index == len(parts) - 1
                try:
                    message_key = await channel.send(
                        chat_key, parts[index], buttons if last else None
                    )
                except TooLong:
                    smaller = split_smaller(parts[index])
                    if smaller is None:
                        raise
                    fitted = [*parts[:index], *smaller, *parts[index + 1 :]]
                    if not _replace_parts(engine, outbox_id, worker, parts, fitted):
                        return
                    parts = fitted
                    continue
            if not _record_part(engine, outbox_id, worker, index + 1, message_key, now):
                return  # the lease ran out and another dispatcher took over
            index += 1
    except ChatMigrated as moved:
        with session_scope(engine) as session:
            follow_migration(session, channel_name, chat_key, moved.new_chat_key, now)
        _retry(engine, outbox_id, now, 0.0, str(moved))
        result.retried += 1
    except MessageRejected as exc:  # this message, not the chat: no retry, the chat stays
        _finish(engine, outbox_id, OutboxState.FAILED, now, error=str(exc))
        with Session(engine) as session:
            attempts = session.get(Outbox, outbox_id).attempts  # type: ignore[union-attr]
        _alert_admins(engine, outbox.chat_id, str(exc), now, kind="message_failed",
                      attempts=attempts, subject=f"outbox:{outbox_id}")  # fmt: skip
        result.failed += 1
    except TransientError as exc:
        with Session(engine) as session:
            attempts = session.get(Outbox, outbox_id).attempts  # type: ignore[union-attr]
        if attempts >= settings.dispatch.max_attempts:
            _finish(engine, outbox_id, OutboxState.FAILED, now, error=str(exc))
            _alert_admins(engine, outbox.chat_id, str(exc), now, kind="message_failed",
                          attempts=attempts, subject=f"outbox:{outbox_id}")  # fmt: skip
            result.failed += 1
        else:
            _retry(engine, outbox_id, now, backoff(attempts, exc.retry_after), str(exc))
            result.retried += 1
    except PermanentError as exc:
        with session_scope(engine) as session:
            chat_row = session.get(Chat, outbox.chat_id)
            assert chat_row is not None
            chat_row.active = False
            session.add(chat_row)
        _finish(engine, outbox_id, OutboxState.FAILED, now, error=str(exc))
        _alert_admins(engine, outbox.chat_id, str(exc), now)
        result.failed += 1
    else:
        _finish(engine, outbox_id, OutboxState.SENT, now)
        result.sent += 1


def _document(
    session: Session, attachment: dict[str, object], settings: Settings, cal: WorkCalendar,
    now: datetime,
) -> tuple[str, bytes] | None:  # fmt: skip
    if attachment.get("kind") == "chart":
        from bot.reports.charts import agency_bars

        rows = [(str(name), dict(counts)) for name, counts in attachment["rows"]]  # type: ignore[attr-defined]
        return str(attachment["filename"]), agency_bars(rows, str(attachment["title"]))
    if attachment.get("kind") == "apology":
        from bot.services.apology import letter_docx

        return letter_docx(session, int(str(attachment["id"])), settings.apology, cal)
    return None


def _record_part(
    engine: Engine, outbox_id: int, worker: str, sent_parts: int, message_key: str, now: datetime
) -> bool:
    with session_scope(engine) as session:
        outbox = session.get(Outbox, outbox_id)
        assert outbox is not None
        if outbox.claimed_by != worker:
            return False
        outbox.sent_parts = sent_parts
        session.add(outbox)
        session.add(
            SentMessage(
                outbox_id=outbox_id, chat_id=outbox.chat_id, message_key=message_key, sent_at=now
            )
        )
    return True


def _finish(
    engine: Engine, outbox_id: int, state: OutboxState, now: datetime, error: str = ""
) -> None:
    with session_scope(engine) as session:
        outbox = session.get(Outbox, outbox_id)
        assert outbox is not None
        outbox.state = state
        outbox.lease_until = None
        outbox.last_error = error
        if state == OutboxState.SENT:
            outbox.sent_at = now
        session.add(outbox)


def _retry(engine: Engine, outbox_id: int, now: datetime, wait: float, error: str) -> None:
    with session_scope(engine) as session:
        outbox = session.get(Outbox, outbox_id)
        assert outbox is not None
        outbox.state = OutboxState.PENDING
        outbox.lease_until = None
        outbox.next_attempt_at = now + timedelta(seconds=wait)
        outbox.last_error = error
        session.add(outbox)


def _replace_parts(
    engine: Engine, outbox_id: int, worker: str, before: list[str], after: list[str]
) -> bool:
    """Keep the pieces a row is sent as, so that a retry counts the same pieces."""
    with session_scope(engine) as session:
        outbox = session.get(Outbox, outbox_id)
        assert outbox is not None
        if outbox.claimed_by != worker or list(outbox.parts) != before:
            return False
        outbox.parts = after
        session.add(outbox)
    return True


def _alert_admins(
    engine: Engine, chat_id: int, reason: str, now: datetime, *, kind: str = "chat_gone",
    attempts: int = 0, subject: str = "",
) -> None:  # fmt: skip
    """Tell every admin chat (but the one concerned): a chat cannot be reached any more
    (``chat_gone``), or one message could not be sent (``message_failed``)."""
    with session_scope(engine) as session:
        chat = session.get(Chat, chat_id)
        assert chat is not None
        agency = session.get(Agency, chat.agency_id) if chat.agency_id else None
        title = chat.title or f"{chat.channel}:{chat.chat_key}"
        if kind == "message_failed":
            text = answer("message_failed", chat=title, reason=reason, attempts=attempts)
        else:
            header = {"chat": title, "agency": agency.name if agency else "", "reason": reason}
            text = "\n\n".join(blocks("alert.html.j2", header, []))
        alert_admins(session, subject or f"chat:{chat_id}:{now:%Y%m%d%H%M}", text, now,
                     skip_chat_id=chat_id)  # fmt: skip
