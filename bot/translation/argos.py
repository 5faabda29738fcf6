"""Importing argostranslate safely: its data under var/, its splitter offline.

Why a module of its own: argostranslate reads its settings from the environment once, at
import, creates ~/.local/share, ~/.config and ~/.local/cache directories, and with
ARGOS_CHUNK_TYPE=SPACY tries to download spaCy's multilingual sentence model at import. Here
its directories are the checkout's var/translation/argos/ (the XDG variables are set only for
the import, so no other library sees them), the splitter is spaCy's rule-based sentencizer on
the blank pipeline every installed package carries in spacy/ (`packaging.ensure_splitter`),
and the download at import is replaced by "no cached model", so nothing is fetched, ever.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from types import ModuleType

from bot.config import REPO_ROOT

ARGOS_HOME = REPO_ROOT / "var" / "translation" / "argos"
DEFAULT_PACKAGES_DIR = REPO_ROOT / "var" / "translation" / "packages"


@contextmanager
def _environment(values: dict[str, str]):
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@cache
def translate_module() -> ModuleType:
    """`argostranslate.translate`, imported once with our settings."""
    values = {
        "XDG_DATA_HOME": str(ARGOS_HOME / "data"),
        "XDG_CONFIG_HOME": str(ARGOS_HOME / "config"),
        "XDG_CACHE_HOME": str(ARGOS_HOME / "cache"),
        "ARGOS_PACKAGES_DIR": str(ARGOS_HOME / "data" / "packages"),
        "ARGOS_CHUNK_TYPE": "SPACY",
        "ARGOS_DEBUG": "0",
    }
    with _environment(values):
        from argostranslate import networking

        download = networking.cache_spacy
        networking.cache_spacy = lambda: None  # never fetch xx_sent_ud_sm
        try:
            from argostranslate import translate
        finally:
            networking.cache_spacy = download
    return translate


def package_module() -> ModuleType:
    translate_module()
    from argostranslate import package

    return package


def argos_version() -> str:
    from importlib.metadata import version

    return version("argos-translate-lt")


def packages_dir() -> Path:
    """Where installed packages live: TRANSLATION_PACKAGES_DIR, else var/translation/packages."""
    return Path(os.environ.get("TRANSLATION_PACKAGES_DIR") or DEFAULT_PACKAGES_DIR)
