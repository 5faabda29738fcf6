"""The emergency patterns, the child-alone patterns and the gazetteer as documents admins edit
in the workspace (issue 14, item 3), and the rules every gateway process answers with.

Why documents in the store and not the files: a partner must be able to add "yo mare m" or a
new border town without a programmer, and every gateway process (issue 19) must use it from
its next message. The files under content/ stay the seed: a document with no row in the store
is its file, version 0.

Why the checks: these patterns are the fast path that answers a person in danger before any
model. A version is saved only when it builds with the same code that reads the files (so the
gateway cannot fail on it) and still catches every labelled message of tests/data/safety/ that
the version in use catches (bot/safety/evaluation.py, docs/emergency-benchmark.md): a partner cannot
silently break the fast path, and the page says which messages a refused version would miss.

`SafetyRules` holds one process's built rules. At most once per `every_seconds` it reads the
versions from the store (one small query) and rebuilds what changed; a version that fails to
build (a row written by hand, a rule tightened since) is logged and skipped, and the last good
rules keep answering.
"""

from __future__ import annotations

import datetime as dt
import difflib
import logging
import threading
from collections import Counter
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock, system_clock
from bot.config import REPO_ROOT, Settings
from bot.languages import LanguageTable, load_languages
from bot.places import Gazetteer, PlaceFinder, gazetteer_from_text
from bot.safety.detector import EmergencyDetector, detector_from_text
from bot.safety.evaluation import (
    CHILD_ALONE,
    CHILD_ALONE_SET,
    EMERGENCY,
    MEDICAL,
    MEDICAL_SET,
    DetectorStats,
    MedicalSign,
    emergency_sets,
    evaluate,
    load_labelled,
)
from bot.safety.minor import ChildAloneDetector, child_alone_detector_from_text
from bot.store.models import Account, SafetyDocument, SafetyDocumentVersion
from bot.workspace import audit

log = logging.getLogger(__name__)

EMERGENCY_DOCUMENT = "emergency"
MINOR_ALONE_DOCUMENT = "minor_alone"
GAZETTEER_DOCUMENT = "gazetteer"
NAMES = (EMERGENCY_DOCUMENT, MINOR_ALONE_DOCUMENT, GAZETTEER_DOCUMENT)
LABELLED_DIR = REPO_ROOT / "tests" / "data" / "safety"
DEFAULT_REFRESH_SECONDS = 5.0


def seed_paths(settings: Settings) -> dict[str, Path]:
    """name -> the file under content/ that is the document until an admin saves one."""
    return {
        EMERGENCY_DOCUMENT: settings.emergency_patterns_path,
        MINOR_ALONE_DOCUMENT: settings.child_alone_patterns_path,
        GAZETTEER_DOCUMENT: settings.gazetteer_path,
    }


def known_languages(table: LanguageTable) -> tuple[str, ...]:
    """The codes a pattern list or a country name may be for: the languages the assistant
    speaks and those it only recognises (Spanish emergencies are caught before the menu)."""
    return (*table.codes, *table.detect_only)


@lru_cache(maxsize=1)
def _repository_languages() -> tuple[str, ...]:
    return known_languages(load_languages(REPO_ROOT / "translations"))


# --- building ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Places:
    """What the gazetteer document builds: the names (for replies) and the place finder."""

    gazetteer: Gazetteer
    finder: PlaceFinder


Built = EmergencyDetector | ChildAloneDetector | Places


def _places_from_text(text: str, source: str, languages: Collection[str]) -> Places:
    gazetteer = gazetteer_from_text(text, source, languages)
    return Places(gazetteer, PlaceFinder(gazetteer))


_BUILDERS: dict[str, Callable[[str, str, Collection[str]], Built]] = {
    EMERGENCY_DOCUMENT: detector_from_text,
    MINOR_ALONE_DOCUMENT: child_alone_detector_from_text,
    GAZETTEER_DOCUMENT: _places_from_text,
}


def validate(name: str, text: str, languages: Collection[str] | None = None) -> Built:
    """The detector or the places a text builds, with the very code that reads the files;
    `bot.rulefile.RuleFileError` (its sentence names the line) for a text the gateway could
    not use. `languages`: the codes allowed (default: those of translations/languages.yml)."""
    if name not in _BUILDERS:
        raise KeyError(name)
    return _built(name, text, tuple(languages or _repository_languages()))


@lru_cache(maxsize=12)
def _built(name: str, text: str, languages: tuple[str, ...]) -> Built:
    """Built once per text: every gateway started in one process (the tests) and every
    "Check" against the version in use would otherwise rebuild the same rules. What is built
    holds no state of its own, so sharing it is safe."""
    return _BUILDERS[name](text, name, languages)


