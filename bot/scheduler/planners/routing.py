"""Which chats a notice goes to: the agency's group and head, the coordinators, the admins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any, NamedTuple

from sqlalchemy import or_, select
from sqlmodel import Session, col

from bot.db import among
from bot.domain.policy import Audience
from bot.models import Chat, ChatRole

_OWN = (Audience.GROUP, Audience.HEAD)  # the agency's own chats; the others are province-wide


class Recipient(NamedTuple):
    """An active chat as a planner needs it: its columns read as plain values. A tick
    routes to a thousand chats; a model object each, tracked by the session and by the
    garbage collector, would cost more than the rest of their messages' planning."""

    id: int
    channel: str
    chat_key: str
    title: str
    agency_id: int | None
    role: str
    kind: str

    @classmethod
    def of(cls, chat: Chat) -> Recipient:
        assert chat.id is not None
        return cls(chat.id, chat.channel, chat.chat_key, chat.title, chat.agency_id, chat.role,
                   chat.kind)  # fmt: skip


_COLUMNS: tuple[Any, ...] = tuple(col(getattr(Chat, name)) for name in Recipient._fields)


class Routes:
    """The active chats of some agencies and every province-wide chat, read in one query."""

    def __init__(self, session: Session, agency_ids: Iterable[int | None]) -> None:
        chats = session.execute(
            select(*_COLUMNS).where(
                col(Chat.active),
                or_(among(col(Chat.agency_id), list(set(agency_ids))),
                    col(Chat.role).in_([ChatRole.COORDINATOR, ChatRole.ADMIN])),
            )
        ).all()  # fmt: skip
        self._by_route: dict[tuple[int | None, str], list[Recipient]] = defaultdict(list)
        for row in chats:
            self._add(Recipient._make(row), province=True)

    def _add(self, chat: Recipient, *, province: bool) -> None:
        own = chat.role in (ChatRole.GROUP, ChatRole.HEAD)
        if own or province:
            self._by_route[(chat.agency_id if own else None, chat.role)].append(chat)

    @classmethod
    def everywhere(cls, session: Session) -> Routes:
        """Every active chat: when the agencies are not known ahead (a stream of files)."""
        routes = cls(session, ())
        for row in session.execute(
            select(*_COLUMNS).where(col(Chat.active), col(Chat.agency_id).is_not(None))
        ):
            routes._add(Recipient._make(row), province=False)
        return routes

    def chats(self, agency_id: int | None, audience: Iterable[Audience]) -> list[Recipient]:
        """The chats of ``audience`` for a notice of agency ``agency_id``, each once."""
        found: dict[int, Recipient] = {}
        for who in sorted(audience):
            route = (agency_id if who in _OWN else None, who.value)
            found.update({c.id: c for c in self._by_route[route]})
        return list(found.values())
