"""translations/*.po kept with Babel: template, merge, outdated marks, checks, compile."""

from __future__ import annotations

import gettext
import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from bot import phrase_catalogs as pc
from bot.config import REPO_ROOT
from bot.languages import load_languages
from bot.phrases import Phrasebook

REPO_TRANSLATIONS = REPO_ROOT / "translations"
CODES = ["en", "fr", "ht"]


@pytest.fixture
def catalogs(tmp_path: Path) -> Path:
    """A copy of the repository's catalogs, to change freely."""
    for name in ("languages.yml", "en.po", "fr.po", "ht.po", pc.TEMPLATE_NAME):
        shutil.copy(REPO_TRANSLATIONS / name, tmp_path / name)
    return tmp_path


def _set_english(directory: Path, key: str, text: str) -> None:
    """What a developer does in a text editor: change one English phrase in en.po."""
    catalog = pc.read_catalog(directory, "en")
    catalog[key].string = text
    pc._write_catalog(pc.catalog_path(directory, "en"), catalog)


def _add_english(directory: Path, key: str, text: str) -> None:
    catalog = pc.read_catalog(directory, "en")
    catalog.add(key, text)
    pc._write_catalog(pc.catalog_path(directory, "en"), catalog)


def test_the_repository_catalogs_pass_every_check():
    assert pc.check(REPO_TRANSLATIONS, CODES, "en") == []


def test_the_repository_template_and_catalogs_are_up_to_date(catalogs):
    """`make phrases` on a clean checkout changes nothing: the template is current, no
    language has a phrase to translate, and no translation is outdated."""
    before = {p.name: p.read_bytes() for p in catalogs.iterdir()}
    reports = pc.update(catalogs, CODES, "en")
    assert all(not (r.added or r.outdated or r.obsolete) for r in reports), reports
    assert {p.name: p.read_bytes() for p in catalogs.iterdir()} == before
    states = {state for row in pc.rows(catalogs, CODES, "en") for state in row.states.values()}
    assert states == {pc.PhraseState.CURRENT}


def test_the_template_shows_the_translator_the_english(catalogs):
    with (catalogs / pc.TEMPLATE_NAME).open("rb") as file:
        template = read_po(file)
    greet = template.get("greet")
    assert greet is not None and greet.string == ""
    english = pc.read_catalog(catalogs, "en")["greet"].string
    assert english.split()[0] in " ".join(greet.auto_comments)


def test_a_new_english_phrase_arrives_empty_in_every_language(catalogs):
    _add_english(catalogs, "new_phrase", "Your place in the queue is {position}.")
    reports = {r.language: r for r in pc.update(catalogs, CODES, "en")}
    assert reports["fr"].added == ["new_phrase"] and reports["ht"].added == ["new_phrase"]
    problems = {(p.language, p.key) for p in pc.check(catalogs, CODES, "en")}
    assert problems == {("fr", "new_phrase"), ("ht", "new_phrase")}
    book = Phrasebook(catalogs, load_languages(catalogs))
    assert book.missing("ht") == {"new_phrase"}


def test_changed_english_marks_the_translations_outdated_until_confirmed(catalogs):
    old_french = pc.read_catalog(catalogs, "fr")["thanks"].string
    _set_english(catalogs, "thanks", "You are welcome. Anything else?")
    reports = {r.language: r for r in pc.update(catalogs, CODES, "en")}
    assert reports["fr"].outdated == ["thanks"] and reports["ht"].outdated == ["thanks"]
    row = next(r for r in pc.rows(catalogs, CODES, "en") if r.key == "thanks")
    assert row.states == {
        "en": pc.PhraseState.CURRENT,
        "fr": pc.PhraseState.OUTDATED,
        "ht": pc.PhraseState.OUTDATED,
    }
    # Still sent while outdated: the old French is better than English for a French reader.
    assert Phrasebook(catalogs, load_languages(catalogs)).get("thanks", "fr") == old_french
    # A second update does not flag it again, and it stays outdated until a person saves it.
    assert all(not r.outdated for r in pc.update(catalogs, CODES, "en"))
    pc.save_phrase(catalogs, "fr", "thanks", "Avec plaisir. Autre chose ?", languages=CODES,
                   source_language="en")  # fmt: skip
    assert all(not r.outdated for r in pc.update(catalogs, CODES, "en"))
    row = next(r for r in pc.rows(catalogs, CODES, "en") if r.key == "thanks")
    assert row.states["fr"] is pc.PhraseState.CURRENT
    assert row.states["ht"] is pc.PhraseState.OUTDATED


def test_saving_english_in_the_workspace_flags_the_others(catalogs):
    pc.save_phrase(catalogs, "en", "goodbye", "Take care.", languages=CODES, source_language="en")
    row = next(r for r in pc.rows(catalogs, CODES, "en") if r.key == "goodbye")
    assert row.texts["en"] == "Take care."
    assert row.states["fr"] is pc.PhraseState.OUTDATED


def test_a_removed_phrase_becomes_obsolete_and_is_no_longer_read(catalogs):
    catalog = pc.read_catalog(catalogs, "en")
    del catalog["thanks"]
    pc._write_catalog(pc.catalog_path(catalogs, "en"), catalog)
    reports = {r.language: r for r in pc.update(catalogs, CODES, "en")}
    assert reports["ht"].obsolete == ["thanks"]
    book = Phrasebook(catalogs, load_languages(catalogs))
    assert not book.has("thanks")
    assert "thanks" not in book._catalog("ht")


def test_a_translation_that_loses_a_placeholder_is_refused_and_reported(catalogs):
    key = next(
        r.key for r in pc.rows(catalogs, CODES, "en") if pc.placeholders(r.source)
    )  # e.g. handoff_already_open with {organisation}
    with pytest.raises(pc.PhraseRefused):
        pc.save_phrase(catalogs, "ht", key, "Yon moun ap reponn ou.", languages=CODES,
                       source_language="en")  # fmt: skip
    catalog = pc.read_catalog(catalogs, "ht")
    catalog[key].string = "Yon moun ap reponn ou."  # a text editor lets anyone do it
    pc._write_catalog(pc.catalog_path(catalogs, "ht"), catalog)
    problems = pc.check(catalogs, CODES, "en")
    assert [(p.language, p.key) for p in problems] == [("ht", key)]
    assert "placeholders" in problems[0].what


def test_an_empty_phrase_is_refused(catalogs):
    with pytest.raises(pc.PhraseRefused):
        pc.save_phrase(catalogs, "ht", "thanks", "  ", languages=CODES, source_language="en")


def test_compiled_catalogs_are_read_by_gettext(catalogs, tmp_path):
    out = tmp_path / "mo"
    assert pc.compile_catalogs(catalogs, CODES, "en", out) == []
    kreyol = gettext.translation("phrases", localedir=out, languages=["ht"])
    assert kreyol.gettext("thanks") == pc.read_catalog(catalogs, "ht")["thanks"].string


def test_the_command_exits_non_zero_when_a_phrase_is_missing(catalogs, monkeypatch, capsys):
    from bot import cli
    from bot.config import get_settings

    _add_english(catalogs, "new_phrase", "Hello again.")
    pc.update(catalogs, CODES, "en")
    monkeypatch.setenv("TRANSLATIONS_DIR", str(catalogs))
    get_settings.cache_clear()
    try:
        assert cli.main(["phrases", "check"]) == 1
    finally:
        get_settings.cache_clear()
    assert "ht.po new_phrase: missing" in capsys.readouterr().err