def current_text(session: Session, name: str, seed_path: Path) -> tuple[int, str]:
    """The version in use and its text: the store's, or version 0 and the seed file's."""
    row = session.get(SafetyDocument, name)
    if row is not None:
        return row.version, row.text
    return 0, seed_path.read_text(encoding="utf-8")


# --- checking a version against the labelled messages ---------------------------------------


@dataclass(frozen=True)
class Measure:
    """One detector on one labelled set, with the version in use and with the new one."""

    label: Literal["emergencies", "medical", "children_alone"]
    before: dict[str, DetectorStats]
    after: dict[str, DetectorStats]

    @property
    def languages(self) -> list[str]:
        return sorted(set(self.before) | set(self.after))

    def caught(self, which: Literal["before", "after"]) -> tuple[int, int]:
        stats = self.before if which == "before" else self.after
        return sum(s.caught for s in stats.values()), sum(s.emergencies for s in stats.values())

    def alarms(self, which: Literal["before", "after"]) -> tuple[int, int]:
        stats = self.before if which == "before" else self.after
        return sum(s.false_alarms for s in stats.values()), sum(s.ordinary for s in stats.values())

    @property
    def newly_missed(self) -> list[tuple[str, str]]:
        """(language, message) caught by the version in use that the new one would miss."""
        return [
            (language, text)
            for language, stats in self.after.items()
            for text in stats.missed
            if text not in self.before.get(language, DetectorStats()).missed
        ]


@dataclass(frozen=True)
class CheckResult:
    """What the page shows after "Check": the figures, and whether saving is refused."""

    name: str
    measures: list[Measure] = field(default_factory=list)
    # code -> (spellings and places before, after), for the gazetteer
    places: dict[str, tuple[int, int]] = field(default_factory=dict)
    ambiguous: tuple[int, int] = (0, 0)
    missing_sets: bool = False  # no labelled messages to check against: refuse, never guess

    @property
    def newly_missed(self) -> list[tuple[str, str]]:
        return [missed for measure in self.measures for missed in measure.newly_missed]

    @property
    def refused(self) -> bool:
        return self.missing_sets or bool(self.newly_missed)


def _sets(name: str, folder: Path) -> list[tuple[str, str, list[tuple[str, str, str]]]]:
    """(label, positive label, rows) of the labelled sets that measure a document."""

    def rows(paths: list[Path]) -> list[tuple[str, str, str]]:
        return [row for path in paths if path.exists() for row in load_labelled(path)]

    if name == EMERGENCY_DOCUMENT:
        return [
            ("emergencies", EMERGENCY, rows(emergency_sets(folder))),
            ("medical", MEDICAL, rows([folder / MEDICAL_SET])),
        ]
    return [("children_alone", CHILD_ALONE, rows([folder / CHILD_ALONE_SET]))]


def _detector_for(label: str, built: Built) -> Any:
    return MedicalSign(built) if label == "medical" else built


def check(
    name: str,
    text: str,
    current: str,
    languages: Collection[str] | None = None,
    labelled_dir: Path = LABELLED_DIR,
) -> CheckResult:
    """Build `text` (RuleFileError if it cannot be) and measure it against `current`, the
    text in use: recall and false alarms on the labelled sets, or the places per country."""
    new = validate(name, text, languages)
    try:
        old: Built | None = validate(name, current, languages)
    except ValueError:  # the version in use no longer builds: compare with nothing
        old = None
    if isinstance(new, Places):
        after = Counter(new.gazetteer.spellings.values())
        before = Counter(old.gazetteer.spellings.values()) if isinstance(old, Places) else Counter()
        codes = list(dict.fromkeys([*new.gazetteer.names, *before]))
        old_ambiguous = len(old.gazetteer.ambiguous) if isinstance(old, Places) else 0
        return CheckResult(
            name,
            places={code: (before[code], after[code]) for code in codes},
            ambiguous=(old_ambiguous, len(new.gazetteer.ambiguous)),
        )
    measures = []
    for label, positive, rows in _sets(name, labelled_dir):
        if not rows:
            return CheckResult(name, missing_sets=True)
        after_stats = evaluate(_detector_for(label, new), rows, positive)
        before_stats = evaluate(_detector_for(label, old), rows, positive) if old else {}
        measures.append(Measure(label, before_stats, after_stats))
    return CheckResult(name, measures=measures)


# --- saving, history, restoring -----------------------------------------------------------


class SaveConflict(Exception):
    """Somebody saved a newer version since the admin opened theirs; nothing was saved.
    `theirs` is that version (None when it was deleted and the file is in use again)."""

    def __init__(self, theirs: SafetyDocumentVersion | None, version: int) -> None:
        super().__init__(f"version {version} was saved in the meantime")
        self.theirs = theirs
        self.version = version


