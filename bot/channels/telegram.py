"""Telegram through python-telegram-bot: the sending channel and the update handlers.

Handlers are thin: an update becomes an ``Incoming`` (or button data), one call to
``bot.handlers.core`` inside a transaction, and the answers go back as HTML replies.
Every request goes through one shared limiter (``bot.channels.limits``: 30 messages a
second overall, 20 a minute per group, one a second per person, a pause on 429), plugged
into PTB as its rate limiter; the dispatcher's channel (``queued=True``) marks its sends as
queued notices, so that answers to people go first. The bot's token is part of every request URL:
httpx's request log is silenced and a logging filter blanks the token anywhere else.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputFile,
    Message,
    ReplyParameters,
    Update,
)
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.error import ChatMigrated as TgChatMigrated
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import HTTPXRequest

from bot.channels import (
    Buttons,
    ChannelBusy,
    ChannelDown,
    ChannelPaused,
    ChatMigrated,
    MessageRejected,
    PermanentError,
    TooLong,
    TransientError,
    send_pieces,
)
from bot.channels.console import plain as plain_text
from bot.channels.limits import Queued, SendLimiter, SlotMissed, TelegramLimiter
from bot.channels.telegram_inbox import InboxProcessor, InboxQueue
from bot.config import Settings
from bot.db import OUTAGE, session_scope
from bot.handlers.core import Incoming, failure_answer, handle_button, handle_message
from bot.metrics import REPLIES_HANDLED
from bot.render import TELEGRAM_LIMIT, answer
from bot.scheduler.dispatcher import worker_id
from bot.services.actions import Answer, Sender
from bot.services.calendar import load_calendar
from bot.services.chats import follow_migration

log = logging.getLogger(__name__)

# Errors that mean the chat is gone for the bot, not that one message was wrong.
_CHAT_GONE = ("chat not found", "bot was kicked", "group chat was deactivated", "not enough rights",
              "have no rights", "bot is not a member", "user is deactivated", "bot was blocked")  # fmt: skip


def keyboard(buttons: Buttons | None) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in buttons
        ]
    )


class TelegramChannel:
    name = "telegram"
    limit = TELEGRAM_LIMIT

    def __init__(
        self, application: Application[Any, Any, Any, Any, Any, Any], *, queued: bool = False,
        within: float | None = None,
    ) -> None:  # fmt: skip
        """``queued``: the dispatcher's sends (notices from the outbox), which yield to
        answers and wait at most ``within`` seconds for a slot; otherwise answers."""
        self.bot = application.bot
        limiter = application.bot.rate_limiter
        self.limiter = limiter.limiter if isinstance(limiter, TelegramLimiter) else None
        self.limit_args: dict[str, Any] = (
            {"rate_limit_args": Queued(within)} if queued and self.limiter is not None else {}
        )

    def delay(self, chat_key: str | None) -> float:
        """Seconds before a message to ``chat_key`` could go (a 429's pause, the chat's own
        window; ``None``: the pause only); 0 without a limiter."""
        if self.limiter is None:
            return 0.0
        try:
            chat = int(chat_key) if chat_key is not None else None
        except ValueError:
            chat = None
        return self.limiter.delay(chat)

    async def send(
        self, chat_key: str, html: str, buttons: Buttons | None = None, reply_to: str | None = None
    ) -> str:
        quote = (
            ReplyParameters(message_id=int(reply_to), allow_sending_without_reply=True)
            if reply_to
            else None
        )
        return await self._call(
            self.bot.send_message(chat_id=int(chat_key), text=html, parse_mode=ParseMode.HTML,
                                  reply_markup=keyboard(buttons), disable_web_page_preview=True,
                                  reply_parameters=quote, **self.limit_args)
        )  # fmt: skip

    async def send_document(self, chat_key: str, filename: str, data: bytes) -> str:
        return await self._call(
            self.bot.send_document(
                chat_id=int(chat_key),
                document=InputFile(data, filename=filename),
                **self.limit_args,
            )
        )

    async def send_photo(self, chat_key: str, filename: str, data: bytes) -> str:
        return await self._call(
            self.bot.send_photo(
                chat_id=int(chat_key), photo=InputFile(data, filename=filename), **self.limit_args
            )
        )

    async def _call(self, request: Any) -> str:
        try:
            message = await request
        except RetryAfter as exc:  # flood control is per bot: the limiter paused every send
            wait = exc.retry_after
            raise ChannelPaused(
                str(exc), wait if isinstance(wait, int | float) else wait.total_seconds()
            ) from None
        except SlotMissed as exc:
            raise ChannelBusy(str(exc), exc.wait) from None
        except TgChatMigrated as exc:
            raise ChatMigrated(str(exc.new_chat_id)) from None
        except Forbidden as exc:
            raise PermanentError(exc.message) from None
        except BadRequest as exc:
            reason = exc.message.lower()
            if any(marker in reason for marker in _CHAT_GONE):
                raise PermanentError(exc.message) from None
            if "too long" in reason:  # 400 "Bad Request: message is too long"
                raise TooLong(exc.message) from None
            # The same request would be refused again: this message, not the chat, is wrong.
            raise MessageRejected(exc.message) from None
        except NetworkError as exc:  # refused, timed out, 5xx: PTB's NetworkError and TimedOut
            raise ChannelDown(str(exc)) from None
        except TelegramError as exc:
            raise TransientError(str(exc)) from None
        return str(message.message_id)


Reached = Callable[[bool, str], None]  # (whether Telegram answered, why not)


class ReportingRequest(HTTPXRequest):
    """PTB's HTTPX transport, telling ``reached`` after each request whether Telegram
    answered: an HTTP answer below 500 is reached; a connection that failed (refused, no
    route, a connect timeout) or a 5xx is not. Other timeouts (a full connection pool, a
    slow answer) tell nothing either way."""

    def __init__(
        self, reached: Reached, answered: Callable[[int], None] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.reached = reached
        self.answered = answered  # told each answer's HTTP status (getUpdates': PollingErrors)

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            code, payload = await super().do_request(*args, **kwargs)
        except TimedOut as exc:
            if isinstance(exc.__cause__, httpx.ConnectTimeout):
                self.reached(False, f"TimedOut: {exc.message}")
            raise
        except NetworkError as exc:
            self.reached(False, exc.message)
            raise
        self.reached(code < 500, f"HTTP {code}")
        if self.answered is not None:
            self.answered(code)
        return code, payload


class PollingErrors:
    """What PTB's polling loop gets as ``error_callback`` (``Updater.start_polling``: "called
    instead of logging the exception"): one warning when getUpdates starts failing and
    one info line when it answers again, instead of PTB's traceback at every retry (the
    loop retries after 1 s, then 1.5 times longer each time, at most 30 s apart). A
    Conflict (HTTP 409, "terminated by other getUpdates request") means another bot
    instance polls with this token. Whether Telegram is reached, for /healthz, is told by
    :class:`ReportingRequest` on every request, this loop's included."""

    def __init__(self) -> None:
        self.failing: str | None = None  # why getUpdates fails now; None while it works
        self.outages = 0  # how many times it started failing

    def failed(self, exc: TelegramError) -> None:
        """PTB's ``error_callback``: a getUpdates that failed (never a coroutine)."""
        why = _polling_failure(exc)
        if self.failing is None:
            self.outages += 1
            log.warning("Telegram polling fails: %s; retrying quietly until it works again.", why)
        self.failing = why

    def answered(self, status: int) -> None:
        """A getUpdates answered with HTTP ``status``: 200 ends an outage."""
        if status == 200 and self.failing is not None:
            log.info("Telegram polling works again (it failed: %s).", self.failing)
            self.failing = None


