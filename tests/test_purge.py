"""`python -m bot purge` and a confirmed erasure, on real SQLite files: the gateway's store
and a tracker store with Rasa's `events` table (the real Rasa writes it in
tests/integration/test_conversation.py). After either, the text is in no table and in no
byte of the files."""

from __future__ import annotations

import datetime as dt
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import insert

from bot.channels.base import Inbound
from bot.config import REPO_ROOT
from bot.erasure import erase_person
from bot.outbox import queue
from bot.purge import PurgeSchedule, purge
from bot.store.models import ProcessedMessage
from bot.tracker_store import TrackerEvents
from tests.handoff import NOW
from tests.handoff.test_retention import (
    CHAT_ID,
    PERSON_WORDS,
    closed_case,
    file_bytes,
    texts_in_tables,
)

OLD_WORDS = "old-marimba-glacier-17 they took my passport in Tapachula"
RECENT_WORDS = "recent-saffron-kettle-64 where is the shelter"
OTHER_WORDS = "other-person-violet-29 bonjou"
# Rasa's SQLTrackerStore.SQLEvent (rasa/core/tracker_store.py, 3.6).
RASA_EVENTS = """CREATE TABLE events (
    id INTEGER PRIMARY KEY, sender_id VARCHAR(255) NOT NULL, type_name VARCHAR(255) NOT NULL,
    timestamp FLOAT, intent_name VARCHAR(255), action_name VARCHAR(255), data TEXT)"""


def tracker_file(path: Path, events: list[tuple[str, dt.datetime, str]]) -> str:
    """A tracker store holding one user event per (sender, time, text); returns its URL."""
    with sqlite3.connect(path) as tracker:
        tracker.execute(RASA_EVENTS)
        for sender, moment, text in events:
            data = {"event": "user", "timestamp": moment.timestamp(), "text": text}
            tracker.execute(
                "INSERT INTO events (sender_id, type_name, timestamp, data) VALUES (?, ?, ?, ?)",
                (sender, "user", moment.timestamp(), json.dumps(data)),
            )
    tracker.close()
    return f"sqlite:///{path}"


def tracker_texts(path: Path) -> list[str]:
    with sqlite3.connect(path) as tracker:
        return [json.loads(data)["text"] for (data,) in tracker.execute("SELECT data FROM events")]


@pytest.fixture
def tracker(tmp_path: Path) -> tuple[Path, str]:
    path = tmp_path / "tracker.db"
    later = NOW + dt.timedelta(days=7, hours=12)
    url = tracker_file(
        path,
        [("person", NOW, OLD_WORDS), ("person", later, RECENT_WORDS), ("other", NOW, OTHER_WORDS)],
    )
    return path, url


def waiting_rows(sessions, moment: dt.datetime) -> None:  # noqa: ANN001 - a sessionmaker
    """A message held since `moment`, an answer never delivered, a webhook id seen then."""
    with sessions() as session, session.begin():
        queue.receive(session, "telegram", CHAT_ID, OLD_WORDS, True, moment)
        queue.enqueue(session, "telegram", CHAT_ID, [{"text": "x"}], moment)
        session.execute(
            insert(ProcessedMessage).values(channel="telegram", external_id="1", received_at=moment)
        )


def test_eight_days_later_the_purge_leaves_no_text_older_than_the_window(store, tracker):
    path, sessions = store
    tracker_path, tracker_url = tracker
    closed_case(sessions)  # closed at NOW + 1 hour
    waiting_rows(sessions, NOW)

    report = purge(sessions, TrackerEvents(tracker_url), NOW + dt.timedelta(days=8), 7)

    assert (report.case_texts, report.tracker_events) == (1, 2)
    assert (report.inbox_messages, report.outbox_messages, report.webhook_ids) == (1, 1, 1)
    with sessions() as session:
        remaining = texts_in_tables(session)
    assert PERSON_WORDS not in remaining and OLD_WORDS not in remaining
    assert tracker_texts(tracker_path) == [RECENT_WORDS], "younger than the window: kept"
    for raw in (file_bytes(path, vacuum=False), file_bytes(tracker_path, vacuum=False)):
        for words in (PERSON_WORDS, OLD_WORDS, OTHER_WORDS):
            assert words.encode() not in raw


