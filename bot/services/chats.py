"""Chats bound to agencies (the binding flow by code comes with the chat channels)."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models import Agency, Chat, ChatRole

COORDINATING = ("so-noi-vu", "vp-ubnd")  # Sở Nội vụ and Văn phòng UBND tỉnh "theo dõi, đôn đốc"


def ensure_chat(
    session: Session,
    *,
    channel: str,
    chat_key: str,
    role: ChatRole,
    agency: Agency | None,
    title: str,
) -> Chat:
    chat = session.exec(
        select(Chat).where(Chat.channel == channel, Chat.chat_key == chat_key)
    ).first() or Chat(channel=channel, chat_key=chat_key, role=role)
    chat.role, chat.title, chat.active = role, title, True
    chat.agency_id = agency.id if agency else None
    session.add(chat)
    return chat


def bind_console_chats(session: Session) -> int:
    """The demo province's chats, on the console: a group and a head for each agency,
    the coordinators (Sở Nội vụ, Văn phòng UBND tỉnh) and one admin."""
    agencies = session.exec(select(Agency)).all()
    for agency in agencies:
        ensure_chat(session, channel="console", chat_key=f"nhom:{agency.code}", role=ChatRole.GROUP,
                    agency=agency, title=f"Nhóm {agency.name}")  # fmt: skip
        ensure_chat(session, channel="console", chat_key=f"thu-truong:{agency.code}",
                    role=ChatRole.HEAD, agency=agency, title=f"Thủ trưởng {agency.name}")  # fmt: skip
        if agency.code in COORDINATING:
            ensure_chat(session, channel="console", chat_key=f"dieu-phoi:{agency.code}",
                        role=ChatRole.COORDINATOR, agency=agency,
                        title=f"Theo dõi, đôn đốc – {agency.name}")  # fmt: skip
    ensure_chat(session, channel="console", chat_key="quan-tri", role=ChatRole.ADMIN, agency=None,
                title="Quản trị viên")  # fmt: skip
    session.flush()
    return len(agencies) * 2 + len(COORDINATING) + 1
