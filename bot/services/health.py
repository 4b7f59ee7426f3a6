"""Whether dondoc is fit to work, for ``dondoc health``: the database reached and at the
latest schema, the outbox's backlog and failures, each channel's messages this month
against its quota. Read only: the check never migrates nor writes.

Healthy (exit 0) means the database answers at the latest schema; a spent quota or a
backlog is reported as a warning, not a failure: the bot is alive and holding its notices.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import alembic_config
from bot.models import Outbox, OutboxState
from bot.services.channel_usage import Usage, usages


@dataclass
class Health:
    """The figures of one check; ``problems`` and ``warnings`` are Vietnamese sentences."""

    database: str  # the backend's name: sqlite, postgresql
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


def check(engine: Engine, now: datetime, settings: Settings) -> Health:
    """One health check at ``now`` (UTC-aware); never raises for a database that is down
    or behind: that is a problem in the result."""
    health = Health(database=engine.dialect.name)
    health.latest = ScriptDirectory.from_config(
        alembic_config(settings.database_url)
    ).get_current_head()
    try:
        with engine.connect() as connection:
            health.schema = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:
        health.problems.append(f"Không kết nối được cơ sở dữ liệu: {exc.__class__.__name__}")
        return health
    if health.schema != health.latest:
        health.problems.append(
            f"Cơ sở dữ liệu chưa cập nhật cấu trúc ({health.schema or 'trống'}, cần "
            f"{health.latest}): khởi động lại “dondoc run”, lệnh này tự cập nhật khi chạy."
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
    for usage in health.channels:
        if usage.spent:
            health.warnings.append(
                f"{usage.channel.capitalize()} đã hết hạn mức tháng: thông báo đang được giữ lại."
            )
        elif usage.share is not None and usage.share >= 0.8:
            health.warnings.append(f"{usage.channel.capitalize()} đã dùng trên 80% hạn mức tháng.")
    return health
