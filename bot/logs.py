"""The process's log lines: text for a terminal, or one JSON object a line
(``LOG_FORMAT=json``) for a log collector; never a phone number, never a token, never
a password in a URL.

JSON is a tiny ``logging.Formatter`` on the standard library (a few fixed fields and the
record's ``extra=`` ones need no dependency such as python-json-logger). The bots' tokens
are blanked by :class:`HideSecrets` (once :func:`keep_secret` is told them); phone numbers by
:class:`HidePhones`, since a citizen's number may sit in an error about a file; the
credentials of a URL (a database's password) by :class:`HideCredentials`.

In JSON mode every line the running bot writes is one JSON object: the libraries' loggers
(uvicorn's, APScheduler's, python-telegram-bot's, httpx's) propagate to the one root
handler, Python's warnings and uncaught exceptions are logged, and the command's own
lines (running, stopped, refused) go through :func:`emit`.
"""

from __future__ import annotations

import io
import json
import logging
import re
import sys
import threading
import time
from datetime import UTC, datetime
from types import TracebackType
from typing import TextIO

from bot.redact import mask_urls_in

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Vietnamese numbers as people write them: a trunk 0 or the country code (+84, 84,
# "(+84)", "+84 (0)"), then a mobile (3, 5, 7, 8 or 9 and 8 digits) or a landline (2, its
# area digit and 8 digits), the area code maybe in parentheses ("(024) 3825 1234"), the
# digits grouped by a space, a dot or a dash. Never inside a longer run of digits (a
# Telegram or Zalo id), after or before a slash (a date, "336/KH-UBND"), after a digit and
# a dot, comma or dash (a file code, a decimal), nor a bare 84 followed by a dot (money:
# "84.500.000.000 đồng").
_GAP = r"(?:[ .\-]|\)[ ]?)?"  # between two digits: one separator, or a closing parenthesis
_PHONE = re.compile(
    r"(?<![\d+/])(?<!\d[.,\-])"
    r"(?:(?:\(\s*\+?84\s*\)|\+\s?84|84(?!\.))[ .\-]*(?:\(\s*0\s*\)[ .\-]*)?|\(\s*0|0)"
    rf"(?:[35789]|2{_GAP}\d)(?:{_GAP}\d){{8}}"
    r"(?![\d/]|[.,]\d)"
)


def _masked(found: re.Match[str]) -> str:
    return "<sđt …" + re.sub(r"\D", "", found.group())[-3:] + ">"


def hide_phones(text: str) -> str:
    """``text`` with every Vietnamese phone number cut to its last three digits."""
    return _PHONE.sub(_masked, text)


class _Rewrite(logging.Filter):
    """Rewrites every record's message, its traceback too, with :meth:`rewrite`."""

    def rewrite(self, text: str) -> str:
        raise NotImplementedError

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:  # formatted once here, then rewritten
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.rewrite(record.exc_text)
        message = record.getMessage()
        rewritten = self.rewrite(message)
        if rewritten != message:
            record.msg, record.args = rewritten, None
        return True


class HidePhones(_Rewrite):
    """Replaces a phone number in every record, its traceback too, with its last three
    digits."""

    def rewrite(self, text: str) -> str:
        return hide_phones(text)


_secrets: set[str] = set()  # the bots' tokens, once the settings that hold them are read


def keep_secret(*secrets: str | None) -> None:
    """Blank each of ``secrets`` (a bot's token) in every log line from now on, whatever
    logger wrote it, and in :func:`hide_secrets`'s text. Telegram's and Zalo's tokens are
    part of their APIs' URLs, which httpx logs at INFO (quieted to WARNING here) and which
    an error may quote."""
    _secrets.update(s for s in secrets if s)  # a channel without a token: None
    logging.getLogger("httpx").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:  # pytest's too, where tests log
        if not any(isinstance(f, HideSecrets) for f in handler.filters):
            handler.addFilter(HideSecrets())


def hide_secrets(text: str) -> str:
    """``text`` with every secret :func:`keep_secret` was told replaced by ``<token>`` (for
    text that goes elsewhere than a log line too: /healthz, ``dondoc health``)."""
    for secret in sorted(_secrets, key=len, reverse=True):
        text = text.replace(secret, "<token>")
    return text


class HideSecrets(_Rewrite):
    """Replaces the bots' tokens in every record, its traceback too."""

    def rewrite(self, text: str) -> str:
        return hide_secrets(text)


class HideCredentials(_Rewrite):
    """Masks the password (and secret query parameters) of every URL in a record: a
    database driver's error may quote the URL it was given."""

    def rewrite(self, text: str) -> str:
        return mask_urls_in(text)


# What every record carries; anything else on a record was given as ``extra=`` (the
# dispatcher's outbox id, channel, chat and outcome): a field of its JSON line.
_STANDARD = {*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime",
             "taskName", "color_message"}  # fmt: skip


def utc_iso(moment: datetime) -> str:
    """``moment`` (aware) as every machine-readable time of dondoc writes it: ISO 8601 in
    UTC, ``+00:00`` (JSON log lines, ``health --format json``, ``/healthz``). What people
    read is in Vietnam's time instead."""
    return moment.astimezone(UTC).isoformat()


class TextLines(logging.Formatter):
    """A text log line: its time in UTC, the zone written (``2026-12-01 13:24:05.123
    UTC``), as servers log: never a bare server-local time to be mistaken for Vietnam's."""

    default_time_format = "%Y-%m-%d %H:%M:%S"
    default_msec_format = "%s.%03d UTC"

    def __init__(self) -> None:
        super().__init__(_FORMAT)
        self.converter = _utc


def _utc(seconds: float | None) -> time.struct_time:
    return time.gmtime(seconds)


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, the fields
    given as ``extra=``, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name, value in record.__dict__.items():
            if name not in _STANDARD and name not in line:
                line[name] = value
        if record.exc_info and not record.exc_text:  # without HidePhones (tests of this alone)
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return json.dumps(line, ensure_ascii=False, default=str)


_json = False  # configure_logging("json") was called: the command's own lines are JSON too

# The libraries that log while dondoc runs: each goes through the root's one handler
# (never a handler of its own, which would print a line twice or in another format).
_LIBRARIES = ("uvicorn", "uvicorn.error", "uvicorn.access", "apscheduler", "telegram",
              "httpx", "httpcore", "alembic", "asyncio", "py.warnings")  # fmt: skip


def json_logs() -> bool:
    """Whether log lines are JSON objects (``LOG_FORMAT=json``) in this process."""
    return _json


def configure_logging(log_format: str = "text") -> None:
    """Log lines with their time, as ``log_format`` says (``text`` or ``json``), on stderr,
    through one handler on the root logger. Python's warnings become log records; in JSON
    mode an uncaught exception is one too."""
    global _json
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "dondoc", False)]:  # configured again
        root.removeHandler(old)
    handler = logging.StreamHandler()
    handler.dondoc = True  # type: ignore[attr-defined]  # ours, among others' (pytest's)
    handler.setFormatter(JsonLines() if log_format == "json" else TextLines())
    handler.addFilter(HideSecrets())
    handler.addFilter(HidePhones())
    handler.addFilter(HideCredentials())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    for name in _LIBRARIES:  # a handler a library set up itself would print past ours
        library = logging.getLogger(name)
        for own in list(library.handlers):
            library.removeHandler(own)
        library.propagate = True
    # "Running job …" and "… executed successfully" twice a tick: dondoc logs each tick
    # that did something itself; a missed or failed run is still a warning or an error.
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    _json = log_format == "json"
    logging.captureWarnings(True)
    if _json:
        sys.excepthook = _log_uncaught
        threading.excepthook = _log_uncaught_in_thread


