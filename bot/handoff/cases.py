"""The handoff service: a person's case from opening to closing, as the pipeline and the
caseworker inbox call it. Every function takes `now` (bot/clock.py): case ages, WhatsApp's
24-hour window and retention are all tested on a simulated clock.

Rules kept here so that no route can forget them:
- One open case per person (a partial unique index backs it across gateways); asking again
  returns the same case, made more urgent if the new reason is.
- Only workers of the case's organisation act on it; only the worker who claimed a case
  answers it, and taking over someone else's claim is explicit and audited, so two workers
  never answer the same person without knowing.
- Answers go through the outbox (retries, per-person order) to the person's own channel,
  with the address decrypted only for that moment. On WhatsApp outside the 24-hour window an
  answer goes as the approved template.
- The web chat cannot be written to later: it only answers the request a page makes
  (bot/channels/webchat/routes.py has no push, poll or socket, and there is no outbox sender
  for it). So an answer to a web-chat case is stored as `SentAs.WEB_PICKUP` and handed to the
  page the next time it asks (`web_messages_for`, from the next message or a poll the chat
  page can add); `delivered_at` marks it handed over, so it is shown once.
- The audit log names accounts and cases, never a text or an address.
"""

from __future__ import annotations

import datetime as dt
import logging
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from bot.channels.splitting import split_message
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.webchat import CHANNEL as WEB
from bot.channels.whatsapp import CHANNEL as WHATSAPP
from bot.channels.whatsapp.render import BODY_LIMIT, TEMPLATE_BODY_LIMIT
from bot.channels.whatsapp.window import outside_window, window_open
from bot.handoff import addresses, hours
from bot.handoff.models import (
    PRIORITY,
    Author,
    Case,
    CaseMessage,
    CaseReason,
    CaseStatus,
    Outcome,
    SavedReply,
    SentAs,
)
from bot.handoff.routing import choose_organisation
from bot.outbox import queue
from bot.store import conversations
from bot.store.db import as_utc
from bot.store.models import Account, Organisation, Role
from bot.workspace import audit

log = logging.getLogger(__name__)

CHANNELS = frozenset({WHATSAPP, TELEGRAM, WEB})
# Who may claim, answer, note and close cases of their own organisation. The workspace's
# permission table may later give the right to more roles; this is the floor.
ANSWERING_ROLES = frozenset({Role.CASEWORKER.value, Role.ADMIN.value})
# Telegram counts 4,096 UTF-16 units; 2,048 characters never exceed that, emoji or not.
TELEGRAM_PART_CHARS = 2048


class HandoffError(Exception):
    """A request on a case that cannot be carried out; the message says why."""


class NotAllowed(HandoffError):
    """The account may not do this to this case (another organisation, not the claimer)."""


class AlreadyClaimed(HandoffError):
    """Someone else holds the case; `take_over=True` takes it, on the record."""

    def __init__(self, claimed_by_id: int | None) -> None:
        super().__init__("another worker has claimed this case")
        self.claimed_by_id = claimed_by_id


class CaseNotOpen(HandoffError):
    """The case is closed: nothing more is sent or received in it."""


class DeliveryRefused(HandoffError):
    """Not sent: the person wrote STOP, the address is gone, or WhatsApp's window is closed
    and no template is configured (or the text is too long for the template)."""


@dataclass(frozen=True)
class CaseOpened:
    """What the pipeline tells the person once: who will answer and roughly when."""

    case: Case
    organisation: Organisation
    is_new: bool
    open_now: bool
    # When the organisation opens next (its own time zone); None when open now or never.
    next_opening: dt.datetime | None


# Opening and finding cases -------------------------------------------------------------


def open_case_for(session: Session, pseudonym: str) -> Case | None:
    """The person's open case, if any: while there is one the bot stays silent (except the
    emergency fast path) and the person's messages go to the case."""
    return session.scalars(
        select(Case).where(Case.pseudonym == pseudonym, Case.status == CaseStatus.OPEN.value)
    ).first()


def _hours_of(organisation: Organisation, now: dt.datetime) -> tuple[bool, dt.datetime | None]:
    try:
        table, zone = organisation.opening_hours or {}, organisation.time_zone or "UTC"
        if hours.is_open(table, zone, now):
            return True, None
        return False, hours.next_opening(table, zone, now)
    except (ValueError, ZoneInfoNotFoundError):
        return False, None


