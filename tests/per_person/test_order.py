"""One person's messages answered in the order they arrived, across gateway workers sharing one
Redis and one store (issue 19, item 3): RedisLocks serves turns by ticket, a killed worker's turn
runs out, a Redis that does not answer still lets messages be answered, and two Repliers (two
"workers") racing over one person's inbox rows queue the answers in inbox order, once each."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any

import httpx
import pytest
import redis.asyncio
from sqlalchemy import select

from bot.config import Settings
from bot.outbox import queue
from bot.outbox.ordering import InProcessLocks, PersonLocks, RedisLocks
from bot.outbox.replier import Replier
from bot.stack import free_port
from bot.store.db import session_scope
from bot.store.models import InboxMessage, OutboxMessage
from bot.web.services import Services, Words
from tests.per_person.conftest import ANSWER, gateway_settings

PERSON = "whatsapp:+50937000011"
OTHER = "whatsapp:+50937000012"
WORDS = ["pumpkin", "lantern", "harbour", "violet", "meadow", "copper", "walnut", "pepper"]
NOW = dt.datetime(2026, 12, 3, 12, tzinfo=dt.UTC)


async def _ticket_taken(probe: redis.asyncio.Redis, key: str, count: int) -> None:
    """Until the person's `count`-th ticket was taken (that hold is queued, or served)."""
    while int(await probe.get(f"route:person:{{{key}}}:tickets") or 0) < count:
        await asyncio.sleep(0.01)


def test_turns_are_served_in_the_order_they_were_asked_for_across_workers(fresh_redis):
    """Six messages of one person asking on two workers in turn: served first come, first
    served, one at a time (a plain lock would serve whoever polls first)."""

    async def run() -> list[int]:
        workers = [RedisLocks.from_url(fresh_redis, 10.0) for _ in range(2)]
        probe = redis.asyncio.Redis.from_url(fresh_redis)
        served: list[int] = []
        inside = 0

        async def message(n: int) -> None:
            nonlocal inside
            async with workers[n % 2].hold("pseudonym-a"):
                inside += 1
                assert inside == 1, "two turns of one person at once"
                await asyncio.sleep(0.03)  # long enough for every waiter to poll meanwhile
                served.append(n)
                inside -= 1

        tasks = []
        for n in range(6):
            tasks.append(asyncio.create_task(message(n)))
            await _ticket_taken(probe, "pseudonym-a", n + 1)
        await asyncio.wait_for(asyncio.gather(*tasks), 30)
        for locks in workers:
            await locks.close()
        await probe.aclose()
        return served

    assert asyncio.run(run()) == list(range(6))


def test_a_killed_workers_turn_runs_out(fresh_redis):
    """A worker killed while holding a person's turn (its ticket never renewed, its lock never
    released) holds nobody up for longer than the lease."""

    async def run() -> None:
        dead = RedisLocks.from_url(fresh_redis, 0.5)
        holding = dead.hold("pseudonym-b")
        await holding.__aenter__()  # and never leaves: the process is gone,
        for keeper in dead._keepers:  # so nothing renews its turn any more
            keeper.cancel()
        alive = RedisLocks.from_url(fresh_redis, 0.5)
        async with alive.hold("pseudonym-b"):
            pass
        async with alive.hold("pseudonym-b"):  # and the queue is clear afterwards
            pass
        await alive.close()

    asyncio.run(asyncio.wait_for(run(), 20))


def test_a_turn_longer_than_the_lease_is_not_overtaken(fresh_redis):
    """A slow turn (Rasa under load) outlasting the lease keeps the person's turn while its
    worker is alive: the next message waits for it instead of starting beside it."""

    async def run() -> list[str]:
        first, second = (RedisLocks.from_url(fresh_redis, 0.3) for _ in range(2))
        probe = redis.asyncio.Redis.from_url(fresh_redis)
        events: list[str] = []

        async def slow() -> None:
            async with first.hold("pseudonym-d"):
                events.append("slow starts")
                await asyncio.sleep(1.5)  # five leases
                events.append("slow ends")

        async def next_message() -> None:
            async with second.hold("pseudonym-d"):
                events.append("next starts")

        slow_task = asyncio.create_task(slow())
        await _ticket_taken(probe, "pseudonym-d", 1)
        await asyncio.gather(slow_task, next_message())
        for client in (first, second):
            await client.close()
        await probe.aclose()
        return events

    assert asyncio.run(asyncio.wait_for(run(), 20)) == ["slow starts", "slow ends", "next starts"]


