"""What the review screen shows, computed over a store Session, without the web.

Why a module of its own: a reviewer decides from this screen whether people get a text, so
what it says (which numbers a change adds, which languages disagree, which numbers nobody has
verified) must be testable without HTML, and must agree with the rule that publishing applies
(bot/workspace/revisions.py `publish`). The routes (bot/workspace/routes/review.py and
history.py, audit.py) only render what is computed here; the small display helpers (an item's
name, a date in the reader's language) live here too so that the queue, the history and the
audit log name things the same way.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale, UnknownLocaleError
from babel.dates import format_datetime
from markupsafe import Markup
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from bot.content.lookup import NEVER_SENT
from bot.store.models import (
    Account,
    AuditEntry,
    ContentItem,
    ContentRevision,
    ContentVariant,
    RevisionStatus,
)
from bot.workspace import numbers, revisions, truth
from bot.workspace.i18n import N_
from bot.workspace.i18n import gettext as _
from bot.workspace.revisions import DiffLine

# Two values of the same kind this alike (difflib's ratio) read as one value altered, not as
# one removed and an unrelated one added: "104" -> "105", "+507 512-2222" -> "+507 512-2223".
_ALTERED_RATIO = 0.6

# The audit line of a submission names its revision this way (bot/workspace/audit.py).
_REVISION_TARGET = re.compile(r"^item (?P<item>\d+) (?P<language>[a-z]{2,8}) r(?P<number>\d+)$")

# Kreyòl month names: CLDR has no Kreyòl calendar, and "2 M12 2026" helps nobody.
_KREYOL_MONTHS = (
    "janvye",
    "fevriye",
    "mas",
    "avril",
    "me",
    "jen",
    "jiyè",
    "out",
    "septanm",
    "oktòb",
    "novanm",
    "desanm",
)


# --- what the screen shows ---------------------------------------------------------------


@dataclass(frozen=True)
class FactLine:
    """One phone number, link or amount that the change adds, removes or alters, as written.

    For "altered", `old` is the value the text gave before and `value` the one it gives now."""

    kind: truth.Kind
    change: Literal["added", "removed", "altered"]
    value: str
    old: str | None = None


@dataclass(frozen=True)
class Difference:
    """A value some languages give and others do not, once this change is in place."""

    kind: truth.Kind
    value: str  # as the first language that gives it writes it
    given_by: tuple[str, ...]
    missing_in: tuple[str, ...]


@dataclass(frozen=True)
class Unverified:
    """A phone number that is not on the verified list of the item's country."""

    number: str  # as written
    languages: tuple[str, ...]


@dataclass(frozen=True)
class OtherLanguage:
    """Another language of the item as people get it now, with its facts highlighted."""

    language: str
    title: str | None
    html: Markup | None  # None: no text in this language
    status: str | None  # the variant's review status
    live: bool
    waiting: ContentRevision | None  # a change of this language waiting for review too


@dataclass(frozen=True)
class ReviewScreen:
    revision: ContentRevision
    item: ContentItem
    waiting: bool  # still the newest version and in review: it can be published
    live: ContentRevision | None  # the published version the change is compared with
    live_variant: ContentVariant | None
    live_html: Markup | None
    proposed_html: Markup
    diff: list[DiffLine]
    facts: list[FactLine]
    others: list[OtherLanguage]
    differences: list[Difference]
    unverified: list[Unverified]
    submitted_at: dt.datetime | None = None
    changed_values: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class QueueEntry:
    revision: ContentRevision
    item: ContentItem
    since: dt.datetime


# --- reading ---------------------------------------------------------------------------------


def revision_for(
    session: Session, organisation_id: int, revision_id: int
) -> ContentRevision | None:
    """A revision of the organisation's own items; None for another organisation's, so that
    the page answers "not found" and confirms nothing."""
    revision = session.get(ContentRevision, revision_id)
    if revision is None or revision.item.organisation_id != organisation_id:
        return None
    return revision


def item_for(session: Session, organisation_id: int, item_id: int) -> ContentItem | None:
    """An item of the organisation; None for another organisation's (the page says 404)."""
    item = session.get(ContentItem, item_id)
    if item is None or item.organisation_id != organisation_id:
        return None
    return item


