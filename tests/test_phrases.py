"""translations/: complete in every language, and edits show without a restart."""

from __future__ import annotations

import os
import shutil
import time

import pytest

from bot.config import REPO_ROOT
from bot.languages import load_languages
from bot.phrases import MissingPhrase, Phrasebook


def test_every_language_has_every_phrase(phrases, languages):
    for code in languages.codes:
        assert phrases.missing(code) == set(), code


def test_an_edited_catalog_is_read_again(tmp_path, languages):
    for name in ("languages.yml", "en.po", "ht.po"):
        shutil.copy(REPO_ROOT / "translations" / name, tmp_path / name)
    book = Phrasebook(tmp_path, load_languages(tmp_path))
    assert book.get("thanks", "ht").startswith("Pa gen pwoblèm")
    po = tmp_path / "ht.po"
    po.write_text(po.read_text().replace("Pa gen pwoblèm.", "Mwen kontan ede ou."))
    later = time.time() + 5
    os.utime(po, (later, later))
    assert book.get("thanks", "ht").startswith("Mwen kontan ede ou.")


def test_missing_language_falls_back_to_default(phrases):
    assert phrases.get("thanks", "es") == phrases.get("thanks", "en")


def test_a_key_nobody_has_is_a_bug(phrases):
    with pytest.raises(MissingPhrase):
        phrases.get("no_such_key", "en")
