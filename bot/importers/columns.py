"""Recognise a table's header row, in the plans' own Vietnamese words or short English.

Headers vary between documents ("Tiến độ", "Thời gian hoàn thành", "Thời gian thực
hiện" all mean the deadline). Each rule is a set of words that must all appear in the
folded header; the first rule that fits wins, so the more specific ones come first.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.text import fold, key

# (canonical column, alternatives; each alternative is words that must all appear)
_RULES: dict[str, list[tuple[str, tuple[tuple[str, ...], ...]]]] = {
    "tasks": [
        ("number", (("stt",), ("so", "tt"), ("so", "thu", "tu"), ("tt",), ("number",), ("no",))),
        ("indicator", (("chi", "so"), ("indicator",))),
        ("target", (("chi", "tieu"), ("target",))),
        ("task", (("nhiem", "vu"), ("noi", "dung"), ("giai", "phap"), ("task",))),
        ("deadline", (("tien", "do"), ("thoi", "gian"), ("thoi", "han"), ("deadline",), ("due",))),
        # "Đơn vị thực hiện", "Cơ quan thực hiện": a single agency column, the lead.
        (
            "lead",
            (
                ("chu", "tri"),
                ("don", "vi", "thuc", "hien"),
                ("co", "quan", "thuc", "hien"),
                ("lead",),
            ),
        ),
        # "Cơ quan liên quan", "Đơn vị liên quan": the agencies that take part, not lead.
        (
            "coordinate",
            (
                ("phoi", "hop"),
                ("lien", "quan"),
                ("coordinate",),
                ("coordinating",),
                ("cooperating",),
                ("support",),
            ),
        ),
        ("result", (("ket", "qua"), ("san", "pham"), ("result",), ("output",))),
    ],
    "agencies": [
        ("code", (("ma",), ("code",))),
        ("parent", (("cap", "tren"), ("truc", "thuoc"), ("parent",))),
        ("aliases", (("ten", "khac"), ("ten", "goi", "khac"), ("viet", "tat"), ("aliases",))),
        ("kind", (("loai",), ("kind",))),
        ("symbol", (("ky", "hieu"), ("symbol",))),
        ("name", (("ten",), ("name",), ("co", "quan"))),
    ],
}

_RULES["files"] = [
    (
        "applicant",
        (("chu", "ho", "so"), ("nguoi", "nop"), ("to", "chuc", "ca", "nhan"), ("applicant",)),
    ),
    ("code", (("ma", "ho", "so"), ("ma",), ("code",))),
    ("procedure", (("thu", "tuc"), ("procedure",))),
    ("field", (("linh", "vuc"), ("field",))),
    ("address", (("dia", "chi"), ("address",))),
    ("phone", (("dien", "thoai"), ("phone",))),
    ("agency", (("don", "vi"), ("co", "quan"), ("agency",))),
    ("days", (("thoi", "han"), ("so", "ngay"), ("days",))),
    ("due", (("hen",), ("due",))),
    ("returned", (("tra", "ket", "qua"), ("ngay", "tra"), ("returned",))),
    ("received", (("tiep", "nhan"), ("ngay", "nop"), ("received",))),
    ("status", (("trang", "thai"), ("tinh", "trang"), ("status",))),
]

# An agency renamed, merged, split or dissolved (``dondoc import agency-changes``). The
# successors' column ("Cơ quan kế tục") comes before the agency's ("Cơ quan").
_RULES["agency_changes"] = [
    ("effective_on", (("ngay", "hieu", "luc"), ("ngay",), ("effective",), ("date",))),
    ("successors", (("ke", "tuc"), ("nhan",), ("successors",))),
    ("changed", (("co", "quan"), ("don", "vi"), ("agency",))),
    ("change", (("thay", "doi"), ("hinh", "thuc"), ("change",), ("kind",))),
    ("act", (("van", "ban"), ("can", "cu"), ("act",))),
    ("note", (("ghi", "chu"), ("note",))),
]

REQUIRED = {
    "tasks": ("task", "deadline"),
    "agencies": ("name", "kind"),
    "files": ("code", "agency", "received"),
    "agency_changes": ("changed", "change", "effective_on", "act"),
}

LABELS = {
    "number": "STT",
    "indicator": "Chỉ số/nội dung",
    "target": "Chỉ tiêu/kết quả",
    "task": "Nhiệm vụ cụ thể / Nội dung công việc",
    "deadline": "Tiến độ / Thời gian hoàn thành",
    "lead": "Cơ quan chủ trì",
    "coordinate": "Cơ quan phối hợp",
    "result": "Kết quả/sản phẩm",
    "code": "Mã",
    "name": "Tên cơ quan",
    "kind": "Loại",
    "parent": "Cơ quan cấp trên",
    "aliases": "Tên gọi khác",
    "symbol": "Ký hiệu văn bản",
    "applicant": "Chủ hồ sơ",
    "procedure": "Tên thủ tục",
    "field": "Lĩnh vực",
    "address": "Địa chỉ",
    "phone": "Số điện thoại",
    "agency": "Đơn vị xử lý",
    "days": "Thời hạn giải quyết (ngày làm việc)",
    "due": "Ngày hẹn trả",
    "returned": "Ngày trả kết quả",
    "received": "Ngày tiếp nhận",
    "status": "Trạng thái",
    "effective_on": "Ngày hiệu lực",
    "successors": "Cơ quan kế tục",
    "changed": "Cơ quan",
    "change": "Thay đổi",
    "act": "Văn bản",
    "note": "Ghi chú",
}

# The headers read as each column a task table needs, for a message that says what to
# write when the column is missing (the rules above read more; these are the usual ones).
ACCEPTED = {
    "number": ("STT", "TT", "Số TT"),
    "task": ("Nhiệm vụ", "Nhiệm vụ cụ thể", "Nội dung công việc", "Giải pháp"),
    "deadline": ("Tiến độ", "Thời hạn", "Thời hạn hoàn thành", "Thời gian hoàn thành",
                 "Thời gian thực hiện"),
    "lead": ("Chủ trì", "Cơ quan chủ trì", "Đơn vị chủ trì", "Đơn vị thực hiện",
             "Cơ quan thực hiện"),
}  # fmt: skip


def missing_column(column: str) -> str:
    """ "Tiến độ / Thời gian hoàn thành (tiêu đề đọc được: “Tiến độ”, “Thời hạn”, …)": a
    missing column's label and the headers read as it."""
    said = ", ".join(f"“{h}”" for h in ACCEPTED.get(column, ()))
    return f"{LABELS[column]} (tiêu đề đọc được: {said})" if said else LABELS[column]


