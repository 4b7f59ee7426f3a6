"""Quản trị over HTTP (httpx against the ASGI app): admins only; an upload's preview is
the import's dry run and writes nothing; "Xác nhận" imports that very upload, once, with
the admin in the audit trail; errors, wrong types, oversize and garbage files are
answered in Vietnamese; a deadline not read is set from the web, audited with who set
it, and shows in the Cơ quan page's history."""

from __future__ import annotations

import io
import re
import sqlite3
import zipfile
from datetime import UTC, timedelta
from pathlib import Path

import httpx
import openpyxl
import pytest
from sqlalchemy import create_engine
from sqlalchemy.exc import OperationalError
from sqlmodel import Session, select

from bot.cli.common import SEED
from bot.db import session_scope
from bot.importers.plans import MOST_PLAN_ROWS
from bot.models import Agency, Assignment, Plan, StatusUpdate, Task, TthcFile, WebUpload
from bot.services import uploads
from bot.services.actions import Sender
from bot.services.assignments import Actor, record_change
from tests.cli import Dondoc
from tests.docx_plans import SEED_PLANS, seed_document
from tests.web import ADMIN, COORDINATOR, HEAD, Web, csrf_of, signed_in

PLAN = """Số kế hoạch,12/KH-UBND
Ngày ban hành,02/12/2024
STT,Nhiệm vụ,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp
I,CÔNG KHAI THỦ TỤC HÀNH CHÍNH,,,
1,Rà soát thủ tục hành chính nội bộ,Theo kế hoạch của tỉnh,Sở Nội vụ,Sở Tư pháp
2,Công khai kết quả giải quyết hồ sơ,Trước ngày 31/12/2024,Sở Y tế,
"""


async def upload(
    web: Web, body: bytes | str, name: str = "ke-hoach.csv", kind: str = "tasks",
    csrf: str | None = None, **fields: str,
) -> httpx.Response:  # fmt: skip
    """The upload form sent as a browser sends it (multipart), with the page's CSRF token."""
    if csrf is None:
        csrf = csrf_of((await web.client.get("/quan-tri/nap")).text)
    content = body.encode() if isinstance(body, str) else body
    return await web.client.post("/quan-tri/nap", data={"csrf": csrf, "loai": kind, **fields},
                                 files={"tep": (name, content)}, follow_redirects=True)  # fmt: skip


