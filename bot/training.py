"""Train the Rasa model only when its inputs changed.

Rasa's own check still loads TensorFlow (tens of seconds); a hash of the inputs is instant,
so `make demo` and `make test` stay fast on the second run.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from pathlib import Path

from bot.config import REPO_ROOT

MODEL_INPUTS = ("config.yml", "domain.yml", "nlu_data", "rasa_addons")
MODEL_NAME = "assistant"
RASA_BIN = REPO_ROOT / ".venv-rasa" / "bin" / "rasa"


def rasa_env() -> dict[str, str]:
    """Environment for every Rasa process: no telemetry (no network here), quiet TensorFlow."""
    env = dict(os.environ)
    env.update(
        RASA_TELEMETRY_ENABLED="false",
        TF_CPP_MIN_LOG_LEVEL="2",
        SQLALCHEMY_SILENCE_UBER_WARNING="1",
        PYTHONWARNINGS="ignore",
    )
    return env


def fingerprint(root: Path = REPO_ROOT) -> str:
    digest = hashlib.sha256()
    for name in MODEL_INPUTS:
        path = root / name
        files = (
            sorted(p for p in path.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
            if path.is_dir()
            else [path]
        )
        for file in files:
            digest.update(str(file.relative_to(root)).encode() + b"\0")
            digest.update(file.read_bytes() + b"\0")
    return digest.hexdigest()


def model_path(root: Path = REPO_ROOT) -> Path:
    return root / "models" / f"{MODEL_NAME}.tar.gz"


def train_if_needed(root: Path = REPO_ROOT, force: bool = False) -> bool:
    """True if a model was trained; False if the current one already matches its inputs."""
    marker = root / "models" / "fingerprint.txt"
    current = fingerprint(root)
    up_to_date = (
        model_path(root).exists() and marker.exists() and marker.read_text().strip() == current
    )
    if up_to_date and not force:
        print(f"model up to date ({model_path(root).relative_to(root)}), not retraining")
        return False
    command = [
        str(RASA_BIN),
        "train",
        "--data",
        "nlu_data",
        "--config",
        "config.yml",
        "--domain",
        "domain.yml",
        "--out",
        "models",
        "--fixed-model-name",
        MODEL_NAME,
    ]
    print("training the Rasa model:", " ".join(command[1:]), flush=True)
    subprocess.run(command, cwd=root, env=rasa_env(), check=True)  # noqa: S603
    marker.write_text(current + "\n")
    return True
