"""Import content/*.yml into the store and export it back, without loss.

Import replaces a topic whole, so the files stay the single truth for seed content and a
partner's export-edit-import cycle never leaves stale items behind.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from bot.content.schema import ItemDoc, SourceDoc, TopicDoc, VariantDoc, file_stem
from bot.languages import LanguageTable
from bot.store.models import (
    ContentItem,
    ContentRevision,
    ContentSource,
    ContentVariant,
    Organisation,
    Topic,
)
from bot.workspace.accounts import SAMPLE_ORGANISATION, sample_organisation

FILE_HEADER = "# Seed content: sample text for partner review. Every fact has a source below.\n"


class ContentError(ValueError):
    """A content file that cannot be imported; the message names the file and the field."""


def load_topic_file(path: Path, languages: LanguageTable) -> TopicDoc:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        doc = TopicDoc.model_validate(raw)
    except (yaml.YAMLError, ValidationError) as error:
        raise ContentError(f"{path.name}: {error}") from error
    for item in doc.items:
        unknown = set(item.variants) - set(languages.codes)
        if unknown:
            raise ContentError(f"{path.name}: unknown language(s) {sorted(unknown)}")
        if languages.default not in item.variants:
            raise ContentError(
                f"{path.name}: item {item.country or 'general'} has no "
                f"{languages.default!r} variant (the fallback language)"
            )
    if path.stem != file_stem(doc.topic):
        raise ContentError(
            f"{path.name}: topic is {doc.topic!r}, file should be {file_stem(doc.topic)}.yml"
        )
    return doc


def save_topic(session: Session, doc: TopicDoc, owner: Organisation | None = None) -> None:
    """Replace the topic whole; its items belong to `owner` (default: the sample organisation,
    which owns the seed)."""
    existing = session.get(Topic, doc.topic)
    if existing is not None:
        session.delete(existing)
        session.flush()
    owner = owner or sample_organisation(session)
    topic = Topic(name=doc.topic, menu_order=doc.menu_order)
    for item_doc in doc.items:
        item = ContentItem(
            organisation_id=owner.id,
            country=item_doc.country,
            sample=item_doc.sample,
            needs_review=item_doc.needs_review,
            review_note=item_doc.review_note,
            checked_on=item_doc.checked_on,
        )
        for language, variant_doc in item_doc.variants.items():
            item.variants.append(_variant_from_doc(language, variant_doc))
        topic.items.append(item)
    session.add(topic)


def _variant_from_doc(language: str, doc: VariantDoc) -> ContentVariant:
    return ContentVariant(
        language=language,
        title=doc.title,
        body=doc.body,
        options=[option.model_dump() for option in doc.options],
        share_text=doc.share_text,
        review_status=doc.review_status.value,
        last_reviewed=doc.last_reviewed,
        version=doc.version,
        sources=[
            ContentSource(position=i, title=s.title, url=s.url) for i, s in enumerate(doc.sources)
        ],
    )


def store_is_empty(session: Session) -> bool:
    """No topic at all: the seed may be loaded without replacing anybody's work."""
    return session.scalar(select(Topic.name).limit(1)) is None


def load_directory(directory: Path, languages: LanguageTable) -> list[TopicDoc]:
    """Every content file of a directory, validated, in file-name order; none is written."""
    docs = [load_topic_file(path, languages) for path in sorted(directory.glob("*.yml"))]
    if not docs:
        raise ContentError(f"no *.yml content files in {directory}")
    return docs


def import_directory(session: Session, directory: Path, languages: LanguageTable) -> list[str]:
    """Validate every file first, then write: a bad file leaves the store untouched."""
    docs = load_directory(directory, languages)
    for doc in docs:
        save_topic(session, doc)
    return [doc.topic for doc in docs]


