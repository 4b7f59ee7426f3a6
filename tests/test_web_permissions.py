"""Every route of the web view, walked: each page refuses the signed-out (401) and the
roles it is not for (403), opens for the roles it is for, and every form refuses a POST
without its CSRF token. The routes are read from the site itself, so a page added later
is covered without a line here, unless its address holds a parameter this file has no
sample for (then the walk fails and says which)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.routing import Route

from bot.db import session_scope
from bot.models import (
    Agency,
    Apology,
    ApologyState,
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    LinkCode,
    Plan,
    TthcFile,
    WebUpload,  # fmt: skip
)
from bot.services import uploads
from bot.services.actions import Sender
from bot.services.binding import code_target, create_link_code
from tests.province import FRIDAY
from tests.web import ADMIN, COORDINATOR, HEAD, Web, csrf_of, signed_in

SIGNING_IN = {ChatRole.HEAD: HEAD, ChatRole.COORDINATOR: COORDINATOR, ChatRole.ADMIN: ADMIN}
_PARAM = re.compile(r"\{(\w+)(?::\w+)?\}")


def _agency_code(engine: Engine) -> str:
    """The head's own agency (a head may open it; the others' refusal is tested apart)."""
    with Session(engine) as s:
        return s.exec(select(Agency.code).where(Agency.code == "so-y-te")).one()


def _plan_id(engine: Engine) -> str:
    """The test province's plan (a head sees their agency's parts of it)."""
    with Session(engine) as s:
        return str(s.exec(select(Plan.id)).one())


def _letter_id(engine: Engine) -> str:
    """An approved apology letter of the head's agency, made the first time it is asked."""
    with session_scope(engine) as s:
        found = s.exec(select(Apology.id).where(Apology.state == ApologyState.APPROVED)).first()
        if found is None:
            agency = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
            assert agency.id is not None
            file = TthcFile(code="HS-MAU-1", procedure="Cấp giấy phép hành nghề", agency_id=agency.id,
                            received_at=FRIDAY, original_due_on=date(2024, 12, 23),
                            due_on=date(2024, 12, 27))  # fmt: skip
            s.add(file)
            s.flush()
            assert file.id is not None
            letter = Apology(file_id=file.id, agency_id=agency.id, state=ApologyState.APPROVED,
                             reason="Chờ ý kiến thẩm định", new_due_on=date(2024, 12, 27),
                             original_due_on=date(2024, 12, 23), number="01/PXL-SYT",
                             started_by="console:501", started_at=FRIDAY, approved_at=FRIDAY)  # fmt: skip
            s.add(letter)
            s.flush()
            found = letter.id
        return str(found)


def _chat_id(engine: Engine) -> str:
    """The head's chat (an admin's unbinding form for it only asks to confirm)."""
    with Session(engine) as s:
        return str(s.exec(select(Chat.id).where(Chat.chat_key == "head:so-y-te")).one())


def _link_code_id(engine: Engine) -> str:
    """A link code for the head's agency, made the first time it is asked."""
    with session_scope(engine) as s:
        found = s.exec(select(LinkCode.id)).first()
        if found is None:
            agency = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
            code = create_link_code(s, agency=agency, role=ChatRole.HEAD, now=FRIDAY)
            row = code_target(s, code)
            assert row is not None
            found = row.id
        return str(found)


def _upload_id(engine: Engine) -> str:
    """An upload the admin kept for confirmation (only they may open its page)."""
    with session_scope(engine) as s:
        found = s.exec(select(WebUpload.id)).first()
        if found is None:
            admin = s.exec(select(Chat).where(Chat.chat_key == "admin")).one()
            assert admin.id is not None
            found = uploads.keep(s, chat_id=admin.id, user_id=ADMIN.user_id, kind="agencies",
                                 filename="co-quan.csv", content=b"x", options={}, now=FRIDAY).id  # fmt: skip
        return found


