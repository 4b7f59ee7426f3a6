"""One ``dondoc run`` per SQLite file.

Two bots on one SQLite file would both plan every tick and both send what they claim:
SQLite has no row locks to share the work (PostgreSQL has, so several ``dondoc run``
share a PostgreSQL database). The running bot holds an OS lock (``flock``, through the
filelock library) on a file next to the database for as long as it runs; the kernel
drops the lock when the process ends, however it ends (SIGKILL and power loss
included), so a crashed bot never keeps the next one out, as a stale pid file would.
Only ``run`` takes the lock: an import, ``health`` or ``tick --at`` beside a running
bot is what SQLite's WAL mode is for.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer
from filelock import FileLock, Timeout

from bot.cli.common import complain
from bot.db_problems import sqlite_file


def lock_file(database: Path) -> Path:
    """``dondoc.db`` → ``dondoc.db-run.lock``, beside SQLite's own ``-wal`` and ``-shm``."""
    return database.with_name(f"{database.name}-run.lock")


@contextmanager
def sole_run(database_url: str) -> Iterator[None]:
    """Hold the SQLite file's run lock for the block, or end the command with one
    Vietnamese line saying what to do (exit code 1). Nothing to hold on PostgreSQL."""
    database = sqlite_file(database_url)
    if database is None:
        yield
        return
    path = lock_file(database)
    # No soft fallback: a lock file that outlives its process would refuse every bot
    # after a crash. On a filesystem without flock, the OSError ends the command.
    lock = FileLock(path, timeout=0, fallback_to_soft=False, on_acquired=_write_pid)
    try:
        lock.acquire()
    except Timeout:
        pid = _holder(path)
        which = f" (số {pid})" if pid else ""
        stop = f"“kill {pid}”" if pid else "dừng container của nó nếu nó chạy bằng Docker"
        complain(
            f"Đã có một tiến trình “dondoc run”{which} đang chạy trên cơ sở dữ liệu {database}. "
            "Với SQLite, mỗi tệp dữ liệu chỉ chạy được một bot: hãy dừng tiến trình kia trước "
            f"(Ctrl+C ở nơi nó chạy, hoặc {stop}), hoặc dùng PostgreSQL "
            "(DATABASE_URL=postgresql+psycopg://…) để chạy nhiều tiến trình. Các lệnh khác "
            "(import, health, tick…) vẫn dùng được khi bot đang chạy."
        )
        raise typer.Exit(1) from None
    try:
        yield
    finally:
        lock.release()


def _write_pid(fd: int) -> None:
    # For the message a second ``run`` prints; the lock itself is the flock, not this text.
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())


def _holder(path: Path) -> int | None:
    """The running bot's pid, if it is a process here: a bot in another container (or on
    another machine sharing the file) has a pid that means nothing, or something else,
    in ours."""
    try:
        pid = int(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if pid == os.getpid():  # pid 1 in two containers
        return None
    try:
        os.kill(pid, 0)
    except PermissionError:
        return pid  # another user's process
    except OSError:
        return None
    return pid