def queue(session: Session, organisation_id: int) -> list[QueueEntry]:
    """The organisation's changes waiting for review, the longest waiting first.

    Only the newest version of a language can wait (a newer save replaces an older one), but
    the query says so too, so that the queue never offers a version publishing would refuse."""
    newer = aliased(ContentRevision)
    waiting = list(
        session.scalars(
            select(ContentRevision)
            .join(ContentItem, ContentRevision.item_id == ContentItem.id)
            .where(
                ContentItem.organisation_id == organisation_id,
                ContentRevision.status == RevisionStatus.IN_REVIEW.value,
                ~select(newer.id)
                .where(
                    and_(
                        newer.item_id == ContentRevision.item_id,
                        newer.language == ContentRevision.language,
                        newer.number > ContentRevision.number,
                    )
                )
                .exists(),
            )
        )
    )
    sent = _submitted_at(session, organisation_id, waiting)
    entries = [
        QueueEntry(revision, revision.item, sent.get(revision.id) or _aware(revision.created_at))
        for revision in waiting
    ]
    return sorted(entries, key=lambda entry: (entry.since, entry.revision.id))


def _submitted_at(
    session: Session, organisation_id: int, waiting: Sequence[ContentRevision]
) -> dict[int, dt.datetime]:
    """When each revision was sent for review, from the audit log: a draft may wait days
    between its save and its submission, and the queue is about the wait for a reviewer."""
    by_target = {_target(revision): revision.id for revision in waiting}
    if not by_target:
        return {}
    rows = session.execute(
        select(AuditEntry.target, func.max(AuditEntry.at))
        .where(
            AuditEntry.organisation_id == organisation_id,
            AuditEntry.action == "submit",
            AuditEntry.target.in_(by_target),
        )
        .group_by(AuditEntry.target)
    )
    return {by_target[target]: _aware(at) for target, at in rows}


def live_revision(session: Session, item_id: int, language: str) -> ContentRevision | None:
    """The published version of one language: what a change is compared with."""
    return session.scalar(
        select(ContentRevision)
        .where(
            ContentRevision.item_id == item_id,
            ContentRevision.language == language,
            ContentRevision.status == RevisionStatus.PUBLISHED.value,
        )
        .order_by(ContentRevision.number.desc())
        .limit(1)
    )


def is_live(variant: ContentVariant | None) -> bool:
    """Whether people get this text today; the rule of revisions.publish (drafts and
    archived texts are never sent, the seed's "in review" texts are)."""
    return variant is not None and variant.review_status not in NEVER_SENT


def texts_after(item: ContentItem, revision: ContentRevision) -> dict[str, str]:
    """The bodies people would get in each language once `revision` is published: what the
    cross-language check of revisions.publish compares."""
    texts = {v.language: v.body for v in item.variants if is_live(v)}
    texts[revision.language] = revision.body
    return texts


def screen(session: Session, revision: ContentRevision) -> ReviewScreen:
    """Everything the reviewer needs to decide about one change, all languages at once."""
    item = revision.item
    variants = {variant.language: variant for variant in item.variants}
    live_variant = variants.get(revision.language)
    live = live_revision(session, item.id, revision.language)
    before = live_variant.body if is_live(live_variant) else ""
    facts = fact_lines(before, revision.body)
    changed = truth.fact_values(before) ^ truth.fact_values(revision.body)
    added = truth.fact_values(revision.body) - truth.fact_values(before)
    removed = truth.fact_values(before) - truth.fact_values(revision.body)
    current = revisions.head(session, item.id, revision.language)
    texts = texts_after(item, revision)
    return ReviewScreen(
        revision=revision,
        item=item,
        waiting=(
            current is not None
            and current.id == revision.id
            and revision.status == RevisionStatus.IN_REVIEW
        ),
        live=live,
        live_variant=live_variant,
        live_html=truth.highlight(before, removed) if before else None,
        proposed_html=truth.highlight(revision.body, added),
        diff=revisions.diff(live or _empty(revision), revision),
        facts=facts,
        others=_other_languages(session, item, revision, changed),
        differences=differences(texts),
        unverified=unverified(session, item, texts),
        submitted_at=_submitted_at(session, item.organisation_id or 0, [revision]).get(revision.id),
        changed_values=changed,
    )


def _empty(revision: ContentRevision) -> ContentRevision:
    """An empty version to compare a first text with (never added to the session)."""
    return ContentRevision(language=revision.language, title="", body="", sources=[])


def _other_languages(
    session: Session, item: ContentItem, revision: ContentRevision, changed: set[str]
) -> list[OtherLanguage]:
    others = []
    for variant in item.variants:
        if variant.language == revision.language:
            continue
        pending = revisions.head(session, item.id, variant.language)
        others.append(
            OtherLanguage(
                language=variant.language,
                title=variant.title,
                html=truth.highlight(variant.body, changed),
                status=variant.review_status,
                live=is_live(variant),
                waiting=(
                    pending
                    if pending is not None and pending.status == RevisionStatus.IN_REVIEW
                    else None
                ),
            )
        )
    return others


# --- the checks --------------------------------------------------------------------------


