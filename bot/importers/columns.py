"""Recognise a table's header row, in the plans' own Vietnamese words or short English.

Headers vary between documents ("Tiến độ", "Thời gian hoàn thành", "Thời gian thực
hiện" all mean the deadline). Each rule is a set of words that must all appear in the
folded header; the first rule that fits wins, so the more specific ones come first.
"""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.text import key

# (canonical column, alternatives; each alternative is words that must all appear)
_RULES: dict[str, list[tuple[str, tuple[tuple[str, ...], ...]]]] = {
    "tasks": [
        ("number", (("stt",), ("so", "tt"), ("so", "thu", "tu"), ("tt",), ("number",), ("no",))),
        ("indicator", (("chi", "so"), ("indicator",))),
        ("target", (("chi", "tieu"), ("target",))),
        ("task", (("nhiem", "vu"), ("noi", "dung"), ("giai", "phap"), ("task",))),
        ("deadline", (("tien", "do"), ("thoi", "gian"), ("thoi", "han"), ("deadline",), ("due",))),
        ("lead", (("chu", "tri"), ("lead",))),
        ("coordinate", (("phoi", "hop"), ("coordinate",), ("support",))),
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


def map_header(cells: Sequence[str], table: str) -> dict[str, int]:
    """Column name → index, for the cells of one row. Unknown headers are ignored."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        words = set(key(cell).split())
        if not words:
            continue
        for column, alternatives in _RULES[table]:
            if column in found:
                continue
            if any(all(w in words for w in alt) for alt in alternatives):
                found[column] = index
                break
    return found


def is_header(mapping: dict[str, int], table: str) -> bool:
    return REQUIRED[table][0] in mapping and len(mapping) >= 2
