"""A fake of Zalo's Bot API at the HTTP level (JSON in, JSON out), for the Zalo channel.

What it does is what the Zalo Bot Platform docs say (quoted in the project's Zalo fact
check), and where they are silent what third parties observed, marked so:

- every answer is ``{"ok", "result"}`` or ``{"ok": false, "error_code", "description"}``
  ("Phản hồi từ API"); any documented error (the error table: 400, 401, 403, 404, 408,
  429) can be injected per method and per chat (:meth:`FakeZalo.fail`);
- ``getUpdates`` answers one update object, not a list, or, when nothing came within
  ``timeout``, ``{"ok": false, "error_code": 408, "description": "Request timeout"}``
  (observed by third parties; HTTP 200 here unless ``idle_status`` says otherwise);
- a webhook set blocks ``getUpdates`` until ``deleteWebhook`` ("getUpdates sẽ không
  hoạt động nếu bạn đã thiết lập Webhook"); what Zalo answers then is not documented,
  so the fake answers 400 with a description saying so;
- ``setWebhook`` needs an https ``url`` and a ``secret_token`` of 8 to 256 characters;
  :meth:`FakeZalo.deliver` posts an update to the bot's server with that secret in
  ``X-Bot-Api-Secret-Token``, as Zalo does;
- in a PRIVATE chat ``chat.id == from.id`` (the docs' sample); a GROUP's updates come
  only when the bot is mentioned or quoted, so :meth:`FakeZalo.group` can prefix the
  text with the mention ("@dondoc /xong NV12": the mention's exact form is UNVERIFIED);
- ``sendMessage`` refuses a text over ``max_length`` UTF-16 code units (the docs say
  "1 đến 2000 ký tự" without the unit).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import socket
from typing import Any

import httpx

from bot.channels.zalo import ZaloClient

DATE = 1734656400000  # 2024-12-20 08:00 in Vietnam, in milliseconds as Zalo sends dates
_message_ids = itertools.count(1)

# The docs' error table ("Bảng mã lỗi"), word for word; 403 really reads so.
ERRORS = {
    400: "Bad request - sai đường dẫn hoặc API Name không hợp lệ",
    401: "Unauthorized - Token đã hết hạn hoặc không hợp lệ",
    403: "Internal server error",
    404: "Not found - Yêu cầu truy cập không lệ",
    408: "Request timeout - Quá thời gian xử lý cho phép",
    429: "Quota exceeded - Vượt quá giới hạn sử dụng API cho phép",
}
IDLE = {"ok": False, "error_code": 408, "description": "Request timeout"}


class FakeZalo:
    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.paths: set[str] = set()
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.max_length = 2000  # Zalo's limit for a text message, in UTF-16 units here
        self.webhook: dict[str, str] | None = None  # {"url", "secret_token"} once set
        self.idle_status = 200  # the HTTP status of an idle poll's 408 body (unverified)
        # (method, chat or None) → errors still to answer: (code, description, HTTP status)
        self._errors: dict[tuple[str, str | None], list[tuple[int, str, int]]] = {}

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def fail(
        self, method: str, code: int, description: str | None = None, *, chat: str | None = None,
        times: int = 1, http_status: int | None = None,
    ) -> None:  # fmt: skip
        """The next ``times`` calls of ``method`` (to ``chat`` only, if given) answer
        ``code`` with ``description`` (the docs' wording by default)."""
        answer = (code, description or ERRORS.get(code, "Error"), http_status or code)
        self._errors.setdefault((method, chat), []).extend([answer] * times)

    def _injected(self, method: str, params: dict[str, Any]) -> httpx.Response | None:
        chat = str(params.get("chat_id")) if "chat_id" in params else None
        for key in ((method, chat), (method, None)):
            waiting = self._errors.get(key)
            if waiting:
                code, description, status = waiting.pop(0)
                body = {"ok": False, "error_code": code, "description": description}
                return httpx.Response(status, json=body)
        return None

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.paths.add(request.url.path)
        method = request.url.path.rsplit("/", 1)[-1]
        params = json.loads(request.content or b"{}")
        async with self._changed:
            self.calls.append((method, params))
            self._changed.notify_all()
        injected = self._injected(method, params)
        if injected is not None:
            return injected
        if method == "getUpdates":
            return await self._get_updates(float(params.get("timeout", 0)) or 0.01)
        if method == "sendMessage":
            return await self._send_message(params)
        if method == "setWebhook":
            return self._set_webhook(params)
        if method == "deleteWebhook":
            self.webhook = None
            return _ok({"url": "", "updated_at": DATE})
        if method == "getWebhookInfo":
            return _ok({"url": (self.webhook or {}).get("url", ""), "updated_at": DATE})
        if method == "getMe":
            return _ok({"id": "bot", "account_name": "bot.dondoc", "account_type": "BASIC",
                        "can_join_groups": True})  # fmt: skip
        return _error(404)

    async def _get_updates(self, wait: float) -> httpx.Response:
        if self.webhook is not None:  # documented; the answer's wording is not
            return _error(400, "Bad request - webhook is set, call deleteWebhook first")
        async with self._changed:
            if not self.queue:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._changed.wait(), wait)
            update = self.queue.pop(0) if self.queue else None
        if update is None:
            return httpx.Response(self.idle_status, json=IDLE)
        return _ok(update)  # one update object, not a list

    async def _send_message(self, params: dict[str, Any]) -> httpx.Response:
        text = str(params.get("text") or "")
        if not text or len(text.encode("utf-16-le")) // 2 > self.max_length:
            return _error(400, "Bad request - text too long" if text else "Bad request - text")
        async with self._changed:
            message = {"message_id": f"m{next(self._ids)}", "chat_id": params["chat_id"],
                       "text": text}  # fmt: skip
            self.sent.append(message)
            self._changed.notify_all()
        return _ok({"message_id": message["message_id"], "date": DATE})

    def _set_webhook(self, params: dict[str, Any]) -> httpx.Response:
        url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
        if not url.startswith("https://"):
            return _error(400, "Bad request - url must be HTTPS")
        if not 8 <= len(secret) <= 256:
            return _error(400, "Bad request - secret_token must be 8 to 256 characters")
        self.webhook = {"url": url, "secret_token": secret}
        return _ok({"url": url, "updated_at": DATE})

    async def deliver(
        self, server_url: str, update: dict[str, Any], *, secret: str | None = None
    ) -> httpx.Response:
        """Post ``update`` to the bot's webhook server (``server_url``: where it listens,
        standing for the public URL set) as Zalo does: wrapped in ``{"ok", "result"}``,
        with the secret set by setWebhook (or ``secret``) in ``X-Bot-Api-Secret-Token``."""
        token = secret if secret is not None else (self.webhook or {}).get("secret_token", "")
        async with httpx.AsyncClient() as http:
            return await http.post(server_url, json={"ok": True, "result": update},
                                   headers={"X-Bot-Api-Secret-Token": token})  # fmt: skip

    @staticmethod
    def private(
        user_id: str, text: str, *, name: str = "Lê Văn Cường", message_id: str | None = None
    ) -> dict[str, Any]:
        """A text in a private chat: Zalo's ``chat.id`` is the user's own id."""
        return _text_update(user_id, user_id, text, "PRIVATE", name, message_id)

    @staticmethod
    def group(
        chat_id: str, user_id: str, text: str, *, mention: str | None = "dondoc",
        name: str = "Lê Văn Cường", message_id: str | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        """A text in a group, which reaches the bot only when it is mentioned (or quoted):
        ``mention`` prefixes "@mention " (the real form is UNVERIFIED); ``None`` for none."""
        said = f"@{mention} {text}" if mention else text
        return _text_update(chat_id, user_id, said, "GROUP", name, message_id)

    async def push(self, update: dict[str, Any]) -> None:
        async with self._changed:
            self.queue.append(update)
            self._changed.notify_all()

    async def wait_sent(self, count: int) -> list[dict[str, Any]]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent) >= count), 10)
            return list(self.sent)

    async def wait_calls(self, method: str, count: int) -> None:
        """Until ``method`` has been called ``count`` times (polling shows it is alive)."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(
                lambda: sum(1 for m, _p in self.calls if m == method) >= count), 10)  # fmt: skip


def _text_update(
    chat_id: str, user_id: str, text: str, chat_type: str, name: str, message_id: str | None
) -> dict[str, Any]:
    return {"event_name": "message.text.received", "message": {
        "message_id": message_id or f"u{next(_message_ids)}", "date": DATE, "text": text,
        "from": {"id": user_id, "display_name": name, "is_bot": False},
        "chat": {"id": chat_id, "chat_type": chat_type},
    }}  # fmt: skip


def _ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": result})


def _error(code: int, description: str | None = None) -> httpx.Response:
    body = {"ok": False, "error_code": code, "description": description or ERRORS[code]}
    return httpx.Response(code, json=body)


def client_of(fake: FakeZalo) -> ZaloClient:
    """dondoc's Zalo client, talking to ``fake`` instead of Zalo's servers."""
    return ZaloClient("zalo-secret-token", "http://zalo.invalid/bot", transport=fake.transport)


def free_port() -> int:
    """A local port nobody listens on, for a webhook server under test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
