"""A fake of Zalo's Bot API at the HTTP level (JSON in, JSON out), for the Zalo channel."""

from __future__ import annotations

import asyncio
import itertools
import json
from typing import Any

import httpx


class FakeZalo:
    def __init__(self) -> None:
        self.queue: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.paths: set[str] = set()
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self.max_length = 2000  # Zalo's limit for a text message

    @property
    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.paths.add(request.url.path)
        method = request.url.path.rsplit("/", 1)[-1]
        params = json.loads(request.content or b"{}")
        self.calls.append((method, params))
        if method == "getUpdates":
            async with self._changed:
                if not self.queue:
                    try:
                        await asyncio.wait_for(
                            self._changed.wait(), float(params.get("timeout", 0)) or 0.01
                        )
                    except TimeoutError:
                        return httpx.Response(
                            200,
                            json={"ok": False, "error_code": 408, "description": "Request timeout"},
                        )
                update = self.queue.pop(0) if self.queue else None
            if update is None:
                return httpx.Response(
                    200, json={"ok": False, "error_code": 408, "description": "Request timeout"}
                )
            return httpx.Response(200, json={"ok": True, "result": update})
        if method == "sendMessage":
            text = str(params["text"])
            if len(text) > self.max_length:
                return httpx.Response(
                    400, json={"ok": False, "error_code": 400, "description": "text too long"}
                )
            async with self._changed:
                message = {
                    "message_id": f"m{next(self._ids)}",
                    "chat_id": params["chat_id"],
                    "text": text,
                }
                self.sent.append(message)
                self._changed.notify_all()
            return httpx.Response(
                200, json={"ok": True, "result": {"message_id": message["message_id"]}}
            )
        if method in ("setWebhook", "deleteWebhook", "getMe"):
            return httpx.Response(200, json={"ok": True, "result": {"id": "bot"}})
        return httpx.Response(
            404, json={"ok": False, "error_code": 404, "description": "Not found"}
        )

    @staticmethod
    def update(chat_id: str, user_id: str, text: str, *, group: bool = False) -> dict[str, Any]:
        return {"event_name": "message.text.received", "message": {
            "message_id": f"u{chat_id}{len(text)}", "date": 1734656400000, "text": text,
            "from": {"id": user_id, "display_name": "Lê Văn Cường", "is_bot": False},
            "chat": {"id": chat_id, "chat_type": "GROUP" if group else "PRIVATE"},
        }}  # fmt: skip

    async def push(self, update: dict[str, Any]) -> None:
        async with self._changed:
            self.queue.append(update)
            self._changed.notify_all()

    async def wait_sent(self, count: int) -> list[dict[str, Any]]:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.sent) >= count), 10)
            return list(self.sent)


# --- Groups (issue #18): a group's update, and text as it arrives with a mention -------
# Zalo gives a bot in a group only the messages that mention it or quote it; how the
# mention is written in the text is not documented, so it is faked as plain text.


def group_update(chat_id: str, user_id: str, text: str, *, mention: str = "") -> dict[str, Any]:
    """A message in the group ``chat_id`` ("chat_type": "GROUP"), ``@mention`` before it."""
    return FakeZalo.update(chat_id, user_id, mentioned(text, mention), group=True)


def mentioned(text: str, name: str) -> str:
    """``text`` as written after picking the bot in the "@" list: "@Đôn Đốc xong ạ"."""
    return f"@{name} {text}" if name else text
