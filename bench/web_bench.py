"""How long each page of the web view takes to answer: on the demo province (``dondoc
demo``'s data) and on a register of 100,000 parts.

    .venv/bin/python -m bench.web_bench                  # the demo, and 100,000 parts
    .venv/bin/python -m bench.web_bench --parts 20000 --repeat 50

The real ASGI app (``bot.web.site``) is served in this process through httpx's ASGI
transport, on a SQLite file; each viewer signs in as a person does, with the link that
``/web`` answers in their chat (a coordinator, a head, an admin). Each page of
:data:`PAGES` is opened twice to warm up, then timed ``--repeat`` times one after the
other; its p95 is the figure (the issue: "every page answers in < 300 ms on the demo
province and < 1 s on a register of 100,000 parts"), its p50 the note. Prints figures; asserts nothing.

The register: ``--parts`` parts over a tenth as many tasks, a hundred tasks a plan, and
1,000 agencies (fewer below 100,000 parts: a hundred parts each). Each task is shared by
ten agencies, eight leading their part and two coordinating (nine parts in ten lead in
the demo's plans: "UBND các huyện" each lead their own); the head's agency leads in one
task in ten, ten times an average agency's share, so that its page is the heaviest. Due
dates run over 2023–2025, most of them before the day measured (20/12/2024): two in three
past ones are done (some after their day: done late), one open part in three has a
progress answer. Every part has its audit rows (created by the import; done, progress by
a chat), one in 200 a pending extension request; an agency in ten has no group bound;
a hundred administrative files an agency (100,000 at the issue's size, as many as the
parts), most of them late, a third of those with a letter.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from sqlalchemy import func, insert
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bench.args import count, scaled
from bench.digest_bench import late_files
from bench.table import Figure, machine, number, render
from bot.config import Settings
from bot.db import make_engine, session_scope, upgrade
from bot.domain.calendar import VIETNAM
from bot.domain.deadlines import DueDate, to_record
from bot.models import (
    Agency,
    Assignment,
    Chat,
    ChatRole,
    ExtensionRequest,
    Plan,
    RequestState,
    Role,
    Status,
    StatusUpdate,
    Task,
)
from bot.services.actions import Sender
from bot.services.demo import seed_demo
from bot.web.site import create_site, prepare
from tests.web import Clock, Web, web_settings

NOW = datetime(2024, 12, 20, 8, 0, tzinfo=VIETNAM)  # a Friday: plan_bench's day
TODAY = NOW.date()


@dataclass(frozen=True)
class Visit:
    """A page to time: its address (``{code}``: the head's agency's code; ``{plan}``: the
    id of the plan with the most parts; ``{plan_number}``: its number, quoted for a path)
    and who opens it (``coordinator``, ``head``, ``admin``, or ``public``: no one signed
    in)."""

    path: str
    who: str


# Every page of the web view (issue 16), each by the viewer it is heaviest for.
PAGES: tuple[Visit, ...] = (
    Visit("/tong-quan", "coordinator"),
    Visit("/tong-quan", "head"),
    Visit("/tong-quan/bieu-do.png", "coordinator"),
    Visit("/ke-hoach", "coordinator"),
    Visit("/ke-hoach/{plan}", "coordinator"),
    Visit("/ke-hoach/{plan}?qua-han=1&trang=5", "coordinator"),
    Visit("/ke-hoach/{plan}", "head"),
    Visit("/co-quan", "coordinator"),
    Visit("/co-quan/{code}", "head"),
    Visit("/co-quan/{code}?xem=qua-han", "head"),
    Visit("/co-quan/{code}?xem=dang-lam&trang=50", "coordinator"),
    Visit("/ho-so", "coordinator"),
    Visit("/ho-so?xem=tre-han&xin-loi=chua-co&trang=500", "coordinator"),
    Visit("/ho-so?xin-loi=dung-han", "coordinator"),
    Visit("/ho-so?co-quan={code}", "coordinator"),
    Visit("/ho-so", "head"),
    Visit("/ho-so?xem=sap-den-han", "head"),
    Visit("/cong-khai/ho-so-tre-han", "public"),
    Visit("/cong-khai/ho-so-tre-han?xem=van-ban&trang=3", "public"),
    Visit("/quan-tri", "admin"),
    Visit("/quan-tri/nap", "admin"),
    Visit("/quan-tri/thoi-han", "admin"),
    Visit("/quan-tri/lich", "admin"),
    Visit("/quan-tri/chat", "admin"),
)

DEMO_GOAL_MS = 300.0
LARGE_GOAL_MS = 1000.0
ISSUE_PARTS = 100_000
AGENCIES = 1000
PARTS_A_TASK = 10
LEADS = 8  # of a task's ten parts, as in the demo's plans ("UBND các huyện" each lead theirs)
TASKS_A_PLAN = 100
HEAD_EVERY = 10  # the head's agency leads in one task in this many
FILES_AN_AGENCY = 100  # administrative files (hồ sơ) of each agency
MOST_PARTS = 1_000_000  # ten times the issue's register
MOST_REPEAT = 1000
WARM_UP = 2


@dataclass
class World:
    """A database to serve: what its rows call it, who signs in, the pages' placeholders."""

    name: str  # "demo province", "100,000 parts"
    url: str
    senders: dict[str, Sender]  # "coordinator", "head", "admin" → their chat
    fill: dict[str, str] = field(default_factory=dict)  # {code}, {plan}, {plan_number}
    goal_ms: float = DEMO_GOAL_MS
    note: str = ""  # how the goal was scaled, if it was


