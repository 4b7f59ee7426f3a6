"""Credentials taken out of what dondoc prints: a database URL in ``dondoc health``, in
a settings error, in a log line.

A URL is read with SQLAlchemy's ``make_url`` and written back with
``render_as_string(hide_password=True)``; on top of that, query parameters that carry a
secret (``?password=…``, ``sslpassword``, ``secret``, ``token``…) are masked, and a
password holding an unescaped ``@`` (which ``make_url`` splits at its first ``@``, leaving
the rest of the password in the host) is masked up to the last ``@``. A URL that cannot
be read at all is shown as its scheme and host only, or as ``***``.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

MASK = "***"

# Query parameters whose value is a secret: libpq's password and sslpassword, and the
# names other drivers and services use for the same.
_SECRET_KEY = re.compile(r"pass|pwd|secret|token|key|credential|auth", re.IGNORECASE)

# A URL inside a longer text (a log line, an error): from its scheme to the first blank
# or quote, a final punctuation mark left out. Only the ones carrying a credential are rewritten (see ``mask_urls_in``).
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"<>“”‘’]*[^\s'\"<>“”‘’.,;:)\]]")
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


def secret_key(name: str) -> bool:
    """Whether a query parameter (or setting) named ``name`` holds a secret."""
    return bool(_SECRET_KEY.search(name))


def mask_url(url: str) -> str:
    """``url`` with every credential in it replaced by ``***``: the password, secret query
    parameters. Never raises; an unreadable URL gives its scheme and host, or ``***``."""
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError, TypeError):
        return _scheme_and_host(url)
    host = parsed.host or ""
    if "@" in host:  # "user:p@ss@host": the password went on to the last "@"
        parsed = parsed.set(host=host.rpartition("@")[2], password=MASK)
    hidden = {k: MASK for k in parsed.query if secret_key(k)}
    if hidden:
        parsed = parsed.update_query_dict(hidden)
    try:
        shown = parsed.render_as_string(hide_password=True)
    except (ValueError, TypeError):  # a port or name make_url took but cannot write back
        return _scheme_and_host(url)
    return shown.replace("%2A%2A%2A", MASK)


def _scheme_and_host(url: str) -> str:
    """``scheme://***@host`` (or ``scheme://host``) of a URL no parser reads; ``***``
    when even that cannot be told."""
    found = _SCHEME.match(url)
    if not found:
        return MASK
    rest = url[found.end() :]
    head = rest.split("?", 1)[0]
    had_user = "@" in head
    host = head.rpartition("@")[2].split("/", 1)[0]
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]*", host):
        return f"{found.group(1)}://{MASK}"
    return f"{found.group(1)}://{MASK + '@' if had_user else ''}{host}"


def _has_credential(url: str) -> bool:
    scheme = _SCHEME.match(url)
    rest = url[scheme.end() :] if scheme else url
    path, _, query = rest.partition("?")
    # "user:p@ss@host", "user:p?ss@host": an "@" before the path, whatever the password
    # holds unescaped ("?", "#", "@"), is a password's end.
    if "@" in rest.split("/", 1)[0] or ("@" in path and ":" in path.split("@", 1)[0]):
        return True
    return any(secret_key(pair.partition("=")[0]) for pair in query.split("&") if pair)


def mask_urls_in(text: str) -> str:
    """``text`` with every URL in it that carries a credential masked (:func:`mask_url`);
    other URLs are left exactly as written."""
    if "://" not in text:
        return text
    return _URL_IN_TEXT.sub(
        lambda m: mask_url(m.group()) if _has_credential(m.group()) else m.group(), text
    )


def _secrets_of(url: str) -> list[str]:
    """The secret parts of ``url`` as they may be quoted elsewhere: its password (up to
    the last "@", as a driver may take the rest for the host), secret query values."""
    scheme = _SCHEME.match(url)
    rest = url[scheme.end() :] if scheme else url
    head, _, query = rest.partition("?")
    found: list[str] = []
    if "@" in head:
        userinfo = head.rpartition("@")[0]
        if ":" in userinfo:
            password = userinfo.partition(":")[2]
            found += [password, password.split("@", 1)[-1]]  # "p@ss": the driver's "ss"
    for pair in query.split("&"):
        key, _, value = pair.partition("=")
        if value and secret_key(key):
            found.append(value)
    try:
        parsed = make_url(url)
        if parsed.password:
            found.append(str(parsed.password))
    except (ArgumentError, ValueError, TypeError):
        pass
    return sorted({s for s in found if len(s) >= 3}, key=len, reverse=True)


def scrub(text: str, url: str) -> str:
    """``text`` (a driver's error about ``url``) with every secret of ``url`` in it, and
    every URL carrying a credential, masked."""
    for secret in _secrets_of(url):
        text = text.replace(secret, MASK)
    return mask_urls_in(text)
