"""One bot per SQLite file: the province's IT officer starts ``dondoc run``; a second
``dondoc run`` on the same file (a colleague's terminal, a second container) is refused
in Vietnamese, while imports, ``health`` and ``tick --at`` keep working beside the bot.
A bot killed with SIGKILL keeps nobody out. On PostgreSQL several bots may run.

Every bot here is a real ``python -m bot run`` process on a real database, talking to
no network (no token: the console channel only)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from filelock import FileLock
from sqlalchemy import create_engine, text

from bot.cli.run_lock import lock_file, sqlite_file
from tests.cli import SEED, dondoc_process
from tests.run_process import RUNNING, STARTUP, Bot


def _env(database_url: str) -> dict[str, str]:
    # No monitoring port: bots side by side on one machine would ask for the same one,
    # and the lock, not the port, is what these tests are about.
    return {**os.environ, "DATABASE_URL": database_url, "METRICS_PORT": "0"}


@pytest.fixture
def bots(tmp_path: Path) -> Iterator[list[Bot]]:
    started: list[Bot] = []
    yield started
    for bot in started:
        if bot.proc.poll() is None:
            bot.kill()
        else:
            bot.ended()


def start(bots: list[Bot], folder: Path, database_url: str) -> Bot:
    bot = Bot(folder, _env(database_url))
    bots.append(bot)
    return bot.running()


def second_run(folder: Path, database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "run"], cwd=folder, text=True, capture_output=True,
        env=_env(database_url), stdin=subprocess.DEVNULL, timeout=STARTUP,
    )  # fmt: skip


def test_a_second_bot_on_the_same_sqlite_file_is_refused_and_commands_still_work(
    tmp_path: Path, bots: list[Bot]
) -> None:
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    bot = start(bots, tmp_path, url)

    refused = second_run(tmp_path, url)
    assert refused.returncode == 1, refused
    assert "Traceback" not in refused.stderr
    message = refused.stderr.replace("\n", " ")
    assert f"Đã có một tiến trình “dondoc run” (số {bot.proc.pid}) đang chạy" in message
    assert str(tmp_path / "dondoc.db") in message
    assert f"“kill {bot.proc.pid}”" in message and "dùng PostgreSQL" in message
    assert RUNNING not in refused.stdout
    assert bot.proc.poll() is None  # the first bot runs on

    # Beside the running bot, the admin's commands work as ever.
    dondoc_process(tmp_path, "import", "agencies", str(SEED / "agencies.csv"))
    dondoc_process(tmp_path, "import", "tasks", str(SEED / "plans" / "000_sipas_2024.csv"))
    dondoc_process(tmp_path, "tick", "--at", "20/12/2024 08:00")
    health = dondoc_process(tmp_path, "health")
    assert "hoạt động được" in health.stdout

    assert bot.stop() == 0
    start(bots, tmp_path, url).stop()  # stopped, it let the next bot in


def test_a_bot_killed_with_sigkill_keeps_no_one_out(tmp_path: Path, bots: list[Bot]) -> None:
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    killed = start(bots, tmp_path, url)
    killed.kill()
    lock = lock_file(tmp_path / "dondoc.db")
    assert lock.read_text().strip() == str(killed.proc.pid)  # the file stays, the lock does not

    after = start(bots, tmp_path, url)
    assert lock.read_text().strip() == str(after.proc.pid)
    assert after.stop() == 0


def test_bots_on_two_sqlite_files_run_side_by_side(tmp_path: Path, bots: list[Bot]) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = start(bots, tmp_path / "a", f"sqlite:///{tmp_path / 'a' / 'dondoc.db'}")
    second = start(bots, tmp_path / "b", f"sqlite:///{tmp_path / 'b' / 'dondoc.db'}")
    assert first.stop() == 0 and second.stop() == 0


def test_a_bot_in_another_container_is_not_named_by_a_pid_meaningless_here(
    tmp_path: Path,
) -> None:
    # What a bot in another container on the same volume leaves: the flock held (here by
    # this test) and, in the file, a pid that is no process of ours.
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    path = lock_file(tmp_path / "dondoc.db")
    with FileLock(path, timeout=0):
        path.write_text("999999999\n")
        refused = second_run(tmp_path, url)
    assert refused.returncode == 1, refused
    message = refused.stderr.replace("\n", " ")
    assert "Đã có một tiến trình “dondoc run” đang chạy" in message
    assert "999999999" not in message and "dừng container của nó" in message


@pytest.mark.postgres
def test_several_bots_may_run_on_one_postgresql_database(
    postgres_server: str, tmp_path: Path, bots: list[Bot]
) -> None:
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = postgres_server.rsplit("/", 1)[0] + f"/{name}"
    try:
        first = start(bots, tmp_path, url)
        second = start(bots, tmp_path, url)
        assert first.stop() == 0 and second.stop() == 0
        assert not list(tmp_path.glob("*.lock"))
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("sqlite:///dondoc.db", Path("dondoc.db").resolve()),
        ("sqlite:////data/dondoc.db", Path("/data/dondoc.db")),
        ("sqlite:///file:/data/dondoc.db?mode=rwc&uri=true", Path("/data/dondoc.db")),
        ("sqlite://", None),
        ("sqlite:///:memory:", None),
        ("sqlite:///file:shared?mode=memory&cache=shared&uri=true", None),
        ("postgresql+psycopg://dondoc:secret@db/dondoc", None),
    ],
)
def test_which_databases_take_the_lock(url: str, expected: Path | None) -> None:
    assert sqlite_file(url) == expected
