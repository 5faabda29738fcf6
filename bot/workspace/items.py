"""The items of the workspace: which an account may read, their state per language, creating
and adopting them, and their settings (issue 14).

Why a module apart from the routes: the rule "an organisation sees its own items and the sample
content, nothing else" is one query here that every page uses, so no page can forget it, and the
tests can reach it without a browser. Changing a text is not here: that is the workflow of
bot/workspace/revisions.py, which is the only code that writes revisions and live variants.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from bot.content.lookup import NEVER_SENT
from bot.languages import LanguageTable, fold
from bot.places import Gazetteer, load_gazetteer
from bot.store.models import (
    Account,
    ContentItem,
    ContentRevision,
    ContentVariant,
    Topic,
)
from bot.workspace import audit, revisions
from bot.workspace.accounts import SAMPLE_ORGANISATION, organisation_named
from bot.workspace.permissions import Action, allowed
from bot.workspace.revisions import NotAllowed, WrongState

# The state of one language of an item, as the list and the item page show it: the head
# revision's status, else (seed content not opened yet) the live variant's, else "missing".
MISSING = "missing"
STATUSES = ("published", "draft", "in_review", "archived", MISSING)
EVERYWHERE = ""  # the country filter's and the new item form's value for "no country"


class ItemExists(ValueError):
    """The store keeps one item per topic and country, whichever organisation owns it."""

    def __init__(self, item: ContentItem) -> None:
        self.item = item
        self.owner = item.organisation.name if item.organisation is not None else None
        super().__init__(f"item {item.id} already covers {item.topic_name} {item.country}")


@dataclass(frozen=True)
class Filters:
    """What the list's GET form asks for; empty strings mean "any"."""

    topic: str = ""
    country: str | None = None  # None: any; EVERYWHERE: the general items only
    status: str = ""
    text: str = ""

    @classmethod
    def from_query(cls, query: dict[str, str]) -> Filters:
        country = query.get("country")
        return cls(
            topic=query.get("topic", "").strip(),
            country=None if country in (None, "*") else country.strip().upper(),
            status=query.get("status", "") if query.get("status") in STATUSES else "",
            text=query.get("q", "").strip(),
        )

    @property
    def active(self) -> bool:
        return bool(self.topic or self.country is not None or self.status or self.text)


@dataclass
class ItemRow:
    """One item with, per language of the assistant, its head and its live variant."""

    item: ContentItem
    heads: dict[str, ContentRevision | None] = field(default_factory=dict)

    def variant(self, language: str) -> ContentVariant | None:
        return next((v for v in self.item.variants if v.language == language), None)

    def status(self, language: str) -> str:
        return language_status(self.heads.get(language), self.variant(language))

    def title(self, languages: LanguageTable) -> str:
        """The title in the source language, else in any language, else the topic."""
        for language in [languages.default, *languages.codes]:
            text = self.heads.get(language) or self.variant(language)
            if text is not None:
                return text.title
        return self.item.topic_name

    def titles(self) -> Iterable[str]:
        yield from (head.title for head in self.heads.values() if head is not None)
        yield from (variant.title for variant in self.item.variants)


def language_status(head: ContentRevision | None, variant: ContentVariant | None) -> str:
    if head is not None:
        return head.status
    if variant is not None:
        # Seed content before its first revision: the variant's review status is its state; a
        # variant "in review" in the YAML is sent (bot/content/lookup.py), so it is published.
        return variant.review_status if variant.review_status in NEVER_SENT else "published"
    return MISSING


def is_live(variant: ContentVariant | None) -> bool:
    """Whether people get this text today (drafts and archived texts are never sent)."""
    return variant is not None and variant.review_status not in NEVER_SENT


def edit_action(language: str, languages: LanguageTable) -> Action:
    """The right a page checks before it offers the editor: the rule of revisions.save_draft
    (the source language needs EDIT_SOURCE, another TRANSLATE), so that both agree."""
    return revisions._edit_action(language, languages)


