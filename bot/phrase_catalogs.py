"""Keeping translations/<lang>.po (the assistant's fixed phrases) in step, with Babel.

bot/phrases.py reads the catalogs; this module maintains them: the three gettext steps a
translator knows, done with Babel's own catalog code rather than by hand.

- **extract**: the template translations/phrases.pot. The phrases are keyed (msgid "greet"),
  so the source of a phrase is its text in the default language's catalog (en.po), where a
  developer adds it; the template carries that text as an extracted comment, so a PO editor
  (Poedit, Weblate) shows the translator the English beside the key.
- **update**: every other catalog merged with the template (Babel's `Catalog.update`): a new
  phrase arrives empty, a phrase no longer in the template becomes obsolete, and a phrase
  whose English changed since it was translated is marked fuzzy, "outdated", until a translator
  confirms or rewrites it. Why a fingerprint of the English: the keys never change, so Babel's
  own fuzzy matching (on msgids) cannot see a changed source; the fingerprint in the comment
  can. An outdated translation is still sent (better than English for a Kreyòl speaker); the
  workspace lists it for the translators.
- **compile**: each catalog checked (Babel's checks, every phrase present, the same
  `{placeholders}` as the English) and written as a .mo file, for any gettext tool. The
  assistant itself keeps reading the .po files, so an edit shows on the next message without
  a compile step.

`make phrases` runs all three; the workspace's phrases page (bot/workspace/routes/phrases.py)
saves one phrase through `save_phrase`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import tempfile
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

TEMPLATE_NAME = "phrases.pot"
FUZZY = "fuzzy"
PROJECT, VERSION = "route-assistant", "phrases"  # the catalogs' Project-Id-Version
LINE_WIDTH = 100  # the width the catalogs have always been wrapped at
# The first extracted comment line of a template entry: "English (3fa2c1d0):".
_SOURCE_LINE = re.compile(r"^(?P<language>[\w-]+) \((?P<fingerprint>[0-9a-f]{8})\):$")
# `{organisation}`, `{language}`, `{when}`: words the code fills in; a translation must keep them.
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")
# One writer at a time per process: two saves from the workspace must not interleave.
_WRITE_LOCK = threading.Lock()


class PhraseState(StrEnum):
    CURRENT = "current"  # translated from the English as it is now
    OUTDATED = "outdated"  # translated, but the English changed since (fuzzy)
    MISSING = "missing"  # no translation: the English is sent instead


class PhraseRefused(ValueError):
    """A phrase the workspace cannot save as written. `reason` is a code the page turns into
    words ("empty", "placeholders", "unknown"), so the refusal is translated where it is shown."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class UpdateReport:
    """What `update` changed in one language's catalog: the translators' news."""

    language: str
    added: list[str] = field(default_factory=list)
    outdated: list[str] = field(default_factory=list)
    obsolete: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Problem:
    language: str
    key: str
    what: str

    def __str__(self) -> str:
        return f"{self.language}.po {self.key}: {self.what}"


@dataclass(frozen=True)
class PhraseRow:
    """One phrase as the workspace shows it: the English and every language's text and state."""

    key: str
    source: str
    texts: dict[str, str]
    states: dict[str, PhraseState]


