"""Login throttling per account name and per address, kept in the store.

Why in the store: the gateway runs as several processes (issue 19), and a guesser spread over
them must slow down all the same. Five wrong passwords are free (a tired person mistypes);
from the sixth each failure doubles the wait, up to a quarter of an hour. A right password
during the wait is refused too, or waiting would not slow guessing at all. The address is kept
as a keyed hash: the workspace needs to recognise it, not to know it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math

from sqlalchemy.orm import Session

from bot.store.db import as_utc
from bot.store.models import LoginFailure

FREE_FAILURES = 5
MAX_WAIT_SECONDS = 15 * 60


def keys(key: bytes, username: str, address: str) -> tuple[str, str]:
    """The two counters a login attempt touches: its account name and its address."""
    hashed = hmac.new(key, address.encode(), hashlib.sha256).hexdigest()[:32]
    return f"account:{username.strip().lower()[:64]}", f"address:{hashed}"


def wait_after(failures: int) -> int:
    """Seconds to wait after this many failures in a row."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), MAX_WAIT_SECONDS)


def seconds_to_wait(session: Session, counter_keys: tuple[str, ...], now: dt.datetime) -> int:
    """How long the next attempt must wait (0: it may go ahead)."""
    longest = 0.0
    for key in counter_keys:
        row = session.get(LoginFailure, key)
        if row is None:
            continue
        until = as_utc(row.last_failure_at) + dt.timedelta(seconds=wait_after(row.failures))
        longest = max(longest, (until - now).total_seconds())
    return math.ceil(longest)


def record_failure(session: Session, counter_keys: tuple[str, ...], now: dt.datetime) -> None:
    for key in counter_keys:
        row = session.get(LoginFailure, key)
        if row is None:
            session.add(LoginFailure(key=key, failures=1, last_failure_at=now))
        else:
            row.failures += 1
            row.last_failure_at = now


def clear(session: Session, counter_keys: tuple[str, ...]) -> None:
    """A right password starts the count again."""
    for key in counter_keys:
        row = session.get(LoginFailure, key)
        if row is not None:
            session.delete(row)
