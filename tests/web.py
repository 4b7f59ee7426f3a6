"""The web view's test harness: the demo province served by the ASGI app at :data:`BASE`,
a browser-like client that keeps cookies, the site's clock that tests move, and the
chats that sign in (a head, a group, the coordinator, an admin).

The ``web`` fixture is registered for every test by ``tests/conftest.py``."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import httpx
import pytest
from sqlalchemy.engine import Engine

from bot.config import Settings
from bot.services.actions import Sender
from bot.web.site import create_site, prepare
from tests.chat import say
from tests.province import FRIDAY, SETTINGS, Province

BASE = "http://dondoc.test"
HEAD = Sender("console", "head:so-y-te", "601", "Trần Thị Bình", private=True)
GROUP = Sender("console", "group:so-y-te", "501", "Nguyễn Văn An")
COORDINATOR = Sender("console", "coordinator", "701", "Lê Văn Cường")
ADMIN = Sender("console", "admin", "801", "Phạm Quản Trị", private=True)


@dataclass
class Clock:
    """The site's clock: tests move it."""

    now: datetime

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Web:
    engine: Engine
    clock: Clock
    client: httpx.AsyncClient

    def link(self, who: Sender) -> str:
        """What /web answers ``who`` in their chat, now: the link it holds."""
        answer = say(self.engine, who, "/web", self.clock.now)
        found = re.search(r'href="([^"]+)"', answer)
        assert found, answer
        return found.group(1)

    async def sign_in(self, url: str, client: httpx.AsyncClient | None = None) -> httpx.Response:
        """Open ``url`` and press "Đăng nhập", as a person does."""
        client = client or self.client
        form = await client.get(url)
        if form.status_code != 200:
            return form
        csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
        token = re.search(r'name="t" value="([^"]+)"', form.text)
        assert csrf and token, form.text
        return await client.post("/dang-nhap", data={"csrf": csrf.group(1), "t": token.group(1)})

    def client_of(self, app: object) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE)  # type: ignore[arg-type]


def web_settings(base: str = BASE) -> Settings:
    return replace(SETTINGS, web_base_url=base)


@pytest.fixture
async def web(engine: Engine, province: Province) -> AsyncIterator[Web]:
    """The demo province with a few parts (one overdue, one done by a chat answer), the web
    view published at :data:`BASE`, and a browser-like client (it keeps cookies)."""
    overdue = province.add_task("Trước ngày 30/11/2024", lead="so-y-te",
                                text="Công khai thủ tục hành chính <b>mới</b>")  # fmt: skip
    province.add_task("Trước ngày 31/12/2024", lead="so-y-te", coordinate=("so-tu-phap",))
    province.add_task("Trước ngày 15/11/2024", lead="so-tu-phap", text="Rà soát quy trình nội bộ")
    say(engine, GROUP, f"/tiendo NV{overdue} 60% đang chờ ký", FRIDAY - timedelta(days=1))
    clock = Clock(FRIDAY)
    key = prepare(engine, web_settings(), FRIDAY)
    app = create_site(engine=engine, settings=web_settings(), key=key, clock=clock)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        yield Web(engine, clock, client)


async def signed_in(web: Web, who: Sender) -> httpx.Response:
    """``who`` asks /web in their chat and signs in with the link, in ``web.client``."""
    answer = await web.sign_in(web.link(who))
    assert answer.status_code == 303, answer.text
    return answer


def csrf_of(page: str) -> str:
    """The CSRF token a page's forms carry."""
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)
