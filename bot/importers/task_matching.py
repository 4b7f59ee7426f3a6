"""Which task already held is which row of a plan imported again, as a person would see it.

A plan revised by inserting or removing a row renumbers every later row: matching by the
STT key alone would give a done task's part to the row that took its number. So a row is
first matched to the held task with the same text (its key may have moved), then to the
held task whose text it closely resembles (a task moved and reworded a little), then, for
the rows left, by key: a held task whose text moved elsewhere is not the row that took
its key. A held task with work recorded (a part done, progress, an extension) is matched
by key only to a row whose text still resembles it: a different task put in its place
is a new task, and the old one stays as it was (reported missing).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher

# How alike two texts must be (difflib's ratio of their compared forms, 0 to 1).
REWORDED = 0.7  # a row this like a held task is that task, reworded (and perhaps moved)
EDITED = 0.5  # a row at a worked task's key at least this like it is that task, edited
NEAR = 10  # places apart, at most, of a row and a held task step 2 compares


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


def alike(a: str, b: str) -> float:
    """How alike two task texts are, 0 to 1, compared as :func:`same_text` does."""
    return SequenceMatcher(None, same_text(a), same_text(b), autojunk=False).ratio()


def _alike_enough(a: str, b: str) -> float:
    """:func:`alike` of two compared forms when it reaches :data:`REWORDED`, else 0: the
    cheap upper bounds first (lengths, then letters), so that a plan of hundreds of
    reworded tasks is not hundreds of thousands of full comparisons."""
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < REWORDED or matcher.quick_ratio() < REWORDED:
        return 0.0
    ratio = matcher.ratio()
    return ratio if ratio >= REWORDED else 0.0


def match_tasks(
    rows: Sequence[Held], held: Sequence[Held], worked: Collection[str] = ()
) -> dict[str, str]:
    """Row key → the key of the held task it is, for each row that is one.

    1. Same text: the same task, its key the same or moved. Rows and held tasks of one
       text are paired in their order (a text said twice is two tasks).
    2. A text at least :data:`REWORDED` alike, at most :data:`NEAR` places away: the
       task was reworded, and perhaps moved; the most alike pairs first.
    3. Same key, another text: the task was edited; unless the held task is in
       ``worked`` (keys of tasks with work recorded) and the row is less than
       :data:`EDITED` alike: then the row is a new task and the held one stays.

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
    # Step 2 looks only near each row's place: rows inserted or removed move a task by
    # a few places, and comparing every pair of a long plan would take minutes.
    place = {h.key: j for j, h in enumerate(held)}
    scored = sorted(
        (score, i, row.key, h.key)
        for i, row in enumerate(rows) if row.key not in out and same_text(row.text)
        for h in free.values()
        if abs(place[h.key] - i) <= NEAR and same_text(h.text)
        and (score := _alike_enough(same_text(row.text), same_text(h.text)))
    )  # fmt: skip
    for _score, _i, row_key, held_key in sorted(scored, key=lambda x: (-x[0], x[1])):
        if row_key not in out and held_key in free:
            out[row_key] = free.pop(held_key).key
    texts = {r.key: r.text for r in rows}
    for row in rows:
        if row.key in out or row.key not in free:
            continue
        h = free[row.key]
        if h.key in worked and same_text(h.text) and alike(texts[row.key], h.text) < EDITED:
            continue  # another task in a worked task's place
        out[row.key] = free.pop(row.key).key
    return out