def confirm_form(page: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(csrf|id|sha256)" value="([^"]+)"', page))
    assert set(fields) == {"csrf", "id", "sha256"}, page
    return fields


def counts(web: Web) -> tuple[int, int, int, int]:
    """Plans, tasks, parts, audit rows."""
    with Session(web.engine) as s:
        return (len(s.exec(select(Plan)).all()), len(s.exec(select(Task)).all()),
                len(s.exec(select(Assignment)).all()), len(s.exec(select(StatusUpdate)).all()))  # fmt: skip


# --- who may ------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/quan-tri", "/quan-tri/nap", "/quan-tri/thoi-han"])
@pytest.mark.parametrize("who", [HEAD, COORDINATOR])
async def test_only_admins_open_the_admin_pages(web: Web, who: object, path: str) -> None:
    await signed_in(web, who)  # type: ignore[arg-type]
    answer = await web.client.get(path)
    assert answer.status_code == 403 and "Không có quyền truy cập" in answer.text
    assert "Quản trị" not in re.findall(r"<nav.*?</nav>", answer.text, re.S)[0]


@pytest.mark.parametrize("who", [HEAD, COORDINATOR])
async def test_a_head_or_coordinator_cannot_upload_confirm_or_set_a_deadline(
    web: Web, who: object
) -> None:
    await signed_in(web, who)  # type: ignore[arg-type]
    csrf = csrf_of((await web.client.get("/tong-quan")).text)
    before = counts(web)
    assert (await upload(web, PLAN, csrf=csrf)).status_code == 403
    confirmed = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True,
                                      data={"csrf": csrf, "id": "x", "sha256": "y"})  # fmt: skip
    assert confirmed.status_code == 403
    set_ = await web.client.post("/quan-tri/thoi-han",
                                 data={"csrf": csrf, "ma": "NV1", "han": "31/12/2027"})  # fmt: skip
    assert set_.status_code == 403
    assert counts(web) == before


async def test_signed_out_the_admin_pages_ask_to_sign_in(web: Web) -> None:
    assert (await web.client.get("/quan-tri")).status_code == 401


async def test_the_admin_landing_page_links_to_each_admin_page(web: Web) -> None:
    await signed_in(web, ADMIN)
    page = await web.client.get("/quan-tri")
    assert page.status_code == 200 and "<h1>Quản trị</h1>" in page.text
    for path in ("/quan-tri/nap", "/quan-tri/thoi-han", "/quan-tri/lich", "/quan-tri/chat"):
        assert f'href="{path}"' in page.text
    assert 'aria-current="page">Quản trị</a>' in page.text


async def test_posts_without_their_csrf_token_are_refused(web: Web) -> None:
    await signed_in(web, ADMIN)
    before = counts(web)
    refused = await upload(web, PLAN, csrf="forged")
    assert refused.status_code == 403 and "Biểu mẫu đã cũ" in refused.text
    no_token = await web.client.post("/quan-tri/nap", data={"loai": "tasks"},
                                     files={"tep": ("a.csv", PLAN.encode())})  # fmt: skip
    assert no_token.status_code == 403
    shown = await upload(web, PLAN)
    fields = confirm_form(shown.text)
    confirmed = await web.client.post(
        "/quan-tri/nap/xac-nhan", follow_redirects=True, data={**fields, "csrf": ""}
    )
    assert confirmed.status_code == 403
    set_ = await web.client.post("/quan-tri/thoi-han", data={"ma": "NV1", "han": "31/12/2027"})
    assert set_.status_code == 403
    assert counts(web) == before


# --- upload, preview, confirm ---------------------------------------------------------------


async def test_the_preview_shows_the_rows_as_read_and_writes_nothing(web: Web) -> None:
    await signed_in(web, ADMIN)
    before = counts(web)
    shown = await upload(web, PLAN)
    assert shown.status_code == 200, shown.text
    text = shown.text
    assert "Xem trước (chưa ghi gì) kế hoạch 12/KH-UBND (mới): 2 nhiệm vụ (sẽ thêm 2" in text
    assert "CÔNG KHAI THỦ TỤC HÀNH CHÍNH" in text  # the section, among the tasks
    assert "Kế hoạch số 12/KH-UBND, ngày 02/12/2024" in text
    assert "Rà soát thủ tục hành chính nội bộ" in text and "Công khai kết quả" in text
    assert "“Theo kế hoạch của tỉnh”" in text and "Hạn 31/12/2024" in text
    assert "1 nhiệm vụ chưa có ngày cụ thể" in text
    assert "“Sở Tư pháp” → Sở Tư pháp (phối hợp)" in text
    assert 'id="confirm"' in text and "1 KB · chưa ghi gì vào dữ liệu" in text
    assert counts(web) == before  # the dry run rolled back
    with Session(web.engine) as s:
        (kept,) = s.exec(select(WebUpload)).all()
    assert kept.content == PLAN.encode() and kept.sha256 == uploads.digest(PLAN.encode())
    assert kept.confirmed_at is None and kept.kind == "tasks" and kept.filename == "ke-hoach.csv"


async def test_confirm_imports_that_upload_once_with_the_admin_as_actor(web: Web) -> None:
    await signed_in(web, ADMIN)
    plans, tasks, parts, _ = counts(web)
    fields = confirm_form((await upload(web, PLAN)).text)
    done = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True, data=fields)
    assert done.status_code == 200, done.text
    assert "Đã nhập kế hoạch 12/KH-UBND (mới): 2 nhiệm vụ (thêm 2" in done.text
    assert 'href="/quan-tri/thoi-han"' in done.text
    after = counts(web)
    assert after[:3] == (plans + 1, tasks + 2, parts + 3)
    with Session(web.engine) as s:
        plan = s.exec(select(Plan).where(Plan.number == "12/KH-UBND")).one()
        assert plan.source == "web:ke-hoach.csv"
        actors = set(s.exec(select(StatusUpdate.actor).where(StatusUpdate.field == "created")))
        assert "web:console:801 (Phạm Quản Trị)" in actors
        (kept,) = s.exec(select(WebUpload)).all()
        assert kept.confirmed_at is not None and kept.content == b""
    again = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True, data=fields)
    assert again.status_code == 200 and "đã được nhập lúc" in again.text
    assert counts(web) == after  # nothing twice


async def test_a_task_dropped_by_a_revised_plan_is_said_before_confirming(web: Web) -> None:
    """The preview says which tasks' parts the revision cancels; the plan's page then shows
    the dropped task by the number the plan gave it, never the key kept apart."""
    await signed_in(web, ADMIN)
    await web.client.post(
        "/quan-tri/nap/xac-nhan", data=confirm_form((await upload(web, PLAN)).text)
    )
    revised = PLAN.replace("1,Rà soát thủ tục hành chính nội bộ,Theo kế hoạch của tỉnh,Sở Nội vụ,"
                           "Sở Tư pháp\n2,", "1,")  # fmt: skip
    preview = await upload(web, revised, name="ke-hoach-sua.csv")
    said = ("Sẽ hủy 2 phần việc của 1 nhiệm vụ không còn trong kế hoạch (phần việc đã hoàn thành "
            "giữ nguyên): mục I.1 “Rà soát thủ tục hành chính nội bộ”")  # fmt: skip
    assert said in preview.text
    done = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True,
                                 data=confirm_form(preview.text))  # fmt: skip
    assert said.replace("Sẽ", "Đã", 1) in done.text
    with Session(web.engine) as s:
        plan = s.exec(select(Plan).where(Plan.number == "12/KH-UBND")).one()
        notes = s.exec(select(StatusUpdate.note).where(StatusUpdate.field == "status")).all()
    assert notes.count("bỏ khỏi kế hoạch khi nhập lại web:ke-hoach-sua.csv") == 2
    page = (await web.client.get(f"/ke-hoach/{plan.id}")).text
    assert "Rà soát thủ tục hành chính nội bộ" in page and "~" not in page


