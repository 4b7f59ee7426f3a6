"""A fake Telegram Bot API over real HTTP (aiohttp), enforcing Telegram's rate limits.

python-telegram-bot talks to it as to api.telegram.org: point ``base_url`` at
``FakeBotApi.base_url`` (``http://127.0.0.1:PORT/bot``). It answers getMe, getUpdates
(long polling, fed by :meth:`FakeBotApi.say`, with Telegram's rules for several
pollers, below), deleteWebhook, setWebhook, close, logOut,
answerCallbackQuery, sendMessage, sendDocument and sendPhoto with Telegram's JSON.

Limits, from the Bot API FAQ, "My bot is hitting limits, how do I avoid this?"
(https://core.telegram.org/bots/faq#my-bot-is-hitting-limits-how-do-i-avoid-this):

- about 30 messages per second for one bot, over all chats (``per_second``);
- at most 20 messages per minute to one group (``per_group_minute``); group chat ids are
  negative;
- about one message per second to one private chat (``per_private_second``).

Each limit is a sliding window over the messages the fake accepted (a refused request does
not count). A message over a limit is answered as Telegram answers flood control: HTTP 429,
``{"ok": false, "error_code": 429, "description": "Too Many Requests: retry after N",
"parameters": {"retry_after": N}}``, N whole seconds until the window has room again.

getUpdates as Telegram answers it to several pollers of one token (Bot API, "getUpdates";
python-telegram-bot issue #4237): a new getUpdates while one is held ends the held one
with HTTP 409, ``{"ok": false, "error_code": 409, "description": "Conflict: terminated by
other getUpdates request; make sure that only one bot instance is running"}``, counted in
:attr:`FakeBotApi.conflicts` when the poller it ends is still connected to hear it (a
poll left behind by a process killed, or by a request cancelled, is not); and an
``offset`` confirms the updates below it, which no poller gets again.

``latency`` (seconds) delays every answer, half before the request is looked at and half
after, as a network round trip would. An outage, for the fault tests: :meth:`FakeBotApi.fail`
answers every request with an HTTP error (502 Bad Gateway, as Telegram's front end does
when the API behind it is away) until :meth:`FakeBotApi.recover`; :meth:`FakeBotApi.refuse`
closes the port (connections refused) until :meth:`FakeBotApi.reopen` listens on it again. Times are ``clock()`` seconds (``time.monotonic()``
unless given: the same clock in every thread), so a benchmark can compare its own marks
with :attr:`accepted`.

:class:`ServerThread` runs the fake in its own thread and event loop, so the bot's work
does not delay the fake's clock and the fake's does not delay the bot.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import threading
import time
from collections import defaultdict, deque
from collections.abc import Awaitable, Callable, Coroutine, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")

BOT = {"id": 999, "is_bot": True, "first_name": "dondoc", "username": "dondoc_bot",
       "can_join_groups": True, "can_read_all_group_messages": False,
       "supports_inline_queries": False}  # fmt: skip
CONFLICT = (
    "Conflict: terminated by other getUpdates request; make sure that only one bot "
    "instance is running"
)  # Telegram's words (python-telegram-bot issue #4237)
_SENDING = frozenset({"sendMessage", "sendDocument", "sendPhoto"})
_ACCEPTING = frozenset({"deleteWebhook", "setWebhook", "close", "logOut"})


@dataclass(frozen=True)
class Accepted:
    """A message the fake accepted: when (``clock`` seconds, and ``time.monotonic()``
    seconds as ``real``), to which chat, how."""

    at: float
    real: float
    chat_id: int
    method: str
    message_id: int
    reply_to: int | None
    text: str = ""  # a sendMessage's text


@dataclass(frozen=True)
class Traffic:
    """What the fake saw, in figures (times in ``clock()`` seconds)."""

    messages: int
    too_many: int  # requests answered 429
    first: float  # the first accepted message's time (0 without any)
    last: float
    max_per_second: int  # most messages accepted in any one-second window
    max_per_group_minute: int  # most messages to one group in any 60-second window


def max_in_window(times: Iterable[float], width: float) -> int:
    """The most of ``times`` that fall in any half-open window ``[t, t + width)``."""
    ordered = sorted(times)
    best = start = 0
    for end, t in enumerate(ordered):
        while ordered[start] <= t - width:
            start += 1
        best = max(best, end - start + 1)
    return best


class FakeBotApi:
    """The fake server. ``start``/``stop`` and every method run in one event loop."""

    def __init__(
        self,
        *,
        per_second: int = 30,
        per_group_minute: int = 20,
        per_private_second: int = 1,
        latency: float = 0.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_second, self.per_group_minute = per_second, per_group_minute
        self.per_private_second, self.latency, self.clock = per_private_second, latency, clock
        self.accepted: list[Accepted] = []
        self.too_many = 0
        self.base_url = ""
        self._recent: deque[float] = deque()  # accepted in the last second, all chats
        self._per_chat: defaultdict[int, deque[float]] = defaultdict(deque)
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(5000)
        self._changed: asyncio.Condition | None = None
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._port = 0
        self.failing: int | None = None  # the HTTP status every request gets, in an outage
        self.failed = 0  # requests answered with ``failing``
        self.conflicts = 0  # held getUpdates ended by another, its poller still connected
        self._held: asyncio.Event | None = None  # the getUpdates held now; set: end it

    # -- lifecycle -------------------------------------------------------------------

    async def start(self, port: int = 0) -> str:
        """Listen on ``port`` of 127.0.0.1 (``0``: a free one); returns the ``base_url``
        for the bot."""
        self._changed = asyncio.Condition()
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        # A long poll still held open ends at once when the fake stops, not after its hold.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        self._site = web.TCPSite(self._runner, "127.0.0.1", port)
        await self._site.start()
        self._port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{self._port}/bot"
        return self.base_url

    def fail(self, status: int = 502) -> None:
        """Every request from now on is answered ``status`` with Telegram's error JSON."""
        self.failing = status

    def recover(self) -> None:
        self.failing = None

    async def refuse(self) -> None:
        """Stop listening: connections to the port are refused, and a request on a
        connection kept open from before is cut off unanswered."""
        if self._site is not None:
            await self._site.stop()
            self._site = None
        if self._runner is not None and self._runner.server is not None:
            for connection in list(self._runner.server.connections):
                connection.force_close()  # closed here, not left to the garbage collector

    async def reopen(self) -> None:
        """Listen again on the same port."""
        assert self._runner is not None and self._site is None
        self._site = web.TCPSite(self._runner, "127.0.0.1", self._port)
        await self._site.start()

    async def stop(self) -> None:
        """Stops serving; a getUpdates held open is answered at once, not at its timeout
        (the server waits for every request in progress)."""
        await self._notify(lambda: setattr(self, "_closing", True))
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # -- what a test or a benchmark does -----------------------------------------------

    async def say(self, chat_id: int, user_id: int, text: str) -> int:
        """A person writes ``text`` in ``chat_id``: an update for getUpdates. Returns the
        message's id."""
        message_id = next(self._message_ids)
        chat: dict[str, Any] = (
            {"id": chat_id, "type": "supergroup", "title": "Nhóm công tác"}
            if chat_id < 0
            else {"id": chat_id, "type": "private", "first_name": "An"}
        )
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()), "chat": chat, "text": text,
            "from": {"id": user_id, "is_bot": False, "first_name": "Nguyễn Văn An"},
        }  # fmt: skip
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        await self._notify(lambda: self._updates.append(
            {"update_id": next(self._update_ids), "message": message}))  # fmt: skip
        return message_id

    async def wait_for(self, ready: Callable[[], T | None], within: float) -> T | None:
        """The first non-``None`` value of ``ready()``, checked whenever the fake accepts
        something; ``None`` after ``within`` seconds."""
        assert self._changed is not None
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: ready() is not None), within)
            except TimeoutError:
                return None
            return ready()

    def traffic(self) -> Traffic:
        times = [a.at for a in self.accepted]
        groups: defaultdict[int, list[float]] = defaultdict(list)
        for a in self.accepted:
            if a.chat_id < 0:
                groups[a.chat_id].append(a.at)
        return Traffic(
            messages=len(times),
            too_many=self.too_many,
            first=min(times, default=0.0),
            last=max(times, default=0.0),
            max_per_second=max_in_window(times, 1.0),
            max_per_group_minute=max((max_in_window(t, 60.0) for t in groups.values()), default=0),
        )

    # -- the API ---------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        if self._site is None and request.transport is not None:  # refusing: cut it off
            request.transport.close()
            raise web.HTTPServiceUnavailable
        if self.failing is not None:
            self.failed += 1
            return _error(self.failing, "Bad Gateway" if self.failing == 502 else "Error")
        if self.latency:
            await asyncio.sleep(self.latency / 2)  # the request's way to the server
        response = await self._answer(request.match_info["method"], request)
        if self.latency:
            await asyncio.sleep(self.latency / 2)  # the answer's way back
        return response

    async def _answer(self, method: str, request: web.Request) -> web.Response:
        params = await _params(request)
        if method == "getMe":
            return _ok(BOT)
        if method in _ACCEPTING or method == "answerCallbackQuery":
            return _ok(True)
        if method == "getUpdates":
            updates = await self._poll(int(params.get("offset") or 0),
                                       float(params.get("timeout") or 0))  # fmt: skip
            if updates is None:
                transport = request.transport
                if transport is not None and not transport.is_closing():
                    self.conflicts += 1
                return _error(409, CONFLICT)
            return _ok(updates)
        if method in _SENDING:
            return await self._send(method, params)
        return _error(404, "Not Found")

    async def _poll(self, offset: int, hold: float) -> list[dict[str, Any]] | None:
        """getUpdates: the updates from ``offset`` (those below it confirmed: dropped),
        held up to ``hold`` seconds for one; ``None`` when another getUpdates ended it."""
        assert self._changed is not None
        async with self._changed:
            if self._held is not None:  # Telegram ends the poll held before this one
                self._held.set()
                self._changed.notify_all()
            ended = self._held = asyncio.Event()
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            try:
                if not self._updates and hold:
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self._changed.wait_for(
                            lambda: bool(self._updates) or self._closing or ended.is_set()),
                            hold)  # fmt: skip
            finally:
                if self._held is ended:
                    self._held = None
            return None if ended.is_set() else list(self._updates)

    async def _send(self, method: str, params: dict[str, Any]) -> web.Response:
        chat_id = int(params["chat_id"])
        now = self.clock()
        wait = self._wait(chat_id, now)
        if wait > 0:
            self.too_many += 1
            retry = max(1, math.ceil(wait))
            return _error(429, f"Too Many Requests: retry after {retry}", {"retry_after": retry})
        self._recent.append(now)
        self._per_chat[chat_id].append(now)
        message_id = next(self._message_ids)
        reply = params.get("reply_parameters")
        reply_to = int(reply["message_id"]) if isinstance(reply, dict) else None
        await self._notify(lambda: self.accepted.append(
            Accepted(now, time.monotonic(), chat_id, method, message_id, reply_to,
                     str(params.get("text", "")))))  # fmt: skip
        chat_type = "group" if chat_id < 0 else "private"
        message: dict[str, Any] = {"message_id": message_id, "date": int(time.time()), "from": BOT,
                                   "chat": {"id": chat_id, "type": chat_type}}  # fmt: skip
        if method == "sendMessage":
            message["text"] = str(params.get("text", ""))
        elif method == "sendDocument":
            message["document"] = {"file_id": f"doc{message_id}", "file_unique_id": "d"}
        else:
            message["photo"] = [{"file_id": f"photo{message_id}", "file_unique_id": "p",
                                 "width": 800, "height": 600}]  # fmt: skip
        return _ok(message)

    def _wait(self, chat_id: int, now: float) -> float:
        """Seconds until a message to ``chat_id`` fits every limit (0: it fits now)."""
        while self._recent and self._recent[0] <= now - 1.0:
            self._recent.popleft()
        wait = 0.0
        if len(self._recent) >= self.per_second:
            wait = self._recent[-self.per_second] + 1.0 - now
        window, limit = (
            (60.0, self.per_group_minute) if chat_id < 0 else (1.0, self.per_private_second)
        )
        chat = self._per_chat[chat_id]
        while chat and chat[0] <= now - window:
            chat.popleft()
        if len(chat) >= limit:
            wait = max(wait, chat[-limit] + window - now)
        return wait

    async def _notify(self, change: Callable[[], object]) -> None:
        assert self._changed is not None
        async with self._changed:
            change()
            self._changed.notify_all()


