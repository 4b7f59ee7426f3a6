"""Quản trị → Nạp dữ liệu (admins only): upload a plan, the agency registry or a files
export; see the import's dry run (``bot.services.imports.run_import``, the code of
``dondoc import … --dry-run``): the rows as read, the errors by line, what would be added
and changed; then "Xác nhận" imports that very upload, once.

The uploaded bytes are kept between the preview and the confirmation
(``bot.services.uploads``): bound to who uploaded them, for an hour, with their SHA-256,
which the confirmation form carries back. A file with errors is not kept (nothing to
confirm). The import's audit rows name the admin ("web:telegram:123 (Name)").
"""

from __future__ import annotations

import logging
import re
from datetime import date
from pathlib import Path
from typing import Any

from markupsafe import Markup
from sqlmodel import Session
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.db import busy, scratch_session
from bot.domain.calendar import VIETNAM
from bot.domain.deadlines import YEARS
from bot.domain.when import read_moment
from bot.importers.agencies import AgencyImportReport
from bot.importers.errors import ImportFailed
from bot.importers.files import FileImportReport
from bot.importers.plans import PlanImportReport
from bot.importers.rows import PlanMeta
from bot.importers.tabular import FileProblem
from bot.models import ChatRole, WebUpload
from bot.render import environment
from bot.services import uploads
from bot.services.imports import (
    Kind,
    PlanOptions,
    Problem,
    Report,
    changed_tasks,
    dropped_tasks,
    problems,
    rows_read,
    run_import,
    summary,
)
from bot.web.auth import Page, file_size, page

log = logging.getLogger(__name__)

PATH = "/quan-tri/nap"


# The importer's messages name the command line's options ("dùng --number"); on the web
# the admin fills in the form's fields instead. The CLI keeps its own words.
_MAP_FIELD = "ô “Giao việc của cơ quan cũ cho cơ quan mới”"
_WHOLE_FIELD = "ô “Tệp là toàn bộ kế hoạch”"
_ON_THE_FORM = [
    (re.compile(r"nhập lại với --map “([^”]*)”"), rf"nhập lại, ghi dòng “\1” vào {_MAP_FIELD}"),
    (re.compile(r"theo --map “([^”]*)”"), rf"theo dòng “\1” ở {_MAP_FIELD}"),
    (re.compile(r"--map “([^”]*)”"), rf"dòng “\1” ở {_MAP_FIELD}"),
    (re.compile(r"--map\b"), _MAP_FIELD),
    (re.compile(r"dùng --date dd/mm/yyyy"), "điền ô “Ngày ban hành” trên biểu mẫu tải lên"),
    (re.compile(r"dùng --number hoặc dòng (“[^”]*”)"),
     r"điền ô “Số kế hoạch” trên biểu mẫu tải lên, hoặc thêm dòng \1 vào tệp"),
    (re.compile(r"dùng --number"), "điền ô “Số kế hoạch” trên biểu mẫu tải lên"),
    (re.compile(r"không dùng --lead “([^”]*)” \(--lead chỉ"), r"không dùng ô “Cơ quan chủ trì” "
     r"(“\1”) (ô này chỉ"),
    (re.compile(r"hãy bỏ --lead"), "hãy để trống ô “Cơ quan chủ trì”"),
    (re.compile(r"nhập lại với --whole-plan"), f"tải lại tệp và chọn {_WHOLE_FIELD}"),
    (re.compile(r"--lead\b"), "ô “Cơ quan chủ trì”"),
    (re.compile(r"--number\b"), "ô “Số kế hoạch”"),
    (re.compile(r"--date\b"), "ô “Ngày ban hành”"),
    (re.compile(r"--year\b"), "ô “Năm của kế hoạch”"),
    (re.compile(r"rồi nạp lại danh mục đó"),
     "rồi tải tệp Danh mục cơ quan lên ở trang này (loại “Danh mục cơ quan”)"),
]  # fmt: skip


def on_the_form(text: str) -> str:
    """An importer's message with the upload form's fields for the command line's options:
    "…; dùng --number" → "…; điền ô “Số kế hoạch” trên biểu mẫu tải lên"."""
    for pattern, words in _ON_THE_FORM:
        text = pattern.sub(words, text)
    return text