async def test_a_revision_dropping_an_appendix_is_dropped_when_ticked_as_the_whole_plan(
    web: Web,
) -> None:
    """Without the tick the preview keeps the appendix the file lacks and names the form's
    tick; with it, the confirmed import drops that appendix's tasks."""
    await signed_in(web, ADMIN)
    two = PLAN.replace("I,CÔNG KHAI", "Phụ lục 1,,,,\nI,CÔNG KHAI") + (
        "Phụ lục 2,,,,\n1,Số hóa hồ sơ,Quý III/2025,Sở Tư pháp,\n"
    )
    await web.client.post(
        "/quan-tri/nap/xac-nhan", data=confirm_form((await upload(web, two)).text)
    )
    revised = two.split("Phụ lục 2")[0]
    kept = await upload(web, revised, name="sua.csv")
    assert "giữ nguyên: mục PL2.1" in kept.text
    assert "tải lại tệp và chọn ô “Tệp là toàn bộ kế hoạch”" in kept.text
    assert "--whole-plan" not in kept.text
    preview = await upload(web, revised, name="sua.csv", toan_bo="1")
    assert "Sẽ hủy 1 phần việc của 1 nhiệm vụ không còn trong kế hoạch" in preview.text
    done = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True,
                                 data=confirm_form(preview.text))  # fmt: skip
    assert "Đã hủy 1 phần việc của 1 nhiệm vụ" in done.text
    with Session(web.engine) as s:
        task = s.exec(select(Task).where(Task.text == "Số hóa hồ sơ")).one()
        assert task.removed_in == "web:sua.csv"


async def test_a_reimport_preview_names_each_changed_task_and_the_warnings(web: Web) -> None:
    """What the command line's --dry-run says of a plan already imported, the web says."""
    await signed_in(web, ADMIN)
    await web.client.post(
        "/quan-tri/nap/xac-nhan", data=confirm_form((await upload(web, PLAN)).text)
    )
    changed = PLAN.replace("Trước ngày 31/12/2024", "Trước ngày 15/01/2025").replace(
        "Ngày ban hành,02/12/2024\n", ""
    )
    shown = (await upload(web, changed, name="ke-hoach-sua.csv")).text
    assert "sẽ sửa 1" in shown and "Nhiệm vụ sẽ sửa:" in shown
    assert "dòng 5 (mục I.2): Tiến độ “Trước ngày 31/12/2024” → “Trước ngày 15/01/2025”" in shown
    assert "Lưu ý: " not in shown  # the plan keeps the date it was imported with
    undated = changed.replace("12/KH-UBND", "13/KH-UBND")
    shown = (await upload(web, undated, name="ke-hoach-moi.csv")).text
    assert "Lưu ý: tệp không ghi ngày ban hành" in shown and "--date" not in shown
    assert "điền ô “Ngày ban hành” trên biểu mẫu tải lên" in shown  # the form, not the CLI


async def test_the_importers_messages_name_the_forms_fields_not_the_cli_options(web: Web) -> None:
    await signed_in(web, ADMIN)
    form = (await web.client.get("/quan-tri/nap")).text
    assert "Số kế hoạch <input" in form and "<small>(--number)</small>" not in form
    unnumbered = PLAN.replace("Số kế hoạch,12/KH-UBND\n", "")
    shown = await upload(web, unnumbered, name="khong-so.csv")
    assert (
        shown.status_code == 400
        and "--number" not in shown.text.split('id="problems"')[1].split("</section>")[0]
    )
    assert (
        "điền ô “Số kế hoạch” trên biểu mẫu tải lên, hoặc thêm dòng “Số kế hoạch: …” vào tệp"
        in shown.text
    )
    both = await upload(web, PLAN, name="co-cot.csv", chu_tri="Sở Y tế")
    assert both.status_code == 400 and "hãy để trống ô “Cơ quan chủ trì”" in both.text
    mapped = await upload(web, PLAN, name="map.csv", map="Không có=Sở Y tế")
    problems = mapped.text.split('id="problems"')[1].split("</section>")[0]
    assert mapped.status_code == 400 and "--map" not in problems
    assert "ô “Giao việc của cơ quan cũ cho cơ quan mới”" in problems


async def test_a_confirmation_must_carry_the_previewed_hash_and_be_in_time(web: Web) -> None:
    await signed_in(web, ADMIN)
    before = counts(web)
    fields = confirm_form((await upload(web, PLAN)).text)
    changed = await web.client.post(
        "/quan-tri/nap/xac-nhan", follow_redirects=True, data={**fields, "sha256": "0" * 64}
    )
    assert changed.status_code == 409 and "không còn đúng với bản đã xem trước" in changed.text
    unknown = await web.client.post(
        "/quan-tri/nap/xac-nhan", follow_redirects=True, data={**fields, "id": "nope"}
    )
    assert unknown.status_code == 404 and "Hãy tải tệp lên lại" in unknown.text
    web.clock.now += uploads.UPLOAD_TTL + timedelta(minutes=1)
    late = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True, data=fields)
    assert late.status_code == 404
    assert counts(web) == before


async def test_another_admin_cannot_confirm_someone_elses_upload(web: Web) -> None:
    await signed_in(web, ADMIN)
    fields = confirm_form((await upload(web, PLAN)).text)
    second = Sender("console", "admin", "802", "Admin Khác", private=True)
    async with web.client_of(web.client._transport.app) as other:  # type: ignore[attr-defined]
        assert (await web.sign_in(web.link(second), other)).status_code == 303
        csrf = csrf_of((await other.get("/quan-tri")).text)
        answer = await other.post("/quan-tri/nap/xac-nhan", data={**fields, "csrf": csrf})
    assert answer.status_code == 404


