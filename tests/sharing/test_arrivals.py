"""Arrivals through campaign links, end to end inside the gateway: a `/start <payload>` Update
posted to the Telegram webhook and a signed WhatsApp webhook carrying the prefilled text, with a
fake Bot API and a fake Rasa recording what reaches them. A partner's code opens the
conversation in the campaign's language (and its first topic) and counts one arrival; any other
code counts nothing and is greeted as usual; the code is kept with nobody."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import sessionmaker

from bot.config import REPO_ROOT, Settings
from bot.content.io import import_directory
from bot.sharing import campaigns
from bot.sharing.arrivals import Arrivals
from bot.sharing.links import prefilled_text
from bot.sharing.models import CampaignArrivals
from bot.stack import free_port
from bot.store.db import get_engine, session_scope, upgrade
from bot.store.models import Conversation
from bot.workspace.accounts import create_account, create_organisation
from tests import test_telegram
from tests.fakes.telegram_api import TOKEN, FakeTelegram, new_chat, text_update
from tests.whatsapp_helpers import AUTH_TOKEN, message_form, signature

SECRET = "arrivals-secret-token"
PUBLIC = "https://gateway.example.org"
HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
# The fake Rasa and Bot API of the Telegram tests (module-scoped: this module gets its own).
rasa = test_telegram.rasa
telegram = test_telegram.telegram


@pytest.fixture(scope="module")
def gateway(tmp_path_factory, rasa, telegram, languages) -> Iterator[tuple[TestClient, Settings]]:
    from bot.web.app import create_app

    url = f"sqlite:///{tmp_path_factory.mktemp('arrivals') / 'app.sqlite3'}"
    upgrade(url)
    with session_scope(url) as session:
        import_directory(session, REPO_ROOT / "content", languages)
    settings = Settings(
        database_url=url,
        pseudonym_key="test-key-not-secret",
        rasa_url=rasa.url,
        action_server_url=f"http://127.0.0.1:{free_port()}",
        telegram_bot_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_base=telegram.url,
        public_base_url=PUBLIC,
        twilio_auth_token=AUTH_TOKEN,
    )
    with TestClient(create_app(settings)) as client:
        yield client, settings


@pytest.fixture
def client(gateway, rasa, telegram) -> Iterator[TestClient]:
    telegram.clear()
    rasa.calls.clear()
    yield gateway[0]
    test_telegram.drain(gateway[1], telegram)  # every send done, so none arrives in the next test


@pytest.fixture
def whatsapp(client) -> TestClient:
    return client


def post_signed(client: TestClient, form: dict[str, str]):  # noqa: ANN201
    """Signed as Twilio does, for the URL it is told about (PUBLIC_BASE_URL)."""
    path = "/webhooks/whatsapp"
    headers = {"X-Twilio-Signature": signature(PUBLIC + path, form)}
    return client.post(path, data=form, headers=headers)


_orgs = iter(range(1, 1000))


def campaign(settings: Settings, **fields: Any) -> campaigns.Campaign:
    """A campaign a partner made (through the same function as the workspace page)."""
    values = {"name": "Legliz", "language": "ht", "channel": "telegram", "country": None,
              "topic": None}  # fmt: skip
    values.update(fields)
    with session_scope(settings.database_url) as session:
        n = next(_orgs)
        org = create_organisation(session, f"Diaspora {n}", countries=[], languages=["ht"])
        account = create_account(session, org, f"editor-{n}", "editor", "a long test password")
        made = campaigns.create(
            session, account, languages=("en", "fr", "ht"), now=dt.datetime.now(dt.UTC), **values
        )
        session.flush()
        session.expunge(made)
        return made


def arrivals(settings: Settings, campaign_id: int) -> int:
    with session_scope(settings.database_url) as session:
        return campaigns.arrivals(session, [campaign_id])[campaign_id]


def all_arrivals(settings: Settings) -> int:
    with session_scope(settings.database_url) as session:
        return sum(row.count for row in session.scalars(select(CampaignArrivals)))


def conversation_of(settings: Settings, pseudonym: str) -> Conversation:
    with session_scope(settings.database_url) as session:
        row = session.get(Conversation, pseudonym)
        session.expunge(row)
        return row


def bodies(response) -> list[str]:  # noqa: ANN001
    assert response.status_code == 200, response.text
    return [m.text or "" for m in ET.fromstring(response.text).iter("Message")]


def start(client: TestClient, telegram: FakeTelegram, chat_id: int, payload: str) -> None:
    update = text_update(chat_id, f"/start {payload}")
    assert client.post("/webhooks/telegram", json=update, headers=HEADERS).status_code == 200
    telegram.wait_for_calls("sendMessage", 1)


# --- Telegram -------------------------------------------------------------------------------


def test_a_kreyol_telegram_link_opens_in_kreyol_and_counts_one(client, gateway, rasa, telegram):
    settings = gateway[1]
    made = campaign(settings)
    start(client, telegram, new_chat(), f"ht_{made.code}")
    assert rasa.messages() == ["/greet"]
    assert rasa.calls[0]["metadata"] == {"language": "ht"}
    conversation = conversation_of(settings, rasa.calls[0]["sender"])
    assert (conversation.language, conversation.language_source) == ("ht", "chosen")
    assert arrivals(settings, made.id) == 1
    with session_scope(settings.database_url) as session:
        (row,) = session.scalars(select(CampaignArrivals)).all()
        assert (row.campaign_id, row.day, row.count) == (made.id, dt.datetime.now(dt.UTC).date(), 1)


def test_a_campaign_with_a_first_topic_answers_it(client, gateway, rasa, telegram):
    made = campaign(gateway[1], language="fr", topic="trafficking")
    start(client, telegram, new_chat(), f"fr_{made.code}")
    assert rasa.messages() == ["/trafficking"]
    assert rasa.calls[0]["metadata"] == {"language": "fr"}
    assert arrivals(gateway[1], made.id) == 1


def test_the_campaigns_language_wins_over_a_changed_prefix(client, gateway, rasa, telegram):
    made = campaign(gateway[1], language="ht")
    start(client, telegram, new_chat(), f"en_{made.code}")
    assert rasa.calls[0]["metadata"] == {"language": "ht"}
    assert arrivals(gateway[1], made.id) == 1


@pytest.mark.parametrize("change", ["unknown", "tampered", "other-channel", "too-short"])
def test_a_code_no_partner_made_is_greeted_as_usual_and_counts_nothing(
    client, gateway, rasa, telegram, change
):
    settings = gateway[1]
    made = campaign(settings, channel="whatsapp" if change == "other-channel" else "telegram")
    code = {
        "unknown": campaigns.new_code(),
        "tampered": made.code[:-1] + ("A" if made.code[-1] != "A" else "B"),
        "other-channel": made.code,
        "too-short": made.code[:8],
    }[change]
    before = all_arrivals(settings)
    start(client, telegram, new_chat(), f"ht_{code}")
    assert rasa.messages() == ["/greet"]  # the usual greeting,
    assert rasa.calls[0]["metadata"] == {"language": "ht"}  # in the link's language
    assert arrivals(settings, made.id) == 0
    assert all_arrivals(settings) == before


# --- WhatsApp -------------------------------------------------------------------------------


def test_a_french_whatsapp_prefilled_text_answers_in_french_and_counts_one(
    client, whatsapp, gateway, rasa, phrases
):
    settings = gateway[1]
    made = campaign(settings, language="fr", channel="whatsapp")
    form = message_form(prefilled_text(phrases, "fr", made.code), sender="whatsapp:+50937000111")
    [answer] = bodies(post_signed(whatsapp, form))
    assert rasa.messages() == ["/greet"]
    assert rasa.calls[0]["metadata"] == {"language": "fr"}
    notice_start = phrases.get("privacy_notice", "fr").split(":")[0]
    assert answer.startswith("*Answer* to /greet") and notice_start in answer  # French notice
    assert conversation_of(settings, rasa.calls[0]["sender"]).language == "fr"
    assert arrivals(settings, made.id) == 1
    assert bodies(post_signed(whatsapp, form)) == []  # Twilio's redelivery: answered once
    assert arrivals(settings, made.id) == 1


def test_words_added_to_the_prefilled_text_are_answered_without_the_code(
    client, whatsapp, gateway, rasa, phrases
):
    made = campaign(gateway[1], language="ht", channel="whatsapp", topic="trafficking")
    said = prefilled_text(phrases, "ht", made.code) + "\nyo pran paspò m"
    bodies(post_signed(whatsapp, message_form(said, sender="whatsapp:+50937000112")))
    assert rasa.messages() == ["yo pran paspo m"]
    assert rasa.calls[0]["metadata"] == {"language": "ht"}
    assert arrivals(gateway[1], made.id) == 1


def test_the_prefilled_text_with_first_topic_answers_the_topic(
    client, whatsapp, gateway, rasa, phrases
):
    made = campaign(gateway[1], language="en", channel="whatsapp", topic="route_risks")
    form = message_form(prefilled_text(phrases, "en", made.code), sender="whatsapp:+50937000113")
    bodies(post_signed(whatsapp, form))
    assert rasa.messages() == ["/route_risks"]


def test_a_prefilled_text_with_an_unknown_code_is_greeted_and_counts_nothing(
    client, whatsapp, gateway, rasa, phrases
):
    made = campaign(gateway[1], language="fr", channel="whatsapp")
    forged = prefilled_text(phrases, "fr", campaigns.new_code())
    bodies(post_signed(whatsapp, message_form(forged, sender="whatsapp:+50937000114")))
    assert rasa.messages() == ["/greet"]
    assert rasa.calls[0]["metadata"] == {"language": "fr"}
    assert arrivals(gateway[1], made.id) == 0


def test_an_ordinary_message_is_left_as_it_is(client, whatsapp, gateway, rasa):
    said = "mwen bezwen ed, numero dosye m se AB12CD34EF56GH78"  # code-shaped, not a campaign's
    bodies(post_signed(whatsapp, message_form(said, sender="whatsapp:+50937000115")))
    assert rasa.messages() == [said.lower()]  # folded, as every message, code-shaped word kept


# --- the code is kept with nobody -----------------------------------------------------------


def every_row_but_the_campaigns(url: str) -> str:
    """Every row of every table except the campaigns' own, as text."""
    engine = get_engine(url)
    dumped = []
    with engine.connect() as connection:
        for table in inspect(connection).get_table_names():
            if table in {"campaigns", "campaign_arrivals"}:
                continue
            rows = connection.execute(text(f'SELECT * FROM "{table}"')).all()  # noqa: S608
            dumped.extend(repr(tuple(row)) for row in rows)
    return "\n".join(dumped)


