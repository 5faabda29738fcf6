"""A workspace to test over HTTP: its own store, a clock the test moves, accounts made fast.

`ws.client` is a TestClient on https://testserver (the session cookie is Secure), with the
seed content loaded; `ws.account("editor", org="Panama Aid")` makes an organisation (once) and
an account; `ws.sign_in(username)` returns a client signed in as that account, with its own
cookies, so one test can hold an editor and a reviewer side by side.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.languages import LanguageTable
from bot.store.db import get_engine, session_factory, session_scope, upgrade
from bot.store.models import Account
from bot.workspace.accounts import create_account, create_organisation, organisation_named
from bot.workspace.pages import PREFIX
from bot.workspace.web import create_workspace

PASSWORD = "a long test password"
CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class MovableClock:
    now: dt.datetime = field(default_factory=lambda: dt.datetime(2026, 12, 2, 9, tzinfo=dt.UTC))

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


def csrf_token(html: str) -> str:
    """The CSRF token of the first form on a page."""
    found = CSRF_FIELD.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


@dataclass
class WorkspaceUnderTest:
    app: FastAPI
    settings: Settings
    sessions: sessionmaker[Session]
    clock: MovableClock

    def client(self) -> TestClient:
        return TestClient(self.app, base_url="https://testserver")

    def account(self, role: str, org: str = "Panama Aid", username: str | None = None) -> str:
        with session_scope(self.settings.database_url) as session:
            organisation = organisation_named(session, org) or create_organisation(
                session, org, countries=["PA"], languages=["ht", "fr", "en"]
            )
            name = username or f"{role}-{org.lower().replace(' ', '-')}"
            create_account(session, organisation, name, role, PASSWORD)
        return name

    def sign_in(self, username: str, password: str = PASSWORD) -> TestClient:
        client = self.client()
        page = client.get(f"{PREFIX}/login")
        response = client.post(
            f"{PREFIX}/login",
            data={"username": username, "password": password, "csrf_token": csrf_token(page.text)},
            follow_redirects=False,
        )
        assert response.status_code == 303, response.text
        return client

    def post(self, client: TestClient, path: str, page: str, **data: str):  # noqa: ANN201
        """Post a form the way a browser does: with the token of the page it came from."""
        token = csrf_token(client.get(f"{PREFIX}{page}").text)
        return client.post(
            f"{PREFIX}{path}", data={**data, "csrf_token": token}, follow_redirects=False
        )

    def account_row(self, username: str) -> Account:
        with self.sessions() as session:
            account = session.query(Account).filter_by(username=username).one()
            session.expunge(account)
            return account


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory, languages: LanguageTable) -> Path:
    """A migrated store with the seed, made once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("seeded") / "seed.sqlite3"
    url = f"sqlite:///{path}"
    upgrade(url)
    with session_scope(url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    get_engine(url).dispose()  # every page written to the file before it is copied
    return path


@pytest.fixture
def ws(
    tmp_path: Path, languages: LanguageTable, seeded_store: Path
) -> Iterator[WorkspaceUnderTest]:
    copy = tmp_path / "workspace.sqlite3"
    shutil.copyfile(seeded_store, copy)
    # The phrases page writes translations/*.po: each test edits its own copy, never the repo's.
    translations = shutil.copytree(REPO_ROOT / "translations", tmp_path / "translations")
    settings = Settings(
        database_url=f"sqlite:///{copy}",
        translations_dir=translations,
        pseudonym_key="test-key-not-secret",
        # No machine translation unless a test installs a package here (not the checkout's).
        translation_packages_dir=tmp_path / "translation-packages",
    )
    clock = MovableClock()
    root = FastAPI()
    root.mount(PREFIX, create_workspace(settings, languages, clock))
    yield WorkspaceUnderTest(root, settings, session_factory(settings.database_url), clock)
