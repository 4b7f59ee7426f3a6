"""The sections of the menu not built yet (``bot.web.nav``, ``ready=False``): each answers
for its roles with a page saying what it will hold, so that the menu and its permissions
are in place before the pages are."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from bot.web.auth import Endpoint, Page, page
from bot.web.nav import SECTIONS, Section

_COMING = {
    "plans": "Các nhiệm vụ của từng kế hoạch theo cơ quan, lọc theo trạng thái và hạn, xuất Excel.",
    "files": "Hồ sơ thủ tục hành chính trễ hạn và sắp đến hạn, văn bản xin lỗi đã phát hành.",
    "admin": "Nạp kế hoạch và hồ sơ, xem trước rồi xác nhận; đặt thời hạn; lịch nghỉ; liên kết chat.",
}


def _later(section: Section) -> Endpoint:
    @page(*section.roles)
    def coming(p: Page) -> Response:
        return p.message(
            200, section.label, f"Trang này đang được xây dựng. {_COMING[section.key]}"
        )

    return coming


ROUTES = [Route(s.path, _later(s), methods=["GET"]) for s in SECTIONS if not s.ready]
