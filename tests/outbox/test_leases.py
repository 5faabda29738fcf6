"""Leases on SQLite and PostgreSQL: a row claimed by one worker is sent by nobody else, a
worker that dies lets its rows go when the lease runs out, a sent row is never sent again,
one person's rows go one at a time, Retry-After holds, and what is given up is a dead letter
without the person."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.channels.base import SendError
from bot.outbox import deadletters, queue
from bot.outbox.deadletters import ErrorClass
from bot.outbox.worker import OutboxWorker
from bot.store.db import session_factory
from tests.outbox.helpers import NOW, Clock, RecordingSender, queue_bodies, rows

ANA = "whatsapp:+50937000001"
BOB = "whatsapp:+50937000002"


@pytest.fixture
def sessions(store_url: str) -> sessionmaker[Session]:
    return session_factory(store_url)


def claim(sessions: sessionmaker[Session], clock: Clock, token: str = "a" * 32) -> list[str]:
    with sessions() as session, session.begin():
        return [r.payload["body"] for r in queue.claim(session, "whatsapp", token, clock(), 10)]


def worker(sessions: sessionmaker[Session], clock: Clock) -> tuple[OutboxWorker, RecordingSender]:
    sender = RecordingSender()
    running = OutboxWorker(sessions, clock)
    running.register(sender)
    return running, sender


def test_a_row_claimed_by_one_worker_is_not_sent_by_another_until_its_lease_runs_out(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["one"])
    assert claim(sessions, clock) == ["one"]  # worker A, which then dies mid-send
    b, sent_by_b = worker(sessions, clock)

    assert asyncio.run(b.run_once()) == 0
    clock.advance(queue.LEASE_SECONDS - 1)
    assert asyncio.run(b.run_once()) == 0
    assert sent_by_b.sent == []

    clock.advance(1)
    assert asyncio.run(b.run_once()) == 1
    assert sent_by_b.sent == [(ANA, "one")]
    assert rows(sessions) == []


def test_a_row_taken_back_from_a_dead_worker_is_counted_as_interrupted(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["one"])
    claim(sessions, clock)
    clock.advance(queue.LEASE_SECONDS)
    assert claim(sessions, clock, token="b" * 32) == ["one"]
    [row] = rows(sessions)
    assert (row.attempts, row.last_error, row.claim_token) == (2, queue.INTERRUPTED, "b" * 32)


def test_a_sent_message_is_never_sent_again(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["a1", "a2", "a3"])
    queue_bodies(sessions, BOB, ["b1", "b2"])
    a, sent_by_a = worker(sessions, clock)
    b, sent_by_b = worker(sessions, clock)

    total = asyncio.run(a.run_once()) + asyncio.run(b.run_once()) + asyncio.run(a.run_once())
    clock.advance(queue.LEASE_SECONDS * 2)  # no lease left that could hand a row back
    total += asyncio.run(b.run_once())

    assert total == 5
    assert sorted(sent_by_a.sent + sent_by_b.sent) == sorted(
        [(ANA, "a1"), (ANA, "a2"), (ANA, "a3"), (BOB, "b1"), (BOB, "b2")]
    )
    assert rows(sessions) == []


def test_a_persons_next_message_waits_while_the_first_is_claimed_or_waits_for_a_retry(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["a1", "a2"])
    queue_bodies(sessions, BOB, ["b1"])

    assert claim(sessions, clock) == ["a1", "b1"]
    assert claim(sessions, clock, token="b" * 32) == []  # a2 waits behind a1's lease

    with sessions() as session, session.begin():
        first = queue.held_by(session, rows(sessions)[0].id, "a" * 32)
        queue.retry_later(first, "twilio 503", 30.0, clock())
    assert claim(sessions, clock, token="c" * 32) == []  # a1 waits 30 s, so a2 waits too

    clock.advance(30)
    assert claim(sessions, clock, token="d" * 32) == ["a1"]


def test_retry_after_is_honoured_by_every_worker(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["one"])
    a, sender = worker(sessions, clock)
    sender.fail("one", SendError("twilio 429", retryable=True, retry_after=30))
    b, sent_by_b = worker(sessions, clock)

    assert asyncio.run(a.run_once()) == 0
    [row] = rows(sessions)
    assert row.next_attempt_at.replace(tzinfo=NOW.tzinfo) == NOW + queue.dt.timedelta(seconds=30)
    assert row.claim_token is None and row.last_error == "twilio 429"

    clock.advance(29)
    assert asyncio.run(b.run_once()) == 0
    clock.advance(1)
    assert asyncio.run(b.run_once()) == 1
    assert sent_by_b.sent == [(ANA, "one")] and sender.sent == []


def test_a_late_failure_leaves_a_row_another_worker_holds_alone(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["one"])
    a, _ = worker(sessions, clock)
    claim(sessions, clock)  # A's claim, then A hangs past its lease
    clock.advance(queue.LEASE_SECONDS)
    claim(sessions, clock, token="b" * 32)  # B has it now

    a._record_failure(rows(sessions)[0].id, "a" * 32, SendError("twilio 503", retryable=True))

    [row] = rows(sessions)
    assert (row.claim_token, row.last_error, row.failed) == ("b" * 32, queue.INTERRUPTED, False)


def test_given_up_messages_are_dead_letters_without_the_person(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["refused", "flaky"])
    running, sender = worker(sessions, clock)
    sender.fail("refused", SendError("twilio 400", retryable=False))
    sender.fail("flaky", *[SendError("twilio 503", retryable=True)] * queue.MAX_ATTEMPTS)
    for _ in range(queue.MAX_ATTEMPTS):
        asyncio.run(running.run_once())
        clock.advance(queue.LONGEST_WAIT_SECONDS)
    queue_bodies(sessions, BOB, ["waiting"], clock())
    sender.fail("waiting", SendError("connect error", retryable=True))
    asyncio.run(running.run_once())

    failed = [row for row in rows(sessions) if row.failed]
    assert len(failed) == 2
    assert all(r.address is None and r.payload == {} and r.failed_at for r in failed)
    assert sender.sent == []
    with sessions() as session:
        dead = deadletters.dead_letters(session)
        waiting = deadletters.waiting(session)
    assert sorted((d.channel, d.error_class, d.count, tuple(d.codes)) for d in dead) == [
        ("whatsapp", ErrorClass.REFUSED, 1, ("twilio 400",)),
        ("whatsapp", ErrorClass.SERVER_ERROR, 1, ("twilio 503",)),
    ]
    assert [(w.channel, w.waiting, w.retrying) for w in waiting] == [("whatsapp", 1, 1)]


def test_a_message_that_kills_its_worker_every_time_is_given_up(sessions):
    clock = Clock()
    queue_bodies(sessions, ANA, ["poison"])
    for n in range(queue.MAX_ATTEMPTS):
        claim(sessions, clock, token=f"{n:032d}")
        clock.advance(queue.LEASE_SECONDS)
    running, sender = worker(sessions, clock)

    assert asyncio.run(running.run_once()) == 0

    assert sender.sent == []
    [row] = rows(sessions)
    assert row.failed and row.last_error == queue.INTERRUPTED and row.address is None


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("twilio 429", ErrorClass.RATE_LIMITED),
        ("429", ErrorClass.RATE_LIMITED),
        ("twilio 503", ErrorClass.SERVER_ERROR),
        ("telegram 5xx", ErrorClass.SERVER_ERROR),
        ("connect error", ErrorClass.NETWORK),
        ("connect timeout", ErrorClass.NETWORK),
        ("read timeout", ErrorClass.NO_ANSWER),
        ("connection lost", ErrorClass.NO_ANSWER),
        ("interrupted", ErrorClass.NO_ANSWER),
        ("twilio 400", ErrorClass.REFUSED),
        ("forbidden", ErrorClass.REFUSED),
        ("badrequest", ErrorClass.REFUSED),
        ("KeyError", ErrorClass.OTHER),
        (None, ErrorClass.OTHER),
    ],
)
def test_every_error_the_senders_write_has_its_class(kind, expected):
    assert deadletters.error_class(kind) == expected
