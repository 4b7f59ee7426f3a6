"""Who is signed in to the web view, and the one place each page's permission is checked.

A session is a row of ``websession`` (``bot.services.web_sessions``): the chat it was
opened for, who asked for the link, when it started and ended. The signed cookie
(Starlette's ``SessionMiddleware``, itsdangerous with the web view's key; HttpOnly,
SameSite=Lax, Secure under https) holds its id, the CSRF token, a one-time notice
(:meth:`Page.flash`) and the address to land on after signing in. A session lasts
:data:`SESSION_TTL` from sign-in, checked against the site's clock, and ends when its
person signs out (a copy of the cookie opens nothing afterwards); on every request the
chat is read again, so that unbinding it (``dondoc unlink``, ``/huylienket``) or making
it a group ends its sessions at once; a new key (``dondoc web --doi-khoa``) voids every
cookie.

Every endpoint is built by :func:`page`: it checks the CSRF token of every POST before
the page's body runs, opens the database session, loads the :class:`Viewer` and refuses
the request unless the viewer's role is among the page's (a Vietnamese page, 401 or 403);
an agency page checks :meth:`Viewer.may_see` too. A signed-out request is answered 401
with how to sign in (its address remembered, so that signing in lands there); to htmx,
with ``HX-Refresh`` so that the whole page reloads into that message rather than leave
stale data on screen. A number in an address beyond the database's ids is 404. ``bot.web.site``
refuses to build an app with a POST route not made by :func:`page`.
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bot.db import busy, session_scope
from bot.domain.calendar import WorkCalendar
from bot.models import Agency, Chat, ChatRole
from bot.services.assignments import Actor
from bot.services.calendar import load_calendar
from bot.services.web_access import WEB_ROLES, LinkRefused, SignIn, check_link, link_chat
from bot.services.web_sessions import end_session, live_session, start_session
from bot.web.security import csrf_ok, csrf_token
from bot.web.templating import message, render

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

PROVINCE_ROLES = (ChatRole.COORDINATOR, ChatRole.ADMIN)
_SAFE = ("GET", "HEAD", "OPTIONS")
_FORM_SLACK = 64 * 1024  # bytes of an upload's request besides its file: fields, boundaries
_ID_MAX = 2**31 - 1  # ids are INTEGER columns: 32 bits on PostgreSQL
# The session cookie's keys: the session's id, a one-time notice, where to land after sign-in.
_SID, _FLASH, _NEXT = "sid", "flash", "next"
_NEXT_MAX = 1000  # characters of an address remembered for after sign-in
HOME = "/tong-quan"
WHERE_WEB = ("trong chat của Thủ trưởng, cơ quan theo dõi hoặc quản trị viên đã liên kết với "
             "dondoc")  # where /web answers a link  # fmt: skip


@dataclass(frozen=True)
class Site:
    """What every page needs from the process: the database, the settings, the clock."""

    engine: Engine
    settings: Settings
    clock: Callable[[], datetime]


@dataclass(frozen=True)
class Viewer:
    """The signed-in person: the chat they signed in from (its role and agency now), and
    who they are on that channel."""

    chat_id: int
    role: ChatRole
    agency_id: int | None
    agency: str  # "" for an admin chat bound to no agency
    user_id: str
    user_name: str
    channel: str

    @property
    def province(self) -> bool:
        """Whether the viewer sees every agency (a coordinator, an admin)."""
        return self.role in PROVINCE_ROLES

    def may_see(self, agency_id: int | None) -> bool:
        """Whether the viewer may open this agency's pages: their own, or any for the
        province's roles."""
        return self.province or (agency_id is not None and agency_id == self.agency_id)

    @property
    def actor(self) -> Actor:
        """Who made a change on the web, for the audit trail: ``web:telegram:123 (Name)``."""
        who = f"web:{self.channel}:{self.user_id}" + (
            f" ({self.user_name})" if self.user_name else ""
        )
        return Actor(who[:128])


def open_session(request: Request, db: Session, signed_in: SignIn, now: datetime) -> None:
    """A new session for ``signed_in``: whatever the cookie held before is dropped (a new
    CSRF token too), so no one can plant a session for someone else to use; only the
    address to land on is kept."""
    sid = start_session(db, chat_id=signed_in.chat_id, user_id=signed_in.user_id,
                        user_name=signed_in.user_name, now=now)  # fmt: skip
    landing = request.session.get(_NEXT)
    request.session.clear()
    request.session[_SID] = sid
    if isinstance(landing, str):
        request.session[_NEXT] = landing
    csrf_token(request.session)