def _opened(case: Case, is_new: bool, now: dt.datetime) -> CaseOpened:
    open_now, opening = _hours_of(case.organisation, now)
    return CaseOpened(case, case.organisation, is_new, open_now, opening)


def raise_reason(case: Case, reason: CaseReason) -> None:
    """A more urgent reason moves the case up the inbox (an emergency written inside a case
    opened for "other"); a less urgent one never moves it down."""
    if PRIORITY[reason] > case.priority:
        case.reason, case.priority = reason.value, PRIORITY[reason]


def _join_existing(case: Case, reason: CaseReason, now: dt.datetime) -> CaseOpened:
    raise_reason(case, reason)
    case.last_person_message_at = now
    return _opened(case, False, now)


def open_case(
    session: Session,
    *,
    pseudonym: str,
    channel: str,
    address: str,
    language: str | None,
    country: str | None,
    reason: str,
    now: dt.datetime,
    keys: Sequence[bytes],
    default_name: str | None = None,
    organisation: Organisation | None = None,
) -> CaseOpened:
    """Open a case for the person, or return the one already open (more urgent if the new
    reason is). `address` is the raw phone number, chat id or web-chat cookie: it is stored
    only encrypted, with the case, until the case closes. `organisation`: chosen already by
    the caller (`choose_organisation`), else chosen here."""
    why = CaseReason(reason)
    if channel not in CHANNELS:
        raise HandoffError(f"unknown channel {channel!r}")
    existing = open_case_for(session, pseudonym)
    if existing is not None:
        return _join_existing(existing, why, now)
    organisation = organisation or choose_organisation(
        session, country, language, now=now, default_name=default_name
    )
    case = Case(
        pseudonym=pseudonym,
        channel=channel,
        organisation=organisation,
        language=language,
        country=country.upper() if country else None,
        reason=why.value,
        priority=PRIORITY[why],
        status=CaseStatus.OPEN.value,
        opened_at=now,
        last_person_message_at=now,
        text_purged=False,
    )
    try:
        with session.begin_nested():
            session.add(case)
            session.flush()
    except IntegrityError:
        # Another gateway opened this person's case a moment ago: join it.
        existing = open_case_for(session, pseudonym)
        if existing is None:
            raise
        return _join_existing(existing, why, now)
    addresses.store(session, case, address, keys)
    session.flush()
    return _opened(case, True, now)


# Messages -----------------------------------------------------------------------------


def _require_open(case: Case) -> None:
    if not case.is_open:
        raise CaseNotOpen(f"case {case.id} is closed")


def add_person_message(session: Session, case: Case, text: str, now: dt.datetime) -> CaseMessage:
    """A message from the person while the case is open; it also reopens WhatsApp's window."""
    _require_open(case)
    message = CaseMessage(case=case, author=Author.PERSON.value, text=text, created_at=now)
    case.last_person_message_at = now
    session.add(message)
    session.flush()
    return message


def add_translation(message: CaseMessage, translation: str, language: str) -> None:
    """A machine translation shown beside the original (which stays as it was written)."""
    message.machine_translation = translation
    message.machine_translation_language = language


def may_answer(account: Account, case: Case) -> bool:
    """Whether the account may claim, answer, note and close this case."""
    return (
        account.active
        and account.role in ANSWERING_ROLES
        and account.organisation_id == case.organisation_id
    )


def _require_worker(account: Account, case: Case) -> None:
    if not may_answer(account, case):
        raise NotAllowed("only a caseworker of the case's organisation can do this")


def add_note(
    session: Session, case: Case, account: Account, text: str, now: dt.datetime
) -> CaseMessage:
    """An internal note: workers see it in the transcript, the person never does."""
    _require_worker(account, case)
    if not text.strip():
        raise HandoffError("a note needs some text")
    note = CaseMessage(
        case=case, author=Author.NOTE.value, account_id=account.id, text=text, created_at=now
    )
    session.add(note)
    audit.record(session, account, "case_note", f"case {case.id}", now=now)
    session.flush()
    return note


