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

import sqlalchemy as sa
from sqlalchemy import Subquery, func
from sqlalchemy.engine import Dialect
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.db import among, count_if, local_day
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
    shown_key,
)
from bot.render import blocks, environment, split_message
from bot.services.channel_usage import Usage
from bot.services.files import due_window

_WORST = 10  # the longest overdue parts the coordinator's digest names
_LIMIT = 15  # items per section: a head reads one screen, the rest is "…và N việc khác"
_ANSWERS = ("status", "progress", "note", "extension_request")


def head_digest(
    session: Session, agency: Agency, now: datetime, cal: WorkCalendar
) -> dict[str, Any]:
    """One agency's digest at ``now`` (``/baocao``); :func:`head_digests` for many."""
    return head_digests(session, [agency], now, cal)[agency.id]  # type: ignore[index]


def head_digests(
    session: Session, agencies: Sequence[Agency], now: datetime, cal: WorkCalendar
) -> dict[int, dict[str, Any]]:
    """Each agency's digest at ``now``, by agency id, from a few queries over all of them
    (their lead parts, the audit rows that matter, extension requests, silent groups,
    files and letters), whatever their number: the Monday step builds a thousand."""
    today = cal.local(now).date()
    monday = today - timedelta(days=7)  # "this week": the seven days before the digest
    ids = [a.id for a in agencies if a.id is not None]
    parts = session.execute(  # plain rows: no model built for each of thousands of parts
        sa.select(col(Assignment.id), col(Assignment.agency_id), col(Assignment.status),
                  col(Assignment.due_on), col(Task.key), col(Task.text), col(Plan.number))
        .join(Task, col(Assignment.task_id) == col(Task.id))
        .join(Plan, col(Task.plan_id) == col(Plan.id))
        .where(among(col(Assignment.agency_id), ids), col(Assignment.role) == Role.LEAD)
    ).all()  # fmt: skip
    lead = select(Assignment.id).where(
        among(col(Assignment.agency_id), ids), Assignment.role == Role.LEAD
    )
    done_at = _done_on(session, cal, lead)
    answered_after = {
        part: cal.local(at).date()
        for part, at in session.exec(
            select(StatusUpdate.assignment_id, func.max(StatusUpdate.at))
            .where(col(StatusUpdate.assignment_id).in_(lead), col(StatusUpdate.field).in_(_ANSWERS),
                   ~col(StatusUpdate.actor).startswith("import:"))
            .group_by(col(StatusUpdate.assignment_id))
        )
    }  # fmt: skip
    pending: dict[int, list[dict[str, Any]]] = {}
    for request, agency_id in session.exec(
        select(ExtensionRequest, Assignment.agency_id)
        .join(Assignment, col(ExtensionRequest.assignment_id) == col(Assignment.id))
        .where(
            among(col(Assignment.agency_id), ids), ExtensionRequest.state == RequestState.PENDING
        )
        .order_by(col(ExtensionRequest.id))
    ):
        pending.setdefault(agency_id, []).append({"code": f"NV{request.assignment_id}", "until": request.until,
                                                  "reason": request.reason, "id": request.id})  # fmt: skip
    silent = _silent_groups(session, today, cal, ids)
    files = _files(session, today, monday, cal, ids)

    week: dict[int, dict[str, list[dict[str, Any]]]] = {
        i: {"done": [], "soon": [], "overdue": []} for i in ids
    }
    for part_id, agency_id, status, due_on, key, text, number in parts:
        if agency_id not in week:  # many agencies asked for: every one's parts were read
            continue
        item = {
            "code": f"NV{part_id}",
            "plan": number,
            "task_key": shown_key(key),
            "task": text,
            "due": due_on,
        }
        finished = done_at.get(part_id)
        if status == Status.DONE and finished and monday < finished <= today:
            week[agency_id]["done"].append({**item, "late": bool(due_on and finished > due_on)})
        if status != Status.OPEN or due_on is None:
            continue
        if today < due_on <= today + timedelta(days=14):
            left = cal.working_days_between(today, cal.on_or_after(due_on))
            week[agency_id]["soon"].append({**item, "left": left})
        elif due_on < today:
            late = cal.working_days_between(cal.on_or_after(due_on), today)
            reason = answered_after.get(part_id, date.min) >= due_on
            if late > 0:
                week[agency_id]["overdue"].append({**item, "late": late, "reason": reason})
    digests = {}
    for agency in agencies:
        lists = week[agency.id]  # type: ignore[index]
        done, soon, overdue = lists["done"], lists["soon"], lists["overdue"]
        overdue.sort(key=lambda x: -x["late"])
        soon.sort(key=lambda x: x["due"])
        digests[agency.id] = {
            "agency": agency.name, "today": today, "monday": monday,
            "done": done[:_LIMIT], "done_count": len(done),
            "soon": soon[:_LIMIT], "soon_count": len(soon),
            "overdue": overdue[:_LIMIT], "overdue_count": len(overdue),
            "no_reason": sum(1 for x in overdue if not x["reason"]),
            "extensions": pending.get(agency.id, []),  # type: ignore[arg-type]
            "silent": silent.get(agency.id, []),  # type: ignore[arg-type]
            "files": files.get(agency.id, _NO_FILES),  # type: ignore[arg-type]
        }  # fmt: skip
    return digests  # type: ignore[return-value]


