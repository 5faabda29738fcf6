"""`.argosmodel` files: installing them, and making them from OPUS-MT Marian models.

Why: argostranslate's index has no Haitian Creole model; OPUS-MT publishes Marian models for
en→ht and fr→ht, and CTranslate2 (which argostranslate runs on) converts them with numpy
alone. `package_opus_mt` makes an ordinary argos package of one (CTranslate2 model,
SentencePiece models, metadata.json, an offline sentence splitter), so a partner who
downloads such a model once drafts Kreyòl offline from then on (docs/translation.md).

An `.argosmodel` is a zip of one directory holding metadata.json, model/ (CTranslate2),
sentencepiece.model and a sentence splitter. `install` checks that shape before unpacking
(no path outside the packages directory) and gives every package a blank spaCy pipeline in
spacy/ when it lacks one: argos's default splitter downloads a model on first use.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from bot.translation.tokenizer import SOURCE_SPM, TARGET_SPM

SPLITTER_DIR = "spacy"
# Files of an OPUS-MT release worth keeping beside the model: its licence and provenance.
OPUS_MT_NOTES = ("README.md", "LICENSE", "LICENSE.txt")


class PackageError(Exception):
    """A file that is not an installable argos package, or a model that cannot be packaged."""


@dataclass(frozen=True)
class Installed:
    path: Path
    source: str
    target: str
    version: str


def language_name(code: str) -> str:
    """English name of a language code from CLDR (babel): a new language is data, not code."""
    from babel import Locale, UnknownLocaleError

    try:
        return Locale.parse(code).get_display_name("en") or code
    except (ValueError, UnknownLocaleError):
        return code


def package_name(source: str, target: str, version: str) -> str:
    return f"translate-{source}_{target}-{version.replace('.', '_')}"


def ensure_splitter(package_path: Path) -> bool:
    """Give a package the offline splitter (a blank multilingual spaCy pipeline, to which
    argos adds spaCy's rule-based sentencizer). Returns whether one was added."""
    splitter = package_path / SPLITTER_DIR
    if splitter.exists():
        return False
    import spacy

    spacy.blank("xx").to_disk(splitter)
    return True


def package_opus_mt(
    model_dir: Path,
    out: Path,
    source: str,
    target: str,
    version: str = "1.0",
    quantization: str | None = None,
) -> Path:
    """An `.argosmodel` at `out` from an OPUS-MT directory (decoder.yml, the .npz, the
    vocabulary, source.spm, target.spm), through CTranslate2's OPUS-MT converter."""
    from ctranslate2.converters.opus_mt import OpusMTConverter

    from bot.translation.argos import argos_version

    model_dir = Path(model_dir)
    for required in ("decoder.yml", "source.spm"):
        if not (model_dir / required).exists():
            raise PackageError(f"{model_dir} is not an OPUS-MT model directory: no {required}")
    name = package_name(source, target, version)
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / name
        root.mkdir()
        try:
            OpusMTConverter(str(model_dir)).convert(str(root / "model"), quantization=quantization)
        except Exception as error:  # the converter raises many kinds; say which model
            raise PackageError(f"CTranslate2 could not convert {model_dir}: {error}") from error
        shutil.copyfile(model_dir / "source.spm", root / SOURCE_SPM)
        target_spm = model_dir / "target.spm"
        if (
            target_spm.exists()
            and target_spm.read_bytes() != (model_dir / "source.spm").read_bytes()
        ):
            shutil.copyfile(target_spm, root / TARGET_SPM)
        ensure_splitter(root)
        for note in OPUS_MT_NOTES:
            if (model_dir / note).exists():
                shutil.copyfile(model_dir / note, root / note)
        metadata = {
            "package_version": version,
            "argos_version": argos_version(),
            "from_code": source,
            "from_name": language_name(source),
            "to_code": target,
            "to_name": language_name(target),
            "type": "translate",
            "source_model": f"OPUS-MT Marian ({model_dir.name})",
        }
        (root / "metadata.json").write_text(json.dumps(metadata, indent=2), encoding="utf-8")
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(root.rglob("*")):
                archive.write(path, path.relative_to(Path(work)).as_posix())
    return out


def _top_directory(archive: zipfile.ZipFile, path: Path) -> str:
    tops = set()
    for member in archive.namelist():
        parts = PurePosixPath(member).parts
        if not parts or member.startswith("/") or ".." in parts or "\\" in member:
            raise PackageError(f"{path}: unsafe path {member!r} in the archive")
        tops.add(parts[0])
    if len(tops) != 1:
        raise PackageError(f"{path}: an .argosmodel holds one directory, this holds {len(tops)}")
    top = tops.pop()
    names = set(archive.namelist())
    for required in ("metadata.json", "model/model.bin"):
        if f"{top}/{required}" not in names:
            raise PackageError(f"{path}: no {required} in the package")
    if f"{top}/{SOURCE_SPM}" not in names and f"{top}/bpe.model" not in names:
        raise PackageError(f"{path}: no tokenizer ({SOURCE_SPM} or bpe.model) in the package")
    return top


def read_metadata(package_path: Path) -> dict:
    return json.loads((package_path / "metadata.json").read_text(encoding="utf-8"))


def install(path: Path, packages_dir: Path) -> Installed:
    """Unpack an `.argosmodel` into `packages_dir` (replacing the same package's older copy),
    with the offline splitter."""
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise PackageError(f"{path} is not an .argosmodel (a zip archive)")
    packages_dir.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path) as archive:
        top = _top_directory(archive, path)
        metadata = json.loads(archive.read(f"{top}/metadata.json"))
        if metadata.get("type", "translate") != "translate" or not (
            metadata.get("from_code") and metadata.get("to_code")
        ):
            raise PackageError(f"{path}: metadata.json names no from_code and to_code")
        with tempfile.TemporaryDirectory(dir=packages_dir) as work:
            archive.extractall(work)
            destination = packages_dir / top
            _remove_same_pair(packages_dir, metadata["from_code"], metadata["to_code"])
            if destination.exists():
                shutil.rmtree(destination)
            shutil.move(str(Path(work) / top), destination)
    ensure_splitter(destination)
    return Installed(
        destination, metadata["from_code"], metadata["to_code"], metadata.get("package_version", "")
    )


def _remove_same_pair(packages_dir: Path, source: str, target: str) -> None:
    """One package per pair: installing a new version replaces the old one."""
    for existing in packages_dir.iterdir():
        if not (existing / "metadata.json").exists():
            continue
        metadata = read_metadata(existing)
        if (metadata.get("from_code"), metadata.get("to_code")) == (source, target):
            shutil.rmtree(existing)


def installed_packages(packages_dir: Path) -> list[Path]:
    if not packages_dir.exists():
        return []
    return sorted(p for p in packages_dir.iterdir() if (p / "metadata.json").exists())
