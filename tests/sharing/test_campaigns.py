"""The campaigns pages over HTTP (/admin/campaigns): who may make and see campaigns, the links
and QR codes a Kreyòl Telegram and a French WhatsApp campaign get, what the page says when a
setting is missing, and the printable card made of published texts only."""

from __future__ import annotations

import re
import struct
import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from bot.sharing.campaigns import CODE_LENGTH
from bot.sharing.card import SAFETY_TOPICS, excerpt
from bot.sharing.models import Campaign
from bot.store.models import AuditEntry, ContentItem, ContentVariant, ReviewStatus
from bot.workspace.pages import PREFIX
from bot.workspace.permissions import ALLOWED, Action
from tests.workspace.conftest import seeded_store, ws  # noqa: F401 - the workspace fixtures

ROLES = ("admin", "editor", "translator", "reviewer", "caseworker")
MAKERS = {"admin", "editor"}
BOT = "route_help_bot"
NUMBER = "+1 415 523 8886"


@pytest.fixture
def linked(ws):  # noqa: F811
    """The workspace with both link settings, as an operator sets them."""
    ws.settings.telegram_bot_username = BOT
    ws.settings.whatsapp_number = NUMBER
    return ws


def make(ws, client, **fields: str):  # noqa: ANN201, F811
    data = {"name": "Legliz Santiago", "language": "ht", "channel": "telegram"}
    data.update(fields)
    return ws.post(client, "/campaigns", "/campaigns", **data)


def campaign_id(response) -> int:  # noqa: ANN001
    assert response.status_code == 303, response.text[:300]
    found = re.fullmatch(rf"{PREFIX}/campaigns/(\d+)\?done=created", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def the_campaign(ws, ident: int) -> Campaign:  # noqa: F811
    with ws.sessions() as session:
        row = session.get(Campaign, ident)
        session.expunge(row)
        return row


def test_the_right_is_the_admins_and_editors():
    assert {r.value for r, acts in ALLOWED.items() if Action.MANAGE_CAMPAIGNS in acts} == MAKERS


@pytest.mark.parametrize("role", ROLES)
def test_every_role_and_action(linked, role):
    admin = linked.sign_in(linked.account("admin", username="maker"))
    ident = campaign_id(make(linked, admin))
    client = linked.sign_in(linked.account(role))
    # Everyone who may view sees the campaigns and takes their material.
    page = f"{PREFIX}/campaigns/{ident}"
    for path in (f"{PREFIX}/campaigns", page, f"{page}/qr.png", f"{page}/qr.svg", f"{page}/card"):
        assert client.get(path).status_code == 200, path
    response = make(linked, client, name=f"by {role}")
    assert response.status_code == (303 if role in MAKERS else 403), response.text[:300]
    with linked.sessions() as session:
        names = set(session.scalars(select(Campaign.name)))
    assert (f"by {role}" in names) is (role in MAKERS)
    listing = client.get(f"{PREFIX}/campaigns").text
    assert ('action="/admin/campaigns#new"' in listing) is (role in MAKERS)
    assert f'href="{PREFIX}/campaigns"' in client.get(f"{PREFIX}/").text


def test_a_kreyol_telegram_campaign_gets_its_deep_link_and_qr_codes(linked):
    client = linked.sign_in(linked.account("editor"))
    ident = campaign_id(make(linked, client))
    campaign = the_campaign(linked, ident)
    assert re.fullmatch(rf"[A-Za-z0-9]{{{CODE_LENGTH}}}", campaign.code)
    link = f"https://t.me/{BOT}?start=ht_{campaign.code}"
    assert len(f"ht_{campaign.code}") <= 64
    page = client.get(f"{PREFIX}/campaigns/{ident}")
    assert f'value="{link}"' in page.text
    png = client.get(f"{PREFIX}/campaigns/{ident}/qr.png")
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    width, height = struct.unpack(">II", png.content[16:24])
    assert width == height >= 250  # 10 px a module, quiet zone included
    assert "attachment" in png.headers["content-disposition"]
    svg = client.get(f"{PREFIX}/campaigns/{ident}/qr.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(svg.content)
    assert root.tag == "{http://www.w3.org/2000/svg}svg" and root.get("viewBox")
    with linked.sessions() as session:
        entry = session.scalars(select(AuditEntry).filter_by(action="create_campaign")).one()
        assert entry.target == f"campaign {ident}"


def test_a_french_whatsapp_campaign_prefills_french_text_with_its_code(linked, phrases):
    client = linked.sign_in(linked.account("editor"))
    ident = campaign_id(make(linked, client, name="Radio Miami", language="fr", channel="whatsapp"))
    code = the_campaign(linked, ident).code
    page = client.get(f"{PREFIX}/campaigns/{ident}").text
    link = re.search(r'id="campaign-link" [^>]*value="([^"]+)"', page).group(1)
    parts = urlsplit(link.replace("&amp;", "&"))
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "wa.me", "/14155238886")
    [text] = parse_qs(parts.query)["text"]
    assert text == phrases.get("campaign_prefill", "fr").replace("{code}", code)
    assert text.startswith("Bonjour") and text.endswith(code)


@pytest.mark.parametrize(
    ("channel", "setting"),
    [("telegram", "TELEGRAM_BOT_USERNAME"), ("whatsapp", "WHATSAPP_NUMBER")],
)
def test_without_the_setting_the_page_says_what_to_set_and_shows_no_link(ws, channel, setting):  # noqa: F811
    client = ws.sign_in(ws.account("admin"))
    ident = campaign_id(make(ws, client, channel=channel))
    page = client.get(f"{PREFIX}/campaigns/{ident}").text
    assert setting in page
    assert "https://t.me/" not in page and "https://wa.me/" not in page
    assert 'id="campaign-link"' not in page
    assert client.get(f"{PREFIX}/campaigns/{ident}/qr.png").status_code == 404
    card = client.get(f"{PREFIX}/campaigns/{ident}/card", follow_redirects=False)
    assert card.status_code == 303


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"language": "xx"}, "language"),
        ({"channel": "sms"}, "channel"),
        ({"country": "Panama"}, "country"),
        ({"topic": "no_such_topic"}, "topic"),
    ],
)
def test_a_wrong_field_is_refused_and_makes_nothing(ws, fields, field):  # noqa: F811
    client = ws.sign_in(ws.account("editor"))
    response = make(ws, client, **fields)
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.text and f'id="{field}"' in response.text
    with ws.sessions() as session:
        assert session.scalars(select(Campaign)).all() == []