def test_the_code_is_in_no_row_tied_to_the_person_and_not_sent_to_rasa(
    client, whatsapp, gateway, rasa, telegram, phrases
):
    settings = gateway[1]
    by_telegram = campaign(settings, language="ht")
    by_whatsapp = campaign(settings, language="fr", channel="whatsapp")
    start(client, telegram, new_chat(), f"ht_{by_telegram.code}")
    sender = "whatsapp:+50937000116"
    form = message_form(
        prefilled_text(phrases, "fr", by_whatsapp.code) + " je cherche un abri", sender
    )
    bodies(post_signed(whatsapp, form))
    senders = [call["sender"] for call in rasa.calls]
    dump = every_row_but_the_campaigns(settings.database_url)
    assert all(pseudonym in dump for pseudonym in senders)  # the people's rows are in it
    for code in (by_telegram.code, by_whatsapp.code):
        assert code not in dump
        assert all(code not in repr(call) for call in rasa.calls)
    assert rasa.messages() == ["/greet", "je cherche un abri"]


def test_two_arrivals_on_one_day_add_up_in_one_row(gateway, phrases):
    settings = gateway[1]
    made = campaign(settings, channel="whatsapp")
    sessions = sessionmaker(get_engine(settings.database_url), expire_on_commit=False)
    counter = Arrivals(sessions, phrases, ["en", "fr", "ht"])
    counter.count(made.id)
    counter.count(made.id)
    with session_scope(settings.database_url) as session:
        rows = session.scalars(select(CampaignArrivals).filter_by(campaign_id=made.id)).all()
        assert [row.count for row in rows] == [2]
