"""Applicants' names as a public list may show them (the publication of late files and
apology letters, ``/cong-khai/ho-so-tre-han``, and ``dondoc apologies``' page).

A person's name is personal data (Nghị định 13/2023/NĐ-CP on personal data protection)
and publishing the late files must not publish who asked what of which agency. Yet the
applicant must recognise their own file, and readers must see that the list is of real
files. The practice of published lists in Vietnam is to keep the family name and the
initials of the other names: "Nguyễn Văn An" → "Nguyễn V. A.". Most people share a
handful of family names (Nguyễn, Trần, Lê…), so it identifies no one; with the file code
(printed on the applicant's receipt) the applicant finds theirs.

An organisation (a company, a cooperative, a school…) has no such right: its name is
public in the business register, and it is how the public judges the agency's record,
so it is kept whole. A household business ("Hộ kinh doanh Nguyễn Văn An") is named after
a person: the person's part is shortened.
"""

from __future__ import annotations

import re

from bot.domain.text import fold

# How an organisation's name begins (folded: no diacritics, lower case, "đ" as "d").
# Words that are also family names are not among them alone ("Trương" folds as "truong",
# "Viên" as "vien", "Bàn" as "ban"): a person kept whole would be the worse mistake.
_ORGANISATIONS = (
    "cong ty", "cty ", "tong cong ty", "doanh nghiep", "chi nhanh", "van phong dai dien",
    "hop tac xa", "htx ", "lien hiep", "to hop tac", "ngan hang", "quy tin dung",
    "truong mam non", "truong tieu hoc", "truong trung hoc", "truong thcs", "truong thpt",
    "truong dai hoc", "truong cao dang", "truong trung cap", "benh vien", "phong kham",
    "trung tam", "hiep hoi", "co quan", "uy ban", "ubnd ", "nha may", "xi nghiep",
    "tap doan", "nha thuoc", "co so ", "dia diem kinh doanh",
)  # fmt: skip
# Household businesses and family groups: a person's name follows the words.
_NAMED_AFTER_A_PERSON = ("ho kinh doanh", "ho gia dinh", "ho ong", "ho ba")
# A form of address kept as written before the shortened name.
_ADDRESS = ("ong/ba", "ong", "ba", "anh", "chi")
# Text after these is a remark ("Nguyễn Văn An (ủy quyền)", "…, đại diện …"), dropped.
_REMARK = re.compile(r"\s*[(,;]|\s+-\s+")


NO_NAME = "(không rõ tên)"  # in a sentence: "Sở Y tế – (không rõ tên), nộp ngày 02/01/2025"


def public_name(name: str) -> str:
    """``name`` as a published list shows it: a person's family name and the initials of
    the others ("Nguyễn Văn An" → "Nguyễn V. A.", "Ông Trần Minh" → "Ông Trần M.", a
    single word "An" → "A."), an organisation's whole ("Công ty TNHH Minh Phát"), a
    household business with its person shortened ("Hộ kinh doanh Lê Thị Hoa" → "Hộ kinh
    doanh Lê T. H."). A remark after the name (in brackets, after a comma, semicolon or
    " - ") is dropped: it may name another person ("Công ty X (người nộp: …)").
    :data:`NO_NAME` for a name with no letter to show (blank, "=1+1", an id number, which
    is not published)."""
    text = _REMARK.split(" ".join(name.split()), maxsplit=1)[0]
    folded = fold(text)
    if not any(c.isalpha() for c in text):
        return NO_NAME
    if folded.startswith(_ORGANISATIONS):
        return text
    for lead in _NAMED_AFTER_A_PERSON:
        if folded.startswith(lead + " "):
            cut = len(lead.split())
            words = text.split(" ")
            return " ".join([*words[:cut], _person(" ".join(words[cut:]))]).strip()
    return _person(text)


def _person(text: str) -> str:
    words = text.split()
    if not words:
        return ""
    title: list[str] = []
    if len(words) > 1 and fold(words[0]) in _ADDRESS:
        title, words = words[:1], words[1:]
    if len(words) == 1:  # a lone given name: the initial, as for the others
        return " ".join([*title, _initial(words[0])]).strip()
    return " ".join([*title, words[0], *(i for w in words[1:] if (i := _initial(w)))])


def _initial(word: str) -> str:
    """ "Văn" → "V.", "ánh" → "Á."; "" for a word without a letter."""
    letter = next((c for c in word if c.isalpha()), "")
    return f"{letter.upper()}." if letter else ""
