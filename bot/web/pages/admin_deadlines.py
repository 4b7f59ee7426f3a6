"""Quản trị → Thời hạn chưa rõ (admins only): the tasks whose deadline could not be read
to a date (``bot.services.deadlines.unspecified_tasks``, the admins' weekly list), each
with the plan's own words and a form to set the date; setting it is
``bot.services.deadlines.set_deadline`` (``dondoc tasks set-deadline``): every part of
the task follows, each change in the audit trail with the admin as its actor, and the
same warnings (a date before the plan's, a date already past)."""

from __future__ import annotations

from typing import Any

from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.models import ChatRole
from bot.services.deadlines import DeadlineNotSet, set_deadline, unspecified_tasks, warnings
from bot.web.auth import Page, page

PATH = "/quan-tri/thoi-han"


@page(ChatRole.ADMIN)
def deadlines(p: Page) -> Response:
    """GET /quan-tri/thoi-han: the tasks waiting for a deadline; what was just set, once."""
    notice = p.flashed()
    if "done" in notice:
        return _list(p, done=notice["done"], warnings=notice.get("warnings", []))
    return _list(p)


@page(ChatRole.ADMIN)
def set_one(p: Page) -> Response:
    """POST /quan-tri/thoi-han (``ma``: a part's code "NV12", ``han``: "31/12/2027" or a
    phrase the reader understands): the task's deadline set, then 303 to the list, which
    shows what changed and any warning; 400 with the reason next to that task's form."""
    code, text = p.form.get("ma", "").strip(), p.form.get("han", "").strip()
    try:
        done = set_deadline(p.db, code=code, text=text, actor=p.me.actor, at=p.now,
                            settings=p.site.settings)  # fmt: skip
    except DeadlineNotSet as refused:
        return _list(p, status=400, failed={"code": code, "text": text, "reason": str(refused)})
    # Post/Redirect/Get: the list shows what changed, once; a reload sends nothing again.
    shown = {k: getattr(done, k) for k in ("task_key", "plan", "cell", "old", "new", "parts_moved",
                                           "unchanged")}  # fmt: skip
    p.flash(done=shown, warnings=warnings(done, p.cal.local(p.now).date()))
    return RedirectResponse(PATH, status_code=303)


def _list(p: Page, *, status: int = 200, **context: Any) -> Response:
    return p.render("admin_deadlines.html.j2", status=status, tasks=unspecified_tasks(p.db),
                    **context)  # fmt: skip


ROUTES = [
    Route(PATH, deadlines, methods=["GET"]),
    Route(PATH, set_one, methods=["POST"]),
]
