"""One person's messages are answered one after another, so their answers keep their order.

Behind an interface because the scale issue runs several gateway workers: there a Redis lock
(e.g. redis-py's `Lock`) takes the place of `InProcessLocks` with the same `hold(key)`. Keys
are pseudonyms, never raw addresses, so a shared lock store never sees a phone number.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Protocol


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