async def test_the_preview_and_the_import_are_pages_of_their_own(web: Web) -> None:
    """Post/Redirect/Get: each POST answers 303 to the upload's page, so reloading it or
    going Back shows the preview or the result again and sends nothing twice; the page is
    the uploader's only."""
    await signed_in(web, ADMIN)
    csrf = csrf_of((await web.client.get("/quan-tri/nap")).text)
    sent = await web.client.post("/quan-tri/nap", data={"csrf": csrf, "loai": "tasks"},
                                 files={"tep": ("ke-hoach.csv", PLAN.encode())})  # fmt: skip
    assert sent.status_code == 303
    page = sent.headers["location"]
    assert re.fullmatch(r"/quan-tri/nap/[\w-]{32}", page), page
    for _ in range(2):  # shown, then reloaded
        preview = await web.client.get(page)
        assert preview.status_code == 200 and 'id="confirm"' in preview.text
        assert "Xem trước (chưa ghi gì) kế hoạch 12/KH-UBND" in preview.text
    with Session(web.engine) as s:
        assert len(s.exec(select(WebUpload)).all()) == 1
    before = counts(web)
    done = await web.client.post("/quan-tri/nap/xac-nhan", data=confirm_form(preview.text))
    assert (done.status_code, done.headers["location"]) == (303, page)
    imported = counts(web)
    assert imported[:3] == (before[0] + 1, before[1] + 2, before[2] + 3)
    for _ in range(2):
        result = await web.client.get(page)
        assert result.status_code == 200 and "Đã nhập kế hoạch 12/KH-UBND (mới)" in result.text
        assert 'id="confirm"' not in result.text
    assert counts(web) == imported
    second = Sender("console", "admin", "802", "Admin Khác", private=True)
    async with web.client_of(web.client._transport.app) as other:  # type: ignore[attr-defined]
        assert (await web.sign_in(web.link(second), other)).status_code == 303
        assert (await other.get(page)).status_code == 404
    web.clock.now += timedelta(hours=2)
    assert (await web.client.get(page)).status_code == 404  # gone with the upload


async def test_errors_by_line_block_the_confirmation(web: Web) -> None:
    await signed_in(web, ADMIN)
    before = counts(web)
    bad = PLAN.replace("Sở Y tế,", "Sở Không Có,")
    shown = await upload(web, bad)
    assert shown.status_code == 400
    assert "chưa ghi gì vào dữ liệu" in shown.text and "dòng 6" in shown.text
    assert "Sở Không Có" in shown.text and "không có trong danh mục" in shown.text
    assert 'id="confirm"' not in shown.text and "Traceback" not in shown.text
    with Session(web.engine) as s:
        assert s.exec(select(WebUpload)).all() == []  # nothing kept to confirm
    assert counts(web) == before


@pytest.mark.parametrize(
    ("name", "body", "kind", "words"),
    [
        ("virus.exe", b"MZ\x90\x00", "tasks", "không phải loại nạp được"),
        ("ke-hoach.docx", b"not a zip at all", "agencies", "chỉ nhận .csv"),
        ("ke-hoach.xlsx", b"PK\x03\x04 garbage that is no workbook", "tasks", "Không thể nhập"),
        ("ke-hoach.docx", b"\x00\x01\x02garbage", "tasks", "Không thể nhập"),
        ("ke-hoach.pdf", b"%PDF-1.4 broken", "tasks", "Không thể nhập"),
        ("ke-hoach.csv", b"", "tasks", "trống"),
        ("ho-so.csv", "Mã hồ sơ\nHS1\n".encode(), "files", "không thấy dòng tiêu đề"),
    ],
)
async def test_wrong_types_and_garbage_are_answered_in_vietnamese(
    web: Web, name: str, body: bytes, kind: str, words: str
) -> None:
    await signed_in(web, ADMIN)
    before = counts(web)
    shown = await upload(web, body, name=name, kind=kind)
    assert shown.status_code == 400, shown.text
    assert words in shown.text and "Traceback" not in shown.text, shown.text[-3000:]
    assert 'id="confirm"' not in shown.text
    assert counts(web) == before


async def test_a_file_over_the_limit_is_refused_before_it_is_read(web: Web) -> None:
    await signed_in(web, ADMIN)
    big = b"x" * (uploads.MAX_UPLOAD + 100 * 1024)
    shown = await upload(web, big, name="lon.csv")
    assert shown.status_code == 413
    assert "vượt giới hạn 20 MB" in shown.text and "Tệp quá lớn" in shown.text
    with Session(web.engine) as s:
        assert s.exec(select(WebUpload)).all() == []


async def test_an_option_that_is_no_date_is_answered_with_the_form(web: Web) -> None:
    await signed_in(web, ADMIN)
    shown = await upload(web, PLAN, ngay="32/13/2024")
    assert shown.status_code == 400 and "không phải một ngày (dd/mm/yyyy" in shown.text
    assert 'value="32/13/2024"' in shown.text  # what was typed stays in the form


