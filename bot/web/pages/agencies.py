"""Cơ quan: the agencies (a coordinator's or an admin's list; a head goes straight to
their own), and one agency's page: its parts of the plans' tasks (lead and coordinating:
status, progress, due date and how the deadline was read) and their history from the
audit trail. A head may open only their own agency."""

from __future__ import annotations

from typing import Any

from sqlmodel import select
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.domain.calendar import VIETNAM
from bot.domain.collation import vietnamese_key
from bot.models import Agency, Role, Status
from bot.services.agency_changes import former_agencies
from bot.services.extension_requests import agency_extensions
from bot.services.history import agency_history
from bot.services.register import list_assignments, open_counts
from bot.web.auth import Page, page
from bot.web.pages.files import agency_files

HISTORY_LIMIT = 100  # changes shown, newest first
EXTENSIONS_LIMIT = 50  # requests for more time shown, newest first
# The parts shown, by ``?xem=``: every part, those still being done, those overdue.
VIEWS = {"tat-ca": "Tất cả", "dang-lam": "Đang thực hiện", "qua-han": "Quá hạn"}


@page()
def agencies(p: Page) -> Response:
    """GET /co-quan: every agency with its open and overdue lead parts (province roles);
    a head is sent to their own agency's page."""
    if not p.me.province:
        agency = p.db.get(Agency, p.me.agency_id)
        if agency is None:
            return p.not_found("Chat của anh/chị không gắn với cơ quan nào.")
        return RedirectResponse(f"/co-quan/{agency.code}", status_code=303)
    today = p.cal.local(p.now).date()
    counts = open_counts(p.db, today=today)
    former = former_agencies(p.db, today)
    rows = sorted(p.db.exec(select(Agency)).all(), key=lambda a: vietnamese_key(a.name))
    listed = [{"code": a.code, "name": a.name, "open": counts.get(a.id or 0, (0, 0))[0],
               "overdue": counts.get(a.id or 0, (0, 0))[1]} for a in rows]  # fmt: skip
    # Agencies merged, split, renamed or dissolved are listed apart: their work went on
    # with their successors, and they would read as live agencies with nothing to do.
    return p.render("agencies.html.j2",
                    agencies=[x for x, a in zip(listed, rows, strict=True) if a.id not in former],
                    former=[(x, former[a.id]) for x, a in zip(listed, rows, strict=True)
                            if a.id in former])  # fmt: skip


@page()
def agency(p: Page) -> Response:
    """GET /co-quan/{code}[?xem=dang-lam|qua-han]: one agency's parts (those of the view)
    and their history; to htmx, the parts alone (``agency_parts.html.j2``). 404 for an
    unknown code, 403 for a head's look at another agency."""
    code = str(p.request.path_params["code"])
    found = p.db.exec(select(Agency).where(Agency.code == code)).first()
    if found is None:
        return p.not_found("Không có cơ quan này.")
    if not p.me.may_see(found.id):
        return p.forbidden("Anh/chị chỉ xem được trang của cơ quan mình.")
    assert found.id is not None
    today = p.cal.local(p.now).date()
    former = former_agencies(p.db, today).get(found.id)
    view = p.request.query_params.get("xem", "tat-ca")
    if view not in VIEWS:
        view = "tat-ca"
    everything = list_assignments(p.db, today=today, agency=found, include_closed=True)
    shown = [x for x in everything if view == "tat-ca" or (view == "qua-han" and x.overdue)
             or (view == "dang-lam" and x.status in (Status.OPEN, Status.SNOOZED))]  # fmt: skip
    parts: dict[str, Any] = {"agency": found, "view": view, "views": VIEWS, "Status": Status,
             "former": former,
             "lead": [x for x in shown if x.role == Role.LEAD],
             "coordinate": [x for x in shown if x.role != Role.LEAD]}  # fmt: skip
    if p.partial:  # htmx asks for the parts alone, under another filter
        return p.render("agency_parts.html.j2", **parts)
    return p.render("agency.html.j2", **parts, today=today,
                    open_count=sum(1 for x in everything if x.status == Status.OPEN),
                    overdue_count=sum(1 for x in everything if x.overdue),
                    history=agency_history(p.db, found.id, limit=HISTORY_LIMIT),
                    history_limit=HISTORY_LIMIT, tz=VIETNAM,
                    extensions=agency_extensions(p.db, found.id, limit=EXTENSIONS_LIMIT),
                    extensions_limit=EXTENSIONS_LIMIT, **agency_files(p, found))  # fmt: skip


ROUTES = [
    Route("/co-quan", agencies, methods=["GET"]),
    Route("/co-quan/{code}", agency, methods=["GET"]),
]
