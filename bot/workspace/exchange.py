"""Import and export in the workspace, the store side: files out of and back into one
organisation's items (issue 14, point 9).

bot/workspace/transfer.py reads and writes PO and XLIFF without a database; bot/content/io.py
reads and writes the content YAML. This module joins them to the store:

- exports are made of the organisation's own items only, from the texts in the store (the
  item's variants), so a file never carries another partner's work;
- an import is planned first (`plan_translation`, `plan_yaml`): the whole file is checked and
  every problem listed at once (`TransferError`), or the result is a `Plan` of new versions
  that the workspace shows before anything is stored;
- `apply` turns a plan into revisions in the caller's transaction: each changed language of an
  item becomes a new version sent for review (revisions.save_draft then submit). The importer
  never publishes: a reviewer does, and nobody approves their own change. Any refusal of the
  workflow leaves the caller to roll back everything.

The web keeps no file between the preview and the apply: the file comes back with the apply
form (sealed by bot/workspace/routes/transfer.py), is planned again against the store as it is
then, and the plan's `fingerprint` must equal the one that was shown.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import tempfile
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Any, Literal

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session, object_session, selectinload

from bot.content.io import ContentError, dump_topic, load_topic_file, topic_to_doc
from bot.content.schema import (
    BODY_MAX_CHARS,
    SHARE_MAX_CHARS,
    TITLE_MAX_CHARS,
    ItemDoc,
    TopicDoc,
    VariantDoc,
    file_stem,
)
from bot.languages import LanguageTable
from bot.store.models import (
    Account,
    ContentItem,
    ContentRevision,
    ContentVariant,
    RevisionStatus,
    Topic,
)
from bot.workspace import audit, dashboard, revisions
from bot.workspace.items import gazetteer
from bot.workspace.permissions import Action, allowed
from bot.workspace.transfer import TransferError, Unit, from_po, from_xliff, plan, to_po, to_xliff

# What a translator translates; buttons and sources stay. The forwardable text ("Share this")
# travels only for items whose source language has one.
FIELDS = ("title", "body", "share_text")
OPTIONAL_FIELDS = frozenset({"share_text"})
MAX_LENGTH = {"title": TITLE_MAX_CHARS, "body": BODY_MAX_CHARS, "share_text": SHARE_MAX_CHARS}
EVERYWHERE = "*"  # the country part of a key for the general item
UPLOAD_MAX_BYTES = 2 * 1024 * 1024
# A zip of content files: the seed is ~30 files and 1 MB; far more is a mistake or a bomb.
ZIP_MAX_FILES = 300
ZIP_MAX_UNPACKED_BYTES = 20 * 1024 * 1024
_PROBLEMS_PER_FILE = 20  # a file broken everywhere: the first ones are enough to start

CountryName = Callable[[str | None], str]


# --- the organisation's items ----------------------------------------------------------------


def organisation_items(session: Session, organisation_id: int) -> list[ContentItem]:
    """The organisation's items by topic, in the order of the topic's file (the store keeps
    it: items are numbered as imported), with their texts loaded; an exported file then
    reads like the seed file it came from."""
    items = session.scalars(
        select(ContentItem)
        .where(ContentItem.organisation_id == organisation_id)
        .options(selectinload(ContentItem.variants).selectinload(ContentVariant.sources))
    ).all()
    return sorted(items, key=lambda item: (item.topic_name, item.id))


def unit_key(topic: str, country: str | None, field_name: str) -> str:
    """ "trafficking@PA#body": the key that travels in the file (transfer.Unit.key)."""
    return f"{topic}@{country or EVERYWHERE}#{field_name}"


def _split_key(key: str) -> tuple[str, str | None, str]:
    place, field_name = key.rsplit("#", 1)
    topic, country = place.rsplit("@", 1)
    return topic, (None if country == EVERYWHERE else country), field_name


def _variant(item: ContentItem, language: str) -> ContentVariant | None:
    return next((v for v in item.variants if v.language == language), None)


def country_names(gazetteer_path: Path, language: str, fallback: str) -> CountryName:
    """A function naming a country in `language` ("Panama", "Panyama"); None is the general
    item, for every country."""
    places = gazetteer(gazetteer_path)

    def name(code: str | None) -> str:
        return "everywhere" if code is None else places.name(code, language, fallback)

    return name


# --- export ----------------------------------------------------------------------------------


def translation_units(
    items: Sequence[ContentItem], language: str, languages: LanguageTable, name: CountryName
) -> list[Unit]:
    """Title and body of each item, from the source language into `language`.

    The texts are the items' variants, what the store holds today for each language; an item
    without a source text has nothing to translate and is left out. A translation the
    dashboard calls outdated is marked so in the file (issue 17, item 5): the items come from
    the store, and their session says which."""
    outdated = _outdated_items(items, language, languages)
    units = []
    for item in items:
        source = _variant(item, languages.default)
        if source is None:
            continue
        target = _variant(item, language)
        note = f"Topic {item.topic_name}, {name(item.country)}."
        for field_name in FIELDS:
            if field_name in OPTIONAL_FIELDS and not getattr(source, field_name):
                continue
            units.append(
                Unit(
                    key=unit_key(item.topic_name, item.country, field_name),
                    source=getattr(source, field_name),
                    target=(getattr(target, field_name) or "") if target is not None else "",
                    note=note,
                    max_length=MAX_LENGTH[field_name],
                    outdated=item.id in outdated,
                )
            )
    return units


def _outdated_items(
    items: Sequence[ContentItem], language: str, languages: LanguageTable
) -> set[int]:
    session = object_session(items[0]) if items else None
    organisations = {item.organisation_id for item in items}
    if session is None:
        return set()
    found: set[int] = set()
    for organisation_id in organisations:
        if organisation_id is not None:
            gaps = dashboard.outdated(session, organisation_id, languages)
            found |= {item_id for item_id, gap_language in gaps if gap_language == language}
    return found


def translation_file(
    items: Sequence[ContentItem],
    language: str,
    languages: LanguageTable,
    name: CountryName,
    file_format: Literal["po", "xliff"],
) -> tuple[str, int]:
    """The PO or XLIFF file for translating into `language`, and how many texts it holds."""
    units = translation_units(items, language, languages, name)
    write = to_po if file_format == "po" else to_xliff
    return write(units, languages.default, language), sum(1 for unit in units if unit.source)


def yaml_zip(items: Sequence[ContentItem], now: dt.datetime) -> tuple[bytes, int]:
    """The items as content files, one per topic in a zip, in the format of content/*.yml.

    An item with no text yet (a new item whose first version waits for review) cannot be
    written as a valid file and is left out. Returns the zip and the number of files."""
    by_topic: dict[str, list[ContentItem]] = {}
    for item in items:
        if item.variants:
            by_topic.setdefault(item.topic_name, []).append(item)
    buffer = io.BytesIO()
    stamp = now.timetuple()[:6]
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for topic_name, topic_items in by_topic.items():
            topic = topic_items[0].topic
            info = zipfile.ZipInfo(f"{file_stem(topic_name)}.yml", date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, dump_topic(topic_to_doc(topic, topic_items)))
    return buffer.getvalue(), len(by_topic)


# --- what an import would change --------------------------------------------------------------


@dataclass(frozen=True)
class Texts:
    """What one language of an item says: what a version holds and a reviewer reads."""

    title: str
    body: str
    options: list[dict[str, str]] = field(default_factory=list)
    sources: list[dict[str, str]] = field(default_factory=list)
    share_text: str | None = None  # the forwardable version ("Share this"), if any


@dataclass(frozen=True)
class Waiting:
    """An unpublished newest version that the import replaces by a newer one."""

    number: int
    status: str  # draft or in_review
    author: str | None


@dataclass(frozen=True)
class Change:
    """One language of one item that the import sends for review as a new version."""

    topic: str
    country: str | None
    language: str
    item_id: int | None  # None: an item the import creates
    before: Texts | None  # what the store holds today; None: no text in this language yet
    after: Texts
    waiting: Waiting | None = None

    @property
    def fields(self) -> list[str]:
        """The parts that differ from today's text: title, body, options, sources."""
        names = ("title", "body", "share_text", "options", "sources")
        if self.before is None:
            return [name for name in names if getattr(self.after, name)]
        return [name for name in names if getattr(self.before, name) != getattr(self.after, name)]


@dataclass(frozen=True)
class NewItem:
    """An item the YAML names that the organisation does not have yet."""

    topic: str
    country: str | None
    sample: bool
    needs_review: bool
    review_note: str | None
    checked_on: dt.date | None


@dataclass(frozen=True)
class SettingsChange:
    """Item settings (not texts, so no review) that a YAML file changes."""

    item_id: int
    topic: str
    country: str | None
    changes: dict[str, tuple[Any, Any]]  # setting -> (today, in the file)


@dataclass(frozen=True)
class Plan:
    """Everything an import would do, checked; nothing of it is stored yet."""

    kind: Literal["translation", "yaml"]
    language: str | None  # the translation's language; None for YAML (every language)
    changes: list[Change]
    new_items: list[NewItem] = field(default_factory=list)
    settings: list[SettingsChange] = field(default_factory=list)
    unchanged: int = (
        0  # languages of items (YAML) or texts (translation) the file leaves as they are
    )
    notes: list[str] = field(default_factory=list)  # things left out, said to the person

    @property
    def count(self) -> int:
        """The changes the apply button names: new versions and changed settings."""
        return len(self.changes) + len(self.settings)

    @property
    def fingerprint(self) -> str:
        """A digest of exactly what would be stored: the apply refuses a plan that differs
        from the one the person saw (the store changed in between)."""
        data = asdict(self)
        data.pop("notes")
        text = json.dumps(data, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def _texts_of_variant(variant: ContentVariant) -> Texts:
    return Texts(
        title=variant.title,
        body=variant.body,
        options=[dict(option) for option in variant.options],
        sources=[{"title": s.title, "url": s.url} for s in variant.sources],
        share_text=variant.share_text,
    )


def _texts_of_revision(revision: ContentRevision) -> Texts:
    return Texts(
        title=revision.title,
        body=revision.body,
        options=[dict(option) for option in revision.options],
        sources=[dict(source) for source in revision.sources],
        share_text=revision.share_text,
    )


def _texts_of_doc(doc: VariantDoc) -> Texts:
    return Texts(
        title=doc.title,
        body=doc.body,
        options=[option.model_dump() for option in doc.options],
        sources=[source.model_dump() for source in doc.sources],
        share_text=doc.share_text,
    )


def _waiting(head: ContentRevision | None) -> Waiting | None:
    if head is None or head.status not in (RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW):
        return None
    author = head.author.username if head.author is not None else None
    return Waiting(head.number, head.status, author)


def _already_waiting(head: ContentRevision | None, after: Texts) -> bool:
    """The very same text is in review already: a new version would add nothing."""
    return (
        head is not None
        and head.status == RevisionStatus.IN_REVIEW
        and _texts_of_revision(head) == after
    )


def _where(loc: tuple[int | str, ...]) -> str:
    """("items", 0, "variants", "ht", "title") -> "item 1, ht, title": counted from 1, as a
    person counts the items of a file."""
    words: list[str] = []
    for part in loc:
        if part == "variants":
            continue
        if isinstance(part, int) and words:
            words[-1] = f"{words[-1].removesuffix('s')} {part + 1}"
        else:
            words.append(str(part + 1) if isinstance(part, int) else part)
    return ", ".join(words)


def _validation_problems(prefix: str, error: ValidationError) -> list[str]:
    """Pydantic's errors as one sentence each: "trafficking.yml: item 2, ht, title: ..."."""
    problems = []
    for problem in error.errors()[:_PROBLEMS_PER_FILE]:
        message = str(problem["msg"]).removeprefix("Value error, ")
        where = _where(problem["loc"])
        problems.append(f"{prefix}: {where}: {message}" if where else f"{prefix}: {message}")
    return problems


def _text_problems(where: str, texts: Texts) -> list[str]:
    """The limits every version sent for review must meet (bot/content/schema.py), checked
    here so that the preview lists them all instead of the apply stopping at the first."""
    try:
        VariantDoc.model_validate(
            {"title": texts.title, "body": texts.body, "options": texts.options,
             "sources": texts.sources, "share_text": texts.share_text or None}
        )  # fmt: skip
    except ValidationError as error:
        return _validation_problems(where, error)
    return []


def _decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise TransferError(
            f"{what} is not saved as UTF-8 text. Save it again as UTF-8 (the translation "
            "tool and most editors offer it) and upload it again."
        ) from None


def _primary(code: str) -> str:
    return re.split(r"[-_.@]", code.strip())[0].casefold()


def _target_language(found: str, languages: LanguageTable) -> str:
    """The workspace's code for the file's target language ("fr_FR" -> "fr"), or why not."""
    code = _primary(found)
    if code == languages.default:
        raise TransferError(
            f"The file is a translation into {found!r}, the language every text is written "
            f"in first. Translations go from {languages.default} into "
            f"{', '.join(c for c in languages.codes if c != languages.default)}: set that "
            "language in the translation tool."
        )
    if code not in languages.codes:
        raise TransferError(
            f"The file is a translation into {found!r}, which the assistant does not speak. "
            f"It speaks {', '.join(languages.codes)}."
        )
    return code


def _is_content_file(filename: str) -> bool:
    return filename.lower().endswith((".yml", ".yaml", ".zip"))


def plan_translation(
    session: Session,
    organisation_id: int,
    languages: LanguageTable,
    data: bytes,
    filename: str,
) -> Plan:
    """What a translated PO or XLIFF file would change in the organisation's items.

    The format is read from the file itself (XML is XLIFF, anything else PO), so a file
    renamed by a mail program still works. Every problem is listed at once, including texts
    that would break a limit once put together with the buttons and sources they keep."""
    if _is_content_file(filename):
        raise TransferError(
            "This is a content file (YAML or a zip of them), not a translation. Use "
            "\u201cImport content files\u201d on the import page."
        )
    text = _decode(data, "The file")
    reader = from_xliff if text.lstrip("\ufeff \t\r\n").startswith("<") else from_po
    translated = reader(text)
    language = _target_language(translated.target_language, languages)
    problems = []
    if translated.source_language and _primary(translated.source_language) != languages.default:
        problems.append(
            f"The file was made from the {translated.source_language!r} texts, but "
            f"translations are made from the {languages.default!r} texts. Export a new file "
            "from the workspace."
        )
    items = organisation_items(session, organisation_id)
    units = translation_units(items, language, languages, lambda code: code or "")
    try:
        proposed = plan(units, translated, expected_target=language)
    except TransferError as error:
        raise TransferError([*problems, *error.problems]) from None

    index = {(item.topic_name, item.country): item for item in items}
    edited: dict[int, dict[str, str]] = {}
    for change in proposed:
        topic, country, field_name = _split_key(change.key)
        edited.setdefault(index[(topic, country)].id, {})[field_name] = change.after
    changes = []
    for item in items:
        if item.id not in edited:
            continue
        change = _translated_change(session, item, language, languages, edited[item.id])
        if change is None:
            continue
        changes.append(change)
        problems += _text_problems(f"{item.topic_name}@{item.country or EVERYWHERE}", change.after)
    if problems:
        raise TransferError(problems)
    texts = sum(1 for unit in units if unit.source)
    return Plan("translation", language, changes, unchanged=texts - len(proposed))


def _translated_change(
    session: Session,
    item: ContentItem,
    language: str,
    languages: LanguageTable,
    edited: dict[str, str],
) -> Change | None:
    """The new version of one language: the file's title and body over the newest saved
    version (so a change waiting for review keeps its other parts), or over today's text.

    A language the item has no text in yet takes its buttons and sources from the source
    language, the nearest thing to right that a reviewer then checks."""
    live = _variant(item, language)
    head = revisions.head(session, item.id, language)
    if head is not None:
        base = _texts_of_revision(head)
    elif live is not None:
        base = _texts_of_variant(live)
    else:
        source = _variant(item, languages.default)  # units exist only where it does
        base = Texts("", "")
        if source is not None:
            base = replace(_texts_of_variant(source), title="", body="", share_text=None)
    after = replace(base, **edited)
    if _already_waiting(head, after):
        return None
    return Change(
        topic=item.topic_name,
        country=item.country,
        language=language,
        item_id=item.id,
        before=_texts_of_variant(live) if live is not None else None,
        after=after,
        waiting=_waiting(head),
    )


# --- YAML ------------------------------------------------------------------------------------


def _uploaded_files(data: bytes, filename: str) -> tuple[list[tuple[str, bytes]], list[str]]:
    """The content files of an upload (one .yml, or a .zip of them), and notes about what
    was left out of a zip (a README, a folder)."""
    if not zipfile.is_zipfile(io.BytesIO(data)):
        if filename.lower().endswith(".zip"):
            raise TransferError("This zip file is damaged and cannot be opened.")
        if not filename.lower().endswith((".yml", ".yaml")):
            raise TransferError(
                f"{filename!r} is not a content file: upload one .yml file or a .zip of them."
            )
        return [(PurePosixPath(filename).name, data)], []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [info for info in archive.infolist() if not info.is_dir()]
        if (
            len(members) > ZIP_MAX_FILES
            or sum(i.file_size for i in members) > ZIP_MAX_UNPACKED_BYTES
        ):
            raise TransferError(
                f"The zip holds too much: at most {ZIP_MAX_FILES} files and "
                f"{ZIP_MAX_UNPACKED_BYTES // (1024 * 1024)} MB of content."
            )
        files, notes = [], []
        for info in members:
            name = PurePosixPath(info.filename).name
            if info.filename.startswith("__MACOSX/") or name.startswith("."):
                continue  # what macOS adds to every zip
            if not name.lower().endswith((".yml", ".yaml")):
                notes.append(f"{info.filename} is not a content file (.yml) and was left out.")
                continue
            files.append((name, archive.read(info)))
    except (zipfile.BadZipFile, zipfile.LargeZipFile, NotImplementedError, OSError) as error:
        raise TransferError(f"This zip file cannot be opened: {error}.") from None
    if not files:
        raise TransferError("The zip holds no content file (.yml).")
    return files, notes


def _content_problem(name: str, written_as: str, error: ContentError) -> list[str]:
    """io.load_topic_file's refusal in plain words, under the name the person uploaded."""
    cause = error.__cause__
    if isinstance(cause, ValidationError):
        return _validation_problems(name, cause)
    if isinstance(cause, yaml.MarkedYAMLError) and cause.problem_mark is not None:
        mark = cause.problem_mark
        return [
            f"{name}: the file cannot be read at line {mark.line + 1}, column "
            f"{mark.column + 1}: {cause.problem}. Check the indentation and the quotes there."
        ]
    return [str(error).replace(written_as, name, 1)]


def read_topic_files(
    files: Sequence[tuple[str, bytes]], languages: LanguageTable
) -> tuple[list[TopicDoc], list[str]]:
    """Each file checked by bot/content/io.load_topic_file, the same check as the seed's:
    the documents, and every problem of every file."""
    docs: list[TopicDoc] = []
    problems: list[str] = []
    seen: dict[str, str] = {}
    with tempfile.TemporaryDirectory(prefix="workspace-import-") as directory:
        for name, data in files:
            stem = name.rsplit(".", 1)[0]
            try:
                text = _decode(data, name)
            except TransferError as error:
                problems += error.problems
                continue
            if stem in seen:
                problems.append(f"{name}: the upload has two files for this topic. Keep one.")
                continue
            seen[stem] = name
            path = Path(directory) / f"{stem}.yml"
            path.write_text(text, encoding="utf-8")
            try:
                docs.append(load_topic_file(path, languages))
            except ContentError as error:
                problems += _content_problem(name, path.name, error)
    return docs, problems


def _item_of(session: Session, topic: str, country: str | None) -> ContentItem | None:
    where = ContentItem.country == country if country else ContentItem.country.is_(None)
    return session.scalar(select(ContentItem).where(ContentItem.topic_name == topic, where))


_SETTINGS = ("sample", "needs_review", "review_note", "checked_on")


def plan_yaml(
    session: Session,
    organisation_id: int,
    languages: LanguageTable,
    data: bytes,
    filename: str,
    owner_name: Callable[[int | None], str],
) -> Plan:
    """What content files would change in the organisation's items, all checked first.

    Items of another organisation are refused, never taken over (adopting seed items is a
    step of its own); a topic the assistant does not have is refused, since it needs a
    programmer to teach the assistant to recognise it. Items and languages the file does not
    mention are kept: the workspace import never deletes. The files' review_status, version
    and last_reviewed are not taken: the workflow decides those."""
    files, notes = _uploaded_files(data, filename)
    docs, problems = read_topic_files(files, languages)
    changes: list[Change] = []
    new_items: list[NewItem] = []
    settings: list[SettingsChange] = []
    unchanged = 0
    for doc in docs:
        if session.get(Topic, doc.topic) is None:
            problems.append(
                f"{doc.topic}: the assistant has no such topic. A new topic needs a programmer "
                "(the assistant must learn to recognise it); put the text in an existing topic."
            )
            continue
        for item_doc in doc.items:
            item = _item_of(session, doc.topic, item_doc.country)
            label = f"{doc.topic}@{item_doc.country or EVERYWHERE}"
            if item is not None and item.organisation_id != organisation_id:
                problems.append(
                    f"{label}: this item belongs to another organisation "
                    f"({owner_name(item.organisation_id)}), so your file cannot change it. "
                    "Remove it from the file."
                )
                continue
            if item is None:
                new_items.append(_new_item(doc.topic, item_doc))
            elif changed := _settings_change(item, item_doc):
                settings.append(changed)
            for language, variant_doc in item_doc.variants.items():
                change = _yaml_change(session, doc.topic, item, item_doc, language, variant_doc)
                if change is None:
                    unchanged += 1
                else:
                    changes.append(change)
    if problems:
        raise TransferError(problems)
    return Plan("yaml", None, changes, new_items, settings, unchanged, notes)


def _new_item(topic: str, doc: ItemDoc) -> NewItem:
    return NewItem(
        topic=topic,
        country=doc.country,
        sample=doc.sample,
        needs_review=doc.needs_review,
        review_note=doc.review_note,
        checked_on=doc.checked_on,
    )


def _settings_change(item: ContentItem, doc: ItemDoc) -> SettingsChange | None:
    changed = {
        name: (getattr(item, name), getattr(doc, name))
        for name in _SETTINGS
        if getattr(item, name) != getattr(doc, name)
    }
    if not changed:
        return None
    return SettingsChange(item.id, item.topic_name, item.country, changed)


def _yaml_change(
    session: Session,
    topic: str,
    item: ContentItem | None,
    item_doc: ItemDoc,
    language: str,
    variant_doc: VariantDoc,
) -> Change | None:
    """One language of a file's item against today's text; None when it says the same."""
    after = _texts_of_doc(variant_doc)
    if item is None:
        return Change(topic, item_doc.country, language, None, None, after)
    live = _variant(item, language)
    before = _texts_of_variant(live) if live is not None else None
    head = revisions.head(session, item.id, language)
    if before == after or _already_waiting(head, after):
        return None
    return Change(topic, item.country, language, item.id, before, after, _waiting(head))


# --- applying --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Applied:
    """What an apply stored, for the audit line and the confirmation."""

    versions: int
    items: int
    new_items: int
    settings: int


def apply(
    session: Session,
    account: Account,
    planned: Plan,
    *,
    languages: LanguageTable,
    now: dt.datetime,
    filename: str,
) -> Applied:
    """Store a plan in the caller's transaction: new items, settings, then for each change a
    new version sent for review. Raises WorkflowError at the first refusal; the caller rolls
    back, so either all of the file is stored or none of it."""
    made = {
        (new.topic, new.country): _create_item(session, account, new, now)
        for new in planned.new_items
    }
    for setting in planned.settings:
        _change_settings(session, account, setting, now)
    note = f"imported from {filename}"
    touched: set[int] = set()
    for change in planned.changes:
        item = made.get((change.topic, change.country))
        if item is None:
            item = session.get(ContentItem, change.item_id)
        if item is None:
            raise revisions.WrongState(
                f"the item {change.topic} for {change.country or 'everywhere'} was deleted "
                "since the preview"
            )
        revisions.ensure_baseline(session, item)
        current = revisions.head(session, item.id, change.language)
        revision = revisions.save_draft(
            session,
            account,
            item,
            change.language,
            languages=languages,
            base_number=current.number if current is not None else None,
            title=change.after.title,
            body=change.after.body,
            options=change.after.options,
            sources=change.after.sources,
            note=note,
            now=now,
            share_text=change.after.share_text,
        )
        revisions.submit(session, account, revision, now)
        touched.add(item.id)
    applied = Applied(len(planned.changes), len(touched), len(made), len(planned.settings))
    what = f"{planned.kind} {planned.language}" if planned.language else planned.kind
    audit.record(
        session,
        account,
        "import",
        f"{what} file {filename}",
        f"{applied.versions} versions sent for review in {applied.items} items; "
        f"{applied.new_items} new items; {applied.settings} settings changed",
        now=now,
    )
    return applied


def _check_may(account: Account, action: Action) -> None:
    if not allowed(account.role, action):
        raise revisions.NotAllowed(f"your role ({account.role}) cannot do this import")


def _create_item(session: Session, account: Account, new: NewItem, now: dt.datetime) -> ContentItem:
    _check_may(account, Action.CREATE_ITEM)
    item = ContentItem(
        topic_name=new.topic,
        country=new.country,
        organisation_id=account.organisation_id,
        sample=new.sample,
        needs_review=new.needs_review,
        review_note=new.review_note,
        checked_on=new.checked_on,
    )
    session.add(item)
    session.flush()
    place = new.country or "everywhere"
    audit.record(
        session, account, "create_item", f"item {item.id}", f"{new.topic} {place} (import)", now=now
    )
    return item


def _change_settings(
    session: Session, account: Account, setting: SettingsChange, now: dt.datetime
) -> None:
    _check_may(account, Action.EDIT_SETTINGS)
    item = session.get(ContentItem, setting.item_id)
    if item is None or item.organisation_id != account.organisation_id:
        raise revisions.NotAllowed("this item belongs to another organisation")
    for name, (_today, wanted) in setting.changes.items():
        setattr(item, name, wanted)
    audit.record(
        session,
        account,
        "settings",
        f"item {item.id}",
        ", ".join(setting.changes) + " (import)",
        now=now,
    )
