"""Numbers typed by users (ids, percentages): ASCII digits within bounds, or nothing.

``str.isdigit()`` and the regex class ``\\d`` accept far more than 0-9 (superscripts such
as "²", Arabic-Indic and full-width digits), and ``int()`` then either raises or accepts
a number no column can hold. Every id and percentage from a chat or a button is read
here, once. Numbers written for users (:func:`thousands`) are shaped here too.
"""

from __future__ import annotations

import re

# The id columns are INTEGER: PostgreSQL's is 4 bytes (SQLite's would take 8, the
# smaller bound holds for both databases).
ID_MAX = 2_147_483_647

_ASCII_DIGITS = re.compile(r"[0-9]+", re.ASCII)


def bounded_int(text: str, low: int, high: int) -> int | None:
    """``text`` (blanks around it ignored) as an int in ``[low, high]``, if it is only
    ASCII digits; ``None`` otherwise. Never raises, whatever the text."""
    digits = text.strip()
    # A length check first: a 10,000-digit string is refused before int() converts it.
    if len(digits) > len(str(high)) + 8 or not _ASCII_DIGITS.fullmatch(digits):
        return None
    value = int(digits)
    return value if low <= value <= high else None


def parse_id(text: str) -> int | None:
    """A database id typed by a user or carried by a button: 1 … ``ID_MAX``."""
    return bounded_int(text, 1, ID_MAX)


def parse_percent(text: str) -> int | None:
    """A progress percentage: 0 … 100."""
    return bounded_int(text, 0, 100)


def thousands(number: int) -> str:
    """ "3.000": Vietnamese writes thousands with a dot. Here, with no import beyond the
    standard library, so that the chart workers write their counts as the messages do."""
    return f"{number:,}".replace(",", ".")


def percent(share: float | None, digits: int = 1) -> str:
    """A share (0.667) as Vietnamese writes its percentage: "66,7%", a decimal comma and
    a dot in thousands; "–" for none (no files to count)."""
    if share is None:
        return "–"
    text = f"{share * 100:,.{digits}f}"
    return text.replace(",", " ").replace(".", ",").replace(" ", ".") + "%"
