"""Tổng quan: the province at a glance for a coordinator or an admin (the coordinators'
weekly digest, as figures: on-time ranking, longest overdue, agencies silent or unbound,
deadlines waiting for a date, apology compliance), an agency's for its head (the head's
digest); each with the chart the digest sends, drawn by :func:`chart`."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import Any

from sqlmodel import select
from starlette.responses import Response
from starlette.routing import Route

from bot.models import Agency, ChatRole, Plan
from bot.reports.chart_kinds import Rows, drawable
from bot.reports.digest import coordinator_chart, coordinator_digest, head_chart_rows, head_digest
from bot.services.deadlines import UnspecifiedTask, unspecified_tasks
from bot.services.late_files import Urgency, Wanted, count_late_files
from bot.web.auth import Page, page
from bot.web.pages.charts import png

WAITING_SHOWN = 100  # the tasks waiting for a deadline a coordinator reads on Tổng quan


def _figures(p: Page) -> tuple[str, dict[str, Any], str, Rows]:
    """Which overview (``province`` or ``agency``), its digest, and its chart's title and
    bars: the same functions as the Monday digests."""
    if p.me.province:
        digest = coordinator_digest(p.db, p.now, p.cal)
        title, rows = coordinator_chart(digest)
        return "province", digest, title, rows
    agency = p.db.get(Agency, p.me.agency_id)
    assert agency is not None  # a head's chat is bound to an agency
    digest = head_digest(p.db, agency, p.now, p.cal)
    title = f"{agency.name} – tuần đến {p.cal.local(p.now):%d/%m/%Y}"
    return "agency", digest, title, head_chart_rows(digest)


@page()
def overview(p: Page) -> Response:
    """GET /tong-quan."""
    kind, digest, _title, rows = _figures(p)
    code = ""
    if kind == "agency":
        agency = p.db.get(Agency, p.me.agency_id)
        code = agency.code if agency else ""
    codes = dict(p.db.exec(select(Agency.name, Agency.code)).all()) if kind == "province" else {}
    # The digest counts the files first due this quarter and the last; the files late
    # now, whenever they were due, are what the Hồ sơ trễ hạn page lists.
    late_now = count_late_files(p.db, p.cal, p.cal.local(p.now).date(),
                                Wanted(agency_id=None if kind == "province" else p.me.agency_id,
                                       urgency=Urgency.LATE),
                                warn_days=p.site.settings.files.warn_days)  # fmt: skip
    # The tasks waiting for a deadline: an admin sets them on Quản trị → Thời hạn chưa rõ;
    # a coordinator (who may not set them) reads which they are here, each with its plan.
    waiting: list[UnspecifiedTask] = []
    plans: dict[str, int | None] = {}
    if kind == "province" and p.me.role != ChatRole.ADMIN and digest["unspecified"]:
        waiting = unspecified_tasks(p.db)
        plans = {n: i for i, n in p.db.exec(select(Plan.id, Plan.number)).all()}
    return p.render(f"overview_{kind}.html.j2", d=digest, chart=drawable(rows), code=code,
                    codes=codes, waiting=waiting[:WAITING_SHOWN], waiting_count=len(waiting),
                    plans=plans, admin=p.me.role == ChatRole.ADMIN, late_now=late_now)  # fmt: skip


@page()
def chart(p: Page) -> Response | Awaitable[Response]:
    """GET /tong-quan/bieu-do.png: the overview's chart (PNG); 404 with nothing to draw."""
    _kind, _digest, title, rows = _figures(p)
    if not drawable(rows):
        return p.not_found("Chưa có số liệu để vẽ biểu đồ.")
    return png(rows, title)


ROUTES = [
    Route("/tong-quan", overview, methods=["GET"]),
    Route("/tong-quan/bieu-do.png", chart, methods=["GET"]),
]
