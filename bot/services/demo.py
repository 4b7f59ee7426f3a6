"""The demo province, from seed/: agencies, plans, calendar, files, console chats, and
the province's 2025 reorganisation."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sqlmodel import Session

from bot.config import Settings
from bot.importers.agencies import import_agencies
from bot.importers.files import import_files
from bot.importers.plans import PlanImportReport, import_plan
from bot.services.calendar import import_overrides, load_calendar
from bot.services.chats import bind_console_chats

SEED = Path(__file__).resolve().parent.parent.parent / "seed"

#: The day the demo province imported its plans and files (the seed plans are of
#: 2022–2024): they name the agencies of that day.
SEED_DAY = date(2024, 11, 25)


def seed_demo(session: Session, settings: Settings, folder: Path = SEED) -> list[PlanImportReport]:
    """The demo province as it was on :data:`SEED_DAY`."""
    import_agencies(session, folder / "agencies.csv")
    plans = sorted((folder / "plans").glob("*.csv"))
    reports = [import_plan(session, path, settings=settings, on=SEED_DAY) for path in plans]
    import_overrides(session, folder / "calendar.csv")
    import_files(session, folder / "files.csv", cal=load_calendar(session, settings.hours),
                 settings=settings.files, on=SEED_DAY)  # fmt: skip
    bind_console_chats(session)
    return reports
