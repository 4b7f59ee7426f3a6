from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from bot.importers.rows import RowError


class ImportFailed(Exception):
    """Bad rows: nothing was written. Each error names the file, the line and the reason;
    ``notes``: what the document's reader noticed ("Bảng 1, dòng 5, cột …: bỏ qua chữ gạch
    ngang …"), shown with the errors since they may explain them."""

    def __init__(
        self, path: Path, errors: list[RowError], place: Callable[[RowError], str] | None = None,
        notes: Sequence[str] = (),
    ) -> None:  # fmt: skip
        self.path = path
        self.errors = sorted(errors, key=lambda e: e.line)
        self.place = place
        self.notes = list(notes)
        super().__init__("\n".join(self.lines()))

    def lines(self) -> list[str]:
        """ "FILE:LINE: reason", or "FILE: Bảng 2, dòng 14, cột Tiến độ: reason" where
        ``place`` names a line of a document; an error about the command's options or the
        file as a whole (line 0) names the file only."""
        if self.place is not None:
            place = self.place
            return [f"{self.path}: {place(e)}: {e.reason}" if e.line else f"{self.path}: {e.reason}"
                    for e in self.errors]  # fmt: skip
        return [f"{self.path}:{e.line}: {e.reason}" if e.line else f"{self.path}: {e.reason}"
                for e in self.errors]  # fmt: skip
