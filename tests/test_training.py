"""The model is retrained only when its inputs change."""

from __future__ import annotations

import shutil

from bot.config import REPO_ROOT
from bot.training import fingerprint


def test_fingerprint_follows_the_model_inputs_only(tmp_path):
    for name in ("config.yml", "domain.yml"):
        shutil.copy(REPO_ROOT / name, tmp_path / name)
    for name in ("nlu_data", "rasa_addons"):
        shutil.copytree(REPO_ROOT / name, tmp_path / name)
    before = fingerprint(tmp_path)
    (tmp_path / "README.md").write_text("not a model input")
    assert fingerprint(tmp_path) == before
    rules = tmp_path / "nlu_data" / "rules.yml"
    rules.write_text(rules.read_text() + "\n")
    assert fingerprint(tmp_path) != before
