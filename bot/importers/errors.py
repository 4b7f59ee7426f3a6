from __future__ import annotations

from pathlib import Path

from bot.importers.rows import RowError


class ImportFailed(Exception):
    """Bad rows: nothing was written. Each error names the file, the line and the reason."""

    def __init__(self, path: Path, errors: list[RowError]) -> None:
        self.path = path
        self.errors = sorted(errors, key=lambda e: e.line)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """ "FILE:LINE: reason"; an error about the command's options (line 0) names the
        file only."""
        return [f"{self.path}:{e.line}: {e.reason}" if e.line else f"{self.path}: {e.reason}"
                for e in self.errors]  # fmt: skip
