"""End to end in a real browser: a real ``dondoc web`` process on a SQLite file, /web
answered in a chat, Debian's Chromium (headless, through its chromium-driver and
Selenium) opening the link and pressing "Đăng nhập". The coordinator reads Tổng quan and
an agency's parts, nothing the Content-Security-Policy blocks on the way (htmx loads and
runs); an admin uploads a plan, reads its tasks in the preview, confirms it, sets the
deadline that could not be read, and finds that change in the agency's history.

Skipped where Chromium or its driver is not installed, unless ``DONDOC_REQUIRE_BROWSER=1``
(as ``.ci/run`` sets, after installing them) makes that a failure.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import select

from bot.db import make_engine, session_scope, upgrade
from bot.domain.calendar import VIETNAM
from bot.models import Agency, Plan
from bot.services.actions import Sender
from tests.chat import say
from tests.fake_zalo import free_port
from tests.province import FRIDAY, build_province
from tests.run_process import Bot
from tests.web import ADMIN, COORDINATOR, GROUP

CHROMIUM = shutil.which("chromium")
DRIVER = shutil.which("chromedriver")
SERVING, STOPPED = "Giao diện web đang chạy", "Giao diện web đã dừng"  # what dondoc web prints

if CHROMIUM is None or DRIVER is None:
    if os.environ.get("DONDOC_REQUIRE_BROWSER") == "1":
        pytest.fail("Chromium and chromium-driver are required (DONDOC_REQUIRE_BROWSER=1) but "
                    "not installed", pytrace=False)  # fmt: skip
    pytest.skip("chromium or chromium-driver not installed", allow_module_level=True)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[tuple[Engine, str, Bot]]:
    """The test province in a SQLite file, and ``dondoc web`` serving it."""
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    engine = make_engine(url)
    province = build_province(engine)
    province.add_task("Trước ngày 30/11/2024", lead="so-y-te", text="Công khai thủ tục hành chính")
    province.add_task("Trước ngày 15/11/2024", lead="so-tu-phap", text="Rà soát quy trình nội bộ")
    province.add_task("Năm 2030", lead="so-y-te", text="Số hóa hồ sơ lưu trữ")
    with session_scope(engine) as s:  # a long name, as real ones are: wider than a phone
        s.add(Agency(code="bql-kcn", kind="so", name="Ban Quản lý các khu công nghiệp, khu "
                     "kinh tế cửa khẩu và khu chế xuất tỉnh trực thuộc Ủy ban nhân dân tỉnh"))  # fmt: skip
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WEB_", "DONDOC_CONFIG"))}
    env |= {"DATABASE_URL": url, "WEB_PORT": str(port), "METRICS_PORT": "0"}
    web = Bot(tmp_path, env, command="web")
    try:
        web.wait_for(SERVING)
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


def _link(engine: Engine, base: str, who: Sender) -> str:
    """What /web answers ``who`` now: the link it holds. Made as the chat answers it, now:
    the web process checks it on its own clock."""
    answer = say(engine, who, "/web", datetime.now(VIETNAM))
    assert f'href="{base}/dang-nhap?t=' in answer
    return answer.split('href="', 1)[1].split('"', 1)[0]


def test_a_coordinator_signs_in_by_the_link_and_reads_the_overview(
    world: tuple[Engine, str, Bot],
) -> None:
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    engine, base, web = world
    link = _link(engine, base, COORDINATOR)
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
        # The link is spent: opened again while signed in, it goes straight on; after
        # signing out, it says it was used, and the signed-out pages say where to get one.
        browser.get(link)
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Tổng quan"))
        browser.find_element(By.XPATH, "//button[text()='Đăng xuất']").click()
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "main"), "đã đăng xuất"))
        browser.get(link)
        assert "đã được dùng" in browser.find_element(By.TAG_NAME, "main").text
    finally:
        browser.quit()
    assert web.stop() == 0
    web.wait_for(STOPPED)


PLAN = """Số kế hoạch,12/KH-UBND
Ngày ban hành,02/12/2024
STT,Nhiệm vụ,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp
I,CÔNG KHAI THỦ TỤC HÀNH CHÍNH,,,
1,Rà soát quy chế phối hợp một cửa,Theo kế hoạch của tỉnh,Sở Nội vụ,Sở Tư pháp
2,Công khai kết quả giải quyết hồ sơ,Trước ngày 31/12/2030,Sở Y tế,
"""


def test_an_admin_uploads_a_plan_confirms_it_and_sets_the_deadline_not_read(
    world: tuple[Engine, str, Bot], tmp_path: Path,
) -> None:  # fmt: skip
    from selenium.webdriver.common.by import By
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    engine, base, web = world
    plan = tmp_path / "ke-hoach-12.csv"
    plan.write_text(PLAN, encoding="utf-8")
    link = _link(engine, base, ADMIN)
    browser = _browser()
    assert isinstance(browser, WebDriver)

    def heading(text: str) -> None:
        wait.until(shown.text_to_be_present_in_element((By.TAG_NAME, "h1"), text))

    try:
        wait = WebDriverWait(browser, 30)
        browser.get(link)
        wait.until(shown.element_to_be_clickable((By.ID, "sign-in"))).click()
        heading("Tổng quan toàn tỉnh")
        browser.find_element(By.LINK_TEXT, "Quản trị").click()
        heading("Quản trị")
        browser.find_element(By.LINK_TEXT, "Nạp dữ liệu").click()
        heading("Nạp dữ liệu")
        # The plan chosen as a person chooses a file; "Kế hoạch" is the kind already chosen.
        assert browser.find_element(By.CSS_SELECTOR, 'input[value="tasks"]').is_selected()
        browser.find_element(By.ID, "tep").send_keys(str(plan))
        browser.find_element(By.ID, "upload").click()
        heading("Xem trước: ke-hoach-12.csv")
        rows = browser.find_element(By.ID, "rows").text
        assert "CÔNG KHAI THỦ TỤC HÀNH CHÍNH" in rows
        assert "Rà soát quy chế phối hợp một cửa" in rows and "Công khai kết quả" in rows
        assert "1 nhiệm vụ chưa có ngày cụ thể" in browser.find_element(By.ID, "summary").text
        browser.find_element(By.ID, "confirm").click()
        heading("Đã nhập: ke-hoach-12.csv")
        assert "Đã nhập kế hoạch 12/KH-UBND (mới): 2 nhiệm vụ" in browser.page_source
        browser.find_element(By.LINK_TEXT, "Đặt thời hạn cho các nhiệm vụ này").click()
        heading("Thời hạn chưa rõ")
        row = browser.find_element(By.CSS_SELECTOR, "#unspecified tbody tr")
        assert "“Theo kế hoạch của tỉnh”" in row.text
        row.find_element(By.NAME, "han").send_keys("31/03/2031")
        row.find_element(By.TAG_NAME, "button").click()
        wait.until(shown.text_to_be_present_in_element((By.ID, "done"), "nay: Hạn 31/03/2031"))
        # The audit trail: Sở Nội vụ's history names the change and the admin who made it.
        browser.get(f"{base}/co-quan/so-noi-vu")
        heading("Sở Nội vụ")
        history = browser.find_element(By.ID, "history").text
        assert "Thời hạn" in history and "31/03/2031" in history
        assert "Phạm Quản Trị (web)" in history
        # A 400 px phone: the chats page's long agency names do not widen the page.
        browser.set_window_size(400, 900)
        browser.get(f"{base}/quan-tri/chat")
        heading("Chat")
        wide = browser.execute_script(
            "return [document.documentElement.scrollWidth, document.documentElement.clientWidth,"
            " document.querySelector('select[name=co_quan]').getBoundingClientRect().right]"
        )
        assert wide[0] <= wide[1] and wide[2] <= wide[1], wide
        # Wide tables at 400 px: no column narrower than a date, the task's text readable
        # (not one word a line), the table scrolling in its box, never the page.
        with session_scope(engine) as s:
            plan_id = s.exec(select(Plan.id).where(Plan.number == "12/KH-UBND")).one()
        for address, table in (
            (f"/ke-hoach/{plan_id}", "plan-parts"),
            ("/co-quan/so-y-te", "lead"),
        ):
            browser.get(base + address)
            wait.until(shown.presence_of_element_located((By.ID, table)))
            laid = browser.execute_script(
                "const t = document.getElementById(arguments[0]);"
                "const w = [...t.querySelectorAll('th, td')].map(c => c.getBoundingClientRect().width);"
                "const cut = [...t.querySelectorAll('td')].filter(c => c.scrollWidth > c.clientWidth + 1).length;"
                "return [Math.min(...w), t.querySelector('td.text').getBoundingClientRect().width, cut,"
                " document.documentElement.scrollWidth, document.documentElement.clientWidth]", table)  # fmt: skip
            narrowest, task, cut, page_width, screen = laid
            assert narrowest >= 80 and task >= 230 and cut == 0 and page_width <= screen, (
                address,
                laid,
            )
        # A request for more time at 400 px: read as a card, its answers on the screen.
        asked = say(engine, GROUP, "/giahan NV1 15/01/2025 chờ ý kiến Bộ", FRIDAY)
        assert "15/01/2025" in asked and "Thủ trưởng" in asked, asked
        browser.get(f"{base}/co-quan/so-y-te")
        card = browser.execute_script(
            "const cells = [...document.querySelectorAll('#extensions tbody tr:first-child td')];"
            "return [cells.map(c => getComputedStyle(c, '::before').content),"
            " cells.map(c => Math.round(c.getBoundingClientRect().left)),"
            " [...document.querySelectorAll('#extensions form.decide button')]"
            "  .map(b => b.getBoundingClientRect().right)]")  # fmt: skip
        labels, lefts, right = card
        assert labels[3] == '"Xin đến: "' and len(set(lefts)) == 1, card  # one cell a line
        assert len(right) == 2 and max(right) <= screen, (right, screen)
        browser.save_screenshot(str(tmp_path / "agency-400px.png"))
        # The public page's search box takes the row; fields are touch targets (≥ 40 px).
        browser.get(f"{base}/cong-khai/ho-so-tre-han")
        box = browser.execute_script(
            "const r = document.getElementById('ma').getBoundingClientRect(); return [r.width, r.height]")  # fmt: skip
        assert box[0] >= 300 and box[1] >= 40, box
    finally:
        browser.quit()
    assert web.stop() == 0
