"""What an organisation has to do today: the dashboard's four lists, read from the store.

Why a module of its own, pure over a Session: the rules ("outdated" means the source language
was published again after the translation was written) are the part a partner argues about, so
they are tested without the web; the page only shows what `build` returns.

Kept to a handful of queries whatever the number of items (the seed has ~80): the items with
their live variants, the revisions that matter, and the submit times of what is in review.

- Past its review date: `review_by` before today (the organisation's day, from the clock).
- Missing: a language of the assistant with no text people get (none, a draft only, archived).
- Outdated: the translation people get was written from source version N (its revision's
  `source_number`) and the source language has been published again since (its live `version`
  is above N). A translation imported with the seed counts as written from the source's
  imported version. Seed content nobody edited has no revisions and is never outdated; a
  translation written before the source had any published text has no known basis and is not
  reported either (nothing to compare). A translator who read it against the new source and
  pressed "still correct" (`confirmed_source_number`) clears it until the next publication.
  The export marks the same translations (bot/workspace/exchange.py reads `outdated`).
- Waiting for review: the newest version of a language is in review; who wrote it, since when.
- Still marked: the seed's `sample` and `needs_review` flags, with the item's note.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, selectinload

from bot.content.lookup import NEVER_SENT
from bot.languages import LanguageTable
from bot.store.models import (
    Account,
    AuditEntry,
    ContentItem,
    ContentRevision,
    RevisionStatus,
)
from bot.workspace.revisions import IMPORTED_NOTE

# Revisions that can be the newest of a language, or the one people get; `replaced` and
# `superseded` never are, so they are not read.
_CURRENT_STATUSES = (
    RevisionStatus.DRAFT.value,
    RevisionStatus.IN_REVIEW.value,
    RevisionStatus.PUBLISHED.value,
    RevisionStatus.ARCHIVED.value,
)
_ON_ITS_WAY = (RevisionStatus.DRAFT.value, RevisionStatus.IN_REVIEW.value)


@dataclass(frozen=True)
class ItemRef:
    """An item as a row names it: its id for the link, its topic, country and titles."""

    id: int
    topic: str
    country: str | None
    titles: dict[str, str] = field(default_factory=dict, compare=False)

    def title(self, language: str, fallback: str) -> str:
        """The title in the reader's language if the item has one, else the source's."""
        return (
            self.titles.get(language)
            or self.titles.get(fallback)
            or next(iter(self.titles.values()), self.topic)
        )


@dataclass(frozen=True)
class Overdue:
    item: ItemRef
    review_by: dt.date
    days_late: int


@dataclass(frozen=True)
class LanguageGap:
    """One language of one item that people do not get, or get out of date.

    `on_its_way` is the state of a newer version being written ("draft", "in_review") if any:
    the page then says that somebody is already on it."""

    item: ItemRef
    language: str
    kind: Literal["missing", "outdated"]
    on_its_way: str | None = None
    source_version: int | None = None  # outdated: the source's live version...
    written_from: int | None = None  # ...and the one the translation was written from


@dataclass(frozen=True)
class WaitingReview:
    item: ItemRef
    language: str
    number: int
    author: str | None
    since: dt.datetime


@dataclass(frozen=True)
class Marked:
    item: ItemRef
    sample: bool
    needs_review: bool
    note: str | None


@dataclass(frozen=True)
class Dashboard:
    overdue: list[Overdue]
    gaps: list[LanguageGap]
    waiting: list[WaitingReview]
    marked: list[Marked]

    @property
    def empty(self) -> bool:
        return not (self.overdue or self.gaps or self.waiting or self.marked)


@dataclass(frozen=True)
class _Revision:
    """The columns of a revision the dashboard reads (no bodies: they can be long)."""

    item_id: int
    language: str
    number: int
    status: str
    source_number: int | None
    confirmed_source_number: int | None
    imported: bool
    author: str | None
    created_at: dt.datetime


def build(
    session: Session, organisation_id: int, *, today: dt.date, languages: LanguageTable
) -> Dashboard:
    """The four lists for one organisation, each in the order a partner works through it."""
    items = list(
        session.scalars(
            select(ContentItem)
            .where(ContentItem.organisation_id == organisation_id)
            .options(selectinload(ContentItem.variants))
            .order_by(ContentItem.topic_name, ContentItem.country, ContentItem.id)
        )
    )
    refs = {item.id: item_ref(item) for item in items}
    revisions = _revisions(session, organisation_id)
    heads = _heads(revisions)
    waiting = _waiting(session, organisation_id, refs, heads)
    return Dashboard(
        overdue=_overdue(items, refs, today),
        gaps=[
            gap for item in items for gap in _gaps(item, refs[item.id], revisions, heads, languages)
        ],
        waiting=waiting,
        marked=[
            Marked(refs[item.id], item.sample, item.needs_review, item.review_note)
            for item in items
            if item.sample or item.needs_review
        ],
    )


def today_for(now: dt.datetime, time_zone: str) -> dt.date:
    """The organisation's date at `now`: a review date passes at its midnight, not UTC's."""
    try:
        return now.astimezone(ZoneInfo(time_zone)).date()
    except (ZoneInfoNotFoundError, ValueError):
        return now.astimezone(dt.UTC).date()


def item_ref(item: ContentItem) -> ItemRef:
    """How a row names an item (needs its variants loaded)."""
    return ItemRef(
        id=item.id,
        topic=item.topic_name,
        country=item.country,
        titles={variant.language: variant.title for variant in item.variants},
    )


def item_gaps(session: Session, item: ContentItem, languages: LanguageTable) -> list[LanguageGap]:
    """The missing and outdated languages of one item, by the dashboard's own rules (the item
    page offers a machine draft and "still correct" from these)."""
    if item.organisation_id is None:
        return []
    revisions = _revisions(session, item.organisation_id, item_id=item.id)
    return _gaps(item, item_ref(item), revisions, _heads(revisions), languages)


def outdated(
    session: Session, organisation_id: int, languages: LanguageTable
) -> dict[tuple[int, str], LanguageGap]:
    """(item, language) -> why it is outdated, for the organisation's items (the export)."""
    items = session.scalars(
        select(ContentItem)
        .where(ContentItem.organisation_id == organisation_id)
        .options(selectinload(ContentItem.variants))
    )
    revisions = _revisions(session, organisation_id)
    heads = _heads(revisions)
    return {
        (gap.item.id, gap.language): gap
        for item in items
        for gap in _gaps(item, item_ref(item), revisions, heads, languages)
        if gap.kind == "outdated"
    }


