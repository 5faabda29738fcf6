"""What is kept of a case, and for how long (issue 15, "What is kept").

Case messages are the only message text the system keeps. They are removed `retain_days`
(RETAIN_TEXT_DAYS, default 7) after the case closed, by `python -m bot purge` on a schedule,
and at once when the person asks for their data to be deleted.

Why the message rows are deleted rather than blanked: a blanked row still says who wrote
when, which is a trace of the conversation that nobody needs; the case row keeps what the
counts need (opened, first answer, closed, outcome) and says `text_purged`. On SQLite every
connection overwrites what it deletes with zeros (`secure_delete`, bot/store/db.py); PostgreSQL's
dead tuples go with VACUUM, which autovacuum runs.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from bot.handoff.models import Case, CaseAddress, CaseMessage, CaseStatus

DEFAULT_RETAIN_DAYS = 7


def purge_case_text(
    session: Session, now: dt.datetime, retain_days: int = DEFAULT_RETAIN_DAYS
) -> int:
    """Delete the messages (and their machine translations) of cases closed more than
    `retain_days` ago; returns how many cases were purged."""
    cutoff = now - dt.timedelta(days=retain_days)
    case_ids = list(
        session.scalars(
            select(Case.id).where(
                Case.status == CaseStatus.CLOSED.value,
                Case.closed_at <= cutoff,
                Case.text_purged.is_(False),
            )
        )
    )
    if not case_ids:
        return 0
    session.flush()
    for chunk in _chunks(case_ids):
        session.execute(
            delete(CaseMessage)
            .where(CaseMessage.case_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        # Closing deleted the address already; a case closed by hand in SQL might keep one.
        session.execute(
            delete(CaseAddress)
            .where(CaseAddress.case_id.in_(chunk))
            .execution_options(synchronize_session=False)
        )
        session.execute(
            update(Case)
            .where(Case.id.in_(chunk))
            .values(text_purged=True)
            .execution_options(synchronize_session=False)
        )
    _drop_from_session(session, set(case_ids), forget_cases=False)
    return len(case_ids)


def forget_person(session: Session, pseudonym: str) -> int:
    """Delete every case of the person, with its messages and address, at once (a deletion
    request); returns how many cases. The audit log keeps "case 12 closed by worker 3",
    which names no person once the case is gone."""
    case_ids = list(session.scalars(select(Case.id).where(Case.pseudonym == pseudonym)))
    if not case_ids:
        return 0
    session.flush()
    for chunk in _chunks(case_ids):
        for table in (CaseMessage, CaseAddress):
            session.execute(
                delete(table)
                .where(table.case_id.in_(chunk))
                .execution_options(synchronize_session=False)
            )
        session.execute(
            delete(Case).where(Case.id.in_(chunk)).execution_options(synchronize_session=False)
        )
    _drop_from_session(session, set(case_ids), forget_cases=True)
    return len(case_ids)


def _drop_from_session(session: Session, case_ids: set[int], *, forget_cases: bool) -> None:
    """The bulk deletes bypassed the session: objects it still holds must not show deleted
    text (or a deleted case) to the caller. Everything was flushed before, so nothing the
    caller changed is lost."""
    for obj in list(session.identity_map.values()):
        if isinstance(obj, CaseMessage | CaseAddress) and obj.case_id in case_ids:
            session.expunge(obj)
        elif isinstance(obj, Case) and obj.id in case_ids:
            if forget_cases:
                session.expunge(obj)
            else:
                session.expire(obj)


def _chunks(ids: list[int], size: int = 500) -> list[list[int]]:
    """SQLite limits the number of bound parameters; a purge of years of cases stays inside."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]