def _polling_failure(exc: TelegramError) -> str:
    """``exc`` in one line for the log."""
    if isinstance(exc, Conflict):
        return f"another bot instance uses this token ({exc.message})"
    return f"{exc.__class__.__name__}: {exc.message}"


def build_application(
    settings: Settings,
    *,
    engine: Engine,
    clock: Callable[[], datetime],
    transport: httpx.AsyncBaseTransport | None = None,
    rate_limit: bool = True,
    limiter: SendLimiter | None = None,
    reached: Reached | None = None,
) -> Application[Any, Any, Any, Any, Any, Any]:
    """The PTB application with dondoc's handlers, for ``settings.telegram_token`` at
    ``settings.telegram_base_url``; admins are ``settings.admin_telegram_ids``.
    ``transport`` lets tests stand in for Telegram's servers at the HTTP level; every
    request goes through ``limiter`` (one from ``settings.limits`` when not given), or
    none with ``rate_limit=False``; ``reached`` hears after each request whether Telegram
    answered (:class:`ReportingRequest`). Its update queue and processor are the inbox's
    (``bot.channels.telegram_inbox``). Raises ValueError without a token."""
    if not settings.telegram_token:
        raise ValueError("TELEGRAM_BOT_TOKEN is not set")
    kwargs = {"transport": transport} if transport is not None else None
    told = reached or (lambda _ok, _why: None)
    polling = PollingErrors()  # the polling loop's error_callback: polling_errors(app)
    # A connection for each message the dispatcher may have in flight, and answers'.
    pool = settings.dispatch.in_flight + 8
    # Every update kept before Telegram hears it arrived, handled once over all processes.
    inbox = InboxQueue(engine, clock)
    builder = (
        ApplicationBuilder()
        .token(settings.telegram_token)
        .update_queue(inbox)
        .concurrent_updates(InboxProcessor(inbox, worker_id(), settings.dispatch.lease_seconds))
        .base_url(settings.telegram_base_url)
        .request(ReportingRequest(told, connection_pool_size=pool, httpx_kwargs=kwargs))
        .get_updates_request(ReportingRequest(told, polling.answered, httpx_kwargs=kwargs))
    )
    if rate_limit:
        shared = TelegramLimiter(limiter or SendLimiter(settings.limits))
        builder = builder.rate_limiter(shared)  # type: ignore[arg-type]  # PTB's builder generics
    app = builder.build()
    app.bot_data.update(engine=engine, settings=settings, clock=clock, polling_errors=polling)
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, _on_migrate))
    app.add_handler(MessageHandler(filters.ALL & ~filters.UpdateType.EDITED, _on_message))
    app.add_handler(CallbackQueryHandler(_on_button))
    app.add_error_handler(_on_error)
    return app


