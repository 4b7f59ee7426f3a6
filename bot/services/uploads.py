"""Files uploaded on the web view, kept between their preview and their import.

An admin uploads a file (Quản trị → Nạp dữ liệu); the web runs the import's dry run on
it and, when it reads without errors, keeps the bytes here (:func:`keep`) under a random
id, bound to who uploaded it, with their SHA-256. "Xác nhận" imports those very bytes:
:func:`find` gives the upload back to the same person before it expires, and
:func:`claim` marks it imported once (a conditional UPDATE, so a second confirmation,
even at the same moment from another tab, imports nothing), dropping its bytes.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col

from bot.models import WebUpload

UPLOAD_TTL = timedelta(hours=1)  # a preview is confirmed within the hour, or uploaded again
MAX_UPLOAD = 20 * 1024 * 1024  # bytes: larger than any plan or day's files export seen
_UNSAFE = re.compile(r"[^\w.\- ()]+")


def safe_name(filename: str) -> str:
    """The uploaded file's name, reduced to a name of its own: no folder, no characters a
    file system or a page could misread, 120 characters at most; "tep" when none is left.
    Its ending (".csv") is kept."""
    base = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", base).strip(" ._") or "tep"
    stem, dot, suffix = name.rpartition(".")
    if dot and len(name) > 120:
        return stem[: 119 - len(suffix)] + "." + suffix
    return name[:120]


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def keep(
    session: Session, *, chat_id: int, user_id: str, kind: str, filename: str, content: bytes,
    options: dict[str, Any], now: datetime,
) -> WebUpload:  # fmt: skip
    """Keep ``content`` for its confirmation; uploads past :data:`UPLOAD_TTL` are pruned."""
    session.execute(delete(WebUpload).where(col(WebUpload.uploaded_at) < now - UPLOAD_TTL))
    upload = WebUpload(id=secrets.token_urlsafe(24), chat_id=chat_id, user_id=user_id, kind=kind,
                       filename=safe_name(filename), options=options, content=content,
                       size=len(content), sha256=digest(content), uploaded_at=now)  # fmt: skip
    session.add(upload)
    session.flush()
    return upload


def find(
    session: Session, upload_id: str, *, chat_id: int, user_id: str, now: datetime
) -> WebUpload | None:
    """The upload ``upload_id`` of this chat and person, if it has not expired at ``now``
    (confirmed or not)."""
    upload = session.get(WebUpload, upload_id) if upload_id else None
    if upload is None or (upload.chat_id, upload.user_id) != (chat_id, user_id):
        return None
    return upload if now - upload.uploaded_at <= UPLOAD_TTL else None


def claim(session: Session, upload: WebUpload, now: datetime) -> bool:
    """Mark ``upload`` imported at ``now`` and drop its bytes, unless it was already:
    ``True`` for the one caller that claims it."""
    done = session.execute(
        update(WebUpload)
        .where(col(WebUpload.id) == upload.id, col(WebUpload.confirmed_at).is_(None))
        .values(confirmed_at=now, content=b"")
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(done, "rowcount", 0))


def keep_report(session: Session, upload_id: str, report: str) -> None:
    """What the upload's preview or import reported (the page's HTML), kept with it."""
    session.execute(update(WebUpload).where(col(WebUpload.id) == upload_id).values(report=report)
                    .execution_options(synchronize_session=False))  # fmt: skip


@contextmanager
def as_file(filename: str, content: bytes) -> Iterator[Path]:
    """``content`` in a private temporary folder under its own name (the importers read
    paths, and name a file's type by its ending); removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="dondoc-upload-") as folder:
        path = Path(folder) / safe_name(filename)
        path.write_bytes(content)
        yield path