async def test_an_agency_registry_and_a_files_export_preview_then_import(web: Web) -> None:
    await signed_in(web, ADMIN)
    registry = "Mã,Tên cơ quan,Loại\nso-tai-chinh,Sở Tài chính,so\nso-y-te,Sở Y tế,so\n"
    shown = await upload(web, registry, name="co-quan.csv", kind="agencies")
    assert shown.status_code == 200, shown.text
    assert "Xem trước danh mục cơ quan (chưa ghi gì): sẽ thêm 1, sẽ cập nhật 0" in shown.text
    done = await web.client.post(
        "/quan-tri/nap/xac-nhan", follow_redirects=True, data=confirm_form(shown.text)
    )
    assert "Danh mục cơ quan: thêm 1" in done.text
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã hồ sơ", "Thủ tục", "Cơ quan giải quyết", "Ngày tiếp nhận", "Ngày hẹn trả"])
    sheet.append(["H01.1-241201-0001", "Cấp phép", "Sở Y tế", "02/12/2024 08:00", "10/12/2024"])
    data = io.BytesIO()
    book.save(data)
    shown = await upload(web, data.getvalue(), name="ho-so.xlsx", kind="files")
    assert shown.status_code == 200, shown.text
    assert "sẽ nhập 1 hồ sơ" in shown.text
    with Session(web.engine) as s:
        assert s.exec(select(TthcFile)).all() == []
    done = await web.client.post(
        "/quan-tri/nap/xac-nhan", follow_redirects=True, data=confirm_form(shown.text)
    )
    assert "Đã nhập 1 hồ sơ: thêm 1" in done.text
    with Session(web.engine) as s:
        assert len(s.exec(select(TthcFile)).all()) == 1


def _listed(page: str, which: str) -> list[str]:
    items = page.split(f'id="{which}">')[1].split("</ul>")[0]
    return [" ".join(re.sub(r"<[^>]+>", " ", li).split()) for li in items.split("</li>")[:-1]]


async def test_the_registry_and_files_previews_name_what_is_added_and_changed(web: Web) -> None:
    await signed_in(web, ADMIN)
    rows = "".join(f"so-moi-{i:02},Sở Mới {i:02},so,SM{i:02}\n" for i in range(12))
    registry = f"Mã,Tên cơ quan,Loại,Ký hiệu văn bản\nso-y-te,Sở Y tế <b>mới</b>,so,\n{rows}"
    shown = (await upload(web, registry, name="co-quan.csv", kind="agencies")).text
    assert "Sẽ thêm cơ quan <small>(12)</small>" in shown
    assert _listed(shown, "added") == [*(f"Sở Mới {i:02}" for i in range(10)), "và 2 cơ quan khác"]
    assert _listed(shown, "changed") == [  # escaped; the old name kept as another name
        "Sở Y tế: tên mới “Sở Y tế &lt;b&gt;mới&lt;/b&gt;”, tên gọi khác"
    ]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Mã hồ sơ", "Thủ tục", "Cơ quan giải quyết", "Ngày tiếp nhận", "Ngày hẹn trả"])
    sheet.append(["H01.1-241201-0001", "Cấp phép", "Sở Y tế", "02/12/2024 08:00", "10/12/2024"])
    data = io.BytesIO()
    book.save(data)
    first = await upload(web, data.getvalue(), name="ho-so.xlsx", kind="files")
    assert (
        _listed(first.text, "added") == ["H01.1-241201-0001"] and 'id="changed"' not in first.text
    )
    await web.client.post("/quan-tri/nap/xac-nhan", data=confirm_form(first.text))
    sheet.cell(2, 5).value = "12/12/2024"
    sheet.append(["H01.1-241201-0002", "Cấp phép", "Sở Y tế", "02/12/2024 08:00", "10/12/2024"])
    data = io.BytesIO()
    book.save(data)
    again = (await upload(web, data.getvalue(), name="ho-so-2.xlsx", kind="files")).text
    assert _listed(again, "added") == ["H01.1-241201-0002"]
    assert _listed(again, "changed") == ["H01.1-241201-0001: hẹn trả"]


# --- deadlines not read ---------------------------------------------------------------------


async def _imported(web: Web) -> str:
    """The plan imported from the web; the code of the part whose deadline was not read."""
    fields = confirm_form((await upload(web, PLAN)).text)
    assert (
        await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True, data=fields)
    ).status_code == 200
    page = await web.client.get("/quan-tri/thoi-han")
    codes = re.findall(r'name="ma" value="(NV\d+)"', page.text)
    assert len(codes) == 1, page.text
    return codes[0]


async def test_the_unread_deadlines_are_listed_with_the_plans_words(web: Web) -> None:
    await signed_in(web, ADMIN)
    code = await _imported(web)
    page = await web.client.get("/quan-tri/thoi-han")
    assert page.status_code == 200
    assert (
        "“Theo kế hoạch của tỉnh”" in page.text and "Rà soát thủ tục hành chính nội bộ" in page.text
    )
    assert "12/KH-UBND, mục I.1" in page.text and "Sở Nội vụ" in page.text
    assert f'id="task-{code}"' in page.text
    landing = await web.client.get("/quan-tri")
    assert "Thời hạn chưa rõ</a> <small>(1)</small>" in landing.text


