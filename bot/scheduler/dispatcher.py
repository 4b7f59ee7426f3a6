"""Drain the outbox to the channels: load a claimed row, send it, classify the error, apply.

The store (``bot.services.outbox``) claims the rows, records each part a channel accepted
and ends them; its docstring states what is guaranteed (each message sent once, except
the window of a crash between a part's sending and its commit). What happens to a chat
after an error (a migration followed, a chat gone deactivated, the admins told) is
``bot.services.chats``'s.

Each part is split to the channel's limit before the first send (the split is kept, so a
retry counts the same pieces); a piece the channel still finds too long is split smaller,
never sent again as it was. A channel that pauses (``ChannelPaused``: Zalo's quota)
or stops (``ChannelStopped``: Zalo's token refused) is left alone for the rest of the
pass; the row it was sending keeps its place and its attempts, no chat is touched, and
for a stop the admins are told (``chats.channel_stopped``). On a channel whose monthly
quota is spent (``bot.services.channel_usage``) the scheduled messages
(``outbox.SCHEDULED``) are held, looked at again hourly; messages between people go on. One row
that fails in a way nobody foresaw is put back with a backoff (failed after
``max_attempts``), the admins are told once, and the pass goes on with the other rows.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.channels import (
    Channel,
    ChannelPaused,
    ChannelStopped,
    ChatMigrated,
    MessageRejected,
    PermanentError,
    TooLong,
    TransientError,
)
from bot.config import Settings
from bot.db import session_scope
from bot.domain.calendar import WorkCalendar
from bot.models import Chat, Outbox
from bot.render import split_message, split_smaller
from bot.services import channel_usage
from bot.services import outbox as store
from bot.services.chats import (
    channel_paused,
    channel_stopped,
    deactivate_chat,
    follow_migration,
    message_failed,
)

log = logging.getLogger(__name__)

_BACKOFF_BASE = 30.0  # seconds; doubles with each attempt
_BACKOFF_MAX = 3600.0
_HOLD_SECONDS = 3600.0  # a message held for a spent quota is looked at again after this


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0
    held: int = 0  # messages kept in the outbox because their channel's quota is spent
    paused: set[str] = field(default_factory=set)  # channels left alone for the rest of the pass


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
    due = store.due(engine, list(channels), now, limit)
    allowed = set(due)
    for outbox_id in due:
        if outbox_id not in allowed:
            continue  # its channel paused or stopped in this pass
        if not store.claim(engine, outbox_id, worker, now, settings.dispatch.lease_seconds):
            continue  # another dispatcher has it
        paused = len(result.paused)
        try:
            await _deliver(engine, channels, outbox_id, worker, now, settings, cal, result)
        except Exception as exc:  # one bad row must not stop the others
            log.exception("outbox %s failed", outbox_id)
            _set_aside(engine, outbox_id, now, settings, exc, result)
        if len(result.paused) > paused:  # the rows still due on the other channels
            open_channels = [name for name in channels if name not in result.paused]
            allowed = set(store.due(engine, open_channels, now, limit)) if open_channels else set()
    return result


def _set_aside(
    engine: Engine, outbox_id: int, now: datetime, settings: Settings, exc: Exception,
    result: DispatchResult,
) -> None:  # fmt: skip
    """A row that failed unexpectedly: back to pending with a backoff (failed once it has
    had its attempts), the admins told once about it. Never left in ``sending``."""
    reason = f"{exc.__class__.__name__}: {exc}"
    try:
        attempts = store.attempts(engine, outbox_id)
        failed = attempts >= settings.dispatch.max_attempts
        if failed:
            store.fail(engine, outbox_id, now, reason)
        else:
            store.retry(engine, outbox_id, now, backoff(attempts), reason)
        with session_scope(engine) as session:
            message_failed(session, outbox_id, reason, now)
    except Exception:  # the database itself is failing: the lease brings the row back
        log.exception("outbox %s: cannot set it aside", outbox_id)
        return
    if failed:
        result.failed += 1
    else:
        result.retried += 1


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
        # A farewell is the last message to a chat closed on purpose (its agency ended,
        # ``bot.services.agency_changes``): it goes out though the chat is no longer active.
        active = chat.active or outbox.kind == store.FAREWELL
        channel_name, chat_id = chat.channel, chat.id
        spent = outbox.kind in store.SCHEDULED and _quota_spent(
            session, channel_name, now, settings
        )
    if spent:  # kept, its attempts untouched; looked at again in an hour (a raised quota)
        log.info("%s: monthly quota spent, a scheduled message is held", channel_name)
        store.release(engine, outbox_id, now, _HOLD_SECONDS, "hạn mức tháng của kênh đã hết")
        result.held += 1
        return
    if not active:
        store.fail(engine, outbox_id, now, "chat đã tạm ngưng")
        result.failed += 1
        return
    fitted = [piece for part in parts for piece in split_message([part], channel.limit)]
    if fitted != parts and not store.replace_parts(engine, outbox_id, worker, parts, fitted):
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
                    if not store.replace_parts(engine, outbox_id, worker, parts, fitted):
                        return
                    parts = fitted
                    continue
            if not store.record_part(engine, outbox_id, worker, index + 1, message_key, now):
                return  # the lease ran out and another dispatcher took over
            index += 1
    except ChannelPaused as exc:  # the channel, not this message: it keeps its place
        log.warning("%s paused for this pass: %s", channel_name, exc)
        store.release(engine, outbox_id, now, exc.retry_after or 0.0, str(exc))
        with session_scope(engine) as session:
            channel_paused(session, channel_name, str(exc), now)
        result.paused.add(channel_name)
        result.retried += 1
    except ChannelStopped as exc:  # no chat is at fault: the admins must fix the channel
        log.error("%s stopped: %s", channel_name, exc)
        store.release(engine, outbox_id, now, 0.0, f"{store.CHANNEL_STOPPED}{exc}")
        with session_scope(engine) as session:
            channel_stopped(session, channel_name, str(exc), now)
        result.paused.add(channel_name)
        result.retried += 1
    except ChatMigrated as moved:
        with session_scope(engine) as session:
            follow_migration(session, channel_name, chat_key, moved.new_chat_key, now)
        store.retry(engine, outbox_id, now, 0.0, str(moved))
        result.retried += 1
    except MessageRejected as exc:  # this message, not the chat: no retry, the chat stays
        _give_up(engine, outbox_id, now, str(exc))
        result.failed += 1
    except TransientError as exc:
        attempts = store.attempts(engine, outbox_id)
        if attempts >= settings.dispatch.max_attempts:
            _give_up(engine, outbox_id, now, str(exc))
            result.failed += 1
        else:
            store.retry(engine, outbox_id, now, backoff(attempts, exc.retry_after), str(exc))
            result.retried += 1
    except PermanentError as exc:  # the chat is gone for the bot
        with session_scope(engine) as session:
            chat_row = session.get(Chat, chat_id)
            assert chat_row is not None
            deactivate_chat(session, chat_row, now, reason=str(exc))
        store.fail(engine, outbox_id, now, str(exc))
        result.failed += 1
    else:
        store.finish(engine, outbox_id, now)
        result.sent += 1


def _quota_spent(session: Session, channel: str, now: datetime, settings: Settings) -> bool:
    """Whether ``channel``'s monthly quota is spent; if so the admins hear of it (once a
    month, whatever the number of passes)."""
    if channel_usage.quota(settings, channel) is None:
        return False
    counted = channel_usage.usage(session, channel, now, settings)
    if counted.spent:
        channel_usage.tell_admins(session, counted, "quota_spent", now)
        session.commit()
    return counted.spent


def _give_up(engine: Engine, outbox_id: int, now: datetime, error: str) -> None:
    """One message is failed for good; the admins are told, the chat stays."""
    store.fail(engine, outbox_id, now, error)
    with session_scope(engine) as session:
        message_failed(session, outbox_id, error, now)


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
