"""The types of the benchmarks' options, for argparse's ``type=``: a size of 0 or past its
maximum, a negative latency, "nan" or a database URL of an unknown kind is argparse's usage
error (exit 2, no traceback) before any database is built, never a crash deep inside a run
or gigabytes of memory taken for a typo."""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable


def _number(text: str, kind: type[int] | type[float]) -> float:
    try:
        value = kind(text)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise argparse.ArgumentTypeError(f"{what} is needed, not {text!r}") from None
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"a finite number is needed, not {text!r}")
    return value


MOST = 10_000_000  # the most of anything a benchmark builds: ten times the issue's export


def count(most: int) -> Callable[[str], int]:
    """The type of a count of things to build: from 1 to ``most``."""

    def parse(text: str) -> int:
        value = int(_number(text, int))
        if not 1 <= value <= most:
            raise argparse.ArgumentTypeError(f"must be from 1 to {most:,}, not {value}")
        return value

    parse.__name__ = "count"  # argparse names the type in some errors
    return parse


positive_int = count(MOST)  # a count with no maximum of its own


def at_most(most: float) -> Callable[[str], float]:
    """The type of a duration that may be nothing: from 0 to ``most``, finite."""

    def parse(text: str) -> float:
        value = _number(text, float)
        if not 0 <= value <= most:
            raise argparse.ArgumentTypeError(f"must be from 0 to {most:g}, not {text}")
        return value

    parse.__name__ = "duration"
    return parse


def fraction(text: str) -> float:
    """A share of something: from 0 to 1."""
    value = _number(text, float)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"must be from 0 to 1, not {text}")
    return value


def scaled(issue: int, scale: float) -> int:
    """``scale`` × a size of issue #13's, rounded: at least 1 (``python -m bench`` refuses a
    size at which a benchmark would need more than its scaled size)."""
    return max(1, round(issue * scale))
