"""The demo province, from seed/: agencies, plans, calendar, files, console chats."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session

from bot.importers.agencies import import_agencies
from bot.importers.files import import_files
from bot.importers.plans import PlanImportReport, import_plan
from bot.services.calendar import import_overrides, load_calendar
from bot.services.chats import bind_console_chats

SEED = Path(__file__).resolve().parent.parent.parent / "seed"


def seed_demo(session: Session, folder: Path = SEED) -> list[PlanImportReport]:
    import_agencies(session, folder / "agencies.csv")
    reports = [import_plan(session, path) for path in sorted((folder / "plans").glob("*.csv"))]
    import_overrides(session, folder / "calendar.csv")
    import_files(session, folder / "files.csv", cal=load_calendar(session))
    bind_console_chats(session)
    return reports
