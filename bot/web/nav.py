"""The web view's navigation: each section, its address, and the roles that see it.

A section not yet built (``ready=False``) is listed with its roles all the same, and its
address answers a page saying it is coming (``bot.web.pages.later``): the menu is the
plan of the web view (issue 16). Building one is adding its module under
``bot.web.pages``, its routes to ``bot.web.site``, and turning ``ready`` on here.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.models import ChatRole

_ALL = (ChatRole.HEAD, ChatRole.COORDINATOR, ChatRole.ADMIN)


@dataclass(frozen=True)
class Section:
    key: str  # what templates and tests call it: "overview"
    label: str  # as the menu shows it
    path: str
    roles: tuple[ChatRole, ...] = _ALL
    ready: bool = True


SECTIONS = (
    Section("overview", "Tổng quan", "/tong-quan"),
    Section("plans", "Kế hoạch", "/ke-hoach"),
    Section("agencies", "Cơ quan", "/co-quan"),
    Section("files", "Hồ sơ trễ hạn", "/ho-so"),
    Section("admin", "Quản trị", "/quan-tri", roles=(ChatRole.ADMIN,)),
)
BY_KEY = {section.key: section for section in SECTIONS}


def menu(role: ChatRole | None) -> list[Section]:
    """The sections a viewer of ``role`` sees, in order; none when signed out."""
    return [s for s in SECTIONS if role is not None and role in s.roles]
