"""Kế hoạch: the plans with their parts counted by status, and one plan's parts (task ×
agency: status, progress, due date, the deadline's cell and how it was read) under a
filter (agency, status, overdue, due within N days) kept in the address, so that a view
can be bookmarked and shared; a page of :data:`PAGE_SIZE` rows at a time, filtered in
place with htmx; exported to XLSX or CSV under the same filter.

A head sees their own agency's parts only: the agency filter is theirs, and an address
naming another agency is refused. Coordinators and admins see every agency.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from urllib.parse import urlencode

from sqlmodel import col, select
from starlette.responses import Response
from starlette.routing import Route

from bot.models import Agency, Plan, Status
from bot.reports.spreadsheet import attachment, to_csv, to_xlsx
from bot.services.plan_view import (
    PartFilter,
    PartLine,
    count_parts,
    parts,
    parts_page,
    plan_agencies,
    plan_summaries,
)
from bot.services.register import PARTS_HEADER
from bot.web.auth import Page, page
from bot.web.paging import pager

PAGE_SIZE = 100  # parts shown at a time: a plan of 100,000 parts answers as fast as one of 100
MOST_DAYS = 3660  # "due within N days": ten years is more than any plan runs
# The statuses as the address names them (``?trang-thai=``).
STATUSES = {"dang-thuc-hien": Status.OPEN, "tam-dung": Status.SNOOZED, "hoan-thanh": Status.DONE,
            "da-huy": Status.CANCELLED, "da-chuyen": Status.MOVED}  # fmt: skip
EXPORT_WIDTHS = (8, 14, 10, 60, 30, 28, 10, 16, 10, 9, 24, 40, 12)  # of PARTS_HEADER


@dataclass
class Chosen:
    """The filter the address asks for (``?co-quan=&trang-thai=&qua-han=1&trong=``), as
    given, and what it means; ``problems`` says in Vietnamese what was not understood
    (then left out of the filter)."""

    agency: Agency | None = None
    status: str = ""  # a key of STATUSES, or ""
    overdue: bool = False
    within: str = ""  # days, as typed
    days: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def filter(self) -> PartFilter:
        return PartFilter(agency_id=self.agency.id if self.agency else None,
                          status=STATUSES.get(self.status), overdue=self.overdue,
                          due_within=self.days)  # fmt: skip

    def query(self, page: int = 1, *, fixed_agency: bool = False) -> str:
        """The address's query for this filter (and ``page``), "" when nothing is chosen;
        a head's own agency is left out (it is always theirs)."""
        pairs = [("co-quan", self.agency.code if self.agency and not fixed_agency else ""),
                 ("trang-thai", self.status), ("qua-han", "1" if self.overdue else ""),
                 ("trong", str(self.days) if self.days is not None else ""),
                 ("trang", str(page) if page > 1 else "")]  # fmt: skip
        kept = urlencode([(k, v) for k, v in pairs if v])
        return f"?{kept}" if kept else ""


def _chosen(p: Page) -> Chosen | Response:
    """The filter in the address for this viewer; a head asking for another agency is
    refused (403)."""
    params = p.request.query_params
    chosen = Chosen()
    code = params.get("co-quan", "").strip()
    if code:
        chosen.agency = p.db.exec(select(Agency).where(col(Agency.code) == code)).first()
        if chosen.agency is None:
            chosen.problems.append(f"Không có cơ quan có mã “{code}” (ô Cơ quan): đã bỏ qua.")
        elif not p.me.may_see(chosen.agency.id):
            return p.forbidden("Anh/chị chỉ xem được phần việc của cơ quan mình.")
    if not p.me.province:
        chosen.agency = p.db.get(Agency, p.me.agency_id)
    status = params.get("trang-thai", "").strip()
    if status in STATUSES:
        chosen.status = status
    elif status:
        chosen.problems.append(f"Không có trạng thái “{status}” (ô Trạng thái): đã bỏ qua.")
    chosen.overdue = params.get("qua-han", "") not in ("", "0")
    chosen.within = params.get("trong", "").strip()
    if chosen.within:
        if chosen.within.isdigit() and int(chosen.within) <= MOST_DAYS:
            chosen.days = int(chosen.within)
        else:
            chosen.problems.append(f"Số ngày “{chosen.within}” (ô Đến hạn trong) không hợp lệ: "
                                   f"hãy ghi một số ngày từ 0 đến {MOST_DAYS}. Đã bỏ qua.")  # fmt: skip
    return chosen