def may_edit(account: Account, item: ContentItem, language: str, languages: LanguageTable) -> bool:
    return item.organisation_id == account.organisation_id and allowed(
        account.role, edit_action(language, languages)
    )


# --- reading ---------------------------------------------------------------------------------


def _with_variants(query: Select[tuple[ContentItem]]) -> Select[tuple[ContentItem]]:
    """Items with their texts and owner in a few queries, not one per row of the list."""
    return query.options(
        selectinload(ContentItem.variants).selectinload(ContentVariant.sources),
        selectinload(ContentItem.organisation),
    )


def readable_item(session: Session, account: Account, item_id: int) -> ContentItem | None:
    """The item if this account may read it: its organisation's, or the sample content.
    Anything else is None, which the pages answer with 404: they never confirm it exists."""
    item = session.scalar(_with_variants(select(ContentItem).where(ContentItem.id == item_id)))
    if item is None:
        return None
    if item.organisation_id == account.organisation_id or is_sample(item):
        return item
    return None


def own_item(session: Session, account: Account, item_id: int) -> ContentItem | None:
    item = readable_item(session, account, item_id)
    return item if item is not None and item.organisation_id == account.organisation_id else None


def is_sample(item: ContentItem) -> bool:
    """Owned by the sample organisation (the seed): readable by all, editable once adopted."""
    return item.organisation is not None and item.organisation.name == SAMPLE_ORGANISATION


def heads_of(session: Session, item_ids: Iterable[int]) -> dict[tuple[int, str], ContentRevision]:
    """The head of every language of these items, in one query (the list shows many)."""
    ids = list(item_ids)
    if not ids:
        return {}
    newest = (
        select(
            ContentRevision.item_id,
            ContentRevision.language,
            func.max(ContentRevision.number).label("number"),
        )
        .where(ContentRevision.item_id.in_(ids))
        .group_by(ContentRevision.item_id, ContentRevision.language)
        .subquery()
    )
    rows = session.scalars(
        select(ContentRevision)
        .join(
            newest,
            (ContentRevision.item_id == newest.c.item_id)
            & (ContentRevision.language == newest.c.language)
            & (ContentRevision.number == newest.c.number),
        )
        .options(selectinload(ContentRevision.author))
    )
    return {(revision.item_id, revision.language): revision for revision in rows}


def rows_for(
    session: Session, organisation_id: int, languages: LanguageTable, filters: Filters
) -> list[ItemRow]:
    """An organisation's items, filtered, by topic then country (general first)."""
    query = select(ContentItem).where(ContentItem.organisation_id == organisation_id)
    if filters.topic:
        query = query.where(ContentItem.topic_name == filters.topic)
    if filters.country == EVERYWHERE:
        query = query.where(ContentItem.country.is_(None))
    elif filters.country:
        query = query.where(ContentItem.country == filters.country)
    items = list(session.scalars(_with_variants(query)))
    heads = heads_of(session, (item.id for item in items))
    rows = [
        ItemRow(item, {lang: heads.get((item.id, lang)) for lang in languages.codes})
        for item in items
    ]
    wanted = fold(filters.text)
    rows = [
        row
        for row in rows
        if (not filters.status or filters.status in map(row.status, languages.codes))
        and (not wanted or any(wanted in fold(title) for title in row.titles()))
    ]
    return sorted(rows, key=lambda row: (row.item.topic_name, row.item.country or ""))


def row_for(session: Session, item: ContentItem, languages: LanguageTable) -> ItemRow:
    heads = heads_of(session, [item.id])
    return ItemRow(item, {lang: heads.get((item.id, lang)) for lang in languages.codes})


def has_revisions(session: Session, item: ContentItem) -> bool:
    return (
        session.scalar(select(ContentRevision.id).where(ContentRevision.item_id == item.id))
        is not None
    )


