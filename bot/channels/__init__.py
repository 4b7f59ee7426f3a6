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


class Channel(Protocol):
    name: str

    async def send(self, chat_key: str, html: str) -> str:
        """Send one message (HTML, within the channel's size limit); return its id."""
        ...
