"""Which task already held is which row of a plan imported again, as a person would see it.

A plan revised by inserting or removing a row renumbers every later row: matching by the
STT key alone would give a done task's part to the row that took its number. So a row is
first matched to the held task with the same text (its key may have moved), then, for the
rows left, by key: a held task whose text moved elsewhere is not the row that took its key.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass


def same_text(text: str) -> str:
    """The text as compared: NFC, lower-case, punctuation and runs of spaces as one space;
    diacritics kept ("Việc B." and "việc  b" are the same text; "Việc B" and "Viếc B" are
    not)."""
    text = unicodedata.normalize("NFC", text).casefold()
    return " ".join(re.sub(r"[^\w]+", " ", text).replace("_", " ").split())


@dataclass(frozen=True)
class Held:
    """A task already in the plan: its key and its text, in the plan's order."""

    key: str
    text: str


def match_tasks(rows: Sequence[Held], held: Sequence[Held]) -> dict[str, str]:
    """Row key → the key of the held task it is, for each row that is one.

    1. Same text: the same task, its key the same or moved. Rows and held tasks of one
       text are paired in their order (a text said twice is two tasks).
    2. Same key, another text: the task was edited. A held task whose text a row still
       has was taken by step 1, so the row that took its key is another task.

    Empty texts match by key only. ``rows`` and ``held`` each have distinct keys.
    """
    out: dict[str, str] = {}
    free = {h.key: h for h in held}
    by_text: dict[str, list[Held]] = {}
    for h in free.values():
        if same_text(h.text):
            by_text.setdefault(same_text(h.text), []).append(h)
    for row in rows:
        if row.key in out or not (candidates := by_text.get(same_text(row.text))):
            continue
        h = candidates.pop(0)
        out[row.key] = free.pop(h.key).key
    for row in rows:
        if row.key not in out and row.key in free:
            out[row.key] = free.pop(row.key).key
    return out
