"""Pages from ``templates/web/``, with the project's one Jinja2 environment
(``bot.render.environment``: autoescape on, strict undefined, the date filters).

Every page gets the layout's context: the viewer (or ``None``), the menu for their role,
the section the address is in, and the session's CSRF token for the forms.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.render import environment
from bot.web.nav import SECTIONS, menu
from bot.web.security import CSRF_FIELD, csrf_token

if TYPE_CHECKING:
    from bot.web.auth import Viewer


def render(
    request: Request, template: str, viewer: Viewer | None, *, status: int = 200, **context: Any
) -> Response:
    """``templates/web/<template>`` as an HTML response of ``status``."""
    path = request.url.path
    here = next((s.key for s in SECTIONS if path == s.path or path.startswith(f"{s.path}/")), "")
    layout = {
        "viewer": viewer,
        "menu": menu(viewer.role if viewer else None),
        "here": here,
        "csrf": csrf_token(request.session) if viewer else "",
        "csrf_field": CSRF_FIELD,
    }
    html = environment().get_template(f"web/{template}").render({**layout, **context})
    return HTMLResponse(html, status_code=status)


def message(
    request: Request, status: int, title: str, text: str, viewer: Viewer | None
) -> Response:
    """A page saying one thing: ``title``, then ``text`` (both escaped)."""
    return render(request, "message.html.j2", viewer, status=status, title=title, text=text)
