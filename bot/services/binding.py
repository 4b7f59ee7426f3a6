"""Binding chats to agencies with one-time codes made by an admin (the CLI's ``dondoc
link``, the web view's Quản trị › Chat), and unbinding them.

An admin's changes (:func:`issue_link_code`, :func:`revoke_link_code`,
:func:`unbind_chat`) go to the settings' audit trail (``bot.services.setting_changes``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.domain.calendar import VIETNAM
from bot.domain.collation import vietnamese_key
from bot.models import Agency, AgencyChange, Chat, ChatRole, LinkCode
from bot.render import vn_date
from bot.services.agency_changes import former_agency
from bot.services.assignments import Actor
from bot.services.chats import deactivate_chat, ensure_chat
from bot.services.setting_changes import record_setting

# No 0/O, 1/I/L: codes are read aloud over the phone and typed on a phone.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DEFAULT_TTL = timedelta(hours=48)
LINK_HOURS_MAX = 720  # a code lives at most 30 days


class BindingRefused(ValueError):
    """A link code that cannot be issued or revoked, a chat that cannot be unbound; the
    message says why, in Vietnamese."""


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
class Issued:
    """A link code just issued: the code itself (shown this once: only its hash is kept),
    its row's id, when it expires (UTC) and where to type it."""

    code: str  # "ABCD-EFGH"
    id: int
    expires_at: datetime
    instruction: str  # :func:`where_to_link`


def issue_link_code(
    session: Session, *, agency: Agency | None, role: ChatRole, hours: int, actor: Actor,
    now: datetime, today: date,
) -> Issued:  # fmt: skip
    """A one-time code binding a chat to ``agency`` in ``role``, valid ``hours`` (1 to
    :data:`LINK_HOURS_MAX`), recorded in the settings' audit trail as ``actor``'s.
    ``today`` is Vietnam's date: an agency whose change has come gets no code. Raises
    :class:`BindingRefused` (no agency for a role that needs one, an agency that no
    longer exists, hours out of range)."""
    if not 1 <= hours <= LINK_HOURS_MAX:
        raise BindingRefused(f"Thời hạn của mã phải từ 1 đến {LINK_HOURS_MAX} giờ.")
    if agency is None and role != ChatRole.ADMIN:
        raise BindingRefused(
            "Chọn cơ quan: chỉ mã cho quản trị viên mới không gắn với cơ quan nào."
        )
    if agency is not None and (described := former_agency(session, agency, today)) is not None:
        raise BindingRefused(f"{described}: hãy cấp mã cho cơ quan hiện nay.")
    code = create_link_code(session, agency=agency, role=role, now=now, ttl=timedelta(hours=hours))
    row = code_target(session, code)
    assert row is not None and row.id is not None
    name = agency.name if agency else "quản trị"
    expires = row.expires_at
    record_setting(session, "link_code", str(row.id), actor, now, None,
                   f"{name} · {role.label}", f"hết hạn {_moment(expires)}")  # fmt: skip
    return Issued(code, row.id, expires, where_to_link(role, code, name))


def codable_agencies(session: Session, today: date) -> list[Agency]:
    """The agencies a link code may be issued for on ``today`` (Vietnam's calendar): those
    whose change is neither applied nor come (:func:`former_agency`), by name."""
    gone = session.exec(
        select(AgencyChange.agency_id).where(
            col(AgencyChange.applied_at).is_not(None) | (col(AgencyChange.effective_on) <= today)
        )
    ).all()
    rows = session.exec(select(Agency).where(col(Agency.id).not_in(gone))).all()
    return sorted(rows, key=lambda a: vietnamese_key(a.name))


def where_to_link(role: ChatRole, code: str, agency: str) -> str:
    """Where the code is typed, for its ``role``: an agency's group in that group; a head,
    a coordinator or an admin in their private chat with the bot (their notices are
    theirs, not the group's)."""
    if role == ChatRole.GROUP:
        return (f"Gõ /lienket {code} trong nhóm công tác của {agency} (nhóm Zalo: nhắc @tên "
                f"bot rồi gõ /lienket {code}).")  # fmt: skip
    who = {ChatRole.HEAD: f"Thủ trưởng {agency}",
           ChatRole.COORDINATOR: f"Cán bộ theo dõi, đôn đốc của {agency}"}.get(role, "Quản trị viên")  # fmt: skip
    return (f"{who} mở chat riêng với bot (Telegram: tìm tên bot, bấm Bắt đầu/Start; Zalo: "
            f"nhắn tin cho bot) rồi gõ /lienket {code}; không gõ trong nhóm.")  # fmt: skip


def revoke_link_code(session: Session, code_id: int, *, actor: Actor, now: datetime) -> LinkCode:
    """An unused code that has not expired ends now (it expires: the chat that types it is
    told so), recorded in the settings' audit trail. Raises :class:`BindingRefused` for
    an unknown, used or expired code."""
    row = session.get(LinkCode, code_id)
    if row is None:
        raise BindingRefused(f"Không có mã liên kết số {code_id}.")
    if row.used_at is not None:
        raise BindingRefused(f"Mã số {code_id} đã được dùng lúc {_moment(row.used_at)}: muốn "
                             "ngừng thì bỏ liên kết chat đó.")  # fmt: skip
    if row.expires_at <= now:
        raise BindingRefused(f"Mã số {code_id} đã hết hạn lúc {_moment(row.expires_at)}.")
    old = f"hết hạn {_moment(row.expires_at)}"
    row.expires_at = now
    session.add(row)
    record_setting(session, "link_code", str(code_id), actor, now, old, "thu hồi")
    return row