class _Refused(Exception):
    """The upload cannot be previewed; the message says why, for the admin."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status
        self.text = text


@page(ChatRole.ADMIN)
def upload_form(p: Page) -> Response:
    """GET /quan-tri/nap: the upload form."""
    return _form(p)


@page(ChatRole.ADMIN, uploads=uploads.MAX_UPLOAD)
def preview(p: Page) -> Response:
    """POST /quan-tri/nap: the upload's dry run; when it reads without errors, the upload
    kept for "Xác nhận" with what it would do, and 303 to its page (:func:`shown`). 400 (a wrong type, a file that cannot be read, errors in its rows),
    413 (too large), with the form again."""
    try:
        kind, filename, content, options = _read_upload(p)
    except _Refused as refused:
        return _form(p, status=refused.status, refused=refused.text)
    # The page's transaction holds SQLite's write lock from its start: ended here, before
    # the dry run (seconds to a minute for thousands of rows), so that sign-ins, chat
    # messages and other uploads are not kept waiting; the upload is kept after it, in a
    # new transaction of a few milliseconds. The dry run writes to a scratch copy.
    on = p.cal.local(p.now).date()  # read before: p.db would begin a transaction again
    p.db.commit()
    try:
        with uploads.as_file(filename, content) as path, scratch_session(p.site.engine) as db:
            report = _import(p, db, kind, path, options, on=on, dry_run=True, source=filename)
    except _Refused as refused:
        return _form(p, status=refused.status, refused=refused.text)
    except (ImportFailed, FileProblem) as failed:
        return _form(p, status=400, kind=kind, filename=filename, problems=problems(failed))
    upload = uploads.keep(
        p.db, chat_id=p.me.chat_id, user_id=p.me.user_id, kind=kind.value, filename=filename,
        content=content, options=options, now=p.now,
    )  # fmt: skip
    uploads.keep_report(p.db, upload.id, _report(kind, report, dry_run=True))
    return RedirectResponse(f"{PATH}/{upload.id}", status_code=303)


@page(ChatRole.ADMIN)
def shown(p: Page) -> Response:
    """GET /quan-tri/nap/{id}: an upload's preview and its "Xác nhận" button, or once
    imported, what the import did; only to the admin who uploaded it, within the hour
    (404 otherwise). Both POSTs answer 303 here, so a reload sends nothing again."""
    upload = uploads.find(p.db, p.request.path_params["upload"], chat_id=p.me.chat_id,
                          user_id=p.me.user_id, now=p.now)  # fmt: skip
    if upload is None:
        return _gone(p)
    # Made by admin_import_report.html.j2 when the upload was shown first, escaped there.
    report = Markup(upload.report)  # noqa: S704
    if upload.confirmed_at is not None:
        return p.render("admin_import_done.html.j2", upload=upload, report=report)
    return p.render("admin_import_preview.html.j2", upload=upload, report=report,
                    size=file_size(upload.size))  # fmt: skip


@page(ChatRole.ADMIN)
def confirm(p: Page) -> Response:
    """POST /quan-tri/nap/xac-nhan: the kept upload imported, once, then 303 to its page
    (:func:`shown`), which says what was imported. 404 for an upload not
    this admin's or expired; 409 when the form's hash is not the upload's; a second
    confirmation says when it was imported and imports nothing."""
    upload = uploads.find(p.db, p.form.get("id", ""), chat_id=p.me.chat_id,
                          user_id=p.me.user_id, now=p.now)  # fmt: skip
    if upload is None:
        return _gone(p)
    if upload.confirmed_at is not None:
        return _already(p, upload)
    content = upload.content
    if p.form.get("sha256") != upload.sha256 or uploads.digest(content) != upload.sha256:
        return p.message(409, "Tệp không khớp",
                         "Tệp chờ xác nhận không còn đúng với bản đã xem trước. Hãy tải tệp "
                         "lên lại.")  # fmt: skip
    kind = Kind(upload.kind)
    savepoint = p.db.begin_nested()  # the claim and the import together, or neither
    try:
        if not uploads.claim(p.db, upload, p.now):
            savepoint.rollback()
            return _already(p, upload)
        with uploads.as_file(upload.filename, content) as path:
            report = _import(p, p.db, kind, path, upload.options, on=p.cal.local(p.now).date(),
                             dry_run=False, source=upload.filename)  # fmt: skip
    except (ImportFailed, FileProblem, _Refused) as failed:
        savepoint.rollback()
        found = (problems(failed) if not isinstance(failed, _Refused)
                 else [Problem("", failed.text)])  # fmt: skip
        return _form(p, status=400, kind=kind, filename=upload.filename, problems=found,
                     confirming=True)  # fmt: skip
    savepoint.commit()
    uploads.keep_report(p.db, upload.id, _report(kind, report, dry_run=False))
    log.info("web import: %s %s by %s", kind.value, upload.filename, p.me.actor,
             extra={"event": "web import", "kind": kind.value, "chat": p.me.chat_id})  # fmt: skip
    return RedirectResponse(f"{PATH}/{upload.id}", status_code=303)


def _gone(p: Page) -> Response:
    return p.message(404, "Không tìm thấy tệp đã tải lên",
                     "Tệp này không còn chờ xác nhận (quá 1 giờ, hoặc do người khác tải "
                     "lên). Hãy tải tệp lên lại.")  # fmt: skip


def _report(kind: Kind, report: Report, *, dry_run: bool) -> str:
    """What the preview or the import reported, as the pages show it (HTML)."""
    template = environment().get_template("web/admin_import_report.html.j2")
    return template.render(_shown(kind, report, dry_run=dry_run))


def _already(p: Page, upload: WebUpload) -> Response:
    when = upload.confirmed_at.astimezone(VIETNAM) if upload.confirmed_at else None
    at = f" lúc {when:%H:%M %d/%m/%Y}" if when else ""
    return p.message(200, "Tệp đã được nhập",
                     f"Tệp “{upload.filename}” đã được nhập{at}; xác nhận lại không nhập thêm "
                     "lần nữa.")  # fmt: skip


def _form(p: Page, *, status: int = 200, **context: Any) -> Response:
    context.setdefault("kind", Kind.TASKS)
    if "problems" in context:
        context["problems"] = [Problem(e.where, on_the_form(e.reason)) for e in context["problems"]]
    return p.render("admin_import.html.j2", status=status, kinds=list(Kind),
                    limit=file_size(uploads.MAX_UPLOAD), values=p.form, **context)  # fmt: skip


def _read_upload(p: Page) -> tuple[Kind, str, bytes, dict[str, Any]]:
    """The form's kind, file name, bytes and a plan's options, or :class:`_Refused`."""
    try:
        kind = Kind(p.form.get("loai", ""))
    except ValueError:
        raise _Refused(400, "Hãy chọn loại dữ liệu cần nạp.") from None
    sent = p.files.get("tep")
    if sent is None or not sent.filename:
        raise _Refused(400, "Chưa chọn tệp để tải lên.")
    filename = uploads.safe_name(sent.filename)
    suffix = Path(filename).suffix.lower()
    if suffix not in kind.suffixes:
        accepted = ", ".join(sorted(kind.suffixes))
        raise _Refused(400, f"Tệp “{filename}” không phải loại nạp được cho “{kind.label}”: "
                            f"chỉ nhận {accepted}.")  # fmt: skip
    if len(sent.content) > uploads.MAX_UPLOAD:
        raise _Refused(413, f"Tệp “{filename}” ({file_size(len(sent.content))}) vượt giới hạn "
                            f"{file_size(uploads.MAX_UPLOAD)}.")  # fmt: skip
    if not sent.content:
        raise _Refused(400, f"Tệp “{filename}” trống.")
    options = _plan_options(p.form) if kind is Kind.TASKS else {}
    return kind, filename, sent.content, options


def _plan_options(form: dict[str, str]) -> dict[str, Any]:
    """A plan's options from the form, as kept with the upload (JSON), or :class:`_Refused`."""
    issued = form.get("ngay", "").strip()
    read = read_moment(issued) if issued else None
    if issued and (read is None or read[1] is not None or read[0].year not in YEARS):
        raise _Refused(400, f"Ngày ban hành “{issued}” không phải một ngày (dd/mm/yyyy, ví dụ "
                            "03/06/2024).")  # fmt: skip
    year_text = form.get("nam", "").strip()
    if year_text and (not year_text.isdigit() or int(year_text) not in YEARS):
        raise _Refused(400, f"Năm “{year_text}” không hợp lệ: cần một năm từ {YEARS[0]} đến "
                            f"{YEARS[-1]}.")  # fmt: skip
    return {
        "number": form.get("so", "").strip(),
        "issued": read[0].isoformat() if read else None,
        "year": int(year_text) if year_text else None,
        "lead": form.get("chu_tri", "").strip(),
        "map": [line.strip() for line in form.get("map", "").splitlines() if line.strip()],
        "whole_plan": bool(form.get("toan_bo")),
    }


