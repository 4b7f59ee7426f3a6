"""The web view's ASGI app (Starlette): the pages, sign-in and sign-out, the static files,
behind the session cookie and the security headers.

Served by ``dondoc web`` on its own, or by ``dondoc run`` beside the bot when WEB_PORT is
set (a port of its own, apart from the monitoring port's /healthz and /metrics). Before
serving, the process publishes its address in the database (:func:`prepare`), so that
``/web`` in a chat links to it.

Adding a page: a module under ``bot.web.pages`` with its ``ROUTES``, listed in
:data:`PAGES`, its templates in ``templates/web/``, its section in ``bot.web.nav``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from bot.config import Settings
from bot.db import session_scope
from bot.render import TEMPLATES
from bot.services.web_access import SIGN_IN_PATH, publish
from bot.services.web_sessions import SESSION_TTL
from bot.web import auth
from bot.web.auth import WHERE_WEB, Page, Site, Viewer, page
from bot.web.pages import (
    admin,
    admin_calendar,
    admin_chats,
    admin_deadlines,
    admin_import,
    agencies,
    files,
    overview,
    plans,
    public,
)  # fmt: skip
from bot.web.security import SecurityHeaders
from bot.web.templating import message

STATIC = TEMPLATES / "web" / "static"
COOKIE = "dondoc_session"
PAGES: list[Sequence[BaseRoute]] = [
    overview.ROUTES, plans.ROUTES, agencies.ROUTES, files.ROUTES, public.ROUTES, admin.ROUTES,
    admin_import.ROUTES, admin_deadlines.ROUTES, admin_calendar.ROUTES, admin_chats.ROUTES,
]  # fmt: skip


def prepare(engine: Engine, settings: Settings, now: datetime, port: int | None = None) -> str:
    """Publish the address the web view is served at (``settings.web_url(port)``) for the
    chats' sign-in links; returns the signing key (generated the first time)."""
    with session_scope(engine) as session:
        return publish(session, settings.web_url(port), now)


@page(signed_in=False)
def home(p: Page) -> Response:
    """GET /: the overview for a viewer, how to sign in for anyone else."""
    if p.viewer is None:
        return p.message(200, "dondoc",
                         "Giao diện web của dondoc dành cho thủ trưởng, cơ quan theo dõi, đôn đốc "
                         f"và quản trị viên. Để đăng nhập, gõ /web {WHERE_WEB} rồi bấm vào đường "
                         "dẫn bot gửi.")  # fmt: skip
    return RedirectResponse("/tong-quan", status_code=303)


async def _error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (an unknown address, a method not allowed) in Vietnamese."""
    code = exc.status_code if isinstance(exc, HTTPException) else 500
    title, text = {
        404: ("Không tìm thấy", "Không có trang này."),
        405: ("Không được phép", "Trang này không nhận yêu cầu như vậy."),
    }.get(code, ("Có lỗi", "Đã có lỗi xảy ra. Hãy thử lại sau."))
    # An address no route takes (/quan-tri/chat/ma/-1/thu-hoi) keeps the menu and who is
    # signed in, as a page's own 404 does; not for a 500, whose cause may be the database.
    viewer = await run_in_threadpool(_viewer, request) if code in (404, 405) else None
    return message(request, code, title, text, viewer)


def _viewer(request: Request) -> Viewer | None:
    """The signed-in viewer of a request no page took, or None."""
    if "session" not in request.scope:
        return None
    site: Site = request.app.state.site
    with Session(site.engine) as db:
        return auth.current_viewer(request, db, site.clock())


def _unprotected(routes: list[BaseRoute]) -> list[str]:
    """The paths of routes that accept a POST (or another unsafe method) without having
    been built by :func:`bot.web.auth.page`, which checks the CSRF token."""
    return [r.path for r in routes if isinstance(r, Route) and (r.methods or set()) - {"GET", "HEAD"}
            and not getattr(r.endpoint, "csrf_checked", False)]  # fmt: skip


def create_site(
    *, engine: Engine, settings: Settings, key: str, clock: Callable[[], datetime],
    https: bool | None = None,
) -> Starlette:  # fmt: skip
    """The web view on ``engine``, its cookies signed with ``key`` (from :func:`prepare`),
    ``clock`` its time; the cookie is Secure when ``https`` (by default: when
    ``settings.web_url()`` is https)."""
    routes: list[BaseRoute] = [
        Route("/", home, methods=["GET"]),
        Route(SIGN_IN_PATH, auth.sign_in_form, methods=["GET"]),
        Route(SIGN_IN_PATH, auth.sign_in, methods=["POST"]),
        Route("/dang-xuat", auth.sign_out, methods=["POST"]),
        *(route for routes in PAGES for route in routes),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    if unprotected := _unprotected(routes):
        raise ValueError(f"POST routes without a CSRF check: {', '.join(unprotected)}")
    secure = settings.web_url().startswith("https://") if https is None else https
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(SecurityHeaders),
            Middleware(SessionMiddleware, secret_key=key, session_cookie=COOKIE,
                       max_age=int(SESSION_TTL.total_seconds()), same_site="lax",
                       https_only=secure),
        ],
        exception_handlers={404: _error, 405: _error, 500: _error},
    )  # fmt: skip
    # Starlette would redirect "/ke-hoach/" to "/ke-hoach" at an address built from the
    # request's Host header, whatever a client sends there: an unknown address is 404.
    app.router.redirect_slashes = False
    app.state.site = Site(engine, settings, clock)
    return app
