"""The Cơ quan page's answers to requests for more time, over HTTP (httpx against the
ASGI app): the agency's head and an admin approve or reject a pending request with the
page's buttons, by the chat's rule (``bot.services.actions.settle_extension``): the due
date moves, the audit trail names the web viewer, the agency's groups are told; a
coordinator sees no buttons and cannot answer by a forged form, nor can another agency's
head; a request already answered changes nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlmodel import Session, col, select

from bot.models import (
    Assignment,
    ExtensionRequest,
    Outbox,
    RequestState,
    StatusUpdate,
)
from bot.services.actions import Sender
from tests.chat import say
from tests.province import FRIDAY, Province
from tests.web import ADMIN, COORDINATOR, GROUP, HEAD, Web, csrf_of, signed_in

JUSTICE_HEAD = Sender("console", "head:so-tu-phap", "602", "Đỗ Văn Tư", private=True)
PAGE = "/co-quan/so-y-te"


def asked(web: Web) -> int:
    """Sở Y tế's group asks more time for NV2 (due 31/12/2024) until 15/01/2025: the
    request's id."""
    say(web.engine, GROUP, "/giahan NV2 15/01/2025 chờ ý kiến Bộ", FRIDAY)
    with Session(web.engine) as s:
        found = s.exec(select(ExtensionRequest).where(ExtensionRequest.assignment_id == 2)).one()
        assert found.id is not None and found.state == RequestState.PENDING
        return found.id


def request_of(web: Web, ident: int) -> ExtensionRequest:
    with Session(web.engine) as s:
        found = s.get(ExtensionRequest, ident)
        assert found is not None
        return found


def due_of(web: Web, part: int) -> date:
    with Session(web.engine) as s:
        found = s.get(Assignment, part)
        assert found is not None
        return found.due_on


def trail(web: Web, part: int) -> list[StatusUpdate]:
    with Session(web.engine) as s:
        rows = s.exec(select(StatusUpdate).where(StatusUpdate.assignment_id == part)
                      .order_by(col(StatusUpdate.id))).all()  # fmt: skip
        return list(rows)


def told_groups(web: Web, province: Province, ident: int) -> list[str]:
    """The texts queued to Sở Y tế's group about request ``ident``'s decision."""
    group = province.chats["group:so-y-te"]
    with Session(web.engine) as s:
        rows = s.exec(select(Outbox).where(Outbox.key == f"decision:{ident}:{group}")).all()
        return [" ".join(r.parts) for r in rows if r.chat_id == group]


async def answer(web: Web, ident: int, decision: str, *, page: str = PAGE) -> str:
    """Press a decision's button on the agency's page (the token read from the page):
    the page the browser lands on."""
    token = csrf_of((await web.client.get(page)).text)
    sent = await web.client.post(f"{page}/gia-han/{ident}",
                                 data={"csrf": token, "quyet_dinh": decision})  # fmt: skip
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"{page}#extensions"
    return (await web.client.get(sent.headers["location"])).text


def buttons_in(html: str) -> list[str]:
    table = html.split('id="extensions"')[1].split("</table>")[0]
    return [b for b in ("Đồng ý gia hạn", "Không đồng ý</button>") if b in table]


async def test_the_head_approves_on_the_page(web: Web, province: Province) -> None:
    ident = asked(web)
    await signed_in(web, HEAD)
    web.clock.now = FRIDAY + timedelta(hours=2)
    before = (await web.client.get(PAGE)).text
    assert buttons_in(before) == ["Đồng ý gia hạn", "Không đồng ý</button>"]
    assert f'action="{PAGE}/gia-han/{ident}"' in before
    landed = await answer(web, ident, "dong-y")
    assert (
        "✅ Đã duyệt gia hạn NV2 (126/KH-UBND, mục 2) đến 15/01/2025. Đã báo nhóm của Sở Y tế."
        in landed
    )
    assert buttons_in(landed) == []  # answered: no more buttons
    done = request_of(web, ident)
    assert done.state == RequestState.APPROVED
    assert done.decided_by == "web:console:601 (Trần Thị Bình)"
    assert due_of(web, 2) == date(2025, 1, 15)
    last = trail(web, 2)[-1]
    assert (last.field, last.old, last.new) == ("due_on", "2024-12-31", "2025-01-15")
    assert last.actor == "web:console:601 (Trần Thị Bình)" and last.note == "chờ ý kiến Bộ"
    told = told_groups(web, province, ident)
    assert len(told) == 1 and "duyệt gia hạn" in told[0] and "15/01/2025" in told[0]
    # The notice is said once; the table now says who answered.
    again = (await web.client.get(PAGE)).text
    assert 'id="notice"' not in again
    assert "Trần Thị Bình" in again.split('id="extensions"')[1].split("</table>")[0]


