"""Imports from files, one way for the command line and the web view.

``dondoc import tasks|agencies|files`` and the web's Quản trị → Nạp dữ liệu both run
:func:`run_import`; a dry run (``--dry-run``, the web's preview) is the very same import
in a savepoint that is rolled back, so a preview reads, matches and counts exactly what
the import would, and writes nothing. :func:`problems` and :func:`rows_read` put a
failed import's errors and a plan's rows as read into words, for both to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path

from sqlmodel import Session

from bot.config import Settings
from bot.domain.agencies import Match
from bot.domain.numbers import thousands
from bot.importers.agencies import AgencyImportReport, import_agencies
from bot.importers.errors import ImportFailed
from bot.importers.files import FileImportReport, import_files
from bot.importers.plans import PlanImportReport, RowReading, import_plan
from bot.importers.rows import PlanMeta
from bot.importers.tabular import TABLE_SUFFIXES, FileProblem
from bot.importers.word import WORD
from bot.models import Role
from bot.services.calendar import load_calendar


class Kind(StrEnum):
    """What a file holds, as ``dondoc import KIND`` names it."""

    TASKS = "tasks"
    AGENCIES = "agencies"
    FILES = "files"

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def suffixes(self) -> frozenset[str]:
        """The file name endings its reader takes (".csv", …)."""
        return _SUFFIXES[self]


_LABELS = {
    Kind.TASKS: "Kế hoạch (nhiệm vụ)",
    Kind.AGENCIES: "Danh mục cơ quan",
    Kind.FILES: "Hồ sơ TTHC (tệp xuất của phần mềm một cửa)",
}
_SUFFIXES = {
    Kind.TASKS: frozenset(TABLE_SUFFIXES | WORD | {".pdf"}),
    Kind.AGENCIES: frozenset(TABLE_SUFFIXES),
    Kind.FILES: frozenset(TABLE_SUFFIXES),
}

Report = PlanImportReport | AgencyImportReport | FileImportReport
Progress = Callable[[int, int | None], None]  # rows done, of how many (None: not known)


@dataclass(frozen=True)
class PlanOptions:
    """A plan's import options (``dondoc import tasks --number … --lead … --map …``)."""

    meta: PlanMeta = field(default_factory=PlanMeta)
    lead: str = ""  # the lead agency when the table has no such column
    mapping: tuple[str, ...] = ()  # "OLD=NEW", the admin's replacements of former agencies
    whole_plan: bool = False  # the file is the whole plan: a task it lacks is dropped


def run_import(
    session: Session, kind: Kind, path: Path, *, settings: Settings, on: date,
    actor: str | None = None, source: str | None = None, plan: PlanOptions | None = None,
    dry_run: bool = False, progress: Progress | None = None, at: datetime | None = None,
) -> Report:  # fmt: skip
    """Import ``path`` as ``kind`` in the session's transaction; ``on`` is the import's
    day (Vietnam's calendar). ``actor`` and ``source`` name who imported a plan and from
    where, in the audit trail and on the plan (by default ``import:<file name>`` and the
    path). ``dry_run``: the same import, rolled back (a savepoint), so nothing is written.
    ``at``: the moment in the audit trail (UTC; now by default; the web view's clock).

    Raises :class:`ImportFailed` (bad rows, nothing written) or :class:`FileProblem` (a
    file that cannot be read at all).
    """
    if not dry_run:
        return _run(session, kind, path, settings, on, actor, source, plan, progress, at)
    savepoint = session.begin_nested()
    try:
        return _run(session, kind, path, settings, on, actor, source, plan, progress, at)
    finally:
        savepoint.rollback()  # a preview writes nothing


def _run(
    session: Session, kind: Kind, path: Path, settings: Settings, on: date, actor: str | None,
    source: str | None, plan: PlanOptions | None, progress: Progress | None, at: datetime | None,
) -> Report:  # fmt: skip
    if kind is Kind.AGENCIES:
        return import_agencies(session, path)
    if kind is Kind.FILES:
        return import_files(session, path, cal=load_calendar(session, settings.hours),
                            settings=settings.files, on=on,
                            progress=(lambda done: progress(done, None)) if progress else None,
                            at=at)  # fmt: skip
    options = plan or PlanOptions()
    return import_plan(
        session, path, meta=options.meta, default_lead=options.lead, settings=settings, on=on,
        mapping=options.mapping, progress=progress, actor=actor, source=source, at=at,
        whole_plan=options.whole_plan,
    )  # fmt: skip


