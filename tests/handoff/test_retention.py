"""What is kept: a closed case's text is gone from every table, and from the SQLite file's
bytes, after the retention period; a deletion request removes a person's cases at once.

These tests use a database file of their own (not the shared rolled-back one) so that the
file can be VACUUMed and its bytes read.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, String, Text, cast, select
from sqlalchemy.orm import Session, sessionmaker

from bot.handoff import cases
from bot.handoff.models import Case, CaseAddress, CaseMessage
from bot.handoff.retention import forget_person, purge_case_text
from bot.outbox.worker import OutboxWorker
from bot.pseudonym import pseudonymise
from bot.store.db import get_engine
from bot.store.models import Base
from tests.handoff import KEYS, NOW, account, organisation

CHAT_ID = "555123987"
PERSON_WORDS = "zebra-quartz-mango-71 my employer took my passport"
TRANSLATION_WORDS = "translated-okapi-nimbus-42"
WORKER_WORDS = "worker-tamarind-lantern-93"
NOTE_WORDS = "note-cobalt-heron-58"
PHRASES = (PERSON_WORDS, TRANSLATION_WORDS, WORKER_WORDS, NOTE_WORDS)


class FakeTelegram:
    """The outbox's sender for Telegram that accepts everything: the row is then deleted,
    as the real worker does once the Bot API took the message."""

    channel = "telegram"

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []

    async def send(self, address: str, payload: dict[str, Any]) -> None:
        self.sent.append((address, payload))


def test_every_connection_overwrites_what_it_deletes(tmp_path):
    """Some SQLite builds (Debian's) zero deleted bytes by default, others do not: ours asks
    for it on every connection (bot/store/db.py), so the byte searches here mean something
    wherever the tests run."""
    engine = get_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
    engine.dispose()


def texts_in_tables(session: Session) -> str:
    """Every text-like column of every table, as one string to search."""
    values: list[str] = []
    for table in Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, String | Text | JSON):
                values.extend(str(v) for v in session.scalars(select(cast(column, String))))
    return "\n".join(values)


def file_bytes(path: Path, *, vacuum: bool) -> bytes:
    """The database file (and its WAL) as bytes, after a checkpoint and optionally VACUUM."""
    get_engine(f"sqlite:///{path}").dispose()
    connection = sqlite3.connect(path)
    try:
        if vacuum:
            connection.execute("VACUUM")
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def closed_case(sessions: sessionmaker[Session], address: str = CHAT_ID) -> tuple[int, str]:
    """A Telegram case with a person's message and its translation, a note, an answer that
    was sent, closed at NOW + 1 hour."""
    with sessions() as session, session.begin():
        partner = organisation(session, "Haiti Panama", ["PA"], ["ht"])
        worker = account(session, partner, "rosemie")
        case = _case_with_text(session, worker, address)
        case_id, pseudonym = case.id, case.pseudonym
        cases.close(session, case, worker, "answered", NOW + dt.timedelta(hours=1))
    worker_run = OutboxWorker(sessions, clock=lambda: NOW + dt.timedelta(hours=1))
    fake = FakeTelegram()
    worker_run.register(fake)
    assert asyncio.run(worker_run.run_once()) == 1
    assert fake.sent == [(address, {"text": WORKER_WORDS})]
    return case_id, pseudonym


def _case_with_text(session: Session, worker, address: str) -> Case:  # noqa: ANN001
    opened = cases.open_case(
        session,
        pseudonym=pseudonymise(b"test-key", "telegram", address),
        channel="telegram",
        address=address,
        language="ht",
        country="PA",
        reason="trafficking",
        now=NOW,
        keys=KEYS,
    )
    case = opened.case
    message = cases.add_person_message(session, case, PERSON_WORDS, NOW)
    cases.add_translation(message, TRANSLATION_WORDS, "fr")
    cases.add_note(session, case, worker, NOTE_WORDS, NOW)
    cases.claim(session, case, worker, NOW)
    cases.reply(session, case, worker, WORKER_WORDS, NOW, keys=KEYS, window_template=None)
    return case


def test_after_the_retention_period_no_text_of_the_case_remains(store):
    path, sessions = store
    case_id, _ = closed_case(sessions)

    with sessions() as session, session.begin():
        assert purge_case_text(session, NOW + dt.timedelta(days=6)) == 0
        kept = texts_in_tables(session)
    assert all(phrase in kept for phrase in PHRASES)
    # The file search finds the text while it is there (so its absence below means something).
    assert PERSON_WORDS.encode() in file_bytes(path, vacuum=True)

    with sessions() as session, session.begin():
        assert purge_case_text(session, NOW + dt.timedelta(days=8)) == 1
    with sessions() as session:
        remaining = texts_in_tables(session)
        case = session.get(Case, case_id)
        assert case is not None and case.text_purged and case.outcome == "answered"
        assert (
            session.scalars(select(CaseMessage).where(CaseMessage.case_id == case_id)).all() == []
        )
        assert session.get(CaseAddress, case_id) is None
    for phrase in PHRASES:
        assert phrase not in remaining
    # secure_delete zeroes deleted bytes even before a VACUUM.
    for vacuum in (False, True):
        raw = file_bytes(path, vacuum=vacuum)
        for phrase in PHRASES:
            assert phrase.encode() not in raw, (phrase, vacuum)
    # The chat id was in the outbox row, deleted once sent: gone from the file after VACUUM.
    assert CHAT_ID.encode() not in raw

    with sessions() as session, session.begin():
        assert purge_case_text(session, NOW + dt.timedelta(days=9)) == 0  # once


def test_open_and_recently_closed_cases_keep_their_text(store):
    _, sessions = store
    closed_case(sessions)
    with sessions() as session, session.begin():
        worker = account(session, session.get(Case, 1).organisation, "jean")
        _case_with_text(session, worker, "777")
    with sessions() as session, session.begin():
        assert purge_case_text(session, NOW + dt.timedelta(days=30)) == 1
        assert PERSON_WORDS in texts_in_tables(session)  # the open case's
        assert purge_case_text(session, NOW + dt.timedelta(days=30), retain_days=40) == 0


def test_forget_person_removes_every_case_at_once(store):
    _, sessions = store
    _, pseudonym = closed_case(sessions)
    with sessions() as session, session.begin():
        worker = account(session, session.get(Case, 1).organisation, "jean")
        again = _case_with_text(session, worker, CHAT_ID)  # the same person, a new open case
        assert again.pseudonym == pseudonym
        other = _case_with_text(session, worker, "999")
        other_id = other.id
    with sessions() as session, session.begin():
        held = cases.open_case_for(session, pseudonym)
        assert held is not None
        assert forget_person(session, pseudonym) == 2
        assert cases.open_case_for(session, pseudonym) is None
    with sessions() as session:
        assert session.scalars(select(Case.id)).all() == [other_id]
        assert {m.case_id for m in session.scalars(select(CaseMessage))} == {other_id}
        assert [a.case_id for a in session.scalars(select(CaseAddress))] == [other_id]
        assert session.execute(select(Case).where(Case.pseudonym == pseudonym)).first() is None
        assert forget_person(session, "telegram-nobody") == 0
    # The answer still queued for the person carries the pseudonym: erase_person deletes it
    # with the rest, and tests/test_purge.py searches the file's bytes after that.
