"""What every response of the web view carries, and what every form must: the security
headers (:class:`SecurityHeaders`) and the per-session CSRF token (:func:`csrf_token`,
:func:`csrf_ok`).

The Content-Security-Policy allows only the site itself: scripts (htmx, vendored under
``/static``), styles and images from it, images also as ``data:`` URIs (charts may be
inlined); no inline script or style (htmx's own indicator style is turned off in the
layout for that reason), no frames of it anywhere (``frame-ancestors 'none'``, and
``X-Frame-Options: DENY`` for older browsers), forms posted only to itself. The
Referrer-Policy sends no referrer: the sign-in page's address carries its link's token.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
       "frame-ancestors 'none'")  # fmt: skip
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}
CSRF_FIELD = "csrf"  # the form field; htmx requests may send the X-CSRF-Token header instead
CSRF_HEADER = "x-csrf-token"
_CSRF_KEY = "csrf"  # in the session


class SecurityHeaders:
    """ASGI middleware: :data:`HEADERS` on every HTTP response (pages, static files,
    errors), and ``Cache-Control: no-store`` on those that set none (pages show what only
    the signed-in person may see; the static files set their own)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in HEADERS.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, with_headers)


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """The session's CSRF token, made on first need (43 URL-safe characters)."""
    token = session.get(_CSRF_KEY)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF_KEY] = token
    return token


def csrf_ok(
    session: Mapping[str, Any], form: Mapping[str, Any], headers: Mapping[str, str]
) -> bool:
    """Whether a POST carries its session's CSRF token, in the form or the header
    (compared in constant time); never without a session token."""
    expected = session.get(_CSRF_KEY)
    given = form.get(CSRF_FIELD) or headers.get(CSRF_HEADER) or ""
    return (isinstance(expected, str) and bool(expected) and isinstance(given, str)
            and hmac.compare_digest(expected.encode(), given.encode()))  # fmt: skip
