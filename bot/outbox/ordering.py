"""One person's messages are answered one after another, in the order they arrived.

`hold(key)` is entered once per message and served first come, first served: asyncio's Lock
wakes its waiters in order (`InProcessLocks`, one gateway process); `RedisLocks` does the same
across gateway workers. A lock alone would serve whoever grabs it first, so two webhooks of one
person racing on two workers could be answered the wrong way round; a ticket taken in Redis
when the message arrives decides the order instead. Keys are pseudonyms, never raw addresses,
so a shared lock store never sees a phone number.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from redis.asyncio import Redis
from redis.asyncio.lock import Lock
from redis.exceptions import LockError, RedisError

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)
# A turn lasts at most one Rasa call and a few writes: the lock outlives the Rasa timeout by this.
LEASE_MARGIN_SECONDS = 10.0


class PersonLocks(Protocol):
    def hold(self, key: str) -> AbstractAsyncContextManager[None]:
        """Held while one message of this person is answered."""
        ...


class InProcessLocks:
    """asyncio locks per key, forgotten when nobody holds or waits for them: one process."""

    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with lock:
                yield
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key], self._locks[key]


# Take a ticket: the person's next number, queued with the time by which its holder must say it
# is still waiting (Redis's own clock: workers on several machines need not agree on the time).
_TAKE = """
local ticket = redis.call('INCR', KEYS[1])
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[2], ticket, ticket)
redis.call('ZADD', KEYS[3], ms + tonumber(ARGV[1]), ticket)
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[2]) end
return ticket
"""
# Still waiting: keep this ticket queued (at its own number), its deadline pushed on; drop the
# tickets of waiters that stopped renewing theirs (a killed worker); return the oldest ticket
# left: the one whose turn it is.
_FIRST = """
local now = redis.call('TIME')
local ms = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[1])
redis.call('ZADD', KEYS[2], ms + tonumber(ARGV[2]), ARGV[1])
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ms)) do
  redis.call('ZREM', KEYS[1], gone)
  redis.call('ZREM', KEYS[2], gone)
end
for _, key in ipairs(KEYS) do redis.call('PEXPIRE', key, ARGV[3]) end
local first = redis.call('ZRANGE', KEYS[1], 0, 0)
return first[1]
"""


@dataclass(frozen=True)
class _Keys:
    """One person's keys; `{pseudonym}` is a hash tag, so a Redis Cluster keeps them together."""

    tickets: str
    queue: str
    deadlines: str
    lock: str

    @classmethod
    def of(cls, prefix: str, key: str) -> _Keys:
        base = f"{prefix}{{{key}}}"
        return cls(f"{base}:tickets", f"{base}:queue", f"{base}:deadlines", f"{base}:lock")


class RedisLocks:
    """`hold(key)` across gateway workers sharing one Redis (REDIS_URL).

    Order: each `hold` takes the person's next ticket and waits until it is the oldest one
    queued. Exclusion: then redis-py's `Lock`, whose timeout (`lease_seconds`, a little more than
    the Rasa timeout) frees a killed worker's turn; a waiter that stops renewing its ticket
    (killed while waiting) is dropped from the queue after the same time. If Redis does not
    answer, messages are still answered, in order within this process only: an emergency
    answer matters more than the order across workers.
    """

    def __init__(
        self,
        client: Redis,
        lease_seconds: float,
        *,
        prefix: str = "route:person:",
        poll_seconds: float = 0.02,
    ) -> None:
        self._client = client
        self._lease_ms = int(lease_seconds * 1000)
        self._idle_ms = self._lease_ms * 4  # an idle person's keys go away after this
        self._prefix = prefix
        self._poll = poll_seconds
        self._take = client.register_script(_TAKE)
        self._first = client.register_script(_FIRST)
        self._fallback = InProcessLocks()
        self._keepers: set[asyncio.Task[None]] = set()  # one per turn held in this process

    @classmethod
    def from_url(cls, url: str, lease_seconds: float) -> RedisLocks:
        return cls(Redis.from_url(url), lease_seconds)

    @asynccontextmanager
    async def hold(self, key: str) -> AsyncIterator[None]:
        keys = _Keys.of(self._prefix, key)
        try:
            ticket, lock = await self._turn(keys)
        except RedisError as error:
            log.warning(
                "Redis did not answer (%s): order kept in this process", type(error).__name__
            )
            async with self._fallback.hold(key):
                yield
            return
        keeper = asyncio.create_task(self._keep(keys, ticket, lock))
        self._keepers.add(keeper)
        try:
            yield
        finally:
            keeper.cancel()
            self._keepers.discard(keeper)
            await self._leave(keys, ticket, lock)

    async def _keep(self, keys: _Keys, ticket: int, lock: Lock) -> None:
        """While this turn runs, push its lease on, a third of it at a time. Under load one
        turn (a slow Rasa, a busy store) can outlast any fixed lease, and the person's next
        message would then start beside it and overtake it; a killed worker stops renewing,
        so its turn still ends within one lease."""
        args = [ticket, self._lease_ms, self._idle_ms]
        while True:
            await asyncio.sleep(self._lease_ms / 3000)
            try:
                await self._first(keys=[keys.queue, keys.deadlines], args=args)
                await lock.reacquire()
            except (RedisError, LockError) as error:
                log.warning("a person's turn could not be renewed (%s)", type(error).__name__)
                return

    async def _turn(self, keys: _Keys) -> tuple[int, Lock]:
        """Wait for this message's turn, then take the lock."""
        queued = [keys.tickets, keys.queue, keys.deadlines]
        ticket = int(await self._take(keys=queued, args=[self._lease_ms, self._idle_ms]))
        try:
            first = [keys.queue, keys.deadlines]
            args = [ticket, self._lease_ms, self._idle_ms]
            while int(await self._first(keys=first, args=args)) != ticket:
                await asyncio.sleep(self._poll)
            lock = self._client.lock(
                keys.lock, timeout=self._lease_ms / 1000, sleep=self._poll, blocking=True
            )
            await lock.acquire()
        except BaseException:  # cancelled or Redis gone: give the turn up
            await self._forget(keys, ticket)
            raise
        return ticket, lock

    async def _leave(self, keys: _Keys, ticket: int, lock: Lock) -> None:
        try:
            await lock.release()
        except LockError:  # held past the timeout: someone else's turn had begun already
            log.warning("a person's turn outlasted the lock's timeout")
        except RedisError as error:
            log.warning("Redis did not answer (%s) when a turn ended", type(error).__name__)
        await self._forget(keys, ticket)

    async def _forget(self, keys: _Keys, ticket: int) -> None:
        try:
            async with self._client.pipeline(transaction=True) as pipe:
                await pipe.zrem(keys.queue, ticket).zrem(keys.deadlines, ticket).execute()
        except RedisError as error:  # the ticket's deadline passes and the next one goes on
            log.warning("Redis did not answer (%s) when a turn ended", type(error).__name__)

    async def close(self) -> None:
        await self._client.aclose()


def person_locks(settings: Settings) -> PersonLocks:
    """Redis's when REDIS_URL is set (several workers), else this process's own."""
    if not settings.redis_url:
        return InProcessLocks()
    lease = settings.rasa_timeout_seconds + LEASE_MARGIN_SECONDS
    return RedisLocks.from_url(settings.redis_url, lease)
