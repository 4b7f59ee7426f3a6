"""``plan(session, now)``: turn what is due into outbox rows, and nothing else.

Each notice (a part, a stage of its ladder, a period, a chat) has a unique key; the
planner inserts the ones not yet there, and groups those for one chat at one tick into
one message. It runs in the caller's transaction: a crash before the commit leaves
nothing behind, and the next tick plans the same notices again. Its cost follows what
is due: it reads only the parts whose ``check_on`` day has come (an indexed column),
and moves ``check_on`` to the day the next stage can fire.

One bad part (a deadline whose arithmetic overflows, a record that cannot be read) or
one failing section (a digest, the files' warnings) must not stop the rest: it is
logged, the admins are told once, the part is looked at again the next day, and the
tick goes on.
"""

from __future__ import annotations

import hashlib
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import or_
from sqlmodel import Session, col, select

from bot.config import Settings
from bot.domain.calendar import WorkCalendar
from bot.domain.deadlines import DueDate, Recurring, Unspecified, from_record
from bot.domain.policy import Audience, Item, Notice, decide
from bot.domain.verbs import DONE, EXTEND, PROGRESS, button
from bot.models import (
    Agency,
    Assignment,
    Chat,
    ChatRole,
    Outbox,
    Plan,
    Role,
    Status,
    Task,
)
from bot.models import (
    Notice as NoticeRow,
)
from bot.render import answer, blocks, split_message
from bot.scheduler.files_planner import plan_files
from bot.scheduler.notices import existing_keys
from bot.services.actions import alert_admins
from bot.services.outbox import enqueue, queued

NEVER = date(9999, 12, 31)
log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass
class PlannedMessage:
    chat: Chat
    kind: str
    parts: list[str]
    notices: list[dict[str, Any]] = field(default_factory=list)  # what the message covers


