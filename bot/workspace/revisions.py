"""The rules of editing, review and publishing (issue 14), over the store, without the web.

Why the rules live here and not in the routes: the web, the command line and the tests must
agree on them, and a rule that is one function can be tested as a table.

- `ContentVariant` (item x language) stays the text people get. It changes in one place only,
  `publish`, which copies the revision into it; an edit in progress never touches it.
- `ContentRevision` keeps every saved version, numbered 1, 2, 3... per item and language. Only
  the newest (the head) moves through draft -> in_review -> published (-> archived). A version
  replaced by a newer save before it was published becomes `replaced`; a published version
  replaced by a newer publication becomes `superseded`.
- An account acts only on its own organisation's items (admins too), what its role allows
  (bot/workspace/permissions.py), and nobody approves their own change.
- Every step writes one audit line (bot/workspace/audit.py).

Every refusal is a `WorkflowError` whose message a partner understands without a programmer.
Time is always passed in (`now`, UTC), so the rules are tested without a clock.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.content.schema import VariantDoc
from bot.languages import LanguageTable
from bot.store.models import (
    Account,
    ContentItem,
    ContentRevision,
    ContentSource,
    ContentVariant,
    ReviewStatus,
    RevisionStatus,
)
from bot.workspace import audit, truth
from bot.workspace.permissions import Action, allowed

# language -> kind of value ("phone", "url", "amount") -> values the other languages give and
# this one lacks (bot/workspace/truth.py).
Mismatches = dict[str, dict[str, set[str]]]

IMPORTED_NOTE = "imported"


class WorkflowError(ValueError):
    """A step the workflow refuses; the message is the sentence shown to the partner."""


class NotAllowed(WorkflowError):
    """The account's role, organisation or authorship forbids this step."""


class WrongState(WorkflowError):
    """The version is not where this step needs it (not the newest, not in review...)."""


class InvalidContent(WorkflowError):
    """The text breaks a content rule (the limits of bot/content/schema.py, a missing source)."""


class EditConflict(WorkflowError):
    """Somebody saved a newer version since the editor opened theirs; nothing was saved.

    `theirs` is that newer version, for the web to show next to the refused text."""

    def __init__(self, theirs: ContentRevision, *, base_number: int | None) -> None:
        self.theirs = theirs
        started = f"version {base_number}" if base_number is not None else "an empty text"
        when = theirs.created_at.strftime("%d %B %Y at %H:%M UTC")
        super().__init__(
            f"Your change was not saved: {_author_name(theirs)} saved version {theirs.number} "
            f"on {when}, after you started from {started}. Read their version, add your "
            "change to it and save again."
        )


class NumbersDiffer(WorkflowError):
    """The languages of the item would give different phone numbers, web addresses or amounts.

    Publishing is blocked until the reviewer corrects a text or confirms the difference
    (`publish(..., confirm_differences=True)`); `mismatches` is what the web highlights."""

    def __init__(self, mismatches: Mismatches) -> None:
        self.mismatches = mismatches
        super().__init__(
            f"The languages do not give the same numbers: {describe_mismatches(mismatches)}. "
            "Correct the texts, or confirm that the difference is intended."
        )


@dataclass(frozen=True)
class DiffLine:
    """One line of a comparison between two versions, as the review screen shows it."""

    field: Literal["title", "body", "share_text", "sources"]
    kind: Literal["equal", "added", "removed"]
    text: str


@dataclass(frozen=True)
class _Texts:
    """What a partner writes in one language of an item, already checked."""

    title: str
    body: str
    options: list[dict[str, str]]
    sources: list[dict[str, str]]
    # The forwardable version ("Share this", issue 18): reviewed and published with the body.
    share_text: str | None = None


@dataclass(frozen=True)
class Machine:
    """What made a machine draft (bot/translation/): recorded on its revision, shown to the
    translator and the reviewer, never taken for a person's work."""

    engine: str  # "argostranslate 1.12.1"
    model: str  # "translate-en_fr-0_1", or two packages through English
    version: str  # "0.1"
    number: int | None = None  # the version the machine wrote; None until it is saved


