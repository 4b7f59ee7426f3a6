"""The process's log lines: text for a terminal, or one JSON object a line
(``LOG_FORMAT=json``) for a log collector; never a phone number, never a token.

JSON is a tiny ``logging.Formatter`` on the standard library (a few fixed fields and the
record's ``extra=`` ones need no dependency such as python-json-logger). The token is blanked by ``bot.channels.telegram.protect_logs`` (a filter on
the same handlers, added once the tokens are known); phone numbers here, by
:class:`HidePhones`, since a citizen's number may sit in an error about a file.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Vietnamese numbers: 0 or +84/84, then a mobile (3, 5, 7, 8, 9 and 8 digits) or a
# landline (2 and 9 digits), with optional dots, spaces or dashes between groups; not
# inside a longer run of digits (a Telegram or Zalo id).
_PHONE = re.compile(r"(?<![\d+])(?:\+84|84|0)[ .-]?(?:[35789]|2\d)(?:[ .-]?\d){8}(?![\d])")


def _masked(found: re.Match[str]) -> str:
    return "<sđt …" + re.sub(r"\D", "", found.group())[-3:] + ">"


class HidePhones(logging.Filter):
    """Replaces a phone number in every record, its traceback too, with its last three
    digits."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and not record.exc_text:  # formatted once here, then masked
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = _PHONE.sub(_masked, record.exc_text)
        message = record.getMessage()
        if _PHONE.search(message):
            record.msg, record.args = _PHONE.sub(_masked, message), None
        return True


# What every record carries; anything else on a record was given as ``extra=`` (the
# dispatcher's outbox id, channel, chat and outcome): a field of its JSON line.
_STANDARD = {*logging.LogRecord("", 0, "", 0, "", (), None).__dict__, "message", "asctime",
             "taskName", "color_message"}  # fmt: skip


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


def configure_logging(log_format: str = "text") -> None:
    """Log lines with their time, as ``log_format`` says (``text`` or ``json``)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if getattr(h, "dondoc", False)]:  # configured again
        root.removeHandler(old)
    handler = logging.StreamHandler()
    handler.dondoc = True  # type: ignore[attr-defined]  # ours, among others' (pytest's)
    handler.setFormatter(JsonLines() if log_format == "json" else logging.Formatter(_FORMAT))
    handler.addFilter(HidePhones())
    root.addHandler(handler)
    root.setLevel(logging.INFO)