def _done_on(session: Session, cal: WorkCalendar, parts: SelectOfScalar[Any]) -> dict[int, date]:
    """The day (Vietnam) each of ``parts`` (a query of part ids) was last marked done."""
    return {
        part: cal.local(at).date()
        for part, at in session.exec(
            select(StatusUpdate.assignment_id, func.max(StatusUpdate.at))
            .where(col(StatusUpdate.assignment_id).in_(parts), StatusUpdate.field == "status",
                   StatusUpdate.new == Status.DONE)
            .group_by(col(StatusUpdate.assignment_id))
        )
    }  # fmt: skip


def _last_done(dialect: Dialect, cal: WorkCalendar) -> Subquery:
    """Each part's last day (Vietnam) marked done, as a subquery: ``part``, ``day``."""
    return (
        sa.select(col(StatusUpdate.assignment_id).label("part"),
                  local_day(dialect, func.max(StatusUpdate.at), cal.tz).label("day"))
        .where(col(StatusUpdate.field) == "status", col(StatusUpdate.new) == Status.DONE)
        .group_by(col(StatusUpdate.assignment_id))
        .subquery()
    )  # fmt: skip


_NO_FILES = {"due_soon": 0, "late": 0, "issued": 0, "late_no_letter": 0}


def _silent_groups(
    session: Session, today: date, cal: WorkCalendar, agency_ids: Sequence[int]
) -> dict[int, list[str]]:
    """Per agency, its groups reminded in the last two weeks that wrote nothing back since."""
    since = datetime.combine(today - timedelta(days=14), datetime.min.time(), cal.tz)
    groups = session.exec(
        select(Chat).where(among(col(Chat.agency_id), agency_ids), Chat.role == ChatRole.GROUP,
                           col(Chat.active))
    ).all()  # fmt: skip
    reminded = set(
        session.exec(select(Notice.chat_id).where(col(Notice.created_at) >= since).distinct())
    )
    answered = set(
        session.exec(select(StatusUpdate.chat_id).where(col(StatusUpdate.at) >= since).distinct())
    )
    silent: dict[int, list[str]] = {}
    for chat in groups:
        if chat.id in reminded and chat.chat_key not in answered:
            silent.setdefault(chat.agency_id, []).append(chat.title or chat.chat_key)  # type: ignore[arg-type]
    return silent


def _files(
    session: Session, today: date, monday: date, cal: WorkCalendar, agency_ids: Sequence[int]
) -> dict[int, dict[str, int]]:
    """Per agency, its open files due within three working days, late, and late without
    an approved letter; and the letters approved this week: two aggregate queries, a row
    per agency, whatever the number of files (the calendar turns the rules into ranges of
    appointment days first). An appointment on a day off falls on the next working day
    (Bộ luật Dân sự 2015, Article 148): a file is late once that day is before today."""
    first, last = due_window(cal, today, 0, 3)  # 0 to 3 working days left
    late_until = cal.add_working_days(today, -1)  # the last working day before today
    due = col(TthcFile.due_on)
    soon, late = (due >= first) & (due <= last), due <= late_until
    lettered = (
        sa.select(col(Apology.id))
        .where(
            col(Apology.file_id) == col(TthcFile.id), col(Apology.state) == ApologyState.APPROVED
        )
        .exists()
    )
    counts: dict[int, dict[str, int]] = {}
    for agency_id, due_soon, late_count, late_no_letter in session.execute(
        sa.select(col(TthcFile.agency_id), count_if(soon), count_if(late), count_if(late & ~lettered))
        .where(among(col(TthcFile.agency_id), agency_ids), col(TthcFile.status) == FileStatus.OPEN,
               due <= max(last, late_until))
        .group_by(col(TthcFile.agency_id))
    ):  # fmt: skip
        counts[agency_id] = {**_NO_FILES, "due_soon": due_soon, "late": late_count,
                             "late_no_letter": late_no_letter}  # fmt: skip
    start = datetime.combine(monday, datetime.min.time(), cal.tz)
    end = datetime.combine(today + timedelta(days=1), datetime.min.time(), cal.tz)
    for agency_id, number in session.exec(
        select(Apology.agency_id, func.count())
        .where(among(col(Apology.agency_id), agency_ids), Apology.state == ApologyState.APPROVED,
               col(Apology.approved_at) >= start, col(Apology.approved_at) < end)
        .group_by(col(Apology.agency_id))
    ):  # fmt: skip
        counts.setdefault(agency_id, dict(_NO_FILES))["issued"] = number
    return counts


