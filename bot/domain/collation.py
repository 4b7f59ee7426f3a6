"""Vietnamese alphabetical order, as a dictionary or an official list sorts names.

The alphabet has 29 letters: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y
(ă, â, đ, ê, ô, ơ, ư are letters of their own, after their base letter). Within a
syllable the tone comes second: no tone, then huyền, hỏi, ngã, sắc, nặng. Python's code-point
order puts "Ủy ban" after "Văn phòng" and "Đ" after "Z"; ICU has this tailoring but
needs a compiled extension and a system library for one sort key.
"""

from __future__ import annotations

import functools
import unicodedata

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_RANK = {letter: i for i, letter in enumerate(_ALPHABET)}
# ngang (none), huyền, hỏi, ngã, sắc, nặng
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


Word = tuple[tuple[int, ...], tuple[int, ...]]


# Names come back again and again (a province's agencies, sorted a few times for each page
# and digest): each one's key is worked out once.
@functools.lru_cache(maxsize=8192)
def vietnamese_key(text: str) -> tuple[tuple[Word, ...], str]:
    """Sort key, syllable by syllable as a dictionary does: each word's letters in the
    Vietnamese alphabet, then its tone, before the next word ("Giao thông" before "Giáo
    dục"); the text itself last, so that equal keys still sort the same way every time."""
    return tuple(_word(w) for w in text.casefold().split()), text


def _word(word: str) -> Word:
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", word):
        marks = unicodedata.normalize("NFD", char)
        tones.append(next((_TONES[m] for m in marks if m in _TONES), 0))
        base = unicodedata.normalize("NFC", "".join(m for m in marks if m not in _TONES))
        # Digits and signs before letters, as in printed lists.
        letters.append(1000 + _RANK[base] if base in _RANK else ord(base[0]) if base else 0)
    return tuple(letters), tuple(tones)
