"""Time as an input: code that depends on "now" takes a clock, so tests can set the day.

A test that froze "now" at the day it was written while the code read the wall clock passed
that day and failed three days later (issue 10). Everything that stores or compares a time
(webhook ids kept three days, the outbox's backoff, WhatsApp's 24-hour window, and later
retention and case ages) takes a `Clock`; production passes `system_clock`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

Clock = Callable[[], dt.datetime]


def system_clock() -> dt.datetime:
    """The wall clock, in UTC: everything we store is UTC."""
    return dt.datetime.now(dt.UTC)
