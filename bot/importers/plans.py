"""Import a plan's tasks: validate every row, then upsert in the caller's transaction.

Re-importing a plan (same number) updates texts and deadlines in place and keeps every
status, progress and history. An agency no longer named for a task has its part
cancelled (recorded in the audit trail). A task the revised plan no longer has is
dropped: its open parts are cancelled (done ones stay done), and a later import that has
it again reopens them. Only where the file covers that part of the plan: a task of an
appendix (top-level section) the file does not have, or, in a file read with ``--lead``,
a task another agency leads, is kept as it is and reported, since the file is then
likely a part of the plan rather than the whole of it, unless the admin says the file is
the whole plan (``--whole-plan``: a revision that drops an appendix).

Agencies are those of the import's day: a former agency's part goes to its successor
(said in the report and in the part's history), a class with no member left that day is
an error unless the admin maps it (see :mod:`bot.domain.agency_history`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any

from lxml.etree import XMLSyntaxError  # type: ignore[import-untyped]  # python-docx's parser
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.domain.agencies import Match, Registry, assign
from bot.domain.agency_history import History, Mapped, Registered, Rerouted, Routed, route
from bot.domain.deadlines import DEADLINE_COLUMNS, Done, Unspecified, from_record, to_columns
from bot.domain.numbers import thousands
from bot.domain.text import key
from bot.importers.errors import ImportFailed
from bot.importers.file_kinds import check_plan_file
from bot.importers.issue_dates import ISSUE_DATE
from bot.importers.pdf import read_pdf
from bot.importers.plan_tables import DocumentPlan, PlanTable
from bot.importers.rows import ParsedPlan, PlanMeta, RowError, parse_plan_rows, read_meta
from bot.importers.tabular import FileProblem, Row, read_rows
from bot.importers.task_matching import Held, match_tasks, same_text
from bot.importers.word import WORD, read_document
from bot.models import (
    CHECK_NOW,
    KEY_APART,
    NO_WORK,
    Agency,
    Assignment,
    ExtensionRequest,
    Plan,
    Role,
    Section,
    Status,
    Task,
    shown_key,
    utcnow,
)
from bot.services.agency_changes import load_history
from bot.services.assignments import Actor, close_part, mark_done, record_change
from bot.services.calendar import load_calendar
from bot.services.register import find_agency, load_registry, plan_by_number

Progress = Callable[[int, int], None]


@dataclass
class UnspecifiedLine:
    line: int
    task_key: str
    text: str
    reason: str


@dataclass
class RowReading:
    """How one row's agency cells were read, for ``--dry-run`` to show."""

    line: int
    task_key: str
    lead: Match
    coordinate: Match
    deadline_cell: str = ""
    deadline: str = ""  # the reading in words: "Hạn 30/09/2027 — cuối quý III/2027"
    text: str = ""  # the task as read, its indicator first (its cells joined over a page break)


@dataclass
class SectionReading:
    """A section row as read, for ``--dry-run`` to show among the tasks."""

    line: int
    key: str
    title: str


def _line(line: int) -> str:
    return f"dòng {line}"


@dataclass
class UnclearLead:
    """A task imported with no lead part, for an admin to assign: its lead cell names only
    groups ("các cơ quan, đơn vị có liên quan") or only coordinating agencies ("Sở Tư pháp
    phối hợp"). The same tasks ``dondoc unassigned`` lists."""

    line: int
    task_key: str
    text: str


@dataclass
class ReroutedLine:
    """A row naming a former agency (or a class mapped by the admin), and where its part went."""

    line: int
    task_key: str
    rerouted: Rerouted


@dataclass
class TaskChange:
    """A task the import changes: each (what, old, new) an admin checks, in Vietnamese
    ("Tiến độ", "Quý I/2025", "Quý II/2025"); an empty value is an empty cell.
    ``moved_from``: the task's key before, when the plan moved it (a row inserted above
    it), its text unchanged."""

    line: int
    task_key: str
    changes: list[tuple[str, str, str]]
    moved_from: str = ""


# What a re-import may change in a task, as an admin names it, in the order they read it.
_CHANGE_LABELS = (
    ("text", "Nội dung"), ("indicator", "Chỉ số/nội dung"), ("target", "Chỉ tiêu"),
    ("result", "Kết quả/sản phẩm"), ("deadline_text", "Tiến độ"), ("lead_text", "Chủ trì"),
    ("coordinate_text", "Phối hợp"),
)  # fmt: skip
AGENCY_CELLS = frozenset({"Chủ trì", "Phối hợp"})  # labels of the agency cells