def render_head_digest(
    digest: dict[str, Any], *, short: bool = False, chart: bool = True
) -> list[str]:
    """The head's digest as messages; ``short``: one message, a line per section (Zalo,
    where every message counts against the monthly quota). ``chart=False``: the digest
    goes without its chart, having nothing to draw, and its last line says so."""
    return _render("digest_head.html.j2", digest, short, chart)


def coordinator_digest(
    session: Session, now: datetime, cal: WorkCalendar, *, channels: Sequence[Usage] = ()
) -> dict[str, Any]:
    """The province-wide view: who completes on time, the worst overdue items, agencies the
    bot cannot reach or that do not answer, deadlines without a date, apology compliance;
    and the messages each channel carried this month (``channels``:
    ``bot.services.channel_usage.usages``)."""
    from bot.reports.apologies import records

    today = cal.local(now).date()
    lead = col(Assignment.role) == Role.LEAD
    # Counted in SQL, a row per agency, and the ten worst parts read: the province's
    # hundred thousand parts never come into Python (the web's Tổng quan runs this per view).
    score, open_by_agency, unmarked = _scores(session, today, cal)
    worst = _worst(session, today, cal, unmarked=unmarked)
    # The tasks waiting for a date that some agency still leads: read from the few such
    # tasks, not from every open part.
    led = (
        sa.select(col(Assignment.id))
        .where(col(Assignment.task_id) == col(Task.id), lead, col(Assignment.status) == Status.OPEN)
        .exists()
    )
    unspecified = session.execute(
        sa.select(func.count()).where(col(Task.deadline_kind) == "unspecified", led)
    ).scalar_one()
    ranking: list[dict[str, Any]] = sorted(
        ({"agency": name, "on_time": c[0], "late": c[1], "overdue": c[2], "not": c[1] + c[2],
          "rate": c[0] / sum(c)} for name, c in score.items() if sum(c)),
        key=lambda r: (-float(r["rate"]), vietnamese_key(str(r["agency"]))),
    )  # fmt: skip
    bound = set(
        session.exec(select(Chat.agency_id).where(Chat.role == ChatRole.GROUP, col(Chat.active)))
    )
    unbound = sorted(name for agency_id, name in open_by_agency.items() if agency_id not in bound)
    quiet = _silent_groups(session, today, cal, list(open_by_agency))
    silent = sorted(name for agency_id, name in open_by_agency.items() if quiet.get(agency_id))
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    files = [r for r in records(session, quarter - timedelta(days=90), today, today, cal) if r.late]
    return {
        "today": today, "ranking": ranking[:_LIMIT], "ranking_count": len(ranking),
        "chart": _chart_rows(ranking),
        # The five last after the first fifteen, never one of those again.
        "bottom": ranking[max(_LIMIT, len(ranking) - 5):],
        "worst": worst,
        "overdue_count": sum(c[2] for c in score.values()),
        "unbound": unbound, "silent": silent, "unspecified": unspecified,
        "files": [{"agency": r.agency, "late": r.late, "timely": r.timely_letter, "after": r.late_letter,
                   "none": r.no_letter} for r in files],
        "channels": list(channels),
    }  # fmt: skip