def _sender(chat_key: str, user_id: str) -> Sender:
    return Sender("console", chat_key, user_id, f"Người dùng {user_id}", private=True)


def _busiest_plan(session: Session) -> dict[str, str]:
    plan_id, number = session.execute(
        select(Plan.id, Plan.number)
        .join(Task, col(Task.plan_id) == col(Plan.id))
        .join(Assignment, col(Assignment.task_id) == col(Task.id))
        .group_by(col(Plan.id), col(Plan.number))
        .order_by(func.count().desc(), col(Plan.id))
        .limit(1)
    ).one()
    return {"plan": str(plan_id), "plan_number": quote(number, safe="")}


def build_demo(url: str) -> World:
    """``dondoc demo``'s province at :data:`NOW`; the head is that of the agency leading
    the most parts, the coordinator Sở Nội vụ's chat, the admin the demo's admin chat."""
    upgrade(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        seed_demo(s, Settings(), NOW)
        heads = select(Chat.agency_id).where(Chat.role == ChatRole.HEAD, col(Chat.active))
        code = s.execute(
            select(Agency.code)
            .join(Assignment, col(Assignment.agency_id) == col(Agency.id))
            .where(Assignment.role == Role.LEAD, col(Agency.id).in_(heads))
            .group_by(col(Agency.id), col(Agency.code))
            .order_by(func.count().desc(), col(Agency.code))
            .limit(1)
        ).scalar_one()
        fill = {"code": code, **_busiest_plan(s)}
    engine.dispose()
    senders = {"coordinator": _sender("dieu-phoi:so-noi-vu", "701"),
               "head": _sender(f"thu-truong:{code}", "601"), "admin": _sender("quan-tri", "801")}  # fmt: skip
    return World("demo province", url, senders, fill)


def agencies_for(parts: int) -> int:
    """1,000 agencies from 100,000 parts up, a hundred parts each below (ten at least)."""
    return max(PARTS_A_TASK, min(AGENCIES, parts // 100))


def build_register(url: str, parts: int) -> World:
    """The register the module's docstring describes, ``parts`` parts (bulk inserts)."""
    upgrade(url)
    engine = make_engine(url)
    rng = random.Random(16)
    agencies = agencies_for(parts)
    tasks = -(-parts // PARTS_A_TASK)
    stride = agencies // PARTS_A_TASK  # a task's ten agencies: all different
    first_due, days = date(2023, 1, 1), 3 * 365
    with engine.begin() as conn:
        conn.execute(insert(Plan), [{"number": f"{p + 1}/KH-UBND", "issued_on": date(2022, 12, 1),
                                     "year": 2023, "title": f"Kế hoạch {p + 1}", "issuer": "UBND tỉnh",
                                     "source": ""} for p in range(-(-tasks // TASKS_A_PLAN))])  # fmt: skip
        conn.execute(insert(Agency), [{"code": f"a{i}", "name": f"Cơ quan {i}", "kind": "so", "aliases": []}
                                      for i in range(agencies)])  # fmt: skip
        chats = [{"channel": "console", "chat_key": f"{kind}:a{i}", "title": "", "agency_id": i + 1,
                  "role": role, "active": True, "created_at": NOW}
                 for i in range(agencies) for kind, role in (("nhom", ChatRole.GROUP), ("thu-truong", ChatRole.HEAD))
                 if role == ChatRole.HEAD or i % 10 != 9]  # fmt: skip
        chats += [{"channel": "console", "chat_key": key, "title": "", "agency_id": None, "role": role,
                   "active": True, "created_at": NOW}
                  for key, role in (("dieu-phoi", ChatRole.COORDINATOR), ("quan-tri", ChatRole.ADMIN))]  # fmt: skip
        conn.execute(insert(Chat), chats)
        task_rows: list[dict[str, Any]] = []
        part_rows: list[dict[str, Any]] = []
        audit: list[dict[str, Any]] = []
        requests: list[dict[str, Any]] = []
        created = datetime(2022, 12, 5, 9, 0, tzinfo=VIETNAM)
        for t in range(tasks):
            due = first_due + timedelta(days=t * 37 % days)
            task_rows.append({"plan_id": t // TASKS_A_PLAN + 1, "key": str(t % TASKS_A_PLAN + 1),
                              "number": str(t % TASKS_A_PLAN + 1), "position": t % TASKS_A_PLAN,
                              "indicator": "", "text": f"Nhiệm vụ số {t + 1} của kế hoạch",
                              "target": "", "result": "Báo cáo kết quả", "deadline_text": f"Trước ngày {due:%d/%m/%Y}",
                              "deadline_kind": "date", "due_on": due, "recurrence": None,
                              "deadline_detail": to_record(DueDate(due)), "lead_text": "",
                              "coordinate_text": "", "source_line": t})  # fmt: skip
            # The head's agency (a0) leads in one task in HEAD_EVERY.
            lead = 0 if t % HEAD_EVERY == 0 else t % agencies
            others = [(lead + k * stride) % agencies for k in range(1, PARTS_A_TASK)]
            for k, agency in enumerate([lead, *others][: parts - t * PARTS_A_TASK]):
                part_id = len(part_rows) + 1
                done = rng.random() < (0.67 if due < TODAY else 0.1)
                progress = 100 if done else (rng.choice((20, 50, 80)) if rng.random() < 0.33 else 0)
                part_rows.append({"task_id": t + 1, "agency_id": agency + 1, "role": Role.LEAD if k < LEADS else Role.COORDINATE,
                                  "scope": "", "status": Status.DONE if done else Status.OPEN, "progress": progress,
                                  "due_on": due, "extended_to": None, "check_on": due, "last_report_period": None,
                                  "created_at": created, "updated_at": NOW})  # fmt: skip
                audit.append({"assignment_id": part_id, "at": created, "actor": "import:plans/kh.csv",
                              "chat_id": None, "message_id": None, "field": "created", "old": None,
                              "new": None, "note": ""})  # fmt: skip
                said = min(NOW - timedelta(hours=1), datetime.combine(
                    due + timedelta(days=rng.randint(-20, 10)), datetime.min.time(), VIETNAM) + timedelta(hours=9))  # fmt: skip
                chat = f"nhom:a{agency}"
                if progress:
                    audit.append({"assignment_id": part_id, "at": said - timedelta(days=3), "actor": "telegram:1 (Cán bộ)",
                                  "chat_id": chat, "message_id": None, "field": "progress", "old": "0",
                                  "new": str(progress), "note": ""})  # fmt: skip
                if done:
                    audit.append({"assignment_id": part_id, "at": said, "actor": "telegram:1 (Cán bộ)",
                                  "chat_id": chat, "message_id": None, "field": "status", "old": Status.OPEN,
                                  "new": Status.DONE, "note": ""})  # fmt: skip
                elif part_id % 200 == 0:
                    requests.append({"assignment_id": part_id, "until": due + timedelta(days=30),
                                     "reason": "Chờ ý kiến của bộ", "state": RequestState.PENDING,
                                     "requested_by": "telegram:1", "requested_in_chat_id": None,
                                     "requested_at": NOW - timedelta(days=2), "decided_by": None,
                                     "decided_at": None})  # fmt: skip
        for table, rows in ((Task, task_rows), (Assignment, part_rows), (StatusUpdate, audit)):
            for start in range(0, len(rows), 50_000):
                conn.execute(insert(table), rows[start : start + 50_000])
        if requests:
            conn.execute(insert(ExtensionRequest), requests)
        late_files(conn, rng, agencies, FILES_AN_AGENCY)
    with Session(engine) as s:
        fill = {"code": "a0", **_busiest_plan(s)}
    engine.dispose()
    senders = {"coordinator": _sender("dieu-phoi", "701"), "head": _sender("thu-truong:a0", "601"),
               "admin": _sender("quan-tri", "801")}  # fmt: skip
    note = "" if parts == ISSUE_PARTS else f"goal for {ISSUE_PARTS:,} parts"
    name = f"{parts:,} parts" if parts != 1 else "1 part"
    return World(name, url, senders, fill, LARGE_GOAL_MS, note)


@dataclass(frozen=True)
class Timing:
    visit: Visit
    seconds: list[float]  # each timed request


def percentile(seconds: Sequence[float], share: float) -> float:
    """The ``share`` percentile (0.5, 0.95) of ``seconds``, interpolated; the one value
    when there is one."""
    if len(seconds) == 1:
        return seconds[0]
    cuts = statistics.quantiles(seconds, n=100, method="inclusive")
    return cuts[round(share * 100) - 1]


async def _signed_in(web: Web, app: object, who: Sender) -> httpx.AsyncClient:
    client = web.client_of(app)
    answer = await web.sign_in(web.link(who), client)
    if answer.status_code != 303:
        await client.aclose()
        raise RuntimeError(
            f"{who.chat_key} could not sign in: {answer.status_code} {answer.text[:300]}"
        )
    return client


async def time_pages(
    engine: Engine, world: World, repeat: int, pages: Sequence[Visit]
) -> list[Timing]:
    """Each of ``pages`` in ``world``, opened by its viewer: :data:`WARM_UP` requests,
    then ``repeat`` timed ones. A built page that does not answer 200 is an error."""
    from bot.reports.charts import close_workers

    clock = Clock(NOW)
    settings = web_settings()
    key = prepare(engine, settings, NOW)
    app = create_site(engine=engine, settings=settings, key=key, clock=clock)
    # The tests' harness for /web's link and the sign-in; each viewer signs in with a
    # client of their own (its cookies), not the harness's.
    web = Web(engine, clock, httpx.AsyncClient())
    clients: dict[str, httpx.AsyncClient] = {}
    timings = []
    try:
        for visit in pages:
            if visit.who not in clients:
                clients[visit.who] = (web.client_of(app) if visit.who == "public" else
                                      await _signed_in(web, app, world.senders[visit.who]))  # fmt: skip
            client = clients[visit.who]
            path = visit.path.format(**world.fill)
            seconds = []
            for i in range(WARM_UP + repeat):
                start = time.perf_counter()
                answer = await client.get(path)
                took = time.perf_counter() - start
                if answer.status_code != 200:
                    raise RuntimeError(f"{world.name}: GET {path} as {visit.who} answered "
                                       f"{answer.status_code}: {answer.text[:300]}")  # fmt: skip
                if i >= WARM_UP:
                    seconds.append(took)
            timings.append(Timing(visit, seconds))
    finally:
        for client in clients.values():
            await client.aclose()
        await web.client.aclose()
        close_workers()
    return timings


def figures_of(world: World, timings: Sequence[Timing]) -> list[Figure]:
    """A row per page: its p95 in ms against the world's goal, its p50 in the note."""
    rows = []
    for t in timings:
        name = f"web page {t.visit.path} as {t.visit.who}, {world.name}, p95"
        p50, p95 = (percentile(t.seconds, share) * 1000 for share in (0.5, 0.95))
        note = "; ".join(
            x for x in (f"p50 {number(p50, 'ms')} of {len(t.seconds)}", world.note) if x
        )
        rows.append(Figure(name, p95, "ms", world.goal_ms, note=note, strict=True))
    return rows


def measure(world: World, repeat: int, pages: Sequence[Visit] = PAGES) -> list[Figure]:
    engine = make_engine(world.url)
    try:
        return figures_of(world, asyncio.run(time_pages(engine, world, repeat, pages)))
    finally:
        engine.dispose()


def sizes(scale: float) -> str:
    return f"web the demo province and {scaled(ISSUE_PARTS, scale):,} parts"


REPEAT = 10  # timed requests a page in ``python -m bench``


def figures(scale: float) -> list[Figure]:
    """Issue #16's goals: every page of :data:`PAGES` < 300 ms (p95) on the demo province
    and < 1 s on a register of 100,000 parts × ``scale`` (the goal kept whatever the
    size: a page's own work does not shrink with the register)."""
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-") as tmp:
        demo = build_demo(f"sqlite:///{Path(tmp) / 'demo.db'}")
        large = build_register(f"sqlite:///{Path(tmp) / 'large.db'}", scaled(ISSUE_PARTS, scale))
        return measure(demo, REPEAT) + measure(large, REPEAT)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--parts", type=count(MOST_PARTS), default=ISSUE_PARTS,
                        help=f"parts in the large register, 1 to {MOST_PARTS:,} (default 100,000)")  # fmt: skip
    parser.add_argument("--repeat", type=count(MOST_REPEAT), default=20,
                        help=f"timed requests a page, 1 to {MOST_REPEAT:,} (default 20)")  # fmt: skip
    parser.add_argument("--only", choices=("demo", "large"), help="time one of the two only")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="dondoc-bench-") as tmp:
        for kind in ("demo", "large"):
            if args.only not in (None, kind):
                continue
            started = time.perf_counter()
            if kind == "demo":
                world = build_demo(f"sqlite:///{Path(tmp) / 'demo.db'}")
            else:
                world = build_register(f"sqlite:///{Path(tmp) / 'large.db'}", args.parts)
            built = time.perf_counter() - started
            rows += measure(world, args.repeat)
            print(f"{world.name}: built in {built:.1f} s")
    print(render(rows, f"web view, {args.repeat} timed requests a page"))
    print(machine())


if __name__ == "__main__":
    main()
