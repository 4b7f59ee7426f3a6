"""Text files as Windows tools old and new write them: a plan and a one-stop export import
the same whatever their BOM, line breaks, final newline, blank lines or DOS end-of-file
mark at the end; a byte that is not text, wherever it is, is refused by file, line, place
and bytes, and a file typed in an old Vietnamese font is refused rather than read as
gibberish. Real files in tmp_path, imported as ``dondoc import`` imports them."""

from __future__ import annotations

import codecs
import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.db import session_scope, upgrade
from bot.importers.files import import_files
from bot.importers.plans import import_plan
from bot.importers.tabular import FileProblem
from bot.models import Task, TthcFile
from tests.cli import Dondoc, one_error_line
from tests.files import SHORT, labels
from tests.province import CAL, IMPORT_DAY, SETTINGS

PLAN = (
    "Số kế hoạch,99/KH-UBND\nNgày ban hành,05/01/2025\n\n"
    "STT,Nhiệm vụ cụ thể,Tiến độ,Cơ quan chủ trì\n"
    + "".join(f"{n},Rà soát thủ tục số {n},31/12/2025,Sở Nội vụ\n" for n in range(1, 6))
)
EXPORT = (
    ",".join(labels(*SHORT))
    + "\n"
    + "".join(
        f"TP-{n},Chứng thực,Lê Văn An,Sở Tư pháp,02/01/2025 09:00,07/01/2025,Đang xử lý\n"
        for n in range(1, 6)
    )
)

# What a tool may do to a text file: (the text ending in "\n") → the bytes written.
SHAPES: dict[str, Callable[[str], bytes]] = {
    "UTF-8, LF": lambda t: t.encode(),
    "UTF-8 BOM": lambda t: codecs.BOM_UTF8 + t.encode(),
    "CRLF": lambda t: t.replace("\n", "\r\n").encode(),
    "BOM and CRLF": lambda t: codecs.BOM_UTF8 + t.replace("\n", "\r\n").encode(),
    "no final newline": lambda t: t.removesuffix("\n").encode(),
    "a blank line at the end": lambda t: (t + "\n").encode(),
    "blank lines at the end": lambda t: (t + "\n\r\n \n,,,\n\n").encode(),
    "Ctrl-Z at the end": lambda t: t.encode() + b"\x1a",
    "Ctrl-Z after CRLF and a BOM": lambda t: (
        codecs.BOM_UTF8 + t.replace("\n", "\r\n").encode() + b"\x1a"
    ),
    "Ctrl-Z with no final newline": lambda t: t.removesuffix("\n").encode() + b"\x1a",
    "Ctrl-Z after blank lines": lambda t: (t + "\r\n\r\n").encode() + b"\x1a",
    "Ctrl-Z twice": lambda t: t.encode() + b"\x1a\x1a",
    "UTF-16 with Ctrl-Z": lambda t: (t + "\x1a").encode("utf-16"),
}


@pytest.fixture
def db_url(tmp_path: Path) -> Iterator[str]:
    """SQLite only: what is read from the file does not depend on the database."""
    url = f"sqlite:///{tmp_path / 'dondoc.db'}"
    upgrade(url)
    yield url


def plan_tasks(engine: Engine, path: Path) -> list[str]:
    with session_scope(engine) as s:
        import_plan(s, path, settings=SETTINGS, on=IMPORT_DAY)
    with Session(engine) as s:
        return sorted(t.text for t in s.exec(select(Task)))


def export_files(engine: Engine, path: Path) -> list[str]:
    with session_scope(engine) as s:
        import_files(s, path, cal=CAL, settings=SETTINGS.files, on=IMPORT_DAY)
    with Session(engine) as s:
        return sorted(f"{f.code} {f.applicant_name} {f.due_on}" for f in s.exec(select(TthcFile)))


IMPORTS = {"plan": (PLAN, plan_tasks), "files": (EXPORT, export_files)}
Importer = Callable[[Engine, Path], list[str]]


def written(engine: Engine) -> int:
    with Session(engine) as s:
        return len(s.exec(select(Task)).all()) + len(s.exec(select(TthcFile)).all())


@pytest.mark.parametrize("kind", IMPORTS)
@pytest.mark.parametrize("shape", SHAPES)
def test_every_way_windows_writes_a_text_file_imports_alike(
    registry_engine: Engine, tmp_path: Path, kind: str, shape: str
) -> None:
    text, read = IMPORTS[kind]
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(SHAPES[shape](text))
    imported = read(registry_engine, path)
    assert len(imported) == 5
    if kind == "plan":
        assert imported == [f"Rà soát thủ tục số {n}" for n in range(1, 6)]
    else:
        assert imported == [f"TP-{n} Lê Văn An 2025-01-07" for n in range(1, 6)]