def machine_of(revision: ContentRevision) -> Machine | None:
    """The machine draft a revision is, or was saved from (None: a person's text)."""
    if revision.machine_engine is None:
        return None
    return Machine(
        revision.machine_engine,
        revision.machine_model or "",
        revision.machine_version or "",
        revision.machine_number,
    )


def is_unedited_machine_draft(revision: ContentRevision) -> bool:
    """The machine's own words, which nobody has saved again since."""
    return revision.machine_engine is not None and revision.machine_number == revision.number


# What each action is called in a refusal ("a translator cannot publish").
_ACTION_WORDS: dict[Action, str] = {
    Action.EDIT_SOURCE: "edit the source language",
    Action.TRANSLATE: "write translations",
    Action.SUBMIT: "send a change for review",
    Action.PUBLISH: "publish a change",
    Action.RETURN: "send a change back to its author",
    Action.ARCHIVE: "archive a text",
    Action.RESTORE: "restore an old version",
}

_STATUS_WORDS: dict[str, str] = {
    RevisionStatus.DRAFT: "a draft",
    RevisionStatus.IN_REVIEW: "waiting for review",
    RevisionStatus.PUBLISHED: "published",
    RevisionStatus.ARCHIVED: "archived",
    RevisionStatus.REPLACED: "replaced by a newer save",
    RevisionStatus.SUPERSEDED: "replaced by a newer publication",
}

# A seed variant's baseline revision says what people get today: a draft variant is not sent,
# so its baseline is a draft, not a publication (bot/content/lookup.py).
_BASELINE_STATUS: dict[str, RevisionStatus] = {
    ReviewStatus.DRAFT: RevisionStatus.DRAFT,
    ReviewStatus.ARCHIVED: RevisionStatus.ARCHIVED,
}

# Revisions still on their way to publication: a newer save replaces them.
_UNPUBLISHED = (RevisionStatus.DRAFT, RevisionStatus.IN_REVIEW)


# --- reading ---------------------------------------------------------------------------------


def head(session: Session, item_id: int, language: str) -> ContentRevision | None:
    """The newest version of one language of an item, the one that carries the workflow.

    None for a language with no text, and for seed content before `ensure_baseline`: a save
    with `base_number=None` then starts from the live text."""
    return session.scalar(
        select(ContentRevision)
        .where(ContentRevision.item_id == item_id, ContentRevision.language == language)
        .order_by(ContentRevision.number.desc())
        .limit(1)
    )


def history(session: Session, item_id: int, language: str) -> list[ContentRevision]:
    """Every saved version of one language of an item, newest first."""
    return list(
        session.scalars(
            select(ContentRevision)
            .where(ContentRevision.item_id == item_id, ContentRevision.language == language)
            .order_by(ContentRevision.number.desc())
        )
    )


def diff(a: ContentRevision, b: ContentRevision) -> list[DiffLine]:
    """What changed from `a` (the older) to `b`, line by line, title, body, the forwardable
    text and sources.

    Sources are compared too: a changed web address is exactly what a reviewer must see."""
    return [
        *_diff_field("title", a.title, b.title),
        *_diff_field("body", a.body, b.body),
        *_diff_field("share_text", a.share_text or "", b.share_text or ""),
        *_diff_field("sources", _source_lines(a.sources), _source_lines(b.sources)),
    ]


def describe_mismatches(mismatches: Mismatches) -> str:
    """ "the en text lacks phone 911; the fr text lacks phone 911", for messages and notes."""
    parts = [
        f"the {language} text lacks {kind} {', '.join(sorted(values))}"
        for language, kinds in sorted(mismatches.items())
        for kind, values in sorted(kinds.items())
        if values
    ]
    return "; ".join(parts)


# --- the workflow ----------------------------------------------------------------------------


