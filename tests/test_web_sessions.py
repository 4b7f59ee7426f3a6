"""The web view's sessions over HTTP: signing out ends the session on the server (a copy
of its cookie opens nothing afterwards), a form or an htmx request after the session
ended says so, signing in lands on the page asked before, a link opened again by whoever
is already signed in for its chat goes straight on, and no redirect is built from what a
client says its host is."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, select

from bot.models import Plan, WebSession
from bot.web.auth import safe_landing
from tests.province import FRIDAY
from tests.web import BASE, COORDINATOR, HEAD, Web, csrf_of, signed_in

WHERE = "trong chat của Thủ trưởng, cơ quan theo dõi hoặc quản trị viên đã liên kết với dondoc"


def _plan(web: Web) -> int:
    with Session(web.engine) as s:
        found = s.exec(select(Plan.id)).one()
    assert found is not None
    return found


async def _sign_out(web: Web) -> httpx.Response:
    token = csrf_of((await web.client.get("/tong-quan")).text)
    return await web.client.post("/dang-xuat", data={"csrf": token})


async def test_a_cookie_replayed_after_signing_out_opens_nothing(web: Web) -> None:
    await signed_in(web, HEAD)
    copied = dict(web.client.cookies)
    assert (await _sign_out(web)).status_code == 200
    async with web.client_of(web.client._transport.app) as other:  # type: ignore[attr-defined]
        other.cookies.update(copied)
        replayed = await other.get("/tong-quan")
        assert replayed.status_code == 401 and WHERE in replayed.text
    with Session(web.engine) as s:
        ended = s.exec(select(WebSession)).one()
        assert ended.ended_at == FRIDAY and ended.user_id == "601"


async def test_sessions_long_past_are_pruned_as_new_ones_open(web: Web) -> None:
    await signed_in(web, HEAD)
    web.clock.now = FRIDAY + timedelta(days=2)
    await signed_in(web, HEAD)
    with Session(web.engine) as s:
        assert [r.started_at for r in s.exec(select(WebSession)).all()] == [web.clock.now]


async def test_a_stale_form_says_to_reload_in_plain_words(web: Web) -> None:
    await signed_in(web, COORDINATOR)
    refused = await web.client.post("/dang-xuat", data={"csrf": "from-another-session"})
    assert refused.status_code == 403
    assert "Biểu mẫu đã cũ" in refused.text and "tải lại trang" in refused.text
    assert "CSRF" not in refused.text.split("<main", 1)[1]
    assert (await web.client.get("/tong-quan")).status_code == 200


async def test_an_htmx_filter_after_signing_out_reloads_the_page(web: Web) -> None:
    plan = _plan(web)
    await signed_in(web, COORDINATOR)
    await _sign_out(web)
    part = await web.client.get(f"/ke-hoach/{plan}?co-quan=so-y-te",
                                headers={"HX-Request": "true", "HX-Target": "parts"})  # fmt: skip
    assert part.status_code == 401 and part.headers["hx-refresh"] == "true"
    assert "Sở Y tế" not in part.text.split("<main", 1)[1]  # no data, only how to sign in


async def test_signing_in_lands_on_the_page_asked_before(web: Web) -> None:
    asked = f"/ke-hoach/{_plan(web)}?qua-han=1&co-quan=so-y-te"
    refused = await web.client.get(asked)
    assert refused.status_code == 401 and WHERE in refused.text
    signed = await signed_in(web, HEAD)
    assert signed.headers["location"] == asked
    assert (await web.client.get(asked)).status_code == 200
    # Once: the next sign-in lands on the overview.
    await _sign_out(web)
    assert (await signed_in(web, HEAD)).headers["location"] == "/tong-quan"


async def test_an_image_or_an_htmx_part_is_not_remembered_as_the_page(web: Web) -> None:
    await web.client.get("/ho-so")
    await web.client.get("/tong-quan/bieu-do.png", headers={"Accept": "image/avif,image/*"})
    await web.client.get("/ke-hoach", headers={"HX-Request": "true"})
    assert (await signed_in(web, HEAD)).headers["location"] == "/ho-so"


@pytest.mark.parametrize("address", ["//evil.example/x", "https://evil.example/", "/\\evil.example",
                                     "ke-hoach", "/ke-hoach\n", "", None, "/" + "a" * 1000])  # fmt: skip
def test_only_a_path_of_this_site_is_a_landing(address: str | None) -> None:
    assert safe_landing(address) is None


def test_a_path_with_its_query_is_a_landing() -> None:
    assert safe_landing("/ke-hoach/3?qua-han=1&trang=2") == "/ke-hoach/3?qua-han=1&trang=2"
    assert safe_landing("/co-quan/%2F%2Fevil.example") == "/co-quan/%2F%2Fevil.example"


async def test_a_double_slash_in_the_query_stays_a_path_of_this_site(web: Web) -> None:
    await web.client.get("/ho-so?co-quan=%2F%2Fevil.example")
    assert (await signed_in(web, HEAD)).headers["location"] == "/ho-so?co-quan=%2F%2Fevil.example"


async def test_a_used_link_opened_again_by_its_signed_in_chat_goes_straight_on(web: Web) -> None:
    url = web.link(HEAD)
    form = await web.client.get(url)
    assert (await web.sign_in(url)).status_code == 303
    # The browser's Back: the form again, then its button pressed again.
    again = await web.client.get(url)
    assert (again.status_code, again.headers["location"]) == (303, "/tong-quan")
    pressed = await web.client.post("/dang-nhap", data={"csrf": csrf_of(form.text),
                                                        "t": url.split("t=", 1)[1]})  # fmt: skip
    assert pressed.status_code == 403  # a new session has a new token: the old form is stale
    token = csrf_of((await web.client.get("/tong-quan")).text)
    pressed = await web.client.post("/dang-nhap", data={"csrf": token, "t": url.split("t=", 1)[1]})
    assert (pressed.status_code, pressed.headers["location"]) == (303, "/tong-quan")
    bare = await web.client.get("/dang-nhap")
    assert (bare.status_code, bare.headers["location"]) == (303, "/tong-quan")


async def test_a_used_link_is_refused_to_anyone_else(web: Web) -> None:
    url = web.link(HEAD)
    await web.sign_in(url)
    async with web.client_of(web.client._transport.app) as other:  # type: ignore[attr-defined]
        refused = await other.get(url)
        assert refused.status_code == 400 and "đã được dùng" in refused.text
        assert WHERE in refused.text and "nhóm/chat để" not in refused.text
    # Signed in as the head, a coordinator's link still signs in as the coordinator.
    form = await web.client.get(web.link(COORDINATOR))
    assert form.status_code == 200 and "Đăng nhập" in form.text


async def test_no_redirect_is_built_from_the_host_header(web: Web) -> None:
    await signed_in(web, HEAD)
    for path in ("/ke-hoach/", "/tong-quan/", "/co-quan/so-y-te/"):
        answer = await web.client.get(path, headers={"Host": "evil.example"})
        assert answer.status_code == 404 and "location" not in answer.headers, path
    home = await web.client.get(f"{BASE}/")
    assert home.status_code == 303 and home.headers["location"] == "/tong-quan"
