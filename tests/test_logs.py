"""The log an operator reads: text or one JSON object a line (``LOG_FORMAT=json``), one
line per message sent or failed with its outbox id, chat and outcome, and no token or
phone number in it."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

import bot.logs
from bot.channels.console import ConsoleChannel
from bot.config import Settings, SettingsError
from bot.logs import (
    HideCredentials,
    HidePhones,
    JsonLines,
    PrintedAsRecords,
    configure_logging,
    emit,
    hide_phones,
    keep_secret,
    utc_iso,
)
from tests.chat import tick
from tests.fake_zalo import free_port
from tests.province import FRIDAY, Province, build_province

TOKEN = "123456:TEST-token-never-logged"


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger as the bot configures it, put back as it was afterwards."""
    logger = logging.getLogger()
    kept, level = list(logger.handlers), logger.level
    filters = list(logger.filters)
    hook, was_json = sys.excepthook, bot.logs.json_logs()
    for handler in kept:
        logger.removeHandler(handler)
    yield logger
    sys.excepthook = hook
    bot.logs._json = was_json  # the CLI's own lines follow the mode: put it back too
    logging.captureWarnings(False)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    for handler in kept:
        logger.addHandler(handler)
    logger.filters = filters
    logger.setLevel(level)


def written(root: logging.Logger) -> io.StringIO:
    stream = io.StringIO()
    [handler] = [h for h in root.handlers if getattr(h, "dondoc", False)]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    return stream


def test_json_lines_carry_no_token_and_no_phone_number(root: logging.Logger) -> None:
    configure_logging("json")
    stream = written(root)
    keep_secret(TOKEN)  # as open_channels does once the tokens are known
    log = logging.getLogger("bot.test")
    log.info("POST https://api.telegram.org/bot%s/getMe", TOKEN)
    log.warning(
        "file 000.00.12.H23-241220-0001: applicant 0912 345 678 asked, also +84 24 3825 1234"
    )
    try:
        raise ValueError("boom: no such applicant 0912345678")
    except ValueError:
        log.exception("outbox %s failed", 42)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [(line["level"], line["logger"]) for line in lines] == [
        ("INFO", "bot.test"), ("WARNING", "bot.test"), ("ERROR", "bot.test")
    ]  # fmt: skip
    assert lines[0]["message"] == "POST https://api.telegram.org/bot<token>/getMe"
    assert lines[1]["message"] == (
        "file 000.00.12.H23-241220-0001: applicant <sđt …678> asked, also <sđt …234>"
    )
    assert lines[2]["message"] == "outbox 42 failed"
    assert "ValueError: boom: no such applicant <sđt …678>" in lines[2]["exception"]
    assert lines[0]["time"].endswith("+00:00")
    assert TOKEN not in stream.getvalue()


def test_a_token_in_a_traceback_is_blanked_too(root: logging.Logger) -> None:
    configure_logging("text")
    stream = written(root)
    keep_secret(TOKEN)
    try:
        raise RuntimeError(f"Invalid token: https://api.telegram.org/bot{TOKEN}/getMe")
    except RuntimeError:
        logging.getLogger("telegram.ext").exception("Telegram refused %s", TOKEN)
    assert TOKEN not in stream.getvalue()
    assert "Telegram refused <token>" in stream.getvalue()
    assert "RuntimeError: Invalid token: https://api.telegram.org/bot<token>/getMe" in (
        stream.getvalue()
    )


def test_text_lines_hide_phone_numbers_but_not_ids(root: logging.Logger) -> None:
    configure_logging("text")
    stream = written(root)
    logging.getLogger("bot.test").info(
        "chat -1001234567890, user 5012345678, zalo 6578123498765432109: 0987654321"
    )
    line = stream.getvalue()
    assert "chat -1001234567890, user 5012345678, zalo 6578123498765432109: <sđt …321>" in line
    assert " INFO bot.test: " in line