def ensure_baseline(session: Session, item: ContentItem) -> list[ContentRevision]:
    """Give every variant without a revision (seed content imported from YAML) a first
    revision holding its live text, so history and diffs start from what people get.

    Its number is the variant's version (1 for the seed), keeping `variant.version ==
    revision.number` true from the start; its date is the variant's, not the clock's."""
    session.flush()
    known = set(
        session.scalars(
            select(ContentRevision.language).where(ContentRevision.item_id == item.id).distinct()
        )
    )
    created = []
    for variant in item.variants:
        if variant.language in known:
            continue
        revision = ContentRevision(
            item_id=item.id,
            language=variant.language,
            number=variant.version,
            title=variant.title,
            body=variant.body,
            options=list(variant.options),
            share_text=variant.share_text,
            sources=[{"title": s.title, "url": s.url} for s in variant.sources],
            status=_BASELINE_STATUS.get(variant.review_status, RevisionStatus.PUBLISHED).value,
            note=IMPORTED_NOTE,
        )
        if variant.updated_at is not None:
            revision.created_at = variant.updated_at
        session.add(revision)
        created.append(revision)
    session.flush()
    return created


def save_draft(
    session: Session,
    account: Account,
    item: ContentItem,
    language: str,
    *,
    languages: LanguageTable,
    base_number: int | None,
    title: str,
    body: str,
    options: Sequence[dict[str, str]],
    sources: Sequence[dict[str, str]],
    note: str | None,
    now: dt.datetime,
    share_text: str | None = None,
) -> ContentRevision:
    """Save a new version as the draft head. `base_number` is the version the editor opened
    (None for a language with no text yet): if somebody saved since, `EditConflict`.

    `languages.default` is the source language: writing it needs EDIT_SOURCE, any other
    language TRANSLATE. A draft may still lack sources; `submit` requires them."""
    _authorise(account, _edit_action(language, languages), item)
    texts = _checked(title, body, options, sources, require_sources=False, share_text=share_text)
    revision = _new_draft(
        session,
        account,
        item,
        language,
        languages,
        base_number,
        texts,
        note,
        now,
        keep_machine=True,
    )
    based = revision.base_number
    detail = f"from r{based}" if based is not None else "new language"
    audit.record(session, account, "save", _target(revision), detail, now=now)
    return revision


def submit(session: Session, account: Account, revision: ContentRevision, now: dt.datetime) -> None:
    """Send the draft head for review; it needs at least one source (title and web address)
    and must fit every limit of a published text."""
    _authorise(account, Action.SUBMIT, revision.item)
    _require_head(session, revision, RevisionStatus.DRAFT)
    if is_unedited_machine_draft(revision):
        raise WrongState(
            "this is a machine draft nobody has read yet: open it in the editor, correct it "
            "and save it, then send it for review"
        )
    _checked(
        revision.title,
        revision.body,
        revision.options,
        revision.sources,
        share_text=revision.share_text,
    )
    revision.status = RevisionStatus.IN_REVIEW.value
    audit.record(session, account, "submit", _target(revision), now=now)


def publish(
    session: Session,
    account: Account,
    revision: ContentRevision,
    now: dt.datetime,
    *,
    confirm_differences: bool = False,
    note: str | None = None,
) -> None:
    """Approve the head in review: people get it from the next reply.

    Refused to its own author. The item's languages, with this version in place, must give
    the same phone numbers, addresses and amounts (bot/workspace/truth.py), else
    `NumbersDiffer`, unless the reviewer confirms the difference: the note then says so."""
    item = revision.item
    _authorise(account, Action.PUBLISH, item)
    _require_head(session, revision, RevisionStatus.IN_REVIEW)
    if revision.author_id == account.id:
        raise NotAllowed("you cannot approve your own change: ask another reviewer")
    texts = {v.language: v.body for v in item.variants if _is_live(v)}
    texts[revision.language] = revision.body
    differences = {
        lang: kinds for lang, kinds in truth.mismatches(texts).items() if any(kinds.values())
    }
    if differences and not confirm_differences:
        raise NumbersDiffer(differences)
    confirmed = None
    if differences:
        confirmed = (
            f"{account.username} confirmed that the languages differ: "
            f"{describe_mismatches(differences)}"
        )
    _add_note(revision, note, confirmed)
    for previous in _with_status(session, revision, RevisionStatus.PUBLISHED):
        previous.status = RevisionStatus.SUPERSEDED.value
    revision.status = RevisionStatus.PUBLISHED.value
    revision.reviewer_id = account.id
    revision.reviewed_at = now
    _copy_to_variant(item, revision, now)
    detail = "confirmed differences" if differences else None
    audit.record(session, account, "publish", _target(revision), detail, now=now)


