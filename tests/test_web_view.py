"""The web view over HTTP (httpx against the ASGI app): /web in a chat answers a one-time
link, the link opens a session with the chat's role and agency, and each page shows what
that role may see; expired, reused and forged links, forms without their CSRF token and
other agencies' pages are refused; every response carries the security headers. Time is
an argument (the site's clock), never waited for."""

from __future__ import annotations

import re
from datetime import date, timedelta

import httpx
import pytest
from itsdangerous import URLSafeSerializer
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings, SettingsError
from bot.db import session_scope
from bot.domain.actors import actor_label
from bot.domain.agency_history import ChangeKind
from bot.models import Agency, Assignment, Chat, ChatRole, Role, WebLink
from bot.services.actions import Sender
from bot.services.agency_changes import apply_due
from bot.services.agency_changes import record_change as record_agency_change
from bot.services.assignments import Actor, record_change
from bot.services.chats import deactivate_chat
from bot.services.web_access import LINK_TTL
from bot.services.web_sessions import SESSION_TTL
from bot.web.auth import page
from bot.web.pages import agencies as agencies_page
from bot.web.security import HEADERS
from bot.web.site import create_site, prepare
from tests.chat import say
from tests.province import FRIDAY, Province, at, build_province
from tests.web import ADMIN, BASE, COORDINATOR, GROUP, HEAD, Web, signed_in, web_settings

# --- /web in the chat ---------------------------------------------------------------------


def test_web_in_a_head_chat_answers_a_one_time_link(web: Web) -> None:
    answer = say(web.engine, HEAD, "/web", FRIDAY)
    assert "Thủ trưởng, Sở Y tế" in answer
    assert f'<a href="{BASE}/dang-nhap?t=' in answer
    assert "một lần, trong 10 phút" in answer
    with Session(web.engine) as s:
        (link,) = s.exec(select(WebLink)).all()
    assert (link.user_id, link.user_name, link.used_at) == ("601", "Trần Thị Bình", None)


def test_web_in_a_group_is_refused_politely_and_no_link_is_made(web: Web) -> None:
    answer = say(web.engine, GROUP, "/web", FRIDAY)
    assert "không gửi đường dẫn vào nhóm công tác" in answer and "/nhiemvu" in answer
    assert "href" not in answer
    with Session(web.engine) as s:
        assert s.exec(select(WebLink)).all() == []


def test_web_before_any_process_serves_the_web_says_so(engine: Engine, province: Province) -> None:
    answer = say(engine, HEAD, "/web", FRIDAY)
    assert "Giao diện web chưa được bật" in answer and "dondoc web" in answer


def test_web_in_an_unbound_chat_asks_for_binding(web: Web) -> None:
    stranger = Sender("console", "nobody", "9", "Ai đó", private=True)
    assert "chưa được liên kết" in say(web.engine, stranger, "/web", FRIDAY)


def test_help_lists_web() -> None:
    from bot.domain.verbs import help_lines

    assert any(line.startswith("/web – ") for line in help_lines())


# --- signing in ---------------------------------------------------------------------------


async def test_head_signs_in_by_the_link_and_sees_their_agency(web: Web) -> None:
    url = web.link(HEAD)
    form = await web.client.get(url)
    assert form.status_code == 200 and "vai trò <b>Thủ trưởng</b> của <b>Sở Y tế</b>" in form.text
    signed = await web.sign_in(url)
    assert (signed.status_code, signed.headers["location"]) == (303, "/tong-quan")
    overview = await web.client.get("/tong-quan")
    assert overview.status_code == 200
    assert (
        "<h1>Sở Y tế" in overview.text and "Trần Thị Bình · Thủ trưởng · Sở Y tế" in overview.text
    )
    assert "trễ 14 ngày làm việc" in overview.text  # due 30/11/2024, a Saturday: from 02/12
    menu = re.findall(r'<li><a href="([^"]+)"', overview.text)
    assert menu == ["/tong-quan", "/ke-hoach", "/co-quan", "/ho-so"]  # no Quản trị


async def test_opening_the_link_does_not_use_it_up(web: Web) -> None:
    """Chat apps fetch a link to preview it: only pressing the button signs in."""
    url = web.link(HEAD)
    for _ in range(3):
        assert (await web.client.get(url)).status_code == 200
    assert (await web.sign_in(url)).status_code == 303


