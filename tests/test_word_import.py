"""Importing a plan from its Word document: the seed plans as Word lays them out give
the same tasks, agencies and deadlines as their CSV; documents of other shapes; problems
named by table, row and column; one transaction."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import docx
import pytest
from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import parse_xml
from docx.table import _Cell
from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bot.db import make_engine, session_scope, upgrade
from bot.importers.agencies import import_agencies
from bot.importers.errors import ImportFailed
from bot.importers.plans import PlanImportReport, import_plan
from bot.importers.rows import PlanMeta
from bot.importers.tabular import FileProblem
from bot.importers.word import read_document, read_word
from bot.models import Agency, Assignment, Plan, Section, Task
from tests.cli import Dondoc, one_error_line
from tests.docx_plans import (
    ABOVE,
    SEED_PLANS,
    PlanDocument,
    Span,
    TableRow,
    inner_table,
    nested_tables,
    read_seed,
    seed_document,
    struck_heading,
)
from tests.province import IMPORT_DAY, SETTINGS

ROOT = Path(__file__).resolve().parent.parent
HEADER = ["STT", "Nhiệm vụ cụ thể", "Tiến độ", "Cơ quan chủ trì", "Cơ quan phối hợp"]


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[Engine]:
    """A SQLite database holding the demo province's agency registry."""
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as session:
        import_agencies(session, ROOT / "seed" / "agencies.csv")
    yield engine
    engine.dispose()


def tasks_of(session: Session, number: str) -> dict[str, tuple[Any, ...]]:
    """Each task of the plan by key: its texts, its deadline as read, and its parts."""
    plan = session.exec(select(Plan).where(Plan.number == number)).one()
    sections = {
        s.id: s.key for s in session.exec(select(Section).where(Section.plan_id == plan.id))
    }
    out: dict[str, tuple[Any, ...]] = {}
    for task in session.exec(select(Task).where(Task.plan_id == plan.id)):
        parts = session.exec(
            select(Agency.code, Assignment.role, Assignment.due_on)
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
            .where(Assignment.task_id == task.id)
        ).all()
        out[task.key] = (
            task.number, task.text, task.indicator, task.target, task.result,
            task.deadline_text, task.deadline_kind, task.due_on, task.recurrence,
            task.deadline_detail, sections.get(task.section_id), sorted(parts),
        )  # fmt: skip
    return out


def _given(csv_meta: dict[str, str]) -> PlanMeta:
    """What an admin gives on the command line for a plan whose document leaves its number
    blank (seeds 001 and 003: the CSV's number is made up)."""
    if csv_meta["Số kế hoạch"][:1].isdigit():
        return PlanMeta()
    return PlanMeta(number=csv_meta["Số kế hoạch"], year=int(csv_meta["Năm"]))


@dataclass
class Compared:
    """A seed plan imported from its CSV and from a document, each rolled back after."""

    csv: PlanImportReport
    document: PlanImportReport
    expected: dict[str, tuple[Any, ...]]  # by task key, from the CSV
    got: dict[str, tuple[Any, ...]]  # by task key, from the document
    issued_on: date | None  # the plan's date as the document gave it (or as given)


def import_both(registry: Engine, csv_path: Path, document: Path) -> Compared:
    """Import the seed ``csv_path`` then ``document`` (the same plan printed), each in a
    transaction rolled back, with what an admin would give for it (:func:`_given`)."""
    meta, _, _ = read_seed(csv_path)
    with Session(registry) as session:
        from_csv = import_plan(session, csv_path, settings=SETTINGS, on=IMPORT_DAY)
        expected = tasks_of(session, from_csv.plan)
        session.rollback()
        from_document = import_plan(session, document, meta=_given(meta), settings=SETTINGS,
                                    on=IMPORT_DAY)  # fmt: skip
        got = tasks_of(session, from_document.plan)
        issued_on = session.exec(select(Plan.issued_on)).one()
        session.rollback()
    return Compared(from_csv, from_document, expected, got, issued_on)


@pytest.mark.parametrize("seed", sorted(p.name for p in SEED_PLANS.glob("*.csv")))
def test_word_version_of_each_seed_plan_gives_the_csv_tasks(
    registry: Engine, tmp_path: Path, seed: str
) -> None:
    csv_path = SEED_PLANS / seed
    meta, _, _ = read_seed(csv_path)
    both = import_both(registry, csv_path, seed_document(csv_path, tmp_path))
    from_csv, from_word, expected, got, issued_on = (both.csv, both.document, both.expected,
                                                     both.got, both.issued_on)  # fmt: skip
    assert from_word.plan == from_csv.plan
    assert list(got) == list(expected)
    for key in expected:
        assert got[key] == expected[key], key
    assert from_word.tasks_total == from_csv.tasks_total > 0
    assert from_word.assignments_total == from_csv.assignments_total
    assert [u.text for u in from_word.unspecified] == [u.text for u in from_csv.unspecified]
    if meta.get("Ngày ban hành"):  # read from the document, not given
        assert issued_on is not None and f"{issued_on:%d/%m/%Y}" == meta["Ngày ban hành"]


def test_the_document_states_number_date_title_and_appendix_leads(tmp_path: Path) -> None:
    plan = read_word(seed_document(SEED_PLANS / "002_dongnai_336_2024.csv", tmp_path))
    assert plan.meta.number == "336/KH-UBND"
    assert f"{plan.meta.issued_on:%d/%m/%Y}" == "15/10/2024"
    assert plan.meta.title.startswith("THỰC HIỆN CHỈ THỊ SỐ 36-CT/TU")
    assert [t.lead for t in plan.tables] == [
        "SỞ NỘI VỤ", "VĂN PHÒNG ỦY BAN NHÂN DÂN TỈNH", "SỞ THÔNG TIN VÀ TRUYỀN THÔNG",
        "ỦY BAN NHÂN DÂN CÁC HUYỆN, THÀNH PHỐ", "ỦY BAN NHÂN DÂN CÁC XÃ, PHƯỜNG, THỊ TRẤN",
    ]  # fmt: skip
    assert plan.tables[0].heading.startswith("Phụ lục 1: CÁC NHIỆM VỤ")
    # The signature table ("Nơi nhận", "CHỦ TỊCH") and the header block are no task tables.
    assert len(plan.tables) == 5

    sipas = read_word(seed_document(SEED_PLANS / "000_sipas_2024.csv", tmp_path))
    assert (sipas.meta.number, f"{sipas.meta.issued_on:%d/%m/%Y}") == ("126/KH-UBND", "03/06/2024")
    assert sipas.meta.title == "CÁC NHIỆM VỤ, GIẢI PHÁP NHẰM NÂNG CAO CHỈ SỐ SIPAS NĂM 2024"


def two_appendices(
    folder: Path, *, deadline: str = "Tháng 9/2025", name: str = "kh.docx", document: Any = None
) -> Path:
    """Sở Nội vụ's plan 12/KH-SNV: two appendices, one per lead. The first has a header of
    two rows ("Cơ quan thực hiện" over "Chủ trì" and "Phối hợp") and a row numbering the
    columns; the second has no lead column, "Thời gian hoàn thành" last, and a row broken
    over a page. Written by ``document`` where given (a PDF: ``PlanPdf``)."""
    document = document or PlanDocument()
    document.header_block(
        ["UBND TỈNH ĐỒNG NAI", "SỞ NỘI VỤ"], "12/KH-SNV", "Đồng Nai, ngày 10 tháng 01 năm 2025"
    )
    document.paragraph("KẾ HOẠCH", bold=True)
    document.paragraph("CẢI CÁCH HÀNH CHÍNH NĂM 2025")
    document.paragraph("Sở Nội vụ ban hành kế hoạch cải cách hành chính năm 2025 như sau:")
    document.signature(["Như trên;", "Lưu: VT, CCHC."], ["GIÁM ĐỐC", "Nguyễn Văn A"])
    document.page_break()
    document.paragraph("PHỤ LỤC I", bold=True)
    document.paragraph("NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP")
    document.paragraph("(Kèm theo Kế hoạch số 12/KH-SNV ngày 10/01/2025 của Sở Nội vụ)")
    document.table(
        5,
        [
            TableRow(["STT", "Nội dung công việc", Span("Cơ quan thực hiện", 2),
                      "Thời gian hoàn thành"], header=True),
            TableRow([ABOVE, ABOVE, "Chủ trì", "Phối hợp", ABOVE], header=True),
            TableRow(["(1)", "(2)", "(3)", "(4)", "(5)"]),
            TableRow([Span("I. RÀ SOÁT THỦ TỤC HÀNH CHÍNH", 5)]),
            TableRow(["1", "Rà soát TTHC:\n- lĩnh vực hộ tịch\n- lĩnh vực chứng thực", "Chủ trì",
                      "Sở Nội vụ\nVăn phòng UBND tỉnh", "Quý II/2025"]),
            TableRow(["2", "Công khai TTHC", "", "", ABOVE]),  # the deadline merged over both
            TableRow([Span("Nhiệm vụ khác", 5)]),
            TableRow(["3", "Báo cáo kết quả:\n#. 6 tháng\n#. năm", "Sở Y tế", "",
                      "Trước ngày 15/12/2025"]),
        ],
    )  # fmt: skip
    document.page_break()
    document.paragraph("PHỤ LỤC II", bold=True)
    document.paragraph("NHIỆM VỤ THUỘC TRÁCH NHIỆM THEO DÕI, QUẢN LÝ CỦA SỞ Y TẾ")
    document.table(
        4,
        [
            TableRow(["TT", "Nhiệm vụ", "Cơ quan phối hợp", "Thời gian hoàn thành"], header=True),
            TableRow(["1", "Kiểm tra công vụ tại các cơ sở y tế", "Sở Nội vụ", deadline]),
            TableRow(["2", "Số hóa hồ sơ, kết quả giải quyết thủ tục", "Sở Tư pháp", "Năm 2025"]),
            TableRow([ABOVE, "hành chính còn hiệu lực", ABOVE, ABOVE]),  # over a page
        ],
    )
    return Path(document.save(folder / name))


