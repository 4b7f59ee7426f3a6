"""Quản trị › Lịch làm việc and Quản trị › Chat over HTTP (httpx against the ASGI app):
admins only, every form refused without its CSRF token, each change made, refused in
Vietnamese when it cannot be, visible afterwards and in the settings' audit trail with who
made it; the calendar's change moves the coming working days; a chat unbound ends its web
sessions; chat titles are escaped."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta

import httpx
import pytest
from sqlmodel import Session, col, create_engine, select

from bot.db import session_scope
from bot.models import (
    Agency,
    AgencyChange,
    AgencySuccessor,
    CalendarOverride,
    Chat,
    ChatRole,
    LinkCode,
    SettingChange,
)
from bot.services.actions import Sender
from bot.services.assignments import Actor
from bot.services.chats import ensure_chat
from bot.services.setting_changes import record_setting
from tests.chat import say
from tests.cli import Dondoc, one_error_line
from tests.province import FRIDAY
from tests.web import ADMIN, BASE, COORDINATOR, HEAD, Web, csrf_of, signed_in

WHO = "web:console:801 (Phạm Quản Trị)"  # the admin, as the audit trail names them
SHOWN = "Phạm Quản Trị (web)"  # the admin, as the pages name them
PAGES = ("/quan-tri/lich", "/quan-tri/chat", "/quan-tri/chat/1/bo-lien-ket")
POSTS = ("/quan-tri/lich/them", "/quan-tri/lich/bo", "/quan-tri/chat/ma",
         "/quan-tri/chat/ma/1/thu-hoi", "/quan-tri/chat/1/bo-lien-ket")  # fmt: skip


def part(html: str, id_: str) -> str:
    """The table, list or section ``id_`` of a page, as HTML."""
    after = html.split(f'id="{id_}"')[1]
    ends = [i for end in ("</table>", "</ol>", "</section>") if (i := after.find(end)) >= 0]
    return after[: min(ends, default=len(after))]


def settings_audit(web: Web, subject: str) -> list[SettingChange]:
    with Session(web.engine) as s:
        rows = s.exec(select(SettingChange).where(SettingChange.subject == subject)).all()
    return list(rows)


async def post(
    web: Web, path: str, page_path: str, follow: bool = False, **data: str
) -> httpx.Response:
    """A form of ``page_path`` sent to ``path`` with the page's CSRF token; with
    ``follow``, the page its answer redirects to, as a browser shows it."""
    csrf = csrf_of((await web.client.get(page_path)).text)
    return await web.client.post(path, data={"csrf": csrf, **data}, follow_redirects=follow)


# --- who may use them ---------------------------------------------------------------------


@pytest.mark.parametrize("who", [HEAD, COORDINATOR], ids=["head", "coordinator"])
async def test_only_admins_see_or_change_the_settings(web: Web, who: Sender) -> None:
    await signed_in(web, who)
    csrf = csrf_of((await web.client.get("/tong-quan")).text)
    for path in PAGES:
        refused = await web.client.get(path)
        assert refused.status_code == 403 and "không có quyền" in refused.text, path
    for path in POSTS:
        refused = await web.client.post(path, data={"csrf": csrf, "ngay": "24/12/2024",
                                                    "loai": "nghi", "ly_do": "x"})  # fmt: skip
        assert refused.status_code == 403, path
    with Session(web.engine) as s:
        assert s.exec(select(CalendarOverride)).all() == []
        assert all(c.active for c in s.exec(select(Chat)).all())


async def test_signed_out_the_settings_ask_for_a_sign_in(web: Web) -> None:
    for path in PAGES:
        assert (await web.client.get(path)).status_code == 401, path


async def test_no_form_works_without_its_csrf_token(web: Web) -> None:
    await signed_in(web, ADMIN)
    for path in POSTS:
        for data in ({}, {"csrf": "guessed"}):
            refused = await web.client.post(path, data={**data, "ngay": "24/12/2024",
                                                        "loai": "nghi", "ly_do": "x",
                                                        "vai_tro": "admin", "gio": "2"})  # fmt: skip
            assert refused.status_code == 403 and "Biểu mẫu đã cũ" in refused.text, path
    with Session(web.engine) as s:
        assert s.exec(select(CalendarOverride)).all() == []
        assert s.exec(select(LinkCode)).all() == []
        assert all(c.active for c in s.exec(select(Chat)).all())
        assert s.exec(select(SettingChange)).all() == []


async def test_the_admin_pages_stand_apart_from_the_landing_page(web: Web) -> None:
    await signed_in(web, ADMIN)
    for path in ("/quan-tri/lich", "/quan-tri/chat"):
        page = await web.client.get(path)
        assert page.status_code == 200 and 'href="/quan-tri">Quản trị</a>' in page.text, path
        assert 'aria-current="page">Quản trị' in page.text  # the menu's section


# --- the calendar -------------------------------------------------------------------------


async def test_the_calendar_shows_the_year_and_what_comes_next(web: Web) -> None:
    await signed_in(web, ADMIN)
    page = (await web.client.get("/quan-tri/lich")).text
    assert "<h1>Lịch làm việc năm 2024</h1>" in page
    assert "Hôm nay, Thứ Sáu, 20/12/2024, là ngày làm việc." in page
    coming = part(page, "coming")
    assert coming.index("Thứ Hai, 23/12/2024") < coming.index("Thứ Ba, 24/12/2024")
    assert "21/12/2024" not in coming  # a Saturday
    next_year = (await web.client.get("/quan-tri/lich?nam=2025")).text
    days = part(next_year, "days")
    assert "Quốc khánh" in days and "Thứ Bảy, 26/04/2025" in days  # a national make-up day
    assert "Làm bù theo lịch nghỉ của cả nước" in days
    assert "Tỉnh chưa có ngày nghỉ hay ngày làm bù riêng" in next_year
    # A year the calendar does not know shows this year's.
    assert "<h1>Lịch làm việc năm 2024</h1>" in (await web.client.get("/quan-tri/lich?nam=9")).text


async def test_a_day_off_and_a_make_up_day_are_added_and_move_the_calendar(web: Web) -> None:
    await signed_in(web, ADMIN)
    added = await post(web, "/quan-tri/lich/them", "/quan-tri/lich", ngay="24/12/2024",
                       loai="nghi", ly_do="Nghỉ theo <b>Quyết định</b> số 12/QĐ-UBND")  # fmt: skip
    assert (added.status_code, added.headers["location"]) == (
        303,
        "/quan-tri/lich?nam=2024",
    )
    made_up = await post(web, "/quan-tri/lich/them", "/quan-tri/lich", ngay="28/12/2024",
                         loai="lam-bu", ly_do="Làm bù cho ngày 24/12")  # fmt: skip
    assert made_up.status_code == 303
    page = (await web.client.get(made_up.headers["location"])).text
    assert "Đã thêm ngày làm bù." in page
    assert "theo lịch nghỉ lễ, Tết của Nhà nước" in page and "thư viện" not in page
    province = part(page, "province")
    assert "Thứ Ba, 24/12/2024" in province and "Ngày nghỉ" in province
    assert "Nghỉ theo &lt;b&gt;Quyết định&lt;/b&gt; số 12/QĐ-UBND" in province  # escaped
    assert "Thứ Bảy, 28/12/2024" in province and "Ngày làm bù" in province
    coming = part(page, "coming")
    assert "24/12/2024" not in coming
    assert "Thứ Bảy, 28/12/2024 <small>(làm bù)</small>" in coming
    days = part(page, "days")
    assert "Thứ Ba, 24/12/2024</td>\n        <td>nghỉ" in days
    history = part(page, "history")
    assert history.index("28/12/2024") < history.index("24/12/2024")  # newest first
    assert "Thêm: Nghỉ" in history and "Thêm: Làm bù" in history and SHOWN in history
    with Session(web.engine) as s:
        rows = {o.day: (o.working, o.note) for o in s.exec(select(CalendarOverride)).all()}
    assert rows == {date(2024, 12, 24): (False, "Nghỉ theo <b>Quyết định</b> số 12/QĐ-UBND"),
                    date(2024, 12, 28): (True, "Làm bù cho ngày 24/12")}  # fmt: skip
    audit = settings_audit(web, "calendar")
    assert [(a.key, a.old, a.new, a.actor, a.at) for a in audit] == [
        ("2024-12-24", None, "Nghỉ", WHO, FRIDAY), ("2024-12-28", None, "Làm bù", WHO, FRIDAY)]  # fmt: skip


async def test_a_province_day_is_removed_and_the_removal_audited(web: Web) -> None:
    await signed_in(web, ADMIN)
    await post(web, "/quan-tri/lich/them", "/quan-tri/lich", ngay="24/12/2024", loai="nghi",
               ly_do="Nghỉ theo tỉnh")  # fmt: skip
    web.clock.now = FRIDAY + timedelta(hours=1)
    page = (await web.client.get("/quan-tri/lich")).text
    assert 'name="ngay" value="24/12/2024"' in part(page, "province")  # its remove button
    removed = await post(web, "/quan-tri/lich/bo", "/quan-tri/lich", ngay="24/12/2024")
    assert (removed.status_code, removed.headers["location"]) == (
        303,
        "/quan-tri/lich?nam=2024",
    )
    page = (await web.client.get(removed.headers["location"])).text
    assert "Đã bỏ điều chỉnh" in page and 'id="province"' not in page
    again = (await web.client.get(removed.headers["location"])).text  # reloaded: said once
    assert "Đã bỏ điều chỉnh" not in again and "Thứ Ba, 24/12/2024" in part(again, "coming")
    assert "Thứ Ba, 24/12/2024" in part(page, "coming")
    assert "Bỏ: Nghỉ" in part(page, "history") and "09:00 20/12/2024" in part(page, "history")
    assert [(a.old, a.new, a.note, a.at) for a in settings_audit(web, "calendar")][1] == (
        "Nghỉ",
        None,
        "Nghỉ theo tỉnh",
        FRIDAY + timedelta(hours=1),
    )
    again = await post(web, "/quan-tri/lich/bo", "/quan-tri/lich", ngay="24/12/2024")
    assert again.status_code == 400
    assert "Thứ Ba, 24/12/2024 không có điều chỉnh nào của tỉnh." in again.text


@pytest.mark.parametrize(
    ("ngay", "loai", "ly_do", "said"),
    [
        ("31/02/2025", "nghi", "x", "“31/02/2025” không phải một ngày (dd/mm/yyyy, ví dụ 31/12/2024)."),
        ("mai", "nghi", "x", "“mai” không phải một ngày"),
        ("", "nghi", "x", "“” không phải một ngày"),
        ("01/01/1999", "nghi", "x", "“01/01/1999”: năm phải từ 2000 đến 2100."),
        ("21/12/2024", "nghi", "x", "Thứ Bảy, 21/12/2024 là ngày cuối tuần, đã là ngày nghỉ."),
        ("01/01/2025", "nghi", "x", "Thứ Tư, 01/01/2025 đã là ngày nghỉ lễ (Tết Dương lịch)."),
        ("23/12/2024", "lam-bu", "x", "Thứ Hai, 23/12/2024 đã là ngày làm việc. Ngày làm bù là"),
        ("23/12/2024", "nghi", "  ", "Ghi lý do"),
        ("23/12/2024", "", "x", "Chọn loại ngày: ngày nghỉ hoặc ngày làm bù."),
        ("23/12/2024", "nghi", "x" * 201, "Lý do dài 201 ký tự: tối đa 200."),
        ("20/12/2024", "nghi", "x", "Thứ Sáu, 20/12/2024 đã là ngày nghỉ của tỉnh (Đã có). Muốn đổi"),
        ("20/12/2024", "lam-bu", "x", "Thứ Sáu, 20/12/2024 đã là ngày nghỉ của tỉnh (Đã có)."),
    ],
)  # fmt: skip
async def test_a_day_the_calendar_does_not_take_is_refused_in_vietnamese(
    web: Web, ngay: str, loai: str, ly_do: str, said: str
) -> None:
    with session_scope(web.engine) as s:
        s.add(CalendarOverride(day=date(2024, 12, 20), working=False, note="Đã có"))
    await signed_in(web, ADMIN)
    refused = await post(web, "/quan-tri/lich/them", "/quan-tri/lich", ngay=ngay, loai=loai,
                         ly_do=ly_do)  # fmt: skip
    assert refused.status_code == 400
    error = refused.text.split('id="error">')[1].split("</p>")[0]
    assert said in error, error
    # What was typed stays in the form; nothing is written.
    assert f'name="ngay" value="{ngay}"' in refused.text
    with Session(web.engine) as s:
        assert len(s.exec(select(CalendarOverride)).all()) == 1
    assert settings_audit(web, "calendar") == []


# --- chats and link codes -----------------------------------------------------------------


async def test_the_chats_are_listed_with_their_binding_and_titles_escaped(web: Web) -> None:
    with session_scope(web.engine) as s:
        group = s.exec(select(Chat).where(Chat.chat_key == "group:so-y-te")).one()
        group.title = '<script>alert("x")</script> Nhóm <b>Y tế</b>'
        s.add(group)
    await signed_in(web, ADMIN)
    page = (await web.client.get("/quan-tri/chat")).text
    chats = part(page, "chats")
    assert "<script>" not in page and "<b>Y tế</b>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Nhóm &lt;b&gt;Y tế&lt;/b&gt;" in chats
    assert "head Sở Y tế" in chats and "Thủ trưởng" in chats and "Sở Y tế" in chats
    assert "admin <small>(chat anh/chị đang đăng nhập)</small>" in chats
    assert "Đang liên kết" in chats and "Chat <small>(8 đang liên kết)</small>" in page
    assert page.count('/bo-lien-ket">Bỏ liên kết…</a>') == 8
    confirm = await web.client.get(f"/quan-tri/chat/{group.id}/bo-lien-ket")
    assert "&lt;script&gt;" in confirm.text and "<script>alert" not in confirm.text


async def test_a_link_code_is_issued_shown_once_and_binds_a_chat(web: Web) -> None:
    await signed_in(web, ADMIN)
    issued = await post(web, "/quan-tri/chat/ma", "/quan-tri/chat", follow=True, co_quan="so-y-te",
                        vai_tro="head", gio="24")  # fmt: skip
    # Post/Redirect/Get: the code is shown by the page the browser is sent to.
    assert [r.status_code for r in issued.history] == [303] and issued.status_code == 200
    assert str(issued.url) == f"{BASE}/quan-tri/chat"
    shown = part(issued.text, "issued")
    found = re.search(r"Mã liên kết mới: <b>([A-Z2-9]{4}-[A-Z2-9]{4})</b>", shown)
    assert found, shown
    code = found.group(1)
    assert "Cho <b>Sở Y tế</b>, vai trò <b>Thủ trưởng</b>." in shown
    assert "hết hạn lúc <b>08:00 Thứ Bảy, 21/12/2024</b>" in shown
    assert "Thủ trưởng Sở Y tế mở chat riêng với bot" in shown
    assert f"<code>/lienket {code}</code>" in shown
    codes = part(issued.text, "codes")
    assert "Chưa dùng, hết hạn lúc 08:00 21/12/2024" in codes and "Thu hồi" in codes
    assert code not in (await web.client.get("/quan-tri/chat")).text  # shown once
    with Session(web.engine) as s:
        assert len(s.exec(select(LinkCode)).all()) == 1  # the reload issued no other code
    # The code binds a new chat, which the list then shows, bound since then.
    web.clock.now = FRIDAY + timedelta(hours=2)
    deputy = Sender("console", "pho-giam-doc", "602", "Hoàng Văn Phó", private=True)
    answer = say(web.engine, deputy, f"/lienket {code}", web.clock.now)
    assert "Đã liên kết" in answer and "Sở Y tế" in answer
    page = (await web.client.get("/quan-tri/chat")).text
    assert "Đã dùng lúc 10:00 20/12/2024" in part(page, "codes")
    row = part(page, "chats").split("<td>pho-giam-doc<br>")[1].split("</tr>")[0]
    assert "Thủ trưởng" in row and "Sở Y tế" in row and "10:00 20/12/2024" in row
    (audit,) = settings_audit(web, "link_code")
    assert (audit.new, audit.actor) == ("Sở Y tế · Thủ trưởng", WHO)
    assert audit.note == "hết hạn 08:00 Thứ Bảy, 21/12/2024"
    history = part(page, "history")
    assert f"Mã liên kết {audit.key}" in history and SHOWN in history


async def test_an_admin_code_needs_no_agency(web: Web) -> None:
    await signed_in(web, ADMIN)
    issued = await post(web, "/quan-tri/chat/ma", "/quan-tri/chat", follow=True, co_quan="so-y-te",
                        vai_tro="admin", gio="1")  # fmt: skip
    shown = part(issued.text, "issued")
    assert "Cho vai trò <b>quản trị viên</b>." in shown and "Sở Y tế" not in shown
    assert "Quản trị viên mở chat riêng với bot" in shown
    with Session(web.engine) as s:
        (code,) = s.exec(select(LinkCode)).all()
    assert (code.agency_id, code.role, code.expires_at) == (
        None,
        "admin",
        FRIDAY + timedelta(hours=1),
    )


@pytest.mark.parametrize(
    ("co_quan", "vai_tro", "gio", "said"),
    [
        ("", "group", "48", "Chọn cơ quan: chỉ mã cho quản trị viên mới không gắn với cơ quan nào."),
        ("khong-co", "head", "48", "Không có cơ quan mã “khong-co”: chọn trong danh sách."),
        ("so-y-te", "boss", "48", "Chọn vai trò của chat"),
        ("so-y-te", "group", "0", "Thời hạn của mã phải từ 1 đến 720 giờ."),
        ("so-y-te", "group", "721", "Thời hạn của mã phải từ 1 đến 720 giờ."),
        ("so-y-te", "group", "hai", "Thời hạn “hai” không phải một số giờ (1 đến 720)."),
    ],
)  # fmt: skip
async def test_a_code_that_cannot_be_issued_is_refused_in_vietnamese(
    web: Web, co_quan: str, vai_tro: str, gio: str, said: str
) -> None:
    await signed_in(web, ADMIN)
    refused = await post(web, "/quan-tri/chat/ma", "/quan-tri/chat", follow=True, co_quan=co_quan,
                         vai_tro=vai_tro, gio=gio)  # fmt: skip
    assert refused.status_code == 400
    error = refused.text.split('id="error">')[1].split("</p>")[0]
    assert said in error, error
    assert 'id="issued"' not in refused.text
    assert f'name="gio" value="{gio}"' in refused.text  # what was typed stays
    with Session(web.engine) as s:
        assert s.exec(select(LinkCode)).all() == []
    assert settings_audit(web, "link_code") == []


async def test_no_code_for_an_agency_that_no_longer_exists(web: Web) -> None:
    with session_scope(web.engine) as s:
        ids = {a.code: a.id for a in s.exec(select(Agency)).all()}
        change = AgencyChange(agency_id=ids["so-tu-phap"], kind="merged", act="Nghị quyết số 1/NQ-HĐND",
                              effective_on=date(2024, 12, 1), recorded_by="test")  # fmt: skip
        s.add(change)
        s.flush()
        s.add(AgencySuccessor(change_id=change.id, agency_id=ids["so-noi-vu"]))  # type: ignore[arg-type]
    await signed_in(web, ADMIN)
    page = (await web.client.get("/quan-tri/chat")).text
    assert 'value="so-noi-vu"' in page and 'value="so-tu-phap"' not in page
    refused = await post(web, "/quan-tri/chat/ma", "/quan-tri/chat", follow=True, co_quan="so-tu-phap",
                         vai_tro="group", gio="48")  # fmt: skip
    assert refused.status_code == 400
    assert ("Sở Tư pháp sáp nhập vào Sở Nội vụ từ 01/12/2024 theo Nghị quyết số 1/NQ-HĐND: hãy "
            "cấp mã cho cơ quan hiện nay.") in refused.text  # fmt: skip
    with Session(web.engine) as s:
        assert s.exec(select(LinkCode)).all() == []


async def test_an_unused_code_is_revoked_and_then_binds_nothing(web: Web) -> None:
    await signed_in(web, ADMIN)
    issued = await post(web, "/quan-tri/chat/ma", "/quan-tri/chat", follow=True, co_quan="so-tu-phap",
                        vai_tro="group", gio="48")  # fmt: skip
    code = re.search(r"<code>/lienket ([A-Z2-9-]+)</code>", issued.text).group(1)  # type: ignore[union-attr]
    with Session(web.engine) as s:
        (row,) = s.exec(select(LinkCode)).all()
    web.clock.now = FRIDAY + timedelta(minutes=30)
    revoked = await post(web, f"/quan-tri/chat/ma/{row.id}/thu-hoi", "/quan-tri/chat")
    assert (revoked.status_code, revoked.headers["location"]) == (
        303,
        "/quan-tri/chat",
    )
    page = (await web.client.get(revoked.headers["location"])).text
    assert "Đã thu hồi mã liên kết" in page
    codes = part(page, "codes")
    assert "Hết hạn lúc 08:30 20/12/2024" in codes and "Thu hồi</button>" not in codes
    stranger = Sender("console", "nhom-moi", "900", "Ai đó")
    assert "mã đã hết hạn" in say(web.engine, stranger, f"/lienket {code}", web.clock.now)
    _, revoke = settings_audit(web, "link_code")
    assert (revoke.old, revoke.new, revoke.actor) == (
        "hết hạn 08:00 Chủ Nhật, 22/12/2024",
        "thu hồi",
        WHO,
    )
    again = await post(web, f"/quan-tri/chat/ma/{row.id}/thu-hoi", "/quan-tri/chat")
    assert again.status_code == 400 and f"Mã số {row.id} đã hết hạn lúc 08:30" in again.text
    unknown = await post(web, "/quan-tri/chat/ma/999/thu-hoi", "/quan-tri/chat")
    assert unknown.status_code == 400 and "Không có mã liên kết số 999." in unknown.text


async def test_a_used_code_is_not_revoked(web: Web) -> None:
    await signed_in(web, ADMIN)
    issued = await post(web, "/quan-tri/chat/ma", "/quan-tri/chat", follow=True, co_quan="so-tu-phap",
                        vai_tro="group", gio="48")  # fmt: skip
    code = re.search(r"<code>/lienket ([A-Z2-9-]+)</code>", issued.text).group(1)  # type: ignore[union-attr]
    say(web.engine, Sender("console", "nhom-moi", "900", "Ai đó"), f"/lienket {code}", FRIDAY)
    with Session(web.engine) as s:
        (row,) = s.exec(select(LinkCode)).all()
    refused = await post(web, f"/quan-tri/chat/ma/{row.id}/thu-hoi", "/quan-tri/chat")
    assert refused.status_code == 400
    assert f"Mã số {row.id} đã được dùng lúc 08:00 Thứ Sáu, 20/12/2024" in refused.text
    assert "bỏ liên kết chat đó" in refused.text


async def test_a_chat_is_unbound_after_a_confirmation_and_its_sessions_end(web: Web) -> None:
    app = web.client._transport.app  # type: ignore[attr-defined]
    async with web.client_of(app) as head:
        assert (await web.sign_in(web.link(HEAD), head)).status_code == 303
        assert (await head.get("/tong-quan")).status_code == 200
        await signed_in(web, ADMIN)
        with Session(web.engine) as s:
            chat = s.exec(select(Chat).where(Chat.chat_key == "head:so-y-te")).one()
        confirm = await web.client.get(f"/quan-tri/chat/{chat.id}/bo-lien-ket")
        assert confirm.status_code == 200 and "Bỏ liên kết chat?" in confirm.text
        assert (
            "<b>head Sở Y tế</b>" in confirm.text
            and "Thủ trưởng của <b>Sở Y tế</b>" in confirm.text
        )
        assert "phiên đăng nhập web mở từ chat này kết thúc" in confirm.text
        assert "anh/chị sẽ bị đăng xuất" not in confirm.text
        with Session(web.engine) as s:
            assert s.get(Chat, chat.id).active  # type: ignore[union-attr]  # asking changes nothing
        done = await web.client.post(f"/quan-tri/chat/{chat.id}/bo-lien-ket",
                                     data={"csrf": csrf_of(confirm.text)})  # fmt: skip
        assert (done.status_code, done.headers["location"]) == (
            303,
            "/quan-tri/chat",
        )
        assert (await head.get("/tong-quan")).status_code == 401  # the head's session ended
    page = (await web.client.get(done.headers["location"])).text
    assert "Đã bỏ liên kết chat" in page
    row = part(page, "chats").split("head Sở Y tế")[1].split("</tr>")[0]
    assert "Đã bỏ liên kết" in row and "bo-lien-ket" not in row
    (audit,) = settings_audit(web, "chat")
    assert (audit.key, audit.old, audit.new, audit.note, audit.actor) == (
        "console:head:so-y-te",
        "Sở Y tế · Thủ trưởng",
        "bỏ liên kết",
        "head Sở Y tế",
        WHO,
    )
    # The chat as people know it, not its key ("console:head:so-y-te").
    history = part(page, "history")
    assert "Chat “head Sở Y tế” (Thủ trưởng" in history and ", chat thử)" in history
    assert "console:head" not in history and "console:head" not in part(page, "chats")
    again = await web.client.post(f"/quan-tri/chat/{chat.id}/bo-lien-ket",
                                  data={"csrf": csrf_of(page)})  # fmt: skip
    assert again.status_code == 400 and "“head Sở Y tế” đã được bỏ liên kết." in again.text
    gone = await web.client.get("/quan-tri/chat/999/bo-lien-ket")
    assert gone.status_code == 404 and "Không có chat này." in gone.text


async def test_the_last_admin_chat_cannot_be_unbound_anywhere(web: Web) -> None:
    await signed_in(web, ADMIN)
    with Session(web.engine) as s:
        own = s.exec(select(Chat).where(Chat.chat_key == "admin")).one()
    confirm = await web.client.get(f"/quan-tri/chat/{own.id}/bo-lien-ket")
    assert 'id="last-admin"' in confirm.text and "chat quản trị viên cuối cùng" in confirm.text
    assert 'id="confirm"' not in confirm.text  # nothing to press
    refused = await web.client.post(f"/quan-tri/chat/{own.id}/bo-lien-ket",
                                    data={"csrf": csrf_of(confirm.text)})  # fmt: skip
    assert (
        refused.status_code == 400 and "liên kết một chat quản trị viên khác trước" in refused.text
    )
    in_chat = say(web.engine, replace(ADMIN, is_admin=True), "/huylienket", FRIDAY)
    assert "Chưa bỏ liên kết" in in_chat and "chat quản trị viên cuối cùng" in in_chat
    with Session(web.engine) as s:
        assert s.get(Chat, own.id).active  # type: ignore[union-attr]
    assert (await web.client.get("/quan-tri/chat")).status_code == 200  # still signed in


async def test_an_admin_unbinding_their_own_chat_is_warned_and_signed_out(web: Web) -> None:
    await signed_in(web, ADMIN)
    with session_scope(web.engine) as s:  # another admin chat: this one is not the last
        ensure_chat(
            s,
            channel="console",
            chat_key="admin-2",
            role=ChatRole.ADMIN,
            agency=None,
            title="Quản trị 2",
        )
    with Session(web.engine) as s:
        own = s.exec(select(Chat).where(Chat.chat_key == "admin")).one()
    confirm = await web.client.get(f"/quan-tri/chat/{own.id}/bo-lien-ket")
    assert "anh/chị sẽ bị đăng xuất" in confirm.text and 'id="last-admin"' not in confirm.text
    done = await web.client.post(f"/quan-tri/chat/{own.id}/bo-lien-ket",
                                 data={"csrf": csrf_of(confirm.text)})  # fmt: skip
    assert done.status_code == 303
    assert (await web.client.get("/quan-tri/chat")).status_code == 401


# --- the CLI shares the rules and the audit -----------------------------------------------


def test_the_cli_follows_the_same_rules_and_is_audited_as_the_cli(dondoc: Dondoc) -> None:
    weekend = one_error_line(dondoc("calendar", "off", "21/12/2024", "--note", "x"))
    assert "Thứ Bảy, 21/12/2024 là ngày cuối tuần, đã là ngày nghỉ." in weekend
    dondoc.ok("calendar", "off", "24/12/2024", "--note", "Nghỉ theo tỉnh")
    twice = one_error_line(dondoc("calendar", "work", "24/12/2024"))
    assert "đã là ngày nghỉ của tỉnh (Nghỉ theo tỉnh)" in twice
    dondoc.ok("calendar", "remove", "24/12/2024")
    nothing = one_error_line(dondoc("calendar", "remove", "24/12/2024"))
    assert "Thứ Ba, 24/12/2024 không có điều chỉnh nào của tỉnh." in nothing
    issued = dondoc.ok("link", "so-y-te", "--role", "head", "--hours", "2").stdout
    assert (
        "Mã liên kết cho Sở Y tế (head)" in issued and "Thủ trưởng Sở Y tế mở chat riêng" in issued
    )
    engine = create_engine(dondoc.env["DATABASE_URL"])
    with Session(engine) as s:
        audit = s.exec(select(SettingChange).order_by(col(SettingChange.id))).all()
    assert [(a.subject, a.key, a.old, a.new, a.actor) for a in audit] == [
        ("calendar", "2024-12-24", None, "Nghỉ", "cli:admin"),
        ("calendar", "2024-12-24", "Nghỉ", None, "cli:admin"),
        ("link_code", "1", None, "Sở Y tế · Thủ trưởng", "cli:admin"),
    ]
    engine.dispose()


async def test_unbinding_in_the_chat_is_in_the_same_audit(web: Web) -> None:
    admin_in_group = Sender("console", "group:so-y-te", "802", "Đỗ Quản Trị", is_admin=True)
    assert "bỏ liên kết" in say(web.engine, admin_in_group, "/huylienket", FRIDAY).lower()
    await signed_in(web, ADMIN)
    page = (await web.client.get("/quan-tri/chat")).text
    assert "Đã bỏ liên kết" in part(page, "chats").split("group Sở Y tế")[1].split("</tr>")[0]
    history = part(page, "history")
    assert "Chat “group Sở Y tế” (" in history and "Đỗ Quản Trị (chat thử)" in history


async def test_the_settings_history_lists_the_last_recorded_first(web: Web) -> None:
    """A change made on the web is on top, though one written before it was stamped later
    (a demo seeded by the machine's clock, a site run with ``dondoc web --at`` before it)."""
    with session_scope(web.engine) as s:
        record_setting(s, "chat", "console:nhom:x", Actor("seed"), FRIDAY + timedelta(days=300),
                       None, "Sở Y tế · Nhóm", "ghi trước, giờ thật")  # fmt: skip
    await signed_in(web, ADMIN)
    issued = await post(web, "/quan-tri/chat/ma", "/quan-tri/chat", follow=True, co_quan="so-y-te",
                        vai_tro="head", gio="24")  # fmt: skip
    first = part(issued.text, "history").split("<tbody>")[1].split("</tr>")[0]
    assert "Mã liên kết" in first and SHOWN in first, first
