"""The ASGI app of ``dondoc run``'s port (Starlette): ``/healthz`` and ``/metrics``.

``/healthz`` answers 200 while the bot plans: its event loop answers, and a tick of this
process worked within three intervals (``bot.services.health.stale_after``) or one that
started within them is still running; 503 otherwise (starting, stopping, ticks failing
or stuck). Its JSON says why, with a Vietnamese ``message`` for a person reading it.

``/metrics`` is prometheus-client's own ASGI app; the outbox's backlog is read from the
database first, away from the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
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
from bot.domain.calendar import VIETNAM
from bot.metrics import TICKS, TickState, refresh_backlog, start_series
from bot.services.health import stale_after

log = logging.getLogger(__name__)


def liveness(
    ticks: TickState, now: datetime, stale: timedelta, *, stopping: bool = False
) -> tuple[int, dict[str, Any]]:
    """``/healthz``'s status code and body at ``now``."""

    def stamp(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment is not None else None

    running = ticks.running_since is not None and now - ticks.running_since <= stale
    recent = ticks.last_ok is not None and now - ticks.last_ok <= stale
    if stopping:
        status, message = "stopping", "dondoc đang dừng."
    elif recent or running:
        status, message = "ok", "dondoc đang chạy và nhắc việc đều đặn."
    elif ticks.last_started is None and ticks.running_since is None:
        status, message = "starting", "dondoc đang khởi động: chưa xong lượt nhắc việc đầu tiên."
    else:
        since = (
            ticks.last_ok.astimezone(VIETNAM).strftime("%H:%M:%S %d/%m/%Y")
            if ticks.last_ok
            else None
        )
        status = "stale"
        message = (f"Không có lượt nhắc việc nào thành công từ {since}" if since else
                   "Chưa có lượt nhắc việc nào thành công") + (
            f"; lỗi gần nhất: {ticks.last_error[:200]}" if ticks.last_error else
            "; lượt nhắc việc có thể bị treo")  # fmt: skip
    body = {
        "status": status,
        "message": message,
        "last_tick": None if ticks.last_started is None else {
            "started_at": stamp(ticks.last_started), "seconds": ticks.last_seconds,
            "error": ticks.last_error,
        },
        "last_ok_tick_at": stamp(ticks.last_ok),
        "tick_running_since": stamp(ticks.running_since),
        "stale_after_seconds": stale.total_seconds(),
    }  # fmt: skip
    return (200 if status == "ok" else 503), body


class _Metrics:
    """prometheus-client's ASGI app, the backlog read just before (in a thread: the
    database must not hold up the bot's loop). A database away leaves the last figures."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime]) -> None:
        self.engine, self.clock = engine, clock
        self.exposition = make_asgi_app()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            try:
                await asyncio.to_thread(refresh_backlog, self.engine, self.clock())
            except Exception:  # the counters are still worth serving
                log.warning("metrics: cannot read the outbox's backlog", exc_info=True)
        await self.exposition(scope, receive, send)


def create_app(
    *, engine: Engine, settings: Settings, clock: Callable[[], datetime],
    stop: asyncio.Event | None = None, ticks: TickState = TICKS,
) -> Starlette:  # fmt: skip
    """``/healthz`` on ``ticks`` (this process's) and ``clock``; 503 once ``stop`` is set."""
    stale = stale_after(settings)
    start_series(["console"] + [name for name, token in (("telegram", settings.telegram_token),
                                                         ("zalo", settings.zalo_token)) if token])  # fmt: skip

    async def healthz(_request: Request) -> JSONResponse:
        code, body = liveness(ticks, clock(), stale, stopping=stop is not None and stop.is_set())
        return JSONResponse(body, status_code=code, headers={"Cache-Control": "no-store"})

    return Starlette(routes=[Route("/healthz", healthz, methods=["GET", "HEAD"]),
                             Route("/metrics", _Metrics(engine, clock))])  # fmt: skip
