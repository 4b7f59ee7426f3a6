"""uvicorn in a thread of its own, with its own event loop: ``/healthz`` answers even while
the bot's event loop is held up (a blocking database call waiting for a lock). No signal
handlers of its own: the bot's SIGINT/SIGTERM set ``stop``, and :func:`serving` then
stops it. What it serves reads the bot's state from memory (``bot.web.app``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import threading
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
async def serving(
    app: ASGIApp, host: str, port: int, *, name: str = "metrics server"
) -> AsyncIterator[int]:
    """``app`` on ``host:port`` while inside, from a daemon thread running its own event
    loop; yields the port (``0`` picks a free one). Raises :class:`CannotListen` before
    anything runs if the port cannot be had. On the way out the server gets up to five
    seconds to end the requests it is answering, and its thread ten seconds in all (a
    database read for /metrics that hangs is left to its daemon thread); then the port
    closes. ``name`` names the thread and the log line if it fails."""
    sock = listen(host, port)
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                            timeout_graceful_shutdown=5)  # fmt: skip
    server = _Server(config)

    def serve() -> None:
        try:
            asyncio.run(server.serve(sockets=[sock]))
        except Exception:  # the bot goes on without its monitoring port: say it loudly
            log.exception("the %s failed", name)

    thread = threading.Thread(target=serve, name=name, daemon=True)
    thread.start()
    try:
        yield int(sock.getsockname()[1])
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 10)
        sock.close()


def serve_forever(app: ASGIApp, sock: socket.socket) -> None:
    """``app`` on the bound ``sock`` in this thread until SIGINT or SIGTERM (``dondoc
    web``); the requests being answered then get five seconds to end. Returns normally,
    without raising the signal again as uvicorn's own handlers would."""
    config = uvicorn.Config(app, lifespan="off", log_config=None, access_log=False,
                            timeout_graceful_shutdown=5)  # fmt: skip
    server = _Server(config)

    async def main() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, setattr, server, "should_exit", True)
        try:
            await server.serve(sockets=[sock])
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)

    try:
        asyncio.run(main())
    finally:
        sock.close()
