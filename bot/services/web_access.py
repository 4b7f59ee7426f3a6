"""Signing in to the web view without a password: a one-time link answered to ``/web``.

A head, a coordinator or an admin types ``/web`` in their bound chat; the bot answers
with a link to the web view that opens a session with that chat's role and agency. The
link is

- **signed**: ``itsdangerous`` with the web view's key (:func:`site_key`), under its own
  salt, so that neither a session cookie nor anything else signed with the key passes
  for a link;
- **short-lived**: :data:`LINK_TTL` (10 minutes) from the moment in the link, checked
  against ``now`` given by the caller;
- **single use**: each link is a :class:`~bot.models.WebLink` row, claimed by a
  conditional UPDATE when it is used, so that two processes (or a restart) never let one
  link open two sessions.

Why the key lives in the database rather than in a ``WEB_SECRET`` setting: the link is
made by whichever process answers the chat (``dondoc run``, through Telegram's or Zalo's
handler) and checked by whichever serves the web (``dondoc run`` with WEB_PORT, or a
``dondoc web`` of its own); a key generated once in the database they share agrees in
all of them with nothing to configure, survives restarts (sessions stay valid), and can
be renewed by one command (:func:`renew_key`, ``dondoc web --doi-khoa``), which voids
every session and unused link at once. Whoever can read the database could forge a
session, but they can already read and change everything the web view shows.

The address written into links is the one the serving process publishes
(:func:`publish`, from WEB_BASE_URL): a chat answered by a process that does not serve
the web still links to the one that does, and says so plainly when none ever did.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar

import sqlalchemy as sa
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col

from bot.models import Agency, Chat, ChatRole, WebLink, WebSite

LINK_TTL = timedelta(minutes=10)
# How far a link may be stamped ahead of the web view's clock: two machines' clocks differ.
CLOCK_SKEW = timedelta(minutes=1)
SIGN_IN_PATH = "/dang-nhap"
# Roles that may open the web view. A group chat may not: a link answered there is read by
# every member, and officers have their agency's work in the chat already (/nhiemvu, /hoso).
WEB_ROLES = (ChatRole.HEAD, ChatRole.COORDINATOR, ChatRole.ADMIN)
_LINK_SALT = "dondoc.web.sign-in-link"
_KEEP_LINKS = timedelta(days=1)  # used or expired links kept this long, then pruned
_SITE = 1  # the one row of ``website``


def _insert(session: Session) -> Any:
    """``INSERT … ON CONFLICT DO NOTHING`` of the dialect in use (SQLite or PostgreSQL)."""
    dialect = session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(WebSite)


def _site(session: Session, now: datetime) -> WebSite:
    """The ``website`` row, made with a fresh key if there is none (two processes making
    it at once: the first one's key is kept, the other reads it)."""
    site = session.get(WebSite, _SITE)
    if site is None:
        session.execute(
            _insert(session)
            .values(id=_SITE, key=secrets.token_hex(32), base_url="", created_at=now)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        site = session.get(WebSite, _SITE)
    assert site is not None
    return site


def site_key(session: Session, now: datetime) -> str:
    """The web view's signing key (64 hex characters), generated the first time."""
    return _site(session, now).key


def publish(session: Session, base_url: str, now: datetime) -> str:
    """Record ``base_url`` (``https://host[:port][/prefix]``, no trailing slash) as the
    address the sign-in links point to; returns the signing key."""
    site = _site(session, now)
    site.base_url, site.published_at = base_url.rstrip("/"), now
    session.add(site)
    return site.key


def renew_key(session: Session, now: datetime) -> None:
    """A new signing key: every session cookie and every link not yet used stop working
    (in a process serving the web, once it restarts)."""
    site = _site(session, now)
    site.key = secrets.token_hex(32)
    session.add(site)


def _serializer(key: str) -> URLSafeSerializer:
    return URLSafeSerializer(key, salt=_LINK_SALT)


def issue_link(
    session: Session, chat: Chat, *, user_id: str, user_name: str, now: datetime
) -> str | None:
    """A one-time sign-in URL for ``chat`` (bound, of a role in :data:`WEB_ROLES`), asked
    by ``user_id`` at ``now``; ``None`` when no process has published the web view's
    address yet. Links older than a day are pruned on the way."""
    if chat.role not in WEB_ROLES or chat.id is None:
        raise ValueError(f"no web view for a {chat.role} chat")
    site = _site(session, now)
    if not site.base_url:
        return None
    session.execute(sa.delete(WebLink).where(col(WebLink.issued_at) < now - _KEEP_LINKS))
    jti = secrets.token_hex(16)
    session.add(WebLink(jti=jti, chat_id=chat.id, user_id=user_id[:64], user_name=user_name[:128],
                        issued_at=now))  # fmt: skip
    token = _serializer(site.key).dumps({"j": jti, "c": chat.id, "t": int(now.timestamp())})
    return f"{site.base_url}{SIGN_IN_PATH}?t={token}"


@dataclass(frozen=True)
class SignIn:
    """Who a valid link signs in: the chat (its role and agency as they are now) and the
    person who asked for the link (for the audit trail of what they change)."""

    chat_id: int
    role: ChatRole
    agency_id: int | None
    agency: str  # the agency's name; "" for an admin chat without one
    user_id: str
    user_name: str
    channel: str


class LinkRefused(Exception):
    """A link that signs nobody in; ``reason`` is ``forged``, ``expired``, ``ahead`` (stamped
    later than the web view's clock beyond :data:`CLOCK_SKEW`: the bot and the web view run
    on different clocks), ``used`` or ``chat_gone`` (the chat was unbound, or is a group),
    the message Vietnamese."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "forged": "Đường dẫn đăng nhập không hợp lệ.",
        "expired": "Đường dẫn đăng nhập đã hết hạn (chỉ dùng được trong 10 phút).",
        "ahead": "Đường dẫn đăng nhập ghi giờ muộn hơn giờ của giao diện web: bot và giao diện "
        "web đang chạy theo hai đồng hồ khác nhau. Hãy chạy cả hai cùng một giờ (cùng --at, "
        "hoặc cùng không có --at) rồi gõ /web lại.",
        "used": "Đường dẫn đăng nhập này đã được dùng (mỗi đường dẫn chỉ dùng được một lần).",
        "chat_gone": "Nhóm/chat đã gửi đường dẫn này không còn được liên kết để xem giao diện web.",
    }

    def __init__(self, reason: str) -> None:
        super().__init__(self.MESSAGES[reason])
        self.reason = reason


def link_chat(session: Session, token: str, now: datetime) -> int | None:
    """The chat a link was made for, if it is one of this site's links (used or not,
    expired or not), else ``None``: whoever is signed in for that chat already needs no
    sign-in from it."""
    try:
        return int(_serializer(site_key(session, now)).loads(token)["c"])
    except (BadSignature, KeyError, TypeError, ValueError):
        return None


def check_link(session: Session, token: str, now: datetime, *, claim: bool) -> SignIn:
    """Who ``token`` signs in at ``now``; with ``claim`` the link is used up (in the
    caller's transaction: it counts once committed). Raises :class:`LinkRefused`."""
    try:
        data = _serializer(site_key(session, now)).loads(token)
        jti, chat_id, issued = str(data["j"]), int(data["c"]), int(data["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise LinkRefused("forged") from None
    age = now - datetime.fromtimestamp(issued, UTC)
    if age < -CLOCK_SKEW:
        raise LinkRefused("ahead")
    if age > LINK_TTL:
        raise LinkRefused("expired")
    link = session.get(WebLink, jti)
    if link is None or link.chat_id != chat_id:
        raise LinkRefused("forged")
    if link.used_at is not None:
        raise LinkRefused("used")
    chat = session.get(Chat, chat_id)
    if chat is None or not chat.active or chat.role not in WEB_ROLES:
        raise LinkRefused("chat_gone")
    if claim:
        claimed = session.execute(
            sa.update(WebLink)
            .where(col(WebLink.jti) == jti, col(WebLink.used_at).is_(None))
            .values(used_at=now)
        )
        if claimed.rowcount != 1:  # type: ignore[attr-defined]
            raise LinkRefused("used")
    agency = session.get(Agency, chat.agency_id) if chat.agency_id is not None else None
    return SignIn(chat_id=chat_id, role=ChatRole(chat.role), agency_id=chat.agency_id,
                  agency=agency.name if agency else "", user_id=link.user_id,
                  user_name=link.user_name, channel=chat.channel)  # fmt: skip