def task_changes(
    task: Task, values: dict[str, Any], sections: Callable[[int | None], str] = lambda _: ""
) -> list[tuple[str, str, str]]:
    """(what, old, new) of each field of ``task`` that ``values`` changes that a user sees:
    its cells, then its due date where the cell is the same but reads to another day (or
    the reading in words, where only that changed), its number and its section (named by
    ``sections``: a section's id → its title). The rest (the row's place in the file, the
    order of the plan's tasks) is no change to show."""
    out = [
        (label, getattr(task, f) or "", values[f] or "")
        for f, label in _CHANGE_LABELS
        if (getattr(task, f) or "") != (values[f] or "")
    ]
    if not out and task.due_on != values["due_on"]:
        old, new = (f"{d:%d/%m/%Y}" if d else "" for d in (task.due_on, values["due_on"]))
        out.append(("Hạn", old, new))
    if not out:
        old, new = (
            from_record(kind, detail).describe()
            for kind, detail in ((task.deadline_kind, task.deadline_detail),
                                 (values["deadline_kind"], values["deadline_detail"]))
        )  # fmt: skip
        if old != new:
            out.append(("Cách đọc tiến độ", old, new))
    if task.number != values["number"]:
        out.append(("Số thứ tự", task.number, values["number"]))
    if task.section_id != values["section_id"]:
        out.append(("Mục", sections(task.section_id), sections(values["section_id"])))
    return out


@dataclass
class RemovedTask:
    """A task the revised plan no longer has: ``parts`` of its open parts cancelled (its
    done parts stay done)."""

    task_key: str  # as the plan numbered it ("PL1.1")
    text: str
    parts: int


@dataclass
class PlanImportReport:
    plan: str
    created: bool = False
    tasks_new: int = 0
    tasks_changed: int = 0
    tasks_unchanged: int = 0
    tasks_moved: int = 0  # moved in the plan (renumbered), nothing else a user sees changed
    # Only the agency cells' wording changed, not the agencies read from them.
    tasks_reworded: list[TaskChange] = field(default_factory=list)
    # Tasks no row of the file is, in a part of the plan the file does not cover (another
    # appendix; another agency's, with --lead): kept as they are. Keys as the plan numbers.
    tasks_missing: list[str] = field(default_factory=list)
    tasks_removed: list[RemovedTask] = field(default_factory=list)  # dropped by the plan
    tasks_restored: list[str] = field(default_factory=list)  # dropped before, in it again
    changes: list[TaskChange] = field(default_factory=list)  # each task changed, and how
    warnings: list[str] = field(default_factory=list)  # to check, though no error
    assignments_new: int = 0
    assignments_cancelled: int = 0
    assignments_total: int = 0
    unspecified: list[UnspecifiedLine] = field(default_factory=list)
    general_refs: list[str] = field(default_factory=list)
    deadlines_kept: list[str] = field(default_factory=list)  # set by an admin, cell unchanged
    deadlines_dropped: list[str] = field(default_factory=list)  # set by an admin, cell changed
    # Tasks due before the plan was signed: late from the first tick, so worth a second look.
    due_before_plan: list[str] = field(default_factory=list)
    plan_date: date | None = None
    title: str = ""  # the plan's title, as the file (or the plan held) gives it
    done_in_plan: int = 0  # parts the plan itself marks as done ("Đã xong")
    readings: list[RowReading] = field(default_factory=list)
    unclear_leads: list[UnclearLead] = field(default_factory=list)
    agency_names: dict[str, str] = field(default_factory=dict)  # code → name, to explain
    rerouted: list[ReroutedLine] = field(default_factory=list)
    sections: list[SectionReading] = field(default_factory=list)
    # Where a line is, in words: "dòng 5" in a table file, "Bảng 2, dòng 14" in a document.
    where: Callable[[int], str] = _line
    tables: list[PlanTable] = field(default_factory=list)  # a document's task tables
    notes: list[str] = field(default_factory=list)  # rows of a document read but not used
    issuer: str = ""  # the issuer as read, when the document names one the registry has

    @property
    def tasks_total(self) -> int:
        return (self.tasks_new + self.tasks_changed + self.tasks_unchanged + self.tasks_moved
                + len(self.tasks_reworded))  # fmt: skip


_TASK_FIELDS = (
    "number", "position", "indicator", "text", "target", "result", "deadline_text",
    "deadline_kind", "due_on", "recurrence", "deadline_detail", "lead_text",
    "coordinate_text", "source_line", "section_id",
)  # fmt: skip


