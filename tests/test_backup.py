"""``dondoc backup FILE``: a consistent copy of the SQLite database while the bot writes
to it (SQLite's online backup API); an existing FILE is kept unless ``--force``; on
PostgreSQL, the way to ``pg_dump``."""

from __future__ import annotations

import contextlib
import gc
import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.cli import Dondoc


def _fill(database: Path, rows: int) -> None:
    first = date(2001, 1, 1)
    # Closed here, not by the garbage collector at some later moment: the last connection
    # to close checkpoints the WAL and deletes dondoc.db-wal, which a test compares.
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.executemany(
            "INSERT INTO calendaroverride (day, working, note) VALUES (?, ?, ?)",
            [((first + timedelta(days=i)).isoformat(), i % 2, "x" * 200) for i in range(rows)],
        )


def test_a_backup_taken_while_another_connection_writes_is_whole(dondoc: Dondoc) -> None:
    database = dondoc.folder / "dondoc.db"
    stop = threading.Event()
    written = 0

    def writer() -> None:  # another process's connection, as the bot's would be
        nonlocal written
        with sqlite3.connect(database, timeout=30) as db:
            db.execute("PRAGMA journal_mode=WAL")
            while not stop.is_set():
                db.execute(
                    "INSERT INTO agency (code, name, kind, aliases) VALUES (?, ?, 'so', '[]')",
                    (f"ghi-{written}", "Cơ quan ghi thêm " + "y" * 500),
                )
                db.commit()
                written += 1

    with sqlite3.connect(database) as db:
        before = db.execute("SELECT count(*) FROM agency").fetchone()[0]
    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while written < 50:  # the writer is well under way
            threading.Event().wait(0.01)
        result = dondoc("backup", str(dondoc.folder / "sao-luu.db"))
        during = written
    finally:
        stop.set()
        thread.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert "Đã sao lưu" in result.output and written > during - 1
    copy = sqlite3.connect(dondoc.folder / "sao-luu.db")
    try:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("PRAGMA journal_mode").fetchone() == ("delete",)  # one file
        copied = copy.execute("SELECT count(*) FROM agency").fetchone()[0]
        assert copy.execute("SELECT version_num FROM alembic_version").fetchone()
    finally:
        copy.close()
    assert before + 50 <= copied <= before + written  # a snapshot taken mid-writing
    assert not (dondoc.folder / "sao-luu.db.tmp").exists()


def test_an_existing_file_is_kept_unless_force(dondoc: Dondoc) -> None:
    target = dondoc.folder / "sao-luu.db"
    target.write_text("bản sao lưu hôm qua", encoding="utf-8")
    refused = dondoc("backup", str(target))
    assert refused.exit_code == 1
    assert refused.output == f"Đã có tệp {target}: chọn tên khác, hoặc thêm --force để ghi đè.\n"
    assert target.read_text(encoding="utf-8") == "bản sao lưu hôm qua"
    _fill(dondoc.folder / "dondoc.db", 2_000)
    dondoc.ok("backup", str(target), "--force")
    with sqlite3.connect(target) as copy:
        assert copy.execute("SELECT count(*) FROM calendaroverride").fetchone() == (2_000,)


def test_a_folder_that_does_not_exist_is_named(dondoc: Dondoc) -> None:
    result = dondoc("backup", str(dondoc.folder / "khong-co" / "sao-luu.db"))
    assert result.exit_code == 1 and "Không có thư mục" in result.output


def test_on_postgresql_the_officer_is_sent_to_pg_dump(tmp_path: Path) -> None:
    url = "postgresql+psycopg://dondoc:s3cret@db/dondoc"
    result = Dondoc(tmp_path, DATABASE_URL=url)("backup", str(tmp_path / "sao-luu.db"))
    assert result.exit_code == 1
    [line] = result.output.splitlines()
    assert line.startswith("DATABASE_URL là PostgreSQL: lệnh này chỉ sao lưu SQLite.")
    assert "pg_dump -h db -U dondoc -d dondoc --format=custom" in line
    assert "s3cret" not in result.output and not (tmp_path / "sao-luu.db").exists()


@pytest.mark.parametrize("name", ["dondoc.db", "dondoc.db-wal", "dondoc.db-shm", "./dondoc.db"])
def test_the_database_and_its_own_files_are_never_the_target(dondoc: Dondoc, name: str) -> None:
    _fill(dondoc.folder / "dondoc.db", 10)
    # Connections the commands before left to the garbage collector closed now, not in
    # the middle of the command: the last one to close deletes dondoc.db-wal.
    gc.collect()
    beside = dondoc.folder / name
    before = beside.read_bytes() if beside.exists() else None
    result = dondoc("backup", str(beside), "--force")
    assert result.exit_code == 1 and "cơ sở dữ liệu đang dùng hoặc tệp đi kèm" in result.output
    assert (beside.read_bytes() if beside.exists() else None) == before


def test_a_folder_as_the_target_is_named_and_nothing_is_left(dondoc: Dondoc) -> None:
    (dondoc.folder / "sao-luu").mkdir()
    result = dondoc("backup", str(dondoc.folder / "sao-luu"), "--force")
    assert result.exit_code == 1 and "là một thư mục: hãy ghi tên tệp" in result.output
    assert not (dondoc.folder / "sao-luu.tmp").exists()
