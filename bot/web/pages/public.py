"""Công khai: the late files and the apology letters as the public may see them, with no
sign-in (``/cong-khai/ho-so-tre-han``), for the provinces that require the letters to be
published (DOMAIN.md) and for applicants to find their own file by its code.

What is shown is only what a published letter and a public file lookup already show:
the file's code, procedure, agency, dates, how late it is, whether and when a letter was
issued (its number, the reason and the new appointment it gives the applicant), and the
applicant's name shortened (:func:`bot.domain.applicants.public_name`). Never the
applicant's address or phone, the officers, the chats, the heads' remarks, the letters'
drafts or their Word files. Rows are copied into :class:`PublicFile` and
:class:`PublicLetter` before the template sees them, so a field added to the services'
rows later stays private until it is added here. The layout is rendered as for someone
signed out, whoever asks: the page is the same for everyone, and may be cached.

The period: the letters approved, and the agencies' records over the files first due,
in the last ``[apology] publish_days`` days (90 by default); the files late today. How
long a province keeps its letters published is its own rule (not in the decree), so it
is configuration.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from starlette.responses import Response
from starlette.routing import Route

from bot.domain.applicants import public_name
from bot.reports.apologies import records
from bot.services.late_files import (
    LetterState,
    Urgency,
    Wanted,
    count_issued_letters,
    count_late_files,
    issued_letters,
    late_files,
)
from bot.web.auth import Page, page
from bot.web.paging import pager
from bot.web.templating import render

PATH = "/cong-khai/ho-so-tre-han"
PUBLIC_PAGE = 50
# Five minutes: the files change with the daily import and the letters a few times a day.
# "public" only when the request carries no cookie: a response that clears an expired
# session's cookie must not be stored by a shared cache.
CACHE_PUBLIC, CACHE_PRIVATE = "public, max-age=300", "private, max-age=300"
CODE_MAX = 64  # a file's code is some 25 characters
TABS = {"ho-so": "Hồ sơ đang trễ hạn", "van-ban": "Văn bản xin lỗi"}


@dataclass(frozen=True)
class PublicFile:
    code: str
    procedure: str
    agency: str
    applicant: str  # shortened
    received: date
    due: date
    original_due: date
    late_days: int
    letter_number: str | None  # the approved letter's, None without one


@dataclass(frozen=True)
class PublicLetter:
    number: str
    day: date
    agency: str
    file_code: str
    procedure: str
    applicant: str  # shortened
    original_due: date
    new_due: date | None
    reason: str
    timely: bool


@page(signed_in=False)
def late_files_public(p: Page) -> Response:
    """GET /cong-khai/ho-so-tre-han[?xem=ho-so|van-ban&ma=…&trang=N]: the files late today
    or the letters of the period (of the files whose code is or begins with ``ma``), a
    page of them, and the agencies' records; to htmx, the list alone."""
    today = p.cal.local(p.now).date()
    start = today - timedelta(days=p.site.settings.apology.publish_days - 1)
    tab = p.request.query_params.get("xem", "ho-so")
    tab = tab if tab in TABS else "ho-so"
    warn_days = p.site.settings.files.warn_days
    # "tra cứu theo mã hồ sơ": the code on the applicant's receipt, or its beginning.
    code = " ".join(p.request.query_params.get("ma", "").split())[:CODE_MAX]
    late = Wanted(urgency=Urgency.LATE, code=code)
    rows: list[PublicFile] | list[PublicLetter]
    if tab == "ho-so":
        shown = pager(p, "trang", count_late_files(p.db, p.cal, today, late, warn_days=warn_days),
                      PUBLIC_PAGE)  # fmt: skip
        rows = [PublicFile(f.code, f.procedure, f.agency, public_name(f.applicant), f.received, f.due,
                           f.original_due, f.late_days,
                           f.letter_number if f.letter is not LetterState.NONE else None)
                for f in late_files(p.db, p.cal, today, late, warn_days=warn_days,
                                    offset=shown.offset, limit=shown.size)]  # fmt: skip
    else:
        shown = pager(p, "trang", count_issued_letters(p.db, p.cal, since=start, code=code),
                      PUBLIC_PAGE)  # fmt: skip
        rows = [PublicLetter(x.number, x.day, x.agency, x.file_code, x.procedure,
                             public_name(x.applicant), x.original_due, x.new_due, x.reason, x.timely)
                for x in issued_letters(p.db, p.cal, since=start, code=code, offset=shown.offset,
                                        limit=shown.size)]  # fmt: skip
    context: dict[str, Any] = {"tab": tab, "tabs": TABS, "rows": rows, "pager": shown, "path": PATH,
               "start": start, "today": today, "code": code, "code_max": CODE_MAX}  # fmt: skip
    if p.partial:
        response = render(p.request, "public_files_list.html.j2", None, **context)
    else:
        stats = records(p.db, start, today, today, p.cal)
        response = render(p.request, "public_files.html.j2", None, **context, stats=stats)
    response.headers["Cache-Control"] = CACHE_PRIVATE if p.request.cookies else CACHE_PUBLIC
    response.headers["Vary"] = "HX-Request"
    return response


ROUTES = [Route(PATH, late_files_public, methods=["GET"])]