LAST_ADMIN = ("“{name}” là chat quản trị viên cuối cùng còn liên kết: bỏ nó thì không còn ai "
              "nhận thông báo của quản trị viên, cấp mã liên kết hay mở trang Quản trị. Hãy "
              "liên kết một chat quản trị viên khác trước (cấp mã vai trò Quản trị viên), rồi "
              "mới bỏ liên kết chat này.")  # fmt: skip


def last_admin_chat(session: Session, chat: Chat) -> bool:
    """Whether ``chat`` is the only active admin chat left (unbinding it would leave the
    province without an admin)."""
    if not chat.active or chat.role != ChatRole.ADMIN:
        return False
    others = session.exec(
        select(Chat.id).where(Chat.role == ChatRole.ADMIN, col(Chat.active).is_(True),
                              Chat.id != chat.id).limit(1)
    ).first()  # fmt: skip
    return others is None


def unbind_chat(session: Session, chat: Chat, *, actor: Actor, now: datetime) -> None:
    """``chat`` unbound (``deactivate_chat``; its web sessions end with it), recorded in
    the settings' audit trail. Raises :class:`BindingRefused` for a chat already unbound,
    or the last active admin chat (:func:`last_admin_chat`)."""
    if not chat.active:
        raise BindingRefused(f"“{chat.title or chat.chat_key}” đã được bỏ liên kết.")
    if last_admin_chat(session, chat):
        raise BindingRefused(LAST_ADMIN.format(name=chat.title or chat.chat_key))
    agency = session.get(Agency, chat.agency_id) if chat.agency_id else None
    bound = " · ".join(x for x in (agency.name if agency else "", ChatRole(chat.role).label) if x)
    deactivate_chat(session, chat, now, tell_admins=False)
    record_setting(session, "chat", f"{chat.channel}:{chat.chat_key}", actor, now, bound,
                   "bỏ liên kết", chat.title)  # fmt: skip


def _moment(at: datetime) -> str:
    """A moment as Vietnam reads it: "08:00 Thứ Sáu, 20/12/2024"."""
    local = at.astimezone(VIETNAM)
    return f"{local:%H:%M} {vn_date(local.date())}"


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
    # What the web view shows besides; a listing row is the five above, as the CLI prints.
    id: int = field(default=0, compare=False)
    since: datetime | None = field(default=None, compare=False)  # its last code used, else made
    active: bool = field(default=True, compare=False)


def linked_chats(session: Session, *, unbound: bool = False) -> list[LinkedChat]:
    """Every active chat (and with ``unbound`` those unbound since), with its agency's
    name and since when it is bound, the active first, by channel and title."""
    last_code = (
        select(LinkCode.used_by_chat_id, func.max(LinkCode.used_at).label("used_at"))
        .group_by(col(LinkCode.used_by_chat_id))
        .subquery()
    )
    query = (
        select(Chat, Agency, last_code.c.used_at)
        .join(Agency, isouter=True)
        .join(last_code, last_code.c.used_by_chat_id == Chat.id, isouter=True)
    )
    if not unbound:
        query = query.where(col(Chat.active))
    rows = session.exec(query).all()
    found = [LinkedChat(chat.channel, chat.chat_key, chat.title, agency.name if agency else "",
                        chat.role, chat.id or 0, used_at or chat.created_at, chat.active)
             for chat, agency, used_at in rows]  # fmt: skip
    return sorted(found, key=lambda c: (not c.active, c.channel, c.title, c.chat_key))


@dataclass(frozen=True)
class CodeShown:
    """A link code as listed to admins (never the code: only its hash is kept)."""

    id: int
    agency: str  # "" for an admin's code
    role: str
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None
    used_by: str  # the title of the chat that used it, "" if none

    def usable(self, now: datetime) -> bool:
        """Whether a chat can still bind with it (so it can be revoked)."""
        return self.used_at is None and self.expires_at > now


def link_codes(session: Session, *, since: datetime) -> list[CodeShown]:
    """The link codes made since ``since``, newest first."""
    used_by = Chat.__table__.alias("used_by")  # type: ignore[attr-defined]
    rows = session.exec(
        select(LinkCode, Agency.name, used_by.c.title, used_by.c.chat_key)
        .join(Agency, col(Agency.id) == col(LinkCode.agency_id), isouter=True)
        .join(used_by, used_by.c.id == col(LinkCode.used_by_chat_id), isouter=True)
        .where(col(LinkCode.created_at) >= since)
        .order_by(col(LinkCode.created_at).desc(), col(LinkCode.id).desc())
    ).all()
    return [CodeShown(code.id or 0, name or "", code.role, code.created_at, code.expires_at,
                      code.used_at, title or key or "")
            for code, name, title, key in rows]  # fmt: skip
