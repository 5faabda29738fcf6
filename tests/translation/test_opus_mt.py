"""`translate package-opus-mt`: an OPUS-MT Marian directory becomes an installable package
whose target side is decoded with OPUS-MT's own target SentencePiece model."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
import sentencepiece as spm

from bot.cli import main
from bot.translation import Translator
from bot.translation.cli import infer_pair
from bot.translation.tokenizer import SOURCE_SPM, TARGET_SPM, SourceTargetTokenizer


@pytest.fixture(scope="module")
def en_ht(assets: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("opus") / "en_ht.argosmodel"
    assert main(["translate", "package-opus-mt", str(assets["opus_en_ht"]), str(out)]) == 0
    return out


def test_the_package_has_argos_shape_and_both_sentencepiece_models(
    en_ht: Path, assets: dict[str, Path]
) -> None:
    marian = assets["opus_en_ht"]
    with zipfile.ZipFile(en_ht) as archive:
        names = set(archive.namelist())
        top = "translate-en_ht-1_0"
        metadata = json.loads(archive.read(f"{top}/metadata.json"))
        assert archive.read(f"{top}/{SOURCE_SPM}") == (marian / "source.spm").read_bytes()
        assert archive.read(f"{top}/{TARGET_SPM}") == (marian / "target.spm").read_bytes()
    assert {f"{top}/model/model.bin", f"{top}/spacy/config.cfg"} <= names
    assert (metadata["from_code"], metadata["to_code"]) == ("en", "ht")
    assert (metadata["from_name"], metadata["to_name"]) == ("English", "Haitian Creole")
    assert metadata["package_version"] == "1.0"


def test_installed_opus_mt_model_drafts_kreyol(en_ht: Path, packages_dir: Path) -> None:
    translator = Translator(packages_dir)
    assert str(translator.install(en_ht)) == "en→ht"
    draft = translator.translate("Tell your family where you are.", "en", "ht")
    assert draft.text.strip()
    assert "⁇" not in draft.text
    assert (draft.model, draft.version) == ("translate-en_ht-1_0", "1.0")
    assert draft.engine.startswith("argostranslate ")


def test_target_pieces_are_decoded_with_the_target_model(assets: dict[str, Path]) -> None:
    marian = assets["opus_en_ht"]
    source = spm.SentencePieceProcessor(model_file=str(marian / "source.spm"))
    target = spm.SentencePieceProcessor(model_file=str(marian / "target.spm"))
    pieces = target.encode("Mwen pa gen paspò mwen kounye a.", out_type=str)
    tokenizer = SourceTargetTokenizer(marian / "source.spm", marian / "target.spm")
    assert tokenizer.decode(pieces) == "Mwen pa gen paspò mwen kounye a."
    assert tokenizer.encode("your passport") == source.encode("your passport", out_type=str)


def test_languages_come_from_the_readme_or_the_directory_name(tmp_path: Path) -> None:
    model = tmp_path / "model-2024"
    model.mkdir()
    (model / "README.md").write_text(
        "# opus-2020\n\n* source language(s): fr\n* target language(s): ht\n"
    )
    assert infer_pair(model) == ("fr", "ht")
    named = tmp_path / "opus-mt-en-ht"
    named.mkdir()
    assert infer_pair(named) == ("en", "ht")


def test_a_directory_that_is_no_opus_mt_model_is_refused(tmp_path: Path, capsys) -> None:
    empty = tmp_path / "opus-mt-en-ht"
    empty.mkdir()
    assert main(["translate", "package-opus-mt", str(empty), str(tmp_path / "x.argosmodel")]) == 1
    assert "no decoder.yml" in capsys.readouterr().err
    assert not (tmp_path / "x.argosmodel").exists()