def send_back(
    session: Session, account: Account, revision: ContentRevision, note: str, now: dt.datetime
) -> None:
    """Return the head in review to its author as a draft, with what should change."""
    _authorise(account, Action.RETURN, revision.item)
    _require_head(session, revision, RevisionStatus.IN_REVIEW)
    if not note.strip():
        raise InvalidContent("say what should change, so that the author knows what to do")
    revision.status = RevisionStatus.DRAFT.value
    _add_note(revision, f"Sent back by {account.username}: {note.strip()}")
    audit.record(session, account, "send_back", _target(revision), now=now)


def archive(
    session: Session, account: Account, item: ContentItem, language: str, now: dt.datetime
) -> None:
    """Take one language of an item out of use at once (a shelter closed): its variant is
    never sent again. The head is archived, and so is the version that was live, so that no
    revision still says "published" while nothing is sent."""
    _authorise(account, Action.ARCHIVE, item)
    ensure_baseline(session, item)
    current = head(session, item.id, language)
    variant = _variant(item, language)
    if current is None:
        raise WrongState(f"there is no {language} text of this item to archive")
    if current.status == RevisionStatus.ARCHIVED and (
        variant is None or variant.review_status == ReviewStatus.ARCHIVED
    ):
        raise WrongState(f"the {language} text of this item is already archived")
    if variant is not None:
        variant.review_status = ReviewStatus.ARCHIVED.value
    for revision in [current, *_with_status(session, current, RevisionStatus.PUBLISHED)]:
        revision.status = RevisionStatus.ARCHIVED.value
    audit.record(session, account, "archive", _target(current), now=now)


def restore(
    session: Session,
    account: Account,
    revision: ContentRevision,
    now: dt.datetime,
    *,
    languages: LanguageTable,
) -> ContentRevision:
    """Make an old version's text the new draft head, to be reviewed like any change; it
    needs RESTORE and the right to write that language."""
    item = revision.item
    _authorise(account, Action.RESTORE, item)
    _authorise(account, _edit_action(revision.language, languages), item)
    texts = _checked(
        revision.title,
        revision.body,
        revision.options,
        revision.sources,
        require_sources=False,
        share_text=revision.share_text,
    )
    current = head(session, item.id, revision.language)
    restored = _new_draft(
        session,
        account,
        item,
        revision.language,
        languages,
        current.number if current is not None else None,
        texts,
        f"restored from version {revision.number}",
        now,
    )
    audit.record(
        session, account, "restore", _target(restored), f"from r{revision.number}", now=now
    )
    return restored


