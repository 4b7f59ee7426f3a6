"""Hồ sơ trễ hạn on the web (httpx against the ASGI app): the late and at-risk files and
the letters issued, per agency, filtered in place by htmx; a head sees their agency's
only; the letters download as Word documents; the public page, with no sign-in, shows
the late files and the letters with the applicants' names shortened and nothing
internal; the Cơ quan page shows the agency's files and letters.

The story, on Friday 20/12/2024 (the site's clock), with three working days of warning:
Sở Y tế has a file late since 10/12 with no letter, one late since 18/12 whose letter
waits for the head, one first due 16/12 apologised for after the fact (on 17/12) and
now due 24/12, one first due 23/12 apologised for in time (on 19/12) and now due 25/12,
one due in January and one returned; Sở Tư pháp has a late file, and another one
apologised for and moved past the window."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings, SettingsError
from bot.db import session_scope
from bot.domain.applicants import public_name
from bot.domain.numbers import percent
from bot.models import Apology, ApologyState
from bot.reports.letter import text_of
from bot.services.actions import Sender
from bot.web.pages import files as files_page
from tests.chat import press, say
from tests.files import LateFile, add_late_files
from tests.province import FRIDAY, SETTINGS, at
from tests.web import ADMIN, COORDINATOR, GROUP, HEAD, Web, csrf_of, signed_in, web_settings

PUBLIC = "/cong-khai/ho-so-tre-han"
JUSTICE_GROUP = Sender("console", "group:so-tu-phap", "502", "Đỗ Minh Khoa")
JUSTICE_HEAD = Sender("console", "head:so-tu-phap", "602", "Võ Thị Hạnh")
FULL_NAMES = (
    "Nguyễn Văn Toàn",
    "Lê Thị Hồng Nhung",
    "Trần Quốc Bảo",
    "Hoàng Thị Mai",
    "Bùi Văn Hải",
)


def _file(code: str, due: str, holder: str, agency: str = "Sở Y tế", **kw: str) -> LateFile:
    return LateFile(code, kw.pop("procedure", "Cấp giấy phép hành nghề khám bệnh"), holder=holder,
                    agency=agency, received="15/11/2024 09:00", due=due, days=None,
                    address="12 Lê Lợi, phường 1", phone="0912345678",
                    status=kw.pop("status", "Đang xử lý"))  # fmt: skip


def _apologise(web: Web, officer: Sender, head: Sender | None, code: str, until: str,
               day: date) -> None:  # fmt: skip
    """``officer`` drafts the letter for ``code`` in the chat on ``day``; ``head``
    approves it the same day (None: it waits)."""
    now = at(day, 9)
    say(web.engine, officer, f"/xinloi {code}", now)
    say(web.engine, officer, f"Chờ ý kiến thẩm định của Bộ Y tế về hồ sơ {code}", now)
    say(web.engine, officer, until, now)
    if head is not None:
        with Session(web.engine) as s:
            pending = s.exec(select(Apology).where(Apology.state == ApologyState.PENDING)).one()
        assert "PXL" in press(web.engine, head, f"aa:{pending.id}", now)


@pytest.fixture
def story(web: Web, tmp_path: Path) -> Web:
    add_late_files(
        web.engine, tmp_path,
        _file("YT-LATE", "10/12/2024", "Nguyễn Văn Toàn"),
        _file("YT-WAIT", "18/12/2024", "Lê Thị Hồng Nhung"),
        _file("YT-AFTER", "16/12/2024", "Công ty TNHH Minh Phát"),
        _file("YT-TIMELY", "23/12/2024", "Trần Quốc Bảo",
              procedure="Cấp phép <script>alert(1)</script> quảng cáo"),
        _file("YT-LATER", "10/01/2025", "Phan Văn Lâm"),
        _file("YT-DONE", "05/12/2024", "Đặng Thu Hà", status="Đã trả kết quả"),
        _file("TP-LATE", "02/12/2024", "Hoàng Thị Mai", agency="Sở Tư pháp"),
        _file("TP-MOVED", "13/12/2024", "Bùi Văn Hải", agency="Sở Tư pháp"),
    )  # fmt: skip
    _apologise(web, GROUP, HEAD, "YT-AFTER", "24/12/2024", date(2024, 12, 17))
    _apologise(web, GROUP, HEAD, "YT-TIMELY", "25/12/2024", date(2024, 12, 19))
    _apologise(web, JUSTICE_GROUP, JUSTICE_HEAD, "TP-MOVED", "10/01/2025", date(2024, 12, 16))
    _apologise(web, GROUP, None, "YT-WAIT", "27/12/2024", date(2024, 12, 19))
    return web


def _rows(html: str, table: str) -> list[str]:
    """The rows of the table ``id=table``, tags stripped, blanks collapsed."""
    body = html.split(f'id="{table}"')[1].split("</table>")[0].split("<tbody>")[1]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in body.split("</tr>")[:-1]]


def _codes(html: str, table: str = "files-table") -> list[str]:
    return [row.split()[0] for row in _rows(html, table)]


def _letter_id(web: Web, code: str) -> int:
    with Session(web.engine) as s:
        from bot.models import TthcFile

        file = s.exec(select(TthcFile).where(TthcFile.code == code)).one()
        letter = s.exec(select(Apology).where(Apology.file_id == file.id)).one()
        assert letter.id is not None
        return letter.id


# --- the applicant's name on a published list ---------------------------------------------


@pytest.mark.parametrize(("name", "shown"), [
    ("Nguyễn Văn An", "Nguyễn V. A."),
    ("Phạm Thu Dung", "Phạm T. D."),
    ("Trương Văn Bảy", "Trương V. B."),  # "Trương" is a family name, not "trường"
    ("  nguyễn   thị  ánh ", "nguyễn T. Á."),
    ("ĐẶNG VĂN ĐỨC", "ĐẶNG V. Đ."),
    ("An", "A."),
    ("Ông Trần Minh", "Ông Trần M."),
    ("Nguyễn Văn An (ủy quyền cho Lê Văn Bình)", "Nguyễn V. A."),
    ("Nguyễn Văn An, đại diện Công ty X", "Nguyễn V. A."),
    ("Công ty TNHH Minh Phát", "Công ty TNHH Minh Phát"),
    ("HTX Nông nghiệp Tân Phú", "HTX Nông nghiệp Tân Phú"),
    ("Trường THPT Ngô Quyền", "Trường THPT Ngô Quyền"),
    ("Công ty X (người nộp: Nguyễn Văn An)", "Công ty X"),
    ("Hộ kinh doanh Lê Thị Hoa", "Hộ kinh doanh Lê T. H."),
    ("", "(không rõ tên)"),
    ("   ", "(không rõ tên)"),
    ("=1+1", "(không rõ tên)"),  # nothing to shorten: not "…Sở Y tế , nộp ngày"
    ("012345678901", "(không rõ tên)"),  # an id number is not published
])  # fmt: skip
def test_public_name_keeps_the_family_name_and_the_initials(name: str, shown: str) -> None:
    assert public_name(name) == shown


# --- who sees what ------------------------------------------------------------------------


async def test_files_pages_need_a_session(story: Web) -> None:
    for path in ("/ho-so", f"/ho-so/van-ban/{_letter_id(story, 'YT-AFTER')}.docx"):
        refused = await story.client.get(path)
        assert refused.status_code == 401 and "Chưa đăng nhập" in refused.text, path


async def test_a_head_sees_their_agency_files_with_how_late_and_the_letter(story: Web) -> None:
    await signed_in(story, HEAD)
    page = await story.client.get("/ho-so")
    assert page.status_code == 200 and "<h1>Hồ sơ trễ hạn – Sở Y tế</h1>" in page.text
    assert 'aria-current="page">Hồ sơ trễ hạn' in page.text  # the menu's section is on
    rows = _rows(page.text, "files-table")
    # The longest late first; returned, moved away, far off and other agencies' left out.
    assert [r.split()[0] for r in rows] == ["YT-LATE", "YT-WAIT", "YT-AFTER", "YT-TIMELY"]
    late, waiting, after, timely = rows
    assert "Nguyễn Văn Toàn" in late and "trễ 8 ngày làm việc" in late  # 10/12 → 20/12
    assert "Chưa có văn bản xin lỗi" in late and "đang chờ" not in late
    assert "trễ 2 ngày làm việc" in waiting and "đang chờ Thủ trưởng duyệt" in waiting
    assert "24/12/2024 hẹn lần đầu 16/12/2024" in after and "còn 2 ngày làm việc" in after
    assert "Xin lỗi muộn Số 01/PXL-SYT ngày 17/12/2024" in after
    assert "Đã xin lỗi đúng hạn Số 02/PXL-SYT ngày 19/12/2024" in timely
    assert "TP-LATE" not in page.text and "Hoàng Thị Mai" not in page.text
    assert 'name="co-quan"' not in page.text  # no agency to pick
    summary = _rows(page.text, "summary")
    assert summary == ["Sở Y tế 2 2 2"]  # late, late without a letter, at risk
    letters = _rows(page.text, "letters-table")
    assert [r.split()[0] for r in letters] == ["02/PXL-SYT", "01/PXL-SYT"]  # newest first
    assert "muộn" in letters[1] and "muộn" not in letters[0]


async def test_a_head_cannot_see_another_agency_nor_its_letters(story: Web) -> None:
    await signed_in(story, HEAD)
    other = await story.client.get("/ho-so?co-quan=so-tu-phap")
    assert other.status_code == 403 and "TP-LATE" not in other.text
    partial = await story.client.get("/ho-so?co-quan=so-tu-phap", headers={"HX-Request": "true",
                                                                            "HX-Target": "files"})  # fmt: skip
    assert partial.status_code == 403
    # Another agency's letter is answered as one that does not exist: no telling which do.
    refused = await story.client.get(f"/ho-so/van-ban/{_letter_id(story, 'TP-MOVED')}.docx")
    missing = await story.client.get("/ho-so/van-ban/9999.docx")
    assert refused.status_code == missing.status_code == 404 and "Bùi Văn Hải" not in refused.text
    assert refused.text == missing.text
    assert (await story.client.get("/ho-so?co-quan=khong-co")).status_code == 404


async def test_a_letter_downloads_as_the_word_document_the_group_received(story: Web) -> None:
    await signed_in(story, HEAD)
    page = (await story.client.get("/ho-so")).text
    link = f"/ho-so/van-ban/{_letter_id(story, 'YT-AFTER')}.docx"
    assert f'href="{link}"' in page
    got = await story.client.get(link)
    assert got.status_code == 200
    assert got.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert 'filename="xin-loi-YT-AFTER.docx"' in got.headers["content-disposition"]
    text = text_of(got.content)
    assert "01/PXL-SYT" in text and "Công ty TNHH Minh Phát" in text and "24/12/2024" in text
    assert "ngày 17 tháng 12 năm 2024" in text  # dated the day it was approved
    assert (await story.client.get("/ho-so/van-ban/9999.docx")).status_code == 404
    # A letter still waiting for the head has no document yet.
    waiting = await story.client.get(f"/ho-so/van-ban/{_letter_id(story, 'YT-WAIT')}.docx")
    assert waiting.status_code == 404


@pytest.mark.parametrize("who", [COORDINATOR, ADMIN])
async def test_the_province_roles_see_every_agency_and_pick_one(story: Web, who: Sender) -> None:
    await signed_in(story, who)
    page = await story.client.get("/ho-so")
    assert page.status_code == 200 and "<h1>Hồ sơ trễ hạn</h1>" in page.text
    assert _codes(page.text) == ["TP-LATE", "YT-LATE", "YT-WAIT", "YT-AFTER", "YT-TIMELY"]
    assert '<option value="so-tu-phap">Sở Tư pháp</option>' in page.text
    assert _rows(page.text, "summary") == ["Sở Y tế 2 2 2", "Sở Tư pháp 1 1 0"]
    assert '<a href="/ho-so?co-quan=so-tu-phap">Sở Tư pháp</a>' in page.text
    assert [r.split()[0] for r in _rows(page.text, "letters-table")] == [
        "02/PXL-SYT", "01/PXL-SYT", "01/PXL-STP"]  # fmt: skip
    justice = await story.client.get("/ho-so?co-quan=so-tu-phap")
    assert _codes(justice.text) == ["TP-LATE"]
    assert '<option value="so-tu-phap" selected>' in justice.text
    moved = f"/ho-so/van-ban/{_letter_id(story, 'TP-MOVED')}.docx"
    assert (await story.client.get(moved)).status_code == 200


# --- filters and htmx ---------------------------------------------------------------------


async def test_the_filters_narrow_the_list_in_sql(story: Web) -> None:
    await signed_in(story, COORDINATOR)
    cases = {
        "xem=tre-han": ["TP-LATE", "YT-LATE", "YT-WAIT"],
        "xem=sap-den-han": ["YT-AFTER", "YT-TIMELY"],
        "xin-loi=chua-co": ["TP-LATE", "YT-LATE", "YT-WAIT"],
        "xin-loi=dung-han": ["YT-TIMELY"],
        "xin-loi=muon": ["YT-AFTER"],
        "xem=tre-han&xin-loi=muon": [],
        "co-quan=so-y-te&xem=tre-han&xin-loi=chua-co": ["YT-LATE", "YT-WAIT"],
        "xem=khong-co&xin-loi=x&trang=abc": ["TP-LATE", "YT-LATE", "YT-WAIT", "YT-AFTER", "YT-TIMELY"],
    }  # fmt: skip
    for query, expected in cases.items():
        page = await story.client.get(f"/ho-so?{query}")
        assert page.status_code == 200, query
        shown = _codes(page.text) if expected else []
        assert shown == expected, query
        if not expected:
            assert "Không có hồ sơ nào." in page.text
    chosen = (await story.client.get("/ho-so?xem=tre-han&xin-loi=chua-co")).text
    assert '<option value="tre-han" selected>' in chosen
    assert '<option value="chua-co" selected>' in chosen
    assert "<h2>Trễ hạn, chưa có văn bản xin lỗi <small>(3 hồ sơ)" in chosen


async def test_htmx_gets_the_part_it_replaces(story: Web) -> None:
    await signed_in(story, COORDINATOR)
    page = (await story.client.get("/ho-so")).text
    assert 'hx-get="/ho-so" hx-target="#register"' in page
    hx = {"HX-Request": "true"}
    register = await story.client.get("/ho-so?xem=tre-han", headers={**hx, "HX-Target": "register"})
    assert register.text.startswith('<div id="register">') and "<html" not in register.text
    assert 'id="summary"' in register.text and 'id="letters"' in register.text
    assert "HX-Request" in register.headers["vary"]
    files = await story.client.get("/ho-so?xin-loi=dung-han", headers={**hx, "HX-Target": "files"})
    assert files.text.startswith('<section id="files">') and 'id="letters"' not in files.text
    assert _codes(files.text) == ["YT-TIMELY"]
    letters = await story.client.get("/ho-so?co-quan=so-tu-phap",
                                     headers={**hx, "HX-Target": "letters"})  # fmt: skip
    assert letters.text.startswith('<section id="letters">') and 'id="files"' not in letters.text
    assert [r.split()[0] for r in _rows(letters.text, "letters-table")] == ["01/PXL-STP"]
    back = await story.client.get("/ho-so", headers={**hx, "HX-History-Restore-Request": "true"})
    assert "<html" in back.text


async def test_the_list_is_paged(story: Web, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files_page, "PAGE_SIZE", 2)
    monkeypatch.setattr(files_page, "SUMMARY_SHOWN", 1)
    await signed_in(story, COORDINATOR)
    first = (await story.client.get("/ho-so?xem=tre-han")).text
    assert _codes(first) == ["TP-LATE", "YT-LATE"] and "(3 hồ sơ; 1–2)" in first
    assert 'href="/ho-so?xem=tre-han&amp;trang=2" hx-get="/ho-so?xem=tre-han&amp;trang=2"' in first
    second = await story.client.get("/ho-so?xem=tre-han&trang=2",
                                    headers={"HX-Request": "true", "HX-Target": "files"})  # fmt: skip
    assert _codes(second.text) == ["YT-WAIT"] and "Trang 2/2" in second.text
    beyond = (await story.client.get("/ho-so?xem=tre-han&trang=99")).text
    assert _codes(beyond) == ["YT-WAIT"]  # the last page there is
    # The agencies with the most late files first; the others folded away.
    assert _rows(first, "summary") == ["Sở Y tế 2 2 2"]
    assert "Xem thêm 1 cơ quan" in first and _rows(first, "summary-more") == ["Sở Tư pháp 1 1 0"]


async def test_user_text_is_escaped(story: Web) -> None:
    await signed_in(story, HEAD)
    page = (await story.client.get("/ho-so")).text
    assert "Cấp phép &lt;script&gt;alert(1)&lt;/script&gt; quảng cáo" in page
    assert "<script>alert" not in page
    public = (await story.client.get(f"{PUBLIC}?xem=van-ban")).text
    assert "&lt;script&gt;" in public and "<script>alert" not in public


# --- the public page ----------------------------------------------------------------------


async def test_the_public_page_needs_no_sign_in_and_shortens_names(story: Web) -> None:
    page = await story.client.get(PUBLIC)
    assert page.status_code == 200
    assert "Công khai hồ sơ thủ tục hành chính trễ hạn" in page.text
    rows = _rows(page.text, "public-files")
    assert [r.split()[0] for r in rows] == ["TP-LATE", "YT-LATE", "YT-WAIT"]  # late today only
    assert "Hoàng T. M." in rows[0] and "Sở Tư pháp" in rows[0] and "14 ngày làm việc" in rows[0]
    assert "Nguyễn V. T." in rows[1] and "Chưa có" in rows[1]
    for name in FULL_NAMES:
        assert name not in page.text, name
    for internal in ("12 Lê Lợi", "0912345678", "Đang xử lý", "Nguyễn Văn An", "Trần Thị Bình",
                     "console", "đang chờ", ".docx", 'name="csrf"', "Đăng xuất"):  # fmt: skip
        assert internal not in page.text, internal
    assert page.headers["cache-control"] == "public, max-age=300"
    assert "set-cookie" not in page.headers
    records = _rows(page.text, "records")
    assert any(r.startswith("Sở Y tế") for r in records)
    # Shares with a decimal comma, as Vietnamese writes them: "66,7%", never "66.7%".
    assert all(re.search(r"\d+,\d%|–", r) and not re.search(r"\d\.\d%", r) for r in records)


@pytest.mark.parametrize(("share", "shown"), [
    (2 / 3, "66,7%"), (1 / 6, "16,7%"), (0.0, "0,0%"), (1.0, "100,0%"), (None, "–"),
])  # fmt: skip
def test_a_share_is_written_with_a_decimal_comma(share: float | None, shown: str) -> None:
    assert percent(share) == shown


async def test_the_public_page_lists_the_letters_of_the_period(story: Web) -> None:
    page = await story.client.get(f"{PUBLIC}?xem=van-ban")
    rows = _rows(page.text, "public-letters")
    assert [r.split()[0] for r in rows] == ["02/PXL-SYT", "01/PXL-SYT", "01/PXL-STP"]
    assert "Trần Q. B." in rows[0] and "23/12/2024 → 25/12/2024" in rows[0]
    assert "Công ty TNHH Minh Phát" in rows[1]  # an organisation keeps its name
    assert "Chờ ý kiến thẩm định của Bộ Y tế" in rows[0]  # the reason the letter gives
    assert "YT-WAIT" not in page.text  # a draft is not a letter
    part = await story.client.get(f"{PUBLIC}?xem=van-ban",
                                  headers={"HX-Request": "true"})  # fmt: skip
    assert part.text.startswith('<div id="public-list">') and "<html" not in part.text
    assert "HX-Request" in part.headers["vary"]


async def test_the_public_page_looks_a_file_up_by_its_code(story: Web) -> None:
    """ "tra cứu theo mã hồ sơ": the code on the receipt, or its beginning; the letters too."""
    page = (await story.client.get(PUBLIC)).text
    assert 'role="search"' in page and 'name="ma"' in page and "Tra cứu theo mã hồ sơ" in page
    exact = (await story.client.get(PUBLIC, params={"ma": "YT-LATE"})).text
    assert _codes(exact, "public-files") == ["YT-LATE"] and "Nguyễn V. T." in exact
    assert "Nguyễn Văn Toàn" not in exact  # shortened, as the rest
    prefix = (await story.client.get(PUBLIC, params={"ma": " YT- "})).text
    assert _codes(prefix, "public-files") == ["YT-LATE", "YT-WAIT"]
    letters = (await story.client.get(PUBLIC, params={"xem": "van-ban", "ma": "YT-TIMELY"})).text
    assert [r.split()[0] for r in _rows(letters, "public-letters")] == ["02/PXL-SYT"]
    none = (await story.client.get(PUBLIC, params={"ma": "YT-DONE"})).text
    assert 'id="public-files"' not in none and "Không có hồ sơ đang trễ hạn nào có mã" in none
    assert "“YT-DONE”" in none
    odd = (await story.client.get(PUBLIC, params={"ma": "%_<b>"})).text  # LIKE's wildcards
    assert 'id="public-files"' not in odd and "“%_&lt;b&gt;”" in odd
    tabs = await story.client.get(PUBLIC, params={"ma": "YT"}, headers={"HX-Request": "true"})
    assert tabs.text.startswith('<div id="public-list">')
    assert 'href="/cong-khai/ho-so-tre-han?xem=van-ban&amp;ma=YT"' in tabs.text  # kept


async def test_the_public_page_is_the_same_for_a_signed_in_viewer(story: Web) -> None:
    """Whoever asks gets the page as the public sees it: nothing of the session (the name,
    the menu, the CSRF token), and a cache keeps it to that browser only."""
    anonymous = (await story.client.get(PUBLIC)).text
    await signed_in(story, COORDINATOR)
    signed = await story.client.get(PUBLIC)
    assert signed.text == anonymous
    assert "Lê Văn Cường" not in signed.text and "/tong-quan" not in signed.text
    assert signed.headers["cache-control"] == "private, max-age=300"


async def test_the_public_page_is_readable_on_a_phone(story: Web) -> None:
    page = (await story.client.get(PUBLIC)).text
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert page.count('<div class="scroll"><table') == 2  # wide tables scroll on their own
    assert "style=" not in page and "<script>" not in page


# --- the Cơ quan page ---------------------------------------------------------------------


async def test_the_agency_page_shows_its_late_files_and_letters(story: Web) -> None:
    await signed_in(story, HEAD)
    page = (await story.client.get("/co-quan/so-y-te")).text
    part = page.split('id="agency-files"')[1].split("</section>")[0]
    assert "2 hồ sơ trễ hạn (2 chưa có văn bản xin lỗi), 2 hồ sơ đến hạn" in part
    assert _codes(page, "agency-files-table") == ["YT-LATE", "YT-WAIT", "YT-AFTER", "YT-TIMELY"]
    assert [r.split()[0] for r in _rows(page, "agency-letters-table")] == ["02/PXL-SYT",
                                                                           "01/PXL-SYT"]  # fmt: skip
    assert "TP-LATE" not in page
    await signed_in(story, COORDINATOR)
    justice = (await story.client.get("/co-quan/so-tu-phap")).text
    assert _codes(justice, "agency-files-table") == ["TP-LATE"]
    assert "01/PXL-STP" in justice and "02/PXL-SYT" not in justice


async def test_the_public_page_keeps_the_letters_of_the_configured_period(story: Web) -> None:
    """``[apology] publish_days``: four days before Friday 20/12 is from Tuesday 17/12, so
    Sở Tư pháp's letter of Monday 16/12 is no longer listed."""
    from bot.web.site import create_site, prepare

    settings = replace(web_settings(), apology=replace(SETTINGS.apology, publish_days=4))
    app = create_site(engine=story.engine, settings=settings,
                      key=prepare(story.engine, settings, FRIDAY), clock=story.clock)  # fmt: skip
    async with story.client_of(app) as client:
        page = (await client.get(f"{PUBLIC}?xem=van-ban")).text
    assert [r.split()[0] for r in _rows(page, "public-letters")] == ["02/PXL-SYT", "01/PXL-SYT"]
    assert "từ ngày 17/12/2024" in page


