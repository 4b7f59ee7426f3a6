"""Cơ quan: the agencies (a coordinator's or an admin's list; a head goes straight to
their own), and one agency's page: its parts of the plans' tasks (lead and coordinating:
status, progress, due date and how the deadline was read) and their history from the
audit trail. A head may open only their own agency."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from sqlmodel import select
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.channels.console import plain
from bot.domain.calendar import VIETNAM
from bot.domain.collation import vietnamese_key
from bot.models import Agency, Assignment, ChatRole, ExtensionRequest, Status
from bot.services.actions import may_decide_extension, settle_extension
from bot.services.agency_changes import former_agencies
from bot.services.extension_requests import agency_extensions
from bot.services.history import agency_history
from bot.services.register import AGENCY_VIEWS, agency_counts, agency_parts_page, open_counts
from bot.web.auth import Page, page
from bot.web.pages.files import agency_files
from bot.web.paging import pager

HISTORY_LIMIT = 100  # changes shown, newest first
EXTENSIONS_LIMIT = 50  # requests for more time shown, newest first
PAGE_SIZE = 100  # parts a table shows at a time
# A head's or an admin's answer to a request for more time, by the form's ``quyet_dinh``.
DECISIONS = {"dong-y": True, "khong-dong-y": False}


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
    """GET /co-quan/{code}[?xem=dang-lam|qua-han&trang=N&trang-ph=N]: one agency's parts
    (those of the view; lead and coordinating, each :data:`PAGE_SIZE` at a time, page
    ``trang`` and ``trang-ph``) and their history; to htmx, the parts alone
    (``agency_parts.html.j2``). 404 for an
    unknown code, 403 for a head's look at another agency."""
    found = _agency_of(p)
    if isinstance(found, Response):
        return found
    assert found.id is not None
    today = p.cal.local(p.now).date()
    former = former_agencies(p.db, today).get(found.id)
    view = p.request.query_params.get("xem", "tat-ca")
    if view not in AGENCY_VIEWS:
        view = "tat-ca"
    counts = agency_counts(p.db, found.id, view, today=today)
    # Each table a page at a time, counted and paged in SQL: an agency may hold 24,000 parts.
    pagers = {"lead": pager(p, "trang", counts.lead, PAGE_SIZE),
              "coordinate": pager(p, "trang-ph", counts.coordinate, PAGE_SIZE)}  # fmt: skip
    rows = {which: agency_parts_page(p.db, found.id, view, lead=which == "lead", today=today,
                                     offset=shown.offset, limit=shown.size)
            for which, shown in pagers.items()}  # fmt: skip

    def link(**changed: Any) -> str:
        """This page with its view and pages, ``changed`` over them (``trang_ph`` for
        ``trang-ph``); the defaults left out."""
        asked = {"xem": view, "trang": str(pagers["lead"].number),
                 "trang-ph": str(pagers["coordinate"].number),
                 **{k.replace("_", "-"): str(v) for k, v in changed.items()}}  # fmt: skip
        kept = {k: v for k, v in asked.items() if v not in ("tat-ca", "1")}
        return f"/co-quan/{found.code}" + (f"?{urlencode(kept)}" if kept else "")

    parts: dict[str, Any] = {"agency": found, "view": view, "views": AGENCY_VIEWS, "Status": Status,
             "former": former, "lead": rows["lead"], "coordinate": rows["coordinate"],
             "pagers": pagers, "link": link}  # fmt: skip
    if p.partial:  # htmx asks for the parts alone, under another filter or page
        return p.render("agency_parts.html.j2", **parts)
    return p.render("agency.html.j2", **parts, today=today,
                    may_decide=may_decide_extension(found.id, **_decider(p)),
                    notice=p.flashed().get("notice", ""),
                    open_count=counts.open, overdue_count=counts.overdue,
                    history=agency_history(p.db, found.id, limit=HISTORY_LIMIT),
                    history_limit=HISTORY_LIMIT, tz=VIETNAM,
                    extensions=agency_extensions(p.db, found.id, limit=EXTENSIONS_LIMIT),
                    extensions_limit=EXTENSIONS_LIMIT, **agency_files(p, found))  # fmt: skip


@page(ChatRole.HEAD, ChatRole.ADMIN)
def decide(p: Page) -> Response:
    """POST /co-quan/{code}/gia-han/{extension} (``quyet_dinh`` dong-y|khong-dong-y): the
    agency's head or an admin answers a request for more time, as with the chat's
    buttons (``bot.services.actions.settle_extension``); then the agency's page with what
    was done, once. A request already answered changes nothing and is said so. 404 for
    an unknown agency or a request not of its parts, 403 for another agency's head, 400
    for a form without a decision."""
    found = _agency_of(p)
    if isinstance(found, Response):
        return found
    ident = int(p.request.path_params["extension"])
    asked = p.db.get(ExtensionRequest, ident)
    part = p.db.get(Assignment, asked.assignment_id) if asked is not None else None
    if asked is None or part is None or part.agency_id != found.id:
        return p.not_found("Không có đề nghị gia hạn này của cơ quan.")
    approve = DECISIONS.get(p.form.get("quyet_dinh", ""))
    if approve is None:
        return p.message(400, "Thiếu quyết định",
                         "Chọn “Đồng ý gia hạn” hoặc “Không đồng ý” trên trang của cơ quan.")  # fmt: skip
    said = settle_extension(p.db, ident, approve, p.me.actor, p.now, **_decider(p))
    if said.outcome == "refused_decision":
        return p.forbidden(f"Chỉ Thủ trưởng {found.name} hoặc quản trị viên mới quyết định được "
                           "đề nghị gia hạn này.")  # fmt: skip
    # The chat's own answer, as plain text (one wording for each outcome in both places).
    p.flash(notice=plain(said.html))
    return RedirectResponse(f"/co-quan/{found.code}#extensions", status_code=303)


def _agency_of(p: Page) -> Agency | Response:
    """The agency of the address's ``code``; 404 for an unknown one, 403 for a head's
    look at another agency."""
    code = str(p.request.path_params["code"])
    found = p.db.exec(select(Agency).where(Agency.code == code)).first()
    if found is None:
        return p.not_found("Không có cơ quan này.")
    if not p.me.may_see(found.id):
        return p.forbidden("Anh/chị chỉ xem được trang của cơ quan mình.")
    return found


def _decider(p: Page) -> dict[str, Any]:
    """Who the viewer decides as (``bot.services.actions.may_decide_extension``): an admin
    chat's viewer as an admin, a head chat's as its agency's head."""
    return {"is_admin": p.me.role == ChatRole.ADMIN,
            "head_of": p.me.agency_id if p.me.role == ChatRole.HEAD else None}  # fmt: skip


ROUTES = [
    Route("/co-quan", agencies, methods=["GET"]),
    Route("/co-quan/{code}", agency, methods=["GET"]),
    Route("/co-quan/{code}/gia-han/{extension:int}", decide, methods=["POST"]),
]
