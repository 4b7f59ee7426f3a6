"""The web view's navigation: each section, its address, and the roles that see it.

A section's pages are a module under ``bot.web.pages`` with its routes listed in
``bot.web.site``; the roles here say who sees it in the menu, the pages' own ``page()``
roles who may open them (``tests/test_web_permissions.py`` walks both).
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