def topic_to_doc(topic: Topic, items: Sequence[ContentItem] | None = None) -> TopicDoc:
    """The topic as its file says it; `items` restricts it to some of its items (one
    organisation's, for the workspace's export), default all of them."""
    return TopicDoc(
        topic=topic.name,
        menu_order=topic.menu_order,
        items=[
            ItemDoc(
                country=item.country,
                sample=item.sample,
                needs_review=item.needs_review,
                review_note=item.review_note,
                checked_on=item.checked_on,
                variants={v.language: _variant_to_doc(v) for v in item.variants},
            )
            for item in (topic.items if items is None else items)
        ],
    )


def _variant_to_doc(variant: ContentVariant) -> VariantDoc:
    return VariantDoc(
        title=variant.title,
        body=variant.body,
        options=variant.options,
        sources=[SourceDoc(title=s.title, url=s.url) for s in variant.sources],
        share_text=variant.share_text,
        review_status=variant.review_status,
        last_reviewed=variant.last_reviewed,
        version=variant.version,
    )


class _BlockStyleDumper(yaml.SafeDumper):
    """Writes multi-line text as `|` blocks: an exported body reads like the file it came from."""

    def ignore_aliases(self, data: Any) -> bool:
        # Two items checked on the same day may share one date object; an editor must read
        # `checked_on: 2026-12-02`, never a YAML anchor (&id001) and alias (*id001).
        return True


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_BlockStyleDumper.add_representer(str, _represent_str)


def dump_topic(doc: TopicDoc) -> str:
    data: dict[str, Any] = doc.model_dump(mode="python")
    for item in data["items"]:
        for variant in item["variants"].values():
            variant["review_status"] = str(variant["review_status"])
            if variant["share_text"] is None:  # most answers have none: no `share_text: null`
                del variant["share_text"]
    return FILE_HEADER + yaml.dump(
        data, Dumper=_BlockStyleDumper, allow_unicode=True, sort_keys=False, width=100
    )


def export_directory(session: Session, directory: Path) -> list[str]:
    directory.mkdir(parents=True, exist_ok=True)
    topics = session.scalars(
        select(Topic)
        .options(selectinload(Topic.items).selectinload(ContentItem.variants))
        .order_by(Topic.name)
    ).all()
    for topic in topics:
        (directory / f"{file_stem(topic.name)}.yml").write_text(
            dump_topic(topic_to_doc(topic)), "utf-8"
        )
    return [topic.name for topic in topics]


# -- what an import would change (`python -m bot content import DIR` prints it first) ----------

EVERYWHERE = "everywhere"  # how a report names the general item (country None)


@dataclass(frozen=True)
class TopicChanges:
    """What importing one topic file does to the store, which replaces the topic whole.

    Item labels are the country code, or "everywhere" for the general item. A language is
    changed when anything the file holds for it differs (text, buttons, sources, review
    status, version); "ht (new)" and "es (removed)" say that a language appears or goes.
    """

    topic: str
    new: bool  # the store has no such topic yet
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]  # (item label, changed languages)
    settings: tuple[str, ...]  # items whose sample / needs_review / note / checked_on change
    owners: tuple[tuple[str, str], ...]  # (item label, partner that loses it to the sample)
    revisions: int  # saved versions (history) deleted with the replaced items

    @property
    def unchanged(self) -> bool:
        return not (self.new or self.added or self.removed or self.changed or self.settings)


def _label(country: str | None) -> str:
    return country or EVERYWHERE


def _variant_state(variant: ContentVariant) -> dict[str, Any]:
    """What the store holds for one language, in the shape of the file (no validation: a
    store may hold what no file could, such as an item waiting for its first text)."""
    return {
        "title": variant.title,
        "body": variant.body,
        "options": [dict(option) for option in variant.options],
        "sources": [{"title": s.title, "url": s.url} for s in variant.sources],
        "share_text": variant.share_text,
        "review_status": str(variant.review_status),
        "last_reviewed": variant.last_reviewed,
        "version": variant.version,
    }


