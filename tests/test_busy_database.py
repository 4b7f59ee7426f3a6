"""A chat message that meets the database busy (another connection holding SQLite's write
lock past the busy timeout: a long import) is answered in a few Vietnamese words to send
it again, not with the driver's English error."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import httpx

from bot.channels.zalo import handle_update
from bot.config import Settings
from bot.db import make_engine, upgrade
from bot.web.site import create_site, prepare
from tests.fake_zalo import FakeZalo, client_of
from tests.province import FRIDAY, build_province
from tests.web import BASE, HEAD, Clock, Web, web_settings

BUSY = "Hệ thống đang bận xử lý dữ liệu, đề nghị gửi lại sau ít phút."


async def test_a_message_meeting_the_write_lock_held_is_told_to_come_back(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    engine = make_engine(url, busy_timeout=0.1)
    build_province(engine)
    fake = FakeZalo()
    client = client_of(fake)
    other = sqlite3.connect(tmp_path / "dondoc.db", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # an import writing for minutes
    try:
        await handle_update(FakeZalo.private("zu-1", "/trogiup"), client=client, engine=engine,
                            settings=Settings(), clock=lambda: FRIDAY)  # fmt: skip
    finally:
        other.execute("ROLLBACK")
        other.close()
    (said,) = [m["text"] for m in fake.sent]
    assert BUSY in said and "locked" not in said and "lỗi" not in said
    # Once the lock is free, the same message is answered.
    await handle_update(FakeZalo.private("zu-1", "/trogiup"), client=client, engine=engine,
                        settings=Settings(), clock=lambda: FRIDAY)  # fmt: skip
    assert "Hướng dẫn" in fake.sent[-1]["text"]
    await client.close()
    engine.dispose()


async def test_a_web_form_meeting_the_write_lock_held_is_told_to_come_back(tmp_path: Path) -> None:
    """Signing in while an import holds the write lock: 503 in Vietnamese, not "Có lỗi";
    read-only pages still open; once the lock is free, the same form signs in."""
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    engine = make_engine(url, busy_timeout=0.1)
    build_province(engine)
    clock = Clock(FRIDAY)
    app = create_site(engine=engine, settings=web_settings(), clock=clock,
                      key=prepare(engine, web_settings(), FRIDAY))  # fmt: skip
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE) as client:
        web = Web(engine, clock, client)
        form = await client.get(web.link(HEAD))
        fields = dict(re.findall(r'name="(csrf|t)" value="([^"]+)"', form.text))
        other = sqlite3.connect(tmp_path / "dondoc.db", isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            refused = await client.post("/dang-nhap", data=fields)
            public = await client.get("/cong-khai/ho-so-tre-han")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert refused.status_code == 503 and BUSY in refused.text, refused.text[-1500:]
        assert "locked" not in refused.text and public.status_code == 200
        assert (await client.post("/dang-nhap", data=fields)).status_code == 303
    engine.dispose()
