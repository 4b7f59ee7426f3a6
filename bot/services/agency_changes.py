"""The registry's history: recording an agency's change and re-routing its work.

The rules (who does a changed agency's work on a day) are in
:mod:`bot.domain.agency_history`; this module reads and writes the rows. A change is
recorded once (:func:`record_change`) and applied on its day (:func:`apply_due`, from
the tick or from the command that recorded it): the agency's open work, chats, late
files, apology drafts and unused link codes go to its successors. Closed work stays
under the agency as it was then, so reports count history as it happened.

The changes of 2025: provincial departments merged (Nghị định 45/2025/NĐ-CP ngày
28/02/2025, merged departments working from 01/03/2025) and the district level ended on
01/07/2025 (Luật Tổ chức chính quyền địa phương số 72/2025/QH15, Điều 51 khoản 3).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import Session, col, select

from bot.domain.agency_history import Change, ChangeKind, History, Succession
from bot.domain.text import key
from bot.models import (
    CHECK_NOW,
    NO_WORK,
    Agency,
    AgencyChange,
    AgencySuccessor,
    Apology,
    ApologyState,
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    FileStatus,
    LinkCode,
    Plan,
    RequestState,
    Role,
    Status,
    Task,
    TthcFile,
    shown_key,
)
from bot.render import answer
from bot.services.actions import alert_admins, code_of
from bot.services.assignments import Actor, close_part
from bot.services.assignments import record_change as audit
from bot.services.chats import deactivate_chat
from bot.services.outbox import FAREWELL, enqueue

#: How a change is written in a file or a table, one word per kind ("đổi tên", …).
KIND_WORDS: dict[ChangeKind, str] = {
    ChangeKind.RENAMED: "đổi tên",
    ChangeKind.MERGED: "sáp nhập",
    ChangeKind.SPLIT: "chia tách",
    ChangeKind.DISSOLVED: "giải thể",
}

#: How many successors each kind takes: (at least, at most or None for no limit).
SUCCESSORS: dict[ChangeKind, tuple[int, int | None]] = {
    ChangeKind.RENAMED: (1, 1),
    ChangeKind.MERGED: (1, 1),
    ChangeKind.SPLIT: (2, None),
    ChangeKind.DISSOLVED: (0, None),
}

OPEN_WORK = (Status.OPEN, Status.SNOOZED)

#: A document number: digits, a slash, maybe the year, then the symbol's first letter
#: ("45/2025/NĐ-CP", "72/2025/QH15", "12/NQ-HĐND"); a date ("28/02/2025") is not one.
_NUMBER = re.compile(r"(?<![\d/])\d+/(?:\d{4}/)?[^\W\d_]")


def act_problem(act: str) -> str | None:
    """Why ``act`` cannot name the act of a change (empty, too long, no number), or None."""
    act = " ".join(act.split())
    if not act:
        return "thiếu văn bản (số, ngày của nghị định, nghị quyết hoặc quyết định)"
    if len(act) > 255:
        return "tên văn bản dài quá 255 ký tự"
    if not _NUMBER.search(act):
        return "văn bản cần có số hiệu, ví dụ “Nghị định số 45/2025/NĐ-CP ngày 28/02/2025”"
    return None


def parse_kind(text: str) -> ChangeKind | None:
    """ "sáp nhập", "sap nhap", "merged" → :class:`ChangeKind`; None for anything else."""
    folded = key(text)
    for kind, word in KIND_WORDS.items():
        if folded in (key(word), kind.value):
            return kind
    return None


class ChangeRefused(Exception):
    """A change that cannot be recorded; ``reason`` says why, in Vietnamese, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def load_history(session: Session) -> History:
    """Every recorded change (applied or still ahead), by agency code."""
    codes = {a.id: a.code for a in session.exec(select(Agency))}
    successors: dict[int, list[str]] = defaultdict(list)
    for link in session.exec(select(AgencySuccessor).order_by(col(AgencySuccessor.position))):
        successors[link.change_id].append(codes[link.agency_id])
    return History(
        Change(
            code=codes[c.agency_id],
            kind=ChangeKind(c.kind),
            on=c.effective_on,
            act=c.act,
            successors=tuple(successors[c.id or 0]),
            applied=c.applied_at is not None,
        )
        for c in session.exec(select(AgencyChange))
    )


