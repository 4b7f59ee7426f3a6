"""The demo province, from seed/: agencies, plans, calendar, files, console chats, and
the province's 2025 reorganisation."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

from sqlmodel import Session

from bot.config import Settings
from bot.importers.agencies import import_agencies
from bot.importers.agency_changes import import_agency_changes
from bot.importers.files import import_files
from bot.importers.plans import PlanImportReport, import_plan
from bot.services.agency_changes import AppliedChange, apply_due
from bot.services.calendar import import_overrides, load_calendar
from bot.services.chats import bind_console_chats

SEED = Path(__file__).resolve().parent.parent.parent / "seed"

#: The day the demo province imported its plans and files (the seed plans are of
#: 2022–2024): they name the agencies of that day.
SEED_DAY = date(2024, 11, 25)


def seed_demo(
    session: Session, settings: Settings, now: datetime, folder: Path = SEED
) -> tuple[list[PlanImportReport], list[AppliedChange]]:
    """The demo province as it is at ``now`` (aware): its plans and files imported on
    :data:`SEED_DAY`, then its agencies' changes recorded (``agency_changes.csv``, the
    new bodies from ``agencies_2025.csv``) and those whose day has come by ``now``
    (Vietnam's calendar) applied; the later ones wait for the tick of their day."""
    import_agencies(session, folder / "agencies.csv")
    plans = sorted((folder / "plans").glob("*.csv"))
    reports = [import_plan(session, path, settings=settings, on=SEED_DAY) for path in plans]
    import_overrides(session, folder / "calendar.csv")
    cal = load_calendar(session, settings.hours)
    import_files(session, folder / "files.csv", cal=cal, settings=settings.files, on=SEED_DAY)
    import_agencies(session, folder / "agencies_2025.csv")
    bind_console_chats(session)
    import_agency_changes(session, folder / "agency_changes.csv", actor="seed", now=now)
    return reports, apply_due(session, cal.local(now).date(), now)