def fact_lines(old: str, new: str) -> list[FactLine]:
    """What `new` adds, removes and alters compared with `old`, as the authors wrote it.

    truth.changes gives removed and added values; a removed and an added value of the same
    kind that look alike (see _ALTERED_RATIO) are one value altered, so that "Changes phone
    104 to 105" is one line, not two a reviewer must put together."""
    written = {**_written(old), **_written(new)}
    found = truth.changes(old, new)
    lines: list[FactLine] = []
    for kind in truth.KINDS:
        removed = [c.value for c in found if c.kind == kind and c.change == "removed"]
        added = [c.value for c in found if c.kind == kind and c.change == "added"]
        for old_value in list(removed):
            match = _most_alike(old_value, added)
            if match is not None:
                removed.remove(old_value)
                added.remove(match)
                lines.append(
                    FactLine(kind, "altered", written[kind, match], written[kind, old_value])
                )
        lines += [FactLine(kind, "removed", written[kind, value]) for value in removed]
        lines += [FactLine(kind, "added", written[kind, value]) for value in added]
    order = {"altered": 0, "removed": 1, "added": 2}
    return sorted(lines, key=lambda line: (truth.KINDS.index(line.kind), order[line.change]))


def _most_alike(value: str, candidates: Iterable[str]) -> str | None:
    best, best_ratio = None, _ALTERED_RATIO
    for candidate in candidates:
        ratio = difflib.SequenceMatcher(a=value, b=candidate, autojunk=False).ratio()
        if ratio >= best_ratio:
            best, best_ratio = candidate, ratio
    return best


def _written(text: str) -> dict[tuple[str, str], str]:
    """(kind, normalised value) -> how the text writes it the first time."""
    forms: dict[tuple[str, str], str] = {}
    for fact in truth.facts_in(text):
        forms.setdefault((fact.kind, fact.value), fact.text)
    return forms


def differences(texts: dict[str, str]) -> list[Difference]:
    """The values the languages do not share, one line per value: "The French text gives
    +507 500-6000 but the Kreyòl text does not" (the check of revisions.publish)."""
    missing = truth.mismatches(texts)
    values = {language: truth.fact_values(body) for language, body in texts.items()}
    written: dict[tuple[str, str], str] = {}
    for language in sorted(texts):
        for key, form in _written(texts[language]).items():
            written.setdefault(key, form)
    lacking: dict[tuple[str, str], list[str]] = {}
    for language, kinds in sorted(missing.items()):
        for kind, kind_values in kinds.items():
            for value in kind_values:
                lacking.setdefault((kind, value), []).append(language)
    return [
        Difference(
            kind=kind,  # type: ignore[arg-type]
            value=written.get((kind, value), value),
            given_by=tuple(sorted(lang for lang, own in values.items() if value in own)),
            missing_in=tuple(sorted(languages)),
        )
        for (kind, value), languages in sorted(
            lacking.items(), key=lambda pair: (truth.KINDS.index(pair[0][0]), pair[0][1])
        )
    ]


def unverified(session: Session, item: ContentItem, texts: dict[str, str]) -> list[Unverified]:
    """The phone numbers of these texts that are not on the verified list of the item's
    country (numbers valid everywhere count too). Flagged, never blocking: the list grows
    as admins check numbers, and a real new hotline must not wait for it."""
    verified = numbers.verified_for(session, item.country)
    code = numbers.calling_code(item.country)
    flagged: dict[str, list[str]] = {}
    written: dict[str, str] = {}
    for language in sorted(texts):
        forms = _written(texts[language])
        for number in sorted(truth.unverified_phones(texts[language], verified, code)):
            flagged.setdefault(number, []).append(language)
            written.setdefault(number, forms.get(("phone", number), number))
    return [Unverified(written[number], tuple(langs)) for number, langs in flagged.items()]


# --- naming things -----------------------------------------------------------------------

# What the screens call each state of a version (translated where they are shown).
STATUS_WORDS: dict[str, str] = {
    RevisionStatus.DRAFT: N_("Draft"),
    RevisionStatus.IN_REVIEW: N_("Waiting for review"),
    RevisionStatus.PUBLISHED: N_("Published"),
    RevisionStatus.ARCHIVED: N_("Archived"),
    RevisionStatus.REPLACED: N_("Replaced by a newer save"),
    RevisionStatus.SUPERSEDED: N_("Replaced by a newer publication"),
}

KIND_WORDS: dict[str, str] = {
    "phone": N_("phone number"),
    "url": N_("web address"),
    "amount": N_("amount"),
}

# One sentence per kind of change, whole, so that a translator never glues halves together.
FACT_WORDS: dict[str, str] = {
    "added": N_("Adds %(kind)s %(value)s"),
    "removed": N_("Removes %(kind)s %(value)s"),
    "altered": N_("Changes %(kind)s %(old)s to %(value)s"),
}