async def test_a_link_works_once_even_from_another_browser(web: Web) -> None:
    url = web.link(HEAD)
    assert (await web.sign_in(url)).status_code == 303
    async with web.client_of(web.client._transport.app) as other:  # type: ignore[attr-defined]
        again = await web.sign_in(url, other)
        assert again.status_code == 400 and "đã được dùng" in again.text
        assert (await other.get("/tong-quan")).status_code == 401


async def test_a_link_expires_after_ten_minutes(web: Web) -> None:
    late = web.link(HEAD)
    in_time = web.link(HEAD)
    web.clock.now = FRIDAY + LINK_TTL + timedelta(seconds=1)
    refused = await web.client.get(late)
    assert refused.status_code == 400 and "đã hết hạn" in refused.text and "/web" in refused.text
    web.clock.now = FRIDAY + LINK_TTL - timedelta(seconds=1)
    assert (await web.sign_in(in_time)).status_code == 303


async def test_a_link_stamped_ahead_of_the_web_clock_says_the_clocks_differ(web: Web) -> None:
    """A bot on another clock than the web view (``console --at`` later than ``web --at``):
    the link is not "expired", the clocks differ; within a minute's skew it still works."""
    web.clock.now = FRIDAY + timedelta(hours=1, minutes=30)
    ahead = web.link(HEAD)
    web.clock.now = FRIDAY + timedelta(seconds=50)
    skewed = web.link(HEAD)
    web.clock.now = FRIDAY
    refused = await web.client.get(ahead)
    assert refused.status_code == 400 and "hết hạn" not in refused.text
    assert "hai đồng hồ khác nhau" in refused.text and "cùng --at" in refused.text
    assert (await web.sign_in(skewed)).status_code == 303


async def test_the_form_pressed_after_the_link_expired_is_refused(web: Web) -> None:
    url = web.link(HEAD)
    form = await web.client.get(url)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf
    web.clock.now = FRIDAY + timedelta(minutes=11)
    token = url.split("t=", 1)[1]
    refused = await web.client.post("/dang-nhap", data={"csrf": csrf.group(1), "t": token})
    assert refused.status_code == 400 and "hết hạn" in refused.text


async def test_forged_links_are_refused(web: Web, engine: Engine) -> None:
    url = web.link(HEAD)
    token = url.split("t=", 1)[1]
    payload = URLSafeSerializer("not-the-key", salt="dondoc.web.sign-in-link").loads_unsafe(token)[
        1
    ]
    with Session(engine) as s:
        coordinator = s.exec(select(Chat).where(Chat.chat_key == "coordinator")).one()
    forged = [
        token[:-2] + ("AA" if not token.endswith("AA") else "BB"),  # the signature altered
        URLSafeSerializer("x" * 64, salt="dondoc.web.sign-in-link").dumps(payload),  # another key
        URLSafeSerializer("x" * 64, salt="dondoc.web.sign-in-link").dumps(
            {**payload, "c": coordinator.id}
        ),  # another chat
        "",
        "abc",
    ]
    for bad in forged:
        refused = await web.client.get(f"/dang-nhap?t={bad}")
        assert refused.status_code == 400 and "không hợp lệ" in refused.text, bad
    assert (await web.client.get("/tong-quan")).status_code == 401


async def test_a_link_of_a_chat_unbound_since_is_refused(web: Web) -> None:
    url = web.link(HEAD)
    with session_scope(web.engine) as s:
        chat = s.exec(select(Chat).where(Chat.chat_key == "head:so-y-te")).one()
        deactivate_chat(s, chat, FRIDAY, tell_admins=False)
    refused = await web.sign_in(url)
    assert refused.status_code == 403 and "không còn được liên kết" in refused.text


# --- sessions -----------------------------------------------------------------------------


async def test_the_session_cookie_is_httponly_lax_and_secure_only_under_https(
    web: Web, engine: Engine
) -> None:
    signed = await web.sign_in(web.link(HEAD))
    cookie = signed.headers["set-cookie"]
    assert cookie.startswith("dondoc_session=")
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    assert f"Max-Age={int(SESSION_TTL.total_seconds())}" in cookie
    https = web_settings("https://dondoc.tinh.gov.vn")
    app = create_site(engine=engine, settings=https, key=prepare(engine, https, FRIDAY),
                      clock=web.clock)  # fmt: skip
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="https://dondoc.tinh.gov.vn"
    ) as client:
        secure = await web.sign_in(web.link(HEAD), client)
        assert "; secure" in secure.headers["set-cookie"]