def current_viewer(request: Request, db: Session, now: datetime) -> Viewer | None:
    """The session's viewer at ``now``, or ``None`` (no session, signed out, expired, its
    chat unbound or no longer of a web role)."""
    sid = request.session.get(_SID)
    found = live_session(db, sid, now) if isinstance(sid, str) else None
    if found is None:
        return None
    chat = db.get(Chat, found.chat_id)
    if chat is None or not chat.active or chat.role not in WEB_ROLES:
        return None
    agency = db.get(Agency, chat.agency_id) if chat.agency_id is not None else None
    return Viewer(chat_id=found.chat_id, role=ChatRole(chat.role), agency_id=chat.agency_id,
                  agency=agency.name if agency else "", user_id=found.user_id,
                  user_name=found.user_name, channel=chat.channel)  # fmt: skip


def safe_landing(address: object) -> str | None:
    """``address`` if it is a path of this site (``/ke-hoach/3?qua-han=1``), else
    ``None``: never an absolute URL, nor ``//host`` or ``/\\host``, which browsers read
    as another site."""
    if not isinstance(address, str) or not address.startswith("/") or len(address) > _NEXT_MAX:
        return None
    if address.startswith("//") or "\\" in address or any(ord(c) < 0x21 for c in address):
        return None
    return address


@dataclass(frozen=True)
class Upload:
    """A file sent with a form (``multipart/form-data``): its name as the browser gave
    it, and its bytes."""

    filename: str
    content: bytes


@dataclass
class Page:
    """One request to a page: the request, the database session (one transaction that
    commits at the end for a POST), the viewer (``None`` only on public pages), ``now``
    from the site's clock."""

    request: Request
    db: Session
    viewer: Viewer | None
    now: datetime
    site: Site
    form: dict[str, str] = field(default_factory=dict)  # a POST's fields
    files: dict[str, Upload] = field(default_factory=dict)  # a POST's files (``uploads`` pages)

    @cached_property
    def cal(self) -> WorkCalendar:
        """The working-day calendar, with the province's own days."""
        return load_calendar(self.db, self.site.settings.hours)

    @property
    def partial(self) -> bool:
        """Whether htmx asks (``HX-Request``): the page answers the part it replaces; but
        the whole page when htmx restores a page from the browser's history."""
        headers = self.request.headers
        return headers.get("hx-request") == "true" and "hx-history-restore-request" not in headers

    @property
    def me(self) -> Viewer:
        """The viewer of a page that requires one."""
        assert self.viewer is not None, "a page for signed-in viewers"
        return self.viewer

    def render(self, template: str, *, status: int = 200, **context: Any) -> Response:
        """``templates/web/<template>`` with the layout's context for this viewer."""
        response = render(self.request, template, self.viewer, status=status, **context)
        response.headers["Vary"] = "HX-Request"  # a whole page or a part of one, by that header
        return response

    def flash(self, **notice: Any) -> None:
        """A notice for the next page this browser opens, once (Post/Redirect/Get: a
        change answers 303 to a page that shows what was done). JSON values only."""
        self.request.session[_FLASH] = notice

    def flashed(self) -> dict[str, Any]:
        """The notice left by :meth:`flash`, taken (``{}`` when there is none)."""
        notice = self.request.session.pop(_FLASH, None)
        return notice if isinstance(notice, dict) else {}

    def message(self, status: int, title: str, text: str) -> Response:
        """A page that says one thing (a refusal, a confirmation)."""
        return message(self.request, status, title, text, self.viewer)

    def forbidden(self, text: str = "Anh/chị không có quyền xem trang này.") -> Response:
        return self.message(403, "Không có quyền truy cập", text)

    def not_found(self, text: str = "Không có trang này.") -> Response:
        return self.message(404, "Không tìm thấy", text)


PageBody = Callable[[Page], "Response | Awaitable[Response]"]
# What a page answers when the database stays locked past its busy timeout (a long import
# writing): the same words as a chat hears (templates/answers.html.j2, busy).
BUSY = "Hệ thống đang bận xử lý dữ liệu, đề nghị gửi lại sau ít phút."
Endpoint = Callable[[Request], Awaitable[Response]]


