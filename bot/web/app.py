"""The ASGI app of ``dondoc run``'s port (Starlette): ``/healthz`` and ``/metrics``.

It is served from a thread of its own (``bot.web.server``) and reads only what the bot
keeps in memory (``bot.metrics``: :data:`~bot.metrics.TICKS`, :data:`~bot.metrics.LINKS`,
:data:`~bot.metrics.HEARTBEAT`), so it answers at once even while the bot's event loop
waits on a locked or slow database.

``/healthz`` answers 200 with ``"status": "ok"`` when all of these hold, and 503 otherwise,
the ``status`` naming the first that does not (in this order):

- ``stopping``: the bot is not stopping (SIGTERM or Ctrl+C received);
- ``frozen``: the bot's event loop turned within the staleness window ``stale``
  (``bot.services.health.stale_after``: three tick intervals, five minutes at least);
- ``starting``: a first tick has started;
- ``stale``: a tick of this process worked within ``stale``, or one that started within
  it is still running;
- ``channel_down``: every configured channel (Telegram, Zalo) is connected, or has been
  out of reach for no longer than ``grace`` (by default ``stale`` too). The bot keeps
  trying to reach it meanwhile (``bot.app``); its messages wait in the outbox. A channel
  that stopped for good (Zalo refusing the token or the address) is down at once.

Its JSON says why: a Vietnamese ``message`` for a person, the last tick, each configured
channel (``channels``: connected or not, since when, the last error), the channels down
past the grace period (``down``), and how long the event loop has been silent.

``/metrics`` is prometheus-client's own ASGI app; the outbox's backlog is read from the
database first, in a worker thread and for at most :data:`BACKLOG_TIMEOUT` seconds (a
database that does not answer leaves the last figures).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from prometheus_client import make_asgi_app
from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.config import Settings
from bot.db import OUTAGE
from bot.domain.calendar import VIETNAM
from bot.logs import utc_iso
from bot.metrics import (
    HEARTBEAT,
    LINKS,
    TICKS,
    Heartbeat,
    Link,
    Links,
    TickState,
    refresh_backlog,
    start_series,
)
from bot.services.health import stale_after

log = logging.getLogger(__name__)

BACKLOG_TIMEOUT = 2.0  # seconds /metrics waits for the outbox's backlog before answering
_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "console": "console"}


def _local(moment: datetime) -> str:
    return moment.astimezone(VIETNAM).strftime("%H:%M:%S %d/%m/%Y")


def _stamp(moment: datetime | None) -> str | None:
    return utc_iso(moment) if moment is not None else None


def _ticks_verdict(ticks: TickState, now: datetime, stale: timedelta) -> tuple[str, str]:
    """``ok``, ``starting`` or ``stale``, and the Vietnamese sentence for it."""
    running = ticks.running_since is not None and now - ticks.running_since <= stale
    recent = ticks.last_ok is not None and now - ticks.last_ok <= stale
    if recent or running:
        return "ok", "dondoc đang chạy và nhắc việc đều đặn."
    if ticks.last_started is None and ticks.running_since is None:
        return "starting", "dondoc đang khởi động: chưa xong lượt nhắc việc đầu tiên."
    since = _local(ticks.last_ok) if ticks.last_ok else None
    message = (f"Không có lượt nhắc việc nào thành công từ {since}" if since else
               "Chưa có lượt nhắc việc nào thành công") + (
        f"; lỗi gần nhất: {ticks.last_error[:200]}" if ticks.last_error else
        "; lượt nhắc việc có thể bị treo")  # fmt: skip
    return "stale", message


def _down_sentence(name: str, link: Link) -> str:
    """What a person reads about a channel out of reach."""
    error = f" (lỗi: {link.error[:200]})" if link.error else ""
    if link.stopped:
        return (f"{_NAMES.get(name, name)} đã ngừng từ {_local(link.since)}{error}; sửa cấu hình "
                "rồi khởi động lại dondoc, tin nhắn qua kênh này chờ trong hàng đợi.")  # fmt: skip
    return (f"Chưa kết nối được {_NAMES.get(name, name)} từ {_local(link.since)}{error}; "
            "dondoc vẫn đang thử lại, tin nhắn qua kênh này chờ trong hàng đợi.")  # fmt: skip


def liveness(
    ticks: TickState, now: datetime, stale: timedelta, *, stopping: bool = False,
    links: Mapping[str, Link] | None = None, grace: timedelta | None = None,
    silent: float | None = None,
) -> tuple[int, dict[str, Any]]:  # fmt: skip
    """``/healthz``'s status code and body at ``now`` (the module's docstring says when it
    is 200). ``links``: each configured channel; ``grace``: how long one may be out of
    reach before it counts (``stale`` when not given); ``silent``: seconds since the bot's
    event loop last turned (``None``: not known)."""
    links = links or {}
    grace = stale if grace is None else grace
    down = sorted(name for name, link in links.items()
                  if not link.connected and (link.stopped or now - link.since > grace))  # fmt: skip
    status, message = _ticks_verdict(ticks, now, stale)
    if stopping:
        status, message = "stopping", "dondoc đang dừng."
    elif silent is not None and silent > stale.total_seconds():
        status = "frozen"
        message = (f"Vòng xử lý của dondoc không chạy đã {silent:.0f} giây "
                   "(có thể đang chờ cơ sở dữ liệu bị khoá hoặc quá chậm).")  # fmt: skip
    elif status == "ok" and down:
        status, message = "channel_down", ""
    if down and status != "stopping":
        parts = [message.rstrip("."), *(_down_sentence(name, links[name]) for name in down)]
        message = " ".join(part if part.endswith(".") else f"{part}." for part in parts if part)
    body = {
        "status": status,
        "message": message,
        "last_tick": None if ticks.last_started is None else {
            "started_at": _stamp(ticks.last_started), "seconds": ticks.last_seconds,
            "error": ticks.last_error,
        },
        "last_ok_tick_at": _stamp(ticks.last_ok),
        "tick_running_since": _stamp(ticks.running_since),
        "stale_after_seconds": stale.total_seconds(),
        "channels": {name: {"connected": link.connected, "since": _stamp(link.since),
                            "error": link.error} for name, link in sorted(links.items())},
        "down": down,
        "channel_grace_seconds": grace.total_seconds(),
        "loop_silent_seconds": None if silent is None else round(silent, 3),
    }  # fmt: skip
    return (200 if status == "ok" else 503), body


class _Metrics:
    """prometheus-client's ASGI app, the backlog read just before: in a worker thread, one
    read at a time, waited for at most ``timeout`` seconds (a database away or locked
    leaves the last figures; the counters are still worth serving)."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime], timeout: float) -> None:
        self.engine, self.clock, self.timeout = engine, clock, timeout
        self.exposition = make_asgi_app()
        self._reading: asyncio.Future[None] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self._refresh()
        await self.exposition(scope, receive, send)

    async def _refresh(self) -> None:
        if self._reading is None or self._reading.done():  # a slow read is not started twice
            self._reading = asyncio.ensure_future(
                asyncio.to_thread(refresh_backlog, self.engine, self.clock())
            )
            # A read that fails is logged once, whether or not a scrape still waits for it.
            self._reading.add_done_callback(_log_failure)
        done, _late = await asyncio.wait({self._reading}, timeout=self.timeout)
        if not done:  # it goes on in its thread; the next scrape may have it
            log.warning("metrics: the outbox's backlog took over %g s to read", self.timeout)


