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
        ("name", (("ten",), ("name",), ("co", "quan"))),
    ],
}

REQUIRED = {
    "tasks": ("task", "deadline"),
    "agencies": ("name", "kind"),
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
