"""What every command shares: the Typer app, consoles, settings and error output.

Exit codes, the same for every command (the README lists them for operators):
0 done (``health``: fit to work); 1 the command could not do its work, or ``health``
found a problem; 2 the command line is wrong; :data:`EXIT_CONFIG` (78, ``EX_CONFIG`` of
sysexits.h) a setting is wrong: a variable, ``.env`` or the TOML rules file.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import logging
import os
import re
import sys
import textwrap
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime, time
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from alembic.util.exc import CommandError
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session
from typer import rich_utils
from typer._click import core as click_core
from typer._click import exceptions as usage  # typer ships its own click
from typer.core import TyperGroup

from bot.app import clock
from bot.config import Settings, SettingsError, read_env_file
from bot.db import make_engine, scratch_session, session_scope, upgrade
from bot.db_problems import missing_file, newer_schema, unknown_revision, unreachable_reason
from bot.domain.when import read_moment
from bot.importers.errors import ImportFailed
from bot.importers.tabular import FileProblem
from bot.logs import emit, hide_phones, json_logs
from bot.models import Agency
from bot.redact import scrub

EXIT_CONFIG = 78  # sysexits.h EX_CONFIG: a setting is wrong (every command, the same code)


class OptionError(usage.BadParameter):
    """A bad value for an option, explained in Vietnamese by the command itself."""


_ERRNO = {
    errno.ENOENT: "không có tệp hoặc thư mục này",
    errno.ENOTDIR: "một phần của đường dẫn không phải thư mục",
    errno.EISDIR: "đây là một thư mục, không phải tệp",
    errno.EACCES: "không có quyền truy cập",
    errno.EPERM: "không được phép",
    errno.ENOSPC: "hết chỗ trên đĩa",
    errno.EROFS: "ổ đĩa chỉ đọc",
}


_PATH_REFUSED = re.compile(
    r"\w+ '(.*)' (does not exist|is a directory|is a file|is not readable|is not writable)\.$"
)
_PATH_WHY = {
    "does not exist": "không tồn tại",
    "is a directory": "là một thư mục, không phải tệp",
    "is a file": "là một tệp, không phải thư mục",
    "is not readable": "không đọc được: tài khoản chạy dondoc không có quyền đọc tệp này (chmod 644)",
    "is not writable": "không ghi được: tài khoản chạy dondoc không có quyền ghi",
}


def _hint(exc: usage.BadParameter) -> str:
    if exc.param_hint:
        hints = [exc.param_hint] if isinstance(exc.param_hint, str) else list(exc.param_hint)
        return " / ".join(hints)
    if exc.param is None:
        return "giá trị"
    if exc.param.param_type_name == "option":
        return " / ".join(exc.param.opts)
    return exc.param.metavar or (exc.param.name or "").upper()  # an argument, as in the help


def vietnamese(exc: Exception) -> str:
    """One line, in Vietnamese, for whatever stopped a command."""
    if isinstance(exc, usage.NoSuchOption):
        close = f" (có phải {', '.join(exc.possibilities)}?)" if exc.possibilities else ""
        return f"Không có tùy chọn {exc.option_name}{close}. Xem “dondoc … --help”."
    if isinstance(exc, usage.MissingParameter):
        return f"Thiếu {_hint(exc)}. Xem “dondoc … --help”."
    if isinstance(exc, OptionError):
        return f"{_hint(exc)}: {exc.message}"
    if isinstance(exc, usage.BadParameter):
        descriptor = getattr(exc.param, "type_descriptor", None)
        kind = getattr(descriptor, "annotation", None)
        if isinstance(kind, type) and issubclass(kind, Enum):
            return f"{_hint(exc)}: chỉ nhận {', '.join(str(m.value) for m in kind)}."
        if kind is int:
            return f"{_hint(exc)}: cần một số nguyên."
        if m := _PATH_REFUSED.match(exc.message):  # typer's checks of a path, by their words
            return f"{_hint(exc)}: “{m.group(1)}” {_PATH_WHY[m.group(2)]}."
        return f"{_hint(exc)}: giá trị không hợp lệ."
    if isinstance(exc, usage.UsageError):
        if m := re.match(r"No such command '([^']*)'\.(?: Did you mean (.*)\?)?", exc.message):
            close = ", ".join(f"“{c}”" for c in re.findall(r"'([^']*)'", m.group(2) or ""))
            guess = f" Có phải là {close}?" if close else ""
            return f"Không có lệnh “{m.group(1)}”.{guess} Xem “dondoc --help”."
        if m := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", exc.message):
            return f"Thừa tham số: {m.group(1)}. Xem “dondoc … --help”."
        if m := re.match(r"Option '(.*)' requires an argument", exc.message):
            return f"{m.group(1)}: thiếu giá trị sau tùy chọn. Xem “dondoc … --help”."
        if m := re.match(r"Option '(.*)' does not take a value", exc.message):
            return f"{m.group(1)}: tùy chọn này không nhận giá trị. Xem “dondoc … --help”."
        return "Lệnh không hợp lệ. Xem “dondoc … --help”."
    if isinstance(exc, OSError):
        why = _ERRNO.get(exc.errno or 0, exc.strerror or exc.__class__.__name__)
        where = f" {exc.filename}" if exc.filename else ""
        return f"Không đọc/ghi được{where}: {why}."
    # A driver's error may quote the database's URL, or a piece of its password.
    said = scrub(str(exc), os.environ.get("DATABASE_URL", ""))
    return (
        f"Lỗi ngoài dự kiến ({exc.__class__.__name__}: {said}). Đặt DONDOC_DEBUG=1 để xem chi tiết."
    )


# Typer's and Click's own words in every --help ("Options", "Show this message and exit."),
# in Vietnamese: neither ships a Vietnamese translation; both read these module constants
# and the help option's text when they print the help.
rich_utils.ARGUMENTS_PANEL_TITLE = "Tham số"
rich_utils.OPTIONS_PANEL_TITLE = "Tùy chọn"
rich_utils.COMMANDS_PANEL_TITLE = "Lệnh"
rich_utils.ERRORS_PANEL_TITLE = "Lỗi"
rich_utils.DEFAULT_STRING = "[mặc định: {}]"
rich_utils.REQUIRED_LONG_STRING = "[bắt buộc]"
rich_utils.ENVVAR_STRING = "[biến môi trường: {}]"
_click_help_option = click_core.Command.get_help_option


def _help_option(command: click_core.Command, ctx: click_core.Context) -> Any:
    option = _click_help_option(command, ctx)
    if option is not None:
        option.help = "Xem hướng dẫn này rồi thoát."
    return option


click_core.Command.get_help_option = _help_option  # type: ignore[method-assign,assignment]


class VietnameseGroup(TyperGroup):
    """Every error ends as one Vietnamese line on stderr, never a traceback."""

    def main(  # type: ignore[override]
        self, args: Sequence[str] | None = None, prog_name: str | None = None,
        complete_var: str | None = None, standalone_mode: bool = True, **extra: Any,
    ) -> Any:  # fmt: skip
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
            code = result if isinstance(result, int) else 0
        except usage.NoArgsIsHelpError as exc:
            out.print(exc.format_message(), markup=False, highlight=False)
            code = 0
        except typer.Abort:
            err.print("Đã dừng.")
            code = 1
        except Exception as exc:
            if os.environ.get("DONDOC_DEBUG") == "1":
                raise
            complain(vietnamese(exc))
            code = 2 if isinstance(exc, usage.UsageError) else 1
        if standalone_mode:
            sys.exit(code)
        return code


app = typer.Typer(
    cls=VietnameseGroup,
    help="dondoc: đôn đốc thực hiện kế hoạch của các cơ quan.",
    no_args_is_help=True,
)
db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
import_app = typer.Typer(help="Nhập dữ liệu từ tệp CSV/XLSX.", no_args_is_help=True)
calendar_app = typer.Typer(help="Lịch làm việc: ngày nghỉ thêm, ngày làm bù.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(calendar_app, name="calendar")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)  # an error is one line, however long
SEED = Path(__file__).resolve().parent.parent.parent / "seed"


File = Annotated[Path, typer.Argument(metavar="TỆP", help="Tệp CSV hoặc XLSX")]


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


class TextFormat(StrEnum):
    """For commands whose output is text, not a table: no CSV to offer."""

    table = "table"
    json = "json"


FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a date on the command line may fall in


def within(value: int, option: str, low: int, high: int, unit: str = "") -> int:
    """A number option inside its sensible range, or a Vietnamese error naming it."""
    if not low <= value <= high:
        raise OptionError(f"cần một số từ {low} đến {high}{unit} (đã ghi {value})",
                          param_hint=option)  # fmt: skip
    return value


def _in_years(day: date, text: str, option: str) -> date:
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise OptionError(f"“{text}”: năm phải từ {FIRST_YEAR} đến {LAST_YEAR}", param_hint=option)
    return day


def parse_day(text: str, option: str) -> date:
    """A date option: dd/mm/yyyy as users write it, or ISO yyyy-mm-dd."""
    read = read_moment(text)
    if read is None or read[1] is not None:
        raise OptionError(f"“{text}” không phải một ngày (dd/mm/yyyy, ví dụ 31/12/2024)",
                          param_hint=option)  # fmt: skip
    return _in_years(read[0], text, option)


def parse_moment(text: str, option: str, tz: ZoneInfo, default: time) -> datetime:
    """A moment option: "20/12/2024 08:00" (or ISO); a day alone means ``default`` then."""
    read = read_moment(text)
    if read is None:
        raise OptionError(f"“{text}” không phải thời điểm (dd/mm/yyyy HH:MM, ví dụ "
                          "“20/12/2024 08:00”, giờ Việt Nam)", param_hint=option)  # fmt: skip
    return datetime.combine(_in_years(read[0], text, option), read[1] or default, tzinfo=tz)


def day_range(start: str, end: str) -> tuple[date, date]:
    """``--from`` and ``--to``: two days, the second not before the first."""
    first, last = parse_day(start, "--from"), parse_day(end, "--to")
    if last < first:
        raise OptionError(f"ngày kết thúc {last:%d/%m/%Y} trước ngày bắt đầu {first:%d/%m/%Y} "
                          "(--from)", param_hint="--to")  # fmt: skip
    return first, last


def year_or_none(year: int | None, option: str) -> int | None:
    """A year option that may be left out (``None``); any year given must be in range."""
    return None if year is None else within(year, option, FIRST_YEAR, LAST_YEAR)


def today_or(text: str, option: str, tz: ZoneInfo) -> date:
    return parse_day(text, option) if text else clock().astimezone(tz).date()


_CSV_LINES = 1000  # lines written to stdout at once


def write_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """CSV to stdout as Excel opens it: UTF-8 with a BOM, so the diacritics survive.
    Written as ``rows`` come, a thousand lines at a time: a stream of any length is
    written with flat memory."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    buffer.write("\ufeff")
    writer.writerow(header)
    sys.stdout.flush()
    for number, row in enumerate(rows, 1):
        writer.writerow(row)
        if number % _CSV_LINES == 0:
            _flush_into_stdout(buffer)
    _flush_into_stdout(buffer)
    sys.stdout.buffer.flush()


