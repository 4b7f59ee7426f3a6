"""The web view's sessions, recorded on the server: a sign-in opens one
(:func:`start_session`), each request finds it again (:func:`live_session`), signing out
ends it (:func:`end_session`).

The session cookie is signed but holds only the session's id: signing out ends the row,
so the cookie, even copied and replayed, opens nothing afterwards. A session also ends
:data:`SESSION_TTL` after it started. Rows past any use are pruned as new sessions open.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from bot.models import WebSession

SESSION_TTL = timedelta(hours=12)  # a working day, and then some: sign in again with /web
_KEEP = timedelta(days=1)  # sessions past their time kept this long, then pruned


def start_session(
    session: Session, *, chat_id: int, user_id: str, user_name: str, now: datetime
) -> str:
    """A new session for ``chat_id`` opened at ``now`` by ``user_id``; its id (32
    URL-safe characters). Sessions started more than :data:`SESSION_TTL` and a day ago
    are pruned on the way."""
    session.execute(sa.delete(WebSession)
                    .where(col(WebSession.started_at) < now - SESSION_TTL - _KEEP))  # fmt: skip
    sid = secrets.token_urlsafe(24)
    session.add(WebSession(id=sid, chat_id=chat_id, user_id=user_id[:64],
                           user_name=user_name[:128], started_at=now))  # fmt: skip
    return sid


def live_session(session: Session, sid: str, now: datetime) -> WebSession | None:
    """The session ``sid`` if it has not ended at ``now`` (signed out, or past
    :data:`SESSION_TTL`), else ``None``."""
    found = session.get(WebSession, sid) if sid else None
    if found is None or found.ended_at is not None or now - found.started_at > SESSION_TTL:
        return None
    return found


def end_session(session: Session, sid: str, now: datetime) -> None:
    """The session ``sid`` ended at ``now`` (nothing for an unknown or ended one)."""
    session.execute(sa.update(WebSession)
                    .where(col(WebSession.id) == sid, col(WebSession.ended_at).is_(None))
                    .values(ended_at=now))  # fmt: skip