def agency_names(session: Session) -> dict[str, str]:
    """Agency code → name, for :meth:`Change.describe` and :meth:`Succession.describe`."""
    return {a.code: a.name for a in session.exec(select(Agency))}


def change_of(session: Session, agency: Agency) -> AgencyChange | None:
    """The agency's recorded change, if any (an agency changes once)."""
    return session.exec(select(AgencyChange).where(AgencyChange.agency_id == agency.id)).first()


def former_agency(session: Session, agency: Agency, today: date | None = None) -> str | None:
    """How ``agency`` stopped existing (:meth:`Change.describe`) when its change is applied
    or, given ``today`` (Vietnam's calendar), its day has come; None while it exists. A
    chat or a link code is for the agency doing the work now, never for a former one."""
    change = change_of(session, agency)
    if change is None or (
        change.applied_at is None and (today is None or change.effective_on > today)
    ):
        return None
    return as_change(session, change).describe(agency_names(session))


@dataclass(frozen=True)
class Former:
    """An agency that no longer exists as it was, as a page shows it: "đã sáp nhập vào
    Sở Tài chính từ 01/03/2025" with the successors linked by their codes."""

    kind: ChangeKind
    on: date  # the first day it no longer exists as it was
    successors: tuple[tuple[str, str], ...]  # (code, name), in the act's order

    @property
    def words(self) -> str:
        """What happened, before the successors' names: "đã sáp nhập vào", "đã giải thể"
        (then ", công việc chuyển cho" when it has successors)."""
        if self.kind is ChangeKind.DISSOLVED:
            return "đã giải thể" + (", công việc chuyển cho" if self.successors else "")
        return f"đã {self.kind.label}"


def former_agencies(session: Session, today: date) -> dict[int, Former]:
    """Every agency whose change is applied or whose day (``today``, Vietnam's calendar)
    has come, by agency id, as :func:`former_agency` decides: two queries, whatever
    their number."""
    changes = session.exec(
        select(AgencyChange).where(
            col(AgencyChange.applied_at).is_not(None) | (col(AgencyChange.effective_on) <= today)
        )
    ).all()
    heirs: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for change_id, code, name in session.exec(
        select(AgencySuccessor.change_id, Agency.code, Agency.name)
        .join(Agency, col(AgencySuccessor.agency_id) == col(Agency.id))
        .where(col(AgencySuccessor.change_id).in_([c.id for c in changes]))
        .order_by(col(AgencySuccessor.change_id), col(AgencySuccessor.position))
    ).all():  # fmt: skip
        heirs[change_id].append((code, name))
    return {c.agency_id: Former(ChangeKind(c.kind), c.effective_on, tuple(heirs[c.id or 0]))
            for c in changes}  # fmt: skip


def successors_of(session: Session, change: AgencyChange) -> list[Agency]:
    """The change's successors in the order the act names them."""
    rows = session.exec(
        select(Agency)
        .join(AgencySuccessor, col(AgencySuccessor.agency_id) == col(Agency.id))
        .where(AgencySuccessor.change_id == change.id)
        .order_by(col(AgencySuccessor.position))
    ).all()
    return list(rows)


def as_change(session: Session, change: AgencyChange) -> Change:
    """The row as the domain's :class:`Change`."""
    agency = session.get(Agency, change.agency_id)
    assert agency is not None
    return Change(agency.code, ChangeKind(change.kind), change.effective_on, change.act,
                  tuple(a.code for a in successors_of(session, change)))  # fmt: skip


