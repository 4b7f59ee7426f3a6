"""Chats bound to agencies, and what happens to a chat after a channel's error.

The one place a chat is deactivated (``deactivate_chat``: unlinked by an admin, or gone
for the bot) or follows its group to a new id (``follow_migration``), and where the
admins are told that a chat or one message could not be reached (``message_failed``),
or that a whole channel stopped (``channel_stopped``).
The dispatcher, the Telegram transport and the CLI all call these.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.models import Agency, AgencyChange, Chat, ChatRole, Outbox, OutboxState
from bot.render import answer, blocks
from bot.services.actions import alert_admins

COORDINATING = ("so-noi-vu", "vp-ubnd")  # Sở Nội vụ and Văn phòng UBND tỉnh "theo dõi, đôn đốc"


class FormerAgency(Exception):
    """A chat cannot be bound to an agency whose change has been applied: its work is
    its successors' now (``dondoc link`` and ``dondoc console`` say so first)."""

    def __init__(self, agency: Agency) -> None:
        super().__init__(f"{agency.name} ({agency.code}) no longer exists")
        self.agency = agency


def former_ids(session: Session) -> set[int]:
    """The agencies whose change has been applied (``AgencyChange.applied_at`` is set)."""
    rows = session.exec(
        select(AgencyChange.agency_id).where(col(AgencyChange.applied_at).is_not(None))
    ).all()
    return set(rows)


def ensure_chat(
    session: Session,
    *,
    channel: str,
    chat_key: str,
    role: ChatRole,
    agency: Agency | None,
    title: str,
    kind: str = "",
) -> Chat:
    """The chat ``channel``/``chat_key``, created or bound anew to ``agency`` in ``role``.
    Raises :class:`FormerAgency` for an agency whose change has been applied: a chat
    that followed it to its successor is never bound back. ``kind``: "group" or
    "private" when the channel says (kept as it was when not)."""
    if agency is not None and agency.id in former_ids(session):
        raise FormerAgency(agency)
    chat = session.exec(
        select(Chat).where(Chat.channel == channel, Chat.chat_key == chat_key)
    ).first() or Chat(channel=channel, chat_key=chat_key, role=role)
    chat.role, chat.title, chat.active = role, title, True
    chat.kind = kind or chat.kind
    chat.agency_id = agency.id if agency else None
    session.add(chat)
    return chat


def bind_console_chats(session: Session) -> int:
    """The demo province's chats, on the console: a group and a head for each agency
    that still exists (a former agency's chats went to its successors when its change
    was applied), the coordinators (Sở Nội vụ, Văn phòng UBND tỉnh) and one admin.
    Returns how many chats were bound."""
    former = former_ids(session)
    agencies = [a for a in session.exec(select(Agency)).all() if a.id not in former]
    bound = 1
    for agency in agencies:
        ensure_chat(session, channel="console", chat_key=f"nhom:{agency.code}", role=ChatRole.GROUP,
                    agency=agency, title=f"Nhóm {agency.name}")  # fmt: skip
        ensure_chat(session, channel="console", chat_key=f"thu-truong:{agency.code}",
                    role=ChatRole.HEAD, agency=agency, title=f"Thủ trưởng {agency.name}")  # fmt: skip
        bound += 2
        if agency.code in COORDINATING:
            ensure_chat(session, channel="console", chat_key=f"dieu-phoi:{agency.code}",
                        role=ChatRole.COORDINATOR, agency=agency,
                        title=f"Theo dõi, đôn đốc – {agency.name}")  # fmt: skip
            bound += 1
    ensure_chat(session, channel="console", chat_key="quan-tri", role=ChatRole.ADMIN, agency=None,
                title="Quản trị viên")  # fmt: skip
    session.flush()
    return bound


