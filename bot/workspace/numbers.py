"""The verified phone numbers per country, and the numbers in texts that are not on the list.

Why: a wrong number in an answer can cost a life (issue 14). An admin checks a number against a
public source and adds it here with that source and the day; every number in a text that is not
on its country's list (or on the list valid everywhere) is flagged on the numbers page and on
the review screen, until somebody checks it.

Numbers are kept normalised (bot/workspace/truth.py `normalise_phone`): "+507 500-6000" and
"+5075006000" are one number. A number written without "+" in a country's text is also matched
against the international form with that country's calling code ("500-6000" in Panama is
"+5075006000"), so an admin adds a number once, in either form.

The list is shared by every organisation: a hotline's number is a fact about the country, not
about the partner that checked it. Who added or removed a number is in the audit log.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from bot.content.lookup import NEVER_SENT
from bot.store.models import Account, ContentItem, ContentRevision, RevisionStatus, VerifiedNumber
from bot.workspace import audit, truth
from bot.workspace.dashboard import ItemRef, item_ref
from bot.workspace.i18n import N_
from bot.workspace.items import gazetteer

# The international calling code of each country of the gazetteer (ITU-T E.164), so that a
# number written locally in a country's text matches the international form on the list.
CALLING_CODES: dict[str, str] = {
    "BR": "55",
    "CA": "1",
    "CL": "56",
    "CO": "57",
    "CR": "506",
    "CU": "53",
    "DO": "1",
    "EC": "593",
    "GT": "502",
    "HN": "504",
    "HT": "509",
    "MX": "52",
    "NI": "505",
    "PA": "507",
    "PE": "51",
    "SV": "503",
    "US": "1",
    "VE": "58",
}
# What a person may type as a number: digits in groups, an optional "+" (or the "*"/"#" of a
# code dialled on the phone) and a closing "#".
_WRITTEN_NUMBER = re.compile(r"[+*#]?[\d \u00a0().\-/]+#?")
_MIN_DIGITS, _MAX_DIGITS = 3, 15  # a short code ("911") to the longest E.164 number
_COUNTRY = re.compile(r"[A-Z]{2}")


class NumberError(ValueError):
    """A number that cannot be added or removed. The message is a constant sentence marked
    for the catalogs (N_), so the page shows it in the partner's language; `field` names the
    part of the form it is about ("number", "source_url"...), None for none in particular."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class CountryNumbers:
    """One country's list (country None: valid everywhere)."""

    country: str | None
    numbers: list[VerifiedNumber]


@dataclass(frozen=True)
class Sighting:
    """Where an unverified number appears: an item, in which languages, live or not yet."""

    item: ItemRef
    languages: tuple[str, ...]
    live: bool  # in a text people get today, not only in a draft or a text in review


@dataclass(frozen=True)
class UnverifiedNumber:
    country: str | None
    number: str  # normalised
    written: str  # as the first text that has it writes it
    sightings: list[Sighting] = field(default_factory=list)


# --- the list --------------------------------------------------------------------------------


def normalise(written: str) -> str:
    """The stored form of a number a person typed, or NumberError if it is not a number."""
    written = written.strip()
    digits = re.sub(r"\D", "", written)
    if not _WRITTEN_NUMBER.fullmatch(written) or not _MIN_DIGITS <= len(digits) <= _MAX_DIGITS:
        raise NumberError(
            N_("Write the number with digits only, for example +507 500-6000 or 911."), "number"
        )
    return truth.normalise_phone(written)


def calling_code(country: str | None) -> str | None:
    """The digits of a country's calling code ("PA" -> "507"), None when unknown."""
    return CALLING_CODES.get(country) if country else None


def verified_for(session: Session, country: str | None) -> set[str]:
    """The verified numbers that hold in `country`: its own and those valid everywhere
    (country None: only those valid everywhere). Normalised, as truth.unverified_phones takes
    them; the review screen calls it for an item's country."""
    where = VerifiedNumber.country.is_(None)
    if country:
        where = or_(where, VerifiedNumber.country == country)
    return set(session.scalars(select(VerifiedNumber.number).where(where)))


def unverified(session: Session, text: str, country: str | None) -> set[str]:
    """The phone numbers of `text` (normalised) not on the list of `country`."""
    return truth.unverified_phones(text, verified_for(session, country), calling_code(country))


def listing(session: Session) -> list[CountryNumbers]:
    """Every verified number, grouped by country: everywhere first, then by country code."""
    grouped: dict[str | None, list[VerifiedNumber]] = defaultdict(list)
    for number in session.scalars(
        select(VerifiedNumber).order_by(VerifiedNumber.country, VerifiedNumber.number)
    ):
        grouped[number.country].append(number)
    order = sorted(grouped, key=lambda country: (country is not None, country or ""))
    return [CountryNumbers(country, grouped[country]) for country in order]


