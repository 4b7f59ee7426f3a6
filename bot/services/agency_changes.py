"""The registry's history: recording an agency's change and re-routing its work.

The rules (who does a changed agency's work on a day) are in
:mod:`bot.domain.agency_history`; this module reads and writes the rows.
"""

from __future__ import annotations

from collections import defaultdict

from sqlmodel import Session, col, select

from bot.domain.agency_history import Change, ChangeKind, History
from bot.models import Agency, AgencyChange, AgencySuccessor


def load_history(session: Session) -> History:
    """Every recorded change (applied or still ahead), by agency code."""
    codes = {a.id: a.code for a in session.exec(select(Agency))}
    successors: dict[int, list[str]] = defaultdict(list)
    for link in session.exec(select(AgencySuccessor).order_by(col(AgencySuccessor.position))):
        successors[link.change_id].append(codes[link.agency_id])
    return History(
        Change(
            code=codes[c.agency_id],
            kind=ChangeKind(c.kind),
            on=c.effective_on,
            act=c.act,
            successors=tuple(successors[c.id or 0]),
        )
        for c in session.exec(select(AgencyChange))
    )
