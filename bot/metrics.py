"""What ``dondoc run`` tells Prometheus, and what its ``/healthz`` knows of its ticks.

The metrics are prometheus-client's, on its default registry (which also carries the
process's CPU and memory): the code that sends, ticks or answers moves them here, and
``bot.web`` serves them. Counters count from the process's start, as Prometheus expects.
The outbox's backlog is a database figure, read when ``/metrics`` is scraped
(:func:`refresh_backlog`): every process sharing the database reports the same backlog.

:data:`TICKS` is this process's last tick, :data:`LINKS` whether each configured channel
is connected, and :data:`HEARTBEAT` when the bot's event loop last turned, for
``/healthz`` (which reads them from its own thread, never the database); the database's
copy of the ticks (``bot.services.ticks``) is for ``dondoc health``, another process.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
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
    "dondoc_outbox_backlog",
    "Outbox messages due and not sent yet (a retry or a pause not yet over is not counted)",
    ["channel"],
)
OUTBOX_OLDEST = Gauge(
    "dondoc_outbox_oldest_pending_seconds",
    "Age of the oldest outbox message due and not sent yet (0 when none)",
)


CHANNEL_CONNECTED = Gauge(
    "dondoc_channel_connected",
    "1 while a configured channel is connected, 0 while the bot cannot reach it (it keeps trying)",
    ["channel"],
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


@dataclass(frozen=True)
class Link:
    """One configured channel: connected or not, since when (the bot's clock), and the
    last error while it is not."""

    connected: bool
    since: datetime
    error: str = ""
    stopped: bool = False  # not tried again until a restart (a refused token)


class Links:
    """Whether each configured channel of this process is connected, and since when.

    The bot's loop writes (a channel connects, fails to, is reached again), the monitoring
    server's thread reads: every access holds a lock. Each change also moves the
    ``dondoc_channel_connected`` gauge. A channel never configured has no entry."""

    def __init__(self) -> None:
        self._links: dict[str, Link] = {}
        self._lock = threading.Lock()

    def up(self, channel: str, now: datetime) -> None:
        """``channel`` answered at ``now``."""
        with self._lock:
            known = self._links.get(channel)
            if known is None or not known.connected:
                self._links[channel] = Link(True, now)
        CHANNEL_CONNECTED.labels(channel).set(1)

    def down(self, channel: str, now: datetime, error: str, *, stopped: bool = False) -> None:
        """``channel`` could not be reached at ``now`` (``error`` says why), or ``stopped``
        for good. An outage that already began keeps its start: ``since`` is when the
        channel was last reached."""
        with self._lock:
            known = self._links.get(channel)
            if known is None or known.connected:
                self._links[channel] = Link(False, now, error, stopped)
            else:
                self._links[channel] = replace(known, error=error,
                                               stopped=known.stopped or stopped)  # fmt: skip
        CHANNEL_CONNECTED.labels(channel).set(0)

    def snapshot(self) -> dict[str, Link]:
        """Every configured channel's link now, by name."""
        with self._lock:
            return dict(self._links)


class Heartbeat:
    """When the bot's event loop last turned (``time.monotonic()`` seconds): a loop held up
    by a blocking call (a database lock waited for) stops beating, while ``/healthz``,
    served from another thread, still answers and says for how long."""

    def __init__(self) -> None:
        self.last: float | None = None  # None: no loop beats yet (starting, or stopped)

    def beat(self) -> None:
        self.last = time.monotonic()

    def silent_for(self) -> float | None:
        """Seconds since the last beat; ``None`` when nothing beats."""
        last = self.last
        return None if last is None else time.monotonic() - last

    def stop(self) -> None:
        self.last = None


TICKS = TickState()
LINKS = Links()
HEARTBEAT = Heartbeat()
