"""The audit log: who did what in the workspace, and when (issue 14).

Why a function of its own: every workflow step writes one line the same way, so the log cannot
drift between routes, and the rule "who is an account, never a migrant" lives in one place.
`target` names what was acted on ("item 12 ht r3") and `detail` says briefly how; neither ever
holds the text of a message a person sent to the assistant.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.store.models import Account, AuditEntry

# The column widths of audit_log (bot/store/models.py); the detail is kept short on purpose:
# the log says what happened, the revisions keep the texts.
TARGET_MAX_CHARS = 160
DETAIL_MAX_CHARS = 300


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def record(
    session: Session,
    account: Account | None,
    action: str,
    target: str,
    detail: str | None = None,
    *,
    now: dt.datetime,
) -> AuditEntry:
    """Add one line to the log, in the caller's transaction: the line and the change it
    describes are committed (or rolled back) together. `account` None is the system itself
    (an import run from the command line), never a person writing to the assistant."""
    entry = AuditEntry(
        at=now,
        account_id=account.id if account is not None else None,
        organisation_id=account.organisation_id if account is not None else None,
        action=action,
        target=_shorten(target, TARGET_MAX_CHARS),
        detail=_shorten(detail, DETAIL_MAX_CHARS) if detail else None,
    )
    session.add(entry)
    return entry


def recent(session: Session, organisation_id: int, *, limit: int = 100) -> list[AuditEntry]:
    """An organisation's log, newest first: what its admins and reviewers read."""
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.organisation_id == organisation_id)
            .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(limit)
        )
    )
