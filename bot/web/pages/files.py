"""Hồ sơ trễ hạn: the open administrative-procedure files late or due within the warning
window, per agency, with how late they are and their apology letter's state, and the
letters issued, each downloadable as the Word document the group received (made again
from the letter, ``bot.services.apology.letter_docx``). A head sees their agency only; a
coordinator or an admin the province, and may pick an agency.

Filters are query parameters (``co-quan``, ``xem``, ``xin-loi``, pages ``trang`` and
``trang-vb``), so a filtered list is a link; htmx swaps the list it changes. The
queries run in SQL a page at a time (``bot.services.late_files``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from sqlmodel import select
from starlette.responses import Response
from starlette.routing import Route

from bot.domain.collation import vietnamese_key
from bot.models import Agency, Apology, ApologyState
from bot.services.agency_changes import former_agencies
from bot.services.apology import letter_docx
from bot.services.late_files import (
    LetterState,
    Urgency,
    Wanted,
    count_issued_letters,
    count_late_files,
    issued_letters,
    late_by_agency,
    late_files,
)
from bot.web.auth import Page, page
from bot.web.paging import pager

PAGE_SIZE = 50  # files a page lists
LETTERS_PAGE = 20  # letters a page lists
AGENCY_FILES = 10  # files and letters the agency page shows; the rest under /ho-so
SUMMARY_SHOWN = 15  # agencies in the summary at first (the most late); the others folded
# The filters' values in the address, and their words.
URGENCIES = {"tat-ca": ("Trễ hạn và sắp đến hạn", None), "tre-han": ("Trễ hạn", Urgency.LATE),
             "sap-den-han": ("Sắp đến hạn", Urgency.AT_RISK)}  # fmt: skip
LETTERS = {"tat-ca": ("Mọi trạng thái xin lỗi", None),
           "dung-han": ("Đã xin lỗi đúng hạn", LetterState.TIMELY),
           "muon": ("Xin lỗi muộn", LetterState.LATE),
           "chua-co": ("Chưa có văn bản xin lỗi", LetterState.NONE)}  # fmt: skip
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _choice(p: Page, name: str, options: dict[str, Any]) -> str:
    value = p.request.query_params.get(name, "tat-ca")
    return value if value in options else "tat-ca"


@page()
def files(p: Page) -> Response:
    """GET /ho-so[?co-quan=&xem=&xin-loi=&trang=&trang-vb=]: the files and the letters;
    to htmx, the part it targets (``#files``, ``#letters``, else ``#register``). 403 for a head asking
    another agency, 404 for an unknown one."""
    code = p.request.query_params.get("co-quan", "")
    agency: Agency | None = None
    if code:
        agency = p.db.exec(select(Agency).where(Agency.code == code)).first()
        if agency is None:
            return p.not_found("Không có cơ quan này.")
    elif not p.me.province:  # a head's list is their agency's
        agency = p.db.get(Agency, p.me.agency_id)
        if agency is None:
            return p.not_found("Chat của anh/chị không gắn với cơ quan nào.")
    if agency is not None and not p.me.may_see(agency.id):
        return p.forbidden("Anh/chị chỉ xem được hồ sơ của cơ quan mình.")
    today = p.cal.local(p.now).date()
    warn_days = p.site.settings.files.warn_days
    view, letter = _choice(p, "xem", URGENCIES), _choice(p, "xin-loi", LETTERS)
    wanted = Wanted(agency.id if agency else None, URGENCIES[view][1], LETTERS[letter][1])
    filters = {"co-quan": agency.code if agency else "", "xem": view, "xin-loi": letter}
    context: dict[str, Any] = {"agency": agency, "view": view, "letter": letter,
                               "urgencies": URGENCIES, "letters_states": LETTERS,
                               "today": today, "warn_days": warn_days, "LetterState": LetterState,
                               "link": lambda **changed: _link(filters, changed)}  # fmt: skip
    # htmx names the part it replaces: the files (a page of them), the letters (a page of
    # them), or the whole register below the filters (another filter).
    target = p.request.headers.get("hx-target", "") if p.partial else ""
    if target != "letters":
        total = count_late_files(p.db, p.cal, today, wanted, warn_days=warn_days)
        shown = pager(p, "trang", total, PAGE_SIZE)
        context |= {"files": late_files(p.db, p.cal, today, wanted, warn_days=warn_days,
                                        offset=shown.offset, limit=shown.size),
                    "pager": shown}  # fmt: skip
        if target == "files":
            return p.render("files_list.html.j2", **context)
    owner = agency.id if agency else None
    shown_letters = pager(p, "trang-vb", count_issued_letters(p.db, p.cal, agency_id=owner),
                          LETTERS_PAGE)  # fmt: skip
    context |= {"issued": issued_letters(p.db, p.cal, agency_id=owner, offset=shown_letters.offset,
                                         limit=shown_letters.size),
                "letters_pager": shown_letters}  # fmt: skip
    if target == "letters":
        return p.render("files_letters.html.j2", **context)
    context["summary"] = late_by_agency(p.db, p.cal, today, warn_days=warn_days,
                                        agency_id=owner)  # fmt: skip
    context["summary_shown"] = SUMMARY_SHOWN
    if p.partial:
        return p.render("files_register.html.j2", **context)
    agencies, former = [], []
    if p.me.province:  # the agencies no longer there apart: their old files stay theirs
        gone = former_agencies(p.db, today)
        listed = sorted(p.db.exec(select(Agency)).all(), key=lambda a: vietnamese_key(a.name))
        agencies = [a for a in listed if a.id not in gone]
        former = [(a, gone[a.id]) for a in listed if a.id in gone]
    return p.render("files.html.j2", **context, agencies=agencies, former=former)


def _link(filters: dict[str, str], changed: dict[str, Any]) -> str:
    """/ho-so with the list's filters, ``changed`` over them (``trang_vb`` for
    ``trang-vb``); empty values and the defaults left out."""
    merged = {**filters, **{k.replace("_", "-"): str(v) for k, v in changed.items()}}
    kept = {k: v for k, v in merged.items()
            if v and v != "tat-ca" and (not k.startswith("trang") or v != "1")}  # fmt: skip
    return "/ho-so" + (f"?{urlencode(kept)}" if kept else "")


@page()
def letter_file(p: Page) -> Response:
    """GET /ho-so/van-ban/{id}.docx: the approved letter as the Word document the group
    got, made again from the letter and the file. 404 for a letter not approved, or of
    another agency than a head's own."""
    letter = p.db.get(Apology, p.request.path_params["letter"])
    # Another agency's letter is answered as a missing one: a head cannot tell which exist.
    if (letter is None or letter.state != ApologyState.APPROVED or letter.approved_at is None
            or not p.me.may_see(letter.agency_id)):  # fmt: skip
        return p.not_found("Không có văn bản xin lỗi này.")
    assert letter.id is not None
    name, content = letter_docx(p.db, letter.id, p.site.settings.apology, p.cal)
    ascii_name = name.encode("ascii", "replace").decode().replace("?", "_").replace('"', "_")
    disposition = f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    return Response(content, media_type=DOCX, headers={"Content-Disposition": disposition})


def agency_files(p: Page, agency: Agency) -> dict[str, Any]:
    """The Cơ quan page's part on files (``agency_files.html.j2``): the agency's first
    late and at-risk files, its latest letters, and their counts."""
    today = p.cal.local(p.now).date()
    warn_days = p.site.settings.files.warn_days
    wanted = Wanted(agency.id)
    return {"agency_files": {
        "files": late_files(p.db, p.cal, today, wanted, warn_days=warn_days, limit=AGENCY_FILES),
        "count": count_late_files(p.db, p.cal, today, wanted, warn_days=warn_days),
        "summary": late_by_agency(p.db, p.cal, today, warn_days=warn_days, agency_id=agency.id),
        "letters": issued_letters(p.db, p.cal, agency_id=agency.id, limit=AGENCY_FILES),
        "letters_count": count_issued_letters(p.db, p.cal, agency_id=agency.id),
        "today": today, "warn_days": warn_days, "LetterState": LetterState,
    }}  # fmt: skip


ROUTES = [
    Route("/ho-so", files, methods=["GET"]),
    Route("/ho-so/van-ban/{letter:int}.docx", letter_file, methods=["GET"]),
]