@pytest.mark.parametrize(
    ("kind", "lines", "title"),
    [
        (
            "KẾ HOẠCH",
            ["Nâng cao chỉ số SIPAS", "và PAR INDEX năm 2025"],
            "Nâng cao chỉ số SIPAS và PAR INDEX năm 2025",
        ),
        (
            "KẾ HOẠCH",
            ["Cải cách hành chính của tỉnh năm", "2025"],
            "Cải cách hành chính của tỉnh năm 2025",
        ),
        (
            "KẾ HOẠCH",
            ["NÂNG CAO CHỈ SỐ SIPAS", "VÀ PAR INDEX NĂM 2025"],
            "NÂNG CAO CHỈ SỐ SIPAS VÀ PAR INDEX NĂM 2025",
        ),
        ("K Ế  H O Ạ C H", ["Nâng cao chỉ số SIPAS"], "Nâng cao chỉ số SIPAS"),
        ("Đ Ề  Á N", ["Chuyển đổi số năm 2025"], "Chuyển đổi số năm 2025"),
    ],
)
def test_the_plans_title_is_the_block_under_its_kind_as_a_reader_takes_it(
    tmp_path: Path, kind: str, lines: list[str], title: str
) -> None:
    """A title over two paragraphs is kept whole, up to the first paragraph that is not
    the title (here the body, "Thực hiện …", starting with a capital); "KẾ HOẠCH" typed
    letter-spaced is "KẾ HOẠCH"."""
    document = PlanDocument()
    document.header_block(["SỞ NỘI VỤ"], "43/KH-SNV", "Đồng Nai, ngày 05 tháng 3 năm 2025")
    document.paragraph(kind, bold=True)
    for line in lines:
        document.paragraph(line, bold=True)
    document.paragraph("Thực hiện Chỉ thị số 36-CT/TU ngày 06/8/2024 của Ban Thường vụ Tỉnh ủy,")
    document.table(5, [TableRow(HEADER, header=True),
                       TableRow(["1", "Rà soát", "Quý I/2025", "Sở Nội vụ", ""])])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert plan.meta.title == title


def test_appendices_one_per_lead_merged_cells_bullets_and_a_two_row_header(
    registry: Engine, tmp_path: Path
) -> None:
    path = two_appendices(tmp_path)
    with session_scope(registry) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert report.plan == "12/KH-SNV" and report.tasks_new == 5
    assert report.issuer == "Sở Nội vụ"  # read from the header block
    assert report.notes == ["Bảng 1, dòng 7: dòng gộp ô không đánh số “Nhiệm vụ khác” không in "
                            "đậm, không in hoa như tên mục, không dùng làm mục"]  # fmt: skip
    with Session(registry) as s:
        plan = s.exec(select(Plan)).one()
        assert (plan.title, f"{plan.issued_on:%d/%m/%Y}") == ("CẢI CÁCH HÀNH CHÍNH NĂM 2025",
                                                            "10/01/2025")  # fmt: skip
        got = tasks_of(s, "12/KH-SNV")
        leads = dict(s.exec(select(Task.key, Task.lead_text)).all())
    assert list(got) == ["PL1.I.1", "PL1.I.2", "PL1.I.3", "PL2.1", "PL2.2"]
    # The appendix's lead as the register names it, not in the title's capitals.
    assert [t.lead for t in report.tables] == ["Sở Tư pháp", "Sở Y tế"]
    assert (leads["PL1.I.2"], leads["PL1.I.3"], leads["PL2.1"]) == ("Sở Tư pháp", "Sở Y tế",
                                                                  "Sở Y tế")  # fmt: skip
    text, due, section, parts = 1, 7, 10, 11
    lead, coordinate = "lead", "coordinate"
    # "Chủ trì" in the lead cell: the appendix's lead; one coordinating agency a paragraph.
    assert got["PL1.I.1"][text] == "Rà soát TTHC: - lĩnh vực hộ tịch - lĩnh vực chứng thực"
    assert [(c, r) for c, r, _ in got["PL1.I.1"][parts]] == [
        ("so-noi-vu", coordinate), ("so-tu-phap", lead), ("vp-ubnd", coordinate)]  # fmt: skip
    assert got["PL1.I.1"][section] == "PL1.I"
    # An empty lead cell: the appendix's lead; the deadline merged from the row above.
    assert [(c, r) for c, r, _ in got["PL1.I.2"][parts]] == [("so-tu-phap", lead)]
    assert got["PL1.I.2"][due] == got["PL1.I.1"][due] == date(2025, 6, 30)
    # A lead of its own stays; a numbered list keeps its numbers.
    assert got["PL1.I.3"][text] == "Báo cáo kết quả: 1. 6 tháng 2. năm"
    assert [(c, r) for c, r, _ in got["PL1.I.3"][parts]] == [("so-y-te", lead)]
    # No lead column: the appendix's title names it; "Thời gian hoàn thành" last.
    assert [(c, r) for c, r, _ in got["PL2.1"][parts]] == [("so-noi-vu", coordinate),
                                                        ("so-y-te", lead)]  # fmt: skip
    assert got["PL2.1"][due] == date(2025, 9, 30)
    # The row broken over a page is one task, its cells not doubled.
    assert got["PL2.2"][text] == "Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính còn hiệu lực"
    assert got["PL2.2"][5] == "Năm 2025" and got["PL2.2"][due] == date(2025, 12, 31)


def test_problems_are_named_by_table_row_and_column_and_nothing_is_written(
    registry: Engine, tmp_path: Path
) -> None:
    path = two_appendices(tmp_path, deadline="31/02/2025")
    with pytest.raises(ImportFailed) as failure, session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    (line,) = failure.value.lines()
    assert line.startswith(
        f"{path}: Bảng 2, dòng 2, cột Thời gian hoàn thành: tiến độ “31/02/2025”"
    )
    with Session(registry) as s:
        assert s.exec(select(func.count()).select_from(Task)).one() == 0


def test_a_document_with_no_number_asks_for_one(registry: Engine, tmp_path: Path) -> None:
    document = PlanDocument()
    document.paragraph("KẾ HOẠCH")
    document.paragraph("RÀ SOÁT THỦ TỤC HÀNH CHÍNH")
    document.paragraph("NĂM 2025")
    document.paragraph("I. MỤC ĐÍCH, YÊU CẦU")
    document.table(len(HEADER), [TableRow(HEADER, header=True),
                                 TableRow(["1", "Rà soát", "Quý I/2025", "Sở Nội vụ", ""])])  # fmt: skip
    path = document.save(tmp_path / "kh.docx")
    with pytest.raises(ImportFailed) as failure, session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert failure.value.lines() == [
        f"{path}: văn bản không ghi số kế hoạch (dòng “Số: 126/KH-UBND” hay “Kèm theo Kế hoạch "
        "số …”): dùng --number"
    ]
    with session_scope(registry) as session:
        report = import_plan(
            session, path, meta=PlanMeta(number="7/KH-SNV"), settings=SETTINGS, on=IMPORT_DAY
        )
    assert report.tasks_new == 1
    with Session(registry) as s:  # the title's lines in capitals, the body's heading not
        assert s.exec(select(Plan.title)).one() == "RÀ SOÁT THỦ TỤC HÀNH CHÍNH NĂM 2025"


def test_an_stt_column_numbered_by_word(registry: Engine, tmp_path: Path) -> None:
    """STT cells holding no text, only a list number Word shows ("1.", "2.")."""
    document = PlanDocument()
    document.paragraph(
        "Thực hiện Quyết định số 9/QĐ-UBND (ban hành kèm theo Quyết định số 8/QĐ-UBND ngày 01/01/2025)"
    )
    document.paragraph("(Kèm theo Kế hoạch số 5/KH-SYT ngày 02 tháng 3 năm 2025 của Sở Y tế)")
    document.table(
        len(HEADER),
        [
            TableRow(HEADER, header=True),
            TableRow(["#. ", "Rà soát", "Quý I/2025", "Sở Y tế", ""]),
            TableRow(["#. ", "Công khai", "Quý II/2025", "Sở Y tế", "- Sở Nội vụ\n- Sở Tư pháp"]),
        ],
    )
    path = document.save(tmp_path / "kh.docx")
    with session_scope(registry) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert (report.plan, report.tasks_new) == ("5/KH-SYT", 2)
    with Session(registry) as s:
        got = tasks_of(s, "5/KH-SYT")
    assert list(got) == ["1", "2"]
    assert [c for c, _, _ in got["2"][11]] == ["so-noi-vu", "so-tu-phap", "so-y-te"]


def test_files_that_are_not_a_readable_plan_document(tmp_path: Path) -> None:
    no_tasks = PlanDocument()
    no_tasks.paragraph("KẾ HOẠCH")
    no_tasks.signature(["Như trên;"], ["GIÁM ĐỐC"])
    cases = {
        no_tasks.save(
            tmp_path / "kh.docx"
        ): "không thấy bảng nhiệm vụ nào trong văn bản (có 1 bảng",
        tmp_path / "kh.pdf": "không phải tệp PDF đọc được",
        tmp_path / "hong.docx": "không phải tệp Word (.docx) hợp lệ",
    }
    (tmp_path / "kh.pdf").write_bytes(b"%PDF-1.7\n")
    (tmp_path / "hong.docx").write_text("STT,Nhiệm vụ\n", encoding="utf-8")
    for path, reason in cases.items():
        with pytest.raises(FileProblem) as problem, Session(make_engine("sqlite://")) as session:
            import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
        assert str(problem.value).startswith(f"{path}: ") and reason in str(problem.value)


