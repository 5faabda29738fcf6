"""Which partner organisation answers a person: by country first, then language, then hours.

Why this order: help must be where the person is (a shelter in Panama is no use in Mexico),
and in a language they read; among the partners that fit, one that is open now answers
before one that opens tomorrow. Organisations declare what they cover in the workspace
(`countries`, `languages`, `opening_hours`, `time_zone` on `Organisation`).

1. Partners listing the country and the language: open now, else the soonest to open.
2. Else partners listing the country, in any language (an interpreter beats no one).
3. Else partners listing the language and no country (they serve it everywhere).
4. Else the default organisation: the one named by `default_name`, else "sample".

Within a step, ties go to the lowest id, so the same question always gets the same answer.
The sample organisation owns the seed content and is never chosen before step 4.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.handoff import hours
from bot.store.models import Organisation
from bot.workspace.accounts import SAMPLE_ORGANISATION, organisation_named, sample_organisation

log = logging.getLogger(__name__)

# A partner that never opens (no hours) ranks after every one that does, by id.
_NEVER = dt.datetime.max.replace(tzinfo=dt.UTC)


def default_organisation(session: Session, default_name: str | None = None) -> Organisation:
    """The organisation that gets what no partner covers: `default_name` if it exists,
    else the sample organisation (made when missing)."""
    if default_name:
        named = organisation_named(session, default_name)
        if named is not None:
            return named
        log.warning("handoff default organisation %r does not exist: using sample", default_name)
    return sample_organisation(session)


def _opens_at(organisation: Organisation, now: dt.datetime) -> dt.datetime:
    """When the organisation is next open (now, if open); a broken table counts as never."""
    try:
        moment = hours.next_opening(
            organisation.opening_hours or {}, organisation.time_zone or "UTC", now
        )
    except (ValueError, ZoneInfoNotFoundError):
        log.warning("organisation %d has unreadable opening hours", organisation.id)
        return _NEVER
    return _NEVER if moment is None else moment.astimezone(dt.UTC)


def _best(candidates: Sequence[Organisation], now: dt.datetime) -> Organisation | None:
    if not candidates:
        return None
    return min(candidates, key=lambda org: (_opens_at(org, now), org.id))


def _countries(organisation: Organisation) -> set[str]:
    return {country.upper() for country in organisation.countries or []}


def _languages(organisation: Organisation) -> set[str]:
    return {language.lower() for language in organisation.languages or []}


def choose_organisation(
    session: Session,
    country: str | None,
    language: str | None,
    *,
    now: dt.datetime,
    default_name: str | None = None,
) -> Organisation:
    """The organisation a new case for this country (ISO code) and language goes to."""
    partners = [
        org
        for org in session.scalars(select(Organisation).order_by(Organisation.id))
        if org.name.lower() != SAMPLE_ORGANISATION
    ]
    country = country.upper() if country else None
    language = language.lower() if language else None
    steps: list[list[Organisation]] = []
    if country and language:
        steps.append(
            [o for o in partners if country in _countries(o) and language in _languages(o)]
        )
    if country:
        steps.append([o for o in partners if country in _countries(o)])
    if language:
        steps.append([o for o in partners if not _countries(o) and language in _languages(o)])
    if language and not country:
        # Where the person is is not known yet (a child who has not said): a partner that
        # speaks their language, wherever it works, rather than nobody.
        steps.append([o for o in partners if language in _languages(o)])
    for candidates in steps:
        chosen = _best(candidates, now)
        if chosen is not None:
            return chosen
    return default_organisation(session, default_name)
