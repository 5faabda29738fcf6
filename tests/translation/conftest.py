"""Tiny real translation packages, built once per test session from the seed content.

They go through the real packaging, install and translate code; their weights are random, so
what they write is gibberish (scripts/translation/tiny_models.py says why and how)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.translation import Translator
from bot.translation.protect import Glossary
from scripts.translation import tiny_models


@pytest.fixture(scope="session")
def assets(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return tiny_models.build_all(tmp_path_factory.mktemp("translation-assets"))


@pytest.fixture
def packages_dir(tmp_path: Path) -> Path:
    return tmp_path / "packages"


@pytest.fixture
def translator(packages_dir: Path, assets: dict[str, Path]) -> Translator:
    translator = Translator(packages_dir, glossary=Glossary())
    translator.install(assets["en_fr"])
    return translator