def _extension_id(engine: Engine) -> str:
    """A pending request for more time on a part of the head's agency, made the first
    time it is asked."""
    with session_scope(engine) as s:
        found = s.exec(select(ExtensionRequest.id)).first()
        if found is None:
            part = s.exec(select(Assignment).join(Agency).where(Agency.code == "so-y-te")).first()
            assert part is not None and part.id is not None
            request = ExtensionRequest(assignment_id=part.id, requested_by="console:501",
                                       requested_at=FRIDAY, until=date(2025, 1, 15),
                                       reason="Chờ ý kiến Bộ")  # fmt: skip
            s.add(request)
            s.flush()
            found = request.id
        return str(found)


# A value for each parameter an address may hold, read from the test province.
SAMPLES: dict[str, Callable[[Engine], str]] = {
    "code": _agency_code,
    "plan": _plan_id,
    "letter": _letter_id,
    "chat": _chat_id,
    "link": _link_code_id,
    "upload": _upload_id,
    "extension": _extension_id,
}


def _routes(web: Web) -> list[Route]:
    app = web.client._transport.app  # type: ignore[attr-defined]
    return [r for r in app.routes if isinstance(r, Route) and hasattr(r.endpoint, "roles")]


def _address(route: Route, engine: Engine) -> str:
    missing = [name for name in _PARAM.findall(route.path) if name not in SAMPLES]
    assert not missing, f"{route.path}: add a sample value for {missing} to SAMPLES"
    return _PARAM.sub(lambda m: SAMPLES[m.group(1)](engine), route.path)


def _gets(web: Web) -> list[tuple[str, tuple[ChatRole, ...]]]:
    return [(_address(r, web.engine), r.endpoint.roles) for r in _routes(web)  # type: ignore[attr-defined]
            if "GET" in (r.methods or set())]  # fmt: skip


def _posts(web: Web) -> list[str]:
    return [_address(r, web.engine) for r in _routes(web) if "POST" in (r.methods or set())]


def test_the_walk_finds_the_pages(web: Web) -> None:
    paths = {path for path, _ in _gets(web)}
    assert {"/tong-quan", "/co-quan", "/co-quan/so-y-te", "/dang-nhap"} <= paths
    assert {"/dang-nhap", "/dang-xuat"} <= set(_posts(web))


async def test_every_page_refuses_the_signed_out(web: Web) -> None:
    for path, roles in _gets(web):
        answer = await web.client.get(path)
        if roles:
            assert answer.status_code == 401, path
            assert "gõ /web" in answer.text, path
        else:  # public: never a refusal, never an error
            assert answer.status_code < 500 and answer.status_code not in (401, 403), path


@pytest.mark.parametrize("role", list(SIGNING_IN))
async def test_every_page_opens_for_its_roles_and_refuses_the_others(
    web: Web, role: ChatRole
) -> None:
    await signed_in(web, SIGNING_IN[role])
    for path, roles in _gets(web):
        if not roles:
            continue
        answer = await web.client.get(path)
        if role in roles:
            assert answer.status_code in (200, 303), (path, answer.status_code)
        else:
            assert answer.status_code == 403, path
            assert "không có quyền" in answer.text.lower(), path


@pytest.mark.parametrize("role", list(SIGNING_IN))
async def test_every_form_refuses_the_roles_it_is_not_for(web: Web, role: ChatRole) -> None:
    """With the session's own token, a form sent by a role it is not for is refused
    before anything is read or changed."""
    await signed_in(web, SIGNING_IN[role])
    token = csrf_of((await web.client.get("/tong-quan")).text)
    for route in _routes(web):
        roles = route.endpoint.roles  # type: ignore[attr-defined]
        if "POST" not in (route.methods or set()) or not roles or role in roles:
            continue
        path = _address(route, web.engine)
        answer = await web.client.post(path, data={"csrf": token})
        assert answer.status_code == 403, (path, answer.status_code)
        assert "không có quyền" in answer.text.lower(), path


