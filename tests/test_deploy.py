"""The container's healthcheck: the same check in the Dockerfile and in compose.yaml, on a
monitoring port that compose pins whatever ``.env`` says, and the check's own verdicts
against a real HTTP server (200 healthy; 503 or no answer unhealthy)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
URL = "http://127.0.0.1:9100/healthz"


def dockerfile_check() -> str:
    """The Python program of the Dockerfile's HEALTHCHECK (exec form: a JSON array)."""
    found = re.search(r"^HEALTHCHECK [^\n]*\\\n\s+CMD (\[.*\])$", (ROOT / "Dockerfile").read_text(),
                      re.M)  # fmt: skip
    assert found, "the Dockerfile has no HEALTHCHECK in exec form"
    python, flag, program = json.loads(found.group(1))
    assert (python, flag) == ("python", "-c")
    return str(program)


def compose_check() -> str:
    """The Python program of compose.yaml's healthcheck (the block after ``- |``)."""
    compose = (ROOT / "compose.yaml").read_text()
    found = re.search(r"^( +)- -c\n\1- \|\n((?:\1  .*\n)+)", compose, re.M)
    assert found, "compose.yaml's healthcheck is not `python -c` with a block"
    return textwrap.dedent(found.group(2))


def test_the_dockerfile_and_compose_run_the_same_check_on_the_pinned_port() -> None:
    assert dockerfile_check().strip() == compose_check().strip()
    assert URL in dockerfile_check()
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(r"^ENV [^#]*METRICS_PORT=9100 METRICS_LISTEN=0\.0\.0\.0$", dockerfile, re.M)
    compose = (ROOT / "compose.yaml").read_text()
    assert re.search(r'^      METRICS_PORT: "9100"\n      METRICS_LISTEN: 0\.0\.0\.0$', compose,
                     re.M)  # fmt: skip
    assert not re.search(r"^name:", compose, re.M)  # docker-compose 1.29 refuses it


class _Healthz(BaseHTTPRequestHandler):
    status = 200

    def do_GET(self) -> None:
        self.send_response(self.status)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "x"}')

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def healthz(status: int) -> Iterator[int]:
    handler = type("Handler", (_Healthz,), {"status": status})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def check(port: int) -> int:
    """The Dockerfile's check run as Docker runs it, asking ``port`` instead of 9100."""
    program = dockerfile_check().replace(":9100/", f":{port}/")
    return subprocess.run([sys.executable, "-c", program], timeout=30).returncode


def test_the_check_is_healthy_on_200_only() -> None:
    with healthz(200) as port:
        assert check(port) == 0
    with healthz(503) as port:
        assert check(port) == 1
    assert check(port) == 1  # nothing listens any more


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
@pytest.mark.parametrize("metrics_port", ["0", "", "9200"])
def test_compose_config_validates_and_env_cannot_move_the_checked_port(
    tmp_path: Path, metrics_port: str
) -> None:
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    env = (ROOT / ".env.example").read_text()
    env = re.sub(r"^POSTGRES_PASSWORD=$", "POSTGRES_PASSWORD=abc123", env, flags=re.M)
    env = re.sub(r"^METRICS_PORT=.*$", f"METRICS_PORT={metrics_port}", env, flags=re.M)
    env = re.sub(r"^METRICS_LISTEN=.*$", "METRICS_LISTEN=127.0.0.1", env, flags=re.M)
    (tmp_path / ".env").write_text(env)
    config = subprocess.run(["docker-compose", "config"], cwd=tmp_path, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert config.returncode == 0, config.stderr
    assert "METRICS_PORT: '9100'" in config.stdout
    assert "METRICS_LISTEN: 0.0.0.0" in config.stdout
    assert URL in config.stdout