def _import(
    p: Page, db: Session, kind: Kind, path: Path, options: dict[str, Any], *, on: date,
    dry_run: bool, source: str,
) -> Report:  # fmt: skip
    """The import (or its dry run) of ``path`` in ``db``'s transaction, by the admin.
    A reader's unexpected failure is logged and answered as :class:`_Refused`."""
    issued = options.get("issued")
    plan = PlanOptions(
        PlanMeta(number=options.get("number", ""), issued_on=date.fromisoformat(issued) if issued
                 else None, year=options.get("year")),
        options.get("lead", ""), tuple(options.get("map", ())), bool(options.get("whole_plan")),
    )  # fmt: skip
    try:
        return run_import(db, kind, path, settings=p.site.settings, on=on,
                          actor=p.me.actor.who, source=f"web:{source}", plan=plan, dry_run=dry_run,
                          at=p.now)  # fmt: skip
    except (ImportFailed, FileProblem):
        raise
    except Exception as exc:
        if busy(exc):  # the database, not the file: answered 503 by bot.web.auth.page
            raise
        log.exception("web import of %s (%s) failed", path.name, kind.value)
        raise _Refused(400, f"Không đọc được tệp “{path.name}”: tệp hỏng hoặc không đúng định "
                            f"dạng của “{kind.label}”. Hãy mở tệp kiểm tra rồi lưu lại.") from None  # fmt: skip