def _plan_and_filter(p: Page) -> tuple[Plan, int, Chosen] | Response:
    """The plan of the address (its id too) and the filter for this viewer, or the
    refusal: 404 for an unknown plan, 403 for a head asking for another agency."""
    found = p.db.get(Plan, p.request.path_params["plan"])
    if found is None or found.id is None:
        return p.not_found("Không có kế hoạch này.")
    chosen = _chosen(p)
    if isinstance(chosen, Response):
        return chosen
    return found, found.id, chosen


def _today(p: Page) -> date:
    return p.cal.local(p.now).date()


@page()
def plans(p: Page) -> Response:
    """GET /ke-hoach: every plan with its parts counted by status and overdue (a head's
    agency's parts only)."""
    agency_id = None if p.me.province else p.me.agency_id
    listed = plan_summaries(p.db, today=_today(p), agency_id=agency_id)
    return p.render("plans.html.j2", plans=listed, Status=Status)


@page()
def plan(p: Page) -> Response:
    """GET /ke-hoach/{plan}[?co-quan=&trang-thai=&qua-han=1&trong=&trang=]: the plan's
    parts under the filter, a page at a time; to htmx, the table alone
    (``plan_parts.html.j2``). 404 for an unknown plan, 403 for a head's look at another
    agency."""
    asked = _plan_and_filter(p)
    if isinstance(asked, Response):
        return asked
    found, plan_id, chosen = asked
    today = _today(p)
    total = count_parts(p.db, plan_id, chosen.filter, today=today)
    shown = pager(p, "trang", total, PAGE_SIZE)
    rows = parts_page(p.db, plan_id, chosen.filter, today=today, offset=shown.offset,
                      limit=shown.size)  # fmt: skip
    fixed = not p.me.province
    table: dict[str, Any] = {"plan": found, "chosen": chosen, "rows": rows, "total": total,
                             "page": shown.number, "pages": shown.pages, "fixed": fixed,
                             "first": shown.offset + 1}  # fmt: skip
    if p.partial:  # htmx asks for the table alone, under another filter or page
        return p.render("plan_parts.html.j2", **table)
    (summary,) = plan_summaries(p.db, today=today, plan_id=plan_id,
                                agency_id=p.me.agency_id if fixed else None)  # fmt: skip
    agencies = plan_agencies(p.db, plan_id) if not fixed else []
    return p.render("plan.html.j2", **table, summary=summary, agencies=agencies,
                    statuses=STATUSES, most_days=MOST_DAYS)  # fmt: skip


def _export_row(plan: Plan, x: PartLine) -> tuple[str | int | date | None, ...]:
    return (x.code, plan.number, x.task_key, x.task, x.indicator, x.agency, x.role.label, x.status.label,
            x.progress, "có" if x.overdue else "", x.deadline_text, x.reading, x.due_on)  # fmt: skip


def _export(p: Page, kind: str) -> Response:
    asked = _plan_and_filter(p)
    if isinstance(asked, Response):
        return asked
    found, plan_id, chosen = asked
    rows = (_export_row(found, x) for x in parts(p.db, plan_id, chosen.filter, today=_today(p)))
    name = f"Kế hoạch {found.number}" + (f" - {chosen.agency.name}" if chosen.agency else "")
    if kind == "csv":
        body, media = to_csv(PARTS_HEADER, rows), "text/csv; charset=utf-8"
    else:
        body = to_xlsx(PARTS_HEADER, rows, sheet="Phần việc", widths=EXPORT_WIDTHS)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(body, media_type=media,
                    headers={"Content-Disposition": attachment(f"{name}.{kind}")})  # fmt: skip


@page()
def export_xlsx(p: Page) -> Response:
    """GET /ke-hoach/{plan}/xuat.xlsx[?filter]: the filtered parts as an Excel workbook."""
    return _export(p, "xlsx")


@page()
def export_csv(p: Page) -> Response:
    """GET /ke-hoach/{plan}/xuat.csv[?filter]: the filtered parts as CSV (UTF-8, BOM)."""
    return _export(p, "csv")


ROUTES = [
    Route("/ke-hoach", plans, methods=["GET"]),
    Route("/ke-hoach/{plan:int}", plan, methods=["GET"]),
    Route("/ke-hoach/{plan:int}/xuat.xlsx", export_xlsx, methods=["GET"]),
    Route("/ke-hoach/{plan:int}/xuat.csv", export_csv, methods=["GET"]),
]