def import_plan(
    session: Session,
    path: Path,
    *,
    meta: PlanMeta | None = None,
    default_lead: str = "",
    settings: Settings,
    on: date,
    mapping: Sequence[str] = (),
    progress: Progress | None = None,
    actor: str | None = None,
    source: str | None = None,
    at: datetime | None = None,
    whole_plan: bool = False,
) -> PlanImportReport:
    """Import ``path`` (CSV, XLSX, Word .docx, .doc where LibreOffice converts it, or a PDF
    with a text layer) into the session's transaction. Raises ImportFailed on any bad row
    or unreadable page, FileProblem on a file that cannot be read at all (a scanned PDF).

    A document's number, date and title are read from the document
    (:mod:`bot.importers.plan_tables`); ``meta`` overrides them. Its problems are named by
    table, row and column ("Bảng 2, dòng 14, cột Tiến độ: …"), in a PDF with the page too.

    ``on`` is the import's day (Vietnam's calendar): agencies are routed to who does their
    work that day. ``mapping``: the admin's explicit replacements, each "OLD=NEW" as
    written in a cell ("UBND cấp huyện=UBND cấp xã"). A deadline an admin set (``dondoc
    tasks set-deadline``) stays while the task's cell in the plan is the one it was set
    for. Deadlines are read with the province's calendar and ``settings.school_year_end``.

    ``actor``: who imports, in the audit trail (``import:<file name>`` by default; the web
    view's admin, "web:telegram:123 (Name)"); ``source``: the plan's source (the path by
    default; the uploaded file's name on the web); ``at``: the moment in the audit trail
    (UTC; now by default; the web view's clock, which ``dondoc web --at`` moves).
    ``whole_plan``: the file is the whole plan, so a task it does not have is dropped even
    in an appendix it does not have (by default such tasks are kept and reported).
    """
    word = _read_document(path)
    if word:
        word.name_leads(lambda name: a.name if (a := find_agency(session, name)) else None)
    rows = word.rows if word else read_rows(path, "tasks")
    _check_size(path, rows)
    registry, ids = load_registry(session)
    history = load_history(session)
    header_meta, meta_errors = (word.meta, list(word.errors)) if word else read_meta(rows)
    merged = header_meta.merged(meta or PlanMeta())
    issuer = find_agency(session, merged.issuer) if merged.issuer else None
    if word and issuer is None and not merged.issuer:
        issuer = _document_issuer(session, word)
        merged.issuer = issuer.name if issuer else ""
    parsed = parse_plan_rows(
        rows, registry, meta=merged, scope=issuer.code if issuer else None,
        default_lead=default_lead, cal=load_calendar(session, settings.hours),
        school_year_end=settings.school_year_end, where=word.where if word else _line,
    )  # fmt: skip
    parsed.errors[:0] = meta_errors
    if word:  # a column missing from the document's rows is missing from each of its tables
        tables = ", ".join(f"Bảng {t.number}" for t in word.tables)
        parsed.errors = [RowError(0, f"{tables}: {e.reason}", e.column)
                         if e.line == 0 and e.reason.startswith("thiếu cột") else e
                         for e in parsed.errors]  # fmt: skip
    plan = plan_by_number(session, parsed.meta.number)
    held = _held_tasks(session, plan)
    matched = _match_rows(session, parsed, held, registry, issuer.code if issuer else None)
    routings = _route_rows(session, parsed, registry, history, on, mapping, matched)
    _check_plan(path, rows[0].line, parsed, issuer is not None, word)
    former = {ids[c] for c in registry.entries if not history.exists(c, on)}

    report = PlanImportReport(plan=parsed.meta.number, created=plan is None)
    if word:
        report.where, report.tables, report.notes = word.where, word.tables, word.notes
        report.issuer = merged.issuer
    report.sections = [SectionReading(s.line, s.key, s.title) for s in parsed.sections]
    report.plan_date = parsed.meta.issued_on or (plan.issued_on if plan else None)
    report.title = parsed.meta.title or (plan.title if plan else "")
    report.warnings = list(word.warnings) if word else []
    report.warnings += _overridden(header_meta, meta or PlanMeta())
    if report.plan_date is None and not any(w.startswith(ISSUE_DATE) for w in report.warnings):
        report.warnings.append(
            "văn bản không có ngày ban hành đọc được (dòng “…, ngày … tháng … năm …” hay “Kèm "
            "theo Kế hoạch số … ngày …”): kế hoạch không có ngày, hạn “… ngày kể từ ngày ký” "
            "không tính được; dùng --date dd/mm/yyyy"
            if word
            else "tệp không ghi ngày ban hành (dòng “Ngày ban hành: dd/mm/yyyy” trên bảng): "
            "kế hoạch không có ngày; dùng --date dd/mm/yyyy"
        )
    report.agency_names = {code: e.name for code, e in registry.entries.items()}
    if plan is None:
        plan = Plan(number=parsed.meta.number)
    plan.issued_on = parsed.meta.issued_on or plan.issued_on
    plan.year = parsed.meta.plan_year or plan.year
    plan.title = parsed.meta.title or plan.title
    plan.issuer = parsed.meta.issuer or plan.issuer
    plan.issuer_agency_id = issuer.id if issuer else plan.issuer_agency_id
    plan.source = source or str(path)
    session.add(plan)
    session.flush()
    assert plan.id is not None

    section_ids = _upsert_sections(session, plan.id, parsed)
    titles = {
        s.id: s.title for s in session.exec(select(Section).where(Section.plan_id == plan.id))
    }
    # Each matched task's key before, as users saw it: a dropped task back at its number
    # has not moved.
    was = {k: shown_key(t.key) for k, t in matched.items()}
    taken = {t.id for t in matched.values()}
    _free_moved_keys(session, held, {r.key for r in parsed.tasks}, matched)
    # Every part of the plan's tasks, read once (not one query, and one flush, per task).
    held_parts: dict[int, dict[int, Assignment]] = {}
    for part in session.exec(
        select(Assignment)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .where(Task.plan_id == plan.id)
    ):
        held_parts.setdefault(part.task_id, {})[part.agency_id] = part
    who = actor or f"import:{path.name}"
    stamped = at or utcnow()
    for done, row in enumerate(parsed.tasks, start=1):
        assert row.deadline is not None and row.lead is not None and row.coordinate is not None
        values: dict[str, Any] = {
            "number": row.number,
            "position": row.position,
            "indicator": row.cell("indicator"),
            "text": row.cell("task"),
            "target": row.cell("target"),
            "result": row.cell("result"),
            "deadline_text": row.cell("deadline"),
            **to_columns(row.deadline),
            "lead_text": row.cell("lead"),
            "coordinate_text": row.cell("coordinate"),
            "source_line": row.line,
            "section_id": section_ids.get(row.section_key or ""),
        }
        if plan.issued_on and values["due_on"] and values["due_on"] < plan.issued_on:
            report.due_before_plan.append(row.key)
        task = matched.get(row.key)
        moved_from = was[row.key] if task is not None and was[row.key] != row.key else ""
        if task is not None:
            task.key = row.key
            if task.removed_in is not None:  # its cancelled parts reopen below
                task.removed_in = None
                report.tasks_restored.append(row.key)
        if task is not None and task.deadline_set_to is not None:
            if task.deadline_set_for == row.cell("deadline"):
                for f in DEADLINE_COLUMNS:
                    values[f] = getattr(task, f)
                report.deadlines_kept.append(row.key)
            else:
                task.deadline_set_to = task.deadline_set_for = None
                report.deadlines_dropped.append(row.key)
        changed = task is None
        routing = routings[row.key]
        parts = {ids[p.code]: p for p in routing.parts}
        if task is None:
            task = Task(plan_id=plan.id, key=row.key, **values)
            report.tasks_new += 1
        elif moved_from or any(getattr(task, f) != values[f] for f in _TASK_FIELDS
                               if f != "source_line"):  # fmt: skip
            seen = task_changes(task, values, lambda i: titles.get(i, "") if i else "")
            change = TaskChange(row.line, row.key, seen, moved_from)
            if moved_from:
                # The move says the new number and section; the rest is what else changed.
                change.changes = [c for c in seen if c[0] not in ("Số thứ tự", "Mục")]
            if not change.changes and not moved_from:
                report.tasks_unchanged += 1  # only where the row stands in the file
            elif not change.changes:
                report.changes.append(change)
                report.tasks_moved += 1
            elif {c[0] for c in change.changes} <= AGENCY_CELLS and _same_agencies(
                held_parts.get(task.id or 0, {}), parts
            ):
                report.tasks_reworded.append(change)
            else:
                report.changes.append(change)
                report.tasks_changed += 1
            for f in _TASK_FIELDS:
                setattr(task, f, values[f])
            changed = True
        else:
            report.tasks_unchanged += 1
        session.add(task)
        if task.id is None:
            session.flush()  # a new task: its parts need its id
        assert task.id is not None
        report.rerouted.extend(ReroutedLine(row.line, row.key, r) for r in routing.rerouted)
        done = isinstance(row.deadline, Done) and values["deadline_kind"] == Done.kind
        led = _sync_assignments(
            session, task, parts, values["due_on"], changed, who, report, former, done,
            held_parts.pop(task.id, {}), stamped,
        )  # fmt: skip
        if isinstance(row.deadline, Unspecified) and values["deadline_kind"] == Unspecified.kind:
            reason = row.deadline.reason
            if word and (note := word.struck_note(row.line, "deadline")):
                reason = f"{reason} {note}"  # why the cell is empty
            report.unspecified.append(
                UnspecifiedLine(row.line, row.key, row.cell("deadline"), reason)
            )
        report.general_refs.extend(row.lead.general + row.coordinate.general)
        shown = from_record(values["deadline_kind"], values["deadline_detail"]).describe()
        report.readings.append(
            RowReading(row.line, row.key, row.lead, row.coordinate, row.cell("deadline"), shown,
                       " – ".join(t for t in (row.cell("indicator"), row.cell("task")) if t))
        )  # fmt: skip
        if not led:
            report.unclear_leads.append(UnclearLead(row.line, row.key, row.cell("lead")))
        if progress:
            progress(done, len(parsed.tasks))
    dropped = [t for t in held if t.id not in taken]
    if dropped:
        leads = {ids[p.code] for r in routings.values() for p in r.parts if p.role == Role.LEAD}
        _drop_tasks(session, plan.id, dropped, None if whole_plan else parsed, held_parts,
                    leads if default_lead and not whole_plan else None, former, Actor(who),
                    stamped, Path(source or path).name, report)  # fmt: skip
    report.general_refs = list(dict.fromkeys(report.general_refs))
    return report