ROWS_SHOWN = 500  # rows of a plan the preview lists


def _shown(kind: Kind, report: Report, *, dry_run: bool) -> dict[str, Any]:
    """What the preview and the result pages show of a report."""
    shown: dict[str, Any] = {"kind": kind, "summary": summary(report, dry_run=dry_run),
                             "report": report, "plan": None, "dry_run": dry_run,
                             "on_the_form": on_the_form}  # fmt: skip
    if isinstance(report, AgencyImportReport | FileImportReport):
        # Which agencies or files are added and changed: the first few, then how many more.
        what = "cơ quan" if isinstance(report, AgencyImportReport) else "hồ sơ"
        shown["listed"] = [
            (f"{'Sẽ thêm' if dry_run else 'Đã thêm'} {what}", report.added, report.created),
            (f"{'Sẽ cập nhật' if dry_run else 'Đã cập nhật'} {what}", report.changed,
             report.updated),
        ]  # fmt: skip
        shown["what"] = what
    if isinstance(report, PlanImportReport):
        shown["plan"] = report
        rows = rows_read(report)
        # A phone, and a browser, hold a page of some hundred rows; the whole reading of a
        # plan of thousands is the command line's (``dondoc import tasks … --dry-run``).
        shown["rows"], shown["rows_total"] = rows[:ROWS_SHOWN], len(rows)
        shown["changed"] = [on_the_form(line) for line in changed_tasks(report)]
        shown["dropped"] = [on_the_form(line) for line in dropped_tasks(report, dry_run=dry_run)]
    return shown


ROUTES = [
    Route(PATH, upload_form, methods=["GET"]),
    Route(PATH, preview, methods=["POST"]),
    Route(f"{PATH}/xac-nhan", confirm, methods=["POST"]),
    Route(f"{PATH}/{{upload}}", shown, methods=["GET"]),
]
