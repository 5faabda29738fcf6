"""Import content/*.yml into the store and export it back, without loss.

Import replaces a topic whole, so the files stay the single truth for seed content and a
partner's export-edit-import cycle never leaves stale items behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from bot.content.schema import ItemDoc, SourceDoc, TopicDoc, VariantDoc, file_stem
from bot.languages import LanguageTable
from bot.store.models import ContentItem, ContentSource, ContentVariant, Organisation, Topic
from bot.workspace.accounts import sample_organisation

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


def import_directory(session: Session, directory: Path, languages: LanguageTable) -> list[str]:
    """Validate every file first, then write: a bad file leaves the store untouched."""
    docs = [load_topic_file(path, languages) for path in sorted(directory.glob("*.yml"))]
    if not docs:
        raise ContentError(f"no *.yml content files in {directory}")
    for doc in docs:
        save_topic(session, doc)
    return [doc.topic for doc in docs]


def topic_to_doc(topic: Topic) -> TopicDoc:
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
            for item in topic.items
        ],
    )


def _variant_to_doc(variant: ContentVariant) -> VariantDoc:
    return VariantDoc(
        title=variant.title,
        body=variant.body,
        options=variant.options,
        sources=[SourceDoc(title=s.title, url=s.url) for s in variant.sources],
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
