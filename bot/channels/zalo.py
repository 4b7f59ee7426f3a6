"""Zalo's Bot API (Telegram-like) through httpx: sending, long polling and a webhook.

Differences from Telegram that shape this module: plain text only, 2,000 characters a
message, no buttons (the commands that do the same are written under the message), and
no reply threading, so in a private chat a free-text answer refers to the last message
the bot sent there.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from collections.abc import Callable
from datetime import datetime
from html import escape
from typing import Any

import httpx
from sqlalchemy.engine import Engine
from tornado.httpserver import HTTPServer
from tornado.web import Application as TornadoApp
from tornado.web import RequestHandler

from bot.channels import (
    Buttons,
    MessageRejected,
    PermanentError,
    TooLong,
    TransientError,
    buttons_as_text,
    send_pieces,
)
from bot.channels.console import plain
from bot.config import Settings
from bot.db import session_scope
from bot.handlers.core import Incoming, handle_message
from bot.render import ZALO_LIMIT, answer
from bot.services.actions import Answer, Sender
from bot.services.calendar import load_calendar

log = logging.getLogger(__name__)


class ZaloClient:
    """One HTTP client with timeouts; ``transport`` lets tests stand in for Zalo's servers."""

    def __init__(
        self, token: str, base_url: str, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self._client = httpx.AsyncClient(
            base_url=f"{base_url.rstrip('/')}{token}/", transport=transport,
            timeout=httpx.Timeout(10.0, read=40.0),
        )  # fmt: skip

    async def call(self, method: str, **params: Any) -> Any:
        try:
            response = await self._client.post(method, json=params)
        except httpx.HTTPError as exc:
            raise TransientError(f"{method}: {exc.__class__.__name__}") from None
        try:
            body = response.json()
        except ValueError:
            raise TransientError(f"{method}: HTTP {response.status_code}") from None
        if body.get("ok"):
            return body.get("result")
        code = int(body.get("error_code") or response.status_code)
        description = str(body.get("description") or "")
        if code == 429 or code >= 500:
            retry = (body.get("parameters") or {}).get("retry_after")
            raise TransientError(f"{method}: {code} {description}", float(retry) if retry else None)
        if "too long" in description.lower():
            raise TooLong(f"{method}: {code} {description}")
        raise PermanentError(f"{method}: {code} {description}")

    async def get_updates(self, wait: int = 30) -> list[dict[str, Any]]:
        try:
            result = await self.call("getUpdates", timeout=str(wait))
        except PermanentError as exc:
            if " 408 " in f"{exc} ":  # the long poll ended with nothing new
                return []
            raise
        if result is None:
            return []
        return list(result) if isinstance(result, list) else [result]

    async def close(self) -> None:
        await self._client.aclose()


class ZaloChannel:
    name = "zalo"
    limit = ZALO_LIMIT

    def __init__(self, client: ZaloClient) -> None:
        self.client = client

    async def send(self, chat_key: str, html: str, buttons: Buttons | None = None) -> str:
        """Plain text; the commands that stand for the buttons go under it, in a message
        of their own if they do not fit (split, like every text, by the one splitter)."""
        commands = buttons_as_text(buttons)
        full = f"{html}\n\n{escape(commands)}" if commands else html

        async def send_one(piece: str, _last: bool) -> str:
            result = await self.client.call("sendMessage", chat_id=chat_key, text=plain(piece))
            return str((result or {}).get("message_id", ""))

        ids = await send_pieces(send_one, full, self.limit)
        return ids[-1] if ids else ""

    async def send_document(self, chat_key: str, filename: str, data: bytes) -> str:
        # Zalo's Bot API sends no files: say where the letter is, so nothing is silently lost.
        note = (f"📎 Văn bản {filename} ({len(data):,} byte) đã sẵn sàng: quản trị viên tải bằng lệnh "
                f"“dondoc apologies” hoặc xem trong nhóm Telegram của cơ quan.")  # fmt: skip
        result = await self.client.call("sendMessage", chat_id=chat_key, text=note)
        return str((result or {}).get("message_id", ""))

    async def send_photo(self, chat_key: str, filename: str, data: bytes) -> str:
        # Zalo's sendPhoto takes a public URL, which dondoc does not serve; the digest's text
        # already carries every figure of the chart.
        return ""


def _update_message(update: dict[str, Any]) -> dict[str, Any] | None:
    """Webhook bodies come wrapped ({"ok": …, "result": {...}}) or flat."""
    if "result" in update and isinstance(update["result"], dict):
        update = update["result"]
    if not str(update.get("event_name", "")).startswith("message."):
        return None
    message = update.get("message")
    return message if isinstance(message, dict) else None


async def handle_update(
    update: dict[str, Any], *, client: ZaloClient, engine: Engine, settings: Settings,
    clock: Callable[[], datetime],
) -> None:  # fmt: skip
    """One update from Zalo: read it as the chat handlers do, answer in the same chat.
    Admins are the Zalo user ids of ``settings.admin_zalo_ids``."""
    message = _update_message(update)
    if message is None or not message.get("text"):
        return
    chat, user = message.get("chat") or {}, message.get("from") or {}
    sender = Sender(
        channel="zalo", chat_key=str(chat.get("id")), user_id=str(user.get("id")),
        user_name=str(user.get("display_name") or user.get("name") or ""),
        message_id=str(message.get("message_id") or ""), is_admin=str(user.get("id")) in settings.admin_zalo_ids,
        chat_title=str(user.get("display_name") or user.get("name") or ""),
        private=str(chat.get("chat_type", "PRIVATE")).upper() == "PRIVATE",
    )  # fmt: skip
    try:
        with session_scope(engine) as session:
            # Zalo delivers a group's messages to the bot only when it is mentioned or quoted.
            incoming = Incoming(sender, str(message["text"]), addressed=True,
                                bot_names=tuple(filter(None, [settings.zalo_bot_name])))  # fmt: skip
            answers = handle_message(session, incoming, clock(),
                                     load_calendar(session, settings.hours), settings.apology)  # fmt: skip
    except Exception:  # one bad update must not stop the others: the sender hears of it
        log.exception("zalo: update from %s failed", sender.chat_key)
        answers = [Answer(answer("failed"))]
    channel = ZaloChannel(client)
    for item in answers:
        try:
            await channel.send(sender.chat_key, item.html, item.buttons)
        except (TransientError, PermanentError, MessageRejected) as exc:
            log.warning("zalo: cannot answer %s: %s", sender.chat_key, exc)


async def poll(
    client: ZaloClient, *, engine: Engine, settings: Settings, clock: Callable[[], datetime],
    stop: asyncio.Event, wait: int = 30,
) -> None:  # fmt: skip
    """Long polling until ``stop`` is set; a failed call is retried with a short backoff."""
    failures = 0
    while not stop.is_set():
        try:
            updates = await client.get_updates(wait)
            failures = 0
        except (TransientError, PermanentError) as exc:
            failures += 1
            log.warning("zalo getUpdates: %s", exc)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), min(60, 2**failures))
            continue
        for update in updates:
            try:
                await handle_update(
                    update, client=client, engine=engine, settings=settings, clock=clock
                )
            except Exception:  # a malformed update must not stop the polling
                log.exception("zalo: cannot handle an update")


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
        except ValueError:
            self.set_status(400)
            return
        await handle_update(update, client=self.hook.client, engine=self.hook.engine,
                            settings=self.hook.settings, clock=self.hook.clock)  # fmt: skip
        self.set_status(200)
        self.finish({"ok": True})


class ZaloWebhook:
    """A small HTTP server for Zalo's webhook; requests without the secret
    (``settings.zalo_webhook_secret``) get 403."""

    def __init__(
        self, client: ZaloClient, *, engine: Engine, settings: Settings,
        clock: Callable[[], datetime], path: str = "/zalo",
    ) -> None:  # fmt: skip
        if not settings.zalo_webhook_secret:
            raise ValueError("a Zalo webhook needs ZALO_WEBHOOK_SECRET")
        self.client, self.secret, self.engine = client, settings.zalo_webhook_secret, engine
        self.settings, self.clock, self.path = settings, clock, path
        self._server: HTTPServer | None = None

    async def start(self, listen: str, port: int, public_url: str | None = None) -> None:
        app = TornadoApp([(self.path, _WebhookHandler, {"hook": self})])
        self._server = HTTPServer(app)
        self._server.listen(port, address=listen)
        if public_url:
            await self.client.call("setWebhook", url=public_url, secret_token=self.secret)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            await self._server.close_all_connections()
