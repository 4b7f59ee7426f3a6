"""One limiter for everything the bot sends on Telegram: queued notices and answers to people.

Telegram's Bot API FAQ, "My bot is hitting limits, how do I avoid this?"
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this): avoid
more than one message a second to one chat, no more than 20 messages a minute to one group,
and about 30 messages a second over all chats for bulk notifications. Beyond that Telegram
answers 429 with a ``retry_after``; flood control is per bot, so a 429 pauses every send.

:class:`SendLimiter` keeps the three limits (``bot.config.LimitSettings``):

- overall, at most ``per_second`` messages in any ``1 s + margin`` (a sliding log of the
  last ones sent), and no two queued notices closer than three quarters of ``(1 s +
  margin) / per_second``: no burst of 30 at once whose followers would arrive on the
  window's edge, and a wake-up a few milliseconds late costs nothing (the log, not the
  spacing, sets the pace). An answer to a person is held by the log only: an officer who
  sends two replies in a row is not kept waiting for a spacing meant for bulk sends;
- to one group (negative chat id), at most ``per_group_minute`` in any 60 s; to one private
  chat, ``per_private_second`` in any second (each window widened by ``margin``);
- each window counts a message from when it reached Telegram at the latest, as far as is
  known: its grant, then, once Telegram answered, the answer's time; a new message is
  compared by its arrival at the earliest, half the quickest round trip after its grant
  (:meth:`SendLimiter.settled`). A message granted and then held up before its
  request went (the event loop busy with a tick, a garbage collection) would otherwise
  arrive with those granted after it, more than 30 in Telegram's second;
- a 429 pauses every send for its ``retry_after`` (:meth:`SendLimiter.pause`).

These are the bot's limits; one limiter keeps them for one process. With several
processes (``bot.scheduler.fleet``) each limiter is set to its process's share of the
per-second budget (:meth:`SendLimiter.share`), and each chat is sent to by one process.

Who goes first: an answer to a person before any queued notice, then first come first
served, among those whose chat's window allows them now: a notice waiting for its group's
minute never holds back a message to another chat. A caller may say how long it can wait
(``within``); if no slot is in sight by then it gets :class:`SlotMissed` at once instead of
a slot later (the dispatcher's lease on the message would not hold so long).

The clock and the sleep are arguments (``time.monotonic`` and ``asyncio.sleep`` by default)
so that tests take time as an argument. Written here rather than taken from a library:
aiolimiter and PTB's ``AIORateLimiter`` are leaky buckets (up to twice the rate within a
second, no priorities); ``limits``' moving window has no injectable clock, no waiting and
no priorities.

:class:`TelegramLimiter` plugs it into python-telegram-bot through its documented extension
point, ``telegram.ext.BaseRateLimiter``: every request PTB makes goes through it, replies
from the handlers too. The dispatcher marks its sends with ``rate_limit_args=Queued(...)``;
everything else is an answer.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import math
import time
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.config import LimitSettings

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# The Bot API methods that post a message to a chat: they count against the limits.
_MESSAGES = frozenset({
    "sendMessage", "sendDocument", "sendPhoto", "sendAudio", "sendVideo", "sendAnimation",
    "sendVoice", "sendVideoNote", "sendMediaGroup", "sendLocation", "sendVenue", "sendContact",
    "sendPoll", "sendDice", "sendSticker", "sendInvoice", "copyMessage", "copyMessages",
    "forwardMessage", "forwardMessages",
})  # fmt: skip


class SlotMissed(Exception):
    """No slot to send within the time the caller said it could wait."""

    def __init__(self, wait: float) -> None:
        super().__init__(f"no slot to send in the next {wait:.1f} s")
        self.wait = wait


@dataclass(order=True)
class _Ticket:
    queued: bool  # False (an answer) sorts first
    seq: int
    chat: int | None = field(compare=False)


class Slot:
    """One message let through: when, and when Telegram's answer came back (``None``
    until then: :meth:`SendLimiter.settled`)."""

    __slots__ = ("answered", "granted")

    def __init__(self, granted: float) -> None:
        self.granted = granted
        self.answered: float | None = None

    def arrived_by(self, way: float) -> float:
        """When the message reached Telegram at the latest, as far as is known: its grant
        while no answer came back, then the answer less the way back (``way``)."""
        if self.answered is None:
            return self.granted
        return max(self.granted, self.answered - way)


class _Window:
    """At most ``count`` messages in any ``seconds``, by the latest time each reached
    Telegram: the last ``2 × count`` kept (a message held up after its grant can arrive
    after some granted later)."""

    __slots__ = ("count", "seconds", "slots")

    def __init__(self, count: int, seconds: float) -> None:
        self.count, self.seconds = count, seconds
        self.slots: deque[Slot] = deque(maxlen=2 * count)

    def free_at(self, way: float) -> float:
        """The earliest arrival at which one more message fits, ``way`` the quickest one
        way between the bot and Telegram."""
        if len(self.slots) < self.count:
            return -math.inf
        arrivals = (s.arrived_by(way) for s in self.slots)
        return heapq.nlargest(self.count, arrivals)[-1] + self.seconds


class SendLimiter:
    """The bot's limits on Telegram, shared by every sender in the process."""

    def __init__(
        self, limits: LimitSettings, *, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep
    ) -> None:
        self.limits, self.clock, self.sleep = limits, clock, sleep
        margin = limits.margin_ms / 1000
        self.spacing = (1.0 + margin) / limits.per_second  # the average gap at the ceiling
        self._overall = _Window(limits.per_second, 1.0 + margin)
        self._group = (limits.per_group_minute, 60.0 + margin)
        self._private = (limits.per_private_second, 1.0 + margin)
        self._next = -math.inf  # the earliest time of the next message, by the spacing
        self._quickest = math.inf  # the quickest request → answer seen
        self._paused_until = -math.inf
        self._chats: dict[int, _Window] = {}
        self._waiting: list[_Ticket] = []  # kept sorted: answers first, then by arrival
        self._seq = itertools.count()
        self._changed: asyncio.Event | None = None
        self.granted = 0

    # -- what senders call ---------------------------------------------------------------

    async def acquire(
        self, chat: int | None, *, queued: bool = False, within: float | None = None
    ) -> Slot:
        """Wait for a slot to send one message to ``chat`` (``None``: no chat's window);
        ``queued`` for a notice from the outbox, which yields to every answer waiting.
        Raises :class:`SlotMissed` as soon as no slot is in sight ``within`` seconds.
        Give the slot back to :meth:`settled` when Telegram has answered."""
        ticket = _Ticket(queued, next(self._seq), chat)
        self._insert(ticket)
        deadline = None if within is None else self.clock() + within
        try:
            while True:
                now = self.clock()
                at = self._ready_at(ticket, now)
                if at <= now:
                    return self._grant(ticket, now)
                if deadline is not None and at > deadline:
                    raise SlotMissed(at - now)
                await self._wait(at - now)
        finally:
            if ticket in self._waiting:
                self._waiting.remove(ticket)
                self._notify()

    def share(self, per_second: int) -> None:
        """Let through at most ``per_second`` messages a second from now on: this process's
        share when several send for one bot (``bot.scheduler.fleet``: Telegram's 30 a
        second is per bot, Bot API FAQ). The messages already sent stay in the window."""
        if per_second < 1:
            raise ValueError(f"per_second must be at least 1, not {per_second}")
        if per_second == self._overall.count:
            return
        margin = self.limits.margin_ms / 1000
        self.spacing = (1.0 + margin) / per_second
        window = _Window(per_second, 1.0 + margin)
        window.slots.extend(self._overall.slots)  # the newest 2 × per_second kept
        self._overall = window
        self._notify()

    def sent_before(self, chat: int, ago: float) -> None:
        """A message reached ``chat`` ``ago`` seconds before now, sent by another process
        (the chat's former owner, ``bot.scheduler.fleet``): it counts in the chat's window
        (20 a minute to a group, Bot API FAQ) as one sent here would."""
        window = self._window(chat)
        slots = sorted([*window.slots, Slot(self.clock() - ago)], key=lambda s: s.granted)
        window.slots.clear()
        window.slots.extend(slots)  # the newest 2 × count kept
        self._notify()

    @property
    def per_second(self) -> int:
        """Messages a second this limiter lets through (its share of the bot's)."""
        return self._overall.count

    async def unpaused(self) -> None:
        """Wait out a pause after a 429 (for requests that are not messages)."""
        while (wait := self._paused_until - self.clock()) > 0:
            await self._wait(wait)

    def settled(self, slot: Slot) -> None:
        """Telegram answered the message of ``slot`` (or its request failed): it arrived
        one way before at the latest (half the quickest round trip seen, which only
        shrinks). A message held up between its grant and its request (the event loop
        busy, a garbage collection) is counted from when it could have arrived, so the
        ones granted after it are not let through too soon; a new message is compared by
        its arrival at the earliest, one way after its grant."""
        slot.answered = self.clock()
        self._quickest = min(self._quickest, slot.answered - slot.granted)
        self._notify()

    @property
    def _way(self) -> float:
        """One way between the bot and Telegram, at the least: half the quickest round
        trip seen (0 before any)."""
        return 0.0 if self._quickest == math.inf else self._quickest / 2

    def pause(self, seconds: float) -> None:
        """Telegram answered 429: nothing is sent for ``seconds``."""
        self._paused_until = max(self._paused_until, self.clock() + seconds)
        self._notify()

    def delay(self, chat: int | None) -> float:
        """Seconds before a message to ``chat`` could go, by the pause and the chat's own
        window (not counting the messages queued ahead of it)."""
        now = self.clock()
        return max(0.0, self._paused_until - now, self._chat_free_at(chat) - now)

    # -- inside ---------------------------------------------------------------------------

    def _insert(self, ticket: _Ticket) -> None:
        index = len(self._waiting)
        while index and self._waiting[index - 1] > ticket:
            index -= 1
        self._waiting.insert(index, ticket)

    def _window(self, chat: int) -> _Window:
        window = self._chats.get(chat)
        if window is None:
            if len(self._chats) > 10_000:  # forget the chats whose windows are long past
                now = self.clock()
                self._chats = {
                    c: w
                    for c, w in self._chats.items()
                    if w.slots and w.slots[-1].granted > now - 61
                }
            count, seconds = self._group if chat < 0 else self._private
            window = self._chats[chat] = _Window(count, seconds)
        return window

    def _chat_free_at(self, chat: int | None) -> float:
        """When a message to ``chat`` could be granted by its window: a message arrives
        one way after its grant at the earliest."""
        return -math.inf if chat is None else self._window(chat).free_at(self._way) - self._way

    def _overall_free_at(self) -> float:
        return self._overall.free_at(self._way) - self._way

    def _ready_at(self, ticket: _Ticket, now: float) -> float:
        """When ``ticket`` could go: its chat's window, the pause, the overall spacing, and
        one spacing more for each ticket ahead of it that could take the same slot."""
        spaced = self._next if ticket.queued else -math.inf
        own = max(self._chat_free_at(ticket.chat), self._paused_until, spaced,
                  self._overall_free_at())  # fmt: skip
        if own > now:
            return own
        ahead = 0
        for other in self._waiting:
            if other is ticket:
                break
            if self._chat_free_at(other.chat) <= now:
                ahead += 1
        return (
            own
            if ahead == 0
            else max(now, self._next, self._overall_free_at()) + ahead * self.spacing
        )

    def _grant(self, ticket: _Ticket, now: float) -> Slot:
        self._waiting.remove(ticket)
        self._next = now + 0.75 * self.spacing
        slot = Slot(now)
        self._overall.slots.append(slot)
        if ticket.chat is not None:
            self._window(ticket.chat).slots.append(slot)
        self.granted += 1
        self._notify()
        return slot

    def _notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    async def _wait(self, seconds: float) -> None:
        """Sleep ``seconds`` or until the queue changes, whichever comes first."""
        if self._changed is None:
            self._changed = asyncio.Event()
        changed = asyncio.ensure_future(self._changed.wait())
        slept = asyncio.ensure_future(self.sleep(seconds))
        try:
            await asyncio.wait((changed, slept), return_when=asyncio.FIRST_COMPLETED)
        finally:
            changed.cancel()
            slept.cancel()