async def test_setting_a_deadline_is_audited_with_who_and_shows_in_the_history(web: Web) -> None:
    await signed_in(web, ADMIN)
    code = await _imported(web)
    csrf = csrf_of((await web.client.get("/quan-tri/thoi-han")).text)
    done = await web.client.post("/quan-tri/thoi-han", follow_redirects=True,
                                 data={"csrf": csrf, "ma": code, "han": "31/03/2025"})  # fmt: skip
    assert [r.status_code for r in done.history] == [303] and done.status_code == 200, done.text
    assert "nay: <b>Hạn 31/03/2025" in done.text and "2 phần việc đổi hạn" in done.text
    assert "Không có nhiệm vụ nào chờ đặt thời hạn" in done.text
    with Session(web.engine) as s:
        trail = s.exec(select(StatusUpdate).where(StatusUpdate.field == "deadline")).all()
    assert {u.actor for u in trail} == {"web:console:801 (Phạm Quản Trị)"} and len(trail) == 2
    with Session(web.engine) as s:  # one change, one row: not a second "Hạn: – → 31/03/2025"
        assert not s.exec(select(StatusUpdate).where(StatusUpdate.field == "due_on")).all()
    history = await web.client.get("/co-quan/so-noi-vu")
    rows = re.search(r'<table id="history">.*?</table>', history.text, re.S)
    assert rows and "Thời hạn" in rows.group(0) and "31/03/2025" in rows.group(0)
    assert "Phạm Quản Trị (web)" in rows.group(0)


async def test_the_deadline_form_sent_again_writes_nothing_twice(web: Web) -> None:
    """A browser's "send the form again" (reload after the POST) sets nothing twice."""
    await signed_in(web, ADMIN)
    code = await _imported(web)
    csrf = csrf_of((await web.client.get("/quan-tri/thoi-han")).text)
    form = {"csrf": csrf, "ma": code, "han": "31/03/2025"}
    await web.client.post("/quan-tri/thoi-han", data=form)
    trail = counts(web)[3]
    again = await web.client.post("/quan-tri/thoi-han", data=form, follow_redirects=True)
    assert again.status_code == 200 and "đã có thời hạn này" in again.text
    assert counts(web)[3] == trail
    changed = await web.client.post("/quan-tri/thoi-han", data={**form, "han": "30/04/2025"},
                                    follow_redirects=True)  # fmt: skip
    assert "nay: <b>Hạn 30/04/2025" in changed.text and counts(web)[3] > trail
    # Reloading the page after it shows the list only, once: nothing is sent again.
    trail = counts(web)[3]
    reloaded = await web.client.get("/quan-tri/thoi-han")
    assert "nay: <b>" not in reloaded.text and counts(web)[3] == trail


async def test_a_bad_date_is_refused_in_vietnamese_and_a_past_one_warned(web: Web) -> None:
    await signed_in(web, ADMIN)
    code = await _imported(web)
    csrf = csrf_of((await web.client.get("/quan-tri/thoi-han")).text)
    before = counts(web)
    for text, words in (("31/02/2025", "không có thật"), ("khi nào xong", "Ghi một ngày"),
                        ("", "chưa nhập thời hạn")):  # fmt: skip
        refused = await web.client.post("/quan-tri/thoi-han",
                                        data={"csrf": csrf, "ma": code, "han": text})  # fmt: skip
        assert refused.status_code == 400 and words in refused.text, text
    unknown = await web.client.post("/quan-tri/thoi-han",
                                    data={"csrf": csrf, "ma": "NV999999", "han": "31/12/2025"})  # fmt: skip
    assert unknown.status_code == 400 and "không có phần việc" in unknown.text
    assert counts(web) == before
    past = await web.client.post("/quan-tri/thoi-han", follow_redirects=True,
                                 data={"csrf": csrf, "ma": code, "han": "01/12/2024"})  # fmt: skip
    assert past.status_code == 200
    assert "Lưu ý: thời hạn 01/12/2024 trước ngày ban hành kế hoạch (02/12/2024)" in past.text
    assert "thời hạn 01/12/2024 đã qua (hôm nay 20/12/2024)" in past.text
    far = await web.client.post("/quan-tri/thoi-han", follow_redirects=True,
                                data={"csrf": csrf, "ma": code, "han": "31/12/2099"})  # fmt: skip
    assert far.status_code == 200 and "Lưu ý: thời hạn 31/12/2099 xa hơn 5 năm kể từ hôm nay " \
        "(20/12/2024): hãy kiểm tra lại năm." in far.text  # fmt: skip
    near = await web.client.post("/quan-tri/thoi-han", follow_redirects=True,
                                 data={"csrf": csrf, "ma": code, "han": "30/11/2029"})  # fmt: skip
    assert near.status_code == 200 and "Lưu ý" not in near.text  # within 5 years: no warning


async def test_a_word_plan_names_its_errors_by_table_row_and_column(
    web: Web, tmp_path: Path
) -> None:
    await signed_in(web, ADMIN)
    document = seed_document(SEED_PLANS / "000_sipas_2024.csv", tmp_path).read_bytes()
    refused = await upload(web, document, name="KH-126.docx")
    assert refused.status_code == 400  # the test province has three agencies, not the seed's
    assert re.search(r"<td>Bảng 1, dòng \d+, cột Cơ quan chủ trì</td>", refused.text), refused.text
    assert 'id="confirm"' not in refused.text
    registry = (SEED / "agencies.csv").read_bytes()
    shown = await upload(web, registry, name="agencies.csv", kind="agencies")
    assert (
        await web.client.post(
            "/quan-tri/nap/xac-nhan", follow_redirects=True, data=confirm_form(shown.text)
        )
    ).status_code == 200
    shown = await upload(web, document, name="KH-126.docx")
    assert shown.status_code == 200, shown.text
    assert "Xem trước (chưa ghi gì) kế hoạch 126/KH-UBND" in shown.text
    assert "<td>Bảng 1, dòng 2</td><td>I</td>" in shown.text  # a section, among the tasks
    assert "<td>Bảng 1, dòng 3</td>" in shown.text and 'id="confirm"' in shown.text