def summary(report: Report, *, dry_run: bool) -> str:
    """The import's outcome in one line: what was (or, for a dry run, would be) added,
    changed and kept."""
    n, verb = thousands, "sẽ " if dry_run else ""
    if isinstance(report, AgencyImportReport):
        head = "Xem trước danh mục cơ quan (chưa ghi gì)" if dry_run else "Danh mục cơ quan"
        return (f"{head}: {verb}thêm {report.created}, {verb}cập nhật {report.updated}, "
                f"giữ nguyên {report.unchanged}.")  # fmt: skip
    if isinstance(report, FileImportReport):
        kinds = report.by_kind
        head = "Xem trước (chưa ghi gì): sẽ nhập" if dry_run else "Đã nhập"
        return (f"{head} {n(report.rows)} hồ sơ: {verb}thêm {n(report.created)}, {verb}cập nhật "
                f"{n(report.updated)}, giữ nguyên {n(report.unchanged)} (đang giải quyết "
                f"{n(kinds.get('open', 0))}, đã trả {n(kinds.get('returned', 0))}).")  # fmt: skip
    head = "Xem trước (chưa ghi gì)" if dry_run else "Đã nhập"
    # Said only when there are some: most imports move and reword nothing.
    moved = f", {verb}chuyển vị trí {report.tasks_moved}" if report.tasks_moved else ""
    reworded = len(report.tasks_reworded)
    reworded_said = f", chỉ đổi cách ghi cơ quan {reworded}" if reworded else ""
    return (
        f"{head} kế hoạch {report.plan}{' (mới)' if report.created else ''}: "
        f"{report.tasks_total} nhiệm vụ ({verb}thêm {report.tasks_new}, {verb}sửa "
        f"{report.tasks_changed}{moved}, giữ nguyên {report.tasks_unchanged}{reworded_said}); "
        f"{report.assignments_total} phần việc của cơ quan ({verb}thêm {report.assignments_new}, "
        f"{verb}hủy {report.assignments_cancelled})."
    )


CHANGES_SHOWN = 10  # tasks named one by one; the rest counted
_SHOWN_TEXT = 70  # characters of a changed text shown around what changed


def changed_tasks(report: PlanImportReport) -> list[str]:
    """Each task the import changes (or would) and what changes in it, old → new, one
    line each: "Bảng 1, dòng 4 (mục 1): Tiến độ “Quý I/2025” → “Quý II/2025”"; the first
    :data:`CHANGES_SHOWN`, then "và N nhiệm vụ khác". A task the plan moved, its text
    unchanged: "Bảng 1, dòng 5: mục 2 → mục 3 (chuyển vị trí, nội dung không đổi)". Tasks
    whose agency cells are only worded otherwise (the same agencies read) come last, on
    one line: "Cách ghi cơ quan đổi, cơ quan không đổi (93 nhiệm vụ): mục …"."""
    lines = []
    for change in report.changes[:CHANGES_SHOWN]:
        what = "; ".join(label if not old and not new else f"{label} {_quoted(old, new)}"
                         for label, old, new in change.changes)  # fmt: skip
        if change.moved_from:
            # Matched by its text, which may differ in case or punctuation only.
            same = all(label != "Nội dung" for label, _, _ in change.changes)
            move = f"mục {change.moved_from} → mục {change.task_key} (chuyển vị trí"
            move += f"{', nội dung không đổi' if same else ''}){'; ' + what if what else ''}"
            lines.append(f"{report.where(change.line)}: {move}")
        else:
            lines.append(f"{report.where(change.line)} (mục {change.task_key}): {what}")
    if len(report.changes) > CHANGES_SHOWN:
        lines.append(f"và {len(report.changes) - CHANGES_SHOWN} nhiệm vụ khác")
    if reworded := report.tasks_reworded:
        keys = [c.task_key for c in reworded[:CHANGES_SHOWN]]
        more = f" và {len(reworded) - len(keys)} nhiệm vụ khác" if len(reworded) > len(keys) else ""
        first = reworded[0].changes[0]
        lines.append(
            f"Cách ghi cơ quan đổi, cơ quan không đổi ({len(reworded)} nhiệm vụ, ví dụ {first[0]} "
            f"{_quoted(first[1], first[2])}): mục {', '.join(keys)}{more}"
        )
    return lines


