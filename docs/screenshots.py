"""The README's pictures of the web view: Tổng quan of the demo province, as the
coordinator sees it on a phone and on a desktop.

    .venv/bin/python docs/screenshots.py        # writes docs/web-tong-quan-*.png

The demo province (``dondoc demo``'s data, imported on 25/11/2024) with the answers its
groups gave in the following weeks (``/xong`` in each group: half the parts due at the
end of 2024 done on time, a third of those two years overdue done late), served by the
real web view on 20/12/2024 (a clock of its own, so that the pictures do not change with
the day they are taken) on a free local port; the coordinator asks ``/web`` in their
chat, opens the link in headless Chromium (Debian's ``chromium`` and ``chromium-driver``
through Selenium, as ``tests/test_web_browser.py``) and presses "Đăng nhập". Each PNG is
reduced to 256 colours (a page of text loses nothing) to stay small in the repository.
"""

from __future__ import annotations

import asyncio
import io
import shutil
import sys
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa
from PIL import Image
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script: the tests' chat helpers are imported

from bot.config import Settings  # noqa: E402
from bot.db import make_engine, session_scope, upgrade  # noqa: E402
from bot.domain.calendar import VIETNAM  # noqa: E402
from bot.models import Agency, Assignment, Role, Status  # noqa: E402
from bot.services.actions import Sender  # noqa: E402
from bot.services.demo import SEED_DAY, seed_demo  # noqa: E402
from bot.web.server import serving  # noqa: E402
from bot.web.site import create_site, prepare  # noqa: E402
from tests.chat import say  # noqa: E402
from tests.fake_zalo import free_port  # noqa: E402
from tests.web import Clock  # noqa: E402

DAY = datetime(2024, 12, 20, 8, 0, tzinfo=VIETNAM)
COORDINATOR = Sender("console", "dieu-phoi:so-noi-vu", "701", "Lê Văn Cường", private=True)
# Each picture: its file, the viewport's width and height (CSS pixels).
SHOTS = {"web-tong-quan-dien-thoai.png": (412, 915), "web-tong-quan-may-tinh.png": (1280, 900)}


def answer_some(engine: Engine) -> int:
    """The groups' answers after the import: ``/xong`` for half the lead parts due in
    December 2024 (a week before their day) and a third of those due before 2024 (late).
    Returns how many parts were answered."""
    with Session(engine) as s:
        parts = s.execute(
            sa.select(col(Assignment.id), col(Assignment.due_on), col(Agency.code))
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
            .where(col(Assignment.role) == Role.LEAD, col(Assignment.status) == Status.OPEN,
                   col(Assignment.due_on).is_not(None))
            .order_by(col(Assignment.id))
        ).all()  # fmt: skip
    answered = 0
    for n, (part_id, due_on, code) in enumerate(parts):
        if due_on >= date(2024, 12, 1) and due_on <= date(2024, 12, 31) and n % 2 == 0:
            when = datetime.combine(min(due_on, DAY.date()) - timedelta(days=7), DAY.timetz())
        elif due_on < date(2024, 1, 1) and n % 3 == 0:
            when = datetime.combine(SEED_DAY + timedelta(days=2 + n % 20), DAY.timetz())
        else:
            continue
        group = Sender("console", f"nhom:{code}", "501", "Cán bộ đầu mối")
        said = say(engine, group, f"/xong NV{part_id}", min(when, DAY - timedelta(hours=1)))
        answered += "NV" in said
    return answered


def browser(width: int, height: int) -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if chromium is None or driver is None:
        sys.exit("Cần chromium và chromium-driver (apt-get install chromium chromium-driver).")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--hide-scrollbars", "--force-device-scale-factor=1",
                 f"--window-size={width},{height}"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='dondoc-chromium-')}")
    return webdriver.Chrome(options=options, service=Service(executable_path=driver))


def shoot(link: str, width: int, height: int) -> bytes:
    """Sign in with ``link`` in a window of ``width`` × ``height``; Tổng quan once its
    chart is drawn, as a 256-colour PNG."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    found = browser(width, height)
    assert isinstance(found, WebDriver)
    try:
        # The viewport itself, whatever the window around it: a phone's is narrower than
        # the smallest window headless Chromium opens.
        found.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
            "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})  # fmt: skip
        wait = WebDriverWait(found, 30)
        found.get(link)
        wait.until(shown.element_to_be_clickable((By.ID, "sign-in"))).click()
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Tổng quan"))
        found.execute_script("document.querySelector('.chart img')?.setAttribute('loading', 'eager')")  # fmt: skip
        wait.until(lambda b: b.execute_script(
            "const i = document.querySelector('.chart img'); return !i || (i.complete && i.naturalWidth > 0)"))  # fmt: skip
        png = found.get_screenshot_as_png()
    finally:
        found.quit()
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).convert("RGB").quantize(256).save(out, "PNG", optimize=True)
    return out.getvalue()


async def serve_and_shoot(folder: Path) -> dict[str, bytes]:
    url = f"sqlite:///{folder / 'demo.db'}"
    upgrade(url)
    engine = make_engine(url)
    settings = Settings()
    with session_scope(engine) as s:
        seed_demo(s, settings, datetime.combine(SEED_DAY, DAY.timetz()))
    print(f"{answer_some(engine)} phần việc được báo xong trong các nhóm.")
    port = free_port()
    key = prepare(engine, settings, DAY, port)
    site = create_site(engine=engine, settings=settings, key=key, clock=Clock(DAY))
    shots = {}
    try:
        async with serving(site, "127.0.0.1", port, name="web server"):
            for name, (width, height) in SHOTS.items():
                answer = say(engine, COORDINATOR, "/web", DAY)
                link = answer.split('href="', 1)[1].split('"', 1)[0]
                shots[name] = await asyncio.to_thread(shoot, link, width, height)
    finally:
        engine.dispose()
    return shots


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="dondoc-screenshots-") as tmp:
        shots = asyncio.run(serve_and_shoot(Path(tmp)))
    for name, png in shots.items():
        (ROOT / "docs" / name).write_bytes(png)
        print(f"docs/{name}: {len(png) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
