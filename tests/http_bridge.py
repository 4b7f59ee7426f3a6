"""Serve a fake API (anything with ``async handle(httpx.Request) -> httpx.Response``) on
a real local port, for code that builds its own HTTP clients from settings (the CLI)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

Handler = Callable[[httpx.Request], Awaitable[httpx.Response]]


@contextmanager
def serve(handle: Handler) -> Iterator[str]:
    """Yields the base URL (``http://127.0.0.1:PORT``); the fake runs on its own loop."""
    with serving(handle) as (url, _loop):
        yield url


@contextmanager
def serving(handle: Handler) -> Iterator[tuple[str, asyncio.AbstractEventLoop]]:
    """The base URL and the fake's loop, for a test that acts on the fake while a real
    process talks to it (``asyncio.run_coroutine_threadsafe(fake.say(…), loop)``)."""
    loop = asyncio.new_event_loop()
    runner = threading.Thread(target=loop.run_forever, daemon=True)
    runner.start()

    class Bridge(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            request = httpx.Request("POST", f"http://fake{self.path}",
                                    headers=dict(self.headers.items()), content=body)  # fmt: skip
            try:
                response = asyncio.run_coroutine_threadsafe(handle(request), loop).result(30)
            except (concurrent.futures.CancelledError, TimeoutError):  # the fake is closing
                self.send_error(503)
                return
            response.read()
            self.send_response(response.status_code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(response.content)))
            self.end_headers()
            self.wfile.write(response.content)

        do_GET = do_POST

        def log_message(self, *args: object) -> None:  # quiet test output
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Bridge)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", loop
    finally:
        # A request still waiting in the fake (a long poll from a process that has gone)
        # ends now, not when the loop is collected.
        asyncio.run_coroutine_threadsafe(_cancel_all(), loop).result(10)
        server.shutdown()
        server.server_close()
        loop.call_soon_threadsafe(loop.stop)
        runner.join(5)
        loop.close()


async def _cancel_all() -> None:
    others = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
    for task in others:
        task.cancel()
    await asyncio.gather(*others, return_exceptions=True)