def test_a_day_inside_the_window_nothing_goes(store, tracker):
    _, sessions = store
    tracker_path, tracker_url = tracker
    closed_case(sessions)
    waiting_rows(sessions, NOW)
    report = purge(sessions, TrackerEvents(tracker_url), NOW + dt.timedelta(days=1), 7)
    assert report.case_texts == report.tracker_events == report.inbox_messages == 0
    with sessions() as session:
        assert PERSON_WORDS in texts_in_tables(session)
    assert len(tracker_texts(tracker_path)) == 3


def test_a_tracker_store_rasa_has_not_created_yet_holds_nothing(store, tmp_path):
    _, sessions = store
    absent = TrackerEvents(f"sqlite:///{tmp_path / 'not-yet.db'}")
    assert purge(sessions, absent, NOW, 7).tracker_events == 0
    assert absent.forget("person") == 0


def run_purge(
    database_url: str, tracker_url: str, moment: dt.datetime, **env: str
) -> subprocess.CompletedProcess[str]:
    """`python -m bot purge --now MOMENT` as an operator runs it; its printed counts."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "purge", "--now", moment.strftime("%Y-%m-%dT%H:%M")],
        cwd=REPO_ROOT,
        env=dict(os.environ, DATABASE_URL=database_url, TRACKER_STORE_URL=tracker_url, **env),
        capture_output=True,
        text=True,
        check=True,
    )


def test_the_command_purges_as_if_it_were_the_given_day(store, tracker):
    path, sessions = store
    tracker_path, tracker_url = tracker
    closed_case(sessions)
    done = run_purge(f"sqlite:///{path}", tracker_url, NOW + dt.timedelta(days=8))
    assert "case texts: 1" in done.stdout and "tracker events: 2" in done.stdout
    assert tracker_texts(tracker_path) == [RECENT_WORDS]
    with sessions() as session:
        assert PERSON_WORDS not in texts_in_tables(session)


def test_erasure_takes_the_persons_tracker_rows_and_rows_only_theirs(store, tracker):
    path, sessions = store
    tracker_path, tracker_url = tracker
    _, pseudonym = closed_case(sessions)
    waiting_rows(sessions, NOW)
    with sqlite3.connect(tracker_path) as connection:
        connection.execute(
            "UPDATE events SET sender_id = ? WHERE sender_id = 'person'", (pseudonym,)
        )
    connection.close()

    erase_person(
        sessions, TrackerEvents(tracker_url), Inbound("telegram", CHAT_ID, "wi"), pseudonym
    )

    assert tracker_texts(tracker_path) == [OTHER_WORDS]
    with sessions() as session:
        remaining = texts_in_tables(session)
    assert OLD_WORDS not in remaining and PERSON_WORDS not in remaining
    # No VACUUM: what was deleted is zeroed where it was (secure_delete).
    for raw in (file_bytes(path, vacuum=False), file_bytes(tracker_path, vacuum=False)):
        for words in (PERSON_WORDS, OLD_WORDS, RECENT_WORDS, pseudonym):
            assert words.encode() not in raw


class Started:
    """Stands for the purge's child process: running until `finish()`."""

    def __init__(self) -> None:
        self.code: int | None = None

    def poll(self) -> int | None:
        return self.code

    def finish(self) -> None:
        self.code = 0


def test_the_demo_purges_at_start_then_every_interval_and_never_twice_at_once():
    now = [0.0]
    started: list[Started] = []

    def start() -> Started:
        started.append(Started())
        return started[-1]

    schedule = PurgeSchedule(start=start, every=3600, clock=lambda: now[0])
    schedule()
    assert len(started) == 1, "at start"
    now[0] = 4000
    schedule()
    assert len(started) == 1, "the first one still runs"
    started[0].finish()
    schedule()
    assert len(started) == 2, "due, and the first one finished"
    now[0] = 5000
    started[1].finish()
    schedule()
    assert len(started) == 2, "not due before another hour"