def dropped_tasks(report: PlanImportReport, *, dry_run: bool) -> list[str]:
    """What the import does (or would do) with the plan's tasks no row of the file is, one
    line each: the tasks the revised plan dropped, their open parts cancelled ("sẽ hủy 2
    phần việc của 1 nhiệm vụ không còn trong kế hoạch: mục 1 “Việc A”"); those dropped
    before that it has again; those of a part of the plan the file does not cover, kept.
    Tasks named by the plan's numbers, the first :data:`CHANGES_SHOWN`, then a count."""
    verb = "sẽ " if dry_run else "đã "
    lines = []
    if removed := report.tasks_removed:
        cancelled = sum(t.parts for t in removed)
        named = _named([f"mục {t.task_key} “{_cut(t.text)}”" for t in removed], "nhiệm vụ")
        head = (f"{verb.capitalize()}hủy {cancelled} phần việc của {len(removed)} nhiệm vụ"
                if cancelled else f"{len(removed)} nhiệm vụ")  # fmt: skip
        lines.append(f"{head} không còn trong kế hoạch (phần việc đã hoàn thành giữ nguyên): "
                     f"{named}")  # fmt: skip
    if restored := report.tasks_restored:
        lines.append(f"{len(restored)} nhiệm vụ đã bỏ khỏi kế hoạch nay có lại: {verb}mở lại "
                     f"các phần việc kế hoạch giao: {_named([f'mục {k}' for k in restored], 'nhiệm vụ')}")  # fmt: skip
    if missing := report.tasks_missing:
        lines.append(f"{len(missing)} nhiệm vụ đã có nhưng không có trong tệp, thuộc phần kế "
                     "hoạch tệp không có (phụ lục khác, hay cơ quan chủ trì khác khi dùng "
                     f"--lead), giữ nguyên: {_named([f'mục {k}' for k in missing], 'nhiệm vụ')}. "
                     "Nếu tệp là toàn bộ kế hoạch (bản sửa đổi đã bỏ các nhiệm vụ này), nhập "
                     "lại với --whole-plan để bỏ chúng khỏi kế hoạch")  # fmt: skip
    return lines


def _named(items: list[str], what: str) -> str:
    """The first :data:`CHANGES_SHOWN` items, then "và N ``what`` khác"."""
    more = len(items) - CHANGES_SHOWN
    return ", ".join(items[:CHANGES_SHOWN]) + (f" và {more} {what} khác" if more > 0 else "")


def _cut(text: str) -> str:
    """A task's text cut at a word after about :data:`_SHOWN_TEXT` characters."""
    return text if len(text) <= _SHOWN_TEXT else text[:_SHOWN_TEXT].rsplit(" ", 1)[0] + "…"


def _quoted(old: str, new: str) -> str:
    """ "“old” → “new”", a long text cut to what changed (with "…" where it is cut); an
    empty cell said as such."""
    old, new = shorten_change(old, new, _SHOWN_TEXT)
    return " → ".join(f"“{v}”" if v else "(trống)" for v in (old, new))


def shorten_change(old: str, new: str, width: int) -> tuple[str, str]:
    """``old`` and ``new`` from a little before where they first differ (the same start
    left out, at a word, marked "…"), each cut after about ``width`` characters."""
    start = 0
    while start < min(len(old), len(new)) and old[start] == new[start]:
        start += 1
    context = 20  # characters kept before what changed, to say where it is
    cut = old.rfind(" ", 0, start - context) + 1 if start > context else 0
    out = []
    for text in (old, new):
        shown = text[cut:]
        if len(shown) > width:
            shown = shown[:width].rsplit(" ", 1)[0] + "…"
        out.append(("…" if cut else "") + shown)
    return out[0], out[1]