def page(
    *roles: ChatRole, signed_in: bool = True, uploads: int | None = None
) -> Callable[[PageBody], Endpoint]:
    """An endpoint from a page body: the viewer loaded, CSRF checked on every method but
    GET/HEAD/OPTIONS (403 without the session's token; 401 when the session has ended,
    unless ``signed_in=False``), the viewer required (401 without one, unless
    ``signed_in=False``), the role checked against ``roles`` (every web role when none
    is given; 403 otherwise), a number in the address beyond any id answered 404. The body runs in a worker thread with a database session;
    it may return a coroutine (a chart to draw), awaited on the event loop.

    ``uploads``: the page takes files (``Page.files``) of at most that many bytes. A POST
    larger than that and its form's fields (64 KB for a page without files), by its
    Content-Length, before it is read, is answered 413 in Vietnamese; one without a
    Content-Length 411. Other pages ignore files."""
    allowed = roles or WEB_ROLES

    def wrap(body: PageBody) -> Endpoint:
        async def endpoint(request: Request) -> Response:
            site: Site = request.app.state.site
            form: dict[str, str] = {}
            files: dict[str, Upload] = {}
            if request.method not in _SAFE:
                # Before anything is read: Starlette would spool any body to disk, and the
                # CSRF token is only known once it is read.
                if refused := _too_large(request, uploads or 0):
                    return refused
                try:
                    read = await request.form()
                except HTTPException:  # a body that is not a form Starlette can read
                    return message(request, 400, "Yêu cầu bị từ chối",
                                   "Không đọc được biểu mẫu gửi lên. Hãy tải lại trang rồi thử "
                                   "lại.", None)  # fmt: skip
                form = {k: v for k, v in read.items() if isinstance(v, str)}
                if uploads is not None:
                    files = {k: Upload(v.filename or "", await v.read())
                             for k, v in read.items() if isinstance(v, UploadFile)}  # fmt: skip
                await read.close()
            try:
                result = await run_in_threadpool(
                    _run, body, request, site, allowed, signed_in, form, files
                )
            except OperationalError as exc:  # another's long write: not a fault to show
                if not busy(exc):
                    raise
                log.warning("web: database busy on %s %s", request.method, request.url.path)
                return message(request, 503, "Hệ thống đang bận", BUSY, None)
            if inspect.isawaitable(result):
                result = await result
            assert isinstance(result, Response)
            return result

        endpoint.csrf_checked = True  # type: ignore[attr-defined]  # bot.web.site checks it
        # Who may open it, for the permission tests that walk every route: () when public.
        endpoint.roles = allowed if signed_in else ()  # type: ignore[attr-defined]
        endpoint.__name__ = body.__name__
        endpoint.__doc__ = body.__doc__
        return endpoint

    return wrap


def _too_large(request: Request, limit: int) -> Response | None:
    """A refusal for a body too large for a file of ``limit`` bytes and the form's fields
    (or of no stated length), else None."""
    try:
        length = int(request.headers["content-length"])
    except (KeyError, ValueError):
        return message(request, 411, "Yêu cầu bị từ chối",
                       "Yêu cầu không ghi rõ độ dài. Hãy gửi lại từ biểu mẫu trên trang.", None)  # fmt: skip
    if length <= limit + _FORM_SLACK:
        return None
    if not limit:
        return message(request, 413, "Yêu cầu quá lớn",
                       f"Biểu mẫu gửi lên ({file_size(length)}) quá lớn. Hãy tải lại trang rồi "
                       "thử lại.", None)  # fmt: skip
    return message(request, 413, "Tệp quá lớn",
                   f"Tệp gửi lên ({file_size(length)}) vượt giới hạn {file_size(limit)}. Hãy "
                   "chia tệp thành nhiều tệp nhỏ hơn.", None)  # fmt: skip


def file_size(size: int) -> str:
    """A size in bytes as people read it: "20 MB", "25,3 MB", "12 KB" (under a megabyte,
    rounded up: a file of a few bytes is "1 KB")."""
    if size < 1024 * 1024:
        return f"{max(1, -(-size // 1024))} KB"
    mb = size / (1024 * 1024)
    text = f"{mb:.0f}" if mb >= 100 or mb == int(mb) else f"{mb:.1f}".replace(".", ",")
    return f"{text} MB"


def _run(
    body: PageBody, request: Request, site: Site, allowed: tuple[ChatRole, ...],
    signed_in: bool, form: dict[str, str], files: dict[str, Upload],
) -> Response | Awaitable[Response]:  # fmt: skip
    now = site.clock()
    writing = request.method not in _SAFE
    with session_scope(site.engine) if writing else Session(site.engine) as db:
        viewer = current_viewer(request, db, now)
        if viewer is None and _SID in request.session:  # ended, expired or unbound: forget it
            landing = request.session.get(_NEXT)
            request.session.clear()
            if landing is not None:
                request.session[_NEXT] = landing
        current = Page(request, db, viewer, now, site, form, files)
        if writing and not csrf_ok(request.session, form, request.headers):
            return _ended(current) if signed_in and viewer is None else _stale(current)
        if signed_in and viewer is None:
            return _ended(current) if writing else _sign_in_first(current)
        if signed_in and viewer is not None and viewer.role not in allowed:
            return current.forbidden()
        if any(isinstance(v, int) and not 0 <= v <= _ID_MAX for v in request.path_params.values()):
            return current.not_found()  # no such id: the database would refuse the number
        return body(current)