def test_a_legacy_doc_goes_through_libreoffice_where_it_is_installed(
    registry: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    legacy = tmp_path / "kh.doc"
    legacy.write_bytes(b"\xd0\xcf\x11\xe0 Word 97-2003")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    with pytest.raises(FileProblem, match="chưa cài LibreOffice") as problem:
        read_document(legacy)
    assert str(problem.value).startswith(f"{legacy}: tệp Word 97–2003 (.doc)")

    # A stand-in for LibreOffice: writes the .docx that `--convert-to docx` would.
    converted = two_appendices(tmp_path, name="converted.docx")
    (tmp_path / "bin").mkdir()
    soffice = tmp_path / "bin" / "soffice"
    soffice.write_text(
        "#!/bin/sh\n# soffice --headless --convert-to docx --outdir DIR FILE\n"
        f'[ "$1 $2 $3" = "--headless --convert-to docx" ] && /bin/cp {converted} "$5/kh.docx"\n'
    )
    soffice.chmod(0o755)
    with session_scope(registry) as session:
        report = import_plan(session, legacy, settings=SETTINGS, on=IMPORT_DAY)
    assert report.plan == "12/KH-SNV" and report.tasks_new == 5


def test_an_admin_previews_then_imports_a_word_plan(dondoc: Dondoc, tmp_path: Path) -> None:
    path = two_appendices(tmp_path)
    preview = dondoc.ok("import", "tasks", str(path), "--dry-run").output
    assert "Xem trước (chưa ghi gì) kế hoạch 12/KH-SNV (mới): 5 nhiệm vụ" in preview
    # The number, date and title as read from the document: they decide the deadlines.
    assert "Kế hoạch số 12/KH-SNV, ngày 10/01/2025: CẢI CÁCH HÀNH CHÍNH NĂM 2025" in preview
    assert "Bảng 2: Phụ lục 2: NHIỆM VỤ THUỘC TRÁCH NHIỆM THEO DÕI, QUẢN LÝ CỦA SỞ Y TẾ" in preview
    assert "Bảng 1, dòng 4 – mục PL1.I: RÀ SOÁT THỦ TỤC HÀNH CHÍNH" in preview
    assert "Bảng 2, dòng 3 (PL2.2): Số hóa hồ sơ, kết quả giải quyết thủ tục hành chính" in preview
    assert "Bỏ qua Bảng 1, dòng 7" in preview
    assert dondoc.ok("tasks", "--format", "json").output.strip() == "[]"

    imported = dondoc.ok("import", "tasks", str(path)).output
    assert "Đã nhập kế hoạch 12/KH-SNV (mới): 5 nhiệm vụ" in imported
    again = dondoc.ok("import", "tasks", str(path), "--title", "Kế hoạch CCHC 2025").output
    assert "giữ nguyên 5" in again

    bad = dondoc("import", "tasks", str(two_appendices(tmp_path, deadline="Quý V/2025")))
    assert bad.exit_code == 1
    assert "Bảng 2, dòng 2, cột Thời gian hoàn thành: tiến độ “Quý V/2025”" in bad.output


def headings_and_notes(folder: Path, name: str = "kh.docx", document: Any = None) -> Path:
    """Plan 8/KH-SNV: merged full-width rows without a number: two headings (one in
    capitals, one in bold), each over tasks numbered from 1, and two that are no heading (a
    note, a sentence in plain type)."""
    document = document or PlanDocument()
    document.paragraph("(Kèm theo Kế hoạch số 8/KH-SNV ngày 05/01/2025 của Sở Nội vụ)")
    cols = len(HEADER)
    document.table(
        cols,
        [
            TableRow(HEADER, header=True),
            TableRow([Span("NHIỆM VỤ THƯỜNG XUYÊN", cols)]),
            TableRow(["1", "Rà soát thủ tục", "Quý I/2025", "Sở Nội vụ", ""]),
            TableRow([Span("(tiếp theo: các nhiệm vụ phối hợp với Sở Tư pháp)", cols, bold=True)]),
            TableRow(["2", "Công khai thủ tục", "Quý II/2025", "Sở Nội vụ", "Sở Tư pháp"]),
            TableRow([Span("Nhiệm vụ bổ sung", cols, bold=True)]),
            TableRow(["1", "Kiểm tra công vụ", "Quý III/2025", "Sở Y tế", ""]),
            TableRow([Span("Các nhiệm vụ này do các phòng tự sắp xếp", cols)]),
            TableRow(["2", "Báo cáo kết quả", "Quý IV/2025", "Sở Y tế", ""]),
        ],
    )
    return Path(document.save(folder / name))


def test_a_merged_row_without_number_is_a_section_only_when_it_reads_as_a_heading(
    registry: Engine, tmp_path: Path
) -> None:
    path = headings_and_notes(tmp_path)
    with session_scope(registry) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert report.plan == "8/KH-SNV" and report.tasks_new == 4
    assert [(s.key, s.title) for s in report.sections] == [
        ("M1", "NHIỆM VỤ THƯỜNG XUYÊN"), ("M2", "Nhiệm vụ bổ sung")]  # fmt: skip
    assert [n.split(":")[0] for n in report.notes] == ["Bảng 1, dòng 4", "Bảng 1, dòng 8"]
    # Each skipped row with its own reason: a note in bold is a note, not "not bold".
    assert "là lời ghi chú (mở đầu bằng “(”), không dùng làm mục" in report.notes[0]
    assert "(tiếp theo: các nhiệm vụ phối hợp với Sở Tư pháp)" in report.notes[0]
    assert "không in đậm, không in hoa như tên mục" in report.notes[1]
    with Session(registry) as s:
        got = tasks_of(s, "8/KH-SNV")
    assert list(got) == ["M1.1", "M1.2", "M2.1", "M2.2"]
    # A note is no part of a task's text either.
    assert got["M1.2"][1] == "Công khai thủ tục" and got["M2.2"][1] == "Báo cáo kết quả"


def test_bold_and_bullets_given_by_a_paragraph_style_are_read_as_word_shows_them(
    tmp_path: Path,
) -> None:
    """A heading row bold through its paragraph style is a section; paragraphs in a style
    based on "List Bullet" show its bullet; an unknown style is the default one (neither):
    each style resolved once for the document, read as python-docx reads it."""
    document = PlanDocument()
    doc = document.doc
    heading = doc.styles.add_style("Tên mục", WD_STYLE_TYPE.PARAGRAPH)
    heading.font.bold = True
    agencies = doc.styles.add_style("Danh sách cơ quan", WD_STYLE_TYPE.PARAGRAPH)
    agencies.base_style = doc.styles["List Bullet"]
    document.paragraph("Số: 44/KH-SNV")
    table = document.table(5, [
        TableRow(HEADER, header=True),
        TableRow([Span("Nhiệm vụ thường xuyên", 5)]),
        TableRow(["1", "Rà soát", "Quý I/2025", "", ""]),
        TableRow([Span("Ghi nhận thêm", 5)]),
    ])  # fmt: skip
    table.cell(1, 0).paragraphs[0].style = heading
    lead = table.cell(2, 3)
    lead.paragraphs[0].text = "Sở Nội vụ"
    lead.paragraphs[0].style = agencies
    lead.add_paragraph("Sở Tư pháp", style=agencies)
    table.cell(3, 0).paragraphs[0]._p.get_or_add_pPr().style = "KhongCo"
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [r.cells[:4] for r in plan.rows[1:]] == [
        ("M1", "Nhiệm vụ thường xuyên", "", ""),
        ("1", "Rà soát", "Quý I/2025", "- Sở Nội vụ\n- Sở Tư pháp"),
    ]
    assert plan.notes == [
        "Bảng 1, dòng 4: dòng gộp ô không đánh số “Ghi nhận thêm” không in đậm, không in hoa "
        "như tên mục, không dùng làm mục"
    ]


def start_end_plan(
    folder: Path, *, end: str = "Hoàn thành", name: str = "bat-dau.docx", document: Any = None
) -> Path:
    """Plan 12/KH-UBND whose "Thời gian thực hiện" spans "Bắt đầu" and ``end``."""
    document = document or PlanDocument()
    document.header_block(
        ["ỦY BAN NHÂN DÂN", "TỈNH ĐỒNG NAI"], "12/KH-UBND", "Đồng Nai, ngày 05 tháng 3 năm 2025"
    )
    document.paragraph("KẾ HOẠCH", bold=True)
    document.paragraph("Cải cách hành chính năm 2025")
    document.table(
        5,
        [
            TableRow(["STT", "Nhiệm vụ", "Cơ quan chủ trì", Span("Thời gian thực hiện", 2)],
                     header=True),
            TableRow([ABOVE, ABOVE, ABOVE, "Bắt đầu", end], header=True),
            TableRow(["1", "Rà soát thủ tục", "Sở Nội vụ", "Tháng 3/2025", "Tháng 9/2025"]),
            TableRow(["2", "Công khai thủ tục", "Sở Tư pháp", "Quý I/2025", "Quý IV/2025"]),
        ],
    )  # fmt: skip
    return document.save(folder / name)


@pytest.mark.parametrize("end", ["Hoàn thành", "Kết thúc", "Thời hạn hoàn thành"])
def test_the_deadline_is_the_end_column_never_the_start(
    registry: Engine, tmp_path: Path, end: str
) -> None:
    path = start_end_plan(tmp_path, end=end)
    with session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    with Session(registry) as session:
        deadlines = session.exec(select(Task.deadline_text).order_by(col(Task.id))).all()
    assert deadlines == ["Tháng 9/2025", "Quý IV/2025"]


def test_two_columns_that_could_each_be_the_deadline_are_refused_by_name(
    registry: Engine, tmp_path: Path
) -> None:
    path = start_end_plan(tmp_path, end="Tiến độ")  # "Bắt đầu" is a start: "Tiến độ" is it
    with session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    document = PlanDocument()
    document.paragraph("Số: 13/KH-UBND")
    document.table(
        5,
        [
            TableRow(["STT", "Nhiệm vụ", "Chủ trì", "Tiến độ", "Thời gian"], header=True),
            TableRow(["1", "Rà soát thủ tục", "Sở Nội vụ", "Quý I/2025", "Tháng 9/2025"]),
        ],
    )
    path = document.save(tmp_path / "hai-cot.docx")
    with pytest.raises(ImportFailed) as failure, session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY, meta=PlanMeta(year=2025))
    assert failure.value.lines()[0] == (
        f"{path}: Bảng 1: không biết cột nào là thời hạn trong các cột “Tiến độ”, “Thời "
        "gian”: hãy đặt tên cột thời hạn là “Thời gian hoàn thành” (hoặc “Kết thúc”), cột còn "
        "lại “Bắt đầu”"
    )
    with Session(registry) as session:
        assert session.exec(select(func.count()).select_from(Plan)).one() == 1


def test_a_csv_with_start_and_end_columns_takes_the_end(registry: Engine, tmp_path: Path) -> None:
    path = tmp_path / "kh.csv"
    path.write_text(
        "Số kế hoạch,14/KH-UBND\nNăm,2025\n\n"
        "STT,Nhiệm vụ,Cơ quan chủ trì,Bắt đầu,Hoàn thành\n"
        "1,Rà soát thủ tục,Sở Nội vụ,Tháng 3/2025,Tháng 9/2025\n",
        encoding="utf-8",
    )
    with session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    with Session(registry) as session:
        assert session.exec(select(Task.deadline_text)).all() == ["Tháng 9/2025"]
    only_start = tmp_path / "bat-dau.csv"
    only_start.write_text(
        path.read_text(encoding="utf-8").replace("Hoàn thành", "Ghi chú"), encoding="utf-8"
    )
    with pytest.raises(ImportFailed) as failure, session_scope(registry) as session:
        import_plan(session, only_start, settings=SETTINGS, on=IMPORT_DAY)
    assert "cột “Bắt đầu” là ngày bắt đầu, không phải thời hạn" in failure.value.lines()[0]


