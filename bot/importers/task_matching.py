"""Which task already held is which row of a plan imported again, as a person would see it.

A plan revised by inserting or removing a row renumbers every later row: matching by the
STT key alone would give a done task's part to the row that took its number. So a row is
first matched to the held task with the same text (its key may have moved), then to the
held task whose text it closely resembles (a task moved and reworded a little), then, for
the rows left, by key: a held task whose text moved elsewhere is not the row that took
its key. A held task with work recorded (a part done, progress, an extension) is matched
by key only to a row whose text still resembles it: a different task put in its place
is a new task, and the old one stays as it was (reported missing).

Plans repeat some texts ("Báo cáo kết quả thực hiện Kế hoạch" in each appendix, each
with its lead). Among held tasks of a row's text, the row is the one with its lead
agencies, then the one in its place in the plan's order (the rows around it unchanged),
then the one with its key: a revision dropping one copy drops that copy, not the work
an agency recorded on another.
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
    # The lead agencies its lead cell names (their codes), or the cell as compared when it
    # names none; empty: not known (never the same as another's).
    lead: frozenset[str] = frozenset()


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

    1. Same text: the same task, its key the same or moved. A text said twice is two
       tasks: see :func:`_same_texts` for which is which.
    2. A text at least :data:`REWORDED` alike, at most :data:`NEAR` places away: the
       task was reworded, and perhaps moved; the most alike pairs first, and of pairs
       as alike (a text said twice), those of the same lead, then of the same key.
    3. Same key, another text: the task was edited; unless the held task is in
       ``worked`` (keys of tasks with work recorded) and the row is less than
       :data:`EDITED` alike: then the row is a new task and the held one stays.

    Empty texts match by key only. ``rows`` and ``held`` each have distinct keys.
    """
    free = {h.key: h for h in held}
    out = {row_key: free.pop(held_key).key for row_key, held_key in _same_texts(rows, held)}
    # Step 2 looks only near each row's place: rows inserted or removed move a task by
    # a few places, and comparing every pair of a long plan would take minutes.
    place = {h.key: j for j, h in enumerate(held)}
    scored = sorted(
        (-score, not _same_lead(row, h), row.key != h.key, i, abs(place[h.key] - i), row.key, h.key)
        for i, row in enumerate(rows) if row.key not in out and same_text(row.text)
        for h in free.values()
        if abs(place[h.key] - i) <= NEAR and same_text(h.text)
        and (score := _alike_enough(same_text(row.text), same_text(h.text)))
    )  # fmt: skip
    for *_, row_key, held_key in scored:
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


def _same_lead(row: Held, held: Held) -> bool:
    return bool(row.lead) and row.lead == held.lead


def _same_texts(rows: Sequence[Held], held: Sequence[Held]) -> list[tuple[str, str]]:
    """(row key, held key) of each row and held task of the same (non-empty) text, each
    once. Of several held tasks of a row's text, the row is first the one of its lead
    (:attr:`Held.lead`), then the one in its place in the plan's order, then the one of
    its key, then they pair in their order.

    The lead first: a copy dropped above another renumbers it into the dropped one's
    place and key, but its lead still says whose it is. The place: a row aligned with its
    neighbours in the rest of the plan (difflib's matching blocks of the two lists of
    texts, two rows or more), so that a row inserted above two copies shifts them both,
    rather than crossing them over to the keys they took from each other.
    """
    # An empty text is a placeholder its own, aligned with nothing.
    row_texts = [same_text(r.text) or f"\0r{i}" for i, r in enumerate(rows)]
    held_texts = [same_text(h.text) or f"\0h{j}" for j, h in enumerate(held)]
    blocks = SequenceMatcher(None, held_texts, row_texts, autojunk=False).get_matching_blocks()
    # A row aligned alone (its neighbours changed) is no sign of its place: its text's
    # first copy in the gap, whichever it is.
    aligned = {(b.b + k, b.a + k) for b in blocks if b.size > 1 for k in range(b.size)}
    by_text: dict[str, list[int]] = {}
    for j, text in enumerate(held_texts):
        by_text.setdefault(text, []).append(j)
    ranked = sorted(
        (not _same_lead(row, held[j]), (i, j) not in aligned, row.key != held[j].key, i, j)
        for i, row in enumerate(rows)
        for j in by_text.get(row_texts[i], ())
    )  # fmt: skip
    pairs: list[tuple[str, str]] = []
    rows_left, held_left = set(range(len(rows))), set(range(len(held)))
    for *_, i, j in ranked:
        if i in rows_left and j in held_left:
            rows_left.discard(i)
            held_left.discard(j)
            pairs.append((rows[i].key, held[j].key))
    return pairs