@pytest.mark.parametrize("who", [HEAD, ADMIN])
async def test_every_form_refuses_a_post_without_its_csrf_token(web: Web, who: Sender) -> None:
    await signed_in(web, who)
    for path in _posts(web):
        for data in ({}, {"csrf": "forged"}):
            answer = await web.client.post(path, data=data)
            assert answer.status_code == 403, (path, data)
            assert "Biểu mẫu đã cũ" in answer.text, path
    assert (await web.client.get("/tong-quan")).status_code == 200  # still signed in


async def test_a_head_is_refused_every_page_of_another_agency(web: Web) -> None:
    await signed_in(web, HEAD)
    for route in _routes(web):
        if "{code}" not in route.path or "GET" not in (route.methods or set()):
            continue
        answer = await web.client.get(route.path.replace("{code}", "so-tu-phap"))
        assert answer.status_code == 403, route.path


def test_every_route_but_the_static_files_is_built_by_page(web: Web) -> None:
    """A route not built by ``bot.web.auth.page`` would skip the checks walked above."""
    app = web.client._transport.app  # type: ignore[attr-defined]
    plain = [
        r.path for r in app.routes if isinstance(r, Route) and not hasattr(r.endpoint, "roles")
    ]
    assert plain == []


async def test_every_form_refuses_a_body_too_large_before_reading_it(web: Web) -> None:
    """Only the upload page takes files: any other POST larger than a form is refused
    by its length, signed in or not, before the CSRF token could be read."""
    await signed_in(web, ADMIN)
    big = b"x" * (200 * 1024)
    for path in _posts(web):
        if path == "/quan-tri/nap":
            continue
        answer = await web.client.post(path, content=big,
                                       headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert answer.status_code == 413 and "quá lớn" in answer.text, path


async def test_a_signed_out_htmx_request_reloads_the_whole_page(web: Web) -> None:
    """htmx swaps nothing of a 401: every page tells it to reload, so that the sign-in
    message replaces the page instead of stale data staying on screen."""
    for path, roles in _gets(web):
        if not roles:
            continue
        answer = await web.client.get(path, headers={"HX-Request": "true", "HX-Target": "parts"})
        assert answer.status_code == 401 and answer.headers.get("hx-refresh") == "true", path


@pytest.mark.parametrize("signed", [False, True])
async def test_every_form_sent_after_its_session_ended_says_so(web: Web, signed: bool) -> None:
    """A form kept open past its session (signed out, here) is answered that the session
    has ended and where to sign in again, not that the form is stale."""
    if signed:
        page = (await signed_in(web, ADMIN)).headers["location"]
        token = csrf_of((await web.client.get(page)).text)
        out = await web.client.post("/dang-xuat", data={"csrf": token})
        assert out.status_code == 200
    for path in _posts(web):
        if path == "/dang-nhap":  # the one form for the signed out
            continue
        answer = await web.client.post(path, data={"csrf": "from-the-old-page"})
        assert answer.status_code == 401, path
        assert "Phiên đăng nhập đã hết. Gõ /web trong chat của anh/chị" in answer.text, path


@pytest.mark.parametrize("huge", ["99999999999999999999999", "2147483648"])
async def test_a_number_in_an_address_beyond_any_id_is_not_found(web: Web, huge: str) -> None:
    """Never a database error: every address with a number answers 404 for one beyond
    the ids a table can hold, on GET and on POST alike."""
    await signed_in(web, ADMIN)
    token = csrf_of((await web.client.get("/quan-tri")).text)
    numbered = [r for r in _routes(web) if re.search(r"\{\w+:int\}", r.path)]
    assert numbered
    for route in numbered:
        path = re.sub(r"\{\w+:int\}", huge, _PARAM.sub(
            lambda m: m.group(0) if m.group(0).endswith(":int}") else SAMPLES[m.group(1)](web.engine),
            route.path))  # fmt: skip
        for method in sorted((route.methods or set()) & {"GET", "POST"}):
            answer = await web.client.request(
                method, path, data={"csrf": token} if method == "POST" else None
            )
            assert answer.status_code == 404 and "Không tìm thấy" in answer.text, (method, path)
    assert (await web.client.get("/tong-quan")).status_code == 200  # still serving, signed in
