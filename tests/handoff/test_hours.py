"""Opening hours in the organisation's own time zone: Panama has no daylight saving,
Port-au-Prince has it; spans past midnight; missing days and empty tables are closed."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from bot.handoff.hours import is_open, next_opening, validate
from tests.handoff import WEEKDAYS

PANAMA = "America/Panama"  # UTC-5 all year
HAITI = "America/Port-au-Prince"  # UTC-5, UTC-4 from March to November


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 12, 7, 12, 59), False),  # Monday 07:59 in Panama
        (utc(2026, 12, 7, 13, 0), True),  # 08:00
        (utc(2026, 12, 7, 21, 59), True),  # 16:59
        (utc(2026, 12, 7, 22, 0), False),  # 17:00: the end is not open
        (utc(2026, 12, 12, 15, 0), False),  # Saturday: no entry
    ],
)
def test_panama_weekdays(now, expected):
    assert is_open(WEEKDAYS, PANAMA, now) is expected


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2026, 7, 6, 12, 0), True),  # July: 08:00 EDT (UTC-4)
        (utc(2026, 1, 5, 12, 0), False),  # January: 07:00 EST (UTC-5)
        (utc(2026, 1, 5, 13, 0), True),  # 08:00 EST
        (utc(2026, 7, 6, 21, 0), False),  # July 17:00 EDT
    ],
)
def test_port_au_prince_follows_daylight_saving(now, expected):
    assert is_open(WEEKDAYS, HAITI, now) is expected


def test_an_evening_span_runs_past_midnight():
    hours = {"fri": ["20:00", "02:00"]}
    assert is_open(hours, PANAMA, utc(2026, 12, 5, 1, 0))  # Friday 20:00 in Panama
    assert is_open(hours, PANAMA, utc(2026, 12, 5, 6, 59))  # Saturday 01:59: no "sat" key
    assert not is_open(hours, PANAMA, utc(2026, 12, 5, 7, 0))  # Saturday 02:00


def test_a_local_evening_is_the_next_day_in_utc():
    hours = {"mon": ["20:00", "24:00"]}
    # Tuesday 02:00 UTC is Monday 21:00 in Panama.
    assert is_open(hours, PANAMA, utc(2026, 12, 8, 2, 0))
    assert not is_open(hours, "UTC", utc(2026, 12, 8, 2, 0))


def test_next_opening_after_the_weekend_in_the_organisations_zone():
    friday_evening = utc(2026, 12, 5, 1, 0)  # Friday 20:00 in Panama
    opening = next_opening(WEEKDAYS, PANAMA, friday_evening)
    assert opening == dt.datetime(2026, 12, 7, 8, 0, tzinfo=ZoneInfo(PANAMA))
    assert opening is not None and opening.utcoffset() == dt.timedelta(hours=-5)


def test_next_opening_is_now_when_open():
    now = utc(2026, 12, 7, 15, 0)
    assert next_opening(WEEKDAYS, PANAMA, now) == now


def test_a_day_without_entries_is_skipped():
    hours = {"mon": [], "tue": ["09:00", "12:00"]}
    monday = utc(2026, 12, 7, 15, 0)
    assert not is_open(hours, "UTC", monday)
    assert next_opening(hours, "UTC", monday) == utc(2026, 12, 8, 9, 0)


def test_an_empty_table_never_opens():
    assert not is_open({}, PANAMA, utc(2026, 12, 7, 15, 0))
    assert next_opening({}, PANAMA, utc(2026, 12, 7, 15, 0)) is None
    assert next_opening({"mon": [], "sun": []}, PANAMA, utc(2026, 12, 7, 15, 0)) is None


def test_split_days_and_next_week():
    hours = {"mon": ["08:00", "12:00", "14:00", "18:00"]}
    assert not is_open(hours, "UTC", utc(2026, 12, 7, 13, 0))  # lunch
    assert next_opening(hours, "UTC", utc(2026, 12, 7, 13, 0)) == utc(2026, 12, 7, 14, 0)
    assert next_opening(hours, "UTC", utc(2026, 12, 7, 18, 0)) == utc(2026, 12, 14, 8, 0)


def test_naive_now_is_read_as_utc():
    assert is_open(WEEKDAYS, PANAMA, dt.datetime(2026, 12, 7, 13, 0))


@pytest.mark.parametrize(
    "hours",
    [
        {"monday": ["08:00", "17:00"]},
        {"mon": ["8h", "17h"]},
        {"mon": ["08:00"]},
        {"mon": ["24:00", "02:00"]},
    ],
)
def test_malformed_tables_are_refused(hours):
    with pytest.raises(ValueError):
        validate(hours)