def _log_uncaught_in_thread(args: threading.ExceptHookArgs) -> None:
    if args.exc_type is SystemExit:
        return
    _log_uncaught(args.exc_type, args.exc_value or args.exc_type(), args.exc_traceback)


def _log_uncaught(
    kind: type[BaseException], exc: BaseException, trace: TracebackType | None
) -> None:
    if issubclass(kind, KeyboardInterrupt):
        sys.__excepthook__(kind, exc, trace)
        return
    logging.getLogger("dondoc").critical("uncaught exception", exc_info=(kind, exc, trace))


def emit(
    message: str,
    *,
    level: int = logging.INFO,
    stream: TextIO | None = None,
    as_json: bool | None = None,
) -> None:
    """One line of the command itself (the bot runs, it stopped, it was refused) as a
    record of the ``dondoc`` logger on ``stream`` (stdout by default: where the command
    speaks): a JSON object in JSON mode (or when ``as_json``), the text alone otherwise.
    Phone numbers are masked; the command masks its URLs itself (``bot.redact``), so that
    the examples it gives ("người_dùng:mật_khẩu@…") are shown as written."""
    _write(logging.LogRecord("dondoc", level, __file__, 0, message, None, None),
           stream or _stdout(), _json if as_json is None else as_json)  # fmt: skip


def _write(record: logging.LogRecord, stream: TextIO, as_json: bool) -> None:
    HidePhones().filter(record)
    stream.write((JsonLines().format(record) if as_json else record.getMessage()) + "\n")
    stream.flush()


def _stdout() -> TextIO:
    """The process's stdout, under a :class:`PrintedAsRecords` put over it."""
    return sys.stdout.target if isinstance(sys.stdout, PrintedAsRecords) else sys.stdout


class PrintedAsRecords(io.TextIOBase):
    """A text stream whose every write is one log record of ``logger`` written as a JSON
    line on ``target``: put over stdout while the bot runs with ``LOG_FORMAT=json``, what
    is printed there (the console channel's messages, a library's ``print``) is a JSON
    line too, its phone numbers masked. A write of several lines (a message) is one
    record; blank writes are dropped."""

    def __init__(self, target: TextIO, logger: str = "dondoc.stdout") -> None:
        self.target = target
        self.logger = logger

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        message = text.strip("\n")
        if message.strip():
            record = logging.LogRecord(self.logger, logging.INFO, __file__, 0, message, None, None)
            _write(record, self.target, True)
        return len(text)

    def flush(self) -> None:
        self.target.flush()
