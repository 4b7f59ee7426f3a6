"""A database a command cannot use (missing, migrated by a newer dondoc) and a backup that
cannot be written: one Vietnamese line and exit code 1, never a traceback nor a new
empty database (``bot.cli.common.migrated_engine``, ``bot.db_problems``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from bot.db import make_engine
from tests.cli import SEED, Dondoc

# Every command that only reads or changes what is there: none may create the database.
READING = [
    ("prune",), ("health",), ("files",), ("chats",), ("tasks",), ("unassigned",),
    ("apologies", "--from", "01/01/2026", "--to", "31/01/2026"),
    ("preview", "--at", "01/12/2026 08:00"), ("tick",), ("backup", "sao-luu.db"),
    ("report", "--plan", "01/KH-UBND", "--period", "2026"), ("unlink", "telegram", "-1001"),
    ("agencies", "history"), ("calendar", "list"), ("link", "Sở Y tế"),
]  # fmt: skip


@pytest.mark.parametrize("args", READING, ids=lambda args: " ".join(args[:1]))
def test_a_command_that_only_reads_never_creates_the_database(
    tmp_path: Path, args: tuple[str, ...], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    missing = tmp_path / "x" / "nonexist.db"
    result = Dondoc(tmp_path, DATABASE_URL=f"sqlite:///{missing}")(*args)
    assert result.exit_code == 1, result.output
    assert f"Không có tệp cơ sở dữ liệu {missing}: kiểm tra DATABASE_URL" in result.output
    assert not missing.exists() and not missing.parent.exists()
    assert "Traceback" not in result.output and "Lỗi ngoài dự kiến" not in result.output


def test_the_commands_that_write_the_register_first_create_it(tmp_path: Path) -> None:
    for args in (("db", "upgrade"), ("import", "agencies", str(SEED / "agencies.csv")),
                 ("link", "--role", "admin")):  # fmt: skip
        fresh = tmp_path / f"{args[0]}.db"
        Dondoc(tmp_path, DATABASE_URL=f"sqlite:///{fresh}").ok(*args)
        assert fresh.is_file()


@pytest.mark.parametrize("args", [("tasks",), ("prune",), ("db", "upgrade"), ("chats",)])
def test_a_database_migrated_by_a_newer_dondoc_is_named_not_a_crash(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """An update rolled back: the database is at a revision this code does not know."""
    run = Dondoc(tmp_path)
    run.ok("db", "upgrade")
    engine = make_engine(run.env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0099'"))
    engine.dispose()
    result = run(*args)
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Cơ sở dữ liệu ở cấu trúc 0099, mới hơn phiên bản dondoc này: cập nhật dondoc rồi chạy lại."
    ]


@pytest.mark.parametrize("target", ["/proc/x.db", "/sys/x.db"])
def test_a_backup_where_nothing_can_be_written_says_so(tmp_path: Path, target: str) -> None:
    run = Dondoc(tmp_path)
    run.ok("db", "upgrade")
    result = run("backup", target)
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith(f"Không ghi được bản sao lưu vào {target}: ")
    assert not Path(target + ".tmp").exists()
