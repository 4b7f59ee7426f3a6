"""Quản trị › Chat (admins): the chats bound to dondoc and the one-time link codes that
bind a new one; an admin issues a code for an agency and a role (shown once, with what to
type in the chat and until when), revokes an unused one, and unbinds a chat after a
confirmation (its web sessions end with it: ``bot.web.auth`` reads the chat again on
every request). The rules and the audit are ``bot.services.binding``'s, as on the CLI's
``dondoc link`` and ``dondoc unlink``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlmodel import select
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.domain.actors import channel_label
from bot.domain.calendar import VIETNAM
from bot.models import Agency, Chat, ChatRole
from bot.services.binding import (
    DEFAULT_TTL,
    LAST_ADMIN,
    LINK_HOURS_MAX,
    BindingRefused,
    Issued,
    LinkedChat,
    codable_agencies,
    issue_link_code,
    last_admin_chat,
    link_codes,
    linked_chats,
    revoke_link_code,
    unbind_chat,
)
from bot.services.setting_changes import setting_changes
from bot.web.auth import Page, page

PATH = "/quan-tri/chat"
CODES_SHOWN = timedelta(days=30)  # the codes listed: those made in the last 30 days
HISTORY_LIMIT = 50
DONE = {
    "thu-hoi": "Đã thu hồi mã liên kết: không chat nào dùng được mã đó nữa.",
    "bo-lien-ket": "Đã bỏ liên kết chat; bot không nhắn vào đó nữa và phiên web của chat đó đã kết thúc.",
}  # fmt: skip
# What the changes in the audit trail are called, by subject.
SUBJECTS = {"link_code": "Mã liên kết", "chat": "Chat"}


@page(ChatRole.ADMIN)
def chats(p: Page) -> Response:
    """GET /quan-tri/chat: the chats (bound first, then those unbound), the link codes of
    the last 30 days, the form that issues one, the changes made."""
    notice = p.flashed()
    shown = notice.get("issued")
    if isinstance(shown, dict):  # just issued: shown this once (a reload shows it no more)
        issued = Issued(code=shown["code"], id=shown["id"], instruction=shown["instruction"],
                        expires_at=datetime.fromisoformat(shown["expires_at"]))  # fmt: skip
        return _show(p, issued=issued, issued_for=(shown["agency"], ChatRole(shown["role"])))
    return _show(p, notice=DONE.get(notice.get("done", ""), ""))


@page(ChatRole.ADMIN)
def issue(p: Page) -> Response:
    """POST /quan-tri/chat/ma (``co_quan`` an agency's code, ``vai_tro`` a chat role,
    ``gio`` hours): the code issued, then 303 to the page, which shows it this once; 400
    with the reason otherwise."""
    form = {k: p.form.get(k, "").strip() for k in ("co_quan", "vai_tro", "gio")}
    today = p.cal.local(p.now).date()
    try:
        role = _role(form["vai_tro"])
        hours = _hours(form["gio"])
        # An admin's code is for the whole province: the agency left chosen is not used.
        agency = _agency(p, form["co_quan"]) if form["co_quan"] and role != ChatRole.ADMIN else None
        issued = issue_link_code(p.db, agency=agency, role=role, hours=hours, actor=p.me.actor,
                                 now=p.now, today=today)  # fmt: skip
    except BindingRefused as refused:
        return _show(p, error=str(refused), form=form, status=400)
    # Post/Redirect/Get: the code is shown by the page the browser is sent to, once, so
    # that reloading it or going Back issues no other code.
    p.flash(issued={"code": issued.code, "id": issued.id, "instruction": issued.instruction,
                    "expires_at": issued.expires_at.isoformat(),
                    "agency": agency.name if agency else "", "role": role.value})  # fmt: skip
    return RedirectResponse(PATH, status_code=303)


@page(ChatRole.ADMIN)
def revoke(p: Page) -> Response:
    """POST /quan-tri/chat/ma/{id}/thu-hoi: an unused code revoked; 400 with the reason
    otherwise (used, expired, unknown)."""
    try:
        revoke_link_code(p.db, p.request.path_params["link"], actor=p.me.actor, now=p.now)
    except BindingRefused as refused:
        return _show(p, error=str(refused), status=400)
    p.flash(done="thu-hoi")
    return RedirectResponse(PATH, status_code=303)


@page(ChatRole.ADMIN)
def unbind_form(p: Page) -> Response:
    """GET /quan-tri/chat/{id}/bo-lien-ket: what unbinding this chat does, and the button
    that does it; 404 for an unknown chat."""
    chat = p.db.get(Chat, p.request.path_params["chat"])
    if chat is None:
        return p.not_found("Không có chat này.")
    agency = p.db.get(Agency, chat.agency_id) if chat.agency_id else None
    last = (
        LAST_ADMIN.format(name=chat.title or chat.chat_key) if last_admin_chat(p.db, chat) else ""
    )
    return p.render("admin_chats_unbind.html.j2", chat=chat, agency=agency.name if agency else "",
                    role=ChatRole(chat.role), own=chat.id == p.me.chat_id, last=last)  # fmt: skip


@page(ChatRole.ADMIN)
def unbind(p: Page) -> Response:
    """POST /quan-tri/chat/{id}/bo-lien-ket: the chat unbound; 404 for an unknown chat,
    400 for one already unbound."""
    chat = p.db.get(Chat, p.request.path_params["chat"])
    if chat is None:
        return p.not_found("Không có chat này.")
    try:
        unbind_chat(p.db, chat, actor=p.me.actor, now=p.now)
    except BindingRefused as refused:
        return _show(p, error=str(refused), status=400)
    p.flash(done="bo-lien-ket")
    return RedirectResponse(PATH, status_code=303)


def _role(text: str) -> ChatRole:
    try:
        return ChatRole(text)
    except ValueError:
        raise BindingRefused("Chọn vai trò của chat: nhóm công tác, Thủ trưởng, cơ quan theo "
                             "dõi, đôn đốc hoặc quản trị viên.") from None  # fmt: skip


def _hours(text: str) -> int:
    if not text.isdigit():
        raise BindingRefused(f"Thời hạn “{text}” không phải một số giờ (1 đến {LINK_HOURS_MAX}).")
    return int(text)


def _agency(p: Page, code: str) -> Agency:
    found = p.db.exec(select(Agency).where(Agency.code == code)).first()
    if found is None:
        raise BindingRefused(f"Không có cơ quan mã “{code}”: chọn trong danh sách.")
    return found


def _show(
    p: Page, *, notice: str = "", error: str = "", form: dict[str, str] | None = None,
    issued: Issued | None = None, issued_for: tuple[str, ChatRole] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    today = p.cal.local(p.now).date()
    chats = linked_chats(p.db, unbound=True)
    context: dict[str, Any] = {
        "chats": chats, "chat_names": _chat_names(chats),
        "codes": link_codes(p.db, since=p.now - CODES_SHOWN), "now": p.now,
        "agencies": codable_agencies(p.db, today), "roles": list(ChatRole),
        "form": form or {"vai_tro": ChatRole.GROUP.value,
                         "gio": str(int(DEFAULT_TTL.total_seconds()) // 3600)},
        "hours_max": LINK_HOURS_MAX, "issued": issued, "issued_for": issued_for,
        "history": setting_changes(p.db, *SUBJECTS, limit=HISTORY_LIMIT),
        "history_limit": HISTORY_LIMIT, "subjects": SUBJECTS, "tz": VIETNAM,
        "notice": notice, "error": error, "me": p.me.chat_id,
    }  # fmt: skip
    return p.render("admin_chats.html.j2", status=status, **context)


def _chat_names(chats: list[LinkedChat]) -> dict[str, str]:
    """Each chat's key in the settings' audit trail ("console:thu-truong:so-y-te") → the
    chat as people know it: "“Thủ trưởng Sở Y tế” (Thủ trưởng cơ quan, chat thử)"."""
    return {f"{c.channel}:{c.chat_key}": f"“{c.title or c.chat_key}” "
            f"({ChatRole(c.role).label}, {channel_label(c.channel)})" for c in chats}  # fmt: skip


ROUTES = [
    Route(PATH, chats, methods=["GET"]),
    Route(f"{PATH}/ma", issue, methods=["POST"]),
    Route(f"{PATH}/ma/{{link:int}}/thu-hoi", revoke, methods=["POST"]),
    Route(f"{PATH}/{{chat:int}}/bo-lien-ket", unbind_form, methods=["GET"]),
    Route(f"{PATH}/{{chat:int}}/bo-lien-ket", unbind, methods=["POST"]),
]