def _revisions(
    session: Session, organisation_id: int, item_id: int | None = None
) -> dict[tuple[int, str], list[_Revision]]:
    """(item, language) -> its revisions that matter, newest first, in one query."""
    query = (
        select(
            ContentRevision.item_id,
            ContentRevision.language,
            ContentRevision.number,
            ContentRevision.status,
            ContentRevision.source_number,
            ContentRevision.confirmed_source_number,
            ContentRevision.note,
            ContentRevision.author_id,
            ContentRevision.created_at,
            Account.username,
        )
        .join(ContentItem, ContentItem.id == ContentRevision.item_id)
        .outerjoin(Account, Account.id == ContentRevision.author_id)
        .where(
            ContentItem.organisation_id == organisation_id,
            or_(
                ContentRevision.status.in_(_CURRENT_STATUSES),
                ContentRevision.note == IMPORTED_NOTE,
            ),
        )
        .order_by(ContentRevision.number.desc())
    )
    if item_id is not None:
        query = query.where(ContentRevision.item_id == item_id)
    rows = session.execute(query)
    found: dict[tuple[int, str], list[_Revision]] = defaultdict(list)
    for row in rows:
        found[(row.item_id, row.language)].append(
            _Revision(
                item_id=row.item_id,
                language=row.language,
                number=row.number,
                status=row.status,
                source_number=row.source_number,
                confirmed_source_number=row.confirmed_source_number,
                imported=row.note == IMPORTED_NOTE and row.author_id is None,
                author=row.username,
                created_at=row.created_at,
            )
        )
    return found


