"""A plan file that is not what its name says, or is broken, is named as what it is, with
what to do; never a reader's own error (an XML parser's, "no task table")."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from sqlmodel import Session

from bot.db import make_engine
from bot.importers.file_kinds import content_kind
from bot.importers.plans import import_plan
from bot.importers.tabular import FileProblem
from tests.docx_plans import PlanDocument, TableRow
from tests.province import IMPORT_DAY, SETTINGS


def word_plan(path: Path) -> Path:
    doc = PlanDocument()
    doc.paragraph("KẾ HOẠCH")
    doc.table(3, [TableRow(["STT", "Nhiệm vụ", "Chủ trì"], header=True),
                  TableRow(["1", "Việc A", "Sở Nội vụ"])])  # fmt: skip
    return doc.save(path)


def refused(path: Path) -> str:
    with pytest.raises(FileProblem) as problem, Session(make_engine("sqlite://")) as session:
        import_plan(session, path, settings=SETTINGS, on=IMPORT_DAY)
    assert str(problem.value).startswith(f"{path}: ")
    return problem.value.reason


def test_a_word_file_with_broken_xml_inside_says_so_and_what_to_do(tmp_path: Path) -> None:
    good = word_plan(tmp_path / "good.docx")
    broken = tmp_path / "hong.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as out:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                data = data.replace(b"</w:body>", b"<w:p></w:body>")  # an unclosed element
            out.writestr(item, data)
    assert content_kind(broken) == "docx"
    assert refused(broken) == (
        "tệp Word bị hỏng (nội dung bên trong không đọc được): mở bằng Word rồi lưu lại "
        "(Word tự sửa tệp khi mở), rồi nhập lại"
    )


@pytest.mark.parametrize("suffix", [".odt", ".rtf", ".ods", ".html"])
def test_an_ending_not_read_lists_every_kind_that_is(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"kh{suffix}"
    path.write_bytes(b"{\\rtf1 ...}")
    reason = refused(path)
    assert reason.startswith(
        f"không đọc được loại tệp {suffix}: kế hoạch đọc từ tệp .csv, .xlsx, .docx, .doc hoặc .pdf"
    )
    assert ("“Lưu thành” dạng .docx" in reason) == (suffix in (".odt", ".rtf"))


def test_a_file_named_as_another_kind_is_named_as_what_it_is(tmp_path: Path) -> None:
    docx_as_pdf = word_plan(tmp_path / "kh.pdf")
    assert refused(docx_as_pdf) == (
        "không phải tệp PDF: đây là tệp Word (.docx) mang đuôi .pdf; hãy đổi đuôi tệp thành .docx"
    )
    pdf_as_docx = tmp_path / "kh.docx"
    pdf_as_docx.write_bytes(b"%PDF-1.7\n%\xe2\xe3\n")
    assert refused(pdf_as_docx) == (
        "không phải tệp Word (.docx) hợp lệ: đây là tệp PDF mang đuôi .docx; hãy đổi đuôi tệp "
        "thành .pdf"
    )
    old_word_as_docx = tmp_path / "cu.docx"
    old_word_as_docx.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500))
    assert "đây là tệp Word 97–2003 (.doc) mang đuôi .docx; hãy đổi đuôi tệp thành .doc" in (
        refused(old_word_as_docx)
    )
    cut = tmp_path / "cut.docx"
    cut.write_bytes(word_plan(tmp_path / "whole.docx").read_bytes()[:3000])
    assert "bị hỏng hoặc chép, tải về chưa hết" in refused(cut)


def test_random_bytes_named_doc_are_no_word_file(tmp_path: Path) -> None:
    junk = tmp_path / "kh.doc"
    junk.write_bytes(bytes(range(256)) * 16)
    assert content_kind(junk) is None
    assert refused(junk).startswith("không phải tệp Word: nội dung không phải văn bản Word nào")
    text = tmp_path / "ghi-chu.doc"
    text.write_text("STT,Nhiệm vụ\n1,Việc A\n", encoding="utf-8")
    assert refused(text) == (
        "không phải tệp Word: đây là văn bản thuần (CSV hay .txt) mang đuôi .doc; hãy đổi "
        "đuôi tệp thành .csv"
    )


ENCRYPTED = Path(__file__).resolve().parent / "data" / "encrypted" / "mat_khau.docx"


@pytest.mark.parametrize("name", ["mat_khau.docx", "mat_khau.doc", "mat_khau.pdf", "MAT_KHAU.DOCX"])
def test_a_word_file_saved_with_a_password_says_so_whatever_its_ending(
    tmp_path: Path, name: str
) -> None:
    """Office keeps a .docx saved with a password in an OLE file, whose first bytes are a
    .doc's: it is said to have a password, with how to remove it, not to be a .doc (nor
    given to LibreOffice, which fails on it)."""
    path = tmp_path / name
    path.write_bytes(ENCRYPTED.read_bytes())
    assert content_kind(path) == "encrypted"
    assert refused(path) == (
        "tệp Word có mật khẩu: hãy mở bằng Word, bỏ mật khẩu (Tệp › Thông tin › Bảo vệ tài liệu) "
        "rồi lưu lại .docx và nhập lại"
    )
    excel = tmp_path / "bang.xlsx"
    excel.write_bytes(ENCRYPTED.read_bytes())
    assert refused(excel).startswith("tệp Excel có mật khẩu: hãy mở bằng Excel, bỏ mật khẩu")


def test_an_old_word_file_naming_the_stream_in_its_text_is_no_password(tmp_path: Path) -> None:
    """Only a directory entry names the stream: the words in a .doc's text are not one."""
    old = tmp_path / "cu.doc"
    text = "EncryptedPackage".encode("utf-16-le") + b"\0\0"
    old.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500) + text + bytes(600))
    assert content_kind(old) == "ole"


@pytest.mark.parametrize("suffix", [".docx", ".doc", ".pdf"])
def test_an_empty_plan_document_is_called_empty(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"kh{suffix}"
    path.write_bytes(b"")
    assert refused(path) == "tệp rỗng (0 byte, không có nội dung): hãy chép hoặc tải lại tệp"
