"""Quản trị (admins only): the landing page, a link to each of the admin's pages: imports
(``admin_import``), deadlines not read (``admin_deadlines``), the calendar's days off
and the chats (their own pages, ``/quan-tri/lich`` and ``/quan-tri/chat``)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.routing import Route

from bot.models import ChatRole
from bot.services.deadlines import unspecified_tasks
from bot.web.auth import Page, page
from bot.web.pages import admin_deadlines, admin_import


@dataclass(frozen=True)
class Link:
    path: str
    label: str
    text: str
    count: int | None = None  # what waits there, when there is a count to show


@page(ChatRole.ADMIN)
def admin(p: Page) -> Response:
    """GET /quan-tri: the admin's pages."""
    links = [
        Link(admin_import.PATH, "Nạp dữ liệu",
             "Tải lên kế hoạch (CSV, XLSX, Word, PDF), danh mục cơ quan hoặc tệp hồ sơ TTHC; "
             "xem trước các dòng đã đọc và lỗi, rồi xác nhận để nhập."),
        Link(admin_deadlines.PATH, "Thời hạn chưa rõ",
             "Nhiệm vụ có ô Tiến độ không nêu ngày cụ thể: đặt thời hạn để bot nhắc việc.",
             len(unspecified_tasks(p.db))),
        Link("/quan-tri/lich", "Lịch nghỉ", "Ngày nghỉ thêm và ngày làm bù của tỉnh."),
        Link("/quan-tri/chat", "Chat & mã liên kết",
             "Các nhóm/chat đã liên kết và mã liên kết dùng một lần."),
    ]  # fmt: skip
    return p.render("admin.html.j2", links=links)


ROUTES = [Route("/quan-tri", admin, methods=["GET"])]
