"""Whether dondoc is fit to work, for ``dondoc health``: the database reached and at the
latest schema, the outbox's backlog and failures, each channel's messages this month
against its quota. Read only: the check never migrates nor writes.

Healthy (exit 0) means the database answers at the latest schema; a spent quota or a
backlog is reported as a warning, not a failure: the bot is alive and holding its notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import alembic_config
from bot.models import Chat, Outbox, OutboxState
from bot.services.channel_usage import Usage, usages
from bot.services.outbox import CHANNEL_STOPPED


@dataclass
class Health:
    """The figures of one check; ``problems`` and ``warnings`` are Vietnamese sentences."""

    database: str  # its URL, without a password
    schema: str | None = None  # the database's migration revision
    latest: str | None = None  # the code's latest migration revision
    pending: int = 0  # outbox rows waiting or being sent
    oldest_minutes: float | None = None  # age of the oldest of them, in minutes
    failed: int = 0  # outbox rows failed for good
    channels: list[Usage] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def check(settings: Settings, now: datetime) -> Health:
    """One health check of ``settings.database_url`` at ``now`` (UTC-aware). Never
    raises for a database that is missing, down, locked, behind or ahead: that is a
    problem in the result. Opens the database without creating or migrating it, and
    waits at most a few seconds for it."""
    url = make_url(settings.database_url)
    health = Health(database=url.render_as_string(hide_password=True))
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    health.latest = scripts.get_current_head()
    known = {script.revision for script in scripts.walk_revisions()}
    if url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:"):
        if not Path(url.database).is_file():
            health.problems.append(f"Không có tệp cơ sở dữ liệu {url.database}: kiểm tra "
                                   "DATABASE_URL (đường dẫn, thư mục làm việc).")  # fmt: skip
            return health
        engine = create_engine(url, connect_args={"timeout": 3})
    else:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        return _check(engine, health, now, settings, known)
    finally:
        engine.dispose()


def _check(
    engine: Engine, health: Health, now: datetime, settings: Settings, known: set[str]
) -> Health:
    try:
        with engine.connect() as connection:
            health.schema = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        reason = getattr(exc, "orig", None) or exc.__class__.__name__
        health.problems.append(f"Không đọc được cơ sở dữ liệu: {reason}")
        return health
    if health.schema is None:
        with engine.connect() as connection:
            tables = inspect(connection).get_table_names()
        health.problems.append(
            f"Cơ sở dữ liệu có {len(tables)} bảng nhưng không ghi phiên bản cấu trúc của "
            "dondoc: kiểm tra DATABASE_URL (có thể là cơ sở dữ liệu khác)." if tables else
            "Cơ sở dữ liệu trống (chưa có bảng nào): kiểm tra DATABASE_URL; nếu đúng là cơ "
            "sở dữ liệu mới, “dondoc run” sẽ tạo bảng khi chạy.")  # fmt: skip
        return health
    if health.schema not in known:
        health.problems.append(f"Cơ sở dữ liệu ở cấu trúc {health.schema}, mới hơn phiên bản "
                               "dondoc này: cập nhật dondoc rồi chạy lại.")  # fmt: skip
        return health
    if health.schema != health.latest:
        health.problems.append(
            f"Cơ sở dữ liệu chưa cập nhật cấu trúc ({health.schema}, cần {health.latest}): "
            "khởi động lại “dondoc run”, lệnh này tự cập nhật khi chạy."
        )
        return health
    with Session(engine) as session:
        waiting = col(Outbox.state).in_([OutboxState.PENDING, OutboxState.SENDING])
        health.pending, oldest = session.exec(
            select(func.count(), func.min(Outbox.created_at)).where(waiting)
        ).one()
        if oldest is not None:
            health.oldest_minutes = max((now - oldest).total_seconds() / 60, 0.0)
        health.failed = session.exec(
            select(func.count()).where(Outbox.state == OutboxState.FAILED)
        ).one()
        health.channels = usages(session, now, settings)
        # Messages put back after a failure, per channel, with the last reason: a channel
        # stopped (a token refused) or paused (a quota) shows here.
        for channel, count, last_id in session.exec(
            select(Chat.channel, func.count(), func.max(Outbox.id))
            .join(Chat, col(Outbox.chat_id) == col(Chat.id))
            .where(col(Outbox.state) == OutboxState.PENDING, col(Outbox.last_error) != "")
            .group_by(col(Chat.channel))
        ):
            row = session.get(Outbox, last_id)
            error = row.last_error[:200] if row else ""
            said = f"{channel.capitalize()}: {count} tin đang chờ gửi lại; lỗi gần nhất: {error}"
            # A channel stopped (its token refused) sends nothing until it is fixed.
            stopped = error.startswith(CHANNEL_STOPPED)
            (health.problems if stopped else health.warnings).append(said)
    for usage in health.channels:
        if usage.spent:
            health.warnings.append(
                f"{usage.channel.capitalize()} đã hết hạn mức tháng: thông báo đang được giữ lại."
            )
        elif usage.share is not None and usage.share >= 0.8:
            health.warnings.append(f"{usage.channel.capitalize()} đã dùng trên 80% hạn mức tháng.")
    return health
