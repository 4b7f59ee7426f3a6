"""The web view served by real processes: ``dondoc run`` with WEB_PORT serves it beside
the bot (a port of its own, apart from /healthz and /metrics) and publishes its address
for /web; a port that cannot be had stops ``dondoc run`` and ``dondoc web`` at once, in
Vietnamese."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from bot.db import make_engine
from bot.web.security import CSP
from tests.chat import say
from tests.fake_zalo import free_port
from tests.province import FRIDAY, build_province
from tests.test_web import dondoc_run, get, until
from tests.test_web_view import HEAD


def test_dondoc_run_with_web_port_serves_the_web_and_links_to_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    port = free_port()
    env = {"DATABASE_URL": url, "METRICS_PORT": "0", "WEB_PORT": str(port)}
    with dondoc_run(tmp_path, env) as proc:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert f"giao diện web: http://127.0.0.1:{port}" in first, first
        base = f"http://127.0.0.1:{port}"
        until(lambda: get(f"{base}/") is not None, "the web answers")
        home = httpx.get(f"{base}/")
        assert home.status_code == 200 and "gõ /web" in home.text
        assert home.headers["content-security-policy"] == CSP
        assert httpx.get(f"{base}/tong-quan").status_code == 401
        engine = make_engine(url)
        try:
            build_province(engine)
            assert f'href="{base}/dang-nhap?t=' in say(engine, HEAD, "/web", FRIDAY)
        finally:
            engine.dispose()
        proc.send_signal(signal.SIGTERM)
        out, errors = proc.communicate(timeout=60)
    assert proc.returncode == 0, errors
    assert "dondoc đã dừng" in out
    assert get(f"{base}/") is None  # the port closed with the bot


def test_a_web_port_in_use_is_refused_in_vietnamese(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'dondoc.db'}", "METRICS_PORT": "0",
               "WEB_PORT": str(port)}  # fmt: skip
        with dondoc_run(tmp_path, env) as proc:
            out, errors = proc.communicate(timeout=60)
        assert proc.returncode == 1 and "Traceback" not in errors
        assert f"Không mở được cổng giao diện web 127.0.0.1:{port}" in errors + out
        web = subprocess.run([sys.executable, "-m", "bot", "web"], cwd=tmp_path, text=True,
                             capture_output=True, timeout=60,
                             env={**env, "PATH": "/usr/bin:/bin"})  # fmt: skip
    assert web.returncode == 1 and "Traceback" not in web.stderr
    assert f"Không mở được cổng giao diện web 127.0.0.1:{port}" in web.stderr + web.stdout