class WouldMiss(Exception):
    """The new version misses labelled messages the version in use catches; nothing saved."""

    def __init__(self, result: CheckResult) -> None:
        super().__init__(f"{len(result.newly_missed)} labelled messages would be missed")
        self.result = result


class NothingChanged(Exception):
    """The text is the one in use: no new version."""


def _same(a: str, b: str) -> bool:
    return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()


def save(
    session: Session,
    account: Account | None,
    name: str,
    text: str,
    base_version: int,
    now: dt.datetime,
    *,
    seed_path: Path,
    note: str | None = None,
    languages: Collection[str] | None = None,
    labelled_dir: Path = LABELLED_DIR,
    restored_from: int | None = None,
) -> SafetyDocumentVersion:
    """A new version in use from the next message on every gateway process, in the caller's
    transaction (with its audit line); the caller commits.

    Refused with SaveConflict when `base_version` (the version the editor started from) is
    no longer the one in use, RuleFileError when the text cannot be built, WouldMiss when it
    misses a labelled message the version in use catches, NothingChanged for the same text.
    """
    version, current = current_text(session, name, seed_path)
    if version != base_version:
        raise SaveConflict(version_of(session, name, version), version)
    text = text.replace("\r\n", "\n")
    if _same(text, current):
        raise NothingChanged
    result = check(name, text, current, languages, labelled_dir)
    if result.refused:
        raise WouldMiss(result)
    number = version + 1
    who = account.id if account is not None else None
    if version == 0:
        session.add(
            SafetyDocument(
                name=name, text=text, version=number, updated_by_id=who, updated_at=now, note=note
            )
        )
    else:
        changed = session.execute(
            update(SafetyDocument)
            .where(SafetyDocument.name == name, SafetyDocument.version == version)
            .values(text=text, version=number, updated_by_id=who, updated_at=now, note=note)
        )
        if changed.rowcount != 1:
            raise SaveConflict(None, version)
    saved = SafetyDocumentVersion(
        name=name,
        version=number,
        text=text,
        author_id=who,
        created_at=now,
        note=note,
        restored_from=restored_from,
    )
    session.add(saved)
    try:
        session.flush()
    except IntegrityError as error:  # another process saved the same next version first
        raise SaveConflict(None, version) from error
    action = "restore_safety" if restored_from is not None else "save_safety"
    detail = f"restored version {restored_from}" if restored_from is not None else note
    audit.record(session, account, action, f"safety {name} v{number}", detail, now=now)
    return saved


def restore(
    session: Session,
    account: Account | None,
    name: str,
    old_version: int,
    base_version: int,
    now: dt.datetime,
    *,
    seed_path: Path,
    languages: Collection[str] | None = None,
    labelled_dir: Path = LABELLED_DIR,
) -> SafetyDocumentVersion:
    """An old version (0: the file) saved again as the newest, with the same checks."""
    text = old_text(session, name, old_version, seed_path)
    if text is None:
        raise KeyError(old_version)
    return save(
        session,
        account,
        name,
        text,
        base_version,
        now,
        seed_path=seed_path,
        note=f"restored version {old_version}",
        languages=languages,
        labelled_dir=labelled_dir,
        restored_from=old_version,
    )


def version_of(session: Session, name: str, version: int) -> SafetyDocumentVersion | None:
    return session.scalar(
        select(SafetyDocumentVersion).where(
            SafetyDocumentVersion.name == name, SafetyDocumentVersion.version == version
        )
    )


def old_text(session: Session, name: str, version: int, seed_path: Path) -> str | None:
    """The text of one version; version 0 is the seed file."""
    if version == 0:
        return seed_path.read_text(encoding="utf-8")
    found = version_of(session, name, version)
    return found.text if found is not None else None


def history(session: Session, name: str) -> list[SafetyDocumentVersion]:
    """Every saved version of a document, newest first (the seed file, version 0, is not a
    row: the page lists it last)."""
    return list(
        session.scalars(
            select(SafetyDocumentVersion)
            .where(SafetyDocumentVersion.name == name)
            .order_by(SafetyDocumentVersion.version.desc())
        )
    )


@dataclass(frozen=True)
class DiffLine:
    kind: Literal["hunk", "equal", "added", "removed"]
    text: str


def diff(old: str, new: str, context: int = 3) -> list[DiffLine]:
    """The changed lines between two versions with a few lines around each change (a whole
    pattern file would bury a one-line change)."""
    kinds: dict[str, Literal["equal", "added", "removed"]] = {
        " ": "equal",
        "+": "added",
        "-": "removed",
    }
    lines = difflib.unified_diff(old.splitlines(), new.splitlines(), n=context, lineterm="")
    found = []
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("@@"):
            found.append(DiffLine("hunk", line))
        else:
            found.append(DiffLine(kinds.get(line[:1], "equal"), line[1:]))
    return found