async def test_the_head_rejects_on_the_page(web: Web, province: Province) -> None:
    ident = asked(web)
    await signed_in(web, HEAD)
    landed = await answer(web, ident, "khong-dong-y")
    assert (
        "Không duyệt gia hạn NV2 (126/KH-UBND, mục 2) đến 15/01/2025; hạn vẫn là 31/12/2024. Đã báo nhóm của Sở Y tế."
        in landed
    )
    assert request_of(web, ident).state == RequestState.REJECTED
    assert due_of(web, 2) == date(2024, 12, 31)
    last = trail(web, 2)[-1]
    assert (last.field, last.new) == ("extension_rejected", "2025-01-15")
    assert last.actor == "web:console:601 (Trần Thị Bình)"
    told = told_groups(web, province, ident)
    assert len(told) == 1 and "không duyệt" in told[0] and "31/12/2024" in told[0]


async def test_an_admin_approves_on_the_page(web: Web, province: Province) -> None:
    ident = asked(web)
    await signed_in(web, ADMIN)
    assert len(buttons_in((await web.client.get(PAGE)).text)) == 2
    landed = await answer(web, ident, "dong-y")
    assert "Đã duyệt gia hạn NV2 (126/KH-UBND, mục 2) đến 15/01/2025" in landed
    assert request_of(web, ident).decided_by == "web:console:801 (Phạm Quản Trị)"
    assert due_of(web, 2) == date(2025, 1, 15)
    assert trail(web, 2)[-1].actor == "web:console:801 (Phạm Quản Trị)"
    assert len(told_groups(web, province, ident)) == 1


async def test_a_coordinator_sees_the_requests_but_cannot_answer_them(web: Web) -> None:
    ident = asked(web)
    await signed_in(web, COORDINATOR)
    page = (await web.client.get(PAGE)).text
    assert "chờ ý kiến Bộ" in page and buttons_in(page) == []
    forged = await web.client.post(f"{PAGE}/gia-han/{ident}",
                                   data={"csrf": csrf_of(page), "quyet_dinh": "dong-y"})  # fmt: skip
    assert forged.status_code == 403 and "không có quyền" in forged.text.lower()
    assert request_of(web, ident).state == RequestState.PENDING
    assert due_of(web, 2) == date(2024, 12, 31)


async def test_another_agencys_head_cannot_answer(web: Web, province: Province) -> None:
    ident = asked(web)
    await signed_in(web, JUSTICE_HEAD)
    token = csrf_of((await web.client.get("/co-quan/so-tu-phap")).text)
    forged = await web.client.post(f"{PAGE}/gia-han/{ident}",
                                   data={"csrf": token, "quyet_dinh": "dong-y"})  # fmt: skip
    assert forged.status_code == 403 and "cơ quan mình" in forged.text
    # Nor through their own agency's address: the request is not one of its parts'.
    sideways = await web.client.post(f"/co-quan/so-tu-phap/gia-han/{ident}",
                                     data={"csrf": token, "quyet_dinh": "dong-y"})  # fmt: skip
    assert sideways.status_code == 404 and "Không có đề nghị gia hạn này" in sideways.text
    assert request_of(web, ident).state == RequestState.PENDING
    assert told_groups(web, province, ident) == []


async def test_a_form_without_its_csrf_token_changes_nothing(web: Web) -> None:
    ident = asked(web)
    await signed_in(web, HEAD)
    for data in ({"quyet_dinh": "dong-y"}, {"csrf": "forged", "quyet_dinh": "dong-y"}):
        refused = await web.client.post(f"{PAGE}/gia-han/{ident}", data=data)
        assert refused.status_code == 403 and "Biểu mẫu đã cũ" in refused.text
    assert request_of(web, ident).state == RequestState.PENDING