def test_publish_days_is_read_from_the_configuration(tmp_path: Path) -> None:
    path = tmp_path / "dondoc.toml"
    path.write_text("[apology]\npublish_days = 30\n", encoding="utf-8")
    assert Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None).apology.publish_days == 30
    for bad, message in (("0", "cần từ 1 đến 3660 ngày, đang là 0"), ('"90"', "số nguyên")):
        path.write_text(f"[apology]\npublish_days = {bad}\n", encoding="utf-8")
        with pytest.raises(SettingsError, match=message):
            Settings.load({"DONDOC_CONFIG": str(path)}, env_file=None)


async def test_a_file_due_on_the_next_working_day_without_a_letter_says_today_is_the_last_day(
    story: Web, tmp_path: Path
) -> None:
    """Friday 20/12: a file due Monday 23/12 must have its letter sent today, as the
    chat's warning says; one whose letter waits for the head is being dealt with."""
    add_late_files(story.engine, tmp_path, _file("YT-MONDAY", "23/12/2024", "Vũ Thị Lan"))
    await signed_in(story, HEAD)
    page = (await story.client.get("/ho-so?xem=sap-den-han")).text
    [monday] = [r for r in _rows(page, "files-table") if r.startswith("YT-MONDAY")]
    assert "còn 1 ngày làm việc" in monday
    assert "Chưa có văn bản xin lỗi hôm nay là hạn chót gửi văn bản xin lỗi" in monday
    assert "hạn chót" not in "".join(r for r in _rows(page, "files-table") if "YT-MONDAY" not in r)


