"""Transports: how a message reaches a chat. The dispatcher is the only caller."""

from __future__ import annotations

from typing import Protocol


class TransientError(Exception):
    """Try again later (network, rate limit). ``retry_after`` in seconds, when told."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentError(Exception):
    """This chat cannot be reached any more (bot removed, chat deleted)."""


class ChatMigrated(Exception):
    """A group became a supergroup: send to ``new_chat_key`` from now on."""

    def __init__(self, new_chat_key: str) -> None:
        super().__init__(f"chat migrated to {new_chat_key}")
        self.new_chat_key = new_chat_key


Buttons = list[list[tuple[str, str]]]  # rows of (label, callback data)


class Channel(Protocol):
    name: str

    async def send(self, chat_key: str, html: str, buttons: Buttons | None = None) -> str:
        """Send one message (HTML, within the channel's size limit); return its id."""
        ...

    async def send_document(self, chat_key: str, filename: str, data: bytes) -> str:
        """Send a file (the apology letter); return the message's id."""
        ...

    async def send_photo(self, chat_key: str, filename: str, data: bytes) -> str:
        """Send a picture (a digest's chart); return the message's id."""
        ...


def buttons_as_text(buttons: Buttons | None) -> str:
    """For channels without buttons: the commands that do the same, one per line."""
    if not buttons:
        return ""
    commands = {"d": "/xong {}", "p": "/tiendo {} 70%", "e": "/giahan {} NGÀY lý do",
                "ea": "/duyet {}", "er": "/khongduyet {}", "x": "/xinloi {}", "aa": "/duyetxl {}",
                "ab": "/tralai {}"}  # fmt: skip
    lines = []
    for row in buttons:
        for label, data in row:
            kind, _, ident = data.partition(":")
            if kind in commands:
                code = f"NV{ident}" if kind in ("d", "p", "e") else ident
                lines.append(f"{label} → {commands[kind].format(code)}")
    return "\n".join(lines)