def follow_migration(
    session: Session, channel: str, old_key: str, new_key: str, now: datetime
) -> Chat | None:
    """A group that became a supergroup (a new chat id): its chat follows it.

    If the new id is already bound (someone ran /lienket in the new group), the two are
    merged: the bound chat is kept, the old one is deactivated, the messages still to
    send move to the kept one, and the admins are told once. Returns the chat to use.
    """
    old = session.exec(
        select(Chat).where(Chat.channel == channel, Chat.chat_key == old_key)
    ).first()
    if old is None:
        return None
    new = session.exec(
        select(Chat).where(Chat.channel == channel, Chat.chat_key == new_key)
    ).first()
    if new is None:
        old.chat_key = new_key
        session.add(old)
        return old
    if new.id == old.id or not old.active:
        return new
    if not new.active:  # bound once and unbound since: the old binding goes on under the new id
        new.agency_id, new.role, new.active = old.agency_id, old.role, True
        new.title = new.title or old.title
    old.active = False
    session.add_all([old, new])
    session.flush()
    session.execute(
        update(Outbox)
        .where(col(Outbox.chat_id) == old.id,
               col(Outbox.state).in_([OutboxState.PENDING, OutboxState.SENDING]))
        .values(chat_id=new.id)
    )  # fmt: skip
    names = {a.id: a.name for a in session.exec(
        select(Agency).where(col(Agency.id).in_([old.agency_id, new.agency_id]))
    ).all()}  # fmt: skip
    text = answer("chat_merged", channel=channel, old_key=old_key, new_key=new_key,
                  title=new.title or old.title, old_agency=names.get(old.agency_id, ""),
                  new_agency=names.get(new.agency_id, ""), old_role=old.role, new_role=new.role)  # fmt: skip
    alert_admins(session, f"merged:{old.id}:{new.id}", text, now)
    return new


def deactivate_chat(
    session: Session, chat: Chat, now: datetime, *, reason: str = "", tell_admins: bool = True
) -> None:
    """The bot stops writing to ``chat`` (its messages still to send fail when their turn
    comes). With ``tell_admins``, every other admin chat is told why (``reason``), once
    per minute at most."""
    chat.active = False
    session.add(chat)
    if not tell_admins:
        return
    agency = session.get(Agency, chat.agency_id) if chat.agency_id else None
    header = {"chat": _title(chat), "agency": agency.name if agency else "", "reason": reason}
    text = "\n\n".join(blocks("alert.html.j2", header, []))
    alert_admins(session, f"chat:{chat.id}:{now:%Y%m%d%H%M}", text, now, skip_chat_id=chat.id)


def message_failed(session: Session, outbox_id: int, reason: str, now: datetime) -> None:
    """Tell the admins (but the chat concerned) that one message could not be sent; the
    chat stays. Once per message, whatever the number of attempts."""
    row = session.get(Outbox, outbox_id)
    assert row is not None
    chat = session.get(Chat, row.chat_id)
    title = _title(chat) if chat else "?"
    text = answer("message_failed", chat=title, reason=reason, attempts=row.attempts)
    alert_admins(session, f"outbox:{outbox_id}", text, now, skip_chat_id=row.chat_id)


def channel_stopped(session: Session, channel: str, reason: str, now: datetime) -> int:
    """A whole channel stopped (its token refused, :class:`bot.channels.ChannelStopped`):
    the admins are told, on every channel, at most once a day; no chat is touched.
    Returns how many admin chats were told."""
    text = answer("channel_stopped", channel=channel.capitalize(), reason=reason)
    return alert_admins(session, f"stopped:{channel}:{now:%Y%m%d}", text, now)


def channel_paused(session: Session, channel: str, reason: str, now: datetime) -> int:
    """A whole channel refused for a while (Zalo's 429 "Quota exceeded",
    :class:`bot.channels.ChannelPaused`): the admins are told, on every channel, at most
    once a day, so that a pause that never clears is not silent. Returns how many admin
    chats were told."""
    text = answer("channel_paused", channel=channel.capitalize(), reason=reason)
    return alert_admins(session, f"paused:{channel}:{now:%Y%m%d}", text, now)


def _title(chat: Chat) -> str:
    return chat.title or f"{chat.channel}:{chat.chat_key}"
