"""The safety documents (bot/safety/documents.py): admins' versions of the emergency patterns,
the child-alone patterns and the gazetteer are checked with the gateway's own loaders, saved
with optimistic locking, and picked up by every process's SafetyRules within seconds."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.config import REPO_ROOT, Settings
from bot.places import load_gazetteer
from bot.rulefile import RuleFileError
from bot.safety import documents
from bot.safety.detector import build_detector, detector_from_text
from bot.safety.documents import (
    EMERGENCY_DOCUMENT,
    GAZETTEER_DOCUMENT,
    MINOR_ALONE_DOCUMENT,
    NothingChanged,
    SafetyRules,
    SaveConflict,
    WouldMiss,
)
from bot.store.db import session_scope
from bot.store.models import AuditEntry, SafetyDocument

SEEDS = documents.seed_paths(Settings())
EMERGENCY_TEXT = SEEDS[EMERGENCY_DOCUMENT].read_text(encoding="utf-8")
GAZETTEER_TEXT = SEEDS[GAZETTEER_DOCUMENT].read_text(encoding="utf-8")
# "We are trapped under the rubble": no pattern of the seed catches it (checked below).
TRAPPED = "nou pri anba dekonb yo"
NEW_PATTERN = "    - '\\bpri anba (dekonb|debri|beton)\\b'\n"


@dataclass
class Clock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += dt.timedelta(seconds=seconds)


def with_trapped_pattern(text: str = EMERGENCY_TEXT) -> str:
    """The emergency patterns with one Kreyòl pattern more, first in the Kreyòl list."""
    return text.replace("patterns:\n  ht:\n", "patterns:\n  ht:\n" + NEW_PATTERN, 1)


def without_hostage_pattern() -> str:
    """The emergency patterns without the English one for kidnapping and hostages."""
    text = EMERGENCY_TEXT.replace("    - '\\b(kidnap\\w*|abduct\\w*|hostage\\w*)\\b'\n", "", 1)
    assert text != EMERGENCY_TEXT, "the test's pattern is no longer in the file"
    return text


def line_number(text: str, fragment: str) -> int:
    """The first line outside the comments that holds `fragment`."""
    lines = enumerate(text.splitlines(), 1)
    return next(n for n, line in lines if fragment in line and not line.lstrip().startswith("#"))


def save(session: Session, text: str, base: int, name: str = EMERGENCY_DOCUMENT, **kw):
    return documents.save(session, None, name, text, base, Clock()(), seed_path=SEEDS[name], **kw)


# --- the files and the texts are read by the same code ------------------------------------------


def test_the_file_loaders_build_what_the_text_builders_build():
    path = SEEDS[EMERGENCY_DOCUMENT]
    assert len(build_detector(path)) == len(detector_from_text(EMERGENCY_TEXT)) > 300
    built = documents.validate(GAZETTEER_DOCUMENT, GAZETTEER_TEXT)
    assert built.gazetteer == load_gazetteer(SEEDS[GAZETTEER_DOCUMENT])
    assert documents.validate(MINOR_ALONE_DOCUMENT, SEEDS[MINOR_ALONE_DOCUMENT].read_text())


def test_a_broken_file_fails_at_load_naming_the_file_and_the_line(tmp_path: Path):
    broken = tmp_path / "emergency.yml"
    broken.write_text("patterns:\n  ht:\n    - '(sekou'\n", encoding="utf-8")
    with pytest.raises(RuleFileError) as error:
        build_detector(broken)
    assert str(error.value).startswith("emergency.yml: Line 3:")


# --- validation: every mistake says what and where ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("patterns:\n  ht:\n    - 'sekou'\n   - 'anmwe'\n", 4, "not valid YAML"),
        ("patterns:\n  ht:\n    - 'sekou'\n    - '(anmwe'\n", 4, "not a valid regular expression"),
        ("patterns:\n  ht: []\n  fr:\n    - 'au secours'\n", 2, "is empty"),
        ("patterns:\n  ht:\n    - 'sekou'\n  kr:\n    - 'anmwe'\n", 4, "“kr” is not a language"),
        ("patterns:\n  ht:\n    - 'Sekou'\n", 3, "lower case without accents"),
        ("patterns:\n  ht:\n    - 'sekou'\n    -\n", 4, "empty"),
        ("medical:\n  ht:\n    - 'senyen'\n", 1, "“patterns” has no patterns"),
    ],
    ids=["yaml", "regex", "empty-list", "language", "upper-case", "empty-item", "no-patterns"],
)
def test_an_emergency_text_that_cannot_be_used_is_refused_with_its_line(text, line, words):
    with pytest.raises(RuleFileError) as error:
        documents.validate(EMERGENCY_DOCUMENT, text)
    assert error.value.line == line
    assert words in error.value.describe()
    assert error.value.describe().startswith(f"Line {line}:")


def test_a_bad_regex_deep_in_the_real_file_names_its_real_line():
    text = EMERGENCY_TEXT.replace("- '\\bsos\\b'", "- '\\bsos(\\b'", 1)
    with pytest.raises(RuleFileError) as error:
        documents.validate(EMERGENCY_DOCUMENT, text)
    assert error.value.line == line_number(text, "sos(")
    assert "'\\\\bsos(\\\\b'" in error.value.describe()


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (("  PA:\n", "  Panama:\n"), "“Panama” is not a country code"),
        (("  PA:\n", "  XX:\n"), "“XX” is not a country code"),
        (("spellings: [panama,", "spellings: [kolonbi, panama,"), "listed under CO and PA"),
        (("corinto: [NI, HN]", "corinto: [NI, ZW]"), "needs two or more of the countries"),
        (("corinto: [NI, HN]", "corinto: [NI]"), "needs two or more of the countries"),
        (("{en: Panama, fr: Panama,", "{en: Panama, xx: Panama,"), "“xx” is not a language"),
    ],
    ids=[
        "name-for-code",
        "unknown-code",
        "two-countries",
        "unknown-country",
        "one-country",
        "language",
    ],
)
def test_a_gazetteer_that_cannot_be_used_is_refused_with_its_line(change, words):
    text = GAZETTEER_TEXT.replace(*change, 1)
    assert text != GAZETTEER_TEXT
    with pytest.raises(RuleFileError) as error:
        documents.validate(GAZETTEER_DOCUMENT, text)
    assert words in error.value.describe()
    assert error.value.line == line_number(text, change[1].strip())


def test_a_country_without_names_is_refused():
    text = "countries:\n  PA:\n    spellings: [panama]\n"
    with pytest.raises(RuleFileError, match="has no “names”"):
        documents.validate(GAZETTEER_DOCUMENT, text)


def test_the_child_alone_kinds_each_need_patterns():
    text = SEEDS[MINOR_ALONE_DOCUMENT].read_text().replace("explicit:", "unused:")
    with pytest.raises(RuleFileError, match="“explicit” has no patterns"):
        documents.validate(MINOR_ALONE_DOCUMENT, text)


# --- the labelled emergencies hold the line -----------------------------------------------------


def test_a_pattern_set_that_misses_a_labelled_emergency_is_refused_naming_the_message():
    text = without_hostage_pattern()
    result = documents.check(EMERGENCY_DOCUMENT, text, EMERGENCY_TEXT)
    assert result.refused
    assert ("en", "we are being held hostage") in result.newly_missed
    emergencies = result.measures[0]
    assert emergencies.caught("after")[0] < emergencies.caught("before")[0]


def test_a_pattern_set_that_only_adds_is_accepted_with_its_figures():
    result = documents.check(EMERGENCY_DOCUMENT, with_trapped_pattern(), EMERGENCY_TEXT)
    assert not result.refused
    labels = [m.label for m in result.measures]
    assert labels == ["emergencies", "medical"]
    caught, total = result.measures[0].caught("after")
    assert caught == result.measures[0].caught("before")[0] and total > 200
    assert {"en", "fr", "ht", "es"} <= set(result.measures[0].languages)


def test_the_child_alone_set_holds_the_child_alone_patterns():
    text = SEEDS[MINOR_ALONE_DOCUMENT].read_text()
    narrowed = text.replace("    - '\\balone\\b'\n", "", 1)
    assert narrowed != text
    result = documents.check(MINOR_ALONE_DOCUMENT, narrowed, text)
    assert result.refused
    assert ("en", "im 15 i came alone from venezuela") in result.newly_missed


def test_without_the_labelled_sets_nothing_can_be_saved(tmp_path: Path):
    result = documents.check(
        EMERGENCY_DOCUMENT, with_trapped_pattern(), EMERGENCY_TEXT, labelled_dir=tmp_path
    )
    assert result.missing_sets and result.refused


def test_the_gazetteer_check_counts_the_places_of_each_country():
    text = GAZETTEER_TEXT.replace("places: [managua,", "places: [el guasaulito, managua,", 1)
    result = documents.check(GAZETTEER_DOCUMENT, text, GAZETTEER_TEXT)
    before, after = result.places["NI"]
    assert after == before + 1
    assert result.places["PA"][0] == result.places["PA"][1]
    assert result.ambiguous[0] == result.ambiguous[1] > 10
    assert not result.refused


# --- saving, locking, history, restoring --------------------------------------------------------


def test_the_seed_file_is_version_0_until_a_version_is_saved(session: Session):
    assert documents.current_text(session, EMERGENCY_DOCUMENT, SEEDS[EMERGENCY_DOCUMENT]) == (
        0,
        EMERGENCY_TEXT,
    )
    saved = save(session, with_trapped_pattern(), 0, note="trapped under rubble")
    assert saved.version == 1
    version, text = documents.current_text(session, EMERGENCY_DOCUMENT, SEEDS[EMERGENCY_DOCUMENT])
    assert (version, text) == (1, with_trapped_pattern())
    audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "save_safety")).one()
    assert audit.target == "safety emergency v1" and audit.detail == "trapped under rubble"


def test_a_save_from_a_stale_version_is_refused_and_nothing_changes(session: Session):
    save(session, with_trapped_pattern(), 0)
    other = with_trapped_pattern().replace("dekonb|debri|beton", "dekonb|debri")
    with pytest.raises(SaveConflict) as conflict:
        save(session, other, 0)
    assert conflict.value.version == 1
    assert conflict.value.theirs is not None and conflict.value.theirs.version == 1
    assert session.get(SafetyDocument, EMERGENCY_DOCUMENT).text == with_trapped_pattern()


def test_refused_texts_are_not_saved(session: Session):
    with pytest.raises(RuleFileError):
        save(session, "patterns:\n  ht: [\n", 0)
    with pytest.raises(WouldMiss):
        save(session, without_hostage_pattern(), 0)
    with pytest.raises(NothingChanged):
        save(session, EMERGENCY_TEXT, 0)
    assert session.get(SafetyDocument, EMERGENCY_DOCUMENT) is None


def test_every_version_is_kept_and_an_old_one_is_restored_as_a_new_one(session: Session):
    save(session, with_trapped_pattern(), 0)
    two = with_trapped_pattern().replace("dekonb|debri|beton", "dekonb|debri|beton|wòch")
    two = two.replace("wòch", "woch")
    save(session, two, 1)
    restored = documents.restore(
        session, None, EMERGENCY_DOCUMENT, 1, 2, Clock()(), seed_path=SEEDS[EMERGENCY_DOCUMENT]
    )
    assert restored.version == 3 and restored.restored_from == 1
    assert restored.text == with_trapped_pattern()
    assert [v.version for v in documents.history(session, EMERGENCY_DOCUMENT)] == [3, 2, 1]
    changes = documents.diff(with_trapped_pattern(), two)
    assert [line.kind for line in changes if line.kind in ("added", "removed")] == [
        "removed",
        "added",
    ]
    assert any("woch" in line.text for line in changes if line.kind == "added")


# --- the refresher: what one gateway process answers with ---------------------------------------


def rules_for(sessions: sessionmaker[Session], clock: Clock) -> SafetyRules:
    return SafetyRules(sessions, SEEDS, clock=clock, every_seconds=5)


def test_a_saved_pattern_is_used_after_the_refresh_interval(sessions: sessionmaker[Session]):
    clock = Clock()
    rules = rules_for(sessions, clock)
    assert rules.emergencies.match(TRAPPED) is None
    with sessions() as session:
        save(session, with_trapped_pattern(), 0)
        session.commit()
    clock.advance(2)
    assert rules.emergencies.match(TRAPPED) is None  # within the interval: no query yet
    clock.advance(4)
    found = rules.emergencies.match(TRAPPED)
    assert found is not None and found.language == "ht"
    assert rules.versions[EMERGENCY_DOCUMENT] == 1


def test_a_saved_place_is_found_after_the_refresh_interval(sessions: sessionmaker[Session]):
    clock = Clock()
    rules = rules_for(sessions, clock)
    assert rules.places.countries("m nan el guasaulito") == []
    text = GAZETTEER_TEXT.replace("places: [managua,", "places: [el guasaulito, managua,", 1)
    with sessions() as session:
        save(session, text, 0, name=GAZETTEER_DOCUMENT)
        session.commit()
    clock.advance(6)
    assert rules.places.countries("m nan el guasaulito") == ["NI"]
    assert rules.gazetteer.spellings["el guasaulito"] == "NI"


def test_a_broken_row_keeps_the_last_good_rules_and_logs_no_text(
    sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
):
    clock = Clock()
    rules = rules_for(sessions, clock)
    with sessions() as session:
        save(session, with_trapped_pattern(), 0)
        session.commit()
    clock.advance(6)
    assert rules.emergencies.match(TRAPPED)
    with sessions() as session:  # written by hand, past every check
        row = session.get(SafetyDocument, EMERGENCY_DOCUMENT)
        row.text, row.version = "patterns:\n  ht:\n    - '(sekou'\n", 2
        session.commit()
    clock.advance(6)
    with caplog.at_level(logging.ERROR, logger="bot.safety.documents"):
        found = rules.emergencies.match(TRAPPED)
    assert found is not None  # the fast path still answers, with version 1
    assert rules.versions[EMERGENCY_DOCUMENT] == 1
    assert "emergency version 2 cannot be used" in caplog.text
    assert "sekou" not in caplog.text and TRAPPED not in caplog.text
    caplog.clear()
    clock.advance(6)
    rules.refresh()
    assert caplog.text == ""  # the same broken version is not rebuilt (nor logged) again


def test_a_store_that_cannot_be_read_keeps_the_rules(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'not-migrated.sqlite3'}"  # no safety_documents table
    with session_scope(url):
        pass
    from bot.store.db import session_factory

    clock = Clock()
    rules = SafetyRules(session_factory(url), SEEDS, clock=clock)
    clock.advance(10)
    assert rules.emergencies.match("anmwe, sekou")
    assert rules.versions == dict.fromkeys(documents.NAMES, 0)


def test_the_gateway_answers_a_saved_pattern_as_an_emergency_without_a_restart(
    settings: Settings, phrases, languages
):
    """The behaviour that matters: an admin saves a Kreyòl phrase; the very gateway that was
    running answers it from the next message with the emergency card, Rasa or not."""
    from fastapi.testclient import TestClient

    from bot.content.io import import_directory
    from bot.stack import free_port
    from bot.store.db import upgrade
    from bot.web.app import create_app

    settings.rasa_url = f"http://127.0.0.1:{free_port()}"
    settings.action_server_url = f"http://127.0.0.1:{free_port()}"
    settings.safety_refresh_seconds = 0  # every message looks at the store
    upgrade(settings.database_url)
    with session_scope(settings.database_url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    which_country = phrases.get("which_country", "ht")
    with TestClient(create_app(settings)) as client:
        before = client.post("/chat/messages", json={"text": TRAPPED})
        assert which_country not in str(before.json())
        with session_scope(settings.database_url) as session:
            save(session, with_trapped_pattern(), 0)
        client.cookies.clear()  # somebody else, writing for the first time
        after = client.post("/chat/messages", json={"text": TRAPPED})
        assert which_country in str(after.json())
