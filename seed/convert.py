"""Convert the raw seed plans (text of real documents) into dondoc's plan CSV format.

    python seed/convert.py ../shared/seeds seed/plans

Each converter keeps the plan's table as an admin would paste it: the importer, not
this script, deals with section rows, repeated headers and rows continued over a page
break. What a script cannot read (seed 003, a PDF whose cells are scrambled line by
line) is transcribed by hand in ``seed/plans/003_khanhhoa_stnmt_2022.csv``.
"""

from __future__ import annotations

import csv
import re
import sys
from collections.abc import Iterable
from pathlib import Path

from bot.domain.text import clean

Row = list[str]


def write_plan(path: Path, meta: list[tuple[str, str]], header: Row, rows: Iterable[Row]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerows([list(m) for m in meta])
        writer.writerow([])
        writer.writerow(header)
        writer.writerows(rows)


# --- 000: Markdown tables, split across pages -------------------------------------------


def convert_000(text: str) -> tuple[Row, list[Row]]:
    header: Row = []
    rows: list[Row] = []
    for line in text.splitlines():
        if not line.startswith("|") or set(line) <= set("|- "):
            continue
        cells = [clean(c) for c in line.strip().strip("|").split("|")]
        if not header:
            header = cells
        rows.append(cells)  # repeated page headers stay: the importer skips them
    return header, rows[1:]


# --- 001: prose tasks ending with "Đơn vị chủ trì / phối hợp / Thời gian" lines ---------

_TASK_HEAD = re.compile(r"^(\d+)\. (.+)$")
_FIELD = re.compile(
    r"^-?\s*\*?\s*(Đơn vị[^:]*chủ trì[^:]*|Đơn vị phối hợp[^:]*|Thời gian thực hiện)\s*:\s*(.+?)\*?$"
)


def convert_001(text: str) -> list[Row]:
    part = text.split("II. NHIỆM VỤ, GIẢI PHÁP", 1)[1].split("III. TỔ CHỨC THỰC HIỆN", 1)[0]
    rows: list[Row] = []
    current: dict[str, str] | None = None
    for raw in part.splitlines():
        line = raw.strip()
        if not line:
            continue
        if m := _TASK_HEAD.match(line):
            current = {"number": m.group(1), "title": m.group(2), "body": ""}
            rows.append([])  # placeholder, filled when the task's fields are read
            continue
        if current is None:
            continue
        if m := _FIELD.match(line):
            name = m.group(1).lower()
            slot = (
                "lead" if "chủ trì" in name else "coordinate" if "phối hợp" in name else "deadline"
            )
            current[slot] = m.group(2).strip(" *.")
            if slot == "deadline":
                rows[-1] = [
                    current["number"],
                    clean(f"{current['title']}: {current['body']}"),
                    current.get("deadline", ""),
                    current.get("lead", ""),
                    current.get("coordinate", ""),
                ]
            continue
        current["body"] = clean(f"{current['body']} {line}")
    return [r for r in rows if r]


# --- 002: one cell per line; appendices per agency ----------------------------------------

_STT = re.compile(r"^(\d+(?:\.\d+)*|[IVX]+)\.?$")
_DEADLINE_LINE = re.compile(
    r"^(thường xuyên|\d{1,2}/\d{1,2}/\d{4}|trước ngày.*|quý .*|theo .*|trong năm.*|hằng .*|hàng .*)$",
    re.IGNORECASE,
)
# The heading of each appendix names the agency that leads its tasks.
APPENDIX_LEADS = {
    1: "Sở Nội vụ",
    3: "Văn phòng UBND tỉnh",
    5: "Sở Thông tin và Truyền thông",
    23: "UBND cấp huyện",
    24: "UBND cấp xã",
}
# Where the target cell is a bullet list too, the text does not mark where it ends and the
# task cell begins. Checked by hand against the document: targets state outcomes
# ("100% …", "Tăng tỷ lệ …"), tasks start with what to do. The task cell starts at the
# first line after the first that is not a bullet or starts with one of these verbs.
_TASK_VERBS = re.compile(
    r"^[-+]?\s*(Tham mưu|Triển khai|Hướng dẫn|Kiểm tra|Tổ chức|Phối hợp|Theo dõi|Kịp thời|"
    r"Tăng cường|Rà soát|Đôn đốc|Chủ trì|Tuyên truyền|Thường xuyên|Tiếp tục|Xây dựng|Bố trí|"
    r"Duy trì|Nâng cấp|Cập nhật|Đẩy mạnh|Chỉ đạo|Tập trung|Đưa|Tiếp nhận|Giới thiệu|Đề cao|"
    r"Tham gia|Báo cáo)\b"
)
# Group rows ("2. VIỆC CUNG ỨNG DỊCH VỤ HÀNH CHÍNH CÔNG", parent of 2.1, 2.2…) become a
# prefix of their children's indicator; a group row's own deadline cell (Phụ lục 24,
# "Trước ngày 30/11/2024") is not a task's, and each child carries its own.


def _split_target(middle: list[str], has_deadline: bool) -> int:
    """How many of the middle lines belong to the target cell."""
    if not middle:
        return 0
    if len(middle) == 1:
        return 0 if has_deadline else 1
    if not middle[0].startswith(("-", "+")):
        return 1  # a target written as one paragraph
    for i, line in enumerate(middle[1:], start=1):
        if not line.startswith(("-", "+")) or _TASK_VERBS.match(line):
            return i
    return 1


def _appendix_lines(text: str, number: int) -> list[str]:
    start = text.index(f"PHỤ LỤC {number}\n")
    end = text.find(f"PHỤ LỤC {number + 1}\n", start)
    lines = [clean(x) for x in text[start : end if end > 0 else len(text)].splitlines()]
    body = lines[lines.index("STT") + 1 :]
    while body and not _STT.match(body[0]):  # the column headers
        body.pop(0)
    return [x for x in body if x and not x.startswith("Nguồn tra cứu")]


def convert_002(text: str) -> list[Row]:
    rows: list[Row] = []
    for number, lead in APPENDIX_LEADS.items():
        rows.append([f"Phụ lục {number}", "", "", "", "", ""])
        rows.extend(_convert_appendix(_appendix_lines(text, number), lead))
    return rows


def _convert_appendix(lines: list[str], lead: str) -> list[Row]:
    blocks: list[tuple[str, list[str]]] = []
    for line in lines:
        if _STT.match(line):
            blocks.append((line, []))
        elif blocks:
            blocks[-1][1].append(line)
    rows: list[Row] = []
    group = ""
    previous: Row | None = None
    for i, (stt, body) in enumerate(blocks):
        if re.fullmatch(r"[IVX]+", stt):
            group = ""
            rows.append([stt, " ".join(body), "", "", "", ""])
            continue
        following = blocks[i + 1][0] if i + 1 < len(blocks) else ""
        stt = stt.rstrip(".")
        if following.startswith(stt + "."):
            group = body[0] if body else ""
            continue
        deadline = body[-1] if body and _DEADLINE_LINE.match(body[-1]) else ""
        middle = body[1:-1] if deadline else body[1:]
        indicator = body[0] if body else ""
        if group and "." in stt:
            indicator = f"{group} – {indicator}"
        split = _split_target(middle, bool(deadline))
        target, task = " ".join(middle[:split]), " ".join(middle[split:])
        if previous is not None and not task and not deadline:
            task, deadline = previous[3], previous[4]  # merged cells in the document
        row = [stt, indicator, target, task, deadline, lead]
        rows.append(row)
        previous = row
    return rows


# --- 004: a tab-separated appendix ---------------------------------------------------------


def convert_004(text: str) -> tuple[Row, list[Row]]:
    table = [line.split("\t") for line in text.splitlines() if line.count("\t") >= 4]
    return [clean(c) for c in table[0]], [[clean(c) for c in r] for r in table[1:]]


def main(source: Path, target: Path) -> None:
    def read(prefix: str) -> str:
        return next(source.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")

    header, rows = convert_000(read("000"))
    write_plan(
        target / "000_sipas_2024.csv",
        [
            ("Số kế hoạch", "126/KH-UBND"),
            ("Ngày ban hành", "03/06/2024"),
            ("Trích yếu", "Các nhiệm vụ, giải pháp nhằm nâng cao Chỉ số SIPAS năm 2024"),
            ("Cơ quan ban hành", "UBND tỉnh"),
        ],
        header,
        rows,
    )
    write_plan(
        target / "001_skhdt_langson_2023.csv",
        [
            ("Số kế hoạch", "KH-SKHĐT-2023"),
            ("Năm", "2023"),
            (
                "Trích yếu",
                "Nâng cao chỉ số đo lường hài lòng của người dân và doanh nghiệp "
                "đối với sự phục vụ của Sở Kế hoạch và Đầu tư năm 2023",
            ),
            ("Cơ quan ban hành", "Sở Kế hoạch và Đầu tư"),
        ],
        ["STT", "Nhiệm vụ cụ thể", "Thời gian thực hiện", "Đơn vị chủ trì", "Đơn vị phối hợp"],
        convert_001(read("001")),
    )
    write_plan(
        target / "002_dongnai_336_2024.csv",
        [
            ("Số kế hoạch", "336/KH-UBND"),
            ("Ngày ban hành", "15/10/2024"),
            (
                "Trích yếu",
                "Thực hiện Chỉ thị số 36-CT/TU ngày 06/8/2024 của Ban Thường vụ Tỉnh ủy "
                "về nâng cao hiệu quả phục vụ người dân và doanh nghiệp",
            ),
            ("Cơ quan ban hành", "UBND tỉnh"),
        ],
        [
            "STT",
            "Chỉ số/nội dung",
            "Chỉ tiêu/kết quả",
            "Nhiệm vụ/giải pháp",
            "Thời gian hoàn thành",
            "Cơ quan chủ trì",
        ],
        convert_002(read("002")),
    )
    header, rows = convert_004(read("004"))
    write_plan(
        target / "004_soctrang_2228_2022.csv",
        [
            ("Số kế hoạch", "2228/QĐ-UBND"),
            ("Ngày ban hành", "26/08/2022"),
            (
                "Trích yếu",
                "Đề án nâng cao Chỉ số hài lòng của người dân, tổ chức đối với sự phục vụ "
                "của cơ quan hành chính nhà nước (Phụ lục: nhiệm vụ cụ thể)",
            ),
            ("Cơ quan ban hành", "UBND tỉnh"),
        ],
        header,
        rows,
    )


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
