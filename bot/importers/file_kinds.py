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
    "encrypted": ("tệp Office có mật khẩu", ""),
    "rtf": ("tệp RTF (.rtf)", ".rtf"),
    "html": ("trang HTML", ".html"),
    "text": ("văn bản thuần (CSV hay .txt)", ".csv"),
}


def content_kind(path: Path) -> str | None:
    """ "pdf", "docx", "xlsx", "odt", "ods", "zip", "ole", "encrypted" (a .docx or .xlsx
    saved with a password), "rtf", "html", "text", or None for bytes that are none of these
    (or an empty file)."""
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
        return "encrypted" if _encrypted_package(path) else "ole"
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


# An OLE directory entry naming the stream of an Office 2007+ file saved with a password
# (MS-OFFCRYPTO): its name in UTF-16 with the terminator, 64 bytes, then the name's length
# in bytes (34) and the entry's type (2, a stream). Entries are 128 bytes, 128-aligned.
_ENCRYPTED_NAME = "EncryptedPackage".encode("utf-16-le") + b"\0\0"
_ENCRYPTED_ENTRY = _ENCRYPTED_NAME.ljust(64, b"\0") + b"\x22\x00\x02"
_CHUNK = 1 << 20  # bytes read at a time, a multiple of 128


def _encrypted_package(path: Path) -> bool:
    """Whether the OLE compound file ``path`` holds an ``EncryptedPackage`` stream: the way
    Office keeps a .docx or .xlsx saved with a password (its bytes begin as a .doc's do).
    Its directory may lie anywhere in the file: each 128-byte entry is looked at."""
    with path.open("rb") as raw:
        while chunk := raw.read(_CHUNK):
            at = chunk.find(_ENCRYPTED_ENTRY)
            while at >= 0:
                if at % 128 == 0:
                    return True
                at = chunk.find(_ENCRYPTED_ENTRY, at + 1)
    return False


_PASSWORD = {
    "Word": "tệp Word có mật khẩu: hãy mở bằng Word, bỏ mật khẩu (Tệp › Thông tin › Bảo vệ tài "
    "liệu) rồi lưu lại .docx và nhập lại",
    "Excel": "tệp Excel có mật khẩu: hãy mở bằng Excel, bỏ mật khẩu (Tệp › Thông tin › Bảo vệ "
    "sổ làm việc) rồi lưu lại .xlsx và nhập lại",
}

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
    ending (listing the endings read); when a .docx, .doc or .pdf is empty, or holds
    another kind of file (naming what it is and the ending to give it); when a .docx,
    .doc, .pdf or .xlsx is an Office file saved with a password (saying how to remove it).
    Other files, and bytes of no known kind in a .docx or .pdf, are left to the readers."""
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
    if suffix not in _ACCEPTED and suffix != ".xlsx":
        return
    if suffix in _ACCEPTED and path.stat().st_size == 0:
        raise FileProblem(path, "tệp rỗng (0 byte, không có nội dung): hãy chép hoặc tải lại tệp")
    kind = content_kind(path)
    if kind == "encrypted":  # said before the ending: a .docx with a password is OLE as a .doc
        raise FileProblem(path, _PASSWORD["Excel" if suffix == ".xlsx" else "Word"])
    if suffix not in _ACCEPTED:
        return
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