def save_machine_draft(
    session: Session,
    account: Account,
    item: ContentItem,
    language: str,
    *,
    languages: LanguageTable,
    title: str,
    body: str,
    options: Sequence[dict[str, str]],
    sources: Sequence[dict[str, str]],
    machine: Machine,
    source_language: str,
    now: dt.datetime,
    share_text: str | None = None,
) -> ContentRevision:
    """Save a machine translation as the draft head of a language (issue 17, item 3).

    A draft like any other (TRANSLATE, the limits, an edit conflict with a newer save), with
    what made it recorded; `submit` refuses it until a translator has saved it again, and
    only `publish` (a reviewer) ever makes it what people get."""
    _authorise(account, _edit_action(language, languages), item)
    if language == languages.default:
        raise WrongState("the source language is written by a person, not drafted by a machine")
    texts = _checked(title, body, options, sources, require_sources=False, share_text=share_text)
    current = head(session, item.id, language)
    if (
        current is not None
        and current.status in _UNPUBLISHED
        and not is_unedited_machine_draft(current)
    ):
        raise WrongState(
            f"somebody is already writing the {language} text (version {current.number}, "
            f"{_STATUS_WORDS[current.status]}): open it in the editor instead"
        )
    revision = _new_draft(
        session,
        account,
        item,
        language,
        languages,
        current.number if current is not None else None,
        texts,
        None,
        now,
        machine=machine,
    )
    detail = f"machine draft from {source_language}: {machine.model} {machine.version}"
    audit.record(session, account, "machine_draft", _target(revision), detail, now=now)
    return revision


def confirm_still_correct(
    session: Session,
    account: Account,
    item: ContentItem,
    language: str,
    *,
    languages: LanguageTable,
    now: dt.datetime,
) -> ContentRevision:
    """A translator read the published translation against the source's newest published
    version and says it is still correct: it is no longer outdated (issue 17, item 5) until
    the source is published again. The text people get does not change."""
    _authorise(account, _edit_action(language, languages), item)
    if language == languages.default:
        raise WrongState("the source language is never outdated")
    source_number = _published_number(session, item.id, languages.default)
    published = session.scalar(
        select(ContentRevision)
        .where(
            ContentRevision.item_id == item.id,
            ContentRevision.language == language,
            ContentRevision.status == RevisionStatus.PUBLISHED.value,
        )
        .order_by(ContentRevision.number.desc())
        .limit(1)
    )
    if source_number is None or published is None:
        raise WrongState(f"there is no published {language} translation to confirm")
    published.confirmed_source_number = source_number
    audit.record(
        session,
        account,
        "confirm",
        _target(published),
        f"still correct for r{source_number}",
        now=now,
    )
    return published


# --- the rules behind the steps --------------------------------------------------------------


def _authorise(account: Account, action: Action, item: ContentItem) -> None:
    """The organisation first, so that an outsider learns nothing about the item."""
    if not account.active:
        raise NotAllowed("this account is switched off: ask an admin of your organisation")
    if item.organisation_id is None or item.organisation_id != account.organisation_id:
        raise NotAllowed(
            "this item belongs to another organisation: you can only change your own "
            "organisation's items"
        )
    if not allowed(account.role, action):
        raise NotAllowed(
            f"your role ({account.role}) cannot {_ACTION_WORDS.get(action, action.value)}"
        )


def _edit_action(language: str, languages: LanguageTable) -> Action:
    """Writing the source language (the one every other falls back to) is an editor's job."""
    if language not in languages.codes:
        raise InvalidContent(
            f"the assistant does not speak {language!r}: choose one of {', '.join(languages.codes)}"
        )
    return Action.EDIT_SOURCE if language == languages.default else Action.TRANSLATE


def _require_head(session: Session, revision: ContentRevision, status: RevisionStatus) -> None:
    current = head(session, revision.item_id, revision.language)
    if current is None or current.id != revision.id:
        newest = current.number if current is not None else "?"
        raise WrongState(
            f"version {revision.number} is no longer the newest: version {newest} came after it"
        )
    if revision.status != status:
        raise WrongState(
            f"version {revision.number} is {_STATUS_WORDS.get(revision.status, revision.status)}"
            f"; this needs a version that is {_STATUS_WORDS[status]}"
        )