async def test_the_demo_day_shows_late_files_files_due_soon_and_a_letter(engine: Engine) -> None:
    """The README's demo (`dondoc demo`, `dondoc web --at "20/12/2024 08:00"`): on that day
    Hồ sơ trễ hạn, the public page and Tổng quan show late files, files due soon and the
    demo's letter (seed/files.csv's files were received in the weeks before)."""
    import httpx

    from bot.services.demo import DEMO_DAY, seed_demo
    from bot.web.site import create_site, prepare
    from tests.web import BASE

    day = at(DEMO_DAY)
    with session_scope(engine) as s:
        seed_demo(s, SETTINGS, day)
    key = prepare(engine, web_settings(), day)
    site = create_site(engine=engine, settings=web_settings(), key=key, clock=lambda: day)
    coordinator = Sender("console", "dieu-phoi:so-noi-vu", "701", "Lê Văn Cường", private=True)
    link = re.search(r'href="([^"]+)"', say(engine, coordinator, "/web", day))
    assert link
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=site), base_url=BASE) as client:
        form = await client.get(link.group(1))
        token = re.search(r'name="t" value="([^"]+)"', form.text)
        assert token
        signed = await client.post(
            "/dang-nhap", data={"csrf": csrf_of(form.text), "t": token.group(1)}
        )
        assert signed.status_code == 303
        files = (await client.get("/ho-so")).text
        overview = (await client.get("/tong-quan")).text
        public = (await client.get(PUBLIC)).text
        letters = (await client.get(f"{PUBLIC}?xem=van-ban")).text
    assert "Không có hồ sơ trễ hạn hay sắp đến hạn" not in files
    rows = re.findall(r'<tr><td><a href="/ho-so\?co-quan=[^"]+">[^<]*</a></td><td[^>]*>(\d+)</td>'
                      r"<td[^>]*>\d+</td><td>(\d+)</td></tr>", files)  # fmt: skip
    late, soon = sum(int(n) for n, _ in rows), sum(int(n) for _, n in rows)
    assert late > 5 and soon > 0, files
    assert "01/PXL-STP" in files and "STP-241203-0004" in letters
    late_now = re.search(r'id="late-now">Hồ sơ đang trễ hạn hôm nay: <a [^>]*>(\d+)', overview)
    assert late_now and int(late_now.group(1)) == late
    assert "Không có hồ sơ nào đang trễ hạn" not in public and "STP-241205-0030" in public


