"""What ``dondoc run`` tells Prometheus, and what its ``/healthz`` knows of its ticks.

The metrics are prometheus-client's, on its default registry (which also carries the
process's CPU and memory): the code that sends, ticks or answers moves them here, and
``bot.web`` serves them. Counters count from the process's start, as Prometheus expects.
The outbox's backlog is a database figure, read when ``/metrics`` is scraped
(:func:`refresh_backlog`): every process sharing the database reports the same backlog.

:data:`TICKS` is this process's last tick, for ``/healthz``; the database's copy
(``bot.services.ticks``) is for ``dondoc health``, another process.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from prometheus_client import Counter, Gauge, Histogram
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bot.channels import CHANNELS
from bot.services.health import backlog

MESSAGES_SENT = Counter(
    "dondoc_messages_sent", "Outbox messages a channel accepted, every part", ["channel"]
)
MESSAGES_FAILED = Counter(
    "dondoc_messages_failed", "Outbox messages failed for good (not retried)", ["channel"]
)
MESSAGES_RATE_LIMITED = Counter(
    "dondoc_messages_rate_limited",
    "Sends refused with 429 (Telegram's flood control, Zalo's quota): the message kept its place",
    ["channel"],
)
REPLIES_HANDLED = Counter(
    "dondoc_replies_handled",
    "Officers' messages and button presses the bot read and answered",
    ["channel", "kind"],
)
TICK_DURATION = Histogram(
    "dondoc_tick_duration_seconds",
    "How long a planning tick took",
    buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300),
)
TICKS_FAILED = Counter("dondoc_ticks_failed", "Planning ticks that failed (logged)")
LAST_TICK = Gauge("dondoc_last_tick_timestamp_seconds", "Unix time the last tick started")
OUTBOX_BACKLOG = Gauge(
    "dondoc_outbox_backlog", "Outbox messages waiting or being sent", ["channel"]
)
OUTBOX_OLDEST = Gauge(
    "dondoc_outbox_oldest_pending_seconds",
    "Age of the oldest outbox message waiting or being sent (0 when none)",
)


def start_series(channels: list[str]) -> None:
    """Every channel's series from zero, so that a rate is defined before the first send."""
    for channel in channels:
        for counter in (MESSAGES_SENT, MESSAGES_FAILED, MESSAGES_RATE_LIMITED):
            counter.labels(channel)
        OUTBOX_BACKLOG.labels(channel)


def refresh_backlog(engine: Engine, now: datetime) -> None:
    """The outbox's backlog per channel and its oldest message's age, read now."""
    with Session(engine) as session:
        waiting = backlog(session, now)
    for channel in {*CHANNELS, *waiting.by_channel}:
        OUTBOX_BACKLOG.labels(channel).set(waiting.by_channel.get(channel, 0))
    OUTBOX_OLDEST.set(waiting.oldest_seconds or 0.0)


@dataclass
class TickState:
    """This process's ticks: the one running, the last one, the last one that worked."""

    running_since: datetime | None = None
    last_started: datetime | None = None
    last_seconds: float | None = None
    last_error: str = ""
    last_ok: datetime | None = None  # when the last tick that worked started

    def begin(self, started: datetime) -> None:
        self.running_since = started

    def end(self, started: datetime, seconds: float, error: str) -> None:
        self.running_since = None
        self.last_started, self.last_seconds, self.last_error = started, seconds, error
        if not error:
            self.last_ok = started
        TICK_DURATION.observe(seconds)
        LAST_TICK.set(started.timestamp())
        if error:
            TICKS_FAILED.inc()


TICKS = TickState()
