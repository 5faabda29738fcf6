"""Installing .argosmodel files: the pairs listed with versions, bad files refused."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from bot.translation import Translator
from bot.translation.packaging import PackageError, install


def test_installed_pair_is_listed_with_its_version(translator: Translator) -> None:
    [pair] = translator.pairs()
    assert (pair.source, pair.target, pair.version) == ("en", "fr", "0.1")
    assert (translator.packages_dir / pair.package / "model" / "model.bin").exists()


def test_cli_install_then_list(assets: dict[str, Path], packages_dir: Path, capsys) -> None:
    args = ["translate", "--packages-dir", str(packages_dir)]
    assert main([*args, "list"]) == 0
    assert "no translation package installed" in capsys.readouterr().out
    assert main([*args, "install", str(assets["fr_en"])]) == 0
    assert "installed fr→en version 0.1" in capsys.readouterr().out
    assert main([*args, "list"]) == 0
    assert capsys.readouterr().out.split("\t")[:3] == ["fr", "en", "0.1"]


def _rezip(source: Path, out: Path, edit) -> Path:
    """A copy of a package with its files changed by `edit(name, data) -> (name, data)|None`."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(out, "w") as copy:
        for info in original.infolist():
            edited = edit(info.filename, original.read(info.filename))
            if edited is not None:
                copy.writestr(*edited)
    return out


def test_a_package_without_splitter_gets_the_offline_one(
    assets: dict[str, Path], packages_dir: Path, tmp_path: Path
) -> None:
    """Packages from argos's index carry a stanza/ folder and no spacy/; argos would pick
    stanza/ and, in SPACY mode, fail for want of a downloaded model."""
    bare = _rezip(
        assets["en_fr"],
        tmp_path / "bare.argosmodel",
        lambda name, data: (name.replace("/spacy/", "/stanza/"), data),
    )
    installed = install(bare, packages_dir)
    assert (installed.path / "stanza").exists()
    assert (installed.path / "spacy" / "config.cfg").exists()
    draft = Translator(packages_dir).translate("Keep copies of your documents.", "en", "fr")
    assert draft.text.strip()


def test_a_newer_version_replaces_the_older(
    assets: dict[str, Path], translator: Translator, tmp_path: Path
) -> None:
    def bump(name: str, data: bytes):
        name = name.replace("0_1", "0_2")
        if name.endswith("metadata.json"):
            data = json.dumps({**json.loads(data), "package_version": "0.2"}).encode()
        return name, data

    translator.install(_rezip(assets["en_fr"], tmp_path / "newer.argosmodel", bump))
    assert [(p.version, p.package) for p in translator.pairs()] == [("0.2", "translate-en_fr-0_2")]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda name, data: ("../" + name, data), "unsafe path"),
        (lambda name, data: None if name.endswith("metadata.json") else (name, data), "metadata"),
        (lambda name, data: None if name.endswith("model.bin") else (name, data), "model.bin"),
        (
            lambda name, data: None if name.endswith("sentencepiece.model") else (name, data),
            "tokenizer",
        ),
    ],
)
def test_broken_packages_are_refused(
    assets: dict[str, Path], packages_dir: Path, tmp_path: Path, edit, message: str
) -> None:
    broken = _rezip(assets["en_fr"], tmp_path / "broken.argosmodel", edit)
    with pytest.raises(PackageError, match=message):
        install(broken, packages_dir)
    assert not any(packages_dir.glob("*/metadata.json"))


def test_a_file_that_is_no_zip_is_refused(packages_dir: Path, tmp_path: Path, capsys) -> None:
    not_zip = tmp_path / "model.argosmodel"
    not_zip.write_text("hello")
    assert main(["translate", "--packages-dir", str(packages_dir), "install", str(not_zip)]) == 1
    assert "not an .argosmodel" in capsys.readouterr().err


def test_nothing_is_written_outside_the_checkout(assets: dict[str, Path], tmp_path: Path) -> None:
    """argostranslate would create ~/.local/share, ~/.config and a cache in the home directory
    and fetch a spaCy model at import; a CLI run with an empty HOME leaves it empty."""
    import os
    import subprocess
    import sys

    from bot.config import REPO_ROOT

    home = tmp_path / "home"
    home.mkdir()
    packages = tmp_path / "packages"
    shutil.copytree(assets["opus_en_ht"], tmp_path / "opus-mt-en-ht")
    environment = {**os.environ, "HOME": str(home), "TRANSLATION_PACKAGES_DIR": str(packages)}
    for key in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"):
        environment.pop(key, None)
    out = tmp_path / "en_ht.argosmodel"
    script = (
        "from bot.cli import main; import sys\n"
        f"assert main(['translate', 'package-opus-mt', {str(tmp_path / 'opus-mt-en-ht')!r}, "
        f"{str(out)!r}]) == 0\n"
        f"assert main(['translate', 'install', {str(out)!r}]) == 0\n"
        "from bot.translation import Translator\n"
        "print(Translator().translate('Tell your family where you are.', 'en', 'ht').model)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("translate-en_ht-1_0")
    assert list(home.iterdir()) == []
