"""Which chats a notice goes to: the agency's group and head, the coordinators, the admins."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.domain.policy import Audience
from bot.models import Chat, ChatRole

_OWN = (Audience.GROUP, Audience.HEAD)  # the agency's own chats; the others are province-wide


class Routes:
    """The active chats of some agencies and every province-wide chat, read in one query."""

    def __init__(self, session: Session, agency_ids: Iterable[int | None]) -> None:
        chats = session.exec(
            select(Chat).where(
                col(Chat.active),
                or_(col(Chat.agency_id).in_(set(agency_ids)),
                    col(Chat.role).in_([ChatRole.COORDINATOR, ChatRole.ADMIN])),
            )
        ).all()  # fmt: skip
        self._by_route: dict[tuple[int | None, str], list[Chat]] = defaultdict(list)
        for chat in chats:
            own = chat.role in (ChatRole.GROUP, ChatRole.HEAD)
            self._by_route[(chat.agency_id if own else None, chat.role)].append(chat)

    @classmethod
    def everywhere(cls, session: Session) -> Routes:
        """Every active chat: when the agencies are not known ahead (a stream of files)."""
        routes = cls(session, ())
        for chat in session.exec(
            select(Chat).where(col(Chat.active), col(Chat.agency_id).is_not(None))
        ):
            own = chat.role in (ChatRole.GROUP, ChatRole.HEAD)
            if own:
                routes._by_route[(chat.agency_id, chat.role)].append(chat)
        return routes

    def chats(self, agency_id: int | None, audience: Iterable[Audience]) -> list[Chat]:
        """The chats of ``audience`` for a notice of agency ``agency_id``, each once."""
        found: dict[int | None, Chat] = {}
        for who in sorted(audience):
            route = (agency_id if who in _OWN else None, who.value)
            found.update({c.id: c for c in self._by_route[route]})
        return list(found.values())