def fingerprint(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def catalog_path(translations_dir: Path, language: str) -> Path:
    return translations_dir / f"{language}.po"


def read_catalog(translations_dir: Path, language: str) -> Catalog:
    path = catalog_path(translations_dir, language)
    if not path.exists():
        return Catalog(locale=None, fuzzy=False)
    with path.open("rb") as file:
        return read_po(file, locale=language, abort_invalid=True)


def _write_catalog(path: Path, catalog: Catalog, *, template: bool = False) -> None:
    """Write through a temporary file and a rename: a reader (the assistant answering someone)
    sees the old catalog or the new one, never half of one. A catalog whose only change would
    be its creation date is left alone, so `make phrases` twice changes nothing in git."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=LINE_WIDTH, ignore_obsolete=template)
    written = buffer.getvalue()
    if path.exists() and _undated(path.read_bytes()) == _undated(written):
        return
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(written)
        os.chmod(temporary, 0o644)  # mkstemp makes it private; a catalog is for everyone to read
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _undated(po: bytes) -> bytes:
    return re.sub(rb'^"(POT-Creation-Date|PO-Revision-Date): [^"]*"$', b"", po, flags=re.M)


def _entries(catalog: Catalog) -> Iterable[Message]:
    return (message for message in catalog if message.id)


def source_fingerprint(message: Message) -> str | None:
    """The fingerprint of the English a translation was made from, from its comment."""
    for line in message.auto_comments:
        match = _SOURCE_LINE.match(line.strip())
        if match:
            return match["fingerprint"]
    return None


def build_template(source: Catalog, source_language: str) -> Catalog:
    """The template: every key of the source catalog, its text as an extracted comment."""
    template = Catalog(
        project=PROJECT, version=VERSION, fuzzy=False, header_comment=_TEMPLATE_HEADER
    )
    for message in _entries(source):
        comment = source_comment(str(message.string or ""), source_language)
        template.add(message.id, auto_comments=comment, user_comments=message.user_comments)
    return template


def source_comment(text: str, source_language: str) -> list[str]:
    """The extracted comment that shows the translator the source text and dates it."""
    return [f"{source_language} ({fingerprint(text)}):", *text.splitlines()]


_TEMPLATE_HEADER = (
    "# The assistant's fixed phrases: the template of translations/<lang>.po.\n"
    "# Made by `make phrases` from the default language's catalog; do not edit by hand."
)


def update(
    translations_dir: Path, languages: Iterable[str], source_language: str
) -> list[UpdateReport]:
    """extract + update: write the template and merge it into every other language."""
    source = read_catalog(translations_dir, source_language)
    template = build_template(source, source_language)
    reports = []
    with _WRITE_LOCK:
        _write_catalog(translations_dir / TEMPLATE_NAME, template, template=True)
        for language in languages:
            if language != source_language:
                reports.append(_update_one(translations_dir, language, template))
    return reports


def _update_one(translations_dir: Path, language: str, template: Catalog) -> UpdateReport:
    catalog = read_catalog(translations_dir, language)
    if catalog.locale is None:  # a new language: start from the template
        catalog = Catalog(locale=language, fuzzy=False)
    translated_from = {m.id: source_fingerprint(m) for m in _entries(catalog)}
    before = {m.id for m in _entries(catalog)}
    catalog.update(template, no_fuzzy_matching=True, update_creation_date=False)
    _stamp(catalog, language)
    report = UpdateReport(language)
    for message in _entries(catalog):
        if message.id not in before:
            report.added.append(message.id)
            continue
        new = source_fingerprint(message)
        old = translated_from.get(message.id)
        if message.string and old is not None and new != old and FUZZY not in message.flags:
            message.flags.add(FUZZY)
            report.outdated.append(message.id)
    report.obsolete.extend(str(key) for key in catalog.obsolete)
    _write_catalog(catalog_path(translations_dir, language), catalog)
    return report


def _stamp(catalog: Catalog, language: str) -> None:
    """The header a PO editor shows; the revision date only lands when the phrases change."""
    catalog.project, catalog.version = PROJECT, VERSION
    catalog.last_translator = "route-assistant translators"
    catalog.language_team = language
    catalog.msgid_bugs_address = ""
    catalog.revision_date = dt.datetime.now(dt.UTC)


def check(translations_dir: Path, languages: Iterable[str], source_language: str) -> list[Problem]:
    """What would make a catalog wrong for the person reading it, per language."""
    source = {
        m.id: str(m.string or "") for m in _entries(read_catalog(translations_dir, source_language))
    }
    problems: list[Problem] = []
    for language in languages:
        catalog = read_catalog(translations_dir, language)
        for message, errors in catalog.check():
            problems += [Problem(language, str(message.id), str(error)) for error in errors]
        present = {m.id: str(m.string or "") for m in _entries(catalog)}
        for key, english in source.items():
            text = present.get(key, "")
            if not text:
                problems.append(Problem(language, key, "missing: the English is sent instead"))
            elif placeholders(text) != placeholders(english):
                wanted = " ".join(sorted(placeholders(english))) or "none"
                problems.append(Problem(language, key, f"placeholders must be: {wanted}"))
    return problems


def compile_catalogs(
    translations_dir: Path, languages: Iterable[str], source_language: str, out_dir: Path
) -> list[Problem]:
    """compile: check every catalog, then write <out_dir>/<lang>/LC_MESSAGES/phrases.mo."""
    languages = list(languages)
    problems = check(translations_dir, languages, source_language)
    for language in languages:
        target = out_dir / language / "LC_MESSAGES" / "phrases.mo"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as file:
            write_mo(file, read_catalog(translations_dir, language), use_fuzzy=True)
    return problems


def rows(translations_dir: Path, languages: Iterable[str], source_language: str) -> list[PhraseRow]:
    """Every phrase with each language's text and state, in the source catalog's order."""
    catalogs = {code: read_catalog(translations_dir, code) for code in languages}
    source = catalogs.get(source_language) or read_catalog(translations_dir, source_language)
    result = []
    for message in _entries(source):
        english = str(message.string or "")
        texts: dict[str, str] = {}
        states: dict[str, PhraseState] = {}
        for code, catalog in catalogs.items():
            entry = catalog.get(message.id)
            text = str(entry.string or "") if entry is not None else ""
            texts[code] = text
            if not text:
                states[code] = PhraseState.MISSING
            elif code != source_language and FUZZY in entry.flags:  # type: ignore[union-attr]
                states[code] = PhraseState.OUTDATED
            else:
                states[code] = PhraseState.CURRENT
        result.append(PhraseRow(str(message.id), english, texts, states))
    return result


def save_phrase(
    translations_dir: Path,
    language: str,
    key: str,
    text: str,
    *,
    languages: Iterable[str],
    source_language: str,
) -> None:
    """One phrase, written by a person: it is current from now on (no longer fuzzy). A new
    English text marks the other languages outdated (an `update` right after)."""
    text = text.strip().replace("\r\n", "\n")
    if not text:
        raise PhraseRefused("empty")
    source = read_catalog(translations_dir, source_language)
    english = source.get(key)
    if english is None:
        raise PhraseRefused("unknown")
    wanted = placeholders(str(english.string or ""))
    if language != source_language and placeholders(text) != wanted:
        raise PhraseRefused("placeholders")
    with _WRITE_LOCK:
        catalog = read_catalog(translations_dir, language)
        message = catalog.get(key)
        if message is None:
            raise PhraseRefused("unknown")
        message.string = text
        message.flags.discard(FUZZY)
        if language != source_language:  # translated from the English as it is now
            message.auto_comments = source_comment(str(english.string or ""), source_language)
        _stamp(catalog, language)
        _write_catalog(catalog_path(translations_dir, language), catalog)
    if language == source_language:
        update(translations_dir, languages, source_language)
