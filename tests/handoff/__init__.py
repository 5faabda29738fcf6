"""Tests of the handoff's core (bot/handoff/): builders shared by its test files.

Organisations and accounts are made as rows (no Argon2 hashing: these tests are about cases,
not logins); `NOW` is a Monday in December, 09:00 UTC.
"""

from __future__ import annotations

import datetime as dt

from cryptography.fernet import Fernet
from sqlalchemy.orm import Session

from bot.handoff.hours import DAYS
from bot.store.models import Account, Organisation

NOW = dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC)  # Monday
KEYS = [Fernet.generate_key()]
ALWAYS = {day: ["00:00", "24:00"] for day in DAYS}
WEEKDAYS = {day: ["08:00", "17:00"] for day in DAYS[:5]}


def organisation(
    session: Session,
    name: str,
    countries: list[str] | None = None,
    languages: list[str] | None = None,
    opening_hours: dict[str, list[str]] | None = None,
    time_zone: str = "UTC",
) -> Organisation:
    row = Organisation(
        name=name,
        countries=countries or [],
        languages=languages or [],
        opening_hours=ALWAYS if opening_hours is None else opening_hours,
        time_zone=time_zone,
    )
    session.add(row)
    session.flush()
    return row


def account(
    session: Session, org: Organisation, username: str, role: str = "caseworker"
) -> Account:
    row = Account(organisation_id=org.id, username=username, password_hash="not-a-hash", role=role)
    session.add(row)
    session.flush()
    return row
