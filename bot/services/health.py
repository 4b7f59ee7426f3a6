"""Whether dondoc is fit to work, for ``dondoc health``: the database reached and at the
latest schema, the last planning tick (any ``dondoc run`` process: ``TickRun``), the
outbox's backlog and failures, each channel's messages this month against its quota, and
each configured channel's ``getMe`` (:func:`probe_channels`). Read only: the check never
migrates nor writes.

Healthy (exit 0) means the database answers at the latest schema, the last tick worked
and is recent (:func:`stale_after`: three tick intervals, five minutes at least), and
every configured channel answers ``getMe``. A tick older than that is a problem (exit 1):
the bot stopped or hangs. A spent quota, a backlog, or no tick yet (a database no bot has
run on) is a warning.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import and_, create_engine, func, inspect, or_
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import alembic_config
from bot.db_problems import missing_file, newer_schema, unreachable_reason
from bot.domain.calendar import VIETNAM
from bot.logs import hide_secrets, keep_secret
from bot.models import Chat, Outbox, OutboxState, TickRun
from bot.redact import mask_url
from bot.services.channel_usage import Usage, usages
from bot.services.outbox import CHANNEL_STOPPED
from bot.services.ticks import last_tick

PROBE_TIMEOUT = 5.0  # seconds for a channel's getMe: an API that slow is as good as down


@dataclass
class Backlog:
    """Outbox messages waiting or being sent, per channel, and the oldest one's age."""

    by_channel: dict[str, int] = field(default_factory=dict)
    oldest_seconds: float | None = None

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())


def backlog(session: Session, now: datetime) -> Backlog:
    """The outbox's backlog at ``now`` (for ``dondoc health`` and ``/metrics``): the
    messages due by ``now`` and not sent yet (pending and due, or being sent), per
    channel, and how long the oldest of them has waited since it was written. A message
    due later (a retry's wait, a channel paused until its quota renews, a tick run
    ahead for a later time) is not behind: it is not counted."""
    waiting = or_(
        col(Outbox.state) == OutboxState.SENDING,
        and_(col(Outbox.state) == OutboxState.PENDING, col(Outbox.next_attempt_at) <= now),
    )
    found = Backlog()
    oldest: datetime | None = None
    for channel, count, first in session.exec(
        select(Chat.channel, func.count(), func.min(Outbox.created_at))
        .join(Chat, col(Outbox.chat_id) == col(Chat.id))
        .where(waiting)
        .group_by(col(Chat.channel))
    ):
        found.by_channel[channel] = count
        oldest = first if oldest is None or first < oldest else oldest
    if oldest is not None:
        found.oldest_seconds = max((now - oldest).total_seconds(), 0.0)
    return found


def seconds_vn(seconds: float) -> str:
    """“0,25 giây”, “5 giây”: Vietnamese writes a decimal comma."""
    figure = f"{seconds:.2f}".rstrip("0").rstrip(".").replace(".", ",")
    return f"{figure} giây"


@dataclass
class Probe:
    """One channel's ``getMe``: the bot's name when it answered, why not otherwise."""

    channel: str
    ok: bool
    name: str = ""  # the bot's username (Telegram) or display name (Zalo)
    error: str = ""


async def probe_channels(
    settings: Settings,
    *,
    within: float = PROBE_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> list[Probe]:
    """``getMe`` on each channel that has a token, at once, ``within`` seconds at most
    each. The token is in the URL: it is never part of what is returned."""
    keep_secret(settings.telegram_token, settings.zalo_token)
    probes = []
    if settings.telegram_token:
        probes.append(_probe_telegram(settings.telegram_base_url, settings.telegram_token,
                                      within, transport))  # fmt: skip
    if settings.zalo_token:
        probes.append(_probe_zalo(settings.zalo_base_url, settings.zalo_token, within, transport))
    return list(await asyncio.gather(*probes))


async def _probe_telegram(
    base_url: str, token: str, within: float, transport: httpx.AsyncBaseTransport | None
) -> Probe:
    async with httpx.AsyncClient(base_url=f"{base_url}{token}/", timeout=within,
                                 transport=transport) as client:  # fmt: skip
        try:
            async with asyncio.timeout(within):  # DNS and all: httpx times each step only
                response = await client.post("getMe")
        except TimeoutError:
            return Probe("telegram", False, error=f"không trả lời trong {seconds_vn(within)}")
        except httpx.HTTPError as exc:  # its text may hold the URL, hence the token
            return Probe("telegram", False, error=f"không kết nối được ({exc.__class__.__name__})")
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict) and body.get("ok") and isinstance(body.get("result"), dict):
        return Probe("telegram", True, name=str(body["result"].get("username") or ""))
    said = body.get("description") if isinstance(body, dict) else None
    error = f"HTTP {response.status_code}" + (f" {said}" if said else "")
    return Probe("telegram", False, error=hide_secrets(error))


async def _probe_zalo(
    base_url: str, token: str, within: float, transport: httpx.AsyncBaseTransport | None
) -> Probe:
    from bot.channels.zalo import ZaloClient

    client = ZaloClient(token, base_url, transport=transport)
    try:
        me = await asyncio.wait_for(client.call("getMe"), within)
    except TimeoutError:
        return Probe("zalo", False, error=f"không trả lời trong {seconds_vn(within)}")
    except Exception as exc:  # the client's errors name the method and code, not the URL
        return Probe("zalo", False, error=hide_secrets(str(exc)))
    finally:
        await client.close()
    name = (me.get("account_name") or me.get("display_name") or "") if isinstance(me, dict) else ""
    return Probe("zalo", True, name=str(name))