def _doc_state(doc: VariantDoc) -> dict[str, Any]:
    state: dict[str, Any] = doc.model_dump(mode="python")
    state["review_status"] = str(doc.review_status.value)
    return state


_SETTINGS = ("sample", "needs_review", "review_note", "checked_on")


def _language_changes(item: ContentItem, doc: ItemDoc) -> tuple[str, ...]:
    stored = {variant.language: _variant_state(variant) for variant in item.variants}
    changed = []
    for language in sorted(set(stored) | set(doc.variants)):
        if language not in stored:
            changed.append(f"{language} (new)")
        elif language not in doc.variants:
            changed.append(f"{language} (removed)")
        elif stored[language] != _doc_state(doc.variants[language]):
            changed.append(language)
    return tuple(changed)


def _topic_changes(session: Session, doc: TopicDoc) -> TopicChanges:
    topic = session.get(Topic, doc.topic)
    if topic is None:
        return TopicChanges(
            doc.topic, True, tuple(_label(i.country) for i in doc.items), (), (), (), (), 0
        )
    stored = {item.country: item for item in topic.items}
    wanted = {item.country: item for item in doc.items}
    changed, settings, owners = [], [], []
    for country, item in stored.items():
        if item.organisation is not None and item.organisation.name != SAMPLE_ORGANISATION:
            owners.append((_label(country), item.organisation.name))
        if country not in wanted:
            continue
        if languages := _language_changes(item, wanted[country]):
            changed.append((_label(country), languages))
        if any(getattr(item, name) != getattr(wanted[country], name) for name in _SETTINGS):
            settings.append(_label(country))
    revisions = session.scalar(
        select(func.count(ContentRevision.id)).where(
            ContentRevision.item_id.in_([item.id for item in topic.items])
        )
    )
    return TopicChanges(
        topic=doc.topic,
        new=False,
        added=tuple(_label(c) for c in wanted if c not in stored),
        removed=tuple(_label(c) for c in stored if c not in wanted),
        changed=tuple(changed),
        settings=tuple(settings),
        owners=tuple(owners),
        revisions=revisions or 0,
    )


def import_report(session: Session, docs: Sequence[TopicDoc]) -> list[TopicChanges]:
    """What `save_topic` would do with each of these files, without writing anything."""
    return [_topic_changes(session, doc) for doc in docs]


def _topic_line(change: TopicChanges) -> str:
    if change.new:
        count = len(change.added)
        items = "item" if count == 1 else "items"
        return f"{change.topic} (new topic): {count} {items} ({', '.join(change.added)})"
    parts = []
    if change.added:
        parts.append(f"items added: {', '.join(change.added)}")
    if change.removed:
        parts.append(f"items removed: {', '.join(change.removed)}")
    if change.changed:
        listed = "; ".join(f"{label} ({', '.join(langs)})" for label, langs in change.changed)
        parts.append(f"languages changed: {listed}")
    if change.settings:
        parts.append(f"settings changed: {', '.join(change.settings)}")
    return f"{change.topic}: " + "; ".join(parts)


def format_import_report(changes: Sequence[TopicChanges]) -> list[str]:
    """The report as lines for a person at a terminal: changed topics one per line, the
    unchanged ones counted in one line, and what replacing topics whole costs (history and
    partners' ownership), since that cannot be undone."""
    lines = [_topic_line(change) for change in changes if not change.unchanged]
    unchanged = sum(1 for change in changes if change.unchanged)
    if unchanged:
        lines.append(
            f"{unchanged} topic unchanged" if unchanged == 1 else f"{unchanged} topics unchanged"
        )
    lost = sum(change.revisions for change in changes)
    if lost:
        lines.append(
            f"{lost} saved versions (the workspace history of these topics) are deleted, "
            "because the import replaces each topic whole"
        )
    for change in changes:
        for label, owner in change.owners:
            lines.append(
                f"{change.topic} {label} belongs to {owner}: the import gives it back to "
                f"the {SAMPLE_ORGANISATION} organisation"
            )
    return lines
