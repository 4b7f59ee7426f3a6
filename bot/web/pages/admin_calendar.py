"""Quản trị › Lịch làm việc (admins): the year's holidays and make-up days, national and
the province's own, what the calendar does next (the coming working days), and the forms
that add or remove a province's day off or make-up working day. The rules and the audit
are ``bot.services.calendar``'s (:func:`add_day`, :func:`remove_day`), as on the CLI."""

from __future__ import annotations

from datetime import date
from typing import Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.domain.calendar import VIETNAM
from bot.models import ChatRole
from bot.services.calendar import (
    FIRST_YEAR,
    LAST_YEAR,
    NOTE_MAX,
    CalendarRefused,
    add_day,
    next_working_days,
    notable_days,
    province_days,
    read_day,
    remove_day,
)
from bot.services.setting_changes import setting_changes
from bot.web.auth import Page, page

PATH = "/quan-tri/lich"
COMING = 10  # working days shown ahead
HISTORY_LIMIT = 50
KINDS = {"nghi": False, "lam-bu": True}  # the form's choice: a day off, a make-up working day
# What the page says after a change, once (``Page.flash``): the list below shows which day.
DONE = {
    "them-nghi": "Đã thêm ngày nghỉ.",
    "them-lam-bu": "Đã thêm ngày làm bù.",
    "bo": "Đã bỏ điều chỉnh; ngày đó theo lịch chung.",
}


@page(ChatRole.ADMIN)
def calendar(p: Page) -> Response:
    """GET /quan-tri/lich[?nam=2025]: the calendar of a year (this year by default)."""
    return _show(p, year=_year(p, p.request.query_params.get("nam", "")),
                 notice=DONE.get(p.flashed().get("done", ""), ""))  # fmt: skip


@page(ChatRole.ADMIN)
def add(p: Page) -> Response:
    """POST /quan-tri/lich/them (``ngay`` dd/mm/yyyy, ``loai`` nghi|lam-bu, ``ly_do``):
    the day added, then the calendar of its year; 400 with the reason otherwise."""
    text, kind, note = p.form.get("ngay", ""), p.form.get("loai", ""), p.form.get("ly_do", "")
    try:
        if kind not in KINDS:
            raise CalendarRefused("Chọn loại ngày: ngày nghỉ hoặc ngày làm bù.")
        day = read_day(text)
        if not note.strip():
            raise CalendarRefused("Ghi lý do (ví dụ số quyết định của tỉnh).")
        add_day(p.db, p.site.settings.hours, day, working=KINDS[kind], note=note,
                actor=p.me.actor, now=p.now)  # fmt: skip
    except CalendarRefused as refused:
        form = {"ngay": text, "loai": kind, "ly_do": note}
        return _show(p, year=_year(p, ""), error=str(refused), form=form, status=400)
    p.flash(done=f"them-{kind}")
    return RedirectResponse(f"{PATH}?nam={day.year}", status_code=303)


@page(ChatRole.ADMIN)
def remove(p: Page) -> Response:
    """POST /quan-tri/lich/bo (``ngay``): the province's day removed, then the calendar of
    its year; 400 with the reason otherwise."""
    try:
        day = read_day(p.form.get("ngay", ""))
        remove_day(p.db, day, actor=p.me.actor, now=p.now)
    except CalendarRefused as refused:
        return _show(p, year=_year(p, ""), error=str(refused), status=400)
    p.flash(done="bo")
    return RedirectResponse(f"{PATH}?nam={day.year}", status_code=303)


def _year(p: Page, asked: str) -> int:
    """The year asked for, if it is one the calendar knows; else this year (Vietnam's)."""
    if asked.isdigit() and FIRST_YEAR <= int(asked) <= LAST_YEAR:
        return int(asked)
    return p.cal.local(p.now).year


def _show(
    p: Page, *, year: int, notice: str = "", error: str = "", form: dict[str, str] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    today = p.cal.local(p.now).date()
    coming = next_working_days(p.cal, today, COMING)
    context: dict[str, Any] = {
        "year": year, "today": today,
        "days": notable_days(p.db, p.site.settings.hours, year),
        "province": province_days(p.db, year),
        "coming": coming, "make_up": {d for d in coming if d.weekday() >= 5},
        "working_today": p.cal.is_working_day(today),
        "history": [(c, date.fromisoformat(c.key))
                    for c in setting_changes(p.db, "calendar", limit=HISTORY_LIMIT)],
        "history_limit": HISTORY_LIMIT, "tz": VIETNAM, "note_max": NOTE_MAX,
        "notice": notice, "error": error, "form": form or {"loai": "nghi"},
        "first_year": FIRST_YEAR, "last_year": LAST_YEAR,
    }  # fmt: skip
    return p.render("admin_calendar.html.j2", status=status, **context)


ROUTES = [
    Route(PATH, calendar, methods=["GET"]),
    Route(f"{PATH}/them", add, methods=["POST"]),
    Route(f"{PATH}/bo", remove, methods=["POST"]),
]
