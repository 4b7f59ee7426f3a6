"""A listing shown a page at a time, the page asked for in the address (``?trang=``)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.numbers import bounded_int
from bot.web.auth import Page


@dataclass(frozen=True)
class Pager:
    """Page ``number`` of ``pages`` over ``total`` rows, ``size`` a page."""

    number: int
    total: int
    size: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def first(self) -> int:  # the first row shown, counted from 1 (0: none)
        return min(self.offset + 1, self.total)

    @property
    def last(self) -> int:
        return min(self.offset + self.size, self.total)


def pager(p: Page, name: str, total: int, size: int) -> Pager:
    """The page the address asks for (``?name=``), kept within the pages there are."""
    asked = bounded_int(p.request.query_params.get(name, "1"), 1, 10**6) or 1
    return Pager(min(asked, max(1, -(-total // size))), total, size)
