"""What a plan file really is, from its first bytes, and the words for a name that lies.

A file renamed by hand (a .docx named .pdf), random bytes saved as .doc, an .odt sent for a
.docx: each is said as what it is and what to do, before a reader fails on it in its own
words ("không thấy bảng nhiệm vụ", an XML error).
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from bot.importers.tabular import TABLE_SUFFIXES, FileProblem

PLAN_SUFFIXES = frozenset(TABLE_SUFFIXES | {".docx", ".doc", ".pdf"})  # what a plan is read from
_SAID = ".csv, .xlsx, .docx, .doc hoặc .pdf"

# Kinds as :func:`content_kind` names them, in words, and the ending each should have.
_KINDS = {
    "pdf": ("tệp PDF", ".pdf"),
    "docx": ("tệp Word (.docx)", ".docx"),
    "xlsx": ("tệp Excel (.xlsx)", ".xlsx"),
    "odt": ("tệp OpenDocument (.odt, LibreOffice Writer)", ".odt"),
    "ods": ("tệp OpenDocument (.ods, LibreOffice Calc)", ".ods"),
    "zip": ("tệp nén (.zip)", ".zip"),
    "broken_zip": ("tệp nén (Word, Excel…) bị hỏng hoặc chép, tải về chưa hết", ""),
    "ole": ("tệp Office 97–2003 (.doc hoặc .xls)", ".doc"),
    "rtf": ("tệp RTF (.rtf)", ".rtf"),
    "html": ("trang HTML", ".html"),
    "text": ("văn bản thuần (CSV hay .txt)", ".csv"),
}


def content_kind(path: Path) -> str | None:
    """ "pdf", "docx", "xlsx", "odt", "ods", "zip", "ole", "rtf", "html", "text", or None
    for bytes that are none of these (or an empty file)."""
    with path.open("rb") as raw:
        head = raw.read(4096)
    if not head:
        return None
    if b"%PDF-" in head[:1024]:  # a PDF's header may follow a few stray bytes
        return "pdf"
    if head.startswith(b"PK"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
                mime = (
                    archive.read("mimetype").decode("ascii", "replace")
                    if "mimetype" in names
                    else ""
                )
        except (zipfile.BadZipFile, OSError, KeyError):
            return "broken_zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        if mime.endswith("opendocument.text"):
            return "odt"
        if mime.endswith("opendocument.spreadsheet"):
            return "ods"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "ole"
    if head.startswith(b"{\\rtf"):
        return "rtf"
    start = head.lstrip().lower()
    if start.startswith((b"<html", b"<!doctype html", b"<?xml", b"<table")):
        return "html"
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as exc:  # cut in a character at the end of the 4 KB read
        text = head[: exc.start].decode("utf-8") if exc.start > len(head) - 4 else ""
    if text and all(ch.isprintable() or ch in "\r\n\t" for ch in text):
        return "text"
    return None


# What each ending may hold: a .doc saved by Word may be RTF, HTML or even a .docx inside.
_ACCEPTED = {
    ".pdf": {"pdf"},
    ".docx": {"docx"},
    ".doc": {"ole", "docx", "rtf", "html"},
}
_NOT = {".pdf": "không phải tệp PDF", ".docx": "không phải tệp Word (.docx) hợp lệ",
        ".doc": "không phải tệp Word"}  # fmt: skip


def check_plan_file(path: Path) -> None:
    """Raise FileProblem (naming ``path``) when a plan cannot be read from a file with this
    ending (listing the endings read), or when a .docx, .doc or .pdf holds another kind of
    file (naming what it is and the ending to give it). Other files, and bytes of no
    known kind in a .docx or .pdf, are left to the readers to say."""
    suffix = path.suffix.lower()
    if not path.is_file():
        return  # a folder, a missing file: the readers say so
    if suffix not in PLAN_SUFFIXES:
        advice = (
            ": hãy mở bằng Word hoặc LibreOffice rồi “Lưu thành” dạng .docx"
            if suffix in (".odt", ".rtf", ".wpd", ".pages")
            else ""
        )
        raise FileProblem(
            path,
            f"không đọc được loại tệp {suffix or '(không đuôi)'}: kế hoạch đọc từ tệp {_SAID}"
            + advice,
        )
    if suffix not in _ACCEPTED:
        return
    kind = content_kind(path)
    if kind in _ACCEPTED[suffix] or (kind is None and suffix != ".doc"):
        return
    if kind is None:
        raise FileProblem(
            path, f"{_NOT[suffix]}: nội dung không phải văn bản Word nào (tệp hỏng hoặc loại "
            "tệp khác); hãy mở bằng Word rồi lưu lại dạng .docx",
        )  # fmt: skip
    what, ending = _KINDS[kind]
    if kind == "ole" and suffix == ".docx":
        what, ending = "tệp Word 97–2003 (.doc)", ".doc"
    todo = (
        "hãy chép hoặc tải lại tệp, hoặc mở bằng Word rồi lưu lại"
        if kind == "broken_zip"
        else f"hãy đổi đuôi tệp thành {ending}"
        if ending in PLAN_SUFFIXES
        else "hãy mở bằng Word hoặc LibreOffice rồi “Lưu thành” dạng .docx"
    )
    said = what if kind == "broken_zip" else f"{what} mang đuôi {suffix}"
    raise FileProblem(path, f"{_NOT[suffix]}: đây là {said}; {todo}")