def test_the_header_printed_again_mid_table_is_skipped_not_a_task(
    registry: Engine, tmp_path: Path
) -> None:
    """A header row again anywhere in the table, worded or wrapped otherwise than the
    first and not marked to repeat (a document converted from print), its last words
    broken into the next row."""
    document = PlanDocument()
    document.paragraph("Số: 15/KH-UBND")
    document.table(
        5,
        [
            TableRow(["STT", "Nội dung công việc", "Thời gian thực hiện", "Cơ quan chủ trì",
                      "Hoạt động/Sản phẩm"], header=True),
            TableRow(["1", "Rà soát thủ tục", "Quý I/2025", "Sở Nội vụ", "Báo cáo"]),
            TableRow(["STT", "Nội dung\ncông việc", "Thời gian\nthực hiện", "Cơ quan\nchủ trì",
                      "Hoạt động/Sản"]),
            TableRow(["", "", "", "", "phẩm"]),
            TableRow(["2", "Công khai thủ tục", "Quý II/2025", "Sở Tư pháp", "Cổng thông tin"]),
        ],
    )  # fmt: skip
    path = document.save(tmp_path / "lap-tieu-de.docx")
    with session_scope(registry) as session:
        report = import_plan(
            session, path, settings=SETTINGS, on=IMPORT_DAY, meta=PlanMeta(year=2025)
        )
    assert report.tasks_total == 2
    with Session(registry) as session:
        tasks = session.exec(select(Task.number, Task.text, Task.result).order_by(col(Task.id)))
        assert tasks.all() == [
            ("1", "Rà soát thủ tục", "Báo cáo"),
            ("2", "Công khai thủ tục", "Cổng thông tin"),
        ]


def test_task_tables_numbered_each_from_one_are_sections_of_their_own(
    registry: Engine, tmp_path: Path
) -> None:
    document = PlanDocument()
    document.paragraph("Số: 16/KH-UBND")
    for year, agency in ((2025, "Sở Nội vụ"), (2026, "Sở Tư pháp")):
        document.paragraph(f"{year - 2024}. Nhiệm vụ năm {year}")
        document.table(
            4,
            [
                TableRow(["STT", "Nhiệm vụ", "Tiến độ", "Cơ quan chủ trì"], header=True),
                TableRow([Span("I. CẢI CÁCH THỂ CHẾ", 4)]),
                TableRow(["1", f"Nhiệm vụ A {year}", f"Quý IV/{year}", agency]),
                TableRow(["2", f"Nhiệm vụ B {year}", f"Quý IV/{year}", agency]),
            ],
        )
    document.table(
        4,
        [
            TableRow(["STT", "Nhiệm vụ", "Tiến độ", "Cơ quan chủ trì"], header=True),
            TableRow(["1", "Nhiệm vụ không có tên bảng", "Quý IV/2026", "Sở Nội vụ"]),
        ],
    )
    path = document.save(tmp_path / "hai-bang.docx")
    with session_scope(registry) as session:
        report = import_plan(
            session, path, settings=SETTINGS, on=IMPORT_DAY, meta=PlanMeta(year=2025)
        )
    assert report.tasks_total == 5
    with Session(registry) as session:
        sections = session.exec(select(Section.key, Section.title).order_by(col(Section.id)))
        assert sections.all() == [
            ("B1", "1. Nhiệm vụ năm 2025"), ("B1.I", "CẢI CÁCH THỂ CHẾ"),
            ("B2", "2. Nhiệm vụ năm 2026"), ("B2.I", "CẢI CÁCH THỂ CHẾ"), ("B3", "Bảng 3"),
        ]  # fmt: skip
        keys = session.exec(select(Task.key).order_by(col(Task.id))).all()
        assert keys == ["B1.I.1", "B1.I.2", "B2.I.1", "B2.I.2", "B3.1"]


def _merged_agency_header(kind: str, folder: Path, one_row: bool) -> Path:
    """Plan 7/KH-UBND whose agencies' header is "Cơ quan thực hiện" merged over "Chủ trì"
    | "Phối hợp", with the columns numbered "(1)"…"(5)": in one cell per column ("Cơ quan
    thực hiện Chủ trì (3)", as a converter flattens it) or over two rows and a row of
    numbers, in a Word document, a PDF, a CSV or an XLSX (merged cells)."""
    from openpyxl import Workbook

    from tests.pdf_plans import PlanPdf

    top = ["STT", "Nội dung công việc", "Cơ quan thực hiện", "", "Thời gian hoàn thành"]
    below = ["", "", "Chủ trì", "Phối hợp", ""]
    numbers = ["(1)", "(2)", "(3)", "(4)", "(5)"]
    flat = [f"{a} {b} {n}".replace("  ", " ") for a, b, n in zip(top, below, numbers, strict=True)]
    flat[3] = f"Cơ quan thực hiện Phối hợp {numbers[3]}"
    task = ["1", "Rà soát thủ tục hành chính", "Sở Tư pháp", "Sở Nội vụ", "Quý IV năm 2025"]
    header = [flat] if one_row else [top, below, numbers]
    path = folder / f"plan-{kind}-{one_row}"
    if kind in ("docx", "pdf"):
        document: Any = PlanDocument() if kind == "docx" else PlanPdf()
        document.paragraph("Số: 7/KH-UBND")
        rows = [TableRow(flat, header=True)]
        if not one_row:
            rows = [
                TableRow([top[0], top[1], Span(top[2], 2), top[4]], header=True),
                TableRow([ABOVE, ABOVE, *below[2:4], ABOVE], header=True),
                TableRow(numbers),
            ]
        document.table(5, [*rows, TableRow(task)])
        return document.save(path.with_suffix(f".{kind}"))
    if kind == "csv":
        lines = ["Số kế hoạch,7/KH-UBND", "", *(",".join(r) for r in [*header, task])]
        path = path.with_suffix(".csv")
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [["Số kế hoạch", "7/KH-UBND"], [], *header, task]:
        sheet.append(row)
    if not one_row:  # merged as the plan's Excel file merges them
        for cells in ("A3:A4", "B3:B4", "C3:D3", "E3:E4"):
            sheet.merge_cells(cells)
    book.save(path.with_suffix(".xlsx"))
    return path.with_suffix(".xlsx")


@pytest.mark.parametrize("one_row", [True, False])
@pytest.mark.parametrize("kind", ["docx", "pdf", "csv", "xlsx"])
def test_the_agencies_header_merged_over_lead_and_coordinating_columns(
    registry: Engine, tmp_path: Path, kind: str, one_row: bool
) -> None:
    path = _merged_agency_header(kind, tmp_path, one_row)
    with Session(registry) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
        got = tasks_of(session, "7/KH-UBND")
    assert report.tasks_new == 1, report.readings
    ((number, text, *_, due, _, _, _, parts),) = got.values()
    assert (number, text, due) == ("1", "Rà soát thủ tục hành chính", date(2025, 12, 31))
    assert [(c, r) for c, r, _ in parts] == [("so-noi-vu", "coordinate"), ("so-tu-phap", "lead")]


def _header_and_appendix(folder: Path, appendix: str, dated: bool = True) -> Path:
    """Plan 12/KH-SNV: its header block, then an appendix "(Kèm theo …)" saying ``appendix``."""
    document = PlanDocument()
    place = "Đồng Nai, ngày 10 tháng 01 năm 2025" if dated else "Đồng Nai, ngày   tháng   năm"
    document.header_block(["UBND TỈNH ĐỒNG NAI", "SỞ NỘI VỤ"], "12/KH-SNV", place)
    document.paragraph("KẾ HOẠCH")
    document.paragraph("CẢI CÁCH HÀNH CHÍNH NĂM 2025")
    document.paragraph("PHỤ LỤC")
    if appendix:
        document.paragraph(appendix)
    document.table(5, [TableRow(HEADER, header=True),
                       TableRow(["1", "Rà soát thủ tục", "Quý I/2025", "Sở Nội vụ", ""])])  # fmt: skip
    return Path(document.save(folder / "kh.docx"))


