"""Zalo's Bot API (Telegram-like) through httpx: sending, long polling and a webhook.

Differences from Telegram that shape this module: plain text only, 2,000 characters a
message (counted here in UTF-16 units, cut at 1,900: ``bot.render.ZALO_LIMIT``), no buttons (the commands that do the same are written under the message), and
no reply threading, so in a private chat a free-text answer refers to the last message
the bot sent there.

How Zalo fails is :func:`classify`'s (the docs' error table); one update per
``getUpdates``, a webhook that blocks polling until ``deleteWebhook``, and each update
kept in the inbox before it is handled, once (:func:`receive`: a redelivered one, by
chat and ``message_id``, is dropped; what a killed process left is handled at the next
start) are :func:`poll`'s and :class:`ZaloWebhook`'s. Sources: the Zalo Bot Platform docs (bot.zaloplatforms.com),
as summarised with quotes in the project's Zalo fact check.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

import httpx
from sqlalchemy.engine import Engine
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApp
from tornado.web import RequestHandler

from bot.channels import (
    Buttons,
    ChannelDown,
    ChannelPaused,
    ChannelStopped,
    MessageRejected,
    PermanentError,
    TooLong,
    TransientError,
    send_pieces,
    with_commands,
)
from bot.channels.console import plain
from bot.config import Settings
from bot.db import OUTAGE, session_scope, until_answered
from bot.domain.mentions import mention_commands
from bot.domain.numbers import thousands
from bot.handlers.core import Incoming, failure_answer, handle_message, handle_no_text
from bot.metrics import REPLIES_HANDLED
from bot.render import ZALO_LIMIT, ZALO_TEXT_MAX, answer, utf16_length
from bot.scheduler.dispatcher import worker_id
from bot.services import inbox
from bot.services.actions import Answer, Sender, alert_admins, notify
from bot.services.binding import find_chat
from bot.services.calendar import load_calendar
from bot.services.chats import channel_stopped

log = logging.getLogger(__name__)

INBOX = "zalo"  # the channel's name among the updates kept (``bot.services.inbox``)

# The methods that send a message, each one counted against the monthly quota.
_MESSAGES = frozenset({"sendMessage", "sendPhoto", "sendSticker"})


class Meter(Protocol):
    def __call__(self, *, sent: int = 0, received: int = 0) -> None: ...


class Reached(Protocol):
    """Told after every request: whether Zalo answered, why not, and whether the channel
    stopped for good (a refused token: it is not tried again until a restart)."""

    def __call__(self, ok: bool, why: str, /, stopped: bool = False) -> None: ...


class ZaloClient:
    """One HTTP client with timeouts; ``transport`` lets tests stand in for Zalo's servers.

    Every answer is ``{"ok", "result", "description", "error_code"}`` ("Phản hồi từ
    API", Zalo Bot Platform docs); a failure is classified by :func:`classify`. Once the
    token is refused (401) the client sends nothing more: every later call raises
    :class:`ChannelStopped` at once, without a request."""

    def __init__(
        self, token: str, base_url: str, transport: httpx.AsyncBaseTransport | None = None,
        meter: Meter | None = None, reached: Reached | None = None,
    ) -> None:  # fmt: skip
        self._client = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}{token}/", transport=transport,
            timeout=httpx.Timeout(10.0, read=40.0),
        )  # fmt: skip
        self.stopped: str | None = None  # why the channel stopped, once it has
        # Counts each message Zalo accepted and each that reached the bot, against the
        # plan's monthly quota (``bot.services.channel_usage.UsageMeter``).
        self.meter = meter
        # Told after every request whether Zalo answered (``bot.metrics.Links``, for
        # /healthz): a network failure, a 5xx or a refused token is "not reached".
        self.reached: Reached = reached or (lambda _ok, _why, stopped=False: None)

    async def call(self, method: str, **params: Any) -> Any:
        """``method``'s result; raises what :func:`classify` makes of a failure."""
        ok, code, description, result = await self._post(method, params)
        if ok:
            if method in _MESSAGES and self.meter is not None:
                self.meter(sent=1)
            return result
        error = self._failure(method, code, description)
        if code == 404 and isinstance(error, MessageRejected) and method != "getMe":
            # "Not found - Yêu cầu truy cập không lệ" may be this request, or a wrong
            # ZALO_BASE_URL or token that fails every call: getMe tells which.
            known, probe_code, _text, _me = await self._post("getMe", {})
            if not known and probe_code in (401, 404):
                self.stopped = (f"{method}: 404 {description} (getMe: {probe_code}; kiểm tra "
                                "ZALO_BASE_URL và ZALO_BOT_TOKEN)")  # fmt: skip
                error = ChannelStopped(self.stopped)
                self.reached(False, self.stopped, stopped=True)
        raise error

    def _failure(self, method: str, code: int, description: str) -> Exception:
        """:func:`classify`'s error; a stop is remembered for every later call."""
        error = classify(method, code, description)
        if isinstance(error, ChannelStopped):
            self.stopped = str(error)
            self.reached(False, self.stopped, stopped=True)
        return error

    async def _post(self, method: str, params: dict[str, Any]) -> tuple[bool, int, str, Any]:
        """One request: (ok, error code, description, result). The URL holds the token, so
        a network failure is reported by its class only, never with the URL."""
        if self.stopped is not None:
            raise ChannelStopped(self.stopped)
        try:
            response = await self._client.post(method, json=params)
        except httpx.HTTPError as exc:  # refused, timed out, cut: Zalo's server, not the message
            self.reached(False, f"{method}: {exc.__class__.__name__}")
            raise ChannelDown(f"{method}: {exc.__class__.__name__}") from None
        if response.status_code >= 500:
            self.reached(False, f"{method}: HTTP {response.status_code}")
        elif response.status_code != 401:  # a refused token is told by _failure
            self.reached(True, "")
        try:
            body = response.json()
        except ValueError:  # e.g. a proxy's HTML page: only the status is known
            body = None
        if not isinstance(body, dict):
            if response.status_code < 400:  # an answer Zalo never gives: try again later
                raise TransientError(f"{method}: HTTP {response.status_code}, not JSON")
            return False, response.status_code, f"HTTP {response.status_code}", None
        if body.get("ok"):
            return True, 0, "", body.get("result")
        return (
            False,
            _error_code(body, response.status_code),
            str(body.get("description") or ""),
            None,
        )

    async def get_updates(self, wait: int = 30) -> list[dict[str, Any]]:
        """The next update, as a list of none or one. Zalo answers one update object per
        call, not a list (Zalo Bot Platform docs, getUpdates: "dạng JSON object"); a list
        is accepted too. A long poll that ends with nothing new answers 408 "Request
        timeout" (observed by third parties, UNVERIFIED in the docs; HTTP status 200 or
        408): that is no error, so no backoff."""
        ok, code, description, result = await self._post("getUpdates", {"timeout": str(wait)})
        if not ok:
            if code == 408:
                return []
            raise self._failure("getUpdates", code, description)
        if isinstance(result, list):
            return [u for u in result if isinstance(u, dict)]
        return [result] if isinstance(result, dict) else []

    async def close(self) -> None:
        await self._client.aclose()


def _error_code(body: dict[str, Any], status: int) -> int:
    """The answer's ``error_code`` as a number; the HTTP status when it is missing or not
    a number (an answer Zalo's docs never show must not stop the bot)."""
    code = body.get("error_code")
    if isinstance(code, int) and not isinstance(code, bool):
        return code
    if isinstance(code, str) and code.strip().isdecimal():
        return int(code)
    return status if status >= 400 else 500


# A 400/404 that names the chat: the docs' error table gives only "Bad request" and "Not
# found" with a free ``description`` ("vui lòng tham khảo thông tin trong trường
# description"); how Zalo words a missing chat or a removed bot is UNVERIFIED, so only
# these explicit wordings deactivate a chat. Anything else fails the message alone.
_CHAT_GONE = re.compile(
    r"\b(chat|user|recipient|group|conversation)\b[^.;]*\b(not found|not exist|does not exist|"
    r"no longer exists?)\b|\bbot\b[^.;]*\b(was |has been |is )?(removed|kicked|blocked)\b|"
    r"\bblocked (the )?bot\b|"
    r"\b(người dùng|nhóm|cuộc trò chuyện|chat)\b[^.;]*không tồn tại|bot[^.;]*bị xóa khỏi nhóm",
    re.IGNORECASE,
)


def classify(method: str, code: int, description: str) -> Exception:
    """What a Zalo failure means for dondoc, from the error table ("Bảng mã lỗi", Zalo Bot
    Platform docs): 401 "Unauthorized - Token đã hết hạn hoặc không hợp lệ" stops the
    channel; 429 "Quota exceeded" pauses it; 403 (documented as "Internal server error"),
    408 "Request timeout" and 5xx mean Zalo's server is down (the message keeps its
    place and its attempts, however long the outage); 400/404 deactivate a chat only when the
    description names the chat (:data:`_CHAT_GONE`), else they reject this message
    (:meth:`ZaloClient.call` then tells a wrong address from a wrong message).
    ``retry_after`` is not documented by Zalo, so none is read."""
    reason = f"{method}: {code} {description}".strip()
    if code == 401:
        return ChannelStopped(reason)
    if code == 429:
        return ChannelPaused(reason)
    if code in (403, 408) or code >= 500:
        return ChannelDown(reason)
    if "too long" in description.lower():
        return TooLong(reason)
    if code in (400, 404) and _CHAT_GONE.search(description):
        return PermanentError(reason)
    return MessageRejected(reason)


class ZaloChannel:
    name = "zalo"
    limit = ZALO_LIMIT

    def __init__(self, client: ZaloClient) -> None:
        self.client = client

    async def send(self, chat_key: str, html: str, buttons: Buttons | None = None) -> str:
        """Plain text; the commands that stand for the buttons go under it, in a message
        of their own if they do not fit (split, like every text, by the one splitter)."""
        full = with_commands(html, buttons)

        async def send_one(piece: str, _last: bool) -> str:
            text = plain(piece)
            if utf16_length(text) > ZALO_TEXT_MAX:  # never sent only for Zalo to refuse it
                raise TooLong(f"sendMessage: {utf16_length(text)} UTF-16 units")
            result = await self.client.call("sendMessage", chat_id=chat_key, text=text)
            return str((result or {}).get("message_id", ""))

        ids = await send_pieces(send_one, full, self.limit)
        return ids[-1] if ids else ""

    async def send_document(self, chat_key: str, filename: str, data: bytes) -> str:
        # Zalo's Bot API sends no files: say where the letter is, so nothing is silently lost.
        note = (f"📎 Văn bản {filename} ({thousands(len(data))} byte) đã sẵn sàng. Zalo không "
                "gửi được tệp: quản trị viên lấy văn bản bằng lệnh “dondoc apologies”.")  # fmt: skip
        result = await self.client.call("sendMessage", chat_id=chat_key, text=note)
        return str((result or {}).get("message_id", ""))

    async def send_photo(self, chat_key: str, filename: str, data: bytes) -> str:
        # Zalo's sendPhoto takes a public URL, which dondoc does not serve; the digest's text
        # already carries every figure of the chart.
        return ""


def _update_message(update: object) -> dict[str, Any] | None:
    """The message of a ``message.*`` event that names its chat; None for anything else.
    Webhook bodies come wrapped ({"ok": …, "result": {...}}) or flat."""
    if not isinstance(update, dict):
        return None
    event: dict[str, Any] = update["result"] if isinstance(update.get("result"), dict) else update
    if not str(event.get("event_name", "")).startswith("message."):
        return None
    message = event.get("message")
    if not isinstance(message, dict) or not isinstance(message.get("chat"), dict):
        return None
    return message if message["chat"].get("id") not in (None, "") else None


async def handle_update(
    update: dict[str, Any], *, client: ZaloClient, engine: Engine, settings: Settings,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    """One update from Zalo: read it as the chat handlers do, answer in the same chat.
    Admins are the Zalo user ids of ``settings.admin_zalo_ids``. :func:`receive` keeps it
    in the inbox first."""
    message = _update_message(update)
    if message is None:
        log.info("zalo: an update that is no message to a chat, ignored")
        return
    chat: dict[str, Any] = message["chat"]
    user: dict[str, Any] = message["from"] if isinstance(message.get("from"), dict) else {}
    if client.meter is not None:  # what reaches the bot counts against the quota too
        client.meter(received=1)
    # A picture's caption is read as its text ("xong ạ" under the photo of the result);
    # a sticker, a voice note or a protected sender's message (Zalo's
    # "message.unsupported.received") carries none: the sender hears what the bot reads.
    text = str(message.get("text") or message.get("caption") or "").strip()
    private = str(chat.get("chat_type", "PRIVATE")).upper() == "PRIVATE"
    sender = Sender(
        channel="zalo", chat_key=str(chat.get("id")), user_id=str(user.get("id")),
        user_name=str(user.get("display_name") or user.get("name") or ""),
        message_id=str(message.get("message_id") or ""), is_admin=str(user.get("id")) in settings.admin_zalo_ids,
        # Zalo names no group in its updates: a group is shown by its agency and id.
        chat_title=str(user.get("display_name") or user.get("name") or "") if private else "",
        private=private,
    )  # fmt: skip
    try:
        with session_scope(engine) as session:
            # Zalo delivers a group's messages to the bot only when it is mentioned or quoted.
            incoming = Incoming(sender, text, addressed=True,
                                bot_names=tuple(filter(None, [settings.zalo_bot_name])))  # fmt: skip
            answers = (
                handle_message(session, incoming, clock(), load_calendar(session, settings.hours),
                               settings.apology)
                if text else handle_no_text(sender)
            )  # fmt: skip
    except Exception as exc:  # one bad update must not stop the others: the sender hears of it
        if not OUTAGE.failed(exc, "handling a Zalo message"):
            log.exception("zalo: update from %s failed", sender.chat_key)
        answers = [Answer(failure_answer(exc))]
    else:
        REPLIES_HANDLED.labels("zalo", "message").inc()
    channel = ZaloChannel(client)
    bot = settings.zalo_bot_name or "tên bot"
    for index, item in enumerate(answers):
        html = with_commands(item.html, item.buttons)
        if not private:  # in a group, every command shown is typed after the mention
            html = mention_commands(html, bot)
        try:
            await channel.send(sender.chat_key, html)
        except (TransientError, ChannelStopped) as exc:  # what was done stays done: say so later
            log.warning("zalo: cannot answer %s now (%s): the outbox will", sender.chat_key, exc)
            _answer_later(engine, sender, html, clock(), index)
        except (PermanentError, MessageRejected) as exc:
            log.warning("zalo: cannot answer %s: %s", sender.chat_key, exc)


def _inbox_key(update: dict[str, Any]) -> str | None:
    """The update's key in the inbox, ``chat:message_id``; None for an update that names
    no message (nothing to deliver twice)."""
    message = _update_message(update)
    if message is None or not message.get("message_id"):
        return None
    return f"{message['chat']['id']}:{message['message_id']}"


async def receive(
    update: dict[str, Any], *, client: ZaloClient, engine: Engine, settings: Settings,
    clock: Callable[[], datetime], kept: bool = False,
) -> None:  # fmt: skip
    """:func:`handle_update` through the inbox (``bot.services.inbox``): the update kept
    first (unless ``kept`` already: a leftover), claimed while it is handled, marked
    handled after; one Zalo delivers again (a webhook retry, a poll that ended as it
    answered), handled already or in another process's hands, is dropped. While the
    database is away the update waits for it."""
    key = _inbox_key(update)
    if key is None:
        await handle_update(update, client=client, engine=engine, settings=settings, clock=clock)
        return
    if not kept:
        stored = await until_answered(
            lambda: inbox.store(engine, INBOX, key, update, clock()), "keeping an update"
        )
        if not stored:
            log.info("zalo: message %s delivered again, handled already: dropped", key)
            return
    handling = handle_update(update, client=client, engine=engine, settings=settings,
                             clock=clock)  # fmt: skip
    await inbox.handle_once(
        engine,
        INBOX,
        key,
        worker=worker_id(),
        clock=clock,
        lease_seconds=settings.dispatch.lease_seconds,
        handling=handling,
    )


async def receive_leftovers(
    client: ZaloClient, *, engine: Engine, settings: Settings, clock: Callable[[], datetime],
) -> int:  # fmt: skip
    """Handle the updates a stopped process kept but did not handle (on SQLite, where one
    process runs per database file, every claim left is a dead process's and ends now);
    returns how many. Called when receiving starts."""
    if engine.dialect.name != "postgresql":
        await until_answered(lambda: inbox.release_all(engine, INBOX), "recovering updates")
    now = clock()
    left = await until_answered(
        lambda: inbox.leftovers(engine, INBOX, now, older_than=0.0), "recovering updates"
    )
    if left:
        log.warning("zalo: handling %d update(s) a stopped process left", len(left))
    for _key, update in left:
        await receive(update, client=client, engine=engine, settings=settings, clock=clock,
                      kept=True)  # fmt: skip
    return len(left)


def _answer_later(engine: Engine, sender: Sender, html: str, now: datetime, index: int) -> None:
    """An answer Zalo did not take now goes to the outbox, which sends it with retries
    (an officer's "xong" was recorded: they must hear so). A chat not bound has no outbox
    row to hold it: only the log has it then."""
    try:
        with session_scope(engine) as session:
            chat = find_chat(session, "zalo", sender.chat_key)
            if chat is None:
                return
            key = f"answer:{chat.id}:{sender.message_id or now.timestamp()}:{index}"
            notify(session, chat, key[:160], html, now)
    except Exception:  # the database may be what fails: the log has it
        log.exception("zalo: cannot keep the answer to %s", sender.chat_key)


async def poll(
    client: ZaloClient, *, engine: Engine, settings: Settings, clock: Callable[[], datetime],
    stop: asyncio.Event, wait: int = 30,
    nap: Callable[[asyncio.Event, float], Awaitable[None]] | None = None,
) -> None:  # fmt: skip
    """Long polling until ``stop`` is set (a poll under way is abandoned at once, so the
    bot stops in time). First ``deleteWebhook``: "getUpdates sẽ không hoạt động nếu bạn
    đã thiết lập Webhook" (Zalo Bot Platform docs, getUpdates); a refusal there (no webhook
    to delete) does not keep polling from starting. An idle poll (408) is no failure; any
    other failure, expected or not, is retried with a backoff up to a minute and never
    ends polling, and after :data:`_DEAF_AFTER` failures in a row the admins are told (once
    a day). A token refused (401) ends polling and tells the admins. ``nap(stop, seconds)``
    waits out a backoff (until ``stop``): tests pass their own."""
    failures, webhook_deleted = 0, False
    nap = nap or _nap
    await receive_leftovers(client, engine=engine, settings=settings, clock=clock)
    while not stop.is_set():
        step = "getUpdates" if webhook_deleted else "deleteWebhook"
        try:
            if not webhook_deleted:
                try:
                    await client.call("deleteWebhook")
                except (MessageRejected, PermanentError) as exc:  # nothing to delete
                    log.info("zalo deleteWebhook refused (%s): polling all the same", exc)
                webhook_deleted = True
            updates = await _unless_stopped(client.get_updates(wait), stop)
            failures = 0
        except ChannelStopped as exc:
            _stopped(engine, clock, exc)
            return
        except Exception as exc:  # polling must never die silently
            failures += 1
            log.warning("zalo %s failed (%d in a row): %s", step, failures, exc)
            if failures == _DEAF_AFTER:
                _deaf(engine, clock, str(exc) if str(exc).startswith(step) else f"{step}: {exc}")
            await nap(stop, min(60, 2**failures))
            continue
        for update in updates:
            try:
                await receive(update, client=client, engine=engine, settings=settings,
                              clock=clock)  # fmt: skip
            except Exception:  # a malformed update must not stop the polling
                log.exception("zalo: cannot handle an update")


_DEAF_AFTER = 5  # failed polls in a row (about a minute of backoff) before the admins hear


async def _nap(stop: asyncio.Event, seconds: float) -> None:
    """Wait ``seconds``, or less if ``stop`` is set."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), seconds)


async def _unless_stopped(
    poll_once: Awaitable[list[dict[str, Any]]], stop: asyncio.Event
) -> list[dict[str, Any]]:
    """The poll's updates, or none when ``stop`` is set first (the poll is cancelled)."""
    polling = asyncio.ensure_future(poll_once)
    stopping = asyncio.ensure_future(stop.wait())
    done, _pending = await asyncio.wait({polling, stopping}, return_when=asyncio.FIRST_COMPLETED)
    for task in (polling, stopping):
        if task not in done:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
    return polling.result() if polling in done else []


def _deaf(engine: Engine, clock: Callable[[], datetime], reason: str) -> None:
    """The log and the admins (on every channel, once a day) hear that Zalo's messages do
    not reach the bot."""
    log.error("zalo: messages do not reach the bot: %s", reason)
    try:
        with session_scope(engine) as session:
            now = clock()
            text = answer("channel_deaf", channel="Zalo", reason=reason)
            alert_admins(session, f"deaf:zalo:{now:%Y%m%d}", text, now)
    except Exception:  # the database may be what fails: the log has it
        log.exception("zalo: cannot tell the admins")


def _stopped(engine: Engine, clock: Callable[[], datetime], exc: ChannelStopped) -> None:
    """The log and the admins (on every channel) hear that Zalo stopped."""
    log.error("zalo stopped: %s", exc)
    with session_scope(engine) as session:
        channel_stopped(session, "zalo", str(exc), clock())


class _WebhookHandler(RequestHandler):
    def initialize(self, hook: ZaloWebhook) -> None:
        self.hook = hook

    async def post(self) -> None:
        given = self.request.headers.get("X-Bot-Api-Secret-Token", "")
        if not hmac.compare_digest(given.encode(), self.hook.secret.encode()):
            self.set_status(403)
            return
        try:
            update = json.loads(self.request.body or b"{}")
        except (ValueError, RecursionError):  # not JSON, or nested past any real update
            self.set_status(400)
            return
        await receive(update, client=self.hook.client, engine=self.hook.engine,
                      settings=self.hook.settings, clock=self.hook.clock)  # fmt: skip
        self.set_status(200)
        self.finish({"ok": True})


def check_webhook(secret: str | None, public_url: str | None) -> None:
    """Zalo's setWebhook: ``secret_token`` "từ 8 tới 256 ký tự" and a ``url`` "dạng HTTPS"
    (Zalo Bot Platform docs, setWebhook). Raises ``ValueError`` saying which is wrong;
    ``Settings.load`` refuses the same at start."""
    if not secret or not 8 <= len(secret) <= 256:
        raise ValueError("ZALO_WEBHOOK_SECRET: Zalo needs a secret token of 8 to 256 characters")
    if public_url is not None and not public_url.startswith("https://"):
        raise ValueError("ZALO_WEBHOOK_URL: Zalo sends updates only to an https:// URL")


class ZaloWebhook:
    """A small HTTP server for Zalo's webhook; requests without the secret
    (``settings.zalo_webhook_secret``, in the ``X-Bot-Api-Secret-Token`` header, Zalo Bot
    Platform docs, Webhook) get 403; an update delivered again is dropped."""

    def __init__(
        self, client: ZaloClient, *, engine: Engine, settings: Settings,
        clock: Callable[[], datetime], path: str = "/zalo",
    ) -> None:  # fmt: skip
        check_webhook(settings.zalo_webhook_secret, None)
        assert settings.zalo_webhook_secret is not None
        self.client, self.secret, self.engine = client, settings.zalo_webhook_secret, engine
        self.settings, self.clock, self.path = settings, clock, path
        self._server: HTTPServer | None = None
        self._registering: asyncio.Task[None] | None = None

    async def start(self, listen: str, port: int, public_url: str | None = None) -> None:
        """Listen, then (with ``public_url``, https) tell Zalo where to deliver; a token
        refused there stops Zalo (the admins are told), not the bot."""
        check_webhook(self.secret, public_url)
        await receive_leftovers(self.client, engine=self.engine, settings=self.settings,
                                clock=self.clock)  # fmt: skip
        app = TornadoApp([(self.path, _WebhookHandler, {"hook": self})])
        self._server = HTTPServer(app)
        self._server.listen(port, address=listen)
        if public_url:  # the first try is waited for; retries go on in the background
            tried = asyncio.Event()
            self._registering = asyncio.create_task(self._register(public_url, tried))
            await tried.wait()

    async def _register(self, public_url: str, tried: asyncio.Event) -> None:
        """``setWebhook``, retried with a backoff up to five minutes while Zalo fails; a
        refusal (a token, a URL) or many failures tell the admins. ``tried`` is set after
        the first try. Never raises: Zalo alone waits, the bot and its other channels go on."""
        attempt = 0
        try:
            while True:
                attempt += 1
                try:
                    await self.client.call("setWebhook", url=public_url, secret_token=self.secret)
                    return
                except ChannelStopped as exc:
                    _stopped(self.engine, self.clock, exc)
                    return
                except (MessageRejected, PermanentError) as exc:  # the same request fails again
                    _deaf(self.engine, self.clock, f"setWebhook: {exc}")
                    return
                except Exception as exc:
                    log.warning("zalo setWebhook failed (%d in a row): %s", attempt, exc)
                    if attempt == _DEAF_AFTER:
                        _deaf(self.engine, self.clock, f"setWebhook: {exc}")
                tried.set()
                await asyncio.sleep(min(300, 2**attempt))
        finally:
            tried.set()

    async def stop(self) -> None:
        if self._registering is not None:
            self._registering.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._registering
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
