"""Vietnamese alphabetical order, as a dictionary or an official list sorts names.

The alphabet has 29 letters: a ă â b c d đ e ê g h i k l m n o ô ơ p q r s t u ư v x y
(ă, â, đ, ê, ô, ơ, ư are letters of their own, after their base letter). Tones come
second: a word without a tone, then huyền, hỏi, ngã, sắc, nặng. Python's code-point
order puts "Ủy ban" after "Văn phòng" and "Đ" after "Z"; ICU has this tailoring but
needs a compiled extension and a system library for one sort key.
"""

from __future__ import annotations

import unicodedata

_ALPHABET = "aăâbcdđeêghiklmnoôơpqrstuưvxy"
_RANK = {letter: i for i, letter in enumerate(_ALPHABET)}
# ngang (none), huyền, hỏi, ngã, sắc, nặng
_TONES = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


def vietnamese_key(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[int, ...], str]:
    """Sort key: letters in the Vietnamese alphabet first, then tones, then the text."""
    letters: list[tuple[int, int]] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFC", text.casefold()):
        marks = unicodedata.normalize("NFD", char)
        tone = next((_TONES[m] for m in marks if m in _TONES), 0)
        base = unicodedata.normalize("NFC", "".join(m for m in marks if m not in _TONES))
        if base in _RANK:
            letters.append((1, _RANK[base]))  # letters after digits and spaces, as in lists
        elif base.isspace():
            letters.append((0, 0))
        else:
            letters.append((0, ord(base[0]) if base else 0))
        tones.append(tone)
    return tuple(letters), tuple(tones), text