# A task table's time columns: "Thời gian thực hiện" over "Bắt đầu | Hoàn thành". The
# deadline is the end; a start is never taken for it.
_END = ("hoan thanh", "ket thuc", "den ngay", "han chot")
_START = ("bat dau", "tu ngay", "khoi dau", "khoi cong")
_NOT_TIME = ("ket qua", "san pham", "chi tieu")


def _time_kind(cell: str) -> str | None:
    """ "end", "start" or "time" (a deadline that says neither) for a task table's header
    cell that speaks of time; None for any other cell."""
    words = f" {key(cell)} "
    if any(f" {w} " in words for w in _START):
        return "start"
    if any(f" {w} " in words for w in _NOT_TIME):
        return None
    if any(f" {w} " in words for w in _END):
        return "end"
    alternatives = next(alts for name, alts in _RULES["tasks"] if name == "deadline")
    found = set(words.split())
    return "time" if any(all(w in found for w in alt) for alt in alternatives) else None


def _deadline_candidates(cells: Sequence[str], taken: set[int]) -> list[tuple[int, str]]:
    return [
        (i, kind)
        for i, cell in enumerate(cells)
        if i not in taken and (kind := _time_kind(cell)) is not None
    ]


def _pick_deadline(candidates: list[tuple[int, str]]) -> int | None:
    """The end column among the time columns; a column that says neither start nor end
    when it is the only one; None when there is none or no way to tell."""
    ends = [i for i, kind in candidates if kind == "end"]
    if ends:
        return ends[0] if len(ends) == 1 else None
    plain = [i for i, kind in candidates if kind == "time"]
    return plain[0] if len(plain) == 1 else None


def deadline_problem(cells: Sequence[str]) -> str | None:
    """Why a task table's header row gives no deadline column although it has time
    columns: two that could each be the deadline, or only a start. None when it is clear."""
    mapping = map_header(cells, "tasks")
    if "deadline" in mapping:
        return None
    taken = set(mapping.values())
    candidates = _deadline_candidates(cells, taken)
    if not candidates:
        return None
    names = ", ".join(f"“{' '.join(cells[i].split())}”" for i, _ in candidates)
    if all(kind == "start" for _, kind in candidates):
        return (
            f"cột {names} là ngày bắt đầu, không phải thời hạn: bảng cần cột thời hạn "
            "(“Hoàn thành”, “Kết thúc”, “Thời hạn hoàn thành”)"
        )
    return (
        f"không biết cột nào là thời hạn trong các cột {names}: hãy đặt tên cột thời hạn là "
        "“Thời gian hoàn thành” (hoặc “Kết thúc”), cột còn lại “Bắt đầu”"
    )