def _top(section_key: str) -> str:
    """The appendix (top-level section) of a section's key: "PL1" of "PL1.II"; "" for none."""
    return section_key.split(".", 1)[0]


def _drop_tasks(
    session: Session, plan_id: int, dropped: Sequence[Task], parsed: ParsedPlan | None,
    parts: dict[int, dict[int, Assignment]], leads: set[int] | None, former: set[int],
    who: Actor, at: datetime, file: str, report: PlanImportReport,
) -> None:  # fmt: skip
    """Cancel the open parts of the ``dropped`` tasks (held, no row of the file is them)
    the file covers: in an appendix the file has (``parsed``; None: the file is the whole
    plan), and, with ``leads`` (the file read with --lead: the agencies its rows give the
    lead), led only by those. The others are kept
    and reported in ``tasks_missing``; a task dropped before with nothing open is not
    said again. A part of an agency in ``former`` (gone on the import's day) is history,
    left as it is. Each cancelled part gets one row in the audit trail, at ``at``."""
    keys = {s.id: s.key for s in session.exec(select(Section).where(Section.plan_id == plan_id))}
    covered: set[str] | None = None
    if parsed is not None:
        covered = {_top(r.section_key or "") for r in parsed.tasks}
        covered |= {_top(s.key) for s in parsed.sections}
    for task in dropped:
        assert task.id is not None
        held = parts.get(task.id, {}).values()
        open_parts = [p for p in held
                      if p.status not in (*NO_WORK, Status.DONE) and p.agency_id not in former]  # fmt: skip
        if task.removed_in is not None and not open_parts:
            continue  # said when the plan dropped it
        led_by = {p.agency_id for p in held if p.role == Role.LEAD and p.status not in NO_WORK}
        section = keys.get(task.section_id, "") if task.section_id else ""
        outside = covered is not None and _top(section) not in covered
        if outside or (leads is not None and not led_by <= leads):
            report.tasks_missing.append(shown_key(task.key))
            continue
        for part in open_parts:
            close_part(session, part, Status.CANCELLED, who, at,
                       f"bỏ khỏi kế hoạch khi nhập lại {file}")  # fmt: skip
            session.add(part)
        report.assignments_cancelled += len(open_parts)
        task.removed_in = file
        session.add(task)
        report.tasks_removed.append(RemovedTask(shown_key(task.key), task.text, len(open_parts)))


