"""A chat message that meets the database busy (another connection holding SQLite's write
lock past the busy timeout: a long import) is answered in a few Vietnamese words to send
it again, not with the driver's English error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.channels.zalo import handle_update
from bot.config import Settings
from bot.db import make_engine, upgrade
from tests.fake_zalo import FakeZalo, client_of
from tests.province import FRIDAY, build_province

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