async def test_a_reader_that_crashes_is_answered_without_a_traceback(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the reader fell over")

    monkeypatch.setattr("bot.web.pages.admin_import.run_import", crash)
    await signed_in(web, ADMIN)
    shown = await upload(web, PLAN)
    assert shown.status_code == 400
    assert "Không đọc được tệp “ke-hoach.csv”: tệp hỏng" in shown.text
    assert "fell over" not in shown.text and 'id="confirm"' not in shown.text


def test_the_command_line_previews_agencies_and_files_by_the_same_dry_run(tmp_path: Path) -> None:
    dondoc = Dondoc(tmp_path)
    shown = dondoc.ok("import", "agencies", str(SEED / "agencies.csv"), "--dry-run").output
    assert "Xem trước danh mục cơ quan (chưa ghi gì): sẽ thêm" in shown
    assert "sẽ thêm 0" not in shown
    again = dondoc.ok("import", "agencies", str(SEED / "agencies.csv")).output
    assert again.startswith("Danh mục cơ quan: thêm") and "thêm 0" not in again  # none before
    files = dondoc.ok("import", "files", str(SEED / "files.csv"), "--dry-run").output
    assert "Xem trước (chưa ghi gì): sẽ nhập" in files
    with Session(create_engine(dondoc.env["DATABASE_URL"])) as s:
        assert s.exec(select(TthcFile)).all() == []


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("ke-hoach.csv", "ke-hoach.csv"),
        ("C:\\Users\\an\\Kế hoạch 126.docx", "Kế hoạch 126.docx"),
        ("../../etc/passwd", "passwd"),
        ('<script>"x".pdf', "script_x_.pdf"),
        ("...", "tep"),
        ("a" * 300 + ".xlsx", "a" * 115 + ".xlsx"),
    ],
)
def test_an_uploaded_name_is_reduced_to_a_safe_name(given: str, kept: str) -> None:
    assert uploads.safe_name(given) == kept


async def test_an_upload_is_claimed_once_and_found_only_by_who_uploaded_it(web: Web) -> None:
    await signed_in(web, ADMIN)
    confirm_form((await upload(web, PLAN)).text)
    with Session(web.engine) as s:
        (kept,) = s.exec(select(WebUpload)).all()
        first = uploads.claim(s, kept, web.clock.now)
        second = uploads.claim(s, kept, web.clock.now)
        assert (first, second) == (True, False)
        mine = uploads.find(s, kept.id, chat_id=kept.chat_id, user_id="801", now=web.clock.now)
        theirs = uploads.find(s, kept.id, chat_id=kept.chat_id, user_id="802", now=web.clock.now)
        assert mine is not None and theirs is None