@dataclass
class _Routing:
    parts: list[Routed]
    rerouted: list[Rerouted]


def _overridden(stated: PlanMeta, given: PlanMeta) -> list[str]:
    """A warning for each of the plan's number and date that the file states and the
    admin's option replaces with another (a typo in the option would otherwise make a
    second plan without a word)."""
    said = []
    if stated.number and given.number and key(stated.number) != key(given.number):
        said.append(f"tệp ghi số “{stated.number}”, dùng số “{given.number}” theo lựa chọn "
                    "của quản trị viên (--number)")  # fmt: skip
    if stated.issued_on and given.issued_on and stated.issued_on != given.issued_on:
        said.append(f"tệp ghi ngày ban hành {stated.issued_on:%d/%m/%Y}, dùng ngày "
                    f"{given.issued_on:%d/%m/%Y} theo lựa chọn của quản trị viên (--date)")  # fmt: skip
    return said


def _held_tasks(session: Session, plan: Plan | None) -> list[Task]:
    """The plan's tasks already held, in the plan's order (none for a new plan)."""
    if plan is None:
        return []
    query = select(Task).where(Task.plan_id == plan.id).order_by(col(Task.position), col(Task.id))
    return list(session.exec(query))


def _match_rows(
    session: Session, parsed: ParsedPlan, held: Sequence[Task], registry: Registry,
    scope: str | None,
) -> dict[str, Task]:  # fmt: skip
    """Row key → the held task the row is (:func:`match_tasks`: by text, of a text said
    twice the one of the same lead, a text alike, then by key, a task with work recorded
    only to a row still like it). A held task's lead is its lead cell read again with
    ``registry`` and ``scope`` (the issuer's code), as the rows' are, not its parts: a
    former agency's part has gone to its successor, and both cells still name the former."""
    by_key = {t.key: t for t in held}
    worked_ids = _worked_tasks(session, [t.id for t in held])
    worked = {t.key for t in held if t.id in worked_ids}
    rows = [Held(r.key, f"{r.cell('indicator')} {r.cell('task')}",
                 _lead(r.lead) if r.lead else frozenset()) for r in parsed.tasks]  # fmt: skip
    tasks = [Held(t.key, f"{t.indicator} {t.text}") for t in held]
    # Only a text said twice needs its tasks' leads (read again) to tell them apart.
    twice = _said_twice(rows) | _said_twice(tasks)
    tasks = [replace(h, lead=_lead(registry.match(t.lead_text, scope=scope)))
             if same_text(h.text) in twice else h for h, t in zip(tasks, held, strict=True)]  # fmt: skip
    pairs = match_tasks(rows, tasks, worked)
    return {row_key: by_key[key] for row_key, key in pairs.items()}


