"""``dondoc health``: the database at the latest schema, the outbox's backlog and
failures, and each channel's month against its quota; exit 0 when fit to work, else 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text
from sqlmodel import select

from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.models import Agency, ChatRole, Outbox
from bot.services.actions import notify
from bot.services.channel_usage import count
from bot.services.chats import ensure_chat
from bot.services.outbox import CHANNEL_STOPPED
from tests.cli import Dondoc

LATEST = sorted(
    p.name[:4] for p in (Path(__file__).parent.parent / "migrations" / "versions").glob("0*.py")
)[-1]


def test_a_working_bot_and_its_zalo_month(dondoc: Dondoc) -> None:
    settings = Settings(zalo_monthly_quota=3_000)
    dondoc.env["ZALO_MONTHLY_QUOTA"] = "3.000"
    with session_scope(make_engine(dondoc.env["DATABASE_URL"])) as s:
        count(s, "zalo", datetime.now(UTC), settings, sent=2_500, received=120)
    result = dondoc.ok("health")
    assert (
        f"cấu trúc {LATEST}, mới nhất" in result.output
        and "Hàng đợi: 0 tin chờ gửi" in result.output
    )
    assert "2.620/3.000 tin nhắn (87%), gửi 2.500, nhận 120" in result.output
    assert "Cảnh báo: Zalo đã dùng trên 80% hạn mức tháng." in result.output
    figures = json.loads(dondoc.ok("health", "--format", "json").output)
    assert figures["ok"] is True and figures["channels"][0]["sent"] == 2_500


def test_a_database_behind_the_code_is_a_problem(tmp_path: Path) -> None:
    run = Dondoc(tmp_path)
    upgrade(run.env["DATABASE_URL"], "0010")
    result = run("health")
    assert result.exit_code == 1 and f"chưa cập nhật cấu trúc (0010, cần {LATEST})" in result.output
    assert "Traceback" not in result.output


def test_a_database_ahead_of_the_code_says_to_update_dondoc(tmp_path: Path) -> None:
    run = Dondoc(tmp_path)
    engine = make_engine(run.env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32))"))
        connection.execute(text("INSERT INTO alembic_version VALUES ('0042')"))
    engine.dispose()
    result = run("health")
    assert result.exit_code == 1 and "mới hơn phiên bản dondoc này" in result.output


def test_an_empty_database_is_named_and_left_empty(tmp_path: Path) -> None:
    run = Dondoc(tmp_path)
    make_engine(run.env["DATABASE_URL"]).connect().close()  # a file with no table
    result = run("health")
    assert result.exit_code == 1 and "Cơ sở dữ liệu trống" in result.output
    assert "dondoc.db" in result.output


def test_a_database_of_something_else_is_not_called_empty(tmp_path: Path) -> None:
    run = Dondoc(tmp_path)
    engine = make_engine(run.env["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE agency (id INTEGER)"))
    engine.dispose()
    result = run("health")
    assert result.exit_code == 1 and "có 1 bảng nhưng không ghi phiên bản" in result.output


def test_a_missing_database_file_is_not_created(tmp_path: Path) -> None:
    missing = tmp_path / "sai" / "dondoc.db"
    run = Dondoc(tmp_path, DATABASE_URL=f"sqlite:///{missing}")
    result = run("health", "--format", "json")
    assert result.exit_code == 1 and not missing.exists()
    assert "Không có tệp cơ sở dữ liệu" in json.loads(result.output)["problems"][0]


def test_messages_waiting_after_a_failure_are_shown_with_their_reason(dondoc: Dondoc) -> None:
    """A channel stopped (a token refused) or paused (a quota) shows in health."""
    engine = make_engine(dondoc.env["DATABASE_URL"])
    with session_scope(engine) as s:
        agency = s.exec(select(Agency)).first()
        chat = ensure_chat(s, channel="zalo", chat_key="zg-1", role=ChatRole.GROUP,
                           agency=agency, title="")  # fmt: skip
        s.flush()
        notify(s, chat, "test:1", "Nhắc việc", datetime.now(UTC))
        row = s.exec(select(Outbox)).one()
        row.last_error = "sendMessage: 429 Quota exceeded"
    result = dondoc.ok("health")  # a pause: the bot works, the messages wait
    assert "Cảnh báo: Zalo: 1 tin đang chờ gửi lại; lỗi gần nhất: sendMessage: 429" in result.output
    with session_scope(engine) as s:
        row = s.exec(select(Outbox)).one()
        row.last_error = f"{CHANNEL_STOPPED}sendMessage: 401 Unauthorized"
    result = dondoc("health")  # a channel stopped is down: a monitor must see it
    assert result.exit_code == 1 and "Sự cố: Zalo: 1 tin đang chờ gửi lại" in result.output