# --- one process's rules ------------------------------------------------------------------


@dataclass(frozen=True)
class _Held:
    version: int
    built: Built


class SafetyRules:
    """The detectors and places one gateway process answers with, kept current from the store.

    Read `emergencies`, `children_alone`, `places` and `gazetteer` for every message; each
    read refreshes first when `every_seconds` have passed since the last look (the pipeline
    also calls `refresh` off the event loop at the start of a message, so the query rarely
    runs on it). A look is one query of three (name, version) rows; only a changed version is
    read and rebuilt. Nothing here ever stops the fast path: a store that cannot be read or a
    version that cannot be built leaves the last good rules in place, logged without any text.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        seeds: Mapping[str, Path],
        *,
        clock: Clock = system_clock,
        every_seconds: float = DEFAULT_REFRESH_SECONDS,
        languages: Collection[str] | None = None,
    ) -> None:
        self._sessions = sessions
        self._seeds = dict(seeds)
        self._clock = clock
        self._every = dt.timedelta(seconds=every_seconds)
        self._languages = languages
        self._lock = threading.Lock()
        self._skipped: dict[str, int] = {}  # name -> a version that failed to build
        self._held: dict[str, _Held] = {}
        for name in NAMES:  # the files first: the gateway starts even if the store cannot
            self._held[name] = _Held(0, self._build(name, self._seed_text(name)))
        self._checked_at: dt.datetime | None = None
        self.refresh()

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        sessions: sessionmaker[Session],
        clock: Clock,
        languages: LanguageTable,
    ) -> SafetyRules:
        return cls(
            sessions,
            seed_paths(settings),
            clock=clock,
            every_seconds=settings.safety_refresh_seconds,
            languages=known_languages(languages),
        )

    @property
    def emergencies(self) -> EmergencyDetector:
        return self._current(EMERGENCY_DOCUMENT)

    @property
    def children_alone(self) -> ChildAloneDetector:
        return self._current(MINOR_ALONE_DOCUMENT)

    @property
    def places(self) -> PlaceFinder:
        return self._places().finder

    @property
    def gazetteer(self) -> Gazetteer:
        return self._places().gazetteer

    @property
    def versions(self) -> dict[str, int]:
        return {name: held.version for name, held in self._held.items()}

    def _places(self) -> Places:
        return self._current(GAZETTEER_DOCUMENT)

    def _current(self, name: str) -> Built:
        self.refresh()
        return self._held[name].built

    def refresh(self) -> None:
        """Look at the store's versions if it is time, and rebuild what changed."""
        now = self._clock()
        if self._checked_at is not None and now - self._checked_at < self._every:
            return
        if not self._lock.acquire(blocking=False):
            return  # another thread is looking; this message uses the rules held now
        try:
            self._checked_at = now
            self._look()
        finally:
            self._lock.release()

    def _look(self) -> None:
        try:
            with self._sessions() as session:
                query = select(SafetyDocument.name, SafetyDocument.version)
                stored = dict(session.execute(query).all())
                fresh = {
                    name: self._read(session, name, stored.get(name, 0))
                    for name in NAMES
                    if self._is_new(name, stored.get(name, 0))
                }
        except SQLAlchemyError as error:
            log.warning(
                "safety rules: the store could not be read (%s); keeping versions %s",
                type(error).__name__,
                self.versions,
            )
            return
        for name, (version, text) in fresh.items():
            try:
                built = self._build(name, text)
            except (ValueError, KeyError) as error:
                self._skipped[name] = version
                log.error(
                    "safety rules: %s version %d cannot be used (%s); keeping version %d",
                    name,
                    version,
                    getattr(error, "problem", type(error).__name__),
                    self._held[name].version,
                )
                continue
            self._held[name] = _Held(version, built)
            self._skipped.pop(name, None)
            log.info("safety rules: %s now at version %d", name, version)

    def _is_new(self, name: str, version: int) -> bool:
        """A version to build: not the one held, nor one that already failed to build."""
        return version not in (self._held[name].version, self._skipped.get(name))

    def _read(self, session: Session, name: str, version: int) -> tuple[int, str]:
        """(version, text) of a document as the store has it now (0: the seed file)."""
        row = session.get(SafetyDocument, name) if version else None
        if row is None:
            return 0, self._seed_text(name)
        return row.version, row.text

    def _seed_text(self, name: str) -> str:
        return self._seeds[name].read_text(encoding="utf-8")

    def _build(self, name: str, text: str) -> Built:
        return validate(name, text, self._languages)
