"""End to end in a real browser: a real ``dondoc web`` process on a SQLite file, /web
answered in the coordinator's chat, Debian's Chromium (headless, through its
chromium-driver and Selenium) opening the link, pressing "Đăng nhập" and reading Tổng
quan; nothing the Content-Security-Policy blocks on the way (htmx loads and runs).

Skipped where Chromium or its driver is not installed, unless ``DONDOC_REQUIRE_BROWSER=1``
(as ``.ci/run`` sets, after installing them) makes that a failure.
"""

from __future__ import annotations

import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from bot.db import make_engine, upgrade
from bot.domain.calendar import VIETNAM
from bot.services.actions import Sender
from tests.chat import say
from tests.fake_zalo import free_port
from tests.province import build_province

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
COORDINATOR = Sender("console", "coordinator", "701", "Lê Văn Cường")
STARTUP = 60.0  # seconds the web may take to migrate and start on a busy machine

if CHROMIUM is None or DRIVER is None:
    if os.environ.get("DONDOC_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium and chromium-driver are required (DONDOC_REQUIRE_BROWSER=1) but "
                    "not installed", pytrace=False)  # fmt: skip
    pytest.skip("chromium or chromium-driver not installed", allow_module_level=True)


class WebProcess:
    """``dondoc web`` in ``folder`` with ``env``, its output read on a thread."""

    def __init__(self, folder: Path, env: dict[str, str]) -> None:
        self.log = folder / "web.log"
        with self.log.open("w") as log:
            self.proc = subprocess.Popen([sys.executable, "-m", "bot", "web"], cwd=folder,
                                         text=True, env=env, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=log)  # fmt: skip
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.said: list[str] = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def wait_for(self, text: str) -> str:
        deadline = time.monotonic() + STARTUP
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                pytest.fail(f"dondoc web ended ({self.proc.wait()}): {self.log.read_text()}")
            self.said.append(line)
            if text in line:
                return line
        pytest.fail(f"dondoc web did not say {text!r}: {''.join(self.said)} {self.log.read_text()}")

    def stop(self) -> int:
        """SIGTERM, then its exit code once it ended and all it printed was read."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        return code


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Engine, str, WebProcess]]:
    """The test province in a SQLite file, and ``dondoc web`` serving it."""
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    engine = make_engine(url)
    province = build_province(engine)
    province.add_task("Trước ngày 30/11/2024", lead="so-y-te", text="Công khai thủ tục hành chính")
    province.add_task("Trước ngày 15/11/2024", lead="so-tu-phap", text="Rà soát quy trình nội bộ")
    province.add_task("Năm 2030", lead="so-y-te", text="Số hóa hồ sơ lưu trữ")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "DONDOC_CONFIG"))}
    env |= {"DATABASE_URL": url, "WEB_PORT": str(port), "METRICS_PORT": "0"}
    web = WebProcess(tmp_path, env)
    try:
        web.wait_for("Giao diện web đang chạy")
        yield engine, f"http://127.0.0.1:{port}", web
    finally:
        web.stop()
        engine.dispose()


def _browser() -> object:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=412,915"):  # fmt: skip
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tempfile.mkdtemp(prefix='dondoc-chromium-')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(options=options, service=Service(executable_path=str(DRIVER)))


def test_a_coordinator_signs_in_by_the_link_and_reads_the_overview(
    world: tuple[Engine, str, WebProcess],
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    engine, base, web = world
    # The link is made as the chat answers it, now: the web process checks it on its clock.
    answer = say(engine, COORDINATOR, "/web", datetime.now(VIETNAM))
    assert f'href="{base}/dang-nhap?t=' in answer
    link = answer.split('href="', 1)[1].split('"', 1)[0]
    browser = _browser()
    assert isinstance(browser, WebDriver)
    try:
        # htmx swaps the parts' element: one read between its lookup and its text is stale.
        wait = WebDriverWait(browser, 30, ignored_exceptions=(StaleElementReferenceException,))
        browser.get(link)
        wait.until(shown.element_to_be_clickable((By.ID, "sign-in")))
        assert "cơ quan theo dõi, đôn đốc" in browser.find_element(By.TAG_NAME, "main").text
        browser.find_element(By.ID, "sign-in").click()
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Tổng quan toàn tỉnh"))
        assert browser.current_url == f"{base}/tong-quan"
        main = browser.find_element(By.TAG_NAME, "main").text
        assert "Quá hạn lâu nhất" in main and "Rà soát quy trình nội bộ" in main
        menu = [a.text for a in browser.find_elements(By.CSS_SELECTOR, "header nav a")]
        assert menu == ["Tổng quan", "Kế hoạch", "Cơ quan", "Hồ sơ trễ hạn"]
        # The chart is drawn and shown, htmx loaded and running, the stylesheet applied.
        wait.until(lambda b: b.execute_script(
            "const i = document.querySelector('.chart img'); return i && i.complete && i.naturalWidth > 0"))  # fmt: skip
        assert browser.execute_script("return typeof htmx === 'object' && !!htmx.version") is True
        assert browser.execute_script(
            "return getComputedStyle(document.querySelector('header')).borderBottomStyle") == "solid"  # fmt: skip
        blocked = [
            e for e in browser.get_log("browser") if "Content Security Policy" in e["message"]
        ]  # type: ignore[no-untyped-call]
        assert blocked == []
        # Cơ quan: choosing "Quá hạn" swaps the parts in place (htmx), the address follows.
        browser.find_element(By.LINK_TEXT, "Sở Y tế").click()
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Sở Y tế"))
        lead = browser.find_element(By.ID, "lead").text
        assert "Công khai thủ tục hành chính" in lead and "Số hóa hồ sơ lưu trữ" in lead
        browser.execute_script("window.stillThisPage = true")
        browser.find_element(By.LINK_TEXT, "Quá hạn").click()
        wait.until(lambda b: "Số hóa" not in b.find_element(By.ID, "lead").text)
        assert "Công khai thủ tục hành chính" in browser.find_element(By.ID, "lead").text
        assert browser.execute_script("return window.stillThisPage === true") is True
        assert browser.current_url == f"{base}/co-quan/so-y-te?xem=qua-han"
        assert "Lịch sử thay đổi" in browser.find_element(By.TAG_NAME, "main").text  # kept
        # The link is spent: opening it again says so.
        browser.get(link)
        assert "đã được dùng" in browser.find_element(By.TAG_NAME, "main").text
    finally:
        browser.quit()
    assert web.stop() == 0
    web.wait_for("Giao diện web đã dừng")