def test_another_organisations_campaign_is_not_found(linked):
    theirs = linked.sign_in(linked.account("admin", org="Mexico Help"))
    ident = campaign_id(make(linked, theirs, name="Theirs"))
    ours = linked.sign_in(linked.account("admin"))
    for path in ("", "/qr.png", "/qr.svg", "/card"):
        assert ours.get(f"{PREFIX}/campaigns/{ident}{path}").status_code == 404, path
    assert "Theirs" not in ours.get(f"{PREFIX}/campaigns").text


def test_codes_differ_between_campaigns(linked):
    client = linked.sign_in(linked.account("editor"))
    codes = {the_campaign(linked, campaign_id(make(linked, client))).code for _ in range(5)}
    assert len(codes) == 5


def publish_safety_texts(ws, language: str) -> dict[str, ContentVariant]:  # noqa: F811
    """The general items' texts of the card's topics in `language`, published."""
    with ws.sessions() as session:
        variants = {}
        for topic in SAFETY_TOPICS:
            item = session.scalars(
                select(ContentItem).filter_by(topic_name=topic, country=None)
            ).one()
            (variant,) = [v for v in item.variants if v.language == language]
            variant.review_status = ReviewStatus.PUBLISHED.value
            variants[topic] = variant
        session.commit()
        for variant in variants.values():
            session.expunge(variant)
        return variants


def test_the_card_holds_only_published_texts_in_the_campaigns_language(linked):
    client = linked.sign_in(linked.account("editor"))
    ident = campaign_id(make(linked, client))
    # The seed is in review, not published: nothing of it goes on a card.
    page = client.get(f"{PREFIX}/campaigns/{ident}").text
    assert "no published text in Kreyòl yet" in page
    card = client.get(f"{PREFIX}/campaigns/{ident}/card").text
    assert "<h3>" not in card
    published = publish_safety_texts(linked, "ht")
    card = client.get(f"{PREFIX}/campaigns/{ident}/card").text
    assert '<html lang="ht">' in card and "size: A5" in card
    assert "Èd sou wout la" in card  # the assistant's name in Kreyòl
    assert "Eskane kòd sa a" in card and "t.me/route_help_bot?start=ht_" in card
    assert "<svg" in card and "http://" not in card.replace("http://www.w3.org/2000/svg", "")
    for variant in published.values():
        assert f"<h3>{variant.title}</h3>" in card
        first = excerpt(variant.body)[0].removeprefix("- ").replace("*", "")
        assert first.split(":")[0] in card.replace("<strong>", "").replace("</strong>", "")
    assert "no published text" not in client.get(f"{PREFIX}/campaigns/{ident}").text


def test_an_excerpt_is_whole_lines_of_the_first_paragraph():
    body = "*Signs:*\n- one line here\n- a second line\n- a third\n\nAnother paragraph."
    assert excerpt(body, limit=30) == ["*Signs:*", "- one line here"]
    assert excerpt(body) == ["*Signs:*", "- one line here", "- a second line", "- a third"]
    assert excerpt("x" * 500) == ["x" * 500]  # at least one line, never cut inside it