def _said_twice(tasks: Sequence[Held]) -> set[str]:
    """The texts (as :func:`same_text` compares them) of more than one of ``tasks``."""
    counts = Counter(same_text(t.text) for t in tasks)
    return {t for t, n in counts.items() if n > 1}


def _lead(match: Match) -> frozenset[str]:
    """A lead cell as :attr:`Held.lead` compares it: the agencies it names, else its words."""
    return frozenset(match.codes) or frozenset({same_text(match.cell)} - {""})


def _worked_tasks(session: Session, task_ids: Sequence[int | None]) -> set[int]:
    """The tasks (of ``task_ids``) with work recorded: a part done, snoozed or moved on,
    with progress, or with an extension asked."""
    if not task_ids:
        return set()
    parts = select(Assignment.task_id).where(
        col(Assignment.task_id).in_(task_ids),
        (col(Assignment.status) != Status.OPEN) | (col(Assignment.progress) > 0),
    )
    asked = (select(Assignment.task_id)
             .join(ExtensionRequest, col(ExtensionRequest.assignment_id) == col(Assignment.id))
             .where(col(Assignment.task_id).in_(task_ids)))  # fmt: skip
    return set(session.exec(parts).all()) | set(session.exec(asked).all())


def _free_moved_keys(
    session: Session, held: Sequence[Task], row_keys: set[str], matched: dict[str, Task]
) -> None:
    """Give each task that moves a key no row has, written at once: a plan's keys are
    unique, and a task taking the key of one that moved further down would otherwise
    meet it (the import then gives each its row's key). A task no row is (left as it is,
    reported missing) whose key a row now has keeps its key with "~" and its id after it
    ("2~41"): the row is another task."""
    taken = {t.id for t in matched.values()}
    moved = [t for k, t in matched.items() if t.key != k]
    for task in moved:
        task.key = f"{KEY_APART}{task.id}"  # no STT starts with "~"
        session.add(task)
    for task in held:
        if task.id not in taken and task.key in row_keys:
            task.key = f"{shown_key(task.key)}{KEY_APART}{task.id}"
            moved.append(task)
    if moved:
        session.flush()


def _same_agencies(held: dict[int, Assignment], parts: dict[int, Routed]) -> bool:
    """Whether the agencies read from a task's cells, and their roles, are those of its
    parts held (cancelled ones aside): the cells were reworded, not reassigned."""
    now = {a.agency_id: a.role for a in held.values() if a.status != Status.CANCELLED}
    return now == {agency_id: p.role for agency_id, p in parts.items()}


def _route_rows(
    session: Session, parsed: ParsedPlan, registry: Registry, history: History, on: date,
    mapping: Sequence[str], matched: dict[str, Task],
) -> dict[str, _Routing]:  # fmt: skip
    """Each row's parts on the day ``on`` (``matched``: row key → the task held for it);
    what cannot be routed is added to the plan's errors, by line."""
    agencies = {c: Registered(e.name, e.kind.value) for c, e in registry.entries.items()}
    mapped = _read_mapping(registry, history, on, mapping, parsed.errors)
    held: dict[int, set[str]] = {}
    task_ids = [t.id for t in matched.values()]
    if task_ids:
        for task_id, code in session.exec(
            select(Assignment.task_id, Agency.code)
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
            .where(col(Assignment.task_id).in_(task_ids))
        ):
            held.setdefault(task_id, set()).add(code)
    out: dict[str, _Routing] = {}
    for row in parsed.tasks:
        if row.lead is None or row.coordinate is None:
            continue
        task = matched.get(row.key)
        routing = route(
            assign(row.lead, row.coordinate), history=history, day=on, agencies=agencies,
            held=held.get(task.id or 0, ()) if task else (), mapping=mapped,
        )  # fmt: skip
        parsed.errors.extend(RowError(row.line, e.reason, e.role) for e in routing.errors)
        out[row.key] = _Routing(routing.parts, routing.rerouted)
    return out