def map_header(cells: Sequence[str], table: str) -> dict[str, int]:
    """Column name → index, for the cells of one row. Unknown headers are ignored. A task
    table's deadline is its end column ("Hoàn thành" beside "Bắt đầu"), never a start
    column; none when two columns could be it (:func:`deadline_problem` says why)."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        words = set(key(cell).split())
        if not words:
            continue
        time = table == "tasks" and _time_kind(cell) is not None
        for column, alternatives in _RULES[table]:
            if time and column == "deadline":
                break  # the deadline is chosen below, among all the time columns
            if column in found:
                continue
            if column == "lead" and {"phoi", "hop"} <= words and not {"chu", "tri"} <= words:
                continue  # "Cơ quan phối hợp thực hiện": the coordinating agencies
            if any(all(w in words for w in alt) for alt in alternatives):
                found[column] = index
                break
    if table == "tasks":
        candidates = _deadline_candidates(cells, set(found.values()))
        deadline = _pick_deadline(candidates)
        if deadline is not None:
            found["deadline"] = deadline
    return found


def column_numbers(cells: Sequence[str]) -> bool:
    """The row numbering the columns under a header: "(1) (2) (3)…" or "1 2 3…"."""
    found = [v.strip().strip("()") for v in cells if v.strip()]
    return len(found) >= 3 and found == [str(i) for i in range(1, len(found) + 1)]


def two_row_header(first: Sequence[str], second: Sequence[str], table: str) -> list[str] | None:
    """A header of two rows as a spreadsheet saves merged cells: "Cơ quan thực hiện" over
    two columns (its value in the first, the second empty or the same) above "Chủ trì" |
    "Phối hợp". The columns' labels read together ("Cơ quan thực hiện Chủ trì"), or None
    when ``second`` does not go on with the header: a row naming no column, or one with
    its own value under the task column (a task's row: a header's second row is empty
    there, or repeats the cell merged down)."""
    top = map_header(first, table)
    task = top.get(REQUIRED[table][0])
    below = [second[i].strip() if i < len(second) else "" for i in range(len(first))]
    if task is None or below[task] not in ("", first[task].strip()):
        return None
    if not map_header(second, table):
        return None
    labels: list[str] = []
    spread = ""  # the merged top cell going on to the right, over cells filled below
    for cell, under in zip(first, below, strict=True):
        spread = cell.strip() or (spread if under else "")
        # A cell merged down is in both rows (an XLSX's merge): said once.
        labels.append(spread if under == spread else f"{spread} {under}".strip())
    return labels if len(map_header(labels, table)) > len(top) else None


def is_header(mapping: dict[str, int], table: str) -> bool:
    return REQUIRED[table][0] in mapping and len(mapping) >= 2


# Header words that make a task column more specific (the work itself), or less (a group
# of tasks, a field, the content in general).
_SPECIFIC = ("cu the", "cong viec", "thuc hien", "hoat dong", "chi tiet")
_GENERAL = ("nhom", "linh vuc")
_PLAIN = ("noi dung", "giai phap", "noi dung chinh")


def _specific(cell: str) -> int:
    """How specific a header cell that reads as the task's is: 2 the work itself ("Nhiệm
    vụ cụ thể", "Nội dung công việc"), 0 a group or the content in general ("Nhóm nhiệm
    vụ", "Nội dung"), 1 otherwise ("Nhiệm vụ")."""
    words = f" {fold(cell)} "
    if any(f" {w} " in words for w in _SPECIFIC):
        return 2
    if any(f" {w} " in words for w in _GENERAL) or fold(cell).strip() in _PLAIN:
        return 0
    return 1


def choose_task_column(
    header: list[str], columns: dict[str, int]
) -> tuple[dict[str, int], list[int], str]:
    """(columns, the other task-like columns, a problem) for a task table whose header
    ``header`` (its cells) maps to ``columns`` (:func:`map_header`) and has two columns or
    more that each read as the task ("Nội dung | Nhiệm vụ", "Nhóm nhiệm
    vụ | Nội dung công việc"): the task is the most specific, else the one nearest the
    deadline and lead columns; the other goes to the indicator column where the table has
    none, otherwise before the task's text. Two alike: the problem names both."""
    taken = {i for name, i in columns.items() if name != "task"}
    candidates = [
        i for i, cell in enumerate(header)
        if i not in taken and set(map_header([cell], "tasks")) == {"task"}
    ]  # fmt: skip
    if len(candidates) < 2:
        return columns, [], ""
    anchors = [columns[n] for n in ("deadline", "lead", "coordinate") if n in columns]

    def rank(i: int) -> tuple[int, int]:
        return _specific(header[i]), -min((abs(i - a) for a in anchors), default=0)

    ordered = sorted(candidates, key=rank, reverse=True)
    columns = {**columns, "task": ordered[0]}
    others = ordered[1:]
    problem = ""
    if rank(ordered[0]) == rank(ordered[1]):
        problem = (
            f"không biết cột nào là nhiệm vụ: cột “{header[ordered[0]]}” và cột "
            f"“{header[ordered[1]]}” đều có thể là nhiệm vụ; hãy đặt tên cột nhiệm vụ là "
            "“Nhiệm vụ cụ thể” (hoặc “Nội dung công việc”), cột kia là “Nhóm nhiệm vụ”"
        )
    if "indicator" not in columns:
        columns["indicator"] = min(others)
        others = [i for i in others if i != columns["indicator"]]
    return columns, sorted(others), problem


def with_groups(task: str, groups: Sequence[str]) -> str:
    """A task's text after the other task-like columns' (:func:`choose_task_column`), so
    that none is lost: "Nhóm A – Tiểu nhóm: Tập huấn cán bộ"."""
    shown = [g for g in groups if g]
    if shown and task:
        return f"{' – '.join(shown)}: {task}"
    return " – ".join(shown) if shown else task