@pytest.mark.parametrize("kind", IMPORTS)
@pytest.mark.parametrize(
    ("tail", "line"),
    [
        ("\x1a\n", 10),  # an end-of-file mark that does not end the file
        ("6,Rà soát\x1a,31/12/2025,Sở Nội vụ\n", 10),
        ("\x1a\x1a\n\x1a", 10),
    ],
)
def test_ctrl_z_anywhere_but_the_end_is_still_a_strange_character(
    registry_engine: Engine, tmp_path: Path, kind: str, tail: str, line: int
) -> None:
    text, read = IMPORTS[kind]
    if kind == "files":
        line -= 3  # the export has no plan lines above its header
        tail = tail.replace("6,Rà soát", "TP-6,Chứng thực")
    path = tmp_path / f"{kind}.csv"
    path.write_bytes((text + tail).encode())
    with pytest.raises(FileProblem) as problem:
        read(registry_engine, path)
    assert f"dòng {line}: có ký tự lạ (mã 0x1A)" in str(problem.value), problem.value
    assert str(path) in str(problem.value)
    assert written(registry_engine) == 0


def with_bad_byte(text: str, line: int, before: str, bad: bytes) -> bytes:
    """``text`` as UTF-8 with ``bad`` put on (1-based) ``line`` just before ``before``."""
    lines = text.encode().split(b"\n")
    at = lines[line - 1].index(before.encode())
    lines[line - 1] = lines[line - 1][:at] + bad + lines[line - 1][at:]
    return b"\n".join(lines)


LONG = 3000  # rows added: the file runs well past the 64 KiB its encoding is told from


def longer(kind: str) -> str:
    text = IMPORTS[kind][0]
    if kind == "plan":
        return text + "".join(f"{n},Việc số {n},31/12/2025,Sở Nội vụ\n" for n in range(6, LONG))
    row = "TP-{n},Chứng thực,Lê Văn An,Sở Tư pháp,02/01/2025 09:00,07/01/2025,Đang xử lý\n"
    return text + "".join(row.format(n=n) for n in range(6, LONG))


# (where, the line in the plan, the text the bad bytes go before, the bytes)
BAD_BYTES = [
    ("in the header's first cell", 4, "STT", b"\xff"),
    ("first thing in the file", 1, "Số", b"\xff"),
    ("early, after Vietnamese letters", 5, "thủ tục", b"\xc0\xaf"),
    ("a character cut short", 6, "Nội", b"\xe1\xbb"),
    ("a Windows-1252 quote", 7, "31/12", b"\x93"),
    ("past the first 64 KiB", LONG - 10, "Sở", b"\x81"),
]


@pytest.mark.parametrize("kind", IMPORTS)
@pytest.mark.parametrize(
    ("line", "before", "bad"), [b[1:] for b in BAD_BYTES], ids=[b[0] for b in BAD_BYTES]
)
def test_a_byte_that_is_not_utf8_names_its_line_place_and_bytes(
    registry_engine: Engine, tmp_path: Path, kind: str, line: int, before: str, bad: bytes
) -> None:
    text, read = longer(kind), IMPORTS[kind][1]
    if kind == "files":
        if line <= 4:  # the plan's lines above its header: put the byte in the export's header
            line, before = 1, "Mã" if before != "STT" else "Tên"
        else:
            line -= 3
            before = {"thủ tục": "Chứng", "Nội": "Tư", "31/12": "07/01"}.get(before, before)
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(with_bad_byte(text, line, before, bad))
    place = text.split("\n")[line - 1].index(before) + 1
    with pytest.raises(FileProblem) as problem:
        read(registry_engine, path)
    said = str(problem.value)
    shown = " ".join(f"0x{b:02X}" for b in bad)
    assert said.startswith(f"{path}: dòng {line}, ký tự thứ {place}: sai bảng mã"), said
    assert shown in said and "UTF-8" in said, said
    assert said.endswith("hãy lưu lại tệp dưới dạng CSV UTF-8"), said
    assert written(registry_engine) == 0


def test_bad_bytes_on_the_command_line_name_file_line_and_bytes(
    dondoc: Dondoc, tmp_path: Path
) -> None:
    dondoc.ok("import", "agencies", str(Path(__file__).parent.parent / "seed" / "agencies.csv"))
    (tmp_path / "plan.csv").write_bytes(with_bad_byte(PLAN, 5, "Rà", b"\xff"))
    output = one_error_line(dondoc("import", "tasks", "plan.csv"))
    assert "plan.csv: dòng 5, ký tự thứ 3: sai bảng mã, byte 0xFF" in output, output
    (tmp_path / "export.csv").write_bytes(with_bad_byte(EXPORT, 2, "Lê", b"\xfe\xfe"))
    output = one_error_line(dondoc("import", "files", "export.csv"))
    assert "export.csv: dòng 2, ký tự thứ 17: sai bảng mã, các byte 0xFE 0xFE" in output, output


