"""The channels (console, Telegram, Zalo): what every transport offers and how it fails.

- :class:`Channel` is what the dispatcher and the chat answers send through: a text
  (HTML within ``limit``, buttons under it), a document, a picture; each returns the
  message's id. Each transport module also turns its updates into the chat handlers'
  ``Incoming`` (``bot.handlers.core``).
- The errors a channel raises say what failed, so that the dispatcher can classify
  them: :class:`TransientError` (try again, after ``retry_after`` if told),
  :class:`PermanentError` (this chat is gone: ``bot.services.chats.deactivate_chat``),
  :class:`ChatMigrated` (follow the group to its new id), :class:`MessageRejected`
  (this message, not the chat) and :class:`TooLong`; and two that concern the whole
  channel, not a chat nor a message: :class:`ChannelPaused` (no more sends on this
  channel in this pass: a quota, Telegram's flood control), :class:`ChannelBusy` (no slot
  soon enough under the rate limits: this message waits its turn) and
  :class:`ChannelStopped` (no more sends on it for the rest of the process: its token is
  refused).
- A channel may also tell how long before it could send to a chat (``delay(chat_key)``,
  seconds; Telegram's limiter): the dispatcher claims only messages it can send soon.
- Every text meets its channel's size limit in one way: :func:`bot.render.split_message`
  with the channel's ``limit``. The dispatcher splits the outbox's parts so (and keeps
  each piece's message id, so a retry sends nothing twice); answers in a chat go
  through :func:`send_pieces`. A text the channel still refuses as too long is split
  smaller, never sent again as it was.
- :func:`buttons_as_text`: for channels without buttons, the commands that do the same
  (from the verb table, ``bot.domain.verbs``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from html import escape
from typing import Protocol

from bot.domain.verbs import typed_equivalent
from bot.render import split_message, split_smaller

CHANNELS = ("telegram", "zalo", "console")  # the values of ``Chat.channel``


class TransientError(Exception):
    """Try again later (network, rate limit). ``retry_after`` in seconds, when told."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(Exception):
    """This chat cannot be reached any more (bot removed, chat deleted)."""


class MessageRejected(Exception):
    """The channel refuses this message (not the chat): sending it again changes nothing."""


class TooLong(MessageRejected):
    """The channel refuses this message as too long (Telegram: 400 "message is too long")."""


class ChannelPaused(TransientError):
    """The whole channel must wait (Zalo: 429 "Quota exceeded"): nothing more is sent on
    it in this dispatch pass, and the message keeps its place for a later one."""


class ChannelDown(TransientError):
    """The channel's server cannot be reached or failed (connection refused, a timeout, a
    5xx answer such as 502 Bad Gateway): no message or chat is at fault. The message keeps
    its place and its attempts, and the channel is tried again later: however long the
    outage, the outbox waits and then drains in order, nothing given up."""


class ChannelBusy(TransientError):
    """The channel has no slot for this message soon enough (its rate limits are full for
    longer than the sender can wait): the message keeps its place and its attempts."""


class ChannelStopped(Exception):
    """The channel cannot send any more until the process restarts (Zalo: 401 "Token đã
    hết hạn hoặc không hợp lệ"): no chat is at fault, the admins must fix the token."""


class ChatMigrated(Exception):
    """A group became a supergroup: send to ``new_chat_key`` from now on."""

    def __init__(self, new_chat_key: str) -> None:
        super().__init__(f"chat migrated to {new_chat_key}")
        self.new_chat_key = new_chat_key


Buttons = list[list[tuple[str, str]]]  # rows of (label, callback data)


class Channel(Protocol):
    name: str
    limit: int  # the most a message may hold, as :func:`bot.render.visible_length` counts

    async def send(self, chat_key: str, html: str, buttons: Buttons | None = None) -> str:
        """Send one message (HTML, within ``limit``); return its id. Raises
        :class:`TooLong` if the channel still finds it too long."""
        ...

    async def send_document(self, chat_key: str, filename: str, data: bytes) -> str:
        """Send a file (the apology letter); return the message's id."""
        ...

    async def send_photo(self, chat_key: str, filename: str, data: bytes) -> str:
        """Send a picture (a digest's chart); return the message's id."""
        ...


async def send_pieces(
    send_one: Callable[[str, bool], Awaitable[str]], html: str, limit: int
) -> list[str]:
    """Send ``html`` as as many messages as ``limit`` needs, through ``send_one(piece,
    is_last)`` (buttons go under the last); a piece refused as too long is split smaller
    and the pieces sent instead. Returns the messages' ids."""
    queue = split_message([html], limit)
    ids: list[str] = []
    while queue:
        piece = queue.pop(0)
        try:
            ids.append(await send_one(piece, not queue))
        except TooLong:
            smaller = split_smaller(piece)
            if smaller is None:
                raise
            queue[:0] = smaller
    return ids


def with_commands(html: str, buttons: Buttons | None) -> str:
    """``html`` with, under it, the commands that stand for its ``buttons`` (for channels
    without buttons)."""
    commands = buttons_as_text(buttons)
    return f"{html}\n\n{escape(commands)}" if commands else html


def buttons_as_text(buttons: Buttons | None) -> str:
    """For channels without buttons: the commands that do the same, one per line."""
    if not buttons:
        return ""
    lines = []
    for row in buttons:
        for label, data in row:
            command = typed_equivalent(data)
            if command is not None:
                lines.append(f"{label} → {command}")
    return "\n".join(lines)
