"""A document's issue date as its header block writes it: "Đồng Nai, ngày 15 tháng 10 năm
2024", "Đồng Nai, ngày 05/3/2024", and the draft's "ngày    tháng 10 năm 2024"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

# Every warning about the issue date opens with these words (the import's own "no date"
# warning is then left out: this one says why).
ISSUE_DATE = "ngày ban hành"

_BLANK = r"[\s_.…]*"  # a day or month left blank to fill in at signing: spaces, "__", "…"
_PLACE = r"(?:(?P<place>[^,\d]{2,60}),\s*)?"
_IN_WORDS = re.compile(
    rf"^{_PLACE}ngày\s*(?P<d>\d{{1,2}})?{_BLANK}tháng\s*(?P<m>\d{{1,2}})?{_BLANK}"
    r"năm\s*(?P<y>\d{4})",
    re.IGNORECASE,
)
_IN_FIGURES = re.compile(
    rf"^{_PLACE}ngày\s*(?P<d>\d{{1,2}})\s*[/.-]\s*(?P<m>\d{{1,2}})\s*[/.-]\s*(?P<y>\d{{4}})",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class IssueDate:
    """The date read (None when it is incomplete or not a real day), its year (known even
    then), and what is wrong with it in words ("" when nothing)."""

    on: date | None
    year: int
    problem: str = ""


def read_issue_date(line: str) -> IssueDate | None:
    """The issue date a header line gives, or None when the line is none: "PLACE, ngày …"
    at the line's start, or "ngày …" alone on its line (a body sentence "ngày 15 tháng 10
    năm 2024, Sở …" is not one)."""
    text = " ".join(line.split())
    m = _IN_WORDS.match(text) or _IN_FIGURES.match(text)
    if m is None or (not m.group("place") and text[m.end() :].strip(" .")):
        return None
    year = int(m["y"])
    said = f"ngày {m['d'] or '…'} tháng {m['m'] or '…'} năm {year}"  # a blank as "…"
    if m.re is _IN_FIGURES:
        said = m.group(0)[len(m.group("place") or "") :].lstrip(", ")
    if not m.group("d") or not m.group("m"):
        return IssueDate(None, year, (
            f"{ISSUE_DATE} “{said}” chưa ghi đủ ngày, tháng (văn bản chưa ký?): kế hoạch không "
            f"có ngày, hạn không ghi năm lấy năm {year}; dùng --date dd/mm/yyyy khi đã có ngày"
        ))  # fmt: skip
    try:
        return IssueDate(date(year, int(m["m"]), int(m["d"])), year)
    except ValueError:
        return IssueDate(None, year, (
            f"{ISSUE_DATE} “{said}” là ngày không có thật: kế hoạch không có ngày, hạn không "
            f"ghi năm lấy năm {year}; hãy xem lại văn bản, dùng --date dd/mm/yyyy"
        ))  # fmt: skip
