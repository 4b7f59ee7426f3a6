"""The web view's Hồ sơ trễ hạn pages on a register of 100,000 files (issue 16: every
page < 1 s on such a register).

    .venv/bin/python -m bench.web_files_bench [--files 100000]

Builds digest_bench's register (20 agencies, appointments from July to December 2024,
80 % still open, so late; a third of those with a letter) in a SQLite file in a
temporary folder, serves the web view (the ASGI app, through httpx), signs in a
coordinator and a head by their one-time links as a person does, and times each page:
the province's and an agency's list under several filters, a deep page, the Cơ quan
page, the public page and its letters. Each figure is the median of three requests after
a first one (which fills the caches). Asserts nothing; speed never fails it.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

import httpx
from sqlalchemy.engine import Engine
from sqlmodel import col, select

from bench.args import count
from bench.digest_bench import build
from bench.table import Figure
from bot.config import Settings
from bot.db import make_engine, session_scope
from bot.domain.calendar import VIETNAM
from bot.models import Chat, ChatRole
from bot.services.web_access import issue_link
from bot.web.site import create_site, prepare

ISSUE_FILES = 100_000
AGENCIES = 20
NOW = datetime(2024, 12, 23, 8, tzinfo=VIETNAM)  # the Monday after the register's last day
BASE = "http://dondoc.bench"
PAGES = {
    ChatRole.COORDINATOR: ("/ho-so", "/ho-so?xem=tre-han&xin-loi=chua-co&trang=500",
                           "/ho-so?xin-loi=dung-han", "/ho-so?co-quan=a1", "/co-quan/a1"),
    ChatRole.HEAD: ("/ho-so", "/ho-so?xem=sap-den-han", "/co-quan/a0"),
    None: ("/cong-khai/ho-so-tre-han", "/cong-khai/ho-so-tre-han?xem=van-ban&trang=3"),
}  # fmt: skip


def run(files: int) -> dict[str, float]:
    """Seconds per page (``"role path"``) on a register of ``files`` files."""
    with tempfile.TemporaryDirectory(prefix="dondoc-web-files-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'web.db'}"
        build(url, AGENCIES, 1, max(1, files // AGENCIES))
        engine = make_engine(url)
        try:
            return asyncio.run(_time_pages(engine))
        finally:
            engine.dispose()


async def _time_pages(engine: Engine) -> dict[str, float]:
    settings = Settings(web_base_url=BASE)
    key = prepare(engine, settings, NOW)
    app = create_site(engine=engine, settings=settings, key=key, clock=lambda: NOW)
    timings: dict[str, float] = {}
    for role, paths in PAGES.items():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
            if role is not None:
                await _sign_in(client, engine, role)
            for path in paths:
                await client.get(path)
                seconds = []
                for _ in range(3):
                    t0 = time.perf_counter()
                    response = await client.get(path)
                    seconds.append(time.perf_counter() - t0)
                    assert response.status_code == 200, (path, response.status_code)
                timings[f"{role.label if role else 'công khai'} {path}"] = statistics.median(
                    seconds
                )
    return timings


async def _sign_in(client: httpx.AsyncClient, engine: Engine, role: ChatRole) -> None:
    """Ask a link for the first chat of ``role`` and press "Đăng nhập" with it."""
    with session_scope(engine) as s:
        chat = s.exec(select(Chat).where(Chat.role == role).order_by(col(Chat.id))).first()
        assert chat is not None
        link = issue_link(s, chat, user_id="1", user_name="Bench", now=NOW)
    assert link is not None
    form = (await client.get(link)).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form)
    token = re.search(r'name="t" value="([^"]+)"', form)
    assert csrf and token, form
    signed = await client.post("/dang-nhap", data={"csrf": csrf.group(1), "t": token.group(1)})
    assert signed.status_code == 303, signed.text


def figures(scale: float) -> list[Figure]:
    """The slowest page at ``scale`` × 100,000 files, against issue 16's 1 s."""
    files = max(AGENCIES, round(ISSUE_FILES * scale))
    timings = run(files)
    page, slowest = max(timings.items(), key=lambda item: item[1])
    note = "" if files == ISSUE_FILES else f"1 s at 100,000 files; here {files:,}"
    return [Figure(f"web: slowest files page, {files:,} files ({page})", slowest, "s", 1.0,
                   note=note, strict=True)]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--files", type=count(1_000_000), default=ISSUE_FILES,
                        help="files in the register, 1 to 1,000,000 (default 100,000)")  # fmt: skip
    args = parser.parse_args()
    for page, seconds in run(args.files).items():
        print(f"{seconds * 1000:8.0f} ms  {page}")


if __name__ == "__main__":
    main()
