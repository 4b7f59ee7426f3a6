"""A fake Telegram Bot API at the HTTP level, for python-telegram-bot to talk to.

It answers the real requests PTB makes (form-encoded, JSON values) with real JSON, keeps
what the bot sent, and queues updates for getUpdates. Waiting is event-driven: a test
awaits "the bot has sent N messages", never a clock.
"""

from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl

import httpx

BOT = {"id": 999, "is_bot": True, "first_name": "dondoc", "username": "dondoc_bot",
       "can_join_groups": True, "can_read_all_group_messages": False, "supports_inline_queries": False}  # fmt: skip
DATE = 1734656400  # 2024-12-20 08:00 in Vietnam


class FakeTelegram:
    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.sent: list[dict[str, Any]] = []  # every message the bot sent, as returned
        self.tokens: set[str] = set()
        self.documents: list[tuple[int, str, bytes]] = []
        self._ids = itertools.count(1)
        self.confirmed = 0  # getUpdates confirmed the updates below this id (Bot API)
        self._message_ids = itertools.count(5000)
        self._changed = asyncio.Condition()
        self.fail_next: dict[str, Any] | None = None  # an error answer for the next sendMessage
        # Telegram's own check: at most this many UTF-16 units of text after entity parsing.
        self.max_length = 4096
        self.migrated: dict[int, int] = {}  # a group that became a supergroup: old → new id
        self.answered: list[dict[str, Any]] = []  # answerCallbackQuery calls

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        token_part, method = request.url.path.strip("/").rsplit("/", 1)
        self.tokens.add(token_part)
        params = _params(request) if method not in ("sendDocument", "sendPhoto") else {}
        self.calls.append((method, params))
        if method == "getMe":
            return _ok(BOT)
        if method == "answerCallbackQuery":
            async with self._changed:
                self.answered.append(params)
                self._changed.notify_all()
            return _ok(True)
        if method in ("deleteWebhook", "setWebhook", "close", "logOut"):
            return _ok(True)
        if method == "getUpdates":
            return _ok(
                await self._updates(
                    int(params.get("offset") or 0), float(params.get("timeout") or 0)
                )
            )
        if method in (
            "sendDocument",
            "sendPhoto",
        ):  # multipart: the chat id and the file, as real bytes
            body = request.content
            chat = re.search(rb'name="chat_id"\r\n\r\n(-?\d+)', body)
            name = re.search(rb'filename="([^"]+)"', body)
            assert chat and name, "sendDocument without chat_id or file"
            start = body.index(b"\r\n\r\n", name.end()) + 4
            data = body[start : body.index(b"\r\n--", start)]
            message = {"message_id": next(self._message_ids), "date": DATE, "from": BOT,
                       "chat": {"id": int(chat.group(1)), "type": "group"},
                       "document": {"file_id": "doc", "file_unique_id": "d", "file_name": name.group(1).decode()}}  # fmt: skip
            async with self._changed:
                self.documents.append((int(chat.group(1)), name.group(1).decode(), data))
                self.sent.append(message)
                self._changed.notify_all()
            return _ok(message)
        if method == "sendMessage":
            if self.fail_next is not None:
                error, self.fail_next = self.fail_next, None
                return httpx.Response(error.get("error_code", 400), json={"ok": False, **error})
            refused = self._refuse(params)
            if refused is not None:
                return refused
            message = {
                "message_id": next(self._message_ids), "date": DATE, "from": BOT,
                "chat": {"id": int(params["chat_id"]), "type": "group" if int(params["chat_id"]) < 0 else "private"},
                "text": params["text"],
            }  # fmt: skip
            if "reply_markup" in params:
                message["reply_markup"] = params["reply_markup"]
            if "reply_parameters" in params:
                message["reply_to"] = params["reply_parameters"].get("message_id")
            async with self._changed:
                self.sent.append(message)
                self._changed.notify_all()
            return _ok(message)
        return httpx.Response(
            404, json={"ok": False, "error_code": 404, "description": "Not Found"}
        )

    def _refuse(self, params: dict[str, Any]) -> httpx.Response | None:
        """What Telegram answers to a message it will not send, with its own wording."""
        chat = int(params["chat_id"])
        if chat in self.migrated:
            return _error(400, "Bad Request: group chat was upgraded to a supergroup chat",
                          {"migrate_to_chat_id": self.migrated[chat]})  # fmt: skip
        text = str(params.get("text", ""))
        if params.get("parse_mode") == "HTML":
            parsed = Entities()
            try:
                parsed.feed(text)
                parsed.close()
                parsed.check()
            except ValueError as exc:
                return _error(400, f"Bad Request: can't parse entities: {exc}")
            text = parsed.visible
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text.encode("utf-16-le")) // 2 > self.max_length:
            return _error(400, "Bad Request: message is too long")
        return None

    async def wait_answered(self, count: int) -> list[dict[str, Any]]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.answered) >= count), 10)
            return list(self.answered)

    async def _updates(self, offset: int, wait: float) -> list[dict[str, Any]]:
        """getUpdates: an offset confirms the updates below it, which Telegram never
        delivers again (to this poller or a later one); the others are delivered again."""
        async with self._changed:
            self.confirmed = max(self.confirmed, offset)
            pending = [u for u in self.updates if u["update_id"] >= self.confirmed]
            if not pending and wait:
                try:
                    await asyncio.wait_for(self._changed.wait(), wait)
                except TimeoutError:
                    return []
                pending = [u for u in self.updates if u["update_id"] >= self.confirmed]
            return pending

    async def push(self, update: dict[str, Any]) -> None:
        async with self._changed:
            update["update_id"] = next(self._ids)
            self.updates.append(update)
            self._changed.notify_all()

    async def say(
        self, chat_id: int, user_id: int, text: str, *, reply_to: int | None = None,
        name: str = "Nguyễn Văn An", document: dict[str, Any] | None = None,
    ) -> int:  # fmt: skip
        message_id = next(self._message_ids)
        message: dict[str, Any] = {
            "message_id": message_id, "date": DATE,
            "chat": {"id": chat_id, "type": "supergroup" if chat_id < 0 else "private",
                     **({"title": "Nhóm công tác"} if chat_id < 0 else {"first_name": name})},
            "from": {"id": user_id, "is_bot": False, "first_name": name},
        }  # fmt: skip
        if document:
            message["document"] = document
            message["caption"] = text
        else:
            message["text"] = text
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        if reply_to is not None:
            original = next(m for m in self.sent if m["message_id"] == reply_to)
            message["reply_to_message"] = {k: v for k, v in original.items() if k != "reply_markup"}
        await self.push({"message": message})
        return message_id

    async def press(self, chat_id: int, user_id: int, data: str, message_id: int) -> None:
        original = next(m for m in self.sent if m["message_id"] == message_id)
        await self.push({"callback_query": {
            "id": str(next(self._ids)), "chat_instance": "ci", "data": data,
            "from": {"id": user_id, "is_bot": False, "first_name": "Trần Thị Bình"},
            "message": {k: v for k, v in original.items()},
        }})  # fmt: skip

    async def wait_sent(self, count: int) -> list[dict[str, Any]]:
        """Until the bot has sent ``count`` messages in all; returns them."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent) >= count), 10)
            return list(self.sent)


def _params(request: httpx.Request) -> dict[str, Any]:
    body = request.content.decode() if request.content else ""
    if request.headers.get("content-type", "").startswith("application/json"):
        return dict(json.loads(body or "{}"))
    params: dict[str, Any] = {}
    for key, value in parse_qsl(body):
        try:
            params[key] = json.loads(value)
        except ValueError:
            params[key] = value
    return params


_ALLOWED = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
            "tg-spoiler", "span", "blockquote", "tg-emoji"}  # fmt: skip


class Entities(HTMLParser):
    """Telegram's HTML mode: known tags only, each closed in order; the visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.visible = ""

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in _ALLOWED:
            raise ValueError(f'unsupported start tag "{tag}"')
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            raise ValueError(f'can\'t find end tag corresponding to start tag "{tag}"')

    def handle_data(self, data: str) -> None:
        self.visible += data

    def check(self) -> None:
        if self.stack:
            raise ValueError(f'can\'t find end tag corresponding to start tag "{self.stack[-1]}"')
        if "<" in self.rawdata:
            raise ValueError("unclosed start tag")


def _error(code: int, description: str, parameters: dict[str, Any] | None = None) -> httpx.Response:
    body: dict[str, Any] = {"ok": False, "error_code": code, "description": description}
    if parameters:
        body["parameters"] = parameters
    return httpx.Response(code, json=body)


def visible_text(html_text: str) -> str:
    return html.unescape(re.sub(r"<[^>]*>", "", html_text))


def _ok(result: Any) -> httpx.Response:
    return httpx.Response(200, json={"ok": True, "result": result})
