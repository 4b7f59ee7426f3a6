"""Text folding for matching Vietnamese written by hand, with or without diacritics."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Lower-case, strip diacritics (đ → d), and collapse white space.

    "Quý IV  năm\\n2024" and "quy iv nam 2024" fold to the same string.
    """
    decomposed = unicodedata.normalize("NFD", text)
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    stripped = stripped.replace("đ", "d").replace("Đ", "D")
    return " ".join(stripped.lower().split())


def clean(text: str) -> str:
    """Normalise a cell for storage: NFC, single spaces, no stray blanks at the ends."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return " ".join(text.split())


def key(text: str) -> str:
    """A matching key: folded, with punctuation turned into spaces ("KH&ĐT" → "kh dt")."""
    return " ".join(re.sub(r"[^\w]+", " ", fold(text)).split())


def fold_aligned(text: str) -> str:
    """Like :func:`fold` but one character for one: offsets match ``clean``-free NFC text.

    Used where a match on the folded text must cut the original text (milestone notes).
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        base = unicodedata.normalize("NFD", ch)[0].lower()
        out.append("d" if base == "đ" else " " if base.isspace() else base)
    return "".join(out)
