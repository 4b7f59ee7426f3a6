"""The world tests share: a small province (named agencies, their chats, tasks made to
measure), the shipped settings and calendar, and the moments the stories happen at."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bot.config import Settings
from bot.db import session_scope
from bot.domain.agencies import AgencyEntry, Kind
from bot.domain.calendar import VIETNAM, WorkCalendar
from bot.domain.deadlines import final_date, parse_deadline, to_columns
from bot.importers.tabular import read_rows
from bot.models import Agency, Assignment, Chat, ChatRole, Notice, Outbox, Plan, Role, Task
from bot.services.chats import ensure_chat


def at(day: date, hour: int = 8, minute: int = 0) -> datetime:
    """A moment in Vietnam: tests pass time as an argument, they never wait for it."""
    return datetime.combine(day, time(hour, minute), VIETNAM)


@dataclass
class Province:
    engine: Engine
    agencies: dict[str, int] = field(default_factory=dict)  # code → id
    chats: dict[str, int] = field(default_factory=dict)  # "group:so-noi-vu" → id
    plan_id: int = 0

    def add_task(
        self,
        deadline: str,
        *,
        lead: str = "so-y-te",
        coordinate: tuple[str, ...] = (),
        text: str = "Rà soát thủ tục hành chính",
        plan_year: int = 2024,
    ) -> int:
        """A task led by ``lead``; returns the lead's assignment id."""
        parsed = parse_deadline(deadline, plan_year=plan_year)
        with session_scope(self.engine) as s:
            count = len(s.exec(select(Task.id)).all())
            task = Task(
                plan_id=self.plan_id, key=str(count + 1), number=str(count + 1), position=count,
                text=text, result="Báo cáo kết quả", deadline_text=deadline,
                **to_columns(parsed),
            )  # fmt: skip
            s.add(task)
            s.flush()
            parts = [(lead, Role.LEAD)] + [(c, Role.COORDINATE) for c in coordinate]
            ids = []
            for code, role in parts:
                a = Assignment(task_id=task.id, agency_id=self.agencies[code], role=role,  # type: ignore[arg-type]
                               due_on=final_date(parsed))  # fmt: skip
                s.add(a)
                s.flush()
                ids.append(a.id)
        return ids[0]  # type: ignore[return-value]

    def part(self, assignment_id: int) -> Assignment:
        with Session(self.engine) as s:
            found = s.get(Assignment, assignment_id)
            assert found is not None
            return found

    def notices(self) -> list[tuple[str, str]]:
        """(stage, chat) of every notice planned so far, in order."""
        names = {v: k for k, v in self.chats.items()}
        with Session(self.engine) as s:
            rows = s.exec(select(Notice).order_by(Notice.id)).all()  # type: ignore[arg-type]
            return [(n.stage, names[n.chat_id]) for n in rows]

    def outbox(self) -> list[Outbox]:
        with Session(self.engine) as s:
            return list(s.exec(select(Outbox).order_by(Outbox.id)).all())  # type: ignore[arg-type]


# The default settings: the ladder, office hours, digests and the apology letter as shipped.
SETTINGS = Settings()
# The day the test province imports its plans and files: before the 2025 reorganisation,
# so the seed's agencies are those of the day.
IMPORT_DAY = date(2024, 11, 25)
# The working-day calendar as shipped: Vietnam's holidays and swapped days.
CAL = WorkCalendar()

# The moments the stories happen at.
FRIDAY = at(date(2024, 12, 20))  # 8:00, eleven days before the 31/12/2024 deadlines
MONDAY = at(date(2024, 12, 23), 8)  # the weekly digests' morning
FEB_4 = at(date(2025, 2, 4), 9)  # the apology story: the day before a file falls due

AGENCIES = [
    ("so-noi-vu", "Sở Nội vụ", "so"),
    ("so-y-te", "Sở Y tế", "so"),
    ("so-tu-phap", "Sở Tư pháp", "so"),
]


def build_province(engine: Engine) -> Province:
    """Sở Nội vụ (also the coordinator), Sở Y tế, Sở Tư pháp; a group and a head chat
    for each, a coordinator chat and an admin chat, all on the console channel."""
    province = Province(engine)
    with session_scope(engine) as s:
        for code, name, kind in AGENCIES:
            symbol = "".join(w[0] for w in code.split("-")).upper()  # SNV, SYT, STP
            agency = Agency(code=code, name=name, kind=kind, aliases=[], letter_symbol=symbol)
            s.add(agency)
            s.flush()
            assert agency.id is not None
            province.agencies[code] = agency.id
            for role in (ChatRole.GROUP, ChatRole.HEAD):
                chat = ensure_chat(s, channel="console", chat_key=f"{role.value}:{code}", role=role,
                                   agency=agency, title=f"{role.value} {name}")  # fmt: skip
                s.flush()
                province.chats[f"{role.value}:{code}"] = chat.id  # type: ignore[assignment]
        snv = s.get(Agency, province.agencies["so-noi-vu"])
        for key, role, owner in (
            ("coordinator", ChatRole.COORDINATOR, snv),
            ("admin", ChatRole.ADMIN, None),
        ):
            chat = ensure_chat(
                s, channel="console", chat_key=key, role=role, agency=owner, title=key
            )
            s.flush()
            province.chats[key] = chat.id  # type: ignore[assignment]
        plan = Plan(number="126/KH-UBND", issued_on=date(2024, 6, 3), year=2024, title="SIPAS 2024")
        s.add(plan)
        s.flush()
        province.plan_id = plan.id  # type: ignore[assignment]
    return province


def chat_ids(engine: Engine) -> dict[int, Chat]:
    with Session(engine) as s:
        return {c.id: c for c in s.exec(select(Chat)).all() if c.id is not None}


def seed_agency_entries() -> list[AgencyEntry]:
    """The demo province's registry (seed/agencies.csv) as the matcher's entries."""
    rows = read_rows(Path(__file__).resolve().parent.parent / "seed" / "agencies.csv")
    entries = []
    for r in rows[1:]:
        code, name, kind, parent, aliases = r.cells[:5]  # then the letter symbol
        aliases_found = tuple(a for a in aliases.split("|") if a)
        entries.append(AgencyEntry(code, name, Kind(kind), parent or None, aliases_found))
    return entries