async def test_a_merged_agency_s_files_are_counted_under_its_successor(
    web: Web, tmp_path: Path
) -> None:
    """Sở Tư pháp returned a file late, then merged into Sở Y tế (its open file moved,
    the returned one stays its own): Tổng quan and the public statistics count both under
    Sở Y tế, as Hồ sơ trễ hạn does, not on a row of an agency that is gone."""
    from bot.domain.agency_history import ChangeKind
    from bot.models import Agency
    from bot.services.agency_changes import apply_due, record_change

    add_late_files(web.engine, tmp_path,
                   LateFile("TP-1", received="02/12/2024 09:00", status="Đã trả kết quả",
                            returned="16/12/2024 10:00"),
                   LateFile("TP-2", received="03/12/2024 09:00", status="Đang xử lý"),
                   LateFile("YT-1", agency="Sở Y tế", received="02/12/2024 09:00", status="Đang xử lý"))  # fmt: skip
    with session_scope(web.engine) as s:
        agencies = {a.code: a for a in s.exec(select(Agency)).all()}
        record_change(s, agency=agencies["so-tu-phap"], kind=ChangeKind.MERGED, on=date(2024, 12, 18),
                      act="Nghị quyết số 1/NQ-HĐND", successors=[agencies["so-y-te"]], actor="test",
                      now=FRIDAY)  # fmt: skip
        apply_due(s, date(2024, 12, 20), FRIDAY)
    await signed_in(web, COORDINATOR)
    overview = (await web.client.get("/tong-quan")).text
    table = overview.split('id="apologies"')[1].split("</table>")[0]
    rows = re.findall(r"<tr><td>(?:<a [^>]*>)?([^<]+)(?:</a>)?</td><td>(\d+)</td>", table)
    late_now = re.search(r'id="late-now">Hồ sơ đang trễ hạn hôm nay: <a [^>]*>(\d+)', overview)
    assert rows == [("Sở Y tế", "3")] and late_now and late_now.group(1) == "2"
    assert "kể cả hồ sơ đã trả kết quả muộn" in overview  # what each figure counts, said
    register = (await web.client.get("/ho-so")).text.split('id="summary"')[1].split("</table>")[0]
    assert "Sở Tư pháp" not in register and "Sở Y tế" in register
    public = (await web.client.get(PUBLIC)).text.split('id="records"')[1].split("</table>")[0]
    assert "Sở Tư pháp" not in public and "<tr><td>Sở Y tế</td><td>3</td>" in public