@dataclass(frozen=True)
class Problem:
    """One reason a file was not imported: where (“dòng 5”, “Bảng 2, dòng 14, cột Tiến
    độ”; "" for the file as a whole or the import's options) and why."""

    where: str
    reason: str


def problems(exc: ImportFailed | FileProblem) -> list[Problem]:
    """A failed import's errors, by line (or table, row and column), without the path."""
    if isinstance(exc, FileProblem):
        return [Problem(f"dòng {exc.line}" if exc.line else "", exc.reason)]
    place = exc.place or (lambda e: f"dòng {e.line}")
    return [Problem(place(e) if e.line else "", e.reason) for e in exc.errors]


@dataclass(frozen=True)
class ReadSection:
    """A section row of the plan, as read."""

    where: str
    key: str
    title: str


@dataclass(frozen=True)
class ReadTask:
    """A task row as read: its text, its deadline cell and reading, and how each agency
    cell was read (:func:`explain_cell`) and where a former agency's part went."""

    where: str
    key: str
    text: str
    deadline_cell: str
    deadline: str
    unspecified: bool
    agencies: list[str]


def rows_read(report: PlanImportReport) -> list[ReadSection | ReadTask]:
    """Every row of the plan as read, sections among the tasks, in the file's order."""
    moved: dict[int, list[str]] = {}
    for r in report.rerouted:
        moved.setdefault(r.line, []).append(f"giao cho cơ quan hiện nay: {r.rerouted.how}")
    unread = {u.line for u in report.unspecified}
    items: list[tuple[int, bool, ReadSection | ReadTask]] = [
        (s.line, False, ReadSection(report.where(s.line), s.key, s.title)) for s in report.sections
    ]
    for row in report.readings:
        items.append((row.line, True, ReadTask(
            report.where(row.line), row.task_key, row.text, row.deadline_cell, row.deadline,
            row.line in unread, [*_cells(row, report.agency_names), *moved.get(row.line, [])],
        )))  # fmt: skip
    return [item for _, _, item in sorted(items, key=lambda i: (i[0], i[1]))]


def _cells(row: RowReading, names: dict[str, str]) -> list[str]:
    return [line for column, reading in ((Role.LEAD, row.lead), (Role.COORDINATE, row.coordinate))
            for line in explain_cell(reading, column, names)]  # fmt: skip


_LIST_AT_MOST = 4


def explain_cell(reading: Match, column: Role, names: dict[str, str]) -> list[str]:
    """Lines that say how one cell was read: each fragment → agencies, role and scope;
    names mentioned without a part; general groups; words left unread."""
    if not reading.cell.strip():
        return []
    lines = [f"{column.label} “{' '.join(reading.cell.split())}”"]
    groups: dict[tuple[str, str, str], list[str]] = {}
    for part in reading.parts:
        role = Role(part.role).label if part.role else column.label
        groups.setdefault((part.via, role.lower(), part.scope), []).append(names[part.code])
    for (via, role, scope), members in groups.items():
        shown = ", ".join(members[:_LIST_AT_MOST])
        if len(members) > _LIST_AT_MOST:
            shown += f", … ({len(members)} cơ quan)"
        tail = f"; phạm vi: {scope}" if scope else ""
        lines.append(f"  “{via}” → {shown} ({role}{tail})")
    if reading.excluded:
        left_out = ", ".join(names[c] for c in reading.excluded)
        lines.append(f"  trừ ra, không giao phần việc: {left_out}")
    if reading.mentions:
        mentioned = ", ".join(names[c] for c in reading.mentions)
        lines.append(f"  nhắc đến, không giao phần việc: {mentioned}")
    for text in reading.general:
        lines.append(f"  nhóm chung, không nhắc việc: “{text}”")
    for unknown in reading.unknown:
        lines.append(f"  chưa đọc được: {unknown.describe(with_cell=False)}")
    return lines