def _new_draft(
    session: Session,
    account: Account,
    item: ContentItem,
    language: str,
    languages: LanguageTable,
    base_number: int | None,
    texts: _Texts,
    note: str | None,
    now: dt.datetime,
    *,
    machine: Machine | None = None,
    keep_machine: bool = False,
) -> ContentRevision:
    """The new head, if nobody saved since `base_number`. The check is made twice: against
    the head read here, and by the unique (item, language, number) constraint, which refuses
    a save that lost the race to another process between that read and the write."""
    baseline = ensure_baseline(session, item)
    current = head(session, item.id, language)
    if base_number is None and current is not None and current in baseline:
        # The editor opened seed content before it had any revision: what they started from
        # is the live text, which is the baseline made just now.
        base_number = current.number
    if current is None and base_number is not None:
        raise WrongState(f"there is no version {base_number} of the {language} text")
    if current is not None and current.number != base_number:
        raise EditConflict(current, base_number=base_number)
    source_number = None
    if language != languages.default:
        source_number = _published_number(session, item.id, languages.default)
    if keep_machine and current is not None and current.status in _UNPUBLISHED:
        # A person's edit of a machine draft keeps saying where the text came from.
        machine = machine_of(current)
    revision = ContentRevision(
        item_id=item.id,
        language=language,
        number=(current.number if current is not None else 0) + 1,
        base_number=base_number,
        title=texts.title,
        body=texts.body,
        options=texts.options,
        share_text=texts.share_text,
        sources=texts.sources,
        status=RevisionStatus.DRAFT.value,
        source_number=source_number,
        author_id=account.id,
        created_at=now,
        note=note.strip() if note and note.strip() else None,
    )
    if machine is not None:
        revision.machine_engine = machine.engine
        revision.machine_model = machine.model
        revision.machine_version = machine.version
        revision.machine_number = machine.number or revision.number
    try:
        with session.begin_nested():
            if current is not None and current.status in _UNPUBLISHED:
                current.status = RevisionStatus.REPLACED.value
            session.add(revision)
            session.flush()
    except IntegrityError:
        theirs = head(session, item.id, language)
        if theirs is None or theirs.number == base_number:
            raise
        raise EditConflict(theirs, base_number=base_number) from None
    return revision


def _checked(
    title: str,
    body: str,
    options: Sequence[dict[str, str]],
    sources: Sequence[dict[str, str]],
    *,
    require_sources: bool = True,
    share_text: str | None = None,
) -> _Texts:
    """The limits of YAML content (VariantDoc), so that the workspace and the files cannot
    disagree. A draft may lack sources (the editor is still looking); a text for review not.
    An empty forwardable text is no forwardable text (None): that answer offers no sharing."""
    share_text = share_text.strip() if share_text and share_text.strip() else None
    data = {
        "title": title,
        "body": body,
        "options": list(options),
        "sources": list(sources),
        "share_text": share_text,
    }
    try:
        VariantDoc.model_validate(data)
    except ValidationError as error:
        problems = [
            problem
            for problem in error.errors()
            if require_sources or sources or problem["loc"] != ("sources",)
        ]
        if problems:
            raise InvalidContent(_readable(problems)) from None
    return _Texts(
        title=title,
        body=body,
        options=[dict(option) for option in options],
        sources=[dict(source) for source in sources],
        share_text=share_text,
    )


def _readable(problems: list[ErrorDetails]) -> str:
    """Pydantic's errors as sentences: "title: 31 characters, at most 24"."""
    return "; ".join(_problem_sentence(problem) for problem in problems)


def _problem_sentence(problem: ErrorDetails) -> str:
    loc = problem["loc"]
    kind = problem["type"]
    ctx = problem.get("ctx") or {}
    if loc == ("sources",) and kind == "too_short":
        return "add at least one source (a title and a web address) before sending for review"
    where = _where(loc)
    if kind == "string_too_long":
        return f"{where}: {len(problem['input'])} characters, at most {ctx['max_length']}"
    if kind in ("string_too_short", "missing"):
        return f"{where}: must not be empty"
    if kind == "too_long":
        return f"{where}: at most {ctx['max_length']}"
    if kind == "string_pattern_mismatch" and loc[-1] == "url":
        return f"{where}: must be a web address starting with http:// or https://"
    if kind == "string_pattern_mismatch" and loc[-1] == "payload":
        return f"{where}: must be a command such as /menu"
    message = str(problem["msg"]).removeprefix("Value error, ")
    return f"{where}: {message}" if where else message


