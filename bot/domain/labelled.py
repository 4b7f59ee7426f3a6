"""Enumerations whose members carry the Vietnamese words users read.

A member is its stored value (a ``str``, as in the database and the templates) and has
a ``label``: ``Status.DONE == "done"`` and ``Status.DONE.label == "Hoàn thành"``. The
value and its words are written once, side by side.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Self


class Labelled(StrEnum):
    label: str

    # ``label`` has a default only for the type checker: ``Status("done")`` looks a
    # member up by its value (Enum's own ``__new__``); this one runs only where the
    # members are defined, and there every member must be given its words.
    def __new__(cls, value: str, label: str = "") -> Self:
        if not label:
            raise TypeError(f"{cls.__name__} {value!r}: a member needs its label")
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member