async def test_a_session_ends_after_its_time(web: Web) -> None:
    await web.sign_in(web.link(HEAD))
    web.clock.now = FRIDAY + SESSION_TTL - timedelta(minutes=1)
    assert (await web.client.get("/tong-quan")).status_code == 200
    web.clock.now = FRIDAY + SESSION_TTL + timedelta(minutes=1)
    gone = await web.client.get("/tong-quan")
    assert gone.status_code == 401 and "gõ /web" in gone.text


async def test_unbinding_the_chat_ends_its_sessions(web: Web) -> None:
    await web.sign_in(web.link(HEAD))
    with session_scope(web.engine) as s:
        chat = s.exec(select(Chat).where(Chat.chat_key == "head:so-y-te")).one()
        deactivate_chat(s, chat, FRIDAY, tell_admins=False)
    assert (await web.client.get("/tong-quan")).status_code == 401


async def test_signing_out_needs_the_csrf_token_and_ends_the_session(web: Web) -> None:
    await web.sign_in(web.link(HEAD))
    page_ = await web.client.get("/tong-quan")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page_.text)
    assert csrf
    for data in ({}, {"csrf": ""}, {"csrf": "guessed"}):
        refused = await web.client.post("/dang-xuat", data=data)
        assert refused.status_code == 403 and "Biểu mẫu đã cũ" in refused.text
        assert (await web.client.get("/tong-quan")).status_code == 200  # still signed in
    out = await web.client.post("/dang-xuat", data={"csrf": csrf.group(1)})
    assert out.status_code == 200 and "đã đăng xuất" in out.text
    assert (await web.client.get("/tong-quan")).status_code == 401


async def test_the_sign_in_form_needs_its_csrf_token(web: Web) -> None:
    """Without the token the browser got with the form, a page elsewhere cannot post a
    link of its own to sign someone in as somebody else."""
    url = web.link(HEAD)
    refused = await web.client.post("/dang-nhap", data={"t": url.split("t=", 1)[1]})
    assert refused.status_code == 403
    assert (await web.sign_in(url)).status_code == 303  # the link is still good


def test_the_site_refuses_a_post_route_without_a_csrf_check(engine: Engine) -> None:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    from bot.web import site

    async def naked(_request: object) -> PlainTextResponse:
        return PlainTextResponse("")

    @page()
    def guarded(p: object) -> PlainTextResponse:
        return PlainTextResponse("")

    assert site._unprotected([Route("/x", naked, methods=["POST"])]) == ["/x"]
    assert site._unprotected([Route("/x", guarded, methods=["POST"]),
                              Route("/y", naked, methods=["GET"])]) == []  # fmt: skip


# --- pages and permissions ----------------------------------------------------------------


async def test_pages_need_a_session(web: Web) -> None:
    for path in ("/tong-quan", "/co-quan", "/co-quan/so-y-te", "/ke-hoach", "/ho-so",
                 "/quan-tri", "/tong-quan/bieu-do.png"):  # fmt: skip
        refused = await web.client.get(path)
        assert refused.status_code == 401 and "Chưa đăng nhập" in refused.text, path
    home = await web.client.get("/")
    assert home.status_code == 200 and "gõ /web" in home.text


async def test_a_head_sees_only_their_own_agency(web: Web) -> None:
    await web.sign_in(web.link(HEAD))
    own = await web.client.get("/co-quan/so-y-te")
    assert own.status_code == 200 and "<h1>Sở Y tế</h1>" in own.text
    other = await web.client.get("/co-quan/so-tu-phap")
    assert other.status_code == 403 and "chỉ xem được trang của cơ quan mình" in other.text
    assert "Rà soát quy trình nội bộ" not in other.text
    listing = await web.client.get("/co-quan")
    assert (listing.status_code, listing.headers["location"]) == (303, "/co-quan/so-y-te")
    assert (await web.client.get("/co-quan/khong-co")).status_code == 404
    assert (await web.client.get("/quan-tri")).status_code == 403