async def _params(request: web.Request) -> dict[str, Any]:
    """PTB's parameters: form fields (JSON-encoded values), multipart with files, or JSON."""
    if request.content_type == "application/json":
        body = await request.json()
        return dict(body) if isinstance(body, dict) else {}
    params: dict[str, Any] = {}
    for key, value in (await request.post()).items():
        if isinstance(value, str):
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
    return params


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=code)


class ServerThread:
    """A :class:`FakeBotApi` served from its own thread and event loop.

    ``with ServerThread(fake) as base_url: ...``; from the caller's loop,
    ``await thread.run(fake.say(...))`` runs a coroutine in the fake's loop. ``port``: as
    :meth:`FakeBotApi.start`'s (a test that starts the fake after the bot knows its URL).
    """

    def __init__(self, fake: FakeBotApi, port: int = 0) -> None:
        self.fake, self.port = fake, port
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="fake-bot-api",
                                        daemon=True)  # fmt: skip

    def __enter__(self) -> str:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.fake.start(self.port), self.loop).result(10)

    def __exit__(self, *exc: object) -> None:
        asyncio.run_coroutine_threadsafe(self.fake.stop(), self.loop).result(10)
        # A long poll cut short when the server stopped ends now, not when its task is
        # collected (with the loop closed, it would log an error then, at any moment).
        asyncio.run_coroutine_threadsafe(_cancel_the_rest(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()

    def run(self, coro: Coroutine[Any, Any, T]) -> Awaitable[T]:
        return asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, self.loop))

    def run_here(self, coro: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        """Runs ``coro`` in the fake's loop from a thread without a loop (a test), waiting
        at most ``timeout`` seconds for it."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)


async def _cancel_the_rest() -> None:
    """Every other task of this loop cancelled and waited for."""
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
