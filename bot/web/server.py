"""uvicorn inside the bot's event loop, as one more task: no thread, no signal handlers of
its own (the bot's SIGINT/SIGTERM set ``stop``, and :func:`serving` then stops it)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp

log = logging.getLogger(__name__)


class CannotListen(OSError):
    """The address or port is taken or not this machine's; the message says which."""


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # uvicorn would take SIGINT/SIGTERM from the bot (and raise them again on exit).
        yield


def listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound now: a port in use stops ``dondoc run`` at start-up
    with a clear message, instead of uvicorn's ``sys.exit`` in the middle of the bot."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, kind, proto, _name, address = infos[0]
        sock = socket.socket(family, kind, proto)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(address)
            sock.listen(128)
        except OSError:
            sock.close()
            raise
    except OSError as exc:
        raise CannotListen(f"{host}:{port}: {exc.strerror or exc}") from None
    sock.setblocking(False)
    return sock


@contextlib.asynccontextmanager
async def serving(app: ASGIApp, host: str, port: int) -> AsyncIterator[int]:
    """``app`` on ``host:port`` while inside; yields the port (``0`` picks a free one).
    Raises :class:`CannotListen` before anything runs if the port cannot be had."""
    sock = listen(host, port)
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                            timeout_graceful_shutdown=5)  # fmt: skip
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="metrics server")
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        try:
            await task
        except Exception:  # the bot is stopping anyway: say it, do not mask why it stops
            log.exception("the metrics server failed")
        sock.close()