async def test_the_agency_page_shows_parts_and_their_history_escaped(web: Web) -> None:
    await web.sign_in(web.link(HEAD))
    page_ = (await web.client.get("/co-quan/so-y-te")).text
    lead = page_.split('id="lead"')[1].split("</table>")[0]
    assert "Công khai thủ tục hành chính &lt;b&gt;mới&lt;/b&gt;" in lead  # escaped, never markup
    assert "60%" in lead and "quá hạn" in lead and "30/11/2024" in lead
    assert "Đang thực hiện" in lead
    assert "Phối hợp <small>(0)</small>" in page_ and "Rà soát quy trình nội bộ" not in page_
    history = page_.split('id="history"')[1].split("</table>")[0]
    assert "Tiến độ: 0% → 60%" in history and "đang chờ ký" in history
    assert "Nguyễn Văn An (chat thử)" in history and "08:00 19/12/2024" in history


@pytest.mark.parametrize(("who", "shown"), [
    ("web:console:701 (Lê Văn Cường)", "Lê Văn Cường (web)"),
    ("web:telegram:9", "người dùng 9 (web)"),
    ("telegram:123 (Tên)", "Tên (Telegram)"),
    ("zalo:55 (Tên dài bị cắt", "Tên dài bị cắt (Zalo)"),
    ("import:000_sipas_2024.csv", "nhập tệp 000_sipas_2024.csv"),
    ("seed", "dữ liệu mẫu"),
    ("cli:admin", "quản trị viên (dòng lệnh)"),
    ("lịch:tự động", "lịch:tự động"),  # unknown: as it is
    ("fax:1 (X)", "fax:1 (X)"),
])  # fmt: skip
def test_an_actor_reads_as_a_person_or_what_did_it(who: str, shown: str) -> None:
    assert actor_label(who) == shown


async def test_the_history_says_statuses_and_actors_in_words(web: Web) -> None:
    with session_scope(web.engine) as s:
        part = s.exec(select(Assignment).where(Assignment.role == Role.LEAD)).first()
        assert part is not None
        for field, old, new, who in [("created", None, "open", "import:000_sipas_2024.csv"),
                                     ("status", "open", "snoozed", "seed"),
                                     ("due_on", None, "2025-01-31", "cli:admin")]:  # fmt: skip
            record_change(s, part, Actor(who), FRIDAY - timedelta(days=3), field, old, new)
    await web.sign_in(web.link(HEAD))
    history = (await web.client.get("/co-quan/so-y-te")).text.split('id="history"')[1]
    history = history.split("</table>")[0]
    assert "Giao việc: – → Đang thực hiện" in history and "nhập tệp 000_sipas_2024.csv" in history
    assert "Trạng thái: Đang thực hiện → Tạm dừng" in history and "dữ liệu mẫu" in history
    assert "Hạn: – → 31/01/2025" in history and "quản trị viên (dòng lệnh)" in history
    assert "import:" not in history and ">open<" not in history and "cli:admin" not in history


async def test_the_tasks_waiting_for_a_deadline_are_listed_or_linked(
    web: Web, province: Province
) -> None:
    waiting = province.add_task("Theo kế hoạch của tỉnh", lead="so-tu-phap",
                                text="Rà soát <i>thủ tục</i> liên thông")  # fmt: skip
    await web.sign_in(web.link(COORDINATOR))
    page_ = (await web.client.get("/tong-quan")).text
    assert '<a href="#cho-thoi-han"><b>1</b> nhiệm vụ chờ ghi thời hạn</a>' in page_
    listed = page_.split('id="waiting"')[1].split("</ul>")[0]
    assert f"<b>NV{waiting}</b>" in listed and "“Theo kế hoạch của tỉnh”" in listed
    assert "Rà soát &lt;i&gt;thủ tục&lt;/i&gt; liên thông" in listed  # escaped
    assert f'<a href="/ke-hoach/{province.plan_id}">' in listed
    assert '<a href="/co-quan/so-tu-phap">Sở Tư pháp</a>' in listed
    assert "/quan-tri/thoi-han" not in page_  # not theirs to set
    web.client.cookies.clear()
    await web.sign_in(web.link(ADMIN))
    page_ = (await web.client.get("/tong-quan")).text
    assert '<a href="/quan-tri/thoi-han"><b>1</b> nhiệm vụ chờ ghi thời hạn</a>' in page_
    assert 'id="waiting"' not in page_  # the admin's list is where it is set


