"""What every command shares: the Typer app, consoles, settings and error output."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

import typer
from rich.console import Console
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from bot.config import Settings, SettingsError
from bot.db import make_engine, upgrade
from bot.importers.errors import ImportFailed
from bot.scheduler.settings import SchedulerSettings

app = typer.Typer(help="dondoc: đôn đốc thực hiện kế hoạch của các cơ quan.", no_args_is_help=True)
db_app = typer.Typer(help="Cơ sở dữ liệu.", no_args_is_help=True)
import_app = typer.Typer(help="Nhập dữ liệu từ tệp CSV/XLSX.", no_args_is_help=True)
calendar_app = typer.Typer(help="Lịch làm việc: ngày nghỉ thêm, ngày làm bù.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(import_app, name="import")
app.add_typer(calendar_app, name="calendar")

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)  # one error, one line, even in a log file
SEED = Path(__file__).resolve().parent.parent.parent / "seed"


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"


def load_settings() -> Settings:
    try:
        return Settings.load()
    except SettingsError as exc:
        err.print(f"[red]Cấu hình sai:[/] {exc}")
        raise typer.Exit(2) from None


def load_scheduler_settings(settings: Settings) -> SchedulerSettings:
    try:
        return SchedulerSettings.load(settings.config_file)
    except SettingsError as exc:
        err.print(f"[red]Cấu hình nhắc việc sai:[/] {exc}")
        raise typer.Exit(2) from None


def fail(exc: Exception) -> typer.Exit:
    if isinstance(exc, ImportFailed):
        unknown = sum("không có trong danh mục" in e.reason for e in exc.errors)
        err.print(
            f"[red]Không nhập được {exc.path}: {len(exc.errors)} lỗi "
            f"({unknown} dòng có cơ quan chưa có trong danh mục); chưa ghi gì vào dữ liệu.[/]"
        )
        for line in exc.lines():
            err.print(f"  {line}", markup=False, highlight=False)
    else:
        err.print(f"[red]Không nhập được:[/] {exc}", highlight=False)
    return typer.Exit(1)


def open_db(settings: Settings) -> Engine:
    """The database, migrated to the latest schema first (a no-op when it already is)."""
    try:
        upgrade(settings.database_url)
    except OperationalError as exc:
        err.print(
            f"[red]Không mở được cơ sở dữ liệu ({settings.database_url.split('://')[0]}):[/] {exc.orig}"
        )
        raise typer.Exit(2) from None
    return make_engine(settings.database_url)
