"""``dondoc backup FILE`` and ``dondoc prune``: the database's upkeep, for the IT officer.

``backup`` copies an SQLite database with SQLite's online backup API
(``sqlite3.Connection.backup``): a consistent copy, taken page by page while the bot
runs and writes (a copy of the file with ``cp`` could catch it halfway through a write,
and miss what is still in the ``-wal`` file). On PostgreSQL the copy is ``pg_dump``'s job:
the command says so and prints the line to run.
"""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path
from typing import Annotated

import typer
from sqlalchemy.engine import make_url

from bot.app import clock
from bot.cli.common import app, complain, load_settings, migrated_engine, say
from bot.db_problems import missing_file, sqlite_file
from bot.domain.numbers import thousands
from bot.services.retention import prune


@app.command("backup")
def backup_cmd(
    target: Annotated[
        Path, typer.Argument(metavar="TỆP", help="Tệp sao lưu sẽ tạo, ví dụ sao-luu/dondoc.db")
    ],
    force: Annotated[bool, typer.Option("--force", help="Ghi đè TỆP nếu đã có")] = False,
) -> None:
    """Sao lưu cơ sở dữ liệu SQLite ra TỆP, kể cả khi bot đang chạy (bản sao nhất quán).
    Với PostgreSQL, dùng pg_dump (xem README, mục sao lưu)."""
    settings = load_settings()
    database = sqlite_file(settings.database_url)
    if database is None:
        url = make_url(settings.database_url)
        complain(
            "DATABASE_URL là PostgreSQL: lệnh này chỉ sao lưu SQLite. Sao lưu PostgreSQL "
            f"bằng pg_dump, ví dụ: pg_dump -h {url.host or 'localhost'} -U "
            f"{url.username or 'dondoc'} -d {url.database or 'dondoc'} --format=custom "
            "> dondoc-$(date +%F).dump (với Docker Compose: xem README, mục “Sao lưu và "
            "phục hồi”)."
        )
        raise typer.Exit(1)
    if (missing := missing_file(settings.database_url)) is not None:
        complain(missing)
        raise typer.Exit(1)
    target = target.expanduser().resolve()
    # The database and SQLite's files beside it (its write-ahead log, shared memory,
    # journal, dondoc's run lock): overwriting one would corrupt the running bot's data.
    own = {database.resolve().with_name(database.name + suffix)
           for suffix in ("", "-wal", "-shm", "-journal", "-run.lock")}  # fmt: skip
    if target in own:
        complain(f"TỆP {target} là cơ sở dữ liệu đang dùng hoặc tệp đi kèm của nó: hãy chọn "
                 "một tệp khác, ví dụ sao-luu/dondoc.db.")  # fmt: skip
        raise typer.Exit(1)
    if target.is_dir():
        complain(f"{target} là một thư mục: hãy ghi tên tệp, ví dụ {target / 'dondoc.db'}.")
        raise typer.Exit(1)
    if target.exists() and not force:
        complain(f"Đã có tệp {target}: chọn tên khác, hoặc thêm --force để ghi đè.")
        raise typer.Exit(1)
    if not target.parent.is_dir():
        complain(f"Không có thư mục {target.parent}: hãy tạo nó trước (mkdir -p).")
        raise typer.Exit(1)
    try:
        pages = copy_sqlite(database, target)
    except (sqlite3.Error, OSError) as exc:  # /proc, a full or read-only disk, no right
        complain(cannot_write(target, exc))
        raise typer.Exit(1) from None
    size = target.stat().st_size
    say(f"Đã sao lưu {database} vào {target} ({thousands(pages)} trang, "
        f"{thousands(size // 1024)} KB).")  # fmt: skip


def cannot_write(target: Path, exc: BaseException) -> str:
    """Why the copy could not be written to ``target``, in Vietnamese (SQLite says only
    "unable to open database file", "disk I/O error" or "database or disk is full")."""
    said = str(exc).lower()
    if "full" in said or getattr(exc, "errno", None) == errno.ENOSPC:
        why = "hết chỗ trên đĩa"
    elif "readonly" in said or getattr(exc, "errno", None) == errno.EROFS:
        why = "ổ đĩa chỉ đọc"
    else:
        why = ("tài khoản chạy dondoc không tạo được tệp ở đó (không có quyền ghi, hoặc "
               "thư mục không chứa được tệp thường như /proc)")  # fmt: skip
    first = (str(exc).splitlines() or [exc.__class__.__name__])[0]
    return (f"Không ghi được bản sao lưu vào {target}: {why} ({first}). Hãy chọn một thư "
            "mục ghi được, ví dụ sao-luu/dondoc.db.")  # fmt: skip


def copy_sqlite(source: Path, target: Path) -> int:
    """Copy the SQLite database ``source`` to ``target`` (replaced if it exists) with the
    online backup API, in one step: in WAL mode (dondoc's) that step reads one snapshot
    of the database while the bot goes on writing, neither waiting for the other. (A copy
    in several steps starts over whenever another connection writes between two: a busy
    bot could keep it from ever ending.) Returns the pages copied; raises
    ``sqlite3.Error`` (or ``OSError``) when ``target`` cannot be written. The copy is written to ``target`` + ``.tmp`` and then renamed: a
    failed backup never leaves half a copy under the name asked for."""
    partial = target.with_name(target.name + ".tmp")
    partial.unlink(missing_ok=True)
    pages = 0
    written = False

    def progress(_status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total - remaining

    reader = sqlite3.connect(source, timeout=30)  # it only reads: the bot keeps writing
    try:
        copy = sqlite3.connect(partial)
        try:
            reader.backup(copy, pages=-1, progress=progress)
            copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        finally:
            copy.close()
        partial.replace(target)
        written = True
    finally:
        reader.close()
        if not written:
            partial.unlink(missing_ok=True)
    return pages


@app.command("prune")
def prune_cmd() -> None:
    """Xóa tin nhắn đã gửi và dấu nhắc việc cũ quá số ngày ở mục retention, khóa days (mặc
    định 180; 0 là giữ mãi). Bot tự làm việc này mỗi ngày một lần; lịch sử cập nhật của từng
    phần việc không bao giờ bị xóa."""
    settings = load_settings()
    days = settings.retention.days
    if days <= 0:
        say("Không xóa gì: [retention] days = 0 (giữ mọi dữ liệu).")
        return
    engine = migrated_engine(settings)
    try:
        done = prune(engine, clock(), settings)
    finally:
        engine.dispose()
    say(f"Đã xóa dữ liệu cũ hơn {days} ngày: {thousands(done.outbox)} tin nhắn đã gửi, "
        f"{thousands(done.sent_messages)} bản ghi đã gửi, {thousands(done.notices)} dấu "
        f"nhắc việc, {thousands(done.inbox)} tin nhắn đã nhận và xử lý.")  # fmt: skip
