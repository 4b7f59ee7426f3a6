"""The log an operator reads: text or one JSON object a line (``LOG_FORMAT=json``), one
line per message sent or failed with its outbox id, chat and outcome, and no token or
phone number in it."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.engine import Engine

from bot.channels.console import ConsoleChannel
from bot.channels.telegram import protect_logs
from bot.config import Settings, SettingsError
from bot.logs import HidePhones, JsonLines, configure_logging
from tests.chat import tick
from tests.province import FRIDAY, build_province

TOKEN = "123456:TEST-token-never-logged"


@pytest.fixture
def root() -> Iterator[logging.Logger]:
    """The root logger as the bot configures it, put back as it was afterwards."""
    logger = logging.getLogger()
    kept, level = list(logger.handlers), logger.level
    filters = list(logger.filters)
    for handler in kept:
        logger.removeHandler(handler)
    yield logger
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
    protect_logs(TOKEN)  # as open_channels does once the tokens are known
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


def test_text_lines_hide_phone_numbers_but_not_ids(root: logging.Logger) -> None:
    configure_logging("text")
    stream = written(root)
    logging.getLogger("bot.test").info(
        "chat -1001234567890, user 5012345678, zalo 6578123498765432109: 0987654321"
    )
    line = stream.getvalue()
    assert "chat -1001234567890, user 5012345678, zalo 6578123498765432109: <sđt …321>" in line
    assert " INFO bot.test: " in line


def test_the_filter_alone() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "gọi %s", ("84912345678",), None)
    HidePhones().filter(record)
    assert record.getMessage() == "gọi <sđt …678>"
    assert JsonLines().format(record).startswith('{"time": ')


def test_log_format_setting() -> None:
    assert Settings.load({}, env_file=None).log_format == "text"
    assert Settings.load({"LOG_FORMAT": "JSON"}, env_file=None).log_format == "json"
    with pytest.raises(SettingsError, match="LOG_FORMAT: text or json"):
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
    assert told["outcome"] == "sent" and told["message"] == (
        f"outbox {row.id} to console group:so-y-te: sent"
    )