async def test_a_long_plan_previews_its_first_rows_and_says_how_many_it_read(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A browser on a phone holds a page of some hundred rows, not a plan of thousands."""
    from bot.web.pages import admin_import

    monkeypatch.setattr(admin_import, "ROWS_SHOWN", 3)
    await signed_in(web, ADMIN)
    lines = "".join(f"{n},Việc số {n},Trước ngày 31/12/2024,Sở Y tế,\n" for n in range(1, 8))
    plan = "Số kế hoạch,14/KH-UBND\nNgày ban hành,02/12/2024\nSTT,Nhiệm vụ,Tiến độ,Cơ quan chủ trì,Cơ quan phối hợp\n"
    shown = (await upload(web, plan + lines)).text
    assert "7 nhiệm vụ (sẽ thêm 7" in shown and 'id="confirm"' in shown
    table = shown.split('<table id="rows">')[1].split("</table>")[0]
    assert "Việc số 3" in table and "Việc số 4" not in table
    assert "3 dòng đầu trong 7 dòng đã đọc" in shown


# --- one upload must not hold up everyone ---------------------------------------------------


def swollen_zip(member: str, size: int = 20 * 1024 * 1024) -> bytes:
    """A zip of a few KB holding ``member`` of ``size`` bytes once unzipped (a "zip bomb")."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(member, b"a" * size)
    return out.getvalue()


async def test_a_plan_too_long_or_swelling_when_unzipped_is_refused_unread(web: Web) -> None:
    await signed_in(web, ADMIN)
    before = counts(web)
    rows = "".join(f"{i},Nhiệm vụ {i},Trước ngày 31/12/2024,Sở Y tế,\n"
                   for i in range(1, MOST_PLAN_ROWS + 1))  # fmt: skip
    shown = await upload(web, PLAN.split("I,")[0] + rows)
    assert shown.status_code == 400, shown.text[-2000:]
    assert "quá giới hạn 10.000 dòng của một kế hoạch" in shown.text
    for name, member in (("bom.xlsx", "xl/worksheets/sheet1.xml"),
                         ("bom.docx", "word/document.xml")):  # fmt: skip
        swollen = await upload(web, swollen_zip(member), name=name)
        assert swollen.status_code == 400, swollen.text[-2000:]
        assert "nội dung tệp khi giải nén lớn bất thường (20 MB từ tệp" in swollen.text
    assert counts(web) == before
    with Session(web.engine) as s:
        assert s.exec(select(WebUpload)).all() == []


async def test_the_preview_holds_no_write_lock_while_it_reads(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Sign-ins, chat messages and other uploads write while an admin's preview of a long
    plan runs: on SQLite nobody holds the one write lock meanwhile."""
    from bot.web.pages import admin_import

    free: list[bool] = []
    real = admin_import.run_import

    def probed(*args: object, **kwargs: object) -> object:
        if web.engine.dialect.name == "sqlite":
            other = sqlite3.connect(web.engine.url.database or "", timeout=0, isolation_level=None)
            try:
                other.execute("BEGIN IMMEDIATE")  # what a chat message's transaction begins
                other.execute("ROLLBACK")
                free.append(True)
            except sqlite3.OperationalError:
                free.append(False)
            finally:
                other.close()
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(admin_import, "run_import", probed)
    await signed_in(web, ADMIN)
    before = counts(web)
    shown = await upload(web, PLAN)
    assert "sẽ thêm 2" in shown.text and 'id="confirm"' in shown.text
    assert counts(web) == before  # the dry run wrote nothing, to the database or its copy
    assert free == ([True] if web.engine.dialect.name == "sqlite" else [])
    done = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True,
                                 data=confirm_form(shown.text))  # fmt: skip
    assert "Đã nhập kế hoạch 12/KH-UBND" in done.text


async def test_a_web_import_is_stamped_by_the_sites_clock_and_listed_first(web: Web) -> None:
    """``dondoc web --at`` moves the site's clock: a web import is in the audit trail at
    that time, never the machine's, and on top of the history though rows written before
    it were stamped later (a demo seeded by the real clock)."""
    with session_scope(web.engine) as s:
        part = s.exec(select(Assignment).join(Agency).where(Agency.code == "so-y-te")).first()
        assert part is not None
        record_change(s, part, Actor("seed"), web.clock.now + timedelta(days=300), "note", None,
                      None, "ghi trước, giờ thật")  # fmt: skip
    await signed_in(web, ADMIN)
    done = await web.client.post("/quan-tri/nap/xac-nhan", follow_redirects=True,
                                 data=confirm_form((await upload(web, PLAN)).text))  # fmt: skip
    assert "Đã nhập kế hoạch 12/KH-UBND" in done.text
    with Session(web.engine) as s:
        stamps = set(s.exec(select(StatusUpdate.at).where(StatusUpdate.actor.startswith("web:"))))
    site = web.clock.now.astimezone(UTC).replace(tzinfo=None)
    assert {t.replace(tzinfo=None) for t in stamps} == {site}
    history = (await web.client.get("/co-quan/so-y-te")).text.split('id="history"')[1]
    first = history.split("</tr>")[1]  # the header row, then the last change recorded
    assert "Phạm Quản Trị (web)" in first and "12/KH-UBND" in first, first


async def test_the_form_and_its_errors_speak_of_the_page_not_of_commands(web: Web) -> None:
    """A web admin is told what to fill in and upload here, never a command to run."""
    await signed_in(web, ADMIN)
    form = (await web.client.get("/quan-tri/nap")).text
    assert "Chỉ điền khi tệp không ghi rõ" in form and "--number" not in form
    files = ("Mã hồ sơ,Thủ tục,Cơ quan giải quyết,Ngày tiếp nhận,Ngày hẹn trả\n"
             "H01.1-241201-0001,Cấp phép,Sở Không Có,02/12/2024 08:00,10/12/2024\n")  # fmt: skip
    shown = await upload(web, files, name="ho-so.csv", kind="files")
    assert shown.status_code == 400
    assert "“Sở Không Có” không có trong danh mục" in shown.text
    assert "tải tệp Danh mục cơ quan lên ở trang này (loại “Danh mục cơ quan”)" in shown.text
    assert "dondoc import" not in shown.text and "chạy “" not in shown.text
    dots = "Mã,Tên cơ quan,Loại\n..,Sở Chấm Chấm,so\n.,Sở Chấm,so\n"
    refused = await upload(web, dots, name="co-quan.csv", kind="agencies")
    assert refused.status_code == 400 and "không chỉ gồm dấu chấm" in refused.text
    assert "mã “..”" in refused.text and "mã “.”" in refused.text


async def test_a_busy_database_during_an_import_is_not_called_a_broken_file(
    web: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's lock timeout (or SQLite's) while the file imports: the admin is asked
    to come back, not told the file is broken."""
    from bot.web.pages import admin_import

    def locked(*args: object, **kwargs: object) -> object:
        raise OperationalError("UPDATE task …", {}, sqlite3.OperationalError("database is locked"))

    await signed_in(web, ADMIN)
    monkeypatch.setattr(admin_import, "run_import", locked)
    answer = await upload(web, PLAN)
    assert answer.status_code == 503 and "Hệ thống đang bận xử lý dữ liệu" in answer.text
    assert "tệp hỏng" not in answer.text
