"""The translation service: which pairs are installed, and a machine draft of a text.

Why our own pair logic on argos's parts: argostranslate chains any two packages through any
language and picks its splitter and tokenizer from global settings; a draft here must say
exactly which packages made it (engine, model, version are recorded with the draft), must
pivot through English only (the language every partner model pairs with), must report a pair
it cannot serve (`PairUnavailable`, so the item goes to the translators' queue) and must use
OPUS-MT's separate target SentencePiece model. So this module reads the installed packages
itself and runs each through argos's own `PackageTranslation` (CTranslate2 + SentencePiece +
the spaCy splitter), which is argos's real translate path.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from threading import Lock
from typing import Any

from bot.translation import argos, packaging
from bot.translation.protect import Glossary, default_glossary, translate_masked
from bot.translation.tokenizer import tokenizer_for

PIVOT = "en"


@dataclass(frozen=True)
class Pair:
    source: str
    target: str
    version: str
    package: str  # the installed package's directory name

    def __str__(self) -> str:
        return f"{self.source}→{self.target}"


@dataclass(frozen=True)
class Draft:
    """A machine draft and what made it, recorded with the draft for the reviewer."""

    text: str
    engine: str  # e.g. "argostranslate 1.12.1"
    model: str  # the package(s): "translate-fr_en-1_0 + translate-en_ht-1_0"
    version: str  # their package versions: "1.0 + 1.0"


class PairUnavailable(Exception):
    """No installed package, direct or through English, translates source into target."""

    def __init__(self, source: str, target: str, installed: list[Pair]) -> None:
        pairs = ", ".join(str(pair) for pair in installed) or "none"
        super().__init__(
            f"no machine translation from {source} to {target}: no {source}→{target} package "
            f"and no pivot through {PIVOT} (installed: {pairs}); a translator writes it"
        )
        self.source = source
        self.target = target


class Translator:
    """Drafts from the packages installed in `packages_dir` (var/translation/packages)."""

    def __init__(self, packages_dir: Path | None = None, glossary: Glossary | None = None):
        self.packages_dir = Path(packages_dir or argos.packages_dir())
        self.glossary = glossary if glossary is not None else default_glossary()
        self._lock = Lock()
        self._translations: dict[Path, Any] = {}

    def pairs(self) -> list[Pair]:
        pairs = []
        for path in packaging.installed_packages(self.packages_dir):
            metadata = packaging.read_metadata(path)
            if metadata.get("type", "translate") != "translate":
                continue
            pairs.append(
                Pair(
                    metadata["from_code"],
                    metadata["to_code"],
                    str(metadata.get("package_version", "")),
                    path.name,
                )
            )
        return sorted(pairs, key=lambda p: (p.source, p.target))

    def install(self, path: Path) -> Pair:
        installed = packaging.install(path, self.packages_dir)
        with self._lock:
            self._translations.clear()
        return next(p for p in self.pairs() if p.package == installed.path.name)

    def route(self, source: str, target: str) -> list[Pair]:
        """The packages a draft goes through: the direct pair, else source→en→target."""
        if source == target:
            raise ValueError(f"source and target are both {source}")
        by_pair = {(p.source, p.target): p for p in self.pairs()}
        if (source, target) in by_pair:
            return [by_pair[source, target]]
        if (source, PIVOT) in by_pair and (PIVOT, target) in by_pair:
            return [by_pair[source, PIVOT], by_pair[PIVOT, target]]
        raise PairUnavailable(source, target, list(by_pair.values()))

    def can_translate(self, source: str, target: str) -> bool:
        try:
            self.route(source, target)
        except PairUnavailable:
            return False
        return True

    def translate(
        self, text: str, source: str, target: str, glossary: Glossary | None = None
    ) -> Draft:
        """A draft of `text` in `target`; `PairUnavailable` or `SpanLost` instead of a bad one."""
        legs = self.route(source, target)
        translations = [self._translation(leg) for leg in legs]
        terms = self.glossary if glossary is None else self.glossary.merged(glossary)

        def through_legs(words: str) -> str:
            for translation in translations:
                words = translation.translate(words)
            return words

        with self._lock:  # one CTranslate2 call at a time: the machine has 2 cores
            translated = translate_masked(text, terms, target, through_legs)
        return Draft(
            text=translated,
            engine=f"argostranslate {argos.argos_version()}",
            model=" + ".join(leg.package for leg in legs),
            version=" + ".join(leg.version for leg in legs),
        )

    def _translation(self, pair: Pair) -> Any:
        path = self.packages_dir / pair.package
        with self._lock:
            if path not in self._translations:
                self._translations[path] = _load(path)
            return self._translations[path]


def _load(path: Path) -> Any:
    """argos's PackageTranslation for one installed package, with our splitter and tokenizer."""
    translate = argos.translate_module()
    package = argos.package_module().Package(path)
    # Our splitter even when the package also has stanza/ (argos would prefer it, then fail
    # in SPACY mode for want of the downloaded multilingual model).
    packaging.ensure_splitter(path)
    package.packaged_sbd_path = path / packaging.SPLITTER_DIR
    tokenizer = tokenizer_for(path)
    if tokenizer is not None:
        package.tokenizer = tokenizer
    return translate.PackageTranslation(
        translate.Language(package.from_code, package.from_name),
        translate.Language(package.to_code, package.to_name),
        package,
    )