async def test_an_agency_no_longer_there_is_listed_apart_with_its_successor(web: Web) -> None:
    with session_scope(web.engine) as s:
        agencies = {a.code: a for a in s.exec(select(Agency)).all()}
        record_agency_change(s, agency=agencies["so-tu-phap"], kind=ChangeKind.MERGED,
                             on=date(2024, 12, 1), act="Nghị quyết số 1/NQ-HĐND",
                             successors=[agencies["so-y-te"]], actor="test", now=FRIDAY)  # fmt: skip
        apply_due(s, date(2024, 12, 20), FRIDAY)
    await web.sign_in(web.link(COORDINATOR))
    listing = (await web.client.get("/co-quan")).text
    live = listing.split('id="agencies"')[1].split("</table>")[0]
    former = listing.split('id="former"')[1].split("</table>")[0]
    assert "Sở Tư pháp" not in live and '<a href="/co-quan/so-y-te">Sở Y tế</a>' in live
    assert "Việc chủ trì quá hạn" in listing  # what the figures count, said
    assert '<a href="/co-quan/so-tu-phap">Sở Tư pháp</a>' in former
    assert 'đã sáp nhập vào <a href="/co-quan/so-y-te">Sở Y tế</a> từ 01/12/2024' in former
    page_ = (await web.client.get("/co-quan/so-tu-phap")).text
    assert 'id="former"' in page_ and "đã sáp nhập vào" in page_.split('id="former"')[1][:300]
    coordinate = page_.split('id="coordinate"')[1].split("</table>")[0]
    assert 'Đã chuyển cho <a href="/co-quan/so-y-te">Sở Y tế</a>' in coordinate
    assert "(chủ trì và phối hợp)" in page_
    files = (await web.client.get("/ho-so")).text.split('name="co-quan"')[1].split("</select>")[0]
    live_options, gone = files.split("<optgroup")
    assert 'value="so-tu-phap"' not in live_options and 'value="so-y-te"' in live_options
    assert 'value="so-tu-phap">Sở Tư pháp (đã sáp nhập vào Sở Y tế từ 01/12/2024)' in gone


async def test_a_heads_overview_says_its_figures_count_lead_parts(web: Web) -> None:
    await web.sign_in(web.link(HEAD))
    page_ = (await web.client.get("/tong-quan")).text
    assert "việc chủ trì quá hạn" in page_ and "Quá hạn lâu nhất <small>(việc chủ trì)" in page_


async def test_a_coordinator_sees_the_province_and_any_agency(web: Web) -> None:
    await web.sign_in(web.link(COORDINATOR))
    overview = await web.client.get("/tong-quan")
    assert overview.status_code == 200 and "Tổng quan toàn tỉnh" in overview.text
    ranking = overview.text.split('id="ranking"')[1].split("</table>")[0]
    assert '<a href="/co-quan/so-tu-phap">Sở Tư pháp</a>' in ranking
    worst = overview.text.split('id="worst"')[1].split("</ul>")[0]
    assert worst.index("Sở Tư pháp") < worst.index("Sở Y tế")  # 15/11 before 30/11
    assert "Cơ quan chưa liên kết nhóm chat" in overview.text
    assert "nhiệm vụ đang chờ quản trị viên ghi ngày" in overview.text
    for code in ("so-y-te", "so-tu-phap", "so-noi-vu"):
        assert (await web.client.get(f"/co-quan/{code}")).status_code == 200
    justice = (await web.client.get("/co-quan/so-tu-phap")).text
    assert "Rà soát quy trình nội bộ" in justice.split('id="lead"')[1].split("</table>")[0]
    helping = justice.split('id="coordinate"')[1].split("</table>")[0]
    assert "Rà soát thủ tục hành chính" in helping  # Sở Y tế leads, Sở Tư pháp helps
    listing = await web.client.get("/co-quan")
    assert listing.status_code == 200 and '<a href="/co-quan/so-y-te">Sở Y tế</a>' in listing.text
    assert (await web.client.get("/quan-tri")).status_code == 403
    assert "/quan-tri" not in overview.text


async def test_an_admin_sees_everything_and_the_admin_section(web: Web) -> None:
    await web.sign_in(web.link(ADMIN))
    overview = await web.client.get("/tong-quan")
    assert "Tổng quan toàn tỉnh" in overview.text and 'href="/quan-tri"' in overview.text
    admin = await web.client.get("/quan-tri")
    assert admin.status_code == 200 and 'href="/quan-tri/nap"' in admin.text


