"""Which notice keys are already planned: the check that keeps every notice single."""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session, col, select

from bot.models import Notice

_CHUNK = 500  # keys per query: well under every database's limit on bound parameters


def existing_keys(session: Session, keys: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for i in range(0, len(keys), _CHUNK):
        chunk = keys[i : i + _CHUNK]
        found.update(session.exec(select(Notice.key).where(col(Notice.key).in_(chunk))).all())
    return found
