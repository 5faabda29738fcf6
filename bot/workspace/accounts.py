"""Organisations and accounts: creating them, and checking a login.

The first organisation and admin are made from the command line (`python -m bot admin
create-org NAME`, `create-user --org NAME --role ROLE USERNAME`): there is no default
password anywhere, so a fresh install cannot be entered by someone who read this file.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot.store.models import Account, Organisation, Role
from bot.workspace import throttle
from bot.workspace.passwords import hash_password, verify_password

SAMPLE_ORGANISATION = "sample"  # owns the seed content (migration 0008)
USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,62}$")


class AccountError(ValueError):
    """A request that cannot be carried out; the message says why in plain words."""


def organisation_named(session: Session, name: str) -> Organisation | None:
    return session.scalar(
        select(Organisation).where(func.lower(Organisation.name) == name.strip().lower())
    )


def sample_organisation(session: Session) -> Organisation:
    """The owner of the seed content, made when missing (a store emptied by hand)."""
    organisation = organisation_named(session, SAMPLE_ORGANISATION)
    if organisation is None:
        organisation = Organisation(name=SAMPLE_ORGANISATION)
        session.add(organisation)
        session.flush()
    return organisation


def create_organisation(
    session: Session,
    name: str,
    *,
    countries: list[str] | None = None,
    languages: list[str] | None = None,
) -> Organisation:
    name = name.strip()
    if not name:
        raise AccountError("an organisation needs a name")
    if organisation_named(session, name) is not None:
        raise AccountError(f"an organisation named {name!r} already exists")
    organisation = Organisation(
        name=name,
        countries=[c.upper() for c in countries or []],
        languages=list(languages or []),
    )
    session.add(organisation)
    session.flush()
    return organisation


def create_account(
    session: Session, organisation: Organisation, username: str, role: str, password: str
) -> Account:
    username = username.strip().lower()
    if not USERNAME_PATTERN.match(username):
        raise AccountError(
            "a user name is 2 to 63 lower-case letters, digits, dots, dashes or underscores"
        )
    try:
        role = Role(role).value
    except ValueError:
        raise AccountError(
            f"unknown role {role!r}; one of: {', '.join(r.value for r in Role)}"
        ) from None
    if session.scalar(select(Account).where(Account.username == username)) is not None:
        raise AccountError(f"the user name {username!r} is taken")
    account = Account(
        organisation=organisation,
        username=username,
        role=role,
        password_hash=hash_password(password),
    )
    session.add(account)
    session.flush()
    return account


@dataclass(frozen=True)
class LoginResult:
    account: Account | None
    wait_seconds: int = 0  # > 0: too many wrong passwords, nothing was checked


def log_in(
    session: Session,
    username: str,
    password: str,
    *,
    address: str,
    throttle_key: bytes,
    now: dt.datetime,
) -> LoginResult:
    """Check a password, slowed down after repeated failures (bot/workspace/throttle.py)."""
    counters = throttle.keys(throttle_key, username, address)
    wait = throttle.seconds_to_wait(session, counters, now)
    if wait > 0:
        return LoginResult(None, wait)
    account = session.scalar(select(Account).where(Account.username == username.strip().lower()))
    hashed = account.password_hash if account is not None and account.active else None
    if not verify_password(hashed, password):
        throttle.record_failure(session, counters, now)
        return LoginResult(None)
    throttle.clear(session, counters)
    return LoginResult(account)
