"""``dondoc health``: the database at the latest schema, the last planning tick, the
outbox's backlog (its oldest message's age) and failures, each channel's month against its
quota and its getMe over HTTP; exit 0 when fit to work, else 1."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.db_problems import unreachable_reason
from bot.domain.calendar import VIETNAM
from bot.models import Agency, ChatRole, Outbox
from bot.scheduler.periodic import PeriodicTick
from bot.services.actions import notify
from bot.services.channel_usage import count
from bot.services.chats import ensure_chat
from bot.services.health import backlog, probe_channels, stale_after
from bot.services.outbox import CHANNEL_STOPPED
from tests.cli import Dondoc
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo, free_port
from tests.http_bridge import serve

TOKEN = "123456:TEST-token-never-shown"
ZALO_TOKEN = "zalo-secret-token-never-shown"

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


def test_an_unreachable_database_leaves_the_outbox_figures_unknown(tmp_path: Path) -> None:
    """Not zero: a monitor must not read "nothing waiting" from a database it cannot reach."""
    run = Dondoc(tmp_path, DATABASE_URL="postgresql+psycopg://dondoc:pw@127.0.0.1:1/dondoc")
    figures = json.loads(run("health", "--format", "json").output)
    assert figures["ok"] is False and figures["schema"] is None
    assert (figures["outbox_pending"], figures["outbox_failed"]) == (None, None)
    assert "Hàng đợi" not in run("health").output


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


def tick_at(engine: Engine, now: datetime, seconds: float = 0.25) -> None:
    """One periodic tick at ``now`` taking ``seconds``, as ``dondoc run`` runs it."""
    readings = iter([100.0, 100.0 + seconds])
    periodic = PeriodicTick(engine, {}, Settings(), clock=lambda: now, worker="may-chu:4242",
                            timer=lambda: next(readings))  # fmt: skip
    asyncio.run(periodic.run_once())


def test_the_last_tick_and_the_oldest_message_waiting(dondoc: Dondoc) -> None:
    assert "Cảnh báo: Chưa có lượt nhắc việc nào được ghi lại" in dondoc.ok("health").output
    engine = make_engine(dondoc.env["DATABASE_URL"])
    now = datetime.now(UTC)
    tick_at(engine, now)
    with session_scope(engine) as s:
        agency = s.exec(select(Agency)).first()
        chat = ensure_chat(s, channel="zalo", chat_key="zg-1", role=ChatRole.GROUP,
                           agency=agency, title="")  # fmt: skip
        s.flush()
        notify(s, chat, "test:1", "Nhắc việc", now - timedelta(minutes=90))
    result = dondoc.ok("health")
    local = now.astimezone(VIETNAM)
    assert (f"Lượt nhắc việc gần nhất: {local:%H:%M:%S %d/%m/%Y}, mất 0,25 giây, thành công "
            "(tiến trình may-chu:4242)") in result.output  # fmt: skip
    assert "Hàng đợi: 1 tin chờ gửi, tin cũ nhất chờ 90 phút" in result.output
    assert "Cảnh báo: Chưa có lượt nhắc việc" not in result.output
    figures = json.loads(dondoc.ok("health", "--format", "json").output)
    age = figures["last_tick"].pop("age_seconds")
    assert figures["last_tick"] == {"started_at": now.isoformat(), "seconds": 0.25,
                                    "worker": "may-chu:4242", "error": "", "stale": False,
                                    "stale_after_seconds": 300.0}  # fmt: skip
    assert 0 <= age < 60
    assert 89.9 < figures["outbox_oldest_minutes"] < 95


def test_a_failed_tick_is_a_problem_and_so_is_an_old_one(
    dondoc: Dondoc, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = make_engine(dondoc.env["DATABASE_URL"])
    now = datetime.now(UTC)

    async def away(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("database is away")

    with monkeypatch.context() as patched:
        patched.setattr("bot.scheduler.periodic.tick", away)
        tick_at(engine, now - timedelta(seconds=30), seconds=1.5)
    result = dondoc("health")
    local = (now - timedelta(seconds=30)).astimezone(VIETNAM)
    assert result.exit_code == 1
    assert (f"Sự cố: Lượt nhắc việc lúc {local:%H:%M:%S %d/%m/%Y} bị lỗi: RuntimeError: "
            "database is away") in result.output  # fmt: skip
    tick_at(engine, now - timedelta(hours=2))  # it worked, two hours ago: the bot stopped
    result = dondoc("health")
    assert result.exit_code == 1, result.output
    assert "Sự cố: Lượt nhắc việc gần nhất đã từ" in result.output
    assert ("(2 giờ trước), quá 5 phút (ba chu kỳ nhắc việc, ít nhất 5 phút): “dondoc run” "
            "đã dừng hoặc bị treo.") in result.output  # fmt: skip
    assert "Tình trạng: có sự cố" in result.output
    figures = json.loads(dondoc("health", "--format", "json").stdout)
    assert figures["ok"] is False and figures["last_tick"]["stale"] is True
    assert 7190 < figures["last_tick"]["age_seconds"] < 7300
    assert figures["last_tick"]["stale_after_seconds"] == 300.0


@pytest.mark.parametrize(
    ("tick_seconds", "minutes"), [(5, 5), (60, 5), (100, 5), (120, 6), (3600, 180)]
)
def test_a_tick_is_stale_after_three_intervals_and_five_minutes_at_least(
    tick_seconds: int, minutes: int
) -> None:
    assert stale_after(Settings(tick_seconds=tick_seconds)) == timedelta(minutes=minutes)


def test_a_tick_just_inside_the_limit_is_fine(dondoc: Dondoc) -> None:
    engine = make_engine(dondoc.env["DATABASE_URL"])
    tick_at(engine, datetime.now(UTC) - timedelta(minutes=4))  # 60-second ticks: 5 minutes
    result = dondoc.ok("health")
    assert "Sự cố" not in result.output and "Tình trạng: hoạt động được" in result.output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql+psycopg://dondoc:p%40ss-w0rd@127.0.0.1:1/dondoc",
         "postgresql+psycopg://dondoc:***@127.0.0.1:1/dondoc"),
        ("postgresql+psycopg://127.0.0.1:1/dondoc?user=dondoc&password=s3cret-pw",
         "postgresql+psycopg://127.0.0.1:1/dondoc?password=***&user=dondoc"),
        ("postgresql+psycopg://dondoc:s3cret-pw@127.0.0.1:1/dondoc?sslpassword=s3cret-pw",
         "postgresql+psycopg://dondoc:***@127.0.0.1:1/dondoc?sslpassword=***"),
    ],
)  # fmt: skip
def test_the_database_is_named_without_any_password(tmp_path: Path, url: str, shown: str) -> None:
    """Port 1: nothing listens, the check fails fast; the URL is still printed, masked."""
    result = Dondoc(tmp_path, DATABASE_URL=url)("health")
    assert result.exit_code == 1
    assert f"Cơ sở dữ liệu ({shown})" in result.output
    assert "s3cret-pw" not in result.output and "ss-w0rd" not in result.output
    # One line, in Vietnamese, the driver's first line at most ("Is the server running…" not)
    [problem] = [line for line in result.output.splitlines() if line.startswith("Sự cố")]
    assert problem.startswith(f"Sự cố: Không mở được cơ sở dữ liệu ({shown}): không kết nối được tới "
                              "127.0.0.1:1: PostgreSQL chưa chạy")  # fmt: skip
    assert "Is the server running" not in result.output


def test_why_a_database_cannot_be_used_is_one_vietnamese_line() -> None:
    url = "postgresql+psycopg://dondoc:s3cret-pw@db.tinh:6432/dondoc"
    shown = "postgresql+psycopg://dondoc:***@db.tinh:6432/dondoc"
    said = {
        'connection failed: FATAL:  password authentication failed for user "dondoc"':
            "máy chủ db.tinh:6432 từ chối mật khẩu của người dùng dondoc",
        'connection failed: FATAL:  database "dondoc" does not exist':
            "máy chủ db.tinh:6432 không có cơ sở dữ liệu dondoc",
        'connection failed: FATAL:  role "dondoc" does not exist':
            "máy chủ db.tinh:6432 không có người dùng dondoc",
        "failed to resolve host 'db.tinh': [Errno -2] Name or service not known":
            "không kết nối được tới db.tinh:6432",
        "connection failed: timeout expired": "không kết nối được tới db.tinh:6432",
    }  # fmt: skip
    for driver, meaning in said.items():
        line = unreachable_reason(driver + "\n\tIs the server running?", url)
        assert line.startswith(f"Không mở được cơ sở dữ liệu ({shown}): {meaning}"), line
        assert line.endswith(f"({driver}).") and "\n" not in line
    leaked = unreachable_reason("could not connect to dondoc:s3cret-pw@db.tinh", url)
    assert "s3cret-pw" not in leaked
    sqlite = unreachable_reason("database is locked", "sqlite:////var/lib/dondoc/dondoc.db")
    assert sqlite.startswith("Không mở được cơ sở dữ liệu (sqlite:////var/lib/dondoc/dondoc.db): "
                             "tệp /var/lib/dondoc/dondoc.db đang bị")  # fmt: skip


def test_each_channel_answers_getme_over_http(dondoc: Dondoc) -> None:
    telegram, zalo = FakeTelegram(), FakeZalo()
    with serve(telegram.handle) as tg_url, serve(zalo.handle) as zalo_url:
        dondoc.env.update(TELEGRAM_BOT_TOKEN=TOKEN, TELEGRAM_BASE_URL=f"{tg_url}/bot",
                          ZALO_BOT_TOKEN=ZALO_TOKEN, ZALO_BASE_URL=f"{zalo_url}/bot")  # fmt: skip
        result = dondoc.ok("health")
        figures = json.loads(dondoc.ok("health", "--format", "json").output)
    assert "Telegram: trả lời getMe (dondoc_bot)" in result.output
    assert "Zalo: trả lời getMe (bot.dondoc)" in result.output
    assert figures["getme"] == [
        {"channel": "telegram", "ok": True, "name": "dondoc_bot", "error": ""},
        {"channel": "zalo", "ok": True, "name": "bot.dondoc", "error": ""},
    ]
    assert TOKEN not in result.output and ZALO_TOKEN not in result.output


def test_a_channel_that_does_not_answer_getme_is_a_problem(dondoc: Dondoc) -> None:
    zalo = FakeZalo()
    zalo.fail("getMe", 401)
    with serve(zalo.handle) as zalo_url:
        dondoc.env.update(TELEGRAM_BOT_TOKEN=TOKEN,
                          TELEGRAM_BASE_URL=f"http://127.0.0.1:{free_port()}/bot",  # nobody there
                          ZALO_BOT_TOKEN=ZALO_TOKEN, ZALO_BASE_URL=f"{zalo_url}/bot")  # fmt: skip
        result = dondoc("health")
    assert result.exit_code == 1, result.output
    assert "Telegram: KHÔNG trả lời getMe" in result.output
    assert ("Sự cố: Telegram không trả lời getMe: không kết nối được (ConnectError). Kiểm tra "
            "mạng, TELEGRAM_BOT_TOKEN và TELEGRAM_BASE_URL.") in result.output  # fmt: skip
    assert "Sự cố: Zalo không trả lời getMe: getMe: 401" in result.output
    assert "Tình trạng: có sự cố" in result.output
    assert TOKEN not in result.output and ZALO_TOKEN not in result.output


async def test_a_telegram_api_too_slow_is_down() -> None:
    async def slow(_request: httpx.Request) -> httpx.Response:
        await asyncio.Event().wait()  # never answers
        raise AssertionError

    [probe] = await probe_channels(
        Settings(telegram_token=TOKEN, telegram_base_url="http://bot-api.invalid/bot"),
        within=0.05, transport=httpx.MockTransport(slow),
    )  # fmt: skip
    assert not probe.ok and probe.error == "không trả lời trong 0,05 giây"


def test_the_backlog_is_what_is_due_now_and_its_oldest_is_the_oldest_due(
    dondoc: Dondoc,
) -> None:
    """A message due later (a reminder queued for 08:00 tomorrow, a retry's wait) is not
    behind; /metrics reads the same figures (``backlog``)."""
    engine = make_engine(dondoc.env["DATABASE_URL"])
    now = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)
    with session_scope(engine) as s:
        agency = s.exec(select(Agency)).first()
        chat = ensure_chat(s, channel="telegram", chat_key="-1001", role=ChatRole.GROUP,
                           agency=agency, title="")  # fmt: skip
        s.flush()
        notify(s, chat, "due:1", "Nhắc việc", now - timedelta(minutes=2))
        notify(s, chat, "later:1", "Nhắc việc", now + timedelta(hours=19))  # 08:00 tomorrow
        notify(s, chat, "retry:1", "Nhắc việc", now - timedelta(hours=3))
        s.flush()
        row = s.exec(select(Outbox).where(Outbox.key == "retry:1")).one()
        row.next_attempt_at = now + timedelta(minutes=5)  # waits for its next try
    with Session(engine) as s:
        found = backlog(s, now)
    assert found.by_channel == {"telegram": 1}
    assert found.oldest_seconds == 120.0
    with Session(engine) as s:  # five minutes on, the retry is due: the oldest is its age
        later = backlog(s, now + timedelta(minutes=5))
    assert later.total == 2 and later.oldest_seconds == 3 * 3600 + 300
