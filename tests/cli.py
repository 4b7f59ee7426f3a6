"""Running ``dondoc`` as an admin would type it, on a fresh SQLite file: in-process
(``Dondoc``), or as a real ``python -m bot`` process (``dondoc_process``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from bot.cli.common import app

SEED = Path(__file__).resolve().parent.parent / "seed"


class Dondoc:
    """``dondoc ARGS…`` against one database, with a wide terminal so lines do not wrap."""

    def __init__(self, folder: Path, **env: str) -> None:
        self.folder = folder
        self.env = {"DATABASE_URL": f"sqlite:///{folder / 'dondoc.db'}", "COLUMNS": "400", **env}

    def __call__(self, *args: str, input: str | None = None) -> Result:
        return CliRunner().invoke(app, list(args), env=self.env, input=input)

    def ok(self, *args: str) -> Result:
        result = self(*args)
        assert result.exit_code == 0, result.output
        return result


def dondoc_process(
    folder: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m bot ARGS…`` as a process in ``folder``, on its SQLite file; it must succeed."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args], input=stdin, text=True, capture_output=True, check=True,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{folder / 'dondoc.db'}", **(env or {})}, cwd=folder,
    )  # fmt: skip


def one_error_line(result: Result) -> str:
    """The error an admin sees: Vietnamese, no traceback."""
    assert result.exit_code != 0, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.output
