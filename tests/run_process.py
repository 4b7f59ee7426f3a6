"""A real ``dondoc run`` (or ``dondoc web``) process for the tests that need one (the
SQLite lock, the fault tests, the browser test): ``python -m bot run`` with the
environment given, its stdout read line by line on a thread (a test waits for a line
with a deadline instead of sleeping), its stderr, where it logs, in a file."""

from __future__ import annotations

import queue
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

RUNNING = "dondoc đang chạy"  # what the bot prints once it runs
STARTUP = 60.0  # seconds a bot may take to migrate and start on a busy machine


class Bot:
    """One ``dondoc run`` (``command``: another, ``web``) in ``folder`` with ``env``."""

    def __init__(self, folder: Path, env: dict[str, str], command: str = "run") -> None:
        self.command = command
        self.log = folder / f"{command}-{uuid.uuid4().hex[:6]}.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", command], cwd=folder, text=True, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log,
            )  # fmt: skip
        self.said: list[str] = []  # the lines read so far
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    @property
    def worker(self) -> str:
        """How the bot claims outbox rows (``bot.scheduler.dispatcher.worker_id``)."""
        return f"{socket.gethostname()[:48]}:{self.proc.pid}"

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)  # the process closed its output: it ended

    def running(self) -> Bot:
        """Wait until the bot says it runs; fail with its log if it ends or takes too long."""
        self.wait_for(RUNNING)
        return self

    def wait_for(self, text: str) -> str:
        """The next line of its output holding ``text``, within :data:`STARTUP`; fail with
        what it said and its log if it ends first or takes too long."""
        deadline = time.monotonic() + STARTUP
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"dondoc {self.command} ended ({self.proc.wait()}): "
                            f"{self.log.read_text()}")  # fmt: skip
            self.said.append(line)
            if text in line:
                return line
        pytest.fail(f"dondoc {self.command} did not say {text!r} in {STARTUP:.0f} s: "
                    f"{''.join(self.said)} {self.log.read_text()}")  # fmt: skip

    def stop(self) -> int:
        """SIGTERM, as systemd or Docker stop it; its exit code (once it ended and all it
        printed was read)."""
        self.proc.send_signal(signal.SIGTERM)  # nothing if it has ended already
        return self.ended(60)

    def kill(self) -> None:
        self.proc.kill()
        self.ended()

    def ended(self, within: float = 30) -> int:
        code = self.proc.wait(timeout=within)
        self.reader.join(timeout=30)  # it reads to the end of the output, then stops
        if self.proc.stdout is not None:
            self.proc.stdout.close()  # closing twice is harmless
        return code

    def logged(self, text: str) -> int:
        """How many lines of its log hold ``text``."""
        return sum(text in line for line in self.log.read_text().splitlines())