def record_change(
    session: Session,
    *,
    agency: Agency,
    kind: ChangeKind,
    on: date,
    act: str,
    successors: Sequence[Agency],
    actor: str,
    now: datetime,
) -> AgencyChange:
    """Record that ``agency`` stops existing as it was on ``on`` (Vietnam's calendar), by
    ``act``, handing its work to ``successors`` (in the act's order). Nothing is moved
    yet: :func:`apply_due` does it on the day.

    Raises :class:`ChangeRefused` (nothing written) when the agency already has a change,
    the act is empty or has no number (:func:`act_problem`), the number of successors
    does not fit the kind (renamed and merged: one; split: two or more; dissolved: any),
    a successor is the agency itself, named twice, not registered, one of the agency's
    own units (for a rename or a merge: a district dissolved into its wards is fine),
    already ended on or before ``on``, or would hand the work back to the agency (a
    cycle).
    """
    act = " ".join(act.split())
    _check(session, agency, kind, on, act, successors)
    row = AgencyChange(agency_id=agency.id, kind=kind.value, effective_on=on, act=act,  # type: ignore[arg-type]
                       recorded_by=actor[:128], recorded_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    assert row.id is not None
    session.add_all(
        AgencySuccessor(change_id=row.id, agency_id=s.id, position=i)  # type: ignore[arg-type]
        for i, s in enumerate(successors)
    )
    session.flush()
    return row


def _check(
    session: Session, agency: Agency, kind: ChangeKind, on: date, act: str,
    successors: Sequence[Agency],
) -> None:  # fmt: skip
    names = agency_names(session)
    history = load_history(session)
    if (done := history.changes.get(agency.code)) is not None:
        raise ChangeRefused(f"{agency.name} đã có thay đổi: {done.describe(names)}; mỗi cơ quan "
                            "chỉ thay đổi một lần (thay đổi tiếp theo ghi cho cơ quan kế tục)")  # fmt: skip
    if (problem := act_problem(act)) is not None:
        raise ChangeRefused(problem)
    least, most = SUCCESSORS[kind]
    if len(successors) < least or (most is not None and len(successors) > most):
        raise ChangeRefused(_count_reason(kind, len(successors)))
    seen: set[str] = set()
    for s in successors:
        if s.id is None or session.get(Agency, s.id) is None:
            raise ChangeRefused(f"cơ quan kế tục “{s.name}” chưa có trong danh mục")
        if s.id == agency.id:
            raise ChangeRefused(f"{agency.name} không thể là cơ quan kế tục của chính mình")
        if s.code in seen:
            raise ChangeRefused(f"cơ quan kế tục “{s.name}” được ghi hai lần")
        seen.add(s.code)
        if kind in (ChangeKind.MERGED, ChangeKind.RENAMED) and _is_under(session, s, agency):
            how = "sáp nhập vào" if kind is ChangeKind.MERGED else "đổi tên thành"
            raise ChangeRefused(f"cơ quan kế tục “{s.name}” là đơn vị trực thuộc {agency.name}: "
                                f"một cơ quan không thể {how} đơn vị của chính nó")  # fmt: skip
        if (ended := history.ended(s.code, on)) is not None:
            raise ChangeRefused(f"cơ quan kế tục “{s.name}” đã không còn từ ngày "
                                f"{ended.on:%d/%m/%Y} ({ended.describe(names)})")  # fmt: skip
        if agency.code in history.heirs(s.code):  # the work would come back to it
            raise ChangeRefused(f"vòng lặp: công việc của {s.name} đã được ghi là chuyển về "
                                f"{agency.name}")  # fmt: skip


def _is_under(session: Session, unit: Agency, agency: Agency) -> bool:
    """``unit`` is one of ``agency``'s units, at any depth (its parents lead to it)."""
    seen: set[int] = set()
    parent_id = unit.parent_id
    while parent_id is not None and parent_id not in seen:
        if parent_id == agency.id:
            return True
        seen.add(parent_id)
        parent = session.get(Agency, parent_id)
        parent_id = parent.parent_id if parent is not None else None
    return False


def _count_reason(kind: ChangeKind, given: int) -> str:
    if kind is ChangeKind.SPLIT:
        return f"chia tách cần ít nhất hai cơ quan kế tục (đã ghi {given})"
    return f"{KIND_WORDS[kind]} cần đúng một cơ quan kế tục (đã ghi {given})"


@dataclass
class AppliedChange:
    """What applying one change did: its description (:meth:`Change.describe`) and
    counts; ``parts_cancelled`` ("NV12 (126/KH-UBND, mục 3)") and ``files_left``
    (file codes) are listed for the admin."""

    change_id: int
    description: str
    on: date
    successors: list[str] = field(default_factory=list)  # names, who does the work today
    named: list[str] = field(default_factory=list)  # names, the successors the act names
    parts_open: int = 0  # the agency's open parts when the change was applied
    parts_moved: int = 0  # rows given to a successor, copies for a split included
    parts_merged: int = 0  # folded into a part the successor already had
    parts_cancelled: list[str] = field(default_factory=list)
    chats_rebound: int = 0
    chats_closed: int = 0
    files_moved: int = 0  # open late files and unapproved apologies
    files_left: list[str] = field(default_factory=list)
    requests_moved: int = 0  # pending extension requests moved to a surviving part
    codes_moved: int = 0  # unused link codes


def apply_due(session: Session, today: date, now: datetime) -> list[AppliedChange]:
    """Apply every change not yet applied whose day has come (``effective_on <= today``,
    Vietnam's calendar), oldest first, in the caller's transaction; each is stamped
    ``applied_at = now`` (aware). Work goes to whoever does it ``today``
    (:meth:`History.successors`), so a chain lands at its end."""
    due = session.exec(
        select(AgencyChange)
        .where(col(AgencyChange.applied_at).is_(None), col(AgencyChange.effective_on) <= today)
        .order_by(col(AgencyChange.effective_on), col(AgencyChange.id))
    ).all()
    if not due:
        return []
    history, names = load_history(session), agency_names(session)
    results = []
    for change in due:
        results.append(_apply(session, change, history, names, today, now))
        change.applied_at = now
        session.add(change)
    session.flush()
    return results


@dataclass
class _Step:
    """One change being applied: the old agency, its heirs on the day, the wording."""

    change: AgencyChange
    old: Agency
    heirs: list[Agency]
    note: str  # :meth:`Succession.describe` of the first heir, or the change's description
    notes: dict[int, str]  # heir id → how the work got there
    actor: Actor
    now: datetime
    result: AppliedChange


def _apply(
    session: Session, change: AgencyChange, history: History, names: dict[str, str],
    today: date, now: datetime,
) -> AppliedChange:  # fmt: skip
    old = session.get(Agency, change.agency_id)
    assert old is not None and change.id is not None
    described = as_change(session, change).describe(names)
    successions: tuple[Succession, ...] = history.successors(old.code, today)
    heirs = [_by_code(session, s.code) for s in successions]
    notes = {h.id or 0: s.describe(names) for h, s in zip(heirs, successions, strict=True)}
    result = AppliedChange(change.id, described, change.effective_on, [h.name for h in heirs],
                           [a.name for a in successors_of(session, change)])  # fmt: skip
    step = _Step(change, old, heirs, next(iter(notes.values()), described), notes,
                 Actor(change.recorded_by), now, result)  # fmt: skip
    parts = _open_parts(session, old)
    result.parts_open = len(parts)
    for part in parts:
        _reroute(session, step, part)
    _files(session, step)
    _link_codes(session, step)
    _chats(session, step)
    alert_admins(session, f"agency-change:{change.id}", answer("agency_change_applied",
                 r=step.result), now)  # fmt: skip
    return step.result


def _by_code(session: Session, code: str) -> Agency:
    found = session.exec(select(Agency).where(Agency.code == code)).one()
    return found


def _open_parts(session: Session, agency: Agency) -> list[Assignment]:
    return list(session.exec(
        select(Assignment)
        .where(Assignment.agency_id == agency.id, col(Assignment.status).in_(OPEN_WORK))
        .order_by(col(Assignment.id))
    ).all())  # fmt: skip


def _reroute(session: Session, step: _Step, part: Assignment) -> None:
    """One open part to the heirs: a heir whose task already has a part takes it into
    that part; the first other heir takes the row; further heirs (a split) get a copy.
    A part no heir took is closed as cancelled (with no heir at all, listed)."""
    if not step.heirs:
        note = f"{step.result.description}, không có cơ quan kế tục"
        close_part(session, part, Status.CANCELLED, step.actor, step.now, note)
        step.result.parts_cancelled.append(_part_label(session, part))
        return
    row_taken = False
    survivors: list[Assignment] = []
    for heir in step.heirs:
        held = session.exec(
            select(Assignment).where(Assignment.task_id == part.task_id,
                                     Assignment.agency_id == heir.id)
        ).first()  # fmt: skip
        if held is not None:
            _absorb(session, step, held, part, heir)
            survivors.append(held)
        elif not row_taken:
            _move(session, step, part, heir)
            row_taken = True
        else:
            _copy(session, step, part, heir)
    if not row_taken:
        _fold(session, step, part, survivors[0])


def _audit_move(session: Session, step: _Step, part: Assignment, heir: Agency) -> None:
    audit(session, part, step.actor, step.now, "agency", step.old.name, heir.name,
          step.notes.get(heir.id or 0, step.note))  # fmt: skip
    part.check_on = CHECK_NOW


def _move(session: Session, step: _Step, part: Assignment, heir: Agency) -> None:
    """The part's row goes to the heir, with its history and pending requests."""
    part.agency_id = heir.id  # type: ignore[assignment]
    _audit_move(session, step, part, heir)
    step.result.parts_moved += 1


def _copy(session: Session, step: _Step, part: Assignment, heir: Agency) -> None:
    """A split: one more heir gets its own part of the same task."""
    copy = Assignment(task_id=part.task_id, agency_id=heir.id, role=part.role, scope=part.scope,  # type: ignore[arg-type]
                      status=part.status, progress=part.progress, due_on=part.due_on,
                      extended_to=part.extended_to, created_at=step.now, updated_at=step.now)  # fmt: skip
    session.add(copy)
    session.flush()
    _audit_move(session, step, copy, heir)
    step.result.parts_moved += 1


def _absorb(
    session: Session, step: _Step, held: Assignment, part: Assignment, heir: Agency
) -> None:
    """The heir's own part of the task takes on the old part: it leads if either led,
    follows the later due date and extension, covers both scopes, and is open again if
    it had been cancelled. A done part stays as it is: the work is done."""
    if held.status != Status.DONE:
        _take_on(session, step, held, part)
    audit(session, held, step.actor, step.now, "agency", step.old.name, heir.name,
          f"nhận phần việc {code_of(part)}: {step.notes.get(heir.id or 0, step.note)}")  # fmt: skip
    held.check_on = CHECK_NOW
    step.result.parts_merged += 1


def _take_on(session: Session, step: _Step, held: Assignment, part: Assignment) -> None:
    """Role, dates, scope and status of the old part, onto the heir's open part."""
    if part.role == Role.LEAD and held.role != Role.LEAD:
        audit(session, held, step.actor, step.now, "role", held.role, Role.LEAD, step.note)
        held.role = Role.LEAD
    if part.due_on is not None and (held.due_on is None or part.due_on > held.due_on):
        audit(session, held, step.actor, step.now, "due_on", held.due_on, part.due_on, step.note)
        held.due_on = part.due_on
    if part.extended_to is not None and (
        held.extended_to is None or part.extended_to > held.extended_to
    ):
        held.extended_to = part.extended_to
    if part.scope and part.scope not in held.scope:
        held.scope = "; ".join(s for s in (held.scope, part.scope) if s)
    if held.status in NO_WORK:
        audit(session, held, step.actor, step.now, "status", held.status, Status.OPEN, step.note)
        held.status = Status.OPEN


def _fold(session: Session, step: _Step, part: Assignment, survivor: Assignment) -> None:
    """The old part ends in the heir's part: its pending requests move there (when that
    part is still open), then it is closed as cancelled."""
    if survivor.status in OPEN_WORK:
        pending = session.exec(
            select(ExtensionRequest).where(ExtensionRequest.assignment_id == part.id,
                                           ExtensionRequest.state == RequestState.PENDING)
        ).all()  # fmt: skip
        for request in pending:
            request.assignment_id = survivor.id  # type: ignore[assignment]
            session.add(request)
            audit(session, survivor, step.actor, step.now, "extension_request", survivor.due_on,
                  request.until, f"chuyển từ {code_of(part)}: {step.note}")  # fmt: skip
            step.result.requests_moved += 1
    session.flush()
    close_part(session, part, Status.MOVED, step.actor, step.now,
               f"gộp vào {code_of(survivor)}: {step.note}")  # fmt: skip


def _part_label(session: Session, part: Assignment) -> str:
    task = session.get(Task, part.task_id)
    plan = session.get(Plan, task.plan_id) if task else None
    return f"{code_of(part)} ({plan.number if plan else '?'}, mục {shown_key(task.key) if task else '?'})"


def _files(session: Session, step: _Step) -> None:
    """Open late files and unapproved apologies go to the first heir; without one they
    stay and are listed for an admin."""
    heir = step.heirs[0] if step.heirs else None
    files = session.exec(
        select(TthcFile).where(TthcFile.agency_id == step.old.id,
                               TthcFile.status == FileStatus.OPEN).order_by(col(TthcFile.id))
    ).all()  # fmt: skip
    apologies = session.exec(
        select(Apology).where(Apology.agency_id == step.old.id,
                              Apology.state != ApologyState.APPROVED).order_by(col(Apology.id))
    ).all()  # fmt: skip
    if heir is None:
        step.result.files_left = [f.code for f in files]
        step.result.files_left += [f"xin lỗi #{a.id}" for a in apologies]
        return
    for file in files:
        file.agency_id, file.check_on = heir.id, CHECK_NOW  # type: ignore[assignment]
        session.add(file)
    for apology in apologies:
        apology.agency_id = heir.id  # type: ignore[assignment]
        session.add(apology)
    step.result.files_moved = len(files) + len(apologies)


def _link_codes(session: Session, step: _Step) -> None:
    """Unused, unexpired link codes bind to the first heir; without one they expire."""
    codes = session.exec(
        select(LinkCode).where(LinkCode.agency_id == step.old.id, col(LinkCode.used_at).is_(None),
                               col(LinkCode.expires_at) > step.now)
    ).all()  # fmt: skip
    for code in codes:
        if step.heirs:
            code.agency_id = step.heirs[0].id
        else:
            code.expires_at = step.now
        session.add(code)
    step.result.codes_moved = len(codes) if step.heirs else 0


def _chats(session: Session, step: _Step) -> None:
    """The old agency's group and head chats: told where the work went, then bound to
    the first heir; with no heir, told and closed (the last message still goes out)."""
    chats = session.exec(
        select(Chat).where(Chat.agency_id == step.old.id, col(Chat.active),
                           col(Chat.role).in_([ChatRole.GROUP, ChatRole.HEAD])).order_by(col(Chat.id))
    ).all()  # fmt: skip
    r = step.result
    for chat in chats:
        kind = ChangeKind(step.change.kind)
        text = answer("agency_changed", r=r, old=step.old.name, role=chat.role, label=kind.label,
                      dissolved=kind is ChangeKind.DISSOLVED, act=step.change.act)  # fmt: skip
        enqueue(session, key=f"agency-change:{step.change.id}:{chat.id}", chat=chat,
                kind="notice" if step.heirs else FAREWELL, parts=[text], now=step.now)  # fmt: skip
        if step.heirs:
            chat.agency_id = step.heirs[0].id
            session.add(chat)
            r.chats_rebound += 1
        else:
            deactivate_chat(session, chat, step.now, reason=r.description, tell_admins=False)
            r.chats_closed += 1
