"""Binding chats to agencies with one-time codes made by an admin on the CLI."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from bot.models import Agency, Chat, ChatRole, LinkCode
from bot.services.chats import ensure_chat

# No 0/O, 1/I/L: codes are read aloud over the phone and typed on a phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEFAULT_TTL = timedelta(hours=48)


def _hash(code: str) -> str:
    return hashlib.sha256(code.strip().upper().replace("-", "").encode()).hexdigest()


def create_link_code(
    session: Session,
    *,
    agency: Agency | None,
    role: ChatRole,
    now: datetime,
    ttl: timedelta = DEFAULT_TTL,
) -> str:
    if role != ChatRole.ADMIN and agency is None:
        raise ValueError("a group, head or coordinator chat belongs to an agency")
    code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
    session.add(
        LinkCode(
            code_hash=_hash(code),
            agency_id=agency.id if agency else None,
            role=role,
            created_at=now,
            expires_at=now + ttl,
        )
    )
    return f"{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class Bound:
    chat: Chat
    agency: Agency | None


@dataclass(frozen=True)
class NotBound:
    reason: str  # "unknown" | "used" | "expired"


def redeem(
    session: Session, code: str, *, channel: str, chat_key: str, title: str, now: datetime,
    private: bool | None = None,
) -> Bound | NotBound:  # fmt: skip
    """Bind the chat with a one-time code. Any chat may redeem one: a group, or an
    officer's or a head's private chat (an agency may have several chats of a role, and
    each receives its notices: ``bot.scheduler.planners.routing.Routes``). ``private``:
    whether the channel said the chat is private, recorded as the chat's ``kind``."""
    link = code_target(session, code)
    if link is None:
        return NotBound("unknown")
    if link.used_at is not None:
        return NotBound("used")
    if link.expires_at <= now:
        return NotBound("expired")
    agency = session.get(Agency, link.agency_id) if link.agency_id else None
    chat = ensure_chat(session, channel=channel, chat_key=chat_key, role=ChatRole(link.role),
                       agency=agency, title=title, kind=_kind(private))  # fmt: skip
    session.flush()
    link.used_at, link.used_by_chat_id = now, chat.id
    session.add(link)
    return Bound(chat, agency)


def code_target(session: Session, code: str) -> LinkCode | None:
    """The link code ``code`` stands for (used or not, expired or not), if any."""
    return session.exec(select(LinkCode).where(LinkCode.code_hash == _hash(code))).first()


def _kind(private: bool | None) -> str:
    return "" if private is None else "private" if private else "group"


def find_chat(session: Session, channel: str, chat_key: str) -> Chat | None:
    return session.exec(
        select(Chat).where(Chat.channel == channel, Chat.chat_key == chat_key, Chat.active == True)  # noqa: E712
    ).first()


@dataclass(frozen=True)
class LinkedChat:
    """A chat bound to an agency (or to no agency: an admin's chat), as listed to admins."""

    channel: str
    chat_key: str
    title: str
    agency: str  # the agency's name, "" for none
    role: str


def linked_chats(session: Session) -> list[LinkedChat]:
    """Every active chat, with its agency's name."""
    rows = session.exec(
        select(Chat, Agency).join(Agency, isouter=True).where(col(Chat.active))
    ).all()
    return [LinkedChat(chat.channel, chat.chat_key, chat.title, agency.name if agency else "", chat.role)
            for chat, agency in rows]  # fmt: skip
