"""``dondoc health``: the database at the latest schema, the outbox's backlog and
failures, and each channel's month against its quota; exit 0 when fit to work, else 1."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.services.channel_usage import count
from tests.cli import Dondoc


def test_a_working_bot_and_its_zalo_month(dondoc: Dondoc) -> None:
    settings = Settings(zalo_monthly_quota=3_000)
    dondoc.env["ZALO_MONTHLY_QUOTA"] = "3.000"
    with session_scope(make_engine(dondoc.env["DATABASE_URL"])) as s:
        count(s, "zalo", datetime.now(UTC), settings, sent=2_500, received=120)
    result = dondoc.ok("health")
    assert "cấu trúc 0011, mới nhất" in result.output and "Hàng đợi: 0 tin chờ gửi" in result.output
    assert "2.620/3.000 tin nhắn (87%), gửi 2.500, nhận 120" in result.output
    assert "Cảnh báo: Zalo đã dùng trên 80% hạn mức tháng." in result.output
    figures = json.loads(dondoc.ok("health", "--format", "json").output)
    assert figures["ok"] is True and figures["channels"][0]["sent"] == 2_500


def test_a_database_behind_the_code_is_a_problem(tmp_path: Path) -> None:
    run = Dondoc(tmp_path)  # a file nobody migrated
    result = run("health")
    assert result.exit_code == 1 and "chưa cập nhật cấu trúc" in result.output
    assert "Traceback" not in result.output


def test_a_database_that_does_not_answer_is_a_problem(tmp_path: Path) -> None:
    run = Dondoc(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'missing' / 'dondoc.db'}")
    result = run("health", "--format", "json")
    assert result.exit_code == 1
    assert "Không kết nối được cơ sở dữ liệu" in json.loads(result.output)["problems"][0]