def _refresh(request: Request, response: Response) -> Response:
    """To htmx, which would swap nothing of an error: reload the whole page, so that the
    refusal replaces the page rather than leave stale data on screen."""
    if request.headers.get("hx-request") == "true":
        response.headers["HX-Refresh"] = "true"
    return response


def _sign_in_first(p: Page) -> Response:
    """401 to a signed-out GET, its address remembered for after the sign-in (not htmx's
    parts, nor images: the page reloads and asks again)."""
    request = p.request
    if request.headers.get("hx-request") != "true" and not request.headers.get(
        "accept", ""
    ).startswith("image/"):
        raw = request.scope.get("raw_path") or request.url.path.encode()
        query = request.scope.get("query_string", b"")
        address = raw.decode("latin-1") + (f"?{query.decode('latin-1')}" if query else "")
        if landing := safe_landing(address):
            request.session[_NEXT] = landing
    return _refresh(request, p.message(401, "Chưa đăng nhập",
                                       f"Để mở giao diện web, anh/chị gõ /web {WHERE_WEB} rồi "
                                       "bấm vào đường dẫn bot gửi."))  # fmt: skip


def _ended(p: Page) -> Response:
    """401 to a form sent after its session ended (signed out, expired, unbound)."""
    return _refresh(p.request, p.message(401, "Phiên đăng nhập đã hết",
                                         "Phiên đăng nhập đã hết. Gõ /web trong chat của "
                                         "anh/chị để đăng nhập lại."))  # fmt: skip


def _stale(p: Page) -> Response:
    """403 to a form without its session's token: sent from a page older than the
    session, or from another site."""
    return p.message(403, "Yêu cầu bị từ chối",
                     "Biểu mẫu đã cũ hoặc không gửi từ trang này. Hãy tải lại trang rồi thử "
                     "lại.")  # fmt: skip


def _landing(p: Page) -> Response:
    """303 to the address remembered before the sign-in, else the overview."""
    landing = safe_landing(p.request.session.pop(_NEXT, None)) or HOME
    return RedirectResponse(landing, status_code=303)


# --- signing in and out -------------------------------------------------------------------


def _already_in(p: Page, token: str) -> bool:
    """Whether the viewer is signed in for the chat ``token`` was made for (or asks the
    sign-in page with no link at all)."""
    return p.viewer is not None and (not token or link_chat(p.db, token, p.now) == p.viewer.chat_id)


@page(signed_in=False)
def sign_in_form(p: Page) -> Response:
    """GET /dang-nhap?t=…: who the link signs in, and a button to do it. The link is not
    used up here: chat apps open links to show a preview, and that must not spend it.
    Someone already signed in for the link's chat goes straight on."""
    token = p.request.query_params.get("t", "")
    if _already_in(p, token):
        return _landing(p)
    try:
        who = check_link(p.db, token, p.now, claim=False)
    except LinkRefused as refused:
        return _refused(p, refused)
    return p.render("sign_in.html.j2", who=who, token=token,
                    csrf=csrf_token(p.request.session))  # fmt: skip


@page(signed_in=False)
def sign_in(p: Page) -> Response:
    """POST /dang-nhap: the link used up and the session opened; then the page asked
    before signing in, or the overview. A link already used, sent again by someone
    signed in for its chat (the browser's Back), goes straight on."""
    token = p.form.get("t", "")
    try:
        who = check_link(p.db, token, p.now, claim=True)
    except LinkRefused as refused:
        if refused.reason == "used" and _already_in(p, token):
            return _landing(p)
        return _refused(p, refused)
    open_session(p.request, p.db, who, p.now)
    log.info("web sign-in: %s chat %s (%s) by user %s", who.channel, who.chat_id, who.role.value,
             who.user_id, extra={"event": "web sign-in", "chat": who.chat_id, "user": who.user_id})  # fmt: skip
    return _landing(p)


def _refused(p: Page, refused: LinkRefused) -> Response:
    return p.message(403 if refused.reason == "chat_gone" else 400, "Không đăng nhập được",
                     f"{refused} Gõ /web {WHERE_WEB} để nhận đường dẫn mới.")  # fmt: skip


@page()
def sign_out(p: Page) -> Response:
    """POST /dang-xuat: the session ends, on the server: its cookie opens nothing more."""
    sid = p.request.session.get(_SID)
    if isinstance(sid, str):
        end_session(p.db, sid, p.now)
    p.request.session.clear()
    return message(p.request, 200, "Đã đăng xuất",
                   "Anh/chị đã đăng xuất. Gõ /web trong chat của anh/chị để đăng nhập lại.",
                   None)  # fmt: skip
