"""deploy/: the compose stack must name only settings the gateway reads, secrets the operator
is told to fill, and files that exist. Docker cannot run on this machine (no engine), so these
are the mistakes that would only show on a server: a renamed setting silently ignored, a
secret nobody set, a Rasa the gateway does not know, a COPY of a missing file."""

from __future__ import annotations

import json
import re
from pathlib import Path
from unittest.mock import patch

import yaml

from bot.cli import build_parser
from bot.config import REPO_ROOT, Settings
from bot.web import workers

DEPLOY = REPO_ROOT / "deploy"
COMPOSE = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
VARIABLE = re.compile(r"\$\{([A-Z_]+)(?::-[^}]*)?\}")


def _gateway_env() -> dict[str, str]:
    return COMPOSE["x-gateway-env"]


def test_every_gateway_variable_is_a_setting():
    settings = {name.upper() for name in Settings.model_fields}
    assert set(_gateway_env()) - settings == set()


def test_every_secret_the_files_use_is_in_the_example_env():
    example = {
        line.split("=", 1)[0]
        for line in (DEPLOY / "env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    used = set()
    for name in ("compose.yaml", "endpoints.yml"):
        used |= set(VARIABLE.findall((DEPLOY / name).read_text()))
    assert used - example == set()


def test_the_gateway_knows_every_rasa_instance_and_they_share_one_endpoints_file():
    services = COMPOSE["services"]
    rasas = sorted(name for name in services if name.startswith("rasa-"))
    assert len(rasas) >= 2
    urls = _gateway_env()["RASA_URL"].split(",")
    assert urls == [f"http://{name}:5005" for name in rasas]
    assert all(services[name]["build"]["dockerfile"] == "deploy/Dockerfile.rasa" for name in rasas)


def test_rasa_keeps_trackers_in_postgres_and_locks_in_redis():
    endpoints = yaml.safe_load((DEPLOY / "endpoints.yml").read_text())
    tracker, lock = endpoints["tracker_store"], endpoints["lock_store"]
    assert (tracker["type"], tracker["dialect"], tracker["url"]) == (
        "SQL",
        "postgresql",
        "postgres",
    )
    created = (DEPLOY / "initdb" / "10-tracker.sql").read_text()
    assert f"CREATE DATABASE {tracker['db']} " in created
    assert _gateway_env()["TRACKER_STORE_URL"].endswith(f"/{tracker['db']}")
    assert (lock["type"], lock["url"]) == ("redis", "redis")
    assert endpoints["nlg"]["url"] == "http://gateway:8000/nlg"


def test_the_one_off_step_is_a_real_command():
    command = COMPOSE["services"]["migrate"]["command"]
    assert command[:3] == ["python", "-m", "bot"]
    assert build_parser().parse_args(command[3:]).action == "seed"


def test_every_file_the_images_copy_exists():
    for dockerfile in DEPLOY.glob("Dockerfile.*"):
        for line in dockerfile.read_text().splitlines():
            if line.startswith("COPY "):
                for source in line.split()[1:-1]:
                    path = REPO_ROOT / source
                    if source.startswith("models/"):
                        continue  # made by `make model` before building, as the file says
                    assert path.exists(), f"{dockerfile.name}: {source}"
    assert Path(REPO_ROOT / "requirements-rasa.txt").exists()


def test_the_gateway_image_starts_the_workers_with_arguments_they_take():
    text = (DEPLOY / "Dockerfile.gateway").read_text()
    command = json.loads(text[text.index("CMD ") + 4 :].strip())
    assert command[:3] == ["python", "-m", "bot.web.workers"]
    with (
        patch.object(workers, "SocketPerWorker") as supervisor,
        patch.object(workers, "reuse_port_socket") as bind,
    ):
        workers.main(command[3:])
    assert bind.call_count == 3  # a socket for each of the three workers
    bind.assert_called_with("0.0.0.0", 8000)  # noqa: S104 - inside the container
    supervisor.return_value.run.assert_called_once()