# (several languages give it, several lack it) -> the sentence of the warning box.
DIFFERENCE_WORDS: dict[tuple[bool, bool], str] = {
    (False, False): N_(
        "The %(given)s text gives %(kind)s %(value)s but the %(missing)s text does not."
    ),
    (True, False): N_(
        "The %(given)s texts give %(kind)s %(value)s but the %(missing)s text does not."
    ),
    (False, True): N_(
        "The %(given)s text gives %(kind)s %(value)s but the %(missing)s texts do not."
    ),
    (True, True): N_(
        "The %(given)s texts give %(kind)s %(value)s but the %(missing)s texts do not."
    ),
}


@dataclass(frozen=True)
class Names:
    """How the pages name things for one reader: items, languages, dates, people.

    Built once per request (`names_for`); templates call its methods, so the queue, the review
    screen, the history and the audit log say "Trafficking · Panama", "Kreyòl" and
    "2 December 2026, 09:00" the same way."""

    ui_language: str
    time_zone: str
    countries: dict[str, str]  # code -> name in the reader's language (numbers.country_names)
    own_names: dict[str, str]  # content language -> its own name (LanguageTable.names)

    def item(self, item: ContentItem) -> str:
        """ "Trafficking · Panama": the topic and where the item applies."""
        return f"{topic_label(item.topic_name)} · {self.country(item.country)}"

    def country(self, country: str | None) -> str:
        if country is None:
            return _("every country")
        return self.countries.get(country, country)

    def language(self, code: str) -> str:
        """A content language in the reader's language ("French", "français"); Kreyòl is
        Kreyòl for everybody, as partners call it."""
        if code == "ht":
            return "Kreyòl"
        try:
            name = Locale.parse(self.ui_language).languages.get(code)
        except (UnknownLocaleError, ValueError):
            name = None
        return name or self.own_names.get(code, code)

    def languages(self, codes: Iterable[str]) -> str:
        """ "French and English", "Kreyòl, French and English"."""
        names = [self.language(code) for code in codes]
        if len(names) < 2:
            return "".join(names)
        return _("%(first)s and %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}

    def when(self, value: dt.datetime | None) -> str:
        return readable_time(value, self.ui_language, self.time_zone)

    def author(self, revision: ContentRevision) -> str:
        """Who wrote a version, as a partner reads it."""
        if revision.author is not None:
            return revision.author.username
        if revision.note == revisions.IMPORTED_NOTE:
            return _("the content files")
        return _("unknown")

    def account(self, account: Account | None) -> str:
        return account.username if account is not None else _("the system")

    def status(self, status: str | None) -> str:
        return _(STATUS_WORDS.get(status or "", status or ""))

    def fact(self, line: FactLine) -> str:
        return _(FACT_WORDS[line.change]) % {
            "kind": _(KIND_WORDS[line.kind]),
            "value": line.value,
            "old": line.old or "",
        }

    def difference(self, found: Difference) -> str:
        words = DIFFERENCE_WORDS[len(found.given_by) > 1, len(found.missing_in) > 1]
        return _(words) % {
            "given": self.languages(found.given_by),
            "missing": self.languages(found.missing_in),
            "kind": _(KIND_WORDS[found.kind]),
            "value": found.value,
        }


def topic_label(topic: str) -> str:
    """ "health.pregnancy_danger" -> "Health › pregnancy danger"."""
    words = [part.replace("_", " ") for part in topic.split(".")]
    return " › ".join(words).capitalize()


def readable_time(value: dt.datetime | None, ui_language: str, time_zone: str = "UTC") -> str:
    """ "2 December 2026, 09:00" in the reader's language and the organisation's time zone.

    SQLite gives naive datetimes back: they were written in UTC."""
    if value is None:
        return ""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    local = _aware(value).astimezone(zone)
    if ui_language == "ht":
        return f"{local.day} {_KREYOL_MONTHS[local.month - 1]} {local.year}, {local:%H:%M}"
    try:
        return format_datetime(local, "d MMMM y, HH:mm", tzinfo=zone, locale=ui_language)
    except (UnknownLocaleError, ValueError):
        return format_datetime(local, "d MMMM y, HH:mm", tzinfo=zone, locale="en")


def revision_target(target: str) -> tuple[int, str, int] | None:
    """(item id, language, number) of an audit target naming a revision ("item 12 ht r3")."""
    found = _REVISION_TARGET.match(target)
    if found is None:
        return None
    return int(found["item"]), found["language"], int(found["number"])


def _target(revision: ContentRevision) -> str:
    return f"item {revision.item_id} {revision.language} r{revision.number}"


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
