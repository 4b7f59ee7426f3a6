"""``dondoc calendar …``: the province's working-day calendar.

The national calendar (weekends, public holidays, the government's swaps) comes from
the ``holidays`` package; a province adds its own days off and make-up working days,
which every deadline count and sending window then follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import Session

from bot.app import clock
from bot.cli.agencies import CLI_ACTOR
from bot.cli.common import (
    calendar_app,
    err,
    load_settings,
    migrated_engine,
    out,
    parse_day,
    year_or_none,
)
from bot.db import session_scope
from bot.render import WEEKDAYS, vn_date
from bot.services.assignments import Actor
from bot.services.calendar import CalendarRefused, add_day, notable_days, remove_day


@calendar_app.command("list")
def calendar_list(
    year: Annotated[int | None, typer.Option(help="Năm (mặc định: năm nay)")] = None,
) -> None:
    """Ngày nghỉ lễ, ngày làm bù của cả nước và các ngày điều chỉnh riêng của tỉnh trong năm."""
    chosen = year_or_none(year, "--year")
    settings = load_settings()
    engine = migrated_engine(settings)
    year = chosen or clock().year
    with Session(engine) as session:
        days = notable_days(session, settings.hours, year)
    table = Table(title=f"Lịch năm {year}")
    for column in ("Ngày", "Thứ", "", "Ghi chú"):
        table.add_column(column)
    for d in days:
        table.add_row(f"{d.day:%d/%m/%Y}", WEEKDAYS[d.day.weekday()], "làm việc" if d.working else "nghỉ",
                      d.note)  # fmt: skip
    out.print(table)


_Day = Annotated[str, typer.Argument(metavar="NGÀY", help="Ngày, dd/mm/yyyy")]


@calendar_app.command("off")
def calendar_off(day: _Day, note: Annotated[str, typer.Option(help="Lý do")] = "") -> None:
    """Thêm một ngày nghỉ (dd/mm/yyyy)."""
    _set_day(day, working=False, note=note)


@calendar_app.command("work")
def calendar_work(day: _Day, note: Annotated[str, typer.Option(help="Lý do")] = "") -> None:
    """Thêm một ngày làm bù (dd/mm/yyyy), ví dụ thứ Bảy làm bù."""
    _set_day(day, working=True, note=note)


@calendar_app.command("remove")
def calendar_remove(day: _Day) -> None:
    """Bỏ điều chỉnh của một ngày, trở về lịch chung."""
    engine = migrated_engine(load_settings())
    with _refused_or_exit(), session_scope(engine) as session:
        remove_day(session, _day(day), actor=Actor(CLI_ACTOR), now=clock())
    out.print("Đã bỏ điều chỉnh.")


def _day(text: str) -> date:
    return parse_day(text, "NGÀY")


def _set_day(text: str, *, working: bool, note: str) -> None:
    settings = load_settings()
    engine = migrated_engine(settings, creates=True)
    with _refused_or_exit(), session_scope(engine) as session:
        add_day(session, settings.hours, _day(text), working=working, note=note,
                actor=Actor(CLI_ACTOR), now=clock())  # fmt: skip
    out.print(f"{vn_date(_day(text))}: {'làm việc' if working else 'nghỉ'}.")


@contextmanager
def _refused_or_exit() -> Iterator[None]:
    """A day the calendar does not take (:class:`CalendarRefused`): its reason in red,
    nothing written, exit code 1."""
    try:
        yield
    except CalendarRefused as refused:
        err.print(str(refused), style="red", markup=False, highlight=False)
        raise typer.Exit(1) from None