def _read_mapping(
    registry: Registry, history: History, on: date, mapping: Sequence[str], errors: list[RowError]
) -> dict[str, Mapped]:
    """``--map "OLD=NEW"``: every agency OLD names (a class: its members, and then only
    where the plan names the class) → the agencies NEW names that exist on ``on``; a map
    naming an agency itself wins over one naming its class. Errors are about the option,
    not a line of the file (line 0)."""
    mapped: dict[str, Mapped] = {}
    for given in mapping:
        old, _, new = (part.strip() for part in given.partition("="))
        left, right = registry.match(old), registry.match(new)
        targets = tuple(c for c in right.codes if history.exists(c, on))
        why = ""
        if not old or not new or "=" in new:
            why = "cần đúng một dấu “=”: “CŨ=MỚI”, ví dụ “UBND cấp huyện=UBND cấp xã”"
        elif left.unknown or not left.codes:
            why = f"không đọc được “{old}” thành cơ quan hay nhóm cơ quan nào trong danh mục"
        elif right.unknown or not targets:
            why = f"“{new}” không chỉ ra cơ quan nào còn hoạt động ngày {on:%d/%m/%Y}"
        classes_only = all(p.by_class for p in left.parts)
        twice = [c for c in left.codes if c in mapped and mapped[c].classes_only == classes_only
                 and mapped[c].text != given.strip()]  # fmt: skip
        if not why and twice:
            why = f"“{registry.name(twice[0])}” đã được giao theo --map “{mapped[twice[0]].text}”"
        if why:
            errors.append(RowError(0, f"--map “{given}”: {why}"))
            continue
        for code in left.codes:
            # A map naming the agency itself is more precise than one naming its class.
            if code not in mapped or mapped[code].classes_only:
                mapped[code] = Mapped(targets, given.strip(), classes_only)
    return mapped


# A province's plans have at most a few thousand tasks (the largest seen, a year's plan of
# a province, about 1,500). A table ten times longer is another kind of file (an export,
# a list of files), and its import would take minutes of the database (about 5 ms a row).
MOST_PLAN_ROWS = 10_000


def _check_size(path: Path, rows: Sequence[Row]) -> None:
    """Raise FileProblem for a plan of more than :data:`MOST_PLAN_ROWS` rows that hold a
    value (the header's and the table's), before anything is matched or written."""
    count = sum(1 for r in rows if not r.is_blank())
    if count > MOST_PLAN_ROWS:
        raise FileProblem(
            path, f"tệp có {thousands(count)} dòng có chữ (kể cả các dòng tiêu đề), quá giới "
            f"hạn {thousands(MOST_PLAN_ROWS)} dòng của một kế hoạch: đây có phải tệp kế hoạch "
            "không? Một kế hoạch lớn hơn thì chia thành nhiều tệp (mỗi tệp một số kế hoạch "
            "riêng)",
        )  # fmt: skip


def _read_document(path: Path) -> DocumentPlan | None:
    """The plan document in ``path`` read (Word or PDF); None for a CSV or XLSX table."""
    check_plan_file(path)
    suffix = path.suffix.lower()
    try:
        if suffix in WORD:
            return read_document(path)
        if suffix == ".pdf":
            return read_pdf(path)
    except XMLSyntaxError:  # a part of the .docx (document.xml, numbering.xml…) is broken
        raise FileProblem(
            path, "tệp Word bị hỏng (nội dung bên trong không đọc được): mở bằng Word rồi lưu "
            "lại (Word tự sửa tệp khi mở), rồi nhập lại",
        ) from None  # fmt: skip
    return None


def _document_issuer(session: Session, word: DocumentPlan) -> Agency | None:
    """The issuer the document's header block names, if the registry has it; a name it
    does not know is no error (``--issuer`` gives it)."""
    for name in word.issuer_names:
        found = find_agency(session, name)
        if found is not None:
            return found
    return None


