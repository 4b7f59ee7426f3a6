"""What a database dondoc cannot use says to the IT officer: one Vietnamese line each, the
database named without its password, the driver's own words (its first line at most)
kept in brackets. Used by every command (``bot.cli.common.migrated_engine``) and by
``dondoc health`` alike, so that they say the same thing."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy.engine import make_url

from bot.redact import mask_url, scrub


def sqlite_file(database_url: str) -> Path | None:
    """The SQLite file ``database_url`` names, absolute; None for a database that is not
    an SQLite file (PostgreSQL, an in-memory SQLite)."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if url.query.get("uri") in ("true", "1") and database.startswith("file:"):
        if url.query.get("mode") == "memory":
            return None
        database = database.removeprefix("file:").split("?", 1)[0]
    if not database or database == ":memory:":
        return None
    return Path(database).resolve()


def missing_file(database_url: str) -> str | None:
    """Why ``database_url`` cannot be opened without creating it: its SQLite file does not
    exist (a mistyped path, another working directory). None when it exists, or when
    the database is not an SQLite file."""
    database = sqlite_file(database_url)
    if database is None or database.is_file():
        return None
    return (f"Không có tệp cơ sở dữ liệu {database}: kiểm tra DATABASE_URL (đường dẫn, thư "
            "mục làm việc). Lệnh này không tạo cơ sở dữ liệu mới; “dondoc run” hoặc "
            "“dondoc db upgrade” tạo nó.")  # fmt: skip


def newer_schema(revision: str) -> str:
    """The database was migrated by a newer dondoc (an update rolled back)."""
    return (f"Cơ sở dữ liệu ở cấu trúc {revision}, mới hơn phiên bản dondoc này: cập nhật "
            "dondoc rồi chạy lại.")  # fmt: skip


def unknown_revision(message: str) -> str | None:
    """The revision an Alembic error says it cannot find (``Can't locate revision
    identified by '0099'``): the database's, newer than the code's; None for any other."""
    found = re.search(r"Can't locate revision identified by '([^']+)'", message)
    return found.group(1) if found else None


# The driver's words (psycopg, libpq, sqlite3) → what went wrong, in Vietnamese.
_PASSWORD = re.compile(r"password authentication failed|no password supplied|"
                       r"authentication failed", re.IGNORECASE)  # fmt: skip
_NO_DATABASE = re.compile(r'database "[^"]*" does not exist', re.IGNORECASE)
_NO_ROLE = re.compile(r'role "[^"]*" does not exist', re.IGNORECASE)
_NO_SERVER = re.compile(
    r"connection refused|could not connect|connection failed|timeout expired|timed out|"
    r"failed to resolve host|could not translate host|name or service not known|"
    r"no route to host|network is unreachable|server closed the connection|"
    r"the database system is (starting up|shutting down)|terminating connection",
    re.IGNORECASE,
)


def unreachable_reason(error: BaseException | str, database_url: str) -> str:
    """One Vietnamese line saying why the database at ``database_url`` could not be used:
    the server not reached (host:port), the password refused, the database or user
    missing, an SQLite file locked or not a database; anything else as the driver's
    first line. Never the password: the driver's words pass through ``bot.redact``."""
    said = str(getattr(error, "orig", None) or error).strip()
    first = scrub(said.splitlines()[0].strip() if said else error.__class__.__name__,
                  database_url)  # fmt: skip
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        where = str(sqlite_file(database_url) or url.database)
        if "locked" in said:
            why = f"tệp {where} đang bị khóa quá lâu (một tiến trình khác đang ghi)"
        elif "not a database" in said:
            why = f"tệp {where} không phải cơ sở dữ liệu SQLite"
        elif "unable to open" in said:
            why = (f"không mở được tệp {where}: thư mục không có, hoặc tài khoản chạy dondoc "
                   "không có quyền đọc/ghi")  # fmt: skip
        else:
            why = f"không dùng được tệp {where}"
        return f"Không mở được cơ sở dữ liệu ({mask_url(database_url)}): {why} ({first})."
    server = f"{url.host or 'localhost'}:{url.port or 5432}"
    if _PASSWORD.search(said):
        why = (f"máy chủ {server} từ chối mật khẩu của người dùng {url.username or '?'}: "
               "kiểm tra mật khẩu trong DATABASE_URL")  # fmt: skip
    elif _NO_ROLE.search(said):
        why = f"máy chủ {server} không có người dùng {url.username or '?'}: kiểm tra DATABASE_URL"
    elif _NO_DATABASE.search(said):
        why = (f"máy chủ {server} không có cơ sở dữ liệu {url.database or '?'}: kiểm tra "
               "tên trong DATABASE_URL, hoặc tạo nó (createdb)")  # fmt: skip
    elif _NO_SERVER.search(said):
        why = (f"không kết nối được tới {server}: PostgreSQL chưa chạy, sai địa chỉ hoặc "
               "bị tường lửa chặn")  # fmt: skip
    else:
        why = "lỗi của máy chủ"
    return f"Không mở được cơ sở dữ liệu ({mask_url(database_url)}): {why} ({first})."