@dataclass
class PlanResult:
    checked: int = 0  # parts looked at
    messages: list[PlannedMessage] = field(default_factory=list)
    file_notices: list[dict[str, Any]] = field(default_factory=list)  # late-file warnings

    def count_by_stage(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for message in self.messages:
            for n in message.notices:
                counts[n["stage"]] += 1
        return dict(counts)


@dataclass(frozen=True)
class _Due:
    assignment: Assignment
    task: Task
    plan: Plan
    agency: Agency
    notice: Notice


def plan(session: Session, now: datetime, *, settings: Settings, cal: WorkCalendar) -> PlanResult:
    result = PlanResult()
    if not cal.in_window(now):
        return result  # quiet hours, weekends, holidays: the next window will do it
    today = cal.local(now).date()
    due: list[_Due] = []
    rows = session.exec(
        select(Assignment, Task, Plan, Agency)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(Assignment.status == Status.OPEN, col(Assignment.check_on) <= today)
    ).all()
    for assignment, task, plan_row, agency in rows:
        result.checked += 1
        try:
            item = Item(
                deadline=from_record(task.deadline_kind, task.deadline_detail),
                due=assignment.due_on,
                lead=assignment.role == Role.LEAD,
                last_report_period=assignment.last_report_period,
                starts_on=plan_row.issued_on,
            )
            decision = decide(item, today, cal, settings.ladder)
            found = [_Due(assignment, task, plan_row, agency, n) for n in decision.notices]
            for d in found:
                _view(d, None)  # what the message will show can be built, too
        except Exception as exc:  # isolate the part, whatever it is
            _part_failed(session, assignment, task, plan_row, agency, exc, today, now)
            continue
        assignment.check_on = decision.next_check or NEVER
        session.add(assignment)
        due.extend(found)

    targets = _route(session, due)
    keys = [f"{d.assignment.id}:{d.notice.key}:{chat.id}" for d, chats in targets for chat in chats]
    existing = existing_keys(session, keys)
    per_chat: dict[int, tuple[Chat, list[tuple[str, _Due]]]] = {}
    for d, chats in targets:
        for chat in chats:
            key = f"{d.assignment.id}:{d.notice.key}:{chat.id}"
            if key in existing:
                continue
            existing.add(key)
            assert chat.id is not None
            per_chat.setdefault(chat.id, (chat, []))[1].append((key, d))

    for chat, items in per_chat.values():
        result.messages.append(_reminder(session, chat, items, now, cal))
    result.messages.extend(
        _isolated(session, now, "danh sách việc chưa có hạn", list,
                  lambda: _unspecified_list(session, now, today, settings, cal))
    )  # fmt: skip
    result.messages.extend(_head_digests(session, now, settings, cal))
    result.file_notices = _isolated(
        session, now, "cảnh báo hồ sơ TTHC", list,
        lambda: plan_files(session, now, settings=settings.files, cal=cal,
                           legal_basis=settings.apology.legal_basis),
    )  # fmt: skip
    session.flush()
    return result


def _part_failed(
    session: Session, assignment: Assignment, task: Task, plan_row: Plan, agency: Agency,
    exc: Exception, today: date, now: datetime,
) -> None:  # fmt: skip
    """Log a part the planner cannot handle, tell the admins once, look again tomorrow."""
    log.exception("planner: part %s failed", assignment.id)
    assignment.check_on = today + timedelta(days=1)
    session.add(assignment)
    text = answer("part_failed", code=f"NV{assignment.id}", plan=plan_row.number,
                  task_key=task.key, agency=agency.name, reason=f"{exc.__class__.__name__}: {exc}")  # fmt: skip
    alert_admins(session, f"plan-part:{assignment.id}", text, now)


def _isolated(
    session: Session, now: datetime, what: str, empty: Callable[[], T], step: Callable[[], T]
) -> T:
    """Run one section of the tick in a savepoint; if it fails, undo what it wrote, log
    it, tell the admins once a day, and go on without it."""
    try:
        with session.begin_nested():
            return step()
    except Exception as exc:  # isolate the section, whatever it is
        log.exception("planner: %s failed", what)
        text = answer("step_failed", what=what, reason=f"{exc.__class__.__name__}: {exc}")
        alert_admins(session, f"plan-step:{what}:{now:%Y%m%d}", text, now)
        return empty()


def _route(session: Session, due: Sequence[_Due]) -> list[tuple[_Due, list[Chat]]]:
    """The chats each notice goes to: the agency's group and head, coordinators, admins."""
    if not due:
        return []
    agency_ids = {d.agency.id for d in due}
    chats = session.exec(
        select(Chat).where(
            Chat.active == True,  # noqa: E712 - SQL, not Python truth
            or_(
                col(Chat.agency_id).in_(agency_ids),
                col(Chat.role).in_([ChatRole.COORDINATOR, ChatRole.ADMIN]),
            ),
        )
    ).all()
    by_agency_role: dict[tuple[int | None, str], list[Chat]] = defaultdict(list)
    for chat in chats:
        key_agency = chat.agency_id if chat.role in (ChatRole.GROUP, ChatRole.HEAD) else None
        by_agency_role[(key_agency, chat.role)].append(chat)
    routed = []
    for d in due:
        targets: dict[int | None, Chat] = {}
        for audience in sorted(d.notice.stage.audience):
            if audience in (Audience.GROUP, Audience.HEAD):
                found = by_agency_role[(d.agency.id, audience.value)]
            else:
                found = by_agency_role[(None, audience.value)]
            targets.update({c.id: c for c in found})
        routed.append((d, list(targets.values())))
    return routed


def _reminder(
    session: Session, chat: Chat, items: list[tuple[str, _Due]], now: datetime, cal: WorkCalendar
) -> PlannedMessage:
    today = cal.local(now).date()
    items.sort(key=lambda kd: (-kd[1].notice.working_days, kd[1].plan.number, kd[1].task.position))
    views = [_view(d, chat) for _, d in items]
    agency = items[0][1].agency.name if chat.role in (ChatRole.GROUP, ChatRole.HEAD) else ""
    header = {"chat_role": chat.role, "agency": agency, "today": today, "count": len(views)}
    parts = split_message(blocks("reminders.html.j2", header, views))
    outbox = _outbox(session, chat, "reminder", parts, [k for k, _ in items], now)
    outbox.buttons = _buttons(chat, items)
    for key, d in items:
        session.add(
            NoticeRow(
                key=key,
                assignment_id=d.assignment.id,
                chat_id=chat.id,  # type: ignore[arg-type]
                stage=d.notice.stage.name,
                period=d.notice.period,
                outbox_id=outbox.id,  # type: ignore[arg-type]
                created_at=now,
            )
        )
    return PlannedMessage(chat, "reminder", parts, views)


_MAX_BUTTON_ROWS = 8  # more tasks than this: the message says which commands to type


def _buttons(chat: Chat, items: list[tuple[str, _Due]]) -> list[list[list[str]]]:
    """✅ 📝 ⏳ for each task of a group's reminder."""
    if chat.role != ChatRole.GROUP:
        return []
    ids = list(dict.fromkeys(d.assignment.id for _, d in items if d.assignment.role == Role.LEAD))
    if not ids or len(ids) > _MAX_BUTTON_ROWS:
        return []

    def label(i: int | None) -> str:
        return f" {DONE.code(i)}" if len(ids) > 1 else ""

    return [[list(button(verb, i, label(i))) for verb in (DONE, PROGRESS, EXTEND)] for i in ids]


def _view(d: _Due, chat: Chat | None) -> dict[str, Any]:
    deadline = from_record(d.task.deadline_kind, d.task.deadline_detail)
    audience = d.notice.stage.audience
    escalated = (
        "all" if Audience.COORDINATOR in audience else "head" if Audience.HEAD in audience else ""
    )
    return {
        "code": f"NV{d.assignment.id}",
        "assignment_id": d.assignment.id,
        "stage": d.notice.stage.name,
        "period": d.notice.period,
        "period_label": _period_label(d.notice.period) if isinstance(deadline, Recurring) else "",
        "working_days": d.notice.working_days,
        "escalated_to": escalated,
        "due": d.notice.due,
        # Why this date, while it is still the plan's own (not an extension or a period).
        "reading": deadline.reading
        if isinstance(deadline, DueDate)
        and d.notice.due == deadline.on
        and not d.assignment.extended_to
        else "",
        "plan": d.plan.number,
        "plan_date": d.plan.issued_on,
        "task_key": d.task.key,
        "task": d.task.text,
        "result": d.task.result or d.task.target,
        "scope": d.assignment.scope,
        "agency": d.agency.name,
        "role_label": Role(d.assignment.role).label.lower(),
        "chat_role": chat.role if chat else "",
    }


def _period_label(period: str) -> str:
    year, _, part = period.partition("-")
    if part.startswith("Q"):
        return f"quý {('I', 'II', 'III', 'IV')[int(part[1]) - 1]}/{year}"
    if part.startswith("H"):
        return f"6 tháng {'đầu' if part == 'H1' else 'cuối'} năm {year}"
    if part:
        return f"tháng {int(part)}/{year}"
    return f"năm {year}"


def _outbox(
    session: Session, chat: Chat, kind: str, parts: list[str], keys: Iterable[str], now: datetime
) -> Outbox:
    digest = hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()[:20]
    outbox = enqueue(session, key=f"{kind}:{chat.id}:{digest}", chat=chat, kind=kind, parts=parts,
                     now=now)  # fmt: skip
    assert outbox is not None  # its notices are new: so is the digest of their keys
    return outbox


def _unspecified_list(
    session: Session, now: datetime, today: date, settings: Settings, cal: WorkCalendar
) -> list[PlannedMessage]:
    local = cal.local(now)
    if local.weekday() != settings.unspecified.weekday or local.time() < settings.unspecified.at:
        return []
    year, week, _ = today.isocalendar()
    admins = session.exec(
        select(Chat).where(Chat.role == ChatRole.ADMIN, Chat.active == True)  # noqa: E712
    ).all()
    todo = [a for a in admins if not queued(session, f"unspecified:{year}-W{week:02d}:{a.id}")]
    if not todo:
        return []
    rows = session.exec(
        select(Task, Plan, Agency, Assignment.id)
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .join(Assignment, col(Assignment.task_id) == col(Task.id))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(
            Task.deadline_kind == Unspecified.kind,
            Assignment.status == Status.OPEN,
            Assignment.role == Role.LEAD,
        )
        .order_by(col(Plan.number), col(Task.position))
    ).all()
    tasks: dict[int | None, dict[str, Any]] = {}
    for task, plan_row, agency, part_id in rows:
        reason = from_record(task.deadline_kind, task.deadline_detail)
        entry = tasks.setdefault(
            task.id,
            {"plan": plan_row.number, "task_key": task.key, "task": task.text,
             "deadline_text": task.deadline_text or "(trống)", "leads": [],
             "code": f"NV{part_id}",
             "reason": reason.reason if isinstance(reason, Unspecified) else ""},
        )  # fmt: skip
        entry["leads"].append(agency.name)
    if not tasks:
        return []
    views = [{**t, "leads": ", ".join(t["leads"])} for t in tasks.values()]
    header = {"today": today, "count": len(views)}
    parts = split_message(blocks("unspecified.html.j2", header, views))
    messages = []
    for admin in todo:
        enqueue(session, key=f"unspecified:{year}-W{week:02d}:{admin.id}", chat=admin,
                kind="unspecified", parts=parts, now=now)  # fmt: skip
        messages.append(PlannedMessage(admin, "unspecified", parts, [{"stage": "unspecified"}]))
    return messages


def _head_digests(
    session: Session, now: datetime, settings: Settings, cal: WorkCalendar
) -> list[PlannedMessage]:
    """Once a week (Monday 08:00 by default): each bound head gets the agency's digest, each
    coordinator chat the province's."""
    from bot.reports.digest import (
        coordinator_chart,
        coordinator_digest,
        head_chart_rows,
        head_digest,
        render_coordinator_digest,
        render_head_digest,
    )

    local = cal.local(now)
    if local.weekday() != settings.digest.weekday or local.time() < settings.digest.at:
        return []
    year, week, _ = local.date().isocalendar()
    planned = []
    heads = session.exec(select(Chat).where(Chat.role == ChatRole.HEAD, col(Chat.active))).all()
    for head in heads:
        key = f"digest:{year}-W{week:02d}:{head.id}"
        agency = session.get(Agency, head.agency_id) if head.agency_id else None
        if agency is None or queued(session, key):
            continue

        def build(agency: Agency = agency) -> tuple[list[str], dict[str, Any]] | None:
            digest = head_digest(session, agency, now, cal)
            return render_head_digest(digest), _chart(
                f"{agency.code}-{local:%Y%m%d}.png",
                f"{agency.name} – tuần đến {local:%d/%m/%Y}", head_chart_rows(digest))  # fmt: skip

        built = _isolated(session, now, f"báo cáo tuần của {agency.name}", lambda: None, build)
        if built is None:
            continue
        parts, chart = built
        enqueue(session, key=key, chat=head, kind="digest", parts=parts, now=now, attachment=chart)
        planned.append(PlannedMessage(head, "digest", parts, [{"stage": "digest"}]))
    coordinators = session.exec(
        select(Chat).where(Chat.role == ChatRole.COORDINATOR, col(Chat.active))
    ).all()
    province: tuple[list[str], dict[str, Any]] | None = (
        None  # built once, for every coordinator chat
    )
    for chat in coordinators:
        key = f"digest:{year}-W{week:02d}:{chat.id}"
        if queued(session, key):
            continue
        if province is None:

            def build_province() -> tuple[list[str], dict[str, Any]] | None:
                digest = coordinator_digest(session, now, cal)
                return (render_coordinator_digest(digest),
                        _chart(f"tong-hop-{local:%Y%m%d}.png", *coordinator_chart(digest)))  # fmt: skip

            province = _isolated(
                session, now, "báo cáo tuần toàn tỉnh", lambda: None, build_province
            )
            if province is None:
                break
        enqueue(session, key=key, chat=chat, kind="digest", parts=province[0], now=now,
                attachment=province[1])  # fmt: skip
        planned.append(PlannedMessage(chat, "digest", province[0], [{"stage": "digest"}]))
    return planned


def _chart(filename: str, title: str, rows: list[tuple[str, dict[str, int]]]) -> dict[str, Any]:
    """A chart attachment holding its figures: drawn when sent, the same numbers as the text."""
    return {
        "kind": "chart",
        "filename": filename,
        "title": title,
        "rows": [[n, c] for n, c in rows],
    }