def add(
    session: Session,
    account: Account,
    *,
    country: str | None,
    number: str,
    label: str,
    source_title: str,
    source_url: str,
    verified_on: dt.date,
    now: dt.datetime,
) -> VerifiedNumber:
    """Put a number on a country's list, with the public source it was checked against and the
    day; refused for a number already there, a source that is not a web page, a future day."""
    country = country.strip().upper() if country and country.strip() else None
    if country is not None and not _COUNTRY.fullmatch(country):
        raise NumberError(N_("Choose a country from the list, or everywhere."), "country")
    value = normalise(number)
    if not label.strip():
        raise NumberError(N_("Say what the number is."), "label")
    if not source_title.strip():
        raise NumberError(N_("Give the title of the page where you checked it."), "source_title")
    parts = urlsplit(source_url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NumberError(
            N_("The source must be a web address starting with http:// or https://"), "source_url"
        )
    if verified_on > now.date():
        raise NumberError(N_("The day it was checked cannot be in the future."), "verified_on")
    if _find(session, country, value) is not None:
        raise NumberError(N_("This number is already on the list of this country."), "number")
    entry = VerifiedNumber(
        country=country,
        number=value,
        label=label.strip(),
        source_title=source_title.strip(),
        source_url=source_url.strip(),
        verified_on=verified_on,
        added_by_id=account.id,
    )
    session.add(entry)
    session.flush()
    audit.record(
        session,
        account,
        "add_number",
        _target(entry),
        f"{entry.label} ({entry.source_url})",
        now=now,
    )
    return entry


def remove(session: Session, account: Account, number_id: int, now: dt.datetime) -> VerifiedNumber:
    """Take a number off the list: texts that give it are flagged again."""
    entry = session.get(VerifiedNumber, number_id)
    if entry is None:
        raise NumberError(N_("This number is not on the list any more."))
    audit.record(session, account, "remove_number", _target(entry), entry.label, now=now)
    session.delete(entry)
    session.flush()
    return entry


def _find(session: Session, country: str | None, value: str) -> VerifiedNumber | None:
    # Written out for None: in SQL, NULL = NULL is not true, so the unique constraint of the
    # table does not stop a second "everywhere" entry of the same number.
    where = (
        VerifiedNumber.country.is_(None) if country is None else VerifiedNumber.country == country
    )
    return session.scalar(select(VerifiedNumber).where(where, VerifiedNumber.number == value))


def _target(entry: VerifiedNumber) -> str:
    return f"number {entry.number} {entry.country or 'everywhere'}"


# --- the numbers in texts --------------------------------------------------------------------


def unverified_in_texts(session: Session, organisation_id: int) -> list[UnverifiedNumber]:
    """Every phone number in the organisation's texts (the live ones and the drafts and texts
    in review) that is not on the list of the item's country, with where it appears.

    Three queries: the items with their variants, the unpublished versions, the list."""
    items = list(
        session.scalars(
            select(ContentItem)
            .where(ContentItem.organisation_id == organisation_id)
            .options(selectinload(ContentItem.variants))
            .order_by(ContentItem.topic_name, ContentItem.country, ContentItem.id)
        )
    )
    drafts: dict[int, list[tuple[str, str, bool]]] = defaultdict(list)
    for item_id, language, body in session.execute(
        select(ContentRevision.item_id, ContentRevision.language, ContentRevision.body)
        .join(ContentItem, ContentItem.id == ContentRevision.item_id)
        .where(
            ContentItem.organisation_id == organisation_id,
            # Only the newest version of a language is ever a draft or in review.
            ContentRevision.status.in_(
                (RevisionStatus.DRAFT.value, RevisionStatus.IN_REVIEW.value)
            ),
        )
    ):
        drafts[item_id].append((language, body, False))
    lists = _lists(session)
    found: dict[tuple[str | None, str], UnverifiedNumber] = {}
    for item in items:
        live_texts = [
            (variant.language, variant.body, True)
            for variant in item.variants
            if variant.review_status not in NEVER_SENT
        ]
        known = lists.get(item.country, set()) | lists.get(None, set())
        in_item = _unverified_in_item(live_texts + drafts[item.id], known, item.country)
        ref = item_ref(item)
        for value, (written, by_language) in in_item.items():
            entry = found.setdefault(
                (item.country, value), UnverifiedNumber(item.country, value, written)
            )
            entry.sightings.append(
                Sighting(ref, tuple(sorted(by_language)), any(by_language.values()))
            )
    return sorted(found.values(), key=lambda u: (u.country is not None, u.country or "", u.number))


def _unverified_in_item(
    texts: list[tuple[str, str, bool]], known: set[str], country: str | None
) -> dict[str, tuple[str, dict[str, bool]]]:
    """number -> (as first written, language -> whether a live text has it) for one item's
    texts (language, body, live)."""
    seen: dict[str, tuple[str, dict[str, bool]]] = {}
    for language, body, live in texts:
        flagged = truth.unverified_phones(body, known, calling_code(country))
        for fact in truth.facts_in(body):
            if fact.kind == "phone" and fact.value in flagged:
                _written, by_language = seen.setdefault(fact.value, (fact.text, {}))
                by_language[language] = by_language.get(language, False) or live
    return seen


def _lists(session: Session) -> dict[str | None, set[str]]:
    """Every country's verified numbers in one query (None: valid everywhere)."""
    lists: dict[str | None, set[str]] = defaultdict(set)
    for country, number in session.execute(select(VerifiedNumber.country, VerifiedNumber.number)):
        lists[country].add(number)
    return lists


# --- the countries the workspace knows -------------------------------------------------------


def country_names(gazetteer_path: Path, language: str, fallback: str = "en") -> dict[str, str]:
    """code -> the country's name in `language` (else English), for the gazetteer's countries
    (content/places/gazetteer.yml): the countries the assistant knows, sorted by name."""
    names = {
        code: by_language.get(language) or by_language.get(fallback) or code
        for code, by_language in gazetteer(gazetteer_path).names.items()
    }
    return dict(sorted(names.items(), key=lambda pair: pair[1]))