def add_probes(health: Health, probes: list[Probe]) -> Health:
    """``probes`` into ``health``: a channel that does not answer is a problem."""
    health.probes = probes
    for probe in probes:
        if not probe.ok:
            variable = "TELEGRAM" if probe.channel == "telegram" else "ZALO"
            health.problems.append(
                f"{probe.channel.capitalize()} không trả lời getMe: {probe.error}. Kiểm tra "
                f"mạng, {variable}_BOT_TOKEN và {variable}_BASE_URL."
            )
    return health


@dataclass
class Health:
    """The figures of one check; ``problems`` and ``warnings`` are Vietnamese sentences."""

    database: str  # its URL, without a password
    schema: str | None = None  # the database's migration revision
    latest: str | None = None  # the code's latest migration revision
    # None where the database could not be read: unknown, not zero.
    pending: int | None = None  # outbox rows waiting or being sent
    oldest_minutes: float | None = None  # age of the oldest of them, in minutes
    failed: int | None = None  # outbox rows failed for good
    tick: TickRun | None = None  # the last planning tick of any worker
    tick_age_seconds: float | None = None  # how long ago it started, in seconds
    tick_stale: bool = False  # older than stale_after(settings): the bot stopped
    tick_stale_after: float = 0.0  # that threshold, in seconds
    channels: list[Usage] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)  # each channel's getMe
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
    health = Health(database=mask_url(settings.database_url))
    scripts = ScriptDirectory.from_config(alembic_config(settings.database_url))
    health.latest = scripts.get_current_head()
    known = {script.revision for script in scripts.walk_revisions()}
    if (missing := missing_file(settings.database_url)) is not None:
        health.problems.append(missing)
        return health
    if url.get_backend_name() == "sqlite":
        engine = create_engine(url, connect_args={"timeout": 3})
    else:
        engine = create_engine(url, connect_args={"connect_timeout": 5})
    try:
        return _check(engine, health, now, settings, known)
    finally:
        engine.dispose()


STALE_FLOOR = timedelta(minutes=5)


def stale_after(settings: Settings) -> timedelta:
    """A last tick older than this means planning stopped or hangs, for ``/healthz`` (503)
    and ``dondoc health`` (exit 1) alike: three tick intervals (APScheduler skips a run
    while the previous one lasts; another process takes over the planning after two, on
    PostgreSQL), five minutes at least, so that a check beside a bot ticking every minute
    does not cry wolf over one slow tick."""
    return max(timedelta(seconds=3 * settings.tick_seconds), STALE_FLOOR)


def _tick(session: Session, health: Health, now: datetime, settings: Settings) -> None:
    health.tick = tick = last_tick(session)
    limit = stale_after(settings)
    health.tick_stale_after = limit.total_seconds()
    if tick is None:
        health.warnings.append("Chưa có lượt nhắc việc nào được ghi lại: “dondoc run” chưa chạy.")
        return
    local = tick.started_at.astimezone(VIETNAM)
    age = now - tick.started_at
    health.tick_age_seconds = max(age.total_seconds(), 0.0)
    if tick.error:
        health.problems.append(f"Lượt nhắc việc lúc {local:%H:%M:%S %d/%m/%Y} bị lỗi: "
                               f"{tick.error[:200]}")  # fmt: skip
    if age > limit:
        health.tick_stale = True
        health.problems.append(
            f"Lượt nhắc việc gần nhất đã từ {local:%H:%M %d/%m/%Y} ({_ago(age)} trước), quá "
            f"{_ago(limit)} (ba chu kỳ nhắc việc, ít nhất 5 phút): “dondoc run” đã dừng hoặc "
            "bị treo. Xem nhật ký của bot và khởi động lại nó."
        )


def _ago(elapsed: timedelta) -> str:
    """“3 phút”, “2 giờ”, “5 ngày”: how long ago, roughly."""
    seconds = int(elapsed.total_seconds())
    if seconds < 120:
        return f"{seconds} giây"
    if seconds < 7200:
        return f"{seconds // 60} phút"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} giờ"
    return f"{seconds // 86400} ngày"


def _check(
    engine: Engine, health: Health, now: datetime, settings: Settings, known: set[str]
) -> Health:
    try:
        with engine.connect() as connection:
            health.schema = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as exc:  # one line, the password never in it
        health.problems.append(unreachable_reason(exc, settings.database_url))
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
        health.problems.append(newer_schema(health.schema))
        return health
    if health.schema != health.latest:
        health.problems.append(
            f"Cơ sở dữ liệu chưa cập nhật cấu trúc ({health.schema}, cần {health.latest}): "
            "khởi động lại “dondoc run”, lệnh này tự cập nhật khi chạy."
        )
        return health
    with Session(engine) as session:
        waiting = backlog(session, now)
        health.pending = waiting.total
        if waiting.oldest_seconds is not None:
            health.oldest_minutes = waiting.oldest_seconds / 60
        _tick(session, health, now, settings)
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
