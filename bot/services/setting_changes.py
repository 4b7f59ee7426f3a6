"""The audit trail of the province's settings (:class:`~bot.models.SettingChange`): who
added or removed a calendar day, issued or revoked a link code, unbound a chat, and when.

Written by the services that make those changes (``bot.services.calendar``,
``bot.services.binding``), whether the web view or the CLI calls them; read back newest
first by the web view's admin pages.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from bot.models import SettingChange
from bot.services.assignments import Actor

SUBJECTS = ("calendar", "link_code", "chat")


def record_setting(
    session: Session, subject: str, key: str, actor: Actor, at: datetime,
    old: str | None, new: str | None, note: str = "",
) -> None:  # fmt: skip
    """One change of ``subject`` (one of :data:`SUBJECTS`) at ``key`` (the day in ISO,
    the link code's id, "channel:chat_key"), from ``old`` to ``new`` (``None``: none)."""
    assert subject in SUBJECTS, subject
    session.add(SettingChange(at=at, actor=actor.who, subject=subject, key=key[:96], old=old,
                              new=new, note=note))  # fmt: skip


def setting_changes(session: Session, *subjects: str, limit: int = 50) -> list[SettingChange]:
    """The last ``limit`` changes of these ``subjects``, the last recorded first (by the
    order written, not their time: see :func:`bot.services.history.agency_history`)."""
    rows = session.exec(
        select(SettingChange)
        .where(col(SettingChange.subject).in_(subjects))
        .order_by(col(SettingChange.id).desc())
        .limit(limit)
    ).all()
    return list(rows)
