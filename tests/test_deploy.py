"""The container's healthcheck: the same check in the Dockerfile and in compose.yaml, on a
monitoring port that compose pins whatever ``.env`` says, and the check's own verdicts
against a real HTTP server (200 healthy; 503 or no answer unhealthy). The files the image
copies are enough to run dondoc (no Docker engine is needed to know that)."""

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

from bot.config import WEB_DEFAULT_PORT

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


def compose_config(folder: Path, **settings: str) -> str:
    """``docker-compose config`` of compose.yaml with .env.example as ``.env``, a password
    set and ``settings`` (NAME=value) in place of the example's lines."""
    shutil.copy(ROOT / "compose.yaml", folder / "compose.yaml")
    env = (ROOT / ".env.example").read_text()
    for name, value in {"POSTGRES_PASSWORD": "abc123", **settings}.items():
        env = re.sub(rf"^{name}=.*$", f"{name}={value}", env, flags=re.M)
    (folder / ".env").write_text(env)
    config = subprocess.run(["docker-compose", "config"], cwd=folder, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert config.returncode == 0, config.stderr
    return config.stdout


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
@pytest.mark.parametrize("metrics_port", ["0", "", "9200"])
def test_compose_config_validates_and_env_cannot_move_the_checked_port(
    tmp_path: Path, metrics_port: str
) -> None:
    config = compose_config(tmp_path, METRICS_PORT=metrics_port, METRICS_LISTEN="127.0.0.1")
    assert "METRICS_PORT: '9100'" in config
    assert "METRICS_LISTEN: 0.0.0.0" in config
    assert URL in config


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose not installed")
def test_the_web_view_published_as_compose_says_listens_where_the_port_reaches(
    tmp_path: Path,
) -> None:
    """The override compose.yaml's comment gives publishes the web view's port to this
    machine only; inside the container the web listens on every interface whatever .env's
    WEB_LISTEN says, or the published port would reach nothing. The image exposes it."""
    found = re.search(r"^ *# The web view, once .*?^ *# +(services: \{bot: \{ports: \[[^\n]*\]\}\})$",
                      (ROOT / "compose.yaml").read_text(), re.M | re.S)  # fmt: skip
    assert found, "compose.yaml says how to publish the web view's port"
    (tmp_path / "compose.override.yaml").write_text(found.group(1) + "\n")
    config = compose_config(tmp_path, WEB_PORT="8080", WEB_LISTEN="127.0.0.1")
    assert "127.0.0.1:8080:8080/tcp" in config
    assert "WEB_LISTEN: 0.0.0.0" in config
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.search(rf"^EXPOSE {WEB_DEFAULT_PORT}$", dockerfile, re.M)
    assert re.search(r"^ENV WEB_LISTEN=0\.0\.0\.0$", dockerfile, re.M)


def test_what_the_image_copies_is_enough_to_run_dondoc(tmp_path: Path) -> None:
    """Only the paths the Dockerfile copies, as /app: the bot finds its migrations,
    templates and seed there (a file read at run time from a folder the image leaves out
    would fail only in the container)."""
    copies = re.findall(r"^COPY ([^\n]+) \./\S*$", (ROOT / "Dockerfile").read_text(), re.M)
    paths = [path for line in copies for path in line.split()]
    assert {"pyproject.toml", "bot", "migrations", "templates", "seed"} <= set(paths)
    app, work = tmp_path / "app", tmp_path / "work"
    work.mkdir()
    for path in paths:
        source = ROOT / path
        if source.is_dir():
            shutil.copytree(source, app / path, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            (app / path).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, app / path)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(app), "HOME": str(work),
           "DATABASE_URL": f"sqlite:///{work / 'dondoc.db'}"}  # fmt: skip

    def dondoc(*args: str) -> str:
        done = subprocess.run([sys.executable, "-m", "bot", *args], cwd=work, env=env,
                              capture_output=True, text=True, timeout=300)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run([sys.executable, "-c", "import bot; print(bot.__file__)"], cwd=work,
                           env=env, capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert where.startswith(str(app))
    assert "Sở Nội vụ" in dondoc("demo")  # migrations and the seed
    assert "Nhắc việc" in dondoc("preview", "--at", "02/12/2024 08:00")  # the templates


def _env_lines(text: str) -> list[str]:
    """The ``NAME=value`` lines of a ``.env`` text (or of a README's code blocks)."""
    return [line for line in text.splitlines() if re.match(r"^(export )?[A-Z][A-Z0-9_]*=", line)]


def test_no_env_example_puts_a_comment_after_a_value() -> None:
    """docker-compose 1.29 reads ``ADMIN_TELEGRAM_IDS=   # …`` as the value "# …": every
    comment of a ``.env`` example, in the README as in .env.example, is on its own line."""
    readme = (ROOT / "README.md").read_text()
    blocks = "\n".join(re.findall(r"^```(?:sh|env|bash)?\n(.*?)^```", readme, re.M | re.S))
    lines = _env_lines(blocks) + _env_lines((ROOT / ".env.example").read_text())
    assert len(lines) > 20
    assert [line for line in lines if "#" in line] == []


def test_a_provinces_own_files_are_never_committed() -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", ".env", "secrets/telegram_bot_token", "sao-luu/dondoc.dump",
         "compose.override.yaml", "dondoc.toml", "dondoc.db"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    ).stdout.split()  # fmt: skip
    assert ignored == [".env", "secrets/telegram_bot_token", "sao-luu/dondoc.dump",
                       "compose.override.yaml", "dondoc.toml", "dondoc.db"]  # fmt: skip


def test_the_bot_service_can_be_scaled_on_one_host() -> None:
    """``docker compose up -d --scale bot=2``: no fixed container name, no host port."""
    compose = (ROOT / "compose.yaml").read_text()
    assert "container_name" not in compose
    bot = compose.split("\n  bot:\n", 1)[1].split("\nvolumes:", 1)[0]
    assert not re.search(r"^    ports:", bot, re.M)