def polling_errors(app: Application[Any, Any, Any, Any, Any, Any]) -> PollingErrors:
    """The :class:`PollingErrors` of an application made by :func:`build_application`."""
    found = app.bot_data["polling_errors"]
    assert isinstance(found, PollingErrors)
    return found


def _settings(context: ContextTypes.DEFAULT_TYPE) -> Settings:
    settings: Settings = context.bot_data["settings"]
    return settings


def _sender(update: Update, context: ContextTypes.DEFAULT_TYPE, message_id: str | None) -> Sender:
    chat, user = update.effective_chat, update.effective_user
    assert chat is not None and user is not None
    return Sender(
        channel="telegram", chat_key=str(chat.id), user_id=str(user.id), user_name=user.full_name,
        message_id=message_id, is_admin=str(user.id) in _settings(context).admin_telegram_ids,
        chat_title=chat.title or user.full_name, private=chat.type == "private",
    )  # fmt: skip


async def _on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    text = message.text or message.caption or ""
    attachment = ""
    if message.document:
        attachment = f"tệp “{message.document.file_name or 'không tên'}” (telegram:{message.document.file_id})"
    elif message.photo:
        attachment = f"ảnh (telegram:{message.photo[-1].file_id})"
    if not text and not attachment:
        return
    replied = message.reply_to_message
    reply_to = (
        str(replied.message_id)
        if replied and replied.from_user and replied.from_user.id == context.bot.id
        else None
    )
    incoming = Incoming(
        _sender(update, context, str(message.message_id)), text, reply_to, attachment
    )
    with session_scope(context.bot_data["engine"]) as session:
        settings = _settings(context)
        answers = handle_message(session, incoming, context.bot_data["clock"](),
                                 load_calendar(session, settings.hours), settings.apology)  # fmt: skip
    REPLIES_HANDLED.labels("telegram", "message").inc()
    for item in answers:
        await _reply(context, message, item)


async def _on_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    if query is None or query.data is None:
        return
    message_id = str(query.message.message_id) if query.message else None
    with session_scope(context.bot_data["engine"]) as session:
        settings = _settings(context)
        answers = handle_button(session, _sender(update, context, message_id), query.data,
                                context.bot_data["clock"](), load_calendar(session, settings.hours),
                                settings.apology)  # fmt: skip
    REPLIES_HANDLED.labels("telegram", "button").inc()
    await query.answer()
    if isinstance(query.message, Message):
        for item in answers:
            await _reply(context, query.message, item)


async def _on_migrate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: follow it, so that bindings and reminders go on."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    with session_scope(context.bot_data["engine"]) as session:
        follow_migration(session, "telegram", str(message.chat.id), str(message.migrate_to_chat_id),
                         context.bot_data["clock"]())  # fmt: skip


async def _reply(context: ContextTypes.DEFAULT_TYPE, message: Message, item: Answer) -> None:
    """An answer in the chat it answers, split to Telegram's limit (buttons on the last)."""
    channel = TelegramChannel(context.application)

    async def send_one(piece: str, last: bool) -> str:
        return await channel.send(str(message.chat.id), piece, item.buttons if last else None,
                                  reply_to=str(message.message_id))  # fmt: skip

    await send_pieces(send_one, item.html, channel.limit)


async def _on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Whatever went wrong, the user hears of it and a pressed button stops spinning. The
    database away is said once for the process (``bot.db.OUTAGE``), not a traceback a
    message."""
    error = context.error
    if error is None or not OUTAGE.failed(error, "handling a Telegram update"):
        log.error("update %s failed", getattr(update, "update_id", "?"), exc_info=error)
    if not isinstance(update, Update):
        return
    text = failure_answer(error) if error is not None else answer("failed")
    if update.callback_query is not None:
        acknowledged = False
        with contextlib.suppress(TelegramError):  # already answered before the failure?
            acknowledged = await update.callback_query.answer(
                text=plain_text(text)[:200], show_alert=True
            )
        if acknowledged:
            return
    chat = update.effective_chat
    if chat is None or update.effective_message is None:
        return
    with contextlib.suppress(TelegramError, TransientError, MessageRejected, PermanentError):
        await TelegramChannel(context.application).send(
            str(chat.id), text, reply_to=str(update.effective_message.message_id)
        )