def _heads(revisions: dict[tuple[int, str], list[_Revision]]) -> dict[tuple[int, str], _Revision]:
    # Replaced and superseded revisions were left out, and they are never the newest, so the
    # first revision read is the head unless only an imported baseline is left.
    return {
        key: found[0]
        for key, found in revisions.items()
        if found and found[0].status in _CURRENT_STATUSES
    }


def _overdue(items: list[ContentItem], refs: dict[int, ItemRef], today: dt.date) -> list[Overdue]:
    late = [item for item in items if item.review_by is not None and item.review_by < today]
    late.sort(key=lambda item: (item.review_by, item.id))
    return [
        Overdue(refs[item.id], item.review_by, (today - item.review_by).days)
        for item in late
        if item.review_by is not None
    ]


def _gaps(
    item: ContentItem,
    ref: ItemRef,
    revisions: dict[tuple[int, str], list[_Revision]],
    heads: dict[tuple[int, str], _Revision],
    languages: LanguageTable,
) -> list[LanguageGap]:
    live = {v.language: v for v in item.variants if v.review_status not in NEVER_SENT}
    source = live.get(languages.default)
    gaps = []
    for language in languages.codes:
        newest = heads.get((item.id, language))
        on_its_way = newest.status if newest and newest.status in _ON_ITS_WAY else None
        if language not in live:
            gaps.append(LanguageGap(ref, language, "missing", on_its_way))
            continue
        if language == languages.default or source is None:
            continue
        written_from = _written_from(
            revisions.get((item.id, language), []), revisions.get((item.id, languages.default), [])
        )
        if written_from is not None and source.version > written_from:
            gaps.append(
                LanguageGap(ref, language, "outdated", on_its_way, source.version, written_from)
            )
    return gaps


def _written_from(translation: list[_Revision], source: list[_Revision]) -> int | None:
    """The source version the published translation was written from, if it is known."""
    published = next((r for r in translation if r.status == RevisionStatus.PUBLISHED), None)
    if published is None:
        return None
    written = published.source_number
    if written is None and published.imported:
        written = next((r.number for r in source if r.imported), None)
    confirmed = published.confirmed_source_number
    if confirmed is not None and (written is None or confirmed > written):
        return confirmed
    return written


def _waiting(
    session: Session,
    organisation_id: int,
    refs: dict[int, ItemRef],
    heads: dict[tuple[int, str], _Revision],
) -> list[WaitingReview]:
    """The heads in review, longest waiting first; since = when it was sent for review (the
    audit line of the submit), else when it was saved."""
    in_review = [r for r in heads.values() if r.status == RevisionStatus.IN_REVIEW]
    submitted: dict[str, dt.datetime] = {}
    if in_review:
        targets = [_audit_target(r) for r in in_review]
        found = session.execute(
            select(AuditEntry.target, func.max(AuditEntry.at))
            .where(
                AuditEntry.organisation_id == organisation_id,
                AuditEntry.action == "submit",
                AuditEntry.target.in_(targets),
            )
            .group_by(AuditEntry.target)
        )
        submitted = {row[0]: row[1] for row in found}
    waiting = [
        WaitingReview(
            refs[r.item_id],
            r.language,
            r.number,
            r.author,
            _aware(submitted.get(_audit_target(r)) or r.created_at),
        )
        for r in in_review
        if r.item_id in refs
    ]
    return sorted(waiting, key=lambda row: (row.since, row.item.id, row.language))


def _audit_target(revision: _Revision) -> str:
    # The target that bot/workspace/revisions.py writes for a revision (its `_target`).
    return f"item {revision.item_id} {revision.language} r{revision.number}"


def _aware(moment: dt.datetime) -> dt.datetime:
    """SQLite gives back naive datetimes; everything stored is UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