def test_an_appendix_that_contradicts_the_header_and_a_missing_date_are_warned_about(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    other = "(Kèm theo Kế hoạch số 13/KH-SNV ngày 11/01/2025 của Sở Nội vụ)"
    preview = dondoc.ok("import", "tasks", str(_header_and_appendix(tmp_path, other)),
                        "--dry-run").output  # fmt: skip
    assert (
        "Lưu ý: dòng “Kèm theo …” của phụ lục thứ 1 ghi kế hoạch số 13/KH-SNV, đầu văn bản ghi "
        "số 12/KH-SNV"
    ) in preview
    assert (
        "Lưu ý: dòng “Kèm theo …” của phụ lục thứ 1 ghi ngày 11/01/2025, đầu văn bản ghi ngày "
        "10/01/2025"
    ) in preview
    assert "kế hoạch 12/KH-SNV (mới)" in preview  # the header's number is the plan's

    same = "(Kèm theo Kế hoạch số 12/KH-SNV ngày 10/01/2025 của Sở Nội vụ)"
    imported = dondoc.ok("import", "tasks", str(_header_and_appendix(tmp_path, same))).output
    assert "Lưu ý" not in imported

    undated = _header_and_appendix(tmp_path, "", dated=False)
    again = dondoc.ok("import", "tasks", str(undated), "--number", "14/KH-SNV").output
    assert "Lưu ý: văn bản không có ngày ban hành đọc được" in again and "--date" in again
    given = dondoc.ok("import", "tasks", str(undated), "--number", "15/KH-SNV", "--date",
                      "10/01/2025").output  # fmt: skip
    assert "ngày ban hành" not in given
    assert "Lưu ý: tệp ghi số “12/KH-SNV”, dùng số “15/KH-SNV” theo lựa chọn" in given


def test_a_table_inside_a_cell_is_read_as_lines_of_that_cell(
    registry: Engine, tmp_path: Path
) -> None:
    """Word lets an officer lay an agency list, or milestones, as a small table in a cell:
    each of its rows is a line of the cell, never dropped."""
    path = nested_tables(tmp_path)
    plan = read_word(path)
    assert plan.rows[1].cells[1] == "Rà soát thủ tục:\nlĩnh vực hộ tịch; tháng 1\nlĩnh vực đất đai"
    assert plan.rows[1].cells[4] == "Sở Tư pháp\nSở Y tế"
    with Session(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
        ((*_, parts),) = tasks_of(session, "21/KH-SNV").values()
    assert [(c, r) for c, r, _ in parts] == [
        ("so-noi-vu", "lead"), ("so-tu-phap", "coordinate"), ("so-y-te", "coordinate")]  # fmt: skip


def test_every_problem_in_a_document_names_table_row_and_column_in_vietnamese(
    registry: Engine, tmp_path: Path
) -> None:
    document = PlanDocument()
    document.paragraph("Số: 22/KH-SNV")
    document.table(5, [
        TableRow(HEADER, header=True),
        TableRow(["", "Một dòng không số", "Quý I/2025", "Sở Nội vụ", ""]),
        TableRow(["1", "Rà soát thủ tục", "Quý V/2025", "Sở Vũ Trụ Học", ""]),
        TableRow(["1", "Rà soát lần nữa", "Quý I/2025", "Sở Nội vụ", "Ủy ban Đặc Biệt"]),
    ])  # fmt: skip
    path = document.save(tmp_path / "kh.docx")
    with pytest.raises(ImportFailed) as failure, Session(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    lines = [line.removeprefix(f"{path}: ") for line in failure.value.lines()]
    assert lines == [
        "Bảng 1, dòng 2, cột STT: dòng không có STT và không nối tiếp nhiệm vụ nào",
        "Bảng 1, dòng 3, cột Cơ quan chủ trì: cơ quan chủ trì không có trong danh mục: “Sở Vũ "
        "Trụ Học”",
        "Bảng 1, dòng 3, cột Tiến độ: tiến độ “Quý V/2025”: không có quý 5",
        "Bảng 1, dòng 4, cột STT: STT “1” trùng với Bảng 1, dòng 3 trong cùng mục",
    ]


_W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
_TRACKED = 'w:id="{}" w:author="A" w:date="2024-10-01T00:00:00Z"'


def _runs(paragraph: Any, *xml: str) -> None:
    """Append to ``paragraph`` (python-docx) the elements ``xml`` (w:r, w:ins, w:sdt…)."""
    for item in xml:
        paragraph._p.append(parse_xml(item.replace(">", f" {_W}>", 1)))


def _r(text: str) -> str:
    return f'<w:r><w:t xml:space="preserve">{text}</w:t></w:r>'


def test_text_is_read_as_word_shows_it_tracked_changes_accepted_controls_and_fields(
    tmp_path: Path,
) -> None:
    """Tracked insertions are in and deletions out (the text as published); a content
    control's, smart tag's, simple field's and hyperlink's text is the paragraph's; a
    heading in a content control, a table row in one (a repeating section), a row deleted
    with changes tracked left out: in cells, in the header block and in appendix titles."""
    document = PlanDocument()
    doc = document.doc
    header = doc.add_paragraph()
    _runs(
        header,
        _r("Số: "),
        f"<w:fldSimple w:instr=' DOCPROPERTY So '>{_r('31/KH-SNV')}</w:fldSimple>",
    )
    _runs(doc.add_paragraph(), _r("PHỤ LỤC 1"))
    title = doc.add_paragraph()
    _runs(title, _r("NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA "),
          f"<w:ins {_TRACKED.format(1)}>{_r('SỞ TƯ PHÁP')}</w:ins>",
          f"<w:del {_TRACKED.format(2)}><w:r><w:delText>SỞ NỘI VỤ</w:delText></w:r></w:del>")  # fmt: skip
    sdt = parse_xml(f"<w:sdt {_W}><w:sdtPr/><w:sdtContent/></w:sdt>")
    title._p.addnext(sdt)
    sdt[1].append(title._p)  # the title's paragraph inside a content control
    table = document.table(5, [
        TableRow(HEADER, header=True),
        TableRow(["1", "", "", "", ""]),
        TableRow(["2", "Việc có thẻ thông minh", "", "", ""]),
        TableRow(["3", "Việc có liên kết", "", "", ""]),
        TableRow(["4", "Dòng đã xóa", "Quý I/2025", "", ""]),
    ])  # fmt: skip
    cell = table.cell(1, 1).paragraphs[0]
    _runs(cell, _r("Rà soát "), f"<w:ins {_TRACKED.format(3)}>{_r('thủ tục ')}</w:ins>",
          f"<w:del {_TRACKED.format(4)}><w:r><w:delText>văn bản </w:delText></w:r></w:del>",
          f"<w:moveTo {_TRACKED.format(5)}>{_r('hành chính')}</w:moveTo>")  # fmt: skip
    _runs(
        table.cell(1, 2).paragraphs[0],
        _r("Tháng 1"),
        f"<w:sdt><w:sdtPr/><w:sdtContent>{_r('2')}</w:sdtContent></w:sdt>",
        _r("/2025"),
    )
    _runs(
        table.cell(2, 2).paragraphs[0],
        _r("Ngày "),
        f"<w:smartTag w:uri='urn:x' w:element='date'>{_r('31/12/2025')}</w:smartTag>",
    )
    _runs(
        table.cell(3, 2).paragraphs[0],
        _r("Quý "),
        f"<w:fldSimple w:instr=' QUOTE IV '>{_r('IV')}</w:fldSimple>",
        _r("/2025"),
    )
    _runs(table.cell(3, 1).paragraphs[0],
          f"<w:hyperlink w:anchor='x'>{_r(' (xem mục 2)')}</w:hyperlink>")  # fmt: skip
    _runs(table.cell(2, 3).paragraphs[0], f"<w:ins {_TRACKED.format(6)}>{_r('Sở Nội vụ')}</w:ins>")
    # Row 4 deleted with changes tracked; row 3 inside a content control (a repeating section).
    table.rows[4]._tr.get_or_add_trPr().append(parse_xml(f"<w:del {_W} {_TRACKED.format(7)}/>"))
    row = table.rows[3]._tr
    section = parse_xml(f"<w:sdt {_W}><w:sdtPr/><w:sdtContent/></w:sdt>")
    row.addprevious(section)
    section[1].append(row)
    path = document.save(tmp_path / "kh.docx")
    plan = read_word(path)
    assert plan.meta.number == "31/KH-SNV"
    assert [(t.heading, t.lead) for t in plan.tables] == [
        ("Phụ lục 1: NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP", "SỞ TƯ PHÁP")]  # fmt: skip
    assert [r.cells[1:4] for r in plan.rows[2:]] == [
        ("Rà soát thủ tục hành chính", "Tháng 12/2025", "SỞ TƯ PHÁP"),
        ("Việc có thẻ thông minh", "Ngày 31/12/2025", "Sở Nội vụ"),
        ("Việc có liên kết (xem mục 2)", "Quý IV/2025", "SỞ TƯ PHÁP"),
    ]


def _formatted(paragraph: Any, *runs: tuple[str, dict[str, Any]]) -> None:
    """Runs of ``paragraph`` (python-docx), each (text, font settings: hidden, strike…,
    or "style": a character style's name)."""
    for text, how in runs:
        run = paragraph.add_run(text)
        for name, value in how.items():
            if name == "style":
                run.style = value
            else:
                setattr(run.font, name, value)


def test_text_is_read_as_word_shows_it_hidden_left_out_struck_through_left_out_and_said(
    registry: Engine, tmp_path: Path
) -> None:
    """Hidden text (w:vanish, the run's own or its character style's) is not shown, so not
    read; text struck through (w:strike, w:dstrike), a lead or deadline an officer crossed
    out by hand in a revised plan, is left out too, and said with its table, row and
    column (or its paragraph), for the admin to check."""
    document = PlanDocument()
    doc = document.doc
    note = doc.styles.add_style("Ghi chú ẩn", WD_STYLE_TYPE.CHARACTER)
    note.font.hidden = True
    document.paragraph("Số: 32/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    _formatted(doc.add_paragraph(), ("NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA ", {}),
               ("SỞ NỘI VỤ", {"strike": True}), (" SỞ TƯ PHÁP", {}))  # fmt: skip
    table = document.table(5, [
        TableRow(HEADER, header=True),
        TableRow(["1", "Rà soát thủ tục", "", "", ""]),
        TableRow(["2", "Kiểm tra", "", "", ""]),
        TableRow(["3", "Báo cáo", "", "", ""]),
    ])  # fmt: skip
    cell = table.cell
    _formatted(cell(1, 2).paragraphs[0], ("Quý IV/2025", {}),
               (" (cũ: Quý II/2025)", {"hidden": True}))  # fmt: skip
    _formatted(cell(1, 3).paragraphs[0], ("Sở Tư pháp", {}), (", Sở Tài chính", {"hidden": True}))
    _formatted(cell(1, 4).paragraphs[0], ("Sở Y tế", {}),
               (", Sở Tài chính", {"style": "Ghi chú ẩn"}),
               (", Sở Công Thương", {"style": "Ghi chú ẩn", "hidden": False}))  # fmt: skip
    _formatted(cell(2, 3).paragraphs[0], ("Sở Tài ", {"strike": True}),
               ("chính", {"strike": True}), (" Sở Nội vụ", {}))  # fmt: skip
    _formatted(cell(2, 2).paragraphs[0], ("Quý II/2025", {"double_strike": True}),
               (" Quý IV/2025", {}))  # fmt: skip
    _formatted(cell(3, 2).paragraphs[0], ("Quý III/2025", {}))
    path = document.save(tmp_path / "kh.docx")
    plan = read_word(path)
    assert [(t.heading, t.lead) for t in plan.tables] == [
        ("Phụ lục 1: NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP", "SỞ TƯ PHÁP")]  # fmt: skip
    assert [r.cells[1:5] for r in plan.rows[2:]] == [
        ("Rà soát thủ tục", "Quý IV/2025", "Sở Tư pháp", "Sở Y tế, Sở Công Thương"),
        ("Kiểm tra", "Quý IV/2025", "Sở Nội vụ", ""),
        ("Báo cáo", "Quý III/2025", "SỞ TƯ PHÁP", ""),
    ]
    assert plan.warnings == [
        "Đoạn “NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP”: bỏ qua chữ gạch ngang “SỞ NỘI VỤ” "
        "(coi như đã xóa): hãy đối chiếu văn bản",
        "Bảng 1, dòng 3, cột Tiến độ: bỏ qua chữ gạch ngang “Quý II/2025” (coi như đã xóa): "
        "hãy đối chiếu văn bản, nếu chữ ấy còn hiệu lực thì bỏ gạch ngang rồi nhập lại",
        "Bảng 1, dòng 3, cột Cơ quan chủ trì: bỏ qua chữ gạch ngang “Sở Tài chính” (coi như "
        "đã xóa): hãy đối chiếu văn bản, nếu chữ ấy còn hiệu lực thì bỏ gạch ngang rồi nhập lại",
    ]
    with Session(registry) as session:
        report = import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
        parts = {number: (due_on, sorted(p[:2] for p in parts))
                 for number, *_, due_on, _, _, _, parts in tasks_of(session, "32/KH-SNV").values()}  # fmt: skip
    assert report.warnings[:3] == plan.warnings  # the issue date missing after them
    assert parts == {
        "1": (date(2025, 12, 31), [("so-cong-thuong", "coordinate"), ("so-tu-phap", "lead"),
                                   ("so-y-te", "coordinate")]),
        "2": (date(2025, 12, 31), [("so-noi-vu", "lead")]),
        "3": (date(2025, 9, 30), [("so-tu-phap", "lead")]),
    }  # fmt: skip


def test_a_row_crossed_out_but_its_number_is_left_out_and_said_once(tmp_path: Path) -> None:
    """An officer strikes a row's text and leaves its STT: the row is dropped as one
    struck in every cell is, said once with its cells, not refused as a task with no text."""
    document = PlanDocument()
    document.paragraph("Số: 33/KH-SNV")
    table = document.table(5, [
        TableRow(HEADER, header=True),
        TableRow(["1", "Rà soát thủ tục", "Quý I/2025", "Sở Tư pháp", ""]),
        TableRow(["2", "", "", "", ""]),
        TableRow(["3", "Báo cáo", "Quý III/2025", "Sở Y tế", ""]),
    ])  # fmt: skip
    for column, text in ((1, "Kiểm tra"), (2, "Quý II/2025"), (3, "Sở Nội vụ")):
        _formatted(table.cell(2, column).paragraphs[0], (text, {"strike": True}))
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [r.cells[0] for r in plan.rows[1:]] == ["1", "3"]
    assert plan.errors == []
    assert plan.warnings == [
        "Bảng 1, dòng 3: bỏ qua cả dòng gạch ngang “Kiểm tra | Quý II/2025 | Sở Nội vụ” (coi "
        "như đã xóa): hãy đối chiếu văn bản, nếu dòng ấy còn hiệu lực thì bỏ gạch ngang rồi "
        "nhập lại"
    ]


def test_a_refused_document_shows_the_notes_that_may_explain_its_errors(
    registry: Engine, tmp_path: Path, dondoc: Dondoc
) -> None:
    """A section heading struck out: its tasks, numbered from 1 again, fall in the section
    above and clash; the error comes with the note on the struck row, which explains it."""
    path = struck_heading(tmp_path)
    with pytest.raises(ImportFailed) as failure, session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert "trùng" in failure.value.errors[0].reason
    crossed = "Bảng 1, dòng 4: bỏ qua cả dòng gạch ngang “II | NHÓM HAI”"
    assert [n for n in failure.value.notes if n.startswith(crossed)]
    said = one_error_line(dondoc("import", "tasks", str(path), "--dry-run"))
    assert "Lưu ý khi đọc văn bản (có thể giải thích các lỗi trên):" in said and crossed in said


@pytest.mark.parametrize(
    "under", ["I. NHIỆM VỤ GIAO SỞ Y TẾ CHỦ TRÌ", "Ghi chú: Sở Y tế chủ trì các nhiệm vụ 2, 3"]
)
def test_a_line_under_the_title_naming_another_lead_refuses_the_rows_with_none(
    tmp_path: Path, registry: Engine, under: str
) -> None:
    """Which rows the title's lead takes is then unknown: a question, not a wrong lead."""
    document = PlanDocument()
    for line in ("Số: 47/KH-SNV", "PHỤ LỤC 1", "NHIỆM VỤ CỦA SỞ NỘI VỤ", under):
        document.paragraph(line)
    document.table(5, [TableRow(HEADER, header=True),
                       TableRow(["1", "Rà soát", "Quý I/2025", "", ""])])  # fmt: skip
    path = document.save(tmp_path / "kh.docx")
    with pytest.raises(ImportFailed) as failure, session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    (error,) = failure.value.errors
    assert error.reason.startswith(f"Bảng 1: dòng “{under}” dưới tên phụ lục nêu cơ quan chủ trì")


def test_a_note_read_before_a_title_in_capitals_is_left_out_of_it(tmp_path: Path) -> None:
    """A PDF reads a layout's cells line by line, so a note beside the title can come
    before it: the title is the run of lines in capitals, the note is said."""
    document = PlanDocument()
    document.paragraph("Số: 45/KH-SNV")
    for line in ("PHỤ LỤC 1", "Sở Tài chính bảo đảm kinh phí", "CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM",
                 "CỦA SỞ NỘI VỤ", "Báo cáo trước ngày 15/12/2025"):  # fmt: skip
        document.paragraph(line)
    document.table(5, [TableRow(HEADER, header=True),
                       TableRow(["1", "Rà soát", "Quý I/2025", "", ""])])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [(t.heading, t.lead) for t in plan.tables] == [
        ("Phụ lục 1: CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ", "SỞ NỘI VỤ")]  # fmt: skip
    assert "“Sở Tài chính bảo đảm kinh phí”, “Báo cáo trước ngày 15/12/2025”" in plan.warnings[0]


def test_the_columns_not_read_are_named_in_the_preview(tmp_path: Path) -> None:
    """A column of agencies whose header dondoc does not know would lose them unseen."""
    document = PlanDocument()
    document.paragraph("Số: 46/KH-SNV")
    document.table(6, [
        TableRow(["STT", "Nhiệm vụ", "Tiến độ", "Cơ quan chủ trì", "Ghi chú", "Cơ quan giám sát"],
                 header=True),
        TableRow(["1", "Việc A", "Quý I/2025", "Sở Nội vụ", "", "Sở Tư pháp"]),
    ])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert plan.notes == [
        "Bảng 1, cột “Ghi chú”, “Cơ quan giám sát”: không phải cột nhiệm vụ, thời hạn, cơ quan "
        "hay kết quả"
    ]


def test_a_task_row_marked_to_repeat_as_the_header_is_a_task(tmp_path: Path) -> None:
    """Marking the header to repeat on each page with the rows under it selected too flags
    them as header rows (w:tblHeader): a section, a task and its continued row are still
    what they read as, as the PDF shows them; a numbering row so marked is the header's."""
    document = PlanDocument()
    document.paragraph("Số: 44/KH-SNV")
    document.table(5, [
        TableRow(HEADER, header=True), TableRow(["(1)", "(2)", "(3)", "(4)", "(5)"], header=True),
        TableRow(["I", "CẢI CÁCH THỂ CHẾ", "", "", ""], header=True),
        TableRow(["1", "Rà soát thủ tục", "Quý IV/2025", "Sở Tư pháp", ""], header=True),
        TableRow(["", "và công khai kết quả", "", "", "Sở Y tế"], header=True),
        TableRow(["2", "Báo cáo", "Quý III/2025", "Sở Y tế", ""]),
    ])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [r.cells[:5] for r in plan.rows[1:]] == [
        ("I", "CẢI CÁCH THỂ CHẾ", "", "", ""),
        ("1", "Rà soát thủ tục", "Quý IV/2025", "Sở Tư pháp", ""),
        ("", "và công khai kết quả", "", "", "Sở Y tế"),  # joined to the task above
        ("2", "Báo cáo", "Quý III/2025", "Sở Y tế", ""),
    ]


def _split_table(document: Any, between: str = "") -> None:
    """A task table split in two by a paragraph (``between``): its second part has no
    header row; both parts laid out alike."""
    document.paragraph("Số: 40/KH-SNV")
    first = ["1", "Rà soát thủ tục hành chính", "Quý I/2025", "Sở Kế hoạch và Đầu tư",
             "Sở Tư pháp, Sở Y tế"]  # fmt: skip
    document.table(5, [TableRow(HEADER, header=True), TableRow(first),
                       TableRow(["2", "Kiểm tra", "Quý II/2025", "Sở Tư pháp", ""])])  # fmt: skip
    document.paragraph(between)
    document.table(5, [TableRow(["3", *first[1:]]),
                       TableRow(["4", "Báo cáo", "Quý IV/2025", "Sở Y tế", ""])])  # fmt: skip


def test_a_table_split_by_a_paragraph_break_goes_on_and_is_said(tmp_path: Path) -> None:
    """Rows in a table with no header right after a task table, on the same columns (an
    empty paragraph between: a table split by Enter), are that table's; said, to check."""
    document = PlanDocument()
    _split_table(document)
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [r.cells[0] for r in plan.rows[1:]] == ["1", "2", "3", "4"]
    assert len(plan.tables) == 1 and plan.tables[0].rows == 4
    assert plan.where(3) == "Bảng 1, dòng 4"
    assert plan.warnings == [
        "Bảng 1, dòng 4–5: bảng không có dòng tiêu đề ngay sau Bảng 1, cùng các cột: đọc là "
        "phần tiếp của Bảng 1 (hãy đối chiếu văn bản)"
    ]


def test_a_table_of_data_that_is_no_task_table_is_said_to_be_skipped(tmp_path: Path) -> None:
    """Text between them: the headerless table is not taken as the task table's, and it is
    said to be skipped (counted among all the document's tables); a header block or a
    signature laid out in a table (two columns) is not."""
    document = PlanDocument()
    document.header_block(["SỞ NỘI VỤ"], "40/KH-SNV", "Đồng Nai, ngày 05 tháng 3 năm 2025")
    _split_table(document, between="Các nhiệm vụ khác:")
    document.signature(["Như trên"], ["GIÁM ĐỐC", "Nguyễn Văn A"])
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [r.cells[0] for r in plan.rows[1:]] == ["1", "2"]
    assert plan.warnings == [
        "Bỏ qua bảng thứ 3 của văn bản (2 dòng): không có dòng tiêu đề nhiệm vụ (như “STT | "
        "Nhiệm vụ | Tiến độ | Cơ quan chủ trì”) nên không đọc là bảng nhiệm vụ; nếu bảng có "
        "nhiệm vụ, hãy thêm dòng tiêu đề rồi nhập lại"
    ]


def test_a_task_table_in_a_frame_is_read_and_an_appendix_without_one_is_said(
    tmp_path: Path,
) -> None:
    """A one-cell table laid around an appendix (its title and task table) is read as what
    it holds; an appendix title with no task table under it (its tasks written as
    paragraphs) is a warning, not a silence."""
    document = PlanDocument()
    document.paragraph("Số: 41/KH-SNV")
    frame = document.doc.add_table(rows=1, cols=1)
    cell = frame.cell(0, 0)
    cell.paragraphs[0].text = "PHỤ LỤC 1"
    cell.add_paragraph("CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ")
    inner = cell.add_table(rows=2, cols=5)
    for row, values in zip(inner.rows, [HEADER, ["1", "Rà soát", "Quý I/2025", "", ""]],
                           strict=True):  # fmt: skip
        for c, value in zip(row.cells, values, strict=True):
            c.text = value
    document.paragraph("PHỤ LỤC 2")
    document.paragraph("CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP")
    document.paragraph("(Kèm theo Kế hoạch số 41/KH-SNV)")
    document.paragraph("1. Kiểm tra văn bản – Quý II/2025")
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [(t.heading, t.lead) for t in plan.tables] == [
        ("Phụ lục 1: CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ", "SỞ NỘI VỤ")]  # fmt: skip
    assert [r.cells[:4] for r in plan.rows[2:]] == [("1", "Rà soát", "Quý I/2025", "SỞ NỘI VỤ")]
    assert plan.warnings == [
        "“PHỤ LỤC 2: CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP”: không có bảng nhiệm vụ "
        "bên dưới (bảng có dòng tiêu đề như “STT | Nhiệm vụ | Tiến độ | Cơ quan chủ trì”) nên "
        "không đọc được nhiệm vụ nào của phụ lục này: hãy đối chiếu văn bản"
    ]


def test_a_task_table_in_a_cell_of_a_layout_table_is_read_with_no_word_of_a_missing_one(
    tmp_path: Path,
) -> None:
    """A layout table of two cells, a note in the left one and the appendix's task table in
    the right one, is read as what its cells hold: the tasks are read, and the appendix is
    not said to have no task table; the note is none of the appendix's title. A layout
    table holding no task table stays text."""
    document = PlanDocument()
    document.paragraph("Số: 42/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    document.paragraph("CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ")
    layout = document.doc.add_table(rows=1, cols=2)
    layout.cell(0, 0).text = "Ghi chú: các việc làm trong năm"
    inner_table(layout.cell(0, 1), [HEADER, ["1", "Rà soát", "Quý I/2025", "", ""],
                              ["2", "Kiểm tra", "Quý II/2025", "Sở Tư pháp", ""]], ruled=False)  # fmt: skip
    other = document.doc.add_table(rows=1, cols=2)
    other.cell(0, 0).text = "Nơi nhận:"
    other.cell(0, 1).add_table(rows=1, cols=1).cell(0, 0).text = "GIÁM ĐỐC"
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [(t.heading, t.lead, t.rows) for t in plan.tables] == [
        ("Phụ lục 1: CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ", "SỞ NỘI VỤ", 3)]  # fmt: skip
    assert [r.cells[:4] for r in plan.rows[2:]] == [
        ("1", "Rà soát", "Quý I/2025", "SỞ NỘI VỤ"),
        ("2", "Kiểm tra", "Quý II/2025", "Sở Tư pháp"),
    ]
    assert plan.warnings == []


@pytest.mark.parametrize(
    ("under", "beside"),
    [(["Đơn vị tính: nhiệm vụ"], False), (["1. Nhiệm vụ chung"], False),
     (["(Sở Tài chính phối hợp)"], False), (["ĐƠN VỊ TÍNH: NHIỆM VỤ"], False),
     (["Ghi chú: Sở Tài chính phối hợp thực hiện"], False),
     (["Sở Tài chính phối hợp thực hiện"], False), (["Sở Tài chính"], True),
     (["Biểu mẫu 02", "Sở Tài chính"], True)],
)  # fmt: skip
def test_lines_under_an_appendix_title_in_capitals_are_no_title_and_name_no_lead(
    tmp_path: Path, under: list[str], beside: bool
) -> None:
    """A unit, a sub-heading, a note or an agency printed under a title in capitals, or
    beside it in a layout table, is not part of it: its words would make another lead for
    every row whose lead cell is empty. It is said, for the admin to check."""
    document = PlanDocument()
    document.paragraph("Số: 43/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    if beside:  # the title and a note side by side
        layout = document.doc.add_table(rows=1, cols=2)
        layout.cell(0, 0).text = "CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM"
        layout.cell(0, 0).add_paragraph("CỦA SỞ NỘI VỤ")
        for line in under:
            layout.cell(0, 1).add_paragraph(line)
    else:
        for line in ["CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM", "CỦA SỞ NỘI VỤ", *under]:
            document.paragraph(line)
    document.table(5, [TableRow(HEADER, header=True),
                       TableRow(["1", "Rà soát", "Quý I/2025", "", ""])])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [(t.heading, t.lead) for t in plan.tables] == [
        ("Phụ lục 1: CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ", "SỞ NỘI VỤ")]  # fmt: skip
    assert plan.rows[2].cells[3] == "SỞ NỘI VỤ"
    said = ", ".join(f"“{line}”" for line in under)
    assert plan.warnings == [
        f"Bảng 1, dòng chữ dưới hay bên cạnh tên phụ lục, không đọc là tên phụ lục: "
        f"{said}: hãy đối chiếu văn bản; nếu dòng ấy nêu cơ quan chủ trì hay phối hợp của cả "
        "phụ lục, hãy ghi vào các cột của bảng"
    ]


def test_a_task_table_two_layouts_deep_is_read_and_their_notes_are_no_title(
    tmp_path: Path,
) -> None:
    """A layout table whose right cell holds another layout, whose right cell holds the
    appendix's task table; each left cell a short note. The tasks are read under the
    appendix's title and lead; the notes are none of the title (they would name no agency
    and refuse the plan), said as text not read."""
    document = PlanDocument()
    document.paragraph("Số: 43/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    document.paragraph("CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ")
    outer = document.doc.add_table(rows=1, cols=2)
    outer.cell(0, 0).text = "Khung ngoài"
    middle = outer.cell(0, 1).add_table(rows=1, cols=2)
    middle.cell(0, 0).text = "Khung trong"
    inner_table(middle.cell(0, 1), [HEADER, ["1", "Rà soát", "Quý I/2025", "", ""],
                              ["2", "Kiểm tra", "Quý II/2025", "Sở Tư pháp", ""]], ruled=False)  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [(t.heading, t.lead, t.rows) for t in plan.tables] == [
        ("Phụ lục 1: CÁC NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ", "SỞ NỘI VỤ", 3)]  # fmt: skip
    assert [r.cells[:4] for r in plan.rows[2:]] == [
        ("1", "Rà soát", "Quý I/2025", "SỞ NỘI VỤ"),
        ("2", "Kiểm tra", "Quý II/2025", "Sở Tư pháp"),
    ]
    assert plan.errors == []
    assert plan.warnings == []
    assert plan.notes == [
        "Bảng 1, chữ ở ô bên cạnh bảng (bảng bố cục quanh bảng nhiệm vụ): “Khung trong”, "
        "“Khung ngoài”: không phải tên phụ lục hay nhiệm vụ, không đọc"
    ]


def test_a_task_table_with_no_stt_column_after_one_with_it_is_an_error(tmp_path: Path) -> None:
    """Its rows would join the last task of the table before (a row with no STT goes on
    with the task above): refused with the table named, never joined silently."""
    document = PlanDocument()
    document.paragraph("Số: 44/KH-SNV")
    document.table(5, [TableRow(HEADER, header=True),
                       TableRow(["1", "Rà soát", "Quý I/2025", "Sở Nội vụ", ""])])  # fmt: skip
    document.paragraph("PHỤ LỤC 2")
    document.table(3, [TableRow(["Nhiệm vụ", "Tiến độ", "Cơ quan chủ trì"], header=True),
                       TableRow(["Kiểm tra", "Quý II/2025", "Sở Tư pháp"])])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [e.reason for e in plan.errors] == [
        "Bảng 2: không có cột STT (dòng tiêu đề: Nhiệm vụ | Tiến độ | Cơ quan chủ trì) nên các "
        "dòng của bảng sẽ bị nối vào nhiệm vụ của bảng trước: hãy thêm cột STT, hoặc nhập bản "
        "Word"
    ]


@pytest.mark.parametrize(
    ("left", "right", "task", "indicator"),
    [
        ("Nội dung", "Nhiệm vụ", "Việc bên phải", "Nhóm bên trái"),
        ("Nội dung", "Nhiệm vụ cụ thể", "Việc bên phải", "Nhóm bên trái"),
        ("Nhóm nhiệm vụ", "Nội dung công việc", "Việc bên phải", "Nhóm bên trái"),
        ("Nội dung công việc", "Nhóm nhiệm vụ", "Nhóm bên trái", "Việc bên phải"),
        ("Nhiệm vụ", "Nhiệm vụ chủ yếu", "Việc bên phải", "Nhóm bên trái"),  # nearer the lead
    ],
)
def test_of_two_columns_that_read_as_the_task_the_specific_one_is_it_the_other_kept(
    registry: Engine, tmp_path: Path, left: str, right: str, task: str, indicator: str
) -> None:
    document = PlanDocument()
    document.paragraph("Số: 50/KH-SNV")
    document.table(6, [
        TableRow(["STT", left, right, "Cơ quan chủ trì", "Phối hợp", "Tiến độ"], header=True),
        TableRow(["1", "Nhóm bên trái", "Việc bên phải", "Sở Nội vụ", "", "Quý I/2025"]),
    ])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    header = plan.rows[0].cells
    assert plan.errors == []
    assert plan.rows[1].cells[header.index("Nhiệm vụ cụ thể / Nội dung công việc")] == task
    assert plan.rows[1].cells[header.index("Chỉ số/nội dung")] == indicator
    with Session(registry) as session:  # the preview shows both, the kept one first
        report = import_plan(session, tmp_path / "kh.docx", settings=SETTINGS, on=IMPORT_DAY)
        session.rollback()
    assert [r.text for r in report.readings] == [f"{indicator} – {task}"]


def test_a_third_task_like_column_goes_before_the_task_and_two_alike_are_an_error(
    tmp_path: Path,
) -> None:
    """With an indicator column of its own, the other task-like column's value is written
    before the task's text; two task-like columns that nothing tells apart are an error
    naming both, never one dropped."""
    document = PlanDocument()
    document.paragraph("Số: 51/KH-SNV")
    document.table(6, [
        TableRow(["STT", "Chỉ số", "Nhóm nhiệm vụ", "Nhiệm vụ cụ thể", "Chủ trì", "Tiến độ"],
                 header=True),
        TableRow(["1", "Chỉ số 1", "Tuyên truyền", "Họp báo", "Sở Nội vụ", "Quý I/2025"]),
    ])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert plan.rows[1].cells[1:3] == ("Chỉ số 1", "Tuyên truyền: Họp báo")
    document = PlanDocument()
    document.paragraph("Số: 52/KH-SNV")
    document.table(5, [
        TableRow(["STT", "Nội dung", "Tiến độ", "Giải pháp", "Cơ quan chủ trì"], header=True),
        TableRow(["1", "Tuyên truyền", "Quý I/2025", "Họp báo", "Sở Nội vụ"]),
    ])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh2.docx"))
    assert [e.reason for e in plan.errors] == [
        "Bảng 1: không biết cột nào là nhiệm vụ: cột “Nội dung” và cột “Giải pháp” đều có thể "
        "là nhiệm vụ; hãy đặt tên cột nhiệm vụ là “Nhiệm vụ cụ thể” (hoặc “Nội dung công "
        "việc”), cột kia là “Nhóm nhiệm vụ”"
    ]


def test_a_row_with_no_stt_but_its_own_lead_and_deadline_is_joined_and_said(
    tmp_path: Path,
) -> None:
    """Joined to the task above, as the rows' rule has it, but said: it may be a task whose
    number was forgotten, or a part with a deadline of its own under a merged STT."""
    document = PlanDocument()
    document.paragraph("Số: 60/KH-SNV")
    document.table(5, [
        TableRow(HEADER, header=True),
        TableRow(["1", "Việc 1", "Quý I/2025", "Sở Nội vụ", ""]),
        TableRow(["", "Việc không có STT", "Quý II/2025", "Sở Tư pháp", ""]),
        TableRow(["2", "Việc chung", "Quý III/2025", "Sở Nội vụ", ""]),
        TableRow([ABOVE, ABOVE, "Quý IV/2025", "Sở Y tế", ""]),
        TableRow(["", "phần còn lại của việc chung", "", "", "Sở Tư pháp"]),
        TableRow(["3", "Việc ba", "Quý IV/2025", "Sở Nội vụ", ""]),
        TableRow(["", "Xây dựng phần mềm theo dõi", "", "Sở Tư pháp", ""]),  # a lead added
        TableRow(["4", "Tập huấn cho cán bộ các sở,", "Trong năm", "Các sở, ban,", ""]),
        # Cut mid-phrase over a page (a document converted from a PDF): the same row.
        TableRow(["", "ban, ngành", "2025", "ngành, địa phương", ""]),
    ])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert plan.rows[-1].cells[:4] == ("", "ban, ngành", "2025", "ngành, địa phương")
    assert plan.warnings == [
        "Bảng 1, dòng 3: dòng không có STT nhưng có cơ quan chủ trì và tiến độ riêng, đã nối "
        "vào mục 1: hãy đánh số dòng này nếu là nhiệm vụ riêng",
        "Bảng 1, dòng 5: ô STT gộp với dòng trên nhưng dòng có cơ quan chủ trì “Sở Y tế” và "
        "tiến độ “Quý IV/2025” riêng, đã nối vào mục 2 nên mục ấy có nhiều tiến độ: hãy tách "
        "thành nhiệm vụ riêng (đánh số) hoặc đặt thời hạn cho từng cơ quan",
        "Bảng 1, dòng 8: dòng không có STT nhưng có cơ quan chủ trì và nội dung riêng, đã nối "
        "vào mục 3: hãy đánh số dòng này nếu là nhiệm vụ riêng",
    ]


@pytest.mark.parametrize(
    ("title", "code"),
    [
        ("NHIỆM VỤ GIAO SỞ NỘI VỤ CHỦ TRÌ", "so-noi-vu"),
        ("CÁC NHIỆM VỤ DO SỞ TƯ PHÁP CHỦ TRÌ THỰC HIỆN", "so-tu-phap"),
        ("DANH MỤC NHIỆM VỤ CỦA SỞ NỘI VỤ", "so-noi-vu"),
        ("NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TÀI CHÍNH NĂM 2025", "so-tai-chinh"),
        ("CÁC NHIỆM VỤ GIAO CHO SỞ TƯ PHÁP", "so-tu-phap"),
        ("NHIỆM VỤ ĐƯỢC GIAO SỞ NỘI VỤ NĂM 2025", "so-noi-vu"),
    ],
)
def test_an_appendix_title_names_the_lead_in_the_ways_plans_write_it(
    registry: Engine, tmp_path: Path, title: str, code: str
) -> None:
    """The year after the name ("… NĂM 2025") is no part of it."""
    document = PlanDocument()
    document.paragraph("Số: 70/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    document.paragraph(title)
    document.table(3, [TableRow(["STT", "Nhiệm vụ", "Tiến độ"], header=True),
                       TableRow(["1", "Rà soát", "Quý I/2025"])])  # fmt: skip
    path = document.save(tmp_path / "kh.docx")
    with Session(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
        ((*_, parts),) = tasks_of(session, "70/KH-SNV").values()
    assert [(c, r) for c, r, _ in parts] == [(code, "lead")]


def test_two_appendices_with_one_number_are_an_error_that_names_the_cause(
    tmp_path: Path,
) -> None:
    document = PlanDocument()
    document.paragraph("Số: 71/KH-SNV")
    for lead in ("SỞ NỘI VỤ", "SỞ TƯ PHÁP"):
        document.paragraph("PHỤ LỤC 2")
        document.paragraph(f"NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA {lead}")
        document.table(3, [TableRow(["STT", "Nhiệm vụ", "Tiến độ"], header=True),
                           TableRow(["1", "Rà soát", "Quý I/2025"])])  # fmt: skip
    plan = read_word(document.save(tmp_path / "kh.docx"))
    assert [e.reason for e in plan.errors] == [
        "Bảng 2: “Phụ lục 2: NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TƯ PHÁP” mang cùng số “Phụ lục "
        "2” với Bảng 1 (“Phụ lục 2: NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ”): hai phụ lục "
        "cùng số thì nhiệm vụ của chúng trùng mã; hãy sửa số phụ lục trong văn bản rồi nhập lại"
    ]


def test_an_error_about_a_lead_from_the_title_says_it_is_the_titles_text(
    registry: Engine, tmp_path: Path
) -> None:
    document = PlanDocument()
    document.paragraph("Số: 72/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    document.paragraph("NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ TÀI CHÍNH VÀ SỞ VŨ TRỤ NĂM 2025")
    document.table(3, [TableRow(["STT", "Nhiệm vụ", "Tiến độ"], header=True),
                       TableRow(["1", "Rà soát", "Quý I/2025"])])  # fmt: skip
    path = document.save(tmp_path / "kh.docx")
    with pytest.raises(ImportFailed) as failure, Session(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    (line,) = failure.value.lines()
    assert line.startswith(
        f"{path}: Bảng 1, dòng 2, cột Cơ quan chủ trì (theo tên phụ lục: “SỞ TÀI CHÍNH VÀ SỞ VŨ "
        "TRỤ”): cơ quan chủ trì không có trong danh mục: “SỞ VŨ TRỤ”"
    )
    assert line.endswith(" trong tên phụ lục “SỞ TÀI CHÍNH VÀ SỞ VŨ TRỤ”") and "ô “" not in line


@pytest.mark.parametrize("title", [
    "NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ (PHỐI HỢP VỚI SỞ TÀI CHÍNH)",
    "NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ (PHỐI HỢP: SỞ TÀI CHÍNH)",
    "CÁC NHIỆM VỤ DO SỞ NỘI VỤ CHỦ TRÌ, SỞ TÀI CHÍNH PHỐI HỢP THỰC HIỆN",
    "CÁC NHIỆM VỤ GIAO SỞ NỘI VỤ CHỦ TRÌ, PHỐI HỢP VỚI SỞ TÀI CHÍNH",
    "NHIỆM VỤ THUỘC TRÁCH NHIỆM CỦA SỞ NỘI VỤ, PHỐI HỢP VỚI SỞ TÀI CHÍNH NĂM 2025",
])  # fmt: skip
def test_an_appendix_title_naming_a_coordinating_agency_gives_it_to_every_task(
    registry: Engine, tmp_path: Path, title: str
) -> None:
    """ "… CỦA SỞ NỘI VỤ (PHỐI HỢP VỚI SỞ TÀI CHÍNH)": Sở Tài chính coordinates each task of
    the appendix, beside the agencies a row names itself; it was dropped without a word."""
    document = PlanDocument()
    document.paragraph("Số: 71/KH-SNV")
    document.paragraph("PHỤ LỤC 1")
    document.paragraph(title)
    document.table(4, [TableRow(["STT", "Nhiệm vụ", "Phối hợp", "Tiến độ"], header=True),
                       TableRow(["1", "Rà soát", "", "Quý I/2025"]),
                       TableRow(["2", "Công khai", "Sở Tư pháp", "Quý I/2025"]),
                       TableRow(["3", "Báo cáo", "Sở Tài chính", "Quý I/2025"])])  # fmt: skip
    path = document.save(tmp_path / "kh.docx")
    with Session(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
        parts = [
            sorted((c, r) for c, r, _ in p) for *_, p in tasks_of(session, "71/KH-SNV").values()
        ]
    lead, helps = ("so-noi-vu", "lead"), ("so-tai-chinh", "coordinate")
    assert parts == [sorted([lead, helps]), sorted([lead, helps, ("so-tu-phap", "coordinate")]),
                     sorted([lead, helps])]  # fmt: skip


def test_cells_beyond_the_header_s_columns_are_said_not_dropped(tmp_path: Path) -> None:
    """A row laid with more cells than the header has columns: what they hold is read by
    no column, and said."""
    document = PlanDocument()
    document.paragraph("Số: 72/KH-SNV")
    document.table(4, [TableRow(["STT", "Nhiệm vụ", "Cơ quan chủ trì", "Tiến độ"], header=True),
                       TableRow(["1", "Rà soát", "Sở Nội vụ", "Quý I/2025"]),
                       TableRow(["2", "Công khai", "Sở Nội vụ", "Quý II/2025"])])  # fmt: skip
    path = document.save(tmp_path / "kh.docx")
    word = docx.Document(str(path))  # a fifth cell in row 2, beyond the table's grid
    row = word.tables[0].rows[1]._tr
    row.append(copy.deepcopy(row.tc_lst[-1]))
    _Cell(row.tc_lst[-1], word.tables[0]).text = "Ghi chú lạc"
    word.save(str(path))
    plan = read_word(path)
    assert plan.warnings == [
        "Bảng 1, dòng 2: ô ngoài các cột của dòng tiêu đề, không đọc: “Ghi chú lạc”: hãy đối "
        "chiếu văn bản, nếu ô ấy là một cột của bảng thì thêm tiêu đề cho cột"
    ]


def test_a_header_s_numbering_row_is_no_part_of_its_columns_names(
    registry: Engine, tmp_path: Path
) -> None:
    """A header of two rows with the numbering row "(1) (2) …" under it: a problem names
    the column as the header does ("Cơ quan thực hiện Chủ trì"), without its number."""
    document = PlanDocument()
    document.paragraph("Số: 46/KH-UBND")
    bold = [Span(t, 1, bold=True) for t in ("STT", "Nội dung công việc")]
    document.table(6, [
        TableRow([*bold, Span("Cơ quan thực hiện", 2, bold=True),
                  Span("Thời gian hoàn thành", 1, bold=True), Span("Sản phẩm", 1)], header=True),
        TableRow([ABOVE, ABOVE, "Chủ trì", "Phối hợp", ABOVE, ABOVE], header=True),
        TableRow([f"({i})" for i in range(1, 7)], header=True),
        TableRow(["1", "Việc 1", "Sở Không Có", "", "Quý I/2025", "Báo cáo"]),
    ])  # fmt: skip
    path = document.save(tmp_path / "so_cot.docx")
    with pytest.raises(ImportFailed) as failure, session_scope(registry) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    (line,) = failure.value.lines()
    assert line.startswith(f"{path}: Bảng 1, dòng 4, cột Cơ quan thực hiện Chủ trì: "), line