# TCVN3 ("ABC", the .VnTime fonts): Vietnamese letters on the bytes of Latin-1's symbols
# and letters; the capitals with tones are the lower case's bytes in a capitals font.
_TCVN3 = dict(
    zip(
        "ĂÂÊÔƠƯĐăâêôơưđàảãáạằẳẵắặầẩẫấậèẻẽéẹềểễếệìỉĩíịòỏõóọồổỗốộờởỡớợùủũúụừửữứựỳỷỹýỵ",
        bytes.fromhex(
            "a1a2a3a4a5a6a7 a8a9aaabacadae b5b6b7b8b9 bbbcbdbec6 c7c8c9cacb cccecfd0d1 d2d3d4d5d6"
            " d7d8dcddde dfe1e2e3e4 e5e6e7e8e9 eaebecedee eff1f2f3f4 f5f6f7f8f9 fafbfcfdfe"
        ),
        strict=True,
    )
)


def tcvn3(text: str) -> bytes:
    out = bytearray()
    for char in text:
        if char.isascii():
            out += char.encode()
        else:
            out.append(_TCVN3.get(char) or _TCVN3[char.lower()])
    return bytes(out)


_VNI_TONES = {  # after a vowel, after â ê ô (a circumflex), after ă (a breve)
    "\u0301": "ùáé",
    "\u0300": "øàè",
    "\u0309": "ûåú",
    "\u0303": "õãü",
    "\u0323": "ïäë",
}
_VNI_I = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}


def vni(text: str) -> bytes:
    """VNI (the VNI-Times fonts): a letter, then its marks on letters of other languages."""
    out = []
    for char in text:
        base, *marks = unicodedata.normalize("NFD", char)
        if not marks or not base.isalpha():
            out.append({"đ": "ñ", "Đ": "Ñ"}.get(char, char))
            continue
        upper, base = base.isupper(), base.lower()
        shape = 1 if "\u0302" in marks else 2 if "\u0306" in marks else 0
        if "\u031b" in marks:  # the horn: ơ and ư are letters of their own
            base = {"o": "ô", "u": "ö"}[base]
        tone = next((m for m in marks if m in _VNI_TONES), None)
        if tone and base == "i":
            base = _VNI_I[tone]
        elif tone:  # one letter for the circumflex or the breve and the tone
            base += _VNI_TONES[tone][shape]
        elif shape:
            base += "âê"[shape - 1]
        out.append(base.upper() if upper else base)
    return "".join(out).encode("cp1252")


OLD_FONTS = {"TCVN3": tcvn3, "VNI": vni}


def ascii_of(text: str) -> str:
    return unicodedata.normalize("NFD", text).encode("ascii", "ignore").decode()


@pytest.mark.parametrize("kind", IMPORTS)
@pytest.mark.parametrize("font", OLD_FONTS)
@pytest.mark.parametrize("everywhere", [True, False], ids=["every line", "one cell"])
def test_a_file_typed_in_an_old_vietnamese_font_is_refused_not_imported_as_gibberish(
    registry_engine: Engine, tmp_path: Path, kind: str, font: str, everywhere: bool
) -> None:
    text, read = IMPORTS[kind]
    encode = OLD_FONTS[font]
    if everywhere:
        data = encode(text)
    else:  # ASCII but one cell: a code page reads it without a fault
        cell = "Rà soát thủ tục số 1" if kind == "plan" else "Sở Tư pháp"
        data = encode(ascii_of(text).replace(ascii_of(cell), cell, 1))
    path = tmp_path / f"{kind}.csv"
    path.write_bytes(data)
    with pytest.raises(FileProblem) as problem:
        read(registry_engine, path)
    said = str(problem.value)
    assert "bảng mã cũ (TCVN3" in said and "CSV UTF-8" in said and str(path) in said, said
    assert written(registry_engine) == 0


def test_windows_1258_with_a_foreign_name_still_imports(
    registry_engine: Engine, tmp_path: Path
) -> None:
    from tests.test_import import windows_vietnamese

    text = EXPORT.replace("Lê Văn An", "Müller Ångström", 1)
    path = tmp_path / "export.csv"
    path.write_bytes(windows_vietnamese(text))
    imported = export_files(registry_engine, path)
    assert imported[0] == "TP-1 Müller Ångström 2025-01-07"
    assert imported[1:] == [f"TP-{n} Lê Văn An 2025-01-07" for n in range(2, 6)]


def test_an_old_font_past_the_first_64_kib_of_a_windows_1258_export_is_refused(
    registry_engine: Engine, tmp_path: Path
) -> None:
    from tests.test_import import windows_vietnamese

    text = longer("files")  # a header and 2,999 rows in Windows-1258: the code page read
    row = "TP-X,Chứng thực,Lê Văn An,Sở Tư pháp,02/01/2025 09:00,07/01/2025,Đang xử lý\n"
    path = tmp_path / "export.csv"
    path.write_bytes(windows_vietnamese(text) + tcvn3(row))
    with pytest.raises(FileProblem) as problem:
        export_files(registry_engine, path)
    assert f"dòng {LONG + 1}: tệp được gõ bằng bảng mã cũ" in str(problem.value)
    assert written(registry_engine) == 0
