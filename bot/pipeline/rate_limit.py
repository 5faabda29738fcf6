"""How fast one person may write before the assistant slows them down (issue 19, item 3).

Every message that would go to Rasa counts against its sender's limit (PERSON_RATE_LIMIT, e.g.
"20/minute": a moving window of the `limits` library, counted per pseudonym, so one person's
limit never touches anyone else's). Over the limit the message is not sent to Rasa: the first
one of a window gets a short notice in the person's language, the rest are acknowledged and not
answered. Not held to be answered after the window: a person (or a stuck phone, or someone
flooding a stolen account) writing 50 messages a minute would get 30 answers a minute later
that nobody asked for any more, and Rasa would do the work the limit is there to spare it.

Never limited, because the pipeline answers them before the Rasa step: the emergency fast path
(an emergency message over the limit still gets the emergency answer), a detail inside an
emergency, STOP/START, the self-check's steps, a tapped country. The notice says to write the
danger in words, which the fast path answers at once.

One gateway process counts in memory; with REDIS_URL every worker counts in the same Redis.
If that Redis does not answer, messages are let through: slowing nobody is better than
answering nobody.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from limits import RateLimitItem, parse
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from limits.storage import storage_from_string

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)
KEY_PREFIX = "route:rate"
PERSON = "person"


def storage_uri(redis_url: str | None) -> str:
    """The `limits` async storage for a Redis URL (redis://, rediss://, unix://), or memory."""
    if not redis_url:
        return "async+memory://"
    if redis_url.startswith("unix://"):
        return "async+redis+unix://" + redis_url.removeprefix("unix://")
    return f"async+{redis_url}"


class RateLimit:
    """`admit`: may this person's message go to Rasa? `notice_due`: is this the first message
    of the window to be slowed (the one that is told)?"""

    def __init__(self, rate: str, redis_url: str | None = None) -> None:
        self._limit: RateLimitItem = parse(rate)
        # One notice per window of the limit: "1 per <the same window>".
        self._notice = type(self._limit)(1, self._limit.multiples, namespace="NOTICE")
        options: dict[str, str | bool] = {"key_prefix": KEY_PREFIX}
        if redis_url:
            options |= {"implementation": "redispy", "wrap_exceptions": True}
        self._limiter = MovingWindowRateLimiter(
            storage_from_string(storage_uri(redis_url), **options)
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> RateLimit | None:
        """None when PERSON_RATE_LIMIT is empty: nobody is slowed."""
        rate = settings.person_rate_limit
        return cls(rate, settings.redis_url) if rate else None

    @property
    def rate(self) -> RateLimitItem:
        return self._limit

    async def admit(self, pseudonym: str) -> bool:
        """Counts this message; False when the person is over the limit."""
        return await self._hit(self._limit, pseudonym)

    async def notice_due(self, pseudonym: str) -> bool:
        return await self._hit(self._notice, pseudonym)

    async def _hit(self, item: RateLimitItem, pseudonym: str) -> bool:
        try:
            return await self._limiter.hit(item, PERSON, pseudonym)
        except StorageError as error:
            log.warning(
                "the rate limit's store did not answer (%s): let through", error_name(error)
            )
            return True


def error_name(error: StorageError) -> str:
    """The storage's own exception class, never its message (it may quote a key)."""
    return type(error.storage_error).__name__