@pytest.mark.parametrize("first", ["chat", "tab"])
async def test_a_request_already_answered_changes_nothing(
    web: Web, province: Province, first: str
) -> None:
    """Answered in chat (/duyet) or in another tab, then from a page still showing the
    buttons: said so, the first answer stands, nothing is recorded twice."""
    ident = asked(web)
    await signed_in(web, HEAD)
    stale = csrf_of((await web.client.get(PAGE)).text)
    if first == "chat":
        say(web.engine, HEAD, f"/duyet {ident}", FRIDAY + timedelta(hours=1))
    else:
        await answer(web, ident, "dong-y")
    changes = len(trail(web, 2))
    late = await web.client.post(f"{PAGE}/gia-han/{ident}",
                                 data={"csrf": stale, "quyet_dinh": "khong-dong-y"})  # fmt: skip
    assert late.status_code == 303
    landed = (await web.client.get(late.headers["location"])).text
    assert ("Đề nghị gia hạn NV2 (126/KH-UBND, mục 2) đến 15/01/2025 đã được xử lý trước đó (đã duyệt); không thay đổi gì."
            in landed)  # fmt: skip
    assert request_of(web, ident).state == RequestState.APPROVED
    assert due_of(web, 2) == date(2025, 1, 15) and len(trail(web, 2)) == changes
    assert len(told_groups(web, province, ident)) == 1


async def test_unknown_requests_and_decisions(web: Web) -> None:
    ident = asked(web)
    await signed_in(web, HEAD)
    token = csrf_of((await web.client.get(PAGE)).text)
    for path in (f"{PAGE}/gia-han/{ident + 100}", f"{PAGE}/gia-han/99999999999999",
                 f"/co-quan/khong-co/gia-han/{ident}"):  # fmt: skip
        missing = await web.client.post(path, data={"csrf": token, "quyet_dinh": "dong-y"})
        assert missing.status_code == 404 and "Không tìm thấy" in missing.text, path
    unclear = await web.client.post(f"{PAGE}/gia-han/{ident}",
                                    data={"csrf": token, "quyet_dinh": "co-le"})  # fmt: skip
    assert unclear.status_code == 400 and "Đồng ý gia hạn" in unclear.text
    assert request_of(web, ident).state == RequestState.PENDING


async def test_the_buttons_stack_in_their_cell(web: Web) -> None:
    """On a phone the cell is narrow: the two buttons are one above the other."""
    asked(web)
    await signed_in(web, HEAD)
    page = (await web.client.get(PAGE)).text
    assert 'class="inline decide"' in page
    css = (await web.client.get("/static/dondoc.css")).text
    assert "form.decide { display: flex; flex-direction: column;" in css


async def test_a_second_request_withdraws_the_first_and_no_approval_moves_the_date_back(
    web: Web, province: Province
) -> None:
    """The group asks until 15/01, then until 28/02: the newest is the ask, the first is
    withdrawn; approving the later, then pressing the first's button, never brings the
    due date back to 15/01 (it did: "Hạn: 28/02/2025 → 15/01/2025")."""
    first = asked(web)
    say(web.engine, GROUP, "/giahan NV2 28/02/2025 chờ ý kiến Bộ", FRIDAY)
    assert request_of(web, first).state == RequestState.WITHDRAWN
    with Session(web.engine) as s:
        [second] = s.exec(select(ExtensionRequest.id).where(
            ExtensionRequest.state == RequestState.PENDING)).all()  # fmt: skip
    await signed_in(web, HEAD)
    await answer(web, second, "dong-y")
    assert due_of(web, 2) == date(2025, 2, 28)
    page = await answer(web, first, "dong-y")
    assert due_of(web, 2) == date(2025, 2, 28)
    assert (
        "không còn hiệu lực (việc đã đóng, hoặc nhóm đã xin gia hạn lại); không thay đổi gì" in page
    )


async def test_an_approval_to_a_day_gone_by_or_no_later_than_the_due_date_changes_nothing(
    web: Web, province: Province
) -> None:
    """A request left pending until its date has passed is no extension: approving it
    withdraws it and says why; the due date stays and the group is told nothing."""
    ident = asked(web)
    web.clock.now = FRIDAY + timedelta(days=40)  # 29/01/2025: after the 15/01 asked for
    await signed_in(web, HEAD)
    page = await answer(web, ident, "dong-y")
    assert "Không gia hạn NV2 (126/KH-UBND, mục 2) đến 15/01/2025: ngày ấy đã qua" in page
    assert due_of(web, 2) == date(2024, 12, 31)
    assert request_of(web, ident).state == RequestState.WITHDRAWN
    assert told_groups(web, province, ident) == []


async def test_the_group_is_told_who_decided_a_head_or_an_admin(
    web: Web, province: Province
) -> None:
    ident = asked(web)
    await signed_in(web, ADMIN)
    await answer(web, ident, "dong-y")
    [told] = told_groups(web, province, ident)
    assert told.startswith("✅ Quản trị viên đã <b>duyệt gia hạn</b>")