def _check_plan(
    path: Path, first_line: int, parsed: ParsedPlan, issuer_found: bool, word: DocumentPlan | None
) -> None:
    errors = (
        [word.explain(word.from_title(e)) for e in parsed.errors] if word else list(parsed.errors)
    )
    if not parsed.meta.number:
        errors.append(
            RowError(
                first_line,
                "văn bản không ghi số kế hoạch (dòng “Số: 126/KH-UBND” hay “Kèm theo Kế hoạch "
                "số …”): dùng --number"
                if word
                else "thiếu số kế hoạch: dùng --number hoặc dòng “Số kế hoạch: …”",
            )
        )
    if parsed.meta.issuer and not issuer_found:
        errors.append(
            RowError(first_line, f"cơ quan ban hành “{parsed.meta.issuer}” không có trong danh mục")
        )
    if not parsed.tasks and not errors:
        errors.append(RowError(first_line, "bảng không có nhiệm vụ nào"))
    if errors:
        raise ImportFailed(path, errors, (lambda e: word.where(e.line, e.column)) if word else None,
                           notes=word.warnings if word else ())  # fmt: skip


def _upsert_sections(session: Session, plan_id: int, parsed: ParsedPlan) -> dict[str, int]:
    existing = {s.key: s for s in session.exec(select(Section).where(Section.plan_id == plan_id))}
    ids: dict[str, int] = {}
    for row in parsed.sections:
        section = existing.get(row.key) or Section(plan_id=plan_id, key=row.key)
        section.number, section.title, section.position = row.number, row.title, row.position
        session.add(section)
        session.flush()
        assert section.id is not None
        ids[row.key] = section.id
    return ids


def _sync_assignments(
    session: Session,
    task: Task,
    parts: dict[int, Routed],
    due_on: date | None,
    task_changed: bool,
    actor: str,
    report: PlanImportReport,
    former: set[int],
    done: bool = False,
    current: dict[int, Assignment] | None = None,
    now: datetime | None = None,
) -> bool:
    """Each agency's part of ``task``, created, updated or cancelled to match the plan;
    True when the task has a lead part that is not cancelled (the test of ``dondoc
    unassigned``).

    A part ``kept``, and any part of an agency in ``former`` (the ids of those that no
    longer exist on the import's day), is history: left as it is. ``done``: the plan's
    deadline cell says the work is done, so open parts are closed. ``current``: the
    task's parts by agency id, as read with the plan's (none for a new task). New parts
    are written with one flush for the task, then their history, stamped ``now`` (UTC;
    the real clock by default).
    """
    current = dict(current or {})
    now = now or utcnow()
    who = Actor(actor)
    assert task.id is not None
    led = False
    created: list[tuple[Assignment, str]] = []
    for agency_id, part in parts.items():
        role, scope = Role(part.role), part.scope
        assignment = current.pop(agency_id, None)
        if part.kept:  # the agency as it then was: its part is history
            led |= (
                assignment is not None
                and assignment.role == Role.LEAD
                and (assignment.status not in NO_WORK)
            )
            report.assignments_total += assignment is not None
            continue
        if assignment is None:
            assignment = Assignment(
                task_id=task.id, agency_id=agency_id, role=role, scope=scope, due_on=due_on
            )
            session.add(assignment)
            created.append((assignment, part.change))
            report.assignments_new += 1
            report.assignments_total += 1
            led |= role is Role.LEAD
            continue
        assert assignment.id is not None
        changes: list[tuple[str, object, object]] = [
            ("role", assignment.role, role),
            ("scope", assignment.scope, scope),
            # An approved extension outlives a re-import of the plan.
            ("due_on", assignment.due_on, assignment.extended_to or due_on),
        ]
        if assignment.status == Status.CANCELLED:
            changes.append(("status", assignment.status, Status.OPEN))
        led |= role is Role.LEAD
        reset = task_changed
        for name, old, new in changes:
            if old != new:
                record_change(session, assignment, who, now, name, old, new)
                setattr(assignment, name, new)
                reset = True
        if done and assignment.status == Status.OPEN:
            _close_as_done_in_plan(session, assignment, who, now, report)
        if reset:
            assignment.check_on = CHECK_NOW  # the ladder is worked out again
        session.add(assignment)
        report.assignments_total += 1
    if created:
        session.flush()  # the task's new parts get their ids at once
    for assignment, change in created:
        record_change(session, assignment, who, now, "created", None, Status.OPEN, change)
        if done:
            _close_as_done_in_plan(session, assignment, who, now, report)
    for assignment in current.values():
        if assignment.status not in NO_WORK and assignment.agency_id not in former:
            assert assignment.id is not None
            close_part(session, assignment, Status.CANCELLED, who, now,
                       "không còn được giao trong kế hoạch khi nhập lại")  # fmt: skip
            report.assignments_cancelled += 1
    return led


def _close_as_done_in_plan(
    session: Session, part: Assignment, who: Actor, now: datetime, report: PlanImportReport
) -> None:
    mark_done(session, part, who, now, "tiến độ trong kế hoạch ghi đã xong")
    session.add(part)
    report.done_in_plan += 1
