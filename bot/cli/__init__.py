"""The ``dondoc`` command, in Vietnamese for its users (admins and operators)."""

from __future__ import annotations

from bot.cli import (  # noqa: F401 - they add their commands to the app
    agencies,
    backup,
    calendar,
    chat,
    files,
    health,
    imports,
    register,
    schedule,
    web,
)
from bot.cli.common import app


def main() -> None:
    app()
