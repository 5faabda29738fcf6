"""One gateway for the whole fuzz folder: every channel configured, a fake Rasa and a fake
Telegram Bot API recording what reaches them, the seed content, an admin account.

Module-scoped fixtures would be rebuilt per file; Hypothesis runs many examples per test and
refuses function-scoped fixtures, so the gateway is built once per session and each example
compares what the fakes recorded before and after its own request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.stack import free_port
from bot.store.db import session_scope, upgrade
from bot.workspace.accounts import create_account, create_organisation
from tests.fakes.rasa import FakeRasa
from tests.fakes.server import serve
from tests.fakes.telegram_api import TOKEN, FakeTelegram, fake_telegram
from tests.whatsapp_helpers import AUTH_TOKEN
from tests.workspace.conftest import csrf_token

PUBLIC = "https://gateway.example.org"  # what Twilio signs and Telegram calls
TELEGRAM_SECRET = "fuzz-telegram-secret"
NLG_TOKEN = "fuzz-nlg-token"
ADMIN = "fuzz-admin"
ADMIN_PASSWORD = "a long fuzzing password"


@dataclass
class Gateway:
    """The gateway under fuzzing and the fakes behind it."""

    client: TestClient
    settings: Settings
    rasa: FakeRasa
    telegram: FakeTelegram

    def admin_client(self) -> TestClient:
        """A client of its own (own cookies) on https, as the Secure session cookie needs."""
        return TestClient(self.client.app, base_url="https://testserver")


def _answer(message: str) -> list[dict[str, Any]]:
    return [{"text": "An answer from the fake Rasa."}]


@pytest.fixture(scope="session")
def fuzz_gateway(tmp_path_factory: pytest.TempPathFactory, languages) -> Iterator[Gateway]:
    from bot.web.app import create_app

    rasa = FakeRasa([], _answer)
    with serve(rasa.app()) as rasa_url, fake_telegram() as telegram:
        settings = Settings(
            database_url=f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'app.sqlite3'}",
            pseudonym_key="test-key-not-secret",
            rasa_url=rasa_url,
            action_server_url=f"http://127.0.0.1:{free_port()}",
            public_base_url=PUBLIC,
            twilio_auth_token=AUTH_TOKEN,
            telegram_bot_token=TOKEN,
            telegram_webhook_secret=TELEGRAM_SECRET,
            telegram_api_base=telegram.url,
            nlg_token=NLG_TOKEN,
        )
        upgrade(settings.database_url)
        with session_scope(settings.database_url) as session:
            import_directory(session, REPO_ROOT / "content", languages)
            organisation = create_organisation(
                session, "Fuzz Aid", countries=["PA"], languages=["ht", "fr", "en"]
            )
            create_account(session, organisation, ADMIN, "admin", ADMIN_PASSWORD)
        with TestClient(create_app(settings)) as client:
            yield Gateway(client, settings, rasa, telegram)


@pytest.fixture(scope="session")
def signed_in(fuzz_gateway: Gateway) -> TestClient:
    """The admin, signed in once, before the login fuzzing can slow sign-ins down."""
    client = fuzz_gateway.admin_client()
    page = client.get("/admin/login")
    response = client.post(
        "/admin/login",
        data={"username": ADMIN, "password": ADMIN_PASSWORD, "csrf_token": csrf_token(page.text)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text
    return client