def topics(session: Session) -> list[str]:
    """The topics an item can be about: the assistant's intents, fixed by the seed."""
    return list(session.scalars(select(Topic.name).order_by(Topic.name)))


@lru_cache(maxsize=4)
def gazetteer(path: Path) -> Gazetteer:
    """The countries' names, as the assistant writes them back to people."""
    return load_gazetteer(path)


def country_name(places: Gazetteer, code: str | None, language: str, everywhere: str) -> str:
    if code is None:
        return everywhere
    return places.name(code, language, "en")


# --- changing --------------------------------------------------------------------------------


def create_item(
    session: Session, account: Account, topic: str, country: str | None, *, now: dt.datetime
) -> ContentItem:
    """A new item of the account's organisation, with no text yet: its editors write it."""
    if not allowed(account.role, Action.CREATE_ITEM):
        raise NotAllowed(f"your role ({account.role}) cannot create items")
    if session.get(Topic, topic) is None:
        raise WrongState(f"there is no topic {topic!r}")
    country = country.upper() if country else None
    existing = session.scalar(
        _with_variants(
            select(ContentItem).where(
                ContentItem.topic_name == topic,
                ContentItem.country.is_(None)
                if country is None
                else ContentItem.country == country,
            )
        )
    )
    if existing is not None:
        raise ItemExists(existing)
    item = ContentItem(topic_name=topic, country=country, organisation_id=account.organisation_id)
    session.add(item)
    session.flush()
    audit.record(session, account, "create_item", f"item {item.id}", _scope(item), now=now)
    return item


def adopt(session: Session, account: Account, item: ContentItem, *, now: dt.datetime) -> None:
    """Take over a sample item: from now on the adopting organisation keeps it right, and only
    its accounts can change it. History starts from the text people get (ensure_baseline)."""
    if not allowed(account.role, Action.ADOPT):
        raise NotAllowed(f"your role ({account.role}) cannot adopt sample items")
    if item.organisation_id == account.organisation_id:
        raise WrongState("this item is already your organisation's")
    if not is_sample(item):
        raise NotAllowed("only sample content can be adopted")
    revisions.ensure_baseline(session, item)
    item.organisation_id = account.organisation_id
    session.flush()
    session.refresh(item, ["organisation"])
    audit.record(
        session, account, "adopt", f"item {item.id}", f"from sample: {_scope(item)}", now=now
    )


@dataclass(frozen=True)
class Settings:
    """What the settings form changes; the texts are changed through revisions only."""

    review_by: dt.date | None
    sample: bool
    needs_review: bool
    review_note: str | None


def update_settings(
    session: Session, account: Account, item: ContentItem, wanted: Settings, *, now: dt.datetime
) -> list[str]:
    """Apply the settings; returns the names of what changed (the audit line lists them)."""
    if not allowed(account.role, Action.EDIT_SETTINGS):
        raise NotAllowed(f"your role ({account.role}) cannot change an item's settings")
    if item.organisation_id != account.organisation_id:
        raise NotAllowed("this item belongs to another organisation")
    note = (wanted.review_note or "").strip() or None
    changed = []
    for name, value in (
        ("review_by", wanted.review_by),
        ("sample", wanted.sample),
        ("needs_review", wanted.needs_review),
        ("review_note", note),
    ):
        if getattr(item, name) != value:
            setattr(item, name, value)
            changed.append(name)
    if changed:
        audit.record(
            session, account, "item_settings", f"item {item.id}", ", ".join(changed), now=now
        )
    return changed


def _scope(item: ContentItem) -> str:
    return f"{item.topic_name} {item.country or 'everywhere'}"


def sample_organisation_id(session: Session) -> int | None:
    """The sample organisation's id, None when a store emptied by hand has none."""
    organisation = organisation_named(session, SAMPLE_ORGANISATION)
    return organisation.id if organisation is not None else None