def _flush_into_stdout(buffer: io.StringIO) -> None:
    sys.stdout.buffer.write(buffer.getvalue().encode("utf-8"))
    buffer.seek(0)
    buffer.truncate()


def write_json_list(items: Iterable[object]) -> None:
    """A JSON list to stdout as ``json.dumps(list(items), indent=2)`` writes it (dates in
    ISO form, letters as they are), written item by item: flat memory for any length."""
    opened = False
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=2, default=date.isoformat)
        sys.stdout.write(("[" if not opened else ",") + "\n" + textwrap.indent(text, "  "))
        opened = True
    sys.stdout.write("\n]\n" if opened else "[]\n")
    sys.stdout.flush()


def agency_or_exit(session: Session, text: str) -> Agency:
    """The agency named on the command line, or an error suggesting the closest names."""
    from bot.services.register import find_agency, load_registry

    found = find_agency(session, text)
    if found is not None:
        return found
    registry, ids = load_registry(session)
    matched = registry.match(text)
    if len(matched.codes) > 1:
        names = [a.name for c in matched.codes if (a := session.get(Agency, ids[c])) is not None]
        message = f"“{text}” chỉ nhiều cơ quan ({', '.join(names)}): hãy ghi rõ một cơ quan."
    else:
        hint = matched.unknown[0].describe() if matched.unknown else f"“{text}”"
        message = f"Không tìm thấy cơ quan {hint}."
    err.print(message, style="red", markup=False, highlight=False)
    raise typer.Exit(1)


