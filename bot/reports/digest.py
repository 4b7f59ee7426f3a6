"""The head's weekly digest: one message a week about the agency, instead of every reminder.

Done this week (on time or late), due in the next two weeks, overdue (working days late,
whether a reason was given), pending extension requests, groups that did not answer
reminders, and the agency's administrative files (due soon, late, letters issued, late
with no letter). Each item names the plan and the task.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select

from bot.domain.calendar import WorkCalendar
from bot.domain.collation import vietnamese_key
from bot.models import (
    Agency,
    Apology,
    ApologyState,
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    FileStatus,
    Notice,
    Plan,
    RequestState,
    Role,
    Status,
    StatusUpdate,
    Task,
    TthcFile,
)
from bot.render import blocks, environment, split_message
from bot.services.channel_usage import Usage
from bot.services.register import parts_in_full

_LIMIT = 15  # items per section: a head reads one screen, the rest is "…và N việc khác"
_ANSWERS = ("status", "progress", "note", "extension_request")


def head_digest(
    session: Session, agency: Agency, now: datetime, cal: WorkCalendar
) -> dict[str, Any]:
    today = cal.local(now).date()
    monday = today - timedelta(days=7)  # "this week": the seven days before the digest
    parts = session.exec(
        select(Assignment, Task, Plan)
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .where(Assignment.agency_id == agency.id, Assignment.role == Role.LEAD)
    ).all()
    ids = [a.id for a, _, _ in parts]
    updates = session.exec(
        select(StatusUpdate).where(col(StatusUpdate.assignment_id).in_(ids))
    ).all()
    done_at = {
        u.assignment_id: cal.local(u.at).date()
        for u in updates
        if u.field == "status" and u.new == Status.DONE
    }
    answered_after: dict[int, date] = {}
    for u in updates:
        if u.field in _ANSWERS and not u.actor.startswith("import:"):
            day = cal.local(u.at).date()
            answered_after[u.assignment_id] = max(day, answered_after.get(u.assignment_id, day))

    def item(part: Assignment, task: Task, plan: Plan, **extra: Any) -> dict[str, Any]:
        return {"code": f"NV{part.id}", "plan": plan.number, "task_key": task.key, "task": task.text,
                "due": part.due_on, **extra}  # fmt: skip

    done, soon, overdue = [], [], []
    for part, task, plan in parts:
        finished = done_at.get(part.id)  # type: ignore[arg-type]
        if part.status == Status.DONE and finished and monday < finished <= today:
            done.append(item(part, task, plan, late=bool(part.due_on and finished > part.due_on)))
        if part.status != Status.OPEN or part.due_on is None:
            continue
        if today < part.due_on <= today + timedelta(days=14):
            soon.append(
                item(
                    part,
                    task,
                    plan,
                    left=cal.working_days_between(today, cal.on_or_after(part.due_on)),
                )
            )
        elif part.due_on < today:
            reason = answered_after.get(part.id, date.min) >= part.due_on  # type: ignore[arg-type]
            late = cal.working_days_between(cal.on_or_after(part.due_on), today)
            if late > 0:
                overdue.append(item(part, task, plan, late=late, reason=reason))
    overdue.sort(key=lambda x: -x["late"])
    soon.sort(key=lambda x: x["due"])
    pending = session.exec(
        select(ExtensionRequest, Assignment)
        .join(Assignment, col(ExtensionRequest.assignment_id) == col(Assignment.id))
        .where(Assignment.agency_id == agency.id, ExtensionRequest.state == RequestState.PENDING)
    ).all()
    return {
        "agency": agency.name, "today": today, "monday": monday,
        "done": done[:_LIMIT], "done_count": len(done),
        "soon": soon[:_LIMIT], "soon_count": len(soon),
        "overdue": overdue[:_LIMIT], "overdue_count": len(overdue),
        "no_reason": sum(1 for x in overdue if not x["reason"]),
        "extensions": [{"code": f"NV{a.id}", "until": r.until, "reason": r.reason, "id": r.id} for r, a in pending],
        "silent": _silent_groups(session, agency, today, cal),
        "files": _files(session, agency, today, monday, cal),
    }  # fmt: skip


def _silent_groups(session: Session, agency: Agency, today: date, cal: WorkCalendar) -> list[str]:
    """Groups reminded in the last two weeks that wrote nothing back since."""
    since = datetime.combine(today - timedelta(days=14), datetime.min.time(), cal.tz)
    silent = []
    for chat in session.exec(select(Chat).where(Chat.agency_id == agency.id, Chat.role == ChatRole.GROUP,
                                                col(Chat.active))):  # fmt: skip
        reminded = session.exec(
            select(Notice.id).where(Notice.chat_id == chat.id, col(Notice.created_at) >= since)
        ).first()
        answered = session.exec(
            select(StatusUpdate.id).where(
                StatusUpdate.chat_id == chat.chat_key, col(StatusUpdate.at) >= since
            )
        ).first()
        if reminded is not None and answered is None:
            silent.append(chat.title or chat.chat_key)
    return silent


def _files(
    session: Session, agency: Agency, today: date, monday: date, cal: WorkCalendar
) -> dict[str, int]:
    files = session.exec(
        select(TthcFile).where(TthcFile.agency_id == agency.id, TthcFile.status == FileStatus.OPEN)
    ).all()
    letters = session.exec(
        select(Apology).where(
            Apology.agency_id == agency.id, Apology.state == ApologyState.APPROVED
        )
    ).all()
    with_letter = {a.file_id for a in letters}
    due_soon = sum(
        1 for f in files if 0 <= cal.working_days_between(today, cal.on_or_after(f.due_on)) <= 3
    )
    late = [f for f in files if cal.on_or_after(f.due_on) < today]
    issued = sum(
        1 for a in letters if a.approved_at and monday <= cal.local(a.approved_at).date() <= today
    )
    return {"due_soon": due_soon, "late": len(late), "issued": issued,
            "late_no_letter": sum(1 for f in late if f.id not in with_letter)}  # fmt: skip


def render_head_digest(digest: dict[str, Any], *, short: bool = False) -> list[str]:
    """The head's digest as messages; ``short``: one message, a line per section (Zalo,
    where every message counts against the monthly quota)."""
    return _render("digest_head.html.j2", digest, short)


def coordinator_digest(
    session: Session, now: datetime, cal: WorkCalendar, *, channels: Sequence[Usage] = ()
) -> dict[str, Any]:
    """The province-wide view: who completes on time, the worst overdue items, agencies the
    bot cannot reach or that do not answer, deadlines without a date, apology compliance;
    and the messages each channel carried this month (``channels``:
    ``bot.services.channel_usage.usages``)."""
    from bot.reports.apologies import records

    today = cal.local(now).date()
    rows = session.exec(
        parts_in_full().where(
            Assignment.role == Role.LEAD, col(Assignment.status).in_([Status.OPEN, Status.DONE])
        )
    ).all()
    done_at = {
        u.assignment_id: cal.local(u.at).date()
        for u in session.exec(
            select(StatusUpdate).where(
                StatusUpdate.field == "status", StatusUpdate.new == Status.DONE
            )
        )
    }
    score: dict[str, list[int]] = {}  # agency → [done on time, done late, overdue and open]
    worst: list[dict[str, Any]] = []
    open_by_agency: dict[int, str] = {}
    unspecified = set()
    for part, task, plan, agency in rows:
        counts = score.setdefault(agency.name, [0, 0, 0])
        if part.status == Status.OPEN:
            open_by_agency[agency.id] = agency.name  # type: ignore[index]
            if task.deadline_kind == "unspecified":
                unspecified.add(task.id)
        if part.due_on is None:
            continue
        finished = done_at.get(part.id)  # type: ignore[arg-type]
        if part.status == Status.DONE and finished is not None:
            counts[0 if finished <= part.due_on else 1] += 1
        elif part.due_on < today:
            counts[2] += 1
            late = cal.working_days_between(cal.on_or_after(part.due_on), today)
            worst.append({"agency": agency.name, "plan": plan.number, "task_key": task.key, "task": task.text,
                          "code": f"NV{part.id}", "late": late})  # fmt: skip
    ranking: list[dict[str, Any]] = sorted(
        ({"agency": name, "on_time": c[0], "late": c[1], "overdue": c[2], "not": c[1] + c[2],
          "rate": c[0] / sum(c)} for name, c in score.items() if sum(c)),
        key=lambda r: (-float(r["rate"]), vietnamese_key(str(r["agency"]))),
    )  # fmt: skip
    bound = {
        c.agency_id
        for c in session.exec(select(Chat).where(Chat.role == ChatRole.GROUP, col(Chat.active)))
    }
    unbound = sorted(name for agency_id, name in open_by_agency.items() if agency_id not in bound)
    silent = sorted(
        name for agency_id, name in open_by_agency.items()
        if agency_id in bound and _silent_groups(session, session.get(Agency, agency_id), today, cal)  # type: ignore[arg-type]
    )  # fmt: skip
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    files = [r for r in records(session, quarter - timedelta(days=90), today, today, cal) if r.late]
    return {
        "today": today, "ranking": ranking[:_LIMIT], "ranking_count": len(ranking),
        "chart": _chart_rows(ranking),
        "bottom": ranking[-5:] if len(ranking) > _LIMIT else [],
        "worst": sorted(worst, key=lambda x: -int(x["late"]))[:10], "overdue_count": len(worst),
        "unbound": unbound, "silent": silent, "unspecified": len(unspecified),
        "files": [{"agency": r.agency, "late": r.late, "timely": r.timely_letter, "after": r.late_letter,
                   "none": r.no_letter} for r in files],
        "channels": list(channels),
    }  # fmt: skip


def render_coordinator_digest(digest: dict[str, Any], *, short: bool = False) -> list[str]:
    """The coordinator's digest as messages; ``short`` as for :func:`render_head_digest`."""
    return _render("digest_coordinator.html.j2", digest, short)