def transcript(
    session: Session,
    case: Case,
    *,
    reader: Account | None = None,
    now: dt.datetime | None = None,
) -> list[CaseMessage]:
    """The case's messages, oldest first. With `reader` (and `now`), the reading is audited:
    the log says who read which case, as the issue asks."""
    if reader is not None:
        if now is None:
            raise ValueError("an audited read needs `now`")
        _require_worker(reader, case)
        audit.record(session, reader, "case_read", f"case {case.id}", now=now)
    return list(
        session.scalars(
            select(CaseMessage)
            .where(CaseMessage.case_id == case.id)
            .order_by(CaseMessage.created_at, CaseMessage.id)
        )
    )


# Claiming -----------------------------------------------------------------------------


def claim(
    session: Session, case: Case, account: Account, now: dt.datetime, *, take_over: bool = False
) -> Case:
    """The account takes the case: from now on only it answers. A case held by someone else
    is refused (AlreadyClaimed) unless `take_over`, which is audited with the previous holder.

    A compare-and-set UPDATE, not read-then-write: two workers clicking "claim" at the same
    moment on two gateways cannot both win."""
    _require_worker(account, case)
    _require_open(case)
    previous = case.claimed_by_id
    if previous == account.id:
        return case
    if previous is not None and not take_over:
        raise AlreadyClaimed(previous)
    holder = Case.claimed_by_id.is_(None) if previous is None else Case.claimed_by_id == previous
    result = session.execute(
        update(Case)
        .where(Case.id == case.id, Case.status == CaseStatus.OPEN.value, holder)
        .values(claimed_by_id=account.id, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]  # CursorResult
        session.refresh(case)  # what the database holds, not what this session read
        _require_open(case)
        raise AlreadyClaimed(case.claimed_by_id)
    # The row holds these now; the object learns them without another write.
    set_committed_value(case, "claimed_by_id", account.id)
    set_committed_value(case, "claimed_at", now)
    session.expire(case, ["claimed_by"])
    if previous is None:
        audit.record(session, account, "case_claim", f"case {case.id}", now=now)
    else:
        audit.record(
            session,
            account,
            "case_take_over",
            f"case {case.id}",
            f"from account {previous}",
            now=now,
        )
    return case


def release(session: Session, case: Case, account: Account, now: dt.datetime) -> Case:
    """The claimer gives the case back to the inbox (end of a shift)."""
    _require_worker(account, case)
    if case.claimed_by_id != account.id:
        raise NotAllowed("only the worker who claimed the case can release it")
    case.claimed_by_id, case.claimed_at = None, None
    audit.record(session, account, "case_release", f"case {case.id}", now=now)
    session.flush()
    return case


# Sending ------------------------------------------------------------------------------


def whatsapp_window_open(case: Case, now: dt.datetime) -> bool:
    """Whether free text reaches this WhatsApp person now (the inbox says when it does not)."""
    return window_open(case.last_person_message_at, now)


def _telegram_parts(text: str) -> list[dict[str, Any]]:
    return [{"text": part} for part in split_message(text, TELEGRAM_PART_CHARS) if part]


def _whatsapp_payloads(
    case: Case, text: str, now: dt.datetime, window_template: str | None
) -> tuple[list[dict[str, Any]], SentAs]:
    if whatsapp_window_open(case, now):
        parts = [{"body": part} for part in split_message(text, BODY_LIMIT) if part]
        return parts, SentAs.FREE_TEXT
    if not window_template:
        raise DeliveryRefused(
            "more than 24 hours since the person's last message and no "
            "WHATSAPP_WINDOW_TEMPLATE configured: WhatsApp would reject free text"
        )
    if len(text) > TEMPLATE_BODY_LIMIT:
        raise DeliveryRefused(
            f"outside WhatsApp's 24-hour window the answer goes as the template, which holds "
            f"at most {TEMPLATE_BODY_LIMIT} characters: shorten it"
        )
    return [outside_window(text, window_template)], SentAs.TEMPLATE


def _deliver(
    session: Session,
    case: Case,
    text: str,
    now: dt.datetime,
    keys: Sequence[bytes],
    window_template: str | None,
) -> SentAs:
    """Queue `text` to the person's channel; nothing is queued when it raises."""
    if case.channel == WEB:
        return SentAs.WEB_PICKUP
    conversation = conversations.get(session, case.pseudonym)
    if conversation is not None and conversation.opted_out:
        raise DeliveryRefused("the person wrote STOP: nothing is sent until they write START")
    address = addresses.address_of(session, case, keys)
    if address is None:
        raise DeliveryRefused("the case has no address any more")
    if case.channel == TELEGRAM:
        payloads, sent_as = _telegram_parts(text), SentAs.FREE_TEXT
    else:
        payloads, sent_as = _whatsapp_payloads(case, text, now, window_template)
    queue.enqueue(session, case.channel, address, payloads, now)
    return sent_as


def reply(
    session: Session,
    case: Case,
    account: Account,
    text: str,
    now: dt.datetime,
    *,
    keys: Sequence[bytes],
    window_template: str | None,
    written_as: tuple[str, str] | None = None,
) -> SentAs:
    """The claimer's answer, queued to the person's channel and kept in the transcript.
    `written_as` is (the worker's own text, its language) when `text` is a machine
    translation of it (bot/handoff/language_help.py): kept beside what was sent."""
    _require_worker(account, case)
    _require_open(case)
    if case.claimed_by_id != account.id:
        raise NotAllowed("claim the case before answering it")
    if not text.strip():
        raise HandoffError("an answer needs some text")
    sent_as = _deliver(session, case, text, now, keys, window_template)
    original, original_language = written_as or (None, None)
    session.add(
        CaseMessage(
            case=case,
            author=Author.WORKER.value,
            account_id=account.id,
            text=text,
            created_at=now,
            sent_as=sent_as.value,
            machine_translation=original,
            machine_translation_language=original_language,
        )
    )
    if case.first_answer_at is None:
        case.first_answer_at = now
    audit.record(session, account, "case_reply", f"case {case.id}", sent_as.value, now=now)
    session.flush()
    return sent_as


def notify(
    session: Session,
    case: Case,
    text: str,
    now: dt.datetime,
    *,
    keys: Sequence[bytes],
    window_template: str | None = None,
) -> SentAs:
    """A message from the assistant itself to the person of a case (the hotline when the
    case is escalated, the goodbye when it closes), in words the caller chose from the
    translations; kept in the transcript so workers see what the person was told."""
    sent_as = _deliver(session, case, text, now, keys, window_template)
    session.add(
        CaseMessage(
            case=case, author=Author.SYSTEM.value, text=text, created_at=now, sent_as=sent_as.value
        )
    )
    session.flush()
    return sent_as


def web_messages_for(session: Session, pseudonym: str, now: dt.datetime) -> list[CaseMessage]:
    """Answers waiting for a web-chat person, oldest first, marked handed over: the web chat
    shows them with its next response (the person's next message, or a poll)."""
    waiting = list(
        session.scalars(
            select(CaseMessage)
            .join(Case, CaseMessage.case_id == Case.id)
            .where(
                Case.pseudonym == pseudonym,
                CaseMessage.sent_as == SentAs.WEB_PICKUP.value,
                CaseMessage.delivered_at.is_(None),
            )
            .order_by(CaseMessage.created_at, CaseMessage.id)
        )
    )
    for message in waiting:
        message.delivered_at = now
    session.flush()
    return waiting


# Closing and escalating ---------------------------------------------------------------


def close(
    session: Session,
    case: Case,
    account: Account,
    outcome: str,
    now: dt.datetime,
    *,
    goodbye: str | None = None,
    keys: Sequence[bytes] = (),
    window_template: str | None = None,
) -> Case:
    """Close the case: the address is deleted and the conversation goes back to the bot.

    The person must hear that the assistant answers again, and after closing there is no
    address to say it with, so the caller passes the words (`goodbye`, in the case's
    language, from the translations) and they are queued before the address goes. A goodbye
    that cannot be sent (STOP, WhatsApp's window and no template) does not stop the close.
    Any worker of the organisation may close (a duplicate need not be claimed first)."""
    _require_worker(account, case)
    _require_open(case)
    result = Outcome(outcome)
    if goodbye:
        try:
            notify(session, case, goodbye, now, keys=keys, window_template=window_template)
        except DeliveryRefused as error:
            log.info("case %d closed without a goodbye: %s", case.id, error)
    case.status = CaseStatus.CLOSED.value
    case.closed_at = now
    case.outcome = result.value
    addresses.forget(session, case)
    audit.record(session, account, "case_close", f"case {case.id}", result.value, now=now)
    session.flush()
    return case


def overdue(
    session: Session, organisation_id: int | None, answer_within: dt.timedelta, now: dt.datetime
) -> list[Case]:
    """Open cases nobody has answered within `answer_within` (the inbox shows them as
    overdue; None: every organisation, for the scheduler), most urgent and oldest first.
    Already escalated cases stay in the list: they are still unanswered."""
    query = select(Case).where(
        Case.status == CaseStatus.OPEN.value,
        Case.first_answer_at.is_(None),
        Case.opened_at <= now - answer_within,
    )
    if organisation_id is not None:
        query = query.where(Case.organisation_id == organisation_id)
    return list(session.scalars(query.order_by(Case.priority.desc(), Case.opened_at, Case.id)))


def escalate(session: Session, case: Case, now: dt.datetime) -> bool:
    """Mark the case escalated, once: True the first time, when the caller sends the person
    the hotline (`notify`); False after, so the hotline is not sent again and again."""
    if case.escalated_at is not None or not case.is_open:
        return False
    case.escalated_at = now
    session.flush()
    return True


# The inbox ----------------------------------------------------------------------------


def inbox(session: Session, organisation_id: int) -> list[Case]:
    """The organisation's open cases, most urgent first, then oldest."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.organisation_id == organisation_id, Case.status == CaseStatus.OPEN.value)
            .order_by(Case.priority.desc(), Case.opened_at, Case.id)
        )
    )


def counts(session: Session, organisation_id: int) -> dict[str, int | float | None]:
    """Numbers for the insights, no people: open and closed cases, escalated ones, and the
    median minutes from opening to the first human answer (None before any answer)."""
    by_status = dict(
        session.execute(
            select(Case.status, func.count())
            .where(Case.organisation_id == organisation_id)
            .group_by(Case.status)
        ).all()
    )
    escalated = session.scalar(
        select(func.count())
        .select_from(Case)
        .where(Case.organisation_id == organisation_id, Case.escalated_at.is_not(None))
    )
    waits = [
        (as_utc(answered) - as_utc(opened)).total_seconds() / 60
        for opened, answered in session.execute(
            select(Case.opened_at, Case.first_answer_at).where(
                Case.organisation_id == organisation_id, Case.first_answer_at.is_not(None)
            )
        )
    ]
    return {
        "open": int(by_status.get(CaseStatus.OPEN.value, 0)),
        "closed": int(by_status.get(CaseStatus.CLOSED.value, 0)),
        "escalated": int(escalated or 0),
        "median_minutes_to_first_answer": round(statistics.median(waits), 1) if waits else None,
    }


# Saved replies ------------------------------------------------------------------------


def saved_replies(
    session: Session, organisation_id: int, language: str | None = None
) -> list[SavedReply]:
    """The organisation's ready answers (in one language, if given), by title."""
    query = select(SavedReply).where(SavedReply.organisation_id == organisation_id)
    if language is not None:
        query = query.where(SavedReply.language == language)
    return list(session.scalars(query.order_by(SavedReply.language, SavedReply.title)))


def save_reply(
    session: Session,
    account: Account,
    *,
    language: str,
    title: str,
    text: str,
    now: dt.datetime,
) -> SavedReply:
    """Create or update (same language and title) one of the account's organisation's saved
    replies; audited like any workspace edit."""
    title, text = title.strip(), text.strip()
    if not title or not text:
        raise HandoffError("a saved reply needs a title and a text")
    if not account.active or account.role not in ANSWERING_ROLES:
        raise NotAllowed("only caseworkers and admins edit saved replies")
    row = session.scalars(
        select(SavedReply).where(
            SavedReply.organisation_id == account.organisation_id,
            SavedReply.language == language,
            SavedReply.title == title,
        )
    ).first()
    if row is None:
        row = SavedReply(organisation_id=account.organisation_id, language=language, title=title)
        session.add(row)
    row.text, row.updated_by_id, row.updated_at = text, account.id, now
    session.flush()
    audit.record(session, account, "saved_reply", f"saved reply {row.id} {language}", now=now)
    return row