def say(message: str) -> None:
    """A line of the command on stdout: a JSON log line when logs are JSON (``dondoc run``
    with ``LOG_FORMAT=json``), the text otherwise."""
    if json_logs():
        emit(message)
    else:
        out.print(message, markup=False, highlight=False)


def complain(message: str) -> None:
    """An error of the command, one line on stderr: a JSON log line when logs are JSON.
    Phone numbers are masked either way: under Docker, stderr is the log."""
    if json_logs():
        emit(message, level=logging.ERROR, stream=sys.stderr)
    else:
        err.print(hide_phones(message), style="red", markup=False, highlight=False)


class SettingsFailed(typer.Exit):
    """The settings could not be loaded: the line was printed, the code is
    :data:`EXIT_CONFIG`; ``message`` is that line, for a command that reports it its own
    way (``health --format json``)."""

    def __init__(self, message: str) -> None:
        super().__init__(EXIT_CONFIG)
        self.message = message


def load_settings(*, quiet: bool = False) -> Settings:
    """The settings, or the command ends with one Vietnamese line “Cấu hình sai: …” on
    stderr (a JSON log line when ``LOG_FORMAT=json`` is set, as ``dondoc run`` logs) and
    exit code :data:`EXIT_CONFIG`. ``quiet``: raise :class:`SettingsFailed` unprinted."""
    try:
        return Settings.load()
    except SettingsError as exc:
        message = f"Cấu hình sai: {exc}"
        if not quiet:
            if _json_requested():
                emit(message, level=logging.ERROR, stream=sys.stderr, as_json=True)
            else:
                complain(message)
        raise SettingsFailed(message) from None