@dataclass(frozen=True)
class Queued:
    """``rate_limit_args`` of a queued notice: it yields to answers and waits at most
    ``within`` seconds for its slot (``None``: as long as it takes)."""

    within: float | None = None


def _chat_id(value: object) -> int | None:
    try:
        return int(str(value))
    except ValueError:
        return None  # "@channelname": no window of ours


class TelegramLimiter(BaseRateLimiter[Queued]):
    """:class:`SendLimiter` as python-telegram-bot's rate limiter (``ApplicationBuilder.
    rate_limiter``). An answer refused with 429 is sent again once the pause is over; a
    queued notice is not (its row keeps its place in the outbox: ``RetryAfter`` goes up)."""

    def __init__(self, limiter: SendLimiter) -> None:
        self.limiter = limiter

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: Queued | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        chat = _chat_id(data.get("chat_id")) if "chat_id" in data else None
        queued = isinstance(rate_limit_args, Queued)
        within = rate_limit_args.within if isinstance(rate_limit_args, Queued) else None
        for attempt in (1, 2):
            slot = None
            if endpoint in _MESSAGES:
                slot = await self.limiter.acquire(chat, queued=queued, within=within)
            else:
                await self.limiter.unpaused()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                wait = exc.retry_after
                self.limiter.pause(wait if isinstance(wait, int | float) else wait.total_seconds())
                if queued or attempt == 2:
                    raise
            finally:
                if slot is not None:
                    self.limiter.settled(slot)
        raise AssertionError("unreachable")  # pragma: no cover