def _render(template: str, digest: dict[str, Any], short: bool) -> list[str]:
    if short:
        module = environment().get_template(template).module
        return split_message([str(module.short(digest)).strip()])  # type: ignore[attr-defined]
    return split_message(blocks(template, {"d": digest}, []))


def head_chart_rows(digest: dict[str, Any]) -> list[tuple[str, dict[str, int]]]:
    """One bar for the agency: done on time, done late (this week), due soon, overdue."""
    late = sum(1 for x in digest["done"] if x["late"])
    return [(digest["agency"], {"on_time": digest["done_count"] - late, "late": late,
                                "soon": digest["soon_count"], "overdue": digest["overdue_count"]})]  # fmt: skip


_CHART_LIMIT = 15  # bars a phone shows legibly


def _chart_rows(ranking: list[dict[str, Any]]) -> dict[str, Any]:
    """The agencies the coordinator most needs to see (most overdue, then most done late),
    and the names of those left out."""
    worst = sorted(ranking, key=lambda r: (-r["overdue"], -r["late"], vietnamese_key(r["agency"])))
    return {
        "rows": [[r["agency"], {"on_time": r["on_time"], "late": r["late"], "overdue": r["overdue"]}]
                 for r in worst[:_CHART_LIMIT]],
        "left_out": [r["agency"] for r in worst[_CHART_LIMIT:]],
    }  # fmt: skip


def left_out_note(names: Sequence[str], room: int = 150) -> str:
    """ "và 12 cơ quan khác: A, B, C…", the names as far as a line holds them."""
    ordered = sorted(names, key=vietnamese_key)
    text = f"và {len(ordered)} cơ quan khác: "
    listed = ", ".join(ordered)
    return text + (
        listed if len(text) + len(listed) <= room else listed[: room - len(text) - 1] + "…"
    )


def coordinator_chart(digest: dict[str, Any]) -> tuple[str, list[tuple[str, dict[str, int]]]]:
    """The chart's title and bars: counts of lead parts per agency, by outcome."""
    chart = digest["chart"]
    title = (
        f"Phần việc chủ trì theo cơ quan: đúng hạn, trễ hạn, quá hạn – {digest['today']:%d/%m/%Y}"
    )
    if chart["left_out"]:
        title += (f"\n{len(chart['rows'])} cơ quan nhiều việc quá hạn nhất; "
                  f"{left_out_note(chart['left_out'])}")  # fmt: skip
    return title, [(name, counts) for name, counts in chart["rows"]]