def _json_requested() -> bool:
    """``LOG_FORMAT=json`` in the environment, read before the settings are: their own
    error is a JSON line in a deployment that collects JSON logs."""
    if json_logs():
        return True
    raw = os.environ.get("LOG_FORMAT")
    if raw is None and Path(".env").is_file():
        try:
            raw = read_env_file(Path(".env"), strict=False).get("LOG_FORMAT")
        except SettingsError:  # the settings' own error says why
            raw = None
    return (raw or "").strip().lower() == "json"


@contextmanager
def import_transaction(engine: Engine, *, dry_run: bool = False) -> Iterator[Session]:
    """One import, one transaction: a bad file writes nothing, and its errors are printed
    by file and line before the command exits with 1. A ``dry_run`` works on a scratch
    copy (:func:`bot.db.scratch_session`): it holds no lock the running bot waits for."""
    try:
        with scratch_session(engine) if dry_run else session_scope(engine) as session:
            yield session
    except (ImportFailed, FileProblem) as exc:
        _print_import_errors(exc)
        raise typer.Exit(1) from None


def _print_import_errors(exc: ImportFailed | FileProblem) -> None:
    if isinstance(exc, ImportFailed):
        unknown = sum("không có trong danh mục" in e.reason for e in exc.errors)
        note = f" ({unknown} dòng có cơ quan chưa có trong danh mục)" if unknown else ""
        err.print(
            f"[red]Không nhập được {exc.path}: {len(exc.errors)} lỗi{note}; chưa ghi gì vào "
            "dữ liệu.[/]"
        )
        for line in exc.lines():
            err.print(f"  {line}", markup=False, highlight=False)
        if exc.notes:
            err.print("[yellow]Lưu ý khi đọc văn bản (có thể giải thích các lỗi trên):[/]")
            for note in exc.notes:
                err.print(f"  {note}", markup=False, highlight=False)
    else:
        err.print(f"[red]Không nhập được:[/] {exc} (chưa ghi gì vào dữ liệu)", highlight=False)


def migrated_engine(settings: Settings, *, creates: bool = False) -> Engine:
    """Migrate the database to the latest schema, then open it: the engine every command uses.

    Migrating is deliberate, read-only commands included: no command meets a schema older
    than its code, and upgrading a database already at the head is a no-op. Only a
    command that writes the register for the first time (``creates``: ``run``,
    ``console``, ``seed``, ``demo``, ``db upgrade``, the imports, ``calendar off/work``,
    ``link --role admin``)
    may create a missing SQLite file; any other refuses it (a mistyped DATABASE_URL would
    otherwise give an empty register that looks fine). Every way the database cannot be
    used ends the command with one Vietnamese line and exit code 1, the database named
    without its password (``bot.db_problems``): missing, out of reach, or migrated by a
    newer dondoc (an update rolled back).
    """
    problem = None if creates else missing_file(settings.database_url)
    if problem is None:
        try:
            upgrade(settings.database_url)
        except OperationalError as exc:
            problem = unreachable_reason(exc, settings.database_url)
        except CommandError as exc:
            revision = unknown_revision(str(exc))
            if revision is None:
                raise
            problem = newer_schema(revision)
    if problem is not None:
        complain(problem)
        raise typer.Exit(1)
    return make_engine(settings.database_url)