def _scores(
    session: Session, today: date, cal: WorkCalendar
) -> tuple[dict[str, list[int]], dict[int, str], int]:
    """Per agency name, its lead parts done on time, done late, and overdue (open past
    their due date, or done with no audit row saying when: as if still open); the
    agencies with open lead parts (id → name); how many of the parts past their due date
    were done with no such row.
    Two aggregate queries: the parts by agency, and the parts done with their day."""
    lead = col(Assignment.role) == Role.LEAD
    status, due = col(Assignment.status), col(Assignment.due_on)
    past = due.is_not(None) & (due < today)
    score: dict[str, list[int]] = {}
    open_by_agency: dict[int, str] = {}
    unmarked = 0  # parts done and due before today; less, below, those with their day
    names: dict[int, str] = {}
    for agency_id, name, still_open, open_past, done_past in session.execute(
        sa.select(col(Agency.id), col(Agency.name), count_if(status == Status.OPEN),
                  count_if(past & (status == Status.OPEN)), count_if(past & (status == Status.DONE)))
        .join(Agency, col(Assignment.agency_id) == col(Agency.id))
        .where(lead, status.in_([Status.OPEN, Status.DONE]))
        .group_by(col(Agency.id), col(Agency.name))
    ):  # fmt: skip
        names[agency_id] = name
        score.setdefault(name, [0, 0, 0])[2] += open_past + done_past
        unmarked += done_past
        if still_open:
            open_by_agency[agency_id] = name
    done = _last_done(session.get_bind().dialect, cal)
    for agency_id, on_time, late, marked_past in session.execute(
        sa.select(col(Assignment.agency_id), count_if(done.c.day <= due), count_if(done.c.day > due),
                  count_if(past))
        .select_from(done)
        .join(Assignment, col(Assignment.id) == done.c.part)
        .where(lead, status == Status.DONE, due.is_not(None))
        .group_by(col(Assignment.agency_id))
    ):  # fmt: skip
        counts = score[names[agency_id]]
        counts[0] += on_time
        counts[1] += late
        counts[2] -= marked_past  # done with its day: not overdue
        unmarked -= marked_past
    return score, open_by_agency, unmarked


def _worst(
    session: Session, today: date, cal: WorkCalendar, *, unmarked: int
) -> list[dict[str, Any]]:
    """The :data:`_WORST` lead parts longest overdue, the longest first: working days
    late only grow as the due date goes back, so they are the earliest due (the index on
    status and due date reads them in order). Parts done with no audit row of it count
    as overdue (:func:`_scores`); looked for only when there are some (``unmarked``)."""
    lead = col(Assignment.role) == Role.LEAD
    status, due = col(Assignment.status), col(Assignment.due_on)
    past = due.is_not(None) & (due < today)

    def earliest(where: sa.ColumnElement[bool]) -> list[Any]:
        return list(session.execute(
            sa.select(col(Assignment.id), due, col(Task.key), col(Task.text), col(Plan.number),
                      col(Agency.name))
            .join(Task, col(Assignment.task_id) == col(Task.id))
            .join(Plan, col(Task.plan_id) == col(Plan.id))
            .join(Agency, col(Assignment.agency_id) == col(Agency.id))
            .where(lead, past, where)
            .order_by(due, col(Assignment.id))
            .limit(_WORST)
        ))  # fmt: skip

    rows = earliest(status == Status.OPEN)
    if unmarked:
        said = (
            sa.select(col(StatusUpdate.id))
            .where(col(StatusUpdate.assignment_id) == col(Assignment.id),
                   col(StatusUpdate.field) == "status", col(StatusUpdate.new) == Status.DONE)
            .exists()
        )  # fmt: skip
        rows = sorted(rows + earliest((status == Status.DONE) & ~said), key=lambda r: (r[1], r[0]))
    return [
        {"agency": name, "plan": number, "task_key": shown_key(key), "task": text,
         "code": f"NV{part_id}", "late": cal.working_days_between(cal.on_or_after(due_on), today)}
        for part_id, due_on, key, text, number, name in rows[:_WORST]
    ]  # fmt: skip


def render_coordinator_digest(
    digest: dict[str, Any], *, short: bool = False, chart: bool = True
) -> list[str]:
    """The coordinator's digest as messages; ``short`` and ``chart`` as for
    :func:`render_head_digest`."""
    return _render("digest_coordinator.html.j2", digest, short, chart)


def _render(template: str, digest: dict[str, Any], short: bool, chart: bool) -> list[str]:
    env = environment()
    if short:  # never a chart (Zalo), nothing to say about one
        module = env.get_template(template).module
        return split_message([str(module.short(digest)).strip()])  # type: ignore[attr-defined]
    parts = blocks(template, {"d": digest}, [])
    if not chart:
        missing = env.get_template("digest_chart.html.j2").module.missing()  # type: ignore[attr-defined]
        parts.append(str(missing).strip())
    return split_message(parts)


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
