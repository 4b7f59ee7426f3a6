"""Once a week, the digests: each bound head gets the agency's, each coordinator chat the
province's, with a chart drawn from the same figures when the message is sent.

The day and hour are ``settings.digest`` (Monday 08:00 by default). One digest that
cannot be built is left out (the admins are told); the others go on.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from bot.config import Settings
from bot.db import among
from bot.domain.calendar import WorkCalendar
from bot.models import Agency, Chat, ChatRole
from bot.reports.chart_kinds import drawable
from bot.reports.digest import (
    coordinator_chart,
    coordinator_digest,
    head_chart_rows,
    head_digests,
    render_coordinator_digest,
    render_head_digest,
)
from bot.scheduler.planners.messages import Planned, PlannedMessage, isolated, weekly_key
from bot.services.channel_usage import usages
from bot.services.outbox import enqueue, queued

# The full text's parts, the short text's (Zalo: each message counts against the monthly
# quota, and a chart cannot be sent), the chart's attachment (none with nothing to draw).
_Built = tuple[list[str], list[str], dict[str, Any] | None]


def plan_digests(session: Session, now: datetime, settings: Settings, cal: WorkCalendar) -> Planned:
    """This week's digests for every head and coordinator chat that has not had them."""
    key = weekly_key("digest", now, settings.digest, cal)
    if key is None:
        return Planned()
    local = cal.local(now)
    planned = Planned()
    heads = session.exec(select(Chat).where(Chat.role == ChatRole.HEAD, col(Chat.active))).all()
    todo_heads = [
        h for h in heads if h.agency_id is not None and not queued(session, f"{key}:{h.id}")
    ]
    wanted = {h.agency_id for h in todo_heads}
    agencies = {a.id: a for a in session.exec(select(Agency).where(among(col(Agency.id), list(wanted))))
                if a.id in wanted}  # fmt: skip
    # Every agency's figures from a few queries; each head's text built on its own, so one
    # that fails leaves the others (the admins are told).
    none: dict[int, dict[str, Any]] = {}
    digests = isolated(session, now, "báo cáo tuần của các cơ quan", lambda: none,
                       lambda: head_digests(session, list(agencies.values()), now, cal))  # fmt: skip
    for head in todo_heads:
        assert head.agency_id is not None
        digest = digests.get(head.agency_id)
        if digest is None:
            continue
        agency = agencies[head.agency_id]

        def build(agency: Agency = agency, digest: dict[str, Any] = digest) -> _Built | None:
            chart = _chart(f"{agency.code}-{local:%Y%m%d}.png",
                           f"{agency.name} – tuần đến {local:%d/%m/%Y}", head_chart_rows(digest))  # fmt: skip
            return (render_head_digest(digest, chart=chart is not None),
                    render_head_digest(digest, short=True), chart)  # fmt: skip

        built = isolated(session, now, f"báo cáo tuần của {agency.name}", lambda: None, build)
        if built is not None:
            _send(session, head, f"{key}:{head.id}", built, now, planned)
    coordinators = session.exec(
        select(Chat).where(Chat.role == ChatRole.COORDINATOR, col(Chat.active))
    ).all()
    todo = [c for c in coordinators if not queued(session, f"{key}:{c.id}")]
    if todo:

        def build_province() -> _Built | None:
            digest = coordinator_digest(session, now, cal, channels=usages(session, now, settings))
            chart = _chart(f"tong-hop-{local:%Y%m%d}.png", *coordinator_chart(digest))
            return (render_coordinator_digest(digest, chart=chart is not None),
                    render_coordinator_digest(digest, short=True), chart)  # fmt: skip

        province = isolated(session, now, "báo cáo tuần toàn tỉnh", lambda: None, build_province)
        if province is not None:
            for chat in todo:  # built once, for every coordinator chat
                _send(session, chat, f"{key}:{chat.id}", province, now, planned)
    return planned


def _send(
    session: Session, chat: Chat, key: str, built: _Built, now: datetime, planned: Planned
) -> None:
    full, short, chart = built
    parts, attachment = (short, None) if chat.channel == "zalo" else (full, chart)
    enqueue(session, key=key, chat=chat, kind="digest", parts=parts, now=now, attachment=attachment)
    planned.messages.append(PlannedMessage(chat, "digest", parts, [{"stage": "digest"}]))


def _chart(
    filename: str, title: str, rows: list[tuple[str, dict[str, int]]]
) -> dict[str, Any] | None:
    """A chart attachment holding its figures: drawn when sent, the same numbers as the text.
    None when no bar would have a part: an empty chart, its legend naming kinds it does not
    show, would tell a head nothing (the text says there is nothing to draw)."""
    if not drawable(rows):
        return None
    return {
        "kind": "chart",
        "filename": filename,
        "title": title,
        "rows": [[n, c] for n, c in rows],
    }