def test_a_text_line_gives_its_time_in_utc_and_says_so(
    root: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Servers log in UTC; a bare "13:24" would be read as Vietnam's time (health and the
    messages show Vietnam's), whatever the server's own zone is."""
    monkeypatch.setenv("TZ", "Asia/Ho_Chi_Minh")
    time.tzset()
    try:
        configure_logging("text")
        stream = written(root)
        record = logging.LogRecord("bot.test", logging.INFO, __file__, 1, "tick", None, None)
        record.created = datetime(2026, 12, 1, 13, 24, 5, 250_000, tzinfo=UTC).timestamp()
        record.msecs = 250.0
        root.handle(record)
    finally:
        monkeypatch.undo()
        time.tzset()
    assert stream.getvalue() == "2026-12-01 13:24:05.250 UTC INFO bot.test: tick\n"


def test_every_machine_readable_time_is_utc() -> None:
    """JSON log lines, ``health --format json`` and ``/healthz`` write one form: +00:00."""
    from bot.domain.calendar import VIETNAM
    from bot.metrics import TickState
    from bot.web.app import liveness

    moment = datetime(2026, 12, 1, 20, 24, 5, tzinfo=VIETNAM)
    assert utc_iso(moment) == "2026-12-01T13:24:05+00:00"
    ticks = TickState()
    ticks.end(moment, 0.25, "")
    _code, body = liveness(ticks, moment, timedelta(minutes=5))
    assert body["last_tick"]["started_at"] == body["last_ok_tick_at"] == utc_iso(moment)


def test_the_filter_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "gọi %s", ("84912345678",), None)
    HidePhones().filter(record)
    assert record.getMessage() == "gọi <sđt …678>"
    assert JsonLines().format(record).startswith('{"time": ')


def test_log_format_setting() -> None:
    assert Settings.load({}, env_file=None).log_format == "text"
    assert Settings.load({"LOG_FORMAT": "JSON"}, env_file=None).log_format == "json"
    with pytest.raises(SettingsError, match="LOG_FORMAT: cần text hoặc json, đang là “xml”"):
        Settings.load({"LOG_FORMAT": "xml"}, env_file=None)


async def test_each_message_sent_is_one_line_with_its_outbox_chat_and_outcome(
    engine: Engine, root: logging.Logger
) -> None:
    configure_logging("json")
    stream = written(root)
    province = build_province(engine)
    province.add_task("31/12/2024")
    await tick(engine, {"console": ConsoleChannel(quiet=True)}, FRIDAY)
    [row] = province.outbox()
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [told] = [line for line in lines if line.get("outbox") == row.id]
    assert told["channel"] == "console" and told["chat"] == "group:so-y-te"
    assert told["outcome"] == "sent" and told["key"] == row.key  # "reminder:<chat>:<notices>"
    assert told["message"] == f"outbox {row.id} {row.key} to console group:so-y-te: sent"


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("(+84) 912345678", "678"),
        ("(024) 3825 1234", "234"),
        ("+84 (0) 912 345 678", "678"),
        ("0912.345.678", "678"),
        ("0912 345 678", "678"),
        ("+84-912-345-678", "678"),
        ("0912345678", "678"),
        ("84912345678", "678"),
        ("+84912345678", "678"),
        ("(84) 912 345 678", "678"),
        ("+84 24 3825 1234", "234"),
        ("024 3825 1234", "234"),
        ("0243.825.1234", "234"),
        ("(028) 38.123.456", "456"),
        ("0987-654-321", "321"),
        ("0356 789 012", "012"),
    ],
)
def test_every_way_of_writing_a_vietnamese_number_is_masked(written: str, kept: str) -> None:
    said = hide_phones(f"Người nộp hồ sơ gọi {written}, xin hẹn lại.")
    assert said == f"Người nộp hồ sơ gọi <sđt …{kept}>, xin hẹn lại."


@pytest.mark.parametrize(
    "written",
    [
        "hạn 30/12/2025", "ngày 2024-12-31", "việc NV12", "Kế hoạch 336/KH-UBND",
        "1.500.000.000 đồng", "84.500.000.000 đồng", "12,5%", "0,5%", "100%",
        "chat -1001234567890", "user 5012345678", "zalo 6578123498765432109",
        "hồ sơ 000.00.12.H23-241220-0001", "CCCD 079099012345", "user 8491234567",
        "máy 10.0.0.1", "tỷ lệ 0.912345678", "lúc 15/11/2024 08:00", "mã 1234567890",
    ],
)  # fmt: skip
def test_dates_codes_money_and_ids_are_left_alone(written: str) -> None:
    assert hide_phones(written) == written


def test_a_password_in_a_url_never_reaches_the_log(root: logging.Logger) -> None:
    configure_logging("json")
    stream = written(root)
    log = logging.getLogger("bot.test")
    log.error("cannot connect to %s", "postgresql+psycopg://dondoc:p@ss-w0rd@db:5432/dondoc")
    log.error("retry with postgresql://db/dondoc?user=dondoc&password=s3cret&sslmode=require.")
    log.info("GET https://api.example.vn/v1/plans?page=2")  # nothing secret: left as it is
    lines = [json.loads(line)["message"] for line in stream.getvalue().splitlines()]
    assert lines == [
        "cannot connect to postgresql+psycopg://dondoc:***@db:5432/dondoc",
        "retry with postgresql://db/dondoc?password=***&sslmode=require&user=dondoc.",
        "GET https://api.example.vn/v1/plans?page=2",
    ]
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "%s", ("sqlite:///d.db",), None)
    HideCredentials().filter(record)
    assert record.getMessage() == "sqlite:///d.db"


def test_one_handler_for_every_library(root: logging.Logger) -> None:
    """uvicorn, APScheduler and python-telegram-bot log through the root's one handler:
    configured twice, or after a library added its own, a line is still written once."""
    stray = logging.StreamHandler(io.StringIO())
    logging.getLogger("uvicorn.error").addHandler(stray)
    configure_logging("json")
    configure_logging("json")
    stream = written(root)
    for name in ("uvicorn.error", "apscheduler.scheduler", "telegram.ext.Updater"):
        logging.getLogger(name).info("started")
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [line["logger"] for line in lines] == [
        "uvicorn.error", "apscheduler.scheduler", "telegram.ext.Updater"
    ]  # fmt: skip
    assert stray not in logging.getLogger("uvicorn.error").handlers


def _json_lines(text: str) -> list[dict[str, object]]:
    """Every line of ``text`` as a JSON object: a line that is not one fails the test."""
    lines = []
    for line in text.splitlines():
        try:
            lines.append(json.loads(line))
        except ValueError:
            pytest.fail(f"not a JSON line: {line!r}")
    return lines


def test_the_schedulers_two_lines_a_tick_are_quiet_but_its_warnings_are_not(
    root: logging.Logger,
) -> None:
    configure_logging("text")
    stream = written(root)
    executor = logging.getLogger("apscheduler.executors.default")
    executor.info('Running job "tick (trigger: interval[0:01:00])"')
    executor.warning('Run time of job "tick" was missed by 0:00:07')
    assert stream.getvalue().count("\n") == 1 and "was missed by" in stream.getvalue()


def test_with_log_format_json_every_line_of_a_running_bot_is_json(tmp_path: Path) -> None:
    """A real ``dondoc run``: migrations (alembic), the scheduler (APScheduler), the
    monitoring server (uvicorn), the bot's own lines and its stop, on stdout and stderr."""
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    env = {**os.environ, "DATABASE_URL": url, "METRICS_PORT": str(free_port()),
           "LOG_FORMAT": "json"}  # fmt: skip
    proc = subprocess.Popen([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # fmt: skip
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # blocks until the bot says it runs
        proc.send_signal(signal.SIGTERM)
        out, errors = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=30)
    assert proc.returncode == 0, errors
    said = _json_lines(first + out)
    assert [line["message"] for line in said][-1] == "dondoc đã dừng."
    assert str(said[0]["message"]).startswith("dondoc đang chạy: kênh console")
    logged = {line["logger"] for line in _json_lines(errors)}
    assert {"alembic.runtime.migration", "apscheduler.scheduler", "uvicorn.error"} <= logged


def test_with_log_format_json_a_bad_setting_is_one_json_line(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": "mysql://dondoc:s3cret@db/dondoc", "LOG_FORMAT": "json"}
    done = subprocess.run([sys.executable, "-m", "bot", "run"], cwd=tmp_path, env=env, text=True,
                          capture_output=True, timeout=60)  # fmt: skip
    assert done.returncode == 78 and done.stdout == ""
    [line] = _json_lines(done.stderr)
    assert line["level"] == "ERROR" and "s3cret" not in done.stderr
    assert str(line["message"]).startswith("Cấu hình sai: DATABASE_URL: dondoc không hỗ trợ mysql")


async def test_what_the_console_channel_prints_is_a_json_line_too(root: logging.Logger) -> None:
    """``dondoc run`` with LOG_FORMAT=json puts :class:`PrintedAsRecords` over stdout: a
    message the console channel prints is one JSON object, its phone numbers masked."""
    configure_logging("json")
    target = io.StringIO()
    with contextlib.redirect_stdout(PrintedAsRecords(target, "bot.channels.console")):
        await ConsoleChannel().send("admin", "<b>Người nộp hồ sơ</b> gọi 0912 345 678.\nHết.")
        print()  # a blank line: nothing
        emit("dondoc đã dừng.")  # the command's own line: once, not wrapped twice
    lines = [json.loads(line) for line in target.getvalue().splitlines()]
    assert [(line["logger"], line["message"]) for line in lines] == [
        ("bot.channels.console", "──── → admin ────\nNgười nộp hồ sơ gọi <sđt …678>.\nHết."),
        ("dondoc", "dondoc đã dừng."),
    ]


def test_each_command_button_and_reply_handled_is_one_line_without_the_words(
    province: Province, caplog: pytest.LogCaptureFixture
) -> None:
    from bot.domain.verbs import DONE, callback_data
    from bot.services.actions import Sender
    from tests.chat import press, say

    officer = Sender("console", "group:so-y-te", "501", "An")
    first, second = province.add_task("31/12/2024"), province.add_task("30/12/2024")
    with caplog.at_level(logging.INFO, logger="bot.handlers.core"):
        say(province.engine, officer, "/nhiemvu", FRIDAY)
        say(province.engine, officer, f"/xong NV{first} gọi 0912345678 nếu cần", FRIDAY)
        press(province.engine, officer, callback_data(DONE, second), FRIDAY)
    events = [
        (r.event, r.about, r.chat, r.user, r.outcome) for r in caplog.records if hasattr(r, "event")
    ]  # type: ignore[attr-defined]
    assert events == [("/nhiemvu", "", "group:so-y-te", "501", "answered"),
                      ("/xong", f"NV{first}", "group:so-y-te", "501", "recorded"),
                      ("button done", f"NV{second}", "group:so-y-te", "501", "recorded")]  # fmt: skip
    assert all("0912345678" not in r.getMessage() for r in caplog.records)
    assert caplog.records[1].getMessage() == (
        f"/xong NV{first} in console group:so-y-te from user 501: recorded (done_ok)"
    )


def test_a_free_text_reply_is_one_line_with_its_tasks_and_outcome(
    province: Province, caplog: pytest.LogCaptureFixture
) -> None:
    """ "xong ạ" where it could mean two tasks: the bot asks which; the line says so, with
    both tasks, and never the words (a phone number could be among them)."""
    from bot.db import session_scope
    from bot.handlers.core import Incoming, handle_message
    from bot.services.actions import Sender
    from tests.chat import press
    from tests.province import CAL, SETTINGS

    officer = Sender("console", "group:so-y-te", "556", "An")
    first, second = province.add_task("31/12/2024"), province.add_task("30/12/2024")
    with caplog.at_level(logging.INFO, logger="bot.handlers.core"):
        for text in ("xong ạ, gọi 0912345678", "họp lúc mấy giờ?"):
            with session_scope(province.engine) as s:
                handle_message(s, Incoming(officer, text, addressed=True), FRIDAY, CAL,
                               SETTINGS.apology)  # fmt: skip
        press(province.engine, officer, "no-such-button", FRIDAY)
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.handlers.core"]
    assert lines == [
        f"reply done NV{first},NV{second} in console group:so-y-te from user 556: asked for more (need_code)",
        "reply unclear in console group:so-y-te from user 556: not understood (unclear)",
        "button in console group:so-y-te from user 556: not understood (unclear)",
    ]


def test_what_a_command_is_about_never_carries_a_number_that_is_no_id() -> None:
    from bot.domain.verbs import APOLOGIZE, APPROVE_EXTENSION, BIND, DONE
    from bot.handlers.core import _about

    assert _about(DONE, "nv12 xong rồi, gọi 0912345678") == "NV12"
    assert _about(DONE, "#7") == "NV7"
    assert _about(DONE, "0912345678") == "NV?"
    assert _about(APPROVE_EXTENSION, "41") == "request 41"
    assert _about(BIND, "ABCD-EFGH") == ""  # a link code is never logged
    assert _about(APOLOGIZE, "H12-241220-0001") == "file H12-241220-0001"
