"""The real stack: Rasa server with the trained model, action server, gateway, on free ports."""

from __future__ import annotations

import html
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from bot.config import REPO_ROOT
from bot.content.io import import_directory
from bot.languages import load_languages
from bot.stack import Ports, Stack
from bot.store.db import session_scope, upgrade
from bot.training import model_path
from tests.whatsapp_helpers import AUTH_TOKEN

_TAG = re.compile(r"<[^>]+>")
INTEGRATION_KEY = "integration-test-key"
TWILIO_TEST_TOKEN = AUTH_TOKEN


def plain(fragment: str) -> str:
    """What a person reads: tags gone, entities decoded, spaces folded."""
    return " ".join(html.unescape(_TAG.sub(" ", fragment)).split())


def demo_env(ports: Ports, tmp_path: Path) -> dict[str, str]:
    """The environment for `python -m bot demo` on `ports`, with its own store and run
    directory under `tmp_path` (not var/demo, which another demo may be using). Tests add
    what their demo needs (e.g. fake Twilio and Telegram servers)."""
    env = dict(os.environ)
    env.update(
        PORT=str(ports.gateway),
        RASA_URL=ports.url(ports.rasa),
        ACTION_SERVER_URL=ports.url(ports.actions),
        DATABASE_URL=f"sqlite:///{tmp_path / 'demo.sqlite3'}",
        DEMO_RUN_DIR=str(tmp_path / "run"),
        PSEUDONYM_KEY=INTEGRATION_KEY,
    )
    return env


def start_demo(env: dict[str, str]) -> subprocess.Popen[str]:
    """`python -m bot demo` from the repository, its output (stdout and stderr) in one pipe."""
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "demo"],
        cwd=REPO_ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@dataclass
class RunningStack:
    stack: Stack
    database_url: str

    @property
    def gateway(self) -> str:
        return self.stack.ports.url(self.stack.ports.gateway)


@contextmanager
def running_stack(run_dir: Path, env: dict[str, str] | None = None) -> Iterator[RunningStack]:
    """Every process, on free ports, with a fresh store holding the seed content.

    Twilio webhooks are verified with the tests' token (TwiML mode: no outside server needed);
    `env` adds settings, e.g. a fake Telegram Bot API's address."""
    if not model_path().exists():
        pytest.fail("no trained model in models/: `make test` trains it first")
    database_url = f"sqlite:///{run_dir / 'store.sqlite3'}"
    upgrade(database_url)
    with session_scope(database_url) as session:
        import_directory(session, REPO_ROOT / "content", load_languages(REPO_ROOT / "translations"))
    stack = Stack(
        ports=Ports.free(),
        run_dir=run_dir,
        env={
            "DATABASE_URL": database_url,
            "PSEUDONYM_KEY": INTEGRATION_KEY,
            "TWILIO_AUTH_TOKEN": TWILIO_TEST_TOKEN,
            **(env or {}),
        },
    )
    stack.start()
    try:
        stack.wait_ready()
        yield RunningStack(stack, database_url)
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def running(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    with running_stack(tmp_path_factory.mktemp("stack")) as stack:
        yield stack


class Person:
    """One person in the web chat: their own cookie, so their own conversation."""

    def __init__(self, gateway: str) -> None:
        self.http = httpx.Client(base_url=gateway, timeout=60)
        self.language: str | None = None

    def says(self, text: str) -> list[dict]:
        response = self.http.post("/chat/messages", json={"text": text})
        response.raise_for_status()
        body = response.json()
        self.language = body["language"]
        return body["messages"]


@pytest.fixture
def person(running: RunningStack) -> Iterator[Person]:
    someone = Person(running.gateway)
    yield someone
    someone.http.close()