def test_without_redis_messages_are_still_answered(caplog):
    """Redis gone: order kept in this process only, but nobody is left unanswered."""

    async def run() -> bool:
        locks = RedisLocks.from_url(f"redis://127.0.0.1:{free_port()}/0", 5.0)
        async with locks.hold("pseudonym-c"):
            answered = True
        await locks.close()
        return answered

    assert asyncio.run(run())
    assert "Redis did not answer" in caplog.text


def test_the_keys_name_the_pseudonym_with_a_prefix_and_go_away(fresh_redis):
    async def run() -> tuple[list[bytes], list[bytes]]:
        locks = RedisLocks.from_url(fresh_redis, 5.0)
        probe = redis.asyncio.Redis.from_url(fresh_redis)
        async with locks.hold("p-0123abcd"):
            during = sorted(await probe.keys("*"))
        after = await probe.zrange(b"route:person:{p-0123abcd}:queue", 0, -1)
        await locks.close()
        await probe.aclose()
        return during, after

    during, queued_after = asyncio.run(run())
    assert during and all(key.startswith(b"route:person:{p-0123abcd}:") for key in during)
    assert queued_after == []


# --- two Repliers, one store, one Redis ----------------------------------------------------


@pytest.fixture
def two_workers_settings(tmp_path, rasa, fresh_redis) -> Settings:
    # No content: every answer here is the fake Rasa's; the order is tested, not the pace.
    return gateway_settings(
        tmp_path / "order.sqlite3", rasa, redis_url=fresh_redis, person_rate_limit=""
    )


def _render(answer: Any) -> list[dict[str, Any]]:
    return [{"body": reply.text} for reply in answer.replies]


async def _race(settings: Settings, locks: list[PersonLocks], rows: list[tuple[str, str]]) -> None:
    """Inbox rows received in `rows` order, then answered by two Repliers sharing the store,
    the later rows scheduled first and the workers alternating."""
    async with httpx.AsyncClient() as http:
        services = Services.build(settings, Words.build(settings), http, lambda: NOW)
        workers = []
        for worker_locks in locks:
            replier = Replier(
                services.sessions, services.pipeline, services.outbox, worker_locks, lambda: NOW
            )
            replier.register("whatsapp", _render)
            workers.append(replier)
        with session_scope(settings.database_url) as session:
            ids = [queue.receive(session, "whatsapp", a, text, True, NOW) for a, text in rows]
        for n, inbox_id in enumerate(reversed(ids)):
            workers[n % 2].schedule(inbox_id)
        while any(replier._tasks for replier in workers):  # noqa: SLF001 - until all answered
            await asyncio.sleep(0.02)


def _answers(settings: Settings, address: str) -> list[str]:
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return [
            word
            for row in rows
            if row.address == address
            for word in WORDS
            if f"{ANSWER}{word}" in row.payload["body"]
        ]


def test_two_workers_racing_answer_one_person_in_the_order_written(two_workers_settings, rasa):
    settings = two_workers_settings
    rows = [(PERSON if n % 3 else OTHER, word) for n, word in enumerate(WORDS)]
    locks: list[PersonLocks] = [RedisLocks.from_url(settings.redis_url, 10.0) for _ in range(2)]
    asyncio.run(_race(settings, locks, rows))
    assert _answers(settings, PERSON) == [w for a, w in rows if a == PERSON]
    assert _answers(settings, OTHER) == [w for a, w in rows if a == OTHER]
    assert sorted(rasa.messages()) == sorted(WORDS)  # each message answered once
    with session_scope(settings.database_url) as session:
        assert session.scalars(select(InboxMessage)).all() == []


def test_one_process_keeps_the_same_order(two_workers_settings, rasa):
    """The in-process default (`make demo`): the same race, the same order."""
    settings = two_workers_settings
    rows = [(PERSON, word) for word in WORDS[:5]]
    shared = InProcessLocks()
    asyncio.run(_race(settings, [shared, shared], rows))
    assert _answers(settings, PERSON) == WORDS[:5]
    assert sorted(rasa.messages()) == sorted(WORDS[:5])