def _where(loc: tuple[int | str, ...]) -> str:
    """("sources", 0, "url") -> "source 1 url": counted from 1, as a partner counts."""
    words = []
    for position, part in enumerate(loc):
        if isinstance(part, int):
            words.append(str(part + 1))
        elif position + 1 < len(loc) and isinstance(loc[position + 1], int):
            words.append(part.removesuffix("s"))
        else:
            words.append(part.replace("_", " "))  # "share_text" -> "share text"
    return " ".join(words)


def _published_number(session: Session, item_id: int, language: str) -> int | None:
    return session.scalar(
        select(ContentRevision.number)
        .where(
            ContentRevision.item_id == item_id,
            ContentRevision.language == language,
            ContentRevision.status == RevisionStatus.PUBLISHED.value,
        )
        .order_by(ContentRevision.number.desc())
        .limit(1)
    )


def _with_status(
    session: Session, revision: ContentRevision, status: RevisionStatus
) -> list[ContentRevision]:
    """The other versions of the same item and language in this status."""
    return list(
        session.scalars(
            select(ContentRevision).where(
                ContentRevision.item_id == revision.item_id,
                ContentRevision.language == revision.language,
                ContentRevision.status == status.value,
                ContentRevision.id != revision.id,
            )
        )
    )


def _variant(item: ContentItem, language: str) -> ContentVariant | None:
    return next((v for v in item.variants if v.language == language), None)


def _is_live(variant: ContentVariant) -> bool:
    """What people get today: drafts and archived texts are never sent."""
    return variant.review_status not in (ReviewStatus.DRAFT, ReviewStatus.ARCHIVED)


def _copy_to_variant(item: ContentItem, revision: ContentRevision, now: dt.datetime) -> None:
    """The only place where the text people get changes."""
    variant = _variant(item, revision.language)
    if variant is None:
        variant = ContentVariant(language=revision.language)
        item.variants.append(variant)
    variant.title = revision.title
    variant.body = revision.body
    variant.options = list(revision.options)
    variant.share_text = revision.share_text
    variant.review_status = ReviewStatus.PUBLISHED.value
    variant.last_reviewed = now.date()
    variant.version = revision.number
    variant.sources = [
        ContentSource(position=position, title=source["title"], url=source["url"])
        for position, source in enumerate(revision.sources)
    ]


def _add_note(revision: ContentRevision, *lines: str | None) -> None:
    """Notes accumulate: the author's word, the reviewer's, a confirmed difference."""
    kept = [revision.note] if revision.note else []
    kept += [line for line in lines if line]
    revision.note = "\n".join(kept) or None


def _target(revision: ContentRevision) -> str:
    return f"item {revision.item_id} {revision.language} r{revision.number}"


def _author_name(revision: ContentRevision) -> str:
    if revision.author is not None:
        return revision.author.username
    if revision.author_id is None and revision.note == IMPORTED_NOTE:
        return "the content import"
    return "somebody"


def _source_lines(sources: list[dict[str, str]]) -> str:
    return "\n".join(f"{source['title']} {source['url']}" for source in sources)


def _diff_field(
    field: Literal["title", "body", "share_text", "sources"], old: str, new: str
) -> Iterator[DiffLine]:
    old_lines, new_lines = old.splitlines(), new.splitlines()
    matcher = difflib.SequenceMatcher(a=old_lines, b=new_lines, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            yield from (DiffLine(field, "equal", line) for line in old_lines[i1:i2])
            continue
        yield from (DiffLine(field, "removed", line) for line in old_lines[i1:i2])
        yield from (DiffLine(field, "added", line) for line in new_lines[j1:j2])