def _log_failure(reading: asyncio.Future[None]) -> None:
    """A failed read logged, except the database being away: the process's one ``OUTAGE``
    says that once for everyone (a scrape every 15 s would repeat it with a traceback)."""
    if reading.cancelled():
        return
    exc = reading.exception()
    if exc is None:
        OUTAGE.answered()
    elif not OUTAGE.failed(exc, "reading the metrics"):
        log.warning("metrics: cannot read the outbox's backlog", exc_info=exc)


def create_app(
    *, engine: Engine, settings: Settings, clock: Callable[[], datetime],
    stop: asyncio.Event | None = None, ticks: TickState = TICKS, links: Links = LINKS,
    heartbeat: Heartbeat = HEARTBEAT, grace: timedelta | None = None,
    backlog_timeout: float = BACKLOG_TIMEOUT,
) -> Starlette:  # fmt: skip
    """``/healthz`` on ``ticks``, ``links`` and ``heartbeat`` (this process's) at
    ``clock()``; 503 once ``stop`` is set; a channel may be out of reach ``grace`` before
    it counts (three tick intervals when not given). ``/metrics`` waits at most
    ``backlog_timeout`` seconds for the database."""
    stale = stale_after(settings)
    start_series(["console"] + [name for name, token in (("telegram", settings.telegram_token),
                                                         ("zalo", settings.zalo_token)) if token])  # fmt: skip

    async def healthz(_request: Request) -> JSONResponse:
        code, body = liveness(ticks, clock(), stale, stopping=stop is not None and stop.is_set(),
                              links=links.snapshot(), grace=grace,
                              silent=heartbeat.silent_for())  # fmt: skip
        return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET", "HEAD"]),
                             Route("/metrics", _Metrics(engine, clock, backlog_timeout))])  # fmt: skip