async def test_the_overview_chart_is_the_digest_chart(web: Web) -> None:
    await web.sign_in(web.link(COORDINATOR))
    overview = await web.client.get("/tong-quan")
    # On a phone the chart is shrunk: a tap opens it at full size.
    assert '<a href="/tong-quan/bieu-do.png"><img src="/tong-quan/bieu-do.png"' in overview.text
    chart = await web.client.get("/tong-quan/bieu-do.png")
    assert chart.status_code == 200 and chart.headers["content-type"] == "image/png"
    assert chart.content.startswith(b"\x89PNG")


async def test_every_response_carries_the_security_headers(web: Web) -> None:
    responses = [await web.client.get(path) for path in
                 ("/", "/tong-quan", "/static/htmx.min.js", "/static/dondoc.css", "/khong-co")]  # fmt: skip
    responses.append(await web.client.post("/dang-xuat"))
    await web.sign_in(web.link(HEAD))
    responses.append(await web.client.get("/tong-quan"))
    for response in responses:
        for name, value in HEADERS.items():
            assert response.headers[name] == value, (response.url, name)
    csp = HEADERS["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "img-src 'self' data:" in csp and "unsafe-inline" not in csp
    assert responses[-1].headers["cache-control"] == "no-store"
    assert [r.status_code for r in responses[:5]] == [200, 401, 200, 200, 404]
    assert "Không có trang này" in responses[4].text


async def test_htmx_is_vendored_and_loaded_from_the_site(web: Web) -> None:
    htmx = await web.client.get("/static/htmx.min.js")
    assert htmx.status_code == 200 and b"htmx" in htmx.content[:2000]
    await web.sign_in(web.link(HEAD))
    page_ = (await web.client.get("/tong-quan")).text
    assert '<script src="/static/htmx.min.js" defer></script>' in page_
    assert "<script>" not in page_ and "style=" not in page_  # nothing the CSP would block


# --- settings -----------------------------------------------------------------------------


def test_web_settings_are_read_and_checked() -> None:
    settings = Settings.load({"WEB_PORT": "8081", "WEB_BASE_URL": "https://web.example.vn/"},
                             env_file=None)  # fmt: skip
    assert (settings.web_port, settings.web_url()) == (8081, "https://web.example.vn")
    plain = Settings.load({"WEB_PORT": "8081", "WEB_LISTEN": "0.0.0.0"}, env_file=None)  # noqa: S104
    assert plain.web_url() == "http://0.0.0.0:8081" and plain.web_url(9999) == "http://0.0.0.0:9999"
    assert Settings.load({}, env_file=None).web_port is None
    assert Settings.load({}, env_file=None).web_url() == "http://127.0.0.1:8080"
    with pytest.raises(SettingsError, match="WEB_BASE_URL: cần địa chỉ mở giao diện web"):
        Settings.load({"WEB_BASE_URL": "dondoc.tinh.gov.vn"}, env_file=None)
    with pytest.raises(SettingsError, match="WEB_BASE_URL"):
        Settings.load({"WEB_BASE_URL": "https://x.vn/?a=1"}, env_file=None)
    with pytest.raises(SettingsError, match="WEB_PORT: cần một cổng khác cổng theo dõi"):
        Settings.load({"WEB_PORT": "9100"}, env_file=None)
    with pytest.raises(SettingsError, match="WEB_PORT"):
        Settings.load({"WEB_PORT": "web"}, env_file=None)


def test_the_key_is_made_once_and_shared(engine: Engine) -> None:
    from bot.services.web_access import renew_key, site_key

    first = prepare(engine, web_settings(), FRIDAY)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert prepare(engine, web_settings("https://b.vn"), at(date(2024, 12, 21))) == first
    with session_scope(engine) as s:
        renew_key(s, FRIDAY)
    with session_scope(engine) as s:
        assert site_key(s, FRIDAY) != first


async def test_web_on_telegram_answers_the_link_as_valid_html(engine: Engine) -> None:
    """On the real python-telegram-bot stack, against the fake Bot API (which parses the
    HTML as Telegram does): the head's private chat gets a clickable link."""
    from tests.test_telegram import HEAD as HEAD_USER
    from tests.test_telegram import SYT_HEAD, bind, running_bot

    async with running_bot(engine) as (_app, fake, province):
        prepare(engine, web_settings(), FRIDAY)
        await bind(fake, province, SYT_HEAD, HEAD_USER, "so-y-te", ChatRole.HEAD)
        before = len(fake.sent)
        await fake.say(SYT_HEAD, HEAD_USER, "/web")
        sent = (await fake.wait_sent(before + 1))[-1]
    # Accepted: the fake parses the HTML as Telegram does, and refuses what it cannot.
    link = re.search(r'<a href="(http://dondoc\.test/dang-nhap\?t=[^"]+)">', str(sent["text"]))
    assert link, sent["text"]
    with Session(engine) as s:
        (issued,) = s.exec(select(WebLink)).all()
        chat = s.get(Chat, issued.chat_id)
    assert chat is not None and (chat.channel, chat.role) == ("telegram", ChatRole.HEAD)
    assert issued.user_id == str(HEAD_USER)


def codes_in(html: str, table: str) -> list[str]:
    """The part codes a table of the Cơ quan page shows, in order."""
    return re.findall(
        r"<td><b>(NV\d+)</b></td>", html.split(f'id="{table}"')[1].split("</table>")[0]
    )


async def test_the_agency_page_shows_its_parts_a_page_at_a_time(
    web: Web, province: Province, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each table pages on its own (``trang``, ``trang-ph``), counted in SQL, the view kept
    in the links; the figures count every part whatever the page."""
    monkeypatch.setattr(agencies_page, "PAGE_SIZE", 2)
    late = [province.add_task("Trước ngày 30/11/2024", text=f"Việc cũ {n}") for n in range(3)]
    for n in range(3):
        province.add_task("Trước ngày 31/12/2024", lead="so-tu-phap", coordinate=("so-y-te",),
                          text=f"Phối hợp {n}")  # fmt: skip
    await web.sign_in(web.link(HEAD))
    first = (await web.client.get("/co-quan/so-y-te")).text
    assert "Chủ trì <small>(5; 1–2)</small>" in first and len(codes_in(first, "lead")) == 2
    assert "Phối hợp <small>(3; 1–2)</small>" in first
    assert "<b>8</b> phần việc đang thực hiện" in first and "<b>4</b> quá hạn" in first
    assert 'href="/co-quan/so-y-te?trang=2" hx-get' in first
    assert 'href="/co-quan/so-y-te?trang-ph=2" hx-get' in first
    pages = [codes_in((await web.client.get(f"/co-quan/so-y-te?trang={n}")).text, "lead")
             for n in (1, 2, 3)]  # fmt: skip
    assert [len(x) for x in pages] == [2, 2, 1] and len({c for x in pages for c in x}) == 5
    assert codes_in((await web.client.get("/co-quan/so-y-te?trang=99")).text, "lead") == pages[2]
    overdue = (await web.client.get("/co-quan/so-y-te?xem=qua-han&trang=2",
                                    headers={"HX-Request": "true"})).text  # fmt: skip
    assert overdue.startswith('<div id="parts">') and "Chủ trì <small>(4; 3–4)</small>" in overdue
    assert set(codes_in(overdue, "lead")) <= {f"NV{n}" for n in late} | set(pages[0])
    assert 'href="/co-quan/so-y-te?xem=qua-han" hx-get' in overdue  # back to page 1, view kept
    assert 'href="/co-quan/so-y-te?xem=qua-han&amp;trang=2&amp;trang-ph=2"' not in overdue


async def test_the_agency_page_filters_its_parts_and_answers_htmx_with_the_parts_alone(
    web: Web,
) -> None:
    await web.sign_in(web.link(HEAD))
    full = await web.client.get("/co-quan/so-y-te?xem=qua-han")
    assert full.status_code == 200 and "<html" in full.text and 'id="history"' in full.text
    lead = full.text.split('id="lead"')[1].split("</table>")[0]
    assert "Công khai thủ tục" in lead and "Rà soát thủ tục" not in lead  # only the overdue
    assert "HX-Request" in full.headers["vary"]
    part = await web.client.get("/co-quan/so-y-te?xem=dang-lam", headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.text.startswith('<div id="parts">')
    assert "<html" not in part.text and 'id="history"' not in part.text
    assert "Công khai thủ tục" in part.text and "Rà soát thủ tục" in part.text
    assert 'href="/co-quan/so-y-te?xem=dang-lam" hx-get' in part.text
    assert 'aria-current="true">Đang thực hiện' in part.text
    # Going back in the browser's history asks for the whole page again.
    back = await web.client.get("/co-quan/so-y-te", headers={"HX-Request": "true",
                                                            "HX-History-Restore-Request": "true"})  # fmt: skip
    assert "<html" in back.text
    # A view that does not exist shows them all; another agency stays refused to htmx too.
    assert 'aria-current="true">Tất cả' in (await web.client.get("/co-quan/so-y-te?xem=x")).text
    refused = await web.client.get(
        "/co-quan/so-tu-phap?xem=qua-han", headers={"HX-Request": "true"}
    )
    assert refused.status_code == 403


async def test_web_on_zalo_answers_the_link_as_plain_text(engine: Engine) -> None:
    """Through Zalo's polling receiver against the fake Zalo Bot API: the head's private
    chat gets the link as plain text (Zalo shows no HTML), a group the refusal."""
    import asyncio

    from bot.channels.zalo import ZaloClient, poll
    from tests.fake_zalo import FakeZalo
    from tests.test_zalo import code
    from tests.test_zalo import say as zalo_say

    province = build_province(engine)
    prepare(engine, web_settings(), FRIDAY)
    fake = FakeZalo()
    client = ZaloClient("zalo-secret-token", "http://zalo.invalid/bot", transport=fake.transport)
    stop = asyncio.Event()
    poller = asyncio.create_task(poll(client, engine=engine, settings=Settings(),
                                      clock=lambda: FRIDAY, stop=stop, wait=1))  # fmt: skip
    try:
        await zalo_say(fake, "zc-head", f"/lienket {code(province, 'so-y-te', ChatRole.HEAD)}")
        answer = (await zalo_say(fake, "zc-head", "/web"))["text"]
        await zalo_say(fake, "zc-syt", f"/lienket {code(province, 'so-y-te', ChatRole.GROUP)}")
        group = (await zalo_say(fake, "zc-syt", "/web"))["text"]
    finally:
        stop.set()
        await poller
        await client.close()
    assert re.search(rf"{BASE}/dang-nhap\?t=\S+", answer) and "<a" not in answer, answer
    assert "Thủ trưởng, Sở Y tế" in answer
    assert "không gửi đường dẫn vào nhóm công tác" in group and "dang-nhap" not in group


async def test_the_province_overview_counts_the_files_late_today(web: Web) -> None:
    """The digest's table covers the files due this quarter and the last; a file late for
    longer is still counted, and linked, as late today."""
    from bot.models import TthcFile

    await signed_in(web, COORDINATOR)
    before = re.search(r'id="late-now">[^<]*<a href="/ho-so\?xem=tre-han">(\d+)</a>',
                       (await web.client.get("/tong-quan")).text)  # fmt: skip
    assert before
    with session_scope(web.engine) as s:
        agency = s.exec(select(Agency).where(Agency.code == "so-y-te")).one()
        s.add(TthcFile(code="HS-CU-1", procedure="Cấp phép", agency_id=agency.id,
                       received_at=FRIDAY - timedelta(days=400), original_due_on=date(2023, 11, 1),
                       due_on=date(2023, 11, 1)))  # fmt: skip
    after = re.search(r'id="late-now">[^<]*<a href="/ho-so\?xem=tre-han">(\d+)</a>',
                      (await web.client.get("/tong-quan")).text)  # fmt: skip
    assert after and int(after.group(1)) == int(before.group(1)) + 1


async def test_an_address_no_page_takes_keeps_the_menu_and_who_is_signed_in(web: Web) -> None:
    """/quan-tri/chat/ma/-1/thu-hoi (no route: an id is a number) is a 404 like a page's
    own: the menu and the sign-out button stay; signed out, the plain 404."""
    plain = await web.client.get("/quan-tri/chat/ma/-1/thu-hoi")
    assert plain.status_code == 404 and "Đăng xuất" not in plain.text
    await signed_in(web, ADMIN)
    for path in ("/quan-tri/chat/ma/-1/thu-hoi", "/khong-co"):
        missing = await web.client.get(path)
        assert missing.status_code == 404 and "Không có trang này" in missing.text
        assert '<nav aria-label="Chính">' in missing.text and "Đăng xuất" in missing.text
        assert 'href="/tong-quan"' in missing.text
    refused = await web.client.post("/quan-tri/chat/ma/-1/thu-hoi", data={})
    assert refused.status_code in (404, 405) and "Đăng xuất" in refused.text
