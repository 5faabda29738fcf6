"""Opening hours: is an organisation open now, and when does it open next?

Why here and with zoneinfo: the person is told "a person will answer, roughly when", and a
case goes to the partner that is open before one that is closed. Hours are written the way a
partner says them, in the organisation's own time zone (`{"mon": ["08:00", "17:00"], ...}`),
and compared with "now" in UTC, so Panama (no daylight saving) and Port-au-Prince (daylight
saving since 2017) are both right all year.

The table: a key per day ("mon" ... "sun"); a missing day or an empty list is closed. A list
holds pairs of "HH:MM" times, start then end ("08:00", "12:00", "14:00", "18:00" is two
spans); an end at or before its start runs past midnight ("20:00", "02:00"); "24:00" is the
end of the day. An empty table is always closed: callers give the hotline instead.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.store.db import as_utc

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_TIME = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")
# Far enough to find next week's opening from any moment of this week.
_LOOKAHEAD_DAYS = 8

OpeningHours = Mapping[str, Sequence[str] | None]


def _minutes(value: str) -> int:
    match = _TIME.match(value.strip())
    if not match or (match.group(1) == "24" and match.group(2) != "00"):
        raise ValueError(f"{value!r} is not a time like 08:00")
    return int(match.group(1)) * 60 + int(match.group(2))


def validate(opening_hours: OpeningHours) -> dict[str, list[tuple[int, int]]]:
    """The table as minutes after midnight per day; ValueError says what is wrong.

    Used by every function here and meant for the workspace's form, so a partner learns of
    "8h-17h" when saving rather than a person when asking for help.
    """
    spans: dict[str, list[tuple[int, int]]] = {}
    for day, given in opening_hours.items():
        times = list(given or [])
        if day not in DAYS:
            raise ValueError(f"{day!r} is not a day; use one of {', '.join(DAYS)}")
        if len(times) % 2:
            raise ValueError(f"{day}: each opening needs a start and an end")
        pairs = [(_minutes(times[i]), _minutes(times[i + 1])) for i in range(0, len(times), 2)]
        if any(start == 24 * 60 for start, _ in pairs):
            raise ValueError(f"{day}: an opening cannot start at 24:00")
        spans[day] = pairs
    return spans


def _at(day: dt.date, minutes: int, zone: ZoneInfo) -> dt.datetime:
    """Wall-clock time in the zone: "08:00" is 08:00 on that day's clock, also on a day the
    clocks change (zoneinfo picks the offset); minutes past 24:00 fall on the next day."""
    local = dt.datetime.combine(day, dt.time(0)) + dt.timedelta(minutes=minutes)
    return local.replace(tzinfo=zone)


def _spans(
    opening_hours: OpeningHours, zone: ZoneInfo, now: dt.datetime
) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Every opening from the day before `now` (it may run past midnight) on, in UTC."""
    table = validate(opening_hours)
    now = as_utc(now)
    today = now.astimezone(zone).date()
    for offset in range(-1, _LOOKAHEAD_DAYS):
        day = today + dt.timedelta(days=offset)
        for start, end in table.get(DAYS[day.weekday()], []):
            if end <= start:  # past midnight ("20:00"-"02:00"); equal times: 24 hours
                end += 24 * 60
            yield (
                _at(day, start, zone).astimezone(dt.UTC),
                _at(day, end, zone).astimezone(dt.UTC),
            )


def is_open(opening_hours: OpeningHours, time_zone: str, now: dt.datetime) -> bool:
    """Whether `now` falls in an opening of the organisation (a naive `now` is read as UTC,
    the way SQLite returns stored times)."""
    now = as_utc(now)
    return any(start <= now < end for start, end in _spans(opening_hours, ZoneInfo(time_zone), now))


def next_opening(
    opening_hours: OpeningHours, time_zone: str, now: dt.datetime
) -> dt.datetime | None:
    """The first moment from `now` on when the organisation is open: `now` itself when it
    is open, else the start of its next opening, in the organisation's time zone (so "Monday
    08:00" reads as the partner wrote it); None when it never opens (an empty table)."""
    zone, now = ZoneInfo(time_zone), as_utc(now)
    best: dt.datetime | None = None
    for start, end in _spans(opening_hours, zone, now):
        if start <= now < end:
            return now.astimezone(zone)
        if start > now and (best is None or start < best):
            best = start
    return None if best is None else best.astimezone(zone)
