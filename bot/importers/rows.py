"""From raw rows of a plan's table to validated tasks, before anything touches the DB.

The table may be a plan's own table pasted into a spreadsheet: metadata lines above the
header, section rows ("I CHỈ SỐ HÀI LÒNG…", "A", "Phụ lục 1"), the header repeated on
every page, and rows continued over a page break (a row with no STT whose cells carry
on the cells above).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from bot.domain.agencies import Match, Registry, describe_unknown
from bot.domain.deadlines import Deadline, Unspecified, WorkingDays, parse_deadline
from bot.domain.text import clean, fold
from bot.domain.when import read_moment
from bot.importers.columns import (
    LABELS,
    REQUIRED,
    choose_task_column,
    column_numbers,
    deadline_problem,
    is_header,
    map_header,
    missing_column,
    two_row_header,
    with_groups,
)
from bot.importers.tabular import Row


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str
    column: str = ""  # the canonical column at fault ("deadline"), where one is


@dataclass
class PlanMeta:
    number: str = ""
    issued_on: date | None = None
    year: int | None = None
    title: str = ""
    issuer: str = ""

    def merged(self, override: PlanMeta) -> PlanMeta:
        return PlanMeta(
            number=override.number or self.number,
            issued_on=override.issued_on or self.issued_on,
            year=override.year or self.year,
            title=override.title or self.title,
            issuer=override.issuer or self.issuer,
        )

    @property
    def plan_year(self) -> int | None:
        return self.year or (self.issued_on.year if self.issued_on else None)


@dataclass
class SectionRow:
    key: str
    number: str
    title: str
    position: int
    line: int = 0


# A bullet typed against its word ("-Đề cao") is the bullet Word draws with a tab ("- Đề
# cao"): a PDF shows both as a dash and a gap, so every file is read with the space. Only
# in the text columns, before a letter ("-5%" is a number).
_TEXT_COLUMNS = frozenset(("indicator", "target", "task", "result"))
_BULLET_AGAINST_WORD = re.compile(r"(?:(?<=\s)|^)([-+–])(?=[^\W\d_])")


@dataclass
class TaskRow:
    line: int
    key: str
    number: str
    section_key: str | None
    position: int
    cells: dict[str, str] = field(default_factory=dict)
    deadline: Deadline | None = None
    lead: Match | None = None
    coordinate: Match | None = None

    def cell(self, name: str) -> str:
        return self.cells.get(name, "")


@dataclass
class ParsedPlan:
    meta: PlanMeta
    sections: list[SectionRow]
    tasks: list[TaskRow]
    errors: list[RowError]


_ROMAN = re.compile(r"^(?=[IVXL])(XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_APPENDIX = re.compile(r"^(?:phu luc|pl)\s*(\d+)\b")
# A heading a document leaves unnumbered, numbered M1, M2… by the document's reader
# (bot/importers/plan_tables.py): a section at the level of I, II….
_UNNUMBERED = re.compile(r"^M\d+$")
# A task table of a document with several, each numbered from 1 ("Bảng 2"), given its own
# section by the document's reader: a section at the level of an appendix.
_TABLE = re.compile(r"^bang\s*(\d+)$")
_DITTO = {"〃", '"', "”", "nt", "như trên", "nhu tren"}
_PLAN_REF = re.compile(
    r"k[eế]\s*ho[aạ]ch\s*s[oố]\s*:?\s*([0-9]+\s*/\s*[\w\-Đđ]+)(?:.*?ng[aà]y\s*(\d{1,2})\s*/\s*(\d{1,2})\s*/\s*(\d{4}))?",
    re.IGNORECASE,
)
_META_KEYS = {
    "number": ("so ke hoach", "ke hoach so", "so hieu", "so van ban", "plan", "number"),
    "issued_on": ("ngay ban hanh", "ngay ky", "ngay", "date"),
    "title": ("trich yeu", "ten ke hoach", "tieu de", "title"),
    "issuer": ("co quan ban hanh", "don vi ban hanh", "issuer"),
    "year": ("nam", "year"),
}


def _header_at(rows: list[Row]) -> int | None:
    return next(
        (i for i, r in enumerate(rows) if is_header(map_header(r.cells, "tasks"), "tasks")), None
    )


def read_meta(rows: list[Row]) -> tuple[PlanMeta, list[RowError]]:
    """The plan's number, date, title… from the lines above the table's header."""
    errors: list[RowError] = []
    header_at = _header_at(rows)
    return _read_meta(rows if header_at is None else rows[:header_at], errors), errors


def parse_plan_rows(
    rows: list[Row],
    registry: Registry,
    *,
    meta: PlanMeta,
    scope: str | None,
    default_lead: str = "",
    cal: WorkingDays,
    school_year_end: tuple[int, int],
    where: Callable[[int], str] = lambda line: f"dòng {line}",
) -> ParsedPlan:
    """Validated tasks of a plan's table. ``cal`` counts "N ngày làm việc" deadlines;
    ``school_year_end`` is (month, day) of a school year's last day; ``where`` names a
    line in an error about another line ("dòng 5", or "Bảng 1, dòng 5" in a document)."""
    errors: list[RowError] = []
    header_at = _header_at(rows)
    if header_at is None:
        missing = ", ".join(LABELS[c] for c in REQUIRED["tasks"])
        errors.append(
            RowError(rows[0].line, f"không thấy dòng tiêu đề bảng (cần các cột: {missing})")
        )
        return ParsedPlan(meta, [], [], errors)

    # A header of two rows (a merged "Cơ quan thực hiện" over "Chủ trì" | "Phối hợp") is
    # read as one; the row numbering the columns under it is no task.
    header_cells = list(rows[header_at].cells)
    body = header_at + 1
    if body < len(rows) and (labels := two_row_header(header_cells, rows[body].cells, "tasks")):
        header_cells, body = labels, body + 1
    header, prefixes, which = choose_task_column(header_cells, map_header(header_cells, "tasks"))
    if which:
        errors.append(RowError(rows[header_at].line, which))
        return ParsedPlan(meta, [], [], errors)
    # The number is a task's key: without it every row would be "no STT".
    missing_cols = [missing_column(c) for c in ("number", "task", "deadline") if c not in header]
    if "lead" not in header and not default_lead:
        missing_cols.append(missing_column("lead") + "; hoặc dùng --lead “tên cơ quan”")
    if "lead" in header and default_lead:
        column = header_cells[header["lead"]].strip()
        errors.append(
            RowError(
                rows[header_at].line,
                f"bảng đã có cột “{column}” nên không dùng --lead “{default_lead}” (--lead chỉ "
                "dành cho bảng không có cột cơ quan chủ trì): hãy bỏ --lead, ô chủ trì nào "
                "trống thì điền vào tệp",
            )
        )
        return ParsedPlan(meta, [], [], errors)
    if problem := deadline_problem(header_cells):
        errors.append(RowError(rows[header_at].line, problem))
        return ParsedPlan(meta, [], [], errors)
    if missing_cols:
        errors.append(RowError(rows[header_at].line, "thiếu cột: " + "; ".join(missing_cols)))
        return ParsedPlan(meta, [], [], errors)

    sections: list[SectionRow] = []
    tasks: list[TaskRow] = []
    lettered: SectionRow | None = None  # the group whose rows are numbered a, b, c…
    levels: dict[int, str] = {}  # level → section number, for keys like "PL1.I"
    seen_keys: dict[str, int] = {}
    first = map_header(rows[header_at].cells, "tasks")
    for row in rows[body:]:
        if row.is_blank() or map_header(row.cells, "tasks") in (header, first):
            continue
        if column_numbers(row.cells):
            continue
        cells = {
            name: clean(row.cells[i]) if i < len(row.cells) else "" for name, i in header.items()
        }
        if prefixes:
            cells["task"] = with_groups(
                cells["task"], [clean(row.cells[i]) for i in prefixes if i < len(row.cells)]
            )
        for name in _TEXT_COLUMNS & cells.keys():
            cells[name] = _BULLET_AGAINST_WORD.sub(r"\1 ", cells[name])
        section = _section(cells)
        if section is not None:
            level, number, title = section
            levels = {lv: n for lv, n in levels.items() if lv < level}
            levels[level] = number
            skey = ".".join(levels[lv] for lv in sorted(levels))
            sections.append(SectionRow(skey, number, title, len(sections), row.line))
            continue
        number = cells.get("number", "").strip(" .")
        if not number:
            if not tasks:
                errors.append(
                    RowError(row.line, "dòng không có STT và không nối tiếp nhiệm vụ nào", "number")
                )
                continue
            previous = tasks[-1]  # a row continued over a page break
            for name, value in cells.items():
                if value:
                    previous.cells[name] = f"{previous.cells.get(name, '')} {value}".strip()
            continue
        section_key = ".".join(levels[lv] for lv in sorted(levels)) or None
        letter = _LETTER.fullmatch(number) is not None
        if not letter:
            lettered = None
        opens = number.startswith(tasks[-1].number + ".") or (
            letter and lettered is None and not _LETTER.fullmatch(tasks[-1].number)
        ) if tasks else False  # fmt: skip
        if opens and _is_bare(tasks[-1]):
            # "1 Theo dõi thi hành pháp luật" followed by 1.1, 1.2 (or a, b): a group, not a task.
            group = tasks.pop()
            sections.append(
                SectionRow(group.key, group.number, group.cell("task") or group.cell("indicator"),
                           len(sections), group.line)
            )  # fmt: skip
            lettered = sections[-1] if letter else None
        group_key = next(
            (s.key for s in reversed(sections)
             if number.startswith(s.number + ".")
             and s.key == (f"{section_key}.{s.number}" if section_key else s.number)),
            section_key,
        )  # fmt: skip
        tkey = f"{section_key}.{number}" if section_key else number
        if letter and lettered is not None:  # "a" under group "1": task 1.a
            group_key, tkey = lettered.key, f"{lettered.key}.{number.rstrip(')')}"
        if tkey in seen_keys:
            errors.append(
                RowError(
                    row.line,
                    f"STT “{number}” trùng với {where(seen_keys[tkey])} trong cùng mục",
                    "number",
                )
            )
            continue
        seen_keys[tkey] = row.line
        for name, value in cells.items():
            if fold(value) in _DITTO and tasks:
                cells[name] = tasks[-1].cells.get(name, "")
        tasks.append(TaskRow(row.line, tkey, number, group_key, len(tasks), cells))

    for task in tasks:
        _resolve(task, registry, scope, default_lead, errors)
        task.deadline = parse_deadline(
            task.cell("deadline"), plan_year=meta.plan_year, plan_date=meta.issued_on,
            result=task.cell("result"), cal=cal, school_year_end=school_year_end,
        )  # fmt: skip
        if isinstance(task.deadline, Unspecified) and task.deadline.invalid:
            errors.append(
                RowError(
                    task.line,
                    f"tiến độ “{task.cell('deadline')}”: {task.deadline.reason}",
                    "deadline",
                )
            )
    return ParsedPlan(meta, sections, tasks, errors)


def _resolve(
    task: TaskRow,
    registry: Registry,
    scope: str | None,
    default_lead: str,
    errors: list[RowError],
) -> None:
    if not task.cell("task"):
        errors.append(RowError(task.line, "thiếu nội dung nhiệm vụ", "task"))
    marked = [(label, column) for label, column in (("Chủ trì", "lead"), ("Phối hợp", "coordinate"))
              if fold(task.cell(column)) in _MARKS]  # fmt: skip
    for label, column in marked:
        errors.append(RowError(task.line, (
            f"ô {label} chỉ đánh dấu “{task.cell(column)}”, không ghi tên cơ quan: chưa đọc được "
            "bảng đánh dấu (mỗi cơ quan một cột, hay cơ quan ở tên phụ lục, đánh “x” vào ô); "
            f"hãy ghi tên cơ quan vào ô {label}"
        ), column))  # fmt: skip
    if marked:
        return
    lead_text = task.cell("lead") or default_lead
    task.cells["lead"] = lead_text
    task.lead = registry.match(lead_text, scope=scope)
    task.coordinate = registry.match(task.cell("coordinate"), scope=scope)
    if not lead_text:
        errors.append(RowError(task.line, "thiếu cơ quan chủ trì", "lead"))
    elif not task.lead.codes and not task.lead.unknown and not task.lead.general:
        errors.append(
            RowError(
                task.line, f"cơ quan chủ trì “{lead_text}” không chỉ ra cơ quan cụ thể nào", "lead"
            )
        )
    helpers = task.coordinate
    named = any(ch.isalnum() for ch in task.cell("coordinate"))  # "-": none, as a blank
    if named and not (helpers.codes or helpers.unknown or helpers.general
                                        or helpers.mentions):  # fmt: skip
        errors.append(RowError(task.line, (
            f"cơ quan phối hợp “{task.cell('coordinate')}” không chỉ ra cơ quan nào: hãy ghi "
            "tên cơ quan phối hợp, hoặc để trống ô"
        ), "coordinate"))  # fmt: skip
    for label, column, matched in (
        ("chủ trì", "lead", task.lead),
        ("phối hợp", "coordinate", task.coordinate),
    ):
        if matched.unknown:
            errors.append(
                RowError(
                    task.line,
                    f"cơ quan {label} không có trong danh mục: {describe_unknown(matched.unknown)}",
                    column,
                )
            )


_MARKS = frozenset(("x", "v", "√", "✓", "✔", "☑", "☒", "*"))  # a tick, not a name
_LETTER = re.compile(r"[a-zđ]\)?")  # a group's rows numbered "a", "b)", as plans do


def _is_bare(task: TaskRow) -> bool:
    return not any(task.cell(c) for c in ("deadline", "lead", "coordinate", "result", "target"))


def _section(cells: dict[str, str]) -> tuple[int, str, str] | None:
    """(level, number, title) when the row opens a section; None for a task row."""
    if cells.get("deadline") or cells.get("lead"):
        return None
    number = cells.get("number", "").strip(" .")
    rest = " ".join(v for k, v in cells.items() if k != "number" and v)
    first, _, tail = number.partition(" ")
    title = clean(f"{tail} {rest}")
    if m := _APPENDIX.match(fold(number or rest)):
        return 0, f"PL{m.group(1)}", clean(number + " " + rest)
    if m := _TABLE.match(fold(number)):
        return 0, f"B{m.group(1)}", clean(rest) or number
    if len(first) == 1 and first.isalpha() and first.isupper() and first not in "IVX":
        return 1, first, title
    if _ROMAN.match(first) or _UNNUMBERED.match(first):
        return 2, first, title
    return None


def _read_meta(rows: list[Row], errors: list[RowError]) -> PlanMeta:
    meta = PlanMeta()
    for row in rows:
        cells = [clean(c) for c in row.cells if clean(c)]
        if not cells:
            continue
        joined = " ".join(cells)
        if len(cells) >= 2:
            name, value = fold(cells[0]).rstrip(" :"), cells[1]
        elif ":" in cells[0]:
            name, value = (part.strip() for part in cells[0].split(":", 1))
            name = fold(name)
        else:
            name, value = "", ""
        field_name = next((f for f, keys in _META_KEYS.items() if name in keys), None)
        if field_name == "issued_on":
            try:
                meta.issued_on = parse_date(value)
            except ValueError:
                errors.append(
                    RowError(row.line, f"ngày ban hành “{value}” không hợp lệ (dd/mm/yyyy)")
                )
        elif field_name == "year":
            if value.isdigit() and len(value) == 4:
                meta.year = int(value)
            else:
                errors.append(RowError(row.line, f"năm “{value}” không hợp lệ"))
        elif field_name == "number":
            meta.number = re.sub(r"\s+", "", value)
        elif field_name in ("title", "issuer"):
            setattr(meta, field_name, value)
        elif m := _PLAN_REF.search(joined):
            meta.number = meta.number or re.sub(r"\s+", "", m.group(1))
            if m.group(2) and meta.issued_on is None:
                try:
                    meta.issued_on = date(int(m.group(4)), int(m.group(3)), int(m.group(2)))
                except ValueError:
                    errors.append(
                        RowError(row.line, f"ngày ban hành trong “{joined}” không có thật")
                    )
        elif not meta.title:
            meta.title = joined
    return meta


def parse_date(text: str) -> date:
    """dd/mm/yyyy (as written in Vietnam) or ISO yyyy-mm-dd."""
    read = read_moment(text)
    if read is None or read[1] is not None:
        raise ValueError(f"not a date: {text!r}")
    return read[0]
